//! `/api/tickets`: the queue, threads, replies, notes, assignment, read markers.

use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::ErrorBody;
use super::auth::Authenticated;
use super::body::Body;
use super::etag::Revalidation;
use super::inboxes::{ensure_message_visible, ensure_ticket_visible};
use crate::db::StoreError;
use crate::domain::{
    MessageBody, MessageId, PhoneNumber, Priority, SearchQuery, TagName, TicketId, TicketStatus, UserId,
};
use crate::error::ApiError;
use crate::inboxes::{HiddenInboxes, hidden_for};
use crate::state::AppState;
use crate::tickets::{
    AssigneeFilter, Draft, MessageCursor, MessageFilter, MessageView, TagChange, Ticket, TicketChange, TicketCounts,
    TicketCursor, TicketFilter, TicketSort, find_ticket, list_stamp, list_tickets as load_tickets, thread,
    thread_stamp, ticket_exists,
};

const DEFAULT_PAGE: i64 = 50;
const MAX_PAGE: i64 = 200;

/// The queue's filters. `GET /api/tickets` and the CSV exports (`api/export.rs`) both read them with
/// [`ListQuery::parse`], so a filter added here filters the exports too. Paging is [`PageQuery`]'s.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// `open`, `pending`, `closed`, `all` (the default), or several separated by commas (`open,pending`).
    status: Option<String>,
    /// `me`, `none` (unassigned) or a user id.
    assignee: Option<String>,
    /// Full-text search over message bodies, the customer's number and the contact's name.
    q: Option<String>,
    /// Only this customer's tickets (any number format; normalised to E.164).
    customer_number: Option<String>,
    /// Only tickets changed since this time (RFC 3339), e.g. the newest `updated_at` already seen.
    #[param(format = DateTime)]
    updated_since: Option<String>,
    /// Only tickets with this tag (by name, whatever its case).
    tag: Option<String>,
    /// Only tickets of this priority: `low`, `normal`, `high` or `urgent`.
    priority: Option<String>,
    /// Only tickets to this number of ours (one inbox), e.g. `+14155550100`.
    inbox: Option<String>,
}

/// A page of the queue: read from the same query string as [`ListQuery`] (a second extractor rather than a
/// `#[serde(flatten)]` field: serde_urlencoded hands a flattened struct only strings, so `limit` would no
/// longer parse as a number).
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<i64>,
    /// `activity` (newest activity first, the default), `waiting` (the tickets whose oldest unanswered
    /// customer text is oldest first, then those not waiting, by id) or `priority` (most urgent first, then
    /// as `waiting`). A cursor belongs to its sort. With `updated_since`, place the changed rows by the keys
    /// they carry (`updated_at`; `waiting_since`; `priority`), then `id`.
    sort: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct TicketList {
    tickets: Vec<Ticket>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    #[schema(required = true)]
    next_cursor: Option<String>,
}

fn parse_statuses(raw: &str) -> Result<Option<Vec<TicketStatus>>, ApiError> {
    if raw == "all" {
        return Ok(None);
    }
    let statuses =
        raw.split(',').map(|s| s.trim().parse::<TicketStatus>()).collect::<Result<Vec<_>, _>>().map_err(|_| {
            ApiError::unprocessable(
                "invalid_status",
                format!("status must be open, pending, closed or all, not {raw:?}."),
            )
        })?;
    Ok(Some(statuses))
}

impl ListQuery {
    /// The filter for `viewer` (`assignee=me` is them), on the first page of [`DEFAULT_PAGE`] tickets.
    pub(super) fn parse(self, viewer: UserId) -> Result<TicketFilter, ApiError> {
        let statuses = self.status.as_deref().map(parse_statuses).transpose()?.flatten();
        let assignee = match self.assignee.as_deref() {
            None => None,
            Some("me") => Some(AssigneeFilter::User(viewer)),
            Some("none") => Some(AssigneeFilter::Nobody),
            Some(raw) => Some(AssigneeFilter::User(UserId(raw.parse().map_err(|_| {
                ApiError::unprocessable("invalid_assignee", "assignee must be me, none or a user id.")
            })?))),
        };
        let customer_number = self.customer_number.map(|raw| PhoneNumber::from_gateway(&raw)).transpose()?;
        let search = self.q.as_deref().and_then(SearchQuery::parse);
        let updated_since = self
            .updated_since
            .map(|raw| {
                DateTime::parse_from_rfc3339(&raw).map(|t| t.with_timezone(&Utc).naive_utc()).map_err(|_| {
                    ApiError::unprocessable("invalid_timestamp", "updated_since must be an RFC 3339 time.")
                })
            })
            .transpose()?;
        let tag = self.tag.as_deref().map(TagName::parse).transpose()?;
        let priority = self.priority.as_deref().map(super::tagging::parse_priority).transpose()?;
        let inbox =
            self.inbox.map(|raw| PhoneNumber::from_gateway(&raw).map_err(|e| ApiError::from(e).for_field("inbox")));
        let (after, limit, sort) = (None, DEFAULT_PAGE, TicketSort::default());
        Ok(TicketFilter {
            viewer,
            statuses,
            assignee,
            customer_number,
            search,
            updated_since,
            after,
            limit,
            tag,
            priority,
            sort,
            inbox: inbox.transpose()?,
            // Set by the handler, which knows who asks.
            hidden_inboxes: HiddenInboxes::default(),
        })
    }
}

impl PageQuery {
    /// `filter` at the page this query asks for.
    fn apply(self, mut filter: TicketFilter) -> Result<TicketFilter, ApiError> {
        let sort = match self.sort.as_deref() {
            None => TicketSort::default(),
            Some(raw) => TicketSort::parse(raw).ok_or_else(|| {
                ApiError::unprocessable(
                    "invalid_sort",
                    format!("sort must be activity, waiting or priority, not {raw:?}."),
                )
            })?,
        };
        filter.sort = sort;
        filter.after = self
            .cursor
            .map(|raw| {
                TicketCursor::decode_for(&raw, sort)
                    .ok_or_else(|| ApiError::bad_request("invalid_cursor", "The cursor is not one this API returned."))
            })
            .transpose()?;
        filter.limit = self.limit.unwrap_or(DEFAULT_PAGE);
        if !(1..=MAX_PAGE).contains(&filter.limit) {
            return Err(ApiError::unprocessable("invalid_limit", format!("limit must be from 1 to {MAX_PAGE}.")));
        }
        Ok(filter)
    }
}

/// The queue: tickets with the newest activity first. Poll with `If-None-Match` (and `updated_since` for
/// only what changed).
#[utoipa::path(
    tag = "tickets",
    params(ListQuery, PageQuery, ("If-None-Match" = Option<String>, Header, description = "The ETag of the last answer", nullable = false)),
    responses(
        (status = 200, body = TicketList, headers(("ETag" = String))),
        (status = 304, description = "Nothing changed since the ETag sent"),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 422, body = ErrorBody),
    ),
    security(("bearer" = []), ("session" = []))
)]
#[get("/tickets")]
pub async fn list_tickets(
    auth: Authenticated,
    req: HttpRequest,
    query: web::Query<ListQuery>,
    page: web::Query<PageQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let viewer = auth.0.user_id;
    let mut filter = page.into_inner().apply(query.into_inner().parse(viewer)?)?;
    let revalidation = Revalidation::new(&req, viewer.0);
    let principal = auth.0;
    let fresh = state
        .db
        .read(move |conn| {
            filter.hidden_inboxes = hidden_for(conn, &principal)?;
            let stamp = list_stamp(conn, viewer)?;
            revalidation.check(&stamp, || load_tickets(conn, &filter)).map_err(StoreError::from)
        })
        .await?;
    Ok(fresh.map(|page| TicketList { tickets: page.tickets, next_cursor: page.next.map(|c| c.encode()) }).respond())
}

/// The numbers behind the queue's tabs.
#[utoipa::path(
    tag = "tickets",
    params(("If-None-Match" = Option<String>, Header, nullable = false)),
    responses((status = 200, body = TicketCounts, headers(("ETag" = String))), (status = 304, description = "Unchanged"), (status = 401, body = ErrorBody)),
    security(("bearer" = []), ("session" = []))
)]
#[get("/tickets/counts")]
pub async fn ticket_counts(
    auth: Authenticated,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let viewer = auth.0.user_id;
    let principal = auth.0;
    let (changed, hidden) = state
        .db
        .read(move |conn| -> Result<_, StoreError> {
            Ok((crate::tickets::tickets_changed(conn)?, hidden_for(conn, &principal)?))
        })
        .await?;
    let team = state.team_counts.get(&state.db, changed, &hidden).await?;
    let counts = state
        .db
        .read(move |conn| crate::tickets::ticket_counts(conn, team, viewer, &hidden).map_err(StoreError::from))
        .await?;
    Ok(Revalidation::new(&req, viewer.0).check_value(counts).respond())
}

/// One ticket.
#[utoipa::path(
    tag = "tickets",
    params(("id" = i64, Path)),
    responses((status = 200, body = Ticket), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = []), ("session" = []))
)]
#[get("/tickets/{id}")]
pub async fn get_ticket(
    auth: Authenticated,
    id: web::Path<i64>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = TicketId(id.into_inner());
    ensure_ticket_visible(&state, &auth.0, id).await?;
    let ticket = load_ticket(&state, id, auth.0.user_id).await?;
    Ok(HttpResponse::Ok().json(ticket))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TicketUpdate {
    /// `open`, `pending` (waiting on the customer) or `closed`. A closed ticket stays closed.
    #[schema(value_type = Option<TicketStatus>)]
    status: Option<String>,
    /// A user id, or `null` to unassign.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i64>)]
    assignee_id: Option<Option<UserId>>,
    /// Tag names: the ticket's tags become these. A name no tag has is created if the caller may (admins;
    /// agents when `agents_can_create_tags` is on), otherwise 422 `unknown_tag`.
    #[schema(max_items = 20)]
    tags: Option<Vec<String>>,
    #[schema(value_type = Option<Priority>)]
    priority: Option<String>,
}

pub(super) fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// Change a ticket's status or assignee.
#[utoipa::path(
    tag = "tickets",
    params(("id" = i64, Path)),
    request_body = TicketUpdate,
    responses(
        (status = 200, body = Ticket),
        (status = 401, body = ErrorBody),
        (status = 403, description = "Missing X-CSRF-Token", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "The ticket is closed", body = ErrorBody),
        (status = 422, body = ErrorBody),
    ),
    security(("bearer" = []), ("session" = []))
)]
#[patch("/tickets/{id}")]
pub async fn update_ticket(
    auth: Authenticated,
    id: web::Path<i64>,
    body: Body<TicketUpdate>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = TicketId(id.into_inner());
    let TicketUpdate { status, assignee_id, tags, priority } = body.into_inner();
    if status.is_none() && assignee_id.is_none() && tags.is_none() && priority.is_none() {
        return Err(ApiError::unprocessable(
            "nothing_to_change",
            "Send the fields to change: status, assignee_id, tags and/or priority.",
        ));
    }
    let status = status.as_deref().map(parse_status).transpose()?;
    let tags = tags.as_deref().map(super::tagging::parse_tag_names).transpose()?.map(TagChange::Replace);
    let priority = priority.as_deref().map(super::tagging::parse_priority).transpose()?;
    let may_create_tags = super::tagging::may_create_tags(&auth.0, &state);
    let change = TicketChange { status, assignee: assignee_id, tags, priority, may_create_tags };
    ensure_ticket_visible(&state, &auth.0, id).await?;
    let actor = auth.0.user_id;
    state.db.write(move |conn| crate::tickets::update_ticket(conn, id, actor, change)).await?;
    // The agent who changed it sees the tabs' numbers follow at once.
    state.team_counts.invalidate().await;
    let ticket = load_ticket(&state, id, auth.0.user_id).await?;
    Ok(HttpResponse::Ok().json(ticket))
}

/// A status an agent sets.
pub(super) fn parse_status(raw: &str) -> Result<TicketStatus, ApiError> {
    raw.parse::<TicketStatus>().map_err(|_| {
        ApiError::unprocessable("invalid_status", format!("status must be open, pending or closed, not {raw:?}."))
    })
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ThreadQuery {
    /// `cursor` of the previous answer: only messages created or changed since.
    after: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct MessageList {
    /// Oldest first.
    messages: Vec<MessageView>,
    /// Pass as `after` to get only what changes next.
    #[schema(required = true)]
    cursor: Option<String>,
}

/// A ticket's thread, oldest first. Poll with `after` and `If-None-Match`.
#[utoipa::path(
    tag = "tickets",
    params(("id" = i64, Path), ThreadQuery, ("If-None-Match" = Option<String>, Header, nullable = false)),
    responses(
        (status = 200, body = MessageList, headers(("ETag" = String))),
        (status = 304, description = "Nothing changed since the ETag sent"),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody),
    ),
    security(("bearer" = []), ("session" = []))
)]
#[get("/tickets/{id}/messages")]
pub async fn list_messages(
    auth: Authenticated,
    req: HttpRequest,
    id: web::Path<i64>,
    query: web::Query<ThreadQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let ticket_id = TicketId(id.into_inner());
    let after = query
        .into_inner()
        .after
        .map(|raw| {
            MessageCursor::decode(&raw)
                .ok_or_else(|| ApiError::bad_request("invalid_cursor", "The cursor is not one this API returned."))
        })
        .transpose()?;
    ensure_ticket_visible(&state, &auth.0, ticket_id).await?;
    let revalidation = Revalidation::new(&req, auth.0.user_id.0);
    let filter = MessageFilter { ticket_id, after };
    let fresh = state
        .db
        .read(move |conn| -> Result<_, StoreError> {
            if !ticket_exists(conn, ticket_id)? {
                return Ok(None);
            }
            let stamp = thread_stamp(conn, ticket_id)?;
            Ok(Some(revalidation.check(&stamp, || thread(conn, &filter))?))
        })
        .await?
        .ok_or_else(|| ApiError::not_found(format!("There is no ticket {ticket_id}.")))?;
    Ok(fresh
        .map(|page| MessageList {
            messages: page
                .messages
                .into_iter()
                .map(|(message, outbox)| MessageView::with_outbox(message, outbox))
                .collect(),
            cursor: page.cursor.map(|c| c.encode()),
        })
        .respond())
}

#[derive(Deserialize, ToSchema)]
pub struct NewMessage {
    /// At most 1,600 characters.
    #[schema(min_length = 1, max_length = 1600)]
    body: String,
    /// An internal note: agents see it, the customer never does.
    #[serde(default)]
    internal: bool,
}

/// Reply to the customer (queued for SMS, from the number they texted) or leave an internal note.
#[utoipa::path(
    tag = "tickets",
    params(("id" = i64, Path)),
    request_body = NewMessage,
    responses(
        (status = 201, body = MessageView),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, description = "Missing X-CSRF-Token", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "The ticket is closed, or the customer opted out", body = ErrorBody),
        (status = 413, body = ErrorBody),
        (status = 422, body = ErrorBody),
    ),
    security(("bearer" = []), ("session" = []))
)]
#[post("/tickets/{id}/messages")]
pub async fn post_message(
    auth: Authenticated,
    id: web::Path<i64>,
    payload: Body<NewMessage>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = TicketId(id.into_inner());
    let NewMessage { body, internal } = payload.into_inner();
    let draft = Draft { body: MessageBody::parse(body)?, internal };
    ensure_ticket_visible(&state, &auth.0, id).await?;
    let author = auth.0.user_id;
    let message = state.db.write(move |conn| crate::tickets::post_message(conn, id, author, draft)).await?;
    if !message.internal {
        state.outbox.message_queued();
    }
    Ok(HttpResponse::Created().json(MessageView::from(message)))
}

/// Mark everything in the ticket read for the calling agent.
#[utoipa::path(
    tag = "tickets",
    params(("id" = i64, Path)),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = []), ("session" = []))
)]
#[post("/tickets/{id}/read")]
pub async fn mark_read(
    auth: Authenticated,
    id: web::Path<i64>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let (user, id) = (auth.0.user_id, TicketId(id.into_inner()));
    ensure_ticket_visible(&state, &auth.0, id).await?;
    state.db.write_replayable(move |conn| crate::tickets::mark_read(conn, user, id)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Send a failed text to the customer again.
#[utoipa::path(
    tag = "tickets",
    params(("id" = i64, Path, description = "The message id")),
    responses(
        (status = 200, body = MessageView),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "Not a failed text, the ticket is closed, or the customer opted out", body = ErrorBody),
    ),
    security(("bearer" = []), ("session" = []))
)]
#[post("/messages/{id}/retry")]
pub async fn retry_message(
    auth: Authenticated,
    id: web::Path<i64>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = MessageId(id.into_inner());
    ensure_message_visible(&state, &auth.0, id).await?;
    let message = state.db.write(move |conn| crate::tickets::retry_message(conn, id)).await?;
    state.outbox.message_queued();
    Ok(HttpResponse::Ok().json(MessageView::from(message)))
}

async fn load_ticket(state: &AppState, id: TicketId, viewer: UserId) -> Result<Ticket, ApiError> {
    state
        .db
        .read(move |conn| find_ticket(conn, id, viewer).map_err(StoreError::from))
        .await?
        .ok_or_else(|| ApiError::not_found(format!("There is no ticket {id}.")))
}
