//! Typed settings read from the environment (and `.env`, loaded by `main`).
//!
//! Every value is parsed here, once, at start-up; a bad value stops the process with a message that names
//! the variable. `.env.example` documents each of them.

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use url::Url;

use crate::domain::{ConfirmationTemplate, PhoneNumber};

/// A configuration value that must never reach a log line.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub database: DatabaseSettings,
    pub bind_addr: SocketAddr,
    /// The origin the gateways call (scheme, host, optional port, optional path prefix), without a trailing
    /// slash. Webhook signatures are computed over this plus the request's path and query.
    pub public_url: PublicUrl,
    pub gateway: GatewaySettings,
    pub twilio_webhook: TwilioWebhookSettings,
    pub messagebird_webhook: MessageBirdWebhookSettings,
    pub confirmation_template: ConfirmationTemplate,
    pub delivery: DeliverySettings,
    /// Where the dashboard's build output is (`frontend/dist` of the checkout by default).
    pub frontend_dir: PathBuf,
    /// The proxies whose `X-Forwarded-For` is believed (`TRUSTED_PROXIES`): see [`TrustedProxies`].
    pub trusted_proxies: TrustedProxies,
    /// How long a request's body may take to arrive once its headers have (`REQUEST_BODY_TIMEOUT`, seconds).
    pub request_body_timeout: Duration,
    /// Where Prometheus metrics are served (`METRICS_ADDR`, host:port); `None` serves none.
    pub metrics_addr: Option<SocketAddr>,
}

/// The addresses of the reverse proxies in front of smsdesk (`TRUSTED_PROXIES`, comma-separated CIDRs or
/// addresses). A request from one of them is taken to be from the address its `X-Forwarded-For` names;
/// from anywhere else, `X-Forwarded-For` is ignored (anyone can send one). Empty by default: smsdesk
/// reached directly.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<ipnet::IpNet>);

impl TrustedProxies {
    pub fn parse(raw: &str) -> Result<Self, String> {
        raw.split(',')
            .map(str::trim)
            .filter(|entry| !entry.is_empty())
            .map(|entry| {
                entry
                    .parse::<ipnet::IpNet>()
                    .or_else(|_| entry.parse::<IpAddr>().map(ipnet::IpNet::from))
                    .map(|net| net.trunc())
                    .map_err(|_| format!("{entry:?} is not an address or CIDR range (e.g. 10.0.0.0/8, 172.28.0.10)"))
            })
            .collect::<Result<_, _>>()
            .map(Self)
    }

    pub fn contains(&self, address: IpAddr) -> bool {
        self.0.iter().any(|net| net.contains(&address))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    Sqlite(PathBuf),
    /// A libpq URL, with a `connect_timeout` (see [`POSTGRES_CONNECT_TIMEOUT_S`]).
    Postgres(String),
}

/// Seconds libpq waits for a PostgreSQL server to answer before giving up, unless the URL says otherwise.
/// Without it, a server that accepts the TCP connection but never speaks (a stopped VM, a half-open
/// firewall) made start-up hang forever, silently.
pub const POSTGRES_CONNECT_TIMEOUT_S: u32 = 10;

impl DatabaseUrl {
    /// `postgres://…` or `postgresql://…`, `sqlite://PATH` (or `sqlite:PATH`), or a plain file path. Anything
    /// that looks like another form (libpq's `host=… dbname=…`, another scheme) is refused rather than taken
    /// as the name of a new, empty SQLite file.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let raw = raw.trim();
        if raw.starts_with("postgres://") || raw.starts_with("postgresql://") {
            return Ok(Self::Postgres(with_default_connect_timeout(raw)));
        }
        if let Some(url_form) = libpq_keywords_as_url(raw) {
            return Err(format!(
                "this is libpq's keyword form, which smsdesk does not read; use the URL form: {url_form} \
                 (postgres://USER:PASSWORD@HOST:PORT/DATABASE)"
            ));
        }
        if let Some((scheme, _)) = raw.split_once("://")
            && scheme != "sqlite"
        {
            return Err(format!(
                "unsupported scheme {scheme:?}; expected postgres://…, postgresql://…, sqlite://PATH or a file path"
            ));
        }
        let path = raw.strip_prefix("sqlite://").or_else(|| raw.strip_prefix("sqlite:")).unwrap_or(raw);
        if path.is_empty() {
            return Err("expected postgres://… or a SQLite file path".into());
        }
        if path == ":memory:" || path.starts_with("file::memory:") {
            // Each pooled connection would see its own empty database.
            return Err("an in-memory SQLite database cannot be shared by the connection pool; use a file path".into());
        }
        Ok(Self::Sqlite(PathBuf::from(path)))
    }
}

/// The URL with `connect_timeout=10` added to its query, unless it sets `connect_timeout` itself. Appended
/// as text: re-serialising through a URL parser could re-encode a password or a socket directory.
fn with_default_connect_timeout(url: &str) -> String {
    let (before_fragment, fragment) = match url.split_once('#') {
        Some((before, fragment)) => (before, Some(fragment)),
        None => (url, None),
    };
    let query = before_fragment.split_once('?').map(|(_, query)| query);
    let has_timeout = query.is_some_and(|q| q.split('&').any(|pair| pair.split('=').next() == Some("connect_timeout")));
    if has_timeout {
        return url.to_owned();
    }
    let separator = match query {
        None => "?",
        Some("") => "",
        Some(_) => "&",
    };
    let mut with_timeout = format!("{before_fragment}{separator}connect_timeout={POSTGRES_CONNECT_TIMEOUT_S}");
    if let Some(fragment) = fragment {
        with_timeout.push('#');
        with_timeout.push_str(fragment);
    }
    with_timeout
}

/// For a libpq keyword string (`host=127.0.0.1 dbname=smsdesk`), the same connection as a URL (the password,
/// if any, left as a placeholder: it must not be echoed to a terminal or a log). `None` for anything else.
/// A keyword string starts with `word=`; a path never does unless someone named a file that way.
fn libpq_keywords_as_url(raw: &str) -> Option<String> {
    let first = raw.split_whitespace().next()?;
    let (key, _) = first.split_once('=')?;
    if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return None;
    }
    let pairs: Vec<(&str, &str)> = raw.split_whitespace().filter_map(|pair| pair.split_once('=')).collect();
    let get = |name: &str| pairs.iter().find(|(key, _)| *key == name).map(|(_, value)| value.trim_matches('\''));
    let user = match (get("user"), get("password")) {
        (Some(user), Some(_)) => format!("{user}:PASSWORD@"),
        (Some(user), None) => format!("{user}@"),
        (None, _) => String::new(),
    };
    let host = get("host").or(get("hostaddr")).unwrap_or("localhost");
    let port = get("port").map(|port| format!(":{port}")).unwrap_or_default();
    let database = get("dbname").unwrap_or("DATABASE");
    Some(format!("postgres://{user}{host}{port}/{database}"))
}

#[derive(Debug, Clone)]
pub struct DatabaseSettings {
    pub url: DatabaseUrl,
    /// Connections in the read pool.
    pub pool_size: u32,
    /// PostgreSQL: connections writes run on, each write a transaction of its own (SQLite has one writer).
    pub writers: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicUrl(String);

impl PublicUrl {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let url = Url::parse(raw.trim()).map_err(|e| format!("not a URL: {e}"))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err("must start with http:// or https://".into());
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err("must not carry a query string or fragment".into());
        }
        // The gateways are given PUBLIC_URL + /webhooks/…; a PUBLIC_URL that already holds that path signs
        // every webhook for a URL we are never called at, and every one of them got 403.
        if format!("{}/", url.path().trim_end_matches('/')).contains("/webhooks/") {
            let mut base = url.clone();
            base.set_path("");
            return Err(format!(
                "must be the base address smsdesk is reached at, without /webhooks/… (e.g. {}): smsdesk adds \
                 the webhook paths itself",
                base.as_str().trim_end_matches('/')
            ));
        }
        Ok(Self(url.as_str().trim_end_matches('/').to_owned()))
    }

    /// The full URL a gateway called, given the request's path and query as this server received it.
    pub fn join(&self, path_and_query: &str) -> String {
        format!("{}{}", self.0, path_and_query)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Debug, Clone)]
pub enum GatewaySettings {
    /// Logs each message and marks it sent: for development and trying smsdesk out.
    Console,
    Twilio(TwilioApiSettings),
    MessageBird(MessageBirdApiSettings),
}

impl GatewaySettings {
    pub fn name(&self) -> &'static str {
        match self {
            Self::Console => "console",
            Self::Twilio(_) => "twilio",
            Self::MessageBird(_) => "messagebird",
        }
    }
}

#[derive(Debug, Clone)]
pub struct TwilioApiSettings {
    pub account_sid: String,
    pub auth_token: Secret,
    pub api_base: Url,
}

#[derive(Debug, Clone)]
pub struct MessageBirdApiSettings {
    pub access_key: Secret,
    pub api_base: Url,
}

#[derive(Debug, Clone)]
pub struct TwilioWebhookSettings {
    pub auth_token: Option<Secret>,
    /// Only false when an admin set `TWILIO_VERIFY_SIGNATURES=false`.
    pub verify_signatures: bool,
    /// Our Twilio number: the sender for conversations an agent starts.
    pub phone_number: Option<PhoneNumber>,
}

#[derive(Debug, Clone)]
pub struct MessageBirdWebhookSettings {
    pub signing_key: Option<Secret>,
    /// Only false when an admin set `MESSAGEBIRD_VERIFY_SIGNATURES=false`.
    pub verify_signatures: bool,
    /// Our MessageBird number: the channel for Flow webhooks, which do not say which number was texted.
    pub originator: Option<PhoneNumber>,
}

#[derive(Debug, Clone)]
pub struct DeliverySettings {
    /// Wait before the first retry; doubles with each further attempt.
    pub retry_base: Duration,
    pub retry_cap: Duration,
    /// Attempts before a message is marked failed.
    pub max_attempts: u32,
    /// How long a claimed message stays invisible to other workers: longer than one gateway call can take.
    pub lease: Duration,
    /// Gateway request timeout.
    pub send_timeout: Duration,
    /// Messages sent at once by one server process.
    pub concurrency: usize,
}

impl Default for DeliverySettings {
    fn default() -> Self {
        Self {
            retry_base: Duration::from_secs(1),
            retry_cap: Duration::from_secs(15 * 60),
            max_attempts: 20,
            lease: Duration::from_secs(45),
            send_timeout: Duration::from_secs(15),
            concurrency: 16,
        }
    }
}

/// A variable that is set to something we cannot use.
#[derive(Debug, thiserror::Error)]
#[error("{variable}: {problem}")]
pub struct ConfigError {
    pub variable: &'static str,
    pub problem: String,
}

const DEFAULT_TEMPLATE: &str = "Thanks for contacting customer support! Your ticket ID is {ticket_id}.";

impl Settings {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads settings through `lookup` (the environment in production, a map in tests).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let env = Env(&lookup);
        let database = DatabaseSettings {
            url: env.parse("DATABASE_URL", "sqlite://smsdesk.db", DatabaseUrl::parse)?,
            pool_size: env.parse("DATABASE_POOL_SIZE", "16", parse_pool_size)?,
            writers: env.parse("DATABASE_WRITERS", "4", parse_pool_size)?,
        };
        let bind_addr: SocketAddr = env.parse("BIND_ADDR", "127.0.0.1:8080", |raw| {
            raw.parse().map_err(|_| "expected host:port, e.g. 127.0.0.1:8080".to_owned())
        })?;
        let metrics_addr = env.optional("METRICS_ADDR", |raw| parse_metrics_addr(raw, bind_addr))?;
        let public_url = match env.get("PUBLIC_URL") {
            Some(raw) => PublicUrl::parse(&raw).map_err(|p| env.error("PUBLIC_URL", p))?,
            None => PublicUrl::parse(&format!("http://{bind_addr}")).map_err(|p| env.error("BIND_ADDR", p))?,
        };

        let twilio_auth_token = env.get("TWILIO_AUTH_TOKEN").map(Secret::new);
        // Parsed even when another gateway is chosen: a bad value is reported, never silently kept.
        let twilio_api_base = env.parse("TWILIO_API_BASE", "https://api.twilio.com", parse_api_base)?;
        let messagebird_api_base = env.parse("MESSAGEBIRD_API_BASE", "https://rest.messagebird.com", parse_api_base)?;
        let gateway = match env.get("SMS_GATEWAY").as_deref().unwrap_or("console") {
            "console" => GatewaySettings::Console,
            "twilio" => GatewaySettings::Twilio(TwilioApiSettings {
                account_sid: env.required("TWILIO_ACCOUNT_SID", "SMS_GATEWAY=twilio")?,
                auth_token: twilio_auth_token
                    .clone()
                    .ok_or_else(|| env.error("TWILIO_AUTH_TOKEN", "required when SMS_GATEWAY=twilio"))?,
                api_base: twilio_api_base,
            }),
            "messagebird" => GatewaySettings::MessageBird(MessageBirdApiSettings {
                access_key: Secret::new(env.required("MESSAGEBIRD_ACCESS_KEY", "SMS_GATEWAY=messagebird")?),
                api_base: messagebird_api_base,
            }),
            other => {
                return Err(env.error(
                    "SMS_GATEWAY",
                    format!("unknown gateway {other:?}; expected console, twilio or messagebird"),
                ));
            }
        };

        Ok(Self {
            database,
            bind_addr,
            public_url,
            gateway,
            twilio_webhook: TwilioWebhookSettings {
                auth_token: twilio_auth_token,
                verify_signatures: env.parse("TWILIO_VERIFY_SIGNATURES", "true", parse_bool)?,
                phone_number: env.optional("TWILIO_PHONE_NUMBER", parse_phone)?,
            },
            messagebird_webhook: MessageBirdWebhookSettings {
                signing_key: env.get("MESSAGEBIRD_SIGNING_KEY").map(Secret::new),
                verify_signatures: env.parse("MESSAGEBIRD_VERIFY_SIGNATURES", "true", parse_bool)?,
                originator: env.optional("MESSAGEBIRD_ORIGINATOR", parse_phone)?,
            },
            confirmation_template: env.parse("CONFIRMATION_TEMPLATE", DEFAULT_TEMPLATE, |raw| {
                ConfirmationTemplate::parse(raw).map_err(|e| e.to_string())
            })?,
            delivery: DeliverySettings::default(),
            frontend_dir: PathBuf::from(env.get("FRONTEND_DIR").unwrap_or_else(|| "frontend/dist".to_owned())),
            trusted_proxies: env.parse("TRUSTED_PROXIES", "", TrustedProxies::parse)?,
            request_body_timeout: env.parse("REQUEST_BODY_TIMEOUT", "10", parse_body_timeout)?,
            metrics_addr,
        })
    }
}

/// Environment access that turns every problem into a [`ConfigError`] naming the variable.
struct Env<'a>(&'a dyn Fn(&str) -> Option<String>);

impl Env<'_> {
    /// The variable's value; set-but-empty counts as unset, as in most `.env` conventions.
    fn get(&self, name: &str) -> Option<String> {
        (self.0)(name).filter(|value| !value.trim().is_empty())
    }

    fn error(&self, variable: &'static str, problem: impl Into<String>) -> ConfigError {
        ConfigError { variable, problem: problem.into() }
    }

    fn parse<T>(
        &self,
        name: &'static str,
        default: &str,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Result<T, ConfigError> {
        let raw = self.get(name).unwrap_or_else(|| default.to_owned());
        parse(&raw).map_err(|problem| self.error(name, problem))
    }

    fn optional<T>(
        &self,
        name: &'static str,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Result<Option<T>, ConfigError> {
        self.get(name).map(|raw| parse(&raw).map_err(|problem| self.error(name, problem))).transpose()
    }

    fn required(&self, name: &'static str, because: &str) -> Result<String, ConfigError> {
        self.get(name).ok_or_else(|| self.error(name, format!("required when {because}")))
    }
}

fn parse_bool(raw: &str) -> Result<bool, String> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Ok(true),
        "false" | "0" | "no" | "off" => Ok(false),
        _ => Err(format!("expected true or false, got {raw:?}")),
    }
}

fn parse_pool_size(raw: &str) -> Result<u32, String> {
    match raw.trim().parse::<u32>() {
        Ok(n) if (1..=512).contains(&n) => Ok(n),
        _ => Err(format!("expected a number from 1 to 512, got {raw:?}")),
    }
}

fn parse_body_timeout(raw: &str) -> Result<Duration, String> {
    match raw.trim().parse::<u64>() {
        Ok(seconds) if (1..=300).contains(&seconds) => Ok(Duration::from_secs(seconds)),
        _ => Err(format!("expected a number of seconds from 1 to 300, got {raw:?}")),
    }
}

/// A listener of its own: the public one must never serve the metrics.
fn parse_metrics_addr(raw: &str, bind_addr: SocketAddr) -> Result<SocketAddr, String> {
    let addr: SocketAddr =
        raw.trim().parse().map_err(|_| format!("expected host:port, e.g. 127.0.0.1:9464, got {raw:?}"))?;
    if addr.port() != 0
        && addr.port() == bind_addr.port()
        && (addr.ip() == bind_addr.ip() || addr.ip().is_unspecified() || bind_addr.ip().is_unspecified())
    {
        return Err(format!("{addr} is BIND_ADDR's port; metrics need a port of their own (e.g. 9464)"));
    }
    Ok(addr)
}

fn parse_api_base(raw: &str) -> Result<Url, String> {
    let url = Url::parse(raw.trim()).map_err(|e| format!("not a URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err("must start with http:// or https://".into());
    }
    Ok(url)
}

fn parse_phone(raw: &str) -> Result<PhoneNumber, String> {
    PhoneNumber::parse(raw).map_err(|e| e.to_string())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn settings(vars: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let map: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Settings::from_lookup(|name| map.get(name).cloned())
    }

    #[test]
    fn defaults_give_a_local_sqlite_console_setup() {
        let s = settings(&[]).unwrap();
        assert_eq!(s.database.url, DatabaseUrl::Sqlite("smsdesk.db".into()));
        assert_eq!(s.bind_addr.to_string(), "127.0.0.1:8080");
        assert_eq!(s.public_url.as_str(), "http://127.0.0.1:8080");
        assert!(matches!(s.gateway, GatewaySettings::Console));
        assert!(s.twilio_webhook.verify_signatures);
        assert!(s.messagebird_webhook.verify_signatures);
    }

    #[test]
    fn database_url_accepts_postgres_sqlite_scheme_and_plain_paths() {
        assert_eq!(
            DatabaseUrl::parse("postgres://u@h/db").unwrap(),
            DatabaseUrl::Postgres("postgres://u@h/db?connect_timeout=10".into())
        );
        assert_eq!(DatabaseUrl::parse("sqlite:///var/x.db").unwrap(), DatabaseUrl::Sqlite("/var/x.db".into()));
        assert_eq!(DatabaseUrl::parse("data/x.db").unwrap(), DatabaseUrl::Sqlite("data/x.db".into()));
        assert!(DatabaseUrl::parse("sqlite://:memory:").is_err());
    }

    #[test]
    fn postgres_urls_get_a_connect_timeout_unless_they_set_one() {
        let cases = [
            ("postgresql://u@h/db", "postgresql://u@h/db?connect_timeout=10"),
            ("postgres://u@h/db?sslmode=require", "postgres://u@h/db?sslmode=require&connect_timeout=10"),
            ("postgres://u@h/db?", "postgres://u@h/db?connect_timeout=10"),
            ("postgres://u@h/db?connect_timeout=3", "postgres://u@h/db?connect_timeout=3"),
            (
                "postgres://u@h/db?sslmode=disable&connect_timeout=30",
                "postgres://u@h/db?sslmode=disable&connect_timeout=30",
            ),
            // A password with URL-encoded characters is passed on exactly as written.
            ("postgres://u:p%40ss%2F@h:5433/db", "postgres://u:p%40ss%2F@h:5433/db?connect_timeout=10"),
        ];
        for (raw, expected) in cases {
            assert_eq!(DatabaseUrl::parse(raw).unwrap(), DatabaseUrl::Postgres(expected.into()), "{raw}");
        }
    }

    #[test]
    fn libpq_keyword_strings_are_refused_with_the_url_form() {
        let err = DatabaseUrl::parse("host=127.0.0.1 dbname=smsdesk").unwrap_err();
        assert!(err.contains("postgres://127.0.0.1/smsdesk"), "{err}");
        let err = DatabaseUrl::parse("host=db port=5433 user=desk password=s3cret dbname=smsdesk").unwrap_err();
        assert!(err.contains("postgres://desk:PASSWORD@db:5433/smsdesk"), "{err}");
        assert!(!err.contains("s3cret"), "the password is not echoed: {err}");
        assert!(DatabaseUrl::parse("dbname=smsdesk").is_err());
        assert!(DatabaseUrl::parse("mysql://u@h/db").unwrap_err().contains("mysql"));
        // Paths stay paths, even odd ones.
        assert_eq!(DatabaseUrl::parse("data/a=b.db").unwrap(), DatabaseUrl::Sqlite("data/a=b.db".into()));
        assert_eq!(
            DatabaseUrl::parse("/var/lib/smsdesk.db").unwrap(),
            DatabaseUrl::Sqlite("/var/lib/smsdesk.db".into())
        );
        let err = settings(&[("DATABASE_URL", "host=127.0.0.1 dbname=smsdesk")]).unwrap_err();
        assert_eq!(err.variable, "DATABASE_URL");
    }

    #[test]
    fn a_public_url_holding_a_webhook_path_is_refused_with_the_base_address() {
        for raw in [
            "https://desk.example.com/webhooks/twilio",
            "https://desk.example.com/webhooks/",
            "https://desk.example.com/webhooks",
            "https://desk.example.com/sms/webhooks/messagebird",
        ] {
            let err = PublicUrl::parse(raw).unwrap_err();
            assert!(err.contains("https://desk.example.com") && err.contains("/webhooks/"), "{raw}: {err}");
        }
        assert!(PublicUrl::parse("https://desk.example.com/webhooks-desk").is_ok());
        let err = settings(&[("PUBLIC_URL", "https://desk.example.com/webhooks/twilio")]).unwrap_err();
        assert_eq!(err.variable, "PUBLIC_URL");
    }

    #[test]
    fn bad_values_name_their_variable() {
        let cases: &[(&[(&str, &str)], &str)] = &[
            (&[("BIND_ADDR", "nope")], "BIND_ADDR"),
            (&[("PUBLIC_URL", "ftp://x")], "PUBLIC_URL"),
            (&[("SMS_GATEWAY", "pigeon")], "SMS_GATEWAY"),
            (&[("SMS_GATEWAY", "twilio")], "TWILIO_ACCOUNT_SID"),
            (&[("SMS_GATEWAY", "twilio"), ("TWILIO_ACCOUNT_SID", "AC1")], "TWILIO_AUTH_TOKEN"),
            (&[("SMS_GATEWAY", "messagebird")], "MESSAGEBIRD_ACCESS_KEY"),
            (&[("TWILIO_VERIFY_SIGNATURES", "maybe")], "TWILIO_VERIFY_SIGNATURES"),
            (&[("CONFIRMATION_TEMPLATE", "Thanks!")], "CONFIRMATION_TEMPLATE"),
            (&[("TWILIO_PHONE_NUMBER", "12")], "TWILIO_PHONE_NUMBER"),
            (&[("DATABASE_POOL_SIZE", "0")], "DATABASE_POOL_SIZE"),
            (&[("DATABASE_WRITERS", "none")], "DATABASE_WRITERS"),
            (&[("TWILIO_API_BASE", "not a url")], "TWILIO_API_BASE"),
            (&[("TRUSTED_PROXIES", "10.0.0.0/8, nginx")], "TRUSTED_PROXIES"),
            (&[("REQUEST_BODY_TIMEOUT", "0")], "REQUEST_BODY_TIMEOUT"),
            (&[("METRICS_ADDR", "9464")], "METRICS_ADDR"),
            (&[("METRICS_ADDR", "127.0.0.1:8080")], "METRICS_ADDR"),
            (&[("BIND_ADDR", "0.0.0.0:8080"), ("METRICS_ADDR", "10.0.0.5:8080")], "METRICS_ADDR"),
        ];
        for (vars, variable) in cases {
            let err = settings(vars).unwrap_err();
            assert_eq!(err.variable, *variable, "for {vars:?}");
            assert!(err.to_string().starts_with(variable));
        }
    }

    #[test]
    fn metrics_are_off_unless_an_address_is_given() {
        assert_eq!(settings(&[]).unwrap().metrics_addr, None);
        assert_eq!(settings(&[("METRICS_ADDR", " ")]).unwrap().metrics_addr, None);
        let on = settings(&[("METRICS_ADDR", "0.0.0.0:9464")]).unwrap();
        assert_eq!(on.metrics_addr, Some("0.0.0.0:9464".parse().unwrap()));
    }

    #[test]
    fn trusted_proxies_are_addresses_and_ranges() {
        let trusted = TrustedProxies::parse(" 10.0.0.0/8, 172.28.0.10 ,::1, fd00::/8").unwrap();
        for inside in ["10.1.2.3", "172.28.0.10", "::1", "fd12::1"] {
            assert!(trusted.contains(inside.parse().unwrap()), "{inside}");
        }
        for outside in ["11.0.0.1", "172.28.0.11", "::2", "2001:db8::1"] {
            assert!(!trusted.contains(outside.parse().unwrap()), "{outside}");
        }
        assert_eq!(settings(&[]).unwrap().trusted_proxies, TrustedProxies::default());
    }

    #[test]
    fn public_url_keeps_a_path_prefix_and_drops_the_trailing_slash() {
        let url = PublicUrl::parse("https://desk.example.com/sms/").unwrap();
        assert_eq!(url.join("/webhooks/twilio"), "https://desk.example.com/sms/webhooks/twilio");
    }

    #[test]
    fn secrets_are_redacted_in_debug_output() {
        let s = settings(&[("TWILIO_AUTH_TOKEN", "s3cr3t-token")]).unwrap();
        assert!(!format!("{s:?}").contains("s3cr3t-token"));
    }
}
