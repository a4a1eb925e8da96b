//! Configuration of the Salesforce emulator: the org, its users, its connected apps (OAuth
//! clients), session policy, API versions, limits and object metadata.

use std::fmt;
use std::time::Duration;

use super::bulk::BulkConfig;
use super::cometd::StreamingConfig;
use super::schema::{ObjectMeta, standard_objects};
use crate::clock::SandboxClock;

/// Consumer key of the default connected app.
pub const DEFAULT_CLIENT_ID: &str =
    "3MVG9Tributary.Sandbox.Salesforce.Connected.App.Consumer.Key.0000000000000000";
/// Consumer secret of the default connected app.
pub const DEFAULT_CLIENT_SECRET: &str =
    "TRIBUTARYSANDBOXSECRET0000000000000000000000000000000000000000";
/// Username of the default user (also the client-credentials "run as" user).
pub const DEFAULT_USERNAME: &str = "integration@tributary.sandbox";
/// Password of the default user.
pub const DEFAULT_PASSWORD: &str = "sandbox-password-1";
/// Security token of the default user (appended to the password in the password grant).
pub const DEFAULT_SECURITY_TOKEN: &str = "SANDBOXSECURITYTOKEN";
/// The org id of the default configuration.
pub const DEFAULT_ORG_ID: &str = "00D5g000004Sbx1EAC";
/// The newest API version the emulator serves by default.
pub const DEFAULT_API_VERSION: &str = "67.0";
/// The production login host, accepted as JWT audience.
pub const LOGIN_AUDIENCE: &str = "https://login.salesforce.com";
/// The sandbox login host, accepted as JWT audience.
pub const TEST_AUDIENCE: &str = "https://test.salesforce.com";

/// An RSA private key (PKCS#1 PEM) for signing JWT bearer assertions in tests and examples.
/// **Test material only**: it is public, so it must never protect anything real.
pub const TEST_PRIVATE_KEY_PEM: &str = include_str!("keys/test_private_key.pem");
/// The self-signed X.509 certificate of [`TEST_PRIVATE_KEY_PEM`], as it would be uploaded to
/// a connected app. The default app trusts it.
pub const TEST_CERTIFICATE_PEM: &str = include_str!("keys/test_certificate.pem");

/// A user of the emulated org.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SalesforceUser {
    /// Username (an email-like login name).
    pub username: String,
    /// Password.
    pub password: String,
    /// Security token, appended to the password in the password grant.
    pub security_token: String,
    /// First name.
    pub first_name: String,
    /// Last name.
    pub last_name: String,
    /// Email.
    pub email: String,
    /// An inactive user gets `inactive_user` from the token endpoint.
    pub active: bool,
}

impl SalesforceUser {
    /// An active user.
    #[must_use]
    pub fn new(username: impl Into<String>, password: impl Into<String>) -> Self {
        let username = username.into();
        Self {
            email: username.clone(),
            username,
            password: password.into(),
            security_token: String::new(),
            first_name: "Sandbox".into(),
            last_name: "User".into(),
            active: true,
        }
    }

    /// With a security token.
    #[must_use]
    pub fn security_token(mut self, token: impl Into<String>) -> Self {
        self.security_token = token.into();
        self
    }

    /// Deactivate.
    #[must_use]
    pub fn inactive(mut self) -> Self {
        self.active = false;
        self
    }
}

impl fmt::Debug for SalesforceUser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SalesforceUser")
            .field("username", &self.username)
            .field("password", &"***")
            .field("security_token", &"***")
            .field("active", &self.active)
            .finish_non_exhaustive()
    }
}

/// A connected app / external client app: an OAuth client.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ConnectedApp {
    /// Consumer key (`client_id`, JWT `iss`).
    pub client_id: String,
    /// Consumer secret; also keys the token response `signature`.
    pub client_secret: String,
    /// PEM certificate or public key that verifies JWT bearer assertions; `None` disables
    /// the JWT grant for this app.
    pub jwt_certificate_pem: Option<String>,
    /// The "run as" user of the client-credentials grant; `None` disables that grant.
    pub client_credentials_user: Option<String>,
    /// Issue a new refresh token on every refresh and invalidate the old one.
    pub rotate_refresh_tokens: bool,
    /// Whether the refresh grant needs `client_secret`.
    pub require_secret_for_refresh: bool,
    /// Whether the (deprecated) username-password grant is allowed.
    pub allow_password_grant: bool,
    /// Users pre-authorized for the JWT grant; `None` = every user of the org.
    pub preauthorized_users: Option<Vec<String>>,
    /// Granted scopes, space-separated.
    pub scope: String,
}

impl ConnectedApp {
    /// An app with every grant enabled, trusting [`TEST_CERTIFICATE_PEM`] and running
    /// client credentials as [`DEFAULT_USERNAME`].
    #[must_use]
    pub fn new(client_id: impl Into<String>, client_secret: impl Into<String>) -> Self {
        Self {
            client_id: client_id.into(),
            client_secret: client_secret.into(),
            jwt_certificate_pem: Some(TEST_CERTIFICATE_PEM.to_owned()),
            client_credentials_user: Some(DEFAULT_USERNAME.to_owned()),
            rotate_refresh_tokens: false,
            require_secret_for_refresh: true,
            allow_password_grant: true,
            preauthorized_users: None,
            scope: "api refresh_token".into(),
        }
    }

    /// Trust this PEM certificate or public key for JWT assertions.
    #[must_use]
    pub fn jwt_certificate(mut self, pem: impl Into<String>) -> Self {
        self.jwt_certificate_pem = Some(pem.into());
        self
    }

    /// Rotate refresh tokens.
    #[must_use]
    pub fn rotate_refresh_tokens(mut self, on: bool) -> Self {
        self.rotate_refresh_tokens = on;
        self
    }
}

impl fmt::Debug for ConnectedApp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnectedApp")
            .field("client_id", &self.client_id)
            .field("client_secret", &"***")
            .field("jwt", &self.jwt_certificate_pem.is_some())
            .field("client_credentials_user", &self.client_credentials_user)
            .field("rotate_refresh_tokens", &self.rotate_refresh_tokens)
            .finish_non_exhaustive()
    }
}

/// When an access token stops working (`401 INVALID_SESSION_ID`). Salesforce never says:
/// the token response has no `expires_in`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct SessionPolicy {
    /// Inactivity timeout; each call resets it (Salesforce's default: 2 hours).
    pub idle_timeout: Option<Duration>,
    /// Absolute lifetime from issue.
    pub max_age: Option<Duration>,
    /// Number of REST calls a token may make; the next one gets 401.
    pub max_calls: Option<u64>,
}

impl Default for SessionPolicy {
    fn default() -> Self {
        Self {
            idle_timeout: Some(Duration::from_secs(2 * 60 * 60)),
            max_age: None,
            max_calls: None,
        }
    }
}

impl SessionPolicy {
    /// Expire tokens after `n` REST calls each.
    #[must_use]
    pub fn max_calls(mut self, n: u64) -> Self {
        self.max_calls = Some(n);
        self
    }

    /// Expire tokens `age` after they were issued.
    #[must_use]
    pub fn max_age(mut self, age: Duration) -> Self {
        self.max_age = Some(age);
        self
    }

    /// Expire tokens after `idle` without calls (`None`: never).
    #[must_use]
    pub fn idle_timeout(mut self, idle: Option<Duration>) -> Self {
        self.idle_timeout = idle;
        self
    }
}

/// Configuration of a [`SalesforceEmulator`](super::SalesforceEmulator).
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct SalesforceConfig {
    /// 18-character org id (`00D…`).
    pub org_id: String,
    /// Users; the first one owns records and is the default actor of in-process writes.
    pub users: Vec<SalesforceUser>,
    /// OAuth clients.
    pub apps: Vec<ConnectedApp>,
    /// Oldest API version served (`vNN.0`).
    pub min_api_version: u32,
    /// Newest API version served.
    pub max_api_version: u32,
    /// From this version on, an upsert that updates answers 200 with a body; before it, 204
    /// (the cut-over version is UNCONFIRMED in the reference; 46 is the believed one).
    pub upsert_update_body_since: u32,
    /// Accepted JWT `aud` values.
    pub jwt_audiences: Vec<String>,
    /// Also accept the emulator's own base URL (its login URL) as JWT audience.
    pub accept_own_url_as_audience: bool,
    /// How far ahead of now a JWT's `exp` may be (reference: "within 3 minutes").
    pub jwt_max_lifetime: Duration,
    /// Clock skew allowed when checking JWT `exp`.
    pub jwt_leeway: Duration,
    /// Whether the login host is a My Domain host (client credentials are refused on
    /// `login`/`test` hosts).
    pub my_domain: bool,
    /// `instance_url` in token responses; `None` = the emulator's own base URL.
    pub instance_url: Option<String>,
    /// Session expiry.
    pub session: SessionPolicy,
    /// Rolling 24-hour API request allocation (`DailyApiRequests`).
    pub daily_api_limit: u64,
    /// Object metadata; [`standard_objects`] by default.
    pub objects: Vec<ObjectMeta>,
    /// Create undeclared custom objects (`X__c`) and platform events (`X__e`) on first use.
    pub auto_create_objects: bool,
    /// How long events stay on the bus (72 hours for platform events and CDC).
    pub event_retention: Duration,
    /// How long a query locator (`nextRecordsUrl`) stays valid (2 days since v56.0).
    pub query_locator_ttl: Duration,
    /// The emulator's "now".
    pub clock: SandboxClock,
    /// Bulk API 2.0 jobs: processing pace, upload limit, result paging.
    pub bulk: BulkConfig,
    /// The Streaming API (CometD) endpoint: long-poll timeout, client expiry, cookies.
    pub streaming: StreamingConfig,
}

impl Default for SalesforceConfig {
    fn default() -> Self {
        Self {
            org_id: DEFAULT_ORG_ID.into(),
            users: vec![
                SalesforceUser::new(DEFAULT_USERNAME, DEFAULT_PASSWORD)
                    .security_token(DEFAULT_SECURITY_TOKEN),
            ],
            apps: vec![ConnectedApp::new(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET)],
            min_api_version: 31,
            max_api_version: 67,
            upsert_update_body_since: 46,
            jwt_audiences: vec![LOGIN_AUDIENCE.into(), TEST_AUDIENCE.into()],
            accept_own_url_as_audience: true,
            jwt_max_lifetime: Duration::from_secs(180),
            jwt_leeway: Duration::ZERO,
            my_domain: true,
            instance_url: None,
            session: SessionPolicy::default(),
            daily_api_limit: 100_000,
            objects: standard_objects(),
            auto_create_objects: true,
            event_retention: Duration::from_secs(72 * 60 * 60),
            query_locator_ttl: Duration::from_secs(2 * 24 * 60 * 60),
            clock: SandboxClock::system(),
            bulk: BulkConfig::default(),
            streaming: StreamingConfig::default(),
        }
    }
}

impl SalesforceConfig {
    /// Use this clock.
    #[must_use]
    pub fn clock(mut self, clock: SandboxClock) -> Self {
        self.clock = clock;
        self
    }

    /// Bulk API 2.0 settings.
    #[must_use]
    pub fn bulk(mut self, bulk: BulkConfig) -> Self {
        self.bulk = bulk;
        self
    }

    /// Streaming API (CometD) settings.
    #[must_use]
    pub fn streaming(mut self, streaming: StreamingConfig) -> Self {
        self.streaming = streaming;
        self
    }

    /// Session expiry policy.
    #[must_use]
    pub fn session(mut self, policy: SessionPolicy) -> Self {
        self.session = policy;
        self
    }

    /// Daily API request allocation.
    #[must_use]
    pub fn daily_api_limit(mut self, n: u64) -> Self {
        self.daily_api_limit = n;
        self
    }

    /// Add or replace an object's metadata.
    #[must_use]
    pub fn object(mut self, meta: ObjectMeta) -> Self {
        self.objects
            .retain(|o| !o.name.eq_ignore_ascii_case(&meta.name));
        self.objects.push(meta);
        self
    }

    /// Turn Change Data Capture on for `object` (declaring it if needed).
    #[must_use]
    pub fn cdc(mut self, object: &str) -> Self {
        match self
            .objects
            .iter_mut()
            .find(|o| o.name.eq_ignore_ascii_case(object))
        {
            Some(o) => o.cdc = true,
            None => self.objects.push(ObjectMeta::new(object).cdc()),
        }
        self
    }

    /// Add a user.
    #[must_use]
    pub fn user(mut self, user: SalesforceUser) -> Self {
        self.users.push(user);
        self
    }

    /// Add or replace (by client id) a connected app.
    #[must_use]
    pub fn app(mut self, app: ConnectedApp) -> Self {
        self.apps.retain(|a| a.client_id != app.client_id);
        self.apps.push(app);
        self
    }

    /// Accept this JWT audience too.
    #[must_use]
    pub fn jwt_audience(mut self, aud: impl Into<String>) -> Self {
        self.jwt_audiences.push(aud.into());
        self
    }

    /// Serve API versions `min..=max`.
    #[must_use]
    pub fn api_versions(mut self, min: u32, max: u32) -> Self {
        self.min_api_version = min.min(max);
        self.max_api_version = min.max(max);
        self
    }
}
