//! Texts that join their tickets, stored many at a time.
//!
//! Nearly every text joins its pair's unclosed ticket, and on PostgreSQL each statement costs a round trip
//! (tens of microseconds of the client's CPU, mostly in the kernel) and each commit a WAL flush. So the texts
//! that arrive while a writer connection is busy wait for the next one together, and all of them are stored
//! by one statement: [`AppendBatch`], the steps of `append_text_step_by_step` (lock the pair's unclosed
//! ticket, store the text unless its gateway id is known, record it on the ticket, apply the transition)
//! for many texts at once, with the values the rules computed. Under load a batch holds as many texts as
//! arrived meanwhile (up to [`MAX_BATCH`]); an idle server stores each text alone, in one statement. The
//! contract tests check both forms against the steps.
//!
//! One statement is its own transaction, so nothing is held across round trips: a replica that freezes
//! holds no lock. Tickets are locked in id order, in every batch, so batches never deadlock each other.

use std::collections::VecDeque;
use std::sync::Arc;

use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::sql_types::{Array, BigInt, Nullable, Text, Timestamp};
use tokio::sync::{OnceCell, Semaphore, mpsc, oneshot};

use crate::db::metrics::WriterMetrics;
use crate::db::{AnyConnection, DbPool, StoreError, now};
use crate::domain::{MessageId, TicketId, TicketStatus};
use crate::tickets::store::{AppendedText, TextToAppend};
use crate::tickets::text_activity;

/// The most texts one statement stores.
const MAX_BATCH: usize = 64;
/// Texts waiting for a batch beyond this many make callers wait for room.
const QUEUE_DEPTH: usize = 4096;

type Reply = oneshot::Sender<Result<Option<AppendedText>, StoreError>>;

struct Request {
    text: TextToAppend,
    reply: Reply,
}

/// Gathers texts into batches, each stored on a writer connection when one is free.
#[derive(Clone)]
pub(in crate::db) struct AppendBatcher {
    pool: DbPool,
    turns: Arc<Semaphore>,
    /// Started on first use, so that the database can be opened outside an async runtime (the CLI).
    requests: Arc<OnceCell<mpsc::Sender<Request>>>,
    metrics: WriterMetrics,
    /// The runtime the database was opened on, if any: where the batcher runs. The server opens it on its
    /// main runtime, which runs until the process ends; each HTTP worker thread has a runtime of its own,
    /// which stops during a graceful shutdown as soon as that worker's own requests are answered. Started
    /// on a worker's runtime, the batcher died with it, and the texts other workers still had in flight got
    /// 500 ("the database writer has stopped").
    runtime: Option<tokio::runtime::Handle>,
}

impl AppendBatcher {
    pub(in crate::db) fn new(pool: DbPool, turns: Arc<Semaphore>, metrics: WriterMetrics) -> Self {
        let runtime = tokio::runtime::Handle::try_current().ok();
        Self { pool, turns, requests: Arc::new(OnceCell::new()), metrics, runtime }
    }

    /// Joins `text` to its pair's unclosed ticket: `None` when the pair has none (nothing was written).
    pub(in crate::db) async fn append(&self, text: TextToAppend) -> Result<Option<AppendedText>, StoreError> {
        let requests = self
            .requests
            .get_or_init(|| async {
                let (requests, queue) = mpsc::channel(QUEUE_DEPTH);
                let gathering = gather(queue, self.pool.clone(), self.turns.clone(), self.metrics.clone());
                match &self.runtime {
                    Some(runtime) => drop(runtime.spawn(gathering)),
                    None => drop(tokio::spawn(gathering)),
                }
                requests
            })
            .await;
        let (reply, outcome) = oneshot::channel();
        requests.send(Request { text, reply }).await.map_err(|_| StoreError::WriterStopped)?;
        outcome.await.map_err(|_| StoreError::WriterStopped)?
    }
}

/// Takes a writer connection for the first waiting text, then every text waiting by then that can share its
/// statement, and stores them while gathering the next batch.
async fn gather(mut queue: mpsc::Receiver<Request>, pool: DbPool, turns: Arc<Semaphore>, metrics: WriterMetrics) {
    let mut deferred: VecDeque<Request> = VecDeque::new();
    loop {
        let first = match deferred.pop_front() {
            Some(request) => request,
            None => match queue.recv().await {
                Some(request) => request,
                None => return,
            },
        };
        let Ok(turn) = turns.clone().acquire_owned().await else { return };
        let mut batch = vec![first];
        let mut skipped = VecDeque::new();
        while batch.len() < MAX_BATCH {
            let Some(request) = deferred.pop_front().or_else(|| queue.try_recv().ok()) else { break };
            if fits(&batch, &request.text) {
                batch.push(request);
            } else {
                skipped.push_back(request);
            }
        }
        deferred.extend(skipped);
        let (pool, metrics) = (pool.clone(), metrics.clone());
        tokio::spawn(async move {
            let texts: Vec<TextToAppend> = batch.iter().map(|request| request.text.clone()).collect();
            let outcomes = tokio::task::spawn_blocking(move || store(&pool, &texts, &metrics)).await;
            drop(turn);
            match outcomes {
                Ok(outcomes) => {
                    for (request, outcome) in batch.into_iter().zip(outcomes) {
                        let _ = request.reply.send(outcome);
                    }
                }
                Err(_) => {
                    for request in batch {
                        let _ = request.reply.send(Err(StoreError::TaskPanicked));
                    }
                }
            }
        });
    }
}

/// Whether `text` may join `batch`'s statement: its result is found by its gateway id, so it needs one, not
/// shared with another text of the batch (a replay arriving with its original goes in the next one, which
/// finds it stored), and the same transition.
fn fits(batch: &[Request], text: &TextToAppend) -> bool {
    let Some(id) = &text.provider_message_id else { return false };
    batch.iter().all(|other| {
        let other = &other.text;
        other.provider_message_id.is_some()
            && other.transition == text.transition
            && !(other.provider == text.provider && other.provider_message_id.as_ref() == Some(id))
    })
}

/// Stores a batch: one statement, or each text alone if that statement fails (a text's own fault must not
/// fail the others).
fn store(
    pool: &DbPool,
    texts: &[TextToAppend],
    metrics: &WriterMetrics,
) -> Vec<Result<Option<AppendedText>, StoreError>> {
    let mut conn = match pool.get() {
        Ok(conn) => conn,
        Err(e) => {
            let why = e.to_string();
            return texts.iter().map(|_| Err(StoreError::Commit(why.clone()))).collect();
        }
    };
    let AnyConnection::Postgresql(pg) = &mut *conn else {
        return texts.iter().map(|_| Err(StoreError::Commit("not a PostgreSQL connection".to_owned()))).collect();
    };
    let started = std::time::Instant::now();
    let outcomes = if let [text] = texts {
        vec![append_one(pg, text)]
    } else {
        match append_batch(pg, texts) {
            Ok(outcomes) => outcomes.into_iter().map(Ok).collect(),
            Err(e) => {
                tracing::warn!(error = %e, texts = texts.len(), "a batch of texts failed; storing them one by one");
                texts.iter().map(|text| append_one(pg, text)).collect()
            }
        }
    };
    metrics.group(texts.len(), started.elapsed());
    outcomes
}

fn append_one(pg: &mut PgConnection, text: &TextToAppend) -> Result<Option<AppendedText>, StoreError> {
    super::tickets::append_text(pg, text.pair(), &text.message(), text.transition).map_err(StoreError::from)
}

/// Runs [`AppendBatch`] for `texts` (each with a gateway id, no two alike, one transition): each text's outcome.
pub(in crate::db) fn append_batch(
    pg: &mut PgConnection,
    texts: &[TextToAppend],
) -> QueryResult<Vec<Option<AppendedText>>> {
    let Some(first) = texts.first() else { return Ok(Vec::new()) };
    let mut statement = AppendBatch {
        ords: Vec::with_capacity(texts.len()),
        customers: Vec::with_capacity(texts.len()),
        channels: Vec::with_capacity(texts.len()),
        bodies: Vec::with_capacity(texts.len()),
        directions: Vec::with_capacity(texts.len()),
        providers: Vec::with_capacity(texts.len()),
        provider_message_ids: Vec::with_capacity(texts.len()),
        media_urls: Vec::with_capacity(texts.len()),
        previews: Vec::with_capacity(texts.len()),
        at: now(),
        from: first.transition.from,
        to: first.transition.to,
    };
    for (ord, text) in texts.iter().enumerate() {
        let message = text.message();
        // The rules' bookkeeping for this text (its id is not known yet, and every text here is a customer's:
        // the ticket's newest inbound message becomes its newest one of the batch).
        let activity = text_activity(&message, MessageId(0), 1);
        statement.ords.push(ord as i64);
        statement.customers.push(text.customer.clone());
        statement.channels.push(text.channel.clone());
        statement.bodies.push(text.body.clone());
        statement.directions.push(message.direction().as_str().to_owned());
        statement.providers.push(text.provider.to_owned());
        statement.provider_message_ids.push(text.provider_message_id.clone().unwrap_or_default());
        statement.media_urls.push(text.media_urls.clone());
        statement.previews.push(activity.preview);
    }
    let rows: Vec<(i64, Option<TicketId>, Option<MessageId>)> = statement.load(pg)?;
    let mut outcomes = vec![None; texts.len()];
    for (ord, ticket_id, message_id) in rows {
        if let (Some(slot), Some(ticket_id)) = (outcomes.get_mut(ord as usize), ticket_id) {
            *slot = Some(AppendedText { ticket_id, message_id });
        }
    }
    Ok(outcomes)
}

/// The steps of `append_text_step_by_step` for many texts, as one statement over the texts as arrays.
#[derive(Debug, Clone, QueryId)]
pub(in crate::db) struct AppendBatch {
    ords: Vec<i64>,
    customers: Vec<String>,
    channels: Vec<String>,
    bodies: Vec<String>,
    directions: Vec<String>,
    providers: Vec<String>,
    provider_message_ids: Vec<String>,
    media_urls: Vec<Option<String>>,
    previews: Vec<Option<String>>,
    at: chrono::NaiveDateTime,
    from: TicketStatus,
    to: TicketStatus,
}

impl QueryFragment<Pg> for AppendBatch {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_sql("WITH input AS (SELECT * FROM unnest(");
        out.push_bind_param::<Array<BigInt>, _>(&self.ords)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Text>, _>(&self.customers)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Text>, _>(&self.channels)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Text>, _>(&self.bodies)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Text>, _>(&self.directions)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Text>, _>(&self.providers)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Text>, _>(&self.provider_message_ids)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Nullable<Text>>, _>(&self.media_urls)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Nullable<Text>>, _>(&self.previews)?;
        // Every text's unclosed ticket, locked in id order: all batches lock in one order, so two of them never
        // wait on each other in a circle. `status <> 'closed'` is the partial unique index's predicate.
        out.push_sql(
            ") AS i (ord, customer, channel, body, direction, provider, provider_message_id, media_urls, preview)), \
             t AS (SELECT id, customer_number, channel_number FROM tickets WHERE (customer_number, channel_number) \
             IN (SELECT customer, channel FROM input) AND status <> 'closed' ORDER BY id FOR UPDATE), \
             m AS (INSERT INTO messages (ticket_id, direction, internal, body, provider, provider_message_id, \
             media_urls, created_at, updated_at) SELECT t.id, i.direction, false, i.body, i.provider, \
             i.provider_message_id, i.media_urls, ",
        );
        out.push_bind_param::<Timestamp, _>(&self.at)?;
        out.push_sql(", ");
        out.push_bind_param::<Timestamp, _>(&self.at)?;
        // In the texts' order, so that the newest of a ticket's texts gets the highest id. The conflict is with
        // the unique gateway id: that text was stored before.
        out.push_sql(
            " FROM input i JOIN t ON t.customer_number = i.customer AND t.channel_number = i.channel \
             ORDER BY i.ord ON CONFLICT DO NOTHING RETURNING id, ticket_id, provider, provider_message_id), \
             stored AS (SELECT m.id, m.ticket_id, i.direction, i.preview FROM m JOIN input i \
             ON i.provider = m.provider AND i.provider_message_id = m.provider_message_id), \
             newest AS (SELECT DISTINCT ON (ticket_id) ticket_id, id, direction, preview FROM stored \
             ORDER BY ticket_id, id DESC), \
             counted AS (SELECT ticket_id, count(*)::int AS added FROM stored GROUP BY ticket_id), \
             u AS (UPDATE tickets SET message_count = tickets.message_count + c.added, updated_at = ",
        );
        out.push_bind_param::<Timestamp, _>(&self.at)?;
        out.push_sql(
            ", last_message_preview = COALESCE(n.preview, tickets.last_message_preview), \
             last_message_direction = COALESCE(n.direction, tickets.last_message_direction), \
             last_message_at = CASE WHEN n.direction IS NULL THEN tickets.last_message_at ELSE ",
        );
        out.push_bind_param::<Timestamp, _>(&self.at)?;
        // Every text here is a customer's (`Waiting::Starts`): the ticket waits from now unless it waits already.
        // A customer's text joining its ticket is never a first response, an opening or a close: the reports'
        // columns (`first_inbound_at`, `first_response_at`, `closed_by_id`...) stay as they are.
        out.push_sql(" END, waiting_since = COALESCE(tickets.waiting_since, ");
        out.push_bind_param::<Timestamp, _>(&self.at)?;
        out.push_sql("), last_inbound_message_id = n.id, status = CASE WHEN tickets.status = ");
        out.push_bind_param::<Text, _>(&self.from)?;
        out.push_sql(" THEN ");
        out.push_bind_param::<Text, _>(&self.to)?;
        out.push_sql(
            " ELSE tickets.status END FROM counted c JOIN newest n ON n.ticket_id = c.ticket_id \
             WHERE tickets.id = c.ticket_id) \
             SELECT i.ord, t.id, s.id FROM input i \
             LEFT JOIN t ON t.customer_number = i.customer AND t.channel_number = i.channel \
             LEFT JOIN m s ON s.provider = i.provider AND s.provider_message_id = i.provider_message_id",
        );
        Ok(())
    }
}

impl diesel::query_builder::Query for AppendBatch {
    type SqlType = (BigInt, Nullable<BigInt>, Nullable<BigInt>);
}

impl RunQueryDsl<PgConnection> for AppendBatch {}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::db::scratch::Scratch;
    use crate::tickets::store::{OpenedBy, Pair, TicketEdit, TicketStore, Transition, append_text_step_by_step};

    const REOPEN: Transition = Transition { from: TicketStatus::Pending, to: TicketStatus::Open };

    fn text(customer: &str, id: Option<&str>, body: &str) -> TextToAppend {
        TextToAppend {
            customer: customer.to_owned(),
            channel: "+14155550100".to_owned(),
            body: body.to_owned(),
            provider: "twilio",
            provider_message_id: id.map(str::to_owned),
            media_urls: None,
            transition: REOPEN,
        }
    }

    #[test]
    fn a_batch_takes_texts_with_distinct_gateway_ids_and_one_transition() {
        let request = |t: TextToAppend| Request { text: t, reply: oneshot::channel().0 };
        let batch = vec![request(text("+1", Some("SMa"), "x"))];
        assert!(fits(&batch, &text("+1", Some("SMb"), "x")), "the same ticket twice is fine");
        assert!(!fits(&batch, &text("+2", Some("SMa"), "x")), "a replay waits for the next batch");
        assert!(!fits(&batch, &text("+2", None, "x")), "no gateway id: stored alone");
        let other = TextToAppend {
            transition: Transition { from: TicketStatus::Open, to: TicketStatus::Pending },
            ..text("+2", Some("SMc"), "x")
        };
        assert!(!fits(&batch, &other));
    }

    /// The texts' tickets in the situations a batch meets, for customers `prefix0`..`prefix4`: an open ticket
    /// (texted twice in the batch), a pending one, one whose text was stored before, none, an open one.
    fn situations(store: &mut AnyConnection, prefix: &str) -> Result<Vec<TextToAppend>, StoreError> {
        let customer = |n: usize| format!("{prefix}{n}");
        for n in [0, 1, 2, 4] {
            store.open_ticket(Pair { customer: &customer(n), channel: "+14155550100" }, OpenedBy::Customer)?;
        }
        let (pending, _) =
            store.find_unclosed_ticket(Pair { customer: &customer(1), channel: "+14155550100" })?.unwrap();
        let at = now();
        store.edit_ticket(
            pending,
            &TicketEdit { status: Some(TicketStatus::Pending), closed: None, assignee: None, at },
        )?;
        let known = text(&customer(2), Some(&format!("SM{prefix}known")), "Earlier");
        append_text_step_by_step(store, known.pair(), &known.message(), REOPEN)?;
        Ok(vec![
            text(&customer(0), Some(&format!("SM{prefix}a")), "First"),
            text(&customer(1), Some(&format!("SM{prefix}b")), "Any news?"),
            text(&customer(0), Some(&format!("SM{prefix}c")), "Second, newest"),
            text(&customer(2), Some(&format!("SM{prefix}known")), "Earlier, again"),
            text(&customer(3), Some(&format!("SM{prefix}d")), "Nobody's"),
            TextToAppend {
                media_urls: Some(r#"["https://x.test/a.jpg"]"#.into()),
                ..text(&customer(4), Some(&format!("SM{prefix}e")), "Photo")
            },
        ])
    }

    type Listed = (i32, Option<String>, Option<String>, bool, TicketStatus, Option<String>);
    type TicketRow = (TicketId, i32, Option<String>, Option<String>, Option<MessageId>, TicketStatus);

    /// Each text's outcome (ticket found, text stored) and each ticket's row, without ids or times.
    fn trace(
        store: &mut AnyConnection,
        prefix: &str,
        outcomes: &[Option<AppendedText>],
    ) -> Result<(Vec<Option<bool>>, Vec<Listed>), StoreError> {
        use crate::db::schema::{messages, tickets};
        let mut rows = Vec::new();
        for n in 0..5 {
            let row: Option<TicketRow> = tickets::table
                .filter(tickets::customer_number.eq(format!("{prefix}{n}")))
                .select((
                    tickets::id,
                    tickets::message_count,
                    tickets::last_message_preview,
                    tickets::last_message_direction,
                    tickets::last_inbound_message_id,
                    tickets::status,
                ))
                .first(store)
                .optional()?;
            if let Some((id, count, preview, direction, inbound, status)) = row {
                let newest: Option<MessageId> = messages::table
                    .filter(messages::ticket_id.eq(id))
                    .select(diesel::dsl::max(messages::id))
                    .get_result(store)?;
                let media: Option<String> = messages::table
                    .filter(messages::ticket_id.eq(id))
                    .order(messages::id.desc())
                    .select(messages::media_urls)
                    .first(store)?;
                rows.push((count, preview, direction, inbound == newest && inbound.is_some(), status, media));
            }
        }
        Ok((outcomes.iter().map(|o| o.map(|a| a.message_id.is_some())).collect(), rows))
    }

    /// The batch statement against the store's single steps, run one text after the other: the same outcomes
    /// and the same tickets, in every situation at once.
    #[tokio::test]
    async fn a_batch_does_what_the_steps_do_one_text_after_another() {
        let Some(scratch) = Scratch::postgres().await else { return };
        scratch
            .db
            .write(|store| -> Result<(), StoreError> {
                let texts = situations(store, "+1415555030")?;
                let AnyConnection::Postgresql(pg) = store else { unreachable!() };
                let batched = append_batch(pg, &texts)?;
                let batched = trace(store, "+1415555030", &batched)?;

                let texts = situations(store, "+1415555040")?;
                let mut stepped = Vec::new();
                for text in &texts {
                    stepped.push(append_text_step_by_step(store, text.pair(), &text.message(), text.transition)?);
                }
                let stepped = trace(store, "+1415555040", &stepped)?;
                assert_eq!(batched, stepped);
                assert_eq!(batched.0, [Some(true), Some(true), Some(true), Some(false), None, Some(true)]);
                assert_eq!(batched.1[0].0, 2, "both texts of the batch counted");
                assert_eq!(batched.1[0].1.as_deref(), Some("Second, newest"));
                assert_eq!(batched.1[1].4, TicketStatus::Open, "the pending ticket reopened");
                // Every ticket a text joined waits for an answer since then, in both forms.
                for prefix in ["+1415555030", "+1415555040"] {
                    for n in [0, 1, 2, 4] {
                        let since: Option<chrono::NaiveDateTime> = crate::db::schema::tickets::table
                            .filter(crate::db::schema::tickets::customer_number.eq(format!("{prefix}{n}")))
                            .select(crate::db::schema::tickets::waiting_since)
                            .first(store)?;
                        assert!(since.is_some(), "{prefix}{n}");
                    }
                }
                Ok(())
            })
            .await
            .unwrap();
    }

    /// The batcher runs on the runtime that opened the database, not on its first caller's: each of the
    /// server's HTTP workers has a runtime that stops during a graceful shutdown while the others are still
    /// answering texts.
    #[tokio::test]
    async fn texts_are_stored_after_the_runtime_that_sent_the_first_one_has_stopped() {
        let Some(scratch) = Scratch::postgres().await else { return };
        let customer = "+14155550900";
        scratch
            .db
            .write(move |store| {
                store
                    .open_ticket(Pair { customer, channel: "+14155550100" }, OpenedBy::Customer)
                    .map_err(StoreError::from)
            })
            .await
            .unwrap();
        let stored = |a: AppendedText| Ok::<_, StoreError>(a.message_id.is_some());
        let db = scratch.db.clone();
        let first = tokio::task::spawn_blocking(move || {
            let worker = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            worker.block_on(db.append_text_or(text(customer, Some("SMfirst"), "First"), stored, |_| Ok(false)))
        })
        .await
        .unwrap();
        assert!(first.unwrap());
        let second = scratch.db.append_text_or(text(customer, Some("SMsecond"), "Second"), stored, |_| Ok(false)).await;
        assert!(second.unwrap(), "the batcher stopped with the first caller's runtime");
    }

    /// Through the batcher: texts sent at once are stored, each once, and their replays are recognised.
    #[tokio::test]
    async fn texts_sent_at_once_are_gathered_and_each_stored_once() {
        let Some(scratch) = Scratch::postgres().await else { return };
        let customers: Vec<String> = (0..20).map(|n| format!("+14155550{n:03}")).collect();
        let opened = customers.clone();
        scratch
            .db
            .write(move |store| -> Result<(), StoreError> {
                for customer in &opened {
                    store.open_ticket(Pair { customer, channel: "+14155550100" }, OpenedBy::Customer)?;
                }
                Ok(())
            })
            .await
            .unwrap();
        let sends = (0..200).map(|n| {
            let db = scratch.db.clone();
            // Every tenth text is a replay of the one before.
            let id = format!("SMgathered{}", n - usize::from(n % 10 == 9));
            let text = text(&customers[n % 20], Some(&id), &format!("Text {n}"));
            tokio::spawn(async move {
                db.append_text_or(text, |a| Ok::<_, StoreError>(a.message_id.is_some()), |_| Ok(false)).await.unwrap()
            })
        });
        let mut stored = 0;
        for send in sends.collect::<Vec<_>>() {
            stored += usize::from(send.await.unwrap());
        }
        assert_eq!(stored, 180, "every text once, no replay");
        let messages: i64 = scratch
            .db
            .read(|conn| crate::db::schema::messages::table.count().get_result(conn).map_err(StoreError::from))
            .await
            .unwrap();
        assert_eq!(messages, 180);
    }
}
