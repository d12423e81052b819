//! Reward notes and claims (issue 14): an accepted contribution names no
//! account — its reward waits in a note of the notes tree — and a claim
//! pays up to four notes into a wallet once, with every forgery refused and
//! nothing moved.

use cipherpool_tests::*;
use client::notes::{self, HeldNote, NotesTree};
use diesel::prelude::*;
use protocol::attestation::{self, fr_to_bytes, IdentitySecret, NoteSecret};
use protocol::wire::{ClaimRequest, NotesPage, Submission};
use reqwest::StatusCode;
use serde_json::{json, Value};

/// A campaign of one 8-bit field paying `reward` per contribution.
fn campaign(reward: i64) -> Value {
    json!({
        "title": "Minutes",
        "description": "Minutes of something, one number.",
        "schema": {"fields": [{"type": "numeric", "name": "minutes", "bits": 8}]},
        "statistics": ["count", "sum"],
        "reward": reward,
        "budget": reward * 10,
        "min_contributors": 10,
        "epsilon": 1.0
    })
}

struct Contributor {
    user: TestUser,
    secret: IdentitySecret,
    wallet: i64,
}

struct World {
    app: TestApp,
    admin: TestUser,
    /// Two open campaigns paying 25 and 40.
    campaigns: [i64; 2],
    claim_key: client::PinnedClaimKey,
}

impl World {
    async fn new() -> Self {
        let app = spawn_app().await;
        let admin = app.admin().await;
        let buyer = app.user("buyer").await;
        app.mint(&admin, buyer.id, 10_000).await;
        let a = app.open_campaign(&admin, &buyer, &campaign(25)).await;
        let b = app.open_campaign(&admin, &buyer, &campaign(40)).await;
        let pinned = keyholder_keys(&app.address).await;
        let claim_key = pinned_claim_key(&app.client, &app.address, &pinned).await;
        World {
            app,
            admin,
            campaigns: [a, b],
            claim_key,
        }
    }

    async fn contributor(&self) -> Contributor {
        let user = self.app.user("contributor").await;
        let secret = IdentitySecret::random(&mut rand::rngs::OsRng);
        let commitment = hex::encode(fr_to_bytes(&attestation::commitment(&secret)));
        let r = self
            .app
            .post(
                "/api/registry/identities",
                Some(&user.token),
                &json!({"commitment": commitment}),
                None,
            )
            .await;
        assert_eq!(r.status(), StatusCode::CREATED);
        let wallet = body(self.app.get("/api/wallet", Some(&user.token)).await).await["account_id"]
            .as_i64()
            .unwrap();
        Contributor {
            user,
            secret,
            wallet,
        }
    }

    /// `c` contributes `minutes` to `campaign` as the client does; answers
    /// the submission and the note its receipt names.
    async fn contribute(
        &self,
        c: &Contributor,
        campaign: i64,
        minutes: u64,
    ) -> (Submission, HeldNote) {
        let m = client_material(&self.app.client, &self.app.address, campaign).await;
        let identity = serde_json::from_value(
            body(self.app.get("/api/registry/me", Some(&c.user.token)).await).await,
        )
        .unwrap();
        let s = prepare_off_thread(
            m.material,
            m.public,
            m.proving_key,
            IdentitySecret::from_bytes(c.secret.to_bytes()),
            identity,
            json!({ "minutes": minutes }),
            m.pinned,
        )
        .await
        .unwrap();
        let r = self
            .app
            .post(
                &format!("/api/campaigns/{campaign}/contributions"),
                None,
                &serde_json::to_value(&s).unwrap(),
                None,
            )
            .await;
        assert_eq!(r.status(), StatusCode::CREATED);
        let receipt = serde_json::from_value(body(r).await).unwrap();
        let note = notes::note_from_receipt(&c.secret, &receipt).unwrap();
        (s, note)
    }

    /// Every page of the notes tree, 2 leaves a page.
    async fn tree(&self) -> NotesTree {
        let mut tree = NotesTree::new();
        loop {
            let page: NotesPage = serde_json::from_value(
                body(
                    self.app
                        .get(&format!("/api/notes?from={}&limit=2", tree.len()), None)
                        .await,
                )
                .await,
            )
            .unwrap();
            if tree.add_page(&page).unwrap() {
                return tree;
            }
        }
    }

    async fn claim_request(&self, c: &Contributor, held: &[HeldNote], to: i64) -> ClaimRequest {
        let (pk, secret, held) = (
            self.claim_key.clone(),
            IdentitySecret::from_bytes(c.secret.to_bytes()),
            held.to_vec(),
        );
        let tree = self.tree().await;
        tokio::task::spawn_blocking(move || {
            notes::prepare_claim(&pk, &secret, &held, &tree, to as u64)
        })
        .await
        .unwrap()
        .unwrap()
    }

    async fn post_claim(&self, request: &Value) -> reqwest::Response {
        self.app.post("/api/claims", None, request, None).await
    }

    /// The unclaimed-rewards account's balance, from the database.
    fn unclaimed(&self) -> i64 {
        use server::schema::accounts;
        let mut conn = self.app.pool.get().unwrap();
        accounts::table
            .filter(accounts::kind.eq("unclaimed"))
            .select(accounts::balance)
            .first(&mut conn)
            .unwrap()
    }

    /// Posts a claim, expects `status`/`code`, and checks nothing moved.
    async fn refused(
        &self,
        request: &Value,
        status: StatusCode,
        code: &str,
        wallets: &[&Contributor],
    ) {
        let unclaimed = self.unclaimed();
        let mut before = Vec::new();
        for c in wallets {
            before.push(self.app.balance(&c.user).await);
        }
        assert_error(self.post_claim(request).await, status, code).await;
        assert_eq!(
            self.unclaimed(),
            unclaimed,
            "{code}: the unclaimed account moved"
        );
        for (c, b) in wallets.iter().zip(before) {
            assert_eq!(self.app.balance(&c.user).await, b, "{code}: a wallet moved");
        }
    }
}

#[tokio::test]
async fn a_contribution_names_no_account_and_its_reward_waits_in_a_note() {
    let w = World::new().await;
    let c = w.contributor().await;
    let (s, note) = w.contribute(&c, w.campaigns[0], 30).await;
    assert_eq!((note.campaign_id, note.amount), (w.campaigns[0] as u64, 25));

    // The stored contribution: the note key and the note's leaf, no account.
    let (payout, key, index, transfer): (Option<i64>, Option<Vec<u8>>, Option<i64>, i64) = {
        use server::schema::contributions as k;
        let mut conn = w.app.pool.get().unwrap();
        k::table
            .filter(k::campaign_id.eq(w.campaigns[0]))
            .select((
                k::payout_account_id,
                k::note_key,
                k::note_index,
                k::transfer_id,
            ))
            .first(&mut conn)
            .unwrap()
    };
    assert_eq!(payout, None);
    assert_eq!(hex::encode(key.unwrap()), s.note_key);
    assert_eq!(index, Some(note.index as i64));
    // Its transfer moves the escrow into the unclaimed account: no wallet.
    let (from_kind, to_kind, amount): (String, String, i64) = {
        use server::schema::{accounts, transfers};
        let mut conn = w.app.pool.get().unwrap();
        let (from, to, amount): (i64, i64, i64) = transfers::table
            .find(transfer)
            .select((
                transfers::from_account_id,
                transfers::to_account_id,
                transfers::amount,
            ))
            .first(&mut conn)
            .unwrap();
        let kind = |id: i64, conn: &mut diesel::PgConnection| -> String {
            accounts::table
                .find(id)
                .select(accounts::kind)
                .first(conn)
                .unwrap()
        };
        (kind(from, &mut conn), kind(to, &mut conn), amount)
    };
    assert_eq!(
        (from_kind.as_str(), to_kind.as_str(), amount),
        ("escrow", "unclaimed", 25)
    );
    // The contributor's wallet saw nothing; the unclaimed account holds it.
    let wallet = body(w.app.get("/api/wallet", Some(&c.user.token)).await).await;
    assert_eq!(wallet["balance"], 0);
    assert_eq!(wallet["transfers"], json!([]));
    assert_eq!(w.unclaimed(), 25);

    // The notes tree names the note's commitment, and nothing else about it.
    let page = body(w.app.get("/api/notes", None).await).await;
    assert_eq!(page["leaf_count"], 1);
    let expected = NoteSecret::derive(&c.secret, w.campaigns[0] as u64).commitment(25);
    assert_eq!(page["commitments"][0], attestation::fr_to_hex(&expected));
    // Recovery from the identity secret alone finds it again.
    let paying: Vec<(u64, u64)> = body(w.app.get("/api/notes/campaigns", None).await)
        .await
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["campaign_id"].as_u64().unwrap(),
                c["reward"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(paying, [(w.campaigns[0] as u64, 25)]);
    let found = notes::find_notes(&c.secret, &paying, &w.tree().await);
    assert_eq!(found, [note]);
    w.app.assert_ledger_consistent(&w.admin).await;
}

#[tokio::test]
async fn claims_pay_once_and_every_forgery_is_refused_with_nothing_moved() {
    let w = World::new().await;
    let c = w.contributor().await;
    let other = w.contributor().await;
    // c's notes from two campaigns (25 + 40), other's note between them.
    let (_, n1) = w.contribute(&c, w.campaigns[0], 10).await;
    let (_, theirs) = w.contribute(&other, w.campaigns[0], 11).await;
    let (_, n2) = w.contribute(&c, w.campaigns[1], 12).await;
    assert_eq!(w.unclaimed(), 90);

    let good = w
        .claim_request(&c, &[n1.clone(), n2.clone()], c.wallet)
        .await;
    let good_json = serde_json::to_value(&good).unwrap();

    // Forgeries of the good request, each refused with nothing moved.
    let mut more = good_json.clone();
    more["total"] = json!(66);
    w.refused(
        &more,
        StatusCode::UNPROCESSABLE_ENTITY,
        "claim_invalid",
        &[&c, &other],
    )
    .await;
    let mut elsewhere = good_json.clone();
    elsewhere["destination"] = json!(other.wallet);
    w.refused(
        &elsewhere,
        StatusCode::UNPROCESSABLE_ENTITY,
        "claim_invalid",
        &[&c, &other],
    )
    .await;
    let mut unknown_root = good_json.clone();
    unknown_root["root"] = json!(attestation::fr_to_hex(&attestation::Fr::from(7u64)));
    w.refused(
        &unknown_root,
        StatusCode::CONFLICT,
        "stale_notes_root",
        &[&c, &other],
    )
    .await;
    let mut doubled = good_json.clone();
    doubled["nullifiers"][1] = doubled["nullifiers"][0].clone();
    w.refused(
        &doubled,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_claim",
        &[&c, &other],
    )
    .await;
    let mut tampered = good_json.clone();
    tampered["proof"] = json!("AAAA");
    w.refused(
        &tampered,
        StatusCode::UNPROCESSABLE_ENTITY,
        "claim_invalid",
        &[&c, &other],
    )
    .await;
    let mut three = good_json.clone();
    three["nullifiers"].as_array_mut().unwrap().pop();
    w.refused(
        &three,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_claim",
        &[&c, &other],
    )
    .await;
    // Into an account that is not a wallet (the campaign's escrow).
    let escrow: i64 = {
        use server::schema::accounts;
        let mut conn = w.app.pool.get().unwrap();
        accounts::table
            .filter(accounts::campaign_id.eq(w.campaigns[0]))
            .select(accounts::id)
            .first(&mut conn)
            .unwrap()
    };
    let to_escrow =
        serde_json::to_value(w.claim_request(&c, std::slice::from_ref(&n1), escrow).await).unwrap();
    w.refused(
        &to_escrow,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_destination",
        &[&c, &other],
    )
    .await;

    // The good claim: both notes, from two campaigns, in one proof.
    let r = w.post_claim(&good_json).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let receipt = body(r).await;
    assert_eq!(receipt["amount"], 65);
    assert_eq!(receipt["destination"], c.wallet);
    assert_eq!(w.app.balance(&c.user).await, 65);
    assert_eq!(w.unclaimed(), 25);
    // The wallet's history shows the claim, not the contributions.
    let wallet = body(w.app.get("/api/wallet", Some(&c.user.token)).await).await;
    let kinds: Vec<&str> = wallet["transfers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["note_claim"]);

    // Replayed, or one of its notes spent again in a fresh proof: refused.
    w.refused(
        &good_json,
        StatusCode::CONFLICT,
        "note_spent",
        &[&c, &other],
    )
    .await;
    let again = serde_json::to_value(
        w.claim_request(&c, std::slice::from_ref(&n2), c.wallet)
            .await,
    )
    .unwrap();
    w.refused(&again, StatusCode::CONFLICT, "note_spent", &[&c, &other])
        .await;
    // Someone else's note cannot be proven by c at all.
    let tree = w.tree().await;
    let secret = IdentitySecret::from_bytes(c.secret.to_bytes());
    assert!(notes::prepare_claim(
        &w.claim_key,
        &secret,
        std::slice::from_ref(&theirs),
        &tree,
        c.wallet as u64
    )
    .is_err());

    // The other contributor claims theirs; a suspended owner's wallet is refused.
    let theirs_claim =
        serde_json::to_value(w.claim_request(&other, &[theirs], other.wallet).await).unwrap();
    let r = w
        .app
        .post(
            &format!("/api/admin/users/{}/suspend", other.user.id),
            Some(&w.admin.token),
            &json!({"reason": "testing claims"}),
            None,
        )
        .await;
    assert!(r.status().is_success(), "{}", r.status());
    w.refused(
        &theirs_claim,
        StatusCode::FORBIDDEN,
        "destination_suspended",
        &[&c],
    )
    .await;
    let r = w
        .app
        .post(
            &format!("/api/admin/users/{}/unsuspend", other.user.id),
            Some(&w.admin.token),
            &json!({"reason": "done"}),
            None,
        )
        .await;
    assert!(r.status().is_success(), "{}", r.status());
    let r = w.post_claim(&theirs_claim).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    // (The suspension ended its sessions.)
    let other_again = w.app.login(&other.user.email).await;
    assert_eq!(w.app.balance(&other_again).await, 25);
    assert_eq!(w.unclaimed(), 0);
    w.app.assert_ledger_consistent(&w.admin).await;
}
