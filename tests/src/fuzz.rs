//! Strategies for fuzzing decoders (`tests/api/decoders.rs`): arbitrary
//! JSON, and structure-aware mutations of a valid JSON document or byte
//! string. A mutation of a valid input gets past a decoder's first checks
//! (it is still JSON of roughly the right shape, still a tfhe header, still
//! base64) and reaches the deeper ones, which random bytes seldom do.

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{Map, Value};

/// A proptest configuration of `cases` cases that writes no regression
/// files into the source tree (a failure prints its minimal input).
pub fn config(cases: u32) -> Config {
    Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    }
}

/// `n` values of `strategy` drawn at random (no shrinking), for properties
/// checked by async code that cannot run inside `proptest!`; a failing
/// check prints the input it failed on.
pub fn samples<S: Strategy>(strategy: S, n: usize) -> Vec<S::Value> {
    use proptest::strategy::ValueTree;
    let mut runner = TestRunner::new(config(n as u32));
    (0..n)
        .map(|_| {
            strategy
                .new_tree(&mut runner)
                .expect("a strategy value")
                .current()
        })
        .collect()
}

/// Any JSON value: scalars of every kind (huge and negative numbers, hex
/// and control characters in strings) nested up to four levels.
pub fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        (-3i64..300).prop_map(Value::from),
        any::<f64>().prop_filter_map("finite", |f| serde_json::Number::from_f64(f)
            .map(Value::Number)),
        ".{0,12}".prop_map(Value::String),
        "[0-9a-f]{0,70}".prop_map(Value::String),
        "[A-Za-z0-9+/=]{0,48}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map("[a-z_]{1,12}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// One edit of a byte string; positions are taken modulo its length.
#[derive(Debug, Clone)]
pub enum ByteEdit {
    /// Flip one bit.
    Flip { at: usize, bit: u8 },
    /// Overwrite one byte.
    Set { at: usize, byte: u8 },
    /// Insert bytes.
    Insert { at: usize, bytes: Vec<u8> },
    /// Delete up to `len` bytes.
    Delete { at: usize, len: usize },
    /// Keep only the first `at` bytes.
    Truncate { at: usize },
    /// Append bytes.
    Append { bytes: Vec<u8> },
}

/// One to four byte edits.
pub fn byte_edits() -> impl Strategy<Value = Vec<ByteEdit>> {
    let edit = prop_oneof![
        4 => (any::<usize>(), 0u8..8).prop_map(|(at, bit)| ByteEdit::Flip { at, bit }),
        3 => (any::<usize>(), any::<u8>()).prop_map(|(at, byte)| ByteEdit::Set { at, byte }),
        1 => (any::<usize>(), prop::collection::vec(any::<u8>(), 1..16))
            .prop_map(|(at, bytes)| ByteEdit::Insert { at, bytes }),
        1 => (any::<usize>(), 1usize..64).prop_map(|(at, len)| ByteEdit::Delete { at, len }),
        1 => any::<usize>().prop_map(|at| ByteEdit::Truncate { at }),
        1 => prop::collection::vec(any::<u8>(), 1..16).prop_map(|bytes| ByteEdit::Append { bytes }),
    ];
    prop::collection::vec(edit, 1..=4)
}

/// `valid` with `edits` applied.
pub fn apply_bytes(valid: &[u8], edits: &[ByteEdit]) -> Vec<u8> {
    let mut out = valid.to_vec();
    for e in edits {
        let n = out.len();
        match e {
            ByteEdit::Flip { at, bit } if n > 0 => out[at % n] ^= 1 << bit,
            ByteEdit::Set { at, byte } if n > 0 => out[at % n] = *byte,
            ByteEdit::Insert { at, bytes } => {
                let at = at % (n + 1);
                out.splice(at..at, bytes.iter().copied());
            }
            ByteEdit::Delete { at, len } if n > 0 => {
                let at = at % n;
                out.drain(at..(at + len).min(n));
            }
            ByteEdit::Truncate { at } => out.truncate(at % (n + 1)),
            ByteEdit::Append { bytes } => out.extend_from_slice(bytes),
            _ => {}
        }
    }
    out
}

/// One edit of a JSON document. `node` picks a node in pre-order, modulo
/// their number.
#[derive(Debug, Clone)]
pub enum JsonEdit {
    /// Replace the node with another value.
    Replace { node: usize, with: Value },
    /// Remove the node from its parent (the root becomes `null`).
    Remove { node: usize },
    /// Add a key to the object (or an element to the array) at or above the node.
    Add {
        node: usize,
        key: String,
        value: Value,
    },
}

/// One to three JSON edits.
pub fn json_edits() -> impl Strategy<Value = Vec<JsonEdit>> {
    let edit = prop_oneof![
        4 => (any::<usize>(), json_value()).prop_map(|(node, with)| JsonEdit::Replace { node, with }),
        2 => any::<usize>().prop_map(|node| JsonEdit::Remove { node }),
        1 => (any::<usize>(), "[a-z_]{1,12}", json_value())
            .prop_map(|(node, key, value)| JsonEdit::Add { node, key, value }),
    ];
    prop::collection::vec(edit, 1..=3)
}

fn count(v: &Value) -> usize {
    1 + match v {
        Value::Array(a) => a.iter().map(count).sum(),
        Value::Object(o) => o.values().map(count).sum(),
        _ => 0,
    }
}

/// Applies `f` to the node of pre-order index `target` under `v` (`*next`
/// is `v`'s index), or to its parent and the child's key for removals.
fn visit(v: &mut Value, next: &mut usize, target: usize, edit: &JsonEdit) -> bool {
    if *next == target {
        match edit {
            JsonEdit::Replace { with, .. } => *v = with.clone(),
            JsonEdit::Remove { .. } => *v = Value::Null,
            JsonEdit::Add { key, value, .. } => match v {
                Value::Object(o) => {
                    o.insert(key.clone(), value.clone());
                }
                Value::Array(a) => a.push(value.clone()),
                other => *other = Value::Array(vec![other.clone(), value.clone()]),
            },
        }
        return true;
    }
    *next += 1;
    match v {
        Value::Array(a) => {
            for i in 0..a.len() {
                if *next == target && matches!(edit, JsonEdit::Remove { .. }) {
                    a.remove(i);
                    return true;
                }
                if visit(&mut a[i], next, target, edit) {
                    return true;
                }
            }
        }
        Value::Object(o) => {
            let keys: Vec<String> = o.keys().cloned().collect();
            for k in keys {
                if *next == target && matches!(edit, JsonEdit::Remove { .. }) {
                    o.remove(&k);
                    return true;
                }
                if visit(o.get_mut(&k).expect("key"), next, target, edit) {
                    return true;
                }
            }
        }
        _ => {}
    }
    false
}

/// `valid` with `edits` applied.
pub fn apply_json(valid: &Value, edits: &[JsonEdit]) -> Value {
    let mut out = valid.clone();
    for e in edits {
        let node = match e {
            JsonEdit::Replace { node, .. }
            | JsonEdit::Remove { node }
            | JsonEdit::Add { node, .. } => *node,
        };
        let target = node % count(&out);
        visit(&mut out, &mut 0, target, e);
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn edits_land_where_they_point() {
        let v = json!({"a": [1, 2], "b": {"c": 3}});
        // Pre-order: 0 root, 1 a, 2 a[0], 3 a[1], 4 b, 5 c.
        assert_eq!(
            apply_json(&v, &[JsonEdit::Remove { node: 3 }]),
            json!({"a": [1], "b": {"c": 3}})
        );
        assert_eq!(
            apply_json(&v, &[JsonEdit::Remove { node: 4 }]),
            json!({"a": [1, 2]})
        );
        assert_eq!(
            apply_json(
                &v,
                &[JsonEdit::Replace {
                    node: 11,
                    with: json!("x")
                }]
            ),
            json!({"a": [1, 2], "b": {"c": "x"}})
        );
        assert_eq!(
            apply_json(
                &v,
                &[JsonEdit::Add {
                    node: 4,
                    key: "d".into(),
                    value: json!(null)
                }]
            ),
            json!({"a": [1, 2], "b": {"c": 3, "d": null}})
        );
        assert_eq!(
            apply_bytes(
                b"abcd",
                &[
                    ByteEdit::Delete { at: 1, len: 2 },
                    ByteEdit::Set { at: 5, byte: b'z' }
                ]
            ),
            b"az".to_vec()
        );
        assert_eq!(
            apply_bytes(b"abcd", &[ByteEdit::Flip { at: 0, bit: 0 }]),
            b"`bcd".to_vec()
        );
    }
}
