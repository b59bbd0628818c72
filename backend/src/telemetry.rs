//! Logging: `RUST_LOG` filters (default `info`); `LOG_FORMAT=json` for log shippers.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

pub fn init() {
    // actix logs every malformed HTTP request at ERROR; any client could fill the log with them.
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,actix_http::h1::dispatcher=off"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal());
    let _ = if std::env::var("LOG_FORMAT").is_ok_and(|f| f == "json") {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}
