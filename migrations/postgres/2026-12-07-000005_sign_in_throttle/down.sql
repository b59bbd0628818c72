DROP TABLE sign_in_throttle;
CREATE TABLE sign_in_failures (
    email           TEXT      PRIMARY KEY,
    failures        INTEGER   NOT NULL,
    last_failure_at TIMESTAMP NOT NULL
);
