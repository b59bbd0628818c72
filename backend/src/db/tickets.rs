//! The ticket rules' storage ([`TicketStore`]) on SQLite and PostgreSQL. What the two databases do alike is
//! written once over [`AnyConnection`]; where they differ (row locks, `RETURNING`, `ON CONFLICT`), each gets
//! its own statement here, and nothing of it leaks into `tickets/`.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::{contacts, messages, opt_outs, outbox, ticket_events, ticket_reads, tickets, users};
use crate::db::{AnyConnection, now};
use crate::domain::{
    DeliveryStatus, Direction, MessageId, Priority, TagColour, TagName, TicketId, TicketStatus, UserId,
};
use crate::on_backend;
use crate::tags::Tag;
use crate::tickets::Message;
use crate::tickets::events::NewEvent;
use crate::tickets::store::{
    AppendedText, NewMessage, OpenedBy, Pair, TicketActivity, TicketEdit, TicketState, TicketStore, Transition,
    append_text_step_by_step,
};

impl TicketStore for AnyConnection {
    fn append_text(
        &mut self,
        pair: Pair<'_>,
        text: &NewMessage<'_>,
        transition: Transition,
    ) -> QueryResult<Option<AppendedText>> {
        match self {
            // One round trip instead of three (see postgres/tickets.rs).
            AnyConnection::Postgresql(pg) if !text.goes_out() => {
                crate::db::postgres::tickets::append_text(pg, pair, text, transition)
            }
            _ => append_text_step_by_step(self, pair, text, transition),
        }
    }

    fn find_unclosed_ticket(&mut self, pair: Pair<'_>) -> QueryResult<Option<(TicketId, TicketStatus)>> {
        // The partial unique index guarantees at most one row, so there is no LIMIT: SQLite re-plans a
        // statement with a bound LIMIT on every execution.
        let query = tickets::table
            .filter(tickets::customer_number.eq(pair.customer))
            .filter(tickets::channel_number.eq(pair.channel))
            .filter(TicketIsUnclosed)
            .select((tickets::id, tickets::status));
        // Locked on PostgreSQL, so a close cannot slip in between; SQLite's single writer runs write
        // transactions one at a time anyway.
        let mut found: Vec<(TicketId, TicketStatus)> = match self {
            AnyConnection::Postgresql(pg) => query.for_update().load(pg)?,
            AnyConnection::Sqlite(sqlite) => query.load(sqlite)?,
        };
        Ok(found.pop())
    }

    fn contact_name(&mut self, phone_number: &str) -> QueryResult<Option<String>> {
        // phone_number is unique: no LIMIT (see contact_for_number).
        let query = contacts::table.filter(contacts::phone_number.eq(phone_number)).select(contacts::name);
        Ok(self.load_native::<_, Option<String>>(query)?.pop().flatten())
    }

    fn open_ticket(&mut self, pair: Pair<'_>, opened_by: OpenedBy) -> QueryResult<Option<TicketId>> {
        let contact_id = contact_for_number(self, pair.customer)?;
        let now = now();
        let row = (
            tickets::customer_number.eq(pair.customer),
            tickets::channel_number.eq(pair.channel),
            tickets::status.eq(TicketStatus::Open),
            tickets::contact_id.eq(contact_id),
            tickets::created_at.eq(now),
            tickets::updated_at.eq(now),
            tickets::first_inbound_at.eq(opened_by.is_first_inbound().then_some(now)),
        );
        // The conflict is with the partial unique index on a pair's unclosed ticket: the loser of two
        // concurrent openers inserts nothing.
        crate::insert_new_returning_id!(
            self,
            diesel::insert_into(tickets::table).values(row).on_conflict_do_nothing(),
            tickets::id
        )
    }

    fn lock_ticket(&mut self, id: TicketId) -> QueryResult<Option<TicketState>> {
        let query = tickets::table.find(id).select((
            tickets::status,
            tickets::customer_number,
            tickets::channel_number,
            tickets::assignee_id,
        ));
        let mut found: Vec<(TicketStatus, String, String, Option<UserId>)> = match self {
            AnyConnection::Postgresql(pg) => query.for_update().load(pg)?,
            AnyConnection::Sqlite(sqlite) => query.load(sqlite)?,
        };
        Ok(found.pop().map(|(status, customer, channel, assignee)| TicketState { status, customer, channel, assignee }))
    }

    fn insert_message(&mut self, message: &NewMessage<'_>) -> QueryResult<Option<MessageId>> {
        let now = now();
        let row = (
            messages::ticket_id.eq(message.ticket_id),
            messages::direction.eq(message.direction()),
            messages::internal.eq(message.internal),
            messages::body.eq(message.body),
            messages::author_id.eq(message.author()),
            messages::provider.eq(message.provider),
            messages::provider_message_id.eq(message.provider_message_id),
            messages::delivery_status.eq(message.delivery_status()),
            messages::media_urls.eq(message.media_urls.as_deref()),
            messages::created_at.eq(now),
            messages::updated_at.eq(now),
        );
        // The conflict is with the unique gateway id: the gateway sent this text before.
        let id: Option<MessageId> = crate::insert_new_returning_id!(
            self,
            diesel::insert_into(messages::table).values(row).on_conflict_do_nothing(),
            messages::id
        )?;
        if let Some(id) = id
            && message.goes_out()
        {
            self.execute_native(diesel::insert_into(outbox::table).values((
                outbox::message_id.eq(id),
                outbox::attempts.eq(0),
                outbox::next_attempt_at.eq(now),
            )))?;
        }
        Ok(id)
    }

    fn record_activity(&mut self, activity: &TicketActivity) -> QueryResult<()> {
        let record = RecordActivity {
            ticket_id: activity.ticket_id,
            added: activity.added_messages,
            at: activity.at,
            preview: activity.preview.clone(),
            direction: activity.direction,
            inbound_id: activity.newest_inbound,
            waiting: activity.waiting.flags(),
        };
        // A reply's statement also records the first response; every other message's (a customer's text: the
        // ingest path) stays as it was, without those columns.
        match activity.first_response {
            Some(responder) => self.execute_native(RecordReply { activity: record, responder })?,
            None => self.execute_native(record)?,
        };
        if let Some(status) = activity.status {
            // Only when the status really changes: setting it at all rewrites every index that involves it.
            self.execute_native(
                diesel::update(tickets::table.find(activity.ticket_id).filter(tickets::status.ne(status)))
                    .set(tickets::status.eq(status)),
            )?;
        }
        Ok(())
    }

    fn edit_ticket(&mut self, id: TicketId, edit: &TicketEdit) -> QueryResult<()> {
        let closed_by = edit.closed.map(|close| close.map_or((None, false), |close| close.closed_by()));
        diesel::update(tickets::table.find(id))
            .set(TicketUpdate {
                status: edit.status,
                closed_at: edit.closed.map(|close| close.map(|close| close.at)),
                closed_by_id: closed_by.map(|(by, _)| by),
                auto_closed: closed_by.map(|(_, auto)| auto),
                assignee_id: edit.assignee,
                updated_at: edit.at,
            })
            .execute(self)
            .map(drop)
    }

    fn record_event(&mut self, event: &NewEvent) -> QueryResult<()> {
        record_event(self, event)
    }

    fn refresh_failed_delivery(&mut self, ticket_id: TicketId, at: NaiveDateTime) -> QueryResult<()> {
        refresh_failed_delivery(self, ticket_id, at)
    }

    fn message(&mut self, id: MessageId) -> QueryResult<Option<Message>> {
        Ok(messages::table.find(id).select(Message::as_select()).load(self)?.pop())
    }

    fn newest_message(&mut self, ticket_id: TicketId) -> QueryResult<Option<MessageId>> {
        messages::table
            .filter(messages::ticket_id.eq(ticket_id))
            .select(diesel::dsl::max(messages::id))
            .get_result(self)
    }

    fn requeue_message(&mut self, id: MessageId, at: NaiveDateTime) -> QueryResult<()> {
        diesel::update(messages::table.find(id))
            .set((
                messages::delivery_status.eq(DeliveryStatus::Queued),
                messages::error_code.eq(None::<String>),
                messages::error_message.eq(None::<String>),
                messages::provider.eq(None::<String>),
                messages::provider_message_id.eq(None::<String>),
                messages::updated_at.eq(at),
            ))
            .execute(self)?;
        let row = (outbox::message_id.eq(id), outbox::attempts.eq(0), outbox::next_attempt_at.eq(at));
        on_backend!(self, |c| diesel::insert_into(outbox::table).values(row).on_conflict_do_nothing().execute(c))?;
        Ok(())
    }

    fn mark_read(
        &mut self,
        user: UserId,
        ticket_id: TicketId,
        message: MessageId,
        at: NaiveDateTime,
    ) -> QueryResult<()> {
        let row = (
            ticket_reads::user_id.eq(user),
            ticket_reads::ticket_id.eq(ticket_id),
            ticket_reads::last_read_message_id.eq(message),
            ticket_reads::read_at.eq(at),
        );
        on_backend!(self, |c| diesel::insert_into(ticket_reads::table)
            .values(row)
            .on_conflict((ticket_reads::user_id, ticket_reads::ticket_id))
            .do_update()
            .set((ticket_reads::last_read_message_id.eq(message), ticket_reads::read_at.eq(at)))
            .execute(c))?;
        Ok(())
    }

    fn is_active_user(&mut self, id: UserId) -> QueryResult<bool> {
        diesel::select(diesel::dsl::exists(users::table.filter(users::id.eq(id)).filter(users::active.eq(true))))
            .get_result(self)
    }

    fn is_opted_out(&mut self, pair: Pair<'_>) -> QueryResult<bool> {
        let found = self.load_native::<_, bool>(diesel::select(diesel::dsl::exists(
            opt_outs::table
                .filter(opt_outs::customer_number.eq(pair.customer))
                .filter(opt_outs::channel_number.eq(pair.channel)),
        )))?;
        Ok(found.first() == Some(&true))
    }

    fn record_opt_out(&mut self, pair: Pair<'_>, at: NaiveDateTime) -> QueryResult<()> {
        record_opt_out(self, pair, at)
    }

    fn remove_opt_out(&mut self, pair: Pair<'_>) -> QueryResult<()> {
        diesel::delete(
            opt_outs::table
                .filter(opt_outs::customer_number.eq(pair.customer))
                .filter(opt_outs::channel_number.eq(pair.channel)),
        )
        .execute(self)
        .map(drop)
    }

    fn inactive_tickets(&mut self, before: NaiveDateTime, limit: i64) -> QueryResult<Vec<TicketId>> {
        let stale = tickets::table
            .filter(TicketIsOpenOrPending)
            .filter(tickets::updated_at.lt(before))
            .order(tickets::id.asc())
            .select(tickets::id)
            .limit(limit);
        match self {
            // Skipping what others hold: two replicas' auto-close, or a text arriving for one of them, never
            // wait on each other (and never deadlock, each taking its rows in id order).
            AnyConnection::Postgresql(pg) => stale.for_update().skip_locked().load(pg),
            AnyConnection::Sqlite(sqlite) => stale.load(sqlite),
        }
    }

    fn claim_out_of_office(
        &mut self,
        ticket_id: TicketId,
        at: NaiveDateTime,
        since: Option<NaiveDateTime>,
    ) -> QueryResult<bool> {
        let ticket = tickets::table.find(ticket_id);
        let not_yet = tickets::out_of_office_at.is_null();
        let claimed = match since {
            Some(since) => diesel::update(ticket.filter(not_yet.or(tickets::out_of_office_at.lt(since))))
                .set(tickets::out_of_office_at.eq(at))
                .execute(self)?,
            None => diesel::update(ticket.filter(not_yet)).set(tickets::out_of_office_at.eq(at)).execute(self)?,
        };
        Ok(claimed == 1)
    }

    fn find_tags(&mut self, names: &[TagName]) -> QueryResult<Vec<Tag>> {
        crate::tags::find_tags_by_name(self, names)
    }

    fn create_tag(&mut self, name: &TagName, colour: &TagColour, at: NaiveDateTime) -> QueryResult<Option<Tag>> {
        crate::tags::insert_tag(self, name, colour, at)
    }

    fn ticket_tags(&mut self, ticket_id: TicketId) -> QueryResult<Vec<Tag>> {
        Ok(crate::tags::tags_of_tickets(self, &[ticket_id])?.remove(&ticket_id).unwrap_or_default())
    }

    fn change_ticket_tags(&mut self, ticket_id: TicketId, add: &[i64], remove: &[i64]) -> QueryResult<()> {
        crate::tags::change_ticket_tags(self, ticket_id, add, remove)
    }

    fn ticket_priority(&mut self, ticket_id: TicketId) -> QueryResult<Priority> {
        let rank: i16 = tickets::table.find(ticket_id).select(tickets::priority).first(self)?;
        Ok(Priority::from_rank(rank).unwrap_or_default())
    }

    fn set_priority(&mut self, ticket_id: TicketId, priority: Priority, at: NaiveDateTime) -> QueryResult<()> {
        diesel::update(tickets::table.find(ticket_id))
            .set((tickets::priority.eq(priority.rank()), tickets::updated_at.eq(at)))
            .execute(self)
            .map(drop)
    }

    fn next_round_robin_member(&mut self, channel: &str, at: NaiveDateTime) -> QueryResult<Option<UserId>> {
        crate::db::inboxes::claim_round_robin_member(self, channel, at)
    }
}

/// The one place an opt-out is written: the customer sent STOP to this number of ours (or the gateway told
/// us they had). Per pair, as carriers enforce it.
pub(crate) fn record_opt_out(conn: &mut AnyConnection, pair: Pair<'_>, at: NaiveDateTime) -> QueryResult<()> {
    let row = (
        opt_outs::customer_number.eq(pair.customer),
        opt_outs::channel_number.eq(pair.channel),
        opt_outs::created_at.eq(at),
    );
    on_backend!(conn, |c| diesel::insert_into(opt_outs::table).values(row).on_conflict_do_nothing().execute(c))?;
    Ok(())
}

pub(crate) type TicketOptedOut = diesel::dsl::exists<
    diesel::dsl::Filter<
        diesel::dsl::Filter<opt_outs::table, diesel::dsl::Eq<opt_outs::customer_number, tickets::customer_number>>,
        diesel::dsl::Eq<opt_outs::channel_number, tickets::channel_number>,
    >,
>;

/// Whether a ticket's customer opted out of its number of ours, as an expression for queries over tickets
/// (the queue, the outbox's claims): the same question as [`TicketStore::is_opted_out`].
pub(crate) fn ticket_opted_out() -> TicketOptedOut {
    diesel::dsl::exists(
        opt_outs::table
            .filter(opt_outs::customer_number.eq(tickets::customer_number))
            .filter(opt_outs::channel_number.eq(tickets::channel_number)),
    )
}

/// The contact for a phone number, created on first contact.
/// Adds an event to a ticket's timeline (shared by the ticket rules' and the outbox's stores).
pub(crate) fn record_event(conn: &mut AnyConnection, event: &NewEvent) -> QueryResult<()> {
    let details =
        serde_json::to_string(&event.details).map_err(|e| diesel::result::Error::SerializationError(e.into()))?;
    conn.execute_native(diesel::insert_into(ticket_events::table).values((
        ticket_events::ticket_id.eq(event.ticket_id),
        ticket_events::kind.eq(event.kind),
        ticket_events::actor_id.eq(event.actor),
        ticket_events::at.eq(event.at),
        ticket_events::details.eq(details),
    )))
    .map(drop)
}

/// The ticket's newest failed or undelivered reply's time (or none), on the ticket, where the queue and the
/// notifications read it. One statement; it runs only when a delivery fails or is retried.
pub(crate) fn refresh_failed_delivery(
    conn: &mut AnyConnection,
    ticket_id: TicketId,
    at: NaiveDateTime,
) -> QueryResult<()> {
    let newest_failure = messages::table
        .filter(messages::ticket_id.eq(ticket_id))
        .filter(messages::delivery_status.eq_any([DeliveryStatus::Failed, DeliveryStatus::Undelivered]))
        .select(diesel::dsl::max(messages::updated_at))
        .single_value();
    // A change of the row: the queue's ETag and `updated_since` must see it.
    conn.execute_native(
        diesel::update(tickets::table.find(ticket_id))
            .set((tickets::failed_delivery_at.eq(newest_failure), tickets::updated_at.eq(at))),
    )
    .map(drop)
}

/// The contact of a phone number, made now if it has none (a concurrent maker wins cleanly).
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

#[derive(AsChangeset)]
#[diesel(table_name = tickets)]
struct TicketUpdate {
    status: Option<TicketStatus>,
    closed_at: Option<Option<NaiveDateTime>>,
    closed_by_id: Option<Option<UserId>>,
    auto_closed: Option<bool>,
    assignee_id: Option<Option<UserId>>,
    updated_at: NaiveDateTime,
}

/// The ticket bookkeeping every new message does, as one statement that is the same text whatever the
/// message (NULL binds keep a column as it is; a reply adds its first response: [`RecordReply`]), so SQLite
/// prepares it once. diesel never caches its own UPDATE
/// statements, and this one runs for every message.
#[derive(Debug, Clone, diesel::query_builder::QueryId)]
struct RecordActivity {
    ticket_id: TicketId,
    /// How many messages to count.
    added: i32,
    at: NaiveDateTime,
    preview: Option<String>,
    direction: Option<Direction>,
    inbound_id: Option<MessageId>,
    /// Whether the message starts the ticket's wait for an answer, or ends it ([`Waiting::flags`]).
    waiting: (bool, bool),
}

impl RecordActivity {
    /// `UPDATE tickets SET` and the columns every message changes, without the `WHERE`.
    fn push_changes<'b, DB>(&'b self, out: &mut diesel::query_builder::AstPass<'_, 'b, DB>) -> QueryResult<()>
    where
        DB: diesel::backend::Backend,
        TicketId: diesel::serialize::ToSql<diesel::sql_types::BigInt, DB>,
        i32: diesel::serialize::ToSql<diesel::sql_types::Integer, DB>,
        NaiveDateTime: diesel::serialize::ToSql<diesel::sql_types::Timestamp, DB>,
        Option<String>: diesel::serialize::ToSql<diesel::sql_types::Nullable<diesel::sql_types::Text>, DB>,
        Option<Direction>: diesel::serialize::ToSql<diesel::sql_types::Nullable<diesel::sql_types::Text>, DB>,
        Option<MessageId>: diesel::serialize::ToSql<diesel::sql_types::Nullable<diesel::sql_types::BigInt>, DB>,
        bool: diesel::serialize::ToSql<diesel::sql_types::Bool, DB>,
        DB: diesel::sql_types::HasSqlType<diesel::sql_types::Bool>,
    {
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
        out.push_sql(", last_inbound_message_id), waiting_since = CASE WHEN ");
        out.push_bind_param::<diesel::sql_types::Bool, _>(&self.waiting.1)?;
        out.push_sql(" THEN NULL WHEN ");
        out.push_bind_param::<diesel::sql_types::Bool, _>(&self.waiting.0)?;
        out.push_sql(" THEN COALESCE(waiting_since, ");
        out.push_bind_param::<Timestamp, _>(&self.at)?;
        out.push_sql(") ELSE waiting_since END");
        Ok(())
    }
}

impl<DB> diesel::query_builder::QueryFragment<DB> for RecordActivity
where
    DB: diesel::backend::Backend,
    TicketId: diesel::serialize::ToSql<diesel::sql_types::BigInt, DB>,
    i32: diesel::serialize::ToSql<diesel::sql_types::Integer, DB>,
    NaiveDateTime: diesel::serialize::ToSql<diesel::sql_types::Timestamp, DB>,
    Option<String>: diesel::serialize::ToSql<diesel::sql_types::Nullable<diesel::sql_types::Text>, DB>,
    Option<Direction>: diesel::serialize::ToSql<diesel::sql_types::Nullable<diesel::sql_types::Text>, DB>,
    Option<MessageId>: diesel::serialize::ToSql<diesel::sql_types::Nullable<diesel::sql_types::BigInt>, DB>,
    bool: diesel::serialize::ToSql<diesel::sql_types::Bool, DB>,
    DB: diesel::sql_types::HasSqlType<diesel::sql_types::Bool>,
{
    fn walk_ast<'b>(&'b self, mut out: diesel::query_builder::AstPass<'_, 'b, DB>) -> QueryResult<()> {
        self.push_changes(&mut out)?;
        out.push_sql(" WHERE id = ");
        out.push_bind_param::<diesel::sql_types::BigInt, _>(&self.ticket_id)?;
        Ok(())
    }
}

/// [`RecordActivity`] for an agent's reply to the customer, which also records the ticket's first response
/// (time and agent) unless it has one or no customer's text opened it ([`TicketActivity::first_response`]).
/// A statement of its own (one text, prepared once), so that a customer's text does not pay for it.
#[derive(Debug, Clone, diesel::query_builder::QueryId)]
struct RecordReply {
    activity: RecordActivity,
    responder: UserId,
}

impl<DB> diesel::query_builder::QueryFragment<DB> for RecordReply
where
    DB: diesel::backend::Backend,
    TicketId: diesel::serialize::ToSql<diesel::sql_types::BigInt, DB>,
    i32: diesel::serialize::ToSql<diesel::sql_types::Integer, DB>,
    NaiveDateTime: diesel::serialize::ToSql<diesel::sql_types::Timestamp, DB>,
    Option<String>: diesel::serialize::ToSql<diesel::sql_types::Nullable<diesel::sql_types::Text>, DB>,
    Option<Direction>: diesel::serialize::ToSql<diesel::sql_types::Nullable<diesel::sql_types::Text>, DB>,
    Option<MessageId>: diesel::serialize::ToSql<diesel::sql_types::Nullable<diesel::sql_types::BigInt>, DB>,
    UserId: diesel::serialize::ToSql<diesel::sql_types::BigInt, DB>,
    bool: diesel::serialize::ToSql<diesel::sql_types::Bool, DB>,
    DB: diesel::sql_types::HasSqlType<diesel::sql_types::Bool>,
{
    fn walk_ast<'b>(&'b self, mut out: diesel::query_builder::AstPass<'_, 'b, DB>) -> QueryResult<()> {
        use diesel::sql_types::{BigInt, Timestamp};
        self.activity.push_changes(&mut out)?;
        // Both read the row as it was (an UPDATE's expressions see the old values), so they agree.
        out.push_sql(
            ", first_response_at = CASE WHEN first_response_at IS NULL AND first_inbound_at IS NOT NULL THEN ",
        );
        out.push_bind_param::<Timestamp, _>(&self.activity.at)?;
        out.push_sql(
            " ELSE first_response_at END, first_responder_id = CASE WHEN first_response_at IS NULL AND \
             first_inbound_at IS NOT NULL THEN ",
        );
        out.push_bind_param::<BigInt, _>(&self.responder)?;
        out.push_sql(" ELSE first_responder_id END WHERE id = ");
        out.push_bind_param::<BigInt, _>(&self.activity.ticket_id)?;
        Ok(())
    }
}

impl<Conn> RunQueryDsl<Conn> for RecordReply {}

impl<Conn> RunQueryDsl<Conn> for RecordActivity {}

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

/// The contract of [`TicketStore`]: the same scenarios on SQLite and, with `TEST_DATABASE_URL`, PostgreSQL.
#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod contract {
    use chrono::Duration;

    use super::*;
    use crate::db::StoreError;
    use crate::db::scratch::Scratch;
    use crate::tickets::store::{Closer, Origin, Waiting};

    const ANA: Pair<'static> = Pair { customer: "+14155550123", channel: "+14155550100" };

    fn text<'a>(ticket_id: TicketId, body: &'a str, gateway_id: Option<&'a str>) -> NewMessage<'a> {
        NewMessage {
            ticket_id,
            origin: Origin::Customer,
            internal: false,
            body,
            provider: Some("twilio"),
            provider_message_id: gateway_id,
            media_urls: None,
        }
    }

    /// A user to author messages, as the foreign keys want.
    fn agent(store: &mut AnyConnection, email: &str, active: bool) -> Result<UserId, StoreError> {
        diesel::insert_into(users::table)
            .values((
                users::email.eq(email),
                users::name.eq("Agent"),
                users::role.eq(crate::domain::Role::Agent),
                users::active.eq(active),
                users::created_at.eq(now()),
            ))
            .execute(store)?;
        Ok(users::table.filter(users::email.eq(email)).select(users::id).first(store)?)
    }

    /// Runs `scenario` in one write transaction on every backend the run has.
    async fn on_each_backend<F>(scenario: F)
    where
        F: Fn(&mut AnyConnection, &'static str) -> Result<(), StoreError> + Send + Sync + Clone + 'static,
    {
        for scratch in Scratch::all().await {
            let backend = scratch.backend();
            let scenario = scenario.clone();
            scratch.db.write(move |conn| scenario(conn, backend)).await.unwrap();
        }
    }

    #[tokio::test]
    async fn a_pair_has_one_unclosed_ticket_and_a_closed_one_makes_room() {
        on_each_backend(|store, backend| {
            assert_eq!(store.find_unclosed_ticket(ANA)?, None, "{backend}");
            let first = store.open_ticket(ANA, OpenedBy::Customer)?.unwrap();
            assert_eq!(store.find_unclosed_ticket(ANA)?, Some((first, TicketStatus::Open)), "{backend}");
            assert_eq!(store.open_ticket(ANA, OpenedBy::Customer)?, None, "{backend}: one unclosed ticket per pair");
            let other_channel = Pair { channel: "+14155550199", ..ANA };
            assert!(
                store.open_ticket(other_channel, OpenedBy::Customer)?.is_some(),
                "{backend}: another number of ours is another pair"
            );

            let state = store.lock_ticket(first)?.unwrap();
            assert_eq!((state.status, state.pair()), (TicketStatus::Open, ANA), "{backend}");
            assert_eq!(store.lock_ticket(TicketId(999_999))?, None, "{backend}");
            let at = now();
            store.edit_ticket(first, &TicketEdit::close(at, Closer::Smsdesk))?;
            assert_eq!(store.find_unclosed_ticket(ANA)?, None, "{backend}");
            let second = store.open_ticket(ANA, OpenedBy::Customer)?.unwrap();
            assert_ne!(first, second, "{backend}");
            Ok(())
        })
        .await;
    }

    #[tokio::test]
    async fn a_gateway_id_is_stored_once_and_only_outgoing_messages_wait_in_the_outbox() {
        on_each_backend(|store, backend| {
            let ticket = store.open_ticket(ANA, OpenedBy::Customer)?.unwrap();
            let first = store.insert_message(&text(ticket, "Hi", Some("SM1")))?;
            assert!(first.is_some(), "{backend}");
            assert_eq!(store.insert_message(&text(ticket, "Hi again", Some("SM1")))?, None, "{backend}: same id");
            assert!(store.insert_message(&text(ticket, "No id", None))?.is_some(), "{backend}");
            assert!(store.insert_message(&text(ticket, "No id either", None))?.is_some(), "{backend}");
            let author = agent(store, "a@example.com", true)?;
            let note = NewMessage { origin: Origin::Agent(author), internal: true, ..text(ticket, "Note", None) };
            let reply = NewMessage { origin: Origin::Agent(author), ..text(ticket, "Reply", None) };
            let (note, reply) = (store.insert_message(&note)?.unwrap(), store.insert_message(&reply)?.unwrap());
            let queued: Vec<MessageId> = outbox::table.select(outbox::message_id).load(store)?;
            assert_eq!(queued, [reply], "{backend}: the reply waits, the text and the note do not");
            assert_eq!(store.message(reply)?.unwrap().delivery_status, Some(DeliveryStatus::Queued), "{backend}");
            assert_eq!(store.message(note)?.unwrap().delivery_status, None, "{backend}");
            assert_eq!(store.newest_message(ticket)?, Some(reply), "{backend}");
            Ok(())
        })
        .await;
    }

    #[tokio::test]
    async fn activity_keeps_what_it_does_not_name_and_changes_a_status_only_if_different() {
        on_each_backend(|store, backend| {
            let ticket = store.open_ticket(ANA, OpenedBy::Customer)?.unwrap();
            let id = store.insert_message(&text(ticket, "Hi", None))?.unwrap();
            let at = now();
            let activity = TicketActivity {
                ticket_id: ticket,
                added_messages: 2,
                at,
                preview: Some("Hi".into()),
                direction: Some(Direction::Inbound),
                newest_inbound: Some(id),
                status: Some(TicketStatus::Open),
                waiting: Waiting::Starts,
                first_response: None,
            };
            store.record_activity(&activity)?;
            let later = at + Duration::seconds(1);
            store.record_activity(&TicketActivity {
                added_messages: 1,
                at: later,
                preview: None,
                direction: None,
                newest_inbound: None,
                status: Some(TicketStatus::Pending),
                waiting: Waiting::Keeps,
                ..activity.clone()
            })?;
            let row: (i32, Option<String>, Option<Direction>, Option<NaiveDateTime>, Option<MessageId>, TicketStatus) =
                tickets::table
                    .find(ticket)
                    .select((
                        tickets::message_count,
                        tickets::last_message_preview,
                        tickets::last_message_direction,
                        tickets::last_message_at,
                        tickets::last_inbound_message_id,
                        tickets::status,
                    ))
                    .first(store)?;
            assert_eq!(
                row,
                (3, Some("Hi".into()), Some(Direction::Inbound), Some(at), Some(id), TicketStatus::Pending),
                "{backend}"
            );
            let updated: NaiveDateTime = tickets::table.find(ticket).select(tickets::updated_at).first(store)?;
            assert_eq!(updated, later, "{backend}: any activity is activity");
            Ok(())
        })
        .await;
    }

    /// What the list shows of a ticket: count, preview, direction, newest inbound message, status.
    type ListedTicket = (i32, Option<String>, Option<Direction>, Option<MessageId>, TicketStatus);

    /// What appending a text leaves behind, without timestamps: the result, and the ticket's row.
    type AppendTrace = (Option<(bool, bool)>, Option<(i32, Option<String>, Option<Direction>, bool, TicketStatus)>);

    /// The same texts appended through `append` to pairs of `customer_prefix` in four situations: an open
    /// ticket, a pending one (the transition applies), a gateway id seen before, and no ticket at all.
    fn append_scenarios(
        store: &mut AnyConnection,
        customer_prefix: &str,
        append: fn(&mut AnyConnection, Pair<'_>, &NewMessage<'_>, Transition) -> QueryResult<Option<AppendedText>>,
    ) -> Result<Vec<AppendTrace>, StoreError> {
        let reopen = Transition { from: TicketStatus::Pending, to: TicketStatus::Open };
        let customers: Vec<String> = (0..4).map(|n| format!("{customer_prefix}{n}")).collect();
        let pairs: Vec<Pair<'_>> = customers.iter().map(|c| Pair { customer: c, channel: ANA.channel }).collect();
        for pair in &pairs[..3] {
            store.open_ticket(*pair, OpenedBy::Customer)?;
        }
        let (pending, _) = store.find_unclosed_ticket(pairs[1])?.unwrap();
        let at = now();
        store.edit_ticket(
            pending,
            &TicketEdit { status: Some(TicketStatus::Pending), closed: None, assignee: None, at },
        )?;
        let known_id = format!("SM{customer_prefix}known");
        let first = store.find_unclosed_ticket(pairs[2])?.unwrap().0;
        store.insert_message(&text(first, "Earlier", Some(&known_id)))?;
        let mut traces = Vec::new();
        let ids = [
            format!("SM{customer_prefix}a"),
            format!("SM{customer_prefix}b"),
            known_id,
            format!("SM{customer_prefix}d"),
        ];
        for (pair, id) in pairs.iter().zip(&ids) {
            let appended = append(store, *pair, &text(TicketId(0), "Any news?", Some(id)), reopen)?;
            let row: Option<ListedTicket> = tickets::table
                .filter(tickets::customer_number.eq(pair.customer))
                .select((
                    tickets::message_count,
                    tickets::last_message_preview,
                    tickets::last_message_direction,
                    tickets::last_inbound_message_id,
                    tickets::status,
                ))
                .first(store)
                .optional()?;
            traces.push((
                appended.map(|a| {
                    (
                        a.message_id.is_some(),
                        a.message_id.is_some() && row.as_ref().is_some_and(|r| r.3 == a.message_id),
                    )
                }),
                row.map(|(count, preview, direction, inbound, status)| {
                    (count, preview, direction, inbound.is_some(), status)
                }),
            ));
        }
        Ok(traces)
    }

    #[tokio::test]
    async fn appending_a_text_in_one_statement_does_what_the_steps_do() {
        on_each_backend(|store, backend| {
            let stored = append_scenarios(store, "+1415555010", |s, p, t, tr| s.append_text(p, t, tr))?;
            let stepped = append_scenarios(store, "+1415555020", append_text_step_by_step)?;
            assert_eq!(stored, stepped, "{backend}");
            let joined = Some((1, Some("Any news?".to_owned()), Some(Direction::Inbound), true, TicketStatus::Open));
            assert_eq!(stored[0], (Some((true, true)), joined.clone()), "{backend}: joined the open ticket");
            assert_eq!(stored[1], (Some((true, true)), joined), "{backend}: and moved the pending one to open");
            assert_eq!(stored[2].0, Some((false, false)), "{backend}: a known gateway id writes nothing");
            assert_eq!(stored[2].1.as_ref().map(|r| r.0), Some(0), "{backend}: nothing recorded on the ticket");
            assert_eq!(stored[3], (None, None), "{backend}: no ticket, nothing written");
            // The text starts the ticket's wait for an answer in both forms; the known gateway id's ticket (its
            // earlier text stored without being recorded on it) does not wait.
            for prefix in ["+1415555010", "+1415555020"] {
                let mut waiting = Vec::new();
                for n in 0..3 {
                    let since: Option<NaiveDateTime> = tickets::table
                        .filter(tickets::customer_number.eq(format!("{prefix}{n}")))
                        .select(tickets::waiting_since)
                        .first(store)?;
                    waiting.push(since.is_some());
                }
                assert_eq!(waiting, [true, true, false], "{backend}: {prefix}");
            }
            Ok(())
        })
        .await;
    }

    /// The reports' facts on a ticket: `first_inbound_at`, `created_at`, `first_response_at`,
    /// `first_responder_id`, `closed_at`, `closed_by_id`, `auto_closed`.
    type Facts = (
        Option<NaiveDateTime>,
        NaiveDateTime,
        Option<NaiveDateTime>,
        Option<UserId>,
        Option<NaiveDateTime>,
        Option<UserId>,
        bool,
    );

    fn facts(store: &mut AnyConnection, ticket: TicketId) -> QueryResult<Facts> {
        tickets::table
            .find(ticket)
            .select((
                tickets::first_inbound_at,
                tickets::created_at,
                tickets::first_response_at,
                tickets::first_responder_id,
                tickets::closed_at,
                tickets::closed_by_id,
                tickets::auto_closed,
            ))
            .first(store)
    }

    /// Stores `message` and records it on its ticket as the rules do: the activity's `at`.
    fn add(store: &mut AnyConnection, message: &NewMessage<'_>) -> Result<NaiveDateTime, StoreError> {
        let id = store.insert_message(message)?.unwrap();
        let activity = crate::tickets::text_activity(message, id, 1);
        store.record_activity(&activity)?;
        Ok(activity.at)
    }

    #[tokio::test]
    async fn the_first_agent_reply_to_a_ticket_a_customer_opened_is_its_first_response_once() {
        on_each_backend(|store, backend| {
            let (ana, ben) = (agent(store, "a@example.com", true)?, agent(store, "b@example.com", true)?);
            let ticket = store.open_ticket(ANA, OpenedBy::Customer)?.unwrap();
            let (inbound, created, ..) = facts(store, ticket)?;
            assert_eq!(inbound, Some(created), "{backend}: the customer's text opened it");
            add(store, &text(ticket, "Hi", Some("SM1")))?;
            let automatic = NewMessage { origin: Origin::Automatic, ..text(ticket, "We got it", None) };
            add(store, &automatic)?;
            let note = NewMessage { origin: Origin::Agent(ana), internal: true, ..text(ticket, "VIP", None) };
            add(store, &note)?;
            assert_eq!(facts(store, ticket)?.2, None, "{backend}: confirmations and notes answer nobody");
            let replied = add(store, &NewMessage { origin: Origin::Agent(ben), ..text(ticket, "Hello!", None) })?;
            let again = NewMessage { origin: Origin::Agent(ana), ..text(ticket, "Anything else?", None) };
            add(store, &again)?;
            let append = |s: &mut AnyConnection, t: &NewMessage<'_>| {
                s.append_text(ANA, t, Transition { from: TicketStatus::Pending, to: TicketStatus::Open })
            };
            append(store, &text(TicketId(0), "Thanks", Some("SM2")))?.unwrap();
            let (inbound, _, response, responder, ..) = facts(store, ticket)?;
            assert_eq!((inbound, response, responder), (Some(created), Some(replied), Some(ben)), "{backend}");

            // A conversation an agent started has no first response, even once the customer answers.
            let outbound = store.open_ticket(Pair { customer: "+14155550124", ..ANA }, OpenedBy::Agent)?.unwrap();
            add(store, &NewMessage { origin: Origin::Agent(ana), ..text(outbound, "Your parcel is here", None) })?;
            add(store, &text(outbound, "Thanks!", Some("SM3")))?;
            add(store, &NewMessage { origin: Origin::Agent(ana), ..text(outbound, "You are welcome", None) })?;
            let (inbound, _, response, responder, ..) = facts(store, outbound)?;
            assert_eq!((inbound, response, responder), (None, None, None), "{backend}");
            Ok(())
        })
        .await;
    }

    #[tokio::test]
    async fn a_close_keeps_who_closed_it_and_leaving_closed_forgets_it() {
        on_each_backend(|store, backend| {
            let ana = agent(store, "a@example.com", true)?;
            let ticket = store.open_ticket(ANA, OpenedBy::Customer)?.unwrap();
            let closed = |s: &mut AnyConnection| facts(s, ticket).map(|f| (f.4, f.5, f.6));
            assert_eq!(closed(store)?, (None, None, false), "{backend}");
            let at = now();
            store.edit_ticket(ticket, &TicketEdit::close(at, Closer::Agent(ana)))?;
            assert_eq!(closed(store)?, (Some(at), Some(ana), false), "{backend}: an agent closed it");
            let reopen = TicketEdit { status: Some(TicketStatus::Open), closed: Some(None), assignee: None, at };
            store.edit_ticket(ticket, &reopen)?;
            assert_eq!(closed(store)?, (None, None, false), "{backend}: reopened");
            let later = at + Duration::seconds(1);
            store.edit_ticket(ticket, &TicketEdit::close(later, Closer::Smsdesk))?;
            assert_eq!(closed(store)?, (Some(later), None, true), "{backend}: smsdesk closed it");
            store.edit_ticket(ticket, &TicketEdit { status: Some(TicketStatus::Pending), ..reopen.clone() })?;
            assert_eq!(closed(store)?, (None, None, false), "{backend}: moved to pending");
            store.edit_ticket(ticket, &TicketEdit::close(later, Closer::Agent(ana)))?;
            store.edit_ticket(ticket, &TicketEdit { assignee: Some(Some(ana)), at, ..TicketEdit::default() })?;
            assert_eq!(closed(store)?, (Some(later), Some(ana), false), "{backend}: an assignment keeps the close");
            Ok(())
        })
        .await;
    }

    #[tokio::test]
    async fn opt_outs_are_per_pair_and_recording_one_twice_is_harmless() {
        on_each_backend(|store, backend| {
            assert!(!store.is_opted_out(ANA)?, "{backend}");
            store.record_opt_out(ANA, now())?;
            store.record_opt_out(ANA, now())?;
            assert!(store.is_opted_out(ANA)?, "{backend}");
            assert!(!store.is_opted_out(Pair { channel: "+14155550199", ..ANA })?, "{backend}");
            store.remove_opt_out(ANA)?;
            assert!(!store.is_opted_out(ANA)?, "{backend}");
            Ok(())
        })
        .await;
    }

    #[tokio::test]
    async fn read_markers_move_and_failed_messages_go_back_to_the_outbox() {
        on_each_backend(|store, backend| {
            let ticket = store.open_ticket(ANA, OpenedBy::Customer)?.unwrap();
            let (active, inactive) = (agent(store, "a@example.com", true)?, agent(store, "b@example.com", false)?);
            let reply = NewMessage { origin: Origin::Agent(active), ..text(ticket, "Reply", None) };
            let id = store.insert_message(&reply)?.unwrap();
            diesel::delete(outbox::table).execute(store)?;
            diesel::update(messages::table.find(id))
                .set((messages::delivery_status.eq(DeliveryStatus::Failed), messages::error_code.eq("30003")))
                .execute(store)?;
            store.requeue_message(id, now())?;
            let message = store.message(id)?.unwrap();
            assert_eq!(
                (message.delivery_status, message.error_code),
                (Some(DeliveryStatus::Queued), None),
                "{backend}"
            );
            let queued: Vec<MessageId> = outbox::table.select(outbox::message_id).load(store)?;
            assert_eq!(queued, [id], "{backend}");

            for (user, is_active) in [(active, true), (inactive, false)] {
                assert_eq!(store.is_active_user(user)?, is_active, "{backend}");
                store.mark_read(user, ticket, id, now())?;
                store.mark_read(user, ticket, id, now())?;
            }
            let markers: i64 = ticket_reads::table.count().get_result(store)?;
            assert_eq!(markers, 2, "{backend}: one marker per user and ticket");
            Ok(())
        })
        .await;
    }

    #[tokio::test]
    async fn an_out_of_office_reply_is_claimed_once_per_closed_period() {
        on_each_backend(|store, backend| {
            let ticket = store.open_ticket(ANA, OpenedBy::Customer)?.unwrap();
            let night = now();
            assert!(store.claim_out_of_office(ticket, night, Some(night - Duration::hours(3)))?, "{backend}: first");
            let later = night + Duration::minutes(5);
            assert!(
                !store.claim_out_of_office(ticket, later, Some(night - Duration::hours(3)))?,
                "{backend}: same period"
            );
            assert!(!store.claim_out_of_office(ticket, later, None)?, "{backend}: never open: once ever");
            let next_night = night + Duration::hours(24);
            let next_period = night + Duration::hours(20);
            assert!(store.claim_out_of_office(ticket, next_night, Some(next_period))?, "{backend}: a new period");
            Ok(())
        })
        .await;
    }

    #[tokio::test]
    async fn round_robin_takes_the_available_member_handed_a_ticket_least_recently() {
        use crate::db::inboxes::{insert_inbox, replace_members, set_away, update_inbox};
        use crate::domain::AssignmentPolicy;
        on_each_backend(|store, backend| {
            let inbox = ANA.channel;
            assert_eq!(store.next_round_robin_member(inbox, now())?, None, "{backend}: no inbox");
            let a = agent(store, "a@example.com", true)?;
            let b = agent(store, "b@example.com", true)?;
            let gone = agent(store, "gone@example.com", false)?;
            insert_inbox(store, inbox, "Sales", AssignmentPolicy::Manual, now())?;
            replace_members(store, inbox, &[a, b, gone])?;
            assert_eq!(store.next_round_robin_member(inbox, now())?, None, "{backend}: a manual inbox");

            update_inbox(store, inbox, None, Some(AssignmentPolicy::RoundRobin), now())?;
            // The same instant for every turn: the order still holds (each turn is later than the last).
            let at = now();
            let turns: Vec<Option<UserId>> =
                (0..4).map(|_| store.next_round_robin_member(inbox, at)).collect::<QueryResult<_>>()?;
            assert_eq!(turns, [Some(a), Some(b), Some(a), Some(b)], "{backend}: the deactivated member is skipped");
            set_away(store, b, true)?;
            assert_eq!(store.next_round_robin_member(inbox, now())?, Some(a), "{backend}: away is skipped");
            assert_eq!(store.next_round_robin_member(inbox, now())?, Some(a), "{backend}");
            set_away(store, a, true)?;
            assert_eq!(store.next_round_robin_member(inbox, now())?, None, "{backend}: nobody available");
            set_away(store, b, false)?;
            replace_members(store, inbox, &[b])?;
            assert_eq!(store.next_round_robin_member(inbox, now())?, Some(b), "{backend}: members replaced");
            Ok(())
        })
        .await;
    }

    #[tokio::test]
    async fn inactive_tickets_are_the_unclosed_ones_quiet_since_the_cutoff() {
        on_each_backend(|store, backend| {
            let quiet = store.open_ticket(ANA, OpenedBy::Customer)?.unwrap();
            let closed = store.open_ticket(Pair { channel: "+14155550199", ..ANA }, OpenedBy::Customer)?.unwrap();
            let busy = store.open_ticket(Pair { customer: "+14155550124", ..ANA }, OpenedBy::Customer)?.unwrap();
            let long_ago = now() - Duration::days(30);
            diesel::update(tickets::table.filter(tickets::id.eq_any([quiet, closed])))
                .set(tickets::updated_at.eq(long_ago))
                .execute(store)?;
            let at = now();
            let close = TicketEdit { at: long_ago, ..TicketEdit::close(at, Closer::Smsdesk) };
            store.edit_ticket(closed, &close)?;
            let cutoff = now() - Duration::days(7);
            assert_eq!(store.inactive_tickets(cutoff, 10)?, [quiet], "{backend}: not {closed:?}, not {busy:?}");
            assert_eq!(store.inactive_tickets(cutoff, 0)?, [], "{backend}");
            Ok(())
        })
        .await;
    }
}

/// The reports migration fills the new columns of tickets that existed before it, on both databases.
#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod reports_backfill {
    use diesel::connection::SimpleConnection;
    use diesel::migration::MigrationVersion;
    use diesel_migrations::MigrationHarness;

    use super::*;

    /// The migration before the reports one.
    const BEFORE_REPORTS: &str = "20261208000011";

    /// Seven tickets as a desk had them, with their messages and events.
    const DESK: &str = "
        INSERT INTO users (email, name, role, active, created_at) VALUES
            ('ana@example.com', 'Ana', 'agent', TRUE, '2026-01-01 00:00:00'),
            ('ben@example.com', 'Ben', 'agent', TRUE, '2026-01-01 00:00:00');
        INSERT INTO tickets (customer_number, channel_number, status, created_at, updated_at) VALUES
            ('+1001', '+1900', 'open', '2026-01-02 10:00:00', '2026-01-02 10:06:00'),
            ('+1002', '+1900', 'closed', '2026-01-02 11:00:00', '2026-01-02 11:03:00'),
            ('+1003', '+1900', 'closed', '2026-01-02 12:00:00', '2026-01-09 12:00:00'),
            ('+1004', '+1900', 'closed', '2026-01-02 13:00:00', '2026-01-02 13:00:00'),
            ('+1005', '+1900', 'closed', '2026-01-02 13:30:00', '2026-01-02 13:30:00'),
            ('+1006', '+1900', 'closed', '2026-01-02 14:00:00', '2026-01-02 14:10:00'),
            ('+1007', '+1900', 'open', '2026-01-02 15:00:00', '2026-01-02 15:10:00');
        -- Ticket ids 1 to 7, users 1 and 2, in the order inserted above.
        INSERT INTO messages (ticket_id, direction, internal, body, author_id, created_at, updated_at) VALUES
            (1, 'inbound', FALSE, 'x', NULL, '2026-01-02 10:00:00', '2026-01-02 10:00:00'),
            (1, 'outbound', FALSE, 'x', NULL, '2026-01-02 10:00:01', '2026-01-02 10:00:01'),
            (1, 'outbound', TRUE, 'x', 1, '2026-01-02 10:00:02', '2026-01-02 10:00:02'),
            (1, 'outbound', FALSE, 'x', 2, '2026-01-02 10:05:00', '2026-01-02 10:05:00'),
            (1, 'outbound', FALSE, 'x', 1, '2026-01-02 10:06:00', '2026-01-02 10:06:00'),
            (2, 'outbound', FALSE, 'x', 1, '2026-01-02 11:00:00', '2026-01-02 11:00:00'),
            (2, 'inbound', FALSE, 'x', NULL, '2026-01-02 11:01:00', '2026-01-02 11:01:00'),
            (2, 'outbound', FALSE, 'x', 1, '2026-01-02 11:02:00', '2026-01-02 11:02:00'),
            (3, 'inbound', FALSE, 'x', NULL, '2026-01-02 12:00:00', '2026-01-02 12:00:00'),
            (4, 'inbound', FALSE, 'x', NULL, '2026-01-02 13:00:00', '2026-01-02 13:00:00'),
            (6, 'inbound', FALSE, 'x', NULL, '2026-01-02 14:00:00', '2026-01-02 14:00:00'),
            (7, 'inbound', FALSE, 'x', NULL, '2026-01-02 15:00:00', '2026-01-02 15:00:00');
        INSERT INTO ticket_events (ticket_id, kind, actor_id, at, details) VALUES
            (2, 'status_changed', 1, '2026-01-02 11:03:00', '{}'),
            (3, 'status_changed', 1, '2026-01-02 12:01:00', '{}'),
            (3, 'reopened', 2, '2026-01-02 12:02:00', '{}'),
            (3, 'auto_closed', NULL, '2026-01-09 12:00:00', '{}'),
            (4, 'opted_out', NULL, '2026-01-02 13:00:00', '{}'),
            (6, 'opted_out', NULL, '2026-01-02 14:01:00', '{}'),
            (6, 'status_changed', 2, '2026-01-02 14:02:00', '{}'),
            (6, 'assigned', 1, '2026-01-02 14:10:00', '{}'),
            (7, 'status_changed', 1, '2026-01-02 15:01:00', '{}'),
            (7, 'reopened', 2, '2026-01-02 15:10:00', '{}');
    ";

    /// Per ticket: customer, first_inbound_at, first_response_at, first_responder_id, closed_by_id, auto_closed.
    type Filled = (String, Option<NaiveDateTime>, Option<NaiveDateTime>, Option<UserId>, Option<UserId>, bool);

    /// Migrates `conn` to just before the reports, fills in [`DESK`], applies the reports migration.
    fn backfilled(mut conn: AnyConnection) -> Vec<Filled> {
        let before = MigrationVersion::from(BEFORE_REPORTS);
        match &mut conn {
            AnyConnection::Sqlite(c) => {
                while !c.applied_migrations().unwrap().contains(&before) {
                    c.run_next_migration(crate::db::SQLITE_MIGRATIONS).unwrap();
                }
            }
            AnyConnection::Postgresql(c) => {
                while !c.applied_migrations().unwrap().contains(&before) {
                    c.run_next_migration(crate::db::POSTGRES_MIGRATIONS).unwrap();
                }
            }
        }
        conn.batch_execute(DESK).unwrap();
        match &mut conn {
            AnyConnection::Sqlite(c) => drop(c.run_next_migration(crate::db::SQLITE_MIGRATIONS).unwrap()),
            AnyConnection::Postgresql(c) => drop(c.run_next_migration(crate::db::POSTGRES_MIGRATIONS).unwrap()),
        }
        tickets::table
            .order(tickets::id)
            .select((
                tickets::customer_number,
                tickets::first_inbound_at,
                tickets::first_response_at,
                tickets::first_responder_id,
                tickets::closed_by_id,
                tickets::auto_closed,
            ))
            .load(&mut conn)
            .unwrap()
    }

    fn expected() -> Vec<Filled> {
        let at =
            |t: &str| Some(NaiveDateTime::parse_from_str(&format!("2026-01-02 {t}"), "%Y-%m-%d %H:%M:%S").unwrap());
        let (ana, ben) = (Some(UserId(1)), Some(UserId(2)));
        vec![
            // The first agent reply, not the automatic one or the note.
            ("+1001".into(), at("10:00:00"), at("10:05:00"), ben, None, false),
            // A conversation an agent started, closed by hand.
            ("+1002".into(), None, None, None, ana, false),
            // Closed, reopened, auto-closed.
            ("+1003".into(), at("12:00:00"), None, None, None, true),
            // A first STOP.
            ("+1004".into(), at("13:00:00"), None, None, None, true),
            // Closed before the timeline existed: nobody known.
            ("+1005".into(), None, None, None, None, false),
            // STOP while open, then closed by hand (an assignment after the close changes nothing).
            ("+1006".into(), at("14:00:00"), None, None, ben, false),
            // Closed and reopened: open.
            ("+1007".into(), at("15:00:00"), None, None, None, false),
        ]
    }

    #[test]
    fn the_reports_migration_fills_in_existing_tickets_on_sqlite() {
        let dir = tempfile::tempdir().unwrap();
        let url = dir.path().join("m.db");
        let conn = AnyConnection::Sqlite(diesel::SqliteConnection::establish(url.to_str().unwrap()).unwrap());
        assert_eq!(backfilled(conn), expected());
    }

    #[test]
    fn the_reports_migration_fills_in_existing_tickets_on_postgres() {
        let Some(admin) = std::env::var("TEST_DATABASE_URL").ok().filter(|url| !url.trim().is_empty()) else {
            return;
        };
        let name = format!("smsdesk_backfill_{}", uuid::Uuid::new_v4().simple());
        let mut server = diesel::PgConnection::establish(&admin).unwrap();
        diesel::sql_query(format!("CREATE DATABASE {name}")).execute(&mut server).unwrap();
        let mut url = url::Url::parse(&admin).unwrap();
        url.set_path(&name);
        let filled = std::panic::catch_unwind(|| {
            backfilled(AnyConnection::Postgresql(diesel::PgConnection::establish(url.as_str()).unwrap()))
        });
        diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut server).unwrap();
        assert_eq!(filled.unwrap(), expected());
    }
}
