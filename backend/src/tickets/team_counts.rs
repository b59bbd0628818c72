//! The team-wide queue counts, shared by every agent's poll. Each dashboard asks for counts every 2 s; at
//! a team's size that is a hundred requests a second asking the same question. They are computed at most
//! once per `MAX_AGE` per server process and shared, so the cost does not grow with the team.

use std::time::{Duration, Instant};

use tokio::sync::Mutex;

use super::queries::{TeamCounts, team_counts};
use crate::db::{Database, StoreError};

/// How stale the shared counts may be. Dashboards poll every 2 s, so a second is not seen as lag.
pub const MAX_AGE: Duration = Duration::from_secs(1);

#[derive(Default)]
pub struct TeamCountsCache {
    latest: Mutex<Option<(Instant, TeamCounts)>>,
}

impl TeamCountsCache {
    /// The counts, recomputed if older than `MAX_AGE`. Concurrent callers wait for one recomputation
    /// rather than all running it.
    pub async fn get(&self, db: &Database) -> Result<TeamCounts, StoreError> {
        let mut latest = self.latest.lock().await;
        if let Some((at, counts)) = *latest
            && at.elapsed() < MAX_AGE
        {
            return Ok(counts);
        }
        let counts = db.read(|conn| team_counts(conn).map_err(StoreError::from)).await?;
        *latest = Some((Instant::now(), counts));
        Ok(counts)
    }

    /// Forget the counts, so the next request sees a change this process just made.
    pub async fn invalidate(&self) {
        *self.latest.lock().await = None;
    }
}
