ALTER TABLE campaign_keys
    DROP COLUMN signatures,
    DROP COLUMN signed_terms;
