//! Storage of the reports (`crate::reports`): the hourly counts the rollup keeps (`report_counts`, with its
//! position in `report_rollup`), the messages and events above that position, and a period's tickets read
//! through the indexes made for them (`tickets_by_created`, `tickets_by_first_response`,
//! `tickets_by_closed`). The rules that turn these rows into figures are in `reports/`.

use chrono::NaiveDateTime;
use diesel::dsl::{count_star, sql};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Timestamp};
use diesel::upsert::excluded;

use crate::db::queue::WaitKey;
use crate::db::schema::{messages, report_counts, report_rollup, ticket_events, tickets, users};
use crate::db::tickets::{TicketIsOpenOrPending, TicketIsUnclosed};
use crate::db::{AnyConnection, LiteralLimit, MultiBackend, StoreError};
use crate::domain::{Direction, EventKind, TicketStatus, UserId};
use crate::inboxes::HiddenInboxes;

/// A message as the counts see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageFact {
    pub id: i64,
    pub created_at: NaiveDateTime,
    /// The ticket's number of ours.
    pub channel_number: String,
    pub direction: Direction,
    pub internal: bool,
    pub author_id: Option<UserId>,
}

/// A timeline event as the counts see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventFact {
    pub id: i64,
    pub at: NaiveDateTime,
    pub channel_number: String,
    /// `None` for a kind this version does not know (written by a newer one).
    pub kind: Option<EventKind>,
    /// The JSON details (`tickets::events::EventDetails`).
    pub details: String,
}

/// A row of `report_counts`, or a sum of such rows (see [`CountGrouping`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CountRow {
    pub hour: NaiveDateTime,
    pub channel_number: String,
    pub metric: String,
    pub user_id: UserId,
    pub count: i64,
}

/// How far the rollup has counted: every message and event with an id up to these is in `report_counts`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RollupPosition {
    pub messages_until: i64,
    pub events_until: i64,
}

/// Up to `limit` (all without one) messages with ids above `after`, by id.
pub fn messages_after(conn: &mut AnyConnection, after: i64, limit: Option<u32>) -> QueryResult<Vec<MessageFact>> {
    let query = messages::table
        .inner_join(tickets::table)
        .filter(messages::id.gt(after))
        .select((
            messages::id,
            messages::created_at,
            tickets::channel_number,
            messages::direction,
            messages::internal,
            messages::author_id,
        ))
        .order(messages::id.asc());
    type Row = (i64, NaiveDateTime, String, Direction, bool, Option<UserId>);
    let rows: Vec<Row> = match limit {
        Some(limit) => LiteralLimit::new(query, limit).load(conn)?,
        None => query.load(conn)?,
    };
    Ok(rows
        .into_iter()
        .map(|(id, created_at, channel_number, direction, internal, author_id)| MessageFact {
            id,
            created_at,
            channel_number,
            direction,
            internal,
            author_id,
        })
        .collect())
}

/// Up to `limit` (all without one) timeline events with ids above `after`, by id.
pub fn events_after(conn: &mut AnyConnection, after: i64, limit: Option<u32>) -> QueryResult<Vec<EventFact>> {
    let query = ticket_events::table
        .inner_join(tickets::table)
        .filter(ticket_events::id.gt(after))
        .select((
            ticket_events::id,
            ticket_events::at,
            tickets::channel_number,
            ticket_events::kind,
            ticket_events::details,
        ))
        .order(ticket_events::id.asc());
    type Row = (i64, NaiveDateTime, String, String, String);
    let rows: Vec<Row> = match limit {
        Some(limit) => LiteralLimit::new(query, limit).load(conn)?,
        None => query.load(conn)?,
    };
    Ok(rows
        .into_iter()
        .map(|(id, at, channel_number, kind, details)| EventFact {
            id,
            at,
            channel_number,
            kind: kind.parse().ok(),
            details,
        })
        .collect())
}

/// The rollup's position, locked for this transaction; `None` when another replica holds it (PostgreSQL:
/// `FOR UPDATE SKIP LOCKED`; SQLite has a single writer, so it is never held).
pub fn lock_rollup(conn: &mut AnyConnection) -> QueryResult<Option<RollupPosition>> {
    let query = report_rollup::table
        .filter(report_rollup::id.eq(1_i16))
        .select((report_rollup::messages_until, report_rollup::events_until));
    let row: Option<(i64, i64)> = match conn {
        AnyConnection::Postgresql(pg) => query.for_update().skip_locked().first(pg).optional()?,
        AnyConnection::Sqlite(sqlite) => query.first(sqlite).optional()?,
    };
    Ok(row.map(|(messages_until, events_until)| RollupPosition { messages_until, events_until }))
}

/// The rollup's position, to count what lies above it live.
pub fn rollup_position(conn: &mut AnyConnection) -> QueryResult<RollupPosition> {
    let row: Option<(i64, i64)> = report_rollup::table
        .filter(report_rollup::id.eq(1_i16))
        .select((report_rollup::messages_until, report_rollup::events_until))
        .first(conn)
        .optional()?;
    Ok(row.map(|(messages_until, events_until)| RollupPosition { messages_until, events_until }).unwrap_or_default())
}

/// Adds `rows` to the stored counts (`count = count + new`).
pub fn add_counts(conn: &mut AnyConnection, rows: &[CountRow]) -> QueryResult<()> {
    // 5 parameters a row: far below either backend's limit.
    for chunk in rows.chunks(500) {
        let values: Vec<_> = chunk
            .iter()
            .map(|row| {
                (
                    report_counts::hour.eq(row.hour),
                    report_counts::channel_number.eq(&row.channel_number),
                    report_counts::metric.eq(&row.metric),
                    report_counts::user_id.eq(row.user_id),
                    report_counts::count.eq(row.count),
                )
            })
            .collect();
        let upsert = diesel::insert_into(report_counts::table)
            .values(&values)
            .on_conflict((
                report_counts::hour,
                report_counts::channel_number,
                report_counts::metric,
                report_counts::user_id,
            ))
            .do_update()
            .set(report_counts::count.eq(report_counts::count + excluded(report_counts::count)));
        crate::on_backend!(conn, |c| upsert.execute(c))?;
    }
    Ok(())
}

/// Moves the rollup's position.
pub fn advance_rollup(conn: &mut AnyConnection, to: RollupPosition, at: NaiveDateTime) -> QueryResult<()> {
    diesel::update(report_rollup::table.filter(report_rollup::id.eq(1_i16)))
        .set((
            report_rollup::messages_until.eq(to.messages_until),
            report_rollup::events_until.eq(to.events_until),
            report_rollup::updated_at.eq(at),
        ))
        .execute(conn)
        .map(drop)
}

/// Runs `read` on one snapshot of the database, so that the stored counts, the rollup's position and the
/// rows above it agree even while the rollup commits a round (PostgreSQL: `REPEATABLE READ`; SQLite: a read
/// transaction is one snapshot).
pub fn in_snapshot<T, E, F>(conn: &mut AnyConnection, read: F) -> Result<T, E>
where
    F: FnOnce(&mut AnyConnection) -> Result<T, E>,
    E: From<StoreError> + From<diesel::result::Error>,
{
    conn.transaction(|conn| {
        if let AnyConnection::Postgresql(pg) = conn {
            diesel::sql_query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY").execute(pg)?;
        }
        read(conn)
    })
}

/// A report's rows: a period `[from, until)` of whole UTC hours, perhaps one number of ours, never the
/// hidden ones.
#[derive(Debug, Clone, Copy)]
pub struct Scope<'a> {
    pub from: NaiveDateTime,
    pub until: NaiveDateTime,
    pub channel: Option<&'a str>,
    pub hidden: &'a HiddenInboxes,
}

/// Which columns stored counts are summed over; the others come back as the period's start, `""` and user 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CountGrouping {
    Metric,
    HourMetric,
    UserMetric,
    ChannelMetric,
}

/// The stored counts in `scope` (of `user`'s, if given), summed per `grouping`.
pub fn stored_counts(
    conn: &mut AnyConnection,
    scope: Scope<'_>,
    user: Option<UserId>,
    grouping: CountGrouping,
) -> QueryResult<Vec<CountRow>> {
    let total = || sql::<BigInt>("CAST(SUM(report_counts.count) AS BIGINT)");
    macro_rules! scoped {
        ($query:expr) => {{
            let mut query = $query
                .filter(report_counts::hour.ge(scope.from))
                .filter(report_counts::hour.lt(scope.until))
                .into_boxed::<MultiBackend>();
            if let Some(channel) = scope.channel {
                query = query.filter(report_counts::channel_number.eq(channel.to_owned()));
            }
            if !scope.hidden.is_empty() {
                query = query.filter(report_counts::channel_number.ne_all(scope.hidden.numbers().to_vec()));
            }
            if let Some(user) = user {
                query = query.filter(report_counts::user_id.eq(user));
            }
            query
        }};
    }
    let row =
        |hour: Option<NaiveDateTime>, channel: Option<String>, metric: String, user: Option<UserId>, count| CountRow {
            hour: hour.unwrap_or(scope.from),
            channel_number: channel.unwrap_or_default(),
            metric,
            user_id: user.unwrap_or(UserId(0)),
            count,
        };
    Ok(match grouping {
        CountGrouping::Metric => {
            let rows: Vec<(String, i64)> =
                scoped!(report_counts::table.group_by(report_counts::metric).select((report_counts::metric, total())))
                    .load(conn)?;
            rows.into_iter().map(|(metric, count)| row(None, None, metric, None, count)).collect()
        }
        CountGrouping::HourMetric => {
            let rows: Vec<(NaiveDateTime, String, i64)> =
                scoped!(report_counts::table.group_by((report_counts::hour, report_counts::metric)).select((
                    report_counts::hour,
                    report_counts::metric,
                    total()
                )))
                .load(conn)?;
            rows.into_iter().map(|(hour, metric, count)| row(Some(hour), None, metric, None, count)).collect()
        }
        CountGrouping::UserMetric => {
            let rows: Vec<(UserId, String, i64)> =
                scoped!(report_counts::table.group_by((report_counts::user_id, report_counts::metric)).select((
                    report_counts::user_id,
                    report_counts::metric,
                    total()
                )))
                .load(conn)?;
            rows.into_iter().map(|(user, metric, count)| row(None, None, metric, Some(user), count)).collect()
        }
        CountGrouping::ChannelMetric => {
            let rows: Vec<(String, String, i64)> = scoped!(
                report_counts::table.group_by((report_counts::channel_number, report_counts::metric)).select((
                    report_counts::channel_number,
                    report_counts::metric,
                    total()
                ))
            )
            .load(conn)?;
            rows.into_iter().map(|(channel, metric, count)| row(None, Some(channel), metric, None, count)).collect()
        }
    })
}

/// `tickets` filtered by `scope`'s number and hidden inboxes (the period is the caller's: which time it
/// applies to differs).
macro_rules! in_inboxes {
    ($query:expr, $scope:expr) => {{
        let mut query = $query.into_boxed::<MultiBackend>();
        if let Some(channel) = $scope.channel {
            query = query.filter(tickets::channel_number.eq(channel.to_owned()));
        }
        if !$scope.hidden.is_empty() {
            query = query.filter(tickets::channel_number.ne_all($scope.hidden.numbers().to_vec()));
        }
        query
    }};
}

/// How many tickets were opened in `scope` (assigned to `assignee` now, if given).
pub fn count_new_tickets(conn: &mut AnyConnection, scope: Scope<'_>, assignee: Option<UserId>) -> QueryResult<i64> {
    let mut query = in_inboxes!(
        tickets::table
            .filter(tickets::created_at.ge(scope.from))
            .filter(tickets::created_at.lt(scope.until))
            .select(count_star()),
        scope
    );
    if let Some(assignee) = assignee {
        query = query.filter(tickets::assignee_id.eq(assignee));
    }
    query.get_result(conn)
}

/// Tickets opened in `scope` per UTC hour (hours without any left out).
pub fn new_tickets_by_hour(
    conn: &mut AnyConnection,
    scope: Scope<'_>,
    assignee: Option<UserId>,
) -> QueryResult<Vec<(NaiveDateTime, i64)>> {
    // SQLite groups by the text's hour prefix: no date to parse per row (strftime took half the daily series'
    // time on 1M tickets: 123 -> 60 ms p50, `make bench-reports`).
    let hour = match conn {
        AnyConnection::Postgresql(_) => "date_trunc('hour', tickets.created_at)",
        AnyConnection::Sqlite(_) => "(substr(tickets.created_at, 1, 13) || ':00:00')",
    };
    let mut query = in_inboxes!(
        tickets::table
            .filter(tickets::created_at.ge(scope.from))
            .filter(tickets::created_at.lt(scope.until))
            .group_by(sql::<Timestamp>(hour))
            .select((sql::<Timestamp>(hour), count_star())),
        scope
    );
    if let Some(assignee) = assignee {
        query = query.filter(tickets::assignee_id.eq(assignee));
    }
    query.load(conn)
}

/// Tickets opened in `scope` per number of ours.
pub fn new_tickets_by_channel(conn: &mut AnyConnection, scope: Scope<'_>) -> QueryResult<Vec<(String, i64)>> {
    in_inboxes!(
        tickets::table
            .filter(tickets::created_at.ge(scope.from))
            .filter(tickets::created_at.lt(scope.until))
            .group_by(tickets::channel_number)
            .select((tickets::channel_number, count_star())),
        scope
    )
    .load(conn)
}

/// A ticket's first response, as reports read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FirstResponse {
    pub channel_number: String,
    pub responder: Option<UserId>,
    pub inbound_at: NaiveDateTime,
    pub response_at: NaiveDateTime,
}

/// The first responses made in `scope` (by `responder`, if given) to tickets a customer opened.
pub fn first_responses(
    conn: &mut AnyConnection,
    scope: Scope<'_>,
    responder: Option<UserId>,
) -> QueryResult<Vec<FirstResponse>> {
    let mut query = in_inboxes!(
        tickets::table
            .filter(tickets::first_response_at.ge(scope.from))
            .filter(tickets::first_response_at.lt(scope.until))
            .filter(tickets::first_inbound_at.is_not_null())
            .select((
                tickets::channel_number,
                tickets::first_responder_id,
                tickets::first_inbound_at,
                tickets::first_response_at,
            )),
        scope
    );
    if let Some(responder) = responder {
        query = query.filter(tickets::first_responder_id.eq(responder));
    }
    type Row = (String, Option<UserId>, Option<NaiveDateTime>, Option<NaiveDateTime>);
    let rows: Vec<Row> = query.load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(channel_number, responder, inbound_at, response_at)| {
            Some(FirstResponse { channel_number, responder, inbound_at: inbound_at?, response_at: response_at? })
        })
        .collect())
}

/// A ticket's (last) close, as reports read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Close {
    pub channel_number: String,
    pub closed_by: Option<UserId>,
    pub auto_closed: bool,
    pub created_at: NaiveDateTime,
    pub closed_at: NaiveDateTime,
}

/// The tickets closed in `scope` (by `closer`, if given) and closed still: a reopen clears `closed_at`.
pub fn closes(conn: &mut AnyConnection, scope: Scope<'_>, closer: Option<UserId>) -> QueryResult<Vec<Close>> {
    let mut query = in_inboxes!(
        tickets::table.filter(tickets::closed_at.ge(scope.from)).filter(tickets::closed_at.lt(scope.until)).select((
            tickets::channel_number,
            tickets::closed_by_id,
            tickets::auto_closed,
            tickets::created_at,
            tickets::closed_at,
        )),
        scope
    );
    if let Some(closer) = closer {
        query = query.filter(tickets::closed_by_id.eq(closer));
    }
    type Row = (String, Option<UserId>, bool, NaiveDateTime, Option<NaiveDateTime>);
    let rows: Vec<Row> = query.load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(channel_number, closed_by, auto_closed, created_at, closed_at)| {
            Some(Close { channel_number, closed_by, auto_closed, created_at, closed_at: closed_at? })
        })
        .collect())
}

/// Unclosed tickets now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BacklogRows {
    pub per_status: Vec<(TicketStatus, i64)>,
    /// The oldest `waiting_since` among them.
    pub oldest_waiting: Option<NaiveDateTime>,
}

/// Unclosed tickets now: how many per status, and the longest wait.
pub fn backlog(conn: &mut AnyConnection, scope: Scope<'_>, assignee: Option<UserId>) -> QueryResult<BacklogRows> {
    // Counted from the status (or assignee) indexes alone.
    let mut counts = in_inboxes!(
        tickets::table.filter(TicketIsOpenOrPending).group_by(tickets::status).select((tickets::status, count_star())),
        scope
    );
    if let Some(assignee) = assignee {
        counts = counts.filter(tickets::assignee_id.eq(assignee));
    }
    let counts = counts.load(conn)?;
    // The longest wait per status: the first entry of the queue's waiting index (the key puts tickets that do
    // not wait last), so no status reads all its tickets' rows.
    let mut oldest: Option<NaiveDateTime> = None;
    for status in [TicketStatus::Open, TicketStatus::Pending] {
        let mut first = in_inboxes!(
            tickets::table
                .filter(tickets::status.eq(status))
                .filter(TicketIsUnclosed)
                .select(tickets::waiting_since)
                .order((WaitKey.asc(), tickets::id.asc())),
            scope
        );
        if let Some(assignee) = assignee {
            first = first.filter(tickets::assignee_id.eq(assignee));
        }
        let waiting: Vec<Option<NaiveDateTime>> = LiteralLimit::new(first, 1).load(conn)?;
        if let Some(since) = waiting.into_iter().flatten().next() {
            oldest = Some(oldest.map_or(since, |other| other.min(since)));
        }
    }
    Ok(BacklogRows { per_status: counts, oldest_waiting: oldest })
}

/// Unclosed tickets now, per number of ours.
pub fn unclosed_by_channel(conn: &mut AnyConnection, scope: Scope<'_>) -> QueryResult<Vec<(String, i64)>> {
    in_inboxes!(
        tickets::table
            .filter(TicketIsOpenOrPending)
            .group_by(tickets::channel_number)
            .select((tickets::channel_number, count_star())),
        scope
    )
    .load(conn)
}

/// Every user: id, name and whether active.
pub fn report_users(conn: &mut AnyConnection) -> QueryResult<Vec<(UserId, String, bool)>> {
    users::table.select((users::id, users::name, users::active)).order(users::id).load(conn)
}
