#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Malformed URLs, query options, bodies and batches never crash the Dynamics emulator: every
//! request gets an HTTP answer in the flavour's error shape, never a dropped connection.

mod dynamics_support;

use dynamics_support::D;
use reqwest::Method;
use sandbox::dynamics::DEFAULT_BC_COMPANY_ID;

#[tokio::test]
async fn hostile_inputs_get_4xx_answers() {
    let d = D::start().await;
    d.sb.emulator()
        .seed_fno_customer("usmf", "US-001", "Contoso")
        .unwrap();
    d.sb.emulator()
        .seed_bc_customer(DEFAULT_BC_COMPANY_ID, "10000", "Adatum")
        .unwrap();
    let c = format!("companies({DEFAULT_BC_COMPANY_ID})");
    let gets = [
        d.fno("CustomersV3("),
        d.fno("CustomersV3(dataAreaId='usmf'"),
        d.fno("CustomersV3(')/x"),
        d.fno("CustomersV3('a'/'b')"),
        d.fno("CustomersV3(dataAreaId='usmf',dataAreaId='usmf')"),
        d.fno("%FF%FE%00"),
        d.fno("CustomersV3(dataAreaId='usmf',CustomerAccount='US-001')/Nope/Deeper/Still"),
        d.fno("CustomersV3?$filter=((((("),
        d.fno("CustomersV3?$filter='"),
        d.fno("CustomersV3?$filter=CreditLimit%20eq%201e999999"),
        d.fno("CustomersV3?$filter=CreditLimit%20mul%2079228162514264337593543950335%20gt%201"),
        d.fno("CustomersV3?$filter=CreditLimit%20div%200%20eq%201"),
        d.fno("CustomersV3?$top=99999999999999999999999"),
        d.fno("CustomersV3?$skip=18446744073709551615"),
        d.fno("CustomersV3?$skiptoken=%FF"),
        d.fno("CustomersV3?$expand=("),
        d.fno("SalesOrderHeadersV2?$expand=SalesOrderLines($filter=))"),
        d.fno("CustomersV3?$select=,"),
        d.fno("CustomersV3?$orderby="),
        d.fno("CustomersV3?$orderby=CustomerAccount%20sideways"),
        d.fno("CustomersV3?%24filter=%zz"),
        d.bc_root(""),
        format!("{}/v2.0/", d.sb.base_url()),
        format!("{}/v2.0/x", d.sb.base_url()),
        d.bc_root("companies(zzz)/customers"),
        d.bc_root("companies(00000000-0000-0000-0000-000000000000)/customers"),
        d.bc("customers(1)"),
        d.bc("customers?$filter=substring(displayName,-1,99999999999999999999)%20eq%20'x'"),
        d.bc("customers?$filter=indexof(displayName,'')%20eq%20year(lastModifiedDateTime)"),
        d.bc("customers?$filter=date(number)%20eq%202024-01-01"),
        d.bc("customers?$expand=nope"),
        d.bc("salesOrders(00000000-0000-0000-0000-000000000001)/salesOrderLines(abc)/Microsoft.NAV.x"),
        format!("{}/nothing/here", d.sb.base_url()),
    ];
    for url in &gets {
        let r = d
            .http
            .get(url)
            .bearer_auth(&d.token)
            .send()
            .await
            .unwrap_or_else(|e| panic!("no answer for {url}: {e}"));
        assert!(r.status().as_u16() < 500, "{url}: {}", r.status());
    }

    let posts: Vec<(String, &[u8])> = vec![
        (d.fno("CustomersV3"), b"[]"),
        (d.fno("CustomersV3"), b"{"),
        (d.fno("CustomersV3"), b"null"),
        (d.fno("CustomersV3"), b""),
        (d.fno("CustomersV3"), br#"{"CustomerAccount":"X","CreditLimit":1e400}"#),
        (d.fno("CustomersV3"), br#"{"CustomerAccount":"X","CreditLimit":"abc"}"#),
        (d.fno("CustomersV3"), br#"{"CustomerAccount":7}"#),
        (d.fno("SalesOrderLines"), br#"{"SalesOrderNumber":"1","OrderedSalesQuantity":999999999999,"SalesPrice":999999999999}"#),
        (d.fno("SalesOrderLines"), br#"{"SalesOrderNumber":"1","OrderedSalesQuantity":1e13}"#),
        (d.fno("CustomersV3"), "{\"OrganizationName\":\"\u{1F600}\u{0}\"}".as_bytes()),
        (d.fno("$batch"), b"--x\r\n"),
        (d.bc_root("$batch"), br#"{"requests":{}}"#),
        (d.bc_root("$batch"), br#"{"requests":[{"id":"1","method":"GET","url":"$","dependsOn":["1"]}]}"#),
        (d.bc_root("$batch"), br#"{"requests":[{"id":"1","method":"G E T","url":"x"}]}"#),
        (d.bc_root("$batch"), br#"{"requests":[{"id":"1","method":"POST","url":"$1/x"},{"id":"1","method":"GET","url":"y"}]}"#),
        (d.bc_root("$batch"), br#"{"requests":[{"id":"1","method":"POST","url":"$batch"}]}"#),
        (d.bc(&format!("customerPaymentJournals({DEFAULT_BC_COMPANY_ID})/customerPayments")), b"{}"),
        (d.bc("salesOrders"), br#"{"customerId":"not-a-guid"}"#),
        (d.bc("salesOrders"), br#"{"orderDate":"yesterday"}"#),
        (d.bc("journals"), br#"{"code":""}"#),
        (d.bc("journalLines"), br#"{"amount":1}"#),
        (format!("{}/api/services/Nope/Nope/nope", d.sb.base_url()), b"{}"),
        (format!("{}/x/oauth2/v2.0/token", d.sb.base_url()), b"%%%"),
    ];
    for (url, body) in &posts {
        for ct in [
            "application/json",
            "multipart/mixed; boundary=x",
            "text/plain",
        ] {
            let r = d
                .raw(
                    Method::POST,
                    url,
                    &[("content-type", ct)],
                    Some(body.to_vec()),
                    true,
                )
                .await;
            assert!(
                r.status < 500 || r.status == 501,
                "{url} {ct}: {} {}",
                r.status,
                r.text
            );
        }
    }
    // Still healthy afterwards.
    assert_eq!(
        d.get(&d.fno("CustomersV3")).await.json["value"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let _ = c;
}
