ALTER TABLE jobs DROP COLUMN reduce_attempts;
