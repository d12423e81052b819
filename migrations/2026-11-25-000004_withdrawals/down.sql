DROP TABLE withdrawals;
DELETE FROM accounts WHERE kind = 'withdrawals';
DROP INDEX accounts_one_mint;
CREATE UNIQUE INDEX accounts_one_mint ON accounts (kind) WHERE kind IN ('mint', 'platform');
ALTER TABLE accounts DROP CONSTRAINT accounts_kind_check;
ALTER TABLE accounts ADD CONSTRAINT accounts_kind_check
    CHECK (kind IN ('mint', 'platform', 'wallet', 'escrow'));
