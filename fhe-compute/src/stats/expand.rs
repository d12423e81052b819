//! Expansion of only what a job reads (CPU).
//!
//! A contribution is a proven compact list encrypted under the campaign's
//! public-key parameters, with two 2-bit blocks packed into each LWE
//! (`low + 4·high`). tfhe's stock expansion casts every packed LWE to the
//! compute parameters (one keyswitch) and then runs one PBS per block
//! (message extract for the low block, carry extract for the high one): a
//! record of 8 × u16 and an 8-category field costs 72 PBS whatever the job
//! reads. Here the same cast runs only on the LWEs that hold a block the
//! job reads, with only the functions for those blocks:
//!
//! - a block of a numeric entry the job reads: the stock function (message
//!   or carry extraction), so the block is the one tfhe's own expansion
//!   gives, bit for bit;
//! - a category entry the job counts, or multiplies (a crosstab's cell, a
//!   group sum's mask): whether it is not 0 (a 0/1 block, degree 1), in the
//!   same PBS;
//! - two category entries packed in one LWE that the job only counts: one
//!   PBS for both,
//!   `[low ≠ 0] + 4·[high ≠ 0]` (a *pair* block, degree 5). Three records'
//!   pair blocks add up without overflow (≤ 15: each lane ≤ 3) before two
//!   PBS split them into the two counts, so a histogram costs one PBS per
//!   two categories at expansion.
//!
//! The list's parts are reached through
//! [`crate::contribution::integer_list`]. Every shape the stock path
//! checks is checked here too: entry kinds and widths, packing, casting,
//! moduli and LWE counts.

use rayon::prelude::*;
use tfhe::core_crypto::prelude::{
    par_expand_lwe_compact_ciphertext_list, ContiguousEntityContainer, LweCiphertextList,
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
        // The packed LWEs of every sub-list, in order.
        let mut lwes: Vec<Vec<u64>> = Vec::with_capacity(total_blocks.div_ceil(2));
        let mut lwe_size = None;
        let mut modulus = None;
        for (compact, _proof) in proven.into_raw_parts() {
            let (ct_list, degree, m, c, kind) = compact.into_raw_parts();
            if m != sk.message_modulus || c != sk.carry_modulus {
                return Err("the list has other moduli".into());
            }
            if degree.get() != msg * msg - 1 || c.0 < msg {
                return Err("the list is not packed".into());
            }
            if kind != CompactCiphertextListExpansionKind::RequiresCasting {
                return Err("the list is not under the public-key parameters".into());
            }
            if *lwe_size.get_or_insert(ct_list.lwe_size()) != ct_list.lwe_size()
                || *modulus.get_or_insert(ct_list.ciphertext_modulus())
                    != ct_list.ciphertext_modulus()
            {
                return Err("the list's parts differ in shape".into());
            }
            let mut out = LweCiphertextList::new(
                0u64,
                ct_list.lwe_size(),
                ct_list.lwe_ciphertext_count(),
                ct_list.ciphertext_modulus(),
            );
            par_expand_lwe_compact_ciphertext_list(&mut out, &ct_list);
            lwes.extend(out.iter().map(|l| l.as_ref().to_vec()));
        }
        if lwes.len() != total_blocks.div_ceil(2) {
            return Err(format!(
                "{} packed ciphertexts for {total_blocks} blocks",
                lwes.len()
            ));
        }
        let modulus = modulus.ok_or("an empty list")?;
        if self.input_lwe_size != lwe_size.ok_or("an empty list")? {
            return Err("the list is not under the campaign's public key".into());
        }
        let half = |x: u64, h: usize| if h == 0 { x % msg } else { (x / msg) % msg };
        let low = move |x: u64| half(x, 0);
        let high = move |x: u64| half(x, 1);
        let low_flag = move |x: u64| u64::from(half(x, 0) != 0);
        let high_flag = move |x: u64| u64::from(half(x, 1) != 0);
        let pair = move |x: u64| low_flag(x) + msg * high_flag(x);
        let view = KeySwitchingKeyView::from_raw_parts(self.material.as_view(), sk, None);
        let atomic = sk.atomic_pattern.kind();
        // Per LWE: (block index, ciphertext) outputs and pair outputs.
        type Cast = (Vec<(usize, Ciphertext)>, Option<(usize, usize, Ciphertext)>);
        let cast: Vec<Cast> = lwes
            .into_par_iter()
            .enumerate()
            .map(|(l, data)| {
                let halves: Vec<(usize, usize, Read)> = (2 * l..(2 * l + 2).min(total_blocks))
                    .map(|b| (b, block_of[b].0, block_of[b].1))
                    .filter(|(_, _, r)| *r != Read::No)
                    .collect();
                if halves.is_empty() {
                    return (Vec::new(), None);
                }
                let ct = Ciphertext::new(
                    tfhe::core_crypto::prelude::LweCiphertext::from_container(data, modulus),
                    Degree::new(msg * msg - 1),
                    NoiseLevel::UNKNOWN,
                    sk.message_modulus,
                    sk.carry_modulus,
                    atomic,
                );
                if let [(_, lo, Read::Flag), (_, hi, Read::Flag)] = halves.as_slice() {
                    let mut out = view.cast_and_apply_functions(&ct, Some(&[&pair]));
                    let block = out.pop().expect("one output per function");
                    return (Vec::new(), Some((*lo, *hi, block)));
                }
                let fns: Vec<&(dyn Fn(u64) -> u64 + Sync)> = halves
                    .iter()
                    .map(|(b, _, r)| -> &(dyn Fn(u64) -> u64 + Sync) {
                        match (b % 2, r) {
                            (0, Read::Flag | Read::FlagAlone) => &low_flag,
                            (_, Read::Flag | Read::FlagAlone) => &high_flag,
                            (0, _) => &low,
                            _ => &high,
                        }
                    })
                    .collect();
                let out = view.cast_and_apply_functions(&ct, Some(&fns));
                (halves.iter().map(|(b, ..)| *b).zip(out).collect(), None)
            })
            .collect();
        let mut blocks: Vec<Option<Ciphertext>> = vec![None; total_blocks];
        let mut pairs = Vec::new();
        for (outs, p) in cast {
            for (b, ct) in outs {
                blocks[b] = Some(ct);
            }
            pairs.extend(p);
        }
        let entries = entry_blocks
            .into_iter()
            .map(|range| {
                // Entries read as a pair are not here (their blocks were not cast alone).
                let got: Option<Vec<Ciphertext>> =
                    blocks[range].iter_mut().map(Option::take).collect();
                got.map(RadixCiphertext::from_blocks)
            })
            .collect();
        Ok(Expanded { entries, pairs })
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
}
