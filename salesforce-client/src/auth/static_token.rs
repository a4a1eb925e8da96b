//! An access token obtained elsewhere (`SALESFORCE_ACCESS_TOKEN`).

use std::fmt;

use async_trait::async_trait;
use secrecy::{ExposeSecret, SecretString};
use url::Url;

use super::{TokenEndpoint, TokenProvider, TokenResponse};
use crate::error::{Error, Result};

/// A fixed access token (from the Salesforce CLI, another service, a test). It is never
/// refreshed: when Salesforce rejects it, the call fails with [`Error::Token`] (kind
/// `Unauthorized`) instead of being replayed. Needs the instance URL configured, since no
/// token response says it.
///
/// ```no_run
/// use salesforce_client::{Client, auth::StaticToken};
///
/// # fn run() -> salesforce_client::Result<()> {
/// let client = Client::builder()
///     .instance_url("https://acme.my.salesforce.com")
///     .credentials(StaticToken::new("00Dxx0000001gEH!AQ4AQ…"))
///     .build()?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct StaticToken(SecretString);

impl fmt::Debug for StaticToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("StaticToken(<redacted>)")
    }
}

impl StaticToken {
    /// The token.
    pub fn new(access_token: impl Into<String>) -> Self {
        StaticToken(SecretString::from(access_token.into()))
    }
}

#[async_trait]
impl TokenProvider for StaticToken {
    async fn fetch(&self, _endpoint: &TokenEndpoint) -> Result<TokenResponse> {
        Ok(TokenResponse::new(self.0.expose_secret()))
    }

    fn can_refresh(&self) -> bool {
        false
    }

    fn check(&self, _login_url: &Url, instance_url: Option<&Url>) -> Result<()> {
        if self.0.expose_secret().trim().is_empty() {
            return Err(Error::config("the access token is empty"));
        }
        if instance_url.is_none() {
            return Err(Error::config(
                "a static access token needs the instance URL (SALESFORCE_INSTANCE_URL)",
            ));
        }
        Ok(())
    }
}
