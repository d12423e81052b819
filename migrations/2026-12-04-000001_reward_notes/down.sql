ALTER TABLE contributions DROP CONSTRAINT contributions_one_payee;
ALTER TABLE contributions DROP COLUMN note_index;
ALTER TABLE contributions DROP COLUMN note_key;
DELETE FROM contributions WHERE payout_account_id IS NULL;
ALTER TABLE contributions ALTER COLUMN payout_account_id SET NOT NULL;
DROP TABLE note_nullifiers;
DROP TABLE claims;
DROP TABLE notes_roots;
DROP TABLE notes;
DELETE FROM accounts WHERE kind = 'unclaimed';
DROP INDEX accounts_one_mint;
CREATE UNIQUE INDEX accounts_one_mint ON accounts (kind) WHERE kind IN ('mint', 'platform', 'withdrawals');
ALTER TABLE accounts DROP CONSTRAINT accounts_kind_check;
ALTER TABLE accounts ADD CONSTRAINT accounts_kind_check
    CHECK (kind IN ('mint', 'platform', 'wallet', 'escrow', 'withdrawals'));
