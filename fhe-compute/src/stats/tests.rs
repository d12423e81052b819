//! Engine tests, written once and run against every backend compiled in.

use std::sync::OnceLock;

use protocol::record::{encode, EncodedRecord, Entry};
use protocol::schema::Statistic;
use protocol::CampaignSchema;
use serde_json::json;

use super::*;
use crate::contribution::encrypt_record;
use crate::keys::{proof_metadata, CampaignKeys};
use rayon::prelude::*;
use tfhe::shortint::Ciphertext;

fn schema() -> CampaignSchema {
    CampaignSchema::from_json(
        &json!({
            "fields": [
                {"type": "numeric", "name": "age", "bits": 8, "range": {"min": 18, "max": 100}},
                {"type": "numeric", "name": "score", "bits": 8},
                {"type": "categorical", "name": "mode", "categories": ["car", "bike", "train"]},
                {"type": "categorical", "name": "sex", "categories": ["f", "m", "x"]}
            ],
            "regression": {"features": ["age"], "target": "score"},
            "crosstabs": [{"rows": "mode", "columns": "sex"}],
            "group_sums": [{"field": "score", "by": "mode"}]
        })
        .to_string(),
    )
    .unwrap()
}

const ALL: [Statistic; 8] = [
    Statistic::Count,
    Statistic::Sum,
    Statistic::Variance,
    Statistic::Histogram,
    Statistic::Regression,
    Statistic::Quality,
    Statistic::Crosstab,
    Statistic::GroupSum,
];

fn keys() -> &'static CampaignKeys {
    static KEYS: OnceLock<CampaignKeys> = OnceLock::new();
    KEYS.get_or_init(|| CampaignKeys::generate(&schema()).unwrap())
}

fn backends() -> Vec<Box<dyn StatsBackend>> {
    #[allow(unused_mut)]
    let mut v: Vec<Box<dyn StatsBackend>> =
        vec![Box::new(cpu::CpuBackend::new(&keys().server_key))];
    #[cfg(feature = "gpu")]
    v.push(Box::new(gpu::GpuBackend::new(&keys().server_key)));
    v
}

/// Plain entry values and the encrypted list of one record.
fn encrypt(entries: Vec<Entry>) -> (Vec<u64>, Vec<u8>) {
    encrypt_under(entries, &keys().public_material().unwrap().crs().unwrap())
}

/// [`encrypt`] with the proof under `crs`.
fn encrypt_under(entries: Vec<Entry>, crs: &tfhe::zk::CompactPkeCrs) -> (Vec<u64>, Vec<u8>) {
    let m = keys().public_material().unwrap();
    let pk = m.public_key().unwrap();
    let meta = proof_metadata(1, 1, &m.key_fingerprint());
    let plain = entries.iter().map(|e| e.value).collect();
    let bytes = encrypt_record(&EncodedRecord { entries }, &pk, crs, &meta).unwrap();
    (plain, bytes)
}

/// Records through the client's encoder, plus one from a modified client
/// (the zk-pok only proves widths): its age is outside the declared range
/// and its "one-hot" vector holds 3 in every category.
fn records() -> Vec<(Vec<u64>, Vec<u8>)> {
    let s = schema();
    let mut out: Vec<_> = [
        json!({"age": 18, "score": 255, "mode": "car", "sex": "f"}),
        json!({"age": 100, "score": 0, "mode": "train", "sex": "x"}),
        json!({"age": 47, "score": 201, "mode": "train", "sex": "f"}),
    ]
    .iter()
    .map(|r| encrypt(encode(&s, r).unwrap().entries))
    .collect();
    let mut odd = encode(
        &s,
        &json!({"age": 30, "score": 77, "mode": "bike", "sex": "m"}),
    )
    .unwrap();
    odd.entries[0].value = 255;
    for e in &mut odd.entries[2..8] {
        e.value = 3;
    }
    out.push(encrypt(odd.entries));
    out
}

#[test]
fn plan_sizes_accumulators_for_the_bound() {
    let plan = StatsPlan::new(&schema(), &ALL, 1000).unwrap();
    let keys = plan.keys();
    assert_eq!(
        keys,
        [
            "sum:age",
            "sum_of_squares:age",
            "out_of_range:age",
            "sum:score",
            "sum_of_squares:score",
            "count:mode:car",
            "count:mode:bike",
            "count:mode:train",
            "count:sex:f",
            "count:sex:m",
            "count:sex:x",
            "group_sum:score:mode:car",
            "group_sum:score:mode:bike",
            "group_sum:score:mode:train",
            "crosstab:mode:sex:0:0",
            "crosstab:mode:sex:0:1",
            "crosstab:mode:sex:0:2",
            "crosstab:mode:sex:1:0",
            "crosstab:mode:sex:1:1",
            "crosstab:mode:sex:1:2",
            "crosstab:mode:sex:2:0",
            "crosstab:mode:sex:2:1",
            "crosstab:mode:sex:2:2",
            "product:age:score",
        ]
    );
    let by_key = |k: &str| plan.aggregates.iter().find(|a| a.kind.key() == k).unwrap();
    // Ages are clamped to their declared range (18–100) before sums,
    // squares and products: a record adds at most 100 (not the width's
    // 255), 100² to the squares; 100 × 1000 = 100,000 < 4^9.
    assert_eq!(by_key("sum:age").max_value, 100_000);
    assert_eq!(by_key("sum:age").sensitivity, 100);
    assert_eq!(by_key("sum:age").blocks, 9);
    assert_eq!(by_key("sum_of_squares:age").sensitivity, 10_000);
    assert_eq!(
        plan.clamps(),
        [super::Clamp {
            entry: 0,
            floor: Some(18),
            ceiling: Some(100),
        }],
        "only the ranged field"
    );
    // The score has no declared range: its width's 255.
    assert_eq!(by_key("sum:score").sensitivity, 255);
    // 255² × 1000 = 65,025,000 < 4^13.
    assert_eq!(by_key("sum_of_squares:score").blocks, 13);
    assert_eq!(by_key("sum_of_squares:score").sensitivity, 65_025);
    // A category entry carries up to 3 (2 proven bits) but counts once:
    // 1,000 < 4^5.
    assert_eq!(by_key("count:mode:car").max_value, 1_000);
    assert_eq!(by_key("count:mode:car").sensitivity, 1);
    assert_eq!(by_key("count:mode:car").blocks, 5);
    assert_eq!(by_key("product:age:score").max_value, 25_500_000);
    assert_eq!(by_key("product:age:score").sensitivity, 25_500);
    // A cell counts a record once; a group sum adds at most the width's
    // maximum (a modified record may be in every group).
    assert_eq!(by_key("crosstab:mode:sex:2:1").sensitivity, 1);
    assert_eq!(by_key("crosstab:mode:sex:2:1").blocks, 5);
    assert_eq!(by_key("group_sum:score:mode:bike").sensitivity, 255);
    assert_eq!(by_key("group_sum:score:mode:bike").max_value, 255_000);
    // Category entries a crosstab or group sum multiplies are read alone;
    // a histogram alone reads them as packable flags.
    let read = plan.entries_read();
    assert_eq!(&read[..2], &[Read::Value, Read::Value]);
    assert!(read[2..8].iter().all(|r| *r == Read::FlagAlone), "{read:?}");
    let hist = StatsPlan::new(&schema(), &[Statistic::Histogram], 10).unwrap();
    let read = hist.entries_read();
    assert_eq!(&read[..2], &[Read::No, Read::No]);
    assert!(read[2..8].iter().all(|r| *r == Read::Flag), "{read:?}");
    // A group sum alone brings its groups' sizes, and reads only the
    // summed field and the groups' entries.
    let groups = StatsPlan::new(&schema(), &[Statistic::GroupSum], 10).unwrap();
    let keys = groups.keys();
    assert_eq!(keys.len(), 6);
    assert!(keys.contains(&"count:mode:train".to_string()));
    let read = groups.entries_read();
    assert_eq!(read[0], Read::No);
    assert_eq!(read[1], Read::Value);
    assert!(read[2..5].iter().all(|r| *r == Read::FlagAlone));
    assert!(read[5..8].iter().all(|r| *r == Read::No));
    // Every accumulator holds its bound and 4^blocks does not fit.
    for a in &plan.aggregates {
        assert!(a.max_value < 1u128 << (2 * a.blocks));
        assert!(a.blocks == 1 || a.max_value >= 1u128 << (2 * (a.blocks - 1)));
    }
    // Only what was asked for.
    let sums = StatsPlan::new(&schema(), &[Statistic::Sum], 10).unwrap();
    assert_eq!(sums.aggregates.len(), 2);
    assert!(matches!(
        StatsPlan::new(&schema(), &ALL, 0),
        Err(StatsError::RecordBound(0))
    ));
    assert!(matches!(
        StatsPlan::new(&schema(), &ALL, MAX_PLAN_RECORDS + 1),
        Err(StatsError::RecordBound(_))
    ));
    assert!(matches!(
        StatsPlan::new(&schema(), &[], 10),
        Err(StatsError::Schema(_))
    ));
}

#[test]
fn aggregates_equal_the_plaintext_statistics_on_every_backend() {
    let recs = records();
    let plain: Vec<Vec<u64>> = recs.iter().map(|(p, _)| p.clone()).collect();
    let plan = StatsPlan::new(&schema(), &ALL, 100).unwrap();
    let expected = plaintext_aggregates(&plan, &plain);
    // The test data exercise every aggregate (nothing trivially zero).
    assert!(expected.iter().all(|v| *v > 0), "{expected:?}");
    assert_eq!(expected[2], 1, "exactly one out-of-range age");
    // The modified record's age (255) counts as the range's 100 in the
    // sums, squares and products (it is still counted out of range).
    assert_eq!(expected[0], 18 + 100 + 47 + 100, "sum:age, clamped");
    assert_eq!(expected[1], 18 * 18 + 100 * 100 + 47 * 47 + 100 * 100);
    assert_eq!(
        expected[23],
        18 * 255 + 47 * 201 + 100 * 77, // the second record scores 0
        "product:age:score, clamped"
    );
    // The modified record's 3 in every category counts once in each.
    assert_eq!(&expected[5..8], &[2, 1, 3], "car, bike, train");
    // Scores by mode: car 255 + 77, bike 77, train 0 + 201 + 77.
    assert_eq!(&expected[11..14], &[332, 77, 278]);
    // mode × sex: (car, f), (train, x), (train, f), and the modified
    // record in all nine cells.
    assert_eq!(&expected[14..23], &[2, 1, 1, 1, 1, 1, 2, 1, 2]);
    assert_every_backend_gives(&plan, &recs, &expected);
}

/// Every backend aggregates all of `recs` (each counted) and the decrypted
/// aggregates equal `expected`.
fn assert_every_backend_gives(plan: &StatsPlan, recs: &[(Vec<u64>, Vec<u8>)], expected: &[u128]) {
    for backend in backends() {
        let mut lists = recs.iter().map(|(_, b)| b.clone());
        let partial = backend.aggregate(plan, &mut lists).unwrap();
        assert_eq!(partial.records, recs.len() as u64);
        let got = decrypt_partial(&keys().client_key, plan, &partial).unwrap();
        assert_eq!(got, expected, "backend {}", backend.name());
    }
}

/// More records than one batch (8): pair blocks wait across batches and
/// are split when full and at the end, columns reduce across batches, and
/// modified records (several categories, 2 or 3 in an entry, ages out of
/// range) are among them.
#[test]
fn several_batches_equal_the_plaintext_statistics() {
    use rand::Rng;
    let s = schema();
    let mut rng = rand::thread_rng();
    let recs: Vec<(Vec<u64>, Vec<u8>)> = (0..19)
        .map(|i| {
            let mode = ["car", "bike", "train"][rng.gen_range(0..3)];
            let sex = ["f", "m", "x"][rng.gen_range(0..3)];
            let r = json!({"age": rng.gen_range(18..=100), "score": rng.gen_range(0..=255), "mode": mode, "sex": sex});
            let mut rec = encode(&s, &r).unwrap();
            if i % 4 == 3 {
                // Ages below, just below, just above and far above the
                // declared 18–100: clamped in the sums, squares, products.
                rec.entries[0].value = [3, 17, 101, 250][i / 4];
                for e in &mut rec.entries[2..8] {
                    e.value = rng.gen_range(0..=3);
                }
            }
            encrypt(rec.entries)
        })
        .collect();
    let plain: Vec<Vec<u64>> = recs.iter().map(|(p, _)| p.clone()).collect();
    let plan = StatsPlan::new(
        &s,
        &[
            Statistic::Variance,
            Statistic::Regression,
            Statistic::Histogram,
            Statistic::Quality,
            Statistic::Crosstab,
            Statistic::GroupSum,
        ],
        100,
    )
    .unwrap();
    assert_eq!(recs.len(), 19);
    assert_every_backend_gives(&plan, &recs, &plaintext_aggregates(&plan, &plain));
}

/// A plan sized for one record: the clamped age's square (≤ 100²) needs 7
/// blocks, fewer than the 8 its 4-block products span (their high blocks
/// are 0 once clamped). The arithmetic is modulo the aggregate's width, so
/// those blocks are dropped and the results stay exact (this used to index
/// past the last column and panic).
#[test]
fn aggregates_narrower_than_their_block_products_stay_exact() {
    let recs = records();
    let plan = StatsPlan::new(&schema(), &[Statistic::Variance, Statistic::Regression], 1).unwrap();
    let square = plan
        .aggregates
        .iter()
        .find(|a| a.kind.key() == "sum_of_squares:age")
        .unwrap();
    assert_eq!(square.blocks, 7, "narrower than 2 × 4 blocks");
    for rec in [&recs[0], &recs[3]] {
        let expected = plaintext_aggregates(&plan, std::slice::from_ref(&rec.0));
        assert_every_backend_gives(&plan, std::slice::from_ref(rec), &expected);
    }
}

/// Plans always square the fields they multiply (a regression's diagonal),
/// and a product then shares its fields' corrections with their squares.
/// Without the squares a product computes them itself: still exact.
#[test]
fn a_product_without_its_fields_squares_stays_exact() {
    let recs = records();
    let plain: Vec<Vec<u64>> = recs.iter().map(|(p, _)| p.clone()).collect();
    let mut plan = StatsPlan::new(&schema(), &[Statistic::Regression], 100).unwrap();
    plan.aggregates
        .retain(|a| matches!(a.kind, AggregateKind::Product { .. }));
    assert_eq!(plan.aggregates.len(), 1);
    let expected = plaintext_aggregates(&plan, &plain);
    assert_eq!(expected, [18 * 255 + 47 * 201 + 100 * 77]);
    assert_every_backend_gives(&plan, &recs, &expected);
}

#[test]
fn shards_merge_to_the_whole_and_partials_round_trip() {
    let recs = records();
    let plain: Vec<Vec<u64>> = recs.iter().map(|(p, _)| p.clone()).collect();
    let plan = StatsPlan::new(&schema(), &[Statistic::Sum, Statistic::Histogram], 100).unwrap();
    let expected = plaintext_aggregates(&plan, &plain);
    for backend in backends() {
        let a = backend
            .aggregate(&plan, &mut recs[..1].iter().map(|(_, b)| b.clone()))
            .unwrap();
        let b = backend
            .aggregate(&plan, &mut recs[1..].iter().map(|(_, b)| b.clone()))
            .unwrap();
        // Partials survive storage.
        let a = Partial::from_bytes(&a.to_bytes().unwrap(), &plan).unwrap();
        let b = Partial::from_bytes(&b.to_bytes().unwrap(), &plan).unwrap();
        let merged = backend.merge(&plan, &[a, b]).unwrap();
        assert_eq!(merged.records, 4);
        let got = decrypt_partial(&keys().client_key, &plan, &merged).unwrap();
        assert_eq!(got, expected, "backend {}", backend.name());
        // An empty shard is a valid partial of zeros.
        let empty = backend.aggregate(&plan, &mut std::iter::empty()).unwrap();
        assert_eq!(empty.records, 0);
        let zeros = decrypt_partial(&keys().client_key, &plan, &empty).unwrap();
        assert!(zeros.iter().all(|v| *v == 0));
    }
}

#[test]
fn refuses_more_records_than_the_bound_and_foreign_partials() {
    let recs = records();
    let tight = StatsPlan::new(&schema(), &[Statistic::Sum], 3).unwrap();
    let other = StatsPlan::new(&schema(), &[Statistic::Histogram], 3).unwrap();
    for backend in backends() {
        let err = backend
            .aggregate(&tight, &mut recs.iter().map(|(_, b)| b.clone()))
            .unwrap_err();
        assert!(
            matches!(err, StatsError::TooManyRecords { max: 3 }),
            "{err}"
        );
        // Corrupt stored bytes are an error, not a wrong answer.
        let mut bad = recs[0].1.clone();
        bad.truncate(bad.len() / 2);
        let err = backend
            .aggregate(&tight, &mut std::iter::once(bad))
            .unwrap_err();
        assert!(matches!(err, StatsError::Expand { index: 0, .. }), "{err}");
        // A partial of another plan does not parse or merge.
        let p = backend
            .aggregate(&tight, &mut recs[..1].iter().map(|(_, b)| b.clone()))
            .unwrap();
        let bytes = p.to_bytes().unwrap();
        assert!(Partial::from_bytes(&bytes, &other).is_err());
        assert!(Partial::from_bytes(&bytes[..bytes.len() - 1], &tight).is_err());
        assert!(Partial::from_bytes(b"nonsense", &tight).is_err());
        assert!(backend.merge(&other, &[p]).is_err());
    }
}

/// Within one process (one FFT plan) the CPU engine gives the same bytes for
/// the same shards however many threads it runs on: the keyholder's cheap
/// comparison when it re-executes a job (across processes: the next test).
#[test]
fn cpu_aggregation_is_byte_reproducible_across_thread_counts() {
    let recs = records();
    let plan = StatsPlan::new(&schema(), &[Statistic::Sum, Statistic::Histogram], 100).unwrap();
    let backend = cpu::CpuBackend::new(&keys().server_key);
    let run = |threads: usize| -> Vec<u8> {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| {
            let a = backend
                .aggregate(&plan, &mut recs[..2].iter().map(|(_, b)| b.clone()))
                .unwrap();
            let b = backend
                .aggregate(&plan, &mut recs[2..].iter().map(|(_, b)| b.clone()))
                .unwrap();
            backend.merge(&plan, &[a, b]).unwrap().to_bytes().unwrap()
        })
    };
    assert_eq!(run(1), run(3), "1 thread vs 3 threads");
}

/// Sums (PBS carry splits) and products (bivariate PBS).
const REPRO_STATS: [Statistic; 2] = [Statistic::Sum, Statistic::Regression];

/// The keyholder verifies by byte equality, so the computation must give
/// the same bytes in another process (FFT plan pinned, fixed fold order):
/// this test runs the same aggregation in a child process (this test binary
/// again, running only [`reproducibility_child`]) and compares.
#[test]
fn cpu_aggregation_is_byte_reproducible_across_processes() {
    let recs = records();
    let plan = StatsPlan::new(&schema(), &REPRO_STATS, 100).unwrap();
    let dir = std::env::temp_dir().join(format!("cipherpool-repro-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let key = crate::keys::to_bytes(&keys().server_key, crate::keys::SERVER_KEY_LIMIT, "key");
    std::fs::write(dir.join("server_key"), key.unwrap()).unwrap();
    for (i, (_, list)) in recs.iter().enumerate() {
        std::fs::write(dir.join(format!("list{i}")), list).unwrap();
    }
    let backend = cpu::CpuBackend::new(&keys().server_key);
    let here = backend
        .aggregate(&plan, &mut recs.iter().map(|(_, b)| b.clone()))
        .unwrap()
        .to_bytes()
        .unwrap();
    let status = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "stats::tests::reproducibility_child",
            "--test-threads=1",
        ])
        .env("CIPHERPOOL_REPRO_DIR", &dir)
        .env("CIPHERPOOL_REPRO_LISTS", recs.len().to_string())
        .env("RAYON_NUM_THREADS", "1")
        .status()
        .unwrap();
    assert!(status.success());
    let there = std::fs::read(dir.join("aggregate")).expect("the child wrote its aggregate");
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(
        here == there,
        "the same aggregation gave other bytes in another process"
    );
}

/// The child half of [`cpu_aggregation_is_byte_reproducible_across_processes`]
/// (does nothing unless that test started it).
#[test]
fn reproducibility_child() {
    let Ok(dir) = std::env::var("CIPHERPOOL_REPRO_DIR") else {
        return;
    };
    let dir = std::path::PathBuf::from(dir);
    let n: usize = std::env::var("CIPHERPOOL_REPRO_LISTS")
        .unwrap()
        .parse()
        .unwrap();
    let key: tfhe::CompressedServerKey = crate::keys::from_bytes(
        &std::fs::read(dir.join("server_key")).unwrap(),
        crate::keys::SERVER_KEY_LIMIT,
        "key",
    )
    .unwrap();
    let plan = StatsPlan::new(&schema(), &REPRO_STATS, 100).unwrap();
    let lists: Vec<Vec<u8>> = (0..n)
        .map(|i| std::fs::read(dir.join(format!("list{i}"))).unwrap())
        .collect();
    let partial = cpu::CpuBackend::new(&key)
        .aggregate(&plan, &mut lists.into_iter())
        .unwrap();
    std::fs::write(dir.join("aggregate"), partial.to_bytes().unwrap()).unwrap();
}

/// Sums before the cast (`expand`): a plan whose only reader of `score` is
/// its plain sum adds the raw LWEs of up to five records per block before
/// one cast. Twelve records across two batches (groups of 5, 5 and 2, the
/// second group spanning the batch boundary), with five consecutive scores
/// of 255 (every block 3: raw sums of 15, the most that fits) — exact, and
/// the clamped age (read per record) alongside.
#[test]
fn sums_before_the_cast_stay_exact() {
    let s = schema();
    let plan = StatsPlan::new(&s, &[Statistic::Sum], 100).unwrap();
    let read = plan.entries_read();
    // age is clamped to its range: cast per record; score: summed raw.
    assert_eq!(&read[..2], &[Read::Value, Read::Summed]);
    // Anything else reading score makes it a value again.
    let var = StatsPlan::new(&s, &[Statistic::Variance], 100).unwrap();
    assert_eq!(var.entries_read()[1], Read::Value);
    let scores = [255u64, 255, 255, 255, 255, 0, 1, 254, 128, 77, 3, 255];
    let recs: Vec<(Vec<u64>, Vec<u8>)> = scores
        .iter()
        .enumerate()
        .map(|(i, score)| {
            let r = json!({"age": 18 + i, "score": score, "mode": "car", "sex": "m"});
            encrypt(encode(&s, &r).unwrap().entries)
        })
        .collect();
    let plain: Vec<Vec<u64>> = recs.iter().map(|(p, _)| p.clone()).collect();
    let expected = plaintext_aggregates(&plan, &plain);
    assert_eq!(
        expected[1],
        scores.iter().map(|x| u128::from(*x)).sum::<u128>()
    );
    assert_every_backend_gives(&plan, &recs, &expected);
}

/// The noise of sums before the cast, measured (the analysis is in
/// `expand`'s documentation). 500 lists of 256 blocks encrypted under the
/// campaign's public key as clients encrypt them, in 100 groups of 5; the
/// first group's first 64 blocks 3 in every list (raw sums of 15), every
/// other block random. Decrypted with the public-key secret key:
/// - the first group's raw sums' errors are exactly the sums of their
///   lists' errors (so every group's sum error is its lists' sum);
/// - all lists give each coefficient's part fixed by the key (the records
///   share e_pk, and r has mean ½), and their errors about it have the
///   variance the analysis gives for this key (within a factor of 1.3);
/// - the sums' errors have the spread the analysis gives for this key's
///   fixed part (within a factor of 1.3), at most the proof's worst case,
///   and far below a PBS output's, which tfhe's parameters accept five of
///   at the same keyswitch (one PBS output's error is measured here too);
/// - every sum of the first group cast to its two digits decrypts exactly
///   (512 PBS).
///
/// One list's errors are strongly correlated from block to block (its e₁
/// meets the same key s, whose mean is ½, in every coefficient), so one
/// list is about one sample of its common part: hence the many lists.
#[test]
fn sums_before_the_cast_keep_the_noise_budget() {
    use rand::Rng;
    use tfhe::core_crypto::prelude::*;
    use tfhe::integer::ciphertext::CompactCiphertextListBuilder;
    let k = keys();
    let (compute_ck, compact_sk, ..) = k.client_key.clone().into_raw_parts();
    let pke_sk = compact_sk
        .expect("a dedicated public-key secret key")
        .0
        .into_raw_parts()
        .into_raw_parts()
        .0;
    let (pk, _) = k.public_key.clone().into_raw_parts();
    let backend = cpu::CpuBackend::new(&k.server_key);
    let (caster, sk) = backend.caster_and_key();
    let (blocks, lists, edge, groups) = (256usize, 5usize, 64usize, 100usize);
    // Δ: 2⁶⁴ over 32 (padding bit, carry, message).
    let delta = 1u64 << 59;
    let error = |lwe: &[u64], v: u64| {
        let lwe = LweCiphertext::from_container(lwe, CiphertextModulus::new_native());
        decrypt_lwe_ciphertext(&pke_sk, &lwe)
            .0
            .wrapping_sub(v * delta) as i64
    };
    // Each list: its blocks' values, raw LWEs (the first group's) and errors.
    type Encrypted = (Vec<u64>, Vec<Vec<u64>>, Vec<i64>);
    let encrypted: Vec<Encrypted> = (0..groups * lists)
        .into_par_iter()
        .map(|l| {
            let mut rng = rand::thread_rng();
            let mine: Vec<u64> = (0..blocks)
                .map(|b| {
                    if l < lists && b < edge {
                        3
                    } else {
                        rng.gen_range(0..4)
                    }
                })
                .collect();
            let mut builder = CompactCiphertextListBuilder::new(&pk);
            for v in &mine {
                builder.push_with_num_blocks(*v, 1);
            }
            let (list, _) = builder.build().into_raw_parts();
            let (compact, ..) = list.into_raw_parts();
            let lwes = expand::raw_lwes(&compact);
            let errors = lwes.iter().zip(&mine).map(|(c, v)| error(c, *v)).collect();
            (mine, if l < lists { lwes } else { Vec::new() }, errors)
        })
        .collect();
    // The first group, summed raw.
    let mut values = vec![0u64; blocks];
    let mut sums: Vec<Vec<u64>> = Vec::new();
    for (mine, lwes, _) in &encrypted[..lists] {
        for (b, lwe) in lwes.iter().enumerate() {
            values[b] += mine[b];
            match sums.get_mut(b) {
                Some(sum) => expand::add_raw(sum, lwe),
                None => sums.push(lwe.clone()),
            }
        }
    }
    assert_eq!(values[0], 15);
    for (b, (sum, v)) in sums.iter().zip(&values).enumerate() {
        let expected = encrypted[..lists]
            .iter()
            .fold(0i64, |acc, (_, _, e)| acc.wrapping_add(e[b]));
        assert_eq!(
            error(sum, *v),
            expected,
            "a raw sum's error is its lists' sum"
        );
    }
    let sum_errors: Vec<f64> = encrypted
        .chunks(lists)
        .flat_map(|group| (0..blocks).map(move |b| group.iter().map(|(_, _, e)| e[b] as f64).sum()))
        .collect();
    // This key's fixed part of each coefficient's error, and the lists'
    // errors about it.
    let (d, sigma2) = expand::public_key_noise();
    let n = encrypted.len() as f64;
    let fixed: Vec<f64> = (0..blocks)
        .map(|b| encrypted.iter().map(|(_, _, e)| e[b] as f64).sum::<f64>() / n)
        .collect();
    let centred = encrypted
        .iter()
        .flat_map(|(_, _, e)| e.iter().zip(&fixed).map(|(x, m)| (*x as f64 - m).powi(2)))
        .sum::<f64>()
        / (blocks as f64 * (n - 1.0));
    let weight = pke_sk.as_ref().iter().filter(|x| **x == 1).count() as f64;
    let per_record = sigma2 * (d / 4.0 + weight + 1.0);
    assert!(
        centred < 1.3 * per_record && centred > per_record / 1.3,
        "a record's error about the key's part: variance {centred:e}, analysis {per_record:e}"
    );
    // The sums: five times the fixed part (its estimate's own variance,
    // per_record / n, taken out), plus five records' variance about it.
    let l = lists as f64;
    let fixed_square = fixed.iter().map(|m| m * m).sum::<f64>() / blocks as f64;
    let expected = (fixed_square - per_record / n).max(0.0) * l * l + l * per_record;
    let spread = |e: &[f64]| (e.iter().map(|x| x * x).sum::<f64>() / e.len() as f64).sqrt();
    let measured = spread(&sum_errors);
    let predicted = expected.sqrt();
    assert!(
        measured < 1.3 * predicted && measured > predicted / 1.3,
        "raw sum error spread {measured:e}, analysis for this key {predicted:e}"
    );
    // A modified client's worst case: r binary (proven exactly), (e₁, e₂)
    // of ℓ₂ norm at most the CRS's bound (proven with slack), e_pk the
    // keyholder's (≤ 2¹⁷ each); honest sums lie within it.
    let crs = k.public_material().unwrap().crs().unwrap();
    let tfhe::zk::CompactPkeCrs::PkeV2(params) = &crs else {
        panic!("a v2 CRS");
    };
    let bound = (params.B_bound_squared as f64).sqrt();
    let adversarial = l * (d * 2f64.powi(17) + (d.sqrt() + 1.0) * bound);
    assert!(
        adversarial < (delta / 2) as f64 / 2f64.powi(20),
        "worst-case error of a sum {adversarial:e}"
    );
    let worst = sum_errors.iter().fold(0f64, |m, x| m.max(x.abs()));
    assert!(worst <= adversarial, "largest raw error {worst:e}");
    // One PBS output's error (a message extract of fresh blocks), under the
    // compute key the keyswitch starts from.
    let shortint_ck: &tfhe::shortint::ClientKey = compute_ck.as_ref();
    let big = shortint_ck.encryption_key();
    let pbs_errors: Vec<f64> = (0..32u64)
        .map(|i| {
            let ct = sk.message_extract(&shortint_ck.encrypt(i % 4));
            let plain = decrypt_lwe_ciphertext(&big, &ct.ct).0;
            plain.wrapping_sub((i % 4) * delta) as i64 as f64
        })
        .collect();
    let pbs = spread(&pbs_errors);
    assert!(
        measured * 1e4 < pbs,
        "raw sum error spread {measured:e} against a PBS output's {pbs:e}"
    );
    eprintln!(
        "raw sums of {lists} ({groups} groups): error spread 2^{:.1} (analysis for this key \
         2^{:.1}, over keys 2^{:.1}; the key's fixed part 2^{:.1} per record), largest 2^{:.1}; \
         a record about the key's part 2^{:.1} (analysis 2^{:.1}); PBS output 2^{:.1}; proven \
         bound 2^{:.1}, worst case of the sum 2^{:.1}",
        measured.log2(),
        predicted.log2(),
        expand::raw_sum_noise_std(lists as u64).log2(),
        fixed_square.sqrt().log2(),
        worst.log2(),
        centred.sqrt().log2(),
        per_record.sqrt().log2(),
        pbs.log2(),
        bound.log2(),
        adversarial.log2()
    );
    // Every cast exact.
    let cast: Vec<(u64, (Ciphertext, Option<Ciphertext>))> = sums
        .into_par_iter()
        .zip(values)
        .map(|(sum, v)| (v, caster.cast_sum(sk, sum, lists as u64)))
        .collect();
    for (v, (m, c)) in cast {
        assert_eq!(shortint_ck.decrypt_message_and_carry(&m), v % 4);
        let c = c.expect("five records can carry");
        assert_eq!(shortint_ck.decrypt_message_and_carry(&c), v / 4);
        assert!(c.degree.get() >= v / 4);
    }
}

/// Campaigns registered before CRSs proved every block below 4 keep their
/// stock CRS, and their contributors' packed lists (two blocks per LWE):
/// the engine reads them per record — a plain sum's field too — with the
/// message and carry extractions, flags of either half, and pair blocks
/// of two categories in one LWE, exactly.
#[test]
fn packed_lists_of_older_campaigns_stay_exact() {
    let stock = tfhe::zk::CompactPkeCrs::from_config(
        crate::keys::config(),
        protocol::record::total_bits(&schema()),
    )
    .unwrap();
    assert!(!crate::keys::proves_blocks(&stock));
    let s = schema();
    let mut recs: Vec<(Vec<u64>, Vec<u8>)> = [
        json!({"age": 18, "score": 255, "mode": "car", "sex": "f"}),
        json!({"age": 100, "score": 0, "mode": "train", "sex": "x"}),
        json!({"age": 47, "score": 201, "mode": "bike", "sex": "f"}),
    ]
    .iter()
    .map(|r| encrypt_under(encode(&s, r).unwrap().entries, &stock))
    .collect();
    let mut odd = encode(
        &s,
        &json!({"age": 30, "score": 77, "mode": "bike", "sex": "m"}),
    )
    .unwrap();
    for e in &mut odd.entries[2..8] {
        e.value = 3;
    }
    recs.push(encrypt_under(odd.entries, &stock));
    let plain: Vec<Vec<u64>> = recs.iter().map(|(p, _)| p.clone()).collect();
    let plan = StatsPlan::new(
        &s,
        &[
            Statistic::Sum,
            Statistic::Histogram,
            Statistic::Crosstab,
            Statistic::GroupSum,
        ],
        100,
    )
    .unwrap();
    assert_eq!(plan.entries_read()[1], Read::Value, "group sums read score");
    let sums = StatsPlan::new(&s, &[Statistic::Sum, Statistic::Histogram], 100).unwrap();
    assert_eq!(sums.entries_read()[1], Read::Summed);
    for plan in [plan, sums] {
        assert_every_backend_gives(&plan, &recs, &plaintext_aggregates(&plan, &plain));
    }
}
