//! Polling benchmark: is an agent's dashboard cheap to keep fresh while texts pour in?
//!
//! On a seeded help desk (100,000 tickets of 10 messages: a year of history, ~15 % of tickets open or pending,
//! contacts, assignments, read markers), against the release binary with its production settings:
//!
//! 1. Polling: 200 agents each poll every 2 s what the dashboard polls (the open/pending queue, the tab
//!    counts, and the thread of a ticket they have open), each with `If-None-Match` set to the last ETag they
//!    received, while 1,000 signed texts a second arrive (half from customers with an unclosed ticket, half
//!    from new numbers). Prints latency per endpoint, the share of 304s, and the webhooks' rate and latency.
//! 2. Ingest capacity: unpaced webhooks over 64 connections without pollers and with the 200 pollers,
//!    alternating, three runs each; prints both rates, their ratio and the range of the pairs' ratios (on a
//!    2-core VM one 10-s run can differ from the next by a tenth, so one pair says little).
//! 3. List scaling: the queue's first page (`status=open,pending` and unfiltered, full 200 answers) on a
//!    1,000-ticket and a 1,000,000-ticket desk (1 message per ticket); prints p99 on each and the ratio, and
//!    the query plans on the big one.
//!
//! Targets, printed PASS/MISS next to the figures (a miss does not fail the run; errors such as answers other
//! than 2xx/304 or a server crash do): poll p99 < 20 ms; ingest with pollers >= 80 % of without; list p99 at
//! 1M tickets <= 1.5x that at 1k.
//!
//! Run with `cargo bench -p smsdesk --bench polling`. PostgreSQL runs too when `BENCH_DATABASE_URL` or
//! `TEST_DATABASE_URL` names a server where the benchmark may create databases. Sizes and durations:
//! `BENCH_TICKETS` (100000; messages are 10x), `BENCH_SECONDS` (30), `BENCH_SCALE_TICKETS` (1000000),
//! `BENCH_AGENTS` (200), `BENCH_RATE` (1000 texts/s), `BENCH_CAPACITY_SECONDS` (10), `BENCH_CAPACITY_PAIRS`
//! (3), `BENCH_WARMUP_SECONDS`
//! (5), `BENCH_SCALE_REQUESTS` (500). Also: `BENCH_BACKENDS` (`sqlite,postgres`) picks backends;
//! `BENCH_SKIP_POLLING=1` skips parts 1 and 2, `BENCH_SKIP_SCALE=1` part 3; `BENCH_SQLITE_ANALYZE=1` runs
//! ANALYZE after seeding SQLite (smsdesk itself never does); `BENCH_POOL_SIZE` sets the server's
//! `DATABASE_POOL_SIZE`; `BENCH_CHECK_SEED=1` checks the seeded tickets' denormalised columns;
//! `BENCH_KEEP_DIR=<dir>` keeps the databases to look into afterwards (SQLite files in that directory,
//! PostgreSQL databases not dropped).

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "polling/load.rs"]
mod load;
#[path = "polling/seed.rs"]
mod seed;
#[path = "polling/stats.rs"]
mod stats;

use std::sync::Arc;
use std::time::Duration;

use load::{Dashboard, ENDPOINTS, Server, Texts};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use seed::{Backend, BenchDatabase, CHANNEL, RawConnection, SALES_CHANNEL};
use stats::{CpuMeter, Tally};
use tokio::time::Instant;

const POLL_P99_TARGET_MS: f64 = 20.0;
const INGEST_RATIO_TARGET: f64 = 0.80;
const LIST_RATIO_TARGET: f64 = 1.5;
const MESSAGES_PER_TICKET: usize = 10;
const PACED_CONNECTIONS: usize = 16;
const BASELINE_REQUESTS: usize = 200;
const UNPACED_CONNECTIONS: usize = 64;
const SCALE_SMALL: usize = 1_000;
const SCALE_CONNECTIONS: usize = 2;
/// Rounds of `BENCH_SCALE_REQUESTS` per list query; the median round's p99 is compared (a single p99 of 500
/// requests on a 2-core machine moves with whatever else the server does in that second).
const SCALE_ROUNDS: usize = 3;

struct Config {
    tickets: usize,
    seconds: u64,
    scale_tickets: usize,
    agents: usize,
    rate: f64,
    capacity_seconds: u64,
    capacity_pairs: usize,
    warmup_seconds: u64,
    scale_requests: usize,
    skip_scale: bool,
    skip_polling: bool,
}

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    match std::env::var(name) {
        Ok(raw) if !raw.trim().is_empty() => {
            raw.trim().replace('_', "").parse().unwrap_or_else(|_| panic!("{name}={raw:?} is not a valid value"))
        }
        _ => default,
    }
}

impl Config {
    fn from_env() -> Self {
        Self {
            tickets: env_or("BENCH_TICKETS", 100_000usize).max(10),
            seconds: env_or("BENCH_SECONDS", 30),
            scale_tickets: env_or("BENCH_SCALE_TICKETS", 1_000_000usize).max(10),
            agents: env_or("BENCH_AGENTS", 200usize).max(1),
            rate: env_or("BENCH_RATE", 1_000.0),
            capacity_seconds: env_or("BENCH_CAPACITY_SECONDS", 10),
            capacity_pairs: env_or("BENCH_CAPACITY_PAIRS", 3usize).max(1),
            warmup_seconds: env_or("BENCH_WARMUP_SECONDS", 5),
            scale_requests: env_or("BENCH_SCALE_REQUESTS", 500usize).max(1),
            skip_scale: env_or("BENCH_SKIP_SCALE", 0u8) == 1,
            skip_polling: env_or("BENCH_SKIP_POLLING", 0u8) == 1,
        }
    }
}

fn pass(ok: bool) -> &'static str {
    if ok { "PASS" } else { "MISS" }
}

/// 1234567 -> "1,234,567".
fn thousands(n: impl Into<u128>) -> String {
    let digits = n.into().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// What one backend's run found, for the summary.
#[derive(Default)]
struct Outcome {
    poll_p99: Option<f64>,
    ingest_ratio: Option<f64>,
    list_ratios: Vec<(String, f64)>,
    errors: Vec<String>,
}

impl Outcome {
    fn check(&mut self, what: &str, tally: &Tally) {
        if tally.errors > 0 {
            self.errors.push(format!("{what}: {} errors, e.g. {:?}", tally.errors, tally.first_errors));
        }
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap()
}

fn print_seeded(seeded: &seed::Seeded, backend: Backend, agents: usize) {
    let finishing = match backend {
        Backend::Postgres => "VACUUM ANALYZE",
        Backend::Sqlite => "search index and checkpoint",
    };
    println!(
        "  seeded {} tickets ({} unclosed), {} messages, {} contacts, {agents} agents in {:.1} s \
         ({:.0} messages/s; {finishing} {:.1} s of it)",
        thousands(seeded.tickets as u64),
        thousands(seeded.unclosed.len() as u64),
        thousands(seeded.messages as u64),
        thousands(seeded.contacts as u64),
        seeded.elapsed.as_secs_f64(),
        seeded.messages as f64 / seeded.elapsed.as_secs_f64(),
        seeded.finishing.as_secs_f64(),
    );
}

fn check_seed(db: &BenchDatabase, outcome: &mut Outcome) {
    if std::env::var("BENCH_CHECK_SEED").is_ok_and(|v| v == "1") {
        let bad = seed::inconsistent_tickets(db);
        println!("  seed check: {bad} tickets with inconsistent denormalised columns");
        if bad > 0 {
            outcome.errors.push(format!("{bad} seeded tickets are inconsistent"));
        }
    }
}

/// Polling while texts arrive, then ingest capacity with and without pollers.
fn polling_and_capacity(backend: Backend, admin: Option<&str>, config: &Config, outcome: &mut Outcome) {
    let db = BenchDatabase::create(backend, admin);
    let started = std::time::Instant::now();
    smsdesk::db::migrate(&db.database_url()).unwrap();
    let agents = seed::create_agents(&db, config.agents);
    println!(
        "  migrated and added {} agents with API tokens in {:.1} s",
        agents.len(),
        started.elapsed().as_secs_f64()
    );
    let seeded = seed::seed(&db, config.tickets, MESSAGES_PER_TICKET, &agents);
    print_seeded(&seeded, backend, agents.len());
    check_seed(&db, outcome);
    seed::organise_inboxes(&db, &agents);
    println!(
        "  inboxes: Support ({CHANNEL}, shared) and Sales ({SALES_CHANNEL}, 1 ticket in 10, 1 agent in 10 a member); \
         priorities spread; agents sort their queue by activity, waiting and priority, a third each"
    );

    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(&db.url, dir.path());
    let runtime = runtime();
    let mut rng = StdRng::seed_from_u64(7);
    // Open tickets every agent may see (Support's), so that no thread answers 404.
    let shared: Vec<i64> = seeded.unclosed.iter().map(|(id, _)| *id).filter(|id| !seed::in_sales(*id)).collect();
    let mut dashboards: Vec<Dashboard> = agents
        .iter()
        .enumerate()
        .map(|(i, agent)| Dashboard {
            agent: agent.clone(),
            list_path: format!(
                "/api/tickets?status=open,pending&limit=50&sort={}",
                ["activity", "waiting", "priority"][i % 3]
            ),
            open_ticket: shared[rng.random_range(0..shared.len())],
            etags: Default::default(),
        })
        .collect();
    let texts = Arc::new(Texts::new(seeded.unclosed.iter().map(|(_, number)| number.clone()).collect()));
    let mut answered_texts = 0usize;

    // What each poll costs the server alone: one agent, one connection, full answers, nothing else running.
    println!(
        "\n  Unloaded cost: one agent on one connection, nothing else running, {BASELINE_REQUESTS} full (200) answers \
         per request after as many to warm up"
    );
    println!("  {:<48} {:>8} {:>8}", "request", "p50 ms", "p99 ms");
    let thread = format!("/api/tickets/{}/messages", dashboards[0].open_ticket);
    for (endpoint, path) in
        ENDPOINTS.iter().zip(["/api/tickets?status=open,pending&limit=50", "/api/tickets/counts", thread.as_str()])
    {
        let agent = &dashboards[0].agent;
        let mut tally = runtime.block_on(async {
            load::repeat_get(&server.authority, agent, path, BASELINE_REQUESTS, 1).await;
            load::repeat_get(&server.authority, agent, path, BASELINE_REQUESTS, 1).await
        });
        tally.sort();
        outcome.check(&format!("unloaded {}", endpoint.label()), &tally);
        println!("  {:<48} {:>8.2} {:>8.2}", endpoint.label(), tally.percentile(0.50), tally.percentile(0.99));
    }

    // Warm-up, not measured: connections, caches, the agents' first ETags.
    if config.warmup_seconds > 0 {
        let until = Instant::now() + Duration::from_secs(config.warmup_seconds);
        let (d, tallies, webhooks) = runtime.block_on(async {
            let pollers = load::spawn_pollers(&server.authority, dashboards, until);
            let webhooks =
                load::spawn_paced_texts(&server.authority, texts.clone(), config.rate, PACED_CONNECTIONS, until);
            let (d, t) = pollers.await.unwrap();
            (d, t, webhooks.await.unwrap())
        });
        dashboards = d;
        answered_texts += webhooks.answered();
        for (endpoint, tally) in ENDPOINTS.iter().zip(&tallies) {
            outcome.check(&format!("warm-up {}", endpoint.label()), tally);
        }
        outcome.check("warm-up webhooks", &webhooks);
    }

    // 1. Polling under a steady stream of texts.
    println!(
        "\n  Polling: {} agents, each every {} s: the queue, the counts and its open thread, with If-None-Match;\n  \
         {} s while {} texts/s arrive over {PACED_CONNECTIONS} connections (half from customers with an unclosed \
         ticket, half from new numbers)",
        dashboards.len(),
        load::POLL_INTERVAL.as_secs(),
        config.seconds,
        config.rate,
    );
    let meter = CpuMeter::start(server.pid());
    let until = Instant::now() + Duration::from_secs(config.seconds);
    let phase_started = Instant::now();
    let (d, mut tallies, mut webhooks, elapsed) = runtime.block_on(async {
        let pollers = load::spawn_pollers(&server.authority, dashboards, until);
        let webhooks = load::spawn_paced_texts(&server.authority, texts.clone(), config.rate, PACED_CONNECTIONS, until);
        // The texts' rate is over the span they were sent in, not over the pollers' last answers too.
        let webhooks = webhooks.await.unwrap();
        let elapsed = phase_started.elapsed().as_secs_f64();
        let (d, t) = pollers.await.unwrap();
        (d, t, webhooks, elapsed)
    });
    let cpu = meter.report();
    dashboards = d;
    answered_texts += webhooks.answered();
    println!(
        "  {:<48} {:>7} {:>7} {:>7} {:>6} {:>8} {:>8} {:>8}",
        "request", "polls", "200", "304", "304 %", "p50 ms", "p99 ms", "max ms"
    );
    let mut all = Tally::default();
    for (endpoint, tally) in ENDPOINTS.iter().zip(tallies.iter_mut()) {
        tally.sort();
        outcome.check(endpoint.label(), tally);
        println!(
            "  {:<48} {:>7} {:>7} {:>7} {:>6.1} {:>8.2} {:>8.2} {:>8.1}",
            endpoint.label(),
            tally.answered() + tally.errors,
            tally.ok,
            tally.not_modified,
            tally.not_modified_share(),
            tally.percentile(0.50),
            tally.percentile(0.99),
            tally.max(),
        );
        all.merge(tally.clone());
    }
    all.sort();
    let poll_p99 = all.percentile(0.99);
    println!(
        "  {:<48} {:>7} {:>7} {:>7} {:>6.1} {:>8.2} {:>8.2} {:>8.1}   target p99 < {POLL_P99_TARGET_MS} ms: {}",
        "all polls",
        all.answered() + all.errors,
        all.ok,
        all.not_modified,
        all.not_modified_share(),
        all.percentile(0.50),
        poll_p99,
        all.max(),
        pass(poll_p99 < POLL_P99_TARGET_MS),
    );
    outcome.poll_p99 = Some(poll_p99);
    webhooks.sort();
    outcome.check("paced webhooks", &webhooks);
    println!(
        "  webhooks: {} answered, {:.0}/s achieved of {:.0}/s asked; p50 {:.2} ms, p99 {:.2} ms, max {:.1} ms; \
         {} errors",
        thousands(webhooks.answered() as u64),
        webhooks.answered() as f64 / elapsed,
        config.rate,
        webhooks.percentile(0.50),
        webhooks.percentile(0.99),
        webhooks.max(),
        webhooks.errors,
    );
    println!("  {cpu}");

    // 2. Ingest capacity, alternating without and with pollers.
    println!(
        "\n  Ingest capacity: unpaced webhooks over {UNPACED_CONNECTIONS} connections, {} s per run, alternating \
         without and with the {} pollers",
        config.capacity_seconds,
        dashboards.len(),
    );
    println!(
        "  {:>3} {:>8} {:>8} {:>9} {:>8} {:>8} {:>12} {:>8}   CPU",
        "run", "pollers", "texts", "texts/s", "p50 ms", "p99 ms", "poll p99 ms", "errors"
    );
    let mut rates: [Vec<f64>; 2] = Default::default();
    for run in 0..2 * config.capacity_pairs {
        let with_pollers = run % 2 == 1;
        let meter = CpuMeter::start(server.pid());
        let until = Instant::now() + Duration::from_secs(config.capacity_seconds);
        let phase_started = Instant::now();
        let (d, mut polls, mut ingest, elapsed) = runtime.block_on(async {
            let pollers = with_pollers.then(|| load::spawn_pollers(&server.authority, dashboards.clone(), until));
            let ingest = load::spawn_unpaced_texts(&server.authority, texts.clone(), UNPACED_CONNECTIONS, until);
            let ingest = ingest.await.unwrap();
            // Both runs' rates are over the span the texts were sent in, so a poll still being answered
            // after it cannot lengthen the with-pollers run.
            let elapsed = phase_started.elapsed().as_secs_f64();
            match pollers {
                Some(p) => {
                    let (d, t) = p.await.unwrap();
                    (Some(d), t, ingest, elapsed)
                }
                None => (None, Default::default(), ingest, elapsed),
            }
        });
        let cpu = meter.report();
        if let Some(d) = d {
            dashboards = d;
        }
        let mut all_polls = Tally::default();
        for (endpoint, tally) in ENDPOINTS.iter().zip(polls.iter_mut()) {
            outcome.check(&format!("capacity run {}: {}", run + 1, endpoint.label()), tally);
            all_polls.merge(std::mem::take(tally));
        }
        all_polls.sort();
        ingest.sort();
        outcome.check(&format!("capacity run {} webhooks", run + 1), &ingest);
        answered_texts += ingest.answered();
        let rate = ingest.answered() as f64 / elapsed;
        rates[usize::from(with_pollers)].push(rate);
        println!(
            "  {:>3} {:>8} {:>8} {:>9.0} {:>8.2} {:>8.2} {:>12} {:>8}   {}",
            run + 1,
            if with_pollers { dashboards.len().to_string() } else { "none".to_owned() },
            ingest.answered(),
            rate,
            ingest.percentile(0.50),
            ingest.percentile(0.99),
            if with_pollers { format!("{:.2}", all_polls.percentile(0.99)) } else { "-".to_owned() },
            ingest.errors + all_polls.errors,
            cpu.trim_start_matches("CPU cores: "),
        );
    }
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    let (without, with) = (mean(&rates[0]), mean(&rates[1]));
    let ratio = with / without;
    let pairs: Vec<f64> = rates[1].iter().zip(&rates[0]).map(|(with, without)| with / without).collect();
    println!(
        "  mean without pollers {without:.0}/s, with pollers {with:.0}/s: {:.0} % (pairs {:.0}-{:.0} %; target >= {:.0} %): {}",
        ratio * 100.0,
        pairs.iter().copied().fold(f64::INFINITY, f64::min) * 100.0,
        pairs.iter().copied().fold(0.0, f64::max) * 100.0,
        INGEST_RATIO_TARGET * 100.0,
        pass(ratio >= INGEST_RATIO_TARGET),
    );
    outcome.ingest_ratio = Some(ratio);

    if let Err(e) = server.check_alive() {
        outcome.errors.push(e);
    }
    drop(server);
    drop(runtime);
    // Every answered webhook must be stored (and nothing else inbound added).
    let mut conn = RawConnection::open(&db);
    let stored = conn.count("SELECT count(*) AS n FROM messages WHERE direction = 'inbound'");
    let expected = seeded.inbound_messages + answered_texts as i64;
    println!(
        "  answered webhooks {}, inbound messages stored {} (seeded {} + {}); new numbers {}",
        thousands(answered_texts as u64),
        thousands(stored as u64),
        thousands(seeded.inbound_messages as u64),
        thousands((stored - seeded.inbound_messages).max(0) as u64),
        thousands(texts.new_numbers_used()),
    );
    if stored != expected {
        outcome.errors.push(format!("{stored} inbound messages stored, {expected} expected"));
    }
}

/// The list query as `list_tickets` builds it for one viewer (diesel's SQL, binds inlined), for EXPLAIN: for
/// the queue of unclosed tickets, its first query (the `open` range; the `pending` one differs only in the
/// status, plus on SQLite a lower bound on the same index).
fn list_sql(viewer: i64, unclosed_only: bool) -> String {
    format!(
        "SELECT tickets.id, tickets.customer_number, tickets.channel_number, tickets.status, tickets.created_at, \
         tickets.updated_at, tickets.closed_at, tickets.contact_id, tickets.assignee_id, tickets.message_count, \
         tickets.last_message_preview, tickets.last_message_direction, tickets.last_message_at, \
         tickets.last_inbound_message_id, contacts.name, ticket_reads.last_read_message_id, \
         EXISTS (SELECT opt_outs.customer_number, opt_outs.channel_number, opt_outs.created_at FROM opt_outs \
         WHERE ((opt_outs.customer_number = tickets.customer_number) AND (opt_outs.channel_number = \
         tickets.channel_number))) \
         FROM ((tickets LEFT OUTER JOIN contacts ON (tickets.contact_id = contacts.id)) \
         LEFT OUTER JOIN ticket_reads ON ((ticket_reads.ticket_id = tickets.id) AND (ticket_reads.user_id = {viewer}))) \
         {} ORDER BY tickets.updated_at DESC, tickets.id DESC LIMIT 51",
        if unclosed_only { "WHERE (tickets.status = 'open')" } else { "" },
    )
}

const SCALE_QUERIES: [(&str, &str, bool); 2] = [
    ("status=open,pending&limit=50", "/api/tickets?status=open,pending&limit=50", true),
    ("limit=50", "/api/tickets?limit=50", false),
];

/// Latency of a list query: medians over the rounds, and the range of the rounds' p99.
struct ScaleFigures {
    p50: f64,
    p99: f64,
    p99_min: f64,
    p99_max: f64,
}

/// p50 and p99 of each list query on a desk of `tickets` tickets (1 message each); plans if asked.
fn list_latency(
    backend: Backend,
    admin: Option<&str>,
    tickets: usize,
    config: &Config,
    explain: bool,
    outcome: &mut Outcome,
) -> Vec<ScaleFigures> {
    let db = BenchDatabase::create(backend, admin);
    smsdesk::db::migrate(&db.database_url()).unwrap();
    let agents = seed::create_agents(&db, config.agents);
    let seeded = seed::seed(&db, tickets, 1, &agents);
    print_seeded(&seeded, backend, agents.len());
    check_seed(&db, outcome);
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(&db.url, dir.path());
    let runtime = runtime();
    let viewer = &agents[0];
    let mut figures = Vec::new();
    for (label, path, _) in SCALE_QUERIES {
        let what = format!("{} tickets {label}", thousands(tickets as u64));
        let rounds: Vec<(f64, f64)> = runtime.block_on(async {
            // Warm-up as long as a round: each of the server's pooled connections has a page cache of its
            // own to fill (a server that has run for a while has them warm).
            let warm =
                load::repeat_get(&server.authority, viewer, path, config.scale_requests, SCALE_CONNECTIONS).await;
            outcome.check(&format!("{what} warm-up"), &warm);
            let mut rounds = Vec::new();
            for _ in 0..SCALE_ROUNDS {
                let mut tally =
                    load::repeat_get(&server.authority, viewer, path, config.scale_requests, SCALE_CONNECTIONS).await;
                tally.sort();
                outcome.check(&what, &tally);
                rounds.push((tally.percentile(0.50), tally.percentile(0.99)));
            }
            rounds
        });
        let median = |mut v: Vec<f64>| {
            v.sort_by(f64::total_cmp);
            v[v.len() / 2]
        };
        let p99s: Vec<f64> = rounds.iter().map(|r| r.1).collect();
        figures.push(ScaleFigures {
            p50: median(rounds.iter().map(|r| r.0).collect()),
            p99: median(p99s.clone()),
            p99_min: p99s.iter().copied().fold(f64::INFINITY, f64::min),
            p99_max: p99s.iter().copied().fold(0.0, f64::max),
        });
    }
    if let Err(e) = server.check_alive() {
        outcome.errors.push(e);
    }
    drop(server);
    if explain {
        let mut conn = RawConnection::open(&db);
        for (label, _, unclosed_only) in SCALE_QUERIES {
            let sql = list_sql(viewer.user_id, unclosed_only);
            let (title, explain) = match backend {
                Backend::Sqlite => ("EXPLAIN QUERY PLAN", format!("EXPLAIN QUERY PLAN {sql}")),
                Backend::Postgres => ("EXPLAIN (ANALYZE, BUFFERS)", format!("EXPLAIN (ANALYZE, BUFFERS) {sql}")),
            };
            println!("\n  {title} of the list query ({label}) at {} tickets:", thousands(tickets as u64));
            for line in conn.text_rows(&explain) {
                println!("    {line}");
            }
        }
    }
    figures
}

fn list_scaling(backend: Backend, admin: Option<&str>, config: &Config, outcome: &mut Outcome) {
    println!(
        "\n  List scaling: first page of the queue, full 200 answers (no If-None-Match), {} requests per query over \
         {SCALE_CONNECTIONS} connections, {SCALE_ROUNDS} rounds after one to warm up; desks of {} and {} tickets, 1 \
         message each",
        config.scale_requests,
        thousands(SCALE_SMALL as u64),
        thousands(config.scale_tickets as u64),
    );
    let small = list_latency(backend, admin, SCALE_SMALL, config, false, outcome);
    let big = list_latency(backend, admin, config.scale_tickets, config, true, outcome);
    println!(
        "\n  {:<30} {:>8} {:>21} {:>10} {:>21} {:>10}",
        "query",
        "",
        format!("{} tickets", thousands(SCALE_SMALL as u64)),
        "",
        format!("{} tickets", thousands(config.scale_tickets as u64)),
        "",
    );
    println!(
        "  {:<30} {:>8} {:>21} {:>10} {:>21} {:>10}",
        "", "p50 ms", "p99 ms (range)", "p50 ms", "p99 ms (range)", "p99 ratio"
    );
    for (((label, _, _), s), b) in SCALE_QUERIES.iter().zip(&small).zip(&big) {
        let ratio = b.p99 / s.p99;
        println!(
            "  {label:<30} {:>8.2} {:>21} {:>10.2} {:>21} {:>9.2}x   target <= {LIST_RATIO_TARGET}x: {}",
            s.p50,
            format!("{:.2} ({:.2}-{:.2})", s.p99, s.p99_min, s.p99_max),
            b.p50,
            format!("{:.2} ({:.2}-{:.2})", b.p99, b.p99_min, b.p99_max),
            ratio,
            pass(ratio <= LIST_RATIO_TARGET),
        );
        outcome.list_ratios.push(((*label).to_owned(), ratio));
    }
}

fn bench_backend(backend: Backend, admin: Option<&str>, config: &Config) -> Outcome {
    println!("\n=== {} ===", backend.name());
    let mut outcome = Outcome::default();
    if config.skip_polling {
        println!("\n  Polling and ingest capacity: skipped (BENCH_SKIP_POLLING=1)");
    } else {
        polling_and_capacity(backend, admin, config, &mut outcome);
    }
    if config.skip_scale {
        println!("\n  List scaling: skipped (BENCH_SKIP_SCALE=1)");
    } else {
        list_scaling(backend, admin, config, &mut outcome);
    }
    outcome
}

fn main() {
    // `cargo bench` passes `--bench`; nothing else to parse.
    let config = Config::from_env();
    println!(
        "smsdesk polling benchmark ({} cores): {} tickets x {MESSAGES_PER_TICKET} messages, {} agents, {} s polling \
         at {} texts/s; list scaling at {} and {} tickets",
        std::thread::available_parallelism().map_or(1, |n| n.get()),
        thousands(config.tickets as u64),
        config.agents,
        config.seconds,
        config.rate,
        thousands(SCALE_SMALL as u64),
        thousands(config.scale_tickets as u64),
    );
    let backends = std::env::var("BENCH_BACKENDS").unwrap_or_else(|_| "sqlite,postgres".to_owned());
    let admin = std::env::var("BENCH_DATABASE_URL")
        .or_else(|_| std::env::var("TEST_DATABASE_URL"))
        .ok()
        .filter(|url| !url.trim().is_empty());
    let (busy, total) = stats::machine_cpu();
    std::thread::sleep(Duration::from_secs(2));
    let (busy_after, total_after) = stats::machine_cpu();
    let idle_check = 100.0 * (busy_after - busy) / (total_after - total);
    println!(
        "machine {idle_check:.0} % busy before the benchmark{}",
        if idle_check > 10.0 { " (other work is running: figures will be skewed)" } else { "" }
    );
    let mut results = Vec::new();
    if backends.contains("sqlite") {
        results.push((Backend::Sqlite, bench_backend(Backend::Sqlite, None, &config)));
    }
    if backends.contains("postgres") {
        match &admin {
            None => println!("\n=== PostgreSQL: skipped (set BENCH_DATABASE_URL or TEST_DATABASE_URL) ==="),
            Some(admin) => results.push((Backend::Postgres, bench_backend(Backend::Postgres, Some(admin), &config))),
        }
    }

    println!("\n=== Summary ===");
    let mut failed = false;
    for (backend, outcome) in &results {
        let mut parts = Vec::new();
        if let Some(p99) = outcome.poll_p99 {
            parts.push(format!("poll p99 {p99:.2} ms (< {POLL_P99_TARGET_MS} ms) {}", pass(p99 < POLL_P99_TARGET_MS)));
        }
        if let Some(ratio) = outcome.ingest_ratio {
            parts.push(format!(
                "ingest with pollers {:.0} % (>= {:.0} %) {}",
                ratio * 100.0,
                INGEST_RATIO_TARGET * 100.0,
                pass(ratio >= INGEST_RATIO_TARGET)
            ));
        }
        for (label, ratio) in &outcome.list_ratios {
            parts.push(format!(
                "list {label} p99 ratio {ratio:.2}x (<= {LIST_RATIO_TARGET}x) {}",
                pass(*ratio <= LIST_RATIO_TARGET)
            ));
        }
        println!("  {}: {}", backend.name(), parts.join("; "));
        for e in &outcome.errors {
            println!("  {} ERROR: {e}", backend.name());
            failed = true;
        }
    }
    if failed {
        eprintln!("errors occurred (see above)");
        std::process::exit(1);
    }
}
