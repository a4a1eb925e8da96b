//! Shared helpers for the Salesforce emulator tests: a started sandbox, a reqwest client, a
//! token, JWT signing and small request helpers.
#![allow(
    dead_code,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use chrono::{DateTime, Utc};
use reqwest::Method;
use sandbox::salesforce::{
    DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, SalesforceConfig, SalesforceSandbox, SandboxClock,
};
use serde_json::{Value, json};

/// A private key the emulator does not trust.
pub const OTHER_KEY_PEM: &str = include_str!("../fixtures/salesforce_other_private_key.pem");

/// 2024-05-01 18:00:00 UTC.
pub fn t0() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2024-05-01T18:00:00Z")
        .unwrap()
        .to_utc()
}

/// A config whose clock is frozen at [`t0`].
pub fn frozen_config() -> SalesforceConfig {
    SalesforceConfig::default().clock(SandboxClock::frozen_at(t0()))
}

pub struct Sf {
    pub sb: SalesforceSandbox,
    pub http: reqwest::Client,
    pub token: String,
}

#[derive(Debug)]
pub struct Res {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub text: String,
    pub json: Value,
}

impl Res {
    /// The first error of a REST error array.
    pub fn error_code(&self) -> &str {
        self.json[0]["errorCode"].as_str().unwrap_or("")
    }

    pub fn error_message(&self) -> &str {
        self.json[0]["message"].as_str().unwrap_or("")
    }

    pub fn limit_info(&self) -> String {
        self.headers
            .get("sforce-limit-info")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default()
    }
}

pub fn form(pairs: &[(&str, &str)]) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        s.append_pair(k, v);
    }
    s.finish()
}

/// Sign `claims` with RS256 and `key_pem`.
pub fn jwt(claims: &Value, key_pem: &str) -> String {
    let key = jsonwebtoken::EncodingKey::from_rsa_pem(key_pem.as_bytes()).unwrap();
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256),
        claims,
        &key,
    )
    .unwrap()
}

/// Percent-encode SOQL for `?q=` with `%20` for spaces.
pub fn encode_q(soql: &str) -> String {
    let mut out = String::new();
    for b in soql.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

impl Sf {
    pub async fn start() -> Self {
        Self::start_with(SalesforceConfig::default()).await
    }

    pub async fn start_with(config: SalesforceConfig) -> Self {
        let sb = SalesforceSandbox::start_with(config).await.unwrap();
        let http = reqwest::Client::builder().build().unwrap();
        let mut sf = Self {
            sb,
            http,
            token: String::new(),
        };
        sf.token = sf.client_credentials_token().await;
        sf
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.sb.base_url())
    }

    /// `/services/data/v67.0{path}`.
    pub fn api(&self, path: &str) -> String {
        format!("{}/services/data/v67.0{path}", self.sb.base_url())
    }

    pub async fn token_request(&self, body: String) -> Res {
        let res = self
            .http
            .post(self.url("/services/oauth2/token"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap();
        finish(res).await
    }

    pub async fn client_credentials_token(&self) -> String {
        let r = self
            .token_request(form(&[
                ("grant_type", "client_credentials"),
                ("client_id", DEFAULT_CLIENT_ID),
                ("client_secret", DEFAULT_CLIENT_SECRET),
            ]))
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        r.json["access_token"].as_str().unwrap().to_owned()
    }

    pub async fn send(
        &self,
        method: Method,
        url: &str,
        body: Option<&Value>,
        headers: &[(&str, &str)],
    ) -> Res {
        let mut req = self.http.request(method, url).bearer_auth(&self.token);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        if let Some(b) = body {
            req = req.json(b);
        }
        finish(req.send().await.unwrap()).await
    }

    pub async fn get(&self, path: &str) -> Res {
        self.send(Method::GET, &self.api(path), None, &[]).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Res {
        self.send(Method::POST, &self.api(path), Some(&body), &[])
            .await
    }

    pub async fn patch(&self, path: &str, body: Value) -> Res {
        self.send(Method::PATCH, &self.api(path), Some(&body), &[])
            .await
    }

    pub async fn delete(&self, path: &str) -> Res {
        self.send(Method::DELETE, &self.api(path), None, &[]).await
    }

    /// Run SOQL (`%20` for spaces).
    pub async fn query(&self, soql: &str) -> Res {
        self.get(&format!("/query?q={}", encode_q(soql))).await
    }

    /// Create a record over HTTP and return its id.
    pub async fn create(&self, object: &str, body: Value) -> String {
        let r = self.post(&format!("/sobjects/{object}"), body).await;
        assert_eq!(r.status, 201, "{}", r.text);
        r.json["id"].as_str().unwrap().to_owned()
    }

    /// Names returned by a query, in order.
    pub async fn names(&self, soql: &str) -> Vec<String> {
        let r = self.query(soql).await;
        assert_eq!(r.status, 200, "{soql}: {}", r.text);
        r.json["records"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["Name"].as_str().unwrap_or("<null>").to_owned())
            .collect()
    }
}

pub async fn finish(res: reqwest::Response) -> Res {
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    let text = res.text().await.unwrap();
    let json = serde_json::from_str(&text).unwrap_or(Value::Null);
    Res {
        status,
        headers,
        text,
        json,
    }
}

/// Claims accepted by the default configuration, expiring in `ahead` seconds.
pub fn claims(ahead: i64) -> Value {
    json!({
        "iss": DEFAULT_CLIENT_ID,
        "sub": sandbox::salesforce::DEFAULT_USERNAME,
        "aud": "https://login.salesforce.com",
        "exp": Utc::now().timestamp() + ahead,
    })
}
