CREATE TABLE rejections (
    id           BIGSERIAL PRIMARY KEY,
    campaign_id  BIGINT REFERENCES campaigns (id),
    reason       TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX rejections_campaign ON rejections (campaign_id, reason);
INSERT INTO rejections (campaign_id, reason, created_at)
SELECT campaign_id, reason, hour FROM rejection_counts, generate_series(1, count);
DROP TABLE rejection_counts;
