//! Contacts: what agents know about a customer's phone number (a name, notes), and whether they opted out.
//!
//! A customer is a phone number. Their contact row (name, notes) is made with their first ticket; tickets
//! from before contacts existed may have none, so the customer panel is looked up by number too
//! ([`customer_by_number`]), and the first edit of such a customer makes their row ([`update_customer_by_number`]).

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use crate::db::schema::{contacts, opt_outs, tickets};
use crate::db::{AnyConnection, MultiBackend, StoreError, contact_for_number, lower, now};
use crate::domain::{PhoneNumber, SearchQuery, TicketId, TicketStatus};
use crate::json::{utc, utc_opt};

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

/// Contacts whose name, notes or number match `search`, oldest first; `after` is the last id of the previous page.
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
            lower(contacts::name.nullable())
                .like(pattern.clone())
                .escape('\\')
                .or(lower(contacts::notes.nullable()).like(pattern).escape('\\'))
                .or(contacts::phone_number.like(number)),
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

/// Everything the customer panel shows about one phone number: who they are, since when we know them,
/// where they opted out, and their tickets on any of our numbers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Customer {
    /// `null` for a number with tickets from before contacts existed: its first edit makes the contact.
    #[schema(required = true)]
    pub id: Option<i64>,
    #[schema(example = "+14155550123")]
    pub phone_number: String,
    /// The number as people write it.
    #[schema(example = "+1 415-555-0123")]
    pub phone_number_display: String,
    #[schema(required = true)]
    pub name: Option<String>,
    pub notes: String,
    /// The earliest of the contact's creation and the number's first ticket.
    #[serde(serialize_with = "utc")]
    pub first_seen_at: NaiveDateTime,
    /// They sent STOP to at least one of our numbers (`numbers` says which).
    pub opted_out: bool,
    /// When the contact was made and last edited; `null` while there is none.
    #[serde(serialize_with = "utc_opt")]
    #[schema(required = true)]
    pub created_at: Option<NaiveDateTime>,
    #[serde(serialize_with = "utc_opt")]
    #[schema(required = true)]
    pub updated_at: Option<NaiveDateTime>,
    /// Each number of ours this customer texted or was texted from (or opted out of), by number.
    pub numbers: Vec<CustomerNumber>,
    /// Their tickets on any of our numbers, newest first, at most [`MAX_CUSTOMER_TICKETS`].
    pub tickets: Vec<CustomerTicket>,
    /// There are older tickets than those listed.
    pub more_tickets: bool,
}

/// Whether the customer can be texted from one number of ours.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct CustomerNumber {
    #[schema(example = "+14155550100")]
    pub channel_number: String,
    /// When they sent STOP to this number; `null`: they can be texted from it.
    #[serde(serialize_with = "utc_opt")]
    #[schema(required = true)]
    pub opted_out_at: Option<NaiveDateTime>,
}

/// One of a customer's tickets, as the panel lists it.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Serialize, ToSchema)]
#[diesel(table_name = tickets)]
pub struct CustomerTicket {
    pub id: TicketId,
    pub status: TicketStatus,
    #[schema(example = "+14155550100")]
    pub channel_number: String,
    #[serde(serialize_with = "utc")]
    pub created_at: NaiveDateTime,
    /// The latest message from a person (customer or agent).
    #[serde(serialize_with = "utc_opt")]
    #[schema(required = true)]
    pub last_message_at: Option<NaiveDateTime>,
    /// The start of that message.
    #[diesel(column_name = last_message_preview)]
    #[schema(required = true)]
    pub preview: Option<String>,
}

/// How many tickets the panel lists: a customer has a handful; a number that texts daily for years must not
/// make the panel a megabyte.
pub const MAX_CUSTOMER_TICKETS: i64 = 100;

/// The customer panel of contact `id`.
pub fn customer_by_id(conn: &mut AnyConnection, id: i64) -> QueryResult<Option<Customer>> {
    match find_contact(conn, id)? {
        Some(contact) => customer_of(conn, contact.phone_number.clone(), Some(contact)).map(Some),
        None => Ok(None),
    }
}

/// The customer panel of a phone number: `None` when we know nothing of it (no contact, ticket or opt-out).
pub fn customer_by_number(conn: &mut AnyConnection, number: &PhoneNumber) -> QueryResult<Option<Customer>> {
    let contact = contact_with_number(conn, number.as_str())?;
    let customer = customer_of(conn, number.as_str().to_owned(), contact)?;
    let known = customer.id.is_some() || !customer.tickets.is_empty() || !customer.numbers.is_empty();
    Ok(known.then_some(customer))
}

fn contact_with_number(conn: &mut AnyConnection, number: &str) -> QueryResult<Option<Contact>> {
    Ok(contacts::table.filter(contacts::phone_number.eq(number)).select(Contact::as_select()).load(conn)?.pop())
}

fn customer_of(conn: &mut AnyConnection, phone_number: String, contact: Option<Contact>) -> QueryResult<Customer> {
    let mut tickets: Vec<CustomerTicket> = tickets::table
        .filter(tickets::customer_number.eq(&phone_number))
        .order((tickets::created_at.desc(), tickets::id.desc()))
        .limit(MAX_CUSTOMER_TICKETS + 1)
        .select(CustomerTicket::as_select())
        .load(conn)?;
    let more_tickets = tickets.len() as i64 > MAX_CUSTOMER_TICKETS;
    tickets.truncate(MAX_CUSTOMER_TICKETS as usize);
    // The first ticket may be beyond the listed ones; the channels too.
    let (first_ticket_at, channels): (Option<NaiveDateTime>, Vec<String>) = if more_tickets {
        let first = tickets::table
            .filter(tickets::customer_number.eq(&phone_number))
            .select(diesel::dsl::min(tickets::created_at))
            .first(conn)?;
        let channels = tickets::table
            .filter(tickets::customer_number.eq(&phone_number))
            .select(tickets::channel_number)
            .distinct()
            .load(conn)?;
        (first, channels)
    } else {
        (tickets.iter().map(|t| t.created_at).min(), tickets.iter().map(|t| t.channel_number.clone()).collect())
    };
    let opted_out: Vec<(String, NaiveDateTime)> = opt_outs::table
        .filter(opt_outs::customer_number.eq(&phone_number))
        .select((opt_outs::channel_number, opt_outs::created_at))
        .load(conn)?;
    let numbers = numbers_of_ours(channels, opted_out);
    let first_seen_at = [contact.as_ref().map(|c| c.created_at), first_ticket_at]
        .into_iter()
        .flatten()
        .min()
        // Known only from an opt-out (a STOP always opens a ticket, so only from data copied in by hand).
        .or_else(|| numbers.iter().filter_map(|n| n.opted_out_at).min())
        .unwrap_or_else(now);
    let phone_number_display = PhoneNumber::display(&phone_number);
    let opted_out = numbers.iter().any(|n| n.opted_out_at.is_some());
    Ok(Customer {
        id: contact.as_ref().map(|c| c.id),
        phone_number,
        phone_number_display,
        name: contact.as_ref().and_then(|c| c.name.clone()),
        first_seen_at,
        opted_out,
        created_at: contact.as_ref().map(|c| c.created_at),
        updated_at: contact.as_ref().map(|c| c.updated_at),
        notes: contact.map(|c| c.notes).unwrap_or_default(),
        numbers,
        tickets,
        more_tickets,
    })
}

/// Every number of ours in `channels` or `opted_out`, once, sorted, with its opt-out time if any.
fn numbers_of_ours(channels: Vec<String>, opted_out: Vec<(String, NaiveDateTime)>) -> Vec<CustomerNumber> {
    let mut numbers: std::collections::BTreeMap<String, Option<NaiveDateTime>> =
        channels.into_iter().map(|number| (number, None)).collect();
    for (number, at) in opted_out {
        numbers.insert(number, Some(at));
    }
    numbers.into_iter().map(|(channel_number, opted_out_at)| CustomerNumber { channel_number, opted_out_at }).collect()
}

/// Names a customer or edits their notes by number, making their contact first if they have none (and
/// linking their tickets to it). A number we know nothing of is [`ContactError::NotFound`].
pub fn update_customer_by_number(
    conn: &mut AnyConnection,
    number: &PhoneNumber,
    changes: ContactChanges,
) -> Result<Contact, ContactError> {
    let id = match contact_with_number(conn, number.as_str())? {
        Some(contact) => contact.id,
        None => {
            if customer_by_number(conn, number)?.is_none() {
                return Err(ContactError::NotFound);
            }
            create_contact(conn, number.as_str())?
        }
    };
    update_contact(conn, id, changes)
}

/// Makes the contact of a number that has none (as a first text does), and links the number's tickets to it.
fn create_contact(conn: &mut AnyConnection, number: &str) -> QueryResult<i64> {
    let id = contact_for_number(conn, number)?;
    diesel::update(tickets::table.filter(tickets::customer_number.eq(number)).filter(tickets::contact_id.is_null()))
        .set(tickets::contact_id.eq(id))
        .execute(conn)?;
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(minute: u32) -> NaiveDateTime {
        chrono::NaiveDate::from_ymd_opt(2026, 1, 1).and_then(|d| d.and_hms_opt(12, minute, 0)).unwrap_or_default()
    }

    #[test]
    fn each_number_of_ours_is_listed_once_with_its_opt_out() {
        let numbers = numbers_of_ours(
            vec!["+14155550199".into(), "+14155550100".into(), "+14155550199".into()],
            vec![("+14155550199".into(), at(5)), ("+14155550142".into(), at(7))],
        );
        assert_eq!(
            numbers,
            [
                CustomerNumber { channel_number: "+14155550100".into(), opted_out_at: None },
                CustomerNumber { channel_number: "+14155550142".into(), opted_out_at: Some(at(7)) },
                CustomerNumber { channel_number: "+14155550199".into(), opted_out_at: Some(at(5)) },
            ]
        );
    }
}
