//! Slows down password guessing without handing anyone a way to lock a user out.
//!
//! Every sign-in attempt is counted twice: per (account, client address), which slows the guesser down on
//! that account and no one else (the user signing in from their own address is not affected), and per client
//! address across accounts, which slows one password sprayed over many accounts. After a few free failures
//! each further attempt on a count must wait, doubling up to 15 minutes; an hour without failures forgets
//! them. The counts live in the database, so every replica agrees.
//!
//! An attempt is *reserved* before its password is checked: one transaction reads the counts, decides, and
//! counts the attempt as a failure in advance. Checking first and counting after let 40 simultaneous guesses
//! all be checked, since none had failed yet when the others looked. A right password gives its reservation
//! back ([`settle_attempt`]), as does an attempt the server was too busy to check.
//!
//! Keys are the hex SHA-256 of what they count, so neither e-mail addresses nor client addresses are stored.

use std::time::Duration;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use sha2::{Digest, Sha256};

use crate::db::schema::sign_in_throttle;
use crate::db::{AnyConnection, now};
use crate::domain::EmailAddress;
use crate::on_backend;

/// How many failures a count allows before attempts must wait, and how long the wait can grow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Limit {
    free_failures: i32,
    longest_wait: Duration,
}

/// One account from one address: a person mistyping gets five tries before the first one-second wait.
const ACCOUNT_FROM_CLIENT: Limit = Limit { free_failures: 5, longest_wait: Duration::from_secs(15 * 60) };
/// One address over all accounts: room for an office behind one address to mistype now and then, while a
/// spray of one password over many accounts is down to a few tries an hour after 30 or so.
const CLIENT: Limit = Limit { free_failures: 20, longest_wait: Duration::from_secs(15 * 60) };
/// A quiet hour forgives earlier failures.
const FORGET_AFTER: Duration = Duration::from_secs(3600);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignInGate {
    /// The attempt is reserved: check the password, then settle it.
    Open,
    /// Too many recent failures: try again after this long.
    Wait(Duration),
}

/// What an attempt is counted against.
#[derive(Debug, Clone)]
pub struct SignInCounts {
    /// Sorted by key: rows are locked in one order by every attempt, so two attempts never wait on each other
    /// in a circle.
    keys: Vec<(String, Limit)>,
    account: Option<String>,
}

impl SignInCounts {
    /// The counts of an attempt on `email` (`None` when what was typed is not an e-mail address at all) from
    /// `client` (see [`crate::api::ClientAddress::throttle_key`]).
    pub fn new(email: Option<&EmailAddress>, client: &str) -> Self {
        let account = email.map(|email| key(&format!("account {email} from {client}")));
        let mut keys = vec![(key(&format!("client {client}")), CLIENT)];
        keys.extend(account.clone().map(|key| (key, ACCOUNT_FROM_CLIENT)));
        keys.sort_by(|a, b| a.0.cmp(&b.0));
        Self { keys, account }
    }
}

fn key(counted: &str) -> String {
    hex::encode(Sha256::digest(counted.as_bytes()))
}

fn wait_after(limit: Limit, failures: i32) -> Duration {
    if failures < limit.free_failures {
        return Duration::ZERO;
    }
    let doublings = (failures - limit.free_failures).clamp(0, 20) as u32;
    Duration::from_secs(2u64.pow(doublings)).min(limit.longest_wait)
}

fn forgotten(last_failure_at: NaiveDateTime, now: NaiveDateTime) -> bool {
    (now - last_failure_at).to_std().unwrap_or_default() >= FORGET_AFTER
}

fn gate_at(limit: Limit, failures: i32, last_failure_at: NaiveDateTime, now: NaiveDateTime) -> SignInGate {
    if forgotten(last_failure_at, now) {
        return SignInGate::Open;
    }
    let since = (now - last_failure_at).to_std().unwrap_or_default();
    match wait_after(limit, failures).checked_sub(since) {
        Some(left) if !left.is_zero() => SignInGate::Wait(left),
        _ => SignInGate::Open,
    }
}

/// Reserves an attempt on every count, or on none if any of them says wait (the longest wait is returned).
/// Must run in a write transaction of its own, committed before the password is checked.
pub fn reserve_attempt(conn: &mut AnyConnection, counts: &SignInCounts) -> QueryResult<SignInGate> {
    let now = now();
    let keys: Vec<&str> = counts.keys.iter().map(|(key, _)| key.as_str()).collect();
    // Every count gets a row first, so that the rows can be locked: two first attempts at once then queue on
    // the row instead of both reading "no failures yet".
    for key in &keys {
        let row = (
            sign_in_throttle::key.eq(*key),
            sign_in_throttle::failures.eq(0),
            sign_in_throttle::last_failure_at.eq(now),
        );
        on_backend!(conn, |c| diesel::insert_into(sign_in_throttle::table)
            .values(row)
            .on_conflict_do_nothing()
            .execute(c))?;
    }
    let query = sign_in_throttle::table
        .filter(sign_in_throttle::key.eq_any(&keys))
        .order(sign_in_throttle::key.asc())
        .select((sign_in_throttle::key, sign_in_throttle::failures, sign_in_throttle::last_failure_at));
    // SQLite runs one write transaction at a time; PostgreSQL locks the rows until this one commits.
    let rows: Vec<(String, i32, NaiveDateTime)> = match conn {
        AnyConnection::Postgresql(pg) => query.for_update().load(pg)?,
        AnyConnection::Sqlite(sqlite) => query.load(sqlite)?,
    };
    let longest_wait = rows
        .iter()
        .filter_map(|(key, failures, last)| {
            let limit = counts.keys.iter().find(|(k, _)| k == key).map(|(_, limit)| *limit)?;
            match gate_at(limit, *failures, *last, now) {
                SignInGate::Wait(wait) => Some(wait),
                SignInGate::Open => None,
            }
        })
        .max();
    if let Some(wait) = longest_wait {
        return Ok(SignInGate::Wait(wait));
    }
    for (key, failures, last) in rows {
        let failures = if forgotten(last, now) { 1 } else { failures.saturating_add(1) };
        diesel::update(sign_in_throttle::table.find(key))
            .set((sign_in_throttle::failures.eq(failures), sign_in_throttle::last_failure_at.eq(now)))
            .execute(conn)?;
    }
    Ok(SignInGate::Open)
}

/// How a reserved attempt ended, when it was not a wrong password (whose reservation stands as its failure).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settled {
    /// The password was right: the account's count starts over, the client's gives this attempt back (only
    /// this one: signing in to one's own account between guesses must not wipe out a spray's count).
    SignedIn,
    /// The password was never checked (the server was busy): every count gives the attempt back.
    NotChecked,
}

pub fn settle_attempt(conn: &mut AnyConnection, counts: &SignInCounts, how: Settled) -> QueryResult<()> {
    for (key, _) in &counts.keys {
        if how == Settled::SignedIn && counts.account.as_ref() == Some(key) {
            diesel::delete(sign_in_throttle::table.find(key)).execute(conn)?;
        } else {
            diesel::update(sign_in_throttle::table.find(key).filter(sign_in_throttle::failures.gt(0)))
                .set(sign_in_throttle::failures.eq(sign_in_throttle::failures - 1))
                .execute(conn)?;
        }
    }
    Ok(())
}

/// Deletes up to `batch` counts that have been quiet long enough to be forgotten; returns how many. Counts
/// for addresses nobody uses (a spray over made-up accounts) would otherwise stay forever.
pub fn forget_quiet_counts(conn: &mut AnyConnection, batch: i64) -> QueryResult<usize> {
    let cutoff = now() - chrono::Duration::from_std(FORGET_AFTER).unwrap_or_default();
    let quiet = sign_in_throttle::table
        .filter(sign_in_throttle::last_failure_at.lt(cutoff))
        .order(sign_in_throttle::last_failure_at.asc())
        .select(sign_in_throttle::key)
        .limit(batch);
    let keys: Vec<String> = quiet.load(conn)?;
    diesel::delete(sign_in_throttle::table.filter(sign_in_throttle::key.eq_any(&keys))).execute(conn)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::db::StoreError;

    #[test]
    fn a_few_failures_are_free_then_waits_double_up_to_fifteen_minutes() {
        let t = now();
        let limit = ACCOUNT_FROM_CLIENT;
        assert_eq!(gate_at(limit, 4, t, t), SignInGate::Open);
        assert_eq!(gate_at(limit, 5, t, t), SignInGate::Wait(Duration::from_secs(1)));
        assert_eq!(gate_at(limit, 8, t, t), SignInGate::Wait(Duration::from_secs(8)));
        assert_eq!(gate_at(limit, 40, t, t), SignInGate::Wait(Duration::from_secs(15 * 60)));
        assert_eq!(gate_at(limit, 8, t, t + chrono::Duration::seconds(9)), SignInGate::Open);
        assert_eq!(gate_at(limit, 40, t, t + chrono::Duration::hours(2)), SignInGate::Open);
        assert_eq!(gate_at(CLIENT, 19, t, t), SignInGate::Open);
        assert_eq!(gate_at(CLIENT, 20, t, t), SignInGate::Wait(Duration::from_secs(1)));
    }

    #[test]
    fn counts_are_per_account_and_client_and_per_client_and_store_neither_in_clear() {
        let ana = EmailAddress::parse("ana@example.com").unwrap();
        let from_a = SignInCounts::new(Some(&ana), "198.51.100.7");
        let from_b = SignInCounts::new(Some(&ana), "203.0.113.9");
        assert_eq!(from_a.keys.len(), 2);
        assert_ne!(from_a.account, from_b.account, "another address is another count");
        let not_an_email = SignInCounts::new(None, "198.51.100.7");
        assert_eq!(not_an_email.keys.len(), 1);
        assert!(from_a.keys.iter().any(|k| k.0 == not_an_email.keys[0].0), "the client's count is shared");
        for (key, _) in &from_a.keys {
            assert_eq!(key.len(), 64);
            assert!(!key.contains("ana") && !key.contains("198"));
        }
    }

    /// The rule against the real tables: five free reservations, then a wait; a right password's refund; a
    /// busy server's refund; and a client that sprays one password is slowed on accounts it never tried.
    #[tokio::test]
    async fn reservations_count_before_the_check_and_settle_after_it() {
        for scratch in crate::db::scratch::Scratch::all().await {
            let backend = scratch.backend();
            let ana = EmailAddress::parse("ana@example.com").unwrap();
            let counts = SignInCounts::new(Some(&ana), "198.51.100.7");
            let reserve = |counts: SignInCounts| {
                scratch.db.write(move |conn| reserve_attempt(conn, &counts).map_err(StoreError::from))
            };
            for attempt in 1..=5 {
                assert_eq!(reserve(counts.clone()).await.unwrap(), SignInGate::Open, "{backend}: attempt {attempt}");
            }
            assert!(matches!(reserve(counts.clone()).await.unwrap(), SignInGate::Wait(_)), "{backend}");
            // The same account from elsewhere is not locked.
            let elsewhere = SignInCounts::new(Some(&ana), "203.0.113.9");
            assert_eq!(reserve(elsewhere.clone()).await.unwrap(), SignInGate::Open, "{backend}");
            let settle = |counts: SignInCounts, how| {
                scratch.db.write(move |conn| settle_attempt(conn, &counts, how).map_err(StoreError::from))
            };
            settle(elsewhere, Settled::SignedIn).await.unwrap();
            // A busy server gives the attempt back: the count is at 4 again, so one more is free.
            settle(counts.clone(), Settled::NotChecked).await.unwrap();
            assert_eq!(reserve(counts.clone()).await.unwrap(), SignInGate::Open, "{backend}");
            assert!(matches!(reserve(counts.clone()).await.unwrap(), SignInGate::Wait(_)), "{backend}");

            // Spraying: one wrong password each on 25 accounts from one address.
            let sprayer = "192.0.2.50";
            let mut refused = 0;
            for n in 0..25 {
                let victim = EmailAddress::parse(&format!("user{n}@example.com")).unwrap();
                if reserve(SignInCounts::new(Some(&victim), sprayer)).await.unwrap() != SignInGate::Open {
                    refused += 1;
                }
            }
            assert!(refused >= 4, "{backend}: the sprayer was slowed only {refused} times");

            let forgotten =
                scratch.db.write(|conn| forget_quiet_counts(conn, 100).map_err(StoreError::from)).await.unwrap();
            assert_eq!(forgotten, 0, "{backend}: nothing is an hour old yet");
        }
    }
}
