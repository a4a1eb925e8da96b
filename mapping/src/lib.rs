//! # mapping
//!
//! (crate guide being written)

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod idempotency;
pub mod retry;
pub mod transform;
