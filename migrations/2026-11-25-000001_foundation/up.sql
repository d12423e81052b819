-- Foundation: users, sessions, login throttling, token ledger, campaigns,
-- idempotency keys and the admin audit log.

CREATE TABLE users (
    id             BIGSERIAL PRIMARY KEY,
    email          TEXT NOT NULL UNIQUE CHECK (email = lower(email) AND length(email) BETWEEN 3 AND 254),
    password_hash  TEXT NOT NULL,
    role           TEXT NOT NULL CHECK (role IN ('contributor', 'buyer', 'admin')),
    suspended_at   TIMESTAMPTZ,
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Opaque bearer tokens; only their SHA-256 is stored.
CREATE TABLE sessions (
    id          BIGSERIAL PRIMARY KEY,
    user_id     BIGINT NOT NULL REFERENCES users (id),
    token_hash  TEXT NOT NULL UNIQUE,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at  TIMESTAMPTZ NOT NULL,
    revoked_at  TIMESTAMPTZ
);
CREATE INDEX sessions_user ON sessions (user_id);

-- One row per failed login, by account (normalised email) and by client IP.
CREATE TABLE login_failures (
    id          BIGSERIAL PRIMARY KEY,
    scope       TEXT NOT NULL CHECK (scope IN ('account', 'ip')),
    key         TEXT NOT NULL,
    failed_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX login_failures_lookup ON login_failures (scope, key, failed_at);

CREATE TABLE campaigns (
    id                BIGSERIAL PRIMARY KEY,
    buyer_id          BIGINT NOT NULL REFERENCES users (id),
    title             TEXT NOT NULL,
    description       TEXT NOT NULL,
    schema            JSONB NOT NULL,
    schema_version    INTEGER NOT NULL DEFAULT 1,
    statistics        JSONB NOT NULL,
    reward            BIGINT NOT NULL CHECK (reward > 0),
    budget            BIGINT NOT NULL CHECK (budget >= reward),
    min_contributors  INTEGER NOT NULL CHECK (min_contributors >= 10),
    epsilon           DOUBLE PRECISION NOT NULL CHECK (epsilon > 0),
    status            TEXT NOT NULL CHECK (status IN ('draft', 'pending_review', 'approved', 'rejected', 'open', 'closed')),
    review_reason     TEXT,
    reviewed_by       BIGINT REFERENCES users (id),
    created_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at        TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX campaigns_buyer ON campaigns (buyer_id);
CREATE INDEX campaigns_status ON campaigns (status);

-- Ledger accounts. Balances are a cache of the transfers, updated in the same
-- transaction; only the mint may go below zero.
CREATE TABLE accounts (
    id           BIGSERIAL PRIMARY KEY,
    kind         TEXT NOT NULL CHECK (kind IN ('mint', 'platform', 'wallet', 'escrow')),
    user_id      BIGINT REFERENCES users (id),
    campaign_id  BIGINT REFERENCES campaigns (id),
    balance      BIGINT NOT NULL DEFAULT 0,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK (kind = 'mint' OR balance >= 0),
    CHECK ((kind = 'wallet') = (user_id IS NOT NULL)),
    CHECK ((kind = 'escrow') = (campaign_id IS NOT NULL))
);
CREATE UNIQUE INDEX accounts_one_mint ON accounts (kind) WHERE kind IN ('mint', 'platform');
CREATE UNIQUE INDEX accounts_one_wallet ON accounts (user_id) WHERE kind = 'wallet';
CREATE UNIQUE INDEX accounts_one_escrow ON accounts (campaign_id) WHERE kind = 'escrow';

INSERT INTO accounts (kind) VALUES ('mint'), ('platform');

-- Append-only record of every movement.
CREATE TABLE transfers (
    id               BIGSERIAL PRIMARY KEY,
    from_account_id  BIGINT NOT NULL REFERENCES accounts (id),
    to_account_id    BIGINT NOT NULL REFERENCES accounts (id),
    amount           BIGINT NOT NULL CHECK (amount > 0),
    kind             TEXT NOT NULL,
    memo             TEXT NOT NULL DEFAULT '',
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK (from_account_id <> to_account_id)
);
CREATE INDEX transfers_from ON transfers (from_account_id, id);
CREATE INDEX transfers_to ON transfers (to_account_id, id);

CREATE FUNCTION transfers_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'transfers are append-only';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER transfers_no_update BEFORE UPDATE OR DELETE ON transfers
    FOR EACH ROW EXECUTE FUNCTION transfers_append_only();

-- Idempotency keys of state-changing payment requests, per user.
CREATE TABLE idempotency_keys (
    user_id          BIGINT NOT NULL REFERENCES users (id),
    key              TEXT NOT NULL,
    request_hash     TEXT NOT NULL,
    response_status  SMALLINT NOT NULL,
    response_body    JSONB NOT NULL,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, key)
);

-- Every admin action.
CREATE TABLE audit_log (
    id          BIGSERIAL PRIMARY KEY,
    actor_id    BIGINT REFERENCES users (id),
    action      TEXT NOT NULL,
    subject     TEXT NOT NULL,
    detail      JSONB NOT NULL DEFAULT '{}',
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
