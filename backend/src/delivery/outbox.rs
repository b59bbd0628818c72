//! The outbox's storage side: claim due messages, record each attempt, apply delivery reports.

use std::time::Duration;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use rand::Rng;

use crate::config::DeliverySettings;
use crate::db::schema::{delivery_events, messages, opt_outs, outbox, tickets};
use crate::db::{AnyConnection, now};
use crate::domain::{DeliveryStatus, MessageId, PhoneNumber, Provider};
use crate::gateways::{Accepted, OutgoingSms, SendError};
use crate::on_backend;

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

/// Takes up to `limit` due messages and hides them from other workers until `lease` has passed. On
/// PostgreSQL, `SKIP LOCKED` lets several server processes claim at once without taking the same row.
pub fn claim_due(conn: &mut AnyConnection, limit: i64, lease: Duration) -> QueryResult<Vec<ClaimedMessage>> {
    let now = now();
    let lease_until = now + chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::seconds(60));
    let due = outbox::table
        .filter(outbox::next_attempt_at.le(now))
        .order(outbox::next_attempt_at.asc())
        .select(outbox::message_id)
        .limit(limit);
    // The row locks last until our transaction commits the new lease; other workers skip those rows.
    let ids: Vec<MessageId> = match conn {
        AnyConnection::Postgresql(pg) => due.for_update().skip_locked().load(pg)?,
        AnyConnection::Sqlite(sqlite) => due.load(sqlite)?,
    };
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let claimed: Vec<(MessageId, i32)> = diesel::update(outbox::table.filter(outbox::message_id.eq_any(&ids)))
        .set((outbox::next_attempt_at.eq(lease_until), outbox::attempts.eq(outbox::attempts + 1)))
        .returning((outbox::message_id, outbox::attempts))
        .get_results(conn)?;
    let details: Vec<(MessageId, String, String, String, bool)> = messages::table
        .inner_join(tickets::table)
        .filter(messages::id.eq_any(&ids))
        .select((
            messages::id,
            messages::body,
            tickets::customer_number,
            tickets::channel_number,
            diesel::dsl::exists(
                opt_outs::table
                    .filter(opt_outs::customer_number.eq(tickets::customer_number))
                    .filter(opt_outs::channel_number.eq(tickets::channel_number)),
            ),
        ))
        .order(messages::id.asc())
        .load(conn)?;
    Ok(details
        .into_iter()
        .map(|(message_id, body, customer, channel, opted_out)| ClaimedMessage {
            sms: OutgoingSms {
                message_id,
                from: PhoneNumber::from_stored(channel),
                to: PhoneNumber::from_stored(customer),
                body,
            },
            attempt: claimed.iter().find(|(id, _)| *id == message_id).map_or(1, |(_, n)| *n),
            opted_out,
        })
        .collect())
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
    conn: &mut AnyConnection,
    outcomes: &[(ClaimedMessage, Attempt)],
    settings: &DeliverySettings,
) -> QueryResult<()> {
    let mut finished = Vec::with_capacity(outcomes.len());
    let mut accepted = Vec::new();
    for (claimed, attempt) in outcomes {
        if record_attempt(conn, claimed, attempt, settings)? == Next::LeaveOutbox {
            finished.push(claimed.sms.message_id);
        }
        if let Attempt::Sent(sent) = attempt {
            accepted.push((claimed.sms.message_id, sent));
        }
    }
    if !finished.is_empty() {
        diesel::delete(outbox::table.filter(outbox::message_id.eq_any(&finished))).execute(conn)?;
    }
    apply_early_reports(conn, &accepted)
}

/// What happens to a message in the outbox after an attempt.
#[derive(Debug, PartialEq, Eq)]
enum Next {
    LeaveOutbox,
    TryAgain,
}

fn record_attempt(
    conn: &mut AnyConnection,
    claimed: &ClaimedMessage,
    attempt: &Attempt,
    settings: &DeliverySettings,
) -> QueryResult<Next> {
    let id = claimed.sms.message_id;
    match attempt {
        Attempt::Sent(accepted) => {
            let gateway_id = (
                messages::provider.eq(accepted.provider),
                messages::provider_message_id.eq(&accepted.provider_message_id),
            );
            // Usually one statement: the gateway's id and the status move on together.
            if advance_status(conn, id, accepted.status, None, None, Some(gateway_id))? == 0 {
                // The status is already further along: only the gateway's id is new.
                diesel::update(messages::table.find(id))
                    .set((gateway_id, messages::updated_at.eq(now())))
                    .execute(conn)?;
            }
        }
        Attempt::Failed(SendError::Refused { code, message }) => {
            if code == TWILIO_OPTED_OUT_CODE {
                // Twilio knows of a STOP we never saw (e.g. sent before smsdesk): remember it.
                record_opt_out(conn, &claimed.sms)?;
            }
            advance_status(conn, id, DeliveryStatus::Failed, Some(code), Some(message), None)?;
        }
        Attempt::SkippedOptedOut => {
            let why = "The customer opted out (STOP) before this message was sent.";
            advance_status(conn, id, DeliveryStatus::Failed, Some(OPTED_OUT_CODE), Some(why), None)?;
        }
        Attempt::Failed(SendError::Temporary { message, retry_after }) => {
            if claimed.attempt >= settings.max_attempts as i32 {
                let why = format!("Gave up after {} attempts: {message}", claimed.attempt);
                advance_status(conn, id, DeliveryStatus::Failed, None, Some(&why), None)?;
                return Ok(Next::LeaveOutbox);
            }
            let wait = backoff(claimed.attempt, settings).max(retry_after.unwrap_or_default());
            diesel::update(outbox::table.find(id))
                .set((outbox::next_attempt_at.eq(later(wait)), outbox::last_error.eq(message)))
                .execute(conn)?;
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
pub fn record_delivery_report(conn: &mut AnyConnection, report: &DeliveryReport) -> QueryResult<()> {
    diesel::insert_into(delivery_events::table)
        .values((
            delivery_events::provider.eq(report.provider),
            delivery_events::provider_message_id.eq(&report.provider_message_id),
            delivery_events::status.eq(report.status),
            delivery_events::error_code.eq(&report.error_code),
            delivery_events::received_at.eq(now()),
        ))
        .execute(conn)?;
    let message: Option<MessageId> = messages::table
        .filter(messages::provider.eq(report.provider))
        .filter(messages::provider_message_id.eq(&report.provider_message_id))
        .select(messages::id)
        .first(conn)
        .optional()?;
    if let Some(id) = message {
        let description = report.error_code.as_deref().and_then(|code| describe_error(report.provider, code));
        advance_status(conn, id, report.status, report.error_code.as_deref(), description, None)?;
    }
    Ok(())
}

/// The gateway's id for a message: `(provider, provider_message_id)`.
type GatewayId<'a> =
    (diesel::dsl::Eq<messages::provider, Provider>, diesel::dsl::Eq<messages::provider_message_id, &'a String>);

/// Moves a message's delivery status forward, never back: a late or repeated report changes nothing.
/// Also stores the gateway's id for the message if given. Returns the number of messages changed.
fn advance_status(
    conn: &mut AnyConnection,
    id: MessageId,
    status: DeliveryStatus,
    error_code: Option<&str>,
    error_message: Option<&str>,
    gateway_id: Option<GatewayId<'_>>,
) -> QueryResult<usize> {
    let target = messages::table.find(id).filter(messages::delivery_status.eq_any(status.earlier_states()));
    let change = (
        messages::delivery_status.eq(status),
        messages::error_code.eq(error_code),
        messages::error_message.eq(error_message),
        messages::updated_at.eq(now()),
    );
    match gateway_id {
        Some(gateway_id) => diesel::update(target).set((change, gateway_id)).execute(conn),
        None => diesel::update(target).set(change).execute(conn),
    }
}

/// Applies delivery reports that arrived before we knew the gateway's id of the message they are about,
/// for a batch of messages the gateway just accepted: one query for the batch, which usually finds nothing.
fn apply_early_reports(conn: &mut AnyConnection, accepted: &[(MessageId, &Accepted)]) -> QueryResult<()> {
    if accepted.is_empty() {
        return Ok(());
    }
    let gateway_ids: Vec<&str> = accepted.iter().map(|(_, sent)| sent.provider_message_id.as_str()).collect();
    let mut providers: Vec<Provider> = Vec::new();
    for (_, sent) in accepted {
        if !providers.contains(&sent.provider) {
            providers.push(sent.provider);
        }
    }
    let reports: Vec<(Provider, String, DeliveryStatus, Option<String>)> = delivery_events::table
        .filter(delivery_events::provider.eq_any(&providers))
        .filter(delivery_events::provider_message_id.eq_any(&gateway_ids))
        .select((
            delivery_events::provider,
            delivery_events::provider_message_id,
            delivery_events::status,
            delivery_events::error_code,
        ))
        .order(delivery_events::id.asc())
        .load(conn)?;
    for (provider, gateway_id, status, code) in reports {
        let message =
            accepted.iter().find(|(_, sent)| sent.provider == provider && sent.provider_message_id == gateway_id);
        if let Some((id, _)) = message {
            let description = code.as_deref().and_then(|c| describe_error(provider, c));
            advance_status(conn, *id, status, code.as_deref(), description, None)?;
        }
    }
    Ok(())
}

fn record_opt_out(conn: &mut AnyConnection, sms: &OutgoingSms) -> QueryResult<()> {
    let row = (
        opt_outs::customer_number.eq(sms.to.as_str()),
        opt_outs::channel_number.eq(sms.from.as_str()),
        opt_outs::created_at.eq(now()),
    );
    on_backend!(conn, |c| diesel::insert_into(opt_outs::table).values(row).on_conflict_do_nothing().execute(c))
        .map(drop)
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
