//! The reward-note claim circuit (R1CS over BN254's `Fr`) and its prover and verifier.
//!
//! Public inputs, in this order: `root` (of the notes tree), the [`CLAIM_ARITY`]
//! nullifiers, `total` and `destination` (the wallet account to pay). Per slot the
//! private witness is a note secret `s`, its 64-bit amount, a `real` bit and the note's
//! Merkle path. Constraints, per slot:
//! - `nullifier = H_nf(s)` (always, so padding slots look like real ones);
//! - if `real`: the path leads from `H_note(H_key(s), amount)` to `root`;
//! - `amount` is decomposed into 64 bits;
//!
//! and once: `total = Σ real·amount`, and `destination²` is computed so the wallet is
//! bound by a constraint of its own (not only by the Groth16 input terms). A claim
//! therefore proves "I know up to four notes under this root worth `total` in all, and
//! these are their nullifiers" — not which leaves they are, nor which campaigns paid
//! them. The verifier must also refuse a statement whose nullifiers repeat (two slots
//! with one note): [`ClaimStatement::check`].
//!
//! 22,572 constraints ([`claim_constraint_count`]). Any change here changes the keys:
//! bump [`CLAIM_CIRCUIT_VERSION`].

use ark_r1cs_std::alloc::AllocVar;
use ark_r1cs_std::boolean::Boolean;
use ark_r1cs_std::eq::EqGadget;
use ark_r1cs_std::fields::fp::FpVar;
use ark_r1cs_std::fields::FieldVar;
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystemRef, SynthesisError};
use ark_std::rand::{CryptoRng, RngCore};

use super::circuit::{alloc_bits_packed, merkle_root_var};
use super::note::{note_commitment, note_nullifier_of, CLAIM_ARITY};
use super::poseidon::{hash_var, Domain};
use super::snark::{
    count_constraints, prove_circuit, setup_circuit, verify_fields, verify_raw_fields,
};
use super::{
    AttestationError, ClaimProvingKey, ClaimVerifyingKey, Fr, MerklePath, NoteSecret, Proof,
    TREE_DEPTH,
};

/// Version of the claim circuit; bump it whenever its constraints (and so its keys) change.
pub const CLAIM_CIRCUIT_VERSION: u32 = 1;

/// Number of public inputs of the claim circuit: `root`, the nullifiers, `total`,
/// `destination`.
pub const CLAIM_PUBLIC_INPUTS: usize = CLAIM_ARITY + 3;

/// The public statement of a claim.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClaimStatement {
    /// The notes-tree root the notes are leaves under.
    pub root: Fr,
    /// One nullifier per slot (padding slots carry the nullifier of a random secret).
    pub nullifiers: [Fr; CLAIM_ARITY],
    /// The sum of the claimed notes' amounts.
    pub total: u64,
    /// The wallet account the total is paid to.
    pub destination: u64,
}

impl ClaimStatement {
    /// The public inputs as the circuit sees them: [`CLAIM_PUBLIC_INPUTS`] field elements.
    pub fn to_field_elements(&self) -> Vec<Fr> {
        let mut fields = Vec::with_capacity(CLAIM_PUBLIC_INPUTS);
        fields.push(self.root);
        fields.extend_from_slice(&self.nullifiers);
        fields.push(Fr::from(self.total));
        fields.push(Fr::from(self.destination));
        fields
    }

    /// The rules a verifier checks besides the proof: no nullifier twice in one claim
    /// (the circuit would let two slots spend one note).
    pub fn check(&self) -> Result<(), AttestationError> {
        for (i, a) in self.nullifiers.iter().enumerate() {
            if self.nullifiers[i + 1..].contains(a) {
                return Err(AttestationError::BadClaim(
                    "a nullifier appears twice in one claim".into(),
                ));
            }
        }
        Ok(())
    }
}

/// A note the device owns and wants to claim: its secret, the amount it was paid and its
/// path in the notes tree.
#[derive(Clone, Debug)]
pub struct OwnedNote {
    /// The note secret ([`NoteSecret::derive`]).
    pub secret: NoteSecret,
    /// The amount the server paid into it.
    pub amount: u64,
    /// Its authentication path in the notes tree.
    pub path: MerklePath,
}

impl OwnedNote {
    /// The note's commitment (its leaf in the notes tree).
    pub fn commitment(&self) -> Fr {
        note_commitment(self.secret.key(), self.amount)
    }
}

#[derive(Clone, Debug)]
struct Slot {
    secret: Fr,
    amount: u64,
    real: bool,
    siblings: [Fr; TREE_DEPTH],
    index_bits: [bool; TREE_DEPTH],
}

impl Slot {
    fn blank() -> Self {
        Self {
            secret: Fr::from(0u64),
            amount: 0,
            real: false,
            siblings: [Fr::from(0u64); TREE_DEPTH],
            index_bits: [false; TREE_DEPTH],
        }
    }
}

/// One instance of the claim circuit with its full assignment.
#[derive(Clone, Debug)]
pub(crate) struct ClaimCircuit {
    statement: ClaimStatement,
    slots: [Slot; CLAIM_ARITY],
}

impl ClaimCircuit {
    fn blank() -> Self {
        Self {
            statement: ClaimStatement {
                root: Fr::from(0u64),
                nullifiers: [Fr::from(0u64); CLAIM_ARITY],
                total: 0,
                destination: 0,
            },
            slots: std::array::from_fn(|_| Slot::blank()),
        }
    }

    /// The assignment claiming `notes` (1 to [`CLAIM_ARITY`], every path leading to one
    /// root) into `destination`, padded with random secrets.
    fn new<R: RngCore + CryptoRng>(
        notes: &[OwnedNote],
        destination: u64,
        rng: &mut R,
    ) -> Result<Self, AttestationError> {
        if notes.is_empty() || notes.len() > CLAIM_ARITY {
            return Err(AttestationError::BadClaim(format!(
                "a claim spends 1 to {CLAIM_ARITY} notes, not {}",
                notes.len()
            )));
        }
        let mut root = None;
        let mut total = 0u64;
        let mut slots: [Slot; CLAIM_ARITY] = std::array::from_fn(|_| Slot::blank());
        for (slot, note) in slots.iter_mut().zip(notes) {
            let note_root = note.path.compute_root(note.commitment())?;
            if *root.get_or_insert(note_root) != note_root {
                return Err(AttestationError::BadClaim(
                    "the notes' paths lead to different roots".into(),
                ));
            }
            total = total
                .checked_add(note.amount)
                .ok_or_else(|| AttestationError::BadClaim("the total overflows".into()))?;
            let mut siblings = [Fr::from(0u64); TREE_DEPTH];
            siblings.copy_from_slice(&note.path.siblings);
            *slot = Slot {
                secret: note.secret.to_field(),
                amount: note.amount,
                real: true,
                siblings,
                index_bits: note.path.index_bits(),
            };
        }
        for slot in slots.iter_mut().skip(notes.len()) {
            slot.secret = NoteSecret::random(rng).to_field();
        }
        let nullifiers = std::array::from_fn(|i| note_nullifier_of(slots[i].secret));
        let statement = ClaimStatement {
            // Unwrap safety: `notes` is not empty, so the loop set the root.
            root: root.unwrap_or_default(),
            nullifiers,
            total,
            destination,
        };
        statement.check()?;
        Ok(Self { statement, slots })
    }
}

impl ConstraintSynthesizer<Fr> for ClaimCircuit {
    fn generate_constraints(self, cs: ConstraintSystemRef<Fr>) -> Result<(), SynthesisError> {
        // Public inputs, in the order of `ClaimStatement::to_field_elements`.
        let st = &self.statement;
        let root = FpVar::new_input(cs.clone(), || Ok(st.root))?;
        let nullifiers = st
            .nullifiers
            .iter()
            .map(|n| FpVar::new_input(cs.clone(), || Ok(*n)))
            .collect::<Result<Vec<_>, _>>()?;
        let total = FpVar::new_input(cs.clone(), || Ok(Fr::from(st.total)))?;
        let destination = FpVar::new_input(cs.clone(), || Ok(Fr::from(st.destination)))?;

        let mut sum = FpVar::<Fr>::zero();
        for (slot, nullifier) in self.slots.iter().zip(&nullifiers) {
            let secret = FpVar::new_witness(cs.clone(), || Ok(slot.secret))?;
            let real = Boolean::new_witness(cs.clone(), || Ok(slot.real))?;
            let amount = alloc_bits_packed(&cs, u128::from(slot.amount), 64)?;

            let key = hash_var(cs.clone(), Domain::NoteKey, std::slice::from_ref(&secret))?;
            let leaf = hash_var(cs.clone(), Domain::Note, &[key, amount.clone()])?;
            let computed = merkle_root_var(&cs, leaf, &slot.siblings, &slot.index_bits)?;
            computed.conditional_enforce_equal(&root, &real)?;

            hash_var(cs.clone(), Domain::NoteNullifier, &[secret])?.enforce_equal(nullifier)?;
            sum += real.select(&amount, &FpVar::zero())?;
        }
        sum.enforce_equal(&total)?;
        // A constraint on the destination of its own.
        let square = &destination * &destination;
        square.enforce_equal(&(&destination * &destination))?;
        Ok(())
    }
}

/// Groth16 setup of the claim circuit (the same trust assumption as [`super::setup`]).
pub fn claim_setup<R: RngCore + CryptoRng>(
    rng: &mut R,
) -> Result<(ClaimProvingKey, ClaimVerifyingKey), AttestationError> {
    setup_circuit(ClaimCircuit::blank(), rng)
}

/// The number of R1CS constraints of the claim circuit.
pub fn claim_constraint_count() -> Result<usize, AttestationError> {
    count_constraints(ClaimCircuit::blank())
}

/// Proves a claim of `notes` (1 to [`CLAIM_ARITY`], all under one root) into the wallet
/// `destination`. Errors with `BadClaim` on a wrong number of notes, paths to different
/// roots or an overflowing total, and `Unsatisfied` if the witness does not satisfy the
/// circuit (checked before any proving work).
pub fn prove_claim<R: RngCore + CryptoRng>(
    pk: &ClaimProvingKey,
    notes: &[OwnedNote],
    destination: u64,
    rng: &mut R,
) -> Result<(Proof, ClaimStatement), AttestationError> {
    let circuit = ClaimCircuit::new(notes, destination, rng)?;
    let statement = circuit.statement;
    let proof = prove_circuit(pk, circuit, rng)?;
    Ok((proof, statement))
}

/// Verifies a claim: the statement's own rules ([`ClaimStatement::check`]), then the proof.
pub fn verify_claim(
    vk: &ClaimVerifyingKey,
    proof: &Proof,
    statement: &ClaimStatement,
) -> Result<(), AttestationError> {
    statement.check()?;
    verify_fields(vk, proof, &statement.to_field_elements())
}

/// Verifies claim proof bytes against a statement; errors, never panics.
pub fn verify_claim_raw(
    vk: &ClaimVerifyingKey,
    proof_bytes: &[u8],
    statement: &ClaimStatement,
) -> Result<(), AttestationError> {
    statement.check()?;
    verify_raw_fields(vk, proof_bytes, &statement.to_field_elements())
}

#[cfg(test)]
mod tests {
    use std::sync::OnceLock;
    use std::time::Instant;

    use ark_std::rand::{rngs::StdRng, SeedableRng};

    use super::*;
    use crate::attestation::snark::is_satisfied;
    use crate::attestation::{IdentitySecret, MerkleTree};

    const WALLET: u64 = 77;

    struct Fixture {
        tree: MerkleTree,
        /// Notes of one identity in campaigns 1, 2, 3 with amounts 10, 20, 5.
        notes: Vec<OwnedNote>,
    }

    fn fixture() -> &'static Fixture {
        static F: OnceLock<Fixture> = OnceLock::new();
        F.get_or_init(|| {
            let mut rng = StdRng::seed_from_u64(11);
            let identity = IdentitySecret::random(&mut rng);
            let mut tree = MerkleTree::new();
            let mut mine = Vec::new();
            for (campaign, amount) in [(1u64, 10u64), (2, 20), (3, 5)] {
                // Someone else's note between ours.
                let other = NoteSecret::random(&mut rng);
                tree.push(other.commitment(amount)).unwrap();
                let secret = NoteSecret::derive(&identity, campaign);
                let index = tree.push(secret.commitment(amount)).unwrap();
                mine.push((secret, amount, index));
            }
            let notes = mine
                .into_iter()
                .map(|(secret, amount, index)| OwnedNote {
                    secret,
                    amount,
                    path: tree.path(index).unwrap(),
                })
                .collect();
            Fixture { tree, notes }
        })
    }

    fn keys() -> &'static (ClaimProvingKey, ClaimVerifyingKey) {
        static KEYS: OnceLock<(ClaimProvingKey, ClaimVerifyingKey)> = OnceLock::new();
        KEYS.get_or_init(|| {
            let start = Instant::now();
            let keys = claim_setup(&mut StdRng::seed_from_u64(12)).unwrap();
            println!("claim setup: {:?}", start.elapsed());
            keys
        })
    }

    fn circuit(notes: &[OwnedNote]) -> ClaimCircuit {
        ClaimCircuit::new(notes, WALLET, &mut StdRng::seed_from_u64(13)).unwrap()
    }

    #[test]
    fn constraint_count_is_pinned() {
        let n = claim_constraint_count().unwrap();
        println!("claim circuit: {n} constraints");
        assert_eq!(n, 22_572);
    }

    #[test]
    fn good_witnesses_satisfy() {
        let f = fixture();
        for k in 1..=3 {
            let c = circuit(&f.notes[..k]);
            assert_eq!(c.statement.root, f.tree.root());
            let expected: u64 = f.notes[..k].iter().map(|n| n.amount).sum();
            assert_eq!(c.statement.total, expected);
            for (i, note) in f.notes[..k].iter().enumerate() {
                assert_eq!(c.statement.nullifiers[i], note.secret.nullifier());
            }
            assert!(is_satisfied(c).unwrap(), "{k} notes");
        }
    }

    #[test]
    fn wrong_total_fails() {
        let f = fixture();
        let mut bad = circuit(&f.notes[..2]);
        bad.statement.total += 1;
        assert!(!is_satisfied(bad).unwrap());
        // Claiming a note for more than it was paid: its leaf is another leaf.
        let mut bad = circuit(&f.notes[..1]);
        bad.slots[0].amount += 1;
        bad.statement.total += 1;
        assert!(!is_satisfied(bad).unwrap());
        // A padding slot's amount does not count, and cannot be made to.
        let mut bad = circuit(&f.notes[..1]);
        bad.slots[3].amount = 1_000;
        bad.statement.total += 1_000;
        assert!(!is_satisfied(bad).unwrap());
        let mut bad = circuit(&f.notes[..1]);
        bad.slots[3].amount = 1_000;
        bad.slots[3].real = true;
        bad.statement.total += 1_000;
        assert!(
            !is_satisfied(bad).unwrap(),
            "a made-up note is not in the tree"
        );
    }

    #[test]
    fn note_not_in_tree_fails() {
        let f = fixture();
        let mut bad = circuit(&f.notes[..1]);
        bad.slots[0].secret += Fr::from(1u64);
        bad.statement.nullifiers[0] = note_nullifier_of(bad.slots[0].secret);
        assert!(!is_satisfied(bad).unwrap());
        let mut bad = circuit(&f.notes[..1]);
        bad.slots[0].siblings[3] += Fr::from(1u64);
        assert!(!is_satisfied(bad).unwrap());
        let mut bad = circuit(&f.notes[..1]);
        bad.statement.root = crate::attestation::empty_root();
        assert!(!is_satisfied(bad).unwrap());
    }

    #[test]
    fn wrong_nullifier_fails() {
        let f = fixture();
        let mut bad = circuit(&f.notes[..2]);
        bad.statement.nullifiers.swap(0, 1);
        assert!(!is_satisfied(bad).unwrap());
        let mut bad = circuit(&f.notes[..2]);
        bad.statement.nullifiers[3] += Fr::from(1u64);
        assert!(
            !is_satisfied(bad).unwrap(),
            "padding nullifiers are bound too"
        );
        // The note key (seen at submission) is not the nullifier (seen at claim).
        let mut bad = circuit(&f.notes[..1]);
        bad.statement.nullifiers[0] = f.notes[0].secret.key();
        assert!(!is_satisfied(bad).unwrap());
    }

    #[test]
    fn prover_refuses_bad_requests() {
        let f = fixture();
        let mut rng = StdRng::seed_from_u64(14);
        let pk = &keys().0;
        let five = [&f.notes[..], &f.notes[..2]].concat();
        for notes in [&[][..], &five[..]] {
            assert!(matches!(
                prove_claim(pk, notes, WALLET, &mut rng),
                Err(AttestationError::BadClaim(_))
            ));
        }
        let twice = [f.notes[0].clone(), f.notes[0].clone()];
        assert!(matches!(
            prove_claim(pk, &twice, WALLET, &mut rng),
            Err(AttestationError::BadClaim(_))
        ));
        // A path from an older tree leads to another root.
        let mut stale = f.notes[1].clone();
        stale.path = {
            let mut older = MerkleTree::new();
            older.push(Fr::from(1u64)).unwrap();
            older.push(Fr::from(2u64)).unwrap();
            older.path(1).unwrap()
        };
        assert!(matches!(
            prove_claim(pk, &[f.notes[0].clone(), stale], WALLET, &mut rng),
            Err(AttestationError::BadClaim(_))
        ));
    }

    #[test]
    fn proof_verifies_once_for_its_statement() {
        let f = fixture();
        let (pk, vk) = keys();
        let mut rng = StdRng::seed_from_u64(15);
        let start = Instant::now();
        let (proof, st) = prove_claim(pk, &f.notes, WALLET, &mut rng).unwrap();
        println!("claim prove (3 notes): {:?}", start.elapsed());
        assert_eq!(st.total, 35);
        assert_eq!(st.root, f.tree.root());
        verify_claim(vk, &proof, &st).unwrap();
        verify_claim_raw(vk, &proof.to_bytes(), &st).unwrap();

        let moved = [
            ClaimStatement {
                destination: WALLET + 1,
                ..st
            },
            ClaimStatement {
                total: st.total + 1,
                ..st
            },
            ClaimStatement {
                total: st.total - 1,
                ..st
            },
            ClaimStatement {
                root: crate::attestation::empty_root(),
                ..st
            },
            ClaimStatement {
                nullifiers: [
                    st.nullifiers[1],
                    st.nullifiers[0],
                    st.nullifiers[2],
                    st.nullifiers[3],
                ],
                ..st
            },
        ];
        for statement in moved {
            assert_eq!(
                verify_claim(vk, &proof, &statement),
                Err(AttestationError::InvalidProof),
                "{statement:?}"
            );
        }
        let doubled = ClaimStatement {
            nullifiers: [
                st.nullifiers[0],
                st.nullifiers[0],
                st.nullifiers[2],
                st.nullifiers[3],
            ],
            ..st
        };
        assert!(matches!(
            verify_claim(vk, &proof, &doubled),
            Err(AttestationError::BadClaim(_))
        ));
        // An attestation key cannot verify a claim, and bytes are checked.
        assert!(verify_claim_raw(vk, &proof.to_bytes()[..100], &st).is_err());
        let attestation_vk = crate::attestation::VerifyingKey::from_bytes(&vk.to_bytes());
        assert!(matches!(
            attestation_vk,
            Err(AttestationError::MalformedKey(_))
        ));
    }

    #[test]
    fn keys_round_trip() {
        let (pk, vk) = keys();
        let bytes = pk.to_bytes();
        println!("claim proving key: {} bytes", bytes.len());
        let back = ClaimProvingKey::from_bytes(&bytes).unwrap();
        assert_eq!(back.verifying_key(), *vk);
        assert_eq!(ClaimVerifyingKey::from_bytes(&vk.to_bytes()).unwrap(), *vk);
        assert!(crate::attestation::ProvingKey::from_bytes(&bytes).is_err());
    }
}
