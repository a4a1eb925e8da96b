//! Use case 8, `chargeback`: the processor's chargeback report → `Payment__c` Charged Back,
//! a Case for the account owner, and an ERP reversal entry; once per chargeback case.
//!
//! PayTrace has no chargeback API (disputes live in its Virtual Terminal and in the
//! processor's reports), so the input is the report file the merchant downloads.
//!
//! # The report
//!
//! A CSV file with a header row; columns in any order, others ignored, values trimmed:
//!
//! | column | required | meaning |
//! |---|---|---|
//! | `case_id` | yes | the processor's dispute case number: the chargeback's key |
//! | `transaction_id` | yes | the PayTrace transaction charged back |
//! | `amount` | yes | the amount charged back, positive (`49.00`; thousands separators allowed) |
//! | `currency` | no | ISO 4217 code, default `USD` |
//! | `reason_code` | yes | the card network's reason code (`10.4`, `4837`, `13.1`) |
//! | `reason` | no | its description |
//! | `chargeback_date` | yes | when the processor reported it: `YYYY-MM-DD` or `MM/DD/YYYY` |
//! | `respond_by` | no | the deadline to contest it, same formats |
//!
//! ```text
//! case_id,transaction_id,amount,currency,reason_code,reason,chargeback_date,respond_by
//! CB-2026-0001,1000123,49.00,USD,10.4,Other Fraud - Card Absent,2026-11-20,2026-12-10
//! ```
//!
//! The report never holds card data; a row that did would have it redacted before it is
//! stored anywhere (dead letters, ledger).
//!
//! # What one row does
//!
//! | step | system | what |
//! |---|---|---|
//! | `paytrace.export_by_id` | PayTrace | reads the transaction: it must exist, be in the row's currency, cover the amount, and be in a status that can be charged back (approved, settled, partially refunded) |
//! | `salesforce.upsert_payment` | Salesforce | `Payment__c` (by `PaymentID__c`) → `Charged Back`, with `Chargeback_Case_ID__c`, `Chargeback_Amount__c`, `Chargeback_Reason__c`, `Chargeback_Date__c`, `Chargeback_Respond_By__c` |
//! | `salesforce.upsert_case` | Salesforce | a Case (by `Tributary_Key__c`) for the owner of the payment's account (`Payment__c.Account__c`, else the Account whose `CustomerVaultID__c` is the transaction's vault profile), priority High |
//! | `erp.reversal_entry` | ERP | a journal entry `CB-<case id>` on the chargeback date: debit [`ChargebackOptions::debit`], credit [`ChargebackOptions::credit`] |
//!
//! The ledger key is `chargeback-…` of the case id: a replayed report, or the same case in
//! next week's report, does nothing again. Every step is idempotent (upserts by external id,
//! the ERP entry found again by its reference), so a row whose step failed is dead-lettered
//! and done whole again by the next run.

use std::io::Read;
use std::path::Path;

use canonical_model::{Currency, Money, PaymentStatus};
use chrono::NaiveDate;
use futures::{StreamExt, TryStreamExt, stream};
use mapping::fieldmap::Context;
use mapping::idempotency::IdempotencyKey;
use mapping::transform::currency::parse_currency_code;
use mapping::transform::datetime::parse_paytrace_date;
use mapping::transform::types::parse_decimal;
use paytrace_client::TransactionId;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tracing::Instrument;

use crate::crm::{self, NewCase};
use crate::error::{Error, Result};
use crate::journal::{self, LedgerAccount, reference, two_line_entry};
use crate::once::{Failed, Turn, claim, give_up, on, settle_letters};
use crate::report::{Action, Outcome, Recorder, RunReport, Target};
use crate::step::{Step, StepFailure, record_span};
use crate::store::DeadLetter;
use crate::systems::Systems;

/// The flow's name, in reports, dead letters and spans.
pub const FLOW: &str = "chargeback";

/// The ledger namespace of a chargeback case.
const KEY_NAMESPACE: &str = "chargeback";

/// The accounts of the reversal entry, and whether to post it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChargebackOptions {
    /// Debited with the amount: the chargeback loss (or the receivable reinstated). Default:
    /// ledger account `618500`.
    pub debit: LedgerAccount,
    /// Credited with the amount: the bank account the processor took it from. Default: bank
    /// account `USMF OPER`.
    pub credit: LedgerAccount,
    /// Post the entry after writing it (default `false`: it waits in the journal for
    /// review).
    pub post: bool,
}

impl Default for ChargebackOptions {
    fn default() -> Self {
        ChargebackOptions {
            debit: LedgerAccount::ledger("618500"),
            credit: LedgerAccount::bank("USMF OPER"),
            post: false,
        }
    }
}

/// One chargeback of the report, checked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Chargeback {
    /// The processor's case number.
    pub case_id: String,
    /// The PayTrace transaction charged back.
    pub transaction_id: String,
    /// The amount charged back.
    pub amount: Money,
    /// The network's reason code.
    pub reason_code: String,
    /// Its description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// When the processor reported it.
    pub date: NaiveDate,
    /// The deadline to contest it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub respond_by: Option<NaiveDate>,
}

/// A row of the report that is not a valid chargeback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    /// The row's line in the file (the header is line 1).
    pub line: u64,
    /// Its case id, when it has one.
    pub case_id: Option<String>,
    /// What is wrong.
    pub reason: String,
    /// The row as read, by column.
    pub fields: Value,
}

/// A row as the CSV holds it, before it is checked.
#[derive(Debug, Deserialize)]
struct RawRow {
    case_id: String,
    transaction_id: String,
    amount: String,
    #[serde(default)]
    currency: String,
    reason_code: String,
    #[serde(default)]
    reason: String,
    chargeback_date: String,
    #[serde(default)]
    respond_by: String,
}

/// Reads a chargeback report: each data row as a [`Chargeback`] or the [`RowError`] saying
/// why it is not one.
///
/// # Errors
/// [`Error::Mapping`] when the file is not CSV or lacks a required column.
pub fn parse_report(report: impl Read) -> Result<Vec<std::result::Result<Chargeback, RowError>>> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(report);
    let headers = reader
        .headers()
        .map_err(|e| Error::mapping("the chargeback report's header", e))?
        .clone();
    for column in [
        "case_id",
        "transaction_id",
        "amount",
        "reason_code",
        "chargeback_date",
    ] {
        if !headers.iter().any(|h| h == column) {
            return Err(Error::mapping(
                "the chargeback report's header",
                format!("the column `{column}` is missing"),
            ));
        }
    }
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| Error::mapping("the chargeback report", e))?;
        let line = record.position().map_or(0, csv::Position::line);
        let fields: serde_json::Map<String, Value> = headers
            .iter()
            .zip(record.iter())
            .map(|(h, v)| (h.to_owned(), json!(v)))
            .collect();
        let row = record
            .deserialize::<RawRow>(Some(&headers))
            .map_err(|e| e.to_string())
            .and_then(check_row);
        rows.push(row.map_err(|reason| {
            RowError {
                line,
                case_id: fields
                    .get("case_id")
                    .and_then(Value::as_str)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned),
                reason,
                fields: Value::Object(fields),
            }
        }));
    }
    Ok(rows)
}

fn check_row(raw: RawRow) -> std::result::Result<Chargeback, String> {
    let required = |name: &str, value: &str| {
        if value.is_empty() {
            Err(format!("`{name}` is empty"))
        } else {
            Ok(value.to_owned())
        }
    };
    let date = |name: &str, value: &str| {
        NaiveDate::parse_from_str(value, "%Y-%m-%d")
            .or_else(|_| parse_paytrace_date(value).map_err(|_| ()))
            .map_err(|()| format!("`{name}` {value:?} is not a date (YYYY-MM-DD or MM/DD/YYYY)"))
    };
    let currency = if raw.currency.is_empty() {
        Currency::USD
    } else {
        parse_currency_code(&raw.currency).map_err(|e| format!("`currency`: {e}"))?
    };
    let amount = Money::new(
        parse_decimal(&raw.amount).map_err(|e| format!("`amount`: {e}"))?,
        currency,
    );
    if !amount.is_positive() || !amount.is_minor_unit_exact() {
        return Err(format!(
            "`amount` {:?} must be positive, in whole minor units",
            raw.amount
        ));
    }
    Ok(Chargeback {
        case_id: required("case_id", &raw.case_id)?,
        transaction_id: required("transaction_id", &raw.transaction_id)?,
        amount,
        reason_code: required("reason_code", &raw.reason_code)?,
        reason: Some(raw.reason).filter(|r| !r.is_empty()),
        date: date("chargeback_date", &raw.chargeback_date)?,
        respond_by: if raw.respond_by.is_empty() {
            None
        } else {
            Some(date("respond_by", &raw.respond_by)?)
        },
    })
}

/// Runs the flow over the report at `path`.
///
/// # Errors
/// [`Error::Config`] when the file cannot be read; otherwise as [`run`].
pub async fn run_file(
    systems: &Systems,
    path: impl AsRef<Path>,
    options: &ChargebackOptions,
) -> Result<RunReport> {
    let path = path.as_ref();
    let file = std::fs::File::open(path).map_err(|e| Error::Config {
        reason: format!("cannot read the chargeback report {}", path.display()),
        source: Some(Box::new(e)),
    })?;
    run(systems, file, options).await
}

/// Runs the flow over a chargeback report: every valid row charged back in all three
/// systems once, every invalid or failing row dead-lettered with its reason.
///
/// # Errors
/// As [`parse_report`]; the stores' errors (then the run stops, so that nothing is lost).
/// Failures of single rows are not errors: they are in the report and the dead letters.
pub async fn run(
    systems: &Systems,
    report: impl Read,
    options: &ChargebackOptions,
) -> Result<RunReport> {
    let recorder = Recorder::with_progress(FLOW, systems.settings.progress.clone());
    let rows = parse_report(report)?;
    recorder.expect(Some(rows.len() as u64));
    recorder.fact("report rows", rows.len());
    stream::iter(rows)
        .map(|row| {
            let recorder = &recorder;
            async move {
                match row {
                    Ok(chargeback) => {
                        let span = record_span(FLOW, &chargeback.case_id);
                        process(systems, recorder, options, &chargeback)
                            .instrument(span)
                            .await
                    }
                    Err(invalid) => reject(systems, recorder, invalid).await,
                }
            }
        })
        .buffer_unordered(systems.settings.concurrency.max(1))
        .try_collect::<Vec<()>>()
        .await?;
    Ok(recorder.finish())
}

/// Runs the chargeback of a dead letter of this flow again (its payload is the checked
/// row): the steps done before are found done.
///
/// # Errors
/// [`Error::Mapping`] when the letter is of a row that was not a valid chargeback (it cannot
/// be replayed: correct the row, run the flow over the corrected report, then discard the
/// letter); the stores' errors.
pub async fn replay(
    systems: &Systems,
    letter: &DeadLetter,
    options: &ChargebackOptions,
) -> Result<RunReport> {
    let chargeback: Chargeback = serde_json::from_value(letter.payload.clone()).map_err(|e| {
        Error::mapping(
            "the dead letter's chargeback (an invalid report row cannot be replayed: \
                 correct the report, run the flow over it, then discard the letter)",
            e,
        )
    })?;
    let recorder = Recorder::with_progress(FLOW, systems.settings.progress.clone());
    recorder.expect(Some(1));
    let span = record_span(FLOW, &chargeback.case_id);
    process(systems, &recorder, options, &chargeback)
        .instrument(span)
        .await?;
    Ok(recorder.finish())
}

/// Dead-letters a row that is not a valid chargeback.
async fn reject(systems: &Systems, recorder: &Recorder, invalid: RowError) -> Result<()> {
    let key = invalid
        .case_id
        .clone()
        .unwrap_or_else(|| format!("line {}", invalid.line));
    let step = Step {
        systems,
        recorder,
        flow: FLOW,
        key: &key,
    };
    let failure = StepFailure::invalid(
        "report.parse_row",
        format!("line {}: {}", invalid.line, invalid.reason),
    );
    let outcome = step
        .dead_letter(
            failure,
            Target::PayTrace,
            "chargeback report",
            invalid.fields,
        )
        .await?;
    recorder.finished(&key, outcome);
    Ok(())
}

async fn process(
    systems: &Systems,
    recorder: &Recorder,
    options: &ChargebackOptions,
    chargeback: &Chargeback,
) -> Result<()> {
    let key = IdempotencyKey::derive(KEY_NAMESPACE, &[&chargeback.case_id]).into_string();
    let payload = serde_json::to_value(chargeback).map_err(|e| Error::Json {
        what: "a chargeback",
        source: e,
    })?;
    let ledger = systems.stores.ledger.as_ref();
    let step = Step {
        systems,
        recorder,
        flow: FLOW,
        key: &chargeback.case_id,
    };
    match claim(ledger, &key, payload.clone()).await? {
        Turn::Mine => {}
        Turn::Done(_) | Turn::Failed(_) | Turn::Busy => {
            for (system, object) in [
                (Target::Salesforce, "Payment__c"),
                (Target::Salesforce, "Case"),
                (Target::Erp, "reversal entry"),
            ] {
                step.count(system, object, Action::Skipped);
            }
            recorder.finished(&chargeback.case_id, Outcome::Skipped);
            return Ok(());
        }
    }
    match charge_back(&step, options, chargeback).await {
        Ok(done) => {
            ledger.complete(&key, done).await?;
            let letters = systems.stores.dead_letters.as_ref();
            settle_letters(letters, FLOW, &chargeback.case_id).await?;
            recorder.finished(&chargeback.case_id, Outcome::Completed);
            Ok(())
        }
        Err(failed) => {
            ledger.fail(&key, &failed.0.reason, true).await?;
            give_up(&step, failed, payload).await
        }
    }
}

/// The steps of one chargeback; the outcome for the ledger, or the failed step.
async fn charge_back(
    step: &Step<'_>,
    options: &ChargebackOptions,
    chargeback: &Chargeback,
) -> std::result::Result<Value, Failed> {
    let systems = step.systems;
    let on_paytrace = on(Target::PayTrace, "transaction");
    let id: u64 = chargeback.transaction_id.parse().map_err(|_| {
        on_paytrace(StepFailure::invalid(
            "paytrace.export_by_id",
            format!(
                "{:?} is not a PayTrace transaction id",
                chargeback.transaction_id
            ),
        ))
    })?;
    let record = step
        .idempotent("paytrace.export_by_id", || async move {
            systems
                .paytrace
                .exports()
                .by_id(TransactionId(id), false)
                .await
        })
        .await
        .map_err(on_paytrace)?
        .ok_or_else(|| {
            on_paytrace(StepFailure::new(
                "paytrace.export_by_id",
                mapping::retry::ErrorKind::NotFound,
                format!("PayTrace has no transaction {id}"),
            ))
        })?;
    let mut payment = paytrace_client::canonical::payment(&record)
        .map_err(|e| on_paytrace(StepFailure::invalid("paytrace.export_by_id", e.to_string())))?;
    if payment.amount.currency != chargeback.amount.currency
        || payment.amount.amount < chargeback.amount.amount
    {
        return Err(on_paytrace(StepFailure::invalid(
            "paytrace.export_by_id",
            format!(
                "the chargeback of {} exceeds transaction {id} of {}",
                chargeback.amount, payment.amount
            ),
        )));
    }
    payment
        .transition(PaymentStatus::ChargedBack)
        .map_err(|e| on_paytrace(StepFailure::invalid("paytrace.export_by_id", e.to_string())))?;

    // Salesforce: the payment, then a Case for the account's owner.
    let on_salesforce = |object| on(Target::Salesforce, object);
    let existing = step
        .idempotent("salesforce.get_payment", || {
            crm::payment_record(
                &systems.salesforce,
                &chargeback.transaction_id,
                &["Id", "Account__c", "Opportunity__c"],
            )
        })
        .await
        .map_err(on_salesforce("Payment__c"))?;
    let account_id = match existing.as_ref().and_then(|p| crm::text(p, "Account__c")) {
        Some(account) => Some(account),
        None => match &payment.references.customer_vault_id {
            Some(vault) => step
                .idempotent("salesforce.find_account", || {
                    crm::accounts_where(&systems.salesforce, "CustomerVaultID__c", vault, "Id")
                })
                .await
                .map_err(on_salesforce("Case"))?
                .first()
                .and_then(|a| a.id.clone()),
            None => None,
        },
    };
    let mut context = Context::new();
    if let Some(account) = &account_id {
        context = context.with("account_id", account.as_str());
    }
    if let Some(opportunity) = existing
        .as_ref()
        .and_then(|p| crm::text(p, "Opportunity__c"))
    {
        context = context.with("opportunity_id", opportunity);
    }
    let extra = [
        ("Chargeback_Case_ID__c", json!(chargeback.case_id)),
        ("Chargeback_Amount__c", json!(chargeback.amount.amount)),
        ("Chargeback_Reason__c", json!(reason_text(chargeback))),
        ("Chargeback_Date__c", json!(chargeback.date)),
        ("Chargeback_Respond_By__c", json!(chargeback.respond_by)),
    ];
    let upserted = step
        .idempotent("salesforce.upsert_payment", || {
            crm::upsert_payment(&systems.salesforce, &payment, &context, &extra)
        })
        .await
        .map_err(on_salesforce("Payment__c"))?;
    step.count(
        Target::Salesforce,
        "Payment__c",
        crm::upsert_action(&upserted),
    );

    let (owner, account_name) = match &account_id {
        Some(account) => step
            .idempotent("salesforce.get_account", || {
                crm::account_owner(&systems.salesforce, account)
            })
            .await
            .map_err(on_salesforce("Case"))?,
        None => (None, None),
    };
    let case_key = IdempotencyKey::derive(KEY_NAMESPACE, &[&chargeback.case_id]).into_string();
    let case = NewCase {
        key: &case_key,
        subject: format!(
            "Chargeback {}: {} on transaction {}",
            chargeback.case_id, chargeback.amount, chargeback.transaction_id
        ),
        description: format!(
            "The processor charged back {} of PayTrace transaction {} ({}) for {}, reported \
             on {}{}. Decide whether to contest it with the processor.",
            chargeback.amount,
            chargeback.transaction_id,
            account_name.as_deref().unwrap_or("no account found"),
            reason_text(chargeback),
            chargeback.date,
            chargeback
                .respond_by
                .map(|d| format!("; respond by {d}"))
                .unwrap_or_default(),
        ),
        account_id: account_id.as_deref(),
        owner_id: owner.as_deref(),
        priority: "High",
        status: "New",
        origin: "Chargeback",
    };
    let case_outcome = step
        .idempotent("salesforce.upsert_case", || {
            crm::upsert_case(&systems.salesforce, &case)
        })
        .await
        .map_err(on_salesforce("Case"))?;
    step.count(
        Target::Salesforce,
        "Case",
        crm::upsert_action(&case_outcome),
    );

    // The ERP: reverse the money the processor took back.
    let entry = two_line_entry(
        reference("CB", &chargeback.case_id),
        chargeback.date,
        chargeback.amount,
        &options.debit,
        &options.credit,
        &format!(
            "Chargeback {} of PayTrace transaction {}",
            chargeback.case_id, chargeback.transaction_id
        ),
    );
    journal::write(
        step,
        "erp.reversal_entry",
        "reversal entry",
        &entry,
        options.post,
    )
    .await?;
    Ok(json!({
        "payment": upserted.id(),
        "case": case_outcome.id(),
        "journal entry": entry.reference,
    }))
}

/// `reason_code` with its description.
fn reason_text(chargeback: &Chargeback) -> String {
    match &chargeback.reason {
        Some(reason) => format!("{} {reason}", chargeback.reason_code),
        None => chargeback.reason_code.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_checked_one_by_one() {
        let csv = "\
case_id, transaction_id ,amount,currency,reason_code,reason,chargeback_date,respond_by,extra
CB-1,1000123,\"1,049.00\",,10.4,Other Fraud,2026-11-20,12/10/2026,ignored
CB-2,1000124,0,USD,13.1,,2026-11-20,,
,1000125,5.00,USD,13.1,,2026-11-20,,
CB-4,1000126,5.00,XYZ,13.1,,2026-11-20,,
CB-5,1000127,5.00,USD,13.1,,20.11.2026,,
";
        let rows = parse_report(csv.as_bytes()).unwrap();
        assert_eq!(rows.len(), 5);
        let first = rows[0].as_ref().unwrap();
        assert_eq!(
            first.amount,
            Money::new(Decimal::new(104_900, 2), Currency::USD)
        );
        assert_eq!(first.respond_by, NaiveDate::from_ymd_opt(2026, 12, 10));
        assert_eq!(reason_text(first), "10.4 Other Fraud");
        let errors: Vec<&RowError> = rows.iter().filter_map(|r| r.as_ref().err()).collect();
        assert_eq!(errors.len(), 4);
        assert!(errors[0].reason.contains("positive"), "{errors:?}");
        assert_eq!((errors[1].case_id.as_deref(), errors[1].line), (None, 4));
        assert!(errors[2].reason.contains("currency"));
        assert!(errors[3].reason.contains("not a date"));
    }

    #[test]
    fn a_report_without_a_required_column_is_refused() {
        let err = parse_report("case_id,amount\nCB-1,5.00\n".as_bytes()).unwrap_err();
        assert!(err.to_string().contains("header"), "{err}");
    }

    use rust_decimal::Decimal;
}
