DROP TABLE account_notices;
DROP TABLE login_throttle;
CREATE TABLE login_failures (
    id BIGSERIAL PRIMARY KEY,
    scope TEXT NOT NULL,
    key TEXT NOT NULL,
    failed_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX login_failures_lookup ON login_failures (scope, key, failed_at);
