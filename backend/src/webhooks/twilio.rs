//! `POST /webhooks/twilio` (incoming SMS) and `POST /webhooks/twilio/status` (delivery reports).

use actix_web::{HttpRequest, HttpResponse, post, web};

use super::{
    called_url, counted, file_inbound_sms, form_params, gateway_error_code, gateway_number, media_urls, param,
    record_report, required,
};
use crate::api::ErrorBody;
use crate::delivery::DeliveryReport;
use crate::domain::{DeliveryStatus, Provider, SmsText};
use crate::error::ApiError;
use crate::state::AppState;
use crate::tickets::{InboundSms, IngestOutcome};

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
    counted(&state, Provider::Twilio, file_sms(&state, &req, &body)).await?;
    Ok(HttpResponse::Ok().content_type("text/xml").body(EMPTY_TWIML))
}

async fn file_sms(state: &AppState, req: &HttpRequest, body: &[u8]) -> Result<IngestOutcome, ApiError> {
    let params = form_params(body)?;
    check_signature(state, req, &params)?;
    file_inbound_sms(state, inbound_sms(&params)?).await
}

fn inbound_sms(params: &[(String, String)]) -> Result<InboundSms, ApiError> {
    let message_sid = param(params, "MessageSid")
        .or_else(|| param(params, "SmsMessageSid"))
        .or_else(|| param(params, "SmsSid"))
        .ok_or_else(|| ApiError::bad_request("missing_field", "The webhook has no MessageSid."))?;
    let message_sid = MessageSid::parse(message_sid)?;
    let media_count: usize = param(params, "NumMedia").and_then(|n| n.parse().ok()).unwrap_or(0);
    let media = (0..media_count.min(MAX_MEDIA)).filter_map(|i| param(params, &format!("MediaUrl{i}")));
    Ok(InboundSms {
        provider: Provider::Twilio,
        provider_message_id: Some(message_sid.0),
        from: gateway_number(required(params, "From")?, "From")?,
        to: gateway_number(required(params, "To")?, "To")?,
        body: SmsText::from_gateway(param(params, "Body").unwrap_or_default()),
        media_urls: media_urls(media),
    })
}

/// A Twilio message SID: `SM` (SMS) or `MM` (MMS) and 32 hex digits. Anything else is refused: the form is
/// signed as a sorted run of names and values with no separator, so a captured request re-split as
/// `MessageSid=<sid>NumMedia0` (without `NumMedia`) keeps its signature, and as a different id it would be
/// stored a second time.
#[derive(Debug, Clone, PartialEq, Eq)]
struct MessageSid(String);

impl MessageSid {
    fn parse(raw: &str) -> Result<Self, ApiError> {
        let well_formed = raw.len() == 34
            && (raw.starts_with("SM") || raw.starts_with("MM"))
            && raw[2..].bytes().all(|b| b.is_ascii_hexdigit());
        if well_formed {
            Ok(Self(raw.to_owned()))
        } else {
            Err(ApiError::bad_request(
                "invalid_message_sid",
                "MessageSid is not a Twilio message SID (SM or MM and 32 hex digits).",
            ))
        }
    }
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
    let message_sid = MessageSid::parse(required(&params, "MessageSid")?)?;
    let reported = required(&params, "MessageStatus")?;
    // States such as `receiving` say nothing about a message we sent: acknowledge and move on.
    if let Some(status) = DeliveryStatus::from_twilio(reported) {
        let report = DeliveryReport {
            provider: Provider::Twilio,
            provider_message_id: message_sid.0,
            status,
            error_code: gateway_error_code(param(&params, "ErrorCode")),
        };
        record_report(&state, report).await?;
    }
    Ok(HttpResponse::NoContent().finish())
}

#[cfg(test)]
mod tests {
    use super::MessageSid;

    #[test]
    fn only_sm_and_mm_sids_with_32_hex_digits_are_message_sids() {
        for good in ["SM0123456789abcdef0123456789abcdef", "MM0123456789ABCDEF0123456789ABCDEF"] {
            assert!(MessageSid::parse(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "SM1",
            "SM0123456789abcdef0123456789abcdefNumMedia0",
            "CA0123456789abcdef0123456789abcdef",
            "SM0123456789abcdef0123456789abcdeg",
            "SM0123456789abcdef0123456789abcde\0",
            "sm0123456789abcdef0123456789abcdef",
            "SMé123456789abcdef0123456789abcde",
        ] {
            assert!(MessageSid::parse(bad).is_err(), "{bad:?}");
        }
    }
}
