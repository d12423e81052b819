//! Statistics reports: a buyer's purchase is one statistics job.
//!
//! Purchase (one transaction): the campaign row is locked; the job must
//! cover at least `min_contributors` accepted contributions and fit the
//! campaign's remaining privacy budget; the price moves from the buyer's
//! wallet to the platform account; the job snapshots the campaign's
//! contributions (ids up to the newest) and splits them into shards of
//! contiguous ids. Workers compute the shards and reduce them
//! (`crate::worker`, leases in `store::jobs`); the release loop
//! (`crate::reports::release`) has the keyholders release the aggregate. A
//! job that ends without results is refunded exactly once.

use fhe_compute::stats::StatsPlan;
use protocol::epsilon::Epsilon;
use protocol::report::weights::{Weights, WeightsError};
use protocol::{CampaignSchema, Statistic, TokenAmount};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::campaigns::max_contributions;
use crate::domain::{CampaignId, JobId, UserId};
use crate::store::campaigns::{self, Status};
use crate::store::jobs::JobState;
use crate::store::ledger::{self, LedgerError, TransferKind};
use crate::store::reports::{self as store, NewJob, ReportView};
use crate::store::tx::{self, Retryable};

/// A report purchase request.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PurchaseRequest {
    /// Privacy budget this report spends (0 < ε ≤ the campaign's remaining
    /// budget). Default: the campaign's whole budget ε.
    pub epsilon: Option<f64>,
    /// How ε is split over the released values, by kind (`sum`,
    /// `sum_of_squares`, `product`, `count`, `out_of_range`, `crosstab`,
    /// `group_sum`): integer weights 1–1,000, a kind not named weighs 1.
    /// Default: evenly.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<std::collections::BTreeMap<String, u32>>)]
    pub weights: Option<Weights>,
}

/// Why a report was not sold (or a job not planned or ended).
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// No such campaign, or not the buyer's.
    #[error("campaign {0} does not exist")]
    CampaignNotFound(CampaignId),
    /// Reports are sold for open or closed campaigns only.
    #[error("campaign {id} is {}; reports are sold for open or closed campaigns", .status.as_str())]
    WrongState {
        /// The campaign.
        id: CampaignId,
        /// Its state.
        status: Status,
    },
    /// The campaign asks only for the (public) count.
    #[error(
        "this campaign asks only for the count, which is public (contributions on the campaign)"
    )]
    NothingToRelease,
    /// Fewer contributions than the release threshold.
    #[error(
        "the campaign has {have} contributions; statistics are released only over at least {min}"
    )]
    BelowMinContributors {
        /// Contributions so far.
        have: i64,
        /// The threshold.
        min: i32,
    },
    /// The requested ε is not a number above 0.
    #[error("epsilon must be a number with ε > 0")]
    InvalidEpsilon,
    /// The budget weights do not fit the report.
    #[error("invalid budget weights: {0}")]
    InvalidWeights(#[from] WeightsError),
    /// The requested ε is above the campaign's whole budget.
    #[error("epsilon must be at most the campaign's budget ε = {0}")]
    EpsilonAboveBudget(Epsilon),
    /// The campaign's remaining budget is smaller than the request.
    #[error(
        "the campaign's privacy budget ε = {total} has {left} left; this report needs {wanted}"
    )]
    BudgetExhausted {
        /// The campaign's ε.
        total: Epsilon,
        /// What is left.
        left: Epsilon,
        /// What the report needs.
        wanted: Epsilon,
    },
    /// The buyer's wallet cannot pay the price (nothing debited).
    #[error("a report costs {needed} tokens; the wallet holds {available}")]
    InsufficientFunds {
        /// The wallet's balance.
        available: i64,
        /// The price.
        needed: i64,
    },
    /// The price is not a valid amount.
    #[error(transparent)]
    Amount(#[from] protocol::AmountError),
    /// A stored schema or statistics list that does not plan.
    #[error("{0}")]
    Corrupt(String),
    /// The ledger failed.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    /// The database failed.
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
}

impl Retryable for ReportError {
    fn is_retryable(&self) -> bool {
        match self {
            Self::Db(e) => tx::is_transient(e),
            Self::Ledger(e) => e.is_retryable(),
            _ => false,
        }
    }
}

fn corrupt(e: impl std::fmt::Display) -> ReportError {
    ReportError::Corrupt(e.to_string())
}

/// The campaign's schema and the plan of its statistics.
pub fn campaign_plan(
    conn: &mut diesel::PgConnection,
    campaign_id: CampaignId,
    statistics: &[Statistic],
    max_records: u64,
) -> Result<(CampaignSchema, StatsPlan), ReportError> {
    let raw = campaigns::schema(conn, campaign_id)?;
    let schema =
        CampaignSchema::parse(serde_json::from_value(raw).map_err(corrupt)?).map_err(corrupt)?;
    let plan = StatsPlan::new(&schema, statistics, max_records).map_err(corrupt)?;
    Ok((schema, plan))
}

/// The ε a purchase asks for out of a campaign's `budget`: all of it by
/// default, else a positive ε no larger than the budget.
pub fn wanted(requested: Option<f64>, budget: Epsilon) -> Result<Epsilon, ReportError> {
    let Some(e) = requested else {
        return Ok(budget);
    };
    let e = Epsilon::parse(e).map_err(|_| ReportError::InvalidEpsilon)?;
    if e > budget {
        return Err(ReportError::EpsilonAboveBudget(budget));
    }
    Ok(e)
}

/// Buys a statistics report of `campaign_id` for `buyer_id`, in the caller's
/// transaction: checks, payment, snapshot and shards.
pub fn purchase(
    conn: &mut diesel::PgConnection,
    buyer_id: UserId,
    campaign_id: CampaignId,
    req: &PurchaseRequest,
    price: i64,
    shard_size: i64,
    parties: u32,
) -> Result<ReportView, ReportError> {
    // Serialize purchases of one campaign (budget accounting), then read it
    // (as the API shows it: statistics parsed, a missing one is answered below).
    campaigns::lock(conn, campaign_id)?;
    let campaign = campaigns::get(conn, campaign_id)?
        .filter(|c| c.buyer_id == buyer_id)
        .ok_or(ReportError::CampaignNotFound(campaign_id))?;
    if !matches!(campaign.status, Status::Open | Status::Closed) {
        return Err(ReportError::WrongState {
            id: campaign_id,
            status: campaign.status,
        });
    }
    let max_records = max_contributions(campaign.budget, campaign.reward);
    let (_, plan) = campaign_plan(conn, campaign_id, &campaign.statistics, max_records)?;
    if plan.aggregates.is_empty() {
        return Err(ReportError::NothingToRelease);
    }
    let weights = req.weights.clone().unwrap_or_default();
    let keys = plan.keys();
    weights.check(keys.iter().map(String::as_str))?;
    let ids = crate::store::contributions::ids(conn, campaign_id)?;
    let n = ids.len() as i64;
    if n < i64::from(campaign.min_contributors) || ids.is_empty() {
        return Err(ReportError::BelowMinContributors {
            have: n,
            min: campaign.min_contributors,
        });
    }
    let budget = Epsilon::parse(campaign.epsilon).map_err(corrupt)?;
    let wanted = wanted(req.epsilon, budget)?;
    let (reserved, _) = store::reserved(conn, campaign_id)?;
    let reserved = Epsilon::from_micro(reserved.max(0) as u64);
    let left = budget.remaining(reserved);
    if wanted > left {
        return Err(ReportError::BudgetExhausted {
            total: budget,
            left,
            wanted,
        });
    }
    let payment = if price > 0 {
        let wallet = ledger::wallet_of(conn, buyer_id)?;
        let platform = ledger::platform_account(conn)?;
        let t = ledger::transfer(
            conn,
            wallet,
            platform,
            TokenAmount::parse(price)?,
            TransferKind::ReportPurchase,
            &format!("campaign {campaign_id}"),
        )
        .map_err(|e| match e {
            LedgerError::InsufficientFunds { available, needed } => {
                ReportError::InsufficientFunds { available, needed }
            }
            other => other.into(),
        })?;
        Some(t.id)
    } else {
        None
    };
    // The mechanism the keyholders will pick (the same deterministic
    // choice): what the report spends is recorded in both terms.
    let choice = noise_choice(&plan, &weights, wanted, budget, campaign.delta, parties);
    let shards: Vec<&[i64]> = ids.chunks(shard_size.max(1) as usize).collect();
    let job_id = store::insert(
        conn,
        &NewJob {
            campaign_id,
            buyer_id,
            statistics: serde_json::to_value(&campaign.statistics).map_err(corrupt)?,
            max_records: max_records as i64,
            last_contribution_id: ids[ids.len() - 1],
            contributions: n,
            epsilon_micro: wanted.micro() as i64,
            weights: serde_json::to_value(&weights).map_err(corrupt)?,
            mechanism: choice.mechanism.name(),
            delta: choice.delta,
            rho: choice.rho,
            price,
            payment_transfer_id: payment,
            status: JobState::Computing,
            shards_total: shards.len() as i32,
        },
        &shards,
    )?;
    store::view(conn, job_id)?.ok_or_else(|| corrupt(format!("job {job_id} vanished")))
}

/// The noise mechanism the keyholders will release a report of `plan`
/// with, spending `wanted` of the campaign's ε `budget` (and δ in
/// proportion), `weights` splitting it: the keyholders' own deterministic
/// choice ([`protocol::report::mechanism::choose`]).
fn noise_choice(
    plan: &fhe_compute::stats::StatsPlan,
    weights: &protocol::report::weights::Weights,
    wanted: Epsilon,
    budget: Epsilon,
    campaign_delta: f64,
    parties: u32,
) -> protocol::report::mechanism::Choice {
    use protocol::report::mechanism;
    let keys = plan.keys();
    let (split, total) = weights.split(keys.iter().map(String::as_str));
    let values: Vec<(u128, u32)> = plan
        .aggregates
        .iter()
        .zip(split)
        .map(|(a, w)| (a.sensitivity, w))
        .collect();
    let delta = mechanism::report_delta(campaign_delta, budget.micro(), wanted.micro());
    mechanism::choose(&values, total, wanted.as_f64(), delta, parties)
}

/// The schema's fields as derivation (and the accuracy estimate) needs them.
pub(crate) struct SpecFields {
    pub numeric: Vec<String>,
    /// Numeric fields with the range their values are clamped to.
    pub ranges: Vec<(String, u64, u64)>,
    pub categorical: Vec<(String, Vec<String>)>,
    pub regression: Option<(Vec<String>, String)>,
    pub crosstabs: Vec<(String, String)>,
    pub group_sums: Vec<(String, String)>,
}

impl SpecFields {
    /// The fields of `schema` that the `statistics` release figures of.
    pub(crate) fn of(schema: &protocol::CampaignSchema, statistics: &[Statistic]) -> Self {
        let mut numeric = Vec::new();
        let mut ranges = Vec::new();
        let mut categorical = Vec::new();
        for f in schema.fields() {
            match &f.kind {
                protocol::schema::FieldKind::Numeric(num) => {
                    numeric.push(f.name.clone());
                    let (lo, hi) = num
                        .range
                        .map_or((0, num.bits.max_value()), |r| (r.min, r.max));
                    ranges.push((f.name.clone(), lo, hi));
                }
                protocol::schema::FieldKind::Categorical(c) => {
                    categorical.push((f.name.clone(), c.categories.clone()))
                }
            }
        }
        let regression = schema
            .regression()
            .filter(|_| statistics.contains(&Statistic::Regression))
            .map(|r| (r.features.clone(), r.target.clone()));
        let crosstabs = schema
            .crosstabs()
            .iter()
            .filter(|_| statistics.contains(&Statistic::Crosstab))
            .map(|c| (c.rows.clone(), c.columns.clone()))
            .collect();
        let group_sums = schema
            .group_sums()
            .iter()
            .filter(|_| statistics.contains(&Statistic::GroupSum))
            .map(|g| (g.field.clone(), g.by.clone()))
            .collect();
        Self {
            numeric,
            ranges,
            categorical,
            regression,
            crosstabs,
            group_sums,
        }
    }
}

/// What a report's buyer is told before buying: the estimate at the
/// campaign's current count of contributions and the ε asked for.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ReportEstimate {
    /// The campaign.
    pub campaign_id: CampaignId,
    /// Reports are sold over at least this many contributions.
    pub min_contributors: i32,
    /// ε the campaign has left (not yet spent or reserved by a report).
    pub epsilon_left: f64,
    /// The campaign's δ (0: pure ε, the Laplace mechanism only).
    pub campaign_delta: f64,
    /// δ the campaign has left (its δ less what its reports spent or
    /// reserved).
    pub delta_left: f64,
    /// The price of a report, in tokens.
    pub price: i64,
    /// The accuracy every released and derived figure would have.
    #[serde(flatten)]
    pub estimate: protocol::report::accuracy::Estimate,
}

/// The accuracy of a report of `campaign_id` bought now as `req` asks
/// (ε default: the campaign's whole budget; weights default: even), as its buyer (or an admin,
/// `any_buyer`) asks. Refused as a purchase would be for a campaign that
/// releases nothing or an ε out of bounds; answered below the
/// contributor threshold too (the buyer sees how far it is).
pub fn estimate(
    conn: &mut diesel::PgConnection,
    buyer_id: UserId,
    any_buyer: bool,
    campaign_id: CampaignId,
    req: &PurchaseRequest,
    parties: u32,
    price: i64,
) -> Result<ReportEstimate, ReportError> {
    let weights = req.weights.clone().unwrap_or_default();
    let campaign = campaigns::get(conn, campaign_id)?
        .filter(|c| any_buyer || c.buyer_id == buyer_id)
        .ok_or(ReportError::CampaignNotFound(campaign_id))?;
    let max_records = max_contributions(campaign.budget, campaign.reward);
    let (schema, plan) = campaign_plan(conn, campaign_id, &campaign.statistics, max_records)?;
    if plan.aggregates.is_empty() {
        return Err(ReportError::NothingToRelease);
    }
    let budget = Epsilon::parse(campaign.epsilon).map_err(corrupt)?;
    let wanted = wanted(req.epsilon, budget)?;
    let keys = plan.keys();
    weights.check(keys.iter().map(String::as_str))?;
    let (reserved, reserved_delta) = store::reserved(conn, campaign_id)?;
    let reserved = Epsilon::from_micro(reserved.max(0) as u64);
    let count = crate::store::contributions::count(conn, campaign_id)?;
    let fields = SpecFields::of(&schema, &campaign.statistics);
    let values: Vec<(String, u128)> = plan
        .aggregates
        .iter()
        .map(|a| (a.kind.key(), a.sensitivity))
        .collect();
    let estimate =
        protocol::report::accuracy::estimate(&protocol::report::accuracy::EstimateInput {
            count: count.max(0) as u64,
            epsilon: wanted.as_f64(),
            delta: protocol::report::mechanism::report_delta(
                campaign.delta,
                budget.micro(),
                wanted.micro(),
            ),
            parties,
            weights: &weights,
            values: &values,
            numeric_ranges: &fields.ranges,
            categorical_fields: &fields.categorical,
            regression: fields
                .regression
                .as_ref()
                .map(|(f, t)| (f.as_slice(), t.as_str())),
        });
    Ok(ReportEstimate {
        campaign_id,
        min_contributors: campaign.min_contributors,
        epsilon_left: budget.remaining(reserved).as_f64(),
        campaign_delta: campaign.delta,
        delta_left: (campaign.delta - reserved_delta).max(0.0),
        price,
        estimate,
    })
}

/// Ends a job without results (`final_status` refused or failed), refunding
/// its price once, in the caller's transaction.
pub fn end_without_results(
    conn: &mut diesel::PgConnection,
    job_id: JobId,
    final_status: JobState,
    code: &str,
    message: &str,
) -> Result<(), ReportError> {
    let p = store::lock_payment(conn, job_id)?;
    let refund = if p.payment_transfer_id.is_some() && p.refund_transfer_id.is_none() && p.price > 0
    {
        let wallet = ledger::wallet_of(conn, p.buyer_id)?;
        let platform = ledger::platform_account(conn)?;
        Some(
            ledger::transfer(
                conn,
                platform,
                wallet,
                TokenAmount::parse(p.price)?,
                TransferKind::ReportRefund,
                &format!("job {job_id}: {code}"),
            )?
            .id,
        )
    } else {
        p.refund_transfer_id
    };
    store::finish_without_results(conn, job_id, final_status, code, message, refund)?;
    Ok(())
}

/// What a worker needs to compute a job's shards or reduce it.
pub struct JobSpec {
    /// The campaign.
    pub campaign_id: CampaignId,
    /// The plan.
    pub plan: StatsPlan,
    /// The snapshot's size.
    pub contributions: i64,
}

/// Loads a job's plan.
pub fn job_spec(conn: &mut diesel::PgConnection, job_id: JobId) -> Result<JobSpec, ReportError> {
    let row = store::spec_row(conn, job_id)?;
    let statistics: Vec<Statistic> = serde_json::from_value(row.statistics).map_err(corrupt)?;
    let (_, plan) = campaign_plan(conn, row.campaign_id, &statistics, row.max_records as u64)?;
    Ok(JobSpec {
        campaign_id: row.campaign_id,
        plan,
        contributions: row.contributions,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_purchase_spends_the_whole_budget_by_default_and_never_more() {
        let budget = Epsilon::parse(1.0).unwrap();
        assert_eq!(wanted(None, budget).unwrap(), budget);
        assert_eq!(wanted(Some(0.25), budget).unwrap().micro(), 250_000);
        assert_eq!(wanted(Some(1.0), budget).unwrap(), budget);
        assert!(matches!(
            wanted(Some(1.5), budget),
            Err(ReportError::EpsilonAboveBudget(_))
        ));
        for bad in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            assert!(
                matches!(wanted(Some(bad), budget), Err(ReportError::InvalidEpsilon)),
                "{bad}"
            );
        }
    }
}
