-- Login throttling as one counter row per client address and per account
-- (updated under a row lock: the check and the count are one step), in
-- place of a row per failure.
--   address: failures within the window; past the free ones, each failure
--            doubles the wait (blocked_until) before the next attempt.
--   account: failures from any address within a day; past the (high)
--            threshold the account is locked until an admin unlocks it.
--            Keyed by the e-mail as typed (lowercased), so an address with
--            no account behaves exactly like one with an account.
DROP TABLE login_failures;
CREATE TABLE login_throttle (
    scope TEXT NOT NULL CHECK (scope IN ('address', 'account')),
    key TEXT NOT NULL,
    failures INTEGER NOT NULL DEFAULT 0 CHECK (failures >= 0),
    window_start TIMESTAMPTZ NOT NULL DEFAULT now(),
    blocked_until TIMESTAMPTZ,
    locked_at TIMESTAMPTZ,
    PRIMARY KEY (scope, key)
);

-- Things an account's owner is told out of band (a registration attempt
-- with their e-mail: the API answers it exactly like a new registration).
CREATE TABLE account_notices (
    id BIGSERIAL PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id),
    kind TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX account_notices_user ON account_notices (user_id, created_at);
