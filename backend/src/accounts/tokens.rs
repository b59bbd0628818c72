use chrono::NaiveDateTime;
use diesel::prelude::*;
use rand::RngCore;
use serde::Serialize;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use super::{Credential, Principal};
use crate::db::schema::{api_tokens, users};
use crate::db::{AnyConnection, now};
use crate::domain::{Role, UserId};
use crate::json::{utc, utc_opt};

/// Every token starts with this, so secret scanners and people recognise a leaked one.
const TOKEN_PREFIX: &str = "smsdesk_";

/// A freshly made secret (API token, session or CSRF token): shown once, only its hash is stored.
pub struct NewToken {
    pub plain_text: String,
}

impl NewToken {
    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        Self { plain_text: format!("{TOKEN_PREFIX}{}", hex::encode(bytes)) }
    }

    pub fn hash(&self) -> String {
        hash_token(&self.plain_text)
    }
}

/// Tokens carry 256 random bits, so a plain SHA-256 is enough (no password-style stretching needed) and
/// keeps the per-request lookup an indexed equality match.
pub fn hash_token(plain_text: &str) -> String {
    hex::encode(Sha256::digest(plain_text.as_bytes()))
}

/// An API token as listed to admins; the secret itself is never shown again after creation.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Serialize, ToSchema)]
pub struct ApiToken {
    pub id: i64,
    pub name: String,
    pub user_id: UserId,
    #[schema(value_type = String, format = "email")]
    pub user_email: String,
    #[serde(serialize_with = "utc")]
    pub created_at: NaiveDateTime,
    #[serde(serialize_with = "utc_opt")]
    #[schema(required = true)]
    pub last_used_at: Option<NaiveDateTime>,
}

/// The active user a token belongs to, if any.
pub fn principal_for_token(conn: &mut AnyConnection, plain_text: &str) -> QueryResult<Option<Principal>> {
    let found = conn.load_native::<_, (UserId, Role)>(
        api_tokens::table
            .inner_join(users::table)
            .filter(api_tokens::token_hash.eq(hash_token(plain_text)))
            .filter(users::active.eq(true))
            .select((users::id, users::role)),
    )?;
    Ok(found.into_iter().next().map(|(user_id, role)| Principal { user_id, role, via: Credential::ApiToken }))
}

pub fn create_token(conn: &mut AnyConnection, user_id: UserId, name: &str) -> QueryResult<(ApiToken, NewToken)> {
    let token = NewToken::generate();
    diesel::insert_into(api_tokens::table)
        .values((
            api_tokens::user_id.eq(user_id),
            api_tokens::name.eq(name),
            api_tokens::token_hash.eq(token.hash()),
            api_tokens::created_at.eq(now()),
        ))
        .execute(conn)?;
    let listed = token_listing().filter(api_tokens::token_hash.eq(token.hash())).first::<ApiToken>(conn)?;
    Ok((listed, token))
}

#[allow(clippy::type_complexity)]
fn token_listing() -> diesel::dsl::Select<
    diesel::dsl::InnerJoin<api_tokens::table, users::table>,
    (
        api_tokens::id,
        api_tokens::name,
        api_tokens::user_id,
        users::email,
        api_tokens::created_at,
        api_tokens::last_used_at,
    ),
> {
    api_tokens::table.inner_join(users::table).select((
        api_tokens::id,
        api_tokens::name,
        api_tokens::user_id,
        users::email,
        api_tokens::created_at,
        api_tokens::last_used_at,
    ))
}

pub fn list_tokens(conn: &mut AnyConnection) -> QueryResult<Vec<ApiToken>> {
    token_listing().order(api_tokens::id.asc()).load(conn)
}

/// Revokes a token; `false` if there was none with this id.
pub fn delete_token(conn: &mut AnyConnection, id: i64) -> QueryResult<bool> {
    Ok(diesel::delete(api_tokens::table.find(id)).execute(conn)? == 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_prefixed_and_hashed() {
        let (a, b) = (NewToken::generate(), NewToken::generate());
        assert_ne!(a.plain_text, b.plain_text);
        assert!(a.plain_text.starts_with(TOKEN_PREFIX));
        assert_eq!(a.plain_text.len(), TOKEN_PREFIX.len() + 64);
        assert_eq!(a.hash(), hash_token(&a.plain_text));
        assert_ne!(a.hash(), a.plain_text);
    }
}
