//! What the outbox's rules need from storage (implemented in `db/outbox.rs` for both databases), inside the
//! caller's write transaction.

use chrono::NaiveDateTime;
use diesel::QueryResult;

use super::{ClaimedMessage, DeliveryReport};
use crate::domain::{DeliveryStatus, MessageId, PhoneNumber, Provider};

/// The gateway's id of a message: which gateway, and its id there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GatewayId<'a> {
    pub provider: Provider,
    pub id: &'a str,
}

/// A status a message moves to, and why, if it failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusChange<'a> {
    pub status: DeliveryStatus,
    pub error_code: Option<&'a str>,
    pub error_message: Option<&'a str>,
    pub at: NaiveDateTime,
}

/// A delivery report as stored: which gateway, its id for the message, the status and the error code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredReport {
    pub provider: Provider,
    pub gateway_message_id: String,
    pub status: DeliveryStatus,
    pub error_code: Option<String>,
}

/// The messages still to be sent, and when the oldest of them was queued (its message's creation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutboxBacklog {
    pub messages: i64,
    pub oldest_queued_at: Option<NaiveDateTime>,
}

pub trait OutboxStore {
    /// Takes up to `limit` messages due by `now` and hides them from every other worker (this process's
    /// and other replicas') until `lease_until`, counting the attempt. Rows another worker is claiming
    /// right now are skipped, not waited for.
    fn claim_due(
        &mut self,
        limit: i64,
        now: NaiveDateTime,
        lease_until: NaiveDateTime,
    ) -> QueryResult<Vec<ClaimedMessage>>;

    /// Moves the message to `change.status` if it is in one of `from` (and stores the gateway's id for it,
    /// if given); returns whether it moved.
    fn move_status(
        &mut self,
        id: MessageId,
        from: &[DeliveryStatus],
        change: StatusChange<'_>,
        gateway_id: Option<GatewayId<'_>>,
    ) -> QueryResult<bool>;

    fn set_gateway_id(&mut self, id: MessageId, gateway_id: GatewayId<'_>, at: NaiveDateTime) -> QueryResult<()>;

    /// The next attempt waits until `at`.
    fn reschedule(&mut self, id: MessageId, at: NaiveDateTime, last_error: &str) -> QueryResult<()>;

    fn leave_outbox(&mut self, ids: &[MessageId]) -> QueryResult<()>;

    /// The customer opted out of texts from this number of ours (the gateway told us).
    fn record_opt_out(&mut self, customer: &PhoneNumber, channel: &PhoneNumber, at: NaiveDateTime) -> QueryResult<()>;

    fn store_report(&mut self, report: &DeliveryReport, at: NaiveDateTime) -> QueryResult<()>;

    /// A reply failed or went undelivered: its ticket's timeline and `failed_delivery_at` say so.
    fn record_delivery_failure(&mut self, id: MessageId, error: Option<&str>, at: NaiveDateTime) -> QueryResult<()>;

    fn message_with_gateway_id(&mut self, gateway_id: GatewayId<'_>) -> QueryResult<Option<MessageId>>;

    /// What is left to send, for the metrics: one aggregate over the outbox, which holds unsent messages only.
    fn backlog(&mut self) -> QueryResult<OutboxBacklog>;

    /// Stored reports about any of these gateway ids, oldest first.
    fn reports_about(&mut self, gateway_ids: &[GatewayId<'_>]) -> QueryResult<Vec<StoredReport>>;
}
