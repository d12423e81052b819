//! HTTP-facing pieces shared by every route: the error type and the one
//! place where errors (the services' own, the store's, the extractors')
//! become status codes and stable error codes; the error responses the
//! OpenAPI document shares; 405 answers with `Allow`; bodies served with a
//! strong ETag; the wasm client's files, precompressed.

pub mod allow;
pub mod assets;
pub mod cached;
pub mod error;
pub mod responses;
