//! `tributary-sandbox`: Tributary's emulators as a standalone server, for clients that are
//! not Rust (jsforce, simple-salesforce, benchmarks in other processes).
//!
//! ```text
//! tributary-sandbox [--salesforce] [--paytrace] [--dynamics] [--seed-accounts N]
//! ```
//!
//! With no system flag all three emulators start. Each selected emulator is served on its
//! own `127.0.0.1:<random port>`, and one JSON line per system is printed to stdout:
//!
//! ```text
//! {"system":"salesforce","base_url":"http://127.0.0.1:41234","access_token":"00D…!…","api_version":"67.0",…}
//! {"system":"paytrace","base_url":"http://127.0.0.1:41235","username":"…","password":"…","integrator_id":"…",…}
//! {"system":"dynamics","base_url":"http://127.0.0.1:41236","tenant_id":"…","client_id":"…","client_secret":"…",…}
//! READY
//! ```
//!
//! * Salesforce: `base_url` is both login and instance URL; `access_token` is a bearer for
//!   the default user, ready to use. The line also carries the default user's `username`,
//!   `password` + `security_token` and the connected app's `client_id` / `client_secret`
//!   for clients that want to log in themselves (`token_url`).
//! * PayTrace: the password grant at `token_url` with `username` / `password`;
//!   `integrator_id` goes in every `/v1` body.
//! * Dynamics 365: client credentials at `token_url` (`tenant_id`, `client_id`,
//!   `client_secret`, `scope`); F&O data under `fno_data_url`, Business Central under
//!   `bc_api_url` with company `bc_company_id`.
//!
//! `--seed-accounts N` adds N Account records (Name, AccountNumber, Type, Industry, Phone,
//! Website, Billing address, AnnualRevenue, NumberOfEmployees) to the Salesforce org before
//! `READY`; the same N always gives the same records.
//!
//! The credentials are the emulators' public test defaults, not secrets. Tokens are
//! long-lived for benchmark runs: Salesforce sessions have no idle timeout here (Salesforce's
//! default is 2 hours of inactivity), PayTrace and Entra ID tokens live 24 hours, and the
//! Salesforce daily API allocation is raised to 100 million requests so a long run is never
//! refused with `REQUEST_LIMIT_EXCEEDED`. Everything else (paging, limits, errors) is the
//! emulators' default behaviour.
//!
//! The server runs until stdin reaches end of file, or SIGTERM / SIGINT arrives; then every
//! server is shut down and the process exits 0. Exit status 2 is a usage error, 1 a
//! startup failure (both explained on stderr).

use std::io::{self, Read, Write};
use std::process::ExitCode;
use std::time::Duration;

use sandbox::dynamics::{
    DEFAULT_BC_COMPANY_ID, DEFAULT_TENANT_ID, DynamicsConfig, DynamicsSandbox,
};
use sandbox::paytrace::{
    DEFAULT_INTEGRATOR_ID, DEFAULT_PASSWORD as PT_PASSWORD, DEFAULT_USERNAME as PT_USERNAME,
    PayTraceConfig, PayTraceSandbox,
};
use sandbox::salesforce::{
    DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_PASSWORD, DEFAULT_SECURITY_TOKEN,
    DEFAULT_USERNAME, SalesforceConfig, SalesforceSandbox, SessionPolicy,
};
use serde_json::{Value, json};

/// Lifetime of PayTrace and Entra ID tokens in this server.
const TOKEN_LIFETIME: Duration = Duration::from_secs(24 * 60 * 60);

/// The Salesforce daily API allocation in this server.
const DAILY_API_LIMIT: u64 = 100_000_000;

const USAGE: &str =
    "usage: tributary-sandbox [--salesforce] [--paytrace] [--dynamics] [--seed-accounts N]";

/// What the command line asked for.
#[derive(Debug, Default)]
struct Options {
    salesforce: bool,
    paytrace: bool,
    dynamics: bool,
    seed_accounts: usize,
}

/// Why the command line was refused.
#[derive(Debug)]
enum UsageError {
    Help,
    Unknown(String),
    MissingValue,
    BadNumber(String),
}

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Help => f.write_str(USAGE),
            Self::Unknown(a) => write!(f, "unknown argument `{a}`\n{USAGE}"),
            Self::MissingValue => write!(f, "--seed-accounts needs a number\n{USAGE}"),
            Self::BadNumber(v) => write!(f, "--seed-accounts: `{v}` is not a count\n{USAGE}"),
        }
    }
}

fn parse_args(args: impl IntoIterator<Item = String>) -> Result<Options, UsageError> {
    let mut o = Options::default();
    let mut args = args.into_iter();
    while let Some(a) = args.next() {
        match a.as_str() {
            "--salesforce" => o.salesforce = true,
            "--paytrace" => o.paytrace = true,
            "--dynamics" => o.dynamics = true,
            "-h" | "--help" => return Err(UsageError::Help),
            "--seed-accounts" => {
                let v = args.next().ok_or(UsageError::MissingValue)?;
                o.seed_accounts = v.parse().map_err(|_| UsageError::BadNumber(v))?;
            }
            other => match other.strip_prefix("--seed-accounts=") {
                Some(v) => {
                    o.seed_accounts = v.parse().map_err(|_| UsageError::BadNumber(v.into()))?;
                }
                None => return Err(UsageError::Unknown(other.into())),
            },
        }
    }
    if !(o.salesforce || o.paytrace || o.dynamics) {
        o.salesforce = true;
        o.paytrace = true;
        o.dynamics = true;
    }
    Ok(o)
}

/// A startup failure.
#[derive(Debug)]
enum StartError {
    Io(&'static str, io::Error),
    Seed(sandbox::salesforce::WriteError),
}

impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Io(what, e) => write!(f, "{what}: {e}"),
            Self::Seed(e) => write!(f, "seeding accounts: {e}"),
        }
    }
}

const INDUSTRIES: &[&str] = &[
    "Technology",
    "Manufacturing",
    "Retail",
    "Healthcare",
    "Finance",
    "Energy",
    "Education",
    "Hospitality",
    "Transportation",
    "Construction",
];
const CITIES: &[(&str, &str, &str)] = &[
    ("Seattle", "WA", "98101"),
    ("Portland", "OR", "97201"),
    ("San Francisco", "CA", "94105"),
    ("Austin", "TX", "78701"),
    ("Chicago", "IL", "60601"),
    ("Denver", "CO", "80202"),
    ("Boston", "MA", "02108"),
    ("Atlanta", "GA", "30303"),
    ("New York", "NY", "10001"),
    ("Phoenix", "AZ", "85004"),
    ("Minneapolis", "MN", "55401"),
];
const WORDS: &[&str] = &[
    "Summit",
    "Harbor",
    "Cedar",
    "Granite",
    "Beacon",
    "Meridian",
    "Pioneer",
    "Riverside",
    "Northwind",
    "Bluebird",
    "Ironwood",
    "Silverline",
    "Evergreen",
];
const SUFFIXES: &[&str] = &["Inc.", "LLC", "Corp.", "Group", "Partners", "Co."];
const TYPES: &[&str] = &[
    "Customer - Direct",
    "Customer - Channel",
    "Prospect",
    "Partner",
];

/// The `i`-th seeded Account: deterministic, varied, every field realistic.
fn account(i: usize) -> Value {
    let pick = |list: &[&'static str], k: usize| list[k % list.len()];
    let (city, state, zip) = CITIES[(i * 7) % CITIES.len()];
    let word = pick(WORDS, i);
    let name = format!(
        "{word} {} {} {:05}",
        pick(INDUSTRIES, i / 3),
        pick(SUFFIXES, i / 5),
        i + 1
    );
    let revenue = 250_000u64 + ((i as u64 * 7_919) % 4_000) * 12_500;
    json!({
        "Name": name,
        "AccountNumber": format!("ACC-{:06}", i + 1),
        "Type": pick(TYPES, i),
        "Industry": pick(INDUSTRIES, i),
        "Phone": format!("(555) {:03}-{:04}", 100 + i % 900, i % 10_000),
        "Website": format!("https://www.{}{}.example.com", word.to_lowercase(), i + 1),
        "BillingStreet": format!("{} {} Ave", 100 + (i * 13) % 9_000, pick(WORDS, i / 2)),
        "BillingCity": city,
        "BillingState": state,
        "BillingPostalCode": zip,
        "BillingCountry": "United States",
        "AnnualRevenue": revenue,
        "NumberOfEmployees": 5 + (i * 37) % 5_000,
    })
}

/// The running servers (kept alive until shutdown).
#[derive(Default)]
struct Servers {
    salesforce: Option<SalesforceSandbox>,
    paytrace: Option<PayTraceSandbox>,
    dynamics: Option<DynamicsSandbox>,
}

impl Servers {
    async fn shutdown(self) {
        if let Some(s) = self.salesforce {
            s.shutdown().await;
        }
        if let Some(s) = self.paytrace {
            s.shutdown().await;
        }
        if let Some(s) = self.dynamics {
            s.shutdown().await;
        }
    }
}

async fn start(o: &Options) -> Result<(Servers, Vec<Value>), StartError> {
    let mut servers = Servers::default();
    let mut lines = Vec::new();
    if o.salesforce {
        let config = SalesforceConfig::default()
            .session(SessionPolicy::default().idle_timeout(None))
            .daily_api_limit(DAILY_API_LIMIT);
        let sf = SalesforceSandbox::start_with(config)
            .await
            .map_err(|e| StartError::Io("starting the Salesforce emulator", e))?;
        sf.emulator()
            .seed_many("Account", (0..o.seed_accounts).map(account))
            .map_err(StartError::Seed)?;
        let version = format!("{}.0", sf.emulator().config().max_api_version);
        lines.push(json!({
            "system": "salesforce",
            "base_url": sf.base_url(),
            "access_token": sf.token(),
            "api_version": version,
            "instance_url": sf.base_url(),
            "token_url": sf.token_url(),
            "username": DEFAULT_USERNAME,
            "password": DEFAULT_PASSWORD,
            "security_token": DEFAULT_SECURITY_TOKEN,
            "client_id": DEFAULT_CLIENT_ID,
            "client_secret": DEFAULT_CLIENT_SECRET,
            "seeded_accounts": o.seed_accounts,
        }));
        servers.salesforce = Some(sf);
    }
    if o.paytrace {
        let pt = PayTraceSandbox::start_with(PayTraceConfig::new().token_lifetime(TOKEN_LIFETIME))
            .await
            .map_err(|e| StartError::Io("starting the PayTrace emulator", e))?;
        lines.push(json!({
            "system": "paytrace",
            "base_url": pt.base_url(),
            "token_url": format!("{}/oauth/token", pt.base_url()),
            "username": PT_USERNAME,
            "password": PT_PASSWORD,
            "integrator_id": DEFAULT_INTEGRATOR_ID,
        }));
        servers.paytrace = Some(pt);
    }
    if o.dynamics {
        let d =
            DynamicsSandbox::start_with(DynamicsConfig::default().token_lifetime(TOKEN_LIFETIME))
                .await
                .map_err(|e| StartError::Io("starting the Dynamics 365 emulator", e))?;
        lines.push(json!({
            "system": "dynamics",
            "base_url": d.base_url(),
            "token_url": d.token_url(DEFAULT_TENANT_ID),
            "tenant_id": DEFAULT_TENANT_ID,
            "client_id": sandbox::dynamics::DEFAULT_CLIENT_ID,
            "client_secret": sandbox::dynamics::DEFAULT_CLIENT_SECRET,
            "scope": format!("{}/.default", d.fno_url()),
            "fno_url": d.fno_url(),
            "fno_data_url": d.fno_data_url(),
            "bc_api_url": d.bc_api_url(DEFAULT_TENANT_ID),
            "bc_company_id": DEFAULT_BC_COMPANY_ID,
        }));
        servers.dynamics = Some(d);
    }
    Ok((servers, lines))
}

/// Resolves when stdin reaches end of file (or cannot be read).
///
/// The blocking read runs on its own detached thread, not tokio's blocking pool: a read
/// still pending when a signal ends the run must not keep the runtime from shutting down.
async fn stdin_closed() {
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let spawned = std::thread::Builder::new()
        .name("stdin-watch".into())
        .spawn(move || {
            let mut stdin = io::stdin().lock();
            let mut buf = [0u8; 1024];
            while matches!(stdin.read(&mut buf), Ok(n) if n > 0) {}
            let _ = tx.send(());
        });
    match spawned {
        // A dropped sender (thread gone) also means: stop.
        Ok(_) => {
            let _ = rx.await;
        }
        Err(_) => std::future::pending::<()>().await,
    }
}

/// Resolves on SIGTERM or SIGINT (Ctrl-C elsewhere).
async fn terminated() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
        ) {
            (Ok(mut term), Ok(mut int)) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = int.recv() => {}
                }
            }
            _ => std::future::pending::<()>().await,
        }
    }
    #[cfg(not(unix))]
    {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

fn announce(lines: &[Value]) -> io::Result<()> {
    let mut out = io::stdout().lock();
    for line in lines {
        writeln!(out, "{line}")?;
    }
    writeln!(out, "READY")?;
    out.flush()
}

#[tokio::main]
async fn main() -> ExitCode {
    let opts = match parse_args(std::env::args().skip(1)) {
        Ok(o) => o,
        Err(UsageError::Help) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("tributary-sandbox: {e}");
            return ExitCode::from(2);
        }
    };
    let (servers, lines) = match start(&opts).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("tributary-sandbox: {e}");
            return ExitCode::from(1);
        }
    };
    if let Err(e) = announce(&lines) {
        eprintln!("tributary-sandbox: writing to stdout: {e}");
        servers.shutdown().await;
        return ExitCode::from(1);
    }
    tokio::select! {
        () = stdin_closed() => {}
        () = terminated() => {}
    }
    servers.shutdown().await;
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Result<Options, UsageError> {
        parse_args(a.iter().map(|s| (*s).to_owned()))
    }

    #[test]
    fn no_system_flag_means_all_three() {
        let o = args(&[]).unwrap_or_default();
        assert!(o.salesforce && o.paytrace && o.dynamics);
        let o = args(&["--salesforce", "--seed-accounts", "12"]).unwrap_or_default();
        assert!(o.salesforce && !o.paytrace && !o.dynamics);
        assert_eq!(o.seed_accounts, 12);
        assert!(matches!(args(&["--nope"]), Err(UsageError::Unknown(_))));
        assert!(matches!(
            args(&["--seed-accounts", "x"]),
            Err(UsageError::BadNumber(_))
        ));
    }

    #[test]
    fn seeded_accounts_are_distinct() {
        let names: std::collections::HashSet<String> = (0..3000)
            .map(|i| account(i)["Name"].as_str().unwrap_or_default().to_owned())
            .collect();
        assert_eq!(names.len(), 3000);
    }
}
