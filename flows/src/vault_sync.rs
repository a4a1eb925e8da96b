//! Use case 6, `vault-sync`: PayTrace's customer vault ↔ Salesforce Accounts. Vault ids are
//! written to the Accounts that lack one, mismatches are reported, and an Account with no
//! profile gets one made from its latest approved payment, so card data never passes
//! through the CRM.
//!
//! # How a profile is matched to an Account
//!
//! 1. An Account whose `CustomerVaultID__c` is the profile's `customer_id` is linked already.
//! 2. Otherwise the profile belongs to the Account whose `AccountNumber` equals the profile's
//!    `discretionary_data` field [`VaultSyncOptions::account_number_key`]
//!    (`AccountNumber`), compared trimmed and ignoring case;
//! 3. else, with [`VaultSyncOptions::email_field`] set, to the Account whose email field
//!    equals the profile's `email`, ignoring case.
//!
//! A profile matched to exactly one Account without a vault id is linked to it. Everything
//! else that does not add up is a **mismatch**, dead-lettered (step `vault_sync.match`, kind
//! `Conflict`) with its reason and never overwritten: an Account whose vault id PayTrace does
//! not know, two Accounts with the same vault id, a profile that matches several Accounts, a
//! profile that matches an Account linked to another profile, an Account that several
//! profiles match. Profiles that match no Account are counted (a storefront's customers
//! need not be in the CRM).
//!
//! # Profiles made from a transaction
//!
//! With [`VaultSyncOptions::create_from_transactions`], an Account without a vault id that no
//! profile matches gets one from the card of its latest approved card payment: the
//! `Payment__c` of the account (`Completed`, `Settled` or `Partially Refunded`, not ACH) gives
//! the PayTrace transaction id, and PayTrace copies the card from that transaction
//! (`/v1/customer/create_from_transaction`). The profile's id is `SF-<Account Id>`; its
//! `discretionary_data` carries `AccountNumber` and `SalesforceAccountId`, so the next run
//! matches it by rule 2.
//!
//! # Exactly once
//!
//! Each link and each creation is a ledger key (`vault-link-…` of account and vault id,
//! `vault-create-…` of the account), and every step is idempotent: the Account update is a
//! PATCH of absolute values, and a profile whose creation answer was lost is found by its id
//! (PayTrace refuses a second profile with that id) and checked to be ours.

use std::collections::{BTreeMap, BTreeSet};

use futures::{StreamExt, TryStreamExt, stream};
use mapping::idempotency::IdempotencyKey;
use mapping::retry::ErrorKind;
use paytrace_client::customers::CustomerRecord;
use paytrace_client::{CreateCustomerFromTransaction, TransactionId};
use salesforce_client::query::soql;
use serde_json::{Value, json};
use tracing::Instrument;

use crate::crm;
use crate::error::Result;
use crate::once::{Turn, claim, moved_on, settle_letters};
use crate::report::{Action, Outcome, Recorder, RunReport, Target};
use crate::step::{Step, StepFailure, record_span};
use crate::store::DeadLetter;
use crate::systems::Systems;

/// The flow's name, in reports, dead letters and spans.
pub const FLOW: &str = "vault-sync";

/// The step of a mismatch in the dead letters.
pub const MATCH_STEP: &str = "vault_sync.match";

/// The Account field holding the PayTrace vault id.
const VAULT_FIELD: &str = "CustomerVaultID__c";

/// How profiles are matched, and whether profiles are made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VaultSyncOptions {
    /// The `discretionary_data` field of a profile that holds the Account's `AccountNumber`
    /// (default `AccountNumber`).
    pub account_number_key: String,
    /// An Account email field to match profiles' `email` by (default none; e.g. a custom
    /// `Email__c`).
    pub email_field: Option<String>,
    /// Make a profile for an Account that has none, from its latest approved card payment
    /// (default `true`).
    pub create_from_transactions: bool,
}

impl Default for VaultSyncOptions {
    fn default() -> Self {
        VaultSyncOptions {
            account_number_key: "AccountNumber".to_owned(),
            email_field: None,
            create_from_transactions: true,
        }
    }
}

/// An Account as the flow reads it.
#[derive(Debug, Clone)]
struct Account {
    id: String,
    name: String,
    number: Option<String>,
    email: Option<String>,
    vault_id: Option<String>,
}

/// What the flow does with one Account or profile.
#[derive(Debug, Clone)]
enum Task {
    /// Linked already, and the profile exists.
    InSync { account: String },
    /// Write the vault id to the Account.
    Link { account: Account, vault_id: String },
    /// No profile: make one from a transaction, if the account has one.
    Create { account: Account },
    /// Report: `key` (an account id or `profile <id>`) and why.
    Mismatch { key: String, reason: String },
}

impl Task {
    /// The record the task is about: its key in reports and dead letters.
    fn key(&self) -> &str {
        match self {
            Task::InSync { account } => account,
            Task::Link { account, .. } | Task::Create { account } => &account.id,
            Task::Mismatch { key, .. } => key,
        }
    }
}

fn normalized(value: &str) -> String {
    value.trim().to_lowercase()
}

/// Runs the flow.
///
/// # Errors
/// [`Error::PayTrace`](crate::Error::PayTrace) or [`Error::Salesforce`](crate::Error::Salesforce)
/// when the vault or the Accounts cannot be read; the stores' errors. Failures and mismatches
/// of single records are in the report and the dead letters.
pub async fn run(systems: &Systems, options: &VaultSyncOptions) -> Result<RunReport> {
    sync(systems, options, None).await
}

/// Runs the record of a dead letter of this flow again (its key is an Account id, or
/// `profile <id>` for a mismatch of a profile): the vault and the Accounts are read and
/// matched as by [`run`], and only that record's task is done. A mismatch found again is
/// dead-lettered again (one more attempt); a record with nothing left to do has its letters
/// marked replayed.
///
/// # Errors
/// [`Error::NotFound`](crate::Error::NotFound) when the letter's Account is not in
/// Salesforce (replay against the systems the letter came from); as [`run`].
pub async fn replay(
    systems: &Systems,
    letter: &DeadLetter,
    options: &VaultSyncOptions,
) -> Result<RunReport> {
    sync(systems, options, Some(&letter.key)).await
}

/// Matches the vault with the Accounts and does the tasks (only the one of key `only`).
async fn sync(
    systems: &Systems,
    options: &VaultSyncOptions,
    only: Option<&str>,
) -> Result<RunReport> {
    let recorder = Recorder::with_progress(FLOW, systems.settings.progress.clone());
    let profiles = systems.paytrace.customers().export(None).await?;
    let accounts = read_accounts(systems, options).await?;
    let (mut tasks, unmatched) = plan(&profiles, &accounts, options);
    if let Some(key) = only {
        tasks.retain(|task| task.key() == key);
        let is_account = !key.starts_with("profile ");
        if is_account && !accounts.iter().any(|a| a.id == key) {
            // Not these systems' Account (or deleted): nothing here says the letter is done.
            return Err(crate::Error::NotFound {
                what: "Salesforce Account",
                id: key.to_owned(),
            });
        }
        if tasks.is_empty() {
            moved_on(systems, &recorder, FLOW, key).await?;
        }
    }
    recorder.expect(Some(tasks.len() as u64));
    recorder.fact("PayTrace profiles", profiles.len());
    recorder.fact("Salesforce accounts", accounts.len());
    recorder.fact("profiles matching no account", unmatched);

    let creatable: Vec<&Account> = tasks
        .iter()
        .filter_map(|t| match t {
            Task::Create { account } => Some(account),
            _ => None,
        })
        .collect();
    let sources = if options.create_from_transactions {
        latest_payments(systems, &creatable).await?
    } else {
        BTreeMap::new()
    };

    let mismatches = tasks
        .iter()
        .filter(|t| matches!(t, Task::Mismatch { .. }))
        .count();
    recorder.fact("mismatches", mismatches);
    stream::iter(tasks)
        .map(|task| {
            let recorder = &recorder;
            let sources = &sources;
            async move { perform(systems, recorder, options, task, sources).await }
        })
        .buffer_unordered(systems.settings.concurrency.max(1))
        .try_collect::<Vec<()>>()
        .await?;
    Ok(recorder.finish())
}

async fn read_accounts(systems: &Systems, options: &VaultSyncOptions) -> Result<Vec<Account>> {
    let email_field = options
        .email_field
        .as_deref()
        .map(soql::identifier)
        .transpose()?;
    let fields = match email_field {
        Some(field) => format!("Id, Name, AccountNumber, {VAULT_FIELD}, {field}"),
        None => format!("Id, Name, AccountNumber, {VAULT_FIELD}"),
    };
    let records = crm::query_all(
        &systems.salesforce,
        format!("SELECT {fields} FROM Account ORDER BY Id"),
    )
    .await?;
    Ok(records
        .iter()
        .filter_map(|r| {
            Some(Account {
                id: r.id.clone()?,
                name: crm::text(r, "Name").unwrap_or_default(),
                number: crm::text(r, "AccountNumber"),
                email: email_field.and_then(|f| crm::text(r, f)),
                vault_id: crm::text(r, VAULT_FIELD),
            })
        })
        .collect())
}

/// The profile's account number per the options.
fn profile_number(profile: &CustomerRecord, key: &str) -> Option<String> {
    let value = profile.discretionary_data.as_ref()?.get(key)?;
    let text = match value {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => return None,
    };
    Some(normalized(&text)).filter(|s| !s.is_empty())
}

/// Decides what to do per Account and profile (see the module docs); also returns how many
/// profiles match no Account.
fn plan(
    profiles: &[CustomerRecord],
    accounts: &[Account],
    options: &VaultSyncOptions,
) -> (Vec<Task>, usize) {
    let known: BTreeSet<&str> = profiles
        .iter()
        .filter_map(|p| p.customer_id.as_deref())
        .collect();
    let mut linked: BTreeMap<&str, Vec<&Account>> = BTreeMap::new();
    for account in accounts {
        if let Some(vault) = &account.vault_id {
            linked.entry(vault.as_str()).or_default().push(account);
        }
    }
    let mut tasks = Vec::new();
    let mut proposals: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    let mut unmatched = 0;
    for profile in profiles {
        let Some(id) = profile.customer_id.as_deref() else {
            continue;
        };
        if linked.contains_key(id) {
            continue;
        }
        let by_number: Vec<&Account> = match profile_number(profile, &options.account_number_key) {
            Some(number) => accounts
                .iter()
                .filter(|a| a.number.as_deref().map(normalized) == Some(number.clone()))
                .collect(),
            None => Vec::new(),
        };
        let matches = if by_number.is_empty() {
            match profile.email.as_deref().map(normalized) {
                Some(email) if options.email_field.is_some() => accounts
                    .iter()
                    .filter(|a| a.email.as_deref().map(normalized) == Some(email.clone()))
                    .collect(),
                _ => Vec::new(),
            }
        } else {
            by_number
        };
        let key = format!("profile {id}");
        match matches.as_slice() {
            [] => unmatched += 1,
            [account] => match &account.vault_id {
                None => proposals.entry(account.id.as_str()).or_default().push(id),
                Some(other) => tasks.push(Task::Mismatch {
                    key,
                    reason: format!(
                        "profile {id} matches account {} ({}), which is linked to vault id {other}",
                        account.name, account.id
                    ),
                }),
            },
            several => tasks.push(Task::Mismatch {
                key,
                reason: format!(
                    "profile {id} matches {} accounts: {}",
                    several.len(),
                    several
                        .iter()
                        .map(|a| a.id.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            }),
        }
    }
    for account in accounts {
        let task = match &account.vault_id {
            Some(vault) if linked.get(vault.as_str()).is_some_and(|a| a.len() > 1) => {
                Task::Mismatch {
                    key: account.id.clone(),
                    reason: format!(
                        "vault id {vault} is on {} accounts",
                        linked.get(vault.as_str()).map_or(0, Vec::len)
                    ),
                }
            }
            Some(vault) if !known.contains(vault.as_str()) => Task::Mismatch {
                key: account.id.clone(),
                reason: format!(
                    "vault id {vault} of account {} is not in PayTrace's vault",
                    account.name
                ),
            },
            Some(_) => Task::InSync {
                account: account.id.clone(),
            },
            None => match proposals.get(account.id.as_str()).map(Vec::as_slice) {
                Some([vault]) => Task::Link {
                    account: account.clone(),
                    vault_id: (*vault).to_owned(),
                },
                Some(several) if several.len() > 1 => Task::Mismatch {
                    key: account.id.clone(),
                    reason: format!(
                        "{} profiles match account {}: {}",
                        several.len(),
                        account.name,
                        several.join(", ")
                    ),
                },
                _ => Task::Create {
                    account: account.clone(),
                },
            },
        };
        tasks.push(task);
    }
    (tasks, unmatched)
}

/// The transaction id of each account's latest approved card payment.
async fn latest_payments(
    systems: &Systems,
    accounts: &[&Account],
) -> Result<BTreeMap<String, String>> {
    let ids: Vec<&str> = accounts.iter().map(|a| a.id.as_str()).collect();
    let records = crm::query_in(&systems.salesforce, &ids, |list| {
        format!(
            "SELECT Account__c, PaymentID__c FROM {} WHERE Account__c IN {list} \
             AND Status__c IN ('Completed', 'Settled', 'Partially Refunded') \
             AND PaymentMethodType__c != 'ACH' ORDER BY TransactionDate__c DESC",
            crm::PAYMENT
        )
    })
    .await?;
    let mut latest = BTreeMap::new();
    for record in &records {
        if let (Some(account), Some(payment)) = (
            crm::text(record, "Account__c"),
            crm::text(record, "PaymentID__c"),
        ) {
            latest.entry(account).or_insert(payment);
        }
    }
    Ok(latest)
}

async fn perform(
    systems: &Systems,
    recorder: &Recorder,
    options: &VaultSyncOptions,
    task: Task,
    sources: &BTreeMap<String, String>,
) -> Result<()> {
    let key = task.key().to_owned();
    let span = record_span(FLOW, &key);
    let step = Step {
        systems,
        recorder,
        flow: FLOW,
        key: &key,
    };
    async {
        let outcome = match task {
            Task::InSync { .. } => {
                step.count(Target::Salesforce, "Account", Action::Skipped);
                settle_letters(systems.stores.dead_letters.as_ref(), FLOW, &key).await?;
                Outcome::Skipped
            }
            Task::Mismatch { reason, .. } => {
                let failure = StepFailure::new(MATCH_STEP, ErrorKind::Conflict, reason);
                step.dead_letter(failure, Target::Salesforce, "Account", json!({"key": key}))
                    .await?
            }
            Task::Link { account, vault_id } => link(&step, &account, &vault_id).await?,
            Task::Create { account } => match sources.get(&account.id) {
                Some(transaction) if options.create_from_transactions => {
                    create(&step, options, &account, transaction).await?
                }
                _ => {
                    step.count(Target::PayTrace, "customer profile", Action::Skipped);
                    Outcome::Skipped
                }
            },
        };
        recorder.finished(&key, outcome);
        Ok(())
    }
    .instrument(span)
    .await
}

/// Writes `vault_id` to the Account, once.
async fn link(step: &Step<'_>, account: &Account, vault_id: &str) -> Result<Outcome> {
    let ledger = step.systems.stores.ledger.as_ref();
    let key = IdempotencyKey::derive("vault-link", &[&account.id, vault_id]).into_string();
    let payload = json!({"account": account.id, "vault_id": vault_id});
    match claim(ledger, &key, payload.clone()).await? {
        Turn::Mine => {}
        _ => {
            step.count(Target::Salesforce, "Account", Action::Skipped);
            return Ok(Outcome::Skipped);
        }
    }
    match write_vault_id(step, &account.id, vault_id).await {
        Ok(()) => {
            ledger.complete(&key, payload).await?;
            settle_letters(step.systems.stores.dead_letters.as_ref(), FLOW, step.key).await?;
            Ok(Outcome::Completed)
        }
        Err(failure) => {
            ledger.fail(&key, &failure.reason, true).await?;
            step.dead_letter(failure, Target::Salesforce, "Account", payload)
                .await
        }
    }
}

async fn write_vault_id(
    step: &Step<'_>,
    account: &str,
    vault_id: &str,
) -> std::result::Result<(), StepFailure> {
    let update = json!({ VAULT_FIELD: vault_id });
    step.idempotent("salesforce.update_account", || async {
        step.systems
            .salesforce
            .sobjects("Account")
            .update(account, &update)
            .await
    })
    .await?;
    step.count(Target::Salesforce, "Account", Action::Updated);
    Ok(())
}

/// Makes the Account's profile from `transaction`, once, and links it.
async fn create(
    step: &Step<'_>,
    options: &VaultSyncOptions,
    account: &Account,
    transaction: &str,
) -> Result<Outcome> {
    let ledger = step.systems.stores.ledger.as_ref();
    let key = IdempotencyKey::derive("vault-create", &[&account.id]).into_string();
    let vault_id = format!("SF-{}", account.id);
    let payload =
        json!({"account": account.id, "vault_id": vault_id, "transaction_id": transaction});
    match claim(ledger, &key, payload.clone()).await? {
        Turn::Mine => {}
        _ => {
            step.count(Target::PayTrace, "customer profile", Action::Skipped);
            return Ok(Outcome::Skipped);
        }
    }
    let made = async {
        let id: u64 = transaction.parse().map_err(|_| {
            let reason =
                format!("Payment__c.PaymentID__c {transaction:?} is not a PayTrace transaction id");
            let failure = StepFailure::invalid("paytrace.create_from_transaction", reason);
            (failure, Target::Salesforce, "Payment__c")
        })?;
        let mut request = CreateCustomerFromTransaction::new(vault_id.clone(), TransactionId(id))
            .discretionary("SalesforceAccountId", account.id.clone());
        if let Some(number) = &account.number {
            request = request.discretionary(options.account_number_key.clone(), number.clone());
        }
        let created = step
            .once("paytrace.create_from_transaction", async {
                step.systems
                    .paytrace
                    .customers()
                    .create_from_transaction(&request)
                    .await
            })
            .await;
        match created {
            Ok(_) => step.count(Target::PayTrace, "customer profile", Action::Created),
            Err(failure) if failure.kind == ErrorKind::Conflict => {
                // The id is taken: by an attempt of ours whose answer was lost, or by someone
                // else.
                ours(step, &vault_id, &account.id).await?;
                step.count(Target::PayTrace, "customer profile", Action::Created);
            }
            Err(failure) => return Err((failure, Target::PayTrace, "customer profile")),
        }
        write_vault_id(step, &account.id, &vault_id)
            .await
            .map_err(|f| (f, Target::Salesforce, "Account"))
    }
    .await;
    match made {
        Ok(()) => {
            ledger.complete(&key, payload).await?;
            settle_letters(step.systems.stores.dead_letters.as_ref(), FLOW, step.key).await?;
            Ok(Outcome::Completed)
        }
        Err((failure, system, object)) => {
            ledger.fail(&key, &failure.reason, true).await?;
            step.dead_letter(failure, system, object, payload).await
        }
    }
}

/// Checks that the profile `vault_id` is the one this flow made for `account`.
async fn ours(
    step: &Step<'_>,
    vault_id: &str,
    account: &str,
) -> std::result::Result<(), (StepFailure, Target, &'static str)> {
    let found = step
        .idempotent("paytrace.customer_export", || async {
            step.systems
                .paytrace
                .customers()
                .export(Some(vault_id))
                .await
        })
        .await
        .map_err(|f| (f, Target::PayTrace, "customer profile"))?;
    let mine = found.iter().any(|p| {
        p.discretionary_data
            .as_ref()
            .and_then(|d| d.get("SalesforceAccountId"))
            .and_then(Value::as_str)
            == Some(account)
    });
    if mine {
        Ok(())
    } else {
        Err((
            StepFailure::new(
                "paytrace.create_from_transaction",
                ErrorKind::Conflict,
                format!("vault id {vault_id} is taken by a profile of another account"),
            ),
            Target::PayTrace,
            "customer profile",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile(id: &str, number: Option<&str>, email: Option<&str>) -> CustomerRecord {
        serde_json::from_value(json!({
            "customer_id": id,
            "email": email.unwrap_or(""),
            "discretionary_data": number.map_or(json!({}), |n| json!({"AccountNumber": n})),
        }))
        .unwrap()
    }

    fn account(id: &str, number: &str, email: Option<&str>, vault: Option<&str>) -> Account {
        Account {
            id: id.into(),
            name: format!("Account {id}"),
            number: Some(number.into()),
            email: email.map(Into::into),
            vault_id: vault.map(Into::into),
        }
    }

    #[test]
    fn the_match_rule_links_reports_and_creates() {
        let profiles = [
            profile("V1", None, None),            // linked to A1
            profile("V2", Some(" c-2 "), None),   // by number → A2
            profile("V3", Some("C-3"), None),     // A3 is linked to V9 → mismatch
            profile("V4", None, Some("X@Y.COM")), // by email → A4
            profile("V5", Some("C-5"), None),     // two accounts numbered C-5 → mismatch
            profile("V6", None, None),            // matches nothing
        ];
        let accounts = [
            account("A1", "C-1", None, Some("V1")),
            account("A2", "C-2", None, None),
            account("A3", "C-3", None, Some("V9")), // V9 unknown → mismatch
            account("A4", "C-4", Some("x@y.com"), None),
            account("A5", "C-5", None, None),
            account("A6", "C-5", None, None),
        ];
        let options = VaultSyncOptions {
            email_field: Some("Email__c".into()),
            ..VaultSyncOptions::default()
        };
        let (tasks, unmatched) = plan(&profiles, &accounts, &options);
        assert_eq!(unmatched, 1);
        let summary: Vec<String> = tasks
            .iter()
            .map(|t| match t {
                Task::InSync { account } => format!("sync {account}"),
                Task::Link { account, vault_id } => format!("link {} {vault_id}", account.id),
                Task::Create { account } => format!("create {}", account.id),
                Task::Mismatch { key, .. } => format!("mismatch {key}"),
            })
            .collect();
        assert_eq!(
            summary,
            [
                "mismatch profile V3",
                "mismatch profile V5",
                "sync A1",
                "link A2 V2",
                "mismatch A3",
                "link A4 V4",
                "create A5",
                "create A6",
            ]
        );
    }
}
