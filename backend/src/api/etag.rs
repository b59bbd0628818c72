//! Cheap polling: responses carry a strong `ETag` computed from a change stamp (a few indexed maxima), so an
//! unchanged poll is answered `304 Not Modified` after one small query, before any list is loaded.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::tickets::ChangeStamp;

/// Bump when a response's JSON shape changes, so clients holding old ETags get the new shape.
const FORMAT_VERSION: &str = "1";

/// A strong ETag for what this request would get, given the data's change stamp. The request's query
/// string and the viewer are part of it: different filters and different agents see different answers.
pub fn etag(stamp: &ChangeStamp, req: &HttpRequest, viewer: i64) -> String {
    let mut hash = Sha256::new();
    for part in [FORMAT_VERSION, req.path(), req.query_string(), &viewer.to_string()] {
        hash.update(part.as_bytes());
        hash.update([0]);
    }
    for part in stamp.parts() {
        hash.update(part.as_bytes());
        hash.update([0]);
    }
    format!("\"{}\"", &hex::encode(hash.finalize())[..32])
}

/// A strong ETag for a small answer computed in full anyway: the answer itself (hashed), the path, the
/// query and the viewer.
pub fn etag_of_value<T: std::hash::Hash>(value: &T, req: &HttpRequest, viewer: i64) -> String {
    use std::hash::{DefaultHasher, Hasher};
    let mut hasher = DefaultHasher::new();
    value.hash(&mut hasher);
    etag(&ChangeStamp::from_parts(vec![hasher.finish().to_string()]), req, viewer)
}

/// Whether the client already holds this version (`If-None-Match`, strong comparison).
pub fn client_has(req: &HttpRequest, etag: &str) -> bool {
    req.headers()
        .get_all(header::IF_NONE_MATCH)
        .filter_map(|v| v.to_str().ok())
        .any(|value| value.split(',').map(str::trim).any(|candidate| candidate == "*" || candidate == etag))
}

pub fn not_modified(etag: &str) -> HttpResponse {
    HttpResponse::NotModified()
        .insert_header((header::ETAG, etag.to_owned()))
        .insert_header((header::CACHE_CONTROL, "private, no-cache"))
        .finish()
}

pub fn ok_json<T: Serialize>(etag: &str, body: &T) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::ETAG, etag.to_owned()))
        .insert_header((header::CACHE_CONTROL, "private, no-cache"))
        .json(body)
}
