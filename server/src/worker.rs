//! `cipherpool worker`: computes statistics jobs' shards and reduces them.
//!
//! Any number of workers, on any machine that reaches the database, run the
//! same loop: lease a reduce step whose shards are all computed, else lease
//! a shard (see [`crate::reports`] for the lease rules); compute while a
//! heartbeat thread extends the lease; store the result only while still
//! holding the lease. Contributions stream from PostgreSQL in small batches,
//! so memory stays proportional to the plan, not to the shard.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use diesel::prelude::*;
use fhe_compute::keys::{from_bytes, SERVER_KEY_LIMIT};
use fhe_compute::stats::{Partial, StatsBackend, StatsError};
use tfhe::CompressedServerKey;

use crate::domain::{CampaignId, JobId};
use crate::services::reports;
use crate::store::jobs::{self, JobState, ShardLease};

/// Which engine backend computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum BackendKind {
    /// tfhe on the CPU (always available).
    Cpu,
    /// tfhe's CUDA backend (built with the `gpu` feature).
    Gpu,
}

/// Worker options.
#[derive(Debug, Clone)]
pub struct WorkerOptions {
    /// Lease length; the heartbeat extends it every third of it.
    pub lease_secs: f64,
    /// Sleep between polls when there is nothing to do.
    pub poll: Duration,
    /// The engine backend.
    pub backend: BackendKind,
    /// Contributions fetched per database round trip.
    pub batch: i64,
    /// Leases of one shard, or of one job's reduce, before the job fails
    /// (its buyer refunded) instead of being tried again: a step that
    /// keeps losing its worker (crashes, a lease too short for the
    /// machine) ends instead of cycling for ever.
    pub max_attempts: i32,
}

/// Default of [`WorkerOptions::max_attempts`].
pub const MAX_ATTEMPTS: i32 = 5;

/// A unique name for this worker process (lease owner).
pub fn worker_name() -> String {
    format!(
        "worker:{}:{}",
        std::process::id(),
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    )
}

fn backend_for(
    conn: &mut PgConnection,
    campaign_id: CampaignId,
    kind: BackendKind,
) -> anyhow::Result<Arc<dyn StatsBackend>> {
    let bytes = crate::store::campaigns::server_key(conn, campaign_id)
        .with_context(|| format!("server key of campaign {campaign_id}"))?;
    let key: CompressedServerKey = from_bytes(&bytes, SERVER_KEY_LIMIT, "server key")?;
    match kind {
        BackendKind::Cpu => Ok(Arc::new(fhe_compute::stats::cpu::CpuBackend::new(&key))),
        #[cfg(feature = "gpu")]
        BackendKind::Gpu => Ok(Arc::new(fhe_compute::stats::gpu::GpuBackend::new(&key))),
        #[cfg(not(feature = "gpu"))]
        BackendKind::Gpu => anyhow::bail!("this build has no GPU backend (cargo feature `gpu`)"),
    }
}

/// Streams a shard's stored ciphertexts in id order, `batch` rows at a time.
struct ShardStream<'a> {
    conn: &'a mut PgConnection,
    campaign_id: CampaignId,
    next_id: i64,
    last_id: i64,
    batch: i64,
    buffer: std::collections::VecDeque<Vec<u8>>,
    error: Option<diesel::result::Error>,
}

impl Iterator for ShardStream<'_> {
    type Item = Vec<u8>;

    fn next(&mut self) -> Option<Vec<u8>> {
        if self.buffer.is_empty() && self.error.is_none() && self.next_id <= self.last_id {
            let rows = crate::store::contributions::ciphertexts(
                self.conn,
                self.campaign_id,
                self.next_id..=self.last_id,
                self.batch,
            );
            match rows {
                Ok(rows) => {
                    match rows.last() {
                        Some((id, _)) => self.next_id = id + 1,
                        None => self.next_id = self.last_id + 1,
                    }
                    self.buffer.extend(rows.into_iter().map(|(_, c)| c));
                }
                Err(e) => self.error = Some(e),
            }
        }
        self.buffer.pop_front()
    }
}

/// A failure that ends the job (deterministic: redoing it would fail again).
struct JobFailure(String);

/// The worker's state across iterations.
struct Worker {
    conn: PgConnection,
    url: String,
    owner: String,
    opts: WorkerOptions,
    backend: Option<(CampaignId, Arc<dyn StatsBackend>)>,
}

impl Worker {
    fn backend(&mut self, campaign_id: CampaignId) -> anyhow::Result<Arc<dyn StatsBackend>> {
        if let Some((c, b)) = &self.backend {
            if *c == campaign_id {
                return Ok(b.clone());
            }
        }
        let started = Instant::now();
        let b = backend_for(&mut self.conn, campaign_id, self.opts.backend)?;
        tracing::info!(
            campaign = campaign_id.get(),
            secs = started.elapsed().as_secs_f64(),
            backend = b.name(),
            "evaluation key loaded"
        );
        self.backend = Some((campaign_id, b.clone()));
        Ok(b)
    }

    /// Runs `f` while a heartbeat thread extends a lease with `extend`
    /// (a shard's or a job's reduce, of row `id`).
    fn with_heartbeat<I: Copy + Send + Into<i64>, T>(
        &mut self,
        id: I,
        extend: fn(&mut PgConnection, I, &str, f64) -> diesel::QueryResult<bool>,
        f: impl FnOnce(&mut Self) -> T,
    ) -> T {
        let (stop, stopped) = mpsc::channel::<()>();
        let url = self.url.clone();
        let owner = self.owner.clone();
        let lease = self.opts.lease_secs;
        let every = Duration::from_secs_f64((lease / 3.0).max(0.2));
        std::thread::scope(|scope| {
            scope.spawn(move || {
                let Ok(mut conn) = PgConnection::establish(&url) else {
                    tracing::warn!("heartbeat: cannot connect; the lease may expire");
                    return;
                };
                while let Err(mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(every) {
                    match extend(&mut conn, id, &owner, lease) {
                        Ok(true) => {}
                        Ok(false) => {
                            let id: i64 = id.into();
                            tracing::warn!(id, "lease lost; the result will be discarded");
                            return;
                        }
                        Err(e) => tracing::warn!("heartbeat: {e}"),
                    }
                }
            });
            let out = f(self);
            let _ = stop.send(());
            out
        })
    }

    fn compute_shard(&mut self, shard: &ShardLease) -> anyhow::Result<Result<(), JobFailure>> {
        let spec =
            reports::job_spec(&mut self.conn, shard.job_id).map_err(|e| anyhow::anyhow!("{e}"))?;
        let backend = self.backend(spec.campaign_id)?;
        let started = Instant::now();
        let batch = self.opts.batch;
        let (result, db_error) = self.with_heartbeat(shard.id, jobs::extend_shard_lease, |w| {
            let mut stream = ShardStream {
                conn: &mut w.conn,
                campaign_id: spec.campaign_id,
                next_id: shard.first_contribution_id,
                last_id: shard.last_contribution_id,
                batch,
                buffer: Default::default(),
                error: None,
            };
            let r = backend.aggregate(&spec.plan, &mut stream);
            (r, stream.error)
        });
        if let Some(e) = db_error {
            return Err(e).context("reading the shard's contributions");
        }
        let partial = match result {
            Ok(p) => p,
            Err(StatsError::Fhe(e)) => return Err(e).context("computing the shard"),
            Err(e) => return Ok(Err(JobFailure(e.to_string()))),
        };
        if partial.records != shard.records as u64 {
            return Ok(Err(JobFailure(format!(
                "shard {} folded {} contributions, expected {}",
                shard.id, partial.records, shard.records
            ))));
        }
        let bytes = partial.to_bytes()?;
        let secs = started.elapsed().as_secs_f64();
        if jobs::complete_shard(&mut self.conn, shard.id, &self.owner, &bytes, secs)? {
            tracing::info!(
                job = shard.job_id.get(),
                shard = shard.id.get(),
                records = shard.records,
                secs,
                "shard computed"
            );
        } else {
            tracing::warn!(
                shard = shard.id.get(),
                "lease lost before storing: result discarded"
            );
        }
        Ok(Ok(()))
    }

    fn reduce(&mut self, job_id: JobId) -> anyhow::Result<Result<(), JobFailure>> {
        self.with_heartbeat(job_id, jobs::extend_reduce_lease, |w| {
            w.reduce_leased(job_id)
        })
    }

    fn reduce_leased(&mut self, job_id: JobId) -> anyhow::Result<Result<(), JobFailure>> {
        let spec = reports::job_spec(&mut self.conn, job_id).map_err(|e| anyhow::anyhow!("{e}"))?;
        let backend = self.backend(spec.campaign_id)?;
        let ids = jobs::shard_ids(&mut self.conn, job_id)?;
        // One partial in memory at a time besides the running total.
        let mut total: Option<Partial> = None;
        for id in ids {
            let bytes = jobs::shard_partial(&mut self.conn, id)?;
            let Some(bytes) = bytes else {
                return Ok(Err(JobFailure(format!("shard {id} has no partial"))));
            };
            let p = match Partial::from_bytes(&bytes, &spec.plan) {
                Ok(p) => p,
                Err(e) => return Ok(Err(JobFailure(e.to_string()))),
            };
            total = Some(match total {
                None => p,
                Some(t) => match backend.merge(&spec.plan, &[t, p]) {
                    Ok(m) => m,
                    Err(StatsError::Fhe(e)) => return Err(e).context("merging partials"),
                    Err(e) => return Ok(Err(JobFailure(e.to_string()))),
                },
            });
        }
        let Some(total) = total else {
            return Ok(Err(JobFailure("the job has no shards".into())));
        };
        if total.records != spec.contributions as u64 {
            return Ok(Err(JobFailure(format!(
                "the shards fold {} contributions, the job covers {}",
                total.records, spec.contributions
            ))));
        }
        let bytes = total.to_bytes()?;
        if jobs::complete_reduce(&mut self.conn, job_id, &self.owner, &bytes)? {
            tracing::info!(
                job = job_id.get(),
                records = total.records,
                "job aggregated"
            );
        } else {
            tracing::warn!(job = job_id.get(), "reduce lease lost: result discarded");
        }
        Ok(Ok(()))
    }

    fn fail(&mut self, job_id: JobId, failure: JobFailure) -> anyhow::Result<()> {
        tracing::error!(job = job_id.get(), "job failed: {}", failure.0);
        crate::store::tx::run_tx_sync(&mut self.conn, "fail_job", |c| {
            reports::end_without_results(
                c,
                job_id,
                JobState::Failed,
                "computation_failed",
                &failure.0,
            )
        })
        .map_err(|e| anyhow::anyhow!("{e}"))
    }

    /// One step: a reduce, a shard, or nothing. True when work was done.
    fn step(&mut self) -> anyhow::Result<bool> {
        let lease = self.opts.lease_secs;
        let max = self.opts.max_attempts;
        if let Some((job, attempts)) = jobs::lease_reduce(&mut self.conn, &self.owner, lease)? {
            if attempts > max {
                self.fail(
                    job,
                    JobFailure(format!(
                        "the reduce step was leased {max} times without finishing"
                    )),
                )?;
                return Ok(true);
            }
            if let Err(f) = self.reduce(job)? {
                self.fail(job, f)?;
            }
            return Ok(true);
        }
        if let Some(shard) = jobs::lease_shard(&mut self.conn, &self.owner, lease)? {
            tracing::info!(
                job = shard.job_id.get(),
                shard = shard.id.get(),
                attempt = shard.attempts,
                "shard leased"
            );
            if shard.attempts > max {
                self.fail(
                    shard.job_id,
                    JobFailure(format!(
                        "shard {} was leased {max} times without finishing",
                        shard.id
                    )),
                )?;
                return Ok(true);
            }
            if let Err(f) = self.compute_shard(&shard)? {
                self.fail(shard.job_id, f)?;
            }
            return Ok(true);
        }
        Ok(false)
    }
}

/// Runs the worker loop until `stop` is set.
pub fn run(database_url: &str, opts: WorkerOptions, stop: Arc<AtomicBool>) -> anyhow::Result<()> {
    let owner = worker_name();
    let conn = PgConnection::establish(database_url).context("connecting to the database")?;
    let mut w = Worker {
        conn,
        url: database_url.to_string(),
        owner: owner.clone(),
        opts,
        backend: None,
    };
    tracing::info!(worker = %owner, backend = ?w.opts.backend, "worker started");
    while !stop.load(Ordering::Relaxed) {
        match w.step() {
            Ok(true) => {}
            Ok(false) => std::thread::sleep(w.opts.poll),
            Err(e) => {
                tracing::warn!("worker: {e:#}; retrying");
                std::thread::sleep(w.opts.poll.max(Duration::from_secs(1)));
                if let Ok(c) = PgConnection::establish(database_url) {
                    w.conn = c;
                }
            }
        }
    }
    Ok(())
}
