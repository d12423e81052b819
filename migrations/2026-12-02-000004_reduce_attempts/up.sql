-- How many times a job's reduce step was leased: past the workers' cap the
-- job fails (the buyer refunded once) instead of being re-leased for ever.
ALTER TABLE jobs ADD COLUMN reduce_attempts INTEGER NOT NULL DEFAULT 0;
