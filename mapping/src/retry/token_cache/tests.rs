//! Token cache tests: single flight, expiry margin, generation-checked invalidation, and
//! recovery from a failed fetch.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use super::{CachedToken, FetchedToken, TokenCache};
use crate::retry::{Clock, ManualClock};

/// Stands in for `secrecy::SecretString`: Clone, but neither Debug nor PartialEq.
#[derive(Clone)]
struct Secret(String);

#[derive(Debug, PartialEq)]
struct FetchError(&'static str);

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

/// A token endpoint that counts its calls and names each token after the call number.
#[derive(Clone, Default)]
struct Endpoint {
    calls: Arc<AtomicU32>,
}

impl Endpoint {
    async fn fetch(&self, lifetime: Option<Duration>) -> Result<FetchedToken<Secret>, FetchError> {
        let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
        Ok(FetchedToken {
            value: Secret(format!("token-{n}")),
            lifetime,
        })
    }

    fn calls(&self) -> u32 {
        self.calls.load(Ordering::SeqCst)
    }
}

fn text(token: &CachedToken<Secret>) -> &str {
    &token.value().0
}

fn cache(clock: &ManualClock) -> TokenCache<Secret> {
    TokenCache::new().with_clock(clock.clone())
}

/// Twenty callers find the cache in `prepare`'s state at once; the endpoint is slow, so
/// they all queue behind the first. Returns the generations they got and the fetch count.
async fn twenty_concurrent_callers(cache: Arc<TokenCache<Secret>>, endpoint: Endpoint) -> Vec<u64> {
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let cache = Arc::clone(&cache);
        let endpoint = endpoint.clone();
        tasks.push(tokio::spawn(async move {
            cache
                .get_or_refresh(|| async {
                    // Slow token endpoint: with paused time, this completes only once
                    // every task is blocked, i.e. all 20 have reached the cache.
                    tokio::time::sleep(Duration::from_millis(250)).await;
                    endpoint.fetch(Some(secs(3600))).await
                })
                .await
                .map(|t| t.generation())
        }));
    }
    let mut generations = Vec::new();
    for task in tasks {
        generations.push(task.await.unwrap().unwrap());
    }
    generations
}

#[tokio::test(start_paused = true)]
async fn twenty_concurrent_callers_on_an_empty_cache_fetch_once() {
    let clock = ManualClock::new();
    let cache = Arc::new(cache(&clock));
    let endpoint = Endpoint::default();

    let generations = twenty_concurrent_callers(Arc::clone(&cache), endpoint.clone()).await;

    assert_eq!(endpoint.calls(), 1);
    assert_eq!(generations, vec![1; 20]);
}

#[tokio::test(start_paused = true)]
async fn twenty_concurrent_callers_on_an_expired_token_fetch_once() {
    let clock = ManualClock::new();
    let cache = Arc::new(cache(&clock));
    let endpoint = Endpoint::default();
    let first = cache
        .get_or_refresh(|| endpoint.fetch(Some(secs(600))))
        .await
        .unwrap();
    clock.advance(secs(600));

    let generations = twenty_concurrent_callers(Arc::clone(&cache), endpoint.clone()).await;

    assert_eq!(endpoint.calls(), 2);
    assert_eq!(generations, vec![first.generation() + 1; 20]);
}

#[tokio::test]
async fn a_fresh_token_is_served_from_the_cache() {
    let clock = ManualClock::new();
    let cache = cache(&clock);
    let endpoint = Endpoint::default();
    let a = cache
        .get_or_refresh(|| endpoint.fetch(Some(secs(3600))))
        .await
        .unwrap();
    clock.advance(secs(1000));
    let b = cache
        .get_or_refresh(|| endpoint.fetch(Some(secs(3600))))
        .await
        .unwrap();
    assert_eq!(endpoint.calls(), 1);
    assert_eq!((a.generation(), b.generation()), (1, 1));
    assert_eq!(text(&b), "token-1");
    assert_eq!(a.expires_at(), Some(b.expires_at().unwrap()));
}

#[tokio::test]
async fn the_refresh_margin_triggers_a_refresh_before_expiry() {
    let clock = ManualClock::new();
    let start = clock.now();
    let cache = cache(&clock); // default margin: 60 s
    let endpoint = Endpoint::default();
    let lifetime = Some(secs(3600));

    let first = cache
        .get_or_refresh(|| endpoint.fetch(lifetime))
        .await
        .unwrap();
    assert_eq!(first.expires_at(), Some(start + secs(3600)));

    clock.advance(secs(3539)); // 61 s before expiry: still fresh
    let same = cache
        .get_or_refresh(|| endpoint.fetch(lifetime))
        .await
        .unwrap();
    assert_eq!(same.generation(), 1);

    clock.advance(secs(1)); // 60 s before expiry: refresh
    let next = cache
        .get_or_refresh(|| endpoint.fetch(lifetime))
        .await
        .unwrap();
    assert_eq!(next.generation(), 2);
    assert_eq!(text(&next), "token-2");
    assert_eq!(endpoint.calls(), 2);
}

#[tokio::test]
async fn the_margin_is_at_most_half_the_lifetime() {
    let clock = ManualClock::new();
    let cache = cache(&clock).with_refresh_margin(secs(300));
    let endpoint = Endpoint::default();
    let lifetime = Some(secs(100)); // margin becomes 50 s

    cache
        .get_or_refresh(|| endpoint.fetch(lifetime))
        .await
        .unwrap();
    clock.advance(secs(49));
    let still = cache
        .get_or_refresh(|| endpoint.fetch(lifetime))
        .await
        .unwrap();
    assert_eq!(still.generation(), 1);
    clock.advance(secs(1));
    let next = cache
        .get_or_refresh(|| endpoint.fetch(lifetime))
        .await
        .unwrap();
    assert_eq!(next.generation(), 2);
}

#[tokio::test]
async fn a_custom_margin_is_used() {
    let clock = ManualClock::new();
    let cache = cache(&clock).with_refresh_margin(secs(10));
    let endpoint = Endpoint::default();
    let lifetime = Some(secs(3600));
    cache
        .get_or_refresh(|| endpoint.fetch(lifetime))
        .await
        .unwrap();
    clock.advance(secs(3589));
    assert_eq!(
        cache
            .get_or_refresh(|| endpoint.fetch(lifetime))
            .await
            .unwrap()
            .generation(),
        1
    );
    clock.advance(secs(1));
    assert_eq!(
        cache
            .get_or_refresh(|| endpoint.fetch(lifetime))
            .await
            .unwrap()
            .generation(),
        2
    );
}

#[tokio::test]
async fn a_token_without_a_lifetime_lives_until_invalidated() {
    let clock = ManualClock::new();
    let cache = cache(&clock);
    let endpoint = Endpoint::default();
    let first = cache.get_or_refresh(|| endpoint.fetch(None)).await.unwrap();
    assert_eq!(first.expires_at(), None);
    clock.advance(secs(86_400 * 365));
    let same = cache.get_or_refresh(|| endpoint.fetch(None)).await.unwrap();
    assert_eq!(same.generation(), 1);

    assert!(cache.invalidate(&same));
    let next = cache.get_or_refresh(|| endpoint.fetch(None)).await.unwrap();
    assert_eq!(next.generation(), 2);
    assert_eq!(endpoint.calls(), 2);
}

#[tokio::test]
async fn invalidating_a_stale_generation_keeps_the_fresh_token() {
    let clock = ManualClock::new();
    let cache = cache(&clock);
    let endpoint = Endpoint::default();
    let old = cache.get_or_refresh(|| endpoint.fetch(None)).await.unwrap();
    // Request A gets a 401 and invalidates; request B refreshes.
    assert!(cache.invalidate(&old));
    let fresh = cache.get_or_refresh(|| endpoint.fetch(None)).await.unwrap();
    // Request C, which also held the old token, gets its 401 late.
    assert!(!cache.invalidate(&old));

    let served = cache.get_or_refresh(|| endpoint.fetch(None)).await.unwrap();
    assert_eq!(served.generation(), fresh.generation());
    assert_eq!(text(&served), "token-2");
    assert_eq!(endpoint.calls(), 2);
}

#[tokio::test]
async fn invalidating_an_empty_cache_does_nothing() {
    let clock = ManualClock::new();
    let cache = cache(&clock);
    let endpoint = Endpoint::default();
    let token = cache.get_or_refresh(|| endpoint.fetch(None)).await.unwrap();
    cache.clear();
    assert!(!cache.invalidate(&token));
    let next = cache.get_or_refresh(|| endpoint.fetch(None)).await.unwrap();
    assert_eq!(next.generation(), 2);
}

#[tokio::test]
async fn a_failed_fetch_does_not_poison_the_cache() {
    let clock = ManualClock::new();
    let cache = cache(&clock);
    let endpoint = Endpoint::default();

    let failed = cache
        .get_or_refresh(|| async {
            Err::<FetchedToken<Secret>, _>(FetchError("503 from token endpoint"))
        })
        .await;
    assert_eq!(failed.err(), Some(FetchError("503 from token endpoint")));

    let token = cache.get_or_refresh(|| endpoint.fetch(None)).await.unwrap();
    assert_eq!(endpoint.calls(), 1);
    assert_eq!(text(&token), "token-1");
    assert_eq!(token.generation(), 1);
}

#[tokio::test]
async fn a_failed_refresh_keeps_no_stale_token_and_the_next_caller_retries() {
    let clock = ManualClock::new();
    let cache = cache(&clock);
    let endpoint = Endpoint::default();
    cache
        .get_or_refresh(|| endpoint.fetch(Some(secs(600))))
        .await
        .unwrap();
    clock.advance(secs(600));

    let failed = cache
        .get_or_refresh(|| async { Err::<FetchedToken<Secret>, _>(FetchError("timeout")) })
        .await;
    assert!(failed.is_err());

    let next = cache
        .get_or_refresh(|| endpoint.fetch(Some(secs(600))))
        .await
        .unwrap();
    assert_eq!(next.generation(), 2);
    assert_eq!(endpoint.calls(), 2);
}

#[tokio::test(start_paused = true)]
async fn a_cancelled_fetch_releases_the_lock() {
    let clock = ManualClock::new();
    let cache = cache(&clock);
    let endpoint = Endpoint::default();
    let never =
        cache.get_or_refresh(std::future::pending::<Result<FetchedToken<Secret>, FetchError>>);
    let timed_out = tokio::time::timeout(Duration::from_millis(10), never).await;
    assert!(timed_out.is_err());
    let token = cache.get_or_refresh(|| endpoint.fetch(None)).await.unwrap();
    assert_eq!(token.generation(), 1);
}

#[tokio::test]
async fn an_unrepresentable_lifetime_means_no_expiry() {
    let clock = ManualClock::new();
    let cache = cache(&clock);
    let endpoint = Endpoint::default();
    let token = cache
        .get_or_refresh(|| endpoint.fetch(Some(Duration::MAX)))
        .await
        .unwrap();
    assert_eq!(token.expires_at(), None);
    let again = cache
        .get_or_refresh(|| endpoint.fetch(Some(Duration::MAX)))
        .await
        .unwrap();
    assert_eq!(again.generation(), 1);
}

#[tokio::test]
async fn debug_output_never_shows_the_token() {
    let clock = ManualClock::new();
    let cache: TokenCache<String> = TokenCache::new().with_clock(clock.clone());
    let token = cache
        .get_or_refresh(|| async {
            Ok::<_, FetchError>(FetchedToken::expiring_in("s3cr3t".to_owned(), secs(60)))
        })
        .await
        .unwrap();
    let printed = format!(
        "{token:?} {cache:?} {:?}",
        FetchedToken::without_expiry("s3cr3t".to_owned())
    );
    assert!(!printed.contains("s3cr3t"), "{printed}");
    assert!(printed.contains("generation: 1"), "{printed}");
    assert_eq!(token.into_value(), "s3cr3t");
}

#[test]
fn the_cache_is_send_and_sync_for_a_non_debug_token() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<TokenCache<Secret>>();
    assert_send_sync::<CachedToken<Secret>>();
}
