//! Customer vault (reference §2.5).
//!
//! ACH-only profiles (field names UNCONFIRMED on create): the sandbox accepts
//! `check{account_number, routing_number}` on create and update, and on update also the
//! legacy-style top-level `direct_deposit_account` + `transit_routing_number`. A profile needs a
//! card or an account; with neither, create fails with the card errors (35/43/44).

use serde_json::Map;

use super::super::codes;
use super::super::dispatch::Call;
use super::super::export::customer_record;
use super::super::input::Input;
use super::super::json::J;
use super::super::model::{Address, BankAccount, CardSummary, Customer};
use super::super::reply::{COMPLETED_MESSAGE, Errors, Reply, success};
use super::super::store::Store;
use super::super::validate::{
    email_ok, parse_month, parse_year, read_bank_account, read_card, read_customer_id,
    read_transaction_id,
};
use super::cards::read_hpf;

/// Contact fields shared by create and update.
struct Contact {
    billing: Option<Address>,
    shipping: Option<Address>,
    email: Option<String>,
    phone: Option<String>,
    fax: Option<String>,
    discretionary: Option<Map<String, serde_json::Value>>,
}

fn read_contact(body: Input<'_>, errors: &mut Errors) -> Contact {
    let email = body.str("email");
    if let Some(e) = &email
        && !email_ok(e)
    {
        errors.add(codes::E_EMAIL, "Please provide a valid Email Address.");
    }
    Contact {
        billing: body
            .obj("billing_address")
            .map(|_| body.address("billing_address")),
        shipping: body
            .obj("shipping_address")
            .map(|_| body.address("shipping_address")),
        email,
        phone: body.str("phone"),
        fax: body.str("fax"),
        discretionary: body.map("discretionary_data").cloned(),
    }
}

fn apply_contact(c: &mut Customer, contact: Contact) {
    if let Some(b) = contact.billing {
        c.billing_address = b;
    }
    if let Some(s) = contact.shipping {
        c.shipping_address = s;
    }
    if let Some(e) = contact.email {
        c.email = e;
    }
    if let Some(p) = contact.phone {
        c.phone = p;
    }
    if let Some(f) = contact.fax {
        c.fax = f;
    }
    if let Some(d) = contact.discretionary {
        c.discretionary_data = d;
    }
}

fn new_customer(id: &str, now: chrono::DateTime<chrono::Utc>) -> Customer {
    Customer {
        customer_id: id.to_owned(),
        card: None,
        bank_account: None,
        billing_address: Address::default(),
        shipping_address: Address::default(),
        email: String::new(),
        phone: String::new(),
        fax: String::new(),
        discretionary_data: Map::new(),
        created_at: now,
    }
}

fn profile_message(c: &Customer, verb: &str) -> String {
    format!(
        "The customer profile for {}/{} was successfully {verb}.",
        c.customer_id, c.billing_address.name
    )
}

fn profile_reply(code: u16, c: &Customer, verb: &str, with_mask: bool) -> Reply {
    let mut j = success(code, profile_message(c, verb)).with("customer_id", &c.customer_id);
    if with_mask {
        j = j.with(
            "masked_card_number",
            c.card
                .as_ref()
                .map(CardSummary::masked_response)
                .unwrap_or_default(),
        );
    }
    Reply::ok(j)
}

fn unique_id_error(errors: &mut Errors) {
    errors.add(
        codes::E_DUPLICATE_CUSTOMER,
        "Please provide a unique customer ID.",
    );
}

fn not_found() -> Reply {
    Reply::error(
        codes::E_CUSTOMER_NOT_FOUND,
        "Please provide a valid Customer ID.",
    )
}

/// `/v1/customer/create`
pub(crate) fn create(store: &mut Store, call: &Call<'_>) -> Reply {
    let body = call.body;
    let mut errors = Errors::new();
    let id = read_customer_id(body, &mut errors);
    if id.as_ref().is_some_and(|i| store.customers.contains_key(i)) {
        unique_id_error(&mut errors);
    }
    if id.as_ref().is_some_and(|i| i.chars().count() > 50) {
        errors.add(
            codes::E_CUSTOMER_NOT_FOUND,
            "The customer ID cannot exceed 50 characters.",
        );
    }
    let has_check = body.obj("check").is_some();
    let card = if body.obj("credit_card").is_some() || !has_check {
        read_card(body, &mut errors).map(|c| c.summary())
    } else {
        None
    };
    let account = if has_check {
        read_bank_account(
            body.obj("check"),
            "account_number",
            "routing_number",
            &mut errors,
        )
    } else {
        None
    };
    let contact = read_contact(body, &mut errors);
    if let Err(r) = errors.check() {
        return r;
    }
    let Some(id) = id else {
        return not_found();
    };
    let mut c = new_customer(&id, store.now());
    c.card = card;
    c.bank_account = account;
    apply_contact(&mut c, contact);
    let reply = profile_reply(codes::RC_CUSTOMER_CREATED, &c, "created", true);
    store.customers.insert(id, c);
    reply
}

/// `/v1/customer/create_from_transaction`: copies the card (and billing address unless one
/// is given) of a card transaction.
pub(crate) fn create_from_transaction(store: &mut Store, call: &Call<'_>) -> Reply {
    let body = call.body;
    let mut errors = Errors::new();
    let id = read_customer_id(body, &mut errors);
    if id.as_ref().is_some_and(|i| store.customers.contains_key(i)) {
        unique_id_error(&mut errors);
    }
    let txn = read_transaction_id(body, &mut errors);
    let contact = read_contact(body, &mut errors);
    if let Err(r) = errors.check() {
        return r;
    }
    let (Some(id), Some(txn)) = (id, txn) else {
        return not_found();
    };
    let Some((card, billing)) = store
        .transactions
        .get(&txn)
        .and_then(|t| t.card.clone().map(|c| (c, t.billing_address.clone())))
    else {
        return Reply::error(
            codes::E_TRANSACTION_NOT_FOUND,
            format!("Transaction ID {txn} was not found."),
        );
    };
    let mut c = new_customer(&id, store.now());
    c.card = Some(card);
    c.billing_address = billing;
    apply_contact(&mut c, contact);
    let reply = profile_reply(codes::RC_CUSTOMER_CREATED, &c, "created", false);
    store.customers.insert(id, c);
    reply
}

/// `/v1/customer/pt_protect_create`: empty `customer_id` → PayTrace assigns a numeric id.
pub(crate) fn pt_protect_create(store: &mut Store, call: &Call<'_>) -> Reply {
    let body = call.body;
    let mut errors = Errors::new();
    let id = body.str("customer_id");
    if id.as_ref().is_some_and(|i| store.customers.contains_key(i)) {
        unique_id_error(&mut errors);
    }
    let hpf = read_hpf(store, body, &mut errors);
    let contact = read_contact(body, &mut errors);
    if let Err(r) = errors.check() {
        return r;
    }
    let Some((token, card, _)) = hpf else {
        return Reply::error(
            codes::E_HPF_TOKEN,
            "No payment fields found with the provided token.",
        );
    };
    if let Some(e) = store.hpf.get_mut(&token) {
        e.used = true;
    }
    let id = id.unwrap_or_else(|| store.next_customer_id());
    let mut c = new_customer(&id, store.now());
    c.card = Some(card);
    apply_contact(&mut c, contact);
    let reply = profile_reply(codes::RC_CUSTOMER_CREATED, &c, "created", true);
    store.customers.insert(id, c);
    reply
}

/// Card changes on update: a full new card, or only a new expiry for the card on file.
fn read_card_update(
    body: Input<'_>,
    current: Option<&CardSummary>,
    errors: &mut Errors,
) -> Option<CardSummary> {
    let cc = body.obj("credit_card")?;
    if cc.raw("number").is_some() || cc.raw("encrypted_number").is_some() {
        return read_card(body, errors).map(|c| c.summary());
    }
    let Some(mut card) = current.cloned() else {
        errors.add(
            codes::E_CARD_NUMBER,
            "Please provide a valid Credit Card Number.",
        );
        return None;
    };
    if cc.raw("expiration_month").is_some() {
        match parse_month(cc.raw("expiration_month")) {
            Some(m) => card.expiration_month = m,
            None => errors.add(
                codes::E_EXPIRATION_MONTH,
                "Please provide a valid Expiration Month.",
            ),
        }
    }
    if cc.raw("expiration_year").is_some() {
        match parse_year(cc.raw("expiration_year")) {
            Some(y) => card.expiration_year = y,
            None => errors.add(
                codes::E_EXPIRATION_YEAR,
                "Please provide a valid Expiration Year.",
            ),
        }
    }
    Some(card)
}

fn read_account_update(body: Input<'_>, errors: &mut Errors) -> Option<BankAccount> {
    if let Some(check) = body.obj("check") {
        return read_bank_account(Some(check), "account_number", "routing_number", errors);
    }
    if body.has("direct_deposit_account") || body.has("transit_routing_number") {
        return read_bank_account(
            Some(body),
            "direct_deposit_account",
            "transit_routing_number",
            errors,
        );
    }
    None
}

/// `/v1/customer/update`: optional `new_id` renames the profile (171 if taken); recurrences
/// follow the rename.
pub(crate) fn update(store: &mut Store, call: &Call<'_>) -> Reply {
    let body = call.body;
    let mut errors = Errors::new();
    let Some(id) = read_customer_id(body, &mut errors) else {
        return Reply::errors(errors);
    };
    let Some(current) = store.customers.get(&id) else {
        return not_found();
    };
    let new_id = body.str("new_id").filter(|n| *n != id);
    if new_id
        .as_ref()
        .is_some_and(|n| store.customers.contains_key(n))
    {
        unique_id_error(&mut errors);
    }
    let card = read_card_update(body, current.card.as_ref(), &mut errors);
    let account = read_account_update(body, &mut errors);
    let contact = read_contact(body, &mut errors);
    if let Err(r) = errors.check() {
        return r;
    }
    let Some(mut c) = store.customers.remove(&id) else {
        return not_found();
    };
    if card.is_some() {
        c.card = card;
    }
    if account.is_some() {
        c.bank_account = account;
    }
    apply_contact(&mut c, contact);
    if let Some(n) = new_id {
        c.customer_id = n.clone();
        for r in store.recurrences.values_mut() {
            if r.customer_id == id {
                r.customer_id = n.clone();
            }
        }
    }
    let reply = profile_reply(codes::RC_CUSTOMER_UPDATED, &c, "updated", true);
    store.customers.insert(c.customer_id.clone(), c);
    reply
}

/// `/v1/customer/pt_protect_update`: replace the card with the one behind a Protect token.
pub(crate) fn pt_protect_update(store: &mut Store, call: &Call<'_>) -> Reply {
    let body = call.body;
    let mut errors = Errors::new();
    let id = read_customer_id(body, &mut errors);
    let hpf = read_hpf(store, body, &mut errors);
    let contact = read_contact(body, &mut errors);
    if let Err(r) = errors.check() {
        return r;
    }
    let (Some(id), Some((token, card, _))) = (id, hpf) else {
        return not_found();
    };
    if !store.customers.contains_key(&id) {
        return not_found();
    }
    if let Some(e) = store.hpf.get_mut(&token) {
        e.used = true;
    }
    let Some(c) = store.customers.get_mut(&id) else {
        return not_found();
    };
    c.card = Some(card);
    apply_contact(c, contact);
    profile_reply(codes::RC_CUSTOMER_UPDATED, c, "updated", true)
}

/// `/v1/customer/delete`: also deletes the customer's recurrences.
pub(crate) fn delete(store: &mut Store, call: &Call<'_>) -> Reply {
    let mut errors = Errors::new();
    let Some(id) = read_customer_id(call.body, &mut errors) else {
        return Reply::errors(errors);
    };
    let Some(c) = store.customers.remove(&id) else {
        return not_found();
    };
    store.recurrences.retain(|_, r| r.customer_id != id);
    Reply::ok(
        success(codes::RC_CUSTOMER_DELETED, profile_message(&c, "deleted"))
            .with("customer_id", &c.customer_id),
    )
}

/// `/v1/customer/export`: all profiles, or the one named by `customer_id` (30 if unknown).
pub(crate) fn export(store: &mut Store, call: &Call<'_>) -> Reply {
    let records: Vec<J> = match call.body.str("customer_id") {
        Some(id) => match store.customers.get(&id) {
            Some(c) => vec![customer_record(c)],
            None => return not_found(),
        },
        None => store.customers.values().map(customer_record).collect(),
    };
    Reply::ok(success(codes::RC_ERRORS_OR_COMPLETED, COMPLETED_MESSAGE).with("customers", records))
}

/// `/v1/customer/export_inactive` (path and `days_inactive` UNCONFIRMED): profiles with no
/// card or check transaction (nor creation) in the last `days_inactive` days.
pub(crate) fn export_inactive(store: &mut Store, call: &Call<'_>) -> Reply {
    let days = match call.body.id("days_inactive") {
        super::super::input::Field::Ok(d) => d,
        _ => {
            let mut e = Errors::new();
            super::super::reply::missing(&mut e, "days_inactive");
            return Reply::errors(e);
        }
    };
    let days = i64::try_from(days).unwrap_or(i64::MAX).min(365_000);
    let cutoff = store.now() - chrono::TimeDelta::days(days);
    let records: Vec<J> = store
        .customers
        .values()
        .filter(|c| {
            let id = Some(c.customer_id.as_str());
            let last_card = store
                .transactions
                .values()
                .filter(|t| t.customer_id.as_deref() == id)
                .map(|t| t.created_at)
                .max();
            let last_check = store
                .checks
                .values()
                .filter(|t| t.customer_id.as_deref() == id)
                .map(|t| t.created_at)
                .max();
            let last = [Some(c.created_at), last_card, last_check]
                .into_iter()
                .flatten()
                .max()
                .unwrap_or(c.created_at);
            last < cutoff
        })
        .map(customer_record)
        .collect();
    Reply::ok(success(codes::RC_ERRORS_OR_COMPLETED, COMPLETED_MESSAGE).with("customers", records))
}
