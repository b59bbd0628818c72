//! Delivery of outgoing SMS through a durable outbox.
//!
//! Every reply and confirmation is written to the `outbox` table in the same transaction that creates
//! the message, so nothing queued is lost if the process dies. A worker in each server process claims due
//! rows with a lease, sends them through the gateway, and records the outcome: accepted and refused
//! messages leave the outbox, temporary failures come back after an exponential backoff. A message is
//! only sent again after its lease expired without a recorded outcome (the process died mid-send).

mod outbox;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Notify, Semaphore, watch};

pub use outbox::{
    Attempt, ClaimedMessage, DeliveryReport, OPTED_OUT_CODE, backoff, claim_due, describe_error, record_attempt,
    record_delivery_report,
};

use crate::config::DeliverySettings;
use crate::db::{Database, StoreError};
use crate::gateways::SmsGateway;

/// How often an idle worker looks for due retries and for messages queued by other server processes.
const IDLE_POLL: Duration = Duration::from_millis(500);

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
}

impl DeliveryWorker {
    pub fn new(db: Database, gateway: SmsGateway, settings: DeliverySettings, signal: OutboxSignal) -> Self {
        Self { db, gateway: Arc::new(gateway), settings, signal }
    }

    pub fn database(&self) -> Database {
        self.db.clone()
    }

    /// Sends until `stop` turns true, then waits for messages already handed to the gateway.
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        let slots = Arc::new(Semaphore::new(self.settings.concurrency));
        while !*stop.borrow() {
            let free = slots.available_permits();
            let claimed = if free == 0 {
                Ok(Vec::new())
            } else {
                let lease = self.settings.lease;
                self.db.write(move |conn| claim_due(conn, free as i64, lease).map_err(StoreError::from)).await
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
                let (db, gateway, settings) = (self.db.clone(), self.gateway.clone(), self.settings.clone());
                tokio::spawn(async move {
                    for message in messages {
                        deliver(&db, &gateway, &settings, message).await;
                    }
                    drop(permit);
                });
            }
        }
        // Let in-flight sends record their outcome, so they are not sent again after the lease.
        let _ = slots.acquire_many(self.settings.concurrency as u32).await;
    }
}

async fn deliver(db: &Database, gateway: &SmsGateway, settings: &DeliverySettings, claimed: ClaimedMessage) {
    let attempt = if claimed.opted_out {
        Attempt::SkippedOptedOut
    } else {
        match gateway.send(&claimed.sms).await {
            Ok(accepted) => Attempt::Sent(accepted),
            Err(e) => Attempt::Failed(e),
        }
    };
    if let Attempt::Failed(e) = &attempt {
        tracing::warn!(message_id = %claimed.sms.message_id, attempt = claimed.attempt, error = %e, "SMS not sent");
    }
    // The gateway has acted: losing this record would send the message again after the lease, so
    // retry the write a few times before giving up on it.
    for wait in [0, 200, 1000, 5000] {
        tokio::time::sleep(Duration::from_millis(wait)).await;
        let (message, outcome, settings) = (claimed.clone(), attempt.clone(), settings.clone());
        let recorded =
            db.write(move |conn| record_attempt(conn, &message, &outcome, &settings).map_err(StoreError::from)).await;
        match recorded {
            Ok(()) => return,
            Err(e) => {
                tracing::error!(message_id = %claimed.sms.message_id, error = %e, "could not record a delivery attempt")
            }
        }
    }
}
