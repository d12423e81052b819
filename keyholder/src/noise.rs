//! Exact differential-privacy noise for the keyholder.
//!
//! Samplers follow Canonne, Kamath & Steinke, "The Discrete Gaussian for
//! Differential Privacy" (2020): Algorithm 1 (a Bernoulli with success
//! probability `exp(-γ)` for rational `γ`) and Algorithm 2 (the discrete
//! Laplace distribution with rational scale `t/s`).
//!
//! The sampling path uses only integer arithmetic on `u128` and uniform
//! integers drawn from a cryptographically secure generator. No floating point
//! is involved, because floating-point samplers leak through the gaps and
//! irregular spacing of representable values (Mironov, "On Significance of the
//! Least Significant Bits for Differential Privacy", 2012). Floats appear only
//! in [`tail_bound`] (a reporting helper that never produces noise); ε
//! arrives already in micro-units ([`protocol::epsilon`]).

use protocol::epsilon::EPSILON_UNIT;
use rand::{CryptoRng, Rng};

/// A rational noise scale `num/den` (both > 0): the discrete Laplace
/// distribution with `P(x) ∝ exp(-|x|·den/num)`.
///
/// Build one with [`laplace_scale`], which validates the parameters; the
/// fields are public so that a scale can also be stored and reloaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scale {
    /// Numerator of the scale (CKS's `t`). Must be in `1..=2^100`.
    pub num: u128,
    /// Denominator of the scale (CKS's `s`). Must be at least 1.
    pub den: u128,
}

/// Errors from building noise parameters.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum NoiseError {
    /// Zero or too-large parameters: a zero sensitivity, aggregate count or ε,
    /// or a scale whose numerator overflows `u128` or exceeds `2^100`.
    #[error("invalid noise scale: parameters are zero or too large")]
    InvalidScale,
}

/// Largest accepted scale numerator (`2^100`). With `t ≤ 2^100`, the
/// intermediate `U + t·V` of Algorithm 2 can only overflow when the geometric
/// variable `V` exceeds `2^27`, an event of probability about `exp(-2^27)`.
const MAX_SCALE_NUM: u128 = 1 << 100;

/// Greatest common divisor (Euclid). `gcd(0, 0) == 0`.
fn gcd(mut a: u128, mut b: u128) -> u128 {
    while b != 0 {
        let r = a % b;
        a = b;
        b = r;
    }
    a
}

/// The Laplace-mechanism scale for one aggregate.
///
/// The release's ε (in micro units) is split evenly over `aggregates` noised
/// values (basic composition), so each value gets `ε/aggregates` and
/// `scale = sensitivity · aggregates / ε
///        = sensitivity · aggregates · EPSILON_UNIT / epsilon_micro`.
/// The fraction is reduced to lowest terms.
///
/// # Errors
///
/// [`NoiseError::InvalidScale`] if `epsilon_micro == 0`, `aggregates == 0`,
/// `sensitivity == 0`, or the (reduced) numerator overflows `u128` or exceeds `2^100`.
pub fn laplace_scale(
    sensitivity: u128,
    aggregates: u32,
    epsilon_micro: u64,
) -> Result<Scale, NoiseError> {
    weighted_laplace_scale(sensitivity, 1, u64::from(aggregates), epsilon_micro)
}

/// The Laplace-mechanism scale for one aggregate of budget weight `weight`
/// among aggregates weighing `total` in all
/// ([`protocol::report::weights`]): it gets `ε · weight / total`, so
/// `scale = sensitivity · total · EPSILON_UNIT / (weight · epsilon_micro)`,
/// reduced to lowest terms. `weight` 1 of `total` m is [`laplace_scale`].
///
/// # Errors
///
/// [`NoiseError::InvalidScale`] if any parameter is 0, `weight > total`,
/// or the (reduced) numerator overflows `u128` or exceeds `2^100`.
pub fn weighted_laplace_scale(
    sensitivity: u128,
    weight: u32,
    total: u64,
    epsilon_micro: u64,
) -> Result<Scale, NoiseError> {
    if sensitivity == 0 || weight == 0 || total == 0 || epsilon_micro == 0 {
        return Err(NoiseError::InvalidScale);
    }
    if u64::from(weight) > total {
        return Err(NoiseError::InvalidScale);
    }
    let den = u128::from(epsilon_micro) * u128::from(weight);
    // Cancel common factors before multiplying, so that an exact result that
    // fits is never rejected because an unreduced intermediate did not.
    let g1 = gcd(sensitivity, den);
    let (sensitivity, den) = (sensitivity / g1, den / g1);
    let total = u128::from(total);
    let g2 = gcd(total, den);
    let (total, den) = (total / g2, den / g2);
    let unit = u128::from(EPSILON_UNIT);
    let g3 = gcd(unit, den);
    let (unit, den) = (unit / g3, den / g3);
    let num = sensitivity
        .checked_mul(total)
        .and_then(|x| x.checked_mul(unit))
        .ok_or(NoiseError::InvalidScale)?;
    if num > MAX_SCALE_NUM {
        return Err(NoiseError::InvalidScale);
    }
    Ok(Scale { num, den })
}

/// Bernoulli(`n/d`) for `0 <= n <= d`, `d > 0`: true iff a uniform draw from
/// `{0, …, d-1}` is below `n`. `rand`'s integer uniform sampling uses
/// rejection, so this is exact (unbiased).
fn bernoulli_rational<R: Rng + CryptoRng + ?Sized>(rng: &mut R, n: u128, d: u128) -> bool {
    debug_assert!(d > 0, "bernoulli_rational: zero denominator");
    if n == 0 {
        return false;
    }
    if n >= d {
        return true;
    }
    rng.gen_range(0..d) < n
}

/// Bernoulli(`exp(-n/d)`) for `0 <= n <= d`, `d > 0` (CKS Algorithm 1, case γ ≤ 1).
///
/// Draws `A_k ~ Bernoulli(γ/k)` for `k = 1, 2, …` until the first failure at
/// index `K`, and returns whether `K` is odd; `P(K odd) = exp(-γ)`.
fn bernoulli_exp_neg_unit<R: Rng + CryptoRng + ?Sized>(rng: &mut R, n: u128, d: u128) -> bool {
    debug_assert!(d > 0 && n <= d);
    let mut k: u128 = 1;
    loop {
        let success = match d.checked_mul(k) {
            Some(dk) => bernoulli_rational(rng, n, dk),
            // n/(d·k) = (n/d)·(1/k): the AND of two independent Bernoullis is
            // exactly Bernoulli(n/(d·k)) without forming d·k.
            None => bernoulli_rational(rng, n, d) && bernoulli_rational(rng, 1, k),
        };
        if !success {
            break;
        }
        // P(k reaches m) <= 1/(m-1)!, so this never gets anywhere near u128::MAX.
        k += 1;
    }
    k % 2 == 1
}

/// Bernoulli(`exp(-n/d)`) for any `n >= 0`, `d > 0` (CKS Algorithm 1).
///
/// For γ = n/d ≤ 1 this is [`bernoulli_exp_neg_unit`]. For γ > 1 it draws
/// Bernoulli(`exp(-1)`) `floor(γ)` times, failing on the first 0, and then
/// Bernoulli(`exp(-(γ - floor γ))`).
fn bernoulli_exp_neg<R: Rng + CryptoRng + ?Sized>(rng: &mut R, n: u128, d: u128) -> bool {
    assert!(d > 0, "bernoulli_exp_neg: zero denominator");
    let g = gcd(n, d); // g >= 1 because d > 0
    let (n, d) = (n / g, d / g);
    if n <= d {
        return bernoulli_exp_neg_unit(rng, n, d);
    }
    let whole = n / d;
    let mut i: u128 = 0;
    while i < whole {
        if !bernoulli_exp_neg_unit(rng, 1, 1) {
            return false;
        }
        i += 1;
    }
    bernoulli_exp_neg_unit(rng, n % d, d)
}

/// One exact sample of the discrete Laplace distribution with the given scale:
/// `P(x) ∝ exp(-|x|·den/num)` for every integer `x`
/// (CKS Algorithm 2 with `t = num` and `s = den`, i.e. `Lap_Z(num/den)`).
///
/// Uses only integer arithmetic. Intermediate overflow (which needs a geometric
/// variable above `2^27`, probability about `exp(-2^27)`) restarts the loop.
///
/// # Panics
///
/// If `scale.num == 0`, `scale.den == 0` or `scale.num > 2^100`; scales from
/// [`laplace_scale`] never do.
pub fn discrete_laplace<R: Rng + CryptoRng + ?Sized>(rng: &mut R, scale: Scale) -> i128 {
    assert!(
        scale.num > 0 && scale.den > 0 && scale.num <= MAX_SCALE_NUM,
        "discrete_laplace: invalid scale {scale:?}"
    );
    let (t, s) = (scale.num, scale.den);
    loop {
        // X = U + t·V is geometric with parameter exp(-1/t): U carries the
        // fractional part (accepted with probability exp(-U/t)), V the whole part.
        let u = rng.gen_range(0..t);
        if !bernoulli_exp_neg(rng, u, t) {
            continue;
        }
        let mut v: u128 = 0;
        while bernoulli_exp_neg_unit(rng, 1, 1) {
            v += 1;
        }
        let Some(x) = t.checked_mul(v).and_then(|tv| tv.checked_add(u)) else {
            continue;
        };
        // Y is geometric with parameter exp(-s/t); attach a sign, rejecting
        // "-0" so that zero is not counted twice.
        let y = x / s;
        let negative = bernoulli_rational(rng, 1, 2);
        if negative && y == 0 {
            continue;
        }
        let Ok(y) = i128::try_from(y) else {
            continue;
        };
        return if negative { -y } else { y };
    }
}

/// A bound `B` with `P(|X| > B) <= delta` for `X ~` discrete Laplace(`scale`),
/// where `delta = 1/delta_inv` (e.g. `delta_inv = 100` for a 99% bound).
///
/// With `b = num/den`, the exact tail is
/// `P(|X| >= k) = 2·e^{-k/b}/(1+e^{-1/b}) <= 2·e^{-k/b}`, so
/// `B = ceil(b · ln(2·delta_inv))` suffices. This is a reporting helper, not a
/// sampler, so it uses `f64`; the product is inflated by a relative `10^-9`
/// before rounding up, which dominates every floating-point rounding error.
///
/// `delta_inv <= 1` (a "bound" with probability ≤ 1) gives 0, a zero numerator
/// gives 0, and a zero denominator gives `u128::MAX`.
pub fn tail_bound(scale: Scale, delta_inv: u64) -> u128 {
    if scale.den == 0 {
        return u128::MAX;
    }
    if delta_inv <= 1 || scale.num == 0 {
        return 0;
    }
    let b = scale.num as f64 / scale.den as f64;
    let log = (2.0 * delta_inv as f64).ln();
    let bound = (b * log * (1.0 + 1e-9)).ceil();
    if !bound.is_finite() || bound >= u128::MAX as f64 {
        return u128::MAX;
    }
    // `as` saturates; `bound` is finite, positive and in range here.
    bound as u128
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    fn rng(seed: u64) -> StdRng {
        StdRng::seed_from_u64(seed)
    }

    /// `q = exp(-den/num)`, the ratio between consecutive pmf values.
    fn ratio(scale: Scale) -> f64 {
        (-(scale.den as f64) / scale.num as f64).exp()
    }

    /// Exact variance of the discrete Laplace: `2q/(1-q)^2`.
    fn exact_variance(scale: Scale) -> f64 {
        let q = ratio(scale);
        2.0 * q / ((1.0 - q) * (1.0 - q))
    }

    fn draws(seed: u64, scale: Scale, n: usize) -> Vec<i128> {
        let mut r = rng(seed);
        (0..n).map(|_| discrete_laplace(&mut r, scale)).collect()
    }

    fn mean_and_variance(xs: &[i128]) -> (f64, f64) {
        let n = xs.len() as f64;
        let mean = xs.iter().map(|&x| x as f64).sum::<f64>() / n;
        let var = xs
            .iter()
            .map(|&x| {
                let d = x as f64 - mean;
                d * d
            })
            .sum::<f64>()
            / (n - 1.0);
        (mean, var)
    }

    /// Upper 99.9% point of the chi-square distribution with `df` degrees of
    /// freedom (Wilson–Hilferty approximation; z_{0.999} = 3.090232).
    fn chi_square_critical_999(df: usize) -> f64 {
        let k = df as f64;
        let c = 2.0 / (9.0 * k);
        k * (1.0 - c + 3.090_232 * c.sqrt()).powi(3)
    }

    #[test]
    fn chi_square_critical_value_matches_table() {
        // Tabulated 99.9% points: df = 10 -> 29.588, df = 22 -> 48.268.
        assert!((chi_square_critical_999(10) / 29.588 - 1.0).abs() < 0.01);
        assert!((chi_square_critical_999(22) / 48.268 - 1.0).abs() < 0.01);
    }

    #[test]
    fn bernoulli_rational_edges_and_frequency() {
        let mut r = rng(1);
        assert!((0..1000).all(|_| !bernoulli_rational(&mut r, 0, 7)));
        assert!((0..1000).all(|_| bernoulli_rational(&mut r, 7, 7)));
        let n = 200_000;
        let hits = (0..n).filter(|_| bernoulli_rational(&mut r, 1, 3)).count() as f64;
        let p = 1.0 / 3.0;
        let se = (p * (1.0 - p) / n as f64).sqrt();
        assert!(
            (hits / n as f64 - p).abs() < 5.0 * se,
            "freq {}",
            hits / n as f64
        );
    }

    #[test]
    fn bernoulli_exp_neg_frequencies() {
        let n = 200_000;
        let cases: [(u128, u128); 6] = [
            (1, 2),
            (1, 1),
            (3, 2),
            (5, 2),
            // Not in lowest terms: exercises the gcd reduction (γ = 3/2).
            (6, 4),
            // γ ≈ 1/2 with d·2 overflowing u128: exercises the product path.
            (u128::MAX / 2, u128::MAX),
        ];
        for (i, &(num, den)) in cases.iter().enumerate() {
            let mut r = rng(10 + i as u64);
            let hits = (0..n)
                .filter(|_| bernoulli_exp_neg(&mut r, num, den))
                .count() as f64;
            let p = (-(num as f64 / den as f64)).exp();
            let se = (p * (1.0 - p) / n as f64).sqrt();
            let freq = hits / n as f64;
            assert!(
                (freq - p).abs() < 5.0 * se,
                "γ = {num}/{den}: freq {freq}, expected {p} ± {se}"
            );
        }
    }

    #[test]
    fn bernoulli_exp_neg_zero_is_certain() {
        let mut r = rng(2);
        assert!((0..1000).all(|_| bernoulli_exp_neg(&mut r, 0, 5)));
    }

    #[test]
    fn discrete_laplace_scale_3_matches_pmf() {
        let scale = Scale { num: 3, den: 1 };
        let n = 200_000;
        let xs = draws(20, scale, n);
        let q = ratio(scale);
        let pmf = |x: i128| (1.0 - q) / (1.0 + q) * q.powi(x.unsigned_abs() as i32);

        // Bins: (-inf, -11], -10, ..., 10, [11, inf).
        let mut counts = [0u64; 23];
        for &x in &xs {
            let bin = if x < -10 {
                0
            } else if x > 10 {
                22
            } else {
                (x + 11) as usize
            };
            counts[bin] += 1;
        }
        // P(X >= 11) = P(X <= -11) = q^11/(1+q).
        let tail = q.powi(11) / (1.0 + q);
        let mut probs = [0.0f64; 23];
        probs[0] = tail;
        probs[22] = tail;
        for x in -10..=10i128 {
            probs[(x + 11) as usize] = pmf(x);
        }
        assert!((probs.iter().sum::<f64>() - 1.0).abs() < 1e-12);

        let chi2: f64 = counts
            .iter()
            .zip(probs.iter())
            .map(|(&c, &p)| {
                let expected = p * n as f64;
                let d = c as f64 - expected;
                d * d / expected
            })
            .sum();
        let df = counts.len() - 1;
        let critical = chi_square_critical_999(df);
        assert!(chi2 < critical, "chi2 {chi2} >= {critical} (df {df})");

        let (mean, var) = mean_and_variance(&xs);
        let se = (exact_variance(scale) / n as f64).sqrt();
        assert!(mean.abs() < 5.0 * se, "mean {mean}, se {se}");
        assert!(
            (var / exact_variance(scale) - 1.0).abs() < 0.05,
            "var {var}"
        );

        // Symmetry: signs, and each pair of bins x / -x.
        let pos = xs.iter().filter(|&&x| x > 0).count() as f64;
        let neg = xs.iter().filter(|&&x| x < 0).count() as f64;
        assert!(
            (pos - neg).abs() < 5.0 * (pos + neg).sqrt(),
            "{pos} vs {neg}"
        );
        for x in 1..=11usize {
            let (a, b) = (counts[11 + x] as f64, counts[11 - x] as f64);
            assert!((a - b).abs() < 5.0 * (a + b).sqrt(), "bin ±{x}: {a} vs {b}");
        }
    }

    #[test]
    fn discrete_laplace_sub_unit_scale_variance() {
        let scale = Scale { num: 1, den: 2 };
        let xs = draws(30, scale, 200_000);
        let (mean, var) = mean_and_variance(&xs);
        let exact = exact_variance(scale);
        assert!((var / exact - 1.0).abs() < 0.05, "var {var} vs {exact}");
        assert!(mean.abs() < 5.0 * (exact / xs.len() as f64).sqrt());
        // P(0) = (1-q)/(1+q) with q = e^-2: about 0.76.
        let q = ratio(scale);
        let p0 = (1.0 - q) / (1.0 + q);
        let zeros = xs.iter().filter(|&&x| x == 0).count() as f64 / xs.len() as f64;
        let se = (p0 * (1.0 - p0) / xs.len() as f64).sqrt();
        assert!((zeros - p0).abs() < 5.0 * se, "P(0) {zeros} vs {p0}");
    }

    #[test]
    fn discrete_laplace_large_scale_variance() {
        let scale = Scale {
            num: 1_000_000_000_000,
            den: 7,
        };
        let xs = draws(40, scale, 50_000);
        let (mean, var) = mean_and_variance(&xs);
        let b = scale.num as f64 / scale.den as f64;
        let continuous = 2.0 * b * b;
        assert!(
            (var / continuous - 1.0).abs() < 0.05,
            "var {var} vs {continuous}"
        );
        assert!(mean.abs() < 5.0 * (continuous / xs.len() as f64).sqrt());
    }

    #[test]
    fn discrete_laplace_is_deterministic_per_seed() {
        let scale = Scale { num: 5, den: 3 };
        assert_eq!(draws(50, scale, 100), draws(50, scale, 100));
        assert_ne!(draws(50, scale, 100), draws(51, scale, 100));
    }

    #[test]
    #[should_panic(expected = "invalid scale")]
    fn discrete_laplace_rejects_zero_numerator() {
        discrete_laplace(&mut rng(3), Scale { num: 0, den: 1 });
    }

    #[test]
    #[should_panic(expected = "invalid scale")]
    fn discrete_laplace_rejects_zero_denominator() {
        discrete_laplace(&mut rng(3), Scale { num: 1, den: 0 });
    }

    #[test]
    fn laplace_scale_arithmetic() {
        // ε = 1, one aggregate, sensitivity 1: scale 1.
        assert_eq!(
            laplace_scale(1, 1, EPSILON_UNIT),
            Ok(Scale { num: 1, den: 1 })
        );
        // ε = 0.5 over 4 aggregates, sensitivity 3: 3·4/0.5 = 24.
        assert_eq!(laplace_scale(3, 4, 500_000), Ok(Scale { num: 24, den: 1 }));
        // ε = 0.3, one aggregate: 10/3.
        assert_eq!(laplace_scale(1, 1, 300_000), Ok(Scale { num: 10, den: 3 }));
        // ε = 2, sensitivity 1: 1/2 (sub-unit scale).
        assert_eq!(
            laplace_scale(1, 1, 2 * EPSILON_UNIT),
            Ok(Scale { num: 1, den: 2 })
        );
        // ε = 0.000007, 3 aggregates, sensitivity 5: 5·3·10^6/7.
        assert_eq!(
            laplace_scale(5, 3, 7),
            Ok(Scale {
                num: 15_000_000,
                den: 7
            })
        );
        // Largest allowed numerator is exactly 2^100.
        assert_eq!(
            laplace_scale(1 << 100, 1, EPSILON_UNIT),
            Ok(Scale {
                num: 1 << 100,
                den: 1
            })
        );
        // Cancellation before multiplying: 2^100 · 2^31 · 10^6 overflows
        // u128, but the exact scale 2^100 / 1 fits once reduced.
        assert_eq!(
            laplace_scale(1 << 100, 1 << 31, (1 << 31) * EPSILON_UNIT),
            Ok(Scale {
                num: 1 << 100,
                den: 1
            })
        );
    }

    #[test]
    fn laplace_scale_errors() {
        // Weighted: weight 4 of 14 at ε = 1 for Δ = 100 → 100·14/4 = 350.
        assert_eq!(
            weighted_laplace_scale(100, 4, 14, EPSILON_UNIT),
            Ok(Scale { num: 350, den: 1 })
        );
        // Weight 3 of 10, ε = 0.7, Δ = 1 → 10/(3·0.7) = 100/21.
        assert_eq!(
            weighted_laplace_scale(1, 3, 10, 700_000),
            Ok(Scale { num: 100, den: 21 })
        );
        assert_eq!(
            weighted_laplace_scale(7, 1, 5, 300_000),
            laplace_scale(7, 5, 300_000)
        );
        assert_eq!(
            weighted_laplace_scale(1, 0, 5, 1),
            Err(NoiseError::InvalidScale)
        );
        assert_eq!(
            weighted_laplace_scale(1, 6, 5, 1),
            Err(NoiseError::InvalidScale)
        );
        assert_eq!(laplace_scale(0, 1, 1), Err(NoiseError::InvalidScale));
        assert_eq!(laplace_scale(1, 0, 1), Err(NoiseError::InvalidScale));
        assert_eq!(laplace_scale(1, 1, 0), Err(NoiseError::InvalidScale));
        // Just above 2^100.
        assert_eq!(
            laplace_scale((1 << 100) + 1, 1, EPSILON_UNIT),
            Err(NoiseError::InvalidScale)
        );
        // 2^100 · 10^6 / 1: exceeds 2^100.
        assert_eq!(laplace_scale(1 << 100, 1, 1), Err(NoiseError::InvalidScale));
        // Overflows u128 outright.
        assert_eq!(
            laplace_scale(u128::MAX, u32::MAX, 1),
            Err(NoiseError::InvalidScale)
        );
    }

    /// Smallest `B` with the exact `P(|X| > B) = 2q^{B+1}/(1+q) <= 1/delta_inv`.
    fn exact_quantile(scale: Scale, delta_inv: u64) -> u128 {
        let q = ratio(scale);
        let delta = 1.0 / delta_inv as f64;
        let mut k: u128 = 0;
        while 2.0 * q.powf((k + 1) as f64) / (1.0 + q) > delta {
            k += 1;
        }
        k
    }

    #[test]
    fn tail_bound_holds_empirically() {
        let scale = Scale { num: 3, den: 1 };
        let bound = tail_bound(scale, 1_000);
        let n = 200_000;
        let xs = draws(60, scale, n);
        let beyond = xs.iter().filter(|&&x| x.unsigned_abs() > bound).count();
        assert!(
            beyond as f64 / n as f64 <= 1e-3,
            "{beyond} of {n} beyond {bound}"
        );
        let exact = exact_quantile(scale, 1_000);
        assert!(bound >= exact, "bound {bound} below exact {exact}");
        assert!(bound < 2 * exact, "bound {bound} vs exact {exact}");
    }

    #[test]
    fn tail_bound_is_valid_and_tight_across_scales() {
        for (scale, delta_inv) in [
            (Scale { num: 1, den: 2 }, 100),
            (Scale { num: 3, den: 1 }, 1_000_000_000),
            (Scale { num: 10, den: 3 }, 100),
            (Scale { num: 1_000, den: 1 }, 1_000_000_000),
            (Scale { num: 1, den: 1 }, 2),
        ] {
            let bound = tail_bound(scale, delta_inv);
            let exact = exact_quantile(scale, delta_inv);
            assert!(bound >= exact, "{scale:?}: {bound} < {exact}");
            assert!(bound <= 2 * exact + 1, "{scale:?}: {bound} vs {exact}");
        }
        // b = 10^12/7, delta = 10^-9: continuous bound b·ln(2·10^9) ≈ 3.06·10^12.
        let big = tail_bound(
            Scale {
                num: 1_000_000_000_000,
                den: 7,
            },
            1_000_000_000,
        );
        let b = 1e12 / 7.0;
        let continuous = b * (2e9f64).ln();
        assert!(big as f64 >= continuous && (big as f64) < continuous * 1.001);
        assert_eq!(tail_bound(Scale { num: 3, den: 1 }, 1), 0);
        assert_eq!(tail_bound(Scale { num: 3, den: 1 }, 0), 0);
        assert_eq!(tail_bound(Scale { num: 3, den: 0 }, 100), u128::MAX);
    }
}
