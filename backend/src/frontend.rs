//! Serves the dashboard: the single-page app's build output (`frontend/dist`, or `FRONTEND_DIR`). Files
//! are served as they are; any other GET outside the API is an app route and gets `index.html`, which the
//! app's router resolves in the browser.

use std::path::{Path, PathBuf};

use actix_files::NamedFile;
use actix_web::http::header::{self, CacheControl, CacheDirective, ContentEncoding, HeaderValue};
use actix_web::{HttpRequest, HttpResponse};

/// Paths the app never owns: unknown ones there answer a JSON 404/405, not the dashboard. `/metrics` is
/// served on `METRICS_ADDR` only; here it is a 404, never the dashboard looking like a 200 to a scraper.
const SERVER_PREFIXES: [&str; 5] = ["/api", "/webhooks", "/healthz", "/readyz", "/metrics"];

#[derive(Debug, Clone)]
pub struct Frontend {
    dir: PathBuf,
}

impl Frontend {
    pub fn new(dir: PathBuf) -> Self {
        Self { dir }
    }

    /// Whether the app may answer this path (it is not the server's own).
    pub fn owns(path: &str) -> bool {
        !SERVER_PREFIXES
            .iter()
            .any(|prefix| path.strip_prefix(prefix).is_some_and(|rest| rest.is_empty() || rest.starts_with('/')))
    }

    /// The file the request names, `index.html` for an app route, or a 404 for a missing asset.
    pub async fn serve(&self, req: &HttpRequest) -> HttpResponse {
        let Some(relative) = safe_relative_path(req.path()) else {
            return not_found();
        };
        let candidate = self.dir.join(&relative);
        let (file, immutable) = if !relative.as_os_str().is_empty() && candidate.is_file() {
            // Vite names everything under assets/ by its content hash: it never changes.
            (candidate, relative.starts_with("assets"))
        } else if relative.extension().is_some() {
            return not_found();
        } else {
            (self.dir.join("index.html"), false)
        };
        // The build writes a gzipped copy beside each asset (frontend/scripts/precompress.mjs): the app's
        // JavaScript is a third of its size on the wire, at no CPU cost per request.
        let gzipped = (immutable && accepts_gzip(req)).then(|| precompressed(&file)).flatten();
        let opened = match &gzipped {
            Some(gz) => NamedFile::open_async(gz).await.map(|named| {
                named
                    .set_content_type(content_type_of(&file))
                    .set_content_encoding(ContentEncoding::Gzip)
                    .disable_content_disposition()
            }),
            None => NamedFile::open_async(&file).await,
        };
        match opened {
            Ok(named) => {
                let mut response = named.use_last_modified(!immutable).into_response(req);
                if immutable {
                    // Caches must keep the gzipped and the plain copy apart.
                    response.headers_mut().insert(header::VARY, HeaderValue::from_static("accept-encoding"));
                }
                let cache = if immutable {
                    CacheControl(vec![
                        CacheDirective::Public,
                        CacheDirective::MaxAge(31_536_000),
                        CacheDirective::Extension("immutable".into(), None),
                    ])
                } else {
                    CacheControl(vec![CacheDirective::NoCache])
                };
                if let Ok(value) = HeaderValue::from_str(&cache.to_string()) {
                    response.headers_mut().insert(header::CACHE_CONTROL, value);
                }
                response
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && file.ends_with("index.html") => not_built(&self.dir),
            Err(e) => {
                tracing::error!(error = %e, file = %file.display(), "cannot read the dashboard's files");
                actix_web::ResponseError::error_response(&crate::error::ApiError::internal(e))
            }
        }
    }
}

/// `file.gz`, if the build wrote one.
fn precompressed(file: &Path) -> Option<PathBuf> {
    let mut name = file.file_name()?.to_os_string();
    name.push(".gz");
    let gz = file.with_file_name(name);
    gz.is_file().then_some(gz)
}

fn content_type_of(file: &Path) -> actix_web::mime::Mime {
    actix_files::file_extension_to_mime(file.extension().and_then(|e| e.to_str()).unwrap_or_default())
}

/// Whether the client takes gzip (`Accept-Encoding: gzip`, not refused with `q=0`).
fn accepts_gzip(req: &HttpRequest) -> bool {
    req.headers().get_all(header::ACCEPT_ENCODING).filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(',')).any(
        |coding| {
            let mut parts = coding.split(';').map(str::trim);
            let name = parts.next().unwrap_or_default();
            let refused = parts.any(|p| p.strip_prefix("q=").and_then(|q| q.trim().parse::<f32>().ok()) == Some(0.0));
            (name.eq_ignore_ascii_case("gzip") || name == "*") && !refused
        },
    )
}

/// The request path as a path under the build directory: plain segments only, no `..`, no hidden files,
/// no backslashes or drive prefixes. `None` when it is anything else.
fn safe_relative_path(path: &str) -> Option<PathBuf> {
    let mut relative = PathBuf::new();
    for segment in path.split('/').filter(|s| !s.is_empty()) {
        let plain = segment.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '@' | '~'));
        if !plain || segment.starts_with('.') {
            return None;
        }
        relative.push(segment);
    }
    Some(relative)
}

fn not_found() -> HttpResponse {
    actix_web::ResponseError::error_response(&crate::error::ApiError::not_found("No such file."))
}

/// The dashboard is not built: say how to build it rather than show an empty page.
fn not_built(dir: &Path) -> HttpResponse {
    HttpResponse::ServiceUnavailable().content_type("text/html; charset=utf-8").body(format!(
        "<!doctype html><title>smsdesk</title><h1>The dashboard is not built</h1>\
         <p>smsdesk looked for it in <code>{}</code>. Run <code>make run</code> (which builds it), or \
         <code>npm ci &amp;&amp; npm run build</code> in <code>frontend/</code>, or set <code>FRONTEND_DIR</code>.</p>\
         <p>The API works without it: see <a href=\"/api/docs\">/api/docs</a>.</p>",
        html_escape(&dir.display().to_string())
    ))
}

fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_server_keeps_its_own_paths() {
        assert!(!Frontend::owns("/api"));
        assert!(!Frontend::owns("/api/tickets"));
        assert!(!Frontend::owns("/webhooks/twilio"));
        assert!(!Frontend::owns("/healthz"));
        assert!(!Frontend::owns("/readyz"));
        assert!(!Frontend::owns("/metrics"));
        assert!(Frontend::owns("/"));
        assert!(Frontend::owns("/tickets/12"));
        assert!(Frontend::owns("/apiary"));
    }

    #[test]
    fn only_plain_paths_reach_the_disk() {
        assert_eq!(safe_relative_path("/"), Some(PathBuf::new()));
        assert_eq!(safe_relative_path("/assets/index-B4x.js"), Some(PathBuf::from("assets/index-B4x.js")));
        assert_eq!(safe_relative_path("/tickets/12"), Some(PathBuf::from("tickets/12")));
        for bad in ["/../etc/passwd", "/assets/../../x", "/.env", "/a\\b", "/C:/x", "/%2e%2e/x", "/a b"] {
            assert_eq!(safe_relative_path(bad), None, "{bad}");
        }
    }
}
