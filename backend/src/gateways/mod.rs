//! Sending SMS through the configured gateway. Each gateway says whether a failure is worth retrying
//! (network trouble, 5xx, 429, our credentials) or a refusal of this message for good.

mod console;
mod messagebird;
mod twilio;

use std::time::Duration;

use crate::config::{GatewaySettings, PublicUrl};
use crate::domain::{DeliveryStatus, MessageId, PhoneNumber, Provider};

pub use messagebird::MessageBirdGateway;
pub use twilio::TwilioGateway;

/// Paths the gateways call back with delivery reports; also the routes in `startup`.
pub const TWILIO_STATUS_PATH: &str = "/webhooks/twilio/status";
pub const MESSAGEBIRD_STATUS_PATH: &str = "/webhooks/messagebird/status";

#[derive(Debug, Clone)]
pub struct OutgoingSms {
    pub message_id: MessageId,
    /// The number of ours the customer texted.
    pub from: PhoneNumber,
    pub to: PhoneNumber,
    pub body: String,
}

/// The gateway took the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    pub provider: Provider,
    pub provider_message_id: String,
    pub status: DeliveryStatus,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// The gateway refused this message and would refuse it again (invalid number, opted out, …).
    #[error("refused by the gateway ({code}): {message}")]
    Refused { code: String, message: String },
    /// Worth another attempt later.
    #[error("{message}")]
    Temporary { message: String, retry_after: Option<Duration> },
}

impl SendError {
    fn temporary(message: impl Into<String>) -> Self {
        Self::Temporary { message: message.into(), retry_after: None }
    }
}

pub enum SmsGateway {
    Console,
    Twilio(TwilioGateway),
    MessageBird(MessageBirdGateway),
}

impl SmsGateway {
    pub fn from_settings(settings: &GatewaySettings, public_url: &PublicUrl, timeout: Duration) -> Self {
        match settings {
            GatewaySettings::Console => Self::Console,
            GatewaySettings::Twilio(api) => {
                Self::Twilio(TwilioGateway::new(http_client(timeout), api, public_url.join(TWILIO_STATUS_PATH)))
            }
            GatewaySettings::MessageBird(api) => Self::MessageBird(MessageBirdGateway::new(
                http_client(timeout),
                api,
                public_url.join(MESSAGEBIRD_STATUS_PATH),
            )),
        }
    }

    pub async fn send(&self, sms: &OutgoingSms) -> Result<Accepted, SendError> {
        match self {
            Self::Console => Ok(console::send(sms)),
            Self::Twilio(gateway) => gateway.send(sms).await,
            Self::MessageBird(gateway) => gateway.send(sms).await,
        }
    }
}

/// reqwest is built without a default TLS crypto provider (ring builds much faster than aws-lc-rs), so
/// one must be installed before any client is built. Calling this more than once is harmless.
pub fn install_tls_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

fn http_client(timeout: Duration) -> reqwest::Client {
    install_tls_provider();
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(Duration::from_secs(5))
        .user_agent(concat!("smsdesk/", env!("CARGO_PKG_VERSION")))
        .build()
        .unwrap_or_else(|_| reqwest::Client::new())
}

/// `Retry-After` in seconds, as both gateways send it with 429.
fn retry_after(response: &reqwest::Response) -> Option<Duration> {
    let seconds: u64 = response.headers().get(reqwest::header::RETRY_AFTER)?.to_str().ok()?.trim().parse().ok()?;
    Some(Duration::from_secs(seconds.min(3600)))
}
