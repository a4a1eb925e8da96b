//! Recurring payments (reference §2.6, §3.6).
//!
//! UNCONFIRMED points and the sandbox's choices:
//! * `customer_id` is read inside `recurrence{}` first, then at the top level.
//! * `frequency` codes follow the legacy API: `1` annually, `8` semi-annually, `A` trimesterly
//!   (every 4 months), `2` quarterly, `9` bi-monthly (every 2 months), `3` monthly, `4`
//!   bi-weekly, `7` the 1st and 15th, `5` weekly, `6` daily. The English words are accepted too.
//! * `total_count` 999 runs until cancelled.
//! * `/v1/recurrence/update` takes `recurrence{id, …}` with the fields to change (151).
//! * `/v1/recurrence/export_approved` answers 155 with `transactions[]` (§5.1 records) of the
//!   customer's approved recurring charges.
//! * Charges are not run by a background job: the test calls
//!   [`PayTraceEmulator::run_due_recurrences`](crate::paytrace::PayTraceEmulator::run_due_recurrences),
//!   after moving the clock if needed.

use chrono::{Datelike, Months, NaiveDate, TimeDelta};
use rust_decimal::Decimal;

use super::super::codes;
use super::super::dispatch::Call;
use super::super::export::{recurrence_json, transaction_record};
use super::super::input::{Field, Input};
use super::super::json::J;
use super::super::model::{EntryMode, Recurrence, TransactionKind};
use super::super::reply::{Errors, Reply, missing, success};
use super::super::store::Store;
use super::super::validate::{parse_date, read_customer_id};
use super::cards::{Charge, Extras, charge};

/// How a frequency advances the next date.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Step {
    Months(u32),
    Days(i64),
    FirstAndFifteenth,
}

fn frequency_step(code: &str) -> Option<Step> {
    let c = code.trim().to_ascii_lowercase().replace(['-', '_'], " ");
    Some(match c.as_str() {
        "1" | "annually" | "yearly" => Step::Months(12),
        "8" | "semi annually" | "semiannually" => Step::Months(6),
        "a" | "trimesterly" => Step::Months(4),
        "2" | "quarterly" => Step::Months(3),
        "9" | "bi monthly" | "bimonthly" => Step::Months(2),
        "3" | "monthly" => Step::Months(1),
        "4" | "bi weekly" | "biweekly" => Step::Days(14),
        "7" | "1st and 15th" => Step::FirstAndFifteenth,
        "5" | "weekly" => Step::Days(7),
        "6" | "daily" => Step::Days(1),
        _ => return None,
    })
}

fn advance(date: NaiveDate, step: Step) -> NaiveDate {
    match step {
        Step::Months(n) => date.checked_add_months(Months::new(n)).unwrap_or(date),
        Step::Days(n) => date.checked_add_signed(TimeDelta::days(n)).unwrap_or(date),
        Step::FirstAndFifteenth => {
            if date.day() < 15 {
                date.with_day(15).unwrap_or(date)
            } else {
                date.with_day(1)
                    .and_then(|d| d.checked_add_months(Months::new(1)))
                    .unwrap_or(date)
            }
        }
    }
}

/// Fields of a `recurrence{}` object; `None` = not given.
struct Fields {
    amount: Option<Decimal>,
    start_date: Option<NaiveDate>,
    frequency: Option<String>,
    total_count: Option<u32>,
    transaction_type: Option<String>,
    description: Option<String>,
}

fn read_fields(r: Input<'_>, errors: &mut Errors) -> Fields {
    let amount = match r.amount("amount") {
        Field::Ok(a) => Some(a),
        Field::Missing => None,
        Field::Invalid => {
            errors.add(
                codes::E_AMOUNT,
                "Please provide a valid Transaction Amount.",
            );
            None
        }
    };
    let start_date = r.str("start_date").and_then(|s| {
        let d = parse_date(&s);
        if d.is_none() {
            errors.add(
                codes::E_DATE,
                "Please provide a valid start_date (MM/DD/YYYY).",
            );
        }
        d
    });
    let frequency = r.str("frequency");
    if frequency
        .as_deref()
        .is_some_and(|f| frequency_step(f).is_none())
    {
        errors.add(
            codes::E_RECURRENCE_FIELD,
            "Please provide a valid frequency.",
        );
    }
    let total_count = match r.id("total_count") {
        Field::Ok(n) => match u32::try_from(n) {
            Ok(n) if n <= 999 => Some(n),
            _ => {
                errors.add(
                    codes::E_RECURRENCE_FIELD,
                    "Please provide a valid total_count.",
                );
                None
            }
        },
        Field::Missing => None,
        Field::Invalid => {
            errors.add(
                codes::E_RECURRENCE_FIELD,
                "Please provide a valid total_count.",
            );
            None
        }
    };
    let transaction_type =
        r.str("transaction_type")
            .map(|t| match t.to_ascii_lowercase().as_str() {
                "sale" => "Sale".to_owned(),
                "authorization" => "Authorization".to_owned(),
                _ => {
                    errors.add(
                        codes::E_RECURRENCE_FIELD,
                        "Please provide a valid transaction_type.",
                    );
                    t
                }
            });
    Fields {
        amount,
        start_date,
        frequency,
        total_count,
        transaction_type,
        description: r.str("description"),
    }
}

fn recurrence_obj<'a>(body: Input<'a>, errors: &mut Errors) -> Option<Input<'a>> {
    let r = body.obj("recurrence");
    if r.is_none() {
        missing(errors, "recurrence");
    }
    r
}

/// `/v1/recurrence/create`
pub(crate) fn create(store: &mut Store, call: &Call<'_>) -> Reply {
    let mut errors = Errors::new();
    let Some(r) = recurrence_obj(call.body, &mut errors) else {
        return Reply::errors(errors);
    };
    let customer_id = r
        .str("customer_id")
        .or_else(|| read_customer_id(call.body, &mut errors));
    let f = read_fields(r, &mut errors);
    if f.amount.is_none() && r.raw("amount").is_none() {
        errors.add(
            codes::E_AMOUNT,
            "Please provide a valid Transaction Amount.",
        );
    }
    if f.start_date.is_none() && r.str("start_date").is_none() {
        errors.add(
            codes::E_DATE,
            "Please provide a valid start_date (MM/DD/YYYY).",
        );
    }
    if r.str("frequency").is_none() {
        errors.add(
            codes::E_RECURRENCE_FIELD,
            "Please provide a valid frequency.",
        );
    }
    if f.total_count.is_none() && r.raw("total_count").is_none() {
        errors.add(
            codes::E_RECURRENCE_FIELD,
            "Please provide a valid total_count.",
        );
    }
    if let Some(id) = &customer_id
        && !store.customers.contains_key(id)
    {
        errors.add(
            codes::E_CUSTOMER_NOT_FOUND,
            "Please provide a valid Customer ID.",
        );
    }
    if let Err(reply) = errors.check() {
        return reply;
    }
    let (Some(customer_id), Some(amount), Some(start), Some(frequency), Some(total)) = (
        customer_id,
        f.amount,
        f.start_date,
        f.frequency,
        f.total_count,
    ) else {
        return Reply::error(
            codes::E_RECURRENCE_FIELD,
            "Please provide a valid recurrence.",
        );
    };
    let id = store.next_recurrence_id();
    let rec = Recurrence {
        id,
        customer_id: customer_id.clone(),
        amount,
        start_date: start,
        next_date: start,
        frequency,
        total_count: total,
        current_count: 0,
        transaction_type: f.transaction_type.unwrap_or_else(|| "Sale".to_owned()),
        description: f.description.unwrap_or_default(),
        transaction_ids: Vec::new(),
    };
    let j = recurrence_json(&rec);
    store.recurrences.insert(id, rec);
    Reply::ok(
        success(
            codes::RC_RECURRENCE_CREATED,
            format!("The recurrence {id} for {customer_id} was successfully created."),
        )
        .with("recurrence", j),
    )
}

fn recurrence_id(r: Input<'_>) -> Result<u64, Reply> {
    match r.id("id") {
        Field::Ok(id) => Ok(id),
        Field::Missing => {
            let mut e = Errors::new();
            missing(&mut e, "recurrence.id");
            Err(Reply::errors(e))
        }
        Field::Invalid => Err(Reply::error(
            codes::E_RECURRENCE_NOT_FOUND,
            "Please provide a valid recurrence ID.",
        )),
    }
}

fn rec_not_found(id: u64) -> Reply {
    Reply::error(
        codes::E_RECURRENCE_NOT_FOUND,
        format!("Recurrence ID {id} was not found."),
    )
}

/// `/v1/recurrence/update` (path UNCONFIRMED).
pub(crate) fn update(store: &mut Store, call: &Call<'_>) -> Reply {
    let mut errors = Errors::new();
    let Some(r) = recurrence_obj(call.body, &mut errors) else {
        return Reply::errors(errors);
    };
    let id = match recurrence_id(r) {
        Ok(id) => id,
        Err(reply) => return reply,
    };
    let f = read_fields(r, &mut errors);
    let new_customer = r.str("customer_id");
    if let Some(c) = &new_customer
        && !store.customers.contains_key(c)
    {
        errors.add(
            codes::E_CUSTOMER_NOT_FOUND,
            "Please provide a valid Customer ID.",
        );
    }
    if let Err(reply) = errors.check() {
        return reply;
    }
    let Some(rec) = store.recurrences.get_mut(&id) else {
        return rec_not_found(id);
    };
    if let Some(c) = new_customer {
        rec.customer_id = c;
    }
    if let Some(a) = f.amount {
        rec.amount = a;
    }
    if let Some(d) = f.start_date {
        rec.start_date = d;
        if rec.current_count == 0 {
            rec.next_date = d;
        }
    }
    if let Some(fr) = f.frequency {
        rec.frequency = fr;
    }
    if let Some(t) = f.total_count {
        rec.total_count = t;
    }
    if let Some(t) = f.transaction_type {
        rec.transaction_type = t;
    }
    if let Some(d) = f.description {
        rec.description = d;
    }
    let j = recurrence_json(rec);
    let msg = format!(
        "The recurrence {id} for {} was successfully updated.",
        rec.customer_id
    );
    Reply::ok(success(codes::RC_RECURRENCE_UPDATED, msg).with("recurrence", j))
}

/// `/v1/recurrence/delete`
pub(crate) fn delete(store: &mut Store, call: &Call<'_>) -> Reply {
    let mut errors = Errors::new();
    let Some(r) = recurrence_obj(call.body, &mut errors) else {
        return Reply::errors(errors);
    };
    let id = match recurrence_id(r) {
        Ok(id) => id,
        Err(reply) => return reply,
    };
    let Some(rec) = store.recurrences.remove(&id) else {
        return rec_not_found(id);
    };
    Reply::ok(
        success(
            codes::RC_RECURRENCE_DELETED,
            format!(
                "The recurrence {id} for {} was successfully deleted.",
                rec.customer_id
            ),
        )
        .with("recurrence", J::obj().with("id", id)),
    )
}

/// `/v1/recurrence/export_approved`
pub(crate) fn export_approved(store: &mut Store, call: &Call<'_>) -> Reply {
    let mut errors = Errors::new();
    let Some(customer_id) = read_customer_id(call.body, &mut errors) else {
        return Reply::errors(errors);
    };
    if !store.customers.contains_key(&customer_id) {
        return Reply::error(
            codes::E_CUSTOMER_NOT_FOUND,
            "Please provide a valid Customer ID.",
        );
    }
    let tz = store.config.time_zone;
    let records: Vec<J> = store
        .transactions
        .values()
        .filter(|t| {
            t.recurrence_id.is_some()
                && t.approved()
                && t.customer_id.as_deref() == Some(customer_id.as_str())
        })
        .map(|t| transaction_record(t, tz, false))
        .collect();
    Reply::ok(
        success(
            codes::RC_RECURRENCE_EXPORTED,
            "Your request has been successfully completed.",
        )
        .with("transactions", records),
    )
}

/// Run every recurring charge due on or before today (emulator clock, configured zone).
/// Returns the created transaction ids.
pub(crate) fn run_due(store: &mut Store) -> Vec<u64> {
    let today = store.today();
    let user = store.config.username.clone();
    let ids: Vec<u64> = store.recurrences.keys().copied().collect();
    let mut created = Vec::new();
    for rid in ids {
        for _ in 0..1000 {
            let Some(rec) = store.recurrences.get(&rid) else {
                break;
            };
            let unlimited = rec.total_count == 999;
            if rec.next_date > today || (!unlimited && rec.current_count >= rec.total_count) {
                break;
            }
            let Some(cust) = store.customers.get(&rec.customer_id) else {
                break;
            };
            let Some(card) = cust.card.clone() else {
                break;
            };
            let kind = if rec.transaction_type == "Authorization" {
                TransactionKind::Authorization
            } else {
                TransactionKind::Sale
            };
            let c = Charge {
                kind,
                entry: EntryMode::Customer,
                card,
                csc: None,
                amount: rec.amount,
                extras: Extras {
                    billing: cust.billing_address.clone(),
                    shipping: cust.shipping_address.clone(),
                    description: rec.description.clone(),
                    ..Extras::default()
                },
                customer_id: Some(rec.customer_id.clone()),
                recurrence_id: Some(rid),
                user: user.clone(),
                ip: String::new(),
            };
            let step = frequency_step(&rec.frequency).unwrap_or(Step::Months(1));
            let tid = charge(store, c);
            created.push(tid);
            if let Some(rec) = store.recurrences.get_mut(&rid) {
                rec.current_count += 1;
                rec.next_date = advance(rec.next_date, step);
                rec.transaction_ids.push(tid);
            }
        }
    }
    created
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frequencies_advance() {
        let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        assert_eq!(
            advance(d(2024, 1, 31), frequency_step("3").unwrap()),
            d(2024, 2, 29)
        );
        assert_eq!(
            advance(d(2024, 1, 10), frequency_step("7").unwrap()),
            d(2024, 1, 15)
        );
        assert_eq!(
            advance(d(2024, 1, 15), frequency_step("7").unwrap()),
            d(2024, 2, 1)
        );
        assert_eq!(
            advance(d(2024, 1, 1), frequency_step("weekly").unwrap()),
            d(2024, 1, 8)
        );
        assert_eq!(
            advance(d(2024, 1, 1), frequency_step("1").unwrap()),
            d(2025, 1, 1)
        );
        assert!(frequency_step("Z").is_none());
    }
}
