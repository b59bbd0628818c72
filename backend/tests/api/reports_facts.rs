//! Issue 18: the facts the reports read from each ticket (`first_inbound_at`, `first_response_at`,
//! `first_responder_id`, `closed_by_id`, `auto_closed`), kept by every write path, read back from the database.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::json;
use smsdesk::db::StoreError;
use smsdesk::db::schema::tickets;
use smsdesk::domain::{Role, TicketId, UserId};

use crate::helpers::*;

/// A ticket's report facts: (first_inbound_at, created_at, first_response_at, first_responder_id, closed_at,
/// closed_by_id, auto_closed).
type Facts = (
    Option<NaiveDateTime>,
    NaiveDateTime,
    Option<NaiveDateTime>,
    Option<UserId>,
    Option<NaiveDateTime>,
    Option<UserId>,
    bool,
);

async fn facts(app: &TestApp, ticket: i64) -> Facts {
    app.db
        .read(move |conn| -> Result<Facts, StoreError> {
            Ok(tickets::table
                .find(TicketId(ticket))
                .select((
                    tickets::first_inbound_at,
                    tickets::created_at,
                    tickets::first_response_at,
                    tickets::first_responder_id,
                    tickets::closed_at,
                    tickets::closed_by_id,
                    tickets::auto_closed,
                ))
                .first(conn)?)
        })
        .await
        .unwrap()
}

/// The first response's time and agent.
async fn first_response(app: &TestApp, ticket: i64) -> (Option<NaiveDateTime>, Option<UserId>) {
    let (_, _, at, by, ..) = facts(app, ticket).await;
    (at, by)
}

/// Who closed it: (closed, closed_by_id, auto_closed).
async fn closed_by(app: &TestApp, ticket: i64) -> (bool, Option<UserId>, bool) {
    let (.., closed_at, by, auto) = facts(app, ticket).await;
    (closed_at.is_some(), by, auto)
}

pub async fn first_response_is_the_first_agent_reply_to_a_ticket_a_customer_opened(backend: Backend) {
    let app = spawn_app(backend).await;
    let (ana, ana_token) = new_user_with_token(&app.db, Role::Agent).await;
    let admin = UserId(app.get("/api/me").await.body["user"]["id"].as_i64().unwrap());

    app.text(CUSTOMER, "Where is my parcel?").await;
    let id = only_ticket_of(&app, CUSTOMER).await["id"].as_i64().unwrap();
    let (inbound, created, ..) = facts(&app, id).await;
    assert_eq!(inbound, Some(created), "the customer's text opened it");
    assert_eq!(app.thread(id).await.len(), 2, "the text and its confirmation");
    assert_eq!(first_response(&app, id).await, (None, None), "the confirmation is no response");
    let note = app.post_json(&format!("/api/tickets/{id}/messages"), json!({"body": "VIP", "internal": true})).await;
    assert_eq!(note.status, 201, "{}", note.text);
    assert_eq!(first_response(&app, id).await, (None, None), "a note is no response");

    let messages = format!("/api/tickets/{id}/messages");
    assert_eq!(app.token_send("POST", &messages, &ana_token, json!({"body": "Today"})).await.status, 201);
    let (first_at, by) = first_response(&app, id).await;
    assert_eq!(by, Some(ana.id));
    assert!(first_at.is_some_and(|at| at >= created), "{first_at:?}");
    app.text(CUSTOMER, "Thanks").await;
    assert_eq!(app.reply(id, "You are welcome").await.status, 201);
    assert_eq!(first_response(&app, id).await, (first_at, Some(ana.id)), "the second reply changes nothing");

    // A conversation an agent starts has none, even once the customer answers and is answered.
    let started = app.post_json("/api/conversations", json!({"to": "+14155550131", "body": "Your refund"})).await;
    assert_eq!(started.status, 201, "{}", started.text);
    let outbound = started.body["ticket"]["id"].as_i64().unwrap();
    app.text("+14155550131", "Thank you!").await;
    assert_eq!(app.reply(outbound, "Anything else?").await.status, 201);
    let (inbound, _, at, by, ..) = facts(&app, outbound).await;
    assert_eq!((inbound, at, by), (None, None, None));

    // Closed by an agent, reopened, closed by the auto-close.
    assert_eq!(app.patch_json(&format!("/api/tickets/{id}"), json!({"status": "closed"})).await.status, 200);
    assert_eq!(closed_by(&app, id).await, (true, Some(admin), false));
    assert_eq!(app.patch_json(&format!("/api/tickets/{id}"), json!({"status": "open"})).await.status, 200);
    assert_eq!(closed_by(&app, id).await, (false, None, false), "a reopen forgets the close");
    let bulk = json!({"ticket_ids": [id], "change": {"status": "closed"}});
    assert_eq!(app.token_send("POST", "/api/tickets/bulk", &ana_token, bulk).await.status, 200);
    assert_eq!(closed_by(&app, id).await, (true, Some(ana.id), false), "a bulk close is the agent's");
    assert_eq!(app.patch_json(&format!("/api/tickets/{id}"), json!({"status": "pending"})).await.status, 200);
    assert_eq!(closed_by(&app, id).await, (false, None, false));
    app.db
        .write(move |conn| -> Result<(), StoreError> {
            let long_ago = smsdesk::db::now() - chrono::Duration::days(8);
            diesel::update(tickets::table.find(TicketId(id))).set(tickets::updated_at.eq(long_ago)).execute(conn)?;
            smsdesk::tickets::close_inactive_tickets(conn, Duration::from_secs(7 * 24 * 3600), 10)?;
            Ok(())
        })
        .await
        .unwrap();
    assert_eq!(closed_by(&app, id).await, (true, None, true), "smsdesk closed it");
    assert_eq!(first_response(&app, id).await, (first_at, Some(ana.id)), "kept through it all");

    // A first STOP opens its ticket closed, by smsdesk.
    app.text("+14155550132", "STOP").await;
    let stop = only_ticket_of(&app, "+14155550132").await["id"].as_i64().unwrap();
    let (inbound, created, ..) = facts(&app, stop).await;
    assert_eq!(inbound, Some(created));
    assert_eq!(closed_by(&app, stop).await, (true, None, true));
}
