//! Issue 17 (points 5 to 7): tags, priority, the waiting and priority sorts, bulk changes.
#![allow(clippy::unwrap_used)]

use serde_json::{Value, json};
use smsdesk::domain::Role;

use crate::helpers::*;

async fn events(app: &TestClient, ticket: i64) -> Vec<Value> {
    let answer = app.get(&format!("/api/tickets/{ticket}/events")).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    answer.body["events"].as_array().unwrap().clone()
}

async fn ticket(app: &TestClient, id: i64) -> Value {
    let answer = app.get(&format!("/api/tickets/{id}")).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    answer.body
}

/// A customer texts; the id of their ticket.
async fn ticket_from(app: &TestClient, customer: &str, body: &str) -> i64 {
    assert_eq!(app.text(customer, body).await.status, 200);
    only_ticket_of(app, customer).await["id"].as_i64().unwrap()
}

fn ids(tickets: &Value) -> Vec<i64> {
    tickets["tickets"].as_array().unwrap().iter().map(|t| t["id"].as_i64().unwrap()).collect()
}

fn tag_names(ticket: &Value) -> Vec<&str> {
    ticket["tags"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect()
}

pub async fn admins_manage_tags_and_agents_read_them(backend: Backend) {
    let app = spawn_app(backend).await;
    let agent = new_token(&app.db, Role::Agent).await;
    let empty = app.get("/api/tags").await;
    assert_eq!((empty.status, empty.body.clone()), (200, json!({"tags": [], "can_create": true})));

    let refund = app.post_json("/api/tags", json!({"name": " Refund ", "colour": "#D97706"})).await;
    assert_eq!(refund.status, 201, "{}", refund.text);
    assert_eq!((refund.body["name"].as_str(), refund.body["colour"].as_str()), (Some("Refund"), Some("#d97706")));
    let grey = app.post_json("/api/tags", json!({"name": "vip"})).await;
    assert_eq!((grey.status, grey.body["colour"].as_str()), (201, Some("#6b7280")), "a new tag without a colour");
    app.post_json("/api/tags", json!({"name": "REFUND", "colour": "#000000"}))
        .await
        .assert_error(409, "tag_name_taken");
    app.post_json("/api/tags", json!({"name": "  "})).await.assert_error(422, "invalid_tag_name");
    app.post_json("/api/tags", json!({"name": "a,b"})).await.assert_error(422, "invalid_tag_name");
    app.post_json("/api/tags", json!({"name": "x", "colour": "red"})).await.assert_error(422, "invalid_colour");
    app.token_send("POST", "/api/tags", &agent, json!({"name": "mine"})).await.assert_error(403, "forbidden");

    let listed = app.get_as("/api/tags", &agent).await;
    assert_eq!((listed.status, listed.body["can_create"].as_bool()), (200, Some(false)), "agents read the tags");
    let names: Vec<&str> =
        listed.body["tags"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Refund", "vip"]);

    let refund_id = refund.body["id"].as_i64().unwrap();
    let vip_id = grey.body["id"].as_i64().unwrap();
    let id = ticket_from(&app, CUSTOMER, "Hi").await;
    let tagged = app.patch_json(&format!("/api/tickets/{id}"), json!({"tags": ["refund", "VIP"]})).await;
    assert_eq!(tagged.status, 200, "{}", tagged.text);
    assert_eq!(tag_names(&tagged.body), ["Refund", "vip"], "existing tags, whatever the case");
    let before = ticket(&app, id).await["updated_at"].clone();

    let path = format!("/api/tags/{refund_id}");
    let renamed = app.patch_json(&path, json!({"name": "Refunds", "colour": "#112233"})).await;
    assert_eq!((renamed.status, renamed.body["name"].as_str()), (200, Some("Refunds")), "{}", renamed.text);
    let shown = ticket(&app, id).await;
    assert_eq!(shown["tags"][0], json!({"id": refund_id, "name": "Refunds", "colour": "#112233"}));
    assert_ne!(shown["updated_at"], before, "the ticket changed with its tag, so polls bring it");
    app.patch_json(&path, json!({"name": "vip"})).await.assert_error(409, "tag_name_taken");
    app.patch_json(&path, json!({"colour": "#12345"})).await.assert_error(422, "invalid_colour");
    app.token_send("PATCH", &path, &agent, json!({"name": "x"})).await.assert_error(403, "forbidden");
    app.patch_json("/api/tags/424242", json!({"name": "x"})).await.assert_error(404, "not_found");

    app.token_send("DELETE", &path, &agent, Value::Null).await.assert_error(403, "forbidden");
    assert_eq!(app.token_send("DELETE", &path, &app.token, Value::Null).await.status, 204);
    assert_eq!(tag_names(&ticket(&app, id).await), ["vip"], "a deleted tag comes off its tickets");
    app.token_send("DELETE", &path, &app.token, Value::Null).await.assert_error(404, "not_found");
    let left = app.get("/api/tags").await.body;
    assert_eq!(left["tags"].as_array().unwrap().len(), 1);
    assert_eq!(left["tags"][0]["id"], vip_id);
}

pub async fn tags_and_priority_are_set_on_the_timeline_and_filter_the_queue(backend: Backend) {
    let app = spawn_app(backend).await;
    let agent = new_token(&app.db, Role::Agent).await;
    let a = ticket_from(&app, CUSTOMER, "My refund?").await;
    let b = ticket_from(&app, "+14155550124", "Hello").await;
    let fresh = ticket(&app, b).await;
    assert_eq!((fresh["priority"].as_str(), fresh["tags"].clone()), (Some("normal"), json!([])));

    // Agents may not create tags unless an admin allows it; admins may.
    let path = format!("/api/tickets/{a}");
    app.token_send("PATCH", &path, &agent, json!({"tags": ["refund"]})).await.assert_error(422, "unknown_tag");
    assert_eq!(app.get("/api/tags").await.body["tags"], json!([]), "nothing created");
    let (_, list_etag, _) = app.get_with_etag("/api/tickets", None).await;
    let before = ticket(&app, a).await["updated_at"].clone();
    let tagged = app.patch_json(&path, json!({"tags": ["refund", "Billing"], "priority": "urgent"})).await;
    assert_eq!(tagged.status, 200, "{}", tagged.text);
    assert_eq!(tag_names(&tagged.body), ["Billing", "refund"]);
    assert_eq!(tagged.body["priority"], "urgent");
    assert_ne!(tagged.body["updated_at"], before);
    assert_eq!(app.get_with_etag("/api/tickets", list_etag.as_deref()).await.0, 200, "the list's ETag moved");

    assert_eq!(app.put_json("/api/settings", json!({"agents_can_create_tags": true})).await.status, 200);
    assert_eq!(app.get("/api/settings").await.body["agents_can_create_tags"], true);
    assert_eq!(app.get_as("/api/tags", &agent).await.body["can_create"], true);
    let by_agent = app.token_send("PATCH", &path, &agent, json!({"tags": ["refund", "callback"]})).await;
    assert_eq!(by_agent.status, 200, "{}", by_agent.text);
    assert_eq!(tag_names(&by_agent.body), ["callback", "refund"]);
    // The same set again changes nothing and records nothing.
    app.token_send("PATCH", &path, &agent, json!({"tags": ["REFUND", "callback"], "priority": "urgent"})).await;

    let timeline = events(&app, a).await;
    let kinds: Vec<&str> = timeline.iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["tags_changed", "priority_changed", "tags_changed"]);
    assert_eq!(
        (timeline[0]["added"].clone(), timeline[0]["removed"].clone()),
        (json!(["refund", "Billing"]), json!([]))
    );
    assert_eq!(
        (timeline[1]["from_priority"].as_str(), timeline[1]["to_priority"].as_str()),
        (Some("normal"), Some("urgent"))
    );
    assert_eq!(
        (timeline[2]["added"].clone(), timeline[2]["removed"].clone()),
        (json!(["callback"]), json!(["Billing"]))
    );
    assert!(timeline[2]["actor"]["id"].is_i64());

    app.patch_json(&path, json!({"priority": "URGENT"})).await.assert_error(422, "invalid_priority");
    app.patch_json(&path, json!({"tags": ["a,b"]})).await.assert_error(422, "invalid_tag_name");
    app.patch_json(&format!("/api/tickets/{b}"), json!({"priority": "low"})).await;

    assert_eq!(ids(&app.get("/api/tickets?tag=Refund").await.body), [a]);
    assert_eq!(ids(&app.get("/api/tickets?tag=nothing-like-it").await.body), Vec::<i64>::new());
    assert_eq!(ids(&app.get("/api/tickets?priority=urgent").await.body), [a]);
    assert_eq!(ids(&app.get("/api/tickets?priority=low&status=open,pending").await.body), [b]);
    assert_eq!(ids(&app.get("/api/tickets?priority=high").await.body), Vec::<i64>::new());
    assert_eq!(ids(&app.get("/api/tickets?tag=refund&priority=low").await.body), Vec::<i64>::new());
    app.get("/api/tickets?priority=soon").await.assert_error(422, "invalid_priority");
}

pub async fn waiting_since_starts_with_a_customer_text_and_ends_with_an_agent_reply(backend: Backend) {
    let app = spawn_app(backend).await;
    let id = ticket_from(&app, CUSTOMER, "Hi").await;
    let first = ticket(&app, id).await;
    let since = first["waiting_since"].as_str().expect("a customer text starts the wait").to_owned();
    // The confirmation went out, automatically: it answers nothing.
    assert_eq!(first["message_count"], 2, "text and confirmation");

    // A second text (on PostgreSQL, the single-statement append) keeps the oldest unanswered time.
    app.text(CUSTOMER, "Anyone?").await;
    let second = ticket(&app, id).await;
    assert_eq!((second["message_count"].as_i64(), second["waiting_since"].as_str()), (Some(3), Some(since.as_str())));

    let note =
        app.post_json(&format!("/api/tickets/{id}/messages"), json!({"body": "Looking", "internal": true})).await;
    assert_eq!(note.status, 201);
    assert_eq!(ticket(&app, id).await["waiting_since"].as_str(), Some(since.as_str()), "a note answers nobody");

    assert_eq!(app.reply(id, "Here!").await.status, 201);
    assert_eq!(ticket(&app, id).await["waiting_since"], Value::Null, "an agent's reply ends the wait");

    app.text(CUSTOMER, "Thanks, one more thing").await;
    let again = ticket(&app, id).await["waiting_since"].as_str().unwrap().to_owned();
    let time = |t: &str| chrono::DateTime::parse_from_rfc3339(t).unwrap();
    assert!(time(&again) > time(&since), "{again} after {since}");
}

pub async fn the_queue_sorts_by_waiting_and_priority_a_page_at_a_time(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut tickets = Vec::new();
    for n in 0..5 {
        tickets.push(ticket_from(&app, &format!("+1415555020{n}"), "Hi").await);
    }
    let [t0, t1, t2, t3, t4] = tickets[..] else { unreachable!() };
    // t1 was answered: it waits for nothing. t3 then gets a later text: still waiting since its first.
    assert_eq!(app.reply(t1, "Done").await.status, 201);
    app.text("+14155550203", "Hello?").await;
    for (id, priority) in [(t2, "high"), (t4, "high"), (t1, "urgent"), (t0, "low")] {
        assert_eq!(app.patch_json(&format!("/api/tickets/{id}"), json!({"priority": priority})).await.status, 200);
    }
    // A closed ticket has no place in the queue's tabs, but `all` lists it.
    let closed = ticket_from(&app, "+14155550299", "Bye").await;
    app.patch_json(&format!("/api/tickets/{closed}"), json!({"status": "closed"})).await;

    let read_all = |sort: &'static str, status: &'static str| {
        let app = &app;
        async move {
            let mut seen = Vec::new();
            let mut cursor: Option<String> = None;
            loop {
                let mut path = format!("/api/tickets?sort={sort}&status={status}&limit=2");
                if let Some(c) = &cursor {
                    path.push_str(&format!("&cursor={c}"));
                }
                let page = app.get(&path).await;
                assert_eq!(page.status, 200, "{}", page.text);
                seen.extend(ids(&page.body));
                match page.body["next_cursor"].as_str() {
                    Some(next) => cursor = Some(next.to_owned()),
                    None => break,
                }
            }
            seen
        }
    };
    assert_eq!(read_all("waiting", "open,pending").await, [t0, t2, t3, t4, t1]);
    assert_eq!(read_all("priority", "open,pending").await, [t1, t2, t4, t3, t0]);
    assert_eq!(read_all("waiting", "open").await, [t0, t2, t3, t4, t1], "one status, one index range");
    assert_eq!(read_all("waiting", "all").await, [t0, t2, t3, t4, closed, t1], "the closed one is still waiting");
    let newest_first = read_all("activity", "open,pending").await;
    assert_eq!(newest_first.len(), 5);
    assert_eq!(newest_first, ids(&app.get("/api/tickets?status=open,pending").await.body), "activity is the default");

    // Cursors belong to their sort.
    let first = app.get("/api/tickets?sort=waiting&status=open,pending&limit=2").await;
    let cursor = first.body["next_cursor"].as_str().unwrap().to_owned();
    app.get(&format!("/api/tickets?sort=priority&cursor={cursor}")).await.assert_error(400, "invalid_cursor");
    app.get(&format!("/api/tickets?cursor={cursor}")).await.assert_error(400, "invalid_cursor");
    app.get("/api/tickets?sort=oldest").await.assert_error(422, "invalid_sort");

    // Polling a sort: only what changed, with the keys to place it by; unchanged, 304.
    // (PostgreSQL's ETags stay fresh until the newest change is 2 s old: commits may become visible out of
    // timestamp order.)
    let settle = if backend == Backend::Postgres { 2200 } else { 300 };
    tokio::time::sleep(std::time::Duration::from_millis(settle)).await;
    let path = "/api/tickets?sort=priority&status=open,pending";
    let (status, etag, _) = app.get_with_etag(path, None).await;
    assert_eq!(status, 200);
    assert_eq!(app.get_with_etag(path, etag.as_deref()).await.0, 304);
    let since = ticket(&app, t1).await["updated_at"].as_str().unwrap().to_owned();
    app.patch_json(&format!("/api/tickets/{t3}"), json!({"priority": "urgent"})).await;
    assert_eq!(app.get_with_etag(path, etag.as_deref()).await.0, 200);
    let changed = app.get(&format!("{path}&updated_since={}", urlencode(&since))).await;
    let changed_rows = changed.body["tickets"].as_array().unwrap();
    let t3_row = changed_rows.iter().find(|t| t["id"] == t3).expect("the changed ticket");
    assert_eq!(t3_row["priority"], "urgent");
    assert!(t3_row["waiting_since"].is_string());
    assert_eq!(read_all("priority", "open,pending").await, [t3, t1, t2, t4, t0]);
}

pub async fn bulk_changes_apply_to_each_ticket_alone_and_report_each(backend: Backend) {
    let app = spawn_app(backend).await;
    let agent = new_token(&app.db, Role::Agent).await;
    let a = ticket_from(&app, CUSTOMER, "One").await;
    let b = ticket_from(&app, "+14155550124", "Two").await;
    // c is closed and its customer has a newer ticket: it cannot reopen.
    let c = ticket_from(&app, "+14155550125", "Three").await;
    app.patch_json(&format!("/api/tickets/{c}"), json!({"status": "closed"})).await;
    app.text("+14155550125", "Me again").await;

    let bulk = |body: Value| app.token_send("POST", "/api/tickets/bulk", &agent, body);
    let reopened = bulk(json!({"ticket_ids": [a, c, 424242], "change": {"status": "pending"}})).await;
    assert_eq!(reopened.status, 200, "{}", reopened.text);
    let results = reopened.body["results"].as_array().unwrap();
    assert_eq!(results[0], json!({"ticket_id": a, "ok": true}));
    assert_eq!((results[1]["ticket_id"].as_i64(), results[1]["ok"].as_bool()), (Some(c), Some(false)));
    assert_eq!(results[1]["error"], "newer_ticket_open");
    assert!(results[1]["message"].as_str().is_some_and(|m| !m.is_empty()));
    assert_eq!((results[2]["ok"].as_bool(), results[2]["error"].as_str()), (Some(false), Some("not_found")));
    assert_eq!(ticket(&app, a).await["status"], "pending");
    assert_eq!(ticket(&app, c).await["status"], "closed", "the failed ticket kept its state");

    app.post_json("/api/tags", json!({"name": "refund"})).await;
    let tagged = bulk(json!({"ticket_ids": [a, b], "change": {"tags_add": ["refund"]}})).await;
    assert!(tagged.body["results"].as_array().unwrap().iter().all(|r| r["ok"] == true), "{}", tagged.text);
    let unknown = bulk(json!({"ticket_ids": [a], "change": {"tags_add": ["nope"]}})).await;
    assert_eq!(unknown.body["results"][0]["error"], "unknown_tag");
    let urgent = bulk(json!({"ticket_ids": [b, b], "change": {"priority": "urgent"}})).await;
    assert_eq!(urgent.body["results"].as_array().unwrap().len(), 1, "each ticket once");
    let me = app.get_as("/api/me", &agent).await.body["user"]["id"].as_i64().unwrap();
    bulk(json!({"ticket_ids": [a, b], "change": {"assignee_id": me}})).await;
    let removed = bulk(json!({"ticket_ids": [a], "change": {"tags_remove": ["refund", "never-was"]}})).await;
    assert_eq!(removed.body["results"][0]["ok"], true, "{}", removed.text);

    for id in [a, b] {
        assert_eq!(ticket(&app, id).await["assignee_id"], me);
    }
    assert_eq!(tag_names(&ticket(&app, a).await), Vec::<&str>::new());
    let b_now = ticket(&app, b).await;
    assert_eq!((tag_names(&b_now), b_now["priority"].as_str()), (vec!["refund"], Some("urgent")));
    let kinds: Vec<String> = events(&app, b).await.iter().map(|e| e["kind"].as_str().unwrap().to_owned()).collect();
    assert_eq!(kinds, ["tags_changed", "priority_changed", "assigned"]);
    let counts = app.get_as("/api/tickets/counts", &agent).await;
    assert_eq!(counts.body["mine"], 2, "the counts follow at once");

    bulk(json!({"ticket_ids": [a], "change": {"status": "closed", "priority": "low"}}))
        .await
        .assert_error(422, "invalid_change");
    bulk(json!({"ticket_ids": [a], "change": {}})).await.assert_error(422, "invalid_change");
    bulk(json!({"ticket_ids": [], "change": {"priority": "low"}})).await.assert_error(422, "invalid_ticket_ids");
    let too_many: Vec<i64> = (1..=201).collect();
    bulk(json!({"ticket_ids": too_many, "change": {"priority": "low"}})).await.assert_error(422, "invalid_ticket_ids");
    bulk(json!({"ticket_ids": [a], "change": {"priority": "soon"}})).await.assert_error(422, "invalid_priority");
}
