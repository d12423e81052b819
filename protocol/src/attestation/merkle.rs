//! The contributor registry: a native incremental Poseidon Merkle tree of identity
//! commitments, its authentication paths, and their verification.
//!
//! Depth [`TREE_DEPTH`]; an empty leaf is [`EMPTY_LEAF`] (zero) and empty subtrees hash to
//! precomputed values. Inner nodes are `H_node(left, right)`. The tree stores every node, so
//! `push` and `path` cost `O(TREE_DEPTH)` hashes / lookups (about 64 MiB per million leaves).

use std::sync::OnceLock;

use ark_ff::AdditiveGroup;
use serde::{Deserialize, Serialize};

use super::field::serde_fr_vec;
use super::poseidon::{hash, Domain};
use super::{AttestationError, Fr, TREE_DEPTH};

/// The value of an unoccupied leaf.
pub const EMPTY_LEAF: Fr = Fr::ZERO;

/// The number of leaves a tree can hold: `2^TREE_DEPTH`.
pub const MAX_LEAVES: u64 = 1 << TREE_DEPTH;

/// `H_node(left, right)`.
pub(crate) fn hash_node(left: Fr, right: Fr) -> Fr {
    hash(Domain::MerkleNode, &[left, right])
}

/// `empty_subtrees()[h]` is the root of an empty subtree of height `h`; index
/// `TREE_DEPTH` is the root of the empty tree.
fn empty_subtrees() -> &'static [Fr; TREE_DEPTH + 1] {
    static EMPTY: OnceLock<[Fr; TREE_DEPTH + 1]> = OnceLock::new();
    EMPTY.get_or_init(|| {
        let mut nodes = [EMPTY_LEAF; TREE_DEPTH + 1];
        for h in 0..TREE_DEPTH {
            nodes[h + 1] = hash_node(nodes[h], nodes[h]);
        }
        nodes
    })
}

/// The root of a tree with no leaves.
pub fn empty_root() -> Fr {
    empty_subtrees()[TREE_DEPTH]
}

/// Native incremental Merkle tree of identity commitments (append-only).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MerkleTree {
    /// `levels[0]` are the leaves, `levels[h]` the occupied nodes at height `h`;
    /// `levels[TREE_DEPTH]` holds the root once a leaf exists.
    levels: Vec<Vec<Fr>>,
}

impl Default for MerkleTree {
    fn default() -> Self {
        Self::new()
    }
}

impl MerkleTree {
    /// An empty tree.
    pub fn new() -> Self {
        Self {
            levels: vec![Vec::new(); TREE_DEPTH + 1],
        }
    }

    /// Builds a tree from its leaves in order, hashing each level once (about half the
    /// hashes of pushing the leaves one by one). Errors with `TreeFull` beyond
    /// [`MAX_LEAVES`] leaves.
    pub fn from_leaves<I: IntoIterator<Item = Fr>>(leaves: I) -> Result<Self, AttestationError> {
        let leaves: Vec<Fr> = leaves.into_iter().collect();
        if leaves.len() as u64 > MAX_LEAVES {
            return Err(AttestationError::TreeFull);
        }
        let empty = empty_subtrees();
        let mut levels = Vec::with_capacity(TREE_DEPTH + 1);
        levels.push(leaves);
        for (h, empty_h) in empty.iter().enumerate().take(TREE_DEPTH) {
            let next: Vec<Fr> = levels[h]
                .chunks(2)
                .map(|pair| hash_node(pair[0], pair.get(1).copied().unwrap_or(*empty_h)))
                .collect();
            levels.push(next);
        }
        Ok(Self { levels })
    }

    /// Number of leaves.
    pub fn len(&self) -> u64 {
        self.levels[0].len() as u64
    }

    /// Whether the tree has no leaves.
    pub fn is_empty(&self) -> bool {
        self.levels[0].is_empty()
    }

    /// The leaf at `index`, if occupied.
    pub fn leaf(&self, index: u64) -> Option<Fr> {
        usize::try_from(index)
            .ok()
            .and_then(|i| self.levels[0].get(i).copied())
    }

    /// Appends a leaf and returns its index. `O(TREE_DEPTH)` hashes.
    pub fn push(&mut self, leaf: Fr) -> Result<u64, AttestationError> {
        let index = self.levels[0].len();
        if index as u64 >= MAX_LEAVES {
            return Err(AttestationError::TreeFull);
        }
        self.levels[0].push(leaf);
        self.rehash_up(index, leaf);
        Ok(index as u64)
    }

    /// Replaces the occupied leaf at `index` (a revocation sets it to
    /// [`EMPTY_LEAF`]; restoring sets it back). `O(TREE_DEPTH)` hashes; the
    /// root equals that of the tree built from the changed leaves.
    pub fn set(&mut self, index: u64, leaf: Fr) -> Result<(), AttestationError> {
        if index >= self.len() {
            return Err(AttestationError::PathOutOfRange { index });
        }
        let pos = index as usize;
        self.levels[0][pos] = leaf;
        self.rehash_up(pos, leaf);
        Ok(())
    }

    /// Recomputes the nodes above leaf `pos` (now `leaf`).
    fn rehash_up(&mut self, pos: usize, leaf: Fr) {
        let mut pos = pos;
        let mut node = leaf;
        for h in 0..TREE_DEPTH {
            let sibling = self.node(h, pos ^ 1);
            node = if pos & 1 == 0 {
                hash_node(node, sibling)
            } else {
                hash_node(sibling, node)
            };
            pos >>= 1;
            let level = &mut self.levels[h + 1];
            match level.get_mut(pos) {
                Some(slot) => *slot = node,
                None => level.push(node),
            }
        }
    }

    /// The node at height `h`, position `pos` (empty-subtree value when unoccupied).
    fn node(&self, h: usize, pos: usize) -> Fr {
        self.levels[h]
            .get(pos)
            .copied()
            .unwrap_or(empty_subtrees()[h])
    }

    /// The current root.
    pub fn root(&self) -> Fr {
        self.node(TREE_DEPTH, 0)
    }

    /// The authentication path of the leaf at `index`. Errors with `PathOutOfRange` if no
    /// leaf is there.
    pub fn path(&self, index: u64) -> Result<MerklePath, AttestationError> {
        if index >= self.len() {
            return Err(AttestationError::PathOutOfRange { index });
        }
        // `index < len <= MAX_LEAVES`, so it fits in usize.
        let mut pos = index as usize;
        let mut siblings = Vec::with_capacity(TREE_DEPTH);
        for h in 0..TREE_DEPTH {
            siblings.push(self.node(h, pos ^ 1));
            pos >>= 1;
        }
        Ok(MerklePath { siblings, index })
    }
}

/// The authentication path of one leaf: `siblings[h]` is the sibling at height `h`
/// (leaf level first), and bit `h` of `index` says whether the node at height `h` on the
/// path is a right child.
///
/// Serialized (serde) as `{"siblings": [64-hex-char strings], "index": n}`; deserializing
/// checks the number of siblings, the range of the index and that each sibling is canonical.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RawMerklePath")]
pub struct MerklePath {
    /// Sibling nodes from the leaf level up; exactly [`TREE_DEPTH`] of them.
    #[serde(with = "serde_fr_vec")]
    pub siblings: Vec<Fr>,
    /// Leaf index, below [`MAX_LEAVES`].
    pub index: u64,
}

/// Unchecked serde form of a [`MerklePath`].
#[derive(Deserialize)]
struct RawMerklePath {
    #[serde(with = "serde_fr_vec")]
    siblings: Vec<Fr>,
    index: u64,
}

impl TryFrom<RawMerklePath> for MerklePath {
    type Error = AttestationError;

    fn try_from(raw: RawMerklePath) -> Result<Self, Self::Error> {
        let path = MerklePath {
            siblings: raw.siblings,
            index: raw.index,
        };
        path.check_shape()?;
        Ok(path)
    }
}

impl MerklePath {
    /// Checks that the path has `TREE_DEPTH` siblings and an index below `MAX_LEAVES`.
    pub fn check_shape(&self) -> Result<(), AttestationError> {
        if self.siblings.len() != TREE_DEPTH {
            return Err(AttestationError::MalformedPath {
                got: self.siblings.len(),
                expected: TREE_DEPTH,
            });
        }
        if self.index >= MAX_LEAVES {
            return Err(AttestationError::PathOutOfRange { index: self.index });
        }
        Ok(())
    }

    /// The direction bits of the path, leaf level first (`true`: the node is a right child).
    pub(crate) fn index_bits(&self) -> [bool; TREE_DEPTH] {
        let mut bits = [false; TREE_DEPTH];
        for (h, bit) in bits.iter_mut().enumerate() {
            *bit = (self.index >> h) & 1 == 1;
        }
        bits
    }

    /// The root this path leads to from `leaf`.
    pub fn compute_root(&self, leaf: Fr) -> Result<Fr, AttestationError> {
        self.check_shape()?;
        let mut node = leaf;
        for (sibling, right) in self.siblings.iter().zip(self.index_bits()) {
            node = if right {
                hash_node(*sibling, node)
            } else {
                hash_node(node, *sibling)
            };
        }
        Ok(node)
    }
}

/// Whether `path` leads from `leaf` to `root` (false for a malformed path).
pub fn verify_path(leaf: Fr, path: &MerklePath, root: Fr) -> bool {
    path.compute_root(leaf) == Ok(root)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaf(i: u64) -> Fr {
        Fr::from(i * 7919 + 1)
    }

    #[test]
    fn empty_tree_root_is_the_precomputed_empty_root() {
        let tree = MerkleTree::new();
        assert!(tree.is_empty());
        assert_eq!(tree.root(), empty_root());
        let mut manual = EMPTY_LEAF;
        for _ in 0..TREE_DEPTH {
            manual = hash_node(manual, manual);
        }
        assert_eq!(empty_root(), manual);
        assert_eq!(MerkleTree::from_leaves([]).unwrap().root(), empty_root());
        assert_eq!(
            tree.path(0),
            Err(AttestationError::PathOutOfRange { index: 0 })
        );
    }

    #[test]
    fn paths_verify_and_roots_change() {
        let mut tree = MerkleTree::new();
        let mut roots = vec![tree.root()];
        for i in 0..37 {
            assert_eq!(tree.push(leaf(i)).unwrap(), i);
            assert!(!roots.contains(&tree.root()));
            roots.push(tree.root());
        }
        assert_eq!(tree.len(), 37);
        for i in [0, 1, 2, 17, 31, 32, 36] {
            let path = tree.path(i).unwrap();
            assert_eq!(path.index, i);
            assert!(verify_path(leaf(i), &path, tree.root()));
            assert!(!verify_path(leaf(i + 1), &path, tree.root()));
            assert!(!verify_path(leaf(i), &path, roots[20]));
            let mut bad = path.clone();
            bad.siblings[3] += Fr::from(1u64);
            assert!(!verify_path(leaf(i), &bad, tree.root()));
            let mut moved = path.clone();
            moved.index ^= 1;
            assert!(!verify_path(leaf(i), &moved, tree.root()));
        }
        assert!(tree.path(37).is_err());
        assert_eq!(tree.leaf(36), Some(leaf(36)));
        assert_eq!(tree.leaf(37), None);

        // A single-leaf tree by hand.
        let one = MerkleTree::from_leaves([leaf(0)]).unwrap();
        let mut manual = leaf(0);
        for h in 0..TREE_DEPTH {
            manual = hash_node(manual, empty_subtrees()[h]);
        }
        assert_eq!(one.root(), manual);
        assert_eq!(one.root(), roots[1]);
    }

    #[test]
    fn bulk_build_matches_pushes() {
        let mut tree = MerkleTree::new();
        for n in 0..20u64 {
            let bulk = MerkleTree::from_leaves((0..n).map(leaf)).unwrap();
            assert_eq!(bulk, tree, "n = {n}");
            tree.push(leaf(n)).unwrap();
        }
    }

    #[test]
    fn a_revoked_leaf_leaves_the_tree_and_comes_back() {
        let mut tree = MerkleTree::from_leaves((0..9).map(leaf)).unwrap();
        let before = tree.root();
        tree.set(4, EMPTY_LEAF).unwrap();
        let without =
            MerkleTree::from_leaves((0..9).map(|i| if i == 4 { EMPTY_LEAF } else { leaf(i) }))
                .unwrap();
        assert_eq!(tree, without);
        assert_ne!(tree.root(), before);
        // Others' paths verify under the new root; the revoked one does not.
        assert!(verify_path(leaf(3), &tree.path(3).unwrap(), tree.root()));
        assert!(!verify_path(leaf(4), &tree.path(4).unwrap(), tree.root()));
        tree.set(4, leaf(4)).unwrap();
        assert_eq!(tree.root(), before);
        assert_eq!(
            tree.set(9, leaf(9)),
            Err(AttestationError::PathOutOfRange { index: 9 })
        );
    }

    #[test]
    fn malformed_paths_are_refused() {
        let tree = MerkleTree::from_leaves([leaf(0), leaf(1)]).unwrap();
        let path = tree.path(1).unwrap();
        let mut short = path.clone();
        short.siblings.pop();
        assert_eq!(
            short.compute_root(leaf(1)),
            Err(AttestationError::MalformedPath {
                got: TREE_DEPTH - 1,
                expected: TREE_DEPTH
            })
        );
        let mut far = path.clone();
        far.index = MAX_LEAVES;
        assert!(!verify_path(leaf(1), &far, tree.root()));
    }

    #[test]
    fn path_serde_round_trip_and_checks() {
        let tree = MerkleTree::from_leaves((0..5).map(leaf)).unwrap();
        let path = tree.path(3).unwrap();
        let json = serde_json::to_string(&path).unwrap();
        let back: MerklePath = serde_json::from_str(&json).unwrap();
        assert_eq!(back, path);

        let mut value: serde_json::Value = serde_json::from_str(&json).unwrap();
        value["siblings"].as_array_mut().unwrap().pop();
        assert!(serde_json::from_value::<MerklePath>(value).is_err());

        let mut value: serde_json::Value = serde_json::from_str(&json).unwrap();
        value["siblings"][0] = serde_json::Value::String("ff".repeat(32));
        assert!(serde_json::from_value::<MerklePath>(value).is_err());

        let mut value: serde_json::Value = serde_json::from_str(&json).unwrap();
        value["index"] = serde_json::json!(MAX_LEAVES);
        assert!(serde_json::from_value::<MerklePath>(value).is_err());
    }
}
