//! One function per report endpoint, each owning its read: parse the request, read one snapshot, apply
//! the rules. Tickets are read through their report indexes; messages and assignments only as hourly counts
//! plus the few rows above the rollup's position.

use std::collections::BTreeMap;

use chrono::{DateTime, FixedOffset, NaiveDateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::ReportError;
use super::period::{BucketSize, Buckets, Period, parse_period, resolve_timezone};
use super::rules::{DurationStats, Metric, Tally, median, whole_seconds};
use crate::accounts::Principal;
use crate::db::reports::{self as store, CountGrouping, Scope};
use crate::db::{AnyConnection, Database, StoreError};
use crate::domain::{BusinessHours, PhoneNumber, TicketStatus, UserId};
use crate::inboxes::{self, HiddenInboxes};
use crate::json::utc;

/// What every report is asked: `from`/`to`/`tz` as the API takes them, and the filters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReportRequest {
    pub from: Option<String>,
    pub to: Option<String>,
    /// A number of ours.
    pub inbox: Option<String>,
    pub agent: Option<UserId>,
    /// An IANA time zone; the team's by default.
    pub tz: Option<String>,
}

/// A request checked: the period, the number of ours, the agent (whom the viewer may see).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportFilter {
    pub period: Period,
    pub inbox: Option<String>,
    pub agent: Option<UserId>,
}

impl ReportFilter {
    /// Checks `request` for `viewer` at `now`; `business_hours` gives the team's time zone.
    pub fn parse(
        viewer: &Principal,
        request: &ReportRequest,
        business_hours: Option<&BusinessHours>,
        now: DateTime<Utc>,
    ) -> Result<Self, ReportError> {
        let timezone = resolve_timezone(request.tz.as_deref(), business_hours)?;
        let period = parse_period(request.from.as_deref(), request.to.as_deref(), timezone, now)?;
        let inbox = match request.inbox.as_deref().map(str::trim).filter(|raw| !raw.is_empty()) {
            Some(raw) => Some(
                PhoneNumber::from_gateway(raw)
                    .map_err(|_| ReportError::InvalidInbox(raw.to_owned()))?
                    .as_str()
                    .to_owned(),
            ),
            None => None,
        };
        if let Some(agent) = request.agent
            && !viewer.is_admin()
            && agent != viewer.user_id
        {
            return Err(ReportError::Forbidden);
        }
        Ok(Self { period, inbox, agent: request.agent })
    }

    fn scope<'a>(&'a self, hidden: &'a HiddenInboxes) -> Scope<'a> {
        Scope { from: self.period.from, until: self.period.until, channel: self.inbox.as_deref(), hidden }
    }
}

/// The period a report covers, as rounded: whole UTC hours.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ReportPeriod {
    /// Included; on the hour.
    #[serde(serialize_with = "utc")]
    #[schema(value_type = String, format = DateTime, example = "2026-11-30T23:00:00Z")]
    pub from: NaiveDateTime,
    /// Excluded; on the hour.
    #[serde(serialize_with = "utc")]
    #[schema(value_type = String, format = DateTime, example = "2026-12-07T23:00:00Z")]
    pub to: NaiveDateTime,
    /// The IANA time zone dates and buckets are read in.
    #[schema(example = "Europe/Amsterdam")]
    pub timezone: String,
}

impl From<&Period> for ReportPeriod {
    fn from(period: &Period) -> Self {
        Self { from: period.from, to: period.until, timezone: period.timezone.name().to_owned() }
    }
}

/// Unclosed tickets now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub struct Backlog {
    #[schema(example = 3)]
    pub open: i64,
    #[schema(example = 1)]
    pub pending: i64,
    /// How long the customer who has waited longest for an answer has waited; `null` when nobody waits.
    #[schema(required = true, example = 5400)]
    pub oldest_waiting_seconds: Option<i64>,
}

/// A period's figures (`GET /api/reports/summary`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ReportSummary {
    pub period: ReportPeriod,
    /// Tickets opened in the period (with `agent`: assigned to them now).
    pub new_tickets: i64,
    /// Tickets closed in the period and closed still (with `agent`: closed by them), auto-closes included.
    pub closed_tickets: i64,
    /// Of those, closed by smsdesk: the inactivity rule, or a first STOP.
    pub auto_closed_tickets: i64,
    /// Customer texts; `null` with `agent` (they belong to no agent).
    #[schema(required = true)]
    pub inbound_texts: Option<i64>,
    /// Agent replies sent to customers (with `agent`: theirs).
    pub outbound_replies: i64,
    /// Confirmations, help and out-of-office replies; `null` with `agent`.
    #[schema(required = true)]
    pub automatic_replies: Option<i64>,
    /// Internal notes (with `agent`: theirs).
    pub notes: i64,
    /// First customer text to first agent reply, over tickets first answered in the period.
    pub first_response_seconds: DurationStats,
    /// The same in business hours only; `null` when no business hours are set.
    #[schema(required = true)]
    pub first_response_business_seconds: Option<DurationStats>,
    /// Opened to (last) closed, over tickets closed in the period.
    pub resolution_seconds: DurationStats,
    pub backlog: Backlog,
}

/// The counts in `scope` (of `user`'s, if given): stored per `grouping`, plus every message and event above
/// the rollup's position counted now with the same rules. Run in a snapshot ([`store::in_snapshot`]).
fn counts(
    conn: &mut AnyConnection,
    scope: Scope<'_>,
    user: Option<UserId>,
    grouping: CountGrouping,
) -> Result<Tally, StoreError> {
    let mut tally = Tally::default();
    tally.add_stored(store::stored_counts(conn, scope, user, grouping)?);
    let position = store::rollup_position(conn)?;
    let in_scope = |at: NaiveDateTime, channel: &str| {
        scope.from <= at
            && at < scope.until
            && scope.channel.is_none_or(|only| only == channel)
            && !scope.hidden.contains(channel)
    };
    let mut live = Tally::default();
    for message in store::messages_after(conn, position.messages_until, None)? {
        if in_scope(message.created_at, &message.channel_number) {
            live.add_message(&message);
        }
    }
    for event in store::events_after(conn, position.events_until, None)? {
        if in_scope(event.at, &event.channel_number) {
            live.add_event(&event);
        }
    }
    for (key, count) in live.iter() {
        if user.is_none_or(|user| user == key.user) {
            tally.add(key.clone(), count);
        }
    }
    Ok(tally)
}

fn total(tally: &Tally, metric: Metric) -> i64 {
    tally.iter().filter(|(key, _)| key.metric == metric).map(|(_, count)| count).sum()
}

/// The summary at `now`.
pub fn summary_at(
    conn: &mut AnyConnection,
    viewer: &Principal,
    filter: &ReportFilter,
    business_hours: Option<&BusinessHours>,
    now: DateTime<Utc>,
) -> Result<ReportSummary, StoreError> {
    let hidden = inboxes::hidden_for(conn, viewer)?;
    let scope = filter.scope(&hidden);
    let agent = filter.agent;
    store::in_snapshot(conn, |conn| {
        let new_tickets = store::count_new_tickets(conn, scope, agent)?;
        let closes = store::closes(conn, scope, agent)?;
        let responses = store::first_responses(conn, scope, agent)?;
        let counts = counts(conn, scope, agent, CountGrouping::Metric)?;
        let backlog = store::backlog(conn, scope, agent)?;
        let unless_agent = |metric| if agent.is_some() { None } else { Some(total(&counts, metric)) };
        let waited = |at: Option<NaiveDateTime>| at.map(|at| whole_seconds(at, now.naive_utc()));
        let of_status = |status| backlog.iter().filter(|(s, _, _)| *s == status).map(|(_, n, _)| *n).sum();
        Ok(ReportSummary {
            period: (&filter.period).into(),
            new_tickets,
            closed_tickets: closes.len() as i64,
            auto_closed_tickets: closes.iter().filter(|c| c.auto_closed).count() as i64,
            inbound_texts: unless_agent(Metric::InboundTexts),
            outbound_replies: total(&counts, Metric::OutboundReplies),
            automatic_replies: unless_agent(Metric::AutomaticReplies),
            notes: total(&counts, Metric::Notes),
            first_response_seconds: DurationStats::of(
                responses.iter().map(|r| whole_seconds(r.inbound_at, r.response_at)).collect(),
            ),
            first_response_business_seconds: business_hours.map(|hours| {
                DurationStats::of(
                    responses
                        .iter()
                        .map(|r| hours.open_seconds_between(r.inbound_at.and_utc(), r.response_at.and_utc()))
                        .collect(),
                )
            }),
            resolution_seconds: DurationStats::of(
                closes.iter().map(|c| whole_seconds(c.created_at, c.closed_at)).collect(),
            ),
            backlog: Backlog {
                open: of_status(TicketStatus::Open),
                pending: of_status(TicketStatus::Pending),
                oldest_waiting_seconds: waited(backlog.iter().filter_map(|(_, _, oldest)| *oldest).min()),
            },
        })
    })
}

/// What a time series shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SeriesMetric {
    NewTickets,
    InboundTexts,
    OutboundReplies,
    FirstResponseMedian,
}

impl SeriesMetric {
    pub fn parse(raw: &str) -> Result<Self, ReportError> {
        match raw.trim() {
            "new_tickets" => Ok(Self::NewTickets),
            "inbound_texts" => Ok(Self::InboundTexts),
            "outbound_replies" => Ok(Self::OutboundReplies),
            "first_response_median" => Ok(Self::FirstResponseMedian),
            other => Err(ReportError::InvalidMetric(other.to_owned())),
        }
    }
}

/// How a time series is cut.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SeriesBucket {
    Hour,
    Day,
}

impl From<BucketSize> for SeriesBucket {
    fn from(size: BucketSize) -> Self {
        match size {
            BucketSize::Hour => Self::Hour,
            BucketSize::Day => Self::Day,
        }
    }
}

/// One bucket of a time series.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct TimeseriesPoint {
    /// The bucket's local start, with the offset then in force.
    #[schema(value_type = String, format = DateTime, example = "2026-10-25T00:00:00+02:00")]
    pub start: DateTime<FixedOffset>,
    /// A count (0 when nothing happened), or the median first response in seconds (`null` without
    /// responses); `null` too for customer texts asked with `agent`.
    #[schema(required = true, example = 12)]
    pub value: Option<i64>,
}

/// A figure per local hour or day (`GET /api/reports/timeseries`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ReportTimeseries {
    pub metric: SeriesMetric,
    pub bucket: SeriesBucket,
    pub period: ReportPeriod,
    /// Every bucket of the period, in order.
    pub points: Vec<TimeseriesPoint>,
}

/// The time series at this moment.
pub fn timeseries_at(
    conn: &mut AnyConnection,
    viewer: &Principal,
    filter: &ReportFilter,
    metric: SeriesMetric,
    size: BucketSize,
) -> Result<ReportTimeseries, ReportError> {
    let buckets = Buckets::of(&filter.period, size)?;
    let hidden = inboxes::hidden_for(conn, viewer)?;
    let scope = filter.scope(&hidden);
    let agent = filter.agent;
    let values: Vec<Option<i64>> = store::in_snapshot(conn, |conn| -> Result<_, StoreError> {
        let mut values = vec![Some(0); buckets.len()];
        let add = |values: &mut Vec<Option<i64>>, at: NaiveDateTime, count: i64| {
            if let Some(value) = buckets.index_of(at).and_then(|i| values.get_mut(i)) {
                *value = Some(value.unwrap_or(0) + count);
            }
        };
        match metric {
            SeriesMetric::NewTickets => {
                for (hour, count) in store::new_tickets_by_hour(conn, scope, agent)? {
                    add(&mut values, hour, count);
                }
            }
            SeriesMetric::InboundTexts if agent.is_some() => values = vec![None; buckets.len()],
            SeriesMetric::InboundTexts | SeriesMetric::OutboundReplies => {
                let wanted =
                    if metric == SeriesMetric::InboundTexts { Metric::InboundTexts } else { Metric::OutboundReplies };
                let tally = counts(conn, scope, agent, CountGrouping::HourMetric)?;
                for (key, count) in tally.iter().filter(|(key, _)| key.metric == wanted) {
                    add(&mut values, key.hour, count);
                }
            }
            SeriesMetric::FirstResponseMedian => {
                let mut per_bucket: Vec<Vec<i64>> = vec![Vec::new(); buckets.len()];
                for response in store::first_responses(conn, scope, agent)? {
                    if let Some(seconds) = buckets.index_of(response.response_at).and_then(|i| per_bucket.get_mut(i)) {
                        seconds.push(whole_seconds(response.inbound_at, response.response_at));
                    }
                }
                values = per_bucket.into_iter().map(median).collect();
            }
        }
        Ok(values)
    })?;
    Ok(ReportTimeseries {
        metric,
        bucket: size.into(),
        period: (&filter.period).into(),
        points: buckets.starts.into_iter().zip(values).map(|(start, value)| TimeseriesPoint { start, value }).collect(),
    })
}

/// One agent's figures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct AgentReportRow {
    pub id: UserId,
    #[schema(example = "Ana")]
    pub name: String,
    /// Times a ticket was assigned to them in the period.
    pub assigned_tickets: i64,
    /// Replies they sent to customers.
    pub outbound_replies: i64,
    /// Median first response of the tickets they answered first in the period; `null` without any.
    #[schema(required = true, example = 120)]
    pub first_response_median_seconds: Option<i64>,
    /// Tickets they closed in the period (closed still).
    pub closed_tickets: i64,
}

/// Per agent (`GET /api/reports/agents`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ReportAgents {
    pub period: ReportPeriod,
    /// Admins: every active user and anyone with figures in the period, by name. Agents: their own row.
    pub agents: Vec<AgentReportRow>,
}

/// The agents' table.
pub fn agents_at(
    conn: &mut AnyConnection,
    viewer: &Principal,
    filter: &ReportFilter,
) -> Result<ReportAgents, StoreError> {
    let hidden = inboxes::hidden_for(conn, viewer)?;
    let scope = filter.scope(&hidden);
    let only = if viewer.is_admin() { None } else { Some(viewer.user_id) };
    #[derive(Default)]
    struct Figures {
        assigned: i64,
        replies: i64,
        responses: Vec<i64>,
        closed: i64,
    }
    let (figures, users) = store::in_snapshot(conn, |conn| -> Result<_, StoreError> {
        let mut figures: BTreeMap<UserId, Figures> = BTreeMap::new();
        for (key, count) in counts(conn, scope, only, CountGrouping::UserMetric)?.iter() {
            match key.metric {
                Metric::Assigned => figures.entry(key.user).or_default().assigned += count,
                Metric::OutboundReplies => figures.entry(key.user).or_default().replies += count,
                _ => {}
            }
        }
        for response in store::first_responses(conn, scope, only)? {
            if let Some(responder) = response.responder {
                let seconds = whole_seconds(response.inbound_at, response.response_at);
                figures.entry(responder).or_default().responses.push(seconds);
            }
        }
        for close in store::closes(conn, scope, only)? {
            if let Some(closer) = close.closed_by {
                figures.entry(closer).or_default().closed += 1;
            }
        }
        Ok((figures, store::report_users(conn)?))
    })?;
    let mut figures = figures;
    let shown: Vec<(UserId, String)> = users
        .into_iter()
        .filter(|(id, _, active)| match only {
            Some(own) => *id == own,
            None => *active || figures.contains_key(id),
        })
        .map(|(id, name, _)| (id, name))
        .collect();
    let mut agents: Vec<AgentReportRow> = shown
        .into_iter()
        .map(|(id, name)| {
            let own = figures.remove(&id).unwrap_or_default();
            AgentReportRow {
                id,
                name,
                assigned_tickets: own.assigned,
                outbound_replies: own.replies,
                first_response_median_seconds: median(own.responses),
                closed_tickets: own.closed,
            }
        })
        .collect();
    agents.sort_by(|a, b| a.name.to_lowercase().cmp(&b.name.to_lowercase()).then(a.id.cmp(&b.id)));
    Ok(ReportAgents { period: (&filter.period).into(), agents })
}

/// One inbox's figures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct InboxReportRow {
    /// The number of ours, E.164.
    #[schema(example = "+14155550100")]
    pub number: String,
    #[schema(example = "Support")]
    pub name: String,
    pub new_tickets: i64,
    pub closed_tickets: i64,
    pub inbound_texts: i64,
    pub outbound_replies: i64,
    #[schema(required = true, example = 60)]
    pub first_response_median_seconds: Option<i64>,
    #[schema(required = true, example = 3600)]
    pub resolution_median_seconds: Option<i64>,
    /// Unclosed (open or pending) tickets now.
    pub open_tickets: i64,
}

/// Per inbox (`GET /api/reports/inboxes`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ReportInboxes {
    pub period: ReportPeriod,
    /// Every inbox the caller can see, and any other number of ours with figures, by name.
    pub inboxes: Vec<InboxReportRow>,
}

/// The inboxes' table (the request's `inbox` and `agent` do not apply).
pub fn inboxes_at(
    conn: &mut AnyConnection,
    viewer: &Principal,
    filter: &ReportFilter,
) -> Result<ReportInboxes, StoreError> {
    let hidden = inboxes::hidden_for(conn, viewer)?;
    let scope = Scope { channel: None, ..filter.scope(&hidden) };
    #[derive(Default)]
    struct Figures {
        new: i64,
        closed: i64,
        inbound: i64,
        replies: i64,
        responses: Vec<i64>,
        resolutions: Vec<i64>,
        open: i64,
    }
    let (mut figures, listed) = store::in_snapshot(conn, |conn| -> Result<_, StoreError> {
        let mut figures: BTreeMap<String, Figures> = BTreeMap::new();
        for (channel, count) in store::new_tickets_by_channel(conn, scope)? {
            figures.entry(channel).or_default().new += count;
        }
        for close in store::closes(conn, scope, None)? {
            let row = figures.entry(close.channel_number).or_default();
            row.closed += 1;
            row.resolutions.push(whole_seconds(close.created_at, close.closed_at));
        }
        for response in store::first_responses(conn, scope, None)? {
            let seconds = whole_seconds(response.inbound_at, response.response_at);
            figures.entry(response.channel_number).or_default().responses.push(seconds);
        }
        for (key, count) in counts(conn, scope, None, CountGrouping::ChannelMetric)?.iter() {
            match key.metric {
                Metric::InboundTexts => figures.entry(key.channel_number.clone()).or_default().inbound += count,
                Metric::OutboundReplies => figures.entry(key.channel_number.clone()).or_default().replies += count,
                _ => {}
            }
        }
        for (channel, count) in store::unclosed_by_channel(conn, scope)? {
            figures.entry(channel).or_default().open += count;
        }
        Ok((figures, inboxes::list_inboxes(conn, viewer)?))
    })?;
    let mut names: BTreeMap<String, String> = listed.into_iter().map(|inbox| (inbox.number, inbox.name)).collect();
    for number in figures.keys() {
        if !names.contains_key(number) {
            names.insert(number.clone(), inboxes::shown_name(number, ""));
        }
    }
    let mut rows: Vec<InboxReportRow> = names
        .into_iter()
        .map(|(number, name)| {
            let own = figures.remove(&number).unwrap_or_default();
            InboxReportRow {
                number,
                name,
                new_tickets: own.new,
                closed_tickets: own.closed,
                inbound_texts: own.inbound,
                outbound_replies: own.replies,
                first_response_median_seconds: median(own.responses),
                resolution_median_seconds: median(own.resolutions),
                open_tickets: own.open,
            }
        })
        .collect();
    rows.sort_by(|a, b| a.name.to_lowercase().cmp(&b.name.to_lowercase()).then_with(|| a.number.cmp(&b.number)));
    Ok(ReportInboxes { period: (&filter.period).into(), inboxes: rows })
}

/// `GET /api/reports/summary`.
pub async fn summary(
    db: &Database,
    viewer: Principal,
    request: ReportRequest,
    business_hours: Option<BusinessHours>,
) -> Result<ReportSummary, ReportError> {
    let now = Utc::now();
    let filter = ReportFilter::parse(&viewer, &request, business_hours.as_ref(), now)?;
    Ok(db.read(move |conn| summary_at(conn, &viewer, &filter, business_hours.as_ref(), now)).await?)
}

/// `GET /api/reports/timeseries`.
pub async fn timeseries(
    db: &Database,
    viewer: Principal,
    request: ReportRequest,
    metric: &str,
    bucket: &str,
    business_hours: Option<BusinessHours>,
) -> Result<ReportTimeseries, ReportError> {
    let now = Utc::now();
    let metric = SeriesMetric::parse(metric)?;
    let size = BucketSize::parse(bucket)?;
    let filter = ReportFilter::parse(&viewer, &request, business_hours.as_ref(), now)?;
    // Refused before reading anything.
    Buckets::of(&filter.period, size)?;
    db.read(move |conn| timeseries_at(conn, &viewer, &filter, metric, size)).await
}

/// `GET /api/reports/agents`.
pub async fn agents(
    db: &Database,
    viewer: Principal,
    request: ReportRequest,
    business_hours: Option<BusinessHours>,
) -> Result<ReportAgents, ReportError> {
    let filter = ReportFilter::parse(&viewer, &request, business_hours.as_ref(), Utc::now())?;
    Ok(db.read(move |conn| agents_at(conn, &viewer, &filter)).await?)
}

/// `GET /api/reports/inboxes`.
pub async fn inboxes(
    db: &Database,
    viewer: Principal,
    request: ReportRequest,
    business_hours: Option<BusinessHours>,
) -> Result<ReportInboxes, ReportError> {
    let filter = ReportFilter::parse(&viewer, &request, business_hours.as_ref(), Utc::now())?;
    Ok(db.read(move |conn| inboxes_at(conn, &viewer, &filter)).await?)
}
