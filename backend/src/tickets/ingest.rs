use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};

use super::{
    NewMessage, Origin, find_unclosed_ticket, insert_message_row, is_opted_out, open_ticket, record_on_ticket,
};
use crate::app_settings::RuntimeSettings;
use crate::db::schema::opt_outs;
use crate::db::{AnyConnection, StoreError, now};
use crate::domain::{
    DeliveryStatus, Direction, MediaUrl, MessageId, OptKeyword, PhoneNumber, Provider, SmsText, TicketId, TicketStatus,
};
use crate::on_backend;

/// A text a customer sent us, as a gateway reported it.
#[derive(Debug, Clone)]
pub struct InboundSms {
    pub provider: Provider,
    /// The gateway's id for this message; `None` only for gateways that send none (MessageBird Flows).
    pub provider_message_id: Option<String>,
    pub from: PhoneNumber,
    /// The number of ours the customer texted.
    pub to: PhoneNumber,
    pub body: SmsText,
    pub media_urls: Vec<MediaUrl>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IngestOutcome {
    /// The text joined the customer's unclosed ticket.
    Appended { ticket_id: TicketId, message_id: MessageId },
    /// The text opened a new ticket; `confirmation` is the queued automatic reply, if one was due.
    Opened { ticket_id: TicketId, message_id: MessageId, confirmation: Option<MessageId> },
    /// The gateway sent this message id before: nothing changed.
    Duplicate,
}

impl IngestOutcome {
    pub fn queued_outgoing(&self) -> bool {
        matches!(self, Self::Opened { confirmation: Some(_), .. })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// The gateway sent this message id before. Raised as an error so the transaction rolls back whatever
    /// the attempt wrote; callers treat it as success.
    #[error("message already stored")]
    Duplicate,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<DieselError> for IngestError {
    fn from(e: DieselError) -> Self {
        Self::Store(e.into())
    }
}

/// How often to retry opening a ticket when a concurrent transaction opens or closes the pair's ticket.
const OPEN_TICKET_ATTEMPTS: usize = 3;

/// Files an inbound text: joins the pair's unclosed ticket or opens a new one and queues the confirmation,
/// and records STOP/START keywords. A message id seen before yields `Err(Duplicate)`, which rolls back
/// everything it did. Runs inside the caller's transaction.
pub fn ingest_inbound_sms(
    conn: &mut AnyConnection,
    sms: &InboundSms,
    settings: &RuntimeSettings,
) -> Result<IngestOutcome, IngestError> {
    let customer = sms.from.as_str();
    let channel = sms.to.as_str();
    let keyword = OptKeyword::detect(sms.body.as_str());
    match keyword {
        Some(OptKeyword::OptOut) => record_opt_out(conn, customer, channel)?,
        Some(OptKeyword::OptIn) => {
            diesel::delete(
                opt_outs::table
                    .filter(opt_outs::customer_number.eq(customer))
                    .filter(opt_outs::channel_number.eq(channel)),
            )
            .execute(conn)?;
        }
        None => {}
    }

    let media_urls = (!sms.media_urls.is_empty())
        .then(|| serde_json::Value::from(sms.media_urls.iter().map(MediaUrl::as_str).collect::<Vec<_>>()).to_string());
    if let (AnyConnection::Postgresql(pg), None) = (&mut *conn, keyword) {
        if let Some((ticket_id, message_id)) =
            append_to_unclosed_ticket(pg, sms, media_urls.as_deref()).map_err(duplicate_or_store)?
        {
            return Ok(IngestOutcome::Appended { ticket_id, message_id });
        }
        let confirmation = settings.confirmation_around_ticket_id();
        if let Some(opened) =
            open_ticket_with_text(pg, sms, media_urls.as_deref(), confirmation).map_err(duplicate_or_store)?
        {
            return Ok(opened);
        }
        // A transaction outside the writers' turn-taking opened the pair's ticket in between: the general
        // path below joins it.
    }

    let (ticket_id, opened, status) = join_or_open_ticket(conn, customer, channel)?;
    let text = NewMessage {
        ticket_id,
        origin: Origin::Customer,
        internal: false,
        body: sms.body.as_str(),
        provider: Some(sms.provider.as_str()),
        provider_message_id: sms.provider_message_id.as_deref(),
        media_urls,
        // A customer's text puts a pending ticket (waiting on them) back in the queue.
        ticket_status: (status == TicketStatus::Pending).then_some(TicketStatus::Open),
    };
    let message_id = insert_message_row(conn, &text).map_err(duplicate_or_store)?;
    // Never answer STOP, and never text a number that has opted out of this number of ours.
    let confirm = opened && keyword != Some(OptKeyword::OptOut) && !is_opted_out(conn, customer, channel)?;
    let confirmation = if confirm {
        let body = settings.confirmation(ticket_id);
        Some(insert_message_row(
            conn,
            &NewMessage {
                ticket_id,
                origin: Origin::Automatic,
                internal: false,
                body: &body,
                provider: None,
                provider_message_id: None,
                media_urls: None,
                ticket_status: None,
            },
        )?)
    } else {
        None
    };
    // One update of the ticket for both messages; the customer's text is what the list shows.
    record_on_ticket(conn, &text, message_id, 1 + i32::from(confirmation.is_some()))?;
    Ok(if opened {
        IngestOutcome::Opened { ticket_id, message_id, confirmation }
    } else {
        IngestOutcome::Appended { ticket_id, message_id }
    })
}

/// A unique violation on inserting the text means the gateway sent this message id before. Checking first
/// would cost every new text a query; a retried webhook is rare.
fn duplicate_or_store(e: DieselError) -> IngestError {
    match e {
        DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => IngestError::Duplicate,
        other => other.into(),
    }
}

/// PostgreSQL: a text for a pair with an unclosed ticket, filed in one statement (lock the ticket, insert
/// the text, update the ticket: what [`join_or_open_ticket`], [`insert_message_row`] and [`record_on_ticket`]
/// do in three), because each statement is a round trip in the writer that all replicas take turns on.
/// `None` when the pair has no unclosed ticket; nothing was written then.
fn append_to_unclosed_ticket(
    pg: &mut diesel::PgConnection,
    sms: &InboundSms,
    media_urls: Option<&str>,
) -> QueryResult<Option<(TicketId, MessageId)>> {
    Ok(AppendToUnclosedTicket(PgText::new(sms, media_urls)).load(pg)?.pop())
}

/// PostgreSQL: a new ticket for a pair with no unclosed one, with the customer's text and, unless they opted
/// out of this number, the confirmation and its outbox row, in one statement instead of six (contact, ticket,
/// text, opt-out check, confirmation with the outbox, ticket bookkeeping). The ticket is written once,
/// already counting its messages. `None` when another transaction opened the pair's ticket first; nothing
/// was written then but, possibly, the contact.
fn open_ticket_with_text(
    pg: &mut diesel::PgConnection,
    sms: &InboundSms,
    media_urls: Option<&str>,
    confirmation: Vec<String>,
) -> QueryResult<Option<IngestOutcome>> {
    let opened: Option<(TicketId, MessageId, Option<MessageId>)> =
        OpenTicketWithText { text: PgText::new(sms, media_urls), confirmation }.get_result(pg).optional()?;
    Ok(opened.map(|(ticket_id, message_id, confirmation)| IngestOutcome::Opened {
        ticket_id,
        message_id,
        confirmation,
    }))
}

/// A customer's text as the PostgreSQL single-statement paths insert it.
#[derive(Debug, Clone)]
struct PgText {
    customer: String,
    channel: String,
    body: String,
    provider: &'static str,
    provider_message_id: Option<String>,
    media_urls: Option<String>,
    at: chrono::NaiveDateTime,
    preview: String,
}

type PgPass<'a, 'b> = diesel::query_builder::AstPass<'a, 'b, diesel::pg::Pg>;

impl PgText {
    fn new(sms: &InboundSms, media_urls: Option<&str>) -> Self {
        Self {
            customer: sms.from.as_str().to_owned(),
            channel: sms.to.as_str().to_owned(),
            body: sms.body.as_str().to_owned(),
            provider: sms.provider.as_str(),
            provider_message_id: sms.provider_message_id.clone(),
            media_urls: media_urls.map(str::to_owned),
            at: now(),
            preview: super::preview(sms.body.as_str()),
        }
    }

    /// `INSERT INTO messages (…) SELECT <ticket id expression pushed next>`.
    const INSERT: &'static str = "INSERT INTO messages (ticket_id, direction, internal, body, provider, \
                                  provider_message_id, media_urls, created_at, updated_at) SELECT ";
    /// As [`PgText::INSERT`], with the message id given: `SELECT <id>, <ticket id>` pushed next.
    const INSERT_WITH_ID: &'static str = "INSERT INTO messages (id, ticket_id, direction, internal, body, provider, \
                                          provider_message_id, media_urls, created_at, updated_at) \
                                          OVERRIDING SYSTEM VALUE SELECT ";

    /// Pushes `customer_number = $1 AND channel_number = $2`: the text's pair.
    fn push_pair<'b>(&'b self, out: &mut PgPass<'_, 'b>) -> QueryResult<()> {
        use diesel::sql_types::Text;
        out.push_sql("customer_number = ");
        out.push_bind_param::<Text, _>(&self.customer)?;
        out.push_sql(" AND channel_number = ");
        out.push_bind_param::<Text, _>(&self.channel)
    }

    /// The values after the ticket id.
    fn push_values<'b>(&'b self, out: &mut PgPass<'_, 'b>) -> QueryResult<()> {
        use diesel::sql_types::{Nullable, Text, Timestamp};
        out.push_sql(", ");
        out.push_bind_param::<Text, _>(&Direction::Inbound)?;
        out.push_sql(", false, ");
        out.push_bind_param::<Text, _>(&self.body)?;
        out.push_sql(", ");
        out.push_bind_param::<Text, _>(&self.provider)?;
        out.push_sql(", ");
        out.push_bind_param::<Nullable<Text>, _>(&self.provider_message_id)?;
        out.push_sql(", ");
        out.push_bind_param::<Nullable<Text>, _>(&self.media_urls)?;
        out.push_sql(", ");
        out.push_bind_param::<Timestamp, _>(&self.at)?;
        out.push_sql(", ");
        out.push_bind_param::<Timestamp, _>(&self.at)
    }

    /// What the ticket list shows after this text, as `SET` assignments (see `record_on_ticket`).
    fn push_ticket_bookkeeping<'b>(&'b self, out: &mut PgPass<'_, 'b>) -> QueryResult<()> {
        use diesel::sql_types::{Text, Timestamp};
        out.push_sql("updated_at = ");
        out.push_bind_param::<Timestamp, _>(&self.at)?;
        out.push_sql(", last_message_preview = ");
        out.push_bind_param::<Text, _>(&self.preview)?;
        out.push_sql(", last_message_direction = ");
        out.push_bind_param::<Text, _>(&Direction::Inbound)?;
        out.push_sql(", last_message_at = ");
        out.push_bind_param::<Timestamp, _>(&self.at)
    }
}

#[derive(Debug, Clone, diesel::query_builder::QueryId)]
struct AppendToUnclosedTicket(PgText);

impl diesel::query_builder::QueryFragment<diesel::pg::Pg> for AppendToUnclosedTicket {
    fn walk_ast<'b>(&'b self, mut out: PgPass<'_, 'b>) -> QueryResult<()> {
        use diesel::sql_types::Text;
        out.push_sql("WITH t AS (SELECT id FROM tickets WHERE ");
        self.0.push_pair(&mut out)?;
        out.push_sql(" AND status <> 'closed' FOR UPDATE), m AS (");
        out.push_sql(PgText::INSERT);
        out.push_sql("t.id");
        self.0.push_values(&mut out)?;
        out.push_sql(
            " FROM t RETURNING id, ticket_id), u AS (UPDATE tickets SET message_count = tickets.message_count + 1, ",
        );
        self.0.push_ticket_bookkeeping(&mut out)?;
        // A customer's text puts a pending ticket (waiting on them) back in the queue.
        out.push_sql(", last_inbound_message_id = m.id, status = CASE WHEN tickets.status = ");
        out.push_bind_param::<Text, _>(&TicketStatus::Pending)?;
        out.push_sql(" THEN ");
        out.push_bind_param::<Text, _>(&TicketStatus::Open)?;
        out.push_sql(" ELSE tickets.status END FROM m WHERE tickets.id = m.ticket_id) SELECT m.ticket_id, m.id FROM m");
        Ok(())
    }
}

impl diesel::query_builder::Query for AppendToUnclosedTicket {
    type SqlType = (diesel::sql_types::BigInt, diesel::sql_types::BigInt);
}

impl RunQueryDsl<diesel::PgConnection> for AppendToUnclosedTicket {}

#[derive(Debug, Clone, diesel::query_builder::QueryId)]
struct OpenTicketWithText {
    text: PgText,
    /// The confirmation's text, split where the new ticket's id goes.
    confirmation: Vec<String>,
}

impl diesel::query_builder::QueryFragment<diesel::pg::Pg> for OpenTicketWithText {
    fn walk_ast<'b>(&'b self, mut out: PgPass<'_, 'b>) -> QueryResult<()> {
        use diesel::sql_types::{Array, Text, Timestamp};
        let text = &self.text;
        // The ids come first so that the ticket row can be written whole: its last inbound message is the
        // text, and the text's id comes before the confirmation's. A CTE with volatile functions runs once.
        out.push_sql(
            "WITH ids AS (SELECT nextval(pg_get_serial_sequence('tickets', 'id')) AS ticket_id, \
             nextval(pg_get_serial_sequence('messages', 'id')) AS text_id, \
             NOT EXISTS (SELECT 1 FROM opt_outs WHERE ",
        );
        // Never text a number that has opted out of this number of ours.
        text.push_pair(&mut out)?;
        out.push_sql(") AS confirm), contact AS (INSERT INTO contacts (phone_number, created_at, updated_at) VALUES (");
        out.push_bind_param::<Text, _>(&text.customer)?;
        out.push_sql(", ");
        out.push_bind_param::<Timestamp, _>(&text.at)?;
        out.push_sql(", ");
        out.push_bind_param::<Timestamp, _>(&text.at)?;
        // A customer who wrote before has a contact already: the ticket takes it from the lookup below.
        out.push_sql(
            ") ON CONFLICT DO NOTHING RETURNING id), t AS (INSERT INTO tickets (id, customer_number, \
             channel_number, status, contact_id, created_at, updated_at, message_count, last_message_preview, \
             last_message_direction, last_message_at, last_inbound_message_id) OVERRIDING SYSTEM VALUE \
             SELECT ids.ticket_id, ",
        );
        out.push_bind_param::<Text, _>(&text.customer)?;
        out.push_sql(", ");
        out.push_bind_param::<Text, _>(&text.channel)?;
        out.push_sql(", ");
        out.push_bind_param::<Text, _>(&TicketStatus::Open)?;
        out.push_sql(", COALESCE((SELECT id FROM contact), (SELECT id FROM contacts WHERE phone_number = ");
        out.push_bind_param::<Text, _>(&text.customer)?;
        out.push_sql(")), ");
        out.push_bind_param::<Timestamp, _>(&text.at)?;
        out.push_sql(", ");
        out.push_bind_param::<Timestamp, _>(&text.at)?;
        // The customer's text is what the list shows; the confirmation only counts.
        out.push_sql(", 1 + ids.confirm::int, ");
        out.push_bind_param::<Text, _>(&text.preview)?;
        out.push_sql(", ");
        out.push_bind_param::<Text, _>(&Direction::Inbound)?;
        out.push_sql(", ");
        out.push_bind_param::<Timestamp, _>(&text.at)?;
        // The conflict is with the partial unique index on a pair's unclosed ticket: another transaction
        // opened one first, and nothing below happens.
        out.push_sql(", ids.text_id FROM ids ON CONFLICT DO NOTHING RETURNING id), m AS (");
        out.push_sql(PgText::INSERT_WITH_ID);
        out.push_sql("ids.text_id, t.id");
        text.push_values(&mut out)?;
        out.push_sql(
            " FROM ids, t RETURNING id), c AS (INSERT INTO messages (ticket_id, direction, internal, body, \
             delivery_status, created_at, updated_at) SELECT t.id, ",
        );
        out.push_bind_param::<Text, _>(&Direction::Outbound)?;
        out.push_sql(", false, array_to_string(");
        out.push_bind_param::<Array<Text>, _>(&self.confirmation)?;
        out.push_sql(", t.id::text), ");
        out.push_bind_param::<Text, _>(&DeliveryStatus::Queued)?;
        out.push_sql(", ");
        out.push_bind_param::<Timestamp, _>(&text.at)?;
        out.push_sql(", ");
        out.push_bind_param::<Timestamp, _>(&text.at)?;
        // Selecting from m makes the confirmation's id come after the text's (sibling CTEs run in no set order).
        out.push_sql(
            " FROM ids, t, m WHERE ids.confirm RETURNING id), o AS (INSERT INTO outbox (message_id, attempts, \
             next_attempt_at) SELECT id, 0, ",
        );
        out.push_bind_param::<Timestamp, _>(&text.at)?;
        out.push_sql(" FROM c) SELECT t.id, m.id, (SELECT id FROM c) FROM t, m");
        Ok(())
    }
}

impl diesel::query_builder::Query for OpenTicketWithText {
    type SqlType =
        (diesel::sql_types::BigInt, diesel::sql_types::BigInt, diesel::sql_types::Nullable<diesel::sql_types::BigInt>);
}

impl RunQueryDsl<diesel::PgConnection> for OpenTicketWithText {}

fn record_opt_out(conn: &mut AnyConnection, customer: &str, channel: &str) -> QueryResult<()> {
    let row =
        (opt_outs::customer_number.eq(customer), opt_outs::channel_number.eq(channel), opt_outs::created_at.eq(now()));
    on_backend!(conn, |c| diesel::insert_into(opt_outs::table).values(row).on_conflict_do_nothing().execute(c))?;
    Ok(())
}

/// The pair's unclosed ticket (locked), or a newly opened one: its id, whether it was opened now, its status.
pub(super) fn join_or_open_ticket(
    conn: &mut AnyConnection,
    customer: &str,
    channel: &str,
) -> QueryResult<(TicketId, bool, TicketStatus)> {
    for _ in 0..OPEN_TICKET_ATTEMPTS {
        if let Some((id, status)) = find_unclosed_ticket(conn, customer, channel)? {
            return Ok((id, false, status));
        }
        if let Some(id) = open_ticket(conn, customer, channel)? {
            return Ok((id, true, TicketStatus::Open));
        }
    }
    Err(DieselError::RollbackTransaction)
}
