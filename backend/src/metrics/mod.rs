//! Prometheus metrics. Counted where things happen, each update an atomic add on a handle looked up once;
//! exposed in the OpenMetrics text format (which Prometheus scrapes natively) on a listener of its own,
//! `METRICS_ADDR`, never on the public port. Every name begins with `smsdesk_`; README "Metrics" lists them.
//!
//! Everything but the HTTP middleware counts whether or not `METRICS_ADDR` is set: a handful of atomic adds
//! per request, against the tens of microseconds a webhook takes. The middleware, which looks up a route
//! pattern per request, runs only when the metrics are served.

pub mod histogram;
pub mod http;

use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::{App, HttpResponse, HttpServer, web};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

use crate::db::{Database, StoreError};
use crate::delivery::store::OutboxStore;
use crate::domain::{DeliveryStatus, Provider};
use crate::error::ApiError;
pub use http::HttpMetrics;

/// The scrape's storage query gives up after this long: a slow database must not hang the scrape, whose
/// other metrics say why it is slow.
const STORAGE_QUERY_TIMEOUT: Duration = Duration::from_secs(2);
/// Prometheus asks for OpenMetrics first; prometheus-client writes it.
const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";
/// The gateways that call our webhooks.
const WEBHOOK_PROVIDERS: [Provider; 2] = [Provider::Twilio, Provider::MessageBird];

/// What became of an inbound-text webhook.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookOutcome {
    /// Filed under a ticket (new or existing).
    Stored,
    /// A gateway's retry of a text already stored: acknowledged, nothing written.
    Duplicate,
    /// Refused with 403: the signature was missing or wrong, or no key to check it is configured.
    BadSignature,
    /// Refused with another 4xx: malformed, a field missing, a number that is not one.
    Invalid,
    /// Our fault (5xx): the gateway will retry.
    Error,
}

impl WebhookOutcome {
    const ALL: [Self; 5] = [Self::Stored, Self::Duplicate, Self::BadSignature, Self::Invalid, Self::Error];

    fn as_str(self) -> &'static str {
        match self {
            Self::Stored => "stored",
            Self::Duplicate => "duplicate",
            Self::BadSignature => "bad_signature",
            Self::Invalid => "invalid",
            Self::Error => "error",
        }
    }
}

/// What became of one attempt to hand a message to the gateway.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendOutcome {
    Accepted,
    /// Refused for good (a bad number, an opt-out): the message is marked failed.
    Refused,
    /// Timed out, rate-limited, the gateway down: tried again later.
    TemporaryFailure,
    /// Not sent: the customer opted out after it was queued.
    SkippedOptedOut,
}

impl SendOutcome {
    const ALL: [Self; 4] = [Self::Accepted, Self::Refused, Self::TemporaryFailure, Self::SkippedOptedOut];

    fn as_str(self) -> &'static str {
        match self {
            Self::Accepted => "accepted",
            Self::Refused => "refused",
            Self::TemporaryFailure => "temporary_failure",
            Self::SkippedOptedOut => "skipped_opted_out",
        }
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    provider: &'static str,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReportLabels {
    provider: &'static str,
    status: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PoolConnectionLabels {
    pool: &'static str,
    state: &'static str,
}

/// Everything the app counts, and the registry that exposes it. Clones share it.
#[derive(Clone)]
pub struct Metrics(Arc<Inner>);

struct Inner {
    registry: Registry,
    db: Database,
    webhooks: Vec<(Provider, WebhookOutcome, Counter)>,
    reports: Vec<(Provider, DeliveryStatus, Counter)>,
    sends: Vec<(SendOutcome, Counter)>,
    http: HttpMetrics,
    outbox_messages: Gauge,
    outbox_oldest_age: Gauge<f64, AtomicU64>,
    pool_connections: Family<PoolConnectionLabels, Gauge>,
}

impl Metrics {
    /// Registers every metric; `gateway` is the name of the configured SMS gateway (`SMS_GATEWAY`). Every
    /// series whose labels are known in advance starts at 0, so that `rate()` sees its first increase.
    pub fn new(db: &Database, gateway: &'static str) -> Self {
        let mut registry = Registry::with_prefix("smsdesk");

        let webhook_family = Family::<OutcomeLabels, Counter>::default();
        registry.register(
            "webhooks",
            "Inbound-text webhooks by gateway and outcome (stored, duplicate, bad_signature, invalid, error)",
            webhook_family.clone(),
        );
        let webhooks = WEBHOOK_PROVIDERS
            .iter()
            .flat_map(|&provider| WebhookOutcome::ALL.map(|outcome| (provider, outcome)))
            .map(|(provider, outcome)| {
                let labels = OutcomeLabels { provider: provider.as_str(), outcome: outcome.as_str() };
                (provider, outcome, webhook_family.get_or_create(&labels).clone())
            })
            .collect();

        let report_family = Family::<ReportLabels, Counter>::default();
        registry.register(
            "delivery_reports",
            "Delivery reports (status callbacks) recorded, by gateway and reported status",
            report_family.clone(),
        );
        let reports = WEBHOOK_PROVIDERS
            .iter()
            .flat_map(|&provider| DeliveryStatus::ALL.iter().map(move |&status| (provider, status)))
            .map(|(provider, status)| {
                let labels = ReportLabels { provider: provider.as_str(), status: status.as_str() };
                (provider, status, report_family.get_or_create(&labels).clone())
            })
            .collect();

        let send_family = Family::<OutcomeLabels, Counter>::default();
        registry.register("sends", "Attempts to hand a message to the SMS gateway, by outcome", send_family.clone());
        let sends = SendOutcome::ALL
            .iter()
            .map(|&outcome| {
                let labels = OutcomeLabels { provider: gateway, outcome: outcome.as_str() };
                (outcome, send_family.get_or_create(&labels).clone())
            })
            .collect();

        let http = HttpMetrics::default();
        registry.register(
            "http_requests",
            "HTTP requests on the public port by method, route pattern and status",
            http.requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "Time from a request's arrival to its response's headers, by method, route pattern and status",
            http.durations.clone(),
        );

        let outbox_messages = Gauge::default();
        registry.register("outbox_messages", "Messages waiting in the outbox to be sent", outbox_messages.clone());
        let outbox_oldest_age = Gauge::<f64, AtomicU64>::default();
        registry.register(
            "outbox_oldest_message_age_seconds",
            "Age of the oldest message waiting in the outbox (0 when it is empty)",
            outbox_oldest_age.clone(),
        );

        let storage = db.metrics();
        registry.register(
            "db_write_group_size",
            "Writes committed together: SQLite's group commits and PostgreSQL's batched texts, by write path",
            storage.group_sizes.clone(),
        );
        registry.register(
            "db_commit_duration_seconds",
            "SQLite: a group's COMMIT; PostgreSQL: a write's whole transaction or a batch's statement",
            storage.commit_seconds.clone(),
        );
        let pool_connections = Family::<PoolConnectionLabels, Gauge>::default();
        registry.register(
            "db_pool_connections",
            "Database connections by pool and state (in_use, idle)",
            pool_connections.clone(),
        );
        registry.register(
            "db_pool_waiting",
            "Requests waiting for a database connection, by pool (SQLite's writer: writes queued for it)",
            storage.waiting.clone(),
        );

        Self(Arc::new(Inner {
            registry,
            db: db.clone(),
            webhooks,
            reports,
            sends,
            http,
            outbox_messages,
            outbox_oldest_age,
            pool_connections,
        }))
    }

    pub fn webhook(&self, provider: Provider, outcome: WebhookOutcome) {
        if let Some((_, _, counter)) = self.0.webhooks.iter().find(|(p, o, _)| *p == provider && *o == outcome) {
            counter.inc();
        }
    }

    pub fn delivery_report(&self, provider: Provider, status: DeliveryStatus) {
        if let Some((_, _, counter)) = self.0.reports.iter().find(|(p, s, _)| *p == provider && *s == status) {
            counter.inc();
        }
    }

    pub fn send(&self, outcome: SendOutcome) {
        if let Some((_, counter)) = self.0.sends.iter().find(|(o, _)| *o == outcome) {
            counter.inc();
        }
    }

    pub fn http(&self) -> HttpMetrics {
        self.0.http.clone()
    }

    /// The exposition: storage gauges read now, then every metric.
    pub async fn render(&self) -> Result<String, std::fmt::Error> {
        self.refresh_storage_gauges().await;
        let mut text = String::with_capacity(16 * 1024);
        prometheus_client::encoding::text::encode(&mut text, &self.0.registry)?;
        Ok(text)
    }

    /// The outbox's backlog (one aggregate query) and the pools' connections. A failed or slow query keeps
    /// the last values and is logged: the rest of the scrape still answers.
    async fn refresh_storage_gauges(&self) {
        let inner = &*self.0;
        for usage in inner.db.pool_usage() {
            let in_use = usage.connections.saturating_sub(usage.idle);
            let set = |state, value: u32| {
                inner
                    .pool_connections
                    .get_or_create(&PoolConnectionLabels { pool: usage.pool, state })
                    .set(value.into());
            };
            set("in_use", in_use);
            set("idle", usage.idle);
        }
        let backlog = inner.db.read(|conn| conn.backlog().map_err(StoreError::from));
        match tokio::time::timeout(STORAGE_QUERY_TIMEOUT, backlog).await {
            Ok(Ok(backlog)) => {
                inner.outbox_messages.set(backlog.messages);
                let age = backlog
                    .oldest_queued_at
                    .map_or(0.0, |queued| (crate::db::now() - queued).to_std().map_or(0.0, |age| age.as_secs_f64()));
                inner.outbox_oldest_age.set(age);
            }
            Ok(Err(e)) => tracing::warn!(error = %e, "metrics: could not read the outbox's backlog"),
            Err(_) => tracing::warn!("metrics: reading the outbox's backlog timed out"),
        }
    }
}

/// The metrics listener: `GET /metrics` and nothing else, on one worker, apart from the public server.
/// It does not react to signals itself: the caller stops it after the public server has drained, so the
/// drain can be watched.
pub fn serve(metrics: Metrics, listener: TcpListener) -> std::io::Result<Server> {
    let metrics = web::Data::new(metrics);
    Ok(HttpServer::new(move || {
        App::new().app_data(metrics.clone()).route("/metrics", web::get().to(scrape)).default_service(web::to(
            || async { actix_web::ResponseError::error_response(&ApiError::not_found("Metrics are at /metrics.")) },
        ))
    })
    .workers(1)
    .disable_signals()
    .shutdown_timeout(1)
    .listen(listener)?
    .run())
}

async fn scrape(metrics: web::Data<Metrics>) -> Result<HttpResponse, ApiError> {
    let text = metrics.render().await.map_err(ApiError::internal)?;
    Ok(HttpResponse::Ok().content_type(CONTENT_TYPE).body(text))
}
