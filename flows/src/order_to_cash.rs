//! Use case 2: an eCommerce order → PayTrace payment → ERP customer, sales order and customer
//! payment journal line, the journal posted where the ERP flavour can.
//!
//! # Input
//!
//! Orders are canonical [`Order`]s (`canonical-model`'s stable JSON shape), from a storefront
//! export ([`read_orders`]: a JSON array, or an object with an `orders` array) or generated
//! ([`seed::storefront_orders`](crate::systems::seed::storefront_orders)). What the flow needs
//! of an order:
//!
//! | field | use |
//! |---|---|
//! | `id` | the business key, PayTrace `invoice_id`, the ERP order's reference (`CustomersOrderReference` / `externalDocumentNumber`) |
//! | `customer.references`: `paytrace` | the vault profile charged (a returning customer's stored card: no card data ever passes through here) |
//! | `customer.references`: `d365_fno` / `d365_bc`, else `storefront` | the ERP customer account |
//! | `lines[].sku`, `quantity`, `unit_price`, `tax`, `shipping` | the ERP order lines; the total charged is [`Order::total`] |
//!
//! # Steps of one order
//!
//! `validate` → `paytrace.sale` (exactly once: [`crate::charge`]) → `erp.upsert_customer` →
//! `erp.create_sales_order` → `erp.record_payment` in this input's payment journal. After the
//! orders, the journal is posted ([`Options::post`]); F&O posts only with a configured
//! posting strategy, otherwise the journal is left for a user or a batch job and the report
//! says so. The journal's reference is derived from the orders' ids, so a rerun of the same
//! input (after a crash) continues the same journal and posts it.
//!
//! A declined card ends the order (nothing in the ERP). Failures go to the dead letters with
//! the order as payload; [`replay`] runs it again.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use canonical_model::{ExternalRef, Order, PaymentStatus, System};
use dynamics365_client::erp::{Erp, PaymentBatch};
use futures::stream::{self, StreamExt};
use mapping::idempotency::IdempotencyKey;
use mapping::retry::ErrorKind;
use paytrace_client::Amount;
use serde_json::{Value, json};
use tokio::sync::Mutex;
use tracing::Instrument;

use crate::charge::{self, ChargeOutcome, ChargeRequest};
use crate::error::{Error, Result};
use crate::report::{Action, Outcome, Recorder, RunReport, Target};
use crate::step::{RecordFailure, Step, StepFailure, record_span};
use crate::store::DeadLetter;
use crate::systems::Systems;

/// The flow's name, in reports, spans and dead letters.
pub const FLOW: &str = "order-to-cash";

/// Ledger namespace of the orders.
const RECORD_NAMESPACE: &str = "order-to-cash";
/// Ledger namespace of the charges.
const SALE_NAMESPACE: &str = "order-sale";

/// The storefront's own customer id, the ERP account when the customer has none for the ERP.
pub fn storefront_system() -> System {
    System::Other("storefront".to_owned())
}

/// How a run goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// Post the payment journal after the orders (default true).
    pub post: bool,
    /// The payment journal's reference; default `O2C-` and a hash of the orders' ids.
    pub journal_reference: Option<String>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            post: true,
            journal_reference: None,
        }
    }
}

/// Reads orders from a JSON file: an array of canonical orders, or `{"orders": [...]}`.
///
/// # Errors
/// [`Error::Config`] when the file cannot be read; [`Error::Mapping`] naming the JSON path
/// that is not an order.
pub fn read_orders(path: impl AsRef<Path>) -> Result<Vec<Order>> {
    let path = path.as_ref();
    let text = std::fs::read_to_string(path).map_err(|e| Error::Config {
        reason: format!("cannot read the orders file {}", path.display()),
        source: Some(Box::new(e)),
    })?;
    parse_orders(&text)
}

/// Parses orders as [`read_orders`] does.
///
/// # Errors
/// [`Error::Mapping`] naming the order that does not decode, and why.
pub fn parse_orders(json: &str) -> Result<Vec<Order>> {
    let value: Value =
        serde_json::from_str(json).map_err(|e| Error::mapping("the orders file", e))?;
    let items = match value {
        Value::Array(items) => items,
        Value::Object(mut object) => match object.remove("orders") {
            Some(Value::Array(items)) => items,
            _ => {
                return Err(Error::mapping(
                    "the orders file",
                    "an object without an `orders` array",
                ));
            }
        },
        _ => {
            return Err(Error::mapping(
                "the orders file",
                "neither an array nor an object",
            ));
        }
    };
    items
        .into_iter()
        .enumerate()
        .map(|(index, item)| {
            serde_json::from_value(item)
                .map_err(|e| Error::mapping("the orders file", format!("order #{index}: {e}")))
        })
        .collect()
}

/// State shared by the orders of one run.
struct Run<'a> {
    systems: &'a Systems,
    recorder: Recorder,
    journal_reference: String,
    /// The run's payment journal, opened by the first order that needs it.
    batch: Mutex<Option<PaymentBatch>>,
}

/// Charges and books `orders`.
///
/// # Errors
/// A store's error (the run stops rather than lose a dead letter or a ledger entry). Order
/// failures are not errors: they are in the report and the dead letters.
pub async fn run(systems: &Systems, orders: Vec<Order>, options: &Options) -> Result<RunReport> {
    let journal_reference = options
        .journal_reference
        .clone()
        .unwrap_or_else(|| journal_reference(&orders));
    let run = Run {
        systems,
        recorder: Recorder::with_progress(FLOW, Arc::clone(&systems.settings.progress)),
        journal_reference,
        batch: Mutex::new(None),
    };
    run.recorder
        .expect(Some(u64::try_from(orders.len()).unwrap_or(u64::MAX)));
    // By index, not `iter(&orders)`: a closure taking `&Order` would make the future not
    // `Send` for every lifetime, and so not spawnable.
    let results: Vec<Result<Outcome>> = stream::iter(0..orders.len())
        .map(|i| run.process(&orders[i]))
        .buffered(systems.settings.concurrency.max(1))
        .collect()
        .await;
    for result in results {
        result?;
    }
    if options.post {
        run.post().await;
    }
    Ok(run.recorder.finish())
}

/// Runs the order of a dead letter of this flow again (its payload is the order).
///
/// # Errors
/// [`Error::Mapping`] when the payload is not an order; as [`run`].
pub async fn replay(
    systems: &Systems,
    letter: &DeadLetter,
    options: &Options,
) -> Result<RunReport> {
    let order: Order =
        serde_json::from_value(letter.payload.get("order").cloned().unwrap_or(Value::Null))
            .map_err(|e| Error::mapping("the dead letter's order", e))?;
    run(systems, vec![order], options).await
}

/// `O2C-` and 12 hex digits of a hash of the orders' ids: the same input, the same journal.
fn journal_reference(orders: &[Order]) -> String {
    let ids: Vec<&str> = orders.iter().map(|o| o.id.as_str()).collect();
    let key = IdempotencyKey::derive("", &ids);
    format!("O2C-{}", &key.as_str()[..12])
}

impl Run<'_> {
    async fn process(&self, order: &Order) -> Result<Outcome> {
        let span = record_span(FLOW, &order.id);
        async {
            let outcome = self.claimed(order).await?;
            self.recorder.finished(&order.id, outcome.clone());
            Ok(outcome)
        }
        .instrument(span)
        .await
    }

    async fn claimed(&self, order: &Order) -> Result<Outcome> {
        let step = Step {
            systems: self.systems,
            recorder: &self.recorder,
            flow: FLOW,
            key: &order.id,
        };
        let intent = json!({"order_id": order.id});
        step.exactly_once(RECORD_NAMESPACE, intent, self.steps(&step, order))
            .await
    }

    async fn steps(&self, step: &Step<'_>, order: &Order) -> Result<Outcome, RecordFailure> {
        let erp = &self.systems.erp;
        let payload = json!({"order": order});
        let at = |system, object| RecordFailure::at(system, object, payload.clone());
        let (amount, vault_id, mut customer, account) =
            self.validate(order).map_err(at(Target::PayTrace, "sale"))?;

        let request = ChargeRequest {
            namespace: SALE_NAMESPACE,
            business_key: order.id.clone(),
            invoice_id: order.id.clone(),
            amount,
            customer_id: vault_id,
            description: Some(format!(
                "Web order {}",
                order.number.as_deref().unwrap_or(&order.id)
            )),
            discretionary: BTreeMap::from([(
                "OrderNumber".to_owned(),
                order.number.clone().unwrap_or_else(|| order.id.clone()),
            )]),
            metadata: BTreeMap::new(),
        };
        let mut payment = match charge::charge(step, &request)
            .await
            .map_err(at(Target::PayTrace, "sale"))?
        {
            ChargeOutcome::Charged(charge) => charge.payment,
            ChargeOutcome::Busy => {
                let failure = StepFailure::new(
                    charge::SALE_STEP,
                    ErrorKind::Conflict,
                    "another task of this process holds the charge of this order",
                );
                return Err(at(Target::PayTrace, "sale")(failure));
            }
        };
        if payment.status == PaymentStatus::Declined {
            return Ok(Outcome::Declined);
        }
        payment.references.order_id = Some(order.id.clone());

        customer
            .references
            .retain(|r| r.system != self.systems.erp_system());
        customer
            .references
            .push(ExternalRef::new(self.systems.erp_system(), account.clone()));
        let upserted = step
            .idempotent("erp.upsert_customer", || erp.upsert_customer(&customer))
            .await
            .map_err(at(Target::Erp, "customer"))?;
        step.count(
            Target::Erp,
            "customer",
            Action::created_or(upserted.created, Action::Updated),
        );

        let mut booked = order.clone();
        booked.customer = Some(customer.clone());
        let made = step
            .idempotent("erp.create_sales_order", || erp.create_sales_order(&booked))
            .await
            .map_err(at(Target::Erp, "sales order"))?;
        step.count(
            Target::Erp,
            "sales order",
            Action::created_or(made.created, Action::Skipped),
        );

        let batch = self
            .batch(step)
            .await
            .map_err(at(Target::Erp, "payment line"))?;
        let recorded = step
            .idempotent("erp.record_payment", || {
                erp.record_customer_payment(&batch, &account, &payment, None)
            })
            .await
            .map_err(at(Target::Erp, "payment line"))?;
        step.count(
            Target::Erp,
            "payment line",
            Action::created_or(recorded.created, Action::Skipped),
        );
        Ok(Outcome::Completed)
    }

    /// The amount, vault id, customer and ERP account of an order, or why it cannot be
    /// charged.
    fn validate(
        &self,
        order: &Order,
    ) -> Result<(Amount, String, canonical_model::Customer, String), StepFailure> {
        let invalid = |reason: String| StepFailure::invalid("validate", reason);
        let customer = order
            .customer
            .clone()
            .ok_or_else(|| invalid("the order has no customer".to_owned()))?;
        let total = order
            .total()
            .map_err(|e| invalid(format!("the order's total cannot be computed: {e}")))?;
        let amount = Amount::try_from(&total)
            .map_err(|e| invalid(format!("the order's total {total} cannot be charged: {e}")))?;
        let vault_id = customer
            .reference(&System::Paytrace)
            .map(str::to_owned)
            .ok_or_else(|| {
                invalid("the order's customer has no PayTrace vault profile".to_owned())
            })?;
        let account = customer
            .reference(&self.systems.erp_system())
            .or_else(|| customer.reference(&storefront_system()))
            .map(str::to_owned)
            .ok_or_else(|| {
                invalid("the order's customer has no ERP account and no storefront id".to_owned())
            })?;
        if let Some(line) = order.lines.iter().find(|l| l.sku.is_none()) {
            return Err(invalid(format!(
                "order line {:?} has no item number (sku)",
                line.description
            )));
        }
        Ok((amount, vault_id, customer, account))
    }

    /// The run's payment journal, opened once.
    async fn batch(&self, step: &Step<'_>) -> Result<PaymentBatch, StepFailure> {
        let mut batch = self.batch.lock().await;
        if let Some(batch) = &*batch {
            return Ok(batch.clone());
        }
        let erp = &self.systems.erp;
        let opened = step
            .idempotent("erp.open_payment_batch", || {
                erp.open_payment_batch(&self.journal_reference)
            })
            .await?;
        *batch = Some(opened.clone());
        Ok(opened)
    }

    /// Posts the run's payment journal, if an order reached it; the outcome is a fact of the
    /// report.
    async fn post(&self) {
        let Some(batch) = self.batch.lock().await.clone() else {
            return;
        };
        let erp = &self.systems.erp;
        let step = Step {
            systems: self.systems,
            recorder: &self.recorder,
            flow: FLOW,
            key: &self.journal_reference,
        };
        let fact = match step
            .idempotent("erp.post_payment_batch", || erp.post_payment_batch(&batch))
            .await
        {
            Ok(()) => format!("{} ({}) posted", batch.reference, batch.journal),
            Err(failure) if failure.kind == ErrorKind::Configuration => format!(
                "{} ({}) left unposted: {}",
                batch.reference, batch.journal, failure.reason
            ),
            Err(failure) => {
                tracing::warn!(
                    journal = batch.journal,
                    "posting the payment journal failed"
                );
                format!(
                    "{} ({}) not posted, post it later: {}",
                    batch.reference, batch.journal, failure.reason
                )
            }
        };
        self.recorder.fact("payment journal", fact);
    }
}
