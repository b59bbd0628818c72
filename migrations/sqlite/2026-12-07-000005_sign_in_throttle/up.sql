-- Failed sign-ins were counted per e-mail address, so anyone could lock a user out by guessing wrong five
-- times. They are now counted per (address, client) and per client; see accounts/throttle.rs. A key is the
-- hex SHA-256 of what it counts, so no e-mail address or client address is kept here.
DROP TABLE sign_in_failures;
CREATE TABLE sign_in_throttle (
    key             TEXT      PRIMARY KEY,
    failures        INTEGER   NOT NULL,
    last_failure_at TEXT      NOT NULL
);
-- Old counts are forgotten in batches, oldest first.
CREATE INDEX sign_in_throttle_by_age ON sign_in_throttle (last_failure_at);
