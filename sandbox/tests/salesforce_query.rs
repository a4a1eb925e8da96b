#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Salesforce emulator SOQL: paging through 5,000 records with batchSize, every supported
//! operator, ordering, relationships, queryAll, and malformed queries, over real HTTP.

mod salesforce_common;

use std::collections::HashSet;

use reqwest::Method;
use salesforce_common::{Sf, encode_q};
use sandbox::salesforce::{FieldMeta, FieldType, ObjectMeta, SalesforceConfig};
use serde_json::{Value, json};

fn deals() -> ObjectMeta {
    ObjectMeta::new("Deal__c")
        .field(FieldMeta::new("Amount__c", FieldType::Currency))
        .field(FieldMeta::new("Stage__c", FieldType::Picklist))
        .field(FieldMeta::new("Active__c", FieldType::Boolean))
        .field(FieldMeta::new("Due__c", FieldType::Date))
        .field(FieldMeta::new("Seen__c", FieldType::DateTime))
        .field(FieldMeta::new("Tags__c", FieldType::MultiPicklist))
        .field(FieldMeta::reference("Account__c", "Account", "Account__r"))
}

async fn seeded() -> Sf {
    let sf = Sf::start_with(SalesforceConfig::default().object(deals())).await;
    let emu = sf.sb.emulator();
    let acme = emu.seed("Account", json!({"Name": "Acme"})).unwrap();
    let rows = [
        json!({"Name": "Alpha", "Amount__c": 100, "Stage__c": "Open", "Active__c": true, "Due__c": "2024-05-01",
               "Seen__c": "2024-05-01T10:00:00Z", "Tags__c": "red;blue", "Account__c": acme}),
        json!({"Name": "Beta", "Amount__c": 50.5, "Stage__c": "Won", "Active__c": false, "Due__c": "2024-06-01",
               "Seen__c": "2024-05-02T10:00:00Z", "Tags__c": "blue"}),
        json!({"Name": "Gamma", "Amount__c": 250, "Stage__c": "Lost", "Active__c": true, "Due__c": "2024-04-01"}),
        json!({"Name": "Delta", "Active__c": false}),
        json!({"Name": "O'Brien", "Amount__c": 10, "Stage__c": "Open", "Active__c": false}),
        json!({"Name": "100% Off", "Amount__c": 0, "Stage__c": "Won", "Active__c": true}),
    ];
    emu.seed_many("Deal__c", rows).unwrap();
    sf
}

#[tokio::test]
async fn five_thousand_records_through_pages() {
    let sf = Sf::start_with(SalesforceConfig::default().object(deals())).await;
    sf.sb
        .emulator()
        .seed_many(
            "Deal__c",
            (0..5000).map(|i| json!({"Name": format!("D{i:05}"), "Amount__c": i})),
        )
        .unwrap();
    let soql = "SELECT Id, Name, Amount__c FROM Deal__c ORDER BY Name";
    let mut url = sf.api(&format!("/query?q={}", encode_q(soql)));
    let mut seen = Vec::new();
    let mut pages = 0;
    loop {
        let r = sf
            .send(
                Method::GET,
                &url,
                None,
                &[("Sforce-Query-Options", "batchSize=1000")],
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        pages += 1;
        assert_eq!(r.json["totalSize"], 5000);
        let records = r.json["records"].as_array().unwrap();
        assert_eq!(records.len(), 1000);
        for rec in records {
            assert_eq!(rec["attributes"]["type"], "Deal__c");
            assert!(
                rec["attributes"]["url"]
                    .as_str()
                    .unwrap()
                    .starts_with("/services/data/v67.0/sobjects/Deal__c/a00")
            );
            seen.push(rec["Name"].as_str().unwrap().to_owned());
        }
        if r.json["done"] == true {
            assert!(r.json.get("nextRecordsUrl").is_none());
            break;
        }
        let next = r.json["nextRecordsUrl"].as_str().unwrap();
        assert!(next.starts_with("/services/data/v67.0/query/01g"), "{next}");
        assert!(next.ends_with(&format!("-{}", pages * 1000)), "{next}");
        url = sf.url(next);
    }
    assert_eq!(pages, 5);
    let expected: Vec<String> = (0..5000).map(|i| format!("D{i:05}")).collect();
    assert_eq!(seen, expected);
    assert_eq!(seen.iter().collect::<HashSet<_>>().len(), 5000);

    // Default page size is 2000; the hint is clamped to 200..=2000.
    let r = sf.query(soql).await;
    assert_eq!(r.json["records"].as_array().unwrap().len(), 2000);
    assert_eq!(r.json["done"], false);
    for (hint, size) in [
        ("batchSize=50", 200),
        ("batchSize=9000", 2000),
        ("batchSize=nope", 2000),
    ] {
        let r = sf
            .send(
                Method::GET,
                &sf.api(&format!("/query?q={}", encode_q(soql))),
                None,
                &[("sforce-query-options", hint)],
            )
            .await;
        assert_eq!(r.json["records"].as_array().unwrap().len(), size, "{hint}");
    }
    // A small result needs no locator.
    let small = sf.query("SELECT Id FROM Deal__c LIMIT 10").await;
    assert_eq!(
        (
            small.json["totalSize"].as_u64(),
            small.json["done"].as_bool()
        ),
        (Some(10), Some(true))
    );
    assert!(small.json.get("nextRecordsUrl").is_none());

    let bad = sf.get("/query/01gNOPE-2000").await;
    assert_eq!(
        (bad.status, bad.error_code()),
        (400, "INVALID_QUERY_LOCATOR")
    );
    assert!(sf.sb.emulator().open_query_locators() >= 1);
}

#[tokio::test]
async fn soql_operators() {
    let sf = seeded().await;
    let cases: &[(&str, &[&str])] = &[
        ("Amount__c = 100", &["Alpha"]),
        (
            "Amount__c != 100",
            &["Beta", "Gamma", "Delta", "O'Brien", "100% Off"],
        ),
        (
            "Amount__c <> 100",
            &["Beta", "Gamma", "Delta", "O'Brien", "100% Off"],
        ),
        ("Amount__c < 50.5", &["O'Brien", "100% Off"]),
        ("Amount__c <= 50.5", &["Beta", "O'Brien", "100% Off"]),
        ("Amount__c > 100", &["Gamma"]),
        ("Amount__c >= 100", &["Alpha", "Gamma"]),
        ("Amount__c = null", &["Delta"]),
        (
            "Stage__c != null",
            &["Alpha", "Beta", "Gamma", "O'Brien", "100% Off"],
        ),
        (
            "Stage__c IN ('Open', 'Won')",
            &["Alpha", "Beta", "O'Brien", "100% Off"],
        ),
        ("Stage__c NOT IN ('Open', 'Won')", &["Gamma", "Delta"]),
        ("Name = 'ALPHA'", &["Alpha"]),
        ("Name LIKE 'a%'", &["Alpha"]),
        ("Name LIKE '%ta'", &["Beta", "Delta"]),
        ("Name LIKE '_eta'", &["Beta"]),
        ("Name LIKE '%\\%%'", &["100% Off"]),
        ("Name = 'O\\'Brien'", &["O'Brien"]),
        ("Active__c = true", &["Alpha", "Gamma", "100% Off"]),
        ("Active__c = FALSE", &["Beta", "Delta", "O'Brien"]),
        ("Due__c > 2024-05-01", &["Beta"]),
        ("Due__c <= 2024-05-01", &["Alpha", "Gamma"]),
        ("Seen__c < 2024-05-02T00:00:00Z", &["Alpha"]),
        ("Seen__c >= 2024-05-02T12:00:00+02:00", &["Beta"]),
        ("Tags__c INCLUDES ('blue')", &["Alpha", "Beta"]),
        ("Tags__c INCLUDES ('red;blue')", &["Alpha"]),
        (
            "Tags__c EXCLUDES ('red')",
            &["Beta", "Gamma", "Delta", "O'Brien", "100% Off"],
        ),
        (
            "(Amount__c > 60 AND Active__c = true) OR Name = 'Delta'",
            &["Alpha", "Gamma", "Delta"],
        ),
        (
            "Active__c = true AND (Stage__c = 'Won' OR Stage__c = 'Lost')",
            &["Gamma", "100% Off"],
        ),
        (
            "NOT Name = 'Alpha'",
            &["Beta", "Gamma", "Delta", "O'Brien", "100% Off"],
        ),
        (
            "NOT (Amount__c > 10 OR Stage__c = 'Open')",
            &["Delta", "100% Off"],
        ),
        ("Account__r.Name = 'Acme'", &["Alpha"]),
        ("Account__c != null", &["Alpha"]),
    ];
    for (filter, want) in cases {
        let soql = format!("SELECT Name FROM Deal__c WHERE {filter}");
        let mut got = sf.names(&soql).await;
        got.sort();
        let mut want: Vec<String> = want.iter().map(|s| (*s).to_owned()).collect();
        want.sort();
        assert_eq!(got, want, "{filter}");
    }
}

#[tokio::test]
async fn ordering_limit_offset_count_and_shape() {
    let sf = seeded().await;
    assert_eq!(
        sf.names("SELECT Name FROM Deal__c ORDER BY Amount__c")
            .await,
        vec!["Delta", "100% Off", "O'Brien", "Beta", "Alpha", "Gamma"],
        "ascending puts nulls first"
    );
    assert_eq!(
        sf.names("SELECT Name FROM Deal__c ORDER BY Amount__c DESC")
            .await,
        vec!["Gamma", "Alpha", "Beta", "O'Brien", "100% Off", "Delta"],
        "descending puts nulls last"
    );
    assert_eq!(
        sf.names("SELECT Name FROM Deal__c ORDER BY Amount__c DESC NULLS FIRST LIMIT 2")
            .await,
        vec!["Delta", "Gamma"]
    );
    assert_eq!(
        sf.names(
            "SELECT Name FROM Deal__c ORDER BY Stage__c ASC NULLS LAST, Name DESC LIMIT 3 OFFSET 1"
        )
        .await,
        vec!["O'Brien", "Alpha", "Beta"]
    );
    assert_eq!(
        sf.names("select name from deal__c order by name limit 1")
            .await,
        vec!["100% Off"]
    );

    let c = sf
        .query("SELECT COUNT() FROM Deal__c WHERE Active__c = true")
        .await;
    assert_eq!(c.json, json!({"totalSize": 3, "done": true, "records": []}));

    let r = sf
        .query("SELECT Id, Name, Account__r.Name, Account__r.Owner.Email FROM Deal__c WHERE Name IN ('Alpha', 'Beta') ORDER BY Name")
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let alpha = &r.json["records"][0];
    assert_eq!(alpha["Account__r"]["Name"], "Acme");
    assert_eq!(alpha["Account__r"]["attributes"]["type"], "Account");
    assert_eq!(
        alpha["Account__r"]["Owner"]["Email"],
        sandbox::salesforce::DEFAULT_USERNAME
    );
    assert!(alpha["Id"].as_str().unwrap().starts_with("a00"));
    let beta = &r.json["records"][1];
    assert_eq!(beta["Account__r"], Value::Null);
    // Names come back in their canonical case whatever the query's case.
    let r = sf
        .query("SELECT name, AMOUNT__C FROM Deal__c WHERE Name = 'Gamma'")
        .await;
    assert_eq!(r.json["records"][0]["Name"], "Gamma");
    assert_eq!(r.json["records"][0]["Amount__c"], 250);
    // The object name may prefix a field.
    assert_eq!(
        sf.names("SELECT Deal__c.Name FROM Deal__c WHERE Deal__c.Name = 'Beta'")
            .await
            .len(),
        1
    );
    // Id literals in 15-character form match.
    let id = sf.sb.emulator().records("Deal__c")[0].id.clone();
    assert_eq!(
        sf.names(&format!(
            "SELECT Name FROM Deal__c WHERE Id = '{}'",
            &id[..15]
        ))
        .await,
        vec!["Alpha"]
    );
}

#[tokio::test]
async fn query_all_includes_deleted_rows() {
    let sf = seeded().await;
    let beta = sf.sb.emulator().records("Deal__c")[1].id.clone();
    assert_eq!(
        sf.delete(&format!("/sobjects/Deal__c/{beta}")).await.status,
        204
    );
    let q = "SELECT Name, IsDeleted FROM Deal__c WHERE Name LIKE '%ta'";
    assert_eq!(sf.names(q).await, vec!["Delta"]);
    let all = sf.get(&format!("/queryAll?q={}", encode_q(q))).await;
    assert_eq!(all.status, 200);
    let records = all.json["records"].as_array().unwrap();
    assert_eq!(records.len(), 2);
    assert_eq!(records[0]["Name"], "Beta");
    assert_eq!(records[0]["IsDeleted"], true);
    let only_deleted = sf
        .get(&format!(
            "/queryAll?q={}",
            encode_q("SELECT Name FROM Deal__c WHERE IsDeleted = true")
        ))
        .await;
    assert_eq!(only_deleted.json["totalSize"], 1);
}

#[tokio::test]
async fn plus_and_percent20_and_trailing_slash() {
    let sf = seeded().await;
    let plus = sf
        .get("/query?q=SELECT+Name+FROM+Deal__c+WHERE+Name+=+'Beta'")
        .await;
    let pct = sf
        .get("/query/?q=SELECT%20Name%20FROM%20Deal__c%20WHERE%20Name%20%3D%20'Beta'")
        .await;
    assert_eq!(plus.status, 200, "{}", plus.text);
    assert_eq!(plus.json, pct.json);
    assert_eq!(plus.json["totalSize"], 1);
}

#[tokio::test]
async fn malformed_and_invalid_queries() {
    let sf = seeded().await;
    for soql in [
        "SELECT Id FRM Deal__c",
        "SELECT FROM Deal__c",
        "SELECT Id FROM Deal__c WHERE",
        "SELECT Id FROM Deal__c WHERE Name = 'a' AND Name = 'b' OR Name = 'c'",
        "SELECT Id FROM Deal__c WHERE Name = 'unterminated",
        "SELECT Id FROM Deal__c WHERE Name = 'bad \\q escape'",
        "SELECT Id FROM Deal__c LIMIT many",
        "SELECT Id FROM Deal__c WHERE Amount__c > null",
        "SELECT Id FROM Deal__c ORDER Name",
        "SELECT Id, (SELECT Id FROM Contacts) FROM Account",
        "DELETE FROM Deal__c",
        "SELECT Id FROM Deal__c; DROP TABLE x",
    ] {
        let r = sf.query(soql).await;
        assert_eq!(
            (r.status, r.error_code()),
            (400, "MALFORMED_QUERY"),
            "{soql}: {}",
            r.text
        );
        assert!(
            r.error_message().contains("ERROR at Row:1:Column:"),
            "{}",
            r.text
        );
    }
    let r = sf.query("SELECT Id FRM Deal__c").await;
    assert_eq!(
        r.error_message(),
        "\nSELECT Id FRM Deal__c\n          ^\nERROR at Row:1:Column:11\nunexpected token: FRM"
    );
    let cases = [
        (
            "SELECT Nmae FROM Deal__c",
            "INVALID_FIELD",
            "No such column 'Nmae' on entity 'Deal__c'",
        ),
        (
            "SELECT Id FROM Deal__c WHERE Amount__c = '5'",
            "INVALID_FIELD",
            "must be of type double",
        ),
        (
            "SELECT Id FROM Deal__c WHERE Name = 5",
            "INVALID_FIELD",
            "must be of type string",
        ),
        (
            "SELECT Foo__r.Name FROM Deal__c",
            "INVALID_FIELD",
            "Didn't understand relationship 'Foo__r'",
        ),
        (
            "SELECT Id FROM Acount",
            "INVALID_TYPE",
            "sObject type 'Acount' is not supported",
        ),
        (
            "SELECT Id FROM Deal__c OFFSET 2001",
            "NUMBER_OUTSIDE_VALID_RANGE",
            "Maximum SOQL offset",
        ),
    ];
    for (soql, code, text) in cases {
        let r = sf.query(soql).await;
        assert_eq!(
            (r.status, r.error_code()),
            (400, code),
            "{soql}: {}",
            r.text
        );
        assert!(r.error_message().contains(text), "{soql}: {}", r.text);
    }
    let missing = sf.get("/query").await;
    assert_eq!(
        (missing.status, missing.error_code()),
        (400, "MALFORMED_QUERY")
    );
    let post = sf.post("/query", json!({})).await;
    assert_eq!(post.status, 405);
}
