//! The contributor registry: identity commitments as leaves of a Poseidon
//! Merkle tree (depth 20). PostgreSQL is the source of truth; each process
//! keeps the tree in memory and catches up from the `identities` table
//! (leaves are append-only, numbered densely), so it is rebuilt on start and
//! stays correct with several server processes. Every change is announced
//! to the keyholders, and a root is usable only once all of them computed it.

use std::sync::{Mutex, MutexGuard};

use diesel::{Connection, PgConnection};
use keyholder_api::{CallError, Keyholders};
use protocol::attestation::{fr_from_bytes, fr_to_bytes, Fr, MerklePath, MerkleTree, EMPTY_LEAF};

use crate::domain::UserId;
use crate::store::registry as store;
use crate::store::tx::{self, PgPool, Retryable, Unavailable};

/// Why a registry operation did not complete.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// The account registered an identity already.
    #[error("this account already registered an identity commitment")]
    IdentityExists,
    /// Another account registered this commitment.
    #[error("this commitment is already registered")]
    CommitmentTaken,
    /// The commitment is not a field element.
    #[error("{0}")]
    InvalidCommitment(String),
    /// No identity registered for this account.
    #[error("no identity registered for this account")]
    NoIdentity,
    /// No such leaf in the tree.
    #[error("no registry leaf {0}")]
    NoLeaf(u64),
    /// The stored registry breaks an invariant.
    #[error("{0}")]
    Corrupt(String),
    /// A keyholder refused or could not be reached.
    #[error(transparent)]
    Keyholder(#[from] CallError),
    /// The database was not reached.
    #[error(transparent)]
    Unavailable(#[from] Unavailable),
    /// The database failed.
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
}

impl Retryable for RegistryError {
    fn is_retryable(&self) -> bool {
        matches!(self, Self::Db(e) if tx::is_transient(e))
    }
}

fn corrupt(e: impl std::fmt::Display) -> RegistryError {
    RegistryError::Corrupt(e.to_string())
}

/// The in-memory tree, shared by the server's workers.
#[derive(Default)]
pub struct Registry {
    tree: Mutex<Synced>,
}

/// The tree and the latest revocation it reflects.
#[derive(Default)]
struct Synced {
    tree: MerkleTree,
    /// Id of the latest revocation (or restoration) root applied.
    revision: Option<i64>,
}

/// A registered identity.
#[derive(Debug, Clone)]
pub struct Registered {
    /// Position of the commitment in the tree.
    pub leaf_index: u64,
    /// The root right after it was added.
    pub root: Fr,
}

/// Parses a hex identity commitment.
pub fn parse_commitment(hex_commitment: &str) -> Result<Fr, RegistryError> {
    let bytes = hex::decode(hex_commitment.trim())
        .map_err(|_| RegistryError::InvalidCommitment("commitment must be hex".into()))?;
    fr_from_bytes(&bytes).map_err(|e| RegistryError::InvalidCommitment(e.to_string()))
}

fn leaf_value(commitment: &[u8], revoked: bool) -> Result<Fr, RegistryError> {
    if revoked {
        return Ok(EMPTY_LEAF);
    }
    fr_from_bytes(commitment).map_err(|e| corrupt(format!("stored commitment: {e}")))
}

/// Brings `s` up to date: new leaves appended; if a leaf was revoked or
/// restored since (by any process), rebuilt from every leaf.
fn sync(conn: &mut PgConnection, s: &mut Synced) -> Result<(), RegistryError> {
    let revision = store::latest_revision(conn)?;
    if revision != s.revision {
        *s = Synced::default();
        s.revision = revision;
    }
    for leaf in store::leaves_from(conn, s.tree.len() as i64)? {
        let value = leaf_value(&leaf.commitment, leaf.revoked_at.is_some())?;
        let got = s
            .tree
            .push(value)
            .map_err(|e| corrupt(format!("registry tree: {e}")))?;
        if got as i64 != leaf.leaf_index {
            return Err(corrupt(format!(
                "registry leaf {} landed at {got}",
                leaf.leaf_index
            )));
        }
    }
    Ok(())
}

impl Registry {
    fn lock(&self) -> MutexGuard<'_, Synced> {
        // A panic while holding the tree leaves it mid-change: rebuild.
        self.tree.lock().unwrap_or_else(|e| {
            let mut g = e.into_inner();
            *g = Synced::default();
            g
        })
    }

    /// Runs `f` on the up-to-date tree in one transaction holding the
    /// registry lock; the tree is rebuilt from the database next time if
    /// the transaction fails (it may hold a change that was rolled back).
    fn change<T>(
        &self,
        conn: &mut PgConnection,
        f: impl FnOnce(&mut PgConnection, &mut Synced) -> Result<T, RegistryError>,
    ) -> Result<T, RegistryError> {
        let mut tree = self.lock();
        let result = conn.transaction(|conn| {
            store::lock(conn)?;
            sync(conn, &mut tree)?;
            f(conn, &mut tree)
        });
        if result.is_err() {
            *tree = Synced::default();
        }
        result
    }

    /// Brings the tree up to date with the database (also the start-up rebuild).
    pub fn sync(&self, conn: &mut PgConnection) -> Result<(), RegistryError> {
        let mut tree = self.lock();
        if let Err(e) = sync(conn, &mut tree) {
            *tree = Synced::default();
            return Err(e);
        }
        Ok(())
    }

    /// Adds `commitment` for `user_id` (one identity per account), recording
    /// the new root, in one transaction.
    pub fn register(
        &self,
        conn: &mut PgConnection,
        user_id: UserId,
        commitment: Fr,
    ) -> Result<Registered, RegistryError> {
        self.change(conn, |conn, tree| {
            if store::leaf_of(conn, user_id)?.is_some() {
                return Err(RegistryError::IdentityExists);
            }
            let bytes = fr_to_bytes(&commitment);
            if store::commitment_taken(conn, &bytes)? {
                return Err(RegistryError::CommitmentTaken);
            }
            let leaf_index = tree.tree.len() as i64;
            store::insert_leaf(conn, leaf_index, user_id, &bytes)?;
            tree.tree
                .push(commitment)
                .map_err(|e| corrupt(format!("registry tree: {e}")))?;
            let root = tree.tree.root();
            store::insert_root(conn, &fr_to_bytes(&root), leaf_index + 1, None)?;
            Ok(Registered {
                leaf_index: leaf_index as u64,
                root,
            })
        })
    }

    /// Revokes (`revoked`: the tree holds the empty leaf there) or
    /// restores the identity leaf of `user_id`, recording the new root (to
    /// be pushed to the keyholders), in one transaction with the caller's.
    /// Answers the leaf index, or `None` when the account registered no
    /// identity or its leaf is already in that state.
    pub fn set_revoked(
        &self,
        conn: &mut PgConnection,
        user_id: UserId,
        revoked: bool,
    ) -> Result<Option<u64>, RegistryError> {
        self.change(conn, |conn, tree| {
            let Some(leaf) = store::leaf_of(conn, user_id)? else {
                return Ok(None);
            };
            if leaf.revoked_at.is_some() == revoked {
                return Ok(None);
            }
            let index = leaf.leaf_index;
            store::set_leaf_revoked(conn, index, revoked)?;
            tree.tree
                .set(index as u64, leaf_value(&leaf.commitment, revoked)?)
                .map_err(|e| corrupt(format!("registry tree: {e}")))?;
            let root = fr_to_bytes(&tree.tree.root());
            let id =
                store::insert_root(conn, &root, tree.tree.len() as i64, Some((index, revoked)))?;
            tree.revision = Some(id);
            Ok(Some(index as u64))
        })
    }

    /// The Merkle path of leaf `index` and the current root.
    pub fn path(
        &self,
        conn: &mut PgConnection,
        index: u64,
    ) -> Result<(MerklePath, Fr), RegistryError> {
        let mut tree = self.lock();
        if let Err(e) = sync(conn, &mut tree) {
            *tree = Synced::default();
            return Err(e);
        }
        let path = tree
            .tree
            .path(index)
            .map_err(|_| RegistryError::NoLeaf(index))?;
        Ok((path, tree.tree.root()))
    }
}

/// Most leaves pushed to the keyholders in one request.
const PUSH_BATCH: i64 = 1024;

/// Pushes every registry change the keyholders have not confirmed to all
/// of them, in the order the server made them (appended leaves, in leaf
/// order, and revocations or restorations of a leaf), and marks a root
/// announced once every keyholder computed the same root after the same
/// changes (a contribution may use only announced roots: the keyholders
/// refuse any other at release). Safe to run concurrently (pushes and
/// revocations are idempotent). A keyholder that lost its registry
/// (`registry_gap`) gets every change again. Answers how many roots
/// became announced.
pub async fn announce_pending(
    pool: &PgPool,
    keyholders: &dyn Keyholders,
) -> Result<u64, RegistryError> {
    let mut announced = 0u64;
    let mut restarted = false;
    loop {
        // The next unconfirmed changes in order, each with the commitment of
        // the leaf it appended or revoked.
        let batch = tx::with_conn(pool, |conn| {
            store::pending(conn, PUSH_BATCH).map_err(RegistryError::from)
        })
        .await?;
        let Some(first) = batch.first().cloned() else {
            return Ok(announced);
        };
        let as_leaf = |c: &[u8]| {
            <[u8; 32]>::try_from(c).map_err(|_| corrupt("stored commitment is not 32 bytes"))
        };
        let pushed = match (first.revocation_of, first.revoked) {
            (Some(index), Some(revoked)) => {
                keyholders
                    .revoke_registry_leaf(index as u64, &as_leaf(&first.commitment)?, revoked)
                    .await
            }
            _ => {
                // A contiguous run of appended leaves, up to the next
                // revocation.
                let start = first.leaf_count - 1;
                let leaves: Vec<[u8; 32]> = batch
                    .iter()
                    .take_while(|p| p.revocation_of.is_none())
                    .enumerate()
                    .take_while(|(i, p)| p.leaf_count - 1 == start + *i as i64)
                    .map(|(_, p)| as_leaf(&p.commitment))
                    .collect::<Result<_, _>>()?;
                keyholders.push_registry(start as u64, &leaves).await
            }
        };
        let state = match pushed {
            Ok(state) => state,
            Err(CallError::Refused { code, .. }) if code == "registry_gap" && !restarted => {
                // A keyholder holds fewer leaves than were announced (its
                // registry was reset): push everything again.
                tracing::warn!("a keyholder lost registry leaves: announcing the registry again");
                restarted = true;
                tx::with_conn(pool, |conn| {
                    store::unannounce_all(conn).map_err(RegistryError::from)
                })
                .await?;
                continue;
            }
            Err(e) => return Err(e.into()),
        };
        // Their root after their changes must be ours after the same ones
        // (the latest of ours with that leaf count and root): then every
        // earlier root agrees too.
        let count = state.leaf_count as i64;
        let theirs = hex::decode(&state.root).unwrap_or_default();
        let marked = tx::with_conn(pool, move |conn| {
            store::mark_announced(conn, count, &theirs)?.ok_or_else(|| {
                corrupt(format!(
                    "the keyholders' registry root over {count} leaves is not one of this server's"
                ))
            })
        })
        .await?;
        announced += marked;
        if marked == 0 {
            // Nothing more this keyholder state confirms (another process
            // is ahead, or a change is missing): try again later.
            return Ok(announced);
        }
    }
}
