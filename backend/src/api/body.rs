//! `Body<T>`: a JSON request body that must be an object.
//!
//! serde fills a struct from a JSON array too (field by field, in declaration order), so with plain
//! `web::Json<T>` a body like `[null, null, null, false]` could deactivate a user. Every API body is
//! described as an object; anything else is refused with 422.

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
            serde_json::from_value(value)
                .map(Body)
                .map_err(|e| ApiError::unprocessable("invalid_body", e.to_string()).into())
        })
    }
}
