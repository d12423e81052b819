//! Exact differential-privacy noise for the keyholder.
//!
//! Samplers follow Canonne, Kamath & Steinke, "The Discrete Gaussian for
//! Differential Privacy" (2020): Algorithm 1 (a Bernoulli with success
//! probability `exp(-γ)` for rational `γ`), Algorithm 2 (the discrete
//! Laplace distribution with rational scale `t/s`) and Algorithm 3 (the
//! discrete Gaussian with rational variance parameter `σ²`).
//!
//! The sampling path uses only integer arithmetic (on `u128`, and on
//! [`BigUint`] for the discrete Gaussian, whose intermediates outgrow `u128`)
//! and uniform integers drawn from a cryptographically secure generator. No
//! floating point is involved, because floating-point samplers leak through
//! the gaps and irregular spacing of representable values (Mironov, "On
//! Significance of the Least Significant Bits for Differential Privacy",
//! 2012). Floats appear only in [`tail_bound`], [`gaussian_tail_bound`] and
//! [`sigma2_f64`] (reporting helpers that never produce noise); ε arrives
//! already in micro-units ([`protocol::epsilon`]), and ρ, an `f64`, is
//! converted exactly to a rational by [`gaussian_sigma2`].

use num_bigint::BigUint;
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
    /// or a scale whose numerator overflows `u128` or exceeds `2^100`; for
    /// the Gaussian, a ρ that is not a positive finite number or a `σ²`
    /// outside `[2^-60, 2^200)`.
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

/// An exact rational variance parameter `σ² = num/den` (both > 0): the
/// discrete Gaussian `N_Z(0, σ²)` with `P(x) ∝ exp(-x²/(2σ²))` for every
/// integer `x`.
///
/// Build one with [`gaussian_sigma2`], which validates the parameters and
/// reduces the fraction; the fields are public so that a parameter can also
/// be stored and reloaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sigma2 {
    /// Numerator of `σ²`. Must be at least 1.
    pub num: BigUint,
    /// Denominator of `σ²`. Must be at least 1.
    pub den: BigUint,
}

/// `log2` of the bound on `σ²` that [`gaussian_sigma2`] accepts: `σ² < 2^200`,
/// i.e. `σ < 2^100`, so that Algorithm 3's `t = ⌊σ⌋ + 1` stays within the
/// discrete Laplace limit `MAX_SCALE_NUM = 2^100`.
const MAX_SIGMA2_LOG2: u32 = 200;

/// `-log2` of the smallest `σ²` that [`gaussian_sigma2`] accepts (`2^-60`):
/// anything smaller is noise that rounds to 0 and certainly a mistake.
const MIN_SIGMA2_NEG_LOG2: u32 = 60;

/// Greatest common divisor of big integers (Euclid). `gcd(0, 0) == 0`.
fn gcd_big(a: &BigUint, b: &BigUint) -> BigUint {
    let (mut a, mut b) = (a.clone(), b.clone());
    while b != BigUint::ZERO {
        let r = &a % &b;
        a = b;
        b = r;
    }
    a
}

/// The exact value of a positive finite `f64` as `mantissa · 2^exponent`.
///
/// IEEE 754 binary64: 52 stored fraction bits and an exponent biased by
/// 1023; a normal number has an implicit leading 1 bit, a subnormal (biased
/// exponent 0) has none and the exponent of the smallest normal.
fn f64_to_dyadic(x: f64) -> (u64, i32) {
    debug_assert!(x.is_finite() && x > 0.0);
    let bits = x.to_bits();
    let biased = ((bits >> 52) & 0x7ff) as i32;
    let fraction = bits & ((1 << 52) - 1);
    if biased == 0 {
        (fraction, -1074)
    } else {
        (fraction | (1 << 52), biased - 1075)
    }
}

/// The discrete Gaussian `σ²` of the noise one keyholder adds to one value
/// of sensitivity `Δ = sensitivity` under ρ-zCDP.
///
/// Adding `N_Z(0, σ²)` to an integer value of sensitivity `Δ` (for one value
/// the L1 and L2 sensitivities coincide) is `Δ²/(2σ²)`-zCDP (CKS). The
/// report's ρ is split over its values by budget weight
/// ([`protocol::report::weights`]), so a value of weight `weight` among
/// values weighing `total` in all gets `ρ · weight / total`, and
/// `σ² = Δ² · total / (2 · ρ · weight)`.
///
/// ρ is converted exactly (an `f64` is `mantissa · 2^exponent`), so the
/// result is the exact `σ²` for the `f64` given, reduced to lowest terms.
///
/// # Errors
///
/// [`NoiseError::InvalidScale`] if `sensitivity`, `weight` or `total` is 0,
/// `weight > total`, `rho` is not finite or not positive, `σ ≥ 2^100`
/// (Algorithm 3's `t = ⌊σ⌋ + 1` would exceed the discrete Laplace limit
/// `2^100`) or `σ² < 2^-60`.
pub fn gaussian_sigma2(
    sensitivity: u128,
    weight: u32,
    total: u64,
    rho: f64,
) -> Result<Sigma2, NoiseError> {
    if sensitivity == 0 || weight == 0 || total == 0 || u64::from(weight) > total {
        return Err(NoiseError::InvalidScale);
    }
    if !(rho.is_finite() && rho > 0.0) {
        return Err(NoiseError::InvalidScale);
    }
    let (mantissa, exponent) = f64_to_dyadic(rho);
    // σ² = Δ² · total / (2 · weight · mantissa · 2^exponent).
    let delta = BigUint::from(sensitivity);
    let mut num = &delta * &delta * BigUint::from(total);
    let mut den = BigUint::from(2u8) * BigUint::from(weight) * BigUint::from(mantissa);
    if exponent >= 0 {
        den <<= exponent.unsigned_abs();
    } else {
        num <<= exponent.unsigned_abs();
    }
    let g = gcd_big(&num, &den);
    num /= &g;
    den /= &g;
    // 2^-60 <= num/den < 2^200.
    if num >= (&den << MAX_SIGMA2_LOG2) || (&num << MIN_SIGMA2_NEG_LOG2) < den {
        return Err(NoiseError::InvalidScale);
    }
    Ok(Sigma2 { num, den })
}

/// A uniform integer in `{0, …, d-1}` for `d > 0`, exactly: draws `bits(d)`
/// random bits (whole bytes from the generator, the unused high bits of the
/// top byte masked off) and rejects values `>= d`. Each try succeeds with
/// probability above 1/2.
fn uniform_below_big<R: Rng + CryptoRng + ?Sized>(rng: &mut R, d: &BigUint) -> BigUint {
    assert!(*d != BigUint::ZERO, "uniform_below_big: zero bound");
    let bits = d.bits();
    let len = bits.div_ceil(8);
    let mask = 0xffu8 >> (len * 8 - bits);
    let mut bytes = vec![0u8; len as usize];
    loop {
        rng.fill_bytes(&mut bytes);
        // Little-endian: the last byte is the most significant.
        if let Some(top) = bytes.last_mut() {
            *top &= mask;
        }
        let x = BigUint::from_bytes_le(&bytes);
        if x < *d {
            return x;
        }
    }
}

/// Bernoulli(`n/d`) for big integers `0 <= n`, `d > 0`: true iff an exact
/// uniform draw from `{0, …, d-1}` ([`uniform_below_big`]) is below `n`.
fn bernoulli_rational_big<R: Rng + CryptoRng + ?Sized>(
    rng: &mut R,
    n: &BigUint,
    d: &BigUint,
) -> bool {
    debug_assert!(
        *d != BigUint::ZERO,
        "bernoulli_rational_big: zero denominator"
    );
    if *n == BigUint::ZERO {
        return false;
    }
    if n >= d {
        return true;
    }
    uniform_below_big(rng, d) < *n
}

/// Bernoulli(`exp(-n/d)`) for big integers `0 <= n <= d`, `d > 0`
/// (CKS Algorithm 1, case γ ≤ 1): [`bernoulli_exp_neg_unit`], where `d·k`
/// cannot overflow.
fn bernoulli_exp_neg_unit_big<R: Rng + CryptoRng + ?Sized>(
    rng: &mut R,
    n: &BigUint,
    d: &BigUint,
) -> bool {
    debug_assert!(*d != BigUint::ZERO && n <= d);
    let mut k: u128 = 1;
    while bernoulli_rational_big(rng, n, &(d * k)) {
        // P(k reaches m) <= 1/(m-1)!, so this never gets anywhere near u128::MAX.
        k += 1;
    }
    k % 2 == 1
}

/// Bernoulli(`exp(-n/d)`) for big integers `n >= 0`, `d > 0`
/// (CKS Algorithm 1): [`bernoulli_exp_neg`] on [`BigUint`]. The fraction
/// need not be in lowest terms.
///
/// For γ = n/d ≤ 1 this is [`bernoulli_exp_neg_unit_big`]. For γ > 1 it
/// draws Bernoulli(`exp(-1)`) `floor(γ)` times, failing on the first 0, and
/// then Bernoulli(`exp(-(γ - floor γ))`). `floor(γ)` may be astronomically
/// large, but every draw fails with probability `1 - e^-1`, so the loop ends
/// after a few rounds almost surely.
fn bernoulli_exp_neg_big<R: Rng + CryptoRng + ?Sized>(
    rng: &mut R,
    n: &BigUint,
    d: &BigUint,
) -> bool {
    assert!(
        *d != BigUint::ZERO,
        "bernoulli_exp_neg_big: zero denominator"
    );
    if n <= d {
        return bernoulli_exp_neg_unit_big(rng, n, d);
    }
    let whole = n / d;
    let mut i = BigUint::ZERO;
    while i < whole {
        if !bernoulli_exp_neg_unit(rng, 1, 1) {
            return false;
        }
        i += 1u32;
    }
    bernoulli_exp_neg_unit_big(rng, &(n % d), d)
}

/// One exact sample of the discrete Gaussian `N_Z(0, σ²)`:
/// `P(x) ∝ exp(-x²/(2σ²))` for every integer `x`, with
/// `σ² = sigma2.num / sigma2.den` (CKS Algorithm 3).
///
/// With `t = ⌊σ⌋ + 1`, it draws `Y` from the discrete Laplace of scale `t`
/// ([`discrete_laplace`]) and accepts it with probability `exp(-γ)`,
/// `γ = (|Y| - σ²/t)² / (2σ²) = (|Y|·t·den - num)² / (2·num·den·t²)`,
/// until one is accepted. `γ` is computed exactly on [`BigUint`] (its
/// numerator outgrows `u128` for large `σ²`), and there is no floating point.
///
/// # Panics
///
/// If `sigma2.num == 0`, `sigma2.den == 0` or `σ ≥ 2^100` (`t` would exceed
/// the discrete Laplace limit `2^100`); parameters from [`gaussian_sigma2`]
/// never do.
pub fn discrete_gaussian<R: Rng + CryptoRng + ?Sized>(rng: &mut R, sigma2: &Sigma2) -> i128 {
    let (num, den) = (&sigma2.num, &sigma2.den);
    let t = if *num != BigUint::ZERO && *den != BigUint::ZERO {
        // ⌊σ⌋ = ⌊sqrt(num/den)⌋ = ⌊sqrt(⌊num/den⌋)⌋.
        let floor_sigma = (num / den).sqrt();
        u128::try_from(&floor_sigma)
            .ok()
            .filter(|&f| f < MAX_SCALE_NUM)
            .map(|f| f + 1)
    } else {
        None
    };
    let Some(t) = t else {
        panic!("discrete_gaussian: invalid sigma2 {sigma2:?}");
    };
    let scale = Scale { num: t, den: 1 };
    let t_den = den * t;
    let gamma_den = num * den * t * t * 2u32;
    loop {
        let y = discrete_laplace(rng, scale);
        // |Y|·t·den - num, in absolute value.
        let a = &t_den * y.unsigned_abs();
        let diff = if a >= *num { a - num } else { num - a };
        let gamma_num = &diff * &diff;
        if bernoulli_exp_neg_big(rng, &gamma_num, &gamma_den) {
            return y;
        }
    }
}

/// `σ²` as an `f64`, within one unit in the last place (`+∞` for a zero
/// denominator, 0 for a zero numerator). A reporting helper, never used to
/// draw noise.
pub fn sigma2_f64(s: &Sigma2) -> f64 {
    if s.den == BigUint::ZERO {
        return f64::INFINITY;
    }
    if s.num == BigUint::ZERO {
        return 0.0;
    }
    // num/den = q·2^-k with the integer quotient q of 120 or 121 bits: it
    // fits u128, and truncating it is far below f64 precision.
    let k = 120 + s.den.bits() as i64 - s.num.bits() as i64;
    let q = if k >= 0 {
        (&s.num << k.unsigned_abs()) / &s.den
    } else {
        &s.num / (&s.den << k.unsigned_abs())
    };
    let q = u128::try_from(&q).expect("sigma2_f64: quotient of at most 121 bits");
    let mut x = q as f64;
    // Multiply by 2^-k in steps that are exact powers of two.
    let mut e = -k;
    while e != 0 {
        let step = e.clamp(-1000, 1000);
        x *= 2f64.powi(step as i32);
        e -= step;
    }
    x
}

/// A bound `B` with `P(|X| > B) <= delta` for `X ~ N_Z(0, σ²)`, where
/// `delta = 1/delta_inv` (e.g. `delta_inv = 100` for a 99% bound).
///
/// The discrete Gaussian is σ²-subgaussian (CKS: `E[e^{λX}] <= e^{λ²σ²/2}`
/// for every real λ), so `P(|X| >= k) <= 2·e^{-k²/(2σ²)}` and
/// `B = ceil(σ · sqrt(2·ln(2·delta_inv)))` suffices. This is a reporting
/// helper, not a sampler, so it uses `f64`; the product is inflated by a
/// relative `10^-9` before rounding up, which dominates every floating-point
/// rounding error.
///
/// `delta_inv <= 1` (a "bound" with probability ≤ 1) gives 0, a zero numerator
/// gives 0, and a zero denominator gives `u128::MAX`.
pub fn gaussian_tail_bound(sigma2: &Sigma2, delta_inv: u64) -> u128 {
    if sigma2.den == BigUint::ZERO {
        return u128::MAX;
    }
    if delta_inv <= 1 || sigma2.num == BigUint::ZERO {
        return 0;
    }
    let sigma = sigma2_f64(sigma2).sqrt();
    let log = (2.0 * delta_inv as f64).ln();
    let bound = (sigma * (2.0 * log).sqrt() * (1.0 + 1e-9)).ceil();
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

    /// The probabilities of the bins `(-inf, -l-1]`, `-l, …, l`, `[l+1, inf)`
    /// of a symmetric pmf whose mass beyond `l` (on each side) is `tail`.
    fn symmetric_bins(l: i128, pmf: impl Fn(i128) -> f64, tail: f64) -> Vec<f64> {
        let bins = (2 * l + 3) as usize;
        let mut probs = vec![0.0f64; bins];
        probs[0] = tail;
        probs[bins - 1] = tail;
        for x in -l..=l {
            probs[(x + l + 1) as usize] = pmf(x);
        }
        assert!((probs.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        probs
    }

    /// Counts `xs` into the bins of [`symmetric_bins`] and asserts the
    /// chi-square goodness of fit against `probs` at the 99.9% point;
    /// returns the counts.
    fn assert_chi_square_fits(xs: &[i128], l: i128, probs: &[f64], what: &str) -> Vec<u64> {
        let bins = probs.len();
        let mut counts = vec![0u64; bins];
        for &x in xs {
            let bin = if x < -l {
                0
            } else if x > l {
                bins - 1
            } else {
                (x + l + 1) as usize
            };
            counts[bin] += 1;
        }
        let n = xs.len() as f64;
        let chi2: f64 = counts
            .iter()
            .zip(probs)
            .map(|(&c, &p)| {
                let expected = p * n;
                let d = c as f64 - expected;
                d * d / expected
            })
            .sum();
        let df = bins - 1;
        let critical = chi_square_critical_999(df);
        assert!(
            chi2 < critical,
            "{what}: chi2 {chi2} >= {critical} (df {df}), counts {counts:?}"
        );
        counts
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

        // Bins: (-inf, -11], -10, ..., 10, [11, inf); P(X >= 11) = P(X <= -11) = q^11/(1+q).
        let probs = symmetric_bins(10, pmf, q.powi(11) / (1.0 + q));
        let counts = assert_chi_square_fits(&xs, 10, &probs, "discrete Laplace, scale 3");

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

    fn big(x: u128) -> BigUint {
        BigUint::from(x)
    }

    fn sigma2(num: u128, den: u128) -> Sigma2 {
        Sigma2 {
            num: big(num),
            den: big(den),
        }
    }

    fn gaussian_draws(seed: u64, sigma2: &Sigma2, n: usize) -> Vec<i128> {
        let mut r = rng(seed);
        (0..n).map(|_| discrete_gaussian(&mut r, sigma2)).collect()
    }

    /// The exact pmf of `N_Z(0, σ²)`: `exp(-x²/(2σ²))` normalised by its sum
    /// over `|x| <= 60σ` (the mass beyond is below `e^-1800`). Also returns
    /// that range's end `60σ`.
    fn gaussian_pmf(sigma2: f64) -> (impl Fn(i128) -> f64, i128) {
        let m = (60.0 * sigma2.sqrt()).ceil() as i128;
        let weight = move |x: i128| (-((x * x) as f64) / (2.0 * sigma2)).exp();
        let z: f64 = (-m..=m).map(weight).sum();
        (move |x| weight(x) / z, m)
    }

    /// Exact variance `Σ x²·P(x)` of `N_Z(0, σ²)`.
    fn gaussian_exact_variance(sigma2: f64) -> f64 {
        let (pmf, m) = gaussian_pmf(sigma2);
        (-m..=m).map(|x| (x * x) as f64 * pmf(x)).sum()
    }

    /// Chi-square goodness of fit of `n` draws against the exact pmf, plus
    /// mean, variance and symmetry. Bins: `(-inf, -L-1]`, `-L, …, L`,
    /// `[L+1, inf)`, with `L <= 10` the largest whose tails still expect at
    /// least 5 draws (the chi-square approximation needs that).
    fn assert_gaussian_fits(seed: u64, sigma2: &Sigma2, n: usize) {
        let s2 = sigma2_f64(sigma2);
        let (pmf, m) = gaussian_pmf(s2);
        let tail_beyond = |l: i128| ((l + 1)..=m).map(&pmf).sum::<f64>();
        let l = (1..=10i128)
            .rev()
            .find(|&l| tail_beyond(l) * n as f64 >= 5.0)
            .expect("σ² too small for a chi-square test");
        let probs = symmetric_bins(l, &pmf, tail_beyond(l));
        let xs = gaussian_draws(seed, sigma2, n);
        let counts = assert_chi_square_fits(&xs, l, &probs, &format!("σ² = {s2}"));

        let exact = gaussian_exact_variance(s2);
        let (mean, var) = mean_and_variance(&xs);
        let se = (exact / n as f64).sqrt();
        assert!(mean.abs() < 5.0 * se, "σ² = {s2}: mean {mean}, se {se}");
        // The sample variance of a near-normal variable has relative standard
        // error sqrt(2/n), about 0.3% here.
        assert!(
            (var / exact - 1.0).abs() < 5.0 * (2.0 / n as f64).sqrt(),
            "σ² = {s2}: var {var} vs {exact}"
        );

        // Symmetry: each pair of bins x / -x.
        for x in 1..=(l as usize + 1) {
            let mid = l as usize + 1;
            let (a, b) = (counts[mid + x] as f64, counts[mid - x] as f64);
            assert!((a - b).abs() < 5.0 * (a + b).sqrt(), "bin ±{x}: {a} vs {b}");
        }
    }

    #[test]
    fn gaussian_sigma2_arithmetic() {
        // Δ = 1, all of ρ = 0.5: σ² = 1/(2·0.5) = 1.
        assert_eq!(gaussian_sigma2(1, 1, 1, 0.5), Ok(sigma2(1, 1)));
        // Δ = 3, weight 1 of 2, ρ = 0.25: 9·2/(2·0.25) = 36.
        assert_eq!(gaussian_sigma2(3, 1, 2, 0.25), Ok(sigma2(36, 1)));
        // Δ = 100, weight 4 of 14, ρ = 0.5: 10^4·14/(2·0.5·4) = 35000.
        assert_eq!(gaussian_sigma2(100, 4, 14, 0.5), Ok(sigma2(35_000, 1)));
        // Δ = 1, weight 3 of 10, ρ = 0.75: 10/(2·0.75·3) = 20/9.
        assert_eq!(gaussian_sigma2(1, 3, 10, 0.75), Ok(sigma2(20, 9)));
        // ρ = 3 (a positive exponent): Δ = 6 → 36/6 = 6.
        assert_eq!(gaussian_sigma2(6, 1, 1, 3.0), Ok(sigma2(6, 1)));
        // Smallest accepted σ²: exactly 2^-60 (ρ = 2^59).
        assert_eq!(
            gaussian_sigma2(1, 1, 1, 2f64.powi(59)),
            Ok(sigma2(1, 1 << 60))
        );
        // Largest accepted Δ at ρ = 1/2: σ = Δ = 2^100 - 1, so t = 2^100.
        let d = (1u128 << 100) - 1;
        let s = gaussian_sigma2(d, 1, 1, 0.5).unwrap();
        assert_eq!(
            s,
            Sigma2 {
                num: big(d) * big(d),
                den: big(1)
            }
        );
        let mut r = rng(4);
        let x = discrete_gaussian(&mut r, &s);
        assert!(x.unsigned_abs() < 1 << 110, "{x}");
        // Δ = 2^90, weight 1 of 3, ρ = 1/2: σ² = 3·2^180, far above u128.
        assert_eq!(
            gaussian_sigma2(1 << 90, 1, 3, 0.5),
            Ok(Sigma2 {
                num: big(3) << 180u32,
                den: big(1)
            })
        );
    }

    #[test]
    fn gaussian_sigma2_is_exact_for_non_dyadic_rho() {
        // 0.1 is not dyadic: the f64 nearest it is m·2^e with these bits.
        let bits = 0.1f64.to_bits();
        let m = u128::from((bits & ((1 << 52) - 1)) | (1 << 52));
        let e = ((bits >> 52) & 0x7ff) as i32 - 1075;
        assert_eq!((m, e), (0x0019_9999_9999_999a, -56));
        // σ² = 1/(2·0.1) = 2^56/(2m), in lowest terms (m = 2·3602879701896397).
        let s = gaussian_sigma2(1, 1, 1, 0.1).unwrap();
        assert_eq!(s, sigma2(1 << 54, 3_602_879_701_896_397));
        assert_eq!(&s.num * big(2 * m), &s.den << 56u32);
        assert_eq!(gcd_big(&s.num, &s.den), big(1));
        // Close to 5 but not 5.
        assert_ne!(s, sigma2(5, 1));
        assert!((sigma2_f64(&s) / 5.0 - 1.0).abs() < 1e-15);
        // Δ = 7, weight 2 of 3: σ² = 49·3/(2·ρ·2) = 147·2^56/(4m).
        let s = gaussian_sigma2(7, 2, 3, 0.1).unwrap();
        assert_eq!(&s.num * big(4 * m), (&s.den << 56u32) * big(147));
        assert_eq!(gcd_big(&s.num, &s.den), big(1));
    }

    #[test]
    fn gaussian_sigma2_errors() {
        let err = Err(NoiseError::InvalidScale);
        assert_eq!(gaussian_sigma2(0, 1, 1, 0.5), err);
        assert_eq!(gaussian_sigma2(1, 0, 1, 0.5), err);
        assert_eq!(gaussian_sigma2(1, 1, 0, 0.5), err);
        assert_eq!(gaussian_sigma2(1, 6, 5, 0.5), err);
        for rho in [0.0, -0.0, -0.5, f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            assert_eq!(gaussian_sigma2(1, 1, 1, rho), err, "ρ = {rho}");
        }
        // σ² = 2^-61 < 2^-60.
        assert_eq!(gaussian_sigma2(1, 1, 1, 2f64.powi(60)), err);
        assert_eq!(gaussian_sigma2(1, 1, 1, f64::MAX), err);
        // σ = 2^100: t = 2^100 + 1 would exceed the discrete Laplace limit.
        assert_eq!(gaussian_sigma2(1 << 100, 1, 1, 0.5), err);
        // The same through the weights: 2^180 · 2^20 = 2^200.
        assert_eq!(gaussian_sigma2(1 << 90, 1, 1 << 20, 0.5), err);
        // The smallest subnormal ρ: σ² = 2^1073.
        assert_eq!(gaussian_sigma2(1, 1, 1, f64::from_bits(1)), err);
        assert_eq!(gaussian_sigma2(u128::MAX, 1, u64::MAX, 1e-300), err);
    }

    #[test]
    fn sigma2_f64_converts_big_rationals() {
        assert_eq!(sigma2_f64(&sigma2(7, 3)), 7.0 / 3.0);
        assert_eq!(sigma2_f64(&sigma2(1, 4)), 0.25);
        assert_eq!(sigma2_f64(&sigma2(10u128.pow(24), 1)), 1e24);
        assert_eq!(sigma2_f64(&sigma2(1, 1 << 60)), 2f64.powi(-60));
        let huge = Sigma2 {
            num: BigUint::from(1u8) << 1000u32,
            den: big(3),
        };
        assert!((sigma2_f64(&huge) / (2f64.powi(1000) / 3.0) - 1.0).abs() < 1e-15);
        let tiny = Sigma2 {
            num: big(1),
            den: BigUint::from(3u8) << 1000u32,
        };
        assert!((sigma2_f64(&tiny) / (2f64.powi(-1000) / 3.0) - 1.0).abs() < 1e-15);
        assert_eq!(sigma2_f64(&sigma2(0, 3)), 0.0);
        assert_eq!(sigma2_f64(&sigma2(3, 0)), f64::INFINITY);
    }

    #[test]
    fn uniform_below_big_is_uniform() {
        let mut r = rng(70);
        assert!((0..100).all(|_| uniform_below_big(&mut r, &big(1)) == big(0)));
        // 255, 256 and 257 straddle a byte boundary of the mask.
        for d in [5u32, 255, 256, 257] {
            let n = 300 * d as usize;
            let mut counts = vec![0u64; d as usize];
            for _ in 0..n {
                let x = u32::try_from(&uniform_below_big(&mut r, &BigUint::from(d))).unwrap();
                counts[x as usize] += 1;
            }
            let expected = n as f64 / f64::from(d);
            let chi2: f64 = counts
                .iter()
                .map(|&c| (c as f64 - expected).powi(2) / expected)
                .sum();
            let critical = chi_square_critical_999(d as usize - 1);
            assert!(chi2 < critical, "d = {d}: chi2 {chi2} >= {critical}");
        }
        // d = 3·2^128 + 1 (130 bits, top byte masked to 2 bits): always
        // below d, and above 2^129 about a third of the time.
        let d = (BigUint::from(3u8) << 128u32) + 1u32;
        let top = BigUint::from(1u8) << 129u32;
        let n = 30_000;
        let mut above = 0;
        for _ in 0..n {
            let x = uniform_below_big(&mut r, &d);
            assert!(x < d);
            if x >= top {
                above += 1;
            }
        }
        let p = 1.0 / 3.0;
        let se = (p * (1.0 - p) / n as f64).sqrt();
        assert!((above as f64 / n as f64 - p).abs() < 5.0 * se, "{above}");
    }

    #[test]
    fn bernoulli_exp_neg_big_frequencies() {
        let n = 100_000;
        let pow2 = |k: u32| BigUint::from(1u8) << k;
        let ten40 = BigUint::from(10u8).pow(40);
        let cases: [(BigUint, BigUint, f64); 7] = [
            (big(1), big(2), 0.5),
            (big(3), big(2), 1.5),
            (big(5), big(2), 2.5),
            // Not in lowest terms (γ = 3/2).
            (big(6), big(4), 1.5),
            // γ = 1/2 and 3/2 with d = 2^200: d·k exceeds u128 from the start.
            (pow2(199), pow2(200), 0.5),
            (pow2(199) * 3u32, pow2(200), 1.5),
            // γ = 1/3 with d = 3·10^40 > u128::MAX.
            (ten40.clone(), ten40 * 3u32, 1.0 / 3.0),
        ];
        for (i, (num, den, gamma)) in cases.iter().enumerate() {
            let mut r = rng(80 + i as u64);
            let hits = (0..n)
                .filter(|_| bernoulli_exp_neg_big(&mut r, num, den))
                .count() as f64;
            let p = (-gamma).exp();
            let se = (p * (1.0 - p) / n as f64).sqrt();
            let freq = hits / n as f64;
            assert!(
                (freq - p).abs() < 5.0 * se,
                "γ = {num}/{den}: freq {freq}, expected {p} ± {se}"
            );
        }
    }

    #[test]
    fn bernoulli_exp_neg_big_edges() {
        let mut r = rng(5);
        assert!((0..1000).all(|_| bernoulli_exp_neg_big(&mut r, &big(0), &big(5))));
        // γ = 2^300/3: an astronomically large whole part, which fails fast.
        let huge = BigUint::from(1u8) << 300u32;
        assert!((0..1000).all(|_| !bernoulli_exp_neg_big(&mut r, &huge, &big(3))));
    }

    #[test]
    fn discrete_gaussian_sigma2_4_matches_pmf() {
        assert_gaussian_fits(90, &sigma2(4, 1), 200_000);
    }

    #[test]
    fn discrete_gaussian_rational_sigma2_matches_pmf() {
        assert_gaussian_fits(91, &sigma2(7, 3), 200_000);
    }

    #[test]
    fn discrete_gaussian_small_sigma2_zero_probability() {
        let s = sigma2(1, 4);
        let n = 200_000;
        let xs = gaussian_draws(92, &s, n);
        let (pmf, _) = gaussian_pmf(0.25);
        let p0 = pmf(0); // about 0.79
        let zeros = xs.iter().filter(|&&x| x == 0).count() as f64 / n as f64;
        let se = (p0 * (1.0 - p0) / n as f64).sqrt();
        assert!((zeros - p0).abs() < 5.0 * se, "P(0) {zeros} vs {p0}");
        // P(|X| >= 3) = 2e^-18/Z ≈ 4e-8: none expected.
        assert!(xs.iter().all(|&x| x.abs() <= 2));
    }

    #[test]
    fn discrete_gaussian_large_sigma2_variance() {
        // σ = 10^12: (|Y|·t·den - num)² is about 10^48, beyond u128.
        let s = sigma2(10u128.pow(24), 1);
        let xs = gaussian_draws(93, &s, 20_000);
        let (mean, var) = mean_and_variance(&xs);
        assert!((var / 1e24 - 1.0).abs() < 0.05, "var {var}");
        assert!(
            mean.abs() < 5.0 * (1e24 / xs.len() as f64).sqrt(),
            "mean {mean}"
        );
    }

    #[test]
    fn discrete_gaussian_is_deterministic_per_seed() {
        let s = sigma2(7, 3);
        assert_eq!(gaussian_draws(94, &s, 100), gaussian_draws(94, &s, 100));
        assert_ne!(gaussian_draws(94, &s, 100), gaussian_draws(95, &s, 100));
    }

    #[test]
    #[should_panic(expected = "invalid sigma2")]
    fn discrete_gaussian_rejects_zero_numerator() {
        discrete_gaussian(&mut rng(6), &sigma2(0, 1));
    }

    #[test]
    #[should_panic(expected = "invalid sigma2")]
    fn discrete_gaussian_rejects_zero_denominator() {
        discrete_gaussian(&mut rng(6), &sigma2(1, 0));
    }

    #[test]
    #[should_panic(expected = "invalid sigma2")]
    fn discrete_gaussian_rejects_sigma_of_2_pow_100() {
        let s = Sigma2 {
            num: BigUint::from(1u8) << 200u32,
            den: big(1),
        };
        discrete_gaussian(&mut rng(6), &s);
    }

    /// Smallest `B` with the exact `P(|X| > B) <= 1/delta_inv` for
    /// `X ~ N_Z(0, σ²)`.
    fn gaussian_exact_quantile(sigma2: f64, delta_inv: u64) -> u128 {
        let (pmf, m) = gaussian_pmf(sigma2);
        let delta = 1.0 / delta_inv as f64;
        let beyond = |b: i128| 2.0 * ((b + 1)..=m).map(&pmf).sum::<f64>();
        let mut b = 0;
        while beyond(b) > delta {
            b += 1;
        }
        b as u128
    }

    #[test]
    fn gaussian_tail_bound_holds_empirically() {
        let s = sigma2(4, 1);
        let bound = gaussian_tail_bound(&s, 1_000);
        let n = 200_000;
        let xs = gaussian_draws(96, &s, n);
        let beyond = xs.iter().filter(|&&x| x.unsigned_abs() > bound).count();
        assert!(
            beyond as f64 / n as f64 <= 1e-3,
            "{beyond} of {n} beyond {bound}"
        );
        let exact = gaussian_exact_quantile(4.0, 1_000);
        assert!(bound >= exact, "bound {bound} below exact {exact}");
        assert!(bound <= 2 * exact, "bound {bound} vs exact {exact}");
    }

    #[test]
    fn gaussian_tail_bound_is_valid_and_tight_across_sigmas() {
        for (s, delta_inv) in [
            (sigma2(1, 4), 100),
            (sigma2(7, 3), 1_000_000_000),
            (sigma2(100, 1), 100),
            (sigma2(10_000, 7), 1_000_000_000),
            (sigma2(1, 1), 2),
        ] {
            let bound = gaussian_tail_bound(&s, delta_inv);
            let exact = gaussian_exact_quantile(sigma2_f64(&s), delta_inv);
            assert!(bound >= exact, "{s:?}: {bound} < {exact}");
            assert!(bound <= 2 * exact + 1, "{s:?}: {bound} vs {exact}");
        }
        // σ = 10^12, delta = 10^-9: σ·sqrt(2·ln(2·10^9)) ≈ 6.54·10^12.
        let big_bound = gaussian_tail_bound(&sigma2(10u128.pow(24), 1), 1_000_000_000);
        let continuous = 1e12 * (2.0 * (2e9f64).ln()).sqrt();
        assert!(big_bound as f64 >= continuous && (big_bound as f64) < continuous * 1.001);
        assert_eq!(gaussian_tail_bound(&sigma2(4, 1), 1), 0);
        assert_eq!(gaussian_tail_bound(&sigma2(4, 1), 0), 0);
        assert_eq!(gaussian_tail_bound(&sigma2(0, 1), 100), 0);
        assert_eq!(gaussian_tail_bound(&sigma2(4, 0), 100), u128::MAX);
    }
}
