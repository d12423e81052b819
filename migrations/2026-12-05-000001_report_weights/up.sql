-- Budget weights of a report (issue 17, item 3): how its ε is split over
-- the released values, by kind (`{"sum": 4}`; `{}` is the even split).
ALTER TABLE jobs ADD COLUMN weights JSONB NOT NULL DEFAULT '{}'::jsonb;
