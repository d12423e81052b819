//! The contributor's identity secret and the values derived from it: commitment,
//! per-campaign nullifier, and the binding to a submission and its reward note.

use std::fmt;

use ark_ff::PrimeField;
use ark_std::rand::{CryptoRng, RngCore};
use zeroize::Zeroize;

use super::poseidon::{hash, Domain};
use super::Fr;

/// Length in bytes of an [`IdentitySecret`].
pub const IDENTITY_SECRET_BYTES: usize = 32;

/// 32 random bytes kept on the contributor's device; reduced modulo the field order
/// into the `Fr` element the circuit uses.
///
/// `Debug` never prints the bytes, and dropping it overwrites them (copies
/// taken with [`IdentitySecret::to_bytes`] are the caller's to wipe).
#[derive(Clone)]
pub struct IdentitySecret([u8; IDENTITY_SECRET_BYTES]);

impl IdentitySecret {
    /// Wraps stored secret bytes.
    pub fn from_bytes(bytes: [u8; IDENTITY_SECRET_BYTES]) -> Self {
        Self(bytes)
    }

    /// Draws a fresh secret from a cryptographic rng.
    pub fn random<R: RngCore + CryptoRng + ?Sized>(rng: &mut R) -> Self {
        let mut bytes = [0u8; IDENTITY_SECRET_BYTES];
        rng.fill_bytes(&mut bytes);
        Self(bytes)
    }

    /// The secret bytes, to store on the device.
    pub fn to_bytes(&self) -> [u8; IDENTITY_SECRET_BYTES] {
        self.0
    }

    /// The secret as a field element (little-endian, reduced modulo the field order).
    pub(crate) fn to_field(&self) -> Fr {
        Fr::from_le_bytes_mod_order(&self.0)
    }
}

impl Drop for IdentitySecret {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl fmt::Debug for IdentitySecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("IdentitySecret(<redacted>)")
    }
}

/// An eligibility tier: which leaves of the contributor registry an identity
/// has. Every registered identity has an `Open` leaf; an account an admin
/// verified has a `Verified` leaf for the same commitment too. A campaign
/// names the tier it admits, and the attestation proves membership through
/// a leaf of that tier (a public input).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Tier {
    /// Any registered account.
    Open,
    /// Accounts an admin verified.
    Verified,
}

impl Tier {
    /// Both tiers.
    pub const ALL: [Tier; 2] = [Tier::Open, Tier::Verified];

    /// The tier as the circuit's public input.
    pub fn as_u64(self) -> u64 {
        match self {
            Tier::Open => 0,
            Tier::Verified => 1,
        }
    }

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Open => "open",
            Tier::Verified => "verified",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == s)
    }

    /// The tier of a public input, if it is one.
    pub fn from_field(x: Fr) -> Option<Self> {
        Self::ALL.into_iter().find(|t| Fr::from(t.as_u64()) == x)
    }
}

/// The registry leaf of a commitment in a tier: `H_leaf(commitment, tier)`.
/// The server computes it from the registered commitment (no secret needed).
pub fn registry_leaf(commitment: Fr, tier: Tier) -> Fr {
    hash(Domain::Leaf, &[commitment, Fr::from(tier.as_u64())])
}

/// The identity commitment registered in the contributor tree: `H_commit(secret)`.
pub fn commitment(secret: &IdentitySecret) -> Fr {
    commitment_of(secret.to_field())
}

pub(crate) fn commitment_of(secret: Fr) -> Fr {
    hash(Domain::Commitment, &[secret])
}

/// The per-campaign nullifier: `H_nullifier(secret, campaign_id)`. The same contributor
/// always produces the same nullifier for one campaign, and unlinkable ones across campaigns.
pub fn nullifier(secret: &IdentitySecret, campaign_id: u64) -> Fr {
    nullifier_of(secret.to_field(), campaign_id)
}

pub(crate) fn nullifier_of(secret: Fr, campaign_id: u64) -> Fr {
    hash(Domain::Nullifier, &[secret, Fr::from(campaign_id)])
}

/// Splits a 32-byte digest into its big-endian high and low 128-bit halves.
pub(crate) fn split_digest(digest: &[u8; 32]) -> (u128, u128) {
    let mut hi = [0u8; 16];
    let mut lo = [0u8; 16];
    hi.copy_from_slice(&digest[..16]);
    lo.copy_from_slice(&digest[16..]);
    (u128::from_be_bytes(hi), u128::from_be_bytes(lo))
}

/// The binding of a proof to one submission:
/// `H_binding(digest_hi, digest_lo, note_key)`, where `digest_hi`/`digest_lo` are the
/// big-endian 128-bit halves of the ciphertext digest and `note_key` is the reward
/// note's key ([`super::NoteSecret::key`]).
pub fn binding(ciphertext_digest: &[u8; 32], note_key: Fr) -> Fr {
    let (hi, lo) = split_digest(ciphertext_digest);
    binding_of(hi, lo, note_key)
}

pub(crate) fn binding_of(digest_hi: u128, digest_lo: u128, note_key: Fr) -> Fr {
    hash(
        Domain::Binding,
        &[Fr::from(digest_hi), Fr::from(digest_lo), note_key],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_redacts() {
        let s = IdentitySecret::from_bytes([0xab; 32]);
        let d = format!("{s:?}");
        assert!(!d.to_lowercase().contains("ab"), "{d}");
        assert!(d.contains("redacted"));
    }

    #[test]
    fn derived_values_depend_on_every_input() {
        let s = IdentitySecret::from_bytes([1; 32]);
        let t = IdentitySecret::from_bytes([2; 32]);
        assert_eq!(
            IdentitySecret::from_bytes(s.to_bytes()).to_bytes(),
            s.to_bytes()
        );
        assert_ne!(commitment(&s), commitment(&t));
        assert_ne!(nullifier(&s, 1), nullifier(&s, 2));
        assert_ne!(nullifier(&s, 1), nullifier(&t, 1));
        let mut d = [7u8; 32];
        let (k5, k6) = (Fr::from(5u64), Fr::from(6u64));
        let b = binding(&d, k5);
        assert_ne!(b, binding(&d, k6));
        d[0] ^= 1;
        assert_ne!(b, binding(&d, k5));
        d[0] ^= 1;
        d[31] ^= 1;
        assert_ne!(b, binding(&d, k5));
    }

    #[test]
    fn digest_split_is_big_endian() {
        let mut d = [0u8; 32];
        d[15] = 1;
        d[31] = 2;
        assert_eq!(split_digest(&d), (1, 2));
    }
}
