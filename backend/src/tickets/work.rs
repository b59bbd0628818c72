//! What agents do to tickets: reply, leave notes, assign, change status, mark read, start conversations.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::ingest::join_or_open_ticket;
use super::{Message, NewMessage, Origin, insert_message, is_opted_out, lock_ticket};
use crate::app_settings::RuntimeSettings;
use crate::db::schema::{messages, outbox, ticket_reads, tickets, users};
use crate::db::{AnyConnection, StoreError, now};
use crate::domain::{DeliveryStatus, Direction, MessageBody, MessageId, PhoneNumber, TicketId, TicketStatus, UserId};
use crate::numbers::{SenderError, sender_number};
use crate::on_backend;

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
    #[error("a closed ticket stays closed; the customer's next text opens a new ticket")]
    TicketClosed,
    #[error("the customer has opted out of texts from this number (they sent STOP)")]
    RecipientOptedOut,
    #[error("the assignee must be an active user")]
    InvalidAssignee,
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

fn ticket_status(conn: &mut AnyConnection, ticket_id: TicketId) -> Result<(TicketStatus, String, String), TicketError> {
    tickets::table
        .find(ticket_id)
        .select((tickets::status, tickets::customer_number, tickets::channel_number))
        .load::<(TicketStatus, String, String)>(conn)?
        .pop()
        .ok_or(TicketError::TicketNotFound)
}

fn load_message(conn: &mut AnyConnection, id: MessageId) -> Result<Message, TicketError> {
    messages::table.find(id).select(Message::as_select()).load(conn)?.pop().ok_or(TicketError::MessageNotFound)
}

/// Adds an agent's reply (queued for delivery) or internal note to a ticket.
pub fn post_message(
    conn: &mut AnyConnection,
    ticket_id: TicketId,
    author: UserId,
    draft: Draft,
) -> Result<Message, TicketError> {
    lock_ticket(conn, ticket_id)?;
    let (status, customer, channel) = ticket_status(conn, ticket_id)?;
    if !draft.internal {
        if status == TicketStatus::Closed {
            return Err(TicketError::TicketClosed);
        }
        if is_opted_out(conn, &customer, &channel)? {
            return Err(TicketError::RecipientOptedOut);
        }
    }
    let id = insert_message(
        conn,
        NewMessage {
            ticket_id,
            origin: Origin::Agent(author),
            internal: draft.internal,
            body: draft.body.as_str(),
            provider: None,
            provider_message_id: None,
            media_urls: None,
            ticket_status: None,
        },
    )?;
    load_message(conn, id)
}

/// Changes to a ticket an agent asks for; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct TicketChange {
    pub status: Option<TicketStatus>,
    /// `Some(None)` unassigns.
    pub assignee: Option<Option<UserId>>,
}

#[derive(AsChangeset)]
#[diesel(table_name = tickets)]
struct TicketUpdate {
    status: Option<TicketStatus>,
    closed_at: Option<Option<NaiveDateTime>>,
    assignee_id: Option<Option<UserId>>,
    updated_at: NaiveDateTime,
}

/// Moves a ticket between open and pending, closes it, or (re)assigns it. A closed ticket is never reopened.
pub fn update_ticket(conn: &mut AnyConnection, ticket_id: TicketId, change: TicketChange) -> Result<(), TicketError> {
    lock_ticket(conn, ticket_id)?;
    let (current, _, _) = ticket_status(conn, ticket_id)?;
    let status = change.status.filter(|s| *s != current);
    if status.is_some() && current == TicketStatus::Closed {
        return Err(TicketError::TicketClosed);
    }
    if let Some(Some(assignee)) = change.assignee {
        let active: bool = diesel::select(diesel::dsl::exists(
            users::table.filter(users::id.eq(assignee)).filter(users::active.eq(true)),
        ))
        .get_result(conn)?;
        if !active {
            return Err(TicketError::InvalidAssignee);
        }
    }
    if status.is_none() && change.assignee.is_none() {
        return Ok(());
    }
    let now = now();
    diesel::update(tickets::table.find(ticket_id))
        .set(TicketUpdate {
            status,
            closed_at: status.map(|s| (s == TicketStatus::Closed).then_some(now)),
            assignee_id: change.assignee,
            updated_at: now,
        })
        .execute(conn)?;
    Ok(())
}

/// Marks everything in the ticket read for this agent.
pub fn mark_read(conn: &mut AnyConnection, user: UserId, ticket_id: TicketId) -> Result<(), TicketError> {
    let latest: Option<MessageId> = messages::table
        .filter(messages::ticket_id.eq(ticket_id))
        .select(diesel::dsl::max(messages::id))
        .get_result(conn)?;
    let Some(latest) = latest else {
        ticket_status(conn, ticket_id)?;
        return Ok(());
    };
    let now = now();
    let row = (
        ticket_reads::user_id.eq(user),
        ticket_reads::ticket_id.eq(ticket_id),
        ticket_reads::last_read_message_id.eq(latest),
        ticket_reads::read_at.eq(now),
    );
    on_backend!(conn, |c| diesel::insert_into(ticket_reads::table)
        .values(row)
        .on_conflict((ticket_reads::user_id, ticket_reads::ticket_id))
        .do_update()
        .set((ticket_reads::last_read_message_id.eq(latest), ticket_reads::read_at.eq(now)))
        .execute(c))?;
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
    let (customer, channel) = (conversation.to.as_str(), from.as_str());
    if is_opted_out(conn, customer, channel)? {
        return Err(StartConversationError::RecipientOptedOut);
    }
    let (ticket_id, _, _) = join_or_open_ticket(conn, customer, channel)?;
    let id = insert_message(
        conn,
        NewMessage {
            ticket_id,
            origin: Origin::Agent(author),
            internal: false,
            body: conversation.body.as_str(),
            provider: None,
            provider_message_id: None,
            media_urls: None,
            ticket_status: None,
        },
    )?;
    let message = messages::table.find(id).select(Message::as_select()).first(conn)?;
    Ok((ticket_id, message))
}

/// Queues a failed text to the customer again (after the gateway refused it, or the retries ran out).
pub fn retry_message(conn: &mut AnyConnection, id: MessageId) -> Result<Message, TicketError> {
    let message = load_message(conn, id)?;
    lock_ticket(conn, message.ticket_id)?;
    let retryable = message.direction == Direction::Outbound
        && !message.internal
        && message.delivery_status == Some(DeliveryStatus::Failed);
    if !retryable {
        return Err(TicketError::NotRetryable);
    }
    let (status, customer, channel) = ticket_status(conn, message.ticket_id)?;
    if status == TicketStatus::Closed {
        return Err(TicketError::TicketClosed);
    }
    if is_opted_out(conn, &customer, &channel)? {
        return Err(TicketError::RecipientOptedOut);
    }
    let now = now();
    diesel::update(messages::table.find(id))
        .set((
            messages::delivery_status.eq(DeliveryStatus::Queued),
            messages::error_code.eq(None::<String>),
            messages::error_message.eq(None::<String>),
            messages::provider.eq(None::<String>),
            messages::provider_message_id.eq(None::<String>),
            messages::updated_at.eq(now),
        ))
        .execute(conn)?;
    let row = (outbox::message_id.eq(id), outbox::attempts.eq(0), outbox::next_attempt_at.eq(now));
    on_backend!(conn, |c| diesel::insert_into(outbox::table).values(row).on_conflict_do_nothing().execute(c))?;
    load_message(conn, id)
}
