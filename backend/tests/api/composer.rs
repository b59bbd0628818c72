//! Writing to customers: conversations agents start, canned replies, segment counts, retries; and the
//! settings that shape them.

#![allow(clippy::unwrap_used)]

use std::time::Duration;

use serde_json::{Value, json};
use smsdesk::domain::Role;
use wiremock::matchers::{method, path};
use wiremock::{Mock, ResponseTemplate};

use crate::helpers::*;

pub async fn agents_start_conversations_without_a_confirmation(backend: Backend) {
    let app = spawn_app(backend).await;
    let (agent, agent_token) = new_user_with_token(&app.db, Role::Agent).await;

    let started = app
        .token_send(
            "POST",
            "/api/conversations",
            &agent_token,
            json!({"to": "+1 (415) 555-0131", "body": "Your refund is on its way."}),
        )
        .await;

    assert_eq!(started.status, 201, "{}", started.text);
    assert_eq!(started.body["ticket"]["customer_number"], "+14155550131", "the number is normalised");
    assert_eq!(started.body["ticket"]["channel_number"], OUR_NUMBER, "from the default sender");
    assert_eq!(started.body["message"]["author_id"], agent.id.0);
    assert_eq!(started.body["message"]["segments"], 1);
    let id = started.body["ticket"]["id"].as_i64().unwrap();
    app.wait_until("sent", Duration::from_secs(10), || async { !app.gateway_requests().await.is_empty() }).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let sent = app.gateway_requests().await;
    assert_eq!(sent.len(), 1, "no confirmation for agent-started tickets");
    assert_eq!((sent[0].to.as_str(), sent[0].body.as_str()), ("+14155550131", "Your refund is on its way."));

    // A second conversation with the same number joins the open ticket; the customer's answer too.
    let again = app.post_json("/api/conversations", json!({"to": "+14155550131", "body": "Tracking: 1Z999"})).await;
    assert_eq!(again.body["ticket"]["id"], id);
    app.text("+14155550131", "Thanks!").await;
    assert_eq!(app.thread(id).await.len(), 3);
    let other = app
        .post_json("/api/conversations", json!({"to": "+14155550131", "body": "Hi", "from": OTHER_NUMBER_OF_OURS}))
        .await;
    assert_ne!(other.body["ticket"]["id"], id, "another number of ours is another conversation");
}

pub async fn conversations_refuse_opted_out_and_invalid_numbers(backend: Backend) {
    let app = spawn_app(backend).await;
    app.text("+14155550132", "STOP").await;

    app.post_json("/api/conversations", json!({"to": "+14155550132", "body": "Hello?"}))
        .await
        .assert_error(409, "recipient_opted_out");
    for to in ["+15551234567", "4155550133", "not a number", "whatsapp:+14155550133"] {
        app.post_json("/api/conversations", json!({"to": to, "body": "Hi"}))
            .await
            .assert_error(422, "invalid_phone_number");
    }
    app.post_json("/api/conversations", json!({"to": "+14155550133", "body": " "}))
        .await
        .assert_error(422, "empty_body");
    app.post_json("/api/conversations", json!({"body": "Hi"})).await.assert_error(422, "invalid_body");
}

pub async fn conversations_need_a_sender_number(backend: Backend) {
    let app = spawn_app_with(backend, &[("TWILIO_PHONE_NUMBER", "")]).await;

    let refused = app.post_json("/api/conversations", json!({"to": "+14155550134", "body": "Hi"})).await;

    refused.assert_error(422, "no_sender_number");
    app.put_json("/api/settings", json!({"default_sender_number": "+1 415 555 0100"})).await;
    let started = app.post_json("/api/conversations", json!({"to": "+14155550134", "body": "Hi"})).await;
    assert_eq!(started.status, 201, "{}", started.text);
    assert_eq!(started.body["ticket"]["channel_number"], "+14155550100");
}

pub async fn canned_replies_are_managed_by_admins_and_filled_in_for_a_ticket(backend: Backend) {
    let app = spawn_app(backend).await;
    let agent = new_token(&app.db, Role::Agent).await;
    app.text(CUSTOMER, "Hi").await;
    let ticket = only_ticket_of(&app, CUSTOMER).await;
    let id = ticket["id"].as_i64().unwrap();
    app.patch_json(&format!("/api/contacts/{}", ticket["contact"]["id"]), json!({"name": "Ana"})).await;

    let created = app
        .post_json(
            "/api/canned-replies",
            json!({"title": "Refund", "body": "Hi {contact_name}, ticket {ticket_id} is refunded."}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let reply_id = created.body["id"].as_i64().unwrap();

    let listed = app.get_as(&format!("/api/canned-replies?ticket_id={id}"), &agent).await;
    assert_eq!(listed.status, 200);
    assert_eq!(listed.body[0]["rendered"], format!("Hi Ana, ticket {id} is refunded."));
    assert_eq!(app.get_as("/api/canned-replies", &agent).await.body[0]["rendered"], Value::Null);
    app.get_as("/api/canned-replies?ticket_id=999999", &agent).await.assert_error(404, "not_found");

    let renamed = app.patch_json(&format!("/api/canned-replies/{reply_id}"), json!({"title": "Refund done"})).await;
    assert_eq!(
        (renamed.body["title"].as_str(), renamed.body["body"].as_str().unwrap().starts_with("Hi")),
        (Some("Refund done"), true)
    );
    app.post_json("/api/canned-replies", json!({"title": "", "body": "x"})).await.assert_error(422, "invalid_title");
    app.post_json("/api/canned-replies", json!({"title": "x", "body": ""})).await.assert_error(422, "invalid_body");
    let deleted = app.token_send("DELETE", &format!("/api/canned-replies/{reply_id}"), &app.token, json!(null)).await;
    assert_eq!(deleted.status, 204);
    app.token_send("DELETE", &format!("/api/canned-replies/{reply_id}"), &app.token, json!(null))
        .await
        .assert_error(404, "not_found");
}

pub async fn segment_counts_follow_gsm7_and_ucs2_rules(backend: Backend) {
    let app = spawn_app(backend).await;
    let agent = new_token(&app.db, Role::Agent).await;
    let count = |body: String| {
        let (app, agent) = (&app, &agent);
        async move { app.token_send("POST", "/api/sms/segments", agent, json!({"body": body})).await.body }
    };

    let escape = count(format!("{}€{}", "a".repeat(152), "a".repeat(152))).await;
    assert_eq!((escape["segments"].as_u64(), escape["encoding"].as_str()), (Some(3), Some("GSM-7")));
    assert_eq!(escape["units"], 306);
    let emoji = count("😀".repeat(134)).await;
    assert_eq!((emoji["segments"].as_u64(), emoji["encoding"].as_str()), (Some(5), Some("UCS-2")));
    assert_eq!(count("a".repeat(160)).await["segments"], 1);
    assert_eq!(count("a".repeat(161)).await["segments"], 2);
    let curly = count("It’s ready – come by".to_owned()).await;
    assert_eq!(curly["encoding"], "UCS-2");
    assert_eq!(curly["non_gsm_characters"], json!(["’", "–"]));
    assert_eq!(curly["gsm_alternative"], "It's ready - come by");

    app.text(CUSTOMER, "Hi").await;
    let ticket = only_ticket_of(&app, CUSTOMER).await["id"].as_i64().unwrap();
    let reply = app.reply(ticket, &"😀".repeat(134)).await;
    assert_eq!((reply.body["segments"].as_u64(), reply.body["encoding"].as_str()), (Some(5), Some("UCS-2")));
    let thread = app.thread(ticket).await;
    assert_eq!(thread[0]["segments"], Value::Null, "inbound texts are not ours to count");
    assert_eq!(thread[1]["encoding"], "GSM-7", "the confirmation");
}

pub async fn a_failed_text_can_be_sent_again(backend: Backend) {
    let app = spawn_app(backend).await;
    app.text(CUSTOMER, "Hi").await;
    let ticket = only_ticket_of(&app, CUSTOMER).await["id"].as_i64().unwrap();
    app.wait_until("confirmation sent", Duration::from_secs(10), || async { !app.gateway_requests().await.is_empty() })
        .await;
    Mock::given(method("POST"))
        .and(path(twilio_messages_path()))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({"code": 30007, "message": "Filtered"})))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&app.gateway)
        .await;
    let reply = app.reply(ticket, "Your code is 1234").await;
    let message = reply.body["id"].as_i64().unwrap();
    app.wait_for_delivery_status(ticket, message, "failed").await;

    let retried = app.post_json(&format!("/api/messages/{message}/retry"), json!(null)).await;

    assert_eq!(retried.status, 200, "{}", retried.text);
    assert_eq!(
        (retried.body["delivery_status"].as_str(), retried.body["error_code"].is_null()),
        (Some("queued"), true)
    );
    app.wait_for_delivery_status(ticket, message, "sending").await;
    app.post_json(&format!("/api/messages/{message}/retry"), json!(null)).await.assert_error(409, "not_retryable");
    let inbound = app.thread(ticket).await[0]["id"].as_i64().unwrap();
    app.post_json(&format!("/api/messages/{inbound}/retry"), json!(null)).await.assert_error(409, "not_retryable");
    app.post_json("/api/messages/999999/retry", json!(null)).await.assert_error(404, "not_found");
}

pub async fn settings_are_read_and_changed_by_admins_and_take_effect(backend: Backend) {
    let app = spawn_app(backend).await;

    let defaults = app.get("/api/settings").await.body;
    assert_eq!(defaults["auto_close_after_hours"], 168);
    assert_eq!(defaults["twilio_verify_signatures"], true);
    assert!(defaults["confirmation_template"].as_str().unwrap().contains("{ticket_id}"));

    let changed = app
        .put_json(
            "/api/settings",
            json!({"business_name": "Acme", "confirmation_template": "{business_name} here, ticket #{ticket_id}.", "auto_close_after_hours": null}),
        )
        .await;
    assert_eq!(changed.status, 200, "{}", changed.text);
    assert_eq!(changed.body["auto_close_after_hours"], Value::Null);
    assert_eq!(changed.body["twilio_verify_signatures"], true, "untouched settings stay");
    app.text(CUSTOMER, "Hi").await;
    let id = only_ticket_of(&app, CUSTOMER).await["id"].as_i64().unwrap();
    assert_eq!(app.thread(id).await[1]["body"], format!("Acme here, ticket #{id}."));

    // Signature checking per gateway, explicitly.
    app.put_json("/api/settings", json!({"twilio_verify_signatures": false})).await;
    let unsigned = app
        .post_twilio_signed(
            "/webhooks/twilio",
            &[
                ("MessageSid", "SMa6ea4d7901891717c7c19911313e22f8"),
                ("From", "+14155550140"),
                ("To", OUR_NUMBER),
                ("Body", "no signature"),
            ],
            "",
        )
        .await;
    assert_eq!(unsigned.status, 200, "{}", unsigned.text);
    app.put_json("/api/settings", json!({"twilio_verify_signatures": true})).await;
    let refused = app
        .post_twilio_signed(
            "/webhooks/twilio",
            &[
                ("MessageSid", "SMc08dca63865334054cb41602434579ac"),
                ("From", "+14155550140"),
                ("To", OUR_NUMBER),
                ("Body", "no signature"),
            ],
            "",
        )
        .await;
    refused.assert_error(403, "invalid_signature");

    for (body, field) in [
        (json!({"confirmation_template": "no id"}), "confirmation_template"),
        (json!({"auto_close_after_hours": 0}), "auto_close_after_hours"),
        (json!({"default_sender_number": "12"}), "default_sender_number"),
        (json!({"business_name": ""}), "business_name"),
    ] {
        let answer = app.put_json("/api/settings", body).await;
        answer.assert_error(422, "invalid_setting");
        assert!(answer.body["message"].as_str().unwrap().starts_with(field));
    }
    app.put_json("/api/settings", json!({"theme": "dark"})).await.assert_error(422, "invalid_body");
}
