//! How accurate a report will be, before it is bought: every released
//! value's noise scale, standard deviation and 95%/99% error bounds, and
//! the approximate error of what is derived from them (means, variances,
//! frequencies, regression coefficients), for a number of contributions
//! and the ε about to be spent.
//!
//! The figures follow the keyholders' mechanism exactly
//! ([`super::mechanism::choose`]): each of the `parties` keyholders adds
//! its own noise to every value, discrete Laplace of scale
//! `sensitivity · W / (w·ε)` (ε split over the report's values by their
//! weights, basic composition) or, when the campaign promises a δ and that
//! is more accurate, discrete Gaussian calibrated to the report's ρ-zCDP.
//! The 95% and 99% bounds are the ones the keyholders sign with a release
//! (Laplace: a union bound over the keyholders, each one's noise within its
//! `1 − δ/parties` tail; Gaussian: the subgaussian bound of the sum), so
//! the bound a buyer reads before buying is the bound the released report
//! carries. Derived figures are first-order propagations of the values'
//! standard deviations (± 1.96 σ, a normal approximation): approximate,
//! and said so.
//!
//! Floating point is fine here: nothing in this module draws noise.

use serde::{Deserialize, Serialize};

use super::mechanism;
use super::regression;
use super::weights::Weights;

/// `z` of a two-sided 95% normal interval.
pub const Z_95: f64 = 1.959_963_984_540_054;

/// The discrete Laplace scale each keyholder uses for one value of budget
/// weight `weight` among values weighing `total` in all (see
/// [`super::weights`]; `weight` 1 of `total` m is the even split): the
/// value gets `ε · weight / total`, calibrated to its L1 `sensitivity`.
/// 0 when `epsilon` is not positive or a weight is 0.
pub fn laplace_scale(sensitivity: f64, weight: u32, total: u64, epsilon: f64) -> f64 {
    if epsilon.is_nan() || epsilon <= 0.0 || weight == 0 || total == 0 {
        return 0.0;
    }
    sensitivity * total as f64 / (f64::from(weight) * epsilon)
}

/// Variance of the discrete Laplace distribution of scale `b`
/// (`P(x) ∝ e^{−|x|/b}`): `2p/(1−p)²` with `p = e^{−1/b}` (computed with
/// `exp_m1`, exact for large scales). 0 for `b ≤ 0`.
pub fn discrete_laplace_variance(scale: f64) -> f64 {
    if scale.is_nan() || scale <= 0.0 {
        return 0.0;
    }
    let a = 1.0 / scale;
    let one_minus_p = -(-a).exp_m1();
    2.0 * (-a).exp() / (one_minus_p * one_minus_p)
}

/// Standard deviation of a released value's total noise: the sum of
/// `parties` independent discrete Laplace draws of scale `scale`.
pub fn noise_sd(scale: f64, parties: u32) -> f64 {
    (f64::from(parties) * discrete_laplace_variance(scale)).sqrt()
}

/// One keyholder's bound `B` with `P(|X| > B) ≤ 1/delta_inv` for its
/// discrete Laplace noise `X` of scale `scale`: `⌈b·ln(2·delta_inv)⌉`
/// (the keyholder's own formula, inflated by 10⁻⁹ before rounding up).
pub fn tail_bound(scale: f64, delta_inv: f64) -> f64 {
    if scale.is_nan() || scale <= 0.0 || delta_inv <= 1.0 {
        return 0.0;
    }
    (scale * (2.0 * delta_inv).ln() * (1.0 + 1e-9)).ceil()
}

/// Bound on a released value's total noise (`parties` keyholders) that
/// holds with probability at least `1 − 1/delta_inv`: every keyholder's
/// noise within its `1/(delta_inv·parties)` tail, summed (a union bound).
/// This is what a release reports as `noise_bound_99` for `delta_inv = 100`.
pub fn error_bound(scale: f64, parties: u32, delta_inv: f64) -> f64 {
    f64::from(parties) * tail_bound(scale, delta_inv * f64::from(parties))
}

/// What an estimate is computed from.
#[derive(Debug, Clone, Copy)]
pub struct EstimateInput<'a> {
    /// Contributions the report would cover.
    pub count: u64,
    /// ε the report would spend.
    pub epsilon: f64,
    /// δ the report may spend ([`super::mechanism::report_delta`]; 0: pure
    /// ε, the Laplace mechanism only).
    pub delta: f64,
    /// Keyholders, each adding its own noise.
    pub parties: u32,
    /// Every value the report releases: its key and L1 sensitivity, in plan order.
    pub values: &'a [(String, u128)],
    /// How ε is split over the values (checked by the caller).
    pub weights: &'a Weights,
    /// Numeric fields: name and the range their values are clamped to
    /// (declared, else the width's), in schema order.
    pub numeric_ranges: &'a [(String, u64, u64)],
    /// Categorical fields: name and categories, in schema order.
    pub categorical_fields: &'a [(String, Vec<String>)],
    /// `(features, target)` when a regression is released.
    pub regression: Option<(&'a [String], &'a str)>,
}

/// The expected accuracy of one released value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ValueEstimate {
    /// The aggregate's key (as in the released values).
    pub key: String,
    /// How much one contribution can change it (L1).
    pub sensitivity: f64,
    /// Its budget weight.
    pub weight: u32,
    /// The ε it gets: ε · weight / (the weights' sum) (under the Laplace
    /// mechanism; the Gaussian splits ρ the same way).
    pub epsilon_share: f64,
    /// The ρ it gets under the Gaussian mechanism: ρ · weight / (the
    /// weights' sum); absent under Laplace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rho_share: Option<f64>,
    /// Each keyholder's noise scale: the discrete Laplace `b`, or the
    /// discrete Gaussian `σ`.
    pub noise_scale: f64,
    /// Standard deviation of the total noise.
    pub noise_sd: f64,
    /// The noise stays within ± this with probability ≥ 95%.
    pub error_95: f64,
    /// The noise stays within ± this with probability ≥ 99% (the bound the
    /// release will report).
    pub error_99: f64,
    /// The value itself lies in `0..=range_max` (count × sensitivity).
    pub range_max: f64,
    /// The 95% error exceeds half of that range: the released value would
    /// say little about the data.
    pub noise_dominates: bool,
}

/// The expected accuracy of a numeric field's mean and variance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FieldEstimate {
    /// The field.
    pub field: String,
    /// Smallest value it is read as (clamped to).
    pub min: u64,
    /// Largest value it is read as (clamped to).
    pub max: u64,
    /// Approximate 95% error of the mean (± 1.96 σ of Σx / count).
    pub mean_error_95: Option<f64>,
    /// Approximate 95% error of the variance, first-order, taking the
    /// mean at the field's maximum (the worst case before the data is
    /// known); `None` when no Σx² is released.
    pub variance_error_95: Option<f64>,
    /// The mean's (or the variance's) error exceeds half of what it can be.
    pub noise_dominates: bool,
}

/// The expected accuracy of a categorical field's frequencies.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HistogramEstimate {
    /// The field.
    pub field: String,
    /// Approximate 95% error of each category's frequency (count / count of
    /// contributions), before the counts are made consistent.
    pub frequency_error_95: f64,
    /// That error exceeds one half.
    pub noise_dominates: bool,
}

/// The approximate accuracy of the regression's coefficients, for features
/// spread evenly and independently over their ranges (the data is not
/// known before release; the real figure comes with the report).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RegressionEstimate {
    /// Feature names, in the order of `coefficient_errors_95`.
    pub features: Vec<String>,
    /// Target name.
    pub target: String,
    /// Approximate 95% error of the intercept; `None` when no fit is possible.
    pub intercept_error_95: Option<f64>,
    /// Approximate 95% error of each coefficient (empty when no fit is possible).
    pub coefficient_errors_95: Vec<f64>,
}

/// The expected accuracy of a report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Estimate {
    /// Contributions the report would cover.
    pub count: u64,
    /// ε the report would spend.
    pub epsilon: f64,
    /// Keyholders, each adding its own noise.
    pub keyholders: u32,
    /// The budget weight of each kind of value the report releases.
    #[cfg_attr(feature = "openapi", schema(value_type = std::collections::BTreeMap<String, u32>))]
    pub weights: std::collections::BTreeMap<String, u32>,
    /// The mechanism the keyholders will use: `discrete_laplace` or
    /// `discrete_gaussian` ([`super::mechanism::choose`]).
    pub mechanism: String,
    /// δ the report would spend (0 under Laplace).
    pub delta: f64,
    /// ρ of the report's zCDP under the Gaussian (0 under Laplace).
    pub rho: f64,
    /// Every released value, in plan order.
    pub values: Vec<ValueEstimate>,
    /// Means and variances, one per numeric field with a released Σx.
    pub fields: Vec<FieldEstimate>,
    /// Frequencies, one per categorical field with released counts.
    pub histograms: Vec<HistogramEstimate>,
    /// The regression, when released.
    pub regression: Option<RegressionEstimate>,
    /// One sentence per figure the noise would dominate (empty: none).
    pub warnings: Vec<String>,
}

/// The expected accuracy of a report (see the module documentation).
pub fn estimate(input: &EstimateInput) -> Estimate {
    let n = input.count;
    let nf = n as f64;
    let (weights, total) = input
        .weights
        .split(input.values.iter().map(|(k, _)| k.as_str()));
    let mut warnings = Vec::new();
    let sensitivities: Vec<(u128, u32)> = input
        .values
        .iter()
        .zip(&weights)
        .map(|((_, s), &w)| (*s, w))
        .collect();
    let choice = mechanism::choose(
        &sensitivities,
        total,
        input.epsilon,
        input.delta,
        input.parties,
    );
    let gaussian = choice.mechanism == mechanism::Mechanism::DiscreteGaussian;
    let values: Vec<ValueEstimate> = input
        .values
        .iter()
        .zip(&weights)
        .zip(&choice.values)
        .map(|(((key, sensitivity), &weight), noise)| {
            let sensitivity = *sensitivity as f64;
            let error_95 = noise.error_95;
            let range_max = nf * sensitivity;
            let noise_dominates = error_95 > range_max / 2.0;
            if noise_dominates {
                warnings.push(format!(
                    "{key}: the 95% error ±{} exceeds half of the range 0–{} the value can take",
                    round_display(error_95),
                    round_display(range_max)
                ));
            }
            let share = f64::from(weight) / total as f64;
            ValueEstimate {
                key: key.clone(),
                sensitivity,
                weight,
                epsilon_share: input.epsilon * share,
                rho_share: gaussian.then_some(choice.rho * share),
                noise_scale: noise.scale,
                noise_sd: noise.sd,
                error_95,
                error_99: noise.error_99,
                range_max,
                noise_dominates,
            }
        })
        .collect();
    let sd_of = |key: &str| values.iter().find(|v| v.key == key).map(|v| v.noise_sd);

    let mut fields = Vec::new();
    for (field, lo, hi) in input.numeric_ranges {
        let Some(sd_sum) = sd_of(&format!("sum:{field}")) else {
            continue;
        };
        let (lo_f, hi_f) = (*lo as f64, *hi as f64);
        let mean_error_95 = (n > 0).then(|| Z_95 * sd_sum / nf);
        let variance_error_95 = sd_of(&format!("sum_of_squares:{field}"))
            .filter(|_| n > 0)
            .map(|sd_sq| Z_95 * variance_sd(nf, hi_f, sd_sum, sd_sq));
        let half_range = (hi_f - lo_f) / 2.0;
        // A variance lies in 0..=((max − min)/2)².
        let mean_dominates = mean_error_95.is_none_or(|e| e > half_range);
        let variance_dominates =
            variance_error_95.is_some_and(|e| e > half_range * half_range / 2.0);
        if mean_dominates {
            warnings.push(format!(
                "mean of {field}: the 95% error ±{} exceeds half of its range {lo}–{hi}",
                mean_error_95.map_or_else(|| "∞".into(), round_display)
            ));
        }
        if variance_dominates {
            warnings.push(format!(
                "variance of {field}: the 95% error ±{} exceeds half of the largest variance \
                 a field in {lo}–{hi} can have",
                variance_error_95.map_or_else(|| "∞".into(), round_display)
            ));
        }
        fields.push(FieldEstimate {
            field: field.clone(),
            min: *lo,
            max: *hi,
            mean_error_95,
            variance_error_95,
            noise_dominates: mean_dominates || variance_dominates,
        });
    }

    let mut histograms = Vec::new();
    for (field, categories) in input.categorical_fields {
        let Some(sd) = categories
            .iter()
            .filter_map(|c| sd_of(&format!("count:{field}:{c}")))
            .reduce(f64::max)
        else {
            continue;
        };
        let frequency_error_95 = if n > 0 { Z_95 * sd / nf } else { f64::INFINITY };
        let noise_dominates = frequency_error_95 > 0.5;
        if noise_dominates {
            warnings.push(format!(
                "frequencies of {field}: the 95% error ±{} exceeds one half",
                round_display(frequency_error_95)
            ));
        }
        histograms.push(HistogramEstimate {
            field: field.clone(),
            // JSON has no infinity: a frequency cannot err by more than 1.
            frequency_error_95: frequency_error_95.min(1.0),
            noise_dominates,
        });
    }

    let regression = input.regression.map(|(features, target)| {
        let range = |f: &str| {
            input
                .numeric_ranges
                .iter()
                .find(|(name, _, _)| name == f)
                .map(|(_, lo, hi)| (*lo as f64, *hi as f64))
        };
        // Expected aggregates of features (and target) spread evenly and
        // independently over their ranges.
        let expected = |key: &str| -> Option<i128> {
            let mut parts = key.split(':');
            let kind = parts.next()?;
            let a = range(parts.next()?)?;
            let v = match kind {
                "sum" => nf * (a.0 + a.1) / 2.0,
                "sum_of_squares" => nf * (a.0 * a.0 + a.0 * a.1 + a.1 * a.1) / 3.0,
                "product" => {
                    let b = range(parts.next()?)?;
                    nf * (a.0 + a.1) / 2.0 * (b.0 + b.1) / 2.0
                }
                _ => return None,
            };
            Some(v.round() as i128)
        };
        let errors = regression::propagate(n, features, target, &expected, &sd_of);
        if errors.is_none() {
            warnings.push(format!(
                "regression of {target}: one standard deviation of noise would leave the \
                 normal equations unsolvable, so the fit would be noise"
            ));
        }
        RegressionEstimate {
            features: features.to_vec(),
            target: target.to_string(),
            intercept_error_95: errors.as_ref().map(|e| Z_95 * e.0),
            coefficient_errors_95: errors
                .map(|e| e.1.iter().map(|s| Z_95 * s).collect())
                .unwrap_or_default(),
        }
    });

    let kinds = values
        .iter()
        .map(|v| {
            let kind = super::weights::kind_of(&v.key);
            (kind.to_string(), input.weights.of(kind))
        })
        .collect();
    Estimate {
        count: n,
        epsilon: input.epsilon,
        keyholders: input.parties,
        weights: kinds,
        mechanism: choice.mechanism.name().into(),
        delta: choice.delta,
        rho: choice.rho,
        values,
        fields,
        histograms,
        regression,
        warnings,
    }
}

/// First-order standard deviation of the variance `Σx²/n − (Σx/n)²` when
/// Σx and Σx² carry independent noises of standard deviations `sd_sum` and
/// `sd_sq`, at mean `mean`.
pub(super) fn variance_sd(n: f64, mean: f64, sd_sum: f64, sd_sq: f64) -> f64 {
    let a = sd_sq / n;
    let b = 2.0 * mean * sd_sum / n;
    (a * a + b * b).sqrt()
}

/// A figure for a sentence: three significant digits at most.
fn round_display(x: f64) -> String {
    if !x.is_finite() {
        return "∞".into();
    }
    if x.abs() >= 100.0 {
        return format!("{}", x.round());
    }
    let digits = 2 - x.abs().log10().floor().max(-6.0) as i32;
    let p = 10f64.powi(digits.max(0));
    format!("{}", (x * p).round() / p)
}
