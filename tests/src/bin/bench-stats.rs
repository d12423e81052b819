//! `bench-stats [records]`: the homomorphic statistics benchmark, with the
//! same sums and histogram computed by Prio3 (client shard + two-aggregator
//! preparation + aggregation + unsharding) and in plaintext, on the same
//! records. See the README's Benchmarks section.

use std::time::{Duration, Instant};

use fhe_compute::keys::CampaignKeys;
use fhe_compute::stats::bench::{self, CATEGORIES, NUMERIC_FIELDS};
use fhe_compute::stats::cpu::CpuBackend;
use fhe_compute::stats::{plaintext_aggregates, StatsPlan};
use prio::vdaf::prio3::{optimal_chunk_length, Prio3Histogram, Prio3SumVec};
use prio::vdaf::{Aggregator, Client, Collector, PrepareTransition};
use protocol::schema::Statistic;

const CTX: &[u8] = b"cipherpool bench-stats";

/// Client time, aggregators' time (both, prepare + aggregate + unshard) and the result.
fn run_prio<V>(
    vdaf: &V,
    measurements: &[V::Measurement],
) -> (Duration, Duration, V::AggregateResult)
where
    V: Client<16> + Aggregator<32, 16> + Collector<AggregationParam = ()>,
{
    let verify_key: [u8; 32] = rand::random();
    let (mut client, mut aggregators) = (Duration::ZERO, Duration::ZERO);
    let (mut out0, mut out1) = (Vec::new(), Vec::new());
    for m in measurements {
        let nonce: [u8; 16] = rand::random();
        let t = Instant::now();
        let (public, inputs) = vdaf.shard(CTX, m, &nonce).expect("shard");
        client += t.elapsed();
        let t = Instant::now();
        let (s0, p0) = vdaf
            .prepare_init(&verify_key, CTX, 0, &(), &nonce, &public, &inputs[0])
            .expect("prepare 0");
        let (s1, p1) = vdaf
            .prepare_init(&verify_key, CTX, 1, &(), &nonce, &public, &inputs[1])
            .expect("prepare 1");
        let msg = vdaf
            .prepare_shares_to_prepare_message(CTX, &(), [p0, p1])
            .expect("prepare message");
        for (state, out) in [(s0, &mut out0), (s1, &mut out1)] {
            match vdaf
                .prepare_next(CTX, state, msg.clone())
                .expect("prepare next")
            {
                PrepareTransition::Finish(o) => out.push(o),
                PrepareTransition::Continue(..) => panic!("Prio3 prepares in one round"),
            }
        }
        aggregators += t.elapsed();
    }
    let t = Instant::now();
    let a0 = vdaf.aggregate(&(), out0).expect("aggregate 0");
    let a1 = vdaf.aggregate(&(), out1).expect("aggregate 1");
    let result = vdaf
        .unshard(&(), [a0, a1], measurements.len())
        .expect("unshard");
    aggregators += t.elapsed();
    (client, aggregators, result)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n: usize = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(8);
    let t = Instant::now();
    let keys = CampaignKeys::generate(&bench::schema()).expect("keys");
    eprintln!("keys: {:.1} s", t.elapsed().as_secs_f64());
    let t = Instant::now();
    let (plain, lists) = bench::encrypted_records(&keys, n);
    eprintln!(
        "{n} records encrypted and proven: {:.1} s",
        t.elapsed().as_secs_f64()
    );

    // TFHE, CPU backend.
    let cpu = CpuBackend::new(&keys.server_key);
    let rows = bench::run(&cpu, &keys, &plain, &lists);
    bench::print("cpu", n, &rows);
    let mut ok = rows.iter().all(|r| r.exact);
    match bench::write_json(&[("cpu", n, &rows)]) {
        Ok(path) => eprintln!("figures written to {}", path.display()),
        Err(e) => eprintln!("could not write the figures' JSON: {e}"),
    }

    // What a keyholder adds to verify a release (keyholder/src/verify.rs):
    // each list's digest and zk-pok proof checked (all cores), then the
    // aggregation re-executed on the CPU, which is the CPU row above again.
    let material = keys.public_material().expect("material");
    let (pk, crs) = (
        material.public_key().expect("public key"),
        material.crs().expect("crs"),
    );
    let meta = fhe_compute::keys::proof_metadata(1, 1, &material.key_fingerprint());
    let layout = protocol::record::layout(&bench::schema());
    let t = Instant::now();
    let checked = {
        use rayon::prelude::*;
        lists
            .par_iter()
            .filter(|l| fhe_compute::verify_contribution(l, &layout, &pk, &crs, &meta).is_ok())
            .count()
    };
    let check = t.elapsed();
    ok &= checked == lists.len();
    println!(
        "
keyholder verification of a release: digest + zk-pok check of {n} lists in {:.2} s = {:.0} s per 1,000 records (all cores), plus re-executing the job on the CPU (the cpu rows above)",
        check.as_secs_f64(),
        check.as_secs_f64() * 1000.0 / n as f64
    );

    // The same records' sums and histogram: plaintext and Prio3.
    let plan = StatsPlan::new(
        &bench::schema(),
        &[Statistic::Variance, Statistic::Histogram],
        n.max(1000) as u64,
    )
    .expect("plan");
    let t = Instant::now();
    let expected = plaintext_aggregates(&plan, &plain);
    let plain_time = t.elapsed();
    let sums: Vec<u128> = (0..NUMERIC_FIELDS)
        .map(|f| plain.iter().map(|r| u128::from(r[f])).sum())
        .collect();
    let squares: Vec<u128> = (0..NUMERIC_FIELDS)
        .map(|f| plain.iter().map(|r| u128::from(r[f]).pow(2)).sum())
        .collect();
    let histogram: Vec<u128> = (0..CATEGORIES)
        .map(|c| {
            plain
                .iter()
                .map(|r| u128::from(r[NUMERIC_FIELDS + c]))
                .sum()
        })
        .collect();
    assert_eq!(expected.len(), 2 * NUMERIC_FIELDS + CATEGORIES);

    let sum_vdaf = Prio3SumVec::new_sum_vec(
        2,
        16,
        NUMERIC_FIELDS,
        optimal_chunk_length(16 * NUMERIC_FIELDS),
    )
    .expect("Prio3SumVec");
    let sum_in: Vec<Vec<u128>> = plain
        .iter()
        .map(|r| r[..NUMERIC_FIELDS].iter().map(|v| u128::from(*v)).collect())
        .collect();
    let (sc, sa, sr) = run_prio(&sum_vdaf, &sum_in);
    // Prio3 cannot compute a square: the client would have to send x and x²
    // (32-bit), and nothing checks that the second is the square of the first.
    let sq_vdaf = Prio3SumVec::new_sum_vec(
        2,
        32,
        2 * NUMERIC_FIELDS,
        optimal_chunk_length(32 * 2 * NUMERIC_FIELDS),
    )
    .expect("Prio3SumVec");
    let sq_in: Vec<Vec<u128>> = sum_in
        .iter()
        .map(|r| r.iter().copied().chain(r.iter().map(|v| v * v)).collect())
        .collect();
    let (qc, qa, qr) = run_prio(&sq_vdaf, &sq_in);
    let hist_vdaf = Prio3Histogram::new_histogram(2, CATEGORIES, optimal_chunk_length(CATEGORIES))
        .expect("Prio3Histogram");
    let hist_in: Vec<usize> = plain
        .iter()
        .map(|r| {
            (0..CATEGORIES)
                .position(|c| r[NUMERIC_FIELDS + c] == 1)
                .expect("one-hot")
        })
        .collect();
    let (hc, ha, hr) = run_prio(&hist_vdaf, &hist_in);
    let sq_expected: Vec<u128> = sums.iter().chain(&squares).copied().collect();

    let per_1000 = |d: Duration| d.as_secs_f64() * 1000.0 / n as f64;
    println!("\nPrio3 (prio 0.17, two aggregators in this process, one thread), {n} records");
    println!("| statistic | client shard, per 1,000 records | both aggregators (prepare + aggregate + unshard), per 1,000 records | exact |");
    println!("|---|---|---|---|");
    for (name, c, a, exact) in [
        ("sum (8 × u16), Prio3SumVec", sc, sa, sr == sums),
        (
            "sum + client-supplied squares (16 × u32), Prio3SumVec",
            qc,
            qa,
            qr == sq_expected,
        ),
        (
            "histogram (8 categories), Prio3Histogram",
            hc,
            ha,
            hr == histogram,
        ),
    ] {
        ok &= exact;
        println!(
            "| {name} | {:.3} s | {:.3} s | {} |",
            per_1000(c),
            per_1000(a),
            if exact { "yes" } else { "NO" }
        );
    }
    println!(
        "\nplaintext: sums, sums of squares and histogram of {n} records in {:.1} µs",
        plain_time.as_secs_f64() * 1e6
    );
    if !ok {
        eprintln!("some results differ from the plaintext ones");
        std::process::exit(1);
    }
}
