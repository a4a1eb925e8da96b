//! The JWT bearer assertion: RS256 signature against the app's certificate, then `iss`,
//! `aud`, `exp` and `sub` in the order Salesforce's error messages suggest.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::Value;

use super::config::{ConnectedApp, SalesforceConfig};
use super::oauth::OAuthError;

/// A verified assertion: the app and the username it acts as.
#[derive(Debug)]
pub(crate) struct Verified<'a> {
    pub(crate) app: &'a ConnectedApp,
    pub(crate) username: String,
}

fn invalid_assertion() -> OAuthError {
    OAuthError::grant("invalid assertion")
}

fn aud_matches(claim: &Value, accepted: &[String]) -> bool {
    let norm = |s: &str| s.trim_end_matches('/').to_ascii_lowercase();
    let ok = |s: &str| accepted.iter().any(|a| norm(a) == norm(s));
    match claim {
        Value::String(s) => ok(s),
        Value::Array(items) => items.iter().filter_map(Value::as_str).any(ok),
        _ => false,
    }
}

/// Verify `assertion` for `config`; `own_url` is the emulator's login URL (accepted as an
/// audience when configured so).
pub(crate) fn verify<'a>(
    assertion: &str,
    config: &'a SalesforceConfig,
    own_url: &str,
    now: DateTime<Utc>,
) -> Result<Verified<'a>, OAuthError> {
    let header = jsonwebtoken::decode_header(assertion).map_err(|_| invalid_assertion())?;
    if header.alg != Algorithm::RS256 {
        return Err(invalid_assertion());
    }
    let unverified: Value = jsonwebtoken::dangerous::insecure_decode_claims(assertion)
        .map_err(|_| invalid_assertion())?;
    let iss = unverified.get("iss").and_then(Value::as_str).unwrap_or("");
    let app = config
        .apps
        .iter()
        .find(|a| a.client_id == iss)
        .ok_or_else(OAuthError::client_id)?;
    let pem = app
        .jwt_certificate_pem
        .as_deref()
        .ok_or_else(invalid_assertion)?;
    let key = DecodingKey::from_rsa_pem(pem.as_bytes()).map_err(|_| invalid_assertion())?;
    let mut validation = Validation::new(Algorithm::RS256);
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    validation.required_spec_claims = HashSet::new();
    let claims: Value = jsonwebtoken::decode::<Value>(assertion, &key, &validation)
        .map_err(|_| invalid_assertion())?
        .claims;

    let mut accepted = config.jwt_audiences.clone();
    if config.accept_own_url_as_audience {
        accepted.push(own_url.to_owned());
    }
    if !claims.get("aud").is_some_and(|a| aud_matches(a, &accepted)) {
        return Err(OAuthError::grant("audience is invalid"));
    }

    let exp = claims
        .get("exp")
        .and_then(|e| e.as_i64().or_else(|| e.as_f64().map(|f| f as i64)))
        .ok_or_else(invalid_assertion)?;
    let leeway = i64::try_from(config.jwt_leeway.as_secs()).unwrap_or(i64::MAX);
    let max_ahead = i64::try_from(config.jwt_max_lifetime.as_secs()).unwrap_or(i64::MAX);
    let now_s = now.timestamp();
    if exp.saturating_add(leeway) <= now_s {
        return Err(OAuthError::grant("expired authorization code"));
    }
    if exp > now_s.saturating_add(max_ahead).saturating_add(leeway) {
        return Err(invalid_assertion());
    }

    let sub = claims.get("sub").and_then(Value::as_str).unwrap_or("");
    let user = config
        .users
        .iter()
        .find(|u| u.username.eq_ignore_ascii_case(sub))
        .ok_or_else(|| OAuthError::grant("user hasn't approved this consumer"))?;
    if !user.active {
        return Err(OAuthError::new("inactive_user", "user is inactive"));
    }
    if let Some(allowed) = &app.preauthorized_users
        && !allowed.iter().any(|u| u.eq_ignore_ascii_case(sub))
    {
        return Err(OAuthError::grant("user hasn't approved this consumer"));
    }
    Ok(Verified {
        app,
        username: user.username.clone(),
    })
}
