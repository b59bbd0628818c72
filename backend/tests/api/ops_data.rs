//! `smsdesk backup` and `smsdesk copy`, run as the real binary against real databases.

#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Debug;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::json;
use smsdesk::config::DatabaseUrl;
use smsdesk::db::AnyConnection;
use smsdesk::db::schema::*;
use wiremock::matchers::{body_string_contains, method, path};
use wiremock::{Mock, ResponseTemplate};

use crate::helpers::*;
use crate::process::{ServerProcess, free_port, run};

const ADMIN_EMAIL: &str = "ops@example.com";
const AGENT_EMAIL: &str = "agent@example.com";
const AGENT_PASSWORD: &str = "correct horse battery";

fn connect(url: &str) -> AnyConnection {
    match DatabaseUrl::parse(url).unwrap() {
        DatabaseUrl::Postgres(url) => AnyConnection::Postgresql(PgConnection::establish(&url).unwrap()),
        DatabaseUrl::Sqlite(path) => {
            AnyConnection::Sqlite(SqliteConnection::establish(&path.to_string_lossy()).unwrap())
        }
    }
}

/// An admin (no password) with an API token, made with the CLI before any server runs.
fn admin_token(env: &HashMap<String, String>, dir: &tempfile::TempDir) -> String {
    let added = run(env, &["users", "add", "--email", ADMIN_EMAIL, "--name", "Ops", "--role", "admin"], dir);
    assert!(added.status.success(), "{}", String::from_utf8_lossy(&added.stderr));
    let created = run(env, &["tokens", "create", "--email", ADMIN_EMAIL], dir);
    assert!(created.status.success(), "{}", String::from_utf8_lossy(&created.stderr));
    String::from_utf8(created.stdout).unwrap().trim().to_owned()
}

fn client(env: &HashMap<String, String>, token: &str, gateway: &Arc<wiremock::MockServer>) -> TestClient {
    TestClient {
        address: format!("http://{}", env["BIND_ADDR"]),
        client: reqwest::Client::builder().timeout(Duration::from_secs(30)).build().unwrap(),
        token: token.to_owned(),
        gateway: gateway.clone(),
    }
}

pub async fn backup_keeps_every_text_answered_before_it_began_and_postgres_gets_pg_dump(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let database = TestDatabase::create(backend);
    let gateway = start_fake_twilio().await;
    let mut env = base_env(&database.url, &gateway.uri());
    env.insert("BIND_ADDR".into(), format!("127.0.0.1:{}", free_port()));
    let backup_file = dir.path().join("backup.db");
    let backup_path = backup_file.to_str().unwrap();

    if backend == Backend::Postgres {
        let output = run(&env, &["backup", "--to", backup_path], &dir);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{stderr}");
        let database_name = url::Url::parse(&database.url).unwrap().path().trim_start_matches('/').to_owned();
        let pg_dump = stderr.lines().find(|line| line.trim_start().starts_with("pg_dump ")).unwrap_or_default();
        assert!(
            pg_dump.contains("--format=custom") && pg_dump.contains(&database_name) && pg_dump.contains(backup_path),
            "the exact pg_dump command, with the database and file: {stderr}"
        );
        assert!(stderr.contains("pg_restore "), "{stderr}");
        assert!(!backup_file.exists(), "nothing is written");
        return;
    }

    let token = admin_token(&env, &dir);
    let server = ServerProcess::start(&env, &dir, "server").await;
    let client = Arc::new(client(&env, &token, &gateway));
    // Four customers text without pause; every answer is recorded with the moment it arrived.
    let answered: Arc<Mutex<Vec<(String, Instant)>>> = Arc::default();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let senders: Vec<_> = (0..4)
        .map(|n| {
            let (client, answered, stop) = (client.clone(), answered.clone(), stop.clone());
            tokio::spawn(async move {
                let customer = format!("+1415555014{n}");
                let mut sent = 0;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let sid = new_sid();
                    send_until_answered(&client, &customer, &format!("Text {sent}"), &sid).await;
                    answered.lock().unwrap().push((sid, Instant::now()));
                    sent += 1;
                }
            })
        })
        .collect();
    wait_until("a few hundred texts answered", Duration::from_secs(60), || async {
        answered.lock().unwrap().len() >= 300
    })
    .await;

    let began = Instant::now();
    let backup = {
        let (env, dir_path, to) = (env.clone(), dir.path().to_owned(), backup_path.to_owned());
        tokio::task::spawn_blocking(move || {
            crate::process::smsdesk(&env, &["backup", "--to", &to], &tempfile::TempDir::new_in(dir_path).unwrap())
                .output()
                .unwrap()
        })
        .await
        .unwrap()
    };
    let more = answered.lock().unwrap().len();
    wait_until("texts answered after the backup", Duration::from_secs(30), || async {
        answered.lock().unwrap().len() >= more + 20
    })
    .await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for sender in senders {
        sender.await.unwrap();
    }

    let stdout = String::from_utf8_lossy(&backup.stdout);
    assert!(backup.status.success(), "{}\n{}", String::from_utf8_lossy(&backup.stderr), server.log());
    let bytes = std::fs::metadata(&backup_file).unwrap().len();
    assert!(stdout.contains(backup_path) && stdout.contains(&format!("{bytes} bytes")), "{stdout}");
    let before: HashSet<String> =
        answered.lock().unwrap().iter().filter(|(_, at)| *at < began).map(|(sid, _)| sid.clone()).collect();
    assert!(before.len() >= 300);
    let mut conn = connect(backup_path);
    #[derive(QueryableByName)]
    struct Check {
        #[diesel(sql_type = diesel::sql_types::Text)]
        integrity_check: String,
    }
    let check: Vec<Check> = diesel::sql_query("PRAGMA integrity_check").load(&mut conn).unwrap();
    assert_eq!(check.iter().map(|c| c.integrity_check.as_str()).collect::<Vec<_>>(), ["ok"]);
    let stored: HashSet<String> = messages::table
        .filter(messages::provider_message_id.is_not_null())
        .select(messages::provider_message_id.assume_not_null())
        .load(&mut conn)
        .unwrap()
        .into_iter()
        .collect();
    let missing: Vec<&String> = before.difference(&stored).collect();
    assert!(missing.is_empty(), "{} of {} answered texts missing from the backup", missing.len(), before.len());
    drop(conn);

    // An existing file is never replaced unless asked.
    let again = run(&env, &["backup", "--to", backup_path], &dir);
    assert_eq!(again.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));
    assert_eq!(std::fs::metadata(&backup_file).unwrap().len(), bytes, "the old backup is untouched");
    let replaced = run(&env, &["backup", "--to", backup_path, "--overwrite"], &dir);
    assert!(replaced.status.success(), "{}", String::from_utf8_lossy(&replaced.stderr));
    drop(server);

    // Restoring is starting smsdesk on the backup.
    let mut restored_env = base_env(&format!("sqlite://{backup_path}"), &gateway.uri());
    restored_env.insert("BIND_ADDR".into(), format!("127.0.0.1:{}", free_port()));
    let _restored = ServerProcess::start(&restored_env, &dir, "restored").await;
    let tickets = self::client(&restored_env, &token, &gateway).tickets().await;
    assert_eq!(tickets.len(), 4, "one ticket per customer");
}

/// Posts a signed text until the server answers, resending it as a gateway would when the connection
/// fails (on a loaded machine a pooled connection is now and then closed under a request); the answer must
/// be 200.
async fn send_until_answered(client: &TestClient, customer: &str, body: &str, sid: &str) {
    let params = [
        ("MessageSid", sid),
        ("SmsSid", sid),
        ("AccountSid", TWILIO_ACCOUNT_SID),
        ("From", customer),
        ("To", OUR_NUMBER),
        ("Body", body),
        ("NumMedia", "0"),
    ];
    let owned: Vec<(String, String)> = params.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    let signature = smsdesk::webhooks::twilio_signature::TwilioSignature::new(TWILIO_AUTH_TOKEN)
        .compute(&format!("{PUBLIC_URL}/webhooks/twilio"), &owned);
    for _ in 0..5 {
        let sent = client
            .client
            .post(client.url("/webhooks/twilio"))
            .header("X-Twilio-Signature", &signature)
            .form(&params)
            .send()
            .await;
        if let Ok(response) = sent {
            let answer = Answer::from_response(response).await;
            assert_eq!(answer.status, 200, "{}", answer.text);
            return;
        }
    }
    panic!("text {sid} got no answer in five tries");
}

pub async fn copy_refuses_a_non_empty_target_and_names_the_bad_argument(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let source = spawn_app(backend).await;
    let target = spawn_app(backend).await;
    assert_eq!(source.text(CUSTOMER, "Hello").await.status, 200);
    assert_eq!(target.text(CUSTOMER, "Already here").await.status, 200);
    let env = HashMap::new();

    let refused = run(&env, &["copy", "--from", &source.database.url, "--to", &target.database.url], &dir);
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("--to") && stderr.contains("not empty"), "{stderr}");
    let thread = target.thread(only_ticket_of(&target, CUSTOMER).await["id"].as_i64().unwrap()).await;
    assert_eq!(thread[0]["body"], "Already here", "the target is untouched");

    let missing = dir.path().join("nothing-here.db");
    let no_source = run(&env, &["copy", "--from", missing.to_str().unwrap(), "--to", &target.database.url], &dir);
    let stderr = String::from_utf8_lossy(&no_source.stderr);
    assert_eq!(no_source.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("--from") && stderr.contains("no SQLite database"), "{stderr}");
    assert!(!missing.exists(), "a missing source is not created");

    let bad = run(&env, &["copy", "--from", &source.database.url, "--to", ":memory:"], &dir);
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert!(!bad.status.success() && stderr.contains("--to"), "{stderr}");
}

/// Every durable table, row by row, each row as text: what must be equal after a copy.
fn table_contents(url: &str) -> BTreeMap<&'static str, Vec<String>> {
    fn text<T: Debug>(rows: Vec<T>) -> Vec<String> {
        rows.into_iter().map(|row| to_microseconds(&format!("{row:?}"))).collect()
    }
    type Ts = NaiveDateTime;
    let conn = &mut connect(url);
    let mut tables = BTreeMap::new();
    type User = (i64, String, String, String, Option<String>, bool, Ts, bool);
    let users: Vec<User> = users::table.order(users::id).load(conn).unwrap();
    tables.insert("users", text(users));
    let tokens: Vec<(i64, i64, String, String, Ts, Option<Ts>)> =
        api_tokens::table.order(api_tokens::id).load(conn).unwrap();
    tables.insert("api_tokens", text(tokens));
    let contacts: Vec<(i64, String, Option<String>, String, Ts, Ts)> =
        contacts::table.order(contacts::id).load(conn).unwrap();
    tables.insert("contacts", text(contacts));
    let (ticket_heads, ticket_tails) = {
        use tickets::*;
        type Head = (i64, String, String, String, Ts, Ts, Option<Ts>);
        type Tail = (Option<i64>, Option<i64>, i32, Option<String>, Option<String>, Option<Ts>, Option<i64>);
        let heads: Vec<Head> = table
            .order(id)
            .select((id, customer_number, channel_number, status, created_at, updated_at, closed_at))
            .load(conn)
            .unwrap();
        let tails: Vec<Tail> = table
            .order(id)
            .select((
                contact_id,
                assignee_id,
                message_count,
                last_message_preview,
                last_message_direction,
                last_message_at,
                last_inbound_message_id,
            ))
            .load(conn)
            .unwrap();
        (heads, tails)
    };
    // The reports' facts (issue 18).
    type Facts = (Option<Ts>, Option<Ts>, Option<i64>, Option<i64>, bool);
    let ticket_facts: Vec<Facts> = {
        use tickets::*;
        table
            .order(id)
            .select((first_inbound_at, first_response_at, first_responder_id, closed_by_id, auto_closed))
            .load(conn)
            .unwrap()
    };
    let tickets: Vec<_> =
        ticket_heads.into_iter().zip(ticket_tails).zip(ticket_facts).map(|((h, t), f)| (h, t, f)).collect();
    tables.insert("tickets", text(tickets));
    let (message_heads, message_tails) = {
        use messages::*;
        type Head = (i64, i64, String, bool, String, Option<i64>, Option<String>);
        type Tail = (Option<String>, Option<String>, Option<String>, Option<String>, Option<String>, Ts, Ts);
        let heads: Vec<Head> =
            table.order(id).select((id, ticket_id, direction, internal, body, author_id, provider)).load(conn).unwrap();
        let tails: Vec<Tail> = table
            .order(id)
            .select((
                provider_message_id,
                delivery_status,
                error_code,
                error_message,
                media_urls,
                created_at,
                updated_at,
            ))
            .load(conn)
            .unwrap();
        (heads, tails)
    };
    tables.insert("messages", text(message_heads.into_iter().zip(message_tails).collect()));
    let outbox: Vec<(i64, i32, Ts, Option<String>)> = outbox::table.order(outbox::message_id).load(conn).unwrap();
    tables.insert("outbox", text(outbox));
    let reads: Vec<(i64, i64, i64, Ts)> =
        ticket_reads::table.order((ticket_reads::user_id, ticket_reads::ticket_id)).load(conn).unwrap();
    tables.insert("ticket_reads", text(reads));
    let opt_outs: Vec<(String, String, Ts)> =
        opt_outs::table.order((opt_outs::customer_number, opt_outs::channel_number)).load(conn).unwrap();
    tables.insert("opt_outs", text(opt_outs));
    let events: Vec<(i64, String, String, String, Option<String>, Ts)> =
        delivery_events::table.order(delivery_events::id).load(conn).unwrap();
    tables.insert("delivery_events", text(events));
    let settings: Vec<(String, String, Ts)> = settings::table.order(settings::key).load(conn).unwrap();
    tables.insert("settings", text(settings));
    let canned: Vec<(i64, String, String, Ts, Ts)> =
        canned_replies::table.order(canned_replies::id).load(conn).unwrap();
    tables.insert("canned_replies", text(canned));
    let texted: Vec<(String, Ts)> = texted_numbers::table.order(texted_numbers::number).load(conn).unwrap();
    tables.insert("texted_numbers", text(texted));
    let inboxes: Vec<(String, String, String, Ts, Ts)> = inboxes::table.order(inboxes::number).load(conn).unwrap();
    tables.insert("inboxes", text(inboxes));
    let members: Vec<(String, i64, Option<Ts>)> =
        inbox_members::table.order((inbox_members::inbox_number, inbox_members::user_id)).load(conn).unwrap();
    tables.insert("inbox_members", text(members));
    tables
}

/// `text` with every timestamp's fraction cut to six digits. PostgreSQL keeps microseconds; SQLite keeps what
/// it is given, and the outbox schedules retries to the nanosecond (`now + backoff`), which a copy through
/// PostgreSQL cannot keep (a retry 733 ns early changes nothing).
fn to_microseconds(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut digits_after_seconds: Option<usize> = None;
    for c in text.chars() {
        match digits_after_seconds {
            Some(n) if c.is_ascii_digit() => {
                digits_after_seconds = Some(n + 1);
                if n < 6 {
                    out.push(c);
                }
                continue;
            }
            _ => digits_after_seconds = None,
        }
        // A timestamp prints as 2026-12-07T15:18:42.202626733: a '.' after "HH:MM:SS" starts its fraction.
        let tail: Vec<char> = out.chars().rev().take(9).collect();
        if c == '.'
            && tail.len() == 9
            && tail[8] == 'T'
            && tail[2] == ':'
            && tail[5] == ':'
            && [0, 1, 3, 4, 6, 7].iter().all(|&i| tail[i].is_ascii_digit())
        {
            digits_after_seconds = Some(0);
        }
        out.push(c);
    }
    out
}

fn sessions_in(url: &str) -> i64 {
    sessions::table.count().get_result(&mut connect(url)).unwrap()
}

/// A desk with a bit of everything, built through the API and webhooks of a server process on SQLite,
/// which is stopped before it is returned: (admin token, number of the refund ticket).
async fn build_a_desk(
    env: &HashMap<String, String>,
    dir: &tempfile::TempDir,
    gateway: &Arc<wiremock::MockServer>,
) -> (String, i64) {
    let token = admin_token(env, dir);
    let server = ServerProcess::start(env, dir, "source").await;
    let desk = client(env, &token, gateway);
    // One reply is refused for good, one waits in the outbox behind an outage.
    Mock::given(method("POST"))
        .and(path(twilio_messages_path()))
        .and(body_string_contains("refused"))
        .respond_with(
            ResponseTemplate::new(400).set_body_json(json!({"code": 21211, "message": "Invalid 'To' number"})),
        )
        .with_priority(1)
        .mount(gateway)
        .await;
    Mock::given(method("POST"))
        .and(path(twilio_messages_path()))
        .and(body_string_contains("later"))
        .respond_with(ResponseTemplate::new(503))
        .with_priority(1)
        .mount(gateway)
        .await;

    let agent = desk
        .post_json(
            "/api/users",
            json!({"email": AGENT_EMAIL, "name": "Ana Agent", "role": "agent", "password": AGENT_PASSWORD}),
        )
        .await;
    assert_eq!(agent.status, 201, "{}", agent.text);
    let customers = ["+14155550123", "+14155550124", "+14155550125"];
    for (customer, body) in customers.iter().zip(["I need a refund for order 1234", "Where is my parcel?", "Hello"]) {
        assert_eq!(desk.text(customer, body).await.status, 200);
    }
    assert_eq!(desk.text(customers[1], "It was due Monday").await.status, 200);
    assert_eq!(desk.text(customers[2], "STOP").await.status, 200);
    let refund = only_ticket_of(&desk, customers[0]).await;
    let refund_id = refund["id"].as_i64().unwrap();
    let parcel_id = only_ticket_of(&desk, customers[1]).await["id"].as_i64().unwrap();
    let hello_id = only_ticket_of(&desk, customers[2]).await["id"].as_i64().unwrap();
    assert_eq!(desk.reply(refund_id, "Your refund is on its way").await.status, 201);
    assert_eq!(desk.reply(parcel_id, "This one is refused").await.status, 201);
    assert_eq!(desk.reply(parcel_id, "We will text you later").await.status, 201);
    let note =
        desk.post_json(&format!("/api/tickets/{refund_id}/messages"), json!({"body": "VIP", "internal": true})).await;
    assert_eq!(note.status, 201, "{}", note.text);
    let named = desk
        .patch_json(&format!("/api/contacts/{}", refund["contact"]["id"]), json!({"name": "Zoë", "notes": "VIP"}))
        .await;
    assert_eq!(named.status, 200, "{}", named.text);
    let canned = desk
        .post_json("/api/canned-replies", json!({"title": "Refund", "body": "Ticket {ticket_id} is refunded."}))
        .await;
    assert_eq!(canned.status, 201, "{}", canned.text);
    let set = desk.put_json("/api/settings", json!({"default_sender_number": OUR_NUMBER})).await;
    assert_eq!(set.status, 200, "{}", set.text);
    let inbox = desk.patch_json("/api/inboxes/%2B14155550100", json!({"members": [agent.body["id"]]})).await;
    assert_eq!(inbox.status, 200, "{}", inbox.text);
    let assigned = desk
        .patch_json(&format!("/api/tickets/{parcel_id}"), json!({"assignee_id": agent.body["id"], "status": "pending"}))
        .await;
    assert_eq!(assigned.status, 200, "{}", assigned.text);
    let closed = desk.patch_json(&format!("/api/tickets/{hello_id}"), json!({"status": "closed"})).await;
    assert_eq!(closed.status, 200, "{}", closed.text);
    assert_eq!(
        desk.token_send("POST", &format!("/api/tickets/{refund_id}/read"), &token, json!(null)).await.status,
        204
    );
    // A delivery report for a message we have no record of is kept.
    assert_eq!(desk.status_callback(&new_sid(), "delivered", None).await.status, 204);
    desk.sign_in(AGENT_EMAIL, AGENT_PASSWORD).await;
    desk.wait_until("every reply attempted", Duration::from_secs(20), || async {
        let thread = desk.thread(parcel_id).await;
        let status = |body: &str| thread.iter().find(|m| m["body"] == body).map(|m| m["delivery_status"].clone());
        status("This one is refused") == Some(json!("failed"))
            && desk.gateway_requests().await.iter().any(|s| s.body.contains("later"))
    })
    .await;
    drop(server);
    (token, refund_id)
}

/// Starts a server on a copied database and checks what people and integrations notice: sign-in, tokens,
/// search, and new ticket numbers.
async fn serve_the_copy(url: &str, token: &str, dir: &tempfile::TempDir, refund_id: i64) {
    let gateway = start_fake_twilio().await;
    let mut env = base_env(url, &gateway.uri());
    env.insert("BIND_ADDR".into(), format!("127.0.0.1:{}", free_port()));
    let server = ServerProcess::start(&env, dir, "copy").await;
    let desk = client(&env, token, &gateway);
    let tickets = desk.tickets().await;
    assert_eq!(tickets.len(), 3, "the copied token works: {tickets:?}\n{}", server.log());
    desk.sign_in(AGENT_EMAIL, AGENT_PASSWORD).await;
    let found = desk.get("/api/tickets?status=all&q=refund").await;
    let found: Vec<i64> = found.body["tickets"].as_array().unwrap().iter().map(|t| t["id"].as_i64().unwrap()).collect();
    assert_eq!(found, [refund_id], "search finds the copied text at once");
    let highest = tickets.iter().map(|t| t["id"].as_i64().unwrap()).max().unwrap();
    assert_eq!(desk.text("+14155550188", "New customer here").await.status, 200);
    let new = only_ticket_of(&desk, "+14155550188").await["id"].as_i64().unwrap();
    assert!(new > highest, "new ticket {new} numbers above the copied ones (up to {highest})");
}

/// SQLite to PostgreSQL and back to SQLite (on SQLite: to a second SQLite file and back to a third).
pub async fn a_desk_copied_there_and_back_is_the_same_table_by_table_and_serves(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = TestDatabase::create(Backend::Sqlite);
    let there = TestDatabase::create(backend);
    let sqlite_again = dir.path().join("again.db");
    let sqlite_again = format!("sqlite://{}", sqlite_again.display());
    let gateway = start_fake_twilio().await;
    let mut env = base_env(&sqlite.url, &gateway.uri());
    env.insert("BIND_ADDR".into(), format!("127.0.0.1:{}", free_port()));
    let (token, refund_id) = build_a_desk(&env, &dir, &gateway).await;
    let original = table_contents(&sqlite.url);
    assert!(original.values().all(|rows| !rows.is_empty()), "every table has rows to copy: {original:#?}");
    assert!(sessions_in(&sqlite.url) > 0);
    let facts: (i64, i64) = tickets::table
        .select((diesel::dsl::count(tickets::first_response_at), diesel::dsl::count(tickets::closed_by_id)))
        .get_result(&mut connect(&sqlite.url))
        .unwrap();
    assert_eq!(facts, (2, 1), "two tickets answered, one closed by an agent: facts to copy");

    let copied = run(&HashMap::new(), &["copy", "--from", &sqlite.url, "--to", &there.url], &dir);
    let stdout = String::from_utf8_lossy(&copied.stdout);
    assert!(copied.status.success(), "{}", String::from_utf8_lossy(&copied.stderr));
    for (table, rows) in &original {
        let line = stdout.lines().find(|line| line.split_whitespace().next() == Some(table));
        assert_eq!(line.and_then(|l| l.split_whitespace().nth(1)), Some(rows.len().to_string().as_str()), "{stdout}");
    }
    let back = run(&HashMap::new(), &["copy", "--from", &there.url, "--to", &sqlite_again], &dir);
    assert!(back.status.success(), "{}", String::from_utf8_lossy(&back.stderr));

    for (name, url) in [("the first copy", &there.url), ("the copy back", &sqlite_again)] {
        let copied = table_contents(url);
        for (table, rows) in &original {
            assert_eq!(&copied[table], rows, "{table} in {name}");
        }
        assert_eq!(sessions_in(url), 0, "sign-in sessions are not copied");
        // The reports' hourly counts are derived: the copy's rollup starts over from its migration's (0, 0).
        let conn = &mut connect(url);
        let counts: i64 = report_counts::table.count().get_result(conn).unwrap();
        let rollup: Vec<(i64, i64)> = report_rollup::table
            .select((report_rollup::messages_until, report_rollup::events_until))
            .load(conn)
            .unwrap();
        assert_eq!((counts, rollup), (0, vec![(0, 0)]), "{name}");
    }
    // The SQLite copy's search index holds every message before any server has run on it.
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let conn = &mut connect(&sqlite_again);
    let indexed: Count = diesel::sql_query("SELECT count(*) AS n FROM messages_fts WHERE messages_fts MATCH 'refund'")
        .get_result(conn)
        .unwrap();
    assert_eq!(indexed.n, 2, "the customer's text and our reply");

    serve_the_copy(&there.url, &token, &dir, refund_id).await;
    serve_the_copy(&sqlite_again, &token, &dir, refund_id).await;

    // A target that now holds a desk is refused.
    let again = run(&HashMap::new(), &["copy", "--from", &sqlite.url, "--to", &there.url], &dir);
    assert_eq!(again.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&again.stderr).contains("not empty"));
}
