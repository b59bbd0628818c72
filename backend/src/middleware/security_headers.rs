//! Response headers that tell browsers to take the safe path: never guess a content type, never send our
//! URLs (ticket ids) to other sites, run only our own scripts on our pages, never show our pages in a frame,
//! and, when we are served over HTTPS, never try plain HTTP again.

use actix_web::Error;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;

/// For HTML pages (the dashboard, the API docs). Scripts, styles, fonts and fetches come from this origin
/// only, and no inline script runs, so injected markup cannot run code. Inline styles are allowed: the API
/// docs (Swagger UI) set them, and a style cannot run code. Images may be `data:` URLs (the dashboard's icon,
/// Swagger UI's).
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
     img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; \
     frame-ancestors 'none'";

/// A year, the usual minimum for browsers' preload lists. Subdomains are left out: they may be other
/// services of the company, not ours to decide for.
const STRICT_TRANSPORT_SECURITY: &str = "max-age=31536000";

#[derive(Debug, Clone, Copy)]
pub struct SecurityHeaders {
    /// `PUBLIC_URL` is https: browsers reach us over TLS only.
    pub https: bool,
}

impl SecurityHeaders {
    pub async fn apply(
        self,
        req: ServiceRequest,
        next: Next<impl MessageBody + 'static>,
    ) -> Result<ServiceResponse<impl MessageBody>, Error> {
        let mut response = next.call(req).await?;
        let headers = response.headers_mut();
        let set = |headers: &mut header::HeaderMap, name: HeaderName, value: &'static str| {
            headers.insert(name, HeaderValue::from_static(value));
        };
        set(headers, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
        set(headers, header::REFERRER_POLICY, "no-referrer");
        if self.https {
            set(headers, header::STRICT_TRANSPORT_SECURITY, STRICT_TRANSPORT_SECURITY);
        }
        let html = headers.get(header::CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(b"text/html"));
        if html {
            set(headers, header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY);
            set(headers, header::X_FRAME_OPTIONS, "DENY");
        }
        Ok(response)
    }
}
