//! The contributor attestation: a Groth16 proof (BN254) that the submitter holds an
//! identity registered in the contributor tree, has not contributed to the campaign
//! before (nullifier), and binds the proof to one ciphertext and one reward note's key;
//! and the claim of reward notes ([`note`], [`claim`]): a second Groth16 proof that
//! spends up to four notes of the notes tree into a wallet without saying which.
//!
//! Randomness comes from the caller: every function that needs it is generic over
//! [`rand::RngCore`] + [`rand::CryptoRng`] from the `rand` re-exported here (rand 0.8,
//! `rand_core` 0.6, as used by arkworks 0.6), so this crate never needs OS randomness.

mod circuit;
pub mod claim;
mod error;
mod field;
mod identity;
mod merkle;
pub mod note;
mod poseidon;
mod snark;
mod statement;

/// The `rand` crate arkworks uses (0.8); name the rng traits through it.
pub use ark_std::rand;

pub use claim::{
    claim_constraint_count, claim_setup, prove_claim, verify_claim, verify_claim_raw,
    ClaimStatement, OwnedNote, CLAIM_CIRCUIT_VERSION, CLAIM_PUBLIC_INPUTS,
};
pub use error::AttestationError;
pub use field::{fr_from_bytes, fr_from_hex, fr_to_bytes, fr_to_hex, Fr, FR_BYTES};
pub use identity::{
    binding, commitment, nullifier, registry_leaf, IdentitySecret, Tier, IDENTITY_SECRET_BYTES,
};
pub use merkle::{empty_root, verify_path, MerklePath, MerkleTree, EMPTY_LEAF, MAX_LEAVES};
pub use note::{note_commitment, NoteSecret, CLAIM_ARITY};
pub use snark::{
    constraint_count, prove, setup, verify, verify_raw, Attestation, CircuitKind,
    CircuitProvingKey, CircuitVerifyingKey, Claim, ClaimProvingKey, ClaimVerifyingKey, Proof,
    ProvingKey, VerifyingKey, PROOF_BYTES,
};
pub use statement::PublicInputs;

/// Depth of the contributor and notes Merkle trees (up to `2^20` leaves each).
pub const TREE_DEPTH: usize = 20;

/// Version of the circuit; bump it whenever the constraints (and so the keys) change.
/// Version 2 binds a reward note's key where version 1 bound a payout account;
/// version 3 proves membership through a tiered leaf `H_leaf(commitment, tier)`.
pub const CIRCUIT_VERSION: u32 = 3;

/// Number of public inputs of the circuit: `root`, `nullifier`, `campaign_id`,
/// `binding`, `tier`.
pub const PUBLIC_INPUTS: usize = 5;
