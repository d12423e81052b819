ALTER TABLE campaigns DROP COLUMN suspended_from;
