-- Contributions: the contributor registry, Groth16 keys, campaign key
-- material from the keyholder, and accepted contributions with nullifiers.

-- Identity commitments (Poseidon(secret)), one per contributor account, as
-- leaves of the registry Merkle tree in insertion order.
CREATE TABLE identities (
    leaf_index  BIGINT PRIMARY KEY CHECK (leaf_index >= 0),
    user_id     BIGINT NOT NULL UNIQUE REFERENCES users (id),
    commitment  BYTEA NOT NULL UNIQUE CHECK (length(commitment) = 32),
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Every registry root, newest last; proofs may use any of the recent ones.
CREATE TABLE registry_roots (
    id          BIGSERIAL PRIMARY KEY,
    root        BYTEA NOT NULL CHECK (length(root) = 32),
    leaf_count  BIGINT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX registry_roots_root ON registry_roots (root);

-- Groth16 keys of the attestation circuit, generated once per circuit version.
CREATE TABLE attestation_keys (
    circuit_version  INTEGER PRIMARY KEY,
    proving_key      BYTEA NOT NULL,
    verifying_key    BYTEA NOT NULL,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- The public key material the keyholder generated for a campaign.
CREATE TABLE campaign_keys (
    campaign_id      BIGINT PRIMARY KEY REFERENCES campaigns (id),
    public_key       BYTEA NOT NULL,
    crs              BYTEA NOT NULL,
    server_key       BYTEA NOT NULL,
    key_fingerprint  BYTEA NOT NULL CHECK (length(key_fingerprint) = 32),
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Accepted contributions: the ciphertext exactly as received, its digest,
-- the nullifier that keeps one person to one contribution per campaign, and
-- the reward transfer.
CREATE TABLE contributions (
    id                 BIGSERIAL PRIMARY KEY,
    campaign_id        BIGINT NOT NULL REFERENCES campaigns (id),
    ciphertext         BYTEA NOT NULL,
    digest             BYTEA NOT NULL CHECK (length(digest) = 32),
    nullifier          BYTEA NOT NULL CHECK (length(nullifier) = 32),
    registry_root      BYTEA NOT NULL,
    payout_account_id  BIGINT NOT NULL REFERENCES accounts (id),
    transfer_id        BIGINT NOT NULL UNIQUE REFERENCES transfers (id),
    created_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (campaign_id, nullifier)
);
CREATE INDEX contributions_campaign ON contributions (campaign_id, id);

-- Refused submissions, by reason, for admins' quality signals (nothing of
-- the submission itself is kept).
CREATE TABLE rejections (
    id           BIGSERIAL PRIMARY KEY,
    campaign_id  BIGINT REFERENCES campaigns (id),
    reason       TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX rejections_campaign ON rejections (campaign_id, reason);
