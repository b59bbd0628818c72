//! Requests by method, route pattern and status, with their latency.
//!
//! The route is actix's pattern (`/api/tickets/{id}`), never the path, which may hold a phone number or a
//! ticket id; what no route claims (the dashboard's files and routes, unknown paths) is `unmatched`. So the
//! label sets are few and fixed by the code. Each set's counter and histogram are looked up in a map that
//! is replaced, never changed, when a new set first appears: a request reads it without a lock and records
//! with three atomic adds.

use std::collections::HashMap;
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::Error;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;
use arc_swap::ArcSwap;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;

use super::histogram::{Histogram, LATENCY_BUCKETS_US};
use crate::middleware::UNMATCHED_ROUTE;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct HttpLabels {
    pub method: &'static str,
    pub route: String,
    pub status: u16,
}

type Handles = (Counter, Histogram);

#[derive(Clone)]
pub struct HttpMetrics {
    pub(super) requests: Family<HttpLabels, Counter>,
    pub(super) durations: Family<HttpLabels, Histogram, fn() -> Histogram>,
    seen: Arc<ArcSwap<HashMap<HttpLabels, Handles>>>,
}

impl Default for HttpMetrics {
    fn default() -> Self {
        Self {
            requests: Family::default(),
            durations: Family::new_with_constructor(|| Histogram::seconds(LATENCY_BUCKETS_US)),
            seen: Arc::default(),
        }
    }
}

impl HttpMetrics {
    pub fn record(&self, labels: HttpLabels, took: Duration) {
        match self.seen.load().get(&labels) {
            Some((requests, duration)) => {
                requests.inc();
                duration.observe_duration(took);
            }
            None => self.first_of_its_kind(labels, took),
        }
    }

    /// A label set seen for the first time: its handles are made (under the family's lock, once) and
    /// published in a new map.
    #[cold]
    fn first_of_its_kind(&self, labels: HttpLabels, took: Duration) {
        let handles: Handles =
            (self.requests.get_or_create(&labels).clone(), self.durations.get_or_create(&labels).clone());
        handles.0.inc();
        handles.1.observe_duration(took);
        self.seen.rcu(|seen| {
            let mut seen = HashMap::clone(seen);
            seen.insert(labels.clone(), handles.clone());
            seen
        });
    }
}

/// The middleware: `None` when metrics are off (no `METRICS_ADDR`), so an unwatched server does no work.
/// An `Rc` per server worker, not an `Arc`: handing it to each request is then no shared atomic.
pub async fn measure(
    metrics: Option<Rc<HttpMetrics>>,
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let Some(metrics) = metrics else { return next.call(req).await };
    let started = Instant::now();
    let method = method_label(req.method());
    let route = req.match_pattern();
    let response = next.call(req).await;
    let status = match &response {
        Ok(response) => response.status(),
        Err(e) => e.as_response_error().status_code(),
    };
    let route = route.unwrap_or_else(|| UNMATCHED_ROUTE.to_owned());
    metrics.record(HttpLabels { method, route, status: status.as_u16() }, started.elapsed());
    response
}

/// The standard methods by name; anything else (any token is a valid method) is `other`, so a client
/// cannot make up label values.
fn method_label(method: &Method) -> &'static str {
    match method.as_str() {
        "GET" => "GET",
        "HEAD" => "HEAD",
        "POST" => "POST",
        "PUT" => "PUT",
        "PATCH" => "PATCH",
        "DELETE" => "DELETE",
        "OPTIONS" => "OPTIONS",
        _ => "other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_label_set_seen_again_counts_into_the_same_series() {
        let metrics = HttpMetrics::default();
        let labels = |status| HttpLabels { method: "POST", route: "/webhooks/twilio".into(), status };
        metrics.record(labels(200), Duration::from_millis(2));
        metrics.record(labels(200), Duration::from_millis(4));
        metrics.record(labels(403), Duration::from_millis(1));
        assert_eq!(metrics.requests.get_or_create(&labels(200)).get(), 2);
        assert_eq!(metrics.requests.get_or_create(&labels(403)).get(), 1);
        assert_eq!(metrics.seen.load().len(), 2);
    }

    #[test]
    fn made_up_methods_are_other() {
        assert_eq!(method_label(&Method::GET), "GET");
        assert_eq!(method_label(&Method::from_bytes(b"PROPFIND").unwrap_or(Method::TRACE)), "other");
    }
}
