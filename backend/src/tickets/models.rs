use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Serialize, Serializer};
use utoipa::ToSchema;

use crate::db::schema::messages;
use crate::domain::{
    DeliveryStatus, Direction, Encoding, MessageId, Priority, TicketId, TicketStatus, UserId, count_segments,
};
use crate::json::{utc, utc_opt};
use crate::tags::Tag;

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
    pub priority: Priority,
    /// By name.
    pub tags: Vec<Tag>,
    /// When the oldest customer text no agent has answered since arrived (replies count; notes and automatic
    /// messages do not); `null` when the customer waits for nothing.
    #[serde(serialize_with = "utc_opt")]
    #[schema(required = true)]
    pub waiting_since: Option<NaiveDateTime>,
    /// The name of the inbox of `channel_number`; `null` when the number has no inbox.
    #[schema(required = true, example = "Support")]
    pub inbox_name: Option<String>,
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

/// A message with what it costs to send: its SMS segment count and encoding (outgoing texts only); in a
/// thread, also how its sending goes while it waits in the outbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct MessageView {
    #[serde(flatten)]
    pub message: Message,
    /// SMS parts the text is sent as; `null` for inbound texts and internal notes.
    #[schema(required = true)]
    pub segments: Option<u32>,
    #[schema(required = true)]
    pub encoding: Option<Encoding>,
    /// Attempts to hand the text to the gateway so far, while it waits in the outbox (in the thread's
    /// answer); `null` once it left the outbox, and for messages never sent.
    #[schema(required = true, example = 3)]
    pub delivery_attempts: Option<i32>,
    /// When the next attempt is due, while the text waits in the outbox; `null` otherwise.
    #[serde(serialize_with = "utc_opt")]
    #[schema(required = true)]
    pub next_attempt_at: Option<NaiveDateTime>,
    /// Why the last attempt did not go through, in words for agents (never the gateway's raw answer, which
    /// can name the account); `null` before the first failed attempt and once the text left the outbox.
    #[schema(required = true, example = "gateway unreachable")]
    pub delivery_error: Option<String>,
}

impl From<Message> for MessageView {
    fn from(message: Message) -> Self {
        Self::with_outbox(message, None)
    }
}

/// A text's place in the outbox: attempts so far, when the next is due, and what the last one met (as the
/// delivery worker recorded it).
#[derive(Debug, Clone, PartialEq, Eq, Queryable)]
pub struct OutboxEntry {
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub last_error: Option<String>,
}

impl MessageView {
    /// The message as the thread shows it, with its outbox entry while it has one.
    pub fn with_outbox(message: Message, outbox: Option<OutboxEntry>) -> Self {
        let sent_as_sms = message.direction == Direction::Outbound && !message.internal;
        let count = sent_as_sms.then(|| count_segments(&message.body));
        let (delivery_attempts, next_attempt_at, delivery_error) = match outbox {
            Some(entry) => {
                (Some(entry.attempts), Some(entry.next_attempt_at), entry.last_error.as_deref().map(delivery_error))
            }
            None => (None, None, None),
        };
        Self {
            segments: count.as_ref().map(|c| c.segments),
            encoding: count.map(|c| c.encoding),
            message,
            delivery_attempts,
            next_attempt_at,
            delivery_error,
        }
    }
}

/// Longest reason from a gateway an agent is shown.
const GATEWAY_REASON_CHARS: usize = 80;

/// The outbox's `last_error` in words for agents: "gateway unreachable" or "gateway refused: <reason>".
/// `last_error` holds what the gateway client said (`could not reach Twilio: <transport error with the
/// URL>`, `Twilio: <the gateway's message>`, …): the URL names the account and the transport error says
/// nothing an agent can act on, so only the gateway's own reason is passed on, without anything that looks
/// like a URL, a path or an identifier, and cut short.
pub fn delivery_error(last_error: &str) -> String {
    let last_error = last_error.trim();
    if last_error.starts_with("could not reach ") {
        return "gateway unreachable".to_owned();
    }
    if last_error.starts_with("unreadable answer from ") {
        return "gateway sent an answer we could not read".to_owned();
    }
    let reason = ["Twilio: ", "MessageBird: "].iter().find_map(|prefix| last_error.strip_prefix(prefix));
    match reason.map(safe_reason).filter(|reason| !reason.is_empty()) {
        Some(reason) => format!("gateway refused: {reason}"),
        None => "gateway error".to_owned(),
    }
}

/// The words of a gateway's reason, leaving out URLs, paths and ids (account SIDs, keys): a word that has
/// a `/`, a `:` or an `@` inside, or a long run of letters and digits mixed.
fn safe_reason(reason: &str) -> String {
    let looks_like_an_id = |word: &str| {
        let inner = word.trim_end_matches(['.', ',', ';', ':', ')']);
        inner.contains(['/', '@', '\\', '=']) || (inner.len() >= 16 && inner.chars().any(|c| c.is_ascii_digit()))
    };
    let words: Vec<&str> = reason.split_whitespace().filter(|word| !looks_like_an_id(word)).collect();
    let joined = words.join(" ");
    let joined = joined.trim_end_matches(|c: char| c.is_whitespace() || c == ':');
    if joined.chars().count() <= GATEWAY_REASON_CHARS {
        return joined.to_owned();
    }
    let mut cut: String = joined.chars().take(GATEWAY_REASON_CHARS - 1).collect();
    cut.push('…');
    cut
}

/// `media_urls` is stored as a JSON array (or NULL); the API always shows a list.
fn json_list<S: Serializer>(value: &Option<String>, serializer: S) -> Result<S::Ok, S::Error> {
    let urls: Vec<String> = value.as_deref().and_then(|raw| serde_json::from_str(raw).ok()).unwrap_or_default();
    urls.serialize(serializer)
}

#[cfg(test)]
mod tests {
    use super::delivery_error;

    #[test]
    fn outbox_errors_reach_agents_as_plain_words_without_urls_or_account_ids() {
        let unreachable = "could not reach Twilio: error sending request for url \
                           (https://api.twilio.com/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef/Messages.json)";
        assert_eq!(delivery_error(unreachable), "gateway unreachable");
        assert_eq!(delivery_error("could not reach MessageBird: connection refused"), "gateway unreachable");
        assert_eq!(delivery_error("Twilio: Too Many Requests"), "gateway refused: Too Many Requests");
        assert_eq!(delivery_error("Twilio: Twilio answered HTTP 503"), "gateway refused: Twilio answered HTTP 503");
        let not_found = "Twilio: The requested resource /2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef/\
                         Messages.json was not found";
        assert_eq!(delivery_error(not_found), "gateway refused: The requested resource was not found");
        assert_eq!(
            delivery_error("MessageBird: Request not allowed (incorrect access_key)"),
            "gateway refused: Request not allowed (incorrect access_key)"
        );
        let key = "MessageBird: bad key live_abcdefghij0123456789 for https://rest.messagebird.com";
        assert_eq!(delivery_error(key), "gateway refused: bad key for");
        assert_eq!(delivery_error("unreadable answer from Twilio: EOF"), "gateway sent an answer we could not read");
        assert_eq!(delivery_error("timeout"), "gateway error");
        let long = format!("Twilio: {}", "word ".repeat(40));
        let said = delivery_error(&long);
        assert!(said.chars().count() <= "gateway refused: ".len() + 80 && said.ends_with('…'), "{said}");
    }
}
