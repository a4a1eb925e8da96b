//! [`Sleeper`]: how the send loop waits between attempts, injectable for tests.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use futures::future::BoxFuture;

use super::ManualClock;

/// Waits for a duration. Production code uses [`TokioSleeper`]; tests use
/// [`RecordingSleeper`], which returns at once and remembers what was asked.
pub trait Sleeper: Send + Sync {
    /// A future that completes after `duration`.
    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()>;
}

impl<S: Sleeper + ?Sized> Sleeper for Arc<S> {
    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()> {
        (**self).sleep(duration)
    }
}

/// Sleeps with [`tokio::time::sleep`] (so it also follows tokio's paused test time).
#[derive(Debug, Clone, Copy, Default)]
pub struct TokioSleeper;

impl Sleeper for TokioSleeper {
    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()> {
        Box::pin(tokio::time::sleep(duration))
    }
}

/// Does not sleep: records each requested delay and returns at once. Optionally advances a
/// [`ManualClock`] by the delay, so time budgets and token expiry behave as if it had slept.
/// Clones share the record.
///
/// ```
/// use std::time::Duration;
/// use mapping::retry::{RecordingSleeper, Sleeper};
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let sleeper = RecordingSleeper::new();
/// sleeper.sleep(Duration::from_millis(250)).await;
/// assert_eq!(sleeper.delays(), [Duration::from_millis(250)]);
/// # });
/// ```
#[derive(Debug, Clone, Default)]
pub struct RecordingSleeper {
    delays: Arc<Mutex<Vec<Duration>>>,
    clock: Option<ManualClock>,
}

impl RecordingSleeper {
    /// A sleeper that only records.
    pub fn new() -> Self {
        RecordingSleeper::default()
    }

    /// A sleeper that records and advances `clock` by each delay.
    pub fn advancing(clock: ManualClock) -> Self {
        RecordingSleeper {
            delays: Arc::default(),
            clock: Some(clock),
        }
    }

    /// The delays requested so far, in order.
    pub fn delays(&self) -> Vec<Duration> {
        self.delays
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl Sleeper for RecordingSleeper {
    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()> {
        self.delays
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(duration);
        if let Some(clock) = &self.clock {
            clock.advance(duration);
        }
        Box::pin(std::future::ready(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::retry::Clock;

    #[tokio::test]
    async fn recording_sleeper_records_and_advances_its_clock() {
        let clock = ManualClock::new();
        let start = clock.now();
        let sleeper = RecordingSleeper::advancing(clock.clone());
        let shared = sleeper.clone();
        sleeper.sleep(Duration::from_secs(2)).await;
        shared.sleep(Duration::from_millis(500)).await;
        assert_eq!(
            sleeper.delays(),
            [Duration::from_secs(2), Duration::from_millis(500)]
        );
        assert_eq!(clock.now() - start, Duration::from_millis(2500));
    }

    #[tokio::test(start_paused = true)]
    async fn tokio_sleeper_follows_tokio_time() {
        let start = tokio::time::Instant::now();
        TokioSleeper.sleep(Duration::from_secs(3)).await;
        assert_eq!(start.elapsed(), Duration::from_secs(3));
    }
}
