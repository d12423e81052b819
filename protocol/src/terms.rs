//! Limits on a campaign's release terms, enforced by the server when a
//! campaign is created and again by every keyholder when it generates the
//! campaign's keys (a server cannot widen them).

use crate::epsilon::EPSILON_UNIT;

/// Fewest distinct contributions a campaign may release statistics over.
pub const MIN_CONTRIBUTORS: u64 = 10;
/// Largest `min_contributors` a campaign may ask for.
pub const MAX_MIN_CONTRIBUTORS: u64 = 1_000_000;
/// Largest total privacy budget of a campaign, in whole ε.
pub const MAX_EPSILON: f64 = 10.0;
/// The same in micro-units.
pub const MAX_EPSILON_MICRO: u64 = 10 * EPSILON_UNIT;
/// Largest δ a campaign may promise (approximate DP's failure probability).
pub const MAX_DELTA: f64 = 1e-4;
/// Smallest non-zero δ a campaign may promise (below it the discrete
/// Gaussian's calibration gains nothing measurable over δ = 0).
pub const MIN_DELTA: f64 = 1e-15;

/// Why a campaign's δ is refused.
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
pub enum DeltaError {
    /// Not a number in `{0} ∪ [MIN_DELTA, MAX_DELTA]`.
    #[error("delta must be 0 (pure ε-differential privacy) or between 1e-15 and 1e-4")]
    OutOfRange,
    /// δ must stay below one over the most contributions the campaign
    /// accepts: a δ of 1/n lets a mechanism publish one record outright.
    #[error("delta must be below 1/max_contributions = {0:e} (one over the most contributions the campaign accepts)")]
    AboveOneOverN(f64),
}

/// Checks a campaign's δ: 0 (pure ε-DP: only the discrete Laplace
/// mechanism is used), or in `[MIN_DELTA, MAX_DELTA]` and below
/// `1 / max_contributions`.
///
/// # Errors
///
/// [`DeltaError`] when it is not.
pub fn check_delta(delta: f64, max_contributions: u64) -> Result<(), DeltaError> {
    if delta == 0.0 {
        return Ok(());
    }
    if !(delta.is_finite() && (MIN_DELTA..=MAX_DELTA).contains(&delta)) {
        return Err(DeltaError::OutOfRange);
    }
    let ceiling = 1.0 / max_contributions.max(1) as f64;
    if delta >= ceiling {
        return Err(DeltaError::AboveOneOverN(ceiling));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delta_is_zero_or_small_and_below_one_over_n() {
        assert_eq!(check_delta(0.0, 1_000_000_000), Ok(()));
        assert_eq!(check_delta(1e-6, 1_000), Ok(()));
        assert_eq!(check_delta(1e-15, 1_000), Ok(()));
        assert_eq!(check_delta(1e-4, 1_000), Ok(()));
        for bad in [-1e-6, 1e-16, 2e-4, 1.0, f64::NAN, f64::INFINITY] {
            assert_eq!(check_delta(bad, 10), Err(DeltaError::OutOfRange), "{bad}");
        }
        assert_eq!(
            check_delta(1e-6, 1_000_000),
            Err(DeltaError::AboveOneOverN(1e-6))
        );
        assert_eq!(check_delta(1e-7, 1_000_000), Ok(()));
    }
}
