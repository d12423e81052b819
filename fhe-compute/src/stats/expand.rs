//! Expansion of only what a job reads (CPU).
//!
//! A contribution is a proven compact list encrypted under the campaign's
//! public-key parameters. Under a campaign CRS (`crate::keys::campaign_crs`)
//! each LWE holds one 2-bit block, proven below 4 (an *unpacked* list);
//! lists of older campaigns pack two blocks into each LWE (`low + 4·high`,
//! proven below 16). tfhe's stock expansion casts every LWE to the compute
//! parameters (one keyswitch) and then runs one PBS per block: a record of
//! 8 × u16 and an 8-category field costs 72 PBS whatever the job reads.
//! Here the cast runs only on the LWEs that hold a block the job reads,
//! with only the functions for those blocks:
//!
//! - a block of a numeric entry the job reads: its message (one PBS; in a
//!   packed LWE the message or carry extraction of the stock expansion);
//! - a category entry the job counts, or multiplies (a crosstab's cell, a
//!   group sum's mask): whether it is not 0 (a 0/1 block, degree 1), in the
//!   same PBS;
//! - two category entries the job only counts, neighbours in the list (in
//!   one packed LWE, or two unpacked ones added as `low + 4·high` before
//!   the cast, ≤ 15): one PBS for both, `[low ≠ 0] + 4·[high ≠ 0]` (a
//!   *pair* block, degree 5). Three records' pair blocks add up without
//!   overflow (≤ 15: each lane ≤ 3) before two PBS split them into the two
//!   counts, so a histogram costs one PBS per two categories at expansion;
//! - a numeric entry only plain sums read ([`Read::Summed`]), from an
//!   unpacked list: not cast at all. Its raw LWEs are returned, and the
//!   backend adds those of up to [`RAW_SUM_MAX`] = 5 records, block by
//!   block, before casting the sum once to its two base-4 digits
//!   ([`Caster::cast_sum`]): 2 PBS per block per five records instead of
//!   5, and the digits enter the columns already split.
//!
//! # Noise of sums before the cast
//!
//! *Plaintext.* Each LWE of an unpacked list is proven below 4 (the CRS
//! proves its padding bit and both carry bits 0; the proof decomposes the
//! message into its 2 bits exactly, no slack). Five such values sum to at
//! most 15: the padding bit stays 0, so the PBS reads the sum exactly as it
//! reads one packed LWE (which holds up to 15 too). Lists are checked to
//! be unpacked under such a CRS when they are accepted
//! (`crate::contribution::verify_contribution`); this module sums only
//! unpacked lists.
//!
//! *Error.* With Δ = 2⁶⁴/32 (padding bit, 2 carry bits, 2 message bits),
//! the PBS after the cast decodes correctly while the error at its input
//! stays below Δ/2 = 2⁵⁸. That error is the LWE's own error, plus what the
//! casting keyswitch and the modulus switch add. The casting keyswitch of
//! these parameters (`PARAM_KEYSWITCH_TO_SMALL_MESSAGE_2_CARRY_2_KS_PBS_TUNIFORM_2M128`)
//! is the compute parameters' own keyswitch in every respect that adds
//! error: the same input dimension (2,048, a uniform binary key), the same
//! decomposition (base 2⁴, 4 levels), the same destination key (918,
//! TUniform 2⁴⁵ key-switching noise); the modulus switch and the PBS are
//! the same. tfhe certifies those at a failure probability of 2^−129.58
//! for an input that is the sum of up to 5 PBS outputs (the parameters'
//! maximum noise level). So a cast fails no more often than tfhe's own
//! computation as long as the LWE's error is no larger than five PBS
//! outputs' — which is where the sum's error stands:
//!
//! - an honest encryption under the compact public key has error
//!   e_pk⋆r − ⟨e₁, s⟩ + e₂ (r the encryption's and s the key's uniform
//!   binary vectors of dimension d = 2,048, e_pk the public key's noise,
//!   e₁ and e₂ the encryption's; all noises TUniform(17) of variance
//!   σ² = (2³⁵+1)/6 ≈ 2^32.4). The sum of L records' errors is
//!   e_pk⋆R − ⟨E₁, s⟩ + E₂ with R = Σ r ∈ {0..L}ᵈ: the records share the
//!   key's e_pk and s, and R has mean L/2, so e_pk⋆R carries a part fixed
//!   by the key, (L/2)·(e_pk⋆1)ⱼ for the LWE of coefficient j, that grows
//!   with L rather than √L (and is nearly the same for neighbouring
//!   coefficients). Over the draw of the key and the encryptions the
//!   variance is σ²·(d·L(L+1)/4 + L·d/2 + L): for one record (d + 1)·σ²
//!   ≈ 2^43.4 (standard deviation ≈ 2^21.7), for five (10d + 5)·σ²
//!   ≈ 2^46.7 (≈ 2^23.4), [`raw_sum_noise_std`]; for a given key, each
//!   record's error about its key-fixed part has variance
//!   σ²·(‖e_pk‖²/(4σ²) + |s| + 1) ≈ σ²·(d/4 + |s| + 1), |s| the key's
//!   weight (≈ d/2), and one record's errors are strongly correlated from
//!   coefficient to coefficient (its e₁ meets the same s, of mean ½, in
//!   each), so its LWEs are about one sample of that part;
//! - a PBS output of these parameters has a standard deviation of about
//!   2^49 (measured in the test below: 2^49.1), so the sum of five records
//!   carries ~2^−51 of the variance that tfhe's bound assumes at the same
//!   point, and even a key whose fixed part lies ten standard deviations
//!   out only ~2^−45;
//! - a modified client cannot do much worse: the proof binds r to binary
//!   values and (e₁, e₂) to an ℓ₂ norm of at most the CRS's bound B (with
//!   slack: 2^28.5 for these parameters), so one list's error is at most
//!   d·2¹⁷ + (√d + 1)·B ≈ 2^34.1 and five lists' ≈ 2^36.4, 2^−21.6 of Δ/2:
//!   a deterministic shift of the decoding threshold by that relative
//!   amount, which leaves the failure probability at 2^−129.58 to four
//!   digits (the test asserts the worst case below 2^−20 of Δ/2).
//!
//! The test `sums_before_the_cast_keep_the_noise_budget`
//! (`stats/tests.rs`) measures, with the public-key secret key, each
//! record's error about the key's fixed part and the sums' errors against
//! this analysis, a PBS output's error against them, and casts 256 sums
//! (64 of them at the edge, 15) exactly.
//!
//! The list's parts are reached through
//! [`crate::contribution::integer_list`]. Every shape the stock path
//! checks is checked here too: entry kinds and widths, packing, casting,
//! moduli and LWE counts.

use rayon::prelude::*;
use tfhe::core_crypto::prelude::{
    par_expand_lwe_compact_ciphertext_list, ContiguousEntityContainer, LweCiphertextList,
    LweCompactCiphertextListOwned,
};
use tfhe::integer::ciphertext::DataKind;
use tfhe::integer::{IntegerCiphertext, RadixCiphertext};
use tfhe::shortint::atomic_pattern::AtomicPattern;
use tfhe::shortint::ciphertext::{Degree, NoiseLevel};
use tfhe::shortint::key_switching_key::KeySwitchingKeyMaterial;
use tfhe::shortint::parameters::compact_public_key_only::CompactCiphertextListExpansionKind;
use tfhe::shortint::{Ciphertext, KeySwitchingKeyView, ServerKey};

use super::{read_list, Read, StatsPlan};
use crate::contribution::integer_list;

/// The casting key from the public-key parameters to the compute ones, and
/// the compute key it lands on.
pub(crate) struct Caster {
    material: KeySwitchingKeyMaterial,
    /// LWE size of the public-key parameters (the cast's input).
    input_lwe_size: tfhe::core_crypto::prelude::LweSize,
}

impl Caster {
    /// The casting key of a decompressed evaluation key (its raw part).
    pub(crate) fn new(material: tfhe::integer::key_switching_key::KeySwitchingKeyMaterial) -> Self {
        let material = material.into_raw_parts();
        let (ksk, ..) = material.clone().into_raw_parts();
        Self {
            input_lwe_size: ksk.input_key_lwe_dimension().to_lwe_size(),
            material,
        }
    }

    /// Expands the entries of one stored list as `reads` says (one per
    /// entry of the plan's layout); entries not read are `None` and cost
    /// nothing.
    pub(crate) fn expand(
        &self,
        sk: &ServerKey,
        plan: &StatsPlan,
        bytes: &[u8],
        reads: &[Read],
    ) -> Result<Expanded, String> {
        let list = read_list(plan, bytes)?;
        let (proven, kinds) = integer_list(&list)?.into_raw_parts();
        // Each entry an unsigned integer of the layout's width.
        let msg = sk.message_modulus.0;
        let bits_per_block = msg.ilog2();
        // Each entry's blocks, and what each block is read as and of which entry.
        let mut entry_blocks = Vec::with_capacity(kinds.len());
        let mut block_of = Vec::new();
        for (i, (kind, bits)) in kinds.iter().zip(&plan.layout).enumerate() {
            let blocks = bits.div_ceil(bits_per_block) as usize;
            match kind {
                DataKind::Unsigned(n) if n.get() == blocks => {}
                _ => return Err(format!("entry {i} is missing or of another width")),
            }
            entry_blocks.push(block_of.len()..block_of.len() + blocks);
            block_of.extend(std::iter::repeat_n((i, reads[i]), blocks));
        }
        let total_blocks = block_of.len();
        // The LWEs of every sub-list, in order: two blocks each in a packed
        // list (`low + 4·high`), one in an unpacked one.
        let mut lwes: Vec<Vec<u64>> = Vec::with_capacity(total_blocks);
        let mut lwe_size = None;
        let mut modulus = None;
        let mut packed = None;
        for (compact, _proof) in proven.into_raw_parts() {
            let (ct_list, degree, m, c, kind) = compact.into_raw_parts();
            if m != sk.message_modulus || c != sk.carry_modulus {
                return Err("the list has other moduli".into());
            }
            let is_packed = match degree.get() {
                d if d == msg * msg - 1 && c.0 >= msg => true,
                d if d == msg - 1 => false,
                _ => return Err("the list is neither packed nor one block per LWE".into()),
            };
            if kind != CompactCiphertextListExpansionKind::RequiresCasting {
                return Err("the list is not under the public-key parameters".into());
            }
            if *lwe_size.get_or_insert(ct_list.lwe_size()) != ct_list.lwe_size()
                || *modulus.get_or_insert(ct_list.ciphertext_modulus())
                    != ct_list.ciphertext_modulus()
                || *packed.get_or_insert(is_packed) != is_packed
            {
                return Err("the list's parts differ in shape".into());
            }
            lwes.extend(raw_lwes(&ct_list));
        }
        let packed = packed.ok_or("an empty list")?;
        let expected = if packed {
            total_blocks.div_ceil(2)
        } else {
            total_blocks
        };
        if lwes.len() != expected {
            return Err(format!(
                "{} ciphertexts for {total_blocks} blocks",
                lwes.len()
            ));
        }
        let modulus = modulus.ok_or("an empty list")?;
        if self.input_lwe_size != lwe_size.ok_or("an empty list")? {
            return Err("the list is not under the campaign's public key".into());
        }
        // What to cast: (LWE, its degree, per output: the function and the
        // block it gives); two flags in one LWE give one pair block.
        let mut units: Vec<Unit> = Vec::new();
        let mut raw = Vec::new();
        let read_of = |b: usize| match block_of[b].1 {
            // A packed LWE cannot be summed before the cast (its two blocks
            // would carry into each other): read as a value.
            Read::Summed if packed => Read::Value,
            r => r,
        };
        if packed {
            for (l, data) in lwes.into_iter().enumerate() {
                let halves: Vec<usize> = (2 * l..(2 * l + 2).min(total_blocks))
                    .filter(|b| read_of(*b) != Read::No)
                    .collect();
                if let [lo, hi] = halves.as_slice() {
                    if read_of(*lo) == Read::Flag && read_of(*hi) == Read::Flag {
                        units.push(Unit::pair(data, msg * msg - 1, *lo, *hi));
                        continue;
                    }
                }
                if halves.is_empty() {
                    continue;
                }
                let outs = halves
                    .iter()
                    .map(|b| {
                        let flag = matches!(read_of(*b), Read::Flag | Read::FlagAlone);
                        let f = match (b % 2, flag) {
                            (0, true) => Fun::LowFlag,
                            (_, true) => Fun::HighFlag,
                            (0, false) => Fun::Low,
                            _ => Fun::High,
                        };
                        (f, Out::Block(*b))
                    })
                    .collect();
                units.push(Unit {
                    data,
                    degree: msg * msg - 1,
                    outs,
                });
            }
        } else {
            // Each LWE one block, proven below 4 (see
            // `crate::keys::campaign_crs`). Two counted flags of
            // neighbouring blocks are combined into one LWE, `low + 4·high`
            // (≤ 15, the packed form), and cast with one PBS as a pair.
            let mut lwes: Vec<Option<Vec<u64>>> = lwes.into_iter().map(Some).collect();
            for b in 0..total_blocks {
                let Some(data) = lwes[b].take() else {
                    continue;
                };
                match read_of(b) {
                    Read::No => {}
                    Read::Summed => {
                        let (entry, _) = block_of[b];
                        raw.push((entry, b - entry_blocks[entry].start, data));
                    }
                    Read::Flag
                        if b % 2 == 0 && b + 1 < total_blocks && read_of(b + 1) == Read::Flag =>
                    {
                        let high = lwes[b + 1].take().expect("not taken yet");
                        let mut data = data;
                        for (x, h) in data.iter_mut().zip(&high) {
                            *x = x.wrapping_add(h.wrapping_mul(msg));
                        }
                        units.push(Unit::pair(data, msg * msg - 1, b, b + 1));
                    }
                    r => {
                        let f = if matches!(r, Read::Flag | Read::FlagAlone) {
                            Fun::LowFlag
                        } else {
                            Fun::Low
                        };
                        units.push(Unit {
                            data,
                            degree: msg - 1,
                            outs: vec![(f, Out::Block(b))],
                        });
                    }
                }
            }
        }
        let half = |x: u64, h: usize| if h == 0 { x % msg } else { (x / msg) % msg };
        let low = move |x: u64| half(x, 0);
        let high = move |x: u64| half(x, 1);
        let low_flag = move |x: u64| u64::from(half(x, 0) != 0);
        let high_flag = move |x: u64| u64::from(half(x, 1) != 0);
        let pair = move |x: u64| low_flag(x) + msg * high_flag(x);
        let view = KeySwitchingKeyView::from_raw_parts(self.material.as_view(), sk, None);
        let atomic = sk.atomic_pattern.kind();
        let cast: Vec<Vec<(Out, Ciphertext)>> = units
            .into_par_iter()
            .map(|unit| {
                let ct = Ciphertext::new(
                    tfhe::core_crypto::prelude::LweCiphertext::from_container(unit.data, modulus),
                    Degree::new(unit.degree),
                    NoiseLevel::UNKNOWN,
                    sk.message_modulus,
                    sk.carry_modulus,
                    atomic,
                );
                let fns: Vec<&(dyn Fn(u64) -> u64 + Sync)> = unit
                    .outs
                    .iter()
                    .map(|(f, _)| -> &(dyn Fn(u64) -> u64 + Sync) {
                        match f {
                            Fun::Low => &low,
                            Fun::High => &high,
                            Fun::LowFlag => &low_flag,
                            Fun::HighFlag => &high_flag,
                            Fun::Pair => &pair,
                        }
                    })
                    .collect();
                let out = view.cast_and_apply_functions(&ct, Some(&fns));
                unit.outs.into_iter().map(|(_, o)| o).zip(out).collect()
            })
            .collect();
        let mut blocks: Vec<Option<Ciphertext>> = vec![None; total_blocks];
        let mut pairs = Vec::new();
        for (out, ct) in cast.into_iter().flatten() {
            match out {
                Out::Block(b) => blocks[b] = Some(ct),
                Out::Pair(lo, hi) => pairs.push((block_of[lo].0, block_of[hi].0, ct)),
            }
        }
        let entries = entry_blocks
            .into_iter()
            .map(|range| {
                // Entries read as a pair or summed before the cast are not
                // here (their blocks were not cast alone).
                let got: Option<Vec<Ciphertext>> =
                    blocks[range].iter_mut().map(Option::take).collect();
                got.map(RadixCiphertext::from_blocks)
            })
            .collect();
        Ok(Expanded {
            entries,
            pairs,
            raw,
        })
    }

    /// Casts the sum of up to [`RAW_SUM_MAX`] records' raw LWEs of one
    /// block (each below 4, so the sum s ≤ 15 stays below the padding bit)
    /// to its two base-4 digits: s mod 4 and ⌊s / 4⌋ (one keyswitch, one PBS
    /// each; the carry only when `count` ≥ 2 records can carry). The
    /// carry's degree is ⌊3·count / 4⌋. See the module documentation for the
    /// noise.
    pub(crate) fn cast_sum(
        &self,
        sk: &ServerKey,
        data: Vec<u64>,
        count: u64,
    ) -> (Ciphertext, Option<Ciphertext>) {
        let msg = sk.message_modulus.0;
        let max = (msg - 1) * count;
        let view = KeySwitchingKeyView::from_raw_parts(self.material.as_view(), sk, None);
        let ct = Ciphertext::new(
            tfhe::core_crypto::prelude::LweCiphertext::from_container(
                data,
                tfhe::core_crypto::prelude::CiphertextModulus::new_native(),
            ),
            Degree::new(max),
            NoiseLevel::UNKNOWN,
            sk.message_modulus,
            sk.carry_modulus,
            sk.atomic_pattern.kind(),
        );
        let digit = move |x: u64| x % msg;
        let carry = move |x: u64| x / msg;
        if max < msg {
            let mut out = view.cast_and_apply_functions(&ct, Some(&[&digit]));
            (out.pop().expect("one output"), None)
        } else {
            let mut out = view
                .cast_and_apply_functions(&ct, Some(&[&digit, &carry]))
                .into_iter();
            let m = out.next().expect("two outputs");
            let mut c = out.next().expect("two outputs");
            c.degree = Degree::new(max / msg);
            (m, Some(c))
        }
    }
}

/// The most records whose raw LWEs of one block are added before the cast:
/// each block is proven below 4 and the sum must stay below 16 (the
/// padding bit must stay 0).
pub(crate) const RAW_SUM_MAX: u64 = 5;

/// The public-key encryption's LWE dimension d and the variance σ² of its
/// TUniform noises, (2^(2b+1) + 1)/6.
#[cfg(test)]
pub(crate) fn public_key_noise() -> (f64, f64) {
    use tfhe::core_crypto::prelude::DynamicDistribution;
    let p = crate::keys::public_key_params();
    let DynamicDistribution::TUniform(t) = p.encryption_noise_distribution else {
        panic!("the public-key parameters draw TUniform noise");
    };
    let sigma2 = ((2f64).powi(2 * t.bound_log2() as i32 + 1) + 1.0) / 6.0;
    (p.encryption_lwe_dimension.0 as f64, sigma2)
}

/// The standard deviation of the error of a sum of `records` honest
/// encryptions under one compact public key, over the draw of the key and
/// the encryptions (see the module documentation):
/// √(σ²·(d·L(L + 1)/4 + L·d/2 + L)) for L records.
#[cfg(test)]
pub(crate) fn raw_sum_noise_std(records: u64) -> f64 {
    let (d, sigma2) = public_key_noise();
    let l = records as f64;
    (sigma2 * (d * l * (l + 1.0) / 4.0 + l * d / 2.0 + l)).sqrt()
}

/// The LWEs of one compact list, each as its raw coefficients (still
/// under the public-key secret key: nothing cast).
pub(crate) fn raw_lwes(list: &LweCompactCiphertextListOwned<u64>) -> Vec<Vec<u64>> {
    let mut out = LweCiphertextList::new(
        0u64,
        list.lwe_size(),
        list.lwe_ciphertext_count(),
        list.ciphertext_modulus(),
    );
    par_expand_lwe_compact_ciphertext_list(&mut out, list);
    out.iter().map(|l| l.as_ref().to_vec()).collect()
}

/// Adds a record's raw LWE of one block into a raw sum (LWE addition is
/// coefficient-wise, modulo 2⁶⁴).
pub(crate) fn add_raw(sum: &mut [u64], lwe: &[u64]) {
    for (s, x) in sum.iter_mut().zip(lwe) {
        *s = s.wrapping_add(*x);
    }
}

/// Which function a cast applies.
#[derive(Clone, Copy)]
enum Fun {
    Low,
    High,
    LowFlag,
    HighFlag,
    Pair,
}

/// Where a cast output goes.
#[derive(Clone, Copy)]
enum Out {
    /// The block of that index (over the whole list).
    Block(usize),
    /// The pair block of two flags (their block indices).
    Pair(usize, usize),
}

/// One LWE to cast.
struct Unit {
    data: Vec<u64>,
    degree: u64,
    outs: Vec<(Fun, Out)>,
}

impl Unit {
    fn pair(data: Vec<u64>, degree: u64, lo: usize, hi: usize) -> Self {
        Self {
            data,
            degree,
            outs: vec![(Fun::Pair, Out::Pair(lo, hi))],
        }
    }
}

/// One record as a job reads it.
pub(crate) struct Expanded {
    /// Per entry of the layout: the value of a numeric entry read, or the
    /// 0/1 block of a counted category entry read alone; `None` when not
    /// read or read in a pair.
    pub(crate) entries: Vec<Option<RadixCiphertext>>,
    /// Two counted category entries packed in one LWE: (low entry, high
    /// entry, `[low ≠ 0] + 4·[high ≠ 0]`).
    pub(crate) pairs: Vec<(usize, usize, Ciphertext)>,
    /// The raw LWEs (public-key parameters, not cast) of the blocks of the
    /// entries [`Read::Summed`] from an unpacked list: (entry, block of the
    /// entry, LWE).
    pub(crate) raw: Vec<(usize, usize, Vec<u64>)>,
}
