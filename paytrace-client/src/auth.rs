//! Credentials and access tokens: the OAuth password grant at `POST /oauth/token`, cached
//! for its `expires_in` in a single-flight [`TokenCache`].

use std::fmt;
use std::time::Duration;

use mapping::retry::{CachedToken, FetchedToken, TokenCache};
use reqwest::header::{ACCEPT, HeaderValue};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use tracing::Instrument;
use url::Url;

use crate::error::{Error, Result};
use crate::http;

/// How the client gets its access tokens.
///
/// `Debug` never prints the password or token.
#[derive(Clone)]
#[non_exhaustive]
pub enum Credentials {
    /// The OAuth password grant with the PayTrace API user's name and password (the only
    /// grant v1 documents). Tokens are fetched when needed, cached for `expires_in` (7200 s)
    /// and refreshed a minute before they expire.
    Password {
        /// The API user name.
        username: String,
        /// The API user's password.
        password: SecretString,
    },
    /// An access token obtained elsewhere (a service that shares one token between
    /// processes). It is never refreshed: when PayTrace rejects it, the call is replayed once
    /// with the same token and then fails with
    /// [`ErrorKind::AuthExpired`](mapping::retry::ErrorKind::AuthExpired); build a new client
    /// with a fresh token.
    AccessToken(SecretString),
}

impl Credentials {
    /// Password-grant credentials.
    pub fn password(username: impl Into<String>, password: impl Into<String>) -> Self {
        Credentials::Password {
            username: username.into(),
            password: SecretString::from(password.into()),
        }
    }

    /// A fixed access token.
    pub fn access_token(token: impl Into<String>) -> Self {
        Credentials::AccessToken(SecretString::from(token.into()))
    }

    pub(crate) fn check(&self) -> Result<()> {
        let blank = match self {
            Credentials::Password { username, password } => {
                username.trim().is_empty() || password.expose_secret().is_empty()
            }
            Credentials::AccessToken(token) => token.expose_secret().trim().is_empty(),
        };
        if blank {
            return Err(Error::config("credentials are empty"));
        }
        Ok(())
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Credentials::Password { username, .. } => f
                .debug_struct("Password")
                .field("username", username)
                .field("password", &"<redacted>")
                .finish(),
            Credentials::AccessToken(_) => f.write_str("AccessToken(<redacted>)"),
        }
    }
}

/// The token endpoint's answer (reference §1.2).
#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    #[serde(default)]
    token_type: Option<String>,
    #[serde(default, deserialize_with = "crate::response::de::opt_u64")]
    expires_in: Option<u64>,
}

/// Credentials plus the cached `Authorization` header value (marked sensitive).
pub(crate) struct Auth {
    credentials: Credentials,
    token_url: Url,
    tokens: TokenCache<HeaderValue>,
}

impl Auth {
    pub(crate) fn new(credentials: Credentials, token_url: Url, refresh_margin: Duration) -> Self {
        Auth {
            credentials,
            token_url,
            tokens: TokenCache::new().with_refresh_margin(refresh_margin),
        }
    }

    pub(crate) fn credentials(&self) -> &Credentials {
        &self.credentials
    }

    /// The cached `Authorization` value, fetching a token first if there is none or it is
    /// about to expire. However many callers arrive at once, one request is made.
    ///
    /// Failures come back as [`Error::Token`], which says nothing was sent.
    pub(crate) async fn header(&self, http: &reqwest::Client) -> Result<CachedToken<HeaderValue>> {
        self.tokens
            .get_or_refresh(|| self.fetch(http))
            .await
            .map_err(|e| Error::Token {
                source: Box::new(e),
            })
    }

    /// Drops `token` if it is still the cached one (after PayTrace rejected it).
    pub(crate) fn invalidate(&self, token: &CachedToken<HeaderValue>) {
        self.tokens.invalidate(token);
    }

    async fn fetch(&self, http: &reqwest::Client) -> Result<FetchedToken<HeaderValue>> {
        let (username, password) = match &self.credentials {
            Credentials::Password { username, password } => (username, password),
            Credentials::AccessToken(token) => {
                return Ok(FetchedToken::without_expiry(bearer(token.expose_secret())?));
            }
        };
        let span = tracing::info_span!(
            "paytrace.oauth_token",
            "http.request.method" = "POST",
            "url.path" = self.token_url.path(),
            "http.response.status_code" = tracing::field::Empty,
            "paytrace.request_id" = tracing::field::Empty,
        );
        async {
            let response = http
                .post(self.token_url.clone())
                .header(ACCEPT, "application/json")
                .form(&[
                    ("grant_type", "password"),
                    ("username", username.as_str()),
                    ("password", password.expose_secret()),
                ])
                .send()
                .await
                .map_err(Error::transport)?;
            let token: TokenResponse =
                http::read_response(response, &tracing::Span::current()).await?;
            if let Some(kind) = &token.token_type
                && !kind.eq_ignore_ascii_case("bearer")
            {
                return Err(Error::config(format!(
                    "PayTrace issued a {kind:?} token; only bearer tokens are supported"
                )));
            }
            let value = bearer(&token.access_token)?;
            Ok(match token.expires_in {
                Some(secs) => FetchedToken::expiring_in(value, Duration::from_secs(secs)),
                None => FetchedToken::without_expiry(value),
            })
        }
        .instrument(span)
        .await
    }
}

/// `Bearer <token>` as a header value marked sensitive, so HTTP-level logging redacts it.
fn bearer(token: &str) -> Result<HeaderValue> {
    let mut value = HeaderValue::from_str(&format!("Bearer {}", token.trim()))
        .map_err(|_| Error::config("the access token has characters not allowed in a header"))?;
    value.set_sensitive(true);
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_redacts_secrets() {
        let password = Credentials::password("api-user", "hunter2-secret");
        let debug = format!("{password:?}");
        assert!(debug.contains("api-user"));
        assert!(!debug.contains("hunter2"), "{debug}");
        let token = format!("{:?}", Credentials::access_token("abc:def:ghi"));
        assert!(!token.contains("abc"), "{token}");
        assert!(Credentials::password(" ", "x").check().is_err());
        assert!(Credentials::access_token("").check().is_err());
    }

    #[test]
    fn bearer_values_are_sensitive() {
        let value = bearer("aa:bb:cc").unwrap();
        assert!(value.is_sensitive());
        assert_eq!(value.to_str().unwrap(), "Bearer aa:bb:cc");
        assert!(!format!("{value:?}").contains("aa:bb"));
        assert!(bearer("bad\ntoken").is_err());
    }
}
