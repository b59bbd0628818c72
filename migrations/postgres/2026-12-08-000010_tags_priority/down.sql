DROP INDEX tickets_by_status_priority;
DROP INDEX tickets_by_status_waiting;
ALTER TABLE tickets DROP COLUMN waiting_since;
ALTER TABLE tickets DROP COLUMN priority;
DROP TABLE ticket_tags;
DROP TABLE tags;
