#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! `$batch` in both formats against the Dynamics emulator: multipart changesets with
//! `Content-ID`/`$1` and rollback, JSON batches with `atomicityGroup` and `dependsOn`, caps.

mod dynamics_support;

use dynamics_support::{D, Res, frozen};
use reqwest::Method;
use sandbox::dynamics::DEFAULT_BC_COMPANY_ID;
use serde_json::{Value, json};

/// Statuses of every `HTTP/1.1 …` line of a multipart response, in order.
fn statuses(body: &str) -> Vec<u16> {
    body.lines()
        .filter_map(|l| l.strip_prefix("HTTP/1.1 "))
        .map(|l| l[..3].parse().unwrap())
        .collect()
}

fn http_part(method: &str, url: &str, content_id: Option<&str>, body: Option<&Value>) -> String {
    let mut s =
        String::from("Content-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n");
    if let Some(id) = content_id {
        s.push_str(&format!("Content-ID: {id}\r\n"));
    }
    s.push_str(&format!(
        "\r\n{method} {url} HTTP/1.1\r\nAccept: application/json\r\n"
    ));
    match body {
        Some(b) => s.push_str(&format!("Content-Type: application/json\r\n\r\n{b}\r\n")),
        None => s.push_str("\r\n\r\n"),
    }
    s
}

fn changeset(boundary: &str, parts: &[String]) -> String {
    let mut s = format!("Content-Type: multipart/mixed; boundary={boundary}\r\n\r\n");
    for p in parts {
        s.push_str(&format!("--{boundary}\r\n{p}"));
    }
    s.push_str(&format!("--{boundary}--\r\n"));
    s
}

fn batch(boundary: &str, items: &[String]) -> String {
    let mut s = String::new();
    for i in items {
        s.push_str(&format!("--{boundary}\r\n{i}"));
    }
    s.push_str(&format!("--{boundary}--\r\n"));
    s
}

async fn post_multipart(d: &D, url: &str, body: String, extra: &[(&str, &str)]) -> Res {
    let mut headers = vec![("content-type", "multipart/mixed; boundary=batch_7f3a")];
    headers.extend_from_slice(extra);
    d.raw(Method::POST, url, &headers, Some(body.into_bytes()), true)
        .await
}

#[tokio::test]
async fn fno_multipart_changeset_with_content_id_reference_and_a_rolled_back_changeset() {
    let d = D::start().await;
    d.sb.emulator()
        .seed_fno_customer("usmf", "US-001", "Contoso")
        .unwrap();
    let ok = changeset(
        "changeset_a1",
        &[
            http_part(
                "POST",
                "SalesOrderHeadersV2",
                Some("1"),
                Some(&json!({"OrderingCustomerAccountNumber": "US-001"})),
            ),
            http_part(
                "POST",
                "$1/SalesOrderLines",
                Some("2"),
                Some(&json!({"ItemNumber": "1000", "OrderedSalesQuantity": 2, "SalesPrice": 10})),
            ),
        ],
    );
    let get = http_part(
        "GET",
        "SalesOrderLines?$select=SalesOrderNumber,LineAmount",
        None,
        None,
    );
    let failing = changeset(
        "changeset_b2",
        &[
            http_part(
                "POST",
                &format!("{}/CustomersV3", d.sb.fno_data_url()),
                Some("3"),
                Some(
                    &json!({"CustomerAccount": "US-900", "OrganizationName": "Rolled back", "CustomerGroupId": "10", "SalesCurrencyCode": "USD"}),
                ),
            ),
            http_part(
                "POST",
                "/data/SalesOrderHeadersV2",
                Some("4"),
                Some(&json!({"OrderingCustomerAccountNumber": "NOPE"})),
            ),
        ],
    );
    let r = post_multipart(
        &d,
        &d.fno("$batch"),
        batch("batch_7f3a", &[ok, get, failing]),
        &[],
    )
    .await;
    assert_eq!(
        r.status, 200,
        "the outer status is 200 whatever the parts did: {}",
        r.text
    );
    let ct = r.header("content-type").unwrap();
    assert!(
        ct.starts_with("multipart/mixed; boundary=batchresponse_"),
        "{ct}"
    );
    assert_eq!(statuses(&r.text), [201, 201, 200, 400], "{}", r.text);
    assert!(r.text.contains("changesetresponse_"));
    assert!(r.text.contains("Content-ID: 2"));
    assert!(
        r.text
            .contains("Write failed for table row of type 'SalesOrderHeaderV2Entity'")
    );
    // The line was created under the order $1 pointed at.
    assert!(
        r.text.contains("\"SalesOrderNumber\":\"000001\""),
        "{}",
        r.text
    );
    let lines = d.sb.emulator().fno_rows("SalesOrderLines");
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["SalesOrderNumber"], "000001");
    assert_eq!(lines[0]["LineAmount"], 20);
    // The failing changeset left nothing behind.
    let customers = d.sb.emulator().fno_rows("CustomersV3");
    assert!(
        customers.iter().all(|c| c["CustomerAccount"] != "US-900"),
        "{customers:?}"
    );
    assert_eq!(d.sb.emulator().fno_rows("SalesOrderHeadersV2").len(), 1);
}

#[tokio::test]
async fn unknown_content_id_and_malformed_batches() {
    let d = D::start().await;
    let cs = changeset(
        "changeset_c",
        &[http_part(
            "PATCH",
            "$9",
            Some("1"),
            Some(&json!({"Description": "x"})),
        )],
    );
    let r = post_multipart(&d, &d.fno("$batch"), batch("batch_7f3a", &[cs]), &[]).await;
    assert_eq!(r.status, 200);
    assert_eq!(statuses(&r.text), [400]);
    assert!(
        r.text
            .contains("Content-ID Reference: '$9' does not exist in the batch context.")
    );

    let garbage = post_multipart(&d, &d.fno("$batch"), "no parts here".into(), &[]).await;
    assert_eq!(garbage.status, 400);
    let json_on_fno = d
        .send(
            Method::POST,
            &d.fno("$batch"),
            &[],
            &json!({"requests": []}),
        )
        .await;
    assert_eq!(
        json_on_fno.status, 415,
        "JSON batch is UNCONFIRMED for F&O and off by default"
    );
    let get = d.get(&d.fno("$batch")).await;
    assert_eq!(get.status, 405);
}

#[tokio::test]
async fn bc_json_batch_with_atomicity_groups_and_depends_on() {
    let d = D::start().await;
    let c = format!("companies({DEFAULT_BC_COMPANY_ID})");
    let body = json!({"requests": [
        {"id": "1", "method": "POST", "url": format!("{c}/customers"), "atomicityGroup": "g1",
         "headers": {"Content-Type": "application/json"}, "body": {"displayName": "Alpha"}},
        {"id": "2", "method": "POST", "url": format!("{c}/salesOrders"), "atomicityGroup": "g1",
         "body": {"customerNumber": "C00010"}},
        {"id": "3", "method": "GET", "url": format!("{c}/customers?$select=number"), "dependsOn": ["g1"]},
        {"id": "4", "method": "POST", "url": "$2/salesOrderLines", "dependsOn": ["g1"],
         "body": {"lineType": "Item", "lineObjectNumber": "1000", "quantity": 3, "unitPrice": 5}},
        {"id": "5", "method": "POST", "url": format!("{c}/customers"), "atomicityGroup": "g2",
         "body": {"displayName": "Beta (rolled back)"}},
        {"id": "6", "method": "POST", "url": format!("{c}/salesOrders"), "atomicityGroup": "g2",
         "body": {"customerNumber": "NOPE"}},
        {"id": "7", "method": "GET", "url": format!("{c}/customers"), "dependsOn": ["g2"]},
        {"id": "8", "method": "GET", "url": format!("{}/{c}/customers/$count", d.sb.bc_api_url(sandbox::dynamics::DEFAULT_TENANT_ID))}
    ]});
    let r = d.post(&d.bc_root("$batch"), &body).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let resp = r.json["responses"].as_array().unwrap();
    let got: Vec<(String, u64)> = resp
        .iter()
        .map(|x| {
            (
                x["id"].as_str().unwrap().to_owned(),
                x["status"].as_u64().unwrap(),
            )
        })
        .collect();
    let want: Vec<(String, u64)> = [
        ("1", 201),
        ("2", 201),
        ("3", 200),
        ("4", 201),
        ("5", 424),
        ("6", 400),
        ("7", 424),
        ("8", 200),
    ]
    .iter()
    .map(|(i, s)| ((*i).to_owned(), *s))
    .collect();
    assert_eq!(got, want, "{}", r.text);
    assert_eq!(resp[0]["atomicityGroup"], "g1");
    assert!(
        resp[0]["headers"]["location"]
            .as_str()
            .unwrap()
            .contains("/customers(")
    );
    assert_eq!(resp[1]["body"]["customerNumber"], "C00010");
    assert_eq!(resp[3]["body"]["amountExcludingTax"], 15);
    assert_eq!(resp[3]["body"]["documentId"], resp[1]["body"]["id"]);
    assert_eq!(
        resp[5]["body"]["error"]["code"],
        "Internal_InvalidTableRelation"
    );
    assert_eq!(resp[7]["body"], "1", "Beta was rolled back");
    let customers = d.sb.emulator().bc_rows(DEFAULT_BC_COMPANY_ID, "customers");
    assert_eq!(customers.len(), 1);
    assert_eq!(customers[0]["displayName"], "Alpha");
    let orders =
        d.sb.emulator()
            .bc_rows(DEFAULT_BC_COMPANY_ID, "salesOrders");
    assert_eq!(orders[0]["totalAmountIncludingTax"], 15);

    // Forward references are refused.
    let fwd = d
        .post(
            &d.bc_root("$batch"),
            &json!({"requests": [
            {"id": "a", "method": "GET", "url": format!("{c}/customers"), "dependsOn": ["b"]},
            {"id": "b", "method": "GET", "url": format!("{c}/customers")}]}),
        )
        .await;
    assert_eq!(fwd.status, 400);
    assert!(
        fwd.json["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Forward reference is not allowed.")
    );
}

#[tokio::test]
async fn bc_multipart_and_isolation_snapshot_and_the_cap() {
    let d = D::start_with(frozen().bc(|b| b.max_batch_operations = 3)).await;
    let c = format!("companies({DEFAULT_BC_COMPANY_ID})");
    // Multipart on BC, whole batch atomic under Isolation: snapshot.
    let items = vec![
        http_part(
            "POST",
            &format!("{c}/customers"),
            Some("1"),
            Some(&json!({"displayName": "Kept?"})),
        ),
        http_part(
            "POST",
            &format!("{c}/salesOrders"),
            Some("2"),
            Some(&json!({})),
        ),
    ];
    let r = post_multipart(
        &d,
        &d.bc_root("$batch"),
        batch("batch_7f3a", &items),
        &[("isolation", "snapshot")],
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(statuses(&r.text), [400], "{}", r.text);
    assert!(
        d.sb.emulator()
            .bc_rows(DEFAULT_BC_COMPANY_ID, "customers")
            .is_empty()
    );
    // Without isolation each top-level part stands alone.
    let r = post_multipart(&d, &d.bc_root("$batch"), batch("batch_7f3a", &items), &[]).await;
    assert_eq!(statuses(&r.text), [201, 400]);
    assert_eq!(
        d.sb.emulator()
            .bc_rows(DEFAULT_BC_COMPANY_ID, "customers")
            .len(),
        1
    );

    // More operations than allowed.
    let four: Vec<Value> = (0..4)
        .map(|i| json!({"id": i.to_string(), "method": "GET", "url": format!("{c}/customers")}))
        .collect();
    let over = d
        .post(&d.bc_root("$batch"), &json!({"requests": four}))
        .await;
    assert_eq!(over.status, 400);
    assert!(
        over.json["error"]["message"]
            .as_str()
            .unwrap()
            .contains("maximum number of '3'")
    );
}
