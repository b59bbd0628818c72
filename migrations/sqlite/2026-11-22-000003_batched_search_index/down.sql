INSERT INTO messages_fts (rowid, body)
    SELECT id, body FROM messages WHERE id > (SELECT last_message_id FROM search_index_progress);
DROP TABLE search_index_progress;
CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
    INSERT INTO messages_fts (rowid, body) VALUES (new.id, new.body);
END;
