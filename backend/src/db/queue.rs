//! Reading tickets and threads, with change cursors and the change stamps behind the API's ETags.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::inboxes::HiddenInboxes;
use crate::db::schema::{
    contacts, inboxes, messages, outbox, tags, ticket_events, ticket_reads, ticket_tags, tickets, users,
};
use crate::db::tickets::{TicketIsOpenOrPending, TicketIsUnclosed, TicketOptedOut, ticket_opted_out};
use crate::db::{AnyConnection, LiteralLimit, MultiBackend, lower};
use crate::domain::{
    Direction, EventKind, MessageId, PhoneNumber, Priority, SearchQuery, TagName, TicketId, TicketStatus, UserId,
};
use crate::tickets::events::{EventDetails, Person, TicketEvent};
use crate::tickets::notifications::ChangedTicket;
use crate::tickets::{ContactRef, LastMessage, Message, OutboxEntry, Ticket};

/// One row of [`tickets_seen_by`], before it becomes a [`Ticket`].
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = tickets)]
pub(super) struct TicketRow {
    id: TicketId,
    customer_number: String,
    channel_number: String,
    status: TicketStatus,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    closed_at: Option<NaiveDateTime>,
    contact_id: Option<i64>,
    assignee_id: Option<UserId>,
    message_count: i32,
    last_message_preview: Option<String>,
    last_message_direction: Option<Direction>,
    last_message_at: Option<NaiveDateTime>,
    last_inbound_message_id: Option<MessageId>,
    failed_delivery_at: Option<NaiveDateTime>,
    #[diesel(select_expression = contacts::name.nullable())]
    #[diesel(select_expression_type = diesel::dsl::Nullable<contacts::name>)]
    contact_name: Option<String>,
    #[diesel(select_expression = ticket_reads::last_read_message_id.nullable())]
    #[diesel(select_expression_type = diesel::dsl::Nullable<ticket_reads::last_read_message_id>)]
    last_read_message_id: Option<MessageId>,
    #[diesel(select_expression = ticket_opted_out())]
    #[diesel(select_expression_type = TicketOptedOut)]
    opted_out: bool,
    priority: i16,
    waiting_since: Option<NaiveDateTime>,
    #[diesel(select_expression = inboxes::name.nullable())]
    #[diesel(select_expression_type = diesel::dsl::Nullable<inboxes::name>)]
    inbox_name: Option<String>,
}

impl TicketRow {
    /// Where the row sits in the queue's newest-activity-first order (greater is newer).
    fn position(&self) -> (NaiveDateTime, TicketId) {
        (self.updated_at, self.id)
    }

    /// How the row compares with another in the order of `sort` (less comes first).
    fn order(&self, other: &Self, sort: TicketSort) -> std::cmp::Ordering {
        let waiting = |row: &Self| (wait_key(row.waiting_since), row.id);
        match sort {
            TicketSort::Activity => other.position().cmp(&self.position()),
            TicketSort::Waiting => waiting(self).cmp(&waiting(other)),
            TicketSort::Priority => other.priority.cmp(&self.priority).then_with(|| waiting(self).cmp(&waiting(other))),
        }
    }
}

impl From<TicketRow> for Ticket {
    fn from(row: TicketRow) -> Self {
        let last_message = match (row.last_message_preview, row.last_message_direction, row.last_message_at) {
            (Some(preview), Some(direction), Some(at)) => Some(LastMessage { preview, direction, at }),
            _ => None,
        };
        let unread = match (row.last_inbound_message_id, row.last_read_message_id) {
            (Some(latest), Some(read)) => latest > read,
            (Some(_), None) => true,
            (None, _) => false,
        };
        let inbox_name = row.inbox_name.map(|name| crate::inboxes::shown_name(&row.channel_number, &name));
        Self {
            id: row.id,
            customer_number_display: PhoneNumber::display(&row.customer_number),
            customer_number: row.customer_number,
            channel_number: row.channel_number,
            status: row.status,
            created_at: row.created_at,
            updated_at: row.updated_at,
            closed_at: row.closed_at,
            opted_out: row.opted_out,
            assignee_id: row.assignee_id,
            contact: row.contact_id.map(|id| ContactRef { id, name: row.contact_name }),
            message_count: row.message_count,
            last_message,
            unread,
            failed_delivery_at: row.failed_delivery_at,
            priority: Priority::from_rank(row.priority).unwrap_or_default(),
            // Filled in for a whole page at once (`with_tags`).
            tags: Vec::new(),
            waiting_since: row.waiting_since,
            inbox_name,
        }
    }
}

/// Puts each ticket's tags on it: one query for the whole page.
pub(super) fn with_tags(conn: &mut AnyConnection, mut tickets: Vec<Ticket>) -> QueryResult<Vec<Ticket>> {
    let ids: Vec<TicketId> = tickets.iter().map(|t| t.id).collect();
    let mut tags = crate::tags::tags_of_tickets(conn, &ids)?;
    for ticket in &mut tickets {
        ticket.tags = tags.remove(&ticket.id).unwrap_or_default();
    }
    Ok(tickets)
}

/// Tickets joined with what one agent needs to see them: the contact's name and their read marker.
#[diesel::dsl::auto_type]
fn tickets_seen_by(viewer: UserId) -> _ {
    let own_reads: diesel::dsl::And<
        diesel::dsl::Eq<ticket_reads::ticket_id, tickets::id>,
        diesel::dsl::Eq<ticket_reads::user_id, UserId>,
    > = ticket_reads::ticket_id.eq(tickets::id).and(ticket_reads::user_id.eq(viewer));
    let own_inbox: diesel::dsl::Eq<inboxes::number, tickets::channel_number> =
        inboxes::number.eq(tickets::channel_number);
    tickets::table
        .left_join(contacts::table)
        .left_join(ticket_reads::table.on(own_reads))
        .left_join(inboxes::table.on(own_inbox))
}

/// Change cursors look this far back: PostgreSQL can make concurrent commits visible out of timestamp order,
/// and clocks step. Clients merge what they receive by id, so seeing a change twice is harmless.
const CHANGE_OVERLAP: Duration = Duration::from_secs(2);

fn overlap_before(at: NaiveDateTime) -> NaiveDateTime {
    at - chrono::Duration::from_std(CHANGE_OVERLAP).unwrap_or_default()
}

pub fn ticket_exists(conn: &mut AnyConnection, id: TicketId) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(tickets::table.find(id))).get_result(conn)
}

pub fn find_ticket(conn: &mut AnyConnection, id: TicketId, viewer: UserId) -> QueryResult<Option<Ticket>> {
    let rows: Vec<TicketRow> =
        tickets_seen_by(viewer).filter(tickets::id.eq(id)).select(TicketRow::as_select()).load(conn)?;
    Ok(with_tags(conn, rows.into_iter().map(Ticket::from).collect())?.pop())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssigneeFilter {
    Nobody,
    User(UserId),
}

#[derive(Debug, Clone)]
pub struct TicketFilter {
    pub viewer: UserId,
    /// `None` lists every status.
    pub statuses: Option<Vec<TicketStatus>>,
    pub assignee: Option<AssigneeFilter>,
    pub customer_number: Option<PhoneNumber>,
    pub search: Option<SearchQuery>,
    /// Only tickets changed since then (with [`CHANGE_OVERLAP`]).
    pub updated_since: Option<NaiveDateTime>,
    pub after: Option<TicketCursor>,
    pub limit: i64,
    /// Only tickets with this tag.
    pub tag: Option<TagName>,
    pub priority: Option<Priority>,
    pub sort: TicketSort,
    /// Only tickets to this number of ours (one inbox).
    pub inbox: Option<PhoneNumber>,
    /// The inboxes the viewer may not see ([`crate::inboxes::hidden_for`]); empty shows every ticket.
    pub hidden_inboxes: HiddenInboxes,
}

/// The orders the queue can be read in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum TicketSort {
    /// Newest activity first.
    #[default]
    Activity,
    /// The tickets whose oldest unanswered customer text is oldest first (`waiting_since`, then id); those
    /// not waiting after them, by id.
    Waiting,
    /// Most urgent first, then as [`TicketSort::Waiting`].
    Priority,
}

impl TicketSort {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "activity" => Some(Self::Activity),
            "waiting" => Some(Self::Waiting),
            "priority" => Some(Self::Priority),
            _ => None,
        }
    }
}

/// Where a ticket that waits for nothing sorts by waiting: after every real time. The same value as the
/// literal in the sort indexes (migration `2026-12-08-000010_tags_priority`) and [`WaitKey`].
fn not_waiting() -> NaiveDateTime {
    chrono::NaiveDate::from_ymd_opt(9999, 12, 31)
        .and_then(|day| day.and_hms_opt(23, 59, 59))
        .unwrap_or(NaiveDateTime::MAX)
}

fn wait_key(waiting_since: Option<NaiveDateTime>) -> NaiveDateTime {
    waiting_since.unwrap_or_else(not_waiting)
}

/// Position in the queue's order (it says which): the last ticket of the previous page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TicketCursor {
    Activity { updated_at: NaiveDateTime, id: TicketId },
    Waiting { waiting: NaiveDateTime, id: TicketId },
    Priority { rank: i16, waiting: NaiveDateTime, id: TicketId },
}

const CURSOR_TIME_FORMAT: &str = "%Y-%m-%dT%H:%M:%S%.6f";

impl TicketCursor {
    /// The position of a ticket in the order of `sort`.
    fn of(ticket: &Ticket, sort: TicketSort) -> Self {
        let waiting = wait_key(ticket.waiting_since);
        match sort {
            TicketSort::Activity => Self::Activity { updated_at: ticket.updated_at, id: ticket.id },
            TicketSort::Waiting => Self::Waiting { waiting, id: ticket.id },
            TicketSort::Priority => Self::Priority { rank: ticket.priority.rank(), waiting, id: ticket.id },
        }
    }

    /// Opaque to clients: base64url of `<timestamp>|<id>` (newest activity, as before sorts existed), or of
    /// the sort's name and its keys.
    pub fn encode(&self) -> String {
        let text = match self {
            Self::Activity { updated_at, id } => format!("{}|{id}", updated_at.format(CURSOR_TIME_FORMAT)),
            Self::Waiting { waiting, id } => format!("waiting|{}|{id}", waiting.format(CURSOR_TIME_FORMAT)),
            Self::Priority { rank, waiting, id } => {
                format!("priority|{rank}|{}|{id}", waiting.format(CURSOR_TIME_FORMAT))
            }
        };
        URL_SAFE_NO_PAD.encode(text)
    }

    /// A newest-activity cursor.
    pub fn decode(raw: &str) -> Option<Self> {
        Self::decode_for(raw, TicketSort::Activity)
    }

    /// A cursor of the order `sort`; `None` for anything else, a cursor of another order included.
    pub fn decode_for(raw: &str, sort: TicketSort) -> Option<Self> {
        let time = |raw: &str| NaiveDateTime::parse_from_str(raw, CURSOR_TIME_FORMAT).ok();
        match sort {
            TicketSort::Activity => {
                let (updated_at, id) = decode_position(raw)?;
                Some(Self::Activity { updated_at, id: TicketId(id) })
            }
            TicketSort::Waiting => {
                let text = String::from_utf8(URL_SAFE_NO_PAD.decode(raw).ok()?).ok()?;
                let ["waiting", waiting, id] = text.split('|').collect::<Vec<_>>()[..] else { return None };
                Some(Self::Waiting { waiting: time(waiting)?, id: TicketId(id.parse().ok()?) })
            }
            TicketSort::Priority => {
                let text = String::from_utf8(URL_SAFE_NO_PAD.decode(raw).ok()?).ok()?;
                let ["priority", rank, waiting, id] = text.split('|').collect::<Vec<_>>()[..] else { return None };
                let rank: i16 = rank.parse().ok()?;
                Priority::from_rank(rank)?;
                Some(Self::Priority { rank, waiting: time(waiting)?, id: TicketId(id.parse().ok()?) })
            }
        }
    }
}

fn decode_position(raw: &str) -> Option<(NaiveDateTime, i64)> {
    let bytes = URL_SAFE_NO_PAD.decode(raw).ok()?;
    let text = std::str::from_utf8(&bytes).ok()?;
    let (time, id) = text.split_once('|')?;
    Some((NaiveDateTime::parse_from_str(time, CURSOR_TIME_FORMAT).ok()?, id.parse().ok()?))
}

#[derive(Debug, Clone)]
pub struct TicketPage {
    pub tickets: Vec<Ticket>,
    /// Present when more tickets follow.
    pub next: Option<TicketCursor>,
}

/// Tickets with the newest activity first, a page at a time (keyset pagination: stable while tickets
/// change, and as fast on page 1000 as on page 1).
pub fn list_tickets(conn: &mut AnyConnection, filter: &TicketFilter) -> QueryResult<TicketPage> {
    let page_rows = filter.limit.max(0) as usize + 1;
    let mut rows: Vec<TicketRow> = match filter.statuses.as_deref() {
        None => ranked_page_of(conn, filter, None, None)?,
        // One query per status, each reading its own range of the (status, updated_at, id) index, merged
        // here. As one `status <> 'closed'` scan of the activity index, the queue's page would look up and
        // skip every closed ticket between its open ones: most of a desk with a long history.
        Some(statuses) => {
            let mut distinct = statuses.to_vec();
            distinct.sort_unstable_by_key(|status| status.as_str());
            distinct.dedup();
            // Once a full page is merged, a later status only matters above the page's last row, and on
            // SQLite its query reads only that part of its range (with its joins) instead of a whole page.
            // PostgreSQL would plan such a query anew at every poll (the bound makes a plan for the actual
            // values look far cheaper than a reusable one), which costs more than the reading saved.
            let bounded = matches!(conn, AnyConnection::Sqlite(_)) && filter.sort == TicketSort::Activity;
            let mut merged: Vec<TicketRow> = Vec::new();
            for status in distinct {
                let floor = (bounded && merged.len() >= page_rows).then(|| merged[page_rows - 1].position());
                merged.extend(ranked_page_of(conn, filter, Some(status), floor)?);
                merged.sort_unstable_by(|a, b| a.order(b, filter.sort));
                merged.truncate(page_rows);
            }
            merged
        }
    };
    let more = rows.len() as i64 > filter.limit;
    rows.truncate(filter.limit.max(0) as usize);
    let tickets = with_tags(conn, rows.into_iter().map(Ticket::from).collect())?;
    let next = if more { tickets.last().map(|t| TicketCursor::of(t, filter.sort)) } else { None };
    Ok(TicketPage { tickets, next })
}

/// The viewer's tickets as [`TicketRow`]s, boxed so that filters and an order can be added at run time.
pub(super) type TicketQuery<'a> = diesel::dsl::IntoBoxed<
    'a,
    diesel::dsl::Select<tickets_seen_by, diesel::dsl::AsSelect<TicketRow, MultiBackend>>,
    MultiBackend,
>;

/// The tickets that match the filter's criteria, in no order and without its status (which [`list_tickets`]
/// reads one status at a time) or page. The queue and the CSV exports (`db/export.rs`) both start here, so a
/// filter added here filters both.
pub(super) fn matching_tickets(filter: &TicketFilter) -> TicketQuery<'_> {
    let mut query = tickets_seen_by(filter.viewer).select(TicketRow::as_select()).into_boxed::<MultiBackend>();
    match filter.assignee {
        None => {}
        Some(AssigneeFilter::Nobody) => query = query.filter(tickets::assignee_id.is_null()),
        Some(AssigneeFilter::User(user)) => query = query.filter(tickets::assignee_id.eq(user)),
    }
    if let Some(number) = &filter.customer_number {
        query = query.filter(tickets::customer_number.eq(number.as_str()));
    }
    if let Some(inbox) = &filter.inbox {
        query = query.filter(tickets::channel_number.eq(inbox.as_str()));
    }
    if !filter.hidden_inboxes.is_empty() {
        query = query.filter(filter.hidden_inboxes.visible());
    }
    if let Some(search) = &filter.search {
        query = query.filter(MatchesSearch::new(search));
    }
    if let Some(since) = filter.updated_since {
        query = query.filter(tickets::updated_at.gt(overlap_before(since)));
    }
    if let Some(tag) = &filter.tag {
        let tag_ids =
            tags::table.filter(lower(tags::name.nullable()).eq(lower(tag.as_str().to_owned()))).select(tags::id);
        query = query.filter(
            tickets::id
                .eq_any(ticket_tags::table.filter(ticket_tags::tag_id.eq_any(tag_ids)).select(ticket_tags::ticket_id)),
        );
    }
    if let Some(priority) = filter.priority {
        query = query.filter(tickets::priority.eq(priority.rank()));
    }
    query
}

/// Which part of the priority order after a cursor a query reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ranks {
    /// Any (no priority cursor).
    All,
    /// The cursor's priority, after its position: one range of the priority index.
    Same,
    /// The lower priorities: another.
    Lower,
}

/// [`page_of`], for a page after a priority cursor in two index ranges read one after the other: the rest of
/// the cursor's priority, then (if the page is not full) the lower ones. As one query, the rows after the
/// cursor are no range of the index, and every row of the cursor's priority before it would be read again on
/// every page.
fn ranked_page_of(
    conn: &mut AnyConnection,
    filter: &TicketFilter,
    status: Option<TicketStatus>,
    floor: Option<(NaiveDateTime, TicketId)>,
) -> QueryResult<Vec<TicketRow>> {
    if !matches!(filter.after, Some(TicketCursor::Priority { .. })) {
        return page_of(conn, filter, status, floor, Ranks::All);
    }
    let page_rows = filter.limit.max(0) as usize + 1;
    let mut rows = page_of(conn, filter, status, floor, Ranks::Same)?;
    if rows.len() < page_rows {
        rows.extend(page_of(conn, filter, status, floor, Ranks::Lower)?);
        rows.truncate(page_rows);
    }
    Ok(rows)
}

/// Up to `limit + 1` tickets in the filter's order that match it (and `status`), all newer than `floor` if
/// given (newest activity first only), in `ranks` after a priority cursor.
fn page_of(
    conn: &mut AnyConnection,
    filter: &TicketFilter,
    status: Option<TicketStatus>,
    floor: Option<(NaiveDateTime, TicketId)>,
    ranks: Ranks,
) -> QueryResult<Vec<TicketRow>> {
    let mut query = matching_tickets(filter);
    if let Some(status) = status {
        query = query.filter(tickets::status.eq(status));
    }
    // The sorts by waiting read the unclosed tickets' partial indexes, whose predicate the planners (SQLite
    // especially) only match when they see it literally.
    if filter.sort != TicketSort::Activity && matches!(status, Some(TicketStatus::Open | TicketStatus::Pending)) {
        query = query.filter(TicketIsUnclosed);
    }
    match &filter.after {
        None => {}
        Some(TicketCursor::Activity { updated_at, id }) => {
            query = query.filter(
                tickets::updated_at.lt(*updated_at).or(tickets::updated_at.eq(*updated_at).and(tickets::id.lt(*id))),
            );
        }
        // The first comparison alone bounds the index range; the second picks the rows after the cursor in it.
        Some(TicketCursor::Waiting { waiting, id }) => {
            query = query
                .filter(WaitKey.ge(*waiting))
                .filter(WaitKey.gt(*waiting).or(WaitKey.eq(*waiting).and(tickets::id.gt(*id))));
        }
        Some(TicketCursor::Priority { rank, waiting, id }) => match ranks {
            Ranks::Same => {
                query = query
                    .filter(tickets::priority.eq(*rank))
                    .filter(WaitKey.ge(*waiting))
                    .filter(WaitKey.gt(*waiting).or(WaitKey.eq(*waiting).and(tickets::id.gt(*id))));
            }
            Ranks::Lower => query = query.filter(tickets::priority.lt(*rank)),
            // Not asked for (see `ranked_page_of`); both ranges at once is still the right answer.
            Ranks::All => {
                query = query.filter(
                    tickets::priority.lt(*rank).or(tickets::priority
                        .eq(*rank)
                        .and(WaitKey.gt(*waiting).or(WaitKey.eq(*waiting).and(tickets::id.gt(*id))))),
                );
            }
        },
    }
    if let Some((updated_at, id)) = floor {
        query = query
            .filter(tickets::updated_at.ge(updated_at))
            .filter(tickets::updated_at.gt(updated_at).or(tickets::id.gt(id)));
    }
    let page_rows = u32::try_from(filter.limit.max(0) + 1).unwrap_or(u32::MAX);
    let query = match filter.sort {
        TicketSort::Activity => query.order((tickets::updated_at.desc(), tickets::id.desc())),
        TicketSort::Waiting => query.order((WaitKey.asc(), tickets::id.asc())),
        TicketSort::Priority => query.order((tickets::priority.desc(), WaitKey.asc(), tickets::id.asc())),
    };
    LiteralLimit::new(query, page_rows).load(conn)
}

/// `COALESCE(tickets.waiting_since, <not_waiting()>)`: the key the sorts by waiting order by, never NULL
/// (the two databases put NULLs at opposite ends), written exactly as the sort indexes are so that both
/// planners read them.
#[derive(Debug, Clone, Copy, diesel::query_builder::QueryId)]
pub(crate) struct WaitKey;

impl diesel::Expression for WaitKey {
    type SqlType = diesel::sql_types::Timestamp;
}
impl<QS> diesel::AppearsOnTable<QS> for WaitKey where tickets::waiting_since: diesel::AppearsOnTable<QS> {}
impl diesel::expression::ValidGrouping<()> for WaitKey {
    type IsAggregate = diesel::expression::is_aggregate::Never;
}

impl diesel::query_builder::QueryFragment<diesel::sqlite::Sqlite> for WaitKey {
    fn walk_ast<'b>(
        &'b self,
        mut out: diesel::query_builder::AstPass<'_, 'b, diesel::sqlite::Sqlite>,
    ) -> QueryResult<()> {
        out.push_sql("COALESCE(tickets.waiting_since, '9999-12-31 23:59:59')");
        Ok(())
    }
}

impl diesel::query_builder::QueryFragment<diesel::pg::Pg> for WaitKey {
    fn walk_ast<'b>(&'b self, mut out: diesel::query_builder::AstPass<'_, 'b, diesel::pg::Pg>) -> QueryResult<()> {
        out.push_sql("COALESCE(tickets.waiting_since, TIMESTAMP '9999-12-31 23:59:59')");
        Ok(())
    }
}

impl diesel::query_builder::QueryFragment<MultiBackend> for WaitKey {
    fn walk_ast<'b>(&'b self, pass: diesel::query_builder::AstPass<'_, 'b, MultiBackend>) -> QueryResult<()> {
        MultiBackend::walk_variant_ast(self, pass)
    }
}

/// The ticket matches a search: its customer's number, its contact's name or any of its messages' bodies
/// (full-text: FTS5 on SQLite, a GIN tsvector index on PostgreSQL). Holds the rendered patterns because
/// diesel binds parameters by reference.
#[derive(Debug, Clone)]
struct MatchesSearch {
    name_pattern: String,
    number_pattern: Option<String>,
    fts5: Option<String>,
    tsquery: Option<String>,
}

impl MatchesSearch {
    fn new(search: &SearchQuery) -> Self {
        Self {
            name_pattern: search.contains_pattern(),
            number_pattern: search.number_pattern(),
            fts5: search.fts5(),
            tsquery: search.tsquery(),
        }
    }

    /// The parts both backends share: name and number matches.
    fn walk_common<'b, DB>(
        &'b self,
        out: &mut diesel::query_builder::AstPass<'_, 'b, DB>,
        like: &str,
    ) -> QueryResult<()>
    where
        DB: diesel::backend::Backend,
        String: diesel::serialize::ToSql<diesel::sql_types::Text, DB>,
    {
        out.push_sql("(tickets.contact_id IN (SELECT id FROM contacts WHERE name ");
        out.push_sql(like);
        out.push_sql(" ");
        out.push_bind_param::<diesel::sql_types::Text, _>(&self.name_pattern)?;
        out.push_sql(" ESCAPE '\\')");
        if let Some(number) = &self.number_pattern {
            out.push_sql(" OR tickets.customer_number LIKE ");
            out.push_bind_param::<diesel::sql_types::Text, _>(number)?;
        }
        Ok(())
    }
}

impl diesel::Expression for MatchesSearch {
    type SqlType = diesel::sql_types::Bool;
}
impl<QS> diesel::AppearsOnTable<QS> for MatchesSearch where tickets::id: diesel::AppearsOnTable<QS> {}
impl diesel::expression::ValidGrouping<()> for MatchesSearch {
    type IsAggregate = diesel::expression::is_aggregate::Never;
}
impl diesel::query_builder::QueryId for MatchesSearch {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl diesel::query_builder::QueryFragment<diesel::sqlite::Sqlite> for MatchesSearch {
    fn walk_ast<'b>(
        &'b self,
        mut out: diesel::query_builder::AstPass<'_, 'b, diesel::sqlite::Sqlite>,
    ) -> QueryResult<()> {
        self.walk_common(&mut out, "LIKE")?;
        if let Some(fts) = &self.fts5 {
            out.push_sql(
                " OR tickets.id IN (SELECT m.ticket_id FROM messages m WHERE m.id IN \
                 (SELECT rowid FROM messages_fts WHERE messages_fts MATCH ",
            );
            out.push_bind_param::<diesel::sql_types::Text, _>(fts)?;
            out.push_sql("))");
        }
        out.push_sql(")");
        Ok(())
    }
}

impl diesel::query_builder::QueryFragment<diesel::pg::Pg> for MatchesSearch {
    fn walk_ast<'b>(&'b self, mut out: diesel::query_builder::AstPass<'_, 'b, diesel::pg::Pg>) -> QueryResult<()> {
        self.walk_common(&mut out, "ILIKE")?;
        if let Some(tsquery) = &self.tsquery {
            out.push_sql(
                " OR tickets.id IN (SELECT m.ticket_id FROM messages m WHERE \
                 to_tsvector('simple', m.body) @@ to_tsquery('simple', ",
            );
            out.push_bind_param::<diesel::sql_types::Text, _>(tsquery)?;
            out.push_sql("))");
        }
        out.push_sql(")");
        Ok(())
    }
}

impl diesel::query_builder::QueryFragment<MultiBackend> for MatchesSearch {
    fn walk_ast<'b>(&'b self, pass: diesel::query_builder::AstPass<'_, 'b, MultiBackend>) -> QueryResult<()> {
        MultiBackend::walk_variant_ast(self, pass)
    }
}

#[derive(Debug, Clone)]
pub struct MessageFilter {
    pub ticket_id: TicketId,
    /// Only messages created or changed after this position (with [`CHANGE_OVERLAP`]).
    pub after: Option<MessageCursor>,
}

/// A position in a thread's changes: the `(updated_at, id)` of the last change a client has seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageCursor {
    updated_at: NaiveDateTime,
    id: MessageId,
}

impl MessageCursor {
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(format!("{}|{}", self.updated_at.format(CURSOR_TIME_FORMAT), self.id))
    }

    pub fn decode(raw: &str) -> Option<Self> {
        let (updated_at, id) = decode_position(raw)?;
        Some(Self { updated_at, id: MessageId(id) })
    }
}

#[derive(Debug, Clone)]
pub struct MessagePage {
    /// Oldest first, each with its outbox entry while it waits to be sent.
    pub messages: Vec<(Message, Option<OutboxEntry>)>,
    /// Where the next poll continues: the newest change returned (or the one passed in).
    pub cursor: Option<MessageCursor>,
}

/// A ticket's messages, oldest first, with their outbox entries (one query: messages LEFT JOIN outbox);
/// with `after`, only those created or changed since, and every one still in the outbox (its attempts
/// change without changing the message; a thread has few of them).
pub fn thread(conn: &mut AnyConnection, filter: &MessageFilter) -> QueryResult<MessagePage> {
    let base = messages::table
        .left_join(outbox::table)
        .filter(messages::ticket_id.eq(filter.ticket_id))
        .select((Message::as_select(), (outbox::attempts, outbox::next_attempt_at, outbox::last_error).nullable()))
        .order(messages::id.asc());
    let messages: Vec<(Message, Option<OutboxEntry>)> = match &filter.after {
        None => base.load(conn)?,
        Some(after) => base
            .filter(
                messages::updated_at
                    .gt(overlap_before(after.updated_at))
                    .or(outbox::message_id.nullable().is_not_null()),
            )
            .load(conn)?,
    };
    let newest = messages
        .iter()
        .map(|(m, _)| MessageCursor { updated_at: m.updated_at, id: m.id })
        .max_by(|a, b| (a.updated_at, a.id).cmp(&(b.updated_at, b.id)));
    let cursor = match (newest, &filter.after) {
        (Some(newest), Some(after)) if (after.updated_at, after.id) > (newest.updated_at, newest.id) => {
            Some(after.clone())
        }
        (Some(newest), _) => Some(newest),
        (None, after) => after.clone(),
    };
    Ok(MessagePage { messages, cursor })
}

/// What an ETag is computed from: a few indexed maxima that move whenever the answer could change.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ChangeStamp(Vec<String>);

impl ChangeStamp {
    pub fn from_parts(parts: Vec<String>) -> Self {
        Self(parts)
    }

    pub fn parts(&self) -> &[String] {
        &self.0
    }
}

fn stamp_part(value: Option<NaiveDateTime>) -> String {
    value.map(|v| v.format(CURSOR_TIME_FORMAT).to_string()).unwrap_or_default()
}

/// The change stamp of every ticket list the viewer can ask for: the newest ticket and contact changes and
/// the viewer's newest read marker, in one query of index lookups.
pub fn list_stamp(conn: &mut AnyConnection, viewer: UserId) -> QueryResult<ChangeStamp> {
    let (tickets_changed, contacts_changed, read): (
        Option<NaiveDateTime>,
        Option<NaiveDateTime>,
        Option<NaiveDateTime>,
    ) = diesel::select((
        tickets::table.select(diesel::dsl::max(tickets::updated_at)).single_value().assume_not_null().nullable(),
        contacts::table.select(diesel::dsl::max(contacts::updated_at)).single_value().assume_not_null().nullable(),
        ticket_reads::table
            .filter(ticket_reads::user_id.eq(viewer))
            .select(diesel::dsl::max(ticket_reads::read_at))
            .single_value()
            .assume_not_null()
            .nullable(),
    ))
    .get_result(conn)?;
    // Inbox names and members change what the list shows and to whom.
    let (inboxes_changed, inbox_count) = crate::db::inboxes::inboxes_stamp(conn)?;
    let newest = tickets_changed.max(contacts_changed).max(read).max(inboxes_changed);
    Ok(ChangeStamp(vec![
        stamp_part(tickets_changed),
        stamp_part(contacts_changed),
        stamp_part(read),
        settling_part(conn, newest),
        stamp_part(inboxes_changed),
        inbox_count.to_string(),
    ]))
}

/// The change stamp of one ticket's thread: its message count and newest message change, and its messages'
/// place in the outbox (attempts and next attempt move at every try, without changing the message).
pub fn thread_stamp(conn: &mut AnyConnection, ticket_id: TicketId) -> QueryResult<ChangeStamp> {
    let queued = || outbox::table.inner_join(messages::table).filter(messages::ticket_id.eq(ticket_id));
    let (count, changed, attempts, next_attempt): (i64, Option<NaiveDateTime>, Option<i64>, Option<NaiveDateTime>) =
        diesel::select((
            messages::table.filter(messages::ticket_id.eq(ticket_id)).count().single_value().assume_not_null(),
            messages::table
                .filter(messages::ticket_id.eq(ticket_id))
                .select(diesel::dsl::max(messages::updated_at))
                .single_value()
                .assume_not_null()
                .nullable(),
            queued().select(diesel::dsl::sum(outbox::attempts)).single_value().assume_not_null().nullable(),
            queued().select(diesel::dsl::max(outbox::next_attempt_at)).single_value().assume_not_null().nullable(),
        ))
        .get_result(conn)?;
    Ok(ChangeStamp(vec![
        count.to_string(),
        stamp_part(changed),
        attempts.map(|n| n.to_string()).unwrap_or_default(),
        stamp_part(next_attempt),
        settling_part(conn, changed),
    ]))
}

/// PostgreSQL commits concurrent transactions in any order, so a change stamped a little before the newest
/// one can become visible after it without moving any maximum. While the newest change is younger than
/// `CHANGE_OVERLAP` (the bound the change cursors rely on too), the stamp carries the current time, so no
/// two polls share an ETag until the data has settled. SQLite commits in timestamp order through one writer.
fn settling_part(conn: &AnyConnection, newest: Option<NaiveDateTime>) -> String {
    let now = crate::db::now();
    match (conn, newest) {
        (AnyConnection::Postgresql(_), Some(newest)) if newest > overlap_before(now) => stamp_part(Some(now)),
        _ => String::new(),
    }
}

/// The numbers behind the queue's tabs.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, utoipa::ToSchema)]
pub struct TicketCounts {
    pub open: i64,
    pub pending: i64,
    /// Unclosed tickets assigned to the viewer.
    pub mine: i64,
    /// Unclosed tickets assigned to nobody.
    pub unassigned: i64,
    /// Unclosed tickets with customer texts the viewer has not read.
    pub unread_mine: i64,
    /// Unclosed unassigned tickets with customer texts the viewer has not read (with `unread_mine`, the
    /// dashboard's tab title), counted up to 100: more reads as "100".
    pub unread_unassigned: i64,
}

/// Where [`TicketCounts::unread_unassigned`] stops counting.
pub const UNREAD_UNASSIGNED_CAP: i64 = 100;

/// The counts every agent shares: open, pending and unassigned tickets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TeamCounts {
    pub open: i64,
    pub pending: i64,
    pub unassigned: i64,
    /// The newest ticket change the counts include ([`tickets_changed`] as they were computed).
    pub tickets_changed: Option<NaiveDateTime>,
}

/// The counts of the tickets outside `hidden` (every ticket for admins and while no inbox has members).
pub fn team_counts(conn: &mut AnyConnection, hidden: &HiddenInboxes) -> QueryResult<TeamCounts> {
    let by_status =
        |status: TicketStatus| tickets::table.filter(tickets::status.eq(status)).filter(hidden.visible()).count();
    let unassigned = tickets::table
        .filter(tickets::assignee_id.is_null())
        .filter(TicketIsOpenOrPending)
        .filter(hidden.visible())
        .count();
    let (open, pending, unassigned, tickets_changed) = diesel::select((
        by_status(TicketStatus::Open).single_value().assume_not_null(),
        by_status(TicketStatus::Pending).single_value().assume_not_null(),
        unassigned.single_value().assume_not_null(),
        tickets::table.select(diesel::dsl::max(tickets::updated_at)).single_value().assume_not_null().nullable(),
    ))
    .get_result(conn)?;
    Ok(TeamCounts { open, pending, unassigned, tickets_changed })
}

/// The newest change to any ticket (every change that can move a count moves it): one index lookup.
pub fn tickets_changed(conn: &mut AnyConnection) -> QueryResult<Option<NaiveDateTime>> {
    tickets::table.select(diesel::dsl::max(tickets::updated_at)).get_result(conn)
}

/// The viewer's own counts on top of the team's: one pass over their and the unassigned unclosed tickets
/// with the viewer's read markers (on PostgreSQL each query is a round trip, and every agent asks every 2 s).
pub fn ticket_counts(
    conn: &mut AnyConnection,
    team: TeamCounts,
    viewer: UserId,
    hidden: &HiddenInboxes,
) -> QueryResult<TicketCounts> {
    use diesel::dsl::{case_when, count};
    let own_reads = || ticket_reads::ticket_id.eq(tickets::id).and(ticket_reads::user_id.eq(viewer));
    let unread = || {
        tickets::last_inbound_message_id.gt(ticket_reads::last_read_message_id.nullable()).or(
            ticket_reads::last_read_message_id.nullable().is_null().and(tickets::last_inbound_message_id.is_not_null()),
        )
    };
    let (mine, unread_mine): (i64, i64) = tickets::table
        .left_join(ticket_reads::table.on(own_reads()))
        .filter(tickets::assignee_id.eq(viewer))
        .filter(TicketIsOpenOrPending)
        .filter(hidden.visible())
        .select((count(tickets::id), count(case_when(unread(), tickets::id))))
        .get_result(conn)?;
    // Counted only up to the cap: counting them all read every unassigned unclosed ticket with its read
    // marker at every poll of every agent (7.9 ms per poll at 7,500 of them on SQLite, which made polls take
    // a second under 1,000 texts/s: `cargo bench --bench polling`); the first unread ones are found at once.
    let unread_unassigned = tickets::table
        .left_join(ticket_reads::table.on(own_reads()))
        .filter(tickets::assignee_id.is_null())
        .filter(TicketIsOpenOrPending)
        .filter(hidden.visible())
        .filter(unread())
        .select(tickets::id)
        .limit(UNREAD_UNASSIGNED_CAP)
        .load::<TicketId>(conn)?
        .len() as i64;
    Ok(TicketCounts {
        open: team.open,
        pending: team.pending,
        mine,
        unassigned: team.unassigned,
        unread_mine,
        unread_unassigned,
    })
}

/// How many changed tickets one notifications poll looks at: an agent polls every few seconds, so more than
/// this changing in between is a burst no one reads one by one.
const NOTIFICATION_SCAN: i64 = 200;

/// Unassigned or the viewer's tickets changed after `since`, newest first, for
/// [`crate::tickets::notifications::notifications_for`]
/// (the queue's activity index; the newest inbound message by its key).
pub fn changed_tickets_for(
    conn: &mut AnyConnection,
    viewer: UserId,
    since: NaiveDateTime,
    hidden: &HiddenInboxes,
) -> QueryResult<Vec<ChangedTicket>> {
    let newest_inbound = messages::id.nullable().eq(tickets::last_inbound_message_id);
    tickets::table
        .left_join(contacts::table)
        .left_join(messages::table.on(newest_inbound))
        .filter(tickets::updated_at.gt(since))
        .filter(tickets::assignee_id.is_null().or(tickets::assignee_id.eq(viewer)))
        .filter(hidden.visible())
        .order((tickets::updated_at.desc(), tickets::id.desc()))
        .limit(NOTIFICATION_SCAN)
        .select((
            tickets::id,
            tickets::status,
            tickets::assignee_id,
            tickets::created_at,
            tickets::customer_number,
            contacts::name.nullable(),
            tickets::last_message_preview,
            messages::created_at.nullable(),
            tickets::failed_delivery_at,
        ))
        .load(conn)
}

/// A ticket's timeline, oldest first, with the names of the people in it. Events name users by id; their
/// names are read in one query for the whole timeline (a team is small, a timeline short).
pub fn ticket_events(conn: &mut AnyConnection, ticket_id: TicketId) -> QueryResult<Vec<TicketEvent>> {
    let rows: Vec<(i64, EventKind, Option<UserId>, NaiveDateTime, String)> = ticket_events::table
        .filter(ticket_events::ticket_id.eq(ticket_id))
        .order(ticket_events::id)
        .select((
            ticket_events::id,
            ticket_events::kind,
            ticket_events::actor_id,
            ticket_events::at,
            ticket_events::details,
        ))
        .load(conn)?;
    let rows = rows
        .into_iter()
        .map(|(id, kind, actor, at, details)| {
            // A bad stored value is an error for this request, never a panic.
            let details: EventDetails =
                serde_json::from_str(&details).map_err(|e| diesel::result::Error::DeserializationError(e.into()))?;
            Ok((id, kind, actor, at, details))
        })
        .collect::<QueryResult<Vec<_>>>()?;
    let mut named: Vec<UserId> =
        rows.iter().flat_map(|(_, _, actor, _, d)| [*actor, d.from_assignee, d.to_assignee]).flatten().collect();
    named.sort_unstable();
    named.dedup();
    let names: Vec<(UserId, String)> =
        users::table.filter(users::id.eq_any(&named)).select((users::id, users::name)).load(conn)?;
    let person = |id: Option<UserId>| {
        id.map(|id| {
            let name = names.iter().find(|(known, _)| *known == id).map_or_else(String::new, |(_, n)| n.clone());
            Person { id, name }
        })
    };
    Ok(rows
        .into_iter()
        .map(|(id, kind, actor, at, d)| TicketEvent {
            id,
            kind,
            at,
            actor: person(actor),
            from: person(d.from_assignee),
            to: person(d.to_assignee),
            from_status: d.from_status,
            to_status: d.to_status,
            idle_hours: d.idle_hours,
            channel_number: d.channel_number,
            message_id: d.message_id,
            error: d.error,
            added: d.added,
            removed: d.removed,
            from_priority: d.from_priority,
            to_priority: d.to_priority,
            rule: d.rule,
        })
        .collect())
}

/// The change stamp of a ticket's timeline: events are only ever added, so the newest id says it all.
pub fn events_stamp(conn: &mut AnyConnection, ticket_id: TicketId) -> QueryResult<ChangeStamp> {
    let newest: Option<i64> = ticket_events::table
        .filter(ticket_events::ticket_id.eq(ticket_id))
        .select(diesel::dsl::max(ticket_events::id))
        .get_result(conn)?;
    Ok(ChangeStamp(vec![newest.map_or_else(String::new, |id| id.to_string())]))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_garbage_is_rejected() {
        let at = NaiveDateTime::parse_from_str("2026-11-21T10:11:12.123456", CURSOR_TIME_FORMAT).unwrap();
        let cursor = TicketCursor::Activity { updated_at: at, id: TicketId(42) };
        assert_eq!(TicketCursor::decode(&cursor.encode()), Some(cursor.clone()));
        let waiting = TicketCursor::Waiting { waiting: not_waiting(), id: TicketId(7) };
        let priority = TicketCursor::Priority { rank: 3, waiting: at, id: TicketId(8) };
        for (sort, cursor) in [(TicketSort::Waiting, &waiting), (TicketSort::Priority, &priority)] {
            assert_eq!(TicketCursor::decode_for(&cursor.encode(), sort).as_ref(), Some(cursor));
            assert_eq!(TicketCursor::decode(&cursor.encode()), None, "another sort's cursor");
        }
        assert_eq!(TicketCursor::decode_for(&cursor.encode(), TicketSort::Waiting), None);
        assert_eq!(TicketCursor::decode_for(&waiting.encode(), TicketSort::Priority), None);
        let bad_rank = URL_SAFE_NO_PAD.encode("priority|9|2026-11-21T10:11:12.123456|1");
        assert_eq!(TicketCursor::decode_for(&bad_rank, TicketSort::Priority), None);
        for garbage in ["", "!!", "bm9wZQ", &URL_SAFE_NO_PAD.encode("2026-11-21|x")] {
            assert_eq!(TicketCursor::decode(garbage), None, "{garbage}");
        }
    }
}
