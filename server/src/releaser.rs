//! The `cipherpool releaser` role: a loop, apart from the HTTP server (which
//! only serves), that leases aggregated report jobs and has the keyholders
//! release them ([`crate::services::release`]), and announces registry
//! changes the keyholders have not confirmed yet (one of them was
//! unreachable when an identity registered or was revoked). Run one or
//! several, on any machine that reaches the database and the keyholders:
//! a job's release is leased, so each job is released once.

use std::sync::Arc;
use std::time::Duration;

use keyholder_api::Keyholders;
use secrecy::ExposeSecret;

use crate::config::Settings;
use crate::services::{registry, release};
use crate::store::tx::PgPool;

/// A release loop, ready to run.
pub struct Releaser {
    pool: PgPool,
    keyholders: Arc<dyn Keyholders>,
    poll: Duration,
    lease_secs: f64,
    owner: String,
}

impl Releaser {
    /// The loop `settings` describe (database, keyholders, poll interval,
    /// lease); the database must be migrated already.
    pub fn from_settings(settings: &Settings) -> anyhow::Result<Self> {
        Ok(Self {
            pool: crate::db::build_pool(&settings.database_url, 2)?,
            keyholders: Arc::new(crate::startup::keyholder_group(
                &settings.keyholder_url,
                settings.keyholder_token.expose_secret(),
            )?),
            poll: Duration::from_millis(settings.poll_ms),
            lease_secs: settings.release_lease_secs,
            owner: format!(
                "releaser:{}:{}",
                std::process::id(),
                &uuid::Uuid::new_v4().simple().to_string()[..8]
            ),
        })
    }

    /// One pass: announces pending registry changes, then releases one job
    /// if one is aggregated. True when a job was handled.
    pub async fn step(&self) -> bool {
        if let Err(e) = registry::announce_pending(&self.pool, self.keyholders.as_ref()).await {
            tracing::warn!("announcing the registry to the keyholders: {e}");
        }
        match release::release_one(
            &self.pool,
            self.keyholders.as_ref(),
            &self.owner,
            self.lease_secs,
        )
        .await
        {
            Ok(handled) => handled,
            Err(e) => {
                tracing::warn!("release loop: {e}");
                false
            }
        }
    }

    /// Runs until the future is dropped: at once after a job, every `poll`
    /// when idle.
    pub async fn run(self) {
        loop {
            if !self.step().await {
                tokio::time::sleep(self.poll).await;
            }
        }
    }
}
