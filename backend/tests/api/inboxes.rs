//! Issue 17, inboxes and routing: each number of ours is an inbox with members and an assignment policy;
//! agents see only their inboxes' tickets (and those of inboxes without members); round robin hands new
//! tickets to the next available member, decided in the database.

#![allow(clippy::unwrap_used)]

use std::time::Duration;

use serde_json::{Value, json};
use smsdesk::domain::Role;

use crate::helpers::*;

/// A number of ours only the Sales team answers.
const SALES: &str = "+14155550177";
const SALES_PATH: &str = "/api/inboxes/%2B14155550177";

async fn ticket_of(app: &TestClient, customer: &str) -> Value {
    only_ticket_of(app, customer).await
}

fn ids(answer: &Answer) -> Vec<i64> {
    assert_eq!(answer.status, 200, "{}", answer.text);
    let mut ids: Vec<i64> =
        answer.body["tickets"].as_array().unwrap().iter().map(|t| t["id"].as_i64().unwrap()).collect();
    ids.sort_unstable();
    ids
}

/// The list as the holder of `token` sees it, with the answer's ETag (`etag` sent as `If-None-Match`).
async fn list_with_etag(app: &TestClient, token: &str, etag: Option<&str>) -> (u16, Option<String>) {
    let mut request = reqwest::Client::new().get(app.url("/api/tickets")).bearer_auth(token);
    if let Some(etag) = etag {
        request = request.header("if-none-match", etag);
    }
    let response = request.send().await.unwrap();
    let tag = response.headers().get("etag").map(|v| v.to_str().unwrap().to_owned());
    (response.status().as_u16(), tag)
}

pub async fn admins_manage_inboxes_and_bad_input_gets_stable_codes(backend: Backend) {
    let app = spawn_app(backend).await;
    let (ana, ana_token) = new_user_with_token(&app.db, Role::Agent).await;
    let (bo, _) = new_user_with_token(&app.db, Role::Agent).await;

    // A number's first text makes its inbox, named as people write the number, shared by everyone.
    app.text(CUSTOMER, "Hello").await;
    let listed = app.get("/api/inboxes").await;
    assert_eq!(listed.status, 200, "{}", listed.text);
    let inboxes = listed.body.as_array().unwrap();
    assert_eq!(inboxes.len(), 1, "{}", listed.text);
    assert_eq!(inboxes[0]["number"], OUR_NUMBER);
    assert_eq!(inboxes[0]["name"], "+1 415-555-0100");
    assert_eq!(inboxes[0]["display"], "+1 415-555-0100");
    assert_eq!(inboxes[0]["assignment_policy"], "manual");
    assert_eq!(inboxes[0]["members"], json!([]));
    assert_eq!(ticket_of(&app, CUSTOMER).await["inbox_name"], "+1 415-555-0100");

    let created = app
        .post_json(
            "/api/inboxes",
            json!({"number": "+1 (415) 555-0177", "name": " Sales ", "members": [ana.id, ana.id], "assignment_policy": "round_robin"}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    assert_eq!(created.body["number"], SALES, "stored in E.164");
    assert_eq!(created.body["name"], "Sales", "trimmed");
    assert_eq!(created.body["members"], json!([ana.id.0]), "each member once");
    assert_eq!(created.body["assignment_policy"], "round_robin");

    app.post_json("/api/inboxes", json!({"number": SALES, "name": "Again"})).await.assert_error(409, "inbox_exists");
    app.post_json("/api/inboxes", json!({"number": "not a number", "name": "X"}))
        .await
        .assert_error(422, "invalid_phone_number");
    app.post_json("/api/inboxes", json!({"number": "+14155550178", "name": "  "}))
        .await
        .assert_error(422, "invalid_inbox_name");
    app.post_json("/api/inboxes", json!({"number": "+14155550178", "name": "X", "members": [999_999]}))
        .await
        .assert_error(422, "unknown_user");
    app.post_json("/api/inboxes", json!({"number": "+14155550178", "name": "X", "assignment_policy": "random"}))
        .await
        .assert_error(422, "invalid_assignment_policy");
    assert_eq!(app.get("/api/inboxes").await.body.as_array().unwrap().len(), 2, "nothing refused was made");

    // Agents read, never change.
    for (method, path, body) in [
        ("POST", "/api/inboxes", json!({"number": "+14155550178", "name": "Mine"})),
        ("PATCH", SALES_PATH, json!({"name": "Mine"})),
        ("DELETE", SALES_PATH, Value::Null),
    ] {
        app.token_send(method, path, &ana_token, body).await.assert_error(403, "forbidden");
    }

    let renamed = app
        .patch_json(SALES_PATH, json!({"name": "Sales team", "members": [bo.id], "assignment_policy": "manual"}))
        .await;
    assert_eq!(renamed.status, 200, "{}", renamed.text);
    assert_eq!(
        (&renamed.body["name"], &renamed.body["members"], &renamed.body["assignment_policy"]),
        (&json!("Sales team"), &json!([bo.id.0]), &json!("manual"))
    );
    app.patch_json(SALES_PATH, json!({})).await.assert_error(422, "nothing_to_change");
    app.patch_json(SALES_PATH, json!({"members": [ana.id, 424_242]})).await.assert_error(422, "unknown_user");
    app.patch_json("/api/inboxes/%2B14155550178", json!({"name": "Nobody"})).await.assert_error(404, "not_found");

    // An inbox whose number has tickets stays (its members can be removed instead); an unused one goes.
    let deleting = app.token_send("DELETE", "/api/inboxes/%2B14155550100", &app.token, Value::Null).await;
    deleting.assert_error(409, "inbox_has_tickets");
    let deleted = app.token_send("DELETE", SALES_PATH, &app.token, Value::Null).await;
    assert_eq!(deleted.status, 204, "{}", deleted.text);
    app.token_send("DELETE", SALES_PATH, &app.token, Value::Null).await.assert_error(404, "not_found");
    assert_eq!(app.get("/api/inboxes").await.body.as_array().unwrap().len(), 1);
    let again = app.post_json("/api/inboxes", json!({"number": SALES, "name": "Sales"})).await;
    assert_eq!((again.status, &again.body["members"]), (201, &json!([])), "its members went with it");
}

pub async fn agents_see_and_hear_of_only_their_inboxes_tickets(backend: Backend) {
    let app = spawn_app(backend).await;
    let (ana, ana_token) = new_user_with_token(&app.db, Role::Agent).await;
    let (bo, bo_token) = new_user_with_token(&app.db, Role::Agent).await;
    let created = app.post_json("/api/inboxes", json!({"number": SALES, "name": "Sales", "members": [ana.id]})).await;
    assert_eq!(created.status, 201, "{}", created.text);

    let notifications_start =
        app.get_as("/api/me/notifications", &bo_token).await.body["now"].as_str().unwrap().to_owned();
    // One text to the shared main number, one to Sales.
    app.text(CUSTOMER, "Main line question").await;
    app.text_with_sid("+14155550124", SALES, "Quote for invoices please", &new_sid()).await;
    let shared = ticket_of(&app, CUSTOMER).await;
    let sales = ticket_of(&app, "+14155550124").await;
    let (shared_id, sales_id) = (shared["id"].as_i64().unwrap(), sales["id"].as_i64().unwrap());
    assert_eq!(sales["inbox_name"], "Sales");
    assert_eq!(shared["inbox_name"], "+1 415-555-0100");

    // The list, as each sees it; the inbox filter.
    assert_eq!(ids(&app.get("/api/tickets").await), [shared_id, sales_id], "admins see all");
    assert_eq!(ids(&app.get_as("/api/tickets", &ana_token).await), [shared_id, sales_id], "a member");
    assert_eq!(ids(&app.get_as("/api/tickets", &bo_token).await), [shared_id], "not a member of Sales");
    assert_eq!(ids(&app.get("/api/tickets?inbox=%2B14155550177").await), [sales_id]);
    assert_eq!(ids(&app.get("/api/tickets?inbox=%2B1%20(415)%20555-0100").await), [shared_id], "any number format");
    assert_eq!(ids(&app.get_as("/api/tickets?inbox=%2B14155550177", &bo_token).await), Vec::<i64>::new());
    app.get("/api/tickets?inbox=sales").await.assert_error(422, "invalid_phone_number");
    let inboxes: Vec<Value> = app.get_as("/api/inboxes", &bo_token).await.body.as_array().unwrap().clone();
    assert_eq!(inboxes.iter().map(|i| i["number"].as_str().unwrap()).collect::<Vec<_>>(), [OUR_NUMBER]);
    assert_eq!(app.get_as("/api/inboxes", &ana_token).await.body.as_array().unwrap().len(), 2);

    // Search: Bo's words do not find Sales' ticket.
    app.wait_until("the texts are indexed", Duration::from_secs(5), || async {
        ids(&app.get("/api/tickets?q=invoices").await) == [sales_id]
    })
    .await;
    assert_eq!(ids(&app.get_as("/api/tickets?q=invoices", &bo_token).await), Vec::<i64>::new());

    // Counts.
    let counts = |token: String| {
        let app = &app;
        async move { app.get_as("/api/tickets/counts", &token).await.body }
    };
    assert_eq!(counts(app.token.clone()).await["open"], 2);
    assert_eq!(counts(ana_token.clone()).await["unassigned"], 2);
    let bo_counts = counts(bo_token.clone()).await;
    assert_eq!(
        (&bo_counts["open"], &bo_counts["unassigned"], &bo_counts["unread_unassigned"]),
        (&json!(1), &json!(1), &json!(1))
    );

    // Notifications.
    let path = format!("/api/me/notifications?since={}", urlencode(&notifications_start));
    let heard = |token: String| {
        let (app, path) = (&app, path.clone());
        async move {
            let body = app.get_as(&path, &token).await.body;
            let mut ids: Vec<i64> =
                body["notifications"].as_array().unwrap().iter().map(|n| n["ticket_id"].as_i64().unwrap()).collect();
            ids.sort_unstable();
            ids
        }
    };
    assert_eq!(heard(bo_token.clone()).await, [shared_id]);
    assert_eq!(heard(ana_token.clone()).await, [shared_id, sales_id]);

    // Every per-ticket route answers Bo as if the ticket did not exist.
    let confirmation = app.thread(sales_id).await.into_iter().find(|m| m["direction"] == "outbound").unwrap();
    let message_id = confirmation["id"].as_i64().unwrap();
    for (method, path, body) in [
        ("GET", format!("/api/tickets/{sales_id}"), Value::Null),
        ("GET", format!("/api/tickets/{sales_id}/messages"), Value::Null),
        ("GET", format!("/api/tickets/{sales_id}/events"), Value::Null),
        ("POST", format!("/api/tickets/{sales_id}/messages"), json!({"body": "Hi"})),
        ("POST", format!("/api/tickets/{sales_id}/messages"), json!({"body": "Note", "internal": true})),
        ("PATCH", format!("/api/tickets/{sales_id}"), json!({"assignee_id": bo.id})),
        ("POST", format!("/api/tickets/{sales_id}/read"), Value::Null),
        ("POST", format!("/api/messages/{message_id}/retry"), Value::Null),
    ] {
        let answer = app.token_send(method, &path, &bo_token, body).await;
        answer.assert_error(404, "not_found");
        assert!(
            !answer.text.contains("Sales") && !answer.text.contains("Quote"),
            "{method} {path}: nothing of it shows"
        );
    }
    // The customer panel lists the customer's tickets only in inboxes the agent sees.
    let panel = |token: String| {
        let app = &app;
        async move {
            let answer = app.get_as("/api/contacts/by-number/%2B14155550124", &token).await;
            assert_eq!(answer.status, 200, "{}", answer.text);
            answer.body["tickets"].as_array().unwrap().iter().map(|t| t["id"].as_i64().unwrap()).collect::<Vec<_>>()
        }
    };
    assert_eq!(panel(bo_token.clone()).await, Vec::<i64>::new());
    assert_eq!(panel(ana_token.clone()).await, [sales_id]);
    let unchanged = ticket_of(&app, "+14155550124").await;
    assert_eq!((unchanged["assignee_id"].clone(), unchanged["message_count"].clone()), (Value::Null, json!(2)));
    // The same routes work for a member.
    assert_eq!(app.get_as(&format!("/api/tickets/{sales_id}"), &ana_token).await.status, 200);
    assert_eq!(app.get_as(&format!("/api/tickets/{sales_id}/events"), &ana_token).await.status, 200);
    assert_eq!(
        app.token_send("POST", &format!("/api/tickets/{sales_id}/read"), &ana_token, Value::Null).await.status,
        204
    );

    // Adding Bo to Sales changes his list, and its ETag.
    // On PostgreSQL the ETag settles CHANGE_OVERLAP (2 s) after the newest change.
    let mut etag = None;
    for _ in 0..40 {
        let (status, tag) = list_with_etag(&app, &bo_token, None).await;
        assert_eq!(status, 200);
        if list_with_etag(&app, &bo_token, tag.as_deref()).await.0 == 304 {
            etag = tag;
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(etag.is_some(), "an unchanged list answers 304");
    let patched = app.patch_json(SALES_PATH, json!({"members": [ana.id, bo.id]})).await;
    assert_eq!(patched.status, 200, "{}", patched.text);
    assert_eq!(list_with_etag(&app, &bo_token, etag.as_deref()).await.0, 200, "membership changed the answer");
    assert_eq!(ids(&app.get_as("/api/tickets", &bo_token).await), [shared_id, sales_id]);
    assert_eq!(counts(bo_token.clone()).await["open"], 2);
    assert_eq!(app.get_as(&format!("/api/tickets/{sales_id}"), &bo_token).await.status, 200);
}

/// Sets an agent's availability through the API and checks `GET /api/me` shows it.
async fn set_away(app: &TestClient, token: &str, away: bool) {
    let wanted = if away { "away" } else { "online" };
    let answer = app.token_send("PATCH", "/api/me/availability", token, json!({"availability": wanted})).await;
    assert_eq!((answer.status, answer.body["availability"].as_str()), (200, Some(wanted)), "{}", answer.text);
    assert_eq!(app.get_as("/api/me", token).await.body["user"]["away"], away);
}

/// The assignee of the ticket each customer opened, in the order given.
async fn assignees(app: &TestClient, customers: &[String]) -> Vec<i64> {
    let mut found = Vec::new();
    for customer in customers {
        found.push(ticket_of(app, customer).await["assignee_id"].as_i64().unwrap_or(0));
    }
    found
}

pub async fn round_robin_hands_new_tickets_to_available_members_in_turn(backend: Backend) {
    let app = spawn_app(backend).await;
    let (ana, ana_token) = new_user_with_token(&app.db, Role::Agent).await;
    let (bo, _) = new_user_with_token(&app.db, Role::Agent).await;
    let (cy, cy_token) = new_user_with_token(&app.db, Role::Agent).await;
    let created = app
        .post_json(
            "/api/inboxes",
            json!({"number": SALES, "name": "Sales", "members": [ana.id, bo.id, cy.id], "assignment_policy": "round_robin"}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    set_away(&app, &cy_token, true).await;
    app.token_send("PATCH", "/api/me/availability", &cy_token, json!({"availability": "busy"}))
        .await
        .assert_error(422, "invalid_body");

    let customers: Vec<String> = (0..4).map(|i| format!("+1415555021{i}")).collect();
    for customer in &customers {
        let answer = app.text_with_sid(customer, SALES, "Hi", &new_sid()).await;
        assert_eq!(answer.status, 200, "{}", answer.text);
        // A second text joins the ticket and hands out nothing.
        app.text_with_sid(customer, SALES, "Still there?", &new_sid()).await;
    }
    let (a, b) = (ana.id.0, bo.id.0);
    assert_eq!(assignees(&app, &customers).await, [a, b, a, b], "in turn, skipping Cy who is away");

    let first = ticket_of(&app, &customers[0]).await["id"].as_i64().unwrap();
    let events = app.get(&format!("/api/tickets/{first}/events")).await.body;
    let assigned = &events["events"][0];
    assert_eq!(
        (&assigned["kind"], &assigned["actor"], &assigned["rule"]),
        (&json!("assigned"), &Value::Null, &json!("round_robin"))
    );
    assert_eq!(assigned["to"]["id"], a);

    // Back online, Cy (never handed one) is next; away agents keep what they have.
    set_away(&app, &cy_token, false).await;
    set_away(&app, &ana_token, true).await;
    let more: Vec<String> = (4..7).map(|i| format!("+1415555021{i}")).collect();
    for customer in &more {
        app.text_with_sid(customer, SALES, "Hello", &new_sid()).await;
    }
    assert_eq!(assignees(&app, &more).await, [cy.id.0, b, cy.id.0]);
    assert_eq!(assignees(&app, &customers[..1]).await, [a], "going away reassigns nothing");

    // Manual inboxes and numbers without an inbox leave new tickets unassigned.
    app.text(CUSTOMER, "Main line").await;
    app.text_with_sid("+14155550299", OTHER_NUMBER_OF_OURS, "Other line", &new_sid()).await;
    assert_eq!(assignees(&app, &[CUSTOMER.to_owned(), "+14155550299".to_owned()]).await, [0, 0]);
}

/// Replicas share the turn: texts arriving at two servers at once still go to the members in turn.
pub async fn round_robin_is_fair_across_replicas() {
    let first = spawn_app(Backend::Postgres).await;
    let second = spawn_replica(&first).await;
    let (ana, _) = new_user_with_token(&first.db, Role::Agent).await;
    let (bo, _) = new_user_with_token(&first.db, Role::Agent).await;
    let created = first
        .post_json(
            "/api/inboxes",
            json!({"number": SALES, "name": "Sales", "members": [ana.id, bo.id], "assignment_policy": "round_robin"}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text);

    // One after the other, alternating replicas: strictly alternating members.
    let customers: Vec<String> = (0..4).map(|i| format!("+1415555031{i}")).collect();
    for (i, customer) in customers.iter().enumerate() {
        let replica: &TestClient = if i % 2 == 0 { &first } else { &second };
        assert_eq!(replica.text_with_sid(customer, SALES, "Hi", &new_sid()).await.status, 200);
    }
    let (a, b) = (ana.id.0, bo.id.0);
    assert_eq!(assignees(&first, &customers).await, [a, b, a, b]);

    // Twenty new customers at once, half on each replica: ten each.
    let burst: Vec<String> = (0..20).map(|i| format!("+14155550{}", 400 + i)).collect();
    let sends = burst.iter().enumerate().map(|(i, customer)| {
        let replica: &TestClient = if i % 2 == 0 { &first } else { &second };
        async move { replica.text_with_sid(customer, SALES, "Hi", &new_sid()).await.status }
    });
    assert!(futures::future::join_all(sends).await.iter().all(|status| *status == 200));
    let handed = assignees(&first, &burst).await;
    let to_ana = handed.iter().filter(|id| **id == a).count();
    let to_bo = handed.iter().filter(|id| **id == b).count();
    assert_eq!((to_ana, to_bo), (10, 10), "{handed:?}");
}

pub async fn a_bulk_change_answers_not_found_for_tickets_in_an_agents_hidden_inbox(backend: Backend) {
    let app = spawn_app(backend).await;
    let (ana, _) = new_user_with_token(&app.db, Role::Agent).await;
    let (_, bo_token) = new_user_with_token(&app.db, Role::Agent).await;
    let created = app.post_json("/api/inboxes", json!({"number": SALES, "name": "Sales", "members": [ana.id]})).await;
    assert_eq!(created.status, 201, "{}", created.text);
    app.text(CUSTOMER, "Main line question").await;
    app.text_with_sid("+14155550124", SALES, "Quote please", &new_sid()).await;
    let shared_id = ticket_of(&app, CUSTOMER).await["id"].as_i64().unwrap();
    let sales_id = ticket_of(&app, "+14155550124").await["id"].as_i64().unwrap();

    let body = json!({"ticket_ids": [sales_id, shared_id], "change": {"status": "pending"}});
    let answer = app.token_send("POST", "/api/tickets/bulk", &bo_token, body).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    let results = answer.body["results"].as_array().unwrap().clone();
    assert_eq!(results[0]["ticket_id"], sales_id, "in the order asked");
    assert_eq!((&results[0]["ok"], &results[0]["error"]), (&json!(false), &json!("not_found")));
    assert_eq!((&results[1]["ticket_id"], &results[1]["ok"]), (&json!(shared_id), &json!(true)));
    assert_eq!(ticket_of(&app, "+14155550124").await["status"], "open", "the hidden ticket is unchanged");
}
