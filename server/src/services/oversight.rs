//! Admin oversight of accounts and campaigns: suspending an account (its
//! sessions end and its identity leaves the registry) or lifting the
//! suspension, unlocking an account locked after failed logins, and a
//! campaign's quality signals. Every change is recorded in the audit log in
//! the same transaction.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::registry::{Registry, RegistryError};
use crate::domain::{CampaignId, JobId, Role, UserId};
use crate::store::contributions::{self as contributions, HourCount, ReasonCount};
use crate::store::tx::Retryable;
use crate::store::users::{self, AccountView};
use crate::store::{audit, campaigns, login_throttle, reports, sessions};

/// Why an oversight action did not happen.
#[derive(Debug, thiserror::Error)]
pub enum OversightError {
    /// No such user.
    #[error("user {0} does not exist")]
    UserNotFound(UserId),
    /// No such campaign.
    #[error("campaign {0} does not exist")]
    CampaignNotFound(CampaignId),
    /// Admins are not suspended here.
    #[error("admin accounts cannot be suspended here")]
    CannotSuspendAdmin,
    /// The account is not locked.
    #[error("this account is not locked")]
    NotLocked,
    /// Only contributors are verified.
    #[error("only contributor accounts are verified")]
    NotAContributor,
    /// The account is verified already.
    #[error("this account is verified already")]
    AlreadyVerified,
    /// The registry change failed.
    #[error(transparent)]
    Registry(#[from] RegistryError),
    /// The database failed.
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
}

impl Retryable for OversightError {
    fn is_retryable(&self) -> bool {
        match self {
            Self::Db(e) => crate::store::is_transient(e),
            Self::Registry(e) => e.is_retryable(),
            _ => false,
        }
    }
}

/// Suspends account `id` (`reason` given: its sessions end, it cannot log
/// in, and its identity leaf leaves the registry so that no new proof under
/// any earlier root is accepted) or lifts the suspension (`None`: the leaf
/// comes back), in the caller's transaction. The caller announces the
/// registry change to the keyholders afterwards.
pub fn set_suspended(
    conn: &mut diesel::PgConnection,
    registry: &Registry,
    admin_id: UserId,
    id: UserId,
    reason: Option<&str>,
) -> Result<AccountView, OversightError> {
    let target = users::account(conn, id, true)?.ok_or(OversightError::UserNotFound(id))?;
    if target.role == Role::Admin.as_str() {
        return Err(OversightError::CannotSuspendAdmin);
    }
    let suspended = reason.is_some();
    users::set_suspended(conn, id, suspended)?;
    registry.set_revoked(conn, id, suspended)?;
    if suspended {
        // Nothing it holds keeps working.
        sessions::revoke_all_of(conn, id)?;
    }
    audit::record(
        conn,
        Some(admin_id),
        if suspended {
            "suspend_user"
        } else {
            "unsuspend_user"
        },
        &format!("user:{id}"),
        serde_json::json!({ "reason": reason }),
    )?;
    users::account(conn, id, false)?.ok_or(OversightError::UserNotFound(id))
}

/// Verifies contributor account `id` (how is the operator's business, off
/// the platform; `reason` says what was checked and is kept in the audit
/// log): it may contribute to campaigns for verified accounts. Its
/// identity, if registered, gets its verified leaf now (else when it
/// registers), in the caller's transaction; the caller announces the
/// registry change to the keyholders afterwards.
pub fn verify(
    conn: &mut diesel::PgConnection,
    registry: &Registry,
    admin_id: UserId,
    id: UserId,
    reason: &str,
) -> Result<AccountView, OversightError> {
    let target = users::account(conn, id, true)?.ok_or(OversightError::UserNotFound(id))?;
    if target.role != Role::Contributor.as_str() {
        return Err(OversightError::NotAContributor);
    }
    if target.verified_at.is_some() {
        return Err(OversightError::AlreadyVerified);
    }
    users::set_verified(conn, id)?;
    let leaf = registry.add_verified(conn, id)?;
    audit::record(
        conn,
        Some(admin_id),
        "verify_user",
        &format!("user:{id}"),
        serde_json::json!({ "reason": reason, "verified_leaf": leaf }),
    )?;
    users::account(conn, id, false)?.ok_or(OversightError::UserNotFound(id))
}

/// Unlocks account `id`, locked after many failed logins.
pub fn unlock(
    conn: &mut diesel::PgConnection,
    admin_id: UserId,
    id: UserId,
) -> Result<AccountView, OversightError> {
    let target = users::account(conn, id, false)?.ok_or(OversightError::UserNotFound(id))?;
    if !login_throttle::unlock(conn, &target.email)? {
        return Err(OversightError::NotLocked);
    }
    audit::record(
        conn,
        Some(admin_id),
        "unlock_user",
        &format!("user:{id}"),
        serde_json::json!({}),
    )?;
    users::account(conn, id, false)?.ok_or(OversightError::UserNotFound(id))
}

/// An out-of-range count, as released (noised) with a report.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct OutOfRange {
    /// The field.
    pub field: String,
    /// Released (noised) count of values outside the declared range.
    pub count: serde_json::Value,
    /// The report that released it.
    pub report_id: JobId,
}

/// Quality signals of a campaign.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Quality {
    /// The campaign.
    pub campaign_id: CampaignId,
    /// Accepted contributions.
    pub accepted: i64,
    /// Refused submissions by reason.
    pub rejected: Vec<ReasonCount>,
    /// Accepted and refused per hour, oldest first (last 7 days).
    pub per_hour: Vec<HourCount>,
    /// The homomorphic out-of-range counts of the latest released report.
    pub out_of_range: Vec<OutOfRange>,
}

/// The out-of-range counts a released report's results carry.
fn out_of_range(report_id: JobId, results: &serde_json::Value) -> Vec<OutOfRange> {
    results["derived"]["out_of_range"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|e| OutOfRange {
                    field: e["field"].as_str().unwrap_or_default().to_string(),
                    count: e["count"].clone(),
                    report_id,
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Campaign `id`'s quality signals: acceptance and refusals by reason,
/// submissions per hour, the latest released out-of-range counts.
pub fn quality(conn: &mut diesel::PgConnection, id: CampaignId) -> Result<Quality, OversightError> {
    let campaign = campaigns::get(conn, id)?.ok_or(OversightError::CampaignNotFound(id))?;
    let out_of_range = match reports::latest_released(conn, id)? {
        Some((report_id, Some(results))) => out_of_range(report_id, &results),
        _ => Vec::new(),
    };
    Ok(Quality {
        campaign_id: id,
        accepted: campaign.contributions,
        rejected: contributions::rejections_by_reason(conn, id)?,
        per_hour: contributions::per_hour(conn, id)?,
        out_of_range,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn out_of_range_counts_are_read_from_the_released_results() {
        let results = serde_json::json!({"derived": {"out_of_range": [
            {"field": "age", "count": 3},
            {"field": "income", "count": -1}
        ]}});
        let got = out_of_range(JobId(7), &results);
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].field, "age");
        assert_eq!(got[0].count, 3);
        assert_eq!(got[1].report_id, JobId(7));
        assert!(out_of_range(JobId(7), &serde_json::json!({"derived": {}})).is_empty());
    }
}
