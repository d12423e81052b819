//! Cipherpool's TFHE layer.
//!
//! - [`keys`]: the campaign parameter set (tfhe 1.x, 128-bit security with
//!   failure probability 2⁻¹²⁸, dedicated compact public-key parameters for
//!   zk-pok), key generation for the keyholder (feature `keyholder`), and
//!   size-limited (de)serialization of key material.
//! - [`contribution`]: encrypting an encoded record as a proven compact
//!   ciphertext list (contributor side) and checking such a list from
//!   untrusted bytes (server side).
//!
//! - [`stats`]: the homomorphic statistics engine (plans with overflow
//!   bounds, CPU backend, CUDA backend behind the `gpu` feature), and the
//!   keyholder's decryption of aggregates (feature `keyholder`).
//! - [`threshold`]: n-of-n threshold decryption (dealing and partial
//!   decryption with feature `keyholder`, combining for anyone) and the
//!   keyholders' proven noise encryptions.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod contribution;
pub mod keys;
pub mod stats;
pub mod threshold;

pub use contribution::{
    encrypt_record, verify_contribution, verify_contribution_using, ContributionError, ZkVerifier,
};
#[cfg(feature = "keyholder")]
pub use keys::CampaignKeys;
pub use keys::{FheError, PublicMaterial};
