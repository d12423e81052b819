UPDATE campaigns SET status = 'closed' WHERE status = 'suspended';
ALTER TABLE campaigns DROP CONSTRAINT campaigns_status_check;
ALTER TABLE campaigns ADD CONSTRAINT campaigns_status_check CHECK (status IN
    ('draft', 'pending_review', 'approved', 'rejected', 'open', 'closed'));
