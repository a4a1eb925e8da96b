//! Offline, stateful emulators of the APIs Tributary connects, served over real HTTP on
//! `127.0.0.1`, with fault injection for retry and chaos tests.
//!
//! The emulators are written from `shared/reference/` only and depend on none of Tributary's
//! client crates, so a wrong guess in a client is not mirrored here: a test that crosses a
//! client and its emulator is meaningful. They are the default backend of the examples when no
//! credentials are set, and a dev-dependency of the clients and flows.
//!
//! # Modules
//!
//! * [`fault`]: [`FaultPlan`](fault::FaultPlan) (serde-able: random 5xx, 429 with
//!   `Retry-After`, latency, lost responses, deterministic rules, seedable) and
//!   [`FaultController`](fault::FaultController) (change faults on a running server, count
//!   what fired).
//! * [`server`]: start any emulator's `axum::Router` on `127.0.0.1:0`
//!   ([`server::start`], [`server::ServerBuilder`]) and get a
//!   [`ServerHandle`](server::ServerHandle) with `base_url()`, `faults()`, per-path request
//!   counts and graceful shutdown (on drop or `shutdown().await`). A lost response
//!   ([`FaultAction::DropResponse`](fault::FaultAction::DropResponse)) really is lost: the
//!   handler commits its state change, then the socket is closed without a status line.
//! * [`paytrace`]: the PayTrace v1 JSON API emulator ([`paytrace::PayTraceSandbox`]).
//! * [`dynamics`]: the Dynamics 365 emulator — Finance & Operations, Business Central and the
//!   Entra ID token endpoint ([`dynamics::DynamicsSandbox`]).
//! * [`salesforce`]: the Salesforce OAuth, REST, composite and event-bus emulator
//!   ([`salesforce::SalesforceSandbox`]).
//! * [`clock`]: [`SandboxClock`](clock::SandboxClock), the movable "now" every emulator
//!   reads, so tests can expire tokens, sessions and retention windows without sleeping.
//!
//! # As a standalone server
//!
//! The `tributary-sandbox` binary serves the emulators to clients in other processes and
//! languages: `cargo run -p sandbox --bin tributary-sandbox -- [--salesforce] [--paytrace]
//! [--dynamics] [--seed-accounts N]` prints one JSON line per system (base URL and
//! credentials, a ready Salesforce bearer), then `READY`, and serves until stdin closes or
//! SIGTERM / SIGINT. `bench/peers/` drives jsforce and simple-salesforce against it.
//!
//! # Quick start
//!
//! Start the PayTrace emulator, get a token, run a sale, and look at the state in-process:
//!
//! ```
//! use sandbox::paytrace::{
//!     DEFAULT_INTEGRATOR_ID, DEFAULT_PASSWORD, DEFAULT_USERNAME, PayTraceSandbox,
//!     TransactionStatus,
//! };
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let sandbox = PayTraceSandbox::start().await?;
//! let http = reqwest::Client::builder().build()?;
//!
//! let token: serde_json::Value = http
//!     .post(format!("{}/oauth/token", sandbox.base_url()))
//!     .header("content-type", "application/x-www-form-urlencoded")
//!     .body(format!(
//!         "grant_type=password&username={DEFAULT_USERNAME}&password={DEFAULT_PASSWORD}"
//!     ))
//!     .send()
//!     .await?
//!     .json()
//!     .await?;
//! assert_eq!(token["expires_in"], 7200);
//! let bearer = token["access_token"].as_str().unwrap_or_default().to_owned();
//!
//! let sale: serde_json::Value = http
//!     .post(format!("{}/v1/transactions/sale/keyed", sandbox.base_url()))
//!     .bearer_auth(&bearer)
//!     .json(&serde_json::json!({
//!         "amount": "19.99",
//!         "credit_card": {"number": "4111111111111111",
//!                         "expiration_month": "12", "expiration_year": "2030"},
//!         "csc": "999",
//!         "integrator_id": DEFAULT_INTEGRATOR_ID,
//!     }))
//!     .send()
//!     .await?
//!     .json()
//!     .await?;
//! assert_eq!(sale["response_code"], 101);
//! assert_eq!(sale["masked_card_number"], "xxxxxxxxxxxx1111");
//!
//! let stored = sandbox.emulator().transactions();
//! assert_eq!(stored[0].status, TransactionStatus::PendingSettlement);
//!
//! // Faults can be changed while the server runs.
//! sandbox.faults().fail_next(1, 503);
//! let res = http.post(format!("{}/v1/ping", sandbox.base_url())).send().await?;
//! assert_eq!(res.status(), 503);
//!
//! sandbox.shutdown().await;
//! # Ok(())
//! # }
//! ```

#![forbid(unsafe_code)]

pub mod clock;
pub mod dynamics;
pub mod fault;
pub mod paytrace;
pub mod salesforce;
pub mod server;
