//! Salesforce's own failures, injected into authenticated REST calls, deterministically
//! (rules: "the next 2 POSTs get `UNABLE_TO_LOCK_ROW`") or by rate (seedable).
//!
//! These complement the shared [`FaultPlan`](crate::fault::FaultPlan) (bare 5xx, 429,
//! latency, lost responses), which the server applies before the emulator sees a request.
//! A Salesforce fault answers with Salesforce's error body and changes no state.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

use super::errors::SfError;
use crate::fault::PathMatch;

/// A Salesforce failure.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum SalesforceFault {
    /// `403 REQUEST_LIMIT_EXCEEDED`, "ConcurrentRequests (Concurrent API Requests) Limit
    /// exceeded." — retryable with backoff.
    ConcurrentRequestLimit,
    /// `403 REQUEST_LIMIT_EXCEEDED`, "TotalRequests Limit exceeded." — the daily
    /// allocation; not retryable.
    DailyRequestLimit,
    /// `400 UNABLE_TO_LOCK_ROW` — retryable with backoff and jitter.
    UnableToLockRow,
    /// `503 SERVER_UNAVAILABLE` with a Salesforce body.
    ServerUnavailable,
    /// `500 UNKNOWN_EXCEPTION`.
    UnknownException,
    /// `401 INVALID_SESSION_ID` "Session expired or invalid" without expiring the token.
    InvalidSession,
}

impl SalesforceFault {
    pub(crate) fn error(self, record_id: Option<&str>) -> SfError {
        match self {
            Self::ConcurrentRequestLimit => SfError::concurrent_limit(),
            Self::DailyRequestLimit => SfError::total_limit(),
            Self::UnableToLockRow => SfError::unable_to_lock_row(record_id),
            Self::ServerUnavailable => SfError::server_unavailable(),
            Self::UnknownException => SfError::unknown_exception(),
            Self::InvalidSession => SfError::session_expired(),
        }
    }
}

/// A one-shot failure of Bulk API 2.0 processing or of the Streaming API (CometD), armed
/// with [`SalesforceFaults::arm`]: each armed use fires once, on the next occasion.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum AsyncFault {
    /// The next Bulk API 2.0 job to start processing (ingest or query) ends `Failed`, with an
    /// `errorMessage` and its rows unprocessed.
    BulkJobFailed,
    /// The next ingest row fails with `UNABLE_TO_LOCK_ROW` (one row per armed use).
    BulkRowLock,
    /// The next `/meta/connect` answers `503::Server is too busy` with retry advice.
    CometdTooBusy,
    /// The next `/meta/connect` answers `403::Unknown client` (advice: handshake) and forgets
    /// the client.
    CometdUnknownClient,
}

/// A deterministic Salesforce fault.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SalesforceFaultRule {
    /// Which request paths it applies to.
    pub matcher: PathMatch,
    /// HTTP methods it applies to (`"POST"`, …); empty = all.
    pub methods: Vec<String>,
    /// The failure.
    pub fault: SalesforceFault,
    /// Remaining uses; `None` = forever. The rule is removed when it reaches zero.
    pub times: Option<u32>,
}

impl SalesforceFaultRule {
    /// `fault` for every request matching `matcher`.
    #[must_use]
    pub fn new(matcher: PathMatch, fault: SalesforceFault) -> Self {
        Self {
            matcher,
            methods: Vec::new(),
            fault,
            times: None,
        }
    }

    /// Only for these methods.
    #[must_use]
    pub fn methods(mut self, methods: &[&str]) -> Self {
        self.methods = methods.iter().map(|m| m.to_ascii_uppercase()).collect();
        self
    }

    /// Only the next `n` matching requests.
    #[must_use]
    pub fn times(mut self, n: u32) -> Self {
        self.times = Some(n);
        self
    }

    fn matches(&self, method: &str, path: &str) -> bool {
        self.times != Some(0)
            && self.matcher.matches(path)
            && (self.methods.is_empty()
                || self.methods.iter().any(|m| m.eq_ignore_ascii_case(method)))
    }
}

/// A random Salesforce fault.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SalesforceFaultRate {
    /// The failure.
    pub fault: SalesforceFault,
    /// Probability in `0.0..=1.0` per request.
    pub probability: f64,
}

/// Salesforce fault configuration; the default injects nothing.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SalesforceFaultPlan {
    /// RNG seed for the rates; `None` seeds from the OS.
    pub seed: Option<u64>,
    /// Random faults, drawn in order (one draw each per request).
    pub rates: Vec<SalesforceFaultRate>,
    /// Paths the rates apply to; empty = all.
    pub scope: Vec<PathMatch>,
    /// Deterministic rules, checked before the rates.
    pub rules: Vec<SalesforceFaultRule>,
}

impl SalesforceFaultPlan {
    /// An empty plan.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Seed the rates.
    #[must_use]
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }

    /// Inject `fault` in a fraction `probability` of requests.
    #[must_use]
    pub fn rate(mut self, fault: SalesforceFault, probability: f64) -> Self {
        self.rates.push(SalesforceFaultRate { fault, probability });
        self
    }

    /// Add a rule.
    #[must_use]
    pub fn rule(mut self, rule: SalesforceFaultRule) -> Self {
        self.rules.push(rule);
        self
    }
}

#[derive(Debug)]
struct Inner {
    plan: SalesforceFaultPlan,
    rng: StdRng,
    counts: BTreeMap<SalesforceFault, u64>,
    armed: BTreeMap<AsyncFault, u32>,
    async_counts: BTreeMap<AsyncFault, u64>,
}

fn rng_for(seed: Option<u64>) -> StdRng {
    seed.map_or_else(StdRng::from_os_rng, StdRng::seed_from_u64)
}

/// The live Salesforce fault state: cheap to clone (shared), changeable while serving.
#[derive(Clone, Debug)]
pub struct SalesforceFaults {
    inner: Arc<Mutex<Inner>>,
}

impl Default for SalesforceFaults {
    fn default() -> Self {
        Self::new(SalesforceFaultPlan::default())
    }
}

impl SalesforceFaults {
    /// Start with `plan`.
    #[must_use]
    pub fn new(plan: SalesforceFaultPlan) -> Self {
        Self {
            inner: Arc::new(Mutex::new(Inner {
                rng: rng_for(plan.seed),
                plan,
                counts: BTreeMap::new(),
                armed: BTreeMap::new(),
                async_counts: BTreeMap::new(),
            })),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Replace the plan (the RNG is re-seeded; counts are kept).
    pub fn set(&self, plan: SalesforceFaultPlan) {
        let mut g = self.lock();
        g.rng = rng_for(plan.seed);
        g.plan = plan;
    }

    /// Remove every Salesforce fault (armed [`AsyncFault`]s included).
    pub fn clear(&self) {
        self.set(SalesforceFaultPlan::default());
        self.lock().armed.clear();
    }

    /// Arm `fault` for its next `n` occasions (added to what is already armed).
    pub fn arm(&self, fault: AsyncFault, n: u32) {
        let mut g = self.lock();
        let e = g.armed.entry(fault).or_insert(0);
        *e = e.saturating_add(n);
    }

    /// Uses of `fault` still armed.
    #[must_use]
    pub fn armed(&self, fault: AsyncFault) -> u32 {
        self.lock().armed.get(&fault).copied().unwrap_or(0)
    }

    /// How many times an armed `fault` fired.
    #[must_use]
    pub fn async_count(&self, fault: AsyncFault) -> u64 {
        self.lock().async_counts.get(&fault).copied().unwrap_or(0)
    }

    /// Use one armed `fault`, if any (counted).
    pub(crate) fn take(&self, fault: AsyncFault) -> bool {
        let mut g = self.lock();
        let inner = &mut *g;
        match inner.armed.get_mut(&fault) {
            Some(n) if *n > 0 => {
                *n -= 1;
                if *n == 0 {
                    inner.armed.remove(&fault);
                }
                *inner.async_counts.entry(fault).or_insert(0) += 1;
                true
            }
            _ => false,
        }
    }

    /// The current plan, with remaining rule uses.
    #[must_use]
    pub fn plan(&self) -> SalesforceFaultPlan {
        self.lock().plan.clone()
    }

    /// Append a rule.
    pub fn add_rule(&self, rule: SalesforceFaultRule) {
        self.lock().plan.rules.push(rule);
    }

    /// `fault` for the next `n` REST requests, whatever their path.
    pub fn fail_next(&self, n: u32, fault: SalesforceFault) {
        self.add_rule(SalesforceFaultRule::new(PathMatch::Any, fault).times(n));
    }

    /// `fault` for the next `n` requests with `method` (e.g. `"PATCH"`).
    pub fn fail_next_method(&self, n: u32, method: &str, fault: SalesforceFault) {
        self.add_rule(
            SalesforceFaultRule::new(PathMatch::Any, fault)
                .methods(&[method])
                .times(n),
        );
    }

    /// `fault` for a fraction `probability` of requests (added to the running plan).
    pub fn set_rate(&self, fault: SalesforceFault, probability: f64) {
        let mut g = self.lock();
        g.plan.rates.retain(|r| r.fault != fault);
        g.plan
            .rates
            .push(SalesforceFaultRate { fault, probability });
    }

    /// How many times each fault fired.
    #[must_use]
    pub fn counts(&self) -> BTreeMap<SalesforceFault, u64> {
        self.lock().counts.clone()
    }

    /// How many times `fault` fired.
    #[must_use]
    pub fn count(&self, fault: SalesforceFault) -> u64 {
        self.lock().counts.get(&fault).copied().unwrap_or(0)
    }

    /// The fault for one request, if any (counted).
    pub(crate) fn decide(&self, method: &str, path: &str) -> Option<SalesforceFault> {
        let mut g = self.lock();
        let inner = &mut *g;
        let mut fired = None;
        if let Some(i) = inner
            .plan
            .rules
            .iter()
            .position(|r| r.matches(method, path))
        {
            let rule = &mut inner.plan.rules[i];
            fired = Some(rule.fault);
            if let Some(t) = rule.times.as_mut() {
                *t = t.saturating_sub(1);
                if *t == 0 {
                    inner.plan.rules.remove(i);
                }
            }
        } else if inner.plan.scope.is_empty() || inner.plan.scope.iter().any(|m| m.matches(path)) {
            for r in &inner.plan.rates {
                let x: f64 = inner.rng.random();
                if fired.is_none() && r.probability.is_finite() && x < r.probability {
                    fired = Some(r.fault);
                }
            }
        }
        if let Some(f) = fired {
            *inner.counts.entry(f).or_insert(0) += 1;
        }
        fired
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_then_rates() {
        let f = SalesforceFaults::default();
        f.fail_next_method(1, "post", SalesforceFault::UnableToLockRow);
        assert_eq!(f.decide("GET", "/x"), None);
        assert_eq!(
            f.decide("POST", "/x"),
            Some(SalesforceFault::UnableToLockRow)
        );
        assert_eq!(f.decide("POST", "/x"), None);
        f.set_rate(SalesforceFault::ServerUnavailable, 1.0);
        assert_eq!(
            f.decide("GET", "/x"),
            Some(SalesforceFault::ServerUnavailable)
        );
        assert_eq!(f.count(SalesforceFault::ServerUnavailable), 1);
        f.clear();
        assert_eq!(f.decide("GET", "/x"), None);

        let plan = SalesforceFaultPlan::new()
            .seed(9)
            .rate(SalesforceFault::ConcurrentRequestLimit, 0.3);
        let a = SalesforceFaults::new(plan.clone());
        let b = SalesforceFaults::new(plan);
        let da: Vec<_> = (0..100).map(|_| a.decide("GET", "/p")).collect();
        let db: Vec<_> = (0..100).map(|_| b.decide("GET", "/p")).collect();
        assert_eq!(da, db);
        assert!(da.iter().any(Option::is_some) && da.iter().any(Option::is_none));
        let json = serde_json::to_string(&a.plan()).unwrap();
        assert!(json.contains("concurrent_request_limit"));

        a.arm(AsyncFault::CometdTooBusy, 2);
        assert_eq!(a.armed(AsyncFault::CometdTooBusy), 2);
        assert!(a.take(AsyncFault::CometdTooBusy));
        assert!(a.take(AsyncFault::CometdTooBusy));
        assert!(!a.take(AsyncFault::CometdTooBusy));
        assert!(!a.take(AsyncFault::BulkJobFailed));
        assert_eq!(a.async_count(AsyncFault::CometdTooBusy), 2);
        a.arm(AsyncFault::BulkRowLock, 1);
        a.clear();
        assert_eq!(a.armed(AsyncFault::BulkRowLock), 0);
    }
}
