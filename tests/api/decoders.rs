//! Property-based fuzzing of the decoders of bytes that come from another
//! party (CONVENTIONS: "error, never panic"): a submission as the server
//! receives it (JSON, base64, the tfhe ciphertext list, the Groth16 proof
//! and its public inputs), campaign material and keys as a client receives
//! them, partial aggregates and key shares as a keyholder reads them,
//! partial decryptions as the server combines them, schemas and records,
//! reward-note claims and pages of the notes tree.
//! Structure-aware mutations of valid inputs (`cipherpool_tests::fuzz`)
//! reach the deeper checks; a fixed number of cases bounds each run. One
//! server for the file, one real campaign and one real contribution.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use cipherpool_tests::fuzz::{
    apply_bytes, apply_json, byte_edits, config, json_edits, json_value, samples, ByteEdit,
    JsonEdit,
};
use cipherpool_tests::*;
use fhe_compute::stats::{Partial, StatsPlan};
use fhe_compute::threshold::{combine, KeyShare, PartialDecryption};
use proptest::prelude::*;
use protocol::attestation::{self, fr_from_bytes, fr_from_hex, verify_raw, MerklePath};
use protocol::wire::{Material, Submission};
use protocol::{record, CampaignSchema, RawSchema, Statistic};
use reqwest::StatusCode;
use serde_json::{json, Value};
use tokio::sync::OnceCell;

/// The shared platform, an open campaign of [`campaign_body`], what a
/// client fetched for it, and one prepared (never submitted) contribution.
struct Fixture {
    app: TestApp,
    campaign: i64,
    client: ClientMaterial,
    submission: Submission,
}

/// The fixture's record.
fn record() -> Value {
    json!({"sleep_minutes": 420, "exercise_minutes": 35, "region": "east"})
}

async fn fixture() -> &'static Fixture {
    static FIXTURE: OnceCell<Fixture> = OnceCell::const_new();
    FIXTURE
        .get_or_init(|| async {
            let shared = spawn_shared_app(test_settings());
            let app = shared.with_new_client();
            let admin = app.admin().await;
            let buyer = app.user("buyer").await;
            app.mint(&admin, buyer.id, 10_000).await;
            let campaign = app
                .open_campaign(&admin, &buyer, &campaign_body(10, 1_000))
                .await;
            let client = client_material(&app.client, &app.address, campaign).await;
            let submission =
                new_contributor_submission(&app.client, &app.address, &client, &record()).await;
            Fixture {
                app: shared,
                campaign,
                client,
                submission,
            }
        })
        .await
}

/// Runs a proptest property over `strategy` on this thread (the fixture is
/// built first, on the test's runtime).
fn check<S: Strategy>(cases: u32, strategy: S, test: impl Fn(S::Value) -> Result<(), TestCaseError>)
where
    S::Value: std::fmt::Debug,
{
    let mut runner = proptest::test_runner::TestRunner::new(config(cases));
    if let Err(e) = runner.run(&strategy, test) {
        panic!("{e}");
    }
}

/// What a mutated submission may be: JSON edits, or byte edits inside the
/// base64 ciphertext, inside the proof, or inside one public input.
#[derive(Debug, Clone)]
enum Mutation {
    Json(Vec<JsonEdit>),
    Ciphertext(Vec<ByteEdit>),
    Proof(Vec<ByteEdit>),
    Input(usize, Vec<ByteEdit>),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        4 => json_edits().prop_map(Mutation::Json),
        3 => byte_edits().prop_map(Mutation::Ciphertext),
        2 => byte_edits().prop_map(Mutation::Proof),
        1 => (0..attestation::PUBLIC_INPUTS, byte_edits()).prop_map(|(i, e)| Mutation::Input(i, e)),
    ]
}

fn mutate(sub: &Submission, m: &Mutation) -> Value {
    let valid = serde_json::to_value(sub).expect("submission JSON");
    let rebase = |b64: &str, edits: &[ByteEdit]| {
        STANDARD.encode(apply_bytes(&STANDARD.decode(b64).unwrap(), edits))
    };
    match m {
        Mutation::Json(edits) => apply_json(&valid, edits),
        Mutation::Ciphertext(edits) => {
            let mut s = sub.clone();
            s.ciphertext = rebase(&s.ciphertext, edits);
            serde_json::to_value(s).unwrap()
        }
        Mutation::Proof(edits) => {
            let mut s = sub.clone();
            s.attestation.proof = rebase(&s.attestation.proof, edits);
            serde_json::to_value(s).unwrap()
        }
        Mutation::Input(i, edits) => {
            let mut s = sub.clone();
            let input = &mut s.attestation.public_inputs[*i];
            *input = hex::encode(apply_bytes(&hex::decode(&*input).unwrap(), edits));
            serde_json::to_value(s).unwrap()
        }
    }
}

#[tokio::test]
async fn mutated_submissions_are_refused_with_a_code_and_the_real_one_is_then_accepted() {
    let f = fixture().await;
    let app = f.app.with_new_client();
    let url = format!("/api/campaigns/{}/contributions", f.campaign);
    let original = serde_json::to_value(&f.submission).unwrap();
    let mut codes = std::collections::BTreeMap::<String, usize>::new();
    let mut sent = 0;
    let mut bodies: Vec<Vec<u8>> = Vec::new();
    for m in samples(mutation(), 160) {
        let v = mutate(&f.submission, &m);
        if v != original {
            bodies.push(serde_json::to_vec(&v).unwrap());
        }
    }
    // A proof that decodes but does not verify: A negated (the sign bit of
    // its compressed encoding, the top bit of byte 31).
    let mut negated = f.submission.clone();
    let mut proof = STANDARD.decode(&negated.attestation.proof).unwrap();
    proof[31] ^= 0x80;
    negated.attestation.proof = STANDARD.encode(proof);
    bodies.push(serde_json::to_vec(&negated).unwrap());
    // And bodies that are not a submission at all.
    for v in samples(json_value(), 16) {
        bodies.push(serde_json::to_vec(&v).unwrap());
    }
    for raw in samples(prop::collection::vec(any::<u8>(), 0..256), 8) {
        bodies.push(raw);
    }
    for b in bodies {
        let r = app
            .post_raw(&url, None, "application/json", b.clone())
            .await;
        let status = r.status();
        let text = r.text().await.unwrap();
        let shown = String::from_utf8_lossy(&b[..b.len().min(400)]).into_owned();
        assert!(
            status.is_client_error() && status != StatusCode::TOO_MANY_REQUESTS,
            "{status} for {shown}: {text}"
        );
        let code = serde_json::from_str::<Value>(&text)
            .ok()
            .and_then(|v| v["error"]["code"].as_str().map(str::to_string))
            .unwrap_or_else(|| panic!("no error code in {status} {text} for {shown}"));
        *codes.entry(code).or_default() += 1;
        sent += 1;
    }
    println!("{sent} mutated submissions refused: {codes:?}");
    // The refusals reached the attestation checks, not only the JSON parser.
    for code in [
        "attestation_binding_mismatch",
        "attestation_invalid",
        "invalid_body",
    ] {
        assert!(codes.contains_key(code), "no refusal {code}: {codes:?}");
    }
    // Nothing was accepted, nothing was spent: the real submission still goes in.
    let r = app.post(&url, None, &original, None).await;
    assert_eq!(
        r.status(),
        StatusCode::CREATED,
        "{}",
        r.text().await.unwrap()
    );
}

#[tokio::test]
async fn mutated_ciphertext_lists_are_refused_by_the_verifier() {
    let f = fixture().await;
    let m = &f.client.material;
    let bytes = STANDARD.decode(&f.submission.ciphertext).unwrap();
    let pk = f.client.public.public_key().unwrap();
    let crs = f.client.public.crs().unwrap();
    let meta = STANDARD.decode(&m.proof_metadata).unwrap();
    let verify = |b: &[u8]| fhe_compute::verify_contribution(b, &m.layout, &pk, &crs, &meta);
    assert!(verify(&bytes).is_ok(), "the real list verifies");
    let deep = std::cell::Cell::new(0);
    check(40, byte_edits(), |edits| {
        let edited = apply_bytes(&bytes, &edits);
        if edited != bytes {
            match verify(&edited) {
                Ok(_) => prop_assert!(false, "an edited list verified: {edits:?}"),
                // Past decoding, canonical form and layout: the zk proof caught it.
                Err(fhe_compute::ContributionError::ProofInvalid) => deep.set(deep.get() + 1),
                Err(_) => {}
            }
        }
        Ok(())
    });
    println!("{} of 40 edited lists reached the zk-pok check", deep.get());
    assert!(deep.get() > 0, "no edited list got past the decoder");
    check(24, prop::collection::vec(any::<u8>(), 0..4096), |raw| {
        prop_assert!(verify(&raw).is_err());
        Ok(())
    });
}

#[tokio::test]
async fn mutated_proofs_inputs_and_keys_are_refused() {
    let f = fixture().await;
    let vk = f.client.proving_key.key().verifying_key();
    let proof = STANDARD.decode(&f.submission.attestation.proof).unwrap();
    let inputs: Vec<_> = f
        .submission
        .attestation
        .public_inputs
        .iter()
        .map(|h| fr_from_hex(h).unwrap())
        .collect();
    verify_raw(&vk, &proof, &inputs).expect("the real proof verifies");
    // A negated (its compressed sign bit) decodes, and does not verify.
    let mut negated = proof.clone();
    negated[31] ^= 0x80;
    assert!(matches!(
        verify_raw(&vk, &negated, &inputs),
        Err(attestation::AttestationError::InvalidProof)
    ));
    check(64, byte_edits(), |edits| {
        let edited = apply_bytes(&proof, &edits);
        if verify_raw(&vk, &edited, &inputs).is_ok() {
            // Groth16's one malleability: negating A and B (their
            // compressed sign bits, in bytes 31 and 95) keeps the
            // pairing equation. Harmless: the nullifier and binding
            // are unchanged, so it cannot contribute twice.
            let differ: Vec<usize> = (0..proof.len())
                .filter(|&i| edited.len() != proof.len() || edited[i] != proof[i])
                .collect();
            prop_assert!(
                differ.iter().all(|i| *i == 31 || *i == 95),
                "an edited proof verified: {edits:?}"
            );
        }
        Ok(())
    });
    check(
        32,
        (0..attestation::PUBLIC_INPUTS, byte_edits()),
        |(i, edits)| {
            let bytes = attestation::fr_to_bytes(&inputs[i]);
            let edited = apply_bytes(&bytes, &edits);
            if edited != bytes {
                if let Ok(x) = fr_from_bytes(&edited) {
                    let mut other = inputs.clone();
                    other[i] = x;
                    prop_assert!(verify_raw(&vk, &proof, &other).is_err());
                }
            }
            Ok(())
        },
    );
    let vk_bytes = vk.to_bytes();
    check(48, byte_edits(), |edits| {
        let edited = apply_bytes(&vk_bytes, &edits);
        if let Ok(k) = attestation::VerifyingKey::from_bytes(&edited) {
            // A key that decodes is another key (or the same bytes).
            prop_assert!(k != vk || edited == vk_bytes);
        }
        Ok(())
    });
    let pk_bytes = f.client.proving_key.key().to_bytes();
    check(6, byte_edits(), |edits| {
        let _ = attestation::ProvingKey::from_bytes(&apply_bytes(&pk_bytes, &edits));
        Ok(())
    });
    check(64, prop::collection::vec(any::<u8>(), 0..200), |raw| {
        let _ = attestation::Proof::from_bytes(&raw);
        let _ = fr_from_bytes(&raw);
        Ok(())
    });
}

/// A claim of reward notes as the server checks it: mutated proof bytes
/// and mutated statements (root, nullifiers, total, destination) are
/// refused, never a panic; only Groth16's sign-bit malleability verifies.
#[test]
fn mutated_claims_are_refused() {
    use protocol::attestation::{
        claim_setup, prove_claim, verify_claim_raw, IdentitySecret, MerkleTree, NoteSecret,
        OwnedNote,
    };
    let mut rng = rand::rngs::OsRng;
    let (pk, vk) = claim_setup(&mut rng).unwrap();
    let identity = IdentitySecret::random(&mut rng);
    let mut tree = MerkleTree::new();
    let note = NoteSecret::derive(&identity, 3);
    tree.push(NoteSecret::random(&mut rng).commitment(9))
        .unwrap();
    let index = tree.push(note.commitment(25)).unwrap();
    let owned = OwnedNote {
        secret: note,
        amount: 25,
        path: tree.path(index).unwrap(),
    };
    let (proof, statement) = prove_claim(&pk, &[owned], 77, &mut rng).unwrap();
    let proof = proof.to_bytes();
    verify_claim_raw(&vk, &proof, &statement).expect("the real claim verifies");
    check(48, byte_edits(), |edits| {
        let edited = apply_bytes(&proof, &edits);
        if verify_claim_raw(&vk, &edited, &statement).is_ok() {
            let differ: Vec<usize> = (0..proof.len())
                .filter(|&i| edited.len() != proof.len() || edited[i] != proof[i])
                .collect();
            prop_assert!(
                differ.iter().all(|i| *i == 31 || *i == 95),
                "an edited claim proof verified: {edits:?}"
            );
        }
        Ok(())
    });
    let wire = serde_json::to_value(protocol::wire::ClaimRequest::new(
        &attestation::Proof::from_bytes(&proof).unwrap(),
        &statement,
    ))
    .unwrap();
    check(64, json_edits(), |edits| {
        let edited = apply_json(&wire, &edits);
        if let Ok(request) = serde_json::from_value::<protocol::wire::ClaimRequest>(edited.clone())
        {
            if let Ok((bytes, st)) = request.statement() {
                if verify_claim_raw(&vk, &bytes, &st).is_ok() {
                    prop_assert_eq!(st, statement, "an edited claim verified: {}", edited);
                }
            }
        }
        Ok(())
    });
}

/// The part of the material the keyholders sign, decoded.
fn signed_part(m: &Material) -> Option<Value> {
    let h = |s: &str| hex::decode(s).ok();
    Some(json!({
        "campaign_id": m.campaign_id,
        "schema_version": m.schema_version,
        "schema": serde_json::to_value(&m.schema).ok()?,
        "key_fingerprint": h(&m.key_fingerprint)?,
        "public_key_sha256": h(&m.public_key_sha256)?,
        "crs_sha256": h(&m.crs_sha256)?,
        "terms": serde_json::to_value(&m.terms).ok()?,
    }))
}

#[tokio::test]
async fn mutated_material_and_public_keys_are_refused_by_the_client_checks() {
    let f = fixture().await;
    let c = &f.client;
    let valid = serde_json::to_value(&c.material).unwrap();
    let signed = signed_part(&c.material).unwrap();
    c.material.verify_signatures(&c.pinned).unwrap();
    c.material
        .check_bytes(&c.public.public_key, &c.public.crs)
        .unwrap();
    // Whatever a server (or a cache) changes in the JSON, the signature
    // check accepts it only when the signed content is the same.
    check(128, json_edits(), |edits| {
        let v = apply_json(&valid, &edits);
        if let Ok(m) = serde_json::from_value::<Material>(v) {
            if m.verify_signatures(&c.pinned).is_ok() {
                prop_assert_eq!(signed_part(&m), Some(signed.clone()));
            }
        }
        Ok(())
    });
    check(32, byte_edits(), |edits| {
        let pk = apply_bytes(&c.public.public_key, &edits);
        if pk != c.public.public_key {
            prop_assert!(c.material.check_bytes(&pk, &c.public.crs).is_err());
        }
        let public = fhe_compute::PublicMaterial {
            public_key: pk,
            crs: Vec::new(),
        };
        let _ = public.public_key();
        Ok(())
    });
    check(4, byte_edits(), |edits| {
        let public = fhe_compute::PublicMaterial {
            public_key: Vec::new(),
            crs: apply_bytes(&c.public.crs, &edits),
        };
        let _ = public.crs();
        Ok(())
    });
}

proptest! {
    #![proptest_config(config(128))]

    /// A buyer's campaign schema and a contributor's record: a schema that
    /// parses encodes records to exactly its layout, or refuses them.
    #[test]
    fn schemas_and_records_decode_or_refuse(
        schema_edits in json_edits(),
        record_edits in json_edits(),
        stats in json_value(),
    ) {
        let body = campaign_body(10, 1_000);
        let raw = apply_json(&body["schema"], &schema_edits);
        if let Ok(raw) = serde_json::from_value::<RawSchema>(raw) {
            if let Ok(schema) = CampaignSchema::parse(raw) {
                let rec = apply_json(&record(), &record_edits);
                if let Ok(encoded) = record::encode(&schema, &rec) {
                    prop_assert_eq!(encoded.entries.len(), record::layout(&schema).len());
                    for e in &encoded.entries {
                        prop_assert!(u128::from(e.value) < (1u128 << e.bits));
                    }
                }
                if let Ok(stats) = serde_json::from_value::<Vec<Statistic>>(stats) {
                    if let Ok(checked) = schema.check_statistics(&stats) {
                        let _ = StatsPlan::new(&schema, &checked, 1_000);
                    }
                }
            }
        }
    }

    /// Wire JSON of the registry, keys, signatures and amounts.
    #[test]
    fn identity_paths_keys_and_numbers_decode_or_refuse(v in json_value(), s in ".{0,200}") {
        if let Ok(path) = serde_json::from_value::<MerklePath>(v.clone()) {
            if path.check_shape().is_ok() {
                let _ = path.compute_root(attestation::empty_root());
            }
        }
        let _ = serde_json::from_value::<protocol::wire::IdentityView>(v.clone());
        let _ = serde_json::from_value::<Submission>(v.clone());
        // A claim as the server parses it (shape and statement rules; the
        // proof check itself is exercised in mutated_claims_are_refused).
        if let Ok(claim) = serde_json::from_value::<protocol::wire::ClaimRequest>(v.clone()) {
            if let Ok((_, st)) = claim.statement() {
                prop_assert!(st.check().is_ok());
                prop_assert!(st.total > 0 && st.destination > 0);
            }
        }
        // A notes page as a client assembles the tree from it.
        if let Ok(page) = serde_json::from_value::<protocol::wire::NotesPage>(v.clone()) {
            let mut tree = client::notes::NotesTree::new();
            let _ = tree.add_page(&page);
        }
        let _ = serde_json::from_value::<Material>(v.clone());
        let _ = serde_json::from_value::<keyholder_api::ReleaseRequest>(v.clone());
        let _ = serde_json::from_value::<keyholder_api::DecryptResponse>(v.clone());
        let _ = serde_json::from_value::<keyholder_api::ReleaseResponse>(v.clone());
        let _ = protocol::json_i128::deserialize(v);
        let _ = fr_from_hex(&s);
        let _ = protocol::signing::parse_key(&s);
        let _ = protocol::signing::parse_keys(&s);
        let _ = server::domain::Email::parse(&s);
        let _ = server::idempotency::IdempotencyKey::parse(&s);
    }

    /// Partial decryptions as the server combines them: whatever the
    /// keyholders answer, an error or values, never a panic.
    #[test]
    fn partial_decryptions_combine_or_refuse(parts in prop::collection::vec(json_value(), 0..4)) {
        let parts: Vec<PartialDecryption> = parts
            .into_iter()
            .filter_map(|v| serde_json::from_value(v).ok())
            .collect();
        let _ = combine(&parts);
    }
}

/// A well-formed partial decryption shape, mutated: reaches `combine`'s
/// checks beyond the JSON.
#[test]
fn mutated_partial_decryptions_combine_or_refuse() {
    let part = |index: u32| {
        json!({
            "index": index, "parties": 2, "squashed_digest": "ab",
            "values": [{"blocks": 1, "bodies": ["12"], "partials": [format!("{}", 40 + index)]}]
        })
    };
    let valid = json!([part(0), part(1)]);
    check(128, json_edits(), |edits| {
        if let Ok(parts) =
            serde_json::from_value::<Vec<PartialDecryption>>(apply_json(&valid, &edits))
        {
            let _ = combine(&parts);
        }
        Ok(())
    });
}

/// Partial aggregates as a keyholder reads them from the server, and key
/// shares as a keyholder reads them from its store: framed headers with
/// every length mutated, and raw bytes.
#[test]
fn partial_aggregates_and_key_shares_decode_or_refuse() {
    let schema =
        CampaignSchema::from_json(&campaign_body(10, 1_000)["schema"].to_string()).unwrap();
    let plan = StatsPlan::new(&schema, &[Statistic::Mean, Statistic::Histogram], 1_000).unwrap();
    let mut framed = b"CPPART01".to_vec();
    framed.extend_from_slice(&7u64.to_be_bytes());
    framed.extend_from_slice(&(plan.aggregates.len() as u32).to_be_bytes());
    for spec in &plan.aggregates {
        framed.extend_from_slice(&spec.blocks.to_be_bytes());
        for _ in 0..spec.blocks {
            framed.extend_from_slice(&8u32.to_be_bytes());
            framed.extend_from_slice(&[0u8; 8]);
        }
    }
    check(128, byte_edits(), |edits| {
        prop_assert!(Partial::from_bytes(&apply_bytes(&framed, &edits), &plan).is_err());
        Ok(())
    });
    let share = {
        let mut b = b"CPSHARE1".to_vec();
        b.extend_from_slice(&0u32.to_be_bytes());
        b.extend_from_slice(&2u32.to_be_bytes());
        b.resize(16 + 16 * fhe_compute::threshold::SECRET_LEN, 7);
        b
    };
    assert!(KeyShare::from_bytes(&share).is_ok());
    check(128, byte_edits(), |edits| {
        let _ = KeyShare::from_bytes(&apply_bytes(&share, &edits));
        Ok(())
    });
}
