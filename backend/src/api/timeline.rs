//! `/api/tickets/{id}/events`: a ticket's timeline.

use actix_web::{HttpRequest, HttpResponse, get, web};
use serde::Serialize;
use utoipa::ToSchema;

use super::ErrorBody;
use super::auth::Authenticated;
use super::etag::Revalidation;
use crate::db::StoreError;
use crate::domain::TicketId;
use crate::error::ApiError;
use crate::state::AppState;
use crate::tickets::events::TicketEvent;
use crate::tickets::{events_stamp, ticket_events, ticket_exists};

#[derive(Serialize, ToSchema)]
pub struct EventList {
    /// Oldest first.
    events: Vec<TicketEvent>,
}

/// What was done to a ticket, by whom and when: assignments, status changes, auto-close, reopen, opt-out and
/// opt-in, failed deliveries. The dashboard shows them among the messages. Poll with `If-None-Match`.
#[utoipa::path(
    tag = "tickets",
    params(("id" = i64, Path), ("If-None-Match" = Option<String>, Header, nullable = false)),
    responses(
        (status = 200, body = EventList, headers(("ETag" = String))),
        (status = 304, description = "Nothing changed since the ETag sent"),
        (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody),
    ),
    security(("bearer" = []), ("session" = []))
)]
#[get("/tickets/{id}/events")]
pub async fn list_events(
    auth: Authenticated,
    req: HttpRequest,
    id: web::Path<i64>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let ticket_id = TicketId(id.into_inner());
    super::inboxes::ensure_ticket_visible(&state, &auth.0, ticket_id).await?;
    let revalidation = Revalidation::new(&req, auth.0.user_id.0);
    let fresh = state
        .db
        .read(move |conn| -> Result<_, StoreError> {
            if !ticket_exists(conn, ticket_id)? {
                return Ok(None);
            }
            let stamp = events_stamp(conn, ticket_id)?;
            Ok(Some(revalidation.check(&stamp, || ticket_events(conn, ticket_id))?))
        })
        .await?
        .ok_or_else(|| ApiError::not_found(format!("There is no ticket {ticket_id}.")))?;
    Ok(fresh.map(|events| EventList { events }).respond())
}
