//! SQLite writes: group commit.
//!
//! Every commit waits for the log to reach the disk (`synchronous = FULL`). Instead of each write paying for
//! its own fsync, one writer thread takes every job that is waiting, runs each inside its own savepoint (so
//! one job's error rolls back only that job), commits them all at once, and only then tells each caller its
//! result. Under load the groups grow by themselves; an idle server commits each job on its own. SQLite
//! allows one writer at a time anyway, so this thread owns the only writing connection.
//!
//! A savepoint costs a statement per job (a sub-journal). Most of the traffic (inbound texts, the outbox's
//! bookkeeping) is changes that may safely run twice, so a group made only of those runs without savepoints;
//! in the rare case one fails (a gateway's retry of a text already stored), the group is rolled back and run
//! again with them, and the next group keeps them too.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::{Duration, Instant};

use diesel::connection::{AnsiTransactionManager, TransactionManager};
use tokio::sync::{mpsc, oneshot};

use crate::db::metrics::{StorageMetrics, WriterMetrics};
use crate::db::{AnyConnection, StoreError};

/// The most jobs committed together; bounds the time the first caller of a group waits.
const MAX_GROUP: usize = 512;
/// Jobs waiting beyond this many make callers wait for room (back-pressure instead of unbounded memory).
const QUEUE_DEPTH: usize = 8192;

/// A group commit or a background checkpoint taking longer than this is logged: callers waited that long.
const SLOW_STEP: Duration = Duration::from_millis(200);

/// One caller's change, waiting for the writer.
trait Job: Send {
    /// Whether the change may run again after its group was rolled back (it only works through the
    /// connection): such changes run without a savepoint of their own.
    fn replayable(&self) -> bool;
    /// Applies the change inside the open group transaction, in a savepoint of its own if `isolated` (its
    /// failure then undoes only itself), and keeps the outcome for [`Job::finish`]. Returns whether the
    /// change succeeded.
    fn run(&mut self, conn: &mut AnyConnection, isolated: bool) -> bool;
    /// Delivers the kept outcome once the group has committed, or has failed to.
    fn finish(self: Box<Self>, commit_failure: Option<&str>);
    /// The group could not start: the change never ran.
    fn abandon(self: Box<Self>, why: &str);
}

/// A change as its caller wrote it: to be run once (`FnOnce`), or as often as its group needs (`Fn`).
trait Change<T, E>: Send {
    const REPLAYABLE: bool;
    fn apply(&mut self, conn: &mut AnyConnection) -> Result<T, E>;
}

struct Once<F>(Option<F>);

impl<F, T, E> Change<T, E> for Once<F>
where
    F: FnOnce(&mut AnyConnection) -> Result<T, E> + Send,
    E: From<StoreError>,
{
    const REPLAYABLE: bool = false;

    fn apply(&mut self, conn: &mut AnyConnection) -> Result<T, E> {
        // The writer never runs a change that is not replayable twice; were it asked to, it must not
        // pretend the change ran.
        match self.0.take() {
            Some(change) => change(conn),
            None => Err(E::from(StoreError::Commit("a write was run twice".to_owned()))),
        }
    }
}

struct Replayable<F>(F);

impl<F, T, E> Change<T, E> for Replayable<F>
where
    F: Fn(&mut AnyConnection) -> Result<T, E> + Send,
{
    const REPLAYABLE: bool = true;

    fn apply(&mut self, conn: &mut AnyConnection) -> Result<T, E> {
        (self.0)(conn)
    }
}

struct Pending<C, T, E> {
    change: C,
    outcome: Option<Result<T, E>>,
    reply: oneshot::Sender<Result<T, E>>,
}

impl<C, T, E> Job for Pending<C, T, E>
where
    C: Change<T, E>,
    T: Send + 'static,
    E: From<StoreError> + From<diesel::result::Error> + Send + 'static,
{
    fn replayable(&self) -> bool {
        C::REPLAYABLE
    }

    fn run(&mut self, conn: &mut AnyConnection, isolated: bool) -> bool {
        let change = &mut self.change;
        let outcome = if isolated {
            in_savepoint(conn, |conn| change.apply(conn))
        } else {
            catch_unwind(AssertUnwindSafe(|| change.apply(conn)))
                .unwrap_or_else(|_| Err(E::from(StoreError::TaskPanicked)))
        };
        let succeeded = outcome.is_ok();
        self.outcome = Some(outcome);
        succeeded
    }

    fn finish(self: Box<Self>, commit_failure: Option<&str>) {
        let Pending { outcome, reply, .. } = *self;
        let outcome = match (outcome, commit_failure) {
            (Some(Ok(_)), Some(why)) => Err(E::from(StoreError::Commit(why.to_owned()))),
            (Some(outcome), _) => outcome,
            (None, _) => Err(E::from(StoreError::Commit("the write never ran".to_owned()))),
        };
        // The caller may have gone away (client disconnected); its change is committed regardless.
        let _ = reply.send(outcome);
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
    // Released at once, keeping the statement journal to one job.
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
pub(in crate::db) struct GroupWriter {
    jobs: mpsc::Sender<Box<dyn Job>>,
    /// Dropped with the last writer handle, which stops the checkpoint thread.
    _checkpoints: std::sync::Arc<std::sync::mpsc::Sender<()>>,
}

/// How often the checkpoint thread copies committed pages from the log into the database file. Often, so
/// that each copy, and the fsync of the database file that ends it, stays small: while that fsync runs, the
/// commit's fsync of the log waits behind it (seen on a VM disk: a 627 ms checkpoint, a 545 ms commit).
const CHECKPOINT_INTERVAL: Duration = Duration::from_millis(100);

impl GroupWriter {
    pub(in crate::db) fn start(
        conn: diesel::SqliteConnection,
        checkpointer: diesel::SqliteConnection,
        metrics: &StorageMetrics,
    ) -> Result<Self, StoreError> {
        let jobs = spawn_writer(AnyConnection::Sqlite(conn), metrics.writer("sqlite"))?;
        let (stop, stopped) = std::sync::mpsc::channel();
        std::thread::Builder::new()
            .name("sqlite-checkpoint".into())
            .spawn(move || checkpoint_until_stopped(checkpointer, stopped))
            .map_err(|_| StoreError::WriterStopped)?;
        Ok(Self { jobs, _checkpoints: std::sync::Arc::new(stop) })
    }

    /// Writes waiting for the writer thread now.
    pub(in crate::db) fn queued(&self) -> usize {
        self.jobs.max_capacity() - self.jobs.capacity()
    }

    /// Queues a change to run once, in a savepoint of its own.
    pub(in crate::db) async fn submit<T, E, F>(&self, change: F) -> Result<T, E>
    where
        F: FnOnce(&mut AnyConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<StoreError> + From<diesel::result::Error> + Send + 'static,
    {
        self.queue(Once(Some(change))).await
    }

    /// Queues a change that may run more than once (see [`Job::replayable`]).
    pub(in crate::db) async fn submit_replayable<T, E, F>(&self, change: F) -> Result<T, E>
    where
        F: Fn(&mut AnyConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<StoreError> + From<diesel::result::Error> + Send + 'static,
    {
        self.queue(Replayable(change)).await
    }

    async fn queue<C, T, E>(&self, change: C) -> Result<T, E>
    where
        C: Change<T, E> + 'static,
        T: Send + 'static,
        E: From<StoreError> + From<diesel::result::Error> + Send + 'static,
    {
        let (reply, result) = oneshot::channel::<Result<T, E>>();
        let job = Box::new(Pending { change, outcome: None, reply });
        self.jobs.send(job).await.map_err(|_| E::from(StoreError::WriterStopped))?;
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

fn spawn_writer(conn: AnyConnection, metrics: WriterMetrics) -> Result<mpsc::Sender<Box<dyn Job>>, StoreError> {
    let (jobs, queue) = mpsc::channel(QUEUE_DEPTH);
    std::thread::Builder::new()
        .name("sqlite-writer".into())
        .spawn(move || run(conn, queue, &metrics))
        .map_err(|_| StoreError::WriterStopped)?;
    Ok(jobs)
}

fn run(mut conn: AnyConnection, mut queue: mpsc::Receiver<Box<dyn Job>>, metrics: &WriterMetrics) {
    let mut group: Vec<Box<dyn Job>> = Vec::with_capacity(MAX_GROUP);
    let mut calm = true;
    while let Some(first) = queue.blocking_recv() {
        group.push(first);
        while group.len() < MAX_GROUP {
            match queue.try_recv() {
                Ok(job) => group.push(job),
                Err(_) => break,
            }
        }
        calm = commit_group(&mut conn, &mut group, calm, metrics);
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
        AnyConnection::Postgresql(pg) => AnsiTransactionManager::begin_transaction(pg),
    }
}

fn commit(conn: &mut AnyConnection) -> diesel::QueryResult<()> {
    crate::on_backend!(conn, |c| AnsiTransactionManager::commit_transaction(c))
}

fn rollback(conn: &mut AnyConnection) -> diesel::QueryResult<()> {
    crate::on_backend!(conn, |c| AnsiTransactionManager::rollback_transaction(c))
}

/// Runs and commits a group. Savepoints cost a statement per job, so when every job in the group is replayable and the last group had no failure
/// (`calm`), the jobs run without them; should one fail, the group is rolled back and run again with them.
/// Returns whether no job failed, for the next group.
fn commit_group(conn: &mut AnyConnection, group: &mut Vec<Box<dyn Job>>, calm: bool, metrics: &WriterMetrics) -> bool {
    if let Err(e) = begin(conn) {
        abandon_group(group, &e.to_string());
        return true;
    }
    let started = Instant::now();
    let bare = calm && group.iter().all(|job| job.replayable());
    // `all` stops at the first failure: the jobs after it have not run.
    let ran_bare = bare && group.iter_mut().all(|job| job.run(conn, false));
    let mut failed = 0;
    if !ran_bare {
        if bare && let Err(e) = rollback(conn).and_then(|()| begin(conn)) {
            abandon_group(group, &e.to_string());
            return false;
        }
        failed = group.iter_mut().map(|job| job.run(conn, true)).filter(|succeeded| !succeeded).count();
    }
    let ran = started.elapsed();
    let committing = Instant::now();
    let committed = commit(conn);
    // The commit alone: the log's fsync that every caller of the group waited for.
    metrics.group(group.len(), committing.elapsed());
    if started.elapsed() > SLOW_STEP {
        // Every caller of the group waited this long: worth knowing when webhooks slow down.
        tracing::warn!(
            jobs = group.len(),
            replayed = bare && !ran_bare,
            run_ms = ran.as_millis() as u64,
            commit_ms = committing.elapsed().as_millis() as u64,
            "slow group commit"
        );
    }
    let failure = match committed {
        Ok(()) => None,
        Err(e) => {
            tracing::error!(error = %e, jobs = group.len(), "group commit failed");
            let _ = rollback(conn);
            Some(e.to_string())
        }
    };
    for job in group.drain(..) {
        job.finish(failure.as_deref());
    }
    failed == 0 && ran_bare == bare
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use diesel::prelude::*;

    use crate::db::scratch::Scratch;
    use crate::db::{Database, StoreError};

    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Integer)]
        n: i32,
    }

    /// Holds the writer inside a group until the returned sender is dropped, so that what is queued
    /// meanwhile makes the next group. With `failing`, the holding change fails when released.
    async fn hold_the_writer(db: &Database, failing: bool) -> std::sync::mpsc::Sender<()> {
        let (release, released) = std::sync::mpsc::channel::<()>();
        let (started, holding) = tokio::sync::oneshot::channel();
        let db = db.clone();
        tokio::spawn(async move {
            db.write(move |_| {
                let _ = started.send(());
                let _ = released.recv();
                if failing {
                    return Err(StoreError::Commit("the holding change fails".to_owned()));
                }
                Ok(())
            })
            .await
        });
        holding.await.unwrap();
        release
    }

    /// Queues `count` replayable inserts of 0..count as one group, of which `failing` (if any) inserts and
    /// then breaks a constraint, an error of the database's own (PostgreSQL then refuses every further
    /// statement until a rollback); with `after_a_failure`, the group before theirs has a failure. Returns
    /// their results and how often each ran.
    async fn insert_group(
        db: &Database,
        count: i32,
        failing: Option<i32>,
        after_a_failure: bool,
    ) -> (Vec<bool>, Vec<usize>) {
        let release = hold_the_writer(db, after_a_failure).await;
        let runs: Arc<Vec<AtomicUsize>> = Arc::new((0..count).map(|_| AtomicUsize::new(0)).collect());
        let jobs: Vec<_> = (0..count)
            .map(|n| {
                let (db, runs) = (db.clone(), runs.clone());
                tokio::spawn(async move {
                    db.write_replayable(move |conn| {
                        runs[n as usize].fetch_add(1, Ordering::SeqCst);
                        diesel::sql_query(format!("INSERT INTO scratch (n) VALUES ({n})")).execute(conn)?;
                        if Some(n) == failing {
                            diesel::sql_query("INSERT INTO scratch (n) VALUES (-1)").execute(conn)?;
                        }
                        Ok::<_, StoreError>(())
                    })
                    .await
                    .is_ok()
                })
            })
            .collect();
        // Let every job reach the writer's queue before the writer is free to take them as one group.
        tokio::time::sleep(Duration::from_millis(100)).await;
        drop(release);
        let mut results = Vec::new();
        for job in jobs {
            results.push(job.await.unwrap());
        }
        (results, runs.iter().map(|r| r.load(Ordering::SeqCst)).collect())
    }

    async fn stored(db: &Database) -> Vec<i32> {
        db.read(|conn| {
            diesel::sql_query("SELECT n FROM scratch ORDER BY n").load::<Row>(conn).map_err(StoreError::from)
        })
        .await
        .unwrap()
        .into_iter()
        .map(|row| row.n)
        .collect()
    }

    #[tokio::test]
    async fn a_failing_replayable_change_undoes_only_itself_and_the_rest_commit_once() {
        for scratch in [Scratch::sqlite().await] {
            let (db, backend) = (&scratch.db, scratch.backend());

            let (results, runs) = insert_group(db, 6, Some(3), false).await;

            assert_eq!(results, [true, true, true, false, true, true], "{backend}");
            assert_eq!(stored(db).await, [0, 1, 2, 4, 5], "{backend}: the failed change is undone, the rest kept once");
            assert_eq!(runs[3], 2, "{backend}: the failing change ran without a savepoint, then again in one");
            assert_eq!(runs[..3], [2, 2, 2], "{backend}: the changes before it ran again after the rollback");
            assert_eq!(runs[4..], [1, 1], "{backend}: the changes after it ran once, with savepoints");
        }
    }

    #[tokio::test]
    async fn right_after_a_failure_a_group_runs_each_change_once_in_its_own_savepoint() {
        for scratch in [Scratch::sqlite().await] {
            let (db, backend) = (&scratch.db, scratch.backend());

            let (results, runs) = insert_group(db, 3, Some(1), true).await;
            assert_eq!((results, runs), (vec![true, false, true], vec![1, 1, 1]), "{backend}: no replay");
            // Calm again: without savepoints, and a failure is replayed.
            let (results, runs) = insert_group(db, 2, Some(1), false).await;
            assert_eq!((results, runs), (vec![true, false], vec![2, 2]), "{backend}");
            assert_eq!(stored(db).await, [0, 0, 2], "{backend}");
        }
    }
}
