//! `smsdesk copy --from URL --to URL`: moves a desk between SQLite and PostgreSQL (either way) by copying
//! every durable table into a new, empty database.
//!
//! - Ids are kept (customers hold ticket ids in their confirmations), and each id sequence continues
//!   from where the source's stood, so a new ticket never gets an id the source had handed out.
//! - The target is migrated by this binary first; the source must be at exactly the same migrations, so
//!   no column is left behind unnoticed.
//! - Everything is written in one transaction on the target: a copy that fails leaves the target migrated
//!   and empty, ready for another try. The source is read in one transaction too (one snapshot), although
//!   the server should be stopped anyway: what it takes after the snapshot would not be copied.
//! - Speed: a reader thread pages through the source in key order while the target writes the previous
//!   page: PostgreSQL takes each page as one binary `COPY`, SQLite as multi-row `INSERT`s of a cached
//!   statement. See the README ("Moving to PostgreSQL") for measured times.
//! - The search index is rebuilt on a SQLite target (PostgreSQL's is an expression index, filled as rows
//!   arrive).
//!
//! Not copied, on purpose: sign-in sessions and the sign-in throttle (transient; people sign in again),
//! the bookkeeping each backend keeps for itself (migrations table, search index, sequences), which
//! the target builds or gets set from the source, and the reports' hourly counts (`report_counts`,
//! `report_rollup`): derived from messages and events, so the target keeps its migration's watermarks
//! (0, 0) and its rollup counts everything again.

use std::path::Path;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use chrono::NaiveDateTime;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text};
use indicatif::{ProgressBar, ProgressStyle};

use crate::config::DatabaseUrl;
use crate::db::{self, AnyConnection, schema};

/// Rows read from the source per query.
const PAGE_ROWS: i64 = 5_000;
/// Rows per `INSERT` on SQLite: a fixed number, so the statement is prepared once per table. 128 rows of
/// the widest table (tickets, 23 columns) stay far below SQLite's limit of 32,766 bound values per statement.
const SQLITE_ROWS_PER_INSERT: usize = 128;

#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    /// A database named on the command line cannot be used; `argument` is `--from` or `--to`.
    #[error("{argument}: {message}")]
    Unusable { argument: &'static str, message: String },
    #[error(
        "--to: the target database is not empty ({table} has {rows} rows); smsdesk copy only fills a new, empty \
         database"
    )]
    TargetNotEmpty { table: &'static str, rows: i64 },
    #[error("the copy failed, and nothing was committed to the target: {0}")]
    Query(#[from] diesel::result::Error),
    #[error("the copy failed, and nothing was committed to the target: the thread reading the source panicked")]
    ReaderPanicked,
}

/// What was copied: rows per table, in copy order.
#[derive(Debug)]
pub struct CopyReport {
    pub tables: Vec<(&'static str, u64)>,
    pub elapsed: Duration,
}

/// Copies every durable table from `from` into `to`, which is migrated first and must be empty.
pub fn copy(from: &DatabaseUrl, to: &DatabaseUrl) -> Result<CopyReport, CopyError> {
    let started = Instant::now();
    let mut source = open_source(from)?;
    let source_migrations = applied_migrations(&mut source).map_err(|e| CopyError::Unusable {
        argument: "--from",
        message: format!("not an smsdesk database (no migrations table: {e})"),
    })?;
    db::migrate(to).map_err(|e| CopyError::Unusable { argument: "--to", message: e.to_string() })?;
    let mut target = open(to, "--to")?;
    prepare_target(&mut target)?;
    check_same_schema(&source_migrations, &applied_migrations(&mut target)?)?;
    for (table, rows) in count_rows(&mut target)? {
        if rows > 0 {
            return Err(CopyError::TargetNotEmpty { table, rows });
        }
    }

    let tables = target.transaction(|target| {
        source.transaction(|source| {
            if let AnyConnection::Postgresql(_) = source {
                // One snapshot for the whole copy: tickets and their messages as of one moment.
                diesel::sql_query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY").execute(source)?;
            }
            let total: i64 = count_rows(source)?.iter().map(|(_, rows)| rows).sum();
            let progress = progress_bar(total);
            let copied = copy_everything(source, target, &progress);
            progress.finish_and_clear();
            copied
        })
    })?;
    finish_target(&mut target)?;
    Ok(CopyReport { tables, elapsed: started.elapsed() })
}

fn open(url: &DatabaseUrl, argument: &'static str) -> Result<AnyConnection, CopyError> {
    let unusable = |e: diesel::ConnectionError| CopyError::Unusable { argument, message: e.to_string() };
    match url {
        DatabaseUrl::Postgres(url) => PgConnection::establish(url).map(AnyConnection::Postgresql).map_err(unusable),
        DatabaseUrl::Sqlite(path) => {
            let mut conn = SqliteConnection::establish(&path.to_string_lossy()).map_err(unusable)?;
            conn.batch_execute("PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON;")?;
            Ok(AnyConnection::Sqlite(conn))
        }
    }
}

fn open_source(from: &DatabaseUrl) -> Result<AnyConnection, CopyError> {
    // Opening a missing file would create an empty database, and the copy would copy nothing.
    if let DatabaseUrl::Sqlite(path) = from
        && !Path::new(path).is_file()
    {
        return Err(CopyError::Unusable {
            argument: "--from",
            message: format!("there is no SQLite database at {}", path.display()),
        });
    }
    open(from, "--from")
}

/// A SQLite target gets a large page cache (its indexes are built row by row) and commits without
/// syncing: the copy is one transaction, and [`finish_target`] syncs the file once it is done.
fn prepare_target(target: &mut AnyConnection) -> Result<(), CopyError> {
    if let AnyConnection::Sqlite(sqlite) = target {
        sqlite
            .batch_execute("PRAGMA cache_size = -131072; PRAGMA synchronous = NORMAL; PRAGMA temp_store = MEMORY;")?;
    }
    Ok(())
}

fn finish_target(target: &mut AnyConnection) -> Result<(), CopyError> {
    match target {
        // Moves the copy from the log into the database file and syncs it.
        AnyConnection::Sqlite(sqlite) => sqlite.batch_execute("PRAGMA wal_checkpoint(TRUNCATE);")?,
        // Planner statistics for the freshly filled tables, before the first server asks.
        AnyConnection::Postgresql(pg) => pg.batch_execute("ANALYZE;")?,
    }
    Ok(())
}

#[derive(QueryableByName)]
struct MigrationRow {
    #[diesel(sql_type = Text)]
    version: String,
}

fn applied_migrations(conn: &mut AnyConnection) -> QueryResult<Vec<String>> {
    let rows: Vec<MigrationRow> =
        diesel::sql_query("SELECT version FROM __diesel_schema_migrations ORDER BY version").load(conn)?;
    Ok(rows.into_iter().map(|row| row.version).collect())
}

/// The target has just been migrated by this binary, so its migrations are the ones this binary knows.
fn check_same_schema(source: &[String], target: &[String]) -> Result<(), CopyError> {
    let missing: Vec<&str> = target.iter().filter(|v| !source.contains(v)).map(String::as_str).collect();
    if !missing.is_empty() {
        return Err(CopyError::Unusable {
            argument: "--from",
            message: format!(
                "the source lacks migrations {}: run `smsdesk migrate` with DATABASE_URL set to it, then copy",
                missing.join(", ")
            ),
        });
    }
    let unknown: Vec<&str> = source.iter().filter(|v| !target.contains(v)).map(String::as_str).collect();
    if !unknown.is_empty() {
        return Err(CopyError::Unusable {
            argument: "--from",
            message: format!(
                "the source has migrations this smsdesk does not know ({}): copy with the smsdesk version that \
                 made them",
                unknown.join(", ")
            ),
        });
    }
    Ok(())
}

fn progress_bar(total: i64) -> ProgressBar {
    // indicatif draws on stderr, and only when it is a terminal: piped or logged runs get the summary alone.
    let bar = ProgressBar::new(u64::try_from(total).unwrap_or(0));
    // The template is a constant; should it ever fail to parse, the default bar is as good.
    let style =
        ProgressStyle::with_template("{msg:>16} [{bar:40}] {human_pos}/{human_len} rows ({per_sec}, {eta} left)")
            .map(|style| style.progress_chars("=> "))
            .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style);
    bar
}

/// One table that holds the desk's data, copied row for row.
trait DurableTable {
    const NAME: &'static str;
    type Row: Clone + Send;

    fn count(conn: &mut AnyConnection) -> QueryResult<i64>;
    /// Up to `limit` rows after `after` in key order (from the first row when `after` is `None`).
    fn page(conn: &mut AnyConnection, after: Option<&Self::Row>, limit: i64) -> QueryResult<Vec<Self::Row>>;
    fn insert_sqlite(conn: &mut SqliteConnection, rows: &[Self::Row]) -> QueryResult<usize>;
    fn copy_postgres(conn: &mut PgConnection, rows: &[Self::Row]) -> QueryResult<usize>;
}

/// The rows after `$last` in the order of the table's key (one column, or two).
macro_rules! after_key {
    ($table:ident, $last:ident, [$key:ident]) => {
        schema::$table::$key.gt($last.$key.clone())
    };
    ($table:ident, $last:ident, [$first:ident, $second:ident]) => {
        schema::$table::$first
            .gt($last.$first.clone())
            .or(schema::$table::$first.eq($last.$first.clone()).and(schema::$table::$second.gt($last.$second.clone())))
    };
}

/// Declares a table's row (every column of `schema.rs`, in order) and how it is read and written.
macro_rules! durable_table {
    ($marker:ident, $table:ident, $row:ident, key = [$($key:ident),+], { $($field:ident: $ty:ty),+ $(,)? }) => {
        #[doc = concat!("A row of `", stringify!($table), "`, as copied.")]
        #[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
        #[diesel(table_name = schema::$table, treat_none_as_default_value = false)]
        pub struct $row {
            $(pub $field: $ty),+
        }

        struct $marker;

        impl DurableTable for $marker {
            const NAME: &'static str = stringify!($table);
            type Row = $row;

            fn count(conn: &mut AnyConnection) -> QueryResult<i64> {
                schema::$table::table.count().get_result(conn)
            }

            fn page(conn: &mut AnyConnection, after: Option<&$row>, limit: i64) -> QueryResult<Vec<$row>> {
                let query =
                    schema::$table::table.select($row::as_select()).order(($(schema::$table::$key,)+)).limit(limit);
                match after {
                    Some(last) => query.filter(after_key!($table, last, [$($key),+])).load(conn),
                    None => query.load(conn),
                }
            }

            fn insert_sqlite(conn: &mut SqliteConnection, rows: &[$row]) -> QueryResult<usize> {
                let (chunks, rest) = rows.as_chunks::<SQLITE_ROWS_PER_INSERT>();
                let mut inserted = 0;
                for chunk in chunks {
                    inserted += diesel::insert_into(schema::$table::table).values(chunk).execute(conn)?;
                }
                if !rest.is_empty() {
                    inserted += diesel::insert_into(schema::$table::table).values(rest).execute(conn)?;
                }
                Ok(inserted)
            }

            fn copy_postgres(conn: &mut PgConnection, rows: &[$row]) -> QueryResult<usize> {
                // COPY writes the given ids even into `GENERATED ALWAYS` identity columns.
                diesel::copy_from(schema::$table::table).from_insertable(rows).execute(conn)
            }
        }
    };
}

durable_table!(Users, users, UserRow, key = [id], {
    id: i64, email: String, name: String, role: String, password_hash: Option<String>, active: bool,
    created_at: NaiveDateTime, away: bool,
});
durable_table!(ApiTokens, api_tokens, ApiTokenRow, key = [id], {
    id: i64, user_id: i64, name: String, token_hash: String, created_at: NaiveDateTime,
    last_used_at: Option<NaiveDateTime>,
});
durable_table!(Contacts, contacts, ContactRow, key = [id], {
    id: i64, phone_number: String, name: Option<String>, notes: String, created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
});
durable_table!(Tickets, tickets, TicketRow, key = [id], {
    id: i64, customer_number: String, channel_number: String, status: String, created_at: NaiveDateTime,
    updated_at: NaiveDateTime, closed_at: Option<NaiveDateTime>, contact_id: Option<i64>, assignee_id: Option<i64>,
    message_count: i32, last_message_preview: Option<String>, last_message_direction: Option<String>,
    last_message_at: Option<NaiveDateTime>, last_inbound_message_id: Option<i64>,
    failed_delivery_at: Option<NaiveDateTime>, out_of_office_at: Option<NaiveDateTime>, priority: i16,
    waiting_since: Option<NaiveDateTime>, first_inbound_at: Option<NaiveDateTime>,
    first_response_at: Option<NaiveDateTime>, first_responder_id: Option<i64>, closed_by_id: Option<i64>,
    auto_closed: bool,
});
durable_table!(Messages, messages, MessageRow, key = [id], {
    id: i64, ticket_id: i64, direction: String, internal: bool, body: String, author_id: Option<i64>,
    provider: Option<String>, provider_message_id: Option<String>, delivery_status: Option<String>,
    error_code: Option<String>, error_message: Option<String>, media_urls: Option<String>,
    created_at: NaiveDateTime, updated_at: NaiveDateTime,
});
durable_table!(Outbox, outbox, OutboxRow, key = [message_id], {
    message_id: i64, attempts: i32, next_attempt_at: NaiveDateTime, last_error: Option<String>,
});
durable_table!(TicketReads, ticket_reads, TicketReadRow, key = [user_id, ticket_id], {
    user_id: i64, ticket_id: i64, last_read_message_id: i64, read_at: NaiveDateTime,
});
durable_table!(OptOuts, opt_outs, OptOutRow, key = [customer_number, channel_number], {
    customer_number: String, channel_number: String, created_at: NaiveDateTime,
});
durable_table!(DeliveryEvents, delivery_events, DeliveryEventRow, key = [id], {
    id: i64, provider: String, provider_message_id: String, status: String, error_code: Option<String>,
    received_at: NaiveDateTime,
});
durable_table!(Settings, settings, SettingRow, key = [key], {
    key: String, value: String, updated_at: NaiveDateTime,
});
durable_table!(CannedReplies, canned_replies, CannedReplyRow, key = [id], {
    id: i64, title: String, body: String, created_at: NaiveDateTime, updated_at: NaiveDateTime,
});
durable_table!(TextedNumbers, texted_numbers, TextedNumberRow, key = [number], {
    number: String, first_texted_at: NaiveDateTime,
});
durable_table!(TicketEvents, ticket_events, TicketEventRow, key = [id], {
    id: i64, ticket_id: i64, kind: String, actor_id: Option<i64>, at: NaiveDateTime, details: String,
});
durable_table!(UserPreferences, user_preferences, UserPreferencesRow, key = [user_id], {
    user_id: i64, choices: String, updated_at: NaiveDateTime,
});
durable_table!(Tags, tags, TagRow, key = [id], {
    id: i64, name: String, colour: String, created_at: NaiveDateTime,
});
durable_table!(TicketTags, ticket_tags, TicketTagRow, key = [ticket_id, tag_id], {
    ticket_id: i64, tag_id: i64,
});
durable_table!(Inboxes, inboxes, InboxRow, key = [number], {
    number: String, name: String, assignment_policy: String, created_at: NaiveDateTime, updated_at: NaiveDateTime,
});
durable_table!(InboxMembers, inbox_members, InboxMemberRow, key = [inbox_number, user_id], {
    inbox_number: String, user_id: i64, last_assigned_at: Option<NaiveDateTime>,
});

/// Runs `$body` once per durable table with `$t` bound to it, in an order that satisfies the foreign keys
/// (users and contacts before tickets, tickets before messages, messages before the outbox).
macro_rules! for_each_table {
    (|$t:ident| $body:expr) => {{
        {
            type $t = Users;
            $body
        }
        {
            type $t = ApiTokens;
            $body
        }
        {
            type $t = Contacts;
            $body
        }
        {
            type $t = Tickets;
            $body
        }
        {
            type $t = Messages;
            $body
        }
        {
            type $t = Outbox;
            $body
        }
        {
            type $t = TicketReads;
            $body
        }
        {
            type $t = OptOuts;
            $body
        }
        {
            type $t = DeliveryEvents;
            $body
        }
        {
            type $t = Settings;
            $body
        }
        {
            type $t = CannedReplies;
            $body
        }
        {
            type $t = TextedNumbers;
            $body
        }
        {
            type $t = TicketEvents;
            $body
        }
        {
            type $t = UserPreferences;
            $body
        }
        {
            type $t = Tags;
            $body
        }
        {
            type $t = TicketTags;
            $body
        }
        {
            type $t = Inboxes;
            $body
        }
        {
            type $t = InboxMembers;
            $body
        }
    }};
}

/// The tables whose `id` comes from a sequence (PostgreSQL identity, SQLite rowid or AUTOINCREMENT).
const ID_TABLES: [&str; 9] = [
    "users",
    "api_tokens",
    "contacts",
    "tickets",
    "messages",
    "delivery_events",
    "canned_replies",
    "ticket_events",
    "tags",
];

/// Rows per durable table, in copy order.
fn count_rows(conn: &mut AnyConnection) -> QueryResult<Vec<(&'static str, i64)>> {
    let mut counts = Vec::new();
    for_each_table!(|T| counts.push((T::NAME, T::count(conn)?)));
    Ok(counts)
}

/// The rows of every table, then what the target builds from them: id sequences and the search index.
fn copy_everything(
    source: &mut AnyConnection,
    target: &mut AnyConnection,
    progress: &ProgressBar,
) -> Result<Vec<(&'static str, u64)>, CopyError> {
    let mut copied = Vec::new();
    for_each_table!(|T| copied.push((T::NAME, copy_table::<T>(source, target, progress)?)));
    progress.set_message("id sequences");
    for table in ID_TABLES {
        let high_water = id_high_water(source, table)?;
        set_id_high_water(target, table, high_water)?;
    }
    progress.set_message("search index");
    rebuild_search_index(target)?;
    Ok(copied)
}

/// Copies one table page by page: a scoped thread reads the next page from the source while this one
/// writes the last to the target.
fn copy_table<T: DurableTable>(
    source: &mut AnyConnection,
    target: &mut AnyConnection,
    progress: &ProgressBar,
) -> Result<u64, CopyError> {
    progress.set_message(T::NAME);
    let (pages, received) = mpsc::sync_channel::<Vec<T::Row>>(2);
    std::thread::scope(|scope| {
        let reader = scope.spawn(move || -> QueryResult<()> {
            let mut after: Option<T::Row> = None;
            loop {
                let page = T::page(source, after.as_ref(), PAGE_ROWS)?;
                let last_page = page.len() < usize::try_from(PAGE_ROWS).unwrap_or(usize::MAX);
                after = page.last().cloned();
                // The writer stopped (it failed): its error is the one to report.
                if page.is_empty() || pages.send(page).is_err() || last_page {
                    return Ok(());
                }
            }
        });
        let mut copied: u64 = 0;
        let mut written = Ok(());
        for page in &received {
            let stored = match target {
                AnyConnection::Postgresql(pg) => T::copy_postgres(pg, &page),
                AnyConnection::Sqlite(sqlite) => T::insert_sqlite(sqlite, &page),
            };
            match stored {
                Ok(rows) => {
                    copied += rows as u64;
                    progress.inc(rows as u64);
                }
                Err(e) => {
                    written = Err(e);
                    break;
                }
            }
        }
        // Lets a reader blocked on a full channel see that nobody is listening any more.
        drop(received);
        let read = reader.join().map_err(|_| CopyError::ReaderPanicked)?;
        written?;
        read?;
        Ok(copied)
    })
}

#[derive(QueryableByName)]
struct Value {
    #[diesel(sql_type = Nullable<BigInt>)]
    value: Option<i64>,
}

/// The highest id `table` has handed out: its largest id, or further if the sequence has moved on (the
/// newest rows deleted, or inserts rolled back).
fn id_high_water(conn: &mut AnyConnection, table: &str) -> QueryResult<i64> {
    let max_id = diesel::sql_query(format!("SELECT max(id) AS value FROM {table}")).get_result::<Value>(conn)?.value;
    let sequence = match conn {
        AnyConnection::Postgresql(pg) => {
            diesel::sql_query("SELECT pg_sequence_last_value(pg_get_serial_sequence($1, 'id')::regclass) AS value")
                .bind::<Text, _>(table)
                .get_result::<Value>(pg)?
                .value
        }
        // Only AUTOINCREMENT tables have a row here; the others reuse max(id) + 1 anyway.
        AnyConnection::Sqlite(sqlite) => diesel::sql_query("SELECT seq AS value FROM sqlite_sequence WHERE name = ?")
            .bind::<Text, _>(table)
            .get_result::<Value>(sqlite)
            .optional()?
            .and_then(|row| row.value),
    };
    Ok(max_id.unwrap_or(0).max(sequence.unwrap_or(0)))
}

/// Makes the next id of `table` on the target come after `high_water`.
fn set_id_high_water(conn: &mut AnyConnection, table: &str, high_water: i64) -> QueryResult<()> {
    if high_water <= 0 {
        return Ok(());
    }
    match conn {
        AnyConnection::Postgresql(pg) => {
            diesel::sql_query("SELECT setval(pg_get_serial_sequence($1, 'id'), $2)")
                .bind::<Text, _>(table)
                .bind::<BigInt, _>(high_water)
                .execute(pg)?;
        }
        AnyConnection::Sqlite(sqlite) => {
            // Inserting explicit ids already moved an AUTOINCREMENT table's counter to its largest id;
            // a table without AUTOINCREMENT has no counter to set.
            let updated = diesel::sql_query("UPDATE sqlite_sequence SET seq = max(seq, ?) WHERE name = ?")
                .bind::<BigInt, _>(high_water)
                .bind::<Text, _>(table)
                .execute(sqlite)?;
            if updated == 0 && is_autoincrement(sqlite, table)? {
                diesel::sql_query("INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)")
                    .bind::<Text, _>(table)
                    .bind::<BigInt, _>(high_water)
                    .execute(sqlite)?;
            }
        }
    }
    Ok(())
}

fn is_autoincrement(conn: &mut SqliteConnection, table: &str) -> QueryResult<bool> {
    let found = diesel::sql_query(
        "SELECT 1 AS value FROM sqlite_master WHERE type = 'table' AND name = ? AND sql LIKE '%AUTOINCREMENT%'",
    )
    .bind::<Text, _>(table)
    .get_result::<Value>(conn)
    .optional()?;
    Ok(found.is_some())
}

/// SQLite's full-text index is filled in batches by the server up to a watermark; build it whole and
/// move the watermark to the end, so every copied message is searchable at once.
fn rebuild_search_index(conn: &mut AnyConnection) -> QueryResult<()> {
    if let AnyConnection::Sqlite(sqlite) = conn {
        sqlite.batch_execute(
            "INSERT INTO messages_fts (messages_fts) VALUES ('rebuild'); \
             UPDATE search_index_progress SET last_message_id = (SELECT coalesce(max(id), 0) FROM messages);",
        )?;
    }
    Ok(())
}
