-- Reports (reports/): what a support lead reads each morning comes from facts kept as tickets change, not
-- from scanning messages per request.

-- The customer text that opened the ticket; NULL for a conversation an agent started, which has no first
-- response time.
ALTER TABLE tickets ADD COLUMN first_inbound_at TIMESTAMP;
-- The first agent reply to the customer (not a note, not an automatic message) on a ticket a customer
-- opened, and who sent it. Set once, in the statement that records the reply.
ALTER TABLE tickets ADD COLUMN first_response_at TIMESTAMP;
ALTER TABLE tickets ADD COLUMN first_responder_id BIGINT REFERENCES users (id);
-- Who closed it last (NULL when smsdesk did), and whether smsdesk did (auto-close, a first STOP); kept with
-- `closed_at`, which a reopen clears, so resolution time is opened -> last close.
ALTER TABLE tickets ADD COLUMN closed_by_id BIGINT REFERENCES users (id);
ALTER TABLE tickets ADD COLUMN auto_closed BOOLEAN NOT NULL DEFAULT FALSE;

-- A period's new tickets, first responses and closes, each read from its index alone.
CREATE INDEX tickets_by_created ON tickets (created_at, channel_number, assignee_id);
CREATE INDEX tickets_by_first_response
    ON tickets (first_response_at, channel_number, first_responder_id, first_inbound_at)
    WHERE first_response_at IS NOT NULL;
CREATE INDEX tickets_by_closed ON tickets (closed_at, channel_number, closed_by_id, auto_closed, created_at)
    WHERE closed_at IS NOT NULL;

-- Messages and assignments counted per UTC hour, number of ours, metric and user (0: none), rolled up in
-- the background from the append-only messages and ticket_events (reports/rollup.rs). Only the rollup
-- writes here, never the write path of a text, so no hot counter row serialises ingest.
CREATE TABLE report_counts (
    hour           TIMESTAMP NOT NULL,
    channel_number TEXT NOT NULL,
    metric         TEXT NOT NULL,
    user_id        BIGINT NOT NULL DEFAULT 0,
    count          BIGINT NOT NULL,
    PRIMARY KEY (hour, channel_number, metric, user_id)
);
-- How far the rollup has counted: every message and event with an id up to these is in report_counts, and
-- none above them. Reports count the rest live.
CREATE TABLE report_rollup (
    id             SMALLINT PRIMARY KEY CHECK (id = 1),
    messages_until BIGINT NOT NULL,
    events_until   BIGINT NOT NULL,
    updated_at     TIMESTAMP NOT NULL
);
INSERT INTO report_rollup (id, messages_until, events_until, updated_at) VALUES (1, 0, 0, CURRENT_TIMESTAMP);

-- Existing tickets: the opening text when a customer opened the ticket, the first agent reply after it.
UPDATE tickets SET first_inbound_at = (
    SELECT m.created_at FROM messages m WHERE m.ticket_id = tickets.id ORDER BY m.id LIMIT 1
)
WHERE (SELECT m.direction FROM messages m WHERE m.ticket_id = tickets.id ORDER BY m.id LIMIT 1) = 'inbound';
UPDATE tickets SET
    first_response_at = (
        SELECT r.created_at FROM messages r
        WHERE r.ticket_id = tickets.id AND r.direction = 'outbound' AND NOT r.internal AND r.author_id IS NOT NULL
        ORDER BY r.id LIMIT 1
    ),
    first_responder_id = (
        SELECT r.author_id FROM messages r
        WHERE r.ticket_id = tickets.id AND r.direction = 'outbound' AND NOT r.internal AND r.author_id IS NOT NULL
        ORDER BY r.id LIMIT 1
    )
WHERE first_inbound_at IS NOT NULL;
-- Closed tickets: closed by smsdesk when their last status event is an auto-close or a first STOP, else by
-- the actor of their last status change.
UPDATE tickets SET auto_closed = (
    SELECT e.kind IN ('auto_closed', 'opted_out') FROM ticket_events e
    WHERE e.ticket_id = tickets.id AND e.kind IN ('auto_closed', 'opted_out', 'status_changed', 'reopened')
    ORDER BY e.id DESC LIMIT 1
)
WHERE status = 'closed' AND EXISTS (
    SELECT 1 FROM ticket_events e
    WHERE e.ticket_id = tickets.id AND e.kind IN ('auto_closed', 'opted_out', 'status_changed', 'reopened')
);
UPDATE tickets SET closed_by_id = (
    SELECT e.actor_id FROM ticket_events e
    WHERE e.ticket_id = tickets.id AND e.kind = 'status_changed' ORDER BY e.id DESC LIMIT 1
)
WHERE status = 'closed' AND NOT auto_closed;
