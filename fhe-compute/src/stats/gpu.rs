//! The CUDA backend (`gpu` feature): tfhe's GPU integer operations.
//!
//! Lists are expanded on the GPU (keyswitch + PBS there), each record's
//! terms are formed there (products by tfhe's GPU multiplication at the
//! narrowest width that holds them, then widened), and each aggregate is
//! accumulated with tfhe's multi-operand GPU sum over a batch of records at
//! a time. Accumulators are 64-bit (128-bit when a plan needs more than 32
//! blocks); at the end they are copied back and cut to the plan's block
//! count (the plan's bound guarantees the cut blocks encrypt zero), so the
//! partials are the same CPU ciphertexts the CPU backend produces and merge
//! with them. Merging (a handful of aggregates) runs on the CPU backend.

use tfhe::integer::{IntegerCiphertext, RadixCiphertext};
use tfhe::prelude::*;
use tfhe::{
    CompressedServerKey, CudaServerKey, FheBool, FheUint, FheUint128Id, FheUint16, FheUint32,
    FheUint64, FheUint64Id, FheUintId,
};

use super::cpu::CpuBackend;
use super::{
    expand_entries, AggregateKind, Entry, FieldEntries, Partial, StatsBackend, StatsError,
    StatsPlan,
};

/// Records whose terms are summed in one multi-operand GPU sum.
const BATCH: usize = 64;

/// tfhe's CUDA evaluation, see the module documentation.
pub struct GpuBackend {
    key: CudaServerKey,
    cpu: CpuBackend,
}

impl Entry {
    fn widen<Id: FheUintId>(&self) -> FheUint<Id> {
        match self {
            Self::U2(x) => FheUint::cast_from(x.clone()),
            Self::U8(x) => FheUint::cast_from(x.clone()),
            Self::U16(x) => FheUint::cast_from(x.clone()),
            Self::U32(x) => FheUint::cast_from(x.clone()),
        }
    }
}

/// x·y at the narrowest width holding it (bits(x)+bits(y)), widened to the accumulator.
fn product<A: FheUintId>(x: &Entry, y: &Entry, bits: u32) -> FheUint<A> {
    if bits <= 16 {
        let (a, b): (FheUint16, FheUint16) = (x.widen(), y.widen());
        FheUint::cast_from(&a * &b)
    } else if bits <= 32 {
        let (a, b): (FheUint32, FheUint32) = (x.widen(), y.widen());
        FheUint::cast_from(&a * &b)
    } else {
        let (a, b): (FheUint64, FheUint64) = (x.widen(), y.widen());
        FheUint::cast_from(&a * &b)
    }
}

impl GpuBackend {
    /// Decompresses the evaluation key onto the GPU (and on the CPU, for merges).
    pub fn new(server_key: &CompressedServerKey) -> Self {
        Self {
            key: server_key.decompress_to_gpu(),
            cpu: CpuBackend::new(server_key),
        }
    }

    /// The terms one record adds to each aggregate, in plan order. Sums and
    /// products read a numeric entry from `clamped` where it is there
    /// (clamped to its declared range), range checks always from `rec`.
    fn terms<A: FheUintId>(
        &self,
        plan: &StatsPlan,
        rec: &[Entry],
        clamped: &[Option<Entry>],
    ) -> Vec<Option<FheUint<A>>> {
        let numeric = |name: &str| match plan.field(name) {
            Some(FieldEntries::Numeric { entry, bits, .. }) => {
                Some((clamped[*entry].as_ref().unwrap_or(&rec[*entry]), *bits))
            }
            _ => None,
        };
        // Whether a category entry is not 0 (counted once, the plan's bound).
        let flag = |entry: Option<usize>| {
            entry.map(|e| {
                let x: FheUint64 = rec[e].widen();
                x.gt(0u64)
            })
        };
        plan.aggregates
            .iter()
            .map(|spec| match &spec.kind {
                AggregateKind::Sum { field } => numeric(field).map(|(x, _)| x.widen()),
                AggregateKind::SumOfSquares { field } => {
                    numeric(field).map(|(x, bits)| product(x, x, 2 * bits))
                }
                AggregateKind::Product { left, right } => match (numeric(left), numeric(right)) {
                    (Some((x, bx)), Some((y, by))) => Some(product(x, y, bx + by)),
                    _ => None,
                },
                AggregateKind::CategoryCount { field, category } => {
                    flag(plan.category_entry(field, category)).map(FheUint::cast_from)
                }
                AggregateKind::CrossCount {
                    rows,
                    row,
                    columns,
                    column,
                } => match (
                    flag(plan.category_entry_at(rows, *row)),
                    flag(plan.category_entry_at(columns, *column)),
                ) {
                    (Some(f), Some(g)) => Some(FheUint::cast_from(f & g)),
                    _ => None,
                },
                AggregateKind::GroupSum {
                    field,
                    by,
                    category,
                } => match (numeric(field), flag(plan.category_entry(by, category))) {
                    (Some((x, _)), Some(f)) => {
                        let zero = FheUint::<A>::encrypt_trivial(0u64);
                        Some(f.if_then_else(&x.widen(), &zero))
                    }
                    _ => None,
                },
                AggregateKind::OutOfRange { field } => match plan.field(field) {
                    Some(FieldEntries::Numeric {
                        entry,
                        bits,
                        range: Some((lo, hi)),
                    }) => {
                        let x: FheUint64 = rec[*entry].widen();
                        let width_max = (1u64 << bits) - 1;
                        let below = (*lo > 0).then(|| x.lt(*lo));
                        let above = (*hi < width_max).then(|| x.gt(*hi));
                        let flag: Option<FheBool> = match (below, above) {
                            (Some(b), Some(a)) => Some(b | a),
                            (b, a) => b.or(a),
                        };
                        flag.map(FheUint::cast_from)
                    }
                    _ => None,
                },
            })
            .collect()
    }

    fn run<A: FheUintId>(
        &self,
        plan: &StatsPlan,
        lists: &mut dyn Iterator<Item = Vec<u8>>,
    ) -> Result<Partial, StatsError> {
        tfhe::set_server_key(self.key.clone());
        let mut acc: Vec<Option<FheUint<A>>> = plan.aggregates.iter().map(|_| None).collect();
        let mut records = 0u64;
        let clamps = plan.clamps();
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
            let mut terms: Vec<Vec<FheUint<A>>> =
                plan.aggregates.iter().map(|_| Vec::new()).collect();
            for (i, bytes) in batch.iter().enumerate() {
                let rec = expand_entries(plan, bytes).map_err(|detail| StatsError::Expand {
                    index: records + i as u64,
                    detail,
                })?;
                let mut clamped: Vec<Option<Entry>> = rec.iter().map(|_| None).collect();
                for c in &clamps {
                    clamped[c.entry] = Some(rec[c.entry].clamp(c));
                }
                for (a, t) in self
                    .terms::<A>(plan, &rec, &clamped)
                    .into_iter()
                    .enumerate()
                {
                    terms[a].extend(t);
                }
            }
            records += batch.len() as u64;
            for (a, mut t) in terms.into_iter().enumerate() {
                if let Some(prev) = acc[a].take() {
                    t.push(prev);
                }
                if !t.is_empty() {
                    acc[a] = Some(t.iter().sum());
                }
            }
        }
        let sk: &tfhe::shortint::ServerKey = self.cpu.integer_key().as_ref();
        let values = plan
            .aggregates
            .iter()
            .zip(acc)
            .map(|(spec, v)| {
                let k = spec.blocks as usize;
                match v {
                    Some(v) => {
                        let (radix, ..) = v.into_raw_parts();
                        // Blocks above `k` encrypt zero by the plan's bound.
                        RadixCiphertext::from_blocks(radix.blocks()[..k].to_vec())
                    }
                    None => {
                        RadixCiphertext::from_blocks((0..k).map(|_| sk.create_trivial(0)).collect())
                    }
                }
            })
            .collect();
        Ok(Partial { records, values })
    }
}

impl StatsBackend for GpuBackend {
    fn name(&self) -> &'static str {
        "gpu"
    }

    fn aggregate(
        &self,
        plan: &StatsPlan,
        lists: &mut dyn Iterator<Item = Vec<u8>>,
    ) -> Result<Partial, StatsError> {
        if plan.aggregates.iter().all(|a| a.blocks <= 32) {
            self.run::<FheUint64Id>(plan, lists)
        } else {
            self.run::<FheUint128Id>(plan, lists)
        }
    }

    fn merge(&self, plan: &StatsPlan, partials: &[Partial]) -> Result<Partial, StatsError> {
        self.cpu.merge(plan, partials)
    }
}
