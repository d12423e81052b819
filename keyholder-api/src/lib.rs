//! The wire between the server and the keyholders: request and response
//! types, the HTTP client, and the [`Keyholders`] trait through which the
//! server calls "the keyholders" without linking any of their code.
//!
//! This crate holds no key material and no decryption code: it is what both
//! trust domains agree on.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod client;

use chrono::{DateTime, Utc};
use protocol::report::weights::Weights;
use protocol::schema::RawSchema;
use protocol::signing::{KeyholderSignature, SignedTerms};
use protocol::Statistic;
use serde::{Deserialize, Serialize};

pub use client::{
    AttestationMaterial, CallError, CampaignMaterial, KeyholderClient, KeyholderGroup, Keyholders,
};
pub use fhe_compute::threshold::proof::{NoiseShare, ReleaseProof, SignedShare};
pub use fhe_compute::threshold::PartialDecryption;

/// Request to generate a campaign's keys.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeysRequest {
    /// The campaign's schema (sizes the CRS).
    pub schema: RawSchema,
    /// What the campaign may release; recorded with the keys.
    pub terms: KeyTerms,
    /// The campaign's CRS (base64) as the first keyholder generated it: the
    /// other keyholders adopt it rather than generating their own. Absent
    /// for the first keyholder.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crs: Option<String>,
}

/// The release terms sent with a key request.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyTerms {
    /// The statistics the campaign may release.
    pub statistics: Vec<protocol::Statistic>,
    /// Fewest distinct contributions a release must cover.
    pub min_contributors: u64,
    /// Total privacy budget, in millionths of ε.
    pub epsilon_micro: u64,
    /// Most contributions the campaign accepts.
    pub max_contributions: u64,
    /// δ of the (ε, δ) promise; 0 (the default, left out) for pure ε.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub delta: f64,
    /// The schema version contributions' zk-pok proofs bind to.
    #[serde(default = "first_schema_version")]
    pub schema_version: u32,
}

fn is_zero(x: &f64) -> bool {
    *x == 0.0
}

/// The schema version of terms recorded before it was part of them.
pub fn first_schema_version() -> u32 {
    1
}

/// The public key material of a campaign.
#[derive(Debug, Serialize, Deserialize)]
pub struct KeysResponse {
    /// Compact public key, base64 (tfhe safe serialization).
    pub public_key: String,
    /// zk-pok CRS, base64 (tfhe safe serialization).
    pub crs: String,
    /// SHA-256 of the public key bytes, hex: also the id of the key set the
    /// keyholders were dealt (every keyholder must answer the same).
    pub key_fingerprint: String,
    /// This keyholder's share index, `0..parties`.
    pub index: u32,
    /// How many keyholders hold a share of the key set.
    pub parties: u32,
    /// The release terms this keyholder fixed for the campaign (what it signed).
    pub terms: SignedTerms,
    /// The schema version it signed.
    pub schema_version: u32,
    /// This keyholder's signature over the campaign's
    /// [`protocol::signing::MaterialStatement`].
    pub signature: KeyholderSignature,
}

/// Who a keyholder is (`GET /identity`): its share of which key set, and
/// the Ed25519 key it signs with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyholderIdentity {
    /// Its share index, `0..parties`.
    pub index: u32,
    /// How many keyholders hold a share of the key set.
    pub parties: u32,
    /// The key set's id (SHA-256 of its public key), hex.
    pub key_id: String,
    /// Its Ed25519 public key, hex: what clients pin.
    pub signing_key: String,
    /// SHA-256 of the attestation circuit's verifying key it checks
    /// contributors' eligibility with (dealt with the key set), hex.
    pub attestation_key: String,
    /// SHA-256 of the claim circuit's verifying key (dealt with the key
    /// set; the server checks reward-note claims with it), hex.
    pub claim_key: String,
}

/// The Groth16 keys of the attestation and claim circuits (`GET
/// /attestation`), made by the dealer with the key set: the server serves
/// the proving keys to clients and verifies submissions and reward-note
/// claims with the verifying keys; the keyholders check every attestation
/// again before a release.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AttestationKeys {
    /// The circuit version the keys are for.
    pub circuit_version: u32,
    /// Proving key, base64 (compressed arkworks bytes).
    pub proving_key: String,
    /// Verifying key, base64 (compressed arkworks bytes).
    pub verifying_key: String,
    /// The claim circuit's version.
    pub claim_circuit_version: u32,
    /// The claim circuit's proving key, base64.
    pub claim_proving_key: String,
    /// The claim circuit's verifying key, base64.
    pub claim_verifying_key: String,
    /// SHA-256 of the proving key in the form clients fetch
    /// (`CircuitProvingKey::to_trusted_bytes`), hex.
    pub proving_key_sha256: String,
    /// SHA-256 of the claim proving key in that form, hex.
    pub claim_proving_key_sha256: String,
    /// This keyholder's signature over both hashes and the circuit versions
    /// ([`protocol::signing::CircuitKeysStatement`]).
    pub signature: KeyholderSignature,
}

/// Registry leaves pushed to a keyholder (`POST /registry/leaves`): the
/// identity commitments at `first_index..`, in leaf order.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegistryLeaves {
    /// Index of the first commitment.
    pub first_index: u64,
    /// The commitments (32-byte field elements), hex.
    pub commitments: Vec<String>,
}

/// A registry leaf revoked (its account suspended) or restored
/// (`POST /registry/revocations`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegistryRevocation {
    /// The leaf.
    pub index: u64,
    /// Its commitment (hex): the keyholder checks it is the one it holds.
    pub commitment: String,
    /// Revoked (true) or restored (false).
    pub revoked: bool,
}

/// A keyholder's registry after a push: how many leaves it holds and the
/// root it computed over them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegistryState {
    /// Leaves held.
    pub leaf_count: u64,
    /// The root over them, hex.
    pub root: String,
}

/// A keyholder's first answer to a release: the job verified, its own
/// differential-privacy noise encrypted (a proven list bound to the
/// campaign, the job and its index).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NoiseResponse {
    /// The keyholder's share index.
    pub index: u32,
    /// How many keyholders hold a share.
    pub parties: u32,
    /// SHA-256 of the release request it verified, hex.
    pub request_digest: String,
    /// The encrypted noise, base64.
    pub noise: String,
}

/// The second round of a release: every keyholder's noise, in index order.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecryptRequest {
    /// The request every keyholder verified in the first round.
    pub request_digest: String,
    /// Each keyholder's encrypted noise (base64), index `i` at position `i`.
    pub noises: Vec<String>,
}

/// A keyholder's partial decryption of a verified, noised job.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DecryptResponse {
    /// The job.
    pub job_id: u64,
    /// The campaign.
    pub campaign_id: u64,
    /// Contributions covered.
    pub records: u64,
    /// ε spent by this release, in millionths.
    pub epsilon_micro: u64,
    /// The mechanism: `discrete_laplace`, `discrete_gaussian`, or
    /// `disabled` under the test-only setting.
    pub noise: String,
    /// δ spent by this release (absent: 0, the Laplace).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub delta: f64,
    /// ρ of this release's zCDP (absent: 0, the Laplace).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub rho: f64,
    /// Per value: its key and this keyholder's noise scale and bound.
    pub values: Vec<NoiseShare>,
    /// This keyholder's partial decryption of the noised values.
    pub partial: PartialDecryption,
    /// When the keyholder answered.
    pub released_at: DateTime<Utc>,
    /// The campaign's ε spent at this keyholder after this release, in millionths.
    pub budget_spent_micro: u64,
    /// The campaign's total ε, in millionths.
    pub budget_total_micro: u64,
    /// SHA-256 of the release request.
    pub request_digest: String,
    /// This keyholder's signature over its
    /// [`protocol::signing::ReleaseStatement`] ([`SignedShare::statement`]).
    pub signature: KeyholderSignature,
}

impl DecryptResponse {
    /// This keyholder's signed share, as a buyer checks it.
    pub fn signed_share(&self) -> SignedShare {
        SignedShare {
            partial: self.partial.clone(),
            values: self.values.clone(),
            signature: self.signature.clone(),
        }
    }
}

/// What the server sends to have a job's aggregate released.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReleaseRequest {
    /// The statistics the job computed.
    pub statistics: Vec<Statistic>,
    /// The buyer the release is for (logged).
    pub requested_by: i64,
    /// Privacy budget to spend, in millionths of ε.
    pub epsilon_micro: u64,
    /// How ε is split over the values (by kind; absent: evenly). Part of
    /// the request the keyholders verify and sign.
    #[serde(default, skip_serializing_if = "Weights::is_even")]
    pub weights: Weights,
    /// The manifest: the job's shards in order, each with its contributions
    /// in the order the workers folded them. The keyholder checks every
    /// contribution and re-executes the aggregation from these bytes.
    pub shards: Vec<ManifestShard>,
    /// The job's final aggregate (a serialized partial: the shards' partials
    /// merged left to right), base64.
    pub aggregate: String,
}

impl ReleaseRequest {
    /// Every contribution of the manifest, shard after shard.
    pub fn contributions(&self) -> impl Iterator<Item = &ManifestEntry> {
        self.shards.iter().flat_map(|s| s.contributions.iter())
    }
}

/// One shard of a job's manifest.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManifestShard {
    /// The shard's contributions, in folding order.
    pub contributions: Vec<ManifestEntry>,
}

/// One contribution of a job's manifest.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManifestEntry {
    /// SHA-256 of the ciphertext bytes as accepted, hex.
    pub digest: String,
    /// The proven ciphertext list as accepted, base64.
    pub ciphertext: String,
    /// Its attestation's nullifier (32-byte field element), hex.
    pub nullifier: String,
    /// The registry root its attestation proves membership under, hex.
    pub root: String,
    /// The Groth16 attestation proof, base64.
    pub proof: String,
    /// The reward note's key the attestation binds (with the digest):
    /// a 32-byte field element, hex.
    pub note_key: String,
    /// The tier of the registry leaf the attestation proves membership
    /// through (the campaign's eligibility).
    pub tier: protocol::attestation::Tier,
}

/// The keyholders' combined answer: noised values in plan order.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReleaseResponse {
    /// The job.
    pub job_id: u64,
    /// The campaign.
    pub campaign_id: u64,
    /// Contributions covered.
    pub records: u64,
    /// ε spent by this release, in millionths.
    pub epsilon_micro: u64,
    /// The mechanism: `discrete_laplace`, `discrete_gaussian`, or
    /// `disabled` under the test-only setting.
    pub noise: String,
    /// δ spent by this release (absent: 0, the Laplace).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub delta: f64,
    /// ρ of this release's zCDP (absent: 0, the Laplace).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub rho: f64,
    /// The released values.
    pub values: Vec<Released>,
    /// When the keyholder released them.
    pub released_at: DateTime<Utc>,
    /// The campaign's ε spent after this release, in millionths.
    pub budget_spent_micro: u64,
    /// The campaign's total ε, in millionths.
    pub budget_total_micro: u64,
    /// SHA-256 of the request (a repeated job id must repeat the request).
    pub request_digest: String,
    /// How many keyholders took part (each verified the job and added its
    /// own noise).
    #[serde(default = "one")]
    pub keyholders: u32,
    /// Every keyholder's signed partial decryption: a buyer recombines them
    /// and checks the signatures ([`ReleaseProof::verify`]).
    pub proof: ReleaseProof,
}

fn one() -> u32 {
    1
}

pub use protocol::report::Released;
