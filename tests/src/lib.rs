//! Helpers shared by Cipherpool's API and end-to-end tests: a fresh database
//! per test in the one local PostgreSQL cluster started by `scripts/pg`, the
//! server spawned on a random port, and small HTTP helpers.

pub mod fuzz;

use std::sync::atomic::{AtomicU64, Ordering};

use diesel::{Connection, PgConnection, RunQueryDsl};
use reqwest::{Response, StatusCode};
use serde_json::{json, Value};

use keyholder::{Keyholder, KeyholderSettings};
use server::config::Settings;
use server::db::PgPool;
use server::domain::{Email, Role};
use server::startup::Application;

/// Admin URL of the test cluster (`CIPHERPOOL_TEST_PG`, else the default of `scripts/pg`).
pub fn admin_url() -> String {
    std::env::var("CIPHERPOOL_TEST_PG")
        .unwrap_or_else(|_| "postgres://cipherpool@127.0.0.1:54329/postgres".to_string())
}

/// Creates an empty database with a unique name and returns its URL.
pub fn fresh_database() -> String {
    let name = format!("test_{}", uuid::Uuid::new_v4().simple());
    let admin = admin_url();
    let mut conn = PgConnection::establish(&admin).unwrap_or_else(|e| {
        panic!("cannot reach the test PostgreSQL at {admin} ({e}); run scripts/pg start")
    });
    diesel::sql_query(format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .expect("create test database");
    let base = admin
        .rsplit_once('/')
        .map(|(b, _)| b)
        .unwrap_or(&admin)
        .to_string();
    format!("{base}/{name}")
}

/// A running server on a fresh database.
pub struct TestApp {
    /// `http://127.0.0.1:<port>`.
    pub address: String,
    /// The server's database.
    pub db_url: String,
    /// The server's pool (for direct checks).
    pub pool: PgPool,
    /// HTTP client.
    pub client: reqwest::Client,
}

/// Test settings: fresh database, random port, a keyholder of its own.
pub fn test_settings() -> Settings {
    Settings {
        database_url: fresh_database(),
        listen: "127.0.0.1:0".into(),
        db_pool_size: 20,
        keyholder_token: KEYHOLDER_TOKEN.into(),
        // Every test client is 127.0.0.1: no per-address limits unless a
        // test sets them (tests/api/auth.rs, tests/api/limits.rs).
        rate_limits: no_rate_limits(),
        ..Settings::default()
    }
}

/// Rate limits that never refuse.
pub fn no_rate_limits() -> server::config::RateLimits {
    let off = server::config::RateLimit {
        per_minute: 0,
        burst: 0,
    };
    server::config::RateLimits {
        submit: off,
        register: off,
        login: off,
        material: off,
    }
}

/// Token shared by test servers and their keyholders.
pub const KEYHOLDER_TOKEN: &str = "test-keyholder-token-0123456789";

/// Spawns the server with default test settings.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(test_settings()).await
}

/// The attestation circuit's Groth16 keys (proving, verifying) the dealer
/// made with the key set dealt among `parties` keyholders.
pub fn dealt_attestation_keys(parties: u32) -> (Vec<u8>, Vec<u8>) {
    let public = dealt_keyset(parties).join("public");
    (
        std::fs::read(public.join(keyholder::store::ATTESTATION_PK_FILE))
            .expect("dealt proving key"),
        std::fs::read(public.join(keyholder::store::ATTESTATION_VK_FILE))
            .expect("dealt verifying key"),
    )
}

/// A fresh directory for one test's files (a keyholder's key store, a
/// platform's data), under `<temp>/cipherpool-tests/`, which `scripts/test`
/// empties before each run: keyholders spawned inside a test live until the
/// test process exits, so nothing could remove their directories earlier.
pub fn scratch_dir(prefix: &str) -> std::path::PathBuf {
    std::env::temp_dir()
        .join("cipherpool-tests")
        .join(format!("{prefix}-{}", uuid::Uuid::new_v4().simple()))
}

/// A key set dealt among `parties` keyholders (`<dir>/party-<i>` bundles),
/// dealt once and kept under `<temp>/cipherpool-keysets/` across test runs
/// (dealing takes tens of seconds; these are test keys).
pub fn dealt_keyset(parties: u32) -> std::path::PathBuf {
    use std::collections::HashMap;
    use std::sync::Mutex;
    static DEALT: Mutex<Option<HashMap<u32, std::path::PathBuf>>> = Mutex::new(None);
    let mut dealt = DEALT.lock().unwrap_or_else(|e| e.into_inner());
    let dealt = dealt.get_or_insert_with(HashMap::new);
    if let Some(dir) = dealt.get(&parties) {
        return dir.clone();
    }
    let root = std::env::temp_dir().join("cipherpool-keysets");
    let dir = root.join(format!("v4-n{parties}"));
    if !dir.join("complete").exists() {
        let tmp = root.join(format!("tmp-n{parties}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&tmp);
        keyholder::deal::deal_bundles(parties, &tmp).expect("deal a test key set");
        std::fs::write(tmp.join("complete"), b"").expect("mark the key set complete");
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::rename(&tmp, &dir).expect("keep the key set");
    }
    dealt.insert(parties, dir.clone());
    dir
}

/// Starts an in-process keyholder with its own temporary directory (the
/// only share of a one-keyholder key set); returns its URL.
pub async fn spawn_keyholder() -> String {
    spawn_keyholder_in(true).await.0
}

/// Starts an in-process one-keyholder key set's keyholder (with
/// differential-privacy noise unless `noise` is false: the test-only
/// build); returns its URL and directory.
pub async fn spawn_keyholder_in(noise: bool) -> (String, std::path::PathBuf) {
    spawn_share_holder(&dealt_keyset(1).join("party-0"), noise, KEYHOLDER_TOKEN).await
}

/// Starts every keyholder of a key set dealt among `parties` (noise as in
/// [`spawn_keyholder_in`]), each with its own directory and token
/// `<KEYHOLDER_TOKEN>-<i>`; returns their URLs and directories in share order.
pub async fn spawn_keyholders(parties: u32, noise: bool) -> Vec<(String, std::path::PathBuf)> {
    let keyset = dealt_keyset(parties);
    let mut all = Vec::new();
    for i in 0..parties {
        let token = keyholder_token(i);
        all.push(spawn_share_holder(&keyset.join(format!("party-{i}")), noise, &token).await);
    }
    all
}

/// The token of keyholder `i` of [`spawn_keyholders`].
pub fn keyholder_token(i: u32) -> String {
    format!("{KEYHOLDER_TOKEN}-{i}")
}

async fn spawn_share_holder(
    bundle: &std::path::Path,
    noise: bool,
    token: &str,
) -> (String, std::path::PathBuf) {
    let dir = scratch_dir("keyholder");
    let settings = KeyholderSettings {
        listen: "127.0.0.1:0".into(),
        data_dir: dir.clone(),
        token: token.into(),
        kek_hex: hex::encode(rand::random::<[u8; 32]>()).into(),
        keyset_bundle: bundle.to_path_buf(),
        ..KeyholderSettings::default()
    };
    let kh = if noise {
        Keyholder::build(&settings)
    } else {
        Keyholder::build_without_noise(&settings)
    }
    .expect("keyholder");
    let url = format!("http://127.0.0.1:{}", kh.port());
    tokio::spawn(kh.run_until_stopped());
    (url, dir)
}

/// Spawns the server (and, unless `settings.keyholder_url` points at a
/// running one, its own keyholder) with the given settings.
pub async fn spawn_app_with(mut settings: Settings) -> TestApp {
    if settings.keyholder_url == Settings::default().keyholder_url {
        settings.keyholder_url = spawn_keyholder().await;
    }
    let db_url = settings.database_url.clone();
    let releaser_settings = settings.clone();
    let app = Application::build(settings).expect("build app");
    let address = format!("http://127.0.0.1:{}", app.port());
    let pool = app.pool();
    tokio::spawn(app.run_until_stopped());
    // The release loop is a role of its own (`cipherpool releaser`): the
    // in-process platform runs one beside the server, as scripts/run does.
    tokio::spawn(
        server::releaser::Releaser::from_settings(&releaser_settings)
            .expect("releaser")
            .run(),
    );
    TestApp {
        address,
        db_url,
        pool,
        client: test_client(),
    }
}

/// Spawns the server (and its keyholder) on a runtime of its own that
/// outlives the test that started it: one server for a whole test file.
/// Each test talks to it through [`TestApp::with_new_client`] (a client's
/// connections belong to the runtime that opened them).
pub fn spawn_shared_app(settings: Settings) -> TestApp {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async move {
            tx.send(spawn_app_with(settings).await).expect("send app");
            std::future::pending::<()>().await;
        });
    });
    rx.recv().expect("shared app")
}

/// An HTTP client whose pooled connections expire well before the server's
/// keep-alive does.
pub fn test_client() -> reqwest::Client {
    reqwest::Client::builder()
        .pool_idle_timeout(std::time::Duration::from_secs(20))
        .build()
        .expect("client")
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A unique e-mail address.
pub fn unique_email(prefix: &str) -> String {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!(
        "{prefix}{n}-{}@example.org",
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    )
}

/// A password the policy accepts.
pub const GOOD_PASSWORD: &str = "violet-harbour-71-lantern";

/// A user logged in through the API.
#[derive(Debug, Clone)]
pub struct TestUser {
    /// User id.
    pub id: i64,
    /// E-mail.
    pub email: String,
    /// Bearer token.
    pub token: String,
}

/// Parses a JSON response body.
pub async fn body(resp: Response) -> Value {
    resp.json().await.expect("JSON body")
}

/// The string member `key` of each element of the JSON array `list` (e.g. the
/// actions of an audit log page, the kinds of a wallet's transfers).
pub fn members<'a>(list: &'a Value, key: &str) -> Vec<&'a str> {
    list.as_array()
        .expect("a JSON array")
        .iter()
        .map(|e| e[key].as_str().expect("a string member"))
        .collect()
}

/// Asserts status and error code of a response; returns the body.
pub async fn assert_error(resp: Response, status: StatusCode, code: &str) -> Value {
    let got = resp.status();
    let b: Value = resp.json().await.expect("JSON error body");
    assert_eq!(got, status, "body: {b}");
    assert_eq!(b["error"]["code"], code, "body: {b}");
    assert!(
        b["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "body: {b}"
    );
    b
}

impl TestApp {
    /// `GET path` with an optional bearer token.
    pub async fn get(&self, path: &str, token: Option<&str>) -> Response {
        let mut r = self.client.get(format!("{}{path}", self.address));
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        r.send().await.expect("request")
    }

    /// `POST path` with a JSON body, optional token and idempotency key.
    pub async fn post(
        &self,
        path: &str,
        token: Option<&str>,
        json_body: &Value,
        idem: Option<&str>,
    ) -> Response {
        let mut r = self
            .client
            .post(format!("{}{path}", self.address))
            .json(json_body);
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        if let Some(k) = idem {
            r = r.header("Idempotency-Key", k);
        }
        r.send().await.expect("request")
    }

    /// `POST path` with raw bytes and a content type.
    pub async fn post_raw(
        &self,
        path: &str,
        token: Option<&str>,
        content_type: &str,
        raw: Vec<u8>,
    ) -> Response {
        let mut r = self
            .client
            .post(format!("{}{path}", self.address))
            .header("content-type", content_type)
            .body(raw);
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        r.send().await.expect("request")
    }

    /// The same server with an HTTP client of this test's own.
    pub fn with_new_client(&self) -> TestApp {
        TestApp {
            address: self.address.clone(),
            db_url: self.db_url.clone(),
            pool: self.pool.clone(),
            client: test_client(),
        }
    }

    /// Registers and logs in a contributor or buyer.
    pub async fn user(&self, role: &str) -> TestUser {
        let email = unique_email(role);
        let resp = self
            .post(
                "/api/auth/register",
                None,
                &json!({"email": email, "password": GOOD_PASSWORD, "role": role}),
                None,
            )
            .await;
        assert_eq!(resp.status(), StatusCode::ACCEPTED);
        self.login(&email).await
    }

    /// A fresh identity secret for `user`, its commitment registered
    /// (`POST /api/registry/identities`), and the identity's Merkle path as
    /// the registry then answers it (`GET /api/registry/me`).
    pub async fn registered_identity(
        &self,
        user: &TestUser,
    ) -> (
        protocol::attestation::IdentitySecret,
        protocol::wire::IdentityView,
    ) {
        use protocol::attestation::{commitment, fr_to_bytes, IdentitySecret};
        let secret = IdentitySecret::random(&mut rand::rngs::OsRng);
        let r = self
            .post(
                "/api/registry/identities",
                Some(&user.token),
                &json!({"commitment": hex::encode(fr_to_bytes(&commitment(&secret)))}),
                None,
            )
            .await;
        assert!(r.status().is_success(), "identity: {}", r.status());
        let view = body(self.get("/api/registry/me", Some(&user.token)).await).await;
        let identity = serde_json::from_value(view).expect("identity view");
        (secret, identity)
    }

    /// Logs in with [`GOOD_PASSWORD`].
    pub async fn login(&self, email: &str) -> TestUser {
        let resp = self
            .post(
                "/api/auth/login",
                None,
                &json!({"email": email, "password": GOOD_PASSWORD}),
                None,
            )
            .await;
        assert_eq!(resp.status(), StatusCode::OK);
        let b = body(resp).await;
        TestUser {
            id: b["user"]["id"].as_i64().expect("id"),
            email: email.to_string(),
            token: b["token"].as_str().expect("token").to_string(),
        }
    }

    /// Creates an admin the way the CLI does, then logs in.
    pub async fn admin(&self) -> TestUser {
        let email = Email::parse(&unique_email("admin")).expect("email");
        let pool = self.pool.clone();
        let e2 = email.clone();
        tokio::task::spawn_blocking(move || {
            let hash = server::services::accounts::new_password_hash(GOOD_PASSWORD.into(), &e2)
                .expect("hash");
            let mut conn = pool.get().expect("conn");
            server::services::accounts::create_user(&mut conn, &e2, &hash, Role::Admin)
                .expect("admin");
        })
        .await
        .expect("join");
        self.login(email.as_str()).await
    }

    /// Mints `amount` tokens to `user_id` as `admin`.
    pub async fn mint(&self, admin: &TestUser, user_id: i64, amount: i64) -> Value {
        let key = uuid::Uuid::new_v4().to_string();
        let resp = self
            .post(
                "/api/admin/mint",
                Some(&admin.token),
                &json!({"user_id": user_id, "amount": amount}),
                Some(&key),
            )
            .await;
        assert_eq!(resp.status(), StatusCode::OK);
        body(resp).await
    }

    /// The wallet balance of a user.
    pub async fn balance(&self, user: &TestUser) -> i64 {
        let resp = self.get("/api/wallet", Some(&user.token)).await;
        assert_eq!(resp.status(), StatusCode::OK);
        body(resp).await["balance"].as_i64().expect("balance")
    }

    /// The admin ledger audit; asserts it is consistent.
    pub async fn assert_ledger_consistent(&self, admin: &TestUser) {
        let resp = self
            .get("/api/admin/ledger/audit", Some(&admin.token))
            .await;
        assert_eq!(resp.status(), StatusCode::OK);
        let a = body(resp).await;
        assert_eq!(a["total"], 0, "{a}");
        assert_eq!(a["negative_accounts"], 0, "{a}");
        assert_eq!(a["mismatched_accounts"], json!([]), "{a}");
        assert_eq!(a["unclaimed_consistent"], true, "{a}");
    }

    /// Creates `campaign` (a campaign request body), funds it (submit for
    /// review), has the admin approve it (the keyholder generates its keys)
    /// and opens it; returns its id.
    pub async fn open_campaign(&self, admin: &TestUser, buyer: &TestUser, campaign: &Value) -> i64 {
        let id = self.approved_campaign(admin, buyer, campaign).await;
        assert_eq!(self.open(buyer, id).await["status"], "open");
        id
    }

    /// `buyer` opens its approved campaign `id`; answers the campaign.
    pub async fn open(&self, buyer: &TestUser, id: i64) -> Value {
        let r = self
            .post(
                &format!("/api/campaigns/{id}/open"),
                Some(&buyer.token),
                &json!(null),
                None,
            )
            .await;
        assert_eq!(r.status(), StatusCode::OK);
        body(r).await
    }

    /// Creates `campaign` for `buyer`, submits it (funding its escrow) and
    /// has `admin` approve it; returns its id (approved, not yet open).
    pub async fn approved_campaign(
        &self,
        admin: &TestUser,
        buyer: &TestUser,
        campaign: &Value,
    ) -> i64 {
        let r = self
            .post("/api/campaigns", Some(&buyer.token), campaign, None)
            .await;
        assert_eq!(r.status(), StatusCode::CREATED);
        let id = body(r).await["id"].as_i64().expect("id");
        let r = self
            .post(
                &format!("/api/campaigns/{id}/submit"),
                Some(&buyer.token),
                &json!(null),
                Some(&format!("fund-{id}")),
            )
            .await;
        assert_eq!(r.status(), StatusCode::OK);
        let r = self
            .post(
                &format!("/api/admin/campaigns/{id}/approve"),
                Some(&admin.token),
                &json!({}),
                None,
            )
            .await;
        assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());
        id
    }

    /// Creates a draft campaign with [`campaign_body`] and returns its id.
    pub async fn draft_campaign(&self, buyer: &TestUser, budget: i64) -> i64 {
        let resp = self
            .post(
                "/api/campaigns",
                Some(&buyer.token),
                &campaign_body(10, budget),
                None,
            )
            .await;
        let status = resp.status();
        let b = body(resp).await;
        assert_eq!(status, StatusCode::CREATED, "{b}");
        b["id"].as_i64().expect("id")
    }
}

/// The Ed25519 signing key of the keyholder at `url`, asked of it directly
/// (`GET /identity` with its `token`): what a contributor pins.
pub async fn keyholder_signing_key(url: &str, token: &str) -> protocol::signing::VerifyingKey {
    let r = reqwest::Client::new()
        .get(format!("{url}/identity"))
        .bearer_auth(token)
        .send()
        .await
        .expect("keyholder identity");
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = r.json().await.expect("identity JSON");
    protocol::signing::parse_key(v["signing_key"].as_str().expect("signing key"))
        .expect("a keyholder key")
}

/// The keyholders' Ed25519 signing keys as the server at `base` lists them
/// (`GET /api/keyholders`), hex, in share order.
pub async fn keyholder_keys_hex(base: &str) -> Vec<String> {
    let r = reqwest::get(format!("{base}/api/keyholders"))
        .await
        .expect("keyholders");
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = r.json().await.expect("keyholders JSON");
    v["keyholders"]
        .as_array()
        .expect("keyholders")
        .iter()
        .map(|k| k["signing_key"].as_str().expect("signing key").to_string())
        .collect()
}

/// The same, parsed: what a test client pins.
pub async fn keyholder_keys(base: &str) -> Vec<protocol::signing::VerifyingKey> {
    keyholder_keys_hex(base)
        .await
        .iter()
        .map(|k| protocol::signing::parse_key(k).expect("a keyholder key"))
        .collect()
}

/// A campaign's public key and CRS, fetched as a client does from the
/// material's `public_key_url` and `crs_url` (`base` is the server's URL).
pub async fn fetch_public(
    http: &reqwest::Client,
    base: &str,
    material: &protocol::wire::Material,
) -> fhe_compute::PublicMaterial {
    let get = |path: &str| {
        let request = http.get(format!("{base}{path}"));
        async move {
            let r = request.send().await.expect("material part");
            assert_eq!(r.status(), StatusCode::OK);
            r.bytes().await.expect("material part body").to_vec()
        }
    };
    fhe_compute::PublicMaterial {
        public_key: get(&material.public_key_url).await,
        crs: get(&material.crs_url).await,
    }
}

/// The client's `prepare_contribution` (encode, encrypt + zk-pok,
/// Groth16) on the blocking pool, as a test's contributor runs it.
#[allow(clippy::too_many_arguments)]
pub async fn prepare_off_thread(
    material: protocol::wire::Material,
    public: fhe_compute::PublicMaterial,
    proving_key: client::PinnedProvingKey,
    secret: protocol::attestation::IdentitySecret,
    identity: protocol::wire::IdentityView,
    record: Value,
    pinned: Vec<protocol::signing::VerifyingKey>,
) -> Result<protocol::wire::Submission, client::ClientError> {
    tokio::task::spawn_blocking(move || {
        client::prepare_contribution(
            &material,
            &public,
            &proving_key,
            &secret,
            &identity,
            &record,
            &pinned,
            &mut |_| {},
        )
    })
    .await
    .expect("join")
}

/// What a client fetches before it contributes to a campaign: the signed
/// material, its public key and CRS, the attestation proving key, and the
/// keyholders' signing keys it pins.
#[derive(Clone)]
pub struct ClientMaterial {
    /// `GET /api/campaigns/{id}/material`.
    pub material: protocol::wire::Material,
    /// The bytes behind `public_key_url` and `crs_url`.
    pub public: fhe_compute::PublicMaterial,
    /// The proving key from `GET /api/attestation/keys`' URL, checked
    /// against the hash the pinned keyholders signed.
    pub proving_key: client::PinnedProvingKey,
    /// The keyholders' material-signing keys.
    pub pinned: Vec<protocol::signing::VerifyingKey>,
}

async fn get_bytes(http: &reqwest::Client, url: String, token: Option<&str>) -> Vec<u8> {
    let mut r = http.get(url);
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    let resp = r.send().await.expect("request");
    assert_eq!(resp.status(), StatusCode::OK);
    resp.bytes().await.expect("body").to_vec()
}

/// `GET /api/attestation/keys`: the proving keys' hashes as the keyholders
/// signed them.
pub async fn circuit_keys(http: &reqwest::Client, base: &str) -> protocol::wire::CircuitKeys {
    serde_json::from_slice(&get_bytes(http, format!("{base}/api/attestation/keys"), None).await)
        .expect("circuit keys")
}

/// The attestation proving key as a client takes it: fetched from the URL
/// `GET /api/attestation/keys` names, checked against the hash every key of
/// `pinned` signed.
pub async fn pinned_proving_key(
    http: &reqwest::Client,
    base: &str,
    pinned: &[protocol::signing::VerifyingKey],
) -> client::PinnedProvingKey {
    let keys = circuit_keys(http, base).await;
    let bytes = get_bytes(http, format!("{base}{}", keys.proving_key_url), None).await;
    client::PinnedProvingKey::load(&keys, &bytes, pinned).expect("the signed proving key")
}

/// The claim proving key as a client takes it (see [`pinned_proving_key`]).
pub async fn pinned_claim_key(
    http: &reqwest::Client,
    base: &str,
    pinned: &[protocol::signing::VerifyingKey],
) -> client::PinnedClaimKey {
    let keys = circuit_keys(http, base).await;
    let bytes = get_bytes(http, format!("{base}{}", keys.claim_proving_key_url), None).await;
    client::PinnedClaimKey::load(&keys, &bytes, pinned).expect("the signed claim key")
}

/// Fetches [`ClientMaterial`] for `campaign` from the server at `base`.
pub async fn client_material(http: &reqwest::Client, base: &str, campaign: i64) -> ClientMaterial {
    let material: protocol::wire::Material = serde_json::from_slice(
        &get_bytes(
            http,
            format!("{base}/api/campaigns/{campaign}/material"),
            None,
        )
        .await,
    )
    .expect("material");
    let pinned = keyholder_keys(base).await;
    let proving_key = pinned_proving_key(http, base, &pinned).await;
    let public = fetch_public(http, base, &material).await;
    ClientMaterial {
        material,
        public,
        proving_key,
        pinned,
    }
}

/// A new contributor account registers an identity, then prepares (encodes,
/// encrypts and proves: zk-pok + Groth16) `record` as the client does,
/// its reward bound to a note of its identity. Nothing is submitted.
pub async fn new_contributor_submission(
    http: &reqwest::Client,
    base: &str,
    m: &ClientMaterial,
    record: &Value,
) -> protocol::wire::Submission {
    use protocol::attestation::{self, fr_to_bytes, IdentitySecret};
    use protocol::wire::IdentityView;
    let email = unique_email("contributor");
    let r = http
        .post(format!("{base}/api/auth/register"))
        .json(&json!({"email": email, "password": GOOD_PASSWORD, "role": "contributor"}))
        .send()
        .await
        .expect("register");
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    let login: Value = http
        .post(format!("{base}/api/auth/login"))
        .json(&json!({"email": email, "password": GOOD_PASSWORD}))
        .send()
        .await
        .expect("login")
        .json()
        .await
        .expect("login body");
    let token = login["token"].as_str().expect("token").to_string();
    let secret = IdentitySecret::random(&mut rand::rngs::OsRng);
    let commitment = hex::encode(fr_to_bytes(&attestation::commitment(&secret)));
    let r = http
        .post(format!("{base}/api/registry/identities"))
        .bearer_auth(&token)
        .json(&json!({"commitment": commitment}))
        .send()
        .await
        .expect("identity");
    assert_eq!(r.status(), StatusCode::CREATED);
    let identity: IdentityView = serde_json::from_slice(
        &get_bytes(http, format!("{base}/api/registry/me"), Some(&token)).await,
    )
    .expect("identity view");
    prepare_off_thread(
        m.material.clone(),
        m.public.clone(),
        m.proving_key.clone(),
        secret,
        identity,
        record.clone(),
        m.pinned.clone(),
    )
    .await
    .expect("prepare")
}

/// Contributes records to an open campaign the way the client does: for each
/// record a new contributor account registers an identity, then the record is
/// encoded, encrypted and proven (zk-pok + Groth16) and submitted. `base` is
/// the server's URL. Returns the receipts.
pub async fn contribute_records(
    http: &reqwest::Client,
    base: &str,
    campaign: i64,
    records: &[Value],
) -> Vec<Value> {
    let m = client_material(http, base, campaign).await;
    let mut receipts = Vec::new();
    for record in records {
        let submission = new_contributor_submission(http, base, &m, record).await;
        let r = http
            .post(format!("{base}/api/campaigns/{campaign}/contributions"))
            .json(&submission)
            .send()
            .await
            .expect("submit");
        let status = r.status();
        let receipt: Value = r.json().await.expect("receipt");
        assert_eq!(status, StatusCode::CREATED, "{receipt}");
        receipts.push(receipt);
    }
    receipts
}

/// A valid campaign request.
pub fn campaign_body(reward: i64, budget: i64) -> Value {
    json!({
        "title": "Sleep and exercise",
        "description": "Hours of sleep, minutes of exercise, and your region.",
        "schema": {
            "fields": [
                {"type": "numeric", "name": "sleep_minutes", "bits": 16, "range": {"min": 0, "max": 1440}},
                {"type": "numeric", "name": "exercise_minutes", "bits": 16},
                {"type": "categorical", "name": "region", "categories": ["north", "south", "east", "west"]}
            ],
            "regression": {"features": ["exercise_minutes"], "target": "sleep_minutes"}
        },
        "statistics": ["count", "mean", "variance", "histogram", "regression"],
        "reward": reward,
        "budget": budget,
        "min_contributors": 10,
        "epsilon": 1.0
    })
}

/// Path of a binary of this workspace built next to the test executable.
pub fn workspace_bin(name: &str) -> std::path::PathBuf {
    let exe = std::env::current_exe().expect("current exe");
    // target/<profile>/deps/<test> → target/<profile>/<name>
    let dir = exe.parent().and_then(|p| p.parent()).expect("target dir");
    dir.join(name)
}

/// A child process killed (and reaped) when dropped, so a failing test
/// leaves no server behind.
pub struct Killed(pub std::process::Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A loopback port that was free a moment ago.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

/// One accepted contribution as the database holds it.
#[derive(Debug, Clone)]
pub struct StoredContribution {
    /// SHA-256 of the ciphertext.
    pub digest: Vec<u8>,
    /// The proven ciphertext list.
    pub ciphertext: Vec<u8>,
    /// Its attestation's nullifier.
    pub nullifier: Vec<u8>,
    /// The registry root it was attested under.
    pub root: Vec<u8>,
    /// The Groth16 proof.
    pub proof: Vec<u8>,
    /// The reward note's key bound by the attestation.
    pub note_key: Vec<u8>,
}

impl StoredContribution {
    /// The contribution as a release manifest lists it.
    pub fn manifest_entry(&self) -> Value {
        use base64::Engine;
        let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
        json!({"digest": hex::encode(&self.digest),
               "ciphertext": b64(&self.ciphertext),
               "nullifier": hex::encode(&self.nullifier),
               "root": hex::encode(&self.root),
               "proof": b64(&self.proof),
               "note_key": hex::encode(&self.note_key),
               "tier": "open"})
    }
}

type ContributionRow = (
    Vec<u8>,
    Vec<u8>,
    Vec<u8>,
    Vec<u8>,
    Option<Vec<u8>>,
    Option<Vec<u8>>,
);

fn contributions_where(
    conn: &mut diesel::PgConnection,
    campaign: i64,
    ids: std::ops::RangeInclusive<i64>,
) -> Vec<StoredContribution> {
    use diesel::prelude::*;
    use server::schema::contributions as c;
    let rows: Vec<ContributionRow> = c::table
        .filter(c::campaign_id.eq(campaign))
        .filter(c::id.between(*ids.start(), *ids.end()))
        .order(c::id.asc())
        .select((
            c::digest,
            c::ciphertext,
            c::nullifier,
            c::registry_root,
            c::attestation_proof,
            c::note_key,
        ))
        .load(conn)
        .expect("contributions");
    rows.into_iter()
        .map(
            |(digest, ciphertext, nullifier, root, proof, note_key)| StoredContribution {
                digest,
                ciphertext,
                nullifier,
                root,
                proof: proof.expect("a stored attestation proof"),
                note_key: note_key.expect("a note key"),
            },
        )
        .collect()
}

/// A campaign's contributions in id order.
pub fn stored_contributions(db_url: &str, campaign: i64) -> Vec<StoredContribution> {
    use diesel::prelude::*;
    let mut conn = PgConnection::establish(db_url).expect("database");
    contributions_where(&mut conn, campaign, 0..=i64::MAX)
}

/// The manifest's shards of a job exactly as the server sends them: each
/// shard's contributions in id order, shards in index order.
pub fn job_manifest(db_url: &str, job: i64) -> Value {
    use diesel::prelude::*;
    use server::schema::{job_shards, jobs};
    let mut conn = PgConnection::establish(db_url).expect("database");
    let campaign: i64 = jobs::table
        .find(job)
        .select(jobs::campaign_id)
        .first(&mut conn)
        .expect("job");
    let ranges: Vec<(i64, i64)> = job_shards::table
        .filter(job_shards::job_id.eq(job))
        .order(job_shards::shard_index.asc())
        .select((
            job_shards::first_contribution_id,
            job_shards::last_contribution_id,
        ))
        .load(&mut conn)
        .expect("shards");
    let shards: Vec<Value> = ranges
        .into_iter()
        .map(|(first, last)| {
            let rows = contributions_where(&mut conn, campaign, first..=last);
            json!({"contributions": rows.iter().map(StoredContribution::manifest_entry).collect::<Vec<_>>()})
        })
        .collect();
    Value::Array(shards)
}

/// Asks the one keyholder of a one-keyholder key set at `kh` directly (as
/// a server would, with its token) to release `job` of `campaign` with
/// `request`: round 1 (verify, noise), then, if that succeeded, round 2
/// (partial decryption, which alone decrypts the values when the key set
/// has one share). Returns the first refusal or the round-2 answer.
pub async fn ask_keyholder(kh: &str, campaign: i64, job: i64, request: &Value) -> Response {
    let http = reqwest::Client::new();
    let noise = http
        .post(format!("{kh}/campaigns/{campaign}/releases/{job}/noise"))
        .bearer_auth(KEYHOLDER_TOKEN)
        .json(request)
        .send()
        .await
        .expect("keyholder request");
    if !noise.status().is_success() {
        return noise;
    }
    let noise: Value = noise.json().await.expect("noise answer");
    http.post(format!("{kh}/campaigns/{campaign}/releases/{job}/decrypt"))
        .bearer_auth(KEYHOLDER_TOKEN)
        .json(&json!({"request_digest": noise["request_digest"], "noises": [noise["noise"]]}))
        .send()
        .await
        .expect("keyholder request")
}

/// The median of benchmark samples (the upper one of an even count).
pub fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}
