//! `Body<T>`: a JSON request body that must be an object, with no NUL character in any string.
//!
//! serde fills a struct from a JSON array too (field by field, in declaration order), so with plain
//! `web::Json<T>` a body like `[null, null, null, false]` could deactivate a user. Every API body is
//! described as an object; anything else is refused with 422.
//!
//! PostgreSQL's `text` cannot hold U+0000: a name, e-mail, template or message with `\u0000` in it would fail
//! its insert with a 500 (and a template would break every later confirmation). No field of the API has a
//! use for it, so it is refused here, once for every body, with 422 `invalid_character` naming the field.

use std::future::Future;
use std::pin::Pin;

use actix_web::{FromRequest, HttpRequest, dev::Payload, web};
use serde::de::DeserializeOwned;

use crate::error::ApiError;

pub struct Body<T>(pub T);

impl<T> Body<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for Body<T> {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, actix_web::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        // Size limit, content type and syntax errors: the app's JsonConfig answers those (413, 415, 400).
        let json = web::Json::<serde_json::Value>::from_request(req, payload);
        Box::pin(async move {
            let value = json.await?.into_inner();
            if !value.is_object() {
                return Err(ApiError::unprocessable("invalid_body", "The body must be a JSON object.").into());
            }
            if let Some(field) = field_with_nul(&value, "") {
                return Err(ApiError::unprocessable(
                    "invalid_character",
                    format!("{field} contains a NUL character (U+0000), which cannot be stored. Remove it."),
                )
                .into());
            }
            serde_json::from_value(value)
                .map(Body)
                .map_err(|e| ApiError::unprocessable("invalid_body", e.to_string()).into())
        })
    }
}

/// The path (`name`, `members[2]`) of the first string, or object key, in `value` that contains a NUL.
fn field_with_nul(value: &serde_json::Value, path: &str) -> Option<String> {
    use serde_json::Value;
    match value {
        Value::String(s) if s.contains('\0') => {
            Some(if path.is_empty() { "The body".to_owned() } else { path.to_owned() })
        }
        Value::Array(items) => {
            items.iter().enumerate().find_map(|(i, item)| field_with_nul(item, &format!("{path}[{i}]")))
        }
        Value::Object(fields) => fields.iter().find_map(|(key, item)| {
            let here = if path.is_empty() { key.clone() } else { format!("{path}.{key}") };
            if key.contains('\0') {
                return Some(format!("A field name ({})", here.replace('\0', "\\u0000")));
            }
            field_with_nul(item, &here)
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::field_with_nul;

    #[test]
    fn a_nul_anywhere_is_found_and_named() {
        assert_eq!(field_with_nul(&json!({"name": "Ana", "n": 1, "ok": [true, null]}), ""), None);
        assert_eq!(field_with_nul(&json!({"name": "A\0na"}), "").as_deref(), Some("name"));
        assert_eq!(field_with_nul(&json!({"a": {"b": ["x", "y\0"]}}), "").as_deref(), Some("a.b[1]"));
        assert!(field_with_nul(&json!({"k\0": 1}), "").is_some_and(|f| f.starts_with("A field name")));
    }
}
