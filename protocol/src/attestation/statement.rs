//! The public statement of an attestation: the five public inputs of the circuit.

use serde::{Deserialize, Serialize};

use super::field::serde_fr;
use super::{Fr, PUBLIC_INPUTS};

/// The public inputs of an attestation proof.
///
/// Serialized (serde) with field elements as 64-hex-char strings ([`super::fr_to_hex`])
/// and `campaign_id` as a number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicInputs {
    /// The registry (Merkle tree) root the contributor's commitment is a leaf of.
    #[serde(with = "serde_fr")]
    pub root: Fr,
    /// The per-campaign nullifier `H_nullifier(secret, campaign_id)`.
    #[serde(with = "serde_fr")]
    pub nullifier: Fr,
    /// The campaign contributed to.
    pub campaign_id: u64,
    /// `H_binding(digest_hi, digest_lo, note_key)`: ties the proof to one submission.
    #[serde(with = "serde_fr")]
    pub binding: Fr,
    /// The tier of the registry leaf the membership goes through.
    pub tier: super::Tier,
}

impl PublicInputs {
    /// The public inputs as the circuit sees them: exactly [`PUBLIC_INPUTS`] field elements,
    /// in the order `root`, `nullifier`, `campaign_id`, `binding`, `tier`.
    pub fn to_field_elements(&self) -> Vec<Fr> {
        let fields = vec![
            self.root,
            self.nullifier,
            Fr::from(self.campaign_id),
            self.binding,
            Fr::from(self.tier.as_u64()),
        ];
        debug_assert_eq!(fields.len(), PUBLIC_INPUTS);
        fields
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serde_round_trip() {
        let p = PublicInputs {
            root: Fr::from(1u64),
            nullifier: -Fr::from(2u64),
            campaign_id: u64::MAX,
            binding: Fr::from(3u64),
            tier: crate::attestation::Tier::Verified,
        };
        let json = serde_json::to_string(&p).unwrap();
        assert_eq!(serde_json::from_str::<PublicInputs>(&json).unwrap(), p);
        assert_eq!(p.to_field_elements().len(), PUBLIC_INPUTS);
        assert_eq!(p.to_field_elements()[2], Fr::from(u64::MAX));
    }
}
