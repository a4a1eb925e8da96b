//! [`Client`], [`ClientBuilder`] and [`Flavor`].

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use mapping::retry::{Retrier, RetryPolicy, TokenCache};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use tokio::sync::{OnceCell, Semaphore};
use url::{Host, Url};

use crate::auth::{Auth, ClientSecret, DEFAULT_AUTHORITY, TokenContext, TokenProvider};
use crate::bc::Bc;
use crate::error::{Error, Result};
use crate::fno::{Fno, PostingStrategy};
use crate::odata::literal::Guid;
use crate::odata::{BatchFormat, Capabilities, Service, StringMatching};
use crate::raw::Raw;

/// Default timeout of a whole request.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(120);
/// Default timeout for establishing a connection.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Which Dynamics 365 product (or other OData v4 service) the client talks to.
///
/// The flavour decides the service root's shape, what queries the service understands, the
/// batch format and cap, whether writes need `If-Match`, and the default concurrency limit:
///
/// | | Finance & Operations | Business Central | Generic OData v4 |
/// |---|---|---|---|
/// | service root | `https://{env}.operations.dynamics.com/data/` | `…/v2.0/{tenant}/{env}/api/v2.0/` | as given |
/// | `in`, `contains()` | no: `or` chain, `eq '*x*'` wildcards | no `in` (`or` chain); functions yes | yes |
/// | `$expand` depth | 1 | any | any |
/// | `$batch` | multipart, 5,000 operations | JSON, 100 operations | multipart, 1,000 |
/// | `If-Match` on PATCH/DELETE | optional | required | optional |
/// | upsert (PATCH creates) | no | no | yes |
/// | concurrent requests | 52 | 5 | 16 |
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Flavor {
    /// Dynamics 365 Finance & Operations (Finance, Supply Chain Management).
    FinanceOperations,
    /// Dynamics 365 Business Central, API v2.0.
    BusinessCentral,
    /// Any other OData v4 service (Dataverse, SAP CAP, …).
    Generic,
}

impl Flavor {
    /// Reads `D365_FLAVOR`'s values: `fno` (also `f&o`, `finance`), `bc`, `odata`.
    pub fn parse(text: &str) -> Option<Flavor> {
        match text.trim().to_ascii_lowercase().as_str() {
            "fno" | "f&o" | "finance" | "financeoperations" | "finance_operations" => {
                Some(Flavor::FinanceOperations)
            }
            "bc" | "businesscentral" | "business_central" => Some(Flavor::BusinessCentral),
            "odata" | "generic" => Some(Flavor::Generic),
            _ => None,
        }
    }

    /// What the flavour's service understands.
    pub fn capabilities(self) -> Capabilities {
        match self {
            Flavor::FinanceOperations => Capabilities::standard()
                .with_in_operator(false)
                .with_string_matching(StringMatching::Wildcards)
                .with_max_expand_depth(Some(1))
                .with_batch(BatchFormat::Multipart, 5_000)
                .with_upsert(false),
            Flavor::BusinessCentral => Capabilities::standard()
                .with_in_operator(false)
                .with_batch(BatchFormat::Json, 100)
                .with_require_if_match(true)
                .with_upsert(false),
            Flavor::Generic => Capabilities::standard(),
        }
    }

    /// How many requests the client sends at once by default: the service's per-user limit
    /// (F&O 52, Business Central 5).
    pub fn default_concurrency(self) -> usize {
        match self {
            Flavor::FinanceOperations => 52,
            Flavor::BusinessCentral => 5,
            Flavor::Generic => 16,
        }
    }

    /// The service root for `base`: F&O gets `/data/` appended to a bare environment URL,
    /// Business Central `/api/v2.0/` to a URL without `/api/`; every root ends with `/`.
    fn service_root(self, mut url: Url) -> Url {
        let path = url.path().trim_end_matches('/').to_owned();
        let path = match self {
            Flavor::FinanceOperations if !path.ends_with("/data") => format!("{path}/data/"),
            Flavor::BusinessCentral if !path.contains("/api/") => format!("{path}/api/v2.0/"),
            _ => format!("{path}/"),
        };
        url.set_path(&path);
        url
    }
}

/// A Dynamics 365 client.
///
/// Cheap to clone: clones share one connection pool, one token cache, one concurrency limit
/// and one configuration (an `Arc` inside), so make one per environment and credentials and
/// clone it freely (streams hold a clone).
///
/// Areas: [`odata`](Self::odata) (the generic OData core), [`fno`](Self::fno) (Finance &
/// Operations entities), [`bc`](Self::bc) (Business Central entities), and
/// [`raw`](Self::raw) for anything not covered.
#[derive(Clone)]
pub struct Client {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) http: reqwest::Client,
    pub(crate) service_root: Url,
    pub(crate) flavor: Flavor,
    pub(crate) capabilities: Capabilities,
    pub(crate) auth: Auth,
    pub(crate) retrier: Retrier,
    pub(crate) limit: Semaphore,
    pub(crate) max_concurrency: usize,
    pub(crate) default_headers: HeaderMap,
    pub(crate) company: Option<String>,
    pub(crate) posting: PostingStrategy,
    /// Business Central's company id, once resolved from [`Inner::company`].
    pub(crate) bc_company: OnceCell<Guid>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("service_root", &self.inner.service_root.as_str())
            .field("flavor", &self.inner.flavor)
            .field("company", &self.inner.company)
            .field("max_concurrency", &self.inner.max_concurrency)
            .field("credentials", self.inner.auth.provider())
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A builder; [`base_url`](ClientBuilder::base_url) and
    /// [`credentials`](ClientBuilder::credentials) are required.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// A client configured from the environment:
    ///
    /// | variable | |
    /// |---|---|
    /// | `D365_FLAVOR` | `fno` or `bc` (required) |
    /// | `D365_BASE_URL` | the environment or service URL (required) |
    /// | `D365_TENANT_ID`, `D365_CLIENT_ID`, `D365_CLIENT_SECRET` | client credentials (required) |
    /// | `D365_AUTHORITY_URL` | default `https://login.microsoftonline.com` |
    /// | `D365_COMPANY` | F&O `dataAreaId`, or BC company id or name |
    ///
    /// # Errors
    /// [`Error::Config`] naming the variable that is missing or wrong, or as
    /// [`ClientBuilder::build`].
    pub fn from_env() -> Result<Client> {
        ClientBuilder::from_lookup(|name| std::env::var(name).ok())?.build()
    }

    /// The service root requests go to (ends with `/`).
    pub fn service_root(&self) -> &Url {
        &self.inner.service_root
    }

    /// The flavour.
    pub fn flavor(&self) -> Flavor {
        self.inner.flavor
    }

    /// What the service understands.
    pub fn capabilities(&self) -> &Capabilities {
        &self.inner.capabilities
    }

    /// The configured company (`D365_COMPANY`), if any.
    pub fn company(&self) -> Option<&str> {
        self.inner.company.as_deref()
    }

    /// The most requests in flight at once.
    pub fn max_concurrency(&self) -> usize {
        self.inner.max_concurrency
    }

    /// The generic OData core: any entity set, batches, unbound actions.
    pub fn odata(&self) -> Service {
        Service::new(self.clone(), crate::http::Scope::OData)
    }

    /// Finance & Operations entities, in the configured company.
    pub fn fno(&self) -> Fno {
        Fno::new(self.clone())
    }

    /// Business Central entities.
    pub fn bc(&self) -> Bc {
        Bc::new(self.clone())
    }

    /// Any endpoint of the environment, with auth, retries and error parsing.
    pub fn raw(&self) -> Raw {
        Raw::new(self.clone())
    }
}

/// Configures a [`Client`]. Nothing is checked until [`build`](Self::build), which never
/// panics.
#[derive(Clone)]
pub struct ClientBuilder {
    flavor: Flavor,
    base_url: Option<String>,
    credentials: Option<Arc<dyn TokenProvider>>,
    company: Option<String>,
    timeout: Duration,
    connect_timeout: Duration,
    allow_http: bool,
    retrier: Retrier,
    max_concurrency: Option<usize>,
    capabilities: Option<Capabilities>,
    token_refresh_margin: Duration,
    posting: PostingStrategy,
    user_agent: String,
}

impl Default for ClientBuilder {
    fn default() -> Self {
        ClientBuilder {
            flavor: Flavor::Generic,
            base_url: None,
            credentials: None,
            company: None,
            timeout: DEFAULT_TIMEOUT,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            allow_http: false,
            retrier: Retrier::new(RetryPolicy::default()),
            max_concurrency: None,
            capabilities: None,
            token_refresh_margin: TokenCache::<()>::DEFAULT_REFRESH_MARGIN,
            posting: PostingStrategy::default(),
            user_agent: concat!("tributary-dynamics365-client/", env!("CARGO_PKG_VERSION"))
                .to_owned(),
        }
    }
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("flavor", &self.flavor)
            .field("base_url", &self.base_url)
            .field("credentials", &self.credentials)
            .field("company", &self.company)
            .field("timeout", &self.timeout)
            .field("max_concurrency", &self.max_concurrency)
            .field("retrier", &self.retrier)
            .finish_non_exhaustive()
    }
}

impl ClientBuilder {
    pub(crate) fn from_lookup(var: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let get = |name: &str| var(name).filter(|v| !v.trim().is_empty());
        let required = |name: &str| {
            get(name)
                .ok_or_else(|| Error::config(format!("environment variable {name} is not set")))
        };
        let flavor_text = required("D365_FLAVOR")?;
        let flavor = Flavor::parse(&flavor_text).ok_or_else(|| {
            Error::config(format!(
                "D365_FLAVOR={flavor_text:?} is not one of `fno`, `bc`"
            ))
        })?;
        let credentials = ClientSecret::new(
            required("D365_TENANT_ID")?,
            required("D365_CLIENT_ID")?,
            required("D365_CLIENT_SECRET")?,
        )
        .authority(get("D365_AUTHORITY_URL").unwrap_or_else(|| DEFAULT_AUTHORITY.to_owned()));
        let mut builder = Client::builder()
            .flavor(flavor)
            .base_url(required("D365_BASE_URL")?)
            .credentials(credentials);
        if let Some(company) = get("D365_COMPANY") {
            builder = builder.company(company);
        }
        Ok(builder)
    }

    /// The flavour (default [`Flavor::Generic`]).
    #[must_use]
    pub fn flavor(mut self, flavor: Flavor) -> Self {
        self.flavor = flavor;
        self
    }

    /// The environment or service URL: `https://contoso.operations.dynamics.com` (F&O,
    /// `/data/` is added), `https://api.businesscentral.dynamics.com/v2.0/{tenant}/{env}` (BC,
    /// `/api/v2.0/` is added), or any OData service root. Plain `http` is accepted only for
    /// loopback hosts unless [`allow_http`](Self::allow_http) is set.
    #[must_use]
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// Where tokens come from: [`ClientSecret`], [`StaticToken`](crate::auth::StaticToken) or
    /// your own [`TokenProvider`].
    #[must_use]
    pub fn credentials(mut self, provider: impl TokenProvider + 'static) -> Self {
        self.credentials = Some(Arc::new(provider));
        self
    }

    /// A shared provider (several clients, one vault).
    #[must_use]
    pub fn token_provider(mut self, provider: Arc<dyn TokenProvider>) -> Self {
        self.credentials = Some(provider);
        self
    }

    /// The company: an F&O `dataAreaId` (`usmf`), or a Business Central company id or name.
    #[must_use]
    pub fn company(mut self, company: impl Into<String>) -> Self {
        self.company = Some(company.into());
        self
    }

    /// Timeout of a whole request (default 120 s).
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

    /// Accepts plain `http` for hosts other than loopback.
    #[must_use]
    pub fn allow_http(mut self, allow: bool) -> Self {
        self.allow_http = allow;
        self
    }

    /// The retry loop: policy, clock, sleeper and jitter (tests inject a recording sleeper).
    #[must_use]
    pub fn retrier(mut self, retrier: Retrier) -> Self {
        self.retrier = retrier;
        self
    }

    /// The retry policy, keeping the retrier's clock, sleeper and jitter.
    #[must_use]
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retrier = self.retrier.with_policy(policy);
        self
    }

    /// The most requests in flight at once (default: the flavour's
    /// [`default_concurrency`](Flavor::default_concurrency)).
    #[must_use]
    pub fn max_concurrency(mut self, max: usize) -> Self {
        self.max_concurrency = Some(max);
        self
    }

    /// Replaces the flavour's [`Capabilities`] (a service that supports more or less).
    #[must_use]
    pub fn capabilities(mut self, capabilities: Capabilities) -> Self {
        self.capabilities = Some(capabilities);
        self
    }

    /// How long before expiry a token is refreshed (default 60 s, at most half its lifetime).
    #[must_use]
    pub fn token_refresh_margin(mut self, margin: Duration) -> Self {
        self.token_refresh_margin = margin;
        self
    }

    /// How Finance & Operations journals are posted (default: not supported).
    #[must_use]
    pub fn fno_posting(mut self, posting: PostingStrategy) -> Self {
        self.posting = posting;
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
    /// [`Error::Config`] for a missing or invalid base URL, missing credentials, a zero
    /// concurrency limit, or an HTTP client that cannot be built.
    pub fn build(self) -> Result<Client> {
        let base = self
            .base_url
            .as_deref()
            .ok_or_else(|| Error::config("the base URL is required"))?;
        let url = Url::parse(base.trim()).map_err(|e| Error::Config {
            reason: format!("base URL {base:?} is not a URL"),
            source: Some(Box::new(e)),
        })?;
        check_scheme(&url, self.allow_http)?;
        if url.query().is_some() || url.fragment().is_some() {
            return Err(Error::config(format!(
                "base URL {base:?} must not have a query or fragment"
            )));
        }
        let service_root = self.flavor.service_root(url);
        let credentials = self
            .credentials
            .ok_or_else(|| Error::config("credentials are required"))?;
        let max_concurrency = self
            .max_concurrency
            .unwrap_or_else(|| self.flavor.default_concurrency());
        if max_concurrency == 0 {
            return Err(Error::config("the concurrency limit must be at least 1"));
        }
        let http = reqwest::Client::builder()
            .timeout(self.timeout)
            .connect_timeout(self.connect_timeout)
            .user_agent(self.user_agent)
            .build()
            .map_err(|e| Error::Config {
                reason: "could not build the HTTP client".to_owned(),
                source: Some(Box::new(e)),
            })?;
        let ctx = TokenContext {
            http: http.clone(),
            environment_root: service_root.origin().ascii_serialization(),
        };
        let cache = TokenCache::new().with_refresh_margin(self.token_refresh_margin);
        let mut default_headers = HeaderMap::new();
        for name in ["odata-version", "odata-maxversion"] {
            default_headers.insert(
                HeaderName::from_static(name),
                HeaderValue::from_static("4.0"),
            );
        }
        let company = self
            .company
            .map(|c| c.trim().to_owned())
            .filter(|c| !c.is_empty());
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                capabilities: self
                    .capabilities
                    .unwrap_or_else(|| self.flavor.capabilities()),
                flavor: self.flavor,
                service_root,
                auth: Auth::new(credentials, cache, ctx),
                retrier: self.retrier,
                limit: Semaphore::new(max_concurrency),
                max_concurrency,
                default_headers,
                company,
                posting: self.posting,
                bc_company: OnceCell::new(),
            }),
        })
    }
}

fn check_scheme(url: &Url, allow_http: bool) -> Result<()> {
    let loopback = match url.host() {
        Some(Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    match url.scheme() {
        "https" => Ok(()),
        "http" if loopback || allow_http => Ok(()),
        "http" => Err(Error::config(format!(
            "{url} uses plain http: bearer tokens would travel unencrypted (use https, or allow_http for a trusted network)"
        ))),
        other => Err(Error::config(format!("unsupported URL scheme {other:?}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::StaticToken;

    fn build(flavor: Flavor, base: &str) -> Result<Client> {
        Client::builder()
            .flavor(flavor)
            .base_url(base)
            .credentials(StaticToken::new("t"))
            .build()
    }

    #[test]
    fn service_roots_per_flavour() {
        let cases = [
            (
                Flavor::FinanceOperations,
                "https://contoso.operations.dynamics.com",
                "https://contoso.operations.dynamics.com/data/",
            ),
            (
                Flavor::FinanceOperations,
                "https://contoso.operations.dynamics.com/data",
                "https://contoso.operations.dynamics.com/data/",
            ),
            (
                Flavor::FinanceOperations,
                "https://contoso.operations.dynamics.com/data/",
                "https://contoso.operations.dynamics.com/data/",
            ),
            (
                Flavor::BusinessCentral,
                "https://api.businesscentral.dynamics.com/v2.0/t1/Production",
                "https://api.businesscentral.dynamics.com/v2.0/t1/Production/api/v2.0/",
            ),
            (
                Flavor::BusinessCentral,
                "https://api.businesscentral.dynamics.com/v2.0/t1/Production/api/v2.0",
                "https://api.businesscentral.dynamics.com/v2.0/t1/Production/api/v2.0/",
            ),
            (
                Flavor::Generic,
                "http://127.0.0.1:4004/odata/v4/test",
                "http://127.0.0.1:4004/odata/v4/test/",
            ),
        ];
        for (flavor, base, root) in cases {
            assert_eq!(
                build(flavor, base).unwrap().service_root().as_str(),
                root,
                "{base}"
            );
        }
    }

    #[test]
    fn invalid_configurations_are_refused() {
        assert!(build(Flavor::Generic, "http://example.com/odata").is_err());
        assert!(build(Flavor::Generic, "ftp://example.com").is_err());
        assert!(build(Flavor::Generic, "https://example.com/odata?x=1").is_err());
        assert!(build(Flavor::Generic, "not a url").is_err());
        assert!(Client::builder().base_url("https://x").build().is_err());
        assert!(
            Client::builder()
                .base_url("https://x")
                .credentials(StaticToken::new("t"))
                .max_concurrency(0)
                .build()
                .is_err()
        );
    }

    #[test]
    fn from_env_reads_the_readme_variables() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| (*v).to_owned())
            }
        };
        let full: &[(&str, &str)] = &[
            ("D365_FLAVOR", "bc"),
            (
                "D365_BASE_URL",
                "https://api.businesscentral.dynamics.com/v2.0/t1/Production",
            ),
            ("D365_TENANT_ID", "t1"),
            ("D365_CLIENT_ID", "c1"),
            ("D365_CLIENT_SECRET", "s3cr3t"),
            ("D365_COMPANY", "CRONUS USA, Inc."),
        ];
        let client = ClientBuilder::from_lookup(env(full))
            .unwrap()
            .build()
            .unwrap();
        assert_eq!(client.flavor(), Flavor::BusinessCentral);
        assert_eq!(client.max_concurrency(), 5);
        assert_eq!(client.company(), Some("CRONUS USA, Inc."));
        let debug = format!("{client:?}");
        assert!(!debug.contains("s3cr3t"), "{debug}");

        let missing: &[(&str, &str)] = &[("D365_FLAVOR", "fno")];
        let err = ClientBuilder::from_lookup(env(missing)).unwrap_err();
        assert!(err.to_string().contains("D365_TENANT_ID"), "{err}");
        let wrong: &[(&str, &str)] = &[("D365_FLAVOR", "dataverse")];
        assert!(ClientBuilder::from_lookup(env(wrong)).is_err());
    }
}
