#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Salesforce emulator composite family: references, allOrNone rollback, batch haltOnError,
//! graphs, sObject collections with per-record results, and trees, over real HTTP.

mod salesforce_common;

use reqwest::Method;
use salesforce_common::Sf;
use sandbox::salesforce::{CHANGE_EVENTS_CHANNEL, FieldMeta, ObjectMeta, SalesforceConfig};
use serde_json::{Value, json};

const V: &str = "/services/data/v67.0";

fn sub(method: &str, url: &str, reference: &str, body: Option<Value>) -> Value {
    let mut v = json!({"method": method, "url": format!("{V}{url}"), "referenceId": reference});
    if let Some(b) = body {
        v["body"] = b;
    }
    v
}

async fn sf() -> Sf {
    Sf::start_with(
        SalesforceConfig::default()
            .object(
                ObjectMeta::new("Payment__c")
                    .field(FieldMeta::text("PaymentID__c", 40).external_id().unique())
                    .field(
                        FieldMeta::new("Amount__c", sandbox::salesforce::FieldType::Currency)
                            .required(),
                    ),
            )
            .cdc("Account"),
    )
    .await
}

#[tokio::test]
async fn composite_resolves_references_in_order() {
    let sf = sf().await;
    let body = json!({"compositeRequest": [
        sub("POST", "/sobjects/Account", "refAccount", Some(json!({"Name": "Parent"}))),
        sub("POST", "/sobjects/Contact", "refContact", Some(json!({"LastName": "Kid", "AccountId": "@{refAccount.id}"}))),
        sub("GET", "/query?q=SELECT+Id,+AccountId+FROM+Contact+WHERE+AccountId+=+'@{refAccount.id}'", "refQuery", None),
        sub("GET", "/sobjects/Contact/@{refQuery.records[0].Id}?fields=LastName", "refGet", None),
        sub("PATCH", "/sobjects/Account/@{refAccount.id}", "refPatch", Some(json!({"Phone": "@{refGet.LastName}"}))),
    ]});
    let r = sf.post("/composite", body).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let out = r.json["compositeResponse"].as_array().unwrap();
    let statuses: Vec<u64> = out
        .iter()
        .map(|e| e["httpStatusCode"].as_u64().unwrap())
        .collect();
    assert_eq!(statuses, vec![201, 201, 200, 200, 204], "{}", r.text);
    let refs: Vec<&str> = out
        .iter()
        .map(|e| e["referenceId"].as_str().unwrap())
        .collect();
    assert_eq!(
        refs,
        vec!["refAccount", "refContact", "refQuery", "refGet", "refPatch"]
    );
    let acc = out[0]["body"]["id"].as_str().unwrap();
    let contact = out[1]["body"]["id"].as_str().unwrap();
    assert_eq!(
        out[0]["httpHeaders"]["Location"],
        format!("{V}/sobjects/Account/{acc}")
    );
    assert_eq!(out[2]["body"]["totalSize"], 1);
    assert_eq!(out[2]["body"]["records"][0]["AccountId"], acc);
    assert_eq!(out[3]["body"]["LastName"], "Kid");
    assert_eq!(out[4]["body"], Value::Null);
    let emu = sf.sb.emulator();
    assert_eq!(emu.record(contact).unwrap().fields["AccountId"], acc);
    assert_eq!(emu.record(acc).unwrap().fields["Phone"], "Kid");
    // A composite request is one API call.
    assert_eq!(emu.api_usage().used, 1);
}

#[tokio::test]
async fn composite_all_or_none_rolls_back_everything() {
    let sf = sf().await;
    let body = json!({"allOrNone": true, "compositeRequest": [
        sub("POST", "/sobjects/Account", "acc", Some(json!({"Name": "Rolled back"}))),
        sub("POST", "/sobjects/Contact", "bad", Some(json!({"FirstName": "No last name", "AccountId": "@{acc.id}"}))),
        sub("POST", "/sobjects/Account", "never", Some(json!({"Name": "Never"}))),
    ]});
    let r = sf.post("/composite", body).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let out = r.json["compositeResponse"].as_array().unwrap();
    assert_eq!(out.len(), 3);
    for i in [0, 2] {
        assert_eq!(out[i]["httpStatusCode"], 400);
        assert_eq!(out[i]["body"][0]["errorCode"], "PROCESSING_HALTED");
    }
    assert_eq!(out[1]["httpStatusCode"], 400);
    assert_eq!(out[1]["body"][0]["errorCode"], "REQUIRED_FIELD_MISSING");
    assert_eq!(out[1]["referenceId"], "bad");
    assert_eq!(sf.sb.emulator().count("Account"), 0);
    assert_eq!(sf.sb.emulator().count("Contact"), 0);
    assert!(
        sf.sb.bus().events(CHANGE_EVENTS_CHANNEL).is_empty(),
        "no change event for a rollback"
    );

    // Without allOrNone the good ones stay, and a reference to a failed one fails.
    let body = json!({"compositeRequest": [
        sub("POST", "/sobjects/Contact", "bad", Some(json!({"FirstName": "x"}))),
        sub("POST", "/sobjects/Account", "ok", Some(json!({"Name": "Kept"}))),
        sub("GET", "/sobjects/Contact/@{bad.id}", "dependent", None),
    ]});
    let r = sf.post("/composite", body).await;
    let out = r.json["compositeResponse"].as_array().unwrap();
    assert_eq!(out[0]["httpStatusCode"], 400);
    assert_eq!(out[1]["httpStatusCode"], 201);
    assert_eq!(out[2]["httpStatusCode"], 400);
    assert!(
        out[2]["body"][0]["message"]
            .as_str()
            .unwrap()
            .starts_with("Invalid reference specified")
    );
    assert_eq!(sf.sb.emulator().count("Account"), 1);
    assert_eq!(sf.sb.bus().events("/data/AccountChangeEvent").len(), 1);
}

#[tokio::test]
async fn composite_request_limits_are_checked_before_running() {
    let sf = sf().await;
    let many: Vec<Value> = (0..26)
        .map(|i| {
            sub(
                "POST",
                "/sobjects/Account",
                &format!("r{i}"),
                Some(json!({"Name": "x"})),
            )
        })
        .collect();
    let queries: Vec<Value> = (0..6)
        .map(|i| {
            sub(
                "GET",
                "/query?q=SELECT+Id+FROM+Account",
                &format!("q{i}"),
                None,
            )
        })
        .collect();
    let dup = vec![
        sub(
            "POST",
            "/sobjects/Account",
            "same",
            Some(json!({"Name": "x"})),
        ),
        sub(
            "POST",
            "/sobjects/Account",
            "same",
            Some(json!({"Name": "y"})),
        ),
    ];
    let no_ref = vec![
        json!({"method": "POST", "url": format!("{V}/sobjects/Account"), "body": {"Name": "x"}}),
    ];
    let bad_url = vec![json!({"method": "GET", "url": "/services/apexrest/x", "referenceId": "a"})];
    for reqs in [many, queries, dup, no_ref, bad_url] {
        let r = sf
            .post("/composite", json!({"compositeRequest": reqs}))
            .await;
        assert_eq!(r.status, 400, "{}", r.text);
        assert!(r.json[0]["errorCode"].is_string());
    }
    assert_eq!(sf.sb.emulator().count("Account"), 0);
    let listing = sf.get("/composite").await;
    assert_eq!(listing.json["batch"], format!("{V}/composite/batch"));
}

#[tokio::test]
async fn batch_with_and_without_halt_on_error() {
    let sf = sf().await;
    let reqs = |halt: bool| {
        json!({"haltOnError": halt, "batchRequests": [
            {"method": "POST", "url": "v67.0/sobjects/Account", "richInput": {"Name": "One"}},
            {"method": "POST", "url": "v67.0/sobjects/Account", "richInput": {"Phone": "no name"}},
            {"method": "POST", "url": "v67.0/sobjects/Account", "richInput": {"Name": "Three"}},
            {"method": "GET", "url": "v67.0/limits"},
        ]})
    };
    let r = sf.post("/composite/batch", reqs(true)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["hasErrors"], true);
    let res = r.json["results"].as_array().unwrap();
    let codes: Vec<u64> = res
        .iter()
        .map(|x| x["statusCode"].as_u64().unwrap())
        .collect();
    assert_eq!(codes, vec![201, 400, 412, 412]);
    assert_eq!(res[1]["result"][0]["errorCode"], "REQUIRED_FIELD_MISSING");
    assert_eq!(res[2]["result"][0]["errorCode"], "BATCH_PROCESSING_HALTED");
    assert_eq!(sf.sb.emulator().count("Account"), 1);
    assert_eq!(
        sf.sb.emulator().api_usage().used,
        4,
        "each subrequest counts"
    );

    let r = sf.post("/composite/batch", reqs(false)).await;
    let codes: Vec<u64> = r.json["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["statusCode"].as_u64().unwrap())
        .collect();
    assert_eq!(codes, vec![201, 400, 201, 200]);
    assert_eq!(sf.sb.emulator().count("Account"), 3);
    // Each batch subrequest is its own transaction.
    let events = sf.sb.bus().events("/data/AccountChangeEvent");
    assert_eq!(events.len(), 3);
    let keys: std::collections::HashSet<&str> = events
        .iter()
        .map(|e| {
            e.change_header().unwrap()["transactionKey"]
                .as_str()
                .unwrap()
        })
        .collect();
    assert_eq!(keys.len(), 3);

    let bad = sf
        .post(
            "/composite/batch",
            json!({"batchRequests": [{"method": "FETCH", "url": "v67.0/limits"}]}),
        )
        .await;
    assert_eq!(bad.status, 400);
}

#[tokio::test]
async fn graphs_are_all_or_nothing_each() {
    let sf = sf().await;
    let body = json!({"graphs": [
        {"graphId": "good", "compositeRequest": [
            sub("POST", "/sobjects/Account", "a", Some(json!({"Name": "Graph A"}))),
            sub("POST", "/sobjects/Contact", "c", Some(json!({"LastName": "C", "AccountId": "@{a.id}"}))),
        ]},
        {"graphId": "bad", "compositeRequest": [
            sub("POST", "/sobjects/Account", "a", Some(json!({"Name": "Graph B"}))),
            sub("POST", "/sobjects/Contact", "c", Some(json!({"AccountId": "@{a.id}"}))),
        ]},
    ]});
    let r = sf.post("/composite/graph", body).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let graphs = r.json["graphs"].as_array().unwrap();
    assert_eq!(graphs[0]["graphId"], "good");
    assert_eq!(graphs[0]["isSuccessful"], true);
    assert_eq!(graphs[1]["isSuccessful"], false);
    let bad = graphs[1]["graphResponse"]["compositeResponse"]
        .as_array()
        .unwrap();
    assert_eq!(bad[0]["body"][0]["errorCode"], "PROCESSING_HALTED");
    assert_eq!(bad[1]["body"][0]["errorCode"], "REQUIRED_FIELD_MISSING");
    let names: Vec<Value> = sf
        .sb
        .emulator()
        .records("Account")
        .into_iter()
        .map(|r| r.fields["Name"].clone())
        .collect();
    assert_eq!(names, vec![json!("Graph A")]);
}

#[tokio::test]
async fn collection_with_one_bad_record_answers_per_record_in_order() {
    let sf = sf().await;
    let records: Vec<Value> = (0..5)
        .map(|i| {
            if i == 2 {
                json!({"attributes": {"type": "Account"}, "Phone": "no name"})
            } else {
                json!({"attributes": {"type": "Account"}, "Name": format!("Acc {i}")})
            }
        })
        .collect();
    let r = sf
        .post(
            "/composite/sobjects",
            json!({"allOrNone": false, "records": records}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let res = r.json.as_array().unwrap();
    assert_eq!(res.len(), 5);
    for (i, x) in res.iter().enumerate() {
        if i == 2 {
            assert_eq!(x["success"], false);
            let e = &x["errors"][0];
            assert_eq!(e["statusCode"], "REQUIRED_FIELD_MISSING");
            assert!(e.get("errorCode").is_none(), "collections use statusCode");
            assert_eq!(e["fields"], json!(["Name"]));
        } else {
            assert_eq!(x["success"], true, "{x}");
            assert_eq!(x["errors"], json!([]));
            let id = x["id"].as_str().unwrap();
            assert_eq!(
                sf.sb.emulator().record(id).unwrap().fields["Name"],
                format!("Acc {i}")
            );
        }
    }
    assert_eq!(sf.sb.emulator().count("Account"), 4);

    // allOrNone: nothing is written; the innocent records say they were rolled back.
    let records = json!([
        {"attributes": {"type": "Account"}, "Name": "Innocent"},
        {"attributes": {"type": "Payment__c"}, "Amount__c": 1, "PaymentID__c": "P1"},
        {"attributes": {"type": "Payment__c"}, "Amount__c": 1, "PaymentID__c": "P1"},
    ]);
    let r = sf
        .post(
            "/composite/sobjects",
            json!({"allOrNone": true, "records": records}),
        )
        .await;
    let res = r.json.as_array().unwrap();
    assert_eq!(
        res[0]["errors"][0]["statusCode"],
        "ALL_OR_NONE_OPERATION_ROLLED_BACK"
    );
    assert_eq!(
        res[1]["errors"][0]["statusCode"],
        "ALL_OR_NONE_OPERATION_ROLLED_BACK"
    );
    assert_eq!(res[2]["errors"][0]["statusCode"], "DUPLICATE_VALUE");
    assert!(res.iter().all(|x| x["success"] == false));
    assert_eq!(sf.sb.emulator().count("Account"), 4);
    assert_eq!(sf.sb.emulator().count("Payment__c"), 0);

    let too_many: Vec<Value> = (0..201)
        .map(|_| json!({"attributes": {"type": "Account"}, "Name": "x"}))
        .collect();
    let r = sf
        .post("/composite/sobjects", json!({"records": too_many}))
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(sf.sb.emulator().count("Account"), 4);
}

#[tokio::test]
async fn collection_update_upsert_retrieve_delete() {
    let sf = sf().await;
    let emu = sf.sb.emulator();
    let a = emu.seed("Account", json!({"Name": "A"})).unwrap();
    let b = emu.seed("Account", json!({"Name": "B"})).unwrap();
    let upd = sf
        .patch(
            "/composite/sobjects",
            json!({"records": [
                {"attributes": {"type": "Account"}, "id": a, "Phone": "1"},
                {"attributes": {"type": "Account"}, "id": "001000000000000AAA", "Phone": "2"},
                {"attributes": {"type": "Account"}, "Id": b, "Name": null},
            ]}),
        )
        .await;
    let res = upd.json.as_array().unwrap();
    assert_eq!(res[0], json!({"id": a, "success": true, "errors": []}));
    assert_eq!(res[1]["errors"][0]["statusCode"], "ENTITY_IS_DELETED");
    assert_eq!(res[2]["errors"][0]["statusCode"], "REQUIRED_FIELD_MISSING");
    assert_eq!(emu.record(&a).unwrap().fields["Phone"], "1");

    let existing = emu
        .seed("Payment__c", json!({"Amount__c": 1, "PaymentID__c": "E"}))
        .unwrap();
    let up = sf
        .patch(
            "/composite/sobjects/Payment__c/PaymentID__c",
            json!({"allOrNone": false, "records": [
                {"attributes": {"type": "Payment__c"}, "PaymentID__c": "E", "Amount__c": 5},
                {"attributes": {"type": "Payment__c"}, "PaymentID__c": "N", "Amount__c": 6},
                {"attributes": {"type": "Payment__c"}, "PaymentID__c": "D", "Amount__c": 7},
                {"attributes": {"type": "Payment__c"}, "PaymentID__c": "D", "Amount__c": 8},
            ]}),
        )
        .await;
    assert_eq!(up.status, 200, "{}", up.text);
    let res = up.json.as_array().unwrap();
    assert_eq!(
        res[0],
        json!({"id": existing, "success": true, "errors": [], "created": false})
    );
    assert_eq!(res[1]["created"], true);
    assert_eq!(res[2]["errors"][0]["statusCode"], "DUPLICATE_EXTERNAL_ID");
    assert_eq!(res[3]["errors"][0]["statusCode"], "DUPLICATE_EXTERNAL_ID");
    assert_eq!(emu.record(&existing).unwrap().fields["Amount__c"], 5);
    assert_eq!(emu.count("Payment__c"), 2);

    let got = sf
        .get(&format!(
            "/composite/sobjects/Account?ids={a},{b},001000000000000AAA&fields=Name,Phone"
        ))
        .await;
    assert_eq!(got.status, 200, "{}", got.text);
    assert_eq!(got.json[0]["Phone"], "1");
    assert_eq!(got.json[1]["Name"], "B");
    assert_eq!(got.json[2], Value::Null);
    let posted = sf
        .post(
            "/composite/sobjects/Account",
            json!({"ids": [b], "fields": ["Name"]}),
        )
        .await;
    assert_eq!(posted.json[0]["Name"], "B");

    let del = sf
        .send(
            Method::DELETE,
            &sf.api(&format!(
                "/composite/sobjects?ids={a},bogus&allOrNone=false"
            )),
            None,
            &[],
        )
        .await;
    let res = del.json.as_array().unwrap();
    assert_eq!(res[0], json!({"id": a, "success": true, "errors": []}));
    assert_eq!(res[1]["errors"][0]["statusCode"], "MALFORMED_ID");
    assert!(emu.record(&a).unwrap().deleted);
}

#[tokio::test]
async fn tree_inserts_parents_and_children_or_nothing() {
    let sf = sf().await;
    let body = json!({"records": [
        {"attributes": {"type": "Account", "referenceId": "ref1"}, "Name": "Tree Co",
         "Contacts": {"records": [
             {"attributes": {"type": "Contact", "referenceId": "ref2"}, "LastName": "One"},
             {"attributes": {"type": "Contact", "referenceId": "ref3"}, "LastName": "Two"},
         ]}},
        {"attributes": {"type": "Account", "referenceId": "ref4"}, "Name": "Solo"},
    ]});
    let r = sf.post("/composite/tree/Account", body).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.json["hasErrors"], false);
    let results = r.json["results"].as_array().unwrap();
    let refs: Vec<&str> = results
        .iter()
        .map(|x| x["referenceId"].as_str().unwrap())
        .collect();
    assert_eq!(refs, vec!["ref1", "ref2", "ref3", "ref4"]);
    let parent = results[0]["id"].as_str().unwrap();
    let kid = results[1]["id"].as_str().unwrap();
    assert_eq!(
        sf.sb.emulator().record(kid).unwrap().fields["AccountId"],
        parent
    );

    let bad = json!({"records": [
        {"attributes": {"type": "Account", "referenceId": "p"}, "Name": "Rolled",
         "Contacts": {"records": [{"attributes": {"type": "Contact", "referenceId": "k"}, "FirstName": "x"}]}},
    ]});
    let r = sf.post("/composite/tree/Account", bad).await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert_eq!(r.json["hasErrors"], true);
    assert_eq!(r.json["results"][0]["referenceId"], "k");
    assert_eq!(
        r.json["results"][0]["errors"][0]["statusCode"],
        "REQUIRED_FIELD_MISSING"
    );
    assert_eq!(sf.sb.emulator().count("Account"), 2);
}
