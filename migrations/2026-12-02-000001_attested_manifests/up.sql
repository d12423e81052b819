-- Keyholders verify every contribution's attestation before a release: the
-- proof is kept with the contribution; the attestation keys come from the
-- keyholders (the dealer made them), no longer from this database; a
-- registry root may be used once every keyholder computed it from the
-- pushed leaves (announced_at).
ALTER TABLE contributions ADD COLUMN attestation_proof BYTEA;
ALTER TABLE registry_roots ADD COLUMN announced_at TIMESTAMPTZ;
CREATE INDEX registry_roots_unannounced ON registry_roots (leaf_count) WHERE announced_at IS NULL;
DROP TABLE attestation_keys;
