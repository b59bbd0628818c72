-- All timestamps are UTC (timestamp without time zone, written and read as UTC by the application).

CREATE TABLE users (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email         TEXT      NOT NULL UNIQUE,
    name          TEXT      NOT NULL,
    role          TEXT      NOT NULL CHECK (role IN ('admin', 'agent')),
    password_hash TEXT,
    active        BOOLEAN   NOT NULL DEFAULT TRUE,
    created_at    TIMESTAMP NOT NULL
);

CREATE TABLE api_tokens (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id      BIGINT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         TEXT      NOT NULL,
    -- hex SHA-256 of the token: tokens are 256 random bits, so a fast hash is enough and lookups stay indexed.
    token_hash   TEXT      NOT NULL UNIQUE,
    created_at   TIMESTAMP NOT NULL,
    last_used_at TIMESTAMP
);

CREATE TABLE tickets (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    customer_number TEXT      NOT NULL,
    channel_number  TEXT      NOT NULL,
    status          TEXT      NOT NULL CHECK (status IN ('open', 'pending', 'closed')),
    created_at      TIMESTAMP NOT NULL,
    updated_at      TIMESTAMP NOT NULL,
    closed_at       TIMESTAMP
);
-- The rule everything else leans on: at most one unclosed ticket per (customer, our number).
CREATE UNIQUE INDEX tickets_one_unclosed_per_pair ON tickets (customer_number, channel_number) WHERE status <> 'closed';
CREATE INDEX tickets_by_activity ON tickets (updated_at DESC, id DESC);
CREATE INDEX tickets_by_status_activity ON tickets (status, updated_at DESC, id DESC);
-- No updated_at in this one: a customer has few tickets, and a key that moves on every text costs writes.
CREATE INDEX tickets_by_customer ON tickets (customer_number, channel_number);

CREATE TABLE messages (
    id                  BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ticket_id           BIGINT    NOT NULL REFERENCES tickets (id),
    direction           TEXT      NOT NULL CHECK (direction IN ('inbound', 'outbound')),
    internal            BOOLEAN   NOT NULL,
    body                TEXT      NOT NULL,
    author_id           BIGINT REFERENCES users (id),
    -- 'twilio' | 'messagebird' | 'console': whose id provider_message_id is.
    provider            TEXT,
    provider_message_id TEXT,
    delivery_status     TEXT CHECK (delivery_status IN ('queued', 'sending', 'sent', 'delivered', 'undelivered', 'failed')),
    error_code          TEXT,
    error_message       TEXT,
    media_urls          TEXT,
    created_at          TIMESTAMP NOT NULL,
    updated_at          TIMESTAMP NOT NULL,
    CHECK (NOT (internal AND direction = 'inbound'))
);
-- A gateway message id is stored once: a retried webhook cannot add a second row.
CREATE UNIQUE INDEX messages_one_per_provider_id ON messages (provider, provider_message_id);
CREATE INDEX messages_by_ticket ON messages (ticket_id, id);

-- Outgoing messages waiting for (another) delivery attempt. A row is claimed by pushing next_attempt_at
-- past the send timeout (a lease), and deleted once the gateway has answered for good.
CREATE TABLE outbox (
    message_id      BIGINT    PRIMARY KEY REFERENCES messages (id),
    attempts        INTEGER   NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    last_error      TEXT
);
CREATE INDEX outbox_due ON outbox (next_attempt_at);

-- Opt-outs are per (customer, our number), as carriers enforce them.
CREATE TABLE opt_outs (
    customer_number TEXT      NOT NULL,
    channel_number  TEXT      NOT NULL,
    created_at      TIMESTAMP NOT NULL,
    PRIMARY KEY (customer_number, channel_number)
);

-- Every delivery report we accepted, kept so a report that beats our own record of the send is not lost.
CREATE TABLE delivery_events (
    id                  BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    provider            TEXT      NOT NULL,
    provider_message_id TEXT      NOT NULL,
    status              TEXT      NOT NULL,
    error_code          TEXT,
    received_at         TIMESTAMP NOT NULL
);
CREATE INDEX delivery_events_by_message ON delivery_events (provider, provider_message_id);
