//! Contacts: what agents know about a customer's phone number (a name, notes), and whether they opted out.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use crate::db::schema::{contacts, opt_outs};
use crate::db::{AnyConnection, MultiBackend, StoreError, lower, now};
use crate::domain::SearchQuery;
use crate::json::utc;

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Serialize, ToSchema)]
#[diesel(table_name = contacts)]
pub struct Contact {
    pub id: i64,
    #[schema(example = "+14155550123")]
    pub phone_number: String,
    #[schema(required = true)]
    pub name: Option<String>,
    pub notes: String,
    /// The customer sent STOP to one of our numbers (replies from that number are refused).
    #[diesel(select_expression = diesel::dsl::exists(opt_outs::table.filter(opt_outs::customer_number.eq(contacts::phone_number))))]
    #[diesel(select_expression_type = diesel::dsl::exists<diesel::dsl::Filter<opt_outs::table, diesel::dsl::Eq<opt_outs::customer_number, contacts::phone_number>>>)]
    pub opted_out: bool,
    #[serde(serialize_with = "utc")]
    pub created_at: NaiveDateTime,
    #[serde(serialize_with = "utc")]
    pub updated_at: NaiveDateTime,
}

pub const MAX_NAME_CHARS: usize = 100;
pub const MAX_NOTES_CHARS: usize = 5_000;

#[derive(Debug, thiserror::Error)]
pub enum ContactError {
    #[error("contact not found")]
    NotFound,
    #[error("the name may have at most {MAX_NAME_CHARS} characters")]
    NameTooLong,
    #[error("the notes may have at most {MAX_NOTES_CHARS} characters")]
    NotesTooLong,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<diesel::result::Error> for ContactError {
    fn from(e: diesel::result::Error) -> Self {
        Self::Store(e.into())
    }
}

pub fn find_contact(conn: &mut AnyConnection, id: i64) -> QueryResult<Option<Contact>> {
    Ok(contacts::table.filter(contacts::id.eq(id)).select(Contact::as_select()).load(conn)?.pop())
}

/// Contacts by name (unnamed last), then number; `after` is the last id of the previous page.
pub fn list_contacts(
    conn: &mut AnyConnection,
    search: Option<&SearchQuery>,
    after: Option<i64>,
    limit: i64,
) -> QueryResult<(Vec<Contact>, Option<i64>)> {
    let mut query = contacts::table.select(Contact::as_select()).into_boxed::<MultiBackend>();
    if let Some(search) = search {
        let pattern = search.contains_pattern().to_lowercase();
        let number = search.number_pattern().unwrap_or_else(|| pattern.clone());
        query = query.filter(
            lower(contacts::name.nullable()).like(pattern).escape('\\').or(contacts::phone_number.like(number)),
        );
    }
    if let Some(after) = after {
        query = query.filter(contacts::id.gt(after));
    }
    let mut rows: Vec<Contact> = query.order(contacts::id.asc()).limit(limit + 1).load(conn)?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit.max(0) as usize);
    let next = if more { rows.last().map(|c| c.id) } else { None };
    Ok((rows, next))
}

#[derive(Debug, Clone, Default)]
pub struct ContactChanges {
    /// `Some(None)` or an empty name clears it.
    pub name: Option<Option<String>>,
    pub notes: Option<String>,
}

pub fn update_contact(conn: &mut AnyConnection, id: i64, changes: ContactChanges) -> Result<Contact, ContactError> {
    if find_contact(conn, id)?.is_none() {
        return Err(ContactError::NotFound);
    }
    let name = changes.name.map(|n| n.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty()));
    if name.as_ref().is_some_and(|n| n.as_ref().is_some_and(|n| n.chars().count() > MAX_NAME_CHARS)) {
        return Err(ContactError::NameTooLong);
    }
    if changes.notes.as_ref().is_some_and(|n| n.chars().count() > MAX_NOTES_CHARS) {
        return Err(ContactError::NotesTooLong);
    }
    if let Some(name) = name {
        diesel::update(contacts::table.find(id)).set(contacts::name.eq(name)).execute(conn)?;
    }
    if let Some(notes) = changes.notes {
        diesel::update(contacts::table.find(id)).set(contacts::notes.eq(notes)).execute(conn)?;
    }
    diesel::update(contacts::table.find(id)).set(contacts::updated_at.eq(now())).execute(conn)?;
    find_contact(conn, id)?.ok_or(ContactError::NotFound)
}
