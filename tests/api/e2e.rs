//! The contributions walk-through over real processes: PostgreSQL, the
//! `cipherpool-keyholder` and `cipherpool` binaries, and three contributors
//! using the native `cipherpool-client`.

use std::process::Command;
use std::time::Duration;

use cipherpool_tests::*;
use reqwest::StatusCode;
use serde_json::{json, Value};

fn bin(name: &str) -> Command {
    let path = workspace_bin(name);
    assert!(
        path.exists(),
        "{} missing: build with `cargo build --workspace --bins` first",
        path.display()
    );
    let mut c = Command::new(path);
    c.env("RUST_LOG", "warn");
    c
}

async fn wait_up(url: &str) {
    let client = reqwest::Client::new();
    for _ in 0..300 {
        if let Ok(r) = client.get(format!("{url}/health")).send().await {
            if r.status() == StatusCode::OK {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{url} did not come up");
}

async fn post(
    client: &reqwest::Client,
    url: String,
    token: Option<&str>,
    body: Value,
    idem: Option<&str>,
) -> (StatusCode, Value) {
    let mut r = client.post(url).json(&body);
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    if let Some(k) = idem {
        r = r.header("Idempotency-Key", k);
    }
    let resp = r.send().await.unwrap();
    let s = resp.status();
    (s, resp.json().await.unwrap_or(Value::Null))
}

async fn get(client: &reqwest::Client, url: String, token: &str) -> Value {
    client
        .get(url)
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// PostgreSQL (a fresh database), the two keyholders of a dealt key set
/// (each its own process, directory, KEK and token) and the server as real
/// processes, and an admin created with `cipherpool create-admin`.
struct Platform {
    keyholders: Vec<Killed>,
    keyholder_bin: String,
    keyholder_ports: Vec<u16>,
    _server: Killed,
    _releaser: Killed,
    base: String,
    db_url: String,
    dir: std::path::PathBuf,
}

/// Keyholders of the end-to-end platforms.
const E2E_KEYHOLDERS: u32 = 2;

fn e2e_token(i: usize) -> String {
    format!("e2e-keyholder-token-abcdefghijkl-{i}")
}

fn spawn_keyholder_process(
    name: &str,
    port: u16,
    dir: &std::path::Path,
    index: usize,
    token: &str,
) -> Killed {
    let bundle = dealt_keyset(E2E_KEYHOLDERS).join(format!("party-{index}"));
    Killed(
        bin(name)
            .env("CIPHERPOOL_KEYHOLDER_LISTEN", format!("127.0.0.1:{port}"))
            .env(
                "CIPHERPOOL_KEYHOLDER_DATA_DIR",
                dir.join(format!("keyholder-{index}")),
            )
            .env(
                "CIPHERPOOL_KEYHOLDER_KEK_FILE",
                dir.join(format!("keyholder-{index}-kek")),
            )
            .env("CIPHERPOOL_KEYHOLDER_TOKEN", token)
            .env("CIPHERPOOL_KEYHOLDER_KEYSET_BUNDLE", bundle)
            .spawn()
            .unwrap(),
    )
}

impl Platform {
    /// The keyholders' signing keys, asked of each keyholder itself (as a
    /// contributor gets them from the keyholders' operators), comma separated.
    async fn keyholder_keys(&self) -> String {
        let mut keys = Vec::new();
        for (i, port) in self.keyholder_ports.iter().enumerate() {
            let key =
                keyholder_signing_key(&format!("http://127.0.0.1:{port}"), &e2e_token(i)).await;
            keys.push(hex::encode(key.as_bytes()));
        }
        keys.join(",")
    }

    /// Stops keyholder `index` (its process killed).
    fn stop_keyholder(&mut self, index: usize) {
        let k = &mut self.keyholders[index];
        let _ = k.0.kill();
        let _ = k.0.wait();
    }

    /// Stops keyholder `index` and starts it again on the same port and
    /// storage, now expecting `token`.
    async fn restart_keyholder(&mut self, index: usize, token: &str) {
        let k = &mut self.keyholders[index];
        let _ = k.0.kill();
        let _ = k.0.wait();
        let port = self.keyholder_ports[index];
        *k = spawn_keyholder_process(&self.keyholder_bin, port, &self.dir, index, token);
        wait_up(&format!("http://127.0.0.1:{port}")).await;
    }
}

/// `keyholder` names the keyholder binary: `cipherpool-keyholder`, or the
/// test-only build that releases without noise.
async fn start_platform(keyholder: &str, server_env: &[(&str, &str)]) -> Platform {
    let db_url = fresh_database();
    let dir = scratch_dir("e2e");
    std::fs::create_dir_all(&dir).unwrap();
    let ports: Vec<u16> = (0..E2E_KEYHOLDERS).map(|_| free_port()).collect();
    let port = free_port();
    let keyholders: Vec<Killed> = ports
        .iter()
        .enumerate()
        .map(|(i, p)| spawn_keyholder_process(keyholder, *p, &dir, i, &e2e_token(i)))
        .collect();
    let out = bin("cipherpool")
        .args(["create-admin", "--email", "root@example.org"])
        .env("CIPHERPOOL_DATABASE_URL", &db_url)
        .env("CIPHERPOOL_ADMIN_PASSWORD", GOOD_PASSWORD)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let urls: Vec<String> = ports
        .iter()
        .map(|p| format!("http://127.0.0.1:{p}"))
        .collect();
    let tokens: Vec<String> = (0..ports.len()).map(e2e_token).collect();
    let server = Killed(
        bin("cipherpool")
            .arg("serve")
            .env("CIPHERPOOL_DATABASE_URL", &db_url)
            .env("CIPHERPOOL_LISTEN", format!("127.0.0.1:{port}"))
            .env("CIPHERPOOL_KEYHOLDER_URL", urls.join(","))
            .env("CIPHERPOOL_KEYHOLDER_TOKEN", tokens.join(","))
            // Every client of this test is 127.0.0.1: registrations and
            // logins of all its contributors come from one address.
            .env("CIPHERPOOL_RATE_LIMITS__REGISTER__PER_MINUTE", "0")
            .env("CIPHERPOOL_RATE_LIMITS__LOGIN__PER_MINUTE", "0")
            .envs(server_env.iter().copied())
            .spawn()
            .unwrap(),
    );
    // The release loop runs as its own role beside the server.
    let releaser = Killed(
        bin("cipherpool")
            .arg("releaser")
            .env("CIPHERPOOL_DATABASE_URL", &db_url)
            .env("CIPHERPOOL_KEYHOLDER_URL", urls.join(","))
            .env("CIPHERPOOL_KEYHOLDER_TOKEN", tokens.join(","))
            .envs(server_env.iter().copied())
            .spawn()
            .unwrap(),
    );
    let base = format!("http://127.0.0.1:{port}");
    for u in &urls {
        wait_up(u).await;
    }
    wait_up(&base).await;
    Platform {
        keyholders,
        keyholder_bin: keyholder.to_string(),
        keyholder_ports: ports,
        _server: server,
        _releaser: releaser,
        base,
        db_url,
        dir,
    }
}

#[tokio::test]
async fn contributions_over_real_processes() {
    let p = start_platform("cipherpool-keyholder", &[]).await;
    let (base, dir) = (p.base.clone(), p.dir.clone());
    let http = reqwest::Client::new();

    let (admin, _) = account(&http, &base, "root@example.org", None).await;
    let (buyer, buyer_id) = account(&http, &base, &unique_email("buyer"), Some("buyer")).await;
    let (s, _) = post(
        &http,
        format!("{base}/api/admin/mint"),
        Some(&admin),
        json!({"user_id": buyer_id, "amount": 10_000}),
        Some("m1"),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let mut campaign = campaign_body(30, 3_000);
    campaign["schema"] = json!({"fields": [
        {"type": "numeric", "name": "sleep_minutes", "bits": 16, "range": {"min": 0, "max": 1440}},
        {"type": "categorical", "name": "region", "categories": ["north", "south"]}
    ]});
    campaign["statistics"] = json!(["count", "mean", "histogram"]);
    let (s, c) = post(
        &http,
        format!("{base}/api/campaigns"),
        Some(&buyer),
        campaign,
        None,
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    let id = c["id"].as_i64().unwrap();
    assert_eq!(
        post(
            &http,
            format!("{base}/api/campaigns/{id}/submit"),
            Some(&buyer),
            Value::Null,
            Some("f1")
        )
        .await
        .0,
        StatusCode::OK
    );
    let (s, b) = post(
        &http,
        format!("{base}/api/admin/campaigns/{id}/approve"),
        Some(&admin),
        Value::Null,
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(
        post(
            &http,
            format!("{base}/api/campaigns/{id}/open"),
            Some(&buyer),
            Value::Null,
            None
        )
        .await
        .0,
        StatusCode::OK
    );
    // Each keyholder keeps only its own share, sealed in its own
    // directory; both registered the campaign with the same CRS.
    for i in 0..E2E_KEYHOLDERS {
        let kh = dir.join(format!("keyholder-{i}"));
        let sealed = std::fs::read(kh.join("keyset/share.sealed")).unwrap();
        assert!(sealed.len() > 16 * 4096);
        assert!(kh.join(format!("campaigns/{id}/crs.bin")).exists());
    }
    assert_eq!(
        std::fs::read(dir.join(format!("keyholder-0/campaigns/{id}/crs.bin"))).unwrap(),
        std::fs::read(dir.join(format!("keyholder-1/campaigns/{id}/crs.bin"))).unwrap()
    );

    let keys = p.keyholder_keys().await;
    let wrong_key = hex::encode(
        protocol::signing::SigningKey::from_bytes(&[9; 32])
            .verifying_key()
            .as_bytes(),
    );
    let mut wallets = Vec::new();
    for (i, region) in ["north", "south", "north"].iter().enumerate() {
        let (token, _) = account(
            &http,
            &base,
            &unique_email("contributor"),
            Some("contributor"),
        )
        .await;
        let secret = dir.join(format!("secret-{i}.hex"));
        let out = bin("cipherpool-client")
            .args(["identity", "--out"])
            .arg(&secret)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let out = bin("cipherpool-client")
            .args(["register", "--server", &base, "--token", &token, "--secret"])
            .arg(&secret)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let record = json!({"sleep_minutes": 400 + i * 30, "region": region}).to_string();
        let contribute = |keys: &str| {
            bin("cipherpool-client")
                .args([
                    "contribute",
                    "--server",
                    &base,
                    "--token",
                    &token,
                    "--campaign",
                    &id.to_string(),
                    "--record",
                    &record,
                    "--keyholder-keys",
                    keys,
                    "--secret",
                ])
                .arg(&secret)
                .output()
                .unwrap()
        };
        if i == 0 {
            // Pinned keys that are not the keyholders': the material is
            // refused before anything is encrypted or sent.
            for pinned in [wrong_key.clone(), format!("{},{wrong_key}", keys)] {
                let out = contribute(&pinned);
                assert!(!out.status.success());
                let err = String::from_utf8_lossy(&out.stderr);
                assert!(err.contains("did not sign"), "{err}");
            }
        }
        let out = contribute(&keys);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let receipt: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(receipt["reward"], 30);
        // The same person again: refused by the nullifier, nothing paid.
        let out = contribute(&keys);
        assert!(!out.status.success());
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("nullifier_used"),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        wallets.push((token, secret));
    }
    // The rewards wait in notes; each contributor claims its own with the
    // native client (the first after losing its notes file: recovered from
    // the identity secret alone).
    for (i, (token, secret)) in wallets.iter().enumerate() {
        assert_eq!(
            get(&http, format!("{base}/api/wallet"), token).await["balance"],
            0
        );
        let notes_file = {
            let mut name = secret.as_os_str().to_owned();
            name.push(".notes.json");
            std::path::PathBuf::from(name)
        };
        let held: Value = serde_json::from_slice(&std::fs::read(&notes_file).unwrap()).unwrap();
        assert_eq!(held[0]["amount"], 30, "{held}");
        if i == 0 {
            std::fs::remove_file(&notes_file).unwrap();
            let out = bin("cipherpool-client")
                .args(["notes", "--recover", "--server", &base, "--secret"])
                .arg(secret)
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            let recovered: Value = serde_json::from_slice(&out.stdout).unwrap();
            assert_eq!(recovered, held, "recovered from the secret alone");
        }
        let claim = |pinned: &str| {
            bin("cipherpool-client")
                .args(["claim", "--server", &base, "--token", token, "--secret"])
                .arg(secret)
                .args(["--keyholder-keys", pinned])
                .output()
                .unwrap()
        };
        if i == 0 {
            // A claim is proved only with a claim key every pinned keyholder
            // signed: pinning another key, nothing is proved or sent.
            let out = claim(&format!("{keys},{wrong_key}"));
            assert!(!out.status.success());
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(
                err.contains("claim proving key") && err.contains("did not sign"),
                "{err}"
            );
        }
        let out = claim(&keys);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let receipt: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(receipt["amount"], 30);
        assert_eq!(
            get(&http, format!("{base}/api/wallet"), token).await["balance"],
            30
        );
        // Nothing left to claim.
        assert!(!claim(&keys).status.success());
    }
    let c = get(&http, format!("{base}/api/campaigns/{id}"), &buyer).await;
    assert_eq!(c["escrow_balance"], 3_000 - 90);
    let audit = get(&http, format!("{base}/api/admin/ledger/audit"), &admin).await;
    assert_eq!(audit["total"], 0, "{audit}");
    assert_eq!(audit["unclaimed"], 0, "{audit}");
    assert_eq!(audit["notes_paid"], 90, "{audit}");
    assert_eq!(audit["unclaimed_consistent"], true, "{audit}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Logs in (registering first with that role when `role` is given);
/// returns token and user id.
async fn account(
    http: &reqwest::Client,
    base: &str,
    email: &str,
    role: Option<&str>,
) -> (String, i64) {
    if let Some(role) = role {
        let (s, b) = post(
            http,
            format!("{base}/api/auth/register"),
            None,
            json!({"email": email, "password": GOOD_PASSWORD, "role": role}),
            None,
        )
        .await;
        assert_eq!(s, StatusCode::ACCEPTED, "{b}");
    }
    let (s, b) = post(
        http,
        format!("{base}/api/auth/login"),
        None,
        json!({"email": email, "password": GOOD_PASSWORD}),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    (
        b["token"].as_str().unwrap().to_string(),
        b["user"]["id"].as_i64().unwrap(),
    )
}

/// Issue 4's walk-through over real processes: PostgreSQL, two keyholders
/// (the test-only build without noise, so equality is exact: the values
/// come out of their combined partial decryptions), server
/// and two `cipherpool worker` processes, one killed while it holds a shard.
#[tokio::test]
async fn a_report_over_real_processes_survives_a_killed_worker() {
    use super::reports::{expected_aggregates, report_campaign, report_records, wait_finished};
    use diesel::prelude::*;
    use server::schema::job_shards;

    let mut p = start_platform(
        "cipherpool-keyholder-test-only-no-noise",
        &[
            ("CIPHERPOOL_REPORT_SHARD_SIZE", "3"),
            ("CIPHERPOOL_REPORT_PRICE", "100"),
            ("CIPHERPOOL_POLL_MS", "200"),
            ("CIPHERPOOL_RELEASE_LEASE_SECS", "2"),
        ],
    )
    .await;
    let base = p.base.clone();
    let http = reqwest::Client::new();
    let (admin, _) = account(&http, &base, "root@example.org", None).await;
    let (buyer, buyer_id) = account(&http, &base, &unique_email("buyer"), Some("buyer")).await;
    let (s, _) = post(
        &http,
        format!("{base}/api/admin/mint"),
        Some(&admin),
        json!({"user_id": buyer_id, "amount": 1_000}),
        Some("m1"),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let campaign = report_campaign(20, 600);
    let (s, c) = post(
        &http,
        format!("{base}/api/campaigns"),
        Some(&buyer),
        campaign.clone(),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    let id = c["id"].as_i64().unwrap();
    for (path, token, idem) in [
        ("submit", &buyer, Some("f1")),
        ("approve", &admin, None),
        ("open", &buyer, None),
    ] {
        let url = if path == "approve" {
            format!("{base}/api/admin/campaigns/{id}/approve")
        } else {
            format!("{base}/api/campaigns/{id}/{path}")
        };
        let (s, b) = post(&http, url, Some(token), Value::Null, idem).await;
        assert_eq!(s, StatusCode::OK, "{path}: {b}");
    }
    let records = report_records(11);
    contribute_records(&http, &base, id, &records).await;

    let worker = || {
        Killed(
            bin("cipherpool")
                .arg("worker")
                .env("CIPHERPOOL_DATABASE_URL", &p.db_url)
                .env("CIPHERPOOL_WORKER_LEASE_SECS", "3")
                .env("CIPHERPOOL_POLL_MS", "200")
                .spawn()
                .unwrap(),
        )
    };
    let mut doomed = worker();
    let _survivor = worker();
    let (s, report) = post(
        &http,
        format!("{base}/api/campaigns/{id}/reports"),
        Some(&buyer),
        json!({"epsilon": 0.5}),
        Some("buy-1"),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{report}");
    let rid = report["id"].as_i64().unwrap();
    assert_eq!(report["progress"]["shards_total"], 4);

    // Kill the first worker while it holds a shard.
    let prefix = format!("worker:{}:%", doomed.0.id());
    let mut conn = PgConnection::establish(&p.db_url).unwrap();
    let mut held = None;
    for _ in 0..1200 {
        held = job_shards::table
            .filter(job_shards::job_id.eq(rid))
            .filter(job_shards::status.eq("leased"))
            .filter(job_shards::lease_owner.like(&prefix))
            .select(job_shards::id)
            .first::<i64>(&mut conn)
            .optional()
            .unwrap();
        if held.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let held = held.expect("the first worker never leased a shard");
    doomed.0.kill().unwrap();
    doomed.0.wait().unwrap();
    let (status, attempts): (String, i32) = job_shards::table
        .find(held)
        .select((job_shards::status, job_shards::attempts))
        .first(&mut conn)
        .unwrap();
    assert_eq!(
        (status.as_str(), attempts),
        ("leased", 1),
        "killed mid-shard"
    );

    let done = wait_finished(&http, &base, &buyer, rid).await;
    assert_eq!(done["status"], "released", "{done}");
    assert_eq!(done["progress"]["shards_done"], 4);
    // The killed worker's shard was redone by the other, once.
    let (status, attempts, by): (String, i32, Option<String>) = job_shards::table
        .find(held)
        .select((
            job_shards::status,
            job_shards::attempts,
            job_shards::computed_by,
        ))
        .first(&mut conn)
        .unwrap();
    assert_eq!(status, "done");
    assert_eq!(attempts, 2);
    assert!(!by.unwrap().starts_with(&prefix[..prefix.len() - 1]));

    // Exactly the plaintext statistics (noise disabled by the test-only setting).
    let results = get(&http, format!("{base}/api/reports/{rid}/results"), &buyer).await;
    assert_eq!(results["noise"], "disabled");
    assert_eq!(results["count"], 11);
    let got: Vec<(String, i128)> = results["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["key"].as_str().unwrap().to_string(),
                v["value"].as_i64().unwrap() as i128,
            )
        })
        .collect();
    let expected = expected_aggregates(&campaign, &records);
    assert_eq!(got, expected);
    // The derived contingency table and per-category means, from the
    // plaintext records.
    let derived = &results["derived"];
    let modes = ["car", "bike", "train"];
    for (i, mode) in modes.iter().enumerate() {
        for (j, sex) in ["f", "m"].iter().enumerate() {
            let n = records
                .iter()
                .filter(|r| r["mode"] == *mode && r["sex"] == *sex)
                .count();
            assert_eq!(
                derived["crosstabs"][0]["table"][i]["counts"][j]["count"], n,
                "{mode} × {sex}: {derived}"
            );
        }
        let scores: Vec<f64> = records
            .iter()
            .filter(|r| r["mode"] == *mode)
            .map(|r| r["score"].as_f64().unwrap())
            .collect();
        let group = &derived["group_sums"][0]["groups"][i];
        assert_eq!(group["count"], scores.len(), "{derived}");
        let mean = group["mean"].as_f64().unwrap();
        assert!((mean - scores.iter().sum::<f64>() / scores.len() as f64).abs() < 1e-9);
    }
    // The buyer checks the values without trusting the server: every
    // keyholder (keys pinned from the keyholders themselves) signed its
    // partial decryption, and those recombine to exactly these values.
    // One value changed, a share's signature moved, or another key pinned:
    // refused.
    let keys = p.keyholder_keys().await;
    let results_dir = p.dir.clone();
    let verify = |results: &Value, keys: &str| {
        let file = results_dir.join(format!("results-{}.json", uuid::Uuid::new_v4().simple()));
        std::fs::write(&file, results.to_string()).unwrap();
        bin("cipherpool-client")
            .args(["verify-report", "--keyholder-keys", keys, "--results"])
            .arg(&file)
            .output()
            .unwrap()
    };
    let out = verify(&results, &keys);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("verified:"));
    let mut changed = results.clone();
    changed["values"][0]["value"] = json!(expected[0].1 as i64 + 1);
    let out = verify(&changed, &keys);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("signed shares give"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // A δ (or mechanism) the keyholders did not sign: refused.
    let mut claimed = results.clone();
    claimed["delta"] = json!(1e-6);
    let out = verify(&claimed, &keys);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("mechanism, δ or ρ"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut moved = results.clone();
    moved["proof"]["shares"][1]["signature"]["signature"] =
        moved["proof"]["shares"][0]["signature"]["signature"].clone();
    let out = verify(&moved, &keys);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("does not verify"));
    let wrong = hex::encode(
        protocol::signing::SigningKey::from_bytes(&[9; 32])
            .verifying_key()
            .as_bytes(),
    );
    let first_key = keys.split(',').next().unwrap();
    let out = verify(&results, &format!("{first_key},{wrong}"));
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("did not sign"));
    // Derived figures equal those computed from the plaintext records.
    let column =
        |name: &str| -> Vec<f64> { records.iter().map(|r| r[name].as_f64().unwrap()).collect() };
    let (ages, scores) = (column("age"), column("score"));
    let n = records.len() as f64;
    let mean = |v: &[f64]| v.iter().sum::<f64>() / n;
    let var = |v: &[f64]| v.iter().map(|x| (x - mean(v)).powi(2)).sum::<f64>() / n;
    let fields = results["derived"]["fields"].as_array().unwrap();
    for (f, col) in fields.iter().zip([&ages, &scores]) {
        assert!(
            (f["mean"].as_f64().unwrap() - mean(col)).abs() < 1e-9,
            "{f}"
        );
        assert!(
            (f["variance"].as_f64().unwrap() - var(col)).abs() < 1e-6,
            "{f}"
        );
    }
    let cov = ages
        .iter()
        .zip(&scores)
        .map(|(a, s)| (a - mean(&ages)) * (s - mean(&scores)))
        .sum::<f64>()
        / n;
    let slope = cov / var(&ages);
    let intercept = mean(&scores) - slope * mean(&ages);
    let reg = &results["derived"]["regression"];
    assert_eq!(reg["solved"], true, "{reg}");
    assert!(
        (reg["coefficients"][0].as_f64().unwrap() - slope).abs() < 1e-9,
        "{reg}"
    );
    assert!(
        (reg["intercept"].as_f64().unwrap() - intercept).abs() < 1e-6,
        "{reg}"
    );
    let hist = &results["derived"]["histograms"][0]["counts"];
    for (i, cat) in ["car", "bike", "train"].iter().enumerate() {
        let n = records.iter().filter(|r| r["mode"] == *cat).count();
        assert_eq!(hist[i]["category"], *cat);
        assert_eq!(hist[i]["count"], n, "{hist}");
    }
    let csv = http
        .get(format!("{base}/api/reports/{rid}/results.csv"))
        .bearer_auth(&buyer)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(csv.contains("\ncount,,,11,0,0\n"), "{csv}");
    assert_eq!(
        get(&http, format!("{base}/api/wallet"), &buyer).await["balance"],
        1_000 - 600 - 100
    );

    // The second keyholder down while a report is being released: the
    // first verifies the job and draws its noise once; the report waits in
    // `releasing` while the release is retried every lease (the first
    // keyholder answering its stored noise again); with the second back,
    // it is released. Each keyholder released the job exactly once, the
    // first keyholder's noise never re-drawn, and the result verifies.
    p.stop_keyholder(1);
    let (s, third) = post(
        &http,
        format!("{base}/api/campaigns/{id}/reports"),
        Some(&buyer),
        json!({"epsilon": 0.25}),
        Some("buy-3"),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{third}");
    let third = third["id"].as_i64().unwrap();
    let noise_file = p.dir.join(format!(
        "keyholder-0/campaigns/{id}/releases/{third}/noise.bin"
    ));
    let mut drawn = None;
    for _ in 0..3000 {
        if let Ok(bytes) = std::fs::read(&noise_file) {
            drawn = Some(bytes);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let drawn = drawn.expect("the first keyholder never prepared the release");
    let waiting = get(&http, format!("{base}/api/reports/{third}"), &buyer).await;
    assert_eq!(waiting["status"], "releasing", "{waiting}");
    p.restart_keyholder(1, &e2e_token(1)).await;
    let done = wait_finished(&http, &base, &buyer, third).await;
    assert_eq!(done["status"], "released", "{done}");
    assert_eq!(std::fs::read(&noise_file).unwrap(), drawn);
    for i in 0..E2E_KEYHOLDERS {
        let log =
            std::fs::read_to_string(p.dir.join(format!("keyholder-{i}/decryptions.log"))).unwrap();
        let released = log
            .lines()
            .map(|l| serde_json::from_str::<Value>(l).unwrap())
            .filter(|e| e["job"] == third && e["outcome"] == "released")
            .count();
        assert_eq!(released, 1, "keyholder {i}: {log}");
    }
    let results = get(&http, format!("{base}/api/reports/{third}/results"), &buyer).await;
    let out = verify(&results, &keys);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        get(&http, format!("{base}/api/wallet"), &buyer).await["balance"],
        1_000 - 600 - 200
    );

    // The second keyholder restarted expecting another token: no retry
    // would mend the server's, so the next report fails with a clear error
    // and its price is refunded (instead of retrying for ever).
    p.restart_keyholder(1, "a-rotated-keyholder-token-0123456789")
        .await;
    let (s, second) = post(
        &http,
        format!("{base}/api/campaigns/{id}/reports"),
        Some(&buyer),
        json!({"epsilon": 0.25}),
        Some("buy-2"),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{second}");
    let second = wait_finished(&http, &base, &buyer, second["id"].as_i64().unwrap()).await;
    assert_eq!(second["status"], "failed", "{second}");
    assert_eq!(
        second["error"]["code"], "keyholder_unauthorized",
        "{second}"
    );
    assert_eq!(
        get(&http, format!("{base}/api/wallet"), &buyer).await["balance"],
        1_000 - 600 - 200
    );
    let _ = std::fs::remove_dir_all(&p.dir);
}
