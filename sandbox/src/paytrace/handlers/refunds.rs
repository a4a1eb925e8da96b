//! Refunds (reference §2.3). A refund is a new transaction of type `REFUND`, pending
//! settlement until the next batch. Refunds are always approved (no 107 in the sandbox).

use rust_decimal::Decimal;

use super::super::codes;
use super::super::dispatch::Call;
use super::super::json::J;
use super::super::model::{
    CardSummary, EntryMode, Transaction, TransactionKind, TransactionStatus,
};
use super::super::reply::{Errors, Reply};
use super::super::store::Store;
use super::super::validate::{
    parse_swipe, read_amount, read_card, read_customer_id, read_optional_amount,
    read_transaction_id,
};
use super::cards::{Extras, read_extras};

const REFUNDED: &str = "Your transaction was successfully refunded.";

struct NewRefund {
    amount: Decimal,
    card: Option<CardSummary>,
    extras: Extras,
    customer_id: Option<String>,
    original: Option<u64>,
    entry: EntryMode,
}

fn record(store: &mut Store, call: &Call<'_>, r: NewRefund) -> u64 {
    let id = store.next_transaction_id();
    let now = store.now();
    store.transactions.insert(
        id,
        Transaction {
            id,
            kind: TransactionKind::Refund,
            entry: r.entry,
            status: TransactionStatus::PendingSettlement,
            response_code: codes::RC_REFUNDED,
            amount: r.amount,
            original_amount: r.amount,
            refunded: Decimal::ZERO,
            original_transaction_id: r.original,
            captured: false,
            card: r.card,
            customer_id: r.customer_id,
            recurrence_id: None,
            invoice_id: r.extras.invoice_id,
            description: r.extras.description,
            customer_reference_id: r.extras.customer_reference_id,
            tax_amount: r.extras.tax_amount,
            billing_address: r.extras.billing,
            shipping_address: r.extras.shipping,
            email: r.extras.email,
            receipt_emailed_to: String::new(),
            discretionary_data: r.extras.discretionary_data,
            approval_code: String::new(),
            approval_message: String::new(),
            avs_response: String::new(),
            csc_response: String::new(),
            created_at: now,
            created_by: call.user.clone(),
            from_ip: call.ip.clone(),
            settled_at: None,
            batch_number: None,
            level_three: None,
        },
    );
    id
}

fn refunded_reply(id: u64, masked: Option<String>) -> Reply {
    let j = J::obj()
        .with("success", true)
        .with("response_code", codes::RC_REFUNDED)
        .with("status_message", REFUNDED)
        .with("transaction_id", id)
        .with("external_transaction_id", "")
        .with_opt("masked_card_number", masked);
    Reply::ok(j)
}

/// `/v1/transactions/refund/for_transaction`: only a settled sale or captured authorization
/// (817 otherwise). `amount` omitted = everything that remains; partial refunds add up and can
/// never exceed the settled amount (814, sandbox choice).
pub(crate) fn for_transaction(store: &mut Store, call: &Call<'_>) -> Reply {
    let mut errors = Errors::new();
    let id = read_transaction_id(call.body, &mut errors);
    let amount = read_optional_amount(call.body, "amount", &mut errors);
    if let Err(r) = errors.check() {
        return r;
    }
    let Some(id) = id else {
        return Reply::error(
            codes::E_TRANSACTION_ID,
            "Please provide a valid Transaction ID.",
        );
    };
    let Some(orig) = store.transactions.get(&id) else {
        return Reply::error(
            codes::E_TRANSACTION_NOT_FOUND,
            format!("Transaction ID {id} was not found."),
        );
    };
    if orig.kind == TransactionKind::Refund || orig.status != TransactionStatus::Settled {
        return Reply::error(
            codes::E_CANNOT_REFUND,
            "Only settled transactions can be refunded. Void the transaction instead.",
        );
    }
    let remaining = orig.amount - orig.refunded;
    let amount = amount.unwrap_or(remaining);
    if remaining <= Decimal::ZERO || amount > remaining {
        return Reply::error(
            codes::E_REFUND_EXCEEDS,
            format!(
                "The refund amount cannot exceed the remaining refundable amount of {}.",
                super::super::json::money_text(remaining.max(Decimal::ZERO))
            ),
        );
    }
    let refund = NewRefund {
        amount,
        card: orig.card.clone(),
        extras: Extras {
            billing: orig.billing_address.clone(),
            shipping: orig.shipping_address.clone(),
            invoice_id: orig.invoice_id.clone(),
            description: call
                .body
                .str("description")
                .unwrap_or_else(|| orig.description.clone()),
            customer_reference_id: orig.customer_reference_id.clone(),
            tax_amount: None,
            email: orig.email.clone(),
            discretionary_data: orig.discretionary_data.clone(),
        },
        customer_id: orig.customer_id.clone(),
        original: Some(id),
        entry: EntryMode::Transaction,
    };
    if let Some(o) = store.transactions.get_mut(&id) {
        o.refunded += amount;
    }
    let new_id = record(store, call, refund);
    refunded_reply(new_id, None)
}

/// `/v1/transactions/refund/keyed`: unlinked refund to a keyed card.
pub(crate) fn keyed(store: &mut Store, call: &Call<'_>) -> Reply {
    let mut errors = Errors::new();
    let amount = read_amount(call.body, &mut errors);
    let card = read_card(call.body, &mut errors);
    let extras = read_extras(call.body, false, &mut errors);
    if let Err(r) = errors.check() {
        return r;
    }
    let (Some(amount), Some(card)) = (amount, card) else {
        return Reply::error(
            codes::E_AMOUNT,
            "Please provide a valid Transaction Amount.",
        );
    };
    let card = card.summary();
    let masked = card.masked_response();
    let id = record(
        store,
        call,
        NewRefund {
            amount,
            card: Some(card),
            extras,
            customer_id: None,
            original: None,
            entry: EntryMode::Keyed,
        },
    );
    refunded_reply(id, Some(masked))
}

/// `/v1/transactions/refund/swiped` (path UNCONFIRMED): unlinked refund to swiped track data.
pub(crate) fn swiped(store: &mut Store, call: &Call<'_>) -> Reply {
    let mut errors = Errors::new();
    let amount = read_amount(call.body, &mut errors);
    let mut extras = read_extras(call.body, false, &mut errors);
    let parsed = call.body.str("swipe").as_deref().and_then(parse_swipe);
    if parsed.is_none() {
        errors.add(codes::E_SWIPE, "Please provide valid swipe data.");
    }
    if let Err(r) = errors.check() {
        return r;
    }
    let (Some(amount), Some((card, name))) = (amount, parsed) else {
        return Reply::error(
            codes::E_AMOUNT,
            "Please provide a valid Transaction Amount.",
        );
    };
    if extras.billing.name.is_empty() {
        extras.billing.name = name;
    }
    let card = card.summary();
    let masked = card.masked_response();
    let id = record(
        store,
        call,
        NewRefund {
            amount,
            card: Some(card),
            extras,
            customer_id: None,
            original: None,
            entry: EntryMode::Swiped,
        },
    );
    refunded_reply(id, Some(masked))
}

/// `/v1/transactions/refund/to_customer`: unlinked refund to a vault customer's card.
pub(crate) fn to_customer(store: &mut Store, call: &Call<'_>) -> Reply {
    let mut errors = Errors::new();
    let amount = read_amount(call.body, &mut errors);
    let customer_id = read_customer_id(call.body, &mut errors);
    let mut extras = read_extras(call.body, false, &mut errors);
    let customer = customer_id.as_ref().and_then(|id| store.customers.get(id));
    if customer_id.is_some() && customer.is_none_or(|c| c.card.is_none()) {
        errors.add(
            codes::E_CUSTOMER_NOT_FOUND,
            "Please provide a valid Customer ID.",
        );
    }
    if let Err(r) = errors.check() {
        return r;
    }
    let (Some(amount), Some(c)) = (amount, customer) else {
        return Reply::error(
            codes::E_CUSTOMER_NOT_FOUND,
            "Please provide a valid Customer ID.",
        );
    };
    if extras.billing.is_empty() {
        extras.billing = c.billing_address.clone();
    }
    let refund = NewRefund {
        amount,
        card: c.card.clone(),
        extras,
        customer_id: Some(c.customer_id.clone()),
        original: None,
        entry: EntryMode::Customer,
    };
    let id = record(store, call, refund);
    refunded_reply(id, None)
}
