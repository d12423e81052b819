//! Means and variances of numeric fields.

use serde::{Deserialize, Serialize};

use crate::json_i128;

/// Summary statistics of one numeric field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NumericSummary {
    /// The field's name.
    pub field: String,
    /// The released (noised) Σx.
    #[serde(with = "json_i128")]
    #[cfg_attr(feature = "openapi", schema(value_type = json_i128::JsonI128))]
    pub sum: i128,
    /// `sum / count`; `None` when `count == 0`.
    pub mean: Option<f64>,
    /// The released (noised) Σx², when released.
    #[serde(with = "json_i128::option")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<json_i128::JsonI128>))]
    pub sum_of_squares: Option<i128>,
    /// Population variance `Σx²/n − mean²`, clamped at 0 because noise can
    /// push it negative; `None` when no `sum_of_squares` was released or
    /// `count == 0`.
    pub variance: Option<f64>,
    /// Approximate 95% error of `mean` from the noise of Σx (± 1.96 σ / count);
    /// `None` without a mean or when the noise is not known.
    #[serde(default)]
    pub mean_error_95: Option<f64>,
    /// Approximate 95% error of `variance` from the noises of Σx and Σx²,
    /// propagated to first order at the released mean; `None` without a
    /// variance or when the noise is not known.
    #[serde(default)]
    pub variance_error_95: Option<f64>,
}

/// Population variance `(n·Σx² − (Σx)²) / n²`, clamped at 0. `n > 0`.
///
/// The numerator is computed exactly in `i128` when it fits, which avoids the
/// catastrophic cancellation of `Σx²/n − mean²` in `f64`.
pub(super) fn variance(n: u64, sum: i128, sum_of_squares: i128) -> f64 {
    let nf = n as f64;
    let exact = (n as i128)
        .checked_mul(sum_of_squares)
        .and_then(|a| sum.checked_mul(sum).and_then(|b| a.checked_sub(b)));
    let v = match exact {
        Some(num) => num as f64 / nf / nf,
        None => {
            let mean = sum as f64 / nf;
            sum_of_squares as f64 / nf - mean * mean
        }
    };
    // `max` also maps a (theoretically impossible) NaN to 0.
    v.max(0.0)
}
