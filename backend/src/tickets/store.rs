//! What the ticket rules need from storage. The rules (`ingest.rs`, `work.rs`, `auto_close.rs`) decide;
//! an implementation of [`TicketStore`] (`db/tickets.rs`, over SQLite and PostgreSQL) only reads and writes,
//! inside the caller's write transaction, each method one step a rule asked for.

use chrono::NaiveDateTime;
use diesel::QueryResult;

use super::Message;
use super::events::NewEvent;
use crate::domain::{
    DeliveryStatus, Direction, MessageId, Priority, TagColour, TagName, TicketId, TicketStatus, UserId,
};
use crate::tags::Tag;

/// A customer's number and the number of ours they text: at most one unclosed ticket each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pair<'a> {
    pub customer: &'a str,
    pub channel: &'a str,
}

/// Who or what wrote a message: decides its direction and whether the list's preview and unread marker
/// follow it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    Customer,
    Agent(UserId),
    /// An automatic message, such as the confirmation of a new ticket.
    Automatic,
}

/// A message to store. One that goes to the customer is queued for delivery with it.
#[derive(Debug, Clone)]
pub struct NewMessage<'a> {
    pub ticket_id: TicketId,
    pub origin: Origin,
    pub internal: bool,
    pub body: &'a str,
    pub provider: Option<&'a str>,
    pub provider_message_id: Option<&'a str>,
    /// A JSON array of links, or `None`.
    pub media_urls: Option<String>,
}

impl NewMessage<'_> {
    /// Customers' texts come in; everything else goes out (or is an internal note).
    pub fn direction(&self) -> Direction {
        if self.origin == Origin::Customer { Direction::Inbound } else { Direction::Outbound }
    }

    /// Whether it is sent to the customer: it starts `queued` and waits in the outbox.
    pub fn goes_out(&self) -> bool {
        self.direction() == Direction::Outbound && !self.internal
    }

    pub fn delivery_status(&self) -> Option<DeliveryStatus> {
        self.goes_out().then_some(DeliveryStatus::Queued)
    }

    pub fn author(&self) -> Option<UserId> {
        match self.origin {
            Origin::Agent(user) => Some(user),
            Origin::Customer | Origin::Automatic => None,
        }
    }
}

/// What the ticket list shows changes with new messages: a count, the activity time, and (when a person
/// wrote the message) its preview and direction; a customer's text is the newest inbound one. `None` keeps
/// a field as it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketActivity {
    pub ticket_id: TicketId,
    pub added_messages: i32,
    pub at: NaiveDateTime,
    pub preview: Option<String>,
    pub direction: Option<Direction>,
    pub newest_inbound: Option<MessageId>,
    /// The status the ticket takes, if it changes.
    pub status: Option<TicketStatus>,
    /// What the message does to the ticket's wait for an agent's answer (`waiting_since`).
    pub waiting: Waiting,
    /// The agent whose reply to the customer this is. Storage records it (at `at`) as the ticket's first
    /// response (`first_response_at`, `first_responder_id`) in the same statement, unless the ticket has one
    /// already or no customer's text opened it (`first_inbound_at` is NULL): the reports' first response time.
    pub first_response: Option<UserId>,
}

/// What a new message does to `tickets.waiting_since`, the time of the oldest customer text no agent has
/// answered since.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Waiting {
    /// Notes and automatic messages answer nobody and ask nothing.
    #[default]
    Keeps,
    /// A customer's text: the ticket waits from now, unless it waits already.
    Starts,
    /// An agent's reply to the customer: the ticket waits no more.
    Ends,
}

impl Waiting {
    /// As the two flags storage statements bind: (starts, ends).
    pub fn flags(self) -> (bool, bool) {
        (self == Self::Starts, self == Self::Ends)
    }
}

/// A ticket as the rules see it when they act on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketState {
    pub status: TicketStatus,
    pub customer: String,
    pub channel: String,
    pub assignee: Option<UserId>,
}

impl TicketState {
    pub fn pair(&self) -> Pair<'_> {
        Pair { customer: &self.customer, channel: &self.channel }
    }
}

/// Who opens a ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenedBy {
    /// A customer's text.
    Customer,
    /// An agent's text to a number (an outbound conversation).
    Agent,
}

impl OpenedBy {
    /// Whether the ticket's creation is its first inbound text (`first_inbound_at`), where its first response
    /// time starts. A conversation an agent started has none, even once the customer answers.
    pub fn is_first_inbound(self) -> bool {
        self == Self::Customer
    }
}

/// Who closed a ticket, kept with its close for the reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Closer {
    /// An agent or admin, one ticket at a time or in bulk.
    Agent(UserId),
    /// smsdesk itself: the auto-close of quiet tickets, or a first STOP (whose ticket opens closed).
    Smsdesk,
}

/// A ticket's close: when, and by whom.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Close {
    pub at: NaiveDateTime,
    pub by: Closer,
}

impl Close {
    /// As the ticket's columns: `closed_by_id` (NULL when smsdesk closed it) and `auto_closed`.
    pub fn closed_by(&self) -> (Option<UserId>, bool) {
        match self.by {
            Closer::Agent(user) => (Some(user), false),
            Closer::Smsdesk => (None, true),
        }
    }
}

/// A change of a ticket's status or assignee; `None` keeps it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TicketEdit {
    pub status: Option<TicketStatus>,
    /// `Some(Some(close))` when the ticket is closed; `Some(None)` when it leaves closed (or its status changes
    /// otherwise): its `closed_at`, `closed_by_id` and `auto_closed` are cleared, so a reopened ticket's
    /// resolution is measured to its last close.
    pub closed: Option<Option<Close>>,
    /// `Some(None)` unassigns.
    pub assignee: Option<Option<UserId>>,
    pub at: NaiveDateTime,
}

impl TicketEdit {
    /// Closes the ticket at `at`.
    pub fn close(at: NaiveDateTime, by: Closer) -> Self {
        Self { status: Some(TicketStatus::Closed), closed: Some(Some(Close { at, by })), assignee: None, at }
    }
}

/// What [`TicketStore::append_text`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AppendedText {
    pub ticket_id: TicketId,
    /// `None` when a message with the text's gateway id was stored already: nothing was written.
    pub message_id: Option<MessageId>,
}

/// A customer's text to join to its pair's unclosed ticket ([`TicketStore::append_text`]), owned, so that
/// storage may gather several that arrive together and store them at once (PostgreSQL does).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextToAppend {
    pub customer: String,
    pub channel: String,
    pub body: String,
    pub provider: &'static str,
    pub provider_message_id: Option<String>,
    /// A JSON array of links, or `None`.
    pub media_urls: Option<String>,
    pub transition: Transition,
}

impl TextToAppend {
    pub fn pair(&self) -> Pair<'_> {
        Pair { customer: &self.customer, channel: &self.channel }
    }

    /// The text as a message of its ticket (whose id storage fills in).
    pub fn message(&self) -> NewMessage<'_> {
        NewMessage {
            ticket_id: TicketId(0),
            origin: Origin::Customer,
            internal: false,
            body: &self.body,
            provider: Some(self.provider),
            provider_message_id: self.provider_message_id.as_deref(),
            media_urls: self.media_urls.clone(),
        }
    }
}

/// A status change applied only to a ticket in status `from`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transition {
    pub from: TicketStatus,
    pub to: TicketStatus,
}

pub trait TicketStore {
    /// Joins a text to the pair's unclosed ticket, if it has one: locks the ticket, stores `text` in it
    /// (`text.ticket_id` is ignored), records it on the ticket as [`super::text_activity`] says, and applies
    /// `transition`. `None` when the pair has no unclosed ticket: nothing was written. By default the steps
    /// of [`append_text_step_by_step`]; a storage may do them in one statement (PostgreSQL does), which the
    /// contract tests check against these steps.
    fn append_text(
        &mut self,
        pair: Pair<'_>,
        text: &NewMessage<'_>,
        transition: Transition,
    ) -> QueryResult<Option<AppendedText>>
    where
        Self: Sized,
    {
        append_text_step_by_step(self, pair, text, transition)
    }

    /// The pair's unclosed ticket and its status, locked until the transaction ends.
    fn find_unclosed_ticket(&mut self, pair: Pair<'_>) -> QueryResult<Option<(TicketId, TicketStatus)>>;

    /// Opens an `open` ticket for the pair, with the customer's contact (made on first contact), and
    /// `first_inbound_at` at its creation when [`OpenedBy::is_first_inbound`]; `None` when the pair has an
    /// unclosed ticket after all (a concurrent transaction opened it first).
    fn open_ticket(&mut self, pair: Pair<'_>, opened_by: OpenedBy) -> QueryResult<Option<TicketId>>;

    /// The ticket, locked until the transaction ends; `None` if there is none.
    fn lock_ticket(&mut self, id: TicketId) -> QueryResult<Option<TicketState>>;

    /// Stores a message and, when it goes out, queues it in the outbox. `None` when a message with the same
    /// gateway id is stored already: nothing was written.
    fn insert_message(&mut self, message: &NewMessage<'_>) -> QueryResult<Option<MessageId>>;

    /// Records new messages on their ticket (see [`TicketActivity`]).
    fn record_activity(&mut self, activity: &TicketActivity) -> QueryResult<()>;

    fn edit_ticket(&mut self, id: TicketId, edit: &TicketEdit) -> QueryResult<()>;

    fn message(&mut self, id: MessageId) -> QueryResult<Option<Message>>;

    /// The newest message of the ticket.
    fn newest_message(&mut self, ticket_id: TicketId) -> QueryResult<Option<MessageId>>;

    /// Puts a message back in the outbox as `queued`, forgetting its last attempt's gateway id and error.
    fn requeue_message(&mut self, id: MessageId, at: NaiveDateTime) -> QueryResult<()>;

    /// The user has read the ticket up to `message`.
    fn mark_read(
        &mut self,
        user: UserId,
        ticket_id: TicketId,
        message: MessageId,
        at: NaiveDateTime,
    ) -> QueryResult<()>;

    fn is_active_user(&mut self, id: UserId) -> QueryResult<bool>;

    /// Whether the customer opted out of texts from this number of ours.
    fn is_opted_out(&mut self, pair: Pair<'_>) -> QueryResult<bool>;

    fn record_opt_out(&mut self, pair: Pair<'_>, at: NaiveDateTime) -> QueryResult<()>;

    /// The name of the contact with this number; `None` when there is no contact or it has no name. For the
    /// confirmation of a new ticket, so never on the path of a text that joins its ticket.
    fn contact_name(&mut self, phone_number: &str) -> QueryResult<Option<String>>;

    fn remove_opt_out(&mut self, pair: Pair<'_>) -> QueryResult<()>;

    /// Adds an event to the ticket's timeline.
    fn record_event(&mut self, event: &NewEvent) -> QueryResult<()>;

    /// Sets the ticket's `failed_delivery_at` to its newest reply that failed or went undelivered, or clears
    /// it when there is none (after a retry); a change of the ticket at `at`.
    fn refresh_failed_delivery(&mut self, ticket_id: TicketId, at: NaiveDateTime) -> QueryResult<()>;

    /// Up to `limit` unclosed tickets without activity since `before`, locked (ones another transaction
    /// holds are skipped: it is changing them anyway).
    fn inactive_tickets(&mut self, before: NaiveDateTime, limit: i64) -> QueryResult<Vec<TicketId>>;

    /// Records that the ticket is answered out of office at `at`, unless it already was at or after `since`
    /// (the start of the current closed period; `None`: at any time). Whether it recorded it: the rule of one
    /// out-of-office reply per ticket per closed period, decided by one conditional update.
    fn claim_out_of_office(
        &mut self,
        ticket_id: TicketId,
        at: NaiveDateTime,
        since: Option<NaiveDateTime>,
    ) -> QueryResult<bool>;

    /// The tags with these names, whatever their case.
    fn find_tags(&mut self, names: &[TagName]) -> QueryResult<Vec<Tag>>;

    /// Adds a tag; `None` when one with the name exists (a concurrent transaction added it first).
    fn create_tag(&mut self, name: &TagName, colour: &TagColour, at: NaiveDateTime) -> QueryResult<Option<Tag>>;

    /// The ticket's tags.
    fn ticket_tags(&mut self, ticket_id: TicketId) -> QueryResult<Vec<Tag>>;

    /// Puts tags (by id) on the ticket and takes others off; the ticket's `updated_at` is the caller's.
    fn change_ticket_tags(&mut self, ticket_id: TicketId, add: &[i64], remove: &[i64]) -> QueryResult<()>;

    fn ticket_priority(&mut self, ticket_id: TicketId) -> QueryResult<Priority>;

    /// Sets the ticket's priority: a change of the ticket at `at`.
    fn set_priority(&mut self, ticket_id: TicketId, priority: Priority, at: NaiveDateTime) -> QueryResult<()>;

    /// Round robin's next member of the inbox of `channel` (a number of ours), marked as handed a ticket at
    /// `at`: the available member (active, not away) handed one least recently. `None` when the inbox's
    /// policy is not round robin, there is no inbox, or nobody is available. Chosen in the database, so
    /// replicas take turns fairly.
    fn next_round_robin_member(&mut self, channel: &str, at: NaiveDateTime) -> QueryResult<Option<UserId>>;
}

/// [`TicketStore::append_text`] as the store's single steps.
pub fn append_text_step_by_step(
    store: &mut impl TicketStore,
    pair: Pair<'_>,
    text: &NewMessage<'_>,
    transition: Transition,
) -> QueryResult<Option<AppendedText>> {
    let Some((ticket_id, status)) = store.find_unclosed_ticket(pair)? else { return Ok(None) };
    let text = NewMessage { ticket_id, ..text.clone() };
    let Some(message_id) = store.insert_message(&text)? else {
        return Ok(Some(AppendedText { ticket_id, message_id: None }));
    };
    let mut activity = super::text_activity(&text, message_id, 1);
    activity.status = (status == transition.from).then_some(transition.to);
    store.record_activity(&activity)?;
    Ok(Some(AppendedText { ticket_id, message_id: Some(message_id) }))
}
