//! Issue 16: the ticket timeline, reopening, notifications and per-agent preferences, over the real API.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use serde_json::{Value, json};
use smsdesk::domain::Role;

use crate::helpers::*;

async fn events(app: &TestClient, ticket: i64) -> Vec<Value> {
    let answer = app.get(&format!("/api/tickets/{ticket}/events")).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    answer.body["events"].as_array().unwrap().clone()
}

fn kinds(events: &[Value]) -> Vec<&str> {
    events.iter().map(|e| e["kind"].as_str().unwrap()).collect()
}

pub async fn every_change_an_agent_makes_is_on_the_timeline_with_who_and_when(backend: Backend) {
    let app = spawn_app(backend).await;
    let (agent, agent_token) = new_user_with_token(&app.db, Role::Agent).await;
    app.text(CUSTOMER, "Hi").await;
    let id = only_ticket_of(&app, CUSTOMER).await["id"].as_i64().unwrap();
    let path = format!("/api/tickets/{id}");
    assert!(events(&app, id).await.is_empty(), "a new ticket has no events yet");

    app.patch_json(&path, json!({"assignee_id": agent.id})).await;
    // The agent, with their own token, passes it back to nobody and sets it pending.
    let as_agent =
        app.token_send("PATCH", &path, &agent_token, json!({"assignee_id": null, "status": "pending"})).await;
    assert_eq!(as_agent.status, 200, "{}", as_agent.text);
    app.patch_json(&path, json!({"assignee_id": agent.id})).await;
    app.patch_json(&path, json!({"assignee_id": agent.id})).await; // no change, no event
    app.patch_json(&path, json!({"status": "closed"})).await;

    let timeline = events(&app, id).await;
    assert_eq!(kinds(&timeline), ["assigned", "status_changed", "unassigned", "assigned", "status_changed"]);
    let admin = app.get("/api/me").await.body["user"]["id"].as_i64().unwrap();
    assert_eq!(timeline[0]["actor"]["id"], admin);
    assert_eq!(timeline[0]["from"], Value::Null);
    assert_eq!(timeline[0]["to"]["id"], agent.id.0);
    assert_eq!(timeline[0]["to"]["name"], "Test User");
    assert_eq!(timeline[1]["actor"]["id"], agent.id.0, "the REST API records who did it");
    assert_eq!(
        (timeline[1]["from_status"].as_str(), timeline[1]["to_status"].as_str()),
        (Some("open"), Some("pending"))
    );
    assert_eq!(timeline[2]["from"]["id"], agent.id.0);
    assert_eq!(timeline[4]["to_status"], "closed");
    for event in &timeline {
        let at = event["at"].as_str().unwrap();
        assert!(chrono::DateTime::parse_from_rfc3339(at).is_ok() && at.ends_with('Z'), "{at}");
    }

    // Polling is cheap: nothing new, 304.
    let (status, etag, _) = app.get_with_etag(&format!("{path}/events"), None).await;
    assert_eq!(status, 200);
    assert_eq!(app.get_with_etag(&format!("{path}/events"), etag.as_deref()).await.0, 304);
    app.get("/api/tickets/424242/events").await.assert_error(404, "not_found");
    let anonymous = app.client.get(app.url(&format!("{path}/events"))).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
}

pub async fn a_closed_ticket_reopens_unless_the_customer_has_a_newer_one(backend: Backend) {
    let app = spawn_app(backend).await;
    app.text(CUSTOMER, "Hi").await;
    let id = only_ticket_of(&app, CUSTOMER).await["id"].as_i64().unwrap();
    let path = format!("/api/tickets/{id}");
    app.patch_json(&path, json!({"status": "closed"})).await;
    app.reply(id, "Still there?").await.assert_error(409, "ticket_closed");

    let reopened = app.patch_json(&path, json!({"status": "open"})).await;
    assert_eq!((reopened.status, reopened.body["status"].as_str()), (200, Some("open")), "{}", reopened.text);
    assert_eq!(reopened.body["closed_at"], Value::Null);
    assert_eq!(app.reply(id, "Back on it").await.status, 201);
    let last = events(&app, id).await.pop().unwrap();
    assert_eq!((last["kind"].as_str(), last["from_status"].as_str()), (Some("reopened"), Some("closed")));

    // Closed again; the customer's next text opens a newer ticket, so the old one cannot come back.
    app.patch_json(&path, json!({"status": "closed"})).await;
    app.text(CUSTOMER, "New question").await;
    let tickets = app.get(&format!("/api/tickets?customer_number={}", urlencode(CUSTOMER))).await;
    let newer = tickets.body["tickets"][0]["id"].as_i64().unwrap();
    assert_ne!(newer, id);
    let refused = app.patch_json(&path, json!({"status": "pending"})).await;
    refused.assert_error(409, "newer_ticket_open");
    assert_eq!(refused.body["ticket_id"], newer, "the answer names where the conversation continues");
    assert_eq!(app.get(&path).await.body["status"], "closed");
}

pub async fn auto_close_keywords_and_failed_deliveries_are_on_the_timeline(backend: Backend) {
    let app = spawn_app(backend).await;
    app.text(CUSTOMER, "Hi").await;
    let id = only_ticket_of(&app, CUSTOMER).await["id"].as_i64().unwrap();

    // A reply the carrier could not deliver marks the ticket and goes on its timeline.
    let reply = app.reply(id, "Here is your code").await.body["id"].as_i64().unwrap();
    let sent = app.wait_for_delivery_status(id, reply, "sending").await;
    let sid = sent["provider_message_id"].as_str().unwrap().to_owned();
    assert_eq!(app.get(&format!("/api/tickets/{id}")).await.body["failed_delivery_at"], Value::Null);
    app.status_callback(&sid, "failed", Some("30003")).await;
    app.wait_for_delivery_status(id, reply, "failed").await;
    let failed = events(&app, id).await.pop().unwrap();
    assert_eq!((failed["kind"].as_str(), failed["message_id"].as_i64()), (Some("delivery_failed"), Some(reply)));
    assert!(failed["error"].as_str().unwrap().contains("unreachable"), "{failed}");
    assert_eq!(failed["actor"], Value::Null);
    assert!(app.get(&format!("/api/tickets/{id}")).await.body["failed_delivery_at"].is_string());
    // Sending it again clears the mark.
    assert_eq!(app.post_json(&format!("/api/messages/{reply}/retry"), json!({})).await.status, 200);
    assert_eq!(app.get(&format!("/api/tickets/{id}")).await.body["failed_delivery_at"], Value::Null);

    app.text(CUSTOMER, "STOP").await;
    app.text(CUSTOMER, "START").await;
    let timeline = events(&app, id).await;
    assert_eq!(kinds(&timeline)[1..], ["opted_out", "opted_in"]);
    assert_eq!(timeline[1]["channel_number"], OUR_NUMBER);
    assert_eq!(timeline[1]["actor"], Value::Null, "the customer did it");

    app.db
        .write(move |conn| -> Result<(), smsdesk::db::StoreError> {
            use diesel::prelude::*;
            use smsdesk::db::schema::tickets;
            let long_ago = smsdesk::db::now() - chrono::Duration::days(8);
            diesel::update(tickets::table.find(smsdesk::domain::TicketId(id)))
                .set(tickets::updated_at.eq(long_ago))
                .execute(conn)?;
            smsdesk::tickets::close_inactive_tickets(conn, Duration::from_secs(7 * 24 * 3600), 10)?;
            Ok(())
        })
        .await
        .unwrap();
    let closed = events(&app, id).await.pop().unwrap();
    assert_eq!((closed["kind"].as_str(), closed["idle_hours"].as_u64()), (Some("auto_closed"), Some(168)));
    assert_eq!(closed["actor"], Value::Null);
}

pub async fn notifications_tell_each_agent_what_concerns_them_once_they_ask(backend: Backend) {
    let app = spawn_app(backend).await;
    let (ana, ana_token) = new_user_with_token(&app.db, Role::Agent).await;
    let (_, bo_token) = new_user_with_token(&app.db, Role::Agent).await;
    let poll = |token: String, since: Option<String>| {
        let app = &app;
        async move {
            let path = match since {
                Some(since) => format!("/api/me/notifications?since={}", urlencode(&since)),
                None => "/api/me/notifications".to_owned(),
            };
            let answer = app.get_as(&path, &token).await;
            assert_eq!(answer.status, 200, "{}", answer.text);
            answer.body
        }
    };
    let start = poll(ana_token.clone(), None).await;
    assert!(start["notifications"].as_array().unwrap().is_empty(), "the first poll only says where to start");
    let since = start["now"].as_str().unwrap().to_owned();

    app.text(CUSTOMER, "My order is late").await;
    let id = only_ticket_of(&app, CUSTOMER).await["id"].as_i64().unwrap();
    for token in [&ana_token, &bo_token] {
        let got = poll(token.clone(), Some(since.clone())).await;
        let list = got["notifications"].as_array().unwrap();
        assert_eq!(list.len(), 1, "{got}");
        assert_eq!((list[0]["kind"].as_str(), list[0]["ticket_id"].as_i64()), (Some("new_ticket"), Some(id)));
        assert_eq!(list[0]["preview"], "My order is late");
        assert_eq!(list[0]["customer"], "+1 415-555-0123");
    }

    // The tab title counts unread Mine plus Unassigned.
    let counts = app.get_as("/api/tickets/counts", &ana_token).await.body;
    assert_eq!((counts["unread_unassigned"].as_i64(), counts["unread_mine"].as_i64()), (Some(1), Some(0)), "{counts}");

    app.patch_json(&format!("/api/tickets/{id}"), json!({"assignee_id": ana.id})).await;
    let counts = app.get_as("/api/tickets/counts", &ana_token).await.body;
    assert_eq!((counts["unread_unassigned"].as_i64(), counts["unread_mine"].as_i64()), (Some(0), Some(1)), "{counts}");
    let since = poll(ana_token.clone(), Some(since)).await["now"].as_str().unwrap().to_owned();
    tokio::time::sleep(Duration::from_millis(20)).await;
    app.text(CUSTOMER, "Any news?").await;
    let for_ana = poll(ana_token.clone(), Some(since.clone())).await;
    let kinds: Vec<&str> =
        for_ana["notifications"].as_array().unwrap().iter().map(|n| n["kind"].as_str().unwrap()).collect();
    assert!(kinds.contains(&"new_text"), "{for_ana}");
    let for_bo = poll(bo_token.clone(), Some(since)).await;
    assert!(
        for_bo["notifications"].as_array().unwrap().iter().all(|n| n["kind"] != "new_text"),
        "another agent's ticket is not Bo's news: {for_bo}"
    );
    app.get("/api/me/notifications?since=yesterday").await.assert_error(422, "invalid_timestamp");
}

pub async fn preferences_are_kept_per_agent_on_the_server(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, ana) = new_user_with_token(&app.db, Role::Agent).await;
    let (_, bo) = new_user_with_token(&app.db, Role::Agent).await;
    let defaults = app.get_as("/api/me/preferences", &ana).await;
    assert_eq!(defaults.body["notifications"], false, "notifications are opt-in");
    assert_eq!(defaults.body["notify_new_unassigned"], true);

    let changed =
        app.token_send("PATCH", "/api/me/preferences", &ana, json!({"notifications": true, "sound": true})).await;
    assert_eq!(changed.status, 200, "{}", changed.text);
    assert_eq!((changed.body["notifications"].as_bool(), changed.body["sound"].as_bool()), (Some(true), Some(true)));
    let again = app.token_send("PATCH", "/api/me/preferences", &ana, json!({"compact_rows": true})).await;
    assert_eq!(again.body["sound"], true, "fields left out keep their value");
    assert_eq!(app.get_as("/api/me/preferences", &ana).await.body["compact_rows"], true);
    assert_eq!(app.get_as("/api/me/preferences", &bo).await.body["sound"], false, "each agent has their own");

    let unknown = app.token_send("PATCH", "/api/me/preferences", &ana, json!({"volume": 11})).await;
    assert_eq!(unknown.status, 422, "{}", unknown.text);
    let wrong_type = app.token_send("PATCH", "/api/me/preferences", &ana, json!({"sound": "loud"})).await;
    assert_eq!(wrong_type.status, 422, "{}", wrong_type.text);
}
