//! Category counts of categorical fields, and out-of-range counts.

use serde::{Deserialize, Serialize};

use crate::json_i128;

/// Noised category counts of one categorical field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Histogram {
    /// The field's name.
    pub field: String,
    /// One entry per category with a released count, in schema order.
    pub counts: Vec<CategoryCount>,
}

/// One bar of a [`Histogram`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CategoryCount {
    /// The category label (free text).
    pub category: String,
    /// The noised count exactly as released: it is *not* clamped or rounded,
    /// so it may be negative (or exceed the report's count) because of noise.
    #[serde(with = "json_i128")]
    #[cfg_attr(feature = "openapi", schema(value_type = json_i128::JsonI128))]
    pub count: i128,
    /// The count made consistent by post-processing (no budget spent): the
    /// closest non-negative integers to the released counts that add up to
    /// the report's count of contributions (every honest contribution is in
    /// exactly one category). Only when every category was released; else
    /// the released count clamped to `0..=count`.
    #[serde(default)]
    pub consistent: u64,
    /// Approximate 95% error of the released count (± 1.96 σ of its
    /// noise); `None` when the noise is not known.
    #[serde(default)]
    pub error_95: Option<f64>,
}

impl Histogram {
    /// Fills every bar's `consistent` count (see [`CategoryCount::consistent`])
    /// for a report over `n` contributions of a field with `categories`
    /// categories.
    pub(super) fn make_consistent(&mut self, n: u64, categories: usize) {
        let raw: Vec<f64> = self.counts.iter().map(|c| c.count as f64).collect();
        let consistent = if self.counts.len() == categories && n > 0 {
            simplex_counts(&raw, n)
        } else {
            raw.iter().map(|&c| c.clamp(0.0, n as f64) as u64).collect()
        };
        for (c, v) in self.counts.iter_mut().zip(consistent) {
            c.consistent = v;
        }
    }
}

/// The non-negative integers adding up to `n` closest to `raw`: the
/// Euclidean projection of `raw` onto `{c ≥ 0, Σc = n}` (the threshold
/// `θ` with `Σ max(rawᵢ − θ, 0) = n`, found over the sorted values), then
/// rounded down with the remainder given to the largest fractional parts
/// (ties to the first). `raw` must not be empty.
pub(super) fn simplex_counts(raw: &[f64], n: u64) -> Vec<u64> {
    let total = n as f64;
    let mut sorted = raw.to_vec();
    sorted.sort_by(|a, b| b.total_cmp(a));
    let mut theta = 0.0;
    let mut prefix = 0.0;
    for (j, u) in sorted.iter().enumerate() {
        prefix += u;
        let t = (prefix - total) / (j + 1) as f64;
        if u - t > 0.0 {
            theta = t;
        }
    }
    let projected: Vec<f64> = raw.iter().map(|u| (u - theta).max(0.0)).collect();
    let mut counts: Vec<u64> = projected.iter().map(|p| p.floor() as u64).collect();
    let assigned: u64 = counts.iter().sum();
    let mut order: Vec<usize> = (0..raw.len()).collect();
    order.sort_by(|&a, &b| {
        let fa = projected[a] - projected[a].floor();
        let fb = projected[b] - projected[b].floor();
        fb.total_cmp(&fa).then(a.cmp(&b))
    });
    let mut left = n.saturating_sub(assigned);
    for &i in &order {
        if left == 0 {
            break;
        }
        counts[i] += 1;
        left -= 1;
    }
    // Rounding can only leave more than the categories can take if the
    // floating-point sum drifted; give the rest to the largest category.
    if left > 0 {
        counts[order[0]] += left;
    }
    let over = counts.iter().sum::<u64>().saturating_sub(n);
    if over > 0 {
        // The floors overshot (float drift): take the excess from the largest.
        let i = (0..counts.len()).max_by_key(|&i| counts[i]).unwrap_or(0);
        counts[i] = counts[i].saturating_sub(over);
    }
    counts
}

/// One entry of [`Derived::out_of_range`] as serialized (the OpenAPI
/// document's description of it).
#[cfg(feature = "openapi")]
#[derive(utoipa::ToSchema)]
pub struct OutOfRangeCount {
    /// The numeric field.
    pub field: String,
    /// Its noised count of out-of-range values, as released.
    #[cfg_attr(feature = "openapi", schema(value_type = json_i128::JsonI128))]
    pub count: i128,
}

/// Serializes `Vec<(String, i128)>` as `[{"field": .., "count": ..}, ..]`.
pub(super) mod out_of_range_serde {
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
