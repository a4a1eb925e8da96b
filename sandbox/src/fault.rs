//! Fault injection shared by every emulator.
//!
//! A [`FaultPlan`] is plain, serde-able configuration: random faults (5xx, 429 with
//! `Retry-After`, added latency, lost responses) drawn from a seedable RNG, plus
//! deterministic [`FaultRule`]s for tests ("fail the next 2 requests with 503", "drop the
//! response of the next request to `/v1/transactions/sale/keyed`").
//!
//! A [`FaultController`] holds the plan of a running server. It can be replaced or amended at
//! any time (`handle.faults().set(plan)`), and it counts every fault that fired
//! ([`FaultCounts`]). The server in [`crate::server`] asks it for a [`FaultDecision`] before
//! each request and carries the decision out.
//!
//! # Order of evaluation
//!
//! For each request: the first deterministic rule that matches the path and has uses left
//! fires (a [`FaultAction::Delay`] rule only adds latency and evaluation goes on). Then, if the
//! path is in the plan's [`scope`](FaultPlan::scope) (empty scope = every path), the random
//! faults are drawn in a fixed order — latency, 429, 5xx, lost response — so the same seed and
//! the same sequence of requests give the same decisions.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

/// Which request paths a rule or the random faults apply to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum PathMatch {
    /// Every path.
    Any,
    /// Exactly this path (no query string), e.g. `/v1/transactions/sale/keyed`.
    Exact(String),
    /// Every path starting with this prefix, e.g. `/v1/transactions/`.
    Prefix(String),
}

impl PathMatch {
    /// Whether `path` (without query string) matches.
    #[must_use]
    pub fn matches(&self, path: &str) -> bool {
        match self {
            Self::Any => true,
            Self::Exact(p) => p == path,
            Self::Prefix(p) => path.starts_with(p.as_str()),
        }
    }
}

/// What a deterministic rule does to a request it matches.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
#[non_exhaustive]
pub enum FaultAction {
    /// Answer with this HTTP status without running the handler (no state change). With
    /// `retry_after_secs`, a `Retry-After` header (seconds) is added.
    Status {
        /// HTTP status, e.g. 500, 502, 503 or 429.
        status: u16,
        /// Value of the `Retry-After` header in seconds, if any.
        retry_after_secs: Option<u64>,
    },
    /// Wait this long, then handle the request normally.
    Delay {
        /// Added latency in milliseconds.
        millis: u64,
    },
    /// Run the handler (its state change is committed), then close the connection without
    /// writing a response: the client cannot learn the outcome.
    DropResponse,
    /// Close the connection without running the handler and without a response: nothing
    /// happened on the server, but the client cannot know that either.
    DropRequest,
}

impl FaultAction {
    /// A `429 Too Many Requests` with `Retry-After: retry_after_secs`.
    #[must_use]
    pub fn throttle(retry_after_secs: u64) -> Self {
        Self::Status {
            status: 429,
            retry_after_secs: Some(retry_after_secs),
        }
    }

    /// A plain error status (e.g. 500, 502, 503) without `Retry-After`.
    #[must_use]
    pub fn status(status: u16) -> Self {
        Self::Status {
            status,
            retry_after_secs: None,
        }
    }
}

/// A deterministic fault: when a request matches, the action fires, `times` times or forever.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaultRule {
    /// Which paths the rule applies to.
    pub matcher: PathMatch,
    /// What happens to a matching request.
    pub action: FaultAction,
    /// How many more requests it fires for; `None` = every matching request. A rule whose
    /// count reaches zero is removed from the plan.
    pub times: Option<u32>,
}

impl FaultRule {
    /// Apply `action` to every request matching `matcher`.
    #[must_use]
    pub fn new(matcher: PathMatch, action: FaultAction) -> Self {
        Self {
            matcher,
            action,
            times: None,
        }
    }

    /// Apply `action` to the next `n` requests, whatever their path.
    #[must_use]
    pub fn next(n: u32, action: FaultAction) -> Self {
        Self::new(PathMatch::Any, action).times(n)
    }

    /// Apply `action` to every request whose path is exactly `path`.
    #[must_use]
    pub fn path(path: impl Into<String>, action: FaultAction) -> Self {
        Self::new(PathMatch::Exact(path.into()), action)
    }

    /// Limit the rule to the next `n` matching requests.
    #[must_use]
    pub fn times(mut self, n: u32) -> Self {
        self.times = Some(n);
        self
    }
}

/// Random 5xx responses.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ServerErrorFault {
    /// Probability in `0.0..=1.0` that a request gets a 5xx.
    pub probability: f64,
    /// Statuses to choose from uniformly (e.g. `[500, 502, 503]`); empty means 500.
    pub statuses: Vec<u16>,
}

/// Random `429 Too Many Requests`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ThrottleFault {
    /// Probability in `0.0..=1.0` that a request gets a 429.
    pub probability: f64,
    /// `Retry-After` value in seconds.
    pub retry_after_secs: u64,
}

/// Latency added before a request is handled.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
#[non_exhaustive]
pub enum Latency {
    /// Always this many milliseconds.
    Fixed {
        /// Milliseconds.
        millis: u64,
    },
    /// Uniformly between `min_millis` and `max_millis` (inclusive).
    Range {
        /// Lower bound, milliseconds.
        min_millis: u64,
        /// Upper bound, milliseconds.
        max_millis: u64,
    },
}

/// Fault configuration of one server. `FaultPlan::default()` injects nothing.
///
/// ```
/// use std::time::Duration;
/// use sandbox::fault::{FaultAction, FaultPlan, FaultRule};
///
/// let chaos = FaultPlan::new()
///     .seed(42)
///     .server_errors(0.05, [500, 502, 503])
///     .throttle(0.02, 1)
///     .latency_range(Duration::from_millis(5), Duration::from_millis(50))
///     .drop_responses(0.01)
///     .rule(FaultRule::next(1, FaultAction::status(503)));
/// let json = serde_json::to_string(&chaos).unwrap();
/// let back: FaultPlan = serde_json::from_str(&json).unwrap();
/// assert_eq!(back, chaos);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct FaultPlan {
    /// Seed of the RNG that draws random faults; `None` seeds from the OS.
    pub seed: Option<u64>,
    /// Random 5xx responses.
    pub server_error: Option<ServerErrorFault>,
    /// Random 429 responses.
    pub throttle: Option<ThrottleFault>,
    /// Added latency.
    pub latency: Option<Latency>,
    /// Probability that a response is lost after the handler ran (see
    /// [`FaultAction::DropResponse`]).
    pub drop_response_probability: f64,
    /// Paths the random faults apply to; empty = every path. Rules have their own matcher.
    pub scope: Vec<PathMatch>,
    /// Deterministic rules, evaluated in order before the random faults.
    pub rules: Vec<FaultRule>,
}

impl FaultPlan {
    /// An empty plan (no faults).
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Seed the RNG so a chaos run is reproducible.
    #[must_use]
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }

    /// Answer a fraction `probability` of requests with one of `statuses`.
    #[must_use]
    pub fn server_errors(
        mut self,
        probability: f64,
        statuses: impl IntoIterator<Item = u16>,
    ) -> Self {
        self.server_error = Some(ServerErrorFault {
            probability,
            statuses: statuses.into_iter().collect(),
        });
        self
    }

    /// Answer a fraction `probability` of requests with 429 and `Retry-After`.
    #[must_use]
    pub fn throttle(mut self, probability: f64, retry_after_secs: u64) -> Self {
        self.throttle = Some(ThrottleFault {
            probability,
            retry_after_secs,
        });
        self
    }

    /// Add a fixed latency to every request.
    #[must_use]
    pub fn latency_fixed(mut self, latency: Duration) -> Self {
        self.latency = Some(Latency::Fixed {
            millis: duration_millis(latency),
        });
        self
    }

    /// Add a latency drawn uniformly from `min..=max` to every request.
    #[must_use]
    pub fn latency_range(mut self, min: Duration, max: Duration) -> Self {
        let (a, b) = (duration_millis(min), duration_millis(max));
        self.latency = Some(Latency::Range {
            min_millis: a.min(b),
            max_millis: a.max(b),
        });
        self
    }

    /// Lose the response of a fraction `probability` of requests after the work is done.
    #[must_use]
    pub fn drop_responses(mut self, probability: f64) -> Self {
        self.drop_response_probability = probability;
        self
    }

    /// Restrict the random faults to these paths (rules are not affected).
    #[must_use]
    pub fn only_paths(mut self, paths: impl IntoIterator<Item = PathMatch>) -> Self {
        self.scope = paths.into_iter().collect();
        self
    }

    /// Append a deterministic rule.
    #[must_use]
    pub fn rule(mut self, rule: FaultRule) -> Self {
        self.rules.push(rule);
        self
    }
}

fn duration_millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// How many faults of each kind fired since the server started (or the last
/// [`FaultController::reset_counts`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct FaultCounts {
    /// Requests the controller was asked about.
    pub requests: u64,
    /// Injected responses with a status other than 429 (5xx and any other status a rule set).
    pub server_errors: u64,
    /// Injected 429 responses.
    pub throttled: u64,
    /// Requests that got added latency.
    pub delayed: u64,
    /// Responses lost after the handler ran.
    pub dropped_responses: u64,
    /// Connections closed before the handler ran.
    pub dropped_requests: u64,
}

/// What the server must do with one request.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum FaultOutcome {
    /// Handle it normally.
    Pass,
    /// Answer with this status without running the handler.
    Respond {
        /// HTTP status.
        status: u16,
        /// `Retry-After` seconds, if any.
        retry_after_secs: Option<u64>,
    },
    /// Run the handler, then close the connection without a response.
    DropResponse,
    /// Close the connection without running the handler.
    DropRequest,
}

/// The controller's decision for one request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FaultDecision {
    /// Latency to add before anything else.
    pub delay: Option<Duration>,
    /// What to do next.
    pub outcome: FaultOutcome,
}

impl FaultDecision {
    /// No fault.
    #[must_use]
    pub fn pass() -> Self {
        Self {
            delay: None,
            outcome: FaultOutcome::Pass,
        }
    }
}

#[derive(Debug)]
struct Inner {
    plan: FaultPlan,
    rng: StdRng,
    counts: FaultCounts,
}

fn rng_for(seed: Option<u64>) -> StdRng {
    match seed {
        Some(s) => StdRng::seed_from_u64(s),
        None => StdRng::from_os_rng(),
    }
}

/// The live fault state of one server: cheap to clone (shared), safe to change while the
/// server runs.
#[derive(Clone, Debug)]
pub struct FaultController {
    inner: Arc<Mutex<Inner>>,
}

impl Default for FaultController {
    fn default() -> Self {
        Self::new(FaultPlan::default())
    }
}

impl FaultController {
    /// A controller starting with `plan`.
    #[must_use]
    pub fn new(plan: FaultPlan) -> Self {
        let rng = rng_for(plan.seed);
        Self {
            inner: Arc::new(Mutex::new(Inner {
                plan,
                rng,
                counts: FaultCounts::default(),
            })),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Replace the plan; the RNG is re-seeded from the new plan's seed. Counts are kept.
    pub fn set(&self, plan: FaultPlan) {
        let mut g = self.lock();
        g.rng = rng_for(plan.seed);
        g.plan = plan;
    }

    /// Remove every fault (counts are kept).
    pub fn clear(&self) {
        self.set(FaultPlan::default());
    }

    /// The current plan, with the remaining uses of each rule.
    #[must_use]
    pub fn plan(&self) -> FaultPlan {
        self.lock().plan.clone()
    }

    /// Append a deterministic rule to the running plan.
    pub fn add_rule(&self, rule: FaultRule) {
        self.lock().plan.rules.push(rule);
    }

    /// Fail the next `n` requests (any path) with `status`.
    pub fn fail_next(&self, n: u32, status: u16) {
        self.add_rule(FaultRule::next(n, FaultAction::status(status)));
    }

    /// Answer the next `n` requests (any path) with 429 and `Retry-After: retry_after_secs`.
    pub fn throttle_next(&self, n: u32, retry_after_secs: u64) {
        self.add_rule(FaultRule::next(n, FaultAction::throttle(retry_after_secs)));
    }

    /// Fail every request to exactly `path` with `status` until the plan changes.
    pub fn fail_path(&self, path: impl Into<String>, status: u16) {
        self.add_rule(FaultRule::path(path, FaultAction::status(status)));
    }

    /// Run the next request to exactly `path`, then drop its response.
    pub fn drop_next_response(&self, path: impl Into<String>) {
        self.add_rule(FaultRule::path(path, FaultAction::DropResponse).times(1));
    }

    /// Counts of the faults that fired.
    #[must_use]
    pub fn counts(&self) -> FaultCounts {
        self.lock().counts
    }

    /// Set every count back to zero.
    pub fn reset_counts(&self) {
        self.lock().counts = FaultCounts::default();
    }

    /// Decide what happens to one request to `path` and count it. Called by the server for
    /// every request; public so that another host can apply the same plan.
    pub fn decide(&self, path: &str) -> FaultDecision {
        let mut g = self.lock();
        let inner = &mut *g;
        inner.counts.requests += 1;
        let mut decision = FaultDecision::pass();

        // Deterministic rules first.
        let mut fired = None;
        let mut i = 0;
        while i < inner.plan.rules.len() {
            let rule = &mut inner.plan.rules[i];
            if rule.times != Some(0) && rule.matcher.matches(path) {
                if let Some(t) = rule.times.as_mut() {
                    *t -= 1;
                }
                let action = rule.action.clone();
                if rule.times == Some(0) {
                    inner.plan.rules.remove(i);
                } else {
                    i += 1;
                }
                match action {
                    FaultAction::Delay { millis } => {
                        let d = decision.delay.unwrap_or_default() + Duration::from_millis(millis);
                        decision.delay = Some(d);
                        continue;
                    }
                    other => {
                        fired = Some(other);
                        break;
                    }
                }
            }
            i += 1;
        }

        if let Some(action) = fired {
            decision.outcome = match action {
                FaultAction::Status {
                    status,
                    retry_after_secs,
                } => FaultOutcome::Respond {
                    status,
                    retry_after_secs,
                },
                FaultAction::DropResponse => FaultOutcome::DropResponse,
                FaultAction::DropRequest => FaultOutcome::DropRequest,
                FaultAction::Delay { .. } => FaultOutcome::Pass,
            };
        } else {
            let in_scope =
                inner.plan.scope.is_empty() || inner.plan.scope.iter().any(|m| m.matches(path));
            if in_scope {
                Self::draw_random(&inner.plan, &mut inner.rng, &mut decision);
            }
        }

        if decision.delay.is_some() {
            inner.counts.delayed += 1;
        }
        match &decision.outcome {
            FaultOutcome::Pass => {}
            FaultOutcome::Respond { status: 429, .. } => inner.counts.throttled += 1,
            FaultOutcome::Respond { .. } => inner.counts.server_errors += 1,
            FaultOutcome::DropResponse => inner.counts.dropped_responses += 1,
            FaultOutcome::DropRequest => inner.counts.dropped_requests += 1,
        }
        decision
    }

    fn draw_random(plan: &FaultPlan, rng: &mut StdRng, decision: &mut FaultDecision) {
        match &plan.latency {
            Some(Latency::Fixed { millis }) if *millis > 0 => {
                let d = decision.delay.unwrap_or_default() + Duration::from_millis(*millis);
                decision.delay = Some(d);
            }
            Some(Latency::Range {
                min_millis,
                max_millis,
            }) => {
                let (lo, hi) = (
                    (*min_millis).min(*max_millis),
                    (*min_millis).max(*max_millis),
                );
                let ms = rng.random_range(lo..=hi);
                if ms > 0 {
                    let d = decision.delay.unwrap_or_default() + Duration::from_millis(ms);
                    decision.delay = Some(d);
                }
            }
            _ => {}
        }
        if let Some(t) = &plan.throttle
            && roll(rng, t.probability)
        {
            decision.outcome = FaultOutcome::Respond {
                status: 429,
                retry_after_secs: Some(t.retry_after_secs),
            };
            return;
        }
        if let Some(e) = &plan.server_error
            && roll(rng, e.probability)
        {
            let status = if e.statuses.is_empty() {
                500
            } else {
                e.statuses[rng.random_range(0..e.statuses.len())]
            };
            decision.outcome = FaultOutcome::Respond {
                status,
                retry_after_secs: None,
            };
            return;
        }
        if roll(rng, plan.drop_response_probability) {
            decision.outcome = FaultOutcome::DropResponse;
        }
    }
}

/// Draw once (always, so the RNG sequence does not depend on which faults are enabled).
fn roll(rng: &mut StdRng, probability: f64) -> bool {
    let x: f64 = rng.random();
    probability.is_finite() && x < probability
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_n_rule_fires_n_times_then_disappears() {
        let c = FaultController::default();
        c.fail_next(2, 503);
        let a = c.decide("/x");
        let b = c.decide("/y");
        let d = c.decide("/z");
        assert_eq!(
            a.outcome,
            FaultOutcome::Respond {
                status: 503,
                retry_after_secs: None
            }
        );
        assert_eq!(a.outcome, b.outcome);
        assert_eq!(d.outcome, FaultOutcome::Pass);
        assert!(c.plan().rules.is_empty());
        assert_eq!(c.counts().server_errors, 2);
        assert_eq!(c.counts().requests, 3);
    }

    #[test]
    fn path_rule_only_matches_its_path() {
        let c = FaultController::default();
        c.drop_next_response("/v1/a");
        assert_eq!(c.decide("/v1/b").outcome, FaultOutcome::Pass);
        assert_eq!(c.decide("/v1/a").outcome, FaultOutcome::DropResponse);
        assert_eq!(c.decide("/v1/a").outcome, FaultOutcome::Pass);
        assert_eq!(c.counts().dropped_responses, 1);
    }

    #[test]
    fn delay_rule_combines_with_later_rule() {
        let c = FaultController::new(
            FaultPlan::new()
                .rule(FaultRule::new(
                    PathMatch::Any,
                    FaultAction::Delay { millis: 10 },
                ))
                .rule(FaultRule::next(1, FaultAction::throttle(3))),
        );
        let d = c.decide("/p");
        assert_eq!(d.delay, Some(Duration::from_millis(10)));
        assert_eq!(
            d.outcome,
            FaultOutcome::Respond {
                status: 429,
                retry_after_secs: Some(3)
            }
        );
        assert_eq!(c.counts().throttled, 1);
        assert_eq!(c.counts().delayed, 1);
    }

    #[test]
    fn same_seed_same_decisions() {
        let plan = FaultPlan::new()
            .seed(7)
            .server_errors(0.3, [500, 502, 503])
            .throttle(0.2, 1)
            .drop_responses(0.1)
            .latency_range(Duration::from_millis(1), Duration::from_millis(9));
        let a = FaultController::new(plan.clone());
        let b = FaultController::new(plan);
        let da: Vec<_> = (0..200).map(|_| a.decide("/p")).collect();
        let db: Vec<_> = (0..200).map(|_| b.decide("/p")).collect();
        assert_eq!(da, db);
        let counts = a.counts();
        assert!(counts.server_errors > 0 && counts.throttled > 0 && counts.dropped_responses > 0);
        assert_eq!(counts.delayed, 200);
    }

    #[test]
    fn scope_limits_random_faults() {
        let c = FaultController::new(
            FaultPlan::new()
                .server_errors(1.0, [502])
                .only_paths([PathMatch::Prefix("/v1/".into())]),
        );
        assert_eq!(c.decide("/oauth/token").outcome, FaultOutcome::Pass);
        assert_eq!(
            c.decide("/v1/x").outcome,
            FaultOutcome::Respond {
                status: 502,
                retry_after_secs: None
            }
        );
    }

    #[test]
    fn set_replaces_plan_at_runtime() {
        let c = FaultController::new(FaultPlan::new().server_errors(1.0, [500]));
        assert_ne!(c.decide("/a").outcome, FaultOutcome::Pass);
        c.clear();
        assert_eq!(c.decide("/a").outcome, FaultOutcome::Pass);
    }
}
