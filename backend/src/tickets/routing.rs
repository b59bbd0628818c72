//! Who a new ticket goes to: in a round-robin inbox, the next available member (see `crate::inboxes`).

use diesel::result::Error as DieselError;

use super::events::{EventDetails, NewEvent};
use super::store::{Pair, TicketEdit, TicketStore};
use crate::db::now;
use crate::domain::{AssignmentPolicy, EventKind, TicketId};

/// Assigns a ticket a customer just opened to its inbox's next member under round robin, and puts that on
/// its timeline (no actor: the rule did it). Nothing for a manual inbox or when nobody is available. Runs in
/// the transaction that opened the ticket. Reassigning when someone goes away is not done.
pub(crate) fn route_new_ticket(
    store: &mut impl TicketStore,
    ticket_id: TicketId,
    pair: Pair<'_>,
) -> Result<(), DieselError> {
    let at = now();
    let Some(member) = store.next_round_robin_member(pair.channel, at)? else { return Ok(()) };
    store.edit_ticket(ticket_id, &TicketEdit { assignee: Some(Some(member)), at, ..TicketEdit::default() })?;
    let details =
        EventDetails { to_assignee: Some(member), rule: Some(AssignmentPolicy::RoundRobin), ..EventDetails::default() };
    store.record_event(&NewEvent::new(ticket_id, EventKind::Assigned, None, at).with(details))
}
