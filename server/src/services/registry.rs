//! The contributor registry: identity commitments as leaves of a Poseidon
//! Merkle tree (depth 20). PostgreSQL is the source of truth; each process
//! keeps the tree in memory and catches up from the `identities` table
//! (leaves are append-only, numbered densely), so it is rebuilt on start and
//! stays correct with several server processes. Every change is announced
//! to the keyholders, and a root is usable only once all of them computed it.

use std::sync::{Mutex, MutexGuard};

use diesel::{Connection, PgConnection};
use keyholder_api::{CallError, Keyholders};
use protocol::attestation::{
    fr_from_bytes, fr_to_bytes, registry_leaf, Fr, MerklePath, MerkleTree, Tier, EMPTY_LEAF,
};

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

fn stored_tier(tier: &str) -> Result<Tier, RegistryError> {
    Tier::parse(tier).ok_or_else(|| corrupt(format!("stored tier {tier:?}")))
}

/// The tree's value of a stored leaf: `H_leaf(commitment, tier)`.
fn tiered_leaf(commitment: &[u8], tier: &str) -> Result<Fr, RegistryError> {
    let c = fr_from_bytes(commitment).map_err(|e| corrupt(format!("stored commitment: {e}")))?;
    Ok(registry_leaf(c, stored_tier(tier)?))
}

fn leaf_value(commitment: &[u8], tier: &str, revoked: bool) -> Result<Fr, RegistryError> {
    if revoked {
        return Ok(EMPTY_LEAF);
    }
    tiered_leaf(commitment, tier)
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
        let value = leaf_value(&leaf.commitment, &leaf.tier, leaf.revoked_at.is_some())?;
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

    /// Adds `commitment` for `user_id` (one identity per account) as its
    /// open leaf — and its verified leaf too when an admin verified the
    /// account already — recording each new root, in one transaction.
    pub fn register(
        &self,
        conn: &mut PgConnection,
        user_id: UserId,
        commitment: Fr,
        verified: bool,
    ) -> Result<Registered, RegistryError> {
        self.change(conn, |conn, tree| {
            if store::leaf_of(conn, user_id, Tier::Open)?.is_some() {
                return Err(RegistryError::IdentityExists);
            }
            let bytes = fr_to_bytes(&commitment);
            if store::commitment_taken(conn, &bytes)? {
                return Err(RegistryError::CommitmentTaken);
            }
            let registered = append(conn, tree, user_id, commitment, Tier::Open)?;
            if verified {
                append(conn, tree, user_id, commitment, Tier::Verified)?;
            }
            Ok(registered)
        })
    }

    /// Adds the verified leaf of `user_id`'s registered identity (an admin
    /// verified the account), recording the new root, in one transaction
    /// with the caller's. Answers its index, or `None` when the account has
    /// no identity yet (it gets both leaves when it registers) or has its
    /// verified leaf already.
    pub fn add_verified(
        &self,
        conn: &mut PgConnection,
        user_id: UserId,
    ) -> Result<Option<u64>, RegistryError> {
        self.change(conn, |conn, tree| {
            let Some(open) = store::leaf_of(conn, user_id, Tier::Open)? else {
                return Ok(None);
            };
            if store::leaf_of(conn, user_id, Tier::Verified)?.is_some() {
                return Ok(None);
            }
            let commitment = fr_from_bytes(&open.commitment)
                .map_err(|e| corrupt(format!("stored commitment: {e}")))?;
            let added = append(conn, tree, user_id, commitment, Tier::Verified)?;
            // A suspended account's new leaf is revoked like its others.
            if open.revoked_at.is_some() {
                revoke(
                    conn,
                    tree,
                    added.leaf_index as i64,
                    &fr_to_bytes(&commitment),
                    Tier::Verified,
                    true,
                )?;
            }
            Ok(Some(added.leaf_index))
        })
    }

    /// Revokes (`revoked`: the tree holds the empty leaf there) or
    /// restores every identity leaf of `user_id` (open and verified),
    /// recording each new root (to be pushed to the keyholders), in one
    /// transaction with the caller's. Answers the leaves changed (none when
    /// the account registered no identity or its leaves are already in that
    /// state).
    pub fn set_revoked(
        &self,
        conn: &mut PgConnection,
        user_id: UserId,
        revoked: bool,
    ) -> Result<Vec<u64>, RegistryError> {
        self.change(conn, |conn, tree| {
            let mut changed = Vec::new();
            for leaf in store::leaves_of(conn, user_id)? {
                if leaf.revoked_at.is_some() == revoked {
                    continue;
                }
                let tier = stored_tier(&leaf.tier)?;
                revoke(conn, tree, leaf.leaf_index, &leaf.commitment, tier, revoked)?;
                changed.push(leaf.leaf_index as u64);
            }
            Ok(changed)
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

/// Appends `user_id`'s leaf of `tier` and records the root after it.
fn append(
    conn: &mut PgConnection,
    tree: &mut Synced,
    user_id: UserId,
    commitment: Fr,
    tier: Tier,
) -> Result<Registered, RegistryError> {
    let leaf_index = tree.tree.len() as i64;
    store::insert_leaf(conn, leaf_index, user_id, &fr_to_bytes(&commitment), tier)?;
    tree.tree
        .push(registry_leaf(commitment, tier))
        .map_err(|e| corrupt(format!("registry tree: {e}")))?;
    let root = tree.tree.root();
    store::insert_root(conn, &fr_to_bytes(&root), leaf_index + 1, None)?;
    Ok(Registered {
        leaf_index: leaf_index as u64,
        root,
    })
}

/// Revokes or restores leaf `index` and records the root after it.
fn revoke(
    conn: &mut PgConnection,
    tree: &mut Synced,
    index: i64,
    commitment: &[u8],
    tier: Tier,
    revoked: bool,
) -> Result<(), RegistryError> {
    store::set_leaf_revoked(conn, index, revoked)?;
    tree.tree
        .set(
            index as u64,
            leaf_value(commitment, tier.as_str(), revoked)?,
        )
        .map_err(|e| corrupt(format!("registry tree: {e}")))?;
    let root = fr_to_bytes(&tree.tree.root());
    let id = store::insert_root(conn, &root, tree.tree.len() as i64, Some((index, revoked)))?;
    tree.revision = Some(id);
    Ok(())
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
        // What the keyholders hold: the tree's value of the leaf.
        let as_leaf = |p: &store::Pending| -> Result<[u8; 32], RegistryError> {
            Ok(fr_to_bytes(&tiered_leaf(&p.commitment, &p.tier)?))
        };
        let pushed = match (first.revocation_of, first.revoked) {
            (Some(index), Some(revoked)) => {
                keyholders
                    .revoke_registry_leaf(index as u64, &as_leaf(&first)?, revoked)
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
                    .map(|(_, p)| as_leaf(p))
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
