//! CSV export benchmark (issue 17): does `GET /api/export/…` stream a million rows in constant memory, and
//! how fast?
//!
//! Seeds a SQLite desk with SQL (default 1,000,000 tickets with one message each, so 1,000,000 messages; a
//! contact per customer, half the tickets assigned, a third closed), starts the release server on it, adds an
//! admin and an API token with the `smsdesk` commands, and downloads `tickets.csv` and then `messages.csv`,
//! counting rows as they arrive. A thread samples the server's RSS (`VmRSS` in /proc/<pid>/status) every
//! 20 ms. Prints, for each export: the time and rows/s, the server's RSS before it, and its peak RSS up to the
//! first 100,000 rows and over the whole download; constant memory means the two peaks are about the same.
//! RSS is shown whole (`VmRSS`) and without file-backed pages (`RssAnon`): SQLite reads through a memory map
//! of up to 256 MiB per connection, and the pages of the database file it touched count in `VmRSS` (the
//! kernel drops them when memory is short) while the server's own memory is in `RssAnon`. MB here is 2^20
//! bytes (/proc's kB are KiB).
//!
//! Run with `make bench-export` (or `cargo bench -p smsdesk --bench export`). PostgreSQL runs too when
//! `BENCH_DATABASE_URL` or `TEST_DATABASE_URL` names a server where the benchmark may create a database.
//! `BENCH_EXPORT_TICKETS` changes the size.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "common/mod.rs"]
mod common;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use common::{Server, admin_token, load_average, start_server};
use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection, SqliteConnection};
use smsdesk::config::DatabaseUrl;

const SAMPLE_EVERY: Duration = Duration::from_millis(20);
/// Where the first peak is read: a tenth of the default size.
const EARLY_ROWS: u64 = 100_000;
const ADMIN_EMAIL: &str = "export@bench.example.test";

/// The process's resident set in KiB (`VmRSS`, and `RssAnon`: the part that is not mapped from files); 0 once
/// it has gone.
fn rss_kib(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|line| line.split_whitespace().nth(1)?.parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("RssAnon:"))
}

fn mb(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

/// Samples RSS on a thread of its own until dropped, keeping the peaks (`VmRSS`, `RssAnon`).
struct PeakSampler {
    peak: Arc<[AtomicU64; 2]>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl PeakSampler {
    fn start(pid: u32) -> Self {
        let (rss, anon) = rss_kib(pid);
        let peak = Arc::new([AtomicU64::new(rss), AtomicU64::new(anon)]);
        let stop = Arc::new(AtomicBool::new(false));
        let thread = std::thread::spawn({
            let (peak, stop) = (peak.clone(), stop.clone());
            move || {
                while !stop.load(Ordering::Relaxed) {
                    let (rss, anon) = rss_kib(pid);
                    peak[0].fetch_max(rss, Ordering::Relaxed);
                    peak[1].fetch_max(anon, Ordering::Relaxed);
                    std::thread::sleep(SAMPLE_EVERY);
                }
            }
        });
        Self { peak, stop, thread: Some(thread) }
    }

    fn peak(&self) -> (u64, u64) {
        (self.peak[0].load(Ordering::Relaxed), self.peak[1].load(Ordering::Relaxed))
    }
}

impl Drop for PeakSampler {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Downloads one export, counting rows (the seeded texts have no line breaks, so lines are rows).
fn time_export(runtime: &tokio::runtime::Runtime, server: &Server, token: &str, path: &str, expected: u64) {
    let pid = server.child.id();
    let before = rss_kib(pid);
    let sampler = PeakSampler::start(pid);
    let client = reqwest::Client::builder().timeout(Duration::from_secs(3600)).build().unwrap();
    let started = Instant::now();
    let (rows, bytes, early_peak, early_at) = runtime.block_on(async {
        let mut response = client.get(format!("{}{path}", server.address)).bearer_auth(token).send().await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
        let (mut lines, mut bytes, mut early) = (0u64, 0u64, None);
        while let Some(chunk) = response.chunk().await.unwrap() {
            lines += chunk.iter().filter(|&&b| b == b'\n').count() as u64;
            bytes += chunk.len() as u64;
            if early.is_none() && lines > EARLY_ROWS {
                early = Some((sampler.peak(), started.elapsed()));
            }
        }
        let (early_peak, early_at) = early.unwrap_or((sampler.peak(), started.elapsed()));
        (lines.saturating_sub(1), bytes, early_peak, early_at)
    });
    let took = started.elapsed();
    let peak = sampler.peak();
    drop(sampler);
    assert_eq!(rows, expected, "{path}: every row once");
    println!(
        "  {path:<26} {rows} rows, {:.0} MB, in {:.1} s: {:.0} rows/s",
        bytes as f64 / 1e6,
        took.as_secs_f64(),
        rows as f64 / took.as_secs_f64()
    );
    println!(
        "    server VmRSS:   {:>6.1} MB before, peak {:>6.1} MB to {EARLY_ROWS} rows ({:.1} s), peak {:>6.1} MB to {rows} rows",
        mb(before.0),
        mb(early_peak.0),
        early_at.as_secs_f64(),
        mb(peak.0)
    );
    println!(
        "    server RssAnon: {:>6.1} MB before, peak {:>6.1} MB to {EARLY_ROWS} rows, peak {:>6.1} MB to {rows} rows",
        mb(before.1),
        mb(early_peak.1),
        mb(peak.1)
    );
}

fn bench(name: &str, database_url: &str, tickets: u64) {
    let dir = tempfile::tempdir().unwrap();
    let token = admin_token(database_url, dir.path(), ADMIN_EMAIL);
    let server = start_server(database_url, dir.path(), &[]);
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    smsdesk::gateways::install_tls_provider();
    println!("\n{name}: load average {} at the start", load_average());
    time_export(&runtime, &server, &token, "/api/export/tickets.csv", tickets);
    time_export(&runtime, &server, &token, "/api/export/messages.csv", tickets);
}

/// The rows both databases get, as `INSERT … SELECT` over a counter (`n(i)`); `number` renders the
/// customer's number from `i`, `closed_at` a closing time (PostgreSQL needs a typed literal in a `CASE`), and
/// `overriding` lets PostgreSQL take ids for its identity columns.
fn seed_sql(counter: &str, number: &str, closed_at: &str, overriding: &str) -> String {
    format!(
        "INSERT INTO users (id, email, name, role, password_hash, active, created_at) {overriding}
             VALUES (1000000, 'agent@bench.example.test', 'Agent', 'agent', NULL, TRUE, '2026-01-01 00:00:00');
         {counter}
         INSERT INTO contacts (id, phone_number, name, notes, created_at, updated_at) {overriding}
             SELECT i, {number}, CASE WHEN i % 2 = 0 THEN 'Customer ' || i END, '',
                    '2026-01-01 00:00:00', '2026-01-01 00:00:00' FROM n;
         {counter}
         INSERT INTO tickets (id, customer_number, channel_number, status, created_at, updated_at, closed_at,
                              contact_id, assignee_id, message_count, last_message_preview, last_message_direction,
                              last_message_at, last_inbound_message_id) {overriding}
             SELECT i, {number}, '+14155550100', CASE WHEN i % 3 = 0 THEN 'closed' ELSE 'open' END,
                    '2026-01-01 00:00:00', '2026-01-02 00:00:00',
                    CASE WHEN i % 3 = 0 THEN {closed_at} END,
                    i, CASE WHEN i % 2 = 0 THEN 1000000 END, 1, 'Where is my order?', 'inbound',
                    '2026-01-01 00:00:00', i FROM n;
         {counter}
         INSERT INTO messages (id, ticket_id, direction, internal, body, author_id, provider, provider_message_id,
                               delivery_status, error_code, error_message, media_urls, created_at, updated_at) {overriding}
             SELECT i, i, 'inbound', FALSE,
                    'Message ' || i || ': where is my order? It was due on Monday, \"soon\", they said.',
                    NULL, 'twilio', 'SM' || i, NULL, NULL, NULL, NULL, '2026-01-01 00:00:00', '2026-01-01 00:00:00'
             FROM n;"
    )
}

fn seed_sqlite(path: &Path, tickets: u64) {
    smsdesk::db::migrate(&DatabaseUrl::Sqlite(path.to_owned())).unwrap();
    let mut conn = SqliteConnection::establish(&path.to_string_lossy()).unwrap();
    // The search index is left out (marked done): the server would otherwise spend the bench indexing.
    let counter = format!("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {tickets})");
    let sql = seed_sql(&counter, "printf('+1415%07d', i)", "'2026-01-02 00:00:00'", "");
    conn.batch_execute(&format!(
        "PRAGMA synchronous = OFF; PRAGMA cache_size = -262144; BEGIN; {sql}
         UPDATE search_index_progress SET last_message_id = {tickets};
         COMMIT; PRAGMA wal_checkpoint(TRUNCATE);"
    ))
    .unwrap();
}

fn seed_postgres(url: &str, tickets: u64) {
    smsdesk::db::migrate(&DatabaseUrl::Postgres(url.to_owned())).unwrap();
    let mut conn = PgConnection::establish(url).unwrap();
    let counter = format!("WITH n(i) AS (SELECT generate_series(1, {tickets}))");
    let sql = seed_sql(
        &counter,
        "'+1415' || lpad(i::text, 7, '0')",
        "TIMESTAMP '2026-01-02 00:00:00'",
        "OVERRIDING SYSTEM VALUE",
    );
    // Ids were given: the sequences continue after them.
    conn.batch_execute(&format!(
        "BEGIN; {sql}
         SELECT setval(pg_get_serial_sequence('tickets', 'id'), {tickets});
         SELECT setval(pg_get_serial_sequence('messages', 'id'), {tickets});
         SELECT setval(pg_get_serial_sequence('contacts', 'id'), {tickets});
         COMMIT; ANALYZE;"
    ))
    .unwrap();
}

fn main() {
    let tickets: u64 = std::env::var("BENCH_EXPORT_TICKETS").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000_000);
    println!(
        "smsdesk CSV export benchmark ({} cores): {tickets} tickets, {tickets} messages",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("export.db");
    let started = Instant::now();
    seed_sqlite(&path, tickets);
    println!(
        "seeded SQLite in {:.1} s ({:.0} MB)",
        started.elapsed().as_secs_f64(),
        std::fs::metadata(&path).unwrap().len() as f64 / 1e6
    );
    bench("SQLite", &format!("sqlite://{}", path.display()), tickets);

    match common::postgres_admin_url() {
        None => println!("\nPostgreSQL: skipped (set BENCH_DATABASE_URL or TEST_DATABASE_URL)"),
        Some(admin) => {
            let database = common::ScratchDatabase::create(&admin);
            let started = Instant::now();
            seed_postgres(&database.url, tickets);
            println!("\nseeded PostgreSQL in {:.1} s", started.elapsed().as_secs_f64());
            bench("PostgreSQL", &database.url, tickets);
        }
    }
}
