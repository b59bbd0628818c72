//! `/api/reports/…`: a period's figures, a time series, and the agents' and inboxes' tables (see
//! `crate::reports` and the README's "Reports" section for what each figure counts).

use actix_web::{HttpResponse, get, web};
use serde::Deserialize;
use utoipa::IntoParams;

use super::ErrorBody;
use super::auth::Authenticated;
use crate::domain::UserId;
use crate::error::ApiError;
use crate::reports::{self, ReportAgents, ReportInboxes, ReportRequest, ReportSummary, ReportTimeseries};
use crate::state::AppState;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PeriodQuery {
    /// The period's start: an RFC 3339 time, or a date (00:00 in the report's time zone). Rounded down to the
    /// UTC hour. Default: 7 days before `to`.
    #[param(example = "2026-12-01")]
    from: Option<String>,
    /// The period's end (excluded): an RFC 3339 time, or a date (the whole day is in). Rounded down to the UTC
    /// hour. Default: the end of the current hour. At most 400 days after `from`.
    #[param(example = "2026-12-07")]
    to: Option<String>,
    /// An IANA time zone for dates and buckets, e.g. `Europe/Amsterdam`. Default: the business hours' time
    /// zone, or UTC without business hours.
    #[param(example = "Europe/Amsterdam")]
    tz: Option<String>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FilterQuery {
    /// Only this number of ours (E.164).
    #[param(example = "+14155550100")]
    inbox: Option<String>,
    /// Only this agent's figures (a user id). Agents may give only their own (403 `forbidden` otherwise).
    #[param(example = 3)]
    agent: Option<i64>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InboxQuery {
    /// Only this number of ours (E.164).
    #[param(example = "+14155550100")]
    inbox: Option<String>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SeriesQuery {
    /// `new_tickets`, `inbound_texts`, `outbound_replies` or `first_response_median` (seconds).
    #[param(example = "new_tickets")]
    metric: String,
    /// `hour` or `day`, starting at local hour starts or local midnights. At most 1,000 points.
    #[param(example = "day")]
    bucket: String,
}

fn request(period: PeriodQuery, inbox: Option<String>, agent: Option<i64>) -> ReportRequest {
    ReportRequest { from: period.from, to: period.to, inbox, agent: agent.map(UserId), tz: period.tz }
}

/// A period's figures: new, closed and auto-closed tickets; customer texts, agent replies, automatic
/// replies and notes; first response (median, p90, count; also in business hours when they are set) over
/// tickets first answered in the period; resolution (opened → last close) over tickets closed in it; and the
/// backlog now. With `agent`, ticket figures are theirs (assigned, closed, first answered by them), replies
/// and notes are theirs, and customer texts and automatic replies are `null`. Agents see only the inboxes
/// they can see.
#[utoipa::path(
    tag = "reports",
    params(PeriodQuery, FilterQuery),
    responses(
        (status = 200, body = ReportSummary),
        (status = 401, body = ErrorBody),
        (status = 403, description = "An agent asked for another agent's figures (`forbidden`)", body = ErrorBody),
        (status = 422, description = "`invalid_period`, `invalid_timezone` or `invalid_inbox`", body = ErrorBody),
    ),
    security(("bearer" = []), ("session" = []))
)]
#[get("/reports/summary")]
pub async fn summary(
    auth: Authenticated,
    period: web::Query<PeriodQuery>,
    filter: web::Query<FilterQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let FilterQuery { inbox, agent } = filter.into_inner();
    let hours = state.settings.get().business_hours.clone();
    let report = reports::summary(&state.db, auth.0, request(period.into_inner(), inbox, agent), hours).await?;
    Ok(HttpResponse::Ok().json(report))
}

/// A figure per local hour or day of the period, every bucket present (0, or `null` for a median without
/// responses). A daylight-saving day is 23 or 25 hours; the repeated autumn hour is two points with
/// different offsets.
#[utoipa::path(
    tag = "reports",
    params(SeriesQuery, PeriodQuery, FilterQuery),
    responses(
        (status = 200, body = ReportTimeseries),
        (status = 401, body = ErrorBody),
        (status = 403, description = "An agent asked for another agent's figures (`forbidden`)", body = ErrorBody),
        (status = 422, description = "`invalid_metric`, `invalid_bucket`, `too_many_points`, `invalid_period`, \
            `invalid_timezone` or `invalid_inbox`", body = ErrorBody),
    ),
    security(("bearer" = []), ("session" = []))
)]
#[get("/reports/timeseries")]
pub async fn timeseries(
    auth: Authenticated,
    series: web::Query<SeriesQuery>,
    period: web::Query<PeriodQuery>,
    filter: web::Query<FilterQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let FilterQuery { inbox, agent } = filter.into_inner();
    let hours = state.settings.get().business_hours.clone();
    let report = reports::timeseries(
        &state.db,
        auth.0,
        request(period.into_inner(), inbox, agent),
        &series.metric,
        &series.bucket,
        hours,
    )
    .await?;
    Ok(HttpResponse::Ok().json(report))
}

/// Per agent: tickets assigned to them, replies sent, median first response of the tickets they answered
/// first, tickets closed. Admins get every active user and anyone with figures in the period, by name;
/// agents get their own row.
#[utoipa::path(
    tag = "reports",
    params(PeriodQuery, InboxQuery),
    responses(
        (status = 200, body = ReportAgents),
        (status = 401, body = ErrorBody),
        (status = 422, description = "`invalid_period`, `invalid_timezone` or `invalid_inbox`", body = ErrorBody),
    ),
    security(("bearer" = []), ("session" = []))
)]
#[get("/reports/agents")]
pub async fn agents(
    auth: Authenticated,
    period: web::Query<PeriodQuery>,
    inbox: web::Query<InboxQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let hours = state.settings.get().business_hours.clone();
    let request = request(period.into_inner(), inbox.into_inner().inbox, None);
    Ok(HttpResponse::Ok().json(reports::agents(&state.db, auth.0, request, hours).await?))
}

/// Per inbox (number of ours): new, closed, customer texts, agent replies, median first response and
/// resolution in the period, and unclosed tickets now. Agents see the inboxes they can see.
#[utoipa::path(
    tag = "reports",
    params(PeriodQuery),
    responses(
        (status = 200, body = ReportInboxes),
        (status = 401, body = ErrorBody),
        (status = 422, description = "`invalid_period` or `invalid_timezone`", body = ErrorBody),
    ),
    security(("bearer" = []), ("session" = []))
)]
#[get("/reports/inboxes")]
pub async fn inboxes(
    auth: Authenticated,
    period: web::Query<PeriodQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let hours = state.settings.get().business_hours.clone();
    let request = request(period.into_inner(), None, None);
    Ok(HttpResponse::Ok().json(reports::inboxes(&state.db, auth.0, request, hours).await?))
}
