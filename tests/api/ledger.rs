//! Token ledger over the API: minting, idempotency, overdraft, concurrency.

use cipherpool_tests::*;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn mint_is_idempotent_and_checks_amounts() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let buyer = app.user("buyer").await;
    let a = Some(admin.token.as_str());
    let req = json!({"user_id": buyer.id, "amount": 250, "memo": "welcome"});

    assert_error(
        app.post("/api/admin/mint", a, &req, None).await,
        StatusCode::BAD_REQUEST,
        "idempotency_key_missing",
    )
    .await;
    assert_error(
        app.post("/api/admin/mint", a, &req, Some("bad key")).await,
        StatusCode::BAD_REQUEST,
        "idempotency_key_invalid",
    )
    .await;

    let first = app.post("/api/admin/mint", a, &req, Some("mint-1")).await;
    assert_eq!(first.status(), StatusCode::OK);
    assert!(first.headers().get("Idempotent-Replayed").is_none());
    let first = body(first).await;
    assert_eq!(first["balance"], 250);

    // Same key, same body: the same answer, no second transfer.
    let replay = app.post("/api/admin/mint", a, &req, Some("mint-1")).await;
    assert_eq!(replay.headers().get("Idempotent-Replayed").unwrap(), "true");
    assert_eq!(body(replay).await, first);
    assert_eq!(app.balance(&buyer).await, 250);

    // Same key, another body: refused, nothing moves.
    let other = json!({"user_id": buyer.id, "amount": 999, "memo": "welcome"});
    assert_error(
        app.post("/api/admin/mint", a, &other, Some("mint-1")).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "idempotency_key_reused",
    )
    .await;
    assert_eq!(app.balance(&buyer).await, 250);

    for amount in [json!(0), json!(-10)] {
        assert_error(
            app.post(
                "/api/admin/mint",
                a,
                &json!({"user_id": buyer.id, "amount": amount}),
                Some(&format!("z{amount}")),
            )
            .await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_amount",
        )
        .await;
    }
    assert_error(
        app.post(
            "/api/admin/mint",
            a,
            &json!({"user_id": 987654, "amount": 5}),
            Some("nouser"),
        )
        .await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;

    let wallet = body(app.get("/api/wallet", Some(&buyer.token)).await).await;
    assert_eq!(wallet["balance"], 250);
    let transfers = wallet["transfers"].as_array().unwrap();
    assert_eq!(transfers.len(), 1);
    assert_eq!(transfers[0]["kind"], "mint");
    assert_eq!(transfers[0]["to_account_id"], wallet["account_id"]);
    app.assert_ledger_consistent(&admin).await;
}

#[tokio::test]
async fn overdraft_is_refused_and_nothing_is_half_written() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let buyer = app.user("buyer").await;
    app.mint(&admin, buyer.id, 99).await;
    let id = app.draft_campaign(&buyer, 100).await;
    assert_error(
        app.post(
            &format!("/api/campaigns/{id}/submit"),
            Some(&buyer.token),
            &json!(null),
            Some("s1"),
        )
        .await,
        StatusCode::PAYMENT_REQUIRED,
        "insufficient_funds",
    )
    .await;
    let c = body(
        app.get(&format!("/api/campaigns/{id}"), Some(&buyer.token))
            .await,
    )
    .await;
    assert_eq!(c["status"], "draft");
    assert_eq!(c["escrow_balance"], 0);
    assert_eq!(app.balance(&buyer).await, 99);
    // The failed attempt stored no idempotency record: after a top-up the
    // same key goes through.
    app.mint(&admin, buyer.id, 1).await;
    let resp = app
        .post(
            &format!("/api/campaigns/{id}/submit"),
            Some(&buyer.token),
            &json!(null),
            Some("s1"),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(app.balance(&buyer).await, 0);
    app.assert_ledger_consistent(&admin).await;
}

#[tokio::test]
async fn concurrent_submissions_cannot_drain_a_wallet_below_zero() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let buyer = app.user("buyer").await;
    app.mint(&admin, buyer.id, 1_000).await;
    let mut ids = Vec::new();
    for _ in 0..10 {
        ids.push(app.draft_campaign(&buyer, 300).await);
    }
    let futures = ids.iter().map(|id| {
        let path = format!("/api/campaigns/{id}/submit");
        let key = format!("k-{id}");
        let app = &app;
        let token = buyer.token.clone();
        async move {
            app.post(&path, Some(&token), &json!(null), Some(&key))
                .await
                .status()
        }
    });
    let statuses = futures::future::join_all(futures).await;
    let ok = statuses.iter().filter(|s| **s == StatusCode::OK).count();
    let refused = statuses
        .iter()
        .filter(|s| **s == StatusCode::PAYMENT_REQUIRED)
        .count();
    assert_eq!((ok, refused), (3, 7), "{statuses:?}");
    assert_eq!(app.balance(&buyer).await, 100);
    app.assert_ledger_consistent(&admin).await;
}

#[tokio::test]
async fn concurrent_requests_with_one_key_pay_once() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let buyer = app.user("buyer").await;
    let req = json!({"user_id": buyer.id, "amount": 40});
    let futures = (0..8).map(|_| {
        let app = &app;
        let token = admin.token.clone();
        let req = req.clone();
        async move {
            let r = app
                .post("/api/admin/mint", Some(&token), &req, Some("same-key"))
                .await;
            (r.status(), body(r).await)
        }
    });
    let results = futures::future::join_all(futures).await;
    let first_id = &results[0].1["transfer"]["id"];
    for (status, b) in &results {
        assert_eq!(*status, StatusCode::OK, "{b}");
        assert_eq!(&b["transfer"]["id"], first_id);
    }
    assert_eq!(app.balance(&buyer).await, 40);
    app.assert_ledger_consistent(&admin).await;
}
