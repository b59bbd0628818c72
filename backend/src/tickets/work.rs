//! What agents do to tickets: reply, leave notes, assign, change status, mark read, start conversations.

use diesel::result::{DatabaseErrorKind, Error as DieselError};

use super::events::{EventDetails, NewEvent};
use super::store::{Close, Closer, NewMessage, OpenedBy, Origin, Pair, TicketEdit, TicketState, TicketStore};
use super::tagging::{TagChange, retag};
use super::{Message, add_message, join_or_open_ticket};
use crate::app_settings::RuntimeSettings;
use crate::db::{AnyConnection, StoreError, now};
use crate::domain::{
    DeliveryStatus, Direction, EventKind, MessageBody, MessageId, PhoneNumber, Priority, TicketId, TicketStatus, UserId,
};
use crate::numbers::{SenderError, sender_number};

/// A message an agent wants to add to a thread.
#[derive(Debug, Clone)]
pub struct Draft {
    pub body: MessageBody,
    /// A note for agents only; never sent.
    pub internal: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum TicketError {
    #[error("ticket not found")]
    TicketNotFound,
    #[error("message not found")]
    MessageNotFound,
    #[error("the ticket is closed")]
    TicketClosed,
    /// Reopening a closed ticket while its pair has a newer unclosed ticket (this one).
    #[error("the customer has a newer unclosed ticket, {0}")]
    NewerTicketOpen(TicketId),
    /// A concurrent text opened the pair's newer ticket during a reopen; retried.
    #[error("a newer ticket was opened while this one was being reopened")]
    ReopenRaced,
    #[error("the customer has opted out of texts from this number (they sent STOP)")]
    RecipientOptedOut,
    #[error("the assignee must be an active user")]
    InvalidAssignee,
    /// A tag name no tag has, and the actor may not create tags.
    #[error("there is no tag named {0:?}; an admin can add it (or allow agents to create tags)")]
    UnknownTag(String),
    #[error("only a failed text to the customer can be sent again")]
    NotRetryable,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<diesel::result::Error> for TicketError {
    fn from(e: diesel::result::Error) -> Self {
        Self::Store(e.into())
    }
}

impl crate::db::WriteError for TicketError {
    fn is_transient(&self) -> bool {
        matches!(self, Self::ReopenRaced) || matches!(self, Self::Store(e) if e.is_transient())
    }
}

/// The ticket, locked until the transaction ends, so that a reply and a close of it cannot interleave.
fn locked_ticket(store: &mut impl TicketStore, ticket_id: TicketId) -> Result<TicketState, TicketError> {
    store.lock_ticket(ticket_id)?.ok_or(TicketError::TicketNotFound)
}

/// Adds an agent's reply (queued for delivery) or internal note to a ticket.
pub fn post_message(
    store: &mut impl TicketStore,
    ticket_id: TicketId,
    author: UserId,
    draft: Draft,
) -> Result<Message, TicketError> {
    let ticket = locked_ticket(store, ticket_id)?;
    if !draft.internal {
        if ticket.status == TicketStatus::Closed {
            return Err(TicketError::TicketClosed);
        }
        if store.is_opted_out(ticket.pair())? {
            return Err(TicketError::RecipientOptedOut);
        }
    }
    let message = NewMessage {
        ticket_id,
        origin: Origin::Agent(author),
        internal: draft.internal,
        body: draft.body.as_str(),
        provider: None,
        provider_message_id: None,
        media_urls: None,
    };
    let id = add_message(store, &message)?;
    store.message(id)?.ok_or(TicketError::MessageNotFound)
}

/// Changes to a ticket an agent asks for; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct TicketChange {
    pub status: Option<TicketStatus>,
    /// `Some(None)` unassigns.
    pub assignee: Option<Option<UserId>>,
    pub tags: Option<TagChange>,
    pub priority: Option<Priority>,
    /// Whether a tag name no tag has yet creates that tag (admins, or agents when the setting allows);
    /// otherwise it is refused.
    pub may_create_tags: bool,
}

/// Moves a ticket between open and pending, closes or reopens it, or (re)assigns it, and records each change
/// in its timeline with `actor`. A closed ticket reopens only while its pair has no newer unclosed ticket:
/// at most one per pair, and the customer's newer texts are there.
pub fn update_ticket(
    store: &mut impl TicketStore,
    ticket_id: TicketId,
    actor: UserId,
    change: TicketChange,
) -> Result<(), TicketError> {
    let ticket = locked_ticket(store, ticket_id)?;
    let status = change.status.filter(|s| *s != ticket.status);
    let reopening = status.is_some() && ticket.status == TicketStatus::Closed;
    if reopening && let Some((newer, _)) = store.find_unclosed_ticket(ticket.pair())? {
        return Err(TicketError::NewerTicketOpen(newer));
    }
    let assignee = change.assignee.filter(|a| *a != ticket.assignee);
    if let Some(Some(assignee)) = assignee
        && !store.is_active_user(assignee)?
    {
        return Err(TicketError::InvalidAssignee);
    }
    let at = now();
    if status.is_none() && assignee.is_none() {
        return retag(store, ticket_id, actor, &change, at);
    }
    // A close is the actor's; any other status change forgets the last close.
    let closed = status.map(|s| (s == TicketStatus::Closed).then_some(Close { at, by: Closer::Agent(actor) }));
    let edit = TicketEdit { status, closed, assignee, at };
    store.edit_ticket(ticket_id, &edit).map_err(|e| match e {
        // A text opened a new ticket for the pair after the look above (another replica, on PostgreSQL):
        // the write is retried, and then the look finds it.
        DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _) if reopening => TicketError::ReopenRaced,
        other => other.into(),
    })?;
    let event = |kind| NewEvent::new(ticket_id, kind, Some(actor), at);
    if let Some(to) = status {
        let kind = if reopening { EventKind::Reopened } else { EventKind::StatusChanged };
        let details = EventDetails { from_status: Some(ticket.status), to_status: Some(to), ..EventDetails::default() };
        store.record_event(&event(kind).with(details))?;
    }
    if let Some(to) = assignee {
        let kind = if to.is_some() { EventKind::Assigned } else { EventKind::Unassigned };
        let details = EventDetails { from_assignee: ticket.assignee, to_assignee: to, ..EventDetails::default() };
        store.record_event(&event(kind).with(details))?;
    }
    retag(store, ticket_id, actor, &change, at)
}

/// Marks everything in the ticket read for this agent.
pub fn mark_read(store: &mut impl TicketStore, user: UserId, ticket_id: TicketId) -> Result<(), TicketError> {
    match store.newest_message(ticket_id)? {
        Some(newest) => store.mark_read(user, ticket_id, newest, now())?,
        // No message: there is nothing to read, if there is a ticket at all.
        None => {
            locked_ticket(store, ticket_id)?;
        }
    }
    Ok(())
}

/// A text an agent sends to a number that has not written in.
#[derive(Debug, Clone)]
pub struct Conversation {
    pub to: PhoneNumber,
    /// The number of ours it goes out from; `None` for the default sender.
    pub from: Option<PhoneNumber>,
    pub body: MessageBody,
}

#[derive(Debug, thiserror::Error)]
pub enum StartConversationError {
    #[error("the customer has opted out of texts from this number (they sent STOP)")]
    RecipientOptedOut,
    #[error(transparent)]
    Sender(SenderError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<diesel::result::Error> for StartConversationError {
    fn from(e: diesel::result::Error) -> Self {
        Self::Store(e.into())
    }
}

impl From<SenderError> for StartConversationError {
    fn from(e: SenderError) -> Self {
        match e {
            SenderError::Store(e) => Self::Store(e),
            other => Self::Sender(other),
        }
    }
}

/// Texts a number from one of ours: joins the pair's unclosed ticket or opens one (without a confirmation:
/// the agent's text is the first thing the customer receives).
pub fn start_conversation(
    conn: &mut AnyConnection,
    author: UserId,
    conversation: &Conversation,
    settings: &RuntimeSettings,
) -> Result<(TicketId, Message), StartConversationError> {
    let from = sender_number(conn, settings, conversation.from.clone())?;
    let pair = Pair { customer: conversation.to.as_str(), channel: from.as_str() };
    if conn.is_opted_out(pair)? {
        return Err(StartConversationError::RecipientOptedOut);
    }
    let (ticket_id, _, _) = join_or_open_ticket(conn, pair, OpenedBy::Agent)?;
    let message = NewMessage {
        ticket_id,
        origin: Origin::Agent(author),
        internal: false,
        body: conversation.body.as_str(),
        provider: None,
        provider_message_id: None,
        media_urls: None,
    };
    let id = add_message(conn, &message)?;
    let stored = conn.message(id)?.ok_or(diesel::result::Error::NotFound)?;
    Ok((ticket_id, stored))
}

/// Queues a failed text to the customer again (after the gateway refused it, or the retries ran out).
pub fn retry_message(store: &mut impl TicketStore, id: MessageId) -> Result<Message, TicketError> {
    let message = store.message(id)?.ok_or(TicketError::MessageNotFound)?;
    let ticket = locked_ticket(store, message.ticket_id)?;
    let retryable = message.direction == Direction::Outbound
        && !message.internal
        && message.delivery_status == Some(DeliveryStatus::Failed);
    if !retryable {
        return Err(TicketError::NotRetryable);
    }
    if ticket.status == TicketStatus::Closed {
        return Err(TicketError::TicketClosed);
    }
    if store.is_opted_out(ticket.pair())? {
        return Err(TicketError::RecipientOptedOut);
    }
    let at = now();
    store.requeue_message(id, at)?;
    store.refresh_failed_delivery(message.ticket_id, at)?;
    store.message(id)?.ok_or(TicketError::MessageNotFound)
}
