//! Executor tests: a scripted operation, a recording sleeper and a fixed jitter, so the
//! exact calls made and delays requested can be asserted without sleeping.

mod capture;

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Duration;

use tracing::Level;

use super::{Attempt, Retrier};
use crate::retry::{
    Clock, Delivery, ErrorKind, FixedRandom, Idempotency, ManualClock, RecordingSleeper,
    RetryClassify, RetryPolicy, SeededRandom, StopReason,
};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

/// A client error as a client would shape it, with what the Retrier recorded on it.
#[derive(Debug, Clone, PartialEq)]
struct TestError {
    label: &'static str,
    kind: ErrorKind,
    retry_after: Option<Duration>,
    delivery: Delivery,
    recorded: Option<(u32, StopReason)>,
}

impl TestError {
    fn new(label: &'static str, kind: ErrorKind) -> Self {
        TestError {
            label,
            kind,
            retry_after: None,
            delivery: Delivery::MaybeSent,
            recorded: None,
        }
    }

    fn unavailable(label: &'static str) -> Self {
        TestError::new(label, ErrorKind::Transient)
    }

    fn connect_failed() -> Self {
        TestError {
            delivery: Delivery::NotSent,
            ..TestError::new("connect refused", ErrorKind::Transient)
        }
    }

    fn token_expired() -> Self {
        TestError {
            delivery: Delivery::NotSent,
            ..TestError::new("401", ErrorKind::AuthExpired)
        }
    }

    fn throttled(retry_after: Duration) -> Self {
        TestError {
            retry_after: Some(retry_after),
            delivery: Delivery::NotSent,
            ..TestError::new("429", ErrorKind::Throttled)
        }
    }
}

impl RetryClassify for TestError {
    fn kind(&self) -> ErrorKind {
        self.kind
    }
    fn retry_after(&self) -> Option<Duration> {
        self.retry_after
    }
    fn delivery(&self) -> Delivery {
        self.delivery
    }
    fn record_attempts(&mut self, attempts: u32, stop: StopReason) {
        assert!(self.recorded.is_none(), "record_attempts called twice");
        self.recorded = Some((attempts, stop));
    }
}

type Outcome = Result<&'static str, TestError>;

/// The server's answers, in order, and the attempts the operation was called with.
struct Script {
    answers: Mutex<VecDeque<Outcome>>,
    calls: Mutex<Vec<Attempt>>,
}

impl Script {
    fn new(answers: impl IntoIterator<Item = Outcome>) -> Self {
        Script {
            answers: Mutex::new(answers.into_iter().collect()),
            calls: Mutex::new(Vec::new()),
        }
    }

    fn answer(&self, attempt: Attempt) -> impl Future<Output = Outcome> + use<> {
        self.calls.lock().unwrap().push(attempt);
        let answer = self
            .answers
            .lock()
            .unwrap()
            .pop_front()
            .unwrap_or_else(|| panic!("unexpected call {attempt:?}"));
        std::future::ready(answer)
    }

    fn calls(&self) -> Vec<(u32, bool)> {
        self.calls
            .lock()
            .unwrap()
            .iter()
            .map(|a| (a.number(), a.is_auth_replay()))
            .collect()
    }
}

struct Harness {
    retrier: Retrier,
    sleeper: RecordingSleeper,
    clock: ManualClock,
}

/// A retrier whose jitter is always half the ceiling and whose sleeps advance a manual
/// clock, so budgets behave as in real time.
fn harness(policy: RetryPolicy) -> Harness {
    let clock = ManualClock::new();
    let sleeper = RecordingSleeper::advancing(clock.clone());
    let retrier = Retrier::new(policy)
        .with_clock(clock.clone())
        .with_sleeper(sleeper.clone())
        .with_random(FixedRandom::new(0.5));
    Harness {
        retrier,
        sleeper,
        clock,
    }
}

async fn run(h: &Harness, idempotency: Idempotency, script: &Script) -> Outcome {
    h.retrier.run(idempotency, |a| script.answer(a)).await
}

#[tokio::test]
async fn success_on_the_first_try_makes_one_call_and_no_sleep() {
    let h = harness(RetryPolicy::default());
    let script = Script::new([Ok("ok")]);
    assert_eq!(run(&h, Idempotency::Idempotent, &script).await, Ok("ok"));
    assert_eq!(script.calls(), [(1, false)]);
    assert!(h.sleeper.delays().is_empty());
}

#[tokio::test]
async fn two_503s_then_200_makes_three_calls_with_doubling_backoff() {
    let h = harness(RetryPolicy::default());
    let script = Script::new([
        Err(TestError::unavailable("503 a")),
        Err(TestError::unavailable("503 b")),
        Ok("ok"),
    ]);
    assert_eq!(run(&h, Idempotency::Idempotent, &script).await, Ok("ok"));
    assert_eq!(script.calls(), [(1, false), (2, false), (3, false)]);
    // Half of 200 ms, half of 400 ms.
    assert_eq!(h.sleeper.delays(), [ms(100), ms(200)]);
}

#[tokio::test]
async fn a_non_idempotent_call_that_may_have_been_sent_is_called_once() {
    let h = harness(RetryPolicy::default());
    let read_timeout = TestError::new("read timed out", ErrorKind::Timeout);
    let script = Script::new([Err(read_timeout), Ok("would double-charge")]);

    let err = run(&h, Idempotency::NonIdempotent, &script)
        .await
        .unwrap_err();

    assert_eq!(script.calls(), [(1, false)]);
    assert!(h.sleeper.delays().is_empty());
    assert_eq!(err.label, "read timed out");
    assert_eq!(err.recorded, Some((1, StopReason::OutcomeUnknown)));
}

#[tokio::test]
async fn a_non_idempotent_call_is_retried_after_a_connect_failure() {
    let h = harness(RetryPolicy::default());
    let script = Script::new([
        Err(TestError::connect_failed()),
        Err(TestError::connect_failed()),
        Ok("charged once"),
    ]);
    assert_eq!(
        run(&h, Idempotency::NonIdempotent, &script).await,
        Ok("charged once")
    );
    assert_eq!(script.calls(), [(1, false), (2, false), (3, false)]);
    assert_eq!(h.sleeper.delays(), [ms(100), ms(200)]);
}

#[tokio::test]
async fn auth_expired_is_replayed_at_once_without_using_an_attempt() {
    // Two attempts only: if the replay counted, the 503 would be the last attempt and the
    // call would fail.
    let h = harness(RetryPolicy::default().with_max_attempts(2));
    let script = Script::new([
        Err(TestError::token_expired()),
        Err(TestError::unavailable("503")),
        Ok("ok"),
    ]);
    assert_eq!(run(&h, Idempotency::Idempotent, &script).await, Ok("ok"));
    assert_eq!(script.calls(), [(1, false), (1, true), (2, false)]);
    // No sleep before the replay; one backoff for the 503.
    assert_eq!(h.sleeper.delays(), [ms(100)]);
}

#[tokio::test]
async fn a_second_auth_expired_in_a_row_is_final() {
    let h = harness(RetryPolicy::default());
    let script = Script::new([
        Err(TestError::token_expired()),
        Err(TestError::token_expired()),
        Ok("never reached"),
    ]);
    let err = run(&h, Idempotency::Idempotent, &script).await.unwrap_err();
    assert_eq!(script.calls(), [(1, false), (1, true)]);
    assert_eq!(
        err.recorded,
        Some((
            1,
            StopReason::NotRetryable {
                kind: ErrorKind::AuthExpired
            }
        ))
    );
    assert!(h.sleeper.delays().is_empty());
}

#[tokio::test]
async fn auth_expired_again_after_a_different_error_is_replayed_again() {
    let h = harness(RetryPolicy::default());
    let script = Script::new([
        Err(TestError::token_expired()),
        Err(TestError::unavailable("503")),
        Err(TestError::token_expired()),
        Ok("ok"),
    ]);
    assert_eq!(run(&h, Idempotency::Idempotent, &script).await, Ok("ok"));
    assert_eq!(
        script.calls(),
        [(1, false), (1, true), (2, false), (2, true)]
    );
}

#[tokio::test]
async fn auth_expired_that_may_have_been_sent_is_not_replayed_for_a_sale() {
    let h = harness(RetryPolicy::default());
    let ambiguous = TestError {
        delivery: Delivery::MaybeSent,
        ..TestError::token_expired()
    };
    let script = Script::new([Err(ambiguous), Ok("never reached")]);
    let err = run(&h, Idempotency::NonIdempotent, &script)
        .await
        .unwrap_err();
    assert_eq!(script.calls(), [(1, false)]);
    assert_eq!(err.kind, ErrorKind::AuthExpired);
}

#[tokio::test]
async fn a_sale_with_an_expired_token_is_replayed() {
    let h = harness(RetryPolicy::default());
    let script = Script::new([Err(TestError::token_expired()), Ok("charged once")]);
    assert_eq!(
        run(&h, Idempotency::NonIdempotent, &script).await,
        Ok("charged once")
    );
    assert_eq!(script.calls(), [(1, false), (1, true)]);
}

#[tokio::test]
async fn when_attempts_run_out_the_last_error_comes_back_with_attempts_recorded() {
    let h = harness(RetryPolicy::default());
    let script = Script::new([
        Err(TestError::unavailable("first")),
        Err(TestError::unavailable("second")),
        Err(TestError::unavailable("third")),
        Err(TestError::unavailable("fourth")),
    ]);
    let err = run(&h, Idempotency::Idempotent, &script).await.unwrap_err();
    assert_eq!(script.calls().len(), 4);
    assert_eq!(h.sleeper.delays(), [ms(100), ms(200), ms(400)]);
    assert_eq!(
        err,
        TestError {
            recorded: Some((4, StopReason::AttemptsExhausted { attempts: 4 })),
            ..TestError::unavailable("fourth")
        }
    );
}

#[tokio::test]
async fn a_not_retryable_error_is_returned_after_one_call() {
    let h = harness(RetryPolicy::default());
    let script = Script::new([Err(TestError::new("404", ErrorKind::NotFound))]);
    let err = run(&h, Idempotency::Idempotent, &script).await.unwrap_err();
    assert_eq!(script.calls(), [(1, false)]);
    assert_eq!(
        err.recorded,
        Some((
            1,
            StopReason::NotRetryable {
                kind: ErrorKind::NotFound
            }
        ))
    );
}

#[tokio::test]
async fn retry_after_is_slept_through() {
    let h = harness(RetryPolicy::default());
    let script = Script::new([Err(TestError::throttled(secs(3))), Ok("ok")]);
    assert_eq!(run(&h, Idempotency::Idempotent, &script).await, Ok("ok"));
    assert_eq!(h.sleeper.delays(), [secs(3)]);
}

#[tokio::test]
async fn retry_after_beyond_the_cap_returns_the_throttled_error_at_once() {
    let h = harness(RetryPolicy::default());
    let script = Script::new([Err(TestError::throttled(secs(120))), Ok("never reached")]);
    let err = run(&h, Idempotency::Idempotent, &script).await.unwrap_err();
    assert_eq!(script.calls(), [(1, false)]);
    assert!(h.sleeper.delays().is_empty());
    assert_eq!(err.kind, ErrorKind::Throttled);
    assert_eq!(err.retry_after, Some(secs(120)));
    assert_eq!(
        err.recorded,
        Some((
            1,
            StopReason::RetryAfterTooLong {
                retry_after: secs(120)
            }
        ))
    );
}

#[tokio::test]
async fn the_budget_counts_time_spent_in_calls_and_sleeps() {
    // Ceilings 400 ms, 800 ms; with jitter 1.0 the waits are the ceilings.
    let policy = RetryPolicy::default()
        .with_base_delay(ms(400))
        .with_budget(secs(1));
    let h = harness(policy);
    let h = Harness {
        retrier: h.retrier.clone().with_random(FixedRandom::new(1.0)),
        ..h
    };
    let slow_503 = |clock: &ManualClock| {
        clock.advance(ms(100));
        Err::<&'static str, _>(TestError::unavailable("slow 503"))
    };
    let calls = Mutex::new(0u32);
    let err = h
        .retrier
        .run(Idempotency::Idempotent, |_| {
            *calls.lock().unwrap() += 1;
            std::future::ready(slow_503(&h.clock))
        })
        .await
        .unwrap_err();
    // t=0.1 fail, wait 0.4 → t=0.5; t=0.6 fail, a 0.8 s wait would end at 1.4 s > 1 s.
    assert_eq!(*calls.lock().unwrap(), 2);
    assert_eq!(h.sleeper.delays(), [ms(400)]);
    assert_eq!(
        err.recorded,
        Some((2, StopReason::BudgetExhausted { elapsed: ms(600) }))
    );
    assert_eq!(h.clock.elapsed(), ms(600));
}

#[tokio::test]
async fn seeded_jitter_is_reproducible_and_within_the_ceilings() {
    async fn delays_with(seed: u64) -> Vec<Duration> {
        let sleeper = RecordingSleeper::new();
        let retrier = Retrier::new(RetryPolicy::default().with_max_attempts(6))
            .with_sleeper(sleeper.clone())
            .with_random(SeededRandom::new(seed));
        let script = Script::new((0..6).map(|_| Err(TestError::unavailable("503"))));
        let _ = retrier
            .run(Idempotency::Idempotent, |a| script.answer(a))
            .await;
        sleeper.delays()
    }
    let first = delays_with(42).await;
    assert_eq!(first, delays_with(42).await);
    assert_ne!(first, delays_with(43).await);
    let policy = RetryPolicy::default();
    assert_eq!(first.len(), 5);
    for (i, delay) in first.iter().enumerate() {
        let attempt = u32::try_from(i).unwrap() + 1;
        assert!(*delay <= policy.backoff_ceiling(attempt), "{i}: {delay:?}");
    }
}

#[tokio::test]
async fn elapsed_is_measured_from_the_first_try() {
    // A clock already far along when the call starts must not eat the budget.
    let h = harness(RetryPolicy::default());
    h.clock.advance(secs(3_600));
    let start = h.clock.now();
    let script = Script::new([Err(TestError::unavailable("503")), Ok("ok")]);
    assert_eq!(run(&h, Idempotency::Idempotent, &script).await, Ok("ok"));
    assert_eq!(h.clock.now() - start, ms(100));
}

#[test]
fn the_run_future_is_send_so_clients_can_spawn_it() {
    fn assert_send<T: Send>(_: &T) {}
    let retrier = Retrier::default();
    let fut = retrier.run(Idempotency::Idempotent, |_| async {
        Ok::<u8, TestError>(1)
    });
    assert_send(&fut);
}

#[test]
fn attempt_accessors() {
    let first = Attempt {
        number: 1,
        auth_replay: false,
    };
    let replay = Attempt {
        auth_replay: true,
        ..first
    };
    assert!(first.is_first());
    assert!(!replay.is_first());
    assert!(replay.is_auth_replay());
    assert_eq!(replay.number(), 1);
}

#[test]
fn debug_shows_the_policy() {
    let text = format!("{:?}", Retrier::default());
    assert!(
        text.starts_with("Retrier { policy: RetryPolicy { max_attempts: 4"),
        "{text}"
    );
}

mod tracing_output {
    use super::*;
    use capture::Capture;

    const SECRET: &str = "Bearer sk_live_SECRET";

    fn secret_error(kind: ErrorKind) -> TestError {
        // The label stands in for a payload that may carry secrets; it must never be logged.
        TestError::new(SECRET, kind)
    }

    #[tokio::test]
    async fn attempts_get_spans_retries_are_debug_and_the_final_failure_is_warn() {
        let capture = Capture::default();
        let _guard = tracing::subscriber::set_default(capture.clone());
        let h = harness(RetryPolicy::default().with_max_attempts(3));
        let script = Script::new((0..3).map(|_| Err(secret_error(ErrorKind::Transient))));
        let _ = run(&h, Idempotency::Idempotent, &script).await;

        let attempt_spans: Vec<String> = capture
            .spans()
            .into_iter()
            .filter(|s| s.starts_with("attempt "))
            .collect();
        assert_eq!(
            attempt_spans,
            [
                "attempt attempt=1 auth_replay=false error.type=transient",
                "attempt attempt=2 auth_replay=false error.type=transient",
                "attempt attempt=3 auth_replay=false error.type=transient",
            ]
        );

        let events = capture.events();
        let retries: Vec<_> = events
            .iter()
            .filter(|e| e.fields.contains("message=retrying"))
            .collect();
        assert_eq!(retries.len(), 2);
        assert!(retries.iter().all(|e| e.level == Level::DEBUG));
        assert!(
            retries[0].fields.contains("delay_ms=100"),
            "{:?}",
            retries[0]
        );
        assert!(
            retries[1].fields.contains("delay_ms=200"),
            "{:?}",
            retries[1]
        );

        let warnings: Vec<_> = events.iter().filter(|e| e.level == Level::WARN).collect();
        assert_eq!(warnings.len(), 1, "{events:?}");
        assert!(warnings[0].fields.contains("attempts=3"));
        assert!(warnings[0].fields.contains("reason=attempts_exhausted"));
        assert!(warnings[0].fields.contains("error.kind=transient"));

        assert!(!capture.all_text().contains(SECRET));
    }

    #[tokio::test]
    async fn an_outcome_unknown_stop_is_a_warning() {
        let capture = Capture::default();
        let _guard = tracing::subscriber::set_default(capture.clone());
        let h = harness(RetryPolicy::default());
        let script = Script::new([Err(secret_error(ErrorKind::Timeout))]);
        let _ = run(&h, Idempotency::NonIdempotent, &script).await;
        let warnings: Vec<_> = capture
            .events()
            .into_iter()
            .filter(|e| e.level == Level::WARN)
            .collect();
        assert_eq!(warnings.len(), 1);
        assert!(warnings[0].fields.contains("reason=outcome_unknown"));
        assert!(!capture.all_text().contains(SECRET));
    }

    #[tokio::test]
    async fn a_first_try_not_found_is_not_a_warning() {
        let capture = Capture::default();
        let _guard = tracing::subscriber::set_default(capture.clone());
        let h = harness(RetryPolicy::default());
        let script = Script::new([Err(secret_error(ErrorKind::NotFound))]);
        let _ = run(&h, Idempotency::Idempotent, &script).await;
        let events = capture.events();
        assert!(events.iter().all(|e| e.level != Level::WARN), "{events:?}");
        assert!(
            events
                .iter()
                .any(|e| e.level == Level::DEBUG && e.fields.contains("reason=not_retryable"))
        );
    }

    #[tokio::test]
    async fn events_from_the_operation_land_in_its_attempt_span() {
        let capture = Capture::default();
        let _guard = tracing::subscriber::set_default(capture.clone());
        let h = harness(RetryPolicy::default());
        let result: Result<u8, TestError> = h
            .retrier
            .run(Idempotency::Idempotent, |attempt| async move {
                tracing::info!("sending");
                if attempt.number() == 1 {
                    Err(TestError::unavailable("503"))
                } else {
                    Ok(1)
                }
            })
            .await;
        assert_eq!(result, Ok(1));
        let sending: Vec<_> = capture
            .events()
            .into_iter()
            .filter(|e| e.fields.contains("message=sending"))
            .map(|e| e.span.unwrap_or_default())
            .collect();
        assert_eq!(sending.len(), 2);
        assert!(sending[0].starts_with("attempt attempt=1"), "{sending:?}");
        assert!(sending[1].starts_with("attempt attempt=2"), "{sending:?}");
    }
}
