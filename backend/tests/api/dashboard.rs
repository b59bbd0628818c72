//! What the dashboard needs from the server beyond the API: its own files at `/`, the SMS simulator, and
//! numbers formatted for people.

#![allow(clippy::unwrap_used)]

use std::time::Duration;

use serde_json::json;
use smsdesk::domain::Role;

use crate::helpers::*;

/// A stand-in build output, as Vite writes it, in `dist/` of a temporary directory (so a file beside the
/// build, which must never be served, is cleaned up with it).
struct FakeBuild {
    root: tempfile::TempDir,
}

impl FakeBuild {
    fn path(&self) -> std::path::PathBuf {
        self.root.path().join("dist")
    }
}

fn fake_build() -> FakeBuild {
    let root = tempfile::tempdir().unwrap();
    let dir = FakeBuild { root };
    std::fs::create_dir(dir.path()).unwrap();
    std::fs::write(dir.path().join("index.html"), "<!doctype html><div id=root></div>").unwrap();
    std::fs::create_dir(dir.path().join("assets")).unwrap();
    std::fs::write(dir.path().join("assets/index-abc123.js"), "console.log('app')").unwrap();
    // The build's gzipped copy (frontend/scripts/precompress.mjs); its bytes only need to be told apart.
    std::fs::write(dir.path().join("assets/index-abc123.js.gz"), "gzipped app").unwrap();
    std::fs::write(dir.path().join("favicon.svg"), "<svg/>").unwrap();
    dir
}

pub async fn the_dashboard_is_served_at_the_root_and_owns_its_routes(backend: Backend) {
    let build = fake_build();
    let app = spawn_app_with(backend, &[("FRONTEND_DIR", build.path().to_str().unwrap())]).await;
    let client = reqwest::Client::new();
    let get = |path: &str| client.get(app.url(path)).send();

    for route in ["/", "/tickets/12", "/admin/users", "/sign-in"] {
        let page = get(route).await.unwrap();
        assert_eq!(page.status(), 200, "{route}");
        assert!(page.headers()["content-type"].to_str().unwrap().starts_with("text/html"), "{route}");
        assert_eq!(page.headers()["cache-control"], "no-cache", "{route}: index.html is revalidated");
        assert!(page.text().await.unwrap().contains("id=root"), "{route}");
    }
    let script = get("/assets/index-abc123.js").await.unwrap();
    assert_eq!(script.status(), 200);
    assert!(script.headers()["content-type"].to_str().unwrap().contains("javascript"));
    assert!(script.headers()["cache-control"].to_str().unwrap().contains("immutable"), "hashed assets are cached");
    assert!(script.headers().get("content-encoding").is_none());
    assert_eq!(script.text().await.unwrap(), "console.log('app')");
    assert_eq!(get("/favicon.svg").await.unwrap().status(), 200);

    // Browsers that take gzip get the build's gzipped copy, labelled as the script it is.
    let get_encoded = |encoding: &'static str| {
        client.get(app.url("/assets/index-abc123.js")).header("accept-encoding", encoding).send()
    };
    let gzipped = get_encoded("gzip, deflate, br, zstd").await.unwrap();
    assert_eq!(gzipped.status(), 200);
    assert_eq!(gzipped.headers()["content-encoding"], "gzip");
    assert!(gzipped.headers()["content-type"].to_str().unwrap().contains("javascript"));
    assert_eq!(gzipped.headers()["vary"], "accept-encoding");
    assert!(gzipped.headers().get("content-disposition").is_none());
    assert!(gzipped.headers()["cache-control"].to_str().unwrap().contains("immutable"));
    assert_eq!(gzipped.text().await.unwrap(), "gzipped app");
    for refused in ["gzip;q=0", "br", "identity"] {
        let plain = get_encoded(refused).await.unwrap();
        assert!(plain.headers().get("content-encoding").is_none(), "{refused}");
        assert_eq!(plain.text().await.unwrap(), "console.log('app')", "{refused}");
    }

    // A missing asset is a 404, not the app.
    for missing in ["/assets/gone-123.js", "/.env", "/assets/.hidden.js"] {
        Answer::from_response(get(missing).await.unwrap()).await.assert_error(404, "not_found");
    }
    // Nothing outside the build directory is reachable (sent raw: HTTP clients normalise `..` away).
    std::fs::write(build.root.path().join("secret.txt"), "do not serve").unwrap();
    for escape in ["/../secret.txt", "/assets/../../secret.txt", "/%2e%2e/secret.txt", "/..%2fsecret.txt"] {
        let answer = raw_get(&app.api.address, escape).await;
        assert!(answer.starts_with("HTTP/1.1 404") || answer.starts_with("HTTP/1.1 400"), "{escape}: {answer}");
        assert!(!answer.contains("do not serve"), "{escape}");
    }
    // The server's own paths keep their JSON answers.
    app.get("/api/nothing-here").await.assert_error(404, "not_found");
    let post = client.post(app.url("/tickets/12")).send().await.unwrap();
    assert_eq!(post.status(), 404, "only GET and HEAD reach the app");
    assert_eq!(get("/healthz").await.unwrap().status(), 200);
}

/// A GET with the path sent exactly as given; the whole answer as text.
async fn raw_get(address: &str, path: &str) -> String {
    let (address, path) = (address.trim_start_matches("http://").to_owned(), path.to_owned());
    tokio::task::spawn_blocking(move || {
        use std::io::{Read, Write};
        let mut stream = std::net::TcpStream::connect(address).unwrap();
        let request = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
        stream.write_all(request.as_bytes()).unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap();
        answer
    })
    .await
    .unwrap()
}

pub async fn without_a_build_the_root_says_how_to_build_it(backend: Backend) {
    let missing = tempfile::tempdir().unwrap();
    let app = spawn_app_with(backend, &[("FRONTEND_DIR", missing.path().join("dist").to_str().unwrap())]).await;
    let page = reqwest::get(app.url("/")).await.unwrap();
    assert_eq!(page.status(), 503);
    let text = page.text().await.unwrap();
    assert!(text.contains("make run") && text.contains("/api/docs"), "{text}");
    assert_eq!(app.get("/api/tickets").await.status, 200, "the API works without the dashboard");
}

pub async fn the_simulator_files_fake_texts_only_when_an_admin_turned_it_on(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, agent_token) = new_user_with_token(&app.db, Role::Agent).await;
    let text = json!({"from": "+1 415 555 0177", "body": "Testing smsdesk"});

    app.post_json("/api/simulator/messages", text.clone()).await.assert_error(403, "simulator_disabled");
    app.put_json("/api/settings", json!({"sms_simulator_enabled": true})).await;
    app.token_send("POST", "/api/simulator/messages", &agent_token, text.clone()).await.assert_error(403, "forbidden");

    let first = app.post_json("/api/simulator/messages", text.clone()).await;
    assert_eq!(first.status, 201, "{}", first.text);
    assert_eq!(first.body["opened_ticket"], true);
    let ticket_id = first.body["ticket_id"].as_i64().unwrap();
    let ticket = app.get(&format!("/api/tickets/{ticket_id}")).await.body;
    assert_eq!(ticket["customer_number"], "+14155550177");
    assert_eq!(ticket["channel_number"], OUR_NUMBER, "sent to the default sender number");
    // Filed like a gateway's text: the confirmation goes out through the configured gateway.
    app.wait_until("confirmation sent", Duration::from_secs(10), || async { !app.gateway_requests().await.is_empty() })
        .await;
    let sent = app.gateway_requests().await;
    assert_eq!(sent[0].to, "+14155550177");
    assert!(sent[0].body.contains(&ticket_id.to_string()));

    let second = app.post_json("/api/simulator/messages", json!({"from": "+14155550177", "body": "Again"})).await;
    assert_eq!((second.status, second.body["opened_ticket"].clone()), (201, json!(false)));
    assert_eq!(second.body["ticket_id"], ticket_id);
    let bodies: Vec<_> = app.thread(ticket_id).await.iter().map(|m| m["body"].as_str().unwrap().to_owned()).collect();
    assert!(bodies.contains(&"Testing smsdesk".to_owned()) && bodies.contains(&"Again".to_owned()));

    for (bad, code) in [
        (json!({"from": "12", "body": "x"}), "invalid_phone_number"),
        (json!({"from": "+14155550177", "body": ""}), "empty_body"),
        (json!({"from": "+14155550177", "to": "nope", "body": "x"}), "invalid_phone_number"),
    ] {
        app.post_json("/api/simulator/messages", bad).await.assert_error(422, code);
    }
}

pub async fn tickets_carry_the_customer_number_formatted_for_people(backend: Backend) {
    let app = spawn_app(backend).await;
    app.text("+14155550178", "Hi").await;
    app.text("+447700900123", "Hello from London").await;
    let tickets = app.tickets().await;
    let display = |number: &str| {
        tickets.iter().find(|t| t["customer_number"] == number).unwrap()["customer_number_display"].clone()
    };
    assert_eq!(display("+14155550178"), "+1 415-555-0178");
    assert_eq!(display("+447700900123"), "+44 7700 900123");
}
