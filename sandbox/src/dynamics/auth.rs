//! Microsoft Entra ID token endpoints and bearer checks.
//!
//! * `POST /{tenant}/oauth2/v2.0/token`: `grant_type=client_credentials`, `client_id`,
//!   `client_secret` (or HTTP Basic, or a `client_assertion`, accepted unverified for a known
//!   client), `scope=<resource>/.default`. Answers `{token_type:"Bearer", expires_in,
//!   ext_expires_in, access_token}`.
//! * `POST /{tenant}/oauth2/token` (v1): the same with `resource=<resource>`. v1 answers its
//!   numbers as strings (`"expires_in":"3599"`) and adds `expires_on`, `not_before`,
//!   `resource`, as Entra's v1 endpoint does.
//! * Failures: `{error, error_description:"AADSTS<code>: …", error_codes:[code], timestamp,
//!   trace_id, correlation_id, error_uri}` — 400 for request problems (`invalid_request`,
//!   `unsupported_grant_type`, `invalid_scope`, `unauthorized_client`), 401 `invalid_client`
//!   for a wrong secret.
//!
//! Access tokens are JWT-shaped (header.payload.signature, base64url) with `aud`, `tid`,
//! `appid`, `iat`, `nbf`, `exp`; the signature is random: nothing verifies it but the
//! emulator, which looks tokens up in its own table.

use std::collections::HashMap;

use axum::http::{HeaderMap, StatusCode, header};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use chrono::{DateTime, TimeDelta, Utc};
use rand::Rng;
use serde_json::{Value, json};

use super::config::{AppRegistration, DynamicsConfig};
use super::http::Resp;
use super::odata::value::new_guid;

/// One issued access token.
#[derive(Clone, Debug)]
pub(crate) struct Token {
    pub(crate) client_id: String,
    pub(crate) expires_at: DateTime<Utc>,
    pub(crate) fno_default_company: Option<String>,
}

/// Issued tokens.
#[derive(Clone, Debug, Default)]
pub(crate) struct AuthState {
    tokens: HashMap<String, Token>,
    pub(crate) issued: u64,
}

/// Token endpoint version.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Version {
    V1,
    V2,
}

fn aad_error(
    status: StatusCode,
    error: &str,
    code: u32,
    description: &str,
    now: DateTime<Utc>,
) -> Resp {
    let trace = new_guid();
    let correlation = new_guid();
    let ts = now.format("%Y-%m-%d %H:%M:%SZ").to_string();
    Resp::plain(
        status,
        json!({
            "error": error,
            "error_description": format!(
                "AADSTS{code}: {description} Trace ID: {trace} Correlation ID: {correlation} Timestamp: {ts}"
            ),
            "error_codes": [code],
            "timestamp": ts,
            "trace_id": trace,
            "correlation_id": correlation,
            "error_uri": format!("https://login.microsoftonline.com/error?code={code}"),
        }),
    )
    .header("Cache-Control", "no-store, no-cache")
    .header("Pragma", "no-cache")
}

fn missing(param: &str, now: DateTime<Utc>) -> Resp {
    aad_error(
        StatusCode::BAD_REQUEST,
        "invalid_request",
        900_144,
        &format!("The request body must contain the following parameter: '{param}'."),
        now,
    )
}

fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let b64 = v
        .strip_prefix("Basic ")
        .or_else(|| v.strip_prefix("basic "))?;
    let decoded = String::from_utf8(STANDARD.decode(b64.trim()).ok()?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    Some((id.to_owned(), secret.to_owned()))
}

fn mint(app: &AppRegistration, audience: &str, now: DateTime<Utc>, exp: DateTime<Utc>) -> String {
    let header = URL_SAFE_NO_PAD.encode(r#"{"typ":"JWT","alg":"RS256","kid":"sandbox"}"#);
    let payload = json!({
        "aud": audience,
        "iss": format!("https://sts.windows.net/{}/", app.tenant_id),
        "iat": now.timestamp(),
        "nbf": now.timestamp(),
        "exp": exp.timestamp(),
        "appid": app.client_id,
        "tid": app.tenant_id,
        "oid": new_guid(),
        "roles": ["API.ReadWrite.All"],
        "jti": new_guid(),
    });
    let payload = URL_SAFE_NO_PAD.encode(payload.to_string());
    let mut sig = [0u8; 32];
    rand::rng().fill(&mut sig);
    format!("{header}.{payload}.{}", URL_SAFE_NO_PAD.encode(sig))
}

impl AuthState {
    /// Handle a token request for `tenant`.
    pub(crate) fn token(
        &mut self,
        cfg: &DynamicsConfig,
        now: DateTime<Utc>,
        tenant: &str,
        version: Version,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Resp {
        let params: HashMap<String, String> = form_urlencoded::parse(body)
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        let get = |k: &str| params.get(k).map(String::as_str).filter(|v| !v.is_empty());
        let known_tenant = cfg.apps.iter().any(|a| {
            a.tenant_id.eq_ignore_ascii_case(tenant)
                || a.tenant_domains
                    .iter()
                    .any(|d| d.eq_ignore_ascii_case(tenant))
        });
        if !known_tenant {
            return aad_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                90_002,
                &format!(
                    "Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant."
                ),
                now,
            );
        }
        let Some(grant) = get("grant_type") else {
            return missing("grant_type", now);
        };
        if grant != "client_credentials" {
            return aad_error(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                70_003,
                &format!("The app requested an unsupported grant type '{grant}'."),
                now,
            );
        }
        let basic = basic_credentials(headers);
        let client_id = get("client_id")
            .map(str::to_owned)
            .or_else(|| basic.as_ref().map(|(id, _)| id.clone()));
        let Some(client_id) = client_id else {
            return missing("client_id", now);
        };
        let Some(app) = cfg.apps.iter().find(|a| {
            a.client_id.eq_ignore_ascii_case(&client_id)
                && (a.tenant_id.eq_ignore_ascii_case(tenant)
                    || a.tenant_domains
                        .iter()
                        .any(|d| d.eq_ignore_ascii_case(tenant)))
        }) else {
            return aad_error(
                StatusCode::BAD_REQUEST,
                "unauthorized_client",
                700_016,
                &format!(
                    "Application with identifier '{client_id}' was not found in the directory '{tenant}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant."
                ),
                now,
            );
        };
        let secret = get("client_secret")
            .map(str::to_owned)
            .or_else(|| basic.map(|(_, s)| s));
        let assertion = get("client_assertion").is_some()
            && get("client_assertion_type")
                == Some("urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
        match secret {
            Some(s) if s == app.client_secret => {}
            Some(_) => {
                return aad_error(
                    StatusCode::UNAUTHORIZED,
                    "invalid_client",
                    7_000_215,
                    &format!(
                        "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '{}'.",
                        app.client_id
                    ),
                    now,
                );
            }
            None if assertion => {}
            None => {
                return aad_error(
                    StatusCode::UNAUTHORIZED,
                    "invalid_client",
                    7_000_218,
                    "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
                    now,
                );
            }
        }
        let audience = match version {
            Version::V2 => {
                let Some(scope) = get("scope") else {
                    return missing("scope", now);
                };
                let first = scope.split_whitespace().next().unwrap_or("");
                let Some(resource) = first.strip_suffix("/.default").filter(|r| !r.is_empty())
                else {
                    return aad_error(
                        StatusCode::BAD_REQUEST,
                        "invalid_scope",
                        1_002_012,
                        &format!(
                            "The provided value for scope {scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI)."
                        ),
                        now,
                    );
                };
                resource.to_owned()
            }
            Version::V1 => match get("resource") {
                Some(r) => r.to_owned(),
                None => return missing("resource", now),
            },
        };
        let lifetime = TimeDelta::from_std(cfg.token_lifetime).unwrap_or(TimeDelta::hours(1));
        let exp = now.checked_add_signed(lifetime).unwrap_or(now);
        let token = mint(app, &audience, now, exp);
        self.tokens.insert(
            token.clone(),
            Token {
                client_id: app.client_id.clone(),
                expires_at: exp,
                fno_default_company: app.fno_default_company.clone(),
            },
        );
        self.issued += 1;
        let secs = lifetime.num_seconds();
        let body: Value = match version {
            Version::V2 => json!({
                "token_type": "Bearer",
                "expires_in": secs,
                "ext_expires_in": secs,
                "access_token": token,
            }),
            Version::V1 => json!({
                "token_type": "Bearer",
                "expires_in": secs.to_string(),
                "ext_expires_in": secs.to_string(),
                "expires_on": exp.timestamp().to_string(),
                "not_before": now.timestamp().to_string(),
                "resource": audience,
                "access_token": token,
            }),
        };
        Resp::plain(StatusCode::OK, body)
            .header("Cache-Control", "no-store, no-cache")
            .header("Pragma", "no-cache")
    }

    /// Issue a token for `app` without HTTP.
    pub(crate) fn issue(
        &mut self,
        app: &AppRegistration,
        audience: &str,
        now: DateTime<Utc>,
        lifetime: TimeDelta,
    ) -> String {
        let exp = now.checked_add_signed(lifetime).unwrap_or(now);
        let token = mint(app, audience, now, exp);
        self.tokens.insert(
            token.clone(),
            Token {
                client_id: app.client_id.clone(),
                expires_at: exp,
                fno_default_company: app.fno_default_company.clone(),
            },
        );
        self.issued += 1;
        token
    }

    /// The token of an `Authorization: Bearer …` header, or why it is refused.
    pub(crate) fn check(&self, headers: &HeaderMap, now: DateTime<Utc>) -> Result<Token, String> {
        let Some(v) = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
        else {
            return Err("The access token is missing.".into());
        };
        let Some(tok) = v
            .strip_prefix("Bearer ")
            .or_else(|| v.strip_prefix("bearer "))
        else {
            return Err("The authorization header is not a bearer token.".into());
        };
        let Some(t) = self.tokens.get(tok.trim()) else {
            return Err("The access token is invalid.".into());
        };
        if t.expires_at <= now {
            return Err("The access token has expired.".into());
        }
        Ok(t.clone())
    }

    /// Make every issued token expired.
    pub(crate) fn expire_all(&mut self, now: DateTime<Utc>) {
        for t in self.tokens.values_mut() {
            t.expires_at = now - TimeDelta::seconds(1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dynamics::config::{DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_TENANT_ID};

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2024-05-01T18:00:00Z")
            .unwrap()
            .to_utc()
    }

    fn call(body: &str, version: Version) -> Resp {
        let mut s = AuthState::default();
        s.token(
            &DynamicsConfig::default(),
            now(),
            DEFAULT_TENANT_ID,
            version,
            &HeaderMap::new(),
            body.as_bytes(),
        )
    }

    #[test]
    fn v2_and_v1_success() {
        let ok = call(
            &format!(
                "grant_type=client_credentials&client_id={DEFAULT_CLIENT_ID}&client_secret={DEFAULT_CLIENT_SECRET}&scope=https%3A%2F%2Fx.operations.dynamics.com%2F.default"
            ),
            Version::V2,
        );
        assert_eq!(ok.status, StatusCode::OK);
        assert_eq!(ok.json().unwrap()["expires_in"], 3599);
        let v1 = call(
            &format!(
                "grant_type=client_credentials&client_id={DEFAULT_CLIENT_ID}&client_secret={DEFAULT_CLIENT_SECRET}&resource=https%3A%2F%2Fx.operations.dynamics.com"
            ),
            Version::V1,
        );
        assert_eq!(v1.json().unwrap()["expires_in"], "3599");
        assert_eq!(
            v1.json().unwrap()["resource"],
            "https://x.operations.dynamics.com"
        );
    }

    #[test]
    fn failures() {
        let bad = call(
            &format!(
                "grant_type=client_credentials&client_id={DEFAULT_CLIENT_ID}&client_secret=nope&scope=x/.default"
            ),
            Version::V2,
        );
        assert_eq!(bad.status, StatusCode::UNAUTHORIZED);
        assert_eq!(bad.json().unwrap()["error"], "invalid_client");
        assert_eq!(bad.json().unwrap()["error_codes"][0], 7_000_215);
        let scope = call(
            &format!(
                "grant_type=client_credentials&client_id={DEFAULT_CLIENT_ID}&client_secret={DEFAULT_CLIENT_SECRET}&scope=https://x"
            ),
            Version::V2,
        );
        assert_eq!(scope.json().unwrap()["error"], "invalid_scope");
        let grant = call("grant_type=password", Version::V2);
        assert_eq!(grant.json().unwrap()["error"], "unsupported_grant_type");
    }
}
