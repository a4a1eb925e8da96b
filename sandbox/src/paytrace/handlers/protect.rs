//! Protect.js support (reference §2.8).
//!
//! The browser side (the hosted payment fields that turn a card into an `hpf_token` +
//! `enc_key`) cannot run here; tests mint those with
//! [`PayTraceEmulator::create_hpf_token`](crate::paytrace::PayTraceEmulator::create_hpf_token).
//! Tokens are single use: a second use, an unknown token or a wrong `enc_key` gives 961.

use super::super::dispatch::Call;
use super::super::json::J;
use super::super::reply::Reply;
use super::super::store::Store;

/// `/v1/payment_fields/token/create`: `{"clientKey": "<opaque>"}` only.
pub(crate) fn client_key(store: &mut Store, _call: &Call<'_>) -> Reply {
    store.client_keys_issued += 1;
    let key = store.hex(64);
    Reply::ok(J::obj().with("clientKey", key))
}
