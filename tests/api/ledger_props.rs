//! Property test of the ledger invariants (Jepsen's bank checker, on the real
//! PostgreSQL): random sequences of transfers, run concurrently from several
//! threads, some replayed with their idempotency key. Afterwards the sum over
//! all accounts (the unclaimed-rewards account among them) is zero, no
//! account but the mint is negative, every cached
//! balance equals its transfers, each distinct successful operation made
//! exactly one transfer, and every replay answered the original response.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use actix_web::http::StatusCode;
use diesel::prelude::*;
use proptest::prelude::*;
use protocol::TokenAmount;
use server::db::{self, PgPool};
use server::domain::{Email, Role, UserId};
use server::idempotency::{run_once_in_tx, IdempotencyKey};
use server::services::accounts::create_user;
use server::store::ledger;

#[derive(Debug, Clone)]
struct Op {
    from: usize,
    to: usize,
    amount: i64,
    replay: bool,
}

fn op() -> impl Strategy<Value = Op> {
    (
        0..6usize,
        0..6usize,
        prop_oneof![1 => -3i64..=0, 9 => 1i64..300],
        any::<bool>(),
    )
        .prop_map(|(from, to, amount, replay)| Op {
            from,
            to,
            amount,
            replay,
        })
}

static CASE: AtomicUsize = AtomicUsize::new(0);

fn setup() -> PgPool {
    let url = cipherpool_tests::fresh_database();
    db::run_migrations(&url).expect("migrations");
    db::build_pool(&url, 8).expect("pool")
}

/// Runs one operation; returns (transfer id if it succeeded, replay matched).
fn run_op(
    pool: &PgPool,
    owner: UserId,
    accounts: &[ledger::AccountId],
    key: &str,
    op: &Op,
) -> (Option<i64>, bool) {
    let mut conn = pool.get().expect("conn");
    let key = IdempotencyKey::parse(key).expect("key");
    let hash = format!("{}:{}:{}", op.from, op.to, op.amount);
    let (from, to) = (accounts[op.from], accounts[op.to]);
    let exec = |conn: &mut PgConnection| {
        db::run_tx_sync(conn, "prop_transfer", |c| {
            run_once_in_tx(c, owner, &key, &hash, |c| {
                let amount = TokenAmount::parse(op.amount)?;
                let t = ledger::transfer(c, from, to, amount, ledger::TransferKind::Mint, "")?;
                Ok((StatusCode::OK, serde_json::json!({"id": t.id})))
            })
        })
    };
    let first = exec(&mut conn);
    let id = first
        .as_ref()
        .ok()
        .and_then(|(_, body, _)| body["id"].as_i64());
    let mut replay_ok = true;
    if op.replay {
        let second = exec(&mut conn);
        replay_ok = match (&first, &second) {
            (Ok((_, b1, false)), Ok((_, b2, true))) => b1 == b2,
            // A failed first attempt stored nothing, so the replay runs
            // again; it may succeed only if funds arrived meanwhile.
            (Err(_), _) => true,
            _ => false,
        };
    }
    (id, replay_ok)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, ..ProptestConfig::default() })]

    #[test]
    fn ledger_invariants_hold_under_concurrent_transfers(ops in prop::collection::vec(op(), 1..40)) {
        static POOL: std::sync::OnceLock<PgPool> = std::sync::OnceLock::new();
        let pool = POOL.get_or_init(setup).clone();
        let case = CASE.fetch_add(1, Ordering::Relaxed);
        let mut conn = pool.get().unwrap();
        // The mint, the unclaimed-rewards account (shared by every case,
        // like the mint) and four fresh wallets.
        let mut accounts = vec![
            ledger::mint_account(&mut conn).unwrap(),
            ledger::unclaimed_account(&mut conn).unwrap(),
        ];
        let mut owner = UserId(0);
        for i in 0..4 {
            let email = Email::parse(&format!("p{case}-{i}-{}@example.org", uuid::Uuid::new_v4().simple())).unwrap();
            let u = create_user(&mut conn, &email, "not-a-real-hash", Role::Buyer).unwrap();
            owner = u.id;
            accounts.push(ledger::wallet_of(&mut conn, u.id).unwrap());
        }
        use server::schema::transfers;
        let before: i64 = transfers::table
            .select(diesel::dsl::max(transfers::id))
            .first::<Option<i64>>(&mut conn)
            .unwrap()
            .unwrap_or(0);
        drop(conn);
        let accounts = Arc::new(accounts);
        let ops = Arc::new(ops);
        let threads: Vec<_> = (0..4).map(|t| {
            let (pool, accounts, ops) = (pool.clone(), accounts.clone(), ops.clone());
            std::thread::spawn(move || {
                let mut out = Vec::new();
                for (i, op) in ops.iter().enumerate().filter(|(i, _)| i % 4 == t) {
                    out.push(run_op(&pool, owner, &accounts, &format!("case{case}-op{i}"), op));
                }
                out
            })
        }).collect();
        let results: Vec<(Option<i64>, bool)> = threads.into_iter().flat_map(|h| h.join().unwrap()).collect();
        prop_assert!(results.iter().all(|(_, replay_ok)| *replay_ok), "a replay did not answer the original response");

        let mut conn = pool.get().unwrap();
        let audit = ledger::check_consistency(&mut conn).unwrap();
        prop_assert_eq!(audit.total, 0);
        prop_assert_eq!(audit.negative_accounts, 0);
        prop_assert!(audit.mismatched_accounts.is_empty(), "{:?}", audit.mismatched_accounts);

        // Cases run one after another: this case's transfers are the newer ones.
        let made: i64 = transfers::table
            .filter(transfers::id.gt(before))
            .count()
            .get_result(&mut conn)
            .unwrap();
        let succeeded = results.iter().filter(|(id, _)| id.is_some()).count() as i64;
        // Replays of failed operations may have succeeded on their second try.
        prop_assert!(made >= succeeded, "made {} < succeeded {}", made, succeeded);
        let max = succeeded + ops.iter().filter(|o| o.replay).count() as i64;
        prop_assert!(made <= max);
        // Invalid operations never make a transfer.
        for (op, (id, _)) in ops.iter().zip(results_in_order(&results, ops.len()).iter()) {
            if op.amount <= 0 || op.from == op.to {
                prop_assert!(id.is_none());
            }
            if op.from == 0 && op.to != 0 && op.amount > 0 {
                prop_assert!(id.is_some(), "mint transfers always succeed");
            }
        }
    }
}

/// The threads return results grouped by thread (op i ran on thread i % 4);
/// put them back in op order.
fn results_in_order(results: &[(Option<i64>, bool)], n: usize) -> Vec<(Option<i64>, bool)> {
    let mut order = Vec::with_capacity(n);
    for t in 0..4 {
        order.extend((0..n).filter(|i| i % 4 == t));
    }
    let mut out = vec![(None, true); n];
    for (pos, &i) in order.iter().enumerate() {
        out[i] = results[pos];
    }
    out
}
