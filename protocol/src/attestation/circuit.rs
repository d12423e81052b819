//! The attestation circuit (R1CS over BN254's `Fr`).
//!
//! Public inputs, in this order: `root`, `nullifier`, `campaign_id`, `binding`, `tier`.
//! Private witness: `secret`, the Merkle path (siblings and direction bits), the two
//! 128-bit digest halves and the reward note's key. Constraints:
//! - `leaf = H_leaf(H_commit(secret), tier)` and the path leads from `leaf` to `root`
//!   (depth `TREE_DEPTH`): membership through a leaf of the public tier;
//! - `nullifier = H_nullifier(secret, campaign_id)`;
//! - `binding = H_binding(digest_hi, digest_lo, note_key)`, with `digest_hi`, `digest_lo`
//!   decomposed into 128 bits, so the binding names exactly one (digest, note key) pair.
//!   The note key is a whole field element (the hash of the note secret, see
//!   [`super::note`]); the circuit does not need to open it.
//!
//! 6,319 constraints: 25 Poseidon permutations (at most 243 constraints each, fewer where
//! the state is still constant), 276 boolean constraints and 40 selections; see
//! `constraint_count`. Any change here changes the keys: bump `CIRCUIT_VERSION`.

use ark_r1cs_std::alloc::AllocVar;
use ark_r1cs_std::boolean::Boolean;
use ark_r1cs_std::eq::EqGadget;
use ark_r1cs_std::fields::fp::FpVar;
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystemRef, SynthesisError};

use super::identity::{binding_of, commitment_of, nullifier_of, registry_leaf, split_digest};
use super::poseidon::{hash_var, Domain};
use super::{AttestationError, Fr, IdentitySecret, MerklePath, PublicInputs, Tier, TREE_DEPTH};

/// One instance of the attestation circuit with its full assignment.
///
/// For key generation any assignment of the right shape will do ([`AttestationCircuit::blank`]).
#[derive(Clone, Debug)]
pub(crate) struct AttestationCircuit {
    // Public inputs.
    pub(crate) root: Fr,
    pub(crate) nullifier: Fr,
    pub(crate) campaign_id: Fr,
    pub(crate) binding: Fr,
    pub(crate) tier: Fr,
    // Witness.
    pub(crate) secret: Fr,
    pub(crate) siblings: [Fr; TREE_DEPTH],
    pub(crate) index_bits: [bool; TREE_DEPTH],
    pub(crate) digest_hi: u128,
    pub(crate) digest_lo: u128,
    pub(crate) note_key: Fr,
}

impl AttestationCircuit {
    /// The full assignment for a contributor, and the public inputs it proves.
    ///
    /// `root` is whatever root `path` leads to from `commitment(secret)`. Errors on a
    /// malformed path.
    pub(crate) fn new(
        secret: &IdentitySecret,
        path: &MerklePath,
        campaign_id: u64,
        ciphertext_digest: &[u8; 32],
        note_key: Fr,
        tier: Tier,
    ) -> Result<(Self, PublicInputs), AttestationError> {
        let secret = secret.to_field();
        let root = path.compute_root(registry_leaf(commitment_of(secret), tier))?;
        let (digest_hi, digest_lo) = split_digest(ciphertext_digest);
        let public = PublicInputs {
            root,
            nullifier: nullifier_of(secret, campaign_id),
            campaign_id,
            binding: binding_of(digest_hi, digest_lo, note_key),
            tier,
        };
        let mut siblings = [Fr::from(0u64); TREE_DEPTH];
        // `compute_root` checked that there are exactly TREE_DEPTH siblings.
        for (slot, sibling) in siblings.iter_mut().zip(&path.siblings) {
            *slot = *sibling;
        }
        let circuit = Self {
            root: public.root,
            nullifier: public.nullifier,
            campaign_id: Fr::from(campaign_id),
            binding: public.binding,
            tier: Fr::from(tier.as_u64()),
            secret,
            siblings,
            index_bits: path.index_bits(),
            digest_hi,
            digest_lo,
            note_key,
        };
        Ok((circuit, public))
    }

    /// An all-zero assignment, of the right shape for setup.
    pub(crate) fn blank() -> Self {
        let zero = Fr::from(0u64);
        Self {
            root: zero,
            nullifier: zero,
            campaign_id: zero,
            binding: zero,
            tier: zero,
            secret: zero,
            siblings: [zero; TREE_DEPTH],
            index_bits: [false; TREE_DEPTH],
            digest_hi: 0,
            digest_lo: 0,
            note_key: zero,
        }
    }
}

/// Allocates `bits` little-endian witness bits of `value` and returns them packed into
/// one field element: a range check of `value < 2^bits` by construction.
pub(crate) fn alloc_bits_packed(
    cs: &ConstraintSystemRef<Fr>,
    value: u128,
    bits: usize,
) -> Result<FpVar<Fr>, SynthesisError> {
    let bits = (0..bits)
        .map(|i| Boolean::new_witness(cs.clone(), || Ok((value >> i) & 1 == 1)))
        .collect::<Result<Vec<_>, _>>()?;
    Boolean::le_bits_to_fp(&bits)
}

/// The root a Merkle path leads to from `leaf`, in the circuit: at each height the
/// direction bit (a witness, `true`: the node is a right child) orders the node and its
/// witnessed sibling before `H_node`.
pub(crate) fn merkle_root_var(
    cs: &ConstraintSystemRef<Fr>,
    leaf: FpVar<Fr>,
    siblings: &[Fr; TREE_DEPTH],
    index_bits: &[bool; TREE_DEPTH],
) -> Result<FpVar<Fr>, SynthesisError> {
    let mut node = leaf;
    for (sibling, right) in siblings.iter().zip(index_bits) {
        let sibling = FpVar::new_witness(cs.clone(), || Ok(*sibling))?;
        let right = Boolean::new_witness(cs.clone(), || Ok(*right))?;
        let left_child = right.select(&sibling, &node)?;
        let right_child = right.select(&node, &sibling)?;
        node = hash_var(cs.clone(), Domain::MerkleNode, &[left_child, right_child])?;
    }
    Ok(node)
}

impl ConstraintSynthesizer<Fr> for AttestationCircuit {
    fn generate_constraints(self, cs: ConstraintSystemRef<Fr>) -> Result<(), SynthesisError> {
        // Public inputs, allocated first and in the order of `PublicInputs::to_field_elements`.
        let root = FpVar::new_input(cs.clone(), || Ok(self.root))?;
        let nullifier = FpVar::new_input(cs.clone(), || Ok(self.nullifier))?;
        let campaign_id = FpVar::new_input(cs.clone(), || Ok(self.campaign_id))?;
        let binding = FpVar::new_input(cs.clone(), || Ok(self.binding))?;
        let tier = FpVar::new_input(cs.clone(), || Ok(self.tier))?;

        // Membership: H_leaf(H_commit(secret), tier) is a leaf under `root`.
        let secret = FpVar::new_witness(cs.clone(), || Ok(self.secret))?;
        let commitment = hash_var(
            cs.clone(),
            Domain::Commitment,
            std::slice::from_ref(&secret),
        )?;
        let leaf = hash_var(cs.clone(), Domain::Leaf, &[commitment, tier])?;
        merkle_root_var(&cs, leaf, &self.siblings, &self.index_bits)?.enforce_equal(&root)?;

        // One nullifier per (identity, campaign).
        let expected_nullifier = hash_var(cs.clone(), Domain::Nullifier, &[secret, campaign_id])?;
        expected_nullifier.enforce_equal(&nullifier)?;

        // Binding to the ciphertext digest (range-checked halves) and the note key.
        let digest_hi = alloc_bits_packed(&cs, self.digest_hi, 128)?;
        let digest_lo = alloc_bits_packed(&cs, self.digest_lo, 128)?;
        let note_key = FpVar::new_witness(cs.clone(), || Ok(self.note_key))?;
        let expected_binding = hash_var(
            cs.clone(),
            Domain::Binding,
            &[digest_hi, digest_lo, note_key],
        )?;
        expected_binding.enforce_equal(&binding)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attestation::snark::{constraint_count, is_satisfied};
    use crate::attestation::{commitment, registry_leaf, MerkleTree, Tier};
    use ark_std::rand::{rngs::StdRng, SeedableRng};

    const CAMPAIGN: u64 = 42;
    fn note_key() -> Fr {
        Fr::from(0xdead_beef_0000_0001u64) * Fr::from(u64::MAX)
    }
    const DIGEST: [u8; 32] = [0x5a; 32];

    /// A tree of 9 identities, ours at index 5; returns (secret, tree, good circuit).
    fn fixture() -> (IdentitySecret, MerkleTree, AttestationCircuit) {
        let mut rng = StdRng::seed_from_u64(7);
        let secret = IdentitySecret::random(&mut rng);
        let mut tree = MerkleTree::new();
        for i in 0..9 {
            let leaf = if i == 5 {
                registry_leaf(commitment(&secret), Tier::Verified)
            } else {
                registry_leaf(commitment(&IdentitySecret::random(&mut rng)), Tier::Open)
            };
            tree.push(leaf).unwrap();
        }
        let path = tree.path(5).unwrap();
        let (circuit, public) = AttestationCircuit::new(
            &secret,
            &path,
            CAMPAIGN,
            &DIGEST,
            note_key(),
            Tier::Verified,
        )
        .unwrap();
        assert_eq!(public.root, tree.root());
        (secret, tree, circuit)
    }

    fn satisfied(circuit: &AttestationCircuit) -> bool {
        is_satisfied(circuit.clone()).unwrap()
    }

    #[test]
    fn constraint_count_is_reported() {
        let n = constraint_count().unwrap();
        println!("attestation circuit: {n} constraints");
        // Pinned: a change means new keys and a new `CIRCUIT_VERSION`.
        assert_eq!(n, 6_319);
    }

    #[test]
    fn good_witness_satisfies() {
        let (_, _, circuit) = fixture();
        assert!(satisfied(&circuit));
    }

    #[test]
    fn secret_not_in_tree_fails() {
        let (_, _, good) = fixture();
        let mut bad = good.clone();
        bad.secret += Fr::from(1u64);
        // Consistent nullifier, so only membership is wrong.
        bad.nullifier = nullifier_of(bad.secret, CAMPAIGN);
        assert!(!satisfied(&bad));
    }

    #[test]
    fn wrong_path_fails() {
        let (_, _, good) = fixture();
        let mut bad = good.clone();
        bad.siblings[7] += Fr::from(1u64);
        assert!(!satisfied(&bad));
        let mut bad = good.clone();
        bad.siblings[0] = good.siblings[1];
        assert!(!satisfied(&bad));
        let mut bad = good.clone();
        bad.index_bits[0] = !bad.index_bits[0];
        assert!(!satisfied(&bad));
    }

    #[test]
    fn wrong_root_fails() {
        let (_, mut tree, good) = fixture();
        tree.push(Fr::from(99u64)).unwrap();
        let mut bad = good.clone();
        bad.root = tree.root();
        assert!(!satisfied(&bad));
    }

    #[test]
    fn wrong_nullifier_fails() {
        let (secret, _, good) = fixture();
        let mut bad = good.clone();
        bad.nullifier += Fr::from(1u64);
        assert!(!satisfied(&bad));
        let mut bad = good.clone();
        bad.nullifier = nullifier_of(secret.to_field(), CAMPAIGN + 1);
        assert!(!satisfied(&bad));
    }

    #[test]
    fn wrong_tier_fails() {
        let (_, _, good) = fixture();
        // Our leaf is the verified one: claiming the open tier fails, and
        // so does any other value.
        let mut bad = good.clone();
        bad.tier = Fr::from(Tier::Open.as_u64());
        assert!(!satisfied(&bad));
        let mut bad = good.clone();
        bad.tier = Fr::from(7u64);
        assert!(!satisfied(&bad));
    }

    #[test]
    fn wrong_campaign_fails() {
        let (_, _, good) = fixture();
        let mut bad = good.clone();
        bad.campaign_id = Fr::from(CAMPAIGN + 1);
        assert!(!satisfied(&bad));
    }

    #[test]
    fn wrong_binding_fails() {
        let (_, _, good) = fixture();
        // The public binding names another ciphertext.
        let mut other = DIGEST;
        other[31] ^= 1;
        let mut bad = good.clone();
        bad.binding = crate::attestation::binding(&other, note_key());
        assert!(!satisfied(&bad));
        // The witness digest differs from the one bound.
        let mut bad = good.clone();
        bad.digest_hi ^= 1 << 127;
        assert!(!satisfied(&bad));
        let mut bad = good.clone();
        bad.digest_lo ^= 1;
        assert!(!satisfied(&bad));
        // Swapping the halves is a different binding.
        let mut bad = good.clone();
        bad.digest_hi = good.digest_lo;
        bad.digest_lo = good.digest_hi ^ 1;
        assert!(!satisfied(&bad));
    }

    #[test]
    fn wrong_note_key_fails() {
        let (_, _, good) = fixture();
        let mut bad = good.clone();
        bad.note_key += Fr::from(1u64);
        assert!(!satisfied(&bad));
        let mut bad = good.clone();
        bad.binding = crate::attestation::binding(&DIGEST, note_key() + Fr::from(1u64));
        assert!(!satisfied(&bad));
    }
}
