//! Tags and priority on a ticket: part of [`super::update_ticket`], so that a change of them is applied,
//! and put on the timeline, in the same transaction as the rest of the agent's change.

use chrono::NaiveDateTime;

use super::events::{EventDetails, NewEvent};
use super::store::{TicketEdit, TicketStore};
use super::work::{TicketChange, TicketError};
use crate::domain::{EventKind, TagColour, TagName, TicketId, UserId};
use crate::tags::Tag;

/// A change of a ticket's tags, by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TagChange {
    /// These and no others.
    Replace(Vec<TagName>),
    Add(Vec<TagName>),
    Remove(Vec<TagName>),
}

impl TagChange {
    fn names(&self) -> &[TagName] {
        match self {
            Self::Replace(names) | Self::Add(names) | Self::Remove(names) => names,
        }
    }
}

/// Applies the tags and priority of `change` to the (locked) ticket, each actual change recorded on its
/// timeline and moving its `updated_at` (the queue's polls and ETags follow it).
pub(super) fn retag(
    store: &mut impl TicketStore,
    ticket_id: TicketId,
    actor: UserId,
    change: &TicketChange,
    at: NaiveDateTime,
) -> Result<(), TicketError> {
    let event = |kind| NewEvent::new(ticket_id, kind, Some(actor), at);
    if let Some(tags) = &change.tags {
        let named = named_tags(store, tags, change.may_create_tags, at)?;
        let current = store.ticket_tags(ticket_id)?;
        let has = |list: &[Tag], tag: &Tag| list.iter().any(|t| t.id == tag.id);
        let target: Vec<Tag> = match tags {
            TagChange::Replace(_) => named,
            TagChange::Add(_) => {
                current.iter().cloned().chain(named.into_iter().filter(|t| !has(&current, t))).collect()
            }
            TagChange::Remove(_) => current.iter().filter(|t| !has(&named, t)).cloned().collect(),
        };
        let added: Vec<&Tag> = target.iter().filter(|t| !has(&current, t)).collect();
        let removed: Vec<&Tag> = current.iter().filter(|t| !has(&target, t)).collect();
        if !added.is_empty() || !removed.is_empty() {
            let ids = |tags: &[&Tag]| tags.iter().map(|t| t.id).collect::<Vec<_>>();
            store.change_ticket_tags(ticket_id, &ids(&added), &ids(&removed))?;
            store.edit_ticket(ticket_id, &TicketEdit { at, ..TicketEdit::default() })?;
            let names = |tags: &[&Tag]| tags.iter().map(|t| t.name.clone()).collect::<Vec<_>>();
            let details =
                EventDetails { added: Some(names(&added)), removed: Some(names(&removed)), ..EventDetails::default() };
            store.record_event(&event(EventKind::TagsChanged).with(details))?;
        }
    }
    if let Some(to) = change.priority {
        let from = store.ticket_priority(ticket_id)?;
        if from != to {
            store.set_priority(ticket_id, to, at)?;
            let details = EventDetails { from_priority: Some(from), to_priority: Some(to), ..EventDetails::default() };
            store.record_event(&event(EventKind::PriorityChanged).with(details))?;
        }
    }
    Ok(())
}

/// The tags the change names, each once. A name no tag has is created when the actor may create tags;
/// otherwise it is refused, except for a removal (there is nothing to take off).
fn named_tags(
    store: &mut impl TicketStore,
    change: &TagChange,
    may_create: bool,
    at: NaiveDateTime,
) -> Result<Vec<Tag>, TicketError> {
    let mut found = store.find_tags(change.names())?;
    for name in change.names() {
        if found.iter().any(|t| name.same_as(&t.name)) {
            continue;
        }
        if matches!(change, TagChange::Remove(_)) {
            continue;
        }
        if !may_create {
            return Err(TicketError::UnknownTag(name.as_str().to_owned()));
        }
        match store.create_tag(name, &TagColour::default_colour(), at)? {
            Some(tag) => found.push(tag),
            // Another transaction created it (under another case, perhaps) since the look above.
            None => found.extend(store.find_tags(std::slice::from_ref(name))?),
        }
    }
    let mut unique: Vec<Tag> = Vec::with_capacity(found.len());
    for tag in found {
        if !unique.iter().any(|t| t.id == tag.id) {
            unique.push(tag);
        }
    }
    Ok(unique)
}
