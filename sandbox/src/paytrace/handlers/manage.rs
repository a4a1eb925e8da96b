//! Post-authorization operations (reference §2.2): capture, void, adjust, settle, email
//! receipt, level 3.

use rust_decimal::Decimal;
use serde_json::Value;

use super::super::codes;
use super::super::dispatch::Call;
use super::super::model::{CardBrand, TransactionKind, TransactionStatus};
use super::super::reply::{Errors, Reply, missing, success};
use super::super::store::Store;
use super::super::validate::{email_ok, read_amount, read_optional_amount, read_transaction_id};

fn not_found(id: u64) -> Reply {
    Reply::error(
        codes::E_TRANSACTION_NOT_FOUND,
        format!("Transaction ID {id} was not found."),
    )
}

/// Read `transaction_id` (+ optional `amount`), or the error reply.
fn id_and_amount(call: &Call<'_>, amount_required: bool) -> Result<(u64, Option<Decimal>), Reply> {
    let mut errors = Errors::new();
    let id = read_transaction_id(call.body, &mut errors);
    let amount = if amount_required {
        read_amount(call.body, &mut errors)
    } else {
        read_optional_amount(call.body, "amount", &mut errors)
    };
    errors.check()?;
    match id {
        Some(id) => Ok((id, amount)),
        None => Err(Reply::error(
            codes::E_TRANSACTION_ID,
            "Please provide a valid Transaction ID.",
        )),
    }
}

/// `/v1/transactions/authorization/capture`: only an approved, uncaptured authorization
/// (816 otherwise); `amount` may be less than authorized, never more (815, sandbox choice).
pub(crate) fn capture(store: &mut Store, call: &Call<'_>) -> Reply {
    let (id, amount) = match id_and_amount(call, false) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let Some(t) = store.transactions.get_mut(&id) else {
        return not_found(id);
    };
    if t.kind != TransactionKind::Authorization || t.status != TransactionStatus::AuthorizationOnly
    {
        return Reply::error(
            codes::E_CANNOT_CAPTURE,
            "Only approved, uncaptured authorizations can be captured.",
        );
    }
    let amount = amount.unwrap_or(t.amount);
    if amount > t.amount {
        return Reply::error(
            codes::E_CAPTURE_EXCEEDS,
            "The capture amount cannot exceed the authorized amount.",
        );
    }
    t.amount = amount;
    t.captured = true;
    t.status = TransactionStatus::PendingSettlement;
    Reply::ok(
        success(
            codes::RC_CAPTURED,
            "Your transaction was successfully captured.",
        )
        .with("transaction_id", id)
        .with("external_transaction_id", ""),
    )
}

/// `/v1/transactions/void`: only while pending settlement or an open authorization (818).
/// Voiding a refund gives its amount back to the refunded transaction.
pub(crate) fn void(store: &mut Store, call: &Call<'_>) -> Reply {
    let (id, _) = match id_and_amount(call, false) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let Some(t) = store.transactions.get_mut(&id) else {
        return not_found(id);
    };
    if !matches!(
        t.status,
        TransactionStatus::PendingSettlement | TransactionStatus::AuthorizationOnly
    ) {
        return Reply::error(
            codes::E_CANNOT_VOID,
            "Only transactions pending settlement can be voided.",
        );
    }
    t.status = TransactionStatus::Voided;
    let back = (t.kind == TransactionKind::Refund)
        .then_some(t.original_transaction_id)
        .flatten()
        .map(|o| (o, t.amount));
    if let Some((orig, amount)) = back
        && let Some(o) = store.transactions.get_mut(&orig)
    {
        o.refunded = (o.refunded - amount).max(Decimal::ZERO);
    }
    Reply::ok(
        success(
            codes::RC_VOIDED,
            "Your transaction was successfully voided.",
        )
        .with("transaction_id", id),
    )
}

/// `/v1/transactions/adjust` (path UNCONFIRMED; the reference's likeliest guess). Allowed on
/// an unsettled approved authorization (0 < new ≤ 1.3 × authorized) or an unsettled refund
/// (0 < new ≤ original refund amount, and a linked refund must still fit what remains
/// refundable). Anything else: 820 (sandbox choice).
pub(crate) fn adjust(store: &mut Store, call: &Call<'_>) -> Reply {
    let (id, amount) = match id_and_amount(call, true) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let Some(new_amount) = amount else {
        return Reply::error(
            codes::E_AMOUNT,
            "Please provide a valid Transaction Amount.",
        );
    };
    let Some(t) = store.transactions.get(&id) else {
        return not_found(id);
    };
    let refusal = |why: &str| Reply::error(codes::E_CANNOT_ADJUST, why.to_owned());
    let unsettled = matches!(
        t.status,
        TransactionStatus::PendingSettlement | TransactionStatus::AuthorizationOnly
    );
    let mut orig_update = None;
    match t.kind {
        TransactionKind::Authorization if unsettled => {
            let ceiling = t.original_amount * Decimal::new(13, 1);
            if new_amount > ceiling {
                return refusal(
                    "The new amount cannot exceed the authorized amount by more than 30%.",
                );
            }
        }
        TransactionKind::Refund if t.status == TransactionStatus::PendingSettlement => {
            if new_amount > t.original_amount {
                return refusal("The new refund amount cannot exceed the original refund amount.");
            }
            if let Some(orig_id) = t.original_transaction_id
                && let Some(o) = store.transactions.get(&orig_id)
            {
                let refunded = o.refunded - t.amount + new_amount;
                if refunded > o.amount {
                    return refusal("The new refund amount exceeds what remains refundable.");
                }
                orig_update = Some((orig_id, refunded));
            }
        }
        _ => {
            return refusal(
                "Only unsettled approved authorizations and unsettled refunds can be adjusted.",
            );
        }
    }
    if let Some((orig_id, refunded)) = orig_update
        && let Some(o) = store.transactions.get_mut(&orig_id)
    {
        o.refunded = refunded;
    }
    if let Some(t) = store.transactions.get_mut(&id) {
        t.amount = new_amount;
    }
    Reply::ok(
        success(
            codes::RC_ADJUSTED,
            "Your transaction was successfully adjusted.",
        )
        .with("transaction_id", id)
        .with("external_transaction_id", ""),
    )
}

/// `/v1/transactions/settle`: settle everything pending into a new batch now. Response code
/// 175 (UNCONFIRMED); the sandbox adds `batch_number` and `transaction_count` (sandbox
/// choice). With nothing pending: 175 without those fields.
pub(crate) fn settle(store: &mut Store, _call: &Call<'_>) -> Reply {
    match store.settle() {
        Some((number, count)) => Reply::ok(
            success(
                codes::RC_BATCH_SETTLED,
                "The batch was successfully settled.",
            )
            .with("batch_number", number)
            .with("transaction_count", count),
        ),
        None => Reply::ok(success(
            codes::RC_BATCH_SETTLED,
            "There were no transactions pending settlement.",
        )),
    }
}

/// `/v1/transactions/email_receipt`
pub(crate) fn email_receipt(store: &mut Store, call: &Call<'_>) -> Reply {
    let mut errors = Errors::new();
    let id = read_transaction_id(call.body, &mut errors);
    let email = call.body.str("email");
    match &email {
        None => missing(&mut errors, "email"),
        Some(e) if !email_ok(e) => {
            errors.add(codes::E_EMAIL, "Please provide a valid Email Address.")
        }
        Some(_) => {}
    }
    if let Err(r) = errors.check() {
        return r;
    }
    let (Some(id), Some(email)) = (id, email) else {
        return Reply::error(
            codes::E_TRANSACTION_ID,
            "Please provide a valid Transaction ID.",
        );
    };
    let Some(t) = store.transactions.get_mut(&id) else {
        return not_found(id);
    };
    t.receipt_emailed_to = email.clone();
    Reply::ok(success(
        codes::RC_RECEIPT_EMAILED,
        format!("The receipt for transaction ID {id} was successfully emailed to {email}."),
    ))
}

fn level_three(store: &mut Store, call: &Call<'_>, brand: CardBrand) -> Reply {
    let mut errors = Errors::new();
    let id = read_transaction_id(call.body, &mut errors);
    for key in [
        "tax_amount",
        "national_tax_amount",
        "discount_amount",
        "freight_amount",
        "duty_amount",
        "additional_tax_amount",
    ] {
        if let Some(v) = call.body.raw(key)
            && super::super::input::parse_money(v).is_none()
        {
            errors.add(
                codes::E_AMOUNT,
                format!("Please provide a valid amount: {key}."),
            );
        }
    }
    let items = match call.body.raw("line_items") {
        None => 0,
        Some(Value::Array(a)) => a.len(),
        Some(_) => {
            errors.add(codes::E_LEVEL_THREE, "line_items must be an array.");
            0
        }
    };
    if let Err(r) = errors.check() {
        return r;
    }
    let Some(id) = id else {
        return Reply::error(
            codes::E_TRANSACTION_ID,
            "Please provide a valid Transaction ID.",
        );
    };
    let Some(t) = store.transactions.get_mut(&id) else {
        return not_found(id);
    };
    let name = match brand {
        CardBrand::Mastercard => "Mastercard",
        _ => "Visa",
    };
    let eligible = matches!(
        t.kind,
        TransactionKind::Sale | TransactionKind::Authorization
    ) && matches!(
        t.status,
        TransactionStatus::PendingSettlement | TransactionStatus::AuthorizationOnly
    ) && t.card.as_ref().is_some_and(|c| c.brand == brand);
    if !eligible {
        return Reply::error(
            codes::E_LEVEL_THREE,
            format!("Level 3 data can only be added to an approved, unsettled {name} sale."),
        );
    }
    t.level_three = Some((name.to_ascii_lowercase(), items));
    Reply::ok(success(
        codes::RC_LEVEL_THREE_ADDED,
        format!(
            "{name} enhanced data was successfully added to Transaction ID {id}. {items} line item records were created."
        ),
    ))
}

/// `/v1/level_three/visa`
pub(crate) fn level_three_visa(store: &mut Store, call: &Call<'_>) -> Reply {
    level_three(store, call, CardBrand::Visa)
}

/// `/v1/level_three/mastercard`
pub(crate) fn level_three_mastercard(store: &mut Store, call: &Call<'_>) -> Reply {
    level_three(store, call, CardBrand::Mastercard)
}

#[cfg(test)]
mod tests {
    #[test]
    fn ceiling_math() {
        let a = rust_decimal::Decimal::new(10000, 2) * rust_decimal::Decimal::new(13, 1);
        assert_eq!(a, rust_decimal::Decimal::new(13000, 2));
    }
}
