//! Group commit.
//!
//! Every commit waits for the log to reach the disk: SQLite's fsync with `synchronous = FULL`, PostgreSQL's
//! WAL flush. Instead of each write paying for its own, one writer thread per process takes every job that
//! is waiting, runs each inside its own savepoint (so one job's error rolls back only that job), commits
//! them all at once, and only then tells each caller its result. Under load the groups grow by themselves;
//! an idle server commits each job on its own.
//!
//! SQLite allows one writer at a time anyway, so its writer owns the only writing connection. On PostgreSQL
//! the writer has a connection of its own (a one-connection pool, which replaces it if it breaks), so
//! writes never queue behind reads for the shared pool. Each replica runs its own writer, and their groups
//! take turns: a group starts by taking a transaction-level advisory lock. A group holds the row locks of
//! all its jobs until it commits, so two groups running side by side could each wait for a row the other
//! holds (two customers each texting both replicas at once); taking turns rules that deadlock out, where
//! PostgreSQL would stall both for a second and then fail one of the texts.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::{Duration, Instant};

use diesel::connection::{AnsiTransactionManager, TransactionManager};
use tokio::sync::{mpsc, oneshot};

use super::{AnyConnection, DbPool, StoreError};

/// The most jobs SQLite commits together; bounds the time the first caller of a group waits.
const MAX_SQLITE_GROUP: usize = 512;
/// PostgreSQL keeps 64 subtransaction ids per transaction in shared memory; beyond that, every other
/// session's visibility checks have to consult `pg_subtrans` until the group ends. Each job is one.
const MAX_POSTGRES_GROUP: usize = 64;
/// Jobs waiting beyond this many make callers wait for room (back-pressure instead of unbounded memory).
const QUEUE_DEPTH: usize = 8192;

/// A group commit or a background checkpoint taking longer than this is logged: callers waited that long.
const SLOW_STEP: Duration = Duration::from_millis(200);

/// Runs after the group's commit: `None` when it committed, else why it did not.
type Completion = Box<dyn FnOnce(Option<&str>) + Send>;

/// One caller's change, waiting for the writer.
trait Job: Send {
    /// Applies the change inside the open group transaction; the result is delivered after the commit.
    fn run(self: Box<Self>, conn: &mut AnyConnection) -> Completion;
    /// The group could not start: the change never ran.
    fn abandon(self: Box<Self>, why: &str);
}

struct Change<F, T, E> {
    change: F,
    reply: oneshot::Sender<Result<T, E>>,
}

impl<F, T, E> Job for Change<F, T, E>
where
    F: FnOnce(&mut AnyConnection) -> Result<T, E> + Send + 'static,
    T: Send + 'static,
    E: From<StoreError> + From<diesel::result::Error> + Send + 'static,
{
    fn run(self: Box<Self>, conn: &mut AnyConnection) -> Completion {
        let Change { change, reply } = *self;
        let outcome = in_savepoint(conn, change);
        Box::new(move |commit_failure: Option<&str>| {
            let outcome = match (outcome, commit_failure) {
                (Ok(_), Some(why)) => Err(E::from(StoreError::Commit(why.to_owned()))),
                (outcome, _) => outcome,
            };
            // The caller may have gone away (client disconnected); its change is committed regardless.
            let _ = reply.send(outcome);
        })
    }

    fn abandon(self: Box<Self>, why: &str) {
        let _ = self.reply.send(Err(E::from(StoreError::Commit(why.to_owned()))));
    }
}

/// Runs one job inside its own savepoint, so its failure (or panic) undoes only its own writes.
fn in_savepoint<T, E, F>(conn: &mut AnyConnection, change: F) -> Result<T, E>
where
    F: FnOnce(&mut AnyConnection) -> Result<T, E>,
    E: From<StoreError> + From<diesel::result::Error>,
{
    conn.execute_native(SavepointJob)?;
    let outcome =
        catch_unwind(AssertUnwindSafe(|| change(conn))).unwrap_or_else(|_| Err(E::from(StoreError::TaskPanicked)));
    if outcome.is_err() {
        conn.execute_native(RollbackToJob)?;
    }
    // On PostgreSQL every statement is a round trip (~0.1 ms here, a tenth of a text's cost), so savepoints
    // are left to nest until the group commits: the next job's savepoint shadows this one. In-process
    // SQLite releases each, keeping its statement journal to one job.
    if let AnyConnection::Sqlite(_) = conn {
        conn.execute_native(ReleaseJob)?;
    }
    outcome
}

/// Savepoint statements as types with a static query id: diesel then prepares each once and reuses it,
/// where its own nested transactions re-parse the SQL text for every job.
macro_rules! fixed_statement {
    ($name:ident, $sql:literal) => {
        #[derive(Debug, Clone, Copy, diesel::query_builder::QueryId)]
        struct $name;

        impl<DB: diesel::backend::Backend> diesel::query_builder::QueryFragment<DB> for $name {
            fn walk_ast<'b>(&'b self, mut out: diesel::query_builder::AstPass<'_, 'b, DB>) -> diesel::QueryResult<()> {
                out.push_sql($sql);
                Ok(())
            }
        }

        impl<Conn> diesel::RunQueryDsl<Conn> for $name {}
    };
}

fixed_statement!(SavepointJob, "SAVEPOINT writer_job");
fixed_statement!(ReleaseJob, "RELEASE writer_job");
fixed_statement!(RollbackToJob, "ROLLBACK TO writer_job");
// "smsdesk" in ASCII, plus one: the migrations take the key itself.
fixed_statement!(TakeWriterTurn, "SELECT pg_advisory_xact_lock(32489964694762348)");

#[derive(Clone)]
pub(super) struct GroupWriter {
    jobs: mpsc::Sender<Box<dyn Job>>,
    /// SQLite only: dropped with the last writer handle, which stops the checkpoint thread.
    _checkpoints: Option<std::sync::Arc<std::sync::mpsc::Sender<()>>>,
}

/// The connection the writer thread writes on.
enum WriterConnection {
    /// SQLite's only writing connection, for the life of the process.
    Sqlite(AnyConnection),
    /// A PostgreSQL pool of one, so a connection that broke is replaced for the next group.
    Postgres(DbPool),
}

/// How often the checkpoint thread copies committed pages from the log into the database file. Often, so
/// that each copy, and the fsync of the database file that ends it, stays small: while that fsync runs, the
/// commit's fsync of the log waits behind it (seen on a VM disk: a 627 ms checkpoint, a 545 ms commit).
const CHECKPOINT_INTERVAL: Duration = Duration::from_millis(100);

impl GroupWriter {
    pub(super) fn start_sqlite(
        conn: diesel::SqliteConnection,
        checkpointer: diesel::SqliteConnection,
    ) -> Result<Self, StoreError> {
        let jobs = spawn_writer("sqlite-writer", WriterConnection::Sqlite(AnyConnection::Sqlite(conn)))?;
        let (stop, stopped) = std::sync::mpsc::channel();
        std::thread::Builder::new()
            .name("sqlite-checkpoint".into())
            .spawn(move || checkpoint_until_stopped(checkpointer, stopped))
            .map_err(|_| StoreError::WriterStopped)?;
        Ok(Self { jobs, _checkpoints: Some(std::sync::Arc::new(stop)) })
    }

    /// `pool` should hold one connection: the writer uses one at a time.
    pub(super) fn start_postgres(pool: DbPool) -> Result<Self, StoreError> {
        let jobs = spawn_writer("postgres-writer", WriterConnection::Postgres(pool))?;
        Ok(Self { jobs, _checkpoints: None })
    }

    pub(super) async fn submit<T, E, F>(&self, change: F) -> Result<T, E>
    where
        F: FnOnce(&mut AnyConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<StoreError> + From<diesel::result::Error> + Send + 'static,
    {
        let (reply, result) = oneshot::channel::<Result<T, E>>();
        self.jobs.send(Box::new(Change { change, reply })).await.map_err(|_| E::from(StoreError::WriterStopped))?;
        result.await.map_err(|_| E::from(StoreError::WriterStopped))?
    }
}

/// PASSIVE checkpoints never wait for the writer or readers: they copy what they can and return.
fn checkpoint_until_stopped(mut conn: diesel::SqliteConnection, stopped: std::sync::mpsc::Receiver<()>) {
    use diesel::connection::SimpleConnection;
    while let Err(std::sync::mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(CHECKPOINT_INTERVAL) {
        let started = Instant::now();
        let checkpointed = conn.batch_execute("PRAGMA wal_checkpoint(PASSIVE);");
        if started.elapsed() > SLOW_STEP {
            tracing::warn!(ms = started.elapsed().as_millis() as u64, "slow background checkpoint");
        }
        if let Err(e) = checkpointed {
            tracing::warn!(error = %e, "background checkpoint failed; the writer's own checkpoints take over");
        }
    }
}

fn spawn_writer(name: &str, conn: WriterConnection) -> Result<mpsc::Sender<Box<dyn Job>>, StoreError> {
    let (jobs, queue) = mpsc::channel(QUEUE_DEPTH);
    std::thread::Builder::new()
        .name(name.into())
        .spawn(move || run(conn, queue))
        .map_err(|_| StoreError::WriterStopped)?;
    Ok(jobs)
}

fn run(mut conn: WriterConnection, mut queue: mpsc::Receiver<Box<dyn Job>>) {
    let max_group = match conn {
        WriterConnection::Sqlite(_) => MAX_SQLITE_GROUP,
        WriterConnection::Postgres(_) => MAX_POSTGRES_GROUP,
    };
    let mut group: Vec<Box<dyn Job>> = Vec::with_capacity(max_group);
    while let Some(first) = queue.blocking_recv() {
        group.push(first);
        while group.len() < max_group {
            match queue.try_recv() {
                Ok(job) => group.push(job),
                Err(_) => break,
            }
        }
        match &mut conn {
            WriterConnection::Sqlite(sqlite) => commit_group(sqlite, &mut group),
            WriterConnection::Postgres(pool) => match pool.get() {
                Ok(mut pg) => commit_group(&mut pg, &mut group),
                Err(e) => abandon_group(&mut group, &e.to_string()),
            },
        }
    }
}

fn abandon_group(group: &mut Vec<Box<dyn Job>>, why: &str) {
    tracing::error!(error = %why, jobs = group.len(), "could not start a write transaction");
    for job in group.drain(..) {
        job.abandon(why);
    }
}

fn begin(conn: &mut AnyConnection) -> diesel::QueryResult<()> {
    match conn {
        // IMMEDIATE takes the write lock up front, so a command-line tool writing at the same time makes
        // us wait (busy_timeout) instead of failing half-way through the group.
        AnyConnection::Sqlite(sqlite) => AnsiTransactionManager::begin_transaction_sql(sqlite, "BEGIN IMMEDIATE"),
        AnyConnection::Postgresql(pg) => {
            AnsiTransactionManager::begin_transaction(pg)?;
            let turn = diesel::RunQueryDsl::execute(TakeWriterTurn, pg).map(drop);
            if turn.is_err() {
                let _ = AnsiTransactionManager::rollback_transaction(pg);
            }
            turn
        }
    }
}

fn commit(conn: &mut AnyConnection) -> diesel::QueryResult<()> {
    crate::on_backend!(conn, |c| AnsiTransactionManager::commit_transaction(c))
}

fn rollback(conn: &mut AnyConnection) -> diesel::QueryResult<()> {
    crate::on_backend!(conn, |c| AnsiTransactionManager::rollback_transaction(c))
}

fn commit_group(conn: &mut AnyConnection, group: &mut Vec<Box<dyn Job>>) {
    if let Err(e) = begin(conn) {
        abandon_group(group, &e.to_string());
        return;
    }
    let started = Instant::now();
    let completions: Vec<Completion> = group.drain(..).map(|job| job.run(conn)).collect();
    let ran = started.elapsed();
    let committing = Instant::now();
    let committed = commit(conn);
    if started.elapsed() > SLOW_STEP {
        // Every caller of the group waited this long: worth knowing when webhooks slow down.
        tracing::warn!(
            jobs = completions.len(),
            run_ms = ran.as_millis() as u64,
            commit_ms = committing.elapsed().as_millis() as u64,
            "slow group commit"
        );
    }
    let failure = match committed {
        Ok(()) => None,
        Err(e) => {
            tracing::error!(error = %e, jobs = completions.len(), "group commit failed");
            let _ = rollback(conn);
            Some(e.to_string())
        }
    };
    for complete in completions {
        complete(failure.as_deref());
    }
}
