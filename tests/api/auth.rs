//! Accounts and sessions.

use std::time::Instant;

use cipherpool_tests::*;
use diesel::prelude::*;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn register_login_me_logout() {
    let app = spawn_app().await;
    let email = unique_email("Ann");
    let resp = app
        .post(
            "/api/auth/register",
            None,
            &json!({"email": email.to_uppercase(), "password": GOOD_PASSWORD, "role": "buyer"}),
            None,
        )
        .await;
    assert_eq!(resp.status(), StatusCode::ACCEPTED);
    let answer = body(resp).await;
    assert_eq!(answer["email"], email.to_lowercase());
    assert!(answer.get("password_hash").is_none());

    let u = app.login(&email).await;
    assert!(u.token.starts_with("cps_"));
    let me = body(app.get("/api/auth/me", Some(&u.token)).await).await;
    assert_eq!(me["id"], u.id);
    assert_eq!(me["email"], email.to_lowercase());
    assert_eq!(me["role"], "buyer");

    // The password is stored as argon2id at the OWASP parameters, and the
    // token only as its hash.
    let pool = app.pool.clone();
    let token = u.token.clone();
    let (hash, stored_tokens): (String, Vec<String>) = tokio::task::spawn_blocking(move || {
        use server::schema::{sessions, users};
        let mut c = pool.get().unwrap();
        let h = users::table
            .filter(users::email.eq(email.to_lowercase()))
            .select(users::password_hash)
            .first(&mut c)
            .unwrap();
        let t = sessions::table
            .select(sessions::token_hash)
            .load(&mut c)
            .unwrap();
        (h, t)
    })
    .await
    .unwrap();
    assert!(
        hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{hash}"
    );
    assert!(!stored_tokens.contains(&token));
    assert!(stored_tokens.contains(&server::domain::session_token::hash_token(&token)));

    let resp = app
        .post("/api/auth/logout", Some(&u.token), &json!({}), None)
        .await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    assert_error(
        app.get("/api/auth/me", Some(&u.token)).await,
        StatusCode::UNAUTHORIZED,
        "session_revoked",
    )
    .await;
}

#[tokio::test]
async fn registration_refuses_bad_accounts() {
    let app = spawn_app().await;
    let reg =
        |email: String, pw: &str, role: &str| json!({"email": email, "password": pw, "role": role});
    assert_error(
        app.post(
            "/api/auth/register",
            None,
            &reg("not-an-email".into(), GOOD_PASSWORD, "buyer"),
            None,
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_email",
    )
    .await;
    assert_error(
        app.post(
            "/api/auth/register",
            None,
            &reg(unique_email("s"), "Ab1!x", "buyer"),
            None,
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "password_too_short",
    )
    .await;
    for common in ["password1", "qwerty123", "iloveyou"] {
        assert_error(
            app.post(
                "/api/auth/register",
                None,
                &reg(unique_email("w"), common, "buyer"),
                None,
            )
            .await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "password_too_weak",
        )
        .await;
    }
    assert_error(
        app.post(
            "/api/auth/register",
            None,
            &reg(unique_email("a"), GOOD_PASSWORD, "admin"),
            None,
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_role",
    )
    .await;
    assert_error(
        app.post(
            "/api/auth/register",
            None,
            &reg(unique_email("r"), GOOD_PASSWORD, "superuser"),
            None,
        )
        .await,
        StatusCode::BAD_REQUEST,
        "invalid_body",
    )
    .await;
    // A taken e-mail is answered exactly like a new one (202, same body):
    // the answer does not tell which e-mails have accounts. Nothing changes
    // for the account; its owner gets a notice instead.
    let email = unique_email("dup");
    let first = app
        .post(
            "/api/auth/register",
            None,
            &reg(email.clone(), GOOD_PASSWORD, "contributor"),
            None,
        )
        .await;
    assert_eq!(first.status(), StatusCode::ACCEPTED);
    let first = body(first).await;
    let again = app
        .post(
            "/api/auth/register",
            None,
            &reg(email.to_uppercase(), "another-fine-passphrase-77", "buyer"),
            None,
        )
        .await;
    assert_eq!(again.status(), StatusCode::ACCEPTED);
    assert_eq!(body(again).await, first);
    let owner = app.login(&email).await;
    assert_error(
        app.post(
            "/api/auth/login",
            None,
            &json!({"email": email, "password": "another-fine-passphrase-77"}),
            None,
        )
        .await,
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
    )
    .await;
    let me = body(app.get("/api/auth/me", Some(&owner.token)).await).await;
    assert_eq!(
        me["role"], "contributor",
        "the second registration changed nothing"
    );
    let pool = app.pool.clone();
    let notices: Vec<String> = tokio::task::spawn_blocking(move || {
        use server::schema::account_notices;
        account_notices::table
            .filter(account_notices::user_id.eq(owner.id))
            .select(account_notices::kind)
            .load(&mut pool.get().unwrap())
            .unwrap()
    })
    .await
    .unwrap();
    assert_eq!(notices, vec!["registration_attempt".to_string()]);
}

#[tokio::test]
async fn bad_tokens_and_expired_sessions() {
    let app = spawn_app().await;
    assert_error(
        app.get("/api/auth/me", None).await,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    )
    .await;
    assert_error(
        app.get("/api/auth/me", Some("cps_forged")).await,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    )
    .await;
    assert_error(
        app.get("/api/auth/me", Some("garbage")).await,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    )
    .await;

    let u = app.user("contributor").await;
    let pool = app.pool.clone();
    let id = u.id;
    tokio::task::spawn_blocking(move || {
        use server::schema::sessions;
        let mut c = pool.get().unwrap();
        diesel::update(sessions::table.filter(sessions::user_id.eq(id)))
            .set(sessions::expires_at.eq(chrono::Utc::now() - chrono::Duration::seconds(1)))
            .execute(&mut c)
            .unwrap();
    })
    .await
    .unwrap();
    assert_error(
        app.get("/api/auth/me", Some(&u.token)).await,
        StatusCode::UNAUTHORIZED,
        "session_expired",
    )
    .await;
    assert_error(
        app.get("/api/wallet", Some(&u.token)).await,
        StatusCode::UNAUTHORIZED,
        "session_expired",
    )
    .await;
}

async fn wrong_login(app: &TestApp, email: &str) -> reqwest::Response {
    app.post(
        "/api/auth/login",
        None,
        &json!({"email": email, "password": "wrong-password-123"}),
        None,
    )
    .await
}

/// The answers to `n` concurrent wrong logins, as (status, code).
async fn concurrent_wrong_logins(
    app: &TestApp,
    email: &str,
    n: usize,
) -> Vec<(StatusCode, String)> {
    futures::future::join_all((0..n).map(|_| async {
        let r = wrong_login(app, email).await;
        let s = r.status();
        (
            s,
            body(r).await["error"]["code"]
                .as_str()
                .unwrap_or("")
                .to_string(),
        )
    }))
    .await
}

#[tokio::test]
async fn failed_logins_back_off_per_address_and_the_count_is_atomic() {
    let mut settings = test_settings();
    settings.login.free_failures = 3;
    settings.login.backoff_secs = 1;
    let app = spawn_app_with(settings).await;
    let victim = app.user("buyer").await;
    // 20 concurrent guesses from one address: the first three are free,
    // the fourth is let in and starts the backoff; every other one is
    // refused before its password is checked (a count-then-insert check
    // would let all 20 through).
    let answers = concurrent_wrong_logins(&app, "nobody@example.org", 20).await;
    let wrong = answers
        .iter()
        .filter(|(s, c)| *s == StatusCode::UNAUTHORIZED && c == "invalid_credentials")
        .count();
    let held = answers
        .iter()
        .filter(|(s, c)| *s == StatusCode::TOO_MANY_REQUESTS && c == "too_many_attempts")
        .count();
    assert_eq!((wrong, held), (4, 16), "{answers:?}");
    // While it backs off, even the right password of another account is
    // refused from this address, with the wait in Retry-After.
    let r = app
        .post(
            "/api/auth/login",
            None,
            &json!({"email": victim.email, "password": GOOD_PASSWORD}),
            None,
        )
        .await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=2).contains(&retry), "Retry-After {retry}");
    // After the wait, one more guess is let in and doubles the wait.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert_error(
        wrong_login(&app, "nobody@example.org").await,
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
    )
    .await;
    let r = wrong_login(&app, "nobody@example.org").await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((2..=3).contains(&retry), "doubled: Retry-After {retry}");
    // The account itself is not locked: after the wait its owner logs in.
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let back = app.login(&victim.email).await;
    assert!(!back.token.is_empty());
}

#[tokio::test]
async fn an_account_locks_only_after_many_failures_until_an_admin_unlocks_it() {
    let mut settings = test_settings();
    // Failures come from one test address: let the address guess freely
    // so the account counter is what refuses.
    settings.login.free_failures = 1000;
    settings.login.lock_after = 6;
    let app = spawn_app_with(settings).await;
    let admin = app.admin().await;
    let victim = app.user("contributor").await;
    let ghost = unique_email("ghost");
    for _ in 0..5 {
        for who in [&victim.email, &ghost] {
            assert_error(
                wrong_login(&app, who).await,
                StatusCode::UNAUTHORIZED,
                "invalid_credentials",
            )
            .await;
        }
    }
    // Five failures do not lock anything: the owner still logs in, which
    // also clears its count.
    let again = app.login(&victim.email).await;
    assert!(!again.token.is_empty());
    // Six more failures lock the account; the sixth failure of the
    // e-mail with no account locks it the same way.
    for _ in 0..6 {
        let r = wrong_login(&app, &victim.email).await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
    let r = wrong_login(&app, &ghost).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    // Locked: even the right password is refused, and an e-mail with no
    // account is answered the same way (no hint which one exists).
    for (who, pw) in [(&victim.email, GOOD_PASSWORD), (&ghost, GOOD_PASSWORD)] {
        assert_error(
            app.post(
                "/api/auth/login",
                None,
                &json!({"email": who, "password": pw}),
                None,
            )
            .await,
            StatusCode::FORBIDDEN,
            "account_locked",
        )
        .await;
    }
    let users = body(
        app.get("/api/admin/users?role=contributor", Some(&admin.token))
            .await,
    )
    .await;
    let row = users
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["id"] == victim.id)
        .unwrap();
    assert!(row["locked_at"].is_string(), "{row}");
    // Only an admin unlocks it; then the owner logs in.
    assert_error(
        app.post(
            &format!("/api/admin/users/{}/unlock", victim.id),
            Some(&victim.token),
            &json!({}),
            None,
        )
        .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    let r = app
        .post(
            &format!("/api/admin/users/{}/unlock", victim.id),
            Some(&admin.token),
            &json!({}),
            None,
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(body(r).await["locked_at"].is_null());
    assert_error(
        app.post(
            &format!("/api/admin/users/{}/unlock", victim.id),
            Some(&admin.token),
            &json!({}),
            None,
        )
        .await,
        StatusCode::CONFLICT,
        "not_locked",
    )
    .await;
    let back = app.login(&victim.email).await;
    assert!(!back.token.is_empty());
    let audit = body(app.get("/api/admin/audit", Some(&admin.token)).await).await;
    let unlocks: Vec<&serde_json::Value> = audit
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "unlock_user")
        .collect();
    assert_eq!(unlocks.len(), 1, "{audit}");
    assert_eq!(unlocks[0]["subject"], format!("user:{}", victim.id));
}

#[tokio::test]
async fn unknown_users_cost_the_same_as_known_ones() {
    let mut settings = test_settings();
    settings.login.free_failures = 1000;
    let app = spawn_app_with(settings).await;
    let u = app.user("contributor").await;
    let mut known = Vec::new();
    let mut unknown = Vec::new();
    for i in 0..5 {
        let t = Instant::now();
        let r = app
            .post(
                "/api/auth/login",
                None,
                &json!({"email": u.email, "password": "wrong-password-x"}),
                None,
            )
            .await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        known.push(t.elapsed().as_secs_f64());
        let t = Instant::now();
        let r = app
            .post(
                "/api/auth/login",
                None,
                &json!({"email": format!("ghost{i}@example.org"), "password": "wrong-password-x"}),
                None,
            )
            .await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        unknown.push(t.elapsed().as_secs_f64());
    }
    known.sort_by(f64::total_cmp);
    unknown.sort_by(f64::total_cmp);
    let (k, u) = (known[2], unknown[2]);
    // Both paths run one argon2id verification; without the dummy hash the
    // unknown path would be ~100x faster.
    assert!(
        u > k * 0.4 && u < k * 2.5,
        "median known {k:.4}s vs unknown {u:.4}s"
    );
}
