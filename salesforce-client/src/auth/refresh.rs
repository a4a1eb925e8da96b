//! The OAuth 2.0 refresh token flow (reference §1.4), keeping a rotated refresh token.

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use async_trait::async_trait;
use secrecy::{ExposeSecret, SecretString};
use url::Url;

use super::{TokenEndpoint, TokenProvider, TokenResponse};
use crate::error::{Error, Result};

/// Called with the new refresh token when Salesforce rotates it.
type RotationHook = Arc<dyn Fn(&SecretString) + Send + Sync>;

/// The refresh token flow: a refresh token obtained once through an interactive flow (web
/// server, device, …), exchanged for sessions as needed.
///
/// When refresh-token rotation is enabled on the app, each answer carries a *new* refresh
/// token and the old one stops working. This provider keeps the new one for its next
/// request, and hands it to [`on_rotation`](Self::on_rotation) so you can store it.
///
/// ```no_run
/// use salesforce_client::{Client, auth::RefreshToken};
///
/// # fn run(stored: String) -> salesforce_client::Result<()> {
/// let credentials = RefreshToken::new("3MVG9…consumer-key", stored)
///     .client_secret("consumer-secret")
///     .on_rotation(|new_token| {
///         // Persist `new_token` (a SecretString) in your secret store here.
///         let _ = new_token;
///     });
/// let client = Client::builder().credentials(credentials).build()?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct RefreshToken {
    client_id: String,
    client_secret: Option<SecretString>,
    refresh_token: Arc<Mutex<SecretString>>,
    on_rotation: Option<RotationHook>,
}

impl fmt::Debug for RefreshToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RefreshToken")
            .field("client_id", &self.client_id)
            .field(
                "client_secret",
                &self.client_secret.as_ref().map(|_| "<redacted>"),
            )
            .field("refresh_token", &"<redacted>")
            .finish_non_exhaustive()
    }
}

impl RefreshToken {
    /// The flow for the app's consumer key and a refresh token.
    pub fn new(client_id: impl Into<String>, refresh_token: impl Into<String>) -> Self {
        RefreshToken {
            client_id: client_id.into(),
            client_secret: None,
            refresh_token: Arc::new(Mutex::new(SecretString::from(refresh_token.into()))),
            on_rotation: None,
        }
    }

    /// The consumer secret (required unless the app disables "Require Secret for Refresh
    /// Token Flow").
    #[must_use]
    pub fn client_secret(mut self, client_secret: impl Into<String>) -> Self {
        self.client_secret = Some(SecretString::from(client_secret.into()));
        self
    }

    /// Called with the new refresh token whenever Salesforce rotates it.
    #[must_use]
    pub fn on_rotation(mut self, hook: impl Fn(&SecretString) + Send + Sync + 'static) -> Self {
        self.on_rotation = Some(Arc::new(hook));
        self
    }

    /// The refresh token in use: the latest one Salesforce issued.
    pub fn current(&self) -> SecretString {
        self.refresh_token
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

#[async_trait]
impl TokenProvider for RefreshToken {
    async fn fetch(&self, endpoint: &TokenEndpoint) -> Result<TokenResponse> {
        let current = self.current();
        let mut params = vec![
            ("refresh_token", current.expose_secret()),
            ("client_id", self.client_id.as_str()),
        ];
        if let Some(secret) = &self.client_secret {
            params.push(("client_secret", secret.expose_secret()));
        }
        let mut response = endpoint.request("refresh_token", &params, None).await?;
        if let Some(rotated) = response.refresh_token.take() {
            *self
                .refresh_token
                .lock()
                .unwrap_or_else(PoisonError::into_inner) = rotated.clone();
            if let Some(hook) = &self.on_rotation {
                hook(&rotated);
            }
        }
        Ok(response)
    }

    fn check(&self, _login_url: &Url, _instance_url: Option<&Url>) -> Result<()> {
        if self.client_id.trim().is_empty() || self.current().expose_secret().trim().is_empty() {
            return Err(Error::config(
                "the refresh token flow needs a consumer key and a refresh token",
            ));
        }
        Ok(())
    }
}
