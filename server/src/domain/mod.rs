//! Server-side domain types, parsed from requests before anything touches
//! the database. No HTTP or SQL in here.

pub mod email;
pub mod ids;
pub mod input;
pub mod password;
pub mod role;
pub mod session_token;

pub use email::Email;
pub use ids::{AccountId, CampaignId, JobId, ShardId, UserId};
pub use password::{PasswordError, PasswordPlain};
pub use role::Role;
