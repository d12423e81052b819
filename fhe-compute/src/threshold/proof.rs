//! A release's proof for buyers: every keyholder's partial decryption with
//! its Ed25519 signature. Whoever pins the keyholders' public keys checks
//! the signatures and recombines the partials ([`ReleaseProof::verify`]),
//! so a report's values need not be taken from the server on trust.

use protocol::report::mechanism::Mechanism;
use protocol::signing::{
    verify_one, KeyholderSignature, ReleaseStatement, SignatureError, SignedValue, VerifyingKey,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{combine, PartialDecryption, ThresholdError};

/// One value's noise as one keyholder added it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NoiseShare {
    /// The aggregate's key.
    pub key: String,
    /// This keyholder's noise scale: the discrete Laplace `b` or the
    /// discrete Gaussian `σ` ([`ReleaseHeader::mechanism`]); 0 when noise
    /// is disabled.
    pub noise_scale: f64,
    /// This keyholder's part of a 99% bound on the total noise: the bounds
    /// of the n keyholders add up to it (Laplace: each noise at level
    /// 1 − 1%/n, a union bound; Gaussian: 1/n of the sum's subgaussian
    /// bound).
    pub noise_bound_99: f64,
}

/// One keyholder's signed share of a release.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignedShare {
    /// Its partial decryption of the noised values.
    pub partial: PartialDecryption,
    /// Per value: its key and this keyholder's noise scale and bound.
    pub values: Vec<NoiseShare>,
    /// Its signature over [`SignedShare::statement`].
    pub signature: KeyholderSignature,
}

/// SHA-256 of a partial decryption's JSON.
pub fn partial_digest(partial: &PartialDecryption) -> [u8; 32] {
    Sha256::digest(serde_json::to_vec(partial).expect("a partial serializes")).into()
}

/// What a release is about, common to every keyholder's share.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReleaseHeader {
    /// The campaign.
    pub campaign_id: u64,
    /// The job (the report).
    pub job_id: u64,
    /// SHA-256 of the release request every keyholder verified (manifest,
    /// aggregate, statistics, ε), hex.
    pub request_digest: String,
    /// Contributions covered.
    pub records: u64,
    /// ε spent, in millionths.
    pub epsilon_micro: u64,
    /// The noise mechanism (absent: the discrete Laplace).
    #[serde(default, skip_serializing_if = "Mechanism::is_laplace")]
    pub mechanism: Mechanism,
    /// δ spent (absent: 0, the Laplace).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub delta: f64,
    /// ρ of the release's zCDP (absent: 0, the Laplace).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub rho: f64,
}

fn is_zero(x: &f64) -> bool {
    *x == 0.0
}

impl SignedShare {
    /// The statement this share's keyholder signs; `digest` is
    /// [`partial_digest`] of its partial.
    pub fn statement<'a>(
        &'a self,
        header: &'a ReleaseHeader,
        digest: &'a [u8; 32],
    ) -> ReleaseStatement<'a> {
        ReleaseStatement {
            campaign_id: header.campaign_id,
            job_id: header.job_id,
            request_digest: &header.request_digest,
            records: header.records,
            epsilon_micro: header.epsilon_micro,
            index: self.partial.index,
            parties: self.partial.parties,
            partial_digest: digest,
            values: self
                .values
                .iter()
                .map(|v| SignedValue {
                    key: &v.key,
                    noise_scale: v.noise_scale,
                    noise_bound_99: v.noise_bound_99,
                })
                .collect(),
            mechanism: header.mechanism,
            delta: header.delta,
            rho: header.rho,
        }
    }

    /// The signed bytes.
    pub fn message(&self, header: &ReleaseHeader) -> Vec<u8> {
        let digest = partial_digest(&self.partial);
        self.statement(header, &digest).message()
    }
}

/// Every keyholder's signed share of one release.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReleaseProof {
    /// What was released.
    #[serde(flatten)]
    pub header: ReleaseHeader,
    /// One signed share per keyholder.
    pub shares: Vec<SignedShare>,
}

/// A value a verified proof decrypts to.
#[derive(Debug, Clone, PartialEq)]
pub struct VerifiedValue {
    /// The aggregate's key.
    pub key: String,
    /// The noised value.
    pub value: i128,
    /// The sum of the keyholders' 99% bounds.
    pub noise_bound_99: f64,
}

/// Why a release proof does not verify.
#[derive(Debug, thiserror::Error)]
pub enum ProofError {
    /// A signature is missing or wrong.
    #[error(transparent)]
    Signature(#[from] SignatureError),
    /// The shares are not one per pinned keyholder.
    #[error("the proof has {shares} shares; {pinned} keyholders are pinned")]
    Shares {
        /// Shares in the proof.
        shares: usize,
        /// Keys pinned.
        pinned: usize,
    },
    /// The shares disagree on the values' keys.
    #[error("the keyholders' shares list different values")]
    Values,
    /// The partials do not combine.
    #[error(transparent)]
    Combine(#[from] ThresholdError),
}

impl ReleaseProof {
    /// Checks that every pinned keyholder signed exactly one share and that
    /// there is no other, then recombines the partial decryptions: the
    /// released values, in plan order.
    pub fn verify(&self, pinned: &[VerifyingKey]) -> Result<Vec<VerifiedValue>, ProofError> {
        if pinned.is_empty() {
            return Err(SignatureError::NothingPinned.into());
        }
        if self.shares.len() != pinned.len() {
            return Err(ProofError::Shares {
                shares: self.shares.len(),
                pinned: pinned.len(),
            });
        }
        for key in pinned {
            let name = hex::encode(key.as_bytes());
            let share = self
                .shares
                .iter()
                .find(|s| s.signature.key.eq_ignore_ascii_case(&name))
                .ok_or_else(|| SignatureError::Missing(name.clone()))?;
            verify_one(
                &share.message(&self.header),
                &share.signature.signature,
                key,
            )
            .map_err(|_| SignatureError::Invalid(name))?;
        }
        let first = &self.shares[0].values;
        if self.shares.iter().any(|s| {
            s.values.len() != first.len() || s.values.iter().zip(first).any(|(a, b)| a.key != b.key)
        }) {
            return Err(ProofError::Values);
        }
        let partials: Vec<PartialDecryption> =
            self.shares.iter().map(|s| s.partial.clone()).collect();
        let values = combine(&partials)?;
        if values.len() != first.len() {
            return Err(ProofError::Values);
        }
        Ok(values
            .into_iter()
            .enumerate()
            .map(|(k, value)| VerifiedValue {
                key: first[k].key.clone(),
                value,
                noise_bound_99: self.shares.iter().map(|s| s.values[k].noise_bound_99).sum(),
            })
            .collect())
    }
}
