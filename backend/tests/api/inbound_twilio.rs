#![allow(clippy::unwrap_used)]

use std::time::Duration;

use serde_json::json;

use crate::helpers::*;

pub async fn first_text_opens_a_ticket_and_queues_one_confirmation_with_its_id(backend: Backend) {
    let app = spawn_app(backend).await;

    let answer = app.text(CUSTOMER, "My parcel never arrived").await;

    assert_eq!(answer.status, 200, "{}", answer.text);
    assert!(answer.content_type.starts_with("text/xml"));
    assert!(answer.text.contains("<Response/>"));
    let ticket = only_ticket_of(&app, CUSTOMER).await;
    assert_eq!(ticket["status"], "open");
    assert_eq!(ticket["customer_number"], CUSTOMER);
    assert_eq!(ticket["channel_number"], OUR_NUMBER);
    let id = ticket["id"].as_i64().unwrap();
    let expected = format!("Thanks for contacting customer support! Your ticket ID is {id}.");
    let thread = app.thread(id).await;
    assert_eq!(thread.len(), 2);
    assert_eq!(thread[0]["direction"], "inbound");
    assert_eq!(thread[0]["body"], "My parcel never arrived");
    assert_eq!(thread[1]["direction"], "outbound");
    assert_eq!(thread[1]["body"], expected);
    // The confirmation goes out through the gateway, from the number the customer texted.
    app.wait_until("confirmation sent", Duration::from_secs(10), || async { !app.gateway_requests().await.is_empty() })
        .await;
    let sent = app.gateway_requests().await;
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].to, CUSTOMER);
    assert_eq!(sent[0].from, OUR_NUMBER);
    assert_eq!(sent[0].body, expected);
    assert_eq!(sent[0].status_callback.as_deref(), Some("https://desk.example.test/webhooks/twilio/status"));
    app.wait_for_delivery_status(id, thread[1]["id"].as_i64().unwrap(), "sending").await;
}

pub async fn second_text_from_same_number_joins_open_ticket_without_confirmation(backend: Backend) {
    let app = spawn_app(backend).await;

    app.text(CUSTOMER, "Hello").await;
    let answer = app.text(CUSTOMER, "Are you there?").await;

    assert_eq!(answer.status, 200);
    let ticket = only_ticket_of(&app, CUSTOMER).await;
    let thread = app.thread(ticket["id"].as_i64().unwrap()).await;
    let bodies: Vec<&str> = thread.iter().map(|m| m["body"].as_str().unwrap()).collect();
    assert_eq!(bodies.len(), 3, "{bodies:?}");
    assert_eq!(bodies[0], "Hello");
    assert_eq!(bodies[2], "Are you there?");
    assert_eq!(thread.iter().filter(|m| m["direction"] == "outbound").count(), 1);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(app.gateway_requests().await.len(), 1, "only one confirmation may go out");
}

pub async fn texts_to_different_numbers_of_ours_are_different_tickets(backend: Backend) {
    let app = spawn_app(backend).await;

    app.text_with_sid(CUSTOMER, OUR_NUMBER, "To sales", &new_sid()).await;
    app.text_with_sid(CUSTOMER, OTHER_NUMBER_OF_OURS, "To support", &new_sid()).await;

    let tickets = app.tickets().await;
    assert_eq!(tickets.len(), 2);
    let channels: Vec<&str> = tickets.iter().map(|t| t["channel_number"].as_str().unwrap()).collect();
    assert!(channels.contains(&OUR_NUMBER) && channels.contains(&OTHER_NUMBER_OF_OURS));
    app.wait_until("two confirmations", Duration::from_secs(10), || async { app.gateway_requests().await.len() == 2 })
        .await;
    let mut senders: Vec<String> = app.gateway_requests().await.into_iter().map(|s| s.from).collect();
    senders.sort();
    assert_eq!(senders, [OUR_NUMBER, OTHER_NUMBER_OF_OURS]);
}

pub async fn forty_simultaneous_texts_from_a_new_number_make_one_ticket_and_one_confirmation(backend: Backend) {
    let app = spawn_app(backend).await;

    let texts = (0..40).map(|i| {
        let app = &app;
        async move { app.text(CUSTOMER, &format!("part {i}")).await.status }
    });
    let statuses = futures::future::join_all(texts).await;

    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    let ticket = only_ticket_of(&app, CUSTOMER).await;
    let thread = app.thread(ticket["id"].as_i64().unwrap()).await;
    assert_eq!(thread.iter().filter(|m| m["direction"] == "inbound").count(), 40, "every text is kept");
    assert_eq!(thread.iter().filter(|m| m["direction"] == "outbound").count(), 1, "one confirmation");
    app.wait_until("confirmation sent", Duration::from_secs(10), || async { !app.gateway_requests().await.is_empty() })
        .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(app.gateway_requests().await.len(), 1);
}

/// Each server process commits its writes in groups; two groups holding rows the other wants must not
/// deadlock (PostgreSQL would fail one of the texts after a second).
pub async fn customers_texting_two_server_processes_at_once_lose_nothing(backend: Backend) {
    if backend == Backend::Sqlite {
        // One SQLite database serves one process; replicas are a PostgreSQL set-up.
        return;
    }
    let first = spawn_app(backend).await;
    let second = spawn_replica(&first).await;
    let customers: Vec<String> = (0..6).map(|i| format!("+1415555070{i}")).collect();

    // Every customer texts both processes, in opposite orders, all at once.
    let texts = customers.iter().enumerate().flat_map(|(c, customer)| {
        let (first, second) = (&first, &second);
        (0..10).map(move |n| async move {
            let app = if (c + n) % 2 == 0 { first } else { second };
            app.text(customer, &format!("part {n}")).await.status
        })
    });
    let statuses = futures::future::join_all(texts).await;

    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    for customer in &customers {
        let ticket = only_ticket_of(&first, customer).await;
        let thread = second.thread(ticket["id"].as_i64().unwrap()).await;
        assert_eq!(thread.iter().filter(|m| m["direction"] == "inbound").count(), 10, "{customer}: every text kept");
        assert_eq!(thread.iter().filter(|m| m["direction"] == "outbound").count(), 1, "{customer}: one confirmation");
    }
}

pub async fn replayed_webhook_answers_ok_and_changes_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let sid = new_sid();

    let first = app.text_with_sid(CUSTOMER, OUR_NUMBER, "Hi", &sid).await;
    let ticket_before = only_ticket_of(&app, CUSTOMER).await;
    let replay = app.text_with_sid(CUSTOMER, OUR_NUMBER, "Hi", &sid).await;

    assert_eq!((first.status, replay.status), (200, 200));
    let ticket_after = only_ticket_of(&app, CUSTOMER).await;
    assert_eq!(ticket_before, ticket_after, "a replay must not even touch updated_at");
    assert_eq!(app.thread(ticket_after["id"].as_i64().unwrap()).await.len(), 2);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(app.gateway_requests().await.len(), 1);
}

pub async fn simultaneous_replays_of_one_message_store_it_once(backend: Backend) {
    let app = spawn_app(backend).await;
    let sid = new_sid();

    let replays = (0..10).map(|_| app.text_with_sid(CUSTOMER, OUR_NUMBER, "Once", &sid));
    let answers = futures::future::join_all(replays).await;

    assert!(answers.iter().all(|a| a.status == 200));
    let ticket = only_ticket_of(&app, CUSTOMER).await;
    let thread = app.thread(ticket["id"].as_i64().unwrap()).await;
    assert_eq!(thread.iter().filter(|m| m["direction"] == "inbound").count(), 1);
    assert_eq!(thread.iter().filter(|m| m["direction"] == "outbound").count(), 1);
}

/// Texts arriving together are committed as a group; a gateway's retry among them (a duplicate) fails and
/// must undo only itself, whatever the group does to recover.
pub async fn a_burst_of_texts_with_gateway_retries_among_them_stores_each_text_once(backend: Backend) {
    let app = spawn_app(backend).await;
    let customers: Vec<String> = (0..8).map(|i| format!("+1415555071{i}")).collect();
    let texts: Vec<(&str, String, String)> = customers
        .iter()
        .flat_map(|customer| (0..5).map(move |n| (customer.as_str(), format!("part {n}"), new_sid())))
        .collect();

    // Every text twice, all at once: the first try and the gateway's retry of it.
    let sends =
        texts.iter().chain(&texts).map(|(customer, body, sid)| app.text_with_sid(customer, OUR_NUMBER, body, sid));
    let answers = futures::future::join_all(sends).await;

    assert!(answers.iter().all(|a| a.status == 200), "{:?}", answers.iter().map(|a| a.status).collect::<Vec<_>>());
    for customer in &customers {
        let ticket = only_ticket_of(&app, customer).await;
        assert_eq!(ticket["message_count"], 6, "{customer}: {ticket}");
        let thread = app.thread(ticket["id"].as_i64().unwrap()).await;
        let mut inbound: Vec<&str> =
            thread.iter().filter(|m| m["direction"] == "inbound").map(|m| m["body"].as_str().unwrap()).collect();
        inbound.sort_unstable();
        assert_eq!(inbound, ["part 0", "part 1", "part 2", "part 3", "part 4"], "{customer}: each text once");
        assert_eq!(thread.iter().filter(|m| m["direction"] == "outbound").count(), 1, "{customer}: one confirmation");
    }
}

pub async fn text_to_a_pending_ticket_reopens_it(backend: Backend) {
    let app = spawn_app(backend).await;
    app.text(CUSTOMER, "Hello").await;
    let id = only_ticket_of(&app, CUSTOMER).await["id"].as_i64().unwrap();
    let pending = app.patch_json(&format!("/api/tickets/{id}"), json!({"status": "pending"})).await;
    assert_eq!(pending.body["status"], "pending");

    app.text(CUSTOMER, "Here is the photo you asked for").await;

    let ticket = only_ticket_of(&app, CUSTOMER).await;
    assert_eq!(ticket["id"], id);
    assert_eq!(ticket["status"], "open");
}

pub async fn text_after_close_opens_a_new_ticket_with_a_new_confirmation(backend: Backend) {
    let app = spawn_app(backend).await;
    app.text(CUSTOMER, "First problem").await;
    let first = only_ticket_of(&app, CUSTOMER).await["id"].as_i64().unwrap();
    app.patch_json(&format!("/api/tickets/{first}"), json!({"status": "closed"})).await;

    app.text(CUSTOMER, "Another problem").await;

    let tickets = app.get(&format!("/api/tickets?customer_number={}", urlencode(CUSTOMER))).await.body["tickets"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(tickets.len(), 2);
    let newest = &tickets[0];
    assert_ne!(newest["id"], first);
    assert_eq!(newest["status"], "open");
    assert_eq!(tickets[1]["status"], "closed", "the closed ticket stays closed");
    assert!(newest["contact"]["id"].is_i64());
    assert_eq!(newest["contact"]["id"], tickets[1]["contact"]["id"], "the customer is the same contact");
    assert_eq!(newest["message_count"], 2);
    let second = newest["id"].as_i64().unwrap();
    let thread = app.thread(second).await;
    assert_eq!(thread[0]["body"], "Another problem");
    assert_eq!(thread[1]["body"], format!("Thanks for contacting customer support! Your ticket ID is {second}."));
    assert_eq!(app.thread(first).await.len(), 2, "nothing joined the closed ticket");
}

pub async fn forged_missing_or_misaddressed_signatures_are_refused_and_nothing_is_stored(backend: Backend) {
    let app = spawn_app(backend).await;
    let params = [
        ("MessageSid", "SM80feeaf91f1af5aeae16a69d97ea9030"),
        ("From", CUSTOMER),
        ("To", OUR_NUMBER),
        ("Body", "Forged"),
    ];
    let owned: Vec<(String, String)> = params.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    let wrong_token = smsdesk::webhooks::twilio_signature::TwilioSignature::new("not-the-token")
        .compute(&format!("{PUBLIC_URL}/webhooks/twilio"), &owned);
    let other_url = smsdesk::webhooks::twilio_signature::TwilioSignature::new(TWILIO_AUTH_TOKEN)
        .compute("https://attacker.example/webhooks/twilio", &owned);
    let mut tampered = owned.clone();
    tampered[3].1 = "Original".into();
    let for_other_body = smsdesk::webhooks::twilio_signature::TwilioSignature::new(TWILIO_AUTH_TOKEN)
        .compute(&format!("{PUBLIC_URL}/webhooks/twilio"), &tampered);

    for signature in [wrong_token.as_str(), other_url.as_str(), for_other_body.as_str(), "", "bm90IGEgc2lnbmF0dXJl"] {
        app.post_twilio_signed("/webhooks/twilio", &params, signature).await.assert_error(403, "invalid_signature");
    }
    let unsigned = app.client.post(app.url("/webhooks/twilio")).form(&params).send().await.unwrap();
    assert_eq!(unsigned.status(), 403);
    let forged_status = app
        .post_twilio_signed(
            "/webhooks/twilio/status",
            &[("MessageSid", "SMd36c0364e3842955b2c8f86da3bd8ad6"), ("MessageStatus", "delivered")],
            "x",
        )
        .await;
    forged_status.assert_error(403, "invalid_signature");

    assert!(app.tickets().await.is_empty());
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(app.gateway_requests().await.is_empty());
}

/// twilio-python's test vector (token 12345): valid for its own URL only, so replayed to us it is refused;
/// the same token signing our URL is accepted.
pub async fn official_twilio_vector_signs_only_its_own_url(backend: Backend) {
    let app = spawn_app_with(backend, &[("TWILIO_AUTH_TOKEN", "12345"), ("PUBLIC_URL", "https://mycompany.com")]).await;
    let params = [
        ("CallSid", "CA1234567890ABCDE"),
        ("Caller", "+14158675309"),
        ("Digits", "1234"),
        ("From", "+14158675309"),
        ("To", "+18005551212"),
    ];
    let owned: Vec<(String, String)> = params.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    let validator = smsdesk::webhooks::twilio_signature::TwilioSignature::new("12345");
    assert_eq!(
        validator.compute("https://mycompany.com/myapp.php?foo=1&bar=2", &owned),
        "RSOYDt4T1cUTdK1PDd93/VVr8B8="
    );

    let replayed = app.post_twilio_signed("/webhooks/twilio", &params, "RSOYDt4T1cUTdK1PDd93/VVr8B8=").await;
    replayed.assert_error(403, "invalid_signature");

    let mut sms = owned.clone();
    sms.push(("MessageSid".into(), "SMc0de5cff7def560a364f71eb8373f410".into()));
    sms.push(("Body".into(), "Signed with the vector's token".into()));
    let ours = validator.compute("https://mycompany.com/webhooks/twilio", &sms);
    let sms_refs: Vec<(&str, &str)> = sms.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let accepted = app.post_twilio_signed("/webhooks/twilio", &sms_refs, &ours).await;
    assert_eq!(accepted.status, 200, "{}", accepted.text);
    assert_eq!(only_ticket_of(&app, "+14158675309").await["channel_number"], "+18005551212");
}

pub async fn signature_checking_can_be_turned_off_explicitly(backend: Backend) {
    let app = spawn_app_with(backend, &[("TWILIO_VERIFY_SIGNATURES", "false")]).await;

    let answer = app
        .post_twilio_signed(
            "/webhooks/twilio",
            &[
                ("MessageSid", "SMbed20452e906071ba3168072bfd12c94"),
                ("From", CUSTOMER),
                ("To", OUR_NUMBER),
                ("Body", "No signature"),
            ],
            "",
        )
        .await;

    assert_eq!(answer.status, 200, "{}", answer.text);
    assert_eq!(app.tickets().await.len(), 1);
}

pub async fn without_an_auth_token_twilio_webhooks_are_refused(backend: Backend) {
    let app = spawn_app_with(backend, &[("SMS_GATEWAY", "console"), ("TWILIO_AUTH_TOKEN", "")]).await;

    let answer = app.text(CUSTOMER, "Hello?").await;

    answer.assert_error(403, "webhook_not_configured");
    assert!(app.tickets().await.is_empty());
}

pub async fn malformed_and_incomplete_webhooks_get_clear_errors(backend: Backend) {
    let app = spawn_app_with(backend, &[("TWILIO_VERIFY_SIGNATURES", "false")]).await;

    let no_from = app
        .post_twilio("/webhooks/twilio", &[("MessageSid", "SMd36c0364e3842955b2c8f86da3bd8ad6"), ("To", OUR_NUMBER)])
        .await;
    no_from.assert_error(400, "missing_field");
    let no_sid = app.post_twilio("/webhooks/twilio", &[("From", CUSTOMER), ("To", OUR_NUMBER)]).await;
    no_sid.assert_error(400, "missing_field");
    let bad_number = app
        .post_twilio(
            "/webhooks/twilio",
            &[("MessageSid", "SM9923dbfca747779f48461902184c2b9f"), ("From", "not-a-number"), ("To", OUR_NUMBER)],
        )
        .await;
    bad_number.assert_error(422, "invalid_phone_number");
    let whatsapp = app
        .post_twilio(
            "/webhooks/twilio",
            &[
                ("MessageSid", "SMcd3d4f4f9fc6592ad019629556d32ce3"),
                ("From", "whatsapp:+14155550123"),
                ("To", OUR_NUMBER),
            ],
        )
        .await;
    whatsapp.assert_error(422, "invalid_phone_number");
    let garbage = app.client.post(app.url("/webhooks/twilio")).body(vec![0xff, 0xfe, b'%', b'=']).send().await.unwrap();
    assert_eq!(garbage.status(), 400);
    let huge = app
        .client
        .post(app.url("/webhooks/twilio"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("Body={}", "a".repeat(200_000)))
        .send()
        .await
        .unwrap();
    assert_eq!(huge.status(), 413);
    let huge: serde_json::Value = huge.json().await.unwrap();
    assert_eq!(huge["error"], "payload_too_large");
    assert!(app.tickets().await.is_empty());
}

pub async fn phone_numbers_are_normalised_to_e164(backend: Backend) {
    let app = spawn_app_with(backend, &[("TWILIO_VERIFY_SIGNATURES", "false")]).await;

    app.text_with_sid("+1 (415) 555-0123", "+1 415 555 0100", "spaced", &new_sid()).await;
    app.text_with_sid("0014155550123", OUR_NUMBER, "international prefix", &new_sid()).await;

    let ticket = only_ticket_of(&app, CUSTOMER).await;
    assert_eq!(ticket["channel_number"], OUR_NUMBER);
    assert_eq!(app.thread(ticket["id"].as_i64().unwrap()).await.len(), 3, "both texts joined one ticket");
}

pub async fn media_urls_are_kept_with_the_message(backend: Backend) {
    let app = spawn_app(backend).await;
    let sid = new_sid();
    let answer = app
        .post_twilio(
            "/webhooks/twilio",
            &[
                ("MessageSid", &sid),
                ("From", CUSTOMER),
                ("To", OUR_NUMBER),
                ("Body", ""),
                ("NumMedia", "2"),
                ("MediaUrl0", "https://api.twilio.com/media/ME1"),
                ("MediaContentType0", "image/jpeg"),
                ("MediaUrl1", "https://api.twilio.com/media/ME2"),
                ("MediaContentType1", "image/png"),
            ],
        )
        .await;
    assert_eq!(answer.status, 200, "{}", answer.text);

    let ticket = only_ticket_of(&app, CUSTOMER).await;
    let thread = app.thread(ticket["id"].as_i64().unwrap()).await;
    assert_eq!(thread[0]["body"], "");
    assert_eq!(
        thread[0]["media_urls"],
        json!(["https://api.twilio.com/media/ME1", "https://api.twilio.com/media/ME2"])
    );
}

pub async fn confirmation_uses_the_configured_template(backend: Backend) {
    let app = spawn_app_with(
        backend,
        &[("CONFIRMATION_TEMPLATE", "Acme support here. Ticket #{ticket_id} - reply anytime.")],
    )
    .await;

    app.text(CUSTOMER, "Hi").await;

    let id = only_ticket_of(&app, CUSTOMER).await["id"].as_i64().unwrap();
    app.wait_until("confirmation sent", Duration::from_secs(10), || async { !app.gateway_requests().await.is_empty() })
        .await;
    assert_eq!(app.gateway_requests().await[0].body, format!("Acme support here. Ticket #{id} - reply anytime."));
}
