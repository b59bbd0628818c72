//! `/api/me/…`: what the signed-in agent chose (preferences) and what they should be told (notifications).

use actix_web::{HttpResponse, get, patch, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::ErrorBody;
use super::auth::Authenticated;
use super::body::Body;
use crate::accounts::{Preferences, PreferencesChange, preferences, update_preferences};
use crate::db::{StoreError, now};
use crate::error::ApiError;
use crate::json::utc;
use crate::state::AppState;
use crate::tickets::changed_tickets_for;
use crate::tickets::notifications::{Notification, notifications_for};

/// The signed-in user's preferences (defaults until they change one).
#[utoipa::path(
    tag = "session",
    responses((status = 200, body = Preferences), (status = 401, body = ErrorBody)),
    security(("session" = []), ("bearer" = []))
)]
#[get("/me/preferences")]
pub async fn get_preferences(auth: Authenticated, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let user = auth.0.user_id;
    let choices = state.db.read(move |conn| preferences(conn, user).map_err(StoreError::from)).await?;
    Ok(HttpResponse::Ok().json(choices))
}

/// Changes some of the signed-in user's preferences; fields left out keep their value.
#[utoipa::path(
    tag = "session",
    request_body = PreferencesChange,
    responses(
        (status = 200, body = Preferences),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, description = "Missing X-CSRF-Token", body = ErrorBody),
        (status = 422, body = ErrorBody),
    ),
    security(("session" = []), ("bearer" = []))
)]
#[patch("/me/preferences")]
pub async fn update_my_preferences(
    auth: Authenticated,
    body: Body<PreferencesChange>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let user = auth.0.user_id;
    let change = body.into_inner();
    let choices = state.db.write(move |conn| update_preferences(conn, user, &change).map_err(StoreError::from)).await?;
    Ok(HttpResponse::Ok().json(choices))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NotificationsQuery {
    /// `now` of the previous answer. Without it, the answer only gives `now` to start from.
    #[param(format = DateTime)]
    since: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct NotificationList {
    /// Oldest first. Polls overlap a little (a change can become visible late on PostgreSQL), so a client
    /// keeps the `(kind, ticket_id, at)` of what it showed and shows each once.
    notifications: Vec<Notification>,
    /// Pass as `since` next time.
    #[serde(serialize_with = "utc")]
    #[schema(value_type = String, format = DateTime)]
    now: chrono::NaiveDateTime,
}

/// How far a poll looks back before `since`: concurrent commits can become visible out of timestamp order.
const LOOK_BACK: chrono::Duration = chrono::Duration::seconds(10);
/// A `since` older than this (a laptop waking up) is treated as this old: what happened before is in the queue.
const LONGEST_GAP: chrono::Duration = chrono::Duration::minutes(10);

/// What the signed-in agent should be told about since their last poll: new tickets in Unassigned, new
/// customer texts on tickets assigned to them, failed deliveries on their tickets. Which ones the dashboard
/// shows is up to the agent's preferences.
#[utoipa::path(
    tag = "session",
    params(NotificationsQuery),
    responses((status = 200, body = NotificationList), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("session" = []), ("bearer" = []))
)]
#[get("/me/notifications")]
pub async fn notifications(
    auth: Authenticated,
    query: web::Query<NotificationsQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let viewer = auth.0.user_id;
    let since = query
        .into_inner()
        .since
        .map(|raw| {
            DateTime::parse_from_rfc3339(&raw)
                .map(|t| t.with_timezone(&Utc).naive_utc())
                .map_err(|_| ApiError::unprocessable("invalid_timestamp", "since must be an RFC 3339 time."))
        })
        .transpose()?;
    let asked_at = now();
    let Some(since) = since else {
        return Ok(HttpResponse::Ok().json(NotificationList { notifications: Vec::new(), now: asked_at }));
    };
    let since = since.max(asked_at - LONGEST_GAP) - LOOK_BACK;
    let principal = auth.0;
    let changed = state
        .db
        .read(move |conn| -> Result<_, StoreError> {
            let hidden = crate::inboxes::hidden_for(conn, &principal)?;
            Ok(changed_tickets_for(conn, viewer, since, &hidden)?)
        })
        .await?;
    let notifications = notifications_for(viewer, since, changed);
    Ok(HttpResponse::Ok().json(NotificationList { notifications, now: asked_at }))
}
