//! Storage: one connection type over SQLite and PostgreSQL, a read pool, and a write path per backend.
//!
//! Reads borrow a pooled connection on the blocking thread pool. Writes go through [`Database::write`]. On
//! SQLite they funnel into one writer thread that commits them in groups ([`sqlite::writer`]): SQLite has a
//! single writer anyway, and one durable log flush per group, not per write, is what lets one machine take
//! thousands of webhooks a second. On PostgreSQL each runs in a short transaction of its own on one of a few
//! writer connections ([`postgres::writer`]), and PostgreSQL settles concurrency between them and between
//! replicas.

pub mod export;
pub mod inboxes;
pub mod metrics;
mod outbox;
mod postgres;
pub mod queue;
pub mod reports;
pub mod schema;
#[cfg(test)]
pub(crate) mod scratch;
mod sqlite;
mod tickets;

pub use sqlite::search_index::index_new_messages;
pub(crate) use tickets::contact_for_number;

use std::time::Duration;

use chrono::{NaiveDateTime, SubsecRound, Utc};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2::{ConnectionManager, CustomizeConnection, Pool};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use self::metrics::{StorageMetrics, WaitingGauge};
use crate::config::{DatabaseSettings, DatabaseUrl};

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../migrations/postgres");

/// The pools' names in the metrics.
const READERS: &str = "readers";
const WRITERS: &str = "writers";

/// Serialises migrations when several replicas start at once against one PostgreSQL database.
const MIGRATION_LOCK_KEY: i64 = 0x0073_6d73_6465_736b; // "smsdesk" in ASCII

/// Durability: WAL with `synchronous = FULL` fsyncs the log on every commit, so a webhook we answered
/// survives a power cut, not only a crash of the process. The group commit pays for it.
/// The page cache (32 MiB per connection) and memory-mapped reads keep hot index pages out of `pread`.
const SQLITE_PRAGMAS: &str = "PRAGMA busy_timeout = 5000; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; \
     PRAGMA cache_size = -32768; PRAGMA mmap_size = 268435456; PRAGMA temp_store = MEMORY;";

#[derive(diesel::MultiConnection)]
pub enum AnyConnection {
    Postgresql(diesel::PgConnection),
    Sqlite(diesel::SqliteConnection),
}

/// Runs `$body` with `$c` bound to the concrete connection, for the few queries diesel can only build for
/// one backend at a time (`ON CONFLICT`, `FOR UPDATE SKIP LOCKED`).
#[macro_export]
macro_rules! on_backend {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::db::AnyConnection::Postgresql($c) => $body,
            $crate::db::AnyConnection::Sqlite($c) => $body,
        }
    };
}

impl AnyConnection {
    /// Runs an INSERT/UPDATE/DELETE on the concrete connection. Queries run through the multi-backend
    /// wrapper render their whole SQL text on every execution (diesel's `SerializedQuery::walk_ast`);
    /// on the concrete connection a cached statement is found by type alone. Used on hot paths.
    pub fn execute_native<Q>(&mut self, query: Q) -> QueryResult<usize>
    where
        Q: RunQueryDsl<diesel::PgConnection>
            + RunQueryDsl<diesel::SqliteConnection>
            + diesel::query_dsl::methods::ExecuteDsl<diesel::PgConnection>
            + diesel::query_dsl::methods::ExecuteDsl<diesel::SqliteConnection>,
    {
        match self {
            Self::Postgresql(pg) => diesel::query_dsl::methods::ExecuteDsl::execute(query, pg),
            Self::Sqlite(sqlite) => diesel::query_dsl::methods::ExecuteDsl::execute(query, sqlite),
        }
    }

    /// Loads rows on the concrete connection; see [`AnyConnection::execute_native`].
    pub fn load_native<'q, Q, U>(&mut self, query: Q) -> QueryResult<Vec<U>>
    where
        Q: RunQueryDsl<diesel::PgConnection>
            + RunQueryDsl<diesel::SqliteConnection>
            + diesel::query_dsl::LoadQuery<'q, diesel::PgConnection, U>
            + diesel::query_dsl::LoadQuery<'q, diesel::SqliteConnection, U>,
    {
        match self {
            Self::Postgresql(pg) => query.load(pg),
            Self::Sqlite(sqlite) => query.load(sqlite),
        }
    }
}

/// Runs an `insert_into(…)` statement and returns the new row's id: `RETURNING` on PostgreSQL,
/// `last_insert_rowid()` on SQLite (where `RETURNING` makes SQLite build a temporary table per statement).
#[macro_export]
macro_rules! insert_returning_id {
    ($conn:expr, $insert:expr, $id_column:expr) => {
        match $conn {
            $crate::db::AnyConnection::Postgresql(pg) => $insert.returning($id_column).get_result(pg),
            $crate::db::AnyConnection::Sqlite(sqlite) => {
                $insert.execute(sqlite).and_then(|_| $crate::db::sqlite_last_insert_id(sqlite))
            }
        }
    };
}

/// Runs an `insert_into(…).on_conflict_do_nothing()` statement: the new row's id, or `None` when a
/// conflicting row already existed. As [`insert_returning_id`], without `RETURNING` on SQLite.
#[macro_export]
macro_rules! insert_new_returning_id {
    ($conn:expr, $insert:expr, $id_column:expr) => {
        match $conn {
            $crate::db::AnyConnection::Postgresql(pg) => $insert.returning($id_column).get_result(pg).optional(),
            $crate::db::AnyConnection::Sqlite(sqlite) => match $insert.execute(sqlite) {
                Ok(1) => $crate::db::sqlite_last_insert_id(sqlite).map(Some),
                Ok(_) => Ok(None),
                Err(e) => Err(e),
            },
        }
    };
}

diesel::define_sql_function! {
    /// Lower case, for case-insensitive matching that behaves alike on both backends (PostgreSQL's LIKE is
    /// case-sensitive, SQLite's is not).
    fn lower(text: diesel::sql_types::Nullable<diesel::sql_types::Text>) -> diesel::sql_types::Nullable<diesel::sql_types::Text>;
}

diesel::define_sql_function! {
    /// SQLite's id of the row the connection inserted last.
    fn last_insert_rowid() -> diesel::sql_types::BigInt;
}

/// The id SQLite gave the row this connection inserted last.
pub fn sqlite_last_insert_id<Id>(conn: &mut diesel::SqliteConnection) -> QueryResult<Id>
where
    Id: diesel::deserialize::FromSql<diesel::sql_types::BigInt, diesel::sqlite::Sqlite>
        + diesel::deserialize::FromSqlRow<diesel::sql_types::BigInt, diesel::sqlite::Sqlite>
        + 'static,
{
    diesel::select(last_insert_rowid()).get_result(conn)
}

/// A query with its `LIMIT` written into the SQL instead of bound. PostgreSQL reuses one plan for all
/// executions of a prepared statement only if that generic plan looks about as cheap as plans made for the
/// actual values; with `LIMIT $n` it assumes a tenth of the rows will be read, so the queue's page was
/// planned anew on every poll (0.35 ms, more than running it). Written in, the limit lets the plan be
/// reused. The SQL differs per limit: one cached statement per page size (a few in practice).
#[derive(Debug, Clone)]
pub struct LiteralLimit<Q> {
    query: Q,
    limit: u32,
}

impl<Q> LiteralLimit<Q> {
    /// `query` must not have a `LIMIT` (or `OFFSET`) of its own.
    pub fn new(query: Q, limit: u32) -> Self {
        Self { query, limit }
    }
}

impl<Q> diesel::query_builder::QueryId for LiteralLimit<Q> {
    type QueryId = ();
    // The SQL text varies with the limit: statements must be cached by text, never by type.
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<Q: diesel::query_builder::Query> diesel::query_builder::Query for LiteralLimit<Q> {
    type SqlType = Q::SqlType;
}

impl<Q, DB> diesel::query_builder::QueryFragment<DB> for LiteralLimit<Q>
where
    DB: diesel::backend::Backend,
    Q: diesel::query_builder::QueryFragment<DB>,
{
    fn walk_ast<'b>(&'b self, mut out: diesel::query_builder::AstPass<'_, 'b, DB>) -> QueryResult<()> {
        self.query.walk_ast(out.reborrow())?;
        out.push_sql(&format!(" LIMIT {}", self.limit));
        Ok(())
    }
}

impl<Q, Conn> RunQueryDsl<Conn> for LiteralLimit<Q> {}

pub type DbPool = Pool<ConnectionManager<AnyConnection>>;

/// Errors of the storage layer. Callers map them to an opaque 500; the text is for the log.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database query failed: {0}")]
    Query(#[from] diesel::result::Error),
    #[error("no database connection available: {0}")]
    Pool(#[from] diesel::r2d2::PoolError),
    #[error("could not connect to the database: {0}")]
    Connect(#[from] diesel::ConnectionError),
    #[error("applying migrations failed: {0}")]
    Migration(String),
    #[error(
        "the database has migrations this smsdesk does not know: {}. A newer smsdesk migrated it; run that \
         version (or newer), or restore a backup taken before the upgrade",
        .0.join(", ")
    )]
    UnknownMigrations(Vec<String>),
    #[error("commit failed: {0}")]
    Commit(String),
    #[error("the database writer has stopped")]
    WriterStopped,
    #[error("a database task panicked")]
    TaskPanicked,
}

/// The current time as stored: UTC, truncated to microseconds (PostgreSQL's precision) so a value reads
/// back exactly as written on both backends.
pub fn now() -> NaiveDateTime {
    Utc::now().naive_utc().trunc_subsecs(6)
}

/// The error of a write that may run more than once ([`Database::write_replayable`]): whether it only says
/// that PostgreSQL failed the transaction to break a deadlock or a serialization conflict, so that the same
/// write run again succeeds.
pub trait WriteError: From<StoreError> + From<diesel::result::Error> + Send + 'static {
    fn is_transient(&self) -> bool;
}

impl WriteError for StoreError {
    fn is_transient(&self) -> bool {
        matches!(self, Self::Query(e) if postgres::writer::is_transient(e))
    }
}

#[derive(Clone)]
enum Writes {
    Sqlite(sqlite::writer::GroupWriter),
    Postgres(postgres::writer::PostgresWriters),
}

#[derive(Clone)]
pub struct Database {
    pool: DbPool,
    writes: Writes,
    metrics: StorageMetrics,
    readers_waiting: WaitingGauge,
}

/// A pool's connections at one moment (r2d2's `State`), for the metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolUsage {
    pub pool: &'static str,
    pub connections: u32,
    pub idle: u32,
}

impl Database {
    /// Connects, applies pending migrations and starts the write path.
    pub fn connect(settings: &DatabaseSettings) -> Result<Self, StoreError> {
        let metrics = StorageMetrics::default();
        let readers_waiting = metrics.waiting_for(READERS);
        match &settings.url {
            DatabaseUrl::Postgres(url) => {
                // Establish the concrete type first: `AnyConnection::establish` hides the real error.
                let mut conn = diesel::PgConnection::establish(url)?;
                migrate_postgres(&mut conn)?.log();
                let pool = build_pool(url, settings.pool_size, None)?;
                let writes =
                    Writes::Postgres(postgres::writer::PostgresWriters::connect(url, settings.writers, &metrics)?);
                Ok(Self { pool, writes, metrics, readers_waiting })
            }
            DatabaseUrl::Sqlite(path) => {
                let path = path.to_string_lossy().into_owned();
                let mut conn = diesel::SqliteConnection::establish(&path)?;
                // WAL lets readers work while the writer commits; the setting is stored in the file.
                conn.batch_execute("PRAGMA journal_mode = WAL;")?;
                conn.batch_execute(SQLITE_PRAGMAS)?;
                migrate_sqlite(&mut conn)?.log();
                // Checkpoints copy the log into the database file. Run inline on the writer (the default,
                // every 1,000 pages), they stall every write waiting behind them; a separate thread does
                // them every 100 ms without blocking. Under continuous writes the log only starts over
                // after the writer's own checkpoint, so it steps in at 4,000 pages (16 MiB), by when the
                // thread has copied nearly everything: a short inline step instead of a 64 MiB one.
                conn.batch_execute("PRAGMA wal_autocheckpoint = 4000; PRAGMA journal_size_limit = 67108864;")?;
                // The writer gets a small page cache: at every commit SQLite walks the cache's whole hash
                // table (pcache1Truncate), 8 % of the writer's time with 32 MiB, under 3 % with 4 MiB, while
                // pages it misses come from the memory map.
                conn.batch_execute("PRAGMA cache_size = -4096;")?;
                let checkpointer = diesel::SqliteConnection::establish(&path)?;
                let pool = build_pool(&path, settings.pool_size, Some(SqlitePragmas))?;
                let writes = Writes::Sqlite(sqlite::writer::GroupWriter::start(conn, checkpointer, &metrics)?);
                Ok(Self { pool, writes, metrics, readers_waiting })
            }
        }
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self.writes, Writes::Postgres(_))
    }

    /// Runs read-only queries on a pooled connection.
    pub async fn read<T, E, F>(&self, query: F) -> Result<T, E>
    where
        F: FnOnce(&mut AnyConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
    {
        let pool = self.pool.clone();
        let waiting = self.readers_waiting.clone();
        run_blocking(move || {
            let mut conn = {
                let _waiting = waiting.wait();
                pool.get().map_err(StoreError::from)?
            };
            query(&mut conn)
        })
        .await
    }

    /// Runs `change` in a transaction and returns once it is durably committed. If `change` returns an
    /// error, everything it wrote is rolled back and the error is returned. On SQLite the transaction is
    /// shared with the other writes of a group, each in its own savepoint; on PostgreSQL it is its own.
    pub async fn write<T, E, F>(&self, change: F) -> Result<T, E>
    where
        F: FnOnce(&mut AnyConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<StoreError> + From<diesel::result::Error> + Send + 'static,
    {
        match &self.writes {
            Writes::Sqlite(writer) => writer.submit(change).await,
            Writes::Postgres(writers) => writers.write(change).await,
        }
    }

    /// As [`Database::write`], for a change that may run more than once: it only reads and writes through
    /// the connection, and only its last run counts. SQLite's writer spares such changes a savepoint each
    /// and, in the rare case one of them fails, rolls their group back and runs it again with savepoints;
    /// on PostgreSQL such a change is run again when PostgreSQL failed it only to break a deadlock. For the
    /// hot paths: inbound texts and the outbox's bookkeeping.
    pub async fn write_replayable<T, E, F>(&self, change: F) -> Result<T, E>
    where
        F: Fn(&mut AnyConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: WriteError,
    {
        match &self.writes {
            Writes::Sqlite(writer) => writer.submit_replayable(change).await,
            Writes::Postgres(writers) => writers.write_replayable(change).await,
        }
    }

    /// Joins a customer's text to its pair's unclosed ticket ([`TicketStore::append_text`]) and returns what
    /// `appended` makes of that; when the pair has none, runs `change` instead (as
    /// [`Database::write_replayable`]). On SQLite both happen in one job of the group writer. On PostgreSQL the
    /// text waits for a writer connection with whatever other texts arrive meanwhile, and all of them are
    /// stored by one statement (see `postgres/append_batch.rs`); `change` runs only for texts that found no
    /// ticket.
    ///
    /// [`TicketStore::append_text`]: crate::tickets::store::TicketStore::append_text
    pub async fn append_text_or<T, E, F>(
        &self,
        text: crate::tickets::store::TextToAppend,
        appended: fn(crate::tickets::store::AppendedText) -> Result<T, E>,
        change: F,
    ) -> Result<T, E>
    where
        F: Fn(&mut AnyConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: WriteError,
    {
        use crate::tickets::store::TicketStore;
        match &self.writes {
            Writes::Sqlite(writer) => {
                writer
                    .submit_replayable(move |conn| {
                        match conn.append_text(text.pair(), &text.message(), text.transition)? {
                            Some(done) => appended(done),
                            None => change(conn),
                        }
                    })
                    .await
            }
            Writes::Postgres(writers) => match writers.append_text(text).await? {
                Some(done) => appended(done),
                None => writers.write_replayable(change).await,
            },
        }
    }

    /// What the storage layer measures (see [`metrics`]).
    pub fn metrics(&self) -> &StorageMetrics {
        &self.metrics
    }

    /// The pools' connections now; for SQLite's single writer, the writes queued for it are stored as its
    /// waiting count instead (it has no pool to wait on).
    pub fn pool_usage(&self) -> Vec<PoolUsage> {
        let usage = |pool, state: diesel::r2d2::State| PoolUsage {
            pool,
            connections: state.connections,
            idle: state.idle_connections,
        };
        let mut pools = vec![usage(READERS, self.pool.state())];
        match &self.writes {
            Writes::Postgres(writers) => pools.push(usage(WRITERS, writers.pool_state())),
            Writes::Sqlite(writer) => self.metrics.waiting_for(WRITERS).set(writer.queued() as i64),
        }
        pools
    }

    /// `SELECT 1` on a pooled connection: is the database reachable?
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.read(|conn| diesel::sql_query("SELECT 1").execute(conn).map(drop).map_err(StoreError::from)).await
    }

    /// The database's migrations against this binary's, read on a pooled connection (one small query: it
    /// also proves the database answers). Changes nothing, unlike diesel's harness, which would create the
    /// migrations table.
    pub async fn schema_status(&self) -> Result<SchemaStatus, StoreError> {
        let postgres = self.is_postgres();
        self.read(move |conn| {
            let query = diesel::sql_query("SELECT version FROM __diesel_schema_migrations");
            let rows: Vec<AppliedMigration> = crate::on_backend!(conn, |c| query.load(c))?;
            let applied: Vec<String> = rows.into_iter().map(|row| row.version).collect();
            let (status, _) = if postgres {
                SchemaStatus::compare::<diesel::pg::Pg>(&applied, &POSTGRES_MIGRATIONS)?
            } else {
                SchemaStatus::compare::<diesel::sqlite::Sqlite>(&applied, &SQLITE_MIGRATIONS)?
            };
            Ok(status)
        })
        .await
    }
}

/// Applies pending migrations without starting a server (`smsdesk migrate`).
pub fn migrate(url: &DatabaseUrl) -> Result<MigrationReport, StoreError> {
    match url {
        DatabaseUrl::Postgres(url) => migrate_postgres(&mut diesel::PgConnection::establish(url)?),
        DatabaseUrl::Sqlite(path) => {
            let mut conn = diesel::SqliteConnection::establish(&path.to_string_lossy())?;
            conn.batch_execute("PRAGMA journal_mode = WAL;")?;
            conn.batch_execute(SQLITE_PRAGMAS)?;
            migrate_sqlite(&mut conn)
        }
    }
}

/// What a migration run did, by migration name (`2026-11-21-000001_core`), oldest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MigrationReport {
    pub applied: Vec<String>,
    pub already_applied: Vec<String>,
}

impl MigrationReport {
    fn log(&self) {
        if self.applied.is_empty() {
            tracing::info!(already_applied = self.already_applied.len(), "database schema is current");
        } else {
            tracing::info!(
                applied = %self.applied.join(", "),
                already_applied = self.already_applied.len(),
                "applied database migrations"
            );
        }
    }
}

/// The database's migrations against the ones this binary carries.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SchemaStatus {
    /// Migrations of ours the database has not had yet (names).
    pub pending: Vec<String>,
    /// Migrations the database has had that we do not know (versions: the table keeps only those), e.g. from
    /// a newer smsdesk.
    pub unknown: Vec<String>,
}

impl SchemaStatus {
    /// Compares the versions recorded in `__diesel_schema_migrations` with the migrations `source` carries.
    fn compare<DB: diesel::backend::Backend>(
        applied: &[String],
        source: &EmbeddedMigrations,
    ) -> Result<(Self, Vec<String>), StoreError> {
        let known = known_migrations::<DB>(source)?;
        let pending = known.iter().filter(|(version, _)| !applied.contains(version)).map(|(_, name)| name.clone());
        let already = known.iter().filter(|(version, _)| applied.contains(version)).map(|(_, name)| name.clone());
        let mut unknown: Vec<String> =
            applied.iter().filter(|version| !known.iter().any(|(known, _)| known == *version)).cloned().collect();
        unknown.sort();
        Ok((Self { pending: pending.collect(), unknown }, already.collect()))
    }
}

/// `(version, name)` of every migration in `source`, oldest first.
fn known_migrations<DB: diesel::backend::Backend>(
    source: &EmbeddedMigrations,
) -> Result<Vec<(String, String)>, StoreError> {
    let migrations = diesel::migration::MigrationSource::<DB>::migrations(source)
        .map_err(|e| StoreError::Migration(e.to_string()))?;
    let mut known: Vec<(String, String)> =
        migrations.iter().map(|m| (m.name().version().to_string(), m.name().to_string())).collect();
    known.sort();
    Ok(known)
}

/// Refuses a database with migrations we do not know (an older binary against a newer schema would
/// otherwise run, silently, on tables it does not understand), then applies what is pending.
fn guarded_migrations<DB, C>(conn: &mut C, source: EmbeddedMigrations) -> Result<MigrationReport, StoreError>
where
    DB: diesel::backend::Backend,
    C: MigrationHarness<DB>,
{
    let applied: Vec<String> = conn
        .applied_migrations()
        .map_err(|e| StoreError::Migration(e.to_string()))?
        .iter()
        .map(ToString::to_string)
        .collect();
    let (status, already_applied) = SchemaStatus::compare::<DB>(&applied, &source)?;
    if !status.unknown.is_empty() {
        return Err(StoreError::UnknownMigrations(status.unknown));
    }
    conn.run_pending_migrations(source).map_err(|e| StoreError::Migration(e.to_string()))?;
    Ok(MigrationReport { applied: status.pending, already_applied })
}

fn migrate_sqlite(conn: &mut diesel::SqliteConnection) -> Result<MigrationReport, StoreError> {
    guarded_migrations::<diesel::sqlite::Sqlite, _>(conn, SQLITE_MIGRATIONS)
}

fn migrate_postgres(conn: &mut diesel::PgConnection) -> Result<MigrationReport, StoreError> {
    diesel::sql_query(format!("SELECT pg_advisory_lock({MIGRATION_LOCK_KEY})")).execute(conn)?;
    let result = guarded_migrations::<diesel::pg::Pg, _>(conn, POSTGRES_MIGRATIONS);
    diesel::sql_query(format!("SELECT pg_advisory_unlock({MIGRATION_LOCK_KEY})")).execute(conn)?;
    result
}

#[derive(QueryableByName)]
struct AppliedMigration {
    #[diesel(sql_type = diesel::sql_types::Text)]
    version: String,
}

fn build_pool(url: &str, size: u32, sqlite: Option<SqlitePragmas>) -> Result<DbPool, StoreError> {
    // No `SELECT 1` before every checkout (r2d2's default): on PostgreSQL it is one more round trip for every
    // poll and every webhook, a sixth of a webhook's statements. A connection that broke while idle fails
    // its request once and is then dropped from the pool (diesel checks `is_broken` on return).
    let builder = Pool::builder()
        .max_size(size)
        .min_idle(Some(size.min(4)))
        .test_on_check_out(false)
        .connection_timeout(Duration::from_secs(10));
    let builder = match sqlite {
        Some(pragmas) => builder.connection_customizer(Box::new(pragmas)),
        None => builder,
    };
    Ok(builder.build(ConnectionManager::<AnyConnection>::new(url))?)
}

#[derive(Debug, Clone, Copy)]
struct SqlitePragmas;

impl CustomizeConnection<AnyConnection, diesel::r2d2::Error> for SqlitePragmas {
    fn on_acquire(&self, conn: &mut AnyConnection) -> Result<(), diesel::r2d2::Error> {
        conn.batch_execute(SQLITE_PRAGMAS).map_err(diesel::r2d2::Error::QueryError)
    }
}

/// Runs blocking database work off the async executor, turning a panic into an error instead of
/// tearing down the worker thread.
async fn run_blocking<T, E, F>(work: F) -> Result<T, E>
where
    F: FnOnce() -> Result<T, E> + Send + 'static,
    T: Send + 'static,
    E: From<StoreError> + Send + 'static,
{
    // The request's span (its request id) follows the work, so what the work logs is tied to the request.
    let span = tracing::Span::current();
    tokio::task::spawn_blocking(move || span.in_scope(work)).await.map_err(|_| E::from(StoreError::TaskPanicked))?
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use diesel::prelude::*;

    use super::{LiteralLimit, StoreError};

    diesel::table! {
        scratch (n) {
            n -> Integer,
        }
    }

    /// The same query with different written-in limits on one connection: each limit must be its own
    /// statement (a statement cached by the query's type would keep the first limit).
    #[tokio::test]
    async fn a_literal_limit_is_not_reused_for_another_limit() {
        for scratch in super::scratch::Scratch::all().await {
            let backend = scratch.backend();
            let rows: Vec<i32> = scratch
                .db
                .write(|conn| {
                    diesel::sql_query("INSERT INTO scratch (n) VALUES (1), (2), (3), (4), (5)").execute(conn)?;
                    let mut seen = Vec::new();
                    for limit in [2, 4, 2, 9] {
                        let query = scratch::table.select(scratch::n).order(scratch::n.desc());
                        seen.extend(LiteralLimit::new(query, limit).load::<i32>(conn)?);
                    }
                    Ok::<_, StoreError>(seen)
                })
                .await
                .unwrap();
            assert_eq!(rows, [5, 4, 5, 4, 3, 2, 5, 4, 5, 4, 3, 2, 1], "{backend}");
        }
    }

    #[derive(QueryableByName)]
    struct CompileOption {
        #[diesel(sql_type = diesel::sql_types::Text)]
        compile_options: String,
    }

    /// `.cargo/config.toml` builds SQLite with `SQLITE_ENABLE_QPSG`: without it every query with a bound
    /// `LIMIT` is parsed and planned again on every execution.
    #[test]
    fn sqlite_is_built_with_a_stable_query_planner() {
        let mut conn = diesel::SqliteConnection::establish(":memory:").unwrap();
        let options: Vec<CompileOption> = diesel::sql_query("PRAGMA compile_options").load(&mut conn).unwrap();
        assert!(
            options.iter().any(|o| o.compile_options == "ENABLE_QPSG"),
            "SQLite was built without SQLITE_ENABLE_QPSG (LIBSQLITE3_FLAGS in .cargo/config.toml)"
        );
    }
}
