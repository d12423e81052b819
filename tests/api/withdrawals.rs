//! Withdrawals: requested from the wallet, held, approved (paid out) or
//! rejected (returned) by an admin, each exactly once.

use cipherpool_tests::*;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn withdrawals_are_held_then_paid_out_or_returned_exactly_once() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let user = app.user("contributor").await;
    app.mint(&admin, user.id, 100).await;
    let ask = |key: &'static str, body: serde_json::Value| {
        let (app, token) = (&app, user.token.clone());
        async move {
            app.post("/api/withdrawals", Some(&token), &body, Some(key))
                .await
        }
    };

    // Bad requests move nothing.
    assert_error(
        ask("w0", json!({"amount": 0, "address": "x"})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_amount",
    )
    .await;
    assert_error(
        ask("w1", json!({"amount": 5, "address": " "})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_address",
    )
    .await;
    assert_error(
        ask("w2", json!({"amount": 101, "address": "acct-1"})).await,
        StatusCode::PAYMENT_REQUIRED,
        "insufficient_funds",
    )
    .await;
    let r = app
        .post(
            "/api/withdrawals",
            Some(&user.token),
            &json!({"amount": 1, "address": "a"}),
            None,
        )
        .await;
    assert_error(r, StatusCode::BAD_REQUEST, "idempotency_key_missing").await;
    assert_error(
        app.post(
            "/api/withdrawals",
            Some(&admin.token),
            &json!({"amount": 1, "address": "a"}),
            Some("w9"),
        )
        .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    assert_eq!(app.balance(&user).await, 100);

    // Two requests (one replayed by its key): held at once.
    let r = ask("w3", json!({"amount": 30, "address": "IBAN DE00 1234"})).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let first = body(r).await;
    assert_eq!(first["status"], "pending");
    let replay = body(ask("w3", json!({"amount": 30, "address": "IBAN DE00 1234"})).await).await;
    assert_eq!(replay["id"], first["id"]);
    let second = body(ask("w4", json!({"amount": 50, "address": "acct-2"})).await).await;
    assert_eq!(app.balance(&user).await, 20);
    let mine = body(app.get("/api/withdrawals", Some(&user.token)).await).await;
    assert_eq!(mine.as_array().unwrap().len(), 2);

    // The admin's queue.
    let pending = body(
        app.get("/api/admin/withdrawals?status=pending", Some(&admin.token))
            .await,
    )
    .await;
    assert_eq!(pending.as_array().unwrap().len(), 2);
    assert_eq!(pending[0]["email"], user.email.as_str());
    assert_error(
        app.get("/api/admin/withdrawals", Some(&user.token)).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;

    // Approve the first: paid out (to the mint), once.
    let decide = |id: &serde_json::Value, verb: &str, body: serde_json::Value| {
        let (app, token) = (&app, admin.token.clone());
        let path = format!("/api/admin/withdrawals/{id}/{verb}");
        async move { app.post(&path, Some(&token), &body, None).await }
    };
    let r = decide(&first["id"], "approve", json!(null)).await;
    assert_eq!(r.status(), StatusCode::OK);
    let paid = body(r).await;
    assert_eq!(paid["status"], "approved");
    assert!(paid["settle_transfer_id"].is_i64());
    assert_error(
        decide(&first["id"], "approve", json!(null)).await,
        StatusCode::CONFLICT,
        "invalid_state",
    )
    .await;
    assert_error(
        decide(&first["id"], "reject", json!({"reason": "late"})).await,
        StatusCode::CONFLICT,
        "invalid_state",
    )
    .await;

    // Reject the second: needs a reason; the tokens come back, once.
    assert_error(
        decide(&second["id"], "reject", json!({"reason": ""})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_reason",
    )
    .await;
    let r = decide(
        &second["id"],
        "reject",
        json!({"reason": "address does not match"}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(body(r).await["reason"], "address does not match");
    assert_eq!(app.balance(&user).await, 70);
    assert_error(
        decide(&second["id"], "approve", json!(null)).await,
        StatusCode::CONFLICT,
        "invalid_state",
    )
    .await;
    assert_error(
        decide(&json!(999_999), "approve", json!(null)).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;

    // Audited, and the ledger still sums to zero.
    let log = body(
        app.get("/api/admin/audit?limit=2", Some(&admin.token))
            .await,
    )
    .await;
    assert_eq!(log[0]["action"], "reject_withdrawal");
    assert_eq!(log[1]["action"], "approve_withdrawal");
    let wallet = body(app.get("/api/wallet", Some(&user.token)).await).await;
    let kinds: Vec<&str> = members(&wallet["transfers"], "kind");
    assert_eq!(
        kinds,
        [
            "withdrawal_refund",
            "withdrawal_hold",
            "withdrawal_hold",
            "mint"
        ]
    );
    app.assert_ledger_consistent(&admin).await;
}
