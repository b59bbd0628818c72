//! PostgreSQL's own form of ticket storage steps: each statement is a round trip, and a text that joins its
//! ticket (nearly every text) takes one statement instead of three.

use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::sql_types::{BigInt, Bool, Nullable, Text, Timestamp};

use crate::domain::{DeliveryStatus, Direction, MessageId, TicketId, TicketStatus, UserId};
use crate::tickets::store::{AppendedText, NewMessage, Pair, Transition};
use crate::tickets::text_activity;

/// [`crate::tickets::store::TicketStore::append_text`] as one statement: the same steps as
/// `append_text_step_by_step` (lock the pair's unclosed ticket, store the text unless its gateway id is
/// known, record it on the ticket as `text_activity` says, apply the transition), written as data-modifying
/// CTEs. Nothing here decides: the values come from the rules. Only for messages that do not go out (a
/// customer's text): those also need an outbox row.
pub(in crate::db) fn append_text(
    pg: &mut PgConnection,
    pair: Pair<'_>,
    text: &NewMessage<'_>,
    transition: Transition,
) -> QueryResult<Option<AppendedText>> {
    // The bookkeeping of the text, as the rules compute it; its id is not known before the insert, so only
    // whether the ticket's newest inbound message becomes this one is taken from it.
    let activity = text_activity(text, MessageId(0), 1);
    // A reply to the customer (the only message that can be a ticket's first response) goes out, so it never
    // comes here; neither does a ticket's opening or close: the reports' columns are not this statement's.
    debug_assert!(activity.first_response.is_none(), "a message that goes out needs the outbox: not here");
    let statement = AppendText {
        customer: pair.customer.to_owned(),
        channel: pair.channel.to_owned(),
        direction: text.direction(),
        internal: text.internal,
        body: text.body.to_owned(),
        author: text.author(),
        provider: text.provider.map(str::to_owned),
        provider_message_id: text.provider_message_id.map(str::to_owned),
        delivery_status: text.delivery_status(),
        media_urls: text.media_urls.clone(),
        at: activity.at,
        preview: activity.preview,
        shown_direction: activity.direction,
        newest_inbound: activity.newest_inbound.is_some(),
        added: activity.added_messages,
        waiting: activity.waiting.flags(),
        from: transition.from,
        to: transition.to,
    };
    let row: Option<(TicketId, Option<MessageId>)> = statement.get_result(pg).optional()?;
    Ok(row.map(|(ticket_id, message_id)| AppendedText { ticket_id, message_id }))
}

#[derive(Debug, Clone, QueryId)]
struct AppendText {
    customer: String,
    channel: String,
    direction: Direction,
    internal: bool,
    body: String,
    author: Option<UserId>,
    provider: Option<String>,
    provider_message_id: Option<String>,
    delivery_status: Option<DeliveryStatus>,
    media_urls: Option<String>,
    at: chrono::NaiveDateTime,
    preview: Option<String>,
    shown_direction: Option<Direction>,
    newest_inbound: bool,
    added: i32,
    /// (starts, ends) the ticket's wait for an answer.
    waiting: (bool, bool),
    from: TicketStatus,
    to: TicketStatus,
}

impl QueryFragment<Pg> for AppendText {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        use diesel::sql_types::Integer;
        out.push_sql("WITH t AS (SELECT id, status FROM tickets WHERE customer_number = ");
        out.push_bind_param::<Text, _>(&self.customer)?;
        out.push_sql(" AND channel_number = ");
        out.push_bind_param::<Text, _>(&self.channel)?;
        // Literally the partial unique index's predicate, so the planner uses that index.
        out.push_sql(
            " AND status <> 'closed' FOR UPDATE), m AS (INSERT INTO messages (ticket_id, direction, internal, body, \
             author_id, provider, provider_message_id, delivery_status, media_urls, created_at, updated_at) \
             SELECT t.id, ",
        );
        out.push_bind_param::<Text, _>(&self.direction)?;
        out.push_sql(", ");
        out.push_bind_param::<Bool, _>(&self.internal)?;
        out.push_sql(", ");
        out.push_bind_param::<Text, _>(&self.body)?;
        out.push_sql(", ");
        out.push_bind_param::<Nullable<BigInt>, _>(&self.author)?;
        out.push_sql(", ");
        out.push_bind_param::<Nullable<Text>, _>(&self.provider)?;
        out.push_sql(", ");
        out.push_bind_param::<Nullable<Text>, _>(&self.provider_message_id)?;
        out.push_sql(", ");
        out.push_bind_param::<Nullable<Text>, _>(&self.delivery_status)?;
        out.push_sql(", ");
        out.push_bind_param::<Nullable<Text>, _>(&self.media_urls)?;
        out.push_sql(", ");
        out.push_bind_param::<Timestamp, _>(&self.at)?;
        out.push_sql(", ");
        out.push_bind_param::<Timestamp, _>(&self.at)?;
        // The conflict is with the unique gateway id: the gateway sent this text before.
        out.push_sql(
            " FROM t ON CONFLICT DO NOTHING RETURNING id, ticket_id), u AS (UPDATE tickets SET message_count = \
             tickets.message_count + ",
        );
        out.push_bind_param::<Integer, _>(&self.added)?;
        out.push_sql(", updated_at = ");
        out.push_bind_param::<Timestamp, _>(&self.at)?;
        out.push_sql(", last_message_preview = COALESCE(");
        out.push_bind_param::<Nullable<Text>, _>(&self.preview)?;
        out.push_sql(", tickets.last_message_preview), last_message_direction = COALESCE(");
        out.push_bind_param::<Nullable<Text>, _>(&self.shown_direction)?;
        out.push_sql(", tickets.last_message_direction), last_message_at = CASE WHEN ");
        out.push_bind_param::<Nullable<Text>, _>(&self.shown_direction)?;
        out.push_sql(" IS NULL THEN tickets.last_message_at ELSE ");
        out.push_bind_param::<Timestamp, _>(&self.at)?;
        out.push_sql(" END, last_inbound_message_id = CASE WHEN ");
        out.push_bind_param::<Bool, _>(&self.newest_inbound)?;
        out.push_sql(" THEN m.id ELSE tickets.last_inbound_message_id END, waiting_since = CASE WHEN ");
        out.push_bind_param::<Bool, _>(&self.waiting.1)?;
        out.push_sql(" THEN NULL WHEN ");
        out.push_bind_param::<Bool, _>(&self.waiting.0)?;
        out.push_sql(" THEN COALESCE(tickets.waiting_since, ");
        out.push_bind_param::<Timestamp, _>(&self.at)?;
        out.push_sql(") ELSE tickets.waiting_since END, status = CASE WHEN tickets.status = ");
        out.push_bind_param::<Text, _>(&self.from)?;
        out.push_sql(" THEN ");
        out.push_bind_param::<Text, _>(&self.to)?;
        out.push_sql(" ELSE tickets.status END FROM m WHERE tickets.id = m.ticket_id) SELECT t.id, m.id FROM t LEFT JOIN m ON true");
        Ok(())
    }
}

impl diesel::query_builder::Query for AppendText {
    type SqlType = (BigInt, Nullable<BigInt>);
}

impl RunQueryDsl<PgConnection> for AppendText {}
