//! # canonical-model
//!
//! The shared vocabulary of Tributary: the types every flow speaks, whichever system a record
//! came from. A PayTrace transaction, a Salesforce `Payment__c` and a Dynamics 365 customer
//! payment journal line all become a [`Payment`]; each client crate converts its API's records
//! to and from these types, and `mapping` holds the tables that translate statuses, dates and
//! names.
//!
//! The crate does no I/O. Its JSON shapes are stable, because dead-letter records and
//! checkpoints store them: fields are added as optional, never renamed.
//!
//! ## Rules the types enforce
//! - Money is a [`rust_decimal::Decimal`] with an ISO 4217 [`Currency`]; never a float.
//!   Arithmetic is checked and refuses to mix currencies; rounding always names a [`Rounding`].
//! - No type here can hold a full card number or a CSC: a card is a [`CardSummary`] with brand,
//!   [`LastFour`] and expiry.
//! - Statuses follow a lifecycle ([`PaymentStatus::can_transition_to`]), so a replayed or late
//!   update cannot move a settled payment back to pending.
//!
//! ## Example
//! ```
//! use canonical_model::{Currency, Money, Payment, PaymentStatus, Rounding, TransactionKind};
//! use rust_decimal::Decimal;
//!
//! let amount = Money::new(Decimal::new(12_500, 2), Currency::USD); // 125.00 USD
//! let mut payment = Payment::new("123456789", TransactionKind::Sale, PaymentStatus::Approved, amount);
//! payment.references.invoice_id = Some("OPP-0042".into());
//!
//! payment.transition(PaymentStatus::Settled)?;
//! payment.apply_refund(&Money::new(Decimal::new(2_500, 2), Currency::USD))?;
//! assert_eq!(payment.status, PaymentStatus::PartiallyRefunded);
//! assert_eq!(payment.refundable_amount()?.to_minor_units(Rounding::HalfEven)?, 10_000);
//!
//! // Three equal instalments that add up to the cent.
//! let parts = amount.split(3, Rounding::HalfEven)?;
//! assert_eq!(Money::sum(Currency::USD, &parts)?, amount);
//! # Ok::<(), canonical_model::ModelError>(())
//! ```
//!
//! ## Modules
//! | module | holds |
//! |---|---|
//! | [`money`] | [`Money`], [`Currency`], [`Rounding`] |
//! | [`address`] | [`Address`], [`CountryCode`] |
//! | [`customer`] | [`Customer`], [`Party`], [`PersonName`] |
//! | [`method`] | [`PaymentMethod`], [`CardSummary`], [`LastFour`], [`CardBrand`], [`AchSummary`] |
//! | [`payment`] | [`Payment`], [`PaymentStatus`], [`TransactionKind`], [`ProcessorResponse`], [`DeclineReason`] |
//! | [`order`] | [`Order`], [`OrderLine`] |
//! | [`invoice`] | [`Invoice`], [`InvoiceLine`] |
//! | [`settlement`] | [`SettlementBatch`], [`BatchTotal`] |
//! | [`journal`] | [`JournalEntry`], [`JournalLine`] |
//! | [`subscription`] | [`Subscription`], [`Frequency`] |
//! | [`refs`] | [`ExternalRef`], [`System`] |

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod address;
pub mod customer;
pub mod error;
pub mod invoice;
pub mod journal;
pub mod method;
pub mod money;
pub mod order;
pub mod payment;
pub mod refs;
pub mod settlement;
pub mod subscription;

pub use address::{Address, CountryCode};
pub use customer::{Customer, Party, PersonName};
pub use error::{ModelError, Result};
pub use invoice::{Invoice, InvoiceLine, InvoiceStatus};
pub use journal::{AccountKind, EntrySide, JournalEntry, JournalLine};
pub use method::{
    AchAccountType, AchSummary, CardBrand, CardExpiry, CardSummary, LastFour, PaymentMethod,
};
pub use money::{Currency, Money, Rounding, minor_unit_exponent};
pub use order::{Order, OrderLine, OrderStatus};
pub use payment::{
    AvsResult, CscResult, DeclineReason, Payment, PaymentReferences, PaymentStatus,
    ProcessorResponse, TransactionKind,
};
pub use refs::{ExternalRef, System, find_ref};
pub use rust_decimal::Decimal;
pub use settlement::{BatchTotal, SettlementBatch};
pub use subscription::{Frequency, Subscription, SubscriptionStatus};
