-- Inboxes: each number of ours that customers text, with a name, its member agents and how its new tickets
-- are assigned (inboxes/). An agent sees a ticket when its inbox has no members or they are one of them.
-- A name of '' (numbers texted before inboxes existed) is shown as the number's display form: SQL cannot
-- format phone numbers, the application can.
CREATE TABLE inboxes (
    number            TEXT PRIMARY KEY,
    name              TEXT NOT NULL,
    assignment_policy TEXT NOT NULL DEFAULT 'manual',
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL
);
-- last_assigned_at: when round robin last handed this member a ticket (NULL: never), so the next one goes to
-- whoever waited longest, decided in the database and fair across replicas.
CREATE TABLE inbox_members (
    inbox_number     TEXT    NOT NULL REFERENCES inboxes (number) ON DELETE CASCADE,
    user_id          INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    last_assigned_at TEXT,
    PRIMARY KEY (inbox_number, user_id)
);
CREATE INDEX inbox_members_by_user ON inbox_members (user_id);

-- Away agents get no round-robin tickets.
ALTER TABLE users ADD COLUMN away BOOLEAN NOT NULL DEFAULT 0;

INSERT INTO inboxes (number, name, created_at, updated_at)
    SELECT number, '', first_texted_at, first_texted_at FROM texted_numbers;
INSERT INTO inboxes (number, name, created_at, updated_at)
    SELECT channel_number, '', min(created_at), min(created_at) FROM tickets
    WHERE channel_number NOT IN (SELECT number FROM inboxes)
    GROUP BY channel_number;
