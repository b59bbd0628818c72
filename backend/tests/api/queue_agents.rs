//! What agents working the queue rely on: search over every status, and a queued reply that says why it
//! has not gone out yet.

#![allow(clippy::unwrap_used)]

use std::time::Duration;

use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, ResponseTemplate};

use crate::helpers::*;

fn ids(answer: &Answer) -> Vec<i64> {
    answer.body["tickets"].as_array().unwrap().iter().map(|t| t["id"].as_i64().unwrap()).collect()
}

async fn ticket_id_of(app: &TestClient, customer: &str) -> i64 {
    only_ticket_of(app, customer).await["id"].as_i64().unwrap()
}

pub async fn search_without_a_status_finds_closed_tickets_too(backend: Backend) {
    let app = spawn_app(backend).await;
    app.text("+14155550811", "Where is my invoice for March?").await;
    app.text("+14155550812", "Please resend the invoice").await;
    app.text("+14155550813", "Hello there").await;
    let closed = ticket_id_of(&app, "+14155550811").await;
    let open = ticket_id_of(&app, "+14155550812").await;
    let closing = app.patch_json(&format!("/api/tickets/{closed}"), json!({"status": "closed"})).await;
    assert_eq!(closing.status, 200, "{}", closing.text);

    let search = |query: &'static str| {
        let app = &app;
        async move {
            let answer = app.get(&format!("/api/tickets?{query}")).await;
            assert_eq!(answer.status, 200, "{query}: {}", answer.text);
            ids(&answer)
        }
    };
    // New texts become searchable within about a second (SQLite indexes them in batches).
    app.wait_until("the texts are indexed", Duration::from_secs(5), || async { search("q=invoice").await.len() == 2 })
        .await;

    // Newest activity first: closing the first ticket made it the newest.
    assert_eq!(search("q=invoice").await, [closed, open], "every status by default");
    assert_eq!(search("q=invoice&status=all").await, [closed, open]);
    assert_eq!(search("q=invoice&status=open,pending").await, [open], "narrowed to the tab's statuses");
    assert_eq!(search("q=invoice&status=closed").await, [closed]);
    assert_eq!(search("q=INVOI&status=all").await, [closed, open], "any case, word prefixes");
}

/// The reply's entry in the thread (full or `?after=`), if the answer has it.
fn find_message(thread: &Value, id: i64) -> Option<Value> {
    thread["messages"].as_array().unwrap().iter().find(|m| m["id"] == id).cloned()
}

pub async fn a_queued_reply_says_why_it_waits_during_a_gateway_outage(backend: Backend) {
    // Nothing listens on port 1: every attempt to reach the gateway fails at once.
    let app = spawn_app_with(backend, &[("TWILIO_API_BASE", "http://127.0.0.1:1")]).await;
    app.text(CUSTOMER, "Hi").await;
    let ticket = ticket_id_of(&app, CUSTOMER).await;
    let reply = app.reply(ticket, "Sorry for the wait").await;
    assert_eq!(reply.status, 201, "{}", reply.text);
    let id = reply.body["id"].as_i64().unwrap();
    // Only the thread knows the outbox: a reply's own answer says nothing of attempts.
    assert_eq!(reply.body["delivery_attempts"], Value::Null);
    let first = app.get(&format!("/api/tickets/{ticket}/messages")).await.body;
    let cursor = first["cursor"].as_str().unwrap().to_owned();

    let mut seen = Value::Null;
    for _ in 0..100 {
        seen = find_message(&app.get(&format!("/api/tickets/{ticket}/messages")).await.body, id).unwrap();
        if seen["delivery_attempts"].as_i64().unwrap_or(0) >= 2 && !seen["delivery_error"].is_null() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(seen["delivery_status"], "queued", "{seen}");
    assert_eq!(seen["delivery_error"], "gateway unreachable", "{seen}");
    assert!(seen["delivery_attempts"].as_i64().unwrap() >= 2, "{seen}");
    assert!(seen["next_attempt_at"].as_str().unwrap().ends_with('Z'), "{seen}");
    assert_eq!(seen["error_message"], Value::Null, "not failed, only waiting");

    // An agent's poll for changes since the first answer gets the waiting reply again: its attempts moved
    // although the message itself did not change.
    let changes = app.get(&format!("/api/tickets/{ticket}/messages?after={cursor}")).await;
    let again = find_message(&changes.body, id).expect("a queued message is in every poll for changes");
    assert!(again["delivery_attempts"].as_i64().unwrap() >= 2, "{again}");
    // …and the thread's ETag moves with every attempt.
    let thread_path = format!("/api/tickets/{ticket}/messages");
    let (_, etag, _) = app.get_with_etag(&thread_path, None).await;
    app.wait_until("another attempt changes the ETag", Duration::from_secs(10), || async {
        app.get_with_etag(&thread_path, etag.as_deref()).await.0 == 200
    })
    .await;
    let inbound = first["messages"][0].clone();
    assert_eq!(inbound["direction"], "inbound");
    assert_eq!(inbound["delivery_attempts"], Value::Null, "customer texts are never in the outbox");
}

pub async fn a_refusing_gateway_is_quoted_without_its_urls_and_a_sent_reply_leaves_no_trace(backend: Backend) {
    let app = spawn_app(backend).await;
    app.text(CUSTOMER, "Hi").await;
    let ticket = ticket_id_of(&app, CUSTOMER).await;
    app.wait_until("confirmation sent", Duration::from_secs(10), || async { !app.gateway_requests().await.is_empty() })
        .await;
    // Twilio's 503s name the account's URL; six of them, then the gateway is back.
    let outage = format!("Service unavailable at /2010-04-01/Accounts/{TWILIO_ACCOUNT_SID}/Messages.json");
    Mock::given(method("POST"))
        .and(path(twilio_messages_path()))
        .respond_with(ResponseTemplate::new(503).set_body_json(json!({"code": 20500, "message": outage})))
        .up_to_n_times(6)
        .with_priority(1)
        .mount(&app.gateway)
        .await;

    let id = app.reply(ticket, "Back soon").await.body["id"].as_i64().unwrap();

    let mut waiting = Value::Null;
    for _ in 0..100 {
        let answer = app.get(&format!("/api/tickets/{ticket}/messages")).await;
        assert!(!answer.text.contains(TWILIO_ACCOUNT_SID), "the account never reaches agents: {}", answer.text);
        waiting = find_message(&answer.body, id).unwrap();
        if !waiting["delivery_error"].is_null() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(waiting["delivery_error"], "gateway refused: Service unavailable at", "{waiting}");

    let sent = app.wait_for_delivery_status(ticket, id, "sending").await;
    assert_eq!(sent["delivery_attempts"], Value::Null, "{sent}");
    assert_eq!(sent["next_attempt_at"], Value::Null, "{sent}");
    assert_eq!(sent["delivery_error"], Value::Null, "{sent}");
}

pub async fn unread_unassigned_is_counted_up_to_a_hundred(backend: Backend) {
    let app = spawn_app(backend).await;
    for n in 0..101 {
        app.text(&format!("+1415555{:04}", 2000 + n), "Hello").await;
    }
    let counts = app.get("/api/tickets/counts").await.body;
    assert_eq!(counts["unassigned"], 101, "{counts}");
    assert_eq!(counts["unread_unassigned"], 100, "counted up to the cap: {counts}");
}

pub async fn counts_include_a_text_that_just_arrived(backend: Backend) {
    let app = spawn_app(backend).await;
    app.text("+14155550821", "First").await;
    let before = app.get("/api/tickets/counts").await.body;
    assert_eq!(before["open"], 1, "{before}");

    // Texts come in through the webhook, which does not touch the shared counts: they follow anyway, at once,
    // so a dashboard fetching the list and the counts together sees them agree.
    app.text("+14155550822", "Second").await;
    let after = app.get("/api/tickets/counts").await.body;
    let listed = app.get("/api/tickets?status=open,pending").await.body["tickets"].as_array().unwrap().len();

    assert_eq!(after["open"], 2, "{after}");
    assert_eq!(after["unassigned"], 2, "{after}");
    assert_eq!(listed, 2);
}
