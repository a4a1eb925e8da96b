//! Stateful emulator of the PayTrace v1 JSON API, written from
//! `shared/reference/paytrace.md` only.
//!
//! # What it speaks
//!
//! * `POST /oauth/token`: password grant, form-encoded or JSON body. Answers
//!   `{access_token, token_type:"bearer", expires_in, created_at}` with `Cache-Control:
//!   no-store`; bad credentials → HTTP 400 `invalid_grant` (Doorkeeper-style, UNCONFIRMED).
//! * `GET|POST /v1/ping` → `{"status":"success"}`, no auth.
//! * Every `POST /v1/...` path of reference §2 (see `router.rs` for the table). Each needs
//!   `Authorization: Bearer <token>` (else 401 `{"error":"invalid_token",…}`) and a JSON body
//!   with a valid `integrator_id` (970 missing, 971 invalid).
//! * Validation failures: HTTP 400, `success:false, response_code:1, errors{"<key>":[…]}`,
//!   with every failing key at once. Declines: HTTP 200, `success:false, response_code:102`
//!   and the full approval/AVS/CSC fields. See [`codes`] for every key, including the ones the
//!   sandbox had to choose.
//! * Every response carries an `X-Request-Id` header.
//!
//! # State machine
//!
//! sale → pending settlement (`Y`); authorization → `Authorization Only` (`N`) → capture →
//! pending settlement; settle (`/v1/transactions/settle`, or
//! [`PayTraceEmulator::force_settle`]) → `GB<n>` with a `settled` timestamp. Void only while
//! pending or an open authorization (818); refund `for_transaction` only after settlement (817)
//! and never beyond what remains (814); capture only an open authorization (816).
//!
//! # Card data
//!
//! The emulator never stores or returns a full card number, account number or CSC: it keeps
//! BIN, last four, length, expiry and a private fingerprint. Sale responses mask as
//! `xxxxxxxxxxxx1234`, exports as `************1234` (BIN + last four with `include_bin`).
//!
//! # Time
//!
//! Everything reads the [`SandboxClock`] of the config, which tests can move. Export
//! timestamps (`M/D/YYYY h:mm:ss AM/PM`) and export date filters use
//! [`PayTraceConfig::time_zone`], by default `America/Los_Angeles` (PayTrace states no zone;
//! Pacific is the plausible merchant-local default).

mod auth;
pub mod codes;
pub mod config;
mod dispatch;
mod emulator;
mod export;
mod handlers;
mod input;
mod json;
pub mod model;
mod reply;
mod router;
mod store;
mod validate;

pub use crate::clock::SandboxClock;
pub use config::{
    AutoVoidRule, DEFAULT_INTEGRATOR_ID, DEFAULT_PASSWORD, DEFAULT_USERNAME, DeclineRule,
    PayTraceConfig,
};
pub use emulator::{HpfToken, PayTraceEmulator, PayTraceSandbox, SeedError, TestCard, test_cards};
pub use export::format_timestamp;
pub use model::{
    Address, BankAccount, Batch, CardBrand, CardSummary, CheckKind, CheckStatus, CheckTransaction,
    Customer, EntryMode, Recurrence, Transaction, TransactionKind, TransactionStatus,
};
