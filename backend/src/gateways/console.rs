use super::{Accepted, OutgoingSms};
use crate::domain::{DeliveryStatus, Provider};

/// Development gateway: logs the message and reports it sent.
pub(super) fn send(sms: &OutgoingSms) -> Accepted {
    tracing::info!(message_id = %sms.message_id, from = %sms.from, to = %sms.to, body = %sms.body, "console gateway: SMS not sent, only logged");
    Accepted {
        provider: Provider::Console,
        provider_message_id: format!("console-{}", sms.message_id),
        status: DeliveryStatus::Sent,
    }
}
