//! `POST /oauth/token` (password grant) and bearer-token checks.
//!
//! The token service is taken to behave like Doorkeeper (reference §1.2, UNCONFIRMED): bad
//! grants answer HTTP 400 `invalid_grant`; an unknown or expired bearer token answers HTTP 401
//! `invalid_token` with a `WWW-Authenticate` header, bodies `{"error", "error_description"}`.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use serde_json::Value;

use super::json::J;
use super::reply::Reply;
use super::store::{Store, TokenProblem};

const INVALID_GRANT: &str = "The provided authorization grant is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client.";
const INVALID_REQUEST: &str = "The request is missing a required parameter, includes an unsupported parameter value, or is otherwise malformed.";
const UNSUPPORTED_GRANT: &str =
    "The authorization grant type is not supported by the authorization server.";

/// Read `grant_type`, `username`, `password` from a form-encoded or JSON body.
fn grant_params(headers: &HeaderMap, body: &[u8]) -> Option<[Option<String>; 3]> {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let trimmed = body.trim_ascii_start();
    let looks_json = ct.contains("json") || trimmed.first() == Some(&b'{');
    if looks_json {
        let v: Value = serde_json::from_slice(body).ok()?;
        let obj = v.as_object()?;
        let get = |k: &str| match obj.get(k) {
            Some(Value::String(s)) => Some(s.clone()),
            Some(Value::Number(n)) => Some(n.to_string()),
            _ => None,
        };
        Some([get("grant_type"), get("username"), get("password")])
    } else {
        let mut out: [Option<String>; 3] = [None, None, None];
        for (k, v) in form_urlencoded::parse(body) {
            let slot = match k.as_ref() {
                "grant_type" => 0,
                "username" => 1,
                "password" => 2,
                _ => continue,
            };
            if let Some(s) = out.get_mut(slot) {
                *s = Some(v.into_owned());
            }
        }
        Some(out)
    }
}

/// Handle `POST /oauth/token`.
pub(crate) fn token(store: &mut Store, headers: &HeaderMap, body: &[u8]) -> Reply {
    let Some([grant, user, pass]) = grant_params(headers, body) else {
        return Reply::oauth_error(StatusCode::BAD_REQUEST, "invalid_request", INVALID_REQUEST);
    };
    match grant.as_deref() {
        None | Some("") => {
            return Reply::oauth_error(StatusCode::BAD_REQUEST, "invalid_request", INVALID_REQUEST);
        }
        Some("password") => {}
        Some(_) => {
            return Reply::oauth_error(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                UNSUPPORTED_GRANT,
            );
        }
    }
    let (Some(user), Some(pass)) = (user, pass) else {
        return Reply::oauth_error(StatusCode::BAD_REQUEST, "invalid_request", INVALID_REQUEST);
    };
    if user != store.config.username || pass != store.config.password {
        return Reply::oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", INVALID_GRANT);
    }
    let (token, created) = store.issue_token(&user);
    let expires_in = store.config.token_lifetime.as_secs();
    Reply::ok(
        J::obj()
            .with("access_token", token)
            .with("token_type", "bearer")
            .with("expires_in", expires_in)
            .with("created_at", J::Int(created.timestamp())),
    )
    .header(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))
    .header(header::PRAGMA, HeaderValue::from_static("no-cache"))
}

/// The bearer token of a request, if the header is well formed.
fn bearer(headers: &HeaderMap) -> Option<&str> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = v.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
        .filter(|t| !t.is_empty())
}

/// The API user of a valid token, or the 401 reply.
pub(crate) fn authenticate(store: &Store, headers: &HeaderMap) -> Result<String, Reply> {
    let problem = match bearer(headers) {
        None => TokenProblem::Invalid,
        Some(t) => match store.check_token(t) {
            Ok(user) => return Ok(user),
            Err(p) => p,
        },
    };
    let description = match problem {
        TokenProblem::Invalid => "The access token is invalid",
        TokenProblem::Expired => "The access token expired",
    };
    let www = format!(
        "Bearer realm=\"PayTrace\", error=\"invalid_token\", error_description=\"{description}\""
    );
    let mut reply = Reply::oauth_error(StatusCode::UNAUTHORIZED, "invalid_token", description);
    if let Ok(v) = HeaderValue::from_str(&www) {
        reply = reply.header(header::WWW_AUTHENTICATE, v);
    }
    Err(reply)
}
