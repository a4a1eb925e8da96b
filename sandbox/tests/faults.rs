#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Fault injection over real HTTP: 5xx, 429 + Retry-After, latency, lost responses.

mod common;

use std::time::{Duration, Instant};

use common::Pt;
use sandbox::fault::{FaultAction, FaultPlan, FaultRule, PathMatch};
use sandbox::paytrace::{PayTraceConfig, PayTraceSandbox, TransactionStatus, test_cards};
use serde_json::json;

const SALE: &str = "/v1/transactions/sale/keyed";

#[tokio::test]
async fn next_n_requests_fail_with_5xx_without_touching_state() {
    let pt = Pt::start().await;
    pt.sb.faults().fail_next(2, 503);
    let a = pt.keyed_sale("1.00", test_cards::VISA, "A").await;
    let b = pt.keyed_sale("1.00", test_cards::VISA, "B").await;
    assert_eq!(a.status, 503);
    assert_eq!(b.status, 503);
    assert!(
        pt.sb.emulator().transactions().is_empty(),
        "a 5xx fault runs no handler"
    );
    let c = pt.keyed_sale("1.00", test_cards::VISA, "C").await;
    assert_eq!(c.status, 200);
    assert_eq!(pt.sb.emulator().transactions().len(), 1);
    let counts = pt.sb.faults().counts();
    assert_eq!(counts.server_errors, 2);
    assert_eq!(counts.throttled, 0);
    // The request counter saw all three.
    assert_eq!(pt.sb.request_count(SALE), 3);
}

#[tokio::test]
async fn path_rule_fails_only_that_path() {
    let pt = Pt::start().await;
    pt.sb.faults().fail_path("/v1/customer/export", 502);
    for _ in 0..3 {
        let r = pt.call("/v1/customer/export", json!({})).await;
        assert_eq!(r.status, 502);
    }
    assert_eq!(
        pt.keyed_sale("2.00", test_cards::VISA, "P").await.status,
        200
    );
    pt.sb.faults().clear();
    assert_eq!(pt.call("/v1/customer/export", json!({})).await.status, 200);
    assert_eq!(pt.sb.faults().counts().server_errors, 3);
}

#[tokio::test]
async fn throttle_sends_429_with_retry_after() {
    let pt = Pt::start().await;
    pt.sb.faults().throttle_next(1, 7);
    let r = pt.keyed_sale("3.00", test_cards::VISA, "T").await;
    assert_eq!(r.status, 429);
    assert_eq!(r.headers["retry-after"], "7");
    assert!(pt.sb.emulator().transactions().is_empty());
    assert_eq!(
        pt.keyed_sale("3.00", test_cards::VISA, "T").await.status,
        200
    );
    assert_eq!(pt.sb.faults().counts().throttled, 1);
}

#[tokio::test]
async fn latency_is_added_and_counted() {
    let pt = Pt::start().await;
    pt.sb
        .faults()
        .set(FaultPlan::new().latency_fixed(Duration::from_millis(300)));
    let start = Instant::now();
    let r = pt.call("/v1/customer/export", json!({})).await;
    assert_eq!(r.status, 200);
    assert!(
        start.elapsed() >= Duration::from_millis(300),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(pt.sb.faults().counts().delayed, 1);
    pt.sb.faults().clear();
    pt.call("/v1/customer/export", json!({})).await;
    assert_eq!(
        pt.sb.faults().counts().delayed,
        1,
        "no latency once cleared"
    );
}

#[tokio::test]
async fn dropped_response_commits_state_but_client_sees_connection_error() {
    let pt = Pt::start().await;
    pt.sb.faults().drop_next_response(SALE);
    let err = pt
        .http
        .post(pt.url(SALE))
        .bearer_auth(&pt.token)
        .json(&json!({
            "amount": "55.00",
            "credit_card": {"number": test_cards::VISA, "expiration_month": "12", "expiration_year": "2030"},
            "invoice_id": "LOST-1",
            "integrator_id": sandbox::paytrace::DEFAULT_INTEGRATOR_ID,
        }))
        .send()
        .await
        .expect_err("the response must be lost");
    assert!(
        err.status().is_none(),
        "no HTTP status was ever received: {err:?}"
    );
    assert!(!err.is_timeout());
    assert!(
        err.is_request() || err.is_connect() || err.is_body(),
        "{err:?}"
    );

    // The work was done: the sale is approved and pending settlement.
    let txns = pt.sb.emulator().transactions();
    assert_eq!(txns.len(), 1);
    assert_eq!(txns[0].status, TransactionStatus::PendingSettlement);
    assert_eq!(txns[0].invoice_id, "LOST-1");
    assert_eq!(pt.sb.faults().counts().dropped_responses, 1);

    // The client can reconcile by invoice id, on a fresh connection.
    let r = pt
        .call(
            "/v1/transactions/export/by_date_range",
            json!({"start_date": "05/01/2024", "end_date": "05/01/2024", "invoice_id": "LOST-1"}),
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json["transactions"][0]["transaction_id"], txns[0].id);
    // The rule fired once only.
    assert_eq!(
        pt.keyed_sale("1.00", test_cards::VISA, "after")
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn dropped_response_at_the_socket_level_has_no_status_line() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let sb = PayTraceSandbox::start().await.unwrap();
    sb.faults().drop_next_response("/v1/ping");
    let mut s = tokio::net::TcpStream::connect(sb.server().local_addr())
        .await
        .unwrap();
    s.write_all(b"GET /v1/ping HTTP/1.1\r\nhost: x\r\n\r\n")
        .await
        .unwrap();
    let mut buf = Vec::new();
    let n = tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut buf))
        .await
        .expect("the server closes the socket")
        .unwrap_or(0);
    assert_eq!(
        n,
        0,
        "nothing was written: {:?}",
        String::from_utf8_lossy(&buf)
    );
    assert_eq!(sb.request_count("/v1/ping"), 1);
}

#[tokio::test]
async fn dropped_request_does_no_work() {
    let pt = Pt::start().await;
    pt.sb
        .faults()
        .add_rule(FaultRule::path(SALE, FaultAction::DropRequest).times(1));
    let err = pt.keyed_sale_raw().await;
    assert!(err.is_err());
    assert!(pt.sb.emulator().transactions().is_empty());
    assert_eq!(pt.sb.faults().counts().dropped_requests, 1);
}

trait RawSale {
    async fn keyed_sale_raw(&self) -> Result<reqwest::Response, reqwest::Error>;
}

impl RawSale for Pt {
    async fn keyed_sale_raw(&self) -> Result<reqwest::Response, reqwest::Error> {
        self.http
            .post(self.url(SALE))
            .bearer_auth(&self.token)
            .json(&json!({
                "amount": "1.00",
                "credit_card": {"number": test_cards::VISA, "expiration_month": "12", "expiration_year": "2030"},
                "integrator_id": sandbox::paytrace::DEFAULT_INTEGRATOR_ID,
            }))
            .send()
            .await
    }
}

/// The statuses a seeded chaos plan produces for 30 pings.
async fn chaos_run(seed: u64) -> (Vec<u16>, sandbox::fault::FaultCounts) {
    let plan = FaultPlan::new()
        .seed(seed)
        .server_errors(0.3, [500, 502, 503])
        .throttle(0.2, 1)
        .only_paths([PathMatch::Prefix("/v1/".into())]);
    let sb = PayTraceSandbox::start_with_faults(PayTraceConfig::default(), plan)
        .await
        .unwrap();
    let http = reqwest::Client::builder().build().unwrap();
    let mut statuses = Vec::new();
    for _ in 0..30 {
        let r = http
            .get(format!("{}/v1/ping", sb.base_url()))
            .send()
            .await
            .unwrap();
        statuses.push(r.status().as_u16());
    }
    // Out of scope: never faulted.
    let tok = http
        .post(format!("{}/oauth/token", sb.base_url()))
        .body("grant_type=password&username=sandbox_user&password=sandbox_password")
        .send()
        .await
        .unwrap();
    assert_eq!(tok.status(), 200);
    let counts = sb.faults().counts();
    sb.shutdown().await;
    (statuses, counts)
}

#[tokio::test]
async fn seeded_chaos_is_reproducible() {
    let (a, ca) = chaos_run(11).await;
    let (b, cb) = chaos_run(11).await;
    assert_eq!(a, b);
    assert_eq!(ca, cb);
    assert!(a.contains(&200));
    assert!(a.iter().any(|s| *s >= 500), "{a:?}");
    assert!(a.contains(&429), "{a:?}");
    assert_eq!(
        ca.server_errors + ca.throttled,
        a.iter().filter(|s| **s != 200).count() as u64
    );
    assert_eq!(ca.requests, 31);
}

#[tokio::test]
async fn random_drop_probability_one_loses_every_response() {
    let pt = Pt::start().await;
    pt.sb
        .faults()
        .set(FaultPlan::new().seed(1).drop_responses(1.0));
    for _ in 0..3 {
        assert!(pt.keyed_sale_raw().await.is_err());
    }
    assert_eq!(pt.sb.emulator().transactions().len(), 3);
    assert_eq!(pt.sb.faults().counts().dropped_responses, 3);
    // Serde round trip of the live plan.
    let json = serde_json::to_string(&pt.sb.faults().plan()).unwrap();
    let back: FaultPlan = serde_json::from_str(&json).unwrap();
    assert_eq!(back, pt.sb.faults().plan());
}

#[tokio::test]
async fn shutdown_and_drop_stop_the_server() {
    let sb = PayTraceSandbox::start().await.unwrap();
    let addr = sb.server().local_addr();
    sb.shutdown().await;
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());

    let sb = PayTraceSandbox::start().await.unwrap();
    let addr = sb.server().local_addr();
    drop(sb);
    let mut refused = false;
    for _ in 0..50 {
        if tokio::net::TcpStream::connect(addr).await.is_err() {
            refused = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(refused, "the listener closes after drop");
}
