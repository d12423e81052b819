//! The audit log of admin actions.

use diesel::prelude::*;

use crate::schema::audit_log;

/// Records that `actor_id` did `action` to `subject`, in the caller's transaction.
pub fn record(
    conn: &mut PgConnection,
    actor_id: Option<i64>,
    action: &str,
    subject: &str,
    detail: serde_json::Value,
) -> QueryResult<()> {
    diesel::insert_into(audit_log::table)
        .values((
            audit_log::actor_id.eq(actor_id),
            audit_log::action.eq(action),
            audit_log::subject.eq(subject),
            audit_log::detail.eq(detail),
        ))
        .execute(conn)
        .map(|_| ())
}
