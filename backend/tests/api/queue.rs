//! Working the queue: assignment, what each ticket shows, unread markers, search, counts, cheap polling,
//! contacts and auto-close.

#![allow(clippy::unwrap_used)]

use std::time::Duration;

use serde_json::{Value, json};
use smsdesk::domain::Role;

use crate::helpers::*;

async fn ticket_id_of(app: &TestClient, customer: &str) -> i64 {
    only_ticket_of(app, customer).await["id"].as_i64().unwrap()
}

fn ids(answer: &Answer) -> Vec<i64> {
    answer.body["tickets"].as_array().unwrap().iter().map(|t| t["id"].as_i64().unwrap()).collect()
}

pub async fn tickets_are_assigned_and_filtered_by_assignee(backend: Backend) {
    let app = spawn_app(backend).await;
    let (agent, agent_token) = new_user_with_token(&app.db, Role::Agent).await;
    for i in 0..3 {
        app.text(&format!("+1415555070{i}"), "hello").await;
    }
    let mine = ticket_id_of(&app, "+14155550700").await;
    let theirs = ticket_id_of(&app, "+14155550701").await;

    let assigned =
        app.token_send("PATCH", &format!("/api/tickets/{mine}"), &agent_token, json!({"assignee_id": agent.id})).await;
    assert_eq!(assigned.status, 200, "{}", assigned.text);
    assert_eq!(assigned.body["assignee_id"], agent.id.0);
    app.patch_json(&format!("/api/tickets/{theirs}"), json!({"assignee_id": agent.id})).await;
    let unassigned = app.patch_json(&format!("/api/tickets/{theirs}"), json!({"assignee_id": null})).await;
    assert_eq!(unassigned.body["assignee_id"], Value::Null);

    assert_eq!(ids(&app.get_as("/api/tickets?assignee=me", &agent_token).await), [mine]);
    assert_eq!(ids(&app.get(&format!("/api/tickets?assignee={}", agent.id)).await), [mine]);
    let nobody = ids(&app.get("/api/tickets?assignee=none").await);
    assert_eq!(nobody.len(), 2);
    assert!(!nobody.contains(&mine));
    app.patch_json(&format!("/api/tickets/{mine}"), json!({"assignee_id": 999999}))
        .await
        .assert_error(422, "invalid_assignee");
    app.get("/api/tickets?assignee=everyone").await.assert_error(422, "invalid_assignee");
    let both = app.patch_json(&format!("/api/tickets/{mine}"), json!({"status": "pending", "assignee_id": null})).await;
    assert_eq!((both.body["status"].as_str(), both.body["assignee_id"].is_null()), (Some("pending"), true));
}

pub async fn each_ticket_shows_its_last_message_count_contact_and_unread_state(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, agent_token) = new_user_with_token(&app.db, Role::Agent).await;
    app.text(CUSTOMER, "My parcel never arrived").await;
    let id = ticket_id_of(&app, CUSTOMER).await;

    let listed = app.get_as("/api/tickets", &agent_token).await.body["tickets"][0].clone();
    assert_eq!(listed["last_message"]["preview"], "My parcel never arrived", "the confirmation is not the preview");
    assert_eq!(listed["last_message"]["direction"], "inbound");
    assert_eq!(listed["message_count"], 2);
    assert_eq!(listed["unread"], true);
    assert!(listed["contact"]["id"].is_i64());
    assert_eq!(listed["contact"]["name"], Value::Null);

    let read = app.token_send("POST", &format!("/api/tickets/{id}/read"), &agent_token, json!(null)).await;
    assert_eq!(read.status, 204);
    assert_eq!(app.get_as(&format!("/api/tickets/{id}"), &agent_token).await.body["unread"], false);
    assert_eq!(app.get(&format!("/api/tickets/{id}")).await.body["unread"], true, "read markers are per agent");

    app.post_json(&format!("/api/tickets/{id}/messages"), json!({"body": "internal only", "internal": true})).await;
    app.reply(id, "We shipped a new one").await;
    app.text(CUSTOMER, "x".repeat(400).as_str()).await;
    let ticket = app.get_as(&format!("/api/tickets/{id}"), &agent_token).await.body;
    assert_eq!(ticket["message_count"], 5);
    assert_eq!(ticket["last_message"]["preview"].as_str().unwrap().chars().count(), 160);
    assert_eq!(ticket["unread"], true, "a new customer text is unread again");

    let contact = ticket["contact"]["id"].as_i64().unwrap();
    let named = app.patch_json(&format!("/api/contacts/{contact}"), json!({"name": "Ana Lima", "notes": "VIP"})).await;
    assert_eq!(named.status, 200, "{}", named.text);
    assert_eq!(app.get(&format!("/api/tickets/{id}")).await.body["contact"]["name"], "Ana Lima");
    app.token_send("POST", "/api/tickets/999999/read", &agent_token, json!(null)).await.assert_error(404, "not_found");
}

pub async fn search_finds_tickets_by_message_words_number_and_contact_name(backend: Backend) {
    let app = spawn_app(backend).await;
    app.text("+14155550801", "The refund for order 5521 never arrived").await;
    app.text("+14155550802", "Can I change my delivery address?").await;
    app.text("+14155550803", "Hello").await;
    let refund = ticket_id_of(&app, "+14155550801").await;
    let address = ticket_id_of(&app, "+14155550802").await;
    let hello = ticket_id_of(&app, "+14155550803").await;
    let contact = app.get(&format!("/api/tickets/{hello}")).await.body["contact"]["id"].clone();
    app.patch_json(&format!("/api/contacts/{contact}"), json!({"name": "Zoë Quartermaine"})).await;

    let search = |q: &str| {
        let path = format!("/api/tickets?q={}", urlencode(q));
        let app = &app;
        async move { ids(&app.get(&path).await) }
    };
    // New texts become searchable within about a second (SQLite indexes them in batches).
    app.wait_until("the texts are indexed", Duration::from_secs(5), || async {
        search("refund").await == [refund] && search("address").await == [address] && search("hello").await == [hello]
    })
    .await;
    assert_eq!(search("REFUND never").await, [refund], "all words, any case");
    assert_eq!(search("refu").await, [refund], "word prefixes match");
    assert_eq!(search("addr").await, [address]);
    assert_eq!(search("quarter").await, [hello], "contact names match anywhere");
    assert_eq!(search("555-0802").await, [address], "numbers match by digits");
    assert!(search("nonexistentword").await.is_empty());
    for hostile in [r#"" OR 1=1 --"#, "NEAR(a b)", "%_%", "*", "refund\" AND \"x"] {
        let answer = app.get(&format!("/api/tickets?q={}", urlencode(hostile))).await;
        assert_eq!(answer.status, 200, "{hostile}: {}", answer.text);
    }
}

pub async fn counts_follow_the_queue(backend: Backend) {
    let app = spawn_app(backend).await;
    let (agent, agent_token) = new_user_with_token(&app.db, Role::Agent).await;
    for i in 0..4 {
        app.text(&format!("+1415555090{i}"), "hello").await;
    }
    let first = ticket_id_of(&app, "+14155550900").await;
    let second = ticket_id_of(&app, "+14155550901").await;
    app.patch_json(&format!("/api/tickets/{first}"), json!({"assignee_id": agent.id})).await;
    app.patch_json(&format!("/api/tickets/{second}"), json!({"status": "pending", "assignee_id": agent.id})).await;
    // The agent's closed tickets count nowhere, unread or not.
    let closed = ticket_id_of(&app, "+14155550903").await;
    app.patch_json(&format!("/api/tickets/{closed}"), json!({"status": "closed", "assignee_id": agent.id})).await;

    let counts = app.get_as("/api/tickets/counts", &agent_token).await.body;

    assert_eq!(
        counts,
        json!({"open": 2, "pending": 1, "mine": 2, "unassigned": 1, "unread_mine": 2, "unread_unassigned": 1})
    );
    app.token_send("POST", &format!("/api/tickets/{first}/read"), &agent_token, json!(null)).await;
    assert_eq!(app.get_as("/api/tickets/counts", &agent_token).await.body["unread_mine"], 1);
}

pub async fn unchanged_polls_get_304_and_changes_show_up(backend: Backend) {
    let app = spawn_app(backend).await;
    app.text(CUSTOMER, "Hello").await;
    let id = ticket_id_of(&app, CUSTOMER).await;
    app.wait_until("confirmation sent", Duration::from_secs(10), || async { !app.gateway_requests().await.is_empty() })
        .await;
    // PostgreSQL may make commits visible out of timestamp order, so its ETags stay fresh on every poll
    // until the newest change is 2 s old; SQLite's need only the confirmation's delivery to land.
    let settle = || {
        tokio::time::sleep(if backend == Backend::Postgres {
            Duration::from_millis(2200)
        } else {
            Duration::from_millis(300)
        })
    };
    settle().await;

    for path in [
        "/api/tickets?status=open,pending".to_owned(),
        format!("/api/tickets/{id}/messages"),
        "/api/tickets/counts".to_owned(),
    ] {
        let first = app.get_with_etag(&path, None).await;
        assert_eq!(first.0, 200, "{path}");
        let etag = first.1.expect("an ETag");
        assert!(etag.starts_with('"') && !etag.starts_with("W/"), "strong ETag: {etag}");
        let (status, again, body) = app.get_with_etag(&path, Some(&etag)).await;
        assert_eq!(status, 304, "{path}: unchanged poll");
        assert_eq!(again.as_deref(), Some(etag.as_str()));
        assert!(body.is_empty());
        let other_filter = app
            .get_with_etag(&format!("{path}{}limit=3", if path.contains('?') { "&" } else { "?" }), Some(&etag))
            .await;
        assert_eq!(other_filter.0, 200, "{path}: another query is another answer");
    }
    let list_etag = app.get_with_etag("/api/tickets", None).await.1.unwrap();
    let thread_etag = app.get_with_etag(&format!("/api/tickets/{id}/messages"), None).await.1.unwrap();

    app.text(CUSTOMER, "Still there?").await;

    let (status, _, body) = app.get_with_etag("/api/tickets", Some(&list_etag)).await;
    assert_eq!(status, 200, "a new text changes the list");
    assert!(body.contains("Still there?"));
    let (status, _, body) = app.get_with_etag(&format!("/api/tickets/{id}/messages"), Some(&thread_etag)).await;
    assert_eq!(status, 200);
    assert!(body.contains("Still there?"));

    // Another agent's read marker is theirs: it does not change my answers.
    let (_, other) = new_user_with_token(&app.db, Role::Agent).await;
    settle().await;
    let mine = app.get_with_etag("/api/tickets", None).await.1.unwrap();
    app.token_send("POST", &format!("/api/tickets/{id}/read"), &other, json!(null)).await;
    assert_eq!(app.get_with_etag("/api/tickets", Some(&mine)).await.0, 304);
    // A delivery report changes the thread, not the list.
    let thread_etag = app.get_with_etag(&format!("/api/tickets/{id}/messages"), None).await.1.unwrap();
    let confirmation = app.thread(id).await.into_iter().find(|m| m["direction"] == "outbound").unwrap();
    app.status_callback(confirmation["provider_message_id"].as_str().unwrap(), "delivered", None).await;
    assert_eq!(app.get_with_etag(&format!("/api/tickets/{id}/messages"), Some(&thread_etag)).await.0, 200);
}

pub async fn change_cursors_return_only_what_changed(backend: Backend) {
    let app = spawn_app(backend).await;
    for i in 0..3 {
        app.text(&format!("+1415555100{i}"), "hello").await;
    }
    let first = ticket_id_of(&app, "+14155551000").await;
    // Cursors look 2 s back (late commits, clock steps), so let the first changes age past that.
    tokio::time::sleep(Duration::from_millis(2200)).await;
    app.text("+14155551000", "a later text").await;
    let listed = app.get("/api/tickets").await.body["tickets"].as_array().unwrap().clone();
    let newest = listed.iter().map(|t| t["updated_at"].as_str().unwrap().to_owned()).max().unwrap();
    let cursor = app.get(&format!("/api/tickets/{first}/messages")).await.body["cursor"].as_str().unwrap().to_owned();
    tokio::time::sleep(Duration::from_millis(2200)).await;

    app.text("+14155551000", "one more thing").await;
    app.reply(first, "Go on").await;

    let changed = ids(&app.get(&format!("/api/tickets?updated_since={}", urlencode(&newest))).await);
    assert!(changed.contains(&first), "the changed ticket: {changed:?}");
    for untouched in ["+14155551001", "+14155551002"] {
        assert!(
            !changed.contains(&ticket_id_of(&app, untouched).await),
            "an untouched ticket is not sent: {changed:?}"
        );
    }
    let fresh = app.get(&format!("/api/tickets/{first}/messages?after={cursor}")).await;
    let bodies: Vec<&str> =
        fresh.body["messages"].as_array().unwrap().iter().map(|m| m["body"].as_str().unwrap()).collect();
    // The cursor's own message is within the look-back; everything older is not sent again.
    assert_eq!(bodies, ["a later text", "one more thing", "Go on"], "only what changed since the cursor");
    assert!(fresh.body["cursor"].is_string());
    app.get("/api/tickets?updated_since=yesterday").await.assert_error(422, "invalid_timestamp");
    app.get(&format!("/api/tickets/{first}/messages?after=nonsense")).await.assert_error(400, "invalid_cursor");
}

pub async fn contacts_can_be_listed_named_and_show_opt_outs(backend: Backend) {
    let app = spawn_app(backend).await;
    app.text("+14155551101", "hi").await;
    app.text("+14155551102", "STOP").await;
    let contacts = app.get("/api/contacts").await;
    assert_eq!(contacts.status, 200);
    let list = contacts.body["contacts"].as_array().unwrap();
    assert_eq!(list.len(), 2);
    let stopped = list.iter().find(|c| c["phone_number"] == "+14155551102").unwrap();
    assert_eq!(stopped["opted_out"], true);
    let first = list.iter().find(|c| c["phone_number"] == "+14155551101").unwrap()["id"].as_i64().unwrap();

    let updated = app
        .patch_json(&format!("/api/contacts/{first}"), json!({"name": "  Bo Chen ", "notes": "Prefers texts"}))
        .await;
    assert_eq!(
        (updated.body["name"].as_str(), updated.body["notes"].as_str()),
        (Some("Bo Chen"), Some("Prefers texts"))
    );
    assert_eq!(app.get(&format!("/api/contacts/{first}")).await.body["name"], "Bo Chen");
    assert_eq!(app.get("/api/contacts?q=bo%20ch").await.body["contacts"].as_array().unwrap().len(), 1);
    let cleared = app.patch_json(&format!("/api/contacts/{first}"), json!({"name": null})).await;
    assert_eq!(cleared.body["name"], Value::Null);
    assert_eq!(cleared.body["notes"], "Prefers texts", "untouched fields stay");
    app.patch_json(&format!("/api/contacts/{first}"), json!({"name": "x".repeat(101)}))
        .await
        .assert_error(422, "invalid_name");
    app.patch_json(&format!("/api/contacts/{first}"), json!({"phone_number": "+1"}))
        .await
        .assert_error(422, "invalid_body");
    app.get("/api/contacts/999999").await.assert_error(404, "not_found");
    let page = app.get("/api/contacts?limit=1").await;
    assert_eq!(page.body["contacts"].as_array().unwrap().len(), 1);
    let next = page.body["next_cursor"].as_i64().unwrap();
    assert_eq!(
        app.get(&format!("/api/contacts?limit=1&cursor={next}")).await.body["contacts"].as_array().unwrap().len(),
        1
    );
}

pub async fn inactive_tickets_are_closed_and_the_next_text_opens_a_new_one(backend: Backend) {
    let app = spawn_app(backend).await;
    app.text("+14155551201", "old conversation").await;
    app.text("+14155551202", "recent conversation").await;
    let old = ticket_id_of(&app, "+14155551201").await;
    let recent = ticket_id_of(&app, "+14155551202").await;
    age_ticket(&app, old, chrono::Duration::days(8)).await;

    let closed = app
        .db
        .write(|conn| {
            smsdesk::tickets::close_inactive_tickets(conn, Duration::from_secs(7 * 24 * 3600), 500)
                .map_err(smsdesk::db::StoreError::from)
        })
        .await
        .unwrap();

    assert_eq!(closed, 1);
    assert_eq!(app.get(&format!("/api/tickets/{old}")).await.body["status"], "closed");
    assert_eq!(app.get(&format!("/api/tickets/{recent}")).await.body["status"], "open");
    app.text("+14155551201", "me again").await;
    let tickets = app.get(&format!("/api/tickets?customer_number={}", urlencode("+14155551201"))).await;
    assert_eq!(ids(&tickets).len(), 2, "a closed ticket stays closed");
}

/// Makes a ticket look inactive for `by`, as if time had passed.
async fn age_ticket(app: &TestApp, id: i64, by: chrono::Duration) {
    let id = smsdesk::domain::TicketId(id);
    app.db
        .write(move |conn| -> Result<(), smsdesk::db::StoreError> {
            use diesel::prelude::*;
            use smsdesk::db::schema::tickets;
            let at = smsdesk::db::now() - by;
            diesel::update(tickets::table.find(id)).set(tickets::updated_at.eq(at)).execute(conn)?;
            Ok(())
        })
        .await
        .unwrap();
}

/// `status=open,pending` is answered by one query per status, merged: pages must still follow the newest
/// activity first across both statuses, without gaps or repeats, and leave closed tickets out.
pub async fn a_queue_of_several_statuses_pages_in_activity_order(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut expected = Vec::new();
    for i in 0..7 {
        let customer = format!("+1415555072{i}");
        app.text(&customer, "hello").await;
        let id = ticket_id_of(&app, &customer).await;
        let status = ["open", "pending", "closed"][i % 3];
        if status != "open" {
            app.patch_json(&format!("/api/tickets/{id}"), json!({"status": status})).await;
        }
        if status != "closed" {
            expected.push(id);
        }
    }
    // Newest activity first: each ticket was changed after the one before it.
    expected.reverse();

    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            None => "/api/tickets?status=open,pending&limit=2".to_owned(),
            Some(c) => format!("/api/tickets?status=pending,open,open&limit=2&cursor={c}"),
        };
        let page = app.get(&path).await;
        assert_eq!(page.status, 200, "{}", page.text);
        seen.extend(ids(&page));
        match page.body["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen, expected);
    let statuses: Vec<String> = app.get("/api/tickets?status=open,pending&limit=200").await.body["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["status"].as_str().unwrap().to_owned())
        .collect();
    assert!(statuses.contains(&"open".to_owned()) && statuses.contains(&"pending".to_owned()));
    assert!(!statuses.contains(&"closed".to_owned()));
}
