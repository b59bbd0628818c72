//! SQLite's full-text index of message bodies is filled in batches by the server (see the migration
//! `batched_search_index`), so a text becomes searchable within about a second of arriving. PostgreSQL
//! indexes as rows are written (GIN with fastupdate); there is nothing to do there.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable};

use crate::db::AnyConnection;

#[derive(QueryableByName)]
struct Watermark {
    #[diesel(sql_type = Nullable<BigInt>)]
    id: Option<i64>,
}

/// Adds up to `limit` messages that are not yet in the search index; returns how many. Runs in one write
/// transaction, so the batch it indexes and the watermark it records agree.
pub fn index_new_messages(conn: &mut AnyConnection, limit: i64) -> QueryResult<usize> {
    let AnyConnection::Sqlite(sqlite) = conn else { return Ok(0) };
    let batch_end = diesel::sql_query(
        "SELECT max(id) AS id FROM (SELECT id FROM messages \
         WHERE id > (SELECT last_message_id FROM search_index_progress) ORDER BY id LIMIT ?)",
    )
    .bind::<BigInt, _>(limit)
    .get_result::<Watermark>(sqlite)?;
    let Some(batch_end) = batch_end.id else { return Ok(0) };
    let indexed = diesel::sql_query(
        "INSERT INTO messages_fts (rowid, body) SELECT id, body FROM messages \
         WHERE id > (SELECT last_message_id FROM search_index_progress) AND id <= ?",
    )
    .bind::<BigInt, _>(batch_end)
    .execute(sqlite)?;
    diesel::sql_query("UPDATE search_index_progress SET last_message_id = ?")
        .bind::<BigInt, _>(batch_end)
        .execute(sqlite)?;
    Ok(indexed)
}
