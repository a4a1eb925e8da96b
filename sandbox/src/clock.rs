//! The emulator's notion of "now", which tests can move.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, TimeDelta, Utc};

#[derive(Debug, Default)]
struct ClockState {
    frozen: Option<DateTime<Utc>>,
    offset: TimeDelta,
}

/// A shareable clock: the real UTC time plus an offset, or a frozen instant.
///
/// Cloning shares the clock, so a test can keep a clone and move time while an emulator
/// runs: token and session expiry, PayTrace's duplicate-transaction window and export
/// timestamps, Salesforce's event retention, Dynamics' token lifetimes all read this clock.
#[derive(Clone, Debug, Default)]
pub struct SandboxClock {
    state: Arc<Mutex<ClockState>>,
}

impl SandboxClock {
    /// A clock that follows the system time.
    #[must_use]
    pub fn system() -> Self {
        Self::default()
    }

    /// A clock frozen at `at` until moved.
    #[must_use]
    pub fn frozen_at(at: DateTime<Utc>) -> Self {
        let c = Self::default();
        c.freeze(at);
        c
    }

    fn with<R>(&self, f: impl FnOnce(&mut ClockState) -> R) -> R {
        let mut g = self
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        f(&mut g)
    }

    /// The current instant.
    #[must_use]
    pub fn now(&self) -> DateTime<Utc> {
        self.with(|s| match s.frozen {
            Some(t) => t,
            None => Utc::now()
                .checked_add_signed(s.offset)
                .unwrap_or_else(Utc::now),
        })
    }

    /// Move time forward (or back, with a negative delta).
    pub fn advance(&self, by: TimeDelta) {
        self.with(|s| match s.frozen.as_mut() {
            Some(t) => *t = t.checked_add_signed(by).unwrap_or(*t),
            None => s.offset = s.offset.checked_add(&by).unwrap_or(s.offset),
        });
    }

    /// Make "now" equal `at`; time keeps flowing from there (unless frozen).
    pub fn set(&self, at: DateTime<Utc>) {
        self.with(|s| match s.frozen.as_mut() {
            Some(t) => *t = at,
            None => s.offset = at.signed_duration_since(Utc::now()),
        });
    }

    /// Stop time at `at`.
    pub fn freeze(&self, at: DateTime<Utc>) {
        self.with(|s| s.frozen = Some(at));
    }

    /// Let time flow again from the frozen instant.
    pub fn unfreeze(&self) {
        self.with(|s| {
            if let Some(t) = s.frozen.take() {
                s.offset = t.signed_duration_since(Utc::now());
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advance_and_freeze() {
        let t0 = DateTime::parse_from_rfc3339("2024-05-01T12:00:00Z")
            .unwrap()
            .to_utc();
        let c = SandboxClock::frozen_at(t0);
        assert_eq!(c.now(), t0);
        c.advance(TimeDelta::hours(2));
        assert_eq!(c.now(), t0 + TimeDelta::hours(2));
        let shared = c.clone();
        shared.set(t0);
        assert_eq!(c.now(), t0);
        c.unfreeze();
        assert!(c.now() >= t0);
        let s = SandboxClock::system();
        let before = s.now();
        s.advance(TimeDelta::days(1));
        assert!(s.now() >= before + TimeDelta::hours(23));
    }
}
