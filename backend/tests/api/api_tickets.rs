#![allow(clippy::unwrap_used)]

use std::time::Duration;

use serde_json::{Value, json};
use smsdesk::domain::Role;

use crate::helpers::*;

pub async fn requests_without_a_valid_token_get_401(backend: Backend) {
    let app = spawn_app(backend).await;

    let missing = app.client.get(app.url("/api/tickets")).send().await.unwrap();
    assert_eq!(missing.status(), 401);
    let body: Value = missing.json().await.unwrap();
    assert_eq!(body["error"], "unauthorized");
    app.get_as("/api/tickets", "smsdesk_0000").await.assert_error(401, "unauthorized");
    let basic = app.client.get(app.url("/api/tickets")).basic_auth("admin", Some(&app.token)).send().await.unwrap();
    assert_eq!(basic.status(), 401);
    let unauthorised_post =
        app.client.post(app.url("/api/tickets/1/messages")).json(&json!({"body": "x"})).send().await;
    assert_eq!(unauthorised_post.unwrap().status(), 401);

    let agent = new_token(&app.db, Role::Agent).await;
    assert_eq!(app.get_as("/api/tickets", &agent).await.status, 200, "agents may use the ticket API");
}

pub async fn tickets_list_newest_activity_first_with_filters(backend: Backend) {
    let app = spawn_app(backend).await;
    for i in 0..3 {
        app.text(&format!("+1415555040{i}"), "hello").await;
    }
    // Activity on the oldest ticket moves it to the top.
    app.text("+14155550400", "me again").await;
    let oldest = only_ticket_of(&app, "+14155550400").await["id"].as_i64().unwrap();
    let middle = only_ticket_of(&app, "+14155550401").await["id"].as_i64().unwrap();
    app.patch_json(&format!("/api/tickets/{middle}"), json!({"status": "closed"})).await;

    let all = app.get("/api/tickets").await;
    let ids: Vec<i64> = all.body["tickets"].as_array().unwrap().iter().map(|t| t["id"].as_i64().unwrap()).collect();
    assert_eq!(ids.len(), 3, "no filter lists every status");
    assert_eq!(ids[0], middle, "closing is activity too");
    assert_eq!(ids[1], oldest);

    let open = app.get("/api/tickets?status=open").await.body["tickets"].as_array().unwrap().clone();
    assert_eq!(open.len(), 2);
    assert!(open.iter().all(|t| t["status"] == "open"));
    let closed = app.get("/api/tickets?status=closed").await.body["tickets"].as_array().unwrap().clone();
    assert_eq!(closed.len(), 1);
    assert_eq!(app.get("/api/tickets?status=all").await.body["tickets"].as_array().unwrap().len(), 3);
    let by_number = app.get("/api/tickets?customer_number=%2B1%20415%20555%200402").await;
    assert_eq!(by_number.body["tickets"].as_array().unwrap().len(), 1, "the filter number is normalised too");
    assert_eq!(by_number.body["tickets"][0]["customer_number"], "+14155550402");

    for key in ["id", "customer_number", "channel_number", "status", "created_at", "updated_at"] {
        assert!(!open[0][key].is_null(), "ticket JSON has {key}");
    }
    let created_at = open[0]["created_at"].as_str().unwrap();
    assert!(chrono::DateTime::parse_from_rfc3339(created_at).is_ok() && created_at.ends_with('Z'), "{created_at}");
}

pub async fn tickets_list_pages_with_a_cursor(backend: Backend) {
    let app = spawn_app(backend).await;
    for i in 0..5 {
        app.text(&format!("+1415555011{i}"), "hello").await;
    }

    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..5 {
        let path = match &cursor {
            Some(c) => format!("/api/tickets?limit=2&cursor={c}"),
            None => "/api/tickets?limit=2".to_owned(),
        };
        let page = app.get(&path).await;
        assert_eq!(page.status, 200, "{}", page.text);
        seen.extend(page.body["tickets"].as_array().unwrap().iter().map(|t| t["id"].as_i64().unwrap()));
        cursor = page.body["next_cursor"].as_str().map(str::to_owned);
        if cursor.is_none() {
            break;
        }
    }
    let mut expected = seen.clone();
    expected.sort_unstable_by(|a, b| b.cmp(a));
    assert_eq!(seen.len(), 5, "every ticket once: {seen:?}");
    assert_eq!(seen, expected, "newest first across pages");
}

pub async fn ticket_and_thread_are_readable_oldest_message_first(backend: Backend) {
    let app = spawn_app(backend).await;
    app.text(CUSTOMER, "one").await;
    app.text(CUSTOMER, "two").await;
    let id = only_ticket_of(&app, CUSTOMER).await["id"].as_i64().unwrap();
    app.reply(id, "three").await;

    let ticket = app.get(&format!("/api/tickets/{id}")).await;
    assert_eq!(ticket.status, 200);
    assert_eq!(ticket.body["id"], id);
    let thread = app.thread(id).await;
    let bodies: Vec<&str> = thread.iter().map(|m| m["body"].as_str().unwrap()).collect();
    assert_eq!(bodies[0], "one");
    assert_eq!(bodies[2], "two");
    assert_eq!(bodies[3], "three");
    for key in ["id", "ticket_id", "direction", "internal", "body", "created_at", "delivery_status", "error_code"] {
        assert!(thread[0].get(key).is_some(), "message JSON has {key}");
    }
    assert_eq!(thread[0]["delivery_status"], Value::Null, "inbound texts have no delivery status");
    app.get("/api/tickets/999999").await.assert_error(404, "not_found");
    app.get("/api/tickets/999999/messages").await.assert_error(404, "not_found");
}

pub async fn reply_is_stored_queued_and_sent_from_the_number_the_customer_texted(backend: Backend) {
    let app = spawn_app(backend).await;
    app.text_with_sid(CUSTOMER, OTHER_NUMBER_OF_OURS, "Hi", &new_sid()).await;
    let id = only_ticket_of(&app, CUSTOMER).await["id"].as_i64().unwrap();

    let reply = app.reply(id, "We are looking into it.").await;

    assert_eq!(reply.status, 201, "{}", reply.text);
    assert_eq!(reply.body["direction"], "outbound");
    assert_eq!(reply.body["internal"], false);
    assert_eq!(reply.body["delivery_status"], "queued");
    assert!(reply.body["author_id"].is_i64());
    app.wait_until("reply sent", Duration::from_secs(10), || async {
        app.gateway_requests().await.iter().any(|s| s.body == "We are looking into it.")
    })
    .await;
    let sent = app.gateway_requests().await.into_iter().find(|s| s.body == "We are looking into it.").unwrap();
    assert_eq!(sent.to, CUSTOMER);
    assert_eq!(sent.from, OTHER_NUMBER_OF_OURS);
    let expected_auth = format!(
        "Basic {}",
        base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            format!("{TWILIO_ACCOUNT_SID}:{TWILIO_AUTH_TOKEN}")
        )
    );
    assert_eq!(sent.authorization.as_deref(), Some(expected_auth.as_str()));
    app.wait_for_delivery_status(id, reply.body["id"].as_i64().unwrap(), "sending").await;
}

pub async fn internal_note_is_never_sent(backend: Backend) {
    let app = spawn_app(backend).await;
    app.text(CUSTOMER, "Hi").await;
    let id = only_ticket_of(&app, CUSTOMER).await["id"].as_i64().unwrap();
    app.wait_until("confirmation sent", Duration::from_secs(10), || async { !app.gateway_requests().await.is_empty() })
        .await;

    let note =
        app.post_json(&format!("/api/tickets/{id}/messages"), json!({"body": "VIP customer", "internal": true})).await;

    assert_eq!(note.status, 201, "{}", note.text);
    assert_eq!(note.body["internal"], true);
    assert_eq!(note.body["delivery_status"], Value::Null);
    assert!(app.thread(id).await.iter().any(|m| m["body"] == "VIP customer" && m["internal"] == true));
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert!(app.gateway_requests().await.iter().all(|s| s.body != "VIP customer"));
}

pub async fn status_changes_follow_the_rules(backend: Backend) {
    let app = spawn_app(backend).await;
    app.text(CUSTOMER, "Hi").await;
    let id = only_ticket_of(&app, CUSTOMER).await["id"].as_i64().unwrap();
    let path = format!("/api/tickets/{id}");

    let pending = app.patch_json(&path, json!({"status": "pending"})).await;
    assert_eq!((pending.status, pending.body["status"].as_str()), (200, Some("pending")));
    let open = app.patch_json(&path, json!({"status": "open"})).await;
    assert_eq!(open.body["status"], "open");
    let closed = app.patch_json(&path, json!({"status": "closed"})).await;
    assert_eq!(closed.body["status"], "closed");
    assert!(closed.body["closed_at"].is_string());
    let again = app.patch_json(&path, json!({"status": "closed"})).await;
    assert_eq!(again.status, 200, "closing a closed ticket changes nothing");

    // Replies wait for a reopen (timeline.rs covers reopening).
    app.reply(id, "Are you still there?").await.assert_error(409, "ticket_closed");
    app.patch_json(&path, json!({"status": "reopened"})).await.assert_error(422, "invalid_status");
    app.patch_json(&path, json!({})).await.assert_error(422, "nothing_to_change");
    app.patch_json("/api/tickets/424242", json!({"status": "closed"})).await.assert_error(404, "not_found");
}

pub async fn bad_input_gets_the_right_status_and_a_json_error(backend: Backend) {
    let app = spawn_app(backend).await;
    app.text(CUSTOMER, "Hi").await;
    let id = only_ticket_of(&app, CUSTOMER).await["id"].as_i64().unwrap();
    let messages = format!("/api/tickets/{id}/messages");

    app.post_json(&messages, json!({"body": "   "})).await.assert_error(422, "empty_body");
    app.post_json(&messages, json!({"body": "x".repeat(1601)})).await.assert_error(422, "body_too_long");
    app.post_json(&messages, json!({"internal": true})).await.assert_error(422, "invalid_body");
    app.post_json(&messages, json!({"body": 42})).await.assert_error(422, "invalid_body");
    app.post_json(&messages, json!({"body": "x", "internal": "yes"})).await.assert_error(422, "invalid_body");
    app.post_json("/api/tickets/777777/messages", json!({"body": "x"})).await.assert_error(404, "not_found");

    let send_raw = |body: &'static str, content_type: &'static str| {
        let request =
            app.client.post(app.url(&messages)).bearer_auth(&app.token).header("content-type", content_type).body(body);
        async move { request.send().await.unwrap() }
    };
    let malformed = send_raw("{\"body\": ", "application/json").await;
    assert_eq!(malformed.status(), 400);
    assert_eq!(malformed.json::<Value>().await.unwrap()["error"], "malformed_json");
    let wrong_type = send_raw("body=hi", "application/x-www-form-urlencoded").await;
    assert_eq!(wrong_type.status(), 415);
    assert_eq!(wrong_type.json::<Value>().await.unwrap()["error"], "unsupported_media_type");
    let oversized = app
        .client
        .post(app.url(&messages))
        .bearer_auth(&app.token)
        .json(&json!({"body": "x".repeat(100_000)}))
        .send()
        .await
        .unwrap();
    assert_eq!(oversized.status(), 413);
    assert_eq!(oversized.json::<Value>().await.unwrap()["error"], "payload_too_large");

    app.get("/api/tickets?status=nope").await.assert_error(422, "invalid_status");
    app.get("/api/tickets?limit=0").await.assert_error(422, "invalid_limit");
    app.get("/api/tickets?limit=lots").await.assert_error(400, "invalid_query");
    app.get("/api/tickets?cursor=garbage!").await.assert_error(400, "invalid_cursor");
    app.get("/api/tickets?customer_number=hello").await.assert_error(422, "invalid_phone_number");
    app.get("/api/tickets/not-a-number").await.assert_error(404, "not_found");
    app.get("/api/tickets/99999999999999999999999").await.assert_error(404, "not_found");

    // Nothing above changed the thread.
    assert_eq!(app.thread(id).await.len(), 2);
}

pub async fn unknown_routes_and_methods_answer_json(backend: Backend) {
    let app = spawn_app(backend).await;

    app.get("/api/nothing-here").await.assert_error(404, "not_found");
    let put = app.client.put(app.url("/api/tickets/1")).bearer_auth(&app.token).send().await.unwrap();
    assert_eq!(put.status(), 405);
    assert_eq!(put.json::<Value>().await.unwrap()["error"], "method_not_allowed");
    let get_webhook = app.client.get(app.url("/webhooks/twilio")).send().await.unwrap();
    assert_eq!(get_webhook.status(), 405);
}

pub async fn health_reports_ok(backend: Backend) {
    let app = spawn_app(backend).await;

    let health = app.client.get(app.url("/healthz")).send().await.unwrap();

    assert_eq!(health.status(), 200);
    assert_eq!(health.json::<Value>().await.unwrap()["status"], "ok");
}

pub async fn the_openapi_document_and_its_browsable_page_are_served(backend: Backend) {
    let app = spawn_app(backend).await;

    let document = app.client.get(app.url("/api/openapi.json")).send().await.unwrap();

    assert_eq!(document.status(), 200);
    let document: Value = document.json().await.unwrap();
    assert_eq!(document["openapi"], "3.1.0");
    for (path, method) in [
        ("/api/tickets", "get"),
        ("/api/tickets/{id}/messages", "post"),
        ("/api/session", "post"),
        ("/api/settings", "put"),
        ("/webhooks/twilio", "post"),
        ("/healthz", "get"),
    ] {
        assert!(document["paths"][path][method].is_object(), "{method} {path} is documented");
    }
    let responses_without_description = document["paths"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|item| item.as_object().unwrap().values())
        .flat_map(|operation| operation["responses"].as_object().unwrap().values())
        .filter(|response| response["description"].as_str().is_none_or(str::is_empty))
        .count();
    assert_eq!(responses_without_description, 0, "OpenAPI requires a description on every response");
    assert!(document["components"]["securitySchemes"]["bearer"].is_object());

    let page = app.client.get(app.url("/api/docs/")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    let asset = app.client.get(app.url("/api/docs/swagger-ui.css")).send().await.unwrap();
    assert_eq!(asset.status(), 200, "the page's assets are served by us, not a CDN");
}

/// Found by the schema-driven fuzz test: serde would fill a struct from a JSON array, field by field.
pub async fn bodies_that_are_not_json_objects_are_refused_and_change_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let created = app
        .post_json(
            "/api/users",
            json!({"email": "ana@example.com", "name": "Ana", "role": "agent", "password": "a long password"}),
        )
        .await;
    let user = created.body["id"].as_i64().unwrap();
    app.text(CUSTOMER, "Hi").await;
    let ticket = only_ticket_of(&app, CUSTOMER).await["id"].as_i64().unwrap();

    for (method, path, body) in [
        ("PATCH", format!("/api/users/{user}"), json!([null, null, null, false])),
        ("PATCH", format!("/api/tickets/{ticket}"), json!(["closed"])),
        ("POST", format!("/api/tickets/{ticket}/messages"), json!(["note", true])),
        ("POST", "/api/sms/segments".to_owned(), json!("hello")),
        ("PUT", "/api/settings".to_owned(), json!(42)),
    ] {
        app.token_send(method, &path, &app.token, body).await.assert_error(422, "invalid_body");
    }
    assert_eq!(app.get(&format!("/api/users/{user}")).await.body["active"], true);
    assert_eq!(app.get(&format!("/api/tickets/{ticket}")).await.body["status"], "open");
    assert_eq!(app.thread(ticket).await.len(), 2);
    // A value of the wrong type inside an object is invalid, not malformed JSON.
    app.patch_json(&format!("/api/users/{user}"), json!({"role": {}})).await.assert_error(422, "invalid_body");
    app.post_json("/api/users", json!({"email": "b@example.com", "name": "B", "role": 5}))
        .await
        .assert_error(422, "invalid_body");
}

pub async fn wrong_methods_name_the_allowed_ones(backend: Backend) {
    let app = spawn_app(backend).await;

    let counts = app.client.delete(app.url("/api/tickets/counts")).bearer_auth(&app.token).send().await.unwrap();
    assert_eq!(counts.status(), 405);
    assert_eq!(counts.headers()["allow"], "GET", "a static path is not its template sibling");
    let ticket = app.client.put(app.url("/api/tickets/1")).bearer_auth(&app.token).send().await.unwrap();
    assert_eq!(ticket.headers()["allow"], "GET, PATCH");
}
