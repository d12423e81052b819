//! Small input rules several routes share: page sizes, an admin's reason,
//! a mint's memo. Each refusal is an [`InputError`], which `http::error`
//! maps to its status and code.

/// Longest reason (rejection, suspension), in characters.
pub const MAX_REASON_CHARS: usize = 2_000;
/// Longest memo of a mint, in characters.
pub const MAX_MEMO_CHARS: usize = 500;

/// Why a request's input was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InputError {
    /// A page size out of range.
    #[error("limit must be between 1 and {max}")]
    Limit {
        /// The largest page.
        max: i64,
    },
    /// A reason blank or too long.
    #[error("a {what} needs a reason of 1-2,000 characters")]
    Reason {
        /// What needs it (`rejection`, `suspension`).
        what: &'static str,
    },
    /// A memo too long.
    #[error("memo must be at most 500 characters")]
    Memo,
}

/// A page size: `default` when absent, else 1..=`max`.
pub fn page_limit(requested: Option<i64>, default: i64, max: i64) -> Result<i64, InputError> {
    let limit = requested.unwrap_or(default);
    if !(1..=max).contains(&limit) {
        return Err(InputError::Limit { max });
    }
    Ok(limit)
}

/// An admin's reason for `what`, trimmed: 1-2,000 characters.
pub fn reason(raw: &str, what: &'static str) -> Result<String, InputError> {
    let reason = raw.trim();
    if reason.is_empty() || reason.chars().count() > MAX_REASON_CHARS {
        return Err(InputError::Reason { what });
    }
    Ok(reason.to_string())
}

/// A mint's memo: at most 500 characters.
pub fn memo(raw: &str) -> Result<&str, InputError> {
    if raw.chars().count() > MAX_MEMO_CHARS {
        return Err(InputError::Memo);
    }
    Ok(raw)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_limits_default_and_stay_in_range() {
        assert_eq!(page_limit(None, 50, 200), Ok(50));
        assert_eq!(page_limit(Some(1), 50, 200), Ok(1));
        assert_eq!(page_limit(Some(200), 50, 200), Ok(200));
        for bad in [0, -1, 201, i64::MAX] {
            assert_eq!(
                page_limit(Some(bad), 50, 200),
                Err(InputError::Limit { max: 200 })
            );
        }
    }

    #[test]
    fn reasons_are_trimmed_and_bounded() {
        assert_eq!(reason("  too broad \n", "rejection").unwrap(), "too broad");
        assert!(reason(" \t", "rejection").is_err());
        assert!(reason(&"é".repeat(2_000), "rejection").is_ok());
        assert_eq!(
            reason(&"é".repeat(2_001), "suspension"),
            Err(InputError::Reason { what: "suspension" })
        );
        assert_eq!(memo(&"m".repeat(500)), Ok("m".repeat(500).as_str()));
        assert_eq!(memo(&"m".repeat(501)), Err(InputError::Memo));
    }
}
