//! Auto-close: tickets without activity for the configured time are closed.

use std::time::Duration;

use super::events::{EventDetails, NewEvent};
use super::store::{Closer, TicketEdit, TicketStore};
use crate::db::now;
use crate::domain::EventKind;

/// Closes up to `limit` tickets that have seen no activity for `idle`, returning how many. Closing is
/// activity too (it bumps `updated_at`, so lists refresh); the customer's next text opens a new ticket.
/// Safe to run from several replicas at once: each closes the tickets no other is changing.
pub fn close_inactive_tickets(
    store: &mut impl TicketStore,
    idle: Duration,
    limit: i64,
) -> Result<usize, diesel::result::Error> {
    let at = now();
    let cutoff = at - chrono::Duration::from_std(idle).unwrap_or(chrono::Duration::MAX);
    let stale = store.inactive_tickets(cutoff, limit)?;
    let close = TicketEdit::close(at, Closer::Smsdesk);
    // The timeline says why a ticket left Open without anyone closing it.
    let details = EventDetails { idle_hours: Some(idle.as_secs() / 3600), ..EventDetails::default() };
    for &ticket in &stale {
        store.edit_ticket(ticket, &close)?;
        store.record_event(&NewEvent::new(ticket, EventKind::AutoClosed, None, at).with(details.clone()))?;
    }
    Ok(stale.len())
}
