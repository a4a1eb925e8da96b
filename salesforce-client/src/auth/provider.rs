//! [`TokenProvider`]: where access tokens come from, and the [`TokenEndpoint`] the built-in
//! grants post to.

use std::fmt;

use async_trait::async_trait;
use reqwest::header::ACCEPT;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use tracing::Instrument;
use url::Url;

use crate::error::{Error, Result};
use crate::http::{error_from, response_meta};

/// A source of Salesforce sessions: one of the built-in grants
/// ([`JwtBearer`](super::JwtBearer), [`ClientCredentials`](super::ClientCredentials),
/// [`RefreshToken`](super::RefreshToken), [`UsernamePassword`](super::UsernamePassword),
/// [`StaticToken`](super::StaticToken)) or your own: a multi-tenant service can implement it
/// over a vault, a test over a counter.
///
/// The client calls [`fetch`](Self::fetch) when it has no session, and again when Salesforce
/// answers `401 INVALID_SESSION_ID`; concurrent requests share one fetch. Salesforce gives no
/// `expires_in`, so a session is used until it is rejected.
///
/// ```
/// use async_trait::async_trait;
/// use salesforce_client::auth::{TokenEndpoint, TokenProvider, TokenResponse};
///
/// /// Tokens minted by another service of ours.
/// #[derive(Debug)]
/// struct FromVault;
///
/// #[async_trait]
/// impl TokenProvider for FromVault {
///     async fn fetch(&self, _endpoint: &TokenEndpoint) -> salesforce_client::Result<TokenResponse> {
///         Ok(TokenResponse::new("00Dxx!AQ0.token-from-vault")
///             .with_instance_url("https://acme.my.salesforce.com"))
///     }
/// }
/// ```
#[async_trait]
pub trait TokenProvider: Send + Sync + fmt::Debug {
    /// Gets a new session, usually by posting to the token endpoint.
    ///
    /// # Errors
    /// The token endpoint's refusal ([`Error::OAuth`]) or any failure to reach it.
    async fn fetch(&self, endpoint: &TokenEndpoint) -> Result<TokenResponse>;

    /// Whether [`fetch`](Self::fetch) can give a different token after Salesforce rejected
    /// one. `false` for a static token: a rejected session then fails the call instead of
    /// being replayed.
    fn can_refresh(&self) -> bool {
        true
    }

    /// Checks the provider against the client's configuration when the client is built.
    ///
    /// # Errors
    /// [`Error::Config`] saying what cannot work (client credentials on `login.salesforce.com`,
    /// a static token without an instance URL).
    fn check(&self, login_url: &Url, instance_url: Option<&Url>) -> Result<()> {
        let _ = (login_url, instance_url);
        Ok(())
    }
}

/// The token endpoint `{login URL}/services/oauth2/token`, with the client's HTTP connection
/// pool. Given to [`TokenProvider::fetch`].
#[derive(Debug, Clone)]
pub struct TokenEndpoint {
    pub(crate) http: reqwest::Client,
    pub(crate) login_url: Url,
    pub(crate) token_url: Url,
}

impl TokenEndpoint {
    /// The configured login URL (`https://login.salesforce.com`, a My Domain, a site).
    pub fn login_url(&self) -> &Url {
        &self.login_url
    }

    /// The token URL: `{login URL}/services/oauth2/token`.
    pub fn token_url(&self) -> &Url {
        &self.token_url
    }

    /// Posts a form-encoded grant (`grant_type` first, then `params`) and reads the answer.
    /// With `basic_auth`, the client id and secret go in an HTTP Basic `Authorization` header.
    ///
    /// Runs in a `salesforce.oauth_token` span that records the grant type and status, never
    /// the form.
    ///
    /// # Errors
    /// [`Error::OAuth`] for Salesforce's `{error, error_description}`;
    /// [`Error::Transport`], [`Error::Timeout`], [`Error::UnexpectedResponse`] or
    /// [`Error::Decode`] otherwise.
    pub async fn request(
        &self,
        grant_type: &str,
        params: &[(&str, &str)],
        basic_auth: Option<(&str, &SecretString)>,
    ) -> Result<TokenResponse> {
        let span = tracing::info_span!(
            "salesforce.oauth_token",
            "http.request.method" = "POST",
            "url.path" = self.token_url.path(),
            "salesforce.grant_type" = grant_type,
            "http.response.status_code" = tracing::field::Empty,
        );
        async {
            let mut form = Vec::with_capacity(params.len() + 1);
            form.push(("grant_type", grant_type));
            form.extend_from_slice(params);
            let mut request = self
                .http
                .post(self.token_url.clone())
                .header(ACCEPT, "application/json")
                .form(&form);
            if let Some((client_id, secret)) = basic_auth {
                request = request.basic_auth(client_id, Some(secret.expose_secret()));
            }
            let response = request.send().await.map_err(Error::transport)?;
            let meta = response_meta(response.status().as_u16(), response.headers());
            tracing::Span::current().record("http.response.status_code", meta.status);
            let body = response.bytes().await.map_err(Error::transport)?;
            if !(200..300).contains(&meta.status) {
                return Err(error_from(meta, &body));
            }
            let mut json = serde_json::Deserializer::from_slice(&body);
            let wire: Wire =
                serde_path_to_error::deserialize(&mut json).map_err(|e| Error::Decode {
                    path: e.path().to_string(),
                    response: meta,
                    attempts: 1,
                    source: e.into_inner(),
                })?;
            Ok(wire.into())
        }
        .instrument(span)
        .await
    }
}

/// What the token endpoint answered (reference §1.6). There is no `expires_in`: a session
/// lasts until Salesforce rejects it.
///
/// `Debug` never prints the access or refresh token.
#[derive(Clone)]
#[non_exhaustive]
pub struct TokenResponse {
    /// The access token (session id).
    pub access_token: SecretString,
    /// The base URL of every API call, e.g. `https://acme.my.salesforce.com`.
    pub instance_url: Option<String>,
    /// The identity URL `…/id/{orgId}/{userId}`.
    pub id: Option<String>,
    /// `Bearer`.
    pub token_type: Option<String>,
    /// When the token was issued, as Salesforce sent it (epoch milliseconds as text).
    pub issued_at: Option<String>,
    /// The granted scopes, space-separated.
    pub scope: Option<String>,
    /// A new refresh token, when the grant issues one (rotation).
    pub refresh_token: Option<SecretString>,
}

impl TokenResponse {
    /// A session with only an access token (a custom or static provider).
    pub fn new(access_token: impl Into<String>) -> Self {
        TokenResponse {
            access_token: SecretString::from(access_token.into()),
            instance_url: None,
            id: None,
            token_type: None,
            issued_at: None,
            scope: None,
            refresh_token: None,
        }
    }

    /// Sets the instance URL API calls go to.
    #[must_use]
    pub fn with_instance_url(mut self, instance_url: impl Into<String>) -> Self {
        self.instance_url = Some(instance_url.into());
        self
    }
}

impl fmt::Debug for TokenResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenResponse")
            .field("access_token", &"<redacted>")
            .field("instance_url", &self.instance_url)
            .field("id", &self.id)
            .field("token_type", &self.token_type)
            .field("issued_at", &self.issued_at)
            .field("scope", &self.scope)
            .field(
                "refresh_token",
                &self.refresh_token.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

/// The token endpoint's JSON.
#[derive(Deserialize)]
struct Wire {
    access_token: String,
    #[serde(default)]
    instance_url: Option<String>,
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    token_type: Option<String>,
    /// A string of epoch milliseconds in every real example; a number is accepted too.
    #[serde(default)]
    issued_at: Option<serde_json::Value>,
    #[serde(default)]
    scope: Option<String>,
    #[serde(default)]
    refresh_token: Option<String>,
}

impl From<Wire> for TokenResponse {
    fn from(wire: Wire) -> Self {
        TokenResponse {
            access_token: SecretString::from(wire.access_token),
            instance_url: wire.instance_url,
            id: wire.id,
            token_type: wire.token_type,
            issued_at: wire.issued_at.map(|v| match v {
                serde_json::Value::String(s) => s,
                other => other.to_string(),
            }),
            scope: wire.scope,
            refresh_token: wire.refresh_token.map(SecretString::from),
        }
    }
}
