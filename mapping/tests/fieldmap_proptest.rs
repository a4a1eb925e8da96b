//! Properties of the field-mapping engine: `reverse(apply(x))` restores every invertible field
//! of generated PayTrace export records (Salesforce and Business Central specs), and paths
//! written with quoting parse back to the keys they name.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use mapping::fieldmap::{Context, Path, Segment, defaults};
use proptest::prelude::*;
use serde_json::{Map, Value, json};

/// A PayTrace export timestamp, `M/D/YYYY h:mm:ss AM` (2 AM is left out: on the spring
/// daylight-saving day it does not exist in Pacific time).
fn paytrace_timestamp() -> impl Strategy<Value = String> {
    (
        2000_u32..2040,
        1_u32..=12,
        1_u32..=28,
        0_u32..24,
        0_u32..60,
        0_u32..60,
    )
        .prop_filter("no 2 AM", |(_, _, _, h, _, _)| *h != 2)
        .prop_map(|(y, mo, d, h, mi, s)| {
            let (h12, half) = match h {
                0 => (12, "AM"),
                1..=11 => (h, "AM"),
                12 => (12, "PM"),
                _ => (h - 12, "PM"),
            };
            format!("{mo}/{d}/{y} {h12}:{mi:02}:{s:02} {half}")
        })
}

/// Custom field keys and values as merchants configure them, sometimes with the keys the spec
/// maps to named fields.
fn discretionary_data() -> impl Strategy<Value = Map<String, Value>> {
    (
        prop::collection::btree_map("[A-Za-z][A-Za-z0-9]{0,12}", "[ -~]{0,20}", 0..5),
        prop::option::of("[ -~]{0,10}"),
        prop::option::of("[ -~]{0,10}"),
    )
        .prop_map(|(m, term, details)| {
            let mut map: Map<String, Value> =
                m.into_iter().map(|(k, v)| (k, Value::String(v))).collect();
            if let Some(term) = term {
                map.insert("Subscription_Term".into(), Value::String(term));
            }
            if let Some(details) = details {
                map.insert("PaymentMethodDetails".into(), Value::String(details));
            }
            map
        })
}

prop_compose! {
    fn export_record()(
        id in 1_u64..10_000_000_000,
        cents in 1_i64..100_000_000,
        refund in any::<bool>(),
        last4 in "[0-9]{4}",
        at in paytrace_timestamp(),
        customer in prop::option::of("[a-z0-9-]{1,16}"),
        custom in discretionary_data(),
        status in prop::sample::select(vec!["Y", "GB571", "GB12"]),
    ) -> Value {
        let mut record = json!({
            "transaction_id": id,
            "transaction_type": if refund { "REFUND" } else { "SALE" },
            "amount": cents as f64 / 100.0,
            "tax_amount": "0.00",
            "status_code": status,
            "status_message": if status == "Y" { "Pending Settlement" } else { status },
            "created": {"through": "API", "at": at, "by": "api", "from_ip": "1.2.3.4"},
            "credit_card": {"masked_number": format!("************{last4}"), "expiration_month": "12", "expiration_year": "20"},
            "discretionary_data": custom,
        });
        if let Some(customer) = customer {
            record["customer_id"] = json!(customer);
        }
        record
    }
}

proptest! {
    #[test]
    fn salesforce_reverse_of_apply_restores_the_invertible_fields(record in export_record()) {
        let spec = defaults::paytrace_to_salesforce().unwrap();
        let ctx = Context::new().with("account_id", "001A");
        let payment = spec.apply(&record, &ctx).unwrap();
        let back = spec.reverse(&payment, &ctx).unwrap().record;

        prop_assert_eq!(&back["transaction_id"], &record["transaction_id"]);
        prop_assert_eq!(back["amount"].as_f64(), record["amount"].as_f64());
        prop_assert_eq!(&back["created"]["at"], &record["created"]["at"]);
        prop_assert_eq!(&back["credit_card"]["masked_number"], &record["credit_card"]["masked_number"]);
        prop_assert_eq!(back.get("customer_id"), record.get("customer_id"));
        let custom = record["discretionary_data"].as_object().unwrap();
        if custom.is_empty() {
            prop_assert!(back.get("discretionary_data").is_none());
        } else {
            prop_assert_eq!(&back["discretionary_data"], &record["discretionary_data"]);
        }
        // Nothing the spec does not map comes back.
        for key in back.as_object().unwrap().keys() {
            prop_assert!(
                ["transaction_id", "amount", "created", "credit_card", "customer_id", "discretionary_data"]
                    .contains(&key.as_str()),
                "unexpected {}", key
            );
        }
    }

    #[test]
    fn bc_reverse_of_apply_restores_the_amount_whatever_the_sign(
        record in export_record(),
        sign in prop::sample::select(vec!["negative", "positive"]),
    ) {
        let spec = defaults::paytrace_to_bc_customer_payment().unwrap();
        let ctx = Context::new().with("customer_number", "10000").with("amount_sign", sign);
        let payment = spec.apply(&record, &ctx).unwrap();
        let amount = payment["amount"].as_f64().unwrap();
        let outflow = record["transaction_type"] == "REFUND";
        prop_assert_eq!(amount < 0.0, (sign == "negative") != outflow);
        let back = spec.reverse(&payment, &ctx).unwrap().record;
        prop_assert_eq!(back["amount"].as_f64(), record["amount"].as_f64());
        prop_assert_eq!(&back["transaction_id"], &record["transaction_id"]);
    }

    #[test]
    fn quoted_paths_name_exactly_their_keys(keys in prop::collection::vec("[ -~]{1,12}", 1..5)) {
        let text = keys
            .iter()
            .map(|k| format!("\"{}\"", k.replace('\\', "\\\\").replace('"', "\\\"")))
            .collect::<Vec<_>>()
            .join(".");
        let path = Path::parse(&text).unwrap();
        let want: Vec<Segment> = keys.iter().cloned().map(Segment::Key).collect();
        prop_assert_eq!(path.segments(), want.as_slice());
        prop_assert!(!path.is_context() && !path.is_wildcard());

        let mut record = Value::Null;
        path.set(&mut record, json!(1)).unwrap();
        prop_assert_eq!(path.get(&record), Some(&json!(1)));
    }
}
