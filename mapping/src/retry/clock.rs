//! [`Clock`]: where the retry machinery reads the time, injectable for tests.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime};

/// A source of the current time.
///
/// [`now`](Self::now) is monotonic and measures elapsed time and token expiry;
/// [`system_now`](Self::system_now) is wall-clock time, needed to turn an HTTP-date
/// `Retry-After` into a wait.
pub trait Clock: Send + Sync {
    /// The current monotonic instant.
    fn now(&self) -> Instant;
    /// The current wall-clock time.
    fn system_now(&self) -> SystemTime;
}

impl<C: Clock + ?Sized> Clock for Arc<C> {
    fn now(&self) -> Instant {
        (**self).now()
    }
    fn system_now(&self) -> SystemTime {
        (**self).system_now()
    }
}

/// The real clock: [`Instant::now`] and [`SystemTime::now`].
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Instant {
        Instant::now()
    }
    fn system_now(&self) -> SystemTime {
        SystemTime::now()
    }
}

/// A clock that moves only when told to, for tests. Clones share the same time, so a test
/// can keep one handle and give another to the code under test.
///
/// ```
/// use std::time::Duration;
/// use mapping::retry::{Clock, ManualClock};
///
/// let clock = ManualClock::new();
/// let start = clock.now();
/// clock.advance(Duration::from_secs(5));
/// assert_eq!(clock.now() - start, Duration::from_secs(5));
/// ```
#[derive(Debug, Clone)]
pub struct ManualClock {
    inner: Arc<ManualClockInner>,
}

#[derive(Debug)]
struct ManualClockInner {
    // `Instant` cannot be built from a number, so the clock is a fixed origin plus an
    // offset that only grows.
    origin: Instant,
    system_origin: SystemTime,
    offset: Mutex<Duration>,
}

impl ManualClock {
    /// A clock standing at the moment it was created, with a wall-clock time of
    /// 2025-01-01T00:00:00Z (a fixed date keeps HTTP-date tests reproducible).
    pub fn new() -> Self {
        ManualClock::at(SystemTime::UNIX_EPOCH + Duration::from_secs(1_735_689_600))
    }

    /// A clock whose wall-clock time starts at `system_time`.
    pub fn at(system_time: SystemTime) -> Self {
        ManualClock {
            inner: Arc::new(ManualClockInner {
                origin: Instant::now(),
                system_origin: system_time,
                offset: Mutex::new(Duration::ZERO),
            }),
        }
    }

    /// Moves both times forward by `by`. An advance past what `Instant` or `SystemTime` can
    /// represent is ignored rather than panicking.
    pub fn advance(&self, by: Duration) {
        let mut offset = self.offset_guard();
        let Some(next) = offset.checked_add(by) else {
            return;
        };
        let representable = self.inner.origin.checked_add(next).is_some()
            && self.inner.system_origin.checked_add(next).is_some();
        if representable {
            *offset = next;
        }
    }

    /// How far the clock has been advanced since it was created.
    pub fn elapsed(&self) -> Duration {
        *self.offset_guard()
    }

    fn offset_guard(&self) -> std::sync::MutexGuard<'_, Duration> {
        // The guarded value is a plain Duration, valid even after a panic elsewhere.
        self.inner
            .offset
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

impl Default for ManualClock {
    fn default() -> Self {
        ManualClock::new()
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Instant {
        let offset = self.elapsed();
        // `advance` only stores representable offsets, so this never falls back in practice.
        self.inner
            .origin
            .checked_add(offset)
            .unwrap_or(self.inner.origin)
    }

    fn system_now(&self) -> SystemTime {
        let offset = self.elapsed();
        self.inner
            .system_origin
            .checked_add(offset)
            .unwrap_or(self.inner.system_origin)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_moves_both_times_together_and_clones_share_time() {
        let clock = ManualClock::new();
        let other = clock.clone();
        let (i0, s0) = (clock.now(), clock.system_now());
        other.advance(Duration::from_millis(1500));
        assert_eq!(clock.now() - i0, Duration::from_millis(1500));
        assert_eq!(
            clock.system_now().duration_since(s0).unwrap(),
            Duration::from_millis(1500)
        );
        assert_eq!(clock.elapsed(), Duration::from_millis(1500));
    }

    #[test]
    fn manual_clock_ignores_unrepresentable_advance() {
        let clock = ManualClock::new();
        clock.advance(Duration::from_secs(1));
        clock.advance(Duration::MAX);
        assert_eq!(clock.elapsed(), Duration::from_secs(1));
    }

    #[test]
    fn system_clock_is_monotonic() {
        let a = SystemClock.now();
        let b = SystemClock.now();
        assert!(b >= a);
    }
}
