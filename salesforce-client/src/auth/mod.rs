//! Credentials and sessions.
//!
//! Every OAuth grant is a form post to `{login URL}/services/oauth2/token` (reference §1).
//! The grants are [`TokenProvider`]s, so a test or a multi-tenant service can swap in its own:
//!
//! | provider | grant | refreshes by |
//! |---|---|---|
//! | [`JwtBearer`] | JWT bearer (RS256 assertion) | minting a new assertion |
//! | [`ClientCredentials`] | client credentials (My Domain only) | asking again |
//! | [`RefreshToken`] | refresh token, rotation kept | the (latest) refresh token |
//! | [`UsernamePassword`] | username-password (**deprecated**) | logging in again |
//! | [`StaticToken`] | none: a token from elsewhere | cannot |
//!
//! Salesforce returns no `expires_in`: a session is used until Salesforce answers
//! `401 INVALID_SESSION_ID`. The client then invalidates exactly that session (a
//! generation-checked [`TokenCache`]), fetches one new session for all concurrent callers,
//! and replays the request once. A `401` saying "This session is not valid for use with the
//! REST API" is never refreshed: no new token of the same kind can fix it.

mod client_credentials;
mod jwt;
mod password;
mod provider;
mod refresh;
mod static_token;

use std::fmt;
use std::sync::Arc;

use mapping::retry::{CachedToken, FetchedToken, TokenCache};
use reqwest::header::HeaderValue;
use secrecy::ExposeSecret;
use url::Url;

pub use client_credentials::ClientCredentials;
pub use jwt::JwtBearer;
pub use password::UsernamePassword;
pub use provider::{TokenEndpoint, TokenProvider, TokenResponse};
pub use refresh::RefreshToken;
pub use static_token::StaticToken;

use crate::client::checked_url;
use crate::error::{Error, Result};

/// A session in use: the `Authorization` value (marked sensitive) and where to send it.
pub(crate) struct Session {
    pub(crate) authorization: HeaderValue,
    pub(crate) instance_url: Url,
}

/// The provider, the token endpoint, and the single-flight session cache.
pub(crate) struct Auth {
    provider: Arc<dyn TokenProvider>,
    endpoint: TokenEndpoint,
    /// Configured instance URL; overrides the token response's.
    instance_url: Option<Url>,
    allow_http: bool,
    sessions: TokenCache<Arc<Session>>,
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Auth")
            .field("provider", &self.provider)
            .field("login_url", &self.endpoint.login_url.as_str())
            .field("instance_url", &self.instance_url.as_ref().map(Url::as_str))
            .finish_non_exhaustive()
    }
}

impl Auth {
    pub(crate) fn new(
        provider: Arc<dyn TokenProvider>,
        endpoint: TokenEndpoint,
        instance_url: Option<Url>,
        allow_http: bool,
    ) -> Self {
        Auth {
            provider,
            endpoint,
            instance_url,
            allow_http,
            sessions: TokenCache::new(),
        }
    }

    pub(crate) fn login_url(&self) -> &Url {
        &self.endpoint.login_url
    }

    pub(crate) fn instance_url(&self) -> Option<&Url> {
        self.instance_url.as_ref()
    }

    pub(crate) fn can_refresh(&self) -> bool {
        self.provider.can_refresh()
    }

    /// The cached session, fetching one first if there is none. However many callers arrive
    /// at once, one token request is made. Failures come back as [`Error::Token`].
    pub(crate) async fn session(&self) -> Result<CachedToken<Arc<Session>>> {
        self.sessions
            .get_or_refresh(|| self.fetch())
            .await
            .map_err(|e| Error::Token {
                source: Box::new(e),
            })
    }

    /// Drops `session` if it is still the cached one (after Salesforce rejected it).
    pub(crate) fn invalidate(&self, session: &CachedToken<Arc<Session>>) {
        self.sessions.invalidate(session);
    }

    async fn fetch(&self) -> Result<FetchedToken<Arc<Session>>> {
        let token = self.provider.fetch(&self.endpoint).await?;
        if let Some(kind) = &token.token_type
            && !kind.eq_ignore_ascii_case("bearer")
        {
            return Err(Error::config(format!(
                "Salesforce issued a {kind:?} token; only bearer tokens are supported"
            )));
        }
        let instance_url = match (&self.instance_url, &token.instance_url) {
            (Some(configured), _) => configured.clone(),
            (None, Some(given)) => checked_url(given, "instance URL", self.allow_http, true)?,
            (None, None) => {
                return Err(Error::config(
                    "the token response has no instance_url; configure the instance URL (SALESFORCE_INSTANCE_URL)",
                ));
            }
        };
        let mut authorization = HeaderValue::from_str(&format!(
            "Bearer {}",
            token.access_token.expose_secret().trim()
        ))
        .map_err(|_| Error::config("the access token has characters not allowed in a header"))?;
        authorization.set_sensitive(true);
        Ok(FetchedToken::without_expiry(Arc::new(Session {
            authorization,
            instance_url,
        })))
    }
}
