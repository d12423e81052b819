//! Malformed requests get a clear 4xx with a stable code, and change nothing.

use cipherpool_tests::*;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn malformed_json_wrong_types_unknown_fields_oversize() {
    let app = spawn_app().await;
    let buyer = app.user("buyer").await;
    let t = Some(buyer.token.as_str());

    assert_error(
        app.post_raw(
            "/api/campaigns",
            t,
            "application/json",
            b"{\"title\": ".to_vec(),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "malformed_json",
    )
    .await;
    assert_error(
        app.post_raw(
            "/api/auth/register",
            None,
            "application/json",
            b"not json".to_vec(),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "malformed_json",
    )
    .await;

    let mut wrong_type = campaign_body(10, 100);
    wrong_type["reward"] = json!("ten");
    assert_error(
        app.post("/api/campaigns", t, &wrong_type, None).await,
        StatusCode::BAD_REQUEST,
        "invalid_body",
    )
    .await;
    let mut wrong_type = campaign_body(10, 100);
    wrong_type["reward"] = json!(1.5);
    assert_error(
        app.post("/api/campaigns", t, &wrong_type, None).await,
        StatusCode::BAD_REQUEST,
        "invalid_body",
    )
    .await;

    let mut unknown = campaign_body(10, 100);
    unknown["colour"] = json!("blue");
    assert_error(
        app.post("/api/campaigns", t, &unknown, None).await,
        StatusCode::BAD_REQUEST,
        "unknown_field",
    )
    .await;
    assert_error(
        app.post(
            "/api/auth/login",
            None,
            &json!({"email": "a@b.co", "password": "x", "remember": true}),
            None,
        )
        .await,
        StatusCode::BAD_REQUEST,
        "unknown_field",
    )
    .await;

    let mut huge = campaign_body(10, 100);
    huge["description"] = json!("x".repeat(200_000));
    assert_error(
        app.post("/api/campaigns", t, &huge, None).await,
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
    )
    .await;

    assert_error(
        app.post_raw("/api/campaigns", t, "text/plain", b"{}".to_vec())
            .await,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
    )
    .await;

    // Nothing above created a campaign.
    let list = body(app.get("/api/campaigns", t).await).await;
    assert_eq!(list, json!([]));
}

#[tokio::test]
async fn unknown_routes_and_bad_paths_and_queries() {
    let app = spawn_app().await;
    let buyer = app.user("buyer").await;
    let t = Some(buyer.token.as_str());
    assert_error(
        app.get("/api/nope", t).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    assert_error(
        app.get("/api/campaigns/abc", t).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    assert_error(
        app.get("/api/campaigns/999999", t).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    assert_error(
        app.get("/api/campaigns?status=sleeping", t).await,
        StatusCode::BAD_REQUEST,
        "invalid_query",
    )
    .await;
    assert_error(
        app.get("/api/wallet?limit=0", t).await,
        StatusCode::BAD_REQUEST,
        "invalid_query",
    )
    .await;
    assert_error(
        app.get("/api/wallet?limit=5&colour=1", t).await,
        StatusCode::BAD_REQUEST,
        "invalid_query",
    )
    .await;
}

#[tokio::test]
async fn every_endpoint_checks_its_role() {
    let app = spawn_app().await;
    let contributor = app.user("contributor").await;
    let buyer = app.user("buyer").await;
    let c = Some(contributor.token.as_str());
    let b = Some(buyer.token.as_str());

    assert_error(
        app.post("/api/campaigns", c, &campaign_body(10, 100), None)
            .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    assert_error(
        app.post(
            "/api/admin/mint",
            b,
            &json!({"user_id": buyer.id, "amount": 100}),
            Some("k1"),
        )
        .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    assert_error(
        app.post("/api/admin/campaigns/1/approve", b, &json!({}), None)
            .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    assert_error(
        app.post(
            "/api/admin/campaigns/1/reject",
            b,
            &json!({"reason": "no"}),
            Some("k2"),
        )
        .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    assert_error(
        app.get("/api/admin/ledger/audit", c).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    assert_error(
        app.post("/api/campaigns/1/submit", c, &json!(null), Some("k3"))
            .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    assert_error(
        app.post("/api/campaigns/1/open", c, &json!(null), None)
            .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    // No token at all.
    assert_error(
        app.post("/api/campaigns", None, &campaign_body(10, 100), None)
            .await,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    )
    .await;
    // The minting buyer got nothing.
    assert_eq!(app.balance(&buyer).await, 0);
}

#[tokio::test]
async fn service_endpoints_work() {
    let app = spawn_app().await;
    let resp = app.get("/health", None).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let resp = app.get("/health/ready", None).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(body(resp).await["status"], "ready");
    let doc = body(app.get("/api/openapi.json", None).await).await;
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    for p in [
        "/api/auth/register",
        "/api/campaigns/{id}/submit",
        "/api/admin/mint",
        "/api/wallet",
    ] {
        assert!(doc["paths"].get(p).is_some(), "missing {p}");
    }
    let metrics = app.get("/metrics", None).await.text().await.unwrap();
    assert!(
        metrics.contains("cipherpool_http_requests_total"),
        "{metrics}"
    );
}

/// Every response — pages, their assets, the API, its errors — carries the
/// security headers: a Content-Security-Policy without inline code, no
/// MIME sniffing, no referrer, no framing; the pages hold no inline style
/// or script the policy would block.
#[tokio::test]
async fn security_headers_on_every_response() {
    let mut settings = test_settings();
    let web = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../web");
    settings.web_dir = web.to_string_lossy().into_owned();
    let app = spawn_app_with(settings).await;
    for path in [
        "/contribute.html",
        "/buyer.html",
        "/admin.html",
        "/css/contribute.css",
        "/js/common.js",
        "/api/campaigns",
        "/health",
        "/api/no-such-endpoint",
    ] {
        let r = app.get(path, None).await;
        let h = r.headers();
        let header = |name: &str| h.get(name).map(|v| v.to_str().unwrap().to_string());
        assert_eq!(
            header("content-security-policy").as_deref(),
            Some(server::startup::CONTENT_SECURITY_POLICY),
            "{path}"
        );
        assert_eq!(
            header("x-content-type-options").as_deref(),
            Some("nosniff"),
            "{path}"
        );
        assert_eq!(
            header("referrer-policy").as_deref(),
            Some("no-referrer"),
            "{path}"
        );
        assert_eq!(header("x-frame-options").as_deref(), Some("DENY"), "{path}");
        // Cross-origin isolation (the threaded wasm client needs it) and
        // no embedding by other origins.
        assert_eq!(
            header("cross-origin-opener-policy").as_deref(),
            Some("same-origin"),
            "{path}"
        );
        assert_eq!(
            header("cross-origin-embedder-policy").as_deref(),
            Some("require-corp"),
            "{path}"
        );
        assert_eq!(
            header("cross-origin-resource-policy").as_deref(),
            Some("same-origin"),
            "{path}"
        );
    }
    assert!(server::startup::CONTENT_SECURITY_POLICY.contains("frame-ancestors 'none'"));
    // No trusted proxy configured: a client claiming HTTPS gets no HSTS
    // (the server speaks plain HTTP; see tests/api/limits.rs for a proxy).
    let r = app
        .client
        .get(format!("{}/health", app.address))
        .header("x-forwarded-proto", "https")
        .send()
        .await
        .unwrap();
    assert!(r.headers().get("strict-transport-security").is_none());
    for page in ["contribute", "buyer", "admin"] {
        let html = std::fs::read_to_string(web.join(format!("{page}.html"))).unwrap();
        assert!(!html.contains("<style"), "{page}: inline style");
        assert!(
            !html.contains(" style=\""),
            "{page}: inline style attribute"
        );
        for script in html.split("<script").skip(1) {
            assert!(script.contains("src="), "{page}: inline script");
        }
    }
}

/// The wasm client's files: gzip-encoded (its precompressed copy, the
/// original content type, `Vary: Accept-Encoding`) exactly when the browser
/// accepts gzip; the file itself otherwise, for a refused gzip (`q=0`), for
/// a copy older than its file, and for files without a copy; the copies are
/// not served by name, and only `GET`/`HEAD` are allowed. The threaded
/// build (`/pkg-threads/`) is served the same way.
#[tokio::test]
async fn wasm_client_files_are_served_gzip_encoded_when_accepted() {
    use std::io::{Read, Write};
    let web = scratch_dir("web");
    let pkg = web.join("pkg");
    std::fs::create_dir_all(&pkg).unwrap();
    let wasm: Vec<u8> = (0..200_000u32)
        .map(|i| (i % 251) as u8 ^ (i / 997) as u8)
        .collect();
    let gzip = |bytes: &[u8]| {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        e.write_all(bytes).unwrap();
        e.finish().unwrap()
    };
    let gz = gzip(&wasm);
    assert!(gz.len() < wasm.len() / 2);
    // The copy first, then the file: a copy never older than its file.
    std::fs::write(pkg.join("client.wasm.gz"), &gz).unwrap();
    std::fs::write(pkg.join("client.wasm"), &wasm).unwrap();
    let now = std::time::SystemTime::now();
    let set_mtime = |name: &str, t: std::time::SystemTime| {
        std::fs::File::options()
            .write(true)
            .open(pkg.join(name))
            .unwrap()
            .set_modified(t)
            .unwrap();
    };
    set_mtime("client.wasm", now - std::time::Duration::from_secs(60));
    set_mtime("client.wasm.gz", now);
    std::fs::write(pkg.join("glue.js"), b"export {};").unwrap();
    // The threaded build beside it, with wasm-bindgen-rayon's worker helper
    // one level deeper.
    let threads = web.join("pkg-threads");
    std::fs::create_dir_all(threads.join("snippets/rayon/src")).unwrap();
    std::fs::write(threads.join("client.wasm"), &wasm).unwrap();
    std::fs::write(threads.join("client.wasm.gz"), &gz).unwrap();
    std::fs::write(
        threads.join("snippets/rayon/src/workerHelpers.js"),
        b"export {};",
    )
    .unwrap();
    std::fs::write(pkg.join("stale.wasm"), &wasm).unwrap();
    std::fs::write(pkg.join("stale.wasm.gz"), gzip(b"an older build")).unwrap();
    set_mtime("stale.wasm.gz", now - std::time::Duration::from_secs(60));
    set_mtime("stale.wasm", now);

    let mut settings = test_settings();
    settings.web_dir = web.to_string_lossy().into_owned();
    let app = spawn_app_with(settings).await;
    let get = |path: &str, accept: Option<&str>| {
        let mut r = app.client.get(format!("{}{path}", app.address));
        if let Some(a) = accept {
            r = r.header("accept-encoding", a);
        }
        r.send()
    };
    let header = |r: &reqwest::Response, name: &str| {
        r.headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_string())
    };

    let r = get("/pkg/client.wasm", Some("br, gzip;q=0.8"))
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(header(&r, "content-encoding").as_deref(), Some("gzip"));
    assert_eq!(
        header(&r, "content-type").as_deref(),
        Some("application/wasm")
    );
    assert_eq!(header(&r, "vary").as_deref(), Some("accept-encoding"));
    assert_eq!(
        header(&r, "content-security-policy").as_deref(),
        Some(server::startup::CONTENT_SECURITY_POLICY)
    );
    let body = r.bytes().await.unwrap();
    assert_eq!(body.as_ref(), gz.as_slice());
    let mut plain = Vec::new();
    flate2::read::GzDecoder::new(body.as_ref())
        .read_to_end(&mut plain)
        .unwrap();
    assert_eq!(plain, wasm);

    for accept in [None, Some("gzip;q=0"), Some("br, deflate")] {
        let r = get("/pkg/client.wasm", accept).await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{accept:?}");
        assert_eq!(header(&r, "content-encoding"), None, "{accept:?}");
        assert_eq!(
            header(&r, "content-type").as_deref(),
            Some("application/wasm")
        );
        assert_eq!(header(&r, "vary").as_deref(), Some("accept-encoding"));
        assert_eq!(r.bytes().await.unwrap().as_ref(), wasm.as_slice());
    }
    let head = app
        .client
        .head(format!("{}/pkg/client.wasm", app.address))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(head.status(), StatusCode::OK);
    assert_eq!(header(&head, "content-encoding").as_deref(), Some("gzip"));

    // A stale copy is not served; a file without a copy is served as is.
    let r = get("/pkg/stale.wasm", Some("gzip")).await.unwrap();
    assert_eq!(header(&r, "content-encoding"), None);
    assert_eq!(r.bytes().await.unwrap().as_ref(), wasm.as_slice());
    let r = get("/pkg/glue.js", Some("gzip")).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(header(&r, "content-encoding"), None);
    assert_eq!(header(&r, "vary"), None);
    assert_eq!(r.text().await.unwrap(), "export {};");

    // The threaded build: the same gzip copy; its snippet as a static file;
    // both cross-origin isolated like the pages that load them.
    let r = get("/pkg-threads/client.wasm", Some("gzip")).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(header(&r, "content-encoding").as_deref(), Some("gzip"));
    assert_eq!(
        header(&r, "cross-origin-embedder-policy").as_deref(),
        Some("require-corp")
    );
    assert_eq!(r.bytes().await.unwrap().as_ref(), gz.as_slice());
    let r = get(
        "/pkg-threads/snippets/rayon/src/workerHelpers.js",
        Some("gzip"),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        header(&r, "cross-origin-embedder-policy").as_deref(),
        Some("require-corp")
    );
    assert_eq!(r.text().await.unwrap(), "export {};");

    for missing in [
        "/pkg/client.wasm.gz",
        "/pkg/nothing.wasm",
        "/pkg/.hidden",
        "/pkg-threads/client.wasm.gz",
        "/pkg-other/client.wasm",
    ] {
        let r = get(missing, Some("gzip")).await.unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{missing}");
    }
    let r = app
        .client
        .post(format!("{}/pkg/client.wasm", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
    let allow = header(&r, "allow").unwrap_or_default();
    assert!(allow.contains("GET") && allow.contains("HEAD"), "{allow}");
}
