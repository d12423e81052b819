//! A campaign's release terms as the keyholder records them when it
//! generates the campaign's keys: checked against the platform's limits
//! (which the server also enforces, but a server is not trusted to), then
//! fixed. Every release is decided from these terms alone.

use keyholder_api::KeyTerms;
use protocol::schema::RawSchema;
use protocol::terms::{MAX_EPSILON_MICRO, MAX_MIN_CONTRIBUTORS, MIN_CONTRIBUTORS};
use protocol::{CampaignSchema, Statistic};
use serde::{Deserialize, Serialize};

/// Why terms were not accepted.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TermsError {
    /// The schema does not parse.
    #[error(transparent)]
    Schema(#[from] protocol::SchemaError),
    /// The terms are outside the platform's limits.
    #[error("invalid release terms: {0}")]
    Invalid(String),
    /// The campaign's keys were generated under other terms, which never change.
    #[error("the campaign's keys were generated under other release terms, which cannot change")]
    Differ,
}

impl TermsError {
    /// The stable error code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Schema(_) => "invalid_schema",
            Self::Invalid(_) => "invalid_terms",
            Self::Differ => "terms_differ",
        }
    }
}

/// The release terms of a campaign, fixed when its keys are generated: the
/// keyholder enforces them on every release, whatever the server asks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CampaignTerms {
    /// The record schema (the keyholder rebuilds each job's plan from it).
    pub schema: RawSchema,
    /// The statistics the campaign may release.
    pub statistics: Vec<Statistic>,
    /// Fewest distinct contributions a released aggregate must cover.
    pub min_contributors: u64,
    /// Total privacy budget, in millionths of ε.
    pub epsilon_micro: u64,
    /// Most contributions the campaign accepts (the plans' overflow bound).
    pub max_contributions: u64,
    /// δ of the (ε, δ) promise: 0 (pure ε, discrete Laplace only) unless
    /// the campaign asked for one. Terms recorded before δ existed read 0.
    #[serde(default)]
    pub delta: f64,
    /// The schema version contributions' zk-pok proofs bind to.
    #[serde(default = "keyholder_api::first_schema_version")]
    pub schema_version: u32,
}

impl CampaignTerms {
    /// Checks terms asked for with a key request: the schema parses, the
    /// statistics are the schema's, `min_contributors` is at least the
    /// platform's floor, `0 < ε ≤` the platform's ceiling, and the bound on
    /// contributions is one the statistics engine can plan for.
    pub fn parse(
        schema: RawSchema,
        terms: &KeyTerms,
    ) -> Result<(CampaignSchema, Self), TermsError> {
        let parsed = CampaignSchema::parse(schema.clone())?;
        let statistics = parsed
            .check_statistics(&terms.statistics)
            .map_err(|e| TermsError::Invalid(e.to_string()))?;
        if !(MIN_CONTRIBUTORS..=MAX_MIN_CONTRIBUTORS).contains(&terms.min_contributors) {
            return Err(TermsError::Invalid(format!(
                "min_contributors must be between {MIN_CONTRIBUTORS} and {MAX_MIN_CONTRIBUTORS}"
            )));
        }
        if !(1..=MAX_EPSILON_MICRO).contains(&terms.epsilon_micro) {
            return Err(TermsError::Invalid(format!(
                "epsilon_micro must be between 1 and {MAX_EPSILON_MICRO}"
            )));
        }
        if !(1..=fhe_compute::stats::MAX_PLAN_RECORDS).contains(&terms.max_contributions) {
            return Err(TermsError::Invalid(format!(
                "max_contributions must be between 1 and {}",
                fhe_compute::stats::MAX_PLAN_RECORDS
            )));
        }
        protocol::terms::check_delta(terms.delta, terms.max_contributions)
            .map_err(|e| TermsError::Invalid(e.to_string()))?;
        Ok((
            parsed,
            Self {
                schema,
                statistics,
                min_contributors: terms.min_contributors,
                epsilon_micro: terms.epsilon_micro,
                max_contributions: terms.max_contributions,
                delta: terms.delta,
                schema_version: terms.schema_version,
            },
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema() -> RawSchema {
        serde_json::from_value(serde_json::json!({
            "fields": [{"type": "numeric", "name": "age", "bits": 8}]
        }))
        .unwrap()
    }

    fn terms(min: u64, eps: u64, max: u64) -> KeyTerms {
        KeyTerms {
            statistics: vec![Statistic::Sum],
            min_contributors: min,
            epsilon_micro: eps,
            max_contributions: max,
            delta: 0.0,
            schema_version: 1,
        }
    }

    #[test]
    fn terms_outside_the_platform_limits_are_refused() {
        assert!(CampaignTerms::parse(schema(), &terms(10, 1_000_000, 100)).is_ok());
        assert!(CampaignTerms::parse(schema(), &terms(10, MAX_EPSILON_MICRO, 1)).is_ok());
        for bad in [
            terms(9, 1_000_000, 100),
            terms(0, 1_000_000, 100),
            terms(MAX_MIN_CONTRIBUTORS + 1, 1_000_000, 100),
            terms(10, 0, 100),
            terms(10, MAX_EPSILON_MICRO + 1, 100),
            terms(10, 1_000_000, 0),
            terms(10, 1_000_000, fhe_compute::stats::MAX_PLAN_RECORDS + 1),
        ] {
            let e = CampaignTerms::parse(schema(), &bad).unwrap_err();
            assert_eq!(e.code(), "invalid_terms", "{bad:?}");
        }
        let mut delta = terms(10, 1_000_000, 100);
        delta.delta = 1e-6;
        assert_eq!(
            CampaignTerms::parse(schema(), &delta).unwrap().1.delta,
            1e-6
        );
        for bad in [1e-2, 1e-16, -1e-6, f64::NAN] {
            delta.delta = bad;
            let e = CampaignTerms::parse(schema(), &delta).unwrap_err();
            assert_eq!(e.code(), "invalid_terms", "{bad}");
        }
        let mut other = terms(10, 1_000_000, 100);
        other.statistics = vec![Statistic::Regression];
        assert!(CampaignTerms::parse(schema(), &other).is_err());
    }
}
