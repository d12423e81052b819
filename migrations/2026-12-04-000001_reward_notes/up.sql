-- Reward notes (issue 14): an accepted contribution no longer pays the
-- contributor's wallet. Its attestation binds a note key; the reward moves
-- from the campaign's escrow into the single `unclaimed` account and the
-- note commitment H(note_key, reward) becomes a leaf of the notes tree.
-- A claim later proves (Groth16) that it knows up to four notes of the
-- tree, reveals their nullifiers (each spendable once) and moves their
-- total from `unclaimed` to a wallet. Nothing here names who contributed.

ALTER TABLE accounts DROP CONSTRAINT accounts_kind_check;
ALTER TABLE accounts ADD CONSTRAINT accounts_kind_check
    CHECK (kind IN ('mint', 'platform', 'wallet', 'escrow', 'withdrawals', 'unclaimed'));
DROP INDEX accounts_one_mint;
CREATE UNIQUE INDEX accounts_one_mint ON accounts (kind)
    WHERE kind IN ('mint', 'platform', 'withdrawals', 'unclaimed');
INSERT INTO accounts (kind) VALUES ('unclaimed');

-- The notes tree's leaves: dense indices, appended under an advisory lock
-- by the accepting transaction.
CREATE TABLE notes (
    leaf_index  BIGINT PRIMARY KEY CHECK (leaf_index >= 0),
    commitment  BYTEA NOT NULL UNIQUE CHECK (length(commitment) = 32),
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Roots of the notes tree over its first `leaf_count` leaves, recorded by
-- whichever server process first computed them (deterministic, so several
-- processes agree). Claims prove under a recent one.
CREATE TABLE notes_roots (
    leaf_count  BIGINT PRIMARY KEY CHECK (leaf_count > 0),
    root        BYTEA NOT NULL CHECK (length(root) = 32),
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX notes_roots_root ON notes_roots (root);

CREATE TABLE claims (
    id                      BIGSERIAL PRIMARY KEY,
    destination_account_id  BIGINT NOT NULL REFERENCES accounts (id),
    amount                  BIGINT NOT NULL CHECK (amount > 0),
    root                    BYTEA NOT NULL CHECK (length(root) = 32),
    transfer_id             BIGINT NOT NULL UNIQUE REFERENCES transfers (id),
    created_at              TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Every nullifier a claim revealed (padding slots included): a note is
-- spent once.
CREATE TABLE note_nullifiers (
    nullifier  BYTEA PRIMARY KEY CHECK (length(nullifier) = 32),
    claim_id   BIGINT NOT NULL REFERENCES claims (id)
);
CREATE INDEX note_nullifiers_claim ON note_nullifiers (claim_id);

-- A contribution names its note key; rows accepted before reward notes keep
-- the wallet they paid.
ALTER TABLE contributions ALTER COLUMN payout_account_id DROP NOT NULL;
ALTER TABLE contributions ADD COLUMN note_key BYTEA CHECK (length(note_key) = 32);
ALTER TABLE contributions ADD COLUMN note_index BIGINT UNIQUE REFERENCES notes (leaf_index);
ALTER TABLE contributions ADD CONSTRAINT contributions_one_payee
    CHECK ((payout_account_id IS NULL) = (note_key IS NOT NULL)
       AND (note_key IS NULL) = (note_index IS NULL));
