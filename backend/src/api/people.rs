//! The team: a directory every agent can read, and the admin-only management of users, API tokens and
//! settings.

use actix_web::{HttpResponse, delete, get, patch, post, put, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::ErrorBody;
use super::auth::{Admin, Authenticated};
use super::body::Body;
use crate::accounts::{
    AccountError, ApiToken, NewUser, TeamMember, User, UserChanges, add_user, create_token as store_token,
    delete_token as drop_token, find_user, list_tokens as load_tokens, list_users as load_users, team_directory,
    update_user as store_user,
};
use crate::app_settings::{AppSettings, SettingsUpdate, save_settings};
use crate::db::StoreError;
use crate::domain::{EmailAddress, Password, PasswordHash, Role, UserId};
use crate::error::ApiError;
use crate::state::AppState;

/// Everyone on the team (names for assignment); any signed-in user may read it.
#[utoipa::path(
    tag = "session",
    responses((status = 200, body = Vec<TeamMember>), (status = 401, body = ErrorBody)),
    security(("bearer" = []), ("session" = []))
)]
#[get("/team")]
pub async fn team(_: Authenticated, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let members = state.db.read(|conn| team_directory(conn).map_err(StoreError::from)).await?;
    Ok(HttpResponse::Ok().json(members))
}

/// All users.
#[utoipa::path(
    tag = "admin",
    responses((status = 200, body = Vec<User>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = []), ("session" = []))
)]
#[get("/users")]
pub async fn list_users(_: Admin, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let users = state.db.read(|conn| load_users(conn).map_err(StoreError::from)).await?;
    Ok(HttpResponse::Ok().json(users))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    #[schema(example = "ana@example.com")]
    email: String,
    #[schema(min_length = 1, max_length = 100)]
    name: String,
    role: Role,
    /// At least 10 characters. Without one the user can only use API tokens until an admin sets one.
    #[schema(min_length = 10, max_length = 256)]
    password: Option<String>,
}

/// Add a user.
#[utoipa::path(
    tag = "admin",
    request_body = CreateUser,
    responses(
        (status = 201, body = User),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 409, description = "The email is taken", body = ErrorBody),
        (status = 422, body = ErrorBody),
    ),
    security(("bearer" = []), ("session" = []))
)]
#[post("/users")]
pub async fn create_user(
    _: Admin,
    body: Body<CreateUser>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let CreateUser { email, name, role, password } = body.into_inner();
    let email = EmailAddress::parse(&email).map_err(|e| ApiError::unprocessable("invalid_email", e.to_string()))?;
    let password = hash_password(&state, password).await?;
    let user = state.db.write(move |conn| add_user(conn, NewUser { email, name, role, password })).await?;
    Ok(HttpResponse::Created().json(user))
}

/// One user.
#[utoipa::path(
    tag = "admin",
    params(("id" = i64, Path)),
    responses((status = 200, body = User), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = []), ("session" = []))
)]
#[get("/users/{id}")]
pub async fn get_user(_: Admin, id: web::Path<i64>, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let id = UserId(id.into_inner());
    let user = state
        .db
        .read(move |conn| find_user(conn, id).map_err(StoreError::from))
        .await?
        .ok_or_else(|| ApiError::from(AccountError::NotFound))?;
    Ok(HttpResponse::Ok().json(user))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUser {
    #[schema(min_length = 1, max_length = 100)]
    name: Option<String>,
    role: Option<Role>,
    /// A new password; it ends the user's browser sessions.
    #[schema(min_length = 10, max_length = 256)]
    password: Option<String>,
    /// `false` deactivates: the user's sessions and tokens stop working at once.
    active: Option<bool>,
}

/// Rename, change role, set a password, deactivate or reactivate a user.
#[utoipa::path(
    tag = "admin",
    params(("id" = i64, Path)),
    request_body = UpdateUser,
    responses(
        (status = 200, body = User),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "Would leave no active admin", body = ErrorBody),
        (status = 422, body = ErrorBody),
    ),
    security(("bearer" = []), ("session" = []))
)]
#[patch("/users/{id}")]
pub async fn update_user(
    _: Admin,
    id: web::Path<i64>,
    body: Body<UpdateUser>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = UserId(id.into_inner());
    let UpdateUser { name, role, password, active } = body.into_inner();
    let password = hash_password(&state, password).await?;
    let changes = UserChanges { name, role, password, active };
    let user = state.db.write(move |conn| store_user(conn, id, changes)).await?;
    Ok(HttpResponse::Ok().json(user))
}

/// Checks and hashes a password on the blocking pool (argon2 is deliberately slow).
async fn hash_password(state: &AppState, raw: Option<String>) -> Result<Option<PasswordHash>, ApiError> {
    let Some(raw) = raw else { return Ok(None) };
    Ok(Some(state.passwords.hash(Password::parse(raw)?).await?))
}

/// All API tokens (never their secrets).
#[utoipa::path(
    tag = "admin",
    responses((status = 200, body = Vec<ApiToken>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = []), ("session" = []))
)]
#[get("/tokens")]
pub async fn list_tokens(_: Admin, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let tokens = state.db.read(|conn| load_tokens(conn).map_err(StoreError::from)).await?;
    Ok(HttpResponse::Ok().json(tokens))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateToken {
    /// What the token is for, e.g. "CRM sync".
    #[schema(min_length = 1, max_length = 100)]
    name: String,
    /// Whose token it is (default: the admin creating it). It acts with that user's role.
    user_id: Option<UserId>,
}

#[derive(Serialize, ToSchema)]
pub struct CreatedToken {
    #[serde(flatten)]
    listed: ApiToken,
    /// The secret: shown this once, only its hash is stored.
    token: String,
}

/// Create a named API token; its secret is in this answer only.
#[utoipa::path(
    tag = "admin",
    request_body = CreateToken,
    responses(
        (status = 201, body = CreatedToken),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody),
    ),
    security(("bearer" = []), ("session" = []))
)]
#[post("/tokens")]
pub async fn create_token(
    Admin(admin): Admin,
    body: Body<CreateToken>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let CreateToken { name, user_id } = body.into_inner();
    let name = name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(ApiError::unprocessable("invalid_name", "The token's name must be 1 to 100 characters."));
    }
    let owner = user_id.unwrap_or(admin.user_id);
    let created = state
        .db
        .write(move |conn| -> Result<_, ApiError> {
            let exists = find_user(conn, owner).map_err(StoreError::from)?.is_some_and(|u| u.active);
            if !exists {
                return Err(ApiError::unprocessable("invalid_user", "The token's user must be an active user."));
            }
            Ok(store_token(conn, owner, &name).map_err(StoreError::from)?)
        })
        .await?;
    let (listed, token) = created;
    Ok(HttpResponse::Created().json(CreatedToken { listed, token: token.plain_text }))
}

/// Revoke an API token.
#[utoipa::path(
    tag = "admin",
    params(("id" = i64, Path)),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = []), ("session" = []))
)]
#[delete("/tokens/{id}")]
pub async fn delete_token(_: Admin, id: web::Path<i64>, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let deleted = state.db.write(move |conn| drop_token(conn, id).map_err(StoreError::from)).await?;
    if !deleted {
        return Err(ApiError::not_found("There is no such token."));
    }
    Ok(HttpResponse::NoContent().finish())
}

/// The settings in effect.
#[utoipa::path(
    tag = "admin",
    responses((status = 200, body = AppSettings), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = []), ("session" = []))
)]
#[get("/settings")]
pub async fn get_settings(_: Admin, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(state.settings.refresh(&state.db).await?.view()))
}

/// Change settings; fields left out keep their value. Other server processes pick changes up within seconds.
#[utoipa::path(
    tag = "admin",
    request_body = SettingsUpdate,
    responses(
        (status = 200, body = AppSettings),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 422, description = "A value out of range (`invalid_setting`), or a confirmation template with an unknown placeholder (`unknown_placeholder`), one it may not use (`placeholder_not_allowed`) or a `{` never closed (`unclosed_brace`); `field` names the setting", body = ErrorBody),
    ),
    security(("bearer" = []), ("session" = []))
)]
#[put("/settings")]
pub async fn put_settings(
    _: Admin,
    body: Body<SettingsUpdate>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let update = body.into_inner();
    state.db.write(move |conn| save_settings(conn, &update)).await?;
    Ok(HttpResponse::Ok().json(state.settings.refresh(&state.db).await?.view()))
}
