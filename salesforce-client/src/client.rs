//! [`Client`] and [`ClientBuilder`].

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use mapping::retry::{Retrier, RetryPolicy};
use url::Url;

use crate::auth::{Auth, ClientCredentials, JwtBearer, StaticToken, TokenEndpoint, TokenProvider};
use crate::error::{Error, Result};
use crate::limits::{ApiUsage, LimitInfo};
use crate::raw::Raw;
use crate::versions::ApiVersion;

/// Production and Developer Edition login host (the default).
pub const LOGIN_URL: &str = "https://login.salesforce.com";
/// Sandbox login host.
pub const TEST_LOGIN_URL: &str = "https://test.salesforce.com";
/// Default timeout of a whole request. Salesforce lets a REST call run 10 minutes; most
/// answer in well under a second.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(120);
/// Default timeout for establishing a connection.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// A Salesforce REST API client.
///
/// Cheap to clone: clones share one connection pool, one session cache, one configuration
/// and the last seen API usage (an `Arc` inside), so make one per org and user and clone it
/// freely. [`with_api_version`](Self::with_api_version) makes a clone that speaks another
/// API version over the same pool and session.
///
/// The API is grouped in areas: [`sobjects`](Self::sobjects), [`query`](Self::query),
/// [`composite`](Self::composite), [`collections`](Self::collections),
/// [`events`](Self::events), [`limits`](Self::limits), [`versions`](Self::versions), and
/// [`raw`](Self::raw) for endpoints not covered yet.
#[derive(Clone)]
pub struct Client {
    pub(crate) inner: Arc<Inner>,
    version: ApiVersion,
}

pub(crate) struct Inner {
    pub(crate) http: reqwest::Client,
    pub(crate) auth: Auth,
    pub(crate) retrier: Retrier,
    pub(crate) last_limits: Mutex<Option<LimitInfo>>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("api_version", &self.version)
            .field("auth", &self.inner.auth)
            .field("retrier", &self.inner.retrier)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A builder; [`credentials`](ClientBuilder::credentials) are required.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// A client configured from the environment (the README's variables):
    ///
    /// | variable | use |
    /// |---|---|
    /// | `SALESFORCE_LOGIN_URL` | token endpoint host (default [`LOGIN_URL`]) |
    /// | `SALESFORCE_INSTANCE_URL` | API host (default: the token response's `instance_url`) |
    /// | `SALESFORCE_API_VERSION` | e.g. `66.0` (default [`ApiVersion::DEFAULT`]) |
    /// | `SALESFORCE_ACCESS_TOKEN` | a [`StaticToken`]; skips login |
    /// | `SALESFORCE_PRIVATE_KEY_FILE` + `SALESFORCE_CLIENT_ID` + `SALESFORCE_USERNAME` | [`JwtBearer`] |
    /// | `SALESFORCE_CLIENT_ID` + `SALESFORCE_CLIENT_SECRET` | [`ClientCredentials`] |
    ///
    /// Credentials are chosen in that order; a set that is started but incomplete (a key file
    /// without a username) is an error rather than a silent fallback.
    ///
    /// # Errors
    /// [`Error::Config`] naming what is missing, or as [`ClientBuilder::build`].
    pub fn from_env() -> Result<Client> {
        ClientBuilder::from_lookup(|name| std::env::var(name).ok())?.build()
    }

    /// The API version calls use.
    pub fn api_version(&self) -> ApiVersion {
        self.version
    }

    /// A clone that calls API version `version`, sharing this client's connection pool,
    /// session and configuration.
    #[must_use]
    pub fn with_api_version(&self, version: ApiVersion) -> Client {
        Client {
            inner: Arc::clone(&self.inner),
            version,
        }
    }

    /// The login URL tokens are requested from.
    pub fn login_url(&self) -> &Url {
        self.inner.auth.login_url()
    }

    /// The configured instance URL, if one was set (otherwise the token response's is used).
    pub fn instance_url(&self) -> Option<&Url> {
        self.inner.auth.instance_url()
    }

    /// The `Sforce-Limit-Info` of the last answer that carried one, from any clone.
    pub fn last_limit_info(&self) -> Option<LimitInfo> {
        self.inner
            .last_limits
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The org's API usage (`api-usage=USED/MAX`) as of the last answer: a free way to slow
    /// down before the daily allocation runs out.
    pub fn last_api_usage(&self) -> Option<ApiUsage> {
        self.last_limit_info().and_then(|info| info.api_usage())
    }

    /// Any REST endpoint not covered yet, through the same send path.
    pub fn raw(&self) -> Raw<'_> {
        Raw { client: self }
    }
}

/// Configures a [`Client`]. Nothing is checked until [`build`](Self::build), which never
/// panics.
#[derive(Clone)]
pub struct ClientBuilder {
    login_url: String,
    instance_url: Option<String>,
    api_version: ApiVersion,
    provider: Option<Arc<dyn TokenProvider>>,
    timeout: Duration,
    connect_timeout: Duration,
    allow_http: bool,
    retrier: Retrier,
    user_agent: String,
}

impl Default for ClientBuilder {
    fn default() -> Self {
        ClientBuilder {
            login_url: LOGIN_URL.to_owned(),
            instance_url: None,
            api_version: ApiVersion::DEFAULT,
            provider: None,
            timeout: DEFAULT_TIMEOUT,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            allow_http: false,
            retrier: Retrier::new(RetryPolicy::default()),
            user_agent: concat!("tributary-salesforce-client/", env!("CARGO_PKG_VERSION"))
                .to_owned(),
        }
    }
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("login_url", &self.login_url)
            .field("instance_url", &self.instance_url)
            .field("api_version", &self.api_version)
            .field("credentials", &self.provider)
            .field("timeout", &self.timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("allow_http", &self.allow_http)
            .finish_non_exhaustive()
    }
}

impl ClientBuilder {
    pub(crate) fn from_lookup(var: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let get = |name: &str| var(name).filter(|v| !v.trim().is_empty());
        let mut builder = Client::builder();
        if let Some(url) = get("SALESFORCE_LOGIN_URL") {
            builder = builder.login_url(url);
        }
        if let Some(url) = get("SALESFORCE_INSTANCE_URL") {
            builder = builder.instance_url(url);
        }
        if let Some(version) = get("SALESFORCE_API_VERSION") {
            builder = builder.api_version(version.parse()?);
        }
        let client_id = get("SALESFORCE_CLIENT_ID");
        if let Some(token) = get("SALESFORCE_ACCESS_TOKEN") {
            return Ok(builder.credentials(StaticToken::new(token)));
        }
        if let Some(key_file) = get("SALESFORCE_PRIVATE_KEY_FILE") {
            let (Some(client_id), Some(username)) = (client_id, get("SALESFORCE_USERNAME")) else {
                return Err(Error::config(
                    "SALESFORCE_PRIVATE_KEY_FILE is set, but the JWT bearer flow also needs SALESFORCE_CLIENT_ID and SALESFORCE_USERNAME",
                ));
            };
            return Ok(
                builder.credentials(JwtBearer::from_pem_file(client_id, username, key_file)?)
            );
        }
        match (client_id, get("SALESFORCE_CLIENT_SECRET")) {
            (Some(id), Some(secret)) => Ok(builder.credentials(ClientCredentials::new(id, secret))),
            _ => Err(Error::config(
                "no Salesforce credentials in the environment: set SALESFORCE_ACCESS_TOKEN (with SALESFORCE_INSTANCE_URL), or SALESFORCE_PRIVATE_KEY_FILE with SALESFORCE_CLIENT_ID and SALESFORCE_USERNAME, or SALESFORCE_CLIENT_ID with SALESFORCE_CLIENT_SECRET",
            )),
        }
    }

    /// Where tokens are requested: [`LOGIN_URL`] (default), [`TEST_LOGIN_URL`], the org's My
    /// Domain (`https://acme.my.salesforce.com`), an Experience Cloud site, or a stand-in
    /// such as the `sandbox` crate's emulator.
    #[must_use]
    pub fn login_url(mut self, url: impl Into<String>) -> Self {
        self.login_url = url.into();
        self
    }

    /// The instance API calls go to (an origin such as `https://acme.my.salesforce.com`).
    /// By default the token response's `instance_url` is used; a configured one takes
    /// precedence. The access token is only ever sent to this origin.
    #[must_use]
    pub fn instance_url(mut self, url: impl Into<String>) -> Self {
        self.instance_url = Some(url.into());
        self
    }

    /// The API version (default [`ApiVersion::DEFAULT`]; see
    /// [`Client::latest_version`] to discover the newest).
    #[must_use]
    pub fn api_version(mut self, version: ApiVersion) -> Self {
        self.api_version = version;
        self
    }

    /// How the client gets sessions (required): [`JwtBearer`], [`ClientCredentials`],
    /// [`RefreshToken`](crate::auth::RefreshToken),
    /// [`UsernamePassword`](crate::auth::UsernamePassword), [`StaticToken`], or your own
    /// [`TokenProvider`].
    #[must_use]
    pub fn credentials(mut self, provider: impl TokenProvider + 'static) -> Self {
        self.provider = Some(Arc::new(provider));
        self
    }

    /// As [`credentials`](Self::credentials), for a provider already shared.
    #[must_use]
    pub fn token_provider(mut self, provider: Arc<dyn TokenProvider>) -> Self {
        self.provider = Some(provider);
        self
    }

    /// Timeout of a whole request, connection to last byte (default 120 s).
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Timeout for establishing a connection (default 10 s).
    #[must_use]
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Accepts plain-`http` URLs on non-loopback hosts (a stand-in on a private network).
    /// Loopback hosts are always accepted.
    #[must_use]
    pub fn allow_http(mut self, allow: bool) -> Self {
        self.allow_http = allow;
        self
    }

    /// The retry policy (default [`RetryPolicy::default`]: 4 attempts, full-jitter backoff).
    /// Calls that are not idempotent are never resent once they may have reached Salesforce,
    /// whatever the policy.
    #[must_use]
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retrier = self.retrier.with_policy(policy);
        self
    }

    /// The whole retry loop, with its clock, sleeper and random source (tests pass a
    /// [`RecordingSleeper`](mapping::retry::RecordingSleeper) so nothing really sleeps).
    #[must_use]
    pub fn retrier(mut self, retrier: Retrier) -> Self {
        self.retrier = retrier;
        self
    }

    /// The `User-Agent` header.
    #[must_use]
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }

    /// Checks the configuration and builds the client.
    ///
    /// # Errors
    /// [`Error::Config`] when a URL is not an absolute `https` URL (or `http` on loopback)
    /// without query, fragment or user info, or the instance URL has a path; when credentials
    /// are missing or do not fit the login URL (client credentials on `login.salesforce.com`,
    /// a static token without instance URL); when a timeout is zero; or when the HTTP client
    /// cannot be built.
    pub fn build(self) -> Result<Client> {
        let mut login_url = checked_url(&self.login_url, "login URL", self.allow_http, false)?;
        if !login_url.path().ends_with('/') {
            let path = format!("{}/", login_url.path());
            login_url.set_path(&path);
        }
        let instance_url = self
            .instance_url
            .as_deref()
            .map(|url| checked_url(url, "instance URL", self.allow_http, true))
            .transpose()?;
        let provider = self
            .provider
            .ok_or_else(|| Error::config("credentials are required"))?;
        provider.check(&login_url, instance_url.as_ref())?;
        if self.timeout.is_zero() || self.connect_timeout.is_zero() {
            return Err(Error::config("timeouts must be greater than zero"));
        }
        let http = reqwest::Client::builder()
            .timeout(self.timeout)
            .connect_timeout(self.connect_timeout)
            .user_agent(self.user_agent)
            // A redirect could carry the token elsewhere; Salesforce's REST API does not use them.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| Error::Config {
                reason: "could not build the HTTP client".into(),
                source: Some(Box::new(e)),
            })?;
        let token_url = login_url
            .join("services/oauth2/token")
            .map_err(|e| Error::config(format!("token URL: {e}")))?;
        let endpoint = TokenEndpoint {
            http: http.clone(),
            login_url,
            token_url,
        };
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                auth: Auth::new(provider, endpoint, instance_url, self.allow_http),
                retrier: self.retrier,
                last_limits: Mutex::new(None),
            }),
            version: self.api_version,
        })
    }
}

/// Parses and checks a login or instance URL: absolute, `https` (or `http` on loopback or
/// when allowed), no user info, query or fragment; with `origin_only`, no path either.
pub(crate) fn checked_url(
    text: &str,
    what: &str,
    allow_http: bool,
    origin_only: bool,
) -> Result<Url> {
    let url = Url::parse(text.trim()).map_err(|e| Error::Config {
        reason: format!("{what} {text:?} is not a URL"),
        source: Some(Box::new(e)),
    })?;
    let loopback = match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => return Err(Error::config(format!("{what} has no host"))),
    };
    match url.scheme() {
        "https" => {}
        "http" if loopback || allow_http => {}
        "http" => {
            return Err(Error::config(format!(
                "{what} uses plain http on a non-loopback host; use https (or allow_http for a stand-in)"
            )));
        }
        other => {
            return Err(Error::config(format!(
                "{what} scheme {other:?} is not http(s)"
            )));
        }
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(Error::config(format!(
            "{what} must not have a query or fragment"
        )));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Error::config(format!("{what} must not carry user info")));
    }
    if origin_only && url.path() != "/" {
        return Err(Error::config(format!(
            "{what} must be an origin such as https://acme.my.salesforce.com, without a path"
        )));
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn static_builder() -> ClientBuilder {
        Client::builder()
            .instance_url("https://acme.my.salesforce.com")
            .credentials(StaticToken::new("00D!token"))
    }

    #[test]
    fn urls_are_validated() {
        assert!(static_builder().build().is_ok());
        let client = static_builder()
            .login_url("https://acme.my.site.com/partners")
            .build()
            .unwrap();
        assert_eq!(
            client.login_url().as_str(),
            "https://acme.my.site.com/partners/"
        );
        for bad in [
            "acme.my.salesforce.com",
            "http://acme.my.salesforce.com",
            "ftp://acme.my.salesforce.com",
            "https://acme.my.salesforce.com/services",
            "https://user:pw@acme.my.salesforce.com",
            "https://acme.my.salesforce.com/?x=1",
        ] {
            let err = static_builder().instance_url(bad).build().unwrap_err();
            assert_eq!(
                err.kind(),
                mapping::retry::ErrorKind::Configuration,
                "{bad}"
            );
        }
        assert!(
            static_builder()
                .instance_url("http://127.0.0.1:9")
                .build()
                .is_ok()
        );
        assert!(
            static_builder()
                .instance_url("http://10.1.1.1")
                .allow_http(true)
                .build()
                .is_ok()
        );
        assert!(static_builder().timeout(Duration::ZERO).build().is_err());
    }

    #[test]
    fn credentials_must_fit_the_configuration() {
        assert!(Client::builder().build().is_err());
        let no_instance = Client::builder().credentials(StaticToken::new("t")).build();
        assert!(
            no_instance
                .unwrap_err()
                .to_string()
                .contains("SALESFORCE_INSTANCE_URL")
        );
        for host in [LOGIN_URL, TEST_LOGIN_URL] {
            let err = Client::builder()
                .login_url(host)
                .credentials(ClientCredentials::new("id", "secret"))
                .build()
                .unwrap_err();
            assert!(err.to_string().contains("My Domain"), "{err}");
        }
        assert!(
            Client::builder()
                .login_url("https://acme.my.salesforce.com")
                .credentials(ClientCredentials::new("id", "secret"))
                .build()
                .is_ok()
        );
    }

    #[test]
    fn environment_variables() {
        let lookup = |env: HashMap<&'static str, &'static str>| {
            move |name: &str| env.get(name).map(|v| (*v).to_owned())
        };
        let env = HashMap::from([
            ("SALESFORCE_ACCESS_TOKEN", "00D!secret-token"),
            ("SALESFORCE_INSTANCE_URL", "https://acme.my.salesforce.com"),
            ("SALESFORCE_API_VERSION", "62.0"),
        ]);
        let client = ClientBuilder::from_lookup(lookup(env))
            .unwrap()
            .build()
            .unwrap();
        assert_eq!(client.api_version(), ApiVersion::new(62));
        assert!(!format!("{client:?}").contains("secret-token"));

        let env = HashMap::from([
            ("SALESFORCE_LOGIN_URL", "https://acme.my.salesforce.com"),
            ("SALESFORCE_CLIENT_ID", "id"),
            ("SALESFORCE_CLIENT_SECRET", "very-secret"),
        ]);
        let client = ClientBuilder::from_lookup(lookup(env))
            .unwrap()
            .build()
            .unwrap();
        assert_eq!(
            client.login_url().as_str(),
            "https://acme.my.salesforce.com/"
        );
        assert!(!format!("{client:?}").contains("very-secret"));

        let env = HashMap::from([("SALESFORCE_PRIVATE_KEY_FILE", "/nonexistent/key.pem")]);
        let err = ClientBuilder::from_lookup(lookup(env)).unwrap_err();
        assert!(err.to_string().contains("SALESFORCE_USERNAME"), "{err}");
        let err = ClientBuilder::from_lookup(lookup(HashMap::new())).unwrap_err();
        assert!(err.to_string().contains("SALESFORCE_CLIENT_ID"), "{err}");
    }
}
