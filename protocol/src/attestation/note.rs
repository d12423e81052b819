//! Reward notes: how a contribution is paid without naming the contributor.
//!
//! A submission's attestation binds a *note key* `H_key(s)` instead of a
//! payout account, where the note secret `s` is derived on the device from
//! the identity secret and the campaign (`H_secret(identity, campaign)`), so
//! the identity secret alone recovers every note. When the server accepts
//! the contribution it moves the reward into the platform's unclaimed
//! rewards account and appends the note commitment
//! `cm = H_note(note_key, amount)` — with the amount it actually paid — to the
//! notes tree. Commitments name no campaign and no account.
//!
//! Later the contributor claims: a Groth16 proof ([`super::claim`]) that it
//! knows the secrets of up to [`CLAIM_ARITY`] commitments in the notes tree,
//! revealing only each note's nullifier `H_nf(s)` (the server refuses a
//! nullifier twice), the total amount and the wallet to pay. The note key
//! (seen at submission) and the nullifier (seen at claim) are hashes of the
//! same secret under different domains, so the server cannot match them.

use std::fmt;

use ark_std::rand::{CryptoRng, RngCore};
use ark_std::UniformRand;
use zeroize::Zeroize;

use super::field::{fr_from_bytes, fr_to_bytes};
use super::poseidon::{hash, Domain};
use super::{AttestationError, Fr, IdentitySecret, FR_BYTES};

/// The most notes one claim spends (unused slots are padded with dummies).
pub const CLAIM_ARITY: usize = 4;

/// The secret of one reward note: a field element known only to the device.
///
/// `Debug` never prints it; dropping it overwrites it.
#[derive(Clone, PartialEq, Eq)]
pub struct NoteSecret(Fr);

impl NoteSecret {
    /// The note secret of `identity`'s contribution to `campaign_id`:
    /// `H_secret(identity_secret, campaign_id)`. One identity contributes
    /// once per campaign, so this names exactly one note.
    pub fn derive(identity: &IdentitySecret, campaign_id: u64) -> Self {
        Self(hash(
            Domain::NoteSecret,
            &[identity.to_field(), Fr::from(campaign_id)],
        ))
    }

    /// A fresh random secret (the padding slots of a claim).
    pub fn random<R: RngCore + CryptoRng + ?Sized>(rng: &mut R) -> Self {
        Self(Fr::rand(rng))
    }

    /// The canonical 32-byte encoding, to store on the device.
    pub fn to_bytes(&self) -> [u8; FR_BYTES] {
        fr_to_bytes(&self.0)
    }

    /// Decodes [`NoteSecret::to_bytes`]; refuses non-canonical bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, AttestationError> {
        fr_from_bytes(bytes).map(Self)
    }

    pub(crate) fn to_field(&self) -> Fr {
        self.0
    }

    /// The note's public key, bound by the submission's attestation: `H_key(s)`.
    pub fn key(&self) -> Fr {
        note_key_of(self.0)
    }

    /// The note's nullifier, revealed when it is claimed: `H_nf(s)`.
    pub fn nullifier(&self) -> Fr {
        note_nullifier_of(self.0)
    }

    /// The note's commitment for `amount` (what the server appends to the notes tree).
    pub fn commitment(&self, amount: u64) -> Fr {
        note_commitment(self.key(), amount)
    }
}

impl Drop for NoteSecret {
    fn drop(&mut self) {
        // `Fr` has no `Zeroize`; overwrite it through its limbs.
        self.0 .0 .0.zeroize();
    }
}

impl fmt::Debug for NoteSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NoteSecret(<redacted>)")
    }
}

fn note_key_of(secret: Fr) -> Fr {
    hash(Domain::NoteKey, &[secret])
}

pub(crate) fn note_nullifier_of(secret: Fr) -> Fr {
    hash(Domain::NoteNullifier, &[secret])
}

/// The note commitment the server appends to the notes tree when it accepts a
/// contribution bound to `note_key` and pays `amount`: `H_note(note_key, amount)`.
pub fn note_commitment(note_key: Fr, amount: u64) -> Fr {
    hash(Domain::Note, &[note_key, Fr::from(amount)])
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_std::rand::{rngs::StdRng, SeedableRng};

    #[test]
    fn derived_per_identity_and_campaign() {
        let a = IdentitySecret::from_bytes([1; 32]);
        let b = IdentitySecret::from_bytes([2; 32]);
        assert_eq!(NoteSecret::derive(&a, 7), NoteSecret::derive(&a, 7));
        assert_ne!(NoteSecret::derive(&a, 7), NoteSecret::derive(&a, 8));
        assert_ne!(NoteSecret::derive(&a, 7), NoteSecret::derive(&b, 7));
        // Neither the key nor the nullifier is the attestation's nullifier.
        let s = NoteSecret::derive(&a, 7);
        assert_ne!(s.key(), super::super::nullifier(&a, 7));
        assert_ne!(s.nullifier(), super::super::nullifier(&a, 7));
        assert_ne!(s.key(), s.nullifier());
    }

    #[test]
    fn commitment_names_the_amount() {
        let s = NoteSecret::random(&mut StdRng::seed_from_u64(1));
        assert_ne!(s.commitment(10), s.commitment(11));
        assert_eq!(s.commitment(10), note_commitment(s.key(), 10));
    }

    #[test]
    fn bytes_round_trip_and_debug_redacts() {
        let s = NoteSecret::random(&mut StdRng::seed_from_u64(2));
        assert_eq!(NoteSecret::from_bytes(&s.to_bytes()).unwrap(), s);
        assert!(NoteSecret::from_bytes(&[0xff; 32]).is_err());
        assert!(NoteSecret::from_bytes(&[0; 31]).is_err());
        let d = format!("{s:?}");
        assert!(d.contains("redacted"), "{d}");
    }
}
