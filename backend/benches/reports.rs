//! Reports benchmark (issue 18): do the 30-day summary and the daily time series answer in p95 <= 200 ms on
//! 1,000,000 tickets and 5,000,000 messages, on SQLite and on PostgreSQL?
//!
//! Seeds a desk with SQL: a year of tickets up to now (one every ~31 s), on three numbers of ours, twenty
//! agents; each ticket has five messages (the customer's text, the automatic confirmation, an agent's reply
//! 1 to 60 minutes later, a second customer text, then a note or a second reply), an `assigned` event when
//! it has an assignee, and tickets older than two days are closed (a fifth of them by auto-close). The facts
//! reports read (first inbound text, first response, who closed) are seeded as the write path keeps them.
//! Then starts the release server, waits until its background rollup has counted every message and event
//! (and prints how long that took: the catch-up of an upgraded desk), and asks each report
//! `BENCH_REPORT_REQUESTS` times (default 50) one after another as an admin, printing p50, p95 and max.
//!
//! Run with `make bench-reports` (or `cargo bench -p smsdesk --bench reports`). PostgreSQL runs too when
//! `BENCH_DATABASE_URL` or `TEST_DATABASE_URL` names a server where the benchmark may create a database.
//! `BENCH_REPORT_TICKETS` changes the size (messages are five times as many).

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "common/mod.rs"]
mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use chrono::{NaiveDateTime, Utc};
use common::{Server, admin_token, load_average, start_server};
use diesel::connection::SimpleConnection;
use diesel::sql_types::BigInt;
use diesel::{Connection, PgConnection, QueryableByName, RunQueryDsl, SqliteConnection};
use smsdesk::config::DatabaseUrl;

const ADMIN_EMAIL: &str = "reports@bench.example.test";
const TARGET_P95_MS: f64 = 200.0;
const AGENTS: u64 = 20;
/// The first agent's id: clear of the ids the admin command takes.
const FIRST_AGENT: u64 = 1_000_001;
const YEAR_SECONDS: u64 = 365 * 24 * 3600;

/// The seeded desk's shape as SQL over a counter table `n(i)` for tickets, and one `m(i, k)` for their five
/// messages. `ts(expr)` renders "the seed's start plus `expr` seconds" in the backend's dialect; `overriding`
/// lets PostgreSQL take ids for its identity columns.
struct Dialect {
    tickets_counter: String,
    messages_counter: String,
    /// A timestamp `seconds` (an SQL expression) after `start` (an SQL string literal).
    ts: fn(&str, &str) -> String,
    number: &'static str,
    overriding: &'static str,
}

fn seed_sql(d: &Dialect, start: NaiveDateTime, tickets: u64) -> String {
    let start = start.format("%Y-%m-%d %H:%M:%S");
    let start = format!("'{start}'");
    let ts = |seconds: &str| (d.ts)(&start, seconds);
    // Ticket i: opened at `created`; answered `reply_after` seconds later; closed a day later when older
    // than two days.
    let created = format!("(i * {YEAR_SECONDS} / {tickets})");
    let reply_after = "(60 + (i * 7919) % 3540)";
    let closed = format!("({created} + 86400)");
    let recent = format!("({created} > {YEAR_SECONDS} - 2 * 86400)");
    let channel = "CASE i % 10 WHEN 0 THEN '+14155550101' WHEN 1 THEN '+14155550102' ELSE '+14155550100' END";
    let assignee = format!("CASE WHEN i % 7 = 0 THEN NULL ELSE {FIRST_AGENT} + i % {AGENTS} END");
    let responder = format!("{FIRST_AGENT} + i % {AGENTS}");
    let (overriding, number) = (d.overriding, d.number);
    let (tickets_counter, messages_counter) = (&d.tickets_counter, &d.messages_counter);
    let agents = (0..AGENTS)
        .map(|a| {
            let id = FIRST_AGENT + a;
            format!("({id}, 'agent{a}@bench.example.test', 'Agent {a:02}', 'agent', NULL, TRUE, '2025-01-01 00:00:00')")
        })
        .collect::<Vec<_>>()
        .join(", ");
    // A message k of ticket i: 0 the customer's text, 1 the confirmation, 2 the agent's reply, 3 the
    // customer's second text, 4 a note (even i) or a second reply (odd i).
    let message_at = format!(
        "CASE k WHEN 0 THEN {created} WHEN 1 THEN {created} + 1 WHEN 2 THEN {created} + {reply_after} \
         WHEN 3 THEN {created} + {reply_after} + 600 ELSE {created} + {reply_after} + 1200 END"
    );
    format!(
        "INSERT INTO users (id, email, name, role, password_hash, active, created_at) {overriding} VALUES {agents};
         INSERT INTO inboxes (number, name, assignment_policy, created_at, updated_at) VALUES
             ('+14155550100', 'Support', 'manual', '2025-01-01 00:00:00', '2025-01-01 00:00:00'),
             ('+14155550101', 'Sales', 'manual', '2025-01-01 00:00:00', '2025-01-01 00:00:00'),
             ('+14155550102', 'Billing', 'manual', '2025-01-01 00:00:00', '2025-01-01 00:00:00');
         {tickets_counter}
         INSERT INTO tickets (id, customer_number, channel_number, status, created_at, updated_at, closed_at,
                              assignee_id, message_count, last_message_preview, last_message_direction,
                              last_message_at, last_inbound_message_id, waiting_since, first_inbound_at,
                              first_response_at, first_responder_id, closed_by_id, auto_closed) {overriding}
             SELECT i, {number}, {channel},
                    CASE WHEN {recent} THEN (CASE WHEN i % 2 = 0 THEN 'open' ELSE 'pending' END) ELSE 'closed' END,
                    {created_ts}, {updated_ts},
                    CASE WHEN {recent} THEN NULL ELSE {closed_ts} END,
                    {assignee}, 5, 'Thanks, that helps', 'outbound', {updated_ts}, 5 * i - 1,
                    CASE WHEN {recent} AND i % 2 = 0 THEN {created_ts} END,
                    {created_ts}, {response_ts}, {responder},
                    CASE WHEN {recent} OR i % 5 = 0 THEN NULL ELSE {responder} END,
                    CASE WHEN {recent} OR i % 5 <> 0 THEN FALSE ELSE TRUE END
             FROM n;
         {messages_counter}
         INSERT INTO messages (id, ticket_id, direction, internal, body, author_id, provider, provider_message_id,
                               delivery_status, error_code, error_message, media_urls, created_at, updated_at) {overriding}
             SELECT 5 * (i - 1) + k + 1, i,
                    CASE WHEN k IN (0, 3) THEN 'inbound' ELSE 'outbound' END,
                    CASE WHEN k = 4 AND i % 2 = 0 THEN TRUE ELSE FALSE END,
                    'Message ' || k || ' of ticket ' || i,
                    CASE WHEN k IN (2, 4) THEN {responder} END,
                    CASE WHEN k IN (0, 3) THEN 'twilio' END,
                    CASE WHEN k IN (0, 3) THEN 'SM' || i || 'x' || k END,
                    CASE WHEN k IN (1, 2) OR (k = 4 AND i % 2 = 1) THEN 'delivered' END,
                    NULL, NULL, NULL, {message_ts}, {message_ts}
             FROM m;
         {tickets_counter}
         INSERT INTO ticket_events (id, ticket_id, kind, actor_id, at, details) {overriding}
             SELECT i, i, 'assigned', {FIRST_AGENT}, {created_ts}, '{{\"to_assignee\":' || ({assignee}) || '}}'
             FROM n WHERE i % 7 <> 0;",
        created_ts = ts(&created),
        updated_ts = ts(&format!("{created} + {reply_after} + 1200")),
        closed_ts = ts(&closed),
        response_ts = ts(&format!("{created} + {reply_after}")),
        message_ts = ts(&message_at),
    )
}

fn seed_sqlite(path: &Path, start: NaiveDateTime, tickets: u64) {
    smsdesk::db::migrate(&DatabaseUrl::Sqlite(path.to_owned())).unwrap();
    let mut conn = SqliteConnection::establish(&path.to_string_lossy()).unwrap();
    let dialect = Dialect {
        tickets_counter: format!("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {tickets})"),
        messages_counter: format!(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {tickets}),
                  k(k) AS (VALUES (0), (1), (2), (3), (4)),
                  m(i, k) AS (SELECT i, k FROM n, k)"
        ),
        // As SQLite's timestamps are stored: text that sorts as time does.
        ts: |start, seconds| format!("strftime('%Y-%m-%d %H:%M:%S', {start}, '+' || ({seconds}) || ' seconds')"),
        number: "printf('+1415%07d', i)",
        overriding: "",
    };
    // The search index is left out (marked done): the server would otherwise spend the bench indexing.
    conn.batch_execute(&format!(
        "PRAGMA synchronous = OFF; PRAGMA cache_size = -262144; BEGIN; {}
         UPDATE search_index_progress SET last_message_id = {};
         COMMIT; ANALYZE; PRAGMA wal_checkpoint(TRUNCATE);",
        seed_sql(&dialect, start, tickets),
        tickets * 5
    ))
    .unwrap();
}

fn seed_postgres(url: &str, start: NaiveDateTime, tickets: u64) {
    smsdesk::db::migrate(&DatabaseUrl::Postgres(url.to_owned())).unwrap();
    let mut conn = PgConnection::establish(url).unwrap();
    let dialect = Dialect {
        tickets_counter: format!("WITH n(i) AS (SELECT generate_series(1, {tickets})::bigint)"),
        messages_counter: format!(
            "WITH m(i, k) AS (SELECT i, k FROM generate_series(1::bigint, {tickets}::bigint) AS n(i), generate_series(0, 4) AS h(k))"
        ),
        ts: |start, seconds| format!("(TIMESTAMP {start} + ({seconds}) * INTERVAL '1 second')"),
        number: "'+1415' || lpad(i::text, 7, '0')",
        overriding: "OVERRIDING SYSTEM VALUE",
    };
    // Ids were given: the sequences continue after them.
    conn.batch_execute(&format!(
        "BEGIN; {}
         SELECT setval(pg_get_serial_sequence('tickets', 'id'), {tickets});
         SELECT setval(pg_get_serial_sequence('messages', 'id'), {});
         SELECT setval(pg_get_serial_sequence('ticket_events', 'id'), {tickets});
         COMMIT;",
        seed_sql(&dialect, start, tickets),
        tickets * 5
    ))
    .unwrap();
    // As autovacuum would have by now: statistics, and the visibility map index-only scans rely on. (VACUUM
    // cannot run in the implicit transaction of a multi-statement batch.)
    conn.batch_execute("VACUUM ANALYZE").unwrap();
}

#[derive(QueryableByName)]
struct Lag {
    #[diesel(sql_type = BigInt)]
    behind: i64,
}

/// How many messages and events the rollup has yet to count.
fn rollup_lag(database_url: &str) -> i64 {
    let sql = "SELECT (SELECT COALESCE(max(id), 0) FROM messages) - messages_until
                    + (SELECT COALESCE(max(id), 0) FROM ticket_events) - events_until AS behind
               FROM report_rollup";
    let row: Lag = match DatabaseUrl::parse(database_url).unwrap() {
        DatabaseUrl::Sqlite(path) => {
            diesel::sql_query(sql).get_result(&mut SqliteConnection::establish(&path.to_string_lossy()).unwrap())
        }
        DatabaseUrl::Postgres(url) => diesel::sql_query(sql).get_result(&mut PgConnection::establish(&url).unwrap()),
    }
    .unwrap();
    row.behind
}

fn wait_for_rollup(database_url: &str) {
    let started = Instant::now();
    loop {
        let behind = rollup_lag(database_url);
        if behind <= 0 {
            println!("  rollup caught up with every message and event in {:.1} s", started.elapsed().as_secs_f64());
            return;
        }
        assert!(started.elapsed() < Duration::from_secs(1800), "the rollup is still {behind} rows behind");
        std::thread::sleep(Duration::from_millis(500));
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Asks the server's reports as an admin, one request after another.
struct Asker<'a> {
    runtime: tokio::runtime::Runtime,
    client: reqwest::Client,
    server: &'a Server,
    token: String,
    requests: usize,
}

impl Asker<'_> {
    /// Asks `path` `requests` times; prints p50, p95 and max, and (when `targeted`) whether p95 meets the
    /// target.
    fn time(&self, label: &str, path: &str, targeted: bool) {
        let mut latencies = Vec::with_capacity(self.requests);
        let mut body = String::new();
        for _ in 0..self.requests {
            let started = Instant::now();
            let request = self.client.get(format!("{}{path}", self.server.address)).bearer_auth(&self.token);
            // Sent inside the runtime: the request's timeout is a timer of the runtime's.
            let response = self.runtime.block_on(async { request.send().await }).unwrap();
            let status = response.status();
            body = self.runtime.block_on(response.text()).unwrap();
            latencies.push(started.elapsed());
            assert_eq!(status, 200, "{path}: {body}");
        }
        latencies.sort();
        let at = |q: f64| latencies[((q * latencies.len() as f64).ceil() as usize).clamp(1, latencies.len()) - 1];
        let p95 = ms(at(0.95));
        let verdict = match (targeted, p95 <= TARGET_P95_MS) {
            (false, _) => String::new(),
            (true, true) => format!("  PASS (p95 <= {TARGET_P95_MS:.0} ms)"),
            (true, false) => format!("  MISS (p95 > {TARGET_P95_MS:.0} ms)"),
        };
        println!(
            "  {label:<34} p50 {:>6.1} ms  p95 {p95:>6.1} ms  max {:>6.1} ms{verdict}",
            ms(at(0.5)),
            ms(*latencies.last().unwrap())
        );
        if label.starts_with("summary") {
            println!("    {}", body.chars().take(400).collect::<String>());
        }
    }
}

fn bench(name: &str, database_url: &str, now: NaiveDateTime, requests: usize) {
    let dir = tempfile::tempdir().unwrap();
    let token = admin_token(database_url, dir.path(), ADMIN_EMAIL);
    let server = start_server(database_url, dir.path(), &[]);
    println!("\n{name}: load average {} at the start", load_average());
    wait_for_rollup(database_url);
    let asker = Asker {
        runtime: tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap(),
        client: reqwest::Client::builder().timeout(Duration::from_secs(60)).build().unwrap(),
        server: &server,
        token,
        requests,
    };
    let day = |days_ago: i64| (now - chrono::Duration::days(days_ago)).format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let month = format!("from={}&to={}", day(30), day(0));
    let cases: [(&str, String, bool); 7] = [
        ("summary, 30 days", format!("/api/reports/summary?{month}"), true),
        ("summary, 30 days, Sales inbox", format!("/api/reports/summary?{month}&inbox=%2B14155550101"), true),
        ("daily new tickets, 30 days", format!("/api/reports/timeseries?metric=new_tickets&bucket=day&{month}"), true),
        (
            "daily inbound texts, 30 days",
            format!("/api/reports/timeseries?metric=inbound_texts&bucket=day&{month}"),
            true,
        ),
        (
            "daily first response, 30 days",
            format!("/api/reports/timeseries?metric=first_response_median&bucket=day&{month}"),
            true,
        ),
        ("agents, 30 days", format!("/api/reports/agents?{month}"), false),
        ("inboxes, 30 days", format!("/api/reports/inboxes?{month}"), false),
    ];
    for (label, path, targeted) in &cases {
        asker.time(label, path, *targeted);
    }
    println!("  {name}: load average {} at the end", load_average());
}

fn main() {
    let env_number =
        |name: &str, default: u64| std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default);
    let tickets = env_number("BENCH_REPORT_TICKETS", 1_000_000);
    let requests = env_number("BENCH_REPORT_REQUESTS", 50) as usize;
    println!(
        "smsdesk reports benchmark ({} cores): {tickets} tickets, {} messages over the year to now; {requests} requests each",
        std::thread::available_parallelism().map_or(1, |n| n.get()),
        tickets * 5
    );
    smsdesk::gateways::install_tls_provider();
    let now = Utc::now().naive_utc();
    // Two hours back from now: the newest ticket's last message (up to 80 minutes after it opened) is past
    // too, so the rollup can count every message.
    let start = now - chrono::Duration::seconds(YEAR_SECONDS as i64 + 7200);

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("reports.db");
    let started = Instant::now();
    seed_sqlite(&path, start, tickets);
    println!(
        "seeded SQLite in {:.1} s ({:.0} MB)",
        started.elapsed().as_secs_f64(),
        std::fs::metadata(&path).unwrap().len() as f64 / 1e6
    );
    bench("SQLite", &format!("sqlite://{}", path.display()), now, requests);

    match common::postgres_admin_url() {
        None => println!("\nPostgreSQL: skipped (set BENCH_DATABASE_URL or TEST_DATABASE_URL)"),
        Some(admin) => {
            let database = common::ScratchDatabase::create(&admin);
            let started = Instant::now();
            seed_postgres(&database.url, start, tickets);
            println!("\nseeded PostgreSQL in {:.1} s", started.elapsed().as_secs_f64());
            bench("PostgreSQL", &database.url, now, requests);
        }
    }
}
