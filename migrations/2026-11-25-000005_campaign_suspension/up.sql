-- An admin may suspend an open or approved campaign (no contributions are
-- accepted while suspended) and resume it.
ALTER TABLE campaigns DROP CONSTRAINT campaigns_status_check;
ALTER TABLE campaigns ADD CONSTRAINT campaigns_status_check CHECK (status IN
    ('draft', 'pending_review', 'approved', 'rejected', 'open', 'closed', 'suspended'));
