//! Emulator configuration: credentials, account settings, declines, clock.

use std::fmt;
use std::time::Duration;

use chrono_tz::Tz;
use rust_decimal::Decimal;

use crate::clock::SandboxClock;

/// Default API username accepted by `/oauth/token`.
pub const DEFAULT_USERNAME: &str = "sandbox_user";
/// Default API password accepted by `/oauth/token`.
pub const DEFAULT_PASSWORD: &str = "sandbox_password";
/// Default accepted `integrator_id` (12 characters, PayTrace's `9999…` shape).
pub const DEFAULT_INTEGRATOR_ID: &str = "9999SANDBOX1";

/// A sale/authorization that the "issuer" declines (HTTP 200, `response_code` 102).
///
/// A rule matches when every criterion it sets matches: `amount` equal to the requested
/// amount and/or `card_number` equal to the card used (keyed, swiped, vaulted, from a previous
/// transaction or from a Protect token).
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DeclineRule {
    /// Decline this exact amount.
    pub amount: Option<Decimal>,
    /// Decline this card number (digits only).
    pub card_number: Option<String>,
    /// Processor text returned as `approval_message`, kept padded as PayTrace sends it, e.g.
    /// `"    DECLINE - Insufficient funds"`.
    pub approval_message: String,
}

impl DeclineRule {
    /// Decline every sale/authorization of `amount`.
    #[must_use]
    pub fn amount(amount: Decimal, approval_message: impl Into<String>) -> Self {
        Self {
            amount: Some(amount),
            card_number: None,
            approval_message: approval_message.into(),
        }
    }

    /// Decline every sale/authorization on `card_number`.
    #[must_use]
    pub fn card(card_number: impl Into<String>, approval_message: impl Into<String>) -> Self {
        Self {
            amount: None,
            card_number: Some(card_number.into()),
            approval_message: approval_message.into(),
        }
    }
}

impl fmt::Debug for DeclineRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let last4 = self.card_number.as_deref().map(|n| {
            let tail: String = n
                .chars()
                .rev()
                .take(4)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            format!("…{tail}")
        });
        f.debug_struct("DeclineRule")
            .field("amount", &self.amount)
            .field("card_number", &last4)
            .field("approval_message", &self.approval_message)
            .finish()
    }
}

/// The merchant's AVS/CSC rule: an approval whose AVS or CSC result is listed here is
/// automatically voided and answered with `response_code` 103.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct AutoVoidRule {
    /// `avs_response` values that void, e.g. `"No Match"`.
    pub avs_responses: Vec<String>,
    /// `csc_response` values that void, e.g. `"No Match"`.
    pub csc_responses: Vec<String>,
}

impl AutoVoidRule {
    /// Void on these AVS and CSC results.
    #[must_use]
    pub fn new(
        avs_responses: impl IntoIterator<Item = impl Into<String>>,
        csc_responses: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        Self {
            avs_responses: avs_responses.into_iter().map(Into::into).collect(),
            csc_responses: csc_responses.into_iter().map(Into::into).collect(),
        }
    }
}

/// Configuration of one PayTrace emulator. `Default` gives a permissive account:
///
/// | setting | default |
/// |---|---|
/// | credentials | [`DEFAULT_USERNAME`] / [`DEFAULT_PASSWORD`] |
/// | integrator ids | `[DEFAULT_INTEGRATOR_ID]`, enforced on every `/v1` body |
/// | token lifetime | 7200 s |
/// | duplicate window | off (zero) |
/// | declines | $0.21 and $0.29 → `"    DECLINE - Insufficient funds"`, $112.00 → `"    DECLINE - Do not honor"` |
/// | AVS/CSC auto-void | off |
/// | AVS "No Match" zips | `["00000"]`; CSC "No Match" values `["000"]` |
/// | require invoice / CSC | off |
/// | clock | system time |
/// | time zone of export timestamps | `America/Los_Angeles` (PayTrace does not state one; Pacific is the plausible merchant-local default) |
#[derive(Clone)]
#[non_exhaustive]
pub struct PayTraceConfig {
    /// API user accepted by the password grant.
    pub username: String,
    /// Its password.
    pub password: String,
    /// Accepted `integrator_id` values.
    pub integrator_ids: Vec<String>,
    /// Enforce `integrator_id` on every `/v1` body (970 missing, 971 invalid).
    pub require_integrator_id: bool,
    /// Lifetime of an access token (`expires_in`); after it, calls get 401 `invalid_token`.
    pub token_lifetime: Duration,
    /// "Duplicate Transaction Time": a second approved sale/authorization with the same card,
    /// amount, invoice and user within this window is rejected. Zero = off.
    pub duplicate_window: Duration,
    /// Decline table.
    pub declines: Vec<DeclineRule>,
    /// AVS/CSC auto-void rule (code 103), if any.
    pub auto_void: Option<AutoVoidRule>,
    /// Billing zips whose AVS result is `"No Match"`.
    pub avs_mismatch_zips: Vec<String>,
    /// CSC values whose CSC result is `"No Match"`.
    pub csc_mismatch_values: Vec<String>,
    /// Require `invoice_id` on sales, authorizations and check sales.
    pub require_invoice: bool,
    /// Require `csc` on keyed sales and authorizations.
    pub require_csc: bool,
    /// The emulator's clock.
    pub clock: SandboxClock,
    /// Time zone of export timestamps and of export date filters.
    pub time_zone: Tz,
    /// Seed of the RNG for tokens, approval codes and client keys; `None` = OS entropy.
    pub seed: Option<u64>,
}

impl Default for PayTraceConfig {
    fn default() -> Self {
        Self {
            username: DEFAULT_USERNAME.to_owned(),
            password: DEFAULT_PASSWORD.to_owned(),
            integrator_ids: vec![DEFAULT_INTEGRATOR_ID.to_owned()],
            require_integrator_id: true,
            token_lifetime: Duration::from_secs(7200),
            duplicate_window: Duration::ZERO,
            declines: vec![
                DeclineRule::amount(Decimal::new(21, 2), "    DECLINE - Insufficient funds"),
                DeclineRule::amount(Decimal::new(29, 2), "    DECLINE - Insufficient funds"),
                DeclineRule::amount(Decimal::new(11200, 2), "    DECLINE - Do not honor"),
            ],
            auto_void: None,
            avs_mismatch_zips: vec!["00000".to_owned()],
            csc_mismatch_values: vec!["000".to_owned()],
            require_invoice: false,
            require_csc: false,
            clock: SandboxClock::system(),
            time_zone: chrono_tz::America::Los_Angeles,
            seed: None,
        }
    }
}

impl fmt::Debug for PayTraceConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PayTraceConfig")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .field("integrator_ids", &self.integrator_ids)
            .field("require_integrator_id", &self.require_integrator_id)
            .field("token_lifetime", &self.token_lifetime)
            .field("duplicate_window", &self.duplicate_window)
            .field("declines", &self.declines)
            .field("auto_void", &self.auto_void)
            .field("avs_mismatch_zips", &self.avs_mismatch_zips)
            .field("csc_mismatch_values", &self.csc_mismatch_values)
            .field("require_invoice", &self.require_invoice)
            .field("require_csc", &self.require_csc)
            .field("time_zone", &self.time_zone)
            .field("seed", &self.seed)
            .finish_non_exhaustive()
    }
}

impl PayTraceConfig {
    /// The defaults (see the type's docs).
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Accept this username and password.
    #[must_use]
    pub fn credentials(mut self, username: impl Into<String>, password: impl Into<String>) -> Self {
        self.username = username.into();
        self.password = password.into();
        self
    }

    /// Replace the accepted integrator ids.
    #[must_use]
    pub fn integrator_ids(mut self, ids: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.integrator_ids = ids.into_iter().map(Into::into).collect();
        self
    }

    /// Turn `integrator_id` enforcement on or off.
    #[must_use]
    pub fn require_integrator_id(mut self, on: bool) -> Self {
        self.require_integrator_id = on;
        self
    }

    /// Set the token lifetime (whole seconds are reported in `expires_in`).
    #[must_use]
    pub fn token_lifetime(mut self, lifetime: Duration) -> Self {
        self.token_lifetime = lifetime;
        self
    }

    /// Set the duplicate-transaction window (zero = off).
    #[must_use]
    pub fn duplicate_window(mut self, window: Duration) -> Self {
        self.duplicate_window = window;
        self
    }

    /// Add a decline rule.
    #[must_use]
    pub fn decline(mut self, rule: DeclineRule) -> Self {
        self.declines.push(rule);
        self
    }

    /// Replace the decline table.
    #[must_use]
    pub fn declines(mut self, rules: impl IntoIterator<Item = DeclineRule>) -> Self {
        self.declines = rules.into_iter().collect();
        self
    }

    /// Set the AVS/CSC auto-void rule.
    #[must_use]
    pub fn auto_void(mut self, rule: AutoVoidRule) -> Self {
        self.auto_void = Some(rule);
        self
    }

    /// Require `invoice_id`.
    #[must_use]
    pub fn require_invoice(mut self, on: bool) -> Self {
        self.require_invoice = on;
        self
    }

    /// Require `csc` on keyed transactions.
    #[must_use]
    pub fn require_csc(mut self, on: bool) -> Self {
        self.require_csc = on;
        self
    }

    /// Use this clock (keep a clone to move time).
    #[must_use]
    pub fn clock(mut self, clock: SandboxClock) -> Self {
        self.clock = clock;
        self
    }

    /// Time zone of export timestamps.
    #[must_use]
    pub fn time_zone(mut self, tz: Tz) -> Self {
        self.time_zone = tz;
        self
    }

    /// Seed the emulator's RNG (tokens, approval codes).
    #[must_use]
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }
}
