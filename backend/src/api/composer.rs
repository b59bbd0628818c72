//! Writing to customers: new conversations, canned replies and the SMS segment counter.

use actix_web::{HttpResponse, delete, get, patch, post, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::ErrorBody;
use super::auth::{Admin, Authenticated};
use super::body::Body;
use crate::accounts::find_user;
use crate::canned::{
    CannedReply, create_canned_reply as store_reply, delete_canned_reply as drop_reply,
    list_canned_replies as load_replies, render, update_canned_reply as change_reply,
};
use crate::db::StoreError;
use crate::domain::{MessageBody, PhoneNumber, SegmentCount, TicketId, UserId, Values};
use crate::error::ApiError;
use crate::state::AppState;
use crate::tickets::{Conversation, MessageView, Ticket, find_ticket, start_conversation as open_conversation};

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewConversation {
    /// The customer's number, with its country code (normalised to E.164).
    #[schema(example = "+14155550123")]
    to: String,
    #[schema(min_length = 1, max_length = 1600)]
    body: String,
    /// Which number of ours to text from (default: the `default_sender_number` setting); one of
    /// `GET /api/numbers`.
    from: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ConversationStarted {
    ticket: Ticket,
    message: MessageView,
}

/// Text a number that has not written in. Joins that number's open ticket or opens one (without an
/// automatic confirmation).
#[utoipa::path(
    tag = "composer",
    request_body = NewConversation,
    responses(
        (status = 201, body = ConversationStarted),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, description = "Missing X-CSRF-Token", body = ErrorBody),
        (status = 409, description = "The customer opted out", body = ErrorBody),
        (status = 422, description = "Invalid number or body, a sender that is not ours (`unknown_sender_number`), or no sender number configured", body = ErrorBody),
    ),
    security(("bearer" = []), ("session" = []))
)]
#[post("/conversations")]
pub async fn start_conversation(
    auth: Authenticated,
    body: Body<NewConversation>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let NewConversation { to, body, from } = body.into_inner();
    let to = PhoneNumber::parse(&to)?;
    let body = MessageBody::parse(body)?;
    let from = from.map(|raw| PhoneNumber::parse(&raw)).transpose()?;
    let author = auth.0.user_id;
    let conversation = Conversation { to, from, body };
    let settings = state.settings.get();
    let (ticket_id, message) =
        state.db.write(move |conn| open_conversation(conn, author, &conversation, &settings)).await?;
    state.outbox.message_queued();
    state.team_counts.invalidate().await;
    let ticket = state
        .db
        .read(move |conn| find_ticket(conn, ticket_id, author).map_err(StoreError::from))
        .await?
        .ok_or_else(|| ApiError::internal("the new conversation's ticket vanished"))?;
    Ok(HttpResponse::Created().json(ConversationStarted { ticket, message: MessageView::from(message) }))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CannedQuery {
    /// Fill in each reply's placeholders for this ticket (`rendered`).
    ticket_id: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct CannedReplyView {
    #[serde(flatten)]
    reply: CannedReply,
    /// The body with its placeholders filled in for the ticket and the agent asking, when `ticket_id` was
    /// given. A contact without a name takes the fallback (`{contact_name|there}`), or is left out with the
    /// space before it (`Hi {contact_name}, …` reads `Hi, …`).
    #[schema(required = true)]
    rendered: Option<String>,
}

/// Canned replies, by title. With `ticket_id`, each comes filled in for that ticket.
#[utoipa::path(
    tag = "composer",
    params(CannedQuery),
    responses((status = 200, body = Vec<CannedReplyView>), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = []), ("session" = []))
)]
#[get("/canned-replies")]
pub async fn list_canned_replies(
    auth: Authenticated,
    query: web::Query<CannedQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let viewer: UserId = auth.0.user_id;
    let ticket_id = query.into_inner().ticket_id.map(TicketId);
    let (replies, ticket, agent) = state
        .db
        .read(move |conn| -> Result<_, StoreError> {
            let ticket = ticket_id.map(|id| find_ticket(conn, id, viewer)).transpose()?.flatten();
            // The agent's name, only when there is something to fill in.
            let agent = ticket.as_ref().map(|_| find_user(conn, viewer)).transpose()?.flatten();
            Ok((load_replies(conn)?, ticket, agent))
        })
        .await?;
    if ticket_id.is_some() && ticket.is_none() {
        return Err(ApiError::not_found("There is no such ticket."));
    }
    let settings = state.settings.get();
    let values = ticket.as_ref().map(|t| Values {
        ticket_id: t.id,
        contact_name: t.contact.as_ref().and_then(|c| c.name.as_deref()),
        business_name: &settings.business_name,
        agent_name: agent.as_ref().map(|a| a.name.as_str()),
    });
    let views: Vec<CannedReplyView> = replies
        .into_iter()
        .map(|reply| {
            let rendered = values.as_ref().map(|values| render(&reply.body, values));
            CannedReplyView { reply, rendered }
        })
        .collect();
    Ok(HttpResponse::Ok().json(views))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CannedReplyInput {
    #[schema(min_length = 1, max_length = 100)]
    title: Option<String>,
    /// May contain `{ticket_id}`, `{contact_name}`, `{contact_name|fallback}`, `{business_name}` and
    /// `{agent_name}`; `{{` and `}}` are literal braces. Anything else in braces is refused with 422
    /// `unknown_placeholder` (a `{` never closed: `unclosed_brace`), with `field` set to `body`.
    #[schema(min_length = 1, max_length = 1600)]
    body: Option<String>,
}

/// Add a canned reply.
#[utoipa::path(
    tag = "composer",
    request_body = CannedReplyInput,
    responses((status = 201, body = CannedReply), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, description = "An empty title or body (`invalid_title`, `invalid_body`), or a body with an unknown placeholder (`unknown_placeholder`) or a `{` never closed (`unclosed_brace`); `field` is `body` for those", body = ErrorBody)),
    security(("bearer" = []), ("session" = []))
)]
#[post("/canned-replies")]
pub async fn create_canned_reply(
    _: Admin,
    body: Body<CannedReplyInput>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let CannedReplyInput { title, body } = body.into_inner();
    let (title, body) = (title.unwrap_or_default(), body.unwrap_or_default());
    let reply = state.db.write(move |conn| store_reply(conn, &title, &body)).await?;
    Ok(HttpResponse::Created().json(reply))
}

/// Change a canned reply's title or body.
#[utoipa::path(
    tag = "composer",
    params(("id" = i64, Path)),
    request_body = CannedReplyInput,
    responses((status = 200, body = CannedReply), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, description = "An empty title or body (`invalid_title`, `invalid_body`), or a body with an unknown placeholder (`unknown_placeholder`) or a `{` never closed (`unclosed_brace`); `field` is `body` for those", body = ErrorBody)),
    security(("bearer" = []), ("session" = []))
)]
#[patch("/canned-replies/{id}")]
pub async fn update_canned_reply(
    _: Admin,
    id: web::Path<i64>,
    body: Body<CannedReplyInput>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let CannedReplyInput { title, body } = body.into_inner();
    let reply = state.db.write(move |conn| change_reply(conn, id, title.as_deref(), body.as_deref())).await?;
    Ok(HttpResponse::Ok().json(reply))
}

/// Delete a canned reply.
#[utoipa::path(
    tag = "composer",
    params(("id" = i64, Path)),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = []), ("session" = []))
)]
#[delete("/canned-replies/{id}")]
pub async fn delete_canned_reply(
    _: Admin,
    id: web::Path<i64>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    state.db.write(move |conn| drop_reply(conn, id)).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Draft {
    body: String,
}

/// How many SMS parts a draft costs, its encoding, and the characters that force UCS-2 (with a GSM-7
/// alternative when swapping typographic punctuation would avoid it).
#[utoipa::path(
    tag = "composer",
    request_body = Draft,
    responses((status = 200, body = SegmentCount), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 413, body = ErrorBody)),
    security(("bearer" = []), ("session" = []))
)]
#[post("/sms/segments")]
pub async fn count_segments(_: Authenticated, body: Body<Draft>) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(crate::domain::count_segments(&body.into_inner().body)))
}
