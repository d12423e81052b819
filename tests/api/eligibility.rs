//! Eligibility tiers (issue 14): a campaign for verified accounts admits
//! attestations through a verified leaf only; an admin verifies an account
//! (audited, with a reason) and its identity gets that leaf; an unverified
//! account cannot contribute; suspension revokes every leaf of the account.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use cipherpool_tests::*;
use diesel::prelude::*;
use protocol::attestation::{self, fr_to_bytes, IdentitySecret, NoteSecret, Tier};
use protocol::wire::IdentityView;
use reqwest::StatusCode;
use serde_json::{json, Value};

fn campaign(eligibility: &str) -> Value {
    json!({
        "title": "Minutes",
        "description": "Minutes of something, one number.",
        "schema": {"fields": [{"type": "numeric", "name": "minutes", "bits": 8}]},
        "statistics": ["count", "sum"],
        "reward": 10,
        "budget": 100,
        "min_contributors": 10,
        "epsilon": 1.0,
        "eligibility": eligibility
    })
}

struct Contributor {
    user: TestUser,
    secret: IdentitySecret,
}

async fn register(app: &TestApp, user: TestUser) -> Contributor {
    let secret = IdentitySecret::random(&mut rand::rngs::OsRng);
    let commitment = hex::encode(fr_to_bytes(&attestation::commitment(&secret)));
    let r = app
        .post(
            "/api/registry/identities",
            Some(&user.token),
            &json!({ "commitment": commitment }),
            None,
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    Contributor { user, secret }
}

async fn identity(app: &TestApp, c: &Contributor, tier: &str) -> reqwest::Response {
    app.get(
        &format!("/api/registry/me?tier={tier}"),
        Some(&c.user.token),
    )
    .await
}

/// `c`'s attestation for `campaign` through its leaf of `tier` (as a
/// modified client could send it), on freshly encrypted bytes.
async fn submission(app: &TestApp, c: &Contributor, campaign: i64, tier: Tier) -> Value {
    let view: IdentityView =
        serde_json::from_value(body(identity(app, c, tier.as_str()).await).await).unwrap();
    let m = client_material(&app.client, &app.address, campaign).await;
    let schema = protocol::CampaignSchema::parse(m.material.schema.clone()).unwrap();
    let public = m.public.clone();
    let material = m.material.clone();
    let ct = tokio::task::spawn_blocking(move || {
        fhe_compute::encrypt_record(
            &protocol::record::encode(&schema, &json!({"minutes": 7})).unwrap(),
            &public.public_key().unwrap(),
            &public.crs().unwrap(),
            &fhe_compute::keys::proof_metadata(
                campaign as u64,
                material.schema_version as u32,
                &public.key_fingerprint(),
            ),
        )
        .unwrap()
    })
    .await
    .unwrap();
    let digest: [u8; 32] = {
        use sha2::Digest;
        sha2::Sha256::digest(&ct).into()
    };
    let path = attestation::MerklePath {
        siblings: view
            .siblings
            .iter()
            .map(|h| attestation::fr_from_hex(h).unwrap())
            .collect(),
        index: view.leaf_index,
    };
    let note_key = NoteSecret::derive(&c.secret, campaign as u64).key();
    let (proof, inputs) = attestation::prove(
        m.proving_key.key(),
        &c.secret,
        &path,
        campaign as u64,
        &digest,
        note_key,
        tier,
        &mut rand::rngs::OsRng,
    )
    .unwrap();
    json!({
        "ciphertext": STANDARD.encode(&ct),
        "note_key": attestation::fr_to_hex(&note_key),
        "attestation": {
            "proof": STANDARD.encode(proof.to_bytes()),
            "public_inputs": inputs.to_field_elements().iter().map(attestation::fr_to_hex).collect::<Vec<_>>(),
        }
    })
}

fn stored(app: &TestApp, campaign: i64) -> i64 {
    use server::schema::contributions;
    let mut conn = app.pool.get().unwrap();
    contributions::table
        .filter(contributions::campaign_id.eq(campaign))
        .count()
        .get_result(&mut conn)
        .unwrap()
}

#[tokio::test]
async fn verified_campaigns_admit_verified_identities_only() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let buyer = app.user("buyer").await;
    app.mint(&admin, buyer.id, 1_000).await;
    let open = app.open_campaign(&admin, &buyer, &campaign("open")).await;
    let verified = app
        .open_campaign(&admin, &buyer, &campaign("verified"))
        .await;
    let c = body(
        app.get(&format!("/api/campaigns/{verified}"), Some(&buyer.token))
            .await,
    )
    .await;
    assert_eq!(c["eligibility"], "verified");
    let material = body(
        app.get(&format!("/api/campaigns/{verified}/material"), None)
            .await,
    )
    .await;
    assert_eq!(material["eligibility"], "verified");

    // An unverified account has no verified leaf; the client refuses, and a
    // modified client's proof through its open leaf is refused, nothing stored.
    let a = register(&app, app.user("contributor").await).await;
    assert_error(
        identity(&app, &a, "verified").await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    let open_view: IdentityView =
        serde_json::from_value(body(identity(&app, &a, "open").await).await).unwrap();
    assert_eq!(open_view.tier, Tier::Open);
    let m = client_material(&app.client, &app.address, verified).await;
    let err = prepare_off_thread(
        m.material.clone(),
        m.public.clone(),
        m.proving_key.clone(),
        IdentitySecret::from_bytes(a.secret.to_bytes()),
        open_view,
        json!({"minutes": 7}),
        m.pinned.clone(),
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("verified"), "{err}");
    let through_open = submission(&app, &a, verified, Tier::Open).await;
    let url = format!("/api/campaigns/{verified}/contributions");
    assert_error(
        app.post(&url, None, &through_open, None).await,
        StatusCode::FORBIDDEN,
        "not_eligible",
    )
    .await;
    assert_eq!(stored(&app, verified), 0);

    // Verification: a reason is required; only contributors; once.
    let verify = |id: i64, reason: &str| {
        let app = &app;
        let token = admin.token.clone();
        let reason = reason.to_string();
        async move {
            app.post(
                &format!("/api/admin/users/{id}/verify"),
                Some(&token),
                &json!({ "reason": reason }),
                None,
            )
            .await
        }
    };
    assert_error(
        verify(a.user.id, "  ").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_reason",
    )
    .await;
    assert_error(
        verify(buyer.id, "id card").await,
        StatusCode::CONFLICT,
        "not_a_contributor",
    )
    .await;
    let r = verify(a.user.id, "id card seen in person").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(body(r).await["verified_at"].is_string());
    assert_error(
        verify(a.user.id, "again").await,
        StatusCode::CONFLICT,
        "already_verified",
    )
    .await;
    let log = body(
        app.get("/api/admin/audit?limit=20", Some(&admin.token))
            .await,
    )
    .await;
    assert!(
        log.as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "verify_user"
                && e["detail"]["reason"] == "id card seen in person"),
        "{log}"
    );

    // Now a has a verified leaf and contributes to the verified campaign;
    // its open leaf still serves open campaigns, and each leaf only its tier.
    let verified_view: IdentityView =
        serde_json::from_value(body(identity(&app, &a, "verified").await).await).unwrap();
    assert_eq!(verified_view.tier, Tier::Verified);
    assert_eq!(
        verified_view.commitment,
        hex::encode(fr_to_bytes(&attestation::commitment(&a.secret)))
    );
    let through_verified = submission(&app, &a, verified, Tier::Verified).await;
    let r = app.post(&url, None, &through_verified, None).await;
    assert_eq!(
        r.status(),
        StatusCode::CREATED,
        "{}",
        r.text().await.unwrap()
    );
    let open_url = format!("/api/campaigns/{open}/contributions");
    let wrong = submission(&app, &a, open, Tier::Verified).await;
    assert_error(
        app.post(&open_url, None, &wrong, None).await,
        StatusCode::FORBIDDEN,
        "not_eligible",
    )
    .await;
    let right = submission(&app, &a, open, Tier::Open).await;
    assert_eq!(
        app.post(&open_url, None, &right, None).await.status(),
        StatusCode::CREATED
    );
    // The same identity twice in the verified campaign: one nullifier.
    let again = submission(&app, &a, verified, Tier::Verified).await;
    assert_error(
        app.post(&url, None, &again, None).await,
        StatusCode::CONFLICT,
        "nullifier_used",
    )
    .await;
    assert_eq!(stored(&app, verified), 1);

    // Verified before registering: the identity gets both leaves at once.
    let b_user = app.user("contributor").await;
    assert_eq!(verify(b_user.id, "passport").await.status(), StatusCode::OK);
    let b = register(&app, b_user).await;
    assert_eq!(
        identity(&app, &b, "verified").await.status(),
        StatusCode::OK
    );

    // Suspending a revokes both its leaves (the tree holds the empty leaf at each).
    let r = app
        .post(
            &format!("/api/admin/users/{}/suspend", a.user.id),
            Some(&admin.token),
            &json!({"reason": "testing tiers"}),
            None,
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let revoked: Vec<String> = {
        use server::schema::identities;
        let mut conn = app.pool.get().unwrap();
        identities::table
            .filter(identities::user_id.eq(a.user.id))
            .filter(identities::revoked_at.is_not_null())
            .select(identities::tier)
            .order(identities::leaf_index.asc())
            .load(&mut conn)
            .unwrap()
    };
    assert_eq!(revoked, ["open", "verified"]);
    // b still contributes under the new root.
    let bs = submission(&app, &b, verified, Tier::Verified).await;
    assert_eq!(
        app.post(&url, None, &bs, None).await.status(),
        StatusCode::CREATED
    );
    app.assert_ledger_consistent(&admin).await;
}
