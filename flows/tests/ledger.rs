#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The idempotency ledger: one behaviour suite for both implementations, then the file
//! ledger's durability.

mod common;

use std::path::Path;
use std::sync::Arc;

use flows::Error;
use flows::store::{Claim, Entry, EntryState, FileLedger, Ledger, MemoryLedger};
use mapping::idempotency::IdempotencyKey;
use mapping::retry::ErrorKind;
use serde_json::{Value, json};

fn key(n: usize) -> String {
    IdempotencyKey::derive("pt-sale", &[&format!("INV-{n}")]).into_string()
}

fn existing(claim: Claim) -> Entry {
    match claim {
        Claim::Existing(entry) => entry,
        Claim::Claimed { attempt } => {
            panic!("claimed (attempt {attempt}), expected an existing entry")
        }
    }
}

async fn claim_complete_and_replays_do_nothing(ledger: Arc<dyn Ledger>) {
    let k = key(1);
    let intent = json!({"invoice_id": "INV-1", "amount": "125.00"});
    assert_eq!(
        ledger.begin(&k, intent.clone()).await.unwrap(),
        Claim::Claimed { attempt: 1 }
    );

    // While the claimer works, others see it in progress, not to be reconciled.
    let entry = existing(ledger.begin(&k, json!({"other": true})).await.unwrap());
    assert_eq!(entry.state, EntryState::InProgress { orphaned: false });
    assert_eq!((entry.attempt, &entry.intent), (1, &intent));
    assert!(!entry.needs_reconcile());
    assert_eq!(entry.outcome(), None);

    let outcome = json!({"transaction_id": "123456789", "payment_id": "a0B5g00000XyZ"});
    let done = ledger.complete(&k, outcome.clone()).await.unwrap();
    assert_eq!(done.outcome(), Some(&outcome));
    assert!(done.updated_at >= done.claimed_at);

    // Replays find it completed, twice, and change nothing.
    for _ in 0..2 {
        let entry = existing(ledger.begin(&k, intent.clone()).await.unwrap());
        assert_eq!(entry, done);
    }
    assert_eq!(ledger.get(&k).await.unwrap(), Some(done));
    assert!(ledger.unresolved().await.unwrap().is_empty());

    // Completing twice is refused.
    let err = ledger.complete(&k, json!({})).await.unwrap_err();
    assert!(
        matches!(
            &err,
            Error::InvalidState {
                state: "completed",
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(err.kind(), ErrorKind::Conflict);
}

async fn retryable_failures_are_claimed_again_permanent_ones_stay(ledger: Arc<dyn Ledger>) {
    let retry = key(2);
    assert_eq!(
        ledger.begin(&retry, json!(1)).await.unwrap(),
        Claim::Claimed { attempt: 1 }
    );
    let failed = ledger.fail(&retry, "connect refused", true).await.unwrap();
    assert_eq!(
        failed.state,
        EntryState::Failed {
            reason: "connect refused".into(),
            retryable: true
        }
    );
    assert_eq!(
        ledger.begin(&retry, json!(2)).await.unwrap(),
        Claim::Claimed { attempt: 2 }
    );
    let entry = ledger.get(&retry).await.unwrap().unwrap();
    assert_eq!((entry.attempt, entry.intent), (2, json!(2)));
    assert_eq!(entry.state, EntryState::InProgress { orphaned: false });

    let declined = key(3);
    assert_eq!(
        ledger.begin(&declined, json!(1)).await.unwrap(),
        Claim::Claimed { attempt: 1 }
    );
    ledger
        .fail(&declined, "declined: insufficient funds", false)
        .await
        .unwrap();
    for _ in 0..2 {
        let entry = existing(ledger.begin(&declined, json!(1)).await.unwrap());
        assert!(matches!(
            entry.state,
            EntryState::Failed {
                retryable: false,
                ..
            }
        ));
        assert_eq!(entry.attempt, 1);
    }
    for err in [
        ledger.fail(&declined, "again", false).await.unwrap_err(),
        ledger.mark_unknown(&declined, "?").await.unwrap_err(),
        ledger.resolve(&declined, json!({})).await.unwrap_err(),
    ] {
        assert!(
            matches!(
                err,
                Error::InvalidState {
                    state: "failed",
                    ..
                }
            ),
            "{err}"
        );
    }
}

async fn unknown_outcomes_are_reconciled_then_resolved(ledger: Arc<dyn Ledger>) {
    let (lost, pending) = (key(4), key(5));
    let _ = ledger
        .begin(&lost, json!({"invoice_id": "INV-4"}))
        .await
        .unwrap();
    let _ = ledger
        .begin(&pending, json!({"invoice_id": "INV-5"}))
        .await
        .unwrap();
    let entry = ledger
        .mark_unknown(&lost, "read timeout after sending")
        .await
        .unwrap();
    assert!(entry.needs_reconcile());
    assert_eq!(
        entry.state,
        EntryState::Unknown {
            note: "read timeout after sending".into()
        }
    );

    // A replay must not redo it: it finds the unknown entry.
    assert!(existing(ledger.begin(&lost, json!({})).await.unwrap()).needs_reconcile());
    // The claimer may not complete an unknown entry; reconciliation resolves it.
    let err = ledger.complete(&lost, json!({})).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::InvalidState {
                state: "unknown",
                ..
            }
        ),
        "{err}"
    );

    let unresolved: Vec<String> = ledger
        .unresolved()
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.key)
        .collect();
    assert_eq!(unresolved, [lost.clone(), pending.clone()]);

    let found = json!({"transaction_id": "987654321"});
    let resolved = ledger.resolve(&lost, found.clone()).await.unwrap();
    assert_eq!(resolved.outcome(), Some(&found));
    // A second reconciler resolving too changes nothing.
    assert_eq!(
        ledger.resolve(&lost, json!({"other": 1})).await.unwrap(),
        resolved
    );
    assert_eq!(
        existing(ledger.begin(&lost, json!({})).await.unwrap()),
        resolved
    );

    // A reconciler that finds a decline fails the entry.
    ledger.mark_unknown(&pending, "reset").await.unwrap();
    ledger
        .fail(&pending, "found declined", false)
        .await
        .unwrap();
    assert!(ledger.unresolved().await.unwrap().is_empty());
}

async fn reclaim_lets_one_reconciler_redo_the_work(ledger: Arc<dyn Ledger>) {
    let k = key(6);
    let _ = ledger
        .begin(&k, json!({"invoice_id": "INV-6"}))
        .await
        .unwrap();
    ledger.mark_unknown(&k, "connection reset").await.unwrap();

    // Twenty reconcilers found no charge at PayTrace and all try to take over attempt 1.
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let ledger = Arc::clone(&ledger);
            let k = k.clone();
            tokio::spawn(async move { ledger.reclaim(&k, 1).await.unwrap() })
        })
        .collect();
    let mut claimed = 0;
    for task in tasks {
        match task.await.unwrap() {
            Claim::Claimed { attempt } => {
                assert_eq!(attempt, 2);
                claimed += 1;
            }
            Claim::Existing(entry) => assert_eq!(entry.attempt, 2),
        }
    }
    assert_eq!(claimed, 1);
    let entry = ledger.get(&k).await.unwrap().unwrap();
    assert_eq!(entry.intent, json!({"invoice_id": "INV-6"}));
    assert_eq!(entry.state, EntryState::InProgress { orphaned: false });
    ledger
        .complete(&k, json!({"transaction_id": "1"}))
        .await
        .unwrap();
    assert!(matches!(
        ledger.reclaim(&k, 2).await.unwrap(),
        Claim::Existing(_)
    ));

    let err = ledger.reclaim(&key(999), 1).await.unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }), "{err}");
    assert_eq!(err.kind(), ErrorKind::NotFound);
}

async fn concurrent_claims_of_one_key_give_exactly_one_claimed(ledger: Arc<dyn Ledger>) {
    for round in 0..5 {
        let k = key(100 + round);
        let tasks: Vec<_> = (0..50)
            .map(|task| {
                let ledger = Arc::clone(&ledger);
                let k = k.clone();
                tokio::spawn(
                    async move { ledger.begin(&k, json!({ "task": task })).await.unwrap() },
                )
            })
            .collect();
        let mut claimed = 0;
        for task in tasks {
            match task.await.unwrap() {
                Claim::Claimed { attempt: 1 } => claimed += 1,
                Claim::Claimed { attempt } => panic!("attempt {attempt}"),
                Claim::Existing(entry) => {
                    assert_eq!(entry.state, EntryState::InProgress { orphaned: false });
                }
            }
        }
        assert_eq!(claimed, 1, "round {round}");
    }
}

async fn concurrent_claims_of_many_keys_all_succeed(ledger: Arc<dyn Ledger>) {
    let tasks: Vec<_> = (0..64)
        .map(|n| {
            let ledger = Arc::clone(&ledger);
            tokio::spawn(async move {
                let k = key(200 + n);
                assert_eq!(
                    ledger.begin(&k, json!(n)).await.unwrap(),
                    Claim::Claimed { attempt: 1 }
                );
                ledger.complete(&k, json!({ "n": n })).await.unwrap();
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    for n in 0..64 {
        let entry = ledger.get(&key(200 + n)).await.unwrap().unwrap();
        assert_eq!(entry.outcome(), Some(&json!({ "n": n })));
    }
}

async fn bad_input_and_missing_keys_are_refused(ledger: Arc<dyn Ledger>) {
    for blank in ["", "  "] {
        let err = ledger.begin(blank, json!({})).await.unwrap_err();
        assert!(matches!(err, Error::InvalidInput { .. }), "{err}");
        assert_eq!(err.kind(), ErrorKind::Validation);
    }
    assert_eq!(ledger.get("never-claimed").await.unwrap(), None);
    for err in [
        ledger
            .complete("never-claimed", json!({}))
            .await
            .unwrap_err(),
        ledger.fail("never-claimed", "x", true).await.unwrap_err(),
        ledger.mark_unknown("never-claimed", "x").await.unwrap_err(),
        ledger
            .resolve("never-claimed", json!({}))
            .await
            .unwrap_err(),
    ] {
        assert!(
            matches!(
                err,
                Error::NotFound {
                    what: "ledger entry",
                    ..
                }
            ),
            "{err}"
        );
    }
}

async fn card_data_never_reaches_the_ledger(ledger: Arc<dyn Ledger>) {
    let k = key(7);
    let intent = json!({"invoice_id": "INV-7", "card": "4111111111111111", "cvv": "123", "order": "1234567812345678"});
    let _ = ledger.begin(&k, intent).await.unwrap();
    let entry = ledger.get(&k).await.unwrap().unwrap();
    assert_eq!(
        entry.intent,
        json!({"invoice_id": "INV-7", "card": "[REDACTED]", "cvv": "[REDACTED]", "order": "1234567812345678"})
    );
    ledger
        .mark_unknown(&k, "timeout charging 4111 1111 1111 1111")
        .await
        .unwrap();
    let entry = ledger
        .fail(&k, "declined 5555555555554444", false)
        .await
        .unwrap();
    assert_eq!(
        entry.state,
        EntryState::Failed {
            reason: "declined [REDACTED]".into(),
            retryable: false
        }
    );
    let k = key(8);
    let _ = ledger.begin(&k, json!({})).await.unwrap();
    let entry = ledger
        .complete(&k, json!({"pan": 4111111111111111u64, "id": "123456789"}))
        .await
        .unwrap();
    assert_eq!(
        entry.outcome(),
        Some(&json!({"pan": "[REDACTED]", "id": "123456789"}))
    );
}

common::for_both_stores!(MemoryLedger::new(), FileLedger;
    claim_complete_and_replays_do_nothing,
    retryable_failures_are_claimed_again_permanent_ones_stay,
    unknown_outcomes_are_reconciled_then_resolved,
    reclaim_lets_one_reconciler_redo_the_work,
    concurrent_claims_of_one_key_give_exactly_one_claimed,
    concurrent_claims_of_many_keys_all_succeed,
    bad_input_and_missing_keys_are_refused,
    card_data_never_reaches_the_ledger,
);

// ---- the file ledger ----

async fn open(dir: &Path) -> flows::Result<FileLedger> {
    FileLedger::open(dir).await
}

/// Change `i` cycles one key through claim, outcome and re-claim.
async fn write(ledger: &FileLedger, i: usize) -> flows::Result<()> {
    let k = key(i / 3);
    match i % 3 {
        0 => {
            let _ = ledger.begin(&k, json!({ "i": i })).await?;
        }
        1 if i.is_multiple_of(2) => {
            ledger.complete(&k, json!({ "i": i })).await?;
        }
        1 => {
            ledger.mark_unknown(&k, &format!("lost {i}")).await?;
        }
        _ => {
            if ledger.get(&k).await?.unwrap().needs_reconcile() {
                ledger.resolve(&k, json!({ "resolved": i })).await?;
            }
        }
    }
    Ok(())
}

async fn written(ledger: &FileLedger, i: usize) -> bool {
    let Some(entry) = ledger.get(&key(i / 3)).await.unwrap() else {
        return false;
    };
    match i % 3 {
        0 => true,
        1 => !matches!(entry.state, EntryState::InProgress { .. }),
        _ => !entry.needs_reconcile(),
    }
}

async fn snapshot(ledger: &FileLedger) -> Value {
    let mut entries = Vec::new();
    for n in 0..200 {
        entries.push(ledger.get(&key(n)).await.unwrap());
    }
    serde_json::to_value(entries).unwrap()
}

#[tokio::test]
async fn the_file_ledger_keeps_the_file_store_contract() {
    common::file_store_contract(
        "ledger",
        open,
        async |ledger: &FileLedger| ledger.compact().await,
        write,
        written,
        snapshot,
    )
    .await;
}

#[tokio::test]
async fn reopening_restores_every_state_and_orphans_claims_in_progress() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = FileLedger::open(dir.path()).await.unwrap();
    let keys: Vec<String> = (0..5).map(key).collect();
    for k in &keys {
        let _ = ledger.begin(k, json!({ "key": k })).await.unwrap();
    }
    ledger
        .complete(&keys[0], json!({"transaction_id": "1"}))
        .await
        .unwrap();
    ledger.fail(&keys[1], "declined", false).await.unwrap();
    ledger
        .fail(&keys[2], "connect refused", true)
        .await
        .unwrap();
    ledger.mark_unknown(&keys[3], "reset").await.unwrap();
    let before: Vec<Entry> = entries_of(&ledger, &keys).await;
    drop(ledger);

    let ledger = FileLedger::open(dir.path()).await.unwrap();
    let after = entries_of(&ledger, &keys).await;
    assert_eq!(after[..4], before[..4]);
    // The claim in progress belonged to the earlier run: now it must be reconciled.
    assert_eq!(after[4].state, EntryState::InProgress { orphaned: true });
    assert!(after[4].needs_reconcile());
    assert_eq!(
        Entry {
            state: EntryState::InProgress { orphaned: false },
            ..after[4].clone()
        },
        before[4]
    );
    let unresolved: Vec<String> = ledger
        .unresolved()
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.key)
        .collect();
    assert_eq!(unresolved, [keys[3].clone(), keys[4].clone()]);
    // A replay of the orphaned work sees it must reconcile; the reconciler reclaims it.
    assert!(existing(ledger.begin(&keys[4], json!({})).await.unwrap()).needs_reconcile());
    assert_eq!(
        ledger.reclaim(&keys[4], 1).await.unwrap(),
        Claim::Claimed { attempt: 2 }
    );
    // The retryable failure is claimable again after the restart.
    assert_eq!(
        ledger.begin(&keys[2], json!({})).await.unwrap(),
        Claim::Claimed { attempt: 2 }
    );
}

async fn entries_of(ledger: &FileLedger, keys: &[String]) -> Vec<Entry> {
    let mut entries = Vec::new();
    for k in keys {
        entries.push(ledger.get(k).await.unwrap().unwrap());
    }
    entries
}

#[tokio::test]
async fn the_log_is_one_json_line_per_change_in_the_documented_shape() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = FileLedger::open(dir.path()).await.unwrap();
    let _ = ledger
        .begin("k-1", json!({"invoice_id": "INV-1"}))
        .await
        .unwrap();
    ledger
        .complete("k-1", json!({"transaction_id": "123"}))
        .await
        .unwrap();
    let text = std::fs::read_to_string(dir.path().join("ledger.jsonl")).unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["state"], "in_progress");
    assert_eq!(lines[1]["state"], "completed");
    for (line, expected) in lines
        .iter()
        .zip([None, Some(json!({"transaction_id": "123"}))])
    {
        assert_eq!(line["key"], "k-1");
        assert_eq!(line["attempt"], 1);
        assert_eq!(line["intent"], json!({"invoice_id": "INV-1"}));
        assert_eq!(line.get("outcome").cloned(), expected);
        assert!(line["claimed_at"].is_string() && line["updated_at"].is_string());
    }
}

/// A real crash: a child process (this test binary) writes to the ledger until it is killed
/// with SIGKILL; every write it acknowledged is there, and its lock is taken over.
#[cfg(target_os = "linux")]
#[tokio::test]
async fn a_killed_process_loses_no_acknowledged_write() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};

    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "crash_child_writer",
            "--include-ignored",
            "--nocapture",
        ])
        .env("FLOWS_CRASH_DIR", dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut last_acked = None;
    for line in BufReader::new(child.stdout.take().unwrap()).lines() {
        if let Some(n) = line.unwrap().strip_prefix("acked ") {
            last_acked = Some(n.parse::<usize>().unwrap());
            if last_acked >= Some(50) {
                break;
            }
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let last_acked = last_acked.expect("the child acknowledged writes");
    assert!(
        dir.path().join("ledger.lock").exists(),
        "the killed process left its lock"
    );

    let ledger = FileLedger::open(dir.path()).await.unwrap();
    for n in 0..=last_acked {
        let entry = ledger
            .get(&key(n))
            .await
            .unwrap()
            .expect("acknowledged entry");
        assert_eq!(entry.outcome(), Some(&json!({ "n": n })), "entry {n}");
    }
}

/// The child of [`a_killed_process_loses_no_acknowledged_write`]; does nothing on its own.
#[tokio::test]
#[ignore = "run by a_killed_process_loses_no_acknowledged_write"]
async fn crash_child_writer() {
    let Some(dir) = std::env::var_os("FLOWS_CRASH_DIR") else {
        return;
    };
    let ledger = FileLedger::open(dir).await.unwrap();
    for n in 0.. {
        let _ = ledger.begin(&key(n), json!({ "n": n })).await.unwrap();
        ledger.complete(&key(n), json!({ "n": n })).await.unwrap();
        println!("acked {n}");
    }
}
