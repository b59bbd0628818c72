//! What every handler can reach. A module of its own so that handlers (`api`, `webhooks`) and the code that
//! builds the server (`startup`) depend on it, not on each other.

use crate::accounts::PasswordWork;
use crate::app_settings::SettingsCache;
use crate::config::{PublicUrl, TrustedProxies};
use crate::db::Database;
use crate::delivery::OutboxSignal;
use crate::domain::PhoneNumber;
use crate::metrics::Metrics;
use crate::numbers::KnownTextedNumbers;
use crate::tickets::TeamCountsCache;
use crate::webhooks::messagebird_signature::MessageBirdSignature;
use crate::webhooks::twilio_signature::TwilioSignature;

pub struct AppState {
    pub db: Database,
    pub public_url: PublicUrl,
    /// Checks `X-Twilio-Signature`; `None` without `TWILIO_AUTH_TOKEN`.
    pub twilio_signature: Option<TwilioSignature>,
    /// Checks `MessageBird-Signature-JWT`; `None` without `MESSAGEBIRD_SIGNING_KEY`.
    pub messagebird_signature: Option<MessageBirdSignature>,
    pub messagebird_originator: Option<PhoneNumber>,
    pub settings: SettingsCache,
    pub outbox: OutboxSignal,
    /// The queue counts every agent shares (see [`TeamCountsCache`]).
    pub team_counts: TeamCountsCache,
    /// Password checks and hashes, at most one per core at a time.
    pub passwords: PasswordWork,
    /// Whose `X-Forwarded-For` is believed (see [`crate::api::ClientAddress`]).
    pub trusted_proxies: TrustedProxies,
    pub texted_numbers: KnownTextedNumbers,
    /// Counters for what the handlers decide (webhook outcomes, delivery reports).
    pub metrics: Metrics,
}
