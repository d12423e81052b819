//! `i128` in JSON: a number while |v| < 2⁵³ (exact in every JSON reader,
//! JavaScript included), else a decimal string; both are accepted back. So
//! the values also survive `serde_json::Value` and PostgreSQL `jsonb`.

use serde::de::{self, Visitor};
use serde::{Deserializer, Serializer};

const EXACT: i128 = 1 << 53;

/// The OpenAPI schema of a value written by this module: an integer while
/// |v| < 2⁵³, else its decimal string (documentation only).
#[cfg(feature = "openapi")]
#[derive(utoipa::ToSchema)]
#[serde(untagged)]
pub enum JsonI128 {
    /// |v| < 2⁵³.
    Number(i64),
    /// Larger values, as decimal digits (`-?[0-9]+`).
    Decimal(String),
}

/// Serializes one value.
pub fn serialize<S: Serializer>(v: &i128, s: S) -> Result<S::Ok, S::Error> {
    if v.abs() < EXACT {
        s.serialize_i64(*v as i64)
    } else {
        s.serialize_str(&v.to_string())
    }
}

struct V;

impl Visitor<'_> for V {
    type Value = i128;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an integer or a decimal string")
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<i128, E> {
        Ok(v.into())
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<i128, E> {
        Ok(v.into())
    }
    fn visit_i128<E: de::Error>(self, v: i128) -> Result<i128, E> {
        Ok(v)
    }
    fn visit_u128<E: de::Error>(self, v: u128) -> Result<i128, E> {
        i128::try_from(v).map_err(E::custom)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<i128, E> {
        v.parse().map_err(E::custom)
    }
}

/// Deserializes one value.
pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<i128, D::Error> {
    d.deserialize_any(V)
}

/// The same for `Option<i128>`.
pub mod option {
    use serde::{Deserialize, Deserializer, Serializer};

    /// Serializes an optional value.
    pub fn serialize<S: Serializer>(v: &Option<i128>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(v) => super::serialize(v, s),
            None => s.serialize_none(),
        }
    }

    #[derive(Deserialize)]
    struct W(#[serde(with = "super")] i128);

    /// Deserializes an optional value.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i128>, D::Error> {
        Ok(Option::<W>::deserialize(d)?.map(|w| w.0))
    }
}
