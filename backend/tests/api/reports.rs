//! Issue 18, reports: the summary, the time series and the agents' and inboxes' tables over HTTP, who may
//! see what, the stable error codes, and a real conversation counted as the definitions say.

#![allow(clippy::unwrap_used)]

use serde_json::{Value, json};
use smsdesk::domain::Role;

use crate::helpers::*;

/// A number of ours only Ana's team answers.
const SALES: &str = "+14155550177";

/// The last hour and the current one, as a period: everything the test just did is in it.
fn recent() -> String {
    let from = chrono::Utc::now() - chrono::TimeDelta::hours(1);
    format!("from={}", urlencode(&from.to_rfc3339()))
}

pub async fn reports_answer_in_their_documented_shapes_and_refuse_bad_requests_with_stable_codes(backend: Backend) {
    let app = spawn_app(backend).await;
    let anonymous = reqwest::Client::new();
    for path in [
        "/api/reports/summary",
        "/api/reports/timeseries?metric=new_tickets&bucket=day",
        "/api/reports/agents",
        "/api/reports/inboxes",
    ] {
        let answer = Answer::from_response(anonymous.get(app.url(path)).send().await.unwrap()).await;
        answer.assert_error(401, "unauthorized");
    }

    let summary = app.get("/api/reports/summary?from=2026-12-01&to=2026-12-07&tz=Europe/Amsterdam").await;
    assert_eq!(summary.status, 200, "{}", summary.text);
    assert_eq!(
        summary.body,
        json!({
            "period": {"from": "2026-11-30T23:00:00Z", "to": "2026-12-07T23:00:00Z", "timezone": "Europe/Amsterdam"},
            "new_tickets": 0, "closed_tickets": 0, "auto_closed_tickets": 0,
            "inbound_texts": 0, "outbound_replies": 0, "automatic_replies": 0, "notes": 0,
            "first_response_seconds": {"median": null, "p90": null, "count": 0},
            "first_response_business_seconds": null,
            "resolution_seconds": {"median": null, "p90": null, "count": 0},
            "backlog": {"open": 0, "pending": 0, "oldest_waiting_seconds": null},
        })
    );
    // Without a period: the last 7 days up to the end of this hour, in the team's zone (UTC without hours).
    let default = app.get("/api/reports/summary").await;
    assert_eq!(default.status, 200, "{}", default.text);
    assert_eq!(default.body["period"]["timezone"], "UTC");

    let series = app
        .get("/api/reports/timeseries?metric=new_tickets&bucket=day&from=2026-10-24&to=2026-10-26&tz=Europe/Amsterdam")
        .await;
    assert_eq!(series.status, 200, "{}", series.text);
    assert_eq!(
        series.body,
        json!({
            "metric": "new_tickets", "bucket": "day",
            "period": {"from": "2026-10-23T22:00:00Z", "to": "2026-10-26T23:00:00Z", "timezone": "Europe/Amsterdam"},
            "points": [
                {"start": "2026-10-24T00:00:00+02:00", "value": 0},
                {"start": "2026-10-25T00:00:00+02:00", "value": 0},
                {"start": "2026-10-26T00:00:00+01:00", "value": 0},
            ],
        })
    );
    let medians =
        app.get("/api/reports/timeseries?metric=first_response_median&bucket=hour&from=2026-12-01&to=2026-12-01").await;
    assert_eq!(medians.body["points"].as_array().unwrap().len(), 24, "{}", medians.text);
    assert!(medians.body["points"].as_array().unwrap().iter().all(|p| p["value"].is_null()));

    let agents = app.get("/api/reports/agents?from=2026-12-01").await;
    assert_eq!(agents.status, 200, "{}", agents.text);
    assert_eq!(agents.body["agents"].as_array().unwrap().len(), 1, "the admin of the test: {}", agents.text);
    let admin = &agents.body["agents"][0];
    assert_eq!(
        (
            &admin["assigned_tickets"],
            &admin["outbound_replies"],
            &admin["first_response_median_seconds"],
            &admin["closed_tickets"]
        ),
        (&json!(0), &json!(0), &Value::Null, &json!(0))
    );
    let inboxes = app.get("/api/reports/inboxes?from=2026-12-01").await;
    assert_eq!((inboxes.status, &inboxes.body["inboxes"]), (200, &json!([])), "{}", inboxes.text);

    for (path, code) in [
        ("/api/reports/summary?from=2026-12-07&to=2026-12-01", "invalid_period"),
        ("/api/reports/summary?from=yesterday", "invalid_period"),
        ("/api/reports/summary?from=2025-01-01&to=2026-12-01", "invalid_period"),
        ("/api/reports/agents?from=2026-12-01T10:10:00Z&to=2026-12-01T10:50:00Z", "invalid_period"),
        ("/api/reports/summary?tz=Mars/Olympus", "invalid_timezone"),
        ("/api/reports/inboxes?tz=CEST", "invalid_timezone"),
        ("/api/reports/summary?inbox=sales", "invalid_inbox"),
        ("/api/reports/timeseries?metric=replies&bucket=day", "invalid_metric"),
        ("/api/reports/timeseries?metric=new_tickets&bucket=week", "invalid_bucket"),
        ("/api/reports/timeseries?metric=new_tickets&bucket=hour&from=2026-01-01&to=2026-03-01", "too_many_points"),
    ] {
        app.get(path).await.assert_error(422, code);
    }
    // Required and typed parameters are the framework's: a malformed query.
    assert_eq!(app.get("/api/reports/timeseries?bucket=day").await.status, 400);
    assert_eq!(app.get("/api/reports/summary?agent=ana").await.status, 400);
}

pub async fn a_conversation_texted_answered_and_closed_through_the_api_is_counted_in_the_summary(backend: Backend) {
    let app = spawn_app(backend).await;
    let (ana, ana_token) = new_user_with_token(&app.db, Role::Agent).await;

    // A customer texts (and gets the confirmation), Ana notes and answers, then closes the ticket.
    assert_eq!(app.text(CUSTOMER, "My order has not arrived").await.status, 200);
    let ticket = only_ticket_of(&app, CUSTOMER).await;
    let id = ticket["id"].as_i64().unwrap();
    let path = format!("/api/tickets/{id}");
    let assigned = app.token_send("PATCH", &path, &app.token, json!({"assignee_id": ana.id})).await;
    assert_eq!(assigned.status, 200, "{}", assigned.text);
    let note = app
        .token_send(
            "POST",
            &format!("{path}/messages"),
            &ana_token,
            json!({"body": "Checking the courier", "internal": true}),
        )
        .await;
    assert_eq!(note.status, 201, "{}", note.text);
    let reply =
        app.token_send("POST", &format!("{path}/messages"), &ana_token, json!({"body": "It ships today."})).await;
    assert_eq!(reply.status, 201, "{}", reply.text);
    let closed = app.token_send("PATCH", &path, &ana_token, json!({"status": "closed"})).await;
    assert_eq!(closed.status, 200, "{}", closed.text);
    // An agent-opened conversation: its replies are replies, but it never has a first response.
    let started = app
        .token_send(
            "POST",
            "/api/conversations",
            &ana_token,
            json!({"to": "+14155550124", "body": "Your refund is on its way", "from": OUR_NUMBER}),
        )
        .await;
    assert_eq!(started.status, 201, "{}", started.text);

    let summary = app.get(&format!("/api/reports/summary?{}", recent())).await;
    assert_eq!(summary.status, 200, "{}", summary.text);
    let figures = &summary.body;
    assert_eq!(
        (
            &figures["new_tickets"],
            &figures["closed_tickets"],
            &figures["auto_closed_tickets"],
            &figures["inbound_texts"],
            &figures["outbound_replies"],
            &figures["automatic_replies"],
            &figures["notes"],
        ),
        (&json!(2), &json!(1), &json!(0), &json!(1), &json!(2), &json!(1), &json!(1)),
        "{}",
        summary.text
    );
    assert_eq!(figures["resolution_seconds"]["count"], 1, "{}", summary.text);
    assert_eq!(figures["first_response_seconds"]["count"], 1, "the customer's ticket only: {}", summary.text);
    assert!(figures["first_response_seconds"]["median"].as_i64().is_some_and(|s| (0..60).contains(&s)));
    assert_eq!(
        figures["backlog"],
        json!({"open": 1, "pending": 0, "oldest_waiting_seconds": null}),
        "{}",
        summary.text
    );

    let mine = app.get_as(&format!("/api/reports/summary?{}&agent={}", recent(), ana.id), &ana_token).await;
    assert_eq!(mine.status, 200, "{}", mine.text);
    assert_eq!(
        (
            &mine.body["outbound_replies"],
            &mine.body["notes"],
            &mine.body["closed_tickets"],
            &mine.body["inbound_texts"]
        ),
        (&json!(2), &json!(1), &json!(1), &Value::Null),
        "{}",
        mine.text
    );

    let agents = app.get(&format!("/api/reports/agents?{}", recent())).await;
    let row = agents.body["agents"].as_array().unwrap().iter().find(|a| a["id"] == json!(ana.id)).unwrap().clone();
    assert_eq!(
        (&row["assigned_tickets"], &row["outbound_replies"], &row["closed_tickets"]),
        (&json!(1), &json!(2), &json!(1)),
        "{}",
        agents.text
    );
    assert!(row["first_response_median_seconds"].as_i64().is_some(), "{}", agents.text);

    let series = app.get(&format!("/api/reports/timeseries?metric=inbound_texts&bucket=hour&{}", recent())).await;
    let total: i64 = series.body["points"].as_array().unwrap().iter().map(|p| p["value"].as_i64().unwrap()).sum();
    assert_eq!(total, 1, "{}", series.text);

    let inboxes = app.get(&format!("/api/reports/inboxes?{}", recent())).await;
    let support = &inboxes.body["inboxes"][0];
    assert_eq!(
        (
            &support["number"],
            &support["new_tickets"],
            &support["inbound_texts"],
            &support["outbound_replies"],
            &support["open_tickets"]
        ),
        (&json!(OUR_NUMBER), &json!(2), &json!(1), &json!(2), &json!(1)),
        "{}",
        inboxes.text
    );
}

pub async fn agents_see_their_own_row_and_only_their_inboxes_and_may_not_ask_for_anyone_elses_figures(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let (ana, ana_token) = new_user_with_token(&app.db, Role::Agent).await;
    let (bo, bo_token) = new_user_with_token(&app.db, Role::Agent).await;
    let created = app.post_json("/api/inboxes", json!({"number": SALES, "name": "Sales", "members": [ana.id]})).await;
    assert_eq!(created.status, 201, "{}", created.text);
    app.text(CUSTOMER, "Hello support").await;
    app.text_with_sid("+14155550124", SALES, "A quote please", &new_sid()).await;
    app.text_with_sid("+14155550124", SALES, "For 40 seats", &new_sid()).await;

    let texts = |answer: &Answer| answer.body["inbound_texts"].clone();
    let everyone = app.get(&format!("/api/reports/summary?{}", recent())).await;
    assert_eq!((texts(&everyone), &everyone.body["new_tickets"]), (json!(3), &json!(2)), "{}", everyone.text);
    let for_ana = app.get_as(&format!("/api/reports/summary?{}", recent()), &ana_token).await;
    assert_eq!(texts(&for_ana), json!(3), "Ana is in Sales: {}", for_ana.text);
    let for_bo = app.get_as(&format!("/api/reports/summary?{}", recent()), &bo_token).await;
    assert_eq!(
        (texts(&for_bo), &for_bo.body["new_tickets"]),
        (json!(1), &json!(1)),
        "Sales is hidden from Bo: {}",
        for_bo.text
    );
    let sales_for_bo =
        app.get_as(&format!("/api/reports/summary?{}&inbox={}", recent(), urlencode(SALES)), &bo_token).await;
    assert_eq!(texts(&sales_for_bo), json!(0), "{}", sales_for_bo.text);
    let sales = app.get(&format!("/api/reports/summary?{}&inbox={}", recent(), urlencode(SALES))).await;
    assert_eq!(texts(&sales), json!(2), "{}", sales.text);

    // Agents get their own row only; admins every active user.
    let rows = |answer: &Answer| -> Vec<i64> {
        assert_eq!(answer.status, 200, "{}", answer.text);
        answer.body["agents"].as_array().unwrap().iter().map(|a| a["id"].as_i64().unwrap()).collect()
    };
    assert_eq!(rows(&app.get_as("/api/reports/agents", &bo_token).await), [bo.id.0]);
    assert_eq!(rows(&app.get("/api/reports/agents").await).len(), 3, "the admin, Ana and Bo");

    // Another agent's figures: 403; one's own: fine; admins may ask for anyone's.
    for path in [
        format!("/api/reports/summary?agent={}", ana.id),
        format!("/api/reports/timeseries?metric=outbound_replies&bucket=day&agent={}", ana.id),
    ] {
        app.get_as(&path, &bo_token).await.assert_error(403, "forbidden");
    }
    assert_eq!(app.get_as(&format!("/api/reports/summary?agent={}", bo.id), &bo_token).await.status, 200);
    let for_ana_by_admin = app.get(&format!("/api/reports/summary?agent={}", ana.id)).await;
    assert_eq!((for_ana_by_admin.status, &for_ana_by_admin.body["inbound_texts"]), (200, &Value::Null));

    let numbers = |answer: &Answer| -> Vec<String> {
        answer.body["inboxes"].as_array().unwrap().iter().map(|i| i["number"].as_str().unwrap().to_owned()).collect()
    };
    assert_eq!(numbers(&app.get_as("/api/reports/inboxes", &bo_token).await), [OUR_NUMBER]);
    let all = app.get("/api/reports/inboxes").await;
    assert_eq!(numbers(&all), [OUR_NUMBER, SALES], "{}", all.text);
    assert_eq!(all.body["inboxes"][1]["name"], "Sales");
    assert_eq!(all.body["inboxes"][1]["inbound_texts"], 2);
}
