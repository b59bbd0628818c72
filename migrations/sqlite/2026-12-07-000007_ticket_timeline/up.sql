-- What was done to a ticket, by whom and when: the timeline agents read among the messages (tickets/events.rs).
-- One row per event; what each kind carries (assignees, statuses, the idle rule, the failed message) is a
-- small JSON object in `details`, so a new kind needs no migration.
CREATE TABLE ticket_events (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    ticket_id  INTEGER NOT NULL REFERENCES tickets (id),
    kind       TEXT NOT NULL,
    actor_id   INTEGER REFERENCES users (id),
    at         TEXT NOT NULL,
    details    TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX ticket_events_by_ticket ON ticket_events (ticket_id, id);

-- When a reply to the customer last failed or went undelivered and was not sent again: the queue marks the
-- row and agents are notified. Recomputed from the messages whenever a delivery fails or is retried.
ALTER TABLE tickets ADD COLUMN failed_delivery_at TEXT;

-- Each agent's own choices (notifications, sound, compact rows), as JSON, so the dashboard can add one
-- without a migration; unknown or missing keys take their defaults (accounts/preferences.rs).
CREATE TABLE user_preferences (
    user_id    INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    choices    TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
