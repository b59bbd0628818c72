//! Password hashing, rationed. An argon2 check takes tens of milliseconds of a core and 19 MiB of memory
//! while it runs; unbounded, 40 simultaneous sign-ins to made-up addresses (no account needed) took the
//! server from 120 MB to 814 MB, and bursts to 2.4 GB. So at most one check per core runs at a time, each on
//! a blocking thread (never on the async workers, nor on SQLite's writer); a request that cannot get a turn
//! within [`QUEUE_WAIT`] is told the server is busy instead of piling up.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Semaphore;

use crate::domain::{Password, PasswordHash, password_matches};

/// How long a request waits for a turn. Long enough to ride out a burst of real sign-ins (a core clears a few
/// dozen checks a second), short enough that a flood is answered quickly rather than queued.
pub const QUEUE_WAIT: Duration = Duration::from_secs(2);

#[derive(Debug, thiserror::Error)]
pub enum PasswordWorkError {
    /// No turn came within the queue wait.
    #[error("too many password checks at once")]
    Busy,
    #[error("password hashing failed: {0}")]
    Failed(String),
}

#[derive(Clone)]
pub struct PasswordWork {
    turns: Arc<Semaphore>,
    queue_wait: Duration,
}

impl PasswordWork {
    /// One turn per core.
    pub fn for_this_machine() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        Self::new(cores, QUEUE_WAIT)
    }

    pub fn new(at_once: usize, queue_wait: Duration) -> Self {
        Self { turns: Arc::new(Semaphore::new(at_once.max(1))), queue_wait }
    }

    /// Whether `attempt` matches `stored` (see [`password_matches`]: a missing hash costs a check too).
    pub async fn verify(&self, attempt: String, stored: Option<String>) -> Result<bool, PasswordWorkError> {
        self.run(move || Ok(password_matches(&attempt, stored.as_deref()))).await
    }

    /// A new hash of `password`.
    pub async fn hash(&self, password: Password) -> Result<PasswordHash, PasswordWorkError> {
        self.run(move || password.hash().map_err(|e| PasswordWorkError::Failed(e.to_string()))).await
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> Result<T, PasswordWorkError> + Send + 'static,
    ) -> Result<T, PasswordWorkError> {
        let turn = tokio::time::timeout(self.queue_wait, self.turns.clone().acquire_owned())
            .await
            .map_err(|_| PasswordWorkError::Busy)?
            .map_err(|_| PasswordWorkError::Failed("the password work queue is closed".to_owned()))?;
        // The turn moves into the blocking task: a client that hangs up mid-check does not free it early.
        tokio::task::spawn_blocking(move || {
            let _turn = turn;
            work()
        })
        .await
        .map_err(|e| PasswordWorkError::Failed(format!("password check panicked: {e}")))?
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn no_more_checks_run_at_once_than_there_are_turns_and_the_rest_are_told_busy() {
        let work = PasswordWork::new(2, Duration::from_millis(300));
        let running = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..12)
            .map(|_| {
                let (work, running, most) = (work.clone(), running.clone(), most.clone());
                tokio::spawn(async move {
                    work.run(move || {
                        let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                        most.fetch_max(now, Ordering::SeqCst);
                        std::thread::sleep(Duration::from_millis(100));
                        running.fetch_sub(1, Ordering::SeqCst);
                        Ok(())
                    })
                    .await
                })
            })
            .collect();
        let mut done = 0;
        let mut busy = 0;
        for task in tasks {
            match task.await.unwrap() {
                Ok(()) => done += 1,
                Err(PasswordWorkError::Busy) => busy += 1,
                Err(e) => panic!("{e}"),
            }
        }
        assert_eq!(most.load(Ordering::SeqCst), 2, "two turns");
        // 300 ms of queue at two 100 ms checks at a time: a handful get through, the rest are refused.
        assert!((4..=8).contains(&done), "done {done}");
        assert_eq!(done + busy, 12);
    }

    #[tokio::test]
    async fn checks_and_hashes_give_real_answers() {
        let work = PasswordWork::new(1, QUEUE_WAIT);
        let hash = work.hash(Password::parse("correct horse battery".into()).unwrap()).await.unwrap();
        assert!(work.verify("correct horse battery".into(), Some(hash.0.clone())).await.unwrap());
        assert!(!work.verify("wrong horse battery".into(), Some(hash.0)).await.unwrap());
        assert!(!work.verify("anything".into(), None).await.unwrap());
    }
}
