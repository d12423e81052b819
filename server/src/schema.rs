//! Diesel table definitions, matching `migrations/`.
#![allow(missing_docs)]

diesel::table! {
    users (id) {
        id -> Int8,
        email -> Text,
        password_hash -> Text,
        role -> Text,
        suspended_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        verified_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    sessions (id) {
        id -> Int8,
        user_id -> Int8,
        token_hash -> Text,
        created_at -> Timestamptz,
        expires_at -> Timestamptz,
        revoked_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    login_throttle (scope, key) {
        scope -> Text,
        key -> Text,
        failures -> Int4,
        window_start -> Timestamptz,
        blocked_until -> Nullable<Timestamptz>,
        locked_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    account_notices (id) {
        id -> Int8,
        user_id -> Int8,
        kind -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    campaigns (id) {
        id -> Int8,
        buyer_id -> Int8,
        title -> Text,
        description -> Text,
        schema -> Jsonb,
        schema_version -> Int4,
        statistics -> Jsonb,
        reward -> Int8,
        budget -> Int8,
        min_contributors -> Int4,
        epsilon -> Float8,
        status -> Text,
        review_reason -> Nullable<Text>,
        reviewed_by -> Nullable<Int8>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        suspended_from -> Nullable<Text>,
        accepted -> Int8,
        eligibility -> Text,
        delta -> Float8,
    }
}

diesel::table! {
    accounts (id) {
        id -> Int8,
        kind -> Text,
        user_id -> Nullable<Int8>,
        campaign_id -> Nullable<Int8>,
        balance -> Int8,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    transfers (id) {
        id -> Int8,
        from_account_id -> Int8,
        to_account_id -> Int8,
        amount -> Int8,
        kind -> Text,
        memo -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    idempotency_keys (user_id, key) {
        user_id -> Int8,
        key -> Text,
        request_hash -> Text,
        response_status -> Int2,
        response_body -> Jsonb,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    audit_log (id) {
        id -> Int8,
        actor_id -> Nullable<Int8>,
        action -> Text,
        subject -> Text,
        detail -> Jsonb,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    jobs (id) {
        id -> Int8,
        campaign_id -> Int8,
        buyer_id -> Int8,
        statistics -> Jsonb,
        max_records -> Int8,
        last_contribution_id -> Int8,
        contributions -> Int8,
        epsilon_micro -> Int8,
        price -> Int8,
        payment_transfer_id -> Nullable<Int8>,
        refund_transfer_id -> Nullable<Int8>,
        status -> Text,
        shards_total -> Int4,
        lease_owner -> Nullable<Text>,
        lease_expires_at -> Nullable<Timestamptz>,
        aggregate -> Nullable<Bytea>,
        result -> Nullable<Jsonb>,
        error_code -> Nullable<Text>,
        error_message -> Nullable<Text>,
        created_at -> Timestamptz,
        aggregated_at -> Nullable<Timestamptz>,
        finished_at -> Nullable<Timestamptz>,
        reduce_attempts -> Int4,
        weights -> Jsonb,
        mechanism -> Text,
        delta -> Float8,
        rho -> Float8,
    }
}

diesel::table! {
    job_shards (id) {
        id -> Int8,
        job_id -> Int8,
        shard_index -> Int4,
        first_contribution_id -> Int8,
        last_contribution_id -> Int8,
        records -> Int4,
        status -> Text,
        lease_owner -> Nullable<Text>,
        lease_expires_at -> Nullable<Timestamptz>,
        attempts -> Int4,
        partial -> Nullable<Bytea>,
        computed_by -> Nullable<Text>,
        compute_secs -> Nullable<Float8>,
        leased_at -> Nullable<Timestamptz>,
        done_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    withdrawals (id) {
        id -> Int8,
        user_id -> Int8,
        amount -> Int8,
        address -> Text,
        status -> Text,
        hold_transfer_id -> Int8,
        settle_transfer_id -> Nullable<Int8>,
        reason -> Nullable<Text>,
        decided_by -> Nullable<Int8>,
        created_at -> Timestamptz,
        decided_at -> Nullable<Timestamptz>,
    }
}

diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(account_notices -> users (user_id));
diesel::joinable!(campaigns -> users (buyer_id));
diesel::joinable!(withdrawals -> users (user_id));

diesel::allow_tables_to_appear_in_same_query!(
    users,
    sessions,
    login_throttle,
    account_notices,
    campaigns,
    accounts,
    transfers,
    idempotency_keys,
    audit_log,
    identities,
    registry_roots,
    campaign_keys,
    contributions,
    rejection_counts,
    jobs,
    job_shards,
    withdrawals,
    notes,
    notes_roots,
    claims,
    note_nullifiers,
);

diesel::table! {
    identities (leaf_index) {
        leaf_index -> Int8,
        user_id -> Int8,
        commitment -> Bytea,
        created_at -> Timestamptz,
        revoked_at -> Nullable<Timestamptz>,
        tier -> Text,
    }
}

diesel::table! {
    registry_roots (id) {
        id -> Int8,
        root -> Bytea,
        leaf_count -> Int8,
        created_at -> Timestamptz,
        announced_at -> Nullable<Timestamptz>,
        revocation_of -> Nullable<Int8>,
        revoked -> Nullable<Bool>,
    }
}

diesel::table! {
    campaign_keys (campaign_id) {
        campaign_id -> Int8,
        public_key -> Bytea,
        crs -> Bytea,
        server_key -> Bytea,
        key_fingerprint -> Bytea,
        created_at -> Timestamptz,
        signed_terms -> Nullable<Jsonb>,
        signatures -> Jsonb,
    }
}

diesel::table! {
    contributions (id) {
        id -> Int8,
        campaign_id -> Int8,
        ciphertext -> Bytea,
        digest -> Bytea,
        nullifier -> Bytea,
        registry_root -> Bytea,
        payout_account_id -> Nullable<Int8>,
        transfer_id -> Int8,
        created_at -> Timestamptz,
        attestation_proof -> Nullable<Bytea>,
        note_key -> Nullable<Bytea>,
        note_index -> Nullable<Int8>,
    }
}

diesel::table! {
    notes (leaf_index) {
        leaf_index -> Int8,
        commitment -> Bytea,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    notes_roots (leaf_count) {
        leaf_count -> Int8,
        root -> Bytea,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    claims (id) {
        id -> Int8,
        destination_account_id -> Int8,
        amount -> Int8,
        root -> Bytea,
        transfer_id -> Int8,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    note_nullifiers (nullifier) {
        nullifier -> Bytea,
        claim_id -> Int8,
    }
}

diesel::table! {
    rejection_counts (campaign_id, reason, hour) {
        campaign_id -> Int8,
        reason -> Text,
        hour -> Timestamptz,
        count -> Int8,
    }
}
