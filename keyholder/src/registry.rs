//! The keyholder's own copy of the contributor registry.
//!
//! The server pushes every registered identity commitment here, in leaf
//! order, before a contribution may use the root it creates. The keyholder
//! builds the Poseidon Merkle tree itself and remembers every root it
//! computed: a contribution whose attestation names any other root is
//! refused at release (`unknown_root`). So the server cannot prove
//! membership in a tree the keyholders never saw, or rewrite or fork the
//! registry after the fact (a leaf once pushed is fixed; every root is one
//! point of the one append-only history). It can still register identities
//! of its own making — the Sybil limit the README states — including
//! between contributors' path fetches, so that few contributors share a
//! root (a timing hint).

use std::collections::HashMap;
use std::sync::Mutex;

use protocol::attestation::{fr_from_bytes, fr_to_bytes, Fr, MerkleTree, VerifyingKey};

use crate::store::{KeyStore, StoreError};

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
    /// The Groth16 verifying key (`attestation_vk.bin` of the key set).
    pub verifying_key: VerifyingKey,
    /// The registry as pushed by the server.
    pub registry: Mutex<Registry>,
}

impl Eligibility {
    /// Loads both from the store.
    pub fn load(store: &KeyStore) -> anyhow::Result<Self> {
        let vk = store.keyset_file("attestation_vk.bin").map_err(|e| {
            anyhow::anyhow!(
                "the key set has no attestation keys ({e}): it was dealt by an older \
                 cipherpool-keyholder; deal a new key set"
            )
        })?;
        Ok(Self {
            verifying_key: VerifyingKey::from_bytes(&vk)?,
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
}

impl Registry {
    /// Rebuilds the tree from the stored leaves.
    pub fn load(store: &KeyStore) -> Result<Self, RegistryError> {
        let mut registry = Self {
            tree: MerkleTree::new(),
            roots: HashMap::new(),
        };
        let leaves = store.registry_leaves()?;
        for (i, leaf) in leaves.iter().enumerate() {
            registry.push(i as u64, leaf)?;
        }
        Ok(registry)
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
            match self.tree.leaf(index) {
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
}
