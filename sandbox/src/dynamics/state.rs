//! The emulator's state behind one mutex, and the synchronous part of request handling:
//! routing to a flavour, rollback of failed writes, `$batch` execution.

use std::collections::VecDeque;

use axum::http::{Method, StatusCode};
use serde_json::json;

use super::auth::AuthState;
use super::batch::{self, Base, Executor};
use super::bc;
use super::config::DynamicsConfig;
use super::engine::{Ctx, Scope};
use super::error::ApiError;
use super::fno;
use super::http::{Req, Resp};
use super::keys::percent_decode;
use super::odata::query;
use super::store::Tables;
use super::throttle::Lane;
use crate::clock::SandboxClock;

/// Which API a request addressed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Api {
    /// The Entra ID token endpoints.
    Token,
    /// Finance & Operations (`/data/`, `/api/services/`).
    Fno,
    /// Business Central (`/v2.0/…`).
    Bc,
    /// Nothing the emulator serves.
    Other,
}

/// One request as the emulator saw it (the in-process request log).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct RecordedRequest {
    /// Which API.
    pub api: Api,
    /// HTTP method.
    pub method: String,
    /// Path as sent (percent-encoded).
    pub path: String,
    /// Query string as sent, without `?`.
    pub query: String,
    /// Status answered.
    pub status: u16,
    /// App id of the bearer token, if one was valid.
    pub client_id: Option<String>,
    /// Request headers except `Authorization`, names lowercase.
    pub headers: Vec<(String, String)>,
}

impl RecordedRequest {
    /// The first value of header `name` (case-insensitive).
    #[must_use]
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Where a data request goes.
#[derive(Clone, Debug)]
pub(crate) enum Target {
    /// `/data…`.
    Fno,
    /// `/api/services/…`.
    FnoService,
    /// A BC service root (`/v2.0/<tenant>/<env>/api/v2.0/`) and the environment named in it.
    Bc { root: String, environment: String },
}

/// Everything behind the emulator's mutex.
pub(crate) struct State {
    pub(crate) config: DynamicsConfig,
    pub(crate) fno: Tables,
    pub(crate) bc: Tables,
    pub(crate) auth: AuthState,
    pub(crate) log: VecDeque<RecordedRequest>,
    pub(crate) requests: u64,
    pub(crate) throttled: u64,
}

impl State {
    pub(crate) fn new(config: DynamicsConfig) -> Self {
        Self {
            config,
            fno: Tables::default(),
            bc: Tables::default(),
            auth: AuthState::default(),
            log: VecDeque::new(),
            requests: 0,
            throttled: 0,
        }
    }

    pub(crate) fn clock(&self) -> &SandboxClock {
        &self.config.clock
    }

    /// Append to the request log (bounded).
    pub(crate) fn record(&mut self, r: RecordedRequest) {
        self.requests += 1;
        self.log.push_back(r);
        while self.log.len() > self.config.request_log_limit {
            self.log.pop_front();
        }
    }

    /// The flavour's rendering of `e` for request `req`.
    pub(crate) fn render(&self, lane: Lane, origin: &str, req: &Req, e: &ApiError) -> Resp {
        match lane {
            Lane::Fno => fno::errors::render(
                e,
                &format!("{origin}{}", req.path_and_query()),
                self.config.fno.validation_status,
            ),
            Lane::Bc => bc::errors::render(e),
        }
    }

    /// Serve one authorised, admitted data request.
    pub(crate) fn serve(
        &mut self,
        lane: Lane,
        target: &Target,
        req: &Req,
        origin: &str,
        default_company: &str,
    ) -> Resp {
        match target {
            Target::FnoService => self.fno_service(req, origin, default_company),
            Target::Fno => {
                if percent_decode(&req.path).trim_end_matches('/') == "/data/$batch" {
                    self.batch(lane, req, origin, "/data/", default_company)
                } else {
                    self.single(lane, req, origin, "/data/", default_company)
                }
            }
            Target::Bc { root, environment } => {
                let envs = &self.config.bc.environments;
                if !envs.is_empty() && !envs.iter().any(|e| e.eq_ignore_ascii_case(environment)) {
                    return bc::errors::render(&ApiError::SegmentNotFound(environment.clone()));
                }
                let rest = req.path.strip_prefix(root.as_str()).unwrap_or("");
                if percent_decode(rest).trim_end_matches('/') == "$batch" {
                    self.batch(lane, req, origin, root, default_company)
                } else {
                    self.single(lane, req, origin, root, default_company)
                }
            }
        }
    }

    fn fno_service(&mut self, req: &Req, origin: &str, default_company: &str) -> Resp {
        let configured = self
            .config
            .fno
            .posting
            .service_path
            .as_deref()
            .map(|p| format!("/{}", p.trim_matches('/')).to_ascii_lowercase());
        let asked = format!("/{}", req.path.trim_matches('/')).to_ascii_lowercase();
        if configured.as_deref() != Some(asked.as_str()) || req.method != Method::POST {
            return self.render(Lane::Fno, origin, req, &ApiError::NoRoute);
        }
        let snapshot = self.fno.clone();
        match fno::posting::service(&mut self.fno, &self.config.fno, default_company, &req.body) {
            Ok(r) => r,
            Err(e) => {
                self.fno = snapshot;
                self.render(Lane::Fno, origin, req, &e)
            }
        }
    }

    /// One request (top level or a batch part); failed writes are rolled back.
    pub(crate) fn single(
        &mut self,
        lane: Lane,
        req: &Req,
        origin: &str,
        root: &str,
        default_company: &str,
    ) -> Resp {
        let now = self.config.clock.now();
        let write = !matches!(req.method, Method::GET | Method::HEAD);
        let Some(rest) = req
            .path
            .strip_prefix(root.trim_end_matches('/'))
            .filter(|r| r.is_empty() || r.starts_with('/'))
        else {
            return self.render(lane, origin, req, &ApiError::NoRoute);
        };
        let result = match lane {
            Lane::Fno => {
                let cross = query::pairs(&req.query).iter().any(|(k, v)| {
                    k.eq_ignore_ascii_case("cross-company") && v.eq_ignore_ascii_case("true")
                });
                let cx = Ctx {
                    origin,
                    root,
                    scope: Scope::Fno {
                        company: default_company.to_ascii_lowercase(),
                        cross,
                    },
                    now,
                    req,
                };
                let snapshot = write.then(|| self.fno.clone());
                let r = fno::handlers::handle(&mut self.fno, &self.config.fno, &cx, rest);
                if let (Some(s), false) = (snapshot, r.as_ref().is_ok_and(Resp::is_success)) {
                    self.fno = s;
                }
                r
            }
            Lane::Bc => {
                let cx = Ctx {
                    origin,
                    root,
                    scope: Scope::Bc { company: None },
                    now,
                    req,
                };
                let snapshot = write.then(|| self.bc.clone());
                let r = bc::handlers::handle(&mut self.bc, &self.config.bc, &cx, rest);
                if let (Some(s), false) = (snapshot, r.as_ref().is_ok_and(Resp::is_success)) {
                    self.bc = s;
                }
                r
            }
        };
        result.unwrap_or_else(|e| self.render(lane, origin, req, &e))
    }

    fn batch(
        &mut self,
        lane: Lane,
        req: &Req,
        origin: &str,
        root: &str,
        default_company: &str,
    ) -> Resp {
        if req.method != Method::POST {
            let e = ApiError::MethodNotAllowed {
                method: req.method.as_str().to_owned(),
                set: "$batch".into(),
            };
            return self.render(lane, origin, req, &e);
        }
        let ct = req.header("content-type").unwrap_or("").to_owned();
        let lower = ct.to_ascii_lowercase();
        let whole = req
            .header("isolation")
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("snapshot"));
        let (max, json_ok) = match lane {
            Lane::Fno => (
                self.config.fno.max_batch_operations,
                self.config.fno.json_batch,
            ),
            Lane::Bc => (self.config.bc.max_batch_operations, true),
        };
        let base = Base {
            root: root.to_owned(),
        };
        let mut exec = Exec {
            state: self,
            lane,
            origin,
            root,
            default_company,
            stack: Vec::new(),
        };
        let result = if lower.starts_with("multipart/mixed") {
            batch::multipart::run(&mut exec, &base, &ct, &req.body, max, whole)
        } else if lower.starts_with("application/json") && json_ok {
            batch::json::run(&mut exec, &base, &req.body, max, whole)
        } else {
            Err(ApiError::MediaType(ct.clone()))
        };
        // Anything left open (cannot happen on the normal paths) is rolled back.
        while !exec.stack.is_empty() {
            exec.rollback();
        }
        result.unwrap_or_else(|e| self.render(lane, origin, req, &e))
    }

    /// Rows of a flavour's set as JSON objects (`companyId` added for BC rows).
    pub(crate) fn rows(
        &self,
        lane: Lane,
        set: &str,
        company: Option<&str>,
    ) -> Vec<serde_json::Value> {
        let t = match lane {
            Lane::Fno => &self.fno,
            Lane::Bc => &self.bc,
        };
        t.rows(set)
            .iter()
            .filter(|r| company.is_none_or(|c| r.company.as_deref() == Some(c)))
            .map(|r| {
                let mut m = r.data.clone();
                if let Some(c) = &r.company {
                    m.insert("companyId".into(), json!(c));
                }
                serde_json::Value::Object(m)
            })
            .collect()
    }
}

/// The batch executor over the state.
struct Exec<'a> {
    state: &'a mut State,
    lane: Lane,
    origin: &'a str,
    root: &'a str,
    default_company: &'a str,
    stack: Vec<Tables>,
}

impl Exec<'_> {
    fn tables(&mut self) -> &mut Tables {
        match self.lane {
            Lane::Fno => &mut self.state.fno,
            Lane::Bc => &mut self.state.bc,
        }
    }
}

impl Executor for Exec<'_> {
    fn execute(&mut self, req: &Req) -> Resp {
        self.state
            .single(self.lane, req, self.origin, self.root, self.default_company)
    }

    fn begin(&mut self) {
        let snapshot = self.tables().clone();
        self.stack.push(snapshot);
    }

    fn commit(&mut self) {
        self.stack.pop();
    }

    fn rollback(&mut self) {
        if let Some(s) = self.stack.pop() {
            *self.tables() = s;
        }
    }

    fn error(&mut self, e: ApiError) -> Resp {
        let req = Req {
            method: Method::POST,
            path: format!("{}$batch", self.root),
            query: String::new(),
            headers: Default::default(),
            body: Default::default(),
        };
        let r = self.state.render(self.lane, self.origin, &req, &e);
        if r.status == StatusCode::OK {
            Resp::empty(StatusCode::BAD_REQUEST)
        } else {
            r
        }
    }
}
