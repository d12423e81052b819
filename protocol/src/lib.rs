//! Cipherpool's shared domain and wire types, used by the browser client and the
//! server alike: the campaign schema and its validation, token amounts, privacy
//! budgets (ε), and the contributor attestation circuit (Groth16 over BN254).
//!
//! This crate does no I/O and depends on no HTTP or SQL crate.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod amount;
pub mod attestation;
pub mod epsilon;
pub mod json_i128;
pub mod record;
pub mod report;
pub mod schema;
pub mod signing;
pub mod terms;
pub mod wire;

pub use amount::{AmountError, TokenAmount};
pub use schema::{
    CampaignSchema, Categorical, Field, FieldKind, Numeric, NumericBits, Regression, SchemaError,
    Statistic, MAX_ENCRYPTED_VALUES,
};
pub use schema::{RawField, RawSchema, ValueRange};
