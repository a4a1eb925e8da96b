//! Helpers shared by the wiremock tests.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use mapping::retry::{FixedRandom, RecordingSleeper, Retrier, RetryPolicy};
use salesforce_client::auth::StaticToken;
use salesforce_client::{ApiVersion, Client, ClientBuilder};
use serde_json::{Value, json};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};

pub(crate) const TOKEN: &str = "00Dxx0000001gEH!AQ4AQFakeAccessToken";
pub(crate) const V: &str = "/services/data/v66.0";
pub(crate) const PRIVATE_KEY: &[u8] = include_bytes!("../fixtures/jwt-test-key.pem");
pub(crate) const PUBLIC_KEY: &[u8] = include_bytes!("../fixtures/jwt-test-key.pub.pem");

/// A retrier that never really sleeps; the sleeper records what it was asked.
pub(crate) fn retrier() -> (Retrier, RecordingSleeper) {
    let sleeper = RecordingSleeper::new();
    let retrier = Retrier::new(RetryPolicy::default())
        .with_sleeper(sleeper.clone())
        .with_random(FixedRandom::new(0.5));
    (retrier, sleeper)
}

/// A builder pointed at `server` for login and instance, not sleeping between retries.
pub(crate) fn builder(server: &MockServer) -> ClientBuilder {
    Client::builder()
        .login_url(server.uri())
        .api_version(ApiVersion::new(66))
        .retrier(retrier().0)
}

/// A client with a static token on `server`.
pub(crate) fn static_client(server: &MockServer) -> Client {
    builder(server)
        .instance_url(server.uri())
        .credentials(StaticToken::new(TOKEN))
        .build()
        .unwrap()
}

/// The bearer header value the static client sends.
pub(crate) fn bearer() -> String {
    format!("Bearer {TOKEN}")
}

/// A token endpoint answer as Salesforce sends it: no `expires_in`, `issued_at` in ms.
pub(crate) fn token_body(server: &MockServer, token: &str) -> Value {
    json!({
        "access_token": token,
        "instance_url": server.uri(),
        "id": format!("{}/id/00Dxx0000001gEHEAY/005xx000001X8UzAAK", server.uri()),
        "token_type": "Bearer",
        "issued_at": "1763700000000",
        "signature": "c2lnbmF0dXJl",
        "scope": "api",
    })
}

/// Salesforce's error array.
pub(crate) fn sf_error(code: &str, message: &str) -> Value {
    json!([{ "message": message, "errorCode": code, "fields": [] }])
}

/// Mounted last: any request no other mock matched fails the test when the server drops.
pub(crate) async fn catch_all(server: &MockServer) {
    Mock::given(any())
        .respond_with(
            ResponseTemplate::new(418).set_body_string("unexpected request: no mock matched"),
        )
        .expect(0)
        .named("catch-all: unexpected request")
        .mount(server)
        .await;
}
