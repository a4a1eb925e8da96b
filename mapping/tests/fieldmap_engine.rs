//! The field-mapping engine through its public API: load-time validation naming lines and
//! targets, apply-time errors naming record, rule and field, and the rule semantics (first
//! value wins, defaults, conditions, sources, wildcards, context, direction, reverse).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use mapping::fieldmap::{
    Context, Direction, FieldMapError, RuleDef, Spec, SpecDef, StepError, Transform, TransformDef,
    TransformRegistry, lift, lift_try,
};
use serde_json::{Value, json};

fn load(text: &str) -> Spec {
    Spec::from_toml_str(text, &TransformRegistry::standard()).unwrap_or_else(|e| panic!("{e}"))
}

fn load_err(text: &str) -> FieldMapError {
    match Spec::from_toml_str(text, &TransformRegistry::standard()) {
        Ok(_) => panic!("expected an error loading:\n{text}"),
        Err(e) => e,
    }
}

// ---------------------------------------------------------------------------------------
// Load-time validation

#[test]
fn load_errors_name_the_line_and_the_rule_target() {
    // (spec, line, target, what the message says)
    let cases: Vec<(&str, Option<usize>, Option<&str>, &str)> = vec![
        (
            // unknown transform, on its own line inside a multi-line chain
            "name = \"t\"\n\n[[rule]]\ntarget = \"Amount__c\"\nsource = \"amount\"\ntransforms = [\n  \"trim\",\n  \"to_decimall\",\n]\n",
            Some(8),
            Some("Amount__c"),
            "unknown transform `to_decimall`",
        ),
        (
            "[[rule]]\ntarget = \"Status__c\"\nsource = \"status\"\n\ntransforms = [{ name = \"map\", tabel = { Y = \"Completed\" } }]\n",
            Some(5),
            Some("Status__c"),
            "bad arguments for transform `map`: unknown argument `tabel`",
        ),
        (
            "[[rule]]\ntarget = \"D\"\nsource = \"d\"\ntransforms = [{ name = \"date\", from = \"%m/%d/%Y\" }]\n",
            Some(4),
            Some("D"),
            "missing required argument `to`",
        ),
        (
            "[[rule]]\ntarget = \"billing_address..zip\"\nsource = \"zip\"\n",
            Some(2),
            Some("billing_address..zip"),
            "malformed path `billing_address..zip`: empty key at character 17",
        ),
        (
            "[[rule]]\ntarget = \"Zip__c\"\nsource = \"billing_address[zip]\"\n",
            Some(3),
            Some("Zip__c"),
            "malformed path `billing_address[zip]`",
        ),
        (
            "[[rule]]\ntarget = \"X__c\"\nsource = \"x\"\nwhen = { all = [\n  { path = \"a\", exists = true },\n  { path = \"b[\", equals = 1 },\n] }\n",
            Some(6),
            Some("X__c"),
            "malformed path `b[`",
        ),
        (
            "[[rule]]\ntarget = \"X__c\"\nsource = \"x\"\nwhen = { path = \"transaction_type\", equal = \"REFUND\" }\n",
            Some(4),
            Some("X__c"),
            "bad condition: unknown key `equal`",
        ),
        (
            "[[rule]]\ntarget = \"X__c\"\nsource = \"x\"\nreverse_when = { path = \"X__c\" }\n",
            Some(4),
            Some("X__c"),
            "needs exactly one of",
        ),
        (
            "name = \"t\"\n[[rule]]\nsource = \"amount\"\n",
            Some(2),
            None,
            "missing required key `target`",
        ),
        (
            "[[rule]]\ntarget = \"A\"\nsource = \"a\"\n\n[[rule]]\ntarget = \"B\"\ntransforms = [\"trim\"]\n",
            Some(5),
            Some("B"),
            "a rule needs one of `source`, `sources` or `value`",
        ),
        (
            "[[rule]]\ntarget = \"A\"\nsource = \"a\"\nvalue = 1\n",
            Some(1),
            Some("A"),
            "exclude each other",
        ),
        (
            "[[rule]]\ntarget = \"A\"\nsource = \"a\"\ntranforms = [\"trim\"]\n",
            Some(4),
            Some("A"),
            "unknown key `tranforms`",
        ),
        (
            "name = \"t\"\nrecords_id = \"transaction_id\"\n",
            Some(2),
            None,
            "unknown key `records_id`",
        ),
        (
            "[[rule]]\ntarget = \"A\"\nsource = \"a\"\nrequired = \"yes\"\n",
            Some(4),
            Some("A"),
            "`required`: invalid type",
        ),
        (
            "name = \"t\"\nrecord_id = \"transactions[\"\n",
            Some(2),
            None,
            "malformed path `transactions[`",
        ),
        (
            "[[rule]]\ntarget = \"PT_*__c\"\nsource = \"discretionary_data\"\n",
            Some(1),
            Some("PT_*__c"),
            "a wildcard rule needs a `*` key pattern in both",
        ),
        (
            "[[rule]]\ntarget = \"A\"\nsource = \"a\"\ntransforms = [\"upper\"]\ndirection = \"both\"\n",
            Some(5),
            Some("A"),
            "transform `upper` has no inverse",
        ),
        (
            "[[rule]]\ntarget = \"A\"\nvalue = \"Cust\"\ndirection = \"reverse\"\n",
            Some(4),
            Some("A"),
            "only runs forward",
        ),
        (
            "[[rule]]\ntarget = \"A\"\nsource = \"a\"\ntransforms = [\"upper\"]\nreverse_transforms = [\"lowr\"]\n",
            Some(5),
            Some("A"),
            "unknown transform `lowr`",
        ),
        (
            "[[rule]]\ntarget = \"A\"\nsource = \"a\"\ntransforms = [{ table = {} }]\n",
            Some(4),
            Some("A"),
            "a transform table needs `name",
        ),
        (
            "[[rule]]\ntarget = \"$ctx.x\"\nsource = \"a\"\n",
            Some(2),
            Some("$ctx.x"),
            "a target cannot be a `$ctx` path",
        ),
        (
            "rule = \"everything\"\n",
            Some(1),
            None,
            "`rule` must be a list of tables",
        ),
        (
            "[[rule]]\ntarget = \"A\"\nsource = \"a\"\ndirection = \"sideways\"\n",
            Some(4),
            Some("A"),
            "unknown variant `sideways`",
        ),
    ];
    for (text, line, target, message) in cases {
        let err = load_err(text);
        assert_eq!(err.line(), line, "line of: {err}\n{text}");
        assert_eq!(err.target(), target, "target of: {err}\n{text}");
        assert!(
            err.to_string().contains(message),
            "{err}\nexpected: {message}"
        );
        if let Some(line) = line {
            assert!(
                err.to_string().starts_with(&format!("spec line {line}")),
                "{err}"
            );
        }
    }
}

#[test]
fn load_errors_are_typed() {
    assert!(matches!(
        load_err("[[rule]]\ntarget = \"A\"\nsource = \"a\"\ntransforms = [\"nope\"]\n"),
        FieldMapError::UnknownTransform { ref name, .. } if name == "nope"
    ));
    assert!(matches!(
        load_err("[[rule]]\ntarget = \"A\"\nsource = \"a\"\ntransforms = [{ name = \"round\", dp = \"two\" }]\n"),
        FieldMapError::TransformArgs { ref transform, .. } if transform == "round"
    ));
    assert!(matches!(
        load_err("[[rule]]\ntarget = \"a.\"\nsource = \"a\"\n"),
        FieldMapError::Path { .. }
    ));
    assert!(matches!(
        load_err(
            "[[rule]]\ntarget = \"A\"\nsource = \"a\"\nwhen = { path = \"a\", gt = \"big\" }\n"
        ),
        FieldMapError::Condition { .. }
    ));
    assert!(matches!(
        load_err("[[rule]]\ntarget = \"A\"\n"),
        FieldMapError::Rule { .. }
    ));
    let err = load_err("[[rule]]\ntarget = \"A\"\nsource = \n");
    assert!(
        matches!(err, FieldMapError::Syntax { line: Some(3), .. }),
        "{err:?}"
    );
}

#[test]
fn json_specs_load_and_their_errors_name_rule_and_target() {
    let text = r#"{
        "name": "json",
        "record_id": "id",
        "rule": [
            {"target": "A", "source": "a", "transforms": ["trim", {"name": "prefix", "value": "X-"}]},
            {"target": "B", "value": true}
        ]
    }"#;
    let spec = Spec::from_json_str(text, &TransformRegistry::standard()).unwrap();
    let out = spec.apply(&json!({"a": " 1 "}), &Context::new()).unwrap();
    assert_eq!(out, json!({"A": "X-1", "B": true}));

    let bad = r#"{"rule": [{"target": "A", "source": "a"}, {"target": "B", "source": "b", "transforms": ["nope"]}]}"#;
    let err = Spec::from_json_str(bad, &TransformRegistry::standard()).unwrap_err();
    assert_eq!(err.line(), None);
    assert_eq!(err.target(), Some("B"));
    assert!(
        err.to_string().starts_with("spec rule 2, target `B`"),
        "{err}"
    );

    let err = Spec::from_json_str(
        "{\"rule\": [\n{\"target\": }]}",
        &TransformRegistry::standard(),
    )
    .unwrap_err();
    assert!(
        matches!(err, FieldMapError::Syntax { line: Some(2), .. }),
        "{err:?}"
    );
}

#[test]
fn specs_load_from_files_by_extension() {
    let dir = std::env::temp_dir().join(format!("fieldmap-files-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let toml_path = dir.join("spec.toml");
    let json_path = dir.join("spec.json");
    std::fs::write(&toml_path, "[[rule]]\ntarget = \"A\"\nsource = \"a\"\n").unwrap();
    std::fs::write(&json_path, r#"{"rule": [{"target": "B", "source": "b"}]}"#).unwrap();
    let registry = TransformRegistry::standard();
    let toml_spec = Spec::from_file(&toml_path, &registry).unwrap();
    let json_spec = Spec::from_file(&json_path, &registry).unwrap();
    let record = json!({"a": 1, "b": 2});
    assert_eq!(
        toml_spec.apply(&record, &Context::new()).unwrap(),
        json!({"A": 1})
    );
    assert_eq!(
        json_spec.apply(&record, &Context::new()).unwrap(),
        json!({"B": 2})
    );
    let err = Spec::from_file(dir.join("missing.toml"), &registry).unwrap_err();
    assert!(matches!(err, FieldMapError::Io { .. }), "{err:?}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn specs_built_in_code_validate_too() {
    let mut def = SpecDef {
        name: Some("code".into()),
        record_id: Some("id".into()),
        ..SpecDef::default()
    };
    def.rules.push(RuleDef {
        target: Some("Amount__c".into()),
        source: Some("amount".into()),
        transforms: vec![TransformDef::Name("to_decimal".into())],
        direction: Some(Direction::Both),
        ..RuleDef::default()
    });
    let spec = Spec::from_def(def.clone(), &TransformRegistry::standard()).unwrap();
    assert_eq!(
        spec.apply(&json!({"amount": "8.10"}), &Context::new())
            .unwrap(),
        json!({"Amount__c": 8.1})
    );
    // The model serialises to the JSON the loader reads.
    let text = serde_json::to_string(&def).unwrap();
    let again = Spec::from_json_str(&text, &TransformRegistry::standard()).unwrap();
    assert_eq!(again.rules().count(), 1);

    def.rules[0]
        .transforms
        .push(TransformDef::Name("missing".into()));
    let err = Spec::from_def(def, &TransformRegistry::standard()).unwrap_err();
    assert_eq!(err.target(), Some("Amount__c"));
    assert_eq!(err.line(), None);
}

// ---------------------------------------------------------------------------------------
// Apply-time errors

const AMOUNT_SPEC: &str = r#"name = "amounts"
record_id = "transaction_id"
target_record_id = "Id__c"

[[rule]]
target = "Id__c"
source = "transaction_id"
transforms = ["to_string"]
reverse_transforms = ["to_integer"]

[[rule]]
name = "amount"
target = "Amount__c"
source = "amount"
transforms = ["to_decimal"]
required = true
"#;

#[test]
fn apply_errors_name_record_rule_field_and_the_transform_message() {
    let spec = load(AMOUNT_SPEC);
    let err = spec
        .apply(
            &json!({"transaction_id": 42, "amount": "12,50"}),
            &Context::new(),
        )
        .unwrap_err();
    assert_eq!(err.record_id(), Some("42"));
    assert_eq!(err.field(), Some("amount"));
    assert_eq!(err.target(), Some("Amount__c"));
    assert_eq!(err.line(), Some(11));
    let rule = err.rule().unwrap();
    assert_eq!((rule.index, rule.name.as_deref()), (2, Some("amount")));
    assert_eq!(
        err.to_string(),
        "record 42, rule 2 `Amount__c` (amount) at line 11, field `amount`: transform \
         `to_decimal` failed: invalid decimal number \"12,50\": expected digits with an \
         optional '.' decimal point and ',' between groups of three"
    );
    let FieldMapError::Transform {
        transform, source, ..
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!(transform, "to_decimal");
    assert!(
        std::error::Error::source(source).is_some(),
        "the cause is kept"
    );

    let err = spec
        .apply(&json!({"transaction_id": "T-9"}), &Context::new())
        .unwrap_err();
    assert!(
        matches!(err, FieldMapError::MissingRequired { .. }),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "record T-9, rule 2 `Amount__c` (amount) at line 11, field `amount`: required value is missing"
    );

    let err = spec
        .apply(&json!({"amount": null}), &Context::new())
        .unwrap_err();
    assert!(err.to_string().starts_with("record (no id), "), "{err}");

    let err = spec
        .reverse(
            &json!({"Id__c": "42", "Amount__c": "lots"}),
            &Context::new(),
        )
        .unwrap_err();
    assert_eq!(err.record_id(), Some("42"));
    assert_eq!(err.field(), Some("Amount__c"));
    assert!(
        err.to_string()
            .contains("transform `to_decimal (inverse)` failed"),
        "{err}"
    );
}

#[test]
fn write_conflicts_and_shapes_are_errors_not_panics() {
    let spec = load(
        "[[rule]]\ntarget = \"a\"\nvalue = \"text\"\n\n[[rule]]\ntarget = \"a.b\"\nvalue = 1\n",
    );
    let err = spec.apply(&json!({}), &Context::new()).unwrap_err();
    assert!(matches!(err, FieldMapError::Write { .. }), "{err:?}");
    assert!(
        err.to_string()
            .contains("cannot write through `a`: it holds a string"),
        "{err}"
    );

    let spec = load("[[rule]]\ntarget = \"PT_*__c\"\nsource = \"discretionary_data.*\"\n");
    let err = spec
        .apply(
            &json!({"discretionary_data": "SalesRepID=7"}),
            &Context::new(),
        )
        .unwrap_err();
    assert!(matches!(err, FieldMapError::Shape { .. }), "{err:?}");
    assert_eq!(err.field(), Some("discretionary_data.*"));

    let spec = load(
        "[[rule]]\ntarget = \"Street\"\nsources = [\"line1\", \"line2\"]\ntransforms = [\"join_lines\"]\n",
    );
    let err = spec
        .reverse(&json!({"Street": "a\nb\nc"}), &Context::new())
        .unwrap_err();
    assert!(err.to_string().contains("at most 2 values"), "{err}");
}

// ---------------------------------------------------------------------------------------
// Semantics

#[test]
fn the_first_value_wins_which_makes_fallbacks_and_if_else() {
    let spec = load(
        r#"
[[rule]]
target = "doc"
source = "$ctx.document_number"

[[rule]]
target = "doc"
source = "id"
transforms = [{ name = "prefix", value = "PT" }]

[[rule]]
target = "sign"
value = "negative"
when = { path = "type", equals = "REFUND" }

[[rule]]
target = "sign"
value = "positive"
"#,
    );
    let sale = json!({"id": 7, "type": "SALE"});
    let refund = json!({"id": 8, "type": "REFUND"});
    assert_eq!(
        spec.apply(&sale, &Context::new()).unwrap(),
        json!({"doc": "PT7", "sign": "positive"})
    );
    assert_eq!(
        spec.apply(&refund, &Context::new().with("document_number", "D-1"))
            .unwrap(),
        json!({"doc": "D-1", "sign": "negative"})
    );
}

#[test]
fn defaults_required_and_nulls() {
    let spec = load(
        r#"
[[rule]]
target = "Description__c"
source = "description"
transforms = ["trim", "default_if_empty"]
default = "(none)"

[[rule]]
target = "Kind__c"
source = "kind"
default = "sale"
required = true

[[rule]]
target = "Note__c"
source = "note"
"#,
    );
    let cases = [
        (
            json!({"description": " Hi ", "kind": "refund"}),
            json!({"Description__c": "Hi", "Kind__c": "refund"}),
        ),
        (
            json!({"description": "   "}),
            json!({"Description__c": "(none)", "Kind__c": "sale"}),
        ),
        (
            json!({"description": null, "note": null}),
            json!({"Description__c": "(none)", "Kind__c": "sale"}),
        ),
        (
            json!({"note": ""}),
            json!({"Description__c": "(none)", "Kind__c": "sale", "Note__c": ""}),
        ),
    ];
    for (input, want) in cases {
        assert_eq!(
            spec.apply(&input, &Context::new()).unwrap(),
            want,
            "{input}"
        );
    }
}

#[test]
fn sources_feed_a_list_and_reverse_splits_it_back() {
    let spec = load(
        r#"
[[rule]]
target = "BillingStreet"
sources = ["billing_address.street_address", "billing_address.street_address2"]
transforms = ["join_lines"]

[[rule]]
target = "Name"
sources = ["first", "last"]
transforms = [{ name = "join", separator = "|" }]
"#,
    );
    let record = json!({
        "billing_address": {"street_address": "1 Main St", "street_address2": "Suite 200"},
        "first": "Jane", "last": "Doe"
    });
    let out = spec.apply(&record, &Context::new()).unwrap();
    assert_eq!(
        out,
        json!({"BillingStreet": "1 Main St\nSuite 200", "Name": "Jane|Doe"})
    );
    assert_eq!(spec.reverse(&out, &Context::new()).unwrap().record, record);

    let one_line =
        json!({"billing_address": {"street_address": "1 Main St", "street_address2": ""}});
    let out = spec.apply(&one_line, &Context::new()).unwrap();
    assert_eq!(out, json!({"BillingStreet": "1 Main St"}));
    assert_eq!(
        spec.reverse(&out, &Context::new()).unwrap().record,
        json!({"billing_address": {"street_address": "1 Main St"}})
    );
    assert_eq!(
        spec.apply(&json!({}), &Context::new()).unwrap(),
        json!({}),
        "all sources missing"
    );
}

#[test]
fn enrichment_from_the_context_and_spec_context_defaults() {
    let spec = load(
        r#"
[context]
channel = "web"

[[rule]]
target = "transaction_id"
source = "PaymentID__c"

[[rule]]
target = "discretionary_data.SalesRepID"
source = "$ctx.sales_rep_id"

[[rule]]
target = "discretionary_data.Campaign_Source"
source = "$ctx.opportunity.Campaign_Source__c"

[[rule]]
target = "discretionary_data.Channel"
source = "$ctx.channel"

[[rule]]
target = "discretionary_data.*"
source = "$ctx.extra.*"
"#,
    );
    let ctx = Context::new()
        .with("sales_rep_id", "0051x000004AbCdEAF")
        .with(
            "opportunity",
            json!({"Id": "006A", "Campaign_Source__c": "Spring2015"}),
        )
        .with("extra", json!({"Region": "West", "Empty": null}));
    let out = spec.apply(&json!({"PaymentID__c": "42"}), &ctx).unwrap();
    assert_eq!(
        out,
        json!({
            "transaction_id": "42",
            "discretionary_data": {
                "SalesRepID": "0051x000004AbCdEAF",
                "Campaign_Source": "Spring2015",
                "Channel": "web",
                "Region": "West"
            }
        })
    );
    let phone = ctx.with("channel", "phone");
    let out = spec.apply(&json!({}), &phone).unwrap();
    assert_eq!(
        out["discretionary_data"]["Channel"],
        json!("phone"),
        "the caller's context wins"
    );
    assert_eq!(spec.context_defaults().get("channel"), Some(&json!("web")));
}

#[test]
fn wildcards_copy_the_remaining_keys_both_ways() {
    let spec = load(
        r#"
[[rule]]
target = "Subscription_Term__c"
source = "discretionary_data.Subscription_Term"

[[rule]]
target = "Sub.Detail__c"
source = "discretionary_data.Nested.Detail"

[[rule]]
target = "PT_*__c"
source = "discretionary_data.*"
transforms = ["trim"]

[[rule]]
target = "\"Legacy.Codes\".*"
source = "legacy.code_*"
"#,
    );
    let record = json!({
        "discretionary_data": {
            "Subscription_Term": "12 months",
            "SalesRepID": " 0057 ",
            "Nested": {"Detail": "x", "Other": "y"},
            "Gone": null
        },
        "legacy": {"code_a": 1, "code_b": 2, "other": 3}
    });
    let out = spec.apply(&record, &Context::new()).unwrap();
    assert_eq!(
        out,
        json!({
            "Subscription_Term__c": "12 months",
            "Sub": {"Detail__c": "x"},
            "PT_SalesRepID__c": "0057",
            "Legacy.Codes": {"a": 1, "b": 2}
        })
    );
    let back = spec.reverse(&out, &Context::new()).unwrap();
    assert_eq!(
        back.record,
        json!({
            "discretionary_data": {
                "Subscription_Term": "12 months",
                "SalesRepID": "0057",
                "Nested": {"Detail": "x"}
            },
            "legacy": {"code_a": 1, "code_b": 2}
        })
    );
    assert!(back.one_way.is_empty());

    // In reverse, keys other rules write are not swept into the wildcard.
    let spec = load(
        "[[rule]]\ntarget = \"Amount__c\"\nsource = \"amount\"\n\n[[rule]]\ntarget = \"*\"\nsource = \"custom.*\"\n",
    );
    let back = spec
        .reverse(&json!({"Amount__c": 5, "Color__c": "red"}), &Context::new())
        .unwrap();
    assert_eq!(
        back.record,
        json!({"amount": 5, "custom": {"Color__c": "red"}})
    );
}

#[test]
fn direction_and_the_one_way_report() {
    let spec = load(
        r#"
[[rule]]
target = "Id"
source = "id"

[[rule]]
target = "Code"
source = "code"
transforms = ["upper"]

[[rule]]
target = "Kind"
value = "Cust"

[[rule]]
target = "Account"
source = "$ctx.account"

[[rule]]
target = "Ref"
source = "ref"
direction = "forward"

[[rule]]
name = "reverse only"
target = "Id"
source = "legacy_id"
direction = "reverse"

[[rule]]
target = "Code"
source = "code_text"
transforms = ["upper"]
reverse_transforms = ["lower"]
"#,
    );
    let ctx = Context::new().with("account", "US-001");
    let out = spec
        .apply(
            &json!({"id": 1, "code": "ab", "ref": "r", "legacy_id": 99}),
            &ctx,
        )
        .unwrap();
    assert_eq!(
        out,
        json!({"Id": 1, "Code": "AB", "Kind": "Cust", "Account": "US-001", "Ref": "r"}),
        "the reverse-only rule does not run forward"
    );
    let back = spec.reverse(&out, &ctx).unwrap();
    assert_eq!(
        back.record,
        json!({"id": 1, "legacy_id": 1, "code_text": "ab"})
    );
    let one_way: Vec<usize> = back.one_way.iter().map(|r| r.index).collect();
    assert_eq!(one_way, [2, 3, 4, 5]);
    assert_eq!(
        spec.one_way_rules()
            .iter()
            .map(|r| r.target.as_str())
            .collect::<Vec<_>>(),
        ["Code", "Kind", "Account", "Ref"]
    );
}

#[test]
fn reverse_conditions_read_the_target_or_the_rebuilt_source() {
    let spec = load(
        r#"
[[rule]]
target = "Type__c"
source = "transaction_type"
transforms = [{ name = "map", table = { SALE = "Sale", REFUND = "Refund" } }]

[[rule]]
target = "Amount__c"
source = "amount"
transforms = ["to_decimal", "negate"]
when = { path = "transaction_type", equals = "REFUND" }

[[rule]]
target = "Amount__c"
source = "amount"
transforms = ["to_decimal"]

[[rule]]
target = "Flag__c"
source = "flag"
reverse_when = { path = "Type__c", equals = "Sale" }
"#,
    );
    for record in [
        json!({"transaction_type": "SALE", "amount": 5.5, "flag": true}),
        json!({"transaction_type": "REFUND", "amount": 5.5}),
    ] {
        let out = spec.apply(&record, &Context::new()).unwrap();
        let back = spec.reverse(&out, &Context::new()).unwrap();
        assert_eq!(back.record, record, "{out}");
    }
}

#[test]
fn custom_transforms_from_the_registry() {
    let mut registry = TransformRegistry::builtin();
    registry
        .register_one_way("shout", lift(|s: String| format!("{}!", s.to_uppercase())))
        .register(
            "cents",
            lift_try(|d: f64| {
                if d.is_finite() {
                    Ok((d * 100.0).round() as i64)
                } else {
                    Err(std::fmt::Error)
                }
            }),
            lift(|c: i64| c as f64 / 100.0),
        )
        .register_with_args("repeat", |args| {
            let times = args
                .get("times")
                .and_then(Value::as_u64)
                .ok_or_else(|| StepError::new("`times` must be a whole number"))?;
            Ok(Transform::one_way("repeat", move |v: &Value| {
                let s = v.as_str().ok_or_else(|| StepError::new("expected text"))?;
                Ok(json!(s.repeat(times as usize)))
            }))
        });
    assert!(registry.contains("shout") && !registry.contains("paytrace_datetime"));
    let spec = Spec::from_toml_str(
        r#"
[[rule]]
target = "a"
source = "a"
transforms = ["shout", { name = "repeat", times = 2 }]

[[rule]]
target = "cents"
source = "dollars"
transforms = ["cents"]
"#,
        &registry,
    )
    .unwrap();
    let out = spec
        .apply(&json!({"a": "hi", "dollars": 12.34}), &Context::new())
        .unwrap();
    assert_eq!(out, json!({"a": "HI!HI!", "cents": 1234}));
    assert_eq!(
        spec.reverse(&out, &Context::new()).unwrap().record,
        json!({"dollars": 12.34})
    );
    let err = Spec::from_toml_str(
        "[[rule]]\ntarget = \"a\"\nsource = \"a\"\ntransforms = [{ name = \"repeat\" }]\n",
        &registry,
    )
    .unwrap_err();
    assert_eq!(err.line(), Some(4));
    assert!(
        err.to_string().contains("`times` must be a whole number"),
        "{err}"
    );
    assert!(TransformRegistry::new().names().next().is_none());
}

#[test]
fn paths_with_indexes_and_quoted_keys() {
    let spec = load(
        r#"
[[rule]]
target = "lines[1].amount"
source = "items[0].\"unit.price\""

[[rule]]
target = "\"Legacy.Code\""
source = "codes[2]"
"#,
    );
    let record = json!({"items": [{"unit.price": 4.5}], "codes": ["a", "b", "c"]});
    let out = spec.apply(&record, &Context::new()).unwrap();
    assert_eq!(
        out,
        json!({"lines": [null, {"amount": 4.5}], "Legacy.Code": "c"})
    );
    let back = spec.reverse(&out, &Context::new()).unwrap().record;
    assert_eq!(
        back,
        json!({"items": [{"unit.price": 4.5}], "codes": [null, null, "c"]})
    );
}

#[test]
fn specs_and_registries_can_be_shared_across_threads() {
    fn shared<T: Send + Sync + Clone>() {}
    shared::<Spec>();
    shared::<TransformRegistry>();
    shared::<Context>();
    let spec = load(AMOUNT_SPEC);
    let handles: Vec<_> = (0..4)
        .map(|i| {
            let spec = spec.clone();
            std::thread::spawn(move || {
                spec.apply(&json!({"transaction_id": i, "amount": i}), &Context::new())
                    .unwrap()
            })
        })
        .collect();
    for (i, handle) in handles.into_iter().enumerate() {
        assert_eq!(
            handle.join().unwrap(),
            json!({"Id__c": i.to_string(), "Amount__c": i})
        );
    }
}
