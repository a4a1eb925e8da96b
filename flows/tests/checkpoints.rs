#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Checkpoints: one behaviour suite for both implementations, then the file store's
//! durability.

mod common;

use std::path::Path;
use std::sync::Arc;

use chrono::{TimeZone, Utc};
use flows::Error;
use flows::store::{
    CheckpointStore, ExportWindow, FileCheckpoints, MemoryCheckpoints, PollWatermark,
};
use mapping::retry::ErrorKind;
use serde_json::{Value, json};

async fn set_and_get(checkpoints: Arc<dyn CheckpointStore>) {
    assert_eq!(checkpoints.get("streaming:/event/X").await.unwrap(), None);
    let set = checkpoints
        .set("streaming:/event/X", json!(41))
        .await
        .unwrap();
    assert_eq!(
        (set.name.as_str(), &set.value),
        ("streaming:/event/X", &json!(41))
    );
    let set = checkpoints
        .set("streaming:/event/X", json!(42))
        .await
        .unwrap();
    assert_eq!(
        checkpoints.get("streaming:/event/X").await.unwrap(),
        Some(set.clone())
    );
    // Setting the same value again changes nothing, not even the time.
    assert_eq!(
        checkpoints
            .set("streaming:/event/X", json!(42))
            .await
            .unwrap(),
        set
    );
    // Names are independent.
    checkpoints
        .set("streaming:/event/Y", json!(7))
        .await
        .unwrap();
    assert_eq!(
        checkpoints
            .get("streaming:/event/X")
            .await
            .unwrap()
            .unwrap()
            .value,
        json!(42)
    );

    let err = checkpoints.set(" ", json!(1)).await.unwrap_err();
    assert!(matches!(err, Error::InvalidInput { .. }), "{err}");
    assert_eq!(err.kind(), ErrorKind::Validation);
}

async fn compare_and_set_refuses_a_stale_expectation(checkpoints: Arc<dyn CheckpointStore>) {
    let name = "soql-poll:Opportunity";
    let first = json!({"since": "2025-06-01T00:00:00Z"});
    checkpoints
        .compare_and_set(name, None, first.clone())
        .await
        .unwrap();

    // Expecting it unset, or at another value, is refused and changes nothing.
    for expected in [None, Some(json!({"since": "2025-05-01T00:00:00Z"}))] {
        let err = checkpoints
            .compare_and_set(name, expected.as_ref(), json!("moved back"))
            .await
            .unwrap_err();
        match &err {
            Error::CheckpointConflict { name: n, current } => {
                assert_eq!((n.as_str(), current), (name, &Some(first.clone())));
            }
            other => panic!("{other}"),
        }
        assert_eq!(err.kind(), ErrorKind::Conflict);
    }
    assert_eq!(checkpoints.get(name).await.unwrap().unwrap().value, first);

    let second = json!({"since": "2025-06-02T00:00:00Z", "last_id": "0065g00000XyZ"});
    let set = checkpoints
        .compare_and_set(name, Some(&first), second.clone())
        .await
        .unwrap();
    assert_eq!(set.value, second);

    // Expecting a value of a checkpoint that is not set is refused too.
    let err = checkpoints
        .compare_and_set("unset", Some(&json!(1)), json!(2))
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::CheckpointConflict { current: None, .. }),
        "{err}"
    );
    assert_eq!(checkpoints.get("unset").await.unwrap(), None);
}

async fn concurrent_compare_and_set_lets_one_win_per_step(checkpoints: Arc<dyn CheckpointStore>) {
    checkpoints.set("counter", json!(0)).await.unwrap();
    // Each task advances the counter by one with compare-and-set, retrying on conflict.
    let tasks: Vec<_> = (0..16)
        .map(|_| {
            let checkpoints = Arc::clone(&checkpoints);
            tokio::spawn(async move {
                let mut conflicts = 0;
                for _ in 0..10 {
                    loop {
                        let current = checkpoints.get("counter").await.unwrap().unwrap().value;
                        let next = json!(current.as_u64().unwrap() + 1);
                        match checkpoints
                            .compare_and_set("counter", Some(&current), next)
                            .await
                        {
                            Ok(_) => break,
                            Err(Error::CheckpointConflict { .. }) => conflicts += 1,
                            Err(other) => panic!("{other}"),
                        }
                    }
                }
                conflicts
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    // No increment was lost.
    assert_eq!(
        checkpoints.get("counter").await.unwrap().unwrap().value,
        json!(160)
    );
}

async fn typed_watermarks_round_trip(checkpoints: Arc<dyn CheckpointStore>) {
    let at = |h| Utc.with_ymd_and_hms(2025, 6, 1, h, 0, 0).unwrap();
    let watermark = PollWatermark {
        since: at(12),
        last_id: Some("0065g00000XyZAB".into()),
    };
    let stored = checkpoints
        .set(
            "soql-poll:Opportunity",
            serde_json::to_value(&watermark).unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(
        stored.value,
        json!({"since": "2025-06-01T12:00:00Z", "last_id": "0065g00000XyZAB"})
    );
    assert_eq!(stored.value_as::<PollWatermark>().unwrap(), watermark);
    // Watermarks order by time, then id.
    let later_id = PollWatermark {
        last_id: Some("0065g00000XyZAC".into()),
        ..watermark.clone()
    };
    assert!(watermark < later_id);
    assert!(
        later_id
            < PollWatermark {
                since: at(13),
                last_id: None
            }
    );

    let window = ExportWindow {
        start: at(0),
        end: at(12),
    };
    let stored = checkpoints
        .set(
            "export:paytrace-transactions",
            serde_json::to_value(&window).unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(stored.value_as::<ExportWindow>().unwrap(), window);
    let replay = checkpoints
        .set("streaming:/event/X", json!(9_007_199_254_740_993i64))
        .await
        .unwrap();
    assert_eq!(replay.value_as::<i64>().unwrap(), 9_007_199_254_740_993);

    let err = stored.value_as::<PollWatermark>().unwrap_err();
    assert!(matches!(err, Error::Json { .. }), "{err}");
    assert_eq!(err.kind(), ErrorKind::Decode);
}

common::for_both_stores!(MemoryCheckpoints::new(), FileCheckpoints;
    set_and_get,
    compare_and_set_refuses_a_stale_expectation,
    concurrent_compare_and_set_lets_one_win_per_step,
    typed_watermarks_round_trip,
);

// ---- the file store ----

/// Change `i` moves one of five watermarks to `i`.
async fn write(checkpoints: &FileCheckpoints, i: usize) -> flows::Result<()> {
    checkpoints
        .set(&format!("streaming:/event/E{}", i % 5), json!(i))
        .await?;
    Ok(())
}

async fn written(checkpoints: &FileCheckpoints, i: usize) -> bool {
    // A later change to the same watermark may have moved it on.
    let value = checkpoints
        .get(&format!("streaming:/event/E{}", i % 5))
        .await
        .unwrap();
    value.is_some_and(|c| c.value.as_u64().unwrap() >= i as u64)
}

async fn snapshot(checkpoints: &FileCheckpoints) -> Value {
    let mut all = Vec::new();
    for n in 0..5 {
        all.push(
            checkpoints
                .get(&format!("streaming:/event/E{n}"))
                .await
                .unwrap(),
        );
    }
    serde_json::to_value(all).unwrap()
}

#[tokio::test]
async fn the_file_store_keeps_the_file_store_contract() {
    common::file_store_contract(
        "checkpoints",
        async |dir: &Path| FileCheckpoints::open(dir).await,
        async |checkpoints: &FileCheckpoints| checkpoints.compact().await,
        write,
        written,
        snapshot,
    )
    .await;
}
