//! The SMS simulator: an admin sends a fake inbound text from any number, so a new team can try smsdesk
//! before connecting a gateway. Off unless the `sms_simulator_enabled` setting is on.

use actix_web::{HttpResponse, post, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::ErrorBody;
use super::auth::Admin;
use super::body::Body;
use crate::domain::{MessageBody, MessageId, PhoneNumber, Provider, SmsText, TicketId};
use crate::error::ApiError;
use crate::numbers::sender_number;
use crate::state::AppState;
use crate::tickets::{InboundSms, IngestOutcome};
use crate::webhooks::file_inbound_sms;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SimulatedText {
    /// The pretend customer's number, with its country code.
    #[schema(example = "+14155550123")]
    from: String,
    /// Which number of ours it was sent to (default: the `default_sender_number` setting).
    #[schema(example = "+14155550100")]
    to: Option<String>,
    #[schema(min_length = 1, max_length = 1600)]
    body: String,
}

#[derive(Serialize, ToSchema)]
pub struct SimulatedTextFiled {
    ticket_id: TicketId,
    message_id: MessageId,
    /// The text opened a new ticket (and, unless it was STOP, queued the confirmation).
    opened_ticket: bool,
}

/// Send a fake inbound text, filed exactly as a gateway's webhook would be (admins only, and only while
/// `sms_simulator_enabled` is on). Replies to it go out through the configured gateway.
#[utoipa::path(
    tag = "admin",
    request_body = SimulatedText,
    responses(
        (status = 201, body = SimulatedTextFiled),
        (status = 401, body = ErrorBody),
        (status = 403, description = "Not an admin, a missing X-CSRF-Token, or the simulator is off (`simulator_disabled`)", body = ErrorBody),
        (status = 422, description = "Invalid number or body, or no number of ours to send to", body = ErrorBody),
    ),
    security(("bearer" = []), ("session" = []))
)]
#[post("/simulator/messages")]
pub async fn simulate_inbound_text(
    _: Admin,
    body: Body<SimulatedText>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let settings = state.settings.get();
    if !settings.sms_simulator_enabled {
        return Err(ApiError::forbidden(
            "simulator_disabled",
            "The SMS simulator is off; an admin can turn it on in the settings (sms_simulator_enabled).",
        ));
    }
    let SimulatedText { from, to, body } = body.into_inner();
    let from = PhoneNumber::parse(&from)?;
    let body = MessageBody::parse(body)?;
    let to = to.map(|raw| PhoneNumber::parse(&raw)).transpose()?;
    let lookup = settings.clone();
    let to = state.db.read(move |conn| sender_number(conn, &lookup, to)).await?;
    let sms = InboundSms {
        provider: Provider::Simulator,
        provider_message_id: Some(uuid::Uuid::new_v4().to_string()),
        from,
        to,
        body: SmsText::from_gateway(body.as_str()),
        media_urls: Vec::new(),
    };
    let filed = match file_inbound_sms(&state, sms).await? {
        IngestOutcome::Appended { ticket_id, message_id, .. } => {
            SimulatedTextFiled { ticket_id, message_id, opened_ticket: false }
        }
        IngestOutcome::Opened { ticket_id, message_id, .. } => {
            SimulatedTextFiled { ticket_id, message_id, opened_ticket: true }
        }
        IngestOutcome::Duplicate => return Err(ApiError::internal("a fresh simulator message id was taken")),
    };
    Ok(HttpResponse::Created().json(filed))
}
