#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The dead-letter store: one behaviour suite for both implementations, then the file store's
//! durability.

mod common;

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use canonical_model::{
    CscResult, Currency, Money, Payment, PaymentStatus, ProcessorResponse, TransactionKind,
};
use flows::Error;
use flows::store::{
    DeadLetter, DeadLetterFilter, DeadLetterStatus, DeadLetterStore, FileDeadLetters,
    MemoryDeadLetters, NewDeadLetter, ReplayOutcome, replay,
};
use mapping::retry::{ErrorKind, RetryClassify, StopReason};
use rust_decimal::Decimal;
use serde_json::{Value, json};

fn failure(flow: &str, key: &str, kind: ErrorKind) -> NewDeadLetter {
    NewDeadLetter {
        flow: flow.into(),
        step: "salesforce.upsert_payment".into(),
        key: key.into(),
        reason: format!("{kind} failure"),
        error_kind: kind,
        payload: json!({"id": key, "amount": {"amount": "10.00", "currency": "USD"}}),
    }
}

/// A step's error, as a client would return it.
#[derive(Debug)]
struct StepError(ErrorKind);

impl fmt::Display for StepError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "step failed again: {}", self.0)
    }
}

impl RetryClassify for StepError {
    fn kind(&self) -> ErrorKind {
        self.0
    }
    fn record_attempts(&mut self, _: u32, _: StopReason) {}
}

async fn a_repeated_failure_is_one_letter_with_more_attempts(letters: Arc<dyn DeadLetterStore>) {
    let first = letters
        .push(failure("refund", "R-1", ErrorKind::Transient))
        .await
        .unwrap();
    assert_eq!(
        first.id,
        DeadLetter::id_for("refund", "salesforce.upsert_payment", "R-1")
    );
    assert!(first.id.starts_with("dead-letter-"));
    assert_eq!(
        (first.attempts, first.status),
        (1, DeadLetterStatus::Pending)
    );
    assert_eq!(first.first_failed_at, first.last_failed_at);
    assert_eq!(first.payload["id"], "R-1");
    assert!(first.redacted.is_empty());
    assert_eq!(letters.get(&first.id).await.unwrap(), Some(first.clone()));

    let mut again = failure("refund", "R-1", ErrorKind::Validation);
    again.payload["amount"]["amount"] = json!("11.00");
    let second = letters.push(again).await.unwrap();
    assert_eq!(second.id, first.id);
    assert_eq!(second.attempts, 2);
    assert_eq!(second.first_failed_at, first.first_failed_at);
    assert!(second.last_failed_at >= first.last_failed_at);
    assert_eq!(
        (second.error_kind, second.reason.as_str()),
        (ErrorKind::Validation, "validation failure")
    );
    assert_eq!(second.payload["amount"]["amount"], "11.00");
    assert_eq!(
        letters.list(&DeadLetterFilter::default()).await.unwrap(),
        [second]
    );

    // The same key at another step or in another flow is another letter.
    let mut other_step = failure("refund", "R-1", ErrorKind::Transient);
    other_step.step = "paytrace.refund".into();
    assert_ne!(letters.push(other_step).await.unwrap().id, first.id);
    assert_ne!(
        letters
            .push(failure("chargeback", "R-1", ErrorKind::Transient))
            .await
            .unwrap()
            .id,
        first.id
    );
    assert_eq!(
        letters
            .list(&DeadLetterFilter::default())
            .await
            .unwrap()
            .len(),
        3
    );
}

async fn list_filters_by_every_field(letters: Arc<dyn DeadLetterStore>) {
    let a = letters
        .push(failure("order-to-cash", "O-1", ErrorKind::Validation))
        .await
        .unwrap();
    let b = letters
        .push(failure("order-to-cash", "O-2", ErrorKind::Transient))
        .await
        .unwrap();
    let c = letters
        .push(failure("refund", "R-1", ErrorKind::Validation))
        .await
        .unwrap();
    letters.discard(&b.id).await.unwrap();

    let ids = async |filter: DeadLetterFilter| -> Vec<String> {
        letters
            .list(&filter)
            .await
            .unwrap()
            .into_iter()
            .map(|l| l.id)
            .collect()
    };
    // Oldest first.
    assert_eq!(
        ids(DeadLetterFilter::default()).await,
        [a.id.as_str(), b.id.as_str(), c.id.as_str()]
    );
    assert_eq!(
        ids(DeadLetterFilter::pending()).await,
        [a.id.as_str(), c.id.as_str()]
    );
    let by_flow = DeadLetterFilter {
        flow: Some("order-to-cash".into()),
        ..Default::default()
    };
    assert_eq!(ids(by_flow.clone()).await, [a.id.as_str(), b.id.as_str()]);
    let by_kind = DeadLetterFilter {
        error_kind: Some(ErrorKind::Validation),
        ..Default::default()
    };
    assert_eq!(ids(by_kind).await, [a.id.as_str(), c.id.as_str()]);
    let by_status = DeadLetterFilter {
        status: Some(DeadLetterStatus::Discarded),
        ..by_flow
    };
    assert_eq!(ids(by_status).await, [b.id.as_str()]);
    let by_key = DeadLetterFilter {
        key: Some("R-1".into()),
        step: Some("salesforce.upsert_payment".into()),
        ..Default::default()
    };
    assert_eq!(ids(by_key).await, [c.id.as_str()]);
    let none = DeadLetterFilter {
        step: Some("nope".into()),
        ..Default::default()
    };
    assert!(ids(none).await.is_empty());
}

async fn replayed_and_discarded_letters_leave_pending(letters: Arc<dyn DeadLetterStore>) {
    let a = letters
        .push(failure("refund", "R-1", ErrorKind::Transient))
        .await
        .unwrap();
    let b = letters
        .push(failure("refund", "R-2", ErrorKind::Transient))
        .await
        .unwrap();
    assert_eq!(
        letters.mark_replayed(&a.id).await.unwrap().status,
        DeadLetterStatus::Replayed
    );
    assert_eq!(
        letters.discard(&b.id).await.unwrap().status,
        DeadLetterStatus::Discarded
    );
    assert!(
        letters
            .list(&DeadLetterFilter::pending())
            .await
            .unwrap()
            .is_empty()
    );

    for err in [
        letters.mark_replayed(&a.id).await.unwrap_err(),
        letters.discard(&a.id).await.unwrap_err(),
        letters.mark_replayed(&b.id).await.unwrap_err(),
    ] {
        assert!(
            matches!(
                err,
                Error::InvalidState {
                    what: "dead letter",
                    ..
                }
            ),
            "{err}"
        );
        assert_eq!(err.kind(), ErrorKind::Conflict);
    }
    for err in [
        letters.mark_replayed("dead-letter-none").await.unwrap_err(),
        letters.discard("dead-letter-none").await.unwrap_err(),
    ] {
        assert!(matches!(err, Error::NotFound { .. }), "{err}");
    }
    assert_eq!(letters.get("dead-letter-none").await.unwrap(), None);

    // Failing again brings a letter back, with one more attempt.
    let back = letters
        .push(failure("refund", "R-2", ErrorKind::Timeout))
        .await
        .unwrap();
    assert_eq!((back.status, back.attempts), (DeadLetterStatus::Pending, 2));
}

async fn replay_marks_success_and_counts_failure(letters: Arc<dyn DeadLetterStore>) {
    let letter = letters
        .push(failure("order-to-cash", "O-1", ErrorKind::Validation))
        .await
        .unwrap();

    // The work fails again: one more attempt, the new reason and kind, still pending.
    let outcome = replay(&*letters, &letter.id, async |seen: DeadLetter| {
        assert_eq!(seen, letter);
        Err::<(), _>(StepError(ErrorKind::Throttled))
    })
    .await
    .unwrap();
    let ReplayOutcome::Failed {
        error,
        letter: after,
    } = outcome
    else {
        panic!("the work failed")
    };
    assert_eq!(error.0, ErrorKind::Throttled);
    assert_eq!(after.attempts, 2);
    assert_eq!(after.status, DeadLetterStatus::Pending);
    assert_eq!(after.reason, "step failed again: throttled");
    assert_eq!(after.error_kind, ErrorKind::Throttled);
    assert_eq!(after.payload, letter.payload);
    assert_eq!(letters.get(&letter.id).await.unwrap(), Some(*after));

    // The work succeeds: marked replayed, the closure's value returned.
    let outcome = replay(&*letters, &letter.id, async |seen: DeadLetter| {
        Ok::<_, StepError>(seen.payload["id"].clone())
    })
    .await
    .unwrap();
    assert!(matches!(outcome, ReplayOutcome::Replayed(id) if id == "O-1"));
    let replayed = letters.get(&letter.id).await.unwrap().unwrap();
    assert_eq!(
        (replayed.status, replayed.attempts),
        (DeadLetterStatus::Replayed, 2)
    );

    // Replaying it again does nothing: the work is not run.
    let err = replay(
        &*letters,
        &letter.id,
        async |_: DeadLetter| -> Result<(), StepError> {
            panic!("a replayed letter must not run again")
        },
    )
    .await
    .unwrap_err();
    assert!(
        matches!(
            err,
            Error::InvalidState {
                state: "replayed",
                ..
            }
        ),
        "{err}"
    );
    let err = replay(&*letters, "dead-letter-none", async |_: DeadLetter| {
        Ok::<_, StepError>(())
    })
    .await
    .unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }), "{err}");
}

async fn card_data_is_redacted_and_other_numbers_kept(letters: Arc<dyn DeadLetterStore>) {
    let mut pushed = failure("order-to-cash", "O-7", ErrorKind::Validation);
    pushed.reason = "PayTrace refused card 4111 1111 1111 1111".into();
    pushed.payload = json!({
        "id": "O-7",
        "order_number": "1234567812345678",
        "card": {"number": "4111111111111111", "csc": "999", "expiry": "12/30"},
        "lines": [{"sku": 5555555555554444u64}],
    });
    let letter = letters.push(pushed).await.unwrap();
    assert_eq!(
        letter.payload,
        json!({
            "id": "O-7",
            "order_number": "1234567812345678",
            "card": {"number": "[REDACTED]", "csc": "[REDACTED]", "expiry": "12/30"},
            "lines": [{"sku": "[REDACTED]"}],
        })
    );
    assert_eq!(
        letter.redacted,
        ["/card/csc", "/card/number", "/lines/0/sku"]
    );
    assert_eq!(letter.reason, "PayTrace refused card [REDACTED]");
    let stored = letters.get(&letter.id).await.unwrap().unwrap();
    assert_eq!(stored, letter);
    let json = serde_json::to_string(&stored).unwrap();
    assert!(
        !json.contains("4111111111111111") && !json.contains("4111 1111"),
        "{json}"
    );

    // Redactions of earlier attempts are remembered.
    let mut again = failure("order-to-cash", "O-7", ErrorKind::Validation);
    again.payload = json!({"id": "O-7", "cvv": 123});
    let again = letters.push(again).await.unwrap();
    assert_eq!(
        again.redacted,
        ["/card/csc", "/card/number", "/cvv", "/lines/0/sku"]
    );

    // A canonical payment goes through untouched: its CSC *result* is not a CSC.
    let mut payment = Payment::new(
        "123456789",
        TransactionKind::Sale,
        PaymentStatus::Approved,
        Money::new(Decimal::new(12_500, 2), Currency::USD),
    );
    payment.references.invoice_id = Some("4111111111111112".into()); // not Luhn-valid
    payment.processor = Some(ProcessorResponse {
        csc: Some(CscResult::Match),
        ..ProcessorResponse::default()
    });
    let mut pushed = failure("opportunity-to-payment", "OPP-1", ErrorKind::Transient);
    pushed.payload = serde_json::to_value(&payment).unwrap();
    let letter = letters.push(pushed).await.unwrap();
    assert!(letter.redacted.is_empty());
    assert_eq!(
        serde_json::from_value::<Payment>(letter.payload).unwrap(),
        payment
    );
}

async fn empty_identifiers_are_refused(letters: Arc<dyn DeadLetterStore>) {
    for field in 0..3 {
        let mut bad = failure("refund", "R-1", ErrorKind::Other);
        *[&mut bad.flow, &mut bad.step, &mut bad.key][field] = " ".into();
        let err = letters.push(bad).await.unwrap_err();
        assert!(matches!(err, Error::InvalidInput { .. }), "{err}");
    }
    assert!(
        letters
            .list(&DeadLetterFilter::default())
            .await
            .unwrap()
            .is_empty()
    );
}

common::for_both_stores!(MemoryDeadLetters::new(), FileDeadLetters;
    a_repeated_failure_is_one_letter_with_more_attempts,
    list_filters_by_every_field,
    replayed_and_discarded_letters_leave_pending,
    replay_marks_success_and_counts_failure,
    card_data_is_redacted_and_other_numbers_kept,
    empty_identifiers_are_refused,
);

// ---- the file store ----

/// Change `i`: a failure of record `i / 2`, then (odd `i`) its replay or discard.
async fn write(letters: &FileDeadLetters, i: usize) -> flows::Result<()> {
    let key = format!("K-{}", i / 2);
    if i.is_multiple_of(2) {
        letters
            .push(failure("refund", &key, ErrorKind::Transient))
            .await?;
        letters
            .push(failure("refund", &key, ErrorKind::Timeout))
            .await?;
    } else {
        let id = DeadLetter::id_for("refund", "salesforce.upsert_payment", &key);
        if i % 4 == 1 {
            letters.mark_replayed(&id).await?;
        } else {
            letters.discard(&id).await?;
        }
    }
    Ok(())
}

async fn written(letters: &FileDeadLetters, i: usize) -> bool {
    let id = DeadLetter::id_for(
        "refund",
        "salesforce.upsert_payment",
        &format!("K-{}", i / 2),
    );
    letters
        .get(&id)
        .await
        .unwrap()
        .is_some_and(|letter| match i % 2 {
            0 => letter.attempts == 2,
            _ => letter.status != DeadLetterStatus::Pending,
        })
}

async fn snapshot(letters: &FileDeadLetters) -> Value {
    serde_json::to_value(letters.list(&DeadLetterFilter::default()).await.unwrap()).unwrap()
}

#[tokio::test]
async fn the_file_store_keeps_the_file_store_contract() {
    common::file_store_contract(
        "dead_letters",
        async |dir: &Path| FileDeadLetters::open(dir).await,
        async |letters: &FileDeadLetters| letters.compact().await,
        write,
        written,
        snapshot,
    )
    .await;
}

#[tokio::test]
async fn stored_lines_hold_no_card_data() {
    let dir = tempfile::tempdir().unwrap();
    let letters = FileDeadLetters::open(dir.path()).await.unwrap();
    let mut pushed = failure("order-to-cash", "O-1", ErrorKind::Validation);
    pushed.reason = "bad card 4111111111111111".into();
    pushed.payload = json!({"card_number": "4111-1111-1111-1111", "CVV2": "123"});
    letters.push(pushed).await.unwrap();
    let text = std::fs::read_to_string(dir.path().join("dead_letters.jsonl")).unwrap();
    assert!(text.contains("[REDACTED]"));
    for secret in ["4111111111111111", "4111-1111", "\"123\""] {
        assert!(!text.contains(secret), "{secret} in {text}");
    }
}
