//! The contributor registry's rows: leaves (identity commitments) and the
//! roots after each change, with when every keyholder confirmed them.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use crate::domain::UserId;
use crate::schema::{identities, registry_roots};
use protocol::attestation::Tier;

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
) -> QueryResult<Vec<Vec<u8>>> {
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

/// Advisory-lock key serialising registry changes across processes.
const REGISTRY_LOCK: i64 = 0x6369_7068_6572_0001;

/// Takes the registry's transaction-scoped advisory lock: registry changes
/// of every process take turns until the caller's transaction ends.
pub fn lock(conn: &mut PgConnection) -> QueryResult<()> {
    diesel::sql_query("SELECT pg_advisory_xact_lock($1)")
        .bind::<diesel::sql_types::BigInt, _>(REGISTRY_LOCK)
        .execute(conn)?;
    Ok(())
}

/// The latest revocation or restoration recorded (its root's id).
pub fn latest_revision(conn: &mut PgConnection) -> QueryResult<Option<i64>> {
    registry_roots::table
        .filter(registry_roots::revocation_of.is_not_null())
        .select(diesel::dsl::max(registry_roots::id))
        .first(conn)
}

/// An identity leaf: its index, commitment, revocation and tier.
#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = identities)]
pub struct Leaf {
    /// Position in the tree.
    pub leaf_index: i64,
    /// The identity commitment (32 bytes); the tree holds
    /// `H_leaf(commitment, tier)` there.
    pub commitment: Vec<u8>,
    /// When it was revoked (the tree holds the empty leaf there).
    pub revoked_at: Option<DateTime<Utc>>,
    /// `open` or `verified`.
    pub tier: String,
}

/// Every leaf from index `from` on, in order.
pub fn leaves_from(conn: &mut PgConnection, from: i64) -> QueryResult<Vec<Leaf>> {
    identities::table
        .filter(identities::leaf_index.ge(from))
        .order(identities::leaf_index.asc())
        .select(Leaf::as_select())
        .load(conn)
}

/// The leaf of user `user_id`'s identity in `tier`.
pub fn leaf_of(conn: &mut PgConnection, user_id: UserId, tier: Tier) -> QueryResult<Option<Leaf>> {
    identities::table
        .filter(identities::user_id.eq(user_id))
        .filter(identities::tier.eq(tier.as_str()))
        .select(Leaf::as_select())
        .first(conn)
        .optional()
}

/// Every leaf of user `user_id` (one per tier), in leaf order.
pub fn leaves_of(conn: &mut PgConnection, user_id: UserId) -> QueryResult<Vec<Leaf>> {
    identities::table
        .filter(identities::user_id.eq(user_id))
        .order(identities::leaf_index.asc())
        .select(Leaf::as_select())
        .load(conn)
}

/// Whether `commitment` is registered (as an open identity).
pub fn commitment_taken(conn: &mut PgConnection, commitment: &[u8]) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        identities::table
            .filter(identities::commitment.eq(commitment))
            .filter(identities::tier.eq(Tier::Open.as_str())),
    ))
    .get_result(conn)
}

/// Records user `user_id`'s identity leaf of `tier` at `leaf_index`.
pub fn insert_leaf(
    conn: &mut PgConnection,
    leaf_index: i64,
    user_id: UserId,
    commitment: &[u8],
    tier: Tier,
) -> QueryResult<()> {
    diesel::insert_into(identities::table)
        .values((
            identities::leaf_index.eq(leaf_index),
            identities::user_id.eq(user_id),
            identities::commitment.eq(commitment),
            identities::tier.eq(tier.as_str()),
        ))
        .execute(conn)?;
    Ok(())
}

/// Marks leaf `index` revoked (now) or restored.
pub fn set_leaf_revoked(conn: &mut PgConnection, index: i64, revoked: bool) -> QueryResult<()> {
    diesel::update(identities::table.find(index))
        .set(identities::revoked_at.eq(revoked.then(Utc::now)))
        .execute(conn)?;
    Ok(())
}

/// Records the root after a change: an appended leaf (`change` `None`), or
/// the revocation or restoration of leaf `index` (`Some((index, revoked))`).
/// Answers the root's id.
pub fn insert_root(
    conn: &mut PgConnection,
    root: &[u8],
    leaf_count: i64,
    change: Option<(i64, bool)>,
) -> QueryResult<i64> {
    diesel::insert_into(registry_roots::table)
        .values((
            registry_roots::root.eq(root),
            registry_roots::leaf_count.eq(leaf_count),
            registry_roots::revocation_of.eq(change.map(|c| c.0)),
            registry_roots::revoked.eq(change.map(|c| c.1)),
        ))
        .returning(registry_roots::id)
        .get_result(conn)
}

/// The newest root and the leaves under it (`None` while the registry is empty).
pub fn latest_root(conn: &mut PgConnection) -> QueryResult<Option<(Vec<u8>, i64)>> {
    registry_roots::table
        .order(registry_roots::id.desc())
        .select((registry_roots::root, registry_roots::leaf_count))
        .first(conn)
        .optional()
}

/// A registry change the keyholders have not confirmed.
#[derive(Debug, Clone, Queryable)]
pub struct Pending {
    /// The root's id.
    pub id: i64,
    /// Leaves after the change.
    pub leaf_count: i64,
    /// The leaf revoked or restored (`None`: a leaf was appended).
    pub revocation_of: Option<i64>,
    /// Whether it was revoked (`false`: restored).
    pub revoked: Option<bool>,
    /// The commitment of the leaf appended, revoked or restored.
    pub commitment: Vec<u8>,
    /// That leaf's tier.
    pub tier: String,
}

/// The oldest `limit` changes not yet announced, in order.
pub fn pending(conn: &mut PgConnection, limit: i64) -> QueryResult<Vec<Pending>> {
    registry_roots::table
        .inner_join(
            identities::table.on(identities::leaf_index.eq(diesel::dsl::case_when(
                registry_roots::revocation_of.is_not_null(),
                registry_roots::revocation_of.assume_not_null(),
            )
            .otherwise(registry_roots::leaf_count - 1))),
        )
        .filter(registry_roots::announced_at.is_null())
        .order(registry_roots::id.asc())
        .limit(limit)
        .select((
            registry_roots::id,
            registry_roots::leaf_count,
            registry_roots::revocation_of,
            registry_roots::revoked,
            identities::commitment,
            identities::tier,
        ))
        .load(conn)
}

/// Forgets every announcement (the keyholders get every change again).
pub fn unannounce_all(conn: &mut PgConnection) -> QueryResult<()> {
    diesel::update(registry_roots::table)
        .set(registry_roots::announced_at.eq(None::<DateTime<Utc>>))
        .execute(conn)?;
    Ok(())
}

/// Marks announced every root up to the latest one over `leaf_count`
/// leaves equal to `root`; `None` when no root of ours matches, else how
/// many roots became announced.
pub fn mark_announced(
    conn: &mut PgConnection,
    leaf_count: i64,
    root: &[u8],
) -> QueryResult<Option<u64>> {
    let ours: Option<i64> = registry_roots::table
        .filter(registry_roots::leaf_count.eq(leaf_count))
        .filter(registry_roots::root.eq(root))
        .select(diesel::dsl::max(registry_roots::id))
        .first(conn)?;
    let Some(ours) = ours else {
        return Ok(None);
    };
    Ok(Some(
        diesel::update(
            registry_roots::table
                .filter(registry_roots::id.le(ours))
                .filter(registry_roots::announced_at.is_null()),
        )
        .set(registry_roots::announced_at.eq(diesel::dsl::now))
        .execute(conn)? as u64,
    ))
}
