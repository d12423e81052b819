//! Load benchmark of the read paths (loopback only, bounded in count and time;
//! a benchmark, not a test).
//!
//! Measures throughput and p50/p99 latency of `GET /health` and
//! `GET /api/campaigns` (a contributor's session, several open campaigns) of
//! the real server, at 20 and 200 concurrent keep-alive connections, first
//! alone and then during a bounded stream of invalid submissions (a
//! syntactically valid submission whose Groth16 attestation proof is wrong,
//! so that the server spends a Groth16 verification on each one it lets
//! through) sent without back-off by a few submitters. In the same run, as
//! references for what this machine allows, it measures a bare actix-web
//! handler answering `{"status":"ok"}` and a bare actix-web handler running a
//! single-row `SELECT` through a diesel r2d2 pool on the same database.
//!
//! The server runs with the default rate limits, except registration and
//! login (unlimited, for the set-up): the stream meets the default
//! per-address submission limit and must be answered `429` (or `503 busy`)
//! beyond it.
//!
//! Goals checked: `/health` ≥ 80 % and `GET /api/campaigns` ≥ 50 % of their
//! references' throughput; during the stream, p99 of both no more than 2×
//! their p99 alone. Prints a markdown table, the goal ratios with
//! PASS/FAIL, and the stream's answers by status.
//!
//! Needs the local PostgreSQL (`scripts/pg start`). Run, in the debug build
//! `scripts/run` uses and in release:
//!
//! ```text
//! CIPHERPOOL_TEST_PG=$(scripts/pg url) cargo run -p cipherpool-tests --bin bench-load -- 5 10
//! CIPHERPOOL_TEST_PG=$(scripts/pg url) cargo run -p cipherpool-tests --bin bench-load --release -- 5 10
//! ```
//!
//! Arguments: `[seconds-per-cell=5] [stream-submitters=10]`. Each of the 12
//! cells also has a 1 s warm-up; at the defaults the whole run takes about
//! 2½ minutes on 2 cores, of which about a minute is the set-up (five
//! campaign approvals and one real submission prepared).
//! Per-request log lines are off unless `RUST_LOG` is set (as in
//! `bench-contributions`).

use std::collections::BTreeMap;
use std::net::TcpListener;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::{web, App, HttpResponse, HttpServer};
use anyhow::Context;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use cipherpool_tests::*;
use diesel::sql_types::Integer;
use diesel::{IntoSql, RunQueryDsl};
use protocol::attestation::{self, fr_from_hex, AttestationError};
use protocol::wire::Material;
use serde_json::{json, Value};
use server::config::{RateLimit, RateLimits, Settings};
use server::db::PgPool;
use server::http::error::ApiError;

/// Concurrent connections measured for every target.
const CONCURRENCY: [usize; 2] = [20, 200];
/// Warm-up of every cell before its measurement window.
const WARMUP: Duration = Duration::from_secs(1);
/// Open campaigns besides the one the stream submits to.
const EXTRA_OPEN: usize = 4;
/// Draft campaigns (invisible to contributors, present in the table).
const EXTRA_DRAFTS: usize = 3;
/// Upper bound on the stream's submissions, whatever its duration.
const STREAM_MAX: u64 = 100_000;
/// Goal: `/health` throughput ÷ bare handler throughput.
const GOAL_HEALTH: f64 = 0.8;
/// Goal: `GET /api/campaigns` throughput ÷ bare SELECT throughput.
const GOAL_LIST: f64 = 0.5;
/// Goal: p99 during the stream ÷ p99 alone, at most.
const GOAL_P99: f64 = 2.0;

/// What one load run is aimed at: a URL and an optional bearer token.
#[derive(Clone)]
struct Target {
    /// Label in the table.
    name: &'static str,
    /// Full URL requested with `GET`.
    url: String,
    /// Bearer token sent with every request.
    token: Option<String>,
}

/// The result of one cell: one target at one concurrency for one window.
#[derive(Clone, Copy, Debug)]
struct Cell {
    /// Responses completed in the window, per second.
    rps: f64,
    /// Median latency, milliseconds.
    p50: f64,
    /// 99th-percentile latency, milliseconds.
    p99: f64,
    /// Responses completed in the window that were not 2xx.
    non2xx: u64,
    /// Requests that failed without a response (connection errors, timeouts).
    errors: u64,
}

/// Nearest-rank percentile `p` (0–100) of sorted latencies, in milliseconds.
fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1].as_secs_f64() * 1e3
}

/// Runs `conns` tasks, each on its own keep-alive connection, requesting
/// `target` back to back for [`WARMUP`] and then `window`; measures the window.
async fn measure(target: &Target, conns: usize, window: Duration) -> anyhow::Result<Cell> {
    let clients = (0..conns)
        .map(|_| {
            reqwest::Client::builder()
                .pool_max_idle_per_host(1)
                .timeout(Duration::from_secs(30))
                .build()
        })
        .collect::<Result<Vec<_>, _>>()
        .context("build load clients")?;
    let from = Instant::now() + WARMUP;
    let until = from + window;
    let mut tasks = Vec::with_capacity(conns);
    for client in clients {
        let (url, token) = (target.url.clone(), target.token.clone());
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let (mut non2xx, mut errors) = (0u64, 0u64);
            loop {
                let t0 = Instant::now();
                if t0 >= until {
                    break;
                }
                let mut rq = client.get(&url);
                if let Some(t) = &token {
                    rq = rq.bearer_auth(t);
                }
                let res = async {
                    let r = rq.send().await?;
                    let status = r.status();
                    r.bytes().await?;
                    Ok::<_, reqwest::Error>(status)
                }
                .await;
                let t1 = Instant::now();
                let in_window = t1 >= from && t1 < until;
                match res {
                    Ok(s) => {
                        if in_window {
                            lat.push(t1 - t0);
                            if !s.is_success() {
                                non2xx += 1;
                            }
                        }
                    }
                    Err(_) => {
                        if in_window {
                            errors += 1;
                        }
                        // No spinning on a refused connection.
                        tokio::time::sleep(Duration::from_millis(10)).await;
                    }
                }
            }
            (lat, non2xx, errors)
        }));
    }
    let mut all = Vec::new();
    let (mut non2xx, mut errors) = (0, 0);
    for t in tasks {
        let (lat, n, e) = t.await.context("load task")?;
        all.extend(lat);
        non2xx += n;
        errors += e;
    }
    all.sort_unstable();
    Ok(Cell {
        rps: all.len() as f64 / window.as_secs_f64(),
        p50: percentile(&all, 50.0),
        p99: percentile(&all, 99.0),
        non2xx,
        errors,
    })
}

/// Binds a free loopback port; returns the listener and its base URL.
fn loopback() -> anyhow::Result<(TcpListener, String)> {
    let listener = TcpListener::bind("127.0.0.1:0").context("bind a loopback port")?;
    let port = listener.local_addr()?.port();
    Ok((listener, format!("http://127.0.0.1:{port}")))
}

/// The bare handler: a small JSON answer, nothing else.
async fn bare_ok() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ok"}))
}

/// The bare SELECT handler: one single-row query on a pooled connection
/// (off the executor, as the server's handlers run theirs), as JSON.
async fn bare_select(pool: web::Data<PgPool>) -> Result<HttpResponse, ApiError> {
    let one: i32 = server::db::with_conn(&pool, |conn| {
        Ok(diesel::select(1i32.into_sql::<Integer>()).get_result::<i32>(conn)?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(json!({"one": one})))
}

/// Starts the bare-handler reference (actix defaults: one worker per core,
/// the server's keep-alive); returns its URL.
fn spawn_bare_handler() -> anyhow::Result<String> {
    let (listener, base) = loopback()?;
    let server = HttpServer::new(|| App::new().route("/", web::get().to(bare_ok)))
        .keep_alive(Duration::from_secs(120))
        .listen(listener)?
        .run();
    tokio::spawn(server);
    Ok(format!("{base}/"))
}

/// Starts the bare-SELECT reference on a pool of `size` connections to
/// `db_url` (actix defaults otherwise); returns its URL.
fn spawn_bare_select(db_url: &str, size: u32) -> anyhow::Result<String> {
    let pool = web::Data::new(server::db::build_pool(db_url, size)?);
    let (listener, base) = loopback()?;
    let server = HttpServer::new(move || {
        App::new()
            .app_data(pool.clone())
            .route("/", web::get().to(bare_select))
    })
    .keep_alive(Duration::from_secs(120))
    .listen(listener)?
    .run();
    tokio::spawn(server);
    Ok(format!("{base}/"))
}

/// A running stream of invalid submissions.
struct Stream {
    /// Set to stop the submitters after their request in flight.
    stop: Arc<AtomicBool>,
    /// The submitters; each answers its counts by status (0: no response).
    tasks: Vec<tokio::task::JoinHandle<BTreeMap<u16, u64>>>,
    /// When it started.
    started: Instant,
}

/// Starts `submitters` tasks, each on its own client, posting `body` to
/// `url` back to back without back-off, at most [`STREAM_MAX`] in all.
fn start_stream(url: &str, body: &'static [u8], submitters: usize) -> anyhow::Result<Stream> {
    let stop = Arc::new(AtomicBool::new(false));
    let sent = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for _ in 0..submitters {
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(1)
            .timeout(Duration::from_secs(30))
            .build()
            .context("build stream client")?;
        let (url, stop, sent) = (url.to_string(), stop.clone(), sent.clone());
        tasks.push(tokio::spawn(async move {
            let mut counts = BTreeMap::new();
            while !stop.load(Ordering::Relaxed) && sent.fetch_add(1, Ordering::Relaxed) < STREAM_MAX
            {
                let res = async {
                    let r = client
                        .post(&url)
                        .header("content-type", "application/json")
                        .body(body)
                        .send()
                        .await?;
                    let s = r.status().as_u16();
                    r.bytes().await?;
                    Ok::<_, reqwest::Error>(s)
                }
                .await;
                let status = res.unwrap_or(0);
                *counts.entry(status).or_insert(0) += 1;
                if status == 0 {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            }
            counts
        }));
    }
    Ok(Stream {
        stop,
        tasks,
        started: Instant::now(),
    })
}

impl Stream {
    /// Stops the stream; answers its counts by status and how long it ran.
    async fn finish(self) -> anyhow::Result<(BTreeMap<u16, u64>, Duration)> {
        self.stop.store(true, Ordering::Relaxed);
        let mut all = BTreeMap::new();
        for t in self.tasks {
            for (s, n) in t.await.context("stream task")? {
                *all.entry(s).or_insert(0) += n;
            }
        }
        Ok((all, self.started.elapsed()))
    }
}

/// Creates the set-up's campaigns: one open campaign for the stream (its id
/// is returned), [`EXTRA_OPEN`] more open ones and [`EXTRA_DRAFTS`] drafts.
async fn make_campaigns(app: &TestApp, admin: &TestUser, buyer: &TestUser) -> i64 {
    let open = app
        .open_campaign(admin, buyer, &campaign_body(1, 1_000))
        .await;
    for i in 0..EXTRA_OPEN {
        let mut c = campaign_body(2 + i as i64, 10_000);
        c["title"] = json!(format!("Open campaign {i}"));
        app.open_campaign(admin, buyer, &c).await;
    }
    for _ in 0..EXTRA_DRAFTS {
        app.draft_campaign(buyer, 5_000).await;
    }
    open
}

/// One real submission to campaign `id` by `user`, prepared as the client
/// does (identity registered, record encrypted with its zk-pok, Groth16
/// attestation).
async fn real_submission(app: &TestApp, user: &TestUser, id: i64) -> anyhow::Result<Value> {
    let material: Material = serde_json::from_value(
        body(
            app.get(&format!("/api/campaigns/{id}/material"), None)
                .await,
        )
        .await,
    )
    .context("material")?;
    let pinned = keyholder_keys(&app.address).await;
    let proving_key = pinned_proving_key(&app.client, &app.address, &pinned).await;
    let (secret, identity) = app.registered_identity(user).await;
    let record = json!({"sleep_minutes": 420, "exercise_minutes": 35, "region": "north"});
    let public = fetch_public(&app.client, &app.address, &material).await;
    let sub = prepare_off_thread(
        material,
        public,
        proving_key,
        secret,
        identity,
        record,
        pinned,
    )
    .await
    .map_err(|e| anyhow::anyhow!("prepare contribution: {e:?}"))?;
    Ok(serde_json::to_value(&sub)?)
}

/// Replaces the attestation proof of `sub` by a well-formed but wrong one
/// (points on the curve, so the server runs the full Groth16 check and
/// refuses `attestation_invalid`), checked against the dealt verifying key;
/// answers the corruption used.
fn corrupt_proof(sub: &mut Value) -> anyhow::Result<&'static str> {
    let proof = STANDARD
        .decode(sub["attestation"]["proof"].as_str().context("proof")?)
        .context("proof base64")?;
    let inputs = sub["attestation"]["public_inputs"]
        .as_array()
        .context("public inputs")?
        .iter()
        .map(|h| fr_from_hex(h.as_str().unwrap_or_default()))
        .collect::<Result<Vec<_>, _>>()?;
    let vk = attestation::VerifyingKey::from_bytes(&dealt_attestation_keys(1).1)?;
    attestation::verify_raw(&vk, &proof, &inputs).context("the real proof does not verify")?;
    anyhow::ensure!(
        proof.len() == 128,
        "unexpected proof length {}",
        proof.len()
    );
    let negate_a = |p: &mut Vec<u8>| p[31] ^= 0x80;
    let negate_c = |p: &mut Vec<u8>| p[127] ^= 0x80;
    let swap_a_c = |p: &mut Vec<u8>| {
        let a: Vec<u8> = p[..32].to_vec();
        p.copy_within(96..128, 0);
        p[96..].copy_from_slice(&a);
    };
    type Tamper<'a> = (&'static str, &'a dyn Fn(&mut Vec<u8>));
    let candidates: [Tamper; 3] = [
        ("A negated (y-sign flag of A flipped)", &negate_a),
        ("C negated (y-sign flag of C flipped)", &negate_c),
        ("A and C swapped", &swap_a_c),
    ];
    for (name, f) in candidates {
        let mut bad = proof.clone();
        f(&mut bad);
        if let Err(AttestationError::InvalidProof) = attestation::verify_raw(&vk, &bad, &inputs) {
            sub["attestation"]["proof"] = json!(STANDARD.encode(&bad));
            return Ok(name);
        }
    }
    anyhow::bail!("no corruption of the proof decoded into a wrong proof")
}

/// Formats one table row's numbers for a cell (`—` when absent).
fn cols(c: Option<Cell>) -> String {
    match c {
        Some(c) => format!("{:.0} | {:.2} | {:.2}", c.rps, c.p50, c.p99),
        None => "— | — | —".into(),
    }
}

/// `PASS` or `FAIL`.
fn verdict(ok: bool) -> &'static str {
    if ok {
        "PASS"
    } else {
        "FAIL"
    }
}

/// Sets up the server and the references, runs every cell, prints the report.
#[tokio::main]
async fn main() -> anyhow::Result<()> {
    if std::env::var_os("RUST_LOG").is_some() {
        server::telemetry::init(server::config::LogFormat::Pretty);
    }
    let args: Vec<String> = std::env::args().collect();
    let secs: u64 = match args.get(1) {
        Some(s) => s
            .parse()
            .context("seconds-per-cell must be a whole number")?,
        None => 5,
    };
    let submitters: usize = match args.get(2) {
        Some(s) => s
            .parse()
            .context("stream-submitters must be a whole number")?,
        None => 10,
    };
    anyhow::ensure!(secs >= 1, "seconds-per-cell must be at least 1");
    let window = Duration::from_secs(secs);

    // The server as deployed: default rate limits and pool size; only
    // registration and login unlimited so that the set-up is not refused.
    let defaults = Settings::default();
    let mut settings = test_settings();
    settings.db_pool_size = defaults.db_pool_size;
    settings.rate_limits = RateLimits::default();
    let off = RateLimit {
        per_minute: 0,
        burst: 0,
    };
    settings.rate_limits.register = off;
    settings.rate_limits.login = off;
    let submit_limit = settings.rate_limits.submit;
    let pool_size = settings.db_pool_size;
    let t = Instant::now();
    let app = spawn_app_with(settings).await;
    let admin = app.admin().await;
    let buyer = app.user("buyer").await;
    app.mint(&admin, buyer.id, 1_000_000).await;
    let t_campaigns = Instant::now();
    let open_id = make_campaigns(&app, &admin, &buyer).await;
    let campaigns_secs = t_campaigns.elapsed().as_secs_f64();
    let contributor = app.user("contributor").await;
    let t_submission = Instant::now();
    let mut invalid = real_submission(&app, &contributor, open_id).await?;
    let submission_secs = t_submission.elapsed().as_secs_f64();
    let corruption = corrupt_proof(&mut invalid)?;
    let invalid_bytes: &'static [u8] = Box::leak(serde_json::to_vec(&invalid)?.into_boxed_slice());
    let listed = body(app.get("/api/campaigns", Some(&contributor.token)).await).await;
    let listed = listed.as_array().map_or(0, Vec::len);
    let submit_url = format!("{}/api/campaigns/{open_id}/contributions", app.address);
    // One probe: the invalid submission reaches the Groth16 check and is refused.
    let probe = app
        .client
        .post(&submit_url)
        .header("content-type", "application/json")
        .body(invalid_bytes)
        .send()
        .await?;
    let probe_status = probe.status().as_u16();
    let probe_body: Value = probe.json().await.unwrap_or(Value::Null);
    let probe_code = probe_body["error"]["code"]
        .as_str()
        .unwrap_or("?")
        .to_string();

    let bare_url = spawn_bare_handler()?;
    let select_url = spawn_bare_select(&app.db_url, pool_size)?;
    println!(
        "set-up: {:.1} s ({} campaigns opened in {campaigns_secs:.1} s, one real submission \
         prepared in {submission_secs:.1} s, {} B as JSON)",
        t.elapsed().as_secs_f64(),
        1 + EXTRA_OPEN,
        invalid_bytes.len()
    );

    let health = Target {
        name: "/health",
        url: format!("{}/health", app.address),
        token: None,
    };
    let list = Target {
        name: "GET /api/campaigns",
        url: format!("{}/api/campaigns", app.address),
        token: Some(contributor.token.clone()),
    };
    let bare = Target {
        name: "ref: bare handler",
        url: bare_url,
        token: None,
    };
    let select = Target {
        name: "ref: bare SELECT",
        url: select_url,
        token: None,
    };

    // Alone: references first, then the server's endpoints.
    let mut alone: BTreeMap<(&str, usize), Cell> = BTreeMap::new();
    for target in [&bare, &select, &health, &list] {
        for &c in &CONCURRENCY {
            let cell = measure(target, c, window).await?;
            eprintln!("alone   {:<20} c={c:<3} {cell:?}", target.name);
            alone.insert((target.name, c), cell);
        }
    }

    // During one continuous, bounded stream of invalid submissions.
    let stream = start_stream(&submit_url, invalid_bytes, submitters)?;
    let mut during: BTreeMap<(&str, usize), Cell> = BTreeMap::new();
    for target in [&health, &list] {
        for &c in &CONCURRENCY {
            let cell = measure(target, c, window).await?;
            eprintln!("stream  {:<20} c={c:<3} {cell:?}", target.name);
            during.insert((target.name, c), cell);
        }
    }
    let (answers, stream_time) = stream.finish().await?;

    // Report.
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let profile = if cfg!(debug_assertions) {
        "debug (the build scripts/run uses)"
    } else {
        "release"
    };
    println!();
    println!(
        "machine: {cores} cores (nproc); build: {profile}; {secs} s per cell after {} s warm-up; \
         server pool {pool_size} connections, actix workers = cores; \
         GET /api/campaigns lists {listed} open campaigns to a contributor",
        WARMUP.as_secs()
    );
    println!();
    println!(
        "| target | connections | alone req/s | alone p50 ms | alone p99 ms | \
         during-stream req/s | p50 | p99 | non-2xx (alone/during) |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    for target in [&health, &list, &bare, &select] {
        for &c in &CONCURRENCY {
            let a = alone.get(&(target.name, c)).copied();
            let d = during.get(&(target.name, c)).copied();
            let bad =
                |x: Option<Cell>| x.map_or("—".into(), |x| (x.non2xx + x.errors).to_string());
            println!(
                "| {} | {c} | {} | {} | {}/{} |",
                target.name,
                cols(a),
                cols(d),
                bad(a),
                bad(d)
            );
        }
    }
    println!();
    println!("goals:");
    let ratio = |x: Option<&Cell>, y: Option<&Cell>, f: fn(&Cell) -> f64| match (x, y) {
        (Some(x), Some(y)) => f(x) / f(y),
        _ => f64::NAN,
    };
    for &c in &CONCURRENCY {
        let r = ratio(
            alone.get(&(health.name, c)),
            alone.get(&(bare.name, c)),
            |x| x.rps,
        );
        println!(
            "- c={c}: /health ÷ bare handler throughput = {r:.2} (goal ≥ {GOAL_HEALTH}) {}",
            verdict(r >= GOAL_HEALTH)
        );
        let r = ratio(
            alone.get(&(list.name, c)),
            alone.get(&(select.name, c)),
            |x| x.rps,
        );
        println!(
            "- c={c}: GET /api/campaigns ÷ bare SELECT throughput = {r:.2} (goal ≥ {GOAL_LIST}) {}",
            verdict(r >= GOAL_LIST)
        );
    }
    for target in [&health, &list] {
        for &c in &CONCURRENCY {
            let r = ratio(
                during.get(&(target.name, c)),
                alone.get(&(target.name, c)),
                |x| x.p99,
            );
            println!(
                "- c={c}: {} p99 during ÷ alone = {r:.2} (goal ≤ {GOAL_P99}) {}",
                target.name,
                verdict(r <= GOAL_P99)
            );
        }
    }

    println!();
    let total: u64 = answers.values().sum();
    let verified =
        answers.get(&422).copied().unwrap_or(0) + answers.get(&201).copied().unwrap_or(0);
    let bound = f64::from(submit_limit.burst)
        + f64::from(submit_limit.per_minute) * (stream_time.as_secs_f64() + 1.0) / 60.0;
    let by_status = answers
        .iter()
        .map(|(s, n)| match s {
            0 => format!("no response: {n}"),
            s => format!("{s}: {n}"),
        })
        .collect::<Vec<_>>()
        .join(", ");
    println!(
        "stream: {submitters} submitters for {:.1} s, {total} submissions ({by_status}); \
         invalid proof: {corruption}; probe answered {probe_status} {probe_code}",
        stream_time.as_secs_f64()
    );
    let count = |s: u16| answers.get(&s).copied().unwrap_or(0);
    let refused = count(429) + count(503);
    let unanswered = count(0);
    let other = total - verified - refused - unanswered;
    println!(
        "- stream reaching verification (201/422) = {verified}, bound by the submit limit \
         ({}/min, burst {}) ≈ {bound:.0}; beyond it answered 429/503: {refused}, \
         other statuses: {other}, no response: {unanswered} {}",
        submit_limit.per_minute,
        submit_limit.burst,
        verdict(verified as f64 <= bound && count(201) == 0 && other == 0 && probe_status == 422)
    );
    Ok(())
}
