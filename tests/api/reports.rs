//! Statistics reports: purchase, jobs computed by workers, release by the
//! keyholder (threshold, privacy budget, noise, decryption log), results.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use cipherpool_tests::*;
use diesel::prelude::*;
use fhe_compute::stats::{plaintext_aggregates, StatsPlan};
use protocol::{CampaignSchema, Statistic};
use reqwest::StatusCode;
use serde_json::{json, Value};
use server::schema::{job_shards, jobs};

/// The campaign of these tests: two numeric fields (one with a declared
/// range), a 3-way and a 2-way category, a regression of score on age, a
/// contingency table of the categories and the sums of score per mode.
pub fn report_campaign(reward: i64, budget: i64) -> Value {
    json!({
        "title": "Age and score",
        "description": "Your age, a test score and how you travel.",
        "schema": {"fields": [
            {"type": "numeric", "name": "age", "bits": 8, "range": {"min": 18, "max": 100}},
            {"type": "numeric", "name": "score", "bits": 8},
            {"type": "categorical", "name": "mode", "categories": ["car", "bike", "train"]},
            {"type": "categorical", "name": "sex", "categories": ["f", "m"]}
        ], "regression": {"features": ["age"], "target": "score"},
        "crosstabs": [{"rows": "mode", "columns": "sex"}],
        "group_sums": [{"field": "score", "by": "mode"}]},
        "statistics": ["count", "mean", "variance", "histogram", "regression", "quality",
                       "crosstab", "group_sum"],
        "reward": reward,
        "budget": budget,
        "min_contributors": 10,
        "epsilon": 1.0
    })
}

/// `n` records with spread in every field (the client refuses values outside
/// a declared range, so the out-of-range count of honest records is 0).
pub fn report_records(n: usize) -> Vec<Value> {
    let modes = ["car", "bike", "train"];
    (0..n)
        .map(|i| {
            let age = 20 + (i * 7) % 60;
            let score = (40 + age * 2 + (i * 13) % 17) % 256;
            let sex = ["f", "m"][(i / 2) % 2];
            json!({"age": age, "score": score, "mode": modes[(i * 2 + i / 3) % 3], "sex": sex})
        })
        .collect()
}

/// The exact aggregates of `records`, keyed like the released values.
pub fn expected_aggregates(campaign: &Value, records: &[Value]) -> Vec<(String, i128)> {
    let schema = CampaignSchema::from_json(&campaign["schema"].to_string()).unwrap();
    let stats: Vec<Statistic> = serde_json::from_value(campaign["statistics"].clone()).unwrap();
    let max = (campaign["budget"].as_i64().unwrap() / campaign["reward"].as_i64().unwrap()) as u64;
    let plan = StatsPlan::new(&schema, &stats, max).unwrap();
    let plain: Vec<Vec<u64>> = records
        .iter()
        .map(|r| {
            protocol::record::encode(&schema, r)
                .unwrap()
                .entries
                .iter()
                .map(|e| e.value)
                .collect()
        })
        .collect();
    plan.aggregates
        .iter()
        .map(|a| a.kind.key())
        .zip(
            plaintext_aggregates(&plan, &plain)
                .into_iter()
                .map(|v| v as i128),
        )
        .collect()
}

/// Polls a report until it leaves the computing/releasing states (for at
/// most 20 minutes: a release re-executes the job at every keyholder and
/// squashes, and on a loaded 2-core machine that alone can take minutes).
pub async fn wait_finished(http: &reqwest::Client, base: &str, token: &str, id: i64) -> Value {
    let mut last = Value::Null;
    let deadline = std::time::Instant::now() + Duration::from_secs(1200);
    while std::time::Instant::now() < deadline {
        last = http
            .get(format!("{base}/api/reports/{id}"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if ["released", "refused", "failed"].contains(&last["status"].as_str().unwrap_or("")) {
            return last;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    panic!("report {id} did not finish: {last}");
}

/// `n` in-process workers on `db_url` (5 s leases); set the flag to stop them.
pub fn worker_threads(
    db_url: &str,
    n: usize,
) -> (Arc<AtomicBool>, Vec<std::thread::JoinHandle<()>>) {
    worker_threads_leasing(db_url, n, 5.0)
}

/// The same with leases of `lease_secs`.
pub fn worker_threads_leasing(
    db_url: &str,
    n: usize,
    lease_secs: f64,
) -> (Arc<AtomicBool>, Vec<std::thread::JoinHandle<()>>) {
    let stop = Arc::new(AtomicBool::new(false));
    let handles = (0..n)
        .map(|_| {
            let (url, stop) = (db_url.to_string(), stop.clone());
            std::thread::spawn(move || {
                let opts = server::worker::WorkerOptions {
                    lease_secs,
                    poll: Duration::from_millis(100),
                    backend: server::worker::BackendKind::Cpu,
                    batch: 2,
                    max_attempts: server::worker::MAX_ATTEMPTS,
                };
                server::worker::run(&url, opts, stop).unwrap();
            })
        })
        .collect();
    (stop, handles)
}

/// Runs `n` in-process workers until report `rid` finishes; its final view.
pub async fn finish_with_workers(app: &TestApp, token: &str, rid: i64, n: usize) -> Value {
    let (stop, workers) = worker_threads(&app.db_url, n);
    let done = wait_finished(&app.client, &app.address, token, rid).await;
    stop.store(true, Ordering::Relaxed);
    for w in workers {
        w.join().unwrap();
    }
    done
}

/// A server with its own in-process keyholder (noise on), reports of
/// `price` tokens in shards of `shard_size`, an admin and a buyer.
pub struct ReportWorld {
    pub app: TestApp,
    pub kh_url: String,
    pub kh_dir: std::path::PathBuf,
    pub admin: TestUser,
    pub buyer: TestUser,
}

pub async fn report_world(price: i64, shard_size: i64) -> ReportWorld {
    let (kh_url, kh_dir) = spawn_keyholder_in(true).await;
    let mut settings = test_settings();
    settings.keyholder_url = kh_url.clone();
    settings.report_price = price;
    settings.report_shard_size = shard_size;
    settings.poll_ms = 100;
    let app = spawn_app_with(settings).await;
    let admin = app.admin().await;
    let buyer = app.user("buyer").await;
    ReportWorld {
        app,
        kh_url,
        kh_dir,
        admin,
        buyer,
    }
}

#[tokio::test]
async fn reports_are_refused_below_threshold_budget_or_balance_and_released_with_bounded_noise() {
    let ReportWorld {
        app,
        kh_url,
        kh_dir,
        admin,
        buyer,
    } = report_world(60, 3).await;
    let campaign_json = report_campaign(10, 120);
    // Exactly the budget: nothing left for a report.
    app.mint(&admin, buyer.id, 120).await;
    let id = app.open_campaign(&admin, &buyer, &campaign_json).await;
    let buy = |key: &'static str, body: Value| {
        let app = &app;
        let token = buyer.token.clone();
        async move {
            app.post(
                &format!("/api/campaigns/{id}/reports"),
                Some(&token),
                &body,
                Some(key),
            )
            .await
        }
    };

    // Below min_contributors: refused, nothing debited.
    app.mint(&admin, buyer.id, 100).await;
    assert_error(
        buy("r0", json!({})).await,
        StatusCode::CONFLICT,
        "below_min_contributors",
    )
    .await;
    assert_eq!(app.balance(&buyer).await, 100);

    let records = report_records(10);
    let receipts = contribute_records(&app.client, &app.address, id, &records).await;
    assert_eq!(receipts.len(), 10);
    let c = body(
        app.get(&format!("/api/campaigns/{id}"), Some(&buyer.token))
            .await,
    )
    .await;
    assert_eq!(c["contributions"], 10, "{c}");

    // Before buying: the accuracy the report would have, at this count and
    // the ε asked for (default: the whole budget). Ten contributions at
    // ε = 1: the noise dominates, and the estimate says so.
    let estimate_path = format!("/api/campaigns/{id}/reports/estimate");
    let estimate = body(app.get(&estimate_path, Some(&buyer.token)).await).await;
    assert_eq!(estimate["count"], 10, "{estimate}");
    assert_eq!(estimate["epsilon"], 1.0);
    assert_eq!(estimate["keyholders"], 1);
    assert_eq!(estimate["min_contributors"], 10);
    assert_eq!(estimate["price"], 60);
    assert_eq!(estimate["mechanism"], "discrete_laplace");
    let expected = expected_aggregates(&campaign_json, &records);
    let planned = estimate["values"].as_array().unwrap();
    assert_eq!(
        planned
            .iter()
            .map(|v| v["key"].as_str().unwrap())
            .collect::<Vec<_>>(),
        expected.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>()
    );
    let m = planned.len() as f64;
    // age is clamped to its declared range 18–100: sensitivity 100, not 255.
    assert_eq!(planned[0]["key"], "sum:age");
    assert_eq!(planned[0]["sensitivity"], 100.0);
    assert_eq!(planned[0]["noise_scale"], 100.0 * m);
    assert!(planned.iter().all(|v| v["noise_dominates"] == true));
    assert!(!estimate["warnings"].as_array().unwrap().is_empty());
    let half = body(
        app.get(&format!("{estimate_path}?epsilon=0.5"), Some(&buyer.token))
            .await,
    )
    .await;
    assert_eq!(half["values"][0]["noise_scale"], 200.0 * m);
    // Budget weights: sums weigh 4, every other value 1; the ε shares add
    // up to ε. The report below is bought with these weights.
    let weighted = body(
        app.get(
            &format!("{estimate_path}?weights=sum:4"),
            Some(&buyer.token),
        )
        .await,
    )
    .await;
    let weighted_values = weighted["values"].as_array().unwrap().clone();
    let sums = weighted_values
        .iter()
        .filter(|v| v["key"].as_str().unwrap().starts_with("sum:"))
        .count() as f64;
    let total = m - sums + 4.0 * sums;
    assert_eq!(weighted_values[0]["weight"], 4);
    assert_eq!(weighted_values[0]["noise_scale"], 100.0 * total / 4.0);
    assert_eq!(weighted["weights"]["sum"], 4, "{weighted}");
    let shares: f64 = weighted_values
        .iter()
        .map(|v| v["epsilon_share"].as_f64().unwrap())
        .sum();
    assert!((shares - 1.0).abs() < 1e-9, "{shares}");
    assert!(
        weighted["fields"][0]["mean_error_95"].as_f64().unwrap()
            < estimate["fields"][0]["mean_error_95"].as_f64().unwrap()
    );
    // The campaign's admin may read it; another buyer may not; bad ε or
    // query refused.
    let seen = body(app.get(&estimate_path, Some(&admin.token)).await).await;
    assert_eq!(seen["values"], estimate["values"]);
    let stranger = app.user("buyer").await;
    assert_error(
        app.get(&estimate_path, Some(&stranger.token)).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    for (query, status, code) in [
        (
            "epsilon=0",
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_epsilon",
        ),
        (
            "epsilon=1.5",
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_epsilon",
        ),
        ("epsilon=many", StatusCode::BAD_REQUEST, "invalid_query"),
        ("eps=1", StatusCode::BAD_REQUEST, "invalid_query"),
    ] {
        assert_error(
            app.get(&format!("{estimate_path}?{query}"), Some(&buyer.token))
                .await,
            status,
            code,
        )
        .await;
    }

    // The keyholder itself refuses what is not a job aggregate, and too few
    // contributions, whatever the server sends; nothing is decrypted.
    let stored = stored_contributions(&app.db_url, id);
    let entries: Vec<Value> = stored.iter().map(|c| c.manifest_entry()).collect();
    let a_ciphertext = stored[0].ciphertext.clone();
    let http = reqwest::Client::new();
    let kh = kh_url.as_str();
    let ask = |job: i64, body: Value| async move { ask_keyholder(kh, id, job, &body).await };
    let stats = campaign_json["statistics"].clone();
    let forged = |shards: Value, aggregate: &[u8], eps: u64| {
        json!({"statistics": stats, "requested_by": buyer.id, "epsilon_micro": eps,
               "shards": shards, "aggregate": STANDARD.encode(aggregate)})
    };
    let one_shard = |entries: &[Value]| json!([{ "contributions": entries }]);
    assert_error(
        ask(900, forged(one_shard(&entries), &a_ciphertext, 100_000)).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "not_a_job_aggregate",
    )
    .await;
    assert_error(
        ask(
            901,
            forged(one_shard(&entries[..3]), &a_ciphertext, 100_000),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "below_min_contributors",
    )
    .await;
    let r = http
        .post(format!("{kh_url}/campaigns/{id}/releases/902/noise"))
        .json(&forged(one_shard(&entries), &a_ciphertext, 100_000))
        .send()
        .await
        .unwrap();
    assert_error(r, StatusCode::UNAUTHORIZED, "unauthenticated").await;

    // Insufficient balance (the wallet drained below the price by funding a
    // second campaign): 402, nothing debited, no report.
    let drain = app.draft_campaign(&buyer, 50).await;
    let r = app
        .post(
            &format!("/api/campaigns/{drain}/submit"),
            Some(&buyer.token),
            &json!(null),
            Some("drain"),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(app.balance(&buyer).await, 50);
    assert_error(
        buy("r1", json!({})).await,
        StatusCode::PAYMENT_REQUIRED,
        "insufficient_funds",
    )
    .await;
    assert_eq!(app.balance(&buyer).await, 50);
    let listed = body(
        app.get(&format!("/api/campaigns/{id}/reports"), Some(&buyer.token))
            .await,
    )
    .await;
    assert_eq!(listed, json!([]));

    // Bad requests.
    app.mint(&admin, buyer.id, 10).await;
    assert_error(
        buy("r2", json!({"epsilon": 1.5})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_epsilon",
    )
    .await;
    let r = app
        .post(
            &format!("/api/campaigns/{id}/reports"),
            Some(&buyer.token),
            &json!({}),
            None,
        )
        .await;
    assert_error(r, StatusCode::BAD_REQUEST, "idempotency_key_missing").await;

    // Weights the report does not release: refused, nothing debited.
    assert_error(
        buy("r2w", json!({"weights": {"group_sum": 2, "bogus": 1}})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_weights",
    )
    .await;
    assert_error(
        buy("r2x", json!({"weights": {"sum": 1001}})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_weights",
    )
    .await;
    assert_eq!(app.balance(&buyer).await, 60);

    // The purchase: 60 tokens, the whole ε, sums weighted 4; replayed by its key.
    let r = buy("r3", json!({"weights": {"sum": 4}})).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let report = body(r).await;
    let rid = report["id"].as_i64().unwrap();
    assert_eq!(report["status"], "computing");
    assert_eq!(report["progress"]["shards_total"], 4);
    assert_eq!(report["progress"]["contributions_total"], 10);
    assert_eq!(app.balance(&buyer).await, 0);
    assert_eq!(report["weights"], json!({"sum": 4}));
    let again = body(buy("r3", json!({"weights": {"sum": 4}})).await).await;
    assert_eq!(again["id"], rid);
    assert_eq!(app.balance(&buyer).await, 0);
    // Results do not exist before the release.
    assert_error(
        app.get(&format!("/api/reports/{rid}/results"), Some(&buyer.token))
            .await,
        StatusCode::CONFLICT,
        "report_not_released",
    )
    .await;
    // Another buyer cannot see it.
    let other = app.user("buyer").await;
    assert_eq!(
        app.get(&format!("/api/reports/{rid}"), Some(&other.token))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );

    // Two workers race for the shards.
    let done = finish_with_workers(&app, &buyer.token, rid, 2).await;
    assert_eq!(done["status"], "released", "{done}");
    assert_eq!(done["progress"]["shards_done"], 4);
    assert_eq!(done["progress"]["eta_seconds"], 0.0);

    let results = body(
        app.get(&format!("/api/reports/{rid}/results"), Some(&buyer.token))
            .await,
    )
    .await;
    assert_eq!(results["count"], 10);
    assert_eq!(results["noise"], "discrete_laplace");
    let values = results["values"].as_array().unwrap();
    // The release carries what the estimate announced for those weights:
    // the same scales, the same 99% bounds, the same σ (the keyholder split
    // ε as weighted).
    for (v, e) in values.iter().zip(&weighted_values) {
        assert_eq!(v["key"], e["key"]);
        let close = |a: &Value, b: &Value| {
            let (a, b) = (a.as_f64().unwrap(), b.as_f64().unwrap());
            assert!((a - b).abs() <= 1e-9 * b.abs() + 1.0, "{v} vs {e}");
        };
        close(&v["noise_scale"], &e["noise_scale"]);
        close(&v["noise_bound_99"], &e["error_99"]);
        close(&v["noise_sd"], &e["noise_sd"]);
    }
    // Derived figures with their errors; consistent histogram counts.
    let derived = &results["derived"];
    let age = &derived["fields"][0];
    assert!(
        (age["mean_error_95"].as_f64().unwrap()
            - weighted["fields"][0]["mean_error_95"].as_f64().unwrap())
        .abs()
            < 1e-9,
        "{age}"
    );
    assert!(age["variance_error_95"].as_f64().unwrap() > 0.0, "{age}");
    let mode = derived["histograms"][0]["counts"].as_array().unwrap();
    assert_eq!(
        mode.iter()
            .map(|c| c["consistent"].as_u64().unwrap())
            .sum::<u64>(),
        10
    );
    assert!(mode.iter().all(|c| c["error_95"].as_f64().unwrap() > 0.0));
    assert_eq!(values.len(), expected.len());
    let mut noisy = 0;
    for ((key, exact), v) in expected.iter().zip(values) {
        assert_eq!(v["key"], key.as_str());
        let got = v["value"].as_i64().unwrap() as i128;
        let scale = v["noise_scale"].as_f64().unwrap();
        assert!(scale > 0.0);
        // P(|noise| > b·ln(2·10⁹)) ≤ 10⁻⁹ for a discrete Laplace of scale b.
        let bound = scale * (2e9f64).ln();
        assert!(
            ((got - exact) as f64).abs() <= bound,
            "{key}: {got} vs exact {exact}, bound {bound}"
        );
        noisy += usize::from(got != *exact);
    }
    assert!(noisy > 0, "released values carry noise");
    assert!(results["derived"]["fields"].as_array().unwrap().len() == 2);
    let csv = app
        .get(
            &format!("/api/reports/{rid}/results.csv"),
            Some(&buyer.token),
        )
        .await;
    assert_eq!(csv.status(), StatusCode::OK);
    assert!(csv.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let csv = csv.text().await.unwrap();
    assert!(
        csv.starts_with("statistic,field,category,value,noise_scale,noise_bound_99\ncount,,,10,"),
        "{csv}"
    );
    assert!(csv.contains("\nmean,age,,"), "{csv}");
    assert!(csv.contains("\nhistogram,mode,car,"), "{csv}");
    assert!(csv.contains("\ncrosstab,mode*sex,train × m,"), "{csv}");
    assert!(csv.contains("\ngroup_sum,score,mode=bike,"), "{csv}");
    assert_eq!(
        derived["crosstabs"][0]["table"].as_array().unwrap().len(),
        3
    );
    assert_eq!(
        derived["group_sums"][0]["groups"].as_array().unwrap().len(),
        3
    );

    // Each shard was computed once, its partial counted once.
    let mut conn = PgConnection::establish(&app.db_url).unwrap();
    let shards: Vec<(String, i32)> = job_shards::table
        .filter(job_shards::job_id.eq(rid))
        .select((job_shards::status, job_shards::records))
        .load(&mut conn)
        .unwrap();
    assert_eq!(shards.len(), 4);
    assert!(shards.iter().all(|(s, _)| s == "done"));
    assert_eq!(shards.iter().map(|(_, r)| r).sum::<i32>(), 10);

    // The budget is spent: the server refuses another report, nothing debited...
    app.mint(&admin, buyer.id, 60).await;
    assert_error(
        buy("r4", json!({"epsilon": 0.1})).await,
        StatusCode::CONFLICT,
        "privacy_budget_exhausted",
    )
    .await;
    assert_eq!(app.balance(&buyer).await, 60);
    // ...and so does the keyholder, asked directly with the real aggregate.
    let (aggregate, statistics): (Option<Vec<u8>>, Value) = jobs::table
        .find(rid)
        .select((jobs::aggregate, jobs::statistics))
        .first(&mut conn)
        .unwrap();
    let aggregate = aggregate.unwrap();
    let manifest = job_manifest(&app.db_url, rid);
    let mut real = forged(manifest.clone(), &aggregate, 100_000);
    real["statistics"] = statistics.clone();
    assert_error(
        ask(903, real).await,
        StatusCode::CONFLICT,
        "privacy_budget_exhausted",
    )
    .await;
    // The same job asked again (a server retry) gets the stored answer: the
    // very same partial decryption (no fresh flooding), no new ε; combined,
    // it is exactly the released values.
    let mut retry = forged(manifest, &aggregate, 1_000_000);
    retry["statistics"] = statistics;
    // The weights are part of the request the keyholder verified: the same
    // job asked with other weights (here none) is a conflict.
    assert_error(
        ask(rid, retry.clone()).await,
        StatusCode::CONFLICT,
        "release_conflict",
    )
    .await;
    retry["weights"] = json!({"sum": 4});
    let r = ask(rid, retry.clone()).await;
    assert_eq!(r.status(), StatusCode::OK);
    let replay = body(r).await;
    let again = body(ask(rid, retry).await).await;
    assert_eq!(replay, again);
    assert_eq!(replay["budget_spent_micro"], 1_000_000);
    let partial: fhe_compute::threshold::PartialDecryption =
        serde_json::from_value(replay["partial"].clone()).unwrap();
    let combined = fhe_compute::threshold::combine(&[partial]).unwrap();
    let released: Vec<i128> = results["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["value"].as_i64().unwrap() as i128)
        .collect();
    assert_eq!(combined, released);

    // The decryption log: one release, every refusal, who/what/when/ε.
    let log = std::fs::read_to_string(kh_dir.join("decryptions.log")).unwrap();
    let entries: Vec<Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let outcomes: Vec<(String, String)> = entries
        .iter()
        .map(|e| {
            (
                e["outcome"].as_str().unwrap().into(),
                e["reason"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        outcomes,
        [
            ("refused", "not_a_job_aggregate"),
            ("refused", "below_min_contributors"),
            ("released", ""),
            ("refused", "privacy_budget_exhausted"),
            ("refused", "release_conflict"),
        ]
        .map(|(a, b)| (a.to_string(), b.to_string()))
    );
    let released = &entries[2];
    assert_eq!(released["job"], rid);
    assert_eq!(released["requested_by"], buyer.id);
    assert_eq!(released["epsilon_micro"], 1_000_000);
    assert_eq!(released["records"], 10);
    assert!(released["at"].as_str().is_some());
    // Admins read the same log through the server, and the released
    // out-of-range counts among the campaign's quality signals.
    let d = body(app.get("/api/admin/decryptions", Some(&admin.token)).await).await;
    let d = d.as_array().unwrap();
    assert_eq!(d.len(), 5);
    assert_eq!(d[2]["outcome"], "released");
    assert_eq!(d[2]["job"], rid);
    let q = body(
        app.get(
            &format!("/api/admin/campaigns/{id}/quality"),
            Some(&admin.token),
        )
        .await,
    )
    .await;
    assert_eq!(q["accepted"], 10);
    assert_eq!(q["out_of_range"][0]["field"], "age", "{q}");
    assert_eq!(q["out_of_range"][0]["report_id"], rid);
    app.assert_ledger_consistent(&admin).await;
}

/// A step that keeps losing its worker ends the job instead of cycling for
/// ever: a shard, or a reduce, leased `MAX_ATTEMPTS` times already fails
/// the job at its next lease, the buyer refunded exactly once, no ε spent.
/// And a reduce longer than its lease keeps it: two workers with short
/// leases release a report with every step leased exactly once (before the
/// reduce had a heartbeat, another worker re-leased it for ever).
#[tokio::test]
async fn steps_that_keep_losing_their_worker_end_and_long_reduces_keep_their_lease() {
    let ReportWorld {
        app, admin, buyer, ..
    } = report_world(10, 4).await;
    // This campaign promises (ε, δ) = (1, 10⁻⁶): its reports (12 values and
    // more) are released under the discrete Gaussian.
    let mut campaign_json = report_campaign(10, 120);
    for (delta, why) in [
        (json!(0.5), "out of range"),
        (json!(1e-16), "below the smallest"),
        (json!(-1e-6), "negative"),
        (json!("small"), "not a number"),
    ] {
        campaign_json["delta"] = delta;
        let r = app
            .post("/api/campaigns", Some(&buyer.token), &campaign_json, None)
            .await;
        let status = r.status();
        let b = body(r).await;
        assert!(
            status == StatusCode::UNPROCESSABLE_ENTITY || status == StatusCode::BAD_REQUEST,
            "{why}: {status} {b}"
        );
        if status == StatusCode::UNPROCESSABLE_ENTITY {
            assert_eq!(b["error"]["code"], "invalid_delta", "{why}: {b}");
        }
    }
    // δ must stay below 1/n for the most contributions the budget pays.
    campaign_json["delta"] = json!(1e-4);
    campaign_json["budget"] = json!(100_000);
    assert_error(
        app.post("/api/campaigns", Some(&buyer.token), &campaign_json, None)
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_delta",
    )
    .await;
    campaign_json["budget"] = json!(120);
    campaign_json["delta"] = json!(1e-6);
    app.mint(&admin, buyer.id, 150).await;
    let id = app.open_campaign(&admin, &buyer, &campaign_json).await;
    let c = body(
        app.get(&format!("/api/campaigns/{id}"), Some(&buyer.token))
            .await,
    )
    .await;
    assert_eq!(c["delta"], 1e-6, "{c}");
    // The keyholder signed δ with the terms, and the client checked that
    // signature before contributing.
    contribute_records(&app.client, &app.address, id, &report_records(10)).await;
    let estimate = body(
        app.get(
            &format!("/api/campaigns/{id}/reports/estimate?epsilon=0.5"),
            Some(&buyer.token),
        )
        .await,
    )
    .await;
    assert_eq!(estimate["mechanism"], "discrete_gaussian", "{estimate}");
    assert_eq!(estimate["delta"], 5e-7, "{estimate}");
    assert_eq!(estimate["campaign_delta"], 1e-6);
    assert_eq!(estimate["delta_left"], 1e-6);
    let rho = estimate["rho"].as_f64().unwrap();
    assert_eq!(rho, protocol::report::zcdp::rho_for(0.5, 5e-7));
    let planned = estimate["values"].as_array().unwrap().clone();
    let m = planned.len() as f64;
    assert!(m >= 12.0);
    // σ = Δ·√(m/(2ρ)) for every value, with its ρ share.
    for v in &planned {
        let sigma = v["sensitivity"].as_f64().unwrap() * (m / (2.0 * rho)).sqrt();
        assert!(
            (v["noise_scale"].as_f64().unwrap() / sigma - 1.0).abs() < 1e-9,
            "{v}"
        );
        assert!(
            (v["rho_share"].as_f64().unwrap() - rho / m).abs() < 1e-15,
            "{v}"
        );
    }
    let before = app.balance(&buyer).await;
    let buy = |key: &'static str| {
        let (app, token) = (&app, buyer.token.clone());
        async move {
            let r = app
                .post(
                    &format!("/api/campaigns/{id}/reports"),
                    Some(&token),
                    &json!({"epsilon": 0.5}),
                    Some(key),
                )
                .await;
            assert_eq!(r.status(), StatusCode::CREATED);
            body(r).await["id"].as_i64().unwrap()
        }
    };
    let sql = |q: String| {
        let pool = app.pool.clone();
        async move {
            tokio::task::spawn_blocking(move || {
                diesel::sql_query(q)
                    .execute(&mut pool.get().unwrap())
                    .unwrap()
            })
            .await
            .unwrap()
        }
    };
    let max = server::worker::MAX_ATTEMPTS;
    // Every shard of one job already leased MAX times; the reduce of
    // another.
    let shard_job = buy("shards").await;
    sql(format!(
        "UPDATE job_shards SET attempts = {max} WHERE job_id = {shard_job}"
    ))
    .await;
    let done = finish_with_workers(&app, &buyer.token, shard_job, 1).await;
    assert_eq!(done["status"], "failed", "{done}");
    assert_eq!(done["error"]["code"], "computation_failed", "{done}");
    assert!(
        done["error"]["message"]
            .as_str()
            .unwrap()
            .contains("leased"),
        "{done}"
    );
    // (Its shards marked computed: the reduce is leased, and fails, before
    // any partial is read.)
    let reduce_job = buy("reduce").await;
    sql(format!(
        "UPDATE job_shards SET status = 'done', partial = '\\x00'::bytea \
         WHERE job_id = {reduce_job}"
    ))
    .await;
    sql(format!(
        "UPDATE jobs SET reduce_attempts = {max} WHERE id = {reduce_job}"
    ))
    .await;
    let done = finish_with_workers(&app, &buyer.token, reduce_job, 1).await;
    assert_eq!(done["status"], "failed", "{done}");
    assert_eq!(done["progress"]["shards_done"], 3, "{done}");
    // Both refunded, once each.
    assert_eq!(app.balance(&buyer).await, before);
    app.assert_ledger_consistent(&admin).await;

    // Two workers, 2 s leases (a heartbeat every 0.67 s): every shard and
    // the reduce leased once, the report released.
    let rid = buy("short-leases").await;
    let fresh = body(
        app.get(&format!("/api/reports/{rid}"), Some(&buyer.token))
            .await,
    )
    .await;
    assert_eq!(fresh["progress"]["shards_done"], 0, "{fresh}");
    let (stop, workers) = worker_threads_leasing(&app.db_url, 2, 2.0);
    let done = wait_finished(&app.client, &app.address, &buyer.token, rid).await;
    stop.store(true, Ordering::Relaxed);
    for w in workers {
        w.join().unwrap();
    }
    assert_eq!(done["status"], "released", "{done}");
    let db_url = app.db_url.clone();
    let (reduces, shard_attempts) = tokio::task::spawn_blocking(move || {
        let mut c = PgConnection::establish(&db_url).unwrap();
        let reduces: i32 = jobs::table
            .find(rid)
            .select(jobs::reduce_attempts)
            .first(&mut c)
            .unwrap();
        let shards: Vec<i32> = job_shards::table
            .filter(job_shards::job_id.eq(rid))
            .select(job_shards::attempts)
            .load(&mut c)
            .unwrap();
        (reduces, shards)
    })
    .await
    .unwrap();
    assert_eq!(reduces, 1);
    assert_eq!(shard_attempts, vec![1, 1, 1]);

    // Released under the discrete Gaussian, as the estimate said, and the
    // report records what it spent in both terms (the failed jobs none).
    assert_eq!(done["mechanism"], "discrete_gaussian", "{done}");
    assert_eq!(done["delta"], 5e-7, "{done}");
    assert_eq!(done["rho"], rho, "{done}");
    let results = body(
        app.get(&format!("/api/reports/{rid}/results"), Some(&buyer.token))
            .await,
    )
    .await;
    assert_eq!(results["noise"], "discrete_gaussian", "{results}");
    assert_eq!(results["delta"], 5e-7);
    assert_eq!(results["rho"], rho);
    // The keyholder's signed shares carry the mechanism (the server's
    // client checked those signatures before storing anything).
    assert_eq!(results["proof"]["mechanism"], "discrete_gaussian");
    let values = results["values"].as_array().unwrap();
    for (v, p) in values.iter().zip(&planned) {
        assert_eq!(v["key"], p["key"]);
        let close = |a: &Value, b: &Value, tolerance: f64| {
            (a.as_f64().unwrap() - b.as_f64().unwrap()).abs() <= tolerance
        };
        let scale = p["noise_scale"].as_f64().unwrap();
        assert!(
            close(&v["noise_scale"], &p["noise_scale"], scale * 1e-9),
            "{v} {p}"
        );
        assert!(
            close(&v["noise_sd"], &p["noise_sd"], scale * 1e-9),
            "{v} {p}"
        );
        // (Rounded up from σ: the last bit of σ may move it by one.)
        assert!(close(&v["noise_bound_99"], &p["error_99"], 1.0), "{v} {p}");
    }
    let after = body(
        app.get(
            &format!("/api/campaigns/{id}/reports/estimate?epsilon=0.5"),
            Some(&buyer.token),
        )
        .await,
    )
    .await;
    assert_eq!(after["delta_left"], 5e-7, "{after}");
    assert_eq!(after["epsilon_left"], 0.5, "{after}");
}
