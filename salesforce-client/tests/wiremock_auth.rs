//! OAuth grants and session handling against wiremock: exact token requests, the JWT
//! assertion's claims, single-flight refresh, and the origin guard.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use common::*;
use futures::StreamExt;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use mapping::retry::ErrorKind;
use salesforce_client::Error;
use salesforce_client::auth::{
    ClientCredentials, JwtBearer, RefreshToken, StaticToken, UsernamePassword,
};
use salesforce_client::sobjects::SObject;
use secrecy::ExposeSecret;
use serde_json::{Value, json};
use wiremock::matchers::{body_string_contains, header, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const TOKEN_PATH: &str = "/services/oauth2/token";

fn limits_path() -> String {
    format!("{V}/limits/")
}

fn limits_ok() -> ResponseTemplate {
    ResponseTemplate::new(200)
        .insert_header("Sforce-Limit-Info", "api-usage=18/15000")
        .set_body_json(json!({"DailyApiRequests": {"Max": 15000, "Remaining": 14982}}))
}

fn form_of(request: &Request) -> HashMap<String, String> {
    url::form_urlencoded::parse(&request.body)
        .into_owned()
        .collect()
}

async fn token_requests(server: &MockServer) -> Vec<HashMap<String, String>> {
    server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.url.path() == TOKEN_PATH)
        .map(form_of)
        .collect()
}

#[tokio::test]
async fn jwt_bearer_sends_a_signed_assertion_with_the_documented_claims() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .and(header("content-type", "application/x-www-form-urlencoded"))
        .and(body_string_contains(
            "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer",
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(token_body(&server, "jwt-session")))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(limits_path()))
        .and(header("authorization", "Bearer jwt-session"))
        .respond_with(limits_ok())
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;

    let jwt =
        JwtBearer::from_pem("3MVG9-consumer-key", "integration@acme.com", PRIVATE_KEY).unwrap();
    let client = builder(&server).credentials(jwt).build().unwrap();
    client.limits().await.unwrap();

    let forms = token_requests(&server).await;
    assert_eq!(forms.len(), 1);
    let form = &forms[0];
    assert_eq!(
        form.len(),
        2,
        "only grant_type and assertion, no secret: {form:?}"
    );
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_audience(&[server.uri()]);
    validation.set_issuer(&["3MVG9-consumer-key"]);
    validation.set_required_spec_claims(&["exp", "iss", "sub", "aud"]);
    let decoded = jsonwebtoken::decode::<Value>(
        &form["assertion"],
        &DecodingKey::from_rsa_pem(PUBLIC_KEY).unwrap(),
        &validation,
    )
    .unwrap();
    assert_eq!(decoded.header.alg, Algorithm::RS256);
    assert_eq!(decoded.claims["sub"], "integration@acme.com");
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let exp = decoded.claims["exp"].as_u64().unwrap();
    assert!(
        exp > now && exp <= now + 180,
        "exp {exp} is not within 3 minutes of {now}"
    );
}

#[tokio::test]
async fn jwt_audience_can_be_set_for_production_hosts() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .respond_with(ResponseTemplate::new(200).set_body_json(token_body(&server, "t")))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(limits_path()))
        .respond_with(limits_ok())
        .mount(&server)
        .await;
    catch_all(&server).await;
    let jwt = JwtBearer::from_pem("key", "user@acme.com", PRIVATE_KEY)
        .unwrap()
        .audience("https://test.salesforce.com");
    builder(&server)
        .credentials(jwt)
        .build()
        .unwrap()
        .limits()
        .await
        .unwrap();
    let assertion = token_requests(&server).await[0]["assertion"].clone();
    let claims = jsonwebtoken::dangerous::insecure_decode::<Value>(&assertion)
        .unwrap()
        .claims;
    assert_eq!(claims["aud"], "https://test.salesforce.com");
}

#[tokio::test]
async fn client_credentials_in_the_body_or_a_basic_header() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .and(header("content-type", "application/x-www-form-urlencoded"))
        .respond_with(ResponseTemplate::new(200).set_body_json(token_body(&server, "cc-session")))
        .expect(2)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(limits_path()))
        .and(header("authorization", "Bearer cc-session"))
        .respond_with(limits_ok())
        .expect(2)
        .mount(&server)
        .await;
    catch_all(&server).await;

    let in_body = ClientCredentials::new("my-client", "my-secret");
    builder(&server)
        .credentials(in_body)
        .build()
        .unwrap()
        .limits()
        .await
        .unwrap();
    let basic = ClientCredentials::new("my-client", "my-secret").basic_auth(true);
    builder(&server)
        .credentials(basic)
        .build()
        .unwrap()
        .limits()
        .await
        .unwrap();

    let requests = server.received_requests().await.unwrap();
    let token: Vec<&Request> = requests
        .iter()
        .filter(|r| r.url.path() == TOKEN_PATH)
        .collect();
    assert_eq!(
        form_of(token[0]),
        HashMap::from([
            ("grant_type".to_owned(), "client_credentials".to_owned()),
            ("client_id".to_owned(), "my-client".to_owned()),
            ("client_secret".to_owned(), "my-secret".to_owned()),
        ])
    );
    assert!(token[0].headers.get("authorization").is_none());
    assert_eq!(
        form_of(token[1]),
        HashMap::from([("grant_type".to_owned(), "client_credentials".to_owned())])
    );
    assert_eq!(
        token[1].headers.get("authorization").unwrap(),
        "Basic bXktY2xpZW50Om15LXNlY3JldA=="
    );
}

#[tokio::test]
async fn refresh_token_rotation_is_kept_and_reported() {
    let server = MockServer::start().await;
    let mut first = token_body(&server, "session-1");
    first["refresh_token"] = json!("rt-2");
    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .and(body_string_contains("refresh_token=rt-1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(first))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .and(body_string_contains("refresh_token=rt-2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(token_body(&server, "session-2")))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(limits_path()))
        .and(header("authorization", "Bearer session-1"))
        .respond_with(
            ResponseTemplate::new(401)
                .set_body_json(sf_error("INVALID_SESSION_ID", "Session expired or invalid")),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(limits_path()))
        .and(header("authorization", "Bearer session-2"))
        .respond_with(limits_ok())
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;

    let rotated = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&rotated);
    let provider = RefreshToken::new("my-client", "rt-1")
        .client_secret("my-secret")
        .on_rotation(move |t| seen.lock().unwrap().push(t.expose_secret().to_owned()));
    let client = builder(&server)
        .credentials(provider.clone())
        .build()
        .unwrap();
    client.limits().await.unwrap();

    assert_eq!(*rotated.lock().unwrap(), ["rt-2"]);
    assert_eq!(provider.current().expose_secret(), "rt-2");
    let forms = token_requests(&server).await;
    assert_eq!(forms[0]["grant_type"], "refresh_token");
    assert_eq!(forms[0]["client_id"], "my-client");
    assert_eq!(forms[0]["client_secret"], "my-secret");
}

#[tokio::test]
async fn username_password_appends_the_security_token() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .respond_with(ResponseTemplate::new(200).set_body_json(token_body(&server, "pw-session")))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(limits_path()))
        .and(header("authorization", "Bearer pw-session"))
        .respond_with(limits_ok())
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let legacy = UsernamePassword::new("my-client", "my-secret", "user@acme.com", "p@ss w0rd&")
        .security_token("TOKEN123");
    builder(&server)
        .credentials(legacy)
        .build()
        .unwrap()
        .limits()
        .await
        .unwrap();
    let form = &token_requests(&server).await[0];
    assert_eq!(form["grant_type"], "password");
    assert_eq!(form["username"], "user@acme.com");
    assert_eq!(form["password"], "p@ss w0rd&TOKEN123");
    assert_eq!(form["client_secret"], "my-secret");
}

#[tokio::test]
async fn token_endpoint_errors_are_typed_and_not_retried() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .respond_with(
            ResponseTemplate::new(400)
                .set_body_json(json!({"error": "invalid_grant", "error_description": "user hasn't approved this consumer"})),
        )
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let jwt = JwtBearer::from_pem("key", "user@acme.com", PRIVATE_KEY).unwrap();
    let err = builder(&server)
        .credentials(jwt)
        .build()
        .unwrap()
        .limits()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unauthorized);
    assert_eq!(err.code(), Some("invalid_grant"));
    assert_eq!(err.message(), Some("user hasn't approved this consumer"));
    assert!(
        matches!(&err, Error::Token { source } if matches!(**source, Error::OAuth { .. })),
        "{err:?}"
    );
}

#[tokio::test]
async fn an_expired_session_is_refreshed_once_and_the_request_replayed_once() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .respond_with(ResponseTemplate::new(200).set_body_json(token_body(&server, "old")))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .respond_with(ResponseTemplate::new(200).set_body_json(token_body(&server, "new")))
        .expect(1)
        .mount(&server)
        .await;
    // A create: not idempotent, but a 401 proves it was not executed, so it is replayed.
    Mock::given(method("POST"))
        .and(path(format!("{V}/sobjects/Account")))
        .and(header("authorization", "Bearer old"))
        .respond_with(
            ResponseTemplate::new(401)
                .set_body_json(sf_error("INVALID_SESSION_ID", "Session expired or invalid")),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("{V}/sobjects/Account")))
        .and(header("authorization", "Bearer new"))
        .respond_with(
            ResponseTemplate::new(201)
                .set_body_json(json!({"id": "001A", "success": true, "errors": []})),
        )
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let client = builder(&server)
        .login_url(format!("{}/", server.uri()))
        .credentials(ClientCredentials::new("id", "secret"))
        .build()
        .unwrap();
    let saved = client
        .sobjects("Account")
        .create(&SObject::new("Account").with("Name", "Acme"))
        .await
        .unwrap();
    assert_eq!(saved.id.as_deref(), Some("001A"));
}

#[tokio::test]
async fn a_session_not_valid_for_rest_is_never_refreshed() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .respond_with(ResponseTemplate::new(200).set_body_json(token_body(&server, "t")))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(limits_path()))
        .respond_with(ResponseTemplate::new(401).set_body_json(sf_error(
            "INVALID_SESSION_ID",
            "This session is not valid for use with the REST API",
        )))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let client = builder(&server)
        .credentials(ClientCredentials::new("id", "secret"))
        .build()
        .unwrap();
    let err = client.limits().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unauthorized);
    assert_eq!(err.code(), Some("INVALID_SESSION_ID"));
}

#[tokio::test]
async fn a_rejected_static_token_fails_without_replay() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(limits_path()))
        .and(header("authorization", bearer().as_str()))
        .respond_with(
            ResponseTemplate::new(401)
                .set_body_json(sf_error("INVALID_SESSION_ID", "Session expired or invalid")),
        )
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let err = static_client(&server).limits().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unauthorized);
    assert!(matches!(err, Error::Token { .. }), "{err:?}");
}

#[tokio::test]
async fn twenty_concurrent_calls_after_expiry_share_one_token_request() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .respond_with(ResponseTemplate::new(200).set_body_json(token_body(&server, "gen-1")))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .respond_with(ResponseTemplate::new(200).set_body_json(token_body(&server, "gen-2")))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(limits_path()))
        .and(header("authorization", "Bearer gen-1"))
        .respond_with(limits_ok())
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(limits_path()))
        .and(header("authorization", "Bearer gen-1"))
        .respond_with(
            ResponseTemplate::new(401)
                .set_body_json(sf_error("INVALID_SESSION_ID", "Session expired or invalid"))
                .set_delay(std::time::Duration::from_millis(20)),
        )
        .expect(1..=20)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(limits_path()))
        .and(header("authorization", "Bearer gen-2"))
        .respond_with(limits_ok())
        .expect(20)
        .mount(&server)
        .await;
    catch_all(&server).await;

    let client = builder(&server)
        .credentials(ClientCredentials::new("id", "secret"))
        .build()
        .unwrap();
    client.limits().await.unwrap();
    let calls = (0..20).map(|_| {
        let client = client.clone();
        tokio::spawn(async move { client.limits().await })
    });
    for call in futures::future::join_all(calls).await {
        call.unwrap().unwrap();
    }
    assert_eq!(token_requests(&server).await.len(), 2);
}

#[tokio::test]
async fn links_to_another_origin_are_refused() {
    let server = MockServer::start().await;
    let elsewhere = MockServer::start().await;
    catch_all(&elsewhere).await;
    for (i, link) in [
        format!("{}/services/data/v66.0/query/01gXX-2000", elsewhere.uri()),
        "//evil.example/services/data/v66.0/query/01gXX-2000".to_owned(),
    ]
    .into_iter()
    .enumerate()
    {
        let soql = format!("SELECT Id FROM Account WHERE Name = 'page-{i}'");
        Mock::given(method("GET"))
            .and(path(format!("{V}/query")))
            .and(wiremock::matchers::query_param("q", soql.as_str()))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "totalSize": 4000, "done": false, "nextRecordsUrl": link,
                "records": [{"attributes": {"type": "Account"}, "Id": "001A"}],
            })))
            .expect(1)
            .mount(&server)
            .await;
        let client = static_client(&server);
        let results: Vec<_> = client.query(soql).stream::<SObject>().collect().await;
        assert_eq!(results.len(), 2, "{results:?}");
        assert!(results[0].is_ok());
        let err = results[1].as_ref().unwrap_err();
        assert!(
            matches!(err, Error::InvalidRequest { what: "url", .. }),
            "{err:?}"
        );
        assert!(err.to_string().contains("origin"), "{err}");
    }
    catch_all(&server).await;
}

#[tokio::test]
async fn the_token_response_instance_url_must_be_safe() {
    let server = MockServer::start().await;
    let mut body = token_body(&server, "t");
    body["instance_url"] = json!("http://acme.my.salesforce.com");
    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let client = builder(&server)
        .credentials(ClientCredentials::new("id", "secret"))
        .build()
        .unwrap();
    let err = client.limits().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Configuration, "{err:?}");
    // Static tokens need a configured instance.
    assert!(
        builder(&server)
            .credentials(StaticToken::new("x"))
            .build()
            .is_err()
    );
}
