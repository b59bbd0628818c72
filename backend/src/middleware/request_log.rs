//! Every request gets an id and one access-log line.
//!
//! The id is the proxy's `X-Request-Id` when it sent a sane one (nginx's `$request_id`), else a new UUID. It
//! is returned in `X-Request-Id` on every answer and is a field of a tracing span around the request, so
//! every line logged while the request is handled (its handler, its database work) carries it: an error an
//! agent reports with the id from their browser leads straight to the log lines.
//!
//! The access line (target `smsdesk::access`) names the route's pattern (`/api/tickets/{id}`), never the
//! path as sent: paths and query strings can hold phone numbers and tokens. It costs one line per request on
//! stderr; `RUST_LOG=info,smsdesk::access=off` turns it off.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage};
use tracing::Instrument;

use crate::api::ClientAddress;
use crate::config::TrustedProxies;

pub const REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// The route of a request no route claimed (the dashboard's files and routes, unknown paths), in the access log
/// and as the HTTP metrics' `route` label.
pub const UNMATCHED_ROUTE: &str = "unmatched";

/// A request's id: from the proxy when sane, else generated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(String);

impl RequestId {
    /// An id from outside is kept only when it is short and plain: it goes into every log line of the
    /// request, where spaces, quotes or control characters could forge or break lines. UUIDs, nginx's
    /// 32 hex digits and the usual tracing formats pass.
    pub fn from_header(value: Option<&HeaderValue>) -> Self {
        value
            .and_then(|v| v.to_str().ok())
            .filter(|id| {
                (1..=128).contains(&id.len())
                    && id.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':' | b'@'))
            })
            .map_or_else(Self::generate, |id| Self(id.to_owned()))
    }

    pub fn generate() -> Self {
        Self(uuid::Uuid::new_v4().to_string())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Debug, Clone)]
pub struct RequestLog {
    /// To log the client's address as [`ClientAddress`] resolves it.
    pub trusted_proxies: Arc<TrustedProxies>,
}

impl RequestLog {
    pub async fn apply(
        self,
        req: ServiceRequest,
        next: Next<impl MessageBody + 'static>,
    ) -> Result<ServiceResponse<impl MessageBody>, Error> {
        let started = Instant::now();
        let id = RequestId::from_header(req.headers().get(REQUEST_ID_HEADER));
        let client = self.client_address(&req);
        let method = req.method().clone();
        req.extensions_mut().insert(id.clone());
        let span = tracing::info_span!("request", request_id = %id.as_str());
        let answered = next.call(req).instrument(span.clone()).await;
        let duration_ms = started.elapsed().as_micros() as f64 / 1000.0;
        let mut response = match answered {
            Ok(response) => response,
            Err(error) => {
                // Only a middleware's own failure lands here (handlers' errors are answers by now), and the
                // request is gone with it, so no answer can be built to carry the id: log the line, at least.
                let status = error.as_response_error().status_code().as_u16();
                span.in_scope(|| access_line(&method, UNMATCHED_ROUTE, status, duration_ms, client));
                return Err(error);
            }
        };
        // The pattern of the resource that matched (`/api/tickets/{id}`); none for what fell through to the
        // default service.
        let route = response.request().match_pattern();
        let status = response.status().as_u16();
        span.in_scope(|| {
            access_line(&method, route.as_deref().unwrap_or(UNMATCHED_ROUTE), status, duration_ms, client)
        });
        if let Ok(value) = HeaderValue::from_str(id.as_str()) {
            response.headers_mut().insert(REQUEST_ID_HEADER, value);
        }
        Ok(response)
    }

    fn client_address(&self, req: &ServiceRequest) -> Option<IpAddr> {
        let peer = req.peer_addr()?;
        let forwarded_for: Vec<&str> =
            req.headers().get_all("x-forwarded-for").filter_map(|value| value.to_str().ok()).collect();
        Some(ClientAddress::resolve(peer.ip(), &forwarded_for, &self.trusted_proxies).0)
    }
}

fn access_line(method: &actix_web::http::Method, route: &str, status: u16, duration_ms: f64, client: Option<IpAddr>) {
    let client = client.map(|c| c.to_string()).unwrap_or_default();
    tracing::info!(
        target: "smsdesk::access",
        method = %method,
        route,
        status,
        duration_ms,
        client = %client,
        "request"
    );
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn from(raw: &str) -> RequestId {
        RequestId::from_header(Some(&HeaderValue::from_bytes(raw.as_bytes()).unwrap()))
    }

    #[test]
    fn sane_ids_are_kept_and_others_replaced() {
        for kept in ["0f8fad5b-d9cb-469f-a165-70867728950e", "6f1c1b1a2b3c4d5e6f7a8b9c0d1e2f3a", "req_42.a:b@c"] {
            assert_eq!(from(kept).as_str(), kept);
        }
        let too_long = "a".repeat(129);
        for replaced in ["", "has space", "quote\"d", "new\tline", "ünï", too_long.as_str()] {
            let id = from(replaced);
            assert_ne!(id.as_str(), replaced);
            assert!(uuid::Uuid::parse_str(id.as_str()).is_ok(), "{replaced:?} became {id:?}");
        }
        assert!(uuid::Uuid::parse_str(RequestId::from_header(None).as_str()).is_ok());
    }
}
