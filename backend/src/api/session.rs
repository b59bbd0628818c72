//! `POST/DELETE /api/session` (browser sign-in) and `GET /api/me`.

use actix_web::cookie::{Cookie, SameSite, time::Duration as CookieDuration};
use actix_web::{HttpResponse, delete, get, post, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::ErrorBody;
use super::auth::{Authenticated, SESSION_COOKIE};
use super::body::Body;
use super::client::ClientAddress;
use crate::accounts::{self, Credential, SESSION_LIFETIME, SignInAttempt, User, delete_session, find_user};
use crate::db::StoreError;
use crate::domain::EmailAddress;
use crate::error::ApiError;
use crate::state::AppState;

#[derive(Deserialize, ToSchema)]
pub struct SignIn {
    #[schema(example = "ana@example.com")]
    email: String,
    password: String,
}

#[derive(Serialize, ToSchema)]
pub struct SessionInfo {
    user: User,
    /// Send it back as the `X-CSRF-Token` header on every state-changing request made with the session
    /// cookie. `null` when the request used an API token.
    #[schema(required = true)]
    csrf_token: Option<String>,
}

/// Sign in with email and password. Sets the `smsdesk_session` cookie (HttpOnly, SameSite=Lax).
/// Failed attempts are counted per account and client address, and per client address across accounts;
/// after a few, attempts must wait (429 with `Retry-After`). 503 with `Retry-After` when too many passwords
/// are being checked at once.
#[utoipa::path(
    tag = "session",
    request_body = SignIn,
    responses(
        (status = 200, description = "Signed in; the cookie is set", body = SessionInfo),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 401, description = "Wrong email or password", body = ErrorBody),
        (status = 403, description = "The account is deactivated", body = ErrorBody),
        (status = 422, description = "Missing fields, or a NUL character", body = ErrorBody),
        (status = 429, description = "Too many failed attempts; see Retry-After", body = ErrorBody),
        (status = 503, description = "Too many sign-ins at once; see Retry-After", body = ErrorBody),
    )
)]
#[post("/session")]
pub async fn sign_in(
    body: Body<SignIn>,
    client: ClientAddress,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let SignIn { email, password } = body.into_inner();
    let attempt = SignInAttempt { email: EmailAddress::parse(&email).ok(), password, client: client.throttle_key() };
    let (user, tokens) = accounts::sign_in(&state.db, &state.passwords, attempt).await?;
    let cookie = Cookie::build(SESSION_COOKIE, tokens.session.plain_text.clone())
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(state.public_url.as_str().starts_with("https://"))
        .max_age(CookieDuration::seconds(SESSION_LIFETIME.as_secs() as i64))
        .finish();
    Ok(HttpResponse::Ok().cookie(cookie).json(SessionInfo { user, csrf_token: Some(tokens.csrf_token()) }))
}

/// Sign out: ends the browser session and clears its cookie.
#[utoipa::path(
    tag = "session",
    responses(
        (status = 204, description = "Signed out"),
        (status = 401, body = ErrorBody),
        (status = 403, description = "Missing or wrong X-CSRF-Token", body = ErrorBody),
    ),
    security(("session" = []), ("bearer" = []))
)]
#[delete("/session")]
pub async fn sign_out(auth: Authenticated, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    if let Credential::Session { session_id, .. } = auth.0.via {
        state.db.write(move |conn| delete_session(conn, session_id).map_err(StoreError::from)).await?;
    }
    let mut removal = Cookie::build(SESSION_COOKIE, "").path("/").finish();
    removal.make_removal();
    Ok(HttpResponse::NoContent().cookie(removal).finish())
}

/// Who is signed in (and, for a browser session, its CSRF token).
#[utoipa::path(
    tag = "session",
    responses((status = 200, body = SessionInfo), (status = 401, body = ErrorBody)),
    security(("session" = []), ("bearer" = []))
)]
#[get("/me")]
pub async fn me(auth: Authenticated, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let user_id = auth.0.user_id;
    let user = state
        .db
        .read(move |conn| find_user(conn, user_id).map_err(StoreError::from))
        .await?
        .ok_or_else(|| ApiError::unauthorized("The user no longer exists."))?;
    let csrf_token = match auth.0.via {
        Credential::Session { csrf_token, .. } => Some(csrf_token),
        Credential::ApiToken => None,
    };
    Ok(HttpResponse::Ok().json(SessionInfo { user, csrf_token }))
}
