//! Contingency tables (crosstabs) and per-category sums (group sums).
//!
//! Both are post-processing of noised counts and sums. Counts are clamped
//! at 0 before they are used as weights or denominators (a negative count
//! is noise, and a frequency or an expected count below 0 means nothing);
//! the released values themselves are reported unchanged.

use serde::{Deserialize, Serialize};

use super::histogram::CategoryCount;
use crate::json_i128;

/// A released contingency table of two categorical fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Crosstab {
    /// The field whose categories are the rows.
    pub rows: String,
    /// The field whose categories are the columns.
    pub columns: String,
    /// One row per category of `rows`, in schema order.
    pub table: Vec<CrosstabRow>,
    /// Pearson's χ² statistic of independence over the counts clamped at
    /// 0, rows and columns whose clamped total is 0 left out; `None` when
    /// fewer than two rows or two columns remain. Noise inflates it (it adds
    /// variance to every cell): compare it with its degrees of freedom with
    /// that in mind, and only when the counts dwarf their noise bound.
    pub chi_square: Option<f64>,
    /// (rows − 1)·(columns − 1) over the rows and columns kept for χ².
    pub degrees_of_freedom: u32,
}

/// One row of a [`Crosstab`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CrosstabRow {
    /// The row's category.
    pub category: String,
    /// The noised count of each column's category, as released (may be
    /// negative), in schema order.
    pub counts: Vec<CategoryCount>,
    /// The conditional frequency of each column's category within this
    /// row, P(column | row), from the counts clamped at 0; `None` when the
    /// row's clamped total is 0.
    pub conditional: Vec<Option<f64>>,
}

/// Released sums of one numeric field per category of a categorical one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GroupSums {
    /// The numeric field summed.
    pub field: String,
    /// The categorical field of the groups.
    pub by: String,
    /// One group per category of `by`, in schema order.
    pub groups: Vec<Group>,
}

/// One group of [`GroupSums`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Group {
    /// The category.
    pub category: String,
    /// The noised Σ field over the group, as released.
    #[serde(with = "json_i128")]
    #[cfg_attr(feature = "openapi", schema(value_type = json_i128::JsonI128))]
    pub sum: i128,
    /// The noised size of the group (the category's count), as released.
    #[serde(with = "json_i128")]
    #[cfg_attr(feature = "openapi", schema(value_type = json_i128::JsonI128))]
    pub count: i128,
    /// `sum / count`, the group's mean; `None` when the noised count is
    /// below 1 (no meaningful denominator).
    pub mean: Option<f64>,
}

/// The table of `rows` × `columns` from a lookup of released values; `None`
/// when a cell was not released.
pub(super) fn crosstab(
    rows: (&str, &[String]),
    columns: (&str, &[String]),
    get: &dyn Fn(&str) -> Option<i128>,
) -> Option<Crosstab> {
    let (row_field, row_categories) = rows;
    let (column_field, column_categories) = columns;
    let mut counts = Vec::with_capacity(row_categories.len());
    for i in 0..row_categories.len() {
        let row: Option<Vec<i128>> = (0..column_categories.len())
            .map(|j| get(&format!("crosstab:{row_field}:{column_field}:{i}:{j}")))
            .collect();
        counts.push(row?);
    }
    let clamped: Vec<Vec<f64>> = counts
        .iter()
        .map(|r| r.iter().map(|c| (*c).max(0) as f64).collect())
        .collect();
    let row_totals: Vec<f64> = clamped.iter().map(|r| r.iter().sum()).collect();
    let column_totals: Vec<f64> = (0..column_categories.len())
        .map(|j| clamped.iter().map(|r| r[j]).sum())
        .collect();
    let (chi_square, degrees_of_freedom) = chi_square(&clamped, &row_totals, &column_totals);
    let table = row_categories
        .iter()
        .zip(counts)
        .zip(clamped.iter().zip(&row_totals))
        .map(|((category, counts), (clamped, total))| CrosstabRow {
            category: category.clone(),
            counts: column_categories
                .iter()
                .zip(counts)
                .map(|(c, count)| CategoryCount {
                    category: c.clone(),
                    count,
                    // Cells are clamped at 0 (as for the frequencies);
                    // their noise is in the released values.
                    consistent: u64::try_from(count.max(0)).unwrap_or(u64::MAX),
                    error_95: None,
                })
                .collect(),
            conditional: clamped
                .iter()
                .map(|c| (*total > 0.0).then(|| c / total))
                .collect(),
        })
        .collect();
    Some(Crosstab {
        rows: row_field.to_string(),
        columns: column_field.to_string(),
        table,
        chi_square,
        degrees_of_freedom,
    })
}

/// Pearson's χ² over the rows and columns with a positive total, and its
/// degrees of freedom.
fn chi_square(cells: &[Vec<f64>], rows: &[f64], columns: &[f64]) -> (Option<f64>, u32) {
    let kept_rows: Vec<usize> = (0..rows.len()).filter(|i| rows[*i] > 0.0).collect();
    let kept_columns: Vec<usize> = (0..columns.len()).filter(|j| columns[*j] > 0.0).collect();
    if kept_rows.len() < 2 || kept_columns.len() < 2 {
        return (None, 0);
    }
    let total: f64 = rows.iter().sum();
    let mut chi = 0.0;
    for &i in &kept_rows {
        for &j in &kept_columns {
            let expected = rows[i] * columns[j] / total;
            chi += (cells[i][j] - expected).powi(2) / expected;
        }
    }
    let df = (kept_rows.len() - 1) * (kept_columns.len() - 1);
    (Some(chi), df as u32)
}

/// The groups of Σ `field` by the categories of `by`; `None` when a sum or
/// a group's count was not released.
pub(super) fn group_sums(
    field: &str,
    by: (&str, &[String]),
    get: &dyn Fn(&str) -> Option<i128>,
) -> Option<GroupSums> {
    let (by, categories) = by;
    let groups = categories
        .iter()
        .map(|category| {
            let sum = get(&format!("group_sum:{field}:{by}:{category}"))?;
            let count = get(&format!("count:{by}:{category}"))?;
            Some(Group {
                category: category.clone(),
                sum,
                count,
                mean: (count >= 1).then(|| sum as f64 / count as f64),
            })
        })
        .collect::<Option<Vec<_>>>()?;
    Some(GroupSums {
        field: field.to_string(),
        by: by.to_string(),
        groups,
    })
}
