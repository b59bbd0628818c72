//! Failed sign-ins benchmark (issue 13): what do bursts of wrong `POST /api/session` cost the server in
//! memory and latency? Each verification runs argon2 (m = 19 MiB), also for addresses without an account, so
//! an attacker needs no account to make the server hash.
//!
//! Against the release binary (console gateway, one admin added through `smsdesk users add`), it reads the
//! server's idle RSS (`VmRSS` in /proc/<pid>/status), sends 160 failed sign-ins in 4 bursts of 40 concurrent
//! requests (156 to distinct unknown addresses; 4 wrong passwords for the real account, under its free
//! failures), each from a client address of its own (the bench is the server's trusted proxy and says so in
//! `X-Forwarded-For`), so that the sign-in throttle, which counts per client, cannot hide the cost of the
//! password checks: this is a botnet's attack, not one address's. It samples RSS every 20 ms for the peak,
//! and reads RSS again 5 s after the last burst. Prints idle, peak and after RSS, the status codes (429 and
//! 503 are fair answers to an attack and are only counted), latency percentiles over all 160, and PASS/MISS
//! against the target: RSS at most 150 MB above idle after the 160 failed sign-ins. A miss does not fail the
//! run; a successful sign-in or a server that dies does. MB here is 2^20 bytes (/proc's kB are KiB).
//!
//! Run with `make bench-signin` (or `cargo bench -p smsdesk --bench signin`). PostgreSQL runs too when
//! `BENCH_DATABASE_URL` or `TEST_DATABASE_URL` names a server where the benchmark may create a database.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "common/mod.rs"]
mod common;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use common::{load_average, smsdesk, start_server};

const BURSTS: usize = 4;
const BURST_SIZE: usize = 40;
/// Between bursts, so each one starts on a server that has finished the last (as an attacker's retries do).
const BURST_PAUSE: Duration = Duration::from_secs(1);
/// How long after the last burst "RSS after" is read: memory still held then is kept, not in use.
const SETTLE: Duration = Duration::from_secs(5);
/// And once more later: the hashing threads' memory goes back to the system when those threads have been
/// idle for a while (the blocking pool ends a thread after 10 s without work).
const LATER: Duration = Duration::from_secs(30);
const SAMPLE_EVERY: Duration = Duration::from_millis(20);
const TARGET_ABOVE_IDLE_MB: f64 = 150.0;
const OWNER_EMAIL: &str = "owner@bench.example.test";
const OWNER_PASSWORD: &str = "the owner's real passphrase";

fn add_owner(database_url: &str, dir: &Path) {
    let mut child = smsdesk(database_url, dir)
        .args(["users", "add", "--email", OWNER_EMAIL, "--name", "Bench Owner", "--role", "admin", "--password-stdin"])
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run smsdesk users add");
    writeln!(child.stdin.take().unwrap(), "{OWNER_PASSWORD}").unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "smsdesk users add failed: {}", String::from_utf8_lossy(&output.stderr));
}

/// The process's resident set in KiB.
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("read /proc/<pid>/status");
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).expect("VmRSS in /proc/<pid>/status");
    line.split_whitespace().nth(1).and_then(|kib| kib.parse().ok()).expect("VmRSS in kB")
}

fn mb(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

/// RSS once it has stopped moving (under 1 MB over a second), at most 10 s after start-up.
fn idle_rss(pid: u32) -> u64 {
    let mut last = rss_kib(pid);
    for _ in 0..10 {
        std::thread::sleep(Duration::from_secs(1));
        let now = rss_kib(pid);
        if now.abs_diff(last) < 1024 {
            return now;
        }
        last = now;
    }
    last
}

/// Polls RSS on a thread of its own until dropped; keeps the highest reading.
struct PeakSampler {
    peak: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl PeakSampler {
    fn start(pid: u32) -> Self {
        let peak = Arc::new(AtomicU64::new(rss_kib(pid)));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = std::thread::spawn({
            let (peak, stop) = (peak.clone(), stop.clone());
            move || {
                while !stop.load(Ordering::Relaxed) {
                    // A process that has gone has no status file; the caller notices the crash.
                    let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) else { break };
                    let kib = status
                        .lines()
                        .find(|l| l.starts_with("VmRSS:"))
                        .and_then(|l| l.split_whitespace().nth(1))
                        .and_then(|kib| kib.parse().ok())
                        .unwrap_or(0);
                    peak.fetch_max(kib, Ordering::Relaxed);
                    std::thread::sleep(SAMPLE_EVERY);
                }
            }
        });
        Self { peak, stop, thread: Some(thread) }
    }

    fn peak(&self) -> u64 {
        self.peak.load(Ordering::Relaxed)
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

/// One attempt's answer: its status code, or "error" when no answer came.
struct Attempt {
    outcome: String,
    latency: Duration,
}

/// The burst's attempts: one wrong password for the real account, the rest to addresses nobody has.
fn burst_bodies(burst: usize) -> Vec<serde_json::Value> {
    (0..BURST_SIZE)
        .map(|i| {
            if i == 0 {
                serde_json::json!({ "email": OWNER_EMAIL, "password": format!("wrong guess number {burst}") })
            } else {
                serde_json::json!({
                    "email": format!("nobody-{burst}-{i}@bench.example.test"),
                    "password": format!("guess {burst}-{i} for an account that does not exist"),
                })
            }
        })
        .collect()
}

async fn burst(client: &reqwest::Client, url: &str, burst: usize, bodies: Vec<serde_json::Value>) -> Vec<Attempt> {
    let attempts = bodies.into_iter().enumerate().map(|(i, body)| async move {
        // A client address per attempt (198.18.0.0/15, the benchmarking range).
        let from = format!("198.18.{burst}.{i}");
        let sent = Instant::now();
        // `.json` sets `Content-Type: application/json`.
        let outcome = match client.post(url).header("x-forwarded-for", from).json(&body).send().await {
            Ok(response) => {
                let status = response.status();
                let _ = response.bytes().await;
                status.as_u16().to_string()
            }
            Err(_) => "error".to_owned(),
        };
        Attempt { outcome, latency: sent.elapsed() }
    });
    futures::future::join_all(attempts).await
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn bench_backend(name: &str, database_url: &str) {
    let dir = tempfile::tempdir().unwrap();
    add_owner(database_url, dir.path());
    let mut server = start_server(database_url, dir.path(), &[("TRUSTED_PROXIES", "127.0.0.1")]);
    let pid = server.pid();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    smsdesk::gateways::install_tls_provider();
    let client = reqwest::Client::builder().timeout(Duration::from_secs(120)).build().unwrap();
    let url = format!("{}/api/session", server.address);

    println!(
        "\n{name}: {} failed sign-ins in {BURSTS} bursts of {BURST_SIZE} concurrent, {}s apart \
         ({} unknown addresses, {BURSTS} wrong passwords for a real account)",
        BURSTS * BURST_SIZE,
        BURST_PAUSE.as_secs(),
        BURSTS * (BURST_SIZE - 1),
    );
    let idle = idle_rss(pid);
    println!("  load average {} at the start", load_average());
    let sampler = PeakSampler::start(pid);
    let mut attempts = Vec::with_capacity(BURSTS * BURST_SIZE);
    for b in 0..BURSTS {
        if b > 0 {
            std::thread::sleep(BURST_PAUSE);
        }
        let started = Instant::now();
        let answers = runtime.block_on(burst(&client, &url, b, burst_bodies(b)));
        let took = started.elapsed();
        let slowest = answers.iter().map(|a| a.latency).max().unwrap_or_default();
        println!(
            "  burst {}: {:>6.2} s, slowest {:>7.0} ms, RSS now {:>7.1} MB, peak so far {:>7.1} MB",
            b + 1,
            took.as_secs_f64(),
            ms(slowest),
            mb(rss_kib(pid)),
            mb(sampler.peak()),
        );
        attempts.extend(answers);
    }
    std::thread::sleep(SETTLE);
    assert!(server.is_running(), "{name}: the server died during the bench");
    let after = rss_kib(pid);
    let peak = sampler.peak().max(after);
    std::thread::sleep(LATER - SETTLE);
    let later = rss_kib(pid);
    drop(sampler);
    drop(server);

    let mut codes: BTreeMap<&str, usize> = BTreeMap::new();
    for attempt in &attempts {
        *codes.entry(attempt.outcome.as_str()).or_default() += 1;
    }
    let mut latencies: Vec<Duration> = attempts.iter().map(|a| a.latency).collect();
    latencies.sort_unstable();
    let above_idle = mb(after) - mb(idle);
    let codes_line = codes.iter().map(|(code, n)| format!("{code} x {n}")).collect::<Vec<_>>().join(", ");

    println!("  idle RSS          {:>7.1} MB", mb(idle));
    println!("  peak RSS          {:>7.1} MB  (+{:.1} MB)", mb(peak), mb(peak) - mb(idle));
    println!("  RSS after {}s      {:>7.1} MB  (after - idle: {:+.1} MB)", SETTLE.as_secs(), mb(after), above_idle);
    println!(
        "  RSS after {}s     {:>7.1} MB  (later - idle: {:+.1} MB)",
        LATER.as_secs(),
        mb(later),
        mb(later) - mb(idle)
    );
    println!("  status codes      {codes_line}");
    println!(
        "  sign-in latency   p50 {:.0} ms, p90 {:.0} ms, p99 {:.0} ms, max {:.0} ms (all {})",
        ms(percentile(&latencies, 0.50)),
        ms(percentile(&latencies, 0.90)),
        ms(percentile(&latencies, 0.99)),
        ms(latencies[latencies.len() - 1]),
        latencies.len(),
    );
    println!(
        "  {}  RSS <= {TARGET_ABOVE_IDLE_MB:.0} MB above idle after {} failed sign-ins in bursts of {BURST_SIZE} \
         ({above_idle:+.1} MB)",
        if above_idle <= TARGET_ABOVE_IDLE_MB { "PASS" } else { "MISS" },
        BURSTS * BURST_SIZE,
    );
    assert!(!codes.keys().any(|code| code.starts_with('2')), "{name}: a wrong password signed in");
}

fn main() {
    // `cargo bench` passes `--bench`; nothing else to parse.
    println!(
        "smsdesk failed sign-ins benchmark ({} cores)",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );

    let dir = tempfile::tempdir().unwrap();
    let sqlite = format!("sqlite://{}", dir.path().join("bench.db").display());
    bench_backend("SQLite", &sqlite);

    match common::postgres_admin_url() {
        None => println!("\nPostgreSQL: skipped (set BENCH_DATABASE_URL or TEST_DATABASE_URL)"),
        Some(admin) => {
            let database = common::ScratchDatabase::create(&admin);
            bench_backend("PostgreSQL", &database.url);
        }
    }
}
