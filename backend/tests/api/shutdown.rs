//! Stopping a server as `docker stop` and rolling restarts do (SIGTERM) loses nothing: the listener closes at
//! once, a request in flight is answered, a send in flight finishes and is recorded, nothing new is claimed,
//! and the process exits 0.

#![allow(clippy::unwrap_used)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use diesel::prelude::*;
use smsdesk::config::Settings;
use smsdesk::db::schema::{messages, outbox};
use smsdesk::db::{Database, StoreError};
use smsdesk::webhooks::twilio_signature::TwilioSignature;

use crate::helpers::*;
use crate::process::{ServerProcess, free_port};

/// How long the stand-in gateway takes to accept each text: SIGTERM arrives while the first is in flight.
const GATEWAY_DELAY: Duration = Duration::from_secs(3);

pub async fn sigterm_finishes_requests_and_sends_in_flight_claims_nothing_new_and_exits_0(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let database = TestDatabase::create(backend);
    let gateway = start_fake_twilio().await;
    accept_texts_slowly(&gateway, GATEWAY_DELAY).await;
    let mut env = base_env(&database.url, &gateway.uri());
    let address = format!("127.0.0.1:{}", free_port());
    env.insert("BIND_ADDR".into(), address.clone());
    let mut server = ServerProcess::start(&env, &dir, "draining").await;
    let client = TestClient {
        address: format!("http://{address}"),
        client: reqwest::Client::new(),
        token: String::new(),
        gateway: gateway.clone(),
    };

    // A first customer's text: its confirmation goes to the gateway, which holds on to it.
    assert_eq!(client.text(CUSTOMER, "Where is my parcel?").await.status, 200);
    wait_until("the first confirmation handed to the gateway", Duration::from_secs(10), || async {
        client.gateway_requests().await.len() == 1
    })
    .await;
    // A second customer's text is on its way: the request's head and half its body have arrived.
    let (head, body) = signed_webhook("+14155550124", "Hello? Anyone?");
    let mut in_flight = TcpStream::connect(&address).unwrap();
    in_flight.write_all(head.as_bytes()).unwrap();
    in_flight.write_all(&body[..body.len() / 2]).unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;

    let signalled = Instant::now();
    server.signal("TERM");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(TcpStream::connect(&address).is_err(), "new connections are still accepted after SIGTERM");
    in_flight.write_all(&body[body.len() / 2..]).unwrap();
    let answer = tokio::task::spawn_blocking(move || read_answer(in_flight)).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "the request in flight got: {answer}\n{}", server.log());

    let status = server.wait_for_exit(Duration::from_secs(25)).await;
    assert!(status.success(), "exit status {status:?}\n{}", server.log());
    assert!(
        signalled.elapsed() >= GATEWAY_DELAY - Duration::from_millis(800),
        "exited after {:?}, before the gateway could have answered",
        signalled.elapsed()
    );

    let stored = read_messages(&env).await;
    assert_eq!(stored.inbound, ["Where is my parcel?", "Hello? Anyone?"], "both texts are stored");
    let [(_, first_status), (second_confirmation, second_status)] = &stored.outbound[..] else {
        panic!("two confirmations expected: {:?}", stored.outbound);
    };
    assert_eq!(first_status.as_deref(), Some("sending"), "the send in flight was recorded\n{}", server.log());
    assert_eq!(second_status.as_deref(), Some("queued"));
    // The second confirmation, queued after SIGTERM, was left in the outbox for another replica, unclaimed.
    assert_eq!(stored.outbox, [(*second_confirmation, 0)]);
    assert_eq!(client.gateway_requests().await.len(), 1, "nothing was claimed after SIGTERM");
}

/// A signed Twilio webhook for a new text: the request's head (with its Content-Length) and its body.
fn signed_webhook(from: &str, text: &str) -> (String, Vec<u8>) {
    let params: Vec<(String, String)> =
        [("MessageSid", new_sid().as_str()), ("From", from), ("To", OUR_NUMBER), ("Body", text)]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
    let signature = TwilioSignature::new(TWILIO_AUTH_TOKEN).compute(&format!("{PUBLIC_URL}/webhooks/twilio"), &params);
    let body = serde_urlencoded::to_string(&params).unwrap().into_bytes();
    let head = format!(
        "POST /webhooks/twilio HTTP/1.1\r\nHost: desk.example.test\r\nContent-Type: application/x-www-form-urlencoded\r\n\
         Content-Length: {}\r\nX-Twilio-Signature: {signature}\r\n\r\n",
        body.len()
    );
    (head, body)
}

/// Everything the server sends until it closes the connection (it does, as it stops), or for 10 s.
fn read_answer(mut stream: TcpStream) -> String {
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut answer = Vec::new();
    let mut buffer = [0u8; 4096];
    while let Ok(n) = stream.read(&mut buffer) {
        if n == 0 {
            break;
        }
        answer.extend_from_slice(&buffer[..n]);
    }
    String::from_utf8_lossy(&answer).into_owned()
}

struct StoredMessages {
    inbound: Vec<String>,
    /// Each outgoing message's id and delivery status, oldest first.
    outbound: Vec<(i64, Option<String>)>,
    /// The outbox: message ids and attempts so far.
    outbox: Vec<(i64, i32)>,
}

async fn read_messages(env: &std::collections::HashMap<String, String>) -> StoredMessages {
    let settings = Settings::from_lookup(|name| env.get(name).cloned()).unwrap();
    let db = Database::connect(&settings.database).unwrap();
    db.read(|conn| -> Result<StoredMessages, StoreError> {
        let inbound = messages::table
            .filter(messages::direction.eq("inbound"))
            .order(messages::id)
            .select(messages::body)
            .load(conn)?;
        let outbound = messages::table
            .filter(messages::direction.eq("outbound"))
            .order(messages::id)
            .select((messages::id, messages::delivery_status))
            .load(conn)?;
        let outbox =
            outbox::table.order(outbox::message_id).select((outbox::message_id, outbox::attempts)).load(conn)?;
        Ok(StoredMessages { inbound, outbound, outbox })
    })
    .await
    .unwrap()
}
