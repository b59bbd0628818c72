DROP TABLE user_preferences;
ALTER TABLE tickets DROP COLUMN failed_delivery_at;
DROP TABLE ticket_events;
