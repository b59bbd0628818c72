//! The reports over stored rows with chosen timestamps, on SQLite and (with `TEST_DATABASE_URL`) PostgreSQL:
//! exact figures under the product's rules, the same on both databases, and the same before and after the
//! rollup.

#![allow(clippy::unwrap_used)]

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde_json::{Value, json};

use super::*;
use crate::accounts::{Credential, Principal};
use crate::db::schema::{inbox_members, inboxes, messages, report_counts, ticket_events, tickets, users};
use crate::db::scratch::Scratch;
use crate::db::{AnyConnection, StoreError};
use crate::domain::{BusinessHours, BusinessHoursInput, Direction, EventKind, Role, TicketStatus, UserId};
use crate::insert_returning_id;

const SUPPORT: &str = "+14155550100";
const SALES: &str = "+14155550199";

fn at(raw: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(raw, "%Y-%m-%d %H:%M:%S").unwrap()
}

fn instant(raw: &str) -> DateTime<Utc> {
    at(raw).and_utc()
}

fn user(conn: &mut AnyConnection, name: &str, role: Role, active: bool) -> UserId {
    diesel::insert_into(users::table)
        .values((
            users::email.eq(format!("{}@example.com", name.to_lowercase())),
            users::name.eq(name),
            users::role.eq(role),
            users::active.eq(active),
            users::created_at.eq(at("2026-01-01 00:00:00")),
        ))
        .execute(conn)
        .unwrap();
    users::table.filter(users::name.eq(name)).select(users::id).first(conn).unwrap()
}

fn inbox(conn: &mut AnyConnection, number: &str, name: &str, members: &[UserId]) {
    diesel::insert_into(inboxes::table)
        .values((
            inboxes::number.eq(number),
            inboxes::name.eq(name),
            inboxes::assignment_policy.eq("manual"),
            inboxes::created_at.eq(at("2026-01-01 00:00:00")),
            inboxes::updated_at.eq(at("2026-01-01 00:00:00")),
        ))
        .execute(conn)
        .unwrap();
    for member in members {
        diesel::insert_into(inbox_members::table)
            .values((inbox_members::inbox_number.eq(number), inbox_members::user_id.eq(*member)))
            .execute(conn)
            .unwrap();
    }
}

/// A ticket as the write paths leave it.
#[derive(Clone, Copy)]
struct Ticket {
    channel: &'static str,
    status: TicketStatus,
    created: &'static str,
    /// Customer-opened tickets: the opening text (= `created`).
    customer_opened: bool,
    first_response: Option<(&'static str, UserId)>,
    /// When, by whom (none: smsdesk), auto-closed.
    closed: Option<(&'static str, Option<UserId>, bool)>,
    assignee: Option<UserId>,
    waiting_since: Option<&'static str>,
}

impl Ticket {
    fn new(channel: &'static str, created: &'static str) -> Self {
        Self {
            channel,
            status: TicketStatus::Open,
            created,
            customer_opened: true,
            first_response: None,
            closed: None,
            assignee: None,
            waiting_since: None,
        }
    }
}

fn ticket(conn: &mut AnyConnection, spec: Ticket) -> i64 {
    let customers: i64 = tickets::table.count().get_result(conn).unwrap();
    let insert = diesel::insert_into(tickets::table).values((
        tickets::customer_number.eq(format!("+1202555{:04}", customers + 1)),
        tickets::channel_number.eq(spec.channel),
        tickets::status.eq(spec.status),
        tickets::created_at.eq(at(spec.created)),
        tickets::updated_at.eq(at(spec.created)),
        tickets::closed_at.eq(spec.closed.map(|(when, _, _)| at(when))),
        tickets::assignee_id.eq(spec.assignee),
        tickets::first_inbound_at.eq(spec.customer_opened.then(|| at(spec.created))),
        tickets::first_response_at.eq(spec.first_response.map(|(when, _)| at(when))),
        tickets::first_responder_id.eq(spec.first_response.map(|(_, who)| who)),
        tickets::closed_by_id.eq(spec.closed.and_then(|(_, who, _)| who)),
        tickets::auto_closed.eq(spec.closed.is_some_and(|(_, _, auto)| auto)),
        tickets::waiting_since.eq(spec.waiting_since.map(at)),
    ));
    let id: i64 = insert_returning_id!(conn, insert, tickets::id).unwrap();
    id
}

/// A customer text (`None`), an agent's reply or note (`Some`), or an automatic message.
fn message(
    conn: &mut AnyConnection,
    ticket: i64,
    direction: Direction,
    internal: bool,
    author: Option<UserId>,
    when: &str,
) {
    diesel::insert_into(messages::table)
        .values((
            messages::ticket_id.eq(ticket),
            messages::direction.eq(direction),
            messages::internal.eq(internal),
            messages::body.eq("…"),
            messages::author_id.eq(author),
            messages::created_at.eq(at(when)),
            messages::updated_at.eq(at(when)),
        ))
        .execute(conn)
        .unwrap();
}

fn text(conn: &mut AnyConnection, ticket: i64, when: &str) {
    message(conn, ticket, Direction::Inbound, false, None, when);
}

fn reply(conn: &mut AnyConnection, ticket: i64, author: UserId, when: &str) {
    message(conn, ticket, Direction::Outbound, false, Some(author), when);
}

fn automatic(conn: &mut AnyConnection, ticket: i64, when: &str) {
    message(conn, ticket, Direction::Outbound, false, None, when);
}

fn note(conn: &mut AnyConnection, ticket: i64, author: UserId, when: &str) {
    message(conn, ticket, Direction::Outbound, true, Some(author), when);
}

fn event(conn: &mut AnyConnection, ticket: i64, kind: EventKind, details: Value, when: &str) {
    diesel::insert_into(ticket_events::table)
        .values((
            ticket_events::ticket_id.eq(ticket),
            ticket_events::kind.eq(kind.as_str()),
            ticket_events::actor_id.eq(None::<UserId>),
            ticket_events::at.eq(at(when)),
            ticket_events::details.eq(details.to_string()),
        ))
        .execute(conn)
        .unwrap();
}

fn assigned(conn: &mut AnyConnection, ticket: i64, to: UserId, when: &str) {
    event(conn, ticket, EventKind::Assigned, json!({ "to_assignee": to }), when);
}

struct Team {
    admin: UserId,
    ana: UserId,
    bob: UserId,
}

fn principal(user: UserId, role: Role) -> Principal {
    Principal { user_id: user, role, via: Credential::ApiToken }
}

/// The desk of the main scenario; figures for 1 December 2026 (UTC) are worked out in the tests.
fn desk(conn: &mut AnyConnection) -> Team {
    let admin = user(conn, "Admin", Role::Admin, true);
    let ana = user(conn, "Ana", Role::Agent, true);
    let bob = user(conn, "Bob", Role::Agent, true);
    user(conn, "Old", Role::Agent, false);
    inbox(conn, SUPPORT, "Support", &[]);
    // Only Ana sees Sales.
    inbox(conn, SALES, "Sales", &[ana]);

    // 1: a customer texts, gets the confirmation; Ana writes a note, then answers; Bob closes it.
    let t1 = ticket(
        conn,
        Ticket {
            status: TicketStatus::Closed,
            first_response: Some(("2026-12-01 09:10:00", ana)),
            closed: Some(("2026-12-01 11:00:00", Some(bob), false)),
            assignee: Some(ana),
            ..Ticket::new(SUPPORT, "2026-12-01 09:00:00")
        },
    );
    text(conn, t1, "2026-12-01 09:00:00");
    automatic(conn, t1, "2026-12-01 09:00:01");
    note(conn, t1, ana, "2026-12-01 09:05:00");
    reply(conn, t1, ana, "2026-12-01 09:10:00");
    assigned(conn, t1, ana, "2026-12-01 09:01:00");
    event(conn, t1, EventKind::Unassigned, json!({ "from_assignee": ana }), "2026-12-01 09:02:00");
    assigned(conn, t1, ana, "2026-12-01 09:03:00");

    // 2: Bob starts the conversation; the customer answers and Bob replies: no first response, ever.
    let t2 = ticket(
        conn,
        Ticket { customer_opened: false, assignee: Some(bob), ..Ticket::new(SUPPORT, "2026-12-01 10:00:00") },
    );
    reply(conn, t2, bob, "2026-12-01 10:00:00");
    text(conn, t2, "2026-12-01 10:30:00");
    reply(conn, t2, bob, "2026-12-01 10:40:00");
    assigned(conn, t2, bob, "2026-12-01 10:00:00");

    // 3: opened before the period, first answered (by Bob) in it; pending, on Sales.
    let t3 = ticket(
        conn,
        Ticket {
            status: TicketStatus::Pending,
            first_response: Some(("2026-12-01 00:30:00", bob)),
            assignee: Some(ana),
            ..Ticket::new(SALES, "2026-11-30 23:30:00")
        },
    );
    text(conn, t3, "2026-11-30 23:30:00");
    reply(conn, t3, bob, "2026-12-01 00:30:00");
    assigned(conn, t3, ana, "2026-12-01 00:20:00");

    // 4: answered and closed in November, reopened by a text, closed again by Ana in the period.
    let t4 = ticket(
        conn,
        Ticket {
            status: TicketStatus::Closed,
            first_response: Some(("2026-11-28 08:30:00", ana)),
            closed: Some(("2026-12-01 20:00:00", Some(ana), false)),
            assignee: Some(ana),
            ..Ticket::new(SUPPORT, "2026-11-28 08:00:00")
        },
    );
    text(conn, t4, "2026-11-28 08:00:00");
    reply(conn, t4, ana, "2026-11-28 08:30:00");
    text(conn, t4, "2026-12-01 19:00:00");
    reply(conn, t4, ana, "2026-12-01 19:30:00");

    // 5: never answered, closed by the inactivity rule.
    let t5 = ticket(
        conn,
        Ticket {
            status: TicketStatus::Closed,
            closed: Some(("2026-12-01 23:59:59", None, true)),
            ..Ticket::new(SUPPORT, "2026-12-01 01:00:00")
        },
    );
    text(conn, t5, "2026-12-01 01:00:00");
    automatic(conn, t5, "2026-12-01 01:00:01");

    // 6: opened at the end of the period, answered after it.
    let t6 = ticket(
        conn,
        Ticket { first_response: Some(("2026-12-02 00:10:00", ana)), ..Ticket::new(SUPPORT, "2026-12-01 23:50:00") },
    );
    text(conn, t6, "2026-12-01 23:50:00");
    reply(conn, t6, ana, "2026-12-02 00:10:00");

    // 7: waiting since 14:00, assigned to Ana.
    let t7 = ticket(
        conn,
        Ticket {
            assignee: Some(ana),
            waiting_since: Some("2026-12-01 14:00:00"),
            ..Ticket::new(SUPPORT, "2026-12-01 14:00:00")
        },
    );
    text(conn, t7, "2026-12-01 14:00:00");
    assigned(conn, t7, ana, "2026-12-01 14:05:00");

    // 8: an out-of-office reply and Bob's note: neither is a response.
    let t8 = ticket(
        conn,
        Ticket { waiting_since: Some("2026-12-01 15:00:00"), ..Ticket::new(SUPPORT, "2026-12-01 15:00:00") },
    );
    text(conn, t8, "2026-12-01 15:00:00");
    automatic(conn, t8, "2026-12-01 15:00:01");
    note(conn, t8, bob, "2026-12-01 15:10:00");

    Team { admin, ana, bob }
}

const NOW: &str = "2026-12-03 12:00:00";

fn filter(
    viewer: &Principal,
    inbox: Option<&str>,
    agent: Option<UserId>,
    tz: &str,
    from: &str,
    to: &str,
) -> ReportFilter {
    let request = ReportRequest {
        from: Some(from.into()),
        to: Some(to.into()),
        inbox: inbox.map(str::to_owned),
        agent,
        tz: Some(tz.into()),
    };
    ReportFilter::parse(viewer, &request, None, instant(NOW)).unwrap()
}

fn weekdays_9_to_5_utc() -> BusinessHours {
    let day = vec![vec!["09:00".to_owned(), "17:00".to_owned()]];
    BusinessHours::parse(&BusinessHoursInput {
        timezone: "UTC".into(),
        weekly: ["mon", "tue", "wed", "thu", "fri"].into_iter().map(|d| (d.to_owned(), day.clone())).collect(),
        holidays: vec![],
    })
    .unwrap()
}

/// Every report of the main scenario, as JSON.
fn every_report(conn: &mut AnyConnection, team: &Team) -> Value {
    let admin = principal(team.admin, Role::Admin);
    let ana = principal(team.ana, Role::Agent);
    let bob = principal(team.bob, Role::Agent);
    let day = |viewer: &Principal, inbox, agent| filter(viewer, inbox, agent, "UTC", "2026-12-01", "2026-12-01");
    let hours = weekdays_9_to_5_utc();
    let now = instant(NOW);
    let summary =
        |conn: &mut AnyConnection, viewer: &Principal, filter: &ReportFilter, hours: Option<&BusinessHours>| {
            serde_json::to_value(summary_at(conn, viewer, filter, hours, now).unwrap()).unwrap()
        };
    json!({
        "admin": summary(conn, &admin, &day(&admin, None, None), Some(&hours)),
        "admin_no_hours": summary(conn, &admin, &day(&admin, None, None), None),
        "ana": summary(conn, &admin, &day(&admin, None, Some(team.ana)), None),
        "ana_herself": summary(conn, &ana, &day(&ana, None, Some(team.ana)), None),
        "sales": summary(conn, &admin, &day(&admin, Some(SALES), None), None),
        "bob_sees": summary(conn, &bob, &day(&bob, None, None), None),
        "agents": serde_json::to_value(agents_at(conn, &admin, &day(&admin, None, None)).unwrap()).unwrap(),
        "agents_bob": serde_json::to_value(agents_at(conn, &bob, &day(&bob, None, None)).unwrap()).unwrap(),
        "inboxes": serde_json::to_value(inboxes_at(conn, &admin, &day(&admin, None, None)).unwrap()).unwrap(),
        "inboxes_bob": serde_json::to_value(inboxes_at(conn, &bob, &day(&bob, None, None)).unwrap()).unwrap(),
        "first_response_hourly": serde_json::to_value(
            timeseries_at(conn, &admin, &day(&admin, None, None), SeriesMetric::FirstResponseMedian, BucketSize::Hour).unwrap()
        ).unwrap(),
        "replies_hourly_bob": serde_json::to_value(
            timeseries_at(conn, &admin, &day(&admin, None, Some(team.bob)), SeriesMetric::OutboundReplies, BucketSize::Hour).unwrap()
        ).unwrap(),
    })
}

/// Runs `check` on every backend the run has, on the main scenario, before and after the rollup: it
/// returns the reports, which must be the same every time.
async fn on_the_desk_everywhere() -> Vec<(&'static str, Value, Value)> {
    let mut runs = Vec::new();
    for scratch in Scratch::all().await {
        let backend = scratch.backend();
        let team = scratch.db.write(|conn| Ok::<_, StoreError>(desk(conn))).await.unwrap();
        let team = std::sync::Arc::new(team);
        let reports = |team: std::sync::Arc<Team>| {
            let db = scratch.db.clone();
            async move { db.read(move |conn| Ok::<_, StoreError>(every_report(conn, &team))).await.unwrap() }
        };
        let before = reports(team.clone()).await;
        let round = scratch.db.write(|conn| roll_up(conn, at("2026-12-07 00:00:00"), ROUND_ROWS)).await.unwrap();
        assert_eq!(round, Some(RollupRound { messages: 21, events: 6, full: false }), "{backend}");
        let after = reports(team.clone()).await;
        runs.push((backend, before, after));
    }
    runs
}

fn points(series: &Value) -> Vec<(String, Value)> {
    series["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["start"].as_str().unwrap().to_owned(), p["value"].clone()))
        .collect()
}

#[tokio::test]
async fn the_figures_follow_the_definitions_on_both_databases_with_and_without_the_rollup() {
    let runs = on_the_desk_everywhere().await;
    let (_, first, _) = &runs[0];
    for (backend, before, after) in &runs {
        assert_eq!(before, after, "{backend}: the rollup changes no figure");
        assert_eq!(before, first, "{backend}: both databases give the same figures");
    }
    let reports = first;
    let period = json!({"from": "2026-12-01T00:00:00Z", "to": "2026-12-02T00:00:00Z", "timezone": "UTC"});
    assert_eq!(
        reports["admin"],
        json!({
            "period": period,
            // 1, 2, 5, 6, 7, 8: not 3 and 4, opened before.
            "new_tickets": 6,
            // 1 (Bob), 4 (Ana, its last close), 5 (auto).
            "closed_tickets": 3,
            "auto_closed_tickets": 1,
            "inbound_texts": 7,
            // Ana: 1 and 4; Bob: 2 twice (an outbound conversation's replies are replies) and 3.
            "outbound_replies": 5,
            // The confirmation of 1 and 5, the out-of-office reply of 8.
            "automatic_replies": 3,
            "notes": 2,
            // 1: 600 s; 3: 3600 s. Not 2 (agent-opened), not 6 (answered after), not 8 (only a note).
            "first_response_seconds": {"median": 600, "p90": 3600, "count": 2},
            // 3 was answered at night (0 s of business time); 1 at 09:10 on a Tuesday.
            "first_response_business_seconds": {"median": 0, "p90": 600, "count": 2},
            // 1: 2 h; 5: 23:59:59 - 01:00; 4: 28 November 08:00 -> 1 December 20:00.
            "resolution_seconds": {"median": 82_799, "p90": 302_400, "count": 3},
            // 2, 6, 7, 8 open; 3 pending; 7 waits since 14:00 on 1 December.
            "backlog": {"open": 4, "pending": 1, "oldest_waiting_seconds": 46 * 3600},
        })
    );
    assert_eq!(reports["admin_no_hours"]["first_response_business_seconds"], Value::Null);
    assert_eq!(
        reports["ana"],
        json!({
            "period": period,
            "new_tickets": 2,
            "closed_tickets": 1,
            "auto_closed_tickets": 0,
            "inbound_texts": null,
            "outbound_replies": 2,
            "automatic_replies": null,
            "notes": 1,
            "first_response_seconds": {"median": 600, "p90": 600, "count": 1},
            "first_response_business_seconds": null,
            "resolution_seconds": {"median": 302_400, "p90": 302_400, "count": 1},
            "backlog": {"open": 1, "pending": 1, "oldest_waiting_seconds": 46 * 3600},
        })
    );
    assert_eq!(reports["ana_herself"], reports["ana"], "an agent may ask for their own figures");
    let sales = &reports["sales"];
    assert_eq!(
        (
            &sales["new_tickets"],
            &sales["inbound_texts"],
            &sales["outbound_replies"],
            &sales["first_response_seconds"]["median"]
        ),
        (&json!(0), &json!(0), &json!(1), &json!(3600))
    );
    assert_eq!(sales["backlog"], json!({"open": 0, "pending": 1, "oldest_waiting_seconds": null}));
    // Bob does not see Sales: ticket 3 and its reply are not in his team totals.
    let bob = &reports["bob_sees"];
    assert_eq!((&bob["outbound_replies"], &bob["first_response_seconds"]["count"]), (&json!(4), &json!(1)));
    assert_eq!((&bob["backlog"]["pending"], &bob["new_tickets"]), (&json!(0), &json!(6)));

    let agents = &reports["agents"]["agents"];
    let row = |id: UserId, name: &str, assigned: i64, replies: i64, median: Value, closed: i64| {
        json!({"id": id, "name": name, "assigned_tickets": assigned, "outbound_replies": replies,
               "first_response_median_seconds": median, "closed_tickets": closed})
    };
    let ids: Vec<UserId> =
        serde_json::from_value(agents.as_array().unwrap().iter().map(|a| a["id"].clone()).collect()).unwrap();
    let (admin, ana, bob) = (ids[0], ids[1], ids[2]);
    assert_eq!(
        agents,
        &json!([
            row(admin, "Admin", 0, 0, Value::Null, 0),
            // Assigned 1 (twice: unassigned in between), 3 and 7.
            row(ana, "Ana", 4, 2, json!(600), 1),
            row(bob, "Bob", 1, 3, json!(3600), 1),
        ]),
        "inactive users without figures are left out"
    );
    assert_eq!(reports["agents_bob"]["agents"], json!([row(bob, "Bob", 1, 2, Value::Null, 1)]));

    let inbox = |number: &str, name: &str, figures: [i64; 4], fr: Value, resolution: Value, open: i64| {
        json!({"number": number, "name": name, "new_tickets": figures[0], "closed_tickets": figures[1],
               "inbound_texts": figures[2], "outbound_replies": figures[3], "first_response_median_seconds": fr,
               "resolution_median_seconds": resolution, "open_tickets": open})
    };
    assert_eq!(
        reports["inboxes"]["inboxes"],
        json!([
            inbox(SALES, "Sales", [0, 0, 0, 1], json!(3600), Value::Null, 1),
            inbox(SUPPORT, "Support", [6, 3, 7, 4], json!(600), json!(82_799), 4),
        ])
    );
    assert_eq!(
        reports["inboxes_bob"]["inboxes"],
        json!([inbox(SUPPORT, "Support", [6, 3, 7, 4], json!(600), json!(82_799), 4)])
    );

    let hourly = points(&reports["first_response_hourly"]);
    assert_eq!(hourly.len(), 24, "every hour is a point");
    assert_eq!(hourly[0], ("2026-12-01T00:00:00Z".to_owned(), json!(3600)));
    assert_eq!(hourly[9], ("2026-12-01T09:00:00Z".to_owned(), json!(600)));
    assert!(hourly.iter().enumerate().all(|(i, (_, v))| i == 0 || i == 9 || v.is_null()), "{hourly:?}");
    let replies: Vec<Value> = points(&reports["replies_hourly_bob"]).into_iter().map(|(_, v)| v).collect();
    assert_eq!(
        (replies[0].clone(), replies[10].clone(), replies.iter().filter(|v| **v == json!(0)).count()),
        (json!(1), json!(2), 22)
    );
}

/// Tickets and texts around Amsterdam's daylight-saving changes of 2026.
fn dst_desk(conn: &mut AnyConnection) -> UserId {
    let admin = user(conn, "Admin", Role::Admin, true);
    for created in [
        "2026-03-29 00:30:00", // 01:30 CET
        "2026-03-29 01:30:00", // 03:30 CEST: the hour between never happened
        "2026-10-24 21:59:00", // 23:59 CEST, Saturday 24 October
        "2026-10-24 22:00:00", // 00:00 CEST, Sunday 25 October
        "2026-10-25 00:30:00", // 02:30 CEST
        "2026-10-25 01:30:00", // 02:30 CET: the same wall-clock hour again
        "2026-10-25 22:59:00", // 23:59 CET, still Sunday
        "2026-10-25 23:00:00", // 00:00 CET, Monday 26 October
    ] {
        let id = ticket(conn, Ticket::new(SUPPORT, created));
        let when: &'static str = created;
        text(conn, id, when);
    }
    admin
}

#[tokio::test]
async fn daily_and_hourly_series_follow_amsterdams_daylight_saving_days() {
    let mut runs = Vec::new();
    for scratch in Scratch::all().await {
        let backend = scratch.backend();
        let admin = scratch.db.write(|conn| Ok::<_, StoreError>(dst_desk(conn))).await.unwrap();
        let db = scratch.db.clone();
        let series = move |metric, size, from: &'static str, to: &'static str| {
            let db = db.clone();
            async move {
                db.read(move |conn| {
                    let viewer = principal(admin, Role::Admin);
                    let filter = filter(&viewer, None, None, "Europe/Amsterdam", from, to);
                    Ok::<_, ReportError>(points(
                        &serde_json::to_value(timeseries_at(conn, &viewer, &filter, metric, size)?).unwrap(),
                    ))
                })
                .await
                .unwrap()
            }
        };
        let mut seen = Vec::new();
        for round in 0..2 {
            for metric in [SeriesMetric::NewTickets, SeriesMetric::InboundTexts] {
                let autumn_days = series(metric, BucketSize::Day, "2026-10-24", "2026-10-26").await;
                assert_eq!(
                    autumn_days,
                    [
                        ("2026-10-24T00:00:00+02:00".to_owned(), json!(1)),
                        ("2026-10-25T00:00:00+02:00".to_owned(), json!(4)),
                        ("2026-10-26T00:00:00+01:00".to_owned(), json!(1)),
                    ],
                    "{backend} {metric:?} round {round}"
                );
                let autumn_hours = series(metric, BucketSize::Hour, "2026-10-25", "2026-10-25").await;
                assert_eq!(autumn_hours.len(), 25, "{backend}: a 25-hour day");
                assert_eq!(autumn_hours[0], ("2026-10-25T00:00:00+02:00".to_owned(), json!(1)));
                assert_eq!(autumn_hours[2], ("2026-10-25T02:00:00+02:00".to_owned(), json!(1)));
                assert_eq!(autumn_hours[3], ("2026-10-25T02:00:00+01:00".to_owned(), json!(1)));
                assert_eq!(autumn_hours[24], ("2026-10-25T23:00:00+01:00".to_owned(), json!(1)));
                assert_eq!(autumn_hours.iter().map(|(_, v)| v.as_i64().unwrap()).sum::<i64>(), 4);
                let spring_days = series(metric, BucketSize::Day, "2026-03-28", "2026-03-30").await;
                assert_eq!(
                    spring_days,
                    [
                        ("2026-03-28T00:00:00+01:00".to_owned(), json!(0)),
                        ("2026-03-29T00:00:00+01:00".to_owned(), json!(2)),
                        ("2026-03-30T00:00:00+02:00".to_owned(), json!(0)),
                    ]
                );
                let spring_hours = series(metric, BucketSize::Hour, "2026-03-29", "2026-03-29").await;
                assert_eq!(spring_hours.len(), 23, "{backend}: a 23-hour day");
                assert_eq!(spring_hours[1], ("2026-03-29T01:00:00+01:00".to_owned(), json!(1)));
                assert_eq!(spring_hours[2], ("2026-03-29T03:00:00+02:00".to_owned(), json!(1)));
                seen.push(autumn_hours);
            }
            if round == 0 {
                let rolled =
                    scratch.db.write(|conn| roll_up(conn, at("2026-12-07 00:00:00"), ROUND_ROWS)).await.unwrap();
                assert_eq!(rolled.map(|r| r.messages), Some(8), "{backend}");
            }
        }
        runs.push(seen);
    }
    assert!(runs.windows(2).all(|pair| pair[0] == pair[1]), "both databases give the same series");
}

/// The stored counts, as sorted rows.
fn stored(conn: &mut AnyConnection) -> Vec<(NaiveDateTime, String, String, i64, i64)> {
    report_counts::table
        .select((
            report_counts::hour,
            report_counts::channel_number,
            report_counts::metric,
            report_counts::user_id,
            report_counts::count,
        ))
        .order((report_counts::hour, report_counts::channel_number, report_counts::metric, report_counts::user_id))
        .load(conn)
        .unwrap()
}

#[tokio::test]
async fn the_rollup_counts_each_row_once_in_small_rounds_and_leaves_recent_rows_for_later() {
    for scratch in Scratch::all().await {
        let backend = scratch.backend();
        let team = scratch.db.write(|conn| Ok::<_, StoreError>(desk(conn))).await.unwrap();
        let now = at("2026-12-07 00:00:00");
        // Rows written in the last minute may still have smaller ids committing after them (PostgreSQL).
        scratch
            .db
            .write(move |conn| {
                let id = ticket(conn, Ticket::new(SUPPORT, "2026-12-06 23:59:30"));
                text(conn, id, "2026-12-06 23:59:30");
                assigned(conn, id, team.ana, "2026-12-06 23:59:31");
                Ok::<_, StoreError>(())
            })
            .await
            .unwrap();
        let mut rounds = Vec::new();
        loop {
            let round = scratch.db.write(move |conn| roll_up(conn, now, 5)).await.unwrap().unwrap();
            rounds.push((round.messages, round.events));
            if !round.full {
                break;
            }
        }
        assert_eq!(rounds, [(5, 5), (5, 1), (5, 0), (5, 0), (1, 0)], "{backend}");
        let small_rounds = scratch.db.read(|conn| Ok::<_, StoreError>(stored(conn))).await.unwrap();
        // Nothing new: a round changes nothing.
        let idle = scratch.db.write(move |conn| roll_up(conn, now, 5)).await.unwrap();
        assert_eq!(idle, Some(RollupRound::default()), "{backend}");
        // A minute later the recent rows are counted too, once.
        let later = now + chrono::TimeDelta::seconds(61);
        let round = scratch.db.write(move |conn| roll_up(conn, later, 5)).await.unwrap();
        assert_eq!(round, Some(RollupRound { messages: 1, events: 1, full: false }), "{backend}");
        let all = scratch.db.read(|conn| Ok::<_, StoreError>(stored(conn))).await.unwrap();
        let outbound_ana: i64 =
            small_rounds.iter().filter(|r| r.2 == "outbound_replies" && r.3 == team.ana.0).map(|r| r.4).sum();
        assert_eq!(outbound_ana, 4, "{backend}: every reply of Ana's, in November and December and after");
        assert_eq!(all.len(), small_rounds.len() + 2, "{backend}: one new hour of texts and one of assignments");
        assert!(all.iter().any(|r| r.2 == "assigned" && r.0 == at("2026-12-06 23:00:00")), "{backend}");
    }
}
