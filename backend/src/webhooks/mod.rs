//! Webhooks the SMS gateways call: verify the signature, normalise the fields, hand the text to the
//! ticket rules. A webhook is answered 2xx only once what it carried is committed to the database.

pub mod messagebird;
pub mod messagebird_signature;
pub mod twilio;
pub mod twilio_signature;

use std::future::Future;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, ResponseError};

use crate::config::PublicUrl;
use crate::db::StoreError;
use crate::delivery::{DeliveryReport, record_delivery_report};
use crate::domain::{MediaUrl, PhoneNumber, PhoneNumberError, Provider};
use crate::error::ApiError;
use crate::metrics::WebhookOutcome;
use crate::numbers::remember_texted_number;
use crate::state::AppState;
use crate::tickets::{InboundSms, IngestError, IngestOutcome, appended_outcome, ingest_inbound_sms, text_to_append};

/// The URL the gateway called and signed: our public URL plus the path and query as received.
fn called_url(req: &HttpRequest, public_url: &PublicUrl) -> String {
    let path_and_query = req.uri().path_and_query().map_or_else(|| req.path(), |pq| pq.as_str());
    public_url.join(path_and_query)
}

fn form_params(body: &[u8]) -> Result<Vec<(String, String)>, ApiError> {
    serde_urlencoded::from_bytes(body)
        .map_err(|e| ApiError::bad_request("malformed_form", format!("The body is not form-encoded: {e}")))
}

fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str()).filter(|v| !v.is_empty())
}

fn required<'a>(params: &'a [(String, String)], name: &'static str) -> Result<&'a str, ApiError> {
    param(params, name).ok_or_else(|| ApiError::bad_request("missing_field", format!("The webhook has no {name}.")))
}

fn gateway_number(raw: &str, field: &str) -> Result<PhoneNumber, ApiError> {
    PhoneNumber::from_gateway(raw)
        .map_err(|e: PhoneNumberError| ApiError::unprocessable("invalid_phone_number", format!("{field}: {e}")))
}

/// The links a text carried that are safe to keep (see [`MediaUrl`]); the rest are dropped, and logged by
/// scheme only.
fn media_urls<'a>(raw: impl Iterator<Item = &'a str>) -> Vec<MediaUrl> {
    raw.filter_map(|url| match MediaUrl::parse(url) {
        Ok(url) => Some(url),
        Err(e) => {
            tracing::warn!(reason = %e, "dropped a media link from a webhook");
            None
        }
    })
    .collect()
}

/// A gateway's error code for a failed delivery: the codes are numbers (Twilio's 30003, MessageBird's 104),
/// and `0` means none. Anything else is not a code and is not stored.
fn gateway_error_code(raw: Option<&str>) -> Option<String> {
    let code = raw?.trim();
    let numeric = !code.is_empty() && code.len() <= 10 && code.bytes().all(|b| b.is_ascii_digit());
    (numeric && !code.trim_start_matches('0').is_empty()).then(|| code.to_owned())
}

/// Runs a gateway's inbound-text handling (`filing`: check, parse, file) and counts what became of it in
/// `smsdesk_webhooks_total`. The one place the outcomes are told apart: a 403 is only ever a signature
/// problem, any other 4xx the webhook's content, a 5xx ours.
pub(crate) async fn counted(
    state: &AppState,
    provider: Provider,
    filing: impl Future<Output = Result<IngestOutcome, ApiError>>,
) -> Result<IngestOutcome, ApiError> {
    let filed = filing.await;
    let outcome = match &filed {
        Ok(IngestOutcome::Duplicate) => WebhookOutcome::Duplicate,
        Ok(_) => WebhookOutcome::Stored,
        Err(e) if e.status_code() == StatusCode::FORBIDDEN => WebhookOutcome::BadSignature,
        Err(e) if e.status_code().is_client_error() => WebhookOutcome::Invalid,
        Err(_) => WebhookOutcome::Error,
    };
    state.metrics.webhook(provider, outcome);
    filed
}

/// Records a gateway's delivery report and counts it by status (`smsdesk_delivery_reports_total`).
pub(crate) async fn record_report(state: &AppState, report: DeliveryReport) -> Result<(), ApiError> {
    let (provider, status) = (report.provider, report.status);
    state.db.write_replayable(move |conn| record_delivery_report(conn, &report).map_err(StoreError::from)).await?;
    state.metrics.delivery_report(provider, status);
    Ok(())
}

/// Files the text under its ticket (and, the first time this process sees the number of ours it was sent
/// to, records that number as texted), then wakes the outbox if a confirmation was queued.
pub(crate) async fn file_inbound_sms(state: &AppState, sms: InboundSms) -> Result<IngestOutcome, ApiError> {
    let settings = state.settings.get();
    let our_number = sms.to.clone();
    let known_number = state.texted_numbers.contains(&our_number);
    let outcome = match (known_number, text_to_append(&sms, &settings)) {
        // Most texts join their ticket; on PostgreSQL, together with the texts arriving alongside them.
        (true, Some(text)) => {
            state.db.append_text_or(text, appended_outcome, move |conn| ingest_inbound_sms(conn, &sms, &settings)).await
        }
        _ => {
            state
                .db
                .write_replayable(move |conn| {
                    if !known_number {
                        remember_texted_number(conn, &sms.to).map_err(StoreError::from)?;
                    }
                    ingest_inbound_sms(conn, &sms, &settings)
                })
                .await
        }
    };
    let outcome = match outcome {
        Ok(outcome) => outcome,
        Err(IngestError::Duplicate) => IngestOutcome::Duplicate,
        Err(IngestError::Store(e)) => return Err(e.into()),
    };
    if !known_number && outcome != IngestOutcome::Duplicate {
        state.texted_numbers.insert(our_number);
    }
    if outcome.queued_outgoing() {
        state.outbox.message_queued();
    }
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::gateway_error_code;

    #[test]
    fn only_numeric_error_codes_are_kept_and_zero_means_none() {
        assert_eq!(gateway_error_code(Some("30003")).as_deref(), Some("30003"));
        assert_eq!(gateway_error_code(Some(" 104 ")).as_deref(), Some("104"));
        for none in [None, Some(""), Some("0"), Some("000"), Some("300\u{0}03"), Some("E30003"), Some("12345678901")] {
            assert_eq!(gateway_error_code(none), None, "{none:?}");
        }
    }
}
