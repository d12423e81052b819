//! The keyholder's own copy of the contributor registry.
//!
//! The server pushes every registered identity commitment here, in leaf
//! order, before a contribution may use the root it creates. The keyholder
//! builds the Poseidon Merkle tree itself and remembers every root it
//! computed: a contribution whose attestation names any other root is
//! refused at release (`unknown_root`). So the server cannot prove
//! membership in a tree the keyholders never saw, or rewrite or fork the
//! registry after the fact (a leaf once pushed is fixed; every root is one
//! point of the one history). It can still register identities of its own
//! making — the Sybil limit the README states — including between
//! contributors' path fetches, so that few contributors share a root (a
//! timing hint).
//!
//! The one change besides appending: the server revokes the leaf of a
//! suspended account (the tree holds the empty leaf there; the commitment
//! is kept) and restores it when the suspension is lifted. Revocations are
//! stored in the order they were applied, between the leaves, and replayed
//! so on load: every root computed before stays known, so contributions
//! accepted under them stay releasable. Revoking and restoring gives the
//! server no power it lacks: the roots it can make are still points of one
//! history every keyholder computed (another timing hint, like a
//! registration).

use std::collections::HashMap;
use std::sync::Mutex;

use protocol::attestation::{fr_from_bytes, fr_to_bytes, Fr, MerkleTree, VerifyingKey, EMPTY_LEAF};

use crate::store::{KeyStore, RevocationRecord, StoreError, ATTESTATION_VK_FILE, CLAIM_VK_FILE};

/// Why pushed leaves were not taken.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// A leaf is not a field element.
    #[error("leaf {index}: {message}")]
    InvalidLeaf {
        /// The leaf's index.
        index: u64,
        /// Why.
        message: String,
    },
    /// The push starts after the leaves held: one is missing.
    #[error(
        "the push starts at leaf {first}, but only {held} leaves are held: push from leaf {held}"
    )]
    Gap {
        /// First index pushed.
        first: u64,
        /// Leaves held.
        held: u64,
    },
    /// A revocation names a leaf the keyholder does not hold.
    #[error("no registry leaf {0} is held")]
    UnknownLeaf(u64),
    /// A leaf already held differs from the one pushed for its index.
    #[error("leaf {0} differs from the one pushed before: the registry is append-only")]
    Conflict(u64),
    /// The tree holds its maximum.
    #[error("the registry is full")]
    Full,
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What the keyholder checks contributors' eligibility with: the
/// attestation circuit's verifying key from the dealt key set, and its copy
/// of the registry.
pub struct Eligibility {
    /// The Groth16 verifying key (`ATTESTATION_VK_FILE` of the key set).
    pub verifying_key: VerifyingKey,
    /// The claim circuit's verifying key (`CLAIM_VK_FILE`), vouched for in
    /// the keyholder's identity.
    pub claim_verifying_key: protocol::attestation::ClaimVerifyingKey,
    /// The registry as pushed by the server.
    pub registry: Mutex<Registry>,
}

impl Eligibility {
    /// Loads both from the store.
    pub fn load(store: &KeyStore) -> anyhow::Result<Self> {
        let old = |e| {
            anyhow::anyhow!(
                "the key set has no keys for attestation circuit version {} and claim \
                 circuit version {} ({e}): it was dealt by an older cipherpool-keyholder; \
                 deal a new key set",
                protocol::attestation::CIRCUIT_VERSION,
                protocol::attestation::CLAIM_CIRCUIT_VERSION,
            )
        };
        let vk = store.keyset_file(ATTESTATION_VK_FILE).map_err(old)?;
        let claim_vk = store.keyset_file(CLAIM_VK_FILE).map_err(old)?;
        Ok(Self {
            verifying_key: VerifyingKey::from_bytes(&vk)?,
            claim_verifying_key: protocol::attestation::ClaimVerifyingKey::from_bytes(&claim_vk)?,
            registry: Mutex::new(Registry::load(store)?),
        })
    }

    /// Whether the keyholder computed `root` (see [`Registry::leaf_count_of`]).
    pub fn knows_root(&self, root: &[u8; 32]) -> bool {
        self.registry
            .lock()
            .map(|r| r.leaf_count_of(root).is_some())
            .unwrap_or(false)
    }
}

/// The tree and every root it had.
pub struct Registry {
    tree: MerkleTree,
    /// Root bytes → the leaf count that made it.
    roots: HashMap<[u8; 32], u64>,
    /// Revoked leaves → their commitments (the tree holds the empty leaf
    /// there).
    revoked: HashMap<u64, [u8; 32]>,
    /// Revocation records applied (stored ones).
    revocations: u64,
}

impl Registry {
    /// Rebuilds the tree from the stored leaves.
    pub fn load(store: &KeyStore) -> Result<Self, RegistryError> {
        let mut registry = Self {
            tree: MerkleTree::new(),
            roots: HashMap::new(),
            revoked: HashMap::new(),
            revocations: 0,
        };
        let leaves = store.registry_leaves()?;
        let records = store.registry_revocations()?;
        // Replayed in the order they were applied: every root the
        // keyholder computed is computed again.
        let mut records = records.iter().peekable();
        for (i, leaf) in leaves.iter().enumerate() {
            while let Some(r) = records.next_if(|r| r.held == i as u64) {
                registry.apply(r)?;
            }
            registry.push(i as u64, leaf)?;
        }
        for r in records {
            registry.apply(r)?;
        }
        Ok(registry)
    }

    fn apply(&mut self, r: &RevocationRecord) -> Result<(), RegistryError> {
        if r.index >= self.len() {
            return Err(RegistryError::UnknownLeaf(r.index));
        }
        let value = if r.revoked {
            self.revoked.insert(r.index, r.commitment);
            EMPTY_LEAF
        } else {
            self.revoked.remove(&r.index);
            fr_from_bytes(&r.commitment).map_err(|e| RegistryError::InvalidLeaf {
                index: r.index,
                message: e.to_string(),
            })?
        };
        self.tree
            .set(r.index, value)
            .map_err(|_| RegistryError::UnknownLeaf(r.index))?;
        self.roots
            .insert(fr_to_bytes(&self.tree.root()), self.tree.len());
        self.revocations += 1;
        Ok(())
    }

    /// Revokes (the tree holds the empty leaf there from now on) or
    /// restores leaf `index`, whose commitment must be `commitment`; a
    /// leaf already in that state is left as it is. The new root is
    /// remembered like every other (contributions proven before the
    /// revocation stay releasable; the server stops accepting new proofs
    /// under the older roots).
    pub fn set_revoked(
        &mut self,
        store: &KeyStore,
        index: u64,
        commitment: &[u8; 32],
        revoked: bool,
    ) -> Result<(), RegistryError> {
        let held = match self.revoked.get(&index) {
            Some(c) => *c,
            None => fr_to_bytes(
                &self
                    .tree
                    .leaf(index)
                    .ok_or(RegistryError::UnknownLeaf(index))?,
            ),
        };
        if held != *commitment {
            return Err(RegistryError::Conflict(index));
        }
        if self.revoked.contains_key(&index) == revoked {
            return Ok(());
        }
        let record = RevocationRecord {
            held: self.len(),
            index,
            commitment: *commitment,
            revoked,
        };
        store.append_registry_revocation(self.revocations, &record)?;
        self.apply(&record)
    }

    fn push(&mut self, index: u64, leaf: &[u8; 32]) -> Result<(), RegistryError> {
        let fr = fr_from_bytes(leaf).map_err(|e| RegistryError::InvalidLeaf {
            index,
            message: e.to_string(),
        })?;
        self.tree.push(fr).map_err(|_| RegistryError::Full)?;
        self.roots
            .insert(fr_to_bytes(&self.tree.root()), self.tree.len());
        Ok(())
    }

    /// Leaves held.
    pub fn len(&self) -> u64 {
        self.tree.len()
    }

    /// Whether no leaf is held.
    pub fn is_empty(&self) -> bool {
        self.tree.is_empty()
    }

    /// The current root.
    pub fn root(&self) -> Fr {
        self.tree.root()
    }

    /// The leaf count whose root is `root`, if this keyholder computed it.
    pub fn leaf_count_of(&self, root: &[u8; 32]) -> Option<u64> {
        self.roots.get(root).copied()
    }

    /// Takes leaves `first..first + leaves.len()`: those already held must
    /// be identical (a repeated push is harmless), the rest are appended —
    /// checked, then stored durably, then added to the tree.
    pub fn append(
        &mut self,
        store: &KeyStore,
        first: u64,
        leaves: &[[u8; 32]],
    ) -> Result<(), RegistryError> {
        let held = self.len();
        if first > held {
            return Err(RegistryError::Gap { first, held });
        }
        let mut new = Vec::new();
        for (i, leaf) in leaves.iter().enumerate() {
            let index = first + i as u64;
            // A revoked leaf is compared with its commitment.
            let existing = match self.revoked.get(&index) {
                Some(c) => fr_from_bytes(c).ok(),
                None => self.tree.leaf(index),
            };
            match existing {
                Some(existing) if fr_to_bytes(&existing) == *leaf => {}
                Some(_) => return Err(RegistryError::Conflict(index)),
                None => {
                    fr_from_bytes(leaf).map_err(|e| RegistryError::InvalidLeaf {
                        index,
                        message: e.to_string(),
                    })?;
                    new.push(*leaf);
                }
            }
        }
        if new.is_empty() {
            return Ok(());
        }
        if held + new.len() as u64 > protocol::attestation::MAX_LEAVES {
            return Err(RegistryError::Full);
        }
        store.append_registry_leaves(held, &new)?;
        for (i, leaf) in new.iter().enumerate() {
            self.push(held + i as u64, leaf)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::KekSource;

    fn leaf(n: u64) -> [u8; 32] {
        fr_to_bytes(&Fr::from(n))
    }

    #[test]
    fn appends_in_order_remembers_every_root_and_survives_a_restart() {
        let dir = std::env::temp_dir().join(format!("kh-registry-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let store = KeyStore::open(&dir, &KekSource::InDataDir).unwrap();
        let mut reg = Registry::load(&store).unwrap();
        assert!(reg.is_empty());
        reg.append(&store, 0, &[leaf(1), leaf(2)]).unwrap();
        let r2 = fr_to_bytes(&reg.root());
        // The same roots as the server's tree.
        let reference = MerkleTree::from_leaves([Fr::from(1u64), Fr::from(2u64)]).unwrap();
        assert_eq!(r2, fr_to_bytes(&reference.root()));
        // Repeating held leaves is harmless; appending after them works.
        reg.append(&store, 1, &[leaf(2), leaf(3)]).unwrap();
        assert_eq!(reg.len(), 3);
        assert_eq!(reg.leaf_count_of(&r2), Some(2));
        let r1 = fr_to_bytes(&MerkleTree::from_leaves([Fr::from(1u64)]).unwrap().root());
        assert_eq!(reg.leaf_count_of(&r1), Some(1));
        // A rewrite, a gap and a non-field element are refused, nothing kept.
        assert!(matches!(
            reg.append(&store, 1, &[leaf(9)]),
            Err(RegistryError::Conflict(1))
        ));
        assert!(matches!(
            reg.append(&store, 5, &[leaf(6)]),
            Err(RegistryError::Gap { first: 5, held: 3 })
        ));
        assert!(matches!(
            reg.append(&store, 3, &[[0xff; 32]]),
            Err(RegistryError::InvalidLeaf { index: 3, .. })
        ));
        assert_eq!(reg.len(), 3);
        // A fork's root is not known.
        let fork = MerkleTree::from_leaves([Fr::from(1u64), Fr::from(9u64)]).unwrap();
        assert_eq!(reg.leaf_count_of(&fr_to_bytes(&fork.root())), None);
        // Reloaded from disk: the same tree; a torn tail is cut and re-pushed.
        let root = reg.root();
        drop(reg);
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(dir.join("registry.bin"))
            .unwrap();
        std::io::Write::write_all(&mut f, &[7u8; 13]).unwrap();
        drop(f);
        let mut reg = Registry::load(&store).unwrap();
        assert_eq!((reg.len(), reg.root()), (3, root));
        reg.append(&store, 3, &[leaf(4)]).unwrap();
        let reg = Registry::load(&store).unwrap();
        assert_eq!(reg.len(), 4);
        assert_eq!(
            reg.root(),
            MerkleTree::from_leaves((1..=4u64).map(Fr::from))
                .unwrap()
                .root()
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn revocations_are_replayed_in_order_and_every_root_is_remembered() {
        let dir = std::env::temp_dir().join(format!("kh-revoke-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let store = KeyStore::open(&dir, &KekSource::InDataDir).unwrap();
        let mut reg = Registry::load(&store).unwrap();
        reg.append(&store, 0, &[leaf(1), leaf(2), leaf(3)]).unwrap();
        let before = fr_to_bytes(&reg.root());
        // Revoke leaf 1: the root is the tree's with the empty leaf there.
        reg.set_revoked(&store, 1, &leaf(2), true).unwrap();
        let tree = |leaves: &[u64]| {
            fr_to_bytes(
                &MerkleTree::from_leaves(leaves.iter().map(|&n| Fr::from(n)))
                    .unwrap()
                    .root(),
            )
        };
        let revoked = fr_to_bytes(&reg.root());
        assert_eq!(revoked, tree(&[1, 0, 3]));
        // Idempotent; a wrong commitment or an unknown leaf is refused.
        reg.set_revoked(&store, 1, &leaf(2), true).unwrap();
        assert_eq!(fr_to_bytes(&reg.root()), revoked);
        assert!(matches!(
            reg.set_revoked(&store, 0, &leaf(9), true),
            Err(RegistryError::Conflict(0))
        ));
        assert!(matches!(
            reg.set_revoked(&store, 7, &leaf(8), true),
            Err(RegistryError::UnknownLeaf(7))
        ));
        // A repeated push of the revoked leaf's commitment is harmless.
        reg.append(&store, 0, &[leaf(1), leaf(2), leaf(3), leaf(4)])
            .unwrap();
        let after_push = fr_to_bytes(&reg.root());
        assert_eq!(after_push, tree(&[1, 0, 3, 4]));
        // Restored.
        reg.set_revoked(&store, 1, &leaf(2), false).unwrap();
        let restored = fr_to_bytes(&reg.root());
        assert_eq!(restored, tree(&[1, 2, 3, 4]));
        // Reloaded: the same tree and every root computed before, in order.
        let reg = Registry::load(&store).unwrap();
        assert_eq!(fr_to_bytes(&reg.root()), restored);
        for r in [before, revoked, after_push, restored] {
            assert!(reg.leaf_count_of(&r).is_some());
        }
        assert!(reg.leaf_count_of(&tree(&[1, 9, 3])).is_none());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
