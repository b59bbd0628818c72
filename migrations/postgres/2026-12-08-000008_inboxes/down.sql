DROP TABLE inbox_members;
DROP TABLE inboxes;
ALTER TABLE users DROP COLUMN away;
