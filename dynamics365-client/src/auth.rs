//! Microsoft Entra ID credentials: where access tokens come from.
//!
//! The client asks a [`TokenProvider`] for a token when it has none, or when the one it has is
//! about to expire (tokens are cached by their `expires_in`, refreshed a minute early) or was
//! rejected with a 401. However many requests need a token at once, the provider is called
//! once (a single-flight [`TokenCache`]).
//!
//! Built in:
//!
//! - [`ClientSecret`]: the client-credentials grant, on Entra's v2 endpoint
//!   (`{authority}/{tenant}/oauth2/v2.0/token` with `scope=<environment root>/.default`) or
//!   the v1 endpoint (`{authority}/{tenant}/oauth2/token` with `resource=<environment root>`)
//!   that older F&O tooling uses. The environment root is the origin of the service URL
//!   (`https://contoso.operations.dynamics.com`, `https://api.businesscentral.dynamics.com`)
//!   unless you set the scope or resource yourself.
//! - [`StaticToken`]: a token you already have (tests, or a token minted elsewhere).
//!
//! Implement [`TokenProvider`] yourself to take tokens from a vault, a managed identity or a
//! per-tenant store.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use mapping::retry::{CachedToken, FetchedToken, TokenCache, parse_retry_after};
use reqwest::header::{ACCEPT, HeaderValue};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use tracing::Instrument;
use url::Url;

use crate::error::{Error, ResponseMeta, Result};
use crate::http::request_id;

/// Entra ID's public cloud authority, the default.
pub const DEFAULT_AUTHORITY: &str = "https://login.microsoftonline.com";

/// An access token and how long it lives. `Debug` never prints the token.
#[derive(Clone)]
pub struct AccessToken {
    /// The bearer token.
    pub token: SecretString,
    /// Its lifetime from now (`expires_in`), if known. Without one, the token is used until a
    /// 401 rejects it.
    pub expires_in: Option<Duration>,
}

impl AccessToken {
    /// A token that lives `expires_in` from now.
    pub fn new(token: impl Into<String>, expires_in: Option<Duration>) -> Self {
        AccessToken {
            token: SecretString::from(token.into()),
            expires_in,
        }
    }
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessToken")
            .field("token", &"<redacted>")
            .field("expires_in", &self.expires_in)
            .finish()
    }
}

/// What a [`TokenProvider`] gets to work with: the client's connection pool and the
/// environment root of the configured service.
#[derive(Debug, Clone)]
pub struct TokenContext {
    pub(crate) http: reqwest::Client,
    pub(crate) environment_root: String,
}

impl TokenContext {
    /// The client's HTTP connection pool.
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// The origin of the service URL, without a trailing slash
    /// (`https://contoso.operations.dynamics.com`): the default v1 `resource`, and with
    /// `/.default` the default v2 `scope`.
    pub fn environment_root(&self) -> &str {
        &self.environment_root
    }
}

/// A source of access tokens. See the [module docs](self).
///
/// ```
/// use async_trait::async_trait;
/// use dynamics365_client::auth::{AccessToken, TokenContext, TokenProvider};
///
/// /// Tokens minted by another service of ours.
/// #[derive(Debug)]
/// struct FromVault;
///
/// #[async_trait]
/// impl TokenProvider for FromVault {
///     async fn fetch_token(&self, _ctx: &TokenContext) -> dynamics365_client::Result<AccessToken> {
///         Ok(AccessToken::new("eyJ0eXAi…", None))
///     }
/// }
/// ```
#[async_trait]
pub trait TokenProvider: Send + Sync + fmt::Debug {
    /// Gets a new access token.
    ///
    /// # Errors
    /// Entra's refusal ([`Error::OAuth`]) or any failure to reach it.
    async fn fetch_token(&self, ctx: &TokenContext) -> Result<AccessToken>;
}

/// Which Entra endpoint [`ClientSecret`] posts to.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TokenEndpoint {
    /// `{authority}/{tenant}/oauth2/v2.0/token` with `scope` (default
    /// `<environment root>/.default`).
    V2 {
        /// The scope; `None` for `<environment root>/.default`.
        scope: Option<String>,
    },
    /// `{authority}/{tenant}/oauth2/token` with `resource` (default the environment root,
    /// without a trailing slash, as the F&O docs insist).
    V1 {
        /// The resource; `None` for the environment root.
        resource: Option<String>,
    },
}

/// The client-credentials grant with a client secret (an Entra app registration mapped to a
/// user in F&O, or given permission sets in Business Central).
#[derive(Clone)]
pub struct ClientSecret {
    authority: String,
    tenant: String,
    client_id: String,
    secret: SecretString,
    endpoint: TokenEndpoint,
}

impl fmt::Debug for ClientSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientSecret")
            .field("authority", &self.authority)
            .field("tenant", &self.tenant)
            .field("client_id", &self.client_id)
            .field("secret", &"<redacted>")
            .field("endpoint", &self.endpoint)
            .finish()
    }
}

impl ClientSecret {
    /// Client credentials for `tenant` (id or domain), on the v2 endpoint of
    /// [`DEFAULT_AUTHORITY`].
    pub fn new(
        tenant: impl Into<String>,
        client_id: impl Into<String>,
        secret: impl Into<String>,
    ) -> Self {
        ClientSecret {
            authority: DEFAULT_AUTHORITY.to_owned(),
            tenant: tenant.into(),
            client_id: client_id.into(),
            secret: SecretString::from(secret.into()),
            endpoint: TokenEndpoint::V2 { scope: None },
        }
    }

    /// Another authority (a sovereign cloud, or a stand-in such as the sandbox).
    #[must_use]
    pub fn authority(mut self, authority: impl Into<String>) -> Self {
        self.authority = authority.into().trim_end_matches('/').to_owned();
        self
    }

    /// The v2 endpoint with this scope instead of `<environment root>/.default`.
    #[must_use]
    pub fn scope(mut self, scope: impl Into<String>) -> Self {
        self.endpoint = TokenEndpoint::V2 {
            scope: Some(scope.into()),
        };
        self
    }

    /// The v1 endpoint, with `resource` (or the environment root when `None`).
    #[must_use]
    pub fn v1(mut self, resource: Option<String>) -> Self {
        self.endpoint = TokenEndpoint::V1 { resource };
        self
    }

    /// The client (application) id.
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// The token URL this grant posts to.
    ///
    /// # Errors
    /// [`Error::Config`] when the authority and tenant do not make a URL.
    pub fn token_url(&self) -> Result<Url> {
        let path = match self.endpoint {
            TokenEndpoint::V2 { .. } => "oauth2/v2.0/token",
            TokenEndpoint::V1 { .. } => "oauth2/token",
        };
        let text = format!(
            "{}/{}/{path}",
            self.authority,
            self.tenant.trim_matches('/')
        );
        Url::parse(&text).map_err(|e| Error::Config {
            reason: format!("token URL {text:?} is not a URL"),
            source: Some(Box::new(e)),
        })
    }
}

/// Entra's token answer. v1 sends `expires_in` as a string, v2 as a number.
#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
    #[serde(default)]
    expires_in: Option<serde_json::Value>,
}

/// Entra's error answer.
#[derive(Deserialize, Default)]
struct OAuthAnswer {
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    error_description: Option<String>,
    #[serde(default)]
    correlation_id: Option<String>,
}

#[async_trait]
impl TokenProvider for ClientSecret {
    async fn fetch_token(&self, ctx: &TokenContext) -> Result<AccessToken> {
        let url = self.token_url()?;
        let root = ctx.environment_root();
        let (extra_name, extra_value) = match &self.endpoint {
            TokenEndpoint::V2 { scope } => (
                "scope",
                scope.clone().unwrap_or_else(|| format!("{root}/.default")),
            ),
            TokenEndpoint::V1 { resource } => (
                "resource",
                resource.clone().unwrap_or_else(|| root.to_owned()),
            ),
        };
        let span = tracing::info_span!(
            "dynamics365.auth.token",
            "http.request.method" = "POST",
            "url.path" = url.path(),
            "http.response.status_code" = tracing::field::Empty,
        );
        async {
            let form = [
                ("grant_type", "client_credentials"),
                ("client_id", self.client_id.as_str()),
                ("client_secret", self.secret.expose_secret()),
                (extra_name, extra_value.as_str()),
            ];
            let response = ctx
                .http
                .post(url)
                .header(ACCEPT, "application/json")
                .form(&form)
                .send()
                .await
                .map_err(Error::transport)?;
            let status = response.status().as_u16();
            tracing::Span::current().record("http.response.status_code", status);
            let meta = ResponseMeta {
                status,
                request_id: request_id(response.headers()),
                retry_after: response
                    .headers()
                    .get(reqwest::header::RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| parse_retry_after(v, SystemTime::now())),
            };
            let body = response.bytes().await.map_err(Error::transport)?;
            if !(200..300).contains(&status) {
                let answer: OAuthAnswer = serde_json::from_slice(&body).unwrap_or_default();
                return Err(match answer.error {
                    Some(error) => Error::OAuth {
                        error,
                        description: answer.error_description,
                        correlation_id: answer.correlation_id,
                        response: meta,
                        attempts: 1,
                    },
                    None => Error::from_answer(meta, &body),
                });
            }
            let mut json = serde_json::Deserializer::from_slice(&body);
            let answer: TokenAnswer =
                serde_path_to_error::deserialize(&mut json).map_err(|e| Error::Decode {
                    path: e.path().to_string(),
                    response: meta,
                    attempts: 1,
                    source: e.into_inner(),
                })?;
            let expires_in = answer
                .expires_in
                .and_then(|v| match v {
                    serde_json::Value::Number(n) => n.as_u64(),
                    serde_json::Value::String(s) => s.trim().parse().ok(),
                    _ => None,
                })
                .map(Duration::from_secs);
            Ok(AccessToken {
                token: SecretString::from(answer.access_token),
                expires_in,
            })
        }
        .instrument(span)
        .await
    }
}

/// A token you already have, used until a 401 rejects it (then the call fails: a static
/// token cannot be refreshed).
#[derive(Clone)]
pub struct StaticToken(SecretString);

impl StaticToken {
    /// Wraps `token`.
    pub fn new(token: impl Into<String>) -> Self {
        StaticToken(SecretString::from(token.into()))
    }
}

impl fmt::Debug for StaticToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("StaticToken(<redacted>)")
    }
}

#[async_trait]
impl TokenProvider for StaticToken {
    async fn fetch_token(&self, _ctx: &TokenContext) -> Result<AccessToken> {
        Ok(AccessToken {
            token: self.0.clone(),
            expires_in: None,
        })
    }
}

/// The client's provider and its single-flight cache of `Authorization` header values.
pub(crate) struct Auth {
    provider: Arc<dyn TokenProvider>,
    cache: TokenCache<HeaderValue>,
    ctx: TokenContext,
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Auth")
            .field("provider", &self.provider)
            .finish_non_exhaustive()
    }
}

impl Auth {
    pub(crate) fn new(
        provider: Arc<dyn TokenProvider>,
        cache: TokenCache<HeaderValue>,
        ctx: TokenContext,
    ) -> Self {
        Auth {
            provider,
            cache,
            ctx,
        }
    }

    pub(crate) fn provider(&self) -> &Arc<dyn TokenProvider> {
        &self.provider
    }

    /// The `Authorization` header value (marked sensitive), fetching a token if needed.
    pub(crate) async fn header(&self) -> Result<CachedToken<HeaderValue>> {
        self.cache
            .get_or_refresh(|| async {
                let token = self.provider.fetch_token(&self.ctx).await?;
                let mut value =
                    HeaderValue::from_str(&format!("Bearer {}", token.token.expose_secret()))
                        .map_err(|_| {
                            Error::config("the access token is not a valid header value")
                        })?;
                value.set_sensitive(true);
                Ok(match token.expires_in {
                    Some(lifetime) => FetchedToken::expiring_in(value, lifetime),
                    None => FetchedToken::without_expiry(value),
                })
            })
            .await
            .map_err(|source: Error| Error::Token {
                source: Box::new(source),
            })
    }

    /// Drops `token` after a 401, unless a newer one replaced it already.
    pub(crate) fn invalidate(&self, token: &CachedToken<HeaderValue>) {
        self.cache.invalidate(token);
    }
}
