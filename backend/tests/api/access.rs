//! Signing in, sessions and CSRF, roles, deactivation, API tokens.

#![allow(clippy::unwrap_used)]

use serde_json::{Value, json};
use smsdesk::domain::Role;

use crate::helpers::*;

const PASSWORD: &str = "correct horse battery";

/// Creates a user through the admin API and returns their id.
async fn create_user(app: &TestApp, email: &str, role: &str) -> i64 {
    let created = app
        .post_json("/api/users", json!({"email": email, "name": "Ana Agent", "role": role, "password": PASSWORD}))
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    created.body["id"].as_i64().unwrap()
}

pub async fn sign_in_sets_a_safe_cookie_and_returns_a_csrf_token(backend: Backend) {
    let app = spawn_app(backend).await;
    create_user(&app, "ana@example.com", "agent").await;

    let response = app
        .client
        .post(app.url("/api/session"))
        .json(&json!({"email": "Ana@Example.com", "password": PASSWORD}))
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 200);
    let cookie = response.headers().get("set-cookie").unwrap().to_str().unwrap().to_owned();
    assert!(cookie.starts_with("smsdesk_session="), "{cookie}");
    for flag in ["HttpOnly", "SameSite=Lax", "Path=/", "Secure"] {
        assert!(cookie.contains(flag), "cookie lacks {flag}: {cookie}");
    }
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["user"]["email"], "ana@example.com");
    assert_eq!(body["user"]["role"], "agent");
    assert!(body["csrf_token"].as_str().is_some_and(|t| t.len() >= 32));
    assert!(body["user"].get("password_hash").is_none());

    let session = app.sign_in("ana@example.com", PASSWORD).await;
    let me = app.session_get("/api/me", &session).await;
    assert_eq!(me.status, 200);
    assert_eq!(me.body["user"]["email"], "ana@example.com");
    assert_eq!(me.body["csrf_token"], session.csrf, "a reloaded page can get its CSRF token back");
}

pub async fn wrong_passwords_and_unknown_users_get_401(backend: Backend) {
    let app = spawn_app(backend).await;
    create_user(&app, "ana@example.com", "agent").await;

    for (email, password) in
        [("ana@example.com", "wrong password!"), ("nobody@example.com", PASSWORD), ("not an email", "x")]
    {
        let answer = app.post_anonymous("/api/session", json!({"email": email, "password": password})).await;
        answer.assert_error(401, "invalid_credentials");
    }
    app.post_anonymous("/api/session", json!({"email": "ana@example.com"})).await.assert_error(422, "invalid_body");
}

pub async fn repeated_failed_sign_ins_are_slowed_down(backend: Backend) {
    let app = spawn_app(backend).await;
    create_user(&app, "ana@example.com", "agent").await;

    for _ in 0..5 {
        let answer =
            app.post_anonymous("/api/session", json!({"email": "ana@example.com", "password": "guess guess!"})).await;
        assert_eq!(answer.status, 401);
    }
    let response = app
        .client
        .post(app.url("/api/session"))
        .json(&json!({"email": "ana@example.com", "password": PASSWORD}))
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 429, "even the right password waits");
    assert!(response.headers().get("retry-after").is_some());
    assert_eq!(response.json::<Value>().await.unwrap()["error"], "too_many_attempts");
    let other = create_user(&app, "bo@example.com", "agent").await;
    assert!(other > 0);
    assert_eq!(app.sign_in_status("bo@example.com", PASSWORD).await, 200, "other accounts are unaffected");
}

pub async fn cookie_requests_that_change_something_need_the_csrf_token(backend: Backend) {
    let app = spawn_app(backend).await;
    create_user(&app, "ana@example.com", "agent").await;
    app.text(CUSTOMER, "Hi").await;
    let ticket = only_ticket_of(&app, CUSTOMER).await["id"].as_i64().unwrap();
    let session = app.sign_in("ana@example.com", PASSWORD).await;
    let path = format!("/api/tickets/{ticket}/messages");

    let reading = app.session_get(&path, &session).await;
    assert_eq!(reading.status, 200, "reads need no CSRF token");
    let without = app.session_send("POST", &path, &session, None, json!({"body": "Hello"})).await;
    without.assert_error(403, "csrf_token_invalid");
    let wrong = app.session_send("POST", &path, &session, Some("forged"), json!({"body": "Hello"})).await;
    wrong.assert_error(403, "csrf_token_invalid");
    let right = app.session_send("POST", &path, &session, Some(&session.csrf), json!({"body": "Hello"})).await;
    assert_eq!(right.status, 201, "{}", right.text);
    // API tokens are not cookies: no CSRF token needed.
    assert_eq!(app.reply(ticket, "From a script").await.status, 201);
    assert_eq!(app.thread(ticket).await.iter().filter(|m| m["author_id"].is_i64()).count(), 2);
}

pub async fn signing_out_ends_the_session(backend: Backend) {
    let app = spawn_app(backend).await;
    create_user(&app, "ana@example.com", "agent").await;
    let session = app.sign_in("ana@example.com", PASSWORD).await;

    let without_csrf = app.session_send("DELETE", "/api/session", &session, None, json!(null)).await;
    without_csrf.assert_error(403, "csrf_token_invalid");
    let out = app.session_send("DELETE", "/api/session", &session, Some(&session.csrf), json!(null)).await;

    assert_eq!(out.status, 204);
    app.session_get("/api/me", &session).await.assert_error(401, "unauthorized");
}

pub async fn agents_are_refused_every_admin_endpoint(backend: Backend) {
    let app = spawn_app(backend).await;
    let agent = new_token(&app.db, Role::Agent).await;

    let calls: [(&str, &str, Value); 9] = [
        ("GET", "/api/users", json!(null)),
        ("POST", "/api/users", json!({"email": "x@example.com", "name": "X", "role": "admin", "password": PASSWORD})),
        ("GET", "/api/users/1", json!(null)),
        ("PATCH", "/api/users/1", json!({"role": "agent"})),
        ("GET", "/api/tokens", json!(null)),
        ("POST", "/api/tokens", json!({"name": "mine"})),
        ("DELETE", "/api/tokens/1", json!(null)),
        ("GET", "/api/settings", json!(null)),
        ("PUT", "/api/settings", json!({"twilio_verify_signatures": false})),
    ];
    for (method, path, body) in calls {
        app.token_send(method, path, &agent, body).await.assert_error(403, "forbidden");
    }
    for (method, path, body) in [
        ("POST", "/api/canned-replies", json!({"title": "t", "body": "b"})),
        ("PATCH", "/api/canned-replies/1", json!({"title": "t"})),
        ("DELETE", "/api/canned-replies/1", json!(null)),
    ] {
        app.token_send(method, path, &agent, body).await.assert_error(403, "forbidden");
    }
    // What agents may do.
    for path in ["/api/team", "/api/tickets", "/api/contacts", "/api/canned-replies", "/api/me", "/api/tickets/counts"]
    {
        assert_eq!(app.get_as(path, &agent).await.status, 200, "{path}");
    }
    assert_eq!(app.get("/api/settings").await.status, 200, "admins may");
}

pub async fn admins_manage_users_and_deactivation_locks_out_at_once(backend: Backend) {
    let app = spawn_app(backend).await;
    let id = create_user(&app, "ana@example.com", "agent").await;
    let session = app.sign_in("ana@example.com", PASSWORD).await;
    let (_, token) = {
        let created = app.post_json("/api/tokens", json!({"name": "Ana's script", "user_id": id})).await;
        assert_eq!(created.status, 201, "{}", created.text);
        (created.body["id"].as_i64().unwrap(), created.body["token"].as_str().unwrap().to_owned())
    };
    assert_eq!(app.get_as("/api/me", &token).await.status, 200);

    let listed = app.get("/api/users").await;
    assert!(listed.body.as_array().unwrap().iter().any(|u| u["email"] == "ana@example.com"));
    let renamed = app.patch_json(&format!("/api/users/{id}"), json!({"name": "Ana B.", "role": "admin"})).await;
    assert_eq!((renamed.body["name"].as_str(), renamed.body["role"].as_str()), (Some("Ana B."), Some("admin")));
    let deactivated = app.patch_json(&format!("/api/users/{id}"), json!({"active": false})).await;
    assert_eq!(deactivated.body["active"], false);

    app.get_as("/api/me", &token).await.assert_error(401, "unauthorized");
    app.session_get("/api/me", &session).await.assert_error(401, "unauthorized");
    app.post_anonymous("/api/session", json!({"email": "ana@example.com", "password": PASSWORD}))
        .await
        .assert_error(403, "account_deactivated");

    app.patch_json(&format!("/api/users/{id}"), json!({"active": true})).await;
    assert_eq!(app.get_as("/api/me", &token).await.status, 200, "reactivation restores the token");
    assert_eq!(app.sign_in_status("ana@example.com", PASSWORD).await, 200);
}

pub async fn a_new_password_ends_old_sessions(backend: Backend) {
    let app = spawn_app(backend).await;
    let id = create_user(&app, "ana@example.com", "agent").await;
    let session = app.sign_in("ana@example.com", PASSWORD).await;

    let changed = app.patch_json(&format!("/api/users/{id}"), json!({"password": "another long secret"})).await;

    assert_eq!(changed.status, 200);
    app.session_get("/api/me", &session).await.assert_error(401, "unauthorized");
    assert_eq!(app.sign_in_status("ana@example.com", PASSWORD).await, 401);
    assert_eq!(app.sign_in_status("ana@example.com", "another long secret").await, 200);
    app.patch_json(&format!("/api/users/{id}"), json!({"password": "short"}))
        .await
        .assert_error(422, "invalid_password");
}

pub async fn user_input_is_checked(backend: Backend) {
    let app = spawn_app(backend).await;
    create_user(&app, "ana@example.com", "agent").await;

    let cases: [(Value, u16, &str); 5] = [
        (json!({"email": "ana@example.com", "name": "Again", "role": "agent"}), 409, "email_taken"),
        (json!({"email": "not-an-email", "name": "X", "role": "agent"}), 422, "invalid_email"),
        (json!({"email": "x@example.com", "name": "  ", "role": "agent"}), 422, "invalid_name"),
        (json!({"email": "x@example.com", "name": "X", "role": "owner"}), 422, "invalid_body"),
        (json!({"email": "x@example.com", "name": "X", "role": "agent", "password": "short"}), 422, "invalid_password"),
    ];
    for (body, status, code) in cases {
        app.post_json("/api/users", body.clone()).await.assert_error(status, code);
    }
    app.patch_json("/api/users/999999", json!({"name": "Ghost"})).await.assert_error(404, "not_found");
}

pub async fn the_last_active_admin_stays_an_admin(backend: Backend) {
    let app = spawn_app(backend).await;
    let admins: Vec<Value> =
        app.get("/api/users").await.body.as_array().unwrap().iter().filter(|u| u["role"] == "admin").cloned().collect();
    assert_eq!(admins.len(), 1);
    let only_admin = admins[0]["id"].as_i64().unwrap();

    app.patch_json(&format!("/api/users/{only_admin}"), json!({"role": "agent"})).await.assert_error(409, "last_admin");
    app.patch_json(&format!("/api/users/{only_admin}"), json!({"active": false})).await.assert_error(409, "last_admin");

    create_user(&app, "second@example.com", "admin").await;
    let demoted = app.patch_json(&format!("/api/users/{only_admin}"), json!({"role": "agent"})).await;
    assert_eq!(demoted.status, 200, "with another admin it is allowed");
}

pub async fn api_tokens_are_shown_once_listed_without_secrets_and_revocable(backend: Backend) {
    let app = spawn_app(backend).await;

    let created = app.post_json("/api/tokens", json!({"name": "CRM sync"})).await;

    assert_eq!(created.status, 201, "{}", created.text);
    let token = created.body["token"].as_str().unwrap().to_owned();
    assert!(token.starts_with("smsdesk_"));
    let listed = app.get("/api/tokens").await;
    assert!(!listed.text.contains(&token), "the secret is never listed");
    let entry = listed.body.as_array().unwrap().iter().find(|t| t["name"] == "CRM sync").unwrap().clone();
    assert_eq!(app.get_as("/api/tickets", &token).await.status, 200);

    let deleted = app.token_send("DELETE", &format!("/api/tokens/{}", entry["id"]), &app.token, json!(null)).await;

    assert_eq!(deleted.status, 204);
    app.get_as("/api/tickets", &token).await.assert_error(401, "unauthorized");
    app.token_send("DELETE", &format!("/api/tokens/{}", entry["id"]), &app.token, json!(null))
        .await
        .assert_error(404, "not_found");
    app.post_json("/api/tokens", json!({"name": ""})).await.assert_error(422, "invalid_name");
    app.post_json("/api/tokens", json!({"name": "x", "user_id": 999999})).await.assert_error(422, "invalid_user");
}

pub async fn the_team_directory_shows_names_without_emails(backend: Backend) {
    let app = spawn_app(backend).await;
    let agent = new_token(&app.db, Role::Agent).await;

    let team = app.get_as("/api/team", &agent).await;

    assert_eq!(team.status, 200);
    let members = team.body.as_array().unwrap();
    assert_eq!(members.len(), 2);
    assert!(members.iter().all(|m| m.get("email").is_none() && m["name"].is_string() && m["active"] == true));
}
