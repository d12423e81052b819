//! Token amounts: strictly positive integers that fit PostgreSQL's `bigint`.

use serde::{Deserialize, Serialize};

/// Why a number is not a valid token amount.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AmountError {
    /// Zero or negative amounts never move on the ledger.
    #[error("amount must be positive, got {0}")]
    NotPositive(i64),
}

/// A strictly positive number of tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct TokenAmount(i64);

impl TokenAmount {
    /// Parses a raw integer, refusing zero and negative values.
    pub fn parse(raw: i64) -> Result<Self, AmountError> {
        if raw > 0 {
            Ok(Self(raw))
        } else {
            Err(AmountError::NotPositive(raw))
        }
    }

    /// The amount as a plain integer.
    pub fn get(self) -> i64 {
        self.0
    }
}

impl<'de> Deserialize<'de> for TokenAmount {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = i64::deserialize(d)?;
        Self::parse(raw).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_zero_and_negative() {
        assert_eq!(TokenAmount::parse(0), Err(AmountError::NotPositive(0)));
        assert_eq!(TokenAmount::parse(-5), Err(AmountError::NotPositive(-5)));
        assert_eq!(TokenAmount::parse(7).map(TokenAmount::get), Ok(7));
    }

    #[test]
    fn deserialize_checks() {
        assert!(serde_json::from_str::<TokenAmount>("0").is_err());
        assert!(serde_json::from_str::<TokenAmount>("-1").is_err());
        assert!(serde_json::from_str::<TokenAmount>("1.5").is_err());
        assert_eq!(serde_json::from_str::<TokenAmount>("42").unwrap().get(), 42);
    }
}
