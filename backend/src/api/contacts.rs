//! `/api/contacts`: a name and notes per customer number, whether they opted out, and their tickets: what the
//! customer panel beside a thread and the Contacts page show.

use actix_web::{HttpResponse, get, patch, web};
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::ErrorBody;
use super::auth::Authenticated;
use super::body::Body;
use crate::contacts::{
    Contact, ContactChanges, ContactError, Customer, customer_by_id, customer_by_number,
    list_contacts as load_contacts, update_customer_by_number,
};
use crate::db::StoreError;
use crate::domain::{PhoneNumber, SearchQuery};
use crate::error::ApiError;
use crate::state::AppState;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ContactQuery {
    /// Part of a name, the notes or a phone number.
    q: Option<String>,
    /// `next_cursor` of the previous page.
    cursor: Option<i64>,
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct ContactList {
    contacts: Vec<Contact>,
    #[schema(required = true)]
    next_cursor: Option<i64>,
}

/// Contacts, oldest first.
#[utoipa::path(
    tag = "contacts",
    params(ContactQuery),
    responses((status = 200, body = ContactList), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []), ("session" = []))
)]
#[get("/contacts")]
pub async fn list_contacts(
    _: Authenticated,
    query: web::Query<ContactQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let ContactQuery { q, cursor, limit } = query.into_inner();
    let limit = limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(ApiError::unprocessable("invalid_limit", "limit must be from 1 to 200."));
    }
    let search = q.as_deref().and_then(SearchQuery::parse);
    let (contacts, next_cursor) = state
        .db
        .read(move |conn| load_contacts(conn, search.as_ref(), cursor, limit).map_err(StoreError::from))
        .await?;
    Ok(HttpResponse::Ok().json(ContactList { contacts, next_cursor }))
}

/// One contact, with their opt-outs per number of ours and their tickets.
#[utoipa::path(
    tag = "contacts",
    params(("id" = i64, Path)),
    responses((status = 200, body = Customer), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = []), ("session" = []))
)]
#[get("/contacts/{id}")]
pub async fn get_contact(
    auth: Authenticated,
    id: web::Path<i64>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let viewer = auth.0;
    let customer = state
        .db
        .read(move |conn| -> Result<_, StoreError> {
            let hidden = crate::inboxes::hidden_for(conn, &viewer)?;
            Ok(customer_by_id(conn, id)?.map(|c| crate::inboxes::without_hidden_tickets(c, &hidden)))
        })
        .await?
        .ok_or_else(|| ApiError::from(ContactError::NotFound))?;
    Ok(HttpResponse::Ok().json(customer))
}

/// A customer number from the path: E.164, its `+` written as is or as `%2B`.
fn customer_number(raw: &str) -> Result<PhoneNumber, ApiError> {
    // Stored numbers came from gateways, which may route numbers the metadata does not know yet.
    Ok(PhoneNumber::from_gateway(raw)?)
}

/// The customer with this phone number, as `GET /api/contacts/{id}` shows a contact: also for a number with
/// tickets but no contact yet (`id` is then `null`). 404 for a number we know nothing of.
#[utoipa::path(
    tag = "contacts",
    params(("number" = String, Path, description = "E.164, e.g. `+14155550123` (the `+` may be sent as `%2B`)")),
    responses(
        (status = 200, body = Customer),
        (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 422, description = "Not a phone number", body = ErrorBody),
    ),
    security(("bearer" = []), ("session" = []))
)]
#[get("/contacts/by-number/{number}")]
pub async fn get_customer_by_number(
    auth: Authenticated,
    number: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let number = customer_number(&number)?;
    let viewer = auth.0;
    let customer = state
        .db
        .read(move |conn| -> Result<_, StoreError> {
            let hidden = crate::inboxes::hidden_for(conn, &viewer)?;
            Ok(customer_by_number(conn, &number)?.map(|c| crate::inboxes::without_hidden_tickets(c, &hidden)))
        })
        .await?
        .ok_or_else(|| ApiError::from(ContactError::NotFound))?;
    Ok(HttpResponse::Ok().json(customer))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactUpdate {
    /// Up to 100 characters; `null` or empty clears it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, max_length = 100)]
    name: Option<Option<String>>,
    /// Up to 5,000 characters.
    #[schema(max_length = 5000)]
    notes: Option<String>,
}

impl From<ContactUpdate> for ContactChanges {
    fn from(ContactUpdate { name, notes }: ContactUpdate) -> Self {
        Self { name, notes }
    }
}

fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// Name a contact or edit their notes.
#[utoipa::path(
    tag = "contacts",
    params(("id" = i64, Path)),
    request_body = ContactUpdate,
    responses(
        (status = 200, body = Contact),
        (status = 401, body = ErrorBody),
        (status = 403, description = "Missing X-CSRF-Token", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody),
    ),
    security(("bearer" = []), ("session" = []))
)]
#[patch("/contacts/{id}")]
pub async fn update_contact(
    _: Authenticated,
    id: web::Path<i64>,
    body: Body<ContactUpdate>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let changes = ContactChanges::from(body.into_inner());
    let contact = state.db.write(move |conn| crate::contacts::update_contact(conn, id, changes)).await?;
    Ok(HttpResponse::Ok().json(contact))
}

/// Name the customer with this phone number or edit their notes; their contact is made on this first edit if
/// they have none yet. 404 for a number we know nothing of (no ticket, contact or opt-out).
#[utoipa::path(
    tag = "contacts",
    params(("number" = String, Path, description = "E.164, e.g. `+14155550123` (the `+` may be sent as `%2B`)")),
    request_body = ContactUpdate,
    responses(
        (status = 200, body = Contact),
        (status = 401, body = ErrorBody),
        (status = 403, description = "Missing X-CSRF-Token", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody),
    ),
    security(("bearer" = []), ("session" = []))
)]
#[patch("/contacts/by-number/{number}")]
pub async fn update_customer(
    _: Authenticated,
    number: web::Path<String>,
    body: Body<ContactUpdate>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let number = customer_number(&number)?;
    let changes = ContactChanges::from(body.into_inner());
    let contact = state.db.write(move |conn| update_customer_by_number(conn, &number, changes)).await?;
    Ok(HttpResponse::Ok().json(contact))
}
