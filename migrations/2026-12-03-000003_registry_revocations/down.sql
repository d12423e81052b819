DROP INDEX registry_roots_revocations;
ALTER TABLE registry_roots DROP CONSTRAINT registry_roots_revocation;
ALTER TABLE registry_roots DROP COLUMN revoked;
ALTER TABLE registry_roots DROP COLUMN revocation_of;
ALTER TABLE identities DROP COLUMN revoked_at;
