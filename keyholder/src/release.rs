//! Releasing a job's values: the keyholder's policy, with no HTTP in it.
//!
//! A release takes two rounds, each keyholder answering on its own.
//!
//! **Round 1, [`prepare`]** (`…/releases/{job}/noise`). The keyholder checks,
//! in this order: the campaign is registered and has terms; a repeated
//! request for the same job is answered from the stored state (nothing
//! verified or drawn again); the campaign is not frozen; the statistics are
//! among the campaign's; the job covers at least `min_contributors` distinct
//! contributions; the remaining privacy budget covers the ε asked for; the
//! aggregate parses as the partial of exactly this plan over exactly that
//! many contributions; the job itself verifies ([`crate::verify`]: every
//! contribution's digest and zk-pok proof, the aggregation re-executed and
//! equal byte for byte). Then it draws its own noise for every value, from
//! the mechanism [`mechanism::choose`] picks for the report: discrete
//! Laplace (ε split over the values by their budget weights, each
//! calibrated to its sensitivity) or, when the campaign's terms promise a
//! δ and that is more accurate, discrete Gaussian (the report's ρ-zCDP for
//! its share of ε and δ, split the same way); clamped at a bound exceeded
//! with probability below 2⁻⁶⁴,
//! encrypts it as a proven list bound to the campaign, the job and its share
//! index, stores the verified aggregate and the noise durably, and answers
//! the encrypted noise.
//!
//! **Round 2, [`decrypt`]** (`…/releases/{job}/decrypt`): every keyholder's
//! encrypted noise, in share order. The keyholder checks that it prepared
//! this very request, that its own noise is there unchanged and that every
//! other noise is a valid proven list for that keyholder and job; that the
//! budget still covers ε. It adds all the noises to the aggregate it
//! verified, propagates carries and squashes (deterministic: every
//! keyholder gets the same ciphertexts), records the spent ε durably,
//! writes the decryption-log entry durably (fail closed), and answers its
//! partial decryption with fresh flooding — once per job: a repeated
//! request is answered from the stored answer. Refusals of either round are
//! logged too.
//!
//! Because each keyholder's own full-scale noise is in every value it helps
//! decrypt, the released values are ε-differentially private even if every
//! other keyholder and the server collude on theirs (ε-DP under Laplace,
//! (ε, δ)-DP under the Gaussian); the accuracy cost is one noise per
//! keyholder (variance × n).

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chrono::Utc;
use fhe_compute::keys::{from_bytes, PublicMaterial};
use fhe_compute::stats::{Partial, StatsPlan};
use fhe_compute::threshold::proof::{ReleaseHeader, SignedShare};
use fhe_compute::threshold::{
    encrypt_noise, noise_metadata, noised_blocks, partial_decrypt, verify_noise,
};
use keyholder_api::{DecryptRequest, DecryptResponse, NoiseResponse, NoiseShare, ReleaseRequest};
use protocol::epsilon::epsilon_f64;
use protocol::report::mechanism::{self, Mechanism};
use protocol::signing::{sign, KeyholderSignature, SigningKey};
use protocol::{CampaignSchema, Statistic};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::deal::SQUASH_KEY_LIMIT;
use crate::noise::{self, Scale};
use crate::registry::Eligibility;
use crate::store::{KeyStore, StoreError};
use crate::terms::CampaignTerms;
use crate::verify;

/// Why the keyholder refuses a release (each a stable code, logged).
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    /// The keyholder has no keys for the campaign.
    #[error("no keys for campaign {0}")]
    NoCampaignKeys(u64),
    /// The campaign's keys carry no release terms.
    #[error("campaign {0} has no recorded release terms")]
    TermsUnknown(u64),
    /// The job was released before, for a different request.
    #[error("job {0} was already released for a different request")]
    ReleaseConflict(u64),
    /// The job asks for statistics outside the campaign's terms.
    #[error("the job asks for statistics the campaign does not release{0}")]
    StatisticsNotInTerms(String),
    /// The manifest is not a list of distinct digests.
    #[error("the manifest must list distinct contribution digests (64 hex characters)")]
    InvalidManifest,
    /// Fewer distinct contributions than the campaign's threshold.
    #[error(
        "the job covers {records} contributions; the campaign releases only over at least {min}"
    )]
    BelowMinContributors {
        /// Distinct contributions listed.
        records: u64,
        /// The campaign's threshold.
        min: u64,
    },
    /// A release must spend some ε.
    #[error("a release must spend ε > 0")]
    InvalidEpsilon,
    /// The campaign's privacy budget does not cover the release.
    #[error("the campaign's privacy budget is ε = {total}, {spent} already spent; this release asks for {asked}")]
    BudgetExhausted {
        /// Total ε.
        total: f64,
        /// ε already spent.
        spent: f64,
        /// ε asked for.
        asked: f64,
    },
    /// The budget weights name an unknown kind, a kind the report does not
    /// release, or a weight out of range.
    #[error("invalid budget weights: {0}")]
    InvalidWeights(String),
    /// The statistics need no encrypted aggregate.
    #[error("these statistics need no encrypted aggregate")]
    NothingToDecrypt,
    /// What was sent is not this job's aggregate.
    #[error("refusing to decrypt: {0}")]
    NotAJobAggregate(String),
    /// A manifest digest is not the SHA-256 of the bytes sent with it.
    #[error("the manifest's digest {0} is not the SHA-256 of its ciphertext")]
    DigestMismatch(String),
    /// A contribution of the manifest is not a valid proven list of this campaign.
    #[error("{0}")]
    ContributionInvalid(String),
    /// The aggregate is not the fold of the manifest's contributions.
    #[error("the aggregate is not the aggregation of the manifest's contributions")]
    AggregateMismatch,
    /// Round 2 for a request this keyholder did not verify in round 1.
    #[error("job {0} was not prepared here (its noise round comes first)")]
    NotPrepared(u64),
    /// The noises of round 2 are not every keyholder's valid noise.
    #[error("{0}")]
    NoiseInvalid(String),
    /// A contribution's Groth16 attestation does not verify for its
    /// campaign, digest and note-key binding.
    #[error("{0}")]
    AttestationInvalid(String),
    /// A contribution's attestation names a registry root this keyholder
    /// never computed from the leaves it was pushed.
    #[error("{0}")]
    UnknownRoot(String),
    /// Two contributions of the manifest carry the same nullifier (one
    /// identity counted twice).
    #[error("{0}")]
    NullifierReused(String),
    /// An earlier release of the campaign failed verification.
    #[error("campaign {campaign} is frozen at this keyholder since job {job}'s aggregate did not match its contributions; an operator must investigate and clear it")]
    CampaignFrozen {
        /// The campaign.
        campaign: u64,
        /// The job whose aggregate did not match.
        job: u64,
    },
}

impl Refusal {
    /// The stable code, in the decryption log and the error body.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NoCampaignKeys(_) => "no_campaign_keys",
            Self::TermsUnknown(_) => "campaign_terms_unknown",
            Self::ReleaseConflict(_) => "release_conflict",
            Self::StatisticsNotInTerms(_) => "statistics_not_in_terms",
            Self::InvalidManifest => "invalid_manifest",
            Self::BelowMinContributors { .. } => "below_min_contributors",
            Self::InvalidEpsilon => "invalid_epsilon",
            Self::InvalidWeights(_) => "invalid_weights",
            Self::BudgetExhausted { .. } => "privacy_budget_exhausted",
            Self::NothingToDecrypt => "nothing_to_decrypt",
            Self::NotAJobAggregate(_) => "not_a_job_aggregate",
            Self::DigestMismatch(_) => "digest_mismatch",
            Self::ContributionInvalid(_) => "contribution_invalid",
            Self::AggregateMismatch => "aggregate_mismatch",
            Self::CampaignFrozen { .. } => "campaign_frozen",
            Self::NotPrepared(_) => "not_prepared",
            Self::NoiseInvalid(_) => "noise_invalid",
            Self::AttestationInvalid(_) => "attestation_invalid",
            Self::UnknownRoot(_) => "unknown_root",
            Self::NullifierReused(_) => "nullifier_reused",
        }
    }
}

/// A release that did not happen.
#[derive(Debug, thiserror::Error)]
pub enum ReleaseError {
    /// Refused by the policy (final for this request).
    #[error(transparent)]
    Refused(#[from] Refusal),
    /// The keyholder failed (storage, keys); nothing was answered.
    #[error("release failed: {0}")]
    Failed(String),
}

impl From<StoreError> for ReleaseError {
    fn from(e: StoreError) -> Self {
        Self::Failed(e.to_string())
    }
}

/// A failure of the keyholder itself (not a refusal), from any error.
pub(crate) fn failed(e: impl std::fmt::Display) -> ReleaseError {
    ReleaseError::Failed(e.to_string())
}

/// Probability bound reported with each value: |total noise| ≤ bound with 99%.
const BOUND_DELTA_INV: u64 = 100;

fn scale_f64(s: Scale) -> f64 {
    s.num as f64 / s.den as f64
}

/// Whether releases carry differential-privacy noise. `Disabled` exists only
/// in builds with the `test-only-no-noise` feature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoiseMode {
    /// Exact noise on every value, discrete Laplace or discrete Gaussian
    /// ([`mechanism::choose`]; always, in production).
    Exact,
    /// TEST-ONLY: exact values.
    #[cfg(feature = "test-only-no-noise")]
    Disabled,
}

impl NoiseMode {
    /// What a release under `mechanism` reports as its noise.
    fn name(self, mechanism: Mechanism) -> &'static str {
        match self {
            Self::Exact => mechanism.name(),
            #[cfg(feature = "test-only-no-noise")]
            Self::Disabled => "disabled",
        }
    }
}

/// One value's noise distribution.
enum Draw {
    Laplace(Scale),
    Gaussian(noise::Sigma2),
}

impl Draw {
    fn sample(&self, rng: &mut rand::rngs::OsRng) -> i128 {
        match self {
            Self::Laplace(scale) => noise::discrete_laplace(rng, *scale),
            Self::Gaussian(sigma2) => noise::discrete_gaussian(rng, sigma2),
        }
    }
}

/// What round 1 verified and drew, kept for round 2 (`prepared.json`).
#[derive(Debug, Serialize, Deserialize)]
struct Prepared {
    request_digest: String,
    statistics: Vec<Statistic>,
    requested_by: i64,
    epsilon_micro: u64,
    records: u64,
    /// Blocks of each noised value.
    blocks: Vec<u32>,
    values: Vec<NoiseShare>,
    /// The mechanism drawn from, and what it spends beyond ε (absent in
    /// state prepared before the Gaussian existed: the Laplace).
    #[serde(default)]
    mechanism: Mechanism,
    #[serde(default)]
    delta: f64,
    #[serde(default)]
    rho: f64,
}

/// Appends a refusal to the decryption log (best effort: a refusal
/// releases nothing).
fn log_refusal(store: &KeyStore, entry: serde_json::Value, r: &Refusal) {
    let mut entry = entry;
    entry["outcome"] = "refused".into();
    entry["reason"] = r.code().into();
    if let Err(e) = store.log(&entry) {
        tracing::error!("decryption log: {e}");
    }
}

fn log_entry(campaign: u64, job: u64, round: &str) -> serde_json::Value {
    serde_json::json!({
        "at": Utc::now(),
        "campaign": campaign,
        "job": job,
        "round": round,
        "caller": "server",
        "epsilon_micro": 0,
    })
}

/// Round 1 for `job` of `campaign` (see the module documentation).
pub fn prepare(
    store: &KeyStore,
    eligibility: &Eligibility,
    campaign: u64,
    job: u64,
    req: &ReleaseRequest,
    mode: NoiseMode,
) -> Result<NoiseResponse, ReleaseError> {
    let result = prepare_inner(store, eligibility, campaign, job, req, mode);
    if let Err(ReleaseError::Refused(r)) = &result {
        let mut entry = log_entry(campaign, job, "noise");
        entry["requested_by"] = req.requested_by.into();
        entry["statistics"] = serde_json::json!(req.statistics);
        entry["records"] = req.contributions().count().into();
        log_refusal(store, entry, r);
    }
    result
}

/// The campaign's terms, refusing a campaign that is not registered.
fn campaign_terms(store: &KeyStore, campaign: u64) -> Result<CampaignTerms, ReleaseError> {
    if !store.has(campaign) {
        return Err(Refusal::NoCampaignKeys(campaign).into());
    }
    Ok(store
        .terms(campaign)?
        .ok_or(Refusal::TermsUnknown(campaign))?)
}

fn check_budget(
    store: &KeyStore,
    campaign: u64,
    terms: &CampaignTerms,
    eps: u64,
) -> Result<u64, ReleaseError> {
    let spent = store.spent(campaign)?;
    let after = spent.saturating_add(eps);
    if after > terms.epsilon_micro {
        return Err(Refusal::BudgetExhausted {
            total: epsilon_f64(terms.epsilon_micro),
            spent: epsilon_f64(spent),
            asked: epsilon_f64(eps),
        }
        .into());
    }
    Ok(after)
}

fn plan_of(terms: &CampaignTerms, statistics: &[Statistic]) -> Result<StatsPlan, ReleaseError> {
    let schema = CampaignSchema::parse(terms.schema.clone()).map_err(failed)?;
    StatsPlan::new(&schema, statistics, terms.max_contributions)
        .map_err(|e| Refusal::StatisticsNotInTerms(format!(": {e}")).into())
}

fn key_fingerprint(store: &KeyStore) -> Result<[u8; 32], ReleaseError> {
    Ok(Sha256::digest(store.keyset_file("public_key.bin")?).into())
}

fn prepare_inner(
    store: &KeyStore,
    eligibility: &Eligibility,
    campaign: u64,
    job: u64,
    req: &ReleaseRequest,
    mode: NoiseMode,
) -> Result<NoiseResponse, ReleaseError> {
    let digest = hex::encode(Sha256::digest(serde_json::to_vec(req).map_err(failed)?));
    let terms = campaign_terms(store, campaign)?;
    let info = store.keyset()?.ok_or(StoreError::NoKeySet)?;
    if let Some((prepared, _, noise)) = store.prepared(campaign, job)? {
        let prepared: Prepared = serde_json::from_slice(&prepared).map_err(failed)?;
        if prepared.request_digest != digest {
            return Err(Refusal::ReleaseConflict(job).into());
        }
        return Ok(NoiseResponse {
            index: info.index,
            parties: info.parties,
            request_digest: digest,
            noise: STANDARD.encode(noise),
        });
    }
    if let Some(job) = store.frozen(campaign)? {
        return Err(Refusal::CampaignFrozen { campaign, job }.into());
    }
    if req.statistics.is_empty() || req.statistics.iter().any(|s| !terms.statistics.contains(s)) {
        return Err(Refusal::StatisticsNotInTerms(String::new()).into());
    }
    let records = verify::manifest_digests(req)?;
    if records < terms.min_contributors {
        return Err(Refusal::BelowMinContributors {
            records,
            min: terms.min_contributors,
        }
        .into());
    }
    if req.epsilon_micro == 0 {
        return Err(Refusal::InvalidEpsilon.into());
    }
    check_budget(store, campaign, &terms, req.epsilon_micro)?;
    let plan = plan_of(&terms, &req.statistics)?;
    if plan.aggregates.is_empty() {
        return Err(Refusal::NothingToDecrypt.into());
    }
    let keys = plan.keys();
    req.weights
        .check(keys.iter().map(String::as_str))
        .map_err(|e| Refusal::InvalidWeights(e.to_string()))?;
    let (weights, total) = req.weights.split(keys.iter().map(String::as_str));
    let bytes = STANDARD
        .decode(&req.aggregate)
        .map_err(|_| Refusal::NotAJobAggregate("the aggregate is not base64".into()))?;
    let partial =
        Partial::from_bytes(&bytes, &plan).map_err(|e| Refusal::NotAJobAggregate(e.to_string()))?;
    if partial.records != records {
        return Err(Refusal::NotAJobAggregate(format!(
            "the aggregate folds {} contributions, the manifest lists {records}",
            partial.records
        ))
        .into());
    }
    // The expensive part: every contribution checked, the aggregation
    // re-executed and compared byte for byte. A mismatch freezes the
    // campaign.
    match verify::verify_job(store, eligibility, campaign, &terms, &plan, req, &bytes) {
        Err(ReleaseError::Refused(Refusal::AggregateMismatch)) => {
            store.freeze(campaign, job)?;
            return Err(Refusal::AggregateMismatch.into());
        }
        other => other?,
    };
    // The mechanism for this report: the discrete Gaussian when the
    // campaign promises a δ and that gives the smaller error, else the
    // discrete Laplace (a deterministic function of public figures: the
    // server's estimate reaches the same choice).
    let sensitivities: Vec<(u128, u32)> = plan
        .aggregates
        .iter()
        .zip(&weights)
        .map(|(a, w)| (a.sensitivity, *w))
        .collect();
    let delta = mechanism::report_delta(terms.delta, terms.epsilon_micro, req.epsilon_micro);
    let choice = mechanism::choose(
        &sensitivities,
        total,
        epsilon_f64(req.epsilon_micro),
        delta,
        info.parties,
    );
    // This keyholder's own noise, full scale, for every value: ε (or ρ)
    // split by the budget weights (evenly without). Each draw is clamped at
    // a bound it exceeds with probability below 2⁻⁶⁴, so the noise fits the
    // blocks the other keyholders check for.
    let mut rng = rand::rngs::OsRng;
    let mut noise = Vec::with_capacity(plan.aggregates.len());
    let mut values = Vec::with_capacity(plan.aggregates.len());
    for (spec, weight) in plan.aggregates.iter().zip(&weights) {
        let (draw, clamp, noise_scale, bound) = match choice.mechanism {
            Mechanism::DiscreteLaplace => {
                let scale = noise::weighted_laplace_scale(
                    spec.sensitivity,
                    *weight,
                    total,
                    req.epsilon_micro,
                )
                .map_err(failed)?;
                (
                    Draw::Laplace(scale),
                    noise::tail_bound(scale, u64::MAX),
                    scale_f64(scale),
                    noise::tail_bound(scale, BOUND_DELTA_INV * u64::from(info.parties)) as f64,
                )
            }
            Mechanism::DiscreteGaussian => {
                let sigma2 = noise::gaussian_sigma2(spec.sensitivity, *weight, total, choice.rho)
                    .map_err(failed)?;
                let clamp = noise::gaussian_tail_bound(&sigma2, u64::MAX);
                let sigma = noise::sigma2_f64(&sigma2).sqrt();
                // This keyholder's 1/n of the sum's subgaussian bound.
                let bound =
                    mechanism::gaussian_error_bound(sigma, info.parties, BOUND_DELTA_INV as f64)
                        / f64::from(info.parties);
                (Draw::Gaussian(sigma2), clamp, sigma, bound)
            }
        };
        let blocks = noised_blocks(spec.blocks, info.parties, clamp).map_err(failed)?;
        let clamp = i128::try_from(clamp).map_err(failed)?;
        let (eta, noise_scale, bound) = match mode {
            NoiseMode::Exact => (
                draw.sample(&mut rng).clamp(-clamp, clamp),
                noise_scale,
                bound,
            ),
            #[cfg(feature = "test-only-no-noise")]
            NoiseMode::Disabled => (0, 0.0, 0.0),
        };
        noise.push((eta, blocks));
        values.push(NoiseShare {
            key: spec.kind.key(),
            noise_scale,
            noise_bound_99: bound,
        });
    }
    let fingerprint = key_fingerprint(store)?;
    let public = PublicMaterial {
        public_key: store.keyset_file("public_key.bin")?,
        crs: store.keyset_file("noise_crs.bin")?,
    };
    let encrypted = encrypt_noise(
        &noise,
        &public.public_key().map_err(failed)?,
        &public.crs().map_err(failed)?,
        &noise_metadata(campaign, job, info.index, &fingerprint),
    )
    .map_err(failed)?;
    let prepared = Prepared {
        request_digest: digest.clone(),
        statistics: req.statistics.clone(),
        requested_by: req.requested_by,
        epsilon_micro: req.epsilon_micro,
        records,
        blocks: noise.iter().map(|(_, b)| *b).collect(),
        values,
        mechanism: choice.mechanism,
        delta: choice.delta,
        rho: choice.rho,
    };
    store.put_prepared(
        campaign,
        job,
        &serde_json::to_vec(&prepared).map_err(failed)?,
        &bytes,
        &encrypted,
    )?;
    Ok(NoiseResponse {
        index: info.index,
        parties: info.parties,
        request_digest: digest,
        noise: STANDARD.encode(encrypted),
    })
}

/// Round 2 for `job` of `campaign` (see the module documentation).
pub fn decrypt(
    store: &KeyStore,
    campaign: u64,
    job: u64,
    req: &DecryptRequest,
    mode: NoiseMode,
    signing: &SigningKey,
) -> Result<DecryptResponse, ReleaseError> {
    let result = decrypt_inner(store, campaign, job, req, mode, signing);
    if let Err(ReleaseError::Refused(r)) = &result {
        log_refusal(store, log_entry(campaign, job, "decrypt"), r);
    }
    result
}

fn decrypt_inner(
    store: &KeyStore,
    campaign: u64,
    job: u64,
    req: &DecryptRequest,
    mode: NoiseMode,
    signing: &SigningKey,
) -> Result<DecryptResponse, ReleaseError> {
    let terms = campaign_terms(store, campaign)?;
    if let Some(stored) = store.release(campaign, job)? {
        let stored: DecryptResponse = serde_json::from_slice(&stored).map_err(failed)?;
        if stored.request_digest != req.request_digest {
            return Err(Refusal::ReleaseConflict(job).into());
        }
        return Ok(stored);
    }
    if let Some(job) = store.frozen(campaign)? {
        return Err(Refusal::CampaignFrozen { campaign, job }.into());
    }
    let (prepared, aggregate, own_noise) = store
        .prepared(campaign, job)?
        .ok_or(Refusal::NotPrepared(job))?;
    let prepared: Prepared = serde_json::from_slice(&prepared).map_err(failed)?;
    if prepared.request_digest != req.request_digest {
        return Err(Refusal::ReleaseConflict(job).into());
    }
    let info = store.keyset()?.ok_or(StoreError::NoKeySet)?;
    if req.noises.len() != info.parties as usize {
        return Err(Refusal::NoiseInvalid(format!(
            "{} noises for {} keyholders",
            req.noises.len(),
            info.parties
        ))
        .into());
    }
    let fingerprint = key_fingerprint(store)?;
    let public = PublicMaterial {
        public_key: store.keyset_file("public_key.bin")?,
        crs: store.keyset_file("noise_crs.bin")?,
    };
    let (public_key, noise_crs) = (
        public.public_key().map_err(failed)?,
        public.crs().map_err(failed)?,
    );
    let mut noises = Vec::with_capacity(req.noises.len());
    for (j, b64) in req.noises.iter().enumerate() {
        let bytes = STANDARD
            .decode(b64)
            .map_err(|_| Refusal::NoiseInvalid(format!("keyholder {j}'s noise is not base64")))?;
        if j == info.index as usize {
            if bytes != own_noise {
                return Err(Refusal::NoiseInvalid(
                    "this keyholder's own noise is missing or changed".into(),
                )
                .into());
            }
        } else {
            let index = u32::try_from(j).map_err(failed)?;
            verify_noise(
                &bytes,
                &prepared.blocks,
                &public_key,
                &noise_crs,
                &noise_metadata(campaign, job, index, &fingerprint),
            )
            .map_err(|e| Refusal::NoiseInvalid(format!("keyholder {j}'s noise: {e}")))?;
        }
        noises.push(bytes);
    }
    let after = check_budget(store, campaign, &terms, prepared.epsilon_micro)?;
    let plan = plan_of(&terms, &prepared.statistics)?;
    let partial = Partial::from_bytes(&aggregate, &plan).map_err(failed)?;
    let backend = store.cpu_backend()?;
    let noised = backend
        .noised(&partial.values, &prepared.blocks, &noises)
        .map_err(failed)?;
    let squash_key: tfhe::integer::noise_squashing::CompressedNoiseSquashingKey = from_bytes(
        &store.keyset_file("squash_key.bin")?,
        SQUASH_KEY_LIMIT,
        "squashing key",
    )
    .map_err(failed)?;
    let squashed = backend
        .squash(&squash_key.decompress(), &noised)
        .map_err(failed)?;
    let share = store.share()?;
    let partial = partial_decrypt(&share, &squashed, &mut rand::rngs::OsRng).map_err(failed)?;
    // ε is spent durably first, then the release is logged durably; only
    // then is the answer stored and sent. A failure in between loses
    // budget but never answers a partial decryption that is not in the log.
    store.set_spent(campaign, after)?;
    let mut entry = log_entry(campaign, job, "decrypt");
    entry["outcome"] = "released".into();
    entry["reason"] = "".into();
    entry["requested_by"] = prepared.requested_by.into();
    entry["statistics"] = serde_json::json!(prepared.statistics);
    entry["records"] = prepared.records.into();
    entry["epsilon_micro"] = prepared.epsilon_micro.into();
    entry["mechanism"] = prepared.mechanism.name().into();
    entry["delta"] = prepared.delta.into();
    entry["rho"] = prepared.rho.into();
    entry["squashed_digest"] = partial.squashed_digest.clone().into();
    store.log(&entry)?;
    // Signed: the buyer recombines every keyholder's signed partial.
    let header = ReleaseHeader {
        campaign_id: campaign,
        job_id: job,
        request_digest: prepared.request_digest.clone(),
        records: prepared.records,
        epsilon_micro: prepared.epsilon_micro,
        mechanism: prepared.mechanism,
        delta: prepared.delta,
        rho: prepared.rho,
    };
    let mut signed = SignedShare {
        partial,
        values: prepared.values,
        signature: KeyholderSignature {
            key: String::new(),
            signature: String::new(),
        },
    };
    signed.signature = sign(signing, &signed.message(&header));
    let resp = DecryptResponse {
        job_id: job,
        campaign_id: campaign,
        records: prepared.records,
        epsilon_micro: prepared.epsilon_micro,
        noise: mode.name(prepared.mechanism).into(),
        delta: prepared.delta,
        rho: prepared.rho,
        values: signed.values,
        partial: signed.partial,
        released_at: Utc::now(),
        budget_spent_micro: after,
        budget_total_micro: terms.epsilon_micro,
        request_digest: prepared.request_digest,
        signature: signed.signature,
    };
    store.put_release(campaign, job, &serde_json::to_vec(&resp).map_err(failed)?)?;
    Ok(resp)
}
