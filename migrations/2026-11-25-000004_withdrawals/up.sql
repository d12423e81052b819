-- Withdrawals of earned tokens to an external address, pending admin
-- approval. A request moves the amount from the user's wallet into the
-- single `withdrawals` holding account; approval pays it out (holding → mint:
-- the tokens leave the platform), rejection returns it to the wallet.

ALTER TABLE accounts DROP CONSTRAINT accounts_kind_check;
ALTER TABLE accounts ADD CONSTRAINT accounts_kind_check
    CHECK (kind IN ('mint', 'platform', 'wallet', 'escrow', 'withdrawals'));
DROP INDEX accounts_one_mint;
CREATE UNIQUE INDEX accounts_one_mint ON accounts (kind) WHERE kind IN ('mint', 'platform', 'withdrawals');
INSERT INTO accounts (kind) VALUES ('withdrawals');

CREATE TABLE withdrawals (
    id                  BIGSERIAL PRIMARY KEY,
    user_id             BIGINT NOT NULL REFERENCES users (id),
    amount              BIGINT NOT NULL CHECK (amount > 0),
    address             TEXT NOT NULL CHECK (length(address) BETWEEN 1 AND 200),
    status              TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected')),
    hold_transfer_id    BIGINT NOT NULL UNIQUE REFERENCES transfers (id),
    settle_transfer_id  BIGINT UNIQUE REFERENCES transfers (id),
    reason              TEXT,
    decided_by          BIGINT REFERENCES users (id),
    created_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    decided_at          TIMESTAMPTZ,
    CHECK ((status = 'pending') = (settle_transfer_id IS NULL))
);
CREATE INDEX withdrawals_user ON withdrawals (user_id, id);
CREATE INDEX withdrawals_status ON withdrawals (status, id);
