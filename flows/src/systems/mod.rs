//! [`Systems`]: the three clients, the stores and the run settings every flow takes.
//!
//! Build it
//! - from the environment with [`Systems::from_env`]: each system whose variables
//!   (ARCHITECTURE.md, README) are set is the real one; with the `sandbox` feature (on by
//!   default) each system whose variables are unset is its emulator, started in-process on
//!   `127.0.0.1` with the client pointed at it;
//! - all in the sandbox with [`Systems::sandbox`], for tests and demos, with fault plans;
//! - or from clients you configured yourself with [`Systems::builder`].
//!
//! Which system is real and which is emulated is in [`Systems::endpoints`]. The started
//! emulators stay up as long as a clone of the `Systems` lives; reach them through
//! [`Systems::sandboxes`] to seed them ([`seed`]), change their faults, or inspect their state.

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use canonical_model::System;
use dynamics365_client::erp::AnyErp;
use mapping::retry::{Retrier, RetryPolicy};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::report::{NoProgress, Progress, Target};
use crate::store::{
    CheckpointStore, DeadLetterStore, FileCheckpoints, FileDeadLetters, FileLedger, Ledger,
    MemoryCheckpoints, MemoryDeadLetters, MemoryLedger,
};

#[cfg(feature = "sandbox")]
mod emulators;
#[cfg(feature = "sandbox")]
pub mod seed;

#[cfg(feature = "sandbox")]
pub use emulators::{SandboxOptions, Sandboxes, salesforce_schema};

/// The reliability stores a flow writes: idempotency ledger, dead letters, checkpoints.
#[derive(Clone)]
pub struct Stores {
    /// Business key → outcome.
    pub ledger: Arc<dyn Ledger>,
    /// What failed, why, and the payload to replay it.
    pub dead_letters: Arc<dyn DeadLetterStore>,
    /// Poll watermarks and replay ids.
    pub checkpoints: Arc<dyn CheckpointStore>,
}

impl fmt::Debug for Stores {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Stores").finish_non_exhaustive()
    }
}

impl Stores {
    /// Stores in memory: for tests and one-off runs.
    pub fn memory() -> Self {
        Stores {
            ledger: Arc::new(MemoryLedger::new()),
            dead_letters: Arc::new(MemoryDeadLetters::new()),
            checkpoints: Arc::new(MemoryCheckpoints::new()),
        }
    }

    /// The durable file stores in `dir` (created if needed): `ledger.jsonl`,
    /// `dead_letters.jsonl`, `checkpoints.jsonl`. One process owns a directory at a time.
    ///
    /// # Errors
    /// [`Error::Locked`] if another store object has one of them open; [`Error::Io`],
    /// [`Error::Corrupt`].
    pub async fn open(dir: impl AsRef<Path>) -> Result<Self> {
        let dir = dir.as_ref();
        Ok(Stores {
            ledger: Arc::new(FileLedger::open(dir).await?),
            dead_letters: Arc::new(FileDeadLetters::open(dir).await?),
            checkpoints: Arc::new(FileCheckpoints::open(dir).await?),
        })
    }
}

/// How the flows run: parallelism, retries of idempotent steps, progress reporting.
#[derive(Clone)]
pub struct Settings {
    /// Records processed at once (default 4). Business Central serves 5 requests per user
    /// at a time, so more rarely helps there.
    pub concurrency: usize,
    /// Retries a whole idempotent step (an upsert, an ERP facade call) after its client
    /// gave up or lost the answer (default: 5 attempts, 200 ms base backoff). See
    /// [`crate::step`].
    pub step_retrier: Retrier,
    /// Follows the runs (a progress bar in the examples).
    pub progress: Arc<dyn Progress>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            concurrency: 4,
            step_retrier: Retrier::new(RetryPolicy::default().with_max_attempts(5)),
            progress: Arc::new(NoProgress),
        }
    }
}

impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Settings")
            .field("concurrency", &self.concurrency)
            .field("step_retrier", &self.step_retrier)
            .finish_non_exhaustive()
    }
}

/// Whether a system is the real service or its in-process emulator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Backend {
    /// Configured from the environment (or by the caller).
    Real,
    /// The `sandbox` crate's emulator on `127.0.0.1`.
    Sandbox,
}

/// Where one system's client points.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Endpoint {
    /// The system.
    pub system: Target,
    /// Real or emulated.
    pub backend: Backend,
    /// The base URL the client calls (the token endpoint for Salesforce).
    pub url: String,
    /// For the ERP: `fno` or `bc`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flavor: Option<String>,
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let backend = match self.backend {
            Backend::Real => "real",
            Backend::Sandbox => "sandbox",
        };
        write!(f, "{}: {backend} at {}", self.system.label(), self.url)?;
        if let Some(flavor) = &self.flavor {
            write!(f, " ({flavor})")?;
        }
        Ok(())
    }
}

/// The three clients, the stores and the settings a flow runs with. Cheap to clone (the
/// clients and stores are shared).
#[derive(Clone)]
pub struct Systems {
    /// The payment gateway.
    pub paytrace: paytrace_client::Client,
    /// The CRM.
    pub salesforce: salesforce_client::Client,
    /// The ERP facade (Finance & Operations or Business Central).
    pub erp: AnyErp,
    /// The reliability stores.
    pub stores: Stores,
    /// How the flows run.
    pub settings: Settings,
    endpoints: Vec<Endpoint>,
    #[cfg(feature = "sandbox")]
    sandboxes: Option<Arc<Sandboxes>>,
}

impl fmt::Debug for Systems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Systems")
            .field("endpoints", &self.endpoints)
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl Systems {
    /// A builder, for clients you configured yourself.
    pub fn builder() -> SystemsBuilder {
        SystemsBuilder::default()
    }

    /// The systems configured by the environment, with `stores`.
    ///
    /// | system | real when set | otherwise |
    /// |---|---|---|
    /// | PayTrace | `PAYTRACE_USERNAME` (then `PAYTRACE_PASSWORD`, `PAYTRACE_INTEGRATOR_ID`, `PAYTRACE_BASE_URL`) | the emulator |
    /// | Salesforce | `SALESFORCE_ACCESS_TOKEN`, `SALESFORCE_PRIVATE_KEY_FILE` or `SALESFORCE_CLIENT_ID` (then the rest of `SALESFORCE_*`) | the emulator |
    /// | Dynamics 365 | `D365_BASE_URL` (then `D365_FLAVOR`, `D365_TENANT_ID`, `D365_CLIENT_ID`, `D365_CLIENT_SECRET`, …) | the emulator, in the flavour of `D365_FLAVOR` (default `fno`) |
    ///
    /// Without the `sandbox` feature a system whose variables are unset is an error.
    ///
    /// # Errors
    /// [`Error::PayTrace`], [`Error::Salesforce`] or [`Error::Dynamics`] with the client's
    /// configuration error naming the missing variable; [`Error::Config`] when an emulator
    /// cannot start.
    pub async fn from_env(stores: Stores) -> Result<Systems> {
        #[cfg(feature = "sandbox")]
        {
            let flavor = match env_var("D365_FLAVOR") {
                Some(text) => ErpFlavor::parse(&text).ok_or_else(|| {
                    Error::config(format!("D365_FLAVOR={text:?} is not one of `fno`, `bc`"))
                })?,
                None => ErpFlavor::FinanceOperations,
            };
            let options = SandboxOptions {
                erp_flavor: flavor,
                ..SandboxOptions::default()
            };
            Systems::from_env_with(stores, options).await
        }
        #[cfg(not(feature = "sandbox"))]
        {
            Systems::builder()
                .stores(stores)
                .paytrace_endpoint(paytrace_client::Client::from_env()?, Backend::Real)
                .salesforce_endpoint(salesforce_client::Client::from_env()?, Backend::Real)
                .erp_endpoint(
                    AnyErp::from_env()?,
                    Backend::Real,
                    env_var("D365_BASE_URL").unwrap_or_default(),
                )
                .build()
        }
    }

    /// As [`from_env`](Self::from_env), with the emulators of the systems whose variables
    /// are unset started as `options` say (their flavour, faults and retrier; which of them
    /// to start is decided by the environment).
    ///
    /// # Errors
    /// As [`from_env`](Self::from_env).
    #[cfg(feature = "sandbox")]
    pub async fn from_env_with(stores: Stores, options: SandboxOptions) -> Result<Systems> {
        let salesforce_vars = [
            "SALESFORCE_ACCESS_TOKEN",
            "SALESFORCE_PRIVATE_KEY_FILE",
            "SALESFORCE_CLIENT_ID",
        ];
        let options = SandboxOptions {
            paytrace: env_var("PAYTRACE_USERNAME").is_none(),
            salesforce: salesforce_vars.iter().all(|name| env_var(name).is_none()),
            dynamics: env_var("D365_BASE_URL").is_none(),
            ..options
        };
        let sandboxes = Sandboxes::start(&options).await?;
        let mut builder = Systems::builder().stores(stores);
        builder = match sandboxes.paytrace_client(&options)? {
            Some(client) => builder.paytrace_endpoint(client, Backend::Sandbox),
            None => builder.paytrace_endpoint(paytrace_client::Client::from_env()?, Backend::Real),
        };
        builder = match sandboxes.salesforce_client(&options)? {
            Some(client) => builder.salesforce_endpoint(client, Backend::Sandbox),
            None => {
                builder.salesforce_endpoint(salesforce_client::Client::from_env()?, Backend::Real)
            }
        };
        builder = match sandboxes.erp(&options)? {
            Some((erp, url)) => builder.erp_endpoint(erp, Backend::Sandbox, url),
            None => builder.erp_endpoint(
                AnyErp::from_env()?,
                Backend::Real,
                env_var("D365_BASE_URL").unwrap_or_default(),
            ),
        };
        let mut systems = builder.build()?;
        systems.sandboxes = Some(Arc::new(sandboxes));
        Ok(systems)
    }

    /// All three systems in the sandbox, started in-process with `options` (flavour, fault
    /// plans, the clients' retrier), with `stores`.
    ///
    /// # Errors
    /// [`Error::Config`] when an emulator cannot start or a client cannot be built.
    #[cfg(feature = "sandbox")]
    pub async fn sandbox(options: SandboxOptions, stores: Stores) -> Result<Systems> {
        let options = SandboxOptions {
            paytrace: true,
            salesforce: true,
            dynamics: true,
            ..options
        };
        let sandboxes = Sandboxes::start(&options).await?;
        let missing = || Error::config("a sandbox emulator did not start");
        let (erp, erp_url) = sandboxes.erp(&options)?.ok_or_else(missing)?;
        let mut systems = Systems::builder()
            .stores(stores)
            .paytrace_endpoint(
                sandboxes.paytrace_client(&options)?.ok_or_else(missing)?,
                Backend::Sandbox,
            )
            .salesforce_endpoint(
                sandboxes.salesforce_client(&options)?.ok_or_else(missing)?,
                Backend::Sandbox,
            )
            .erp_endpoint(erp, Backend::Sandbox, erp_url)
            .build()?;
        systems.sandboxes = Some(Arc::new(sandboxes));
        Ok(systems)
    }

    /// The emulators this value started, if any.
    #[cfg(feature = "sandbox")]
    pub fn sandboxes(&self) -> Option<&Sandboxes> {
        self.sandboxes.as_deref()
    }

    /// The same systems with other stores (to run again on a reopened durable store).
    #[must_use]
    pub fn with_stores(&self, stores: Stores) -> Systems {
        Systems {
            stores,
            ..self.clone()
        }
    }

    /// The same systems with other settings.
    #[must_use]
    pub fn with_settings(&self, settings: Settings) -> Systems {
        Systems {
            settings,
            ..self.clone()
        }
    }

    /// Where each client points, and whether it is real or emulated.
    pub fn endpoints(&self) -> &[Endpoint] {
        &self.endpoints
    }

    /// Whether `system` is an in-process emulator.
    pub fn is_sandbox(&self, system: Target) -> bool {
        self.endpoints
            .iter()
            .any(|e| e.system == system && e.backend == Backend::Sandbox)
    }

    /// The ERP's flavour.
    pub fn erp_flavor(&self) -> ErpFlavor {
        match self.erp {
            AnyErp::Fno(_) => ErpFlavor::FinanceOperations,
            AnyErp::Bc(_) => ErpFlavor::BusinessCentral,
        }
    }

    /// The canonical [`System`] of the ERP: the key of an ERP customer account among a
    /// customer's references.
    pub fn erp_system(&self) -> System {
        self.erp_flavor().system()
    }
}

fn env_var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// Which Dynamics 365 product the ERP is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErpFlavor {
    /// Finance & Operations (`D365_FLAVOR=fno`).
    #[default]
    FinanceOperations,
    /// Business Central (`D365_FLAVOR=bc`).
    BusinessCentral,
}

impl ErpFlavor {
    /// Reads `fno` (also `f&o`, `finance`) or `bc`, as `D365_FLAVOR` does.
    pub fn parse(text: &str) -> Option<ErpFlavor> {
        match dynamics365_client::Flavor::parse(text)? {
            dynamics365_client::Flavor::FinanceOperations => Some(ErpFlavor::FinanceOperations),
            dynamics365_client::Flavor::BusinessCentral => Some(ErpFlavor::BusinessCentral),
            _ => None,
        }
    }

    /// `fno` or `bc`.
    pub fn as_str(self) -> &'static str {
        match self {
            ErpFlavor::FinanceOperations => "fno",
            ErpFlavor::BusinessCentral => "bc",
        }
    }

    /// The canonical [`System`] of this product.
    pub fn system(self) -> System {
        match self {
            ErpFlavor::FinanceOperations => System::DynamicsFinanceOperations,
            ErpFlavor::BusinessCentral => System::DynamicsBusinessCentral,
        }
    }
}

/// Builds [`Systems`] from clients you configured; see [`Systems::builder`].
#[derive(Default)]
pub struct SystemsBuilder {
    paytrace: Option<(paytrace_client::Client, Backend)>,
    salesforce: Option<(salesforce_client::Client, Backend)>,
    erp: Option<(AnyErp, Backend, String)>,
    stores: Option<Stores>,
    settings: Settings,
}

impl fmt::Debug for SystemsBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SystemsBuilder").finish_non_exhaustive()
    }
}

impl SystemsBuilder {
    /// The PayTrace client (required).
    #[must_use]
    pub fn paytrace(self, client: paytrace_client::Client) -> Self {
        self.paytrace_endpoint(client, Backend::Real)
    }

    /// The Salesforce client (required).
    #[must_use]
    pub fn salesforce(self, client: salesforce_client::Client) -> Self {
        self.salesforce_endpoint(client, Backend::Real)
    }

    /// The ERP facade (required), and the service URL it calls (shown in
    /// [`Systems::endpoints`]).
    #[must_use]
    pub fn erp(self, erp: AnyErp, url: impl Into<String>) -> Self {
        self.erp_endpoint(erp, Backend::Real, url.into())
    }

    fn paytrace_endpoint(mut self, client: paytrace_client::Client, backend: Backend) -> Self {
        self.paytrace = Some((client, backend));
        self
    }

    fn salesforce_endpoint(mut self, client: salesforce_client::Client, backend: Backend) -> Self {
        self.salesforce = Some((client, backend));
        self
    }

    fn erp_endpoint(mut self, erp: AnyErp, backend: Backend, url: String) -> Self {
        self.erp = Some((erp, backend, url));
        self
    }

    /// The stores (default: in memory).
    #[must_use]
    pub fn stores(mut self, stores: Stores) -> Self {
        self.stores = Some(stores);
        self
    }

    /// The settings (default: [`Settings::default`]).
    #[must_use]
    pub fn settings(mut self, settings: Settings) -> Self {
        self.settings = settings;
        self
    }

    /// The systems.
    ///
    /// # Errors
    /// [`Error::Config`] naming a missing client.
    pub fn build(self) -> Result<Systems> {
        let (paytrace, paytrace_backend) = self
            .paytrace
            .ok_or_else(|| Error::config("no PayTrace client given"))?;
        let (salesforce, salesforce_backend) = self
            .salesforce
            .ok_or_else(|| Error::config("no Salesforce client given"))?;
        let (erp, erp_backend, erp_url) = self.erp.ok_or_else(|| Error::config("no ERP given"))?;
        let flavor = match &erp {
            AnyErp::Fno(_) => "fno",
            AnyErp::Bc(_) => "bc",
        };
        let endpoints = vec![
            Endpoint {
                system: Target::PayTrace,
                backend: paytrace_backend,
                url: paytrace.base_url().to_string(),
                flavor: None,
            },
            Endpoint {
                system: Target::Salesforce,
                backend: salesforce_backend,
                url: salesforce
                    .instance_url()
                    .unwrap_or_else(|| salesforce.login_url())
                    .to_string(),
                flavor: None,
            },
            Endpoint {
                system: Target::Erp,
                backend: erp_backend,
                url: erp_url,
                flavor: Some(flavor.to_owned()),
            },
        ];
        Ok(Systems {
            paytrace,
            salesforce,
            erp,
            stores: self.stores.unwrap_or_else(Stores::memory),
            settings: self.settings,
            endpoints,
            #[cfg(feature = "sandbox")]
            sandboxes: None,
        })
    }
}
