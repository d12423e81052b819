//! Passwords: the strength policy and argon2id hashing.
//!
//! Hashing uses argon2id at OWASP's recommended parameters (19 MiB of memory,
//! two iterations, one lane). It is slow by design: callers run it on the
//! blocking pool, never on the async executor.

use std::sync::OnceLock;

use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::{Algorithm, Argon2, Params, Version};
use secrecy::{ExposeSecret, SecretString};

/// Shortest password accepted.
pub const MIN_LEN: usize = 8;
/// Longest password accepted (bounds hashing cost).
pub const MAX_LEN: usize = 128;

/// Why a new password was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    /// Fewer than 8 characters.
    #[error("password must have at least {MIN_LEN} characters")]
    TooShort,
    /// More than 128 characters.
    #[error("password must have at most {MAX_LEN} characters")]
    TooLong,
    /// A common or easily guessed password.
    #[error("password is too common or easy to guess{0}")]
    TooWeak(String),
}

/// A password that passed the policy, kept out of `Debug` output.
#[derive(Debug)]
pub struct PasswordPlain(SecretString);

impl PasswordPlain {
    /// Checks a new password: length, then zxcvbn's estimate (which knows the
    /// common-password lists and the account's own e-mail address). Scores
    /// below 2 (fewer than about 10⁶ guesses) are refused.
    pub fn parse(raw: String, email: &str) -> Result<Self, PasswordError> {
        let len = raw.chars().count();
        if len < MIN_LEN {
            return Err(PasswordError::TooShort);
        }
        if len > MAX_LEN {
            return Err(PasswordError::TooLong);
        }
        let local = email.split('@').next().unwrap_or_default();
        let estimate = zxcvbn::zxcvbn(&raw, &[email, local]);
        if u8::from(estimate.score()) < 2 {
            let hint = estimate
                .feedback()
                .and_then(|f| f.warning().map(|w| format!(": {w}")))
                .unwrap_or_default();
            return Err(PasswordError::TooWeak(hint));
        }
        Ok(Self(SecretString::from(raw)))
    }

    /// The password, for hashing.
    pub fn secret(&self) -> &SecretString {
        &self.0
    }
}

fn argon2() -> Argon2<'static> {
    // Unwrap safety: constant parameters within argon2's documented bounds.
    let params = Params::new(19 * 1024, 2, 1, None).expect("valid argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes a password into a PHC string (argon2id, random salt).
pub fn hash(password: &SecretString) -> Result<String, argon2::password_hash::Error> {
    let salt = SaltString::generate(&mut OsRng);
    Ok(argon2()
        .hash_password(password.expose_secret().as_bytes(), &salt)?
        .to_string())
}

/// Checks `candidate` against a stored PHC hash. A malformed stored hash
/// never verifies.
pub fn verify(stored: &str, candidate: &SecretString) -> bool {
    match PasswordHash::new(stored) {
        Ok(parsed) => argon2()
            .verify_password(candidate.expose_secret().as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// A fixed hash to verify against when the account does not exist, so that
/// unknown and known e-mail addresses take the same time.
pub fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        // Unwrap safety: hashing a constant with valid parameters cannot fail.
        hash(&SecretString::from("cipherpool-dummy-password-for-timing")).expect("hash dummy")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy() {
        assert_eq!(
            PasswordPlain::parse("short".into(), "a@b.c").unwrap_err(),
            PasswordError::TooShort
        );
        assert_eq!(
            PasswordPlain::parse("x".repeat(129), "a@b.c").unwrap_err(),
            PasswordError::TooLong
        );
        for common in [
            "password",
            "password123",
            "12345678",
            "qwertyuiop",
            "iloveyou1",
        ] {
            assert!(
                matches!(
                    PasswordPlain::parse(common.into(), "a@b.c"),
                    Err(PasswordError::TooWeak(_))
                ),
                "{common}"
            );
        }
        assert!(matches!(
            PasswordPlain::parse("annabelle2".into(), "annabelle2@example.org"),
            Err(PasswordError::TooWeak(_))
        ));
        assert!(PasswordPlain::parse("correct horse battery staple".into(), "a@b.c").is_ok());
    }

    #[test]
    fn hash_and_verify() {
        let pw = SecretString::from("tr0ub4dor&3-orange");
        let h = hash(&pw).unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(verify(&h, &pw));
        assert!(!verify(&h, &SecretString::from("tr0ub4dor&3-apple")));
        assert!(!verify("not a hash", &pw));
        assert!(!verify(dummy_hash(), &pw));
    }
}
