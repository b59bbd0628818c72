//! CSV exports: admins only, the queue's filters and a date range, CSV that spreadsheets and scripts read back
//! as written (and that runs no formulas), and every row once however many pages it takes.

#![allow(clippy::unwrap_used)]

use std::collections::HashMap;

use diesel::prelude::*;
use serde_json::json;
use smsdesk::db::StoreError;
use smsdesk::db::schema::{messages, tickets};
use smsdesk::domain::Role;

use crate::helpers::*;

const TICKET_COLUMNS: [&str; 17] = [
    "id",
    "status",
    "customer_number",
    "contact_name",
    "our_number",
    "assignee_email",
    "assignee_name",
    "created_at",
    "updated_at",
    "closed_at",
    "message_count",
    "last_message_at",
    "opted_out",
    "inbox",
    "priority",
    "tags",
    "waiting_since",
];

const MESSAGE_COLUMNS: [&str; 11] = [
    "id",
    "ticket_id",
    "created_at",
    "direction",
    "kind",
    "author",
    "author_email",
    "body",
    "delivery_status",
    "customer_number",
    "our_number",
];

/// A downloaded export: its answer and its rows by column name.
struct Csv {
    answer: Answer,
    disposition: String,
    header: Vec<String>,
    rows: Vec<HashMap<String, String>>,
}

impl Csv {
    fn column(&self, name: &str) -> Vec<&str> {
        self.rows.iter().map(|row| row[name].as_str()).collect()
    }

    fn ids(&self) -> Vec<i64> {
        self.rows.iter().map(|row| row["id"].parse().unwrap()).collect()
    }
}

async fn download(app: &TestClient, path: &str) -> Csv {
    let response = app.client.get(app.url(path)).bearer_auth(&app.token).send().await.unwrap();
    let disposition =
        response.headers().get("content-disposition").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    let answer = Answer::from_response(response).await;
    assert_eq!(answer.status, 200, "{path}: {}", answer.text);
    let mut reader = csv::ReaderBuilder::new().from_reader(answer.text.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(str::to_owned).collect();
    let rows = reader
        .records()
        .map(|record| header.iter().cloned().zip(record.unwrap().iter().map(str::to_owned)).collect())
        .collect();
    Csv { answer, disposition, header, rows }
}

async fn ticket_id(app: &TestClient, customer: &str) -> i64 {
    only_ticket_of(app, customer).await["id"].as_i64().unwrap()
}

fn is_utc_second(value: &str) -> bool {
    chrono::NaiveDateTime::parse_from_str(value, "%Y-%m-%dT%H:%M:%SZ").is_ok()
}

pub async fn only_admins_may_export_and_anonymous_callers_must_sign_in(backend: Backend) {
    let app = spawn_app(backend).await;
    let agent = new_token(&app.db, Role::Agent).await;
    for path in ["/api/export/tickets.csv", "/api/export/messages.csv"] {
        app.get_as(path, &agent).await.assert_error(403, "forbidden");
        let anonymous = Answer::from_response(app.client.get(app.url(path)).send().await.unwrap()).await;
        anonymous.assert_error(401, "unauthorized");
    }

    // The dashboard downloads with a plain link: the session cookie is enough for a GET.
    let created = app
        .post_json(
            "/api/users",
            json!({"email": "lead@example.com", "name": "Lea Lead", "role": "admin", "password": "correct horse battery"}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let session = app.sign_in("lead@example.com", "correct horse battery").await;
    let answer = app.session_get("/api/export/tickets.csv", &session).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    assert!(answer.text.starts_with("id,status,"), "{}", answer.text);
}

pub async fn the_tickets_export_has_a_header_and_a_row_per_ticket_in_e164_and_utc(backend: Backend) {
    let app = spawn_app(backend).await;
    app.text(CUSTOMER, "Hi, my order is late").await;
    app.text("+14155550124", "Hello").await;
    let first = only_ticket_of(&app, CUSTOMER).await;
    let first_id = first["id"].as_i64().unwrap();
    let second = ticket_id(&app, "+14155550124").await;
    app.patch_json(&format!("/api/contacts/{}", first["contact"]["id"]), json!({"name": "Carla, \"CC\" Customer"}))
        .await;
    let (admin, admin_token) = new_user_with_token(&app.db, Role::Admin).await;
    let assigned = app
        .patch_json(
            &format!("/api/tickets/{first_id}"),
            json!({"assignee_id": admin.id, "priority": "urgent", "tags": ["refund", "vip"]}),
        )
        .await;
    assert_eq!(assigned.status, 200, "{}", assigned.text);
    let closed = app.patch_json(&format!("/api/tickets/{second}"), json!({"status": "closed"})).await;
    assert_eq!(closed.status, 200, "{}", closed.text);

    let csv = download(&app, "/api/export/tickets.csv").await;
    assert_eq!(csv.answer.content_type, "text/csv; charset=utf-8");
    let today = chrono::Utc::now().format("%Y-%m-%d");
    assert_eq!(csv.disposition, format!("attachment; filename=\"tickets-{today}.csv\""));
    assert_eq!(csv.header, TICKET_COLUMNS);
    assert_eq!(csv.ids(), [first_id, second], "by id");

    let row = &csv.rows[0];
    assert_eq!(row["status"], "open");
    assert_eq!(row["customer_number"], CUSTOMER, "E.164, + included");
    assert_eq!(row["our_number"], OUR_NUMBER);
    assert_eq!(row["contact_name"], "Carla, \"CC\" Customer");
    assert_eq!(row["assignee_email"], admin.email.as_str());
    assert_eq!(row["assignee_name"], admin.name);
    assert_eq!(row["message_count"], "2", "the text and its confirmation");
    assert_eq!(row["closed_at"], "");
    assert_eq!(row["opted_out"], "false");
    assert_eq!(row["priority"], "urgent");
    assert_eq!(row["tags"], "refund, vip");
    assert!(!row["inbox"].is_empty(), "the number's inbox, created by its first text");
    assert!(is_utc_second(&row["waiting_since"]), "nobody answered yet: {}", row["waiting_since"]);
    for column in ["created_at", "updated_at", "last_message_at"] {
        assert!(is_utc_second(&row[column]), "{column}: {}", row[column]);
    }
    assert!(row["created_at"].starts_with(&today.to_string()));
    let closed_row = &csv.rows[1];
    assert_eq!(closed_row["status"], "closed");
    assert!(is_utc_second(&closed_row["closed_at"]), "{}", closed_row["closed_at"]);
    assert_eq!(closed_row["assignee_email"], "");

    // Anyone's admin token will do; `assignee=me` is whoever exports.
    let mine = app.get_as("/api/export/tickets.csv?assignee=me", &admin_token).await;
    assert_eq!(mine.status, 200);
    assert_eq!(mine.text.lines().count(), 2, "{}", mine.text);
}

pub async fn message_bodies_round_trip_and_cells_a_spreadsheet_would_run_are_quoted(backend: Backend) {
    let app = spawn_app(backend).await;
    let tricky = "Hi, \"quoted\", two\nlines; ünïcödé — 東京 🎉";
    app.text(CUSTOMER, tricky).await;
    let id = ticket_id(&app, CUSTOMER).await;
    assert_eq!(app.reply(id, "=HYPERLINK(\"https://evil.example\",\"click\")").await.status, 201);
    let note =
        app.post_json(&format!("/api/tickets/{id}/messages"), json!({"body": "@admin -1 +1", "internal": true})).await;
    assert_eq!(note.status, 201, "{}", note.text);
    app.text(CUSTOMER, "-2+3").await;

    let csv = download(&app, "/api/export/messages.csv").await;
    assert_eq!(
        csv.disposition,
        format!("attachment; filename=\"messages-{}.csv\"", chrono::Utc::now().format("%Y-%m-%d"))
    );
    assert_eq!(csv.header, MESSAGE_COLUMNS);
    assert_eq!(csv.column("kind"), ["customer", "automatic", "agent", "note", "customer"]);
    assert_eq!(csv.column("direction"), ["inbound", "outbound", "outbound", "outbound", "inbound"]);
    assert_eq!(
        csv.column("body"),
        [
            tricky,
            csv.rows[1]["body"].as_str(),
            "'=HYPERLINK(\"https://evil.example\",\"click\")",
            "'@admin -1 +1",
            "'-2+3",
        ],
        "commas, quotes, newlines and unicode come back as sent; formulas get a leading quote"
    );
    assert!(csv.rows[1]["body"].contains(&id.to_string()), "the confirmation names the ticket");
    assert_eq!(csv.column("customer_number"), [CUSTOMER; 5], "numbers keep their +");
    assert_eq!(csv.column("our_number"), [OUR_NUMBER; 5]);
    assert_eq!(csv.column("ticket_id"), [id.to_string().as_str(); 5]);
    assert_eq!(csv.column("author"), ["", "", "Test User", "Test User", ""]);
    assert!(!csv.rows[2]["delivery_status"].is_empty(), "a reply has a delivery status");
    assert_eq!(csv.rows[3]["delivery_status"], "", "a note is never sent");
    assert!(csv.rows.iter().all(|row| is_utc_second(&row["created_at"])));
}

pub async fn exports_take_the_queues_filters_and_a_date_range(backend: Backend) {
    let app = spawn_app(backend).await;
    app.text("+14155550131", "Where is my invoice?").await;
    let first = only_ticket_of(&app, "+14155550131").await;
    app.text("+14155550132", "Hello").await;
    app.text("+14155550133", "Bonjour").await;
    let (first_id, first_created) = (first["id"].as_i64().unwrap(), first["created_at"].as_str().unwrap().to_owned());
    let second = ticket_id(&app, "+14155550132").await;
    let third = ticket_id(&app, "+14155550133").await;
    app.patch_json(&format!("/api/tickets/{second}"), json!({"status": "closed"})).await;
    let today = chrono::Utc::now().date_naive();
    let tomorrow = today.succ_opt().unwrap();
    let yesterday = today.pred_opt().unwrap();

    let ids = |query: String| {
        let app = &app;
        async move { download(app, &format!("/api/export/tickets.csv?{query}")).await.ids() }
    };
    assert_eq!(ids("status=closed".into()).await, [second]);
    assert_eq!(ids("status=open,pending".into()).await, [first_id, third]);
    assert_eq!(ids("assignee=none&status=all".into()).await, [first_id, second, third]);
    assert_eq!(ids(format!("customer_number={}", urlencode("+1 415-555-0133"))).await, [third]);
    assert_eq!(ids(format!("from={today}&to={today}")).await, [first_id, second, third]);
    assert_eq!(ids(format!("from={tomorrow}")).await, Vec::<i64>::new());
    assert_eq!(ids(format!("to={yesterday}")).await, Vec::<i64>::new());
    // A time `to` is included: the first ticket's own creation time takes it and nothing later.
    assert_eq!(ids(format!("to={}", urlencode(&first_created))).await, [first_id]);
    assert_eq!(ids(format!("from={}", urlencode(&first_created))).await, [first_id, second, third]);

    let messages = download(&app, &format!("/api/export/messages.csv?status=closed&from={today}")).await;
    assert_eq!(messages.column("ticket_id"), [second.to_string(), second.to_string()], "text and confirmation");
    let none = download(&app, &format!("/api/export/messages.csv?from={tomorrow}")).await;
    assert_eq!(none.header, MESSAGE_COLUMNS, "an empty export still has its header");
    assert!(none.rows.is_empty());

    for path in ["/api/export/tickets.csv", "/api/export/messages.csv"] {
        app.get(&format!("{path}?from=last+week")).await.assert_error(422, "invalid_date");
        app.get(&format!("{path}?to=2026-02-30")).await.assert_error(422, "invalid_date");
        app.get(&format!("{path}?from={today}&to={yesterday}")).await.assert_error(422, "invalid_date_range");
        app.get(&format!("{path}?status=shut")).await.assert_error(422, "invalid_status");
        app.get(&format!("{path}?assignee=someone")).await.assert_error(422, "invalid_assignee");
        app.get(&format!("{path}?limit=10")).await.assert_error(422, "export_not_paged");
        app.get(&format!("{path}?cursor=abc")).await.assert_error(422, "export_not_paged");
    }
}

/// 2,500 tickets (every third closed) with a message each, and 1,200 more messages on the first ticket:
/// written straight into the database, as the API would take minutes for them.
async fn seed_many(app: &TestApp) -> (Vec<i64>, Vec<i64>) {
    app.db
        .write(|conn| -> Result<_, StoreError> {
            let now = chrono::Utc::now().naive_utc();
            let rows: Vec<_> = (0..2_500)
                .map(|i| {
                    (
                        tickets::customer_number.eq(format!("+1415{:07}", 1_000_000 + i)),
                        tickets::channel_number.eq(OUR_NUMBER),
                        tickets::status.eq(if i % 3 == 0 { "closed" } else { "open" }),
                        tickets::created_at.eq(now),
                        tickets::updated_at.eq(now),
                        tickets::message_count.eq(1),
                    )
                })
                .collect();
            smsdesk::on_backend!(conn, |c| diesel::insert_into(tickets::table).values(rows).execute(c))?;
            let ids: Vec<i64> = tickets::table.select(tickets::id).order(tickets::id).load(conn)?;
            let messages_of = |ticket: i64, n: usize| {
                (0..n)
                    .map(|k| {
                        (
                            messages::ticket_id.eq(ticket),
                            messages::direction.eq("inbound"),
                            messages::internal.eq(false),
                            messages::body.eq(format!("text {k} of ticket {ticket}")),
                            messages::created_at.eq(now),
                            messages::updated_at.eq(now),
                        )
                    })
                    .collect::<Vec<_>>()
            };
            // Two statements, each under SQLite's 32,766 bound values.
            let one_each: Vec<_> = ids.iter().flat_map(|&id| messages_of(id, 1)).collect();
            smsdesk::on_backend!(conn, |c| diesel::insert_into(messages::table).values(one_each).execute(c))?;
            let many = messages_of(ids[0], 1_200);
            smsdesk::on_backend!(conn, |c| diesel::insert_into(messages::table).values(many).execute(c))?;
            let message_ids: Vec<i64> = messages::table.select(messages::id).order(messages::id).load(conn)?;
            Ok((ids, message_ids))
        })
        .await
        .unwrap()
}

pub async fn an_export_longer_than_a_page_has_every_row_exactly_once(backend: Backend) {
    let app = spawn_app(backend).await;
    let (ticket_ids, message_ids) = seed_many(&app).await;

    let tickets = download(&app, "/api/export/tickets.csv").await;
    assert_eq!(tickets.ids(), ticket_ids, "all 2,500, each once, by id");
    let closed: Vec<i64> = ticket_ids.iter().step_by(3).copied().collect();
    assert_eq!(download(&app, "/api/export/tickets.csv?status=closed").await.ids(), closed);

    let messages = download(&app, "/api/export/messages.csv").await;
    let mut exported = messages.ids();
    assert_eq!(exported.len(), message_ids.len(), "3,700 messages");
    exported.sort_unstable();
    assert_eq!(exported, message_ids, "each once");
    let by_ticket: Vec<i64> = messages.column("ticket_id").iter().map(|t| t.parse().unwrap()).collect();
    assert!(by_ticket.is_sorted(), "grouped by ticket");
    assert_eq!(by_ticket.iter().filter(|&&t| t == ticket_ids[0]).count(), 1_201);
}
