//! The three account roles.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// What an account may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Contributes encrypted records, earns tokens.
    Contributor,
    /// Creates and funds campaigns, buys statistics.
    Buyer,
    /// Reviews campaigns and payouts; created only by the CLI.
    Admin,
}

impl Role {
    /// The name stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Contributor => "contributor",
            Self::Buyer => "buyer",
            Self::Admin => "admin",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "contributor" => Some(Self::Contributor),
            "buyer" => Some(Self::Buyer),
            "admin" => Some(Self::Admin),
            _ => None,
        }
    }
}
