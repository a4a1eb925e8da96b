//! Registration of the domain transformers of [`crate::transform`] under stable names, one
//! line each. The names and what they do are listed in the
//! [module documentation](super#domain-transforms).

use canonical_model::{
    AvsResult, CardBrand, CscResult, Money, PaymentStatus, PersonName, TransactionKind,
};
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use serde_json::Value;

use super::builtin::decimal_value;
use super::error::StepError;
use super::path::kind_of;
use super::registry::{Args, Transform, TransformRegistry, lift, lift_try};
use crate::transform::address::{
    join_street, normalize_us_zip, split_street, us_state_code, us_state_name,
};
use crate::transform::card::{card_brand_from_name, card_brand_name};
use crate::transform::countries::{
    country_alpha3, country_code, country_from_alpha3, country_name,
};
use crate::transform::currency::{format_money, parse_money};
use crate::transform::datetime::{
    PAYTRACE_TIME_ZONE, format_bc_date, format_bc_datetime, format_fno_date, format_fno_datetime,
    format_paytrace_date, format_paytrace_timestamp, format_salesforce_date,
    format_salesforce_datetime, parse_bc_date, parse_bc_datetime, parse_fno_date,
    parse_fno_datetime, parse_paytrace_date, parse_paytrace_timestamp_opt, parse_salesforce_date,
    parse_salesforce_datetime,
};
use crate::transform::name::{join_person_name, split_person_name};
use crate::transform::paytrace_status::{
    batch_number_from_status_code, paytrace_export_status, paytrace_status,
    paytrace_transaction_kind,
};
use crate::transform::response::{
    avs_to_paytrace, csc_to_paytrace, decline_reason, parse_avs_response, parse_csc_response,
};
use crate::transform::status::{
    status_from_dynamics_fno, status_from_salesforce, status_to_dynamics_fno, status_to_salesforce,
};
use crate::transform::types::{
    decimal_from_json, format_no_yes, format_paytrace_amount, parse_no_yes,
};

/// Registers the domain transformers.
pub(crate) fn register(r: &mut TransformRegistry) {
    // Statuses and kinds.
    r.register_one_way("paytrace_export_status", export_status);
    r.register_one_way(
        "paytrace_batch_number",
        lift(|code: String| batch_number_from_status_code(&code)),
    );
    r.register_one_way("paytrace_status", response_status);
    r.register(
        "paytrace_transaction_kind",
        lift_try(|t: String| paytrace_transaction_kind(&t)),
        kind_to_paytrace,
    );
    r.register(
        "salesforce_payment_status",
        lift_try(status_to_salesforce),
        lift_try(|s: String| status_from_salesforce(&s)),
    );
    r.register(
        "fno_payment_status",
        lift_try(status_to_dynamics_fno),
        lift_try(|s: String| status_from_dynamics_fno(&s)),
    );

    // Dates and times.
    r.register_with_args("paytrace_datetime", paytrace_datetime);
    r.register(
        "paytrace_date",
        lift_try(|s: String| parse_paytrace_date(&s)),
        lift(format_paytrace_date),
    );
    r.register(
        "salesforce_datetime",
        lift(format_salesforce_datetime),
        lift_try(|s: String| parse_salesforce_datetime(&s)),
    );
    r.register(
        "salesforce_date",
        lift(format_salesforce_date),
        lift_try(|s: String| parse_salesforce_date(&s)),
    );
    r.register(
        "fno_date",
        |v| date_like(v).map(|d| Value::String(format_fno_date(Some(d)))),
        lift_try(|s: String| parse_fno_date(&s)),
    );
    r.register(
        "fno_datetime",
        lift(|at: DateTime<Utc>| format_fno_datetime(Some(at))),
        lift_try(|s: String| parse_fno_datetime(&s)),
    );
    r.register(
        "bc_date",
        |v| date_like(v).map(|d| Value::String(format_bc_date(Some(d)))),
        lift_try(|s: String| parse_bc_date(&s)),
    );
    r.register(
        "bc_datetime",
        lift(|at: DateTime<Utc>| format_bc_datetime(Some(at))),
        lift_try(|s: String| parse_bc_datetime(&s)),
    );

    // Amounts, money, flags.
    r.register("paytrace_amount", paytrace_amount, |v| {
        decimal_from_json(v)
            .map(decimal_value)
            .map_err(StepError::from_error)
    });
    r.register(
        "format_money",
        lift_try(|m: Money| format_money(&m)),
        lift_try(|s: String| parse_money(&s)),
    );
    r.register(
        "noyes",
        lift(format_no_yes),
        lift_try(|s: String| parse_no_yes(&s)),
    );

    // Processor responses.
    r.register_one_way("decline_reason", lift(|s: String| decline_reason(&s)));
    r.register(
        "avs_result",
        lift(|s: String| parse_avs_response(&s)),
        lift(|a: AvsResult| avs_to_paytrace(&a).to_owned()),
    );
    r.register(
        "csc_result",
        lift(|s: String| parse_csc_response(&s)),
        lift(|c: CscResult| csc_to_paytrace(&c).to_owned()),
    );

    // Addresses.
    r.register(
        "state_code",
        lift_try(|s: String| us_state_code(&s)),
        state_name_of,
    );
    r.register(
        "state_name",
        state_name_of,
        lift_try(|s: String| us_state_code(&s)),
    );
    r.register(
        "country_alpha2",
        lift_try(|s: String| country_code(&s)),
        lift_try(country_name),
    );
    r.register(
        "country_alpha3",
        lift_try(|s: String| country_code(&s).and_then(country_alpha3)),
        lift_try(|s: String| country_from_alpha3(&s)),
    );
    r.register(
        "country_name",
        lift_try(|s: String| country_code(&s).and_then(country_name)),
        lift_try(|s: String| country_code(&s)),
    );
    r.register("zip", lift_try(|s: String| normalize_us_zip(&s)), |v| {
        Ok(v.clone())
    });
    r.register(
        "join_street",
        lift(|lines: Vec<Option<String>>| {
            join_street(&lines.into_iter().flatten().collect::<Vec<_>>())
        }),
        lift(|s: String| split_street(&s)),
    );
    r.register(
        "split_street",
        lift(|s: String| split_street(&s)),
        lift(|lines: Vec<Option<String>>| {
            join_street(&lines.into_iter().flatten().collect::<Vec<_>>())
        }),
    );

    // Cards.
    r.register(
        "card_brand_name",
        lift(|b: CardBrand| card_brand_name(&b).to_owned()),
        lift(|s: String| card_brand_from_name(&s)),
    );

    // Names.
    r.register(
        "split_person_name",
        lift_try(|s: String| split_person_name(&s)),
        lift(|n: PersonName| join_person_name(&n)),
    );
    r.register(
        "join_person_name",
        lift(|n: PersonName| join_person_name(&n)),
        lift_try(|s: String| split_person_name(&s)),
    );
}

/// `"WA"` → `"Washington"`.
fn state_name_of(value: &Value) -> Result<Value, StepError> {
    let code = value.as_str().unwrap_or_default();
    us_state_name(code)
        .map(|name| Value::String(name.to_owned()))
        .ok_or_else(|| StepError::new(format!("`{code}` is not a USPS state code")))
}

/// A canonical date (`"2015-04-10"`) or datetime (its UTC date).
fn date_like(value: &Value) -> Result<NaiveDate, StepError> {
    let text = value
        .as_str()
        .ok_or_else(|| StepError::new(format!("expected a date, got {}", kind_of(value))))?;
    text.parse::<NaiveDate>()
        .or_else(|_| text.parse::<DateTime<Utc>>().map(|at| at.date_naive()))
        .map_err(|e| StepError::with_source(format!("`{text}` is not a date"), e))
}

/// Text of the item at `index` of a `sources` list, or of the value itself for index 0.
fn item(value: &Value, index: usize) -> Option<String> {
    let item = match value {
        Value::Array(items) => items.get(index)?,
        other if index == 0 => other,
        _ => return None,
    };
    match item {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// `status_code`, or `[status_code, status_message, transaction_type]` → canonical status.
fn export_status(value: &Value) -> Result<Value, StepError> {
    let code = item(value, 0).unwrap_or_default();
    let message = item(value, 1).unwrap_or_default();
    let kind = item(value, 2).unwrap_or_default();
    let row = paytrace_export_status(&code, &message, &kind).map_err(StepError::from_error)?;
    status_value(row.status)
}

/// `response_code`, or `[response_code, transaction_type]` → canonical status.
fn response_status(value: &Value) -> Result<Value, StepError> {
    let code = item(value, 0)
        .and_then(|c| c.trim().parse::<u16>().ok())
        .ok_or_else(|| StepError::new("expected a PayTrace response_code"))?;
    let kind = match item(value, 1) {
        Some(t) if !t.trim().is_empty() => {
            paytrace_transaction_kind(&t).map_err(StepError::from_error)?
        }
        _ => TransactionKind::Sale,
    };
    let status = paytrace_status(code, kind).map_err(StepError::from_error)?;
    status_value(status)
}

fn status_value(status: PaymentStatus) -> Result<Value, StepError> {
    serde_json::to_value(status).map_err(|e| StepError::with_source("status does not serialise", e))
}

/// A canonical kind (`"sale"`) as PayTrace writes it (`"SALE"`).
fn kind_to_paytrace(value: &Value) -> Result<Value, StepError> {
    let kind: TransactionKind = serde_json::from_value(value.clone())
        .map_err(|e| StepError::with_source("expected a canonical transaction kind", e))?;
    let name = serde_json::to_value(kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_uppercase))
        .unwrap_or_default();
    Ok(Value::String(name))
}

fn paytrace_amount(value: &Value) -> Result<Value, StepError> {
    let amount = decimal_from_json(value).map_err(StepError::from_error)?;
    format_paytrace_amount(amount)
        .map(Value::String)
        .map_err(StepError::from_error)
}

/// `paytrace_datetime`, with an optional `zone` (IANA name; PayTrace's Pacific by default).
fn paytrace_datetime(args: &Args) -> Result<Transform, StepError> {
    if let Some(key) = args.keys().find(|k| *k != "zone") {
        return Err(StepError::new(format!(
            "unknown argument `{key}`; expected `zone`"
        )));
    }
    let zone = match args.get("zone") {
        None => PAYTRACE_TIME_ZONE,
        Some(Value::String(name)) => name.parse::<Tz>().map_err(|_| {
            StepError::new(format!(
                "argument `zone`: `{name}` is not an IANA time zone"
            ))
        })?,
        Some(other) => {
            return Err(StepError::new(format!(
                "argument `zone` must be a string, not {}",
                kind_of(other)
            )));
        }
    };
    Ok(Transform::invertible(
        "paytrace_datetime",
        lift_try(move |text: String| parse_paytrace_timestamp_opt(&text, zone)),
        lift(move |at: DateTime<Utc>| format_paytrace_timestamp(at, zone)),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn build(name: &str, args: Value) -> Transform {
        let Value::Object(args) = args else {
            panic!("args must be an object")
        };
        TransformRegistry::standard()
            .build(name, &args)
            .unwrap_or_else(|| panic!("{name} is not registered"))
            .unwrap_or_else(|e| panic!("{name}: {e}"))
    }

    /// (transform, args, input, forward output, inverse of the output or None when one-way)
    #[allow(clippy::type_complexity)]
    fn cases() -> Vec<(&'static str, Value, Value, Value, Option<Value>)> {
        vec![
            (
                "paytrace_export_status",
                json!({}),
                json!("GB571"),
                json!("settled"),
                None,
            ),
            (
                "paytrace_export_status",
                json!({}),
                json!(["Y", "Pending Settlement", "SALE"]),
                json!("approved"),
                None,
            ),
            (
                "paytrace_export_status",
                json!({}),
                json!(["N", "Authorization Only", "AUTHORIZATION"]),
                json!("authorized"),
                None,
            ),
            (
                "paytrace_batch_number",
                json!({}),
                json!("GB571"),
                json!("571"),
                None,
            ),
            (
                "paytrace_batch_number",
                json!({}),
                json!("Y"),
                Value::Null,
                None,
            ),
            (
                "paytrace_status",
                json!({}),
                json!(101),
                json!("approved"),
                None,
            ),
            (
                "paytrace_status",
                json!({}),
                json!([101, "AUTHORIZATION"]),
                json!("authorized"),
                None,
            ),
            (
                "paytrace_transaction_kind",
                json!({}),
                json!("REFUND"),
                json!("refund"),
                Some(json!("REFUND")),
            ),
            (
                "salesforce_payment_status",
                json!({}),
                json!("approved"),
                json!("Completed"),
                Some(json!("approved")),
            ),
            (
                "salesforce_payment_status",
                json!({}),
                json!("settled"),
                json!("Settled"),
                Some(json!("settled")),
            ),
            (
                "fno_payment_status",
                json!({}),
                json!("settled"),
                json!("Paid"),
                Some(json!("settled")),
            ),
            (
                "paytrace_datetime",
                json!({}),
                json!("4/10/2015 4:06:30 PM"),
                json!("2015-04-10T23:06:30Z"),
                Some(json!("4/10/2015 4:06:30 PM")),
            ),
            (
                "paytrace_datetime",
                json!({"zone": "America/New_York"}),
                json!("4/10/2015 4:06:30 PM"),
                json!("2015-04-10T20:06:30Z"),
                Some(json!("4/10/2015 4:06:30 PM")),
            ),
            ("paytrace_datetime", json!({}), json!(""), Value::Null, None),
            (
                "paytrace_date",
                json!({}),
                json!("04/10/2015"),
                json!("2015-04-10"),
                Some(json!("04/10/2015")),
            ),
            (
                "salesforce_datetime",
                json!({}),
                json!("2015-04-10T23:06:30Z"),
                json!("2015-04-10T23:06:30.000+0000"),
                Some(json!("2015-04-10T23:06:30Z")),
            ),
            (
                "salesforce_date",
                json!({}),
                json!("2015-04-10"),
                json!("2015-04-10"),
                Some(json!("2015-04-10")),
            ),
            (
                "fno_date",
                json!({}),
                json!("2015-04-10"),
                json!("2015-04-10T12:00:00Z"),
                Some(json!("2015-04-10")),
            ),
            (
                "fno_date",
                json!({}),
                json!("2015-04-10T23:06:30Z"),
                json!("2015-04-10T12:00:00Z"),
                Some(json!("2015-04-10")),
            ),
            (
                "fno_datetime",
                json!({}),
                json!("2015-04-10T23:06:30Z"),
                json!("2015-04-10T23:06:30Z"),
                Some(json!("2015-04-10T23:06:30Z")),
            ),
            (
                "bc_date",
                json!({}),
                json!("2015-04-10"),
                json!("2015-04-10"),
                Some(json!("2015-04-10")),
            ),
            (
                "bc_datetime",
                json!({}),
                json!("2017-03-17T19:02:22.043Z"),
                json!("2017-03-17T19:02:22.043Z"),
                Some(json!("2017-03-17T19:02:22.043Z")),
            ),
            (
                "paytrace_amount",
                json!({}),
                json!(19.9),
                json!("19.90"),
                Some(json!(19.9)),
            ),
            (
                "format_money",
                json!({}),
                json!({"amount": "1234.50", "currency": "USD"}),
                json!("$1,234.50"),
                Some(json!({"amount": "1234.50", "currency": "USD"})),
            ),
            (
                "noyes",
                json!({}),
                json!(true),
                json!("Yes"),
                Some(json!(true)),
            ),
            (
                "decline_reason",
                json!({}),
                json!("DECLINE - Insufficient funds"),
                json!("insufficient_funds"),
                None,
            ),
            (
                "avs_result",
                json!({}),
                json!("Full Exact Match"),
                json!("full_match"),
                Some(json!("Full Exact Match")),
            ),
            (
                "csc_result",
                json!({}),
                json!("Match"),
                json!("match"),
                Some(json!("Match")),
            ),
            (
                "state_code",
                json!({}),
                json!("Washington"),
                json!("WA"),
                Some(json!("Washington")),
            ),
            (
                "state_code",
                json!({}),
                json!("wa"),
                json!("WA"),
                Some(json!("Washington")),
            ),
            (
                "state_name",
                json!({}),
                json!("OR"),
                json!("Oregon"),
                Some(json!("OR")),
            ),
            (
                "country_alpha2",
                json!({}),
                json!("United States"),
                json!("US"),
                Some(json!("United States")),
            ),
            (
                "country_alpha3",
                json!({}),
                json!("US"),
                json!("USA"),
                Some(json!("US")),
            ),
            (
                "country_name",
                json!({}),
                json!("deu"),
                json!("Germany"),
                Some(json!("DE")),
            ),
            (
                "zip",
                json!({}),
                json!("992011234"),
                json!("99201-1234"),
                Some(json!("99201-1234")),
            ),
            (
                "join_street",
                json!({}),
                json!(["1 Main St", null, "  Suite   200 "]),
                json!("1 Main St\nSuite 200"),
                Some(json!(["1 Main St", "Suite 200"])),
            ),
            (
                "split_street",
                json!({}),
                json!("1 Main St\r\n\nSuite 200"),
                json!(["1 Main St", "Suite 200"]),
                Some(json!("1 Main St\nSuite 200")),
            ),
            (
                "card_brand_name",
                json!({}),
                json!("amex"),
                json!("American Express"),
                Some(json!("amex")),
            ),
            (
                "split_person_name",
                json!({}),
                json!("Jane Doe"),
                json!({"given": "Jane", "family": "Doe"}),
                Some(json!("Jane Doe")),
            ),
            (
                "join_person_name",
                json!({}),
                json!({"given": "Jane", "family": "Doe"}),
                json!("Jane Doe"),
                Some(json!({"given": "Jane", "family": "Doe"})),
            ),
        ]
    }

    #[test]
    fn every_domain_transform_forward_and_inverse() {
        let standard = TransformRegistry::standard();
        let builtin = TransformRegistry::builtin();
        let mut seen = std::collections::BTreeSet::new();
        for (name, args, input, output, inverse) in cases() {
            seen.insert(name);
            let t = build(name, args.clone());
            let got = t
                .apply(&input)
                .unwrap_or_else(|e| panic!("{name} {args} {input}: {e}"));
            assert_eq!(got, output, "{name} {args} forward of {input}");
            if got.is_null() {
                continue;
            }
            match (&inverse, t.invert(&got)) {
                (Some(want), Some(back)) => {
                    let back = back.unwrap_or_else(|e| panic!("{name} inverse of {got}: {e}"));
                    assert_eq!(&back, want, "{name} {args} inverse of {got}");
                }
                (None, None) => {}
                (want, got) => panic!(
                    "{name}: inverse expected {want:?}, invertible = {}",
                    got.is_some()
                ),
            }
        }
        let domain: Vec<&str> = standard.names().filter(|n| !builtin.contains(n)).collect();
        let untested: Vec<_> = domain.iter().filter(|n| !seen.contains(*n)).collect();
        assert!(
            untested.is_empty(),
            "domain transforms without a case: {untested:?}"
        );
    }

    #[test]
    fn domain_transforms_refuse_bad_values() {
        let cases = [
            (
                "paytrace_export_status",
                json!("Q"),
                "PayTrace export status_code",
            ),
            (
                "paytrace_status",
                json!("abc"),
                "expected a PayTrace response_code",
            ),
            (
                "salesforce_payment_status",
                json!("nonsense"),
                "unexpected input",
            ),
            (
                "paytrace_amount",
                json!(-5),
                "PayTrace amounts are positive",
            ),
            ("paytrace_amount", json!(1.005), "more than 2 decimals"),
            ("fno_date", json!("yesterday"), "`yesterday` is not a date"),
            ("fno_date", json!(20150410), "expected a date, got a number"),
            ("paytrace_datetime", json!("2015-04-10"), "PayTrace"),
            ("state_code", json!("Atlantis"), "unknown US state"),
            ("state_name", json!("ZZ"), "`ZZ` is not a USPS state code"),
            ("zip", json!("9920"), "invalid US ZIP code"),
            ("country_alpha3", json!("Narnia"), "Narnia"),
        ];
        for (name, input, want) in cases {
            let err = build(name, json!({})).apply(&input).expect_err(name);
            assert!(err.to_string().contains(want), "{name}: {err}");
        }
        let Value::Object(args) = json!({"zone": "Nowhere/City"}) else {
            panic!()
        };
        let err = TransformRegistry::standard()
            .build("paytrace_datetime", &args)
            .and_then(Result::err)
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("not an IANA time zone"), "{err}");
    }
}
