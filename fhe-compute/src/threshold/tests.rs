//! Threshold decryption over a real dealt key set (three keyholders).

use std::sync::OnceLock;

use tfhe::integer::noise_squashing::NoiseSquashingKey;
use tfhe::integer::RadixCiphertext;

use super::*;
use crate::stats::cpu::CpuBackend;

struct World {
    dealt: DealtKeySet,
    backend: CpuBackend,
    squash: NoiseSquashingKey,
    fingerprint: [u8; 32],
}

fn world() -> &'static World {
    static W: OnceLock<World> = OnceLock::new();
    W.get_or_init(|| {
        let dealt = deal(3).unwrap();
        let backend = CpuBackend::new(&dealt.server_key);
        let squash = dealt.squash_key.decompress();
        let pk = to_bytes(&dealt.public_key, crate::keys::PUBLIC_KEY_LIMIT, "pk").unwrap();
        let fingerprint = Sha256::digest(pk).into();
        World {
            dealt,
            backend,
            squash,
            fingerprint,
        }
    })
}

/// Blocks of the two test values once noised.
const BLOCKS: [u32; 2] = [12, 8];

fn encrypt(values: &[i128], index: u32) -> Vec<u8> {
    let w = world();
    let noise: Vec<(i128, u32)> = values.iter().copied().zip(BLOCKS).collect();
    encrypt_noise(
        &noise,
        &w.dealt.public_key,
        &w.dealt.noise_crs,
        &noise_metadata(7, 9, index, &w.fingerprint),
    )
    .unwrap()
}

fn zeros() -> Vec<RadixCiphertext> {
    // The aggregates stand in as encryptions added to trivial zeros.
    BLOCKS
        .iter()
        .map(|b| {
            world()
                .backend
                .integer_key()
                .create_trivial_zero_radix(*b as usize)
        })
        .collect()
}

/// Aggregates `A = (12345, 7)` and three keyholders' noises, added and
/// squashed (twice: the same bytes each time).
fn squashed() -> &'static (Vec<SquashedNoiseRadixCiphertext>, Vec<Vec<u8>>) {
    static S: OnceLock<(Vec<SquashedNoiseRadixCiphertext>, Vec<Vec<u8>>)> = OnceLock::new();
    S.get_or_init(|| {
        let w = world();
        let lists = vec![
            encrypt(&[12345, 7], 0),
            encrypt(&[-100, -20], 0),
            encrypt(&[40, 3], 1),
            encrypt(&[2, 1], 2),
        ];
        let run = || {
            let noised = w.backend.noised(&zeros(), &BLOCKS, &lists).unwrap();
            w.backend.squash(&w.squash, &noised).unwrap()
        };
        let (a, b) = (run(), run());
        assert_eq!(squashed_digest(&a), squashed_digest(&b), "not reproducible");
        (a, lists)
    })
}

const TRUTH: [i128; 2] = [12345 - 100 + 40 + 2, 7 - 20 + 3 + 1];

fn partials() -> Vec<PartialDecryption> {
    let s = &squashed().0;
    world()
        .dealt
        .shares
        .iter()
        .map(|share| partial_decrypt(share, s, &mut rand::rngs::OsRng).unwrap())
        .collect()
}

#[test]
fn all_shares_decrypt_the_noised_values_exactly() {
    let parts = partials();
    assert_eq!(combine(&parts).unwrap(), TRUTH.to_vec());
    // In any order.
    let reversed: Vec<_> = parts.iter().rev().cloned().collect();
    assert_eq!(combine(&reversed).unwrap(), TRUTH.to_vec());
}

#[test]
fn fewer_shares_than_keyholders_decrypt_nothing() {
    let parts = partials();
    assert!(matches!(
        combine(&parts[..2]),
        Err(ThresholdError::Mismatch(_))
    ));
    let twice = vec![parts[0].clone(), parts[0].clone(), parts[1].clone()];
    assert!(matches!(combine(&twice), Err(ThresholdError::Mismatch(_))));
    // One keyholder pretending to be the only one: its share alone does
    // not decrypt (a decode failure, or values that are not the truth).
    for p in &parts {
        let mut alone = p.clone();
        alone.parties = 1;
        alone.index = 0;
        assert!(combine(&[alone]).map_or(true, |v| v != TRUTH.to_vec()));
    }
    // Nor do two of the three.
    let mut two: Vec<_> = parts[..2].to_vec();
    for (i, p) in two.iter_mut().enumerate() {
        p.parties = 2;
        p.index = i as u32;
    }
    assert!(combine(&two).map_or(true, |v| v != TRUTH.to_vec()));
}

#[test]
fn answers_for_other_ciphertexts_do_not_combine() {
    let mut parts = partials();
    parts[1].squashed_digest = "0".repeat(64);
    assert!(matches!(combine(&parts), Err(ThresholdError::Mismatch(_))));
    let mut parts = partials();
    parts[2].values[0].bodies[0] ^= 1 << 100;
    assert!(matches!(combine(&parts), Err(ThresholdError::Mismatch(_))));
}

/// The security argument's two numbers, measured: the squashed blocks'
/// own noise is far below 2⁸⁰, and each flooding term is within ±2^F.
#[test]
fn squashed_noise_and_flooding_are_within_the_argument() {
    let (s, _) = squashed();
    let shares = &world().dealt.shares;
    let secret: Vec<u128> = (0..SECRET_LEN)
        .map(|k| {
            shares
                .iter()
                .fold(0u128, |acc, sh| acc.wrapping_add(sh.coeffs[k]))
        })
        .collect();
    let whole = KeyShare {
        index: 0,
        parties: 1,
        coeffs: Zeroizing::new(secret.clone()),
    };
    let mut worst = 0u32;
    for v in s {
        for block in v.packed_blocks() {
            let lwe = block.lwe_ciphertext();
            let phase = lwe
                .get_body()
                .data
                .wrapping_sub(whole.inner_product(lwe.get_mask().as_ref()));
            let rounded = (phase.wrapping_add(1 << (DELTA_LOG - 1)) >> DELTA_LOG) << DELTA_LOG;
            let err = phase.wrapping_sub(rounded) as i128;
            worst = worst.max(128 - err.unsigned_abs().leading_zeros());
        }
    }
    eprintln!("squashed noise up to 2^{worst}");
    assert!(worst < 80, "squashed noise up to 2^{worst}");
    let f = flooding_log(3);
    for (share, p) in shares.iter().zip(partials()) {
        for (v, sv) in s.iter().zip(&p.values) {
            for (block, partial) in v.packed_blocks().iter().zip(&sv.partials) {
                let flood = partial
                    .wrapping_sub(share.inner_product(block.lwe_ciphertext().get_mask().as_ref()))
                    as i128;
                assert!(flood >= -(1i128 << f) && flood < 1i128 << f);
            }
        }
    }
    // The same secret split two ways decrypts the same ciphertexts.
    let two = split(&secret, 2, &mut rand::rngs::OsRng).unwrap();
    let parts: Vec<_> = two
        .iter()
        .map(|sh| partial_decrypt(sh, s, &mut rand::rngs::OsRng).unwrap())
        .collect();
    assert_eq!(combine(&parts).unwrap(), TRUTH.to_vec());
}

#[test]
fn noise_lists_verify_only_for_their_keyholder_and_job() {
    let w = world();
    let (_, lists) = squashed();
    let check = |bytes: &[u8], index: u32, job: u64| {
        verify_noise(
            bytes,
            &BLOCKS,
            &w.dealt.public_key,
            &w.dealt.noise_crs,
            &noise_metadata(7, job, index, &w.fingerprint),
        )
    };
    check(&lists[2], 1, 9).unwrap();
    assert!(check(&lists[2], 2, 9).is_err(), "another keyholder's index");
    assert!(check(&lists[2], 1, 10).is_err(), "another job");
    assert!(
        check(&lists[2][..lists[2].len() - 1], 1, 9).is_err(),
        "truncated"
    );
    let wide = verify_noise(
        &lists[2],
        &[12, 12],
        &w.dealt.public_key,
        &w.dealt.noise_crs,
        &noise_metadata(7, 9, 1, &w.fingerprint),
    );
    assert!(wide.is_err(), "another layout");
    // A value that does not fit its blocks is not encrypted.
    let too_big = encrypt_noise(
        &[(1 << 23, 12)],
        &w.dealt.public_key,
        &w.dealt.noise_crs,
        b"x",
    );
    assert!(matches!(too_big, Err(ThresholdError::Noise(_))));
}

#[test]
fn noised_block_counts_hold_the_sum() {
    // 8 blocks (< 2^16) and two noises within ±1000: 18 bits → 9 → 12 blocks.
    assert_eq!(noised_blocks(8, 2, 1000).unwrap(), 12);
    assert_eq!(noised_blocks(1, 3, 1).unwrap(), 4);
    // Noise wider than the aggregate decides.
    assert_eq!(noised_blocks(2, 2, 1 << 40).unwrap(), 24);
    assert!(noised_blocks(60, 1, 1).is_err());
    assert_eq!(noised_blocks(48, 16, 1 << 100).unwrap(), 56);
    assert!(noised_blocks(1, 2, u128::MAX).is_err());
}

#[test]
fn shares_round_trip_and_bad_bytes_are_refused() {
    let share = &world().dealt.shares[1];
    let back = KeyShare::from_bytes(&share.to_bytes()).unwrap();
    assert_eq!((back.index(), back.parties()), (1, 3));
    assert_eq!(*back.coeffs, *share.coeffs);
    let mut bytes = share.to_bytes().to_vec();
    bytes[11] = 9; // index 9 of 3
    assert!(KeyShare::from_bytes(&bytes).is_err());
    assert!(KeyShare::from_bytes(&bytes[..100]).is_err());
    assert!(matches!(deal(0), Err(ThresholdError::Parties(0))));
    assert!(split(&[1, 2], MAX_PARTIES + 1, &mut rand::rngs::OsRng).is_err());
    assert_eq!(flooding_log(1), 121);
    assert_eq!(flooding_log(2), 120);
    assert_eq!(flooding_log(3), 119);
}

/// Every keyholder's partial, signed as the keyholders sign them.
fn signed_proof(keys: &[protocol::signing::SigningKey]) -> proof::ReleaseProof {
    use proof::{NoiseShare, ReleaseHeader, ReleaseProof, SignedShare};
    let header = ReleaseHeader {
        campaign_id: 7,
        job_id: 9,
        request_digest: "ab".repeat(32),
        records: 12,
        epsilon_micro: 500_000,
        mechanism: Default::default(),
        delta: 0.0,
        rho: 0.0,
    };
    let shares = partials()
        .into_iter()
        .zip(keys)
        .map(|(partial, key)| {
            let mut share = SignedShare {
                partial,
                values: ["sum:a", "sum:b"]
                    .iter()
                    .map(|k| NoiseShare {
                        key: k.to_string(),
                        noise_scale: 2.5,
                        noise_bound_99: 20.0,
                    })
                    .collect(),
                signature: protocol::signing::KeyholderSignature {
                    key: String::new(),
                    signature: String::new(),
                },
            };
            share.signature = protocol::signing::sign(key, &share.message(&header));
            share
        })
        .collect();
    ReleaseProof { header, shares }
}

#[test]
fn a_signed_release_verifies_and_recombines_only_as_signed() {
    use protocol::signing::{SignatureError, SigningKey};
    let keys: Vec<SigningKey> = (1..=3).map(|i| SigningKey::from_bytes(&[i; 32])).collect();
    let pinned: Vec<_> = keys.iter().map(|k| k.verifying_key()).collect();
    let proof = signed_proof(&keys);
    let values = proof.verify(&pinned).unwrap();
    assert_eq!(
        values.iter().map(|v| v.value).collect::<Vec<_>>(),
        TRUTH.to_vec()
    );
    assert_eq!(values[0].key, "sum:a");
    assert_eq!(values[1].noise_bound_99, 60.0);
    // Through JSON (as the results carry it), the same.
    let json = serde_json::to_string(&proof).unwrap();
    let back: proof::ReleaseProof = serde_json::from_str(&json).unwrap();
    assert_eq!(back.verify(&pinned).unwrap(), values);

    // A changed partial, header or noise bound: the signature no longer holds.
    let mut p = proof.clone();
    p.shares[1].partial.values[0].partials[0] ^= 1;
    assert!(matches!(
        p.verify(&pinned),
        Err(proof::ProofError::Signature(SignatureError::Invalid(_)))
    ));
    let mut p = proof.clone();
    p.header.records = 13;
    assert!(p.verify(&pinned).is_err());
    let mut p = proof.clone();
    p.shares[2].values[0].noise_bound_99 = 1.0;
    assert!(p.verify(&pinned).is_err());
    // A share missing, one too many, another key pinned, nothing pinned.
    let mut p = proof.clone();
    p.shares.pop();
    assert!(matches!(
        p.verify(&pinned),
        Err(proof::ProofError::Shares { .. })
    ));
    assert!(matches!(
        proof.verify(&pinned[..2]),
        Err(proof::ProofError::Shares { .. })
    ));
    let other = SigningKey::from_bytes(&[9; 32]).verifying_key();
    assert!(matches!(
        proof.verify(&[pinned[0], pinned[1], other]),
        Err(proof::ProofError::Signature(SignatureError::Missing(_)))
    ));
    assert!(matches!(
        proof.verify(&[]),
        Err(proof::ProofError::Signature(SignatureError::NothingPinned))
    ));
    // One keyholder signing twice (its share duplicated) does not combine.
    let mut p = signed_proof(&[keys[0].clone(), keys[0].clone(), keys[2].clone()]);
    p.shares[1] = p.shares[0].clone();
    assert!(p.verify(&[pinned[0], pinned[0], pinned[2]]).is_err());
}
