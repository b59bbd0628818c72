//! What a hostile client must not get away with: guessing passwords in parallel, locking a user out,
//! NUL bytes that PostgreSQL cannot store, slow bodies that hold connections, sending from numbers that are
//! not ours, replayed or re-split webhook ids, unsafe media links; and the headers every answer carries.

#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use futures::future::join_all;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::*;

const PASSWORD: &str = "correct horse battery";

async fn create_user(app: &TestApp, email: &str) {
    let created = app
        .post_json("/api/users", json!({"email": email, "name": "Ana Agent", "role": "agent", "password": PASSWORD}))
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
}

/// A sign-in attempt from `client` (sent as `X-Forwarded-For`, which counts only behind a trusted proxy):
/// the status and the `Retry-After` header.
async fn sign_in_from(app: &TestClient, client: Option<&str>, email: &str, password: &str) -> (u16, Option<u64>) {
    let mut request = app.client.post(app.url("/api/session")).json(&json!({"email": email, "password": password}));
    if let Some(client) = client {
        request = request.header("x-forwarded-for", client);
    }
    let response = request.send().await.unwrap();
    let retry_after = response.headers().get("retry-after").map(|v| v.to_str().unwrap().parse().unwrap());
    (response.status().as_u16(), retry_after)
}

/// How many of `answers` had each status, as (200s, 401s, 429s), checking every 429 says when to come back.
fn tally(answers: &[(u16, Option<u64>)]) -> (usize, usize, usize) {
    for (status, retry_after) in answers {
        assert!(matches!(status, 200 | 401 | 429), "unexpected {status}");
        if *status == 429 {
            assert!(retry_after.is_some_and(|s| s >= 1), "429 without Retry-After");
        }
    }
    let count = |wanted| answers.iter().filter(|(status, _)| *status == wanted).count();
    (count(200), count(401), count(429))
}

pub async fn parallel_guesses_get_no_more_password_checks_than_the_throttle_allows(backend: Backend) {
    let app = spawn_app(backend).await;
    create_user(&app, "ana@example.com").await;

    // Forty wrong guesses at once on a fresh account: five free checks, no more.
    let guesses = (0..40)
        .map(|i| sign_in_from(&app, None, "ana@example.com", if i % 2 == 0 { "guess 1234" } else { "guess 5678" }));
    let (signed_in, checked, throttled) = tally(&join_all(guesses).await);
    assert_eq!((signed_in, checked, throttled), (0, 5, 35));

    // The probe's sequence: one more wrong guess, a wait past it, then 40 wrong and the right one at once.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(sign_in_from(&app, None, "ana@example.com", "guess again").await.0, 401);
    tokio::time::sleep(Duration::from_millis(2200)).await;
    let mut burst: Vec<_> = (0..40).map(|_| sign_in_from(&app, None, "ana@example.com", "guess 9999")).collect();
    burst.push(sign_in_from(&app, None, "ana@example.com", PASSWORD));
    let (signed_in, checked, throttled) = tally(&join_all(burst).await);
    assert!(signed_in + checked <= 1, "{signed_in} sign-ins and {checked} wrong passwords were checked");
    assert_eq!(signed_in + checked + throttled, 41);
}

pub async fn an_attacker_elsewhere_cannot_lock_a_user_out_and_spraying_is_slowed(backend: Backend) {
    let app = spawn_app_with(backend, &[("TRUSTED_PROXIES", "127.0.0.1/32")]).await;
    create_user(&app, "ana@example.com").await;
    let attacker = Some("198.51.100.66");

    for _ in 0..8 {
        sign_in_from(&app, attacker, "ana@example.com", "guess guess").await;
    }
    assert_eq!(sign_in_from(&app, attacker, "ana@example.com", "guess guess").await.0, 429);
    assert_eq!(
        sign_in_from(&app, Some("203.0.113.5"), "ana@example.com", PASSWORD).await.0,
        200,
        "Ana is not locked out"
    );
    // The attacker's own count holds, even for the right password: it is their count, not Ana's.
    assert_eq!(sign_in_from(&app, attacker, "ana@example.com", PASSWORD).await.0, 429);

    // One password tried over many accounts from one address: after the free failures, it waits.
    let sprayer = Some("192.0.2.77");
    let mut answers = Vec::new();
    for n in 0..26 {
        answers.push(sign_in_from(&app, sprayer, &format!("user{n}@example.com"), "Summer2026!").await);
    }
    let (_, checked, throttled) = tally(&answers);
    assert_eq!(checked, 20, "twenty free failures per address");
    assert!(throttled >= 5, "the spray was not slowed: {answers:?}");
    // Anyone else is unaffected.
    assert_eq!(sign_in_from(&app, Some("203.0.113.5"), "bo@example.com", "wrong password").await.0, 401);
}

pub async fn forwarded_for_is_ignored_unless_the_peer_is_a_trusted_proxy(backend: Backend) {
    let app = spawn_app(backend).await;
    create_user(&app, "ana@example.com").await;

    // Rotating a made-up X-Forwarded-For does not make a guesser look like many clients.
    let mut statuses = Vec::new();
    for n in 0..8 {
        statuses.push(sign_in_from(&app, Some(&format!("198.51.100.{n}")), "ana@example.com", "guess guess").await.0);
    }
    assert_eq!(statuses, [401, 401, 401, 401, 401, 429, 429, 429]);
}

pub async fn a_nul_in_a_text_is_stored_as_a_replacement_character(backend: Backend) {
    let app = spawn_app(backend).await;

    let answer = app.text(CUSTOMER, "nul\0byte").await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    let ticket = only_ticket_of(&app, CUSTOMER).await;
    assert_eq!(app.thread(ticket["id"].as_i64().unwrap()).await[0]["body"], "nul\u{FFFD}byte");
    assert_eq!(ticket["last_message"]["preview"], "nul\u{FFFD}byte");

    // The gateway's retry of the same text is recognised, not stored twice or refused.
    let sid = new_sid();
    assert_eq!(app.text_with_sid("+14155550124", OUR_NUMBER, "\0", &sid).await.status, 200);
    assert_eq!(app.text_with_sid("+14155550124", OUR_NUMBER, "\0", &sid).await.status, 200);
    let second = only_ticket_of(&app, "+14155550124").await;
    assert_eq!(app.thread(second["id"].as_i64().unwrap()).await[0]["body"], "\u{FFFD}");

    // A delivery report with a NUL where its error code goes: acknowledged, the non-code not stored.
    let confirmation = &app.thread(ticket["id"].as_i64().unwrap()).await[1];
    app.wait_for_delivery_status(ticket["id"].as_i64().unwrap(), confirmation["id"].as_i64().unwrap(), "sending").await;
    let sid = app.thread(ticket["id"].as_i64().unwrap()).await[1]["provider_message_id"].as_str().unwrap().to_owned();
    assert_eq!(app.status_callback(&sid, "undelivered", Some("300\x0003")).await.status, 204);
    let reported = app
        .wait_for_delivery_status(ticket["id"].as_i64().unwrap(), confirmation["id"].as_i64().unwrap(), "undelivered")
        .await;
    assert_eq!(reported["error_code"], Value::Null);
}

pub async fn a_nul_in_names_emails_templates_or_ids_gets_422_and_changes_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    create_user(&app, "ana@example.com").await;

    let nul_sign_in =
        app.post_anonymous("/api/session", json!({"email": "ana@example.com\u{0}", "password": PASSWORD})).await;
    nul_sign_in.assert_error(422, "invalid_character");
    assert!(nul_sign_in.body["message"].as_str().unwrap().contains("email"), "{}", nul_sign_in.text);
    app.put_json("/api/settings", json!({"confirmation_template": "Ticket {ticket_id}\u{0}"}))
        .await
        .assert_error(422, "invalid_character");
    app.put_json("/api/settings", json!({"business_name": "Acme\u{0}"})).await.assert_error(422, "invalid_character");
    app.post_json("/api/users", json!({"email": "bo@example.com", "name": "B\u{0}o", "role": "agent"}))
        .await
        .assert_error(422, "invalid_character");
    app.post_json("/api/canned-replies", json!({"title": "Hi", "body": "Hello\u{0}"}))
        .await
        .assert_error(422, "invalid_character");

    // A text still opens a ticket with the configured confirmation: the template was not changed.
    app.text(CUSTOMER, "Hello").await;
    let ticket = only_ticket_of(&app, CUSTOMER).await["id"].as_i64().unwrap();
    let thread = app.thread(ticket).await;
    assert_eq!(thread[1]["body"], format!("Thanks for contacting customer support! Your ticket ID is {ticket}."));
    let contact = only_ticket_of(&app, CUSTOMER).await["contact"]["id"].as_i64().unwrap();
    app.patch_json(&format!("/api/contacts/{contact}"), json!({"name": "Ana\u{0}"}))
        .await
        .assert_error(422, "invalid_character");
    app.reply(ticket, "a\u{0}b").await.assert_error(422, "invalid_character");

    // Ids are identifiers, not content: a NUL in one is refused.
    let nul_sid = app
        .post_twilio(
            "/webhooks/twilio",
            &[("MessageSid", "SM0123456789abcdef0123456789abcde\0"), ("From", CUSTOMER), ("To", OUR_NUMBER)],
        )
        .await;
    nul_sid.assert_error(400, "invalid_message_sid");
    let search = app.get("/api/tickets?status=all&q=Hel%00lo").await;
    assert_eq!(search.status, 200, "{}", search.text);
    assert_eq!(app.tickets().await.len(), 1);
}

pub async fn twilio_message_sids_must_be_well_formed(backend: Backend) {
    let app = spawn_app(backend).await;
    let sid = new_sid();
    // A captured request, its signature kept: Twilio signs names and values run together, so moving
    // `NumMedia` into the SID's value leaves the signed text unchanged.
    let captured =
        [("Body", "Hi"), ("From", CUSTOMER), ("MessageSid", sid.as_str()), ("NumMedia", "0"), ("To", OUR_NUMBER)];
    let owned: Vec<(String, String)> = captured.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    let signature = smsdesk::webhooks::twilio_signature::TwilioSignature::new(TWILIO_AUTH_TOKEN)
        .compute(&format!("{PUBLIC_URL}/webhooks/twilio"), &owned);
    assert_eq!(app.post_twilio_signed("/webhooks/twilio", &captured, &signature).await.status, 200);

    let resplit_sid = format!("{sid}NumMedia0");
    let resplit = [("Body", "Hi"), ("From", CUSTOMER), ("MessageSid", resplit_sid.as_str()), ("To", OUR_NUMBER)];
    let answer = app.post_twilio_signed("/webhooks/twilio", &resplit, &signature).await;

    answer.assert_error(400, "invalid_message_sid");
    let ticket = only_ticket_of(&app, CUSTOMER).await;
    assert_eq!(app.thread(ticket["id"].as_i64().unwrap()).await.len(), 2, "the text and its confirmation, once");
    for bad in ["SM1", "CA0123456789abcdef0123456789abcdef", "SM0123456789abcdef0123456789abcdeg"] {
        app.post_twilio("/webhooks/twilio", &[("MessageSid", bad), ("From", CUSTOMER), ("To", OUR_NUMBER)])
            .await
            .assert_error(400, "invalid_message_sid");
        app.post_twilio("/webhooks/twilio/status", &[("MessageSid", bad), ("MessageStatus", "delivered")])
            .await
            .assert_error(400, "invalid_message_sid");
    }
}

pub async fn only_https_media_links_are_stored(backend: Backend) {
    let app = spawn_app(backend).await;
    let sid = new_sid().replacen("SM", "MM", 1);
    app.post_twilio(
        "/webhooks/twilio",
        &[
            ("MessageSid", sid.as_str()),
            ("From", CUSTOMER),
            ("To", OUR_NUMBER),
            ("Body", "Photos"),
            ("NumMedia", "4"),
            ("MediaUrl0", "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1"),
            ("MediaUrl1", "javascript:alert(document.cookie)"),
            ("MediaUrl2", "data:text/html,<script>alert(1)</script>"),
            ("MediaUrl3", "http://example.com/plain.jpg"),
        ],
    )
    .await;

    let ticket = only_ticket_of(&app, CUSTOMER).await;
    let text = &app.thread(ticket["id"].as_i64().unwrap()).await[0];
    assert_eq!(text["body"], "Photos");
    assert_eq!(text["media_urls"], json!(["https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1"]));
}

pub async fn every_answer_carries_the_security_headers(backend: Backend) {
    let app = spawn_app(backend).await;

    for path in ["/healthz", "/api/tickets", "/api/nothing-here", "/", "/api/docs/"] {
        let response = app.client.get(app.url(path)).send().await.unwrap();
        let headers = response.headers();
        let header = |name: &str| headers.get(name).map(|v| v.to_str().unwrap().to_owned());
        assert_eq!(header("x-content-type-options").as_deref(), Some("nosniff"), "{path}");
        assert_eq!(header("referrer-policy").as_deref(), Some("no-referrer"), "{path}");
        assert_eq!(
            header("strict-transport-security").as_deref(),
            Some("max-age=31536000"),
            "{path}: PUBLIC_URL is https"
        );
        let html = header("content-type").is_some_and(|t| t.starts_with("text/html"));
        if html {
            let csp = header("content-security-policy").unwrap_or_default();
            for directive in ["default-src 'self'", "script-src 'self'", "frame-ancestors 'none'"] {
                assert!(csp.contains(directive), "{path}: {csp}");
            }
            assert!(!csp.contains("'unsafe-inline'; img") || !csp.contains("script-src 'self' 'unsafe-inline'"));
            assert_eq!(header("x-frame-options").as_deref(), Some("DENY"), "{path}");
        } else {
            assert_eq!(header("content-security-policy"), None, "{path}: only pages need a policy");
        }
    }
    // The two pages a browser opens are HTML and get the policy.
    for page in ["/", "/api/docs/"] {
        let response = app.client.get(app.url(page)).send().await.unwrap();
        assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/html"), "{page}");
    }

    let plain = spawn_app_with(backend, &[("PUBLIC_URL", "http://desk.example.test")]).await;
    let response = plain.client.get(plain.url("/healthz")).send().await.unwrap();
    assert!(response.headers().get("strict-transport-security").is_none(), "no HSTS over plain HTTP");
    assert!(response.headers().get("x-content-type-options").is_some());
}

/// Opens a connection, sends a request head announcing a 60,000-byte body and then `sent` bytes of it,
/// one every `pace`; returns what the server answered and how long until it closed the connection.
async fn slow_body(port: u16, sent: usize, pace: Duration) -> (String, Duration) {
    let started = Instant::now();
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let head = "POST /webhooks/twilio HTTP/1.1\r\nHost: desk.example.test\r\n\
                Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 60000\r\n\r\n";
    stream.write_all(head.as_bytes()).await.unwrap();
    let (mut reader, mut writer) = stream.into_split();
    let trickle = tokio::spawn(async move {
        for _ in 0..sent {
            if writer.write_all(b"a").await.is_err() {
                return;
            }
            tokio::time::sleep(pace).await;
        }
        // Then stall, keeping the connection open.
        tokio::time::sleep(Duration::from_secs(30)).await;
        drop(writer);
    });
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(15), reader.read_to_end(&mut answer)).await;
    trickle.abort();
    assert!(read.is_ok(), "the connection was still open after 15 s");
    (String::from_utf8_lossy(&answer).into_owned(), started.elapsed())
}

pub async fn a_body_that_arrives_too_slowly_gets_408_and_the_connection_closes(backend: Backend) {
    let app = spawn_app_with(backend, &[("REQUEST_BODY_TIMEOUT", "1")]).await;
    let port: u16 = app.address.rsplit(':').next().unwrap().parse().unwrap();

    // Stalled after a few bytes, and trickled a byte every 100 ms: 50 connections of each at once.
    let stalled = (0..50).map(|_| slow_body(port, 10, Duration::ZERO));
    let trickled = (0..50).map(|_| slow_body(port, 1_000, Duration::from_millis(100)));
    let (stalled, trickled) = tokio::join!(join_all(stalled), join_all(trickled));

    for (answer, took) in stalled.iter().chain(&trickled) {
        assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
        assert!(answer.contains("\"error\":\"request_timeout\""), "{answer}");
        assert!(*took < Duration::from_secs(5), "closed only after {took:?}");
    }
    // The server is fine afterwards, and a body that arrives in time is unaffected.
    assert_eq!(app.text(CUSTOMER, "Still here?").await.status, 200);
}

pub async fn agents_send_only_from_numbers_of_ours(backend: Backend) {
    let app = spawn_app(backend).await;
    let start = |from: Option<&str>, to: &str| {
        let mut body = json!({"to": to, "body": "Hello from us"});
        if let Some(from) = from {
            body["from"] = json!(from);
        }
        app.post_json("/api/conversations", body)
    };

    let foreign = start(Some("+12025550123"), "+14155550130").await;
    foreign.assert_error(422, "unknown_sender_number");
    // Our configured number (TWILIO_PHONE_NUMBER) and the default sender.
    assert_eq!(start(Some(OUR_NUMBER), "+14155550131").await.status, 201);
    assert_eq!(start(None, "+14155550132").await.status, 201);
    // A number customers text us on is ours.
    start(Some(OTHER_NUMBER_OF_OURS), "+14155550133").await.assert_error(422, "unknown_sender_number");
    app.text_with_sid(CUSTOMER, OTHER_NUMBER_OF_OURS, "Hi", &new_sid()).await;
    assert_eq!(start(Some(OTHER_NUMBER_OF_OURS), "+14155550133").await.status, 201);
    // Numbers admins list in the settings are ours.
    let listed = "+14155550177";
    start(Some(listed), "+14155550134").await.assert_error(422, "unknown_sender_number");
    let saved = app.put_json("/api/settings", json!({"sender_numbers": ["+1 415 555 0177"]})).await;
    assert_eq!(saved.body["sender_numbers"], json!([listed]), "{}", saved.text);
    assert_eq!(start(Some(listed), "+14155550134").await.status, 201);

    let numbers = app.get("/api/numbers").await;
    assert_eq!(numbers.status, 200, "{}", numbers.text);
    let listed_numbers: Vec<&str> =
        numbers.body.as_array().unwrap().iter().map(|n| n["number"].as_str().unwrap()).collect();
    assert_eq!(listed_numbers, [OUR_NUMBER, listed, OTHER_NUMBER_OF_OURS]);
    assert_eq!(numbers.body[0]["default"], true);
    assert_eq!(numbers.body[0]["display"], "+1 415-555-0100");
    let agent = new_token(&app.db, smsdesk::domain::Role::Agent).await;
    assert_eq!(app.get_as("/api/numbers", &agent).await.status, 200, "agents pick a sender too");

    // The gateway was never asked to send from the foreign number.
    app.wait_until("sent", Duration::from_secs(10), || async { app.gateway_requests().await.len() >= 4 }).await;
    assert!(app.gateway_requests().await.iter().all(|sms| sms.from != "+12025550123"));

    // The simulator files texts only to numbers of ours.
    app.put_json("/api/settings", json!({"sms_simulator_enabled": true})).await;
    let refused = app
        .post_json("/api/simulator/messages", json!({"from": "+14155550140", "to": "+12025550123", "body": "Hi"}))
        .await;
    refused.assert_error(422, "unknown_sender_number");
}
