//! The keyholder verifies a job before it decrypts anything: a harness that
//! plays a malicious server (it holds the database, the evaluation key and
//! every ciphertext) asks the keyholder directly for releases it should not
//! get — one contribution folded many times, bytes under other digests, one
//! identity counted twice, an attestation under a registry root the
//! keyholder never computed, an attestation bound to another note key, a
//! contribution made for another campaign — and each is refused, logged,
//! and nothing is decrypted; the honest job of the same campaign is released.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use cipherpool_tests::*;
use diesel::prelude::*;
use fhe_compute::keys::{from_bytes, proof_metadata, PublicMaterial, SERVER_KEY_LIMIT};
use fhe_compute::stats::cpu::CpuBackend;
use fhe_compute::stats::{StatsBackend, StatsPlan};
use protocol::attestation::{
    self, fr_from_bytes, fr_to_bytes, IdentitySecret, MerkleTree, ProvingKey,
};
use protocol::{CampaignSchema, Statistic};
use reqwest::StatusCode;
use serde_json::{json, Value};
use server::schema::{campaign_keys, jobs};

use super::reports::{finish_with_workers, report_world, ReportWorld};

#[tokio::test]
async fn a_malicious_server_gets_nothing_decrypted_but_the_verified_aggregate() {
    let ReportWorld {
        app,
        kh_url,
        kh_dir,
        admin,
        buyer,
    } = report_world(10, 4).await;
    let campaign = json!({
        "title": "Minutes outside",
        "description": "Minutes you spent outside today.",
        "schema": {"fields": [{"type": "numeric", "name": "minutes", "bits": 8}]},
        "statistics": ["count", "sum"],
        "reward": 10, "budget": 110, "min_contributors": 10, "epsilon": 1.0
    });
    app.mint(&admin, buyer.id, 120).await;
    let id = app.open_campaign(&admin, &buyer, &campaign).await;
    let records: Vec<Value> = (0..11).map(|i| json!({"minutes": 20 + i * 3})).collect();
    assert_eq!(
        contribute_records(&app.client, &app.address, id, &records)
            .await
            .len(),
        11
    );

    // The honest report: 3 shards, re-executed by the keyholder and released.
    let r = app
        .post(
            &format!("/api/campaigns/{id}/reports"),
            Some(&buyer.token),
            &json!({"epsilon": 0.5}),
            Some("honest"),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let rid = body(r).await["id"].as_i64().unwrap();
    let done = finish_with_workers(&app, &buyer.token, rid, 2).await;
    assert_eq!(done["status"], "released", "{done}");

    // What a malicious server has: the job, every ciphertext, the keys.
    let mut conn = PgConnection::establish(&app.db_url).unwrap();
    let (statistics, aggregate): (Value, Option<Vec<u8>>) = jobs::table
        .find(rid)
        .select((jobs::statistics, jobs::aggregate))
        .first(&mut conn)
        .unwrap();
    let real_aggregate = aggregate.unwrap();
    let (public_key, crs, server_key): (Vec<u8>, Vec<u8>, Vec<u8>) = campaign_keys::table
        .find(id)
        .select((
            campaign_keys::public_key,
            campaign_keys::crs,
            campaign_keys::server_key,
        ))
        .first(&mut conn)
        .unwrap();
    let stored = stored_contributions(&app.db_url, id);
    let entries: Vec<Value> = stored.iter().map(|c| c.manifest_entry()).collect();
    let victim = &stored[0].ciphertext;
    let schema = CampaignSchema::from_json(&campaign["schema"].to_string()).unwrap();
    let stats: Vec<Statistic> = serde_json::from_value(statistics.clone()).unwrap();
    let plan = StatsPlan::new(&schema, &stats, 11).unwrap();
    let backend =
        CpuBackend::new(&from_bytes(&server_key, SERVER_KEY_LIMIT, "server key").unwrap());
    // The victim's ciphertext folded 10 times: 10·x with noise sized for one.
    let k_fold = backend
        .aggregate(&plan, &mut std::iter::repeat_n(victim.clone(), 10))
        .unwrap()
        .to_bytes()
        .unwrap();
    // A well-formed list under this campaign's key, proven for another campaign.
    let material = PublicMaterial { public_key, crs };
    let foreign = fhe_compute::encrypt_record(
        &protocol::record::encode(&schema, &json!({"minutes": 255})).unwrap(),
        &material.public_key().unwrap(),
        &material.crs().unwrap(),
        &proof_metadata(id as u64 + 1000, 1, &material.key_fingerprint()),
    )
    .unwrap();
    // One identity the harness controls (as a colluding contributor would),
    // registered through the API: the keyholder computed its root.
    let colluder = app.user("contributor").await;
    let secret = IdentitySecret::random(&mut rand::rngs::OsRng);
    let r = app
        .post(
            "/api/registry/identities",
            Some(&colluder.token),
            &json!({"commitment": hex::encode(fr_to_bytes(&attestation::commitment(&secret)))}),
            None,
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let leaf = body(r).await["leaf_index"].as_u64().unwrap();
    let tree = registry_tree(&app.db_url);
    let pk = ProvingKey::from_bytes(&dealt_attestation_keys(1).0).unwrap();
    let attest = |tree: &MerkleTree, leaf: u64, secret: &IdentitySecret, ct: &[u8]| -> Value {
        let digest: [u8; 32] = sha2_digest(ct).try_into().unwrap();
        let (proof, public) = attestation::prove(
            &pk,
            secret,
            &tree.path(leaf).unwrap(),
            id as u64,
            &digest,
            attestation::Fr::from(7u64),
            attestation::Tier::Open,
            &mut rand::rngs::OsRng,
        )
        .unwrap();
        json!({"digest": hex::encode(digest), "ciphertext": STANDARD.encode(ct),
               "nullifier": hex::encode(fr_to_bytes(&public.nullifier)),
               "root": hex::encode(fr_to_bytes(&public.root)),
               "proof": STANDARD.encode(proof.to_bytes()),
               "note_key": attestation::fr_to_hex(&attestation::Fr::from(7u64)), "tier": "open"})
    };
    // The foreign list, validly attested by the colluder.
    let foreign_entry = attest(&tree, leaf, &secret, &foreign);
    // Two lists of this campaign attested by the same identity: one
    // nullifier twice.
    let encrypt = |minutes: u64| {
        fhe_compute::encrypt_record(
            &protocol::record::encode(&schema, &json!({ "minutes": minutes })).unwrap(),
            &material.public_key().unwrap(),
            &material.crs().unwrap(),
            &proof_metadata(id as u64, 1, &material.key_fingerprint()),
        )
        .unwrap()
    };
    let twice = [
        attest(&tree, leaf, &secret, &encrypt(200)),
        attest(&tree, leaf, &secret, &encrypt(201)),
    ];
    // A valid proof under a root the keyholder never computed: the
    // registry plus a leaf the server never pushed.
    let hidden = IdentitySecret::random(&mut rand::rngs::OsRng);
    let mut forked = tree.clone();
    let hidden_leaf = forked
        .push(attestation::registry_leaf(
            attestation::commitment(&hidden),
            attestation::Tier::Open,
        ))
        .unwrap();
    let unknown_root = attest(&forked, hidden_leaf, &hidden, &encrypt(202));
    // A real contribution claimed for another reward note's key.
    let mut repaid = entries[10].clone();
    repaid["note_key"] = json!(attestation::fr_to_hex(&attestation::Fr::from(8u64)));

    let kh = kh_url.as_str();
    let ask = |job: i64, shards: Value, aggregate: &[u8], epsilon_micro: u64| {
        let request = json!({"statistics": statistics, "requested_by": buyer.id,
                             "epsilon_micro": epsilon_micro, "shards": shards,
                             "aggregate": STANDARD.encode(aggregate)});
        async move { ask_keyholder(kh, id, job, &request).await }
    };
    let shards_of = |entries: &[Value]| -> Value {
        Value::Array(
            entries
                .chunks(4)
                .map(|c| json!({ "contributions": c }))
                .collect(),
        )
    };
    // Two releases at once (a server racing itself), each asking 0.3 of the
    // 0.5 ε left: one is released, the other refused; ε is never overspent.
    let honest = job_manifest(&app.db_url, rid);
    let (a, b) = tokio::join!(
        ask(8001, honest.clone(), &real_aggregate, 300_000),
        ask(8002, honest, &real_aggregate, 300_000)
    );
    let mut answers = vec![
        (8001, a.status(), body(a).await),
        (8002, b.status(), body(b).await),
    ];
    answers.sort_by_key(|(_, s, _)| s.as_u16());
    assert_eq!(answers[0].1, StatusCode::OK, "{answers:?}");
    assert_eq!(answers[1].1, StatusCode::CONFLICT, "{answers:?}");
    assert_eq!(answers[1].2["error"]["code"], "privacy_budget_exhausted");
    let (won, lost) = (answers[0].0, answers[1].0);

    let cases: Vec<(i64, Value, Vec<u8>, &str)> = vec![
        // The victim listed ten times.
        (
            9002,
            shards_of(&vec![entries[0].clone(); 10]),
            k_fold.clone(),
            "invalid_manifest",
        ),
        // The victim's bytes under ten real contributions' digests and
        // attestations.
        (
            9003,
            shards_of(
                &entries[..10]
                    .iter()
                    .map(|e| {
                        let mut e = e.clone();
                        e["ciphertext"] = json!(STANDARD.encode(victim));
                        e
                    })
                    .collect::<Vec<_>>(),
            ),
            k_fold.clone(),
            "digest_mismatch",
        ),
        // One identity's two lists counted as two contributors.
        (
            9006,
            shards_of(&[&entries[..9], &twice[..]].concat()),
            real_aggregate.clone(),
            "nullifier_reused",
        ),
        // An identity in a registry the keyholder never saw.
        (
            9007,
            shards_of(&[&entries[..10], std::slice::from_ref(&unknown_root)].concat()),
            real_aggregate.clone(),
            "unknown_root",
        ),
        // An attestation bound to another note key.
        (
            9008,
            shards_of(&[&entries[..10], std::slice::from_ref(&repaid)].concat()),
            real_aggregate.clone(),
            "attestation_invalid",
        ),
        // One contribution swapped for a list made for another campaign.
        (
            9004,
            shards_of(
                &entries[..10]
                    .iter()
                    .cloned()
                    .chain(std::iter::once(foreign_entry))
                    .collect::<Vec<_>>(),
            ),
            real_aggregate.clone(),
            "contribution_invalid",
        ),
        // Ten real, distinct contributions listed; the aggregate is the
        // victim's ciphertext folded ten times: not the bytes the
        // keyholder's own re-execution of those ten gives.
        (
            9001,
            shards_of(&entries[..10]),
            k_fold.clone(),
            "aggregate_mismatch",
        ),
    ];
    for (job, shards, aggregate, code) in cases {
        assert_error(
            ask(job, shards, &aggregate, 100_000).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            code,
        )
        .await;
    }
    // After one mismatch the campaign is frozen at the keyholder, even for
    // the honest job's own manifest and aggregate under a new job id.
    assert_error(
        ask(
            9005,
            job_manifest(&app.db_url, rid),
            &real_aggregate,
            100_000,
        )
        .await,
        StatusCode::CONFLICT,
        "campaign_frozen",
    )
    .await;

    // Every refusal is logged; the honest job and the race's winner are the
    // only releases, and no refused request spent any ε.
    let log = std::fs::read_to_string(kh_dir.join("decryptions.log")).unwrap();
    let outcomes: Vec<(String, String, i64)> = log
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .map(|e| {
            (
                e["outcome"].as_str().unwrap().to_string(),
                e["reason"].as_str().unwrap().to_string(),
                e["job"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        outcomes,
        [
            ("released", "", rid),
            ("released", "", won),
            ("refused", "privacy_budget_exhausted", lost),
            ("refused", "invalid_manifest", 9002),
            ("refused", "digest_mismatch", 9003),
            ("refused", "nullifier_reused", 9006),
            ("refused", "unknown_root", 9007),
            ("refused", "attestation_invalid", 9008),
            ("refused", "contribution_invalid", 9004),
            ("refused", "aggregate_mismatch", 9001),
            ("refused", "campaign_frozen", 9005),
        ]
        .map(|(o, r, j)| (o.to_string(), r.to_string(), j))
    );
    let spent =
        std::fs::read_to_string(kh_dir.join(format!("campaigns/{id}/epsilon_spent"))).unwrap();
    assert_eq!(spent.trim(), "800000");
}

/// The registry tree as the database holds it (what a malicious server has).
fn registry_tree(db_url: &str) -> MerkleTree {
    use server::schema::identities;
    let mut conn = PgConnection::establish(db_url).unwrap();
    let leaves: Vec<(Vec<u8>, String)> = identities::table
        .order(identities::leaf_index.asc())
        .select((identities::commitment, identities::tier))
        .load(&mut conn)
        .unwrap();
    MerkleTree::from_leaves(leaves.iter().map(|(l, tier)| {
        attestation::registry_leaf(
            fr_from_bytes(l).unwrap(),
            attestation::Tier::parse(tier).unwrap(),
        )
    }))
    .unwrap()
}

fn sha2_digest(bytes: &[u8]) -> Vec<u8> {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes).to_vec()
}
