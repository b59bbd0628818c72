DROP TABLE delivery_events;
DROP TABLE opt_outs;
DROP TABLE outbox;
DROP TABLE messages;
DROP TABLE tickets;
DROP TABLE api_tokens;
DROP TABLE users;
