//! Shared helpers for the sandbox integration tests: a started PayTrace emulator, a reqwest
//! client, and a token.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Mutex;

use chrono::{DateTime, Utc};
use sandbox::paytrace::{
    DEFAULT_INTEGRATOR_ID, DEFAULT_PASSWORD, DEFAULT_USERNAME, PayTraceConfig, PayTraceSandbox,
    SandboxClock,
};
use serde_json::{Value, json};

/// 2024-05-01 18:00:00 UTC = 11:00:00 AM in Los Angeles.
pub(crate) fn t0() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2024-05-01T18:00:00Z")
        .unwrap()
        .to_utc()
}

/// A config whose clock is frozen at [`t0`].
pub(crate) fn frozen_config() -> PayTraceConfig {
    PayTraceConfig::default().clock(SandboxClock::frozen_at(t0()))
}

pub(crate) struct Pt {
    pub(crate) sb: PayTraceSandbox,
    pub(crate) http: reqwest::Client,
    pub(crate) token: String,
    /// Every response body seen, to check that no card number is ever echoed.
    pub(crate) seen: Mutex<Vec<String>>,
}

pub(crate) struct Res {
    pub(crate) status: u16,
    pub(crate) headers: reqwest::header::HeaderMap,
    pub(crate) text: String,
    pub(crate) json: Value,
}

impl Pt {
    pub(crate) async fn start() -> Self {
        Self::start_with(frozen_config()).await
    }

    pub(crate) async fn start_with(config: PayTraceConfig) -> Self {
        let sb = PayTraceSandbox::start_with(config).await.unwrap();
        let http = reqwest::Client::builder().build().unwrap();
        let mut pt = Self {
            sb,
            http,
            token: String::new(),
            seen: Mutex::new(Vec::new()),
        };
        pt.token = pt.fetch_token().await;
        pt
    }

    /// Get a new token (e.g. after moving the clock past the old one's expiry).
    pub(crate) async fn refresh_token(&mut self) {
        self.token = self.fetch_token().await;
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{}", self.sb.base_url(), path)
    }

    pub(crate) async fn fetch_token(&self) -> String {
        let res = self
            .http
            .post(self.url("/oauth/token"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!(
                "grant_type=password&username={DEFAULT_USERNAME}&password={DEFAULT_PASSWORD}"
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let v: Value = res.json().await.unwrap();
        v["access_token"].as_str().unwrap().to_owned()
    }

    async fn finish(&self, res: reqwest::Response) -> Res {
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        let text = res.text().await.unwrap();
        self.seen.lock().unwrap().push(text.clone());
        let json = serde_json::from_str(&text).unwrap_or(Value::Null);
        Res {
            status,
            headers,
            text,
            json,
        }
    }

    /// POST `body` as-is with the bearer token.
    pub(crate) async fn post_raw(&self, path: &str, body: Value) -> Res {
        let res = self
            .http
            .post(self.url(path))
            .bearer_auth(&self.token)
            .json(&body)
            .send()
            .await
            .unwrap();
        self.finish(res).await
    }

    /// POST raw bytes with the bearer token.
    pub(crate) async fn post_bytes(&self, path: &str, body: Vec<u8>) -> Res {
        let res = self
            .http
            .post(self.url(path))
            .bearer_auth(&self.token)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        self.finish(res).await
    }

    /// POST `body` with `integrator_id` added.
    pub(crate) async fn call(&self, path: &str, mut body: Value) -> Res {
        body.as_object_mut()
            .unwrap()
            .entry("integrator_id")
            .or_insert(json!(DEFAULT_INTEGRATOR_ID));
        self.post_raw(path, body).await
    }

    pub(crate) async fn keyed_sale(&self, amount: &str, number: &str, invoice: &str) -> Res {
        self.call(
            "/v1/transactions/sale/keyed",
            json!({
                "amount": amount,
                "credit_card": {"number": number, "expiration_month": "12", "expiration_year": "2030"},
                "csc": "999",
                "invoice_id": invoice,
                "billing_address": {"name": "Jane Doe", "street_address": "1 Main St", "zip": "99201"},
            }),
        )
        .await
    }

    pub(crate) async fn keyed_auth(&self, amount: &str, number: &str) -> Res {
        self.call(
            "/v1/transactions/authorization/keyed",
            json!({
                "amount": amount,
                "credit_card": {"number": number, "expiration_month": "12", "expiration_year": "2030"},
                "csc": "999",
            }),
        )
        .await
    }

    pub(crate) async fn export_by_id(&self, id: u64) -> Value {
        let r = self
            .call(
                "/v1/transactions/export/by_id",
                json!({"transaction_id": id}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        r.json["transactions"][0].clone()
    }

    /// Assert that no response so far contained any of `secrets`.
    pub(crate) fn assert_never_echoed(&self, secrets: &[&str]) {
        for body in self.seen.lock().unwrap().iter() {
            for s in secrets {
                assert!(!body.contains(s), "response echoed {s}: {body}");
            }
        }
    }
}

/// The error keys of a PayTrace error body.
pub(crate) fn error_keys(v: &Value) -> Vec<String> {
    v["errors"]
        .as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default()
}

/// Assert the PayTrace error shape with exactly `keys`.
pub(crate) fn assert_errors(r: &Res, keys: &[&str]) {
    assert_eq!(r.status, 400, "{}", r.text);
    assert_eq!(r.json["success"], false, "{}", r.text);
    assert_eq!(r.json["response_code"], 1, "{}", r.text);
    let mut got = error_keys(&r.json);
    got.sort();
    let mut want: Vec<String> = keys.iter().map(|k| (*k).to_owned()).collect();
    want.sort();
    assert_eq!(got, want, "{}", r.text);
}
