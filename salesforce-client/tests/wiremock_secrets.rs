//! Secrets never leak: the tracing output of whole flows (every grant, a refresh, errors)
//! and the `Debug` of the client, its builder and credentials never show a token, secret,
//! password or private key, nor the values of SOQL queries and external IDs.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use common::*;
use futures::TryStreamExt;
use salesforce_client::auth::{ClientCredentials, JwtBearer, RefreshToken, UsernamePassword};
use salesforce_client::sobjects::SObject;
use salesforce_client::{Client, ClientBuilder};
use serde_json::json;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::fmt::format::FmtSpan;
use wiremock::matchers::{header, method, path, path_regex};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const SECRETS: &[&str] = &[
    "sess-first-0000",
    "sess-second-1111",
    "client-secret-2222",
    "refresh-token-3333",
    "refresh-rotated-4444",
    "user-password-5555",
    "security-token-6666",
    "static-token-7777",
    // What a JWT assertion starts with.
    "eyJ",
];

/// Personal data in queries and external IDs: kept out of traces.
const PERSONAL: &[&str] = &[
    "Jane Secret-Customer",
    "jane.secret@example.com",
    "jane.secret%40example.com",
];

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Capture {
    type Writer = Capture;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

fn private_key_lines() -> Vec<String> {
    String::from_utf8_lossy(PRIVATE_KEY)
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .map(str::to_owned)
        .collect()
}

fn assert_clean(text: &str, what: &str) {
    for secret in SECRETS.iter().chain(PERSONAL) {
        assert!(
            !text.contains(secret),
            "{what} contains {secret:?}:\n{text}"
        );
    }
    for line in private_key_lines() {
        assert!(!text.contains(&line), "{what} contains the private key");
    }
}

/// The token endpoint: each client's first token is `sess-first-…` (rejected by the upsert),
/// its refresh gets `sess-second-…`.
struct Tokens {
    uri: String,
    calls: AtomicUsize,
}

impl Respond for Tokens {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let n = self.calls.fetch_add(1, Ordering::SeqCst);
        let token = if n.is_multiple_of(2) {
            "sess-first-0000"
        } else {
            "sess-second-1111"
        };
        ResponseTemplate::new(200).set_body_json(json!({
            "access_token": token, "instance_url": self.uri, "token_type": "Bearer",
            "issued_at": "1763700000000", "refresh_token": "refresh-rotated-4444",
        }))
    }
}

async fn mount(server: &MockServer) {
    Mock::given(method("POST"))
        .and(path("/services/oauth2/token"))
        .respond_with(Tokens {
            uri: server.uri(),
            calls: AtomicUsize::new(0),
        })
        .mount(server)
        .await;
    Mock::given(header("authorization", "Bearer sess-first-0000"))
        .and(path_regex(
            "^/services/data/v66.0/sobjects/Contact/Email__c/",
        ))
        .respond_with(
            ResponseTemplate::new(401)
                .set_body_json(sf_error("INVALID_SESSION_ID", "Session expired or invalid")),
        )
        .mount(server)
        .await;
    Mock::given(method("PATCH"))
        .and(path_regex(
            "^/services/data/v66.0/sobjects/Contact/Email__c/",
        ))
        .respond_with(
            ResponseTemplate::new(201).set_body_json(
                json!({"id": "003A", "success": true, "errors": [], "created": true}),
            ),
        )
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{V}/query")))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"totalSize": 0, "done": true, "records": []})),
        )
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{V}/limits/")))
        .respond_with(
            ResponseTemplate::new(400)
                .set_body_json(sf_error("INVALID_FIELD", "No such column 'x'")),
        )
        .mount(server)
        .await;
}

async fn flow(client: &Client) {
    let contact = SObject::new("Contact").with("LastName", "Secret-Customer");
    client
        .sobjects("Contact")
        .upsert("Email__c", "jane.secret@example.com", &contact)
        .await
        .unwrap();
    let soql = format!(
        "SELECT Id FROM Contact WHERE Name = {}",
        salesforce_client::query::soql::quote("Jane Secret-Customer")
    );
    let _: Vec<SObject> = client.query(soql).stream().try_collect().await.unwrap();
    let err = client.limits().await.unwrap_err();
    assert_clean(&format!("{err} {err:?}"), "an error");
}

#[tokio::test]
async fn no_secret_or_personal_value_reaches_traces_or_debug_output() {
    let capture = Capture::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(capture.clone())
        .with_max_level(tracing::Level::TRACE)
        .with_span_events(FmtSpan::CLOSE)
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let server = MockServer::start().await;
    mount(&server).await;
    let builders: Vec<ClientBuilder> = vec![
        builder(&server).credentials(
            JwtBearer::from_pem("consumer-key", "user@acme.com", PRIVATE_KEY).unwrap(),
        ),
        builder(&server).credentials(ClientCredentials::new("consumer-key", "client-secret-2222")),
        builder(&server).credentials(
            ClientCredentials::new("consumer-key", "client-secret-2222").basic_auth(true),
        ),
        builder(&server).credentials(
            RefreshToken::new("consumer-key", "refresh-token-3333")
                .client_secret("client-secret-2222"),
        ),
        builder(&server).credentials(
            UsernamePassword::new(
                "consumer-key",
                "client-secret-2222",
                "user@acme.com",
                "user-password-5555",
            )
            .security_token("security-token-6666"),
        ),
        builder(&server).instance_url(server.uri()).credentials(
            salesforce_client::auth::StaticToken::new("static-token-7777"),
        ),
    ];
    for builder in builders {
        assert_clean(&format!("{builder:?}"), "a builder's Debug");
        let client = builder.build().unwrap();
        assert_clean(&format!("{client:?}"), "a client's Debug");
        flow(&client).await;
    }

    let logs = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
    // The traces were captured, with the operation spans and their sanitized paths.
    assert!(logs.contains("salesforce.upsert"), "{logs}");
    assert!(
        logs.contains("/services/data/v66.0/sobjects/Contact/Email__c/{value}"),
        "{logs}"
    );
    assert!(
        logs.contains("salesforce.sobject=\"Contact\"")
            || logs.contains("salesforce.sobject=Contact"),
        "{logs}"
    );
    assert!(logs.contains("salesforce.oauth_token"), "{logs}");
    assert_clean(&logs, "the traces");
}
