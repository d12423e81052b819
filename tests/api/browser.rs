//! Every role's pages in a real headless Chromium against the real server.
//! The contributor page and the unpacked Manifest V3 extension: the wasm
//! client (built by `scripts/build-wasm` into web/pkg and copied into
//! web/extension) encrypts and proves a record in the browser, and the real
//! server accepts and pays for it (tests/browser/contribute.mjs and
//! extension.mjs, playwright-core installed by `scripts/setup`, which also
//! check that no request the browser sends carries the plaintext). The buyer
//! dashboard and the admin pages: buyer.mjs and admin.mjs.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use cipherpool_tests::*;
use diesel::prelude::*;
use reqwest::StatusCode;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

const REWARD: i64 = 25;
const BUDGET: i64 = 1_000;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .canonicalize()
        .expect("repo root")
}

/// Fails with what to run when a prerequisite of the browser test is missing.
fn require_prerequisites(root: &Path) {
    let mut missing = Vec::new();
    for build in ["pkg", "pkg-threads"] {
        if !root
            .join(format!("web/{build}/cipherpool_client_wasm.js"))
            .is_file()
            || !root
                .join(format!("web/{build}/cipherpool_client_wasm_bg.wasm"))
                .is_file()
        {
            missing.push("web/pkg and web/pkg-threads (the wasm client): run scripts/build-wasm");
            break;
        }
    }
    if !Path::new("/usr/bin/chromium").is_file() {
        missing.push("/usr/bin/chromium: run scripts/setup");
    }
    if !root
        .join("tests/browser/node_modules/playwright-core")
        .is_dir()
    {
        missing.push("tests/browser/node_modules (playwright-core): run scripts/setup");
    }
    assert!(
        missing.is_empty(),
        "the browser test cannot run; missing:\n  {}",
        missing.join("\n  ")
    );
}

fn commute_campaign() -> Value {
    json!({
        "title": "Commute",
        "description": "Minutes commuting, days at the office, and how you travel.",
        "schema": {"fields": [
            {"type": "numeric", "name": "minutes", "bits": 8},
            {"type": "numeric", "name": "days", "bits": 8, "range": {"min": 0, "max": 7}},
            {"type": "categorical", "name": "mode", "categories": ["car", "bike", "train"]}
        ]},
        "statistics": ["count", "sum", "histogram"],
        "reward": REWARD,
        "budget": BUDGET,
        "min_contributors": 10,
        "epsilon": 1.0
    })
}

/// Runs `tests/browser/<name>.mjs` under Node with `envs`; asserts it
/// succeeded and returns the JSON object it printed last.
async fn run_browser_script(root: &Path, name: &str, envs: &[(&str, String)]) -> Value {
    let child = tokio::process::Command::new("node")
        .arg(format!("tests/browser/{name}.mjs"))
        .current_dir(root)
        .envs(envs.iter().map(|(k, v)| (*k, v.as_str())))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("run node (is Node.js installed?)");
    let out = tokio::time::timeout(Duration::from_secs(20 * 60), child.wait_with_output())
        .await
        .expect("the browser run took more than 20 minutes")
        .expect("browser run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    eprintln!("{stderr}");
    assert!(
        out.status.success(),
        "the browser run failed ({}); see its log above and target/artifacts/{name}-failure.png",
        out.status,
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    serde_json::from_str(stdout.lines().last().expect("output")).expect("browser result JSON")
}

/// A server serving `web/`, an open campaign (the commute schema) and a
/// contributor account with a known password and no identity yet (the page
/// under test creates one).
struct ContributorWorld {
    app: TestApp,
    admin: TestUser,
    contributor: TestUser,
    campaign: i64,
    /// The contributor's wallet account.
    wallet: i64,
    /// The keyholders' signing keys, hex.
    keyholder_keys: Vec<String>,
}

impl ContributorWorld {
    /// The environment of tests/browser/contribute.mjs and extension.mjs:
    /// the contributor (password GOOD_PASSWORD) contributes `record` to the
    /// campaign.
    fn script_env(&self, record: &Value) -> Vec<(&'static str, String)> {
        vec![
            ("BASE", self.app.address.clone()),
            ("CAMPAIGN", self.campaign.to_string()),
            ("EMAIL", self.contributor.email.clone()),
            ("PASSWORD", GOOD_PASSWORD.to_string()),
            ("RECORD", record.to_string()),
            ("KEYHOLDER_KEYS", self.keyholder_keys.join(",")),
            // A valid Ed25519 key of nobody's keyholder.
            (
                "WRONG_KEY",
                hex::encode(
                    protocol::signing::SigningKey::from_bytes(&[9; 32])
                        .verifying_key()
                        .as_bytes(),
                ),
            ),
        ]
    }
}

async fn contributor_world() -> ContributorWorld {
    let mut settings = test_settings();
    settings.web_dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../web").into();
    let app = spawn_app_with(settings).await;
    let admin = app.admin().await;
    let buyer = app.user("buyer").await;
    app.mint(&admin, buyer.id, 100_000).await;
    let campaign = app.open_campaign(&admin, &buyer, &commute_campaign()).await;
    let contributor = app.user("contributor").await;
    let wallet = body(app.get("/api/wallet", Some(&contributor.token)).await).await["account_id"]
        .as_i64()
        .unwrap();
    let keyholder_keys = keyholder_keys_hex(&app.address).await;
    ContributorWorld {
        app,
        admin,
        contributor,
        campaign,
        wallet,
        keyholder_keys,
    }
}

/// Server side of a receipt a page showed: the contribution is stored as
/// received (its digest the SHA-256 of the stored ciphertext), it is the
/// campaign's only one, it names no account (a note key instead), and the
/// reward went from the campaign's escrow into the unclaimed-rewards
/// account; the account registered one identity.
async fn assert_paid(world: &ContributorWorld, receipt: &Value) {
    let ContributorWorld {
        app,
        admin,
        contributor,
        campaign,
        ..
    } = world;
    let campaign = *campaign;
    assert_eq!(receipt["campaign_id"], campaign);
    assert_eq!(receipt["reward"], REWARD);
    assert!(receipt.get("payout_account").is_none(), "{receipt}");
    let cid = receipt["contribution_id"]
        .as_i64()
        .expect("contribution_id");
    let pool = app.pool.clone();
    let (row, transfer, count) = tokio::task::spawn_blocking(move || {
        use server::schema::{contributions, transfers};
        let mut c = pool.get().unwrap();
        let row: (i64, Vec<u8>, Vec<u8>, Option<i64>, i64) = contributions::table
            .find(cid)
            .select((
                contributions::campaign_id,
                contributions::ciphertext,
                contributions::digest,
                contributions::payout_account_id,
                contributions::transfer_id,
            ))
            .first(&mut c)
            .expect("the contribution is stored");
        let transfer: (String, i64) = transfers::table
            .inner_join(
                server::schema::accounts::table
                    .on(server::schema::accounts::id.eq(transfers::to_account_id)),
            )
            .filter(transfers::id.eq(row.4))
            .select((server::schema::accounts::kind, transfers::amount))
            .first(&mut c)
            .expect("the reward transfer exists");
        let count: i64 = contributions::table
            .filter(contributions::campaign_id.eq(row.0))
            .count()
            .get_result(&mut c)
            .unwrap();
        (row, transfer, count)
    })
    .await
    .unwrap();
    let (campaign_id, ciphertext, digest, payout, transfer_id) = row;
    assert_eq!(campaign_id, campaign);
    assert_eq!(count, 1);
    assert_eq!(hex::encode(&digest), receipt["digest"].as_str().unwrap());
    assert_eq!(Sha256::digest(&ciphertext).as_slice(), digest.as_slice());
    assert_eq!(payout, None, "the contribution names no account");
    assert_eq!(transfer_id, receipt["transfer_id"].as_i64().unwrap());
    assert_eq!(transfer, ("unclaimed".to_string(), REWARD));
    // The wallet itself saw nothing of the contribution.
    let history = body(app.get("/api/wallet", Some(&contributor.token)).await).await;
    assert!(
        history["transfers"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["kind"] != "contribution_reward"),
        "{history}"
    );
    let escrow = body(
        app.get(&format!("/api/campaigns/{campaign}"), Some(&admin.token))
            .await,
    )
    .await["escrow_balance"]
        .as_i64()
        .unwrap();
    assert_eq!(escrow, BUDGET - REWARD);
    let me = app.get("/api/registry/me", Some(&contributor.token)).await;
    assert_eq!(me.status(), StatusCode::OK);
}

/// Server side of the claim a page sent: its claims paid exactly the
/// reward into the contributor's wallet, from the unclaimed-rewards account.
async fn assert_claimed(world: &ContributorWorld, claim: &Value) {
    let ids: Vec<i64> = claim["claim_ids"]
        .as_array()
        .expect("claim ids")
        .iter()
        .map(|v| v.as_i64().unwrap())
        .collect();
    assert_eq!(claim["unclaimed_before"], REWARD, "{claim}");
    assert_eq!(claim["wallet_balance"], REWARD, "{claim}");
    let pool = world.app.pool.clone();
    let rows: Vec<(i64, i64)> = tokio::task::spawn_blocking(move || {
        use server::schema::claims;
        let mut c = pool.get().unwrap();
        claims::table
            .filter(claims::id.eq_any(ids))
            .select((claims::destination_account_id, claims::amount))
            .load(&mut c)
            .unwrap()
    })
    .await
    .unwrap();
    assert_eq!(rows, [(world.wallet, REWARD)]);
}

#[tokio::test]
async fn contributor_page_in_headless_chromium_is_accepted_and_paid() {
    let root = repo_root();
    require_prerequisites(&root);
    let world = contributor_world().await;
    let ContributorWorld {
        app,
        admin,
        contributor,
        ..
    } = &world;
    // The page and the wasm client are served by the server itself.
    let r = app.get("/contribute.html", None).await;
    assert_eq!(
        r.status(),
        StatusCode::OK,
        "the server does not serve web/contribute.html"
    );
    // Cross-origin isolated, so that the page may run the threaded client.
    assert_eq!(r.headers()["cross-origin-opener-policy"], "same-origin");
    assert_eq!(r.headers()["cross-origin-embedder-policy"], "require-corp");
    for build in ["pkg", "pkg-threads"] {
        let r = app
            .get(&format!("/{build}/cipherpool_client_wasm_bg.wasm"), None)
            .await;
        assert_eq!(r.status(), StatusCode::OK, "/{build}");
        assert_eq!(r.headers()["content-type"], "application/wasm");
        assert_eq!(r.headers()["cross-origin-embedder-policy"], "require-corp");
    }

    let record = json!({"minutes": 37, "days": 4, "mode": "train"});
    let started = Instant::now();
    let mut envs = world.script_env(&record);
    envs.push(("WITHDRAW", "10".to_string()));
    let result = run_browser_script(&root, "contribute", &envs).await;
    eprintln!(
        "browser: encrypt + prove {} s in the page, {:.1} s in all",
        result["seconds"],
        started.elapsed().as_secs_f64()
    );
    eprintln!("browser requests: {}", result["requests"]);
    // The worker ran the threaded client on a pool of the machine's size.
    let runtime = &result["runtime"];
    assert_eq!(runtime["isolated"], true, "{result}");
    assert_eq!(runtime["threaded"], true, "{result}");
    assert_eq!(
        runtime["threads"],
        result["hardware_concurrency"].as_u64().unwrap().max(1),
        "{result}"
    );
    assert!(
        result["phases"]["encrypt"].as_f64().unwrap() > 0.0,
        "{result}"
    );
    // The page stayed responsive: no main-thread task over 50 ms (a long
    // task) from the click to the receipt; the work ran in the workers.
    assert_eq!(result["longest_main_thread_task_ms"], 0, "{result}");
    // The wasm module came gzip-encoded (scripts/build-wasm's copy).
    assert_eq!(result["wasm_encoding"], "gzip", "{result}");
    // A panic on one of the pool's workers was answered with its message
    // (the page did not wait forever), and a fresh threaded worker took over.
    assert!(
        result["pool_panic"]["answer"]
            .as_str()
            .is_some_and(|a| a.contains("a panic on rayon's pool")),
        "{result}"
    );
    assert_eq!(result["pool_panic"]["runtime_after"]["threaded"], true);
    // The proving key was kept by its signed hash: a new visit took it from
    // the Cache API.
    assert_eq!(result["keys_load"]["provingKeyFrom"], "network", "{result}");
    assert_eq!(
        result["proving_key_on_reload"]["provingKeyFrom"], "cache",
        "{result}"
    );
    // The page first created an account (a weak password refused by the
    // server, then a good one) and signed it out.
    assert!(
        result["registered"]
            .as_str()
            .is_some_and(|e| e.contains('@')),
        "{result}"
    );
    assert_eq!(result["balance"], format!("{REWARD} tokens"));
    assert_paid(&world, &result["receipt"]).await;
    // The page claimed the reward note into the wallet.
    assert_claimed(&world, &result["claim"]).await;
    // The page then withdrew 10 tokens: held, pending an admin.
    assert_eq!(result["withdrawal"]["status"], "pending", "{result}");
    assert_eq!(result["withdrawal"]["amount"], 10);
    assert_eq!(result["balance_after_withdrawal"], REWARD - 10, "{result}");
    assert_eq!(app.balance(contributor).await, REWARD - 10);
    let w = body(app.get("/api/withdrawals", Some(&contributor.token)).await).await;
    assert_eq!(w[0]["address"], "ext-acct-1", "{w}");
    app.assert_ledger_consistent(admin).await;
}

/// A page that is not cross-origin isolated (the COOP/COEP headers stripped
/// on their way to the browser) has no SharedArrayBuffer: its worker falls
/// back to the single-threaded client (web/pkg), and the contribution is
/// accepted and paid the same. Before that, the page meets a server that
/// substitutes the proving key (under a hash of its own): refused.
#[tokio::test]
async fn contributor_page_without_isolation_falls_back_to_one_thread() {
    let root = repo_root();
    require_prerequisites(&root);
    let world = contributor_world().await;
    let record = json!({"minutes": 52, "days": 2, "mode": "car"});
    let mut envs = world.script_env(&record);
    envs.push(("ISOLATION", "off".to_string()));
    envs.push(("KEY_ATTACK", "on".to_string()));
    envs.push((
        "TIMINGS",
        "contribute-timings-single-thread.json".to_string(),
    ));
    let result = run_browser_script(&root, "contribute", &envs).await;
    eprintln!("browser, one thread: {}", result["timing"]);
    // The server's own proving key, named under its own hash, was refused
    // before anything was proven (one submission in all, checked in the
    // script: the later, honest one).
    let refusal = result["key_attack"].as_str().unwrap_or_default();
    assert!(refusal.contains("not signed by the keyholders"), "{result}");
    let runtime = &result["runtime"];
    assert_eq!(runtime["isolated"], false, "{result}");
    assert_eq!(runtime["threaded"], false, "{result}");
    assert_eq!(runtime["threads"], 1, "{result}");
    assert_eq!(result["balance"], format!("{REWARD} tokens"));
    assert_paid(&world, &result["receipt"]).await;
    assert_claimed(&world, &result["claim"]).await;
}

/// The same contributor flow through the unpacked Manifest V3 extension
/// (web/extension/, loaded with --load-extension): its page talks to the
/// server from chrome-extension://, keeps the identity secret in extension
/// storage, lists the open campaigns, and its contribution is accepted and
/// paid like the web page's.
#[tokio::test]
async fn contributor_extension_in_headless_chromium_is_accepted_and_paid() {
    let root = repo_root();
    require_prerequisites(&root);
    for copied in [
        "contribute.html",
        "js/contribute.js",
        "js/platform.js",
        "pkg/cipherpool_client_wasm_bg.wasm",
        "pkg-threads/cipherpool_client_wasm_bg.wasm",
    ] {
        assert!(
            root.join("web/extension").join(copied).is_file(),
            "web/extension/{copied} is missing: run scripts/build-wasm"
        );
    }
    let world = contributor_world().await;
    let ContributorWorld {
        app,
        admin,
        contributor,
        ..
    } = &world;
    let record = json!({"minutes": 12, "days": 5, "mode": "bike"});
    let envs = world.script_env(&record);
    let result = run_browser_script(&root, "extension", &envs).await;
    eprintln!(
        "extension: encrypt + prove {} s; requests: {}",
        result["seconds"], result["requests"]
    );
    assert_eq!(
        result["csp"],
        "script-src 'self' 'wasm-unsafe-eval'; object-src 'self'"
    );
    // The manifest's COOP/COEP isolate the extension's page: its worker ran
    // the threaded client.
    assert_eq!(result["runtime"]["isolated"], true, "{result}");
    assert_eq!(result["runtime"]["threaded"], true, "{result}");
    assert_eq!(
        result["secret_key"],
        format!(
            "cipherpool.identity-secret.{}.{}",
            app.address, contributor.id
        )
    );
    assert_eq!(result["balance"], format!("{REWARD} tokens"));
    // The reward waited in a note (the wallet got nothing at once), kept
    // in extension storage across the reload, then claimed.
    assert_eq!(result["wallet_balance"], 0);
    assert_claimed(&world, &result["claim"]).await;
    // Every request went to the server or to the extension itself; the API
    // calls came from the extension's page, not from a page of the server.
    let requests = result["requests"].as_array().expect("requests");
    assert!(requests.iter().all(|r| {
        let url = r["url"].as_str().unwrap();
        url.starts_with(&format!("{}/", app.address)) || url.starts_with("chrome-extension://")
    }));
    assert!(requests.iter().all(
        |r| !r["url"].as_str().unwrap().ends_with("/contribute.html")
            || r["url"]
                .as_str()
                .unwrap()
                .starts_with("chrome-extension://")
    ));
    assert_paid(&world, &result["receipt"]).await;
    assert_eq!(app.balance(contributor).await, REWARD);
    app.assert_ledger_consistent(admin).await;
}

/// The buyer dashboard (`web/buyer.html`) and the admin pages
/// (`web/admin.html`) in real headless Chromium against the real server,
/// keyholder and two workers. The buyer (tests/browser/buyer.mjs) creates a
/// campaign with the schema builder and funds it, buys a report of an open
/// campaign with enough contributions, follows it to its release, reads the
/// histogram chart and the means and downloads the CSV. Then the admin
/// (tests/browser/admin.mjs) approves one campaign and rejects another from
/// the review queue, reads the first campaign's quality signals, suspends
/// and unsuspends a contributor, mints tokens, audits the ledger and reads
/// the audit log and the keyholder's decryption log.
#[tokio::test]
async fn buyer_and_admin_pages_in_headless_chromium() {
    use super::reports::{report_campaign, report_records, worker_threads};
    let root = repo_root();
    require_prerequisites(&root);
    let mut settings = test_settings();
    settings.web_dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../web").into();
    settings.report_shard_size = 5;
    settings.poll_ms = 100;
    let app = spawn_app_with(settings).await;
    let admin = app.admin().await;
    let buyer = app.user("buyer").await;
    app.mint(&admin, buyer.id, 1_000).await;
    let campaign = app
        .open_campaign(&admin, &buyer, &report_campaign(10, 120))
        .await;
    contribute_records(&app.client, &app.address, campaign, &report_records(10)).await;
    let (stop, workers) = worker_threads(&app.db_url, 2);
    let result = run_browser_script(
        &root,
        "buyer",
        &[
            ("BASE", app.address.clone()),
            ("CAMPAIGN", campaign.to_string()),
            ("EMAIL", buyer.email.clone()),
            ("PASSWORD", GOOD_PASSWORD.to_string()),
        ],
    )
    .await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for w in workers {
        w.join().unwrap();
    }
    eprintln!("buyer dashboard: {result}");
    assert!(
        result["registered"]
            .as_str()
            .is_some_and(|e| e.contains('@')),
        "{result}"
    );
    assert_eq!(result["status"], "released", "{result}");
    // One bar per category of the campaign's categorical fields (3 + 2).
    assert_eq!(result["bars"], 5, "{result}");
    // Each with its error bar; the estimate read before buying warned (ten
    // contributions at ε = 1) and the purchase waited for "Buy anyway".
    assert_eq!(result["error_bars"], 5, "{result}");
    assert!(
        result["estimate_warnings"].as_u64().unwrap() > 0,
        "{result}"
    );
    assert!(
        result["estimate_figures"].as_u64().unwrap() >= 2,
        "{result}"
    );
    assert!(result["csv_first_line"]
        .as_str()
        .unwrap()
        .starts_with("statistic,field,category,value"));
    // What the page did, seen from the server: a new campaign pending
    // review with its budget in escrow, and the report released.
    let created = result["created_campaign"]
        .as_i64()
        .expect("created campaign id");
    let c = body(
        app.get(&format!("/api/campaigns/{created}"), Some(&buyer.token))
            .await,
    )
    .await;
    assert_eq!(c["status"], "pending_review", "{c}");
    assert_eq!(c["escrow_balance"], 100);
    // The builder's crosstab of its two categorical fields.
    assert_eq!(
        c["schema"]["crosstabs"],
        json!([{"rows": "team", "columns": "shift"}]),
        "{c}"
    );
    assert!(c["statistics"]
        .as_array()
        .unwrap()
        .contains(&json!("crosstab")));
    let report = result["report_id"].as_i64().expect("report id");
    let r = body(
        app.get(&format!("/api/reports/{report}"), Some(&buyer.token))
            .await,
    )
    .await;
    assert_eq!(r["status"], "released");
    assert_eq!(r["campaign_id"], campaign);
    // 1,000 − 120 (first campaign) − 100 (the page's campaign) − 100 (the report).
    assert_eq!(app.balance(&buyer).await, 680);

    // The admin's turn: the page's campaign is approved, another rejected.
    let other = app.draft_campaign(&buyer, 50).await;
    let r = app
        .post(
            &format!("/api/campaigns/{other}/submit"),
            Some(&buyer.token),
            &json!(null),
            Some("fund-other"),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let contributor = app.user("contributor").await;
    // A pending withdrawal of another contributor, for the admin to approve.
    let earner = app.user("contributor").await;
    app.mint(&admin, earner.id, 40).await;
    let r = app
        .post(
            "/api/withdrawals",
            Some(&earner.token),
            &json!({"amount": 30, "address": "ext-9"}),
            Some("wd-1"),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let withdrawal = body(r).await["id"].as_i64().unwrap();
    let result = run_browser_script(
        &root,
        "admin",
        &[
            ("BASE", app.address.clone()),
            ("EMAIL", admin.email.clone()),
            ("PASSWORD", GOOD_PASSWORD.to_string()),
            ("PENDING", created.to_string()),
            ("REJECT", other.to_string()),
            ("QUALITY", campaign.to_string()),
            ("CONTRIBUTOR", contributor.id.to_string()),
            ("WITHDRAWAL", withdrawal.to_string()),
            ("SUSPEND", campaign.to_string()),
        ],
    )
    .await;
    eprintln!("admin pages: {result}");
    let c = body(
        app.get(&format!("/api/campaigns/{created}"), Some(&admin.token))
            .await,
    )
    .await;
    assert_eq!(c["status"], "approved", "{c}");
    let c = body(
        app.get(&format!("/api/campaigns/{other}"), Some(&admin.token))
            .await,
    )
    .await;
    assert_eq!(c["status"], "rejected", "{c}");
    assert_eq!(
        app.balance(&buyer).await,
        680,
        "funded 50, refunded 50 on rejection"
    );
    assert_eq!(result["quality_accepted"], 10, "{result}");
    let users = body(
        app.get("/api/admin/users?role=contributor", Some(&admin.token))
            .await,
    )
    .await;
    let row = users
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["id"] == contributor.id)
        .expect("contributor listed")
        .clone();
    assert_eq!(row["suspended_at"], Value::Null, "unsuspended at the end");
    // The suspension ended the contributor's sessions: log in again.
    let contributor = app.login(&contributor.email).await;
    assert_eq!(app.balance(&contributor).await, 50, "minted from the page");
    let log = body(
        app.get("/api/admin/audit?limit=20", Some(&admin.token))
            .await,
    )
    .await;
    let actions: Vec<&str> = members(&log, "action");
    for a in [
        "approve_campaign",
        "reject_campaign",
        "suspend_user",
        "unsuspend_user",
        "mint",
    ] {
        assert!(actions.contains(&a), "{a} missing from {actions:?}");
    }
    assert!(result["decryptions"].as_u64().unwrap_or(0) >= 1, "{result}");
    assert_eq!(result["withdrawal_approved"], true, "{result}");
    assert_eq!(result["suspended_and_resumed"], true, "{result}");
    let w = body(app.get("/api/withdrawals", Some(&earner.token)).await).await;
    assert_eq!(w[0]["status"], "approved", "{w}");
    let c = body(
        app.get(&format!("/api/campaigns/{campaign}"), Some(&admin.token))
            .await,
    )
    .await;
    assert_eq!(c["status"], "open", "{c}");
    for a in ["approve_withdrawal", "suspend_campaign", "resume_campaign"] {
        let log = body(
            app.get("/api/admin/audit?limit=30", Some(&admin.token))
                .await,
        )
        .await;
        assert!(
            log.as_array().unwrap().iter().any(|e| e["action"] == a),
            "{a} missing from the audit log"
        );
    }
}
