//! Users and the notices sent to them out of band.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::Timestamptz;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::{Email, Role, UserId};
use crate::schema::{account_notices, users};

/// A user row as the login reads it.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = users)]
pub struct UserRow {
    /// User id.
    pub id: UserId,
    /// E-mail (the login name).
    pub email: String,
    /// argon2id PHC string.
    pub password_hash: String,
    /// Stored role name.
    pub role: String,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// When it was suspended, if it is.
    pub suspended_at: Option<DateTime<Utc>>,
}

/// Inserts a user; a taken e-mail is the database's unique violation.
pub fn insert(
    conn: &mut PgConnection,
    email: &Email,
    password_hash: &str,
    role: Role,
) -> QueryResult<(UserId, DateTime<Utc>)> {
    diesel::insert_into(users::table)
        .values((
            users::email.eq(email.as_str()),
            users::password_hash.eq(password_hash),
            users::role.eq(role.as_str()),
        ))
        .returning((users::id, users::created_at))
        .get_result(conn)
}

/// Inserts a user unless the e-mail is taken: its id, or `None` (nothing written).
pub fn insert_if_new(
    conn: &mut PgConnection,
    email: &Email,
    password_hash: &str,
    role: Role,
) -> QueryResult<Option<UserId>> {
    diesel::insert_into(users::table)
        .values((
            users::email.eq(email.as_str()),
            users::password_hash.eq(password_hash),
            users::role.eq(role.as_str()),
        ))
        .on_conflict(users::email)
        .do_nothing()
        .returning(users::id)
        .get_result(conn)
        .optional()
}

/// The user with login name `email` (already normalised).
pub fn by_email(conn: &mut PgConnection, email: &str) -> QueryResult<Option<UserRow>> {
    users::table
        .filter(users::email.eq(email))
        .select(UserRow::as_select())
        .first(conn)
        .optional()
}

/// Whether user `id` is suspended (an unknown user is not).
pub fn is_suspended(conn: &mut PgConnection, id: UserId) -> QueryResult<bool> {
    let at: Option<Option<DateTime<Utc>>> = users::table
        .find(id)
        .select(users::suspended_at)
        .first(conn)
        .optional()?;
    Ok(matches!(at, Some(Some(_))))
}

/// When user `id` was created.
pub fn created_at(conn: &mut PgConnection, id: UserId) -> QueryResult<DateTime<Utc>> {
    users::table.find(id).select(users::created_at).first(conn)
}

/// Records a notice for user `id` (`kind`, e.g. `registration_attempt`),
/// delivered out of band.
pub fn notify(conn: &mut PgConnection, id: UserId, kind: &str) -> QueryResult<()> {
    diesel::insert_into(account_notices::table)
        .values((
            account_notices::user_id.eq(id),
            account_notices::kind.eq(kind),
        ))
        .execute(conn)
        .map(|_| ())
}

/// An account as admins see it.
#[derive(Debug, Serialize, Deserialize, ToSchema, Queryable, Selectable)]
#[diesel(table_name = users)]
pub struct AccountView {
    /// User id.
    pub id: UserId,
    /// E-mail (login name).
    pub email: String,
    /// `contributor`, `buyer` or `admin`.
    pub role: String,
    /// When the account was suspended (it cannot log in or use a session).
    pub suspended_at: Option<DateTime<Utc>>,
    /// When the account was locked after many failed logins (unlock it with
    /// `POST /api/admin/users/{id}/unlock`).
    #[diesel(select_expression = diesel::dsl::sql::<diesel::sql_types::Nullable<Timestamptz>>(
        "(SELECT t.locked_at FROM login_throttle t WHERE t.scope = 'account' AND t.key = users.email)"
    ))]
    #[diesel(select_expression_type = diesel::expression::SqlLiteral<diesel::sql_types::Nullable<Timestamptz>>)]
    pub locked_at: Option<DateTime<Utc>>,
    /// When an admin verified the account (it may contribute to campaigns
    /// for verified accounts); the reason is in the audit log.
    pub verified_at: Option<DateTime<Utc>>,
    /// Registered.
    pub created_at: DateTime<Utc>,
}

/// Accounts, newest first, optionally of one role.
pub fn accounts(
    conn: &mut PgConnection,
    role: Option<Role>,
    limit: i64,
) -> QueryResult<Vec<AccountView>> {
    let mut q = users::table
        .select(AccountView::as_select())
        .order(users::id.desc())
        .limit(limit)
        .into_boxed();
    if let Some(r) = role {
        q = q.filter(users::role.eq(r.as_str()));
    }
    q.load(conn)
}

/// Account `id` (locked for a change when `for_update`).
pub fn account(
    conn: &mut PgConnection,
    id: UserId,
    for_update: bool,
) -> QueryResult<Option<AccountView>> {
    let q = users::table.find(id).select(AccountView::as_select());
    if for_update {
        q.for_update().first(conn).optional()
    } else {
        q.first(conn).optional()
    }
}

/// Whether user `id` exists.
pub fn exists(conn: &mut PgConnection, id: UserId) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(users::table.find(id))).get_result(conn)
}

/// Marks user `id` verified (now).
pub fn set_verified(conn: &mut PgConnection, id: UserId) -> QueryResult<()> {
    diesel::update(users::table.find(id))
        .set(users::verified_at.eq(Utc::now()))
        .execute(conn)?;
    Ok(())
}

/// Whether an admin verified user `id`.
pub fn is_verified(conn: &mut PgConnection, id: UserId) -> QueryResult<bool> {
    users::table
        .find(id)
        .select(users::verified_at.is_not_null())
        .first(conn)
        .optional()
        .map(|v| v.unwrap_or(false))
}

/// Suspends user `id` (now) or lifts its suspension.
pub fn set_suspended(conn: &mut PgConnection, id: UserId, suspended: bool) -> QueryResult<()> {
    diesel::update(users::table.find(id))
        .set(users::suspended_at.eq(suspended.then(Utc::now)))
        .execute(conn)?;
    Ok(())
}
