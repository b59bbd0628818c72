//! The team-wide queue counts, shared by every agent's poll. Each dashboard asks for counts every 2 s; at
//! a team's size that is a hundred requests a second asking the same question. They are computed at most
//! once per `MAX_AGE` per server process and shared, so the cost does not grow with the team, unless a
//! ticket changed since (a text came in, on this replica or another): then they are computed before
//! answering, so the tabs agree with the list the dashboard fetched with them (issue 16), except while
//! texts stream in, when they lag it by at most `SETTLE`. Knowing that costs one index lookup per request
//! (the newest `tickets.updated_at`).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Mutex;

use chrono::NaiveDateTime;

use crate::db::inboxes::HiddenInboxes;
use crate::db::queue::{TeamCounts, team_counts};
use crate::db::{Database, StoreError};

/// How stale the shared counts may be. Dashboards poll every 2 s, so a second is not seen as lag.
pub const MAX_AGE: Duration = Duration::from_secs(1);
/// A single change (a text on a quiet desk) is counted before answering. But while texts arrive every
/// millisecond each poll sees a newer change, and computing the counts for each (one count query per poll,
/// under the cache's lock) made polls take a second at 1,000 texts/s (`cargo bench --bench polling`). So
/// after counts caught up with a change, a further change within `STREAM` is served the counts at hand, and
/// they are computed again in the background at most once per this long: the tabs lag the list by about
/// this while texts stream in. This replica's own changes from the dashboard clear the cache at once.
const SETTLE: Duration = Duration::from_millis(250);
/// A change this soon after the counts last caught up with one means texts are streaming in.
const STREAM: Duration = Duration::from_secs(2);
/// Counts up to this old are still served while fresh ones are computed in the background; older ones (a
/// team that stopped polling a while ago) make the caller wait for fresh counts.
const SERVE_STALE_FOR: Duration = Duration::from_secs(5);

#[derive(Default, Clone)]
pub struct TeamCountsCache(Arc<Mutex<Shared>>);

#[derive(Default)]
struct Shared {
    /// Per set of hidden inboxes: the agents who see the same tickets (a desk has a few such groups, and
    /// every admin and every agent of a desk without inbox members share one) share counts.
    by_scope: HashMap<HiddenInboxes, Latest>,
    /// Bumped by every invalidation, so a background refresh that started before a change cannot store
    /// counts that miss it.
    generation: u64,
}

#[derive(Default)]
struct Latest {
    counts: Option<(Instant, TeamCounts)>,
    refreshing: bool,
    /// When counts were last computed again because a ticket had changed since: another change within
    /// `SETTLE` of it means texts are streaming in, and the counts are then served for up to `SETTLE`.
    caught_up_at: Option<Instant>,
}

impl TeamCountsCache {
    /// The counts of the tickets outside `hidden`, at most `MAX_AGE` old, or up to `SERVE_STALE_FOR` old
    /// while a background refresh runs: so no poll waits for the count query; but never counts from before
    /// `tickets_changed`, the newest ticket change the caller has seen. Without usable counts, concurrent
    /// callers wait for one computation rather than all running it.
    pub async fn get(
        &self,
        db: &Database,
        tickets_changed: Option<NaiveDateTime>,
        hidden: &HiddenInboxes,
    ) -> Result<TeamCounts, StoreError> {
        let mut shared = self.0.lock().await;
        let generation = shared.generation;
        let latest = shared.by_scope.entry(hidden.clone()).or_default();
        let behind = latest.counts.is_some_and(|(_, counts)| counts.tickets_changed < tickets_changed);
        let caught_up = latest.caught_up_at.map(|at| at.elapsed());
        if let Some((at, counts)) = latest.counts {
            let age = at.elapsed();
            if !behind && age < MAX_AGE {
                return Ok(counts);
            }
            // Served at once while fresh ones are computed in the background: counts a little old, or
            // behind a change while texts stream in (counts caught up with a change a moment ago), and
            // then at most one count query per SETTLE.
            let streaming = behind && caught_up.is_some_and(|ago| ago < STREAM);
            if (!behind && age < SERVE_STALE_FOR) || streaming {
                let due = !streaming || caught_up.is_some_and(|ago| ago >= SETTLE);
                if due && !latest.refreshing {
                    latest.refreshing = true;
                    let (cache, db, hidden) = (self.clone(), db.clone(), hidden.clone());
                    tokio::spawn(async move { cache.refresh(&db, generation, hidden, streaming).await });
                }
                return Ok(counts);
            }
        }
        let started = Instant::now();
        let scope = hidden.clone();
        let counts = db.read(move |conn| team_counts(conn, &scope).map_err(StoreError::from)).await?;
        let latest = shared.by_scope.entry(hidden.clone()).or_default();
        latest.counts = Some((started, counts));
        if behind {
            latest.caught_up_at = Some(started);
        }
        Ok(counts)
    }

    /// Computes the counts in the background; `catching_up` when it is for a ticket change.
    async fn refresh(&self, db: &Database, generation: u64, hidden: HiddenInboxes, catching_up: bool) {
        let started = Instant::now();
        let scope = hidden.clone();
        let counts = db.read(move |conn| team_counts(conn, &scope).map_err(StoreError::from)).await;
        let mut shared = self.0.lock().await;
        let current = shared.generation == generation;
        let latest = shared.by_scope.entry(hidden).or_default();
        latest.refreshing = false;
        match counts {
            Ok(counts) if current => {
                latest.counts = Some((started, counts));
                if catching_up {
                    latest.caught_up_at = Some(started);
                }
            }
            Ok(_) => {}
            // The next poll tries again; until SERVE_STALE_FOR it still gets the last counts.
            Err(e) => tracing::warn!(error = %e, "could not refresh the team's ticket counts"),
        }
    }

    /// Forget the counts, so the next request sees a change this process just made.
    pub async fn invalidate(&self) {
        let mut shared = self.0.lock().await;
        shared.by_scope.clear();
        shared.generation += 1;
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

    const ALL: &HiddenInboxes = &HiddenInboxes::EVERYTHING_VISIBLE;

    fn age(cache: &TeamCountsCache, by: Duration) {
        let mut shared = cache.0.try_lock().unwrap();
        let latest = shared.by_scope.get_mut(ALL).unwrap();
        let (at, counts) = latest.counts.unwrap();
        latest.counts = Some((at - by, counts));
    }

    /// The shared counts of the agents who see everything, and whether they are being refreshed.
    async fn latest(cache: &TeamCountsCache) -> (Option<(Instant, TeamCounts)>, bool) {
        let shared = cache.0.lock().await;
        shared.by_scope.get(ALL).map_or((None, false), |l| (l.counts, l.refreshing))
    }

    #[tokio::test]
    async fn stale_counts_are_served_while_fresh_ones_are_computed_once() {
        let dir = tempfile::tempdir().unwrap();
        let db = database(&dir);
        let cache = TeamCountsCache::default();
        let first = cache.get(&db, None, ALL).await.unwrap();

        age(&cache, MAX_AGE + Duration::from_millis(10));
        let stale_at = latest(&cache).await.0.unwrap().0;
        assert_eq!(cache.get(&db, None, ALL).await.unwrap(), first, "stale counts answer at once");
        assert!(latest(&cache).await.1, "and a refresh is under way");
        cache.get(&db, None, ALL).await.unwrap();

        for _ in 0..100 {
            if !latest(&cache).await.1 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let (counts, refreshing) = latest(&cache).await;
        assert!(!refreshing);
        assert!(counts.unwrap().0 > stale_at, "the refresh stored newer counts");
    }

    #[tokio::test]
    async fn counts_too_old_or_invalidated_are_computed_before_answering() {
        let dir = tempfile::tempdir().unwrap();
        let db = database(&dir);
        let cache = TeamCountsCache::default();
        cache.get(&db, None, ALL).await.unwrap();

        age(&cache, SERVE_STALE_FOR);
        let old_at = latest(&cache).await.0.unwrap().0;
        cache.get(&db, None, ALL).await.unwrap();
        let (counts, refreshing) = latest(&cache).await;
        assert!(counts.unwrap().0 > old_at && !refreshing);

        cache.invalidate().await;
        assert!(latest(&cache).await.0.is_none());
        cache.get(&db, None, ALL).await.unwrap();
        assert!(latest(&cache).await.0.is_some());
    }

    #[tokio::test]
    async fn counts_from_before_a_ticket_change_the_caller_saw_are_computed_again() {
        let dir = tempfile::tempdir().unwrap();
        let db = database(&dir);
        let cache = TeamCountsCache::default();
        cache.get(&db, None, ALL).await.unwrap();
        let first_at = latest(&cache).await.0.unwrap().0;

        cache.get(&db, None, ALL).await.unwrap();
        assert_eq!(latest(&cache).await.0.unwrap().0, first_at, "nothing changed: the shared counts serve");

        // A ticket changed (on any replica) after the counts were computed.
        let later = chrono::NaiveDate::from_ymd_opt(2100, 1, 1).unwrap().and_hms_opt(0, 0, 0).unwrap();
        cache.get(&db, Some(later), ALL).await.unwrap();
        let caught_up_at = latest(&cache).await.0.unwrap().0;
        assert!(caught_up_at > first_at, "computed again before answering");

        // Another change right after: texts are streaming in, and the counts of a moment ago serve.
        let even_later = later + chrono::Duration::seconds(1);
        cache.get(&db, Some(even_later), ALL).await.unwrap();
        assert_eq!(latest(&cache).await.0.unwrap().0, caught_up_at, "within SETTLE of catching up");
        tokio::time::sleep(SETTLE).await;
        cache.get(&db, Some(even_later), ALL).await.unwrap();
        let mut waited = Duration::ZERO;
        while latest(&cache).await.0.unwrap().0 <= caught_up_at && waited < Duration::from_secs(5) {
            tokio::time::sleep(Duration::from_millis(10)).await;
            waited += Duration::from_millis(10);
        }
        assert!(latest(&cache).await.0.unwrap().0 > caught_up_at, "after SETTLE, computed again in the background");
    }

    #[tokio::test]
    async fn a_refresh_that_started_before_an_invalidation_is_not_kept() {
        let dir = tempfile::tempdir().unwrap();
        let db = database(&dir);
        let cache = TeamCountsCache::default();
        cache.get(&db, None, ALL).await.unwrap();
        let generation = cache.0.lock().await.generation;

        cache.invalidate().await;
        cache.refresh(&db, generation, ALL.clone(), false).await;
        assert!(latest(&cache).await.0.is_none(), "counts from before the change are dropped");
    }
}
