//! Use case 1: an Opportunity reaches Closed Won → charge the account's vaulted card in
//! PayTrace → `Payment__c` and the Opportunity in Salesforce → customer, order or invoice, and
//! the payment in the ERP.
//!
//! # Trigger
//!
//! [`run`] polls: `SELECT … FROM Opportunity WHERE StageName = 'Closed Won' AND
//! LastModifiedDate >= :since ORDER BY LastModifiedDate, Id`, from the watermark kept in the
//! checkpoint [`CHECKPOINT`] (a [`PollWatermark`]: the `LastModifiedDate` and `Id` of the last
//! record done). The watermark moves after each record in order, so a run stopped midway
//! resumes where it stopped; records at or before it are not read again.
//!
//! [`run_events`] is the push trigger: it takes any stream of [`OpportunityEvent`]s (record ids
//! with the replay id of the event that named them), processes each, and stores the replay id
//! as the checkpoint `streaming:<channel>` only once the record is done.
//! [`change_events`] feeds it from the Streaming API (`salesforce_client::streaming`): the
//! Opportunity Change Data Capture channel, resumed from that checkpoint. The poll remains the
//! fallback (and the catch-up after the 72-hour event retention).
//!
//! # Steps of one Opportunity (its id is the business key)
//!
//! | step | system | what | idempotent by |
//! |---|---|---|---|
//! | `validate`, `salesforce.read_account` | Salesforce | the Opportunity's `Amount`, its Account's `CustomerVaultID__c`, `AccountNumber` and address | a read |
//! | `paytrace.sale` | PayTrace | sale by vault customer, `invoice_id` = Opportunity id, `discretionary_data` = `OpportunityName`, `AccountName`, `Subscription_Term` | the ledger; a lost answer is reconciled by invoice id ([`crate::charge`]) |
//! | `salesforce.upsert_payment` | Salesforce | `Payment__c` by `mapping`'s default spec (`canonical_payment_to_salesforce`), upserted by `PaymentID__c` | the external id |
//! | `erp.upsert_customer` | ERP | the customer, account = the Account's `AccountNumber` | the account number |
//! | `erp.find_invoice` or `erp.create_sales_order` | ERP | the invoice named by `ERP_Invoice__c` must exist; without one, a sales order for the Opportunity | the order's reference (Opportunity id) |
//! | `erp.open_payment_batch`, `erp.record_payment` | ERP | a customer payment line in the day's journal (`OPP-YYYYMMDD`), settling the invoice | the line's payment reference (transaction id) |
//! | `salesforce.update_opportunity` | Salesforce | `Payment_Status__c`, `PaymentID__c` on the Opportunity, last: only a finished record shows as modified | a plain update |
//!
//! A declined card skips the ERP (`Payment__c` and the Opportunity say `Declined`). Each record is claimed in the ledger
//! under the key `opportunity-to-payment`/Opportunity id, completed when every step is done;
//! a failed step puts the record in the dead letters with the reason and the payload, fails
//! the claim retryably (every step is safe to repeat), and the run goes on. [`replay`] runs a
//! dead-lettered record again; the steps already done are found done.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use canonical_model::{
    Currency, Customer, ExternalRef, Order, OrderLine, OrderStatus, Payment, PaymentStatus,
};
use chrono::{DateTime, Utc};
use dynamics365_client::erp::{Erp, PaymentBatch};
use futures::stream::{self, Stream, StreamExt, TryStreamExt};
use mapping::fieldmap::Context;
use mapping::transform::datetime::parse_salesforce_datetime;
use mapping::transform::status::status_to_salesforce;
use paytrace_client::Amount;
use rust_decimal::Decimal;
use salesforce_client::query::soql;
use salesforce_client::streaming::{self, ChangeEvent, ChangeType, ReplayFrom};
use salesforce_client::{SObject, canonical};
use serde_json::{Value, json};
use tokio::sync::Mutex;
use tracing::Instrument;

use crate::charge::{self, ChargeOutcome, ChargeRequest};
use crate::crm;
use crate::error::{Error, Result};
use crate::report::{Action, Outcome, Recorder, RunReport, Target};
use crate::step::{RecordFailure, Step, StepFailure, record_span};
use crate::store::{DeadLetter, PollWatermark};
use crate::systems::Systems;

/// The flow's name, in reports, spans and dead letters.
pub const FLOW: &str = "opportunity-to-payment";

/// The checkpoint holding the poll's [`PollWatermark`].
pub const CHECKPOINT: &str = "soql-poll:opportunity-closed-won";

/// Ledger namespace of the records (one per Opportunity).
const RECORD_NAMESPACE: &str = "opportunity-to-payment";
/// Ledger namespace of the charges (one per Opportunity).
const SALE_NAMESPACE: &str = "opportunity-sale";

/// The Opportunity fields the flow reads.
const OPPORTUNITY_FIELDS: &str = "Id, Name, StageName, Amount, AccountId, CloseDate, \
    ERP_Invoice__c, Subscription_Term__c, LastModifiedDate";
/// The Account fields the flow reads.
const ACCOUNT_FIELDS: [&str; 9] = [
    "Name",
    "AccountNumber",
    "CustomerVaultID__c",
    "Phone",
    "BillingStreet",
    "BillingCity",
    "BillingState",
    "BillingPostalCode",
    "BillingCountry",
];

/// How a run goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// Stop after this many records (the rest wait for the next run).
    pub limit: Option<usize>,
    /// On a first run (no checkpoint), only Opportunities modified since then; `None`: all
    /// Closed Won Opportunities.
    pub since: Option<DateTime<Utc>>,
    /// The ERP item (`ItemNumber`, `sku`) of the sales order made for an Opportunity that
    /// names no invoice (default `SRV-IMPL`).
    pub order_item: String,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            limit: None,
            since: None,
            order_item: "SRV-IMPL".to_owned(),
        }
    }
}

/// A Closed Won Opportunity, as the flow reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct WonOpportunity {
    /// `Id`.
    pub id: String,
    /// `Name`.
    pub name: String,
    /// `StageName`.
    pub stage: String,
    /// `Amount`.
    pub amount: Option<Decimal>,
    /// `AccountId`.
    pub account_id: Option<String>,
    /// `ERP_Invoice__c`: the ERP invoice the payment settles.
    pub invoice: Option<String>,
    /// `Subscription_Term__c`, carried to PayTrace and `Payment__c`.
    pub subscription_term: Option<String>,
    /// `LastModifiedDate`.
    pub last_modified: Option<DateTime<Utc>>,
}

impl WonOpportunity {
    /// Reads an `Opportunity` record.
    pub fn from_record(record: &SObject) -> WonOpportunity {
        WonOpportunity {
            id: record
                .id
                .clone()
                .or_else(|| crm::text(record, "Id"))
                .unwrap_or_default(),
            name: crm::text(record, "Name").unwrap_or_default(),
            stage: crm::text(record, "StageName").unwrap_or_default(),
            amount: crm::decimal(record, "Amount"),
            account_id: crm::text(record, "AccountId"),
            invoice: crm::text(record, "ERP_Invoice__c"),
            subscription_term: crm::text(record, "Subscription_Term__c"),
            last_modified: crm::text(record, "LastModifiedDate")
                .and_then(|t| parse_salesforce_datetime(&t).ok()),
        }
    }

    fn payload(&self) -> Value {
        json!({
            "opportunity_id": self.id,
            "name": self.name,
            "amount": self.amount.map(|a| a.to_string()),
            "account_id": self.account_id,
            "invoice": self.invoice,
        })
    }

    fn position(&self) -> Option<PollWatermark> {
        Some(PollWatermark {
            since: self.last_modified?,
            last_id: Some(self.id.clone()),
        })
    }
}

/// One notification of the push trigger: an Opportunity to look at, and the event's place
/// in its channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpportunityEvent {
    /// The channel (`/data/OpportunityChangeEvent`).
    pub channel: String,
    /// The event's replay id.
    pub replay_id: i64,
    /// The Opportunity.
    pub opportunity_id: String,
}

/// State shared by the records of one run.
struct Run<'a> {
    systems: &'a Systems,
    recorder: Recorder,
    options: &'a Options,
    /// Payment journals opened in this run, by reference; the lock keeps two records from
    /// creating the same journal at once.
    batches: Mutex<HashMap<String, PaymentBatch>>,
}

/// Polls the Closed Won Opportunities modified since the checkpoint and processes each.
///
/// # Errors
/// The query's error after the client's retries (nothing after the checkpoint was done); a
/// store's error (the run stops rather than lose a dead letter or a ledger entry). Record
/// failures are not errors: they are in the report and the dead letters.
pub async fn run(systems: &Systems, options: &Options) -> Result<RunReport> {
    let run = Run::new(systems, options);
    let checkpoints = &systems.stores.checkpoints;
    let mut watermark = match checkpoints.get(CHECKPOINT).await? {
        Some(checkpoint) => Some(checkpoint.value_as::<PollWatermark>()?),
        None => options.since.map(|since| PollWatermark {
            since,
            last_id: None,
        }),
    };
    let mut soql = format!(
        "SELECT {OPPORTUNITY_FIELDS} FROM Opportunity WHERE StageName = {}",
        soql::quote("Closed Won")
    );
    if let Some(mark) = &watermark {
        // SOQL datetime literals have whole seconds: ask from the second of the watermark and
        // skip what is not after it below.
        soql.push_str(&format!(
            " AND LastModifiedDate >= {}",
            soql::literal(&mark.since)
        ));
    }
    soql.push_str(" ORDER BY LastModifiedDate, Id");

    let mut pages = std::pin::pin!(systems.salesforce.query(soql).pages::<SObject>());
    let mut first = true;
    let mut done = 0usize;
    while let Some(page) = pages.try_next().await? {
        if first {
            run.recorder.expect(Some(page.total_size));
            first = false;
        }
        let mut todo: Vec<WonOpportunity> = page
            .records
            .iter()
            .map(WonOpportunity::from_record)
            .filter(|opp| match (&watermark, opp.position()) {
                (Some(mark), Some(position)) => position > *mark,
                _ => true,
            })
            .collect();
        if let Some(limit) = options.limit {
            todo.truncate(limit.saturating_sub(done));
        }
        let records = stream::iter(todo)
            .map(|opp| {
                let run = &run;
                async move {
                    let outcome = run.process(&opp).await;
                    (opp, outcome)
                }
            })
            .buffered(systems.settings.concurrency.max(1));
        let mut records = std::pin::pin!(records);
        while let Some((opp, outcome)) = records.next().await {
            outcome?;
            done += 1;
            if let Some(position) = opp.position() {
                checkpoints
                    .set(
                        CHECKPOINT,
                        serde_json::to_value(&position).map_err(|source| Error::Json {
                            what: "a poll watermark",
                            source,
                        })?,
                    )
                    .await?;
                watermark = Some(position);
            }
        }
        if options.limit.is_some_and(|limit| done >= limit) {
            break;
        }
    }
    if let Some(mark) = &watermark {
        run.recorder.fact(
            "checkpoint",
            format!(
                "{} {}",
                mark.since.to_rfc3339(),
                mark.last_id.as_deref().unwrap_or("")
            ),
        );
    }
    Ok(run.recorder.finish())
}

/// Processes the Opportunities named by `events`, in order, storing each event's replay id
/// as the checkpoint `streaming:<channel>` once its record is done (completed, declined or
/// dead-lettered), so a restart resumes after it. The run ends with the stream.
///
/// # Errors
/// The stream's errors; a store's error; reading an Opportunity after the client's retries.
pub async fn run_events<S>(systems: &Systems, events: S, options: &Options) -> Result<RunReport>
where
    S: Stream<Item = Result<OpportunityEvent>>,
{
    let run = Run::new(systems, options);
    run.recorder.expect(None);
    let mut events = std::pin::pin!(events);
    while let Some(event) = events.try_next().await? {
        let opportunity = read_opportunity(systems, &event.opportunity_id).await?;
        run.recorder.found(1);
        run.process(&opportunity).await?;
        systems
            .stores
            .checkpoints
            .set(
                &streaming_checkpoint(&event.channel),
                json!(event.replay_id),
            )
            .await?;
    }
    Ok(run.recorder.finish())
}

/// The Opportunity Change Data Capture channel, `/data/OpportunityChangeEvent`.
pub fn change_channel() -> String {
    streaming::channel::change_events_of("Opportunity")
}

/// The push trigger: the Streaming API's Opportunity change events (CometD, through
/// `salesforce_client::streaming`) as [`OpportunityEvent`]s for [`run_events`], one per
/// record that a create or an update made Closed Won (`StageName` among the changed fields).
///
/// The subscription resumes after the replay id of the checkpoint `streaming:<channel>`,
/// which [`run_events`] moves only once a record is done; without one it starts with the
/// events published from now on (the poll catches up on anything earlier). The stream ends
/// on the subscription's errors (see `salesforce_client::streaming`).
pub fn change_events(
    systems: &Systems,
) -> impl Stream<Item = Result<OpportunityEvent>> + Send + 'static {
    let channel = change_channel();
    let positions = CheckpointPositions {
        checkpoints: Arc::clone(&systems.stores.checkpoints),
    };
    systems
        .salesforce
        .streaming()
        .subscribe(channel)
        .replay_from(ReplayFrom::New)
        .replay_store(positions)
        .events::<ChangeEvent>()
        .map_err(Error::from)
        .map_ok(|event| {
            let header = &event.payload.header;
            let won = matches!(header.change_type, ChangeType::Create | ChangeType::Update)
                && event
                    .payload
                    .fields
                    .get("StageName")
                    .and_then(Value::as_str)
                    == Some("Closed Won");
            let ids: Vec<OpportunityEvent> = if won {
                header
                    .record_ids
                    .iter()
                    .filter(|id| !id.ends_with('*'))
                    .map(|id| OpportunityEvent {
                        channel: event.channel.clone(),
                        replay_id: event.replay_id,
                        opportunity_id: id.clone(),
                    })
                    .collect()
            } else {
                Vec::new()
            };
            stream::iter(ids.into_iter().map(Ok))
        })
        .try_flatten()
}

/// The subscription's replay positions, read from the flow's checkpoints: a restart resumes
/// after the last event whose record was done. Saving is left to [`run_events`].
#[derive(Clone)]
struct CheckpointPositions {
    checkpoints: Arc<dyn crate::store::CheckpointStore>,
}

impl std::fmt::Debug for CheckpointPositions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CheckpointPositions")
            .finish_non_exhaustive()
    }
}

#[async_trait::async_trait]
impl streaming::ReplayStore for CheckpointPositions {
    async fn load(&self, channel: &str) -> salesforce_client::Result<Option<i64>> {
        match self.checkpoints.get(&streaming_checkpoint(channel)).await {
            Ok(checkpoint) => Ok(checkpoint.and_then(|c| c.value.as_i64())),
            Err(e) => Err(salesforce_client::Error::ReplayStore {
                what: format!("read the checkpoint {}", streaming_checkpoint(channel)),
                source: std::io::Error::other(e.to_string()),
            }),
        }
    }

    async fn save(&self, _channel: &str, _replay_id: i64) -> salesforce_client::Result<()> {
        Ok(())
    }
}

/// The checkpoint of a Streaming API channel: `streaming:<channel>`.
pub fn streaming_checkpoint(channel: &str) -> String {
    format!("streaming:{channel}")
}

fn opportunity_fields() -> Vec<&'static str> {
    OPPORTUNITY_FIELDS.split(',').map(str::trim).collect()
}

/// Reads the Opportunity `id`.
async fn read_opportunity(systems: &Systems, id: &str) -> Result<WonOpportunity> {
    let record: SObject = systems
        .salesforce
        .sobjects("Opportunity")
        .get(id, &opportunity_fields())
        .await?;
    let mut opportunity = WonOpportunity::from_record(&record);
    if opportunity.id.is_empty() {
        opportunity.id = id.to_owned();
    }
    Ok(opportunity)
}

/// Runs the record of a dead letter of this flow again (its key is the Opportunity id).
///
/// # Errors
/// As [`run_events`].
pub async fn replay(
    systems: &Systems,
    letter: &DeadLetter,
    options: &Options,
) -> Result<RunReport> {
    let run = Run::new(systems, options);
    let opportunity = read_opportunity(systems, &letter.key).await?;
    run.process(&opportunity).await?;
    Ok(run.recorder.finish())
}

impl<'a> Run<'a> {
    fn new(systems: &'a Systems, options: &'a Options) -> Self {
        Run {
            systems,
            recorder: Recorder::with_progress(FLOW, Arc::clone(&systems.settings.progress)),
            options,
            batches: Mutex::new(HashMap::new()),
        }
    }

    /// One Opportunity, from claim to completion or dead letter.
    async fn process(&self, opp: &WonOpportunity) -> Result<Outcome> {
        let span = record_span(FLOW, &opp.id);
        async {
            let outcome = self.claimed(opp).await?;
            self.recorder.finished(&opp.id, outcome.clone());
            Ok(outcome)
        }
        .instrument(span)
        .await
    }

    async fn claimed(&self, opp: &WonOpportunity) -> Result<Outcome> {
        if opp.stage != "Closed Won" {
            return Ok(Outcome::Skipped);
        }
        let step = Step {
            systems: self.systems,
            recorder: &self.recorder,
            flow: FLOW,
            key: &opp.id,
        };
        // The steps of one record make a deep future; boxing it here keeps every caller's
        // future small (and within the compiler's layout depth).
        let steps = Box::pin(self.steps(&step, opp));
        step.exactly_once(RECORD_NAMESPACE, opp.payload(), steps)
            .await
    }

    async fn steps(&self, step: &Step<'_>, opp: &WonOpportunity) -> Result<Outcome, RecordFailure> {
        let systems = self.systems;
        let before_charge = RecordFailure::at(Target::PayTrace, "sale", opp.payload());
        let amount = validate_amount(opp).map_err(before_charge)?;
        let Some(account_id) = opp.account_id.clone() else {
            return Err(RecordFailure::at(Target::PayTrace, "sale", opp.payload())(
                StepFailure::invalid("validate", "the Opportunity has no AccountId"),
            ));
        };
        let account: SObject = step
            .idempotent("salesforce.read_account", || async {
                systems
                    .salesforce
                    .sobjects("Account")
                    .get(&account_id, &ACCOUNT_FIELDS)
                    .await
            })
            .await
            .map_err(RecordFailure::at(
                Target::Salesforce,
                "Account",
                opp.payload(),
            ))?;
        let account_name = crm::text(&account, "Name").unwrap_or_default();
        let Some(vault_id) = crm::text(&account, "CustomerVaultID__c") else {
            return Err(RecordFailure::at(Target::PayTrace, "sale", opp.payload())(
                StepFailure::invalid(
                    "validate",
                    format!(
                        "Account {account_name:?} ({account_id}) has no CustomerVaultID__c: no card to charge"
                    ),
                ),
            ));
        };

        let mut discretionary = BTreeMap::from([
            ("OpportunityName".to_owned(), truncate(&opp.name, 50)),
            ("AccountName".to_owned(), truncate(&account_name, 50)),
        ]);
        let mut metadata = BTreeMap::new();
        if let Some(term) = &opp.subscription_term {
            discretionary.insert("Subscription_Term".to_owned(), term.clone());
            metadata.insert("Subscription_Term".to_owned(), json!(term));
        }
        let request = ChargeRequest {
            namespace: SALE_NAMESPACE,
            business_key: opp.id.clone(),
            invoice_id: opp.id.clone(),
            amount,
            customer_id: vault_id,
            description: Some(truncate(&opp.name, 255)),
            discretionary,
            metadata,
        };
        let mut payment = match charge::charge(step, &request)
            .await
            .map_err(RecordFailure::at(Target::PayTrace, "sale", opp.payload()))?
        {
            ChargeOutcome::Charged(charge) => charge.payment,
            ChargeOutcome::Busy => {
                return Err(RecordFailure::at(Target::PayTrace, "sale", opp.payload())(
                    StepFailure::new(
                        charge::SALE_STEP,
                        mapping::retry::ErrorKind::Conflict,
                        "another task of this process holds the charge of this Opportunity",
                    ),
                ));
            }
        };
        payment.references.opportunity_id = Some(opp.id.clone());
        payment.references.account_id = Some(account_id.clone());
        let payload = json!({"opportunity": opp.payload(), "payment": payment});

        let context = Context::new()
            .with("account_id", account_id.as_str())
            .with("opportunity_id", opp.id.as_str());
        let upserted = step
            .idempotent("salesforce.upsert_payment", || {
                crm::upsert_payment(&systems.salesforce, &payment, &context, &[])
            })
            .await
            .map_err(RecordFailure::at(
                Target::Salesforce,
                "Payment__c",
                payload.clone(),
            ))?;
        step.count(
            Target::Salesforce,
            "Payment__c",
            crm::upsert_action(&upserted),
        );

        let outcome = if payment.status == PaymentStatus::Declined {
            Outcome::Declined
        } else {
            Box::pin(self.erp_steps(step, opp, &account, &payment, &payload)).await?;
            Outcome::Completed
        };

        // Last, so that only a record whose every step is done shows as modified (and the
        // next poll does not pick up a record that is waiting in the dead letters).
        let status =
            status_to_salesforce(payment.status).unwrap_or_else(|_| payment.status.to_string());
        let update = json!({"Payment_Status__c": status, "PaymentID__c": payment.id});
        step.idempotent("salesforce.update_opportunity", || async {
            systems
                .salesforce
                .sobjects("Opportunity")
                .update(&opp.id, &update)
                .await
        })
        .await
        .map_err(RecordFailure::at(
            Target::Salesforce,
            "Opportunity",
            payload.clone(),
        ))?;
        step.count(Target::Salesforce, "Opportunity", Action::Updated);
        Ok(outcome)
    }

    /// The ERP's customer, order or invoice, and payment line.
    async fn erp_steps(
        &self,
        step: &Step<'_>,
        opp: &WonOpportunity,
        account: &SObject,
        payment: &Payment,
        payload: &Value,
    ) -> Result<(), RecordFailure> {
        let erp = &self.systems.erp;
        let fail = |object: &'static str| RecordFailure::at(Target::Erp, object, payload.clone());
        let customer = erp_customer(self.systems, account)
            .map_err(|e| fail("customer")(StepFailure::from_error("erp.upsert_customer", &e)))?;
        let customer_account = customer
            .reference(&self.systems.erp_system())
            .unwrap_or_default()
            .to_owned();
        let upserted = step
            .idempotent("erp.upsert_customer", || erp.upsert_customer(&customer))
            .await
            .map_err(fail("customer"))?;
        step.count(
            Target::Erp,
            "customer",
            Action::created_or(upserted.created, Action::Updated),
        );

        match &opp.invoice {
            Some(number) => {
                let invoice = step
                    .idempotent("erp.find_invoice", || erp.find_invoice(number))
                    .await
                    .map_err(fail("invoice"))?;
                if invoice.is_none() {
                    return Err(fail("invoice")(StepFailure::new(
                        "erp.find_invoice",
                        mapping::retry::ErrorKind::NotFound,
                        format!(
                            "ERP invoice {number} (the Opportunity's ERP_Invoice__c) does not exist"
                        ),
                    )));
                }
            }
            None => {
                let order = Order {
                    id: opp.id.clone(),
                    number: None,
                    customer: Some(customer.clone()),
                    currency: Currency::USD,
                    lines: vec![OrderLine {
                        sku: Some(self.options.order_item.clone()),
                        description: truncate(&opp.name, 60),
                        quantity: Decimal::ONE,
                        unit_price: payment.amount,
                        discount: None,
                        tax: None,
                    }],
                    shipping: None,
                    shipping_address: None,
                    status: OrderStatus::Open,
                    ordered_at: payment.created_at,
                    references: vec![ExternalRef::entity(
                        canonical_model::System::Salesforce,
                        "Opportunity",
                        opp.id.clone(),
                    )],
                    metadata: BTreeMap::new(),
                };
                let made = step
                    .idempotent("erp.create_sales_order", || erp.create_sales_order(&order))
                    .await
                    .map_err(fail("sales order"))?;
                step.count(
                    Target::Erp,
                    "sales order",
                    Action::created_or(made.created, Action::Skipped),
                );
            }
        }

        let day = payment.created_at.unwrap_or_else(Utc::now).format("%Y%m%d");
        let batch = self
            .batch(step, &format!("OPP-{day}"))
            .await
            .map_err(fail("payment line"))?;
        let recorded = step
            .idempotent("erp.record_payment", || {
                erp.record_customer_payment(
                    &batch,
                    &customer_account,
                    payment,
                    opp.invoice.as_deref(),
                )
            })
            .await
            .map_err(fail("payment line"))?;
        step.count(
            Target::Erp,
            "payment line",
            Action::created_or(recorded.created, Action::Skipped),
        );
        Ok(())
    }

    /// The payment journal `reference`, opened once per run.
    async fn batch(&self, step: &Step<'_>, reference: &str) -> Result<PaymentBatch, StepFailure> {
        let mut batches = self.batches.lock().await;
        if let Some(batch) = batches.get(reference) {
            return Ok(batch.clone());
        }
        let erp = &self.systems.erp;
        let batch = step
            .idempotent("erp.open_payment_batch", || {
                erp.open_payment_batch(reference)
            })
            .await?;
        batches.insert(reference.to_owned(), batch.clone());
        Ok(batch)
    }
}

/// The Opportunity's amount as PayTrace takes it (USD, cents, positive).
fn validate_amount(opp: &WonOpportunity) -> Result<Amount, StepFailure> {
    let amount = opp
        .amount
        .ok_or_else(|| StepFailure::invalid("validate", "the Opportunity has no Amount"))?;
    Amount::new(amount).map_err(|e| {
        StepFailure::invalid(
            "validate",
            format!("Amount {amount} cannot be charged: {e}"),
        )
    })
}

/// The Account as an ERP customer: the canonical customer with the ERP account number (the
/// Account's `AccountNumber`, else its id) as its reference for the ERP.
fn erp_customer(systems: &Systems, account: &SObject) -> Result<Customer> {
    let mut customer = canonical::customer_from_account(account)?;
    let number = crm::text(account, "AccountNumber")
        .or_else(|| account.id.clone())
        .ok_or_else(|| Error::config("the Account has neither AccountNumber nor Id"))?;
    customer
        .references
        .push(ExternalRef::new(systems.erp_system(), number));
    Ok(customer)
}

fn truncate(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}
