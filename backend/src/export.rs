//! CSV exports of tickets and of messages, for a spreadsheet or another system (`GET /api/export/…`).
//!
//! Streamed in constant memory: rows are read a page at a time ([`PAGE`] rows in id order, each page a short
//! read of its own on the read pool, `db/export.rs`), written with the `csv` crate, and handed to the HTTP
//! body through a channel of one chunk. The next page is read only once the previous chunk was taken, so a
//! slow client holds back the reading instead of making the server buffer the export; a client that goes
//! away stops it. The first page is read before the answer starts, so a failure then is still an error
//! answer; a failure after that cannot change the status any more: the body is cut off (no final chunk), the
//! client sees a truncated download, and the cause is logged.
//!
//! Cells are as a program reads them: numbers in E.164, times in UTC ISO 8601 (`2026-12-07T19:24:47Z`),
//! statuses as the API names them. Spreadsheets run a cell that begins with `=`, `+`, `-` or `@` as a
//! formula, so free text (names, emails, bodies) that begins with one of those, or with a tab or carriage
//! return, gets a leading `'`, which spreadsheets show as text (OWASP's advice). Phone numbers keep their
//! `+`: a `+` and digits is no formula, and E.164 must survive a round trip; a stored number that is not
//! like that is guarded as text.

use std::borrow::Cow;
use std::pin::Pin;
use std::task::{Context, Poll};

use actix_web::web::Bytes;
use chrono::{DateTime, Days, NaiveDate, NaiveDateTime, SubsecRound, Utc};
use tokio::sync::mpsc;
use tracing::Instrument;

use crate::db::export::{ExportUser, export_message_page, export_ticket_page, export_users};
use crate::db::{Database, StoreError};
use crate::domain::{Direction, MessageId, TicketId, UserId};
use crate::tickets::{Message, Ticket, TicketFilter};

pub use crate::db::export::CreatedRange;

/// Rows per page read and per chunk sent.
const PAGE: u32 = 1_000;

/// Why an export stopped: the database, or (never in practice: it writes to memory) the CSV writer.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("writing CSV failed: {0}")]
    Csv(String),
}

/// `from`/`to` that are not times, or a range that ends before it begins.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RangeError {
    #[error("from must be an RFC 3339 time (2026-12-07T09:00:00Z) or a date (2026-12-07).")]
    InvalidFrom,
    #[error("to must be an RFC 3339 time (2026-12-07T17:00:00Z) or a date (2026-12-07).")]
    InvalidTo,
    #[error("from is after to.")]
    Reversed,
}

/// Either end: an RFC 3339 time, or a date (UTC): `from` a date starts at its 00:00, `to` a date takes the
/// whole day in. A time `to` is included (to the microsecond, the precision times are stored with).
pub fn created_range(from: Option<&str>, to: Option<&str>) -> Result<CreatedRange, RangeError> {
    let from = from.map(|raw| parse_bound(raw, false).ok_or(RangeError::InvalidFrom)).transpose()?;
    let until = to.map(|raw| parse_bound(raw, true).ok_or(RangeError::InvalidTo)).transpose()?;
    if let (Some(from), Some(until)) = (from, until)
        && from >= until
    {
        return Err(RangeError::Reversed);
    }
    Ok(CreatedRange { from, until })
}

/// The bound `raw` names; for the end of a range, the first moment after it.
fn parse_bound(raw: &str, end: bool) -> Option<NaiveDateTime> {
    let raw = raw.trim();
    if let Ok(date) = NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
        let date = if end { date.checked_add_days(Days::new(1))? } else { date };
        return date.and_hms_opt(0, 0, 0);
    }
    let time = DateTime::parse_from_rfc3339(raw).ok()?.with_timezone(&Utc).naive_utc().trunc_subsecs(6);
    if end { time.checked_add_signed(chrono::Duration::microseconds(1)) } else { Some(time) }
}

/// The tickets export's columns. Columns for priority, tags and the inbox's name go at the end (append only:
/// scripts read columns by name or by place).
pub const TICKET_COLUMNS: &[&str] = &[
    "id",
    "status",
    "customer_number",
    "contact_name",
    "our_number",
    "assignee_email",
    "assignee_name",
    "created_at",
    "updated_at",
    "closed_at",
    "message_count",
    "last_message_at",
    "opted_out",
    "inbox",
    "priority",
    "tags",
    "waiting_since",
];

/// The messages export's columns (append only, as [`TICKET_COLUMNS`]).
pub const MESSAGE_COLUMNS: &[&str] = &[
    "id",
    "ticket_id",
    "created_at",
    "direction",
    "kind",
    "author",
    "author_email",
    "body",
    "delivery_status",
    "customer_number",
    "our_number",
];

/// A time as the exports write it: UTC, to the second, ISO 8601.
fn utc(at: NaiveDateTime) -> String {
    at.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn utc_opt(at: Option<NaiveDateTime>) -> String {
    at.map(utc).unwrap_or_default()
}

/// Free text as a cell no spreadsheet runs as a formula: a leading `'` before `=`, `+`, `-`, `@`, tab or
/// carriage return.
fn text(value: &str) -> Cow<'_, str> {
    if value.starts_with(['=', '+', '-', '@', '\t', '\r']) { Cow::Owned(format!("'{value}")) } else { value.into() }
}

/// [`text`] of a value made for the cell.
fn text_owned(value: String) -> Cow<'static, str> {
    match text(&value) {
        Cow::Owned(guarded) => Cow::Owned(guarded),
        Cow::Borrowed(_) => Cow::Owned(value),
    }
}

/// A phone number as it is stored (E.164: `+` and digits, no formula) or, if it is anything else, as text.
fn number(value: &str) -> Cow<'_, str> {
    let digits = value.strip_prefix('+').unwrap_or_default();
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) { value.into() } else { text(value) }
}

fn user_of(users: &[ExportUser], id: Option<UserId>) -> Option<&ExportUser> {
    id.and_then(|id| users.iter().find(|user| user.id == id))
}

/// What wrote a message: the customer, an agent, smsdesk itself, or an agent's internal note.
fn kind(message: &Message) -> &'static str {
    match (message.direction, message.internal, message.author_id) {
        (_, true, _) => "note",
        (Direction::Inbound, false, _) => "customer",
        (Direction::Outbound, false, Some(_)) => "agent",
        (Direction::Outbound, false, None) => "automatic",
    }
}

/// Rows rendered as CSV into one chunk.
struct Chunk(csv::Writer<Vec<u8>>);

impl Chunk {
    fn new() -> Self {
        // CRLF line ends, as RFC 4180 has them.
        Self(csv::WriterBuilder::new().has_headers(false).terminator(csv::Terminator::CRLF).from_writer(Vec::new()))
    }

    fn with_header(columns: &[&str]) -> Result<Self, ExportError> {
        let mut chunk = Self::new();
        chunk.row(columns)?;
        Ok(chunk)
    }

    fn row<I, T>(&mut self, cells: I) -> Result<(), ExportError>
    where
        I: IntoIterator<Item = T>,
        T: AsRef<[u8]>,
    {
        self.0.write_record(cells).map_err(|e| ExportError::Csv(e.to_string()))
    }

    fn into_bytes(self) -> Result<Bytes, ExportError> {
        self.0.into_inner().map(Bytes::from).map_err(|e| ExportError::Csv(e.to_string()))
    }
}

fn ticket_record<'a>(ticket: &'a Ticket, users: &'a [ExportUser]) -> [Cow<'a, str>; 17] {
    let assignee = user_of(users, ticket.assignee_id);
    let contact_name = ticket.contact.as_ref().and_then(|c| c.name.as_deref()).unwrap_or_default();
    [
        ticket.id.to_string().into(),
        ticket.status.as_str().into(),
        number(&ticket.customer_number),
        text(contact_name),
        number(&ticket.channel_number),
        assignee.map(|u| text(&u.email)).unwrap_or_default(),
        assignee.map(|u| text(&u.name)).unwrap_or_default(),
        utc(ticket.created_at).into(),
        utc(ticket.updated_at).into(),
        utc_opt(ticket.closed_at).into(),
        ticket.message_count.to_string().into(),
        utc_opt(ticket.last_message.as_ref().map(|m| m.at)).into(),
        if ticket.opted_out { "true" } else { "false" }.into(),
        text(ticket.inbox_name.as_deref().unwrap_or_default()),
        ticket.priority.as_str().into(),
        // One cell: the names separated by ", " (the CSV writer quotes it).
        text_owned(ticket.tags.iter().map(|tag| tag.name.as_str()).collect::<Vec<_>>().join(", ")),
        utc_opt(ticket.waiting_since).into(),
    ]
}

fn message_record<'a>(message: &'a Message, ticket: &'a Ticket, users: &'a [ExportUser]) -> [Cow<'a, str>; 11] {
    let author = user_of(users, message.author_id);
    let author_name = match (message.direction, author) {
        (_, Some(user)) => text(&user.name),
        (Direction::Inbound, None) => text(ticket.contact.as_ref().and_then(|c| c.name.as_deref()).unwrap_or_default()),
        (Direction::Outbound, None) => Cow::Borrowed(""),
    };
    [
        message.id.to_string().into(),
        message.ticket_id.to_string().into(),
        utc(message.created_at).into(),
        message.direction.as_str().into(),
        kind(message).into(),
        author_name,
        author.map(|u| text(&u.email)).unwrap_or_default(),
        text(&message.body),
        message.delivery_status.map(|s| s.as_str()).unwrap_or_default().into(),
        number(&ticket.customer_number),
        number(&ticket.channel_number),
    ]
}

/// The distinct users among `ids`.
fn distinct(ids: impl Iterator<Item = Option<UserId>>) -> Vec<UserId> {
    let mut ids: Vec<UserId> = ids.flatten().collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// One export, read and rendered a chunk at a time.
trait Export: Send + 'static {
    /// The next chunk of CSV (the first one starts with the header line), or `None` at the end.
    fn next_chunk(&mut self) -> impl Future<Output = Result<Option<Bytes>, ExportError>> + Send;
}

struct TicketExport {
    db: Database,
    filter: TicketFilter,
    created: CreatedRange,
    after: Option<TicketId>,
    header_sent: bool,
    done: bool,
}

impl Export for TicketExport {
    async fn next_chunk(&mut self) -> Result<Option<Bytes>, ExportError> {
        if self.done {
            return Ok(None);
        }
        let (filter, created, after) = (self.filter.clone(), self.created, self.after);
        let (tickets, users) = self
            .db
            .read(move |conn| -> Result<_, StoreError> {
                let tickets = export_ticket_page(conn, &filter, created, after, PAGE)?;
                let users = export_users(conn, &distinct(tickets.iter().map(|t| t.assignee_id)))?;
                Ok((tickets, users))
            })
            .await?;
        self.done = tickets.len() < PAGE as usize;
        self.after = tickets.last().map(|t| t.id).or(self.after);
        let mut chunk = if self.header_sent { Chunk::new() } else { Chunk::with_header(TICKET_COLUMNS)? };
        self.header_sent = true;
        for ticket in &tickets {
            chunk.row(ticket_record(ticket, &users).iter().map(|cell| cell.as_bytes()))?;
        }
        chunk.into_bytes().map(Some)
    }
}

/// Messages go ticket by ticket: a window of up to [`PAGE`] matching tickets, then their messages a page at
/// a time in (ticket, message) order, then the next window.
struct MessageExport {
    db: Database,
    filter: TicketFilter,
    created: CreatedRange,
    /// The tickets whose messages are being read, by id.
    window: Vec<Ticket>,
    /// The last ticket read into a window so far.
    tickets_after: Option<TicketId>,
    tickets_done: bool,
    /// The last message sent from the window.
    messages_after: Option<(TicketId, MessageId)>,
    header_sent: bool,
}

impl MessageExport {
    /// The next window of tickets; false when there are no more.
    async fn next_window(&mut self) -> Result<bool, ExportError> {
        if self.tickets_done {
            return Ok(false);
        }
        let (filter, after) = (self.filter.clone(), self.tickets_after);
        // The date range is on messages: a ticket of any age can have messages in it.
        let window = self
            .db
            .read(move |conn| {
                export_ticket_page(conn, &filter, CreatedRange::default(), after, PAGE).map_err(StoreError::from)
            })
            .await?;
        self.tickets_done = window.len() < PAGE as usize;
        self.tickets_after = window.last().map(|t| t.id).or(self.tickets_after);
        self.messages_after = None;
        self.window = window;
        Ok(!self.window.is_empty())
    }
}

impl Export for MessageExport {
    async fn next_chunk(&mut self) -> Result<Option<Bytes>, ExportError> {
        let mut chunk = if self.header_sent { Chunk::new() } else { Chunk::with_header(MESSAGE_COLUMNS)? };
        loop {
            if self.window.is_empty() && !self.next_window().await? {
                // The header goes out even when nothing matches: an empty export is still a CSV file.
                if self.header_sent {
                    return Ok(None);
                }
                self.header_sent = true;
                return chunk.into_bytes().map(Some);
            }
            let ids: Vec<TicketId> = self.window.iter().map(|t| t.id).collect();
            let (created, after) = (self.created, self.messages_after);
            let (messages, users) = self
                .db
                .read(move |conn| -> Result<_, StoreError> {
                    let messages = export_message_page(conn, &ids, created, after, PAGE)?;
                    let users = export_users(conn, &distinct(messages.iter().map(|m| m.author_id)))?;
                    Ok((messages, users))
                })
                .await?;
            let window = std::mem::take(&mut self.window);
            for message in &messages {
                // Always found: the messages were read for these tickets.
                if let Some(ticket) = window.iter().find(|t| t.id == message.ticket_id) {
                    chunk.row(message_record(message, ticket, &users).iter().map(|cell| cell.as_bytes()))?;
                }
            }
            if messages.len() == PAGE as usize {
                self.window = window;
                self.messages_after = messages.last().map(|m| (m.ticket_id, m.id));
            }
            if !messages.is_empty() || !self.header_sent {
                self.header_sent = true;
                return chunk.into_bytes().map(Some);
            }
        }
    }
}

/// A CSV export as an HTTP body: the chunks as they are read.
pub struct CsvBody(mpsc::Receiver<Result<Bytes, std::io::Error>>);

impl futures_core::Stream for CsvBody {
    type Item = Result<Bytes, std::io::Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.0.poll_recv(cx)
    }
}

/// Reads the first chunk here (so its failure is the caller's error), then the rest on a task of its own
/// that waits for each chunk to be taken before reading the next.
async fn stream<E: Export>(mut export: E) -> Result<CsvBody, ExportError> {
    let first = export.next_chunk().await?;
    // One chunk in the channel: with the one being read and the one being written, three pages at most.
    let (sender, receiver) = mpsc::channel(1);
    let task = async move {
        let mut next = first;
        while let Some(chunk) = next {
            if sender.send(Ok(chunk)).await.is_err() {
                tracing::info!("the client stopped the export before its end");
                return;
            }
            next = match export.next_chunk().await {
                Ok(next) => next,
                Err(e) => {
                    tracing::error!(error = %e, "export failed after it began: the download is cut off");
                    let _ = sender.send(Err(std::io::Error::other("the export failed"))).await;
                    return;
                }
            };
        }
    };
    tokio::spawn(task.instrument(tracing::Span::current()));
    Ok(CsvBody(receiver))
}

/// Every ticket matching `filter` and created in `created`, by id.
pub async fn tickets_csv(db: Database, filter: TicketFilter, created: CreatedRange) -> Result<CsvBody, ExportError> {
    stream(TicketExport { db, filter, created, after: None, header_sent: false, done: false }).await
}

/// Every message created in `created` of the tickets matching `filter`, by ticket, then by message.
pub async fn messages_csv(db: Database, filter: TicketFilter, created: CreatedRange) -> Result<CsvBody, ExportError> {
    stream(MessageExport {
        db,
        filter,
        created,
        window: Vec::new(),
        tickets_after: None,
        tickets_done: false,
        messages_after: None,
        header_sent: false,
    })
    .await
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn at(raw: &str) -> NaiveDateTime {
        DateTime::parse_from_rfc3339(raw).unwrap().naive_utc()
    }

    #[test]
    fn dates_take_whole_utc_days_and_times_are_inclusive() {
        let range = created_range(Some("2026-12-01"), Some("2026-12-07")).unwrap();
        assert_eq!(range.from, Some(at("2026-12-01T00:00:00Z")));
        assert_eq!(range.until, Some(at("2026-12-08T00:00:00Z")));
        let range = created_range(Some("2026-12-07T10:00:00+01:00"), Some("2026-12-07T09:00:00Z")).unwrap();
        assert_eq!(range.from, Some(at("2026-12-07T09:00:00Z")));
        assert_eq!(range.until, Some(at("2026-12-07T09:00:00.000001Z")));
        assert_eq!(created_range(None, None).unwrap(), CreatedRange::default());
    }

    #[test]
    fn bad_and_reversed_ranges_are_refused() {
        assert_eq!(created_range(Some("yesterday"), None), Err(RangeError::InvalidFrom));
        assert_eq!(created_range(None, Some("2026-13-01")), Err(RangeError::InvalidTo));
        assert_eq!(created_range(Some("2026-12-08"), Some("2026-12-07")), Err(RangeError::Reversed));
        assert!(created_range(Some("2026-12-07"), Some("2026-12-07")).is_ok());
    }

    #[test]
    fn free_text_that_a_spreadsheet_would_run_is_quoted_but_numbers_keep_their_plus() {
        for formula in ["=HYPERLINK(\"x\")", "+1+1", "-2", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(text(formula), format!("'{formula}"));
        }
        assert_eq!(text("Hello = world"), "Hello = world");
        assert_eq!(number("+14155550123"), "+14155550123");
        assert_eq!(number("+1=1"), "'+1=1");
        assert_eq!(number("=1"), "'=1");
    }

    #[test]
    fn times_are_utc_to_the_second() {
        assert_eq!(utc(at("2026-12-07T19:24:47.123456Z")), "2026-12-07T19:24:47Z");
    }
}
