//! Use case 3: reconcile one day's settlements. PayTrace's batches settled that day and their
//! transactions → `Payment__c` marked Settled → one ERP general-journal entry per batch →
//! a mismatch report.
//!
//! # Steps
//!
//! 1. **PayTrace**: the batches settled on [`Options::date`] (`/v1/batches/export`, merchant
//!    days in PayTrace's time zone) and each batch's transactions
//!    (`/v1/batches/transaction_list`), read as canonical payments.
//! 2. **Salesforce**: the `Payment__c` of every transaction (by `PaymentID__c`). A record
//!    whose status is not yet what PayTrace says (by `mapping`'s default
//!    `paytrace_to_salesforce` spec: `Settled`, `Refunded` for refunds) is updated to it when
//!    the payment lifecycle allows the move; records already there are left alone, so a rerun
//!    writes nothing. The updates are upserts by `PaymentID__c` through sObject collections
//!    (200 a call), or a Bulk API 2.0 upsert job above [`Options::bulk_threshold`]
//!    records. A transaction without a `Payment__c` is reported, not created: the flow that
//!    charged it owns that record.
//! 3. **ERP**: per batch, a general-journal entry of its totals — sales and captures debited
//!    to the bank account and credited to the clearing account, refunds the other way —
//!    referenced `STL-<batch number>`, created once (the ERP facade finds it by reference),
//!    and posted where the flavour can (F&O needs a posting strategy; otherwise the report
//!    says it is left unposted).
//! 4. **Mismatches** ([`Mismatch`], [`Issue`]): a settled transaction missing in Salesforce,
//!    or whose amount or status differs there; a settled sale or capture without a customer
//!    payment line in the ERP (by its payment reference, the transaction id), or with another
//!    amount. Written as CSV ([`write_csv`], [`Options::csv`]) and summed up in the report.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Arc;

use canonical_model::{
    Currency, JournalEntry, Money, Payment, PaymentStatus, SettlementBatch, TransactionKind,
};
use chrono::{NaiveDate, Utc};
use dynamics365_client::erp::{AnyErp, Erp};
use dynamics365_client::odata::Guid;
use dynamics365_client::odata::filter::prop;
use futures::TryStreamExt;
use futures::stream;
use mapping::fieldmap::{Context, Spec, defaults};
use mapping::idempotency::IdempotencyKey;
use mapping::retry::ErrorKind;
use mapping::transform::datetime::PAYTRACE_TIME_ZONE;
use mapping::transform::status::status_from_salesforce;
use mapping::transform::types::decimal_from_json;
use paytrace_client::exports::TransactionRecord;
use rust_decimal::Decimal;
use salesforce_client::SObject;
use salesforce_client::bulk::{IngestJobSpec, Operation, PollOptions};
use salesforce_client::query::soql;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tracing::Instrument;

use crate::crm::{self, PAYMENT, PAYMENT_ID};
use crate::error::{Error, Result};
use crate::journal::{LedgerAccount, reference};
use crate::once::{Turn, claim, settle_letters};
use crate::report::{Action, Outcome, Recorder, RunReport, Target};
use crate::step::{Step, StepFailure, record_span};
use crate::store::DeadLetter;
use crate::systems::{ErpFlavor, Systems};

/// The flow's name, in reports, spans and dead letters.
pub const FLOW: &str = "settlement-reconciliation";

/// Ledger namespace of the batches' journal entries.
const JOURNAL_NAMESPACE: &str = "settlement-journal";

/// Ids per `IN (…)` filter of a lookup.
const LOOKUP_CHUNK: usize = 100;

/// The accounts a batch's journal entry posts to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JournalAccounts {
    /// Where the money lands: debited with sales, credited with refunds.
    pub bank: LedgerAccount,
    /// The card clearing (or receivables) account: the other side.
    pub clearing: LedgerAccount,
}

impl JournalAccounts {
    /// The accounts of the flavour's demo company (the sandbox's): F&O bank `USMF OPER` and
    /// main account `130100`; Business Central G/L accounts `2910` and `2310`.
    pub fn demo(flavor: ErpFlavor) -> Self {
        match flavor {
            ErpFlavor::FinanceOperations => JournalAccounts {
                bank: LedgerAccount::bank("USMF OPER"),
                clearing: LedgerAccount::ledger("130100"),
            },
            ErpFlavor::BusinessCentral => JournalAccounts {
                bank: LedgerAccount::ledger("2910"),
                clearing: LedgerAccount::ledger("2310"),
            },
        }
    }
}

/// How a run goes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Options {
    /// The settlement day, in PayTrace's time zone; default today there.
    pub date: Option<NaiveDate>,
    /// Above this many updates, `Payment__c` is written by a Bulk API 2.0 job instead of
    /// sObject collections (default 2,000 when 0).
    pub bulk_threshold: usize,
    /// How to wait for a Bulk API job (default: the client's, first poll after 1 s).
    pub bulk_poll: Option<PollOptionsConfig>,
    /// Write the mismatches as CSV to this file.
    pub csv: Option<PathBuf>,
    /// The journal accounts; default [`JournalAccounts::demo`] of the ERP's flavour.
    pub accounts: Option<JournalAccounts>,
    /// Leave the journal entries unposted.
    pub no_post: bool,
}

/// How often to poll a Bulk API job, as plain data (the client's `PollOptions` holds a
/// sleeper and a clock).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PollOptionsConfig {
    /// The first wait.
    pub first_interval: std::time::Duration,
    /// The longest wait.
    pub max_interval: std::time::Duration,
}

/// The default bulk threshold.
pub const DEFAULT_BULK_THRESHOLD: usize = 2_000;

/// What is wrong with one settled transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Issue {
    /// PayTrace settled it; Salesforce has no `Payment__c` for it.
    MissingInSalesforce,
    /// `Payment__c.Amount__c` differs from PayTrace's amount.
    AmountInSalesforce,
    /// `Payment__c.Status__c` cannot move to PayTrace's status (a declined or refunded
    /// record that PayTrace settled as a sale).
    StatusInSalesforce,
    /// A settled sale without a customer payment line in the ERP.
    MissingInErp,
    /// The ERP's payment line has another amount.
    AmountInErp,
}

impl Issue {
    /// The `snake_case` name, as in the CSV.
    pub fn as_str(self) -> &'static str {
        match self {
            Issue::MissingInSalesforce => "missing_in_salesforce",
            Issue::AmountInSalesforce => "amount_in_salesforce",
            Issue::StatusInSalesforce => "status_in_salesforce",
            Issue::MissingInErp => "missing_in_erp",
            Issue::AmountInErp => "amount_in_erp",
        }
    }
}

/// One row of the mismatch report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mismatch {
    /// The settlement batch.
    pub batch: String,
    /// PayTrace's transaction id.
    pub transaction_id: String,
    /// The charge's invoice id (Opportunity or order id).
    pub invoice_id: Option<String>,
    /// Sale, capture, refund.
    pub kind: TransactionKind,
    /// PayTrace's amount (positive).
    pub paytrace_amount: Decimal,
    /// PayTrace's status.
    pub paytrace_status: PaymentStatus,
    /// `Payment__c.Amount__c`, if there is a record.
    pub salesforce_amount: Option<Decimal>,
    /// `Payment__c.Status__c`, if there is a record.
    pub salesforce_status: Option<String>,
    /// The ERP payment line's amount, if one was found.
    pub erp_amount: Option<Decimal>,
    /// What is wrong.
    pub issue: Issue,
}

/// What a run found and did.
#[derive(Debug, Clone, PartialEq)]
pub struct Reconciliation {
    /// The report (per system, per record, facts).
    pub report: RunReport,
    /// The day reconciled.
    pub date: NaiveDate,
    /// The batches settled that day, with their transactions.
    pub batches: Vec<SettlementBatch>,
    /// The mismatches, by batch and transaction.
    pub mismatches: Vec<Mismatch>,
}

/// Today in PayTrace's time zone (`America/Los_Angeles`): the day its batches settle on.
pub fn today() -> NaiveDate {
    Utc::now().with_timezone(&PAYTRACE_TIME_ZONE).date_naive()
}

/// A settled transaction with what PayTrace's export and the default spec say of it.
struct Settled {
    batch: String,
    record: TransactionRecord,
    payment: Payment,
    /// `Payment__c` as `paytrace_to_salesforce` maps the export record.
    mapped: serde_json::Map<String, Value>,
}

impl Settled {
    fn id(&self) -> &str {
        &self.payment.id
    }

    fn target_status(&self) -> Option<&str> {
        self.mapped.get("Status__c").and_then(Value::as_str)
    }

    fn mismatch(
        &self,
        issue: Issue,
        salesforce: Option<&SObject>,
        erp_amount: Option<Decimal>,
    ) -> Mismatch {
        Mismatch {
            batch: self.batch.clone(),
            transaction_id: self.payment.id.clone(),
            invoice_id: self.record.invoice_id.clone(),
            kind: self.payment.kind,
            paytrace_amount: self.payment.amount.amount,
            paytrace_status: self.payment.status,
            salesforce_amount: salesforce.and_then(|r| crm::decimal(r, "Amount__c")),
            salesforce_status: salesforce.and_then(|r| crm::text(r, "Status__c")),
            erp_amount,
            issue,
        }
    }
}

/// The status update of one `Payment__c`, as sent and as echoed by a Bulk API job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct StatusUpdate {
    #[serde(rename = "PaymentID__c")]
    payment_id: String,
    #[serde(rename = "Status__c")]
    status: String,
}

/// Reconciles the day's settlements; see the [module docs](self).
///
/// # Errors
/// PayTrace's batch export after the client's retries (nothing was written); a store's
/// error; writing the CSV. Failures of single transactions or batches are dead letters.
pub async fn run(systems: &Systems, options: &Options) -> Result<Reconciliation> {
    let recorder = Recorder::with_progress(FLOW, Arc::clone(&systems.settings.progress));
    let date = options.date.unwrap_or_else(today);
    let spec =
        defaults::paytrace_to_salesforce().map_err(|e| Error::mapping("the default spec", e))?;

    let summaries = systems.paytrace.batches().export(date, date).await?;
    let mut batches = Vec::new();
    let mut settled = Vec::new();
    for summary in &summaries {
        let number = summary.number.to_string();
        let records = systems
            .paytrace
            .batches()
            .transaction_list(summary.number)
            .await?;
        recorder.found(u64::try_from(records.len()).unwrap_or(u64::MAX));
        let mut payments = Vec::new();
        for record in records {
            let key = record.transaction_id.to_string();
            let step = Step {
                systems,
                recorder: &recorder,
                flow: FLOW,
                key: &key,
            };
            match read(&spec, &number, record) {
                Ok(item) => {
                    payments.push(item.payment.clone());
                    settled.push(item);
                }
                Err((failure, record)) => {
                    let payload = json!({"date": date, "transaction": record});
                    let outcome = step
                        .dead_letter(failure, Target::PayTrace, "transaction", payload)
                        .await?;
                    recorder.finished(&key, outcome);
                }
            }
        }
        let settled_at = payments.iter().filter_map(|p| p.settled_at).max();
        batches.push(
            SettlementBatch::from_transactions(number, settled_at, Currency::USD, payments)
                .map_err(|e| Error::mapping("a settlement batch", e))?,
        );
    }
    recorder.expect(Some(u64::try_from(settled.len()).unwrap_or(u64::MAX)));

    let mut found = Findings::default();
    let sf_records = salesforce_records(systems, &recorder, &settled).await?;
    mark_settled(
        systems,
        &recorder,
        options,
        date,
        &settled,
        &sf_records,
        &mut found,
    )
    .await?;
    let Findings {
        mut mismatches,
        mut failed,
    } = found;
    erp_check(systems, &recorder, &settled, &mut mismatches).await?;
    for item in &settled {
        let outcome = failed.remove(item.id()).unwrap_or(Outcome::Completed);
        recorder.finished(item.id(), outcome);
    }

    mismatches.sort_by(|a, b| {
        (&a.batch, &a.transaction_id, a.issue).cmp(&(&b.batch, &b.transaction_id, b.issue))
    });
    summarize(&recorder, date, &batches, &mismatches);

    let accounts = options
        .accounts
        .clone()
        .unwrap_or_else(|| JournalAccounts::demo(systems.erp_flavor()));
    for batch in &batches {
        journal(systems, &recorder, batch, date, &accounts, !options.no_post).await?;
    }
    if let Some(path) = &options.csv {
        let file = std::fs::File::create(path).map_err(|e| Error::Config {
            reason: format!("cannot write the mismatch report {}", path.display()),
            source: Some(Box::new(e)),
        })?;
        write_csv(file, &mismatches)?;
        recorder.fact("csv", path.display());
    }
    Ok(Reconciliation {
        report: recorder.finish(),
        date,
        batches,
        mismatches,
    })
}

/// Reconciles again the day of a dead letter of this flow (its payload's `date`): the
/// updates and journal entries done since are found done.
///
/// # Errors
/// [`Error::Mapping`] when the payload has no date; as [`run`].
pub async fn replay(systems: &Systems, letter: &DeadLetter) -> Result<Reconciliation> {
    let date = letter
        .payload
        .get("date")
        .cloned()
        .map(serde_json::from_value::<NaiveDate>)
        .transpose()
        .map_err(|e| Error::mapping("the dead letter's date", e))?
        .ok_or_else(|| Error::mapping("the dead letter's date", "the payload has no date"))?;
    run(
        systems,
        &Options {
            date: Some(date),
            ..Options::default()
        },
    )
    .await
}

/// A batch transaction as a canonical payment and as the `Payment__c` the default spec makes
/// of it; or the dead letter when it cannot be read.
fn read(
    spec: &Spec,
    batch: &str,
    record: TransactionRecord,
) -> Result<Settled, (StepFailure, Value)> {
    let payload = serde_json::to_value(&record).unwrap_or(Value::Null);
    let failure = |reason: String| {
        (
            StepFailure::invalid("paytrace.read_transaction", reason),
            payload.clone(),
        )
    };
    let payment =
        paytrace_client::canonical::payment(&record).map_err(|e| failure(e.to_string()))?;
    let mapped = match spec.apply(&payload, &Context::new()) {
        Ok(Value::Object(fields)) => fields,
        Ok(_) => return Err(failure("the spec did not produce a record".to_owned())),
        Err(e) => return Err(failure(e.to_string())),
    };
    Ok(Settled {
        batch: batch.to_owned(),
        record,
        payment,
        mapped,
    })
}

/// The `Payment__c` records of the settled transactions, by `PaymentID__c`.
async fn salesforce_records(
    systems: &Systems,
    recorder: &Recorder,
    settled: &[Settled],
) -> Result<HashMap<String, SObject>> {
    let ids: Vec<&str> = settled.iter().map(Settled::id).collect();
    let step = Step {
        systems,
        recorder,
        flow: FLOW,
        key: "Payment__c",
    };
    let mut found = HashMap::new();
    for chunk in ids.chunks(LOOKUP_CHUNK) {
        let soql = format!(
            "SELECT Id, {PAYMENT_ID}, Amount__c, Status__c FROM {PAYMENT} WHERE {PAYMENT_ID} IN {}",
            soql::in_list(chunk.iter().copied())?
        );
        let records = step
            .idempotent("salesforce.find_payments", || {
                crm::query_all(&systems.salesforce, soql.clone())
            })
            .await
            .map_err(|f| Error::config(format!("cannot read Payment__c: {f}")))?;
        for record in records {
            if let Some(id) = crm::text(&record, PAYMENT_ID) {
                found.insert(id, record);
            }
        }
    }
    Ok(found)
}

/// What the Salesforce pass found: mismatches, and the transactions dead-lettered.
#[derive(Default)]
struct Findings {
    mismatches: Vec<Mismatch>,
    failed: HashMap<String, Outcome>,
}

/// Updates the `Payment__c` whose status PayTrace moved, and reports those it cannot.
async fn mark_settled(
    systems: &Systems,
    recorder: &Recorder,
    options: &Options,
    date: NaiveDate,
    settled: &[Settled],
    sf_records: &HashMap<String, SObject>,
    found: &mut Findings,
) -> Result<()> {
    let Findings { mismatches, failed } = found;
    let mut updates = Vec::new();
    for item in settled {
        let Some(record) = sf_records.get(item.id()) else {
            mismatches.push(item.mismatch(Issue::MissingInSalesforce, None, None));
            continue;
        };
        let expected = item
            .mapped
            .get("Amount__c")
            .and_then(|v| decimal_from_json(v).ok());
        if expected.is_some() && expected != crm::decimal(record, "Amount__c") {
            mismatches.push(item.mismatch(Issue::AmountInSalesforce, Some(record), None));
        }
        let Some(target) = item.target_status() else {
            continue;
        };
        let current = crm::text(record, "Status__c");
        if current.as_deref() == Some(target) {
            recorder.count(Target::Salesforce, "Payment__c", Action::Skipped);
            continue;
        }
        let allowed = match (
            current.as_deref().map(status_from_salesforce),
            status_from_salesforce(target),
        ) {
            (Some(Ok(from)), Ok(to)) => from.can_transition_to(to),
            (None, _) => true,
            _ => false,
        };
        if allowed {
            updates.push(StatusUpdate {
                payment_id: item.id().to_owned(),
                status: target.to_owned(),
            });
        } else {
            mismatches.push(item.mismatch(Issue::StatusInSalesforce, Some(record), None));
        }
    }
    if updates.is_empty() {
        return Ok(());
    }
    let threshold = match options.bulk_threshold {
        0 => DEFAULT_BULK_THRESHOLD,
        n => n,
    };
    let step = Step {
        systems,
        recorder,
        flow: FLOW,
        key: "Payment__c",
    };
    let results: Vec<(String, std::result::Result<(), String>)> = if updates.len() > threshold {
        recorder.fact("Payment__c written by", "Bulk API 2.0 upsert");
        bulk_upsert(systems, &step, options, &updates).await
    } else {
        collections_upsert(systems, &step, &updates).await
    };
    for (id, result) in results {
        match result {
            Ok(()) => {
                recorder.count(Target::Salesforce, "Payment__c", Action::Updated);
                settle_letters(systems.stores.dead_letters.as_ref(), FLOW, &id).await?;
            }
            Err(reason) => {
                let failure =
                    StepFailure::new("salesforce.mark_settled", ErrorKind::Validation, reason);
                let step = Step {
                    systems,
                    recorder,
                    flow: FLOW,
                    key: &id,
                };
                let update = updates.iter().find(|u| u.payment_id == id);
                let payload = json!({"date": date, "transaction_id": id, "update": update});
                let outcome = step
                    .dead_letter(failure, Target::Salesforce, "Payment__c", payload)
                    .await?;
                failed.insert(id, outcome);
            }
        }
    }
    Ok(())
}

/// Upserts by `PaymentID__c` through sObject collections: one result per update.
async fn collections_upsert(
    systems: &Systems,
    step: &Step<'_>,
    updates: &[StatusUpdate],
) -> Vec<(String, std::result::Result<(), String>)> {
    let written = step
        .idempotent("salesforce.mark_settled", || async {
            systems
                .salesforce
                .collections()
                .upsert(PAYMENT, PAYMENT_ID, updates)
                .await
        })
        .await;
    match written {
        Ok(results) => updates
            .iter()
            .zip(results)
            .map(|(update, result)| {
                let outcome = if result.success {
                    Ok(())
                } else {
                    Err(result
                        .errors
                        .iter()
                        .map(|e| e.to_string())
                        .collect::<Vec<_>>()
                        .join("; "))
                };
                (update.payment_id.clone(), outcome)
            })
            .collect(),
        Err(failure) => updates
            .iter()
            .map(|u| (u.payment_id.clone(), Err(failure.reason.clone())))
            .collect(),
    }
}

/// Upserts by `PaymentID__c` in a Bulk API 2.0 job: one result per update.
async fn bulk_upsert(
    systems: &Systems,
    step: &Step<'_>,
    options: &Options,
    updates: &[StatusUpdate],
) -> Vec<(String, std::result::Result<(), String>)> {
    let poll = || {
        let poll = PollOptions::default();
        match options.bulk_poll {
            Some(config) => poll
                .first_interval(config.first_interval)
                .max_interval(config.max_interval),
            None => poll,
        }
    };
    let job = step
        .idempotent("salesforce.mark_settled_bulk", || async {
            let spec = IngestJobSpec::new(PAYMENT, Operation::Upsert).external_id_field(PAYMENT_ID);
            let report = systems
                .salesforce
                .bulk()
                .ingest(spec)
                .poll(poll())
                .run(stream::iter(updates.to_vec()))
                .await?;
            let failed: Vec<(String, String)> = report
                .failed_results::<StatusUpdate>()
                .map_ok(|row| (row.record.payment_id, row.error.to_string()))
                .try_collect()
                .await?;
            let unprocessed: Vec<StatusUpdate> = report.unprocessed_records().try_collect().await?;
            Ok::<_, Error>((failed, unprocessed))
        })
        .await;
    match job {
        Ok((failed, unprocessed)) => {
            let mut reasons: HashMap<String, String> = failed.into_iter().collect();
            for row in unprocessed {
                reasons.insert(
                    row.payment_id,
                    "not processed by the Bulk API job".to_owned(),
                );
            }
            updates
                .iter()
                .map(|u| {
                    let outcome = reasons.remove(&u.payment_id).map_or(Ok(()), Err);
                    (u.payment_id.clone(), outcome)
                })
                .collect()
        }
        Err(failure) => updates
            .iter()
            .map(|u| (u.payment_id.clone(), Err(failure.reason.clone())))
            .collect(),
    }
}

/// Reports the settled sales without an ERP payment line, or with another amount.
async fn erp_check(
    systems: &Systems,
    recorder: &Recorder,
    settled: &[Settled],
    mismatches: &mut Vec<Mismatch>,
) -> Result<()> {
    let sales: Vec<&Settled> = settled
        .iter()
        .filter(|s| s.payment.kind.is_inflow())
        .collect();
    if sales.is_empty() {
        return Ok(());
    }
    let step = Step {
        systems,
        recorder,
        flow: FLOW,
        key: "payment lines",
    };
    let references: Vec<&str> = sales.iter().map(|s| s.id()).collect();
    let lines = step
        .idempotent("erp.find_payments", || {
            erp_payments(&systems.erp, &references)
        })
        .await
        .map_err(|f| Error::config(format!("cannot read the ERP's payment lines: {f}")))?;
    for item in sales {
        match lines.get(item.id()) {
            None => mismatches.push(item.mismatch(Issue::MissingInErp, None, None)),
            Some(Some(amount)) if *amount != item.payment.amount.amount => {
                mismatches.push(item.mismatch(Issue::AmountInErp, None, Some(*amount)));
            }
            Some(_) => {}
        }
    }
    Ok(())
}

/// The ERP's customer payment lines with these references: reference → amount (positive;
/// `None` when only a posted ledger entry was found).
///
/// The ERP facade has no read-only lookup of a payment by reference, so this reads the
/// flavour's entities: F&O `CustomerPaymentJournalLines` by `PaymentReference` (posted or
/// not); BC `customerPayments` of the facade's payment journal by `externalDocumentNumber`,
/// then posted `generalLedgerEntries` by `documentNumber`.
async fn erp_payments(
    erp: &AnyErp,
    references: &[&str],
) -> Result<HashMap<String, Option<Decimal>>> {
    let mut found = HashMap::new();
    match erp {
        AnyErp::Fno(fno) => {
            let lines = fno.fno().customer_payment_journal_lines();
            for chunk in references.chunks(LOOKUP_CHUNK) {
                let rows: Vec<_> = lines
                    .query()
                    .filter(prop("PaymentReference").is_in(chunk.iter().copied()))
                    .stream()
                    .try_collect()
                    .await?;
                for row in rows {
                    if let Some(reference) = row.payment_reference {
                        found.insert(
                            reference,
                            row.credit_amount.or(row.debit_amount).map(|a| a.abs()),
                        );
                    }
                }
            }
        }
        AnyErp::Bc(bc) => {
            let company = bc.company().await?;
            let journal = erp.open_payment_batch(FLOW).await?;
            let journal = Guid::parse(&journal.journal)
                .map_err(|e| Error::mapping("the BC payment journal id", e))?;
            let payments = company.customer_payments(&journal);
            let entries = company.general_ledger_entries();
            for chunk in references.chunks(LOOKUP_CHUNK) {
                let rows: Vec<_> = payments
                    .query()
                    .filter(prop("externalDocumentNumber").is_in(chunk.iter().copied()))
                    .stream()
                    .try_collect()
                    .await?;
                for row in rows {
                    if let Some(reference) = row.external_document_number {
                        found.insert(reference, row.amount.map(|a| a.abs()));
                    }
                }
                let posted: Vec<_> = entries
                    .query()
                    .filter(prop("documentNumber").is_in(chunk.iter().copied()))
                    .stream()
                    .try_collect()
                    .await?;
                for entry in posted {
                    if let Some(reference) = entry.document_number {
                        found.entry(reference).or_insert(None);
                    }
                }
            }
        }
    }
    Ok(found)
}

/// The batch's journal entry, created once and posted when asked and possible.
async fn journal(
    systems: &Systems,
    recorder: &Recorder,
    batch: &SettlementBatch,
    date: NaiveDate,
    accounts: &JournalAccounts,
    post: bool,
) -> Result<()> {
    let reference = reference("STL", &batch.batch_number);
    let span = record_span(FLOW, &reference);
    async {
        let Some(entry) = batch_entry(batch, &reference, date, accounts)? else {
            recorder.fact(
                &format!("journal {reference}"),
                "nothing to book: the batch nets to zero",
            );
            return Ok(());
        };
        let ledger = &systems.stores.ledger;
        let key = IdempotencyKey::derive(JOURNAL_NAMESPACE, &[&batch.batch_number]);
        match claim(
            ledger.as_ref(),
            key.as_str(),
            json!({"batch": batch.batch_number}),
        )
        .await?
        {
            Turn::Mine => {}
            Turn::Done(_) | Turn::Failed(_) | Turn::Busy => {
                recorder.count(Target::Erp, "journal entry", Action::Skipped);
                return Ok(());
            }
        }
        let step = Step {
            systems,
            recorder,
            flow: FLOW,
            key: &reference,
        };
        let erp = &systems.erp;
        let written = step
            .idempotent("erp.create_journal_entry", || {
                erp.create_journal_entry(&entry)
            })
            .await;
        let mut journal = match written {
            Ok(journal) => journal,
            Err(failure) => {
                let reason = failure.reason.clone();
                let payload = json!({"date": date, "batch": batch, "entry": entry});
                step.dead_letter(failure, Target::Erp, "journal entry", payload)
                    .await?;
                ledger.fail(key.as_str(), &reason, true).await?;
                return Ok(());
            }
        };
        step.count(
            Target::Erp,
            "journal entry",
            Action::created_or(journal.created, Action::Skipped),
        );
        let mut state = "created, not posted".to_owned();
        if journal.posted {
            state = "posted".to_owned();
        } else if post {
            match step
                .idempotent("erp.post_journal_entry", || {
                    erp.post_journal_entry(&journal)
                })
                .await
            {
                Ok(()) => {
                    journal.posted = true;
                    state = "posted".to_owned();
                }
                Err(failure) => state = format!("created, not posted: {}", failure.reason),
            }
        }
        ledger
            .complete(
                key.as_str(),
                json!({"journal": journal.journal, "posted": journal.posted}),
            )
            .await?;
        settle_letters(systems.stores.dead_letters.as_ref(), FLOW, &reference).await?;
        let net = batch
            .net_amount()
            .map_err(|e| Error::mapping("a batch's net amount", e))?;
        recorder.fact(
            &format!("journal {reference}"),
            format!("{net} net, journal {}, {state}", journal.journal),
        );
        Ok(())
    }
    .instrument(span)
    .await
}

/// The batch's totals as a balanced entry: sales and captures bank ← clearing, refunds and
/// credits clearing ← bank. `None` when the batch moved no money.
fn batch_entry(
    batch: &SettlementBatch,
    reference: &str,
    date: NaiveDate,
    accounts: &JournalAccounts,
) -> Result<Option<JournalEntry>> {
    let sum = |inflow: bool| -> Result<Money> {
        Money::sum(
            batch.currency,
            batch
                .totals
                .iter()
                .filter(|t| {
                    if inflow {
                        t.kind.is_inflow()
                    } else {
                        t.kind.is_outflow()
                    }
                })
                .map(|t| &t.amount),
        )
        .map_err(|e| Error::mapping("a batch's totals", e))
    };
    let (sales, refunds) = (sum(true)?, sum(false)?);
    let mut entry = JournalEntry::new(reference, date, batch.currency);
    entry.description = Some(format!("PayTrace settlement batch {}", batch.batch_number));
    if sales.is_positive() {
        entry = entry
            .debit(accounts.bank.kind, accounts.bank.account.clone(), sales)
            .credit(
                accounts.clearing.kind,
                accounts.clearing.account.clone(),
                sales,
            );
    }
    if refunds.is_positive() {
        entry = entry
            .debit(
                accounts.clearing.kind,
                accounts.clearing.account.clone(),
                refunds,
            )
            .credit(accounts.bank.kind, accounts.bank.account.clone(), refunds);
    }
    if entry.lines.is_empty() {
        return Ok(None);
    }
    for line in &mut entry.lines {
        line.description = entry.description.clone();
    }
    Ok(Some(entry))
}

/// The facts of the report: the batches, the money, the mismatches by issue.
fn summarize(
    recorder: &Recorder,
    date: NaiveDate,
    batches: &[SettlementBatch],
    mismatches: &[Mismatch],
) {
    recorder.fact("date", date);
    let numbers: Vec<&str> = batches.iter().map(|b| b.batch_number.as_str()).collect();
    recorder.fact(
        "batches",
        if numbers.is_empty() {
            "none settled that day".to_owned()
        } else {
            format!("{} ({})", numbers.len(), numbers.join(", "))
        },
    );
    let net = batches
        .iter()
        .filter_map(|b| b.net_amount().ok())
        .try_fold(Money::zero(Currency::USD), |acc, n| acc.checked_add(&n));
    if let Ok(net) = net {
        recorder.fact("settled (net)", net);
    }
    let mut by_issue: BTreeMap<Issue, usize> = BTreeMap::new();
    for mismatch in mismatches {
        *by_issue.entry(mismatch.issue).or_default() += 1;
    }
    let detail: Vec<String> = by_issue
        .iter()
        .map(|(issue, n)| format!("{n} {}", issue.as_str()))
        .collect();
    recorder.fact(
        "mismatches",
        if detail.is_empty() {
            "none".to_owned()
        } else {
            format!("{} ({})", mismatches.len(), detail.join(", "))
        },
    );
}

/// Writes the mismatches as CSV with a header row: `batch, transaction_id, invoice_id, kind,
/// paytrace_amount, paytrace_status, salesforce_amount, salesforce_status, erp_amount, issue`.
///
/// # Errors
/// [`Error::Config`] when writing fails.
pub fn write_csv(writer: impl std::io::Write, mismatches: &[Mismatch]) -> Result<()> {
    let csv_error = |e: csv::Error| Error::Config {
        reason: "cannot write the mismatch report".to_owned(),
        source: Some(Box::new(e)),
    };
    let mut out = csv::Writer::from_writer(writer);
    out.write_record([
        "batch",
        "transaction_id",
        "invoice_id",
        "kind",
        "paytrace_amount",
        "paytrace_status",
        "salesforce_amount",
        "salesforce_status",
        "erp_amount",
        "issue",
    ])
    .map_err(csv_error)?;
    let text = |d: Option<Decimal>| d.map(|d| d.to_string()).unwrap_or_default();
    for m in mismatches {
        let kind = serde_json::to_value(m.kind)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        out.write_record([
            m.batch.as_str(),
            m.transaction_id.as_str(),
            m.invoice_id.as_deref().unwrap_or(""),
            kind.as_str(),
            &m.paytrace_amount.to_string(),
            m.paytrace_status.as_str(),
            &text(m.salesforce_amount),
            m.salesforce_status.as_deref().unwrap_or(""),
            &text(m.erp_amount),
            m.issue.as_str(),
        ])
        .map_err(csv_error)?;
    }
    out.flush().map_err(|e| csv_error(e.into()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn the_csv_has_a_header_and_one_row_per_mismatch() {
        let mismatch = Mismatch {
            batch: "571".into(),
            transaction_id: "123456789".into(),
            invoice_id: Some("006A".into()),
            kind: TransactionKind::Sale,
            paytrace_amount: dec!(125.50),
            paytrace_status: PaymentStatus::Settled,
            salesforce_amount: Some(dec!(120)),
            salesforce_status: Some("Completed".into()),
            erp_amount: None,
            issue: Issue::AmountInSalesforce,
        };
        let mut out = Vec::new();
        write_csv(&mut out, &[mismatch]).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(
            text,
            "batch,transaction_id,invoice_id,kind,paytrace_amount,paytrace_status,salesforce_amount,salesforce_status,erp_amount,issue\n\
             571,123456789,006A,sale,125.50,settled,120,Completed,,amount_in_salesforce\n"
        );
    }

    #[test]
    fn a_batch_books_sales_and_refunds_on_both_sides() {
        let usd = |a| Money::new(a, Currency::USD);
        let sale = Payment::new(
            "1",
            TransactionKind::Sale,
            PaymentStatus::Settled,
            usd(dec!(100)),
        );
        let refund = Payment::new(
            "2",
            TransactionKind::Refund,
            PaymentStatus::Settled,
            usd(dec!(30)),
        );
        let batch =
            SettlementBatch::from_transactions("571", None, Currency::USD, vec![sale, refund])
                .unwrap();
        let accounts = JournalAccounts::demo(ErpFlavor::FinanceOperations);
        let day = NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
        let entry = batch_entry(&batch, "STL-571", day, &accounts)
            .unwrap()
            .unwrap();
        entry.validate().unwrap();
        assert_eq!(entry.lines.len(), 4);
        assert_eq!(
            entry.total(canonical_model::EntrySide::Debit).unwrap(),
            usd(dec!(130))
        );
        let empty = SettlementBatch::from_transactions("572", None, Currency::USD, vec![]).unwrap();
        assert!(
            batch_entry(&empty, "STL-572", day, &accounts)
                .unwrap()
                .is_none()
        );
    }
}
