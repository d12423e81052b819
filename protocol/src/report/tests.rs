//! Tests of the derivation against plaintext records.

use super::regression::solve;
use super::*;

fn rel(key: &str, value: i128) -> Released {
    Released {
        key: key.to_string(),
        value,
        noise_scale: 0.0,
        noise_bound_99: 0.0,
        noise_sd: None,
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
        crosstabs: &[],
        group_sums: &[],
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
                    count: *n,
                    consistent: *n as u64,
                    error_95: None,
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
        crosstabs: &[],
        group_sums: &[],
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
        crosstabs: &[],
        group_sums: &[],
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
        crosstabs: &[],
        group_sums: &[],
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
        crosstabs: &[],
        group_sums: &[],
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
        crosstabs: &[],
        group_sums: &[],
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
        crosstabs: &[],
        group_sums: &[],
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
        crosstabs: &[],
        group_sums: &[],
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
        crosstabs: &[],
        group_sums: &[],
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
        crosstabs: &[],
        group_sums: &[],
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
            noise_sd: None,
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
        crosstabs: &[],
        group_sums: &[],
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
        crosstabs: &[],
        group_sums: &[],
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
            mean_error_95: None,
            variance_error_95: None,
        }],
        histograms: vec![Histogram {
            field: "mode".into(),
            counts: vec![CategoryCount {
                category: "a, \"b\"".into(),
                count: -3,
                consistent: 0,
                error_95: None,
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
            intercept_error_95: Some(1.5),
            coefficient_errors_95: vec![0.25, 0.125],
        }),
        crosstabs: Vec::new(),
        group_sums: vec![GroupSums {
            field: "age".into(),
            by: "mode".into(),
            groups: vec![Group {
                category: "a".into(),
                sum: big,
                count: 2,
                mean: Some(big as f64 / 2.0),
            }],
        }],
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
        crosstabs: &[],
        group_sums: &[],
    };
    let d = derive(&spec, &released);
    let back: Derived = serde_json::from_str(&serde_json::to_string(&d).unwrap()).unwrap();
    assert_eq!(back, d);
}

#[test]
fn crosstab_frequencies_chi_square_and_group_means() {
    let categorical = vec![
        ("mode".to_string(), strings(&["car", "bike"])),
        ("sex".to_string(), strings(&["f", "m", "x:y"])),
    ];
    let numeric = strings(&["age"]);
    // rows mode, columns sex: [[10, 20, 0], [30, 40, 0]] (an empty column).
    let cells = [[10, 20, 0], [30, 40, 0]];
    let mut released = Vec::new();
    for (i, row) in cells.iter().enumerate() {
        for (j, c) in row.iter().enumerate() {
            released.push(rel(&format!("crosstab:mode:sex:{i}:{j}"), *c));
        }
    }
    released.push(rel("group_sum:age:mode:car", 900));
    released.push(rel("group_sum:age:mode:bike", 700));
    released.push(rel("count:mode:car", 30));
    released.push(rel("count:mode:bike", 0));
    let crosstabs = vec![("mode".to_string(), "sex".to_string())];
    let group_sums = vec![("age".to_string(), "mode".to_string())];
    let spec = ReportSpec {
        count: 100,
        numeric_fields: &numeric,
        categorical_fields: &categorical,
        regression: None,
        crosstabs: &crosstabs,
        group_sums: &group_sums,
    };
    let d = derive(&spec, &released);
    let t = &d.crosstabs[0];
    assert_eq!((t.rows.as_str(), t.columns.as_str()), ("mode", "sex"));
    assert_eq!(t.table[1].category, "bike");
    assert_eq!(t.table[1].counts[1].category, "m");
    assert_eq!(t.table[1].counts[1].count, 40);
    assert_eq!(
        t.table[0].conditional,
        [Some(1.0 / 3.0), Some(2.0 / 3.0), Some(0.0)]
    );
    // E = [[12, 18], [28, 42]] over the non-empty columns.
    let chi = 4.0 / 12.0 + 4.0 / 18.0 + 4.0 / 28.0 + 4.0 / 42.0;
    assert!(close(t.chi_square.unwrap(), chi, 1e-12), "{t:?}");
    assert_eq!(t.degrees_of_freedom, 1);
    let g = &d.group_sums[0];
    assert_eq!((g.field.as_str(), g.by.as_str()), ("age", "mode"));
    assert_eq!(g.groups[0].mean, Some(30.0));
    assert_eq!(g.groups[1].sum, 700);
    assert_eq!(g.groups[1].mean, None, "a group counted 0 has no mean");

    // Noise: negative cells are clamped for frequencies and χ² (a row of
    // only negatives has no frequencies), released values stay as they were.
    let noisy: Vec<Released> = [[-3, 5, 0], [-1, -2, 0]]
        .iter()
        .enumerate()
        .flat_map(|(i, row)| {
            row.iter()
                .enumerate()
                .map(move |(j, c)| rel(&format!("crosstab:mode:sex:{i}:{j}"), *c))
        })
        .collect();
    let d2 = derive(&spec, &noisy);
    let t = &d2.crosstabs[0];
    assert_eq!(t.table[0].counts[0].count, -3);
    assert_eq!(t.table[0].conditional, [Some(0.0), Some(1.0), Some(0.0)]);
    assert_eq!(t.table[1].conditional, [None, None, None]);
    assert_eq!(t.chi_square, None, "one row left");
    // Group sums without their counts, and tables with a cell missing, are
    // not derived.
    assert!(d2.group_sums.is_empty());
    assert!(derive(&spec, &noisy[1..]).crosstabs.is_empty());

    let csv = to_csv(&d, &released);
    let lines: Vec<&str> = csv.lines().collect();
    assert!(
        lines.contains(&"crosstab,mode*sex,bike × m,40,0,0"),
        "{csv}"
    );
    assert!(
        lines.contains(&"crosstab,mode*sex,car × x:y,0,0,0"),
        "{csv}"
    );
    assert!(lines.contains(&"group_sum,age,mode=car,900,0,0"), "{csv}");
    assert!(lines.contains(&"group_mean,age,mode=car,30,,"), "{csv}");
    assert!(!csv.contains("group_mean,age,mode=bike"), "{csv}");
    let bike_f = format!("conditional_frequency,mode*sex,bike × f,{},,", 30.0 / 70.0);
    assert!(lines.contains(&bike_f.as_str()), "{csv}");
    let chi_row = format!("chi_square,mode*sex,,{},,", t_chi(&d));
    assert!(lines.contains(&chi_row.as_str()), "{csv}");
    assert!(lines.contains(&"chi_square_degrees_of_freedom,mode*sex,,1,,"));
    // JSON round trip, and reports stored before these existed still parse.
    let json = serde_json::to_value(&d).unwrap();
    assert_eq!(serde_json::from_value::<Derived>(json.clone()).unwrap(), d);
    let mut old = json;
    old.as_object_mut().unwrap().remove("crosstabs");
    old.as_object_mut().unwrap().remove("group_sums");
    assert!(serde_json::from_value::<Derived>(old)
        .unwrap()
        .crosstabs
        .is_empty());
}

fn t_chi(d: &Derived) -> f64 {
    d.crosstabs[0].chi_square.unwrap()
}
