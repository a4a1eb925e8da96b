//! [`Client`] and [`ClientBuilder`].

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use mapping::retry::{Retrier, RetryPolicy, TokenCache};
use url::Url;

use crate::auth::{Auth, Credentials};
use crate::batches::Batches;
use crate::checks::Checks;
use crate::customers::Customers;
use crate::error::{Error, Result};
use crate::exports::Exports;
use crate::protect::Protect;
use crate::raw::Raw;
use crate::recurrence::Recurrence;
use crate::transactions::Transactions;

/// PayTrace's production host.
pub const PRODUCTION_URL: &str = "https://api.paytrace.com";
/// PayTrace's sandbox host (free sandbox accounts; calls can take up to ~20 s).
pub const SANDBOX_URL: &str = "https://api.sandbox.paytrace.com";
/// Default timeout of a whole request: 60 s, since sandbox calls can take ~20 s (reference §7).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);
/// Default timeout for establishing a connection.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Longest integrator id PayTrace issues.
const MAX_INTEGRATOR_ID_LEN: usize = 12;

/// A PayTrace v1 API client.
///
/// Cheap to clone: clones share one connection pool, one token cache and one configuration
/// (an `Arc` inside), so make one per set of credentials and clone it freely.
///
/// The API is grouped in areas: [`transactions`](Self::transactions),
/// [`checks`](Self::checks), [`customers`](Self::customers),
/// [`recurrence`](Self::recurrence), [`exports`](Self::exports), [`batches`](Self::batches),
/// [`protect`](Self::protect), and [`raw`](Self::raw) for endpoints not covered yet.
#[derive(Clone)]
pub struct Client {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) http: reqwest::Client,
    pub(crate) base_url: Url,
    pub(crate) integrator_id: String,
    pub(crate) auth: Auth,
    pub(crate) retrier: Retrier,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.inner.base_url.as_str())
            .field("integrator_id", &self.inner.integrator_id)
            .field("credentials", self.inner.auth.credentials())
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A builder; [`credentials`](ClientBuilder::credentials) and
    /// [`integrator_id`](ClientBuilder::integrator_id) are required.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// A client configured from the environment: `PAYTRACE_BASE_URL` (default
    /// [`PRODUCTION_URL`]), `PAYTRACE_USERNAME`, `PAYTRACE_PASSWORD`, `PAYTRACE_INTEGRATOR_ID`.
    ///
    /// # Errors
    /// [`Error::Config`] naming the variable that is missing, or as
    /// [`ClientBuilder::build`].
    pub fn from_env() -> Result<Client> {
        ClientBuilder::from_lookup(|name| std::env::var(name).ok())?.build()
    }

    /// The base URL requests go to.
    pub fn base_url(&self) -> &Url {
        &self.inner.base_url
    }

    /// The integrator id added to every request body.
    pub fn integrator_id(&self) -> &str {
        &self.inner.integrator_id
    }

    /// Card sales, authorizations, captures, voids, refunds, adjustments, settlement, receipts
    /// and Level 3 data.
    pub fn transactions(&self) -> Transactions<'_> {
        Transactions { client: self }
    }

    /// ACH (check) sales, holds, refunds, funding and voids.
    pub fn checks(&self) -> Checks<'_> {
        Checks { client: self }
    }

    /// The customer vault.
    pub fn customers(&self) -> Customers<'_> {
        Customers { client: self }
    }

    /// Recurring payments.
    pub fn recurrence(&self) -> Recurrence<'_> {
        Recurrence { client: self }
    }

    /// Transaction exports, streams by date range, and reconciliation by invoice id.
    pub fn exports(&self) -> Exports<'_> {
        Exports { client: self }
    }

    /// Settlement batch exports.
    pub fn batches(&self) -> Batches<'_> {
        Batches { client: self }
    }

    /// The Protect.js client key.
    pub fn protect(&self) -> Protect<'_> {
        Protect { client: self }
    }

    /// Any v1 endpoint, with auth and `integrator_id` added.
    pub fn raw(&self) -> Raw<'_> {
        Raw { client: self }
    }
}

/// Configures a [`Client`]. Nothing is checked until [`build`](Self::build), which never
/// panics.
#[derive(Clone)]
pub struct ClientBuilder {
    base_url: String,
    credentials: Option<Credentials>,
    integrator_id: Option<String>,
    timeout: Duration,
    connect_timeout: Duration,
    allow_http: bool,
    retrier: Retrier,
    token_refresh_margin: Duration,
    user_agent: String,
}

impl Default for ClientBuilder {
    fn default() -> Self {
        ClientBuilder {
            base_url: PRODUCTION_URL.to_owned(),
            credentials: None,
            integrator_id: None,
            timeout: DEFAULT_TIMEOUT,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            allow_http: false,
            retrier: Retrier::new(RetryPolicy::default()),
            token_refresh_margin: TokenCache::<()>::DEFAULT_REFRESH_MARGIN,
            user_agent: concat!("tributary-paytrace-client/", env!("CARGO_PKG_VERSION")).to_owned(),
        }
    }
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("base_url", &self.base_url)
            .field("credentials", &self.credentials)
            .field("integrator_id", &self.integrator_id)
            .field("timeout", &self.timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("allow_http", &self.allow_http)
            .field("retrier", &self.retrier)
            .finish_non_exhaustive()
    }
}

impl ClientBuilder {
    fn from_lookup(var: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let required = |name: &str| {
            var(name)
                .filter(|v| !v.trim().is_empty())
                .ok_or_else(|| Error::config(format!("environment variable {name} is not set")))
        };
        let mut builder = Client::builder()
            .credentials(Credentials::password(
                required("PAYTRACE_USERNAME")?,
                required("PAYTRACE_PASSWORD")?,
            ))
            .integrator_id(required("PAYTRACE_INTEGRATOR_ID")?);
        if let Some(url) = var("PAYTRACE_BASE_URL").filter(|v| !v.trim().is_empty()) {
            builder = builder.base_url(url);
        }
        Ok(builder)
    }

    /// The base URL: [`PRODUCTION_URL`] (default), [`SANDBOX_URL`], or any stand-in such as
    /// the `sandbox` crate's emulator. Plain `http` is accepted only for loopback hosts unless
    /// [`allow_http`](Self::allow_http) is set, since request bodies carry card data.
    #[must_use]
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = url.into();
        self
    }

    /// How the client gets access tokens (required).
    #[must_use]
    pub fn credentials(mut self, credentials: Credentials) -> Self {
        self.credentials = Some(credentials);
        self
    }

    /// The integrator id PayTrace issued for this integration, at most 12 characters
    /// (required). It is added to every request body.
    #[must_use]
    pub fn integrator_id(mut self, integrator_id: impl Into<String>) -> Self {
        self.integrator_id = Some(integrator_id.into());
        self
    }

    /// Timeout of a whole request, connection to last byte (default 60 s).
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Timeout for establishing a connection (default 10 s). A connect timeout proves nothing
    /// was sent, so even a sale is retried after one.
    #[must_use]
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Accepts a plain-`http` base URL on a non-loopback host (a stand-in on a private
    /// network). Never use it with real card data.
    #[must_use]
    pub fn allow_http(mut self, allow: bool) -> Self {
        self.allow_http = allow;
        self
    }

    /// The retry policy (default [`RetryPolicy::default`]: 4 attempts, full-jitter backoff).
    /// Money-moving calls are never resent once they may have reached PayTrace, whatever the
    /// policy.
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

    /// How long before expiry a token is refreshed (default 60 s, at most half its life).
    #[must_use]
    pub fn token_refresh_margin(mut self, margin: Duration) -> Self {
        self.token_refresh_margin = margin;
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
    /// [`Error::Config`] when the base URL is not an absolute `https` URL (or `http` on
    /// loopback) without query, fragment or user info; when credentials or the integrator id
    /// are missing or blank, or the id is longer than 12 characters or not printable ASCII;
    /// when a timeout is zero; or when the HTTP client cannot be built.
    pub fn build(self) -> Result<Client> {
        let base_url = self.checked_base_url()?;
        let credentials = self
            .credentials
            .ok_or_else(|| Error::config("credentials are required"))?;
        credentials.check()?;
        let integrator_id = self
            .integrator_id
            .map(|id| id.trim().to_owned())
            .ok_or_else(|| Error::config("an integrator id is required"))?;
        if integrator_id.is_empty()
            || integrator_id.len() > MAX_INTEGRATOR_ID_LEN
            || !integrator_id.bytes().all(|b| b.is_ascii_graphic())
        {
            return Err(Error::config(format!(
                "the integrator id must be 1 to {MAX_INTEGRATOR_ID_LEN} printable ASCII characters"
            )));
        }
        if self.timeout.is_zero() || self.connect_timeout.is_zero() {
            return Err(Error::config("timeouts must be greater than zero"));
        }
        let http = reqwest::Client::builder()
            .timeout(self.timeout)
            .connect_timeout(self.connect_timeout)
            .user_agent(self.user_agent)
            .https_only(!base_url.scheme().eq_ignore_ascii_case("http"))
            .build()
            .map_err(|e| Error::Config {
                reason: "could not build the HTTP client".into(),
                source: Some(Box::new(e)),
            })?;
        let token_url = base_url
            .join("oauth/token")
            .map_err(|e| Error::config(format!("token URL: {e}")))?;
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                auth: Auth::new(credentials, token_url, self.token_refresh_margin),
                base_url,
                integrator_id,
                retrier: self.retrier,
            }),
        })
    }

    fn checked_base_url(&self) -> Result<Url> {
        let mut url = Url::parse(self.base_url.trim()).map_err(|e| Error::Config {
            reason: format!("base URL {:?} is not a URL", self.base_url),
            source: Some(Box::new(e)),
        })?;
        let loopback = match url.host() {
            Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            None => return Err(Error::config("base URL has no host")),
        };
        match url.scheme() {
            "https" => {}
            "http" if loopback || self.allow_http => {}
            "http" => {
                return Err(Error::config(
                    "base URL uses plain http on a non-loopback host; use https (or allow_http for a stand-in)",
                ));
            }
            other => {
                return Err(Error::config(format!(
                    "base URL scheme {other:?} is not http(s)"
                )));
            }
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(Error::config("base URL must not have a query or fragment"));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(Error::config("base URL must not carry user info"));
        }
        // A trailing slash makes `join` keep any path prefix (a proxy under /paytrace/).
        if !url.path().ends_with('/') {
            let path = format!("{}/", url.path());
            url.set_path(&path);
        }
        Ok(url)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn builder() -> ClientBuilder {
        Client::builder()
            .credentials(Credentials::password("user", "pass"))
            .integrator_id("9999ABCDEFGH")
    }

    #[test]
    fn base_urls_are_validated() {
        let ok = [
            (PRODUCTION_URL, "https://api.paytrace.com/"),
            (SANDBOX_URL, "https://api.sandbox.paytrace.com/"),
            ("http://127.0.0.1:8080", "http://127.0.0.1:8080/"),
            ("http://localhost:1/prefix", "http://localhost:1/prefix/"),
            (
                "https://proxy.example/paytrace/",
                "https://proxy.example/paytrace/",
            ),
        ];
        for (input, want) in ok {
            let client = builder().base_url(input).build().unwrap();
            assert_eq!(client.base_url().as_str(), want);
        }
        for bad in [
            "api.paytrace.com",
            "ftp://api.paytrace.com",
            "http://api.paytrace.com",
            "https://api.paytrace.com/?x=1",
            "https://user:pw@api.paytrace.com",
            "",
        ] {
            let err = builder().base_url(bad).build().unwrap_err();
            assert_eq!(
                err.kind(),
                mapping::retry::ErrorKind::Configuration,
                "{bad}"
            );
        }
        assert!(
            builder()
                .base_url("http://10.0.0.5")
                .allow_http(true)
                .build()
                .is_ok()
        );
    }

    #[test]
    fn required_settings_are_checked() {
        assert!(Client::builder().integrator_id("X").build().is_err());
        let no_id = Client::builder().credentials(Credentials::password("u", "p"));
        assert!(no_id.clone().build().is_err());
        assert!(no_id.clone().integrator_id("").build().is_err());
        assert!(
            no_id
                .clone()
                .integrator_id("1234567890123")
                .build()
                .is_err()
        );
        assert!(no_id.clone().integrator_id("bad id").build().is_err());
        assert!(builder().timeout(Duration::ZERO).build().is_err());
    }

    #[test]
    fn endpoints_stay_under_the_base_url() {
        let client = builder()
            .base_url("https://proxy.example/paytrace")
            .build()
            .unwrap();
        assert_eq!(
            client.endpoint("/v1/transactions/void").unwrap().as_str(),
            "https://proxy.example/paytrace/v1/transactions/void"
        );
        for bad in ["https://evil.example/v1", "../../v1/x", "/v1/../../x"] {
            assert!(client.endpoint(bad).is_err(), "{bad}");
        }
        // A scheme-relative path is read as a relative one, so it stays under the base URL.
        assert_eq!(
            client.endpoint("//evil.example/v1").unwrap().as_str(),
            "https://proxy.example/paytrace/evil.example/v1"
        );
    }

    #[test]
    fn environment_variables() {
        let env: HashMap<&'static str, &'static str> = [
            ("PAYTRACE_USERNAME", "user"),
            ("PAYTRACE_PASSWORD", "secret-pw"),
            ("PAYTRACE_INTEGRATOR_ID", "9999ABC"),
        ]
        .into();
        fn lookup(env: HashMap<&'static str, &'static str>) -> impl Fn(&str) -> Option<String> {
            move |name| env.get(name).map(|v| (*v).to_owned())
        }
        let client = ClientBuilder::from_lookup(lookup(env.clone()))
            .unwrap()
            .build()
            .unwrap();
        assert_eq!(client.base_url().as_str(), "https://api.paytrace.com/");
        assert_eq!(client.integrator_id(), "9999ABC");
        let debug = format!("{client:?}");
        assert!(!debug.contains("secret-pw"), "{debug}");

        let mut sandbox = env.clone();
        sandbox.insert("PAYTRACE_BASE_URL", SANDBOX_URL);
        let client = ClientBuilder::from_lookup(lookup(sandbox))
            .unwrap()
            .build()
            .unwrap();
        assert_eq!(
            client.base_url().as_str(),
            "https://api.sandbox.paytrace.com/"
        );

        let mut missing = env;
        missing.remove("PAYTRACE_PASSWORD");
        let err = ClientBuilder::from_lookup(lookup(missing)).unwrap_err();
        assert!(err.to_string().contains("PAYTRACE_PASSWORD"), "{err}");
    }
}
