//! Card sales and authorizations (reference §2.1).
//!
//! Outcome rules: an expired card declines with `"EXPIRED CARD - Expired card"`; otherwise
//! the first matching [`DeclineRule`](crate::paytrace::DeclineRule) declines; otherwise the
//! transaction is approved, unless the AVS/CSC auto-void rule voids it (103, `success:false`,
//! recorded as voided). AVS is simulated from the billing address (street + zip → `Full Exact
//! Match`, zip only → `Zip Match Only`, street only → `Address Match Only`, none or a zip in
//! `avs_mismatch_zips` → `No Match`); CSC from the `csc` (absent → `Not Processed`, a value in
//! `csc_mismatch_values` → `No Match`, else `Match`).

use rust_decimal::Decimal;
use serde_json::{Map, Value};

use super::super::codes;
use super::super::dispatch::Call;
use super::super::input::Input;
use super::super::json::J;
use super::super::model::{
    Address, CardSummary, Customer, EntryMode, Transaction, TransactionKind, TransactionStatus,
};
use super::super::reply::{Errors, Reply, missing};
use super::super::store::Store;
use super::super::validate::{
    self, email_ok, expired, parse_swipe, read_amount, read_card, read_csc, read_optional_amount,
    read_transaction_id,
};

/// Everything needed to record one sale/authorization/refund.
pub(crate) struct Charge {
    pub(crate) kind: TransactionKind,
    pub(crate) entry: EntryMode,
    pub(crate) card: CardSummary,
    pub(crate) csc: Option<String>,
    pub(crate) amount: Decimal,
    pub(crate) extras: Extras,
    pub(crate) customer_id: Option<String>,
    pub(crate) recurrence_id: Option<u64>,
    pub(crate) user: String,
    pub(crate) ip: String,
}

/// Optional fields common to sales, authorizations and refunds (§3.2).
#[derive(Clone, Debug, Default)]
pub(crate) struct Extras {
    pub(crate) billing: Address,
    pub(crate) shipping: Address,
    pub(crate) invoice_id: String,
    pub(crate) description: String,
    pub(crate) customer_reference_id: String,
    pub(crate) tax_amount: Option<Decimal>,
    pub(crate) email: String,
    pub(crate) discretionary_data: Map<String, Value>,
}

/// Read the §3.2 extras; `require_invoice` applies to sales/authorizations.
pub(crate) fn read_extras(body: Input<'_>, require_invoice: bool, errors: &mut Errors) -> Extras {
    let invoice_id = body.text("invoice_id");
    if (require_invoice && invoice_id.is_empty()) || invoice_id.chars().count() > 50 {
        errors.add(codes::E_INVOICE, "Please provide a valid Invoice Number.");
    }
    let email = body.text("email");
    if !email.is_empty() && !email_ok(&email) {
        errors.add(codes::E_EMAIL, "Please provide a valid Email Address.");
    }
    Extras {
        billing: body.address("billing_address"),
        shipping: body.address("shipping_address"),
        invoice_id,
        description: body.text("description"),
        customer_reference_id: body.text("customer_reference_id"),
        tax_amount: read_optional_amount(body, "tax_amount", errors),
        email,
        discretionary_data: body.map("discretionary_data").cloned().unwrap_or_default(),
    }
}

fn avs_result(store: &Store, a: &Address) -> &'static str {
    if !a.zip.is_empty() && store.config.avs_mismatch_zips.contains(&a.zip) {
        return "No Match";
    }
    match (!a.street_address.is_empty(), !a.zip.is_empty()) {
        (true, true) => "Full Exact Match",
        (false, true) => "Zip Match Only",
        (true, false) => "Address Match Only",
        (false, false) => "No Match",
    }
}

fn csc_result(store: &Store, csc: Option<&str>) -> &'static str {
    match csc {
        None => "Not Processed",
        Some(c) if store.config.csc_mismatch_values.iter().any(|m| m == c) => "No Match",
        Some(_) => "Match",
    }
}

fn approval_text(avs: &str) -> &'static str {
    match avs {
        "Full Exact Match" => "  EXACT MATCH - Approved and completed",
        "Zip Match Only" => "  ZIP MATCH - Approved and completed",
        "Address Match Only" => "  ADDRESS MATCH - Approved and completed",
        _ => "  NO  MATCH - Approved and completed",
    }
}

/// Record a sale/authorization with its outcome; returns the new transaction id.
pub(crate) fn charge(store: &mut Store, c: Charge) -> u64 {
    let today = store.today();
    let avs = avs_result(store, &c.extras.billing).to_owned();
    let csc = csc_result(store, c.csc.as_deref()).to_owned();
    let decline = if expired(c.card.expiration_month, c.card.expiration_year, today) {
        Some("EXPIRED CARD - Expired card".to_owned())
    } else {
        store.decline_for(&c.card, c.amount)
    };
    let (status, code, approval_code, approval_message) = match decline {
        Some(text) => (
            TransactionStatus::Declined,
            codes::RC_DECLINED,
            String::new(),
            text,
        ),
        None => {
            let voids =
                store.config.auto_void.as_ref().is_some_and(|r| {
                    r.avs_responses.contains(&avs) || r.csc_responses.contains(&csc)
                });
            let status = if voids {
                TransactionStatus::Voided
            } else if c.kind == TransactionKind::Authorization {
                TransactionStatus::AuthorizationOnly
            } else {
                TransactionStatus::PendingSettlement
            };
            let code = if voids {
                codes::RC_AUTO_VOIDED
            } else {
                codes::RC_APPROVED
            };
            (
                status,
                code,
                store.approval_code(),
                approval_text(&avs).to_owned(),
            )
        }
    };
    let id = store.next_transaction_id();
    let now = store.now();
    store.transactions.insert(
        id,
        Transaction {
            id,
            kind: c.kind,
            entry: c.entry,
            status,
            response_code: code,
            amount: c.amount,
            original_amount: c.amount,
            refunded: Decimal::ZERO,
            original_transaction_id: None,
            captured: false,
            card: Some(c.card),
            customer_id: c.customer_id,
            recurrence_id: c.recurrence_id,
            invoice_id: c.extras.invoice_id,
            description: c.extras.description,
            customer_reference_id: c.extras.customer_reference_id,
            tax_amount: c.extras.tax_amount,
            billing_address: c.extras.billing,
            shipping_address: c.extras.shipping,
            email: c.extras.email,
            receipt_emailed_to: String::new(),
            discretionary_data: c.extras.discretionary_data,
            approval_code,
            approval_message,
            avs_response: avs,
            csc_response: csc,
            created_at: now,
            created_by: c.user,
            from_ip: c.ip,
            settled_at: None,
            batch_number: None,
            level_three: None,
        },
    );
    id
}

/// Which way the card is supplied.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Source {
    Keyed,
    Swiped,
    Customer,
    Transaction,
    Protect,
    ProtectCustomer,
}

struct Resolved {
    card: CardSummary,
    csc: Option<String>,
    billing_fallback: Address,
    customer_id: Option<String>,
    hpf_token: Option<String>,
}

/// Look up a Protect token; 961 when unknown, used, or the `enc_key` does not match.
pub(crate) fn read_hpf(
    store: &Store,
    body: Input<'_>,
    errors: &mut Errors,
) -> Option<(String, CardSummary, Option<String>)> {
    let token = body.str("hpf_token");
    let key = body.str("enc_key");
    if token.is_none() {
        missing(errors, "hpf_token");
    }
    if key.is_none() {
        missing(errors, "enc_key");
    }
    let (token, key) = (token?, key?);
    match store.hpf.get(&token) {
        Some(e) if !e.used && e.enc_key == key => Some((token, e.card.clone(), e.csc.clone())),
        _ => {
            errors.add(
                codes::E_HPF_TOKEN,
                "No payment fields found with the provided token.",
            );
            None
        }
    }
}

fn resolve(
    store: &Store,
    call: &Call<'_>,
    source: Source,
    errors: &mut Errors,
) -> Option<Resolved> {
    let body = call.body;
    match source {
        Source::Keyed => {
            let card = read_card(body, errors);
            let csc = read_csc(body, store.config.require_csc, errors);
            Some(Resolved {
                card: card?.summary(),
                csc,
                billing_fallback: Address::default(),
                customer_id: None,
                hpf_token: None,
            })
        }
        Source::Swiped => {
            let csc = read_csc(body, false, errors);
            let parsed = body.str("swipe").as_deref().and_then(parse_swipe);
            let Some((card, name)) = parsed else {
                let why = if body.has("encrypted_swipe") {
                    "Please provide valid swipe data. (encrypted_swipe is not supported by the sandbox)"
                } else {
                    "Please provide valid swipe data."
                };
                errors.add(codes::E_SWIPE, why);
                return None;
            };
            Some(Resolved {
                card: card.summary(),
                csc,
                billing_fallback: Address {
                    name,
                    ..Address::default()
                },
                customer_id: None,
                hpf_token: None,
            })
        }
        Source::Customer => {
            let csc = read_csc(body, false, errors);
            let id = validate::read_customer_id(body, errors)?;
            match store.customers.get(&id) {
                Some(Customer {
                    card: Some(card),
                    billing_address,
                    ..
                }) => Some(Resolved {
                    card: card.clone(),
                    csc,
                    billing_fallback: billing_address.clone(),
                    customer_id: Some(id),
                    hpf_token: None,
                }),
                Some(_) => {
                    errors.add(
                        codes::E_CUSTOMER_NOT_FOUND,
                        format!("The customer profile for {id} has no credit card."),
                    );
                    None
                }
                None => {
                    errors.add(
                        codes::E_CUSTOMER_NOT_FOUND,
                        "Please provide a valid Customer ID.",
                    );
                    None
                }
            }
        }
        Source::Transaction => {
            let csc = read_csc(body, false, errors);
            let id = read_transaction_id(body, errors)?;
            match store
                .transactions
                .get(&id)
                .and_then(|t| t.card.clone().map(|c| (t, c)))
            {
                Some((t, card)) => Some(Resolved {
                    card,
                    csc,
                    billing_fallback: t.billing_address.clone(),
                    customer_id: None,
                    hpf_token: None,
                }),
                None => {
                    errors.add(
                        codes::E_TRANSACTION_NOT_FOUND,
                        format!("Transaction ID {id} was not found."),
                    );
                    None
                }
            }
        }
        Source::Protect | Source::ProtectCustomer => {
            let customer_id = if source == Source::ProtectCustomer {
                let id = body.str("customer_id");
                if let Some(id) = &id
                    && store.customers.contains_key(id)
                {
                    errors.add(
                        codes::E_DUPLICATE_CUSTOMER,
                        "Please provide a unique customer ID.",
                    );
                }
                id
            } else {
                None
            };
            let (token, card, csc) = read_hpf(store, body, errors)?;
            Some(Resolved {
                card,
                csc,
                billing_fallback: Address::default(),
                customer_id,
                hpf_token: Some(token),
            })
        }
    }
}

fn status_message(code: u16) -> &'static str {
    match code {
        codes::RC_APPROVED | codes::RC_PROTECT_SALE_CUSTOMER_CREATED => {
            "Your transaction was successfully approved."
        }
        codes::RC_AUTO_VOIDED => {
            "Your transaction was successfully approved. However, it was voided because your address and/or CSC did not match."
        }
        _ => "Your transaction was not approved.",
    }
}

fn process(store: &mut Store, call: &Call<'_>, kind: TransactionKind, source: Source) -> Reply {
    let body = call.body;
    let mut errors = Errors::new();
    let amount = read_amount(body, &mut errors);
    let mut extras = read_extras(body, store.config.require_invoice, &mut errors);
    let resolved = resolve(store, call, source, &mut errors);
    if let Err(r) = errors.check() {
        return r;
    }
    let (Some(amount), Some(r)) = (amount, resolved) else {
        return Reply::error(
            codes::E_PARAM_MISSING,
            "Param is missing or the value is empty.",
        );
    };
    if extras.billing.is_empty() {
        extras.billing = r.billing_fallback.clone();
    }
    if let Some(dup) = store.find_duplicate(&r.card, amount, &extras.invoice_id, &call.user) {
        return Reply::error(
            codes::E_DUPLICATE_TRANSACTION,
            format!(
                "The transaction was rejected as a duplicate of transaction ID {dup} within the duplicate transaction window."
            ),
        );
    }
    if let Some(t) = &r.hpf_token
        && let Some(e) = store.hpf.get_mut(t)
    {
        e.used = true;
    }
    let entry = match source {
        Source::Keyed => EntryMode::Keyed,
        Source::Swiped => EntryMode::Swiped,
        Source::Customer => EntryMode::Customer,
        Source::Transaction => EntryMode::Transaction,
        Source::Protect | Source::ProtectCustomer => EntryMode::Protect,
    };
    let new_customer = (source == Source::ProtectCustomer).then(|| {
        r.customer_id
            .clone()
            .unwrap_or_else(|| store.next_customer_id())
    });
    let card = r.card.clone();
    let billing = extras.billing.clone();
    let shipping = extras.shipping.clone();
    let email = extras.email.clone();
    let customer_id = if source == Source::Customer {
        r.customer_id.clone()
    } else {
        None
    };
    let id = charge(
        store,
        Charge {
            kind,
            entry,
            card: r.card,
            csc: r.csc,
            amount,
            extras,
            customer_id,
            recurrence_id: None,
            user: call.user.clone(),
            ip: call.ip.clone(),
        },
    );
    let Some(t) = store.transactions.get_mut(&id) else {
        return Reply::error(
            codes::E_TRANSACTION_NOT_FOUND,
            "Transaction was not recorded.",
        );
    };
    let mut created_customer = None;
    if let Some(cid) = new_customer
        && t.response_code == codes::RC_APPROVED
    {
        t.response_code = codes::RC_PROTECT_SALE_CUSTOMER_CREATED;
        t.customer_id = Some(cid.clone());
        created_customer = Some(cid);
    }
    let t = t.clone();
    if let Some(cid) = &created_customer {
        let now = store.now();
        store.customers.insert(
            cid.clone(),
            Customer {
                customer_id: cid.clone(),
                card: Some(card),
                bank_account: None,
                billing_address: billing,
                shipping_address: shipping,
                email,
                phone: String::new(),
                fax: String::new(),
                discretionary_data: Map::new(),
                created_at: now,
            },
        );
    }
    let success = matches!(
        t.response_code,
        codes::RC_APPROVED | codes::RC_PROTECT_SALE_CUSTOMER_CREATED
    );
    let mut j = J::obj()
        .with("success", success)
        .with("response_code", t.response_code)
        .with("status_message", status_message(t.response_code))
        .with("transaction_id", t.id)
        .with("approval_code", &t.approval_code)
        .with("approval_message", &t.approval_message)
        .with("avs_response", &t.avs_response)
        .with("csc_response", &t.csc_response)
        .with("external_transaction_id", "");
    if matches!(source, Source::Keyed | Source::Swiped)
        && let Some(c) = &t.card
    {
        j = j.with("masked_card_number", c.masked_response());
    }
    if let Some(cid) = created_customer {
        j = j.with("customer_id", cid);
    }
    Reply::ok(j)
}

/// `/v1/transactions/sale/keyed`
pub(crate) fn sale_keyed(s: &mut Store, c: &Call<'_>) -> Reply {
    process(s, c, TransactionKind::Sale, Source::Keyed)
}
/// `/v1/transactions/sale/swiped`
pub(crate) fn sale_swiped(s: &mut Store, c: &Call<'_>) -> Reply {
    process(s, c, TransactionKind::Sale, Source::Swiped)
}
/// `/v1/transactions/sale/by_customer`
pub(crate) fn sale_by_customer(s: &mut Store, c: &Call<'_>) -> Reply {
    process(s, c, TransactionKind::Sale, Source::Customer)
}
/// `/v1/transactions/sale/by_transaction`
pub(crate) fn sale_by_transaction(s: &mut Store, c: &Call<'_>) -> Reply {
    process(s, c, TransactionKind::Sale, Source::Transaction)
}
/// `/v1/transactions/sale/pt_protect`
pub(crate) fn sale_pt_protect(s: &mut Store, c: &Call<'_>) -> Reply {
    process(s, c, TransactionKind::Sale, Source::Protect)
}
/// `/v1/transactions/sale/pt_protect_customer`
pub(crate) fn sale_pt_protect_customer(s: &mut Store, c: &Call<'_>) -> Reply {
    process(s, c, TransactionKind::Sale, Source::ProtectCustomer)
}
/// `/v1/transactions/authorization/keyed`
pub(crate) fn auth_keyed(s: &mut Store, c: &Call<'_>) -> Reply {
    process(s, c, TransactionKind::Authorization, Source::Keyed)
}
/// `/v1/transactions/authorization/swiped` (path UNCONFIRMED; by analogy with the sale).
pub(crate) fn auth_swiped(s: &mut Store, c: &Call<'_>) -> Reply {
    process(s, c, TransactionKind::Authorization, Source::Swiped)
}
/// `/v1/transactions/authorization/by_customer`
pub(crate) fn auth_by_customer(s: &mut Store, c: &Call<'_>) -> Reply {
    process(s, c, TransactionKind::Authorization, Source::Customer)
}
/// `/v1/transactions/authorization/by_transaction`
pub(crate) fn auth_by_transaction(s: &mut Store, c: &Call<'_>) -> Reply {
    process(s, c, TransactionKind::Authorization, Source::Transaction)
}
/// `/v1/transactions/authorization/pt_protect`
pub(crate) fn auth_pt_protect(s: &mut Store, c: &Call<'_>) -> Reply {
    process(s, c, TransactionKind::Authorization, Source::Protect)
}
