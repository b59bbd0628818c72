//! nginx in front of three replicas on PostgreSQL, configured by deploy/nginx.conf itself: a replica killed
//! during a burst of webhooks, or every replica restarted in turn under steady traffic, costs no webhook an
//! error answer, and every text is stored exactly once.
//!
//! Needs nginx (Debian: nginx-light; another binary with NGINX=/path/to/nginx). Without it these tests are
//! reported as ignored, unless PROXY_TESTS_REQUIRE_NGINX=1 (CI sets it), which makes them fail instead.

#![allow(clippy::unwrap_used)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use diesel::{Connection, PgConnection, RunQueryDsl};
use futures::StreamExt;

use crate::helpers::*;
use crate::process::free_port;
use crate::replicas::{Replicas, signed_text};

const DEPLOYED_CONFIG: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../deploy/nginx.conf");

/// The nginx to run: $NGINX, else the first `nginx` on the PATH or in the sbin directories (not on a normal
/// user's PATH on Debian).
pub fn nginx_binary() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("NGINX") {
        return Some(PathBuf::from(path));
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin", "/usr/local/sbin", "/usr/local/nginx/sbin"].map(PathBuf::from))
        .map(|dir| dir.join("nginx"))
        .find(|candidate| candidate.is_file())
}

pub fn nginx_required() -> bool {
    std::env::var("PROXY_TESTS_REQUIRE_NGINX").is_ok_and(|v| v == "1")
}

/// nginx running deploy/nginx.conf on 127.0.0.1, in front of replicas on the given ports.
struct Nginx {
    child: Child,
    dir: tempfile::TempDir,
    address: String,
}

impl Nginx {
    async fn start(upstream_ports: &[u16]) -> Self {
        let binary = nginx_binary().expect("nginx is not installed (Debian: apt-get install nginx-light)");
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let deployed = std::fs::read_to_string(DEPLOYED_CONFIG).unwrap();
        let config = dir.path().join("nginx.conf");
        std::fs::write(&config, render_for_local(&deployed, dir.path(), port, upstream_ports)).unwrap();
        let child = Command::new(binary)
            .arg("-p")
            .arg(dir.path())
            .arg("-c")
            .arg(&config)
            // Where nginx writes errors before it has read error_log from the file.
            .arg("-e")
            .arg(dir.path().join("error.log"))
            .args(["-g", "daemon off;"])
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.path().join("stderr.log")).unwrap())
            .spawn()
            .unwrap();
        let nginx = Self { child, dir, address: format!("http://127.0.0.1:{port}") };
        let health = format!("{}/healthz", nginx.address);
        for _ in 0..200 {
            if reqwest::get(&health).await.is_ok_and(|r| r.status().is_success()) {
                return nginx;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("nginx did not come up:\n{}", nginx.errors());
    }

    fn access_log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("access.log")).unwrap_or_default()
    }

    fn errors(&self) -> String {
        let read = |name: &str| std::fs::read_to_string(self.dir.path().join(name)).unwrap_or_default();
        format!("{}{}", read("stderr.log"), read("error.log"))
    }

    /// Access log lines of webhooks that more than one replica was tried for.
    fn retried_webhooks(&self) -> Vec<String> {
        self.access_log()
            .lines()
            .filter(|line| {
                line.contains("/webhooks/") && line.split("upstream=").nth(1).is_some_and(|u| u.contains(", "))
            })
            .map(str::to_owned)
            .collect()
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        // SIGTERM to the master stops its workers too; SIGKILL would leave them running.
        let _ = Command::new("kill").arg("-TERM").arg(self.child.id().to_string()).status();
        for _ in 0..100 {
            if self.child.try_wait().is_ok_and(|status| status.is_some()) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
    }
}

/// deploy/nginx.conf made to run on 127.0.0.1 as whoever runs the tests. Only what names the Docker network
/// or the container's file system changes: `user`, the log, pid and temporary file paths, the listen address,
/// the resolver (dropped) and the upstream `server` (one line per local replica, the same parameters without
/// `resolve`, which needs nginx 1.27.3 and a name, while Debian has 1.22). Every other line is kept as it is;
/// each replacement must find its line, so an edit to the file that moves one fails here rather than
/// silently testing something else.
fn render_for_local(deployed: &str, dir: &Path, port: u16, upstream_ports: &[u16]) -> String {
    let local = |name: &str| dir.join(name).display().to_string();
    let mut seen: HashMap<&str, usize> = HashMap::new();
    let mut out = String::new();
    for line in deployed.lines() {
        let indent = &line[..line.len() - line.trim_start().len()];
        let directive = line.split('#').next().unwrap_or_default().trim();
        let words: Vec<&str> = directive.trim_end_matches(';').split_whitespace().collect();
        let replaced: Option<Vec<String>> = match words.as_slice() {
            ["user", ..] => {
                // As root nginx would switch its workers to `nginx`, a user Debian does not have.
                Some(if running_as_root() { vec!["user root;".to_owned()] } else { Vec::new() })
            }
            ["error_log", _, rest @ ..] => Some(vec![format!("error_log {} {};", local("error.log"), rest.join(" "))]),
            ["pid", _] => Some(vec![format!("pid {};", local("nginx.pid"))]),
            ["access_log", _, rest @ ..] => {
                Some(vec![format!("access_log {} {};", local("access.log"), rest.join(" "))])
            }
            ["listen", _] => Some(vec![format!("listen 127.0.0.1:{port};")]),
            ["resolver" | "resolver_timeout", ..] => Some(Vec::new()),
            ["server", "smsdesk:8080", parameters @ ..] => {
                let kept: Vec<&str> = parameters.iter().copied().filter(|p| *p != "resolve").collect();
                Some(upstream_ports.iter().map(|p| format!("server 127.0.0.1:{p} {};", kept.join(" "))).collect())
            }
            ["http", "{"] => {
                // Temporary files in the test's directory, not /var/lib/nginx (root's).
                let temp = ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"]
                    .map(|kind| format!("    {kind}_temp_path {};", local(&format!("{kind}_temp"))));
                Some([vec!["http {".to_owned()], temp.to_vec()].concat())
            }
            _ => None,
        };
        match replaced {
            Some(lines) => {
                *seen.entry(words[0]).or_default() += 1;
                for new in lines {
                    out.push_str(indent);
                    out.push_str(&new);
                    out.push('\n');
                }
            }
            None => {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    for directive in ["user", "error_log", "pid", "access_log", "listen", "server", "http"] {
        assert!(
            seen.contains_key(directive),
            "deploy/nginx.conf has no `{directive}` line where this test expects one"
        );
    }
    out
}

/// The upstream server's fail_timeout in deploy/nginx.conf (whole seconds).
fn deployed_fail_timeout() -> Duration {
    let deployed = std::fs::read_to_string(DEPLOYED_CONFIG).unwrap();
    let seconds = deployed
        .split("fail_timeout=")
        .nth(1)
        .and_then(|rest| rest.split("s;").next())
        .and_then(|n| n.parse().ok())
        .expect("deploy/nginx.conf sets fail_timeout=<n>s");
    Duration::from_secs(seconds)
}

fn running_as_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// How many times each text (by MessageSid) is stored.
fn stored_counts(desk: &Replicas) -> HashMap<String, i64> {
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Text)]
        provider_message_id: String,
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        stored: i64,
    }
    let mut conn = PgConnection::establish(&desk.database.url).unwrap();
    diesel::sql_query(
        "SELECT provider_message_id, count(*) AS stored FROM messages WHERE direction = 'inbound' \
         AND provider_message_id IS NOT NULL GROUP BY provider_message_id",
    )
    .load::<Row>(&mut conn)
    .unwrap()
    .into_iter()
    .map(|row| (row.provider_message_id, row.stored))
    .collect()
}

/// Every text answered, none with an error, and each stored exactly once.
fn assert_each_answered_2xx_and_stored_once(answers: &[(String, u16)], desk: &Replicas, nginx: &Nginx) {
    let failed: Vec<&(String, u16)> = answers.iter().filter(|(_, status)| !(200..300).contains(status)).collect();
    assert!(
        failed.is_empty(),
        "{} of {} webhooks were answered with an error (0: no answer): {:?}\n--- nginx: errors\n{}\n\
         --- nginx: failed requests\n{}\n{}",
        failed.len(),
        answers.len(),
        failed.iter().take(20).collect::<Vec<_>>(),
        nginx.errors(),
        nginx.access_log().lines().filter(|line| !line.contains(" 200 ")).collect::<Vec<_>>().join("\n"),
        desk.logs()
    );
    let stored = stored_counts(desk);
    let missing: Vec<&String> = answers.iter().map(|(sid, _)| sid).filter(|sid| !stored.contains_key(*sid)).collect();
    assert!(
        missing.is_empty(),
        "{} texts answered 2xx are not stored: {:?}",
        missing.len(),
        &missing[..missing.len().min(10)]
    );
    let twice: Vec<(&String, &i64)> = stored.iter().filter(|(_, n)| **n != 1).collect();
    assert!(twice.is_empty(), "texts stored more than once: {twice:?}");
    assert_eq!(stored.len(), answers.len(), "texts stored that nobody sent");
}

fn customer(n: usize) -> String {
    format!("+1415555{:04}", 1000 + n % 50)
}

pub async fn a_replica_killed_during_a_burst_behind_nginx_costs_no_webhook_and_each_text_is_stored_once() {
    const TEXTS: usize = 2000;
    let mut desk = Replicas::start(3).await;
    let nginx = Nginx::start(&desk.ports()).await;
    let through_nginx = desk.client_at(&nginx.address);
    let answered = AtomicUsize::new(0);

    let burst = futures::stream::iter(0..TEXTS)
        .map(|n| {
            let (client, answered) = (&through_nginx, &answered);
            async move {
                let sid = new_sid();
                let status = signed_text(client, &customer(n), &sid, &format!("Burst text {n}")).await;
                answered.fetch_add(1, Ordering::Relaxed);
                (sid, status)
            }
        })
        .buffer_unordered(64)
        .collect::<Vec<(String, u16)>>();
    let kill = async {
        while answered.load(Ordering::Relaxed) < TEXTS / 5 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        desk.servers[1].kill();
        answered.load(Ordering::Relaxed)
    };
    let (answers, answered_before_the_kill) = tokio::join!(burst, kill);
    assert!(
        answered_before_the_kill < TEXTS * 3 / 4,
        "the replica died late: after {answered_before_the_kill} answers"
    );

    assert_each_answered_2xx_and_stored_once(&answers, &desk, &nginx);
    // The kill did hit webhooks in flight or on their way, and nginx sent them on to another replica.
    let retried = nginx.retried_webhooks().len();
    assert!(retried > 0, "no webhook was retried:\n{}", nginx.access_log());
    eprintln!(
        "kill -9 during a burst: {TEXTS} webhooks through nginx, replica killed after {answered_before_the_kill} \
         answers, {retried} retried on another replica, 0 errors, each text stored once"
    );
}

pub async fn a_rolling_restart_behind_nginx_under_100_webhooks_a_second_fails_none_and_stores_each_once() {
    let mut desk = Replicas::start(3).await;
    let nginx = Nginx::start(&desk.ports()).await;
    let through_nginx = Arc::new(desk.client_at(&nginx.address));
    let stop = Arc::new(AtomicBool::new(false));

    // About 100 webhooks a second, each on its own so that a slow one does not slow the rate.
    let traffic = {
        let (client, stop) = (through_nginx.clone(), stop.clone());
        tokio::spawn(async move {
            let mut every_10_ms = tokio::time::interval(Duration::from_millis(10));
            every_10_ms.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let mut sent = Vec::new();
            for n in 0.. {
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                every_10_ms.tick().await;
                let client = client.clone();
                sent.push(tokio::spawn(async move {
                    let sid = new_sid();
                    let status = signed_text(&client, &customer(n), &sid, &format!("Steady text {n}")).await;
                    (sid, status)
                }));
            }
            futures::future::join_all(sent).await.into_iter().map(Result::unwrap).collect::<Vec<_>>()
        })
    };

    // As an operator restarts replicas: one at a time, the next once the last is back. nginx leaves a replica
    // that failed out for fail_timeout, so it is back in nginx's rotation only then.
    let back_in_rotation = deployed_fail_timeout() + Duration::from_millis(500);
    tokio::time::sleep(Duration::from_secs(1)).await;
    for n in 0..desk.servers.len() {
        desk.servers[n].signal("TERM");
        let status = desk.servers[n].wait_for_exit(Duration::from_secs(30)).await;
        assert!(status.success(), "replica {n} exited with {status:?} after SIGTERM\n{}", desk.servers[n].log());
        desk.restart(n).await;
        tokio::time::sleep(back_in_rotation).await;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    stop.store(true, Ordering::Relaxed);
    let answers = traffic.await.unwrap();

    assert!(answers.len() >= 300, "only {} webhooks sent during the restarts", answers.len());
    assert_each_answered_2xx_and_stored_once(&answers, &desk, &nginx);
    let retried = nginx.retried_webhooks().len();
    assert!(retried > 0, "no webhook met a stopped replica:\n{}", nginx.access_log());
    eprintln!(
        "rolling restart: {} webhooks through nginx while 3 replicas restarted in turn, {retried} retried on \
         another replica, 0 errors, each text stored once",
        answers.len()
    );
}
