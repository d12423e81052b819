//! The keyholder: authenticated, idempotent key generation, no way to get
//! a client key out.

use cipherpool_tests::*;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn keyholder_authenticates_and_never_hands_out_client_keys() {
    let kh = spawn_keyholder().await;
    let http = reqwest::Client::new();
    let schema = json!({"fields": [{"type": "numeric", "name": "a", "bits": 8}]});
    let terms = json!({"statistics": ["count", "sum"], "min_contributors": 10,
                       "epsilon_micro": 1_000_000, "max_contributions": 100});

    let r = http
        .post(format!("{kh}/campaigns/1/keys"))
        .json(&json!({"schema": schema, "terms": terms}))
        .send()
        .await
        .unwrap();
    assert_error(r, StatusCode::UNAUTHORIZED, "unauthenticated").await;
    let r = http
        .post(format!("{kh}/campaigns/1/keys"))
        .bearer_auth("wrong-token-wrong-token")
        .json(&json!({"schema": schema, "terms": terms}))
        .send()
        .await
        .unwrap();
    assert_error(r, StatusCode::UNAUTHORIZED, "unauthenticated").await;
    // The token is checked before any body is read: a caller without it
    // gets 401 even for a body the endpoint could not parse (no buffering
    // of large bodies for strangers).
    let r = http
        .post(format!("{kh}/campaigns/1/releases/1/noise"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_error(r, StatusCode::UNAUTHORIZED, "unauthenticated").await;
    let r = http
        .post(format!("{kh}/campaigns/1/keys"))
        .bearer_auth(KEYHOLDER_TOKEN)
        .json(&json!({"schema": {"fields": []}, "terms": terms}))
        .send()
        .await
        .unwrap();
    assert_error(r, StatusCode::UNPROCESSABLE_ENTITY, "invalid_schema").await;

    let first: serde_json::Value = http
        .post(format!("{kh}/campaigns/1/keys"))
        .bearer_auth(KEYHOLDER_TOKEN)
        .json(&json!({"schema": schema, "terms": terms}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    // Idempotent: the same keys again.
    let again: serde_json::Value = http
        .post(format!("{kh}/campaigns/1/keys"))
        .bearer_auth(KEYHOLDER_TOKEN)
        .json(&json!({"schema": schema, "terms": terms}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(first["key_fingerprint"], again["key_fingerprint"]);
    // Terms never change: the same campaign under other terms is refused.
    let other_terms = json!({"statistics": ["count", "sum"], "min_contributors": 11,
                             "epsilon_micro": 1_000_000, "max_contributions": 100});
    let r = http
        .post(format!("{kh}/campaigns/1/keys"))
        .bearer_auth(KEYHOLDER_TOKEN)
        .json(&json!({"schema": schema, "terms": other_terms}))
        .send()
        .await
        .unwrap();
    assert_error(r, StatusCode::CONFLICT, "terms_differ").await;
    // Terms outside the platform's limits are refused whatever the server
    // asks (it enforces them too, but is not trusted to): no keys made.
    for (min, eps) in [(9, 1_000_000), (10, 0), (10, 10_000_001)] {
        let bad = json!({"statistics": ["count", "sum"], "min_contributors": min,
                         "epsilon_micro": eps, "max_contributions": 100});
        let r = http
            .post(format!("{kh}/campaigns/3/keys"))
            .bearer_auth(KEYHOLDER_TOKEN)
            .json(&json!({"schema": schema, "terms": bad}))
            .send()
            .await
            .unwrap();
        assert_error(r, StatusCode::UNPROCESSABLE_ENTITY, "invalid_terms").await;
    }
    let r = http
        .get(format!("{kh}/campaigns/3/server-key"))
        .bearer_auth(KEYHOLDER_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let sk = http
        .get(format!("{kh}/campaigns/1/server-key"))
        .bearer_auth(KEYHOLDER_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(sk.status(), StatusCode::OK);
    assert!(sk.bytes().await.unwrap().len() > 1_000_000);
    for path in [
        "/campaigns/1/client-key",
        "/campaigns/1/client_key.sealed",
        "/campaigns/1/decrypt",
        "/kek",
    ] {
        let r = http
            .get(format!("{kh}{path}"))
            .bearer_auth(KEYHOLDER_TOKEN)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{path}");
        let r = http
            .post(format!("{kh}{path}"))
            .bearer_auth(KEYHOLDER_TOKEN)
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{path}");
    }
    // Releases: only for campaigns with keys, only the statistics of the
    // campaign's recorded terms.
    let kh = kh.as_str();
    let release = |campaign: i64, stats: serde_json::Value| async move {
        let request = json!({"statistics": stats, "requested_by": 1, "epsilon_micro": 1,
                             "shards": [], "aggregate": ""});
        ask_keyholder(kh, campaign, 1, &request).await
    };
    assert_error(
        release(2, json!(["sum"])).await,
        StatusCode::NOT_FOUND,
        "no_campaign_keys",
    )
    .await;
    assert_error(
        release(1, json!(["histogram"])).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "statistics_not_in_terms",
    )
    .await;
    assert_error(
        release(1, json!(["sum"])).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "below_min_contributors",
    )
    .await;
    let r = http
        .get(format!("{kh}/campaigns/2/server-key"))
        .bearer_auth(KEYHOLDER_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn approval_without_a_keyholder_changes_nothing() {
    // Nothing listens on port 9 (discard) on loopback.
    approval_fails_cleanly(
        "http://127.0.0.1:9".into(),
        KEYHOLDER_TOKEN,
        "keyholder_unavailable",
    )
    .await;
    // A keyholder that does not accept the server's token: a clear error.
    approval_fails_cleanly(
        spawn_keyholder().await,
        "not-the-keyholders-token-0123456789",
        "keyholder_unauthorized",
    )
    .await;
}

async fn approval_fails_cleanly(keyholder_url: String, token: &str, code: &str) {
    let mut settings = test_settings();
    settings.keyholder_url = keyholder_url;
    settings.keyholder_token = token.into();
    let app = spawn_app_with(settings).await;
    let admin = app.admin().await;
    let buyer = app.user("buyer").await;
    app.mint(&admin, buyer.id, 500).await;
    let id = app.draft_campaign(&buyer, 500).await;
    app.post(
        &format!("/api/campaigns/{id}/submit"),
        Some(&buyer.token),
        &json!(null),
        Some("s"),
    )
    .await;
    assert_error(
        app.post(
            &format!("/api/admin/campaigns/{id}/approve"),
            Some(&admin.token),
            &json!({}),
            None,
        )
        .await,
        StatusCode::BAD_GATEWAY,
        code,
    )
    .await;
    let c = body(
        app.get(&format!("/api/campaigns/{id}"), Some(&buyer.token))
            .await,
    )
    .await;
    assert_eq!(c["status"], "pending_review");
    assert_eq!(c["escrow_balance"], 500);
}

/// Each keyholder serves the attestation keys the dealer made and keeps
/// its own copy of the registry: pushed leaves are appended in order, a
/// repeated push is harmless, and a rewrite, a gap or a non-field element
/// is refused; the root it answers is the Merkle root of what it holds.
#[tokio::test]
async fn the_keyholder_keeps_its_own_registry_and_the_dealt_attestation_keys() {
    use base64::Engine;
    use protocol::attestation::{fr_to_bytes, Fr, MerkleTree};
    use sha2::{Digest, Sha256};
    let kh = spawn_keyholder().await;
    let http = reqwest::Client::new();
    let get = |path: &str| {
        http.get(format!("{kh}{path}"))
            .bearer_auth(KEYHOLDER_TOKEN)
            .send()
    };
    let identity: serde_json::Value = get("/identity").await.unwrap().json().await.unwrap();
    let keys: serde_json::Value = get("/attestation").await.unwrap().json().await.unwrap();
    let b64 = |v: &serde_json::Value| {
        base64::engine::general_purpose::STANDARD
            .decode(v.as_str().unwrap())
            .unwrap()
    };
    let (pk, vk) = dealt_attestation_keys(1);
    assert_eq!(b64(&keys["verifying_key"]), vk);
    assert_eq!(b64(&keys["proving_key"]), pk);
    // It signs the hash of each proving key in the form clients fetch, with
    // the key it names as its identity.
    let trusted = |bytes: &[u8]| {
        hex::encode(Sha256::digest(
            protocol::attestation::ProvingKey::from_bytes(bytes)
                .unwrap()
                .to_trusted_bytes(),
        ))
    };
    assert_eq!(keys["proving_key_sha256"], trusted(&pk));
    let claim_trusted = hex::encode(Sha256::digest(
        protocol::attestation::ClaimProvingKey::from_bytes(&b64(&keys["claim_proving_key"]))
            .unwrap()
            .to_trusted_bytes(),
    ));
    assert_eq!(keys["claim_proving_key_sha256"], claim_trusted);
    assert_eq!(keys["signature"]["key"], identity["signing_key"]);
    let (a, b) = (
        hex::decode(keys["proving_key_sha256"].as_str().unwrap()).unwrap(),
        hex::decode(&claim_trusted).unwrap(),
    );
    let message = protocol::signing::CircuitKeysStatement {
        circuit_version: protocol::attestation::CIRCUIT_VERSION,
        proving_key_sha256: &a.try_into().unwrap(),
        claim_circuit_version: protocol::attestation::CLAIM_CIRCUIT_VERSION,
        claim_proving_key_sha256: &b.try_into().unwrap(),
    }
    .message();
    let signer = protocol::signing::parse_key(identity["signing_key"].as_str().unwrap()).unwrap();
    protocol::signing::verify_one(
        &message,
        keys["signature"]["signature"].as_str().unwrap(),
        &signer,
    )
    .unwrap();
    assert_eq!(
        identity["attestation_key"],
        hex::encode(Sha256::digest(&vk))
    );

    let leaf = |n: u64| hex::encode(fr_to_bytes(&Fr::from(n)));
    let push = |first: u64, leaves: Vec<String>| {
        http.post(format!("{kh}/registry/leaves"))
            .bearer_auth(KEYHOLDER_TOKEN)
            .json(&json!({"first_index": first, "commitments": leaves}))
            .send()
    };
    let root = |n: u64| {
        hex::encode(fr_to_bytes(
            &MerkleTree::from_leaves((1..=n).map(Fr::from))
                .unwrap()
                .root(),
        ))
    };
    let r: serde_json::Value = push(0, vec![leaf(1), leaf(2)])
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r, json!({"leaf_count": 2, "root": root(2)}));
    let r: serde_json::Value = push(1, vec![leaf(2), leaf(3)])
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r, json!({"leaf_count": 3, "root": root(3)}));
    assert_error(
        push(0, vec![leaf(9)]).await.unwrap(),
        StatusCode::CONFLICT,
        "registry_conflict",
    )
    .await;
    assert_error(
        push(7, vec![leaf(8)]).await.unwrap(),
        StatusCode::CONFLICT,
        "registry_gap",
    )
    .await;
    assert_error(
        push(3, vec!["ff".repeat(32)]).await.unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_leaf",
    )
    .await;
    assert_error(
        push(3, vec!["not hex".into()]).await.unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_leaf",
    )
    .await;
    // Nothing of the refused pushes was kept.
    let r: serde_json::Value = push(3, vec![leaf(4)]).await.unwrap().json().await.unwrap();
    assert_eq!(r, json!({"leaf_count": 4, "root": root(4)}));

    // A suspended account's leaf is revoked (the empty leaf there), then
    // restored; only the leaf's own commitment revokes it.
    let revoke = |index: u64, commitment: String, revoked: bool| {
        http.post(format!("{kh}/registry/revocations"))
            .bearer_auth(KEYHOLDER_TOKEN)
            .json(&json!({"index": index, "commitment": commitment, "revoked": revoked}))
            .send()
    };
    let without_2 = hex::encode(fr_to_bytes(
        &MerkleTree::from_leaves([1u64, 0, 3, 4].map(Fr::from))
            .unwrap()
            .root(),
    ));
    let r: serde_json::Value = revoke(1, leaf(2), true)
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r, json!({"leaf_count": 4, "root": without_2}));
    assert_error(
        revoke(0, leaf(2), true).await.unwrap(),
        StatusCode::CONFLICT,
        "registry_conflict",
    )
    .await;
    assert_error(
        revoke(9, leaf(2), true).await.unwrap(),
        StatusCode::CONFLICT,
        "registry_gap",
    )
    .await;
    let r: serde_json::Value = revoke(1, leaf(2), false)
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r, json!({"leaf_count": 4, "root": root(4)}));
    let r = http
        .post(format!("{kh}/registry/revocations"))
        .json(&json!({"index": 1, "commitment": leaf(2), "revoked": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
}
