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
