//! Tests that run the real `smsdesk` binary as a separate process.

#![allow(clippy::unwrap_used)]

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::sync::Arc;
use std::time::Duration;

use wiremock::matchers::{method, path};
use wiremock::{Mock, ResponseTemplate};

use crate::helpers::*;

const BINARY: &str = env!("CARGO_BIN_EXE_smsdesk");

/// A command with exactly this environment, run from an empty directory so no `.env` leaks in.
pub fn smsdesk(env: &HashMap<String, String>, args: &[&str], dir: &tempfile::TempDir) -> Command {
    let mut command = Command::new(BINARY);
    command.args(args).env_clear().envs(env).env("RUST_LOG", "info").current_dir(dir.path());
    command
}

pub fn run(env: &HashMap<String, String>, args: &[&str], dir: &tempfile::TempDir) -> Output {
    smsdesk(env, args, dir).output().unwrap()
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A server process whose log goes to a file, killed (SIGKILL) when dropped.
pub struct ServerProcess {
    child: Child,
    log: PathBuf,
}

impl ServerProcess {
    pub async fn start(env: &HashMap<String, String>, dir: &tempfile::TempDir, name: &str) -> Self {
        let log = dir.path().join(format!("{name}.log"));
        let child = smsdesk(env, &["serve"], dir)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        let server = Self { child, log };
        let health = format!("http://{}/healthz", env["BIND_ADDR"]);
        // Generous: the multi-replica tests start several debug builds at once on two cores.
        for _ in 0..1200 {
            if reqwest::get(&health).await.is_ok_and(|r| r.status().is_success()) {
                return server;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("server did not come up:\n{}", server.log());
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends a signal by name (`STOP`, `CONT`) with kill(1).
    pub fn signal(&self, name: &str) {
        let sent = Command::new("kill").args([format!("-{name}"), self.pid().to_string()]).status().unwrap();
        assert!(sent.success(), "kill -{name} failed");
    }

    /// Waits up to `timeout` for the process to exit on its own (after a SIGTERM, say); panics if it does not.
    pub async fn wait_for_exit(&mut self, timeout: Duration) -> std::process::ExitStatus {
        let deadline = std::time::Instant::now() + timeout;
        while std::time::Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("the server did not exit within {timeout:?}:\n{}", self.log());
    }

    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

pub async fn killed_server_loses_no_queued_reply_and_sends_none_twice(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let database = TestDatabase::create(backend);
    let gateway = start_fake_twilio().await;
    let mut env = base_env(&database.url, &gateway.uri());
    env.insert("BIND_ADDR".into(), format!("127.0.0.1:{}", free_port()));
    let made_user =
        run(&env, &["users", "add", "--email", "ops@example.com", "--name", "Ops", "--role", "admin"], &dir);
    assert!(made_user.status.success(), "{}", String::from_utf8_lossy(&made_user.stderr));
    let token = String::from_utf8(run(&env, &["tokens", "create", "--email", "ops@example.com"], &dir).stdout).unwrap();
    // The gateway is down while the first server runs.
    Mock::given(method("POST"))
        .and(path(twilio_messages_path()))
        .respond_with(ResponseTemplate::new(503))
        .with_priority(1)
        .mount(&gateway)
        .await;

    let mut first = ServerProcess::start(&env, &dir, "first").await;
    let client = TestClient {
        address: format!("http://{}", env["BIND_ADDR"]),
        client: reqwest::Client::new(),
        token: token.trim().to_owned(),
        gateway: gateway.clone(),
    };
    assert_eq!(client.text(CUSTOMER, "Where is my refund?").await.status, 200);
    let ticket = only_ticket_of(&client, CUSTOMER).await["id"].as_i64().unwrap();
    for n in 0..3 {
        assert_eq!(client.reply(ticket, &format!("Reply {n}")).await.status, 201);
    }
    wait_until("every queued message attempted", Duration::from_secs(20), || async {
        let bodies: std::collections::HashSet<String> =
            client.gateway_requests().await.into_iter().map(|s| s.body).collect();
        bodies.len() == 4
    })
    .await;
    first.kill();

    // The gateway recovers; only what the second server sends is recorded from here on.
    gateway.reset().await;
    Mock::given(method("POST")).and(path(twilio_messages_path())).respond_with(TwilioAccepts).mount(&gateway).await;
    env.insert("BIND_ADDR".into(), format!("127.0.0.1:{}", free_port()));
    let second = ServerProcess::start(&env, &dir, "second").await;
    let client = TestClient { address: format!("http://{}", env["BIND_ADDR"]), ..client };

    wait_until("all four messages delivered", Duration::from_secs(60), || async {
        client.gateway_requests().await.len() >= 4
    })
    .await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let mut bodies: Vec<String> = client.gateway_requests().await.into_iter().map(|s| s.body).collect();
    bodies.sort();
    let confirmation = format!("Thanks for contacting customer support! Your ticket ID is {ticket}.");
    assert_eq!(bodies, ["Reply 0", "Reply 1", "Reply 2", confirmation.as_str()], "log:\n{}", second.log());
    let thread = client.thread(ticket).await;
    assert!(thread.iter().filter(|m| m["direction"] == "outbound").all(|m| m["delivery_status"] == "sending"));
}

pub async fn cli_creates_users_and_prints_a_token_alone(backend: Backend) {
    let app = spawn_app(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let env = base_env(&app.database.url, &app.gateway.uri());

    let added = run(&env, &["users", "add", "--email", "Ana@Example.com", "--name", "Ana", "--role", "agent"], &dir);
    assert!(added.status.success(), "{}", String::from_utf8_lossy(&added.stderr));
    let created = run(&env, &["tokens", "create", "--email", "ana@example.com"], &dir);
    assert!(created.status.success(), "{}", String::from_utf8_lossy(&created.stderr));

    let stdout = String::from_utf8(created.stdout).unwrap();
    let token = stdout.strip_suffix('\n').unwrap();
    assert!(
        token.len() == 72 && token.starts_with("smsdesk_") && token[8..].bytes().all(|b| b.is_ascii_hexdigit()),
        "stdout must be the token alone: {stdout:?}"
    );
    assert_eq!(app.get_as("/api/tickets", token).await.status, 200, "the printed token works");

    let duplicate =
        run(&env, &["users", "add", "--email", "ana@example.com", "--name", "Ana", "--role", "agent"], &dir);
    assert_eq!(duplicate.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&duplicate.stderr).contains("already exists"));
    let unknown = run(&env, &["tokens", "create", "--email", "nobody@example.com"], &dir);
    assert_eq!(unknown.status.code(), Some(1));
    assert!(unknown.stdout.is_empty());
    let bad_role = run(&env, &["users", "add", "--email", "b@example.com", "--name", "B", "--role", "boss"], &dir);
    assert!(!bad_role.status.success());
}

pub async fn bad_configuration_stops_start_up_naming_the_variable(backend: Backend) {
    let database = TestDatabase::create(backend);
    let dir = tempfile::tempdir().unwrap();
    let cases: &[(&str, &str, &str)] = &[
        ("BIND_ADDR", "nope", "BIND_ADDR"),
        ("SMS_GATEWAY", "carrier-pigeon", "SMS_GATEWAY"),
        ("PUBLIC_URL", "not a url", "PUBLIC_URL"),
        ("CONFIRMATION_TEMPLATE", "Thanks, no id here", "CONFIRMATION_TEMPLATE"),
        ("TWILIO_ACCOUNT_SID", "", "TWILIO_ACCOUNT_SID"),
    ];
    for (variable, value, named) in cases {
        let mut env = base_env(&database.url, "http://127.0.0.1:9");
        env.insert((*variable).to_owned(), (*value).to_owned());
        let output = run(&env, &["serve"], &dir);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{variable}={value}: {stderr}");
        assert!(stderr.contains(named), "{variable}={value} should name {named}: {stderr}");
    }
    let mut unreachable = base_env("postgres://nobody@127.0.0.1:1/nothing", "http://127.0.0.1:9");
    unreachable.insert("BIND_ADDR".into(), "127.0.0.1:0".into());
    let output = run(&unreachable, &["serve"], &dir);
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("database"));
}

pub async fn migrate_command_prepares_the_database(backend: Backend) {
    let database = Arc::new(TestDatabase::create(backend));
    let dir = tempfile::tempdir().unwrap();
    let env = base_env(&database.url, "http://127.0.0.1:9");

    for _ in 0..2 {
        let output = run(&env, &["migrate"], &dir);
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    }

    let settings = smsdesk::config::Settings::from_lookup(|name| env.get(name).cloned()).unwrap();
    let db = smsdesk::db::Database::connect(&settings.database).unwrap();
    let tickets: i64 = db
        .read(|conn| -> Result<i64, smsdesk::db::StoreError> {
            use diesel::prelude::*;
            Ok(smsdesk::db::schema::tickets::table.count().get_result(conn)?)
        })
        .await
        .unwrap();
    assert_eq!(tickets, 0);
}
