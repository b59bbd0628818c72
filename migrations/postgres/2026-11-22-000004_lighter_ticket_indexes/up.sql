-- Every customer text rewrites the entries of each index whose columns it changes. updated_at changes on every
-- message, so each index containing it costs a delete and an insert per text, on SQLite's single writer.
-- A thread's change stamp and cursor scan the ticket's few hundred messages by (ticket_id, id) instead.
DROP INDEX messages_by_ticket_change;
-- Assignee lists find the agent's unclosed tickets by (assignee_id, status) and sort them; a new message
-- changes neither column.
DROP INDEX tickets_by_assignee_activity;
CREATE INDEX tickets_by_assignee ON tickets (assignee_id, status);
