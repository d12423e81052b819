//! Cipherpool's homomorphic statistics engine.
//!
//! The TFHE key handling and the statistics engine (sums, histograms, XᵀX /
//! Xᵀy over encrypted contributions, CPU and CUDA backends) land with the
//! contributions and statistics work; until then this crate only fixes its
//! place in the workspace: it depends on `protocol` and is used by `server`,
//! never the reverse.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub use protocol::CampaignSchema;
