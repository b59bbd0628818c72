-- The tab counts of an agent outside some inbox count tickets with `channel_number NOT IN (…)` (inboxes/). With
-- the number in these indexes the counts read the index alone; without it they fetched every unclosed ticket's
-- row at every count (15,000 at a time in the polling benchmark). A customer's text changes none of these
-- columns, so SQLite's writer leaves them alone.
DROP INDEX tickets_by_assignee;
CREATE INDEX tickets_by_assignee ON tickets (assignee_id, status, channel_number);
CREATE INDEX tickets_by_status_channel ON tickets (status, channel_number);
