//! Accounts: registration (which never tells whether an e-mail has an
//! account), the operator's admin accounts, password hashing, and the
//! login's last step (a session for the right password of an account in
//! good standing).

use chrono::{DateTime, Duration, Utc};
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel::PgConnection;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::{password, session_token, Email, PasswordError, PasswordPlain, Role, UserId};
use crate::store::ledger::{self, LedgerError};
use crate::store::sessions;
use crate::store::users::{self, UserRow};

/// A user as answered by the API.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct UserView {
    /// User id.
    pub id: UserId,
    /// E-mail address.
    pub email: String,
    /// Role.
    pub role: Role,
    /// Created.
    pub created_at: DateTime<Utc>,
}

/// A new session.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct LoginResponse {
    /// Bearer token: send `Authorization: Bearer <token>`.
    pub token: String,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
    /// Who logged in.
    pub user: UserView,
}

/// Why an account operation was refused.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    /// Not an e-mail address.
    #[error("{0}")]
    InvalidEmail(String),
    /// Admins cannot register themselves.
    #[error("admins are created by an operator with `cipherpool create-admin`")]
    AdminSelfRegistration,
    /// The password is refused.
    #[error(transparent)]
    Password(#[from] PasswordError),
    /// An account with this e-mail exists (the operator's `create-admin`
    /// only: registration never says so).
    #[error("an account with this e-mail already exists")]
    EmailTaken,
    /// Wrong e-mail or password.
    #[error("wrong e-mail or password")]
    InvalidCredentials,
    /// The account is suspended.
    #[error("this account is suspended")]
    Suspended,
    /// Hashing failed.
    #[error("password hashing: {0}")]
    Hash(String),
    /// A stored value does not parse.
    #[error("stored data: {0}")]
    Corrupt(String),
    /// The wallet could not be made.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    /// The database failed.
    #[error(transparent)]
    Db(#[from] DieselError),
}

/// Checks and hashes a new password (argon2id, tens of milliseconds: call
/// it off the executor and with no connection held).
pub fn new_password_hash(raw: String, email: &Email) -> Result<String, AccountError> {
    let pw = PasswordPlain::parse(raw, email.as_str())?;
    password::hash(pw.secret()).map_err(|e| AccountError::Hash(e.to_string()))
}

/// The role a registration asks for: anything but admin.
pub fn registrable(role: Role) -> Result<Role, AccountError> {
    if role == Role::Admin {
        return Err(AccountError::AdminSelfRegistration);
    }
    Ok(role)
}

/// Creates a user with its wallet (the operator's `create-admin`, tests);
/// a taken e-mail is [`AccountError::EmailTaken`].
pub fn create_user(
    conn: &mut PgConnection,
    email: &Email,
    password_hash: &str,
    role: Role,
) -> Result<UserView, AccountError> {
    let (id, created_at) =
        users::insert(conn, email, password_hash, role).map_err(|e| match e {
            DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => {
                AccountError::EmailTaken
            }
            other => other.into(),
        })?;
    ledger::wallet_of(conn, id)?;
    Ok(UserView {
        id,
        email: email.as_str().to_string(),
        role,
        created_at,
    })
}

/// Registers `email` unless it has an account; if it has one, nothing
/// changes and its owner gets a notice. The caller answers both alike.
pub fn register(
    conn: &mut PgConnection,
    email: &Email,
    password_hash: &str,
    role: Role,
) -> Result<(), AccountError> {
    match users::insert_if_new(conn, email, password_hash, registrable(role)?)? {
        Some(id) => {
            ledger::wallet_of(conn, id)?;
        }
        None => {
            let owner = users::by_email(conn, email.as_str())?
                .ok_or(DieselError::NotFound)?
                .id;
            users::notify(conn, owner, "registration_attempt")?;
            tracing::info!(
                user_id = owner.get(),
                "registration attempted with a taken e-mail"
            );
        }
    }
    Ok(())
}

/// The login's last step for the account whose password checked (`None`:
/// no such account, or the wrong password): a session of `ttl_secs` for an
/// account in good standing, else why not. The outer error is a failure
/// to abort the transaction for; the inner one a refusal to answer after
/// committing it (the login guard's counts are in the same transaction).
pub fn open_session(
    conn: &mut PgConnection,
    user: Option<UserRow>,
    ttl_secs: i64,
) -> Result<Result<LoginResponse, AccountError>, AccountError> {
    let Some(user) = user else {
        return Ok(Err(AccountError::InvalidCredentials));
    };
    if user.suspended_at.is_some() {
        return Ok(Err(AccountError::Suspended));
    }
    let role = Role::parse(&user.role)
        .ok_or_else(|| AccountError::Corrupt(format!("role {:?}", user.role)))?;
    let token = session_token::new_token();
    let expires_at = Utc::now() + Duration::seconds(ttl_secs);
    sessions::insert(conn, user.id, &token.hash, expires_at)?;
    Ok(Ok(LoginResponse {
        token: token.token,
        expires_at,
        user: UserView {
            id: user.id,
            email: user.email,
            role,
            created_at: user.created_at,
        },
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_contributors_and_buyers_register_themselves() {
        assert_eq!(registrable(Role::Contributor).unwrap(), Role::Contributor);
        assert_eq!(registrable(Role::Buyer).unwrap(), Role::Buyer);
        assert!(matches!(
            registrable(Role::Admin),
            Err(AccountError::AdminSelfRegistration)
        ));
    }

    #[test]
    fn weak_and_short_passwords_are_refused_before_hashing() {
        let email = Email::parse("someone@example.org").unwrap();
        assert!(matches!(
            new_password_hash("short".into(), &email),
            Err(AccountError::Password(PasswordError::TooShort))
        ));
        assert!(matches!(
            new_password_hash("password123".into(), &email),
            Err(AccountError::Password(PasswordError::TooWeak(_)))
        ));
        let hash = new_password_hash("violet-harbour-71-lantern".into(), &email).unwrap();
        assert!(hash.starts_with("$argon2id$"));
    }
}
