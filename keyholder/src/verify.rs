//! The keyholder checks a job itself before anything is decrypted: a server
//! is not trusted to say what an aggregate contains.
//!
//! From the manifest (the job's shards, each with its contributions' digests,
//! attestations and ciphertext bytes) the keyholder checks, cheapest first:
//! 1. every digest is 64 hex characters and the digests are distinct
//!    (`invalid_manifest`);
//! 2. every contribution's attestation: its nullifier is not another's
//!    (`nullifier_reused`: one identity counted twice), its registry root is
//!    one this keyholder computed itself from the leaves the server pushed
//!    (`unknown_root`), and its Groth16 proof verifies under the dealt
//!    verifying key for this campaign, that nullifier and root, and the
//!    binding of that digest and note key (`attestation_invalid`);
//! 3. every digest is the SHA-256 of its bytes (`digest_mismatch`);
//! 4. every list is a canonically encoded proven list of this campaign's
//!    layout whose zk-pok proof verifies against the keyholder's own copy of
//!    the campaign's public key and CRS, with the campaign-bound metadata
//!    (`contribution_invalid`): each value is within its width, and a list
//!    made for another campaign, or forged from another list, is refused;
//! 5. the aggregation re-executed on the CPU from those bytes — each shard
//!    folded in order, the partials merged left to right exactly as the
//!    workers' reduce does — holds the same values as the aggregate the
//!    server sent (`aggregate_mismatch`).
//!
//! The comparison is byte equality. It is exact because the computation is
//! reproducible: every process pins tfhe's FFT plan
//! ([`fhe_compute::keys::pin_fft_plan`]) and the engine's fold and merge
//! order is fixed, so an honest worker and the keyholder produce the same
//! bytes on the same CPU family (tests: across thread counts in
//! `fhe-compute`, across processes in every release test). Anything else —
//! another shard, another fold, a GPU's differently rounded FFT — is
//! refused as `aggregate_mismatch`, which also freezes the campaign at this
//! keyholder (`campaign_frozen` for every later release until an operator
//! clears it). Nothing is decrypted to compare.

use std::collections::HashSet;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use fhe_compute::keys::{proof_metadata, PublicMaterial};
use fhe_compute::stats::{Partial, StatsBackend, StatsPlan};
use fhe_compute::verify_contribution;
use keyholder_api::ReleaseRequest;
use rayon::prelude::*;
use sha2::{Digest, Sha256};

use crate::registry::Eligibility;
use crate::release::{failed, Refusal, ReleaseError};
use crate::store::KeyStore;
use crate::terms::CampaignTerms;

/// Checks the manifest's shape: distinct, well-formed digests.
pub fn manifest_digests(req: &ReleaseRequest) -> Result<u64, Refusal> {
    let mut seen = HashSet::new();
    for e in req.contributions() {
        let d = &e.digest;
        let ok = d.len() == 64 && d.bytes().all(|b| b.is_ascii_hexdigit());
        if !ok || !seen.insert(d.to_ascii_lowercase()) {
            return Err(Refusal::InvalidManifest);
        }
    }
    if req.shards.iter().any(|s| s.contributions.is_empty()) {
        return Err(Refusal::InvalidManifest);
    }
    Ok(seen.len() as u64)
}

/// Checks every contribution's attestation (step 2 of the module
/// documentation): distinct nullifiers, known roots, valid Groth16 proofs.
pub fn check_attestations(
    eligibility: &Eligibility,
    campaign: u64,
    req: &ReleaseRequest,
) -> Result<(), Refusal> {
    use protocol::attestation::{binding, fr_from_bytes, verify_raw, Fr};
    let field = |i: usize, what: &str, hex_text: &str| -> Result<([u8; 32], Fr), Refusal> {
        let bytes: [u8; 32] = hex::decode(hex_text)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| {
                Refusal::AttestationInvalid(format!(
                    "contribution {i} of the manifest: its {what} is not 64 hex characters"
                ))
            })?;
        let fr = fr_from_bytes(&bytes).map_err(|e| {
            Refusal::AttestationInvalid(format!("contribution {i} of the manifest: {what}: {e}"))
        })?;
        Ok((bytes, fr))
    };
    let mut nullifiers = HashSet::new();
    let mut statements = Vec::new();
    for (i, e) in req.contributions().enumerate() {
        let i = i + 1;
        let (nullifier_bytes, nullifier) = field(i, "nullifier", &e.nullifier)?;
        if !nullifiers.insert(nullifier_bytes) {
            return Err(Refusal::NullifierReused(format!(
                "contribution {i} of the manifest carries the nullifier of an earlier one: \
                 one identity counted twice"
            )));
        }
        let (root_bytes, root) = field(i, "registry root", &e.root)?;
        let (_, note_key) = field(i, "note key", &e.note_key)?;
        if !eligibility.knows_root(&root_bytes) {
            return Err(Refusal::UnknownRoot(format!(
                "contribution {i} of the manifest is attested under registry root {}, \
                 which this keyholder never computed from the registry it was told",
                e.root
            )));
        }
        // manifest_digests checked the digest's form.
        let digest: [u8; 32] = hex::decode(&e.digest)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or(Refusal::InvalidManifest)?;
        let proof = STANDARD.decode(&e.proof).map_err(|_| {
            Refusal::AttestationInvalid(format!(
                "contribution {i} of the manifest: its proof is not base64"
            ))
        })?;
        let inputs = [
            root,
            nullifier,
            Fr::from(campaign),
            binding(&digest, note_key),
            Fr::from(e.tier.as_u64()),
        ];
        statements.push((i, proof, inputs));
    }
    statements.par_iter().try_for_each(|(i, proof, inputs)| {
        verify_raw(&eligibility.verifying_key, proof, inputs).map_err(|err| {
            Refusal::AttestationInvalid(format!(
                "contribution {i} of the manifest: the attestation does not verify for \
                 this campaign, nullifier, root, digest and note key ({err})"
            ))
        })
    })
}

/// Verifies every contribution of the manifest (whose digests
/// [`manifest_digests`] accepted) and re-executes the aggregation;
/// `aggregate_bytes` are the server's aggregate.
pub fn verify_job(
    store: &KeyStore,
    eligibility: &Eligibility,
    campaign: u64,
    terms: &CampaignTerms,
    plan: &StatsPlan,
    req: &ReleaseRequest,
    aggregate_bytes: &[u8],
) -> Result<(), ReleaseError> {
    let material = PublicMaterial {
        public_key: store.keyset_file("public_key.bin")?,
        crs: store.crs(campaign)?,
    };
    let public_key = material.public_key().map_err(failed)?;
    let crs = material.crs().map_err(failed)?;
    let metadata = proof_metadata(campaign, terms.schema_version, &material.key_fingerprint());
    let started = std::time::Instant::now();
    check_attestations(eligibility, campaign, req)?;
    let attested = started.elapsed();
    // Decode and check every contribution before any homomorphic work.
    let mut shards: Vec<Vec<Vec<u8>>> = Vec::with_capacity(req.shards.len());
    for shard in &req.shards {
        let mut lists = Vec::with_capacity(shard.contributions.len());
        for e in &shard.contributions {
            let bytes = STANDARD
                .decode(&e.ciphertext)
                .map_err(|_| Refusal::DigestMismatch(e.digest.clone()))?;
            if hex::encode(Sha256::digest(&bytes)) != e.digest.to_ascii_lowercase() {
                return Err(Refusal::DigestMismatch(e.digest.clone()).into());
            }
            lists.push(bytes);
        }
        shards.push(lists);
    }
    // One proof check per core at a time.
    let lists: Vec<&Vec<u8>> = shards.iter().flatten().collect();
    lists.par_iter().enumerate().try_for_each(|(i, list)| {
        verify_contribution(list, &plan.layout, &public_key, &crs, &metadata)
            .map(|_| ())
            .map_err(|e| {
                Refusal::ContributionInvalid(format!("contribution {} of the manifest: {e}", i + 1))
            })
    })?;
    let checked = started.elapsed();
    // Re-execute: fold each shard, merge left to right (the workers' reduce).
    let backend = store.cpu_backend()?;
    let mut total: Option<Partial> = None;
    for lists in shards {
        let partial = backend
            .aggregate(plan, &mut lists.into_iter())
            .map_err(|e| Refusal::ContributionInvalid(e.to_string()))?;
        total = Some(match total {
            None => partial,
            Some(t) => backend.merge(plan, &[t, partial]).map_err(failed)?,
        });
    }
    let total = total.ok_or(Refusal::InvalidManifest)?;
    if total.to_bytes().map_err(failed)? != aggregate_bytes {
        return Err(Refusal::AggregateMismatch.into());
    }
    tracing::info!(
        campaign,
        records = req.contributions().count(),
        attestation_secs = attested.as_secs_f64(),
        check_secs = checked.as_secs_f64(),
        total_secs = started.elapsed().as_secs_f64(),
        "job verified: contributions checked, aggregation re-executed"
    );
    Ok(())
}
