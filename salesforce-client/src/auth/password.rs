//! The OAuth 2.0 username-password flow (reference §1.5). **Deprecated by Salesforce.**

use std::fmt;

use async_trait::async_trait;
use secrecy::{ExposeSecret, SecretString};
use url::Url;

use super::{TokenEndpoint, TokenProvider, TokenResponse};
use crate::error::{Error, Result};

/// The username-password flow: consumer key and secret plus a user's password (with the
/// user's security token appended unless the caller's IP is trusted).
///
/// **Deprecated.** Salesforce recommends against it, lets admins block it, and announced
/// in 2026 that it is being retired in favour of the client credentials flow
/// ([`ClientCredentials`](super::ClientCredentials)) or the JWT bearer flow
/// ([`JwtBearer`](super::JwtBearer)). It is here for orgs that still allow it; use it only
/// to migrate.
///
/// ```no_run
/// use salesforce_client::{Client, auth::UsernamePassword};
///
/// # fn run() -> salesforce_client::Result<()> {
/// let legacy = UsernamePassword::new("3MVG9…consumer-key", "consumer-secret", "user@acme.com", "password")
///     .security_token("XXXXXXXX");
/// let client = Client::builder().credentials(legacy).build()?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct UsernamePassword {
    client_id: String,
    client_secret: SecretString,
    username: String,
    password: SecretString,
    security_token: Option<SecretString>,
}

impl fmt::Debug for UsernamePassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UsernamePassword")
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .finish_non_exhaustive()
    }
}

impl UsernamePassword {
    /// The flow for a consumer key and secret and a user's name and password.
    pub fn new(
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
        username: impl Into<String>,
        password: impl Into<String>,
    ) -> Self {
        UsernamePassword {
            client_id: client_id.into(),
            client_secret: SecretString::from(client_secret.into()),
            username: username.into(),
            password: SecretString::from(password.into()),
            security_token: None,
        }
    }

    /// The user's security token, appended to the password.
    #[must_use]
    pub fn security_token(mut self, token: impl Into<String>) -> Self {
        self.security_token = Some(SecretString::from(token.into()));
        self
    }
}

#[async_trait]
impl TokenProvider for UsernamePassword {
    async fn fetch(&self, endpoint: &TokenEndpoint) -> Result<TokenResponse> {
        let password = SecretString::from(format!(
            "{}{}",
            self.password.expose_secret(),
            self.security_token
                .as_ref()
                .map_or("", |t| t.expose_secret())
        ));
        let params = [
            ("client_id", self.client_id.as_str()),
            ("client_secret", self.client_secret.expose_secret()),
            ("username", self.username.as_str()),
            ("password", password.expose_secret()),
        ];
        endpoint.request("password", &params, None).await
    }

    fn check(&self, _login_url: &Url, _instance_url: Option<&Url>) -> Result<()> {
        if self.client_id.trim().is_empty() || self.username.trim().is_empty() {
            return Err(Error::config(
                "the username-password flow needs a consumer key and a username",
            ));
        }
        Ok(())
    }
}
