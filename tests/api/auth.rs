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
    assert_eq!(resp.status(), StatusCode::CREATED);
    let user = body(resp).await;
    assert_eq!(user["email"], email.to_lowercase());
    assert_eq!(user["role"], "buyer");
    assert!(user.get("password_hash").is_none());

    let u = app.login(&email).await;
    assert!(u.token.starts_with("cps_"));
    let me = body(app.get("/api/auth/me", Some(&u.token)).await).await;
    assert_eq!(me["id"], user["id"]);

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
    assert!(stored_tokens.contains(&server::auth::hash_token(&token)));

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
    let email = unique_email("dup");
    let resp = app
        .post(
            "/api/auth/register",
            None,
            &reg(email.clone(), GOOD_PASSWORD, "contributor"),
            None,
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    assert_error(
        app.post(
            "/api/auth/register",
            None,
            &reg(email.to_uppercase(), GOOD_PASSWORD, "buyer"),
            None,
        )
        .await,
        StatusCode::CONFLICT,
        "email_taken",
    )
    .await;
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

#[tokio::test]
async fn failed_logins_are_limited_per_account() {
    let app = spawn_app().await;
    let u = app.user("buyer").await;
    for _ in 0..5 {
        assert_error(
            app.post(
                "/api/auth/login",
                None,
                &json!({"email": u.email, "password": "wrong-password-123"}),
                None,
            )
            .await,
            StatusCode::UNAUTHORIZED,
            "invalid_credentials",
        )
        .await;
    }
    // Now even the right password is refused for this account...
    assert_error(
        app.post(
            "/api/auth/login",
            None,
            &json!({"email": u.email, "password": GOOD_PASSWORD}),
            None,
        )
        .await,
        StatusCode::TOO_MANY_REQUESTS,
        "too_many_attempts",
    )
    .await;
    // ...but other accounts from the same address still log in.
    let other = app.user("buyer").await;
    assert!(!other.token.is_empty());
}

#[tokio::test]
async fn failed_logins_are_limited_per_ip() {
    let mut settings = test_settings();
    settings.login.max_per_ip = 4;
    let app = spawn_app_with(settings).await;
    let victim = app.user("buyer").await;
    for i in 0..4 {
        assert_error(
            app.post(
                "/api/auth/login",
                None,
                &json!({"email": format!("nobody{i}@example.org"), "password": "whatever-123"}),
                None,
            )
            .await,
            StatusCode::UNAUTHORIZED,
            "invalid_credentials",
        )
        .await;
    }
    assert_error(
        app.post(
            "/api/auth/login",
            None,
            &json!({"email": victim.email, "password": GOOD_PASSWORD}),
            None,
        )
        .await,
        StatusCode::TOO_MANY_REQUESTS,
        "too_many_attempts",
    )
    .await;
}

#[tokio::test]
async fn unknown_users_cost_the_same_as_known_ones() {
    let mut settings = test_settings();
    settings.login.max_per_account = 1000;
    settings.login.max_per_ip = 1000;
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
