-- Accepted contributions per campaign as a column, maintained by the
-- accepting transaction (under the campaign's row lock), so neither a
-- submission nor a campaign listing counts the contributions table.
ALTER TABLE campaigns ADD COLUMN accepted BIGINT NOT NULL DEFAULT 0 CHECK (accepted >= 0);
UPDATE campaigns c SET accepted = (SELECT count(*) FROM contributions WHERE campaign_id = c.id);
