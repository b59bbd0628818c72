//! What the storage layer measures for `/metrics` (names and meanings in `crate::metrics`): the size and
//! commit time of each write group, and the requests waiting for a connection. Kept here, always on, since
//! every update is an atomic add; exposing them is `METRICS_ADDR`'s business.

use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;

use crate::metrics::histogram::{COMMIT_BUCKETS_US, GROUP_SIZE_BUCKETS, Histogram};

/// Which write path a group went through: `sqlite` (the group writer), `postgres` (one transaction per
/// write), `postgres_texts` (texts joining their tickets, one statement per batch).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct WriterLabels {
    pub writer: &'static str,
}

/// A connection pool: `readers`, or `writers` (PostgreSQL's writer connections; SQLite's single writer).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct PoolLabels {
    pub pool: &'static str,
}

pub type HistogramFamily<L> = Family<L, Histogram, fn() -> Histogram>;

#[derive(Clone, Debug)]
pub struct StorageMetrics {
    pub group_sizes: HistogramFamily<WriterLabels>,
    pub commit_seconds: HistogramFamily<WriterLabels>,
    /// Requests waiting for a connection, per pool (for SQLite's writer: writes queued for it, read at scrape).
    pub waiting: Family<PoolLabels, Gauge>,
}

impl Default for StorageMetrics {
    fn default() -> Self {
        Self {
            group_sizes: Family::new_with_constructor(|| Histogram::counts(GROUP_SIZE_BUCKETS)),
            commit_seconds: Family::new_with_constructor(|| Histogram::seconds(COMMIT_BUCKETS_US)),
            waiting: Family::default(),
        }
    }
}

impl StorageMetrics {
    /// The handles one write path records into (looked up once, so that recording takes no lock).
    pub(in crate::db) fn writer(&self, writer: &'static str) -> WriterMetrics {
        let labels = WriterLabels { writer };
        WriterMetrics {
            group_size: self.group_sizes.get_or_create(&labels).clone(),
            commit: self.commit_seconds.get_or_create(&labels).clone(),
        }
    }

    pub(in crate::db) fn waiting_for(&self, pool: &'static str) -> WaitingGauge {
        WaitingGauge(self.waiting.get_or_create(&PoolLabels { pool }).clone())
    }
}

#[derive(Clone, Debug)]
pub(in crate::db) struct WriterMetrics {
    group_size: Histogram,
    commit: Histogram,
}

impl WriterMetrics {
    /// A group of `writes` committed (or failed to) after `took`.
    pub(in crate::db) fn group(&self, writes: usize, took: Duration) {
        self.group_size.observe(writes as u64);
        self.commit.observe_duration(took);
    }

    /// A single write's transaction took `took` (its group is always one: no size recorded).
    pub(in crate::db) fn transaction(&self, took: Duration) {
        self.commit.observe_duration(took);
    }
}

/// Counts the requests waiting for a connection of one pool.
#[derive(Clone, Debug)]
pub(in crate::db) struct WaitingGauge(Gauge);

impl WaitingGauge {
    /// Counts the caller as waiting until the returned guard is dropped (also on an error or a panic).
    /// Owns a handle, so the wait can span an `.await` and a blocking task.
    pub(in crate::db) fn wait(&self) -> Waiting {
        self.0.inc();
        Waiting(self.0.clone())
    }

    /// For a queue whose length is read at scrape time rather than counted.
    pub(in crate::db) fn set(&self, waiting: i64) {
        self.0.set(waiting);
    }
}

pub(in crate::db) struct Waiting(Gauge);

impl Drop for Waiting {
    fn drop(&mut self) {
        self.0.dec();
    }
}
