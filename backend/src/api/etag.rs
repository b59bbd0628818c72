//! Cheap polling: responses carry a strong `ETag` computed from a change stamp (a few indexed maxima), so an
//! unchanged poll is answered `304 Not Modified` after one small query, before any list is loaded.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::tickets::ChangeStamp;

/// Bump when a response's JSON shape changes, so clients holding old ETags get the new shape.
const FORMAT_VERSION: &str = "2";

/// A conditional GET: what its ETag depends on besides the data (path, query string, viewer: different
/// filters and different agents see different answers) and the ETags the client already holds. It owns
/// what it needs, so the check can run inside the same database call that reads the change stamp: an
/// unchanged poll costs one trip to the database, a changed one still one.
pub struct Revalidation {
    request: Sha256,
    held: Vec<String>,
}

/// What a conditional GET found: the client's copy is current, or here is the new one.
pub enum Fresh<T> {
    Unchanged { etag: String },
    Changed { etag: String, body: T },
}

impl Revalidation {
    pub fn new(req: &HttpRequest, viewer: i64) -> Self {
        let mut request = Sha256::new();
        for part in [FORMAT_VERSION, req.path(), req.query_string(), &viewer.to_string()] {
            request.update(part.as_bytes());
            request.update([0]);
        }
        let held = req
            .headers()
            .get_all(header::IF_NONE_MATCH)
            .filter_map(|v| v.to_str().ok())
            .flat_map(|value| value.split(',').map(|candidate| candidate.trim().to_owned()))
            .collect();
        Self { request, held }
    }

    /// The strong ETag of the answer at this change stamp.
    fn etag(&self, stamp: &ChangeStamp) -> String {
        let mut hash = self.request.clone();
        for part in stamp.parts() {
            hash.update(part.as_bytes());
            hash.update([0]);
        }
        format!("\"{}\"", &hex::encode(hash.finalize())[..32])
    }

    /// Whether the client already holds this version (`If-None-Match`, strong comparison).
    fn client_has(&self, etag: &str) -> bool {
        self.held.iter().any(|candidate| candidate == "*" || candidate == etag)
    }

    /// `Unchanged` if the client holds the answer at `stamp`; otherwise loads it.
    pub fn check<T, E>(&self, stamp: &ChangeStamp, load: impl FnOnce() -> Result<T, E>) -> Result<Fresh<T>, E> {
        let etag = self.etag(stamp);
        if self.client_has(&etag) {
            return Ok(Fresh::Unchanged { etag });
        }
        Ok(Fresh::Changed { body: load()?, etag })
    }

    /// For a small answer computed in full anyway: its ETag is the answer itself, hashed, so the client gets
    /// `Unchanged` for as long as the value is the same, however busy the data behind it is.
    pub fn check_value<T: std::hash::Hash>(&self, value: T) -> Fresh<T> {
        use std::hash::{DefaultHasher, Hasher};
        let mut hasher = DefaultHasher::new();
        value.hash(&mut hasher);
        let etag = self.etag(&ChangeStamp::from_parts(vec![hasher.finish().to_string()]));
        if self.client_has(&etag) { Fresh::Unchanged { etag } } else { Fresh::Changed { etag, body: value } }
    }
}

impl<T: Serialize> Fresh<T> {
    pub fn respond(self) -> HttpResponse {
        match self {
            Fresh::Unchanged { etag } => not_modified(&etag),
            Fresh::Changed { etag, body } => ok_json(&etag, &body),
        }
    }
}

impl<T> Fresh<T> {
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Fresh<U> {
        match self {
            Fresh::Unchanged { etag } => Fresh::Unchanged { etag },
            Fresh::Changed { etag, body } => Fresh::Changed { etag, body: f(body) },
        }
    }
}

fn not_modified(etag: &str) -> HttpResponse {
    HttpResponse::NotModified()
        .insert_header((header::ETAG, etag.to_owned()))
        .insert_header((header::CACHE_CONTROL, "private, no-cache"))
        .finish()
}

fn ok_json<T: Serialize>(etag: &str, body: &T) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::ETAG, etag.to_owned()))
        .insert_header((header::CACHE_CONTROL, "private, no-cache"))
        .json(body)
}
