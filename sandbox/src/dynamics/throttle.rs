//! Service protection per flavour and client: a concurrency limit with an optional queue, and
//! a sliding-window request limit, both answering 429 with the reference's messages
//! (F&O §1.7: `Number of concurrent requests exceeded the limit of 52.`, `Number of requests
//! exceeded the limit of 6000 over the time window of 300 seconds.`; BC: `Too many requests
//! reached. Actual (101). Maximum (100).`, third-party evidence).

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, TimeDelta, Utc};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::config::ThrottleConfig;

/// Which flavour a limit belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Lane {
    Fno,
    Bc,
}

/// A refusal: message and `Retry-After` seconds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Refusal {
    pub(crate) message: String,
    pub(crate) retry_after: u64,
}

struct Client {
    capacity: usize,
    slots: Arc<Semaphore>,
    admitted: AtomicUsize,
    window: Mutex<VecDeque<DateTime<Utc>>>,
}

/// Per-client limiter state, shared by every request.
#[derive(Default)]
pub(crate) struct Throttle {
    clients: Mutex<HashMap<(Lane, String), Arc<Client>>>,
}

/// Held while a request runs; releases its slot on drop.
pub(crate) struct Admission {
    _permit: Option<OwnedSemaphorePermit>,
    client: Option<Arc<Client>>,
}

impl Drop for Admission {
    fn drop(&mut self) {
        if let Some(c) = &self.client {
            c.admitted.fetch_sub(1, Ordering::SeqCst);
        }
    }
}

impl Throttle {
    fn client(&self, lane: Lane, id: &str, capacity: usize) -> Arc<Client> {
        let mut g = self
            .clients
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let key = (lane, id.to_owned());
        match g.get(&key) {
            Some(c) if c.capacity == capacity => c.clone(),
            _ => {
                let c = Arc::new(Client {
                    capacity,
                    slots: Arc::new(Semaphore::new(capacity.clamp(1, Semaphore::MAX_PERMITS))),
                    admitted: AtomicUsize::new(0),
                    window: Mutex::new(VecDeque::new()),
                });
                g.insert(key, c.clone());
                c
            }
        }
    }

    /// Admit one request of `client` in `lane` under `cfg`, waiting for a slot if the queue
    /// allows it.
    ///
    /// # Errors
    ///
    /// A [`Refusal`] when the window or the concurrency limit (plus queue) is exceeded.
    pub(crate) async fn admit(
        &self,
        lane: Lane,
        client: &str,
        cfg: &ThrottleConfig,
        now: DateTime<Utc>,
    ) -> Result<Admission, Refusal> {
        let c = self.client(lane, client, cfg.max_concurrent.unwrap_or(usize::MAX));
        if let Some(max) = cfg.max_requests {
            let mut w = c
                .window
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let span = TimeDelta::from_std(cfg.window).unwrap_or(TimeDelta::seconds(300));
            let leaves = |t: &DateTime<Utc>| {
                t.checked_add_signed(span)
                    .unwrap_or(DateTime::<Utc>::MAX_UTC)
            };
            while w.front().is_some_and(|t| leaves(t) <= now) {
                w.pop_front();
            }
            if w.len() >= max {
                let oldest = w.front().copied().unwrap_or(now);
                let wait = leaves(&oldest)
                    .signed_duration_since(now)
                    .num_milliseconds()
                    .max(0);
                let secs = u64::try_from((wait + 999) / 1000).unwrap_or(1).max(1);
                let message = match lane {
                    Lane::Fno => format!(
                        "Number of requests exceeded the limit of {max} over the time window of {} seconds.",
                        span.num_seconds()
                    ),
                    Lane::Bc => format!(
                        "Too many requests reached. Actual ({}). Maximum ({max}).",
                        w.len() + 1
                    ),
                };
                return Err(Refusal {
                    message,
                    retry_after: secs,
                });
            }
            w.push_back(now);
        }
        let Some(max) = cfg.max_concurrent else {
            return Ok(Admission {
                _permit: None,
                client: None,
            });
        };
        let allowed = max.saturating_add(cfg.queue);
        let before = c.admitted.fetch_add(1, Ordering::SeqCst);
        // From here on the admission guard undoes the increment on every path.
        let mut admission = Admission {
            _permit: None,
            client: Some(c.clone()),
        };
        if before >= allowed {
            let message = match lane {
                Lane::Fno => format!("Number of concurrent requests exceeded the limit of {max}."),
                Lane::Bc => format!(
                    "Too many requests reached. Actual ({}). Maximum ({allowed}).",
                    before + 1
                ),
            };
            drop(admission);
            return Err(Refusal {
                message,
                retry_after: cfg.concurrency_retry_after_secs.max(1),
            });
        }
        match c.slots.clone().acquire_owned().await {
            Ok(p) => admission._permit = Some(p),
            Err(_) => {
                drop(admission);
                return Err(Refusal {
                    message: "The service is shutting down.".into(),
                    retry_after: 1,
                });
            }
        }
        Ok(admission)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn t0() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2024-05-01T18:00:00Z")
            .unwrap()
            .to_utc()
    }

    #[tokio::test]
    async fn concurrency_limit_without_queue() {
        let th = Throttle::default();
        let cfg = ThrottleConfig::unlimited().concurrency(1, 0);
        let a = th.admit(Lane::Fno, "c", &cfg, t0()).await.unwrap();
        let refused = th.admit(Lane::Fno, "c", &cfg, t0()).await.err().unwrap();
        assert_eq!(
            refused.message,
            "Number of concurrent requests exceeded the limit of 1."
        );
        assert!(th.admit(Lane::Fno, "other", &cfg, t0()).await.is_ok());
        drop(a);
        assert!(th.admit(Lane::Fno, "c", &cfg, t0()).await.is_ok());
    }

    #[tokio::test]
    async fn window_limit_and_retry_after() {
        let th = Throttle::default();
        let cfg = ThrottleConfig::unlimited().rate(2, Duration::from_secs(10));
        assert!(th.admit(Lane::Bc, "c", &cfg, t0()).await.is_ok());
        assert!(
            th.admit(Lane::Bc, "c", &cfg, t0() + TimeDelta::seconds(4))
                .await
                .is_ok()
        );
        let r = th
            .admit(Lane::Bc, "c", &cfg, t0() + TimeDelta::seconds(5))
            .await
            .err()
            .unwrap();
        assert_eq!(r.retry_after, 5);
        assert!(
            th.admit(Lane::Bc, "c", &cfg, t0() + TimeDelta::seconds(10))
                .await
                .is_ok()
        );
    }
}
