CREATE TABLE attestation_keys (
    circuit_version  INTEGER PRIMARY KEY,
    proving_key      BYTEA NOT NULL,
    verifying_key    BYTEA NOT NULL,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now()
);
DROP INDEX registry_roots_unannounced;
ALTER TABLE registry_roots DROP COLUMN announced_at;
ALTER TABLE contributions DROP COLUMN attestation_proof;
