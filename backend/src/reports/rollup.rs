//! The rollup: adds messages and timeline events to the hourly counts (`report_counts`) in the background,
//! so a report reads a few hundred count rows instead of a period's messages.
//!
//! A round runs in one write transaction: it locks the rollup's position (on PostgreSQL with `SKIP LOCKED`:
//! another replica's round in progress means this one is skipped), reads up to [`ROUND_ROWS`] messages
//! above it, tallies them with the shared rules (`rules.rs`), adds the tallies to the stored counts, does the
//! same for events, moves the position and commits. Counts and position change together, so a report that
//! counts everything above the position live (`service.rs`) never counts a row twice or misses one, with or
//! without the rollup.
//!
//! On PostgreSQL an id is taken when a row is inserted but becomes visible when its transaction commits, so
//! a smaller id can appear after a larger one. A round therefore stops at the largest id whose row is
//! [`SETTLE`] old: no write transaction lives that long (statement and idle timeouts), so every smaller id
//! has committed or never will. It never runs on the write path of a text: no hot counter row serialises
//! ingest.

use chrono::{NaiveDateTime, TimeDelta};

use super::rules::Tally;
use crate::db::AnyConnection;
use crate::db::StoreError;
use crate::db::reports::{self as store, RollupPosition};

/// At most this many messages (and as many events) per round; a full round is followed at once by the next.
pub const ROUND_ROWS: u32 = 50_000;
/// How old a row must be before the rollup passes its id (see the module's documentation).
pub const SETTLE: TimeDelta = TimeDelta::seconds(60);

/// What a round did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RollupRound {
    pub messages: usize,
    pub events: usize,
    /// The round read as many rows as it may and moved on: more may be waiting, run the next at once.
    pub full: bool,
}

/// One round at `now`, of at most `limit` messages and `limit` events; `None` when another replica's round
/// holds the position. Run it in a write transaction.
pub fn roll_up(conn: &mut AnyConnection, now: NaiveDateTime, limit: u32) -> Result<Option<RollupRound>, StoreError> {
    let Some(position) = store::lock_rollup(conn)? else {
        return Ok(None);
    };
    let settled = now - SETTLE;
    let mut tally = Tally::default();

    let messages = store::messages_after(conn, position.messages_until, Some(limit))?;
    let messages_until = messages.iter().filter(|m| m.created_at < settled).map(|m| m.id).max();
    let counted_messages: Vec<_> = match messages_until {
        Some(until) => messages.iter().filter(|m| m.id <= until).collect(),
        None => Vec::new(),
    };
    for message in &counted_messages {
        tally.add_message(message);
    }

    let events = store::events_after(conn, position.events_until, Some(limit))?;
    let events_until = events.iter().filter(|e| e.at < settled).map(|e| e.id).max();
    let counted_events: Vec<_> = match events_until {
        Some(until) => events.iter().filter(|e| e.id <= until).collect(),
        None => Vec::new(),
    };
    for event in &counted_events {
        tally.add_event(event);
    }

    let to = RollupPosition {
        messages_until: messages_until.unwrap_or(position.messages_until),
        events_until: events_until.unwrap_or(position.events_until),
    };
    if to != position {
        store::add_counts(conn, &tally.rows())?;
        store::advance_rollup(conn, to, now)?;
    }
    let full_batch = |read: usize, moved: bool| moved && read >= limit as usize;
    Ok(Some(RollupRound {
        messages: counted_messages.len(),
        events: counted_events.len(),
        full: full_batch(messages.len(), to.messages_until != position.messages_until)
            || full_batch(events.len(), to.events_until != position.events_until),
    }))
}
