//! The template engine the confirmation and canned replies share: greeting by name, refusing what it does
//! not know by name, and leaving templates stored before its rules readable.

#![allow(clippy::unwrap_used)]

use std::time::Duration;

use diesel::{ExpressionMethods, RunQueryDsl};
use serde_json::{Value, json};
use smsdesk::db::StoreError;
use smsdesk::db::schema::{canned_replies, settings};
use smsdesk::domain::Role;

use crate::helpers::*;

const GREETING: &str = "Hi {contact_name|there}, your ticket is {ticket_id}.";
const NAMED_CUSTOMER: &str = "+14155550161";
const UNNAMED_CUSTOMER: &str = "+14155550162";

/// The body of the confirmation the stand-in gateway was asked to send to `customer`.
async fn confirmation_sent_to(app: &TestApp, customer: &str, count: usize) -> Vec<String> {
    app.wait_until("confirmations sent", Duration::from_secs(10), || async {
        app.gateway_requests().await.iter().filter(|s| s.to == customer).count() >= count
    })
    .await;
    app.gateway_requests().await.into_iter().filter(|s| s.to == customer).map(|s| s.body).collect()
}

pub async fn a_known_sender_is_confirmed_by_name_and_an_unnamed_one_with_the_fallback(backend: Backend) {
    let app = spawn_app(backend).await;
    let saved = app.put_json("/api/settings", json!({"confirmation_template": GREETING})).await;
    assert_eq!(saved.status, 200, "{}", saved.text);
    assert_eq!(saved.body["confirmation_template"], GREETING);

    // Ana wrote before; an agent named her and closed that ticket.
    app.text(NAMED_CUSTOMER, "First time").await;
    let first = only_ticket_of(&app, NAMED_CUSTOMER).await;
    let first_id = first["id"].as_i64().unwrap();
    let named = app.patch_json(&format!("/api/contacts/{}", first["contact"]["id"]), json!({"name": "Ana"})).await;
    assert_eq!(named.status, 200, "{}", named.text);
    app.patch_json(&format!("/api/tickets/{first_id}"), json!({"status": "closed"})).await;

    // Her next text opens a new ticket, confirmed by name, through the real webhook and gateway.
    let answer = app.text(NAMED_CUSTOMER, "Me again").await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    let tickets = app.get(&format!("/api/tickets?customer_number={}", urlencode(NAMED_CUSTOMER))).await;
    let second_id =
        tickets.body["tickets"].as_array().unwrap().iter().map(|t| t["id"].as_i64().unwrap()).max().unwrap();
    assert_ne!(second_id, first_id);
    let greeting = format!("Hi Ana, your ticket is {second_id}.");
    assert_eq!(app.thread(second_id).await[1]["body"], greeting);
    let sent = confirmation_sent_to(&app, NAMED_CUSTOMER, 2).await;
    assert_eq!(sent, [format!("Hi there, your ticket is {first_id}."), greeting]);

    // A number nobody named gets the fallback.
    app.text(UNNAMED_CUSTOMER, "Hello?").await;
    let unnamed_id = only_ticket_of(&app, UNNAMED_CUSTOMER).await["id"].as_i64().unwrap();
    let fallback = format!("Hi there, your ticket is {unnamed_id}.");
    assert_eq!(app.thread(unnamed_id).await[1]["body"], fallback);
    assert_eq!(confirmation_sent_to(&app, UNNAMED_CUSTOMER, 1).await, [fallback]);

    // Without a fallback, the name is left out with the space before it.
    app.put_json("/api/settings", json!({"confirmation_template": "Hi {contact_name}, ticket {ticket_id}."})).await;
    app.text(CUSTOMER, "Anyone?").await;
    let bare_id = only_ticket_of(&app, CUSTOMER).await["id"].as_i64().unwrap();
    assert_eq!(app.thread(bare_id).await[1]["body"], format!("Hi, ticket {bare_id}."));
}

pub async fn settings_refuse_a_template_naming_what_is_wrong_and_keep_the_old_one(backend: Backend) {
    let app = spawn_app(backend).await;
    let before = app.get("/api/settings").await.body["confirmation_template"].clone();

    let unknown =
        app.put_json("/api/settings", json!({"confirmation_template": "Hi {name}, ticket {ticket_id}"})).await;
    unknown.assert_error(422, "unknown_placeholder");
    assert_eq!(unknown.body["field"], "confirmation_template");
    assert_eq!(
        unknown.body["message"],
        "Unknown placeholder {name}; use {ticket_id}, {contact_name}, {contact_name|there}, {business_name}. \
         Write {{ for a literal {."
    );

    let agent = app.put_json("/api/settings", json!({"confirmation_template": "{agent_name}: {ticket_id}"})).await;
    agent.assert_error(422, "placeholder_not_allowed");
    assert!(agent.body["message"].as_str().unwrap().starts_with("{agent_name} cannot be used here"), "{}", agent.text);
    assert_eq!(agent.body["field"], "confirmation_template");

    let unclosed = app.put_json("/api/settings", json!({"confirmation_template": "Ticket {ticket_id"})).await;
    unclosed.assert_error(422, "unclosed_brace");
    assert!(unclosed.body["message"].as_str().unwrap().contains("character 8"), "{}", unclosed.text);

    // The rules from before still hold, under their old code.
    let missing = app.put_json("/api/settings", json!({"confirmation_template": "Hi {contact_name}"})).await;
    missing.assert_error(422, "invalid_setting");
    assert_eq!(missing.body["field"], "confirmation_template");
    let long = format!("{}{{ticket_id}}{{contact_name}}", "x".repeat(1500));
    app.put_json("/api/settings", json!({"confirmation_template": long})).await.assert_error(422, "invalid_setting");

    // Nothing of a refused update is stored, not even the valid fields beside it.
    app.put_json("/api/settings", json!({"business_name": "Acme", "confirmation_template": "{foo} {ticket_id}"}))
        .await
        .assert_error(422, "unknown_placeholder");
    let after = app.get("/api/settings").await.body;
    assert_eq!(after["confirmation_template"], before);
    assert_ne!(after["business_name"], "Acme");

    // A literal brace is written doubled.
    let escaped = app.put_json("/api/settings", json!({"confirmation_template": "{{ref}} {ticket_id}"})).await;
    assert_eq!(escaped.status, 200, "{}", escaped.text);
    app.text(CUSTOMER, "Hi").await;
    let id = only_ticket_of(&app, CUSTOMER).await["id"].as_i64().unwrap();
    assert_eq!(app.thread(id).await[1]["body"], format!("{{ref}} {id}"));
}

pub async fn canned_replies_are_checked_and_filled_in_with_the_agent_and_the_fallback(backend: Backend) {
    let app = spawn_app(backend).await;
    let (agent, agent_token) = new_user_with_token(&app.db, Role::Agent).await;
    app.put_json("/api/settings", json!({"business_name": "Acme"})).await;

    let unknown = app.post_json("/api/canned-replies", json!({"title": "Hello", "body": "Hi {name}!"})).await;
    unknown.assert_error(422, "unknown_placeholder");
    assert_eq!(unknown.body["field"], "body");
    assert_eq!(
        unknown.body["message"],
        "Unknown placeholder {name}; use {ticket_id}, {contact_name}, {contact_name|there}, {business_name}, \
         {agent_name}. Write {{ for a literal {."
    );
    app.post_json("/api/canned-replies", json!({"title": "Hello", "body": "Hi {contact_name"}))
        .await
        .assert_error(422, "unclosed_brace");

    let body = "Hi {contact_name|there}, {agent_name} of {business_name} here about ticket {ticket_id}.";
    let created = app.post_json("/api/canned-replies", json!({"title": "Hello", "body": body})).await;
    assert_eq!(created.status, 201, "{}", created.text);
    let reply_id = created.body["id"].as_i64().unwrap();
    let bad_edit = app.patch_json(&format!("/api/canned-replies/{reply_id}"), json!({"body": "{foo}"})).await;
    bad_edit.assert_error(422, "unknown_placeholder");
    assert_eq!(app.get("/api/canned-replies").await.body[0]["body"], body, "a refused edit changes nothing");

    app.text(CUSTOMER, "Hi").await;
    let ticket = only_ticket_of(&app, CUSTOMER).await;
    let id = ticket["id"].as_i64().unwrap();
    let rendered = || async {
        app.get_as(&format!("/api/canned-replies?ticket_id={id}"), &agent_token).await.body[0]["rendered"].clone()
    };
    assert_eq!(rendered().await, format!("Hi there, {} of Acme here about ticket {id}.", agent.name));
    app.patch_json(&format!("/api/contacts/{}", ticket["contact"]["id"]), json!({"name": "Ana"})).await;
    assert_eq!(rendered().await, format!("Hi Ana, {} of Acme here about ticket {id}.", agent.name));
}

pub async fn templates_stored_before_the_rules_still_load_list_and_render_as_written(backend: Backend) {
    let app = spawn_app(backend).await;
    // As an older version stored them, unchecked.
    let legacy_confirmation = "Hi {name}, ticket {ticket_id}";
    let legacy_reply = "Dear {name}, about {ticket_id}";
    app.db
        .write(move |conn| -> Result<(), StoreError> {
            let now = chrono::Utc::now().naive_utc();
            diesel::insert_into(settings::table)
                .values((
                    settings::key.eq("confirmation_template"),
                    settings::value.eq(json!(legacy_confirmation).to_string()),
                    settings::updated_at.eq(now),
                ))
                .execute(conn)?;
            diesel::insert_into(canned_replies::table)
                .values((
                    canned_replies::title.eq("Old"),
                    canned_replies::body.eq(legacy_reply),
                    canned_replies::created_at.eq(now),
                    canned_replies::updated_at.eq(now),
                ))
                .execute(conn)?;
            Ok(())
        })
        .await
        .unwrap();

    assert_eq!(app.get("/api/settings").await.body["confirmation_template"], legacy_confirmation);
    app.text(CUSTOMER, "Hi").await;
    let id = only_ticket_of(&app, CUSTOMER).await["id"].as_i64().unwrap();
    assert_eq!(app.thread(id).await[1]["body"], format!("Hi {{name}}, ticket {id}"));
    let listed = app.get(&format!("/api/canned-replies?ticket_id={id}")).await;
    assert_eq!(listed.status, 200, "{}", listed.text);
    assert_eq!(listed.body[0]["body"], legacy_reply);
    assert_eq!(listed.body[0]["rendered"], format!("Dear {{name}}, about {id}"));

    // Saving it again as it is is refused, so the admin learns what to change.
    app.put_json("/api/settings", json!({"confirmation_template": legacy_confirmation}))
        .await
        .assert_error(422, "unknown_placeholder");
    let reply_id = listed.body[0]["id"].as_i64().unwrap();
    let retitled = app.patch_json(&format!("/api/canned-replies/{reply_id}"), json!({"title": "Older"})).await;
    assert_eq!(retitled.status, 200, "a title alone can change: {}", retitled.text);
    assert_eq!(retitled.body["body"], Value::from(legacy_reply));
}
