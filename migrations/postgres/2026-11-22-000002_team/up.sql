-- The team API: contacts, assignment, read markers, sessions, settings, canned replies, search.

-- A contact is a customer's phone number with what agents know about them.
CREATE TABLE contacts (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    phone_number TEXT      NOT NULL UNIQUE,
    name         TEXT,
    notes        TEXT      NOT NULL DEFAULT '',
    created_at   TIMESTAMP NOT NULL,
    updated_at   TIMESTAMP NOT NULL
);
CREATE INDEX contacts_by_update ON contacts (updated_at);
INSERT INTO contacts (phone_number, created_at, updated_at)
    SELECT customer_number, min(created_at), min(created_at) FROM tickets GROUP BY customer_number;

-- What the ticket list shows is kept on the ticket, so a page of the list is one indexed query.
ALTER TABLE tickets
    ADD COLUMN contact_id BIGINT REFERENCES contacts (id),
    ADD COLUMN assignee_id BIGINT REFERENCES users (id),
    ADD COLUMN message_count INTEGER NOT NULL DEFAULT 0,
    ADD COLUMN last_message_preview TEXT,
    ADD COLUMN last_message_direction TEXT,
    ADD COLUMN last_message_at TIMESTAMP,
    -- The newest customer text: a ticket is unread for an agent until they have read up to it.
    ADD COLUMN last_inbound_message_id BIGINT;
UPDATE tickets t SET
    contact_id = (SELECT c.id FROM contacts c WHERE c.phone_number = t.customer_number),
    message_count = (SELECT count(*) FROM messages m WHERE m.ticket_id = t.id),
    last_inbound_message_id = (SELECT max(m.id) FROM messages m WHERE m.ticket_id = t.id AND m.direction = 'inbound'),
    last_message_preview = (SELECT left(m.body, 160) FROM messages m WHERE m.ticket_id = t.id ORDER BY m.id DESC LIMIT 1),
    last_message_direction = (SELECT m.direction FROM messages m WHERE m.ticket_id = t.id ORDER BY m.id DESC LIMIT 1),
    last_message_at = (SELECT m.created_at FROM messages m WHERE m.ticket_id = t.id ORDER BY m.id DESC LIMIT 1);
CREATE INDEX tickets_by_assignee_activity ON tickets (assignee_id, updated_at DESC, id DESC);
CREATE INDEX tickets_by_contact ON tickets (contact_id);

-- Change cursor and ETag of a thread: what changed in this ticket's messages since a point in time.
CREATE INDEX messages_by_ticket_change ON messages (ticket_id, updated_at);

-- How far each agent has read each ticket.
CREATE TABLE ticket_reads (
    user_id              BIGINT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    ticket_id            BIGINT    NOT NULL REFERENCES tickets (id),
    last_read_message_id BIGINT    NOT NULL,
    read_at              TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id, ticket_id)
);
CREATE INDEX ticket_reads_by_user_time ON ticket_reads (user_id, read_at);

-- Browser sign-ins. Only a hash of the session token is stored; the CSRF token is derived from the token.
CREATE TABLE sessions (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id    BIGINT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash TEXT      NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
CREATE INDEX sessions_by_user ON sessions (user_id);

-- Failed sign-ins per email address, to slow down password guessing.
CREATE TABLE sign_in_failures (
    email           TEXT      PRIMARY KEY,
    failures        INTEGER   NOT NULL,
    last_failure_at TIMESTAMP NOT NULL
);

-- Settings admins change at run time, as JSON values by key; a missing key means the configured default.
CREATE TABLE settings (
    key        TEXT      PRIMARY KEY,
    value      TEXT      NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE canned_replies (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    title      TEXT      NOT NULL,
    body       TEXT      NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

-- Full-text search over message bodies ('simple': no stemming, so it works the same in every language).
CREATE INDEX messages_body_search ON messages USING gin (to_tsvector('simple', body));
