//! n-of-n threshold decryption of aggregates, and the keyholders' noise.
//!
//! **Construction.** A one-shot dealer generates the campaign key set
//! ([`deal`]): the compute key, the evaluation key, the compact public key,
//! and a *noise-squashing* key (tfhe's 128-bit bootstrapping key,
//! [`squash_params`]) from the compute key to a 128-bit GLWE secret `s`
//! (4096 binary coefficients). `s` is split additively modulo 2¹²⁸ into `n`
//! shares, each uniformly random except the last; the dealer hands one share
//! to each keyholder and keeps nothing (the compute secret key is dropped
//! unsaved; the process ends).
//!
//! To release values, every keyholder adds its own differential-privacy
//! noise under encryption ([`encrypt_noise`], a fresh zk-pok-proven
//! encryption, so it cannot depend on the aggregate), the noised aggregates
//! are carry-propagated and noise-squashed (`CpuBackend::noised`,
//! `CpuBackend::squash`: deterministic, so every keyholder computes the very
//! same ciphertexts), and each keyholder answers, for every squashed block
//! `(a, b)`, the partial decryption `pᵢ = ⟨a, sᵢ⟩ + fᵢ` with fresh flooding
//! noise `fᵢ` uniform in `[-2^F, 2^F)`, `F = 121 − ⌈log₂ n⌉`
//! ([`partial_decrypt`]). Anyone holding all `n` answers computes
//! `b − Σ pᵢ = Δ·m + e − Σ fᵢ` and rounds ([`combine`]): `Δ = 2¹²³`
//! (2-bit message, 2-bit carry, padding bit), `|Σ fᵢ| ≤ 2¹²¹`, and the
//! squashed ciphertext's own noise `e` is below 2⁸⁰ (measured in the tests;
//! tfhe's parameters target far less), so the total stays below `Δ/2`.
//!
//! **Security.** Fewer than `n` shares are jointly uniform and independent
//! of `s`: any `n − 1` keyholders (or one, with the server and every
//! ciphertext) learn nothing about `s`, hence nothing about a record. A
//! partial decryption reveals `⟨a, sᵢ⟩ + fᵢ`; given the released values and
//! the other shares it is simulatable up to the statistical distance between
//! `fᵢ` and `fᵢ + e`, at most `|e| / 2^(F+1) ≤ 2^(80−122+⌈log₂ n⌉)`, i.e. at
//! least 40 bits of statistical hiding per answer for `n ≤ 4`. Each
//! keyholder answers a given job once (the answer is stored and repeated,
//! never re-drawn), so flooding is never averaged away.

#[cfg(any(feature = "keyholder", test))]
use rand::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tfhe::integer::ciphertext::SquashedNoiseRadixCiphertext;
use tfhe::shortint::parameters::{
    NoiseSquashingParameters, NOISE_SQUASHING_PARAM_MESSAGE_2_CARRY_2_KS_PBS_TUNIFORM_2M128,
};
use tfhe::zk::{CompactPkeCrs, ZkComputeLoad};
use tfhe::{CompactPublicKey, ProvenCompactCiphertextList};
use zeroize::Zeroizing;

pub mod proof;

use crate::contribution::{max_list_bytes, verify_contribution, ContributionError};
use crate::keys::{to_bytes, FheError};

/// Most keyholders a key set can be split among.
pub const MAX_PARTIES: u32 = 16;
/// Coefficients of the noise-squashing LWE secret (GLWE dimension 2 × 2048).
pub const SECRET_LEN: usize = 4096;
/// log₂ Δ of a squashed block: 2¹²⁸ / (2 padding · 4 message · 4 carry).
const DELTA_LOG: u32 = 123;
/// Bits of one chunk of an encrypted noise value (an `FheUint8`).
pub const NOISE_CHUNK_BITS: u32 = 8;
/// Blocks of one noise chunk.
pub(crate) const CHUNK_BLOCKS: u32 = NOISE_CHUNK_BITS / 2;
/// Most blocks a noised aggregate may have (a signed value within `i128`).
pub const MAX_NOISED_BLOCKS: u32 = 60;
/// Capacity of the dealer's noise CRS, in message bits (tfhe splits longer
/// lists into several proofs).
pub const NOISE_CRS_BITS: usize = 256;

/// The noise-squashing parameters (tfhe 1.8, 2-bit message and carry,
/// KS-PBS, TUniform, failure probability 2⁻¹²⁸, 128-bit output modulus).
pub fn squash_params() -> NoiseSquashingParameters {
    NOISE_SQUASHING_PARAM_MESSAGE_2_CARRY_2_KS_PBS_TUNIFORM_2M128
}

/// log₂ of the flooding bound `F` for `parties` keyholders.
pub fn flooding_log(parties: u32) -> u32 {
    121 - parties.max(1).next_power_of_two().trailing_zeros()
}

/// Why a threshold operation failed.
#[derive(Debug, thiserror::Error)]
pub enum ThresholdError {
    /// A key set must be split among 1 to [`MAX_PARTIES`] keyholders.
    #[error("a key set is split among 1 to {MAX_PARTIES} keyholders, not {0}")]
    Parties(u32),
    /// A share's bytes are not a share.
    #[error("not a key share: {0}")]
    Share(String),
    /// The partial decryptions do not fit together.
    #[error("the partial decryptions cannot be combined: {0}")]
    Mismatch(String),
    /// Combined, a block does not decode to a clean value (a wrong share or
    /// a tampered partial decryption).
    #[error(
        "the combined decryption is not a clean value (a share or a partial decryption is wrong)"
    )]
    Decode,
    /// A noise value does not fit.
    #[error("noise: {0}")]
    Noise(String),
    /// tfhe failed.
    #[error(transparent)]
    Fhe(#[from] FheError),
}

/// One keyholder's additive share of the noise-squashing secret.
pub struct KeyShare {
    index: u32,
    parties: u32,
    coeffs: Zeroizing<Vec<u128>>,
}

const SHARE_MAGIC: &[u8; 8] = b"CPSHARE1";

impl KeyShare {
    /// This keyholder's position, `0..parties`.
    pub fn index(&self) -> u32 {
        self.index
    }

    /// How many keyholders hold a share.
    pub fn parties(&self) -> u32 {
        self.parties
    }

    /// Serializes (magic, index, parties, coefficients little-endian); the
    /// caller seals the bytes at rest.
    pub fn to_bytes(&self) -> Zeroizing<Vec<u8>> {
        let mut out = Zeroizing::new(Vec::with_capacity(16 + 16 * SECRET_LEN));
        out.extend_from_slice(SHARE_MAGIC);
        out.extend_from_slice(&self.index.to_be_bytes());
        out.extend_from_slice(&self.parties.to_be_bytes());
        for c in self.coeffs.iter() {
            out.extend_from_slice(&c.to_le_bytes());
        }
        out
    }

    /// Parses [`KeyShare::to_bytes`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, ThresholdError> {
        if bytes.len() != 16 + 16 * SECRET_LEN || &bytes[..8] != SHARE_MAGIC {
            return Err(ThresholdError::Share("wrong length or magic".into()));
        }
        let word = |i: usize| u32::from_be_bytes(bytes[i..i + 4].try_into().expect("4 bytes"));
        let (index, parties) = (word(8), word(12));
        if parties == 0 || parties > MAX_PARTIES || index >= parties {
            return Err(ThresholdError::Share(format!(
                "index {index} of {parties} keyholders"
            )));
        }
        let coeffs = Zeroizing::new(
            bytes[16..]
                .chunks_exact(16)
                .map(|c| u128::from_le_bytes(c.try_into().expect("16 bytes")))
                .collect(),
        );
        Ok(Self {
            index,
            parties,
            coeffs,
        })
    }

    /// `⟨a, sᵢ⟩` modulo 2¹²⁸.
    #[cfg(any(feature = "keyholder", test))]
    fn inner_product(&self, mask: &[u128]) -> u128 {
        mask.iter()
            .zip(self.coeffs.iter())
            .fold(0u128, |acc, (a, s)| acc.wrapping_add(a.wrapping_mul(*s)))
    }
}

/// Splits `secret` into `parties` additive shares modulo 2¹²⁸.
#[cfg(any(feature = "keyholder", test))]
fn split<R: RngCore + CryptoRng>(
    secret: &[u128],
    parties: u32,
    rng: &mut R,
) -> Result<Vec<KeyShare>, ThresholdError> {
    if parties == 0 || parties > MAX_PARTIES {
        return Err(ThresholdError::Parties(parties));
    }
    let mut last = Zeroizing::new(secret.to_vec());
    let mut shares = Vec::with_capacity(parties as usize);
    for index in 0..parties - 1 {
        let coeffs: Zeroizing<Vec<u128>> = Zeroizing::new(
            (0..secret.len())
                .map(|_| {
                    let mut b = [0u8; 16];
                    rng.fill_bytes(&mut b);
                    u128::from_le_bytes(b)
                })
                .collect(),
        );
        for (l, c) in last.iter_mut().zip(coeffs.iter()) {
            *l = l.wrapping_sub(*c);
        }
        shares.push(KeyShare {
            index,
            parties,
            coeffs,
        });
    }
    shares.push(KeyShare {
        index: parties - 1,
        parties,
        coeffs: last,
    });
    Ok(shares)
}

/// What the dealer hands out: public material for everyone, one share per
/// keyholder. The compute secret key is not in it: [`deal`] drops it.
#[cfg(feature = "keyholder")]
pub struct DealtKeySet {
    /// Evaluation key (compressed) for workers and keyholders.
    pub server_key: tfhe::CompressedServerKey,
    /// Contributors and keyholders encrypt under this.
    pub public_key: CompactPublicKey,
    /// Noise-squashing key (compressed; ~270 MB): keyholders only.
    pub squash_key: tfhe::integer::noise_squashing::CompressedNoiseSquashingKey,
    /// CRS of the keyholders' noise proofs ([`NOISE_CRS_BITS`]).
    pub noise_crs: CompactPkeCrs,
    /// One share per keyholder, in index order.
    pub shares: Vec<KeyShare>,
}

/// The one-shot dealer (tens of seconds of CPU): a fresh key set split
/// among `parties` keyholders.
#[cfg(feature = "keyholder")]
pub fn deal(parties: u32) -> Result<DealtKeySet, ThresholdError> {
    use tfhe::integer::noise_squashing::{CompressedNoiseSquashingKey, NoiseSquashingPrivateKey};
    if parties == 0 || parties > MAX_PARTIES {
        return Err(ThresholdError::Parties(parties));
    }
    let config = crate::keys::config();
    let client_key = tfhe::ClientKey::generate(config);
    let server_key = tfhe::CompressedServerKey::new(&client_key);
    let public_key = CompactPublicKey::try_new(&client_key).map_err(FheError::from)?;
    let (compute_key, ..) = client_key.into_raw_parts();
    let squash_secret = NoiseSquashingPrivateKey::new(squash_params());
    let squash_key = CompressedNoiseSquashingKey::new(&compute_key, &squash_secret);
    drop(compute_key);
    let noise_crs = CompactPkeCrs::from_config(config, NOISE_CRS_BITS).map_err(FheError::from)?;
    let (glwe, _) = squash_secret.into_raw_parts().into_raw_parts();
    let secret = Zeroizing::new(glwe.into_container());
    let shares = split(&secret, parties, &mut rand::rngs::OsRng)?;
    Ok(DealtKeySet {
        server_key,
        public_key,
        squash_key,
        noise_crs,
        shares,
    })
}

/// One aggregate's share of a release: the squashed blocks' bodies and this
/// keyholder's partial decryptions of them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SharedValue {
    /// Blocks of the (noised) radix value.
    pub blocks: u32,
    /// `b` of each squashed (packed) block (decimal strings on the wire:
    /// JSON numbers do not survive 128 bits everywhere).
    #[serde(with = "u128_strings")]
    pub bodies: Vec<u128>,
    /// `⟨a, sᵢ⟩ + fᵢ` of each squashed block.
    #[serde(with = "u128_strings")]
    pub partials: Vec<u128>,
}

/// `Vec<u128>` as decimal strings.
mod u128_strings {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &[u128], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(v.iter().map(|x| x.to_string()))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u128>, D::Error> {
        Vec::<String>::deserialize(d)?
            .iter()
            .map(|x| x.parse().map_err(serde::de::Error::custom))
            .collect()
    }
}

/// One keyholder's partial decryption of a release's squashed values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartialDecryption {
    /// The keyholder's share index.
    pub index: u32,
    /// How many keyholders hold shares.
    pub parties: u32,
    /// SHA-256 (hex) of the squashed ciphertexts this decrypts: every
    /// keyholder computed them itself, so they must all agree.
    pub squashed_digest: String,
    /// One per value, in order.
    pub values: Vec<SharedValue>,
}

/// SHA-256 of squashed ciphertexts: every mask and body, little-endian.
pub fn squashed_digest(squashed: &[SquashedNoiseRadixCiphertext]) -> String {
    let mut h = Sha256::new();
    for v in squashed {
        h.update((v.original_block_count() as u64).to_be_bytes());
        for block in v.packed_blocks() {
            let lwe = block.lwe_ciphertext();
            for a in lwe.get_mask().as_ref() {
                h.update(a.to_le_bytes());
            }
            h.update(lwe.get_body().data.to_le_bytes());
        }
    }
    hex::encode(h.finalize())
}

/// This keyholder's partial decryption of `squashed`, with fresh flooding.
#[cfg(feature = "keyholder")]
pub fn partial_decrypt<R: RngCore + CryptoRng>(
    share: &KeyShare,
    squashed: &[SquashedNoiseRadixCiphertext],
    rng: &mut R,
) -> Result<PartialDecryption, ThresholdError> {
    let f = flooding_log(share.parties);
    let mut flood = || {
        let mut b = [0u8; 16];
        rng.fill_bytes(&mut b);
        // Uniform in [0, 2^(F+1)), shifted to [-2^F, 2^F).
        (u128::from_le_bytes(b) >> (127 - f)).wrapping_sub(1u128 << f)
    };
    let mut values = Vec::with_capacity(squashed.len());
    for v in squashed {
        let mut bodies = Vec::with_capacity(v.packed_blocks().len());
        let mut partials = Vec::with_capacity(v.packed_blocks().len());
        for block in v.packed_blocks() {
            let lwe = block.lwe_ciphertext();
            let mask = lwe.get_mask();
            if mask.as_ref().len() != SECRET_LEN {
                return Err(ThresholdError::Mismatch(format!(
                    "a squashed block has dimension {}, the key {SECRET_LEN}",
                    mask.as_ref().len()
                )));
            }
            bodies.push(*lwe.get_body().data);
            partials.push(share.inner_product(mask.as_ref()).wrapping_add(flood()));
        }
        values.push(SharedValue {
            blocks: u32::try_from(v.original_block_count())
                .map_err(|_| ThresholdError::Mismatch("too many blocks".into()))?,
            bodies,
            partials,
        });
    }
    Ok(PartialDecryption {
        index: share.index,
        parties: share.parties,
        squashed_digest: squashed_digest(squashed),
        values,
    })
}

/// Combines every keyholder's partial decryption into the values (signed,
/// two's complement over each value's bits). Refuses unless there is
/// exactly one answer per share index, all for the same squashed
/// ciphertexts, and every block decodes cleanly.
pub fn combine(parts: &[PartialDecryption]) -> Result<Vec<i128>, ThresholdError> {
    let first = parts
        .first()
        .ok_or_else(|| ThresholdError::Mismatch("no partial decryptions".into()))?;
    let n = first.parties;
    if n as usize != parts.len() {
        return Err(ThresholdError::Mismatch(format!(
            "{} answers for {n} keyholders",
            parts.len()
        )));
    }
    let mut seen = vec![false; n as usize];
    for p in parts {
        if p.parties != n || p.index >= n || std::mem::replace(&mut seen[p.index as usize], true) {
            return Err(ThresholdError::Mismatch(
                "the answers are not one per keyholder".into(),
            ));
        }
        if p.squashed_digest != first.squashed_digest || p.values.len() != first.values.len() {
            return Err(ThresholdError::Mismatch(
                "the keyholders decrypted different ciphertexts".into(),
            ));
        }
        for (v, w) in p.values.iter().zip(&first.values) {
            if v.blocks != w.blocks || v.bodies != w.bodies || v.partials.len() != w.bodies.len() {
                return Err(ThresholdError::Mismatch(
                    "the keyholders decrypted different ciphertexts".into(),
                ));
            }
        }
    }
    first
        .values
        .iter()
        .enumerate()
        .map(|(k, v)| {
            if v.blocks == 0 || v.blocks > MAX_NOISED_BLOCKS {
                return Err(ThresholdError::Mismatch(format!("{} blocks", v.blocks)));
            }
            if v.bodies.len() != v.blocks.div_ceil(2) as usize {
                return Err(ThresholdError::Mismatch(
                    "packed blocks do not match the block count".into(),
                ));
            }
            let mut value = 0u128;
            for (j, body) in v.bodies.iter().enumerate() {
                let sum = parts
                    .iter()
                    .fold(*body, |acc, p| acc.wrapping_sub(p.values[k].partials[j]));
                let digit = (sum.wrapping_add(1u128 << (DELTA_LOG - 1)) >> DELTA_LOG) & 31;
                if digit >= 16 {
                    return Err(ThresholdError::Decode);
                }
                value |= digit << (4 * j);
            }
            let bits = 2 * v.blocks;
            if value >> bits != 0 {
                return Err(ThresholdError::Decode);
            }
            // Two's complement over `bits` (at most 120).
            Ok(if value >> (bits - 1) == 1 {
                value as i128 - (1i128 << bits)
            } else {
                value as i128
            })
        })
        .collect()
}

/// Blocks of an aggregate of `aggregate_blocks` blocks once `parties`
/// noises, each within `±clamp`, are added: the sum, positive or negative,
/// fits in two's complement; a multiple of the noise chunk.
pub fn noised_blocks(
    aggregate_blocks: u32,
    parties: u32,
    clamp: u128,
) -> Result<u32, ThresholdError> {
    let noise = clamp
        .checked_mul(u128::from(parties))
        .ok_or_else(|| ThresholdError::Noise("noise bound overflows".into()))?;
    let noise_bits = 128 - noise.leading_zeros();
    // |A| < 2^(2·blocks), |Σ noise| < 2^noise_bits: one bit for the sum, one for the sign.
    let bits = (2 * aggregate_blocks).max(noise_bits) + 2;
    let blocks = bits.div_ceil(2).div_ceil(CHUNK_BLOCKS) * CHUNK_BLOCKS;
    if blocks > MAX_NOISED_BLOCKS {
        return Err(ThresholdError::Noise(format!(
            "a noised aggregate would need {blocks} blocks; at most {MAX_NOISED_BLOCKS}"
        )));
    }
    Ok(blocks)
}

/// The zk-pok metadata of a keyholder's noise: domain tag, campaign, job,
/// share index and the key set's fingerprint.
pub fn noise_metadata(campaign: u64, job: u64, index: u32, key_fingerprint: &[u8; 32]) -> Vec<u8> {
    let mut m = b"cipherpool/noise/v1".to_vec();
    m.extend_from_slice(&campaign.to_be_bytes());
    m.extend_from_slice(&job.to_be_bytes());
    m.extend_from_slice(&index.to_be_bytes());
    m.extend_from_slice(key_fingerprint);
    m
}

fn noise_layout(blocks: &[u32]) -> Result<Vec<u32>, ThresholdError> {
    let mut layout = Vec::new();
    for b in blocks {
        if *b == 0 || b % CHUNK_BLOCKS != 0 || *b > MAX_NOISED_BLOCKS {
            return Err(ThresholdError::Noise(format!("{b} blocks")));
        }
        layout.extend(vec![NOISE_CHUNK_BITS; (b / CHUNK_BLOCKS) as usize]);
    }
    Ok(layout)
}

/// Encrypts noise values (each as two's complement over its value's
/// blocks, in 8-bit chunks, least significant first) as one proven compact
/// list: the proof shows the keyholder knows what it encrypted, so the
/// noise cannot be a function of the aggregate it is added to.
pub fn encrypt_noise(
    noise: &[(i128, u32)],
    public_key: &CompactPublicKey,
    crs: &CompactPkeCrs,
    metadata: &[u8],
) -> Result<Vec<u8>, ThresholdError> {
    let blocks: Vec<u32> = noise.iter().map(|(_, b)| *b).collect();
    let layout = noise_layout(&blocks)?;
    let mut builder = ProvenCompactCiphertextList::builder(public_key);
    for (value, blocks) in noise {
        let bits = 2 * blocks;
        if *value >= 1i128 << (bits - 1) || *value < -(1i128 << (bits - 1)) {
            return Err(ThresholdError::Noise(format!(
                "{value} needs more than {bits} bits"
            )));
        }
        let u = (*value as u128) & ((1u128 << bits) - 1);
        for c in 0..blocks / CHUNK_BLOCKS {
            let chunk = ((u >> (NOISE_CHUNK_BITS * c)) & 0xff) as u8;
            builder
                .push_with_num_bits(chunk, NOISE_CHUNK_BITS as usize)
                .map_err(FheError::from)?;
        }
    }
    let list = builder
        .build_with_proof_packed(crs, metadata, ZkComputeLoad::Proof)
        .map_err(FheError::from)?;
    Ok(to_bytes(
        &list,
        max_list_bytes(layout.len()) as u64,
        "noise list",
    )?)
}

/// Checks a noise list from another keyholder: canonical encoding, one
/// 8-bit chunk per four blocks of each value, the proof against `crs` with
/// `metadata` (that keyholder's index).
pub fn verify_noise(
    bytes: &[u8],
    blocks: &[u32],
    public_key: &CompactPublicKey,
    crs: &CompactPkeCrs,
    metadata: &[u8],
) -> Result<(), ThresholdError> {
    let layout = noise_layout(blocks)?;
    verify_contribution(bytes, &layout, public_key, crs, metadata)
        .map(|_| ())
        .map_err(|e| match e {
            ContributionError::ProofInvalid => {
                ThresholdError::Noise("the noise list's proof does not verify".into())
            }
            other => ThresholdError::Noise(other.to_string()),
        })
}

#[cfg(test)]
mod tests;
