use std::time::Duration;

use diesel::prelude::*;

use crate::db::schema::tickets;
use crate::db::{AnyConnection, now};
use crate::domain::{TicketId, TicketStatus};

/// Closes up to `limit` tickets that have seen no activity for `idle`, returning how many. Closing is
/// activity too (it bumps `updated_at`, so lists refresh); the customer's next text opens a new ticket.
/// Safe to run from several replicas at once: a ticket closed twice is still closed.
pub fn close_inactive_tickets(conn: &mut AnyConnection, idle: Duration, limit: i64) -> QueryResult<usize> {
    let now = now();
    let cutoff = now - chrono::Duration::from_std(idle).unwrap_or(chrono::Duration::MAX);
    let stale: Vec<TicketId> = tickets::table
        .filter(tickets::status.eq_any([TicketStatus::Open, TicketStatus::Pending]))
        .filter(tickets::updated_at.lt(cutoff))
        .select(tickets::id)
        .limit(limit)
        .load(conn)?;
    if stale.is_empty() {
        return Ok(0);
    }
    diesel::update(tickets::table.filter(tickets::id.eq_any(&stale)).filter(tickets::status.ne(TicketStatus::Closed)))
        .set((tickets::status.eq(TicketStatus::Closed), tickets::closed_at.eq(now), tickets::updated_at.eq(now)))
        .execute(conn)
}
