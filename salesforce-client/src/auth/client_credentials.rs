//! The OAuth 2.0 client credentials flow (reference §1.3): the app's consumer key and secret,
//! running as the app's configured "Run As" user. My Domain hosts only.

use std::fmt;

use async_trait::async_trait;
use secrecy::{ExposeSecret, SecretString};
use url::Url;

use super::{TokenEndpoint, TokenProvider, TokenResponse};
use crate::error::{Error, Result};

/// The client credentials flow.
///
/// Salesforce accepts it only on the org's **My Domain** token endpoint
/// (`https://acme.my.salesforce.com`); `login.salesforce.com` and `test.salesforce.com` refuse
/// it, so building a client with those login URLs fails with a [`Error::Config`] saying so.
/// The id and secret go in the form body, or in an HTTP Basic header with
/// [`basic_auth`](Self::basic_auth).
///
/// ```no_run
/// use salesforce_client::{Client, auth::ClientCredentials};
///
/// # fn run() -> salesforce_client::Result<()> {
/// let client = Client::builder()
///     .login_url("https://acme.my.salesforce.com")
///     .credentials(ClientCredentials::new("3MVG9…consumer-key", "consumer-secret"))
///     .build()?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct ClientCredentials {
    client_id: String,
    client_secret: SecretString,
    basic_auth: bool,
}

impl fmt::Debug for ClientCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientCredentials")
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .field("basic_auth", &self.basic_auth)
            .finish()
    }
}

impl ClientCredentials {
    /// The flow with the app's consumer key and secret, sent in the form body.
    pub fn new(client_id: impl Into<String>, client_secret: impl Into<String>) -> Self {
        ClientCredentials {
            client_id: client_id.into(),
            client_secret: SecretString::from(client_secret.into()),
            basic_auth: false,
        }
    }

    /// Sends the id and secret in an HTTP Basic `Authorization` header instead of the body.
    #[must_use]
    pub fn basic_auth(mut self, basic_auth: bool) -> Self {
        self.basic_auth = basic_auth;
        self
    }
}

#[async_trait]
impl TokenProvider for ClientCredentials {
    async fn fetch(&self, endpoint: &TokenEndpoint) -> Result<TokenResponse> {
        if self.basic_auth {
            endpoint
                .request(
                    "client_credentials",
                    &[],
                    Some((&self.client_id, &self.client_secret)),
                )
                .await
        } else {
            let params = [
                ("client_id", self.client_id.as_str()),
                ("client_secret", self.client_secret.expose_secret()),
            ];
            endpoint.request("client_credentials", &params, None).await
        }
    }

    fn check(&self, login_url: &Url, _instance_url: Option<&Url>) -> Result<()> {
        if self.client_id.trim().is_empty() || self.client_secret.expose_secret().is_empty() {
            return Err(Error::config(
                "the client credentials flow needs a consumer key and secret",
            ));
        }
        let host = login_url
            .host_str()
            .unwrap_or_default()
            .to_ascii_lowercase();
        if host == "login.salesforce.com" || host == "test.salesforce.com" {
            return Err(Error::config(format!(
                "the client credentials flow works only on the org's My Domain host (https://MyDomain.my.salesforce.com); {host} refuses it: set SALESFORCE_LOGIN_URL to your My Domain"
            )));
        }
        Ok(())
    }
}
