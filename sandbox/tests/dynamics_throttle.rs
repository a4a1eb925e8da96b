#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Service protection of the Dynamics emulator (429 with `Retry-After` from concurrency and
//! rate limits) and the shared fault plan (injected 429, lost responses).

mod dynamics_support;

use std::time::Duration;

use chrono::TimeDelta;
use dynamics_support::{D, frozen};
use futures_like::join_all;
use sandbox::dynamics::{DEFAULT_BC_COMPANY_ID, ThrottleConfig};
use serde_json::json;

/// A tiny `join_all` so the tests need no extra crate.
mod futures_like {
    use std::future::Future;

    pub(crate) async fn join_all<F, T>(futs: Vec<F>) -> Vec<T>
    where
        F: Future<Output = T> + Send + 'static,
        T: Send + 'static,
    {
        let handles: Vec<_> = futs.into_iter().map(tokio::spawn).collect();
        let mut out = Vec::new();
        for h in handles {
            out.push(h.await.unwrap());
        }
        out
    }
}

async fn concurrent_gets(
    d: &D,
    url: &str,
    n: usize,
) -> Vec<(u16, Option<String>, serde_json::Value)> {
    let futs = (0..n)
        .map(|_| {
            let http = d.http.clone();
            let token = d.token.clone();
            let url = url.to_owned();
            async move {
                let r = http.get(&url).bearer_auth(token).send().await.unwrap();
                let status = r.status().as_u16();
                let retry = r
                    .headers()
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned);
                let body = r.json().await.unwrap_or(serde_json::Value::Null);
                (status, retry, body)
            }
        })
        .collect();
    join_all(futs).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fno_concurrency_limit_answers_429_with_retry_after() {
    let cfg = frozen()
        .processing_delay(Duration::from_millis(400))
        .fno(|f| f.throttle = ThrottleConfig::unlimited().concurrency(1, 0));
    let d = D::start_with(cfg).await;
    let results = concurrent_gets(&d, &d.fno("CustomersV3"), 4).await;
    let ok = results.iter().filter(|r| r.0 == 200).count();
    let throttled: Vec<_> = results.iter().filter(|r| r.0 == 429).collect();
    assert!(ok >= 1, "{results:?}");
    assert!(!throttled.is_empty(), "{results:?}");
    for (_, retry, body) in &throttled {
        assert_eq!(retry.as_deref(), Some("1"));
        assert_eq!(
            body["error"]["message"],
            "Number of concurrent requests exceeded the limit of 1."
        );
    }
    assert_eq!(d.sb.emulator().throttled_count(), throttled.len() as u64);
    // Once the slot is free again, requests pass.
    assert_eq!(d.get(&d.fno("CustomersV3")).await.status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bc_queue_absorbs_bursts_up_to_its_size() {
    let cfg = frozen()
        .processing_delay(Duration::from_millis(300))
        .bc(|b| b.throttle = ThrottleConfig::unlimited().concurrency(1, 1));
    let d = D::start_with(cfg).await;
    let results = concurrent_gets(&d, &d.bc("customers"), 3).await;
    let mut statuses: Vec<u16> = results.iter().map(|r| r.0).collect();
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 200, 429], "{results:?}");
    let refused = results.iter().find(|r| r.0 == 429).unwrap();
    assert_eq!(refused.2["error"]["code"], "Application_TooManyRequests");
    assert!(
        refused.2["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("Too many requests reached. Actual (3). Maximum (2).")
    );
    assert!(refused.1.is_some());
}

#[tokio::test]
async fn rate_window_limit_and_retry_after() {
    let cfg = frozen().bc(|b| {
        b.throttle = ThrottleConfig::unlimited().rate(3, Duration::from_secs(60));
    });
    let d = D::start_with(cfg).await;
    for _ in 0..3 {
        assert_eq!(d.get(&d.bc("customers")).await.status, 200);
    }
    let r = d.get(&d.bc("customers")).await;
    assert_eq!(r.status, 429);
    assert_eq!(r.header("retry-after"), Some("60"));
    d.sb.emulator().clock().advance(TimeDelta::seconds(30));
    let r = d.get(&d.bc("customers")).await;
    assert_eq!(r.header("retry-after"), Some("30"));
    d.sb.emulator().clock().advance(TimeDelta::seconds(30));
    assert_eq!(d.get(&d.bc("customers")).await.status, 200);

    // F&O text, and the Retry-After header can be switched off (BC's is UNCONFIRMED).
    let cfg = frozen().fno(|f| {
        f.throttle = ThrottleConfig::unlimited().rate(1, Duration::from_secs(300));
        f.throttle.send_retry_after = false;
    });
    let d = D::start_with(cfg).await;
    assert_eq!(d.get(&d.fno("CustomersV3")).await.status, 200);
    let r = d.get(&d.fno("CustomersV3")).await;
    assert_eq!(r.status, 429);
    assert!(r.header("retry-after").is_none());
    assert_eq!(
        r.json["error"]["message"],
        "Number of requests exceeded the limit of 1 over the time window of 300 seconds."
    );
}

#[tokio::test]
async fn shared_fault_plan_injects_429_and_loses_responses_after_the_work() {
    let d = D::start().await;
    d.sb.faults().throttle_next(1, 7);
    let r = d.get(&d.fno("CustomersV3")).await;
    assert_eq!(r.status, 429);
    assert_eq!(r.header("retry-after"), Some("7"));
    assert_eq!(d.get(&d.fno("CustomersV3")).await.status, 200);

    d.sb.faults().drop_next_response("/data/CustomersV3");
    let lost = d
        .http
        .post(d.fno("CustomersV3"))
        .bearer_auth(&d.token)
        .json(
            &json!({"CustomerAccount": "US-777", "OrganizationName": "Lost reply",
                      "CustomerGroupId": "10", "SalesCurrencyCode": "USD"}),
        )
        .send()
        .await;
    assert!(lost.is_err(), "the response was dropped");
    // The work was done.
    let rows = d.sb.emulator().fno_rows("CustomersV3");
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["CustomerAccount"], "US-777");
    // A retry sees the duplicate.
    let retry = d
        .post(
            &d.fno("CustomersV3"),
            &json!({"CustomerAccount": "US-777", "OrganizationName": "Lost reply",
                    "CustomerGroupId": "10", "SalesCurrencyCode": "USD"}),
        )
        .await;
    assert_eq!(retry.status, 400);
    assert!(
        retry.json["error"]["innererror"]["message"]
            .as_str()
            .unwrap()
            .contains("The record already exists.")
    );
    assert_eq!(d.sb.request_count("/data/CustomersV3"), 4);
    assert_eq!(
        d.sb.emulator().request_count(),
        4,
        "token + 3 that reached the emulator"
    );
    let _ = DEFAULT_BC_COMPANY_ID;
}
