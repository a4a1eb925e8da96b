#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Salesforce emulator OAuth: every grant, its errors, userinfo/revoke, session expiry and
//! the versions list, over real HTTP.

mod salesforce_common;

use std::time::Duration;

use base64::Engine as _;
use chrono::TimeDelta;
use salesforce_common::{OTHER_KEY_PEM, Sf, claims, form, frozen_config, jwt};
use sandbox::salesforce::{
    ConnectedApp, DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_ORG_ID, DEFAULT_PASSWORD,
    DEFAULT_SECURITY_TOKEN, DEFAULT_USERNAME, JWT_BEARER_GRANT, NOT_VALID_FOR_REST_MESSAGE,
    SalesforceConfig, SalesforceUser, SessionPolicy, TEST_PRIVATE_KEY_PEM,
};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

fn hmac_sha256(key: &[u8], msg: &[u8]) -> Vec<u8> {
    let mut k = [0u8; 64];
    k[..key.len()].copy_from_slice(key);
    let ipad: Vec<u8> = k.iter().map(|b| b ^ 0x36).collect();
    let opad: Vec<u8> = k.iter().map(|b| b ^ 0x5c).collect();
    let inner = Sha256::new()
        .chain_update(&ipad)
        .chain_update(msg)
        .finalize();
    Sha256::new()
        .chain_update(&opad)
        .chain_update(inner)
        .finalize()
        .to_vec()
}

async fn jwt_grant(sf: &Sf, assertion: &str) -> salesforce_common::Res {
    sf.token_request(form(&[
        ("grant_type", JWT_BEARER_GRANT),
        ("assertion", assertion),
    ]))
    .await
}

fn assert_oauth_error(r: &salesforce_common::Res, error: &str, description: &str) {
    assert_eq!(r.status, 400, "{}", r.text);
    assert_eq!(r.json["error"], error, "{}", r.text);
    assert_eq!(r.json["error_description"], description, "{}", r.text);
}

#[tokio::test]
async fn jwt_bearer_grant_issues_a_token_without_expires_in() {
    let sf = Sf::start().await;
    let r = jwt_grant(&sf, &jwt(&claims(170), TEST_PRIVATE_KEY_PEM)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let t = &r.json;
    assert!(t.get("expires_in").is_none());
    assert_eq!(t["token_type"], "Bearer");
    assert_eq!(t["instance_url"], sf.sb.base_url());
    let user_id = sf.sb.emulator().user_id(DEFAULT_USERNAME);
    assert!(user_id.starts_with("005") && user_id.len() == 18);
    assert_eq!(
        t["id"],
        format!("{}/id/{DEFAULT_ORG_ID}/{user_id}", sf.sb.base_url())
    );
    let token = t["access_token"].as_str().unwrap();
    assert!(
        token.starts_with(&format!("{}!", &DEFAULT_ORG_ID[..15])),
        "{token}"
    );
    let issued_at = t["issued_at"].as_str().expect("issued_at is a string");
    assert_eq!(issued_at.len(), 13, "milliseconds");
    let ms: i64 = issued_at.parse().unwrap();
    assert!((ms - chrono::Utc::now().timestamp_millis()).abs() < 60_000);
    let expected = base64::engine::general_purpose::STANDARD.encode(hmac_sha256(
        DEFAULT_CLIENT_SECRET.as_bytes(),
        format!("{}{issued_at}", t["id"].as_str().unwrap()).as_bytes(),
    ));
    assert_eq!(t["signature"], expected);
    assert!(
        r.headers
            .get("cache-control")
            .unwrap()
            .to_str()
            .unwrap()
            .contains("no-store")
    );
    assert!(r.headers.get("sforce-limit-info").is_none());

    // The token works for REST.
    let me = sf
        .http
        .get(sf.api("/sobjects/"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200);
    assert_eq!(sf.sb.emulator().tokens_issued(), 2);
}

#[tokio::test]
async fn jwt_bearer_rejections() {
    let sf = Sf::start().await;
    let base = sf.sb.base_url().to_owned();
    let with = |k: &str, v: Value| {
        let mut c = claims(120);
        c[k] = v;
        c
    };
    let cases: Vec<(String, &str, &str)> = vec![
        (
            jwt(&claims(120), OTHER_KEY_PEM),
            "invalid_grant",
            "invalid assertion",
        ),
        (
            jwt(
                &with("aud", json!("https://example.com")),
                TEST_PRIVATE_KEY_PEM,
            ),
            "invalid_grant",
            "audience is invalid",
        ),
        (
            jwt(&claims(-30), TEST_PRIVATE_KEY_PEM),
            "invalid_grant",
            "expired authorization code",
        ),
        (
            jwt(&claims(600), TEST_PRIVATE_KEY_PEM),
            "invalid_grant",
            "invalid assertion",
        ),
        (
            jwt(&with("iss", json!("3MVG9-unknown")), TEST_PRIVATE_KEY_PEM),
            "invalid_client_id",
            "client identifier invalid",
        ),
        (
            jwt(
                &with("sub", json!("nobody@example.com")),
                TEST_PRIVATE_KEY_PEM,
            ),
            "invalid_grant",
            "user hasn't approved this consumer",
        ),
        (
            jsonwebtoken::encode(
                &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
                &claims(120),
                &jsonwebtoken::EncodingKey::from_secret(DEFAULT_CLIENT_SECRET.as_bytes()),
            )
            .unwrap(),
            "invalid_grant",
            "invalid assertion",
        ),
        ("not-a-jwt".to_owned(), "invalid_grant", "invalid assertion"),
    ];
    for (assertion, error, description) in cases {
        let r = jwt_grant(&sf, &assertion).await;
        assert_oauth_error(&r, error, description);
    }
    // Tampering with the claims breaks the signature.
    let good = jwt(&claims(120), TEST_PRIVATE_KEY_PEM);
    let mut parts: Vec<String> = good.split('.').map(str::to_owned).collect();
    parts[1] = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(with("sub", json!("someone.else@example.com")).to_string());
    assert_oauth_error(
        &jwt_grant(&sf, &parts.join(".")).await,
        "invalid_grant",
        "invalid assertion",
    );
    let r = sf
        .token_request(form(&[("grant_type", JWT_BEARER_GRANT)]))
        .await;
    assert_oauth_error(&r, "invalid_grant", "invalid assertion");

    // Accepted audiences: login, test, and the emulator's own URL.
    for aud in [
        "https://test.salesforce.com",
        base.as_str(),
        "https://login.salesforce.com/",
    ] {
        let r = jwt_grant(&sf, &jwt(&with("aud", json!(aud)), TEST_PRIVATE_KEY_PEM)).await;
        assert_eq!(r.status, 200, "{aud}: {}", r.text);
    }
    // One token from the helper plus three successful JWT grants.
    assert_eq!(sf.sb.emulator().tokens_issued(), 4);
}

#[tokio::test]
async fn client_credentials_in_body_or_basic_header() {
    let sf = Sf::start().await;
    let basic = base64::engine::general_purpose::STANDARD
        .encode(format!("{DEFAULT_CLIENT_ID}:{DEFAULT_CLIENT_SECRET}"));
    let r = sf
        .http
        .post(sf.url("/services/oauth2/token"))
        .header("authorization", format!("Basic {basic}"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("grant_type=client_credentials")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert!(v["access_token"].as_str().unwrap().contains('!'));
    assert!(v.get("refresh_token").is_none());

    let wrong = sf
        .token_request(form(&[
            ("grant_type", "client_credentials"),
            ("client_id", DEFAULT_CLIENT_ID),
            ("client_secret", "wrong"),
        ]))
        .await;
    assert_oauth_error(&wrong, "invalid_client", "invalid client credentials");
    let unknown = sf
        .token_request(form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "nope"),
            ("client_secret", "x"),
        ]))
        .await;
    assert_oauth_error(&unknown, "invalid_client_id", "client identifier invalid");

    sf.sb.emulator().update_config(|c| c.my_domain = false);
    let r = sf
        .token_request(form(&[
            ("grant_type", "client_credentials"),
            ("client_id", DEFAULT_CLIENT_ID),
            ("client_secret", DEFAULT_CLIENT_SECRET),
        ]))
        .await;
    assert_oauth_error(&r, "invalid_grant", "request not supported on this domain");
}

#[tokio::test]
async fn refresh_token_grant_with_and_without_rotation() {
    let rotating =
        ConnectedApp::new("3MVG9.rotating", "rotating-secret").rotate_refresh_tokens(true);
    let sf = Sf::start_with(SalesforceConfig::default().app(rotating)).await;
    let emu = sf.sb.emulator();
    let refresh = |rt: &str, id: &str, secret: &str| {
        form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", rt),
            ("client_id", id),
            ("client_secret", secret),
        ])
    };

    let rt = emu.issue_refresh_token(DEFAULT_USERNAME, "3MVG9.rotating");
    let r = sf
        .token_request(refresh(&rt, "3MVG9.rotating", "rotating-secret"))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let new_rt = r.json["refresh_token"]
        .as_str()
        .expect("rotated")
        .to_owned();
    assert_ne!(new_rt, rt);
    assert!(r.json["access_token"].is_string());
    let reused = sf
        .token_request(refresh(&rt, "3MVG9.rotating", "rotating-secret"))
        .await;
    assert_oauth_error(&reused, "invalid_grant", "expired access/refresh token");
    let again = sf
        .token_request(refresh(&new_rt, "3MVG9.rotating", "rotating-secret"))
        .await;
    assert_eq!(again.status, 200, "{}", again.text);

    // Without rotation: no new refresh token, the old one keeps working.
    let rt = emu.issue_refresh_token(DEFAULT_USERNAME, DEFAULT_CLIENT_ID);
    for _ in 0..2 {
        let r = sf
            .token_request(refresh(&rt, DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET))
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert!(r.json.get("refresh_token").is_none());
    }
    let no_secret = sf.token_request(refresh(&rt, DEFAULT_CLIENT_ID, "")).await;
    assert_oauth_error(&no_secret, "invalid_client", "invalid client credentials");
    // A refresh token belongs to its app.
    let other_app = sf
        .token_request(refresh(&rt, "3MVG9.rotating", "rotating-secret"))
        .await;
    assert_oauth_error(&other_app, "invalid_grant", "expired access/refresh token");
}

#[tokio::test]
async fn username_password_grant() {
    let sf = Sf::start_with(
        SalesforceConfig::default().user(SalesforceUser::new("gone@example.com", "pw").inactive()),
    )
    .await;
    let grant = |user: &str, password: &str| {
        form(&[
            ("grant_type", "password"),
            ("client_id", DEFAULT_CLIENT_ID),
            ("client_secret", DEFAULT_CLIENT_SECRET),
            ("username", user),
            ("password", password),
        ])
    };
    let ok = sf
        .token_request(grant(
            DEFAULT_USERNAME,
            &format!("{DEFAULT_PASSWORD}{DEFAULT_SECURITY_TOKEN}"),
        ))
        .await;
    assert_eq!(ok.status, 200, "{}", ok.text);
    let no_token = sf
        .token_request(grant(DEFAULT_USERNAME, DEFAULT_PASSWORD))
        .await;
    assert_oauth_error(&no_token, "invalid_grant", "authentication failure");
    let inactive = sf.token_request(grant("gone@example.com", "pw")).await;
    assert_oauth_error(&inactive, "inactive_user", "user is inactive");

    let unsupported = sf
        .token_request(form(&[("grant_type", "authorization_code")]))
        .await;
    assert_oauth_error(
        &unsupported,
        "unsupported_grant_type",
        "grant type not supported",
    );
    let get = sf
        .http
        .get(sf.url("/services/oauth2/token"))
        .send()
        .await
        .unwrap();
    assert_eq!(get.status(), 400);
    let v: Value = get.json().await.unwrap();
    assert_eq!(v["error"], "invalid_request");
}

#[tokio::test]
async fn userinfo_and_revoke() {
    let sf = Sf::start().await;
    let r = sf
        .http
        .get(sf.url("/services/oauth2/userinfo"))
        .bearer_auth(&sf.token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["organization_id"], DEFAULT_ORG_ID);
    assert_eq!(v["user_id"], sf.sb.emulator().user_id(DEFAULT_USERNAME));
    assert_eq!(v["preferred_username"], DEFAULT_USERNAME);
    let bad = sf
        .http
        .get(sf.url("/services/oauth2/userinfo"))
        .bearer_auth("00Dnope!AQ")
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 403);

    let revoke = sf
        .http
        .post(sf.url("/services/oauth2/revoke"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&[("token", &sf.token)]))
        .send()
        .await
        .unwrap();
    assert_eq!(revoke.status(), 200);
    let after = sf.get("/sobjects").await;
    assert_eq!(after.status, 401);
    assert_eq!(after.error_code(), "INVALID_SESSION_ID");
}

#[tokio::test]
async fn session_expires_after_a_number_of_calls() {
    let sf =
        Sf::start_with(SalesforceConfig::default().session(SessionPolicy::default().max_calls(3)))
            .await;
    for _ in 0..3 {
        assert_eq!(sf.get("/limits").await.status, 200);
    }
    let r = sf.get("/limits").await;
    assert_eq!(r.status, 401);
    assert_eq!(
        r.json,
        json!([{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}])
    );
    assert_eq!(r.headers.get("www-authenticate").unwrap(), "Token");
    // A new token works again.
    let fresh = sf.client_credentials_token().await;
    let ok = sf
        .http
        .get(sf.api("/limits"))
        .bearer_auth(fresh)
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
}

#[tokio::test]
async fn session_idle_timeout_and_expiry_on_demand() {
    let sf = Sf::start_with(frozen_config()).await;
    let clock = sf.sb.emulator().clock().clone();
    clock.advance(TimeDelta::minutes(119));
    assert_eq!(
        sf.get("/limits").await.status,
        200,
        "activity resets the timer"
    );
    clock.advance(TimeDelta::minutes(119));
    assert_eq!(sf.get("/limits").await.status, 200);
    clock.advance(TimeDelta::minutes(121));
    let r = sf.get("/limits").await;
    assert_eq!((r.status, r.error_code()), (401, "INVALID_SESSION_ID"));

    let sf = Sf::start_with(
        SalesforceConfig::default()
            .session(SessionPolicy::default().max_age(Duration::from_secs(3600))),
    )
    .await;
    assert_eq!(sf.get("/limits").await.status, 200);
    sf.sb.emulator().expire_sessions();
    let r = sf.get("/limits").await;
    assert_eq!(
        (r.status, r.error_message()),
        (401, "Session expired or invalid")
    );

    let sf = Sf::start().await;
    sf.sb.emulator().restrict_sessions_from_rest();
    let r = sf.get("/limits").await;
    assert_eq!(r.status, 401);
    assert_eq!(r.error_code(), "INVALID_SESSION_ID");
    assert_eq!(r.error_message(), NOT_VALID_FOR_REST_MESSAGE);

    // No token, a junk token, or another scheme.
    for auth in [None, Some("Bearer junk"), Some("Basic abc")] {
        let mut req = sf.http.get(sf.api("/limits"));
        if let Some(a) = auth {
            req = req.header("authorization", a);
        }
        let r = salesforce_common::finish(req.send().await.unwrap()).await;
        assert_eq!(
            (r.status, r.error_code()),
            (401, "INVALID_SESSION_ID"),
            "{auth:?}"
        );
    }
}

#[tokio::test]
async fn versions_list_and_limit_header() {
    let sf = Sf::start().await;
    let r = sf.http.get(sf.url("/services/data/")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers().get("sforce-limit-info").is_none());
    let list: Vec<Value> = r.json().await.unwrap();
    let newest = list.last().unwrap();
    assert_eq!(newest["version"], "67.0");
    assert_eq!(newest["url"], "/services/data/v67.0");
    assert_eq!(newest["label"], "Summer '26");
    assert!(list.iter().any(|v| v["version"] == "31.0"));

    let a = sf.get("/").await;
    assert_eq!(a.status, 200);
    assert_eq!(a.json["sobjects"], "/services/data/v67.0/sobjects");
    assert_eq!(a.limit_info(), "api-usage=1/100000");
    let b = sf.get("/sobjects/Account/describe/").await;
    assert_eq!(b.limit_info(), "api-usage=2/100000");
    let old = sf
        .send(
            reqwest::Method::GET,
            &sf.url("/services/data/v20.0/sobjects"),
            None,
            &[],
        )
        .await;
    assert_eq!(old.status, 404);
    assert_eq!(sf.sb.emulator().api_usage().used, 2);
}
