//! Which noise a report is released with: the discrete Laplace mechanism
//! (pure ε-DP) or the discrete Gaussian mechanism (ρ-zCDP, converted to
//! (ε, δ)-DP), whichever gives the smaller error for the (ε, δ) the report
//! may spend.
//!
//! A campaign promises (ε, δ) in all; δ = 0 promises pure ε-DP and only
//! the Laplace mechanism is used. A report spending `ε_r` of the campaign's
//! ε may spend `δ_r = δ · ε_r / ε` of its δ ([`report_delta`]): δ is spent
//! in proportion to ε, so a campaign whose ε is never overspent never
//! overspends δ either, and both add up (basic composition) to at most the
//! promise.
//!
//! * **Laplace**: value `j` of sensitivity `Δⱼ` and budget weight `wⱼ` (of
//!   `W` in all) gets `εⱼ = ε_r·wⱼ/W`; each keyholder adds discrete Laplace
//!   noise of scale `Δⱼ/εⱼ`. The report is `ε_r`-DP (δ spent: 0).
//! * **Gaussian**: `ρ` is the largest ρ-zCDP whose conversion
//!   ([`super::zcdp::rho_for`]) is `(ε_r, δ_r)`-DP; value `j` gets
//!   `ρⱼ = ρ·wⱼ/W` and each keyholder adds discrete Gaussian noise
//!   `N_Z(0, σⱼ²)` with `σⱼ² = Δⱼ²/(2ρⱼ)` (Canonne, Kamath & Steinke 2020:
//!   the discrete Gaussian `N_Z(0, σ²)` is `Δ²/(2σ²)`-zCDP for sensitivity
//!   Δ). The ρⱼ add up
//!   to ρ over the report's vector, which is the L2 calibration: noise grows
//!   with √(values) instead of the Laplace's values.
//!
//! Each keyholder adds its own full-scale noise, so the report keeps its
//! guarantee from any one honest keyholder's noise alone; the released
//! error is the sum of `parties` draws. The choice compares
//! `Σⱼ error₉₉ⱼ / Δⱼ` (every value's 99% bound in units of its own
//! sensitivity) and keeps Laplace on a tie. It is a deterministic function
//! of public figures, so the server's estimate, every keyholder and a buyer
//! checking a release all reach the same choice.
//!
//! Floating point is fine here: nothing in this module draws noise. The
//! keyholders turn ρ into exact rational σ² before sampling.

use serde::{Deserialize, Serialize};

use super::accuracy;
use super::zcdp;

/// The noise a report is released with.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Mechanism {
    /// Discrete Laplace, pure ε-DP.
    #[default]
    DiscreteLaplace,
    /// Discrete Gaussian, ρ-zCDP converted to (ε, δ)-DP.
    DiscreteGaussian,
}

impl Mechanism {
    /// The mechanism's name (as serialized).
    pub fn name(self) -> &'static str {
        match self {
            Self::DiscreteLaplace => "discrete_laplace",
            Self::DiscreteGaussian => "discrete_gaussian",
        }
    }

    /// The mechanism named `name`, if any.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "discrete_laplace" => Some(Self::DiscreteLaplace),
            "discrete_gaussian" => Some(Self::DiscreteGaussian),
            _ => None,
        }
    }

    /// Whether this is the (default) Laplace mechanism.
    pub fn is_laplace(&self) -> bool {
        *self == Self::DiscreteLaplace
    }
}

/// The δ a report spending `report_epsilon_micro` of a campaign's
/// `campaign_epsilon_micro` may spend of the campaign's `campaign_delta`:
/// in proportion. 0 when the campaign promises δ = 0 or has no ε.
pub fn report_delta(
    campaign_delta: f64,
    campaign_epsilon_micro: u64,
    report_epsilon_micro: u64,
) -> f64 {
    if campaign_delta <= 0.0 || campaign_epsilon_micro == 0 || campaign_delta.is_nan() {
        return 0.0;
    }
    let share =
        report_epsilon_micro.min(campaign_epsilon_micro) as f64 / campaign_epsilon_micro as f64;
    campaign_delta * share
}

/// Each keyholder's discrete Gaussian σ for a value of sensitivity
/// `sensitivity` and budget weight `weight` of `total`, under a report's
/// `rho`: `σ = Δ·√(total / (2·ρ·weight))`. 0 when ρ is not positive or a
/// weight is 0.
pub fn gaussian_sigma(sensitivity: f64, weight: u32, total: u64, rho: f64) -> f64 {
    if rho.is_nan() || rho <= 0.0 || weight == 0 || total == 0 {
        return 0.0;
    }
    sensitivity * (total as f64 / (2.0 * rho * f64::from(weight))).sqrt()
}

/// A bound `B` with `P(|X₁ + … + Xₙ| > B) ≤ 1/delta_inv` for `n = parties`
/// independent discrete Gaussians `N_Z(0, σ²)`: each is σ²-subgaussian
/// (CKS 2020: `E[e^{λX}] ≤ e^{λ²σ²/2}`), so their sum is nσ²-subgaussian and
/// `B = σ·√n·√(2·ln(2·delta_inv))`, inflated by 10⁻⁹ and rounded up.
pub fn gaussian_error_bound(sigma: f64, parties: u32, delta_inv: f64) -> f64 {
    if sigma.is_nan() || sigma <= 0.0 || delta_inv <= 1.0 {
        return 0.0;
    }
    let b = sigma * f64::from(parties).sqrt() * (2.0 * (2.0 * delta_inv).ln()).sqrt();
    (b * (1.0 + 1e-9)).ceil()
}

/// What one released value's noise will be.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ValueNoise {
    /// Each keyholder's scale: the Laplace `b` or the Gaussian `σ`.
    pub scale: f64,
    /// Standard deviation of the total noise (all keyholders); for the
    /// Gaussian, the upper bound `σ·√n` (a discrete Gaussian's variance is
    /// below σ²).
    pub sd: f64,
    /// The total noise stays within ± this with probability ≥ 95%.
    pub error_95: f64,
    /// The total noise stays within ± this with probability ≥ 99%.
    pub error_99: f64,
}

/// The mechanism chosen for a report, with every value's noise.
#[derive(Debug, Clone, PartialEq)]
pub struct Choice {
    /// The mechanism.
    pub mechanism: Mechanism,
    /// ε the report spends.
    pub epsilon: f64,
    /// δ the report spends (0 under Laplace).
    pub delta: f64,
    /// ρ of the report's zCDP (0 under Laplace).
    pub rho: f64,
    /// Per value, in the order given.
    pub values: Vec<ValueNoise>,
}

impl Choice {
    /// `Σⱼ error₉₉ⱼ / Δⱼ`, the figure the choice minimises.
    fn score(&self, sensitivities: &[(u128, u32)]) -> f64 {
        self.values
            .iter()
            .zip(sensitivities)
            .map(|(v, (s, _))| v.error_99 / (*s).max(1) as f64)
            .sum()
    }
}

/// The Laplace figures for `values` (`(sensitivity, weight)` each, weights
/// summing to `total`) under ε.
pub fn laplace(values: &[(u128, u32)], total: u64, epsilon: f64, parties: u32) -> Choice {
    Choice {
        mechanism: Mechanism::DiscreteLaplace,
        epsilon,
        delta: 0.0,
        rho: 0.0,
        values: values
            .iter()
            .map(|&(s, w)| {
                let scale = accuracy::laplace_scale(s as f64, w, total, epsilon);
                ValueNoise {
                    scale,
                    sd: accuracy::noise_sd(scale, parties),
                    error_95: accuracy::error_bound(scale, parties, 20.0),
                    error_99: accuracy::error_bound(scale, parties, 100.0),
                }
            })
            .collect(),
    }
}

/// The Gaussian figures for `values` under the largest ρ within (ε, δ);
/// `None` when δ allows no ρ (δ = 0).
pub fn gaussian(
    values: &[(u128, u32)],
    total: u64,
    epsilon: f64,
    delta: f64,
    parties: u32,
) -> Option<Choice> {
    let rho = zcdp::rho_for(epsilon, delta);
    if rho <= 0.0 {
        return None;
    }
    Some(Choice {
        mechanism: Mechanism::DiscreteGaussian,
        epsilon,
        delta,
        rho,
        values: values
            .iter()
            .map(|&(s, w)| {
                let sigma = gaussian_sigma(s as f64, w, total, rho);
                ValueNoise {
                    scale: sigma,
                    sd: sigma * f64::from(parties).sqrt(),
                    error_95: gaussian_error_bound(sigma, parties, 20.0),
                    error_99: gaussian_error_bound(sigma, parties, 100.0),
                }
            })
            .collect(),
    })
}

/// The mechanism with the smaller error for a report releasing `values`
/// (`(sensitivity, weight)` each, weights summing to `total`) that may
/// spend `(epsilon, delta)`, with `parties` keyholders each adding its own
/// noise (see the module documentation).
pub fn choose(
    values: &[(u128, u32)],
    total: u64,
    epsilon: f64,
    delta: f64,
    parties: u32,
) -> Choice {
    let laplace = laplace(values, total, epsilon, parties);
    match gaussian(values, total, epsilon, delta, parties) {
        Some(g) if g.score(values) < laplace.score(values) => g,
        _ => laplace,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for m in [Mechanism::DiscreteLaplace, Mechanism::DiscreteGaussian] {
            assert_eq!(Mechanism::from_name(m.name()), Some(m));
            assert_eq!(
                serde_json::to_value(m).unwrap(),
                serde_json::json!(m.name())
            );
        }
        assert_eq!(Mechanism::from_name("gaussian"), None);
    }

    #[test]
    fn delta_is_spent_in_proportion_to_epsilon() {
        assert_eq!(report_delta(1e-6, 2_000_000, 1_000_000), 5e-7);
        assert_eq!(report_delta(1e-6, 2_000_000, 2_000_000), 1e-6);
        // Never more than the campaign's δ, even if asked for more ε.
        assert_eq!(report_delta(1e-6, 2_000_000, 9_000_000), 1e-6);
        assert_eq!(report_delta(0.0, 2_000_000, 1_000_000), 0.0);
        assert_eq!(report_delta(1e-6, 0, 1_000_000), 0.0);
    }

    /// Reports whose ε adds up to at most the campaign's never spend more
    /// than its δ, however the ε is cut (basic composition in both terms).
    #[test]
    fn delta_is_never_overspent() {
        let campaign_eps = 3_000_000u64;
        let delta = 1e-6;
        for cuts in [
            vec![1_000_000u64, 1_000_000, 1_000_000],
            vec![1, 2_999_999],
            vec![333_333; 9],
            vec![7, 11, 13, 2_999_969],
        ] {
            assert!(cuts.iter().sum::<u64>() <= campaign_eps);
            let spent: f64 = cuts
                .iter()
                .map(|&e| report_delta(delta, campaign_eps, e))
                .sum();
            // Within one rounding per report of δ.
            assert!(spent <= delta * (1.0 + 1e-12), "{cuts:?}: {spent}");
        }
    }

    #[test]
    fn gaussian_sigma_and_bound() {
        // Δ = 1, one value, ρ = 1/2: σ = 1.
        assert!((gaussian_sigma(1.0, 1, 1, 0.5) - 1.0).abs() < 1e-12);
        // Weight 1 of 4 at ρ = 2, Δ = 10: σ = 10·√(4/4) = 10.
        assert!((gaussian_sigma(10.0, 1, 4, 2.0) - 10.0).abs() < 1e-12);
        assert_eq!(gaussian_sigma(1.0, 0, 1, 0.5), 0.0);
        assert_eq!(gaussian_sigma(1.0, 1, 1, 0.0), 0.0);
        // σ = 100, two keyholders, 99%: 100·√2·√(2 ln 200) ≈ 460.3.
        let b = gaussian_error_bound(100.0, 2, 100.0);
        assert_eq!(b, 461.0);
        assert_eq!(gaussian_error_bound(0.0, 2, 100.0), 0.0);
    }

    /// A normal tail check of the subgaussian bound: for a continuous
    /// Gaussian of the same σ the true 99% point is 2.576σ√n; the bound
    /// must be above it and not absurdly so.
    #[test]
    fn gaussian_bound_is_valid_and_not_loose() {
        for (sigma, n) in [(1.0, 1), (37.5, 2), (1e6, 3)] {
            let b = gaussian_error_bound(sigma, n, 100.0);
            let normal = 2.575_829 * sigma * f64::from(n).sqrt();
            assert!(b >= normal, "{b} < {normal}");
            assert!(b <= 1.3 * normal + 1.0, "{b} vs {normal}");
        }
    }

    #[test]
    fn laplace_without_delta_and_for_few_values() {
        let one = [(255u128, 1u32)];
        // δ = 0: Laplace, nothing of δ spent.
        let c = choose(&one, 1, 1.0, 0.0, 2);
        assert_eq!(c.mechanism, Mechanism::DiscreteLaplace);
        assert_eq!((c.delta, c.rho), (0.0, 0.0));
        assert_eq!(c.values[0].scale, 255.0);
        // One value, δ = 1e-6: Laplace still wins (few values).
        assert_eq!(
            choose(&one, 1, 1.0, 1e-6, 2).mechanism,
            Mechanism::DiscreteLaplace
        );
    }

    #[test]
    fn gaussian_for_many_values() {
        // 50 values (an XᵀX), ε = 1, δ = 1e-6, two keyholders.
        let many = vec![(100u128, 1u32); 50];
        let c = choose(&many, 50, 1.0, 1e-6, 2);
        assert_eq!(c.mechanism, Mechanism::DiscreteGaussian);
        assert_eq!(c.delta, 1e-6);
        assert!(c.rho > 0.0);
        let l = laplace(&many, 50, 1.0, 2);
        // Every value more accurate, by a wide margin.
        for (g, l) in c.values.iter().zip(&l.values) {
            assert!(
                g.error_99 * 2.0 < l.error_99,
                "{} vs {}",
                g.error_99,
                l.error_99
            );
            assert!(g.sd < l.sd);
        }
    }

    /// Where the two cross: the number of even-weight values from which the
    /// Gaussian wins at ε = 1, δ = 1e-6, two keyholders. Laplace's error
    /// grows with m, the Gaussian's with √m, so there is exactly one
    /// crossing, and it is between a handful and a few dozen values.
    #[test]
    fn one_crossing_in_the_number_of_values() {
        let winner = |m: usize| choose(&vec![(1u128, 1u32); m], m as u64, 1.0, 1e-6, 2).mechanism;
        let first = (1..200)
            .find(|&m| winner(m) == Mechanism::DiscreteGaussian)
            .expect("the Gaussian wins somewhere below 200 values");
        assert!((3..=40).contains(&first), "crossing at {first}");
        assert!((first..200).all(|m| winner(m) == Mechanism::DiscreteGaussian));
    }
}
