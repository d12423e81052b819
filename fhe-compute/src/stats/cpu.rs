//! The CPU backend: block-level accumulation with deferred carries.
//!
//! Every aggregate is kept as *columns* of clean 2-bit blocks: column `p`
//! holds blocks whose values count 4^p. Adding a record only appends blocks
//! (no PBS): the field's own blocks for a sum, the one-hot block for a
//! category count, and for a product x·y the two digits of each block
//! product aᵢ·bⱼ (≤ 9), computed by two bivariate PBS and appended at
//! columns i+j and i+j+1. When a column holds `chunk` blocks (5 with the
//! 2-bit message / 2-bit carry parameters: the carry space and the noise
//! budget both allow five additions) they are added without PBS and split
//! by two PBS into a message block (same column) and a carry block (next
//! column). Each such step removes three blocks for two PBS, so a sum costs
//! about 2/3 PBS per input block, with no carry propagation until the very
//! end. The top column never carries: the plan sized it so the aggregate
//! cannot reach 4^blocks. Memory is O(aggregates × blocks): after each
//! batch every column holds fewer than `chunk` blocks.
//!
//! Records are expanded (compact list → radix ciphertexts: keyswitch + one
//! PBS per block) once each, in parallel; all PBS of a batch run on rayon's
//! pool.

use rayon::prelude::*;
use tfhe::integer::{IntegerCiphertext, RadixCiphertext, ServerKey as IntegerServerKey};
use tfhe::shortint::server_key::BivariateLookupTableOwned;
use tfhe::shortint::Ciphertext;
use tfhe::CompressedServerKey;

use super::{
    expand_entries, AggregateKind, Entry, FieldEntries, Partial, StatsBackend, StatsError,
    StatsPlan,
};

/// Records expanded and folded together before their columns are reduced.
const BATCH: usize = 8;

/// tfhe's CPU evaluation, see the module documentation.
pub struct CpuBackend {
    /// High-level key: expands compact lists (it holds the casting key).
    hl: tfhe::ServerKey,
    /// The same key at the integer level, for block operations.
    key: IntegerServerKey,
    /// (a, b) ↦ (a·b) mod 4.
    lut_low: BivariateLookupTableOwned,
    /// (a, b) ↦ ⌊a·b / 4⌋ (≤ 2).
    lut_high: BivariateLookupTableOwned,
    /// Clean blocks added before a message/carry split.
    chunk: usize,
}

/// One aggregate's columns.
struct Columns(Vec<Vec<Ciphertext>>);

/// A block product to compute: aggregate, column, operands, how many times
/// it counts (2 for the cross terms of a square).
struct ProductTask<'a> {
    aggregate: usize,
    column: usize,
    left: &'a Ciphertext,
    right: &'a Ciphertext,
    weight: usize,
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
        let (key, ..) = hl.clone().into_raw_parts();
        let key = IntegerServerKey::from_raw_parts(key.into_raw_parts());
        let sk: &tfhe::shortint::ServerKey = key.as_ref();
        let msg = sk.message_modulus.0;
        let lut_low = sk.generate_lookup_table_bivariate(move |a, b| (a * b) % msg);
        let lut_high = sk.generate_lookup_table_bivariate(move |a, b| (a * b) / msg);
        // Clean blocks have degree msg-1; the block holds msg·carry values.
        let capacity = (msg * sk.carry_modulus.0 - 1) / (msg - 1);
        let chunk = capacity.min(sk.max_noise_level.get()) as usize;
        Self {
            hl,
            key,
            lut_low,
            lut_high,
            chunk: chunk.max(2),
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

    /// Expands one stored list into its entries' radix ciphertexts (with
    /// this backend's key set on the calling thread, see `aggregate`).
    fn expand(&self, plan: &StatsPlan, bytes: &[u8]) -> Result<Vec<RadixCiphertext>, String> {
        Ok(expand_entries(plan, bytes)?
            .into_iter()
            .map(Entry::into_radix)
            .collect())
    }

    /// Appends one expanded record to the columns: direct blocks go in as
    /// they are, products become tasks, range checks run now (on this
    /// thread, each internally parallel).
    fn fold_record<'a>(
        &self,
        plan: &StatsPlan,
        record: &'a [RadixCiphertext],
        columns: &mut [Columns],
        tasks: &mut Vec<ProductTask<'a>>,
    ) {
        let numeric = |name: &str| match plan.field(name) {
            Some(FieldEntries::Numeric { entry, .. }) => Some(&record[*entry]),
            _ => None,
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
                                    left: &bl[i],
                                    right: &bl[j],
                                    weight: if i == j { 1 } else { 2 },
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
                                    left: l,
                                    right: r,
                                    weight: 1,
                                });
                            }
                        }
                    }
                }
                AggregateKind::CategoryCount { field, category } => {
                    if let Some(FieldEntries::Categorical { first, categories }) = plan.field(field)
                    {
                        if let Some(k) = categories.iter().position(|c| c == category) {
                            columns[a].0[0].push(record[first + k].blocks()[0].clone());
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
                        let x = &record[*entry];
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

    /// Computes the product tasks (two PBS each) and appends their digits.
    fn run_products(&self, tasks: Vec<ProductTask<'_>>, columns: &mut [Columns]) {
        let sk = self.shortint();
        let digits: Vec<(usize, usize, usize, Ciphertext, Ciphertext)> = tasks
            .into_par_iter()
            .map(|t| {
                let (low, high) = rayon::join(
                    || sk.unchecked_apply_lookup_table_bivariate(t.left, t.right, &self.lut_low),
                    || sk.unchecked_apply_lookup_table_bivariate(t.left, t.right, &self.lut_high),
                );
                (t.aggregate, t.column, t.weight, low, high)
            })
            .collect();
        for (a, col, weight, low, high) in digits {
            let cols = &mut columns[a].0;
            for _ in 1..weight {
                cols[col].push(low.clone());
                cols[col + 1].push(high.clone());
            }
            cols[col].push(low);
            cols[col + 1].push(high);
        }
    }

    /// Splits full chunks of every column into message and carry blocks
    /// until every column holds fewer than `chunk` blocks.
    fn reduce(&self, columns: &mut [Columns]) {
        let sk = self.shortint();
        loop {
            let mut work: Vec<(usize, usize, Vec<Ciphertext>)> = Vec::new();
            for (a, cols) in columns.iter_mut().enumerate() {
                for (c, col) in cols.0.iter_mut().enumerate() {
                    while col.len() >= self.chunk {
                        let at = col.len() - self.chunk;
                        work.push((a, c, col.split_off(at)));
                    }
                }
            }
            if work.is_empty() {
                return;
            }
            let top = |a: usize| columns[a].0.len() - 1;
            let tops: Vec<usize> = (0..columns.len()).map(top).collect();
            let out: Vec<(usize, usize, Ciphertext, Option<Ciphertext>)> = work
                .into_par_iter()
                .map(|(a, c, chunk)| {
                    let mut sum = chunk[0].clone();
                    for b in &chunk[1..] {
                        sk.unchecked_add_assign(&mut sum, b);
                    }
                    if c < tops[a] {
                        let (m, carry) =
                            rayon::join(|| sk.message_extract(&sum), || sk.carry_extract(&sum));
                        (a, c, m, Some(carry))
                    } else {
                        // The plan's bound: the top column never carries.
                        (a, c, sk.message_extract(&sum), None)
                    }
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
        let sk = self.shortint();
        let values = columns
            .into_par_iter()
            .map(|cols| {
                let blocks: Vec<Ciphertext> = cols
                    .0
                    .into_iter()
                    .map(|col| {
                        let mut it = col.into_iter();
                        match it.next() {
                            None => sk.create_trivial(0),
                            Some(mut first) => {
                                for b in it {
                                    sk.unchecked_add_assign(&mut first, &b);
                                }
                                first
                            }
                        }
                    })
                    .collect();
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
        // tfhe's expand reads the evaluation key from a thread-local. It is
        // set here, on the calling thread, and lists are expanded one after
        // the other (each expansion is parallel inside tfhe): setting it from
        // rayon tasks could replace the key of a pool thread that is in the
        // middle of another expansion (a borrow panic when two backends, or
        // nested rayon work, share the pool).
        tfhe::set_server_key(self.hl.clone());
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
            let expanded: Vec<Vec<RadixCiphertext>> = batch
                .iter()
                .enumerate()
                .map(|(i, bytes)| {
                    self.expand(plan, bytes)
                        .map_err(|detail| StatsError::Expand {
                            index: records + i as u64,
                            detail,
                        })
                })
                .collect::<Result<_, _>>()?;
            records += batch.len() as u64;
            let mut tasks = Vec::new();
            // Range checks are PBS-heavy: fold records in parallel, each
            // into its own columns, then move the blocks over.
            let folded: Vec<(Vec<Columns>, Vec<ProductTask<'_>>)> = expanded
                .par_iter()
                .map(|rec| {
                    let mut cols = self.empty(plan);
                    let mut t = Vec::new();
                    self.fold_record(plan, rec, &mut cols, &mut t);
                    (cols, t)
                })
                .collect();
            for (cols, t) in folded {
                for (dst, src) in columns.iter_mut().zip(cols) {
                    for (d, s) in dst.0.iter_mut().zip(src.0) {
                        d.extend(s);
                    }
                }
                tasks.extend(t);
            }
            self.run_products(tasks, &mut columns);
            self.reduce(&mut columns);
        }
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
