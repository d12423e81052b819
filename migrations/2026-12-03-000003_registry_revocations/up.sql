-- A suspended account's identity leaf is revoked: the registry tree holds
-- the empty leaf in its place (indices stay dense) and a new root is
-- recorded for the change, pushed to the keyholders like an appended leaf.
-- Roots recorded before the latest revocation are no longer usable for new
-- contributions. Lifting the suspension restores the leaf.
ALTER TABLE identities ADD COLUMN revoked_at TIMESTAMPTZ;
-- NULL: the root after appending leaf leaf_count - 1; otherwise the leaf
-- this root revoked (revoked = true) or restored (revoked = false).
ALTER TABLE registry_roots ADD COLUMN revocation_of BIGINT;
ALTER TABLE registry_roots ADD COLUMN revoked BOOLEAN;
ALTER TABLE registry_roots ADD CONSTRAINT registry_roots_revocation
    CHECK ((revocation_of IS NULL) = (revoked IS NULL));
CREATE INDEX registry_roots_revocations ON registry_roots (id) WHERE revocation_of IS NOT NULL;
