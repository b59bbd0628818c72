-- Index message bodies in batches instead of one row per text: FTS5 flushes its pending terms whenever a
-- savepoint is released, and every write job has its own savepoint, so a per-row trigger cost each text a
-- segment write (and merges) on the single writer. The server now adds new rows every half second.
DROP TRIGGER messages_fts_insert;

-- How far the batches have got. Kept explicitly: for an external-content FTS5 table, max(rowid) reads the
-- content table (messages), not what was indexed. Everything up to now was indexed by the trigger.
CREATE TABLE search_index_progress (
    id              INTEGER PRIMARY KEY CHECK (id = 1),
    last_message_id INTEGER NOT NULL
);
INSERT INTO search_index_progress (id, last_message_id) SELECT 1, coalesce(max(id), 0) FROM messages;
