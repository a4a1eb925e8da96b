//! Exactly-once plumbing shared by use cases 4–8: claiming a record's key in the ledger for
//! work made of idempotent steps, and settling the record's dead letters once it succeeds.
//!
//! Money-moving steps do not use [`claim`]: they reconcile an unknown outcome with PayTrace
//! before anything else (see each flow).

use std::time::Duration;

use chrono::Utc;
use serde_json::Value;

use crate::error::Result;
use crate::store::{Claim, DeadLetterFilter, DeadLetterStore, EntryState, Ledger};

/// A claim older than this whose claimer is in this process is taken to be dropped: a
/// record's idempotent steps never take this long (their retries included).
const STALE_CLAIM: Duration = Duration::from_secs(15 * 60);

/// What [`claim`] found.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Turn {
    /// The key is ours: do the work, then complete or fail it.
    Mine,
    /// Done before, with this outcome.
    Done(Value),
    /// Failed for good before: it is in the dead letters.
    Failed(String),
    /// Another task is on it now.
    Busy,
}

/// Claims `key` for work whose every step is idempotent. A claim whose claimer is gone
/// (orphaned, unknown, or stale) is taken over: repeating the steps is safe.
pub(crate) async fn claim(ledger: &dyn Ledger, key: &str, intent: Value) -> Result<Turn> {
    let entry = match ledger.begin(key, intent).await? {
        Claim::Claimed { .. } => return Ok(Turn::Mine),
        Claim::Existing(entry) => entry,
    };
    let stale = Utc::now()
        .signed_duration_since(entry.claimed_at)
        .to_std()
        .is_ok_and(|age| age > STALE_CLAIM);
    match &entry.state {
        EntryState::Completed { outcome } => Ok(Turn::Done(outcome.clone())),
        EntryState::Failed { reason, .. } => Ok(Turn::Failed(reason.clone())),
        EntryState::InProgress { .. } if !entry.needs_reconcile() && !stale => Ok(Turn::Busy),
        _ => match ledger.reclaim(key, entry.attempt).await? {
            Claim::Claimed { .. } => Ok(Turn::Mine),
            Claim::Existing(_) => Ok(Turn::Busy),
        },
    }
}

/// Marks the pending dead letters of `key` in `flow` replayed: the record has gone through
/// since they were written.
pub(crate) async fn settle_letters(
    letters: &dyn DeadLetterStore,
    flow: &str,
    key: &str,
) -> Result<()> {
    let filter = DeadLetterFilter {
        flow: Some(flow.to_owned()),
        key: Some(key.to_owned()),
        ..DeadLetterFilter::pending()
    };
    for letter in letters.list(&filter).await? {
        letters.mark_replayed(&letter.id).await?;
    }
    Ok(())
}

/// Ends the replay of a record that has moved on since its letters were written (done by a
/// later run, or no longer waiting): the letters are marked replayed, the record skipped.
pub(crate) async fn moved_on(
    systems: &crate::Systems,
    recorder: &crate::report::Recorder,
    flow: &str,
    key: &str,
) -> Result<()> {
    settle_letters(systems.stores.dead_letters.as_ref(), flow, key).await?;
    recorder.finished(key, crate::report::Outcome::Skipped);
    Ok(())
}

/// A failed step of a record, with the system and object to count its dead letter against.
pub(crate) type Failed = (
    crate::step::StepFailure,
    crate::report::Target,
    &'static str,
);

/// Tags a failure of a step on `object` in `system`.
pub(crate) fn on(
    system: crate::report::Target,
    object: &'static str,
) -> impl Fn(crate::step::StepFailure) -> Failed + Copy {
    move |failure| (failure, system, object)
}

/// Dead-letters the record of `step` with `payload` and records how it ended.
pub(crate) async fn give_up(
    step: &crate::step::Step<'_>,
    (failure, system, object): Failed,
    payload: Value,
) -> Result<()> {
    let outcome = step.dead_letter(failure, system, object, payload).await?;
    step.recorder.finished(step.key, outcome);
    Ok(())
}
