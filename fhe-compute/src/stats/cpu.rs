//! The CPU backend: block-level accumulation with deferred carries.
//!
//! Every aggregate is kept as *columns* of 2-bit-message blocks: column `p`
//! holds blocks whose values count 4^p. Adding a record only appends blocks:
//! the field's own blocks for a sum (no PBS), the one-hot block for a
//! category count (no PBS), and for squares and products the base-4 digits
//! of block products, pushed at their columns:
//!
//! - a field only plain sums read, from an unpacked list: nothing per
//!   record. Its raw LWEs are added, block by block, over up to five
//!   records and each sum cast once to its two digits, s mod 4 at the
//!   block's column and ⌊s/4⌋ at the next ([`super::expand`], *sums before
//!   the cast*, with the noise analysis);
//! - a square's diagonal term aᵢ² (aᵢ ≤ 3, so ≤ 9): both digits from one
//!   PBS, a many-LUT (`aᵢ² mod 4` at column 2i, `⌊aᵢ²/4⌋` at 2i+1), which
//!   also gives C(aᵢ, 2) = aᵢ(aᵢ−1)/2 for the correction below;
//! - a *pair term* aᵢ·bⱼ of a square's cross terms (i < j) or of a
//!   product: one many-LUT PBS on the sum s = aᵢ + bⱼ (≤ 6, so two
//!   functions fit one lookup) giving both digits of C(s, 2) (≤ 15:
//!   `C(s,2) mod 4` at column i+j and `⌊C(s,2)/4⌋` at i+j+1) into the
//!   aggregate's *pair columns*. Since C(a+b, 2) = a·b + C(a, 2) + C(b, 2),
//!   the pair columns hold Σ a·b·4^(i+j) plus C(aᵢ, 2)·Σⱼ4^(i+j) for every
//!   block aᵢ (and likewise for bⱼ); each block's C(aᵢ, 2) is also counted
//!   over the records in a small *correction* accumulator of its own
//!   (shared by every aggregate that pairs the field), and once per shard
//!   ([`CpuBackend::finish`]) R = Σᵢ correctionᵢ·4^i is formed per field
//!   and the excess subtracted: R_x·Σ_{j<m}4^j + R_y·Σ_{i<n}4^i for a
//!   product x·y of n- and m-block fields, R_x·Σ_{j<n}4^j − Σᵢ
//!   correctionᵢ·16^i for a square (by adding the two's complement: no
//!   PBS beyond one carry propagation). A square's cross terms are
//!   2·aᵢ·aⱼ: the pair columns count them once and are doubled at the
//!   end, x² = Σ aᵢ²·16^i + 2·Σ_{i<j} aᵢaⱼ·4^(i+j). One PBS and 6 degree
//!   units per pair, where the digits of the product itself take two
//!   bivariate PBS (its inputs 4a + b fill the block, so no many-LUT) and
//!   5 or 6 units;
//! - the corrections of a field a product reads but no square does: one
//!   PBS per block, C(aᵢ, 2);
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
//! (message only) in the top column, whose carry is dropped. A column is
//! reduced only while its blocks would not fit one block, fullest chunks
//! first, so there is no carry propagation until the very end, and memory
//! is O(aggregates × blocks).
//!
//! All arithmetic is modulo 4^blocks: a block pushed above the top column
//! is dropped, and so is the top column's carry. The plan sized each
//! aggregate so that its true value is below 4^blocks, so the result is
//! exact even where an intermediate is not (the pair columns before their
//! correction), and where a clamped field's high blocks (all 0) would land
//! above the top column.
//!
//! Records are expanded only as far as the plan reads them
//! ([`super::expand`]: one PBS per block read, none for entries the job does
//! not use, two per block per five records for a field summed before the
//! cast), the records of a batch in parallel; all PBS of a batch run on
//! rayon's pool. Raw sums wait across batches (in record order, so the
//! bytes are the same wherever the shard runs) and the last, partial ones
//! are cast when the shard ends.

use std::collections::BTreeMap;
use std::time::Instant;

use rayon::prelude::*;
use tfhe::integer::{IntegerCiphertext, RadixCiphertext, ServerKey as IntegerServerKey};
use tfhe::shortint::server_key::{BivariateLookupTableOwned, ManyLookupTableOwned};
use tfhe::shortint::Ciphertext;
use tfhe::CompressedServerKey;

use super::expand::{add_raw, Caster, Expanded, RAW_SUM_MAX};
use super::{
    AggregateKind, Clamp, FieldEntries, Partial, Read, StatsBackend, StatsError, StatsPlan,
};

/// Records expanded and folded together before their columns are reduced.
const BATCH: usize = 8;

/// tfhe's CPU evaluation, see the module documentation.
pub struct CpuBackend {
    /// High-level key: expands compact lists (it holds the casting key).
    hl: tfhe::ServerKey,
    /// PBS (tfhe's process-wide counter, so exact only when nothing else
    /// runs) and nanoseconds spent in [`Self::finish`] so far.
    finishing: (std::sync::atomic::AtomicU64, std::sync::atomic::AtomicU64),
    /// The same key at the integer level, for block operations.
    key: IntegerServerKey,
    /// Casts only the blocks a job reads (`None`: a key set without
    /// dedicated public-key parameters, which campaigns never have; every
    /// expansion then fails).
    caster: Option<Caster>,
    /// (a, f) ↦ a·f of a block and a 0/1 flag (≤ 3).
    lut_masked: BivariateLookupTableOwned,
    /// s = a + b ↦ (C(s,2) mod 4, ⌊C(s,2) / 4⌋), both from one PBS (s ≤ 6).
    lut_pair: ManyLookupTableOwned,
    /// a ↦ C(a, 2) (a ≤ 3), a product's correction.
    lut_choose2: tfhe::shortint::server_key::LookupTableOwned,
    /// (f, g) ↦ [f ≠ 0 ∧ g ≠ 0] (degree 1), for two category flags.
    lut_and: BivariateLookupTableOwned,
    /// a ↦ (a² mod 4, ⌊a² / 4⌋, C(a, 2)), all from one PBS (a ≤ 3).
    lut_square: ManyLookupTableOwned,
    /// s ↦ (s mod 4, ⌊s / 4⌋) for a chunk of degree ≤ 7, from one PBS.
    lut_split: ManyLookupTableOwned,
    /// Largest degree a block holds (message × carry − 1).
    capacity: u64,
    /// Most nominal-noise blocks that may be added before a PBS.
    max_noise: u64,
}

/// One column set: column `p` holds blocks counting 4^p.
type Set = Vec<Vec<Ciphertext>>;

/// One aggregate's columns.
struct Columns {
    /// The aggregate's own columns (for a square: its diagonal terms).
    main: Set,
    /// Squares and products: their pair terms (see the module
    /// documentation); `None` for every other aggregate, and when merging
    /// finished partials.
    pairs: Option<PairTerms>,
}

/// A square's or a product's pair columns.
struct PairTerms {
    /// A square's pair columns count each cross term once: doubled at the end.
    doubled: bool,
    /// Σ C(aᵢ + bⱼ, 2)·4^(i+j), as many columns as the aggregate.
    columns: Set,
    /// What the corrections take away, N = Σ over (entry, t) of
    /// R_entry·Σ_{j<t} 4^j, where R_entry = Σᵢ correctionᵢ·4^i over the
    /// entry's blocks: a product x·y subtracts R_x·Σ_{j<m}4^j +
    /// R_y·Σ_{i<n}4^i (each block aᵢ was paired with all m blocks of y, and
    /// back); a square R_x·Σ_{j<n}4^j, less its blocks' own terms (i = j),
    /// which `spread` adds back.
    minus: Vec<(usize, usize)>,
    /// A square's entry: Σᵢ correctionᵢ·16^i added back (see `minus`).
    spread: Option<usize>,
}

/// Σ C(aᵢ, 2) over the records for one block of a numeric entry that
/// squares or products pair, shared by every aggregate reading it.
struct Correction {
    entry: usize,
    block: usize,
    /// From the entry's square's diagonal lookup (else one PBS per record).
    from_square: bool,
    set: Set,
}

/// Every aggregate's columns and the shared corrections.
struct Acc {
    aggregates: Vec<Columns>,
    corrections: Vec<Correction>,
}

impl Acc {
    /// Every column set, in a fixed order.
    fn sets_mut(&mut self) -> Vec<&mut Set> {
        let mut out = Vec::new();
        for c in &mut self.aggregates {
            out.push(&mut c.main);
            if let Some(p) = &mut c.pairs {
                out.push(&mut p.columns);
            }
        }
        out.extend(self.corrections.iter_mut().map(|c| &mut c.set));
        out
    }
}

impl std::ops::Index<usize> for Acc {
    type Output = Columns;
    fn index(&self, a: usize) -> &Columns {
        &self.aggregates[a]
    }
}

impl std::ops::IndexMut<usize> for Acc {
    fn index_mut(&mut self, a: usize) -> &mut Columns {
        &mut self.aggregates[a]
    }
}

/// Appends a block at column `col` of a set, dropped above the top column
/// (arithmetic is modulo 4^columns, see the module documentation).
fn push(set: &mut Set, col: usize, block: Ciphertext) {
    if let Some(c) = set.get_mut(col) {
        c.push(block);
    }
}

/// Appends a clean radix value's blocks to a set from column `offset` on
/// (the value times 4^offset), dropped above the top column.
fn push_radix(set: &mut Set, offset: usize, value: &RadixCiphertext) {
    for (k, b) in value.blocks().iter().enumerate() {
        push(set, offset + k, b.clone());
    }
}

/// Where one output block of a product task goes.
#[derive(Clone, Copy)]
enum Dest {
    /// The aggregate's own columns, at a column.
    Main(usize),
    /// Its pair columns, at a column.
    Pairs(usize),
    /// Column 0 of the correction of that index in [`Acc::corrections`].
    Correction(usize),
}

/// A block product to compute and where its outputs go (`dests[k]` for
/// the operation's k-th output; outputs without a destination are dropped).
struct ProductTask<'a> {
    aggregate: usize,
    op: ProductOp<'a>,
    dests: Vec<Dest>,
}

enum ProductOp<'a> {
    /// a² of one block and C(a, 2) (one many-LUT PBS, three outputs).
    Square(&'a Ciphertext),
    /// The digits of C(a + b, 2) of two blocks (one many-LUT PBS).
    Pair(&'a Ciphertext, &'a Ciphertext),
    /// C(a, 2) of one block (one PBS).
    Choose2(&'a Ciphertext),
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
        let lut_masked = sk.generate_lookup_table_bivariate(move |a, b| (a * b) % msg);
        let lut_and = sk.generate_lookup_table_bivariate(|a, b| u64::from(a != 0 && b != 0));
        let choose2 = |a: u64| a * a.saturating_sub(1) / 2;
        // Many-LUTs are defined on more inputs than their operands take:
        // defining the functions as 0 there keeps the output degrees those
        // of real inputs. The square's operands are clean blocks (≤ 3; three
        // functions allow inputs up to 4): digits of degree 1 and 2, and
        // C(a, 2) ≤ 3.
        let clean = move |a: u64| if a < msg { a } else { 0 };
        let square_low = move |a: u64| clean(a).pow(2) % msg;
        let square_high = move |a: u64| clean(a).pow(2) / msg;
        let square_choose2 = move |a: u64| choose2(clean(a));
        let lut_square =
            sk.generate_many_lookup_table(&[&square_low, &square_high, &square_choose2]);
        // A pair's operand is the sum of two clean blocks (≤ 6; two
        // functions allow inputs up to 7): C(s, 2) ≤ 15, digits ≤ 3.
        let pair_sum = move |s: u64| if s <= 2 * (msg - 1) { choose2(s) } else { 0 };
        let pair_low = move |s: u64| pair_sum(s) % msg;
        let pair_high = move |s: u64| pair_sum(s) / msg;
        let lut_pair = sk.generate_many_lookup_table(&[&pair_low, &pair_high]);
        let lut_choose2 = sk.generate_lookup_table(move |a| choose2(clean(a)));
        let split_low = move |s: u64| s % msg;
        let split_high = move |s: u64| s / msg;
        let lut_split = sk.generate_many_lookup_table(&[&split_low, &split_high]);
        let caster = cast_material.map(Caster::new);
        let capacity = msg * sk.carry_modulus.0 - 1;
        let max_noise = sk.max_noise_level.get();
        Self {
            hl,
            finishing: Default::default(),
            key,
            caster,
            lut_masked,
            lut_pair,
            lut_choose2,
            lut_and,
            lut_square,
            lut_split,
            capacity,
            max_noise,
        }
    }

    /// The casting key and the compute key (the engine's noise test).
    #[cfg(test)]
    pub(crate) fn caster_and_key(&self) -> (&Caster, &tfhe::shortint::ServerKey) {
        (
            self.caster.as_ref().expect("a casting key"),
            self.shortint(),
        )
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

    /// Empty columns for the plan's aggregates, with the pair columns and
    /// corrections its squares and products need.
    fn empty(&self, plan: &StatsPlan) -> Acc {
        let numeric = |field: &str| match plan.field(field) {
            Some(FieldEntries::Numeric { entry, bits, .. }) => Some((
                *entry,
                bits.div_ceil(self.shortint().message_modulus.0.ilog2()) as usize,
            )),
            _ => None,
        };
        // A correction counts at most C(3, 2) = 3 per record.
        let width = super::blocks_for(3 * u128::from(plan.max_records)) as usize;
        let squared: Vec<usize> = plan
            .aggregates
            .iter()
            .filter_map(|a| match &a.kind {
                AggregateKind::SumOfSquares { field } => numeric(field).map(|(e, _)| e),
                _ => None,
            })
            .collect();
        let mut corrections: Vec<Correction> = Vec::new();
        let mut correction = |entry: usize, block: usize| {
            let found = corrections
                .iter()
                .position(|c| c.entry == entry && c.block == block);
            found.unwrap_or_else(|| {
                corrections.push(Correction {
                    entry,
                    block,
                    from_square: squared.contains(&entry),
                    set: vec![Vec::new(); width],
                });
                corrections.len() - 1
            })
        };
        let mut aggregates = Vec::with_capacity(plan.aggregates.len());
        for a in &plan.aggregates {
            let set = || vec![Vec::new(); a.blocks as usize];
            let mut minus = Vec::new();
            let mut spread = None;
            let doubled = match &a.kind {
                AggregateKind::SumOfSquares { field } => {
                    let (e, n) = numeric(field).unwrap_or_default();
                    // A one-block square has no pairs, nothing to correct.
                    if n > 1 {
                        (0..n).for_each(|i| {
                            correction(e, i);
                        });
                        minus.push((e, n));
                        spread = Some(e);
                    }
                    Some(true)
                }
                AggregateKind::Product { left, right } => {
                    let (l, n) = numeric(left).unwrap_or_default();
                    let (r, m) = numeric(right).unwrap_or_default();
                    (0..n).for_each(|i| {
                        correction(l, i);
                    });
                    (0..m).for_each(|j| {
                        correction(r, j);
                    });
                    minus.extend([(l, m), (r, n)]);
                    Some(false)
                }
                _ => None,
            };
            aggregates.push(Columns {
                main: set(),
                pairs: doubled.map(|doubled| PairTerms {
                    doubled,
                    columns: set(),
                    minus,
                    spread,
                }),
            });
        }
        Acc {
            aggregates,
            corrections,
        }
    }

    /// Empty columns without pair terms (for merging finished partials).
    fn empty_main(&self, plan: &StatsPlan) -> Acc {
        let aggregates = plan
            .aggregates
            .iter()
            .map(|a| Columns {
                main: vec![Vec::new(); a.blocks as usize],
                pairs: None,
            })
            .collect();
        Acc {
            aggregates,
            corrections: Vec::new(),
        }
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
        columns: &mut Acc,
        tasks: &mut Vec<ProductTask<'a>>,
    ) {
        let value = |entry: usize| clamped[entry].as_ref().or(record[entry].as_ref());
        let numeric = |name: &str| match plan.field(name) {
            Some(FieldEntries::Numeric { entry, .. }) => value(*entry),
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
                            push(&mut columns[a].main, i, b.clone());
                        }
                    }
                }
                AggregateKind::SumOfSquares { field } => {
                    if let Some(x) = numeric(field) {
                        let bl = x.blocks();
                        // Its blocks' corrections (shared with the
                        // field's products; none for a lone block no
                        // product reads).
                        let entry = match plan.field(field) {
                            Some(FieldEntries::Numeric { entry, .. }) => Some(*entry),
                            _ => None,
                        };
                        let correction = |i: usize| {
                            let at = |c: &Correction| Some(c.entry) == entry && c.block == i;
                            columns.corrections.iter().position(at)
                        };
                        for i in 0..bl.len() {
                            let mut dests = vec![Dest::Main(2 * i), Dest::Main(2 * i + 1)];
                            dests.extend(correction(i).map(Dest::Correction));
                            tasks.push(ProductTask {
                                aggregate: a,
                                op: ProductOp::Square(&bl[i]),
                                dests,
                            });
                            for j in i + 1..bl.len() {
                                tasks.push(ProductTask {
                                    aggregate: a,
                                    op: ProductOp::Pair(&bl[i], &bl[j]),
                                    dests: vec![Dest::Pairs(i + j), Dest::Pairs(i + j + 1)],
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
                                    op: ProductOp::Pair(l, r),
                                    dests: vec![Dest::Pairs(i + j), Dest::Pairs(i + j + 1)],
                                });
                            }
                        }
                    }
                }
                AggregateKind::CategoryCount { field, category } => {
                    if let Some(f) = flag(plan.category_entry(field, category)) {
                        push(&mut columns[a].main, 0, f.clone());
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
                            op: ProductOp::And(f, g),
                            dests: vec![Dest::Main(0)],
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
                                op: ProductOp::Masked(b, f),
                                dests: vec![Dest::Main(i)],
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
                            push(&mut columns[a].main, 0, flag.into_raw_parts());
                        }
                    }
                }
            }
        }
        // Corrections no square supplies (a product's field without its
        // square): one PBS per block, once for all the products reading it.
        for (k, c) in columns.corrections.iter().enumerate() {
            if let (false, Some(x)) = (c.from_square, value(c.entry)) {
                tasks.push(ProductTask {
                    aggregate: 0,
                    op: ProductOp::Choose2(&x.blocks()[c.block]),
                    dests: vec![Dest::Correction(k)],
                });
            }
        }
    }

    /// Computes the product tasks and appends their outputs.
    fn run_products(&self, tasks: Vec<ProductTask<'_>>, acc: &mut Acc) {
        let sk = self.shortint();
        // Operands are clean blocks (≤ 3) or flags (≤ 1): l·4 + r fits the
        // block, and the noise of 4·l + r is the bound (5); l + r ≤ 6 fits
        // the two-function many-LUT, with noise 2.
        let one = |l: &Ciphertext, r: &Ciphertext, lut: &BivariateLookupTableOwned| {
            sk.unchecked_apply_lookup_table_bivariate(l, r, lut)
        };
        let outputs: Vec<(usize, Vec<Dest>, Vec<Ciphertext>)> = tasks
            .into_par_iter()
            .map(|t| {
                let out = match t.op {
                    ProductOp::Square(x) => sk.apply_many_lookup_table(x, &self.lut_square),
                    ProductOp::Pair(l, r) => {
                        let mut s = l.clone();
                        sk.unchecked_add_assign(&mut s, r);
                        sk.apply_many_lookup_table(&s, &self.lut_pair)
                    }
                    ProductOp::Choose2(x) => vec![sk.apply_lookup_table(x, &self.lut_choose2)],
                    // a·f ≤ 3: one digit.
                    ProductOp::Masked(l, f) => vec![one(l, f, &self.lut_masked)],
                    ProductOp::And(f, g) => vec![one(f, g, &self.lut_and)],
                };
                (t.aggregate, t.dests, out)
            })
            .collect();
        for (a, dests, out) in outputs {
            for (dest, block) in dests.into_iter().zip(out) {
                match dest {
                    Dest::Main(c) => push(&mut acc[a].main, c, block),
                    Dest::Pairs(c) => {
                        if let Some(p) = &mut acc[a].pairs {
                            push(&mut p.columns, c, block);
                        }
                    }
                    Dest::Correction(k) => push(&mut acc.corrections[k].set, 0, block),
                }
            }
        }
    }

    /// Casts raw sums of blocks (entry, block of the entry, the records'
    /// LWEs added, how many records) into the columns of every plain sum of
    /// the entry: the sum's low digit at the block's column, its carry at
    /// the next (see [`Caster::cast_sum`]).
    fn cast_sums(
        &self,
        plan: &StatsPlan,
        sums: Vec<(usize, usize, Vec<u64>, u64)>,
        acc: &mut Acc,
    ) -> Result<(), StatsError> {
        if sums.is_empty() {
            return Ok(());
        }
        let caster = self.caster.as_ref().ok_or_else(|| StatsError::Expand {
            index: 0,
            detail: "the evaluation key has no casting key for the public-key parameters".into(),
        })?;
        let sk = self.shortint();
        let cast: Vec<(usize, usize, Ciphertext, Option<Ciphertext>)> = sums
            .into_par_iter()
            .map(|(entry, block, sum, n)| {
                let (m, carry) = caster.cast_sum(sk, sum, n);
                (entry, block, m, carry)
            })
            .collect();
        for (entry, block, m, carry) in cast {
            for (a, spec) in plan.aggregates.iter().enumerate() {
                let AggregateKind::Sum { field } = &spec.kind else {
                    continue;
                };
                if !matches!(plan.field(field), Some(FieldEntries::Numeric { entry: e, .. }) if *e == entry)
                {
                    continue;
                }
                push(&mut acc[a].main, block, m.clone());
                if let Some(c) = &carry {
                    push(&mut acc[a].main, block + 1, c.clone());
                }
            }
        }
        Ok(())
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
        columns: &mut Acc,
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
            push(&mut columns[a_lo].main, 0, m);
            if let Some(carry) = carry {
                push(&mut columns[a_hi].main, 0, carry);
            }
        }
    }

    /// Reduces every column until its blocks fit one block (see the module
    /// documentation), splitting chunks into message and carry blocks.
    fn reduce(&self, acc: &mut Acc) {
        self.reduce_sets(&mut acc.sets_mut());
    }

    /// [`Self::reduce`] over column sets.
    fn reduce_sets(&self, sets: &mut [&mut Set]) {
        loop {
            let mut work: Vec<(usize, usize, Vec<Ciphertext>)> = Vec::new();
            for (s, set) in sets.iter_mut().enumerate() {
                for (c, col) in set.iter_mut().enumerate() {
                    while !self.fits(col.iter()) {
                        match self.take_chunk(col) {
                            Some(chunk) => work.push((s, c, chunk)),
                            None => break,
                        }
                    }
                }
            }
            if work.is_empty() {
                return;
            }
            let tops: Vec<usize> = sets.iter().map(|s| s.len() - 1).collect();
            let out: Vec<(usize, usize, Ciphertext, Option<Ciphertext>)> = work
                .into_par_iter()
                .map(|(s, c, chunk)| {
                    let sum = self.sum(chunk);
                    // The top column's carry is dropped (modulo 4^columns).
                    let (m, carry) = self.split(&sum, c == tops[s]);
                    (s, c, m, carry)
                })
                .collect();
            for (s, c, m, carry) in out {
                sets[s][c].push(m);
                if let Some(carry) = carry {
                    sets[s][c + 1].push(carry);
                }
            }
        }
    }

    /// One reduced column set as a clean radix ciphertext (one carry
    /// propagation).
    fn radix(&self, set: Set) -> RadixCiphertext {
        let blocks: Vec<Ciphertext> = set.into_iter().map(|col| self.sum(col)).collect();
        let mut radix = RadixCiphertext::from_blocks(blocks);
        self.key.full_propagate_parallelized(&mut radix);
        radix
    }

    /// Turns reduced columns into clean radix ciphertexts (one carry
    /// propagation per aggregate; squares and products also subtract their
    /// corrections from their pair columns, see the module documentation).
    fn finish(&self, acc: Acc, records: u64) -> Partial {
        use std::sync::atomic::Ordering::Relaxed;
        let (pbs, start) = (tfhe::shortint::server_key::get_pbs_count(), Instant::now());
        let partial = self.finish_uncounted(acc, records);
        let pbs = tfhe::shortint::server_key::get_pbs_count().saturating_sub(pbs);
        self.finishing.0.fetch_add(pbs, Relaxed);
        let nanos = u64::try_from(start.elapsed().as_nanos()).unwrap_or(u64::MAX);
        self.finishing.1.fetch_add(nanos, Relaxed);
        partial
    }

    /// [`Self::finish`] without the counting.
    fn finish_uncounted(&self, acc: Acc, records: u64) -> Partial {
        // Each correction clean, then per entry R = Σᵢ correctionᵢ·4^i.
        let corrections: Vec<(usize, usize, RadixCiphertext)> = acc
            .corrections
            .into_par_iter()
            .map(|c| (c.entry, c.block, self.radix(c.set)))
            .collect();
        let mut entries: Vec<usize> = corrections.iter().map(|(e, ..)| *e).collect();
        entries.sort_unstable();
        entries.dedup();
        let spread: BTreeMap<usize, RadixCiphertext> = entries
            .into_par_iter()
            .map(|e| {
                let mine = corrections.iter().filter(|(x, ..)| *x == e);
                let width = mine
                    .clone()
                    .map(|(_, i, q)| i + q.blocks().len())
                    .max()
                    .unwrap_or(1);
                let mut set: Set = vec![Vec::new(); width];
                for (_, i, q) in mine {
                    push_radix(&mut set, *i, q);
                }
                self.reduce_sets(&mut [&mut set]);
                (e, self.radix(set))
            })
            .collect();
        let values = acc
            .aggregates
            .into_par_iter()
            .map(|cols| {
                let Some(pairs) = cols.pairs else {
                    return self.radix(cols.main);
                };
                let width = cols.main.len();
                // N (see `PairTerms::minus`), clean.
                let mut subtract: Set = vec![Vec::new(); width];
                for (e, times) in &pairs.minus {
                    for j in 0..*times {
                        push_radix(&mut subtract, j, &spread[e]);
                    }
                }
                self.reduce_sets(&mut [&mut subtract]);
                let subtract = self.radix(subtract);
                // T − N = T + (4^width − 1 − N) + 1 modulo 4^width: N's
                // blocks complemented (3 − b, no PBS) and a 1 added to the
                // pair columns; a square's own blocks' terms added back.
                let mut pair = pairs.columns;
                for (c, b) in subtract.blocks().iter().enumerate() {
                    pair[c].push(self.shortint().bitnot(b));
                }
                pair[0].push(self.shortint().create_trivial(1));
                if let Some(e) = pairs.spread {
                    for (_, i, q) in corrections.iter().filter(|(x, ..)| *x == e) {
                        push_radix(&mut pair, 2 * i, q);
                    }
                }
                self.reduce_sets(&mut [&mut pair]);
                let products = self.radix(pair);
                if !pairs.doubled {
                    // A product: no diagonal terms.
                    return products;
                }
                // A square's cross terms twice, with its diagonal terms.
                let mut main = cols.main;
                push_radix(&mut main, 0, &products);
                push_radix(&mut main, 0, &products);
                self.reduce_sets(&mut [&mut main]);
                self.radix(main)
            })
            .collect();
        Partial { records, values }
    }
}

impl StatsBackend for CpuBackend {
    fn name(&self) -> &'static str {
        "cpu"
    }

    fn finishing(&self) -> Option<(u64, std::time::Duration)> {
        use std::sync::atomic::Ordering::Relaxed;
        Some((
            self.finishing.0.load(Relaxed),
            std::time::Duration::from_nanos(self.finishing.1.load(Relaxed)),
        ))
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
        // Raw sums of blocks waiting to be cast, by (entry, block): the sum
        // of the records' LWEs and how many records it holds.
        let mut raw: BTreeMap<(usize, usize), (Vec<u64>, u64)> = BTreeMap::new();
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
            let mut expanded: Vec<Expanded> = batch
                .par_iter()
                .enumerate()
                .map(expand)
                .collect::<Result<_, _>>()?;
            records += batch.len() as u64;
            // Raw blocks join their sums in record order; a sum of
            // RAW_SUM_MAX records is cast.
            let mut full = Vec::new();
            for rec in &mut expanded {
                for (entry, block, lwe) in std::mem::take(&mut rec.raw) {
                    let (sum, n) = raw
                        .entry((entry, block))
                        .or_insert_with(|| (vec![0; lwe.len()], 0));
                    add_raw(sum, &lwe);
                    *n += 1;
                    if *n == RAW_SUM_MAX {
                        let (sum, n) = raw.remove(&(entry, block)).expect("present");
                        full.push((entry, block, sum, n));
                    }
                }
            }
            let mut tasks = Vec::new();
            // Clamps and range checks are PBS-heavy: clamp and fold
            // records in parallel, each into its own columns, then move the
            // blocks over.
            let clamped: Vec<Vec<Option<RadixCiphertext>>> = expanded
                .par_iter()
                .map(|rec| self.clamp_record(&clamps, &rec.entries))
                .collect();
            let folded: Vec<(Acc, Vec<ProductTask<'_>>)> = expanded
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
            for (mut cols, t) in folded {
                for (d, s) in columns.sets_mut().into_iter().zip(cols.sets_mut()) {
                    for (d, s) in d.iter_mut().zip(s.drain(..)) {
                        d.extend(s);
                    }
                }
                tasks.extend(t);
            }
            self.run_products(tasks, &mut columns);
            self.cast_sums(plan, full, &mut columns)?;
            self.split_pairs(plan, &mut pairs, &mut columns, false);
            self.reduce(&mut columns);
        }
        let rest = std::mem::take(&mut raw)
            .into_iter()
            .map(|((entry, block), (sum, n))| (entry, block, sum, n))
            .collect();
        self.cast_sums(plan, rest, &mut columns)?;
        self.split_pairs(plan, &mut pairs, &mut columns, true);
        self.reduce(&mut columns);
        Ok(self.finish(columns, records))
    }

    fn merge(&self, plan: &StatsPlan, partials: &[Partial]) -> Result<Partial, StatsError> {
        let mut columns = self.empty_main(plan);
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
            for (cols, v) in columns.aggregates.iter_mut().zip(&p.values) {
                if v.blocks().len() != cols.main.len() {
                    return Err(StatsError::PartialMismatch(
                        "an aggregate has the wrong number of blocks".into(),
                    ));
                }
                for (col, b) in cols.main.iter_mut().zip(v.blocks()) {
                    col.push(b.clone());
                }
            }
            self.reduce(&mut columns);
        }
        Ok(self.finish(columns, records))
    }
}
