#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Salesforce emulator sObject resources: CRUD, upsert outcomes, external IDs, validation
//! errors, describe, updated/deleted since and HTTP leniency, over real HTTP.

mod salesforce_common;

use chrono::TimeDelta;
use reqwest::Method;
use salesforce_common::{Sf, frozen_config};
use sandbox::salesforce::{FieldMeta, FieldType, ObjectMeta, SalesforceConfig};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn payments() -> ObjectMeta {
    ObjectMeta::new("Payment__c")
        .field(FieldMeta::text("PaymentID__c", 40).external_id().unique())
        .field(FieldMeta::new("Amount__c", FieldType::Currency).required())
        .field(FieldMeta::text("Ref__c", 40).external_id())
        .field(FieldMeta::reference("Account__c", "Account", "Account__r"))
}

async fn sf() -> Sf {
    Sf::start_with(SalesforceConfig::default().object(payments())).await
}

#[tokio::test]
async fn create_read_update_delete() {
    let sf = sf().await;
    let r = sf
        .post(
            "/sobjects/Account",
            json!({"Name": "Acme", "Phone": "555-0100"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let id = r.json["id"].as_str().unwrap().to_owned();
    assert_eq!(r.json, json!({"id": id, "success": true, "errors": []}));
    assert_eq!(id.len(), 18);
    assert!(id.starts_with("001"));
    assert_eq!(
        r.headers.get("location").unwrap(),
        &format!("/services/data/v67.0/sobjects/Account/{id}")
    );

    let g = sf
        .get(&format!("/sobjects/Account/{id}?fields=Name,phone"))
        .await;
    assert_eq!(g.status, 200, "{}", g.text);
    assert_eq!(g.json["attributes"]["type"], "Account");
    assert_eq!(
        g.json["attributes"]["url"],
        format!("/services/data/v67.0/sobjects/Account/{id}")
    );
    assert_eq!(g.json["Name"], "Acme");
    assert_eq!(
        g.json["Phone"], "555-0100",
        "field names are case-insensitive, answered canonical"
    );
    assert!(
        g.json.get("Industry").is_none(),
        "only the requested fields"
    );
    let all = sf.get(&format!("/sobjects/Account/{id}")).await;
    assert_eq!(all.json["Id"], id.as_str());
    assert!(all.json["Industry"].is_null());
    let created = all.json["CreatedDate"].as_str().unwrap();
    assert!(
        created.ends_with("+0000") && created.contains('.'),
        "{created}"
    );
    assert_eq!(all.json["OwnerId"], sf.sb.emulator().user_id(""));

    let u = sf
        .patch(
            &format!("/sobjects/Account/{id}"),
            json!({"Phone": "555-0199"}),
        )
        .await;
    assert_eq!((u.status, u.text.as_str()), (204, ""));
    assert_eq!(
        sf.sb.emulator().record(&id).unwrap().fields["Phone"],
        "555-0199"
    );
    // 15-character ids work too.
    let short = &id[..15];
    assert_eq!(
        sf.get(&format!("/sobjects/Account/{short}")).await.json["Phone"],
        "555-0199"
    );

    let d = sf.delete(&format!("/sobjects/Account/{id}")).await;
    assert_eq!(d.status, 204);
    let gone = sf.get(&format!("/sobjects/Account/{id}")).await;
    assert_eq!((gone.status, gone.error_code()), (404, "NOT_FOUND"));
    let again = sf.delete(&format!("/sobjects/Account/{id}")).await;
    assert_eq!(
        (again.status, again.error_code()),
        (404, "ENTITY_IS_DELETED")
    );
    let upd = sf
        .patch(&format!("/sobjects/Account/{id}"), json!({"Phone": "1"}))
        .await;
    assert_eq!(upd.error_code(), "ENTITY_IS_DELETED");
    assert!(sf.sb.emulator().record(&id).unwrap().deleted);
}

#[tokio::test]
async fn key_prefixes_by_object() {
    let sf = sf().await;
    let acc = sf.create("Account", json!({"Name": "A"})).await;
    let prefixes = [
        ("Contact", json!({"LastName": "L"}), "003"),
        (
            "Opportunity",
            json!({"Name": "O", "StageName": "Prospecting", "CloseDate": "2024-06-30"}),
            "006",
        ),
        (
            "Order",
            json!({"AccountId": acc, "EffectiveDate": "2024-05-01", "Status": "Draft"}),
            "801",
        ),
        ("Case", json!({"Subject": "S"}), "500"),
        ("Payment__c", json!({"Amount__c": 1}), "a00"),
        ("Invoice__c", json!({"Total__c": 2}), "a01"),
    ];
    for (obj, body, prefix) in prefixes {
        let id = sf.create(obj, body).await;
        assert!(id.starts_with(prefix), "{obj}: {id}");
    }
    let case = sf.sb.emulator().records("Case").pop().unwrap();
    assert_eq!(case.fields["Status"], "New", "defaulted on create");
    assert_eq!(case.fields["CaseNumber"].as_str().unwrap().len(), 8);
}

#[tokio::test]
async fn upsert_creates_then_updates() {
    let sf = sf().await;
    let path = "/sobjects/Payment__c/PaymentID__c/P-1";
    let first = sf.patch(path, json!({"Amount__c": 10})).await;
    assert_eq!(first.status, 201, "{}", first.text);
    let id = first.json["id"].as_str().unwrap().to_owned();
    assert_eq!(
        first.json,
        json!({"id": id, "success": true, "errors": [], "created": true})
    );
    let rec = sf.sb.emulator().record(&id).unwrap();
    assert_eq!(rec.fields["PaymentID__c"], "P-1");

    let second = sf.patch(path, json!({"Amount__c": 12.5})).await;
    assert_eq!(second.status, 200, "{}", second.text);
    assert_eq!(
        second.json,
        json!({"id": id, "success": true, "errors": [], "created": false})
    );
    assert_eq!(
        sf.sb.emulator().record(&id).unwrap().fields["Amount__c"],
        12.5
    );
    assert_eq!(sf.sb.emulator().count("Payment__c"), 1);

    // Older API versions answer 204 for an update.
    let old = sf
        .send(
            Method::PATCH,
            &sf.url("/services/data/v45.0/sobjects/Payment__c/PaymentID__c/P-1"),
            Some(&json!({"Amount__c": 13})),
            &[],
        )
        .await;
    assert_eq!((old.status, old.text.as_str()), (204, ""));

    // updateOnly never creates.
    let r = sf
        .patch(
            "/sobjects/Payment__c/PaymentID__c/P-2?updateOnly=true",
            json!({"Amount__c": 1}),
        )
        .await;
    assert_eq!((r.status, r.error_code()), (404, "NOT_FOUND"));
    assert_eq!(sf.sb.emulator().count("Payment__c"), 1);
    // The URL value wins; a different value in the body is refused.
    let r = sf
        .patch(path, json!({"Amount__c": 1, "PaymentID__c": "P-9"}))
        .await;
    assert_eq!((r.status, r.error_code()), (400, "INVALID_FIELD"));
    // Creating through upsert still needs required fields.
    let r = sf
        .patch("/sobjects/Payment__c/PaymentID__c/P-3", json!({}))
        .await;
    assert_eq!((r.status, r.error_code()), (400, "REQUIRED_FIELD_MISSING"));
    // External id values with reserved characters are percent-encoded in the path.
    let r = sf
        .patch(
            "/sobjects/Payment__c/PaymentID__c/A%2FB%20C",
            json!({"Amount__c": 3}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let rec = sf
        .sb
        .emulator()
        .record(r.json["id"].as_str().unwrap())
        .unwrap();
    assert_eq!(rec.fields["PaymentID__c"], "A/B C");
}

#[tokio::test]
async fn several_matches_answer_300_and_change_nothing() {
    let sf = sf().await;
    let emu = sf.sb.emulator();
    let a = emu
        .seed("Payment__c", json!({"Amount__c": 1, "Ref__c": "R"}))
        .unwrap();
    let b = emu
        .seed("Payment__c", json!({"Amount__c": 2, "Ref__c": "r"}))
        .unwrap();
    let up = sf
        .patch("/sobjects/Payment__c/Ref__c/R", json!({"Amount__c": 9}))
        .await;
    assert_eq!(up.status, 300, "{}", up.text);
    let mut urls: Vec<String> = serde_json::from_value(up.json.clone()).unwrap();
    urls.sort();
    let mut want = vec![
        format!("/services/data/v67.0/sobjects/Payment__c/{a}"),
        format!("/services/data/v67.0/sobjects/Payment__c/{b}"),
    ];
    want.sort();
    assert_eq!(urls, want);
    assert_eq!(emu.record(&a).unwrap().fields["Amount__c"], 1);
    assert_eq!(sf.get("/sobjects/Payment__c/Ref__c/R").await.status, 300);
    assert_eq!(sf.delete("/sobjects/Payment__c/Ref__c/R").await.status, 300);
    assert_eq!(emu.count("Payment__c"), 2);
}

#[tokio::test]
async fn get_and_delete_by_external_id_and_field_errors() {
    let sf = sf().await;
    let id = sf
        .sb
        .emulator()
        .seed("Payment__c", json!({"Amount__c": 5, "PaymentID__c": "X-1"}))
        .unwrap();
    let g = sf
        .get("/sobjects/Payment__c/PaymentID__c/X-1?fields=Amount__c")
        .await;
    assert_eq!(g.status, 200, "{}", g.text);
    assert_eq!(g.json["Amount__c"], 5);
    assert_eq!(
        g.json["attributes"]["url"],
        format!("/services/data/v67.0/sobjects/Payment__c/{id}")
    );
    assert_eq!(
        sf.get("/sobjects/Payment__c/PaymentID__c/none")
            .await
            .status,
        404
    );
    assert_eq!(
        sf.get(&format!("/sobjects/Payment__c/Id/{id}"))
            .await
            .status,
        200
    );

    for bad in ["Nope", "Amount__c"] {
        let r = sf.get(&format!("/sobjects/Account/{bad}/1")).await;
        let r2 = sf
            .patch(
                &format!("/sobjects/Payment__c/{bad}/1"),
                json!({"Amount__c": 1}),
            )
            .await;
        for r in [r, r2] {
            assert_eq!(r.status, 404, "{}", r.text);
            assert_eq!(r.error_code(), "NOT_FOUND");
            assert_eq!(
                r.error_message(),
                format!("Provided external ID field does not exist or is not accessible: {bad}")
            );
        }
    }
    let d = sf.delete("/sobjects/Payment__c/PaymentID__c/X-1").await;
    assert_eq!(d.status, 204);
    assert!(sf.sb.emulator().record(&id).unwrap().deleted);
}

#[tokio::test]
async fn validation_errors_have_salesforce_shape() {
    let sf = sf().await;
    let r = sf.post("/sobjects/Account", json!({"Phone": "1"})).await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.json,
        json!([{"message": "Required fields are missing: [Name]", "errorCode": "REQUIRED_FIELD_MISSING", "fields": ["Name"]}])
    );
    let first = sf
        .create("Payment__c", json!({"Amount__c": 1, "PaymentID__c": "U-1"}))
        .await;
    let dup = sf
        .post(
            "/sobjects/Payment__c",
            json!({"Amount__c": 2, "PaymentID__c": "u-1"}),
        )
        .await;
    assert_eq!((dup.status, dup.error_code()), (400, "DUPLICATE_VALUE"));
    assert!(dup.error_message().contains(&first), "{}", dup.text);
    let cases = [
        (json!({"Name": "x", "Nmae": "y"}), "INVALID_FIELD"),
        (
            json!({"Name": "x", "CreatedDate": "2024-01-01T00:00:00Z"}),
            "INVALID_FIELD_FOR_INSERT_UPDATE",
        ),
        (
            json!({"Name": "x", "NumberOfEmployees": "lots"}),
            "JSON_PARSER_ERROR",
        ),
        (
            json!({"Name": "x", "ParentId": "not-an-id"}),
            "MALFORMED_ID",
        ),
        (json!({"Name": "x".repeat(256)}), "STRING_TOO_LONG"),
        (json!(["Name"]), "JSON_PARSER_ERROR"),
    ];
    for (body, code) in cases {
        let r = sf.post("/sobjects/Account", body.clone()).await;
        assert_eq!(
            (r.status, r.error_code()),
            (400, code),
            "{body}: {}",
            r.text
        );
        assert!(r.json[0]["message"].is_string());
    }
    let bad_json = sf
        .http
        .post(sf.api("/sobjects/Account"))
        .bearer_auth(&sf.token)
        .header("content-type", "application/json")
        .body("{\"Name\": ")
        .send()
        .await
        .unwrap();
    let bad_json = salesforce_common::finish(bad_json).await;
    assert_eq!(
        (bad_json.status, bad_json.error_code()),
        (400, "JSON_PARSER_ERROR")
    );
    let unknown = sf.post("/sobjects/Acount", json!({"Name": "x"})).await;
    assert_eq!((unknown.status, unknown.error_code()), (404, "NOT_FOUND"));
    let put = sf
        .send(
            Method::PUT,
            &sf.api("/sobjects/Account"),
            Some(&json!({})),
            &[],
        )
        .await;
    assert_eq!((put.status, put.error_code()), (405, "METHOD_NOT_ALLOWED"));
    let other_prefix = sf.get("/sobjects/Account/003000000000000AAA").await;
    assert_eq!(other_prefix.status, 404);
    let nowhere = sf.get("/nowhere").await;
    assert_eq!((nowhere.status, nowhere.error_code()), (404, "NOT_FOUND"));
    assert_eq!(sf.sb.emulator().count("Account"), 0);
}

#[tokio::test]
async fn describe_global_and_one_object() {
    let sf = sf().await;
    let g = sf.get("/sobjects").await;
    assert_eq!(g.json["maxBatchSize"], 200);
    let list = g.json["sobjects"].as_array().unwrap();
    let account = list.iter().find(|o| o["name"] == "Account").unwrap();
    assert_eq!(account["keyPrefix"], "001");
    assert_eq!(account["custom"], false);
    let pay = list.iter().find(|o| o["name"] == "Payment__c").unwrap();
    assert_eq!(pay["custom"], true);
    assert_eq!(
        pay["urls"]["describe"],
        "/services/data/v67.0/sobjects/Payment__c/describe"
    );

    let d = sf.get("/sobjects/Payment__c/describe/").await;
    assert_eq!(d.status, 200);
    let fields = d.json["fields"].as_array().unwrap();
    let f = |n: &str| fields.iter().find(|f| f["name"] == n).unwrap().clone();
    assert_eq!(f("PaymentID__c")["externalId"], true);
    assert_eq!(f("PaymentID__c")["unique"], true);
    assert_eq!(f("Amount__c")["type"], "currency");
    assert_eq!(f("Amount__c")["nillable"], false);
    assert_eq!(f("Id")["type"], "id");
    assert_eq!(f("Account__c")["referenceTo"], json!(["Account"]));
    assert_eq!(f("Account__c")["relationshipName"], "Account__r");
    let acc = sf.get("/sobjects/Account/describe").await;
    let children = acc.json["childRelationships"].as_array().unwrap();
    assert!(
        children
            .iter()
            .any(|c| c["childSObject"] == "Contact" && c["field"] == "AccountId")
    );
    let basic = sf.get("/sobjects/Account").await;
    assert_eq!(basic.json["objectDescribe"]["name"], "Account");
    assert_eq!(basic.json["recentItems"], json!([]));
}

#[tokio::test]
async fn updated_and_deleted_since() {
    let sf = Sf::start_with(frozen_config()).await;
    let clock = sf.sb.emulator().clock().clone();
    let a = sf.create("Account", json!({"Name": "A"})).await;
    let b = sf.create("Account", json!({"Name": "B"})).await;
    clock.advance(TimeDelta::hours(1));
    sf.patch(&format!("/sobjects/Account/{a}"), json!({"Phone": "1"}))
        .await;
    sf.delete(&format!("/sobjects/Account/{b}")).await;
    let r = sf
        .get(
            "/sobjects/Account/updated/?start=2024-05-01T18:30:00Z&end=2024-05-01T20:00:00%2B00:00",
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["ids"], json!([a]));
    assert_eq!(r.json["latestDateCovered"], "2024-05-01T20:00:00.000+0000");
    let d = sf
        .get("/sobjects/Account/deleted/?start=2024-05-01T18:30:00Z&end=2024-05-01T20:00:00Z")
        .await;
    assert_eq!(
        d.json["deletedRecords"],
        json!([{"id": b, "deletedDate": "2024-05-01T19:00:00.000+0000"}])
    );
    let early = sf
        .get("/sobjects/Account/updated/?start=2024-05-01T17:00:00Z&end=2024-05-01T18:10:00Z")
        .await;
    assert_eq!(
        early.json["ids"],
        json!([]),
        "a's last change is later; b is deleted"
    );
    assert_eq!(sf.get("/sobjects/Account/updated/").await.status, 400);
}

#[tokio::test]
async fn relationships_by_external_id_and_parent_records() {
    let sf = Sf::start_with(
        SalesforceConfig::default().object(payments()).object(
            sandbox::salesforce::standard_objects()
                .into_iter()
                .find(|o| o.name == "Account")
                .unwrap()
                .field(FieldMeta::text("Ext__c", 20).external_id().unique()),
        ),
    )
    .await;
    let acc = sf
        .create("Account", json!({"Name": "Parent", "Ext__c": "E-1"}))
        .await;
    let c = sf
        .create(
            "Contact",
            json!({"LastName": "Kid", "FirstName": "Ann", "Account": {"Ext__c": "E-1"}}),
        )
        .await;
    let rec = sf.sb.emulator().record(&c).unwrap();
    assert_eq!(rec.fields["AccountId"], acc.as_str());
    assert_eq!(rec.fields["Name"], "Ann Kid", "Contact.Name is computed");
    let p = sf.get(&format!("/sobjects/Contact/{c}/Account")).await;
    assert_eq!(p.status, 200, "{}", p.text);
    assert_eq!(p.json["Id"], acc.as_str());
    let missing = sf
        .post(
            "/sobjects/Contact",
            json!({"LastName": "X", "Account": {"Ext__c": "nope"}}),
        )
        .await;
    assert_eq!(
        (missing.status, missing.error_code()),
        (400, "INVALID_FIELD")
    );
    assert!(
        missing
            .error_message()
            .starts_with("Foreign key external ID: nope not found")
    );
    let pay = sf
        .create(
            "Payment__c",
            json!({"Amount__c": 1, "Account__r": {"Ext__c": "E-1"}}),
        )
        .await;
    assert_eq!(
        sf.sb.emulator().record(&pay).unwrap().fields["Account__c"],
        acc.as_str()
    );
}

#[tokio::test]
async fn accepts_trailing_slashes_and_chunked_bodies() {
    let sf = sf().await;
    let r = sf
        .post("/sobjects/Account/", json!({"Name": "Slash"}))
        .await;
    assert_eq!(r.status, 201);

    // A chunked request body, written by hand.
    let addr = sf.sb.server().local_addr();
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let body = br#"{"Name": "Chunked"}"#;
    let (a, b) = body.split_at(7);
    let mut req = format!(
        "POST /services/data/v67.0/sobjects/Account HTTP/1.1\r\nhost: {addr}\r\nauthorization: Bearer {}\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n",
        sf.token
    )
    .into_bytes();
    for part in [a, b] {
        req.extend_from_slice(format!("{:x}\r\n", part.len()).as_bytes());
        req.extend_from_slice(part);
        req.extend_from_slice(b"\r\n");
    }
    req.extend_from_slice(b"0\r\n\r\n");
    s.write_all(&req).await.unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).await.unwrap();
    assert!(out.starts_with("HTTP/1.1 201"), "{out}");
    let names: Vec<Value> = sf
        .sb
        .emulator()
        .records("Account")
        .into_iter()
        .map(|r| r.fields["Name"].clone())
        .collect();
    assert_eq!(names, vec![json!("Slash"), json!("Chunked")]);
}

#[tokio::test]
async fn in_process_seeding_and_inspection() {
    let sf = sf().await;
    let emu = sf.sb.emulator();
    let ids = emu
        .seed_many("Payment__c", (0..3).map(|i| json!({"Amount__c": i})))
        .unwrap();
    assert_eq!(ids.len(), 3);
    assert_eq!(emu.count("Payment__c"), 3);
    assert_eq!(emu.records("Payment__c")[2].id, ids[2]);
    let err = emu.seed("Payment__c", json!({})).unwrap_err();
    assert_eq!(err.code, "REQUIRED_FIELD_MISSING");
    assert_eq!(err.fields, vec!["Amount__c"]);
    assert_eq!(
        emu.seed("Nope", json!({"Name": "x"})).unwrap_err().code,
        "NOT_FOUND"
    );
    emu.delete(&ids[0]).unwrap();
    assert_eq!(emu.count("Payment__c"), 2);
    assert_eq!(emu.all_records("Payment__c").len(), 3);
    emu.undelete(&ids[0]).unwrap();
    assert_eq!(emu.count("Payment__c"), 3);
    assert!(
        emu.object("Payment__c")
            .unwrap()
            .fields
            .iter()
            .any(|f| f.name == "CreatedDate")
    );
}

#[tokio::test]
async fn garbage_input_gets_salesforce_errors_not_dropped_connections() {
    let sf = sf().await;
    let id = sf.create("Account", json!({"Name": "Target"})).await;
    let bodies: [&[u8]; 6] = [
        b"",
        b"null",
        b"[1,2",
        b"\"text\"",
        b"{\"a\":{\"b\":[{}]}}",
        &[0xff, 0xfe, 0x00],
    ];
    let paths = [
        "/".to_owned(),
        "/sobjects".to_owned(),
        "/sobjects/Account".to_owned(),
        format!("/sobjects/Account/{id}"),
        "/sobjects/Account/Ext__c/x".to_owned(),
        "/sobjects/Garbage__c/Id".to_owned(),
        "/sobjects/%FF%FE/x/y/z".to_owned(),
        "/query?q=%27".to_owned(),
        "/query/01g-".to_owned(),
        "/queryAll?q=SELECT".to_owned(),
        "/composite".to_owned(),
        "/composite/batch".to_owned(),
        "/composite/graph".to_owned(),
        "/composite/tree/Account".to_owned(),
        "/composite/sobjects".to_owned(),
        "/composite/sobjects/Account/Name".to_owned(),
        "/composite/sobjects/Account?ids=x".to_owned(),
        "/limits/extra".to_owned(),
    ];
    for path in &paths {
        for method in [Method::GET, Method::POST, Method::PATCH, Method::DELETE] {
            for body in bodies {
                let res = sf
                    .http
                    .request(method.clone(), sf.api(path))
                    .bearer_auth(&sf.token)
                    .header("content-type", "application/json")
                    .body(body.to_vec())
                    .send()
                    .await
                    .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
                let status = res.status().as_u16();
                assert!(status < 500, "{method} {path} -> {status}");
            }
        }
    }
    // Composite shapes that are JSON but wrong.
    for body in [
        json!({"compositeRequest": "x"}),
        json!({"compositeRequest": [1, 2]}),
        json!({"compositeRequest": [{"method": "GET", "url": "/services/data/v67.0/query?q=@{a.b", "referenceId": "a"}]}),
        json!({"compositeRequest": [{"method": "GET", "url": "/services/data/vX/limits", "referenceId": "a"}]}),
        json!({"compositeRequest": [{"method": "POST", "url": "/services/data/v67.0/composite", "referenceId": "a", "body": {}}]}),
    ] {
        let r = sf.post("/composite", body.clone()).await;
        assert!(r.status == 200 || r.status == 400, "{body}: {}", r.text);
    }
    assert_eq!(
        sf.sb.emulator().record(&id).unwrap().fields["Name"],
        "Target"
    );
}
