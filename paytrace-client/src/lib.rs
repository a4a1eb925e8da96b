//! # paytrace-client
//!
//! A typed async client of the [PayTrace](https://paytrace.com) v1 JSON API: card sales and
//! authorizations (keyed, swiped, vaulted, Protect.js), captures, voids, refunds, ACH checks,
//! the customer vault, recurring payments, transaction and batch exports — with retries that
//! never charge a card twice, and conversions to Tributary's canonical model.
//!
//! ## Quick start
//!
//! ```no_run
//! use paytrace_client::{Amount, Card, Client, Credentials, KeyedPayment, SANDBOX_URL};
//!
//! # async fn run() -> paytrace_client::Result<()> {
//! let client = Client::builder()
//!     .base_url(SANDBOX_URL)
//!     .credentials(Credentials::password("api-user", "api-password"))
//!     .integrator_id("9999XXXXXXXX")
//!     .build()?; // or Client::from_env()
//!
//! let card = Card::new("4012000098765439", 12, 2030)?.with_csc("999")?;
//! let sale = KeyedPayment::new(Amount::parse("19.99")?, card).invoice_id("INV-1001");
//! let answer = client.transactions().sale_keyed(&sale).await?;
//! if answer.is_approved() {
//!     println!("charged: transaction {:?}", answer.transaction_id);
//! } else {
//!     println!("declined: {:?}", answer.approval_message);
//! }
//! # Ok(()) }
//! ```
//!
//! Everything that can be checked without the network is checked before a request is built:
//!
//! ```
//! use canonical_model::{Currency, Money};
//! use paytrace_client::{Amount, Card};
//! use rust_decimal::Decimal;
//!
//! assert!(Card::new("4111111111111112", 12, 2030).is_err()); // fails the Luhn check
//! assert!(Amount::parse("10.005").is_err()); // PayTrace takes cents only
//! assert!(Amount::try_from(&Money::new(Decimal::TEN, Currency::EUR)).is_err()); // USD only
//! ```
//!
//! ## Safety rules
//!
//! - **Money-moving calls are never resent once they may have reached PayTrace.** Sales,
//!   authorizations, captures, refunds, voids and ACH calls are retried only when the request
//!   certainly did not arrive (connection refused, a 401 for an expired token, a 429). After
//!   a timeout, a dropped connection, a 5xx or an unreadable answer they fail with
//!   [`Error::OutcomeUnknown`]. PayTrace v1 has no idempotency key.
//! - **Reconcile by invoice id.** Give every charge an `invoice_id`; after `OutcomeUnknown`,
//!   [`Exports::find_by_invoice`](exports::Exports::find_by_invoice) tells "charged" from "not
//!   charged" before anything is tried again. Reads (exports) are retried per the
//!   [`RetryPolicy`](mapping::retry::RetryPolicy).
//! - **A decline is an answer, not an error**: check
//!   [`TransactionResponse::is_approved`]. Only refusals (`response_code: 1` with `errors`)
//!   become [`Error::Api`], with every code and message.
//! - **Card data never leaks.** [`CardNumber`], [`Csc`], [`Swipe`] and
//!   [`AccountNumber`] are validated on creation, print only the last
//!   four digits in `Debug`, have no `Display`, are wiped on drop, and exist only in the body
//!   of the request that needs them. Errors, tracing fields and returned values never hold
//!   them (PayTrace returns masked numbers). Credentials are
//!   [`secrecy::SecretString`]s and the `Authorization` header is marked sensitive.
//! - **USD only, cents only**: [`Amount`] refuses other currencies, zero, negative amounts
//!   and sub-cent digits.
//!
//! ## Tracing
//!
//! Each operation runs in one span named after it (`paytrace.sale_keyed`, …) with
//! `http.request.method`, `url.path`, `http.response.status_code`, `paytrace.response_code`,
//! `paytrace.request_id`, `attempts` and `error.type`; each attempt in a child span. Bodies,
//! tokens and card data are never recorded.
//!
//! ## Modules
//!
//! | module | holds |
//! |---|---|
//! | [`client`] | [`Client`], [`ClientBuilder`], host constants |
//! | [`auth`] | [`Credentials`]; token fetch and single-flight cache |
//! | [`error`] | [`Error`], [`Result`] |
//! | [`card`] | [`Card`], [`CardNumber`], [`Csc`], [`Swipe`] |
//! | [`amount`] | [`Amount`] |
//! | [`response`] | [`ResponseCode`], [`TransactionId`], [`CheckTransactionId`], [`RecurrenceId`] |
//! | [`transactions`] | sales, authorizations, capture, void, refunds, adjust, settle, receipts, Level 3 |
//! | [`checks`] | ACH sales, holds, refunds, fund, void |
//! | [`customers`] | the customer vault |
//! | [`recurrence`] | recurring payments |
//! | [`exports`] | transaction exports, streams by date window, [`find_by_invoice`](exports::Exports::find_by_invoice) |
//! | [`batches`] | settlement batch exports |
//! | [`protect`] | Protect.js client key and tokens |
//! | [`raw`] | any other v1 endpoint |
//! | [`canonical`] | export records → canonical `Payment`, `Customer`, `SettlementBatch` |

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod amount;
pub mod auth;
pub mod batches;
pub mod canonical;
pub mod card;
pub mod checks;
pub mod client;
pub mod customers;
pub mod error;
pub mod exports;
mod http;
pub mod protect;
pub mod raw;
pub mod recurrence;
pub mod response;
pub mod transactions;

pub use amount::Amount;
pub use auth::Credentials;
pub use card::{Card, CardNumber, Csc, Swipe};
pub use checks::{
    AccountNumber, BankAccount, CheckPayment, CheckRefund, CheckResponse, RoutingNumber,
};
pub use client::{Client, ClientBuilder, PRODUCTION_URL, SANDBOX_URL};
pub use customers::{
    CreateCustomer, CreateCustomerFromTransaction, CustomerRecord, CustomerResponse,
    ProtectCreateCustomer, UpdateCustomer,
};
pub use error::{Error, Result};
pub use exports::{TransactionFilter, TransactionQuery, TransactionRecord};
pub use protect::ProtectToken;
pub use recurrence::{Frequency, NewRecurrence, RecurrenceUpdate};
pub use response::{CheckTransactionId, RecurrenceId, ResponseCode, TransactionId};
pub use transactions::{
    Address, Capture, CustomerPayment, KeyedPayment, Level3, LineItem, ProtectPayment, Refund,
    StatusResponse, SwipedPayment, TransactionPayment, TransactionResponse,
};
