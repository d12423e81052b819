//! Turning the released (already noised) aggregates of a statistics report
//! into the figures a buyer reads: means, variances, histograms, out-of-range
//! counts and linear-regression coefficients, plus a CSV rendering.
//!
//! Everything here is post-processing of values that were noised before
//! release, so it cannot weaken the privacy guarantee; `f64` is used freely
//! for the derived figures. Noise does mean the derived figures can be odd
//! (negative counts, a variance that would be negative, an ill-conditioned
//! regression); each case is handled and documented on the item concerned.
//!
//! Aggregate keys are `:`-separated (field names match `[a-z][a-z0-9_]*`):
//!
//! * `sum:<field>` — Σx
//! * `sum_of_squares:<field>` — Σx²
//! * `product:<left>:<right>` — Σ left·right (regression cross products)
//! * `count:<field>:<category>` — number of contributions in a category
//!   (the category label is free text and may itself contain `:`)
//! * `out_of_range:<field>` — number of values outside the field's declared range
//! * `crosstab:<rows>:<columns>:<i>:<j>` — number of contributions in the
//!   `i`-th category of `rows` and the `j`-th of `columns` (indexes in
//!   schema order: two free-text labels in one key could not be split)
//! * `group_sum:<field>:<by>:<category>` — Σ field over the contributions in
//!   a category of `by`

//!
//! Split by statistic: [`summary`] (means and variances), [`histogram`]
//! (category counts and out-of-range counts), [`regression`] (least
//! squares from the released cross products), [`tables`] (contingency
//! tables with conditional frequencies and χ², per-category sums and
//! means), [`csv`] (the CSV rendering).
//! Pure: no I/O, usable by the server, the native client and the pages.

pub mod accuracy;
mod csv;
mod histogram;
pub mod mechanism;
mod regression;
mod summary;
mod tables;
pub mod weights;
pub mod zcdp;

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::json_i128;

pub use csv::to_csv;
#[cfg(feature = "openapi")]
pub use histogram::OutOfRangeCount;
pub use histogram::{CategoryCount, Histogram};
pub use regression::{Regression, PIVOT_TOLERANCE};
pub use summary::NumericSummary;
pub use tables::{Crosstab, CrosstabRow, Group, GroupSums};

/// One released aggregate: its key and noised value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Released {
    /// The aggregate's key, e.g. `"sum:age"`, `"sum_of_squares:age"`,
    /// `"product:age:income"`, `"count:mode:car"`, `"out_of_range:age"`.
    pub key: String,
    /// The noised integer value (may be negative after noise).
    #[serde(with = "json_i128")]
    #[cfg_attr(feature = "openapi", schema(value_type = json_i128::JsonI128))]
    pub value: i128,
    /// The discrete Laplace scale each keyholder used (num/den as `f64`,
    /// for display); 0 when noise is disabled. The value carries one such
    /// noise per keyholder.
    pub noise_scale: f64,
    /// 99% bound on the absolute total noise.
    pub noise_bound_99: f64,
    /// Standard deviation of the total noise (every keyholder's); absent
    /// from reports released before it was reported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub noise_sd: Option<f64>,
}

/// What a report asked for.
#[derive(Debug, Clone, Copy)]
pub struct ReportSpec<'a> {
    /// Public, exact number of contributions covered by the report.
    pub count: u64,
    /// Numeric field names, in schema order.
    pub numeric_fields: &'a [String],
    /// Categorical fields: name and categories, in schema order.
    pub categorical_fields: &'a [(String, Vec<String>)],
    /// `(features, target)` when a regression was released.
    pub regression: Option<(&'a [String], &'a str)>,
    /// `(rows, columns)` of each contingency table released.
    pub crosstabs: &'a [(String, String)],
    /// `(field, by)` of each group sum released.
    pub group_sums: &'a [(String, String)],
}

/// The figures derived from a report's released aggregates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Derived {
    /// Public, exact number of contributions covered by the report.
    pub count: u64,
    /// One summary per numeric field that has a `sum:` released, in schema order.
    pub fields: Vec<NumericSummary>,
    /// One histogram per categorical field with at least one `count:`
    /// released, in schema order.
    pub histograms: Vec<Histogram>,
    /// `(field, noised count)` for each numeric field with an `out_of_range:`
    /// released, in schema order. Serialized as objects `{"field", "count"}`.
    /// Counts are reported as released and may be negative after noise.
    #[serde(with = "histogram::out_of_range_serde")]
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<OutOfRangeCount>))]
    pub out_of_range: Vec<(String, i128)>,
    /// The fitted regression, when the report asked for one.
    pub regression: Option<Regression>,
    /// One contingency table per declared crosstab whose cells were all
    /// released, in declaration order.
    #[serde(default)]
    pub crosstabs: Vec<Crosstab>,
    /// One entry per declared group sum whose sums and group counts were
    /// all released, in declaration order.
    #[serde(default)]
    pub group_sums: Vec<GroupSums>,
}

/// Derives the buyer-facing figures of a report from its released aggregates.
///
/// Aggregates are looked up by key; when a key occurs more than once the
/// first occurrence is used. Aggregates the spec does not mention are ignored
/// here (they still appear in [`to_csv`]'s raw rows).
pub fn derive(spec: &ReportSpec, released: &[Released]) -> Derived {
    let mut by_key: HashMap<&str, (i128, Option<f64>)> = HashMap::with_capacity(released.len());
    for r in released {
        by_key
            .entry(r.key.as_str())
            .or_insert((r.value, r.noise_sd));
    }
    let get = |key: &str| by_key.get(key).map(|v| v.0);
    let sd_of = |key: &str| by_key.get(key).and_then(|v| v.1);
    let n = spec.count;
    let nf = n as f64;

    let fields = spec
        .numeric_fields
        .iter()
        .filter_map(|field| {
            let sum = get(&format!("sum:{field}"))?;
            let sum_of_squares = get(&format!("sum_of_squares:{field}"));
            let (mean, variance) = if n == 0 {
                (None, None)
            } else {
                let mean = sum as f64 / nf;
                (
                    Some(mean),
                    sum_of_squares.map(|sq| summary::variance(n, sum, sq)),
                )
            };
            let sd_sum = sd_of(&format!("sum:{field}"));
            let sd_sq = sd_of(&format!("sum_of_squares:{field}"));
            let mean_error_95 = mean.and(sd_sum).map(|sd| accuracy::Z_95 * sd / nf);
            let variance_error_95 = match (variance, mean, sd_sum, sd_sq) {
                (Some(_), Some(mean), Some(sd_sum), Some(sd_sq)) => {
                    Some(accuracy::Z_95 * accuracy::variance_sd(nf, mean, sd_sum, sd_sq))
                }
                _ => None,
            };
            Some(NumericSummary {
                field: field.clone(),
                sum,
                mean,
                sum_of_squares,
                variance,
                mean_error_95,
                variance_error_95,
            })
        })
        .collect();

    let histograms = spec
        .categorical_fields
        .iter()
        .filter_map(|(field, categories)| {
            let counts: Vec<CategoryCount> = categories
                .iter()
                .filter_map(|category| {
                    let key = format!("count:{field}:{category}");
                    get(&key).map(|count| CategoryCount {
                        category: category.clone(),
                        count,
                        consistent: 0,
                        error_95: sd_of(&key).map(|sd| accuracy::Z_95 * sd),
                    })
                })
                .collect();
            (!counts.is_empty()).then(|| {
                let mut histogram = Histogram {
                    field: field.clone(),
                    counts,
                };
                histogram.make_consistent(n, categories.len());
                histogram
            })
        })
        .collect();

    let out_of_range = spec
        .numeric_fields
        .iter()
        .filter_map(|field| get(&format!("out_of_range:{field}")).map(|c| (field.clone(), c)))
        .collect();

    let regression = spec.regression.map(|(features, target)| {
        let mut fit = regression::regress(n, features, target, &get);
        if let Some((intercept, coefficients)) =
            regression::propagate(n, features, target, &get, &sd_of)
        {
            fit.intercept_error_95 = Some(accuracy::Z_95 * intercept);
            fit.coefficient_errors_95 = coefficients.iter().map(|s| accuracy::Z_95 * s).collect();
        }
        fit
    });

    let categories = |name: &str| {
        spec.categorical_fields
            .iter()
            .find(|(f, _)| f == name)
            .map(|(_, c)| c.as_slice())
    };
    let crosstabs = spec
        .crosstabs
        .iter()
        .filter_map(|(rows, columns)| {
            tables::crosstab(
                (rows, categories(rows)?),
                (columns, categories(columns)?),
                &get,
            )
        })
        .collect();
    let group_sums = spec
        .group_sums
        .iter()
        .filter_map(|(field, by)| tables::group_sums(field, (by, categories(by)?), &get))
        .collect();

    Derived {
        count: n,
        fields,
        histograms,
        out_of_range,
        regression,
        crosstabs,
        group_sums,
    }
}

#[cfg(test)]
mod accuracy_tests;
#[cfg(test)]
mod tests;
