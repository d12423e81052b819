-- Refused submissions as counters per campaign, reason and hour (an upsert
-- each), so anonymous traffic cannot grow the table without bound;
-- refusals for unknown campaigns are not recorded.
CREATE TABLE rejection_counts (
    campaign_id  BIGINT NOT NULL REFERENCES campaigns (id),
    reason       TEXT NOT NULL,
    hour         TIMESTAMPTZ NOT NULL,
    count        BIGINT NOT NULL CHECK (count > 0),
    PRIMARY KEY (campaign_id, reason, hour)
);
INSERT INTO rejection_counts (campaign_id, reason, hour, count)
SELECT campaign_id, reason, date_trunc('hour', created_at), count(*)
  FROM rejections
 WHERE campaign_id IS NOT NULL
 GROUP BY campaign_id, reason, date_trunc('hour', created_at);
DROP TABLE rejections;
