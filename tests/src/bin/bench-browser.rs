//! The contributor's seconds, in the browser and natively (issue 16): a
//! benchmark, not a test. Starts the platform in process (real server,
//! keyholders, the local PostgreSQL), opens a campaign of 8 × u16 and one
//! 8-category field, then contributes the same record
//!
//! - `runs` times natively (client-wasm's `LoadedCampaign::prepare`, the code
//!   the browser runs, on this machine's cores);
//! - `runs` times in headless Chromium with the page cross-origin isolated
//!   (the threaded client, web/pkg-threads);
//! - `runs` times with isolation stripped (the single-threaded web/pkg),
//!
//! each browser run a fresh contributor through tests/browser/contribute.mjs
//! (keys loaded before the click, as a contributor filling in the form gets
//! them), and prints the median of each phase and of click to receipt, with
//! the ratio to the native client, and of the keys' load in the page (first
//! visit, and isolated again after a reload, the proving key then from the
//! Cache API). Every run's phase timings stay in
//! target/artifacts/bench-browser-*.json.
//!
//! With `CIPHERPOOL_PROFILE_DIR` set, it also writes the campaign's inputs
//! to the wasm client (material, public key, CRS, circuit keys, proving key,
//! keyholder keys, an identity and the record) to that directory, for
//! `tests/browser/profile.mjs`, which runs the same prepare in Node under
//! V8's sampling profiler.
//!
//! Needs the local PostgreSQL (`scripts/pg start`), web/pkg and
//! web/pkg-threads (`scripts/build-wasm`), Chromium and the node modules
//! (`scripts/setup`). Run:
//! `cargo run -p cipherpool-tests --bin bench-browser -- [runs]`

use std::path::Path;
use std::time::Instant;

use anyhow::Context;
use cipherpool_tests::*;
use client::contribute::{LoadedCampaign, Stage};
use client::PinnedProvingKey;
use protocol::wire::Material;
use serde_json::{json, Value};

/// The phases the page reports, in order.
const PHASES: [&str; 4] = ["keys", "encrypt", "attest", "submit"];

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let runs: usize = std::env::args()
        .nth(1)
        .map(|s| s.parse().context("runs must be a number"))
        .transpose()?
        .unwrap_or(5)
        .max(1);
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .canonicalize()?;
    let mut settings = test_settings();
    settings.web_dir = root.join("web").to_string_lossy().into_owned();
    let app = spawn_app_with(settings).await;
    let admin = app.admin().await;
    let buyer = app.user("buyer").await;
    app.mint(&admin, buyer.id, 1_000_000).await;
    let categories: Vec<String> = (0..8).map(|i| format!("c{i}")).collect();
    let mut fields: Vec<Value> = (0..8)
        .map(|i| json!({"type": "numeric", "name": format!("f{i}"), "bits": 16}))
        .collect();
    fields.push(json!({"type": "categorical", "name": "mode", "categories": categories}));
    let campaign = app
        .open_campaign(
            &admin,
            &buyer,
            &json!({
                "title": "Bench",
                "description": "The contributor's seconds: 8 × u16 and one 8-category field.",
                "schema": {"fields": fields},
                "statistics": ["count", "sum", "histogram"],
                "reward": 1,
                "budget": 1_000,
                "min_contributors": 10,
                "epsilon": 1.0
            }),
        )
        .await;
    let mut record: serde_json::Map<String, Value> = (0..8)
        .map(|i| (format!("f{i}"), json!(1_000 * i + 517)))
        .collect();
    record.insert("mode".into(), json!("c5"));
    let record = Value::Object(record);
    let keys = keyholder_keys_hex(&app.address).await;

    // Natively: the same load and prepare as the wasm client, timed by stage.
    let material: Material = serde_json::from_value(
        body(
            app.get(&format!("/api/campaigns/{campaign}/material"), None)
                .await,
        )
        .await,
    )?;
    let public = fetch_public(&app.client, &app.address, &material).await;
    let pinned = protocol::signing::parse_keys(&keys.join(","))?;
    let circuit_keys = circuit_keys(&app.client, &app.address).await;
    let pk_bytes = app
        .client
        .get(format!("{}{}", app.address, circuit_keys.proving_key_url))
        .send()
        .await?
        .bytes()
        .await?;
    let user = app.user("contributor").await;
    let (secret, identity) = app.registered_identity(&user).await;
    if let Some(dir) = std::env::var_os("CIPHERPOOL_PROFILE_DIR") {
        let dir = Path::new(&dir);
        std::fs::create_dir_all(dir)?;
        let files: [(&str, Vec<u8>); 9] = [
            ("material.json", serde_json::to_vec(&material)?),
            ("public_key.bin", public.public_key.clone()),
            ("crs.bin", public.crs.clone()),
            ("circuit_keys.json", serde_json::to_vec(&circuit_keys)?),
            ("proving_key.bin", pk_bytes.to_vec()),
            ("keyholder_keys.txt", keys.join(",").into_bytes()),
            ("secret.txt", hex::encode(secret.to_bytes()).into_bytes()),
            ("identity.json", serde_json::to_vec(&identity)?),
            ("record.json", serde_json::to_vec(&record)?),
        ];
        for (name, bytes) in files {
            std::fs::write(dir.join(name), bytes).with_context(|| format!("write {name}"))?;
        }
        println!("profile inputs written to {}", dir.display());
    }
    let t = Instant::now();
    let loaded = LoadedCampaign::load(
        &material,
        &public,
        PinnedProvingKey::load(&circuit_keys, &pk_bytes, &pinned)?,
        &pinned,
    )?;
    let native_load = t.elapsed().as_secs_f64();
    let mut native: Vec<[f64; 3]> = Vec::new();
    for _ in 0..runs {
        let start = Instant::now();
        let mut marks = Vec::new();
        loaded.prepare(&secret, &identity, &record, &mut |stage| {
            marks.push((stage, start.elapsed().as_secs_f64()))
        })?;
        let at = |s: Stage| marks.iter().find(|(m, _)| *m == s).map(|m| m.1).unwrap();
        let total = start.elapsed().as_secs_f64();
        native.push([
            at(Stage::Attest) - at(Stage::Encrypt),
            at(Stage::Done) - at(Stage::Attest),
            total,
        ]);
    }
    let native_med = |i: usize| median(native.iter().map(|r| r[i]).collect());
    println!(
        "machine: {} cores; record: 8 × u16 + 8 categories; {runs} runs each, medians",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    println!(
        "native client: load {native_load:.2} s; encrypt + zk-pok {:.2} s, Groth16 {:.2} s, prepare {:.2} s",
        native_med(0),
        native_med(1),
        native_med(2)
    );

    for isolation in ["on", "off"] {
        let mut rows: Vec<Value> = Vec::new();
        for i in 0..runs {
            let contributor = app.user("contributor").await;
            let name = format!("bench-browser-{isolation}-{i}.json");
            let out = tokio::process::Command::new("node")
                .arg("tests/browser/contribute.mjs")
                .current_dir(&root)
                .envs([
                    ("BASE", app.address.clone()),
                    ("CAMPAIGN", campaign.to_string()),
                    ("EMAIL", contributor.email.clone()),
                    ("PASSWORD", GOOD_PASSWORD.to_string()),
                    ("RECORD", record.to_string()),
                    ("KEYHOLDER_KEYS", keys.join(",")),
                    ("ISOLATION", isolation.to_string()),
                    ("TIMINGS", name.clone()),
                ])
                .kill_on_drop(true)
                .output()
                .await
                .context("run node")?;
            anyhow::ensure!(
                out.status.success(),
                "browser run {name} failed:\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
            let stdout = String::from_utf8_lossy(&out.stdout);
            let result: Value = serde_json::from_str(stdout.lines().last().unwrap_or(""))?;
            rows.push(result);
        }
        let runtime = &rows[0]["runtime"];
        let phase = |p: &str| {
            median(
                rows.iter()
                    .map(|r| r["phases"][p].as_f64().unwrap())
                    .collect(),
            )
        };
        let total = median(
            rows.iter()
                .map(|r| r["seconds"].as_f64().unwrap())
                .collect(),
        );
        let phases: Vec<String> = PHASES
            .iter()
            .map(|p| format!("{p} {:.2} s", phase(p)))
            .collect();
        println!(
            "browser, isolation {isolation} ({} thread(s)): click to receipt {total:.2} s = {:.1}× native prepare; {}",
            runtime["threads"],
            total / native_med(2),
            phases.join(", ")
        );
        // The campaign's keys loaded before the click: on a first visit (the
        // proving key from the network) and, isolated, again after a reload
        // (from the Cache API).
        let load = |key: &str| {
            let seconds: Vec<f64> = rows
                .iter()
                .filter_map(|r| r[key]["seconds"].as_f64())
                .collect();
            (!seconds.is_empty()).then(|| median(seconds))
        };
        if let Some(first) = load("keys_load") {
            print!("  keys loaded in the page: first visit {first:.2} s");
            if let Some(again) = load("proving_key_on_reload") {
                print!(", again with the proving key from the Cache API {again:.2} s");
            }
            println!();
        }
    }
    Ok(())
}
