//! What the benchmarks that run the release server as an operator would share: start it on a database,
//! add an admin and a token with the `smsdesk` commands, make and drop a PostgreSQL database of their own.
//! Each bench includes this file as a module (`#[path = "common/mod.rs"] mod common;`), so a bench may use
//! only part of it.

#![allow(dead_code)]

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use diesel::{Connection, PgConnection, RunQueryDsl};

/// The release server, killed and reaped when dropped (a failed bench leaves no process behind).
pub struct Server {
    pub child: Child,
    pub address: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

/// The `smsdesk` binary with the environment the server and the admin commands share, so both use the same
/// database; texts go to the console gateway.
pub fn smsdesk(database_url: &str, dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_smsdesk"));
    command
        .env_clear()
        .env("DATABASE_URL", database_url)
        .env("SMS_GATEWAY", "console")
        .env("RUST_LOG", "warn")
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit());
    command
}

/// `smsdesk serve` on a free port of 127.0.0.1, with `env` added; returns once it accepts connections.
pub fn start_server(database_url: &str, dir: &Path, env: &[(&str, &str)]) -> Server {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let child = smsdesk(database_url, dir)
        .arg("serve")
        .env("BIND_ADDR", format!("127.0.0.1:{port}"))
        .envs(env.iter().copied())
        .spawn()
        .expect("start smsdesk");
    // Owned at once, so a failed start still kills and reaps the process.
    let server = Server { child, address: format!("http://127.0.0.1:{port}") };
    for _ in 0..400 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return server;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    panic!("smsdesk did not start");
}

/// An admin and an API token of theirs, through the same commands an operator uses.
pub fn admin_token(database_url: &str, dir: &Path, email: &str) -> String {
    let added = smsdesk(database_url, dir)
        .args(["users", "add", "--email", email, "--name", "Bench Admin", "--role", "admin"])
        .output()
        .unwrap();
    assert!(added.status.success(), "smsdesk users add: {}", String::from_utf8_lossy(&added.stderr));
    let token = smsdesk(database_url, dir)
        .args(["tokens", "create", "--email", email])
        .stdout(Stdio::piped())
        .output()
        .unwrap();
    assert!(token.status.success(), "smsdesk tokens create: {}", String::from_utf8_lossy(&token.stderr));
    String::from_utf8(token.stdout).unwrap().trim().to_owned()
}

/// The machine's 1-minute load average: latency on a shared 2-core machine means little without it.
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|line| line.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "?".to_owned())
}

/// The PostgreSQL server a bench may create databases on: `BENCH_DATABASE_URL`, else `TEST_DATABASE_URL`.
pub fn postgres_admin_url() -> Option<String> {
    std::env::var("BENCH_DATABASE_URL")
        .or_else(|_| std::env::var("TEST_DATABASE_URL"))
        .ok()
        .filter(|url| !url.trim().is_empty())
}

/// A PostgreSQL database of the bench's own, dropped afterwards even when the bench panics.
pub struct ScratchDatabase {
    admin: PgConnection,
    name: String,
    pub url: String,
}

impl ScratchDatabase {
    pub fn create(admin_url: &str) -> Self {
        let name = format!("smsdesk_bench_{}", uuid::Uuid::new_v4().simple());
        let mut admin = PgConnection::establish(admin_url).expect("connect to PostgreSQL");
        diesel::sql_query(format!("CREATE DATABASE {name}")).execute(&mut admin).unwrap();
        let mut url = url::Url::parse(admin_url).unwrap();
        url.set_path(&name);
        Self { admin, name, url: url.into() }
    }
}

impl Drop for ScratchDatabase {
    fn drop(&mut self) {
        let _ = diesel::sql_query(format!("DROP DATABASE {} WITH (FORCE)", self.name)).execute(&mut self.admin);
    }
}
