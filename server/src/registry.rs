//! The contributor registry: identity commitments as leaves of a Poseidon
//! Merkle tree (depth 20). PostgreSQL is the source of truth; each process
//! keeps the tree in memory and catches up from the `identities` table
//! (leaves are append-only, numbered densely), so it is rebuilt on start and
//! stays correct with several server processes.

use std::sync::Mutex;

use diesel::prelude::*;
use keyholder_api::{CallError, Keyholders};
use protocol::attestation::{fr_from_bytes, fr_to_bytes, Fr, MerklePath, MerkleTree, EMPTY_LEAF};

use crate::db::{self, PgPool};
use crate::http::error::ApiError;
use crate::schema::{identities, registry_roots};

/// Advisory-lock key serialising registrations across processes.
const REGISTRY_LOCK: i64 = 0x6369_7068_6572_0001;

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

/// The latest revocation or restoration recorded (its root's id).
fn latest_revision(conn: &mut PgConnection) -> Result<Option<i64>, ApiError> {
    Ok(registry_roots::table
        .filter(registry_roots::revocation_of.is_not_null())
        .select(diesel::dsl::max(registry_roots::id))
        .first(conn)?)
}

fn leaf_value(commitment: &[u8], revoked: bool) -> Result<Fr, ApiError> {
    if revoked {
        return Ok(EMPTY_LEAF);
    }
    fr_from_bytes(commitment).map_err(|e| ApiError::internal(format!("stored commitment: {e}")))
}

/// Brings `s` up to date: new leaves appended; if a leaf was revoked or
/// restored since (by any process), rebuilt from every leaf.
fn sync(conn: &mut PgConnection, s: &mut Synced) -> Result<(), ApiError> {
    let revision = latest_revision(conn)?;
    if revision != s.revision {
        *s = Synced::default();
        s.revision = revision;
    }
    let from = s.tree.len() as i64;
    let rows: Vec<(i64, Vec<u8>, Option<chrono::DateTime<chrono::Utc>>)> = identities::table
        .filter(identities::leaf_index.ge(from))
        .order(identities::leaf_index.asc())
        .select((
            identities::leaf_index,
            identities::commitment,
            identities::revoked_at,
        ))
        .load(conn)?;
    for (idx, commitment, revoked_at) in rows {
        let leaf = leaf_value(&commitment, revoked_at.is_some())?;
        let got = s
            .tree
            .push(leaf)
            .map_err(|e| ApiError::internal(format!("registry tree: {e}")))?;
        if got as i64 != idx {
            return Err(ApiError::internal(format!(
                "registry leaf {idx} landed at {got}"
            )));
        }
    }
    Ok(())
}

impl Registry {
    /// Brings the tree up to date with the database (also the start-up rebuild).
    pub fn sync(&self, conn: &mut PgConnection) -> Result<(), ApiError> {
        let mut tree = self
            .tree
            .lock()
            .map_err(|_| ApiError::internal("registry lock poisoned"))?;
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
        user_id: i64,
        commitment: Fr,
    ) -> Result<Registered, ApiError> {
        let mut tree = self
            .tree
            .lock()
            .map_err(|_| ApiError::internal("registry lock poisoned"))?;
        let result = conn.transaction(|conn| -> Result<Registered, ApiError> {
            diesel::sql_query(format!("SELECT pg_advisory_xact_lock({REGISTRY_LOCK})"))
                .execute(conn)?;
            sync(conn, &mut tree)?;
            let existing: Option<i64> = identities::table
                .filter(identities::user_id.eq(user_id))
                .select(identities::leaf_index)
                .first(conn)
                .optional()?;
            if existing.is_some() {
                return Err(ApiError::conflict(
                    "identity_exists",
                    "this account already registered an identity commitment",
                ));
            }
            let bytes = fr_to_bytes(&commitment).to_vec();
            let taken: i64 = identities::table
                .filter(identities::commitment.eq(&bytes))
                .count()
                .get_result(conn)?;
            if taken > 0 {
                return Err(ApiError::conflict(
                    "commitment_taken",
                    "this commitment is already registered",
                ));
            }
            let leaf_index = tree.tree.len() as i64;
            diesel::insert_into(identities::table)
                .values((
                    identities::leaf_index.eq(leaf_index),
                    identities::user_id.eq(user_id),
                    identities::commitment.eq(&bytes),
                ))
                .execute(conn)?;
            tree.tree
                .push(commitment)
                .map_err(|e| ApiError::internal(format!("registry tree: {e}")))?;
            let root = tree.tree.root();
            diesel::insert_into(registry_roots::table)
                .values((
                    registry_roots::root.eq(fr_to_bytes(&root).to_vec()),
                    registry_roots::leaf_count.eq(leaf_index + 1),
                ))
                .execute(conn)?;
            Ok(Registered {
                leaf_index: leaf_index as u64,
                root,
            })
        });
        if result.is_err() {
            // The in-memory tree may hold a leaf that was rolled back: rebuild
            // from the database next time.
            *tree = Synced::default();
        }
        result
    }

    /// Revokes (`revoked`: the tree holds the empty leaf there) or
    /// restores the identity leaf of `user_id`, recording the new root (to
    /// be pushed to the keyholders), in one transaction with the caller's.
    /// Answers the leaf index, or `None` when the account registered no
    /// identity or its leaf is already in that state.
    pub fn set_revoked(
        &self,
        conn: &mut PgConnection,
        user_id: i64,
        revoked: bool,
    ) -> Result<Option<u64>, ApiError> {
        let mut tree = self
            .tree
            .lock()
            .map_err(|_| ApiError::internal("registry lock poisoned"))?;
        let result = conn.transaction(|conn| -> Result<Option<u64>, ApiError> {
            diesel::sql_query(format!("SELECT pg_advisory_xact_lock({REGISTRY_LOCK})"))
                .execute(conn)?;
            sync(conn, &mut tree)?;
            let row: Option<(i64, Vec<u8>, Option<chrono::DateTime<chrono::Utc>>)> =
                identities::table
                    .filter(identities::user_id.eq(user_id))
                    .select((
                        identities::leaf_index,
                        identities::commitment,
                        identities::revoked_at,
                    ))
                    .first(conn)
                    .optional()?;
            let Some((index, commitment, revoked_at)) = row else {
                return Ok(None);
            };
            if revoked_at.is_some() == revoked {
                return Ok(None);
            }
            diesel::update(identities::table.find(index))
                .set(identities::revoked_at.eq(revoked.then(chrono::Utc::now)))
                .execute(conn)?;
            tree.tree
                .set(index as u64, leaf_value(&commitment, revoked)?)
                .map_err(|e| ApiError::internal(format!("registry tree: {e}")))?;
            let id: i64 = diesel::insert_into(registry_roots::table)
                .values((
                    registry_roots::root.eq(fr_to_bytes(&tree.tree.root()).to_vec()),
                    registry_roots::leaf_count.eq(tree.tree.len() as i64),
                    registry_roots::revocation_of.eq(Some(index)),
                    registry_roots::revoked.eq(Some(revoked)),
                ))
                .returning(registry_roots::id)
                .get_result(conn)?;
            tree.revision = Some(id);
            Ok(Some(index as u64))
        });
        if result.is_err() {
            *tree = Synced::default();
        }
        result
    }

    /// The Merkle path of leaf `index` and the current root.
    pub fn path(&self, conn: &mut PgConnection, index: u64) -> Result<(MerklePath, Fr), ApiError> {
        let mut tree = self
            .tree
            .lock()
            .map_err(|_| ApiError::internal("registry lock poisoned"))?;
        if let Err(e) = sync(conn, &mut tree) {
            *tree = Synced::default();
            return Err(e);
        }
        let path = tree
            .tree
            .path(index)
            .map_err(|e| ApiError::not_found(format!("no registry leaf {index}: {e}")))?;
        Ok((path, tree.tree.root()))
    }
}

/// The registry roots a new contribution may be proven under, newest
/// first: announced (every keyholder computed them), none from before the
/// latest revocation, at most the last `n`;
/// the newest always, an older one while the root that replaced it is less
/// than `max_age_secs` old (a contributor who fetched a path just before a
/// registration has that long to finish proving; a registry that nobody
/// joined for a while stays usable).
pub fn recent_roots(
    conn: &mut PgConnection,
    n: i64,
    max_age_secs: i64,
) -> Result<Vec<Vec<u8>>, ApiError> {
    let oldest = chrono::Utc::now() - chrono::Duration::seconds(max_age_secs);
    // A revoked leaf is in every root before its revocation: none of them
    // is usable any more.
    let last_revocation: Option<i64> = registry_roots::table
        .filter(registry_roots::revoked.eq(true))
        .select(diesel::dsl::max(registry_roots::id))
        .first(conn)?;
    let rows: Vec<(Vec<u8>, chrono::DateTime<chrono::Utc>)> = registry_roots::table
        .filter(registry_roots::announced_at.is_not_null())
        .filter(registry_roots::id.ge(last_revocation.unwrap_or(0)))
        .order(registry_roots::id.desc())
        .limit(n)
        .select((registry_roots::root, registry_roots::created_at))
        .load(conn)?;
    let mut usable = Vec::with_capacity(rows.len());
    let mut replaced_at = None;
    for (root, created_at) in rows {
        if replaced_at.is_some_and(|t| t <= oldest) {
            break;
        }
        usable.push(root);
        replaced_at = Some(created_at);
    }
    Ok(usable)
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
pub async fn announce_pending(pool: &PgPool, keyholders: &dyn Keyholders) -> Result<u64, ApiError> {
    type Pending = (i64, i64, Option<i64>, Option<bool>, Vec<u8>);
    let mut announced = 0u64;
    let mut restarted = false;
    loop {
        // The next unconfirmed changes in order, each with the commitment of
        // the leaf it appended or revoked.
        let batch: Vec<Pending> = db::with_conn(pool, |conn| {
            Ok(registry_roots::table
                .inner_join(
                    identities::table.on(identities::leaf_index.eq(diesel::dsl::case_when(
                        registry_roots::revocation_of.is_not_null(),
                        registry_roots::revocation_of.assume_not_null(),
                    )
                    .otherwise(registry_roots::leaf_count - 1))),
                )
                .filter(registry_roots::announced_at.is_null())
                .order(registry_roots::id.asc())
                .limit(PUSH_BATCH)
                .select((
                    registry_roots::id,
                    registry_roots::leaf_count,
                    registry_roots::revocation_of,
                    registry_roots::revoked,
                    identities::commitment,
                ))
                .load(conn)?)
        })
        .await?;
        let Some((_, first_count, first_revocation, first_revoked, first_commitment)) =
            batch.first().cloned()
        else {
            return Ok(announced);
        };
        let as_leaf = |c: &[u8]| {
            <[u8; 32]>::try_from(c)
                .map_err(|_| ApiError::internal("stored commitment is not 32 bytes"))
        };
        let pushed = match (first_revocation, first_revoked) {
            (Some(index), Some(revoked)) => {
                keyholders
                    .revoke_registry_leaf(index as u64, &as_leaf(&first_commitment)?, revoked)
                    .await
            }
            _ => {
                // A contiguous run of appended leaves, up to the next
                // revocation.
                let first = first_count - 1;
                let leaves: Vec<[u8; 32]> = batch
                    .iter()
                    .take_while(|(_, _, revocation, _, _)| revocation.is_none())
                    .enumerate()
                    .take_while(|(i, (_, count, _, _, _))| *count - 1 == first + *i as i64)
                    .map(|(_, (_, _, _, _, c))| as_leaf(c))
                    .collect::<Result<_, _>>()?;
                keyholders.push_registry(first as u64, &leaves).await
            }
        };
        let state = match pushed {
            Ok(state) => state,
            Err(CallError::Refused { code, .. }) if code == "registry_gap" && !restarted => {
                // A keyholder holds fewer leaves than were announced (its
                // registry was reset): push everything again.
                tracing::warn!("a keyholder lost registry leaves: announcing the registry again");
                restarted = true;
                db::with_conn(pool, |conn| {
                    diesel::update(registry_roots::table)
                        .set(registry_roots::announced_at.eq(None::<chrono::DateTime<chrono::Utc>>))
                        .execute(conn)?;
                    Ok(())
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
        let marked = db::with_conn(pool, move |conn| {
            let ours: Option<i64> = registry_roots::table
                .filter(registry_roots::leaf_count.eq(count))
                .filter(registry_roots::root.eq(&theirs))
                .select(diesel::dsl::max(registry_roots::id))
                .first(conn)?;
            let Some(ours) = ours else {
                return Err(ApiError::internal(format!(
                    "the keyholders' registry root over {count} leaves is not one of this server's"
                )));
            };
            Ok(diesel::update(
                registry_roots::table
                    .filter(registry_roots::id.le(ours))
                    .filter(registry_roots::announced_at.is_null()),
            )
            .set(registry_roots::announced_at.eq(diesel::dsl::now))
            .execute(conn)? as u64)
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
