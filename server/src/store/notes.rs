//! The notes tree's rows (leaves and the roots computed over them) and the
//! claims that spend notes (their nullifiers).

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use crate::domain::AccountId;
use crate::schema::{claims, note_nullifiers, notes, notes_roots};

/// Advisory-lock key serialising appends to the notes tree across processes.
const NOTES_LOCK: i64 = 0x6369_7068_6572_0002;

/// Takes the notes tree's transaction-scoped advisory lock: appends of every
/// process take turns until the caller's transaction ends.
pub fn lock(conn: &mut PgConnection) -> QueryResult<()> {
    diesel::sql_query("SELECT pg_advisory_xact_lock($1)")
        .bind::<diesel::sql_types::BigInt, _>(NOTES_LOCK)
        .execute(conn)?;
    Ok(())
}

/// The number of leaves (the next leaf's index).
pub fn leaf_count(conn: &mut PgConnection) -> QueryResult<i64> {
    let max: Option<i64> = notes::table
        .select(diesel::dsl::max(notes::leaf_index))
        .first(conn)?;
    Ok(max.map_or(0, |m| m + 1))
}

/// Appends `commitment` at `leaf_index` (the caller holds [`lock`] and
/// read [`leaf_count`] in the same transaction).
pub fn insert_leaf(conn: &mut PgConnection, leaf_index: i64, commitment: &[u8]) -> QueryResult<()> {
    diesel::insert_into(notes::table)
        .values((
            notes::leaf_index.eq(leaf_index),
            notes::commitment.eq(commitment),
        ))
        .execute(conn)?;
    Ok(())
}

/// Leaves `from..to`, in order.
pub fn leaves(conn: &mut PgConnection, from: i64, to: i64) -> QueryResult<Vec<(i64, Vec<u8>)>> {
    notes::table
        .filter(notes::leaf_index.ge(from))
        .filter(notes::leaf_index.lt(to))
        .order(notes::leaf_index.asc())
        .select((notes::leaf_index, notes::commitment))
        .load(conn)
}

/// Records the root over the first `leaf_count` leaves (a no-op when some
/// process recorded it first: roots are deterministic).
pub fn record_root(conn: &mut PgConnection, leaf_count: i64, root: &[u8]) -> QueryResult<()> {
    diesel::insert_into(notes_roots::table)
        .values((
            notes_roots::leaf_count.eq(leaf_count),
            notes_roots::root.eq(root),
        ))
        .on_conflict(notes_roots::leaf_count)
        .do_nothing()
        .execute(conn)?;
    Ok(())
}

/// The newest recorded root: its leaf count and value.
pub fn latest_root(conn: &mut PgConnection) -> QueryResult<Option<(i64, Vec<u8>)>> {
    notes_roots::table
        .order(notes_roots::leaf_count.desc())
        .select((notes_roots::leaf_count, notes_roots::root))
        .first(conn)
        .optional()
}

/// Whether `root` may be claimed under: it is the newest recorded root, or
/// the root recorded after it is younger than `max_age_secs` (a device that
/// downloaded the tree just before another note was added has that long to
/// finish proving).
pub fn root_usable(conn: &mut PgConnection, root: &[u8], max_age_secs: i64) -> QueryResult<bool> {
    let Some(count) = notes_roots::table
        .filter(notes_roots::root.eq(root))
        .select(notes_roots::leaf_count)
        .first::<i64>(conn)
        .optional()?
    else {
        return Ok(false);
    };
    let replaced_at: Option<DateTime<Utc>> = notes_roots::table
        .filter(notes_roots::leaf_count.gt(count))
        .select(diesel::dsl::min(notes_roots::created_at))
        .first(conn)?;
    Ok(match replaced_at {
        None => true,
        Some(t) => t > Utc::now() - chrono::Duration::seconds(max_age_secs),
    })
}

/// Whether any of `nullifiers` was revealed by an earlier claim.
pub fn any_spent(conn: &mut PgConnection, nullifiers: &[Vec<u8>]) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        note_nullifiers::table.filter(note_nullifiers::nullifier.eq_any(nullifiers)),
    ))
    .get_result(conn)
}

/// Records a claim and its nullifiers; a nullifier revealed before fails
/// on the primary key `note_nullifiers_pkey`. Answers the claim's id.
pub fn insert_claim(
    conn: &mut PgConnection,
    destination: AccountId,
    amount: i64,
    root: &[u8],
    transfer_id: i64,
    nullifiers: &[Vec<u8>],
) -> QueryResult<i64> {
    let id: i64 = diesel::insert_into(claims::table)
        .values((
            claims::destination_account_id.eq(destination),
            claims::amount.eq(amount),
            claims::root.eq(root),
            claims::transfer_id.eq(transfer_id),
        ))
        .returning(claims::id)
        .get_result(conn)?;
    let rows: Vec<_> = nullifiers
        .iter()
        .map(|n| {
            (
                note_nullifiers::nullifier.eq(n.as_slice()),
                note_nullifiers::claim_id.eq(id),
            )
        })
        .collect();
    diesel::insert_into(note_nullifiers::table)
        .values(rows)
        .execute(conn)?;
    Ok(id)
}

/// Every campaign that paid a note, with its reward (for a device finding
/// its notes again from its identity secret).
pub fn paying_campaigns(conn: &mut PgConnection) -> QueryResult<Vec<(i64, i64)>> {
    use crate::schema::{campaigns, contributions};
    campaigns::table
        .filter(diesel::dsl::exists(
            contributions::table
                .filter(contributions::campaign_id.eq(campaigns::id))
                .filter(contributions::note_key.is_not_null()),
        ))
        .order(campaigns::id.asc())
        .select((campaigns::id, campaigns::reward))
        .load(conn)
}
