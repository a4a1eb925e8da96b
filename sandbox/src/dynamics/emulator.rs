//! [`DynamicsEmulator`] (state, router, seeding and inspection) and [`DynamicsSandbox`] (the
//! emulator served on `127.0.0.1:0` with the shared fault layer).

use std::collections::BTreeMap;
use std::fmt;
use std::io;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::{HeaderMap, Method, Response, StatusCode};
use chrono::TimeDelta;
use serde_json::{Map, Value, json};

use super::auth::Version;
use super::bc;
use super::config::{
    DEFAULT_BC_COMPANY_ID, DEFAULT_BC_COMPANY_NAME, DEFAULT_BC_ENVIRONMENT, DynamicsConfig,
};
use super::engine::{self, Ctx, Flavor, Scope};
use super::error::ApiError;
use super::fno;
use super::http::{Req, Resp};
use super::odata::value::{format_instant, new_guid, str_of};
use super::schema::SetDef;
use super::state::{Api, RecordedRequest, State, Target};
use super::throttle::{Lane, Throttle};
use crate::clock::SandboxClock;
use crate::fault::{FaultController, FaultPlan};
use crate::server::{ServerBuilder, ServerHandle};

/// Why an in-process seeding call was refused.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum SeedError {
    /// No entity set of that name in the flavour.
    UnknownEntitySet(String),
    /// No company with that id.
    UnknownCompany(String),
    /// The row failed the flavour's rules; `body` is the error body HTTP would have answered.
    Rejected {
        /// HTTP status the API would have answered.
        status: u16,
        /// The error body.
        body: Value,
    },
}

impl fmt::Display for SeedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnknownEntitySet(s) => write!(f, "unknown entity set {s:?}"),
            Self::UnknownCompany(c) => write!(f, "unknown company {c:?}"),
            Self::Rejected { status, body } => write!(f, "rejected with HTTP {status}: {body}"),
        }
    }
}

impl std::error::Error for SeedError {}

struct Shared {
    state: Mutex<State>,
    throttle: Throttle,
}

/// The Dynamics 365 emulator (F&O and BC flavours, Entra ID token endpoint): state, router and
/// in-process seeding/inspection. Cheap to clone (shared).
///
/// Serve it with [`DynamicsSandbox::start`], or mount [`DynamicsEmulator::router`] on any
/// server (e.g. [`crate::server::ServerBuilder`]).
#[derive(Clone)]
pub struct DynamicsEmulator {
    shared: Arc<Shared>,
}

impl fmt::Debug for DynamicsEmulator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DynamicsEmulator").finish_non_exhaustive()
    }
}

impl Default for DynamicsEmulator {
    fn default() -> Self {
        Self::new(DynamicsConfig::default())
    }
}

fn empty_req() -> Req {
    Req {
        method: Method::GET,
        path: String::new(),
        query: String::new(),
        headers: HeaderMap::new(),
        body: Bytes::new(),
    }
}

fn token_route(path: &str) -> Option<(String, Version)> {
    let parts: Vec<&str> = path.split('/').collect();
    match parts.as_slice() {
        ["", tenant, "oauth2", "v2.0", "token"] if !tenant.is_empty() => {
            Some(((*tenant).to_owned(), Version::V2))
        }
        ["", tenant, "oauth2", "token"] if !tenant.is_empty() => {
            Some(((*tenant).to_owned(), Version::V1))
        }
        _ => None,
    }
}

fn data_route(path: &str) -> Option<(Lane, Target)> {
    if path == "/data" || path.starts_with("/data/") {
        return Some((Lane::Fno, Target::Fno));
    }
    if path.starts_with("/api/services/") {
        return Some((Lane::Fno, Target::FnoService));
    }
    let parts: Vec<&str> = path.split('/').collect();
    let (root, environment) = match parts.as_slice() {
        ["", "v2.0", env, "api", "v2.0", ..] => (format!("/v2.0/{env}/api/v2.0/"), *env),
        ["", "v2.0", tenant, env, "api", "v2.0", ..] => {
            (format!("/v2.0/{tenant}/{env}/api/v2.0/"), *env)
        }
        ["", "v2.0", ..] => ("/v2.0/".to_owned(), ""),
        _ => return None,
    };
    Some((
        Lane::Bc,
        Target::Bc {
            root,
            environment: environment.to_owned(),
        },
    ))
}

impl DynamicsEmulator {
    /// A fresh emulator: the configured F&O companies, and one BC company
    /// ([`DEFAULT_BC_COMPANY_NAME`], id [`DEFAULT_BC_COMPANY_ID`]).
    #[must_use]
    pub fn new(config: DynamicsConfig) -> Self {
        let emu = Self {
            shared: Arc::new(Shared {
                state: Mutex::new(State::new(config)),
                throttle: Throttle::default(),
            }),
        };
        emu.insert_bc_company(DEFAULT_BC_COMPANY_ID, DEFAULT_BC_COMPANY_NAME);
        emu
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.shared
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The axum router serving every endpoint of this emulator.
    pub fn router(&self) -> Router {
        let emu = self.clone();
        Router::new().fallback(move |req: Request| {
            let emu = emu.clone();
            async move { emu.handle(req).await }
        })
    }

    async fn handle(&self, req: Request) -> Response<Body> {
        let (parts, body) = req.into_parts();
        let max = self.lock().config.max_body_bytes;
        let Ok(bytes) = axum::body::to_bytes(body, max).await else {
            return Resp::plain(
                StatusCode::PAYLOAD_TOO_LARGE,
                json!({"Message": "The request body is too large."}),
            )
            .into_http();
        };
        let req = Req {
            method: parts.method,
            path: parts.uri.path().to_owned(),
            query: parts.uri.query().unwrap_or("").to_owned(),
            headers: parts.headers,
            body: bytes,
        };
        let origin = format!("http://{}", req.header("host").unwrap_or("127.0.0.1"));
        let (api, client, resp) = if let Some((tenant, version)) = token_route(&req.path) {
            (Api::Token, None, self.token(&req, &tenant, version))
        } else if let Some((lane, target)) = data_route(&req.path) {
            let api = if lane == Lane::Fno { Api::Fno } else { Api::Bc };
            let (client, resp) = self.data(lane, &target, &req, &origin).await;
            (api, client, resp)
        } else {
            let resp = fno::errors::render(
                &ApiError::NoRoute,
                &format!("{origin}{}", req.path_and_query()),
                400,
            );
            (Api::Other, None, resp)
        };
        let headers = req
            .headers
            .iter()
            .filter(|(k, _)| *k != axum::http::header::AUTHORIZATION)
            .filter_map(|(k, v)| Some((k.as_str().to_owned(), v.to_str().ok()?.to_owned())))
            .collect();
        self.lock().record(RecordedRequest {
            api,
            method: req.method.as_str().to_owned(),
            path: req.path.clone(),
            query: req.query.clone(),
            status: resp.status.as_u16(),
            client_id: client,
            headers,
        });
        resp.into_http()
    }

    fn token(&self, req: &Req, tenant: &str, version: Version) -> Resp {
        let mut s = self.lock();
        let now = s.clock().now();
        if req.method != Method::POST {
            return Resp::plain(
                StatusCode::BAD_REQUEST,
                json!({"error": "invalid_request",
                       "error_description": format!("AADSTS900561: The endpoint only accepts POST, OPTIONS requests. Received a {} request.", req.method),
                       "error_codes": [900_561]}),
            );
        }
        let State { config, auth, .. } = &mut *s;
        auth.token(config, now, tenant, version, &req.headers, &req.body)
    }

    async fn data(
        &self,
        lane: Lane,
        target: &Target,
        req: &Req,
        origin: &str,
    ) -> (Option<String>, Resp) {
        let (token, throttle, delay, now, send_retry_after, default_company) = {
            let s = self.lock();
            let now = s.clock().now();
            let token = if s.config.require_auth {
                match s.auth.check(&req.headers, now) {
                    Ok(t) => Some(t),
                    Err(description) => {
                        let e = ApiError::Unauthorized { description };
                        return (None, s.render(lane, origin, req, &e));
                    }
                }
            } else {
                None
            };
            let throttle = match lane {
                Lane::Fno => s.config.fno.throttle.clone(),
                Lane::Bc => s.config.bc.throttle.clone(),
            };
            let default_company = token
                .as_ref()
                .and_then(|t| t.fno_default_company.clone())
                .unwrap_or_else(|| s.config.fno.default_company.clone());
            let send = throttle.send_retry_after;
            (
                token,
                throttle,
                s.config.processing_delay,
                now,
                send,
                default_company,
            )
        };
        let client = token.as_ref().map(|t| t.client_id.clone());
        let client_key = client.clone().unwrap_or_else(|| "anonymous".into());
        let admission = match self
            .shared
            .throttle
            .admit(lane, &client_key, &throttle, now)
            .await
        {
            Ok(a) => a,
            Err(refusal) => {
                let mut s = self.lock();
                s.throttled += 1;
                let e = ApiError::Throttled {
                    message: refusal.message,
                    retry_after: send_retry_after.then_some(refusal.retry_after),
                };
                return (client, s.render(lane, origin, req, &e));
            }
        };
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        let resp = self
            .lock()
            .serve(lane, target, req, origin, &default_company);
        drop(admission);
        (client, resp)
    }

    // ----- configuration and clock -----

    /// A copy of the configuration.
    #[must_use]
    pub fn config(&self) -> DynamicsConfig {
        self.lock().config.clone()
    }

    /// Change the configuration of the running emulator.
    pub fn update_config(&self, f: impl FnOnce(&mut DynamicsConfig)) {
        f(&mut self.lock().config);
    }

    /// The emulator's clock (shared: moving it moves the emulator's "now").
    #[must_use]
    pub fn clock(&self) -> SandboxClock {
        self.lock().config.clock.clone()
    }

    // ----- tokens -----

    /// Access tokens issued so far (HTTP and [`issue_token`](Self::issue_token)).
    #[must_use]
    pub fn tokens_issued(&self) -> u64 {
        self.lock().auth.issued
    }

    /// Issue a token for the first configured app without HTTP.
    #[must_use]
    pub fn issue_token(&self) -> String {
        let mut s = self.lock();
        let now = s.clock().now();
        let lifetime = TimeDelta::from_std(s.config.token_lifetime).unwrap_or(TimeDelta::hours(1));
        let app = s.config.apps.first().cloned().unwrap_or_default();
        s.auth.issue(
            &app,
            "https://sandbox.operations.dynamics.com",
            now,
            lifetime,
        )
    }

    /// Make every issued token expired now (the next data call gets 401).
    pub fn expire_tokens(&self) {
        let mut s = self.lock();
        let now = s.clock().now();
        s.auth.expire_all(now);
    }

    // ----- inspection -----

    /// Every request seen (token and data endpoints, throttled and unauthorised ones included),
    /// oldest first, up to [`DynamicsConfig::request_log_limit`]. Batch parts are not listed
    /// separately.
    #[must_use]
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.lock().log.iter().cloned().collect()
    }

    /// Number of requests seen.
    #[must_use]
    pub fn request_count(&self) -> u64 {
        self.lock().requests
    }

    /// Number of requests answered 429 by the emulator's own service protection (not the
    /// fault plan's).
    #[must_use]
    pub fn throttled_count(&self) -> u64 {
        self.lock().throttled
    }

    /// Every row of F&O entity set `set` (all companies), as stored.
    #[must_use]
    pub fn fno_rows(&self, set: &str) -> Vec<Value> {
        self.lock().rows(Lane::Fno, set, None)
    }

    /// Every row of BC entity set `set` in `company_id` (`companies` ignores the company), as
    /// stored, with `companyId` added.
    #[must_use]
    pub fn bc_rows(&self, company_id: &str, set: &str) -> Vec<Value> {
        let company = (set != bc::entities::COMPANIES).then_some(company_id);
        self.lock().rows(Lane::Bc, set, company)
    }

    /// F&O legal entities (`dataAreaId`s).
    #[must_use]
    pub fn fno_companies(&self) -> Vec<String> {
        self.lock().config.fno.companies.clone()
    }

    /// BC companies as (id, name).
    #[must_use]
    pub fn bc_companies(&self) -> Vec<(String, String)> {
        self.lock()
            .bc
            .rows(bc::entities::COMPANIES)
            .iter()
            .map(|r| {
                (
                    str_of(r.data.get("id")).to_owned(),
                    str_of(r.data.get("name")).to_owned(),
                )
            })
            .collect()
    }

    // ----- seeding -----

    /// Add an F&O legal entity (`dataAreaId`, stored lowercase).
    pub fn seed_fno_company(&self, data_area_id: &str) {
        let id = data_area_id.to_ascii_lowercase();
        let mut s = self.lock();
        if !s
            .config
            .fno
            .companies
            .iter()
            .any(|c| c.eq_ignore_ascii_case(&id))
        {
            s.config.fno.companies.push(id);
        }
    }

    /// Insert a row into F&O set `set` as a POST would (defaults, number sequences, rules),
    /// read-only sets (`SalesInvoiceHeadersV2`, `GeneralJournalAccountEntries`, …) included.
    /// Returns the stored row.
    ///
    /// # Errors
    ///
    /// [`SeedError::UnknownEntitySet`], or [`SeedError::Rejected`] with the F&O error body.
    pub fn seed_fno_row(&self, set: &str, row: Value) -> Result<Value, SeedError> {
        let def = fno::entities::set(set).ok_or_else(|| SeedError::UnknownEntitySet(set.into()))?;
        let mut s = self.lock();
        let State {
            config,
            fno: tables,
            ..
        } = &mut *s;
        let fl = fno::handlers::Fno { cfg: &config.fno };
        let req = empty_req();
        let cx = Ctx {
            origin: "http://127.0.0.1",
            root: "/data/",
            scope: Scope::Fno {
                company: config.fno.default_company.clone(),
                cross: true,
            },
            now: config.clock.now(),
            req: &req,
        };
        let snapshot = tables.clone();
        match seed_insert(&fl, tables, &cx, def, row) {
            Ok(v) => Ok(v),
            Err(e) => {
                *tables = snapshot;
                let r =
                    fno::errors::render(&e, "http://127.0.0.1/data/", config.fno.validation_status);
                Err(rejected(&r))
            }
        }
    }

    /// Seed an F&O customer (`CustomersV3`) with the required group and currency.
    ///
    /// # Errors
    ///
    /// As [`seed_fno_row`](Self::seed_fno_row).
    pub fn seed_fno_customer(
        &self,
        data_area_id: &str,
        account: &str,
        name: &str,
    ) -> Result<Value, SeedError> {
        self.seed_fno_row(
            fno::entities::CUSTOMERS,
            json!({"dataAreaId": data_area_id, "CustomerAccount": account,
                   "OrganizationName": name, "CustomerGroupId": "10", "SalesCurrencyCode": "USD"}),
        )
    }

    /// Seed a posted F&O sales invoice (`SalesInvoiceHeadersV2`) with its
    /// `SalesInvoiceV2Lines`. Missing `InvoiceDate` defaults to today, `LedgerVoucher` to a
    /// fresh `CIV-` voucher, line keys to the header's; `TotalInvoiceAmount` to the sum of the
    /// lines' `LineAmount` when absent.
    ///
    /// # Errors
    ///
    /// As [`seed_fno_row`](Self::seed_fno_row).
    pub fn seed_fno_invoice(&self, header: Value, lines: Vec<Value>) -> Result<Value, SeedError> {
        let mut header = match header {
            Value::Object(m) => m,
            _ => Map::new(),
        };
        let (today, voucher) = {
            let mut s = self.lock();
            let today = format!(
                "{}T12:00:00Z",
                s.clock().now().date_naive().format("%Y-%m-%d")
            );
            let n = s.fno.next_seq("SeedInvoiceVoucher");
            (today, format!("CIV-{n:06}"))
        };
        if str_of(header.get("InvoiceDate")).is_empty() {
            header.insert("InvoiceDate".into(), json!(today));
        }
        if str_of(header.get("LedgerVoucher")).is_empty() {
            header.insert("LedgerVoucher".into(), json!(voucher));
        }
        if !header.contains_key("TotalInvoiceAmount") {
            let total: rust_decimal::Decimal = lines
                .iter()
                .map(|l| super::odata::value::dec_of(l.get("LineAmount")))
                .sum();
            header.insert(
                "TotalInvoiceAmount".into(),
                super::odata::value::dec_json(total),
            );
        }
        let stored = self.seed_fno_row(fno::entities::INVOICE_HEADERS, Value::Object(header))?;
        for (i, line) in lines.into_iter().enumerate() {
            let mut l = match line {
                Value::Object(m) => m,
                _ => Map::new(),
            };
            for k in [
                "dataAreaId",
                "InvoiceNumber",
                "InvoiceDate",
                "LedgerVoucher",
                "CurrencyCode",
            ] {
                l.entry(k.to_owned())
                    .or_insert_with(|| stored.get(k).cloned().unwrap_or(Value::Null));
            }
            l.entry("LineCreationSequenceNumber".to_owned())
                .or_insert_with(|| json!(i + 1));
            self.seed_fno_row(fno::entities::INVOICE_LINES, Value::Object(l))?;
        }
        Ok(stored)
    }

    fn insert_bc_company(&self, id: &str, name: &str) {
        let mut s = self.lock();
        let now = s.clock().now();
        let Some(def) = bc::entities::set(bc::entities::COMPANIES) else {
            return;
        };
        let mut row = def.defaults(now);
        for (k, v) in [
            ("id", json!(id.to_ascii_lowercase())),
            ("name", json!(name)),
            ("displayName", json!(name)),
            ("systemCreatedAt", json!(format_instant(now))),
            ("systemModifiedAt", json!(format_instant(now))),
        ] {
            row.insert(k.to_owned(), v);
        }
        s.bc.insert(bc::entities::COMPANIES, None, row);
    }

    /// Add a BC company; returns its id.
    pub fn seed_bc_company(&self, name: &str) -> String {
        let id = new_guid();
        self.insert_bc_company(&id, name);
        id
    }

    /// Insert a row into BC set `set` of company `company_id` as a POST would; read-only sets
    /// (`generalLedgerEntries`) included. Returns the stored row.
    ///
    /// # Errors
    ///
    /// [`SeedError::UnknownEntitySet`], [`SeedError::UnknownCompany`], or
    /// [`SeedError::Rejected`] with the BC error body.
    pub fn seed_bc_row(&self, company_id: &str, set: &str, row: Value) -> Result<Value, SeedError> {
        let def = bc::entities::set(set)
            .filter(|d| d.name != bc::entities::COMPANIES)
            .ok_or_else(|| SeedError::UnknownEntitySet(set.into()))?;
        let company = company_id.to_ascii_lowercase();
        let mut s = self.lock();
        let known =
            s.bc.rows(bc::entities::COMPANIES)
                .iter()
                .any(|r| str_of(r.data.get("id")) == company);
        if !known {
            return Err(SeedError::UnknownCompany(company_id.into()));
        }
        let State {
            config, bc: tables, ..
        } = &mut *s;
        let fl = bc::handlers::Bc { cfg: &config.bc };
        let req = empty_req();
        let cx = Ctx {
            origin: "http://127.0.0.1",
            root: "/v2.0/",
            scope: Scope::Bc {
                company: Some(company),
            },
            now: config.clock.now(),
            req: &req,
        };
        let snapshot = tables.clone();
        match seed_insert(&fl, tables, &cx, def, row) {
            Ok(v) => Ok(v),
            Err(e) => {
                *tables = snapshot;
                Err(rejected(&bc::errors::render(&e)))
            }
        }
    }

    /// Seed a BC customer.
    ///
    /// # Errors
    ///
    /// As [`seed_bc_row`](Self::seed_bc_row).
    pub fn seed_bc_customer(
        &self,
        company_id: &str,
        number: &str,
        display_name: &str,
    ) -> Result<Value, SeedError> {
        self.seed_bc_row(
            company_id,
            bc::entities::CUSTOMERS,
            json!({"number": number, "displayName": display_name}),
        )
    }

    /// Seed a posted BC sales invoice for `customer_number`: a draft with one line per
    /// `(description, quantity, unit price)`, posted as `Microsoft.NAV.post` would. Returns the
    /// posted row.
    ///
    /// # Errors
    ///
    /// As [`seed_bc_row`](Self::seed_bc_row); posting errors as [`SeedError::Rejected`].
    pub fn seed_bc_posted_invoice(
        &self,
        company_id: &str,
        customer_number: &str,
        lines: &[(&str, f64, f64)],
    ) -> Result<Value, SeedError> {
        let lines_json: Vec<Value> = lines
            .iter()
            .map(|(d, q, p)| json!({"lineType": "Account", "lineObjectNumber": "6110", "description": d, "quantity": q, "unitPrice": p}))
            .collect();
        let draft = self.seed_bc_row(
            company_id,
            bc::entities::SALES_INVOICES,
            json!({"customerNumber": customer_number, "salesInvoiceLines": lines_json}),
        )?;
        let id = str_of(draft.get("id")).to_owned();
        let company = company_id.to_ascii_lowercase();
        let mut s = self.lock();
        let State {
            config, bc: tables, ..
        } = &mut *s;
        let rec = tables
            .rows(bc::entities::SALES_INVOICES)
            .iter()
            .find(|r| str_of(r.data.get("id")) == id)
            .map(|r| r.rec_id)
            .ok_or_else(|| SeedError::UnknownEntitySet(bc::entities::SALES_INVOICES.into()))?;
        let req = empty_req();
        let cx = Ctx {
            origin: "http://127.0.0.1",
            root: "/v2.0/",
            scope: Scope::Bc {
                company: Some(company),
            },
            now: config.clock.now(),
            req: &req,
        };
        let snapshot = tables.clone();
        match bc::actions::bound(
            tables,
            &cx,
            &config.bc,
            bc::entities::SALES_INVOICES,
            rec,
            "Microsoft.NAV.post",
        ) {
            Some(Ok(_)) => {}
            Some(Err(e)) => {
                *tables = snapshot;
                return Err(rejected(&bc::errors::render(&e)));
            }
            None => {
                return Err(SeedError::UnknownEntitySet(
                    bc::entities::SALES_INVOICES.into(),
                ));
            }
        }
        Ok(tables
            .row(bc::entities::SALES_INVOICES, rec)
            .map(|r| Value::Object(r.data.clone()))
            .unwrap_or(Value::Null))
    }
}

fn seed_insert(
    fl: &dyn Flavor,
    t: &mut crate::dynamics::store::Tables,
    cx: &Ctx<'_>,
    def: &'static SetDef,
    row: Value,
) -> Result<Value, ApiError> {
    let Value::Object(m) = row else {
        return Err(ApiError::BadBody(
            "A seeded row must be a JSON object.".into(),
        ));
    };
    let rec = engine::insert_row(fl, t, cx, def, None, m)?;
    Ok(t.row(def.name, rec)
        .map(|r| Value::Object(r.data.clone()))
        .unwrap_or(Value::Null))
}

fn rejected(r: &Resp) -> SeedError {
    SeedError::Rejected {
        status: r.status.as_u16(),
        body: r.json().cloned().unwrap_or(Value::Null),
    }
}

/// The emulator served on `127.0.0.1:0` with the shared fault layer.
#[derive(Debug)]
pub struct DynamicsSandbox {
    emulator: DynamicsEmulator,
    server: ServerHandle,
}

impl DynamicsSandbox {
    /// Start with the default configuration and no faults.
    ///
    /// # Errors
    ///
    /// The I/O error if the listener cannot be bound.
    pub async fn start() -> io::Result<Self> {
        Self::start_with(DynamicsConfig::default()).await
    }

    /// Start with `config` and no faults.
    ///
    /// # Errors
    ///
    /// The I/O error if the listener cannot be bound.
    pub async fn start_with(config: DynamicsConfig) -> io::Result<Self> {
        Self::start_with_faults(config, FaultPlan::default()).await
    }

    /// Start with `config` and the fault plan `faults`.
    ///
    /// # Errors
    ///
    /// The I/O error if the listener cannot be bound.
    pub async fn start_with_faults(config: DynamicsConfig, faults: FaultPlan) -> io::Result<Self> {
        let emulator = DynamicsEmulator::new(config);
        let server = ServerBuilder::new(emulator.router())
            .faults(faults)
            .start()
            .await?;
        Ok(Self { emulator, server })
    }

    /// `http://127.0.0.1:<port>`: the authority URL (`D365_AUTHORITY_URL`) and the host of
    /// both flavours.
    #[must_use]
    pub fn base_url(&self) -> &str {
        self.server.base_url()
    }

    /// The F&O environment root (`D365_BASE_URL` for F&O): same as [`base_url`](Self::base_url);
    /// data lives under `/data/`.
    #[must_use]
    pub fn fno_url(&self) -> String {
        self.server.base_url().to_owned()
    }

    /// The F&O service root, `…/data`.
    #[must_use]
    pub fn fno_data_url(&self) -> String {
        format!("{}/data", self.server.base_url())
    }

    /// The BC API root for `tenant`, `…/v2.0/<tenant>/production/api/v2.0`.
    #[must_use]
    pub fn bc_api_url(&self, tenant: &str) -> String {
        format!(
            "{}/v2.0/{tenant}/{DEFAULT_BC_ENVIRONMENT}/api/v2.0",
            self.server.base_url()
        )
    }

    /// The v2 token endpoint of `tenant`.
    #[must_use]
    pub fn token_url(&self, tenant: &str) -> String {
        format!("{}/{tenant}/oauth2/v2.0/token", self.server.base_url())
    }

    /// The live fault controller.
    #[must_use]
    pub fn faults(&self) -> &FaultController {
        self.server.faults()
    }

    /// The emulator (seeding, inspection, configuration).
    #[must_use]
    pub fn emulator(&self) -> &DynamicsEmulator {
        &self.emulator
    }

    /// The underlying server handle.
    #[must_use]
    pub fn server(&self) -> &ServerHandle {
        &self.server
    }

    /// Requests received on exactly `path` (faulted ones included).
    #[must_use]
    pub fn request_count(&self, path: &str) -> u64 {
        self.server.request_count(path)
    }

    /// Requests received, by path.
    #[must_use]
    pub fn request_counts(&self) -> BTreeMap<String, u64> {
        self.server.requests().counts()
    }

    /// Stop the server and wait for it.
    pub async fn shutdown(self) {
        self.server.shutdown().await;
    }
}
