//! SQLite group commit.
//!
//! SQLite allows one writer at a time, and with `synchronous = FULL` every commit waits for an fsync.
//! Instead of many connections queueing for the write lock, one thread owns the only writing
//! connection. It takes every job that is waiting, runs each inside its own savepoint (so one job's
//! error rolls back only that job), commits them all with one fsync, and only then tells each caller
//! its result. Under load the groups grow by themselves; an idle server commits each job on its own.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::{Duration, Instant};

use diesel::connection::{AnsiTransactionManager, TransactionManager};
use tokio::sync::{mpsc, oneshot};

use super::{AnyConnection, StoreError};

/// The most jobs committed together; bounds the time the first caller of a group waits.
const MAX_GROUP: usize = 512;
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
    conn.execute_native(ReleaseJob)?;
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

#[derive(Clone)]
pub(super) struct SqliteWriter {
    jobs: mpsc::Sender<Box<dyn Job>>,
    /// Dropped with the last writer handle, which stops the checkpoint thread.
    _checkpoints: std::sync::Arc<std::sync::mpsc::Sender<()>>,
}

/// How often the checkpoint thread copies committed pages from the log into the database file. Often, so
/// that each copy, and the fsync of the database file that ends it, stays small: while that fsync runs, the
/// commit's fsync of the log waits behind it (seen on a VM disk: a 627 ms checkpoint, a 545 ms commit).
const CHECKPOINT_INTERVAL: Duration = Duration::from_millis(100);

impl SqliteWriter {
    pub(super) fn start(conn: AnyConnection, checkpointer: diesel::SqliteConnection) -> Result<Self, StoreError> {
        let (jobs, queue) = mpsc::channel(QUEUE_DEPTH);
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || run(conn, queue))
            .map_err(|_| StoreError::WriterStopped)?;
        let (stop, stopped) = std::sync::mpsc::channel();
        std::thread::Builder::new()
            .name("sqlite-checkpoint".into())
            .spawn(move || checkpoint_until_stopped(checkpointer, stopped))
            .map_err(|_| StoreError::WriterStopped)?;
        Ok(Self { jobs, _checkpoints: std::sync::Arc::new(stop) })
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

fn run(mut conn: AnyConnection, mut queue: mpsc::Receiver<Box<dyn Job>>) {
    let mut group: Vec<Box<dyn Job>> = Vec::with_capacity(MAX_GROUP);
    while let Some(first) = queue.blocking_recv() {
        group.push(first);
        while group.len() < MAX_GROUP {
            match queue.try_recv() {
                Ok(job) => group.push(job),
                Err(_) => break,
            }
        }
        commit_group(&mut conn, &mut group);
    }
}

fn commit_group(conn: &mut AnyConnection, group: &mut Vec<Box<dyn Job>>) {
    let AnyConnection::Sqlite(sqlite) = conn else {
        // Only ever started with a SQLite connection.
        return;
    };
    // IMMEDIATE takes the write lock up front, so a command-line tool writing at the same time makes
    // us wait (busy_timeout) instead of failing half-way through the group.
    if let Err(e) = AnsiTransactionManager::begin_transaction_sql(sqlite, "BEGIN IMMEDIATE") {
        let why = e.to_string();
        tracing::error!(error = %why, jobs = group.len(), "could not start a write transaction");
        for job in group.drain(..) {
            job.abandon(&why);
        }
        return;
    }
    let started = Instant::now();
    let completions: Vec<Completion> = group.drain(..).map(|job| job.run(conn)).collect();
    let ran = started.elapsed();
    let AnyConnection::Sqlite(sqlite) = conn else {
        return;
    };
    let committing = Instant::now();
    let committed = AnsiTransactionManager::commit_transaction(sqlite);
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
            let _ = AnsiTransactionManager::rollback_transaction(sqlite);
            Some(e.to_string())
        }
    };
    for complete in completions {
        complete(failure.as_deref());
    }
}
