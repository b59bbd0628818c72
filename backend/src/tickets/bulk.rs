//! One change to many tickets at once (the queue's bulk actions): each ticket is changed by the same rule
//! as one at a time ([`super::update_ticket`]), in a transaction of its own, so a ticket the change cannot
//! apply to (closed, gone, a reopen refused) fails alone and the others keep their change.

use super::work::{TicketChange, TicketError, update_ticket};
use crate::db::Database;
use crate::domain::{TicketId, UserId};

/// Applies `change` to each ticket in turn, in the order given; each ticket's outcome.
pub async fn update_tickets(
    db: &Database,
    ids: &[TicketId],
    actor: UserId,
    change: &TicketChange,
) -> Vec<(TicketId, Result<(), TicketError>)> {
    let mut outcomes = Vec::with_capacity(ids.len());
    for &id in ids {
        let change = change.clone();
        let outcome = db.write(move |conn| update_ticket(conn, id, actor, change)).await;
        outcomes.push((id, outcome));
    }
    outcomes
}
