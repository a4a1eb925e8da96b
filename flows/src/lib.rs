//! # flows
//!
//! Tributary's business use cases as library functions — opportunity-to-payment,
//! order-to-cash, settlement reconciliation, dunning, recurring billing, vault sync, refunds,
//! chargebacks — over the PayTrace, Salesforce and Dynamics 365 clients, and the stores that
//! make them exactly-once. A service embeds these functions; the `examples` crate runs each
//! as a binary.
//!
//! ## How a flow runs
//!
//! - A flow takes [`Systems`]: the three clients (`paytrace_client::Client`,
//!   `salesforce_client::Client`, the ERP facade `dynamics365_client::erp::AnyErp`), the
//!   [`Stores`] and the [`Settings`](systems::Settings). [`Systems::from_env`] makes each
//!   system whose variables are set the real one and, with the `sandbox` feature (default),
//!   each other one its emulator, in-process on `127.0.0.1`.
//! - Each business record (an Opportunity, an order, a settled transaction) is claimed in
//!   the **idempotency ledger** ([`store::Ledger`]) under its business key, so a rerun or a
//!   replayed event does nothing twice. A charge goes through [`charge`]: a lost answer is
//!   reconciled through PayTrace's export by invoice id before anything else happens, and
//!   no key is ever charged twice. Every other step is idempotent (upserts by external id,
//!   ERP writes found again by their reference), so a rerun completes a half-done record.
//! - A record that fails (mapping, validation, retries run out) goes to the **dead-letter
//!   store** ([`store::DeadLetterStore`]) with the reason and its canonical payload (never
//!   card data), and the run goes on; each flow's `replay` runs it again.
//! - **Checkpoints** ([`store::CheckpointStore`]) keep poll watermarks and Streaming API
//!   replay ids. Each store has an in-memory and a durable file implementation
//!   (append-only, `fsync`'d, safe to reopen after a crash): see [`store`].
//! - Every record runs in a `flow.record` span and each step in a `flow.step` span with the
//!   fields `flow`, `step` and `key` ([`step`]); `RUST_LOG` picks what is shown.
//! - A run returns a [`RunReport`]: per system and object what was created, updated,
//!   skipped or dead-lettered, printable as a table or serialisable as JSON ([`report`]).
//!
//! ## Example
//!
//! Use case 1 against the three emulators, started and seeded in-process:
//!
//! ```
//! use flows::opportunity_to_payment::{self, Options};
//! use flows::systems::seed::{self, SeedOptions};
//! use flows::systems::SandboxOptions;
//! use flows::{Stores, Systems};
//!
//! # #[tokio::main(flavor = "multi_thread", worker_threads = 2)]
//! # async fn main() -> Result<(), flows::Error> {
//! let systems = Systems::sandbox(SandboxOptions::default(), Stores::memory()).await?;
//! let seeded = seed::opportunities(
//!     systems.sandboxes().expect("started above"),
//!     &SeedOptions { opportunities: 6, ..SeedOptions::default() },
//! )?;
//!
//! let report = opportunity_to_payment::run(&systems, &Options::default()).await?;
//! println!("{report}"); // the table: PayTrace sale, Salesforce Payment__c, ERP payment line, …
//! assert_eq!(report.records.completed, 2);
//! assert_eq!(report.records.declined, 1); // the seed's declining card
//! assert_eq!(report.dead_letters.len(), 2); // no vault id; an ERP invoice that does not exist
//! assert_eq!(seeded.opportunities.len(), 6); // and one Closed Lost, not picked up
//!
//! // A second run finds every record done and changes nothing.
//! let again = opportunity_to_payment::run(&systems, &Options::default()).await?;
//! assert!(!again.changed_anything());
//! # Ok(())
//! # }
//! ```
//!
//! ## Modules
//! | module | holds |
//! |---|---|
//! | [`systems`] | [`Systems`], [`Stores`], [`Settings`](systems::Settings); the emulators ([`Sandboxes`](systems::Sandboxes)) and their demo data ([`systems::seed`]) with the `sandbox` feature |
//! | [`opportunity_to_payment`] | use case 1: Closed Won Opportunities (SOQL poll or Streaming API) → PayTrace → `Payment__c`, Opportunity → ERP customer, order or invoice, payment |
//! | [`order_to_cash`] | use case 2: storefront orders → PayTrace → ERP customer, sales order, payment journal line, posted |
//! | [`settlement_reconciliation`] | use case 3: a day's PayTrace batches → `Payment__c` Settled → ERP journal entry per batch → mismatch CSV |
//! | [`charge`] | exactly-once PayTrace charges of a vault profile, reconciled by invoice id |
//! | [`step`] | the step convention: spans, retries of idempotent steps, dead letters |
//! | [`report`] | [`RunReport`], [`Recorder`](report::Recorder), [`Progress`](report::Progress) |
//! | [`store`] | the store traits and their memory and file implementations |
//! | [`store::ledger`] | [`Ledger`](store::Ledger), [`Claim`](store::Claim), [`Entry`](store::Entry): the claim / complete / reconcile protocol |
//! | [`store::dead_letter`] | [`DeadLetterStore`](store::DeadLetterStore), [`DeadLetter`](store::DeadLetter), [`replay`](store::replay) |
//! | [`store::checkpoint`] | [`CheckpointStore`](store::CheckpointStore), [`PollWatermark`](store::PollWatermark), [`ExportWindow`](store::ExportWindow) |
//! | [`store::card_guard`] | the PAN and CSC redaction every store applies |
//! | [`error`] | [`Error`], classified by [`mapping::retry::ErrorKind`] |
//! | [`failed_payment_dunning`] | use case 4: declines → `Payment__c`, Opportunity, a Case; retries by a [`DunningPolicy`](failed_payment_dunning::DunningPolicy), then flagged |
//! | [`recurring_billing`] | use case 5: `Subscription__c` due → vault charges → `Payment__c`, the next date, an ERP journal entry |
//! | [`vault_sync`] | use case 6: PayTrace vault ↔ Account vault ids, mismatches reported, profiles made from transactions |
//! | [`refund`] | use case 7: `Refund_Request__c` → void or refund → `Payment__c`, Opportunity, an ERP credit entry |
//! | [`chargeback`] | use case 8: the chargeback report (CSV) → `Payment__c` Charged Back, a Case, an ERP reversal entry |
//! | [`journal`] | the two-line ERP journal entries of use cases 5, 7 and 8 |
//! | [`scenarios`] | the sandbox data of use cases 4–8 (feature `sandbox`) |

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod charge;
pub mod error;
pub mod opportunity_to_payment;
pub mod order_to_cash;
pub mod report;
pub mod settlement_reconciliation;
pub mod step;
pub mod store;
pub mod systems;

// Use cases 4–8 and what they share.
pub mod chargeback;
mod crm;
pub mod failed_payment_dunning;
pub mod journal;
mod once;
pub mod recurring_billing;
pub mod refund;
#[cfg(feature = "sandbox")]
pub mod scenarios;
pub mod vault_sync;

pub use error::{Error, Result};
pub use report::RunReport;
pub use systems::{Stores, Systems};
