//! The CPU backend: block-level accumulation with deferred carries.
//!
//! Every aggregate is kept as *columns* of 2-bit-message blocks: column `p`
//! holds blocks whose values count 4^p. Adding a record only appends blocks:
//! the field's own blocks for a sum (no PBS), the one-hot block for a
//! category count (no PBS), and for squares and products the base-4 digits
//! of block products, pushed at their columns:
//!
//! - a square's diagonal term aᵢ² (aᵢ ≤ 3, so ≤ 9): both digits from one
//!   PBS, a many-LUT (`aᵢ² mod 4` at column 2i, `⌊aᵢ²/4⌋` at 2i+1);
//! - a square's cross term 2·aᵢ·aⱼ (≤ 18): two bivariate PBS giving the
//!   digits of the doubled product, each pushed once (columns i+j, i+j+1);
//! - a product's term aᵢ·bⱼ (≤ 9): two bivariate PBS, `aᵢbⱼ mod 4` and
//!   `⌊aᵢbⱼ/4⌋`;
//! - a contingency-table cell: one bivariate PBS `[a ≠ 0 ∧ b ≠ 0]` of the
//!   two category flags (degree 1, pushed at column 0);
//! - a group sum's term: one bivariate PBS `aᵢ·f` per block aᵢ of the
//!   summed field and the group's flag f (≤ 3, one digit, column i).
//!
//! A column is reduced by *degree*: blocks are added without PBS as long
//! as their degrees sum to at most the block's capacity (15 with 2-bit
//! message and carry) and their noise levels to at most the parameters'
//! noise bound (5); such a chunk is then split into a message block (same
//! column) and a carry block (next column): one many-LUT PBS when the chunk
//! is at most 7 (both outputs of one lookup), two PBS otherwise, one
//! (message only) in the top column, which never carries (the plan sized it
//! so the aggregate cannot reach 4^blocks). A column is reduced only while
//! its blocks would not fit one block, fullest chunks first, so there is no
//! carry propagation until the very end, and memory is O(aggregates ×
//! blocks).
//!
//! Records are expanded only as far as the plan reads them
//! ([`super::expand`]: one PBS per block read, none for entries the job does
//! not use), the records of a batch in parallel; all PBS of a batch run on
//! rayon's pool.

use std::collections::BTreeMap;

use rayon::prelude::*;
use tfhe::integer::{IntegerCiphertext, RadixCiphertext, ServerKey as IntegerServerKey};
use tfhe::shortint::server_key::{BivariateLookupTableOwned, ManyLookupTableOwned};
use tfhe::shortint::Ciphertext;
use tfhe::CompressedServerKey;

use super::expand::{Caster, Expanded};
use super::{
    AggregateKind, Clamp, FieldEntries, Partial, Read, StatsBackend, StatsError, StatsPlan,
};

/// Records expanded and folded together before their columns are reduced.
const BATCH: usize = 8;

/// tfhe's CPU evaluation, see the module documentation.
pub struct CpuBackend {
    /// High-level key: expands compact lists (it holds the casting key).
    hl: tfhe::ServerKey,
    /// The same key at the integer level, for block operations.
    key: IntegerServerKey,
    /// Casts only the blocks a job reads (`None`: a key set without
    /// dedicated public-key parameters, which campaigns never have; every
    /// expansion then fails).
    caster: Option<Caster>,
    /// (a, b) ↦ (a·b) mod 4, and ⌊a·b / 4⌋ (≤ 2).
    lut_product: [BivariateLookupTableOwned; 2],
    /// (a, b) ↦ (2·a·b) mod 4 (0 or 2), and ⌊2·a·b / 4⌋ (≤ 4).
    lut_double: [BivariateLookupTableOwned; 2],
    /// (f, g) ↦ [f ≠ 0 ∧ g ≠ 0] (degree 1), for two category flags.
    lut_and: BivariateLookupTableOwned,
    /// a ↦ (a² mod 4, ⌊a² / 4⌋), both from one PBS (a ≤ 3).
    lut_square: ManyLookupTableOwned,
    /// s ↦ (s mod 4, ⌊s / 4⌋) for a chunk of degree ≤ 7, from one PBS.
    lut_split: ManyLookupTableOwned,
    /// Largest degree a block holds (message × carry − 1).
    capacity: u64,
    /// Most nominal-noise blocks that may be added before a PBS.
    max_noise: u64,
}

/// One aggregate's columns.
struct Columns(Vec<Vec<Ciphertext>>);

/// A block product to compute and where its two digits go (the low one at
/// `column`, the high one at `column + 1`).
struct ProductTask<'a> {
    aggregate: usize,
    column: usize,
    op: ProductOp<'a>,
}

enum ProductOp<'a> {
    /// a² of one block (one many-LUT PBS).
    Square(&'a Ciphertext),
    /// 2·a·b, a square's cross term (two bivariate PBS).
    Double(&'a Ciphertext, &'a Ciphertext),
    /// a·b (two bivariate PBS).
    Product(&'a Ciphertext, &'a Ciphertext),
    /// a·f of a block and a 0/1 flag (one bivariate PBS, one digit).
    Masked(&'a Ciphertext, &'a Ciphertext),
    /// f∧g of two 0/1 flags (one bivariate PBS, one digit).
    And(&'a Ciphertext, &'a Ciphertext),
}

impl CpuBackend {
    /// Decompresses the campaign's evaluation key (seconds, hundreds of MB).
    /// The FFT plan is pinned first: decompression already transforms the
    /// bootstrapping key with it ([`crate::keys::pin_fft_plan`]).
    pub fn new(server_key: &CompressedServerKey) -> Self {
        crate::keys::pin_fft_plan();
        Self::from_server_key(server_key.decompress())
    }

    /// Uses an already decompressed evaluation key (decompressed after
    /// [`crate::keys::pin_fft_plan`], or bytes may differ between processes).
    pub fn from_server_key(hl: tfhe::ServerKey) -> Self {
        crate::keys::pin_fft_plan();
        let (key, cast_material, ..) = hl.clone().into_raw_parts();
        let key = IntegerServerKey::from_raw_parts(key.into_raw_parts());
        let sk: &tfhe::shortint::ServerKey = key.as_ref();
        let msg = sk.message_modulus.0;
        let lut_product = [
            sk.generate_lookup_table_bivariate(move |a, b| (a * b) % msg),
            sk.generate_lookup_table_bivariate(move |a, b| (a * b) / msg),
        ];
        let lut_and = sk.generate_lookup_table_bivariate(|a, b| u64::from(a != 0 && b != 0));
        let lut_double = [
            sk.generate_lookup_table_bivariate(move |a, b| (2 * a * b) % msg),
            sk.generate_lookup_table_bivariate(move |a, b| (2 * a * b) / msg),
        ];
        // The many-LUT is defined on inputs up to 7; its operands are clean
        // blocks (≤ 3), and defining the functions as 0 above that keeps the
        // output degrees those of real inputs (1 and 2).
        let clean = move |a: u64| if a < msg { a * a } else { 0 };
        let square_low = move |a: u64| clean(a) % msg;
        let square_high = move |a: u64| clean(a) / msg;
        let lut_square = sk.generate_many_lookup_table(&[&square_low, &square_high]);
        let split_low = move |s: u64| s % msg;
        let split_high = move |s: u64| s / msg;
        let lut_split = sk.generate_many_lookup_table(&[&split_low, &split_high]);
        let caster = cast_material.map(Caster::new);
        let capacity = msg * sk.carry_modulus.0 - 1;
        let max_noise = sk.max_noise_level.get();
        Self {
            hl,
            key,
            caster,
            lut_product,
            lut_double,
            lut_and,
            lut_square,
            lut_split,
            capacity,
            max_noise,
        }
    }

    #[cfg_attr(not(feature = "gpu"), allow(dead_code))]
    pub(crate) fn integer_key(&self) -> &IntegerServerKey {
        &self.key
    }

    /// The values a release decrypts: each aggregate widened to its noised
    /// block count (`blocks`, see [`crate::threshold::noised_blocks`]) plus
    /// every keyholder's noise (`noise_lists`, each already checked with
    /// [`crate::threshold::verify_noise`]), carries propagated. Deterministic:
    /// every keyholder computes the same bytes.
    pub fn noised(
        &self,
        values: &[RadixCiphertext],
        blocks: &[u32],
        noise_lists: &[Vec<u8>],
    ) -> Result<Vec<RadixCiphertext>, StatsError> {
        use tfhe::integer::IntegerRadixCiphertext;
        use tfhe::prelude::CiphertextList;
        use tfhe::safe_serialization::safe_deserialize;
        use tfhe::{FheUint8, ProvenCompactCiphertextList};
        if values.len() != blocks.len() {
            return Err(StatsError::PartialMismatch(format!(
                "{} values, {} block counts",
                values.len(),
                blocks.len()
            )));
        }
        let mut out = Vec::with_capacity(values.len());
        for (v, b) in values.iter().zip(blocks) {
            let extra = (*b as usize).checked_sub(v.blocks().len()).ok_or_else(|| {
                StatsError::PartialMismatch("a noised value is narrower than its aggregate".into())
            })?;
            out.push(self.key.extend_radix_with_trivial_zero_blocks_msb(v, extra));
        }
        use crate::threshold::CHUNK_BLOCKS;
        let chunks: u32 = blocks.iter().map(|b| b / CHUNK_BLOCKS).sum();
        let limit = crate::contribution::max_list_bytes(chunks as usize) as u64;
        tfhe::set_server_key(self.hl.clone());
        for list in noise_lists {
            let list: ProvenCompactCiphertextList = safe_deserialize(list.as_slice(), limit)
                .map_err(|e| StatsError::PartialMismatch(format!("noise list: {e}")))?;
            let expander = list
                .expand_without_verification()
                .map_err(|e| StatsError::PartialMismatch(format!("noise list: {e}")))?;
            let mut next = 0;
            let mut noise = Vec::with_capacity(values.len());
            for b in blocks {
                let mut blocks_of = Vec::with_capacity(*b as usize);
                for _ in 0..*b / CHUNK_BLOCKS {
                    let chunk: FheUint8 = expander
                        .get(next)
                        .map_err(|e| StatsError::PartialMismatch(format!("noise list: {e}")))?
                        .ok_or_else(|| {
                            StatsError::PartialMismatch("the noise list is too short".into())
                        })?;
                    next += 1;
                    blocks_of.extend(chunk.into_raw_parts().0.into_blocks());
                }
                noise.push(RadixCiphertext::from_blocks(blocks_of));
            }
            if next != list.len() {
                return Err(StatsError::PartialMismatch(
                    "the noise list is too long".into(),
                ));
            }
            out = out
                .par_iter()
                .zip(noise.par_iter())
                .map(|(a, n)| self.key.add_parallelized(a, n))
                .collect();
        }
        Ok(out)
    }

    /// Noise-squashes `values` for threshold decryption
    /// ([`crate::threshold`]); deterministic, like [`CpuBackend::noised`].
    pub fn squash(
        &self,
        key: &tfhe::integer::noise_squashing::NoiseSquashingKey,
        values: &[RadixCiphertext],
    ) -> Result<Vec<tfhe::integer::ciphertext::SquashedNoiseRadixCiphertext>, StatsError> {
        values
            .iter()
            .map(|v| {
                key.squash_radix_ciphertext_noise(&self.key, v)
                    .map_err(|e| StatsError::Fhe(crate::keys::FheError::Tfhe(e.to_string())))
            })
            .collect()
    }

    fn shortint(&self) -> &tfhe::shortint::ServerKey {
        self.key.as_ref()
    }

    fn empty(&self, plan: &StatsPlan) -> Vec<Columns> {
        plan.aggregates
            .iter()
            .map(|a| Columns(vec![Vec::new(); a.blocks as usize]))
            .collect()
    }

    /// Expands one stored list as far as the plan reads it.
    fn expand(&self, plan: &StatsPlan, bytes: &[u8], reads: &[Read]) -> Result<Expanded, String> {
        match &self.caster {
            Some(caster) => caster.expand(self.shortint(), plan, bytes, reads),
            None => {
                Err("the evaluation key has no casting key for the public-key parameters".into())
            }
        }
    }

    /// The record's numeric entries that sums and products read clamped
    /// ([`StatsPlan::clamps`]), clamped to their declared range: a scalar
    /// comparison and selection per side the clamp has (on this thread,
    /// each internally parallel); `None` for every other entry.
    fn clamp_record(
        &self,
        clamps: &[Clamp],
        record: &[Option<RadixCiphertext>],
    ) -> Vec<Option<RadixCiphertext>> {
        let mut out: Vec<Option<RadixCiphertext>> = vec![None; record.len()];
        for c in clamps {
            if let Some(x) = record[c.entry].as_ref() {
                let x = c
                    .ceiling
                    .map_or_else(|| x.clone(), |hi| self.key.scalar_min_parallelized(x, hi));
                out[c.entry] = Some(
                    c.floor
                        .map_or(x.clone(), |lo| self.key.scalar_max_parallelized(&x, lo)),
                );
            }
        }
        out
    }

    /// Appends one expanded record to the columns: direct blocks go in as
    /// they are, products become tasks, range checks run now (on this
    /// thread, each internally parallel). Sums and products read a numeric
    /// entry from `clamped` where it is there (clamped to its range), range
    /// checks always from `record`.
    fn fold_record<'a>(
        &self,
        plan: &StatsPlan,
        record: &'a [Option<RadixCiphertext>],
        clamped: &'a [Option<RadixCiphertext>],
        columns: &mut [Columns],
        tasks: &mut Vec<ProductTask<'a>>,
    ) {
        let numeric = |name: &str| match plan.field(name) {
            Some(FieldEntries::Numeric { entry, .. }) => {
                clamped[*entry].as_ref().or(record[*entry].as_ref())
            }
            _ => None,
        };
        // The 0/1 block of a category entry read alone.
        let flag = |entry: Option<usize>| {
            entry
                .and_then(|e| record[e].as_ref())
                .map(|x| &x.blocks()[0])
        };
        for (a, spec) in plan.aggregates.iter().enumerate() {
            match &spec.kind {
                AggregateKind::Sum { field } => {
                    if let Some(x) = numeric(field) {
                        for (i, b) in x.blocks().iter().enumerate() {
                            columns[a].0[i].push(b.clone());
                        }
                    }
                }
                AggregateKind::SumOfSquares { field } => {
                    if let Some(x) = numeric(field) {
                        let bl = x.blocks();
                        for i in 0..bl.len() {
                            for j in i..bl.len() {
                                tasks.push(ProductTask {
                                    aggregate: a,
                                    column: i + j,
                                    op: if i == j {
                                        ProductOp::Square(&bl[i])
                                    } else {
                                        ProductOp::Double(&bl[i], &bl[j])
                                    },
                                });
                            }
                        }
                    }
                }
                AggregateKind::Product { left, right } => {
                    if let (Some(x), Some(y)) = (numeric(left), numeric(right)) {
                        for (i, l) in x.blocks().iter().enumerate() {
                            for (j, r) in y.blocks().iter().enumerate() {
                                tasks.push(ProductTask {
                                    aggregate: a,
                                    column: i + j,
                                    op: ProductOp::Product(l, r),
                                });
                            }
                        }
                    }
                }
                AggregateKind::CategoryCount { field, category } => {
                    if let Some(f) = flag(plan.category_entry(field, category)) {
                        columns[a].0[0].push(f.clone());
                    }
                }
                AggregateKind::CrossCount {
                    rows,
                    row,
                    columns: cols,
                    column,
                } => {
                    let f = flag(plan.category_entry_at(rows, *row));
                    let g = flag(plan.category_entry_at(cols, *column));
                    if let (Some(f), Some(g)) = (f, g) {
                        tasks.push(ProductTask {
                            aggregate: a,
                            column: 0,
                            op: ProductOp::And(f, g),
                        });
                    }
                }
                AggregateKind::GroupSum {
                    field,
                    by,
                    category,
                } => {
                    if let (Some(x), Some(f)) =
                        (numeric(field), flag(plan.category_entry(by, category)))
                    {
                        for (i, b) in x.blocks().iter().enumerate() {
                            tasks.push(ProductTask {
                                aggregate: a,
                                column: i,
                                op: ProductOp::Masked(b, f),
                            });
                        }
                    }
                }
                AggregateKind::OutOfRange { field } => {
                    if let Some(FieldEntries::Numeric {
                        entry,
                        bits,
                        range: Some((lo, hi)),
                    }) = plan.field(field)
                    {
                        let Some(x) = record[*entry].as_ref() else {
                            continue;
                        };
                        let width_max = (1u64 << bits) - 1;
                        let (below, above) = rayon::join(
                            || (*lo > 0).then(|| self.key.scalar_lt_parallelized(x, *lo)),
                            || (*hi < width_max).then(|| self.key.scalar_gt_parallelized(x, *hi)),
                        );
                        // The two conditions exclude each other: their sum is 0 or 1.
                        for flag in below.into_iter().chain(above) {
                            columns[a].0[0].push(flag.into_raw_parts());
                        }
                    }
                }
            }
        }
    }

    /// Computes the product tasks and appends their digits.
    fn run_products(&self, tasks: Vec<ProductTask<'_>>, columns: &mut [Columns]) {
        let sk = self.shortint();
        // Operands are clean blocks (≤ 3) or flags (≤ 1): l·4 + r fits the
        // block, and the noise of 4·l + r is the bound (5).
        let one = |l: &Ciphertext, r: &Ciphertext, lut: &BivariateLookupTableOwned| {
            sk.unchecked_apply_lookup_table_bivariate(l, r, lut)
        };
        let bivariate = |l, r, luts: &[BivariateLookupTableOwned; 2]| {
            let (low, high) = rayon::join(|| one(l, r, &luts[0]), || one(l, r, &luts[1]));
            (low, Some(high))
        };
        let digits: Vec<(usize, usize, Ciphertext, Option<Ciphertext>)> = tasks
            .into_par_iter()
            .map(|t| {
                let (low, high) = match t.op {
                    ProductOp::Square(x) => {
                        let mut both = sk.apply_many_lookup_table(x, &self.lut_square).into_iter();
                        let low = both.next().expect("two functions");
                        (low, both.next())
                    }
                    ProductOp::Double(l, r) => bivariate(l, r, &self.lut_double),
                    ProductOp::Product(l, r) => bivariate(l, r, &self.lut_product),
                    // a·f ≤ 3: the low digit is the whole product.
                    ProductOp::Masked(l, f) => (one(l, f, &self.lut_product[0]), None),
                    ProductOp::And(f, g) => (one(f, g, &self.lut_and), None),
                };
                (t.aggregate, t.column, low, high)
            })
            .collect();
        for (a, col, low, high) in digits {
            let cols = &mut columns[a].0;
            cols[col].push(low);
            if let Some(high) = high {
                cols[col + 1].push(high);
            }
        }
    }

    /// Whether blocks can be added into one without a PBS.
    fn fits<'b>(&self, blocks: impl IntoIterator<Item = &'b Ciphertext>) -> bool {
        let (mut degree, mut noise) = (0u64, 0u64);
        for b in blocks {
            degree += b.degree.get();
            noise += b.noise_level().get();
        }
        degree <= self.capacity && noise <= self.max_noise
    }

    /// Takes from `col` the fullest chunk that fits one block: blocks by
    /// decreasing degree (stable, so deterministic), each taken when it
    /// still fits. `None` when fewer than two blocks would be taken.
    fn take_chunk(&self, col: &mut Vec<Ciphertext>) -> Option<Vec<Ciphertext>> {
        col.sort_by_key(|b| std::cmp::Reverse(b.degree.get()));
        let (mut degree, mut noise) = (0u64, 0u64);
        let mut take = vec![false; col.len()];
        for (i, b) in col.iter().enumerate() {
            let (d, n) = (degree + b.degree.get(), noise + b.noise_level().get());
            if d <= self.capacity && n <= self.max_noise {
                (degree, noise) = (d, n);
                take[i] = true;
            }
        }
        if take.iter().filter(|t| **t).count() < 2 {
            return None;
        }
        let mut chunk = Vec::new();
        let mut rest = Vec::new();
        for (b, t) in col.drain(..).zip(take) {
            if t {
                chunk.push(b);
            } else {
                rest.push(b);
            }
        }
        *col = rest;
        Some(chunk)
    }

    /// The blocks added without PBS (a trivial 0 for none); the caller keeps
    /// their degrees and noise levels within bounds ([`Self::fits`]).
    fn sum(&self, blocks: Vec<Ciphertext>) -> Ciphertext {
        let sk = self.shortint();
        let mut it = blocks.into_iter();
        match it.next() {
            None => sk.create_trivial(0),
            Some(mut first) => {
                for b in it {
                    sk.unchecked_add_assign(&mut first, &b);
                }
                first
            }
        }
    }

    /// Splits a sum of blocks into its message block and, unless `top`, its
    /// carry block: one many-LUT PBS for a sum of degree ≤ 7, else two.
    fn split(&self, sum: &Ciphertext, top: bool) -> (Ciphertext, Option<Ciphertext>) {
        let sk = self.shortint();
        if top {
            (sk.message_extract(sum), None)
        } else if sum.degree.get() <= self.lut_split.input_max_degree.get() {
            let mut both = sk.apply_many_lookup_table(sum, &self.lut_split).into_iter();
            let m = both.next().expect("two functions");
            (m, both.next())
        } else {
            let (m, carry) = rayon::join(|| sk.message_extract(sum), || sk.carry_extract(sum));
            (m, Some(carry))
        }
    }

    /// Splits pair blocks (see [`super::expand`]) into the two category
    /// counts: the sum of up to three records' pair blocks is
    /// `count_low + 4·count_high` with both ≤ 3, so its message block goes to
    /// the low entry's count and its carry block to the high one's. Pairs
    /// are split once they could not take another record's block, and all
    /// of them at the end (`all`).
    fn split_pairs(
        &self,
        plan: &StatsPlan,
        pairs: &mut BTreeMap<(usize, usize), Vec<Ciphertext>>,
        columns: &mut [Columns],
        all: bool,
    ) {
        let mut work = Vec::new();
        for ((lo, hi), blocks) in pairs.iter_mut() {
            let (Some(a_lo), Some(a_hi)) = (plan.count_of_entry(*lo), plan.count_of_entry(*hi))
            else {
                continue;
            };
            // Whole chunks while another record's block would not fit.
            while !blocks.is_empty() && (all || !self.fits(blocks.iter().chain(blocks.first()))) {
                let chunk = self
                    .take_chunk(blocks)
                    .unwrap_or_else(|| std::mem::take(blocks));
                work.push((a_lo, a_hi, chunk));
            }
        }
        let out: Vec<(usize, usize, Ciphertext, Option<Ciphertext>)> = work
            .into_par_iter()
            .map(|(a_lo, a_hi, chunk)| {
                let (m, carry) = self.split(&self.sum(chunk), false);
                (a_lo, a_hi, m, carry)
            })
            .collect();
        for (a_lo, a_hi, m, carry) in out {
            columns[a_lo].0[0].push(m);
            columns[a_hi].0[0].extend(carry);
        }
    }

    /// Reduces every column until its blocks fit one block (see the module
    /// documentation), splitting chunks into message and carry blocks.
    fn reduce(&self, columns: &mut [Columns]) {
        loop {
            let mut work: Vec<(usize, usize, Vec<Ciphertext>)> = Vec::new();
            for (a, cols) in columns.iter_mut().enumerate() {
                for (c, col) in cols.0.iter_mut().enumerate() {
                    while !self.fits(col.iter()) {
                        match self.take_chunk(col) {
                            Some(chunk) => work.push((a, c, chunk)),
                            None => break,
                        }
                    }
                }
            }
            if work.is_empty() {
                return;
            }
            let tops: Vec<usize> = columns.iter().map(|c| c.0.len() - 1).collect();
            let out: Vec<(usize, usize, Ciphertext, Option<Ciphertext>)> = work
                .into_par_iter()
                .map(|(a, c, chunk)| {
                    let sum = self.sum(chunk);
                    // The plan's bound: the top column never carries.
                    let (m, carry) = self.split(&sum, c == tops[a]);
                    (a, c, m, carry)
                })
                .collect();
            for (a, c, m, carry) in out {
                columns[a].0[c].push(m);
                if let Some(carry) = carry {
                    columns[a].0[c + 1].push(carry);
                }
            }
        }
    }

    /// Turns reduced columns into clean radix ciphertexts (one carry
    /// propagation per aggregate).
    fn finish(&self, columns: Vec<Columns>, records: u64) -> Partial {
        let values = columns
            .into_par_iter()
            .map(|cols| {
                let blocks: Vec<Ciphertext> = cols.0.into_iter().map(|col| self.sum(col)).collect();
                let mut radix = RadixCiphertext::from_blocks(blocks);
                self.key.full_propagate_parallelized(&mut radix);
                radix
            })
            .collect();
        Partial { records, values }
    }
}

impl StatsBackend for CpuBackend {
    fn name(&self) -> &'static str {
        "cpu"
    }

    fn aggregate(
        &self,
        plan: &StatsPlan,
        lists: &mut dyn Iterator<Item = Vec<u8>>,
    ) -> Result<Partial, StatsError> {
        let mut columns = self.empty(plan);
        let mut records = 0u64;
        let reads = plan.entries_read();
        let clamps = plan.clamps();
        // Pair blocks waiting to be split, by (low entry, high entry).
        let mut pairs: BTreeMap<(usize, usize), Vec<Ciphertext>> = BTreeMap::new();
        loop {
            let batch: Vec<Vec<u8>> = (&mut *lists).take(BATCH).collect();
            if batch.is_empty() {
                break;
            }
            if records + batch.len() as u64 > plan.max_records {
                return Err(StatsError::TooManyRecords {
                    max: plan.max_records,
                });
            }
            let expand = |(i, bytes): (usize, &Vec<u8>)| {
                self.expand(plan, bytes, &reads)
                    .map_err(|detail| StatsError::Expand {
                        index: records + i as u64,
                        detail,
                    })
            };
            let expanded: Vec<Expanded> = batch
                .par_iter()
                .enumerate()
                .map(expand)
                .collect::<Result<_, _>>()?;
            records += batch.len() as u64;
            let mut tasks = Vec::new();
            // Clamps and range checks are PBS-heavy: clamp and fold
            // records in parallel, each into its own columns, then move the
            // blocks over.
            let clamped: Vec<Vec<Option<RadixCiphertext>>> = expanded
                .par_iter()
                .map(|rec| self.clamp_record(&clamps, &rec.entries))
                .collect();
            let folded: Vec<(Vec<Columns>, Vec<ProductTask<'_>>)> = expanded
                .par_iter()
                .zip(&clamped)
                .map(|(rec, clamped)| {
                    let mut cols = self.empty(plan);
                    let mut t = Vec::new();
                    self.fold_record(plan, &rec.entries, clamped, &mut cols, &mut t);
                    (cols, t)
                })
                .collect();
            for rec in &expanded {
                for (lo, hi, block) in &rec.pairs {
                    pairs.entry((*lo, *hi)).or_default().push(block.clone());
                }
            }
            for (cols, t) in folded {
                for (dst, src) in columns.iter_mut().zip(cols) {
                    for (d, s) in dst.0.iter_mut().zip(src.0) {
                        d.extend(s);
                    }
                }
                tasks.extend(t);
            }
            self.run_products(tasks, &mut columns);
            self.split_pairs(plan, &mut pairs, &mut columns, false);
            self.reduce(&mut columns);
        }
        self.split_pairs(plan, &mut pairs, &mut columns, true);
        self.reduce(&mut columns);
        Ok(self.finish(columns, records))
    }

    fn merge(&self, plan: &StatsPlan, partials: &[Partial]) -> Result<Partial, StatsError> {
        let mut columns = self.empty(plan);
        let mut records = 0u64;
        for p in partials {
            if p.values.len() != plan.aggregates.len() {
                return Err(StatsError::PartialMismatch(format!(
                    "{} aggregates, the plan has {}",
                    p.values.len(),
                    plan.aggregates.len()
                )));
            }
            records += p.records;
            if records > plan.max_records {
                return Err(StatsError::TooManyRecords {
                    max: plan.max_records,
                });
            }
            for (cols, v) in columns.iter_mut().zip(&p.values) {
                if v.blocks().len() != cols.0.len() {
                    return Err(StatsError::PartialMismatch(
                        "an aggregate has the wrong number of blocks".into(),
                    ));
                }
                for (col, b) in cols.0.iter_mut().zip(v.blocks()) {
                    col.push(b.clone());
                }
            }
            self.reduce(&mut columns);
        }
        Ok(self.finish(columns, records))
    }
}
