use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Serialize, Serializer};
use utoipa::ToSchema;

use crate::db::schema::{contacts, messages, opt_outs, ticket_reads, tickets};
use crate::domain::{
    DeliveryStatus, Direction, Encoding, MessageId, PhoneNumber, TicketId, TicketStatus, UserId, count_segments,
};
use crate::json::{utc, utc_opt};

/// A ticket as an agent sees it in the queue and the thread header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Ticket {
    /// Short and readable on the phone: customers quote it.
    pub id: TicketId,
    #[schema(example = "+14155550123")]
    pub customer_number: String,
    /// The customer's number as people write it, for display.
    #[schema(example = "+1 415-555-0123")]
    pub customer_number_display: String,
    /// The number of ours the customer texted; replies go out from it.
    #[schema(example = "+14155550100")]
    pub channel_number: String,
    pub status: TicketStatus,
    #[serde(serialize_with = "utc")]
    pub created_at: NaiveDateTime,
    /// Last activity: a message, a status change or an assignment.
    #[serde(serialize_with = "utc")]
    pub updated_at: NaiveDateTime,
    #[serde(serialize_with = "utc_opt")]
    #[schema(required = true)]
    pub closed_at: Option<NaiveDateTime>,
    /// The customer sent STOP to this number of ours: replies are refused until they send START.
    pub opted_out: bool,
    #[schema(required = true)]
    pub assignee_id: Option<UserId>,
    #[schema(required = true)]
    pub contact: Option<ContactRef>,
    /// Every message, internal notes and automatic ones included.
    pub message_count: i32,
    /// The latest message from a person (customer or agent); notes and automatic messages do not count.
    #[schema(required = true)]
    pub last_message: Option<LastMessage>,
    /// The customer wrote something the requesting agent has not marked read.
    pub unread: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ContactRef {
    pub id: i64,
    #[schema(required = true)]
    pub name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct LastMessage {
    /// The first 160 characters.
    pub preview: String,
    pub direction: Direction,
    #[serde(serialize_with = "utc")]
    pub at: NaiveDateTime,
}

type OptedOut = diesel::dsl::exists<
    diesel::dsl::Filter<
        diesel::dsl::Filter<opt_outs::table, diesel::dsl::Eq<opt_outs::customer_number, tickets::customer_number>>,
        diesel::dsl::Eq<opt_outs::channel_number, tickets::channel_number>,
    >,
>;

fn opted_out() -> OptedOut {
    diesel::dsl::exists(
        opt_outs::table
            .filter(opt_outs::customer_number.eq(tickets::customer_number))
            .filter(opt_outs::channel_number.eq(tickets::channel_number)),
    )
}

/// One row of [`tickets_seen_by`], before it becomes a [`Ticket`].
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = tickets)]
pub(crate) struct TicketRow {
    id: TicketId,
    customer_number: String,
    channel_number: String,
    status: TicketStatus,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    closed_at: Option<NaiveDateTime>,
    contact_id: Option<i64>,
    assignee_id: Option<UserId>,
    message_count: i32,
    last_message_preview: Option<String>,
    last_message_direction: Option<Direction>,
    last_message_at: Option<NaiveDateTime>,
    last_inbound_message_id: Option<MessageId>,
    #[diesel(select_expression = contacts::name.nullable())]
    #[diesel(select_expression_type = diesel::dsl::Nullable<contacts::name>)]
    contact_name: Option<String>,
    #[diesel(select_expression = ticket_reads::last_read_message_id.nullable())]
    #[diesel(select_expression_type = diesel::dsl::Nullable<ticket_reads::last_read_message_id>)]
    last_read_message_id: Option<MessageId>,
    #[diesel(select_expression = opted_out())]
    #[diesel(select_expression_type = OptedOut)]
    opted_out: bool,
}

impl TicketRow {
    /// Where the row sits in the queue's newest-activity-first order (greater is newer).
    pub(crate) fn position(&self) -> (NaiveDateTime, TicketId) {
        (self.updated_at, self.id)
    }
}

impl From<TicketRow> for Ticket {
    fn from(row: TicketRow) -> Self {
        let last_message = match (row.last_message_preview, row.last_message_direction, row.last_message_at) {
            (Some(preview), Some(direction), Some(at)) => Some(LastMessage { preview, direction, at }),
            _ => None,
        };
        let unread = match (row.last_inbound_message_id, row.last_read_message_id) {
            (Some(latest), Some(read)) => latest > read,
            (Some(_), None) => true,
            (None, _) => false,
        };
        Self {
            id: row.id,
            customer_number_display: PhoneNumber::display(&row.customer_number),
            customer_number: row.customer_number,
            channel_number: row.channel_number,
            status: row.status,
            created_at: row.created_at,
            updated_at: row.updated_at,
            closed_at: row.closed_at,
            opted_out: row.opted_out,
            assignee_id: row.assignee_id,
            contact: row.contact_id.map(|id| ContactRef { id, name: row.contact_name }),
            message_count: row.message_count,
            last_message,
            unread,
        }
    }
}

/// Tickets joined with what one agent needs to see them: the contact's name and their read marker.
#[diesel::dsl::auto_type(no_type_alias)]
pub(crate) fn tickets_seen_by(viewer: UserId) -> _ {
    let own_reads: diesel::dsl::And<
        diesel::dsl::Eq<ticket_reads::ticket_id, tickets::id>,
        diesel::dsl::Eq<ticket_reads::user_id, UserId>,
    > = ticket_reads::ticket_id.eq(tickets::id).and(ticket_reads::user_id.eq(viewer));
    tickets::table.left_join(contacts::table).left_join(ticket_reads::table.on(own_reads))
}

/// One entry of a ticket's thread: a customer text, a reply, an automatic confirmation or an internal note.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Serialize, ToSchema)]
#[diesel(table_name = messages)]
pub struct Message {
    pub id: MessageId,
    pub ticket_id: TicketId,
    pub direction: Direction,
    /// An agents-only note: never sent to the customer.
    pub internal: bool,
    pub body: String,
    /// The agent who wrote it; `null` for customer texts and automatic messages.
    #[schema(required = true)]
    pub author_id: Option<UserId>,
    /// The gateway's id for the message (Twilio's SM…), to look it up in the gateway's console.
    #[schema(required = true)]
    pub provider_message_id: Option<String>,
    /// `null` for inbound texts and internal notes.
    #[schema(required = true)]
    pub delivery_status: Option<DeliveryStatus>,
    /// The gateway's error code when delivery failed (e.g. Twilio 21610).
    #[schema(required = true)]
    pub error_code: Option<String>,
    /// Why delivery failed, in plain words.
    #[schema(required = true)]
    pub error_message: Option<String>,
    #[serde(serialize_with = "json_list")]
    #[schema(value_type = Vec<String>)]
    pub media_urls: Option<String>,
    #[serde(serialize_with = "utc")]
    pub created_at: NaiveDateTime,
    /// Changes with the delivery status.
    #[serde(serialize_with = "utc")]
    pub updated_at: NaiveDateTime,
}

/// A message with what it costs to send: its SMS segment count and encoding (outgoing texts only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct MessageView {
    #[serde(flatten)]
    pub message: Message,
    /// SMS parts the text is sent as; `null` for inbound texts and internal notes.
    #[schema(required = true)]
    pub segments: Option<u32>,
    #[schema(required = true)]
    pub encoding: Option<Encoding>,
}

impl From<Message> for MessageView {
    fn from(message: Message) -> Self {
        let sent_as_sms = message.direction == Direction::Outbound && !message.internal;
        let count = sent_as_sms.then(|| count_segments(&message.body));
        Self { segments: count.as_ref().map(|c| c.segments), encoding: count.map(|c| c.encoding), message }
    }
}

/// `media_urls` is stored as a JSON array (or NULL); the API always shows a list.
fn json_list<S: Serializer>(value: &Option<String>, serializer: S) -> Result<S::Ok, S::Error> {
    let urls: Vec<String> = value.as_deref().and_then(|raw| serde_json::from_str(raw).ok()).unwrap_or_default();
    urls.serialize(serializer)
}
