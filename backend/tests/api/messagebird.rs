#![allow(clippy::unwrap_used)]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use wiremock::matchers::{method, path};
use wiremock::{Mock, Request, Respond, ResponseTemplate};

use crate::helpers::*;

const SIGNING_KEY: &str = "mb-signing-key";
const ACCESS_KEY: &str = "mb-access-key";
/// Our MessageBird number, and a Dutch customer.
const MB_NUMBER: &str = "+31612345678";
const MB_CUSTOMER: &str = "+31687654321";

async fn spawn_messagebird_app(backend: Backend, extra: &[(&str, &str)]) -> TestApp {
    let mut overrides = vec![
        ("SMS_GATEWAY", "messagebird"),
        ("MESSAGEBIRD_ACCESS_KEY", ACCESS_KEY),
        ("MESSAGEBIRD_SIGNING_KEY", SIGNING_KEY),
        ("MESSAGEBIRD_ORIGINATOR", MB_NUMBER),
    ];
    overrides.extend_from_slice(extra);
    let app = spawn_app_with(backend, &overrides).await;
    // The stand-in MessageBird API shares the recording server with the Twilio one.
    Mock::given(method("POST")).and(path("/messages")).respond_with(MessageBirdAccepts).mount(&app.gateway).await;
    app
}

struct MessageBirdAccepts;

impl Respond for MessageBirdAccepts {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        ResponseTemplate::new(201).set_body_json(json!({
            "id": format!("mb{}", uuid::Uuid::new_v4().simple()),
            "direction": "mt",
            "recipients": {"totalCount": 1, "items": [{"status": "sent"}]}
        }))
    }
}

/// A `MessageBird-Signature-JWT` for this URL and body, signed with `key`.
fn sign(key: &str, url: &str, body: &[u8]) -> String {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs();
    let mut claims = json!({
        "iss": "MessageBird",
        "nbf": now,
        "exp": now + 60,
        "jti": uuid::Uuid::new_v4().to_string(),
        "url_hash": hex::encode(Sha256::digest(url.as_bytes())),
    });
    if !body.is_empty() {
        claims["payload_hash"] = json!(hex::encode(Sha256::digest(body)));
    }
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(key.as_bytes()),
    )
    .unwrap()
}

async fn post_signed(app: &TestClient, key: Option<&str>, body: &str, content_type: &str) -> Answer {
    let url = format!("{PUBLIC_URL}/webhooks/messagebird");
    let mut request =
        app.client.post(app.url("/webhooks/messagebird")).header("content-type", content_type).body(body.to_owned());
    if let Some(key) = key {
        request = request.header("MessageBird-Signature-JWT", sign(key, &url, body.as_bytes()));
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    Answer { status, body: serde_json::from_str(&text).unwrap_or(Value::Null), content_type: String::new(), text }
}

/// Requests the stand-in MessageBird API received, as JSON.
async fn messagebird_sends(app: &TestClient) -> Vec<(Value, String)> {
    app.gateway
        .received_requests()
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|r| r.url.path() == "/messages")
        .map(|r| {
            let auth = r.headers.get("authorization").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
            (serde_json::from_slice(&r.body).unwrap(), auth)
        })
        .collect()
}

pub async fn signed_json_webhook_opens_a_ticket(backend: Backend) {
    let app = spawn_messagebird_app(backend, &[]).await;
    let body = json!({
        "id": "mb-inbound-1",
        "originator": 31687654321_u64,
        "recipient": "31612345678",
        "body": "Hallo, waar is mijn pakket?",
        "createdDatetime": "2026-11-21T10:00:00+00:00"
    })
    .to_string();

    let answer = post_signed(&app, Some(SIGNING_KEY), &body, "application/json").await;
    let replay = post_signed(&app, Some(SIGNING_KEY), &body, "application/json").await;

    assert_eq!((answer.status, answer.text.as_str()), (200, "OK"));
    assert_eq!(replay.status, 200);
    let ticket = only_ticket_of(&app, MB_CUSTOMER).await;
    assert_eq!(ticket["channel_number"], MB_NUMBER);
    let id = ticket["id"].as_i64().unwrap();
    let thread = app.thread(id).await;
    assert_eq!(thread.len(), 2, "the replay added nothing");
    assert_eq!(thread[0]["body"], "Hallo, waar is mijn pakket?");
    app.wait_until("confirmation sent", Duration::from_secs(10), || async {
        !messagebird_sends(&app).await.is_empty()
    })
    .await;
    let (sent, auth) = messagebird_sends(&app).await.remove(0);
    assert_eq!(auth, format!("AccessKey {ACCESS_KEY}"));
    assert_eq!(sent["originator"], "31612345678");
    assert_eq!(sent["recipients"], json!(["31687654321"]));
    assert_eq!(sent["body"], format!("Thanks for contacting customer support! Your ticket ID is {id}."));
    assert_eq!(sent["reportUrl"], format!("{PUBLIC_URL}/webhooks/messagebird/status"));
}

pub async fn signed_form_webhook_from_a_flow_uses_our_originator(backend: Backend) {
    let app = spawn_messagebird_app(backend, &[]).await;
    let body = "originator=31687654321&payload=Need+help";

    let answer = post_signed(&app, Some(SIGNING_KEY), body, "application/x-www-form-urlencoded").await;

    assert_eq!(answer.status, 200, "{}", answer.text);
    let ticket = only_ticket_of(&app, MB_CUSTOMER).await;
    assert_eq!(ticket["channel_number"], MB_NUMBER);
    assert_eq!(app.thread(ticket["id"].as_i64().unwrap()).await[0]["body"], "Need help");
}

pub async fn forged_or_unsigned_webhooks_are_refused(backend: Backend) {
    let app = spawn_messagebird_app(backend, &[]).await;
    let body = "originator=31687654321&payload=Forged";

    let wrong_key = post_signed(&app, Some("someone-else"), body, "application/x-www-form-urlencoded").await;
    let unsigned = post_signed(&app, None, body, "application/x-www-form-urlencoded").await;
    let signed_other_body = {
        let url = format!("{PUBLIC_URL}/webhooks/messagebird");
        app.client
            .post(app.url("/webhooks/messagebird"))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("MessageBird-Signature-JWT", sign(SIGNING_KEY, &url, b"originator=31687654321&payload=Original"))
            .body(body)
            .send()
            .await
            .unwrap()
            .status()
    };

    assert_eq!(wrong_key.status, 403);
    assert_eq!(wrong_key.body["error"], "invalid_signature");
    assert_eq!(unsigned.status, 403);
    assert_eq!(signed_other_body, 403);
    assert!(app.tickets().await.is_empty());

    let unconfigured = spawn_messagebird_app(backend, &[("MESSAGEBIRD_SIGNING_KEY", "")]).await;
    let refused = post_signed(&unconfigured, None, body, "application/x-www-form-urlencoded").await;
    assert_eq!((refused.status, refused.body["error"].as_str()), (403, Some("webhook_not_configured")));
    let opened =
        spawn_messagebird_app(backend, &[("MESSAGEBIRD_SIGNING_KEY", ""), ("MESSAGEBIRD_VERIFY_SIGNATURES", "false")])
            .await;
    assert_eq!(post_signed(&opened, None, body, "application/x-www-form-urlencoded").await.status, 200);
}

pub async fn replies_go_out_through_messagebird_and_reports_update_them(backend: Backend) {
    let app = spawn_messagebird_app(backend, &[]).await;
    post_signed(
        &app,
        Some(SIGNING_KEY),
        "originator=31687654321&recipient=31612345678&payload=Hi&id=mb-2",
        "application/x-www-form-urlencoded",
    )
    .await;
    let id = only_ticket_of(&app, MB_CUSTOMER).await["id"].as_i64().unwrap();
    let reply = app.reply(id, "Your parcel left the warehouse").await;
    let message = app.wait_for_delivery_status(id, reply.body["id"].as_i64().unwrap(), "sending").await;
    let provider_id = message["provider_message_id"].as_str().unwrap().to_owned();

    let query = format!(
        "id={provider_id}&reference={}&recipient=31687654321&status=delivered&statusDatetime=2026-11-21T10%3A00%3A00%2B00%3A00",
        reply.body["id"]
    );
    let path = format!("/webhooks/messagebird/status?{query}");
    let unsigned = app.client.get(app.url(&path)).send().await.unwrap();
    assert_eq!(unsigned.status(), 403);
    let report = app
        .client
        .get(app.url(&path))
        .header("MessageBird-Signature-JWT", sign(SIGNING_KEY, &format!("{PUBLIC_URL}{path}"), b""))
        .send()
        .await
        .unwrap();

    assert_eq!(report.status(), 200);
    app.wait_for_delivery_status(id, reply.body["id"].as_i64().unwrap(), "delivered").await;
}

/// A Flow's webhook has no message id; its signed token's identity tells a replay (same token) from a new
/// request (MessageBird signs each one anew).
pub async fn a_replayed_webhook_without_an_id_is_stored_once(backend: Backend) {
    let app = spawn_messagebird_app(backend, &[]).await;
    let url = format!("{PUBLIC_URL}/webhooks/messagebird");
    let body = "originator=31687654321&payload=Where+is+my+parcel";
    let token = sign(SIGNING_KEY, &url, body.as_bytes());
    let send = |token: String| {
        app.client
            .post(app.url("/webhooks/messagebird"))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("MessageBird-Signature-JWT", token)
            .body(body)
            .send()
    };

    for _ in 0..3 {
        assert_eq!(send(token.clone()).await.unwrap().status(), 200);
    }

    let ticket = only_ticket_of(&app, MB_CUSTOMER).await["id"].as_i64().unwrap();
    let texts = |thread: Vec<Value>| thread.into_iter().filter(|m| m["direction"] == "inbound").count();
    assert_eq!(texts(app.thread(ticket).await), 1, "the replays added nothing");
    // The customer sending the same words again is a new request, with a token of its own.
    assert_eq!(send(sign(SIGNING_KEY, &url, body.as_bytes())).await.unwrap().status(), 200);
    assert_eq!(texts(app.thread(ticket).await), 2);
}

pub async fn a_nul_in_a_messagebird_text_is_stored_as_a_replacement_character(backend: Backend) {
    let app = spawn_messagebird_app(backend, &[]).await;
    let body =
        json!({"id": "mb-nul-1", "originator": "31687654321", "recipient": "31612345678", "payload": "nul\u{0}byte"})
            .to_string();

    let answer = post_signed(&app, Some(SIGNING_KEY), &body, "application/json").await;

    assert_eq!(answer.status, 200, "{}", answer.text);
    let ticket = only_ticket_of(&app, MB_CUSTOMER).await["id"].as_i64().unwrap();
    assert_eq!(app.thread(ticket).await[0]["body"], "nul\u{FFFD}byte");
    let nul_id = json!({"id": "mb\u{0}", "originator": "31687654321", "recipient": "31612345678", "payload": "x"});
    let refused = post_signed(&app, Some(SIGNING_KEY), &nul_id.to_string(), "application/json").await;
    assert_eq!((refused.status, &refused.body["error"]), (422, &json!("invalid_message_id")), "{}", refused.text);
}
