//! Reading the CSV exports (`crate::export`) a page at a time, in id order (keyset pagination: every row
//! that existed when the export began is read once, however the queue's activity order moves meanwhile).
//! Tickets are filtered as the queue filters them ([`matching_tickets`]).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::queue::{TicketRow, matching_tickets, with_tags};
use crate::db::schema::{messages, tickets, users};
use crate::db::{AnyConnection, LiteralLimit, MultiBackend};
use crate::domain::{MessageId, TicketId, UserId};
use crate::tickets::{Message, Ticket, TicketFilter};

/// Rows created in `[from, until)`; either end may be open.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CreatedRange {
    pub from: Option<NaiveDateTime>,
    pub until: Option<NaiveDateTime>,
}

/// A user named in an export: an assignee or a message's author.
#[derive(Debug, Clone, PartialEq, Eq, Queryable)]
pub struct ExportUser {
    pub id: UserId,
    pub name: String,
    pub email: String,
}

/// Up to `limit` tickets matching `filter` (all its statuses at once), created in `created`, with ids above
/// `after`, by id.
pub fn export_ticket_page(
    conn: &mut AnyConnection,
    filter: &TicketFilter,
    created: CreatedRange,
    after: Option<TicketId>,
    limit: u32,
) -> QueryResult<Vec<Ticket>> {
    let mut query = matching_tickets(filter);
    if let Some(statuses) = &filter.statuses {
        query = query.filter(tickets::status.eq_any(statuses.clone()));
    }
    if let Some(from) = created.from {
        query = query.filter(tickets::created_at.ge(from));
    }
    if let Some(until) = created.until {
        query = query.filter(tickets::created_at.lt(until));
    }
    if let Some(after) = after {
        query = query.filter(tickets::id.gt(after));
    }
    let rows: Vec<TicketRow> = LiteralLimit::new(query.order(tickets::id.asc()), limit).load(conn)?;
    with_tags(conn, rows.into_iter().map(Ticket::from).collect())
}

/// Up to `limit` messages of the given tickets, created in `created`, after position `after`, in
/// (ticket, message) order: the `messages_by_ticket` index's order, so no page sorts.
pub fn export_message_page(
    conn: &mut AnyConnection,
    ticket_ids: &[TicketId],
    created: CreatedRange,
    after: Option<(TicketId, MessageId)>,
    limit: u32,
) -> QueryResult<Vec<Message>> {
    let mut query = messages::table
        .filter(messages::ticket_id.eq_any(ticket_ids))
        .select(Message::as_select())
        .into_boxed::<MultiBackend>();
    if let Some(from) = created.from {
        query = query.filter(messages::created_at.ge(from));
    }
    if let Some(until) = created.until {
        query = query.filter(messages::created_at.lt(until));
    }
    if let Some((ticket, message)) = after {
        query = query
            .filter(messages::ticket_id.gt(ticket).or(messages::ticket_id.eq(ticket).and(messages::id.gt(message))));
    }
    LiteralLimit::new(query.order((messages::ticket_id.asc(), messages::id.asc())), limit).load(conn)
}

/// The users with these ids (a page's assignees or authors: a handful).
pub fn export_users(conn: &mut AnyConnection, ids: &[UserId]) -> QueryResult<Vec<ExportUser>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    users::table.filter(users::id.eq_any(ids)).select((users::id, users::name, users::email)).load(conn)
}
