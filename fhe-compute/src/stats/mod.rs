//! The homomorphic statistics engine.
//!
//! A [`StatsPlan`] turns a campaign schema, the statistics it sells and the
//! most contributions it can ever accept into a list of encrypted
//! *aggregates*: sums, sums of squares, products of two fields (XᵀX, Xᵀy),
//! category counts (histograms), out-of-range counts, contingency-table
//! cells (crosstabs) and per-category sums (group sums). Each aggregate is a
//! radix ciphertext of just enough 2-bit blocks that it cannot overflow for
//! that many contributions ([`AggregateSpec::blocks`]).
//!
//! A [`StatsBackend`] folds a stream of stored contribution lists into a
//! [`Partial`] (the aggregates of a shard, encrypted) and merges partials;
//! the keyholder decrypts a final partial with [`decrypt_partial`]. Records
//! are never decrypted: only the aggregates, and only by the keyholder.
//!
//! Backends: [`cpu::CpuBackend`] (always) and, with the `gpu` cargo feature,
//! `gpu::GpuBackend` (tfhe's CUDA backend). Both produce partials in the
//! same (CPU) serialized form, so shards computed on either merge.

#[cfg(feature = "keyholder")]
pub mod bench;
pub mod cpu;
mod expand;
#[cfg(feature = "gpu")]
pub mod gpu;

use protocol::schema::{FieldKind, Statistic};
use protocol::CampaignSchema;
use serde::{Deserialize, Serialize};
use tfhe::conformance::ParameterSetConformant;
use tfhe::integer::{IntegerCiphertext, RadixCiphertext};
use tfhe::safe_serialization::{safe_deserialize, safe_serialize};
use tfhe::shortint::ciphertext::NoiseLevel;
use tfhe::shortint::parameters::CiphertextConformanceParams;
use tfhe::shortint::Ciphertext;

use tfhe::prelude::CiphertextList;
use tfhe::{FheUint16, FheUint2, FheUint32, FheUint8, ProvenCompactCiphertextList};

use crate::contribution::max_list_bytes;
use crate::keys::FheError;

/// Most contributions a plan can be sized for (keeps every aggregate within
/// 128 bits: a 32-bit square is < 2⁶⁴, times 2³² records is < 2⁹⁶).
pub const MAX_PLAN_RECORDS: u64 = 1 << 32;

/// Largest serialized block accepted (a 2-bit block is ~16 KB).
const BLOCK_LIMIT: u64 = 1 << 20;

/// Why a plan, a partial or an aggregation failed.
#[derive(Debug, thiserror::Error)]
pub enum StatsError {
    /// The statistics asked for do not fit the schema.
    #[error("statistics do not fit the schema: {0}")]
    Schema(#[from] protocol::SchemaError),
    /// The plan's record bound is out of range.
    #[error("a plan must allow between 1 and {MAX_PLAN_RECORDS} contributions, got {0}")]
    RecordBound(u64),
    /// More records were aggregated than the plan allows: the sums could overflow.
    #[error("more than the plan's {max} contributions were aggregated")]
    TooManyRecords {
        /// The plan's bound.
        max: u64,
    },
    /// A stored list could not be expanded (corrupt, other parameters, other layout).
    #[error("contribution {index} of the batch cannot be expanded: {detail}")]
    Expand {
        /// Position in the stream.
        index: u64,
        /// Why.
        detail: String,
    },
    /// A partial does not match the plan.
    #[error("partial aggregates do not match the plan: {0}")]
    PartialMismatch(String),
    /// tfhe or serialization failure.
    #[error(transparent)]
    Fhe(#[from] FheError),
}

/// One encrypted aggregate a plan computes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AggregateKind {
    /// Σ x over the records, for a numeric field.
    Sum {
        /// Field name.
        field: String,
    },
    /// Σ x², the squares computed homomorphically from the field itself.
    SumOfSquares {
        /// Field name.
        field: String,
    },
    /// Σ x·y of two distinct numeric fields (an XᵀX off-diagonal or Xᵀy entry).
    Product {
        /// First field.
        left: String,
        /// Second field.
        right: String,
    },
    /// Number of records in one category of a categorical field: records
    /// whose entry for it is not 0 (a modified client's entry of 2 or 3
    /// counts once).
    CategoryCount {
        /// Field name.
        field: String,
        /// Category label.
        category: String,
    },
    /// Number of records whose value lies outside the field's declared range.
    OutOfRange {
        /// Field name.
        field: String,
    },
    /// A contingency-table cell: the number of records in category `row`
    /// of `rows` and category `column` of `columns` (both entries not 0;
    /// categories by index in the schema's order).
    CrossCount {
        /// Categorical field of the rows.
        rows: String,
        /// Index of the row's category.
        row: usize,
        /// Categorical field of the columns.
        columns: String,
        /// Index of the column's category.
        column: usize,
    },
    /// Σ `field` over the records in `category` of `by` (entry not 0).
    GroupSum {
        /// Numeric field summed.
        field: String,
        /// Categorical field of the groups.
        by: String,
        /// The group's category label.
        category: String,
    },
}

impl AggregateKind {
    /// A stable short name (`sum:age`, `product:age:income`, ...).
    pub fn key(&self) -> String {
        match self {
            Self::Sum { field } => format!("sum:{field}"),
            Self::SumOfSquares { field } => format!("sum_of_squares:{field}"),
            Self::Product { left, right } => format!("product:{left}:{right}"),
            Self::CategoryCount { field, category } => format!("count:{field}:{category}"),
            Self::OutOfRange { field } => format!("out_of_range:{field}"),
            // Indexes, not labels: two free-text labels in one key could
            // not be told apart.
            Self::CrossCount {
                rows,
                row,
                columns,
                column,
            } => format!("crosstab:{rows}:{columns}:{row}:{column}"),
            Self::GroupSum {
                field,
                by,
                category,
            } => format!("group_sum:{field}:{by}:{category}"),
        }
    }
}

/// One aggregate with its bound.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AggregateSpec {
    /// What is aggregated.
    #[serde(flatten)]
    pub kind: AggregateKind,
    /// Largest value the aggregate can reach over the plan's records.
    pub max_value: u128,
    /// Radix blocks (2 bits each) of the accumulator: the fewest with
    /// 4^blocks > max_value, so no sum can overflow.
    pub blocks: u32,
    /// The L1 sensitivity of the aggregate: how much one record can change it.
    pub sensitivity: u128,
}

/// How a plan reads one entry of a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Read {
    /// Not at all: the entry is not expanded.
    No,
    /// Its value (numeric fields).
    Value,
    /// Its value, for plain sums only (a numeric field no other aggregate
    /// reads, not clamped): from an unpacked list the engine adds the raw
    /// LWEs of up to five records before casting them (see [`expand`]);
    /// from a packed one it is read as [`Read::Value`].
    Summed,
    /// Whether it is not 0 (a category entry, counted).
    Flag,
    /// Whether it is not 0, as a block of its own (a category entry a
    /// crosstab or a group sum multiplies; never packed with another).
    FlagAlone,
}

/// How one field's values sit in a record's list of entries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum FieldEntries {
    /// Entry index and width.
    Numeric {
        entry: usize,
        bits: u32,
        range: Option<(u64, u64)>,
    },
    /// First entry index and number of categories (one 2-bit entry each).
    Categorical {
        first: usize,
        categories: Vec<String>,
    },
}

/// What a job computes over a campaign's contributions. Deterministic: the
/// same schema, statistics and bound always give the same plan, so a job
/// stores those three and every worker rebuilds the plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatsPlan {
    /// The most contributions this plan may aggregate (its overflow bound).
    pub max_records: u64,
    /// Entry widths of one record, as the contribution lists carry them.
    pub layout: Vec<u32>,
    /// The aggregates, in a fixed order (partials store them in this order).
    pub aggregates: Vec<AggregateSpec>,
    /// Field names and where their entries sit.
    fields: Vec<(String, FieldEntries)>,
}

fn blocks_for(max_value: u128) -> u32 {
    // Fewest 2-bit blocks holding max_value: 4^b > max_value.
    let bits = 128 - max_value.leading_zeros();
    bits.div_ceil(2).max(1)
}

/// A numeric entry clamped to its declared range before sums, squares,
/// products and group sums read it ([`StatsPlan::clamps`]): a modified
/// client can encrypt any value of the width (the zk-pok proves only the
/// width). Only the sides that cut something are applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Clamp {
    /// The entry.
    pub(crate) entry: usize,
    /// Values below are raised to it (the range's min, when above 0).
    pub(crate) floor: Option<u64>,
    /// Values above are lowered to it (the range's max, when below the
    /// width's maximum).
    pub(crate) ceiling: Option<u64>,
}

impl Clamp {
    /// The value clamped, in the clear (the engine's reference).
    pub(crate) fn apply(&self, x: u64) -> u64 {
        x.max(self.floor.unwrap_or(0))
            .min(self.ceiling.unwrap_or(u64::MAX))
    }
}

fn spec(kind: AggregateKind, n: u64, per_record_max: u128) -> AggregateSpec {
    let max_value = per_record_max * u128::from(n);
    AggregateSpec {
        kind,
        max_value,
        blocks: blocks_for(max_value),
        sensitivity: per_record_max,
    }
}

impl StatsPlan {
    /// Every aggregate's key, in plan order (the released values' keys).
    pub fn keys(&self) -> Vec<String> {
        self.aggregates.iter().map(|a| a.kind.key()).collect()
    }

    /// The aggregates needed for `stats` over `schema`, sized for at most
    /// `max_records` contributions. `count` needs no aggregate (it is the
    /// public number of accepted contributions); `mean` needs the sums,
    /// `variance` the sums and sums of squares, `regression` the sums, sums
    /// of squares and pairwise products of the features and the target.
    pub fn new(
        schema: &CampaignSchema,
        stats: &[Statistic],
        max_records: u64,
    ) -> Result<Self, StatsError> {
        if max_records == 0 || max_records > MAX_PLAN_RECORDS {
            return Err(StatsError::RecordBound(max_records));
        }
        let stats = schema.check_statistics(stats)?;
        let has = |s: Statistic| stats.contains(&s);
        let n = max_records;
        let mut fields = Vec::new();
        let mut entry = 0usize;
        for f in schema.fields() {
            let fe = match &f.kind {
                FieldKind::Numeric(num) => {
                    let e = FieldEntries::Numeric {
                        entry,
                        bits: num.bits.bits(),
                        range: num.range.map(|r| (r.min, r.max)),
                    };
                    entry += 1;
                    e
                }
                FieldKind::Categorical(c) => {
                    let e = FieldEntries::Categorical {
                        first: entry,
                        categories: c.categories.clone(),
                    };
                    entry += c.categories.len();
                    e
                }
            };
            fields.push((f.name.clone(), fe));
        }

        let mut aggregates: Vec<AggregateSpec> = Vec::new();
        let mut push = |a: AggregateSpec| {
            if !aggregates.iter().any(|b| b.kind == a.kind) {
                aggregates.push(a);
            }
        };
        // Values are clamped to a declared range (`clamps`): the largest is
        // its max (the width's maximum where the range reaches it).
        let value_max = |num: &protocol::schema::Numeric| -> u128 {
            u128::from(num.range.map_or(num.bits.max_value(), |r| r.max))
        };
        let regression_fields: Vec<String> = match schema.regression() {
            Some(r) if has(Statistic::Regression) => r
                .features
                .iter()
                .chain(std::iter::once(&r.target))
                .cloned()
                .collect(),
            _ => Vec::new(),
        };
        for f in schema.fields() {
            match &f.kind {
                FieldKind::Numeric(num) => {
                    // Values are clamped to a declared range before any sum,
                    // square or product (see `clamp_of`): one record adds at
                    // most the range's maximum.
                    let m = value_max(num);
                    let in_regression = regression_fields.contains(&f.name);
                    if has(Statistic::Sum)
                        || has(Statistic::Mean)
                        || has(Statistic::Variance)
                        || in_regression
                    {
                        push(spec(
                            AggregateKind::Sum {
                                field: f.name.clone(),
                            },
                            n,
                            m,
                        ));
                    }
                    if has(Statistic::Variance) || in_regression {
                        push(spec(
                            AggregateKind::SumOfSquares {
                                field: f.name.clone(),
                            },
                            n,
                            m * m,
                        ));
                    }
                    if has(Statistic::Quality) {
                        if let Some(r) = num.range {
                            if r.min > 0 || r.max < num.bits.max_value() {
                                push(spec(
                                    AggregateKind::OutOfRange {
                                        field: f.name.clone(),
                                    },
                                    n,
                                    1,
                                ));
                            }
                        }
                    }
                }
                FieldKind::Categorical(c) if has(Statistic::Histogram) => {
                    // The zk-pok proves each one-hot entry's width (2 bits),
                    // not that the vector is one-hot: a dishonest record can
                    // put up to 3 in every category. The engine counts an
                    // entry as 1 when it is not 0 (the records *in* a
                    // category), so a record adds at most 1 to each count:
                    // that is the bound and the sensitivity.
                    let entry_max = 1;
                    for cat in &c.categories {
                        push(spec(
                            AggregateKind::CategoryCount {
                                field: f.name.clone(),
                                category: cat.clone(),
                            },
                            n,
                            entry_max,
                        ));
                    }
                }
                FieldKind::Categorical(_) => {}
            }
        }
        let categories_of = |name: &str| match schema.field(name).map(|f| &f.kind) {
            Some(FieldKind::Categorical(c)) => c.categories.clone(),
            _ => Vec::new(),
        };
        // The largest value of the numeric field `name` as the engine reads
        // it: its declared range's maximum, else its width's.
        let numeric_max = |name: &str| match schema.field(name).map(|f| &f.kind) {
            Some(FieldKind::Numeric(num)) => value_max(num),
            _ => 0,
        };
        if has(Statistic::GroupSum) {
            for g in schema.group_sums() {
                let m = numeric_max(&g.field);
                // A record adds its (clamped) value to every group its
                // (possibly modified) entry of `by` is not 0 in: at most
                // the field's maximum to each sum. The groups' sizes come with them,
                // for the per-category means.
                let groups = categories_of(&g.by);
                for category in &groups {
                    push(spec(
                        AggregateKind::GroupSum {
                            field: g.field.clone(),
                            by: g.by.clone(),
                            category: category.clone(),
                        },
                        n,
                        m,
                    ));
                }
                for category in groups {
                    push(spec(
                        AggregateKind::CategoryCount {
                            field: g.by.clone(),
                            category,
                        },
                        n,
                        1,
                    ));
                }
            }
        }
        if has(Statistic::Crosstab) {
            for c in schema.crosstabs() {
                let (rows, columns) = (categories_of(&c.rows), categories_of(&c.columns));
                // Counted once when both entries are not 0: a record adds at
                // most 1 to each cell.
                for row in 0..rows.len() {
                    for column in 0..columns.len() {
                        push(spec(
                            AggregateKind::CrossCount {
                                rows: c.rows.clone(),
                                row,
                                columns: c.columns.clone(),
                                column,
                            },
                            n,
                            1,
                        ));
                    }
                }
            }
        }
        for (i, left) in regression_fields.iter().enumerate() {
            for right in &regression_fields[i + 1..] {
                push(spec(
                    AggregateKind::Product {
                        left: left.clone(),
                        right: right.clone(),
                    },
                    n,
                    numeric_max(left) * numeric_max(right),
                ));
            }
        }
        Ok(Self {
            max_records,
            layout: protocol::record::layout(schema),
            aggregates,
            fields,
        })
    }

    /// The numeric entries that sums, squares, products and group sums read
    /// clamped: every ranged field those aggregates read whose range cuts
    /// its width on at least one side. The range checks (`OutOfRange`) read
    /// the value as encrypted.
    pub(crate) fn clamps(&self) -> Vec<Clamp> {
        let mut out: Vec<Clamp> = Vec::new();
        let mut add = |name: &str| {
            if let Some(FieldEntries::Numeric {
                entry,
                bits,
                range: Some((lo, hi)),
            }) = self.field(name)
            {
                let width_max = (1u64 << bits) - 1;
                let clamp = Clamp {
                    entry: *entry,
                    floor: (*lo > 0).then_some(*lo),
                    ceiling: (*hi < width_max).then_some(*hi),
                };
                let cuts = clamp.floor.is_some() || clamp.ceiling.is_some();
                if cuts && !out.iter().any(|c| c.entry == *entry) {
                    out.push(clamp);
                }
            }
        };
        for a in &self.aggregates {
            match &a.kind {
                AggregateKind::Sum { field }
                | AggregateKind::SumOfSquares { field }
                | AggregateKind::GroupSum { field, .. } => add(field),
                AggregateKind::Product { left, right } => {
                    add(left);
                    add(right);
                }
                AggregateKind::CategoryCount { .. }
                | AggregateKind::CrossCount { .. }
                | AggregateKind::OutOfRange { .. } => {}
            }
        }
        out
    }

    pub(crate) fn field(&self, name: &str) -> Option<&FieldEntries> {
        self.fields.iter().find(|(n, _)| n == name).map(|(_, e)| e)
    }

    /// The entry holding `category` of the categorical field `field`.
    pub(crate) fn category_entry(&self, field: &str, category: &str) -> Option<usize> {
        match self.field(field) {
            Some(FieldEntries::Categorical { first, categories }) => categories
                .iter()
                .position(|c| c == category)
                .map(|k| first + k),
            _ => None,
        }
    }

    /// The entry holding the `index`-th category of the categorical field `field`.
    pub(crate) fn category_entry_at(&self, field: &str, index: usize) -> Option<usize> {
        match self.field(field) {
            Some(FieldEntries::Categorical { first, categories }) if index < categories.len() => {
                Some(first + index)
            }
            _ => None,
        }
    }

    /// For each entry of the layout, how the aggregates read it (entries
    /// read by none are never expanded). A category entry that a crosstab
    /// or a group sum multiplies is read alone, even when a histogram also
    /// counts it.
    pub fn entries_read(&self) -> Vec<Read> {
        let mut read = vec![Read::No; self.layout.len()];
        let mut flags = Vec::new();
        for a in &self.aggregates {
            let mut numeric = |name: &str| {
                if let Some(FieldEntries::Numeric { entry, .. }) = self.field(name) {
                    read[*entry] = Read::Value;
                }
            };
            match &a.kind {
                AggregateKind::Sum { field }
                | AggregateKind::SumOfSquares { field }
                | AggregateKind::OutOfRange { field } => numeric(field),
                AggregateKind::Product { left, right } => {
                    numeric(left);
                    numeric(right);
                }
                AggregateKind::CategoryCount { field, category } => {
                    flags.push((self.category_entry(field, category), Read::Flag))
                }
                AggregateKind::CrossCount {
                    rows,
                    row,
                    columns,
                    column,
                } => {
                    flags.push((self.category_entry_at(rows, *row), Read::FlagAlone));
                    flags.push((self.category_entry_at(columns, *column), Read::FlagAlone));
                }
                AggregateKind::GroupSum {
                    field,
                    by,
                    category,
                } => {
                    numeric(field);
                    flags.push((self.category_entry(by, category), Read::FlagAlone));
                }
            }
        }
        // A numeric entry only plain sums read, and not clamped, is summed
        // before the cast.
        let clamped: Vec<usize> = self.clamps().iter().map(|c| c.entry).collect();
        let mut summed_only = vec![false; self.layout.len()];
        let mut other = vec![false; self.layout.len()];
        for a in &self.aggregates {
            let entry = |name: &str| match self.field(name) {
                Some(FieldEntries::Numeric { entry, .. }) => Some(*entry),
                _ => None,
            };
            match &a.kind {
                AggregateKind::Sum { field } => {
                    if let Some(e) = entry(field) {
                        summed_only[e] = true;
                    }
                }
                AggregateKind::SumOfSquares { field }
                | AggregateKind::OutOfRange { field }
                | AggregateKind::GroupSum { field, .. } => {
                    if let Some(e) = entry(field) {
                        other[e] = true;
                    }
                }
                AggregateKind::Product { left, right } => {
                    for e in [entry(left), entry(right)].into_iter().flatten() {
                        other[e] = true;
                    }
                }
                AggregateKind::CategoryCount { .. } | AggregateKind::CrossCount { .. } => {}
            }
        }
        for e in 0..self.layout.len() {
            if summed_only[e] && !other[e] && !clamped.contains(&e) {
                read[e] = Read::Summed;
            }
        }
        for (entry, how) in flags {
            if let Some(e) = entry {
                if read[e] != Read::FlagAlone {
                    read[e] = how;
                }
            }
        }
        read
    }

    /// The count aggregate reading entry `entry` (a category entry), if any.
    pub(crate) fn count_of_entry(&self, entry: usize) -> Option<usize> {
        self.aggregates.iter().position(|a| match &a.kind {
            AggregateKind::CategoryCount { field, category } => {
                self.category_entry(field, category) == Some(entry)
            }
            _ => false,
        })
    }

    /// Total accumulator blocks over all aggregates (the size of a partial).
    pub fn total_blocks(&self) -> u64 {
        self.aggregates.iter().map(|a| u64::from(a.blocks)).sum()
    }
}

/// The encrypted aggregates of some contributions (one shard, or merged).
#[derive(Clone)]
pub struct Partial {
    /// How many contributions were folded in.
    pub records: u64,
    /// One clean radix ciphertext per aggregate of the plan, in plan order.
    pub values: Vec<RadixCiphertext>,
}

const PARTIAL_MAGIC: &[u8; 8] = b"CPPART01";

impl Partial {
    /// Serializes: magic, record count, then each aggregate length-prefixed
    /// in tfhe's versioned safe serialization.
    pub fn to_bytes(&self) -> Result<Vec<u8>, StatsError> {
        let mut out = PARTIAL_MAGIC.to_vec();
        out.extend_from_slice(&self.records.to_be_bytes());
        out.extend_from_slice(&(self.values.len() as u32).to_be_bytes());
        for v in &self.values {
            out.extend_from_slice(&(v.blocks().len() as u32).to_be_bytes());
            for b in v.blocks() {
                let mut buf = Vec::new();
                safe_serialize(b, &mut buf, BLOCK_LIMIT).map_err(|e| FheError::Serialization {
                    what: "aggregate block",
                    detail: e.to_string(),
                })?;
                out.extend_from_slice(&(buf.len() as u32).to_be_bytes());
                out.extend_from_slice(&buf);
            }
        }
        Ok(out)
    }

    /// Parses bytes written by [`Partial::to_bytes`] and checks them against
    /// `plan` (number of aggregates, blocks of each, parameters of each block).
    pub fn from_bytes(bytes: &[u8], plan: &StatsPlan) -> Result<Self, StatsError> {
        fn bad(m: impl Into<String>) -> StatsError {
            StatsError::PartialMismatch(m.into())
        }
        fn take<'a>(rest: &mut &'a [u8], n: usize) -> Result<&'a [u8], StatsError> {
            if rest.len() < n {
                return Err(bad("truncated"));
            }
            let (head, tail) = rest.split_at(n);
            *rest = tail;
            Ok(head)
        }
        fn u32_at(rest: &mut &[u8]) -> Result<usize, StatsError> {
            Ok(u32::from_be_bytes(take(rest, 4)?.try_into().expect("4 bytes")) as usize)
        }
        let mut rest = bytes
            .strip_prefix(PARTIAL_MAGIC.as_slice())
            .ok_or_else(|| bad("not a partial"))?;
        let records = u64::from_be_bytes(take(&mut rest, 8)?.try_into().expect("8 bytes"));
        let count = u32_at(&mut rest)?;
        if count != plan.aggregates.len() {
            return Err(bad(format!(
                "{count} aggregates, the plan has {}",
                plan.aggregates.len()
            )));
        }
        if records > plan.max_records {
            return Err(StatsError::TooManyRecords {
                max: plan.max_records,
            });
        }
        let base = crate::keys::compute_params().to_shortint_conformance_param();
        let mut values = Vec::with_capacity(count);
        for spec in &plan.aggregates {
            let n = u32_at(&mut rest)?;
            if n != spec.blocks as usize {
                return Err(bad(format!(
                    "{} has {n} blocks, the plan needs {}",
                    spec.kind.key(),
                    spec.blocks
                )));
            }
            let mut blocks = Vec::with_capacity(n);
            for _ in 0..n {
                let len = u32_at(&mut rest)?;
                let buf = take(&mut rest, len)?;
                let b: Ciphertext = safe_deserialize(buf, BLOCK_LIMIT)
                    .map_err(|e| bad(format!("{}: {e}", spec.kind.key())))?;
                // A clean block of the campaign parameters: message-sized
                // degree, at most nominal noise (trivial zeros have none).
                let params = CiphertextConformanceParams {
                    degree: b.degree,
                    noise_level: b.noise_level(),
                    ..base
                };
                if b.degree.get() > base.degree.get()
                    || b.noise_level() > NoiseLevel::NOMINAL
                    || !b.is_conformant(&params)
                {
                    return Err(bad(format!("{}: a block is not clean", spec.kind.key())));
                }
                blocks.push(b);
            }
            values.push(RadixCiphertext::from_blocks(blocks));
        }
        if !rest.is_empty() {
            return Err(bad("trailing bytes"));
        }
        Ok(Self { records, values })
    }
}

impl std::fmt::Debug for Partial {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Partial")
            .field("records", &self.records)
            .field("aggregates", &self.values.len())
            .finish()
    }
}

/// A stored list (bytes as accepted, proof verified then), deserialized
/// within the plan's size bound, with the plan's entry count.
pub(crate) fn read_list(
    plan: &StatsPlan,
    bytes: &[u8],
) -> Result<ProvenCompactCiphertextList, String> {
    let limit = max_list_bytes(plan.layout.len()) as u64;
    let list: ProvenCompactCiphertextList =
        safe_deserialize(bytes, limit).map_err(|e| format!("deserialize: {e}"))?;
    if list.len() != plan.layout.len() {
        return Err(format!(
            "{} entries, the layout has {}",
            list.len(),
            plan.layout.len()
        ));
    }
    Ok(list)
}

/// One expanded entry of a contribution list, at its declared width (on
/// the device of the server key set on this thread; the GPU backend's
/// expansion).
#[cfg_attr(not(feature = "gpu"), allow(dead_code))]
pub(crate) enum Entry {
    U2(FheUint2),
    U8(FheUint8),
    U16(FheUint16),
    U32(FheUint32),
}

#[cfg_attr(not(feature = "gpu"), allow(dead_code))]
impl Entry {
    /// The value clamped (with the server key set on this thread, CPU or
    /// GPU): raised to the floor, lowered to the ceiling, each only where
    /// the clamp has it.
    pub(crate) fn clamp(&self, c: &Clamp) -> Entry {
        use tfhe::prelude::{FheMax, FheMin};
        fn cut<T: FheMin<u64, Output = T> + FheMax<u64, Output = T> + Clone>(
            x: &T,
            c: &Clamp,
        ) -> T {
            let x = c.ceiling.map_or_else(|| x.clone(), |hi| x.min(hi));
            c.floor.map_or(x.clone(), |lo| x.max(lo))
        }
        match self {
            Entry::U2(x) => Entry::U2(cut(x, c)),
            Entry::U8(x) => Entry::U8(cut(x, c)),
            Entry::U16(x) => Entry::U16(cut(x, c)),
            Entry::U32(x) => Entry::U32(cut(x, c)),
        }
    }
}

/// Expands one stored list (bytes as accepted, proof verified then) with
/// the server key set on this thread: bounded deserialization, the plan's
/// entry count, each entry at the plan's width. The expansion path of
/// the GPU backend (the CPU backend casts only what a job reads, see
/// [`expand`]).
#[cfg_attr(not(feature = "gpu"), allow(dead_code))]
pub(crate) fn expand_entries(plan: &StatsPlan, bytes: &[u8]) -> Result<Vec<Entry>, String> {
    let list = read_list(plan, bytes)?;
    let expander = list
        .expand_without_verification()
        .map_err(|e| format!("expand: {e}"))?;
    plan.layout
        .iter()
        .enumerate()
        .map(|(i, bits)| {
            let got = match bits {
                2 => expander.get::<FheUint2>(i).map(|o| o.map(Entry::U2)),
                8 => expander.get::<FheUint8>(i).map(|o| o.map(Entry::U8)),
                16 => expander.get::<FheUint16>(i).map(|o| o.map(Entry::U16)),
                32 => expander.get::<FheUint32>(i).map(|o| o.map(Entry::U32)),
                other => return Err(format!("unsupported width {other}")),
            };
            got.map_err(|e| e.to_string())?
                .ok_or_else(|| format!("entry {i} is missing or of another width"))
        })
        .collect()
}

/// A way of computing the plan's aggregates (CPU or GPU).
pub trait StatsBackend: Send + Sync {
    /// Short name for logs and benchmarks (`cpu`, `gpu`).
    fn name(&self) -> &'static str;

    /// Folds a stream of stored, verified contribution lists (the bytes as
    /// accepted) into a partial. Each list is expanded once; memory stays
    /// proportional to the plan, not to the number of lists.
    fn aggregate(
        &self,
        plan: &StatsPlan,
        lists: &mut dyn Iterator<Item = Vec<u8>>,
    ) -> Result<Partial, StatsError>;

    /// Combines partials of disjoint sets of contributions into one.
    fn merge(&self, plan: &StatsPlan, partials: &[Partial]) -> Result<Partial, StatsError>;

    /// For benchmarks: the PBS and wall time this backend has spent so far
    /// finishing shards (the once-per-shard carry propagations and
    /// corrections), where it counts them; `None` otherwise.
    fn finishing(&self) -> Option<(u64, std::time::Duration)> {
        None
    }
}

/// Decrypts a partial's aggregates (keyholder side), in plan order.
#[cfg(feature = "keyholder")]
pub fn decrypt_partial(
    client_key: &tfhe::ClientKey,
    plan: &StatsPlan,
    partial: &Partial,
) -> Result<Vec<u128>, StatsError> {
    if partial.values.len() != plan.aggregates.len() {
        return Err(StatsError::PartialMismatch(format!(
            "{} aggregates, the plan has {}",
            partial.values.len(),
            plan.aggregates.len()
        )));
    }
    let (key, ..) = client_key.clone().into_raw_parts();
    Ok(partial
        .values
        .iter()
        .map(|v| key.decrypt_radix::<u128>(v))
        .collect())
}

/// The aggregates of plaintext records, computed in the clear the way the
/// engine computes them encrypted (for tests and the benchmark's baseline).
pub fn plaintext_aggregates(plan: &StatsPlan, records: &[Vec<u64>]) -> Vec<u128> {
    let clamps = plan.clamps();
    // A numeric value as sums and products read it: clamped to its range.
    let value = |r: &Vec<u64>, name: &str| -> u128 {
        match plan.field(name) {
            Some(FieldEntries::Numeric { entry, .. }) => {
                let x = r[*entry];
                u128::from(match clamps.iter().find(|c| c.entry == *entry) {
                    Some(c) => c.apply(x),
                    None => x,
                })
            }
            _ => 0,
        }
    };
    let flag = |r: &Vec<u64>, entry: Option<usize>| entry.is_some_and(|e| r[e] != 0);
    plan.aggregates
        .iter()
        .map(|a| {
            records
                .iter()
                .map(|r| match &a.kind {
                    AggregateKind::Sum { field } => value(r, field),
                    AggregateKind::SumOfSquares { field } => value(r, field).pow(2),
                    AggregateKind::Product { left, right } => value(r, left) * value(r, right),
                    AggregateKind::CategoryCount { field, category } => {
                        u128::from(flag(r, plan.category_entry(field, category)))
                    }
                    AggregateKind::CrossCount {
                        rows,
                        row,
                        columns,
                        column,
                    } => u128::from(
                        flag(r, plan.category_entry_at(rows, *row))
                            && flag(r, plan.category_entry_at(columns, *column)),
                    ),
                    AggregateKind::GroupSum {
                        field,
                        by,
                        category,
                    } => {
                        if flag(r, plan.category_entry(by, category)) {
                            value(r, field)
                        } else {
                            0
                        }
                    }
                    AggregateKind::OutOfRange { field } => match plan.field(field) {
                        Some(FieldEntries::Numeric {
                            entry,
                            range: Some((lo, hi)),
                            ..
                        }) => u128::from(r[*entry] < *lo || r[*entry] > *hi),
                        _ => 0,
                    },
                })
                .sum()
        })
        .collect()
}

#[cfg(test)]
mod tests;
