//! Ordinary least squares from the released sums and cross products.

use serde::{Deserialize, Serialize};

/// An ordinary-least-squares fit `target ≈ intercept + Σ coefficientᵢ·featureᵢ`
/// computed from the released (noised) sums and cross products.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
    /// Approximate 95% error of the intercept from the released values'
    /// noise (± 1.96 σ, propagated to first order); `None` when not solved
    /// or the noise is not known.
    #[serde(default)]
    pub intercept_error_95: Option<f64>,
    /// Approximate 95% error of each coefficient, likewise; empty when
    /// `intercept_error_95` is `None`.
    #[serde(default)]
    pub coefficient_errors_95: Vec<f64>,
}

/// Relative pivot tolerance of the regression solver. The solver works on the
/// features' centred cross products scaled to unit diagonal (their correlation
/// matrix), where a pivot is 1 − R² of a feature against the features before
/// it; a pivot below this fraction of its row's largest entry means the
/// system is singular or too ill-conditioned to report.
pub const PIVOT_TOLERANCE: f64 = 1e-12;

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
pub(super) fn regress(
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
        intercept_error_95: None,
        coefficient_errors_95: Vec::new(),
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
        intercept_error_95: None,
        coefficient_errors_95: Vec::new(),
    }
}

/// Standard deviations of the intercept and of each coefficient of the fit
/// of [`regress`], from the standard deviations `sd_of` of the independent
/// noises of the aggregates it reads, propagated to first order: each
/// aggregate moved by ± one standard deviation (at least 1, the values are
/// integers), the fit solved again, the central differences combined in
/// quadrature. `None` when the fit (or a moved one) cannot be solved, or an
/// aggregate's noise is not known: the error is then unbounded or unknown.
pub(super) fn propagate(
    n: u64,
    features: &[String],
    target: &str,
    get: &dyn Fn(&str) -> Option<i128>,
    sd_of: &dyn Fn(&str) -> Option<f64>,
) -> Option<(f64, Vec<f64>)> {
    let read = std::cell::RefCell::new(Vec::<String>::new());
    let base = regress(n, features, target, &|key: &str| {
        let v = get(key);
        if v.is_some() && !read.borrow().iter().any(|k| k == key) {
            read.borrow_mut().push(key.to_string());
        }
        v
    });
    if !base.solved {
        return None;
    }
    let mut var_intercept = 0.0;
    let mut var_coefficients = vec![0.0; features.len()];
    for key in read.into_inner() {
        let sd = sd_of(&key)?;
        if !sd.is_finite() || sd < 0.0 {
            return None;
        }
        if sd == 0.0 {
            continue;
        }
        let h = sd.round().max(1.0);
        let moved = |delta: i128| {
            let fit = regress(n, features, target, &|k: &str| {
                get(k).map(|v| if k == key { v.saturating_add(delta) } else { v })
            });
            fit.solved.then_some(fit)
        };
        let (plus, minus) = (moved(h as i128)?, moved(-(h as i128))?);
        let scale = sd / (2.0 * h);
        let d = (plus.intercept - minus.intercept) * scale;
        var_intercept += d * d;
        for (v, (p, m)) in var_coefficients
            .iter_mut()
            .zip(plus.coefficients.iter().zip(&minus.coefficients))
        {
            let d = (p - m) * scale;
            *v += d * d;
        }
    }
    Some((
        var_intercept.sqrt(),
        var_coefficients.into_iter().map(f64::sqrt).collect(),
    ))
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
pub(super) fn solve(mut a: Vec<Vec<f64>>, mut b: Vec<f64>) -> Result<Vec<f64>, usize> {
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
