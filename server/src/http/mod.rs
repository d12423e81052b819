//! HTTP-facing pieces shared by every route: the error type and the one
//! place where errors (the services' own, the store's, the extractors')
//! become status codes and stable error codes; bodies served with a
//! strong ETag.

pub mod cached;
pub mod error;
