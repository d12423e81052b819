//! Limits on a campaign's release terms, enforced by the server when a
//! campaign is created and again by every keyholder when it generates the
//! campaign's keys (a server cannot widen them).

use crate::epsilon::EPSILON_UNIT;

/// Fewest distinct contributions a campaign may release statistics over.
pub const MIN_CONTRIBUTORS: u64 = 10;
/// Largest `min_contributors` a campaign may ask for.
pub const MAX_MIN_CONTRIBUTORS: u64 = 1_000_000;
/// Largest total privacy budget of a campaign, in whole ε.
pub const MAX_EPSILON: f64 = 10.0;
/// The same in micro-units.
pub const MAX_EPSILON_MICRO: u64 = 10 * EPSILON_UNIT;
