DROP INDEX tickets_by_assignee;
CREATE INDEX tickets_by_assignee_activity ON tickets (assignee_id, updated_at DESC, id DESC);
CREATE INDEX messages_by_ticket_change ON messages (ticket_id, updated_at);
