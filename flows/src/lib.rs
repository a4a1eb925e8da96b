//! # flows
//!
//! Tributary's business use cases as library functions — opportunity-to-payment,
//! order-to-cash, settlement reconciliation, dunning, recurring billing, vault sync, refunds,
//! chargebacks — and the stores that make them exactly-once.
//!
//! The use-case functions are coming (they are built on the PayTrace, Salesforce and
//! Dynamics 365 clients). This release holds the stores they rely on:
//!
//! - the **idempotency ledger** ([`store::Ledger`]): business key → outcome, so that a
//!   rerun or a replayed event does nothing twice, and a charge whose answer was lost is
//!   reconciled before anything else happens;
//! - the **dead-letter store** ([`store::DeadLetterStore`]): what failed, why, and the
//!   canonical payload (never card data) to replay it;
//! - **checkpoints** ([`store::CheckpointStore`]): Streaming API replay ids, SOQL poll
//!   watermarks, export windows.
//!
//! Each is a trait with an in-memory implementation and a durable file implementation
//! (append-only JSON lines, `fsync`'d before a write is acknowledged, safe to reopen after
//! a crash; one process owns a store directory). See [`store`] for the guarantees.
//!
//! ## Example
//!
//! ```
//! use flows::store::{Claim, Ledger, MemoryLedger};
//! use mapping::idempotency::IdempotencyKey;
//! use serde_json::json;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), flows::Error> {
//! let ledger = MemoryLedger::new();
//! let key = IdempotencyKey::derive("pt-sale", &["OPP-0042"]);
//!
//! // First run: the key is ours, so charge, then record the outcome.
//! let claim = ledger.begin(key.as_str(), json!({"invoice_id": "OPP-0042"})).await?;
//! assert_eq!(claim, Claim::Claimed { attempt: 1 });
//! ledger
//!     .complete(key.as_str(), json!({"transaction_id": "123456789", "payment_id": "a0B5g00000XyZ"}))
//!     .await?;
//!
//! // A rerun or a replayed event finds the work done and does nothing.
//! match ledger.begin(key.as_str(), json!({"invoice_id": "OPP-0042"})).await? {
//!     Claim::Existing(entry) => {
//!         assert_eq!(entry.outcome(), Some(&json!({"transaction_id": "123456789", "payment_id": "a0B5g00000XyZ"})));
//!     }
//!     Claim::Claimed { .. } => unreachable!("the sale was done already"),
//! }
//! # Ok(())
//! # }
//! ```
//!
//! For durability, open a [`store::FileLedger`] on a directory instead; it is the same
//! [`store::Ledger`].
//!
//! ## Modules
//! | module | holds |
//! |---|---|
//! | [`store`] | the store traits and their memory and file implementations |
//! | [`store::ledger`] | [`Ledger`](store::Ledger), [`Claim`](store::Claim), [`Entry`](store::Entry): the claim / complete / reconcile protocol |
//! | [`store::dead_letter`] | [`DeadLetterStore`](store::DeadLetterStore), [`DeadLetter`](store::DeadLetter), [`replay`](store::replay) |
//! | [`store::checkpoint`] | [`CheckpointStore`](store::CheckpointStore), [`PollWatermark`](store::PollWatermark), [`ExportWindow`](store::ExportWindow) |
//! | [`store::card_guard`] | the PAN and CSC redaction every store applies |
//! | [`error`] | [`Error`], classified by [`mapping::retry::ErrorKind`] |

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod error;
pub mod store;

pub use error::{Error, Result};
