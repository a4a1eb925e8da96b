//! Card numbers, CSCs, account numbers, passwords and tokens never appear in `Debug` or
//! `Display` of requests and errors, nor in the tracing output of whole calls.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;
use paytrace_client::{Amount, BankAccount, Card, CheckPayment, KeyedPayment};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::fmt::format::FmtSpan;
use wiremock::matchers::{method, path};
use wiremock::{Mock, ResponseTemplate};

const NUMBER: &str = "371449635392376";
const CSC: &str = "8531";
const ACCOUNT: &str = "99887766554433";

#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(data);
        Ok(data.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Buffer {
    type Writer = Buffer;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

fn sale(invoice: &str) -> KeyedPayment {
    let card = Card::new(NUMBER, 11, 2031).unwrap().with_csc(CSC).unwrap();
    KeyedPayment::new(Amount::parse("42").unwrap(), card).invoice_id(invoice)
}

fn assert_clean(text: &str, what: &str) {
    for secret in [
        NUMBER, CSC, ACCOUNT, PASSWORD, TOKEN, "37144963", "aaaa1111",
    ] {
        assert!(
            !text.contains(secret),
            "{what} contains {secret:?}:\n{text}"
        );
    }
}

#[test]
fn requests_and_card_types_print_no_card_data() {
    let request = sale("INV-1");
    let account = BankAccount::new(ACCOUNT, "021000021").unwrap();
    let check = CheckPayment::new(Amount::parse("1").unwrap(), account);
    for text in [
        format!("{request:?}"),
        format!("{:?}", request.card),
        format!("{check:?}"),
    ] {
        assert_clean(&text, "Debug");
        assert!(text.contains('…'), "{text}");
    }
    assert!(format!("{request:?}").contains("2376"));
    let errors = [
        Card::new("371449635392377", 11, 2031).unwrap_err(),
        Card::new(NUMBER, 11, 2031)
            .unwrap()
            .with_csc("853")
            .unwrap_err(),
        BankAccount::new("99887766554433x", "021000021").unwrap_err(),
    ];
    for err in errors {
        assert_clean(&format!("{err} {err:?}"), "error");
    }
}

#[tokio::test(flavor = "current_thread")]
async fn tracing_output_of_whole_calls_holds_no_secrets() {
    let buffer = Buffer::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(buffer.clone())
        .with_max_level(tracing::Level::TRACE)
        .with_span_events(FmtSpan::CLOSE)
        .with_ansi(false)
        .without_time()
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let server = server().await;
    Mock::given(method("POST"))
        .and(path("/v1/transactions/sale/keyed"))
        .and(wiremock::matchers::body_partial_json(
            serde_json::json!({"invoice_id": "INV-OK"}),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(approved_sale()))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/transactions/sale/keyed"))
        .and(wiremock::matchers::body_partial_json(
            serde_json::json!({"invoice_id": "INV-BAD"}),
        ))
        .respond_with(ResponseTemplate::new(400).set_body_json(validation_error()))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/transactions/sale/keyed"))
        .and(wiremock::matchers::body_partial_json(
            serde_json::json!({"invoice_id": "INV-SLOW"}),
        ))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(approved_sale())
                .set_delay(Duration::from_secs(3)),
        )
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/checks/sale/by_account"))
        .respond_with(ResponseTemplate::new(503))
        .mount(&server)
        .await;
    mount_catch_all(&server).await;

    let client = short_timeout(&server);
    let tx = client.transactions();
    let approved = tx.sale_keyed(&sale("INV-OK")).await.unwrap();
    let refused = tx.sale_keyed(&sale("INV-BAD")).await.unwrap_err();
    let timed_out = tx.sale_keyed(&sale("INV-SLOW")).await.unwrap_err();
    let account = BankAccount::new(ACCOUNT, "021000021").unwrap();
    let check = client
        .checks()
        .sale_by_account(&CheckPayment::new(Amount::parse("1").unwrap(), account))
        .await
        .unwrap_err();

    for value in [format!("{approved:?}"), format!("{client:?}")] {
        assert_clean(&value, "returned value");
    }
    for err in [&refused, &timed_out, &check] {
        let mut chain = format!("{err} {err:?}");
        let mut source = std::error::Error::source(err);
        while let Some(s) = source {
            chain.push_str(&format!(" {s} {s:?}"));
            source = s.source();
        }
        assert_clean(&chain, "error chain");
    }

    let port = server.address().port().to_string();
    let output = String::from_utf8(buffer.0.lock().unwrap().clone())
        .unwrap()
        .replace(&port, "<port>");
    assert_clean(&output, "tracing output");
    // The capture did see the calls.
    assert!(output.contains("paytrace.sale_keyed"), "{output}");
    assert!(
        output.contains("paytrace.check_sale_by_account"),
        "{output}"
    );
    assert!(output.contains("http.response.status_code=200"), "{output}");
    assert!(output.contains("paytrace.response_code=101"), "{output}");
    assert!(
        output.contains("error.type=\"outcome_unknown\"")
            || output.contains("error.type=outcome_unknown"),
        "{output}"
    );
}
