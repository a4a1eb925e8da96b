//! The OData core against a real third-party OData v4 server: SAP CAP (`@sap/cds@9` with
//! `@cap-js/sqlite@2`), the small model in `scripts/conformance/odata/`, on 127.0.0.1.
//!
//! Ignored by default: it needs Node 20 and `npm ci` in that folder. Run with
//! `cargo test -p dynamics365-client --test cap_conformance -- --ignored`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use dynamics365_client::auth::StaticToken;
use dynamics365_client::odata::filter::prop;
use dynamics365_client::odata::{BatchFormat, Key, Precondition, QueryOptions};
use dynamics365_client::{Client, Error, Flavor};
use futures::TryStreamExt;
use mapping::retry::ErrorKind;
use rust_decimal_macros::dec;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// The CAP server, stopped (by its pid) when dropped.
struct Cap {
    child: Child,
    url: String,
}

impl Drop for Cap {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_cap() -> Cap {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../scripts/conformance/odata");
    assert!(
        dir.join("node_modules/@sap/cds").exists(),
        "run `npm ci` in {} first (Node 20, @sap/cds@9, @cap-js/sqlite@2)",
        dir.display()
    );
    let mut child = Command::new("node")
        .arg("server.js")
        .current_dir(&dir)
        .env("PORT", "0")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("node is on the PATH");
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(url) = line.strip_prefix("listening on ") {
                let _ = tx.send(url.trim().to_owned());
            }
        }
    });
    let url = rx
        .recv_timeout(Duration::from_secs(90))
        .expect("the CAP server did not start");
    Cap { child, url }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Book {
    #[serde(rename = "ID")]
    id: i64,
    title: String,
    #[serde(default)]
    stock: Option<i64>,
    #[serde(default, with = "dynamics365_client::odata::edm::decimal_opt")]
    price: Option<rust_decimal::Decimal>,
    #[serde(rename = "@odata.etag", default, skip_serializing)]
    etag: Option<dynamics365_client::odata::ETag>,
}

#[tokio::test]
#[ignore = "needs Node 20 and `npm ci` in scripts/conformance/odata"]
async fn cap_conformance() {
    let cap = start_cap();
    let client = Client::builder()
        .flavor(Flavor::Generic)
        .base_url(format!("{}/odata/v4/test", cap.url))
        .credentials(StaticToken::new("dummy"))
        .build()
        .unwrap();
    let svc = client.odata();
    let books = svc.entity_set::<Book>("Books");

    // Query options: filter (functions, `in`, comparison), select, orderby, top, skip, count.
    let page = books
        .query()
        .filter(
            prop("title")
                .contains("e")
                .and(prop("ID").is_in([201, 207, 251, 252]))
                .and(prop("price").gt(dec!(12))),
        )
        .select(["ID", "title", "price"])
        .order_by_desc("ID")
        .top(2)
        .skip(1)
        .with_count()
        .first_page()
        .await
        .unwrap();
    assert_eq!(page.count, Some(3), "252, 251, 207 match");
    let ids: Vec<i64> = page.items.iter().map(|b| b.id).collect();
    assert_eq!(ids, [251, 207]);
    assert_eq!(page.items[1].price, Some(dec!(12.34)));
    assert_eq!(
        books
            .query()
            .filter(prop("stock").gt(100))
            .count()
            .await
            .unwrap(),
        2
    );

    // Nested $expand options.
    let authors: Vec<Value> = svc
        .entity_set::<Value>("Authors")
        .query()
        .filter(prop("ID").eq(3))
        .expand_with(
            "books",
            QueryOptions::new()
                .select(["ID", "title"])
                .filter(prop("stock").lt(500))
                .order_by("title"),
        )
        .stream()
        .try_collect()
        .await
        .unwrap();
    let titles: Vec<&str> = authors[0]["books"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["Catweazle", "The Raven"]);

    // Composite keys and string literals with a quote and an ampersand.
    let customers = svc.entity_set::<Value>("Customers");
    let oneil = customers
        .get(
            Key::new()
                .part("dataAreaId", "usmf")
                .part("CustomerAccount", "US-002"),
        )
        .await
        .unwrap();
    assert_eq!(oneil["Name"], "O'Neil & Co");
    let found: Vec<Value> = customers
        .query()
        .filter(prop("Name").eq("O'Neil & Co"))
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(found.len(), 1);

    // Server-driven paging with relative next links (CAP's page limit is 2 here).
    let pages: Vec<_> = books
        .query()
        .order_by("ID")
        .pages()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(pages.len(), 3);
    assert!(
        pages[0]
            .next
            .as_ref()
            .unwrap()
            .next_link
            .starts_with(&cap.url)
    );
    let all: Vec<i64> = pages
        .into_iter()
        .flat_map(|p| p.items)
        .map(|b| b.id)
        .collect();
    assert_eq!(all, [201, 207, 251, 252, 271]);

    // Create, then PATCH: CAP requires If-Match (428 without), refuses a stale one (412).
    let created = books
        .create(&json!({"ID": 1000, "title": "New", "stock": 1, "price": 9.99}))
        .await
        .unwrap();
    assert!(created.created());
    let etag = created.etag.clone().expect("CAP sends @odata.etag");
    let missing = books.update(1000, &json!({"stock": 2})).await.unwrap_err();
    assert_eq!(missing.status(), Some(428));
    assert_eq!(missing.kind(), ErrorKind::Validation);
    tokio::time::sleep(Duration::from_millis(5)).await;
    let updated = books
        .update(1000, &json!({"stock": 2}))
        .if_match(&etag)
        .return_representation()
        .await
        .unwrap();
    let fresh = updated.etag.clone().unwrap();
    assert_ne!(fresh, etag);
    let stale = books
        .update(1000, &json!({"stock": 3}))
        .if_match(&etag)
        .await
        .unwrap_err();
    assert!(matches!(stale, Error::PreconditionFailed(_)), "{stale:?}");
    tokio::time::sleep(Duration::from_millis(5)).await;
    let replaced = books
        .replace(
            1000,
            &json!({"ID": 1000, "title": "Replaced", "stock": 4, "price": 1}),
        )
        .if_match(&fresh)
        .await
        .unwrap();
    let book = books.get(1000).await.unwrap();
    assert_eq!((book.title.as_str(), book.stock), ("Replaced", Some(4)));
    books
        .delete(1000)
        .precondition(Precondition::IfMatch(
            book.etag.clone().or(replaced.etag).unwrap(),
        ))
        .await
        .unwrap();
    let gone = books.get(1000).await.unwrap_err();
    assert!(gone.is_not_found(), "{gone:?}");

    // Both batch formats: a changeset creating an author and, through `$id`, its book; a GET;
    // and a failing part whose error comes back although the batch answers 200.
    for (format, base) in [(BatchFormat::Multipart, 2000), (BatchFormat::Json, 3000)] {
        let authors = svc.entity_set::<Value>("Authors");
        let mut batch = svc.batch().format(format).continue_on_error();
        let mut changeset = batch.changeset();
        let author = changeset.create(&authors, &json!({"ID": base, "name": "Batch author"}));
        let book = changeset.create_under(
            &author,
            "books",
            &json!({"ID": base, "title": "Batch book"}),
        );
        let read = batch.get(&books.entity(201));
        let duplicate = batch.create(&books, &json!({"ID": 201, "title": "Duplicate"}));
        let answer = batch.send().await.unwrap();
        assert_eq!(
            answer.part(&author).unwrap().status(),
            Some(201),
            "{format:?}"
        );
        let created: Book = answer.part(&book).unwrap().json().unwrap();
        assert_eq!(created.title, "Batch book");
        assert_eq!(answer.part(&read).unwrap().json::<Book>().unwrap().id, 201);
        // CAP with SQLite answers a duplicate key with a 500 `SQLITE_CONSTRAINT_PRIMARYKEY`.
        let failure = answer.part(&duplicate).unwrap().error().unwrap();
        assert!(failure.status().is_some_and(|s| s >= 400), "{failure:?}");
        assert!(
            failure.code().is_some() && failure.message().is_some(),
            "{failure:?}"
        );
        assert!(
            answer.check().is_err(),
            "the outer 200 is not taken as success of the parts"
        );
        let row = books.get(base).await.unwrap();
        assert_eq!(row.title, "Batch book");
        let linked = svc
            .entity_set::<Value>("Books")
            .get(base)
            .select(["author_ID"])
            .await
            .unwrap();
        assert_eq!(linked["author_ID"], base);
    }

    // An unbound action.
    let removed = svc.action("reset").await.unwrap();
    assert_eq!(removed.json::<Value>().unwrap()["value"], 2);

    // A 404 with CAP's error body.
    let err = books.get(99_999).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert!(err.message().is_some());
}
