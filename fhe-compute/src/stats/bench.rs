//! The statistics benchmark (binary `bench-stats` in the tests crate, which
//! adds Prio3 and plaintext side by side; on a GPU machine this code runs
//! through `fhe-compute/gpu-link`).
//!
//! One run, on the same encrypted records (8 × u16 numeric fields and one
//! 8-category field, the shape): for each statistic separately (sum;
//! sum of squares; histogram) and for the combined job (count + sum + sum of
//! squares + histogram), the wall time, the time scaled to 1,000 records, the
//! PBS per record-field (tfhe's `pbs-stats` counter) and the CPU utilisation
//! (process CPU time / wall time / cores), and a check that the decrypted
//! aggregates equal the plaintext ones.

use std::time::Instant;

use protocol::record::EncodedRecord;
use protocol::schema::Statistic;
use protocol::CampaignSchema;
use rand::Rng;

use super::{decrypt_partial, plaintext_aggregates, StatsBackend, StatsPlan};
use crate::contribution::encrypt_record;
use crate::keys::{proof_metadata, CampaignKeys};

/// Numeric fields of the benchmark record.
pub const NUMERIC_FIELDS: usize = 8;
/// Categories of the benchmark's categorical field.
pub const CATEGORIES: usize = 8;

/// The benchmark schema: `f0`..`f7` (u16) and `group` (8 categories).
pub fn schema() -> CampaignSchema {
    schema_with(None)
}

/// The declared range of the clamped case (`f0`..`f7` in 10–1,000): most
/// of the random u16 values lie above it, a few below.
pub const CLAMP_RANGE: (u64, u64) = (10, 1_000);

/// The benchmark schema, its numeric fields declaring `range` if given (the
/// same layout: ranges are not encrypted).
fn schema_with(range: Option<(u64, u64)>) -> CampaignSchema {
    let mut fields: Vec<serde_json::Value> = (0..NUMERIC_FIELDS)
        .map(|i| {
            let mut f = serde_json::json!({"type": "numeric", "name": format!("f{i}"), "bits": 16});
            if let Some((min, max)) = range {
                f["range"] = serde_json::json!({"min": min, "max": max});
            }
            f
        })
        .collect();
    fields.push(serde_json::json!({
        "type": "categorical",
        "name": "group",
        "categories": (0..CATEGORIES).map(|i| format!("c{i}")).collect::<Vec<_>>(),
    }));
    CampaignSchema::from_json(&serde_json::json!({ "fields": fields }).to_string())
        .expect("benchmark schema")
}

/// Random records, encrypted with proofs as contributors would send them.
pub fn encrypted_records(keys: &CampaignKeys, n: usize) -> (Vec<Vec<u64>>, Vec<Vec<u8>>) {
    use rayon::prelude::*;
    let m = keys.public_material().expect("material");
    let (pk, crs) = (m.public_key().expect("pk"), m.crs().expect("crs"));
    let meta = proof_metadata(1, 1, &m.key_fingerprint());
    let layout = protocol::record::layout(&schema());
    let plain: Vec<Vec<u64>> = (0..n)
        .map(|_| {
            let mut rng = rand::thread_rng();
            let group = rng.gen_range(0..CATEGORIES);
            layout
                .iter()
                .enumerate()
                .map(|(i, bits)| {
                    if *bits == 16 {
                        rng.gen_range(0..=u64::from(u16::MAX))
                    } else {
                        u64::from(i - NUMERIC_FIELDS == group)
                    }
                })
                .collect()
        })
        .collect();
    let lists = plain
        .par_iter()
        .map(|values| {
            let rec = EncodedRecord {
                entries: values
                    .iter()
                    .zip(&layout)
                    .map(|(v, b)| protocol::record::Entry {
                        value: *v,
                        bits: *b,
                    })
                    .collect(),
            };
            encrypt_record(&rec, &pk, &crs, &meta).expect("encrypt")
        })
        .collect();
    (plain, lists)
}

fn cpu_seconds() -> f64 {
    // utime + stime of this process, from /proc (Linux).
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit(')').next().unwrap_or("");
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|s| s.parse::<f64>().ok()).unwrap_or(0.0);
    // Fields 14 and 15 (1-based) are utime, stime; `after` starts at field 3.
    (ticks(11) + ticks(12)) / 100.0
}

/// One measured statistic.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Row {
    /// What was computed.
    pub name: String,
    /// Record-fields the statistic reads (records × fields involved).
    pub record_fields: u64,
    /// Wall time.
    pub seconds: f64,
    /// Wall time per 1,000 records that more records add, without the
    /// costs paid once per shard: (wall time of all records − wall time of
    /// the first half alone, each less its finishing where the backend
    /// counts it) / the second half's records × 1,000.
    pub seconds_marginal_per_1000: f64,
    /// PBS and seconds of finishing the shard once (all records), where the
    /// backend counts them.
    pub finishing: Option<(u64, f64)>,
    /// PBS executed (CPU backend; the GPU backend does not count).
    pub pbs: u64,
    /// PBS per record-field that more records add, without the costs paid
    /// once per shard (each aggregate's final carry propagation, a square's
    /// or product's corrections): (PBS of all records − PBS of the first
    /// half alone, each less its finishing where the backend counts it) /
    /// the second half's record-fields. What a large shard costs per
    /// record-field.
    pub pbs_marginal: f64,
    /// Process CPU time / wall time / cores.
    pub utilisation: f64,
    /// Decrypted aggregates equal the plaintext ones.
    pub exact: bool,
}

/// Runs every statistic over `lists` on `backend`.
pub fn run(
    backend: &dyn StatsBackend,
    keys: &CampaignKeys,
    plain: &[Vec<u64>],
    lists: &[Vec<u8>],
) -> Vec<Row> {
    let n = lists.len() as u64;
    let cores = std::thread::available_parallelism().map_or(1, |c| c.get()) as f64;
    let (s, ranged) = (schema(), schema_with(Some(CLAMP_RANGE)));
    let cases: [(&str, &CampaignSchema, Vec<Statistic>, u64); 5] = [
        (
            "sum (8 × u16)",
            &s,
            vec![Statistic::Sum],
            NUMERIC_FIELDS as u64,
        ),
        (
            "sum (8 × u16, clamped to a declared 10–1,000)",
            &ranged,
            vec![Statistic::Sum],
            NUMERIC_FIELDS as u64,
        ),
        (
            "sum + sum of squares (8 × u16)",
            &s,
            vec![Statistic::Variance],
            NUMERIC_FIELDS as u64,
        ),
        (
            "histogram (8 categories)",
            &s,
            vec![Statistic::Histogram],
            1,
        ),
        (
            "count + sum + sum of squares + histogram",
            &s,
            vec![Statistic::Count, Statistic::Variance, Statistic::Histogram],
            NUMERIC_FIELDS as u64 + 1,
        ),
    ];
    let mut rows = Vec::new();
    for (name, schema, stats, fields) in cases {
        let plan = StatsPlan::new(schema, &stats, n.max(1000)).expect("plan");
        reset_pbs();
        let cpu0 = cpu_seconds();
        let finishing0 = backend.finishing();
        let t = Instant::now();
        let partial = backend
            .aggregate(&plan, &mut lists.iter().cloned())
            .expect("aggregate");
        let seconds = t.elapsed().as_secs_f64();
        let cpu = cpu_seconds() - cpu0;
        let pbs = pbs_count();
        let finishing1 = backend.finishing();
        reset_pbs();
        let half = lists.len() / 2;
        let t_half = Instant::now();
        backend
            .aggregate(&plan, &mut lists[..half].iter().cloned())
            .expect("aggregate half the records");
        let seconds_half = t_half.elapsed().as_secs_f64();
        let pbs_half = pbs_count();
        let (finishing, finishing_half) = (
            spent(finishing0, finishing1),
            spent(finishing1, backend.finishing()),
        );
        let (f, f_half) = (
            finishing.unwrap_or_default(),
            finishing_half.unwrap_or_default(),
        );
        let (pbs_marginal, seconds_marginal_per_1000) = if n > 1 {
            let rest = n - half as u64;
            let more = |all: f64, part: f64| (all - part).max(0.0);
            (
                more(
                    pbs.saturating_sub(f.0) as f64,
                    pbs_half.saturating_sub(f_half.0) as f64,
                ) / (rest * fields) as f64,
                more(seconds - f.1, seconds_half - f_half.1) * 1000.0 / rest as f64,
            )
        } else {
            (f64::NAN, f64::NAN)
        };
        let got = decrypt_partial(&keys.client_key, &plan, &partial).expect("decrypt");
        let exact = got == plaintext_aggregates(&plan, plain);
        rows.push(Row {
            name: name.to_string(),
            record_fields: n * fields,
            seconds,
            seconds_marginal_per_1000,
            finishing,
            pbs,
            pbs_marginal,
            utilisation: cpu / seconds / cores,
            exact,
        });
    }
    rows
}

/// Finishing's PBS and seconds between two readings, where counted.
fn spent(
    before: Option<(u64, std::time::Duration)>,
    after: Option<(u64, std::time::Duration)>,
) -> Option<(u64, f64)> {
    let ((p0, t0), (p1, t1)) = (before?, after?);
    Some((p1.saturating_sub(p0), t1.saturating_sub(t0).as_secs_f64()))
}

fn reset_pbs() {
    tfhe::shortint::server_key::reset_pbs_count();
}

fn pbs_count() -> u64 {
    tfhe::shortint::server_key::get_pbs_count()
}

/// Prints rows as a Markdown table.
pub fn print(backend: &str, n: usize, rows: &[Row]) {
    let cores = std::thread::available_parallelism().map_or(1, |c| c.get());
    println!("\nbackend {backend}, {n} records, {cores} cores");
    println!(
        "| statistic | wall | per 1,000 records | second half, per 1,000 records | PBS per record-field | second half's PBS per record-field | finishing the shard once | CPU utilisation | exact |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    for r in rows {
        let per_1000 = r.seconds * 1000.0 / n as f64;
        println!(
            "| {} | {:.1} s | {:.0} s | {:.0} s | {:.1} | {:.1} | {} | {:.0}% | {} |",
            r.name,
            r.seconds,
            per_1000,
            r.seconds_marginal_per_1000,
            r.pbs as f64 / r.record_fields as f64,
            r.pbs_marginal,
            r.finishing
                .map_or("not counted".into(), |(p, s)| format!("{p} PBS, {s:.1} s")),
            r.utilisation * 100.0,
            if r.exact { "yes" } else { "NO" }
        );
    }
}

/// Writes the figures to `<target>/bench/stats.json` (`CARGO_TARGET_DIR`,
/// else `target`), so runs can be compared: per statistic the wall time, the
/// time per 1,000 records, the PBS per record-field and exactness.
/// `runs`: each backend's name, records and rows.
pub fn write_json(runs: &[(&str, usize, &[Row])]) -> std::io::Result<std::path::PathBuf> {
    let cores = std::thread::available_parallelism().map_or(1, |c| c.get());
    let figures: Vec<serde_json::Value> = runs
        .iter()
        .map(|(backend, n, rows)| {
            serde_json::json!({
                "backend": backend,
                "records": n,
                "cores": cores,
                "statistics": json_rows(*n, rows),
            })
        })
        .collect();
    let dir = std::path::PathBuf::from(
        std::env::var_os("CARGO_TARGET_DIR").unwrap_or_else(|| "target".into()),
    )
    .join("bench");
    std::fs::create_dir_all(&dir)?;
    let path = dir.join("stats.json");
    let doc = serde_json::json!({
        "benchmark": "bench-stats",
        "unix_time": std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()),
        "runs": figures,
    });
    std::fs::write(
        &path,
        serde_json::to_vec_pretty(&doc).map_err(std::io::Error::other)?,
    )?;
    Ok(path)
}

fn json_rows(n: usize, rows: &[Row]) -> Vec<serde_json::Value> {
    rows.iter()
        .map(|r| {
            serde_json::json!({
                "statistic": r.name,
                "wall_seconds": r.seconds,
                "seconds_per_1000_records": r.seconds * 1000.0 / n as f64,
                "seconds_per_1000_records_marginal": r.seconds_marginal_per_1000,
                "pbs": r.pbs,
                "record_fields": r.record_fields,
                "pbs_per_record_field": r.pbs as f64 / r.record_fields as f64,
                "pbs_per_record_field_marginal": r.pbs_marginal,
                "finishing_pbs": r.finishing.map(|(p, _)| p),
                "finishing_seconds": r.finishing.map(|(_, s)| s),
                "cpu_utilisation": r.utilisation,
                "exact": r.exact,
            })
        })
        .collect()
}

/// The benchmark's entry point: `bench-stats [records]` (default 16).
pub fn main_with_args(args: &[String]) -> i32 {
    let n: usize = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(16);
    let t = Instant::now();
    let keys = CampaignKeys::generate(&schema()).expect("keys");
    eprintln!("keys: {:.1} s", t.elapsed().as_secs_f64());
    let t = Instant::now();
    let (plain, lists) = encrypted_records(&keys, n);
    eprintln!(
        "{n} records encrypted and proven: {:.1} s",
        t.elapsed().as_secs_f64()
    );
    #[allow(unused_mut)]
    let mut backends: Vec<Box<dyn StatsBackend>> = Vec::new();
    #[cfg(feature = "gpu")]
    {
        let t = Instant::now();
        backends.push(Box::new(super::gpu::GpuBackend::new(&keys.server_key)));
        eprintln!("gpu key: {:.1} s", t.elapsed().as_secs_f64());
    }
    if std::env::var_os("BENCH_SKIP_CPU").is_none() {
        backends.push(Box::new(super::cpu::CpuBackend::new(&keys.server_key)));
    }
    // The CPU backend may run on a prefix only (BENCH_CPU_RECORDS), to keep
    // a GPU machine's run short; figures are per record either way.
    let cpu_n = std::env::var("BENCH_CPU_RECORDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(n)
        .min(n);
    let mut ok = true;
    let mut figures = Vec::new();
    for b in &backends {
        let m = if b.name() == "cpu" { cpu_n } else { n };
        let rows = run(b.as_ref(), &keys, &plain[..m], &lists[..m]);
        ok &= rows.iter().all(|r| r.exact);
        print(b.name(), m, &rows);
        figures.push((b.name(), m, rows));
    }
    let runs: Vec<(&str, usize, &[Row])> = figures
        .iter()
        .map(|(b, m, r)| (*b, *m, r.as_slice()))
        .collect();
    match write_json(&runs) {
        Ok(path) => eprintln!("figures written to {}", path.display()),
        Err(e) => eprintln!("could not write the figures' JSON: {e}"),
    }
    if ok {
        0
    } else {
        eprintln!("some aggregates differ from the plaintext ones");
        1
    }
}
