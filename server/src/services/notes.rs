//! Reward notes: the notes tree (one leaf per accepted contribution,
//! `H_note(note_key, reward)`) and the claims that pay notes into wallets.
//!
//! PostgreSQL is the source of truth; each process keeps the tree in memory
//! and catches up from the `notes` table (append-only, dense indices, like
//! the registry), recording the root over every leaf count it reaches.
//! Devices download every leaf and build their paths themselves, so no
//! request tells which note is about to be claimed. A claim is checked
//! cheapest first (shape, root, spent nullifiers, destination), then its
//! Groth16 proof, then paid in one transaction whose nullifier rows make a
//! second spend of any note fail with nothing moved.

use std::sync::{Arc, Mutex, MutexGuard};

use diesel::PgConnection;
use protocol::attestation::{
    fr_from_bytes, fr_to_bytes, fr_to_hex, verify_claim_raw, ClaimVerifyingKey, Fr, MerkleTree,
};
use protocol::wire::{ClaimReceipt, ClaimRequest, NoteCampaign, NotesPage};

use crate::domain::AccountId;
use crate::store::ledger::{self, AccountKind, LedgerError, TransferKind};
use crate::store::notes as store;
use crate::store::tx::{self, PgPool, Retryable, Unavailable};
use crate::store::users;

/// The most leaves one page of `GET /api/notes` carries.
pub const MAX_PAGE: u64 = 10_000;

/// Why a notes operation or a claim did not complete.
#[derive(Debug, thiserror::Error)]
pub enum NotesError {
    /// The claim request is malformed (its shape, or a rule of the statement).
    #[error("{0}")]
    Malformed(String),
    /// The root is not one of the notes tree's recent roots.
    #[error("the claim is proven under a notes root that is unknown or too old; download the notes again")]
    StaleRoot,
    /// A nullifier was revealed by an earlier claim.
    #[error("a note of this claim was claimed already")]
    NoteSpent,
    /// The destination is not a wallet.
    #[error("the destination must be a wallet account")]
    InvalidDestination,
    /// The destination wallet's owner is suspended.
    #[error("the destination wallet belongs to a suspended account")]
    DestinationSuspended,
    /// The proof does not verify for this statement.
    #[error(
        "the claim proof does not verify for this root, these nullifiers, total and destination"
    )]
    InvalidProof,
    /// The stored notes break an invariant.
    #[error("{0}")]
    Corrupt(String),
    /// The ledger refused (the unclaimed account cannot cover the claim:
    /// an invariant broken, since every note was paid into it).
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    /// The database was not reached.
    #[error(transparent)]
    Unavailable(#[from] Unavailable),
    /// The database failed.
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
}

impl Retryable for NotesError {
    fn is_retryable(&self) -> bool {
        match self {
            Self::Db(e) => tx::is_transient(e),
            Self::Ledger(e) => e.is_retryable(),
            _ => false,
        }
    }
}

fn corrupt(e: impl std::fmt::Display) -> NotesError {
    NotesError::Corrupt(e.to_string())
}

/// The in-memory notes tree, shared by the server's workers.
#[derive(Default)]
pub struct NotesTree {
    tree: Mutex<MerkleTree>,
}

impl NotesTree {
    fn lock(&self) -> MutexGuard<'_, MerkleTree> {
        // A panic while holding the tree leaves it mid-change: rebuild.
        self.tree.lock().unwrap_or_else(|e| {
            let mut g = e.into_inner();
            *g = MerkleTree::new();
            g
        })
    }

    /// Brings the tree up to date with the database and records the root
    /// over every leaf; answers the leaf count and that root.
    pub fn sync(&self, conn: &mut PgConnection) -> Result<(u64, Fr), NotesError> {
        let mut tree = self.lock();
        let result = (|| {
            let from = tree.len() as i64;
            for (index, commitment) in store::leaves(conn, from, i64::MAX)? {
                let leaf = fr_from_bytes(&commitment).map_err(corrupt)?;
                let got = tree.push(leaf).map_err(corrupt)?;
                if got as i64 != index {
                    return Err(corrupt(format!("note leaf {index} landed at {got}")));
                }
            }
            if !tree.is_empty() {
                store::record_root(conn, tree.len() as i64, &fr_to_bytes(&tree.root()))?;
            }
            Ok((tree.len(), tree.root()))
        })();
        if result.is_err() {
            *tree = MerkleTree::new();
        }
        result
    }

    /// One page of leaves from `from`, never past the root it names.
    pub fn page(
        &self,
        conn: &mut PgConnection,
        from: u64,
        limit: u64,
    ) -> Result<NotesPage, NotesError> {
        let (count, root) = self.sync(conn)?;
        let to = count.min(from.saturating_add(limit.min(MAX_PAGE)));
        let commitments = if from < to {
            store::leaves(conn, from as i64, to as i64)?
                .into_iter()
                .map(|(_, c)| hex::encode(c))
                .collect()
        } else {
            Vec::new()
        };
        Ok(NotesPage {
            first_index: from,
            commitments,
            leaf_count: count,
            root: fr_to_hex(&root),
        })
    }
}

/// Appends the note of an accepted contribution (the caller's transaction
/// pays `amount` into the unclaimed account): `H_note(note_key, amount)`
/// at the next index, under the notes lock. Answers the index and the
/// commitment.
pub fn append(conn: &mut PgConnection, note_key: Fr, amount: u64) -> Result<(i64, Fr), NotesError> {
    let commitment = protocol::attestation::note_commitment(note_key, amount);
    store::lock(conn)?;
    let index = store::leaf_count(conn)?;
    store::insert_leaf(conn, index, &fr_to_bytes(&commitment))?;
    Ok((index, commitment))
}

/// Every campaign that paid a note, with its reward.
pub fn paying_campaigns(conn: &mut PgConnection) -> Result<Vec<NoteCampaign>, NotesError> {
    Ok(store::paying_campaigns(conn)?
        .into_iter()
        .map(|(campaign_id, reward)| NoteCampaign {
            campaign_id,
            reward,
        })
        .collect())
}

/// Checks and pays a claim. `max_root_age_secs`: how long a root stays
/// usable after a newer one was recorded.
pub async fn claim(
    pool: &PgPool,
    vk: Arc<ClaimVerifyingKey>,
    request: ClaimRequest,
    max_root_age_secs: i64,
) -> Result<ClaimReceipt, NotesError> {
    let (proof, statement) = request
        .statement()
        .map_err(|e| NotesError::Malformed(e.to_string()))?;
    let root = fr_to_bytes(&statement.root).to_vec();
    let nullifiers: Vec<Vec<u8>> = statement
        .nullifiers
        .iter()
        .map(|n| fr_to_bytes(n).to_vec())
        .collect();
    let destination = AccountId(request.destination);
    let amount = request.total;

    // The cheap checks, on one connection, before the proof.
    let (r, n) = (root.clone(), nullifiers.clone());
    tx::with_conn(pool, move |conn| -> Result<(), NotesError> {
        if !store::root_usable(conn, &r, max_root_age_secs)? {
            return Err(NotesError::StaleRoot);
        }
        if store::any_spent(conn, &n)? {
            return Err(NotesError::NoteSpent);
        }
        check_destination(conn, destination)
    })
    .await?;

    tx::blocking(move || {
        verify_claim_raw(&vk, &proof, &statement).map_err(|_| NotesError::InvalidProof)
    })
    .await?;

    let (claim_id, transfer_id) =
        tx::run_tx(pool, "claim_notes", move |conn| -> Result<_, NotesError> {
            check_destination(conn, destination)?;
            let unclaimed = ledger::unclaimed_account(conn)?;
            let transfer_id = ledger::transfer(
                conn,
                unclaimed,
                destination,
                protocol::TokenAmount::parse(amount)
                    .map_err(|e| NotesError::Malformed(e.to_string()))?,
                TransferKind::NoteClaim,
                "",
            )?
            .id;
            let claim_id =
                store::insert_claim(conn, destination, amount, &root, transfer_id, &nullifiers)
                    .map_err(|e| {
                        if tx::is_unique_violation(&e, "note_nullifiers_pkey") {
                            NotesError::NoteSpent
                        } else {
                            NotesError::Db(e)
                        }
                    })?;
            Ok((claim_id, transfer_id))
        })
        .await?;
    tracing::info!(claim_id, amount, "notes claimed");
    Ok(ClaimReceipt {
        claim_id,
        transfer_id,
        amount,
        destination: destination.get(),
    })
}

/// The destination is a wallet whose owner is not suspended.
fn check_destination(conn: &mut PgConnection, destination: AccountId) -> Result<(), NotesError> {
    match ledger::kind_and_owner(conn, destination)? {
        Some((AccountKind::Wallet, Some(owner))) => {
            if users::is_suspended(conn, owner)? {
                return Err(NotesError::DestinationSuspended);
            }
            Ok(())
        }
        _ => Err(NotesError::InvalidDestination),
    }
}
