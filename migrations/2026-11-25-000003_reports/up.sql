-- Statistics reports: a buyer's purchase is one statistics job over a
-- snapshot of the campaign's accepted contributions, split into shards that
-- workers lease (FOR UPDATE SKIP LOCKED, with a lease expiry), then reduced
-- to one aggregate that the keyholder releases.

CREATE TABLE jobs (
    id                    BIGSERIAL PRIMARY KEY,
    campaign_id           BIGINT NOT NULL REFERENCES campaigns (id),
    buyer_id              BIGINT NOT NULL REFERENCES users (id),
    -- The statistics computed and the overflow bound of the plan (the
    -- campaign's most contributions); every worker rebuilds the plan from
    -- the campaign's schema and these.
    statistics            JSONB NOT NULL,
    max_records           BIGINT NOT NULL CHECK (max_records > 0),
    -- Snapshot: the campaign's contributions with id <= this.
    last_contribution_id  BIGINT NOT NULL,
    contributions         BIGINT NOT NULL CHECK (contributions > 0),
    -- Privacy budget this release spends, in millionths of ε.
    epsilon_micro         BIGINT NOT NULL CHECK (epsilon_micro > 0),
    price                 BIGINT NOT NULL CHECK (price >= 0),
    payment_transfer_id   BIGINT REFERENCES transfers (id),
    refund_transfer_id    BIGINT REFERENCES transfers (id),
    status                TEXT NOT NULL CHECK (status IN
                            ('computing', 'reducing', 'aggregated', 'releasing', 'released', 'refused', 'failed')),
    shards_total          INTEGER NOT NULL CHECK (shards_total > 0),
    -- Lease of the reduce step (workers) or of the release (server).
    lease_owner           TEXT,
    lease_expires_at      TIMESTAMPTZ,
    aggregate             BYTEA,
    result                JSONB,
    error_code            TEXT,
    error_message         TEXT,
    created_at            TIMESTAMPTZ NOT NULL DEFAULT now(),
    aggregated_at         TIMESTAMPTZ,
    finished_at           TIMESTAMPTZ,
    CHECK ((status = 'released') = (result IS NOT NULL))
);
CREATE INDEX jobs_campaign ON jobs (campaign_id, id);
CREATE INDEX jobs_buyer ON jobs (buyer_id, id);
CREATE INDEX jobs_status ON jobs (status);

-- One shard: a contiguous range of the snapshot's contributions. A shard has
-- one partial slot, written only by its current lease holder, so a partial is
-- never counted twice.
CREATE TABLE job_shards (
    id                     BIGSERIAL PRIMARY KEY,
    job_id                 BIGINT NOT NULL REFERENCES jobs (id),
    shard_index            INTEGER NOT NULL CHECK (shard_index >= 0),
    first_contribution_id  BIGINT NOT NULL,
    last_contribution_id   BIGINT NOT NULL,
    records                INTEGER NOT NULL CHECK (records > 0),
    status                 TEXT NOT NULL CHECK (status IN ('pending', 'leased', 'done')),
    lease_owner            TEXT,
    lease_expires_at       TIMESTAMPTZ,
    attempts               INTEGER NOT NULL DEFAULT 0,
    partial                BYTEA,
    computed_by            TEXT,
    compute_secs           DOUBLE PRECISION,
    leased_at              TIMESTAMPTZ,
    done_at                TIMESTAMPTZ,
    UNIQUE (job_id, shard_index),
    CHECK (first_contribution_id <= last_contribution_id),
    CHECK ((status = 'done') = (partial IS NOT NULL))
);
CREATE INDEX job_shards_lease ON job_shards (status, job_id, shard_index);
