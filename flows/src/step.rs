//! How a flow runs the steps of one business record: tracing, retries of idempotent steps,
//! and dead letters.
//!
//! # Tracing convention
//!
//! Every record runs in a `flow.record` span with the fields `flow` (the use case,
//! `opportunity-to-payment`) and `key` (the business key: Opportunity id, order id,
//! transaction id), and each of its steps in a child `flow.step` span with `flow`, `step`
//! (`paytrace.sale`, `salesforce.upsert_payment`, `erp.record_payment`) and `key`, plus
//! `error.type` (an [`ErrorKind`]) when the step fails. The clients' own spans
//! (`paytrace.sale_by_customer`, `salesforce.upsert`, …) nest inside, so
//! `RUST_LOG=flows=info,paytrace_client=debug` shows which record each call was for. Keys
//! are business ids, never card data, tokens or secrets.
//!
//! # Retries
//!
//! The clients retry each call by their own policy. A step made of idempotent calls (an
//! upsert by external id, an ERP facade call that finds what an earlier call did before it
//! writes) is also retried as a whole by [`Step::idempotent`] with the
//! [`Settings::step_retrier`](crate::systems::Settings::step_retrier): that covers the lost
//! answers ([`ErrorKind::OutcomeUnknown`]), which the clients must not resend themselves,
//! conflicts ([`ErrorKind::Conflict`]: the step reads again before it writes), and the
//! failures that outlast a client's attempts. A money-moving call is never a
//! `Step::idempotent`: it goes through the ledger ([`crate::charge`]).
//!
//! # Dead letters
//!
//! A step that still fails ends as a [`StepFailure`]; the flow hands it to
//! [`Step::dead_letter`], which stores it with the record's canonical payload and reason,
//! counts it, and the flow goes on with the next record.

use std::fmt;
use std::future::Future;
use std::time::Duration;

use mapping::retry::{Delivery, ErrorKind, Idempotency, RetryClassify, StopReason};
use serde_json::Value;
use tracing::Instrument;

use mapping::idempotency::IdempotencyKey;

use crate::error::{Error, Result};
use crate::once::{Turn, claim, settle_letters};
use crate::report::{Action, Outcome, Recorder, Target};
use crate::store::NewDeadLetter;
use crate::systems::Systems;

/// The `flow.record` span of one business record.
pub fn record_span(flow: &str, key: &str) -> tracing::Span {
    tracing::info_span!("flow.record", flow, key)
}

/// The `flow.step` span of one step of a record.
pub fn step_span(flow: &str, step: &str, key: &str) -> tracing::Span {
    tracing::info_span!(
        "flow.step",
        flow,
        step,
        key,
        "error.type" = tracing::field::Empty
    )
}

/// A step of one record that failed for good: what goes to the dead letters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepFailure {
    /// The step (`paytrace.sale`, `erp.record_payment`).
    pub step: &'static str,
    /// The kind of the failure.
    pub kind: ErrorKind,
    /// Why, as the error says it (never card data: the clients' errors do not hold any).
    pub reason: String,
}

impl StepFailure {
    /// A failure of `step`.
    pub fn new(step: &'static str, kind: ErrorKind, reason: impl Into<String>) -> Self {
        StepFailure {
            step,
            kind,
            reason: reason.into(),
        }
    }

    /// A record the flow refuses before calling anything (a missing vault id, an amount
    /// PayTrace cannot take): a [`Validation`](ErrorKind::Validation) failure.
    pub fn invalid(step: &'static str, reason: impl Into<String>) -> Self {
        StepFailure::new(step, ErrorKind::Validation, reason)
    }

    /// The failure of `step` with `error`, its message and the messages of its sources.
    pub fn from_error(step: &'static str, error: &Error) -> Self {
        let mut reason = error.to_string();
        let mut source = std::error::Error::source(error);
        while let Some(cause) = source {
            let text = cause.to_string();
            if !reason.contains(&text) {
                reason.push_str(": ");
                reason.push_str(&text);
            }
            source = cause.source();
        }
        StepFailure::new(step, error.kind(), reason)
    }
}

impl fmt::Display for StepFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} failed ({}): {}", self.step, self.kind, self.reason)
    }
}

/// A record whose step failed for good: the failure, the system and object to count its dead
/// letter against, and the record's canonical payload for the dead letter.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordFailure {
    /// What failed.
    pub failure: StepFailure,
    /// The system of the step.
    pub system: Target,
    /// The object of the step (`sale`, `Payment__c`, `payment line`).
    pub object: &'static str,
    /// The record, as a replay needs it (card data is redacted by the store).
    pub payload: Value,
}

impl RecordFailure {
    /// Tags failures of a step on `object` in `system` with the record's `payload`.
    pub fn at(
        system: Target,
        object: &'static str,
        payload: Value,
    ) -> impl FnOnce(StepFailure) -> RecordFailure {
        move |failure| RecordFailure {
            failure,
            system,
            object,
            payload,
        }
    }
}

/// An error of a step that is safe to repeat, retried like a transient failure when
/// repeating the whole step can succeed: a lost answer (the step finds what the earlier call
/// did) and a conflict (the step reads the record again before it writes; a client that
/// resent a conditional write after a lost answer gets a 412 for its own change).
struct Repeatable(Error);

impl RetryClassify for Repeatable {
    fn kind(&self) -> ErrorKind {
        match self.0.kind() {
            ErrorKind::OutcomeUnknown | ErrorKind::Conflict => ErrorKind::Transient,
            kind => kind,
        }
    }

    fn retry_after(&self) -> Option<Duration> {
        self.0.retry_after()
    }

    fn delivery(&self) -> Delivery {
        Delivery::MaybeSent
    }

    fn record_attempts(&mut self, attempts: u32, stop: StopReason) {
        self.0.record_attempts(attempts, stop);
    }
}

/// The steps of one business record of one run: where its spans, counts and dead letters go.
#[derive(Debug, Clone, Copy)]
pub struct Step<'a> {
    /// The systems the record is processed with.
    pub systems: &'a Systems,
    /// The run's recorder.
    pub recorder: &'a Recorder,
    /// The flow (`opportunity-to-payment`).
    pub flow: &'static str,
    /// The record's business key.
    pub key: &'a str,
}

impl Step<'_> {
    /// Runs `work` once as step `step`, in its span.
    ///
    /// # Errors
    /// The [`StepFailure`] of `work`'s error.
    pub async fn once<T, E, Fut>(&self, step: &'static str, work: Fut) -> Result<T, StepFailure>
    where
        Fut: Future<Output = Result<T, E>>,
        E: Into<Error>,
    {
        let span = step_span(self.flow, step, self.key);
        match work.instrument(span.clone()).await {
            Ok(value) => Ok(value),
            Err(error) => Err(self.failed(&span, step, &error.into())),
        }
    }

    /// Runs the idempotent step `step` in its span: `op` is called again, by the
    /// [step retrier](crate::systems::Settings::step_retrier), while its error may pass,
    /// including a lost answer.
    ///
    /// # Errors
    /// The [`StepFailure`] of the last error.
    pub async fn idempotent<T, E, F, Fut>(
        &self,
        step: &'static str,
        mut op: F,
    ) -> Result<T, StepFailure>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, E>>,
        E: Into<Error>,
    {
        let span = step_span(self.flow, step, self.key);
        let retrier = &self.systems.settings.step_retrier;
        let outcome = retrier
            .run(Idempotency::Idempotent, |_| {
                let call = op();
                async move { call.await.map_err(|e| Repeatable(e.into())) }
            })
            .instrument(span.clone())
            .await;
        outcome.map_err(|Repeatable(error)| self.failed(&span, step, &error))
    }

    fn failed(&self, span: &tracing::Span, step: &'static str, error: &Error) -> StepFailure {
        let failure = StepFailure::from_error(step, error);
        span.record("error.type", failure.kind.as_str());
        span.in_scope(|| tracing::warn!(error.kind = failure.kind.as_str(), "step failed"));
        failure
    }

    /// Runs the steps of this record exactly once, under the ledger key `namespace`/record
    /// key: claims it (a record done before, or held by another task, is
    /// [`Outcome::Skipped`] and `steps` does not run), runs `steps`, then completes the claim
    /// and marks the record's earlier dead letters replayed; or, when a step failed for good,
    /// dead-letters the record and fails the claim retryably — every step is safe to repeat,
    /// so a replay runs them again and finds the ones already done.
    ///
    /// # Errors
    /// The stores' errors: the run must stop rather than lose a ledger entry or a dead
    /// letter.
    pub async fn exactly_once<Fut>(
        &self,
        namespace: &str,
        intent: Value,
        steps: Fut,
    ) -> Result<Outcome>
    where
        Fut: Future<Output = Result<Outcome, RecordFailure>>,
    {
        let stores = &self.systems.stores;
        let key = IdempotencyKey::derive(namespace, &[self.key]);
        match claim(stores.ledger.as_ref(), key.as_str(), intent).await? {
            Turn::Mine => {}
            Turn::Done(_) | Turn::Failed(_) | Turn::Busy => return Ok(Outcome::Skipped),
        }
        match steps.await {
            Ok(outcome) => {
                let done = serde_json::json!({"outcome": outcome.label()});
                stores.ledger.complete(key.as_str(), done).await?;
                settle_letters(stores.dead_letters.as_ref(), self.flow, self.key).await?;
                Ok(outcome)
            }
            Err(failed) => {
                let reason = failed.failure.reason.clone();
                let outcome = self
                    .dead_letter(failed.failure, failed.system, failed.object, failed.payload)
                    .await?;
                stores.ledger.fail(key.as_str(), &reason, true).await?;
                Ok(outcome)
            }
        }
    }

    /// Counts `action` on `object` in `system` for this run.
    pub fn count(&self, system: Target, object: &str, action: Action) {
        self.recorder.count(system, object, action);
    }

    /// Stores `failure` in the dead letters with the record's canonical `payload` (card data
    /// is redacted by the store), counts it against `system`'s `object`, and returns the
    /// record's [`Outcome`].
    ///
    /// # Errors
    /// The dead-letter store's errors: then the failure could not be kept, and the run must
    /// stop rather than lose it.
    pub async fn dead_letter(
        &self,
        failure: StepFailure,
        system: Target,
        object: &str,
        payload: Value,
    ) -> Result<Outcome> {
        self.systems
            .stores
            .dead_letters
            .push(NewDeadLetter {
                flow: self.flow.to_owned(),
                step: failure.step.to_owned(),
                key: self.key.to_owned(),
                reason: failure.reason.clone(),
                error_kind: failure.kind,
                payload,
            })
            .await?;
        self.count(system, object, Action::DeadLettered);
        Ok(Outcome::DeadLettered {
            step: failure.step.to_owned(),
            reason: failure.reason,
        })
    }
}
