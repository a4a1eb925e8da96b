//! [`PayTraceEmulator`] (state + router + in-process inspection) and [`PayTraceSandbox`]
//! (the emulator served on `127.0.0.1:0`).

use std::collections::BTreeMap;
use std::fmt;
use std::io;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::Router;
use axum::extract::Request;
use chrono::TimeDelta;
use serde_json::Map;

use super::config::PayTraceConfig;
use super::dispatch::{self, Integrator, Op};
use super::handlers::recurrence;
use super::model::{
    Address, Batch, CardSummary, CheckTransaction, Customer, Recurrence, Transaction,
};
use super::reply::Reply;
use super::store::Store;
use super::validate::{CardInput, card_number_ok};
use crate::clock::SandboxClock;
use crate::fault::{FaultController, FaultPlan};
use crate::server::{ServerBuilder, ServerHandle};

/// Sandbox test card numbers used by public PayTrace clients (reference §9).
pub mod test_cards {
    /// Visa.
    pub const VISA: &str = "4012000098765439";
    /// Visa (the generic test number).
    pub const VISA_GENERIC: &str = "4111111111111111";
    /// Mastercard.
    pub const MASTERCARD: &str = "5499740000000057";
    /// Discover.
    pub const DISCOVER: &str = "6011000993026909";
    /// American Express.
    pub const AMEX: &str = "371449635392376";
}

/// A card handed to the emulator in-process (seeding a customer, minting a Protect token).
/// `Debug` shows only the last four digits.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TestCard {
    /// Card number, digits only.
    pub number: String,
    /// Expiration month 1–12.
    pub expiration_month: u32,
    /// Four-digit expiration year.
    pub expiration_year: i32,
    /// CSC, if the payment fields carried one.
    pub csc: Option<String>,
}

impl TestCard {
    /// A card expiring `month/year`.
    #[must_use]
    pub fn new(number: impl Into<String>, expiration_month: u32, expiration_year: i32) -> Self {
        Self {
            number: number.into(),
            expiration_month,
            expiration_year,
            csc: None,
        }
    }

    /// The sandbox Visa, expiring 12/2030.
    #[must_use]
    pub fn visa() -> Self {
        Self::new(test_cards::VISA, 12, 2030)
    }

    /// With a CSC.
    #[must_use]
    pub fn with_csc(mut self, csc: impl Into<String>) -> Self {
        self.csc = Some(csc.into());
        self
    }

    fn input(&self) -> Result<CardInput, SeedError> {
        if !card_number_ok(&self.number)
            || !(1..=12).contains(&self.expiration_month)
            || !(2000..=2099).contains(&self.expiration_year)
        {
            return Err(SeedError::InvalidCard);
        }
        Ok(CardInput {
            number: self.number.clone(),
            month: self.expiration_month,
            year: self.expiration_year,
        })
    }
}

impl fmt::Debug for TestCard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let tail = self
            .number
            .get(self.number.len().saturating_sub(4)..)
            .unwrap_or("");
        f.debug_struct("TestCard")
            .field("number", &format_args!("…{tail}"))
            .field("expiration_month", &self.expiration_month)
            .field("expiration_year", &self.expiration_year)
            .field("csc", &self.csc.as_ref().map(|_| "***"))
            .finish()
    }
}

/// Why an in-process helper refused its input.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SeedError {
    /// The customer id is empty or already taken.
    DuplicateCustomerId(String),
    /// The card number fails Luhn/length, or the expiry is out of range.
    InvalidCard,
}

impl fmt::Display for SeedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::DuplicateCustomerId(id) => write!(f, "customer id {id:?} is empty or taken"),
            Self::InvalidCard => f.write_str("invalid test card"),
        }
    }
}

impl std::error::Error for SeedError {}

/// One-time Protect.js payment-field token, as the browser iframe would return it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct HpfToken {
    /// `hpf_token`.
    pub hpf_token: String,
    /// `enc_key`.
    pub enc_key: String,
}

/// The PayTrace emulator: state, router and in-process inspection. Cheap to clone (shared).
///
/// Serve it with [`PayTraceSandbox::start`], or mount [`PayTraceEmulator::router`] on any
/// server (e.g. [`crate::server::ServerBuilder`]).
#[derive(Clone)]
pub struct PayTraceEmulator {
    store: Arc<Mutex<Store>>,
    clock: SandboxClock,
}

impl fmt::Debug for PayTraceEmulator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PayTraceEmulator").finish_non_exhaustive()
    }
}

impl Default for PayTraceEmulator {
    fn default() -> Self {
        Self::new(PayTraceConfig::default())
    }
}

impl PayTraceEmulator {
    /// A fresh emulator with no state.
    #[must_use]
    pub fn new(config: PayTraceConfig) -> Self {
        let clock = config.clock.clone();
        Self {
            store: Arc::new(Mutex::new(Store::new(config))),
            clock,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Store> {
        self.store
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The axum router serving the PayTrace API for this emulator.
    pub fn router(&self) -> Router {
        super::router::router(self.clone())
    }

    pub(crate) async fn run_v1(&self, op: Op, integrator: Integrator, req: Request) -> Reply {
        let path = req.uri().path().to_owned();
        let reply = dispatch::run(&self.store, op, integrator, req).await;
        tracing::debug!(
            target: "sandbox::paytrace",
            %path,
            status = reply.status().as_u16(),
            response_code = reply.response_code(),
            "paytrace sandbox request"
        );
        reply
    }

    pub(crate) async fn run_token(&self, req: Request) -> Reply {
        let (parts, body) = req.into_parts();
        let Ok(bytes) = axum::body::to_bytes(body, 64 * 1024).await else {
            return Reply::oauth_error(
                axum::http::StatusCode::BAD_REQUEST,
                "invalid_request",
                "The request body could not be read.",
            );
        };
        let mut store = self.lock();
        super::auth::token(&mut store, &parts.headers, &bytes)
    }

    /// The emulator's clock (shared: moving it moves the emulator's "now").
    #[must_use]
    pub fn clock(&self) -> &SandboxClock {
        &self.clock
    }

    /// A copy of the current configuration.
    #[must_use]
    pub fn config(&self) -> PayTraceConfig {
        self.lock().config.clone()
    }

    /// Change the configuration of the running emulator (e.g. turn on `require_invoice`).
    pub fn update_config(&self, f: impl FnOnce(&mut PayTraceConfig)) {
        f(&mut self.lock().config);
    }

    /// All card transactions, by id.
    #[must_use]
    pub fn transactions(&self) -> Vec<Transaction> {
        self.lock().transactions.values().cloned().collect()
    }

    /// One card transaction.
    #[must_use]
    pub fn transaction(&self, id: u64) -> Option<Transaction> {
        self.lock().transactions.get(&id).cloned()
    }

    /// All vault customers, by id.
    #[must_use]
    pub fn customers(&self) -> Vec<Customer> {
        self.lock().customers.values().cloned().collect()
    }

    /// One vault customer.
    #[must_use]
    pub fn customer(&self, customer_id: &str) -> Option<Customer> {
        self.lock().customers.get(customer_id).cloned()
    }

    /// All settlement batches, by number.
    #[must_use]
    pub fn batches(&self) -> Vec<Batch> {
        self.lock().batches.values().cloned().collect()
    }

    /// All recurrences, by id.
    #[must_use]
    pub fn recurrences(&self) -> Vec<Recurrence> {
        self.lock().recurrences.values().cloned().collect()
    }

    /// All check (ACH) transactions, by id.
    #[must_use]
    pub fn checks(&self) -> Vec<CheckTransaction> {
        self.lock().checks.values().cloned().collect()
    }

    /// Access tokens issued so far (HTTP and [`issue_token`](Self::issue_token)).
    #[must_use]
    pub fn tokens_issued(&self) -> u64 {
        self.lock().tokens_issued
    }

    /// Protect.js client keys issued so far.
    #[must_use]
    pub fn client_keys_issued(&self) -> u64 {
        self.lock().client_keys_issued
    }

    /// Issue a token for the configured user without HTTP.
    #[must_use]
    pub fn issue_token(&self) -> String {
        let mut s = self.lock();
        let user = s.config.username.clone();
        s.issue_token(&user).0
    }

    /// Make every issued token expired (the next `/v1` call gets 401 `invalid_token`).
    pub fn expire_tokens(&self) {
        let mut s = self.lock();
        let past = s.now() - TimeDelta::seconds(1);
        for t in s.tokens.values_mut() {
            t.expires_at = past;
        }
    }

    /// Add a vault customer with a card, as `/v1/customer/create` would.
    ///
    /// # Errors
    ///
    /// [`SeedError::DuplicateCustomerId`] if the id is empty or taken;
    /// [`SeedError::InvalidCard`] if the card fails validation.
    pub fn seed_customer(
        &self,
        customer_id: &str,
        card: &TestCard,
        billing_address: Address,
    ) -> Result<Customer, SeedError> {
        let input = card.input()?;
        let mut s = self.lock();
        if customer_id.is_empty() || s.customers.contains_key(customer_id) {
            return Err(SeedError::DuplicateCustomerId(customer_id.to_owned()));
        }
        let c = Customer {
            customer_id: customer_id.to_owned(),
            card: Some(input.summary()),
            bank_account: None,
            billing_address,
            shipping_address: Address::default(),
            email: String::new(),
            phone: String::new(),
            fax: String::new(),
            discretionary_data: Map::new(),
            created_at: s.now(),
        };
        s.customers.insert(customer_id.to_owned(), c.clone());
        Ok(c)
    }

    /// Settle now, as the nightly job or `/v1/transactions/settle` would. Returns the new
    /// batch number, or `None` when nothing was pending.
    pub fn force_settle(&self) -> Option<u64> {
        self.lock().settle().map(|(n, _)| n)
    }

    /// Mint a one-time Protect token for `card`, as the Protect.js iframe would.
    ///
    /// # Errors
    ///
    /// [`SeedError::InvalidCard`] if the card fails validation.
    pub fn create_hpf_token(&self, card: &TestCard) -> Result<HpfToken, SeedError> {
        let input = card.input()?;
        let (hpf_token, enc_key) = self.lock().add_hpf(&input, card.csc.clone());
        Ok(HpfToken { hpf_token, enc_key })
    }

    /// Run every recurring charge that is due (emulator clock). Returns the new transaction
    /// ids.
    pub fn run_due_recurrences(&self) -> Vec<u64> {
        recurrence::run_due(&mut self.lock())
    }

    /// The masked card of a transaction, for assertions.
    #[must_use]
    pub fn card_of(&self, transaction_id: u64) -> Option<CardSummary> {
        self.lock()
            .transactions
            .get(&transaction_id)
            .and_then(|t| t.card.clone())
    }
}

/// The PayTrace emulator served on `127.0.0.1:<random port>` with the fault layer.
///
/// Dropping it stops the server; [`shutdown`](Self::shutdown) stops it and waits.
#[derive(Debug)]
pub struct PayTraceSandbox {
    emulator: PayTraceEmulator,
    server: ServerHandle,
}

impl PayTraceSandbox {
    /// Start with the default configuration.
    ///
    /// # Errors
    ///
    /// The I/O error if `127.0.0.1:0` cannot be bound.
    pub async fn start() -> io::Result<Self> {
        Self::start_with(PayTraceConfig::default()).await
    }

    /// Start with `config`.
    ///
    /// # Errors
    ///
    /// The I/O error if `127.0.0.1:0` cannot be bound.
    pub async fn start_with(config: PayTraceConfig) -> io::Result<Self> {
        Self::start_with_faults(config, FaultPlan::default()).await
    }

    /// Start with `config` and an initial fault plan.
    ///
    /// # Errors
    ///
    /// The I/O error if `127.0.0.1:0` cannot be bound.
    pub async fn start_with_faults(config: PayTraceConfig, faults: FaultPlan) -> io::Result<Self> {
        let emulator = PayTraceEmulator::new(config);
        let server = ServerBuilder::new(emulator.router())
            .faults(faults)
            .start()
            .await?;
        Ok(Self { emulator, server })
    }

    /// `http://127.0.0.1:<port>`: use it as `PAYTRACE_BASE_URL`.
    #[must_use]
    pub fn base_url(&self) -> &str {
        self.server.base_url()
    }

    /// The live fault controller.
    #[must_use]
    pub fn faults(&self) -> &FaultController {
        self.server.faults()
    }

    /// The emulator (state inspection and helpers).
    #[must_use]
    pub fn emulator(&self) -> &PayTraceEmulator {
        &self.emulator
    }

    /// The underlying server handle.
    #[must_use]
    pub fn server(&self) -> &ServerHandle {
        &self.server
    }

    /// Requests received on exactly `path` (faulted ones included).
    #[must_use]
    pub fn request_count(&self, path: &str) -> u64 {
        self.server.request_count(path)
    }

    /// Requests received, by path.
    #[must_use]
    pub fn request_counts(&self) -> BTreeMap<String, u64> {
        self.server.requests().counts()
    }

    /// Stop the server and wait for it.
    pub async fn shutdown(self) {
        self.server.shutdown().await;
    }
}
