//! Who is calling: an API token (`Authorization: Bearer …`) or a browser session (cookie), and for
//! sessions, the CSRF token that every state-changing request must carry.

use std::future::Future;
use std::pin::Pin;

use actix_web::http::{Method, header};
use actix_web::{FromRequest, HttpRequest, dev::Payload, web};

use crate::accounts::{Credential, Principal, principal_for_session, principal_for_token};
use crate::db::StoreError;
use crate::error::ApiError;
use crate::state::AppState;

pub const SESSION_COOKIE: &str = "smsdesk_session";
pub const CSRF_HEADER: &str = "X-CSRF-Token";

/// Admits any active user, by API token or browser session.
pub struct Authenticated(pub Principal);

/// Admits active admins only; agents get 403 `forbidden`.
pub struct Admin(pub Principal);

impl FromRequest for Authenticated {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let bearer = bearer_token(req);
        let cookie = req.cookie(SESSION_COOKIE).map(|c| c.value().to_owned());
        let csrf = req.headers().get(CSRF_HEADER).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let changes_state = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
        let state = req.app_data::<web::Data<AppState>>().cloned();
        Box::pin(async move {
            let state = state.ok_or_else(|| ApiError::internal("application state missing"))?;
            let principal = match (bearer, cookie) {
                // A request that sends a token is judged by it alone, never by a cookie it also carries.
                (Some(Bearer::Malformed), _) => {
                    return Err(ApiError::unauthorized("Send the token as: Authorization: Bearer <token>."));
                }
                (Some(Bearer::Token(token)), _) => state
                    .db
                    .read(move |conn| principal_for_token(conn, &token).map_err(StoreError::from))
                    .await?
                    .ok_or_else(|| ApiError::unauthorized("The API token is not valid, or its user is deactivated."))?,
                (None, Some(cookie)) => state
                    .db
                    .read(move |conn| principal_for_session(conn, &cookie).map_err(StoreError::from))
                    .await?
                    .ok_or_else(|| ApiError::unauthorized("The session has ended. Sign in again."))?,
                (None, None) => {
                    return Err(ApiError::unauthorized(
                        "Sign in, or send an API token in the Authorization header: Bearer <token>.",
                    ));
                }
            };
            if let Credential::Session { csrf_token, .. } = &principal.via
                && changes_state
                && !csrf.as_deref().is_some_and(|sent| constant_time_eq(sent.as_bytes(), csrf_token.as_bytes()))
            {
                return Err(ApiError::forbidden(
                    "csrf_token_invalid",
                    "Requests that change something must carry the session's X-CSRF-Token header.",
                ));
            }
            Ok(Authenticated(principal))
        })
    }
}

impl FromRequest for Admin {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let authenticated = Authenticated::from_request(req, payload);
        Box::pin(async move {
            let Authenticated(principal) = authenticated.await?;
            if !principal.is_admin() {
                return Err(ApiError::forbidden("forbidden", "Only admins may do this."));
            }
            Ok(Admin(principal))
        })
    }
}

enum Bearer {
    Token(String),
    Malformed,
}

fn bearer_token(req: &HttpRequest) -> Option<Bearer> {
    let value = req.headers().get(header::AUTHORIZATION)?;
    let parsed = value.to_str().ok().and_then(|v| v.trim().split_once(' ')).and_then(|(scheme, token)| {
        let token = token.trim();
        (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then(|| token.to_owned())
    });
    Some(parsed.map_or(Bearer::Malformed, Bearer::Token))
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
