//! # mapping
//!
//! What every Tributary client and flow shares that is not specific to one API:
//!
//! - [`transform`]: small, tested functions between the vocabularies of PayTrace, Salesforce,
//!   Dynamics 365 and the [`canonical_model`]: statuses, money formats, addresses, names,
//!   dates, processor texts. The vocabularies are data tables a user can override or extend.
//! - [`fieldmap`]: the declarative field-mapping engine. A TOML (or JSON) spec says which
//!   target field comes from which source path, through which transforms, under which
//!   condition; the same spec maps both ways, carries custom fields and enrichment, and is
//!   validated when loaded. Default specs map PayTrace transactions to Salesforce
//!   `Payment__c`, F&O `CustomerPaymentJournalLines` and BC `customerPayments`.
//! - [`retry`]: the error-kind vocabulary, the retry policy (full-jitter backoff,
//!   `Retry-After`, idempotency rules), the async send-retry executor and the single-flight
//!   token cache every client's `send` path is built on.
//! - [`idempotency`]: deterministic idempotency keys derived from business identifiers, so a
//!   replayed event yields the same key and does nothing twice.
//!
//! `mapping` depends on `canonical-model` only: it knows the systems' vocabularies, never
//! their client types.
//!
//! ## Example
//!
//! Map a PayTrace transaction export record into a Salesforce `Payment__c` with the shipped
//! spec, and derive the idempotency key of the charge it came from:
//!
//! ```
//! use mapping::fieldmap::{defaults, Context};
//! use mapping::idempotency::IdempotencyKey;
//! use serde_json::json;
//!
//! let record = json!({
//!     "transaction_id": 123456789,
//!     "transaction_type": "SALE",
//!     "amount": 51.88,
//!     "status_code": "GB571",
//!     "status_message": "GB571",
//!     "created": { "at": "4/10/2015 4:06:30 PM" },
//!     "credit_card": { "masked_number": "************5454" },
//!     "customer_id": "cust-17",
//!     "invoice_id": "006Dn000004xYzAIAU",
//!     "discretionary_data": { "Subscription_Term": "12 months" }
//! });
//! let context = Context::new().with("opportunity_id", "006Dn000004xYzAIAU");
//!
//! let spec = defaults::paytrace_to_salesforce()?;
//! let payment = spec.apply(&record, &context)?;
//! assert_eq!(payment["PaymentID__c"], "123456789");
//! assert_eq!(payment["Status__c"], "Settled");
//! assert_eq!(payment["Last4Digits__c"], "5454");
//! assert_eq!(payment["TransactionDate__c"], "2015-04-10T23:06:30.000+0000");
//! assert_eq!(payment["Subscription_Term__c"], "12 months");
//!
//! let key = IdempotencyKey::derive("charge", &["006Dn000004xYzAIAU"]);
//! assert_eq!(key, IdempotencyKey::derive("charge", &["006Dn000004xYzAIAU"]));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod fieldmap;
pub mod idempotency;
pub mod retry;
pub mod transform;
