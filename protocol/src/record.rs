//! Plaintext records: checking a contributor's values against the campaign
//! schema and encoding them into the list of unsigned integers that gets
//! encrypted. Runs on the contributor's device, before any encryption.
//!
//! Layout of an encoded record, in schema field order:
//! - a numeric field of width `b` is one entry of `b` bits;
//! - a categorical field with `n` categories is `n` one-hot entries of 2 bits
//!   each (TFHE's smallest block), exactly one of which is 1.

use serde_json::Value;

use crate::schema::{CampaignSchema, FieldKind};

/// Bits of one one-hot entry (one TFHE block of 2 message bits).
pub const ONE_HOT_ENTRY_BITS: u32 = 2;

/// Why a record does not fit its campaign's schema.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordError {
    /// The record must be a JSON object keyed by field name.
    #[error("a record is a JSON object of field name to value")]
    NotAnObject,
    /// A schema field has no value.
    #[error("field {0:?} is missing")]
    MissingField(String),
    /// The record names a field the schema lacks.
    #[error("field {0:?} is not in the campaign's schema")]
    UnknownField(String),
    /// A numeric field needs a non-negative integer.
    #[error("field {0:?} needs a whole number of at least 0")]
    NotAnInteger(String),
    /// The value needs more bits than the field's width.
    #[error("field {field:?}: {value} does not fit in {bits} bits (largest is {max})")]
    OutOfWidth {
        /// The field.
        field: String,
        /// The value given.
        value: u64,
        /// The field's width.
        bits: u32,
        /// Largest value of that width.
        max: u64,
    },
    /// The value is outside the field's declared range.
    #[error("field {field:?}: {value} is outside the allowed range {min}..={max}")]
    OutOfRange {
        /// The field.
        field: String,
        /// The value given.
        value: u64,
        /// Declared minimum.
        min: u64,
        /// Declared maximum.
        max: u64,
    },
    /// A categorical field needs one of its category labels.
    #[error("field {field:?}: {value:?} is not one of its categories")]
    UnknownCategory {
        /// The field.
        field: String,
        /// The value given.
        value: String,
    },
}

/// One entry of the encrypted list: a value and its width in bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    /// The plaintext value (fits in `bits`).
    pub value: u64,
    /// Width in bits: 2, 8, 16 or 32.
    pub bits: u32,
}

/// A record encoded for encryption.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodedRecord {
    /// Entries in layout order.
    pub entries: Vec<Entry>,
}

/// The widths of the entries a record of `schema` encrypts to, in order.
pub fn layout(schema: &CampaignSchema) -> Vec<u32> {
    let mut out = Vec::new();
    for f in schema.fields() {
        match &f.kind {
            FieldKind::Numeric(n) => out.push(n.bits.bits()),
            FieldKind::Categorical(c) => {
                out.extend(std::iter::repeat_n(ONE_HOT_ENTRY_BITS, c.categories.len()))
            }
        }
    }
    out
}

/// Total message bits of one record (what the zk-pok CRS must cover).
pub fn total_bits(schema: &CampaignSchema) -> usize {
    layout(schema).iter().map(|b| *b as usize).sum()
}

/// Checks a JSON record (`{"field": value, ...}`) against `schema` and
/// encodes it. Numeric values are non-negative integers within the width and
/// the declared range; categorical values are one of the category labels.
pub fn encode(schema: &CampaignSchema, record: &Value) -> Result<EncodedRecord, RecordError> {
    let obj = record.as_object().ok_or(RecordError::NotAnObject)?;
    if let Some(unknown) = obj.keys().find(|k| schema.field(k).is_none()) {
        return Err(RecordError::UnknownField(unknown.clone()));
    }
    let mut entries = Vec::new();
    for f in schema.fields() {
        let v = obj
            .get(&f.name)
            .ok_or_else(|| RecordError::MissingField(f.name.clone()))?;
        match &f.kind {
            FieldKind::Numeric(n) => {
                let value = v
                    .as_u64()
                    .ok_or_else(|| RecordError::NotAnInteger(f.name.clone()))?;
                let max = n.bits.max_value();
                if value > max {
                    return Err(RecordError::OutOfWidth {
                        field: f.name.clone(),
                        value,
                        bits: n.bits.bits(),
                        max,
                    });
                }
                if let Some(r) = n.range {
                    if value < r.min || value > r.max {
                        return Err(RecordError::OutOfRange {
                            field: f.name.clone(),
                            value,
                            min: r.min,
                            max: r.max,
                        });
                    }
                }
                entries.push(Entry {
                    value,
                    bits: n.bits.bits(),
                });
            }
            FieldKind::Categorical(c) => {
                let label = v.as_str().unwrap_or_default();
                let idx = c
                    .categories
                    .iter()
                    .position(|x| x == label)
                    .ok_or_else(|| RecordError::UnknownCategory {
                        field: f.name.clone(),
                        value: v.to_string(),
                    })?;
                entries.extend((0..c.categories.len()).map(|i| Entry {
                    value: u64::from(i == idx),
                    bits: ONE_HOT_ENTRY_BITS,
                }));
            }
        }
    }
    Ok(EncodedRecord { entries })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schema() -> CampaignSchema {
        CampaignSchema::from_json(
            r#"{"fields": [
                {"type": "numeric", "name": "age", "bits": 8, "range": {"min": 18, "max": 120}},
                {"type": "numeric", "name": "steps", "bits": 16},
                {"type": "categorical", "name": "region", "categories": ["n", "s", "e"]}]}"#,
        )
        .unwrap()
    }

    #[test]
    fn encodes_in_layout_order() {
        let s = schema();
        assert_eq!(layout(&s), vec![8, 16, 2, 2, 2]);
        assert_eq!(total_bits(&s), 30);
        let r = encode(&s, &json!({"age": 40, "steps": 65535, "region": "s"})).unwrap();
        let values: Vec<u64> = r.entries.iter().map(|e| e.value).collect();
        assert_eq!(values, vec![40, 65535, 0, 1, 0]);
        let bits: Vec<u32> = r.entries.iter().map(|e| e.bits).collect();
        assert_eq!(bits, layout(&s));
    }

    #[test]
    fn refuses_values_that_do_not_fit() {
        let s = schema();
        let cases = [
            (json!([1, 2]), RecordError::NotAnObject),
            (
                json!({"age": 40, "region": "n"}),
                RecordError::MissingField("steps".into()),
            ),
            (
                json!({"age": 40, "steps": 1, "region": "n", "x": 1}),
                RecordError::UnknownField("x".into()),
            ),
            (
                json!({"age": -1, "steps": 1, "region": "n"}),
                RecordError::NotAnInteger("age".into()),
            ),
            (
                json!({"age": 4.5, "steps": 1, "region": "n"}),
                RecordError::NotAnInteger("age".into()),
            ),
            (
                json!({"age": "40", "steps": 1, "region": "n"}),
                RecordError::NotAnInteger("age".into()),
            ),
        ];
        for (rec, err) in cases {
            assert_eq!(encode(&s, &rec), Err(err));
        }
        assert!(matches!(
            encode(&s, &json!({"age": 40, "steps": 65536, "region": "n"})),
            Err(RecordError::OutOfWidth { bits: 16, .. })
        ));
        assert!(matches!(
            encode(&s, &json!({"age": 200, "steps": 1, "region": "n"})),
            Err(RecordError::OutOfRange { .. })
        ));
        assert!(matches!(
            encode(&s, &json!({"age": 17, "steps": 1, "region": "n"})),
            Err(RecordError::OutOfRange { .. })
        ));
        assert!(matches!(
            encode(&s, &json!({"age": 40, "steps": 1, "region": "w"})),
            Err(RecordError::UnknownCategory { .. })
        ));
        assert!(matches!(
            encode(&s, &json!({"age": 40, "steps": 1, "region": 1})),
            Err(RecordError::UnknownCategory { .. })
        ));
    }
}
