//! Issue 17, points 3 and 4: HELP/INFO, a first STOP, START, and business hours with the out-of-office reply,
//! over the real API.
//!
//! The server's clock is the real one, so the schedules are chosen relative to it: open only on the day three
//! days from now (closed now, opening at a known time), or open around the clock.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use chrono::{Datelike, Utc};
use serde_json::{Value, json};
use smsdesk::domain::DAY_NAMES;

use crate::helpers::*;

const HELP_REPLY: &str = "Acme: we answer texts here. Reply STOP to opt out.";

async fn acme(backend: Backend) -> TestApp {
    let app = spawn_app(backend).await;
    let saved = app.put_json("/api/settings", json!({"business_name": "Acme"})).await;
    assert_eq!(saved.status, 200, "{}", saved.text);
    app
}

async fn events(app: &TestClient, ticket: i64) -> Vec<Value> {
    let answer = app.get(&format!("/api/tickets/{ticket}/events")).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    answer.body["events"].as_array().unwrap().clone()
}

fn bodies(thread: &[Value]) -> Vec<(&str, &str)> {
    thread.iter().map(|m| (m["direction"].as_str().unwrap(), m["body"].as_str().unwrap())).collect()
}

/// Waits until the gateway was asked to send `expected` (in order), then checks nothing else follows.
async fn sent_exactly(app: &TestClient, expected: &[&str]) {
    app.wait_until("the automatic replies", Duration::from_secs(10), || async {
        app.gateway_requests().await.len() >= expected.len()
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let sent: Vec<String> = app.gateway_requests().await.into_iter().map(|s| s.body).collect();
    assert_eq!(sent, expected);
}

pub async fn help_as_a_first_text_opens_a_ticket_answered_with_the_help_reply_not_the_confirmation(backend: Backend) {
    let app = acme(backend).await;

    assert_eq!(app.text(CUSTOMER, " help ").await.status, 200);

    let ticket = only_ticket_of(&app, CUSTOMER).await;
    assert_eq!(ticket["status"], "open", "an agent should see who asked for help");
    let thread = app.thread(ticket["id"].as_i64().unwrap()).await;
    assert_eq!(bodies(&thread), [("inbound", " help "), ("outbound", HELP_REPLY)]);
    sent_exactly(&app, &[HELP_REPLY]).await;
}

pub async fn help_on_an_unclosed_ticket_is_filed_there_and_answered_by_name(backend: Backend) {
    let app = acme(backend).await;
    let template = "{business_name} here, {contact_name|friend}. Reply STOP to opt out.";
    assert_eq!(app.put_json("/api/settings", json!({"help_reply_template": template})).await.status, 200);
    app.text(CUSTOMER, "Where is my order?").await;
    let ticket = only_ticket_of(&app, CUSTOMER).await;
    let id = ticket["id"].as_i64().unwrap();
    let contact = ticket["contact"]["id"].as_i64().unwrap();
    app.patch_json(&format!("/api/contacts/{contact}"), json!({"name": "Ana"})).await;

    app.text(CUSTOMER, "INFO").await;

    let thread = app.thread(id).await;
    assert_eq!(thread.len(), 4, "{thread:?}");
    assert_eq!(bodies(&thread)[2..], [("inbound", "INFO"), ("outbound", "Acme here, Ana. Reply STOP to opt out.")]);
    assert_eq!(only_ticket_of(&app, CUSTOMER).await["id"], id, "no second ticket");
    app.wait_until("the confirmation and the help reply", Duration::from_secs(10), || async {
        app.gateway_requests().await.len() == 2
    })
    .await;
}

pub async fn help_from_a_number_that_opted_out_is_filed_but_not_answered(backend: Backend) {
    let app = acme(backend).await;
    app.text(CUSTOMER, "Hi").await;
    // The confirmation goes out before the customer opts out.
    app.wait_until("the confirmation", Duration::from_secs(10), || async { app.gateway_requests().await.len() == 1 })
        .await;
    app.text(CUSTOMER, "STOP").await;
    let id = only_ticket_of(&app, CUSTOMER).await["id"].as_i64().unwrap();

    app.text(CUSTOMER, "HELP").await;

    let thread = app.thread(id).await;
    assert_eq!(bodies(&thread).last(), Some(&("inbound", "HELP")), "filed, and nothing queued: {thread:?}");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(app.gateway_requests().await.len(), 1, "the gateway would refuse it (Twilio 21610)");
}

pub async fn stop_as_a_first_text_is_kept_in_a_closed_ticket_with_the_opt_out_on_its_timeline(backend: Backend) {
    let app = acme(backend).await;

    assert_eq!(app.text(CUSTOMER, "Stop").await.status, 200);

    let queue = app.get("/api/tickets?status=open,pending").await;
    assert_eq!(queue.body["tickets"], json!([]), "nothing waits in the queue: {}", queue.text);
    let ticket = only_ticket_of(&app, CUSTOMER).await;
    let id = ticket["id"].as_i64().unwrap();
    assert_eq!((ticket["status"].as_str(), ticket["opted_out"].as_bool()), (Some("closed"), Some(true)));
    assert!(ticket["closed_at"].is_string(), "{ticket}");
    assert_eq!(bodies(&app.thread(id).await), [("inbound", "Stop")], "the text is kept, and nothing answers it");
    let timeline = events(&app, id).await;
    assert_eq!(timeline.len(), 1, "{timeline:?}");
    assert_eq!(
        (timeline[0]["kind"].as_str(), timeline[0]["channel_number"].as_str()),
        (Some("opted_out"), Some(OUR_NUMBER))
    );
    // The customer panel lists it with their tickets, and shows the opt-out.
    let contact = app.get(&format!("/api/contacts/{}", ticket["contact"]["id"])).await;
    assert_eq!(contact.body["opted_out"], true, "{}", contact.text);
    assert_eq!(contact.body["tickets"][0]["id"], id);
    assert_eq!(contact.body["tickets"][0]["status"], "closed");

    // A later text opens a ticket in the queue, still unanswered while they are opted out.
    app.text(CUSTOMER, "Actually, where is my parcel?").await;
    let open = app.get("/api/tickets?status=open").await.body["tickets"].as_array().unwrap().clone();
    assert_eq!(open.len(), 1);
    assert_ne!(open[0]["id"], id);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(app.gateway_requests().await.is_empty(), "no reply to STOP, ever");
}

pub async fn start_after_a_first_stop_opts_back_in_as_before(backend: Backend) {
    let app = acme(backend).await;
    app.text(CUSTOMER, "STOP").await;
    let stopped = only_ticket_of(&app, CUSTOMER).await["id"].as_i64().unwrap();

    app.text(CUSTOMER, "start").await;

    let tickets = app.tickets().await;
    let started = tickets.iter().find(|t| t["id"] != stopped).unwrap();
    assert_eq!((started["status"].as_str(), started["opted_out"].as_bool()), (Some("open"), Some(false)));
    let id = started["id"].as_i64().unwrap();
    let thread = app.thread(id).await;
    assert_eq!(thread.len(), 2, "START opens a ticket like any first text, with its confirmation: {thread:?}");
    assert_eq!(events(&app, id).await[0]["kind"], "opted_in");
    app.wait_until("the confirmation", Duration::from_secs(10), || async { app.gateway_requests().await.len() == 1 })
        .await;
}

/// A schedule open only on the day three days from now (in New York), 09:00–17:00: closed now, and
/// `{next_open}` is that day at 09:00.
fn closed_until_in_three_days() -> (Value, String) {
    let today = Utc::now().with_timezone(&chrono_tz::America::New_York).date_naive();
    let day = today + chrono::Duration::days(3);
    let name = DAY_NAMES[day.weekday().num_days_from_monday() as usize];
    let hours = json!({"timezone": "America/New_York", "weekly": {name: [["09:00", "17:00"]]}, "holidays": []});
    (hours, format!("{} 09:00", day.format("%A")))
}

const OUT_OF_OFFICE: &str = "{business_name} is closed until {next_open}. Your ticket is {ticket_id}.";

pub async fn a_new_ticket_outside_business_hours_gets_the_out_of_office_reply_with_the_next_opening(backend: Backend) {
    let app = acme(backend).await;
    let (hours, next_open) = closed_until_in_three_days();
    let saved =
        app.put_json("/api/settings", json!({"business_hours": hours, "out_of_office_template": OUT_OF_OFFICE})).await;
    assert_eq!(saved.status, 200, "{}", saved.text);
    assert_eq!(saved.body["business_hours"]["timezone"], "America/New_York");

    app.text(CUSTOMER, "Is anyone there?").await;

    let id = only_ticket_of(&app, CUSTOMER).await["id"].as_i64().unwrap();
    let expected = format!("Acme is closed until {next_open}. Your ticket is {id}.");
    assert_eq!(bodies(&app.thread(id).await), [("inbound", "Is anyone there?"), ("outbound", expected.as_str())]);
    sent_exactly(&app, &[&expected]).await;

    // HELP still gets the help reply, and STOP nothing, at night too.
    app.text("+14155550124", "HELP").await;
    app.text("+14155550125", "STOP").await;
    sent_exactly(&app, &[&expected, HELP_REPLY]).await;
}

pub async fn an_existing_ticket_gets_one_out_of_office_reply_per_closed_period(backend: Backend) {
    let app = acme(backend).await;
    app.text(CUSTOMER, "Hi, in the afternoon").await;
    let id = only_ticket_of(&app, CUSTOMER).await["id"].as_i64().unwrap();
    let (hours, next_open) = closed_until_in_three_days();
    app.put_json("/api/settings", json!({"business_hours": hours, "out_of_office_template": OUT_OF_OFFICE})).await;
    let expected = format!("Acme is closed until {next_open}. Your ticket is {id}.");

    app.text(CUSTOMER, "Still waiting").await;
    app.text(CUSTOMER, "Hello??").await;

    let outbound: Vec<String> = app
        .thread(id)
        .await
        .iter()
        .filter(|m| m["direction"] == "outbound")
        .map(|m| m["body"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(outbound.len(), 2, "the confirmation and one out-of-office reply: {outbound:?}");
    assert_eq!(outbound[1], expected);

    // As if the reply had been sent in an earlier closed period (before the last opening, four days ago):
    // this period's first text gets one again.
    app.db
        .write(move |conn| -> Result<(), smsdesk::db::StoreError> {
            use diesel::prelude::*;
            use smsdesk::db::schema::tickets;
            let long_ago = smsdesk::db::now() - chrono::Duration::days(6);
            diesel::update(tickets::table.find(smsdesk::domain::TicketId(id)))
                .set(tickets::out_of_office_at.eq(long_ago))
                .execute(conn)?;
            Ok(())
        })
        .await
        .unwrap();
    app.text(CUSTOMER, "Anyone?").await;
    app.text(CUSTOMER, "Anyone at all?").await;
    let thread = app.thread(id).await;
    assert_eq!(thread.iter().filter(|m| m["direction"] == "outbound").count(), 3, "{thread:?}");

    // Open around the clock: nothing more.
    let always: serde_json::Map<String, Value> =
        DAY_NAMES.iter().map(|d| ((*d).to_owned(), json!([["00:00", "24:00"]]))).collect();
    let saved = app
        .put_json("/api/settings", json!({"business_hours": {"timezone": "Europe/Amsterdam", "weekly": always}}))
        .await;
    assert_eq!(saved.status, 200, "{}", saved.text);
    app.text(CUSTOMER, "Good morning").await;
    let thread = app.thread(id).await;
    assert_eq!(bodies(&thread).last(), Some(&("inbound", "Good morning")));
    assert_eq!(thread.iter().filter(|m| m["direction"] == "outbound").count(), 3);
    let confirmation = thread.iter().find(|m| m["direction"] == "outbound").unwrap()["body"].as_str().unwrap();
    sent_exactly(&app, &[confirmation, &expected, &expected]).await;
}

pub async fn settings_refuse_bad_hours_and_templates_naming_the_field(backend: Backend) {
    let app = acme(backend).await;
    let hours = |weekly: Value, holidays: Value| json!({"business_hours": {"timezone": "Europe/Amsterdam", "weekly": weekly, "holidays": holidays}});
    let cases = [
        (json!({"business_hours": {"timezone": "Mars/Olympus"}}), "invalid_timezone"),
        (hours(json!({"monday": [["09:00", "17:00"]]}), json!([])), "invalid_day"),
        (hours(json!({"mon": [["9am", "17:00"]]}), json!([])), "invalid_time"),
        (hours(json!({"mon": [["17:00", "09:00"]]}), json!([])), "invalid_range"),
        (hours(json!({"mon": [["09:00"]]}), json!([])), "invalid_range"),
        (hours(json!({"mon": [["09:00", "13:00"], ["12:00", "17:00"]]}), json!([])), "overlapping_ranges"),
        (hours(json!({}), json!(["2026-13-01"])), "invalid_holiday"),
    ];
    for (body, code) in cases {
        let answer = app.put_json("/api/settings", body.clone()).await;
        answer.assert_error(422, code);
        assert_eq!(answer.body["field"], "business_hours", "{body}: {}", answer.text);
    }
    let templates = [
        ("help_reply_template", "Ticket {ticket_id}", "placeholder_not_allowed"),
        ("help_reply_template", "{name}", "unknown_placeholder"),
        ("out_of_office_template", "{agent_name}", "placeholder_not_allowed"),
        ("out_of_office_template", "Back {next_open", "unclosed_brace"),
    ];
    for (field, template, code) in templates {
        let answer = app.put_json("/api/settings", json!({ field: template })).await;
        answer.assert_error(422, code);
        assert_eq!(answer.body["field"], field, "{}", answer.text);
    }
    let settings = app.get("/api/settings").await.body;
    assert_eq!(settings["business_hours"], Value::Null, "nothing refused was stored; always open by default");
    assert_eq!(settings["help_reply_template"], "{business_name}: we answer texts here. Reply STOP to opt out.");

    let saved = app
        .put_json(
            "/api/settings",
            hours(json!({"fri": [["13:00", "17:00"], ["09:00", "12:00"]]}), json!(["2026-12-25"])),
        )
        .await;
    assert_eq!(saved.status, 200, "{}", saved.text);
    let stored = &saved.body["business_hours"];
    assert_eq!(stored["weekly"]["fri"], json!([["09:00", "12:00"], ["13:00", "17:00"]]), "sorted");
    assert_eq!(stored["weekly"]["mon"], json!([]));
    assert_eq!(stored["holidays"], json!(["2026-12-25"]));
    let cleared = app.put_json("/api/settings", json!({"business_hours": null})).await;
    assert_eq!(cleared.body["business_hours"], Value::Null);
}
