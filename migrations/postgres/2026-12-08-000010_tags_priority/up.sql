-- Tags admins name and colour, and agents put on tickets (tickets/tagging.rs). A name is unique whatever its
-- case: "Refund" and "refund" are one tag.
CREATE TABLE tags (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name       TEXT NOT NULL,
    colour     TEXT NOT NULL CHECK (colour ~ '^#[0-9a-f]{6}$'),
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX tags_one_per_name ON tags (lower(name));

CREATE TABLE ticket_tags (
    ticket_id BIGINT NOT NULL REFERENCES tickets (id),
    tag_id    BIGINT NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
    PRIMARY KEY (ticket_id, tag_id)
);
-- `?tag=` finds a tag's tickets; deleting a tag finds the tickets to touch.
CREATE INDEX ticket_tags_by_tag ON ticket_tags (tag_id, ticket_id);

-- 0 low, 1 normal, 2 high, 3 urgent: a small integer sorts and indexes as the ranks do.
ALTER TABLE tickets ADD COLUMN priority SMALLINT NOT NULL DEFAULT 1 CHECK (priority BETWEEN 0 AND 3);
-- The oldest customer text no agent has answered since: set by a customer text when empty, cleared by an
-- agent's reply (not a note, not an automatic message), in the statement that records the message on the
-- ticket.
ALTER TABLE tickets ADD COLUMN waiting_since TIMESTAMP;

-- Unclosed tickets waiting longest first, those not waiting after them (by id): the key never NULL, so both
-- databases order it alike. Only unclosed tickets: the queue's sorts read them; closed ones are history.
CREATE INDEX tickets_by_status_waiting ON tickets (status, COALESCE(waiting_since, TIMESTAMP '9999-12-31 23:59:59'), id)
    WHERE status <> 'closed';
CREATE INDEX tickets_by_status_priority
    ON tickets (status, priority DESC, COALESCE(waiting_since, TIMESTAMP '9999-12-31 23:59:59'), id)
    WHERE status <> 'closed';

-- Unclosed tickets that wait already: their oldest customer text after the newest agent reply.
UPDATE tickets SET waiting_since = (
    SELECT min(m.created_at) FROM messages m
    WHERE m.ticket_id = tickets.id AND m.direction = 'inbound' AND m.id > COALESCE((
        SELECT max(r.id) FROM messages r
        WHERE r.ticket_id = tickets.id AND r.direction = 'outbound' AND NOT r.internal AND r.author_id IS NOT NULL
    ), 0)
)
WHERE status <> 'closed';
