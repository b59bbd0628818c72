//! People, their API tokens and browser sessions.

mod password_work;
mod preferences;
mod sessions;
mod sign_in;
mod throttle;
mod tokens;

pub use password_work::{PasswordWork, PasswordWorkError};
pub use preferences::{Preferences, PreferencesChange, preferences, update_preferences};
pub use sign_in::{SignInAttempt, SignInError, sign_in};

pub use sessions::{
    SESSION_LIFETIME, SessionTokens, create_session, csrf_token_for, delete_session, principal_for_session,
};
pub use throttle::forget_quiet_counts;
pub use tokens::{ApiToken, NewToken, create_token, delete_token, hash_token, list_tokens, principal_for_token};

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use crate::db::schema::{sessions as sessions_table, users};
use crate::db::{AnyConnection, StoreError, now};
use crate::domain::{EmailAddress, PasswordHash, Role, UserId};
use crate::json::utc;

/// Who a request acts for, and how it proved it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub user_id: UserId,
    pub role: Role,
    pub via: Credential,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    ApiToken,
    /// A browser session; its CSRF token must accompany every state-changing request.
    Session {
        session_id: i64,
        csrf_token: String,
    },
}

impl Principal {
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }
}

/// A person on the team, as admins see them.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Serialize, ToSchema)]
#[diesel(table_name = users)]
pub struct User {
    pub id: UserId,
    #[schema(value_type = String, format = "email")]
    pub email: String,
    pub name: String,
    pub role: Role,
    /// Deactivated users can neither sign in nor use their tokens.
    pub active: bool,
    #[serde(serialize_with = "utc")]
    pub created_at: NaiveDateTime,
    /// The agent set themselves away: round robin hands them no new tickets.
    pub away: bool,
}

/// A person on the team, as every agent sees them (for assignment and names).
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Serialize, ToSchema)]
#[diesel(table_name = users)]
pub struct TeamMember {
    pub id: UserId,
    pub name: String,
    pub role: Role,
    pub active: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("a user with email {0} already exists")]
    EmailTaken(String),
    #[error("no such user")]
    NotFound,
    #[error("the last active admin cannot be demoted or deactivated")]
    LastAdmin,
    #[error("the name must be 1 to 100 characters")]
    InvalidName,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<diesel::result::Error> for AccountError {
    fn from(e: diesel::result::Error) -> Self {
        Self::Store(e.into())
    }
}

/// A display name: trimmed, 1 to 100 characters.
pub fn parse_name(raw: &str) -> Result<String, AccountError> {
    let name = raw.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(AccountError::InvalidName);
    }
    Ok(name.to_owned())
}

pub struct NewUser {
    pub email: EmailAddress,
    pub name: String,
    pub role: Role,
    pub password: Option<PasswordHash>,
}

pub fn add_user(conn: &mut AnyConnection, user: NewUser) -> Result<User, AccountError> {
    let name = parse_name(&user.name)?;
    let taken: bool = diesel::select(diesel::dsl::exists(users::table.filter(users::email.eq(user.email.as_str()))))
        .get_result(conn)?;
    if taken {
        return Err(AccountError::EmailTaken(user.email.to_string()));
    }
    diesel::insert_into(users::table)
        .values((
            users::email.eq(user.email.as_str()),
            users::name.eq(&name),
            users::role.eq(user.role),
            users::password_hash.eq(user.password.map(|h| h.0)),
            users::active.eq(true),
            users::created_at.eq(now()),
        ))
        .execute(conn)?;
    Ok(users::table.filter(users::email.eq(user.email.as_str())).select(User::as_select()).first(conn)?)
}

pub fn list_users(conn: &mut AnyConnection) -> QueryResult<Vec<User>> {
    users::table.order(users::id.asc()).select(User::as_select()).load(conn)
}

pub fn find_user(conn: &mut AnyConnection, id: UserId) -> QueryResult<Option<User>> {
    users::table.find(id).select(User::as_select()).first(conn).optional()
}

pub fn team_directory(conn: &mut AnyConnection) -> QueryResult<Vec<TeamMember>> {
    users::table.order(users::name.asc()).select(TeamMember::as_select()).load(conn)
}

/// The user with this email and their password hash, for a sign-in attempt.
pub fn find_for_sign_in(conn: &mut AnyConnection, email: &EmailAddress) -> QueryResult<Option<(User, Option<String>)>> {
    users::table
        .filter(users::email.eq(email.as_str()))
        .select((User::as_select(), users::password_hash))
        .first(conn)
        .optional()
}

#[derive(Debug, Default)]
pub struct UserChanges {
    pub name: Option<String>,
    pub role: Option<Role>,
    pub password: Option<PasswordHash>,
    pub active: Option<bool>,
}

/// Applies an admin's changes. Deactivating a user ends their browser sessions at once (their tokens stop
/// working too: every request checks that the user is active). The last active admin stays an admin.
pub fn update_user(conn: &mut AnyConnection, id: UserId, changes: UserChanges) -> Result<User, AccountError> {
    let user = find_user(conn, id)?.ok_or(AccountError::NotFound)?;
    let stays_admin = changes.role.unwrap_or(user.role) == Role::Admin && changes.active.unwrap_or(user.active);
    if user.role == Role::Admin && user.active && !stays_admin {
        let other_admins: i64 = users::table
            .filter(users::role.eq(Role::Admin))
            .filter(users::active.eq(true))
            .filter(users::id.ne(id))
            .count()
            .get_result(conn)?;
        if other_admins == 0 {
            return Err(AccountError::LastAdmin);
        }
    }
    if let Some(name) = &changes.name {
        let name = parse_name(name)?;
        diesel::update(users::table.find(id)).set(users::name.eq(name)).execute(conn)?;
    }
    if let Some(role) = changes.role {
        diesel::update(users::table.find(id)).set(users::role.eq(role)).execute(conn)?;
    }
    if let Some(hash) = changes.password {
        diesel::update(users::table.find(id)).set(users::password_hash.eq(hash.0)).execute(conn)?;
        // A new password ends every browser session: whoever knew the old one is signed out.
        diesel::delete(sessions_table::table.filter(sessions_table::user_id.eq(id))).execute(conn)?;
    }
    if let Some(active) = changes.active {
        diesel::update(users::table.find(id)).set(users::active.eq(active)).execute(conn)?;
        if !active {
            diesel::delete(sessions_table::table.filter(sessions_table::user_id.eq(id))).execute(conn)?;
        }
    }
    find_user(conn, id)?.ok_or(AccountError::NotFound)
}
