//! The OAuth 2.0 JWT bearer flow (reference §1.2): server-to-server, no secret on the wire,
//! a fresh RS256-signed assertion for every token request.

use std::fmt;
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::Serialize;
use url::Url;

use super::{TokenEndpoint, TokenProvider, TokenResponse};
use crate::error::{Error, Result};

/// The grant type of the JWT bearer flow.
const GRANT_TYPE: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";

/// The JWT bearer flow: the connected app's consumer key, the user to act as, and the private
/// key whose certificate is uploaded to the app.
///
/// Each token request carries a new assertion `{iss: consumer key, sub: username, aud,
/// exp}`, signed RS256, with `exp` at most 3 minutes ahead (Salesforce's documented
/// window). The audience is derived from the login URL: `https://login.salesforce.com` for
/// production and My Domain hosts, `https://test.salesforce.com` for `test.salesforce.com` and
/// sandbox My Domains, the login URL itself for an Experience Cloud site or a stand-in; set it
/// with [`audience`](Self::audience) otherwise. The user must be pre-authorized for the app.
///
/// ```no_run
/// use salesforce_client::{Client, auth::JwtBearer};
///
/// # fn run() -> salesforce_client::Result<()> {
/// let client = Client::builder()
///     .login_url("https://login.salesforce.com")
///     .credentials(JwtBearer::from_pem_file("3MVG9…consumer-key", "integration@acme.com", "server.key")?)
///     .build()?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct JwtBearer {
    client_id: String,
    username: String,
    key: EncodingKey,
    audience: Option<String>,
    lifetime: Duration,
}

impl fmt::Debug for JwtBearer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwtBearer")
            .field("client_id", &self.client_id)
            .field("username", &self.username)
            .field("private_key", &"<redacted>")
            .field("audience", &self.audience)
            .field("lifetime", &self.lifetime)
            .finish()
    }
}

/// The assertion's claims.
#[derive(Serialize)]
struct Claims<'a> {
    iss: &'a str,
    sub: &'a str,
    aud: &'a str,
    exp: u64,
}

impl JwtBearer {
    /// The longest assertion lifetime: 3 minutes.
    pub const MAX_LIFETIME: Duration = Duration::from_secs(180);

    /// The flow with an RSA private key in PEM (PKCS#1 or PKCS#8).
    ///
    /// # Errors
    /// [`Error::Config`] when the key cannot be read as an RSA private key. The message
    /// never quotes the key.
    pub fn from_pem(
        client_id: impl Into<String>,
        username: impl Into<String>,
        private_key_pem: &[u8],
    ) -> Result<Self> {
        let key = EncodingKey::from_rsa_pem(private_key_pem).map_err(|e| Error::Config {
            reason: "the JWT private key is not an RSA private key in PEM".into(),
            source: Some(Box::new(e)),
        })?;
        let (client_id, username) = (client_id.into(), username.into());
        if client_id.trim().is_empty() || username.trim().is_empty() {
            return Err(Error::config(
                "the JWT bearer flow needs a consumer key and a username",
            ));
        }
        Ok(JwtBearer {
            client_id,
            username,
            key,
            audience: None,
            lifetime: Self::MAX_LIFETIME,
        })
    }

    /// As [`from_pem`](Self::from_pem), reading the key from a file (`SALESFORCE_PRIVATE_KEY_FILE`).
    ///
    /// # Errors
    /// [`Error::Config`] when the file cannot be read or holds no RSA private key.
    pub fn from_pem_file(
        client_id: impl Into<String>,
        username: impl Into<String>,
        path: impl AsRef<Path>,
    ) -> Result<Self> {
        let path = path.as_ref();
        let pem = std::fs::read(path).map_err(|e| Error::Config {
            reason: format!("cannot read the JWT private key file {}", path.display()),
            source: Some(Box::new(e)),
        })?;
        Self::from_pem(client_id, username, &pem)
    }

    /// Sets the `aud` claim (an Experience Cloud site URL, or to override the derived one).
    #[must_use]
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audience = Some(audience.into());
        self
    }

    /// Sets how far ahead `exp` is, at most [`MAX_LIFETIME`](Self::MAX_LIFETIME) (the
    /// default).
    #[must_use]
    pub fn lifetime(mut self, lifetime: Duration) -> Self {
        self.lifetime = lifetime.min(Self::MAX_LIFETIME);
        self
    }

    /// The signed assertion for `login_url`, expiring `lifetime` after `now`.
    pub(crate) fn assertion(&self, login_url: &Url, now: SystemTime) -> Result<String> {
        let audience = self
            .audience
            .clone()
            .unwrap_or_else(|| default_audience(login_url));
        let exp = now
            .checked_add(self.lifetime)
            .and_then(|at| at.duration_since(UNIX_EPOCH).ok())
            .map(|d| d.as_secs())
            .ok_or_else(|| Error::config("the system clock is before 1970"))?;
        let claims = Claims {
            iss: &self.client_id,
            sub: &self.username,
            aud: &audience,
            exp,
        };
        jsonwebtoken::encode(&Header::new(Algorithm::RS256), &claims, &self.key).map_err(|e| {
            Error::Config {
                reason: "could not sign the JWT assertion".into(),
                source: Some(Box::new(e)),
            }
        })
    }
}

/// The `aud` Salesforce expects for a token request to `login_url` (reference §1.2).
fn default_audience(login_url: &Url) -> String {
    let host = login_url
        .host_str()
        .unwrap_or_default()
        .to_ascii_lowercase();
    if host == "test.salesforce.com" || host.ends_with(".sandbox.my.salesforce.com") {
        "https://test.salesforce.com".to_owned()
    } else if host == "login.salesforce.com" || host.ends_with(".my.salesforce.com") {
        "https://login.salesforce.com".to_owned()
    } else {
        login_url.as_str().trim_end_matches('/').to_owned()
    }
}

#[async_trait]
impl TokenProvider for JwtBearer {
    async fn fetch(&self, endpoint: &TokenEndpoint) -> Result<TokenResponse> {
        let assertion = self.assertion(endpoint.login_url(), SystemTime::now())?;
        endpoint
            .request(GRANT_TYPE, &[("assertion", &assertion)], None)
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audiences_follow_the_login_host() {
        let cases = [
            (
                "https://login.salesforce.com",
                "https://login.salesforce.com",
            ),
            (
                "https://test.salesforce.com/",
                "https://test.salesforce.com",
            ),
            (
                "https://acme.my.salesforce.com",
                "https://login.salesforce.com",
            ),
            (
                "https://acme--uat.sandbox.my.salesforce.com",
                "https://test.salesforce.com",
            ),
            (
                "https://acme.my.site.com/partners",
                "https://acme.my.site.com/partners",
            ),
            ("http://127.0.0.1:4100/", "http://127.0.0.1:4100"),
        ];
        for (login, aud) in cases {
            assert_eq!(
                default_audience(&Url::parse(login).unwrap()),
                aud,
                "{login}"
            );
        }
    }

    #[test]
    fn bad_keys_are_refused_without_quoting_them() {
        let err = JwtBearer::from_pem(
            "id",
            "user",
            b"-----BEGIN PRIVATE KEY-----\nc2VjcmV0\n-----END PRIVATE KEY-----\n",
        )
        .unwrap_err();
        assert!(!err.to_string().contains("c2VjcmV0"), "{err}");
        assert!(!format!("{err:?}").contains("c2VjcmV0"), "{err:?}");
    }
}
