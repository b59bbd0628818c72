//! Signing in with an e-mail address and a password: the throttle, the password check and the session, in
//! the order that keeps guessing slow (see [`super::throttle`]).

use std::time::Duration;

use super::password_work::{PasswordWork, PasswordWorkError};
use super::throttle::{Settled, SignInCounts, SignInGate, reserve_attempt, settle_attempt};
use super::{SessionTokens, User, create_session, find_for_sign_in};
use crate::db::{Database, StoreError};
use crate::domain::EmailAddress;

/// Someone asking to sign in.
pub struct SignInAttempt {
    /// `None` when what was typed is not an e-mail address: no account can match, but the attempt still
    /// counts against the client.
    pub email: Option<EmailAddress>,
    pub password: String,
    /// The client's address as the throttle counts it ([`crate::api::ClientAddress::throttle_key`]).
    pub client: String,
}

#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    #[error("wrong e-mail address or password")]
    WrongCredentials,
    #[error("the account is deactivated")]
    Deactivated,
    #[error("too many failed sign-ins; try again in {0:?}")]
    Throttled(Duration),
    #[error("too many sign-ins at once")]
    Busy,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Failed(String),
}

/// Checks the attempt and, if the password is right and the account active, opens a browser session.
pub async fn sign_in(
    db: &Database,
    passwords: &PasswordWork,
    attempt: SignInAttempt,
) -> Result<(User, SessionTokens), SignInError> {
    let SignInAttempt { email, password, client } = attempt;
    let counts = SignInCounts::new(email.as_ref(), &client);
    let reserved = counts.clone();
    // Committed before the check: a parallel guess sees this attempt already counted.
    match db.write(move |conn| reserve_attempt(conn, &reserved).map_err(StoreError::from)).await? {
        SignInGate::Open => {}
        SignInGate::Wait(wait) => return Err(SignInError::Throttled(wait)),
    }
    let Some(email) = email else {
        // Not an address, so no account: nothing to check (and nothing an answer's timing could reveal).
        return Err(SignInError::WrongCredentials);
    };
    let found = db.read(move |conn| find_for_sign_in(conn, &email).map_err(StoreError::from)).await?;
    let stored_hash = found.as_ref().and_then(|(_, hash)| hash.clone());
    let matched = match passwords.verify(password, stored_hash).await {
        Ok(matched) => matched,
        Err(PasswordWorkError::Busy) => {
            let unchecked = counts.clone();
            db.write(move |conn| settle_attempt(conn, &unchecked, Settled::NotChecked).map_err(StoreError::from))
                .await?;
            return Err(SignInError::Busy);
        }
        Err(PasswordWorkError::Failed(e)) => return Err(SignInError::Failed(e)),
    };
    match found {
        Some((user, _)) if matched => {
            let user_id = user.id;
            let active = user.active;
            let tokens = db
                .write(move |conn| -> Result<_, StoreError> {
                    settle_attempt(conn, &counts, Settled::SignedIn)?;
                    // A deactivated account's right password is no guess: it settles, but opens nothing.
                    Ok(if active { Some(create_session(conn, user_id)?) } else { None })
                })
                .await?;
            tokens.map(|tokens| (user, tokens)).ok_or(SignInError::Deactivated)
        }
        // The reservation stands as the failure.
        _ => Err(SignInError::WrongCredentials),
    }
}
