//! `bench-release [parties] [max_records]`: what a threshold release costs
//! the keyholders on top of verifying the job, for the benchmark schema's
//! combined job (8 × u16 sums and sums of squares, an 8-category
//! histogram) planned for `max_records` contributions (default 1,000).
//! Round 1 per keyholder: draw and encrypt + prove its noise. Round 2 per
//! keyholder: verify the other keyholders' noise lists, add every noise to
//! the aggregates and propagate carries, squash, partially decrypt. Then
//! the combination. Then what checking the job's attestations costs each
//! keyholder (one Groth16 verification per record, every core). See the
//! README's Benchmarks section.

use std::time::Instant;

use fhe_compute::keys::{to_bytes, PUBLIC_KEY_LIMIT};
use fhe_compute::stats::cpu::CpuBackend;
use fhe_compute::stats::{bench, StatsBackend, StatsPlan};
use fhe_compute::threshold::{
    combine, deal, encrypt_noise, noise_metadata, noised_blocks, partial_decrypt, verify_noise,
};
use keyholder::noise;
use protocol::attestation;
use protocol::schema::Statistic;
use rayon::prelude::*;
use sha2::{Digest, Sha256};

fn secs(t: Instant) -> f64 {
    t.elapsed().as_secs_f64()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let parties: u32 = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(2);
    let max_records: u64 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(1_000);
    let epsilon_micro = 1_000_000;

    let t = Instant::now();
    let dealt = deal(parties).expect("deal");
    println!("deal among {parties} keyholders: {:.1} s", secs(t));
    let t = Instant::now();
    let squash_key = dealt.squash_key.decompress();
    println!("noise-squashing key decompressed: {:.1} s", secs(t));
    let backend = CpuBackend::new(&dealt.server_key);
    let pk_bytes = to_bytes(&dealt.public_key, PUBLIC_KEY_LIMIT, "public key").expect("pk");
    let fingerprint: [u8; 32] = Sha256::digest(pk_bytes).into();

    let plan = StatsPlan::new(
        &bench::schema(),
        &[Statistic::Variance, Statistic::Histogram],
        max_records,
    )
    .expect("plan");
    // The aggregates' values do not change the cost: every block of a
    // noised value is a real encryption once the noises are added.
    let aggregate = backend
        .aggregate(&plan, &mut std::iter::empty())
        .expect("empty aggregate");
    let m = u32::try_from(plan.aggregates.len()).expect("values");
    let mut rng = rand::rngs::OsRng;
    let mut blocks = Vec::new();
    let mut draws = Vec::new();
    for spec in &plan.aggregates {
        let scale = noise::laplace_scale(spec.sensitivity, m, epsilon_micro).expect("scale");
        let clamp = noise::tail_bound(scale, u64::MAX);
        blocks.push(noised_blocks(spec.blocks, parties, clamp).expect("blocks"));
        draws.push((scale, i128::try_from(clamp).expect("clamp")));
    }
    let aggregate_blocks: u32 = plan.aggregates.iter().map(|a| a.blocks).sum();
    let total_blocks: u32 = blocks.iter().sum();
    println!(
        "job: {m} values over at most {max_records} records, {aggregate_blocks} aggregate blocks, \
         {total_blocks} noised blocks"
    );

    // Round 1, every keyholder.
    let mut lists = Vec::new();
    for i in 0..parties {
        let t = Instant::now();
        let values: Vec<(i128, u32)> = draws
            .iter()
            .zip(&blocks)
            .map(|((scale, clamp), b)| {
                (
                    noise::discrete_laplace(&mut rng, *scale).clamp(-clamp, *clamp),
                    *b,
                )
            })
            .collect();
        let list = encrypt_noise(
            &values,
            &dealt.public_key,
            &dealt.noise_crs,
            &noise_metadata(1, 1, i, &fingerprint),
        )
        .expect("noise");
        println!(
            "round 1, keyholder {i}: noise drawn, encrypted and proven ({} bytes): {:.2} s",
            list.len(),
            secs(t)
        );
        lists.push(list);
    }

    // Round 2, every keyholder (each computes the same squashed values).
    let mut partials = Vec::new();
    for (i, share) in dealt.shares.iter().enumerate() {
        let t = Instant::now();
        for (j, list) in lists.iter().enumerate() {
            if j != i {
                verify_noise(
                    list,
                    &blocks,
                    &dealt.public_key,
                    &dealt.noise_crs,
                    &noise_metadata(1, 1, j as u32, &fingerprint),
                )
                .expect("verify");
            }
        }
        let verified = secs(t);
        let t = Instant::now();
        let noised = backend
            .noised(&aggregate.values, &blocks, &lists)
            .expect("noised");
        let added = secs(t);
        let t = Instant::now();
        let squashed = backend.squash(&squash_key, &noised).expect("squash");
        let squashing = secs(t);
        let t = Instant::now();
        let partial = partial_decrypt(share, &squashed, &mut rng).expect("partial");
        let partial_secs = secs(t);
        println!(
            "round 2, keyholder {i}: verify {} other noise lists {verified:.2} s, add + carries \
             {added:.2} s, squash {squashing:.2} s, partial decryption {partial_secs:.3} s; \
             answer {} bytes of JSON",
            lists.len() - 1,
            serde_json::to_vec(&partial).expect("json").len()
        );
        partials.push(partial);
    }
    let t = Instant::now();
    let values = combine(&partials).expect("combine");
    println!(
        "combine ({} values): {:.3} s; sum of the noises in the first value: {}",
        values.len(),
        secs(t),
        values[0]
    );

    // Attestations: one Groth16 verification per record, on every core.
    let (apk, avk) = protocol::attestation::setup(&mut rng).expect("setup");
    let secret = attestation::IdentitySecret::random(&mut rng);
    let tree = attestation::MerkleTree::from_leaves([attestation::registry_leaf(
        attestation::commitment(&secret),
        attestation::Tier::Open,
    )])
    .expect("tree");
    let (proof, public) = attestation::prove(
        &apk,
        &secret,
        &tree.path(0).expect("path"),
        1,
        &[0u8; 32],
        attestation::Fr::from(1u64),
        attestation::Tier::Open,
        &mut rng,
    )
    .expect("prove");
    let proof = proof.to_bytes();
    let inputs = public.to_field_elements();
    let t = Instant::now();
    (0..max_records).into_par_iter().for_each(|_| {
        attestation::verify_raw(&avk, &proof, &inputs).expect("verify");
    });
    println!(
        "attestations: {max_records} Groth16 verifications on {} threads: {:.2} s",
        rayon::current_num_threads(),
        secs(t)
    );
}
