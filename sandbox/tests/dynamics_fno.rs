#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Finance & Operations flavour of the Dynamics emulator over real HTTP: entity sets, keys,
//! query options, paging, companies, number sequences, ETags, posting and error bodies.

mod dynamics_support;

use dynamics_support::{D, frozen};
use reqwest::Method;
use serde_json::{Value, json};

fn customer(account: &str, name: &str) -> Value {
    json!({"CustomerAccount": account, "OrganizationName": name,
           "CustomerGroupId": "10", "SalesCurrencyCode": "USD"})
}

#[tokio::test]
async fn create_customer_then_read_by_composite_key() {
    let d = D::start().await;
    let r = d
        .post(&d.fno("CustomersV3"), &customer("US-001", "Contoso Retail"))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let etag = r.header("etag").unwrap().to_owned();
    assert!(etag.starts_with("W/\""), "{etag}");
    assert_eq!(r.json["@odata.etag"], etag.as_str());
    assert!(
        r.json["@odata.context"]
            .as_str()
            .unwrap()
            .ends_with("/data/$metadata#CustomersV3/$entity")
    );
    assert_eq!(
        r.json["dataAreaId"], "usmf",
        "dataAreaId defaults to the company"
    );
    assert_eq!(r.json["PartyType"], "Organization");
    assert_eq!(r.json["OnHoldStatus"], "No");
    assert_eq!(r.json["CreditLimit"], 0);
    let location = r.header("location").unwrap().to_owned();
    assert!(location.ends_with("/data/CustomersV3(dataAreaId='usmf',CustomerAccount='US-001')"));
    assert_eq!(r.header("odata-entityid"), Some(location.as_str()));

    let got = d.get(&location).await;
    assert_eq!(got.status, 200);
    assert_eq!(got.json["OrganizationName"], "Contoso Retail");
    assert_eq!(got.header("etag"), Some(etag.as_str()));
    // Keys compare case-insensitively, as on SQL Server.
    let upper = d
        .get(&d.fno("CustomersV3(dataAreaId='USMF',CustomerAccount='us-001')"))
        .await;
    assert_eq!(upper.status, 200);
    let missing = d
        .get(&d.fno("CustomersV3(dataAreaId='usmf',CustomerAccount='NOPE')"))
        .await;
    assert_eq!(missing.status, 404);
    assert_eq!(missing.json["error"]["code"], "");

    // Number sequence when the account is omitted; prefer minimal.
    let minimal = d
        .send(
            Method::POST,
            &d.fno("CustomersV3"),
            &[("prefer", "return=minimal")],
            &json!({"OrganizationName": "Fabrikam", "CustomerGroupId": "20", "SalesCurrencyCode": "EUR"}),
        )
        .await;
    assert_eq!(minimal.status, 204);
    assert!(minimal.text.is_empty());
    assert!(
        minimal
            .header("odata-entityid")
            .unwrap()
            .contains("CustomerAccount='US-002'")
    );
}

#[tokio::test]
async fn validation_errors_have_fno_innererror_and_unknown_sets_the_aspnet_body() {
    let d = D::start().await;
    let r = d
        .post(
            &d.fno("CustomersV3"),
            &json!({"CustomerAccount": "X", "OrganizationName": "No group"}),
        )
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(r.json["error"]["code"], "");
    assert_eq!(r.json["error"]["message"], "An error has occurred.");
    let inner = r.json["error"]["innererror"]["message"].as_str().unwrap();
    assert!(
        inner.starts_with("Write failed for table row of type 'CustCustomerV3Entity'. Infolog: "),
        "{inner}"
    );
    assert!(
        inner.contains("Field 'Customer group' must be filled in."),
        "{inner}"
    );
    assert!(
        inner.contains("Field 'Currency' must be filled in."),
        "{inner}"
    );
    assert_eq!(
        r.json["error"]["innererror"]["type"],
        "Microsoft.Dynamics.Platform.Integration.Services.OData.AxODataWriteException"
    );
    assert!(d.sb.emulator().fno_rows("CustomersV3").is_empty());

    let unknown = d.get(&d.fno("Customers")).await;
    assert_eq!(unknown.status, 404);
    let msg = unknown.json["Message"].as_str().unwrap();
    assert!(
        msg.starts_with(
            "No HTTP resource was found that matches the request URI 'http://127.0.0.1:"
        ),
        "{msg}"
    );
    assert!(msg.ends_with("/data/Customers'."), "{msg}");
    assert!(unknown.json.get("error").is_none());

    let unknown_prop = d.post(&d.fno("CustomersV3"), &json!({"Nope": 1})).await;
    assert_eq!(unknown_prop.status, 400);
    assert!(unknown_prop.json["error"]["message"]
        .as_str()
        .unwrap()
        .contains("The property 'Nope' does not exist on type 'Microsoft.Dynamics.DataEntities.CustomerV3'"));

    // Read-only entity: the ASP.NET "does not support http method" body.
    let ro = d.post(&d.fno("SalesInvoiceHeadersV2"), &json!({})).await;
    assert_eq!(ro.status, 405);
    assert_eq!(
        ro.json["Message"],
        "The requested resource does not support http method 'POST'."
    );
}

#[tokio::test]
async fn filter_select_orderby_top_count() {
    let d = D::start().await;
    for (acc, name, group, limit) in [
        ("US-001", "Contoso Retail", "10", 500),
        ("US-002", "Fabrikam", "20", 1500),
        ("US-003", "Adventure Works", "10", 2500),
        ("US-004", "O'Brien & Sons", "30", 0),
    ] {
        let mut c = customer(acc, name);
        c["CustomerGroupId"] = json!(group);
        c["CreditLimit"] = json!(limit);
        d.create(&d.fno("CustomersV3"), &c).await;
    }
    let q = "CustomersV3?$filter=CustomerGroupId%20eq%20'10'%20or%20CreditLimit%20gt%201000&$select=CustomerAccount,CreditLimit&$orderby=CreditLimit%20desc&$top=2&$count=true";
    let r = d.get(&d.fno(q)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["@odata.count"], 3);
    let rows = r.json["value"].as_array().unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["CustomerAccount"], "US-003");
    assert_eq!(rows[1]["CustomerAccount"], "US-002");
    assert!(rows[0].get("OrganizationName").is_none(), "$select applied");
    assert!(rows[0]["@odata.etag"].is_string());
    assert!(
        r.json["@odata.context"]
            .as_str()
            .unwrap()
            .ends_with("$metadata#CustomersV3(CustomerAccount,CreditLimit)")
    );
    // No next link: $top is met.
    assert!(r.json.get("@odata.nextLink").is_none());

    // '+' as space, '' escaping, wildcard equality, enum literal, not, parentheses.
    let esc = d
        .get(&d.fno("CustomersV3?$filter=OrganizationName+eq+'O''Brien+%26+Sons'"))
        .await;
    assert_eq!(
        esc.json["value"][0]["CustomerAccount"], "US-004",
        "{}",
        esc.text
    );
    let wild = d
        .get(&d.fno("CustomersV3?$filter=OrganizationName%20eq%20'*works*'"))
        .await;
    assert_eq!(wild.json["value"].as_array().unwrap().len(), 1);
    let en = d
        .get(&d.fno("CustomersV3?$filter=OnHoldStatus%20eq%20Microsoft.Dynamics.DataEntities.CustVendorBlocked'No'%20and%20not%20(CreditLimit%20lt%202000)"))
        .await;
    assert_eq!(en.json["value"].as_array().unwrap().len(), 1, "{}", en.text);
    // Unknown custom parameters are ignored; /$count is a plain number.
    let count = d
        .get(&d.fno("CustomersV3/$count?$filter=CustomerGroupId%20eq%20'10'&foo=bar"))
        .await;
    assert_eq!(count.text, "2");
    // $skip.
    let skipped = d.get(&d.fno("CustomersV3?$skip=3")).await;
    assert_eq!(skipped.json["value"][0]["CustomerAccount"], "US-004");
}

#[tokio::test]
async fn malformed_filter_is_a_400_with_the_odata_message() {
    let d = D::start().await;
    let r = d
        .get(&d.fno("CustomersV3?$filter=CustomerAccount%20eq"))
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.json["error"]["innererror"]["message"],
        "Expression expected at position 18 in 'CustomerAccount eq'."
    );
    assert!(
        r.json["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("The query specified in the URI is not valid.")
    );
    let prop = d.get(&d.fno("CustomersV3?$filter=Nope%20eq%201")).await;
    assert_eq!(
        prop.json["error"]["innererror"]["message"],
        "Could not find a property named 'Nope' on type 'Microsoft.Dynamics.DataEntities.CustomerV3'."
    );
    let unterminated = d
        .get(&d.fno("CustomersV3?$filter=CustomerAccount%20eq%20'x"))
        .await;
    assert_eq!(unterminated.status, 400);
    let function = d
        .get(&d.fno("CustomersV3?$filter=contains(CustomerAccount,'x')"))
        .await;
    assert_eq!(
        function.status, 400,
        "F&O uses eq '*x*' instead of contains"
    );
    let top = d.get(&d.fno("CustomersV3?$top=-1")).await;
    assert_eq!(top.status, 400);
}

#[tokio::test]
async fn paging_follows_skip_next_links_over_a_small_page_cap() {
    let d = D::start_with(frozen().fno(|f| f.page_size = 3)).await;
    for i in 1..=8 {
        d.sb.emulator()
            .seed_fno_customer("usmf", &format!("C-{i:02}"), &format!("Customer {i}"))
            .unwrap();
    }
    let mut url = d.fno("CustomersV3?$select=CustomerAccount&$count=true");
    let mut seen = Vec::new();
    let mut pages = 0;
    loop {
        let r = d.get(&url).await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.json["@odata.count"], 8);
        pages += 1;
        for row in r.json["value"].as_array().unwrap() {
            seen.push(row["CustomerAccount"].as_str().unwrap().to_owned());
        }
        match r.json["@odata.nextLink"].as_str() {
            Some(next) => {
                assert!(next.starts_with("http://127.0.0.1:"), "absolute: {next}");
                assert!(next.contains("$skip="), "{next}");
                assert!(next.contains("$select=CustomerAccount"), "{next}");
                url = next.to_owned();
            }
            None => break,
        }
    }
    assert_eq!(pages, 3);
    let expected: Vec<String> = (1..=8).map(|i| format!("C-{i:02}")).collect();
    assert_eq!(seen, expected);

    // With $top above the page cap the next link carries the remaining $top.
    let r = d.get(&d.fno("CustomersV3?$top=5")).await;
    assert_eq!(r.json["value"].as_array().unwrap().len(), 3);
    let next = r.json["@odata.nextLink"].as_str().unwrap().to_owned();
    assert!(
        next.contains("$skip=3") && next.contains("$top=2"),
        "{next}"
    );
    let r2 = d.get(&next).await;
    assert_eq!(r2.json["value"].as_array().unwrap().len(), 2);
    assert!(r2.json.get("@odata.nextLink").is_none());
}

#[tokio::test]
async fn cross_company_semantics() {
    let d = D::start_with(frozen().fno(|f| f.companies.push("demf".into()))).await;
    d.create(&d.fno("CustomersV3"), &customer("US-001", "Contoso"))
        .await;
    let mut de = customer("DE-001", "Berlin GmbH");
    de["dataAreaId"] = json!("DEMF");
    let created = d.create(&d.fno("CustomersV3"), &de).await;
    assert_eq!(created["dataAreaId"], "demf", "stored lowercase");

    let default_only = d.get(&d.fno("CustomersV3")).await;
    assert_eq!(default_only.json["value"].as_array().unwrap().len(), 1);
    assert_eq!(default_only.json["value"][0]["dataAreaId"], "usmf");
    let all = d.get(&d.fno("CustomersV3?cross-company=true")).await;
    assert_eq!(all.json["value"].as_array().unwrap().len(), 2);
    let demf = d
        .get(&d.fno("CustomersV3?cross-company=true&$filter=dataAreaId%20eq%20'demf'"))
        .await;
    assert_eq!(demf.json["value"][0]["CustomerAccount"], "DE-001");
    // Keyed access to another company needs cross-company=true.
    let key = "CustomersV3(dataAreaId='demf',CustomerAccount='DE-001')";
    assert_eq!(d.get(&d.fno(key)).await.status, 404);
    assert_eq!(
        d.get(&d.fno(&format!("{key}?cross-company=true")))
            .await
            .status,
        200
    );
    // Unknown company.
    let mut bad = customer("X-1", "Nowhere");
    bad["dataAreaId"] = json!("zzzz");
    let r = d.post(&d.fno("CustomersV3"), &bad).await;
    assert_eq!(r.status, 400);
    assert!(
        r.json["error"]["innererror"]["message"]
            .as_str()
            .unwrap()
            .contains("'zzzz'")
    );
}

#[tokio::test]
async fn stale_etag_is_412_and_patch_is_204() {
    let d = D::start().await;
    let created = d
        .create(&d.fno("CustomersV3"), &customer("US-001", "Contoso"))
        .await;
    let old = created["@odata.etag"].as_str().unwrap().to_owned();
    let url = d.fno("CustomersV3(dataAreaId='usmf',CustomerAccount='US-001')");
    // PATCH without If-Match is allowed on F&O.
    let p = d
        .send(Method::PATCH, &url, &[], &json!({"CreditLimit": 2500.5}))
        .await;
    assert_eq!(p.status, 204, "{}", p.text);
    let new = p.header("etag").unwrap().to_owned();
    assert_ne!(new, old);
    let stale = d
        .send(
            Method::PATCH,
            &url,
            &[("if-match", &old)],
            &json!({"CreditLimit": 1}),
        )
        .await;
    assert_eq!(stale.status, 412);
    assert!(
        stale.json["error"]["innererror"]["message"]
            .as_str()
            .unwrap()
            .contains("The values displayed in the form are not current")
    );
    let rep = d
        .send(
            Method::PATCH,
            &url,
            &[("if-match", &new), ("prefer", "return=representation")],
            &json!({"NameAlias": "CTS"}),
        )
        .await;
    assert_eq!(rep.status, 200);
    assert_eq!(rep.json["CreditLimit"], 2500.5);
    assert_eq!(rep.json["NameAlias"], "CTS");
    let stale_delete = d
        .raw(Method::DELETE, &url, &[("if-match", &old)], None, true)
        .await;
    assert_eq!(stale_delete.status, 412);
    let del = d
        .raw(Method::DELETE, &url, &[("if-match", "*")], None, true)
        .await;
    assert_eq!(del.status, 204);
    assert_eq!(d.get(&url).await.status, 404);
}

#[tokio::test]
async fn sales_orders_number_sequence_lines_expand_and_unknown_customer() {
    let d = D::start().await;
    d.create(&d.fno("CustomersV3"), &customer("US-001", "Contoso"))
        .await;
    let order = d
        .create(
            &d.fno("SalesOrderHeadersV2"),
            &json!({"OrderingCustomerAccountNumber": "US-001", "RequestedShippingDate": "2024-06-01T00:00:00Z"}),
        )
        .await;
    assert_eq!(order["SalesOrderNumber"], "000001");
    assert_eq!(order["CurrencyCode"], "USD", "defaulted from the customer");
    assert_eq!(order["InvoiceCustomerAccountNumber"], "US-001");
    assert_eq!(order["SalesOrderStatus"], "Backorder");
    assert_eq!(
        order["RequestedShippingDate"], "2024-06-01T12:00:00Z",
        "noon UTC"
    );
    assert_eq!(
        order["RequestedReceiptDate"], "1900-01-01T12:00:00Z",
        "empty date sentinel"
    );

    let key = "SalesOrderHeadersV2(dataAreaId='usmf',SalesOrderNumber='000001')";
    let line = d
        .create(
            &d.fno(&format!("{key}/SalesOrderLines")),
            &json!({"ItemNumber": "1000", "OrderedSalesQuantity": 3, "SalesPrice": 12.5}),
        )
        .await;
    assert_eq!(line["SalesOrderNumber"], "000001");
    assert_eq!(line["LineNumber"], 1);
    assert_eq!(line["LineAmount"], 37.5);
    assert_eq!(line["InventoryLotId"], "000001");
    let line2 = d
        .create(
            &d.fno("SalesOrderLines"),
            &json!({"SalesOrderNumber": "000001", "ItemNumber": "1001", "OrderedSalesQuantity": 1, "SalesPrice": 2}),
        )
        .await;
    assert_eq!(line2["LineNumber"], 2);

    let expanded = d
        .get(&d.fno(&format!("{key}?$expand=SalesOrderLines($select=ItemNumber,LineAmount;$orderby=LineNumber%20desc)")))
        .await;
    assert_eq!(expanded.status, 200, "{}", expanded.text);
    let lines = expanded.json["SalesOrderLines"].as_array().unwrap();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["ItemNumber"], "1001");
    assert!(lines[0].get("SalesOrderNumber").is_none());
    // One level only.
    let deep = d
        .get(&d.fno(&format!(
            "{key}?$expand=SalesOrderLines($expand=SalesOrderHeader)"
        )))
        .await;
    assert_eq!(deep.status, 400);

    let bad = d
        .post(
            &d.fno("SalesOrderHeadersV2"),
            &json!({"OrderingCustomerAccountNumber": "NOPE"}),
        )
        .await;
    assert_eq!(bad.status, 400);
    assert!(bad.json["error"]["innererror"]["message"]
        .as_str()
        .unwrap()
        .contains("The value 'NOPE' in field 'Customer account' is not found in the relating table 'Customers'."));
    let orphan = d
        .post(
            &d.fno("SalesOrderLines"),
            &json!({"SalesOrderNumber": "999999", "ItemNumber": "1"}),
        )
        .await;
    assert_eq!(orphan.status, 400);
}

#[tokio::test]
async fn payment_journal_header_then_lines_get_assigned_numbers() {
    let d = D::start().await;
    d.create(&d.fno("CustomersV3"), &customer("US-001", "Contoso"))
        .await;
    d.sb.emulator()
        .seed_fno_invoice(
            json!({"dataAreaId": "usmf", "InvoiceNumber": "CIV-000100", "InvoiceCustomerAccountNumber": "US-001", "CurrencyCode": "USD"}),
            vec![json!({"ItemNumber": "1000", "InvoicedQuantity": 2, "SalesPrice": 50, "LineAmount": 100})],
        )
        .unwrap();
    let header = d
        .create(
            &d.fno("CustomerPaymentJournalHeaders"),
            &json!({"JournalName": "CustPay", "Description": "Gateway payments", "JournalBatchNumber": "IGNORED"}),
        )
        .await;
    let batch = header["JournalBatchNumber"].as_str().unwrap().to_owned();
    assert_eq!(batch, "00001", "assigned by the number sequence");
    assert_eq!(header["IsPosted"], "No");
    let header2 = d
        .create(
            &d.fno("LedgerJournalHeaders"),
            &json!({"JournalName": "GenJrn"}),
        )
        .await;
    assert_eq!(header2["JournalBatchNumber"], "00002", "shared sequence");

    let line = |amount: f64| {
        json!({"JournalBatchNumber": batch, "AccountType": "Cust", "AccountDisplayValue": "US-001",
               "CreditAmount": amount, "TransactionDate": "2024-05-01T00:00:00Z",
               "PaymentMethodName": "CARD", "PaymentReference": "PT-1",
               "OffsetAccountType": "Bank", "OffsetAccountDisplayValue": "USMF OPER",
               "MarkedInvoice": "CIV-000100"})
    };
    let l1 = d
        .create(&d.fno("CustomerPaymentJournalLines"), &line(60.0))
        .await;
    assert_eq!(l1["LineNumber"], 1);
    assert_eq!(l1["CurrencyCode"], "USD");
    assert_eq!(l1["CustomerName"], "Contoso");
    assert_eq!(l1["TransactionDate"], "2024-05-01T12:00:00Z");
    assert!(l1["Voucher"].as_str().unwrap().starts_with("ARP-"));
    let l2 = d
        .create(&d.fno("CustomerPaymentJournalLines"), &line(40.0))
        .await;
    assert_eq!(l2["LineNumber"], 2);
    // Settlement is validated when the line is written.
    let over = d
        .post(&d.fno("CustomerPaymentJournalLines"), &line(0.01))
        .await;
    assert_eq!(over.status, 400);
    assert!(
        over.json["error"]["innererror"]["message"]
            .as_str()
            .unwrap()
            .contains("greater than the remaining amount")
    );
    let unknown = d
        .post(
            &d.fno("CustomerPaymentJournalLines"),
            &json!({"JournalBatchNumber": batch, "AccountType": "Cust", "AccountDisplayValue": "NOPE", "CreditAmount": 1}),
        )
        .await;
    assert_eq!(unknown.status, 400);
    assert!(
        unknown.json["error"]["innererror"]["message"]
            .as_str()
            .unwrap()
            .contains("'NOPE'")
    );
    let no_header = d
        .post(
            &d.fno("CustomerPaymentJournalLines"),
            &json!({"JournalBatchNumber": "99999", "AccountDisplayValue": "US-001", "CreditAmount": 1}),
        )
        .await;
    assert_eq!(no_header.status, 400);

    let lines = d
        .get(&d.fno(&format!(
            "CustomerPaymentJournalHeaders(dataAreaId='usmf',JournalBatchNumber='{batch}')/CustomerPaymentJournalLines"
        )))
        .await;
    assert_eq!(lines.json["value"].as_array().unwrap().len(), 2);
    let by_key = d
        .get(&d.fno(&format!(
            "CustomerPaymentJournalLines(dataAreaId='usmf',JournalBatchNumber='{batch}',LineNumber=2)"
        )))
        .await;
    assert_eq!(by_key.status, 200, "{}", by_key.text);
    assert_eq!(by_key.json["CreditAmount"], 40);
}

#[tokio::test]
async fn posting_is_an_extension_that_writes_general_journal_account_entries() {
    // Standard F&O: no posting action and no service.
    let plain = D::start().await;
    plain
        .create(
            &plain.fno("LedgerJournalHeaders"),
            &json!({"JournalName": "GenJrn"}),
        )
        .await;
    let action = plain
        .post(
            &plain.fno("LedgerJournalHeaders(dataAreaId='usmf',JournalBatchNumber='00001')/Microsoft.Dynamics.DataEntities.Post"),
            &json!({}),
        )
        .await;
    assert_eq!(action.status, 404);
    assert!(action.json["Message"].is_string());

    let path = "/api/services/TributaryServices/JournalService/post";
    let d = D::start_with(frozen().fno(|f| {
        f.posting.service_path = Some(path.into());
        f.posting.entity_action = true;
    }))
    .await;
    let h = d
        .create(
            &d.fno("LedgerJournalHeaders"),
            &json!({"JournalName": "GenJrn"}),
        )
        .await;
    let batch = h["JournalBatchNumber"].as_str().unwrap().to_owned();
    let url = format!("{}{path}", d.sb.base_url());
    let empty = d
        .post(
            &url,
            &json!({"dataAreaId": "usmf", "journalBatchNumber": batch}),
        )
        .await;
    assert_eq!(empty.status, 500);
    assert!(
        empty.json["Message"]
            .as_str()
            .unwrap()
            .contains("has no lines")
    );
    let bad_line = d
        .post(
            &d.fno("LedgerJournalLines"),
            &json!({"JournalBatchNumber": batch, "AccountDisplayValue": "110110"}),
        )
        .await;
    assert_eq!(
        bad_line.status, 400,
        "TransDate and CurrencyCode are required"
    );
    let line = d
        .create(
            &d.fno("LedgerJournalLines"),
            &json!({"JournalBatchNumber": batch, "TransDate": "2024-05-01T00:00:00Z", "CurrencyCode": "USD",
                    "AccountType": "Ledger", "AccountDisplayValue": "110180-001", "DebitAmount": 250,
                    "OffsetAccountType": "Ledger", "OffsetAccountDisplayValue": "401100", "Text": "Fee"}),
        )
        .await;
    assert_eq!(line["LineNumber"], 1);
    assert!(line["Voucher"].as_str().unwrap().starts_with("GNJL"));
    let posted = d
        .post(
            &url,
            &json!({"_dataAreaId": "usmf", "_journalBatchNumber": batch}),
        )
        .await;
    assert_eq!(posted.status, 200, "{}", posted.text);
    assert_eq!(posted.json["EntryCount"], 2);
    let entries = d
        .get(&d.fno(&format!("GeneralJournalAccountEntries?$filter=JournalNumber%20eq%20'{batch}'&$orderby=EntryNumber")))
        .await;
    let e = entries.json["value"].as_array().unwrap();
    assert_eq!(e.len(), 2);
    assert_eq!(e[0]["MainAccountId"], "110180");
    assert_eq!(e[0]["AccountingCurrencyAmount"], 250);
    assert_eq!(e[0]["IsCredit"], "No");
    assert_eq!(e[1]["AccountingCurrencyAmount"], -250);
    assert_eq!(e[1]["IsCredit"], "Yes");
    let header = d
        .get(&d.fno(&format!(
            "LedgerJournalHeaders(dataAreaId='usmf',JournalBatchNumber='{batch}')"
        )))
        .await;
    assert_eq!(header.json["IsPosted"], "Yes");
    // Posted journals are frozen.
    let late = d
        .post(
            &d.fno("LedgerJournalLines"),
            &json!({"JournalBatchNumber": batch, "TransDate": "2024-05-01", "CurrencyCode": "USD", "AccountDisplayValue": "1"}),
        )
        .await;
    assert_eq!(late.status, 400);
    // GeneralJournalAccountEntries is read-only.
    assert_eq!(
        d.post(&d.fno("GeneralJournalAccountEntries"), &json!({}))
            .await
            .status,
        405
    );

    // The entity-action variant on a payment journal.
    d.create(&d.fno("CustomersV3"), &customer("US-001", "Contoso"))
        .await;
    let ph = d
        .create(
            &d.fno("CustomerPaymentJournalHeaders"),
            &json!({"JournalName": "CustPay"}),
        )
        .await;
    let pb = ph["JournalBatchNumber"].as_str().unwrap().to_owned();
    d.create(
        &d.fno("CustomerPaymentJournalLines"),
        &json!({"JournalBatchNumber": pb, "AccountDisplayValue": "US-001", "CreditAmount": 75,
                "OffsetAccountType": "Bank", "OffsetAccountDisplayValue": "USMF OPER"}),
    )
    .await;
    let act = d
        .post(
            &d.fno(&format!("CustomerPaymentJournalHeaders(dataAreaId='usmf',JournalBatchNumber='{pb}')/Microsoft.Dynamics.DataEntities.Post")),
            &json!({}),
        )
        .await;
    assert_eq!(act.status, 204, "{}", act.text);
    let pay = d
        .get(&d.fno(&format!(
            "GeneralJournalAccountEntries?$filter=JournalNumber%20eq%20'{pb}'"
        )))
        .await;
    let p = pay.json["value"].as_array().unwrap();
    assert_eq!(p[0]["MainAccountId"], "130100");
    assert_eq!(p[0]["AccountingCurrencyAmount"], -75);
    assert_eq!(p[0]["JournalCategory"], "Payment");
    assert_eq!(p[1]["MainAccountId"], "110110");
}

#[tokio::test]
async fn service_document_and_metadata() {
    let d = D::start().await;
    let doc = d.get(&d.fno("")).await;
    let names: Vec<&str> = doc.json["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"CustomersV3") && names.contains(&"GeneralJournalAccountEntries"));
    let meta = d.get(&d.fno("$metadata")).await;
    assert_eq!(meta.status, 200);
    assert!(
        meta.text
            .contains("<EntitySet Name=\"SalesOrderHeadersV2\"")
    );
    assert!(meta.text.contains("<PropertyRef Name=\"dataAreaId\"/>"));
}

#[tokio::test]
async fn optional_fno_behaviours_are_configurable() {
    use sandbox::dynamics::NextLinkStyle;
    let d = D::start_with(frozen().fno(|f| {
        f.honour_max_page_size = true;
        f.next_link = NextLinkStyle::SkipToken;
        f.filter_functions = true;
        f.json_batch = true;
        f.validation_status = 500;
    }))
    .await;
    for i in 1..=5 {
        d.sb.emulator()
            .seed_fno_customer("usmf", &format!("C-{i}"), &format!("Name {i}"))
            .unwrap();
    }
    let r = d
        .get_with(&d.fno("CustomersV3"), &[("prefer", "odata.maxpagesize=2")])
        .await;
    assert_eq!(r.json["value"].as_array().unwrap().len(), 2);
    assert_eq!(r.header("preference-applied"), Some("odata.maxpagesize=2"));
    let next = r.json["@odata.nextLink"].as_str().unwrap();
    assert!(next.contains("$skiptoken="), "{next}");
    let f = d
        .get(&d.fno("CustomersV3?$filter=contains(OrganizationName,'ame%203')"))
        .await;
    assert_eq!(f.json["value"][0]["CustomerAccount"], "C-3", "{}", f.text);
    let bad = d
        .post(&d.fno("CustomersV3"), &json!({"CustomerAccount": "Z"}))
        .await;
    assert_eq!(bad.status, 500);
    let batch = d
        .post(
            &d.fno("$batch"),
            &json!({"requests": [{"id": "1", "method": "GET", "url": "CustomersV3/$count"}]}),
        )
        .await;
    assert_eq!(batch.status, 200, "{}", batch.text);
    assert_eq!(batch.json["responses"][0]["body"], "5");
}
