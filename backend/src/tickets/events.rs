//! The ticket timeline: what was done to a ticket, by whom and when. Every rule that changes a ticket
//! (`work.rs`, `auto_close.rs`, `ingest.rs`, the outbox's `delivery/outbox.rs`) records its event through the
//! same store and in the same transaction as the change, so the timeline can neither miss a change nor show
//! one that rolled back, and the REST API records exactly what the dashboard does.

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::{AssignmentPolicy, EventKind, MessageId, Priority, TicketId, TicketStatus, UserId};
use crate::json::utc;

/// What an event carries besides its kind, actor and time; stored as a small JSON object, absent fields
/// left out.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventDetails {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_assignee: Option<UserId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_assignee: Option<UserId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_status: Option<TicketStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_status: Option<TicketStatus>,
    /// Auto-close: the inactivity rule that closed it, in hours.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idle_hours: Option<u64>,
    /// Opt-out and opt-in: the number of ours the keyword was sent to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel_number: Option<String>,
    /// Delivery failures: the reply that failed, and why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_id: Option<MessageId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Tags changed: the names put on and taken off.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub added: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub removed: Option<Vec<String>>,
    /// Priority changed: from and to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_priority: Option<Priority>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_priority: Option<Priority>,
    /// An assignment made by an inbox's rule rather than a person: `round_robin`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<AssignmentPolicy>,
}

/// An event to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEvent {
    pub ticket_id: TicketId,
    pub kind: EventKind,
    /// The agent or admin who did it; `None` for the customer (keywords) or smsdesk itself.
    pub actor: Option<UserId>,
    pub at: NaiveDateTime,
    pub details: EventDetails,
}

impl NewEvent {
    pub fn new(ticket_id: TicketId, kind: EventKind, actor: Option<UserId>, at: NaiveDateTime) -> Self {
        Self { ticket_id, kind, actor, at, details: EventDetails::default() }
    }

    pub fn with(mut self, details: EventDetails) -> Self {
        self.details = details;
        self
    }
}

/// A person named in an event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Person {
    pub id: UserId,
    pub name: String,
}

/// One entry of a ticket's timeline. Which optional fields are present depends on `kind`:
/// `assigned` (`from`, `to`), `unassigned` (`from`), `status_changed` and `reopened` (`from_status`,
/// `to_status`), `auto_closed` (`idle_hours`), `opted_out`/`opted_in` (`channel_number`),
/// `delivery_failed` (`message_id`, `error`), `tags_changed` (`added`, `removed`: tag names),
/// `priority_changed` (`from_priority`, `to_priority`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct TicketEvent {
    pub id: i64,
    pub kind: EventKind,
    #[serde(serialize_with = "utc")]
    pub at: NaiveDateTime,
    /// Who did it; `null` for the customer or smsdesk itself (auto-close, a gateway's report).
    #[schema(required = true)]
    pub actor: Option<Person>,
    /// The assignee before, if there was one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<Person>,
    /// The new assignee.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<Person>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from_status: Option<TicketStatus>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to_status: Option<TicketStatus>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub idle_hours: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel_number: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_id: Option<MessageId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// `tags_changed`: the tag names put on the ticket.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub added: Option<Vec<String>>,
    /// `tags_changed`: the tag names taken off.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub removed: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from_priority: Option<Priority>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to_priority: Option<Priority>,
    /// `assigned` by an inbox's rule (`round_robin`) rather than a person.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<AssignmentPolicy>,
}
