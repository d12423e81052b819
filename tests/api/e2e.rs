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

#[tokio::test]
async fn contributions_over_real_processes() {
    let db_url = fresh_database();
    let dir =
        std::env::temp_dir().join(format!("cipherpool-e2e-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let (kh_port, port) = (free_port(), free_port());
    let token = "e2e-keyholder-token-abcdefghijkl";
    let _kh = Killed(
        bin("cipherpool-keyholder")
            .env(
                "CIPHERPOOL_KEYHOLDER_LISTEN",
                format!("127.0.0.1:{kh_port}"),
            )
            .env("CIPHERPOOL_KEYHOLDER_DATA_DIR", dir.join("keyholder"))
            .env("CIPHERPOOL_KEYHOLDER_TOKEN", token)
            .spawn()
            .unwrap(),
    );
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
    let _server = Killed(
        bin("cipherpool")
            .arg("serve")
            .env("CIPHERPOOL_DATABASE_URL", &db_url)
            .env("CIPHERPOOL_LISTEN", format!("127.0.0.1:{port}"))
            .env(
                "CIPHERPOOL_KEYHOLDER_URL",
                format!("http://127.0.0.1:{kh_port}"),
            )
            .env("CIPHERPOOL_KEYHOLDER_TOKEN", token)
            .spawn()
            .unwrap(),
    );
    let base = format!("http://127.0.0.1:{port}");
    wait_up(&format!("http://127.0.0.1:{kh_port}")).await;
    wait_up(&base).await;
    let http = reqwest::Client::new();

    let login = |email: String| {
        let http = http.clone();
        let base = base.clone();
        async move {
            let (s, b) = post(
                &http,
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
    };
    let register = |role: &'static str| {
        let http = http.clone();
        let base = base.clone();
        async move {
            let email = unique_email(role);
            let (s, _) = post(
                &http,
                format!("{base}/api/auth/register"),
                None,
                json!({"email": email, "password": GOOD_PASSWORD, "role": role}),
                None,
            )
            .await;
            assert_eq!(s, StatusCode::CREATED);
            email
        }
    };
    let (admin, _) = login("root@example.org".into()).await;
    let (buyer, buyer_id) = login(register("buyer").await).await;
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
    // The keyholder keeps the client key sealed in its own directory.
    let sealed =
        std::fs::read(dir.join(format!("keyholder/campaigns/{id}/client_key.sealed"))).unwrap();
    assert!(sealed.len() > 1000);

    let mut wallets = Vec::new();
    for (i, region) in ["north", "south", "north"].iter().enumerate() {
        let (token, _) = login(register("contributor").await).await;
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
        let out = bin("cipherpool-client")
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
                "--secret",
            ])
            .arg(&secret)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let receipt: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(receipt["reward"], 30);
        // The same person again: refused by the nullifier, nothing paid.
        let out = bin("cipherpool-client")
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
                "--secret",
            ])
            .arg(&secret)
            .output()
            .unwrap();
        assert!(!out.status.success());
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("nullifier_used"),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        wallets.push(token);
    }
    for token in &wallets {
        assert_eq!(
            get(&http, format!("{base}/api/wallet"), token).await["balance"],
            30
        );
    }
    let c = get(&http, format!("{base}/api/campaigns/{id}"), &buyer).await;
    assert_eq!(c["escrow_balance"], 3_000 - 90);
    assert_eq!(
        get(&http, format!("{base}/api/admin/ledger/audit"), &admin).await["total"],
        0
    );
    let _ = std::fs::remove_dir_all(&dir);
}
