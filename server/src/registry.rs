//! The contributor registry: identity commitments as leaves of a Poseidon
//! Merkle tree (depth 20). PostgreSQL is the source of truth; each process
//! keeps the tree in memory and catches up from the `identities` table
//! (leaves are append-only, numbered densely), so it is rebuilt on start and
//! stays correct with several server processes.

use std::sync::Mutex;

use diesel::prelude::*;
use keyholder_api::{CallError, Keyholders};
use protocol::attestation::{fr_from_bytes, fr_to_bytes, Fr, MerklePath, MerkleTree};

use crate::db::{self, PgPool};
use crate::error::ApiError;
use crate::schema::{identities, registry_roots};

/// Advisory-lock key serialising registrations across processes.
const REGISTRY_LOCK: i64 = 0x6369_7068_6572_0001;

/// The in-memory tree, shared by the server's workers.
pub struct Registry {
    tree: Mutex<MerkleTree>,
}

impl Default for Registry {
    fn default() -> Self {
        Self {
            tree: Mutex::new(MerkleTree::new()),
        }
    }
}

/// A registered identity.
#[derive(Debug, Clone)]
pub struct Registered {
    /// Position of the commitment in the tree.
    pub leaf_index: u64,
    /// The root right after it was added.
    pub root: Fr,
}

fn sync(conn: &mut PgConnection, tree: &mut MerkleTree) -> Result<(), ApiError> {
    let from = tree.len() as i64;
    let rows: Vec<(i64, Vec<u8>)> = identities::table
        .filter(identities::leaf_index.ge(from))
        .order(identities::leaf_index.asc())
        .select((identities::leaf_index, identities::commitment))
        .load(conn)?;
    for (idx, commitment) in rows {
        let leaf = fr_from_bytes(&commitment)
            .map_err(|e| ApiError::internal(format!("stored commitment: {e}")))?;
        let got = tree
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
            *tree = MerkleTree::new();
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
            let leaf_index = tree.len() as i64;
            diesel::insert_into(identities::table)
                .values((
                    identities::leaf_index.eq(leaf_index),
                    identities::user_id.eq(user_id),
                    identities::commitment.eq(&bytes),
                ))
                .execute(conn)?;
            tree.push(commitment)
                .map_err(|e| ApiError::internal(format!("registry tree: {e}")))?;
            let root = tree.root();
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
            *tree = MerkleTree::new();
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
            *tree = MerkleTree::new();
            return Err(e);
        }
        let path = tree
            .path(index)
            .map_err(|e| ApiError::not_found(format!("no registry leaf {index}: {e}")))?;
        Ok((path, tree.root()))
    }
}

/// The registry roots a new contribution may be proven under, newest
/// first: announced (every keyholder computed them), at most the last `n`;
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
    let rows: Vec<(Vec<u8>, chrono::DateTime<chrono::Utc>)> = registry_roots::table
        .filter(registry_roots::announced_at.is_not_null())
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

/// Pushes every registered commitment the keyholders have not confirmed to
/// all of them, in leaf order, and marks a root announced once every
/// keyholder computed the same root from the same leaves (a contribution
/// may use only announced roots: the keyholders refuse any other at
/// release). Safe to run concurrently (pushes are idempotent). A keyholder
/// that lost its registry (`registry_gap`) gets every leaf again. Answers
/// how many roots became announced.
pub async fn announce_pending(pool: &PgPool, keyholders: &dyn Keyholders) -> Result<u64, ApiError> {
    let mut announced = 0u64;
    let mut restarted = false;
    loop {
        let batch: Vec<(i64, Vec<u8>)> = db::with_conn(pool, |conn| {
            Ok(registry_roots::table
                .inner_join(
                    identities::table.on(identities::leaf_index.eq(registry_roots::leaf_count - 1)),
                )
                .filter(registry_roots::announced_at.is_null())
                .order(registry_roots::leaf_count.asc())
                .limit(PUSH_BATCH)
                .select((identities::leaf_index, identities::commitment))
                .load(conn)?)
        })
        .await?;
        let Some(&(first, _)) = batch.first() else {
            return Ok(announced);
        };
        // Only a contiguous run (an earlier leaf left pending comes first).
        let leaves: Vec<[u8; 32]> = batch
            .iter()
            .enumerate()
            .take_while(|(i, (index, _))| *index == first + *i as i64)
            .map(|(_, (_, c))| {
                <[u8; 32]>::try_from(c.as_slice())
                    .map_err(|_| ApiError::internal("stored commitment is not 32 bytes"))
            })
            .collect::<Result<_, _>>()?;
        let state = match keyholders.push_registry(first as u64, &leaves).await {
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
        // Their root over their leaves must be ours over as many: then every
        // earlier root agrees too.
        let count = state.leaf_count as i64;
        let theirs = hex::decode(&state.root).unwrap_or_default();
        let marked = db::with_conn(pool, move |conn| {
            let ours: Option<Vec<u8>> = registry_roots::table
                .filter(registry_roots::leaf_count.eq(count))
                .select(registry_roots::root)
                .first(conn)
                .optional()?;
            if ours.as_deref() != Some(theirs.as_slice()) {
                return Err(ApiError::internal(format!(
                    "the keyholders' registry root over {count} leaves is not this server's"
                )));
            }
            Ok(diesel::update(
                registry_roots::table
                    .filter(registry_roots::leaf_count.le(count))
                    .filter(registry_roots::announced_at.is_null()),
            )
            .set(registry_roots::announced_at.eq(diesel::dsl::now))
            .execute(conn)? as u64)
        })
        .await?;
        announced += marked;
        if marked == 0 {
            // Nothing more this keyholder state confirms (another process
            // is ahead, or a leaf is missing): try again later.
            return Ok(announced);
        }
    }
}
