#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Salesforce emulator failures: both kinds of REQUEST_LIMIT_EXCEEDED, UNABLE_TO_LOCK_ROW,
//! 503, the daily allocation, the limits resource, and the shared fault plan, over real HTTP.

mod salesforce_common;

use salesforce_common::Sf;
use sandbox::fault::{FaultPlan, PathMatch};
use sandbox::salesforce::{
    CONCURRENT_LIMIT_MESSAGE, SalesforceConfig, SalesforceFault, SalesforceFaultPlan,
    SalesforceFaultRule, SalesforceSandbox, TOTAL_LIMIT_MESSAGE,
};
use serde_json::json;

#[tokio::test]
async fn request_limit_exceeded_comes_in_two_kinds() {
    let sf = Sf::start().await;
    let faults = sf.sb.salesforce_faults();
    faults.fail_next(1, SalesforceFault::ConcurrentRequestLimit);
    let r = sf
        .post("/sobjects/Account", json!({"Name": "Not written"}))
        .await;
    assert_eq!(r.status, 403);
    assert_eq!(
        r.json,
        json!([{"message": "ConcurrentRequests (Concurrent API Requests) Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}])
    );
    assert_eq!(r.error_message(), CONCURRENT_LIMIT_MESSAGE);
    assert!(r.headers.contains_key("sforce-limit-info"));

    faults.fail_next(1, SalesforceFault::DailyRequestLimit);
    let r = sf
        .post("/sobjects/Account", json!({"Name": "Not written"}))
        .await;
    assert_eq!((r.status, r.error_code()), (403, "REQUEST_LIMIT_EXCEEDED"));
    assert_eq!(r.error_message(), TOTAL_LIMIT_MESSAGE);
    assert_ne!(CONCURRENT_LIMIT_MESSAGE, TOTAL_LIMIT_MESSAGE);

    assert_eq!(
        sf.sb.emulator().count("Account"),
        0,
        "a fault writes nothing"
    );
    assert_eq!(
        sf.post("/sobjects/Account", json!({"Name": "Written"}))
            .await
            .status,
        201
    );
    assert_eq!(faults.count(SalesforceFault::ConcurrentRequestLimit), 1);
    assert_eq!(faults.count(SalesforceFault::DailyRequestLimit), 1);
    assert_eq!(
        sf.sb.emulator().api_usage().used,
        1,
        "refused requests are not counted"
    );
}

#[tokio::test]
async fn unable_to_lock_row_and_server_unavailable() {
    let sf = Sf::start().await;
    let id = sf.create("Account", json!({"Name": "Locked"})).await;
    let faults = sf.sb.salesforce_faults();
    faults.fail_next_method(1, "PATCH", SalesforceFault::UnableToLockRow);
    // Only PATCH is affected.
    assert_eq!(sf.get(&format!("/sobjects/Account/{id}")).await.status, 200);
    let r = sf
        .patch(&format!("/sobjects/Account/{id}"), json!({"Phone": "1"}))
        .await;
    assert_eq!((r.status, r.error_code()), (400, "UNABLE_TO_LOCK_ROW"));
    assert!(r.error_message().contains(&id), "{}", r.text);
    assert!(sf.sb.emulator().record(&id).unwrap().get("Phone").is_none());
    assert_eq!(
        sf.patch(&format!("/sobjects/Account/{id}"), json!({"Phone": "1"}))
            .await
            .status,
        204
    );

    faults.add_rule(
        SalesforceFaultRule::new(
            PathMatch::Prefix("/services/data/v67.0/query".into()),
            SalesforceFault::ServerUnavailable,
        )
        .times(2),
    );
    for _ in 0..2 {
        let r = sf.query("SELECT Id FROM Account").await;
        assert_eq!((r.status, r.error_code()), (503, "SERVER_UNAVAILABLE"));
    }
    assert_eq!(sf.query("SELECT Id FROM Account").await.status, 200);

    faults.fail_next(1, SalesforceFault::InvalidSession);
    assert_eq!(sf.get("/limits").await.error_code(), "INVALID_SESSION_ID");
    assert_eq!(
        sf.get("/limits").await.status,
        200,
        "the token itself still works"
    );
}

#[tokio::test]
async fn fault_rates_are_reproducible_with_a_seed() {
    let mut runs = Vec::new();
    for _ in 0..2 {
        let sf = Sf::start().await;
        sf.sb.salesforce_faults().set(
            SalesforceFaultPlan::new()
                .seed(11)
                .rate(SalesforceFault::ConcurrentRequestLimit, 0.3)
                .rate(SalesforceFault::UnableToLockRow, 0.2),
        );
        let mut statuses = Vec::new();
        for _ in 0..30 {
            statuses.push(sf.get("/limits").await.status);
        }
        runs.push(statuses);
    }
    assert_eq!(runs[0], runs[1]);
    assert!(
        runs[0].contains(&403) && runs[0].contains(&400) && runs[0].contains(&200),
        "{:?}",
        runs[0]
    );
}

#[tokio::test]
async fn daily_allocation_and_limits_resource() {
    let sf = Sf::start_with(SalesforceConfig::default().daily_api_limit(5)).await;
    for i in 1..=4 {
        let r = sf.get("/sobjects/Account/describe").await;
        assert_eq!(r.status, 200);
        assert_eq!(r.limit_info(), format!("api-usage={i}/5"));
    }
    let limits = sf.get("/limits").await;
    assert_eq!(limits.limit_info(), "api-usage=5/5");
    assert_eq!(
        limits.json["DailyApiRequests"],
        json!({"Max": 5, "Remaining": 0})
    );
    assert!(limits.json["HourlyPublishedPlatformEvents"]["Max"].is_u64());
    let over = sf.get("/sobjects").await;
    assert_eq!(
        (over.status, over.error_code()),
        (403, "REQUEST_LIMIT_EXCEEDED")
    );
    assert_eq!(over.error_message(), TOTAL_LIMIT_MESSAGE);
    assert_eq!(over.limit_info(), "api-usage=5/5");
    // The versions list is not counted.
    let versions = sf.http.get(sf.url("/services/data")).send().await.unwrap();
    assert_eq!(versions.status(), 200);

    let sf = Sf::start().await;
    sf.sb.emulator().set_api_usage(41);
    let r = sf.get("/limits").await;
    assert_eq!(r.limit_info(), "api-usage=42/100000");
    assert_eq!(r.json["DailyApiRequests"]["Remaining"], 100_000 - 42);
}

#[tokio::test]
async fn shared_fault_plan_applies_to_salesforce() {
    let sb = SalesforceSandbox::start_with_faults(SalesforceConfig::default(), FaultPlan::new())
        .await
        .unwrap();
    let http = reqwest::Client::new();
    let token = sb.token();
    let url = format!("{}/sobjects/Account", sb.rest_url());
    sb.faults()
        .drop_next_response("/services/data/v67.0/sobjects/Account");
    let lost = http
        .post(&url)
        .bearer_auth(&token)
        .json(&json!({"Name": "Lost reply"}))
        .send()
        .await;
    assert!(lost.is_err(), "the response is lost");
    assert_eq!(sb.emulator().count("Account"), 1, "but the work was done");

    sb.faults().fail_next(1, 502);
    let r = http.get(&url).bearer_auth(&token).send().await.unwrap();
    assert_eq!(r.status(), 502);
    assert_eq!(sb.request_count("/services/data/v67.0/sobjects/Account"), 2);
    sb.shutdown().await;
}
