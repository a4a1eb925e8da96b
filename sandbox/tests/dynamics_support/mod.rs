//! Shared helpers of the Dynamics emulator tests: a started sandbox, a reqwest client, a token,
//! and URL builders for both flavours.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use chrono::{DateTime, Utc};
use reqwest::Method;
use reqwest::header::HeaderMap;
use sandbox::dynamics::{
    DEFAULT_BC_COMPANY_ID, DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_TENANT_ID,
    DynamicsConfig, DynamicsSandbox,
};
use sandbox::paytrace::SandboxClock;
use serde_json::Value;

/// 2024-05-01 18:00:00 UTC.
pub(crate) fn t0() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2024-05-01T18:00:00Z")
        .unwrap()
        .to_utc()
}

/// A configuration whose clock is frozen at [`t0`].
pub(crate) fn frozen() -> DynamicsConfig {
    DynamicsConfig::default().clock(SandboxClock::frozen_at(t0()))
}

pub(crate) struct Res {
    pub(crate) status: u16,
    pub(crate) headers: HeaderMap,
    pub(crate) text: String,
    pub(crate) json: Value,
}

impl Res {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

pub(crate) struct D {
    pub(crate) sb: DynamicsSandbox,
    pub(crate) http: reqwest::Client,
    pub(crate) token: String,
}

impl D {
    pub(crate) async fn start() -> Self {
        Self::start_with(frozen()).await
    }

    pub(crate) async fn start_with(config: DynamicsConfig) -> Self {
        let sb = DynamicsSandbox::start_with(config).await.unwrap();
        let http = reqwest::Client::builder().build().unwrap();
        let mut d = Self {
            sb,
            http,
            token: String::new(),
        };
        d.token = d.fetch_token().await;
        d
    }

    /// A v2 client-credentials token for the default app.
    pub(crate) async fn fetch_token(&self) -> String {
        let form = format!(
            "grant_type=client_credentials&client_id={DEFAULT_CLIENT_ID}&client_secret={DEFAULT_CLIENT_SECRET}&scope={}%2F.default",
            self.sb.fno_url()
        );
        let r = self
            .raw(
                Method::POST,
                &self.sb.token_url(DEFAULT_TENANT_ID),
                &[("content-type", "application/x-www-form-urlencoded")],
                Some(form.into_bytes()),
                false,
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        r.json["access_token"].as_str().unwrap().to_owned()
    }

    /// `…/data/<path>`.
    pub(crate) fn fno(&self, path: &str) -> String {
        format!("{}/{path}", self.sb.fno_data_url())
    }

    /// `…/api/v2.0/<path>`.
    pub(crate) fn bc_root(&self, path: &str) -> String {
        format!("{}/{path}", self.sb.bc_api_url(DEFAULT_TENANT_ID))
    }

    /// `…/api/v2.0/companies(<default>)/<path>`.
    pub(crate) fn bc(&self, path: &str) -> String {
        self.bc_root(&format!("companies({DEFAULT_BC_COMPANY_ID})/{path}"))
    }

    pub(crate) async fn raw(
        &self,
        method: Method,
        url: &str,
        headers: &[(&str, &str)],
        body: Option<Vec<u8>>,
        auth: bool,
    ) -> Res {
        let mut b = self.http.request(method, url);
        if auth {
            b = b.bearer_auth(&self.token);
        }
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        if let Some(body) = body {
            b = b.body(body);
        }
        let r = b.send().await.unwrap();
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        let text = r.text().await.unwrap();
        let json = serde_json::from_str(&text).unwrap_or(Value::Null);
        Res {
            status,
            headers,
            text,
            json,
        }
    }

    pub(crate) async fn get(&self, url: &str) -> Res {
        self.raw(Method::GET, url, &[], None, true).await
    }

    pub(crate) async fn get_with(&self, url: &str, headers: &[(&str, &str)]) -> Res {
        self.raw(Method::GET, url, headers, None, true).await
    }

    pub(crate) async fn send(
        &self,
        method: Method,
        url: &str,
        headers: &[(&str, &str)],
        body: &Value,
    ) -> Res {
        let mut hs: Vec<(&str, &str)> = vec![("content-type", "application/json")];
        hs.extend_from_slice(headers);
        self.raw(method, url, &hs, Some(body.to_string().into_bytes()), true)
            .await
    }

    pub(crate) async fn post(&self, url: &str, body: &Value) -> Res {
        self.send(Method::POST, url, &[], body).await
    }

    /// POST that must succeed with 201; returns the body.
    pub(crate) async fn create(&self, url: &str, body: &Value) -> Value {
        let r = self.post(url, body).await;
        assert_eq!(r.status, 201, "POST {url}: {}", r.text);
        r.json
    }
}
