//! PostgreSQL writes: each change in a short transaction of its own, on one of a few writer connections per
//! replica, with nothing shared between replicas but the database.
//!
//! Replicas used to take turns: every write group began with a cluster-wide advisory lock held until its
//! commit was on disk. Three replicas then ingested less than one, and one frozen replica stopped every other
//! replica's writes. Now PostgreSQL settles concurrency itself: the partial unique index on a pair's unclosed
//! ticket with `INSERT … ON CONFLICT`, row locks taken in one order (a text locks one ticket), short
//! transactions, and a bounded retry when PostgreSQL breaks a deadlock or a serialization conflict by failing
//! one side. Concurrent commits share their WAL flush in PostgreSQL already (a committing backend flushes
//! what the others wrote too), which is what grouping did by hand.
//!
//! A session that stops half-way (a frozen or partitioned replica) cannot hold the others for long: writer
//! connections set `idle_in_transaction_session_timeout`, so PostgreSQL ends such a session and releases its
//! locks within seconds; `lock_timeout` and `statement_timeout` bound any one wait.

use std::time::Duration;

use diesel::Connection;
use diesel::connection::SimpleConnection;
use diesel::r2d2::{ConnectionManager, CustomizeConnection, Pool};
use diesel::result::{DatabaseErrorKind, Error as DieselError};

use crate::db::metrics::{StorageMetrics, WaitingGauge, WriterMetrics};
use crate::db::{AnyConnection, DbPool, StoreError, WriteError};
use crate::tickets::store::{AppendedText, TextToAppend};

/// A transaction whose session goes quiet this long (its process frozen, killed without closing, cut off)
/// is ended by PostgreSQL, releasing its locks. Our own transactions never pause between statements.
const IDLE_IN_TRANSACTION: Duration = Duration::from_secs(3);
/// Longer than the above, so that a write waiting on a row a frozen replica held gets it once that session
/// is ended, instead of failing first.
const LOCK_TIMEOUT: Duration = Duration::from_secs(5);
/// No write-path statement takes more than milliseconds; one that does is stuck, and a gateway gives up on
/// its webhook after 15 s anyway.
const STATEMENT_TIMEOUT: Duration = Duration::from_secs(10);
/// Attempts of a replayable change that PostgreSQL failed to break a deadlock or a serialization conflict.
const ATTEMPTS: u32 = 3;

fn session_settings() -> String {
    format!(
        "SET idle_in_transaction_session_timeout = {}; SET lock_timeout = {}; SET statement_timeout = {};",
        IDLE_IN_TRANSACTION.as_millis(),
        LOCK_TIMEOUT.as_millis(),
        STATEMENT_TIMEOUT.as_millis()
    )
}

#[derive(Debug, Clone, Copy)]
struct WriterSession;

impl CustomizeConnection<AnyConnection, diesel::r2d2::Error> for WriterSession {
    fn on_acquire(&self, conn: &mut AnyConnection) -> Result<(), diesel::r2d2::Error> {
        conn.batch_execute(&session_settings()).map_err(diesel::r2d2::Error::QueryError)
    }
}

#[derive(Clone)]
pub(in crate::db) struct PostgresWriters {
    pool: DbPool,
    /// One per connection: a write waits for its turn here, asynchronously, rather than on a blocking
    /// thread parked on the pool (64 webhooks at once would park 56 threads, each woken to find no
    /// connection free).
    turns: std::sync::Arc<tokio::sync::Semaphore>,
    texts: super::append_batch::AppendBatcher,
    metrics: WriterMetrics,
    /// Writes waiting for their turn and a connection.
    waiting: WaitingGauge,
}

impl PostgresWriters {
    /// `connections` writes at a time from this process.
    pub(in crate::db) fn connect(url: &str, connections: u32, metrics: &StorageMetrics) -> Result<Self, StoreError> {
        let pool = Pool::builder()
            .max_size(connections)
            .min_idle(Some(connections.min(4)))
            // See `build_pool`: a broken connection fails its request once and is then dropped.
            .test_on_check_out(false)
            .connection_timeout(Duration::from_secs(10))
            .connection_customizer(Box::new(WriterSession))
            .build(ConnectionManager::<AnyConnection>::new(url))?;
        let turns = std::sync::Arc::new(tokio::sync::Semaphore::new(connections as usize));
        let texts =
            super::append_batch::AppendBatcher::new(pool.clone(), turns.clone(), metrics.writer("postgres_texts"));
        Ok(Self { pool, turns, texts, metrics: metrics.writer("postgres"), waiting: metrics.waiting_for("writers") })
    }

    pub(in crate::db) fn pool_state(&self) -> diesel::r2d2::State {
        self.pool.state()
    }

    /// Runs `change` in a transaction of its own, once.
    pub(in crate::db) async fn write<T, E, F>(&self, change: F) -> Result<T, E>
    where
        F: FnOnce(&mut AnyConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<StoreError> + From<DieselError> + Send + 'static,
    {
        let waiting = self.waiting.wait();
        let _turn = self.turns.acquire().await.map_err(|_| StoreError::WriterStopped)?;
        let (pool, metrics) = (self.pool.clone(), self.metrics.clone());
        crate::db::run_blocking(move || {
            let mut conn = pool.get().map_err(StoreError::from)?;
            drop(waiting);
            let conn: &mut AnyConnection = &mut conn;
            let started = std::time::Instant::now();
            let outcome = conn.transaction(change);
            metrics.transaction(started.elapsed());
            outcome
        })
        .await
    }

    /// Runs `change` in a transaction of its own, and again (up to [`ATTEMPTS`] in all) if PostgreSQL failed
    /// it to break a deadlock or a serialization conflict.
    pub(in crate::db) async fn write_replayable<T, E, F>(&self, change: F) -> Result<T, E>
    where
        F: Fn(&mut AnyConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: WriteError,
    {
        let waiting = self.waiting.wait();
        let _turn = self.turns.acquire().await.map_err(|_| StoreError::WriterStopped)?;
        let (pool, metrics) = (self.pool.clone(), self.metrics.clone());
        crate::db::run_blocking(move || {
            let mut conn = pool.get().map_err(StoreError::from)?;
            drop(waiting);
            let conn: &mut AnyConnection = &mut conn;
            let mut attempt = 1;
            loop {
                let started = std::time::Instant::now();
                let outcome = conn.transaction(|conn| change(conn));
                metrics.transaction(started.elapsed());
                match outcome {
                    Err(e) if e.is_transient() && attempt < ATTEMPTS => {
                        tracing::info!(attempt, "write failed to break a deadlock or conflict; running it again");
                        // The other side is committing: let it finish.
                        std::thread::sleep(Duration::from_millis(2 * u64::from(attempt)));
                        attempt += 1;
                    }
                    outcome => return outcome,
                }
            }
        })
        .await
    }

    /// Joins a text to its pair's unclosed ticket, with whatever other texts are waiting (see
    /// [`super::append_batch`]); `None` when the pair has none.
    pub(in crate::db) async fn append_text(&self, text: TextToAppend) -> Result<Option<AppendedText>, StoreError> {
        self.texts.append(text).await
    }
}

/// Whether PostgreSQL failed a statement only to break a deadlock (40P01) or a serialization conflict
/// (40001): the same transaction run again succeeds.
pub(in crate::db) fn is_transient(e: &DieselError) -> bool {
    match e {
        DieselError::DatabaseError(DatabaseErrorKind::SerializationFailure, _) => true,
        // diesel does not name 40P01; PostgreSQL's message for it does (in its default English).
        DieselError::DatabaseError(DatabaseErrorKind::Unknown, info) => info.message().starts_with("deadlock detected"),
        _ => false,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::sync::{Arc, Barrier};
    use std::time::{Duration, Instant};

    use diesel::prelude::*;

    use crate::db::scratch::Scratch;
    use crate::db::{Database, StoreError};

    fn lock_row(conn: &mut crate::db::AnyConnection, n: i32) -> Result<(), StoreError> {
        diesel::sql_query(format!("SELECT n FROM scratch WHERE n = {n} FOR UPDATE")).execute(conn)?;
        Ok(())
    }

    async fn seed(db: &Database) {
        db.write(|conn| {
            diesel::sql_query("INSERT INTO scratch (n) VALUES (1), (2)").execute(conn).map_err(StoreError::from)
        })
        .await
        .unwrap();
    }

    /// A write that holds a row (as a replica frozen mid-transaction would) stops no write to other rows,
    /// and a write that needs its row gets it once PostgreSQL has ended the silent session.
    #[tokio::test]
    async fn a_session_gone_quiet_mid_transaction_holds_nothing_for_long() {
        let Some(scratch) = Scratch::postgres().await else { return };
        let db = scratch.db.clone();
        seed(&db).await;
        let (held, holding) = std::sync::mpsc::channel();
        let frozen = {
            let db = db.clone();
            tokio::spawn(async move {
                db.write(move |conn| {
                    lock_row(conn, 1)?;
                    held.send(()).unwrap();
                    // Silent, inside the transaction, for longer than PostgreSQL allows.
                    std::thread::sleep(Duration::from_secs(6));
                    lock_row(conn, 2)
                })
                .await
            })
        };
        tokio::task::spawn_blocking(move || holding.recv().unwrap()).await.unwrap();

        let started = Instant::now();
        db.write(|conn| {
            diesel::sql_query("INSERT INTO scratch (n) VALUES (3)").execute(conn)?;
            lock_row(conn, 2)
        })
        .await
        .unwrap();
        assert!(started.elapsed() < Duration::from_millis(500), "other rows waited {:?}", started.elapsed());

        let started = Instant::now();
        db.write(|conn| lock_row(conn, 1)).await.unwrap();
        let waited = started.elapsed();
        assert!(waited < Duration::from_secs(5), "the held row came free only after {waited:?}");
        assert!(waited > Duration::from_secs(1), "the row was not held at all ({waited:?})");
        assert!(frozen.await.unwrap().is_err(), "PostgreSQL ended the silent transaction");
    }

    /// Two replayable writes that lock the same rows in opposite orders: PostgreSQL fails one to break the
    /// deadlock, and it runs again and succeeds.
    #[tokio::test]
    async fn a_write_failed_to_break_a_deadlock_runs_again() {
        let Some(scratch) = Scratch::postgres().await else { return };
        let db = scratch.db.clone();
        seed(&db).await;
        let both_locked_one = Arc::new(Barrier::new(2));
        let runs = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let write = |first: i32, second: i32| {
            let (db, barrier, runs) = (db.clone(), both_locked_one.clone(), runs.clone());
            tokio::spawn(async move {
                db.write_replayable(move |conn| {
                    let run = runs.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    lock_row(conn, first)?;
                    if run < 2 {
                        barrier.wait();
                    }
                    lock_row(conn, second)
                })
                .await
            })
        };
        let (a, b) = (write(1, 2), write(2, 1));
        assert!(a.await.unwrap().is_ok());
        assert!(b.await.unwrap().is_ok());
        assert_eq!(runs.load(std::sync::atomic::Ordering::SeqCst), 3, "one of them ran twice");
    }
}
