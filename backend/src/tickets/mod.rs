//! The ticket rules: an inbound text joins its number's unclosed ticket or opens one (with a confirmation);
//! agents reply, leave notes, assign and change status; a closed ticket stays closed.
//!
//! The rules are plain code over a storage interface ([`store::TicketStore`]), implemented for both databases
//! in `db/`: every function here takes it inside a transaction opened by the caller
//! ([`crate::db::Database::write`]), so each rule is applied atomically.

mod auto_close;
mod bulk;
pub mod events;
mod ingest;
mod models;
pub mod notifications;
mod routing;
pub mod store;
mod tagging;
mod team_counts;
mod work;

pub use crate::db::queue::{
    AssigneeFilter, ChangeStamp, MessageCursor, MessageFilter, MessagePage, TicketCounts, TicketCursor, TicketFilter,
    TicketPage, TicketSort, changed_tickets_for, events_stamp, find_ticket, list_stamp, list_tickets, thread,
    thread_stamp, ticket_counts, ticket_events, ticket_exists, tickets_changed,
};
pub use auto_close::close_inactive_tickets;
pub use bulk::update_tickets;
pub use ingest::{InboundSms, IngestError, IngestOutcome, appended_outcome, ingest_inbound_sms, text_to_append};
pub use models::{ContactRef, LastMessage, Message, MessageView, OutboxEntry, Ticket};
pub use tagging::TagChange;
pub use team_counts::TeamCountsCache;
pub use work::{
    Conversation, Draft, StartConversationError, TicketChange, TicketError, mark_read, post_message, retry_message,
    start_conversation, update_ticket,
};

use diesel::result::Error as DieselError;

use crate::db::now;
use crate::domain::{MessageId, TicketId, TicketStatus};
use store::{NewMessage, OpenedBy, Origin, Pair, TicketActivity, TicketStore, Waiting};

/// How much of a message the ticket list shows.
const PREVIEW_CHARS: usize = 160;

/// What the ticket list shows of a message.
fn preview(body: &str) -> String {
    body.chars().take(PREVIEW_CHARS).collect()
}

/// How often to look again when a concurrent transaction opens or closes the pair's ticket in between.
const OPEN_TICKET_ATTEMPTS: usize = 3;

/// The pair's unclosed ticket (locked), or a newly opened one: its id, whether it was opened now, its status.
/// At most one unclosed ticket per pair: the database's partial unique index makes a concurrent opener (on
/// this replica or another) win or lose cleanly, and the loser joins the winner's ticket.
fn join_or_open_ticket(
    store: &mut impl TicketStore,
    pair: Pair<'_>,
    opened_by: OpenedBy,
) -> Result<(TicketId, bool, TicketStatus), DieselError> {
    for _ in 0..OPEN_TICKET_ATTEMPTS {
        if let Some((id, status)) = store.find_unclosed_ticket(pair)? {
            return Ok((id, false, status));
        }
        if let Some(id) = store.open_ticket(pair, opened_by)? {
            return Ok((id, true, TicketStatus::Open));
        }
    }
    Err(DieselError::RollbackTransaction)
}

/// What a new message (stored as `id`, one of `added` new messages) changes in the ticket list: the activity
/// time always, the preview and direction when a person wrote it (not a note, not an automatic message),
/// the newest inbound message when it is the customer's, and an agent's reply to the customer as the ticket's
/// first response (if it is the first).
pub(crate) fn text_activity(message: &NewMessage<'_>, id: MessageId, added: i32) -> TicketActivity {
    let from_a_person = !message.internal && message.origin != Origin::Automatic;
    TicketActivity {
        ticket_id: message.ticket_id,
        added_messages: added,
        at: now(),
        preview: from_a_person.then(|| preview(message.body)),
        direction: from_a_person.then(|| message.direction()),
        newest_inbound: (message.origin == Origin::Customer).then_some(id),
        status: None,
        waiting: match message.origin {
            Origin::Customer => Waiting::Starts,
            Origin::Agent(_) if !message.internal => Waiting::Ends,
            Origin::Agent(_) | Origin::Automatic => Waiting::Keeps,
        },
        // Not a note, not an automatic message: those answer nobody.
        first_response: match message.origin {
            Origin::Agent(user) if !message.internal => Some(user),
            Origin::Agent(_) | Origin::Customer | Origin::Automatic => None,
        },
    }
}

/// Stores a message and records it on its ticket.
fn add_message(store: &mut impl TicketStore, message: &NewMessage<'_>) -> Result<MessageId, DieselError> {
    // Only gateway texts carry a gateway id that could be stored twice; a rule adding one here never does.
    let id = store.insert_message(message)?.ok_or(DieselError::NotFound)?;
    store.record_activity(&text_activity(message, id, 1))?;
    Ok(id)
}
