//! Inboxes: each number of ours is one, with a name, its member agents and an assignment policy.
//!
//! - **Visibility.** An agent sees a ticket when its inbox has no members (shared by the whole team, so a
//!   fresh desk behaves as before) or they are a member; admins see everything. [`hidden_for`] is the one
//!   place that decides it: the queue, its counts, the notifications, search and every per-ticket route
//!   filter by the numbers it returns, and an agent asking for a ticket they may not see is told there is no
//!   such ticket.
//! - **Creation.** An inbox appears when a customer first texts a number (named as people write the
//!   number), or when an admin makes one (perhaps ahead of the first text).
//! - **Deletion** removes only an inbox whose number has no tickets (`409 inbox_has_tickets` otherwise):
//!   dropping the configuration of a number in use would silently show its tickets to the whole team. To
//!   share such an inbox with everyone, remove its members.
//! - **Round robin** is in `tickets/routing.rs` (a new ticket's rule) over
//!   [`crate::db::inboxes::claim_round_robin_member`].

use std::collections::BTreeSet;

use chrono::NaiveDateTime;
use serde::Serialize;
use utoipa::ToSchema;

use crate::accounts::Principal;
use crate::db::inboxes::{self as store, InboxRow};
use crate::db::{AnyConnection, StoreError, now};
use crate::domain::{AssignmentPolicy, PhoneNumber, UserId};
use crate::json::utc;

pub use crate::db::inboxes::HiddenInboxes;

/// The longest inbox name.
const MAX_NAME_CHARS: usize = 60;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Inbox {
    /// The number of ours, E.164: tickets' `channel_number`.
    #[schema(example = "+14155550100")]
    pub number: String,
    /// As people write it.
    #[schema(example = "+1 415-555-0100")]
    pub display: String,
    #[schema(example = "Support")]
    pub name: String,
    pub assignment_policy: AssignmentPolicy,
    /// The member agents' user ids. None: every agent sees the inbox's tickets.
    pub members: Vec<UserId>,
    #[serde(serialize_with = "utc")]
    pub created_at: NaiveDateTime,
    #[serde(serialize_with = "utc")]
    pub updated_at: NaiveDateTime,
}

/// The name an inbox is shown by: its own, or (never named) its number as people write it.
pub fn shown_name(number: &str, name: &str) -> String {
    if name.is_empty() { PhoneNumber::display(number) } else { name.to_owned() }
}

impl Inbox {
    fn from_row(row: InboxRow, members: Vec<UserId>) -> Self {
        Self {
            display: PhoneNumber::display(&row.number),
            name: shown_name(&row.number, &row.name),
            number: row.number,
            assignment_policy: row.assignment_policy,
            members,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum InboxError {
    #[error("there is no inbox for this number")]
    NotFound,
    #[error("the number has an inbox already")]
    Exists,
    #[error("the inbox's number has tickets; remove its members instead to share it with everyone")]
    HasTickets,
    #[error("the name must be 1 to 60 characters")]
    InvalidName,
    #[error("no user has id {0}")]
    UnknownUser(UserId),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<diesel::result::Error> for InboxError {
    fn from(e: diesel::result::Error) -> Self {
        Self::Store(e.into())
    }
}

/// An inbox name: trimmed, 1 to 60 characters.
pub fn parse_name(raw: &str) -> Result<String, InboxError> {
    let name = raw.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS || name.chars().any(char::is_control) {
        return Err(InboxError::InvalidName);
    }
    Ok(name.to_owned())
}

/// The inboxes whose tickets `viewer` may not see: none for admins.
pub fn hidden_for(conn: &mut AnyConnection, viewer: &Principal) -> Result<HiddenInboxes, StoreError> {
    if viewer.is_admin() {
        return Ok(HiddenInboxes::default());
    }
    Ok(store::hidden_inboxes(conn, viewer.user_id)?)
}

/// Whether `viewer` may see the ticket: `false` when it is in an inbox hidden from them (or, with something
/// hidden, does not exist).
pub fn can_see_ticket(
    conn: &mut AnyConnection,
    viewer: &Principal,
    id: crate::domain::TicketId,
) -> Result<bool, StoreError> {
    let hidden = hidden_for(conn, viewer)?;
    // Nothing hidden: the route's own lookup answers a missing ticket.
    Ok(hidden.is_empty() || store::ticket_visible(conn, id, &hidden)?)
}

/// Which of `ids` `viewer` may not see (as [`can_see_ticket`], for many tickets in one query).
pub fn hidden_tickets(
    conn: &mut AnyConnection,
    viewer: &Principal,
    ids: &[crate::domain::TicketId],
) -> Result<Vec<crate::domain::TicketId>, StoreError> {
    let hidden = hidden_for(conn, viewer)?;
    if hidden.is_empty() {
        return Ok(Vec::new());
    }
    Ok(store::tickets_in_hidden_inboxes(conn, ids, &hidden)?)
}

/// Whether `viewer` may see the message's ticket (as [`can_see_ticket`]).
pub fn can_see_message(
    conn: &mut AnyConnection,
    viewer: &Principal,
    id: crate::domain::MessageId,
) -> Result<bool, StoreError> {
    let hidden = hidden_for(conn, viewer)?;
    Ok(hidden.is_empty() || store::message_visible(conn, id, &hidden)?)
}

/// The customer panel without the tickets of inboxes the viewer may not see (their number's opt-outs stay:
/// replies from it are refused either way).
pub fn without_hidden_tickets(
    mut customer: crate::contacts::Customer,
    hidden: &HiddenInboxes,
) -> crate::contacts::Customer {
    customer.tickets.retain(|ticket| !hidden.contains(&ticket.channel_number));
    customer
}

/// The inboxes `viewer` can see: all for admins; for agents, those with no members or with them.
pub fn list_inboxes(conn: &mut AnyConnection, viewer: &Principal) -> Result<Vec<Inbox>, StoreError> {
    let hidden = hidden_for(conn, viewer)?;
    Ok(store::all_inboxes(conn)?
        .into_iter()
        .filter(|(row, _)| !hidden.contains(&row.number))
        .map(|(row, members)| Inbox::from_row(row, members))
        .collect())
}

fn find(conn: &mut AnyConnection, number: &str) -> Result<Inbox, InboxError> {
    store::all_inboxes(conn)?
        .into_iter()
        .find(|(row, _)| row.number == number)
        .map(|(row, members)| Inbox::from_row(row, members))
        .ok_or(InboxError::NotFound)
}

/// Member ids, each once, all of them users.
fn check_members(conn: &mut AnyConnection, members: &[UserId]) -> Result<Vec<UserId>, InboxError> {
    let members: Vec<UserId> = members.iter().copied().collect::<BTreeSet<_>>().into_iter().collect();
    if let Some(unknown) = store::unknown_users(conn, &members)?.first() {
        return Err(InboxError::UnknownUser(*unknown));
    }
    Ok(members)
}

/// A new inbox an admin makes.
#[derive(Debug, Clone)]
pub struct NewInbox {
    pub number: PhoneNumber,
    pub name: String,
    pub members: Vec<UserId>,
    pub assignment_policy: AssignmentPolicy,
}

pub fn create_inbox(conn: &mut AnyConnection, new: NewInbox) -> Result<Inbox, InboxError> {
    let name = parse_name(&new.name)?;
    let members = check_members(conn, &new.members)?;
    if !store::insert_inbox(conn, new.number.as_str(), &name, new.assignment_policy, now())? {
        return Err(InboxError::Exists);
    }
    store::replace_members(conn, new.number.as_str(), &members)?;
    find(conn, new.number.as_str())
}

/// Changes to an inbox; `None` keeps a field. `members` replaces the set.
#[derive(Debug, Clone, Default)]
pub struct InboxChange {
    pub name: Option<String>,
    pub members: Option<Vec<UserId>>,
    pub assignment_policy: Option<AssignmentPolicy>,
}

pub fn update_inbox(conn: &mut AnyConnection, number: &PhoneNumber, change: InboxChange) -> Result<Inbox, InboxError> {
    let name = change.name.as_deref().map(parse_name).transpose()?;
    let members = change.members.as_deref().map(|m| check_members(conn, m)).transpose()?;
    // Always marks the inbox changed: a change of members changes which tickets agents see, and the queue's
    // ETag follows the inboxes' newest change.
    if !store::update_inbox(conn, number.as_str(), name.as_deref(), change.assignment_policy, now())? {
        return Err(InboxError::NotFound);
    }
    if let Some(members) = members {
        store::replace_members(conn, number.as_str(), &members)?;
    }
    find(conn, number.as_str())
}

pub fn delete_inbox(conn: &mut AnyConnection, number: &PhoneNumber) -> Result<(), InboxError> {
    if !store::inbox_exists(conn, number.as_str())? {
        return Err(InboxError::NotFound);
    }
    if store::inbox_has_tickets(conn, number.as_str())? {
        return Err(InboxError::HasTickets);
    }
    store::delete_inbox(conn, number.as_str())?;
    Ok(())
}

/// An agent's availability: round robin skips agents who are away.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Availability {
    Online,
    Away,
}

pub fn set_availability(
    conn: &mut AnyConnection,
    user: UserId,
    availability: Availability,
) -> Result<Availability, StoreError> {
    store::set_away(conn, user, availability == Availability::Away)?;
    Ok(availability)
}

pub fn availability(conn: &mut AnyConnection, user: UserId) -> Result<Availability, StoreError> {
    Ok(if store::is_away(conn, user)? { Availability::Away } else { Availability::Online })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(parse_name("  Support ").ok().as_deref(), Some("Support"));
        for bad in ["", "   ", &"x".repeat(61), "a\u{0}b"] {
            assert!(matches!(parse_name(bad), Err(InboxError::InvalidName)), "{bad:?}");
        }
        assert_eq!(shown_name("+14155550100", ""), "+1 415-555-0100");
        assert_eq!(shown_name("+14155550100", "Sales"), "Sales");
    }
}
