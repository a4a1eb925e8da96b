//! Shared by the store tests: one behaviour suite run against both implementations, and the
//! file-store contract every durable store must keep.
#![allow(dead_code, unreachable_pub)]

use std::cell::Cell;
use std::fs;
use std::io::Write;
use std::path::Path;
use std::time::Duration;

use flows::Error;
use serde_json::Value;

/// Generates, for each suite function `f(Arc<dyn Store>)`, a test `memory::f` on the memory
/// implementation and a test `file::f` on the file implementation in a fresh directory.
macro_rules! for_both_stores {
    ($memory:expr, $file:ty; $($test:ident),+ $(,)?) => {
        mod memory {
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $test() {
                    super::$test(std::sync::Arc::new($memory)).await
                }
            )+
        }
        mod file {
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $test() {
                    let dir = tempfile::tempdir().unwrap();
                    let store = <$file>::open(dir.path()).await.unwrap();
                    super::$test(std::sync::Arc::new(store)).await
                }
            )+
        }
    };
}
pub(crate) use for_both_stores;

/// Opens a store, retrying while a dropped instance still holds the lock (a write that was
/// in flight when it was dropped finishes first).
pub async fn reopen<S>(dir: &Path, open: impl AsyncFn(&Path) -> flows::Result<S>) -> S {
    for _ in 0..500 {
        match open(dir).await {
            Err(Error::Locked { .. }) => tokio::time::sleep(Duration::from_millis(10)).await,
            other => return other.unwrap(),
        }
    }
    panic!("the store stayed locked");
}

/// The contract of a file store, checked through its own API:
///
/// - `write(store, i)` makes the i-th change (changes may revisit earlier records); they
///   come in order from 0, and again from 120 (a multiple of any cycle of changes);
/// - `written(store, i)` says whether the i-th change is visible;
/// - `snapshot(store)` is the whole visible state as JSON.
pub async fn file_store_contract<S>(
    log_name: &str,
    open: impl AsyncFn(&Path) -> flows::Result<S>,
    compact: impl AsyncFn(&S) -> flows::Result<()>,
    write: impl AsyncFn(&S, usize) -> flows::Result<()>,
    written: impl AsyncFn(&S, usize) -> bool,
    snapshot: impl AsyncFn(&S) -> Value,
) {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join(format!("{log_name}.jsonl"));
    let store = open(dir.path()).await.unwrap();
    for i in 0..40 {
        write(&store, i).await.unwrap();
    }
    let state = snapshot(&store).await;

    // One process, one owner.
    let err = open(dir.path()).await.err().unwrap();
    assert!(matches!(err, Error::Locked { .. }), "{err}");
    assert_eq!(err.kind(), mapping::retry::ErrorKind::Configuration);

    // Reopening restores the state exactly.
    drop(store);
    let store = open(dir.path()).await.unwrap();
    assert_eq!(snapshot(&store).await, state, "state after reopen");

    // A torn last line (half a record, as a crash mid-write leaves it) is ignored, and the
    // store keeps working.
    drop(store);
    let text = fs::read_to_string(&log).unwrap();
    let last = text.lines().last().unwrap();
    let mut file = fs::OpenOptions::new().append(true).open(&log).unwrap();
    file.write_all(&last.as_bytes()[..last.len() / 2]).unwrap();
    drop(file);
    let store = open(dir.path()).await.unwrap();
    assert_eq!(snapshot(&store).await, state, "state after a torn line");
    assert_eq!(
        fs::read_to_string(&log).unwrap(),
        text,
        "torn line truncated"
    );
    write(&store, 40).await.unwrap();
    assert!(written(&store, 40).await);
    let state = snapshot(&store).await;
    drop(store);
    let store = open(dir.path()).await.unwrap();
    assert_eq!(
        snapshot(&store).await,
        state,
        "state after writing past a torn line"
    );

    // Compaction keeps the state in fewer lines, and later writes still land.
    let lines_before = fs::read_to_string(&log).unwrap().lines().count();
    compact(&store).await.unwrap();
    let lines_after = fs::read_to_string(&log).unwrap().lines().count();
    assert!(lines_after < lines_before, "{lines_after} < {lines_before}");
    assert_eq!(snapshot(&store).await, state, "state after compaction");
    write(&store, 41).await.unwrap();
    let state = snapshot(&store).await;
    drop(store);
    let store = open(dir.path()).await.unwrap();
    assert_eq!(
        snapshot(&store).await,
        state,
        "state after compaction and reopen"
    );

    // Crash: the writer is dropped mid-way, with a write in flight, and the store with it.
    // Every acknowledged write is there after reopening.
    let acked = Cell::new(None);
    let writer = async {
        for i in 120.. {
            write(&store, i).await.unwrap();
            acked.set(Some(i));
        }
    };
    let enough = async {
        while acked.get().is_none_or(|i| i < 150) {
            tokio::task::yield_now().await;
        }
    };
    tokio::select! {
        () = writer => unreachable!(),
        () = enough => {}
    }
    drop(store);
    let last_acked = acked.get().unwrap();
    let store = reopen(dir.path(), &open).await;
    for i in 120..=last_acked {
        assert!(written(&store, i).await, "acknowledged write {i} lost");
    }
}
