//! Campaign schemas: the typed description of one contributed record.
//!
//! A schema arrives as JSON ([`RawSchema`]) and is parsed into a
//! [`CampaignSchema`] whose invariants hold by construction: field names are
//! unique identifiers, widths are 8/16/32 bits, declared ranges fit their
//! width, categorical fields have 2..=64 distinct categories, and a record
//! carries at most [`MAX_ENCRYPTED_VALUES`] encrypted values.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

/// Most encrypted values one record may carry. A numeric field is one value;
/// a categorical field is one value too (its one-hot vector, one bit per
/// category, travels as a single group in the encrypted list).
pub const MAX_ENCRYPTED_VALUES: usize = 32;
/// Most one-hot bits over all categorical fields of a record (bounds proof size).
pub const MAX_ONE_HOT_BITS: usize = 256;
/// Fewest categories a categorical field may have.
pub const MIN_CATEGORIES: usize = 2;
/// Most categories a categorical field may have.
pub const MAX_CATEGORIES: usize = 64;
/// Longest field or category name.
pub const MAX_NAME_LEN: usize = 64;
/// Most features a regression may declare (XᵀX grows with their square).
pub const MAX_REGRESSION_FEATURES: usize = 8;
/// Most cells over all declared contingency tables (each cell is one
/// encrypted count and one bivariate PBS per record).
pub const MAX_CROSSTAB_CELLS: usize = 256;
/// Most per-category sums over all declared group sums (each is one
/// encrypted sum and one bivariate PBS per 2-bit block per record).
pub const MAX_GROUP_SUM_VALUES: usize = 64;

/// Why a schema (or a statistics request against it) is invalid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SchemaError {
    /// A schema needs at least one field.
    #[error("the schema has no fields")]
    Empty,
    /// More encrypted values than a record may carry.
    #[error("the schema needs {got} encrypted values; at most {max} are allowed")]
    TooManyValues {
        /// Values the schema would need.
        got: usize,
        /// The cap.
        max: usize,
    },
    /// Too many one-hot bits over all categorical fields.
    #[error("the categorical fields need {got} one-hot bits; at most {max} are allowed")]
    TooManyOneHotBits {
        /// Bits the schema would need.
        got: usize,
        /// The cap.
        max: usize,
    },
    /// Field names must be lowercase identifiers.
    #[error(
        "field name {0:?} is invalid: use 1-64 characters a-z, 0-9 or '_', starting with a letter"
    )]
    InvalidName(String),
    /// Two fields share a name.
    #[error("field name {0:?} is used twice")]
    DuplicateField(String),
    /// Widths are 8, 16 or 32 bits.
    #[error("field {field:?}: bit width {bits} is not one of 8, 16, 32")]
    InvalidBits {
        /// The field.
        field: String,
        /// The width given.
        bits: u32,
    },
    /// A declared range has min above max.
    #[error("field {field:?}: range min {min} is above max {max}")]
    InvertedRange {
        /// The field.
        field: String,
        /// Declared minimum.
        min: u64,
        /// Declared maximum.
        max: u64,
    },
    /// A declared range does not fit the field's width.
    #[error("field {field:?}: range max {max} does not fit in {bits} bits")]
    RangeExceedsWidth {
        /// The field.
        field: String,
        /// Declared maximum.
        max: u64,
        /// The width.
        bits: u32,
    },
    /// Categorical fields have 2..=64 categories.
    #[error("field {field:?}: {got} categories given; between 2 and 64 are allowed")]
    CategoryCount {
        /// The field.
        field: String,
        /// Categories given.
        got: usize,
    },
    /// A category label is empty or too long.
    #[error("field {field:?}: category {category:?} must be 1-64 characters")]
    InvalidCategory {
        /// The field.
        field: String,
        /// The label.
        category: String,
    },
    /// A category label appears twice in one field.
    #[error("field {field:?}: category {category:?} is listed twice")]
    DuplicateCategory {
        /// The field.
        field: String,
        /// The label.
        category: String,
    },
    /// The regression names a field the schema lacks.
    #[error("regression names unknown field {0:?}")]
    UnknownRegressionField(String),
    /// Regression fields must be numeric.
    #[error("regression field {0:?} is not numeric")]
    RegressionFieldNotNumeric(String),
    /// The regression needs 1..=8 distinct features.
    #[error("regression needs between 1 and 8 distinct features, got {0}")]
    RegressionFeatureCount(usize),
    /// The target may not also be a feature.
    #[error("regression target {0:?} is also listed as a feature")]
    TargetIsFeature(String),
    /// A crosstab or group sum names a field the schema lacks.
    #[error("{what} names unknown field {name:?}")]
    UnknownDeclaredField {
        /// `crosstab` or `group_sum`.
        what: &'static str,
        /// The name given.
        name: String,
    },
    /// A crosstab or group sum names a field of the wrong kind.
    #[error("{what}: field {name:?} must be {needs}")]
    DeclaredFieldKind {
        /// `crosstab` or `group_sum`.
        what: &'static str,
        /// The field.
        name: String,
        /// `categorical` or `numeric`.
        needs: &'static str,
    },
    /// A crosstab of a field with itself.
    #[error("crosstab of field {0:?} with itself")]
    CrosstabOfItself(String),
    /// The same crosstab (either orientation) or group sum declared twice.
    #[error("{what} of {left:?} and {right:?} is declared twice")]
    DuplicateDeclaration {
        /// `crosstab` or `group_sum`.
        what: &'static str,
        /// First field.
        left: String,
        /// Second field.
        right: String,
    },
    /// The declared crosstabs or group sums need too many values.
    #[error("the declared {what}s need {got} values; at most {max} are allowed")]
    TooManyDeclaredValues {
        /// `crosstab` or `group_sum`.
        what: &'static str,
        /// Values needed.
        got: usize,
        /// The cap.
        max: usize,
    },
    /// No statistics were requested.
    #[error("no statistics requested")]
    NoStatistics,
    /// A statistic was requested twice.
    #[error("statistic {0} is requested twice")]
    DuplicateStatistic(Statistic),
    /// A statistic cannot be computed over this schema.
    #[error("statistic {stat} needs {needs}")]
    StatisticNotApplicable {
        /// The statistic.
        stat: Statistic,
        /// What the schema lacks.
        needs: &'static str,
    },
}

/// Bit width of a numeric field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NumericBits {
    /// 8-bit unsigned.
    B8,
    /// 16-bit unsigned.
    B16,
    /// 32-bit unsigned.
    B32,
}

impl NumericBits {
    /// Parses a width in bits.
    pub fn parse(bits: u32) -> Option<Self> {
        match bits {
            8 => Some(Self::B8),
            16 => Some(Self::B16),
            32 => Some(Self::B32),
            _ => None,
        }
    }

    /// The width in bits.
    pub fn bits(self) -> u32 {
        match self {
            Self::B8 => 8,
            Self::B16 => 16,
            Self::B32 => 32,
        }
    }

    /// Largest value of this width.
    pub fn max_value(self) -> u64 {
        (1u64 << self.bits()) - 1
    }
}

/// An inclusive range of allowed values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ValueRange {
    /// Smallest allowed value.
    pub min: u64,
    /// Largest allowed value.
    pub max: u64,
}

/// One field as it arrives on the wire.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum RawField {
    /// An unsigned integer of 8, 16 or 32 bits, optionally with a narrower range.
    Numeric {
        /// Field name.
        name: String,
        /// Bit width: 8, 16 or 32.
        bits: u32,
        /// Optional declared range (inclusive), narrower than the width.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        range: Option<ValueRange>,
    },
    /// One of a fixed list of categories, encoded one-hot.
    Categorical {
        /// Field name.
        name: String,
        /// 2..=64 distinct labels.
        categories: Vec<String>,
    },
}

/// A regression request as it arrives on the wire.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Regression {
    /// Numeric fields used as features (the columns of X).
    pub features: Vec<String>,
    /// Numeric field predicted (y).
    pub target: String,
}

/// A contingency table as it arrives on the wire: the count of records in
/// each pair of categories of two categorical fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Crosstab {
    /// Categorical field whose categories are the table's rows.
    pub rows: String,
    /// Categorical field whose categories are the table's columns.
    pub columns: String,
}

/// Per-category sums as they arrive on the wire: Σ `field` over the records
/// of each category of `by`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct GroupSum {
    /// Numeric field summed.
    pub field: String,
    /// Categorical field whose categories form the groups.
    pub by: String,
}

/// A schema as it arrives on the wire, before validation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RawSchema {
    /// The record's fields, in encryption order.
    pub fields: Vec<RawField>,
    /// Optional linear regression (features and target) the campaign wants XᵀX / Xᵀy for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regression: Option<Regression>,
    /// Contingency tables of pairs of categorical fields (the `crosstab`
    /// statistic); at most 256 cells over all of them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub crosstabs: Vec<Crosstab>,
    /// Sums of numeric fields per category of a categorical field (the
    /// `group_sum` statistic); at most 64 sums over all of them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub group_sums: Vec<GroupSum>,
}

/// A validated numeric field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Numeric {
    /// Bit width.
    pub bits: NumericBits,
    /// Declared range, if narrower than the width.
    pub range: Option<ValueRange>,
}

/// A validated categorical field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Categorical {
    /// Distinct labels, in one-hot order.
    pub categories: Vec<String>,
}

/// What kind of value a field holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldKind {
    /// Unsigned integer.
    Numeric(Numeric),
    /// One-hot category.
    Categorical(Categorical),
}

/// A validated field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    /// Unique identifier.
    pub name: String,
    /// Its type.
    pub kind: FieldKind,
}

/// A statistic a campaign may request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Statistic {
    /// Number of accepted contributions.
    Count,
    /// Sum of each numeric field.
    Sum,
    /// Mean of each numeric field.
    Mean,
    /// Variance of each numeric field.
    Variance,
    /// Histogram of each categorical field.
    Histogram,
    /// XᵀX and Xᵀy over the declared regression.
    Regression,
    /// Out-of-range counts of numeric fields with a declared range.
    Quality,
    /// The declared contingency tables (count per pair of categories).
    Crosstab,
    /// The declared per-category sums (with the categories' counts).
    GroupSum,
}

impl std::fmt::Display for Statistic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = match self {
            Self::Count => "count",
            Self::Sum => "sum",
            Self::Mean => "mean",
            Self::Variance => "variance",
            Self::Histogram => "histogram",
            Self::Regression => "regression",
            Self::Quality => "quality",
            Self::Crosstab => "crosstab",
            Self::GroupSum => "group_sum",
        };
        f.write_str(s)
    }
}

/// A validated campaign schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CampaignSchema {
    fields: Vec<Field>,
    regression: Option<Regression>,
    crosstabs: Vec<Crosstab>,
    group_sums: Vec<GroupSum>,
}

fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_lowercase())
        && name.len() <= MAX_NAME_LEN
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

impl CampaignSchema {
    /// Parses a wire schema, returning the first problem found.
    pub fn parse(raw: RawSchema) -> Result<Self, SchemaError> {
        if raw.fields.is_empty() {
            return Err(SchemaError::Empty);
        }
        if raw.fields.len() > MAX_ENCRYPTED_VALUES {
            return Err(SchemaError::TooManyValues {
                got: raw.fields.len(),
                max: MAX_ENCRYPTED_VALUES,
            });
        }
        let mut names = BTreeSet::new();
        let mut fields = Vec::with_capacity(raw.fields.len());
        let mut one_hot_bits = 0usize;
        for raw_field in raw.fields {
            let field = match raw_field {
                RawField::Numeric { name, bits, range } => {
                    let width =
                        NumericBits::parse(bits).ok_or_else(|| SchemaError::InvalidBits {
                            field: name.clone(),
                            bits,
                        })?;
                    if let Some(r) = range {
                        if r.min > r.max {
                            return Err(SchemaError::InvertedRange {
                                field: name,
                                min: r.min,
                                max: r.max,
                            });
                        }
                        if r.max > width.max_value() {
                            return Err(SchemaError::RangeExceedsWidth {
                                field: name,
                                max: r.max,
                                bits,
                            });
                        }
                    }
                    Field {
                        name,
                        kind: FieldKind::Numeric(Numeric { bits: width, range }),
                    }
                }
                RawField::Categorical { name, categories } => {
                    if !(MIN_CATEGORIES..=MAX_CATEGORIES).contains(&categories.len()) {
                        return Err(SchemaError::CategoryCount {
                            field: name,
                            got: categories.len(),
                        });
                    }
                    let mut seen = BTreeSet::new();
                    for c in &categories {
                        if c.trim().is_empty() || c.chars().count() > MAX_NAME_LEN {
                            return Err(SchemaError::InvalidCategory {
                                field: name,
                                category: c.clone(),
                            });
                        }
                        if !seen.insert(c.as_str()) {
                            return Err(SchemaError::DuplicateCategory {
                                field: name,
                                category: c.clone(),
                            });
                        }
                    }
                    one_hot_bits += categories.len();
                    Field {
                        name,
                        kind: FieldKind::Categorical(Categorical { categories }),
                    }
                }
            };
            if !valid_name(&field.name) {
                return Err(SchemaError::InvalidName(field.name));
            }
            if !names.insert(field.name.clone()) {
                return Err(SchemaError::DuplicateField(field.name));
            }
            fields.push(field);
        }
        if one_hot_bits > MAX_ONE_HOT_BITS {
            return Err(SchemaError::TooManyOneHotBits {
                got: one_hot_bits,
                max: MAX_ONE_HOT_BITS,
            });
        }
        let mut schema = Self {
            fields,
            regression: None,
            crosstabs: Vec::new(),
            group_sums: Vec::new(),
        };
        let regression = match raw.regression {
            None => None,
            Some(reg) => {
                let distinct: BTreeSet<&String> = reg.features.iter().collect();
                if reg.features.is_empty()
                    || reg.features.len() > MAX_REGRESSION_FEATURES
                    || distinct.len() != reg.features.len()
                {
                    return Err(SchemaError::RegressionFeatureCount(reg.features.len()));
                }
                for name in reg.features.iter().chain(std::iter::once(&reg.target)) {
                    match schema.field(name) {
                        None => return Err(SchemaError::UnknownRegressionField(name.clone())),
                        Some(Field {
                            kind: FieldKind::Categorical(_),
                            ..
                        }) => return Err(SchemaError::RegressionFieldNotNumeric(name.clone())),
                        Some(_) => {}
                    }
                }
                if distinct.contains(&reg.target) {
                    return Err(SchemaError::TargetIsFeature(reg.target));
                }
                Some(reg)
            }
        };
        schema.crosstabs = schema.check_crosstabs(raw.crosstabs)?;
        schema.group_sums = schema.check_group_sums(raw.group_sums)?;
        Ok(Self {
            regression,
            ..schema
        })
    }

    /// The categories of the categorical field `name`, or why it is not one.
    fn categories_of(&self, what: &'static str, name: &str) -> Result<usize, SchemaError> {
        match self.field(name).map(|f| &f.kind) {
            None => Err(SchemaError::UnknownDeclaredField {
                what,
                name: name.to_string(),
            }),
            Some(FieldKind::Categorical(c)) => Ok(c.categories.len()),
            Some(FieldKind::Numeric(_)) => Err(SchemaError::DeclaredFieldKind {
                what,
                name: name.to_string(),
                needs: "categorical",
            }),
        }
    }

    fn check_crosstabs(&self, crosstabs: Vec<Crosstab>) -> Result<Vec<Crosstab>, SchemaError> {
        let (mut cells, mut seen) = (0usize, BTreeSet::new());
        for c in &crosstabs {
            let rows = self.categories_of("crosstab", &c.rows)?;
            let columns = self.categories_of("crosstab", &c.columns)?;
            if c.rows == c.columns {
                return Err(SchemaError::CrosstabOfItself(c.rows.clone()));
            }
            // A table and its transpose hold the same counts.
            let pair = if c.rows < c.columns {
                (&c.rows, &c.columns)
            } else {
                (&c.columns, &c.rows)
            };
            if !seen.insert(pair) {
                return Err(SchemaError::DuplicateDeclaration {
                    what: "crosstab",
                    left: c.rows.clone(),
                    right: c.columns.clone(),
                });
            }
            cells += rows * columns;
        }
        if cells > MAX_CROSSTAB_CELLS {
            return Err(SchemaError::TooManyDeclaredValues {
                what: "crosstab",
                got: cells,
                max: MAX_CROSSTAB_CELLS,
            });
        }
        Ok(crosstabs)
    }

    fn check_group_sums(&self, group_sums: Vec<GroupSum>) -> Result<Vec<GroupSum>, SchemaError> {
        let (mut values, mut seen) = (0usize, BTreeSet::new());
        for g in &group_sums {
            match self.field(&g.field).map(|f| &f.kind) {
                None => {
                    return Err(SchemaError::UnknownDeclaredField {
                        what: "group_sum",
                        name: g.field.clone(),
                    })
                }
                Some(FieldKind::Categorical(_)) => {
                    return Err(SchemaError::DeclaredFieldKind {
                        what: "group_sum",
                        name: g.field.clone(),
                        needs: "numeric",
                    })
                }
                Some(FieldKind::Numeric(_)) => {}
            }
            values += self.categories_of("group_sum", &g.by)?;
            if !seen.insert((&g.field, &g.by)) {
                return Err(SchemaError::DuplicateDeclaration {
                    what: "group_sum",
                    left: g.field.clone(),
                    right: g.by.clone(),
                });
            }
        }
        if values > MAX_GROUP_SUM_VALUES {
            return Err(SchemaError::TooManyDeclaredValues {
                what: "group_sum",
                got: values,
                max: MAX_GROUP_SUM_VALUES,
            });
        }
        Ok(group_sums)
    }

    /// Parses a schema from JSON text (used by clients and stored rows).
    pub fn from_json(json: &str) -> Result<Self, String> {
        let raw: RawSchema = serde_json::from_str(json).map_err(|e| e.to_string())?;
        Self::parse(raw).map_err(|e| e.to_string())
    }

    /// The fields, in encryption order.
    pub fn fields(&self) -> &[Field] {
        &self.fields
    }

    /// The field named `name`.
    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// The declared regression, if any.
    pub fn regression(&self) -> Option<&Regression> {
        self.regression.as_ref()
    }

    /// The declared contingency tables.
    pub fn crosstabs(&self) -> &[Crosstab] {
        &self.crosstabs
    }

    /// The declared per-category sums.
    pub fn group_sums(&self) -> &[GroupSum] {
        &self.group_sums
    }

    /// Number of encrypted values one record carries (one per field).
    pub fn encrypted_values(&self) -> usize {
        self.fields.len()
    }

    /// The wire form of this schema.
    pub fn to_raw(&self) -> RawSchema {
        RawSchema {
            fields: self
                .fields
                .iter()
                .map(|f| match &f.kind {
                    FieldKind::Numeric(n) => RawField::Numeric {
                        name: f.name.clone(),
                        bits: n.bits.bits(),
                        range: n.range,
                    },
                    FieldKind::Categorical(c) => RawField::Categorical {
                        name: f.name.clone(),
                        categories: c.categories.clone(),
                    },
                })
                .collect(),
            regression: self.regression.clone(),
            crosstabs: self.crosstabs.clone(),
            group_sums: self.group_sums.clone(),
        }
    }

    /// Checks a list of requested statistics against this schema and returns
    /// them sorted and deduplicated-checked.
    pub fn check_statistics(&self, stats: &[Statistic]) -> Result<Vec<Statistic>, SchemaError> {
        if stats.is_empty() {
            return Err(SchemaError::NoStatistics);
        }
        let mut seen = BTreeSet::new();
        for &s in stats {
            if !seen.insert(s) {
                return Err(SchemaError::DuplicateStatistic(s));
            }
        }
        let has_numeric = self
            .fields
            .iter()
            .any(|f| matches!(f.kind, FieldKind::Numeric(_)));
        let has_categorical = self
            .fields
            .iter()
            .any(|f| matches!(f.kind, FieldKind::Categorical(_)));
        let has_narrow_range = self.fields.iter().any(|f| match &f.kind {
            FieldKind::Numeric(n) => n
                .range
                .is_some_and(|r| r.min > 0 || r.max < n.bits.max_value()),
            FieldKind::Categorical(_) => false,
        });
        for &s in &seen {
            let needs = match s {
                Statistic::Count => None,
                Statistic::Sum | Statistic::Mean | Statistic::Variance if !has_numeric => {
                    Some("a numeric field")
                }
                Statistic::Histogram if !has_categorical => Some("a categorical field"),
                Statistic::Regression if self.regression.is_none() => {
                    Some("a regression (features and target) in the schema")
                }
                Statistic::Quality if !has_narrow_range => {
                    Some("a numeric field with a range narrower than its width")
                }
                Statistic::Crosstab if self.crosstabs.is_empty() => {
                    Some("a crosstab (two categorical fields) in the schema")
                }
                Statistic::GroupSum if self.group_sums.is_empty() => {
                    Some("a group sum (a numeric field by a categorical one) in the schema")
                }
                _ => None,
            };
            if let Some(needs) = needs {
                return Err(SchemaError::StatisticNotApplicable { stat: s, needs });
            }
        }
        Ok(seen.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(v: serde_json::Value) -> Result<CampaignSchema, SchemaError> {
        CampaignSchema::parse(serde_json::from_value(v).expect("wire form"))
    }

    fn good() -> serde_json::Value {
        json!({
            "fields": [
                {"type": "numeric", "name": "age", "bits": 8, "range": {"min": 18, "max": 120}},
                {"type": "numeric", "name": "income", "bits": 32},
                {"type": "categorical", "name": "country", "categories": ["fr", "de", "other"]}
            ],
            "regression": {"features": ["age"], "target": "income"}
        })
    }

    #[test]
    fn parses_a_good_schema_and_round_trips() {
        let s = parse(good()).unwrap();
        assert_eq!(s.encrypted_values(), 3);
        assert_eq!(s.regression().unwrap().target, "income");
        let again = CampaignSchema::parse(s.to_raw()).unwrap();
        assert_eq!(again, s);
    }

    #[test]
    fn refuses_each_invalid_case() {
        assert_eq!(parse(json!({"fields": []})), Err(SchemaError::Empty));
        let many: Vec<_> = (0..33)
            .map(|i| json!({"type": "numeric", "name": format!("f{i}"), "bits": 8}))
            .collect();
        assert!(matches!(
            parse(json!({ "fields": many })),
            Err(SchemaError::TooManyValues { got: 33, max: 32 })
        ));
        assert!(matches!(
            parse(json!({"fields": [{"type": "numeric", "name": "a", "bits": 12}]})),
            Err(SchemaError::InvalidBits { bits: 12, .. })
        ));
        assert!(matches!(
            parse(
                json!({"fields": [{"type": "numeric", "name": "a", "bits": 8},
                                       {"type": "numeric", "name": "a", "bits": 16}]})
            ),
            Err(SchemaError::DuplicateField(_))
        ));
        for bad in ["", "Age", "1a", "a-b", "a b", &"x".repeat(65)] {
            assert!(
                matches!(
                    parse(json!({"fields": [{"type": "numeric", "name": bad, "bits": 8}]})),
                    Err(SchemaError::InvalidName(_))
                ),
                "{bad:?}"
            );
        }
        assert!(matches!(
            parse(
                json!({"fields": [{"type": "numeric", "name": "a", "bits": 8, "range": {"min": 5, "max": 4}}]})
            ),
            Err(SchemaError::InvertedRange { .. })
        ));
        assert!(matches!(
            parse(
                json!({"fields": [{"type": "numeric", "name": "a", "bits": 8, "range": {"min": 0, "max": 256}}]})
            ),
            Err(SchemaError::RangeExceedsWidth { .. })
        ));
        assert!(matches!(
            parse(
                json!({"fields": [{"type": "categorical", "name": "c", "categories": ["only"]}]})
            ),
            Err(SchemaError::CategoryCount { got: 1, .. })
        ));
        let cats: Vec<String> = (0..65).map(|i| format!("c{i}")).collect();
        assert!(matches!(
            parse(json!({"fields": [{"type": "categorical", "name": "c", "categories": cats}]})),
            Err(SchemaError::CategoryCount { got: 65, .. })
        ));
        assert!(matches!(
            parse(
                json!({"fields": [{"type": "categorical", "name": "c", "categories": ["x", "x"]}]})
            ),
            Err(SchemaError::DuplicateCategory { .. })
        ));
        assert!(matches!(
            parse(
                json!({"fields": [{"type": "categorical", "name": "c", "categories": ["x", " "]}]})
            ),
            Err(SchemaError::InvalidCategory { .. })
        ));
        let five_big: Vec<_> = (0..5)
            .map(|i| {
                let cats: Vec<String> = (0..64).map(|j| format!("c{j}")).collect();
                json!({"type": "categorical", "name": format!("f{i}"), "categories": cats})
            })
            .collect();
        assert!(matches!(
            parse(json!({ "fields": five_big })),
            Err(SchemaError::TooManyOneHotBits { got: 320, .. })
        ));
    }

    #[test]
    fn refuses_bad_regressions() {
        let mut v = good();
        v["regression"] = json!({"features": ["nope"], "target": "income"});
        assert!(matches!(
            parse(v),
            Err(SchemaError::UnknownRegressionField(_))
        ));
        let mut v = good();
        v["regression"] = json!({"features": ["country"], "target": "income"});
        assert!(matches!(
            parse(v),
            Err(SchemaError::RegressionFieldNotNumeric(_))
        ));
        let mut v = good();
        v["regression"] = json!({"features": ["age", "income"], "target": "income"});
        assert!(matches!(parse(v), Err(SchemaError::TargetIsFeature(_))));
        let mut v = good();
        v["regression"] = json!({"features": [], "target": "income"});
        assert!(matches!(
            parse(v),
            Err(SchemaError::RegressionFeatureCount(0))
        ));
        let mut v = good();
        v["regression"] = json!({"features": ["age", "age"], "target": "income"});
        assert!(matches!(
            parse(v),
            Err(SchemaError::RegressionFeatureCount(2))
        ));
    }

    #[test]
    fn wire_form_refuses_unknown_fields_and_types() {
        let bad = json!({"fields": [{"type": "numeric", "name": "a", "bits": 8, "colour": 1}]});
        assert!(serde_json::from_value::<RawSchema>(bad).is_err());
        let bad = json!({"fields": [{"type": "text", "name": "a"}]});
        assert!(serde_json::from_value::<RawSchema>(bad).is_err());
        let bad = json!({"fields": [{"type": "numeric", "name": "a", "bits": "8"}]});
        assert!(serde_json::from_value::<RawSchema>(bad).is_err());
    }

    #[test]
    fn statistics_must_fit_the_schema() {
        let s = parse(good()).unwrap();
        assert_eq!(
            s.check_statistics(&[Statistic::Sum, Statistic::Count])
                .unwrap(),
            vec![Statistic::Count, Statistic::Sum]
        );
        assert_eq!(s.check_statistics(&[]), Err(SchemaError::NoStatistics));
        assert_eq!(
            s.check_statistics(&[Statistic::Sum, Statistic::Sum]),
            Err(SchemaError::DuplicateStatistic(Statistic::Sum))
        );
        let only_num =
            parse(json!({"fields": [{"type": "numeric", "name": "a", "bits": 8}]})).unwrap();
        for stat in [
            Statistic::Histogram,
            Statistic::Regression,
            Statistic::Quality,
        ] {
            assert!(matches!(
                only_num.check_statistics(&[stat]),
                Err(SchemaError::StatisticNotApplicable { .. })
            ));
        }
        assert!(s
            .check_statistics(&[
                Statistic::Histogram,
                Statistic::Regression,
                Statistic::Quality
            ])
            .is_ok());
    }

    fn with_tables(
        crosstabs: serde_json::Value,
        group_sums: serde_json::Value,
    ) -> serde_json::Value {
        let mut v = good();
        v["fields"]
            .as_array_mut()
            .unwrap()
            .push(json!({"type": "categorical", "name": "sex", "categories": ["f", "m"]}));
        v["crosstabs"] = crosstabs;
        v["group_sums"] = group_sums;
        v
    }

    #[test]
    fn crosstabs_and_group_sums_are_checked() {
        let s = parse(with_tables(
            json!([{"rows": "country", "columns": "sex"}]),
            json!([{"field": "income", "by": "country"}, {"field": "age", "by": "country"}]),
        ))
        .unwrap();
        assert_eq!(s.crosstabs()[0].columns, "sex");
        assert_eq!(s.group_sums().len(), 2);
        assert_eq!(CampaignSchema::parse(s.to_raw()).unwrap(), s);
        assert!(s
            .check_statistics(&[Statistic::Crosstab, Statistic::GroupSum])
            .is_ok());
        // Without declarations the statistics do not apply, and an empty
        // declaration list is not serialized (older schemas hash the same).
        let plain = parse(good()).unwrap();
        for stat in [Statistic::Crosstab, Statistic::GroupSum] {
            assert!(matches!(
                plain.check_statistics(&[stat]),
                Err(SchemaError::StatisticNotApplicable { .. })
            ));
        }
        assert_eq!(serde_json::to_value(plain.to_raw()).unwrap(), good());

        let refused = |c: serde_json::Value, g: serde_json::Value| parse(with_tables(c, g));
        assert!(matches!(
            refused(json!([{"rows": "country", "columns": "nope"}]), json!([])),
            Err(SchemaError::UnknownDeclaredField {
                what: "crosstab",
                ..
            })
        ));
        assert!(matches!(
            refused(json!([{"rows": "country", "columns": "age"}]), json!([])),
            Err(SchemaError::DeclaredFieldKind {
                needs: "categorical",
                ..
            })
        ));
        assert!(matches!(
            refused(json!([{"rows": "sex", "columns": "sex"}]), json!([])),
            Err(SchemaError::CrosstabOfItself(_))
        ));
        // A table and its transpose are the same table.
        assert!(matches!(
            refused(
                json!([{"rows": "sex", "columns": "country"}, {"rows": "country", "columns": "sex"}]),
                json!([])
            ),
            Err(SchemaError::DuplicateDeclaration {
                what: "crosstab",
                ..
            })
        ));
        assert!(matches!(
            refused(json!([]), json!([{"field": "country", "by": "sex"}])),
            Err(SchemaError::DeclaredFieldKind {
                needs: "numeric",
                ..
            })
        ));
        assert!(matches!(
            refused(json!([]), json!([{"field": "age", "by": "income"}])),
            Err(SchemaError::DeclaredFieldKind {
                needs: "categorical",
                ..
            })
        ));
        assert!(matches!(
            refused(json!([]), json!([{"field": "age", "by": "nope"}])),
            Err(SchemaError::UnknownDeclaredField {
                what: "group_sum",
                ..
            })
        ));
        assert!(matches!(
            refused(
                json!([]),
                json!([{"field": "age", "by": "sex"}, {"field": "age", "by": "sex"}])
            ),
            Err(SchemaError::DuplicateDeclaration {
                what: "group_sum",
                ..
            })
        ));
        assert!(serde_json::from_value::<RawSchema>(with_tables(
            json!([{"rows": "sex", "columns": "country", "extra": 1}]),
            json!([])
        ))
        .is_err());
        // Caps: 64 × 8 cells is over 256; 2 × 64 group sums over 64.
        let cats = |n: usize| (0..n).map(|i| format!("c{i}")).collect::<Vec<_>>();
        let big = json!({
            "fields": [
                {"type": "categorical", "name": "a", "categories": cats(64)},
                {"type": "categorical", "name": "b", "categories": cats(8)},
                {"type": "numeric", "name": "x", "bits": 8}
            ],
            "crosstabs": [{"rows": "a", "columns": "b"}]
        });
        assert!(matches!(
            parse(big.clone()),
            Err(SchemaError::TooManyDeclaredValues {
                got: 512,
                max: 256,
                ..
            })
        ));
        let mut sums = big;
        sums["crosstabs"] = json!([]);
        sums["group_sums"] = json!([{"field": "x", "by": "a"}, {"field": "x", "by": "b"}]);
        assert!(matches!(
            parse(sums),
            Err(SchemaError::TooManyDeclaredValues {
                got: 72,
                max: 64,
                ..
            })
        ));
    }
}
