//! Campaign creation, validation and lifecycle, with the escrow movements.

use cipherpool_tests::*;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn invalid_campaigns_are_refused() {
    let app = spawn_app().await;
    let buyer = app.user("buyer").await;
    let t = Some(buyer.token.as_str());
    let with = |f: &dyn Fn(&mut serde_json::Value)| {
        let mut v = campaign_body(10, 100);
        f(&mut v);
        v
    };
    let cases: Vec<(serde_json::Value, StatusCode, &str)> = vec![
        (
            with(&|v| v["schema"]["fields"] = json!([])),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_schema",
        ),
        (
            with(&|v| v["schema"]["fields"][1]["name"] = json!("sleep_minutes")),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_schema",
        ),
        (
            with(&|v| v["schema"]["fields"][0]["bits"] = json!(64)),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_schema",
        ),
        (
            with(&|v| v["schema"]["fields"][2]["categories"] = json!(["only"])),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_schema",
        ),
        (
            with(&|v| {
                v["schema"]["fields"] = json!((0..33)
                    .map(|i| json!({"type": "numeric", "name": format!("f{i}"), "bits": 8}))
                    .collect::<Vec<_>>());
                v["statistics"] = json!(["count"]);
            }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_schema",
        ),
        (
            with(&|v| v["schema"]["fields"][0]["type"] = json!("text")),
            StatusCode::BAD_REQUEST,
            "invalid_body",
        ),
        (
            with(&|v| v["statistics"] = json!([])),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_schema",
        ),
        (
            with(&|v| v["reward"] = json!(0)),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_amount",
        ),
        (
            with(&|v| v["reward"] = json!(-5)),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_amount",
        ),
        (
            with(&|v| v["budget"] = json!(-100)),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_amount",
        ),
        (
            with(&|v| v["budget"] = json!(5)),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_amount",
        ),
        (
            with(&|v| v["min_contributors"] = json!(9)),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_min_contributors",
        ),
        (
            with(&|v| v["epsilon"] = json!(0.0)),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_epsilon",
        ),
        (
            with(&|v| v["epsilon"] = json!(11.0)),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_epsilon",
        ),
        (
            with(&|v| v["title"] = json!("   ")),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_title",
        ),
    ];
    for (req, status, code) in cases {
        assert_error(
            app.post("/api/campaigns", t, &req, None).await,
            status,
            code,
        )
        .await;
    }
    assert_eq!(body(app.get("/api/campaigns", t).await).await, json!([]));
}

#[tokio::test]
async fn lifecycle_moves_escrow_and_refunds() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let buyer = app.user("buyer").await;
    let contributor = app.user("contributor").await;
    app.mint(&admin, buyer.id, 1_000).await;

    let id = app.draft_campaign(&buyer, 600).await;
    let c = body(
        app.get(&format!("/api/campaigns/{id}"), Some(&buyer.token))
            .await,
    )
    .await;
    assert_eq!(c["status"], "draft");
    assert_eq!(c["encrypted_values"], 3);
    // Drafts are invisible to contributors; approving a draft is a state error.
    assert_error(
        app.get(&format!("/api/campaigns/{id}"), Some(&contributor.token))
            .await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    assert_error(
        app.post(
            &format!("/api/admin/campaigns/{id}/approve"),
            Some(&admin.token),
            &json!({}),
            None,
        )
        .await,
        StatusCode::CONFLICT,
        "invalid_state",
    )
    .await;
    assert_error(
        app.post(
            &format!("/api/campaigns/{id}/submit"),
            Some(&buyer.token),
            &json!(null),
            None,
        )
        .await,
        StatusCode::BAD_REQUEST,
        "idempotency_key_missing",
    )
    .await;

    let resp = app
        .post(
            &format!("/api/campaigns/{id}/submit"),
            Some(&buyer.token),
            &json!(null),
            Some("submit-1"),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let s = body(resp).await;
    assert_eq!(s["campaign"]["status"], "pending_review");
    assert_eq!(s["campaign"]["escrow_balance"], 600);
    assert_eq!(s["transfer"]["amount"], 600);
    assert_eq!(app.balance(&buyer).await, 400);
    // Submitting again with a new key: wrong state, nothing moves.
    assert_error(
        app.post(
            &format!("/api/campaigns/{id}/submit"),
            Some(&buyer.token),
            &json!(null),
            Some("submit-2"),
        )
        .await,
        StatusCode::CONFLICT,
        "invalid_state",
    )
    .await;
    assert_eq!(app.balance(&buyer).await, 400);

    let pending = body(
        app.get("/api/campaigns?status=pending_review", Some(&admin.token))
            .await,
    )
    .await;
    assert_eq!(pending.as_array().unwrap().len(), 1);

    let resp = app
        .post(
            &format!("/api/admin/campaigns/{id}/approve"),
            Some(&admin.token),
            &json!({"note": "fine"}),
            None,
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(body(resp).await["status"], "approved");
    // Contributors' list (kept in memory for a second) has nothing open
    // yet; opening the campaign drops the kept list at once.
    let none = body(app.get("/api/campaigns", Some(&contributor.token)).await).await;
    assert_eq!(none, json!([]));
    let resp = app
        .post(
            &format!("/api/campaigns/{id}/open"),
            Some(&buyer.token),
            &json!(null),
            None,
        )
        .await;
    assert_eq!(body(resp).await["status"], "open");
    // Open campaigns are listed for contributors.
    let open = body(app.get("/api/campaigns", Some(&contributor.token)).await).await;
    assert_eq!(open.as_array().unwrap().len(), 1);
    assert_eq!(open[0]["id"], id);

    let resp = app
        .post(
            &format!("/api/campaigns/{id}/close"),
            Some(&buyer.token),
            &json!(null),
            Some("close-1"),
        )
        .await;
    let closed = body(resp).await;
    assert_eq!(closed["campaign"]["status"], "closed");
    assert_eq!(closed["campaign"]["escrow_balance"], 0);
    assert_eq!(closed["transfer"]["amount"], 600);
    assert_eq!(app.balance(&buyer).await, 1_000);
    // Closing drops contributors' kept list at once.
    let after = body(app.get("/api/campaigns", Some(&contributor.token)).await).await;
    assert_eq!(after, json!([]));
    app.assert_ledger_consistent(&admin).await;
}

#[tokio::test]
async fn rejection_refunds_and_needs_a_reason() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let buyer = app.user("buyer").await;
    app.mint(&admin, buyer.id, 500).await;
    let id = app.draft_campaign(&buyer, 500).await;
    let resp = app
        .post(
            &format!("/api/campaigns/{id}/submit"),
            Some(&buyer.token),
            &json!(null),
            Some("s"),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(app.balance(&buyer).await, 0);

    assert_error(
        app.post(
            &format!("/api/admin/campaigns/{id}/reject"),
            Some(&admin.token),
            &json!({"reason": "  "}),
            Some("r0"),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_reason",
    )
    .await;
    let resp = app
        .post(
            &format!("/api/admin/campaigns/{id}/reject"),
            Some(&admin.token),
            &json!({"reason": "asks for too much"}),
            Some("r1"),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let r = body(resp).await;
    assert_eq!(r["campaign"]["status"], "rejected");
    assert_eq!(r["campaign"]["review_reason"], "asks for too much");
    assert_eq!(r["transfer"]["amount"], 500);
    assert_eq!(app.balance(&buyer).await, 500);
    // Replaying the rejection answers the same without a second refund.
    let again = app
        .post(
            &format!("/api/admin/campaigns/{id}/reject"),
            Some(&admin.token),
            &json!({"reason": "asks for too much"}),
            Some("r1"),
        )
        .await;
    assert_eq!(again.headers().get("Idempotent-Replayed").unwrap(), "true");
    assert_eq!(body(again).await, r);
    assert_eq!(app.balance(&buyer).await, 500);
    // A rejected campaign cannot be opened.
    assert_error(
        app.post(
            &format!("/api/campaigns/{id}/open"),
            Some(&buyer.token),
            &json!(null),
            None,
        )
        .await,
        StatusCode::CONFLICT,
        "invalid_state",
    )
    .await;
    app.assert_ledger_consistent(&admin).await;
}

#[tokio::test]
async fn buyers_only_see_their_own_campaigns() {
    let app = spawn_app().await;
    let a = app.user("buyer").await;
    let b = app.user("buyer").await;
    let id = app.draft_campaign(&a, 100).await;
    assert_error(
        app.get(&format!("/api/campaigns/{id}"), Some(&b.token))
            .await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    assert_eq!(
        body(app.get("/api/campaigns", Some(&b.token)).await).await,
        json!([])
    );
    assert_error(
        app.post(
            &format!("/api/campaigns/{id}/submit"),
            Some(&b.token),
            &json!(null),
            Some("x"),
        )
        .await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
}

/// A campaign resumes to the state it was suspended from: an approved
/// campaign its buyer has not opened is not opened by the resumption; an
/// open one reopens.
#[tokio::test]
async fn a_suspended_campaign_resumes_to_the_state_it_was_suspended_from() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let buyer = app.user("buyer").await;
    app.mint(&admin, buyer.id, 1_000).await;
    let id = app
        .approved_campaign(&admin, &buyer, &campaign_body(10, 500))
        .await;
    let admin_post = |path: String, body_: serde_json::Value| {
        let (app, token) = (&app, admin.token.clone());
        async move { body(app.post(&path, Some(&token), &body_, None).await).await }
    };
    let suspended = admin_post(
        format!("/api/admin/campaigns/{id}/suspend"),
        json!({"reason": "checking the sponsor"}),
    )
    .await;
    assert_eq!(suspended["status"], "suspended");
    let resumed = admin_post(format!("/api/admin/campaigns/{id}/resume"), json!({})).await;
    assert_eq!(resumed["status"], "approved", "{resumed}");
    // Its buyer opens it; suspended while open, it resumes open. The
    // contributors' list follows each change at once (it is kept in
    // memory for a second, and dropped on every change).
    let contributor = app.user("contributor").await;
    let listed = || async {
        let list = body(app.get("/api/campaigns", Some(&contributor.token)).await).await;
        list.as_array().unwrap().len()
    };
    assert_eq!(listed().await, 0);
    assert_eq!(app.open(&buyer, id).await["status"], "open");
    assert_eq!(listed().await, 1);
    admin_post(
        format!("/api/admin/campaigns/{id}/suspend"),
        json!({"reason": "spam"}),
    )
    .await;
    assert_eq!(listed().await, 0);
    let resumed = admin_post(format!("/api/admin/campaigns/{id}/resume"), json!({})).await;
    assert_eq!(resumed["status"], "open", "{resumed}");
    assert_eq!(listed().await, 1);
}
