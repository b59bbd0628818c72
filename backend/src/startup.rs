//! Builds the application: database, HTTP server with every route, and the background work (delivery,
//! settings refresh, auto-close).

use std::net::TcpListener;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::{ResourceDef, Server, ServerHandle};
use actix_web::http::{Method, StatusCode, header};
use actix_web::middleware::{ErrorHandlers, from_fn};
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use tokio::sync::watch;
use utoipa::OpenApi;
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::{Config, SwaggerUi};

use crate::accounts::{PasswordWork, forget_quiet_counts};
use crate::api::{self, ApiDoc};
use crate::app_settings::{REFRESH_INTERVAL, SettingsCache};
use crate::config::{DatabaseSettings, Settings};
use crate::db::index_new_messages;
use crate::db::{Database, StoreError};
use crate::delivery::{DeliveryWorker, OutboxSignal};
use crate::domain::PhoneNumber;
use crate::error::{ApiError, json_error, path_error, query_error, render_plain_error};
use crate::frontend::Frontend;
use crate::gateways::SmsGateway;
use crate::metrics::{self, Metrics};
use crate::middleware::{BodyDeadline, RequestLog, SecurityHeaders};
use crate::reports;
use crate::state::AppState;
use crate::tickets::close_inactive_tickets;
use crate::webhooks::messagebird_signature::MessageBirdSignature;
use crate::webhooks::twilio_signature::TwilioSignature;

/// Webhooks and API requests are small; anything bigger is refused with 413 before it is read whole.
const MAX_BODY_BYTES: usize = 64 * 1024;
/// How often new messages are added to SQLite's full-text index, and at most how many at a time.
const SEARCH_INDEX_INTERVAL: Duration = Duration::from_millis(500);
const SEARCH_INDEX_BATCH: i64 = 5_000;
/// How often the auto-close rule runs, and how many tickets it closes per run.
const AUTO_CLOSE_INTERVAL: Duration = Duration::from_secs(60);
const AUTO_CLOSE_BATCH: i64 = 500;
/// How often failed sign-ins quiet for an hour are deleted, and at most how many at a time.
const FORGET_SIGN_IN_FAILURES_INTERVAL: Duration = Duration::from_secs(10 * 60);
const FORGET_SIGN_IN_FAILURES_BATCH: i64 = 5_000;
/// How often new messages and events are added to the reports' hourly counts (`reports/rollup.rs`). A full
/// round is followed at once by the next.
const REPORT_ROLLUP_INTERVAL: Duration = Duration::from_secs(15);
/// After SIGTERM, how long requests in flight may take to finish before their connections are dropped.
/// Twilio gives up on a webhook after 15 s anyway. The delivery worker's sends in flight (15 s gateway
/// timeout) drain at the same time, so both fit in docker-compose.yml's stop_grace_period of 30 s.
const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(20);

pub struct Application {
    port: u16,
    server: Server,
    /// The metrics listener (`METRICS_ADDR`) and its port.
    metrics: Option<(Server, u16)>,
    worker: DeliveryWorker,
    db: Database,
    settings: SettingsCache,
    /// Turns true on SIGTERM/SIGINT, or once the server has stopped for another reason: the background work
    /// then stops starting anything new.
    stop: watch::Sender<bool>,
}

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    /// Connecting, the schema guard or migrating failed: the database `DATABASE_URL` names is not usable.
    #[error("cannot use the database at DATABASE_URL: {0}")]
    Connect(StoreError),
    #[error(transparent)]
    Database(#[from] StoreError),
    #[error("cannot listen on {addr}: {source}")]
    Bind { addr: String, source: std::io::Error },
    #[error("cannot listen for SIGTERM and SIGINT: {0}")]
    Signals(std::io::Error),
}

/// The OpenAPI document, generated from the handlers' annotations as the routes are wired.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let (_, mut document) =
        App::new().into_utoipa_app().openapi(ApiDoc::openapi()).configure(api::configure).split_for_parts();
    api::complete(&mut document);
    document
}

impl Application {
    /// Connects to the database (applying migrations), binds the listener and prepares background work.
    /// A `BIND_ADDR` with port 0 picks a free port: see [`Application::port`].
    pub async fn build(config: Settings) -> Result<Self, StartupError> {
        let database_settings = config.database.clone();
        let db = tokio::task::spawn_blocking(move || {
            // libphonenumber's metadata loads on first use (about a second of regex compiling): pay it now,
            // not on the first customer's text.
            let _ = PhoneNumber::parse("+14155550100");
            connect_database(&database_settings)
        })
        .await
        .map_err(|_| StoreError::TaskPanicked)??;
        let addr = config.bind_addr;
        let bind_error = |source| StartupError::Bind { addr: addr.to_string(), source };
        let listener = TcpListener::bind(addr).map_err(bind_error)?;
        let port = listener.local_addr().map_err(bind_error)?.port();
        let metrics = Metrics::new(&db, config.gateway.name());
        let metrics_server = match config.metrics_addr {
            Some(addr) => {
                let bind_error = |source| StartupError::Bind { addr: addr.to_string(), source };
                let listener = TcpListener::bind(addr).map_err(bind_error)?;
                let port = listener.local_addr().map_err(bind_error)?.port();
                tracing::info!(%addr, port, "metrics at /metrics");
                Some((metrics::serve(metrics.clone(), listener).map_err(bind_error)?, port))
            }
            None => None,
        };
        // Measured only when someone can see it.
        let http_metrics = metrics_server.as_ref().map(|_| metrics.http());

        let settings = SettingsCache::new(&config);
        let effective = settings.refresh(&db).await?;
        let twilio_signature = config.twilio_webhook.auth_token.as_ref().map(|t| TwilioSignature::new(t.expose()));
        if effective.twilio_verify_signatures && twilio_signature.is_none() {
            tracing::warn!("TWILIO_AUTH_TOKEN is not set: Twilio webhooks will be refused");
        }
        let messagebird_signature =
            config.messagebird_webhook.signing_key.as_ref().map(|k| MessageBirdSignature::new(k.expose()));
        if effective.messagebird_verify_signatures && messagebird_signature.is_none() {
            tracing::warn!("MESSAGEBIRD_SIGNING_KEY is not set: MessageBird webhooks will be refused");
        }
        let outbox = OutboxSignal::default();
        let state = web::Data::new(AppState {
            db: db.clone(),
            public_url: config.public_url.clone(),
            twilio_signature,
            messagebird_signature,
            messagebird_originator: config.messagebird_webhook.originator.clone(),
            settings: settings.clone(),
            outbox: outbox.clone(),
            team_counts: Default::default(),
            passwords: PasswordWork::for_this_machine(),
            trusted_proxies: config.trusted_proxies.clone(),
            texted_numbers: Default::default(),
            metrics: metrics.clone(),
        });
        let document = openapi();
        let routes = web::Data::new(RouteTable::from_openapi(&document));
        let frontend = web::Data::new(Frontend::new(config.frontend_dir.clone()));
        let security_headers = SecurityHeaders { https: config.public_url.as_str().starts_with("https://") };
        let body_deadline = BodyDeadline { timeout: config.request_body_timeout };
        let request_log = RequestLog { trusted_proxies: Arc::new(config.trusted_proxies.clone()) };
        let (stop, _) = watch::channel(false);
        let stop_signals = StopSignals::listen().map_err(StartupError::Signals)?;
        let stop_on_signal = {
            let stop = stop.clone();
            async move {
                let signal = stop_signals.received().await;
                tracing::info!(signal, "stopping: no new connections; requests and sends in flight finish first");
                stop.send_replace(true);
            }
        };
        let server = HttpServer::new(move || {
            let request_log = request_log.clone();
            let measured = http_metrics.clone().map(Rc::new);
            App::new()
                .wrap(ErrorHandlers::new().default_handler(render_plain_error))
                .app_data(state.clone())
                .app_data(routes.clone())
                .app_data(frontend.clone())
                .app_data(web::PayloadConfig::new(MAX_BODY_BYTES))
                .app_data(web::JsonConfig::default().limit(MAX_BODY_BYTES).error_handler(json_error))
                .app_data(web::QueryConfig::default().error_handler(query_error))
                .app_data(web::PathConfig::default().error_handler(path_error))
                .into_utoipa_app()
                // Before the /api scope, which would otherwise claim /api/docs/… as well.
                .map(|app| {
                    // No validator badge: Swagger UI would fetch it from validator.swagger.io, telling a third
                    // party where our docs are, and the page's CSP refuses images from elsewhere anyway.
                    app.service(
                        SwaggerUi::new("/api/docs/{_:.*}")
                            .url("/api/openapi.json", document.clone())
                            .config(Config::default().validator_url("none")),
                    )
                    .route("/api/docs", web::get().to(docs_redirect))
                })
                .configure(api::configure)
                .into_app()
                .default_service(web::to(unrouted))
                .wrap(from_fn(move |req, next| body_deadline.apply(req, next)))
                // So that every answer carries them, errors and timeouts included.
                .wrap(from_fn(move |req, next| security_headers.apply(req, next)))
                // The time and status the client sees.
                .wrap(from_fn(move |req, next| metrics::http::measure(measured.clone(), req, next)))
                // Outermost: the request's id and span cover everything the other layers do and log.
                .wrap(from_fn(move |req, next| request_log.clone().apply(req, next)))
        })
        // Our own signal handling instead of actix's, so that the delivery worker hears SIGTERM at the same
        // moment as the HTTP server (not after every request has finished), and so that SIGINT drains too.
        .shutdown_signal(stop_on_signal)
        .shutdown_timeout(SHUTDOWN_TIMEOUT.as_secs())
        .listen(listener)
        .map_err(bind_error)?
        .run();

        let gateway = SmsGateway::from_settings(&config.gateway, &config.public_url, config.delivery.send_timeout);
        let worker = DeliveryWorker::new(db.clone(), gateway, config.delivery.clone(), outbox, metrics);
        tracing::info!(%addr, port, gateway = config.gateway.name(), "smsdesk listening");
        Ok(Self { port, server, metrics: metrics_server, worker, db, settings, stop })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The metrics listener's port; `None` without `METRICS_ADDR`.
    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics.as_ref().map(|(_, port)| *port)
    }

    /// Stops the HTTP server (and so the background work) from elsewhere, e.g. at the end of a test.
    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    pub fn database(&self) -> Database {
        self.db.clone()
    }

    /// Serves until SIGTERM or SIGINT (or [`Application::handle`]'s stop), then drains: the listener closes at
    /// once, so a proxy sends new requests to other replicas; requests in flight finish (for at most
    /// [`SHUTDOWN_TIMEOUT`]); the delivery worker claims nothing more and waits for the sends it started, and
    /// records them, so none is sent again by another replica after its lease. Returns when all that is done.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let worker = tokio::spawn(self.worker.run(self.stop.subscribe()));
        let maintenance = tokio::spawn(maintain(self.db, self.settings, self.stop.subscribe()));
        let metrics = self.metrics.map(|(server, _)| (server.handle(), tokio::spawn(server)));
        let served = self.server.await;
        self.stop.send_replace(true);
        let _ = worker.await;
        let _ = maintenance.await;
        // Last, so that the drain shows in the metrics.
        if let Some((handle, server)) = metrics {
            handle.stop(true).await;
            let _ = server.await;
        }
        tracing::info!("stopped");
        served
    }
}

/// Connects to the database `DATABASE_URL` names, refusing one a newer smsdesk migrated, and applies
/// pending migrations (blocking). The server and the admin commands start with it.
pub fn connect_database(settings: &DatabaseSettings) -> Result<Database, StartupError> {
    Database::connect(settings).map_err(StartupError::Connect)
}

/// The signals that stop the server gracefully, listened for from start-up so that a failure to do so stops
/// start-up rather than leaving a server that SIGTERM would kill mid-request.
struct StopSignals {
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
}

impl StopSignals {
    #[cfg(unix)]
    fn listen() -> std::io::Result<Self> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Self { terminate: signal(SignalKind::terminate())?, interrupt: signal(SignalKind::interrupt())? })
    }

    #[cfg(not(unix))]
    fn listen() -> std::io::Result<Self> {
        Ok(Self {})
    }

    /// Waits for the first of the signals and names it.
    #[cfg(unix)]
    async fn received(mut self) -> &'static str {
        tokio::select! {
            _ = self.terminate.recv() => "SIGTERM",
            _ = self.interrupt.recv() => "SIGINT",
        }
    }

    #[cfg(not(unix))]
    async fn received(self) -> &'static str {
        match tokio::signal::ctrl_c().await {
            Ok(()) => "Ctrl-C",
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for Ctrl-C; stop the process some other way");
                std::future::pending().await
            }
        }
    }
}

/// Periodic work: reload settings other replicas may have changed, index new messages for search, close
/// inactive tickets, forget old failed sign-ins, count new messages and events for the reports.
async fn maintain(db: Database, settings: SettingsCache, mut stop: watch::Receiver<bool>) {
    let mut refresh = tokio::time::interval(REFRESH_INTERVAL);
    let mut search_index = tokio::time::interval(SEARCH_INDEX_INTERVAL);
    let mut auto_close = tokio::time::interval(AUTO_CLOSE_INTERVAL);
    let mut forget_sign_in_failures = tokio::time::interval(FORGET_SIGN_IN_FAILURES_INTERVAL);
    let mut report_rollup = tokio::time::interval(REPORT_ROLLUP_INTERVAL);
    loop {
        tokio::select! {
            // Checks the value first: the stop may have come before this task started.
            () = async { let _ = stop.wait_for(|stopped| *stopped).await; } => return,
            _ = search_index.tick(), if !db.is_postgres() => {
                let indexed = db
                    .write(|conn| index_new_messages(conn, SEARCH_INDEX_BATCH).map_err(StoreError::from))
                    .await;
                if let Err(e) = indexed {
                    tracing::error!(error = %e, "could not add new messages to the search index");
                }
            }
            _ = refresh.tick() => {
                if let Err(e) = settings.refresh(&db).await {
                    tracing::warn!(error = %e, "could not reload settings; keeping the previous ones");
                }
            }
            _ = forget_sign_in_failures.tick() => {
                let forgotten = db
                    .write(|conn| forget_quiet_counts(conn, FORGET_SIGN_IN_FAILURES_BATCH).map_err(StoreError::from))
                    .await;
                if let Err(e) = forgotten {
                    tracing::warn!(error = %e, "could not forget old failed sign-ins");
                }
            }
            _ = report_rollup.tick() => {
                let round = db
                    .write(|conn| reports::roll_up(conn, crate::db::now(), reports::ROUND_ROWS))
                    .await;
                match round {
                    // More may be waiting (a restored or upgraded database): the next round at once, with the
                    // other work still taking turns.
                    Ok(Some(round)) if round.full => report_rollup.reset_immediately(),
                    Ok(_) => {}
                    Err(e) => tracing::error!(error = %e, "could not add new messages to the report counts"),
                }
            }
            _ = auto_close.tick() => {
                let Some(idle) = settings.get().auto_close_after else { continue };
                let closed = db
                    .write(move |conn| close_inactive_tickets(conn, idle, AUTO_CLOSE_BATCH).map_err(StoreError::from))
                    .await;
                match closed {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(closed = n, "closed inactive tickets"),
                    Err(e) => tracing::error!(error = %e, "auto-close failed"),
                }
            }
        }
    }
}

async fn docs_redirect() -> HttpResponse {
    HttpResponse::PermanentRedirect().insert_header((header::LOCATION, "/api/docs/")).finish()
}

/// Every documented path and its methods, to tell "no such endpoint" (404) from "wrong method" (405).
struct RouteTable(Vec<(ResourceDef, Vec<Method>)>);

impl RouteTable {
    fn from_openapi(document: &utoipa::openapi::OpenApi) -> Self {
        let routes = document
            .paths
            .paths
            .iter()
            .map(|(path, item)| {
                let methods = [
                    (item.get.is_some(), Method::GET),
                    (item.post.is_some(), Method::POST),
                    (item.put.is_some(), Method::PUT),
                    (item.patch.is_some(), Method::PATCH),
                    (item.delete.is_some(), Method::DELETE),
                ]
                .into_iter()
                .filter_map(|(present, method)| present.then_some(method))
                .collect();
                (ResourceDef::new(path.as_str()), methods)
            })
            .collect();
        Self(routes)
    }
}

impl RouteTable {
    /// The methods a path accepts. A static path (`/api/tickets/counts`) wins over a template that also
    /// matches it (`/api/tickets/{id}`), as in actix's own routing.
    fn methods_for(&self, path: &str) -> Vec<&Method> {
        let matching: Vec<&(ResourceDef, Vec<Method>)> = self.0.iter().filter(|(def, _)| def.is_match(path)).collect();
        let exact = matching.iter().find(|(def, _)| def.pattern() == Some(path));
        let mut methods: Vec<&Method> = match exact {
            Some((_, methods)) => methods.iter().collect(),
            None => matching.iter().flat_map(|(_, methods)| methods).collect(),
        };
        methods.dedup();
        methods.sort_by_key(|m| m.as_str());
        methods.dedup();
        methods
    }
}

/// What no route claims: the dashboard's files and routes (GET and HEAD outside the API), else a JSON 404,
/// or a 405 naming the methods the path does accept.
async fn unrouted(req: HttpRequest, routes: web::Data<RouteTable>, frontend: web::Data<Frontend>) -> HttpResponse {
    if matches!(*req.method(), Method::GET | Method::HEAD) && Frontend::owns(req.path()) {
        return frontend.serve(&req).await;
    }
    let allowed = routes.methods_for(req.path());
    if allowed.is_empty() {
        return actix_web::ResponseError::error_response(&ApiError::not_found("No such endpoint."));
    }
    let allow = allowed.iter().map(|m| m.as_str()).collect::<Vec<_>>().join(", ");
    let mut response = actix_web::ResponseError::error_response(&ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        format!("{} is not allowed here; use {allow}.", req.method()),
    ));
    if let Ok(value) = header::HeaderValue::from_str(&allow) {
        response.headers_mut().insert(header::ALLOW, value);
    }
    response
}

/// The OpenAPI document as the server serves it, for tools that need it without a running server.
pub fn openapi_json() -> String {
    openapi().to_pretty_json().unwrap_or_default()
}
