//! The outbox's rules: claim due messages, decide what each attempt's outcome means for its message, apply
//! delivery reports. Storage is [`OutboxStore`].

use std::time::Duration;

use chrono::NaiveDateTime;
use diesel::QueryResult;
use rand::Rng;

use super::store::{GatewayId, OutboxStore, StatusChange};
use crate::config::DeliverySettings;
use crate::db::now;
use crate::domain::{DeliveryStatus, MessageId, Provider};
use crate::gateways::{Accepted, OutgoingSms, SendError};

/// Our own code for a message we stopped sending because the customer had opted out in the meantime.
pub const OPTED_OUT_CODE: &str = "recipient_opted_out";
/// Twilio's code for "the recipient has unsubscribed (STOP)".
const TWILIO_OPTED_OUT_CODE: &str = "21610";

/// A message this worker holds the lease on.
#[derive(Debug, Clone)]
pub struct ClaimedMessage {
    pub sms: OutgoingSms,
    /// Attempts so far, this one included.
    pub attempt: i32,
    /// The customer opted out after the message was queued: it must not be sent.
    pub opted_out: bool,
}

/// Takes up to `limit` due messages and hides them from other workers until `lease` has passed.
pub fn claim_due(store: &mut impl OutboxStore, limit: i64, lease: Duration) -> QueryResult<Vec<ClaimedMessage>> {
    let now = now();
    let lease_until = now + chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::seconds(60));
    store.claim_due(limit, now, lease_until)
}

/// The outcome of one delivery attempt.
#[derive(Debug, Clone)]
pub enum Attempt {
    Sent(Accepted),
    Failed(SendError),
    /// Not sent: the customer opted out after it was queued.
    SkippedOptedOut,
}

/// Records the outcomes of a batch of attempts in the caller's transaction: accepted and refused messages
/// leave the outbox; temporary failures are retried with exponential backoff until `max_attempts`, then
/// marked failed. What can be done for the whole batch at once (leaving the outbox, looking for reports
/// that arrived early) is one statement, not one per message.
pub fn record_attempts(
    store: &mut impl OutboxStore,
    outcomes: &[(ClaimedMessage, Attempt)],
    settings: &DeliverySettings,
) -> QueryResult<()> {
    let mut finished = Vec::with_capacity(outcomes.len());
    let mut accepted = Vec::new();
    for (claimed, attempt) in outcomes {
        if record_attempt(store, claimed, attempt, settings)? == Next::LeaveOutbox {
            finished.push(claimed.sms.message_id);
        }
        if let Attempt::Sent(sent) = attempt {
            accepted.push((claimed.sms.message_id, sent));
        }
    }
    store.leave_outbox(&finished)?;
    apply_early_reports(store, &accepted)
}

/// What happens to a message in the outbox after an attempt.
#[derive(Debug, PartialEq, Eq)]
enum Next {
    LeaveOutbox,
    TryAgain,
}

fn record_attempt(
    store: &mut impl OutboxStore,
    claimed: &ClaimedMessage,
    attempt: &Attempt,
    settings: &DeliverySettings,
) -> QueryResult<Next> {
    let id = claimed.sms.message_id;
    let at = now();
    match attempt {
        Attempt::Sent(accepted) => {
            let gateway_id = GatewayId { provider: accepted.provider, id: &accepted.provider_message_id };
            // Usually one statement: the gateway's id and the status move on together.
            let change = StatusChange { status: accepted.status, error_code: None, error_message: None, at };
            if !advance_status(store, id, change, Some(gateway_id))? {
                // The status is already further along: only the gateway's id is new.
                store.set_gateway_id(id, gateway_id, at)?;
            }
        }
        Attempt::Failed(SendError::Refused { code, message }) => {
            if code == TWILIO_OPTED_OUT_CODE {
                // Twilio knows of a STOP we never saw (e.g. sent before smsdesk): remember it.
                store.record_opt_out(&claimed.sms.to, &claimed.sms.from, at)?;
            }
            let change = StatusChange {
                status: DeliveryStatus::Failed,
                error_code: Some(code),
                error_message: Some(message),
                at,
            };
            advance_status(store, id, change, None)?;
        }
        Attempt::SkippedOptedOut => {
            let why = "The customer opted out (STOP) before this message was sent.";
            let change = StatusChange {
                status: DeliveryStatus::Failed,
                error_code: Some(OPTED_OUT_CODE),
                error_message: Some(why),
                at,
            };
            advance_status(store, id, change, None)?;
        }
        Attempt::Failed(SendError::Temporary { message, retry_after }) => {
            if claimed.attempt >= settings.max_attempts as i32 {
                let why = format!("Gave up after {} attempts: {message}", claimed.attempt);
                let change =
                    StatusChange { status: DeliveryStatus::Failed, error_code: None, error_message: Some(&why), at };
                advance_status(store, id, change, None)?;
                return Ok(Next::LeaveOutbox);
            }
            let wait = backoff(claimed.attempt, settings).max(retry_after.unwrap_or_default());
            store.reschedule(id, later(wait), message)?;
            return Ok(Next::TryAgain);
        }
    }
    Ok(Next::LeaveOutbox)
}

/// A delivery report from a gateway's status callback.
#[derive(Debug, Clone)]
pub struct DeliveryReport {
    pub provider: Provider,
    pub provider_message_id: String,
    pub status: DeliveryStatus,
    pub error_code: Option<String>,
}

/// Stores the report and applies it to its message if we already know which message it is about.
pub fn record_delivery_report(store: &mut impl OutboxStore, report: &DeliveryReport) -> QueryResult<()> {
    let at = now();
    store.store_report(report, at)?;
    let gateway_id = GatewayId { provider: report.provider, id: &report.provider_message_id };
    if let Some(id) = store.message_with_gateway_id(gateway_id)? {
        apply_report(store, id, report.provider, report.status, report.error_code.as_deref(), at)?;
    }
    Ok(())
}

/// A reported status for a message, with the gateway's error code in plain words where we know it.
fn apply_report(
    store: &mut impl OutboxStore,
    id: MessageId,
    provider: Provider,
    status: DeliveryStatus,
    error_code: Option<&str>,
    at: NaiveDateTime,
) -> QueryResult<bool> {
    let error_message = error_code.and_then(|code| describe_error(provider, code));
    advance_status(store, id, StatusChange { status, error_code, error_message, at }, None)
}

/// Moves a message's delivery status forward, never back: a late or repeated report changes nothing.
/// Returns whether it moved.
/// A move to failed or undelivered goes on the ticket's timeline.
fn advance_status(
    store: &mut impl OutboxStore,
    id: MessageId,
    change: StatusChange<'_>,
    gateway_id: Option<GatewayId<'_>>,
) -> QueryResult<bool> {
    let (status, error, at) = (change.status, change.error_message.or(change.error_code), change.at);
    let moved = store.move_status(id, &status.earlier_states(), change, gateway_id)?;
    if moved && matches!(status, DeliveryStatus::Failed | DeliveryStatus::Undelivered) {
        store.record_delivery_failure(id, error, at)?;
    }
    Ok(moved)
}

/// Applies delivery reports that arrived before we knew the gateway's id of the message they are about,
/// for a batch of messages the gateway just accepted: one query for the batch, which usually finds nothing.
fn apply_early_reports(store: &mut impl OutboxStore, accepted: &[(MessageId, &Accepted)]) -> QueryResult<()> {
    let gateway_ids: Vec<GatewayId<'_>> =
        accepted.iter().map(|(_, sent)| GatewayId { provider: sent.provider, id: &sent.provider_message_id }).collect();
    let at = now();
    for report in store.reports_about(&gateway_ids)? {
        let message = accepted.iter().find(|(_, sent)| {
            sent.provider == report.provider && sent.provider_message_id == report.gateway_message_id
        });
        if let Some((id, _)) = message {
            apply_report(store, *id, report.provider, report.status, report.error_code.as_deref(), at)?;
        }
    }
    Ok(())
}

/// Wait before the next attempt: base × 2^(attempt−1), capped, with ±20 % jitter so retries of many
/// messages after an outage do not arrive at the gateway all at once.
pub fn backoff(attempt: i32, settings: &DeliverySettings) -> Duration {
    let exponent = attempt.saturating_sub(1).clamp(0, 30) as u32;
    let base = settings.retry_base.saturating_mul(2u32.saturating_pow(exponent)).min(settings.retry_cap);
    base.mul_f64(rand::rng().random_range(0.8..=1.2))
}

fn later(wait: Duration) -> NaiveDateTime {
    now() + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::hours(1))
}

/// Plain words for the delivery errors agents meet most, shown next to a failed message.
pub fn describe_error(provider: Provider, code: &str) -> Option<&'static str> {
    Some(match (provider, code) {
        (Provider::Twilio, "21211") => "The number is not a valid phone number.",
        (Provider::Twilio, "21610") => "The customer has unsubscribed (replied STOP) from this number.",
        (Provider::Twilio, "21614") => "The number cannot receive SMS (not a mobile number).",
        (Provider::Twilio, "30003") => "The phone is unreachable (switched off or out of coverage).",
        (Provider::Twilio, "30004") => "The message was blocked by the recipient or their carrier.",
        (Provider::Twilio, "30005") => "The number does not exist or is no longer in service.",
        (Provider::Twilio, "30006") => "The number is a landline or cannot receive SMS.",
        (Provider::Twilio, "30007") => "The carrier filtered the message as spam.",
        (Provider::Twilio, "30008") => "The carrier could not deliver the message (unknown error).",
        (Provider::MessageBird, "103") => "The customer has unsubscribed (replied STOP).",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_starts_within_seconds_doubles_and_is_capped() {
        let settings = DeliverySettings::default();
        let first = backoff(1, &settings);
        assert!(first >= Duration::from_millis(800) && first <= Duration::from_millis(1200), "{first:?}");
        let third = backoff(3, &settings);
        assert!(third >= Duration::from_millis(3200) && third <= Duration::from_millis(4800), "{third:?}");
        assert!(backoff(40, &settings) <= settings.retry_cap.mul_f64(1.2));
    }
}
