#![allow(clippy::unwrap_used)]

use std::time::Duration;

use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, ResponseTemplate};

use crate::helpers::*;

pub async fn stop_opts_out_is_recorded_and_gets_no_reply(backend: Backend) {
    let app = spawn_app(backend).await;

    let answer = app.text(CUSTOMER, "STOP").await;

    assert_eq!(answer.status, 200);
    let ticket = only_ticket_of(&app, CUSTOMER).await;
    assert_eq!(ticket["opted_out"], true);
    assert_eq!(ticket["status"], "closed", "a first STOP waits in no queue");
    let thread = app.thread(ticket["id"].as_i64().unwrap()).await;
    assert_eq!(thread.len(), 1, "STOP is in the thread and nothing answers it: {thread:?}");
    assert_eq!(thread[0]["body"], "STOP");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(app.gateway_requests().await.is_empty(), "no automatic reply to STOP");
}

pub async fn an_opted_out_customer_opening_a_new_ticket_gets_no_confirmation(backend: Backend) {
    let app = spawn_app(backend).await;
    app.text(CUSTOMER, "STOP").await;
    let first = only_ticket_of(&app, CUSTOMER).await["id"].as_i64().unwrap();
    let closed = app.patch_json(&format!("/api/tickets/{first}"), json!({"status": "closed"})).await;
    assert_eq!(closed.status, 200, "{}", closed.text);

    let answer = app.text(CUSTOMER, "Where is my order?").await;

    assert_eq!(answer.status, 200);
    let tickets = app.tickets().await;
    let second = tickets.iter().find(|t| t["id"] != first && t["customer_number"] == CUSTOMER).unwrap();
    assert_eq!(second["status"], "open");
    let thread = app.thread(second["id"].as_i64().unwrap()).await;
    assert_eq!(thread.len(), 1, "the text, and no confirmation: {thread:?}");
    assert_eq!(thread[0]["body"], "Where is my order?");
    assert_eq!(second["message_count"], 1);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(app.gateway_requests().await.is_empty(), "nothing is texted to an opted-out number");
}

pub async fn every_opt_out_keyword_in_any_case_opts_out(backend: Backend) {
    let app = spawn_app(backend).await;
    let keywords = ["STOP", "stopall", "Unsubscribe", "cancel", "END", "quit", " Stop \n"];

    for (i, keyword) in keywords.iter().enumerate() {
        let customer = format!("+1415555020{i}");
        app.text(&customer, keyword).await;
        assert_eq!(only_ticket_of(&app, &customer).await["opted_out"], true, "{keyword:?}");
    }
    // Not keywords: a sentence containing one, or one with punctuation.
    for (i, text) in ["Please stop the order", "STOP!"].iter().enumerate() {
        let customer = format!("+1415555030{i}");
        app.text(&customer, text).await;
        assert_eq!(only_ticket_of(&app, &customer).await["opted_out"], false, "{text:?}");
    }
    app.wait_until("two confirmations", Duration::from_secs(10), || async { app.gateway_requests().await.len() == 2 })
        .await;
}

pub async fn replies_to_an_opted_out_number_are_refused_until_start(backend: Backend) {
    let app = spawn_app(backend).await;
    app.text(CUSTOMER, "My order is late").await;
    let id = only_ticket_of(&app, CUSTOMER).await["id"].as_i64().unwrap();
    app.text(CUSTOMER, "stop").await;

    app.reply(id, "Sorry to hear that").await.assert_error(409, "recipient_opted_out");
    let note = app
        .post_json(&format!("/api/tickets/{id}/messages"), json!({"body": "They opted out", "internal": true}))
        .await;
    assert_eq!(note.status, 201, "internal notes are still allowed: {}", note.text);

    app.text(CUSTOMER, "START").await;
    let ticket = only_ticket_of(&app, CUSTOMER).await;
    assert_eq!(ticket["opted_out"], false);
    let reply = app.reply(id, "Welcome back").await;
    assert_eq!(reply.status, 201, "{}", reply.text);
    app.wait_until("reply sent", Duration::from_secs(10), || async {
        app.gateway_requests().await.iter().any(|s| s.body == "Welcome back")
    })
    .await;
}

pub async fn a_queued_confirmation_is_not_sent_after_stop(backend: Backend) {
    let app = spawn_app(backend).await;
    // The gateway is down when the first text arrives, so the confirmation waits in the outbox.
    Mock::given(method("POST"))
        .and(path(twilio_messages_path()))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&app.gateway)
        .await;
    app.text(CUSTOMER, "Hi").await;
    app.wait_until("first attempt failed", Duration::from_secs(10), || async {
        !app.gateway_requests().await.is_empty()
    })
    .await;

    app.text(CUSTOMER, "STOP").await;

    let ticket = only_ticket_of(&app, CUSTOMER).await;
    let id = ticket["id"].as_i64().unwrap();
    let confirmation = app.thread(id).await.into_iter().find(|m| m["direction"] == "outbound").unwrap();
    let failed = app.wait_for_delivery_status(id, confirmation["id"].as_i64().unwrap(), "failed").await;
    assert_eq!(failed["error_code"], "recipient_opted_out");
    assert_eq!(app.gateway_requests().await.len(), 1, "only the attempt before STOP reached the gateway");
}

pub async fn twilio_refusal_21610_marks_the_number_opted_out(backend: Backend) {
    let app = spawn_app(backend).await;
    Mock::given(method("POST"))
        .and(path(twilio_messages_path()))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "code": 21610,
            "message": "Attempt to send to unsubscribed recipient",
            "more_info": "https://www.twilio.com/docs/errors/21610",
            "status": 400
        })))
        .with_priority(1)
        .mount(&app.gateway)
        .await;

    app.text(CUSTOMER, "Hi").await;

    let ticket = only_ticket_of(&app, CUSTOMER).await;
    let id = ticket["id"].as_i64().unwrap();
    let confirmation = app.thread(id).await.into_iter().find(|m| m["direction"] == "outbound").unwrap();
    let failed = app.wait_for_delivery_status(id, confirmation["id"].as_i64().unwrap(), "failed").await;
    assert_eq!(failed["error_code"], "21610");
    assert_eq!(only_ticket_of(&app, CUSTOMER).await["opted_out"], true);
    app.reply(id, "Hello?").await.assert_error(409, "recipient_opted_out");
    assert_eq!(app.gateway_requests().await.len(), 1, "a refusal is not retried");
}
