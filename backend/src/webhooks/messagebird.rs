//! `POST /webhooks/messagebird` (incoming SMS, form or JSON) and `GET /webhooks/messagebird/status`
//! (delivery reports).

use std::time::{SystemTime, UNIX_EPOCH};

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, post, web};

use sha2::{Digest, Sha256};

use super::messagebird_signature::{MESSAGEBIRD_SIGNATURE_HEADER, SignedRequest};
use super::{
    called_url, counted, file_inbound_sms, form_params, gateway_error_code, gateway_number, param, record_report,
    required,
};
use crate::api::ErrorBody;
use crate::delivery::DeliveryReport;
use crate::domain::{DeliveryStatus, Provider, SmsText};
use crate::error::ApiError;
use crate::state::AppState;
use crate::tickets::{InboundSms, IngestOutcome};

/// Refuses a request unless its `MessageBird-Signature-JWT` is valid, or an admin turned checking off.
/// Returns what the token says about the request (`None` when checking is off).
fn check_signature(state: &AppState, req: &HttpRequest, body: &[u8]) -> Result<Option<SignedRequest>, ApiError> {
    if !state.settings.get().messagebird_verify_signatures {
        return Ok(None);
    }
    let Some(verifier) = &state.messagebird_signature else {
        return Err(ApiError::forbidden(
            "webhook_not_configured",
            "MessageBird webhooks are refused: set MESSAGEBIRD_SIGNING_KEY so their signatures can be checked.",
        ));
    };
    let jwt =
        req.headers().get(MESSAGEBIRD_SIGNATURE_HEADER).and_then(|v| v.to_str().ok()).ok_or_else(|| {
            ApiError::forbidden("invalid_signature", "The MessageBird-Signature-JWT header is missing.")
        })?;
    let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    verifier
        .verify(jwt, &called_url(req, &state.public_url), body, now)
        .map(Some)
        .map_err(|e| ApiError::forbidden("invalid_signature", format!("The MessageBird signature is not valid: {e}")))
}

/// The id the text is stored under, so that a replay of it is stored once: MessageBird's message `id`, or,
/// for webhooks without one (Flows), the identity of the signed token that carried it (see
/// [`SignedRequest::jti`]). Without either (signature checking off, no id) there is nothing to tell a
/// replay by.
fn provider_message_id(id: Option<&str>, signed: Option<&SignedRequest>) -> Result<Option<String>, ApiError> {
    if let Some(id) = id {
        // MessageBird's ids are 32 hex digits; anything printable and short is kept, anything else is not an id.
        if id.len() > 128 || !id.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(ApiError::unprocessable("invalid_message_id", "The webhook's id is not a MessageBird id."));
        }
        return Ok(Some(id.to_owned()));
    }
    // Hashed: the jti is whatever the token says (length, characters), the stored id is always 36 characters.
    Ok(signed.map(|request| format!("jwt:{}", &hex::encode(Sha256::digest(request.jti.as_bytes()))[..32])))
}

/// An SMS from a customer (MessageBird's inbound webhook or a Flow's "Call HTTP endpoint"); form or JSON with
/// `originator`, `payload` or `body`, `recipient` (optional for Flows) and `id`.
#[utoipa::path(
    operation_id = "receive_messagebird_sms",
    tag = "webhooks",
    request_body(content_type = "application/x-www-form-urlencoded", description = "originator, payload or body, recipient, id (also accepted as JSON)"),
    params(("MessageBird-Signature-JWT" = String, Header)),
    responses(
        (status = 200, description = "Stored (or already stored)", content_type = "text/plain", body = String),
        (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 413, body = ErrorBody),
        (status = 422, body = ErrorBody),
    )
)]
#[post("/webhooks/messagebird")]
pub async fn receive_sms(
    req: HttpRequest,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    counted(&state, Provider::MessageBird, file_sms(&state, &req, &body)).await?;
    Ok(HttpResponse::Ok().content_type("text/plain").body("OK"))
}

async fn file_sms(state: &AppState, req: &HttpRequest, body: &[u8]) -> Result<IngestOutcome, ApiError> {
    let signed = check_signature(state, req, body)?;
    let fields = if is_json(req) { json_fields(body)? } else { form_params(body)? };
    let recipient = match param(&fields, "recipient") {
        Some(raw) => gateway_number(raw, "recipient")?,
        // Flow webhooks do not say which number was texted: it is ours.
        None => state.messagebird_originator.clone().ok_or_else(|| {
            ApiError::bad_request(
                "missing_field",
                "The webhook has no recipient; set MESSAGEBIRD_ORIGINATOR to file texts from Flows.",
            )
        })?,
    };
    let sms = InboundSms {
        provider: Provider::MessageBird,
        provider_message_id: provider_message_id(param(&fields, "id"), signed.as_ref())?,
        from: gateway_number(required(&fields, "originator")?, "originator")?,
        to: recipient,
        body: SmsText::from_gateway(param(&fields, "payload").or_else(|| param(&fields, "body")).unwrap_or_default()),
        media_urls: Vec::new(),
    };
    file_inbound_sms(state, sms).await
}

fn is_json(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().starts_with("application/json"))
}

/// A JSON object's top-level fields as strings (MessageBird may send numbers unquoted).
fn json_fields(body: &[u8]) -> Result<Vec<(String, String)>, ApiError> {
    let object: serde_json::Map<String, serde_json::Value> = serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_request("malformed_json", format!("The body is not a JSON object: {e}")))?;
    Ok(object
        .into_iter()
        .filter_map(|(key, value)| match value {
            serde_json::Value::String(s) => Some((key, s)),
            serde_json::Value::Number(n) => Some((key, n.to_string())),
            _ => None,
        })
        .collect())
}

/// A delivery report (MessageBird calls the message's `reportUrl` with query parameters `id`, `status`,
/// `statusErrorCode`, …).
#[utoipa::path(
    operation_id = "receive_messagebird_status",
    tag = "webhooks",
    params(("MessageBird-Signature-JWT" = String, Header), ("id" = String, Query), ("status" = String, Query)),
    responses((status = 200, description = "Recorded", content_type = "text/plain", body = String), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody))
)]
#[get("/webhooks/messagebird/status")]
pub async fn receive_status_get(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    receive_status(req, web::Bytes::new(), state).await
}

/// The same delivery report, for accounts set up to POST it.
#[utoipa::path(
    operation_id = "receive_messagebird_status_post",
    tag = "webhooks",
    request_body(content_type = "application/x-www-form-urlencoded", description = "Usually empty: the report is in the query string"),
    params(("MessageBird-Signature-JWT" = String, Header), ("id" = String, Query), ("status" = String, Query)),
    responses((status = 200, description = "Recorded", content_type = "text/plain", body = String), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody))
)]
#[post("/webhooks/messagebird/status")]
pub async fn receive_status_post(
    req: HttpRequest,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    receive_status(req, body, state).await
}

async fn receive_status(
    req: HttpRequest,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    check_signature(&state, &req, &body)?;
    let params = form_params(req.query_string().as_bytes())?;
    let id = provider_message_id(Some(required(&params, "id")?), None)?.unwrap_or_default();
    let reported = required(&params, "status")?;
    if let Some(status) = DeliveryStatus::from_messagebird(reported) {
        let report = DeliveryReport {
            provider: Provider::MessageBird,
            provider_message_id: id,
            status,
            error_code: gateway_error_code(param(&params, "statusErrorCode")),
        };
        record_report(&state, report).await?;
    }
    Ok(HttpResponse::Ok().content_type("text/plain").body("OK"))
}
