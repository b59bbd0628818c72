//! The team-wide queue counts, shared by every agent's poll. Each dashboard asks for counts every 2 s; at
//! a team's size that is a hundred requests a second asking the same question. They are computed at most
//! once per `MAX_AGE` per server process and shared, so the cost does not grow with the team, unless a
//! ticket changed since (a text came in, on this replica or another): then they are computed before
//! answering, so the tabs never lag the list the dashboard fetched with them (issue 16). Knowing that costs
//! one index lookup per request (the newest `tickets.updated_at`).

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Mutex;

use chrono::NaiveDateTime;

use crate::db::queue::{TeamCounts, team_counts};
use crate::db::{Database, StoreError};

/// How stale the shared counts may be. Dashboards poll every 2 s, so a second is not seen as lag.
pub const MAX_AGE: Duration = Duration::from_secs(1);
/// Counts up to this old are still served while fresh ones are computed in the background; older ones (a
/// team that stopped polling a while ago) make the caller wait for fresh counts.
const SERVE_STALE_FOR: Duration = Duration::from_secs(5);

#[derive(Default, Clone)]
pub struct TeamCountsCache(Arc<Mutex<Latest>>);

#[derive(Default)]
struct Latest {
    counts: Option<(Instant, TeamCounts)>,
    /// Bumped by every invalidation, so a background refresh that started before a change cannot store
    /// counts that miss it.
    generation: u64,
    refreshing: bool,
}

impl TeamCountsCache {
    /// The counts, at most `MAX_AGE` old, or up to `SERVE_STALE_FOR` old while a background refresh runs:
    /// so no poll waits for the count query; but never counts from before `tickets_changed`, the newest
    /// ticket change the caller has seen. Without usable counts, concurrent callers wait for one computation
    /// rather than all running it.
    pub async fn get(&self, db: &Database, tickets_changed: Option<NaiveDateTime>) -> Result<TeamCounts, StoreError> {
        let mut latest = self.0.lock().await;
        if let Some((at, counts)) = latest.counts
            && counts.tickets_changed >= tickets_changed
        {
            let age = at.elapsed();
            if age < MAX_AGE {
                return Ok(counts);
            }
            if age < SERVE_STALE_FOR {
                if !latest.refreshing {
                    latest.refreshing = true;
                    let (cache, db, generation) = (self.clone(), db.clone(), latest.generation);
                    tokio::spawn(async move { cache.refresh(&db, generation).await });
                }
                return Ok(counts);
            }
        }
        let started = Instant::now();
        let counts = db.read(|conn| team_counts(conn).map_err(StoreError::from)).await?;
        latest.counts = Some((started, counts));
        Ok(counts)
    }

    async fn refresh(&self, db: &Database, generation: u64) {
        let started = Instant::now();
        let counts = db.read(|conn| team_counts(conn).map_err(StoreError::from)).await;
        let mut latest = self.0.lock().await;
        latest.refreshing = false;
        match counts {
            Ok(counts) if latest.generation == generation => latest.counts = Some((started, counts)),
            Ok(_) => {}
            // The next poll tries again; until SERVE_STALE_FOR it still gets the last counts.
            Err(e) => tracing::warn!(error = %e, "could not refresh the team's ticket counts"),
        }
    }

    /// Forget the counts, so the next request sees a change this process just made.
    pub async fn invalidate(&self) {
        let mut latest = self.0.lock().await;
        latest.counts = None;
        latest.generation += 1;
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::config::{DatabaseSettings, DatabaseUrl};

    fn database(dir: &tempfile::TempDir) -> Database {
        let url = DatabaseUrl::Sqlite(dir.path().join("counts.db"));
        Database::connect(&DatabaseSettings { url, pool_size: 2, writers: 2 }).unwrap()
    }

    fn age(cache: &TeamCountsCache, by: Duration) {
        let mut latest = cache.0.try_lock().unwrap();
        let (at, counts) = latest.counts.unwrap();
        latest.counts = Some((at - by, counts));
    }

    #[tokio::test]
    async fn stale_counts_are_served_while_fresh_ones_are_computed_once() {
        let dir = tempfile::tempdir().unwrap();
        let db = database(&dir);
        let cache = TeamCountsCache::default();
        let first = cache.get(&db, None).await.unwrap();

        age(&cache, MAX_AGE + Duration::from_millis(10));
        let stale_at = cache.0.lock().await.counts.unwrap().0;
        assert_eq!(cache.get(&db, None).await.unwrap(), first, "stale counts answer at once");
        assert!(cache.0.lock().await.refreshing, "and a refresh is under way");
        cache.get(&db, None).await.unwrap();

        for _ in 0..100 {
            if !cache.0.lock().await.refreshing {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let latest = cache.0.lock().await;
        assert!(!latest.refreshing);
        assert!(latest.counts.unwrap().0 > stale_at, "the refresh stored newer counts");
    }

    #[tokio::test]
    async fn counts_too_old_or_invalidated_are_computed_before_answering() {
        let dir = tempfile::tempdir().unwrap();
        let db = database(&dir);
        let cache = TeamCountsCache::default();
        cache.get(&db, None).await.unwrap();

        age(&cache, SERVE_STALE_FOR);
        let old_at = cache.0.lock().await.counts.unwrap().0;
        cache.get(&db, None).await.unwrap();
        let latest = cache.0.lock().await;
        assert!(latest.counts.unwrap().0 > old_at && !latest.refreshing);
        drop(latest);

        cache.invalidate().await;
        assert!(cache.0.lock().await.counts.is_none());
        cache.get(&db, None).await.unwrap();
        assert!(cache.0.lock().await.counts.is_some());
    }

    #[tokio::test]
    async fn counts_from_before_a_ticket_change_the_caller_saw_are_computed_again() {
        let dir = tempfile::tempdir().unwrap();
        let db = database(&dir);
        let cache = TeamCountsCache::default();
        cache.get(&db, None).await.unwrap();
        let first_at = cache.0.lock().await.counts.unwrap().0;

        cache.get(&db, None).await.unwrap();
        assert_eq!(cache.0.lock().await.counts.unwrap().0, first_at, "nothing changed: the shared counts serve");

        // A ticket changed (on any replica) after the counts were computed.
        let later = chrono::NaiveDate::from_ymd_opt(2100, 1, 1).unwrap().and_hms_opt(0, 0, 0).unwrap();
        cache.get(&db, Some(later)).await.unwrap();
        assert!(cache.0.lock().await.counts.unwrap().0 > first_at, "computed again before answering");
    }

    #[tokio::test]
    async fn a_refresh_that_started_before_an_invalidation_is_not_kept() {
        let dir = tempfile::tempdir().unwrap();
        let db = database(&dir);
        let cache = TeamCountsCache::default();
        cache.get(&db, None).await.unwrap();
        let generation = cache.0.lock().await.generation;

        cache.invalidate().await;
        cache.refresh(&db, generation).await;
        assert!(cache.0.lock().await.counts.is_none(), "counts from before the change are dropped");
    }
}
