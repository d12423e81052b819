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

pub use keyholder_api::Released;
use protocol::json_i128;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::fmt::Write as _;
use utoipa::ToSchema;

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
}

/// The figures derived from a report's released aggregates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
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
    #[serde(with = "out_of_range_serde")]
    #[schema(value_type = Vec<OutOfRangeCount>)]
    pub out_of_range: Vec<(String, i128)>,
    /// The fitted regression, when the report asked for one.
    pub regression: Option<Regression>,
}

/// Summary statistics of one numeric field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct NumericSummary {
    /// The field's name.
    pub field: String,
    /// The released (noised) Σx.
    #[serde(with = "json_i128")]
    #[schema(value_type = json_i128::JsonI128)]
    pub sum: i128,
    /// `sum / count`; `None` when `count == 0`.
    pub mean: Option<f64>,
    /// The released (noised) Σx², when released.
    #[serde(with = "json_i128::option")]
    #[schema(value_type = Option<json_i128::JsonI128>)]
    pub sum_of_squares: Option<i128>,
    /// Population variance `Σx²/n − mean²`, clamped at 0 because noise can
    /// push it negative; `None` when no `sum_of_squares` was released or
    /// `count == 0`.
    pub variance: Option<f64>,
}

/// Noised category counts of one categorical field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Histogram {
    /// The field's name.
    pub field: String,
    /// One entry per category with a released count, in schema order.
    pub counts: Vec<CategoryCount>,
}

/// One bar of a [`Histogram`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CategoryCount {
    /// The category label (free text).
    pub category: String,
    /// The noised count exactly as released: it is *not* clamped or rounded,
    /// so it may be negative (or exceed the report's count) because of noise.
    #[serde(with = "json_i128")]
    #[schema(value_type = json_i128::JsonI128)]
    pub count: i128,
}

/// One entry of [`Derived::out_of_range`] as serialized (the OpenAPI
/// document's description of it).
#[derive(ToSchema)]
pub struct OutOfRangeCount {
    /// The numeric field.
    pub field: String,
    /// Its noised count of out-of-range values, as released.
    #[schema(value_type = json_i128::JsonI128)]
    pub count: i128,
}

/// An ordinary-least-squares fit `target ≈ intercept + Σ coefficientᵢ·featureᵢ`
/// computed from the released (noised) sums and cross products.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Regression {
    /// Feature names, in the order of `coefficients`.
    pub features: Vec<String>,
    /// Target name.
    pub target: String,
    /// β₀; 0.0 when `solved` is false (never NaN, so JSON can carry it).
    pub intercept: f64,
    /// β₁…βₖ, one per feature; empty when `solved` is false.
    pub coefficients: Vec<f64>,
    /// Whether the normal equations could be solved.
    pub solved: bool,
    /// Why the fit failed (missing aggregates, no contributions, singular or
    /// ill-conditioned normal equations); `None` when solved.
    pub note: Option<String>,
}

/// Relative pivot tolerance of the regression solver. The solver works on the
/// features' centred cross products scaled to unit diagonal (their correlation
/// matrix), where a pivot is 1 − R² of a feature against the features before
/// it; a pivot below this fraction of its row's largest entry means the
/// system is singular or too ill-conditioned to report.
pub const PIVOT_TOLERANCE: f64 = 1e-12;

/// Derives the buyer-facing figures of a report from its released aggregates.
///
/// Aggregates are looked up by key; when a key occurs more than once the
/// first occurrence is used. Aggregates the spec does not mention are ignored
/// here (they still appear in [`to_csv`]'s raw rows).
pub fn derive(spec: &ReportSpec, released: &[Released]) -> Derived {
    let mut by_key: HashMap<&str, i128> = HashMap::with_capacity(released.len());
    for r in released {
        by_key.entry(r.key.as_str()).or_insert(r.value);
    }
    let get = |key: &str| by_key.get(key).copied();
    let n = spec.count;

    let fields = spec
        .numeric_fields
        .iter()
        .filter_map(|field| {
            let sum = get(&format!("sum:{field}"))?;
            let sum_of_squares = get(&format!("sum_of_squares:{field}"));
            let (mean, variance) = if n == 0 {
                (None, None)
            } else {
                let mean = sum as f64 / n as f64;
                (Some(mean), sum_of_squares.map(|sq| variance(n, sum, sq)))
            };
            Some(NumericSummary {
                field: field.clone(),
                sum,
                mean,
                sum_of_squares,
                variance,
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
                    get(&format!("count:{field}:{category}")).map(|count| CategoryCount {
                        category: category.clone(),
                        count,
                    })
                })
                .collect();
            (!counts.is_empty()).then(|| Histogram {
                field: field.clone(),
                counts,
            })
        })
        .collect();

    let out_of_range = spec
        .numeric_fields
        .iter()
        .filter_map(|field| get(&format!("out_of_range:{field}")).map(|c| (field.clone(), c)))
        .collect();

    let regression = spec
        .regression
        .map(|(features, target)| regress(n, features, target, &get));

    Derived {
        count: n,
        fields,
        histograms,
        out_of_range,
        regression,
    }
}

/// Population variance `(n·Σx² − (Σx)²) / n²`, clamped at 0. `n > 0`.
///
/// The numerator is computed exactly in `i128` when it fits, which avoids the
/// catastrophic cancellation of `Σx²/n − mean²` in `f64`.
fn variance(n: u64, sum: i128, sum_of_squares: i128) -> f64 {
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

/// Fits the regression from the normal equations; see [`Regression`].
///
/// The normal equations are `A β = b` with `A = [[n, Σx_j], [Σx_i, Σx_i·x_j]]`
/// and `b = [Σy, Σx_i·y]`. The first Gaussian-elimination step (pivot `n`)
/// is done exactly and fraction-free in `i128`: each feature row becomes
/// `n·row_i − Σx_i·row_0`, leaving the k×k system `S β₁.. = t` with
/// `S_ij = n·Σx_i·x_j − Σx_i·Σx_j` and `t_i = n·Σx_i·y − Σx_i·Σy` (n² times
/// the covariances). This removes the cancellation that makes the raw system
/// useless in `f64` when a feature's mean is large compared with its spread.
/// `S` is then equilibrated to unit diagonal and solved in `f64` with partial
/// pivoting; finally `β₀ = (Σy − Σ βᵢ·Σx_i) / n`.
fn regress(
    n: u64,
    features: &[String],
    target: &str,
    get: &dyn Fn(&str) -> Option<i128>,
) -> Regression {
    let unsolved = |note: String| Regression {
        features: features.to_vec(),
        target: target.to_string(),
        intercept: 0.0,
        coefficients: Vec::new(),
        solved: false,
        note: Some(note),
    };

    let k = features.len();
    let mut agg = Aggregates {
        get,
        missing: Vec::new(),
    };
    let sum_y = agg.sum(target);
    let sum_x: Vec<i128> = features.iter().map(|f| agg.sum(f)).collect();
    let mut cross = vec![vec![0i128; k]; k];
    for i in 0..k {
        for j in i..k {
            let v = agg.cross(&features[i], &features[j]);
            cross[i][j] = v;
            cross[j][i] = v;
        }
    }
    let cross_y: Vec<i128> = features.iter().map(|f| agg.cross(f, target)).collect();
    if !agg.missing.is_empty() {
        return unsolved(format!(
            "missing released aggregates: {}",
            agg.missing.join(", ")
        ));
    }
    if n == 0 {
        return unsolved("no contributions: the regression cannot be fitted".into());
    }

    // n·Σab − Σa·Σb, exactly when it fits in i128.
    let centred = |ab: i128, a: i128, b: i128| -> f64 {
        (n as i128)
            .checked_mul(ab)
            .and_then(|l| a.checked_mul(b).and_then(|r| l.checked_sub(r)))
            .map(|v| v as f64)
            .unwrap_or_else(|| n as f64 * ab as f64 - a as f64 * b as f64)
    };
    let mut s_mat: Vec<Vec<f64>> = (0..k)
        .map(|i| {
            (0..k)
                .map(|j| centred(cross[i][j], sum_x[i], sum_x[j]))
                .collect()
        })
        .collect();
    let mut t: Vec<f64> = (0..k)
        .map(|i| centred(cross_y[i], sum_x[i], sum_y))
        .collect();

    // Symmetric equilibration D·S·D (unit diagonal, i.e. the correlation
    // matrix) so the pivot tolerance is scale-free: (D S D) z = D t, β = D z.
    let mut d = vec![0.0; k];
    for i in 0..k {
        if s_mat[i][i] <= 0.0 {
            return unsolved(format!(
                "feature `{}` has no spread (constant, or its released sum_of_squares \
                 is too small for its sum after noise): the regression cannot be fitted",
                features[i]
            ));
        }
        d[i] = 1.0 / s_mat[i][i].sqrt();
    }
    for i in 0..k {
        for j in 0..k {
            s_mat[i][j] *= d[i] * d[j];
        }
        t[i] *= d[i];
    }

    let coefficients: Vec<f64> = match solve(s_mat, t) {
        Ok(z) => z.iter().zip(&d).map(|(z, d)| z * d).collect(),
        Err(col) => {
            return unsolved(format!(
                "the normal equations are singular or ill-conditioned at feature `{}`: \
                 it is (nearly) a linear combination of the other features",
                features[col]
            ))
        }
    };
    let fitted_sum: f64 = coefficients
        .iter()
        .zip(&sum_x)
        .map(|(beta, sx)| beta * *sx as f64)
        .sum();
    let intercept = (sum_y as f64 - fitted_sum) / n as f64;
    if !intercept.is_finite() || !coefficients.iter().all(|v| v.is_finite()) {
        return unsolved("the normal equations gave a non-finite solution".into());
    }
    Regression {
        features: features.to_vec(),
        target: target.to_string(),
        intercept,
        coefficients,
        solved: true,
        note: None,
    }
}

/// Aggregate lookups for the normal equations, recording missing keys.
struct Aggregates<'g> {
    get: &'g dyn Fn(&str) -> Option<i128>,
    missing: Vec<String>,
}

impl Aggregates<'_> {
    /// The value of `key`; 0 (and `key` recorded) when missing.
    fn value(&mut self, key: String) -> i128 {
        match (self.get)(&key) {
            Some(v) => v,
            None => {
                if !self.missing.contains(&key) {
                    self.missing.push(key);
                }
                0
            }
        }
    }

    /// Σx for `field`.
    fn sum(&mut self, field: &str) -> i128 {
        self.value(format!("sum:{field}"))
    }

    /// Σ a·b: `sum_of_squares:a` when `a == b`, else `product:a:b`, falling
    /// back to the reversed key `product:b:a` (the canonical key is the one
    /// reported when both are missing).
    fn cross(&mut self, a: &str, b: &str) -> i128 {
        if a == b {
            return self.value(format!("sum_of_squares:{a}"));
        }
        let key = format!("product:{a}:{b}");
        if (self.get)(&key).is_none() {
            if let Some(v) = (self.get)(&format!("product:{b}:{a}")) {
                return v;
            }
        }
        self.value(key)
    }
}

/// Solves `a x = b` by Gaussian elimination with partial pivoting.
///
/// Returns `Err(column)` when the pivot of `column` is below
/// [`PIVOT_TOLERANCE`] times the largest magnitude in its (original) row.
fn solve(mut a: Vec<Vec<f64>>, mut b: Vec<f64>) -> Result<Vec<f64>, usize> {
    let n = b.len();
    let mut row_max: Vec<f64> = a
        .iter()
        .map(|row| row.iter().fold(0.0_f64, |m, v| m.max(v.abs())))
        .collect();
    for col in 0..n {
        let p = (col..n)
            .max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))
            .unwrap_or(col);
        let pivot = a[p][col].abs();
        if pivot.is_nan() || pivot <= PIVOT_TOLERANCE * row_max[p] {
            return Err(col);
        }
        a.swap(col, p);
        b.swap(col, p);
        row_max.swap(col, p);
        let (upper, lower) = a.split_at_mut(col + 1);
        let pivot_row = &upper[col];
        for (offset, row) in lower.iter_mut().enumerate() {
            let factor = row[col] / pivot_row[col];
            if factor != 0.0 {
                for (x, p) in row[col..].iter_mut().zip(&pivot_row[col..]) {
                    *x -= factor * p;
                }
                b[col + 1 + offset] -= factor * b[col];
            }
        }
    }
    let mut x = vec![0.0; n];
    for i in (0..n).rev() {
        let s: f64 = (i + 1..n).map(|j| a[i][j] * x[j]).sum();
        x[i] = (b[i] - s) / a[i][i];
    }
    Ok(x)
}

/// Renders a report as CSV (RFC 4180 quoting, `\n` line ends).
///
/// Header `statistic,field,category,value,noise_scale,noise_bound_99`, then:
///
/// * `count,,,<n>,0,0` — the public exact count;
/// * one row per released aggregate, in the given order, with its value,
///   noise scale and 99% noise bound: `sum`/`sum_of_squares`/`out_of_range`
///   rows name the field; `product:<l>:<r>` becomes statistic `product`,
///   field `l*r`; `count:<f>:<c>` becomes statistic `histogram`, field `f`,
///   category `c`; any other key puts its first part in `statistic` and the
///   rest in `field`;
/// * derived rows with empty noise columns: `mean,<field>` and
///   `variance,<field>` per numeric field (when defined), then
///   `regression_intercept` and one `regression_coefficient,<feature>` per
///   feature when the regression was solved (nothing when it was not).
///
/// Fields containing a comma, a double quote, CR or LF are quoted, with
/// inner quotes doubled. Labels are written verbatim otherwise (no
/// spreadsheet-formula neutralisation).
pub fn to_csv(derived: &Derived, released: &[Released]) -> String {
    let mut out = String::from("statistic,field,category,value,noise_scale,noise_bound_99\n");
    push_row(
        &mut out,
        ["count", "", "", &derived.count.to_string(), "0", "0"],
    );
    for r in released {
        let (statistic, field, category) = split_key(&r.key);
        push_row(
            &mut out,
            [
                statistic,
                &field,
                category,
                &r.value.to_string(),
                &r.noise_scale.to_string(),
                &r.noise_bound_99.to_string(),
            ],
        );
    }
    for f in &derived.fields {
        if let Some(mean) = f.mean {
            push_row(&mut out, ["mean", &f.field, "", &mean.to_string(), "", ""]);
        }
        if let Some(variance) = f.variance {
            push_row(
                &mut out,
                ["variance", &f.field, "", &variance.to_string(), "", ""],
            );
        }
    }
    if let Some(reg) = derived.regression.as_ref().filter(|r| r.solved) {
        push_row(
            &mut out,
            [
                "regression_intercept",
                "",
                "",
                &reg.intercept.to_string(),
                "",
                "",
            ],
        );
        for (feature, c) in reg.features.iter().zip(&reg.coefficients) {
            push_row(
                &mut out,
                [
                    "regression_coefficient",
                    feature,
                    "",
                    &c.to_string(),
                    "",
                    "",
                ],
            );
        }
    }
    out
}

/// Splits a released key into CSV `(statistic, field, category)`.
fn split_key(key: &str) -> (&str, String, &str) {
    let (kind, rest) = key.split_once(':').unwrap_or((key, ""));
    match kind {
        "count" => {
            let (field, category) = rest.split_once(':').unwrap_or((rest, ""));
            ("histogram", field.to_string(), category)
        }
        "product" => {
            let field = match rest.split_once(':') {
                Some((l, r)) => format!("{l}*{r}"),
                None => rest.to_string(),
            };
            ("product", field, "")
        }
        _ => (kind, rest.to_string(), ""),
    }
}

/// Appends one CSV record.
fn push_row(out: &mut String, cells: [&str; 6]) {
    for (i, cell) in cells.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        if cell.contains([',', '"', '\n', '\r']) {
            let _ = write!(out, "\"{}\"", cell.replace('"', "\"\""));
        } else {
            out.push_str(cell);
        }
    }
    out.push('\n');
}

/// Serializes `Vec<(String, i128)>` as `[{"field": .., "count": ..}, ..]`.
mod out_of_range_serde {
    use super::json_i128;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    #[derive(Serialize)]
    struct Entry<'a> {
        field: &'a str,
        #[serde(with = "json_i128")]
        count: i128,
    }

    #[derive(Deserialize)]
    struct OwnedEntry {
        field: String,
        #[serde(with = "json_i128")]
        count: i128,
    }

    pub fn serialize<S: Serializer>(v: &[(String, i128)], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(v.iter().map(|(field, count)| Entry {
            field,
            count: *count,
        }))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<(String, i128)>, D::Error> {
        Ok(Vec::<OwnedEntry>::deserialize(d)?
            .into_iter()
            .map(|e| (e.field, e.count))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rel(key: &str, value: i128) -> Released {
        Released {
            key: key.to_string(),
            value,
            noise_scale: 0.0,
            noise_bound_99: 0.0,
        }
    }

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    /// Noiseless aggregates of plaintext records: one `Vec<i128>` per record,
    /// values in the order of `names`.
    fn aggregates(names: &[&str], records: &[Vec<i128>]) -> Vec<Released> {
        let mut out = Vec::new();
        for (i, name) in names.iter().enumerate() {
            out.push(rel(
                &format!("sum:{name}"),
                records.iter().map(|r| r[i]).sum(),
            ));
            out.push(rel(
                &format!("sum_of_squares:{name}"),
                records.iter().map(|r| r[i] * r[i]).sum(),
            ));
        }
        for i in 0..names.len() {
            for j in i + 1..names.len() {
                out.push(rel(
                    &format!("product:{}:{}", names[i], names[j]),
                    records.iter().map(|r| r[i] * r[j]).sum(),
                ));
            }
        }
        out
    }

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol * b.abs().max(1.0)
    }

    #[test]
    fn exact_mean_variance_histogram_out_of_range() {
        // (age, income, mode)
        let records: [(i128, i128, &str); 6] = [
            (23, 41_000, "car"),
            (35, 52_500, "bike"),
            (47, 61_200, "car"),
            (52, 58_000, "walk"),
            (29, 39_900, "car"),
            (61, 75_300, "bike"),
        ];
        let numeric = strings(&["age", "income"]);
        let categorical = vec![("mode".to_string(), strings(&["car", "bike", "walk", "bus"]))];
        let table: Vec<Vec<i128>> = records.iter().map(|r| vec![r.0, r.1]).collect();
        let mut released = aggregates(&["age", "income"], &table);
        for cat in ["car", "bike", "walk", "bus"] {
            let c = records.iter().filter(|r| r.2 == cat).count() as i128;
            released.push(rel(&format!("count:mode:{cat}"), c));
        }
        released.push(rel("out_of_range:age", 0));
        let spec = ReportSpec {
            count: records.len() as u64,
            numeric_fields: &numeric,
            categorical_fields: &categorical,
            regression: None,
        };
        let d = derive(&spec, &released);
        assert_eq!(d.count, 6);
        assert_eq!(d.fields.len(), 2);
        for (i, f) in d.fields.iter().enumerate() {
            let xs: Vec<f64> = table.iter().map(|r| r[i] as f64).collect();
            let n = xs.len() as f64;
            let mean = xs.iter().sum::<f64>() / n;
            let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
            assert_eq!(f.field, numeric[i]);
            assert_eq!(f.sum, table.iter().map(|r| r[i]).sum::<i128>());
            assert!(close(f.mean.unwrap(), mean, 1e-12), "{f:?} vs {mean}");
            assert!(close(f.variance.unwrap(), var, 1e-12), "{f:?} vs {var}");
        }
        assert_eq!(
            d.histograms,
            vec![Histogram {
                field: "mode".into(),
                counts: [("car", 3), ("bike", 2), ("walk", 1), ("bus", 0)]
                    .iter()
                    .map(|(c, n)| CategoryCount {
                        category: c.to_string(),
                        count: *n
                    })
                    .collect()
            }]
        );
        assert_eq!(d.out_of_range, vec![("age".to_string(), 0)]);
        assert_eq!(d.regression, None);
    }

    #[test]
    fn fields_without_aggregates_are_skipped() {
        let numeric = strings(&["a", "b"]);
        let categorical = vec![
            ("c".to_string(), strings(&["x", "y"])),
            ("e".to_string(), strings(&["z"])),
        ];
        let released = vec![rel("sum:b", 10), rel("count:c:y", -2)];
        let spec = ReportSpec {
            count: 4,
            numeric_fields: &numeric,
            categorical_fields: &categorical,
            regression: None,
        };
        let d = derive(&spec, &released);
        assert_eq!(d.fields.len(), 1);
        assert_eq!(d.fields[0].field, "b");
        assert_eq!(d.fields[0].mean, Some(2.5));
        assert_eq!(d.fields[0].sum_of_squares, None);
        assert_eq!(d.fields[0].variance, None);
        assert_eq!(d.histograms.len(), 1);
        assert_eq!(d.histograms[0].field, "c");
        // Negative noised count reported as released.
        assert_eq!(d.histograms[0].counts[0].count, -2);
        assert!(d.out_of_range.is_empty());
    }

    #[test]
    fn count_zero_gives_no_mean_or_variance() {
        let numeric = strings(&["age"]);
        let released = vec![rel("sum:age", 3), rel("sum_of_squares:age", 7)];
        let spec = ReportSpec {
            count: 0,
            numeric_fields: &numeric,
            categorical_fields: &[],
            regression: None,
        };
        let d = derive(&spec, &released);
        assert_eq!(d.fields[0].sum, 3);
        assert_eq!(d.fields[0].sum_of_squares, Some(7));
        assert_eq!(d.fields[0].mean, None);
        assert_eq!(d.fields[0].variance, None);
    }

    #[test]
    fn negative_noised_variance_clamps_to_zero() {
        let numeric = strings(&["age"]);
        // 10/4 - 25² < 0
        let released = vec![rel("sum:age", 100), rel("sum_of_squares:age", 10)];
        let spec = ReportSpec {
            count: 4,
            numeric_fields: &numeric,
            categorical_fields: &[],
            regression: None,
        };
        let d = derive(&spec, &released);
        assert_eq!(d.fields[0].mean, Some(25.0));
        assert_eq!(d.fields[0].variance, Some(0.0));
        // Negative sum of squares as well.
        let released = vec![rel("sum:age", -3), rel("sum_of_squares:age", -5)];
        assert_eq!(derive(&spec, &released).fields[0].variance, Some(0.0));
    }

    #[test]
    fn variance_overflow_falls_back_to_f64() {
        let numeric = strings(&["x"]);
        let big = i128::MAX / 2;
        let released = vec![rel("sum:x", big), rel("sum_of_squares:x", big)];
        let spec = ReportSpec {
            count: 3,
            numeric_fields: &numeric,
            categorical_fields: &[],
            regression: None,
        };
        let v = derive(&spec, &released).fields[0].variance.unwrap();
        assert!(v.is_finite() && v >= 0.0);
    }

    /// Records `[x1, x2, y]` with y = 3 + 2·x1 − 0.5·x2 exactly; x2 = 2·x1
    /// when `collinear`.
    fn regression_records(collinear: bool) -> Vec<Vec<i128>> {
        let x1s = [1i128, 4, -2, 7, 3, 10, 0, 5, -6, 8];
        let x2s = [2i128, -4, 8, 6, 0, 12, -10, 4, 2, 20];
        x1s.iter()
            .zip(x2s)
            .map(|(&x1, x2)| {
                let x2 = if collinear { 2 * x1 } else { x2 };
                // x2 is even, so y is an integer.
                let y = 3 + 2 * x1 - x2 / 2;
                vec![x1, x2, y]
            })
            .collect()
    }

    fn regression_spec_run(records: &[Vec<i128>], drop: Option<&str>) -> Regression {
        let features = strings(&["x1", "x2"]);
        let numeric = strings(&["x1", "x2", "y"]);
        let released: Vec<Released> = aggregates(&["x1", "x2", "y"], records)
            .into_iter()
            .filter(|r| Some(r.key.as_str()) != drop)
            .collect();
        let spec = ReportSpec {
            count: records.len() as u64,
            numeric_fields: &numeric,
            categorical_fields: &[],
            regression: Some((&features, "y")),
        };
        derive(&spec, &released).regression.unwrap()
    }

    #[test]
    fn regression_recovers_exact_coefficients() {
        let records = regression_records(false);
        let r = regression_spec_run(&records, None);
        assert!(r.solved, "{r:?}");
        assert_eq!(r.note, None);
        assert_eq!(r.features, strings(&["x1", "x2"]));
        assert_eq!(r.target, "y");
        assert!((r.intercept - 3.0).abs() < 1e-9, "{r:?}");
        assert_eq!(r.coefficients.len(), 2);
        assert!((r.coefficients[0] - 2.0).abs() < 1e-9, "{r:?}");
        assert!((r.coefficients[1] + 0.5).abs() < 1e-9, "{r:?}");
    }

    #[test]
    fn regression_with_large_offset_is_well_conditioned() {
        // x1 has mean ~1e9 and spread ~5: in f64 the raw normal equations
        // look collinear with the intercept (1 − R² ≈ 3e-17), and even the
        // centred cross products n·Σx² − (Σx)² lose every digit.
        let records: Vec<Vec<i128>> = regression_records(false)
            .into_iter()
            .map(|r| {
                let x1 = r[0] + 1_000_000_000;
                vec![x1, r[1], 3 + 2 * x1 - r[1] / 2]
            })
            .collect();
        let r = regression_spec_run(&records, None);
        assert!(r.solved, "{r:?}");
        assert!((r.coefficients[0] - 2.0).abs() < 1e-9, "{r:?}");
        assert!((r.coefficients[1] + 0.5).abs() < 1e-9, "{r:?}");
        // β₀ = (Σy − Σβᵢ·Σxᵢ)/n cancels ~1e10-sized terms in f64.
        assert!((r.intercept - 3.0).abs() < 1e-4, "{r:?}");
    }

    #[test]
    fn regression_accepts_reversed_product_keys() {
        let records = regression_records(false);
        let features = strings(&["x1", "x2"]);
        let released: Vec<Released> = aggregates(&["x1", "x2", "y"], &records)
            .into_iter()
            .map(|mut r| {
                if r.key == "product:x1:y" {
                    r.key = "product:y:x1".into();
                }
                r
            })
            .collect();
        let spec = ReportSpec {
            count: records.len() as u64,
            numeric_fields: &[],
            categorical_fields: &[],
            regression: Some((&features, "y")),
        };
        let r = derive(&spec, &released).regression.unwrap();
        assert!(r.solved);
        assert!((r.coefficients[0] - 2.0).abs() < 1e-9);
    }

    #[test]
    fn regression_with_collinear_features_is_unsolved() {
        let records = regression_records(true); // x2 = 2·x1
        assert!(records.iter().all(|r| r[1] == 2 * r[0]));
        let r = regression_spec_run(&records, None);
        assert!(!r.solved, "{r:?}");
        assert!(r.coefficients.is_empty());
        assert_eq!(r.intercept, 0.0);
        let note = r.note.clone().expect("note");
        assert!(note.contains("singular"), "{note}");
        assert!(note.contains("x2"), "{note}");
        // Still JSON-serializable (no NaN).
        serde_json::to_string(&r).unwrap();
    }

    #[test]
    fn regression_with_three_collinear_features_is_unsolved() {
        let features = strings(&["x1", "x2", "x3"]);
        let records: Vec<Vec<i128>> = regression_records(false)
            .into_iter()
            .map(|r| vec![r[0], r[1], 3 * r[0] - 7 * r[1], r[2]])
            .collect();
        let released = aggregates(&["x1", "x2", "x3", "y"], &records);
        let spec = ReportSpec {
            count: records.len() as u64,
            numeric_fields: &[],
            categorical_fields: &[],
            regression: Some((&features, "y")),
        };
        let r = derive(&spec, &released).regression.unwrap();
        assert!(!r.solved, "{r:?}");
        assert!(r.note.unwrap().contains("singular"));
    }

    #[test]
    fn regression_with_constant_feature_is_unsolved() {
        let records: Vec<Vec<i128>> = (0..5).map(|i| vec![i, 7, 1 + i]).collect();
        let r = regression_spec_run(&records, None);
        assert!(!r.solved);
        assert!(r.note.unwrap().contains("x2"));
    }

    #[test]
    fn regression_with_missing_aggregate_is_unsolved() {
        let records = regression_records(false);
        let r = regression_spec_run(&records, Some("product:x1:x2"));
        assert!(!r.solved);
        assert_eq!(r.intercept, 0.0);
        let note = r.note.unwrap();
        assert!(
            note.contains("missing") && note.contains("product:x1:x2"),
            "{note}"
        );
    }

    #[test]
    fn regression_with_zero_count_or_no_spread_is_unsolved() {
        let features = strings(&["x1"]);
        let released = vec![
            rel("sum:x1", 0),
            rel("sum:y", 0),
            rel("sum_of_squares:x1", 0),
            rel("product:x1:y", 0),
        ];
        let mut spec = ReportSpec {
            count: 0,
            numeric_fields: &[],
            categorical_fields: &[],
            regression: Some((&features, "y")),
        };
        let r = derive(&spec, &released).regression.unwrap();
        assert!(!r.solved);
        assert!(r.note.unwrap().contains("no contributions"));
        spec.count = 5;
        let r = derive(&spec, &released).regression.unwrap();
        assert!(!r.solved);
        let note = r.note.unwrap();
        assert!(note.contains("x1") && note.contains("no spread"), "{note}");
        // Noise pushing n·Σx² below (Σx)²: 5·3 − 4² < 0.
        let released = vec![
            rel("sum:x1", 4),
            rel("sum:y", 1),
            rel("sum_of_squares:x1", 3),
            rel("product:x1:y", 2),
        ];
        let r = derive(&spec, &released).regression.unwrap();
        assert!(!r.solved);
        assert!(r.note.unwrap().contains("no spread"));
    }

    #[test]
    fn regression_without_features_is_the_mean() {
        let features: Vec<String> = Vec::new();
        let released = vec![rel("sum:y", 30)];
        let spec = ReportSpec {
            count: 4,
            numeric_fields: &[],
            categorical_fields: &[],
            regression: Some((&features, "y")),
        };
        let r = derive(&spec, &released).regression.unwrap();
        assert!(r.solved);
        assert_eq!(r.intercept, 7.5);
        assert!(r.coefficients.is_empty());
    }

    #[test]
    fn solver_pivots() {
        // First pivot is zero without row exchange.
        let a = vec![
            vec![0.0, 2.0, 1.0],
            vec![1.0, 1.0, 0.0],
            vec![3.0, 0.0, 1.0],
        ];
        let x_true = [1.0, -2.0, 0.5];
        let b: Vec<f64> = a
            .iter()
            .map(|row| row.iter().zip(&x_true).map(|(a, x)| a * x).sum())
            .collect();
        let x = solve(a, b).unwrap();
        for (x, t) in x.iter().zip(x_true) {
            assert!((x - t).abs() < 1e-12);
        }
        assert_eq!(
            solve(vec![vec![1.0, 2.0], vec![2.0, 4.0]], vec![1.0, 2.0]),
            Err(1)
        );
        // Nearly singular: second pivot ≈ 2e-14, below the tolerance.
        let r = 1.0 - 1e-14;
        assert_eq!(
            solve(vec![vec![1.0, r], vec![r, 1.0]], vec![1.0, 1.0]),
            Err(1)
        );
        // Comfortably above it.
        let r = 1.0 - 1e-9;
        assert!(solve(vec![vec![1.0, r], vec![r, 1.0]], vec![1.0, 1.0]).is_ok());
    }

    #[test]
    fn csv_rows_and_escaping() {
        let numeric = strings(&["age"]);
        let label = "red, \"dark\"";
        let categorical = vec![("colour".to_string(), vec![label.to_string(), "a:b".into()])];
        let features = strings(&["age"]);
        let released = vec![
            Released {
                key: "sum:age".into(),
                value: 10,
                noise_scale: 1.5,
                noise_bound_99: 7.25,
            },
            rel("sum_of_squares:age", 30),
            rel("sum:y", 9),
            rel("product:age:y", 26),
            rel(&format!("count:colour:{label}"), -1),
            rel("count:colour:a:b", 4),
            rel("out_of_range:age", 2),
        ];
        let spec = ReportSpec {
            count: 4,
            numeric_fields: &numeric,
            categorical_fields: &categorical,
            regression: Some((&features, "y")),
        };
        let d = derive(&spec, &released);
        assert_eq!(d.histograms[0].counts[0].category, label);
        assert_eq!(d.histograms[0].counts[0].count, -1);
        assert_eq!(d.histograms[0].counts[1].category, "a:b");
        let reg = d.regression.clone().unwrap();
        assert!(reg.solved, "{reg:?}");
        // n=4, Σx=10, Σx²=30, Σy=9, Σxy=26: slope = (4·26−10·9)/(4·30−100) = 0.7,
        // intercept = (9 − 0.7·10)/4 = 0.5.
        assert!((reg.intercept - 0.5).abs() < 1e-12);
        assert!((reg.coefficients[0] - 0.7).abs() < 1e-12);
        let csv = to_csv(&d, &released);
        let expected = [
            "statistic,field,category,value,noise_scale,noise_bound_99".to_string(),
            "count,,,4,0,0".into(),
            "sum,age,,10,1.5,7.25".into(),
            "sum_of_squares,age,,30,0,0".into(),
            "sum,y,,9,0,0".into(),
            "product,age*y,,26,0,0".into(),
            "histogram,colour,\"red, \"\"dark\"\"\",-1,0,0".into(),
            "histogram,colour,a:b,4,0,0".into(),
            "out_of_range,age,,2,0,0".into(),
            "mean,age,,2.5,,".into(),
            "variance,age,,1.25,,".into(),
            format!("regression_intercept,,,{},,", reg.intercept),
            format!("regression_coefficient,age,,{},,", reg.coefficients[0]),
        ];
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines, expected);
        assert!(csv.ends_with('\n'));
    }

    #[test]
    fn csv_quotes_newlines_and_omits_unsolved_regression() {
        let categorical = vec![("c".to_string(), vec!["two\nlines".to_string()])];
        let features = strings(&["x"]);
        let released = vec![rel("count:c:two\nlines", 1)];
        let spec = ReportSpec {
            count: 1,
            numeric_fields: &[],
            categorical_fields: &categorical,
            regression: Some((&features, "y")),
        };
        let d = derive(&spec, &released);
        assert!(!d.regression.as_ref().unwrap().solved);
        let csv = to_csv(&d, &released);
        assert_eq!(
            csv,
            "statistic,field,category,value,noise_scale,noise_bound_99\n\
             count,,,1,0,0\n\
             histogram,c,\"two\nlines\",1,0,0\n"
        );
    }

    #[test]
    fn json_round_trip() {
        let big = i128::from(u64::MAX) * 4 + 3;
        let d = Derived {
            count: 12,
            fields: vec![NumericSummary {
                field: "age".into(),
                sum: big,
                mean: Some(41.25),
                sum_of_squares: None,
                variance: None,
            }],
            histograms: vec![Histogram {
                field: "mode".into(),
                counts: vec![CategoryCount {
                    category: "a, \"b\"".into(),
                    count: -3,
                }],
            }],
            out_of_range: vec![("age".into(), -big)],
            regression: Some(Regression {
                features: strings(&["x1", "x2"]),
                target: "y".into(),
                intercept: 3.0,
                coefficients: vec![2.0, -0.5],
                solved: true,
                note: None,
            }),
        };
        let json = serde_json::to_string(&d).unwrap();
        let value: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(value["out_of_range"][0]["field"], "age");
        // Beyond ±2⁵³ a value is a decimal string (exact in every JSON
        // reader); small ones stay numbers.
        assert_eq!(value["out_of_range"][0]["count"], (-big).to_string());
        assert_eq!(value["fields"][0]["sum"], big.to_string());
        assert_eq!(value["histograms"][0]["counts"][0]["count"], -3);
        assert_eq!(value["fields"][0]["field"], "age");
        assert_eq!(value["regression"]["solved"], true);
        let back: Derived = serde_json::from_str(&json).unwrap();
        assert_eq!(back, d);
        // Also through serde_json::Value (how the server stores results in jsonb).
        let back: Derived = serde_json::from_value(value).unwrap();
        assert_eq!(back, d);

        // A derived (computed) report round-trips too.
        let records = regression_records(false);
        let numeric = strings(&["x1", "x2", "y"]);
        let features = strings(&["x1", "x2"]);
        let mut released = aggregates(&["x1", "x2", "y"], &records);
        released.push(rel("out_of_range:x1", 1));
        let spec = ReportSpec {
            count: records.len() as u64,
            numeric_fields: &numeric,
            categorical_fields: &[],
            regression: Some((&features, "y")),
        };
        let d = derive(&spec, &released);
        let back: Derived = serde_json::from_str(&serde_json::to_string(&d).unwrap()).unwrap();
        assert_eq!(back, d);
    }
}
