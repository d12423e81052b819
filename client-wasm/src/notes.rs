//! The device's reward notes: recorded from receipts, found again from the
//! identity secret alone, and claimed into a wallet.
//!
//! A note is named by (campaign, amount): its secret is derived from the
//! identity secret and the campaign, so the identity secret is the only thing
//! to keep safe; the list of held notes ([`HeldNote`]) is a convenience the
//! device can rebuild with [`find_notes`] from the public notes tree and the
//! campaigns' rewards. A claim downloads every leaf of the notes tree (never
//! asks for one note's path, which would tell the server which note is being
//! claimed), builds the paths locally and proves up to
//! [`CLAIM_ARITY`] notes at once.

use std::collections::HashMap;

use protocol::attestation::{
    fr_from_hex, fr_to_hex, note_commitment, prove_claim, Fr, IdentitySecret, MerkleTree,
    NoteSecret, OwnedNote, CLAIM_ARITY,
};
use protocol::wire::{ClaimRequest, NotesPage, Receipt};

use crate::keys::PinnedClaimKey;
use serde::{Deserialize, Serialize};

/// Why a note operation failed.
#[derive(Debug, thiserror::Error)]
pub enum NoteError {
    /// The server's answer is inconsistent (a receipt or page that does not add up).
    #[error("{0}")]
    Inconsistent(String),
    /// What was asked cannot be done (no notes, too many, unknown note).
    #[error("{0}")]
    Request(String),
    /// The claim proof failed.
    #[error("claim proof: {0}")]
    Prove(String),
}

/// A reward note the device holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeldNote {
    /// The campaign whose contribution it pays (known only to the device).
    pub campaign_id: u64,
    /// Tokens in it.
    pub amount: u64,
    /// Its position in the notes tree.
    pub index: u64,
    /// Whether the device has claimed it.
    #[serde(default)]
    pub claimed: bool,
}

/// The note key a contribution to `campaign_id` binds, hex.
pub fn note_key_hex(secret: &IdentitySecret, campaign_id: u64) -> String {
    fr_to_hex(&NoteSecret::derive(secret, campaign_id).key())
}

/// Checks a receipt's note against the device's own secret (the commitment is
/// `H_note(key, reward)` for this identity and campaign) and returns it.
pub fn note_from_receipt(
    secret: &IdentitySecret,
    receipt: &Receipt,
) -> Result<HeldNote, NoteError> {
    let campaign_id = u64::try_from(receipt.campaign_id)
        .map_err(|_| NoteError::Inconsistent("the receipt names no campaign".into()))?;
    let amount = u64::try_from(receipt.reward)
        .map_err(|_| NoteError::Inconsistent("the receipt's reward is negative".into()))?;
    let expected = NoteSecret::derive(secret, campaign_id).commitment(amount);
    if receipt.note_commitment != fr_to_hex(&expected) {
        return Err(NoteError::Inconsistent(
            "the receipt's note commitment is not this device's note for that reward".into(),
        ));
    }
    Ok(HeldNote {
        campaign_id,
        amount,
        index: receipt.note_index,
        claimed: false,
    })
}

/// The notes tree as downloaded: every leaf up to a root the server published.
#[derive(Debug, Clone, Default)]
pub struct NotesTree {
    leaves: Vec<Fr>,
    root: Option<Fr>,
}

impl NotesTree {
    /// An empty download.
    pub fn new() -> Self {
        Self::default()
    }

    /// The number of leaves downloaded.
    pub fn len(&self) -> u64 {
        self.leaves.len() as u64
    }

    /// Whether nothing was downloaded.
    pub fn is_empty(&self) -> bool {
        self.leaves.is_empty()
    }

    /// Appends a page (it must start where the download stands); returns
    /// whether the download is complete (it reached the page's `leaf_count`).
    pub fn add_page(&mut self, page: &NotesPage) -> Result<bool, NoteError> {
        if page.first_index != self.len() {
            return Err(NoteError::Inconsistent(format!(
                "a notes page starts at {}, the download stands at {}",
                page.first_index,
                self.len()
            )));
        }
        for c in &page.commitments {
            let leaf = fr_from_hex(c)
                .map_err(|_| NoteError::Inconsistent("a note commitment is not hex".into()))?;
            self.leaves.push(leaf);
        }
        if self.len() > page.leaf_count {
            return Err(NoteError::Inconsistent(
                "a notes page goes past its own root".into(),
            ));
        }
        let root = fr_from_hex(&page.root)
            .map_err(|_| NoteError::Inconsistent("the notes root is not hex".into()))?;
        self.root = Some(root);
        Ok(self.len() == page.leaf_count)
    }

    fn tree(&self) -> Result<MerkleTree, NoteError> {
        let tree = MerkleTree::from_leaves(self.leaves.iter().copied())
            .map_err(|e| NoteError::Inconsistent(e.to_string()))?;
        if Some(tree.root()) != self.root {
            return Err(NoteError::Inconsistent(
                "the notes leaves do not hash to the root the server published".into(),
            ));
        }
        Ok(tree)
    }
}

/// Finds this identity's notes in the tree, given the campaigns it may have
/// contributed to and their rewards: recovery from the identity secret alone.
pub fn find_notes(
    secret: &IdentitySecret,
    campaigns: &[(u64, u64)],
    tree: &NotesTree,
) -> Vec<HeldNote> {
    let wanted: HashMap<Fr, (u64, u64)> = campaigns
        .iter()
        .map(|&(campaign_id, amount)| {
            (
                NoteSecret::derive(secret, campaign_id).commitment(amount),
                (campaign_id, amount),
            )
        })
        .collect();
    tree.leaves
        .iter()
        .enumerate()
        .filter_map(|(index, leaf)| {
            wanted.get(leaf).map(|&(campaign_id, amount)| HeldNote {
                campaign_id,
                amount,
                index: index as u64,
                claimed: false,
            })
        })
        .collect()
}

/// Proves a claim of `notes` (1 to [`CLAIM_ARITY`], unclaimed) into the
/// wallet `destination`, with paths from the downloaded `tree`.
pub fn prepare_claim(
    pk: &PinnedClaimKey,
    secret: &IdentitySecret,
    notes: &[HeldNote],
    tree: &NotesTree,
    destination: u64,
) -> Result<ClaimRequest, NoteError> {
    if notes.is_empty() || notes.len() > CLAIM_ARITY {
        return Err(NoteError::Request(format!(
            "a claim spends 1 to {CLAIM_ARITY} notes"
        )));
    }
    if notes.iter().any(|n| n.claimed) {
        return Err(NoteError::Request("a note is claimed already".into()));
    }
    let full = tree.tree()?;
    let owned = notes
        .iter()
        .map(|n| {
            let note_secret = NoteSecret::derive(secret, n.campaign_id);
            let leaf = full.leaf(n.index).ok_or_else(|| {
                NoteError::Request(format!(
                    "note {} is not in the downloaded tree yet",
                    n.index
                ))
            })?;
            if leaf != note_commitment(note_secret.key(), n.amount) {
                return Err(NoteError::Request(format!(
                    "leaf {} is not this device's note of campaign {}",
                    n.index, n.campaign_id
                )));
            }
            let path = full
                .path(n.index)
                .map_err(|e| NoteError::Inconsistent(e.to_string()))?;
            Ok(OwnedNote {
                secret: note_secret,
                amount: n.amount,
                path,
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let (proof, statement) = prove_claim(pk.key(), &owned, destination, &mut rand::rngs::OsRng)
        .map_err(|e| NoteError::Prove(e.to_string()))?;
    Ok(ClaimRequest::new(&proof, &statement))
}

#[cfg(test)]
mod tests {
    use super::*;
    use protocol::attestation::{claim_setup, verify_claim_raw};
    use rand::SeedableRng;

    fn page(leaves: &[Fr], from: usize, to: usize) -> NotesPage {
        let tree = MerkleTree::from_leaves(leaves.iter().copied()).unwrap();
        NotesPage {
            first_index: from as u64,
            commitments: leaves[from..to].iter().map(fr_to_hex).collect(),
            leaf_count: leaves.len() as u64,
            root: fr_to_hex(&tree.root()),
        }
    }

    #[test]
    fn notes_are_found_again_and_claimed_together() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(5);
        let secret = IdentitySecret::random(&mut rng);
        let other = IdentitySecret::random(&mut rng);
        // Notes of two identities in campaigns 1..=3, interleaved.
        let mut leaves = Vec::new();
        for (campaign, reward) in [(1u64, 10u64), (2, 20), (3, 30)] {
            leaves.push(NoteSecret::derive(&other, campaign).commitment(reward));
            leaves.push(NoteSecret::derive(&secret, campaign).commitment(reward));
        }
        let mut tree = NotesTree::new();
        assert!(!tree.add_page(&page(&leaves, 0, 4)).unwrap());
        assert!(
            tree.add_page(&page(&leaves, 2, 6)).is_err(),
            "pages join up"
        );
        assert!(tree.add_page(&page(&leaves, 4, 6)).unwrap());

        let found = find_notes(&secret, &[(1, 10), (2, 20), (3, 30), (4, 40)], &tree);
        assert_eq!(
            found
                .iter()
                .map(|n| (n.campaign_id, n.index))
                .collect::<Vec<_>>(),
            [(1, 1), (2, 3), (3, 5)]
        );
        // A reward other than the one paid is not this note.
        assert!(find_notes(&secret, &[(1, 11)], &tree).is_empty());

        let (pk, vk) = claim_setup(&mut rng).unwrap();
        let pk = crate::keys::PinnedKey::for_tests(pk);
        let request = prepare_claim(&pk, &secret, &found, &tree, 9).unwrap();
        let (proof, statement) = request.statement().unwrap();
        assert_eq!(statement.total, 60);
        assert_eq!(statement.destination, 9);
        verify_claim_raw(&vk, &proof, &statement).unwrap();
        // The claim reveals the notes' nullifiers, never their keys or leaves.
        for n in &found {
            let s = NoteSecret::derive(&secret, n.campaign_id);
            assert!(statement.nullifiers.contains(&s.nullifier()));
            assert!(!statement.nullifiers.contains(&s.key()));
            assert!(!request
                .nullifiers
                .contains(&fr_to_hex(&leaves[n.index as usize])));
        }

        // Another identity's note cannot be claimed with this secret.
        let theirs = HeldNote {
            campaign_id: 1,
            amount: 10,
            index: 0,
            claimed: false,
        };
        assert!(matches!(
            prepare_claim(&pk, &secret, &[theirs], &tree, 9),
            Err(NoteError::Request(_))
        ));
        let claimed = HeldNote {
            claimed: true,
            ..found[0].clone()
        };
        assert!(prepare_claim(&pk, &secret, &[claimed], &tree, 9).is_err());
        // A tree whose leaves do not hash to the published root is refused.
        let mut forged = page(&leaves, 0, 6);
        forged.commitments[0] = fr_to_hex(&Fr::from(1u64));
        let mut bad = NotesTree::new();
        bad.add_page(&forged).unwrap();
        assert!(matches!(
            prepare_claim(&pk, &secret, &found[..1], &bad, 9),
            Err(NoteError::Inconsistent(_))
        ));
    }

    #[test]
    fn receipts_are_checked_against_the_secret() {
        let secret = IdentitySecret::from_bytes([3; 32]);
        let good = Receipt {
            contribution_id: 1,
            campaign_id: 7,
            digest: String::new(),
            transfer_id: 1,
            reward: 25,
            note_index: 4,
            note_commitment: fr_to_hex(&NoteSecret::derive(&secret, 7).commitment(25)),
        };
        let note = note_from_receipt(&secret, &good).unwrap();
        assert_eq!((note.campaign_id, note.amount, note.index), (7, 25, 4));
        let short = Receipt {
            reward: 24,
            ..good.clone()
        };
        assert!(note_from_receipt(&secret, &short).is_err());
        assert_eq!(
            note_key_hex(&secret, 7),
            fr_to_hex(&NoteSecret::derive(&secret, 7).key())
        );
    }
}
