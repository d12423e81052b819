//! Poseidon over BN254 (native and in-circuit), with the fixed, domain-separated hashes
//! the attestation and reward-note claims use.
//!
//! Parameters: width 3 (rate 2, capacity 1), alpha = 5, 8 full and 57 partial rounds,
//! round constants and MDS matrix generated deterministically by the Grain LFSR
//! (`find_poseidon_ark_and_mds`, no skipped matrices). Every hash has a fixed arity per
//! domain, and the domain tag is written into the capacity element before absorbing, so
//! hashes of different domains never collide and cost no extra permutation:
//! `H_d(x_1..x_n)` = sponge with `state[0] = d`, absorb `x_1..x_n`, squeeze one element.

use std::sync::OnceLock;

use ark_crypto_primitives::sponge::constraints::CryptographicSpongeVar;
use ark_crypto_primitives::sponge::poseidon::constraints::PoseidonSpongeVar;
use ark_crypto_primitives::sponge::poseidon::{
    find_poseidon_ark_and_mds, PoseidonConfig, PoseidonSponge,
};
use ark_crypto_primitives::sponge::{CryptographicSponge, FieldBasedCryptographicSponge};
use ark_ff::PrimeField;
use ark_r1cs_std::fields::{fp::FpVar, FieldVar};
use ark_relations::gr1cs::{ConstraintSystemRef, SynthesisError};

use super::Fr;

/// Sponge rate (field elements absorbed per permutation).
const RATE: usize = 2;
/// Sponge capacity; the domain tag lives in it.
const CAPACITY: usize = 1;
/// S-box exponent.
const ALPHA: u64 = 5;
/// Number of full rounds.
const FULL_ROUNDS: usize = 8;
/// Number of partial rounds (for width 3 over a 254-bit field).
const PARTIAL_ROUNDS: usize = 57;

/// The purpose of a hash; each has a fixed arity and its own tag in the capacity element.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Domain {
    /// Identity commitment (Merkle leaf): `H(secret)`.
    Commitment,
    /// Inner Merkle node: `H(left, right)`.
    MerkleNode,
    /// Per-campaign nullifier: `H(secret, campaign_id)`.
    Nullifier,
    /// Binding to a submission: `H(digest_hi, digest_lo, note_key)`.
    Binding,
    /// A reward note's secret, derived from the identity: `H(identity_secret, campaign_id)`.
    NoteSecret,
    /// A note's public key, bound by the attestation: `H(note_secret)`.
    NoteKey,
    /// A note commitment (leaf of the notes tree): `H(note_key, amount)`.
    Note,
    /// A note's nullifier, revealed when it is claimed: `H(note_secret)`.
    NoteNullifier,
    /// A registry leaf: `H(commitment, tier)`.
    Leaf,
}

impl Domain {
    /// The capacity-element tag of this domain.
    fn tag(self) -> Fr {
        Fr::from(match self {
            Domain::Commitment => 1u64,
            Domain::MerkleNode => 2,
            Domain::Nullifier => 3,
            Domain::Binding => 4,
            Domain::NoteSecret => 5,
            Domain::NoteKey => 6,
            Domain::Note => 7,
            Domain::NoteNullifier => 8,
            Domain::Leaf => 9,
        })
    }

    /// The number of inputs a hash of this domain takes.
    pub(crate) fn arity(self) -> usize {
        match self {
            Domain::Commitment | Domain::NoteKey | Domain::NoteNullifier => 1,
            Domain::MerkleNode
            | Domain::Nullifier
            | Domain::NoteSecret
            | Domain::Note
            | Domain::Leaf => 2,
            Domain::Binding => 3,
        }
    }
}

/// The Poseidon parameters, generated once per process.
pub(crate) fn config() -> &'static PoseidonConfig<Fr> {
    static CONFIG: OnceLock<PoseidonConfig<Fr>> = OnceLock::new();
    CONFIG.get_or_init(|| {
        let (ark, mds) = find_poseidon_ark_and_mds::<Fr>(
            u64::from(Fr::MODULUS_BIT_SIZE),
            RATE,
            FULL_ROUNDS as u64,
            PARTIAL_ROUNDS as u64,
            0,
        );
        PoseidonConfig::new(FULL_ROUNDS, PARTIAL_ROUNDS, ALPHA, mds, ark, RATE, CAPACITY)
    })
}

/// Native hash of `inputs` in `domain`.
///
/// Callers pass exactly `domain.arity()` inputs (checked in debug builds).
pub(crate) fn hash(domain: Domain, inputs: &[Fr]) -> Fr {
    debug_assert_eq!(inputs.len(), domain.arity());
    let mut sponge = PoseidonSponge::new(config());
    sponge.state[0] = domain.tag();
    sponge.absorb(&inputs);
    let out = sponge.squeeze_native_field_elements(1);
    // Unwrap safety: squeezing one element returns a vector of length one.
    out[0]
}

/// In-circuit hash of `inputs` in `domain`; equals [`hash`] on the same values.
pub(crate) fn hash_var(
    cs: ConstraintSystemRef<Fr>,
    domain: Domain,
    inputs: &[FpVar<Fr>],
) -> Result<FpVar<Fr>, SynthesisError> {
    debug_assert_eq!(inputs.len(), domain.arity());
    let mut sponge = PoseidonSpongeVar::new(cs, config());
    sponge.state[0] = FpVar::constant(domain.tag());
    sponge.absorb(&inputs)?;
    let mut out = sponge.squeeze_field_elements(1)?;
    out.pop().ok_or(SynthesisError::Unsatisfiable)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_r1cs_std::{alloc::AllocVar, GR1CSVar};
    use ark_relations::gr1cs::ConstraintSystem;

    const DOMAINS: [Domain; 9] = [
        Domain::Commitment,
        Domain::MerkleNode,
        Domain::Nullifier,
        Domain::Binding,
        Domain::NoteSecret,
        Domain::NoteKey,
        Domain::Note,
        Domain::NoteNullifier,
        Domain::Leaf,
    ];

    #[test]
    fn native_and_circuit_agree() {
        for domain in DOMAINS {
            let inputs: Vec<Fr> = (0..domain.arity())
                .map(|i| Fr::from(1000 + i as u64) * Fr::from(u64::MAX))
                .collect();
            let cs = ConstraintSystem::<Fr>::new_ref();
            let vars: Vec<FpVar<Fr>> = inputs
                .iter()
                .map(|x| FpVar::new_witness(cs.clone(), || Ok(*x)).unwrap())
                .collect();
            let out = hash_var(cs.clone(), domain, &vars).unwrap();
            assert_eq!(out.value().unwrap(), hash(domain, &inputs), "{domain:?}");
            assert!(cs.is_satisfied().unwrap());
        }
    }

    #[test]
    fn domains_separate() {
        let x = [Fr::from(7u64), Fr::from(9u64)];
        assert_ne!(hash(Domain::MerkleNode, &x), hash(Domain::Nullifier, &x));
        assert_ne!(
            hash(Domain::MerkleNode, &x),
            hash(Domain::MerkleNode, &[x[1], x[0]])
        );
        // A note's key and nullifier come from the same secret and must not be linkable.
        assert_ne!(
            hash(Domain::NoteKey, &x[..1]),
            hash(Domain::NoteNullifier, &x[..1])
        );
        assert_ne!(hash(Domain::NoteSecret, &x), hash(Domain::Nullifier, &x));
    }

    #[test]
    fn parameters_are_pinned() {
        // A known answer, so that an accidental change of parameters (which would
        // invalidate every registered commitment) fails loudly.
        let h = hash(Domain::Commitment, &[Fr::from(0u64)]);
        assert_eq!(
            super::super::fr_to_hex(&h),
            "9fbe7eca8ab83852a127b50d1deda11bef11466072f4bcd4ae55a009ca539a10"
        );
    }
}
