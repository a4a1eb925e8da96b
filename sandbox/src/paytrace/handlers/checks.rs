//! ACH / checks (reference §2.4).
//!
//! Responses carry `check_transaction_id`, `ach_code` and `ach_message`; their values are
//! not documented, the sandbox sends `ach_code: 0` with `ach_message: "Approved"` on success
//! and `ach_code: 1` with the reason on a 125 failure. A refused management action (fund a check
//! that is not held, void a settled check, refund a voided check) is a 125 with HTTP 200, like a
//! decline. `settle` also settles pending checks; only pending or held checks can be voided.

use rust_decimal::Decimal;

use super::super::codes;
use super::super::dispatch::Call;
use super::super::json::J;
use super::super::model::{BankAccount, CheckKind, CheckStatus, CheckTransaction};
use super::super::reply::{Errors, Reply};
use super::super::store::Store;
use super::super::validate::{
    read_amount, read_bank_account, read_check_id, read_customer_id, read_optional_amount,
};
use super::cards::read_extras;

fn ach_reply(code: u16, message: &str, id: u64) -> Reply {
    Reply::ok(
        J::obj()
            .with("success", true)
            .with("response_code", code)
            .with("status_message", message)
            .with("check_transaction_id", id)
            .with("ach_code", 0u16)
            .with("ach_message", "Approved")
            .with("external_transaction_id", ""),
    )
}

fn not_processed(id: u64, why: &str) -> Reply {
    Reply::ok(
        J::obj()
            .with("success", false)
            .with("response_code", codes::RC_CHECK_NOT_PROCESSED)
            .with(
                "status_message",
                "Your check was NOT successfully processed.",
            )
            .with("check_transaction_id", id)
            .with("ach_code", 1u16)
            .with("ach_message", why)
            .with("external_transaction_id", ""),
    )
}

/// Where the account comes from.
#[derive(Clone, Copy, PartialEq, Eq)]
enum AccountSource {
    Account,
    Customer,
}

fn create(store: &mut Store, call: &Call<'_>, kind: CheckKind, from: AccountSource) -> Reply {
    let body = call.body;
    let mut errors = Errors::new();
    let amount = read_amount(body, &mut errors);
    let require_invoice = store.config.require_invoice && kind != CheckKind::Refund;
    let mut extras = read_extras(body, require_invoice, &mut errors);
    let (account, customer_id): (Option<BankAccount>, Option<String>) = match from {
        AccountSource::Account => (
            read_bank_account(
                body.obj("check"),
                "account_number",
                "routing_number",
                &mut errors,
            ),
            None,
        ),
        AccountSource::Customer => match read_customer_id(body, &mut errors) {
            None => (None, None),
            Some(id) => match store.customers.get(&id) {
                Some(c) if c.bank_account.is_some() => {
                    if extras.billing.is_empty() {
                        extras.billing = c.billing_address.clone();
                    }
                    (c.bank_account.clone(), Some(id))
                }
                Some(_) => {
                    errors.add(
                        codes::E_CUSTOMER_NOT_FOUND,
                        format!("The customer profile for {id} has no checking account."),
                    );
                    (None, None)
                }
                None => {
                    errors.add(
                        codes::E_CUSTOMER_NOT_FOUND,
                        "Please provide a valid Customer ID.",
                    );
                    (None, None)
                }
            },
        },
    };
    if let Err(r) = errors.check() {
        return r;
    }
    let (Some(amount), Some(account)) = (amount, account) else {
        return Reply::error(
            codes::E_AMOUNT,
            "Please provide a valid Transaction Amount.",
        );
    };
    let id = store.next_check_id();
    let now = store.now();
    store.checks.insert(
        id,
        CheckTransaction {
            id,
            kind,
            status: if kind == CheckKind::Hold {
                CheckStatus::Held
            } else {
                CheckStatus::Pending
            },
            amount,
            refunded: Decimal::ZERO,
            original_check_transaction_id: None,
            bank_account: account,
            customer_id,
            invoice_id: extras.invoice_id,
            description: extras.description,
            billing_address: extras.billing,
            created_at: now,
        },
    );
    if kind == CheckKind::Refund {
        ach_reply(
            codes::RC_CHECK_REFUNDED,
            "Your check was successfully refunded.",
            id,
        )
    } else {
        ach_reply(
            codes::RC_CHECK_PROCESSED,
            "Your check was successfully processed.",
            id,
        )
    }
}

/// `/v1/checks/sale/by_account`
pub(crate) fn sale_by_account(s: &mut Store, c: &Call<'_>) -> Reply {
    create(s, c, CheckKind::Sale, AccountSource::Account)
}
/// `/v1/checks/sale/by_customer`
pub(crate) fn sale_by_customer(s: &mut Store, c: &Call<'_>) -> Reply {
    create(s, c, CheckKind::Sale, AccountSource::Customer)
}
/// `/v1/checks/hold/by_account`
pub(crate) fn hold_by_account(s: &mut Store, c: &Call<'_>) -> Reply {
    create(s, c, CheckKind::Hold, AccountSource::Account)
}
/// `/v1/checks/hold/by_customer`
pub(crate) fn hold_by_customer(s: &mut Store, c: &Call<'_>) -> Reply {
    create(s, c, CheckKind::Hold, AccountSource::Customer)
}
/// `/v1/checks/refund/by_account`
pub(crate) fn refund_by_account(s: &mut Store, c: &Call<'_>) -> Reply {
    create(s, c, CheckKind::Refund, AccountSource::Account)
}

fn check_id(call: &Call<'_>, with_amount: bool) -> Result<(u64, Option<Decimal>), Reply> {
    let mut errors = Errors::new();
    let id = read_check_id(call.body, &mut errors);
    let amount = if with_amount {
        read_optional_amount(call.body, "amount", &mut errors)
    } else {
        None
    };
    errors.check()?;
    id.map(|i| (i, amount))
        .ok_or_else(|| Reply::error(codes::E_CHECK_NOT_FOUND, "Please provide a valid Check ID."))
}

fn check_not_found(id: u64) -> Reply {
    Reply::error(
        codes::E_CHECK_NOT_FOUND,
        format!("Check ID {id} was not found."),
    )
}

/// `/v1/checks/refund/by_transaction`: refund a processed (not voided, not held) check sale,
/// fully or partly.
pub(crate) fn refund_by_transaction(store: &mut Store, call: &Call<'_>) -> Reply {
    let (id, amount) = match check_id(call, true) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let Some(orig) = store.checks.get(&id) else {
        return check_not_found(id);
    };
    if orig.kind == CheckKind::Refund
        || matches!(orig.status, CheckStatus::Voided | CheckStatus::Held)
    {
        return not_processed(id, "Only processed check sales can be refunded.");
    }
    let remaining = orig.amount - orig.refunded;
    let amount = amount.unwrap_or(remaining);
    if remaining <= Decimal::ZERO || amount > remaining {
        return Reply::error(
            codes::E_REFUND_EXCEEDS,
            "The refund amount cannot exceed the remaining refundable amount.",
        );
    }
    let refund = CheckTransaction {
        id: 0,
        kind: CheckKind::Refund,
        status: CheckStatus::Pending,
        amount,
        refunded: Decimal::ZERO,
        original_check_transaction_id: Some(id),
        bank_account: orig.bank_account.clone(),
        customer_id: orig.customer_id.clone(),
        invoice_id: orig.invoice_id.clone(),
        description: orig.description.clone(),
        billing_address: orig.billing_address.clone(),
        created_at: store.now(),
    };
    if let Some(o) = store.checks.get_mut(&id) {
        o.refunded += amount;
    }
    let new_id = store.next_check_id();
    store.checks.insert(
        new_id,
        CheckTransaction {
            id: new_id,
            ..refund
        },
    );
    ach_reply(
        codes::RC_CHECK_REFUNDED,
        "Your check was successfully refunded.",
        new_id,
    )
}

/// `/v1/checks/manage/fund`: release a held check.
pub(crate) fn fund(store: &mut Store, call: &Call<'_>) -> Reply {
    let (id, _) = match check_id(call, false) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let Some(c) = store.checks.get_mut(&id) else {
        return check_not_found(id);
    };
    if c.status != CheckStatus::Held {
        return not_processed(id, "Only held checks can be funded.");
    }
    c.status = CheckStatus::Pending;
    ach_reply(
        codes::RC_CHECK_MANAGED,
        "Your check was successfully funded.",
        id,
    )
}

/// `/v1/checks/manage/void`: void a pending or held check.
pub(crate) fn void(store: &mut Store, call: &Call<'_>) -> Reply {
    let (id, _) = match check_id(call, false) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let Some(c) = store.checks.get_mut(&id) else {
        return check_not_found(id);
    };
    if !matches!(c.status, CheckStatus::Pending | CheckStatus::Held) {
        return not_processed(id, "Only unsettled checks can be voided.");
    }
    c.status = CheckStatus::Voided;
    let back = c.original_check_transaction_id.map(|o| (o, c.amount));
    if let Some((orig, amount)) = back
        && let Some(o) = store.checks.get_mut(&orig)
    {
        o.refunded = (o.refunded - amount).max(Decimal::ZERO);
    }
    ach_reply(
        codes::RC_CHECK_MANAGED,
        "Your check was successfully voided.",
        id,
    )
}
