//! Table tests for every decision of the policy, and properties of the backoff.

use std::time::Duration;

use proptest::prelude::*;

use crate::retry::{
    Delivery, ErrorKind, FailedAttempt, FixedRandom, Idempotency, RetryDecision, RetryPolicy,
    SeededRandom, StopReason,
};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

/// A first-try failure of an idempotent call that may have been sent, with no Retry-After.
fn failure(kind: ErrorKind) -> FailedAttempt {
    FailedAttempt {
        attempt: 1,
        elapsed: Duration::ZERO,
        idempotency: Idempotency::Idempotent,
        kind,
        retry_after: None,
        delivery: Delivery::MaybeSent,
    }
}

/// With a jitter fraction of 0.5 every backoff is exactly half its ceiling.
fn decide(policy: &RetryPolicy, failure: FailedAttempt) -> RetryDecision {
    policy.decide(&failure, &FixedRandom::new(0.5))
}

fn retry(d: Duration) -> RetryDecision {
    RetryDecision::RetryAfter(d)
}

fn stop(reason: StopReason) -> RetryDecision {
    RetryDecision::Stop(reason)
}

#[test]
fn default_policy_values() {
    let p = RetryPolicy::default();
    assert_eq!(p.max_attempts(), 4);
    assert_eq!(p.base_delay(), ms(200));
    assert_eq!(p.max_delay(), secs(10));
    assert_eq!(p.budget(), secs(60));
    assert_eq!(p.max_retry_after(), secs(30));
    assert_eq!(RetryPolicy::no_retry().max_attempts(), 1);
    assert_eq!(p.clone().with_max_attempts(0).max_attempts(), 1);
}

#[test]
fn each_kind_for_an_idempotent_call() {
    let policy = RetryPolicy::default();
    let expected = |kind: ErrorKind| match kind {
        ErrorKind::Transient | ErrorKind::Throttled | ErrorKind::Timeout => retry(ms(100)),
        // The one AuthExpired replay is the Retrier's; reaching the policy means it failed.
        other => stop(StopReason::NotRetryable { kind: other }),
    };
    for &kind in ErrorKind::ALL {
        for delivery in [Delivery::MaybeSent, Delivery::NotSent] {
            let f = FailedAttempt {
                delivery,
                ..failure(kind)
            };
            assert_eq!(decide(&policy, f), expected(kind), "{kind:?} {delivery:?}");
        }
    }
}

#[test]
fn each_kind_for_a_non_idempotent_call() {
    let policy = RetryPolicy::default();
    for &kind in ErrorKind::ALL {
        let retryable = matches!(
            kind,
            ErrorKind::Transient | ErrorKind::Throttled | ErrorKind::Timeout
        );
        let maybe_sent = FailedAttempt {
            idempotency: Idempotency::NonIdempotent,
            delivery: Delivery::MaybeSent,
            ..failure(kind)
        };
        let not_sent = FailedAttempt {
            delivery: Delivery::NotSent,
            ..maybe_sent
        };
        let (expect_maybe, expect_not) = if retryable {
            (stop(StopReason::OutcomeUnknown), retry(ms(100)))
        } else {
            let s = stop(StopReason::NotRetryable { kind });
            (s, s)
        };
        assert_eq!(
            decide(&policy, maybe_sent),
            expect_maybe,
            "{kind:?} maybe sent"
        );
        assert_eq!(decide(&policy, not_sent), expect_not, "{kind:?} not sent");
    }
}

#[test]
fn decisions_table() {
    let policy = RetryPolicy::default();
    let transient = failure(ErrorKind::Transient);
    let throttled = failure(ErrorKind::Throttled);
    let sale_timeout = FailedAttempt {
        idempotency: Idempotency::NonIdempotent,
        ..failure(ErrorKind::Timeout)
    };

    let cases: Vec<(&str, FailedAttempt, RetryDecision)> = vec![
        // Backoff ceiling doubles: 200, 400, 800 ms; the fixed jitter takes half.
        ("attempt 1", transient, retry(ms(100))),
        (
            "attempt 2",
            FailedAttempt {
                attempt: 2,
                ..transient
            },
            retry(ms(200)),
        ),
        (
            "attempt 3",
            FailedAttempt {
                attempt: 3,
                ..transient
            },
            retry(ms(400)),
        ),
        (
            "attempts exhausted",
            FailedAttempt {
                attempt: 4,
                ..transient
            },
            stop(StopReason::AttemptsExhausted { attempts: 4 }),
        ),
        (
            "beyond max attempts",
            FailedAttempt {
                attempt: 9,
                ..transient
            },
            stop(StopReason::AttemptsExhausted { attempts: 9 }),
        ),
        (
            "retry-after above the backoff wins",
            FailedAttempt {
                retry_after: Some(secs(5)),
                ..throttled
            },
            retry(secs(5)),
        ),
        (
            "backoff above the retry-after wins",
            FailedAttempt {
                retry_after: Some(ms(40)),
                ..throttled
            },
            retry(ms(100)),
        ),
        (
            "retry-after zero means backoff",
            FailedAttempt {
                retry_after: Some(Duration::ZERO),
                ..throttled
            },
            retry(ms(100)),
        ),
        (
            "retry-after exactly at the cap is honoured",
            FailedAttempt {
                retry_after: Some(secs(30)),
                ..throttled
            },
            retry(secs(30)),
        ),
        (
            "retry-after beyond the cap stops and carries it",
            FailedAttempt {
                retry_after: Some(secs(31)),
                ..throttled
            },
            stop(StopReason::RetryAfterTooLong {
                retry_after: secs(31),
            }),
        ),
        (
            "retry-after on a 503 is honoured too",
            FailedAttempt {
                retry_after: Some(secs(2)),
                ..transient
            },
            retry(secs(2)),
        ),
        (
            "budget: resuming exactly at the budget is allowed",
            FailedAttempt {
                elapsed: ms(59_900),
                ..transient
            },
            retry(ms(100)),
        ),
        (
            "budget: a wait past the budget stops",
            FailedAttempt {
                elapsed: ms(59_901),
                ..transient
            },
            stop(StopReason::BudgetExhausted {
                elapsed: ms(59_901),
            }),
        ),
        (
            "budget: a retry-after past the budget stops",
            FailedAttempt {
                elapsed: secs(45),
                retry_after: Some(secs(20)),
                ..throttled
            },
            stop(StopReason::BudgetExhausted { elapsed: secs(45) }),
        ),
        (
            "budget: elapsed already past",
            FailedAttempt {
                elapsed: secs(61),
                ..transient
            },
            stop(StopReason::BudgetExhausted { elapsed: secs(61) }),
        ),
        (
            "budget: elapsed at Duration::MAX does not overflow",
            FailedAttempt {
                elapsed: Duration::MAX,
                ..transient
            },
            stop(StopReason::BudgetExhausted {
                elapsed: Duration::MAX,
            }),
        ),
        (
            "timeout of a sale that may have been sent",
            sale_timeout,
            stop(StopReason::OutcomeUnknown),
        ),
        (
            "connect timeout of a sale: certainly not sent",
            FailedAttempt {
                delivery: Delivery::NotSent,
                ..sale_timeout
            },
            retry(ms(100)),
        ),
        // Order of the checks: the most informative reason wins.
        (
            "not retryable beats attempts exhausted",
            FailedAttempt {
                attempt: 4,
                ..failure(ErrorKind::Validation)
            },
            stop(StopReason::NotRetryable {
                kind: ErrorKind::Validation,
            }),
        ),
        (
            "outcome unknown beats attempts exhausted",
            FailedAttempt {
                attempt: 4,
                ..sale_timeout
            },
            stop(StopReason::OutcomeUnknown),
        ),
        (
            "attempts exhausted beats retry-after too long",
            FailedAttempt {
                attempt: 4,
                retry_after: Some(secs(90)),
                ..throttled
            },
            stop(StopReason::AttemptsExhausted { attempts: 4 }),
        ),
        (
            "retry-after too long beats budget",
            FailedAttempt {
                elapsed: secs(59),
                retry_after: Some(secs(90)),
                ..throttled
            },
            stop(StopReason::RetryAfterTooLong {
                retry_after: secs(90),
            }),
        ),
    ];
    for (name, failure, expected) in cases {
        assert_eq!(decide(&policy, failure), expected, "{name}");
    }
}

#[test]
fn backoff_ceiling_table() {
    let policy = RetryPolicy::default();
    let cases = [
        (0, ms(200)), // attempt 0 is treated like the first
        (1, ms(200)),
        (2, ms(400)),
        (3, ms(800)),
        (6, ms(6_400)),
        (7, secs(10)), // 12.8 s, capped
        (31, secs(10)),
        (32, secs(10)), // 2^31 · base overflows nothing but is capped
        (33, secs(10)), // 2^32 overflows u32
        (u32::MAX, secs(10)),
    ];
    for (attempt, expected) in cases {
        assert_eq!(
            policy.backoff_ceiling(attempt),
            expected,
            "attempt {attempt}"
        );
    }
    // base · 2^n overflowing Duration itself.
    let huge = RetryPolicy::default().with_base_delay(Duration::MAX);
    assert_eq!(huge.backoff_ceiling(1), secs(10));
    assert_eq!(huge.backoff_ceiling(2), secs(10));
}

#[test]
fn backoff_spans_zero_to_the_ceiling() {
    let policy = RetryPolicy::default();
    assert_eq!(policy.backoff(3, &FixedRandom::new(0.0)), Duration::ZERO);
    assert_eq!(policy.backoff(3, &FixedRandom::new(0.25)), ms(200));
    assert_eq!(policy.backoff(3, &FixedRandom::new(1.0)), ms(800));
}

#[test]
fn large_attempt_numbers_use_the_cap() {
    let policy = RetryPolicy::default()
        .with_max_attempts(u32::MAX)
        .with_budget(Duration::MAX);
    assert_eq!(
        decide(
            &policy,
            FailedAttempt {
                attempt: 1_000,
                ..failure(ErrorKind::Transient)
            }
        ),
        retry(secs(5))
    );
    assert_eq!(
        decide(
            &policy,
            FailedAttempt {
                attempt: u32::MAX,
                ..failure(ErrorKind::Transient)
            }
        ),
        stop(StopReason::AttemptsExhausted { attempts: u32::MAX })
    );
}

#[test]
fn no_retry_policy_stops_after_the_first_try() {
    assert_eq!(
        decide(&RetryPolicy::no_retry(), failure(ErrorKind::Transient)),
        stop(StopReason::AttemptsExhausted { attempts: 1 })
    );
}

#[test]
fn failed_attempt_of_reads_the_error() {
    struct E;
    impl crate::retry::RetryClassify for E {
        fn kind(&self) -> ErrorKind {
            ErrorKind::Throttled
        }
        fn retry_after(&self) -> Option<Duration> {
            Some(secs(3))
        }
        fn delivery(&self) -> Delivery {
            Delivery::NotSent
        }
        fn record_attempts(&mut self, _: u32, _: StopReason) {}
    }
    let f = FailedAttempt::of(&E, 2, secs(1), Idempotency::NonIdempotent);
    assert_eq!(
        f,
        FailedAttempt {
            attempt: 2,
            elapsed: secs(1),
            idempotency: Idempotency::NonIdempotent,
            kind: ErrorKind::Throttled,
            retry_after: Some(secs(3)),
            delivery: Delivery::NotSent,
        }
    );
}

#[test]
fn stop_reason_labels() {
    assert_eq!(StopReason::OutcomeUnknown.as_str(), "outcome_unknown");
    assert_eq!(
        StopReason::RetryAfterTooLong {
            retry_after: secs(90)
        }
        .to_string(),
        "server asked to retry after 90s, beyond the cap"
    );
}

/// `min(cap, base · 2^(n-1))` computed independently, in u128 nanoseconds.
fn reference_ceiling(base: Duration, cap: Duration, attempt: u32) -> Duration {
    let doublings = attempt.saturating_sub(1).min(64);
    let nanos = base.as_nanos().saturating_mul(1u128 << doublings);
    let capped = nanos.min(cap.as_nanos());
    Duration::from_nanos(u64::try_from(capped).unwrap())
}

proptest! {
    #[test]
    fn backoff_never_exceeds_the_ceiling(
        base_ms in 0u64..20_000,
        cap_ms in 0u64..120_000,
        attempt in any::<u32>(),
        seed in any::<u64>(),
    ) {
        let (base, cap) = (ms(base_ms), ms(cap_ms));
        let policy = RetryPolicy::default().with_base_delay(base).with_max_delay(cap);
        let ceiling = reference_ceiling(base, cap, attempt);
        prop_assert_eq!(policy.backoff_ceiling(attempt), ceiling);
        let random = SeededRandom::new(seed);
        for _ in 0..8 {
            prop_assert!(policy.backoff(attempt, &random) <= ceiling);
        }
        // Even a source that returns exactly 1.0 stays within the ceiling.
        prop_assert!(policy.backoff(attempt, &FixedRandom::new(1.0)) <= ceiling);
    }

    #[test]
    fn retry_after_is_honoured_up_to_the_cap(
        retry_after_ms in 0u64..60_000,
        attempt in 1u32..4,
        seed in any::<u64>(),
    ) {
        let policy = RetryPolicy::default().with_budget(Duration::MAX);
        let retry_after = ms(retry_after_ms);
        let f = FailedAttempt {
            attempt,
            retry_after: Some(retry_after),
            ..failure(ErrorKind::Throttled)
        };
        let decision = policy.decide(&f, &SeededRandom::new(seed));
        if retry_after > policy.max_retry_after() {
            prop_assert_eq!(decision, stop(StopReason::RetryAfterTooLong { retry_after }));
        } else {
            let RetryDecision::RetryAfter(wait) = decision else {
                return Err(TestCaseError::fail(format!("expected a retry, got {decision:?}")));
            };
            prop_assert!(wait >= retry_after);
            prop_assert!(wait <= retry_after.max(policy.backoff_ceiling(attempt)));
        }
    }

    #[test]
    fn a_retry_never_overruns_the_budget(
        elapsed_ms in 0u64..70_000,
        retry_after_ms in proptest::option::of(0u64..40_000),
        attempt in 1u32..10,
        seed in any::<u64>(),
    ) {
        let policy = RetryPolicy::default().with_max_attempts(10);
        let f = FailedAttempt {
            attempt,
            elapsed: ms(elapsed_ms),
            retry_after: retry_after_ms.map(ms),
            ..failure(ErrorKind::Transient)
        };
        if let RetryDecision::RetryAfter(wait) = policy.decide(&f, &SeededRandom::new(seed)) {
            prop_assert!(ms(elapsed_ms) + wait <= policy.budget());
        }
    }

    #[test]
    fn a_maybe_sent_non_idempotent_call_is_never_retried(
        kind_index in 0usize..ErrorKind::ALL.len(),
        attempt in any::<u32>(),
        retry_after_ms in proptest::option::of(any::<u64>()),
    ) {
        let f = FailedAttempt {
            attempt,
            idempotency: Idempotency::NonIdempotent,
            retry_after: retry_after_ms.map(ms),
            ..failure(ErrorKind::ALL[kind_index])
        };
        let decision = RetryPolicy::default().decide(&f, &FixedRandom::new(0.5));
        prop_assert!(matches!(decision, RetryDecision::Stop(_)));
    }
}
