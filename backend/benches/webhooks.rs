//! Ingest benchmark: signed `POST /webhooks/twilio` from 1,000 numbers, several texts each, at 1, 16 and
//! 64 concurrent connections, against the release binary with its production settings (SQLite in WAL with
//! synchronous=FULL, i.e. durable; PostgreSQL with its defaults). Prints requests per second and latency
//! percentiles, then checks that every answered webhook is in the database.
//!
//! Run with `make bench` (or `cargo bench -p smsdesk --bench webhooks`). PostgreSQL runs when
//! `BENCH_DATABASE_URL` or `TEST_DATABASE_URL` names a server where the benchmark may create a database.
//! `BENCH_TEXTS_PER_NUMBER` (default 12) sets the load per run. After a warm-up, each concurrency level runs
//! three times on fresh numbers; the median run is printed, with the range of the three.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "common/mod.rs"]
mod common;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::Server;
use smsdesk::webhooks::twilio_signature::TwilioSignature;

const AUTH_TOKEN: &str = "bench-auth-token";
const PUBLIC_URL: &str = "https://desk.example.test";
const NUMBERS: usize = 1_000;
const CONCURRENCY: [usize; 3] = [1, 16, 64];

/// The release server with the bench's Twilio token and public URL. `METRICS_ADDR=127.0.0.1:0 make bench`
/// measures with the HTTP metrics on (they are off without it).
fn start_server(database_url: &str, dir: &std::path::Path) -> Server {
    let metrics_addr = std::env::var("METRICS_ADDR").ok();
    let mut env = vec![("PUBLIC_URL", PUBLIC_URL), ("TWILIO_AUTH_TOKEN", AUTH_TOKEN)];
    if let Some(metrics_addr) = &metrics_addr {
        env.push(("METRICS_ADDR", metrics_addr));
    }
    common::start_server(database_url, dir, &env)
}

/// A pre-signed webhook: form body and signature.
struct SignedText {
    body: String,
    signature: String,
}

/// `texts_per_number` texts from each of 1,000 numbers, interleaved so that a number's texts arrive while
/// its earlier ones are still in flight (the case that opens duplicate tickets in naive desks).
fn signed_texts(run: &str, texts_per_number: usize) -> Vec<SignedText> {
    let signer = TwilioSignature::new(AUTH_TOKEN);
    let url = format!("{PUBLIC_URL}/webhooks/twilio");
    let mut texts = Vec::with_capacity(NUMBERS * texts_per_number);
    for round in 0..texts_per_number {
        for n in 0..NUMBERS {
            let params: Vec<(String, String)> = vec![
                ("AccountSid".into(), "ACbench".into()),
                ("ApiVersion".into(), "2010-04-01".into()),
                ("Body".into(), format!("Text {round} from customer {n}: my order has not arrived yet.")),
                ("From".into(), format!("+14155{run}{n:04}")),
                // A Twilio SID: SM and 32 hex digits (decimal ones here), distinct per run, number and round.
                ("MessageSid".into(), format!("SM{run:0>12}{n:0>12}{round:0>8}")),
                ("NumMedia".into(), "0".into()),
                ("SmsStatus".into(), "received".into()),
                ("To".into(), "+14155550100".into()),
            ];
            let signature = signer.compute(&url, &params);
            let body = serde_urlencoded::to_string(&params).unwrap();
            texts.push(SignedText { body, signature });
        }
    }
    texts
}

struct Figures {
    requests: usize,
    failures: usize,
    elapsed: Duration,
    latencies: Vec<Duration>,
}

impl Figures {
    fn rate(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64()
    }

    fn answered(&self) -> usize {
        self.requests - self.failures
    }

    fn percentile(&self, p: f64) -> Duration {
        let index = ((self.latencies.len() as f64 - 1.0) * p).round() as usize;
        self.latencies[index]
    }
}

/// Sends every text over `concurrency` keep-alive HTTP/1.1 connections, each one request at a time.
/// The client is hyper's bare connection API: a pooled client would spend much of the CPU that the
/// server shares with it on this 2-core machine.
async fn load(address: &str, texts: Vec<SignedText>, concurrency: usize) -> Figures {
    let authority = address.trim_start_matches("http://").to_owned();
    let texts = Arc::new(texts);
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let started = Instant::now();
    let workers: Vec<_> = (0..concurrency)
        .map(|_| {
            let (authority, texts, next) = (authority.clone(), texts.clone(), next.clone());
            tokio::spawn(async move {
                let stream = tokio::net::TcpStream::connect(&authority).await.expect("connect");
                stream.set_nodelay(true).expect("nodelay");
                let (mut sender, connection) =
                    hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
                        .await
                        .expect("handshake");
                tokio::spawn(connection);
                let mut latencies = Vec::new();
                let mut failures = 0;
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(text) = texts.get(i) else { break };
                    let request = hyper::Request::post("/webhooks/twilio")
                        .header("host", &authority)
                        .header("content-type", "application/x-www-form-urlencoded")
                        .header("x-twilio-signature", &text.signature)
                        .body(http_body_util::Full::new(hyper::body::Bytes::from(text.body.clone())))
                        .expect("request");
                    let sent = Instant::now();
                    let ok = match sender.send_request(request).await {
                        Ok(response) => {
                            let status = response.status();
                            http_body_util::BodyExt::collect(response.into_body()).await.is_ok() && status.is_success()
                        }
                        Err(_) => false,
                    };
                    latencies.push(sent.elapsed());
                    failures += usize::from(!ok);
                }
                (latencies, failures)
            })
        })
        .collect();
    let mut latencies = Vec::new();
    let mut failures = 0;
    for worker in workers {
        let (l, f) = worker.await.unwrap();
        latencies.extend(l);
        failures += f;
    }
    let elapsed = started.elapsed();
    latencies.sort_unstable();
    Figures { requests: latencies.len(), failures, elapsed, latencies }
}

fn count_inbound(database_url: &str) -> i64 {
    let mut env = HashMap::new();
    env.insert("DATABASE_URL".to_owned(), database_url.to_owned());
    let settings = smsdesk::config::Settings::from_lookup(|k| env.get(k).cloned()).unwrap();
    let db = smsdesk::db::Database::connect(&settings.database).unwrap();
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(db.read(|conn| -> Result<i64, smsdesk::db::StoreError> {
            use diesel::prelude::*;
            use smsdesk::db::schema::messages;
            Ok(messages::table.filter(messages::direction.eq("inbound")).count().get_result(conn)?)
        }))
        .unwrap()
}

fn bench_backend(name: &str, database_url: &str, texts_per_number: usize) {
    let dir = tempfile::tempdir().unwrap();
    let server = start_server(database_url, dir.path());
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let mut answered = 0;
    println!("\n{name}: {NUMBERS} numbers x {texts_per_number} texts per run, signed, durable commits");
    println!(
        "{:>12} {:>10} {:>10} {:>10} {:>10} {:>8}   req/s range of 3 runs",
        "connections", "requests", "req/s", "p50 ms", "p99 ms", "errors"
    );
    // Warm-up (not measured): connections, page cache and the server's lazily built state.
    let warm_up = signed_texts("99", 2);
    answered += runtime.block_on(load(&server.address, warm_up, 64)).answered();
    for (level, concurrency) in CONCURRENCY.into_iter().enumerate() {
        let mut runs: Vec<Figures> = (0..3)
            .map(|run| {
                // Fresh numbers per run, so every run opens tickets as well as appending to them.
                let texts = signed_texts(&format!("{level}{run}"), texts_per_number);
                // One connection is slow by nature: a sixth of the load gives the same figures.
                let texts = if concurrency == 1 { texts.into_iter().take(NUMBERS * 2).collect() } else { texts };
                runtime.block_on(load(&server.address, texts, concurrency))
            })
            .collect();
        answered += runs.iter().map(Figures::answered).sum::<usize>();
        runs.sort_by(|a, b| a.rate().total_cmp(&b.rate()));
        let median = &runs[1];
        println!(
            "{:>12} {:>10} {:>10.0} {:>10.2} {:>10.2} {:>8}   {:.0}-{:.0}",
            concurrency,
            median.requests,
            median.rate(),
            median.percentile(0.50).as_secs_f64() * 1000.0,
            median.percentile(0.99).as_secs_f64() * 1000.0,
            runs.iter().map(|f| f.failures).sum::<usize>(),
            runs[0].rate(),
            runs[2].rate(),
        );
    }
    drop(server);
    let stored = count_inbound(database_url);
    println!("answered 2xx: {answered}, inbound messages in the database: {stored}");
    assert_eq!(stored, answered as i64, "every answered webhook must be stored");
    // Figures of refused requests would measure the wrong thing.
    assert!(answered > 0, "no webhook was answered 2xx: the bench's requests are refused; see the server log");
}

fn main() {
    // `cargo bench` passes `--bench`; nothing else to parse.
    let texts_per_number: usize =
        std::env::var("BENCH_TEXTS_PER_NUMBER").ok().and_then(|v| v.parse().ok()).unwrap_or(12);
    println!("smsdesk ingest benchmark ({} cores)", std::thread::available_parallelism().map_or(1, |n| n.get()));

    let dir = tempfile::tempdir().unwrap();
    let sqlite = format!("sqlite://{}", dir.path().join("bench.db").display());
    bench_backend("SQLite", &sqlite, texts_per_number);

    match common::postgres_admin_url() {
        None => println!("\nPostgreSQL: skipped (set BENCH_DATABASE_URL or TEST_DATABASE_URL)"),
        Some(admin) => {
            let database = common::ScratchDatabase::create(&admin);
            bench_backend("PostgreSQL", &database.url, texts_per_number);
        }
    }
}
