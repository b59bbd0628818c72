DROP INDEX tickets_by_status_channel;
DROP INDEX tickets_by_assignee;
CREATE INDEX tickets_by_assignee ON tickets (assignee_id, status);
