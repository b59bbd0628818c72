//! Tags: names and colours admins manage (`/api/tags`), which agents put on tickets (the ticket rule in
//! `tickets/tagging.rs`). The storage steps of both live here, next to the one model.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use serde::Serialize;
use utoipa::ToSchema;

use crate::db::schema::{tags, ticket_tags, tickets};
use crate::db::{AnyConnection, StoreError, lower, now};
use crate::domain::{TagColour, TagError, TagName, TicketId};

/// A tag, as tickets and the tag list show it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Queryable, Selectable, Serialize, ToSchema)]
#[diesel(table_name = tags)]
pub struct Tag {
    pub id: i64,
    #[schema(example = "refund")]
    pub name: String,
    /// `#rrggbb`.
    #[schema(example = "#d97706")]
    pub colour: String,
}

#[derive(Debug, thiserror::Error)]
pub enum TagAdminError {
    #[error("tag not found")]
    NotFound,
    #[error("there is a tag named {0:?} already")]
    NameTaken(String),
    #[error(transparent)]
    Invalid(#[from] TagError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<DieselError> for TagAdminError {
    fn from(e: DieselError) -> Self {
        Self::Store(e.into())
    }
}

pub fn list_tags(conn: &mut AnyConnection) -> QueryResult<Vec<Tag>> {
    tags::table.order((lower(tags::name.nullable()), tags::id)).select(Tag::as_select()).load(conn)
}

fn find_tag(conn: &mut AnyConnection, id: i64) -> QueryResult<Option<Tag>> {
    Ok(tags::table.find(id).select(Tag::as_select()).load(conn)?.pop())
}

/// The tags with these names, whatever their case (one query).
pub fn find_tags_by_name(conn: &mut AnyConnection, names: &[TagName]) -> QueryResult<Vec<Tag>> {
    if names.is_empty() {
        return Ok(Vec::new());
    }
    let mut query = tags::table.select(Tag::as_select()).into_boxed();
    for name in names {
        query = query.or_filter(lower(tags::name.nullable()).eq(lower(name.as_str())));
    }
    query.load(conn)
}

/// Adds a tag; `None` when one with the name exists already (whatever its case).
pub fn insert_tag(
    conn: &mut AnyConnection,
    name: &TagName,
    colour: &TagColour,
    at: NaiveDateTime,
) -> QueryResult<Option<Tag>> {
    let row = (tags::name.eq(name.as_str()), tags::colour.eq(colour.as_str()), tags::created_at.eq(at));
    // The conflict is with the unique index on the lower-cased name.
    let id: Option<i64> = crate::insert_new_returning_id!(
        conn,
        diesel::insert_into(tags::table).values(row).on_conflict_do_nothing(),
        tags::id
    )?;
    Ok(id.map(|id| Tag { id, name: name.as_str().to_owned(), colour: colour.as_str().to_owned() }))
}

pub fn create_tag(conn: &mut AnyConnection, name: &str, colour: Option<&str>) -> Result<Tag, TagAdminError> {
    let name = TagName::parse(name)?;
    let colour = colour.map(TagColour::parse).transpose()?.unwrap_or_else(TagColour::default_colour);
    insert_tag(conn, &name, &colour, now())?.ok_or_else(|| TagAdminError::NameTaken(name.as_str().to_owned()))
}

/// Renames or recolours a tag. The tickets that carry it change with it: their `updated_at` moves, so that
/// the queue's polls (`updated_since`, ETags) bring them with the new name.
pub fn update_tag(
    conn: &mut AnyConnection,
    id: i64,
    name: Option<&str>,
    colour: Option<&str>,
) -> Result<Tag, TagAdminError> {
    let name = name.map(TagName::parse).transpose()?;
    let colour = colour.map(TagColour::parse).transpose()?;
    if find_tag(conn, id)?.is_none() {
        return Err(TagAdminError::NotFound);
    }
    if let Some(name) = &name {
        diesel::update(tags::table.find(id)).set(tags::name.eq(name.as_str())).execute(conn).map_err(|e| match e {
            DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => {
                TagAdminError::NameTaken(name.as_str().to_owned())
            }
            other => other.into(),
        })?;
    }
    if let Some(colour) = &colour {
        diesel::update(tags::table.find(id)).set(tags::colour.eq(colour.as_str())).execute(conn)?;
    }
    touch_tagged_tickets(conn, id, now())?;
    find_tag(conn, id)?.ok_or(TagAdminError::NotFound)
}

/// Deletes a tag and takes it off every ticket (which changes them: see [`update_tag`]).
pub fn delete_tag(conn: &mut AnyConnection, id: i64) -> Result<(), TagAdminError> {
    if find_tag(conn, id)?.is_none() {
        return Err(TagAdminError::NotFound);
    }
    touch_tagged_tickets(conn, id, now())?;
    diesel::delete(ticket_tags::table.filter(ticket_tags::tag_id.eq(id))).execute(conn)?;
    diesel::delete(tags::table.find(id)).execute(conn)?;
    Ok(())
}

fn touch_tagged_tickets(conn: &mut AnyConnection, tag_id: i64, at: NaiveDateTime) -> QueryResult<usize> {
    let tagged = ticket_tags::table.filter(ticket_tags::tag_id.eq(tag_id)).select(ticket_tags::ticket_id);
    diesel::update(tickets::table.filter(tickets::id.eq_any(tagged))).set(tickets::updated_at.eq(at)).execute(conn)
}

/// The tags of each of these tickets, in one query, by name.
pub fn tags_of_tickets(conn: &mut AnyConnection, ids: &[TicketId]) -> QueryResult<HashMap<TicketId, Vec<Tag>>> {
    let mut by_ticket: HashMap<TicketId, Vec<Tag>> = HashMap::new();
    if ids.is_empty() {
        return Ok(by_ticket);
    }
    let rows: Vec<(TicketId, Tag)> = ticket_tags::table
        .inner_join(tags::table)
        .filter(ticket_tags::ticket_id.eq_any(ids))
        .order((lower(tags::name.nullable()), tags::id))
        .select((ticket_tags::ticket_id, Tag::as_select()))
        .load(conn)?;
    for (ticket, tag) in rows {
        by_ticket.entry(ticket).or_default().push(tag);
    }
    Ok(by_ticket)
}

/// Puts tags on a ticket and takes others off (ids known to exist).
pub fn change_ticket_tags(
    conn: &mut AnyConnection,
    ticket_id: TicketId,
    add: &[i64],
    remove: &[i64],
) -> QueryResult<()> {
    if !remove.is_empty() {
        diesel::delete(
            ticket_tags::table.filter(ticket_tags::ticket_id.eq(ticket_id)).filter(ticket_tags::tag_id.eq_any(remove)),
        )
        .execute(conn)?;
    }
    let rows: Vec<_> =
        add.iter().map(|tag| (ticket_tags::ticket_id.eq(ticket_id), ticket_tags::tag_id.eq(*tag))).collect();
    if !rows.is_empty() {
        crate::on_backend!(conn, |c| diesel::insert_into(ticket_tags::table)
            .values(&rows)
            .on_conflict_do_nothing()
            .execute(c))?;
    }
    Ok(())
}
