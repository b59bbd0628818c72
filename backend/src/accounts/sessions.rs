use std::time::Duration;

use diesel::prelude::*;

use super::tokens::{NewToken, hash_token};
use super::{Credential, Principal};
use crate::db::schema::{sessions, users};
use crate::db::{AnyConnection, now};
use crate::domain::{Role, UserId};

/// A browser stays signed in this long after signing in.
pub const SESSION_LIFETIME: Duration = Duration::from_secs(14 * 24 * 3600);

/// A new session's cookie value; its CSRF token is [`csrf_token_for`] it.
pub struct SessionTokens {
    pub session: NewToken,
}

impl SessionTokens {
    pub fn csrf_token(&self) -> String {
        csrf_token_for(&self.session.plain_text)
    }
}

/// The CSRF token of a session: derived from the session token, which only the browser holds (in an
/// HttpOnly cookie a hostile page cannot read), so nothing more is stored and a reloaded page can ask for it.
pub fn csrf_token_for(session_token: &str) -> String {
    hash_token(&format!("smsdesk-csrf:{session_token}"))
}

pub fn create_session(conn: &mut AnyConnection, user_id: UserId) -> QueryResult<SessionTokens> {
    let tokens = SessionTokens { session: NewToken::generate() };
    let now = now();
    diesel::insert_into(sessions::table)
        .values((
            sessions::user_id.eq(user_id),
            sessions::token_hash.eq(tokens.session.hash()),
            sessions::created_at.eq(now),
            sessions::expires_at.eq(now + chrono::Duration::seconds(SESSION_LIFETIME.as_secs() as i64)),
        ))
        .execute(conn)?;
    Ok(tokens)
}

/// The active user of an unexpired session, if any.
pub fn principal_for_session(conn: &mut AnyConnection, cookie: &str) -> QueryResult<Option<Principal>> {
    let found = conn.load_native::<_, (i64, UserId, Role)>(
        sessions::table
            .inner_join(users::table)
            .filter(sessions::token_hash.eq(hash_token(cookie)))
            .filter(sessions::expires_at.gt(now()))
            .filter(users::active.eq(true))
            .select((sessions::id, users::id, users::role)),
    )?;
    Ok(found.into_iter().next().map(|(session_id, user_id, role)| Principal {
        user_id,
        role,
        via: Credential::Session { session_id, csrf_token: csrf_token_for(cookie) },
    }))
}

pub fn delete_session(conn: &mut AnyConnection, session_id: i64) -> QueryResult<()> {
    diesel::delete(sessions::table.find(session_id)).execute(conn).map(drop)
}
