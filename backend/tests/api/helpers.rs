#![allow(clippy::unwrap_used, dead_code)]

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::ServerHandle;
use diesel::{Connection, PgConnection, RunQueryDsl};
use serde_json::{Value, json};
use smsdesk::accounts::{NewUser, add_user, create_token};
use smsdesk::config::Settings;
use smsdesk::db::Database;
use smsdesk::domain::EmailAddress;
use smsdesk::domain::Role;
use smsdesk::startup::Application;
use smsdesk::webhooks::twilio_signature::TwilioSignature;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// The address the gateways are configured to call (we sit behind a proxy there); signatures cover it.
pub const PUBLIC_URL: &str = "https://desk.example.test";
pub const TWILIO_AUTH_TOKEN: &str = "test-auth-token";
pub const TWILIO_ACCOUNT_SID: &str = "ACtest0000000000000000000000000000";
pub const OUR_NUMBER: &str = "+14155550100";
pub const OTHER_NUMBER_OF_OURS: &str = "+14155550199";
pub const CUSTOMER: &str = "+14155550123";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub fn postgres_admin_url() -> Option<String> {
    std::env::var("TEST_DATABASE_URL").ok().filter(|url| !url.trim().is_empty())
}

/// A database of the test's own: a file in a temporary directory, or a PostgreSQL database created for
/// the test and dropped afterwards.
pub struct TestDatabase {
    pub url: String,
    postgres: Option<(String, String)>,
    _dir: Option<tempfile::TempDir>,
}

impl TestDatabase {
    pub fn create(backend: Backend) -> Self {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().unwrap();
                let url = format!("sqlite://{}", dir.path().join("smsdesk.db").display());
                Self { url, postgres: None, _dir: Some(dir) }
            }
            Backend::Postgres => {
                let admin = postgres_admin_url().expect("TEST_DATABASE_URL");
                let name = format!("smsdesk_test_{}", uuid::Uuid::new_v4().simple());
                let mut conn = PgConnection::establish(&admin)
                    .unwrap_or_else(|e| panic!("TEST_DATABASE_URL is set but PostgreSQL is unreachable: {e}"));
                diesel::sql_query(format!("CREATE DATABASE {name}")).execute(&mut conn).unwrap();
                let mut url = url::Url::parse(&admin).unwrap();
                url.set_path(&name);
                Self { url: url.to_string(), postgres: Some((admin, name)), _dir: None }
            }
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Some((admin, name)) = &self.postgres
            && let Ok(mut conn) = PgConnection::establish(admin)
        {
            let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut conn);
        }
    }
}

/// The stand-in Twilio API: accepts every message with a fresh SID unless a test mounts other answers.
pub async fn start_fake_twilio() -> Arc<MockServer> {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(twilio_messages_path()))
        .respond_with(TwilioAccepts)
        .with_priority(10)
        .mount(&server)
        .await;
    Arc::new(server)
}

pub fn twilio_messages_path() -> String {
    format!("/2010-04-01/Accounts/{TWILIO_ACCOUNT_SID}/Messages.json")
}

/// Twilio's 201 answer, with a new SID per message.
pub struct TwilioAccepts;

impl Respond for TwilioAccepts {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        ResponseTemplate::new(201).set_body_json(json!({
            "sid": format!("SM{}", uuid::Uuid::new_v4().simple()),
            "status": "queued",
            "num_segments": "1",
            "error_code": null,
            "error_message": null,
        }))
    }
}

/// Twilio's 201 answer after a delay.
pub struct SlowTwilioAccepts(pub Duration);

impl Respond for SlowTwilioAccepts {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        TwilioAccepts.respond(request).set_delay(self.0)
    }
}

/// From now on the stand-in gateway accepts every text only after `delay`.
pub async fn accept_texts_slowly(gateway: &MockServer, delay: Duration) {
    Mock::given(method("POST"))
        .and(path(twilio_messages_path()))
        .respond_with(SlowTwilioAccepts(delay))
        .with_priority(1)
        .mount(gateway)
        .await;
}

/// One message the stand-in gateway received.
#[derive(Debug, Clone)]
pub struct SentSms {
    pub to: String,
    pub from: String,
    pub body: String,
    pub status_callback: Option<String>,
    pub authorization: Option<String>,
}

/// Talks HTTP to a running smsdesk, in this process or another, and reads its stand-in gateway.
pub struct TestClient {
    pub address: String,
    pub client: reqwest::Client,
    /// An admin's API token.
    pub token: String,
    pub gateway: Arc<MockServer>,
}

/// An smsdesk server running inside the test process.
pub struct TestApp {
    pub api: TestClient,
    pub db: Database,
    pub database: Arc<TestDatabase>,
    pub env: HashMap<String, String>,
    /// The metrics listener's port (`METRICS_ADDR`), as `port()` is the public one's.
    pub metrics_port: Option<u16>,
    handle: ServerHandle,
}

pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, &[]).await
}

/// Starts the app with a Twilio stand-in; `overrides` set or (with an empty value) unset variables.
pub async fn spawn_app_with(backend: Backend, overrides: &[(&str, &str)]) -> TestApp {
    let database = Arc::new(TestDatabase::create(backend));
    let gateway = start_fake_twilio().await;
    start(database, gateway, overrides).await
}

/// A second server process on the same database and gateway (as a second replica would be).
pub async fn spawn_replica(first: &TestApp) -> TestApp {
    let overrides: Vec<(&str, &str)> = first.env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    start(first.database.clone(), first.api.gateway.clone(), &overrides).await
}

pub fn base_env(database_url: &str, gateway_uri: &str) -> HashMap<String, String> {
    [
        ("DATABASE_URL", database_url),
        ("DATABASE_POOL_SIZE", "4"),
        // Many servers share the test PostgreSQL (100 connections at most): a few connections each.
        ("DATABASE_WRITERS", "2"),
        ("BIND_ADDR", "127.0.0.1:0"),
        ("PUBLIC_URL", PUBLIC_URL),
        ("SMS_GATEWAY", "twilio"),
        ("TWILIO_ACCOUNT_SID", TWILIO_ACCOUNT_SID),
        ("TWILIO_AUTH_TOKEN", TWILIO_AUTH_TOKEN),
        ("TWILIO_API_BASE", gateway_uri),
        ("MESSAGEBIRD_API_BASE", gateway_uri),
        ("TWILIO_PHONE_NUMBER", OUR_NUMBER),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

async fn start(database: Arc<TestDatabase>, gateway: Arc<MockServer>, overrides: &[(&str, &str)]) -> TestApp {
    let mut env = base_env(&database.url, &gateway.uri());
    for (key, value) in overrides {
        env.insert((*key).to_owned(), (*value).to_owned());
    }
    let mut settings = Settings::from_lookup(|name| env.get(name).cloned()).unwrap();
    // Retries within a fraction of a second keep the outage tests short; the schedule's shape is unit-tested.
    settings.delivery.retry_base = Duration::from_millis(100);
    let app = Application::build(settings).await.unwrap();
    let address = format!("http://127.0.0.1:{}", app.port());
    let metrics_port = app.metrics_port();
    let handle = app.handle();
    let db = app.database();
    tokio::spawn(app.run_until_stopped());
    let token = new_token(&db, Role::Admin).await;
    let api = TestClient { address, client: reqwest::Client::new(), token, gateway };
    TestApp { api, db, database, env, metrics_port, handle }
}

/// A new user of the given role and an API token for them.
pub async fn new_token(db: &Database, role: Role) -> String {
    new_user_with_token(db, role).await.1
}

/// A new user of the given role, and an API token for them.
pub async fn new_user_with_token(db: &Database, role: Role) -> (smsdesk::accounts::User, String) {
    let email = EmailAddress::parse(&format!("{}@example.com", uuid::Uuid::new_v4().simple())).unwrap();
    db.write(move |conn| -> Result<_, smsdesk::accounts::AccountError> {
        let user = add_user(conn, NewUser { email, name: "Test User".into(), role, password: None })?;
        let (_, token) = create_token(conn, user.id, "tests")?;
        Ok((user, token.plain_text))
    })
    .await
    .unwrap()
}

impl std::ops::Deref for TestApp {
    type Target = TestClient;

    fn deref(&self) -> &TestClient {
        &self.api
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        futures::executor::block_on(self.handle.stop(false));
    }
}

/// A browser session: the cookie to send and its CSRF token.
pub struct Session {
    pub cookie: String,
    pub csrf: String,
}

/// What an HTTP answer carried: status and JSON body (`Value::Null` when the body is not JSON).
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub body: Value,
    pub content_type: String,
    pub text: String,
}

impl Answer {
    pub async fn from_response(response: reqwest::Response) -> Self {
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap_or_default().to_owned())
            .unwrap_or_default();
        let text = response.text().await.unwrap();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Self { status, body, content_type, text }
    }

    /// Asserts a JSON error answer with this status and stable code.
    pub fn assert_error(&self, status: u16, code: &str) {
        assert_eq!(self.status, status, "unexpected answer: {} {}", self.status, self.text);
        assert_eq!(self.body["error"], code, "unexpected error body: {}", self.text);
        assert!(self.body["message"].as_str().is_some_and(|m| !m.is_empty()), "no message: {}", self.text);
        assert!(self.content_type.starts_with("application/json"), "not JSON: {}", self.content_type);
    }
}

impl TestClient {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// POSTs a form to a Twilio webhook path, signed as Twilio would sign it.
    pub async fn post_twilio(&self, path: &str, params: &[(&str, &str)]) -> Answer {
        let owned: Vec<(String, String)> = params.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        let signature = TwilioSignature::new(TWILIO_AUTH_TOKEN).compute(&format!("{PUBLIC_URL}{path}"), &owned);
        self.post_twilio_signed(path, params, &signature).await
    }

    pub async fn post_twilio_signed(&self, path: &str, params: &[(&str, &str)], signature: &str) -> Answer {
        let response =
            self.client.post(self.url(path)).header("X-Twilio-Signature", signature).form(params).send().await.unwrap();
        Answer::from_response(response).await
    }

    /// A customer text to our main number, with a fresh MessageSid.
    pub async fn text(&self, from: &str, body: &str) -> Answer {
        self.text_with_sid(from, OUR_NUMBER, body, &new_sid()).await
    }

    pub async fn text_with_sid(&self, from: &str, to: &str, body: &str, sid: &str) -> Answer {
        self.post_twilio(
            "/webhooks/twilio",
            &[
                ("MessageSid", sid),
                ("SmsSid", sid),
                ("AccountSid", TWILIO_ACCOUNT_SID),
                ("From", from),
                ("To", to),
                ("Body", body),
                ("NumMedia", "0"),
                ("SmsStatus", "received"),
                ("ApiVersion", "2010-04-01"),
            ],
        )
        .await
    }

    pub async fn status_callback(&self, sid: &str, status: &str, error_code: Option<&str>) -> Answer {
        let mut params = vec![
            ("MessageSid", sid),
            ("MessageStatus", status),
            ("AccountSid", TWILIO_ACCOUNT_SID),
            ("From", OUR_NUMBER),
            ("To", CUSTOMER),
        ];
        if let Some(code) = error_code {
            params.push(("ErrorCode", code));
        }
        self.post_twilio("/webhooks/twilio/status", &params).await
    }

    pub async fn get(&self, path: &str) -> Answer {
        self.get_as(path, &self.token).await
    }

    pub async fn get_as(&self, path: &str, token: &str) -> Answer {
        Answer::from_response(self.client.get(self.url(path)).bearer_auth(token).send().await.unwrap()).await
    }

    pub async fn post_json(&self, path: &str, body: Value) -> Answer {
        Answer::from_response(
            self.client.post(self.url(path)).bearer_auth(&self.token).json(&body).send().await.unwrap(),
        )
        .await
    }

    pub async fn put_json(&self, path: &str, body: Value) -> Answer {
        Answer::from_response(
            self.client.put(self.url(path)).bearer_auth(&self.token).json(&body).send().await.unwrap(),
        )
        .await
    }

    /// Any method, as the holder of `token`; a JSON `null` body sends no body.
    pub async fn token_send(&self, method: &str, path: &str, token: &str, body: Value) -> Answer {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut request = self.client.request(method, self.url(path)).bearer_auth(token);
        if !body.is_null() {
            request = request.json(&body);
        }
        Answer::from_response(request.send().await.unwrap()).await
    }

    pub async fn post_anonymous(&self, path: &str, body: Value) -> Answer {
        Answer::from_response(self.client.post(self.url(path)).json(&body).send().await.unwrap()).await
    }

    /// Signs in through the API; panics unless it works.
    pub async fn sign_in(&self, email: &str, password: &str) -> Session {
        let response = self
            .client
            .post(self.url("/api/session"))
            .json(&json!({"email": email, "password": password}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "sign-in failed");
        let set_cookie = response.headers().get("set-cookie").unwrap().to_str().unwrap().to_owned();
        let cookie = set_cookie.split(';').next().unwrap().to_owned();
        let body: Value = response.json().await.unwrap();
        Session { cookie, csrf: body["csrf_token"].as_str().unwrap().to_owned() }
    }

    pub async fn sign_in_status(&self, email: &str, password: &str) -> u16 {
        self.post_anonymous("/api/session", json!({"email": email, "password": password})).await.status
    }

    pub async fn session_get(&self, path: &str, session: &Session) -> Answer {
        Answer::from_response(self.client.get(self.url(path)).header("cookie", &session.cookie).send().await.unwrap())
            .await
    }

    /// A request with the session cookie and, if given, an `X-CSRF-Token`.
    pub async fn session_send(
        &self,
        method: &str,
        path: &str,
        session: &Session,
        csrf: Option<&str>,
        body: Value,
    ) -> Answer {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut request = self.client.request(method, self.url(path)).header("cookie", &session.cookie);
        if let Some(csrf) = csrf {
            request = request.header("x-csrf-token", csrf);
        }
        if !body.is_null() {
            request = request.json(&body);
        }
        Answer::from_response(request.send().await.unwrap()).await
    }

    /// GET with an optional `If-None-Match`: the status, the answer's ETag and its body text.
    pub async fn get_with_etag(&self, path: &str, etag: Option<&str>) -> (u16, Option<String>, String) {
        let mut request = self.client.get(self.url(path)).bearer_auth(&self.token);
        if let Some(etag) = etag {
            request = request.header("if-none-match", etag);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let tag = response.headers().get("etag").map(|v| v.to_str().unwrap().to_owned());
        (status, tag, response.text().await.unwrap())
    }

    pub async fn patch_json(&self, path: &str, body: Value) -> Answer {
        Answer::from_response(
            self.client.patch(self.url(path)).bearer_auth(&self.token).json(&body).send().await.unwrap(),
        )
        .await
    }

    /// All tickets (any status), newest activity first.
    pub async fn tickets(&self) -> Vec<Value> {
        let answer = self.get("/api/tickets?status=all&limit=200").await;
        assert_eq!(answer.status, 200, "{}", answer.text);
        answer.body["tickets"].as_array().unwrap().clone()
    }

    pub async fn thread(&self, ticket_id: i64) -> Vec<Value> {
        let answer = self.get(&format!("/api/tickets/{ticket_id}/messages")).await;
        assert_eq!(answer.status, 200, "{}", answer.text);
        answer.body["messages"].as_array().unwrap().clone()
    }

    pub async fn reply(&self, ticket_id: i64, body: &str) -> Answer {
        self.post_json(&format!("/api/tickets/{ticket_id}/messages"), json!({ "body": body })).await
    }

    /// Messages the stand-in gateway was asked to send (every attempt, successful or not).
    pub async fn gateway_requests(&self) -> Vec<SentSms> {
        sent_sms(&self.gateway).await
    }

    /// Waits until `check` holds, failing the test with `what` after `timeout`.
    pub async fn wait_until<F, Fut>(&self, what: &str, timeout: Duration, check: F)
    where
        F: Fn() -> Fut,
        Fut: Future<Output = bool>,
    {
        wait_until(what, timeout, check).await;
    }

    /// Waits until the message's delivery status is `status`.
    pub async fn wait_for_delivery_status(&self, ticket_id: i64, message_id: i64, status: &str) -> Value {
        let mut last = Value::Null;
        for _ in 0..150 {
            let thread = self.thread(ticket_id).await;
            last = thread.into_iter().find(|m| m["id"] == message_id).unwrap();
            if last["delivery_status"] == status {
                return last;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("message {message_id} never became {status}; last seen: {last}");
    }
}

pub async fn sent_sms(gateway: &MockServer) -> Vec<SentSms> {
    gateway
        .received_requests()
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|r| r.url.path() == twilio_messages_path())
        .map(|r| {
            let form: HashMap<String, String> = serde_urlencoded::from_bytes(&r.body).unwrap();
            SentSms {
                to: form.get("To").cloned().unwrap_or_default(),
                from: form.get("From").cloned().unwrap_or_default(),
                body: form.get("Body").cloned().unwrap_or_default(),
                status_callback: form.get("StatusCallback").cloned(),
                authorization: r.headers.get("authorization").map(|v| v.to_str().unwrap().to_owned()),
            }
        })
        .collect()
}

pub async fn wait_until<F, Fut>(what: &str, timeout: Duration, check: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    while tokio::time::Instant::now() < deadline {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out after {timeout:?} waiting for: {what}");
}

pub fn new_sid() -> String {
    format!("SM{}", uuid::Uuid::new_v4().simple())
}

/// The id of the only ticket for this customer.
pub async fn only_ticket_of(app: &TestClient, customer: &str) -> Value {
    let answer = app.get(&format!("/api/tickets?customer_number={}", urlencode(customer))).await;
    let tickets = answer.body["tickets"].as_array().unwrap();
    assert_eq!(tickets.len(), 1, "expected one ticket for {customer}: {}", answer.text);
    tickets[0].clone()
}

pub fn urlencode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

use std::future::Future;
