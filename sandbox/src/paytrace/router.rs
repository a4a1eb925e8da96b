//! The route table: every path of reference §2 plus `/oauth/token` and `/v1/ping`.

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::map_response;
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get, post};
use rand::Rng;

use super::dispatch::{Integrator, Op};
use super::emulator::PayTraceEmulator;
use super::handlers::{cards, checks, customers, exports, manage, protect, recurrence, refunds};
use super::json::J;
use super::reply::Reply;

/// Every `/v1` endpoint: path, handler, integrator rule.
pub(crate) const ROUTES: &[(&str, Op, Integrator)] = {
    use Integrator::{IfPresent, Required};
    &[
        ("/v1/transactions/sale/keyed", cards::sale_keyed, Required),
        ("/v1/transactions/sale/swiped", cards::sale_swiped, Required),
        (
            "/v1/transactions/sale/by_customer",
            cards::sale_by_customer,
            Required,
        ),
        (
            "/v1/transactions/sale/by_transaction",
            cards::sale_by_transaction,
            Required,
        ),
        (
            "/v1/transactions/sale/pt_protect",
            cards::sale_pt_protect,
            Required,
        ),
        (
            "/v1/transactions/sale/pt_protect_customer",
            cards::sale_pt_protect_customer,
            Required,
        ),
        (
            "/v1/transactions/authorization/keyed",
            cards::auth_keyed,
            Required,
        ),
        (
            "/v1/transactions/authorization/swiped",
            cards::auth_swiped,
            Required,
        ),
        (
            "/v1/transactions/authorization/by_customer",
            cards::auth_by_customer,
            Required,
        ),
        (
            "/v1/transactions/authorization/by_transaction",
            cards::auth_by_transaction,
            Required,
        ),
        (
            "/v1/transactions/authorization/pt_protect",
            cards::auth_pt_protect,
            Required,
        ),
        (
            "/v1/transactions/authorization/capture",
            manage::capture,
            Required,
        ),
        ("/v1/transactions/void", manage::void, Required),
        ("/v1/transactions/adjust", manage::adjust, Required),
        ("/v1/transactions/settle", manage::settle, Required),
        (
            "/v1/transactions/email_receipt",
            manage::email_receipt,
            Required,
        ),
        ("/v1/level_three/visa", manage::level_three_visa, Required),
        (
            "/v1/level_three/mastercard",
            manage::level_three_mastercard,
            Required,
        ),
        (
            "/v1/transactions/refund/for_transaction",
            refunds::for_transaction,
            Required,
        ),
        ("/v1/transactions/refund/keyed", refunds::keyed, Required),
        ("/v1/transactions/refund/swiped", refunds::swiped, Required),
        (
            "/v1/transactions/refund/to_customer",
            refunds::to_customer,
            Required,
        ),
        (
            "/v1/checks/sale/by_account",
            checks::sale_by_account,
            Required,
        ),
        (
            "/v1/checks/sale/by_customer",
            checks::sale_by_customer,
            Required,
        ),
        (
            "/v1/checks/hold/by_account",
            checks::hold_by_account,
            Required,
        ),
        (
            "/v1/checks/hold/by_customer",
            checks::hold_by_customer,
            Required,
        ),
        (
            "/v1/checks/refund/by_transaction",
            checks::refund_by_transaction,
            Required,
        ),
        (
            "/v1/checks/refund/by_account",
            checks::refund_by_account,
            Required,
        ),
        ("/v1/checks/manage/fund", checks::fund, Required),
        ("/v1/checks/manage/void", checks::void, Required),
        ("/v1/customer/create", customers::create, Required),
        (
            "/v1/customer/create_from_transaction",
            customers::create_from_transaction,
            Required,
        ),
        (
            "/v1/customer/pt_protect_create",
            customers::pt_protect_create,
            Required,
        ),
        ("/v1/customer/update", customers::update, Required),
        (
            "/v1/customer/pt_protect_update",
            customers::pt_protect_update,
            Required,
        ),
        ("/v1/customer/delete", customers::delete, Required),
        ("/v1/customer/export", customers::export, Required),
        (
            "/v1/customer/export_inactive",
            customers::export_inactive,
            Required,
        ),
        ("/v1/recurrence/create", recurrence::create, Required),
        ("/v1/recurrence/update", recurrence::update, Required),
        ("/v1/recurrence/delete", recurrence::delete, Required),
        (
            "/v1/recurrence/export_approved",
            recurrence::export_approved,
            Required,
        ),
        ("/v1/transactions/export/by_id", exports::by_id, Required),
        (
            "/v1/transactions/export/by_date_range",
            exports::by_date_range,
            Required,
        ),
        ("/v1/batches/export_one", exports::export_one, Required),
        ("/v1/batches/export", exports::export, Required),
        (
            "/v1/batches/transaction_list",
            exports::transaction_list,
            Required,
        ),
        (
            "/v1/payment_fields/token/create",
            protect::client_key,
            IfPresent,
        ),
    ]
};

fn v1(op: Op, integrator: Integrator) -> MethodRouter<PayTraceEmulator> {
    post(
        move |State(emu): State<PayTraceEmulator>, req: Request| async move {
            emu.run_v1(op, integrator, req).await.into_response()
        },
    )
}

async fn token(State(emu): State<PayTraceEmulator>, req: Request) -> Response {
    emu.run_token(req).await.into_response()
}

async fn ping() -> Response {
    Reply::ok(J::obj().with("status", "success")).into_response()
}

async fn not_found() -> Response {
    Reply::with_status(
        StatusCode::NOT_FOUND,
        J::obj().with("status", 404u16).with("error", "Not Found"),
    )
    .into_response()
}

async fn request_id(mut res: Response<Body>) -> Response<Body> {
    let id: String = {
        let mut rng = rand::rng();
        (0..32)
            .map(|_| char::from(b"0123456789abcdef"[rng.random_range(0..16)]))
            .collect()
    };
    if let Ok(v) = HeaderValue::from_str(&id) {
        res.headers_mut().insert("x-request-id", v);
    }
    res
}

/// The PayTrace router for `emu`.
pub(crate) fn router(emu: PayTraceEmulator) -> Router {
    let mut r: Router<PayTraceEmulator> = Router::new()
        .route("/oauth/token", post(token))
        .route("/v1/ping", get(ping).post(ping));
    for (path, op, integrator) in ROUTES {
        r = r.route(path, v1(*op, *integrator));
    }
    r.fallback(not_found)
        .layer(map_response(request_id))
        .with_state(emu)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_unique_and_under_v1() {
        let mut seen = std::collections::BTreeSet::new();
        for (p, _, _) in ROUTES {
            assert!(p.starts_with("/v1/"), "{p}");
            assert!(seen.insert(*p), "duplicate {p}");
        }
    }
}
