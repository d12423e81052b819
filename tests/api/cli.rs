//! The README walk-through over real processes: the `cipherpool` binary
//! migrates, creates the first admin, and serves; everything else goes
//! through the REST API.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

use cipherpool_tests::*;
use reqwest::StatusCode;
use serde_json::{json, Value};

fn cipherpool(db_url: &str) -> Command {
    let bin = workspace_bin("cipherpool");
    assert!(
        bin.exists(),
        "{} missing: build with `cargo build --bins` first",
        bin.display()
    );
    let mut c = Command::new(bin);
    c.env("CIPHERPOOL_DATABASE_URL", db_url)
        .env("RUST_LOG", "warn");
    c
}

async fn call(
    client: &reqwest::Client,
    base: &str,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
    idem: Option<&str>,
) -> (StatusCode, Value) {
    let mut r = client.request(method.parse().unwrap(), format!("{base}{path}"));
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    if let Some(b) = body {
        r = r.json(&b);
    }
    if let Some(k) = idem {
        r = r.header("Idempotency-Key", k);
    }
    let resp = r.send().await.unwrap();
    let status = resp.status();
    let text = resp.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

#[tokio::test]
async fn readme_walkthrough_over_real_processes() {
    let db_url = fresh_database();

    let out = cipherpool(&db_url).arg("migrate").output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Every migration under migrations/ is applied on a fresh database.
    let migrations = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../migrations"))
        .unwrap()
        .filter(|e| e.as_ref().unwrap().path().join("up.sql").exists())
        .count();
    assert!(migrations >= 6);
    assert!(
        String::from_utf8_lossy(&out.stdout).contains(&format!("applied {migrations} migration")),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );

    // A weak password is refused and creates nothing.
    let out = cipherpool(&db_url)
        .args(["create-admin", "--email", "root@example.org"])
        .env("CIPHERPOOL_ADMIN_PASSWORD", "password")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("too common"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // The password comes on standard input.
    let mut child = cipherpool(&db_url)
        .args(["create-admin", "--email", "root@example.org"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(child.stdin.take().unwrap(), "{GOOD_PASSWORD}").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("created admin root@example.org"));

    let (port, kh_port) = (free_port(), free_port());
    let kh_dir = scratch_dir("cli-keyholder");
    let _keyholder = Killed(
        Command::new(workspace_bin("cipherpool-keyholder"))
            .env("RUST_LOG", "warn")
            .env(
                "CIPHERPOOL_KEYHOLDER_LISTEN",
                format!("127.0.0.1:{kh_port}"),
            )
            .env("CIPHERPOOL_KEYHOLDER_DATA_DIR", &kh_dir)
            .env(
                "CIPHERPOOL_KEYHOLDER_KEK_FILE",
                kh_dir.with_extension("kek"),
            )
            .env("CIPHERPOOL_KEYHOLDER_TOKEN", KEYHOLDER_TOKEN)
            .env(
                "CIPHERPOOL_KEYHOLDER_KEYSET_BUNDLE",
                dealt_keyset(1).join("party-0"),
            )
            .spawn()
            .unwrap(),
    );
    let _server = Killed(
        cipherpool(&db_url)
            .arg("serve")
            .env("CIPHERPOOL_LISTEN", format!("127.0.0.1:{port}"))
            .env(
                "CIPHERPOOL_KEYHOLDER_URL",
                format!("http://127.0.0.1:{kh_port}"),
            )
            .env("CIPHERPOOL_KEYHOLDER_TOKEN", KEYHOLDER_TOKEN)
            .spawn()
            .unwrap(),
    );
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let mut up = false;
    for _ in 0..900 {
        if let Ok(r) = client.get(format!("{base}/health")).send().await {
            if r.status() == StatusCode::OK {
                up = true;
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(up, "server did not come up");

    let (s, admin) = call(
        &client,
        &base,
        "POST",
        "/api/auth/login",
        None,
        Some(json!({"email": "root@example.org", "password": GOOD_PASSWORD})),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let admin_token = admin["token"].as_str().unwrap().to_string();
    assert_eq!(admin["user"]["role"], "admin");

    let (s, buyer) = call(
        &client,
        &base,
        "POST",
        "/api/auth/register",
        None,
        Some(json!({"email": "buyer@example.org", "password": GOOD_PASSWORD, "role": "buyer"})),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{buyer}");
    let (_, login) = call(
        &client,
        &base,
        "POST",
        "/api/auth/login",
        None,
        Some(json!({"email": "buyer@example.org", "password": GOOD_PASSWORD})),
        None,
    )
    .await;
    let buyer_token = login["token"].as_str().unwrap().to_string();
    let buyer_id = login["user"]["id"].as_i64().unwrap();

    let (s, minted) = call(
        &client,
        &base,
        "POST",
        "/api/admin/mint",
        Some(&admin_token),
        Some(json!({"user_id": buyer_id, "amount": 5000})),
        Some("mint-buyer-1"),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{minted}");

    let (s, campaign) = call(
        &client,
        &base,
        "POST",
        "/api/campaigns",
        Some(&buyer_token),
        Some(campaign_body(10, 2000)),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{campaign}");
    let id = campaign["id"].as_i64().unwrap();
    let (s, _) = call(
        &client,
        &base,
        "POST",
        &format!("/api/campaigns/{id}/submit"),
        Some(&buyer_token),
        None,
        Some("fund-1"),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let (s, approved) = call(
        &client,
        &base,
        "POST",
        &format!("/api/admin/campaigns/{id}/approve"),
        Some(&admin_token),
        None,
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{approved}");
    assert_eq!(approved["status"], "approved");
    assert_eq!(approved["escrow_balance"], 2000);

    let (_, wallet) = call(
        &client,
        &base,
        "GET",
        "/api/wallet",
        Some(&buyer_token),
        None,
        None,
    )
    .await;
    assert_eq!(wallet["balance"], 3000);
    let kinds: Vec<&str> = members(&wallet["transfers"], "kind");
    assert_eq!(kinds, ["campaign_funding", "mint"]);
    let (_, audit) = call(
        &client,
        &base,
        "GET",
        "/api/admin/ledger/audit",
        Some(&admin_token),
        None,
        None,
    )
    .await;
    assert_eq!(audit["total"], 0);

    // A second create-admin with the same e-mail fails cleanly.
    let out = cipherpool(&db_url)
        .args(["create-admin", "--email", "root@example.org"])
        .env("CIPHERPOOL_ADMIN_PASSWORD", GOOD_PASSWORD)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("email_taken"));
}
