//! Inboxes' storage: the inboxes and their members, which tickets a viewer may not see, and round robin's
//! pick of the next member. The rules are in `crate::inboxes`; this only reads and writes.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::{inbox_members, inboxes, tickets, users};
use crate::db::{AnyConnection, MultiBackend};
use crate::domain::{AssignmentPolicy, UserId};
use crate::on_backend;

/// One inbox as stored.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = inboxes)]
pub struct InboxRow {
    pub number: String,
    /// `''` for numbers texted before inboxes existed: shown as the number.
    pub name: String,
    pub assignment_policy: AssignmentPolicy,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// Every inbox with its members' ids (a desk has a handful of numbers: two queries, grouped here).
pub fn all_inboxes(conn: &mut AnyConnection) -> QueryResult<Vec<(InboxRow, Vec<UserId>)>> {
    let rows: Vec<InboxRow> = inboxes::table.order(inboxes::number.asc()).select(InboxRow::as_select()).load(conn)?;
    let members: Vec<(String, UserId)> = inbox_members::table
        .order((inbox_members::inbox_number.asc(), inbox_members::user_id.asc()))
        .select((inbox_members::inbox_number, inbox_members::user_id))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let ids = members.iter().filter(|(number, _)| *number == row.number).map(|(_, id)| *id).collect();
            (row, ids)
        })
        .collect())
}

pub fn inbox_exists(conn: &mut AnyConnection, number: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(inboxes::table.find(number))).get_result(conn)
}

/// Creates the inbox; `false` when the number has one already (nothing written).
pub fn insert_inbox(
    conn: &mut AnyConnection,
    number: &str,
    name: &str,
    policy: AssignmentPolicy,
    at: NaiveDateTime,
) -> QueryResult<bool> {
    let row = (
        inboxes::number.eq(number),
        inboxes::name.eq(name),
        inboxes::assignment_policy.eq(policy),
        inboxes::created_at.eq(at),
        inboxes::updated_at.eq(at),
    );
    let inserted =
        on_backend!(conn, |c| diesel::insert_into(inboxes::table).values(row).on_conflict_do_nothing().execute(c))?;
    Ok(inserted == 1)
}

/// Changes the name and/or policy (`None` keeps them) and marks the inbox changed at `at`; `false` when
/// there is no such inbox.
pub fn update_inbox(
    conn: &mut AnyConnection,
    number: &str,
    name: Option<&str>,
    policy: Option<AssignmentPolicy>,
    at: NaiveDateTime,
) -> QueryResult<bool> {
    #[derive(AsChangeset)]
    #[diesel(table_name = inboxes)]
    struct Change<'a> {
        name: Option<&'a str>,
        assignment_policy: Option<AssignmentPolicy>,
        updated_at: NaiveDateTime,
    }
    let changed = diesel::update(inboxes::table.find(number))
        .set(Change { name, assignment_policy: policy, updated_at: at })
        .execute(conn)?;
    Ok(changed == 1)
}

/// Replaces the inbox's members: those kept keep their place in round robin.
pub fn replace_members(conn: &mut AnyConnection, number: &str, members: &[UserId]) -> QueryResult<()> {
    diesel::delete(
        inbox_members::table
            .filter(inbox_members::inbox_number.eq(number))
            .filter(inbox_members::user_id.ne_all(members.to_vec())),
    )
    .execute(conn)?;
    for member in members {
        let row = (inbox_members::inbox_number.eq(number), inbox_members::user_id.eq(*member));
        on_backend!(conn, |c| diesel::insert_into(inbox_members::table)
            .values(row)
            .on_conflict_do_nothing()
            .execute(c))?;
    }
    Ok(())
}

/// Deletes the inbox; its members go with it (`ON DELETE CASCADE`). The inbox row first, as every writer
/// of an inbox (round robin, a change of members) locks it before its members: no deadlock.
pub fn delete_inbox(conn: &mut AnyConnection, number: &str) -> QueryResult<bool> {
    Ok(diesel::delete(inboxes::table.find(number)).execute(conn)? == 1)
}

pub fn inbox_has_tickets(conn: &mut AnyConnection, number: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(tickets::table.filter(tickets::channel_number.eq(number)))).get_result(conn)
}

/// Which of `ids` are not users.
pub fn unknown_users(conn: &mut AnyConnection, ids: &[UserId]) -> QueryResult<Vec<UserId>> {
    let known: Vec<UserId> = users::table.filter(users::id.eq_any(ids.to_vec())).select(users::id).load(conn)?;
    Ok(ids.iter().copied().filter(|id| !known.contains(id)).collect())
}

pub fn set_away(conn: &mut AnyConnection, user: UserId, away: bool) -> QueryResult<bool> {
    Ok(diesel::update(users::table.find(user)).set(users::away.eq(away)).execute(conn)? == 1)
}

pub fn is_away(conn: &mut AnyConnection, user: UserId) -> QueryResult<bool> {
    users::table.find(user).select(users::away).first(conn)
}

/// The inboxes whose tickets `viewer` (an agent) may not see: those with members, none of them the viewer.
/// Usually empty or a few numbers, so the queue's queries add `NOT IN (…)` only when there are any.
pub fn hidden_inboxes(conn: &mut AnyConnection, viewer: UserId) -> QueryResult<HiddenInboxes> {
    // One query (every agent's poll asks): per staffed inbox at most two rows, with and without the viewer.
    let rows: Vec<(String, bool)> = inbox_members::table
        .select((inbox_members::inbox_number, inbox_members::user_id.eq(viewer)))
        .distinct()
        .order(inbox_members::inbox_number)
        .load(conn)?;
    let member_of: Vec<&str> = rows.iter().filter(|(_, own)| *own).map(|(number, _)| number.as_str()).collect();
    let mut hidden: Vec<String> = Vec::new();
    for (number, _) in &rows {
        if !member_of.contains(&number.as_str()) && hidden.last() != Some(number) {
            hidden.push(number.clone());
        }
    }
    Ok(HiddenInboxes(hidden))
}

/// The numbers of ours whose tickets a viewer may not see (empty for admins, and while no inbox has
/// members), sorted: it is also a key of the shared counts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct HiddenInboxes(Vec<String>);

impl HiddenInboxes {
    /// Nothing hidden: what admins, and everyone while no inbox has members, see.
    pub const EVERYTHING_VISIBLE: HiddenInboxes = HiddenInboxes(Vec::new());

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn numbers(&self) -> &[String] {
        &self.0
    }

    pub fn contains(&self, number: &str) -> bool {
        self.0.iter().any(|n| n == number)
    }

    /// The condition on `tickets`: its number is not hidden (`1 = 1` when nothing is, so the statement's
    /// text, and the cache of prepared statements, stay as they were).
    pub(crate) fn visible(&self) -> VisibleTicket {
        VisibleTicket(self.0.clone())
    }
}

/// `tickets.channel_number NOT IN (…)`, or `1 = 1` for an empty list; see [`HiddenInboxes::visible`].
#[derive(Debug, Clone)]
pub(crate) struct VisibleTicket(Vec<String>);

impl VisibleTicket {
    fn walk<'b, DB>(&'b self, out: &mut diesel::query_builder::AstPass<'_, 'b, DB>) -> QueryResult<()>
    where
        DB: diesel::backend::Backend,
        String: diesel::serialize::ToSql<diesel::sql_types::Text, DB>,
    {
        if self.0.is_empty() {
            out.push_sql("1 = 1");
            return Ok(());
        }
        out.push_sql("tickets.channel_number NOT IN (");
        for (i, number) in self.0.iter().enumerate() {
            if i > 0 {
                out.push_sql(", ");
            }
            out.push_bind_param::<diesel::sql_types::Text, _>(number)?;
        }
        out.push_sql(")");
        Ok(())
    }
}

impl diesel::Expression for VisibleTicket {
    type SqlType = diesel::sql_types::Bool;
}
impl<QS> diesel::AppearsOnTable<QS> for VisibleTicket where tickets::channel_number: diesel::AppearsOnTable<QS> {}
impl<QS> diesel::SelectableExpression<QS> for VisibleTicket where
    tickets::channel_number: diesel::SelectableExpression<QS>
{
}
impl diesel::expression::ValidGrouping<()> for VisibleTicket {
    type IsAggregate = diesel::expression::is_aggregate::Never;
}
impl diesel::query_builder::QueryId for VisibleTicket {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}
impl diesel::query_builder::QueryFragment<diesel::sqlite::Sqlite> for VisibleTicket {
    fn walk_ast<'b>(
        &'b self,
        mut out: diesel::query_builder::AstPass<'_, 'b, diesel::sqlite::Sqlite>,
    ) -> QueryResult<()> {
        self.walk(&mut out)
    }
}
impl diesel::query_builder::QueryFragment<diesel::pg::Pg> for VisibleTicket {
    fn walk_ast<'b>(&'b self, mut out: diesel::query_builder::AstPass<'_, 'b, diesel::pg::Pg>) -> QueryResult<()> {
        self.walk(&mut out)
    }
}
impl diesel::query_builder::QueryFragment<MultiBackend> for VisibleTicket {
    fn walk_ast<'b>(&'b self, pass: diesel::query_builder::AstPass<'_, 'b, MultiBackend>) -> QueryResult<()> {
        MultiBackend::walk_variant_ast(self, pass)
    }
}

/// Whether the ticket exists and is not in a hidden inbox.
pub fn ticket_visible(
    conn: &mut AnyConnection,
    id: crate::domain::TicketId,
    hidden: &HiddenInboxes,
) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(tickets::table.find(id).filter(hidden.visible()))).get_result(conn)
}

/// Which of `ids` are tickets in a hidden inbox: one query for a whole bulk request.
pub fn tickets_in_hidden_inboxes(
    conn: &mut AnyConnection,
    ids: &[crate::domain::TicketId],
    hidden: &HiddenInboxes,
) -> QueryResult<Vec<crate::domain::TicketId>> {
    tickets::table
        .filter(tickets::id.eq_any(ids))
        .filter(tickets::channel_number.eq_any(hidden.numbers()))
        .select(tickets::id)
        .load(conn)
}

/// Whether the message exists and its ticket is not in a hidden inbox.
pub fn message_visible(
    conn: &mut AnyConnection,
    id: crate::domain::MessageId,
    hidden: &HiddenInboxes,
) -> QueryResult<bool> {
    use crate::db::schema::messages;
    diesel::select(diesel::dsl::exists(
        messages::table.inner_join(tickets::table).filter(messages::id.eq(id)).filter(hidden.visible()),
    ))
    .get_result(conn)
}

/// The newest change of any inbox and how many there are: a part of the queue's ETag, since names and
/// memberships change what the list shows (a deleted inbox changes the count).
pub fn inboxes_stamp(conn: &mut AnyConnection) -> QueryResult<(Option<NaiveDateTime>, i64)> {
    diesel::select((
        inboxes::table.select(diesel::dsl::max(inboxes::updated_at)).single_value().assume_not_null().nullable(),
        inboxes::table.count().single_value().assume_not_null(),
    ))
    .get_result(conn)
}

/// Round robin's next member of the inbox: when its policy is round robin, the active member not away who
/// was handed a ticket least recently (never first, then by id), marked as handed one now. `None` for a
/// manual inbox, no inbox, or nobody available. On PostgreSQL the inbox row is locked first, so replicas
/// opening tickets in the same inbox take turns, each reading the previous one's choice (READ COMMITTED
/// gives the next statement a fresh snapshot); SQLite's single writer takes them one at a time anyway.
pub fn claim_round_robin_member(
    conn: &mut AnyConnection,
    inbox: &str,
    at: NaiveDateTime,
) -> QueryResult<Option<UserId>> {
    let round_robin = inboxes::table
        .find(inbox)
        .filter(inboxes::assignment_policy.eq(AssignmentPolicy::RoundRobin))
        .select(inboxes::number);
    let found: Vec<String> = match conn {
        AnyConnection::Postgresql(pg) => round_robin.for_update().load(pg)?,
        AnyConnection::Sqlite(sqlite) => round_robin.load(sqlite)?,
    };
    if found.is_empty() {
        return Ok(None);
    }
    let members = || inbox_members::table.filter(inbox_members::inbox_number.eq(inbox));
    let next: Option<UserId> = members()
        .inner_join(users::table)
        .filter(users::active.eq(true))
        .filter(users::away.eq(false))
        // Never-assigned members first on both databases (PostgreSQL sorts NULLs last by default).
        .order((
            inbox_members::last_assigned_at.is_not_null(),
            inbox_members::last_assigned_at.asc(),
            inbox_members::user_id.asc(),
        ))
        .select(inbox_members::user_id)
        .first(conn)
        .optional()?;
    let Some(next) = next else { return Ok(None) };
    // Later than every earlier turn even if this replica's clock is behind another's, or the order breaks.
    let newest: Option<NaiveDateTime> =
        members().select(diesel::dsl::max(inbox_members::last_assigned_at)).get_result(conn)?;
    let turn = newest.map_or(at, |newest| at.max(newest + chrono::Duration::microseconds(1)));
    diesel::update(members().filter(inbox_members::user_id.eq(next)))
        .set(inbox_members::last_assigned_at.eq(turn))
        .execute(conn)?;
    Ok(Some(next))
}

/// Makes an inbox for a number of ours the first time a customer texts it, named as people write the
/// number; nothing if it has one.
pub fn ensure_inbox(conn: &mut AnyConnection, number: &str, name: &str, at: NaiveDateTime) -> QueryResult<()> {
    insert_inbox(conn, number, name, AssignmentPolicy::Manual, at).map(drop)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use diesel::connection::SimpleConnection;
    use diesel::migration::MigrationVersion;
    use diesel_migrations::MigrationHarness;

    use super::*;

    /// The numbers customers texted and those that have tickets get an inbox, unnamed (shown as the number).
    #[test]
    fn the_migration_gives_every_number_in_use_an_inbox() {
        let dir = tempfile::tempdir().unwrap();
        let mut conn = diesel::SqliteConnection::establish(dir.path().join("m.db").to_str().unwrap()).unwrap();
        let before_inboxes = MigrationVersion::from("20261207000007");
        while !conn.applied_migrations().unwrap().contains(&before_inboxes) {
            conn.run_next_migration(crate::db::SQLITE_MIGRATIONS).unwrap();
        }
        conn.batch_execute(
            "INSERT INTO texted_numbers (number, first_texted_at) VALUES ('+14155550100', '2026-01-01 00:00:00');
             INSERT INTO tickets (customer_number, channel_number, status, created_at, updated_at)
               VALUES ('+14155550123', '+14155550100', 'open', '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
                      ('+14155550123', '+14155550199', 'closed', '2026-01-02 00:00:00', '2026-01-02 00:00:00'),
                      ('+14155550124', '+14155550199', 'open', '2026-01-03 00:00:00', '2026-01-03 00:00:00');",
        )
        .unwrap();
        conn.run_next_migration(crate::db::SQLITE_MIGRATIONS).unwrap();
        let rows: Vec<(String, String, String)> = inboxes::table
            .order(inboxes::number)
            .select((inboxes::number, inboxes::name, inboxes::assignment_policy))
            .load(&mut conn)
            .unwrap();
        let manual = || "manual".to_owned();
        assert_eq!(
            rows,
            [
                ("+14155550100".to_owned(), String::new(), manual()),
                ("+14155550199".to_owned(), String::new(), manual())
            ]
        );
        let away: Vec<bool> = users::table.select(users::away).load(&mut conn).unwrap();
        assert!(away.is_empty());
    }
}
