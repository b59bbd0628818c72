//! Several `smsdesk serve` processes on one PostgreSQL database, as the compose file runs them: every
//! guarantee of one process holds across them, and none of them can stall the others.

#![allow(clippy::unwrap_used)]

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use diesel::{Connection, PgConnection, RunQueryDsl};
use futures::future::join_all;
use serde_json::Value;
use wiremock::MockServer;

use crate::helpers::*;
use crate::process::{ServerProcess, free_port, run};

/// Three replicas of one desk: their processes, an API client for each, and the database they share.
pub struct Replicas {
    pub servers: Vec<ServerProcess>,
    pub clients: Vec<TestClient>,
    pub database: Arc<TestDatabase>,
    pub gateway: Arc<MockServer>,
    pub token: String,
    env: HashMap<String, String>,
    _dir: tempfile::TempDir,
}

impl Replicas {
    pub async fn start(count: usize) -> Self {
        let mut desk = Self::without_servers().await;
        desk.launch(count).await;
        desk
    }

    /// The database (migrated), the admin's token and the gateway, before any server runs.
    async fn without_servers() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let database = Arc::new(TestDatabase::create(Backend::Postgres));
        let gateway = start_fake_twilio().await;
        let env = base_env(&database.url, &gateway.uri());
        let added =
            run(&env, &["users", "add", "--email", "ops@example.com", "--name", "Ops", "--role", "admin"], &dir);
        assert!(added.status.success(), "{}", String::from_utf8_lossy(&added.stderr));
        let token = String::from_utf8(run(&env, &["tokens", "create", "--email", "ops@example.com"], &dir).stdout)
            .unwrap()
            .trim()
            .to_owned();
        Self { servers: Vec::new(), clients: Vec::new(), database, gateway, token, env, _dir: dir }
    }

    async fn launch(&mut self, count: usize) {
        for n in 0..count {
            self.env.insert("BIND_ADDR".into(), format!("127.0.0.1:{}", free_port()));
            self.servers.push(ServerProcess::start(&self.env, &self._dir, &format!("replica-{n}")).await);
            self.clients.push(TestClient {
                address: format!("http://{}", self.env["BIND_ADDR"]),
                client: reqwest::Client::builder().timeout(Duration::from_secs(30)).build().unwrap(),
                token: self.token.clone(),
                gateway: self.gateway.clone(),
            });
        }
    }

    /// Every replica's log, those of replicas since restarted included.
    pub fn logs(&self) -> String {
        let mut files: Vec<_> = std::fs::read_dir(self._dir.path())
            .unwrap()
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .filter(|path| path.extension().is_some_and(|ext| ext == "log"))
            .collect();
        files.sort();
        files
            .iter()
            .map(|path| {
                let name = path.file_stem().unwrap_or_default().to_string_lossy();
                format!("--- {name}\n{}", std::fs::read_to_string(path).unwrap_or_default())
            })
            .collect()
    }

    /// The port each replica listens on.
    pub fn ports(&self) -> Vec<u16> {
        self.clients.iter().map(|c| c.address.rsplit(':').next().unwrap().parse().unwrap()).collect()
    }

    /// Starts replica `n` again on its own port, after it stopped or was killed.
    pub async fn restart(&mut self, n: usize) {
        let mut env = self.env.clone();
        env.insert("BIND_ADDR".into(), format!("127.0.0.1:{}", self.ports()[n]));
        let name = format!("replica-{n}-{}", uuid::Uuid::new_v4().simple());
        self.servers[n] = ServerProcess::start(&env, &self._dir, &name).await;
    }

    /// A client that talks to `address` (a proxy in front of the replicas) as the admin.
    pub fn client_at(&self, address: &str) -> TestClient {
        TestClient {
            address: address.to_owned(),
            client: reqwest::Client::builder().timeout(Duration::from_secs(30)).build().unwrap(),
            token: self.token.clone(),
            gateway: self.gateway.clone(),
        }
    }

    /// Every stored message with a gateway id: (its id, its ticket).
    fn stored_texts(&self) -> HashMap<String, i64> {
        #[derive(diesel::QueryableByName)]
        struct Row {
            #[diesel(sql_type = diesel::sql_types::Text)]
            provider_message_id: String,
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            ticket_id: i64,
        }
        let mut conn = PgConnection::establish(&self.database.url).unwrap();
        diesel::sql_query(
            "SELECT provider_message_id, ticket_id FROM messages WHERE direction = 'inbound' \
             AND provider_message_id IS NOT NULL",
        )
        .load::<Row>(&mut conn)
        .unwrap()
        .into_iter()
        .map(|row| (row.provider_message_id, row.ticket_id))
        .collect()
    }
}

pub async fn forty_first_texts_spread_over_three_replicas_make_one_ticket_and_one_confirmation() {
    let desk = Replicas::start(3).await;
    let sids: Vec<String> = (0..40).map(|_| new_sid()).collect();

    let clients = &desk.clients;
    let texts = sids.iter().enumerate().map(|(n, sid)| async move {
        clients[n % 3].text_with_sid(CUSTOMER, OUR_NUMBER, &format!("Hello {n}"), sid).await
    });
    let answers = join_all(texts).await;

    assert!(
        answers.iter().all(|a| a.status == 200),
        "{:?}\n{}",
        answers.iter().map(|a| a.status).collect::<Vec<_>>(),
        desk.logs()
    );
    let ticket = only_ticket_of(&desk.clients[0], CUSTOMER).await;
    let thread = desk.clients[1].thread(ticket["id"].as_i64().unwrap()).await;
    assert_eq!(thread.iter().filter(|m| m["direction"] == "inbound").count(), 40);
    assert_eq!(thread.iter().filter(|m| m["direction"] == "outbound").count(), 1, "one confirmation");
    desk.clients[2]
        .wait_until("the confirmation sent", Duration::from_secs(10), || async {
            desk.clients[0].gateway_requests().await.len() == 1
        })
        .await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(desk.clients[0].gateway_requests().await.len(), 1, "sent once, by one replica");
}

pub async fn a_webhook_retried_on_other_replicas_is_stored_once() {
    let desk = Replicas::start(2).await;
    let sid = new_sid();

    // The gateway's retries reach other replicas, some while the first delivery is still being filed.
    let at_once = (0..6).map(|n| desk.clients[n % 2].text_with_sid(CUSTOMER, OUR_NUMBER, "Refund please", &sid));
    let answers = join_all(at_once).await;
    let later = desk.clients[1].text_with_sid(CUSTOMER, OUR_NUMBER, "Refund please", &sid).await;

    assert!(answers.iter().chain([&later]).all(|a| a.status == 200), "{}", desk.logs());
    let stored = desk.stored_texts();
    assert_eq!(stored.len(), 1);
    assert!(stored.contains_key(&sid));
}

pub async fn replies_from_two_replicas_are_each_sent_once() {
    let desk = Replicas::start(2).await;
    // Each replica's outbox worker wants every message; the gateway answers slowly, so claims overlap.
    accept_texts_slowly(&desk.gateway, Duration::from_millis(200)).await;
    desk.clients[0].text(CUSTOMER, "Hi").await;
    let ticket = only_ticket_of(&desk.clients[0], CUSTOMER).await["id"].as_i64().unwrap();
    let replies = (0..30).map(|n| {
        let desk = &desk;
        async move { desk.clients[n % 2].reply(ticket, &format!("Reply {n}")).await }
    });
    assert!(join_all(replies).await.iter().all(|a| a.status == 201));

    desk.clients[0]
        .wait_until("31 messages sent", Duration::from_secs(60), || async {
            desk.clients[0].gateway_requests().await.len() >= 31
        })
        .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let sent: Vec<String> = desk.clients[0].gateway_requests().await.into_iter().map(|sms| sms.body).collect();
    let distinct: HashSet<&String> = sent.iter().collect();
    assert_eq!((sent.len(), distinct.len()), (31, 31), "every message once: {sent:?}");
}

pub async fn every_webhook_answered_on_any_replica_is_stored_after_one_is_killed() {
    let mut desk = Replicas::start(3).await;
    let sends = (0..300).map(|n| {
        let client = &desk.clients[n % 3];
        let sid = new_sid();
        async move {
            let status = signed_text(client, &format!("+1415555{:04}", 1000 + n % 50), &sid, "Hi").await;
            (sid, status)
        }
    });
    let burst = join_all(sends);
    let kill = async {
        tokio::time::sleep(Duration::from_millis(150)).await;
        desk.servers[1].kill();
    };
    let (answered, ()) = tokio::join!(burst, kill);
    let answered: Vec<String> = answered.into_iter().filter(|(_, status)| *status == 200).map(|(sid, _)| sid).collect();

    let stored = desk.stored_texts();
    assert!(answered.len() >= 150, "only {} answered", answered.len());
    for sid in &answered {
        assert!(stored.contains_key(sid), "{sid} was answered 200 but is not stored\n{}", desk.logs());
    }
    // No duplicate tickets either: one per customer.
    let tickets: HashSet<i64> = stored.values().copied().collect();
    assert!(tickets.len() <= 50, "{} tickets for 50 customers", tickets.len());
}

/// A signed text to one replica: the answer's status, or 0 when the connection failed (its replica died).
pub async fn signed_text(client: &TestClient, from: &str, sid: &str, body: &str) -> u16 {
    let params = vec![
        ("MessageSid".to_owned(), sid.to_owned()),
        ("From".to_owned(), from.to_owned()),
        ("To".to_owned(), OUR_NUMBER.to_owned()),
        ("Body".to_owned(), body.to_owned()),
    ];
    let signature = smsdesk::webhooks::twilio_signature::TwilioSignature::new(TWILIO_AUTH_TOKEN)
        .compute(&format!("{PUBLIC_URL}/webhooks/twilio"), &params);
    let sent = client.client.post(client.url("/webhooks/twilio")).header("X-Twilio-Signature", signature).form(&params);
    sent.send().await.map_or(0, |response| response.status().as_u16())
}

pub async fn a_frozen_replica_or_a_held_transaction_does_not_stall_the_others() {
    let desk = Replicas::start(3).await;
    // Each replica files a text first, as any replica in service has.
    for (n, client) in desk.clients.iter().enumerate() {
        assert_eq!(client.text(&format!("+1415555{:04}", 2000 + n), "Warm-up").await.status, 200);
    }

    // Replica 0 is frozen in the middle of a burst, holding whatever its writes held.
    let in_flight: Vec<_> = (0..40)
        .map(|n| {
            let client = TestClient { client: desk.clients[0].client.clone(), ..clone_client(&desk.clients[0]) };
            tokio::spawn(async move {
                signed_text(&client, &format!("+1415555{:04}", 3000 + n), &new_sid(), "In flight").await
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(30)).await;
    desk.servers[0].signal("STOP");

    // Meanwhile a transaction elsewhere holds a ticket (as a stuck session would).
    let held_customer = "+14155552001";
    let mut holder = PgConnection::establish(&desk.database.url).unwrap();
    diesel::sql_query("BEGIN").execute(&mut holder).unwrap();
    diesel::sql_query(format!("SELECT id FROM tickets WHERE customer_number = '{held_customer}' FOR UPDATE"))
        .execute(&mut holder)
        .unwrap();

    let mut slowest = Duration::ZERO;
    for n in 0..40 {
        let client = &desk.clients[1 + n % 2];
        let started = Instant::now();
        let answer = client.text(&format!("+1415555{:04}", 4000 + n % 10), &format!("While frozen {n}")).await;
        slowest = slowest.max(started.elapsed());
        assert_eq!(answer.status, 200, "{}", answer.text);
    }
    assert!(slowest < Duration::from_secs(1), "a webhook to a live replica took {slowest:?}\n{}", desk.logs());

    diesel::sql_query("ROLLBACK").execute(&mut holder).unwrap();
    desk.servers[0].signal("CONT");
    for task in in_flight {
        let _ = task.await;
    }
    // The frozen replica is fine once thawed.
    let thawed = desk.clients[0].text("+14155555999", "Back").await;
    assert_eq!(thawed.status, 200, "{}\n{}", thawed.text, desk.logs());
    let tickets: Vec<Value> = desk.clients[1].tickets().await;
    assert!(tickets.iter().any(|t| t["customer_number"] == "+14155555999"));
}

fn clone_client(client: &TestClient) -> TestClient {
    TestClient {
        address: client.address.clone(),
        client: client.client.clone(),
        token: client.token.clone(),
        gateway: client.gateway.clone(),
    }
}

fn sent_bodies(sent: &[SentSms]) -> HashSet<String> {
    sent.iter().map(|sms| sms.body.clone()).collect()
}

/// A replica that claimed messages and froze before sending them (its lease, written as the claim writes it)
/// delays them until the lease ends, then another replica sends them; a replica frozen in the middle of
/// claiming (its transaction holding the rows) keeps no other message from going out.
pub async fn a_frozen_replicas_claims_are_taken_over_and_block_no_other_send() {
    let mut desk = Replicas::without_servers().await;
    let mut conn = PgConnection::establish(&desk.database.url).unwrap();
    // Three replies waiting in the outbox, as a frozen replica left them: "Leased" claimed until 3 s from
    // now, "Being claimed" locked by its open transaction, "Due" waiting for anyone.
    diesel::sql_query(
        "WITH c AS (INSERT INTO contacts (phone_number, created_at, updated_at) \
            VALUES ('+14155550123', now(), now()) RETURNING id), \
         t AS (INSERT INTO tickets (customer_number, channel_number, status, contact_id, created_at, updated_at) \
            SELECT '+14155550123', '+14155550100', 'open', id, now(), now() FROM c RETURNING id), \
         m AS (INSERT INTO messages (ticket_id, direction, internal, body, delivery_status, created_at, updated_at) \
            SELECT t.id, 'outbound', false, b, 'queued', now(), now() FROM t, \
            unnest(ARRAY['Leased', 'Being claimed', 'Due']) AS b RETURNING id, body) \
         INSERT INTO outbox (message_id, attempts, next_attempt_at) \
            SELECT id, CASE body WHEN 'Leased' THEN 1 ELSE 0 END, \
            (now() AT TIME ZONE 'utc') + CASE body WHEN 'Leased' THEN interval '3 seconds' ELSE interval '0' END FROM m",
    )
    .execute(&mut conn)
    .unwrap();
    let mut frozen_claim = PgConnection::establish(&desk.database.url).unwrap();
    diesel::sql_query("BEGIN").execute(&mut frozen_claim).unwrap();
    diesel::sql_query(
        "SELECT o.message_id FROM outbox o JOIN messages m ON m.id = o.message_id \
         WHERE m.body = 'Being claimed' FOR UPDATE OF o",
    )
    .execute(&mut frozen_claim)
    .unwrap();

    let started = Instant::now();
    desk.launch(1).await;
    // Timed from a running replica: starting a process is not what is measured, and on a loaded machine it
    // alone can take seconds. A send stuck behind the held claim would wait out the 5 s lock_timeout.
    let running = Instant::now();
    desk.clients[0]
        .wait_until("the due message sent", Duration::from_secs(5), || async {
            sent_bodies(&desk.clients[0].gateway_requests().await).contains("Due")
        })
        .await;
    assert!(running.elapsed() < Duration::from_secs(3), "a held claim slowed another send: {:?}", running.elapsed());
    let sent = sent_bodies(&desk.clients[0].gateway_requests().await);
    assert!(!sent.contains("Leased"), "sent while another replica's lease ran");
    assert!(!sent.contains("Being claimed"), "sent while another replica was claiming it");

    diesel::sql_query("ROLLBACK").execute(&mut frozen_claim).unwrap();
    desk.clients[0]
        .wait_until("the leased and the held message taken over", Duration::from_secs(10), || async {
            let sent = sent_bodies(&desk.clients[0].gateway_requests().await);
            sent.contains("Leased") && sent.contains("Being claimed")
        })
        .await;
    assert!(started.elapsed() >= Duration::from_millis(2900), "the lease was not respected");
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let bodies: Vec<String> = desk.clients[0].gateway_requests().await.into_iter().map(|sms| sms.body).collect();
    assert_eq!(bodies.len(), 3, "each once: {bodies:?}\n{}", desk.logs());
}
