//! `POST /webhooks/twilio` (incoming SMS) and `POST /webhooks/twilio/status` (delivery reports).

use actix_web::{HttpRequest, HttpResponse, post, web};

use super::{called_url, file_inbound_sms, form_params, gateway_number, param, required};
use crate::api::ErrorBody;
use crate::db::StoreError;
use crate::delivery::{DeliveryReport, record_delivery_report};
use crate::domain::{DeliveryStatus, Provider};
use crate::error::ApiError;
use crate::startup::AppState;
use crate::tickets::InboundSms;

const SIGNATURE_HEADER: &str = "X-Twilio-Signature";
/// Twilio logs an empty answer as an error; an empty TwiML response acknowledges without replying.
const EMPTY_TWIML: &str = r#"<?xml version="1.0" encoding="UTF-8"?><Response/>"#;
/// Twilio sends at most 10 media items.
const MAX_MEDIA: usize = 10;

/// Refuses a request unless its `X-Twilio-Signature` matches, or an admin turned checking off.
fn check_signature(state: &AppState, req: &HttpRequest, params: &[(String, String)]) -> Result<(), ApiError> {
    if !state.settings.get().twilio_verify_signatures {
        return Ok(());
    }
    let Some(validator) = &state.twilio_signature else {
        return Err(ApiError::forbidden(
            "webhook_not_configured",
            "Twilio webhooks are refused: set TWILIO_AUTH_TOKEN so their signatures can be checked.",
        ));
    };
    let signature = req
        .headers()
        .get(SIGNATURE_HEADER)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| ApiError::forbidden("invalid_signature", "The X-Twilio-Signature header is missing."))?;
    if validator.is_valid(&called_url(req, &state.public_url), params, signature) {
        Ok(())
    } else {
        Err(ApiError::forbidden(
            "invalid_signature",
            "The X-Twilio-Signature does not match this request. Check that PUBLIC_URL is the address Twilio calls.",
        ))
    }
}

/// An SMS from a customer (Twilio's "A message comes in" webhook; form fields as Twilio sends them).
/// Answers an empty TwiML response once the text is stored.
#[utoipa::path(
    operation_id = "receive_twilio_sms",
    tag = "webhooks",
    request_body(content_type = "application/x-www-form-urlencoded", description = "MessageSid, From, To, Body, NumMedia, MediaUrl0…, and whatever else Twilio sends (all signed)"),
    params(("X-Twilio-Signature" = String, Header, description = "Checked against PUBLIC_URL + path")),
    responses(
        (status = 200, description = "Stored (or already stored)", content_type = "text/xml", body = String),
        (status = 400, description = "Malformed form or a required field missing", body = ErrorBody),
        (status = 403, description = "Missing or wrong signature", body = ErrorBody),
        (status = 413, body = ErrorBody),
        (status = 422, description = "A phone number that is not one", body = ErrorBody),
    )
)]
#[post("/webhooks/twilio")]
pub async fn receive_sms(
    req: HttpRequest,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let params = form_params(&body)?;
    check_signature(&state, &req, &params)?;
    file_inbound_sms(&state, inbound_sms(&params)?).await?;
    Ok(HttpResponse::Ok().content_type("text/xml").body(EMPTY_TWIML))
}

fn inbound_sms(params: &[(String, String)]) -> Result<InboundSms, ApiError> {
    let message_sid = param(params, "MessageSid")
        .or_else(|| param(params, "SmsMessageSid"))
        .or_else(|| param(params, "SmsSid"))
        .ok_or_else(|| ApiError::bad_request("missing_field", "The webhook has no MessageSid."))?;
    let media_count: usize = param(params, "NumMedia").and_then(|n| n.parse().ok()).unwrap_or(0);
    let media_urls = (0..media_count.min(MAX_MEDIA))
        .filter_map(|i| param(params, &format!("MediaUrl{i}")).map(str::to_owned))
        .collect();
    Ok(InboundSms {
        provider: Provider::Twilio,
        provider_message_id: Some(message_sid.to_owned()),
        from: gateway_number(required(params, "From")?, "From")?,
        to: gateway_number(required(params, "To")?, "To")?,
        body: param(params, "Body").unwrap_or_default().to_owned(),
        media_urls,
    })
}

/// A delivery report for a message we sent (the `StatusCallback` of each send).
#[utoipa::path(
    operation_id = "receive_twilio_status",
    tag = "webhooks",
    request_body(content_type = "application/x-www-form-urlencoded", description = "MessageSid, MessageStatus, ErrorCode"),
    params(("X-Twilio-Signature" = String, Header)),
    responses(
        (status = 204, description = "Recorded"),
        (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody),
    )
)]
#[post("/webhooks/twilio/status")]
pub async fn receive_status(
    req: HttpRequest,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let params = form_params(&body)?;
    check_signature(&state, &req, &params)?;
    let message_sid = required(&params, "MessageSid")?;
    let reported = required(&params, "MessageStatus")?;
    // States such as `receiving` say nothing about a message we sent: acknowledge and move on.
    if let Some(status) = DeliveryStatus::from_twilio(reported) {
        let report = DeliveryReport {
            provider: Provider::Twilio,
            provider_message_id: message_sid.to_owned(),
            status,
            error_code: param(&params, "ErrorCode").filter(|c| *c != "0").map(str::to_owned),
        };
        state.db.write_replayable(move |conn| record_delivery_report(conn, &report).map_err(StoreError::from)).await?;
    }
    Ok(HttpResponse::NoContent().finish())
}
