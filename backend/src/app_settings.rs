//! Settings admins change at run time (`GET/PUT /api/settings`). Each starts at the configured default
//! (environment) and is stored as an override once an admin sets it. Every server process keeps the effective
//! values in memory and reloads them every few seconds, so the webhook path never waits on them and replicas
//! agree within [`REFRESH_INTERVAL`].

use std::sync::{Arc, RwLock};
use std::time::Duration;

use diesel::prelude::*;
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;

use crate::config::Settings;
use crate::db::schema::settings;
use crate::db::{AnyConnection, Database, StoreError, now};
use crate::domain::{
    AutoReplyTemplate, BusinessHours, BusinessHoursError, BusinessHoursInput, BusinessHoursView, ConfirmationTemplate,
    HELP_PLACEHOLDERS, OUT_OF_OFFICE_PLACEHOLDERS, PhoneNumber, TemplateError, TicketId, Values,
};
use crate::on_backend;

pub const REFRESH_INTERVAL: Duration = Duration::from_secs(2);
const DEFAULT_AUTO_CLOSE_HOURS: u32 = 7 * 24;
const MAX_AUTO_CLOSE_HOURS: u32 = 365 * 24;
const MAX_SENDER_NUMBERS: usize = 50;
/// CTIA expects the answer to HELP to name the business and say how to opt out.
pub const DEFAULT_HELP_REPLY: &str = "{business_name}: we answer texts here. Reply STOP to opt out.";
pub const DEFAULT_OUT_OF_OFFICE: &str = "Thanks for texting {business_name}. We are closed now and will answer from \
     {next_open|our next opening hours}. Your ticket number is {ticket_id}.";

/// The settings in effect, as the API shows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct AppSettings {
    /// Shown to customers through `{business_name}` in the confirmation.
    pub business_name: String,
    /// The automatic reply to a new ticket, as written. Must contain `{ticket_id}`; may contain
    /// `{contact_name}` (or `{contact_name|there}`, with a fallback for a contact without a name) and
    /// `{business_name}`. `{{` and `}}` are literal braces. At most 1600 characters once filled in, with every value
    /// as long as it may be (19-digit ticket id, 100-character names).
    pub confirmation_template: String,
    /// Tickets without activity for this many hours are closed; `null` never closes them.
    pub auto_close_after_hours: Option<u32>,
    /// Our number that conversations started by agents go out from, unless a request names another.
    #[schema(example = "+14155550100")]
    pub default_sender_number: Option<String>,
    /// More numbers of ours agents may send from, besides the configured ones (`TWILIO_PHONE_NUMBER`,
    /// `MESSAGEBIRD_ORIGINATOR`), the default sender and the numbers customers have texted us on.
    #[schema(example = json!(["+14155550199"]))]
    pub sender_numbers: Vec<String>,
    /// Whether `X-Twilio-Signature` is checked on Twilio's webhooks.
    pub twilio_verify_signatures: bool,
    /// Whether `MessageBird-Signature-JWT` is checked on MessageBird's webhooks.
    pub messagebird_verify_signatures: bool,
    /// Whether admins may send fake inbound texts from the dashboard's simulator.
    pub sms_simulator_enabled: bool,
    /// The answer to HELP or INFO (instead of the confirmation, also for a first text; never to a number that
    /// opted out). May contain `{business_name}` and `{contact_name}` (`{contact_name|there}`).
    ///
    /// Keywords are a whole text in any case. Help: `HELP`, `INFO`. Opt-out (never answered; a first one is
    /// kept in a ticket opened already closed): `STOP`, `STOPALL`, `UNSUBSCRIBE`, `CANCEL`, `END`, `QUIT`,
    /// `REVOKE`, `OPTOUT`. Opt-in: `START`, `UNSTOP`, `YES`.
    pub help_reply_template: String,
    /// When the team answers texts; `null` (the default) is always open. Outside them a new ticket is answered
    /// with `out_of_office_template` instead of the confirmation.
    pub business_hours: Option<BusinessHoursView>,
    /// The reply outside business hours: to a new ticket instead of the confirmation, and at most once per
    /// closed period to a ticket the customer texts again. May contain `{next_open}` ("Monday 09:00", in the
    /// team's time zone; `{next_open|soon}` when it never opens), `{ticket_id}`, `{business_name}` and
    /// `{contact_name}`.
    pub out_of_office_template: String,
    /// Whether agents may create a tag by putting a new name on a ticket (admins always may).
    pub agents_can_create_tags: bool,
}

/// The same, parsed: what the server works with.
#[derive(Debug, Clone)]
pub struct RuntimeSettings {
    pub business_name: String,
    pub confirmation_template: ConfirmationTemplate,
    pub auto_close_after: Option<Duration>,
    pub default_sender: Option<PhoneNumber>,
    /// Our numbers in the environment (`TWILIO_PHONE_NUMBER`, `MESSAGEBIRD_ORIGINATOR`); not a setting.
    pub configured_numbers: Vec<PhoneNumber>,
    pub sender_numbers: Vec<PhoneNumber>,
    pub twilio_verify_signatures: bool,
    pub messagebird_verify_signatures: bool,
    pub sms_simulator_enabled: bool,
    pub help_reply_template: AutoReplyTemplate,
    /// `None`: always open.
    pub business_hours: Option<BusinessHours>,
    pub out_of_office_template: AutoReplyTemplate,
    pub agents_can_create_tags: bool,
}

impl RuntimeSettings {
    /// Every number of ours the configuration and the settings name: the default sender first, then the
    /// configured ones, then the admins' list, each once.
    pub fn listed_numbers(&self) -> Vec<&PhoneNumber> {
        let mut listed: Vec<&PhoneNumber> = Vec::new();
        for number in self.default_sender.iter().chain(&self.configured_numbers).chain(&self.sender_numbers) {
            if !listed.contains(&number) {
                listed.push(number);
            }
        }
        listed
    }

    /// The confirmation text for a new ticket to a contact with this name (if any).
    pub fn confirmation(&self, ticket_id: crate::domain::TicketId, contact_name: Option<&str>) -> String {
        self.confirmation_template.render(ticket_id, contact_name, &self.business_name)
    }

    /// The answer to HELP, to a contact with this name (if any).
    pub fn help_reply(&self, contact_name: Option<&str>) -> String {
        let values =
            Values { ticket_id: TicketId(0), contact_name, business_name: &self.business_name, agent_name: None };
        self.help_reply_template.render(&values, None)
    }

    /// The out-of-office reply for a ticket; `next_open` as [`BusinessHours::describe`] puts it.
    pub fn out_of_office(&self, ticket_id: TicketId, contact_name: Option<&str>, next_open: Option<&str>) -> String {
        let values = Values { ticket_id, contact_name, business_name: &self.business_name, agent_name: None };
        self.out_of_office_template.render(&values, next_open)
    }

    pub fn view(&self) -> AppSettings {
        AppSettings {
            business_name: self.business_name.clone(),
            confirmation_template: self.confirmation_template.as_str().to_owned(),
            auto_close_after_hours: self.auto_close_after.map(|d| (d.as_secs() / 3600) as u32),
            default_sender_number: self.default_sender.as_ref().map(|p| p.to_string()),
            sender_numbers: self.sender_numbers.iter().map(ToString::to_string).collect(),
            twilio_verify_signatures: self.twilio_verify_signatures,
            messagebird_verify_signatures: self.messagebird_verify_signatures,
            sms_simulator_enabled: self.sms_simulator_enabled,
            help_reply_template: self.help_reply_template.as_str().to_owned(),
            business_hours: self.business_hours.as_ref().map(BusinessHours::view),
            out_of_office_template: self.out_of_office_template.as_str().to_owned(),
            agents_can_create_tags: self.agents_can_create_tags,
        }
    }
}

/// A change an admin asks for: absent fields stay as they are; `null` turns auto-close off or clears the
/// default sender.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SettingsUpdate {
    #[schema(min_length = 1, max_length = 100)]
    pub business_name: Option<String>,
    /// Must contain `{ticket_id}`; may contain `{contact_name}`, `{contact_name|fallback}` and
    /// `{business_name}`; `{{` and `}}` are literal braces. Anything else in braces is refused with 422
    /// `unknown_placeholder` (`{agent_name}`: `placeholder_not_allowed`; a `{` never closed:
    /// `unclosed_brace`), with `field` set to `confirmation_template`.
    pub confirmation_template: Option<String>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<u32>, minimum = 1, maximum = 8760)]
    pub auto_close_after_hours: Option<Option<u32>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub default_sender_number: Option<Option<String>>,
    /// Replaces the whole list; `[]` empties it.
    #[schema(max_items = 50)]
    pub sender_numbers: Option<Vec<String>>,
    pub twilio_verify_signatures: Option<bool>,
    pub messagebird_verify_signatures: Option<bool>,
    pub sms_simulator_enabled: Option<bool>,
    /// May contain `{business_name}` and `{contact_name}`; refused like `confirmation_template` (422
    /// `unknown_placeholder`, `placeholder_not_allowed`, `unclosed_brace`, `invalid_template`), with `field`
    /// set to `help_reply_template`.
    pub help_reply_template: Option<String>,
    /// `null` is always open. Refused with 422 and `field` `business_hours`: `invalid_timezone` (not a tz
    /// database name), `invalid_day` (not `mon`…`sun`), `invalid_time` (not `HH:MM` from 00:00 to 24:00),
    /// `invalid_range` (not two times, or not ending after it starts), `overlapping_ranges`,
    /// `invalid_holiday` (not `YYYY-MM-DD`), `too_many_entries` (over 12 ranges a day or 400 holidays).
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<BusinessHoursInput>)]
    pub business_hours: Option<Option<BusinessHoursInput>>,
    /// May contain `{next_open}` (`{next_open|fallback}`), `{ticket_id}`, `{business_name}` and
    /// `{contact_name}`; refused like `help_reply_template`, with `field` set to `out_of_office_template`.
    pub out_of_office_template: Option<String>,
    pub agents_can_create_tags: Option<bool>,
}

/// Tells "field absent" (outer `None`, via `#[serde(default)]`) from "field is null" (`Some(None)`).
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("{field}: {problem}")]
    Invalid { field: &'static str, problem: String },
    /// A template with placeholders it may not have; the message names them.
    #[error("{error}")]
    Template { field: &'static str, error: TemplateError },
    #[error("{0}")]
    BusinessHours(#[from] BusinessHoursError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<diesel::result::Error> for SettingsError {
    fn from(e: diesel::result::Error) -> Self {
        Self::Store(e.into())
    }
}

fn invalid(field: &'static str, problem: impl Into<String>) -> SettingsError {
    SettingsError::Invalid { field, problem: problem.into() }
}

/// Checks an update and turns it into stored overrides (key, JSON value).
fn overrides(update: &SettingsUpdate) -> Result<Vec<(&'static str, serde_json::Value)>, SettingsError> {
    use serde_json::json;
    let mut out = Vec::new();
    if let Some(name) = &update.business_name {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(invalid("business_name", "must be 1 to 100 characters"));
        }
        out.push(("business_name", json!(name)));
    }
    if let Some(template) = &update.confirmation_template {
        ConfirmationTemplate::parse(template).map_err(|error| match error {
            TemplateError::UnknownPlaceholder { .. }
            | TemplateError::NotAllowed { .. }
            | TemplateError::Unclosed { .. } => SettingsError::Template { field: "confirmation_template", error },
            other => invalid("confirmation_template", other.to_string()),
        })?;
        out.push(("confirmation_template", json!(template)));
    }
    for (field, template, allowed) in [
        ("help_reply_template", &update.help_reply_template, HELP_PLACEHOLDERS),
        ("out_of_office_template", &update.out_of_office_template, OUT_OF_OFFICE_PLACEHOLDERS),
    ] {
        if let Some(template) = template {
            AutoReplyTemplate::parse(template, allowed).map_err(|error| match error {
                TemplateError::UnknownPlaceholder { .. }
                | TemplateError::NotAllowed { .. }
                | TemplateError::Unclosed { .. } => SettingsError::Template { field, error },
                other => invalid(field, other.to_string()),
            })?;
            out.push((field, json!(template)));
        }
    }
    if let Some(hours) = &update.business_hours {
        // Stored as parsed (every day, sorted), so what GET shows is what the rules use.
        let parsed = hours.as_ref().map(BusinessHours::parse).transpose()?;
        out.push(("business_hours", json!(parsed.map(|h| h.view()))));
    }
    if let Some(hours) = update.auto_close_after_hours {
        if hours.is_some_and(|h| !(1..=MAX_AUTO_CLOSE_HOURS).contains(&h)) {
            return Err(invalid("auto_close_after_hours", format!("must be 1 to {MAX_AUTO_CLOSE_HOURS}, or null")));
        }
        out.push(("auto_close_after_hours", json!(hours)));
    }
    if let Some(sender) = &update.default_sender_number {
        let sender = sender
            .as_deref()
            .map(|raw| PhoneNumber::parse(raw).map_err(|e| invalid("default_sender_number", e.to_string())))
            .transpose()?;
        out.push(("default_sender_number", json!(sender.map(|p| p.to_string()))));
    }
    if let Some(numbers) = &update.sender_numbers {
        if numbers.len() > MAX_SENDER_NUMBERS {
            return Err(invalid("sender_numbers", format!("at most {MAX_SENDER_NUMBERS} numbers")));
        }
        let mut parsed: Vec<String> = Vec::new();
        for raw in numbers {
            let number = PhoneNumber::parse(raw)
                .map_err(|e| invalid("sender_numbers", format!("{raw:?} is not a number we can send from: {e}")))?
                .to_string();
            if !parsed.contains(&number) {
                parsed.push(number);
            }
        }
        out.push(("sender_numbers", json!(parsed)));
    }
    for (key, value) in [
        ("twilio_verify_signatures", update.twilio_verify_signatures),
        ("messagebird_verify_signatures", update.messagebird_verify_signatures),
        ("sms_simulator_enabled", update.sms_simulator_enabled),
        ("agents_can_create_tags", update.agents_can_create_tags),
    ] {
        if let Some(value) = value {
            out.push((key, json!(value)));
        }
    }
    Ok(out)
}

/// Stores an admin's changes (all or none).
pub fn save_settings(conn: &mut AnyConnection, update: &SettingsUpdate) -> Result<(), SettingsError> {
    let now = now();
    for (key, value) in overrides(update)? {
        let value = value.to_string();
        let row = (settings::key.eq(key), settings::value.eq(&value), settings::updated_at.eq(now));
        on_backend!(conn, |c| diesel::insert_into(settings::table)
            .values(row)
            .on_conflict(settings::key)
            .do_update()
            .set((settings::value.eq(&value), settings::updated_at.eq(now)))
            .execute(c))?;
    }
    Ok(())
}

/// The configured defaults, from the environment.
#[derive(Debug, Clone)]
struct Defaults(RuntimeSettings);

impl Defaults {
    fn from_config(config: &Settings) -> Self {
        let configured_numbers: Vec<PhoneNumber> =
            [&config.twilio_webhook.phone_number, &config.messagebird_webhook.originator]
                .into_iter()
                .flatten()
                .cloned()
                .collect();
        Self(RuntimeSettings {
            business_name: "Customer support".to_owned(),
            confirmation_template: config.confirmation_template.clone(),
            auto_close_after: Some(Duration::from_secs(u64::from(DEFAULT_AUTO_CLOSE_HOURS) * 3600)),
            default_sender: config
                .twilio_webhook
                .phone_number
                .clone()
                .or_else(|| config.messagebird_webhook.originator.clone()),
            configured_numbers,
            sender_numbers: Vec::new(),
            twilio_verify_signatures: config.twilio_webhook.verify_signatures,
            messagebird_verify_signatures: config.messagebird_webhook.verify_signatures,
            sms_simulator_enabled: false,
            help_reply_template: default_template(DEFAULT_HELP_REPLY, HELP_PLACEHOLDERS),
            business_hours: None,
            out_of_office_template: default_template(DEFAULT_OUT_OF_OFFICE, OUT_OF_OFFICE_PLACEHOLDERS),
            agents_can_create_tags: false,
        })
    }

    /// Applies the stored overrides; a stored value that no longer parses is ignored (and logged). A stored
    /// confirmation template is read as written before placeholders were checked: what is not a placeholder
    /// it may use stays literal text, as it always rendered, and `GET /api/settings` shows it until an
    /// admin changes it.
    fn with_overrides(&self, stored: Vec<(String, String)>) -> RuntimeSettings {
        let mut settings = self.0.clone();
        for (key, raw) in stored {
            let Ok(value) = serde_json::from_str::<serde_json::Value>(&raw) else {
                tracing::warn!(key, "ignoring an unreadable stored setting");
                continue;
            };
            let applied = match key.as_str() {
                "business_name" => set(&mut settings.business_name, value.as_str().map(str::to_owned)),
                "confirmation_template" => set(
                    &mut settings.confirmation_template,
                    value.as_str().and_then(|v| ConfirmationTemplate::parse_stored(v).ok()),
                ),
                "auto_close_after_hours" => set(
                    &mut settings.auto_close_after,
                    match value {
                        serde_json::Value::Null => Some(None),
                        v => v.as_u64().map(|h| Some(Duration::from_secs(h * 3600))),
                    },
                ),
                "default_sender_number" => set(
                    &mut settings.default_sender,
                    match value {
                        serde_json::Value::Null => Some(None),
                        v => v.as_str().and_then(|s| PhoneNumber::parse(s).ok()).map(Some),
                    },
                ),
                "sender_numbers" => set(
                    &mut settings.sender_numbers,
                    value.as_array().and_then(|numbers| {
                        numbers.iter().map(|n| n.as_str().and_then(|s| PhoneNumber::parse(s).ok())).collect()
                    }),
                ),
                "twilio_verify_signatures" => set(&mut settings.twilio_verify_signatures, value.as_bool()),
                "messagebird_verify_signatures" => set(&mut settings.messagebird_verify_signatures, value.as_bool()),
                "sms_simulator_enabled" => set(&mut settings.sms_simulator_enabled, value.as_bool()),
                "help_reply_template" => set(
                    &mut settings.help_reply_template,
                    value.as_str().and_then(|v| AutoReplyTemplate::parse_stored(v, HELP_PLACEHOLDERS).ok()),
                ),
                "out_of_office_template" => set(
                    &mut settings.out_of_office_template,
                    value.as_str().and_then(|v| AutoReplyTemplate::parse_stored(v, OUT_OF_OFFICE_PLACEHOLDERS).ok()),
                ),
                "business_hours" => set(
                    &mut settings.business_hours,
                    match value {
                        serde_json::Value::Null => Some(None),
                        v => serde_json::from_value::<BusinessHoursInput>(v)
                            .ok()
                            .and_then(|input| BusinessHours::parse(&input).ok())
                            .map(Some),
                    },
                ),
                "agents_can_create_tags" => set(&mut settings.agents_can_create_tags, value.as_bool()),
                // A setting from a newer version: leave it alone.
                _ => true,
            };
            if !applied {
                tracing::warn!(key, "ignoring a stored setting of the wrong type");
            }
        }
        settings
    }
}

/// A built-in template: a constant of ours, not input, that every test run parses.
fn default_template(raw: &str, allowed: &'static [crate::domain::Placeholder]) -> AutoReplyTemplate {
    #[allow(clippy::expect_used)]
    AutoReplyTemplate::parse(raw, allowed).expect("the built-in templates parse")
}

/// Stores `value` in `slot` if it parsed; says whether it did.
fn set<T>(slot: &mut T, value: Option<T>) -> bool {
    match value {
        Some(value) => {
            *slot = value;
            true
        }
        None => false,
    }
}

/// The effective settings of this process.
#[derive(Clone)]
pub struct SettingsCache {
    defaults: Arc<Defaults>,
    current: Arc<RwLock<Arc<RuntimeSettings>>>,
}

impl SettingsCache {
    pub fn new(config: &Settings) -> Self {
        let defaults = Defaults::from_config(config);
        let current = Arc::new(RwLock::new(Arc::new(defaults.0.clone())));
        Self { defaults: Arc::new(defaults), current }
    }

    pub fn get(&self) -> Arc<RuntimeSettings> {
        match self.current.read() {
            Ok(current) => current.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Reloads the stored overrides.
    pub async fn refresh(&self, db: &Database) -> Result<Arc<RuntimeSettings>, StoreError> {
        let stored: Vec<(String, String)> = db
            .read(|conn| settings::table.select((settings::key, settings::value)).load(conn).map_err(StoreError::from))
            .await?;
        let fresh = Arc::new(self.defaults.with_overrides(stored));
        match self.current.write() {
            Ok(mut current) => *current = fresh.clone(),
            Err(poisoned) => *poisoned.into_inner() = fresh.clone(),
        }
        Ok(fresh)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn defaults() -> Defaults {
        Defaults::from_config(&Settings::from_lookup(|_| None).unwrap())
    }

    #[test]
    fn stored_overrides_replace_defaults_and_bad_ones_are_ignored() {
        let applied = defaults().with_overrides(vec![
            ("auto_close_after_hours".into(), "null".into()),
            ("business_name".into(), r#""Acme""#.into()),
            ("twilio_verify_signatures".into(), r#""no""#.into()),
            ("confirmation_template".into(), r#""no placeholder""#.into()),
        ]);
        assert_eq!(applied.auto_close_after, None);
        assert_eq!(applied.business_name, "Acme");
        assert!(applied.twilio_verify_signatures, "a malformed stored value keeps the default");
        assert!(applied.confirmation_template.as_str().contains("{ticket_id}"));
    }

    #[test]
    fn updates_are_checked_before_anything_is_stored() {
        let bad = SettingsUpdate { auto_close_after_hours: Some(Some(0)), ..Default::default() };
        assert!(matches!(overrides(&bad), Err(SettingsError::Invalid { field: "auto_close_after_hours", .. })));
        let bad = SettingsUpdate { confirmation_template: Some("Thanks".into()), ..Default::default() };
        assert!(overrides(&bad).is_err());
        let off = SettingsUpdate { auto_close_after_hours: Some(None), ..Default::default() };
        assert_eq!(overrides(&off).unwrap(), vec![("auto_close_after_hours", serde_json::Value::Null)]);
    }

    #[test]
    fn a_stored_template_that_the_rules_now_refuse_keeps_rendering_as_written_until_changed() {
        let stored = "Hi {name}, ticket {ticket_id}";
        let applied =
            defaults().with_overrides(vec![("confirmation_template".into(), serde_json::json!(stored).to_string())]);
        assert_eq!(applied.view().confirmation_template, stored);
        assert_eq!(applied.confirmation(crate::domain::TicketId(11), Some("Ana")), "Hi {name}, ticket 11");
        let resaved = SettingsUpdate { confirmation_template: Some(stored.into()), ..Default::default() };
        assert!(matches!(
            overrides(&resaved),
            Err(SettingsError::Template {
                field: "confirmation_template",
                error: TemplateError::UnknownPlaceholder { .. }
            })
        ));
    }

    #[test]
    fn business_hours_and_auto_replies_are_checked_stored_as_parsed_and_read_back() {
        let applied = defaults().0;
        assert_eq!(applied.business_hours, None, "always open by default");
        assert_eq!(applied.help_reply(None), "Customer support: we answer texts here. Reply STOP to opt out.");
        let update: SettingsUpdate = serde_json::from_value(serde_json::json!({
            "business_hours": {"timezone": "Europe/Amsterdam", "weekly": {"tue": [["13:00", "17:00"], ["09:00", "12:00"]]}},
            "out_of_office_template": "Back {next_open|soon}",
        }))
        .unwrap();
        let stored: Vec<(String, String)> =
            overrides(&update).unwrap().into_iter().map(|(k, v)| (k.to_owned(), v.to_string())).collect();
        let applied = defaults().with_overrides(stored);
        let view = applied.view();
        assert_eq!(view.business_hours.unwrap().weekly.tue, [["09:00", "12:00"], ["13:00", "17:00"]]);
        assert_eq!(applied.out_of_office(TicketId(3), None, Some("Tuesday 09:00")), "Back Tuesday 09:00");
        let bad = SettingsUpdate { help_reply_template: Some("{ticket_id}".into()), ..Default::default() };
        assert!(matches!(overrides(&bad), Err(SettingsError::Template { field: "help_reply_template", .. })));
        let off: SettingsUpdate = serde_json::from_str(r#"{"business_hours": null}"#).unwrap();
        assert_eq!(overrides(&off).unwrap(), vec![("business_hours", serde_json::Value::Null)]);
    }

    #[test]
    fn absent_and_null_fields_differ() {
        let absent: SettingsUpdate = serde_json::from_str("{}").unwrap();
        assert_eq!(absent.auto_close_after_hours, None);
        let null: SettingsUpdate = serde_json::from_str(r#"{"auto_close_after_hours": null}"#).unwrap();
        assert_eq!(null.auto_close_after_hours, Some(None));
        assert!(serde_json::from_str::<SettingsUpdate>(r#"{"colour": "blue"}"#).is_err());
    }
}
