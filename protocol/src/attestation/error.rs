//! The error type of the attestation module: decoding, Merkle tree and proof failures.

use thiserror::Error;

/// Everything that can go wrong while building, encoding, decoding or checking an attestation.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum AttestationError {
    /// The proof bytes are not exactly one compressed Groth16 proof over BN254 with valid
    /// curve points (on the curve, in the prime-order subgroup), or have trailing bytes.
    #[error("malformed proof: {0}")]
    MalformedProof(String),
    /// The key bytes are not a valid compressed Groth16 key over BN254, have trailing bytes,
    /// or describe a circuit with the wrong number of public inputs.
    #[error("malformed key: {0}")]
    MalformedKey(String),
    /// A field element is not exactly 32 bytes of canonical little-endian encoding
    /// (value below the BN254 scalar field modulus).
    #[error("field element is not 32 canonical little-endian bytes")]
    NonCanonicalField,
    /// A hex string is not valid hex.
    #[error("invalid hex encoding")]
    InvalidHex,
    /// A Merkle path does not have exactly `TREE_DEPTH` siblings.
    #[error("Merkle path has {got} siblings, expected {expected}")]
    MalformedPath {
        /// Number of siblings received.
        got: usize,
        /// Number of siblings the tree depth requires.
        expected: usize,
    },
    /// The verifier received a number of public inputs other than `PUBLIC_INPUTS`.
    #[error("wrong number of public inputs: got {got}, expected {expected}")]
    WrongPublicInputCount {
        /// Number of public inputs received.
        got: usize,
        /// Number of public inputs the circuit has.
        expected: usize,
    },
    /// The proof is well-formed but does not verify against the verifying key and public inputs.
    #[error("proof does not verify")]
    InvalidProof,
    /// The leaf index is not a leaf of the tree (beyond its current size or its capacity).
    #[error("leaf index {index} is out of range")]
    PathOutOfRange {
        /// The requested leaf index.
        index: u64,
    },
    /// The tree already holds `2^TREE_DEPTH` leaves.
    #[error("Merkle tree is full")]
    TreeFull,
    /// The witness does not satisfy the attestation circuit; no proof was produced.
    #[error("witness does not satisfy the attestation circuit")]
    Unsatisfied,
    /// A claim of reward notes breaks a rule outside the circuit: no notes or more than
    /// `CLAIM_ARITY`, paths to different roots, an overflowing total, or a nullifier twice.
    #[error("bad claim: {0}")]
    BadClaim(String),
    /// Constraint synthesis or the Groth16 prover/verifier failed internally.
    #[error("constraint synthesis failed: {0}")]
    Synthesis(String),
}
