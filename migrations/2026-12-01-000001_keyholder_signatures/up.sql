-- The keyholders' Ed25519 signatures over each campaign's material, and the
-- release terms they signed (clients check both before encrypting).
ALTER TABLE campaign_keys
    ADD COLUMN signed_terms JSONB,
    ADD COLUMN signatures JSONB NOT NULL DEFAULT '[]'::jsonb;
