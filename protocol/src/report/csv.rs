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
///   category `c`; `crosstab:<r>:<c>:<i>:<j>` becomes statistic `crosstab`,
///   field `r*c`, category `<row label> × <column label>` (`i × j` when the
///   table was not derived); `group_sum:<f>:<by>:<c>` becomes statistic
///   `group_sum`, field `f`, category `<by>=<c>`; any other key puts its
///   first part in `statistic` and the rest in `field`;
/// * derived rows with empty noise columns: `mean,<field>` and
///   `variance,<field>` per numeric field (when defined), then
///   `regression_intercept` and one `regression_coefficient,<feature>` per
///   feature when the regression was solved (nothing when it was not);
///   per contingency table one `conditional_frequency,<r>*<c>,<row> × <column>`
///   per defined cell, then `chi_square,<r>*<c>` and
///   `chi_square_degrees_of_freedom,<r>*<c>` when χ² is defined; per group
///   sum one `group_mean,<f>,<by>=<category>` per defined mean.
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
        let (statistic, field, category) = split_key(&r.key, derived);
        push_row(
            &mut out,
            [
                statistic,
                &field,
                &category,
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
    for t in &derived.crosstabs {
        let field = format!("{}*{}", t.rows, t.columns);
        for row in &t.table {
            for (cell, p) in row.counts.iter().zip(&row.conditional) {
                if let Some(p) = p {
                    let category = format!("{} × {}", row.category, cell.category);
                    let value = p.to_string();
                    push_row(
                        &mut out,
                        ["conditional_frequency", &field, &category, &value, "", ""],
                    );
                }
            }
        }
        if let Some(chi) = t.chi_square {
            push_row(
                &mut out,
                ["chi_square", &field, "", &chi.to_string(), "", ""],
            );
            let df = t.degrees_of_freedom.to_string();
            push_row(
                &mut out,
                ["chi_square_degrees_of_freedom", &field, "", &df, "", ""],
            );
        }
    }
    for g in &derived.group_sums {
        for group in &g.groups {
            if let Some(mean) = group.mean {
                let category = format!("{}={}", g.by, group.category);
                push_row(
                    &mut out,
                    ["group_mean", &g.field, &category, &mean.to_string(), "", ""],
                );
            }
        }
    }
    out
}

/// Splits a released key into CSV `(statistic, field, category)`.
fn split_key<'a>(key: &'a str, derived: &Derived) -> (&'a str, String, String) {
    let (kind, rest) = key.split_once(':').unwrap_or((key, ""));
    match kind {
        "count" => {
            let (field, category) = rest.split_once(':').unwrap_or((rest, ""));
            ("histogram", field.to_string(), category.to_string())
        }
        "crosstab" => {
            let parts: Vec<&str> = rest.splitn(4, ':').collect();
            let [rows, columns, i, j] = parts[..] else {
                return (kind, rest.to_string(), String::new());
            };
            let label = derived
                .crosstabs
                .iter()
                .find(|t| t.rows == rows && t.columns == columns)
                .and_then(|t| {
                    let row = t.table.get(i.parse::<usize>().ok()?)?;
                    let column = row.counts.get(j.parse::<usize>().ok()?)?;
                    Some(format!("{} × {}", row.category, column.category))
                })
                .unwrap_or_else(|| format!("{i} × {j}"));
            ("crosstab", format!("{rows}*{columns}"), label)
        }
        "group_sum" => {
            let parts: Vec<&str> = rest.splitn(3, ':').collect();
            match parts[..] {
                [field, by, category] => {
                    ("group_sum", field.to_string(), format!("{by}={category}"))
                }
                _ => (kind, rest.to_string(), String::new()),
            }
        }
        "product" => {
            let field = match rest.split_once(':') {
                Some((l, r)) => format!("{l}*{r}"),
                None => rest.to_string(),
            };
            ("product", field, String::new())
        }
        _ => (kind, rest.to_string(), String::new()),
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
