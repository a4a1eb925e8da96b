//! The emulator's mutable state, behind one mutex. Handlers run synchronously under the lock,
//! so every request is atomic and a state change is committed when its handler returns.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rust_decimal::Decimal;

use super::config::PayTraceConfig;
use super::model::{
    Batch, CardSummary, CheckStatus, CheckTransaction, Customer, Recurrence, Transaction,
    TransactionKind, TransactionStatus,
};
use super::validate::CardInput;

/// An issued access token.
#[derive(Clone, Debug)]
pub(crate) struct TokenRecord {
    pub(crate) username: String,
    pub(crate) expires_at: DateTime<Utc>,
}

/// Why a bearer token was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TokenProblem {
    Invalid,
    Expired,
}

/// Payment fields captured by the (simulated) Protect.js iframe.
#[derive(Clone)]
pub(crate) struct HpfEntry {
    pub(crate) enc_key: String,
    pub(crate) card: CardSummary,
    pub(crate) csc: Option<String>,
    pub(crate) used: bool,
}

/// All state of one emulator.
pub(crate) struct Store {
    pub(crate) config: PayTraceConfig,
    pub(crate) rng: StdRng,
    next_transaction: u64,
    next_check: u64,
    next_batch: u64,
    next_recurrence: u64,
    next_customer: u64,
    pub(crate) transactions: BTreeMap<u64, Transaction>,
    pub(crate) customers: BTreeMap<String, Customer>,
    pub(crate) checks: BTreeMap<u64, CheckTransaction>,
    pub(crate) batches: BTreeMap<u64, Batch>,
    pub(crate) recurrences: BTreeMap<u64, Recurrence>,
    pub(crate) tokens: HashMap<String, TokenRecord>,
    pub(crate) tokens_issued: u64,
    pub(crate) hpf: HashMap<String, HpfEntry>,
    pub(crate) client_keys_issued: u64,
}

impl Store {
    pub(crate) fn new(config: PayTraceConfig) -> Self {
        let rng = match config.seed {
            Some(s) => StdRng::seed_from_u64(s),
            None => StdRng::from_os_rng(),
        };
        Self {
            config,
            rng,
            next_transaction: 100_000_001,
            next_check: 5_000_001,
            next_batch: 1,
            next_recurrence: 1_001,
            next_customer: 10_000_001,
            transactions: BTreeMap::new(),
            customers: BTreeMap::new(),
            checks: BTreeMap::new(),
            batches: BTreeMap::new(),
            recurrences: BTreeMap::new(),
            tokens: HashMap::new(),
            tokens_issued: 0,
            hpf: HashMap::new(),
            client_keys_issued: 0,
        }
    }

    pub(crate) fn now(&self) -> DateTime<Utc> {
        self.config.clock.now()
    }

    /// Today in the configured time zone.
    pub(crate) fn today(&self) -> NaiveDate {
        self.now()
            .with_timezone(&self.config.time_zone)
            .date_naive()
    }

    pub(crate) fn next_transaction_id(&mut self) -> u64 {
        let id = self.next_transaction;
        self.next_transaction += 1;
        id
    }

    pub(crate) fn next_check_id(&mut self) -> u64 {
        let id = self.next_check;
        self.next_check += 1;
        id
    }

    pub(crate) fn next_recurrence_id(&mut self) -> u64 {
        let id = self.next_recurrence;
        self.next_recurrence += 1;
        id
    }

    /// A PayTrace-assigned numeric customer id that is not taken.
    pub(crate) fn next_customer_id(&mut self) -> String {
        loop {
            let id = self.next_customer.to_string();
            self.next_customer += 1;
            if !self.customers.contains_key(&id) {
                return id;
            }
        }
    }

    /// `n` random lowercase hex digits.
    pub(crate) fn hex(&mut self, n: usize) -> String {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        (0..n)
            .map(|_| char::from(HEX[self.rng.random_range(0..16)]))
            .collect()
    }

    /// A 6-character approval code.
    pub(crate) fn approval_code(&mut self) -> String {
        const ALNUM: &[u8; 36] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
        (0..6)
            .map(|_| char::from(ALNUM[self.rng.random_range(0..36)]))
            .collect()
    }

    /// Issue an access token for `username`: `<hex>:<hex>:<hex>`.
    pub(crate) fn issue_token(&mut self, username: &str) -> (String, DateTime<Utc>) {
        let token = format!("{}:{}:{}", self.hex(32), self.hex(32), self.hex(64));
        let now = self.now();
        let lifetime = TimeDelta::from_std(self.config.token_lifetime).unwrap_or(TimeDelta::MAX);
        let expires_at = now
            .checked_add_signed(lifetime)
            .unwrap_or(DateTime::<Utc>::MAX_UTC);
        self.tokens.insert(
            token.clone(),
            TokenRecord {
                username: username.to_owned(),
                expires_at,
            },
        );
        self.tokens_issued += 1;
        (token, now)
    }

    /// The API user a bearer token belongs to.
    pub(crate) fn check_token(&self, token: &str) -> Result<String, TokenProblem> {
        let rec = self.tokens.get(token).ok_or(TokenProblem::Invalid)?;
        if self.now() >= rec.expires_at {
            return Err(TokenProblem::Expired);
        }
        Ok(rec.username.clone())
    }

    /// The approved sale/authorization that a new one would duplicate, if the window is on.
    pub(crate) fn find_duplicate(
        &self,
        card: &CardSummary,
        amount: Decimal,
        invoice_id: &str,
        user: &str,
    ) -> Option<u64> {
        let window = TimeDelta::from_std(self.config.duplicate_window).ok()?;
        if window <= TimeDelta::zero() {
            return None;
        }
        let since = self.now().checked_sub_signed(window)?;
        // Voided approvals count too: the window is about what was sent, not what stands.
        self.transactions
            .values()
            .rev()
            .find(|t| {
                t.created_at >= since
                    && matches!(
                        t.kind,
                        TransactionKind::Sale | TransactionKind::Authorization
                    )
                    && t.approved()
                    && t.original_amount == amount
                    && t.invoice_id == invoice_id
                    && t.created_by == user
                    && t.card
                        .as_ref()
                        .is_some_and(|c| c.fingerprint == card.fingerprint)
            })
            .map(|t| t.id)
    }

    /// The decline text for this card and amount, if a rule matches.
    pub(crate) fn decline_for(&self, card: &CardSummary, amount: Decimal) -> Option<String> {
        self.config
            .declines
            .iter()
            .find(|r| {
                let amount_ok = r.amount.is_none_or(|a| a == amount);
                let card_ok = r
                    .card_number
                    .as_deref()
                    .is_none_or(|n| super::validate::fingerprint(n) == card.fingerprint);
                (r.amount.is_some() || r.card_number.is_some()) && amount_ok && card_ok
            })
            .map(|r| r.approval_message.clone())
    }

    /// Register payment fields as if the Protect.js iframe had captured them.
    pub(crate) fn add_hpf(&mut self, card: &CardInput, csc: Option<String>) -> (String, String) {
        let token = format!(
            "{}-{}-{}-{}-{}",
            self.hex(8),
            self.hex(4),
            self.hex(4),
            self.hex(4),
            self.hex(12)
        );
        let enc_key = self.hex(43);
        self.hpf.insert(
            token.clone(),
            HpfEntry {
                enc_key: enc_key.clone(),
                card: card.summary(),
                csc,
                used: false,
            },
        );
        (token, enc_key)
    }

    /// Move every transaction pending settlement into a new batch; pending checks settle too.
    /// Returns the batch number, or `None` when nothing was pending.
    pub(crate) fn settle(&mut self) -> Option<(u64, usize)> {
        let now = self.now();
        for c in self.checks.values_mut() {
            if c.status == CheckStatus::Pending {
                c.status = CheckStatus::Settled;
            }
        }
        let pending: Vec<u64> = self
            .transactions
            .values()
            .filter(|t| t.status == TransactionStatus::PendingSettlement)
            .map(|t| t.id)
            .collect();
        if pending.is_empty() {
            return None;
        }
        let number = self.next_batch;
        self.next_batch += 1;
        for id in &pending {
            if let Some(t) = self.transactions.get_mut(id) {
                t.status = TransactionStatus::Settled;
                t.settled_at = Some(now);
                t.batch_number = Some(number);
            }
        }
        let count = pending.len();
        self.batches.insert(
            number,
            Batch {
                number,
                settled_at: now,
                transaction_ids: pending,
            },
        );
        Some((number, count))
    }
}
