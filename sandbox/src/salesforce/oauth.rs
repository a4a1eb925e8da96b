//! `/services/oauth2/token` (JWT bearer, client credentials, refresh token, username-password),
//! `/services/oauth2/userinfo` and `/services/oauth2/revoke`.
//!
//! Token responses carry `access_token, instance_url, id, token_type, issued_at (ms, as a
//! string), signature, scope` and never `expires_in`; errors are HTTP 400
//! `{"error","error_description"}` with Salesforce's codes and texts.

use std::collections::HashMap;

use axum::http::{HeaderMap, Method, StatusCode, header};
use serde_json::{Value, json};

use super::config::{ConnectedApp, SalesforceUser};
use super::jwt;
use super::reply::Reply;
use super::sessions::Actor;
use super::state::State;
use super::util::{b64, b64_decode, epoch_ms, hmac_sha256, parse_query};

/// The JWT bearer grant type.
pub const JWT_BEARER_GRANT: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";

/// A token endpoint error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct OAuthError {
    status: StatusCode,
    error: String,
    description: String,
}

impl OAuthError {
    pub(crate) fn new(error: &str, description: &str) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            error: error.to_owned(),
            description: description.to_owned(),
        }
    }

    /// `invalid_grant` with this description.
    pub(crate) fn grant(description: &str) -> Self {
        Self::new("invalid_grant", description)
    }

    /// `invalid_client_id` / "client identifier invalid".
    pub(crate) fn client_id() -> Self {
        Self::new("invalid_client_id", "client identifier invalid")
    }

    fn client() -> Self {
        Self::new("invalid_client", "invalid client credentials")
    }

    fn reply(&self) -> Reply {
        no_store(Reply::json(
            self.status,
            json!({"error": self.error, "error_description": self.description}),
        ))
    }
}

fn no_store(r: Reply) -> Reply {
    r.header(
        "Cache-Control",
        "no-cache,must-revalidate,max-age=0,no-store,private",
    )
}

type Params = HashMap<String, String>;

fn params(query: Option<&str>, body: &[u8]) -> Params {
    let mut p: Params = parse_query(query).into_iter().collect();
    let body = String::from_utf8_lossy(body);
    p.extend(parse_query(Some(body.trim())));
    p
}

/// `(client_id, client_secret)` from the body or an HTTP Basic header.
fn client_credentials(p: &Params, headers: &HeaderMap) -> (Option<String>, Option<String>) {
    if let Some(basic) = headers
        .get(header::AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.trim().split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("basic"))
        .and_then(|(_, v)| b64_decode(v))
        .and_then(|raw| String::from_utf8(raw).ok())
        && let Some((id, secret)) = basic.split_once(':')
    {
        return (Some(id.to_owned()), Some(secret.to_owned()));
    }
    (p.get("client_id").cloned(), p.get("client_secret").cloned())
}

impl State {
    fn app(&self, client_id: Option<&str>) -> Result<ConnectedApp, OAuthError> {
        let id = client_id.ok_or_else(OAuthError::client_id)?;
        self.config
            .apps
            .iter()
            .find(|a| a.client_id == id)
            .cloned()
            .ok_or_else(OAuthError::client_id)
    }

    fn active_user(&self, username: &str) -> Result<SalesforceUser, OAuthError> {
        let user = self
            .config
            .users
            .iter()
            .find(|u| u.username.eq_ignore_ascii_case(username))
            .cloned()
            .ok_or_else(|| OAuthError::grant("authentication failure"))?;
        if user.active {
            Ok(user)
        } else {
            Err(OAuthError::new("inactive_user", "user is inactive"))
        }
    }

    fn token_response(
        &mut self,
        app: &ConnectedApp,
        username: &str,
        login_url: &str,
        refresh: Option<String>,
    ) -> Reply {
        let now = self.now();
        let actor = self.actor(username);
        let access = self.sessions.issue(&self.config.org_id, actor.clone(), now);
        let issued_at = epoch_ms(now).to_string();
        let id = format!("{login_url}/id/{}/{}", self.config.org_id, actor.user_id);
        let signature = b64(&hmac_sha256(
            app.client_secret.as_bytes(),
            format!("{id}{issued_at}").as_bytes(),
        ));
        let mut body = json!({
            "access_token": access,
            "instance_url": self.instance_url(login_url),
            "id": id,
            "token_type": "Bearer",
            "issued_at": issued_at,
            "signature": signature,
            "scope": app.scope,
        });
        if let Some(r) = refresh {
            body["refresh_token"] = Value::String(r);
        }
        no_store(Reply::ok(body))
    }

    /// `POST /services/oauth2/token`.
    pub(crate) fn oauth_token(
        &mut self,
        method: &Method,
        headers: &HeaderMap,
        query: Option<&str>,
        body: &[u8],
        login_url: &str,
    ) -> Reply {
        if method != Method::POST {
            return OAuthError::new("invalid_request", "must use HTTP POST").reply();
        }
        let p = params(query, body);
        let result = match p.get("grant_type").map(String::as_str) {
            Some(JWT_BEARER_GRANT) => self.grant_jwt(&p, login_url),
            Some("client_credentials") => self.grant_client_credentials(&p, headers, login_url),
            Some("refresh_token") => self.grant_refresh(&p, headers, login_url),
            Some("password") => self.grant_password(&p, headers, login_url),
            _ => Err(OAuthError::new(
                "unsupported_grant_type",
                "grant type not supported",
            )),
        };
        result.unwrap_or_else(|e| e.reply())
    }

    fn grant_jwt(&mut self, p: &Params, login_url: &str) -> Result<Reply, OAuthError> {
        let assertion = p
            .get("assertion")
            .ok_or_else(|| OAuthError::grant("invalid assertion"))?;
        let now = self.now();
        let (app, username) = {
            let v = jwt::verify(assertion, &self.config, login_url, now)?;
            (v.app.clone(), v.username)
        };
        Ok(self.token_response(&app, &username, login_url, None))
    }

    fn grant_client_credentials(
        &mut self,
        p: &Params,
        headers: &HeaderMap,
        login_url: &str,
    ) -> Result<Reply, OAuthError> {
        let (id, secret) = client_credentials(p, headers);
        let app = self.app(id.as_deref())?;
        if secret.as_deref() != Some(app.client_secret.as_str()) {
            return Err(OAuthError::client());
        }
        if !self.config.my_domain {
            return Err(OAuthError::grant("request not supported on this domain"));
        }
        let run_as = app
            .client_credentials_user
            .clone()
            .ok_or_else(|| OAuthError::grant("no client credentials user enabled"))?;
        let user = self.active_user(&run_as)?;
        Ok(self.token_response(&app, &user.username, login_url, None))
    }

    fn grant_refresh(
        &mut self,
        p: &Params,
        headers: &HeaderMap,
        login_url: &str,
    ) -> Result<Reply, OAuthError> {
        let (id, secret) = client_credentials(p, headers);
        let app = self.app(id.as_deref())?;
        if app.require_secret_for_refresh && secret.as_deref() != Some(app.client_secret.as_str()) {
            return Err(OAuthError::client());
        }
        let expired = || OAuthError::grant("expired access/refresh token");
        let token = p.get("refresh_token").ok_or_else(expired)?;
        let grant = self
            .sessions
            .refresh_grant(token)
            .cloned()
            .ok_or_else(expired)?;
        if grant.client_id != app.client_id {
            return Err(expired());
        }
        let user = self.active_user(&grant.actor.username)?;
        let rotated = app.rotate_refresh_tokens.then(|| {
            self.sessions.revoke_refresh(token);
            self.sessions
                .issue_refresh(grant.actor.clone(), &app.client_id)
        });
        Ok(self.token_response(&app, &user.username, login_url, rotated))
    }

    fn grant_password(
        &mut self,
        p: &Params,
        headers: &HeaderMap,
        login_url: &str,
    ) -> Result<Reply, OAuthError> {
        let (id, secret) = client_credentials(p, headers);
        let app = self.app(id.as_deref())?;
        if secret.as_deref() != Some(app.client_secret.as_str()) {
            return Err(OAuthError::client());
        }
        let failure = || OAuthError::grant("authentication failure");
        if !app.allow_password_grant {
            return Err(failure());
        }
        let username = p.get("username").ok_or_else(failure)?;
        let password = p.get("password").ok_or_else(failure)?;
        let user = self.active_user(username)?;
        let expected = format!("{}{}", user.password, user.security_token);
        if *password != expected {
            return Err(failure());
        }
        Ok(self.token_response(&app, &user.username, login_url, None))
    }

    /// `GET|POST /services/oauth2/userinfo`.
    pub(crate) fn oauth_userinfo(&self, headers: &HeaderMap, login_url: &str) -> Reply {
        let auth = headers
            .get(header::AUTHORIZATION)
            .and_then(|h| h.to_str().ok());
        let Some(session) = self.sessions.peek(auth) else {
            return Reply::text(StatusCode::FORBIDDEN, "Bad_OAuth_Token");
        };
        let actor = &session.actor;
        let user = self
            .config
            .users
            .iter()
            .find(|u| u.username.eq_ignore_ascii_case(&actor.username));
        let (first, last, email) = user.map_or(("", "", ""), |u| {
            (
                u.first_name.as_str(),
                u.last_name.as_str(),
                u.email.as_str(),
            )
        });
        let instance = self.instance_url(login_url);
        let org = &self.config.org_id;
        let uid = &actor.user_id;
        Reply::ok(json!({
            "sub": format!("{login_url}/id/{org}/{uid}"),
            "user_id": uid,
            "organization_id": org,
            "preferred_username": actor.username,
            "nickname": first,
            "name": format!("{first} {last}").trim(),
            "email": email,
            "email_verified": true,
            "given_name": first,
            "family_name": last,
            "zoneinfo": "America/Los_Angeles",
            "profile": format!("{instance}/{uid}"),
            "urls": identity_urls(&instance, org, uid),
            "active": true,
            "user_type": "STANDARD",
            "language": "en_US",
            "locale": "en_US",
            "utcOffset": -28_800_000,
            "updated_at": super::util::iso_z(session.issued),
        }))
    }

    /// `GET /id/{orgId}/{userId}`: the identity URL of a token response's `id` (and of the
    /// versioned resource list's `identity`). The token comes in `Authorization` or as the
    /// `oauth_token` query parameter; the answer is always JSON (`format=xml` is not
    /// emulated). Any user of the token's own org may be looked up; a bad token answers
    /// 403 `Bad_OAuth_Token` as userinfo does, an id of another org or an unknown user 403
    /// `Bad_Id` (the status of the latter is UNCONFIRMED).
    pub(crate) fn oauth_identity(
        &self,
        headers: &HeaderMap,
        query: Option<&str>,
        org: &str,
        user: &str,
        login_url: &str,
    ) -> Reply {
        let from_query = parse_query(query)
            .into_iter()
            .find(|(k, _)| k == "oauth_token")
            .map(|(_, v)| format!("Bearer {v}"));
        let auth = from_query.or_else(|| {
            headers
                .get(header::AUTHORIZATION)
                .and_then(|h| h.to_str().ok())
                .map(str::to_owned)
        });
        if self.sessions.peek(auth.as_deref()).is_none() {
            return Reply::text(StatusCode::FORBIDDEN, "Bad_OAuth_Token");
        }
        let org_ok = super::ids::normalize(org).is_some_and(|o| o == self.config.org_id);
        let user_id = super::ids::normalize(user).unwrap_or_default();
        let found = self
            .config
            .users
            .iter()
            .find(|u| self.user_id(&u.username) == user_id);
        let (Some(u), true) = (found, org_ok) else {
            return Reply::text(StatusCode::FORBIDDEN, "Bad_Id");
        };
        let (first, last, email) = (
            u.first_name.as_str(),
            u.last_name.as_str(),
            u.email.as_str(),
        );
        let instance = self.instance_url(login_url);
        let org = &self.config.org_id;
        let display = format!("{first} {last}").trim().to_owned();
        Reply::ok(json!({
            "id": format!("{login_url}/id/{org}/{user_id}"),
            "asserted_user": true,
            "user_id": user_id,
            "organization_id": org,
            "username": u.username,
            "nick_name": first,
            "display_name": display,
            "email": email,
            "email_verified": true,
            "first_name": first,
            "last_name": last,
            "timezone": "America/Los_Angeles",
            "photos": {
                "picture": format!("{instance}/profilephoto/005/F"),
                "thumbnail": format!("{instance}/profilephoto/005/T"),
            },
            "addr_street": null,
            "addr_city": null,
            "addr_state": null,
            "addr_country": null,
            "addr_zip": null,
            "mobile_phone": null,
            "mobile_phone_verified": false,
            "is_lightning_login_user": false,
            "status": {"created_date": null, "body": null},
            "urls": identity_urls(&instance, org, &user_id),
            "active": u.active,
            "user_type": "STANDARD",
            "language": "en_US",
            "locale": "en_US",
            "utcOffset": -28_800_000,
            "last_modified_date": "2024-01-01T00:00:00.000+0000",
            "is_app_installed": true,
        }))
    }

    /// `POST /services/oauth2/revoke` (`token=` in the body or query).
    pub(crate) fn oauth_revoke(&mut self, query: Option<&str>, body: &[u8]) -> Reply {
        let p = params(query, body);
        match p.get("token") {
            Some(t) if self.sessions.revoke(t) => Reply::text(StatusCode::OK, ""),
            _ => OAuthError::new("unsupported_token_type", "this token type is not supported")
                .reply(),
        }
    }

    /// The user named `username` as a REST actor.
    pub(crate) fn actor(&self, username: &str) -> Actor {
        Actor {
            user_id: self.user_id(username),
            username: username.to_owned(),
        }
    }
}

/// The `urls` of the userinfo and identity documents: the org's endpoints, `{version}` left
/// for the client to fill in.
fn identity_urls(instance: &str, org: &str, user_id: &str) -> serde_json::Value {
    let data = |r: &str| format!("{instance}/services/data/v{{version}}/{r}");
    json!({
        "enterprise": format!("{instance}/services/Soap/c/{{version}}/{org}"),
        "metadata": format!("{instance}/services/Soap/m/{{version}}/{org}"),
        "partner": format!("{instance}/services/Soap/u/{{version}}/{org}"),
        "rest": data(""),
        "sobjects": data("sobjects/"),
        "search": data("search/"),
        "query": data("query/"),
        "recent": data("recent/"),
        "tooling_soap": format!("{instance}/services/Soap/T/{{version}}/{org}"),
        "tooling_rest": data("tooling/"),
        "profile": format!("{instance}/{user_id}"),
        "custom_domain": instance,
    })
}
