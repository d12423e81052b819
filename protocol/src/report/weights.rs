//! Budget weights: how a report's ε is split over its released values.
//!
//! Every released value belongs to one *kind*, the first part of its key
//! (`sum`, `sum_of_squares`, `product`, `count`, `out_of_range`,
//! `crosstab`, `group_sum`). A buyer may weight kinds with integers
//! `1..=`[`MAX_WEIGHT`] (default 1): value `i` of weight `wᵢ` gets
//! `εᵢ = ε · wᵢ / W` with `W = Σⱼ wⱼ` over all the report's values (basic
//! composition: the εᵢ add up to ε), so its noise scale is
//! `Δᵢ · W / (wᵢ · ε)`. Equal weights are today's even split. Integers keep
//! the keyholders' scales exact rationals.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The kinds of released values a weight can name.
pub const KINDS: [&str; 7] = [
    "sum",
    "sum_of_squares",
    "product",
    "count",
    "out_of_range",
    "crosstab",
    "group_sum",
];

/// The largest weight.
pub const MAX_WEIGHT: u32 = 1_000;

/// Why weights were refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WeightsError {
    /// Not one of [`KINDS`].
    #[error("`{0}` is not a kind of released value (one of: {kinds})", kinds = KINDS.join(", "))]
    UnknownKind(String),
    /// A kind this report releases no value of.
    #[error("this report releases no `{0}` value")]
    NotReleased(String),
    /// Outside `1..=MAX_WEIGHT`.
    #[error("the weight of `{0}` must be an integer from 1 to {MAX_WEIGHT}")]
    OutOfRange(String),
    /// Not `kind:weight,kind:weight`.
    #[error("weights are written kind:weight,kind:weight (e.g. sum:4,count:1)")]
    Syntax,
}

/// Weights by kind; a kind not named weighs 1.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(transparent)]
pub struct Weights(pub BTreeMap<String, u32>);

/// The kind of a released value's key (`sum` of `sum:age`).
pub fn kind_of(key: &str) -> &str {
    key.split(':').next().unwrap_or(key)
}

impl Weights {
    /// Whether every kind weighs 1 (nothing named, or only 1s).
    pub fn is_even(&self) -> bool {
        self.0.values().all(|w| *w == 1)
    }

    /// Parses `kind:weight,kind:weight` (a query parameter); empty: none.
    pub fn parse(text: &str) -> Result<Self, WeightsError> {
        let mut map = BTreeMap::new();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (kind, weight) = part.split_once(':').ok_or(WeightsError::Syntax)?;
            let weight: u32 = weight
                .trim()
                .parse()
                .map_err(|_| WeightsError::OutOfRange(kind.trim().to_string()))?;
            if map.insert(kind.trim().to_string(), weight).is_some() {
                return Err(WeightsError::Syntax);
            }
        }
        Ok(Self(map))
    }

    /// Checks every named kind against [`KINDS`], the kinds of `keys` (the
    /// report's values) and `1..=MAX_WEIGHT`.
    pub fn check<'a>(
        &self,
        keys: impl IntoIterator<Item = &'a str> + Clone,
    ) -> Result<(), WeightsError> {
        for (kind, weight) in &self.0 {
            if !KINDS.contains(&kind.as_str()) {
                return Err(WeightsError::UnknownKind(kind.clone()));
            }
            if !(1..=MAX_WEIGHT).contains(weight) {
                return Err(WeightsError::OutOfRange(kind.clone()));
            }
            if !keys.clone().into_iter().any(|k| kind_of(k) == kind) {
                return Err(WeightsError::NotReleased(kind.clone()));
            }
        }
        Ok(())
    }

    /// The weight of the value `key`.
    pub fn of(&self, key: &str) -> u32 {
        self.0.get(kind_of(key)).copied().unwrap_or(1)
    }

    /// `(wᵢ, W)`: each value's weight, in the order of `keys`, and their sum.
    pub fn split<'a>(&self, keys: impl IntoIterator<Item = &'a str>) -> (Vec<u32>, u64) {
        let w: Vec<u32> = keys.into_iter().map(|k| self.of(k)).collect();
        let total = w.iter().map(|w| u64::from(*w)).sum();
        (w, total)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_check_and_split() {
        let keys = [
            "sum:age",
            "sum_of_squares:age",
            "count:mode:car",
            "count:mode:bike",
        ];
        let w = Weights::parse("sum:4, count:2").unwrap();
        w.check(keys).unwrap();
        assert_eq!(w.split(keys), (vec![4, 1, 2, 2], 9));
        assert!(!w.is_even());
        assert!(Weights::parse("").unwrap().is_even());
        assert!(Weights::parse("sum:1").unwrap().is_even());
        assert_eq!(Weights::default().split(keys), (vec![1; 4], 4));
        // Labels may contain ':': the kind is the first part only.
        assert_eq!(w.of("count:mode:a:b"), 2);

        assert_eq!(Weights::parse("sum"), Err(WeightsError::Syntax));
        assert_eq!(Weights::parse("sum:1,sum:2"), Err(WeightsError::Syntax));
        assert_eq!(
            Weights::parse("sum:-1"),
            Err(WeightsError::OutOfRange("sum".into()))
        );
        let refused = |text: &str| Weights::parse(text).unwrap().check(keys).unwrap_err();
        assert_eq!(refused("sum:0"), WeightsError::OutOfRange("sum".into()));
        assert_eq!(refused("sum:1001"), WeightsError::OutOfRange("sum".into()));
        assert_eq!(refused("mean:2"), WeightsError::UnknownKind("mean".into()));
        assert_eq!(
            refused("product:2"),
            WeightsError::NotReleased("product".into())
        );
        // JSON: an object of kinds.
        let json: Weights = serde_json::from_str(r#"{"sum": 3}"#).unwrap();
        assert_eq!(json.of("sum:x"), 3);
        assert!(serde_json::from_str::<Weights>(r#"{"sum": 1.5}"#).is_err());
    }
}
