//! The `sandbox` emulators started in-process, and the clients pointed at them.

use std::fmt;

use dynamics365_client::Flavor;
use dynamics365_client::auth::ClientSecret;
use dynamics365_client::erp::{AnyErp, BcErp, BcErpConfig, FnoErp, FnoErpConfig};
use dynamics365_client::fno::{AccountType, PostingStrategy};
use mapping::retry::Retrier;
use sandbox::dynamics::{
    DEFAULT_BC_COMPANY_NAME, DEFAULT_CLIENT_ID as D365_CLIENT_ID,
    DEFAULT_CLIENT_SECRET as D365_CLIENT_SECRET, DEFAULT_FNO_COMPANY, DEFAULT_TENANT_ID,
    DynamicsConfig, DynamicsSandbox,
};
use sandbox::fault::FaultPlan;
use sandbox::paytrace::{
    DEFAULT_INTEGRATOR_ID, DEFAULT_PASSWORD, DEFAULT_USERNAME, PayTraceConfig, PayTraceSandbox,
};
use sandbox::salesforce::{
    DEFAULT_CLIENT_ID as SF_CLIENT_ID, DEFAULT_CLIENT_SECRET as SF_CLIENT_SECRET, FieldMeta,
    FieldType, ObjectMeta, SalesforceConfig, SalesforceSandbox, standard_objects,
};

use super::ErpFlavor;
use crate::error::{Error, Result};

/// The F&O journal-posting service the emulator offers and the client is configured with
/// (standard F&O has none; see `dynamics365_client::fno::PostingStrategy`).
const FNO_POSTING_SERVICE: &str = "/api/services/TributaryServices/JournalService/post";

/// The F&O bank account payment lines are offset to.
const FNO_PAYMENT_OFFSET: &str = "USMF OPER";

/// How [`Systems::sandbox`](super::Systems::sandbox) and
/// [`Systems::from_env`](super::Systems::from_env) start the emulators.
#[derive(Clone, Default)]
pub struct SandboxOptions {
    /// The ERP emulator's flavour (default Finance & Operations).
    pub erp_flavor: ErpFlavor,
    /// Start the PayTrace emulator ([`Systems::sandbox`](super::Systems::sandbox) starts all
    /// three whatever these say).
    pub paytrace: bool,
    /// Start the Salesforce emulator.
    pub salesforce: bool,
    /// Start the Dynamics 365 emulator.
    pub dynamics: bool,
    /// Faults of the PayTrace emulator from the start (change them later with
    /// `sandboxes.paytrace()?.faults().set(…)`).
    pub paytrace_faults: FaultPlan,
    /// Faults of the Salesforce emulator from the start.
    pub salesforce_faults: FaultPlan,
    /// Faults of the Dynamics 365 emulator from the start.
    pub dynamics_faults: FaultPlan,
    /// The retry loop of the three clients (default: each client's default policy). Tests
    /// pass one with a `RecordingSleeper` or small delays.
    pub retrier: Option<Retrier>,
}

impl fmt::Debug for SandboxOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SandboxOptions")
            .field("erp_flavor", &self.erp_flavor)
            .field("paytrace", &self.paytrace)
            .field("salesforce", &self.salesforce)
            .field("dynamics", &self.dynamics)
            .finish_non_exhaustive()
    }
}

/// The emulators started in-process; each stops when this is dropped.
#[derive(Debug)]
pub struct Sandboxes {
    paytrace: Option<PayTraceSandbox>,
    salesforce: Option<SalesforceSandbox>,
    dynamics: Option<DynamicsSandbox>,
    erp_flavor: ErpFlavor,
}

fn not_started(what: &str) -> Error {
    Error::config(format!(
        "the {what} emulator was not started: that system is real"
    ))
}

fn start_error(what: &str, source: std::io::Error) -> Error {
    Error::Config {
        reason: format!("could not start the {what} emulator on 127.0.0.1"),
        source: Some(Box::new(source)),
    }
}

impl Sandboxes {
    /// Starts the emulators `options` asks for.
    pub(crate) async fn start(options: &SandboxOptions) -> Result<Sandboxes> {
        let paytrace = if options.paytrace {
            Some(
                PayTraceSandbox::start_with_faults(
                    PayTraceConfig::default(),
                    options.paytrace_faults.clone(),
                )
                .await
                .map_err(|e| start_error("PayTrace", e))?,
            )
        } else {
            None
        };
        let salesforce = if options.salesforce {
            Some(
                SalesforceSandbox::start_with_faults(
                    salesforce_schema(SalesforceConfig::default()),
                    options.salesforce_faults.clone(),
                )
                .await
                .map_err(|e| start_error("Salesforce", e))?,
            )
        } else {
            None
        };
        let dynamics = if options.dynamics {
            let config = DynamicsConfig::new()
                .fno(|fno| fno.posting.service_path = Some(FNO_POSTING_SERVICE.to_owned()));
            Some(
                DynamicsSandbox::start_with_faults(config, options.dynamics_faults.clone())
                    .await
                    .map_err(|e| start_error("Dynamics 365", e))?,
            )
        } else {
            None
        };
        Ok(Sandboxes {
            paytrace,
            salesforce,
            dynamics,
            erp_flavor: options.erp_flavor,
        })
    }

    /// The PayTrace emulator.
    ///
    /// # Errors
    /// [`Error::Config`] when PayTrace is the real system.
    pub fn paytrace(&self) -> Result<&PayTraceSandbox> {
        self.paytrace
            .as_ref()
            .ok_or_else(|| not_started("PayTrace"))
    }

    /// The Salesforce emulator.
    ///
    /// # Errors
    /// [`Error::Config`] when Salesforce is the real system.
    pub fn salesforce(&self) -> Result<&SalesforceSandbox> {
        self.salesforce
            .as_ref()
            .ok_or_else(|| not_started("Salesforce"))
    }

    /// The Dynamics 365 emulator.
    ///
    /// # Errors
    /// [`Error::Config`] when the ERP is the real system.
    pub fn dynamics(&self) -> Result<&DynamicsSandbox> {
        self.dynamics
            .as_ref()
            .ok_or_else(|| not_started("Dynamics 365"))
    }

    /// The flavour the Dynamics 365 emulator is used in.
    pub fn erp_flavor(&self) -> ErpFlavor {
        self.erp_flavor
    }

    /// Clears the fault plans of every emulator (their counts are kept).
    pub fn clear_faults(&self) {
        if let Some(sb) = &self.paytrace {
            sb.faults().clear();
        }
        if let Some(sb) = &self.salesforce {
            sb.faults().clear();
        }
        if let Some(sb) = &self.dynamics {
            sb.faults().clear();
        }
    }

    pub(crate) fn paytrace_client(
        &self,
        options: &SandboxOptions,
    ) -> Result<Option<paytrace_client::Client>> {
        let Some(sb) = &self.paytrace else {
            return Ok(None);
        };
        let mut builder = paytrace_client::Client::builder()
            .base_url(sb.base_url())
            .credentials(paytrace_client::Credentials::password(
                DEFAULT_USERNAME,
                DEFAULT_PASSWORD,
            ))
            .integrator_id(DEFAULT_INTEGRATOR_ID);
        if let Some(retrier) = &options.retrier {
            builder = builder.retrier(retrier.clone());
        }
        Ok(Some(builder.build()?))
    }

    pub(crate) fn salesforce_client(
        &self,
        options: &SandboxOptions,
    ) -> Result<Option<salesforce_client::Client>> {
        let Some(sb) = &self.salesforce else {
            return Ok(None);
        };
        let mut builder = salesforce_client::Client::builder()
            .login_url(sb.base_url())
            .credentials(salesforce_client::auth::ClientCredentials::new(
                SF_CLIENT_ID,
                SF_CLIENT_SECRET,
            ));
        if let Some(retrier) = &options.retrier {
            builder = builder.retrier(retrier.clone());
        }
        Ok(Some(builder.build()?))
    }

    /// The ERP facade on the Dynamics 365 emulator, and its service URL.
    pub(crate) fn erp(&self, options: &SandboxOptions) -> Result<Option<(AnyErp, String)>> {
        let Some(sb) = &self.dynamics else {
            return Ok(None);
        };
        let credentials = ClientSecret::new(DEFAULT_TENANT_ID, D365_CLIENT_ID, D365_CLIENT_SECRET)
            .authority(sb.base_url());
        let mut builder = dynamics365_client::Client::builder().credentials(credentials);
        if let Some(retrier) = &options.retrier {
            builder = builder.retrier(retrier.clone());
        }
        Ok(Some(match self.erp_flavor {
            ErpFlavor::FinanceOperations => {
                let url = sb.fno_url();
                let client = builder
                    .flavor(Flavor::FinanceOperations)
                    .base_url(url.clone())
                    .company(DEFAULT_FNO_COMPANY)
                    .fno_posting(PostingStrategy::CustomService {
                        path: FNO_POSTING_SERVICE.to_owned(),
                        company_param: "_dataAreaId".to_owned(),
                        journal_param: "_journalBatchNumber".to_owned(),
                    })
                    .build()?;
                let config = FnoErpConfig {
                    payment_offset: Some((AccountType::Bank, FNO_PAYMENT_OFFSET.to_owned())),
                    ..FnoErpConfig::default()
                };
                (AnyErp::Fno(FnoErp::new(client, config)), url)
            }
            ErpFlavor::BusinessCentral => {
                let url = sb.bc_api_url(DEFAULT_TENANT_ID);
                let client = builder
                    .flavor(Flavor::BusinessCentral)
                    .base_url(url.clone())
                    .company(DEFAULT_BC_COMPANY_NAME)
                    .build()?;
                (AnyErp::Bc(BcErp::new(client, BcErpConfig::default())), url)
            }
        }))
    }
}

/// The Salesforce org the flows expect: `Payment__c` with the external id `PaymentID__c` and
/// the fields of `mapping`'s default spec, `Account.CustomerVaultID__c`, the Opportunity
/// fields the flows read and write, and Change Data Capture on Opportunity (the push
/// trigger). Create the same in a real org (see the README).
pub fn salesforce_schema(config: SalesforceConfig) -> SalesforceConfig {
    use FieldType as T;
    let standard = standard_objects();
    let find = |name: &str| {
        standard
            .iter()
            .find(|o| o.name == name)
            .cloned()
            .unwrap_or_else(|| ObjectMeta::new(name))
    };
    let account = find("Account").field(FieldMeta::text("CustomerVaultID__c", 50));
    let opportunity = find("Opportunity")
        .field(FieldMeta::text("ERP_Invoice__c", 30))
        .field(FieldMeta::text("Subscription_Term__c", 40))
        .field(FieldMeta::text("Payment_Status__c", 40))
        .field(FieldMeta::text("PaymentID__c", 50));
    let payment = ObjectMeta::new("Payment__c")
        .label("Payment", "Payments")
        .field(
            FieldMeta::text("PaymentID__c", 50)
                .external_id()
                .unique()
                .required(),
        )
        .field(FieldMeta::new("Amount__c", T::Currency).required())
        .field(FieldMeta::new("Status__c", T::Picklist).picklist(&[
            "Pending",
            "Authorized",
            "Completed",
            "Declined",
            "Settled",
            "Partially Refunded",
            "Refunded",
            "Voided",
            "Failed",
            "Charged Back",
        ]))
        .field(FieldMeta::new("TransactionDate__c", T::DateTime))
        .field(
            FieldMeta::new("PaymentMethodType__c", T::Picklist).picklist(&[
                "Credit Card",
                "ACH",
                "Vault",
            ]),
        )
        .field(FieldMeta::text("Last4Digits__c", 4))
        .field(FieldMeta::text("CustomerVaultID__c", 50))
        .field(FieldMeta::reference("Account__c", "Account", "Account__r"))
        .field(FieldMeta::reference(
            "Opportunity__c",
            "Opportunity",
            "Opportunity__r",
        ))
        .field(FieldMeta::text("OrderId__c", 40))
        .field(FieldMeta::text("Subscription_Term__c", 40))
        .field(FieldMeta::text("PaymentMethodDetails__c", 255));
    config
        .object(account)
        .object(opportunity)
        .object(payment)
        .cdc("Opportunity")
}
