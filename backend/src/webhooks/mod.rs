//! Webhooks the SMS gateways call: verify the signature, normalise the fields, hand the text to the
//! ticket rules. A webhook is answered 2xx only once what it carried is committed to the database.

pub mod messagebird;
pub mod messagebird_signature;
pub mod twilio;
pub mod twilio_signature;

use actix_web::HttpRequest;

use crate::config::PublicUrl;
use crate::domain::{PhoneNumber, PhoneNumberError};
use crate::error::ApiError;
use crate::startup::AppState;
use crate::tickets::{InboundSms, IngestError, IngestOutcome, ingest_inbound_sms};

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

/// Files the text under its ticket and wakes the outbox if a confirmation was queued.
pub(crate) async fn file_inbound_sms(state: &AppState, sms: InboundSms) -> Result<IngestOutcome, ApiError> {
    let settings = state.settings.get();
    let outcome = state.db.write_replayable(move |conn| ingest_inbound_sms(conn, &sms, &settings)).await;
    let outcome = match outcome {
        Ok(outcome) => outcome,
        Err(IngestError::Duplicate) => IngestOutcome::Duplicate,
        Err(IngestError::Store(e)) => return Err(e.into()),
    };
    if outcome.queued_outgoing() {
        state.outbox.message_queued();
    }
    Ok(outcome)
}
