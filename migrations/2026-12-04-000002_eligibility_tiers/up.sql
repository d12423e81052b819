-- Eligibility tiers (issue 14): every registered identity has an `open`
-- leaf in the contributor registry; an account an admin verified also has
-- a `verified` leaf for the same commitment. A leaf's value in the tree is
-- H_leaf(commitment, tier) (the server computes it; the attestation
-- circuit proves membership through a leaf of the tier the campaign names).
-- Leaves stay dense and append-only, both tiers in the one tree.
ALTER TABLE identities ADD COLUMN tier TEXT NOT NULL DEFAULT 'open'
    CHECK (tier IN ('open', 'verified'));
ALTER TABLE identities DROP CONSTRAINT identities_user_id_key;
ALTER TABLE identities DROP CONSTRAINT identities_commitment_key;
CREATE UNIQUE INDEX identities_user_tier ON identities (user_id, tier);
CREATE UNIQUE INDEX identities_commitment_tier ON identities (commitment, tier);

-- When (and that) an admin verified the account; the reason is in the audit log.
ALTER TABLE users ADD COLUMN verified_at TIMESTAMPTZ;

-- Which tier a campaign admits.
ALTER TABLE campaigns ADD COLUMN eligibility TEXT NOT NULL DEFAULT 'open'
    CHECK (eligibility IN ('open', 'verified'));
