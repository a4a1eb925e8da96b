#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Salesforce emulator event bus: Change Data Capture events for CDC-enabled objects only,
//! platform event publishing (single and collections), replay ids and retention.

mod salesforce_common;

use chrono::TimeDelta;
use reqwest::Method;
use salesforce_common::{Sf, frozen_config};
use sandbox::salesforce::{
    CHANGE_EVENTS_CHANNEL, FieldMeta, FieldType, ObjectMeta, REPLAY_ALL, REPLAY_NEW,
    SalesforceConfig,
};
use serde_json::{Value, json};

fn event_meta() -> ObjectMeta {
    ObjectMeta::new("Payment_Received__e")
        .field(FieldMeta::new("Amount__c", FieldType::Currency).required())
        .field(FieldMeta::text("PaymentID__c", 40))
}

#[tokio::test]
async fn change_events_for_cdc_objects_only() {
    let sf = Sf::start_with(SalesforceConfig::default().cdc("Account")).await;
    let bus = sf.sb.bus().clone();
    let mut live = bus.subscribe();
    let opts = [("Sforce-Call-Options", "client=tributary-test")];
    let created = sf
        .send(
            Method::POST,
            &sf.api("/sobjects/Account"),
            Some(&json!({"Name": "Acme"})),
            &opts,
        )
        .await;
    let id = created.json["id"].as_str().unwrap().to_owned();
    sf.patch(&format!("/sobjects/Account/{id}"), json!({"Phone": "555"}))
        .await;
    sf.create("Contact", json!({"LastName": "Not captured"}))
        .await;
    sf.delete(&format!("/sobjects/Account/{id}")).await;
    sf.sb.emulator().undelete(&id).unwrap();

    let events = bus.events("/data/AccountChangeEvent");
    assert_eq!(events.len(), 4);
    assert!(
        bus.events("/data/ContactChangeEvent").is_empty(),
        "Contact is not CDC-enabled"
    );
    assert_eq!(bus.events(CHANGE_EVENTS_CHANNEL), events);
    let replay: Vec<i64> = events.iter().map(|e| e.replay_id).collect();
    assert!(replay.windows(2).all(|w| w[0] < w[1]), "{replay:?}");
    let kinds: Vec<&str> = events
        .iter()
        .map(|e| e.change_header().unwrap()["changeType"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, vec!["CREATE", "UPDATE", "DELETE", "UNDELETE"]);

    let user = sf.sb.emulator().user_id("");
    let create = &events[0];
    let h = create.change_header().unwrap();
    assert_eq!(h["entityName"], "Account");
    assert_eq!(h["recordIds"], json!([id]));
    assert_eq!(h["commitUser"], user.as_str());
    assert_eq!(h["sequenceNumber"], 1);
    assert_eq!(h["changedFields"], json!([]));
    assert_eq!(
        h["changeOrigin"],
        "com/salesforce/api/rest/67.0;client=tributary-test"
    );
    assert!(h["commitTimestamp"].as_i64().unwrap() > 1_600_000_000_000);
    assert!(h["commitNumber"].as_u64().is_some());
    assert_eq!(h["transactionKey"].as_str().unwrap().len(), 36);
    assert_eq!(create.payload["Name"], "Acme");
    assert!(create.payload.get("Id").is_none());

    let update = &events[1];
    let changed: Vec<&str> = update.change_header().unwrap()["changedFields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(
        changed.contains(&"Phone") && changed.contains(&"LastModifiedDate"),
        "{changed:?}"
    );
    assert_eq!(update.payload["Phone"], "555");
    assert!(update.payload.get("Name").is_none(), "only changed fields");
    assert_ne!(
        update.change_header().unwrap()["transactionKey"],
        h["transactionKey"],
        "each request is a transaction"
    );

    let msg = update.to_cometd("/data/ChangeEvents");
    assert_eq!(msg["channel"], "/data/ChangeEvents");
    assert_eq!(msg["data"]["event"]["replayId"], update.replay_id);
    assert_eq!(
        msg["data"]["payload"]["ChangeEventHeader"]["changeType"],
        "UPDATE"
    );
    assert!(msg["data"]["schema"].as_str().unwrap().len() >= 20);

    // Replay after an id; -1 and -2.
    let after_first = bus.since("/data/AccountChangeEvent", events[0].replay_id);
    assert_eq!(after_first, events[1..].to_vec());
    assert!(bus.since(CHANGE_EVENTS_CHANNEL, REPLAY_NEW).is_empty());
    assert_eq!(bus.since(CHANGE_EVENTS_CHANNEL, REPLAY_ALL).len(), 4);
    // The broadcast saw them live, in order.
    for e in &events {
        assert_eq!(&live.try_recv().unwrap(), e);
    }

    // A collection insert is one transaction: one key, sequence numbers 1 and 2.
    let r = sf
        .post(
            "/composite/sobjects",
            json!({"records": [
                {"attributes": {"type": "Account"}, "Name": "One"},
                {"attributes": {"type": "Account"}, "Name": "Two"},
            ]}),
        )
        .await;
    assert_eq!(r.status, 200);
    let batch = bus.since("/data/AccountChangeEvent", events[3].replay_id);
    assert_eq!(batch.len(), 2);
    let (h1, h2) = (
        batch[0].change_header().unwrap(),
        batch[1].change_header().unwrap(),
    );
    assert_eq!(h1["transactionKey"], h2["transactionKey"]);
    assert_eq!(
        (h1["sequenceNumber"].as_u64(), h2["sequenceNumber"].as_u64()),
        (Some(1), Some(2))
    );
    assert_eq!(h1["commitNumber"], h2["commitNumber"]);
}

#[tokio::test]
async fn platform_event_publish_lands_on_the_bus() {
    let sf = Sf::start_with(SalesforceConfig::default().object(event_meta())).await;
    let bus = sf.sb.bus().clone();
    let mut live = bus.subscribe();
    let r = sf
        .post(
            "/sobjects/Payment_Received__e",
            json!({"Amount__c": 19.99, "PaymentID__c": "P-1"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.json["success"], true);
    let id = r.json["id"].as_str().unwrap();
    assert!(id.starts_with("e00"), "{id}");
    let info = &r.json["errors"][0];
    assert_eq!(info["statusCode"], "OPERATION_ENQUEUED");
    let uuid = info["message"].as_str().unwrap().to_owned();

    let events = bus.events("/event/Payment_Received__e");
    assert_eq!(events.len(), 1);
    let e = &events[0];
    assert_eq!(e.replay_id, 1);
    assert_eq!(e.event_uuid, uuid);
    assert_eq!(e.payload["Amount__c"], 19.99);
    assert_eq!(e.payload["PaymentID__c"], "P-1");
    assert_eq!(
        e.payload["CreatedById"],
        sf.sb.emulator().user_id("").as_str()
    );
    assert!(e.payload["CreatedDate"].as_str().unwrap().ends_with('Z'));
    assert_eq!(&live.try_recv().unwrap(), e);
    let msg = e.to_cometd("/event/Payment_Received__e");
    assert_eq!(msg["data"]["event"]["replayId"], 1);
    assert_eq!(msg["data"]["payload"]["Amount__c"], 19.99);

    // Many at once through collections: replay ids keep increasing.
    let r = sf
        .post(
            "/composite/sobjects",
            json!({"records": [
                {"attributes": {"type": "Payment_Received__e"}, "Amount__c": 1},
                {"attributes": {"type": "Payment_Received__e"}, "Amount__c": 2},
                {"attributes": {"type": "Payment_Received__e"}, "PaymentID__c": "no amount"},
            ]}),
        )
        .await;
    let res = r.json.as_array().unwrap();
    assert_eq!(res[0]["success"], true);
    assert_eq!(res[0]["errors"][0]["statusCode"], "OPERATION_ENQUEUED");
    assert_eq!(res[2]["errors"][0]["statusCode"], "REQUIRED_FIELD_MISSING");
    let after = bus.since("/event/Payment_Received__e", 1);
    let amounts: Vec<Value> = after
        .iter()
        .map(|e| e.payload["Amount__c"].clone())
        .collect();
    assert_eq!(amounts, vec![json!(1), json!(2)]);
    assert_eq!(
        after.iter().map(|e| e.replay_id).collect::<Vec<_>>(),
        vec![2, 3]
    );

    // A bad event is refused and publishes nothing; events cannot be queried.
    let bad = sf
        .post("/sobjects/Payment_Received__e", json!({"Nope__x": 1}))
        .await;
    assert_eq!(bad.status, 400);
    assert_eq!(bus.events("/event/Payment_Received__e").len(), 3);
    let q = sf.query("SELECT Id FROM Payment_Received__e").await;
    assert_eq!((q.status, q.error_code()), (400, "INVALID_TYPE"));
    assert_eq!(
        sf.sb.emulator().count("Payment_Received__e"),
        0,
        "events are not stored as records"
    );

    // Undeclared events are created on first use, each with its own channel.
    let r = sf
        .post("/sobjects/Refund_Issued__e", json!({"Amount__c": 5}))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(bus.events("/event/Refund_Issued__e")[0].replay_id, 1);
    let limits = sf.get("/limits").await;
    assert_eq!(
        limits.json["HourlyPublishedPlatformEvents"]["Remaining"],
        250_000 - 4
    );
}

#[tokio::test]
async fn retention_window_and_in_process_publish() {
    let sf = Sf::start_with(frozen_config().object(event_meta())).await;
    let emu = sf.sb.emulator();
    let e = emu
        .publish_event("payment_received__e", json!({"Amount__c": 3}))
        .unwrap();
    assert_eq!(e.replay_id, 1);
    assert!(sf.sb.bus().is_replayable("/event/Payment_Received__e", 0));
    assert_eq!(
        emu.publish_event("Payment_Received__e", json!({}))
            .unwrap_err()
            .code,
        "REQUIRED_FIELD_MISSING"
    );
    emu.clock().advance(TimeDelta::hours(71));
    assert_eq!(sf.sb.bus().events("/event/Payment_Received__e").len(), 1);
    emu.clock().advance(TimeDelta::hours(2));
    assert!(
        sf.sb.bus().events("/event/Payment_Received__e").is_empty(),
        "72 h retention"
    );
    assert!(!sf.sb.bus().is_replayable("/event/Payment_Received__e", 0));
    let next = emu
        .publish_event("Payment_Received__e", json!({"Amount__c": 4}))
        .unwrap();
    assert_eq!(next.replay_id, 2);
    assert!(sf.sb.bus().is_replayable("/event/Payment_Received__e", 1));
}
