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
use protocol::json_i128;
use protocol::schema::RawSchema;
use protocol::Statistic;
use serde::{Deserialize, Serialize};

pub use client::{CallError, CampaignMaterial, KeyholderClient, Keyholders};

/// Request to generate a campaign's keys.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeysRequest {
    /// The campaign's schema (sizes the CRS).
    pub schema: RawSchema,
    /// What the campaign may release; recorded with the keys.
    pub terms: KeyTerms,
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
    /// The schema version contributions' zk-pok proofs bind to.
    #[serde(default = "first_schema_version")]
    pub schema_version: u32,
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
    /// SHA-256 of the public key bytes, hex.
    pub key_fingerprint: String,
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
}

/// The keyholder's answer: noised values in plan order.
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
    /// `discrete_laplace`, or `disabled` under the test-only setting.
    pub noise: String,
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
}

/// One released aggregate: its key and noised value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Released {
    /// The aggregate's key, e.g. `"sum:age"`, `"sum_of_squares:age"`,
    /// `"product:age:income"`, `"count:mode:car"`, `"out_of_range:age"`.
    pub key: String,
    /// The noised integer value (may be negative after noise).
    #[serde(with = "json_i128")]
    pub value: i128,
    /// The discrete Laplace scale used (num/den as `f64`, for display);
    /// 0 when noise is disabled.
    pub noise_scale: f64,
    /// 99% bound on the absolute noise.
    pub noise_bound_99: f64,
}
