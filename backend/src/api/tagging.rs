//! `/api/tags` (admins manage tag names and colours; everyone reads them) and `/api/tickets/bulk` (one change
//! to many tickets).

use actix_web::{HttpResponse, delete, get, patch, post, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::ErrorBody;
use super::auth::{Admin, Authenticated};
use super::body::Body;
use crate::accounts::Principal;
use crate::db::StoreError;
use crate::domain::{Priority, TagError, TagName, TicketId, TicketStatus, UserId};
use crate::error::ApiError;
use crate::state::AppState;
use crate::tags::{Tag, TagAdminError, create_tag as store_tag, delete_tag as drop_tag, list_tags as load_tags};
use crate::tickets::{TagChange, TicketChange};

/// The most tags one request names.
const MAX_TAGS: usize = 20;
/// The most tickets one bulk request changes.
pub const MAX_BULK: usize = 200;

impl From<TagError> for ApiError {
    fn from(e: TagError) -> Self {
        match e {
            TagError::InvalidName => ApiError::unprocessable("invalid_tag_name", e.to_string()),
            TagError::InvalidColour => ApiError::unprocessable("invalid_colour", e.to_string()),
        }
    }
}

impl From<TagAdminError> for ApiError {
    fn from(e: TagAdminError) -> Self {
        match e {
            TagAdminError::NotFound => ApiError::not_found("There is no such tag."),
            TagAdminError::NameTaken(_) => ApiError::conflict("tag_name_taken", e.to_string()),
            TagAdminError::Invalid(e) => e.into(),
            TagAdminError::Store(e) => e.into(),
        }
    }
}

/// Tag names as a request sends them: each checked, at most [`MAX_TAGS`].
pub(super) fn parse_tag_names(raw: &[String]) -> Result<Vec<TagName>, ApiError> {
    if raw.len() > MAX_TAGS {
        return Err(ApiError::unprocessable("too_many_tags", format!("Name at most {MAX_TAGS} tags at once.")));
    }
    raw.iter().map(|name| TagName::parse(name).map_err(ApiError::from)).collect()
}

pub(super) fn parse_priority(raw: &str) -> Result<Priority, ApiError> {
    raw.parse().map_err(|_| {
        ApiError::unprocessable(
            "invalid_priority",
            format!("priority must be low, normal, high or urgent, not {raw:?}."),
        )
    })
}

/// Whether a tag name no tag has yet may be created by this person's change: admins always, agents when
/// the `agents_can_create_tags` setting allows.
pub(super) fn may_create_tags(principal: &Principal, state: &AppState) -> bool {
    principal.is_admin() || state.settings.get().agents_can_create_tags
}

#[derive(Serialize, ToSchema)]
pub struct TagList {
    /// By name.
    tags: Vec<Tag>,
    /// Whether the caller may create a tag by putting a new name on a ticket (admins; agents when an admin
    /// turned `agents_can_create_tags` on).
    can_create: bool,
}

/// Every tag, by name.
#[utoipa::path(
    tag = "tickets",
    responses((status = 200, body = TagList), (status = 401, body = ErrorBody)),
    security(("bearer" = []), ("session" = []))
)]
#[get("/tags")]
pub async fn list_tags(auth: Authenticated, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let tags = state.db.read(|conn| load_tags(conn).map_err(StoreError::from)).await?;
    Ok(HttpResponse::Ok().json(TagList { tags, can_create: may_create_tags(&auth.0, &state) }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TagInput {
    /// 1 to 40 characters, no commas; unique whatever the case.
    #[schema(min_length = 1, max_length = 40, example = "refund")]
    name: Option<String>,
    /// `#rrggbb`; a new tag without one is grey.
    #[schema(example = "#d97706")]
    colour: Option<String>,
}

/// Add a tag.
#[utoipa::path(
    tag = "admin",
    request_body = TagInput,
    responses(
        (status = 201, body = Tag),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 409, description = "A tag has the name (`tag_name_taken`)", body = ErrorBody),
        (status = 422, description = "A bad name or colour (`invalid_tag_name`, `invalid_colour`)", body = ErrorBody),
    ),
    security(("bearer" = []), ("session" = []))
)]
#[post("/tags")]
pub async fn create_tag(_: Admin, body: Body<TagInput>, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let TagInput { name, colour } = body.into_inner();
    let name = name.unwrap_or_default();
    let tag = state.db.write(move |conn| store_tag(conn, &name, colour.as_deref())).await?;
    Ok(HttpResponse::Created().json(tag))
}

/// Rename or recolour a tag; the tickets that carry it show the change.
#[utoipa::path(
    tag = "admin",
    params(("id" = i64, Path)),
    request_body = TagInput,
    responses(
        (status = 200, body = Tag),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "Another tag has the name (`tag_name_taken`)", body = ErrorBody),
        (status = 422, description = "A bad name or colour (`invalid_tag_name`, `invalid_colour`)", body = ErrorBody),
    ),
    security(("bearer" = []), ("session" = []))
)]
#[patch("/tags/{id}")]
pub async fn update_tag(
    _: Admin,
    id: web::Path<i64>,
    body: Body<TagInput>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let TagInput { name, colour } = body.into_inner();
    let tag = state.db.write(move |conn| crate::tags::update_tag(conn, id, name.as_deref(), colour.as_deref())).await?;
    Ok(HttpResponse::Ok().json(tag))
}

/// Delete a tag: it comes off every ticket.
#[utoipa::path(
    tag = "admin",
    params(("id" = i64, Path)),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = []), ("session" = []))
)]
#[delete("/tags/{id}")]
pub async fn delete_tag(_: Admin, id: web::Path<i64>, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    state.db.write(move |conn| drop_tag(conn, id)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// One change for many tickets: exactly one of the fields.
#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct BulkChange {
    /// A user id, or `null` to unassign.
    #[serde(default, deserialize_with = "super::tickets::present")]
    #[schema(value_type = Option<i64>)]
    assignee_id: Option<Option<UserId>>,
    #[schema(value_type = Option<TicketStatus>)]
    status: Option<String>,
    /// Replaces each ticket's tags.
    tags: Option<Vec<String>>,
    tags_add: Option<Vec<String>>,
    tags_remove: Option<Vec<String>>,
    #[schema(value_type = Option<Priority>)]
    priority: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkRequest {
    /// 1 to 200 tickets.
    #[schema(value_type = Vec<i64>, min_items = 1, max_items = 200)]
    ticket_ids: Vec<TicketId>,
    change: BulkChange,
}

/// What became of one ticket of a bulk change.
#[derive(Serialize, ToSchema)]
pub struct BulkOutcome {
    #[schema(value_type = i64)]
    ticket_id: TicketId,
    ok: bool,
    /// When not `ok`: the error code the same change to this ticket alone gets (`not_found`,
    /// `newer_ticket_open`, `unknown_tag`…).
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct BulkResult {
    /// One per ticket, in the order asked.
    results: Vec<BulkOutcome>,
}

impl BulkChange {
    fn parse(self, may_create_tags: bool) -> Result<TicketChange, ApiError> {
        let given = [
            self.assignee_id.is_some(),
            self.status.is_some(),
            self.tags.is_some(),
            self.tags_add.is_some(),
            self.tags_remove.is_some(),
            self.priority.is_some(),
        ];
        if given.iter().filter(|g| **g).count() != 1 {
            return Err(ApiError::unprocessable(
                "invalid_change",
                "Send exactly one change: assignee_id, status, tags, tags_add, tags_remove or priority.",
            ));
        }
        let status = self.status.as_deref().map(super::tickets::parse_status).transpose()?;
        let tags = match (self.tags, self.tags_add, self.tags_remove) {
            (Some(names), _, _) => Some(TagChange::Replace(parse_tag_names(&names)?)),
            (_, Some(names), _) => Some(TagChange::Add(parse_tag_names(&names)?)),
            (_, _, Some(names)) => Some(TagChange::Remove(parse_tag_names(&names)?)),
            _ => None,
        };
        let priority = self.priority.as_deref().map(parse_priority).transpose()?;
        Ok(TicketChange { status, assignee: self.assignee_id, tags, priority, may_create_tags })
    }
}

/// Apply one change to several tickets: each ticket on its own, as `PATCH /api/tickets/{id}` would (all of
/// the change or none of it per ticket), each with its outcome.
#[utoipa::path(
    tag = "tickets",
    request_body = BulkRequest,
    responses(
        (status = 200, body = BulkResult),
        (status = 401, body = ErrorBody),
        (status = 403, description = "Missing X-CSRF-Token", body = ErrorBody),
        (status = 422, description = "No or too many tickets (`invalid_ticket_ids`), not exactly one change (`invalid_change`), or a bad value", body = ErrorBody),
    ),
    security(("bearer" = []), ("session" = []))
)]
#[post("/tickets/bulk")]
pub async fn bulk_update(
    auth: Authenticated,
    body: Body<BulkRequest>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let BulkRequest { ticket_ids, change } = body.into_inner();
    let mut ids: Vec<TicketId> = Vec::with_capacity(ticket_ids.len());
    for id in ticket_ids {
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    if ids.is_empty() || ids.len() > MAX_BULK {
        return Err(ApiError::unprocessable(
            "invalid_ticket_ids",
            format!("Send 1 to {MAX_BULK} ticket ids in ticket_ids."),
        ));
    }
    let change = change.parse(may_create_tags(&auth.0, &state))?;
    // A ticket in an inbox hidden from the agent answers as one that does not exist, as on its own route.
    let hidden = {
        let (viewer, asked) = (auth.0.clone(), ids.clone());
        state.db.read(move |conn| crate::inboxes::hidden_tickets(conn, &viewer, &asked)).await?
    };
    let requested = ids.clone();
    ids.retain(|id| !hidden.contains(id));
    let mut outcomes = crate::tickets::update_tickets(&state.db, &ids, auth.0.user_id, &change).await;
    outcomes.extend(hidden.into_iter().map(|id| (id, Err(crate::tickets::TicketError::TicketNotFound))));
    outcomes.sort_by_key(|(id, _)| requested.iter().position(|asked| asked == id));
    // Once for the whole request: the agent sees the tabs' numbers follow at once.
    state.team_counts.invalidate().await;
    let results = outcomes
        .into_iter()
        .map(|(ticket_id, outcome)| match outcome {
            Ok(()) => BulkOutcome { ticket_id, ok: true, error: None, message: None },
            Err(e) => {
                let error = ApiError::from(e);
                if error.code() == "internal_error" {
                    tracing::error!(ticket_id = ticket_id.0, error = ?error, "a bulk change failed");
                }
                BulkOutcome {
                    ticket_id,
                    ok: false,
                    error: Some(error.code().to_owned()),
                    message: Some(error.to_string()),
                }
            }
        })
        .collect();
    Ok(HttpResponse::Ok().json(BulkResult { results }))
}
