//! Admin oversight: users and suspension, quality signals, the audit log.

use cipherpool_tests::*;
use reqwest::StatusCode;
use serde_json::{json, Value};

#[tokio::test]
async fn admins_suspend_accounts_read_quality_signals_and_the_audit_log() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let buyer = app.user("buyer").await;
    let contributor = app.user("contributor").await;

    // Only admins.
    for path in [
        "/api/admin/users",
        "/api/admin/audit",
        "/api/admin/decryptions",
        "/api/admin/campaigns/1/quality",
    ] {
        assert_error(
            app.get(path, Some(&buyer.token)).await,
            StatusCode::FORBIDDEN,
            "forbidden",
        )
        .await;
    }
    let r = app
        .post(
            &format!("/api/admin/users/{}/suspend", contributor.id),
            Some(&contributor.token),
            &json!({"reason": "x"}),
            None,
        )
        .await;
    assert_error(r, StatusCode::FORBIDDEN, "forbidden").await;

    // Users, by role.
    let list = body(
        app.get("/api/admin/users?role=contributor", Some(&admin.token))
            .await,
    )
    .await;
    let ids: Vec<i64> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [contributor.id]);
    assert_error(
        app.get("/api/admin/users?role=wizard", Some(&admin.token))
            .await,
        StatusCode::BAD_REQUEST,
        "invalid_query",
    )
    .await;

    // Suspension: needs a reason; not for admins; ends sessions and logins.
    let suspend = |id: i64, reason: &str| {
        let (app, token) = (&app, admin.token.clone());
        let body = json!({"reason": reason});
        async move {
            app.post(
                &format!("/api/admin/users/{id}/suspend"),
                Some(&token),
                &body,
                None,
            )
            .await
        }
    };
    assert_error(
        suspend(contributor.id, "  ").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_reason",
    )
    .await;
    assert_error(
        suspend(admin.id, "no").await,
        StatusCode::CONFLICT,
        "cannot_suspend_admin",
    )
    .await;
    assert_error(
        suspend(999_999, "gone").await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    let r = suspend(contributor.id, "fake identities").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(body(r).await["suspended_at"].is_string());
    let r = app.get("/api/wallet", Some(&contributor.token)).await;
    assert!(
        [StatusCode::UNAUTHORIZED, StatusCode::FORBIDDEN].contains(&r.status()),
        "a suspended account's session still works"
    );
    let r = app
        .post(
            "/api/auth/login",
            None,
            &json!({"email": contributor.email, "password": GOOD_PASSWORD}),
            None,
        )
        .await;
    assert_error(r, StatusCode::FORBIDDEN, "account_suspended").await;
    let r = app
        .post(
            &format!("/api/admin/users/{}/unsuspend", contributor.id),
            Some(&admin.token),
            &json!({}),
            None,
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(body(r).await["suspended_at"], Value::Null);
    let again = app.login(&contributor.email).await;
    assert_eq!(
        app.get("/api/wallet", Some(&again.token)).await.status(),
        StatusCode::OK
    );

    // Quality signals: refusals by reason and per hour.
    app.mint(&admin, buyer.id, 1_000).await;
    let id = app
        .open_campaign(&admin, &buyer, &campaign_body(10, 200))
        .await;
    for _ in 0..2 {
        let r = app
            .post(
                &format!("/api/campaigns/{id}/contributions"),
                None,
                &json!({"ciphertext": "not base64!", "note_key": "00",
                        "attestation": {"proof": "", "public_inputs": []}}),
                None,
            )
            .await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    }
    let q = body(
        app.get(
            &format!("/api/admin/campaigns/{id}/quality"),
            Some(&admin.token),
        )
        .await,
    )
    .await;
    assert_eq!(q["accepted"], 0, "{q}");
    assert_eq!(
        q["rejected"],
        json!([{"reason": "ciphertext_malformed", "count": 2}]),
        "{q}"
    );
    assert_eq!(q["per_hour"].as_array().unwrap().len(), 1, "{q}");
    assert_eq!(q["per_hour"][0]["rejected"], 2, "{q}");
    assert_eq!(q["out_of_range"], json!([]));
    assert_error(
        app.get("/api/admin/campaigns/999999/quality", Some(&admin.token))
            .await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;

    // Suspending the campaign stops contributions until it is resumed.
    let r = app
        .post(
            &format!("/api/admin/campaigns/{id}/suspend"),
            Some(&admin.token),
            &json!({"reason": ""}),
            None,
        )
        .await;
    assert_error(r, StatusCode::UNPROCESSABLE_ENTITY, "invalid_reason").await;
    let r = app
        .post(
            &format!("/api/admin/campaigns/{id}/suspend"),
            Some(&admin.token),
            &json!({"reason": "spam"}),
            None,
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let c = body(r).await;
    assert_eq!(
        (c["status"].as_str(), c["review_reason"].as_str()),
        (Some("suspended"), Some("spam"))
    );
    let r = app
        .post(
            &format!("/api/campaigns/{id}/contributions"),
            None,
            &json!({"ciphertext": "AAAA", "note_key": "00", "attestation": {"proof": "", "public_inputs": []}}),
            None,
        )
        .await;
    assert_error(r, StatusCode::CONFLICT, "campaign_not_open").await;
    let r = app
        .post(
            &format!("/api/admin/campaigns/{id}/suspend"),
            Some(&admin.token),
            &json!({"reason": "again"}),
            None,
        )
        .await;
    assert_error(r, StatusCode::CONFLICT, "invalid_state").await;
    let r = app
        .post(
            &format!("/api/admin/campaigns/{id}/resume"),
            Some(&admin.token),
            &json!({}),
            None,
        )
        .await;
    assert_eq!(body(r).await["status"], "open");

    // The audit log: every admin action, newest first, with the actor.
    let log = body(
        app.get("/api/admin/audit?limit=20", Some(&admin.token))
            .await,
    )
    .await;
    let actions: Vec<&str> = members(&log, "action");
    assert_eq!(
        actions,
        [
            "resume_campaign",
            "suspend_campaign",
            "approve_campaign",
            "mint",
            "unsuspend_user",
            "suspend_user"
        ],
        "{log}"
    );
    assert_eq!(log[5]["detail"]["reason"], "fake identities");
    assert_eq!(log[5]["subject"], format!("user:{}", contributor.id));
    assert_eq!(log[5]["actor_email"], admin.email.as_str());
    let older = body(
        app.get(
            &format!("/api/admin/audit?before={}", log[3]["id"]),
            Some(&admin.token),
        )
        .await,
    )
    .await;
    assert_eq!(older[0]["action"], "unsuspend_user");
    // The keyholder's decryption log (nothing released yet).
    let d = app.get("/api/admin/decryptions", Some(&admin.token)).await;
    assert_eq!(d.status(), StatusCode::OK);
    assert_eq!(body(d).await, json!([]));
}
