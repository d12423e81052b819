ALTER TABLE campaigns DROP COLUMN eligibility;
ALTER TABLE users DROP COLUMN verified_at;
DROP INDEX identities_commitment_tier;
DROP INDEX identities_user_tier;
DELETE FROM identities WHERE tier = 'verified';
ALTER TABLE identities ADD CONSTRAINT identities_commitment_key UNIQUE (commitment);
ALTER TABLE identities ADD CONSTRAINT identities_user_id_key UNIQUE (user_id);
ALTER TABLE identities DROP COLUMN tier;
