//! The audit log of admin actions.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::UserId;
use crate::schema::{audit_log, users};

/// Records that `actor_id` did `action` to `subject`, in the caller's transaction.
pub fn record(
    conn: &mut PgConnection,
    actor_id: Option<UserId>,
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

/// One admin action.
#[derive(Debug, Serialize, Deserialize, ToSchema, Queryable)]
pub struct AuditEntry {
    /// Entry id.
    pub id: i64,
    /// The admin (none for the CLI).
    // Inline, so that the document keeps the description (a `$ref` in a
    // `oneOf` with null drops it).
    #[schema(value_type = Option<i64>)]
    pub actor_id: Option<UserId>,
    /// The admin's e-mail.
    pub actor_email: Option<String>,
    /// What was done (`approve_campaign`, `reject_campaign`, `close_campaign`,
    /// `mint`, `suspend_user`, `unsuspend_user`, `unlock_user`, `verify_user`, `create_admin`).
    pub action: String,
    /// To what (`campaign:7`, `user:3`).
    pub subject: String,
    /// Details (reason, amount, ...).
    pub detail: serde_json::Value,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// The newest `limit` entries, only those with an id below `before` when given.
pub fn list(
    conn: &mut PgConnection,
    limit: i64,
    before: Option<i64>,
) -> QueryResult<Vec<AuditEntry>> {
    let mut q = audit_log::table
        .left_join(users::table.on(users::id.nullable().eq(audit_log::actor_id)))
        .select((
            audit_log::id,
            audit_log::actor_id,
            users::email.nullable(),
            audit_log::action,
            audit_log::subject,
            audit_log::detail,
            audit_log::created_at,
        ))
        .order(audit_log::id.desc())
        .limit(limit)
        .into_boxed();
    if let Some(b) = before {
        q = q.filter(audit_log::id.lt(b));
    }
    q.load(conn)
}
