//! Emulator configuration: app registrations (Entra ID), token lifetime, clock, and each
//! flavour's limits and rules.

use std::fmt;
use std::time::Duration;

use crate::clock::SandboxClock;

use super::odata::paging::NextLinkStyle;

/// Default Entra tenant id.
pub const DEFAULT_TENANT_ID: &str = "6f1c5e2a-3b4d-4c5e-8f60-7a8b9c0d1e2f";
/// Default app (client) id.
pub const DEFAULT_CLIENT_ID: &str = "0c8e5f3a-9b2d-4e7f-a1c3-5d7e9f1a3b5c";
/// Default client secret.
pub const DEFAULT_CLIENT_SECRET: &str = "sandbox-client-secret";
/// Default F&O company (`dataAreaId`).
pub const DEFAULT_FNO_COMPANY: &str = "usmf";
/// Default BC environment name.
pub const DEFAULT_BC_ENVIRONMENT: &str = "production";
/// Id of the BC company every emulator starts with.
pub const DEFAULT_BC_COMPANY_ID: &str = "3a1c2b4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d";
/// Name of the BC company every emulator starts with.
pub const DEFAULT_BC_COMPANY_NAME: &str = "CRONUS USA, Inc.";

/// An app registration whose client-credentials grant the token endpoint accepts.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AppRegistration {
    /// Tenant (directory) id; the token URL's `{tenant}` must be this or one of
    /// [`tenant_domains`](Self::tenant_domains).
    pub tenant_id: String,
    /// Other names of the tenant accepted in the URL, e.g. `contoso.onmicrosoft.com`.
    pub tenant_domains: Vec<String>,
    /// Application (client) id.
    pub client_id: String,
    /// Client secret.
    pub client_secret: String,
    /// F&O default company of the F&O user this app is mapped to; `None` = the flavour's.
    pub fno_default_company: Option<String>,
}

impl AppRegistration {
    /// An app in `tenant_id` with this id and secret.
    #[must_use]
    pub fn new(
        tenant_id: impl Into<String>,
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
    ) -> Self {
        Self {
            tenant_id: tenant_id.into(),
            tenant_domains: Vec::new(),
            client_id: client_id.into(),
            client_secret: client_secret.into(),
            fno_default_company: None,
        }
    }

    /// Map the app to an F&O user whose default company is `company`.
    #[must_use]
    pub fn fno_default_company(mut self, company: impl Into<String>) -> Self {
        self.fno_default_company = Some(company.into());
        self
    }

    /// Accept `domain` as another name of the tenant.
    #[must_use]
    pub fn tenant_domain(mut self, domain: impl Into<String>) -> Self {
        self.tenant_domains.push(domain.into());
        self
    }
}

impl Default for AppRegistration {
    fn default() -> Self {
        Self::new(DEFAULT_TENANT_ID, DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET)
    }
}

impl fmt::Debug for AppRegistration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AppRegistration")
            .field("tenant_id", &self.tenant_id)
            .field("tenant_domains", &self.tenant_domains)
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .field("fno_default_company", &self.fno_default_company)
            .finish()
    }
}

/// Service protection of one flavour, per client (app id).
///
/// Requests beyond `max_concurrent` wait in a queue of `queue` places; beyond that they get
/// 429. Independently, more than `max_requests` in a sliding `window` get 429 with a
/// `Retry-After` of the seconds until the oldest request leaves the window.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ThrottleConfig {
    /// Requests processed at once per client; `None` = unlimited.
    pub max_concurrent: Option<usize>,
    /// Requests that may wait for a slot (BC 95, F&O 0).
    pub queue: usize,
    /// Requests per window per client; `None` = unlimited.
    pub max_requests: Option<usize>,
    /// The sliding window.
    pub window: Duration,
    /// `Retry-After` (seconds) on a concurrency 429.
    pub concurrency_retry_after_secs: u64,
    /// Whether 429 responses carry `Retry-After` at all.
    pub send_retry_after: bool,
}

impl ThrottleConfig {
    /// No limits.
    #[must_use]
    pub fn unlimited() -> Self {
        Self {
            max_concurrent: None,
            queue: 0,
            max_requests: None,
            window: Duration::from_secs(300),
            concurrency_retry_after_secs: 1,
            send_retry_after: true,
        }
    }

    /// F&O user-based limits (reference §1.8): 52 concurrent, no queue, 6,000 per 300 s.
    #[must_use]
    pub fn fno() -> Self {
        Self {
            max_concurrent: Some(52),
            max_requests: Some(6000),
            ..Self::unlimited()
        }
    }

    /// BC per-user limits (reference §2.4): 5 concurrent, 95 queued, 6,000 per 300 s.
    #[must_use]
    pub fn bc() -> Self {
        Self {
            max_concurrent: Some(5),
            queue: 95,
            max_requests: Some(6000),
            ..Self::unlimited()
        }
    }

    /// Limit concurrent requests (and the queue behind them).
    #[must_use]
    pub fn concurrency(mut self, max_concurrent: usize, queue: usize) -> Self {
        self.max_concurrent = Some(max_concurrent);
        self.queue = queue;
        self
    }

    /// Limit requests per sliding window.
    #[must_use]
    pub fn rate(mut self, max_requests: usize, window: Duration) -> Self {
        self.max_requests = Some(max_requests);
        self.window = window;
        self
    }
}

/// How journals are posted in the F&O flavour. Standard F&O has no OData action for it
/// (reference §1.4); integrators add a custom service or a custom entity action. Both are off
/// by default, like in a tenant without such an extension.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct FnoPosting {
    /// A custom JSON service path, e.g. `/api/services/TributaryServices/JournalService/post`.
    /// It takes `{"dataAreaId": "...", "journalBatchNumber": "..."}` (underscore-prefixed
    /// `_dataAreaId`/`_journalBatchNumber` X++ contract names are accepted too).
    pub service_path: Option<String>,
    /// Offer the bound action `Microsoft.Dynamics.DataEntities.Post` on
    /// `LedgerJournalHeaders` and `CustomerPaymentJournalHeaders`.
    pub entity_action: bool,
}

/// Finance & Operations flavour settings.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct FnoConfig {
    /// Legal entities (`dataAreaId`, lowercase).
    pub companies: Vec<String>,
    /// Default company of apps without their own.
    pub default_company: String,
    /// Server-driven page size (10,000 per reference §1.2).
    pub page_size: usize,
    /// Honour `Prefer: odata.maxpagesize` (UNCONFIRMED for F&O; off).
    pub honour_max_page_size: bool,
    /// Next-link shape (`$skip`/`$top` per the reference sample).
    pub next_link: NextLinkStyle,
    /// Operations allowed in one `$batch` (5,000 per the service-protection doc).
    pub max_batch_operations: usize,
    /// Accept JSON `$batch` (OData 4.01; UNCONFIRMED for F&O, off).
    pub json_batch: bool,
    /// Allow `contains`/`startswith`/… in `$filter` (off: F&O's documented substitute is
    /// `eq '*text*'`, which always works).
    pub filter_functions: bool,
    /// HTTP status of validation failures (400; some F&O paths answer 500, reference §1.7).
    pub validation_status: u16,
    /// Journal posting extension.
    pub posting: FnoPosting,
    /// Service protection.
    pub throttle: ThrottleConfig,
    /// Main account of customer receivables in `GeneralJournalAccountEntries`.
    pub receivables_main_account: String,
    /// Main account of bank postings in `GeneralJournalAccountEntries`.
    pub bank_main_account: String,
    /// Known customer groups; empty = any non-empty value accepted.
    pub customer_groups: Vec<String>,
    /// Known journal names; empty = any non-empty value accepted.
    pub journal_names: Vec<String>,
}

impl Default for FnoConfig {
    fn default() -> Self {
        Self {
            companies: vec![DEFAULT_FNO_COMPANY.to_owned()],
            default_company: DEFAULT_FNO_COMPANY.to_owned(),
            page_size: 10_000,
            honour_max_page_size: false,
            next_link: NextLinkStyle::Skip,
            max_batch_operations: 5000,
            json_batch: false,
            filter_functions: false,
            validation_status: 400,
            posting: FnoPosting::default(),
            throttle: ThrottleConfig::fno(),
            receivables_main_account: "130100".to_owned(),
            bank_main_account: "110110".to_owned(),
            customer_groups: Vec::new(),
            journal_names: Vec::new(),
        }
    }
}

/// Business Central flavour settings.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct BcConfig {
    /// Environment names accepted in URLs; empty = any.
    pub environments: Vec<String>,
    /// Server-driven page size (20,000).
    pub page_size: usize,
    /// Operations allowed in one `$batch` (100).
    pub max_batch_operations: usize,
    /// Require `customerPayments.amount` to be negative, answering `The "amount" should be a
    /// negative number.` otherwise (reference §2.3, UNCONFIRMED; off).
    pub require_negative_payment_amount: bool,
    /// Service protection.
    pub throttle: ThrottleConfig,
    /// G/L account of customer receivables in `generalLedgerEntries`.
    pub receivables_account: String,
    /// G/L account of sales revenue.
    pub sales_account: String,
    /// G/L account used when a payment line has no balancing account.
    pub cash_account: String,
}

impl Default for BcConfig {
    fn default() -> Self {
        Self {
            environments: Vec::new(),
            page_size: 20_000,
            max_batch_operations: 100,
            require_negative_payment_amount: false,
            throttle: ThrottleConfig::bc(),
            receivables_account: "2310".to_owned(),
            sales_account: "6110".to_owned(),
            cash_account: "2910".to_owned(),
        }
    }
}

/// Configuration of one Dynamics 365 emulator. `Default`:
///
/// | setting | default |
/// |---|---|
/// | app registrations | one: [`DEFAULT_TENANT_ID`] / [`DEFAULT_CLIENT_ID`] / [`DEFAULT_CLIENT_SECRET`] |
/// | token lifetime | 3599 s (Entra's usual `expires_in`) |
/// | auth required on data endpoints | yes |
/// | processing delay | none |
/// | F&O | company `usmf`, page 10,000 with `$skip` next links, batch 5,000, 52 concurrent |
/// | BC | company [`DEFAULT_BC_COMPANY_NAME`], page 20,000 with `$skiptoken`, batch 100, 5 concurrent + 95 queued |
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct DynamicsConfig {
    /// Accepted app registrations.
    pub apps: Vec<AppRegistration>,
    /// Access-token lifetime.
    pub token_lifetime: Duration,
    /// Require a bearer token on `/data/` and `/v2.0/` (off = every request is anonymous).
    pub require_auth: bool,
    /// Time each data request holds its concurrency slot before it is handled (to make
    /// concurrency limits observable in tests).
    pub processing_delay: Duration,
    /// The emulator's clock (token expiry, timestamps, default dates, rate windows).
    pub clock: SandboxClock,
    /// Finance & Operations settings.
    pub fno: FnoConfig,
    /// Business Central settings.
    pub bc: BcConfig,
    /// Largest request body accepted.
    pub max_body_bytes: usize,
    /// Requests kept in the in-process request log.
    pub request_log_limit: usize,
}

impl Default for DynamicsConfig {
    fn default() -> Self {
        Self {
            apps: vec![AppRegistration::default()],
            token_lifetime: Duration::from_secs(3599),
            require_auth: true,
            processing_delay: Duration::ZERO,
            clock: SandboxClock::system(),
            fno: FnoConfig::default(),
            bc: BcConfig::default(),
            max_body_bytes: 32 * 1024 * 1024,
            request_log_limit: 10_000,
        }
    }
}

impl DynamicsConfig {
    /// The defaults.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Add an app registration.
    #[must_use]
    pub fn app(mut self, app: AppRegistration) -> Self {
        self.apps.push(app);
        self
    }

    /// Set the token lifetime.
    #[must_use]
    pub fn token_lifetime(mut self, lifetime: Duration) -> Self {
        self.token_lifetime = lifetime;
        self
    }

    /// Use this clock (keep a clone to move time).
    #[must_use]
    pub fn clock(mut self, clock: SandboxClock) -> Self {
        self.clock = clock;
        self
    }

    /// Hold each data request this long (see [`processing_delay`](Self::processing_delay)).
    #[must_use]
    pub fn processing_delay(mut self, delay: Duration) -> Self {
        self.processing_delay = delay;
        self
    }

    /// Turn bearer-token checks on or off.
    #[must_use]
    pub fn require_auth(mut self, on: bool) -> Self {
        self.require_auth = on;
        self
    }

    /// Change the F&O settings.
    #[must_use]
    pub fn fno(mut self, f: impl FnOnce(&mut FnoConfig)) -> Self {
        f(&mut self.fno);
        self
    }

    /// Change the BC settings.
    #[must_use]
    pub fn bc(mut self, f: impl FnOnce(&mut BcConfig)) -> Self {
        f(&mut self.bc);
        self
    }
}
