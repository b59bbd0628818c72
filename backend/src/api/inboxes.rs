//! `/api/inboxes` (each number of ours, its name, members and assignment policy), the agent's availability
//! (`/api/me/availability`), and the one check every per-ticket route makes: may this viewer see the ticket?

use actix_web::{HttpResponse, delete, get, patch, post, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::ErrorBody;
use super::auth::{Admin, Authenticated};
use super::body::Body;
use crate::accounts::Principal;
use crate::domain::{AssignmentPolicy, MessageId, PhoneNumber, TicketId, UserId};
use crate::error::ApiError;
use crate::inboxes::{
    Availability, Inbox, InboxChange, NewInbox, can_see_message, can_see_ticket, create_inbox as store_inbox,
    delete_inbox as drop_inbox, list_inboxes as load_inboxes, set_availability, update_inbox as store_change,
};
use crate::state::AppState;

/// 404 unless `viewer` may see the ticket: a ticket in an inbox the agent does not belong to answers as a
/// ticket that does not exist. Admins pass without a query.
pub(super) async fn ensure_ticket_visible(state: &AppState, viewer: &Principal, id: TicketId) -> Result<(), ApiError> {
    if viewer.is_admin() {
        return Ok(());
    }
    let viewer = viewer.clone();
    let visible = state.db.read(move |conn| can_see_ticket(conn, &viewer, id)).await?;
    if visible { Ok(()) } else { Err(ApiError::not_found(format!("There is no ticket {id}."))) }
}

/// As [`ensure_ticket_visible`], for a route that names a message.
pub(super) async fn ensure_message_visible(
    state: &AppState,
    viewer: &Principal,
    id: MessageId,
) -> Result<(), ApiError> {
    if viewer.is_admin() {
        return Ok(());
    }
    let viewer = viewer.clone();
    let visible = state.db.read(move |conn| can_see_message(conn, &viewer, id)).await?;
    if visible { Ok(()) } else { Err(ApiError::not_found("There is no such message.")) }
}

fn parse_number(raw: &str) -> Result<PhoneNumber, ApiError> {
    Ok(PhoneNumber::from_gateway(raw)?)
}

fn parse_policy(raw: &str) -> Result<AssignmentPolicy, ApiError> {
    raw.parse().map_err(|_| {
        ApiError::unprocessable(
            "invalid_assignment_policy",
            format!("assignment_policy must be manual or round_robin, not {raw:?}."),
        )
        .for_field("assignment_policy")
    })
}

/// The inboxes the caller can see: every one for admins; for agents, those they belong to and those with no
/// members (shared by everyone).
#[utoipa::path(
    tag = "tickets",
    responses((status = 200, body = Vec<Inbox>), (status = 401, body = ErrorBody)),
    security(("bearer" = []), ("session" = []))
)]
#[get("/inboxes")]
pub async fn list_inboxes(auth: Authenticated, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let viewer = auth.0;
    let inboxes = state.db.read(move |conn| load_inboxes(conn, &viewer)).await?;
    Ok(HttpResponse::Ok().json(inboxes))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateInbox {
    /// A number of ours, any format; stored in E.164.
    #[schema(example = "+14155550100")]
    number: String,
    #[schema(min_length = 1, max_length = 60, example = "Support")]
    name: String,
    /// User ids. None: every agent sees the inbox's tickets.
    #[serde(default)]
    #[schema(value_type = Vec<i64>)]
    members: Vec<UserId>,
    /// `manual` (the default) or `round_robin`.
    #[schema(value_type = Option<AssignmentPolicy>)]
    assignment_policy: Option<String>,
}

/// Make an inbox for a number of ours (admins only), e.g. before its first text.
#[utoipa::path(
    tag = "admin",
    request_body = CreateInbox,
    responses(
        (status = 201, body = Inbox),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 409, description = "The number has an inbox (`inbox_exists`)", body = ErrorBody),
        (status = 422, description = "`invalid_phone_number`, `invalid_inbox_name`, `invalid_assignment_policy`, `unknown_user`", body = ErrorBody),
    ),
    security(("bearer" = []), ("session" = []))
)]
#[post("/inboxes")]
pub async fn create_inbox(
    _: Admin,
    body: Body<CreateInbox>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let CreateInbox { number, name, members, assignment_policy } = body.into_inner();
    let new = NewInbox {
        number: parse_number(&number).map_err(|e| e.for_field("number"))?,
        name,
        members,
        assignment_policy: assignment_policy
            .as_deref()
            .map(parse_policy)
            .transpose()?
            .unwrap_or(AssignmentPolicy::Manual),
    };
    let inbox = state.db.write(move |conn| store_inbox(conn, new)).await?;
    Ok(HttpResponse::Created().json(inbox))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateInbox {
    #[schema(min_length = 1, max_length = 60)]
    name: Option<String>,
    /// Replaces the set of members.
    #[schema(value_type = Option<Vec<i64>>)]
    members: Option<Vec<UserId>>,
    #[schema(value_type = Option<AssignmentPolicy>)]
    assignment_policy: Option<String>,
}

/// Rename an inbox, replace its members or change its assignment policy (admins only).
#[utoipa::path(
    tag = "admin",
    params(("number" = String, Path, description = "The inbox's number, E.164 (URL-encode the +)")),
    request_body = UpdateInbox,
    responses(
        (status = 200, body = Inbox),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody),
    ),
    security(("bearer" = []), ("session" = []))
)]
#[patch("/inboxes/{number}")]
pub async fn update_inbox(
    _: Admin,
    number: web::Path<String>,
    body: Body<UpdateInbox>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let number = parse_number(&number)?;
    let UpdateInbox { name, members, assignment_policy } = body.into_inner();
    if name.is_none() && members.is_none() && assignment_policy.is_none() {
        return Err(ApiError::unprocessable(
            "nothing_to_change",
            "Send the fields to change: name, members and/or assignment_policy.",
        ));
    }
    let change =
        InboxChange { name, members, assignment_policy: assignment_policy.as_deref().map(parse_policy).transpose()? };
    let inbox = state.db.write(move |conn| store_change(conn, &number, change)).await?;
    // Members decide which tickets agents count.
    state.team_counts.invalidate().await;
    Ok(HttpResponse::Ok().json(inbox))
}

/// Delete an inbox whose number has no tickets (admins only). One with tickets answers 409
/// `inbox_has_tickets`: remove its members instead to share it with everyone.
#[utoipa::path(
    tag = "admin",
    params(("number" = String, Path, description = "The inbox's number, E.164 (URL-encode the +)")),
    responses(
        (status = 204),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "The number has tickets", body = ErrorBody),
    ),
    security(("bearer" = []), ("session" = []))
)]
#[delete("/inboxes/{number}")]
pub async fn delete_inbox(
    _: Admin,
    number: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let number = parse_number(&number)?;
    state.db.write(move |conn| drop_inbox(conn, &number)).await?;
    state.team_counts.invalidate().await;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AvailabilityBody {
    /// `away`: round robin hands the agent no new tickets (those they have stay theirs).
    availability: Availability,
}

/// Set the signed-in agent's availability. `GET /api/me` shows it as `user.away`.
#[utoipa::path(
    tag = "session",
    request_body = AvailabilityBody,
    responses(
        (status = 200, body = AvailabilityBody),
        (status = 401, body = ErrorBody),
        (status = 403, description = "Missing X-CSRF-Token", body = ErrorBody),
        (status = 422, body = ErrorBody),
    ),
    security(("session" = []), ("bearer" = []))
)]
#[patch("/me/availability")]
pub async fn update_availability(
    auth: Authenticated,
    body: Body<AvailabilityBody>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let user = auth.0.user_id;
    let wanted = body.into_inner().availability;
    let availability = state.db.write(move |conn| set_availability(conn, user, wanted)).await?;
    Ok(HttpResponse::Ok().json(AvailabilityBody { availability }))
}

impl From<crate::inboxes::InboxError> for ApiError {
    fn from(e: crate::inboxes::InboxError) -> Self {
        use crate::inboxes::InboxError;
        match e {
            InboxError::NotFound => ApiError::not_found("There is no inbox for this number."),
            InboxError::Exists => ApiError::conflict("inbox_exists", e.to_string()),
            InboxError::HasTickets => ApiError::conflict("inbox_has_tickets", e.to_string()),
            InboxError::InvalidName => ApiError::unprocessable("invalid_inbox_name", e.to_string()).for_field("name"),
            InboxError::UnknownUser(_) => ApiError::unprocessable("unknown_user", e.to_string()).for_field("members"),
            InboxError::Store(e) => e.into(),
        }
    }
}
