//! What an agent is told about while the dashboard is open: a new ticket in Unassigned, a new customer text
//! on a ticket assigned to them, a failed delivery on their tickets. Derived from the tickets changed since
//! the agent's last look (the queue's own columns, no message scan), so every replica answers the same.

use chrono::NaiveDateTime;
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::{PhoneNumber, TicketId, TicketStatus, UserId};
use crate::json::utc;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NotificationKind {
    /// A ticket opened by a customer that nobody is assigned to.
    NewTicket,
    /// A customer text on a ticket assigned to the agent.
    NewText,
    /// A reply on the agent's ticket failed or went undelivered.
    DeliveryFailed,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Notification {
    pub kind: NotificationKind,
    pub ticket_id: TicketId,
    /// When it happened; with `kind` and `ticket_id` it identifies the notification (seen twice, show once).
    #[serde(serialize_with = "utc")]
    pub at: NaiveDateTime,
    /// The contact's name, or the customer's number as people write it.
    pub customer: String,
    /// The customer's latest text (or the failed reply's error), shortened.
    #[schema(required = true)]
    pub preview: Option<String>,
}

/// A ticket changed since the agent's last look, with what the notifications need (a row of
/// [`crate::tickets::changed_tickets_for`], whose select lists the fields in this order).
#[derive(Debug, Clone, diesel::Queryable)]
pub struct ChangedTicket {
    pub id: TicketId,
    pub status: TicketStatus,
    pub assignee: Option<UserId>,
    pub created_at: NaiveDateTime,
    pub customer_number: String,
    pub contact_name: Option<String>,
    pub preview: Option<String>,
    /// When the customer's newest text arrived.
    pub newest_inbound_at: Option<NaiveDateTime>,
    pub failed_delivery_at: Option<NaiveDateTime>,
}

/// The rule: which of the tickets changed after `since` notify `viewer`, and of what.
pub fn notifications_for(viewer: UserId, since: NaiveDateTime, changed: Vec<ChangedTicket>) -> Vec<Notification> {
    let mut found = Vec::new();
    for ticket in changed {
        let customer = ticket
            .contact_name
            .clone()
            .filter(|name| !name.trim().is_empty())
            .unwrap_or_else(|| PhoneNumber::display(&ticket.customer_number));
        let mut notify = |kind, at| {
            found.push(Notification {
                kind,
                ticket_id: ticket.id,
                at,
                customer: customer.clone(),
                preview: ticket.preview.clone(),
            })
        };
        let mine = ticket.assignee == Some(viewer);
        let unclosed = ticket.status != TicketStatus::Closed;
        // A conversation an agent started is not news until the customer answers.
        let customer_wrote = ticket.newest_inbound_at.is_some();
        if ticket.assignee.is_none() && unclosed && customer_wrote && ticket.created_at > since {
            notify(NotificationKind::NewTicket, ticket.created_at);
        }
        if mine
            && unclosed
            && let Some(at) = ticket.newest_inbound_at.filter(|at| *at > since)
        {
            notify(NotificationKind::NewText, at);
        }
        if mine && let Some(at) = ticket.failed_delivery_at.filter(|at| *at > since) {
            notify(NotificationKind::DeliveryFailed, at);
        }
    }
    found.sort_by_key(|n| n.at);
    found
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn at(minute: u32) -> NaiveDateTime {
        chrono::NaiveDate::from_ymd_opt(2026, 12, 7).unwrap().and_hms_opt(10, minute, 0).unwrap()
    }

    fn ticket(id: i64, assignee: Option<i64>) -> ChangedTicket {
        ChangedTicket {
            id: TicketId(id),
            status: TicketStatus::Open,
            assignee: assignee.map(UserId),
            created_at: at(5),
            customer_number: "+14155550123".into(),
            contact_name: None,
            preview: Some("Hello".into()),
            newest_inbound_at: Some(at(5)),
            failed_delivery_at: None,
        }
    }

    #[test]
    fn each_agent_hears_of_unassigned_tickets_and_of_their_own_only() {
        let me = UserId(1);
        let unassigned = ticket(1, None);
        let mine = ChangedTicket { created_at: at(1), failed_delivery_at: Some(at(6)), ..ticket(2, Some(1)) };
        let theirs = ticket(3, Some(2));
        let old = ChangedTicket { created_at: at(1), newest_inbound_at: Some(at(1)), ..ticket(4, None) };
        let agent_opened = ChangedTicket { newest_inbound_at: None, ..ticket(5, None) };
        let found = notifications_for(me, at(2), vec![unassigned, mine, theirs, old, agent_opened]);
        let kinds: Vec<_> = found.iter().map(|n| (n.kind, n.ticket_id.0)).collect();
        assert_eq!(
            kinds,
            [(NotificationKind::NewTicket, 1), (NotificationKind::NewText, 2), (NotificationKind::DeliveryFailed, 2)]
        );
        assert_eq!(found[0].customer, "+1 415-555-0123");
    }
}
