//! Delivery of outgoing SMS through a durable outbox.
//!
//! Every reply and confirmation is written to the `outbox` table in the same transaction that creates
//! the message, so nothing queued is lost if the process dies. A worker in each server process claims due
//! rows with a lease, sends them through the gateway, and records the outcome: accepted and refused
//! messages leave the outbox, temporary failures come back after an exponential backoff. A message is
//! only sent again after its lease expired without a recorded outcome (the process died mid-send).
//! Outcomes are recorded in batches: one transaction for whatever finished sending meanwhile, instead of
//! one transaction (and on PostgreSQL one commit flush) per message.

mod outbox;
pub mod store;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Notify, Semaphore, mpsc, oneshot, watch};

pub use outbox::{
    Attempt, ClaimedMessage, DeliveryReport, OPTED_OUT_CODE, backoff, claim_due, describe_error, record_attempts,
    record_delivery_report,
};

use crate::config::DeliverySettings;
use crate::db::{Database, StoreError};
use crate::gateways::{SendError, SmsGateway};
use crate::metrics::{Metrics, SendOutcome};

/// How often an idle worker looks for due retries and for messages queued by other server processes.
const IDLE_POLL: Duration = Duration::from_millis(500);
/// The most delivery outcomes recorded in one transaction.
const RECORD_BATCH: usize = 64;
/// Waits before each try to record an outcome: the gateway has acted, and losing the record would send the
/// message again after its lease.
const RECORD_RETRY_WAITS_MS: [u64; 4] = [0, 200, 1000, 5000];

/// Wakes the worker when this process queues a message, so it goes out without waiting for the poll.
#[derive(Clone, Default)]
pub struct OutboxSignal(Arc<Notify>);

impl OutboxSignal {
    pub fn message_queued(&self) {
        self.0.notify_one();
    }
}

pub struct DeliveryWorker {
    db: Database,
    gateway: Arc<SmsGateway>,
    settings: DeliverySettings,
    signal: OutboxSignal,
    metrics: Metrics,
}

impl DeliveryWorker {
    pub fn new(
        db: Database,
        gateway: SmsGateway,
        settings: DeliverySettings,
        signal: OutboxSignal,
        metrics: Metrics,
    ) -> Self {
        Self { db, gateway: Arc::new(gateway), settings, signal, metrics }
    }

    pub fn database(&self) -> Database {
        self.db.clone()
    }

    /// Sends until `stop` turns true, then claims nothing more and waits for messages already handed to the
    /// gateway, and for their outcomes to be recorded. Messages still queued stay in the outbox for another
    /// process (or this one's next start).
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        let slots = Arc::new(Semaphore::new(self.settings.concurrency));
        let (recorder, recorded) = Recorder::start(self.db.clone(), self.settings.clone());
        while !*stop.borrow() {
            let free = slots.available_permits();
            let claimed = if free == 0 {
                Ok(Vec::new())
            } else {
                let lease = self.settings.lease;
                self.db
                    .write_replayable(move |conn| claim_due(conn, free as i64, lease).map_err(StoreError::from))
                    .await
            };
            let claimed = match claimed {
                Ok(claimed) => claimed,
                Err(e) => {
                    tracing::error!(error = %e, "could not claim outgoing messages");
                    Vec::new()
                }
            };
            if claimed.is_empty() {
                tokio::select! {
                    () = self.signal.0.notified() => {}
                    () = tokio::time::sleep(IDLE_POLL) => {}
                    _ = stop.changed() => {}
                }
                continue;
            }
            // Messages to one customer go out in order, one after another; different customers in parallel.
            let mut by_recipient: BTreeMap<String, Vec<ClaimedMessage>> = BTreeMap::new();
            for message in claimed {
                by_recipient.entry(message.sms.to.as_str().to_owned()).or_default().push(message);
            }
            for (_, messages) in by_recipient {
                let Ok(permit) = slots.clone().acquire_many_owned(messages.len() as u32).await else {
                    break;
                };
                let (gateway, recorder, metrics) = (self.gateway.clone(), recorder.clone(), self.metrics.clone());
                tokio::spawn(async move {
                    for message in messages {
                        let attempt = send(&gateway, &message).await;
                        metrics.send(match &attempt {
                            Attempt::Sent(_) => SendOutcome::Accepted,
                            Attempt::Failed(SendError::Refused { .. }) => SendOutcome::Refused,
                            Attempt::Failed(SendError::Temporary { .. }) => SendOutcome::TemporaryFailure,
                            Attempt::SkippedOptedOut => SendOutcome::SkippedOptedOut,
                        });
                        recorder.record(message, attempt).await;
                    }
                    drop(permit);
                });
            }
        }
        // Let in-flight sends record their outcome, so they are not sent again after the lease.
        let in_flight = self.settings.concurrency - slots.available_permits();
        if in_flight > 0 {
            tracing::info!(in_flight, "delivery stopping: claiming nothing more, finishing the sends in flight");
        }
        let _ = slots.acquire_many(self.settings.concurrency as u32).await;
        drop(recorder);
        let _ = recorded.await;
    }
}

async fn send(gateway: &SmsGateway, claimed: &ClaimedMessage) -> Attempt {
    if claimed.opted_out {
        return Attempt::SkippedOptedOut;
    }
    match gateway.send(&claimed.sms).await {
        Ok(accepted) => Attempt::Sent(accepted),
        Err(e) => {
            tracing::warn!(message_id = %claimed.sms.message_id, attempt = claimed.attempt, error = %e, "SMS not sent");
            Attempt::Failed(e)
        }
    }
}

/// One finished send, waiting to be recorded; `done` fires once it is (or recording gave up).
struct Outcome {
    message: ClaimedMessage,
    attempt: Attempt,
    done: oneshot::Sender<()>,
}

/// Records delivery outcomes, batching those that arrive while a write is under way.
#[derive(Clone)]
struct Recorder(mpsc::Sender<Outcome>);

impl Recorder {
    /// The recorder and its task, which ends once every clone of the recorder is dropped.
    fn start(db: Database, settings: DeliverySettings) -> (Self, tokio::task::JoinHandle<()>) {
        let (outcomes, mut queue) = mpsc::channel::<Outcome>(RECORD_BATCH * 4);
        let task = tokio::spawn(async move {
            let mut batch = Vec::with_capacity(RECORD_BATCH);
            while queue.recv_many(&mut batch, RECORD_BATCH).await > 0 {
                record_batch(&db, &settings, std::mem::take(&mut batch)).await;
            }
        });
        (Self(outcomes), task)
    }

    /// Returns once the outcome is recorded, so the next message to the same customer goes out after it.
    async fn record(&self, message: ClaimedMessage, attempt: Attempt) {
        let (done, recorded) = oneshot::channel();
        if self.0.send(Outcome { message, attempt, done }).await.is_ok() {
            let _ = recorded.await;
        }
    }
}

/// Records a batch in one transaction. If that fails, each outcome is retried on its own, so one that
/// cannot be written does not hold back the others.
async fn record_batch(db: &Database, settings: &DeliverySettings, batch: Vec<Outcome>) {
    let outcomes: Vec<(ClaimedMessage, Attempt)> =
        batch.iter().map(|o| (o.message.clone(), o.attempt.clone())).collect();
    if let Err(e) = record_all(db, settings, outcomes).await {
        tracing::warn!(outcomes = batch.len(), error = %e, "could not record delivery outcomes together; recording each");
        for outcome in &batch {
            record_one(db, settings, &outcome.message, &outcome.attempt).await;
        }
    }
    for outcome in batch {
        let _ = outcome.done.send(());
    }
}

async fn record_one(db: &Database, settings: &DeliverySettings, claimed: &ClaimedMessage, attempt: &Attempt) {
    for wait in RECORD_RETRY_WAITS_MS {
        tokio::time::sleep(Duration::from_millis(wait)).await;
        match record_all(db, settings, vec![(claimed.clone(), attempt.clone())]).await {
            Ok(()) => return,
            Err(e) => {
                tracing::error!(message_id = %claimed.sms.message_id, error = %e, "could not record a delivery attempt")
            }
        }
    }
}

async fn record_all(
    db: &Database,
    settings: &DeliverySettings,
    outcomes: Vec<(ClaimedMessage, Attempt)>,
) -> Result<(), StoreError> {
    let settings = settings.clone();
    db.write_replayable(move |conn| record_attempts(conn, &outcomes, &settings).map_err(StoreError::from)).await
}
