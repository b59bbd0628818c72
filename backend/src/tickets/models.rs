use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Serialize, Serializer};
use utoipa::ToSchema;

use crate::db::schema::messages;
use crate::domain::{DeliveryStatus, Direction, Encoding, MessageId, TicketId, TicketStatus, UserId, count_segments};
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
    /// When a reply to the customer last failed or went undelivered (and was not sent again since); `null`
    /// when every reply is on its way or delivered.
    #[serde(serialize_with = "utc_opt")]
    #[schema(required = true)]
    pub failed_delivery_at: Option<NaiveDateTime>,
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
