#![allow(clippy::unwrap_used)]

use std::collections::HashMap;
use std::time::Duration;

use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, ResponseTemplate};

use crate::helpers::*;

/// A ticket whose confirmation has gone out, so the gateway's record starts clean for the test's reply.
async fn ticket_with_confirmation_sent(app: &TestClient) -> i64 {
    app.text(CUSTOMER, "Hi").await;
    app.wait_until("confirmation sent", Duration::from_secs(10), || async { !app.gateway_requests().await.is_empty() })
        .await;
    only_ticket_of(app, CUSTOMER).await["id"].as_i64().unwrap()
}

pub async fn gateway_outage_is_retried_until_the_message_goes_out(backend: Backend) {
    let app = spawn_app(backend).await;
    let id = ticket_with_confirmation_sent(&app).await;
    for status in [503, 500] {
        Mock::given(method("POST"))
            .and(path(twilio_messages_path()))
            .respond_with(ResponseTemplate::new(status))
            .up_to_n_times(2)
            .with_priority(1)
            .mount(&app.gateway)
            .await;
    }

    let reply = app.reply(id, "Sorry for the wait").await;

    let message = app.wait_for_delivery_status(id, reply.body["id"].as_i64().unwrap(), "sending").await;
    assert_eq!(message["error_code"], serde_json::Value::Null);
    let attempts = app.gateway_requests().await.into_iter().filter(|s| s.body == "Sorry for the wait").count();
    assert_eq!(attempts, 5, "four failed attempts, then one that went through");
}

pub async fn rate_limited_sends_are_retried(backend: Backend) {
    let app = spawn_app(backend).await;
    let id = ticket_with_confirmation_sent(&app).await;
    Mock::given(method("POST"))
        .and(path(twilio_messages_path()))
        .respond_with(ResponseTemplate::new(429).set_body_json(json!({"code": 20429, "message": "Too Many Requests"})))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&app.gateway)
        .await;

    let reply = app.reply(id, "Rate limited").await;

    app.wait_for_delivery_status(id, reply.body["id"].as_i64().unwrap(), "sending").await;
    assert_eq!(app.gateway_requests().await.into_iter().filter(|s| s.body == "Rate limited").count(), 2);
}

pub async fn permanent_refusal_marks_the_message_failed_with_the_gateway_code(backend: Backend) {
    let app = spawn_app(backend).await;
    let id = ticket_with_confirmation_sent(&app).await;
    Mock::given(method("POST"))
        .and(path(twilio_messages_path()))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "code": 21211,
            "message": "The 'To' number +14155550123 is not a valid phone number.",
            "more_info": "https://www.twilio.com/docs/errors/21211",
            "status": 400
        })))
        .with_priority(1)
        .mount(&app.gateway)
        .await;

    let reply = app.reply(id, "Hello?").await;

    let failed = app.wait_for_delivery_status(id, reply.body["id"].as_i64().unwrap(), "failed").await;
    assert_eq!(failed["error_code"], "21211");
    assert!(failed["error_message"].as_str().unwrap().contains("not a valid phone number"));
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(app.gateway_requests().await.into_iter().filter(|s| s.body == "Hello?").count(), 1, "no retry");
}

/// The SID the stand-in gateway gave our message, once the worker has recorded it.
async fn sid_of_sent_reply(app: &TestClient, ticket: i64, message: i64) -> String {
    let sent = app.wait_for_delivery_status(ticket, message, "sending").await;
    sent["provider_message_id"].as_str().unwrap().to_owned()
}

pub async fn status_callbacks_update_delivery_status_and_never_go_back(backend: Backend) {
    let app = spawn_app(backend).await;
    let id = ticket_with_confirmation_sent(&app).await;
    let reply = app.reply(id, "Status please").await;
    let message = reply.body["id"].as_i64().unwrap();
    let sid = sid_of_sent_reply(&app, id, message).await;

    assert_eq!(app.status_callback(&sid, "sent", None).await.status, 204);
    app.wait_for_delivery_status(id, message, "sent").await;
    assert_eq!(app.status_callback(&sid, "delivered", None).await.status, 204);
    app.wait_for_delivery_status(id, message, "delivered").await;
    // Late and out-of-order reports change nothing.
    for late in ["sent", "queued", "sending", "undelivered"] {
        assert_eq!(app.status_callback(&sid, late, Some("30003")).await.status, 204);
    }
    let message_json = app.thread(id).await.into_iter().find(|m| m["id"] == message).unwrap();
    assert_eq!(message_json["delivery_status"], "delivered");
    assert_eq!(message_json["error_code"], serde_json::Value::Null);

    // A failure report for another message carries its code and a plain-words reason.
    let second = app.reply(id, "Second").await.body["id"].as_i64().unwrap();
    let second_sid = sid_of_sent_reply(&app, id, second).await;
    app.status_callback(&second_sid, "undelivered", Some("30003")).await;
    let undelivered = app.wait_for_delivery_status(id, second, "undelivered").await;
    assert_eq!(undelivered["error_code"], "30003");
    assert!(undelivered["error_message"].as_str().unwrap().contains("unreachable"));
    // Unknown message ids and states are acknowledged without effect.
    assert_eq!(app.status_callback("SMe492f7944e51266c944eb55e5bc25314", "delivered", None).await.status, 204);
    assert_eq!(app.status_callback(&second_sid, "receiving", None).await.status, 204);
}

pub async fn status_callback_that_beats_the_send_record_is_not_lost(backend: Backend) {
    let app = spawn_app(backend).await;
    let id = ticket_with_confirmation_sent(&app).await;
    // The gateway takes its time to answer; its delivery report arrives before the answer does.
    Mock::given(method("POST"))
        .and(path(twilio_messages_path()))
        .respond_with(
            ResponseTemplate::new(201)
                .set_body_json(json!({"sid": "SM876fd7807966673584c10263b4d16f3e", "status": "queued"}))
                .set_delay(Duration::from_millis(1500)),
        )
        .with_priority(1)
        .mount(&app.gateway)
        .await;
    let reply = app.reply(id, "Quick").await;
    app.wait_until("send started", Duration::from_secs(10), || async {
        app.gateway_requests().await.iter().any(|s| s.body == "Quick")
    })
    .await;

    assert_eq!(app.status_callback("SM876fd7807966673584c10263b4d16f3e", "delivered", None).await.status, 204);

    app.wait_for_delivery_status(id, reply.body["id"].as_i64().unwrap(), "delivered").await;
}

pub async fn status_callbacks_are_signed(backend: Backend) {
    let app = spawn_app(backend).await;

    let forged = app
        .post_twilio_signed(
            "/webhooks/twilio/status",
            &[("MessageSid", "SMd36c0364e3842955b2c8f86da3bd8ad6"), ("MessageStatus", "delivered")],
            "Zm9yZ2Vk",
        )
        .await;

    forged.assert_error(403, "invalid_signature");
}

pub async fn a_burst_of_new_customers_gets_every_confirmation_recorded(backend: Backend) {
    let app = spawn_app(backend).await;
    // Slow answers make sends finish together, so their outcomes are recorded in shared batches.
    accept_texts_slowly(&app.gateway, Duration::from_millis(100)).await;
    let customers: Vec<String> = (0..24).map(|i| format!("+141555507{i:02}")).collect();
    let answers = futures::future::join_all(customers.iter().map(|customer| app.text(customer, "Hello"))).await;
    assert!(answers.iter().all(|a| a.status == 200), "{:?}", answers.iter().map(|a| a.status).collect::<Vec<_>>());

    let tickets = app.tickets().await;
    assert_eq!(tickets.len(), customers.len());
    for ticket in &tickets {
        // The customer's text and the confirmation, counted in one update of the ticket.
        assert_eq!(ticket["message_count"], 2, "{ticket}");
        assert_eq!(ticket["last_message"]["preview"], "Hello", "{ticket}");
        assert_eq!(ticket["last_message"]["direction"], "inbound", "{ticket}");
        let id = ticket["id"].as_i64().unwrap();
        let thread = app.thread(id).await;
        let confirmation = thread.iter().find(|m| m["direction"] == "outbound").unwrap();
        app.wait_for_delivery_status(id, confirmation["id"].as_i64().unwrap(), "sending").await;
    }
    assert_eq!(app.gateway_requests().await.len(), customers.len(), "one confirmation per customer");
}

pub async fn two_server_processes_never_send_a_message_twice(backend: Backend) {
    if backend == Backend::Sqlite {
        // One SQLite database serves one process; replicas are a PostgreSQL set-up.
        return;
    }
    let first = spawn_app(backend).await;
    let second = spawn_replica(&first).await;
    // Slow answers keep both workers busy with overlapping batches.
    accept_texts_slowly(&first.gateway, Duration::from_millis(100)).await;

    let customers: Vec<String> = (0..30).map(|i| format!("+141555506{i:02}")).collect();
    for (i, customer) in customers.iter().enumerate() {
        let app = if i % 2 == 0 { &first } else { &second };
        app.text(customer, "Hello").await;
    }
    let tickets = first.tickets().await;
    for (i, ticket) in tickets.iter().enumerate() {
        let app = if i % 2 == 0 { &second } else { &first };
        for n in 0..3 {
            let answer = app.reply(ticket["id"].as_i64().unwrap(), &format!("Reply {n} to {}", ticket["id"])).await;
            assert_eq!(answer.status, 201);
        }
    }

    let expected = customers.len() * 4;
    first
        .wait_until("every message sent", Duration::from_secs(30), || async {
            first.gateway_requests().await.len() >= expected
        })
        .await;
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let sent = first.gateway_requests().await;
    let mut copies: HashMap<(String, String), usize> = HashMap::new();
    for sms in &sent {
        *copies.entry((sms.to.clone(), sms.body.clone())).or_default() += 1;
    }
    let twice: Vec<_> = copies.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "sent more than once: {twice:?}");
    assert_eq!(sent.len(), expected);
}
