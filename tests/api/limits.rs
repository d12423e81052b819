//! Per-client-address rate limits, and the client address behind a
//! trusted proxy. One server for the whole file: each test uses its own
//! (forwarded) client addresses, so their buckets never meet.

use cipherpool_tests::*;
use reqwest::StatusCode;
use serde_json::json;
use server::config::RateLimit;
use std::sync::OnceLock;

static APP: OnceLock<TestApp> = OnceLock::new();

/// The server: 127.0.0.1 is a trusted proxy (so each test can speak for
/// clients of its own with `X-Forwarded-For`), small bursts, slow refill.
fn app() -> TestApp {
    APP.get_or_init(|| {
        let mut settings = test_settings();
        let slow = |burst| RateLimit {
            per_minute: 1,
            burst,
        };
        settings.rate_limits.register = slow(3);
        settings.rate_limits.login = slow(4);
        settings.rate_limits.submit = slow(2);
        settings.rate_limits.material = slow(2);
        settings.trusted_proxies = "127.0.0.1, ::1".into();
        spawn_shared_app(settings)
    })
    .with_new_client()
}

async fn register_as(app: &TestApp, forwarded: Option<&str>) -> reqwest::Response {
    let mut r = app
        .client
        .post(format!("{}/api/auth/register", app.address))
        .json(
            &json!({"email": unique_email("rl"), "password": GOOD_PASSWORD, "role": "contributor"}),
        );
    if let Some(f) = forwarded {
        r = r.header("x-forwarded-for", f);
    }
    r.send().await.unwrap()
}

fn retry_after(r: &reqwest::Response) -> u64 {
    r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap()
}

#[tokio::test]
async fn registrations_are_limited_per_client_and_forged_hops_do_not_help() {
    let app = &app();
    let me = "198.51.100.10";
    for _ in 0..3 {
        assert_eq!(
            register_as(app, Some(me)).await.status(),
            StatusCode::ACCEPTED
        );
    }
    let r = register_as(app, Some(me)).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!((1..=61).contains(&retry_after(&r)));
    assert_error(r, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
    // Prepending another address does not help: only the hop the trusted
    // proxy appended (the rightmost untrusted one) is believed.
    let r = register_as(app, Some(&format!("203.0.113.77, {me}"))).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    // Another client behind the same proxy has its own bucket, and the
    // limited client can still use other endpoints.
    assert_eq!(
        register_as(app, Some("198.51.100.11")).await.status(),
        StatusCode::ACCEPTED
    );
    let health = app
        .client
        .get(format!("{}/health", app.address))
        .header("x-forwarded-for", me)
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), StatusCode::OK);
}

#[tokio::test]
async fn submissions_are_limited_before_their_body_is_read() {
    let app = &app();
    let me = "198.51.100.20";
    // A 3 MB body, each time: the first two are read and refused by the
    // handler (no such campaign); the third is refused by the limit.
    let big = vec![b'x'; 3 * 1024 * 1024];
    let send = || {
        app.client
            .post(format!(
                "{}/api/campaigns/999999/contributions",
                app.address
            ))
            .header("x-forwarded-for", me)
            .header("content-type", "application/json")
            .body(big.clone())
            .send()
    };
    for _ in 0..2 {
        let r = send().await.unwrap();
        assert_ne!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    }
    let r = send().await.unwrap();
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_error(r, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
}

#[tokio::test]
async fn logins_and_material_have_their_own_limits() {
    let app = &app();
    let me = "2001:db8:5:6::1";
    for _ in 0..4 {
        let r = app
            .client
            .post(format!("{}/api/auth/login", app.address))
            .header("x-forwarded-for", me)
            .json(&json!({"email": "nobody@example.org", "password": "wrong-password-9"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
    // Another address in the same IPv6 /64 shares the bucket.
    let r = app
        .client
        .post(format!("{}/api/auth/login", app.address))
        .header("x-forwarded-for", "2001:db8:5:6:ffff::2")
        .json(&json!({"email": "nobody@example.org", "password": "wrong-password-9"}))
        .send()
        .await
        .unwrap();
    assert_error(r, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
    // Material: two requests, then 429, whatever the campaign.
    let get = |id: i64| {
        app.client
            .get(format!("{}/api/campaigns/{id}/material", app.address))
            .header("x-forwarded-for", me)
            .send()
    };
    assert_eq!(get(1).await.unwrap().status(), StatusCode::NOT_FOUND);
    assert_eq!(get(2).await.unwrap().status(), StatusCode::NOT_FOUND);
    let r = get(3).await.unwrap();
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    // Security headers are on the refusal too.
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
}

#[tokio::test]
async fn hsts_only_for_requests_that_reached_a_trusted_proxy_over_https() {
    let app = &app();
    let get = |proto: Option<&'static str>| {
        let mut r = app.client.get(format!("{}/health", app.address));
        if let Some(p) = proto {
            r = r.header("x-forwarded-proto", p);
        }
        r.send()
    };
    let r = get(Some("https")).await.unwrap();
    assert_eq!(
        r.headers()["strict-transport-security"],
        "max-age=31536000; includeSubDomains"
    );
    for proto in [None, Some("http")] {
        let r = get(proto).await.unwrap();
        assert!(r.headers().get("strict-transport-security").is_none());
    }
}
