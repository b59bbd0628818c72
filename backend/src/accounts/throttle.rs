//! Slows down password guessing: after a few failed sign-ins for an address, each further attempt must
//! wait longer, up to 15 minutes. Counted per email address in the database, so every replica agrees.

use std::time::Duration;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::sign_in_failures;
use crate::db::{AnyConnection, now};
use crate::domain::EmailAddress;
use crate::on_backend;

/// Failures allowed before attempts are slowed down.
const FREE_FAILURES: i32 = 5;
const LONGEST_WAIT: Duration = Duration::from_secs(15 * 60);
/// A quiet hour forgives earlier failures.
const FORGET_AFTER: Duration = Duration::from_secs(3600);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignInGate {
    Open,
    /// Too many recent failures: try again after this long.
    Wait(Duration),
}

fn wait_after(failures: i32) -> Duration {
    if failures < FREE_FAILURES {
        return Duration::ZERO;
    }
    let doublings = (failures - FREE_FAILURES).clamp(0, 20) as u32;
    Duration::from_secs(2u64.pow(doublings)).min(LONGEST_WAIT)
}

fn gate_at(failures: i32, last_failure_at: NaiveDateTime, now: NaiveDateTime) -> SignInGate {
    let since = (now - last_failure_at).to_std().unwrap_or_default();
    if since >= FORGET_AFTER {
        return SignInGate::Open;
    }
    match wait_after(failures).checked_sub(since) {
        Some(left) if !left.is_zero() => SignInGate::Wait(left),
        _ => SignInGate::Open,
    }
}

pub fn sign_in_gate(conn: &mut AnyConnection, email: &EmailAddress) -> QueryResult<SignInGate> {
    let row: Option<(i32, NaiveDateTime)> = sign_in_failures::table
        .find(email.as_str())
        .select((sign_in_failures::failures, sign_in_failures::last_failure_at))
        .first(conn)
        .optional()?;
    Ok(row.map_or(SignInGate::Open, |(failures, last)| gate_at(failures, last, now())))
}

pub fn record_failure(conn: &mut AnyConnection, email: &EmailAddress) -> QueryResult<()> {
    let now = now();
    let previous: Option<(i32, NaiveDateTime)> = sign_in_failures::table
        .find(email.as_str())
        .select((sign_in_failures::failures, sign_in_failures::last_failure_at))
        .first(conn)
        .optional()?;
    let failures = match previous {
        Some((n, last)) if (now - last).to_std().unwrap_or_default() < FORGET_AFTER => n.saturating_add(1),
        _ => 1,
    };
    let row = (
        sign_in_failures::email.eq(email.as_str()),
        sign_in_failures::failures.eq(failures),
        sign_in_failures::last_failure_at.eq(now),
    );
    on_backend!(conn, |c| diesel::insert_into(sign_in_failures::table)
        .values(row)
        .on_conflict(sign_in_failures::email)
        .do_update()
        .set((sign_in_failures::failures.eq(failures), sign_in_failures::last_failure_at.eq(now)))
        .execute(c))?;
    Ok(())
}

pub fn clear_failures(conn: &mut AnyConnection, email: &EmailAddress) -> QueryResult<()> {
    diesel::delete(sign_in_failures::table.find(email.as_str())).execute(conn).map(drop)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_few_failures_are_free_then_waits_double_up_to_fifteen_minutes() {
        let t = now();
        assert_eq!(gate_at(4, t, t), SignInGate::Open);
        assert_eq!(gate_at(5, t, t), SignInGate::Wait(Duration::from_secs(1)));
        assert_eq!(gate_at(8, t, t), SignInGate::Wait(Duration::from_secs(8)));
        assert_eq!(gate_at(40, t, t), SignInGate::Wait(LONGEST_WAIT));
        assert_eq!(gate_at(8, t, t + chrono::Duration::seconds(9)), SignInGate::Open);
        assert_eq!(gate_at(40, t, t + chrono::Duration::hours(2)), SignInGate::Open);
    }
}
