//! Tests of the accuracy estimates, the propagated errors and the
//! consistent histogram counts.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::accuracy::*;
use super::histogram::simplex_counts;
use super::weights::Weights;
use super::*;

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

/// The exact variance by summing the pmf `(1−p)/(1+p)·p^|x|`.
fn variance_by_pmf(scale: f64) -> f64 {
    let p = (-1.0 / scale).exp();
    let c = (1.0 - p) / (1.0 + p);
    (1..200_000)
        .map(|x| 2.0 * c * p.powi(x) * f64::from(x) * f64::from(x))
        .sum()
}

#[test]
fn discrete_laplace_variance_is_exact() {
    for scale in [0.3, 1.0, 2.5, 10.0, 400.0] {
        let exact = variance_by_pmf(scale);
        let v = discrete_laplace_variance(scale);
        assert!((v - exact).abs() <= 1e-9 * exact, "{scale}: {v} vs {exact}");
    }
    // Large scales: 2b² (the continuous Laplace's) up to a relative 1/(6b²).
    let b = 1e6;
    assert!((discrete_laplace_variance(b) / (2.0 * b * b) - 1.0).abs() < 1e-9);
    assert_eq!(discrete_laplace_variance(0.0), 0.0);
    assert_eq!(
        noise_sd(3.0, 2),
        (2.0 * discrete_laplace_variance(3.0)).sqrt()
    );
}

#[test]
fn bounds_are_the_keyholders_union_bound() {
    // One keyholder's bound is ⌈b·ln(2/δ)⌉ for its share δ/parties.
    assert_eq!(tail_bound(10.0, 200.0), (10.0 * 400f64.ln()).ceil());
    assert_eq!(error_bound(10.0, 2, 100.0), 2.0 * tail_bound(10.0, 200.0));
    assert_eq!(error_bound(0.0, 2, 100.0), 0.0);
    // The 99% bound holds for sums of two discrete Laplace draws.
    let mut rng = StdRng::seed_from_u64(7);
    let scale = 25.0;
    let bound = error_bound(scale, 2, 100.0);
    let draws = 20_000;
    let outside = (0..draws)
        .filter(|_| {
            let total: f64 = (0..2).map(|_| laplace_draw(&mut rng, scale)).sum();
            total.abs() > bound
        })
        .count();
    assert!(
        outside < draws / 100,
        "{outside} of {draws} outside ±{bound}"
    );
}

/// A continuous Laplace draw (inverse CDF), close enough to the discrete
/// one at the scales these tests use.
fn laplace_draw(rng: &mut StdRng, scale: f64) -> f64 {
    let u: f64 = rng.gen_range(-0.5..0.5);
    -scale * u.signum() * (1.0 - 2.0 * u.abs()).ln()
}

#[test]
fn consistent_counts_are_the_nearest_on_the_simplex() {
    // The report: −8, −51, 7 over 10 contributions.
    assert_eq!(simplex_counts(&[-8.0, -51.0, 7.0], 10), vec![0, 0, 10]);
    // Already consistent: unchanged.
    assert_eq!(simplex_counts(&[3.0, 0.0, 7.0], 10), vec![3, 0, 7]);
    // Shifted evenly, remainder to the first tie.
    assert_eq!(simplex_counts(&[4.0, 4.0, 4.0], 10), vec![4, 3, 3]);
    assert_eq!(simplex_counts(&[30.0, 1.0], 10), vec![10, 0]);
    let mut rng = StdRng::seed_from_u64(11);
    for _ in 0..2_000 {
        let k = rng.gen_range(1..9);
        let n = rng.gen_range(1..500u64);
        let raw: Vec<f64> = (0..k).map(|_| rng.gen_range(-400i64..800) as f64).collect();
        let c = simplex_counts(&raw, n);
        assert_eq!(c.iter().sum::<u64>(), n, "{raw:?} {n} → {c:?}");
        // The projection keeps the order of the released counts.
        for i in 0..k {
            for j in 0..k {
                if raw[i] > raw[j] {
                    assert!(c[i] + 1 >= c[j], "{raw:?} {n} → {c:?}");
                }
            }
        }
    }
}

#[test]
fn histograms_are_made_consistent_only_when_complete() {
    let categorical = vec![("mode".to_string(), strings(&["car", "bike", "walk"]))];
    let released = |keys: &[(&str, i128)]| -> Vec<Released> {
        keys.iter()
            .map(|(k, v)| Released {
                key: format!("count:mode:{k}"),
                value: *v,
                noise_scale: 10.0,
                noise_bound_99: 100.0,
                noise_sd: Some(20.0),
            })
            .collect()
    };
    let spec = ReportSpec {
        count: 10,
        numeric_fields: &[],
        categorical_fields: &categorical,
        regression: None,
        crosstabs: &[],
        group_sums: &[],
    };
    let d = derive(&spec, &released(&[("car", -8), ("bike", -51), ("walk", 7)]));
    let h = &d.histograms[0];
    assert_eq!(
        h.counts.iter().map(|c| c.consistent).collect::<Vec<_>>(),
        vec![0, 0, 10]
    );
    assert_eq!(h.counts[0].count, -8, "the released count is kept");
    assert_eq!(h.counts[0].error_95, Some(Z_95 * 20.0));
    // A category missing: clamped only.
    let d = derive(&spec, &released(&[("car", -8), ("walk", 17)]));
    assert_eq!(
        d.histograms[0]
            .counts
            .iter()
            .map(|c| c.consistent)
            .collect::<Vec<_>>(),
        vec![0, 10]
    );
}

/// Plaintext records `[x1, x2, y]`, y = 5 + 2·x1 − 3·x2 + small residual.
fn records(rng: &mut StdRng, n: usize) -> Vec<[i128; 3]> {
    (0..n)
        .map(|_| {
            let x1 = rng.gen_range(0..100i128);
            let x2 = rng.gen_range(0..50i128);
            let y = 5 + 2 * x1 - 3 * x2 + rng.gen_range(-10..=10i128) + 200;
            [x1, x2, y]
        })
        .collect()
}

/// The report of [`records`]: three numeric fields, y regressed on x1, x2.
fn regression_spec<'a>(
    count: usize,
    numeric: &'a [String],
    features: &'a [String],
) -> ReportSpec<'a> {
    ReportSpec {
        count: count as u64,
        numeric_fields: numeric,
        categorical_fields: &[],
        regression: Some((features, "y")),
        crosstabs: &[],
        group_sums: &[],
    }
}

fn exact_aggregates(records: &[[i128; 3]]) -> Vec<(String, i128)> {
    let names = ["x1", "x2", "y"];
    let mut out = Vec::new();
    for i in 0..3 {
        out.push((
            format!("sum:{}", names[i]),
            records.iter().map(|r| r[i]).sum(),
        ));
        out.push((
            format!("sum_of_squares:{}", names[i]),
            records.iter().map(|r| r[i] * r[i]).sum(),
        ));
        for j in i + 1..3 {
            out.push((
                format!("product:{}:{}", names[i], names[j]),
                records.iter().map(|r| r[i] * r[j]).sum(),
            ));
        }
    }
    out
}

/// The propagated errors of the mean, the variance and the regression
/// match the spread of the derived figures over many noise draws.
#[test]
fn propagated_errors_match_simulated_releases() {
    let mut rng = StdRng::seed_from_u64(3);
    let recs = records(&mut rng, 2_000);
    let exact = exact_aggregates(&recs);
    // Per-keyholder scales as a release would use (two keyholders).
    let scale_of = |key: &str| {
        if key.starts_with("sum:") {
            40.0
        } else {
            4_000.0
        }
    };
    let (numeric, features) = (strings(&["x1", "x2", "y"]), strings(&["x1", "x2"]));
    let spec = regression_spec(recs.len(), &numeric, &features);
    let release = |rng: &mut StdRng| -> Vec<Released> {
        exact
            .iter()
            .map(|(key, v)| {
                let b = scale_of(key);
                let noise = laplace_draw(rng, b) + laplace_draw(rng, b);
                Released {
                    key: key.clone(),
                    value: v + noise.round() as i128,
                    noise_scale: b,
                    noise_bound_99: error_bound(b, 2, 100.0),
                    noise_sd: Some(noise_sd(b, 2)),
                }
            })
            .collect()
    };
    let first = derive(&spec, &release(&mut rng));
    let fit = first.regression.clone().unwrap();
    assert!(fit.solved);
    let draws = 3_000;
    let mut means = Vec::new();
    let mut variances = Vec::new();
    let mut betas = Vec::new();
    for _ in 0..draws {
        let d = derive(&spec, &release(&mut rng));
        means.push(d.fields[0].mean.unwrap());
        variances.push(d.fields[0].variance.unwrap());
        let r = d.regression.unwrap();
        betas.push([r.intercept, r.coefficients[0], r.coefficients[1]]);
    }
    let sd = |xs: &[f64]| {
        let m = xs.iter().sum::<f64>() / xs.len() as f64;
        (xs.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (xs.len() - 1) as f64).sqrt()
    };
    let within = |propagated: f64, simulated: f64, what: &str| {
        let ratio = propagated / Z_95 / simulated;
        assert!(
            (0.85..1.15).contains(&ratio),
            "{what}: propagated σ {} vs simulated {simulated}",
            propagated / Z_95
        );
    };
    within(first.fields[0].mean_error_95.unwrap(), sd(&means), "mean");
    within(
        first.fields[0].variance_error_95.unwrap(),
        sd(&variances),
        "variance",
    );
    within(
        fit.intercept_error_95.unwrap(),
        sd(&betas.iter().map(|b| b[0]).collect::<Vec<_>>()),
        "intercept",
    );
    for k in 0..2 {
        within(
            fit.coefficient_errors_95[k],
            sd(&betas.iter().map(|b| b[k + 1]).collect::<Vec<_>>()),
            "coefficient",
        );
    }
}

#[test]
fn errors_are_absent_when_the_noise_is_not_known() {
    let mut rng = StdRng::seed_from_u64(5);
    let recs = records(&mut rng, 50);
    let (numeric, features) = (strings(&["x1", "x2", "y"]), strings(&["x1", "x2"]));
    let spec = regression_spec(recs.len(), &numeric, &features);
    let released: Vec<Released> = exact_aggregates(&recs)
        .into_iter()
        .map(|(key, value)| Released {
            key,
            value,
            noise_scale: 0.0,
            noise_bound_99: 0.0,
            noise_sd: None,
        })
        .collect();
    let d = derive(&spec, &released);
    assert_eq!(d.fields[0].mean_error_95, None);
    assert_eq!(d.fields[0].variance_error_95, None);
    let r = d.regression.unwrap();
    assert!(r.solved);
    assert_eq!(r.intercept_error_95, None);
    assert!(r.coefficient_errors_95.is_empty());
}

/// The reports test's campaign, roughly: age 18–100, score 0–255 (sums,
/// squares, product), a three-category mode, a regression of score on age.
fn browser_campaign(count: u64, epsilon: f64) -> Estimate {
    browser_campaign_weighted(count, epsilon, &Weights::default())
}

fn browser_campaign_weighted(count: u64, epsilon: f64, weights: &Weights) -> Estimate {
    let values: Vec<(String, u128)> = vec![
        ("sum:age".into(), 100),
        ("sum_of_squares:age".into(), 10_000),
        ("sum:score".into(), 255),
        ("sum_of_squares:score".into(), 65_025),
        ("product:age:score".into(), 25_500),
        ("count:mode:car".into(), 1),
        ("count:mode:bike".into(), 1),
        ("count:mode:walk".into(), 1),
    ];
    let ranges = vec![("age".to_string(), 18, 100), ("score".to_string(), 0, 255)];
    let categorical = vec![("mode".to_string(), strings(&["car", "bike", "walk"]))];
    let features = strings(&["age"]);
    estimate(&EstimateInput {
        count,
        epsilon,
        delta: 0.0,
        parties: 2,
        weights,
        values: &values,
        numeric_ranges: &ranges,
        categorical_fields: &categorical,
        regression: Some((&features, "score")),
    })
}

#[test]
fn an_estimate_follows_the_keyholders_mechanism() {
    let e = browser_campaign(10, 1.0);
    assert_eq!(e.values.len(), 8);
    let age = &e.values[0];
    assert_eq!(age.key, "sum:age");
    assert_eq!(age.noise_scale, 800.0, "100 · 8 values / ε 1");
    assert_eq!(age.noise_sd, noise_sd(800.0, 2));
    assert_eq!(age.error_99, error_bound(800.0, 2, 100.0));
    assert_eq!(age.error_95, error_bound(800.0, 2, 20.0));
    assert!(age.error_95 < age.error_99);
    assert_eq!(age.range_max, 1_000.0);
    // Ten contributions at ε = 1: the noise dominates everything.
    assert!(e.values.iter().all(|v| v.noise_dominates));
    assert!(e.fields.iter().all(|f| f.noise_dominates));
    assert!(e.histograms[0].noise_dominates);
    assert_eq!(e.histograms[0].frequency_error_95, 1.0, "capped at 1");
    assert!(e.warnings.len() >= 11, "{:?}", e.warnings);
    assert!(
        e.warnings[0].starts_with("sum:age: the 95% error ±"),
        "{:?}",
        e.warnings
    );
    // The noise of Σage² (σ ≈ 45,000 against a spread of at most 16,810)
    // leaves no fit to speak of.
    let r = e.regression.as_ref().unwrap();
    assert!(r.coefficient_errors_95.is_empty() && r.intercept_error_95.is_none());
    assert!(
        e.warnings
            .last()
            .unwrap()
            .starts_with("regression of score"),
        "{:?}",
        e.warnings
    );
    // The estimate serializes (no infinities in JSON).
    serde_json::to_string(&e).unwrap();

    // A million contributions: nothing dominates, errors shrink as 1/n.
    let big = browser_campaign(1_000_000, 1.0);
    assert!(big.warnings.is_empty(), "{:?}", big.warnings);
    let mean = big.fields[0].mean_error_95.unwrap();
    assert!((mean - Z_95 * noise_sd(800.0, 2) / 1e6).abs() < 1e-12);
    let r = big.regression.as_ref().unwrap();
    assert!(
        r.coefficient_errors_95[0] > 0.0 && r.coefficient_errors_95[0] < 0.1,
        "{r:?}"
    );
    // Twice the ε, half the noise scale.
    let twice = browser_campaign(1_000_000, 2.0);
    assert_eq!(twice.values[0].noise_scale, 400.0);
    assert!(e
        .values
        .iter()
        .all(|v| v.weight == 1 && v.epsilon_share == 1.0 / 8.0));
    assert_eq!(e.weights.len(), 4, "{:?}", e.weights);
}

#[test]
fn weights_move_budget_between_values() {
    // Sums weigh 4, counts 1, the rest 1: W = 2·4 + 3·1 + 3·1 = 14.
    let w = Weights::parse("sum:4").unwrap();
    let e = browser_campaign_weighted(1_000, 1.0, &w);
    let even = browser_campaign(1_000, 1.0);
    assert_eq!(e.values[0].weight, 4);
    assert_eq!(e.values[0].epsilon_share, 4.0 / 14.0);
    assert_eq!(e.values[0].noise_scale, 100.0 * 14.0 / 4.0);
    assert_eq!(e.values[5].noise_scale, 14.0);
    // The shares add up to ε: nothing more is spent.
    let spent: f64 = e.values.iter().map(|v| v.epsilon_share).sum();
    assert!((spent - 1.0).abs() < 1e-12);
    // The sums (and the means) more accurate, the counts less.
    assert!(e.values[0].error_99 < even.values[0].error_99);
    assert!(e.fields[0].mean_error_95 < even.fields[0].mean_error_95);
    assert!(e.values[5].error_99 > even.values[5].error_99);
    assert_eq!(e.weights["sum"], 4);
    assert_eq!(e.weights["count"], 1);
}
