//! A histogram whose `observe` is two relaxed atomic adds. prometheus-client's own histogram takes a lock
//! per observation; the ingest path records one per request at 25,000 requests a second, on every core.
//!
//! Values are whole units (microseconds for durations, items for sizes), so the sum is an exact integer
//! and needs no compare-and-swap loop. A scrape reads the buckets one after another while requests go on:
//! its `_count` and `_sum` may disagree by the observations made during the read, as with any lock-free
//! histogram; every observation shows up by the next scrape.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use prometheus_client::encoding::{EncodeMetric, MetricEncoder, NoLabelSet};
use prometheus_client::metrics::{MetricType, TypedMetric};

/// Request and gateway latencies: 1 ms to 15 s (a gateway gives up on a webhook after 15 s), in µs.
pub const LATENCY_BUCKETS_US: &[u64] = &[
    1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 500_000, 1_000_000, 2_500_000, 5_000_000,
    10_000_000, 15_000_000,
];
/// Commits: a SQLite group's fsync or a PostgreSQL transaction, from 100 µs, in µs.
pub const COMMIT_BUCKETS_US: &[u64] = &[
    100, 250, 500, 1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 500_000, 1_000_000, 2_500_000,
    5_000_000, 10_000_000,
];
/// Writes per group commit or texts per batch statement (SQLite groups hold at most 512, batches 64).
pub const GROUP_SIZE_BUCKETS: &[u64] = &[1, 2, 4, 8, 16, 32, 64, 128, 256, 512];

/// A Prometheus histogram of whole-unit observations (see the module's comment). Clones share their counts.
#[derive(Clone, Debug)]
pub struct Histogram(Arc<Inner>);

#[derive(Debug)]
struct Inner {
    /// Upper bounds in units, ascending; the last bucket (+Inf) has none.
    bounds: &'static [u64],
    /// Units per exposed base unit (a million µs to the second, 1 for counts). Dividing, not multiplying
    /// by 1e-6, keeps bounds exact as printed (`0.005`, not `0.005000000000000001`).
    per_base_unit: f64,
    buckets: Box<[AtomicU64]>,
    sum: AtomicU64,
}

impl Histogram {
    /// Durations, observed with [`Histogram::observe_duration`], exposed in seconds.
    pub fn seconds(bounds_us: &'static [u64]) -> Self {
        Self::new(bounds_us, 1e6)
    }

    /// Sizes, observed with [`Histogram::observe`].
    pub fn counts(bounds: &'static [u64]) -> Self {
        Self::new(bounds, 1.0)
    }

    fn new(bounds: &'static [u64], per_base_unit: f64) -> Self {
        let buckets = (0..=bounds.len()).map(|_| AtomicU64::new(0)).collect();
        Self(Arc::new(Inner { bounds, per_base_unit, buckets, sum: AtomicU64::new(0) }))
    }

    pub fn observe(&self, value: u64) {
        let inner = &*self.0;
        // The first bucket whose bound is at least the value; past the last bound, +Inf.
        let bucket = inner.bounds.partition_point(|&bound| bound < value);
        if let Some(count) = inner.buckets.get(bucket) {
            count.fetch_add(1, Ordering::Relaxed);
        }
        inner.sum.fetch_add(value, Ordering::Relaxed);
    }

    pub fn observe_duration(&self, elapsed: Duration) {
        self.observe(u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX));
    }

    /// (upper bound in the base unit, observations in that bucket alone); +Inf is `f64::INFINITY`, as
    /// prometheus-client's encoder expects.
    fn snapshot(&self) -> (f64, u64, Vec<(f64, u64)>) {
        let inner = &*self.0;
        let buckets: Vec<(f64, u64)> = inner
            .buckets
            .iter()
            .enumerate()
            .map(|(i, count)| {
                let bound = inner.bounds.get(i).map_or(f64::INFINITY, |&bound| bound as f64 / inner.per_base_unit);
                (bound, count.load(Ordering::Relaxed))
            })
            .collect();
        let count = buckets.iter().map(|(_, n)| n).sum();
        let sum = inner.sum.load(Ordering::Relaxed) as f64 / inner.per_base_unit;
        (sum, count, buckets)
    }
}

impl TypedMetric for Histogram {
    const TYPE: MetricType = MetricType::Histogram;
}

impl EncodeMetric for Histogram {
    fn encode(&self, mut encoder: MetricEncoder) -> Result<(), std::fmt::Error> {
        let (sum, count, buckets) = self.snapshot();
        encoder.encode_histogram::<NoLabelSet>(sum, count, &buckets, None)
    }

    fn metric_type(&self) -> MetricType {
        Self::TYPE
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_value_lands_in_the_first_bucket_whose_bound_holds_it() {
        let histogram = Histogram::counts(&[1, 4, 16]);
        for value in [0, 1, 2, 4, 5, 16, 17, 1_000] {
            histogram.observe(value);
        }
        let (sum, count, buckets) = histogram.snapshot();
        assert_eq!(count, 8);
        assert_eq!(sum, 1_045.0);
        assert_eq!(buckets, [(1.0, 2), (4.0, 2), (16.0, 2), (f64::INFINITY, 2)]);
    }

    #[test]
    fn durations_are_exposed_in_seconds() {
        let histogram = Histogram::seconds(LATENCY_BUCKETS_US);
        histogram.observe_duration(Duration::from_millis(3));
        histogram.observe_duration(Duration::from_secs(60));
        let (sum, count, buckets) = histogram.snapshot();
        assert_eq!(count, 2);
        assert!((sum - 60.003).abs() < 1e-9, "{sum}");
        assert_eq!(buckets[2], (0.005, 1), "3 ms is under the 5 ms bound");
        assert_eq!(buckets.last(), Some(&(f64::INFINITY, 1)), "a minute is past 15 s");
    }
}
