//! Account e-mail addresses, normalised to lower case.

/// A syntactically plausible, lower-cased e-mail address.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

/// Why an address was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a valid e-mail address")]
pub struct EmailError(pub String);

impl Email {
    /// Parses an address: one `@`, non-empty local part and a dotted domain,
    /// no whitespace or control characters, at most 254 bytes.
    pub fn parse(raw: &str) -> Result<Self, EmailError> {
        let s = raw.trim().to_lowercase();
        let bad = || EmailError(raw.to_string());
        if s.len() < 3 || s.len() > 254 || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(bad());
        }
        let (local, domain) = s.split_once('@').ok_or_else(bad)?;
        if local.is_empty()
            || local.len() > 64
            || domain.contains('@')
            || !domain.contains('.')
            || domain.starts_with('.')
            || domain.ends_with('.')
            || domain.contains("..")
        {
            return Err(bad());
        }
        Ok(Self(s))
    }

    /// The normalised address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_and_refuses() {
        assert_eq!(
            Email::parse(" Ann@Example.org ").unwrap().as_str(),
            "ann@example.org"
        );
        for bad in [
            "",
            "a",
            "no-at.example",
            "a@b",
            "a@@b.c",
            "a b@c.d",
            "@c.d",
            "a@.c",
            "a@c.",
            "a@c..d",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?}");
        }
    }
}
