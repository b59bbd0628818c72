//! An inbound text: the rule that files it.

use diesel::result::Error as DieselError;

use super::events::{EventDetails, NewEvent};
use super::store::{AppendedText, NewMessage, Origin, Pair, TextToAppend, TicketStore, Transition};
use super::{join_or_open_ticket, text_activity};
use crate::app_settings::RuntimeSettings;
use crate::db::{StoreError, now};
use crate::domain::{
    EventKind, MediaUrl, MessageId, OptKeyword, PhoneNumber, Provider, SmsText, TicketId, TicketStatus,
};

/// A text a customer sent us, as a gateway reported it.
#[derive(Debug, Clone)]
pub struct InboundSms {
    pub provider: Provider,
    /// The gateway's id for this message; `None` only for gateways that send none (MessageBird Flows).
    pub provider_message_id: Option<String>,
    pub from: PhoneNumber,
    /// The number of ours the customer texted.
    pub to: PhoneNumber,
    pub body: SmsText,
    pub media_urls: Vec<MediaUrl>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IngestOutcome {
    /// The text joined the customer's unclosed ticket.
    Appended { ticket_id: TicketId, message_id: MessageId },
    /// The text opened a new ticket; `confirmation` is the queued automatic reply, if one was due.
    Opened { ticket_id: TicketId, message_id: MessageId, confirmation: Option<MessageId> },
    /// The gateway sent this message id before: nothing changed.
    Duplicate,
}

impl IngestOutcome {
    pub fn queued_outgoing(&self) -> bool {
        matches!(self, Self::Opened { confirmation: Some(_), .. })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// The gateway sent this message id before. Raised as an error so the transaction rolls back whatever
    /// the attempt wrote; callers treat it as success.
    #[error("message already stored")]
    Duplicate,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<DieselError> for IngestError {
    fn from(e: DieselError) -> Self {
        Self::Store(e.into())
    }
}

impl crate::db::WriteError for IngestError {
    fn is_transient(&self) -> bool {
        matches!(self, Self::Store(e) if e.is_transient())
    }
}

/// The common case of [`ingest_inbound_sms`] on its own: a text without a keyword joins its pair's unclosed
/// ticket, if it has one. `None` for a keyword (STOP, START…): only [`ingest_inbound_sms`] files those. The
/// caller stores it ([`crate::db::Database::append_text_or`]); when the pair has no unclosed ticket,
/// [`ingest_inbound_sms`] files the text.
pub fn text_to_append(sms: &InboundSms) -> Option<TextToAppend> {
    if OptKeyword::detect(sms.body.as_str()).is_some() {
        return None;
    }
    let text = inbound_text(sms);
    Some(TextToAppend {
        customer: sms.from.as_str().to_owned(),
        channel: sms.to.as_str().to_owned(),
        body: sms.body.as_str().to_owned(),
        provider: sms.provider.as_str(),
        provider_message_id: sms.provider_message_id.clone(),
        media_urls: text.media_urls,
        transition: CUSTOMER_TEXT_REOPENS,
    })
}

/// What a text that joined its ticket means: stored, or (its gateway id known) a duplicate.
pub fn appended_outcome(appended: AppendedText) -> Result<IngestOutcome, IngestError> {
    let message_id = appended.message_id.ok_or(IngestError::Duplicate)?;
    Ok(IngestOutcome::Appended { ticket_id: appended.ticket_id, message_id })
}

/// The text as a message of its ticket (whose id the caller fills in).
fn inbound_text(sms: &InboundSms) -> NewMessage<'_> {
    let media_urls = (!sms.media_urls.is_empty())
        .then(|| serde_json::Value::from(sms.media_urls.iter().map(MediaUrl::as_str).collect::<Vec<_>>()).to_string());
    NewMessage {
        ticket_id: TicketId(0),
        origin: Origin::Customer,
        internal: false,
        body: sms.body.as_str(),
        provider: Some(sms.provider.as_str()),
        provider_message_id: sms.provider_message_id.as_deref(),
        media_urls,
    }
}

/// Puts an opt-out or opt-in on the timeline of the ticket the keyword was filed in.
fn record_keyword(
    store: &mut impl TicketStore,
    keyword: Option<OptKeyword>,
    ticket_id: TicketId,
    pair: Pair<'_>,
) -> Result<(), DieselError> {
    let kind = match keyword {
        Some(OptKeyword::OptOut) => EventKind::OptedOut,
        Some(OptKeyword::OptIn) => EventKind::OptedIn,
        None => return Ok(()),
    };
    let details = EventDetails { channel_number: Some(pair.channel.to_owned()), ..EventDetails::default() };
    store.record_event(&NewEvent::new(ticket_id, kind, None, now()).with(details))
}

/// A customer's text puts a pending ticket (waiting on them) back in the queue.
const CUSTOMER_TEXT_REOPENS: Transition = Transition { from: TicketStatus::Pending, to: TicketStatus::Open };

/// Files an inbound text: joins the pair's unclosed ticket or opens a new one and queues the confirmation,
/// and records STOP/START keywords. A message id seen before yields `Err(Duplicate)`, which rolls back
/// everything it did. Runs inside the caller's transaction.
pub fn ingest_inbound_sms(
    store: &mut impl TicketStore,
    sms: &InboundSms,
    settings: &RuntimeSettings,
) -> Result<IngestOutcome, IngestError> {
    let pair = Pair { customer: sms.from.as_str(), channel: sms.to.as_str() };
    let keyword = OptKeyword::detect(sms.body.as_str());
    match keyword {
        Some(OptKeyword::OptOut) => store.record_opt_out(pair, now())?,
        Some(OptKeyword::OptIn) => store.remove_opt_out(pair)?,
        None => {}
    }
    let mut text = inbound_text(sms);
    // Most texts join their pair's unclosed ticket.
    if let Some(appended) = store.append_text(pair, &text, CUSTOMER_TEXT_REOPENS)? {
        let message_id = appended.message_id.ok_or(IngestError::Duplicate)?;
        record_keyword(store, keyword, appended.ticket_id, pair)?;
        return Ok(IngestOutcome::Appended { ticket_id: appended.ticket_id, message_id });
    }
    let (ticket_id, opened, status) = join_or_open_ticket(store, pair)?;
    text.ticket_id = ticket_id;
    let message_id = store.insert_message(&text)?.ok_or(IngestError::Duplicate)?;
    if opened {
        super::routing::route_new_ticket(store, ticket_id, pair)?;
    }
    // Never answer STOP, and never text a number that has opted out of this number of ours.
    let confirm = opened && keyword != Some(OptKeyword::OptOut) && !store.is_opted_out(pair)?;
    let confirmation = if confirm {
        // Looked up only for a new ticket, and only when the template greets by name.
        let contact_name = if settings.confirmation_template.mentions_contact_name() {
            store.contact_name(pair.customer)?
        } else {
            None
        };
        let body = settings.confirmation(ticket_id, contact_name.as_deref());
        let automatic = NewMessage {
            ticket_id,
            origin: Origin::Automatic,
            internal: false,
            body: &body,
            provider: None,
            provider_message_id: None,
            media_urls: None,
        };
        Some(store.insert_message(&automatic)?.ok_or(DieselError::NotFound)?)
    } else {
        None
    };
    // One update of the ticket for both messages; the customer's text is what the list shows.
    let mut activity = text_activity(&text, message_id, 1 + i32::from(confirmation.is_some()));
    activity.status = (status == CUSTOMER_TEXT_REOPENS.from).then_some(CUSTOMER_TEXT_REOPENS.to);
    store.record_activity(&activity)?;
    record_keyword(store, keyword, ticket_id, pair)?;
    Ok(if opened {
        IngestOutcome::Opened { ticket_id, message_id, confirmation }
    } else {
        IngestOutcome::Appended { ticket_id, message_id }
    })
}
