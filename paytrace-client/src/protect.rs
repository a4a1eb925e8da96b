//! PayTrace Protect (Protect.js): the client key for the browser, and the one-time token the
//! browser hands back.
//!
//! The card never touches your server: the page loads Protect.js with a client key from
//! [`Protect::client_key`]; the iframe returns an `hpf_token` and `enc_key`, which go to
//! [`sale_pt_protect`](crate::transactions::Transactions::sale_pt_protect),
//! [`create_pt_protect`](crate::customers::Customers::create_pt_protect) and friends. Tokens
//! are single-use (error 961 on reuse), so the calls that spend one are never resent.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::client::Client;
use crate::error::Result;
use crate::http::operation;
use crate::transactions::Empty;

/// The Protect area: `client.protect()`.
#[derive(Debug, Clone, Copy)]
pub struct Protect<'a> {
    pub(crate) client: &'a Client,
}

/// The one-time token Protect.js returns: `hpf_token` and `enc_key`. `Debug` redacts both.
#[derive(Clone, Serialize)]
pub struct ProtectToken {
    hpf_token: String,
    enc_key: String,
}

impl ProtectToken {
    /// The token pair from the browser.
    pub fn new(hpf_token: impl Into<String>, enc_key: impl Into<String>) -> Self {
        ProtectToken {
            hpf_token: hpf_token.into(),
            enc_key: enc_key.into(),
        }
    }
}

impl fmt::Debug for ProtectToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ProtectToken(<redacted>)")
    }
}

/// The answer of `/v1/payment_fields/token/create`: `{"clientKey": "…"}`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct ClientKey {
    /// The key Protect.js is loaded with.
    #[serde(rename = "clientKey")]
    pub client_key: String,
}

impl Protect<'_> {
    /// Gets a client key for Protect.js: `POST /v1/payment_fields/token/create`. Retried
    /// like a read (a new key harms nothing).
    ///
    /// # Errors
    /// Transport, authentication and decoding errors.
    pub async fn client_key(&self) -> Result<ClientKey> {
        let op = operation!(
            "paytrace.protect_client_key",
            "/v1/payment_fields/token/create",
            Idempotent
        );
        self.client.send(op, &Empty {}).await
    }
}
