//! What an operator relies on: the probes, JSON 404s, request ids, the access log, the schema guard and
//! start-up that fails fast and says why.

#![allow(clippy::unwrap_used)]

use std::collections::HashMap;
use std::process::{Command, Output, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use diesel::{Connection, RunQueryDsl};
use serde_json::Value;

use crate::helpers::*;
use crate::process::{ServerProcess, free_port, run, smsdesk};

/// The newest migration both backends carry, and its version as `__diesel_schema_migrations` records it.
const NEWEST_MIGRATION: &str = "2026-12-07-000006_numbers_of_ours";
const NEWEST_VERSION: &str = "20261207000006";
/// A migration from a future smsdesk.
const FUTURE_VERSION: &str = "20991231000000";

/// Runs one statement on the test's database, outside any server.
fn execute_sql(database_url: &str, sql: &str) {
    match database_url.strip_prefix("sqlite://") {
        Some(path) => {
            diesel::sql_query(sql).execute(&mut diesel::SqliteConnection::establish(path).unwrap()).unwrap();
        }
        None => {
            diesel::sql_query(sql).execute(&mut diesel::PgConnection::establish(database_url).unwrap()).unwrap();
        }
    }
}

/// Runs the command to its end, killing it (and failing the test) after `limit`. How long it took.
fn run_within(mut command: Command, limit: Duration) -> (Output, Duration) {
    let started = Instant::now();
    let mut child = command.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > limit {
            let _ = child.kill();
            let output = child.wait_with_output().unwrap();
            panic!("still running after {limit:?}; stderr:\n{}", String::from_utf8_lossy(&output.stderr));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let output = child.wait_with_output().unwrap();
    (output, started.elapsed())
}

async fn get_with_request_id(app: &TestClient, method: &str, path: &str, request_id: Option<&str>) -> (u16, String) {
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let mut request = app.client.request(method, app.url(path));
    if let Some(id) = request_id {
        request = request.header("x-request-id", id);
    }
    let response = request.send().await.unwrap();
    let id = response.headers().get("x-request-id").map(|v| v.to_str().unwrap().to_owned());
    (response.status().as_u16(), id.unwrap_or_else(|| panic!("no X-Request-Id on {path}")))
}

pub async fn probes_tell_alive_from_ready_and_ready_means_a_current_schema(backend: Backend) {
    // One pooled connection, so that the test can hold it and make the database "slow".
    let app = spawn_app_with(backend, &[("DATABASE_POOL_SIZE", "1")]).await;
    let readyz = || async { Answer::from_response(app.client.get(app.url("/readyz")).send().await.unwrap()).await };

    let alive = Answer::from_response(app.client.get(app.url("/healthz")).send().await.unwrap()).await;
    assert_eq!((alive.status, &alive.body["status"]), (200, &Value::from("ok")), "{}", alive.text);
    let ready = readyz().await;
    assert_eq!((ready.status, &ready.body["status"]), (200, &Value::from("ok")), "{}", ready.text);
    assert!(ready.content_type.starts_with("application/json"));

    // A newer smsdesk migrated the database: this one is not ready, and says which migration it lacks.
    let db = app.db.clone();
    let sql = |sql: String| {
        let db = db.clone();
        async move {
            db.write(move |conn| diesel::sql_query(sql).execute(conn).map_err(smsdesk::db::StoreError::from))
                .await
                .unwrap()
        }
    };
    sql(format!("INSERT INTO __diesel_schema_migrations (version) VALUES ('{FUTURE_VERSION}')")).await;
    let unknown = readyz().await;
    unknown.assert_error(503, "schema_unknown");
    assert!(unknown.body["message"].as_str().unwrap().contains(FUTURE_VERSION), "{}", unknown.text);
    sql(format!("DELETE FROM __diesel_schema_migrations WHERE version = '{FUTURE_VERSION}'")).await;

    // A migration of ours missing (the database is older than this binary).
    sql(format!("DELETE FROM __diesel_schema_migrations WHERE version = '{NEWEST_VERSION}'")).await;
    let behind = readyz().await;
    behind.assert_error(503, "schema_behind");
    assert!(behind.body["message"].as_str().unwrap().contains(NEWEST_MIGRATION), "{}", behind.text);
    sql(format!("INSERT INTO __diesel_schema_migrations (version) VALUES ('{NEWEST_VERSION}')")).await;
    assert_eq!(readyz().await.status, 200);

    // The database does not answer within a second (its only connection is busy for 3 s): alive all the
    // while, and not ready, said after about a second (not after the pool's 10 s wait).
    let held = tokio::spawn({
        let db = app.db.clone();
        async move {
            db.read(|_| {
                std::thread::sleep(Duration::from_secs(3));
                Ok::<_, smsdesk::db::StoreError>(())
            })
            .await
        }
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let started = Instant::now();
    assert_eq!(app.client.get(app.url("/healthz")).send().await.unwrap().status(), 200);
    assert!(started.elapsed() < Duration::from_millis(500), "/healthz waited for the database");
    let started = Instant::now();
    let slow = readyz().await;
    let waited = started.elapsed();
    slow.assert_error(503, "database_timeout");
    assert!(waited >= Duration::from_millis(900) && waited < Duration::from_millis(2500), "{waited:?}");
    held.await.unwrap().unwrap();
    app.wait_until("ready again", Duration::from_secs(5), || async { readyz().await.status == 200 }).await;
}

pub async fn unknown_api_paths_are_json_404s_for_every_method(backend: Backend) {
    let app = spawn_app(backend).await;

    for path in ["/api", "/api/nothing-here", "/api/tickets/1/nothing", "/api/contacts/+14155550123/x?token=t"] {
        for method in ["GET", "POST", "PUT", "PATCH", "DELETE"] {
            let answer = app.token_send(method, path, &app.token, Value::Null).await;
            answer.assert_error(404, "not_found");
        }
        let head = app.client.head(app.url(path)).bearer_auth(&app.token).send().await.unwrap();
        assert_eq!(head.status(), 404, "HEAD {path}");
    }
    // A known path with a wrong method keeps its 405.
    app.token_send("PUT", "/api/tickets/1", &app.token, Value::Null).await.assert_error(405, "method_not_allowed");
    app.token_send("POST", "/readyz", &app.token, Value::Null).await.assert_error(405, "method_not_allowed");
    // The probes are the server's, not the dashboard's.
    let head = app.client.head(app.url("/readyz")).send().await.unwrap();
    let content_type = head.headers().get("content-type").map(|v| v.to_str().unwrap().to_owned());
    assert!(!content_type.unwrap_or_default().starts_with("text/html"), "HEAD /readyz got the dashboard");
}

pub async fn request_ids_are_taken_from_the_proxy_when_sane_and_made_otherwise(backend: Backend) {
    let app = spawn_app(backend).await;

    // Kept, on answers of every kind: success, 401, 404, 405.
    for (method, path) in
        [("GET", "/healthz"), ("GET", "/api/tickets"), ("GET", "/api/nothing-here"), ("DELETE", "/readyz")]
    {
        let (_, id) = get_with_request_id(&app, method, path, Some("nginx-7f3a9c0d")).await;
        assert_eq!(id, "nginx-7f3a9c0d", "{method} {path}");
    }
    let (status, _) = get_with_request_id(&app, "GET", "/api/tickets", None).await;
    assert_eq!(status, 401);

    // Made when missing, a new one per request.
    let (_, first) = get_with_request_id(&app, "GET", "/api/nothing-here", None).await;
    let (_, second) = get_with_request_id(&app, "GET", "/healthz", None).await;
    assert!(uuid::Uuid::parse_str(&first).is_ok() && uuid::Uuid::parse_str(&second).is_ok(), "{first} {second}");
    assert_ne!(first, second);

    // Replaced when it could break a log line or is too long.
    for insane in ["two words", "quote\"d", &"x".repeat(129), "a,b"] {
        let (_, id) = get_with_request_id(&app, "GET", "/healthz", Some(insane)).await;
        assert!(uuid::Uuid::parse_str(&id).is_ok(), "{insane:?} was kept as {id:?}");
    }
}

/// The JSON log lines of a server process.
fn json_lines(log: &str) -> Vec<Value> {
    log.lines().map(|line| serde_json::from_str(line).unwrap_or_else(|_| panic!("not JSON: {line}"))).collect()
}

fn request_id_of(line: &Value) -> Option<&str> {
    line["span"]["request_id"].as_str()
}

pub async fn every_request_is_one_access_log_line_with_its_request_id_and_no_secrets(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let database = TestDatabase::create(backend);
    let gateway = start_fake_twilio().await;
    let mut env = base_env(&database.url, &gateway.uri());
    env.insert("BIND_ADDR".into(), format!("127.0.0.1:{}", free_port()));
    env.insert("LOG_FORMAT".into(), "json".into());
    let server = ServerProcess::start(&env, &dir, "server").await;
    let made_user =
        run(&env, &["users", "add", "--email", "ops@example.com", "--name", "Ops", "--role", "admin"], &dir);
    assert!(made_user.status.success(), "{}", String::from_utf8_lossy(&made_user.stderr));
    let token = String::from_utf8(run(&env, &["tokens", "create", "--email", "ops@example.com"], &dir).stdout).unwrap();
    let token = token.trim();
    let client = TestClient {
        address: format!("http://{}", env["BIND_ADDR"]),
        client: reqwest::Client::new(),
        token: token.to_owned(),
        gateway,
    };

    // A text with a link we drop: the handler logs that, inside the request.
    let sid = new_sid().replacen("SM", "MM", 1);
    let params = [
        ("MessageSid", sid.as_str()),
        ("From", CUSTOMER),
        ("To", OUR_NUMBER),
        ("Body", "Where is my refund?"),
        ("NumMedia", "1"),
        ("MediaUrl0", "http://example.com/plain.jpg"),
    ];
    let owned: Vec<(String, String)> = params.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    let signature = smsdesk::webhooks::twilio_signature::TwilioSignature::new(TWILIO_AUTH_TOKEN)
        .compute(&format!("{PUBLIC_URL}/webhooks/twilio"), &owned);
    let webhook = client
        .client
        .post(client.url("/webhooks/twilio"))
        .header("X-Twilio-Signature", signature)
        .header("X-Request-Id", "rid-webhook")
        .form(&params)
        .send()
        .await
        .unwrap();
    assert_eq!(webhook.status(), 200);
    let ticket = only_ticket_of(&client, CUSTOMER).await["id"].as_i64().unwrap();
    let requests = [
        ("rid-search", format!("/api/tickets?customer_number={}", urlencode(CUSTOMER)), 200, "/api/tickets"),
        ("rid-ticket", format!("/api/tickets/{ticket}"), 200, "/api/tickets/{id}"),
        ("rid-unknown", format!("/api/contacts/{}/x?token=secret-in-query", urlencode(CUSTOMER)), 404, "unmatched"),
        ("rid-dashboard", format!("/tickets/{ticket}"), 503, "unmatched"),
    ];
    for (id, path, status, _) in &requests {
        let response =
            client.client.get(client.url(path)).bearer_auth(token).header("X-Request-Id", *id).send().await.unwrap();
        assert_eq!(response.status(), *status, "{path}");
    }
    tokio::time::sleep(Duration::from_millis(200)).await;

    let log = server.log();
    let lines = json_lines(&log);
    let access: Vec<&Value> = lines.iter().filter(|line| line["target"] == "smsdesk::access").collect();
    let expected = std::iter::once(("rid-webhook", "POST", 200, "/webhooks/twilio"))
        .chain(requests.iter().map(|(id, _, status, route)| (*id, "GET", *status, *route)));
    for (id, method, status, route) in expected {
        let mine: Vec<&&Value> = access.iter().filter(|line| request_id_of(line) == Some(id)).collect();
        assert_eq!(mine.len(), 1, "one access line for {id}:\n{log}");
        let fields = &mine[0]["fields"];
        assert_eq!(fields["method"], method, "{id}");
        assert_eq!(fields["route"], route, "{id}");
        assert_eq!(fields["status"], status, "{id}");
        assert_eq!(fields["client"], "127.0.0.1", "{id}");
        assert!(fields["duration_ms"].as_f64().is_some_and(|ms| ms >= 0.0), "{id}: {}", mine[0]);
        assert_eq!(mine[0]["level"], "INFO");
    }
    // What the handler logged carries the request's id.
    let dropped = lines.iter().find(|line| line["fields"]["message"] == "dropped a media link from a webhook");
    assert_eq!(dropped.and_then(request_id_of), Some("rid-webhook"), "{log}");
    // Start-up named the migrations it applied.
    assert!(log.contains("2026-11-21-000001_core") && log.contains(NEWEST_MIGRATION), "{log}");
    // No token, query string, body or phone number.
    for secret in [token, "secret-in-query", "customer_number", "Where is my refund", "4155550123", "plain.jpg"] {
        assert!(!log.contains(secret), "the log holds {secret:?}:\n{log}");
    }
}

pub async fn migrate_reports_and_no_command_starts_on_a_database_from_a_newer_version(backend: Backend) {
    let database = TestDatabase::create(backend);
    let dir = tempfile::tempdir().unwrap();
    let mut env = base_env(&database.url, "http://127.0.0.1:9");
    env.insert("BIND_ADDR".into(), format!("127.0.0.1:{}", free_port()));

    let first = run(&env, &["migrate"], &dir);
    assert!(first.status.success(), "{}", String::from_utf8_lossy(&first.stderr));
    let stdout = String::from_utf8(first.stdout).unwrap();
    assert!(stdout.contains("applied          2026-11-21-000001_core"), "{stdout}");
    assert!(stdout.contains(&format!("applied          {NEWEST_MIGRATION}")), "{stdout}");
    assert!(!stdout.contains("already applied"), "{stdout}");
    let second = run(&env, &["migrate"], &dir);
    let stdout = String::from_utf8(second.stdout).unwrap();
    assert!(stdout.contains(&format!("already applied  {NEWEST_MIGRATION}")), "{stdout}");
    assert!(stdout.contains("0 applied now"), "{stdout}");

    execute_sql(
        &database.url,
        &format!("INSERT INTO __diesel_schema_migrations (version) VALUES ('{FUTURE_VERSION}')"),
    );
    let commands: [&[&str]; 4] = [
        &["serve"],
        &["migrate"],
        &["users", "add", "--email", "a@example.com", "--name", "A", "--role", "admin"],
        &["tokens", "create", "--email", "a@example.com"],
    ];
    for args in commands {
        let (output, _) = run_within(smsdesk(&env, args, &dir), Duration::from_secs(30));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(stderr.contains(FUTURE_VERSION) && stderr.contains("DATABASE_URL"), "{args:?}: {stderr}");
    }
    // The refused `users add` changed nothing: once the database is ours again, there is no such user.
    execute_sql(&database.url, &format!("DELETE FROM __diesel_schema_migrations WHERE version = '{FUTURE_VERSION}'"));
    let tokens = run(&env, &["tokens", "create", "--email", "a@example.com"], &dir);
    assert_eq!(tokens.status.code(), Some(1), "{}", String::from_utf8_lossy(&tokens.stderr));
    assert!(tokens.stdout.is_empty());
}

/// A PostgreSQL that accepts connections and never says a word.
struct SilentServer {
    port: u16,
    stop: Arc<AtomicBool>,
}

impl SilentServer {
    fn start() -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = stop.clone();
        std::thread::spawn(move || {
            let mut held = Vec::new();
            while !stopped.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((stream, _)) => held.push(stream),
                    Err(_) => std::thread::sleep(Duration::from_millis(20)),
                }
            }
        });
        Self { port, stop }
    }
}

impl Drop for SilentServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

pub async fn start_up_traps_fail_fast_naming_the_variable() {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = format!("sqlite://{}", dir.path().join("smsdesk.db").display());
    let env_with = |variable: &str, value: &str| -> HashMap<String, String> {
        let mut env = base_env(&sqlite, "http://127.0.0.1:9");
        env.insert("BIND_ADDR".into(), format!("127.0.0.1:{}", free_port()));
        env.insert(variable.to_owned(), value.to_owned());
        env
    };

    // A PostgreSQL that never answers: start-up gives up after the default 10 s, or what the URL says.
    let silent = SilentServer::start();
    for (query, within) in [("", 8..16), ("?connect_timeout=2", 1..6)] {
        let url = format!("postgres://smsdesk@127.0.0.1:{}/smsdesk{query}", silent.port);
        let (output, took) =
            run_within(smsdesk(&env_with("DATABASE_URL", &url), &["serve"], &dir), Duration::from_secs(30));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{stderr}");
        assert!(within.contains(&took.as_secs()), "{url}: gave up after {took:?}");
        assert!(stderr.contains("DATABASE_URL") && stderr.contains("timeout"), "{stderr}");
    }
    drop(silent);

    let cases = [
        ("DATABASE_URL", "host=127.0.0.1 dbname=smsdesk", "postgres://127.0.0.1/smsdesk"),
        ("PUBLIC_URL", "https://desk.example.com/webhooks/twilio", "https://desk.example.com"),
    ];
    for (variable, value, shown) in cases {
        let (output, _) = run_within(smsdesk(&env_with(variable, value), &["serve"], &dir), Duration::from_secs(30));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{variable}={value}: {stderr}");
        assert!(stderr.contains(variable) && stderr.contains(shown), "{variable}={value}: {stderr}");
    }
    // The keyword string was not taken as the name of a new SQLite file.
    assert!(!dir.path().join("host=127.0.0.1 dbname=smsdesk").exists());
}
