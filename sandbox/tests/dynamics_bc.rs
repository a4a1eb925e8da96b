#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Business Central flavour of the Dynamics emulator over real HTTP: companies, customers,
//! If-Match rules, payments and journal posting, sales orders to invoices, paging, errors.

mod dynamics_support;

use dynamics_support::{D, frozen};
use reqwest::Method;
use sandbox::dynamics::{DEFAULT_BC_COMPANY_ID, DEFAULT_BC_COMPANY_NAME, DEFAULT_TENANT_ID};
use serde_json::{Value, json};

fn correlation_ok(v: &Value) {
    let m = v["error"]["message"].as_str().unwrap();
    assert!(m.contains("  CorrelationId:  "), "{m}");
}

#[tokio::test]
async fn companies_then_customers() {
    let d = D::start().await;
    let other = d.sb.emulator().seed_bc_company("CRONUS Canada");
    let companies = d.get(&d.bc_root("companies")).await;
    assert_eq!(companies.status, 200, "{}", companies.text);
    let list = companies.json["value"].as_array().unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["id"], DEFAULT_BC_COMPANY_ID);
    assert_eq!(list[0]["name"], DEFAULT_BC_COMPANY_NAME);

    let c = d
        .create(
            &d.bc("customers"),
            &json!({"displayName": "Adatum Corporation", "email": "a@adatum.example"}),
        )
        .await;
    assert_eq!(c["number"], "C00010");
    assert_eq!(c["type"], "Company");
    assert_eq!(c["blocked"], " ");
    assert_eq!(c["balanceDue"], 0);
    let id = c["id"].as_str().unwrap().to_owned();
    assert_eq!(id.len(), 36);
    assert!(c["@odata.context"].as_str().unwrap().ends_with(&format!(
        "$metadata#companies({DEFAULT_BC_COMPANY_ID})/customers/$entity"
    )));
    let got = d.get(&d.bc(&format!("customers({id})"))).await;
    assert_eq!(got.json["displayName"], "Adatum Corporation");
    // Company-scoped: the other company does not see it.
    let elsewhere = d
        .get(&d.bc_root(&format!("companies({other})/customers")))
        .await;
    assert_eq!(elsewhere.json["value"], json!([]));
    // Tenant-less root form works too.
    let tenantless = format!(
        "{}/v2.0/production/api/v2.0/companies({DEFAULT_BC_COMPANY_ID})/customers",
        d.sb.base_url()
    );
    assert_eq!(
        d.get(&tenantless).await.json["value"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    let missing = d
        .get(&d.bc("customers(00000000-0000-0000-0000-00000000abcd)"))
        .await;
    assert_eq!(missing.status, 404);
    assert_eq!(missing.json["error"]["code"], "Internal_RecordNotFound");
    correlation_ok(&missing.json);
    let unknown = d.get(&d.bc("vendorz")).await;
    assert_eq!(unknown.status, 404);
    assert_eq!(unknown.json["error"]["code"], "BadRequest_ResourceNotFound");
    let ro = d.post(&d.bc_root("companies"), &json!({"name": "x"})).await;
    assert_eq!(ro.status, 405);
    assert_eq!(ro.json["error"]["code"], "BadRequest_MethodNotAllowed");
    let _ = DEFAULT_TENANT_ID;
}

#[tokio::test]
async fn patch_needs_if_match_and_a_stale_one_is_409() {
    let d = D::start().await;
    let c = d
        .create(&d.bc("customers"), &json!({"displayName": "Adatum"}))
        .await;
    let url = d.bc(&format!("customers({})", c["id"].as_str().unwrap()));
    let etag = c["@odata.etag"].as_str().unwrap().to_owned();

    let no_match = d
        .send(Method::PATCH, &url, &[], &json!({"displayName": "X"}))
        .await;
    assert_eq!(no_match.status, 400);
    assert_eq!(no_match.json["error"]["code"], "BadRequest_InvalidToken");
    assert!(no_match.json["error"]["message"]
        .as_str()
        .unwrap()
        .starts_with("Could not validate the client concurrency token required by the service. Please provide a valid token in the client request.  CorrelationId:  "));

    let ok = d
        .send(
            Method::PATCH,
            &url,
            &[("if-match", &etag)],
            &json!({"displayName": "Adatum Corp"}),
        )
        .await;
    assert_eq!(
        ok.status, 200,
        "PATCH answers 200 with the entity: {}",
        ok.text
    );
    assert_eq!(ok.json["displayName"], "Adatum Corp");
    let new_etag = ok.json["@odata.etag"].as_str().unwrap().to_owned();
    assert_ne!(new_etag, etag);

    let stale = d
        .send(
            Method::PATCH,
            &url,
            &[("if-match", &etag)],
            &json!({"displayName": "Y"}),
        )
        .await;
    assert_eq!(stale.status, 409);
    assert_eq!(stale.json["error"]["code"], "Request_EntityChanged");
    assert!(
        stale.json["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("Another user has already changed the record.")
    );

    let del_no_match = d.raw(Method::DELETE, &url, &[], None, true).await;
    assert_eq!(
        del_no_match.json["error"]["code"],
        "BadRequest_InvalidToken"
    );
    let star = d
        .send(
            Method::PATCH,
            &url,
            &[("if-match", "*"), ("prefer", "return=minimal")],
            &json!({"city": "Redmond"}),
        )
        .await;
    assert_eq!(star.status, 204);
    let del = d
        .raw(Method::DELETE, &url, &[("if-match", "*")], None, true)
        .await;
    assert_eq!(del.status, 204);
    assert_eq!(d.get(&url).await.status, 404);
}

#[tokio::test]
async fn payment_journal_payments_and_journal_post_create_gl_entries() {
    let d = D::start().await;
    let e = d.sb.emulator();
    e.seed_bc_customer(DEFAULT_BC_COMPANY_ID, "10000", "Adatum")
        .unwrap();
    let inv = e
        .seed_bc_posted_invoice(DEFAULT_BC_COMPANY_ID, "10000", &[("Consulting", 2.0, 50.0)])
        .unwrap();
    assert_eq!(inv["status"], "Open");
    assert_eq!(inv["remainingAmount"], 100);
    let inv_no = inv["number"].as_str().unwrap().to_owned();

    let j = d
        .create(
            &d.bc("customerPaymentJournals"),
            &json!({"code": "gateway", "displayName": "Gateway receipts", "balancingAccountNumber": "2910"}),
        )
        .await;
    assert_eq!(j["code"], "GATEWAY", "codes are upper-cased");
    let jid = j["id"].as_str().unwrap().to_owned();
    let payments = d.bc(&format!("customerPaymentJournals({jid})/customerPayments"));
    let p1 = d
        .create(
            &payments,
            &json!({"customerNumber": "10000", "postingDate": "2024-05-01", "externalDocumentNumber": "PT-1",
                    "amount": 60, "appliesToInvoiceNumber": inv_no, "description": "Card payment"}),
        )
        .await;
    assert_eq!(p1["journalId"], jid.as_str());
    assert_eq!(p1["journalDisplayName"], "GATEWAY");
    assert_eq!(p1["lineNumber"], 10000);
    assert_eq!(p1["customerId"], inv["customerId"]);
    assert_eq!(p1["appliesToInvoiceId"], inv["id"]);
    assert!(p1["documentNumber"].as_str().unwrap().starts_with('G'));
    let p2 = d
        .create(
            &payments,
            &json!({"customerNumber": "10000", "amount": 40, "appliesToInvoiceNumber": inv_no}),
        )
        .await;
    assert_eq!(p2["lineNumber"], 20000);
    assert_eq!(
        p2["postingDate"], "2024-05-01",
        "defaults to today (Edm.Date)"
    );

    // Unknown customer: the table-relation error.
    let bad = d
        .post(&payments, &json!({"customerNumber": "99999", "amount": 1}))
        .await;
    assert_eq!(bad.status, 400);
    assert_eq!(bad.json["error"]["code"], "Internal_InvalidTableRelation");

    // Top-level customerPayments need a journal.
    let top = d.get(&d.bc("customerPayments")).await;
    assert_eq!(top.status, 400);
    assert!(
        top.json["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("You must specify a journal batch ID or a journal ID")
    );
    let filtered = d
        .get(&d.bc(&format!("customerPayments?$filter=journalId%20eq%20{jid}")))
        .await;
    assert_eq!(
        filtered.json["value"].as_array().unwrap().len(),
        2,
        "{}",
        filtered.text
    );

    // Post the payment batch through journals({id})/Microsoft.NAV.post.
    let post = d
        .post(
            &d.bc(&format!("journals({jid})/Microsoft.NAV.post")),
            &json!({}),
        )
        .await;
    assert_eq!(post.status, 204, "{}", post.text);
    assert!(
        d.get(&d.bc(&format!("customerPayments?$filter=journalId%20eq%20{jid}")))
            .await
            .json["value"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    let gl = d
        .get(
            &d.bc(
                "generalLedgerEntries?$filter=documentType%20eq%20'Payment'&$orderby=entryNumber",
            ),
        )
        .await;
    let entries = gl.json["value"].as_array().unwrap();
    assert_eq!(entries.len(), 4);
    assert_eq!(entries[0]["accountNumber"], "2310");
    assert_eq!(entries[0]["creditAmount"], 60);
    assert_eq!(entries[1]["accountNumber"], "2910");
    assert_eq!(entries[1]["debitAmount"], 60);
    let paid = d
        .get(&d.bc(&format!("salesInvoices({})", inv["id"].as_str().unwrap())))
        .await;
    assert_eq!(paid.json["remainingAmount"], 0);
    assert_eq!(paid.json["status"], "Paid");
    let cust = d
        .get(&d.bc("customers?$filter=number%20eq%20'10000'"))
        .await;
    assert_eq!(cust.json["value"][0]["balanceDue"], 0);

    // A general journal: lines, post, entries; then "There is nothing to post."
    let gj = d
        .create(
            &d.bc("journals"),
            &json!({"code": "DEFAULT", "displayName": "Default"}),
        )
        .await;
    let gid = gj["id"].as_str().unwrap().to_owned();
    let line = d
        .create(
            &d.bc(&format!("journals({gid})/journalLines")),
            &json!({"accountNumber": "6110", "amount": -125.5, "balancingAccountNumber": "2910", "description": "Fee"}),
        )
        .await;
    assert_eq!(line["accountType"], "G/L Account");
    let post = d
        .post(
            &d.bc(&format!("journals({gid})/Microsoft.NAV.post")),
            &json!({}),
        )
        .await;
    assert_eq!(post.status, 204, "{}", post.text);
    let fee = d
        .get(&d.bc("generalLedgerEntries?$filter=description%20eq%20'Fee'&$orderby=entryNumber"))
        .await;
    let fee = fee.json["value"].as_array().unwrap();
    assert_eq!(fee[0]["accountNumber"], "6110");
    assert_eq!(fee[0]["creditAmount"], 125.5);
    assert_eq!(fee[1]["debitAmount"], 125.5);
    let again = d
        .post(
            &d.bc(&format!("journals({gid})/Microsoft.NAV.post")),
            &json!({}),
        )
        .await;
    assert_eq!(again.status, 400);
    assert!(
        again.json["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("There is nothing to post.")
    );
    // generalLedgerEntries is read-only.
    let ro = d.post(&d.bc("generalLedgerEntries"), &json!({})).await;
    assert_eq!(ro.status, 405);
}

#[tokio::test]
async fn negative_payment_amount_rule_is_configurable() {
    let d = D::start_with(frozen().bc(|b| b.require_negative_payment_amount = true)).await;
    d.sb.emulator()
        .seed_bc_customer(DEFAULT_BC_COMPANY_ID, "10000", "Adatum")
        .unwrap();
    let j = d
        .create(&d.bc("customerPaymentJournals"), &json!({"code": "CASH"}))
        .await;
    let url = d.bc(&format!(
        "customerPaymentJournals({})/customerPayments",
        j["id"].as_str().unwrap()
    ));
    let pos = d
        .post(&url, &json!({"customerNumber": "10000", "amount": 10}))
        .await;
    assert_eq!(pos.status, 400);
    assert_eq!(pos.json["error"]["code"], "Application_DialogException");
    assert!(
        pos.json["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("The \"amount\" should be a negative number.")
    );
    let neg = d
        .post(&url, &json!({"customerNumber": "10000", "amount": -10}))
        .await;
    assert_eq!(neg.status, 201, "{}", neg.text);
}

#[tokio::test]
async fn sales_order_ship_and_invoice_creates_a_posted_invoice() {
    let d = D::start().await;
    d.sb.emulator()
        .seed_bc_customer(DEFAULT_BC_COMPANY_ID, "10000", "Adatum")
        .unwrap();
    let no_customer = d
        .post(
            &d.bc("salesOrders"),
            &json!({"externalDocumentNumber": "X"}),
        )
        .await;
    assert_eq!(no_customer.status, 400);
    assert!(
        no_customer.json["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("A customerNumber or a customerID must be provided.")
    );

    let order = d
        .create(
            &d.bc("salesOrders"),
            &json!({"customerNumber": "10000", "externalDocumentNumber": "SF-0001"}),
        )
        .await;
    assert_eq!(order["number"], "S-ORD101001");
    assert_eq!(order["status"], "Draft");
    assert_eq!(order["orderDate"], "2024-05-01");
    let oid = order["id"].as_str().unwrap().to_owned();
    let empty = d
        .post(
            &d.bc(&format!("salesOrders({oid})/Microsoft.NAV.shipAndInvoice")),
            &json!({}),
        )
        .await;
    assert_eq!(empty.status, 400, "nothing to post without lines");

    let line = d
        .create(
            &d.bc(&format!("salesOrders({oid})/salesOrderLines")),
            &json!({"lineType": "Item", "lineObjectNumber": "1896-S", "quantity": 4, "unitPrice": 25, "taxPercent": 10}),
        )
        .await;
    assert_eq!(line["documentId"], oid.as_str());
    assert_eq!(line["sequence"], 10000);
    assert_eq!(line["amountExcludingTax"], 100);
    assert_eq!(line["amountIncludingTax"], 110);
    let with_lines = d
        .get(&d.bc(&format!("salesOrders({oid})?$expand=salesOrderLines")))
        .await;
    assert_eq!(with_lines.json["totalAmountIncludingTax"], 110);
    assert_eq!(
        with_lines.json["salesOrderLines"].as_array().unwrap().len(),
        1
    );

    let ship = d
        .post(
            &d.bc(&format!("salesOrders({oid})/Microsoft.NAV.shipAndInvoice")),
            &json!({}),
        )
        .await;
    assert_eq!(ship.status, 204, "{}", ship.text);
    assert_eq!(
        d.get(&d.bc(&format!("salesOrders({oid})"))).await.status,
        404,
        "invoiced orders are deleted"
    );
    let invoices = d
        .get(&d.bc(&format!(
            "salesInvoices?$filter=orderId%20eq%20{oid}&$expand=salesInvoiceLines"
        )))
        .await;
    let inv = &invoices.json["value"][0];
    assert_eq!(inv["status"], "Open", "{}", invoices.text);
    assert_eq!(inv["orderNumber"], "S-ORD101001");
    assert_eq!(inv["externalDocumentNumber"], "SF-0001");
    assert_eq!(inv["totalAmountIncludingTax"], 110);
    assert_eq!(inv["remainingAmount"], 110);
    assert!(inv["number"].as_str().unwrap().starts_with("PS-INV"));
    assert_eq!(inv["salesInvoiceLines"][0]["quantity"], 4);
    let cust = d
        .get(&d.bc("customers?$filter=number%20eq%20'10000'"))
        .await;
    assert_eq!(cust.json["value"][0]["balanceDue"], 110);

    // A draft invoice posted through Microsoft.NAV.post keeps its id.
    let draft = d
        .create(
            &d.bc("salesInvoices"),
            &json!({"customerNumber": "10000", "salesInvoiceLines": [{"lineType": "Account", "lineObjectNumber": "6110", "quantity": 1, "unitPrice": 9.99}]}),
        )
        .await;
    assert_eq!(draft["status"], "Draft");
    let did = draft["id"].as_str().unwrap().to_owned();
    let posted = d
        .post(
            &d.bc(&format!("salesInvoices({did})/Microsoft.NAV.post")),
            &json!({}),
        )
        .await;
    assert_eq!(posted.status, 204);
    let after = d.get(&d.bc(&format!("salesInvoices({did})"))).await;
    assert_eq!(after.json["status"], "Open");
    assert_eq!(after.json["totalAmountIncludingTax"], 9.99);
    // Posted invoices cannot be patched.
    let patch = d
        .send(
            Method::PATCH,
            &d.bc(&format!("salesInvoices({did})")),
            &[("if-match", "*")],
            &json!({"externalDocumentNumber": "x"}),
        )
        .await;
    assert_eq!(patch.status, 400);
}

#[tokio::test]
async fn paging_with_maxpagesize_skiptoken_and_top() {
    let d = D::start_with(frozen().bc(|b| b.page_size = 4)).await;
    for i in 0..10 {
        d.sb.emulator()
            .seed_bc_customer(
                DEFAULT_BC_COMPANY_ID,
                &format!("N{i:02}"),
                &format!("Customer {i}"),
            )
            .unwrap();
    }
    // The page cap.
    let capped = d.get(&d.bc("customers")).await;
    assert_eq!(capped.json["value"].as_array().unwrap().len(), 4);
    assert!(
        capped.json["@odata.nextLink"]
            .as_str()
            .unwrap()
            .contains("$skiptoken=")
    );
    // Prefer: odata.maxpagesize, re-sent on every page.
    let mut url = d.bc("customers?$select=number&$orderby=number%20desc");
    let mut numbers = Vec::new();
    loop {
        let r = d.get_with(&url, &[("prefer", "odata.maxpagesize=3")]).await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.header("preference-applied"), Some("odata.maxpagesize=3"));
        let page = r.json["value"].as_array().unwrap();
        assert!(page.len() <= 3);
        numbers.extend(
            page.iter()
                .map(|c| c["number"].as_str().unwrap().to_owned()),
        );
        match r.json["@odata.nextLink"].as_str() {
            Some(n) => url = n.to_owned(),
            None => break,
        }
    }
    let expected: Vec<String> = (0..10).rev().map(|i| format!("N{i:02}")).collect();
    assert_eq!(numbers, expected);
    // $top suppresses the next link.
    let top = d
        .get_with(
            &d.bc("customers?$top=6"),
            &[("prefer", "odata.maxpagesize=2")],
        )
        .await;
    assert_eq!(top.json["value"].as_array().unwrap().len(), 6);
    assert!(top.json.get("@odata.nextLink").is_none());
    // A bad skip token.
    let bad = d.get(&d.bc("customers?$skiptoken=garbage")).await;
    assert_eq!(bad.status, 400);
}

#[tokio::test]
async fn malformed_filter_and_functions() {
    let d = D::start().await;
    d.sb.emulator()
        .seed_bc_customer(DEFAULT_BC_COMPANY_ID, "10000", "Adatum Corporation")
        .unwrap();
    let bad = d
        .get(&d.bc("customers?$filter=displayName%20eq%20'Adatum"))
        .await;
    assert_eq!(bad.status, 400);
    assert_eq!(bad.json["error"]["code"], "BadRequest_NotFound");
    correlation_ok(&bad.json);
    let syntax = d.get(&d.bc("customers?$filter=(number%20eq%20'1'")).await;
    assert_eq!(syntax.status, 400);
    let prop = d.get(&d.bc("customers?$filter=nam%20eq%20'x'")).await;
    assert_eq!(prop.json["error"]["code"], "BadRequest");
    assert!(
        prop.json["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("Could not find a property named 'nam' on type 'Microsoft.NAV.customer'.")
    );
    let f = d
        .get(&d.bc("customers?$filter=contains(displayName,'datum')%20and%20startswith(number,'1')%20and%20lastModifiedDateTime%20ge%202024-01-01T00:00:00Z"))
        .await;
    assert_eq!(f.json["value"].as_array().unwrap().len(), 1, "{}", f.text);
}
