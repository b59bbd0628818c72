#![allow(clippy::unwrap_used)]

//! Prometheus metrics on their own listener (`METRICS_ADDR`): what is counted, in a format Prometheus
//! reads, and never on the public port.

use std::collections::BTreeMap;
use std::time::Duration;

use wiremock::matchers::{method, path};
use wiremock::{Mock, ResponseTemplate};

use crate::helpers::*;

const METRICS_ON: (&str, &str) = ("METRICS_ADDR", "127.0.0.1:0");

/// One scrape, parsed: each sample by name and label set, with its value.
#[derive(Debug)]
struct Scrape {
    samples: BTreeMap<(String, BTreeMap<String, String>), f64>,
    text: String,
}

impl Scrape {
    /// The sample with exactly these labels; 0 when there is none.
    fn value(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        let labels = labels.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        self.samples.get(&(name.to_owned(), labels)).copied().unwrap_or(0.0)
    }

    /// The sum over every sample of `name` that has these labels (among others).
    fn sum(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        self.samples
            .iter()
            .filter(|((n, l), _)| n == name && labels.iter().all(|(k, v)| l.get(*k).map(String::as_str) == Some(*v)))
            .map(|(_, value)| value)
            .sum()
    }

    fn has(&self, name: &str) -> bool {
        self.samples.keys().any(|(n, _)| n == name)
    }
}

async fn scrape(app: &TestApp) -> Scrape {
    let port = app.metrics_port.expect("the app was started with METRICS_ADDR");
    let response = app.client.get(format!("http://127.0.0.1:{port}/metrics")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let content_type = response.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(content_type.starts_with("application/openmetrics-text"), "{content_type}");
    let text = response.text().await.unwrap();
    Scrape { samples: parse_exposition(&text), text }
}

/// Parses the text exposition strictly enough to catch what would make Prometheus reject it: every line
/// is a `# HELP`/`# TYPE`/`# UNIT` comment, `# EOF` (last), or a sample `name{label="value",…} number`
/// whose name belongs to the family its `# TYPE` declared, and every name begins with `smsdesk_`.
fn parse_exposition(text: &str) -> BTreeMap<(String, BTreeMap<String, String>), f64> {
    let is_name = |name: &str| {
        let mut chars = name.chars();
        chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
    };
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.last(), Some(&"# EOF"), "the exposition ends with # EOF");
    let mut family: Option<(String, String)> = None;
    let mut samples = BTreeMap::new();
    for line in &lines[..lines.len() - 1] {
        if let Some(comment) = line.strip_prefix("# ") {
            let mut parts = comment.splitn(3, ' ');
            let (keyword, name, rest) = (parts.next().unwrap(), parts.next().unwrap_or(""), parts.next());
            assert!(is_name(name) && name.starts_with("smsdesk_"), "bad metric name in {line:?}");
            match keyword {
                "HELP" => assert!(rest.is_some_and(|help| !help.is_empty()), "empty help: {line:?}"),
                "UNIT" => {}
                "TYPE" => {
                    let kind = rest.unwrap_or("");
                    assert!(
                        ["counter", "gauge", "histogram", "info", "summary", "unknown"].contains(&kind),
                        "{line:?}"
                    );
                    family = Some((name.to_owned(), kind.to_owned()));
                }
                _ => panic!("unexpected comment line {line:?}"),
            }
            continue;
        }
        let (series, value) = line.rsplit_once(' ').unwrap_or_else(|| panic!("not a sample: {line:?}"));
        let value: f64 = match value {
            "+Inf" => f64::INFINITY,
            "-Inf" => f64::NEG_INFINITY,
            other => other.parse().unwrap_or_else(|_| panic!("not a number in {line:?}")),
        };
        let (name, labels) = match series.split_once('{') {
            Some((name, labels)) => (name, parse_labels(labels.strip_suffix('}').expect("labels end with }"), line)),
            None => (series, BTreeMap::new()),
        };
        assert!(is_name(name) && name.starts_with("smsdesk_"), "bad sample name in {line:?}");
        let (family_name, kind) = family.as_ref().unwrap_or_else(|| panic!("sample before any # TYPE: {line:?}"));
        let suffixes: &[&str] = match kind.as_str() {
            "counter" => &["_total", "_created"],
            "histogram" => &["_bucket", "_sum", "_count", "_created"],
            _ => &[""],
        };
        assert!(
            suffixes.iter().any(|suffix| name.strip_prefix(family_name.as_str()) == Some(suffix)),
            "{name} does not belong to the {kind} {family_name}"
        );
        assert!(samples.insert((name.to_owned(), labels), value).is_none(), "a series appears twice: {line:?}");
    }
    // Every histogram series has its +Inf bucket, holding every observation.
    for ((name, labels), count) in &samples {
        let Some(histogram) = name.strip_suffix("_count") else { continue };
        let mut inf = labels.clone();
        inf.insert("le".to_owned(), "+Inf".to_owned());
        let bucket = samples.get(&(format!("{histogram}_bucket"), inf));
        assert_eq!(bucket, Some(count), "{histogram}{labels:?}: the +Inf bucket must equal _count");
    }
    samples
}

fn parse_labels(raw: &str, line: &str) -> BTreeMap<String, String> {
    let mut labels = BTreeMap::new();
    let mut rest = raw;
    while !rest.is_empty() {
        let (key, after) = rest.split_once("=\"").unwrap_or_else(|| panic!("bad labels in {line:?}"));
        let mut value = String::new();
        let mut chars = after.char_indices();
        let end = loop {
            match chars.next() {
                Some((_, '\\')) => match chars.next() {
                    Some((_, 'n')) => value.push('\n'),
                    Some((_, c)) => value.push(c),
                    None => panic!("dangling escape in {line:?}"),
                },
                Some((i, '"')) => break i,
                Some((_, c)) => value.push(c),
                None => panic!("unterminated label value in {line:?}"),
            }
        };
        assert!(labels.insert(key.to_owned(), value).is_none(), "label {key} twice in {line:?}");
        rest = after[end + 1..].strip_prefix(',').unwrap_or(&after[end + 1..]);
    }
    labels
}

/// Scrapes until `check` holds (counters of background work lag the requests that caused it).
async fn scrape_until(app: &TestApp, what: &str, check: impl Fn(&Scrape) -> bool) -> Scrape {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let scraped = scrape(app).await;
        if check(&scraped) {
            return scraped;
        }
        assert!(tokio::time::Instant::now() < deadline, "timed out waiting for {what}; last scrape:\n{}", scraped.text);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

pub async fn webhooks_sends_and_delivery_reports_are_counted_on_the_metrics_port(backend: Backend) {
    let app = spawn_app_with(backend, &[METRICS_ON]).await;
    let twilio = |outcome| [("provider", "twilio"), ("outcome", outcome)];

    let sid = new_sid();
    assert_eq!(app.text_with_sid(CUSTOMER, OUR_NUMBER, "My order is late", &sid).await.status, 200);
    assert_eq!(app.text_with_sid(CUSTOMER, OUR_NUMBER, "My order is late", &sid).await.status, 200);
    let forged = [("MessageSid", sid.as_str()), ("From", CUSTOMER), ("To", OUR_NUMBER), ("Body", "Hi")];
    app.post_twilio_signed("/webhooks/twilio", &forged, "bm90IGEgc2lnbmF0dXJl")
        .await
        .assert_error(403, "invalid_signature");
    let malformed = [("MessageSid", "SM1"), ("From", CUSTOMER), ("To", OUR_NUMBER), ("Body", "Hi")];
    app.post_twilio("/webhooks/twilio", &malformed).await.assert_error(400, "invalid_message_sid");
    let ticket = only_ticket_of(&app, CUSTOMER).await["id"].as_i64().unwrap();
    assert_eq!(app.reply(ticket, "It ships today").await.status, 201);
    app.wait_until("the confirmation and the reply sent", Duration::from_secs(10), || async {
        app.gateway_requests().await.len() == 2
    })
    .await;
    assert_eq!(app.status_callback(&new_sid(), "delivered", None).await.status, 204);

    let scraped = scrape_until(&app, "both sends counted", |s| {
        s.value("smsdesk_sends_total", &[("provider", "twilio"), ("outcome", "accepted")]) == 2.0
    })
    .await;
    assert_eq!(scraped.value("smsdesk_webhooks_total", &twilio("stored")), 1.0);
    assert_eq!(scraped.value("smsdesk_webhooks_total", &twilio("duplicate")), 1.0);
    assert_eq!(scraped.value("smsdesk_webhooks_total", &twilio("bad_signature")), 1.0);
    assert_eq!(scraped.value("smsdesk_webhooks_total", &twilio("invalid")), 1.0);
    assert_eq!(scraped.value("smsdesk_webhooks_total", &twilio("error")), 0.0);
    assert!(
        scraped.samples.contains_key(&(
            "smsdesk_webhooks_total".to_owned(),
            [("provider", "messagebird"), ("outcome", "stored")]
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        )),
        "series start at 0 before their first event"
    );
    let delivered = [("provider", "twilio"), ("status", "delivered")];
    assert_eq!(scraped.value("smsdesk_delivery_reports_total", &delivered), 1.0);
    assert_eq!(scraped.value("smsdesk_sends_total", &[("provider", "twilio"), ("outcome", "refused")]), 0.0);

    // Requests by route pattern, never by path: no phone number or ticket id reaches a label.
    let webhook = |status| [("method", "POST"), ("route", "/webhooks/twilio"), ("status", status)];
    assert_eq!(scraped.value("smsdesk_http_requests_total", &webhook("200")), 2.0);
    assert_eq!(scraped.value("smsdesk_http_requests_total", &webhook("403")), 1.0);
    assert_eq!(scraped.value("smsdesk_http_requests_total", &webhook("400")), 1.0);
    assert_eq!(scraped.value("smsdesk_http_request_duration_seconds_count", &webhook("200")), 2.0);
    let replies = [("method", "POST"), ("route", "/api/tickets/{id}/messages"), ("status", "201")];
    assert_eq!(scraped.value("smsdesk_http_requests_total", &replies), 1.0);
    assert!(scraped.value("smsdesk_http_request_duration_seconds_sum", &webhook("200")) > 0.0);
    let under_15s = [("method", "POST"), ("route", "/webhooks/twilio"), ("status", "200"), ("le", "15.0")];
    assert_eq!(scraped.value("smsdesk_http_request_duration_seconds_bucket", &under_15s), 2.0, "{}", scraped.text);
    assert!(!scraped.text.contains("4155550123"), "a customer's number is in the metrics");
    assert!(!scraped.text.contains(&format!("/tickets/{ticket}")), "a ticket id is in the metrics");

    // The write path and the pools.
    assert!(scraped.sum("smsdesk_db_write_group_size_count", &[]) >= 1.0, "{}", scraped.text);
    assert!(scraped.sum("smsdesk_db_commit_duration_seconds_count", &[]) >= 1.0);
    let first_writer = if backend == Backend::Sqlite { "sqlite" } else { "postgres" };
    assert!(scraped.value("smsdesk_db_commit_duration_seconds_count", &[("writer", first_writer)]) >= 1.0);
    assert!(scraped.has("smsdesk_db_pool_connections"));
    assert!(scraped.value("smsdesk_db_pool_connections", &[("pool", "readers"), ("state", "idle")]) >= 1.0);
    assert_eq!(scraped.value("smsdesk_db_pool_waiting", &[("pool", "readers")]), 0.0);
    assert!(scraped.has("smsdesk_outbox_messages") && scraped.has("smsdesk_outbox_oldest_message_age_seconds"));
}

pub async fn the_outbox_gauges_show_what_waits_to_be_sent_and_for_how_long(backend: Backend) {
    let app = spawn_app_with(backend, &[METRICS_ON]).await;
    // Five refusals, then the gateway is back: retries come after about 0.1, 0.2, 0.4, 0.8 and 1.6 s in tests,
    // so the outbox holds the confirmation for three seconds, long enough to be seen on a loaded machine.
    Mock::given(method("POST"))
        .and(path(twilio_messages_path()))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(5)
        .with_priority(1)
        .mount(&app.gateway)
        .await;

    app.text(CUSTOMER, "Hello?").await;

    let scraped = scrape_until(&app, "a failed attempt", |s| {
        s.value("smsdesk_sends_total", &[("provider", "twilio"), ("outcome", "temporary_failure")]) >= 1.0
    })
    .await;
    assert_eq!(scraped.value("smsdesk_outbox_messages", &[]), 1.0, "the confirmation waits");
    let age = scraped.value("smsdesk_outbox_oldest_message_age_seconds", &[]);
    assert!(age > 0.0 && age < 60.0, "the confirmation has waited {age} s");

    let scraped = scrape_until(&app, "the outbox emptied", |s| s.value("smsdesk_outbox_messages", &[]) == 0.0).await;
    assert_eq!(scraped.value("smsdesk_outbox_oldest_message_age_seconds", &[]), 0.0);
    assert_eq!(scraped.value("smsdesk_sends_total", &[("provider", "twilio"), ("outcome", "accepted")]), 1.0);
    assert_eq!(scraped.value("smsdesk_sends_total", &[("provider", "twilio"), ("outcome", "temporary_failure")]), 5.0);
}

pub async fn metrics_are_never_served_on_the_public_port_and_not_at_all_without_metrics_addr(backend: Backend) {
    let watched = spawn_app_with(backend, &[METRICS_ON]).await;
    let port = watched.metrics_port.unwrap();
    assert_ne!(port, 0);
    assert!(!watched.address.ends_with(&format!(":{port}")));
    watched.get("/metrics").await.assert_error(404, "not_found");
    watched.get("/metrics/").await.assert_error(404, "not_found");
    let elsewhere = watched.client.get(format!("http://127.0.0.1:{port}/")).send().await.unwrap();
    assert_eq!(elsewhere.status(), 404, "the metrics listener serves /metrics only");

    let unwatched = spawn_app(backend).await;
    assert_eq!(unwatched.metrics_port, None, "no listener without METRICS_ADDR");
    unwatched.get("/metrics").await.assert_error(404, "not_found");
}
