//! Users and the notices sent to them out of band.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use crate::domain::{Email, Role};
use crate::schema::{account_notices, users};

/// A user row as the login reads it.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = users)]
pub struct UserRow {
    /// User id.
    pub id: i64,
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
) -> QueryResult<(i64, DateTime<Utc>)> {
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
) -> QueryResult<Option<i64>> {
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

/// When user `id` was created.
pub fn created_at(conn: &mut PgConnection, id: i64) -> QueryResult<DateTime<Utc>> {
    users::table.find(id).select(users::created_at).first(conn)
}

/// Records a notice for user `id` (`kind`, e.g. `registration_attempt`),
/// delivered out of band.
pub fn notify(conn: &mut PgConnection, id: i64, kind: &str) -> QueryResult<()> {
    diesel::insert_into(account_notices::table)
        .values((
            account_notices::user_id.eq(id),
            account_notices::kind.eq(kind),
        ))
        .execute(conn)
        .map(|_| ())
}
