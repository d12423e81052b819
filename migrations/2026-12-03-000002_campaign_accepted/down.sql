ALTER TABLE campaigns DROP COLUMN accepted;
