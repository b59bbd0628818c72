//! `smsdesk copy` benchmark (issue 15): how long does moving a large desk take, each way?
//!
//! Seeds a SQLite desk with SQL (default 100,000 tickets with 10 messages each, so 1,000,000 messages; 100,000
//! contacts; half the messages outbound with a delivery state), then times the release binary's
//! `smsdesk copy` from it into a new PostgreSQL database, and from there into a new SQLite file. Without
//! PostgreSQL it times SQLite to SQLite. Prints rows, seconds and rows per second for each direction, and
//! the time of `smsdesk backup` of the seeded desk.
//!
//! Run with `make bench-copy` (or `cargo bench -p smsdesk --bench copy`). PostgreSQL runs when
//! `BENCH_DATABASE_URL` or `TEST_DATABASE_URL` names a server where the benchmark may create a database.
//! `BENCH_COPY_TICKETS` changes the size (messages are ten times as many).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection, RunQueryDsl, SqliteConnection};
use smsdesk::config::DatabaseUrl;

const MESSAGES_PER_TICKET: u64 = 10;

fn main() {
    let tickets: u64 = std::env::var("BENCH_COPY_TICKETS").ok().and_then(|v| v.parse().ok()).unwrap_or(100_000);
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("source.db");
    let started = Instant::now();
    seed(&source, tickets);
    println!(
        "seeded {tickets} tickets / {} messages on SQLite in {:.1} s ({:.0} MB)",
        tickets * MESSAGES_PER_TICKET,
        started.elapsed().as_secs_f64(),
        std::fs::metadata(&source).unwrap().len() as f64 / 1e6
    );
    time_backup(&source, &dir.path().join("backup.db"));
    let source_url = format!("sqlite://{}", source.display());
    let back_url = format!("sqlite://{}", dir.path().join("back.db").display());
    let admin = std::env::var("BENCH_DATABASE_URL")
        .or_else(|_| std::env::var("TEST_DATABASE_URL"))
        .ok()
        .filter(|url| !url.trim().is_empty());
    match admin {
        Some(admin) => {
            let name = format!("smsdesk_bench_copy_{}", uuid::Uuid::new_v4().simple());
            let mut conn = PgConnection::establish(&admin).expect("BENCH_DATABASE_URL/TEST_DATABASE_URL");
            diesel::sql_query(format!("CREATE DATABASE {name}")).execute(&mut conn).unwrap();
            let mut url = url::Url::parse(&admin).unwrap();
            url.set_path(&name);
            let postgres_url = url.to_string();
            time_copy("SQLite -> PostgreSQL", &source_url, &postgres_url, tickets);
            time_copy("PostgreSQL -> SQLite", &postgres_url, &back_url, tickets);
            diesel::sql_query(format!("DROP DATABASE {name} WITH (FORCE)")).execute(&mut conn).unwrap();
        }
        None => {
            println!("note: BENCH_DATABASE_URL/TEST_DATABASE_URL not set: timing SQLite -> SQLite only");
            time_copy("SQLite -> SQLite", &source_url, &back_url, tickets);
        }
    }
}

/// `smsdesk backup` of the seeded desk, for the README's "how long does a backup take".
fn time_backup(database: &Path, to: &Path) {
    let started = Instant::now();
    let output = Command::new(env!("CARGO_BIN_EXE_smsdesk"))
        .args(["backup", "--to", &to.to_string_lossy()])
        .env_clear()
        .env("DATABASE_URL", database)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(output.status.success(), "backup: {}", String::from_utf8_lossy(&output.stderr));
    println!("smsdesk backup of it: {:.1} s", started.elapsed().as_secs_f64());
}

fn time_copy(direction: &str, from: &str, to: &str, tickets: u64) {
    let started = Instant::now();
    let output = Command::new(env!("CARGO_BIN_EXE_smsdesk"))
        .args(["copy", "--from", from, "--to", to])
        .env_clear()
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    let seconds = started.elapsed().as_secs_f64();
    assert!(output.status.success(), "{direction}: {}", String::from_utf8_lossy(&output.stderr));
    let rows: u64 = String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| line.split_whitespace().nth(1)?.parse::<u64>().ok())
        .sum();
    let messages = tickets * MESSAGES_PER_TICKET;
    println!(
        "{direction:<22} {tickets} tickets / {messages} messages ({rows} rows in all): {seconds:.1} s, {:.0} rows/s",
        rows as f64 / seconds
    );
}

/// A migrated SQLite desk filled by `INSERT … SELECT` over a counter: tickets of ten messages each,
/// alternating customer texts and delivered replies, a contact per customer, a third of tickets closed.
fn seed(path: &Path, tickets: u64) {
    smsdesk::db::migrate(&DatabaseUrl::Sqlite(path.to_owned())).unwrap();
    let mut conn = SqliteConnection::establish(&path.to_string_lossy()).unwrap();
    let messages = tickets * MESSAGES_PER_TICKET;
    conn.batch_execute(&format!(
        "PRAGMA synchronous = OFF; PRAGMA cache_size = -262144;
         BEGIN;
         INSERT INTO users (id, email, name, role, password_hash, active, created_at)
             VALUES (1, 'agent@bench.example.test', 'Agent', 'agent', NULL, 1, '2026-01-01 00:00:00.000000');
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {tickets})
         INSERT INTO contacts (id, phone_number, name, notes, created_at, updated_at)
             SELECT i, printf('+1415%07d', i), NULL, '', '2026-01-01 00:00:00.000000', '2026-01-01 00:00:00.000000'
             FROM n;
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {tickets})
         INSERT INTO tickets (id, customer_number, channel_number, status, created_at, updated_at, closed_at,
                              contact_id, assignee_id, message_count, last_message_preview, last_message_direction,
                              last_message_at, last_inbound_message_id)
             SELECT i, printf('+1415%07d', i), '+14155550100', CASE WHEN i % 3 = 0 THEN 'closed' ELSE 'open' END,
                    '2026-01-01 00:00:00.000000', '2026-01-02 00:00:00.000000',
                    CASE WHEN i % 3 = 0 THEN '2026-01-02 00:00:00.000000' END,
                    i, CASE WHEN i % 2 = 0 THEN 1 END, {MESSAGES_PER_TICKET}, 'Thanks, that helps a lot',
                    'outbound', '2026-01-02 00:00:00.000000', i * {MESSAGES_PER_TICKET} - 1
             FROM n;
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {messages})
         INSERT INTO messages (id, ticket_id, direction, internal, body, author_id, provider, provider_message_id,
                               delivery_status, error_code, error_message, media_urls, created_at, updated_at)
             SELECT i, (i - 1) / {MESSAGES_PER_TICKET} + 1, CASE WHEN i % 2 = 1 THEN 'inbound' ELSE 'outbound' END,
                    0, 'Message ' || i || ': where is my order? It was due on Monday and nobody has told me why.',
                    CASE WHEN i % 2 = 0 THEN 1 END, 'twilio', printf('SM%032d', i),
                    CASE WHEN i % 2 = 0 THEN 'delivered' END, NULL, NULL, NULL,
                    '2026-01-01 00:00:00.000000', '2026-01-01 00:00:00.000000'
             FROM n;
         INSERT INTO texted_numbers (number, first_texted_at) VALUES ('+14155550100', '2026-01-01 00:00:00.000000');
         COMMIT;
         PRAGMA wal_checkpoint(TRUNCATE);"
    ))
    .unwrap();
}
