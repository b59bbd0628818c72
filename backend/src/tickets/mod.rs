//! The ticket rules: an inbound text joins its number's unclosed ticket or opens one (with a confirmation);
//! agents reply, leave notes, assign and change status; a closed ticket stays closed.
//!
//! Every function here takes a connection inside a transaction opened by the caller
//! ([`crate::db::Database::write`]), so each rule is applied atomically.

mod auto_close;
mod ingest;
mod models;
mod queries;
mod search_index;
mod team_counts;
mod work;

pub use auto_close::close_inactive_tickets;
pub use ingest::{InboundSms, IngestError, IngestOutcome, ingest_inbound_sms};
pub use models::{ContactRef, LastMessage, Message, MessageView, Ticket};
pub use queries::{
    AssigneeFilter, ChangeStamp, MessageCursor, MessageFilter, MessagePage, TicketCounts, TicketCursor, TicketFilter,
    TicketPage, find_ticket, list_stamp, list_tickets, thread, thread_stamp, ticket_counts,
};
pub use search_index::index_new_messages;
pub use team_counts::TeamCountsCache;
pub use work::{
    Conversation, Draft, StartConversationError, TicketChange, TicketError, mark_read, post_message, retry_message,
    start_conversation, update_ticket,
};

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::{contacts, messages, opt_outs, outbox, tickets};
use crate::db::{AnyConnection, now};
use crate::domain::{DeliveryStatus, Direction, MessageId, TicketId, TicketStatus, UserId};

/// How much of a message the ticket list shows.
const PREVIEW_CHARS: usize = 160;

/// What the ticket list shows of a message.
fn preview(body: &str) -> String {
    body.chars().take(PREVIEW_CHARS).collect()
}

/// Whether the customer has opted out of texts from this number of ours.
pub(crate) fn is_opted_out(conn: &mut AnyConnection, customer: &str, channel: &str) -> QueryResult<bool> {
    let found = conn.load_native::<_, bool>(diesel::select(diesel::dsl::exists(
        opt_outs::table.filter(opt_outs::customer_number.eq(customer)).filter(opt_outs::channel_number.eq(channel)),
    )))?;
    Ok(found.first() == Some(&true))
}

/// The pair's unclosed ticket and its status, locked until the transaction ends on PostgreSQL (so a close
/// cannot slip in between); SQLite's single writer already runs write transactions one at a time.
fn find_unclosed_ticket(
    conn: &mut AnyConnection,
    customer: &str,
    channel: &str,
) -> QueryResult<Option<(TicketId, TicketStatus)>> {
    // The partial unique index guarantees at most one row, so there is no LIMIT: SQLite re-plans a statement
    // with a bound LIMIT on every execution.
    let query = tickets::table
        .filter(tickets::customer_number.eq(customer))
        .filter(tickets::channel_number.eq(channel))
        .filter(TicketIsUnclosed)
        .select((tickets::id, tickets::status));
    let mut found: Vec<(TicketId, TicketStatus)> = match conn {
        AnyConnection::Postgresql(pg) => query.for_update().load(pg)?,
        AnyConnection::Sqlite(sqlite) => query.load(sqlite)?,
    };
    Ok(found.pop())
}

/// Opens a ticket for the pair unless a concurrent transaction just did; `None` then (the caller looks again).
fn open_ticket(conn: &mut AnyConnection, customer: &str, channel: &str) -> QueryResult<Option<TicketId>> {
    let contact_id = contact_for_number(conn, customer)?;
    let now = now();
    let row = (
        tickets::customer_number.eq(customer),
        tickets::channel_number.eq(channel),
        tickets::status.eq(TicketStatus::Open),
        tickets::contact_id.eq(contact_id),
        tickets::created_at.eq(now),
        tickets::updated_at.eq(now),
    );
    // The partial unique index makes a concurrent opener (another replica) win or lose cleanly: the loser
    // inserts nothing and joins the winner's ticket.
    crate::insert_new_returning_id!(
        conn,
        diesel::insert_into(tickets::table).values(row).on_conflict_do_nothing(),
        tickets::id
    )
}

/// The contact for a phone number, created on first contact.
pub(crate) fn contact_for_number(conn: &mut AnyConnection, phone_number: &str) -> QueryResult<i64> {
    let now = now();
    let row = (contacts::phone_number.eq(phone_number), contacts::created_at.eq(now), contacts::updated_at.eq(now));
    // Insert first: for a new number (the one that opens a ticket) that is the only statement.
    let inserted: Option<i64> = crate::insert_new_returning_id!(
        conn,
        diesel::insert_into(contacts::table).values(row).on_conflict_do_nothing(),
        contacts::id
    )?;
    if let Some(id) = inserted {
        return Ok(id);
    }
    // phone_number is unique: no LIMIT (a bound LIMIT makes SQLite re-plan the statement every time).
    conn.load_native::<_, i64>(contacts::table.filter(contacts::phone_number.eq(phone_number)).select(contacts::id))?
        .pop()
        .ok_or(diesel::result::Error::NotFound)
}

/// Who or what wrote a message: decides whether the list's preview and unread marker follow it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Origin {
    Customer,
    Agent(UserId),
    /// An automatic message, such as the confirmation of a new ticket.
    Automatic,
}

/// A message row to insert; outgoing customer-visible ones are also queued in the outbox.
struct NewMessage<'a> {
    ticket_id: TicketId,
    origin: Origin,
    internal: bool,
    body: &'a str,
    provider: Option<&'a str>,
    provider_message_id: Option<&'a str>,
    media_urls: Option<String>,
    /// The status the ticket takes (a customer text reopens a pending ticket).
    ticket_status: Option<TicketStatus>,
}

impl NewMessage<'_> {
    /// Customers' texts come in; everything else goes out (or is an internal note).
    fn direction(&self) -> Direction {
        if self.origin == Origin::Customer { Direction::Inbound } else { Direction::Outbound }
    }
}

/// Inserts a message, queues it for delivery if it goes to the customer, and updates what the ticket list
/// shows about the ticket, all in the caller's transaction.
fn insert_message(conn: &mut AnyConnection, message: NewMessage<'_>) -> QueryResult<MessageId> {
    let id = insert_message_row(conn, &message)?;
    record_on_ticket(conn, &message, id, 1)?;
    Ok(id)
}

/// Inserts a message and queues it for delivery if it goes to the customer; the ticket's bookkeeping is
/// left to [`record_on_ticket`], so a caller adding several messages at once updates the ticket once.
fn insert_message_row(conn: &mut AnyConnection, message: &NewMessage<'_>) -> QueryResult<MessageId> {
    let now = now();
    let direction = message.direction();
    let author_id = match message.origin {
        Origin::Agent(user) => Some(user),
        Origin::Customer | Origin::Automatic => None,
    };
    let queued_for_delivery = direction == Direction::Outbound && !message.internal;
    let delivery_status = queued_for_delivery.then_some(DeliveryStatus::Queued);
    let row = || {
        (
            messages::ticket_id.eq(message.ticket_id),
            messages::direction.eq(direction),
            messages::internal.eq(message.internal),
            messages::body.eq(message.body),
            messages::author_id.eq(author_id),
            messages::provider.eq(message.provider),
            messages::provider_message_id.eq(message.provider_message_id),
            messages::delivery_status.eq(delivery_status),
            messages::media_urls.eq(message.media_urls.as_deref()),
            messages::created_at.eq(now),
            messages::updated_at.eq(now),
        )
    };
    let id: MessageId =
        crate::insert_returning_id!(conn, diesel::insert_into(messages::table).values(row()), messages::id)?;
    if queued_for_delivery {
        conn.execute_native(diesel::insert_into(outbox::table).values((
            outbox::message_id.eq(id),
            outbox::attempts.eq(0),
            outbox::next_attempt_at.eq(now),
        )))?;
    }
    Ok(id)
}

/// Updates what the ticket list shows for `message` (stored as `id`) and `added` messages in all: the count,
/// the activity time, and the preview when a person wrote it; applies the message's status change.
fn record_on_ticket(conn: &mut AnyConnection, message: &NewMessage<'_>, id: MessageId, added: i32) -> QueryResult<()> {
    let from_a_person = !message.internal && message.origin != Origin::Automatic;
    let direction = message.direction();
    conn.execute_native(RecordMessageOnTicket {
        ticket_id: message.ticket_id,
        added,
        at: now(),
        preview: from_a_person.then(|| preview(message.body)),
        direction: from_a_person.then_some(direction),
        inbound_id: (message.origin == Origin::Customer).then_some(id),
    })?;
    if let Some(status) = message.ticket_status {
        // Only when the status really changes: setting it at all rewrites every index that involves it.
        conn.execute_native(
            diesel::update(tickets::table.find(message.ticket_id).filter(tickets::status.ne(status)))
                .set(tickets::status.eq(status)),
        )?;
    }
    Ok(())
}

/// The ticket bookkeeping every new message does, as one statement that is the same text whatever the
/// message (NULL binds keep a column as it is), so SQLite prepares it once. diesel never caches its own UPDATE
/// statements, and this one runs for every message.
#[derive(Debug, Clone, diesel::query_builder::QueryId)]
struct RecordMessageOnTicket {
    ticket_id: TicketId,
    /// How many messages to count.
    added: i32,
    at: NaiveDateTime,
    preview: Option<String>,
    direction: Option<Direction>,
    inbound_id: Option<MessageId>,
}

impl<DB> diesel::query_builder::QueryFragment<DB> for RecordMessageOnTicket
where
    DB: diesel::backend::Backend,
    TicketId: diesel::serialize::ToSql<diesel::sql_types::BigInt, DB>,
    i32: diesel::serialize::ToSql<diesel::sql_types::Integer, DB>,
    NaiveDateTime: diesel::serialize::ToSql<diesel::sql_types::Timestamp, DB>,
    Option<String>: diesel::serialize::ToSql<diesel::sql_types::Nullable<diesel::sql_types::Text>, DB>,
    Option<Direction>: diesel::serialize::ToSql<diesel::sql_types::Nullable<diesel::sql_types::Text>, DB>,
    Option<MessageId>: diesel::serialize::ToSql<diesel::sql_types::Nullable<diesel::sql_types::BigInt>, DB>,
{
    fn walk_ast<'b>(&'b self, mut out: diesel::query_builder::AstPass<'_, 'b, DB>) -> QueryResult<()> {
        use diesel::sql_types::{BigInt, Integer, Nullable, Text, Timestamp};
        out.push_sql("UPDATE tickets SET message_count = message_count + ");
        out.push_bind_param::<Integer, _>(&self.added)?;
        out.push_sql(", updated_at = ");
        out.push_bind_param::<Timestamp, _>(&self.at)?;
        out.push_sql(", last_message_preview = COALESCE(");
        out.push_bind_param::<Nullable<Text>, _>(&self.preview)?;
        out.push_sql(", last_message_preview), last_message_direction = COALESCE(");
        out.push_bind_param::<Nullable<Text>, _>(&self.direction)?;
        out.push_sql(", last_message_direction), last_message_at = CASE WHEN ");
        out.push_bind_param::<Nullable<Text>, _>(&self.direction)?;
        out.push_sql(" IS NULL THEN last_message_at ELSE ");
        out.push_bind_param::<Timestamp, _>(&self.at)?;
        out.push_sql(" END, last_inbound_message_id = COALESCE(");
        out.push_bind_param::<Nullable<BigInt>, _>(&self.inbound_id)?;
        out.push_sql(", last_inbound_message_id) WHERE id = ");
        out.push_bind_param::<BigInt, _>(&self.ticket_id)?;
        Ok(())
    }
}

impl<Conn> RunQueryDsl<Conn> for RecordMessageOnTicket {}

/// Locks the ticket row until the transaction ends, so a reply and a close of the same ticket cannot
/// interleave. SQLite needs no lock: its single writer already runs write transactions one at a time.
fn lock_ticket(conn: &mut AnyConnection, ticket_id: TicketId) -> QueryResult<()> {
    if let AnyConnection::Postgresql(pg) = conn {
        tickets::table.find(ticket_id).select(tickets::id).for_update().load::<TicketId>(pg)?;
    }
    Ok(())
}

/// A condition on `tickets` written into the SQL rather than bound: a unit struct with a static query id, so
/// the statement stays cacheable, and the planner sees the literal when it prepares it.
macro_rules! fixed_ticket_condition {
    ($(#[$doc:meta])* $name:ident, $sql:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, diesel::query_builder::QueryId)]
        pub(crate) struct $name;

        impl diesel::Expression for $name {
            type SqlType = diesel::sql_types::Bool;
        }

        impl<DB: diesel::backend::Backend> diesel::query_builder::QueryFragment<DB> for $name {
            fn walk_ast<'b>(&'b self, mut out: diesel::query_builder::AstPass<'_, 'b, DB>) -> QueryResult<()> {
                out.push_sql($sql);
                Ok(())
            }
        }

        impl<QS> diesel::AppearsOnTable<QS> for $name where tickets::status: diesel::AppearsOnTable<QS> {}
        impl<QS> diesel::SelectableExpression<QS> for $name where tickets::status: diesel::SelectableExpression<QS> {}
        impl diesel::expression::ValidGrouping<()> for $name {
            type IsAggregate = diesel::expression::is_aggregate::Never;
        }
    };
}

fixed_ticket_condition!(
    /// `tickets.status <> 'closed'`: the predicate of the partial unique index on a pair's unclosed ticket,
    /// which SQLite only matches when it sees it literally while preparing the statement (it would plan the
    /// statement anew on every execution otherwise).
    TicketIsUnclosed,
    "tickets.status <> 'closed'"
);

fixed_ticket_condition!(
    /// The same rows as [`TicketIsUnclosed`], named as the two statuses: an index whose next column after an
    /// equality is `status` (`tickets_by_assignee`) is then read as two short ranges. With `<> 'closed'` both
    /// databases read every ticket the agent was ever assigned, nine in ten of them closed (PostgreSQL even
    /// ANDed in a bitmap of every unclosed ticket: 5 ms per counts poll on a 100,000-ticket desk).
    TicketIsOpenOrPending,
    "tickets.status IN ('open', 'pending')"
);
