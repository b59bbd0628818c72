//! The server process and the load: agents polling the dashboard's endpoints, and signed Twilio webhooks,
//! paced or as fast as the server takes them. Clients are hyper's bare HTTP/1.1 connections (one request at
//! a time each), as in the ingest benchmark: a pooled client would spend CPU the server shares on 2 cores.

use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use smsdesk::webhooks::twilio_signature::TwilioSignature;
use tokio::time::{Instant, MissedTickBehavior};

use crate::seed::{Agent, CHANNEL, new_number};
use crate::stats::Tally;

pub const AUTH_TOKEN: &str = "bench-auth-token";
pub const PUBLIC_URL: &str = "https://desk.example.test";

pub struct Server {
    child: Child,
    pub authority: String,
}

impl Server {
    pub fn start(database_url: &str, dir: &std::path::Path) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let mut command = Command::new(env!("CARGO_BIN_EXE_smsdesk"));
        command.env_clear();
        // `BENCH_POOL_SIZE`: the server's DATABASE_POOL_SIZE (its default otherwise), for experiments.
        if let Ok(size) = std::env::var("BENCH_POOL_SIZE") {
            command.env("DATABASE_POOL_SIZE", size);
        }
        let child = command
            .arg("serve")
            .env("DATABASE_URL", database_url)
            .env("BIND_ADDR", format!("127.0.0.1:{port}"))
            .env("PUBLIC_URL", PUBLIC_URL)
            .env("TWILIO_AUTH_TOKEN", AUTH_TOKEN)
            .env("SMS_GATEWAY", "console")
            // As in the ingest benchmark, minus start-up's note that MessageBird is not configured.
            .env("RUST_LOG", "warn,smsdesk::startup=error")
            .current_dir(dir)
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start smsdesk");
        let mut server = Self { child, authority: format!("127.0.0.1:{port}") };
        for _ in 0..2_400 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return server;
            }
            if let Ok(Some(status)) = server.child.try_wait() {
                panic!("smsdesk exited at start-up: {status}");
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        panic!("smsdesk did not start within a minute");
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// `Err` with the exit status if the server is no longer running.
    pub fn check_alive(&mut self) -> Result<(), String> {
        match self.child.try_wait() {
            Ok(None) => Ok(()),
            Ok(Some(status)) => Err(format!("smsdesk exited: {status}")),
            Err(e) => Err(format!("cannot check on smsdesk: {e}")),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One keep-alive HTTP/1.1 connection; reconnects after an error.
pub struct Conn {
    authority: String,
    sender: Option<hyper::client::conn::http1::SendRequest<Full<Bytes>>>,
}

pub struct Answer {
    pub status: u16,
    pub etag: Option<String>,
}

impl Conn {
    pub fn new(authority: &str) -> Self {
        Self { authority: authority.to_owned(), sender: None }
    }

    async fn sender(&mut self) -> Result<&mut hyper::client::conn::http1::SendRequest<Full<Bytes>>, String> {
        if self.sender.as_ref().is_none_or(|s| s.is_closed()) {
            let stream = tokio::net::TcpStream::connect(&self.authority).await.map_err(|e| format!("connect: {e}"))?;
            stream.set_nodelay(true).map_err(|e| e.to_string())?;
            let (sender, connection) = hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
                .await
                .map_err(|e| format!("handshake: {e}"))?;
            tokio::spawn(connection);
            self.sender = Some(sender);
        }
        Ok(self.sender.as_mut().unwrap())
    }

    pub async fn send(&mut self, request: hyper::http::request::Builder, body: Bytes) -> Result<Answer, String> {
        let request = request.header("host", &self.authority).body(Full::new(body)).map_err(|e| e.to_string())?;
        let sender = self.sender().await?;
        sender.ready().await.map_err(|e| format!("connection: {e}"))?;
        let result = async {
            let response = sender.send_request(request).await.map_err(|e| format!("request: {e}"))?;
            let status = response.status().as_u16();
            let etag = response.headers().get("etag").and_then(|v| v.to_str().ok()).map(str::to_owned);
            response.into_body().collect().await.map_err(|e| format!("body: {e}"))?;
            Ok(Answer { status, etag })
        }
        .await;
        if result.is_err() {
            self.sender = None;
        }
        result
    }
}

/// The dashboard's three polls.
#[derive(Debug, Clone, Copy)]
pub enum Endpoint {
    List = 0,
    Counts = 1,
    Thread = 2,
}

pub const ENDPOINTS: [Endpoint; 3] = [Endpoint::List, Endpoint::Counts, Endpoint::Thread];

impl Endpoint {
    pub fn label(self) -> &'static str {
        match self {
            Self::List => "GET /api/tickets?status=open,pending&limit=50&sort=…",
            Self::Counts => "GET /api/tickets/counts",
            Self::Thread => "GET /api/tickets/{id}/messages",
        }
    }
}

/// An agent's dashboard: the ticket it has open and the ETags it last received.
#[derive(Debug, Clone)]
pub struct Dashboard {
    pub agent: Agent,
    /// The queue as this agent sorts it (a third each: newest activity, waiting longest, priority).
    pub list_path: String,
    pub open_ticket: i64,
    pub etags: [Option<String>; 3],
}

pub const POLL_INTERVAL: Duration = Duration::from_secs(2);

/// Every `POLL_INTERVAL` from a random offset, until `until`: the list, the counts and the open thread, one
/// after the other on the agent's connection, each with `If-None-Match`.
async fn poll(authority: String, mut dashboard: Dashboard, until: Instant) -> (Dashboard, [Tally; 3]) {
    let mut tallies: [Tally; 3] = Default::default();
    let mut conn = Conn::new(&authority);
    let jitter = Duration::from_secs_f64(rand::rng().random_range(0.0..POLL_INTERVAL.as_secs_f64()));
    let mut ticker = tokio::time::interval_at(Instant::now() + jitter, POLL_INTERVAL);
    ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let authorization = format!("Bearer {}", dashboard.agent.token);
    let thread = format!("/api/tickets/{}/messages", dashboard.open_ticket);
    let list = dashboard.list_path.clone();
    // A tick due after `until` is not waited for: a poller sleeping up to `POLL_INTERVAL` past the end would
    // stretch the phase, and every rate measured over it.
    while tokio::time::timeout_at(until, ticker.tick()).await.is_ok() {
        for endpoint in ENDPOINTS {
            let path = match endpoint {
                Endpoint::List => &list,
                Endpoint::Counts => "/api/tickets/counts",
                Endpoint::Thread => &thread,
            };
            let mut request = hyper::Request::get(path).header("authorization", &authorization);
            if let Some(etag) = &dashboard.etags[endpoint as usize] {
                request = request.header("if-none-match", etag);
            }
            let sent = std::time::Instant::now();
            let answer = conn.send(request, Bytes::new()).await;
            let latency = sent.elapsed();
            let outcome = answer.map(|a| {
                if a.status == 200 || a.status == 304 {
                    dashboard.etags[endpoint as usize] = a.etag;
                }
                a.status
            });
            let outcome = match outcome {
                Ok(status) if status != 200 && status != 304 => Err(format!("{path}: HTTP {status}")),
                other => other.map_err(|e| format!("{path}: {e}")),
            };
            tallies[endpoint as usize].record(latency, outcome);
        }
    }
    (dashboard, tallies)
}

/// Runs every dashboard's polling until `until`; returns the dashboards (with their ETags) and the tallies.
pub fn spawn_pollers(
    authority: &str,
    dashboards: Vec<Dashboard>,
    until: Instant,
) -> tokio::task::JoinHandle<(Vec<Dashboard>, [Tally; 3])> {
    let handles: Vec<_> = dashboards.into_iter().map(|d| tokio::spawn(poll(authority.to_owned(), d, until))).collect();
    tokio::spawn(async move {
        let mut dashboards = Vec::new();
        let mut tallies: [Tally; 3] = Default::default();
        for handle in handles {
            let (d, t) = handle.await.unwrap();
            dashboards.push(d);
            for (total, part) in tallies.iter_mut().zip(t) {
                total.merge(part);
            }
        }
        (dashboards, tallies)
    })
}

/// Signed inbound texts: half from customers with an unclosed ticket, half from numbers never seen before.
pub struct Texts {
    signer: TwilioSignature,
    url: String,
    existing: Vec<String>,
    next: AtomicU64,
    new_numbers: AtomicU64,
}

impl Texts {
    pub fn new(existing: Vec<String>) -> Self {
        Self {
            signer: TwilioSignature::new(AUTH_TOKEN),
            url: format!("{PUBLIC_URL}/webhooks/twilio"),
            existing,
            next: AtomicU64::new(0),
            new_numbers: AtomicU64::new(0),
        }
    }

    /// The next text: form body and signature.
    fn next(&self, rng: &mut StdRng) -> (String, String) {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        let from = if self.existing.is_empty() || rng.random_bool(0.5) {
            new_number(self.new_numbers.fetch_add(1, Ordering::Relaxed))
        } else {
            self.existing[rng.random_range(0..self.existing.len())].clone()
        };
        let params: Vec<(String, String)> = vec![
            ("AccountSid".into(), "ACbench".into()),
            ("ApiVersion".into(), "2010-04-01".into()),
            ("Body".into(), format!("Text {n}: hello again, any news about my order?")),
            ("From".into(), from),
            // A Twilio SID: SM and 32 hex digits: `f` and 31 decimal ones here, so that none is the SID of a
            // seeded message (`SM` and the message id in 32 hex digits, starting with 0), which smsdesk would
            // rightly take for a retry and not store again.
            ("MessageSid".into(), format!("SMf{n:031}")),
            ("NumMedia".into(), "0".into()),
            ("SmsStatus".into(), "received".into()),
            ("To".into(), CHANNEL.into()),
        ];
        let signature = self.signer.compute(&self.url, &params);
        (serde_urlencoded::to_string(&params).unwrap(), signature)
    }

    pub fn new_numbers_used(&self) -> u64 {
        self.new_numbers.load(Ordering::Relaxed)
    }
}

async fn send_text(conn: &mut Conn, texts: &Texts, rng: &mut StdRng, tally: &mut Tally) {
    let (body, signature) = texts.next(rng);
    let request = hyper::Request::post("/webhooks/twilio")
        .header("content-type", "application/x-www-form-urlencoded")
        .header("x-twilio-signature", signature);
    let sent = std::time::Instant::now();
    let answer = conn.send(request, Bytes::from(body)).await;
    let outcome = match answer {
        Ok(a) if (200..300).contains(&a.status) => Ok(a.status),
        Ok(a) => Err(format!("webhook: HTTP {}", a.status)),
        Err(e) => Err(format!("webhook: {e}")),
    };
    tally.record(sent.elapsed(), outcome);
}

/// Sends texts at `rate` per second in total over `connections` connections until `until`, each
/// connection on a fixed schedule (catching up, one request at a time, when it falls behind).
pub fn spawn_paced_texts(
    authority: &str,
    texts: Arc<Texts>,
    rate: f64,
    connections: usize,
    until: Instant,
) -> tokio::task::JoinHandle<Tally> {
    let period = Duration::from_secs_f64(connections as f64 / rate);
    let start = Instant::now();
    let handles: Vec<_> = (0..connections)
        .map(|c| {
            let (authority, texts) = (authority.to_owned(), texts.clone());
            let offset = period.mul_f64(c as f64 / connections as f64);
            tokio::spawn(async move {
                let mut rng = StdRng::seed_from_u64(1_000 + c as u64);
                let mut conn = Conn::new(&authority);
                let mut tally = Tally::default();
                let mut ticker = tokio::time::interval_at(start + offset, period);
                ticker.set_missed_tick_behavior(MissedTickBehavior::Burst);
                loop {
                    ticker.tick().await;
                    if Instant::now() >= until {
                        break;
                    }
                    send_text(&mut conn, &texts, &mut rng, &mut tally).await;
                }
                tally
            })
        })
        .collect();
    join_tallies(handles)
}

/// Sends texts as fast as the server answers, over `connections` connections, until `until`.
pub fn spawn_unpaced_texts(
    authority: &str,
    texts: Arc<Texts>,
    connections: usize,
    until: Instant,
) -> tokio::task::JoinHandle<Tally> {
    let handles: Vec<_> = (0..connections)
        .map(|c| {
            let (authority, texts) = (authority.to_owned(), texts.clone());
            tokio::spawn(async move {
                let mut rng = StdRng::seed_from_u64(2_000 + c as u64);
                let mut conn = Conn::new(&authority);
                let mut tally = Tally::default();
                while Instant::now() < until {
                    send_text(&mut conn, &texts, &mut rng, &mut tally).await;
                }
                tally
            })
        })
        .collect();
    join_tallies(handles)
}

fn join_tallies(handles: Vec<tokio::task::JoinHandle<Tally>>) -> tokio::task::JoinHandle<Tally> {
    tokio::spawn(async move {
        let mut total = Tally::default();
        for handle in handles {
            total.merge(handle.await.unwrap());
        }
        total
    })
}

/// `count` requests of `path` as `agent`, without `If-None-Match`, over `connections` connections.
pub async fn repeat_get(authority: &str, agent: &Agent, path: &str, count: usize, connections: usize) -> Tally {
    let next = Arc::new(AtomicU64::new(0));
    let handles: Vec<_> = (0..connections)
        .map(|_| {
            let (authority, path, next) = (authority.to_owned(), path.to_owned(), next.clone());
            let authorization = format!("Bearer {}", agent.token);
            tokio::spawn(async move {
                let mut conn = Conn::new(&authority);
                let mut tally = Tally::default();
                while next.fetch_add(1, Ordering::Relaxed) < count as u64 {
                    let request = hyper::Request::get(&path).header("authorization", &authorization);
                    let sent = std::time::Instant::now();
                    let outcome = match conn.send(request, Bytes::new()).await {
                        Ok(a) if a.status == 200 => Ok(200),
                        Ok(a) => Err(format!("{path}: HTTP {}", a.status)),
                        Err(e) => Err(format!("{path}: {e}")),
                    };
                    tally.record(sent.elapsed(), outcome);
                }
                tally
            })
        })
        .collect();
    join_tallies(handles).await.unwrap()
}
