//! Helpers shared by the wiremock tests.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use dynamics365_client::auth::{ClientSecret, StaticToken};
use dynamics365_client::{Client, ClientBuilder, Flavor};
use mapping::retry::{FixedRandom, RecordingSleeper, Retrier, RetryPolicy};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

/// A builder for `server` with a static token and a retrier that records instead of sleeping
/// (jitter fixed at 0, so a `Retry-After` is the exact delay asked for).
pub(crate) fn builder(
    server: &MockServer,
    flavor: Flavor,
    sleeper: &RecordingSleeper,
) -> ClientBuilder {
    Client::builder()
        .flavor(flavor)
        .base_url(server.uri())
        .credentials(StaticToken::new("test-token"))
        .retrier(
            Retrier::new(RetryPolicy::default())
                .with_sleeper(sleeper.clone())
                .with_random(FixedRandom::new(0.0)),
        )
}

/// A client for `server` with a static token and a recording sleeper.
pub(crate) fn client(server: &MockServer, flavor: Flavor) -> Client {
    builder(server, flavor, &RecordingSleeper::new())
        .build()
        .unwrap()
}

/// Client credentials whose authority is `server` (tenant `tenant-1`).
pub(crate) fn secret(server: &MockServer) -> ClientSecret {
    ClientSecret::new("tenant-1", "client-1", "s3cr3t-value").authority(server.uri())
}

/// A catch-all mounted last: any request no other mock matched fails the test when the
/// server is dropped (and answers 599 meanwhile).
pub(crate) async fn catch_all(server: &MockServer) {
    Mock::given(any())
        .respond_with(ResponseTemplate::new(599).set_body_string("unexpected request"))
        .with_priority(u8::MAX)
        .expect(0)
        .named("catch-all: no unexpected request")
        .mount(server)
        .await;
}

/// The request's raw path and query, exactly as sent.
pub(crate) fn path_and_query(request: &Request) -> String {
    let url = &request.url;
    match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_owned(),
    }
}

/// The requests `server` received whose path ends with `suffix`.
pub(crate) async fn requests_to(server: &MockServer, suffix: &str) -> Vec<Request> {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|r| r.url.path().ends_with(suffix))
        .collect()
}

pub(crate) fn header<'a>(request: &'a Request, name: &str) -> Option<&'a str> {
    request.headers.get(name).and_then(|v| v.to_str().ok())
}

pub(crate) const SECOND: Duration = Duration::from_secs(1);
