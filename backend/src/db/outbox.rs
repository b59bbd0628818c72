//! The outbox's storage ([`OutboxStore`]) on SQLite and PostgreSQL.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::AnyConnection;
use crate::db::schema::{delivery_events, messages, outbox, tickets};
use crate::db::tickets::{record_event, record_opt_out, refresh_failed_delivery, ticket_opted_out};
use crate::delivery::store::{GatewayId, OutboxBacklog, OutboxStore, StatusChange, StoredReport};
use crate::delivery::{ClaimedMessage, DeliveryReport};
use crate::domain::{DeliveryStatus, EventKind, MessageId, PhoneNumber, Provider, TicketId};
use crate::gateways::OutgoingSms;
use crate::tickets::events::{EventDetails, NewEvent};
use crate::tickets::store::Pair;

impl OutboxStore for AnyConnection {
    fn claim_due(
        &mut self,
        limit: i64,
        now: NaiveDateTime,
        lease_until: NaiveDateTime,
    ) -> QueryResult<Vec<ClaimedMessage>> {
        let due = outbox::table
            .filter(outbox::next_attempt_at.le(now))
            .order(outbox::next_attempt_at.asc())
            .select(outbox::message_id)
            .limit(limit);
        // The row locks last until our transaction commits the new lease; on PostgreSQL other workers skip
        // those rows instead of waiting (SQLite's single writer claims one batch at a time anyway).
        let ids: Vec<MessageId> = match self {
            AnyConnection::Postgresql(pg) => due.for_update().skip_locked().load(pg)?,
            AnyConnection::Sqlite(sqlite) => due.load(sqlite)?,
        };
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let claimed: Vec<(MessageId, i32)> = diesel::update(outbox::table.filter(outbox::message_id.eq_any(&ids)))
            .set((outbox::next_attempt_at.eq(lease_until), outbox::attempts.eq(outbox::attempts + 1)))
            .returning((outbox::message_id, outbox::attempts))
            .get_results(self)?;
        let details: Vec<(MessageId, String, String, String, bool)> = messages::table
            .inner_join(tickets::table)
            .filter(messages::id.eq_any(&ids))
            .select((
                messages::id,
                messages::body,
                tickets::customer_number,
                tickets::channel_number,
                ticket_opted_out(),
            ))
            .order(messages::id.asc())
            .load(self)?;
        Ok(details
            .into_iter()
            .map(|(message_id, body, customer, channel, opted_out)| ClaimedMessage {
                sms: OutgoingSms {
                    message_id,
                    from: PhoneNumber::from_stored(channel),
                    to: PhoneNumber::from_stored(customer),
                    body,
                },
                attempt: claimed.iter().find(|(id, _)| *id == message_id).map_or(1, |(_, n)| *n),
                opted_out,
            })
            .collect())
    }

    fn move_status(
        &mut self,
        id: MessageId,
        from: &[DeliveryStatus],
        change: StatusChange<'_>,
        gateway_id: Option<GatewayId<'_>>,
    ) -> QueryResult<bool> {
        let target = messages::table.find(id).filter(messages::delivery_status.eq_any(from));
        let status = (
            messages::delivery_status.eq(change.status),
            messages::error_code.eq(change.error_code),
            messages::error_message.eq(change.error_message),
            messages::updated_at.eq(change.at),
        );
        let moved = match gateway_id {
            Some(gateway) => diesel::update(target)
                .set((status, messages::provider.eq(gateway.provider), messages::provider_message_id.eq(gateway.id)))
                .execute(self)?,
            None => diesel::update(target).set(status).execute(self)?,
        };
        Ok(moved > 0)
    }

    fn set_gateway_id(&mut self, id: MessageId, gateway_id: GatewayId<'_>, at: NaiveDateTime) -> QueryResult<()> {
        diesel::update(messages::table.find(id))
            .set((
                messages::provider.eq(gateway_id.provider),
                messages::provider_message_id.eq(gateway_id.id),
                messages::updated_at.eq(at),
            ))
            .execute(self)
            .map(drop)
    }

    fn reschedule(&mut self, id: MessageId, at: NaiveDateTime, last_error: &str) -> QueryResult<()> {
        diesel::update(outbox::table.find(id))
            .set((outbox::next_attempt_at.eq(at), outbox::last_error.eq(last_error)))
            .execute(self)
            .map(drop)
    }

    fn leave_outbox(&mut self, ids: &[MessageId]) -> QueryResult<()> {
        if ids.is_empty() {
            return Ok(());
        }
        diesel::delete(outbox::table.filter(outbox::message_id.eq_any(ids))).execute(self).map(drop)
    }

    fn backlog(&mut self) -> QueryResult<OutboxBacklog> {
        let (messages, oldest_queued_at): (i64, Option<NaiveDateTime>) = outbox::table
            .inner_join(messages::table)
            .select((diesel::dsl::count_star(), diesel::dsl::min(messages::created_at)))
            .first(self)?;
        Ok(OutboxBacklog { messages, oldest_queued_at })
    }

    fn record_opt_out(&mut self, customer: &PhoneNumber, channel: &PhoneNumber, at: NaiveDateTime) -> QueryResult<()> {
        record_opt_out(self, Pair { customer: customer.as_str(), channel: channel.as_str() }, at)
    }

    fn record_delivery_failure(&mut self, id: MessageId, error: Option<&str>, at: NaiveDateTime) -> QueryResult<()> {
        let ticket_id: TicketId = messages::table.find(id).select(messages::ticket_id).get_result(self)?;
        let details = EventDetails { message_id: Some(id), error: error.map(str::to_owned), ..EventDetails::default() };
        record_event(self, &NewEvent::new(ticket_id, EventKind::DeliveryFailed, None, at).with(details))?;
        refresh_failed_delivery(self, ticket_id, at)
    }

    fn store_report(&mut self, report: &DeliveryReport, at: NaiveDateTime) -> QueryResult<()> {
        diesel::insert_into(delivery_events::table)
            .values((
                delivery_events::provider.eq(report.provider),
                delivery_events::provider_message_id.eq(&report.provider_message_id),
                delivery_events::status.eq(report.status),
                delivery_events::error_code.eq(&report.error_code),
                delivery_events::received_at.eq(at),
            ))
            .execute(self)
            .map(drop)
    }

    fn message_with_gateway_id(&mut self, gateway_id: GatewayId<'_>) -> QueryResult<Option<MessageId>> {
        messages::table
            .filter(messages::provider.eq(gateway_id.provider))
            .filter(messages::provider_message_id.eq(gateway_id.id))
            .select(messages::id)
            .first(self)
            .optional()
    }

    fn reports_about(&mut self, gateway_ids: &[GatewayId<'_>]) -> QueryResult<Vec<StoredReport>> {
        if gateway_ids.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<&str> = gateway_ids.iter().map(|g| g.id).collect();
        let mut providers: Vec<Provider> = Vec::new();
        for gateway in gateway_ids {
            if !providers.contains(&gateway.provider) {
                providers.push(gateway.provider);
            }
        }
        let reports: Vec<(Provider, String, DeliveryStatus, Option<String>)> = delivery_events::table
            .filter(delivery_events::provider.eq_any(&providers))
            .filter(delivery_events::provider_message_id.eq_any(&ids))
            .select((
                delivery_events::provider,
                delivery_events::provider_message_id,
                delivery_events::status,
                delivery_events::error_code,
            ))
            .order(delivery_events::id.asc())
            .load(self)?;
        // Both filters match independently: keep only the pairs asked about.
        Ok(reports
            .into_iter()
            .filter(|(provider, id, _, _)| gateway_ids.iter().any(|g| g.provider == *provider && g.id == id))
            .map(|(provider, gateway_message_id, status, error_code)| StoredReport {
                provider,
                gateway_message_id,
                status,
                error_code,
            })
            .collect())
    }
}

/// The contract of [`OutboxStore`]: the same scenarios on SQLite and, with `TEST_DATABASE_URL`, PostgreSQL.
#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod contract {
    use chrono::Duration;

    use super::*;
    use crate::db::scratch::Scratch;
    use crate::db::{StoreError, now};
    use crate::tickets::store::{NewMessage, OpenedBy, Origin, TicketStore};

    /// An outgoing message to a fresh ticket of `customer`: its id.
    fn queued_message(store: &mut AnyConnection, customer: &str) -> Result<MessageId, StoreError> {
        let ticket = store.open_ticket(Pair { customer, channel: "+14155550100" }, OpenedBy::Customer)?.unwrap();
        let reply = NewMessage {
            ticket_id: ticket,
            origin: Origin::Automatic,
            internal: false,
            body: "Thanks!",
            provider: None,
            provider_message_id: None,
            media_urls: None,
        };
        Ok(store.insert_message(&reply)?.unwrap())
    }

    #[tokio::test]
    async fn a_claim_hides_messages_until_their_lease_ends_and_counts_the_attempt() {
        for scratch in Scratch::all().await {
            let backend = scratch.backend();
            scratch
                .db
                .write(move |store| -> Result<(), StoreError> {
                    let first = queued_message(store, "+14155550123")?;
                    let second = queued_message(store, "+14155550124")?;
                    let at = now();
                    let claimed = store.claim_due(1, at, at + Duration::seconds(30))?;
                    assert_eq!(claimed.len(), 1, "{backend}");
                    assert_eq!((claimed[0].sms.message_id, claimed[0].attempt), (first, 1), "{backend}");
                    assert_eq!(claimed[0].sms.to.as_str(), "+14155550123", "{backend}");
                    let next = store.claim_due(10, at, at + Duration::seconds(30))?;
                    assert_eq!(next.iter().map(|c| c.sms.message_id).collect::<Vec<_>>(), [second], "{backend}");
                    assert!(store.claim_due(10, at, at + Duration::seconds(30))?.is_empty(), "{backend}: leased");
                    let after_the_lease = at + Duration::seconds(31);
                    let again = store.claim_due(10, after_the_lease, after_the_lease + Duration::seconds(30))?;
                    assert_eq!(again.iter().map(|c| c.attempt).collect::<Vec<_>>(), [2, 2], "{backend}");
                    store.leave_outbox(&[first, second])?;
                    assert!(store.claim_due(10, after_the_lease + Duration::hours(1), at)?.is_empty(), "{backend}");
                    Ok(())
                })
                .await
                .unwrap();
        }
    }

    #[tokio::test]
    async fn statuses_move_only_from_the_states_given_and_reports_are_found_by_gateway_id() {
        for scratch in Scratch::all().await {
            let backend = scratch.backend();
            scratch
                .db
                .write(move |store| -> Result<(), StoreError> {
                    let id = queued_message(store, "+14155550123")?;
                    let at = now();
                    let sending =
                        StatusChange { status: DeliveryStatus::Sending, error_code: None, error_message: None, at };
                    let gateway = GatewayId { provider: Provider::Twilio, id: "SMabc" };
                    assert!(store.move_status(id, &[DeliveryStatus::Queued], sending, Some(gateway))?, "{backend}");
                    assert!(!store.move_status(id, &[DeliveryStatus::Queued], sending, None)?, "{backend}: not queued");
                    assert_eq!(store.message_with_gateway_id(gateway)?, Some(id), "{backend}");
                    let other = GatewayId { provider: Provider::MessageBird, id: "SMabc" };
                    assert_eq!(store.message_with_gateway_id(other)?, None, "{backend}: ids are per gateway");

                    for (provider, gateway_message_id) in [(Provider::Twilio, "SMabc"), (Provider::MessageBird, "x")] {
                        let report = DeliveryReport {
                            provider,
                            provider_message_id: gateway_message_id.to_owned(),
                            status: DeliveryStatus::Delivered,
                            error_code: None,
                        };
                        store.store_report(&report, at)?;
                    }
                    // Twilio's "x" was never reported, nor MessageBird's "SMabc": only exact pairs come back.
                    let asked = [gateway, GatewayId { provider: Provider::Twilio, id: "x" }];
                    let found = store.reports_about(&asked)?;
                    assert_eq!(found.len(), 1, "{backend}");
                    assert_eq!((found[0].provider, found[0].gateway_message_id.as_str()), (Provider::Twilio, "SMabc"));
                    store.reschedule(id, at + Duration::seconds(5), "timeout")?;
                    assert!(store.claim_due(1, at, at)?.is_empty(), "{backend}: rescheduled later");
                    Ok(())
                })
                .await
                .unwrap();
        }
    }
}
