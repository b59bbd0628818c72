-- The team API: contacts, assignment, read markers, sessions, settings, canned replies, search.

-- A contact is a customer's phone number with what agents know about them.
CREATE TABLE contacts (
    id           INTEGER PRIMARY KEY,
    phone_number TEXT NOT NULL UNIQUE,
    name         TEXT,
    notes        TEXT NOT NULL DEFAULT '',
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);
CREATE INDEX contacts_by_update ON contacts (updated_at);
INSERT INTO contacts (phone_number, created_at, updated_at)
    SELECT customer_number, min(created_at), min(created_at) FROM tickets GROUP BY customer_number;

-- What the ticket list shows is kept on the ticket, so a page of the list is one indexed query.
ALTER TABLE tickets ADD COLUMN contact_id INTEGER REFERENCES contacts (id);
ALTER TABLE tickets ADD COLUMN assignee_id INTEGER REFERENCES users (id);
ALTER TABLE tickets ADD COLUMN message_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tickets ADD COLUMN last_message_preview TEXT;
ALTER TABLE tickets ADD COLUMN last_message_direction TEXT;
ALTER TABLE tickets ADD COLUMN last_message_at TEXT;
-- The newest customer text: a ticket is unread for an agent until they have read up to it.
ALTER TABLE tickets ADD COLUMN last_inbound_message_id INTEGER;
UPDATE tickets SET
    contact_id = (SELECT c.id FROM contacts c WHERE c.phone_number = tickets.customer_number),
    message_count = (SELECT count(*) FROM messages m WHERE m.ticket_id = tickets.id),
    last_inbound_message_id = (SELECT max(m.id) FROM messages m WHERE m.ticket_id = tickets.id AND m.direction = 'inbound');
UPDATE tickets SET
    last_message_preview = (SELECT substr(m.body, 1, 160) FROM messages m WHERE m.ticket_id = tickets.id ORDER BY m.id DESC LIMIT 1),
    last_message_direction = (SELECT m.direction FROM messages m WHERE m.ticket_id = tickets.id ORDER BY m.id DESC LIMIT 1),
    last_message_at = (SELECT m.created_at FROM messages m WHERE m.ticket_id = tickets.id ORDER BY m.id DESC LIMIT 1);
CREATE INDEX tickets_by_assignee_activity ON tickets (assignee_id, updated_at DESC, id DESC);
CREATE INDEX tickets_by_contact ON tickets (contact_id);

-- Change cursor and ETag of a thread: what changed in this ticket's messages since a point in time.
CREATE INDEX messages_by_ticket_change ON messages (ticket_id, updated_at);

-- How far each agent has read each ticket.
CREATE TABLE ticket_reads (
    user_id              INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    ticket_id            INTEGER NOT NULL REFERENCES tickets (id),
    last_read_message_id INTEGER NOT NULL,
    read_at              TEXT    NOT NULL,
    PRIMARY KEY (user_id, ticket_id)
);
CREATE INDEX ticket_reads_by_user_time ON ticket_reads (user_id, read_at);

-- Browser sign-ins. Only a hash of the session token is stored; the CSRF token is derived from the token.
CREATE TABLE sessions (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash   TEXT    NOT NULL UNIQUE,
    created_at   TEXT    NOT NULL,
    expires_at   TEXT    NOT NULL
);
CREATE INDEX sessions_by_user ON sessions (user_id);

-- Failed sign-ins per email address, to slow down password guessing.
CREATE TABLE sign_in_failures (
    email           TEXT    PRIMARY KEY,
    failures        INTEGER NOT NULL,
    last_failure_at TEXT    NOT NULL
);

-- Settings admins change at run time, as JSON values by key; a missing key means the configured default.
CREATE TABLE settings (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE canned_replies (
    id         INTEGER PRIMARY KEY,
    title      TEXT NOT NULL,
    body       TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

-- Full-text search over message bodies. Bodies never change, so only inserts need indexing.
CREATE VIRTUAL TABLE messages_fts USING fts5 (body, content = 'messages', content_rowid = 'id', tokenize = 'unicode61 remove_diacritics 2');
CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
    INSERT INTO messages_fts (rowid, body) VALUES (new.id, new.body);
END;
INSERT INTO messages_fts (rowid, body) SELECT id, body FROM messages;
