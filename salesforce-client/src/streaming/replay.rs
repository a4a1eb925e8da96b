//! Where a subscription resumes: the [`ReplayStore`] (in memory or a crash-safe file) and the
//! acknowledgement bookkeeping that decides what it stores.

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use async_trait::async_trait;
use tokio::io::AsyncWriteExt;

use crate::error::{Error, Result};

/// Stores, per channel, the replay id of the last event the consumer finished processing, so
/// a subscription resumes after it — nothing missed within the retention window, nothing
/// acked delivered twice.
///
/// The subscriber [`load`](Self::load)s each channel's position once when it starts, and
/// [`save`](Self::save)s a higher one after acks; a save must be durable when it returns.
#[async_trait]
pub trait ReplayStore: Send + Sync + fmt::Debug {
    /// The stored position of `channel`, if any.
    ///
    /// # Errors
    /// The store cannot be read.
    async fn load(&self, channel: &str) -> Result<Option<i64>>;

    /// Stores `replay_id` as `channel`'s position (ids only grow).
    ///
    /// # Errors
    /// The store cannot be written.
    async fn save(&self, channel: &str, replay_id: i64) -> Result<()>;
}

/// Positions in memory: for tests and for consumers that keep them elsewhere. Clones share
/// the positions.
#[derive(Debug, Clone, Default)]
pub struct MemoryReplayStore {
    positions: Arc<Mutex<HashMap<String, i64>>>,
}

impl MemoryReplayStore {
    /// An empty store.
    pub fn new() -> Self {
        MemoryReplayStore::default()
    }

    /// The position of `channel`, without waiting.
    pub fn get(&self, channel: &str) -> Option<i64> {
        lock(&self.positions).get(channel).copied()
    }
}

#[async_trait]
impl ReplayStore for MemoryReplayStore {
    async fn load(&self, channel: &str) -> Result<Option<i64>> {
        Ok(self.get(channel))
    }

    async fn save(&self, channel: &str, replay_id: i64) -> Result<()> {
        lock(&self.positions).insert(channel.to_owned(), replay_id);
        Ok(())
    }
}

/// Positions in a file, safe after a crash.
///
/// Each save appends one line, `{channel} {replay id}\n`, and syncs it to disk before
/// returning; the last line of a channel wins. A line cut short by a crash (no final line
/// feed) is dropped when the file is opened. When the log holds many more lines than
/// channels it is compacted: written whole to `{path}.tmp`, synced, renamed over the log (an
/// atomic replace), and the directory synced. One process at a time should use a file.
pub struct FileReplayStore {
    path: PathBuf,
    state: tokio::sync::Mutex<FileState>,
}

struct FileState {
    file: tokio::fs::File,
    positions: HashMap<String, i64>,
    lines: usize,
}

impl fmt::Debug for FileReplayStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FileReplayStore")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

/// Compact once the log has this many lines more than it has channels.
const COMPACT_AFTER: usize = 10_000;

impl FileReplayStore {
    /// Opens (or creates) the log at `path` and reads the positions in it.
    ///
    /// # Errors
    /// [`Error::ReplayStore`] when the file cannot be read, repaired or opened for appending.
    pub async fn open(path: impl Into<PathBuf>) -> Result<Self> {
        let path = path.into();
        let io = |what: &str, source| Error::ReplayStore {
            what: format!("{what} {}", path.display()),
            source,
        };
        let text = match tokio::fs::read(&path).await {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(io("read", e)),
        };
        let (positions, lines, complete) = parse(&text);
        let file = tokio::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .await
            .map_err(|e| io("open", e))?;
        if complete < text.len() {
            tracing::warn!(
                path = %path.display(),
                "dropping a replay-store line cut short by a crash"
            );
            file.set_len(complete as u64)
                .await
                .map_err(|e| io("repair", e))?;
            file.sync_all().await.map_err(|e| io("sync", e))?;
        }
        Ok(FileReplayStore {
            path,
            state: tokio::sync::Mutex::new(FileState {
                file,
                positions,
                lines,
            }),
        })
    }

    /// The log's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    async fn compact(&self, state: &mut FileState) -> std::io::Result<()> {
        let tmp = self.path.with_extension("tmp");
        let mut text = String::new();
        for (channel, id) in &state.positions {
            text.push_str(&format!("{channel} {id}\n"));
        }
        let mut file = tokio::fs::File::create(&tmp).await?;
        file.write_all(text.as_bytes()).await?;
        file.sync_all().await?;
        drop(file);
        tokio::fs::rename(&tmp, &self.path).await?;
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            tokio::fs::File::open(dir).await?.sync_all().await?;
        }
        state.file = tokio::fs::OpenOptions::new()
            .append(true)
            .open(&self.path)
            .await?;
        state.lines = state.positions.len();
        Ok(())
    }
}

/// The positions in a log, the number of complete lines, and the length of its complete
/// part (up to the last line feed).
fn parse(bytes: &[u8]) -> (HashMap<String, i64>, usize, usize) {
    let complete = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    let mut positions = HashMap::new();
    let mut lines = 0;
    for line in String::from_utf8_lossy(&bytes[..complete]).lines() {
        lines += 1;
        match line.rsplit_once(' ').map(|(c, id)| (c, id.parse::<i64>())) {
            Some((channel, Ok(id))) if !channel.is_empty() => {
                positions.insert(channel.to_owned(), id);
            }
            _ => tracing::warn!("skipping an unreadable replay-store line"),
        }
    }
    (positions, lines, complete)
}

#[async_trait]
impl ReplayStore for FileReplayStore {
    async fn load(&self, channel: &str) -> Result<Option<i64>> {
        Ok(self.state.lock().await.positions.get(channel).copied())
    }

    async fn save(&self, channel: &str, replay_id: i64) -> Result<()> {
        let io = |what: &str, source| Error::ReplayStore {
            what: format!("{what} {}", self.path.display()),
            source,
        };
        let mut state = self.state.lock().await;
        let line = format!("{channel} {replay_id}\n");
        state
            .file
            .write_all(line.as_bytes())
            .await
            .map_err(|e| io("append to", e))?;
        state.file.flush().await.map_err(|e| io("append to", e))?;
        state.file.sync_data().await.map_err(|e| io("sync", e))?;
        state.positions.insert(channel.to_owned(), replay_id);
        state.lines += 1;
        if state.lines > state.positions.len() + COMPACT_AFTER {
            // The appended line is already durable; a failed compaction only leaves the log long.
            if let Err(e) = self.compact(&mut state).await {
                tracing::warn!(error = %e, "could not compact the replay store");
            }
        }
        Ok(())
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A channel's delivered and acked events.
#[derive(Debug, Default)]
struct Channel {
    /// Delivered, not yet acked.
    pending: BTreeSet<i64>,
    /// Acked, above the lowest pending one.
    acked: BTreeSet<i64>,
    /// Every delivered event up to here is acked.
    watermark: Option<i64>,
}

/// The acks of one subscription and the store they move.
#[derive(Debug)]
pub(crate) struct Acks {
    store: Arc<dyn ReplayStore>,
    channels: Mutex<HashMap<String, Channel>>,
    /// What was last stored per channel; held while storing, so saves never go backwards.
    stored: tokio::sync::Mutex<HashMap<String, i64>>,
}

impl Acks {
    pub(crate) fn new(store: Arc<dyn ReplayStore>) -> Self {
        Acks {
            store,
            channels: Mutex::new(HashMap::new()),
            stored: tokio::sync::Mutex::new(HashMap::new()),
        }
    }

    pub(crate) fn store(&self) -> &dyn ReplayStore {
        self.store.as_ref()
    }

    /// An event was handed to the consumer.
    pub(crate) fn delivered(&self, channel: &str, replay_id: i64) {
        lock(&self.channels)
            .entry(channel.to_owned())
            .or_default()
            .pending
            .insert(replay_id);
    }

    /// The position every delivered event of `channel` up to which is acked.
    pub(crate) fn watermark(&self, channel: &str) -> Option<i64> {
        lock(&self.channels).get(channel).and_then(|c| c.watermark)
    }

    pub(crate) async fn ack(&self, channel: &str, replay_id: i64) -> Result<()> {
        {
            let mut channels = lock(&self.channels);
            let Some(c) = channels.get_mut(channel) else {
                return Ok(());
            };
            if !c.pending.remove(&replay_id) {
                return Ok(());
            }
            c.acked.insert(replay_id);
            let mark = match c.pending.first() {
                None => c.acked.last().copied(),
                Some(&lowest) => c.acked.range(..lowest).next_back().copied(),
            };
            if let Some(mark) = mark {
                c.acked = c.acked.split_off(&mark.saturating_add(1));
                c.watermark = Some(c.watermark.map_or(mark, |w| w.max(mark)));
            }
        }
        let mut stored = self.stored.lock().await;
        let Some(mark) = self.watermark(channel) else {
            return Ok(());
        };
        if stored.get(channel).is_some_and(|&s| s >= mark) {
            return Ok(());
        }
        self.store.save(channel, mark).await?;
        stored.insert(channel.to_owned(), mark);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn out_of_order_acks_store_the_contiguous_position() {
        let store = MemoryReplayStore::new();
        let acks = Acks::new(Arc::new(store.clone()));
        for id in [3, 5, 8] {
            acks.delivered("/event/A__e", id);
        }
        acks.ack("/event/A__e", 5).await.unwrap();
        assert_eq!(store.get("/event/A__e"), None, "3 is not acked yet");
        acks.ack("/event/A__e", 3).await.unwrap();
        assert_eq!(store.get("/event/A__e"), Some(5));
        acks.ack("/event/A__e", 3).await.unwrap();
        acks.ack("/event/A__e", 8).await.unwrap();
        assert_eq!(store.get("/event/A__e"), Some(8));
        assert_eq!(acks.watermark("/event/A__e"), Some(8));
        acks.ack("/event/Other__e", 1).await.unwrap();
        assert_eq!(store.get("/event/Other__e"), None, "never delivered");
    }

    #[tokio::test]
    async fn the_file_store_survives_a_torn_line_and_compacts() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("replay.log");
        {
            let store = FileReplayStore::open(&path).await.unwrap();
            store.save("/event/A__e", 10).await.unwrap();
            store.save("/data/ChangeEvents", 4).await.unwrap();
            store.save("/event/A__e", 11).await.unwrap();
        }
        // A crash in the middle of an append.
        let mut bytes = std::fs::read(&path).unwrap();
        bytes.extend_from_slice(b"/event/A__e 9");
        std::fs::write(&path, &bytes).unwrap();

        let store = FileReplayStore::open(&path).await.unwrap();
        assert_eq!(store.load("/event/A__e").await.unwrap(), Some(11));
        assert_eq!(store.load("/data/ChangeEvents").await.unwrap(), Some(4));
        store.save("/event/A__e", 12).await.unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.ends_with("/event/A__e 11\n/event/A__e 12\n"),
            "{text:?}"
        );

        {
            let mut state = store.state.lock().await;
            store.compact(&mut state).await.unwrap();
        }
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.lines().count(), 2, "{text:?}");
        store.save("/event/A__e", 13).await.unwrap();
        drop(store);
        let store = FileReplayStore::open(&path).await.unwrap();
        assert_eq!(store.load("/event/A__e").await.unwrap(), Some(13));
        assert_eq!(store.load("/data/ChangeEvents").await.unwrap(), Some(4));
    }
}
