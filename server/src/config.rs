//! Layered configuration: built-in defaults, then an optional TOML file, then
//! `CIPHERPOOL_*` environment variables (`__` separates nested keys, e.g.
//! `CIPHERPOOL_LOGIN__LOCK_AFTER=100`).

use std::path::Path;

use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize, Serializer};

/// How log lines are written (`log_format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    Pretty,
    /// One JSON object per line.
    Json,
}

/// Writes a secret as itself. Only [`Settings::load`] serializes settings
/// (figment's defaults, whose secrets are empty); `Debug` redacts them.
fn expose<S: Serializer>(secret: &SecretString, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(secret.expose_secret())
}

/// Failed-login throttling.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LoginLimits {
    /// Window, in seconds, after which an address's failures are forgotten.
    pub window_secs: i64,
    /// Failures per client address within the window before it backs off.
    pub free_failures: i32,
    /// Wait after the first failure past the free ones, in seconds; each
    /// further failure doubles it.
    pub backoff_secs: i64,
    /// Longest wait between attempts of one address, in seconds.
    pub max_backoff_secs: i64,
    /// Failures of one account (from any address) within a day before the
    /// account is locked until an admin unlocks it (0: never).
    pub lock_after: i32,
}

/// One rate limit: a bucket of `burst` requests per client address,
/// refilled at `per_minute` (0: no limit).
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct RateLimit {
    /// Requests per minute, sustained.
    pub per_minute: u32,
    /// Requests allowed at once.
    pub burst: u32,
}

/// Per-client-address rate limits (see `throttle.rs`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RateLimits {
    /// Contribution submissions.
    pub submit: RateLimit,
    /// Account registrations.
    pub register: RateLimit,
    /// Login attempts (failed ones also back off, see [`LoginLimits`]).
    pub login: RateLimit,
    /// Campaign key material (JSON, public key, CRS).
    pub material: RateLimit,
}

impl Default for RateLimits {
    fn default() -> Self {
        Self {
            submit: RateLimit {
                per_minute: 60,
                burst: 20,
            },
            register: RateLimit {
                per_minute: 2,
                burst: 10,
            },
            login: RateLimit {
                per_minute: 30,
                burst: 10,
            },
            material: RateLimit {
                per_minute: 60,
                burst: 30,
            },
        }
    }
}

/// Server settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Settings {
    /// PostgreSQL URL of the server's database.
    pub database_url: String,
    /// Address the HTTP server listens on.
    pub listen: String,
    /// Connections in the database pool.
    pub db_pool_size: u32,
    /// Lifetime of a login session, in seconds.
    pub session_ttl_secs: i64,
    /// Largest JSON request body accepted, in bytes.
    pub max_json_bytes: usize,
    /// Failed-login throttling.
    pub login: LoginLimits,
    /// Per-client-address rate limits.
    pub rate_limits: RateLimits,
    /// Proxies whose `X-Forwarded-For` names the client (comma-separated
    /// addresses or CIDR networks; empty: the TCP peer is the client).
    pub trusted_proxies: String,
    /// `pretty` or `json` log lines.
    pub log_format: LogFormat,
    /// Base URLs of the keyholders holding shares of the key set, comma
    /// separated (all of them are needed for every release).
    pub keyholder_url: String,
    /// Bearer tokens of those keyholders (shared secrets), comma separated
    /// in the same order; one token for every keyholder if only one is given.
    #[serde(serialize_with = "expose")]
    pub keyholder_token: SecretString,
    /// How many recent registry roots a contribution's proof may use (a
    /// cap on top of their age).
    pub recent_roots: i64,
    /// How long (seconds) after a newer root replaced it a registry root
    /// stays usable for contributions' proofs, and a notes-tree root for
    /// claims' proofs (the newest always is).
    pub recent_root_secs: i64,
    /// How long (milliseconds) the list of open campaigns as contributors
    /// see it may be answered from memory (0: never). Its counters
    /// (contributions, escrow) may lag by that much; opening, closing,
    /// suspending or resuming a campaign drops it at once.
    pub open_list_cache_ms: u64,
    /// Largest contribution request body, in bytes.
    pub max_contribution_bytes: usize,
    /// Directory of the web front end served at `/` (skipped when missing).
    pub web_dir: String,
    /// Tokens a statistics report costs (buyer's wallet → platform account).
    pub report_price: i64,
    /// Contributions per shard of a statistics job.
    pub report_shard_size: i64,
    /// Lease of a worker on a shard or a reduce, in seconds (extended by a
    /// heartbeat every third of it; a dead worker's shard is redone after it).
    pub worker_lease_secs: f64,
    /// How often idle workers and the release loop poll, in milliseconds.
    pub poll_ms: u64,
    /// Lease of the release loop on one job's release, in seconds: a
    /// release that could not reach every keyholder is tried again after it.
    pub release_lease_secs: f64,
    /// Submissions verified at once (0: one per core).
    pub verify_parallel: usize,
    /// Submissions that may wait for a verification slot; beyond them a
    /// submission is answered `503 busy` at once.
    pub verify_queue: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            database_url: "postgres://cipherpool@127.0.0.1:54329/cipherpool".into(),
            listen: "127.0.0.1:8080".into(),
            db_pool_size: 16,
            session_ttl_secs: 24 * 3600,
            max_json_bytes: 64 * 1024,
            login: LoginLimits {
                window_secs: 15 * 60,
                free_failures: 5,
                backoff_secs: 1,
                max_backoff_secs: 15 * 60,
                lock_after: 100,
            },
            rate_limits: RateLimits::default(),
            trusted_proxies: String::new(),
            log_format: LogFormat::Pretty,
            keyholder_url: "http://127.0.0.1:8081".into(),
            keyholder_token: SecretString::default(),
            recent_roots: 1024,
            recent_root_secs: 1800,
            open_list_cache_ms: 1000,
            max_contribution_bytes: 4 * 1024 * 1024,
            web_dir: "web".into(),
            report_price: 100,
            report_shard_size: 64,
            worker_lease_secs: 60.0,
            poll_ms: 500,
            release_lease_secs: 30.0,
            verify_parallel: 0,
            verify_queue: 32,
        }
    }
}

impl Settings {
    /// Loads defaults < `file` (when given and present, else `cipherpool.toml`
    /// in the working directory if present) < environment.
    pub fn load(file: Option<&Path>) -> Result<Self, Box<figment::Error>> {
        let mut fig = Figment::from(Serialized::defaults(Settings::default()));
        match file {
            Some(path) => fig = fig.merge(Toml::file_exact(path)),
            None => fig = fig.merge(Toml::file("cipherpool.toml")),
        }
        fig.merge(Env::prefixed("CIPHERPOOL_").split("__").only(&[
            "database_url",
            "listen",
            "db_pool_size",
            "session_ttl_secs",
            "max_json_bytes",
            "login.window_secs",
            "login.free_failures",
            "login.backoff_secs",
            "login.max_backoff_secs",
            "login.lock_after",
            "log_format",
            "rate_limits.submit.per_minute",
            "rate_limits.submit.burst",
            "rate_limits.register.per_minute",
            "rate_limits.register.burst",
            "rate_limits.login.per_minute",
            "rate_limits.login.burst",
            "rate_limits.material.per_minute",
            "rate_limits.material.burst",
            "trusted_proxies",
            "keyholder_url",
            "keyholder_token",
            "recent_roots",
            "recent_root_secs",
            "open_list_cache_ms",
            "max_contribution_bytes",
            "web_dir",
            "report_price",
            "report_shard_size",
            "worker_lease_secs",
            "poll_ms",
            "release_lease_secs",
            "verify_parallel",
            "verify_queue",
        ]))
        .extract()
        .map_err(Box::new)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn from_toml(toml: &str) -> Result<Settings, Box<figment::Error>> {
        Figment::from(Serialized::defaults(Settings::default()))
            .merge(Toml::string(toml))
            .extract()
            .map_err(Box::new)
    }

    #[test]
    fn secrets_are_read_but_never_printed_and_log_formats_are_checked() {
        let s = from_toml(
            "keyholder_token = \"s3cret-token-of-the-keyholders\"\nlog_format = \"json\"",
        )
        .expect("settings");
        assert_eq!(
            s.keyholder_token.expose_secret(),
            "s3cret-token-of-the-keyholders"
        );
        assert_eq!(s.log_format, LogFormat::Json);
        let shown = format!("{s:?}");
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(shown.contains("REDACTED"), "{shown}");
        // The defaults went through serialization and back unchanged.
        let d = from_toml("").expect("defaults");
        assert_eq!(d.keyholder_token.expose_secret(), "");
        assert_eq!(d.log_format, LogFormat::Pretty);
        let e = from_toml("log_format = \"yaml\"").unwrap_err().to_string();
        assert!(e.contains("yaml"), "{e}");
    }
}
