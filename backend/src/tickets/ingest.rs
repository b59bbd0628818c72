//! An inbound text: the rule that files it.

use diesel::result::Error as DieselError;

use super::events::{EventDetails, NewEvent};
use super::store::{
    AppendedText, Closer, NewMessage, OpenedBy, Origin, Pair, TextToAppend, TicketEdit, TicketStore, Transition,
};
use super::{add_message, join_or_open_ticket, text_activity};
use crate::app_settings::RuntimeSettings;
use crate::db::{StoreError, now};
use crate::domain::{
    EventKind, MediaUrl, MessageId, Opening, OptKeyword, PhoneNumber, Provider, SmsText, TicketId, TicketStatus,
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
    /// The text joined the customer's unclosed ticket; `auto_reply` is the queued answer to HELP or
    /// out-of-office reply, if one was due.
    Appended { ticket_id: TicketId, message_id: MessageId, auto_reply: Option<MessageId> },
    /// The text opened a new ticket; `confirmation` is the queued automatic reply (the confirmation, the
    /// answer to HELP or the out-of-office reply), if one was due. A first STOP opens its ticket closed.
    Opened { ticket_id: TicketId, message_id: MessageId, confirmation: Option<MessageId> },
    /// The gateway sent this message id before: nothing changed.
    Duplicate,
}

impl IngestOutcome {
    pub fn queued_outgoing(&self) -> bool {
        matches!(self, Self::Opened { confirmation: Some(_), .. } | Self::Appended { auto_reply: Some(_), .. })
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
/// ticket, if it has one. `None` for a keyword (STOP, START, HELP…), and outside business hours (when a text
/// may be due an out-of-office reply): only [`ingest_inbound_sms`] files those. The caller stores it
/// ([`crate::db::Database::append_text_or`]); when the pair has no unclosed ticket, [`ingest_inbound_sms`]
/// files the text.
pub fn text_to_append(sms: &InboundSms, settings: &RuntimeSettings) -> Option<TextToAppend> {
    if OptKeyword::detect(sms.body.as_str()).is_some() {
        return None;
    }
    // Only while closed: during business hours (or without any) the common case stays one statement.
    if settings.business_hours.as_ref().is_some_and(|hours| !hours.is_open(now().and_utc())) {
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
    Ok(IngestOutcome::Appended { ticket_id: appended.ticket_id, message_id, auto_reply: None })
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
        Some(OptKeyword::Help) | None => return Ok(()),
    };
    let details = EventDetails { channel_number: Some(pair.channel.to_owned()), ..EventDetails::default() };
    store.record_event(&NewEvent::new(ticket_id, kind, None, now()).with(details))
}

/// A customer's text puts a pending ticket (waiting on them) back in the queue.
const CUSTOMER_TEXT_REOPENS: Transition = Transition { from: TicketStatus::Pending, to: TicketStatus::Open };

/// An automatic answer a text is due, before anything is looked up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Due {
    Confirmation,
    Help,
    OutOfOffice { since: Option<chrono::DateTime<chrono::Utc>>, until: Option<chrono::DateTime<chrono::Utc>> },
}

/// What answers a text: HELP always gets the help reply (never the confirmation); a new ticket gets the
/// confirmation, or outside business hours the out-of-office reply; a text to an existing ticket gets the
/// out-of-office reply outside business hours (once per closed period, see [`automatic_reply`]). STOP gets
/// nothing, ever (CTIA; the gateways refuse it anyway), and START on an existing ticket nothing, as before.
fn due(keyword: Option<OptKeyword>, opened: bool, opening: Option<Opening>) -> Option<Due> {
    match (keyword, opening) {
        (Some(OptKeyword::OptOut), _) => None,
        (Some(OptKeyword::Help), _) => Some(Due::Help),
        (Some(OptKeyword::OptIn), _) if !opened => None,
        (_, Some(Opening::Closed { since, until })) => Some(Due::OutOfOffice { since, until }),
        _ => opened.then_some(Due::Confirmation),
    }
}

/// The text of the automatic reply due to this text in `ticket_id`, if one is to be sent.
fn automatic_reply(
    store: &mut impl TicketStore,
    settings: &RuntimeSettings,
    due: Option<Due>,
    ticket_id: TicketId,
    pair: Pair<'_>,
) -> Result<Option<String>, DieselError> {
    let Some(due) = due else { return Ok(None) };
    // Never text a number that opted out of this number of ours: our outbox refuses it and Twilio fails it
    // with 21610. That holds for HELP too, although CTIA wants HELP answered: after STOP the carrier's (or
    // the gateway's) opt-out handling answers HELP itself, and our reply could only fail. A customer who
    // texts START can ask again.
    if store.is_opted_out(pair)? {
        return Ok(None);
    }
    let at = now();
    if let Due::OutOfOffice { since, .. } = due
        && !store.claim_out_of_office(ticket_id, at, since.map(|t| t.naive_utc()))?
    {
        return Ok(None);
    }
    // Looked up only when a reply is due, and only when its template greets by name.
    let greets = match due {
        Due::Confirmation => settings.confirmation_template.mentions_contact_name(),
        Due::Help => settings.help_reply_template.mentions_contact_name(),
        Due::OutOfOffice { .. } => settings.out_of_office_template.mentions_contact_name(),
    };
    let contact_name = if greets { store.contact_name(pair.customer)? } else { None };
    let contact_name = contact_name.as_deref();
    Ok(Some(match due {
        Due::Confirmation => settings.confirmation(ticket_id, contact_name),
        Due::Help => settings.help_reply(contact_name),
        Due::OutOfOffice { until, .. } => {
            let next_open =
                until.zip(settings.business_hours.as_ref()).map(|(until, hours)| hours.describe(until, at.and_utc()));
            settings.out_of_office(ticket_id, contact_name, next_open.as_deref())
        }
    }))
}

fn automatic_message(ticket_id: TicketId, body: &str) -> NewMessage<'_> {
    NewMessage {
        ticket_id,
        origin: Origin::Automatic,
        internal: false,
        body,
        provider: None,
        provider_message_id: None,
        media_urls: None,
    }
}

/// Files an inbound text: joins the pair's unclosed ticket or opens a new one, answers it automatically when
/// due (see [`due`]), and records STOP/START keywords. A first STOP opens its ticket already closed: the text
/// is kept and the opt-out is on the timeline, but nothing waits in the queue. A message id seen before
/// yields `Err(Duplicate)`, which rolls back everything it did. Runs inside the caller's transaction.
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
        Some(OptKeyword::Help) | None => {}
    }
    let opening = settings.business_hours.as_ref().map(|hours| hours.opening(now().and_utc()));
    let mut text = inbound_text(sms);
    // Most texts join their pair's unclosed ticket.
    if let Some(appended) = store.append_text(pair, &text, CUSTOMER_TEXT_REOPENS)? {
        let message_id = appended.message_id.ok_or(IngestError::Duplicate)?;
        let ticket_id = appended.ticket_id;
        record_keyword(store, keyword, ticket_id, pair)?;
        let reply = automatic_reply(store, settings, due(keyword, false, opening), ticket_id, pair)?;
        let auto_reply = reply.map(|body| add_message(store, &automatic_message(ticket_id, &body))).transpose()?;
        return Ok(IngestOutcome::Appended { ticket_id, message_id, auto_reply });
    }
    let (ticket_id, opened, status) = join_or_open_ticket(store, pair, OpenedBy::Customer)?;
    text.ticket_id = ticket_id;
    let message_id = store.insert_message(&text)?.ok_or(IngestError::Duplicate)?;
    // A first STOP is closed below: nobody is to be handed it.
    if opened && keyword != Some(OptKeyword::OptOut) {
        super::routing::route_new_ticket(store, ticket_id, pair)?;
    }
    let reply = automatic_reply(store, settings, due(keyword, opened, opening), ticket_id, pair)?;
    let confirmation = match reply {
        Some(body) => Some(store.insert_message(&automatic_message(ticket_id, &body))?.ok_or(DieselError::NotFound)?),
        None => None,
    };
    // One update of the ticket for both messages; the customer's text is what the list shows.
    let mut activity = text_activity(&text, message_id, 1 + i32::from(confirmation.is_some()));
    activity.status = (status == CUSTOMER_TEXT_REOPENS.from).then_some(CUSTOMER_TEXT_REOPENS.to);
    store.record_activity(&activity)?;
    if opened && keyword == Some(OptKeyword::OptOut) {
        // Nobody need answer a first STOP (and nobody may), so it does not wait in the queue; the customer's
        // panel lists it with their earlier tickets. smsdesk closed it, not an agent.
        store.edit_ticket(ticket_id, &TicketEdit::close(now(), Closer::Smsdesk))?;
    }
    record_keyword(store, keyword, ticket_id, pair)?;
    Ok(if opened {
        IngestOutcome::Opened { ticket_id, message_id, confirmation }
    } else {
        IngestOutcome::Appended { ticket_id, message_id, auto_reply: confirmation }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_each_text_is_due() {
        let closed = Some(Opening::Closed { since: None, until: None });
        let open = Some(Opening::Open);
        for opening in [None, open, closed] {
            assert_eq!(due(Some(OptKeyword::OptOut), true, opening), None, "STOP: nothing, ever");
            assert_eq!(due(Some(OptKeyword::OptOut), false, opening), None);
            assert_eq!(due(Some(OptKeyword::Help), true, opening), Some(Due::Help), "HELP: never the confirmation");
            assert_eq!(due(Some(OptKeyword::Help), false, opening), Some(Due::Help));
            assert_eq!(due(Some(OptKeyword::OptIn), false, opening), None, "START on a ticket: as before");
        }
        assert_eq!(due(None, true, None), Some(Due::Confirmation));
        assert_eq!(due(None, true, open), Some(Due::Confirmation));
        assert_eq!(due(Some(OptKeyword::OptIn), true, open), Some(Due::Confirmation));
        assert_eq!(due(None, false, open), None);
        assert_eq!(due(None, false, None), None);
        let out = Some(Due::OutOfOffice { since: None, until: None });
        assert_eq!(due(None, true, closed), out, "a new ticket at night");
        assert_eq!(due(None, false, closed), out, "a ticket texted again at night (once per period)");
    }
}
