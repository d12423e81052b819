//! The CSV rendering of a report.

use std::fmt::Write as _;

use super::{Derived, Released};

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
