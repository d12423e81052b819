-- A suspended campaign resumes to the state it was suspended from (an
-- approved campaign its buyer has not opened stays unopened). Campaigns
-- suspended before this column existed resume to open, as they did.
ALTER TABLE campaigns ADD COLUMN suspended_from TEXT
    CHECK (suspended_from IN ('open', 'approved'));
UPDATE campaigns SET suspended_from = 'open' WHERE status = 'suspended';
