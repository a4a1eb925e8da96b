#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Entra ID token endpoints (v2 scope, v1 resource, AADSTS errors) and bearer checks of the
//! Dynamics emulator, over real HTTP.

mod dynamics_support;

use chrono::TimeDelta;
use dynamics_support::D;
use reqwest::Method;
use sandbox::dynamics::{
    AppRegistration, DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_TENANT_ID,
};

const FORM: &str = "application/x-www-form-urlencoded";

async fn token_call(d: &D, path: &str, form: &str) -> dynamics_support::Res {
    d.raw(
        Method::POST,
        &format!("{}/{path}", d.sb.base_url()),
        &[("content-type", FORM)],
        Some(form.as_bytes().to_vec()),
        false,
    )
    .await
}

#[tokio::test]
async fn v2_client_credentials_with_scope() {
    let d = D::start().await;
    let r = token_call(
        &d,
        &format!("{DEFAULT_TENANT_ID}/oauth2/v2.0/token"),
        &format!("grant_type=client_credentials&client_id={DEFAULT_CLIENT_ID}&client_secret={DEFAULT_CLIENT_SECRET}&scope=https%3A%2F%2Fapi.businesscentral.dynamics.com%2F.default"),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["token_type"], "Bearer");
    assert_eq!(r.json["expires_in"], 3599);
    assert_eq!(r.json["ext_expires_in"], 3599);
    let tok = r.json["access_token"].as_str().unwrap();
    assert_eq!(tok.split('.').count(), 3, "JWT-shaped token");
    assert_eq!(r.header("cache-control"), Some("no-store, no-cache"));
    // The token works on both flavours.
    let fno = d
        .raw(
            Method::GET,
            &d.fno("CustomersV3"),
            &[("authorization", &format!("Bearer {tok}"))],
            None,
            false,
        )
        .await;
    assert_eq!(fno.status, 200, "{}", fno.text);
    // Two tokens: the helper's and this one.
    assert_eq!(d.sb.emulator().tokens_issued(), 2);
}

#[tokio::test]
async fn v1_client_credentials_with_resource_and_basic_auth() {
    let d = D::start().await;
    let r = token_call(
        &d,
        &format!("{DEFAULT_TENANT_ID}/oauth2/token"),
        &format!("grant_type=client_credentials&client_id={DEFAULT_CLIENT_ID}&client_secret={DEFAULT_CLIENT_SECRET}&resource=https%3A%2F%2Fusmf.operations.dynamics.com"),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    // v1 answers its numbers as strings.
    assert_eq!(r.json["expires_in"], "3599");
    assert_eq!(r.json["resource"], "https://usmf.operations.dynamics.com");
    let exp: i64 = r.json["expires_on"].as_str().unwrap().parse().unwrap();
    assert_eq!(
        exp,
        (dynamics_support::t0() + TimeDelta::seconds(3599)).timestamp()
    );

    // client_secret_basic works too.
    use base64::Engine;
    let basic = base64::engine::general_purpose::STANDARD
        .encode(format!("{DEFAULT_CLIENT_ID}:{DEFAULT_CLIENT_SECRET}"));
    let r = d
        .raw(
            Method::POST,
            &format!("{}/{DEFAULT_TENANT_ID}/oauth2/v2.0/token", d.sb.base_url()),
            &[
                ("content-type", FORM),
                ("authorization", &format!("Basic {basic}")),
            ],
            Some(b"grant_type=client_credentials&scope=https%3A%2F%2Fx%2F.default".to_vec()),
            false,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
}

#[tokio::test]
async fn aadsts_errors() {
    let d = D::start().await;
    let bad_secret = token_call(
        &d,
        &format!("{DEFAULT_TENANT_ID}/oauth2/v2.0/token"),
        &format!("grant_type=client_credentials&client_id={DEFAULT_CLIENT_ID}&client_secret=wrong&scope=https%3A%2F%2Fx%2F.default"),
    )
    .await;
    assert_eq!(bad_secret.status, 401);
    assert_eq!(bad_secret.json["error"], "invalid_client");
    assert_eq!(bad_secret.json["error_codes"][0], 7_000_215);
    assert!(
        bad_secret.json["error_description"]
            .as_str()
            .unwrap()
            .starts_with("AADSTS7000215: Invalid client secret provided.")
    );
    assert!(bad_secret.json["trace_id"].is_string());
    assert!(bad_secret.json["correlation_id"].is_string());

    let unknown_app = token_call(
        &d,
        &format!("{DEFAULT_TENANT_ID}/oauth2/v2.0/token"),
        "grant_type=client_credentials&client_id=nobody&client_secret=x&scope=https%3A%2F%2Fx%2F.default",
    )
    .await;
    assert_eq!(unknown_app.status, 400);
    assert_eq!(unknown_app.json["error_codes"][0], 700_016);

    let no_default = token_call(
        &d,
        &format!("{DEFAULT_TENANT_ID}/oauth2/v2.0/token"),
        &format!("grant_type=client_credentials&client_id={DEFAULT_CLIENT_ID}&client_secret={DEFAULT_CLIENT_SECRET}&scope=https%3A%2F%2Fx%2Fuser.read"),
    )
    .await;
    assert_eq!(no_default.status, 400);
    assert_eq!(no_default.json["error"], "invalid_scope");

    let tenant = token_call(
        &d,
        "not-a-tenant/oauth2/v2.0/token",
        "grant_type=client_credentials",
    )
    .await;
    assert_eq!(tenant.json["error_codes"][0], 90_002);

    let grant = token_call(
        &d,
        &format!("{DEFAULT_TENANT_ID}/oauth2/v2.0/token"),
        "grant_type=password&username=a&password=b",
    )
    .await;
    assert_eq!(grant.json["error"], "unsupported_grant_type");
}

#[tokio::test]
async fn missing_invalid_and_expired_bearer_get_401_with_www_authenticate() {
    let d = D::start().await;
    // Missing token, F&O: empty body.
    let none = d
        .raw(Method::GET, &d.fno("CustomersV3"), &[], None, false)
        .await;
    assert_eq!(none.status, 401);
    assert!(none.text.is_empty());
    assert!(
        none.header("www-authenticate")
            .unwrap()
            .starts_with("Bearer")
    );
    // Unknown token, BC: Authentication_InvalidCredentials.
    let bogus = d
        .raw(
            Method::GET,
            &d.bc_root("companies"),
            &[("authorization", "Bearer nope")],
            None,
            false,
        )
        .await;
    assert_eq!(bogus.status, 401);
    assert_eq!(
        bogus.json["error"]["code"],
        "Authentication_InvalidCredentials"
    );
    assert!(bogus.header("www-authenticate").is_some());

    // Expired: by the clock, then by expire_tokens().
    assert_eq!(d.get(&d.fno("CustomersV3")).await.status, 200);
    d.sb.emulator().clock().advance(TimeDelta::seconds(3600));
    let expired = d.get(&d.fno("CustomersV3")).await;
    assert_eq!(expired.status, 401);
    assert!(
        expired
            .header("www-authenticate")
            .unwrap()
            .contains("invalid_token")
    );
    let fresh = d.fetch_token().await;
    let ok = d
        .raw(
            Method::GET,
            &d.bc_root("companies"),
            &[("authorization", &format!("Bearer {fresh}"))],
            None,
            false,
        )
        .await;
    assert_eq!(ok.status, 200);
    d.sb.emulator().expire_tokens();
    let again = d
        .raw(
            Method::GET,
            &d.bc_root("companies"),
            &[("authorization", &format!("Bearer {fresh}"))],
            None,
            false,
        )
        .await;
    assert_eq!(again.status, 401);
}

#[tokio::test]
async fn app_default_company_and_short_lifetime() {
    let cfg = dynamics_support::frozen()
        .app(
            AppRegistration::new(DEFAULT_TENANT_ID, "demf-app", "s3cret")
                .fno_default_company("demf"),
        )
        .token_lifetime(std::time::Duration::from_secs(60))
        .fno(|f| f.companies.push("demf".into()));
    let d = D::start_with(cfg).await;
    d.sb.emulator()
        .seed_fno_customer("demf", "DE-001", "Berlin GmbH")
        .unwrap();
    d.sb.emulator()
        .seed_fno_customer("usmf", "US-001", "Contoso")
        .unwrap();
    let r = token_call(
        &d,
        &format!("{DEFAULT_TENANT_ID}/oauth2/v2.0/token"),
        "grant_type=client_credentials&client_id=demf-app&client_secret=s3cret&scope=https%3A%2F%2Fx%2F.default",
    )
    .await;
    assert_eq!(r.json["expires_in"], 60);
    let tok = r.json["access_token"].as_str().unwrap();
    let list = d
        .raw(
            Method::GET,
            &d.fno("CustomersV3"),
            &[("authorization", &format!("Bearer {tok}"))],
            None,
            false,
        )
        .await;
    let accounts: Vec<&str> = list.json["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["CustomerAccount"].as_str().unwrap())
        .collect();
    assert_eq!(accounts, ["DE-001"], "the app's default company only");
}
