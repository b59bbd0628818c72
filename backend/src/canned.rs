//! Canned replies: texts agents send often, with `{ticket_id}`, `{contact_name}`, `{business_name}` and
//! `{agent_name}` filled in per ticket and agent by the template engine the confirmation uses
//! ([`crate::domain::Template`]).

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use crate::db::schema::canned_replies;
use crate::db::{AnyConnection, StoreError, now};
use crate::domain::{MAX_BODY_CHARS, REPLY_PLACEHOLDERS, Template, TemplateError, Values};
use crate::json::utc;

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Serialize, ToSchema)]
#[diesel(table_name = canned_replies)]
pub struct CannedReply {
    pub id: i64,
    pub title: String,
    /// As written: may contain `{ticket_id}`, `{contact_name}` (or `{contact_name|there}`, with a fallback
    /// for a contact without a name), `{business_name}` and `{agent_name}`; `{{` and `}}` are literal braces.
    pub body: String,
    #[serde(serialize_with = "utc")]
    pub created_at: NaiveDateTime,
    #[serde(serialize_with = "utc")]
    pub updated_at: NaiveDateTime,
}

/// Fills a canned reply's placeholders for one ticket and agent. A reply stored before placeholders were
/// checked renders what is not a placeholder as literal text, as it always did, until an admin edits it.
pub fn render(body: &str, values: &Values<'_>) -> String {
    match Template::parse_stored(body, REPLY_PLACEHOLDERS) {
        Ok(template) => template.render(values),
        // Only a NUL character, which no database stores.
        Err(_) => body.to_owned(),
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CannedReplyError {
    #[error("canned reply not found")]
    NotFound,
    #[error("the title must be 1 to 100 characters")]
    InvalidTitle,
    #[error("the body must be 1 to {MAX_BODY_CHARS} characters")]
    InvalidBody,
    /// Something in braces that is not a placeholder a reply may use; the message names it.
    #[error(transparent)]
    Template(TemplateError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<diesel::result::Error> for CannedReplyError {
    fn from(e: diesel::result::Error) -> Self {
        Self::Store(e.into())
    }
}

fn check_title(title: &str) -> Result<String, CannedReplyError> {
    let title = title.trim();
    if title.is_empty() || title.chars().count() > 100 {
        return Err(CannedReplyError::InvalidTitle);
    }
    Ok(title.to_owned())
}

fn check_body(body: &str) -> Result<(), CannedReplyError> {
    if body.trim().is_empty() || body.chars().count() > MAX_BODY_CHARS {
        return Err(CannedReplyError::InvalidBody);
    }
    Template::parse(body, REPLY_PLACEHOLDERS).map_err(|e| match e {
        TemplateError::NulCharacter => CannedReplyError::InvalidBody,
        e => CannedReplyError::Template(e),
    })?;
    Ok(())
}

pub fn list_canned_replies(conn: &mut AnyConnection) -> QueryResult<Vec<CannedReply>> {
    canned_replies::table.order(canned_replies::title.asc()).select(CannedReply::as_select()).load(conn)
}

pub fn find_canned_reply(conn: &mut AnyConnection, id: i64) -> QueryResult<Option<CannedReply>> {
    Ok(canned_replies::table.filter(canned_replies::id.eq(id)).select(CannedReply::as_select()).load(conn)?.pop())
}

pub fn create_canned_reply(conn: &mut AnyConnection, title: &str, body: &str) -> Result<CannedReply, CannedReplyError> {
    let title = check_title(title)?;
    check_body(body)?;
    let now = now();
    let insert = diesel::insert_into(canned_replies::table).values((
        canned_replies::title.eq(&title),
        canned_replies::body.eq(body),
        canned_replies::created_at.eq(now),
        canned_replies::updated_at.eq(now),
    ));
    let id: i64 = crate::insert_returning_id!(conn, insert, canned_replies::id)?;
    find_canned_reply(conn, id)?.ok_or(CannedReplyError::NotFound)
}

pub fn update_canned_reply(
    conn: &mut AnyConnection,
    id: i64,
    title: Option<&str>,
    body: Option<&str>,
) -> Result<CannedReply, CannedReplyError> {
    if find_canned_reply(conn, id)?.is_none() {
        return Err(CannedReplyError::NotFound);
    }
    if let Some(title) = title {
        let title = check_title(title)?;
        diesel::update(canned_replies::table.find(id)).set(canned_replies::title.eq(title)).execute(conn)?;
    }
    if let Some(body) = body {
        check_body(body)?;
        diesel::update(canned_replies::table.find(id)).set(canned_replies::body.eq(body)).execute(conn)?;
    }
    diesel::update(canned_replies::table.find(id)).set(canned_replies::updated_at.eq(now())).execute(conn)?;
    find_canned_reply(conn, id)?.ok_or(CannedReplyError::NotFound)
}

pub fn delete_canned_reply(conn: &mut AnyConnection, id: i64) -> Result<(), CannedReplyError> {
    match diesel::delete(canned_replies::table.find(id)).execute(conn)? {
        0 => Err(CannedReplyError::NotFound),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::TicketId;

    fn values(contact_name: Option<&'static str>) -> Values<'static> {
        Values { ticket_id: TicketId(7), contact_name, business_name: "Acme", agent_name: Some("Bo") }
    }

    #[test]
    fn placeholders_are_filled_per_ticket_and_agent() {
        let body = "Hi {contact_name|there}, {agent_name} here about ticket {ticket_id}";
        assert_eq!(render(body, &values(Some("Ana"))), "Hi Ana, Bo here about ticket 7");
        assert_eq!(render(body, &values(None)), "Hi there, Bo here about ticket 7");
        assert_eq!(render("Hi {contact_name}!", &values(None)), "Hi!");
    }

    #[test]
    fn a_body_is_checked_by_the_template_engine_but_a_stored_one_still_renders() {
        assert!(matches!(
            check_body("Hi {name}"),
            Err(CannedReplyError::Template(TemplateError::UnknownPlaceholder { .. }))
        ));
        assert!(matches!(
            check_body("Hi {agent_name"),
            Err(CannedReplyError::Template(TemplateError::Unclosed { .. }))
        ));
        assert!(check_body("Hi {agent_name}, {{literal}").is_ok());
        assert_eq!(render("Hi {name}, ticket {ticket_id}", &values(None)), "Hi {name}, ticket 7");
    }
}
