//! The append-only JSON-lines log behind every file store, and the lock that gives one
//! process a store. The guarantees are listed in [the store docs](super#the-file-stores);
//! this is how they are kept. Everything here blocks: [`Table`](super::Table) calls it on
//! tokio's blocking pool.
//!
//! - **Appends**: one `write` of the record's JSON and its `\n`, then `sync_data`, before
//!   the write is acknowledged; a newly created log (or directory) is followed by an
//!   `fsync` of its directory.
//! - **Recovery**: every line but the last was synced before the next was written, so only
//!   the last can be torn. On open, a last line without its `\n`, or one that does not
//!   parse, was never acknowledged: it is dropped and the file truncated. A bad line
//!   anywhere else is [`Error::Corrupt`].
//! - **Compaction**: write `<name>.jsonl.tmp`, sync it, rename it over the log, sync the
//!   directory; a crash leaves the old log or the new one. A leftover temporary file is
//!   deleted on open.
//! - **Lock**: `<name>.lock`, created with `create_new`, holds the owner's process id. It is
//!   taken over when that process no longer runs (checked on Linux only) or has this
//!   process's id without this process holding it (a restarted container, where the
//!   service is pid 1 again).

use std::collections::BTreeSet;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{Error, Result};

/// An open log: appends are durable when they return.
#[derive(Debug)]
pub(crate) struct FileLog {
    path: PathBuf,
    dir: PathBuf,
    file: File,
    /// Set when a write failed: what reached the disk is unknown until reopened.
    poisoned: bool,
    /// Declared last, so it is released after the file is closed.
    _lock: LockFile,
}

impl FileLog {
    /// Locks and opens (or creates) `<dir>/<name>.jsonl`, creating `dir` if needed, and
    /// returns its records in order, the torn last line (if any) dropped.
    pub(crate) fn open<R: DeserializeOwned>(dir: &Path, name: &str) -> Result<(Self, Vec<R>)> {
        let dir_existed = dir.try_exists().map_err(|e| Error::io("check", dir, e))?;
        fs::create_dir_all(dir).map_err(|e| Error::io("create directory", dir, e))?;
        let dir = dir
            .canonicalize()
            .map_err(|e| Error::io("resolve", dir, e))?;
        if let Some(parent) = dir.parent().filter(|_| !dir_existed) {
            sync_dir(parent)?;
        }
        let lock = LockFile::acquire(dir.join(format!("{name}.lock")))?;
        let path = dir.join(format!("{name}.jsonl"));
        remove_if_exists(&temp_path(&path))?;

        let existed = path
            .try_exists()
            .map_err(|e| Error::io("check", &path, e))?;
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(&path)
            .map_err(|e| Error::io("open", &path, e))?;
        if !existed {
            sync_dir(&dir)?;
        }
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)
            .map_err(|e| Error::io("read", &path, e))?;
        let (records, whole) = parse(&path, &bytes)?;
        if whole < bytes.len() {
            tracing::warn!(
                path = %path.display(),
                dropped_bytes = bytes.len() - whole,
                "dropping the torn last line of a store log (a write interrupted by a crash)"
            );
            file.set_len(whole as u64)
                .and_then(|()| file.sync_all())
                .map_err(|e| Error::io("truncate", &path, e))?;
        }
        let log = FileLog {
            path,
            dir,
            file,
            poisoned: false,
            _lock: lock,
        };
        Ok((log, records))
    }

    /// Appends one record and syncs it to disk.
    ///
    /// After a failed write or sync the log is poisoned: every later call fails with
    /// [`Error::Poisoned`] until the store is reopened.
    pub(crate) fn append<R: Serialize>(&mut self, record: &R) -> Result<()> {
        self.check_usable()?;
        let line = to_line(record)?;
        let written = self
            .file
            .write_all(&line)
            .and_then(|()| self.file.sync_data());
        written.map_err(|e| {
            self.poisoned = true;
            Error::io("append to", &self.path, e)
        })
    }

    /// Replaces the log with exactly `records`, atomically (write a temporary file, sync,
    /// rename, sync the directory).
    pub(crate) fn rewrite<'a, R: Serialize + 'a>(
        &mut self,
        records: impl IntoIterator<Item = &'a R>,
    ) -> Result<()> {
        self.check_usable()?;
        let temp = temp_path(&self.path);
        remove_if_exists(&temp)?;
        let written = write_new_file(&temp, records);
        let file = match written {
            Ok(file) => file,
            Err(e) => {
                let _ = fs::remove_file(&temp);
                return Err(e);
            }
        };
        if let Err(e) = fs::rename(&temp, &self.path) {
            let _ = fs::remove_file(&temp);
            return Err(Error::io("rename", &temp, e));
        }
        // The log is now the new file; the old handle points at the replaced one.
        self.file = file;
        sync_dir(&self.dir).inspect_err(|_| self.poisoned = true)
    }

    fn check_usable(&self) -> Result<()> {
        if self.poisoned {
            return Err(Error::Poisoned {
                path: self.path.clone(),
            });
        }
        Ok(())
    }
}

fn write_new_file<'a, R: Serialize + 'a>(
    path: &Path,
    records: impl IntoIterator<Item = &'a R>,
) -> Result<File> {
    let mut file = OpenOptions::new()
        .read(true)
        .append(true)
        .create_new(true)
        .open(path)
        .map_err(|e| Error::io("create", path, e))?;
    let mut out = io::BufWriter::new(&mut file);
    for record in records {
        out.write_all(&to_line(record)?)
            .map_err(|e| Error::io("write", path, e))?;
    }
    out.flush().map_err(|e| Error::io("write", path, e))?;
    drop(out);
    file.sync_all().map_err(|e| Error::io("sync", path, e))?;
    Ok(file)
}

/// The records of a log, and the length of its whole lines (less than `bytes.len()` when the
/// last line is torn).
fn parse<R: DeserializeOwned>(path: &Path, bytes: &[u8]) -> Result<(Vec<R>, usize)> {
    let mut records = Vec::new();
    let mut start = 0;
    let mut line_number = 0;
    while start < bytes.len() {
        line_number += 1;
        let Some(len) = bytes[start..].iter().position(|&b| b == b'\n') else {
            break; // no newline: torn
        };
        let end = start + len + 1;
        match serde_json::from_slice(&bytes[start..end - 1]) {
            Ok(record) => records.push(record),
            // A last line that is not JSON at all is torn; valid JSON of the wrong shape
            // (a newer format, a hand edit) is corruption wherever it is.
            Err(e) if end == bytes.len() && !e.is_data() => break,
            Err(source) => {
                return Err(Error::Corrupt {
                    path: path.to_owned(),
                    line: line_number,
                    source,
                });
            }
        }
        start = end;
    }
    Ok((records, start))
}

fn to_line<R: Serialize>(record: &R) -> Result<Vec<u8>> {
    let mut line = serde_json::to_vec(record).map_err(|source| Error::Json {
        what: "a store record",
        source,
    })?;
    line.push(b'\n');
    Ok(line)
}

fn temp_path(path: &Path) -> PathBuf {
    let mut temp = path.as_os_str().to_owned();
    temp.push(".tmp");
    PathBuf::from(temp)
}

fn remove_if_exists(path: &Path) -> Result<()> {
    match fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(Error::io("remove", path, e)),
        _ => Ok(()),
    }
}

/// Makes a created, removed or renamed directory entry durable.
fn sync_dir(dir: &Path) -> Result<()> {
    #[cfg(unix)]
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| Error::io("sync directory", dir, e))?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// Lock files held by this process: a second opener in the same process is refused even
/// though the lock file names this process.
static HELD: Mutex<BTreeSet<PathBuf>> = Mutex::new(BTreeSet::new());

/// `<name>.lock`, created with `create_new`, holding the owner's process id; removed on drop.
#[derive(Debug)]
struct LockFile {
    path: PathBuf,
}

impl LockFile {
    fn acquire(path: PathBuf) -> Result<Self> {
        let mut held = HELD.lock().unwrap_or_else(PoisonError::into_inner);
        let me = std::process::id();
        if held.contains(&path) {
            return Err(Error::Locked {
                path,
                holder: Some(me),
            });
        }
        match create_lock(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                let holder = fs::read_to_string(&path)
                    .ok()
                    .and_then(|text| text.trim().parse::<u32>().ok());
                let stale = holder.is_some_and(|pid| pid == me || !process_is_running(pid));
                if !stale {
                    return Err(Error::Locked { path, holder });
                }
                tracing::warn!(
                    path = %path.display(),
                    holder,
                    "taking over a store lock left by a process that is gone"
                );
                remove_if_exists(&path)?;
                create_lock(&path).map_err(|e| match e.kind() {
                    io::ErrorKind::AlreadyExists => Error::Locked {
                        path: path.clone(),
                        holder: None,
                    },
                    _ => Error::io("create", &path, e),
                })?;
            }
            Err(e) => return Err(Error::io("create", path, e)),
        }
        held.insert(path.clone());
        Ok(LockFile { path })
    }
}

impl Drop for LockFile {
    fn drop(&mut self) {
        let mut held = HELD.lock().unwrap_or_else(PoisonError::into_inner);
        if let Err(e) = fs::remove_file(&self.path) {
            tracing::warn!(path = %self.path.display(), error = %e, "could not remove a store lock");
        }
        held.remove(&self.path);
    }
}

fn create_lock(path: &Path) -> io::Result<()> {
    let mut file = OpenOptions::new().write(true).create_new(true).open(path)?;
    writeln!(file, "{}", std::process::id())?;
    file.sync_all()
}

/// Whether a process with this id runs. Only Linux can tell (`/proc`); elsewhere the answer
/// is yes, so a lock is never taken from a live process.
fn process_is_running(pid: u32) -> bool {
    if cfg!(target_os = "linux") {
        Path::new("/proc").join(pid.to_string()).exists()
    } else {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn open(dir: &Path) -> (FileLog, Vec<Value>) {
        FileLog::open(dir, "t").unwrap()
    }

    #[test]
    fn appends_survive_reopen_and_torn_tails_are_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let (mut log, records) = open(dir.path());
        assert!(records.is_empty());
        log.append(&json!({"n": 1})).unwrap();
        log.append(&json!({"n": 2})).unwrap();
        drop(log);
        let path = dir.path().join("t.jsonl");

        let whole = "{\"n\":1}\n{\"n\":2}\n";
        assert_eq!(fs::read_to_string(&path).unwrap(), whole);

        for torn in ["{\"n\":3", "{\"n\":3}", "garbage\n", "\0\0\0"] {
            fs::write(&path, format!("{whole}{torn}")).unwrap();
            let (mut log, records) = open(dir.path());
            assert_eq!(records, [json!({"n": 1}), json!({"n": 2})], "{torn:?}");
            assert_eq!(fs::read_to_string(&path).unwrap(), whole, "{torn:?}");
            log.append(&json!({"n": 3})).unwrap();
            drop(log);
            let (_log, records) = open(dir.path());
            assert_eq!(records, [json!({"n": 1}), json!({"n": 2}), json!({"n": 3})]);
        }
    }

    #[test]
    fn a_last_line_of_the_wrong_shape_is_corruption_not_a_torn_write() {
        #[derive(Debug, serde::Deserialize)]
        struct N {
            #[allow(dead_code)]
            n: u32,
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.jsonl");
        fs::write(&path, "{\"n\":1}\n{\"m\":2}\n").unwrap();
        let err = FileLog::open::<N>(dir.path(), "t").unwrap_err();
        assert!(matches!(err, Error::Corrupt { line: 2, .. }), "{err}");
        fs::write(&path, "{\"n\":1}\n{\"n\":2").unwrap();
        let (_log, records) = FileLog::open::<N>(dir.path(), "t").unwrap();
        assert_eq!(records.len(), 1);
    }

    #[test]
    fn a_bad_line_before_the_end_is_corruption() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.jsonl");
        fs::write(&path, "{\"n\":1}\nnot json\n{\"n\":3}\n").unwrap();
        let err = FileLog::open::<Value>(dir.path(), "t").unwrap_err();
        assert!(matches!(&err, Error::Corrupt { line: 2, path: p, .. } if p.ends_with("t.jsonl")));
        assert_eq!(err.kind(), mapping::retry::ErrorKind::Decode);
        assert!(err.to_string().contains("t.jsonl line 2"), "{err}");
    }

    #[test]
    fn rewrite_replaces_the_log_and_later_appends_go_to_the_new_file() {
        let dir = tempfile::tempdir().unwrap();
        let (mut log, _) = open(dir.path());
        for n in 0..5 {
            log.append(&json!({"n": n})).unwrap();
        }
        log.rewrite(&[json!({"n": 4})]).unwrap();
        log.append(&json!({"n": 5})).unwrap();
        drop(log);
        let (_log, records) = open(dir.path());
        assert_eq!(records, [json!({"n": 4}), json!({"n": 5})]);
        assert!(!dir.path().join("t.jsonl.tmp").exists());
    }

    #[test]
    fn a_poisoned_log_refuses_writes() {
        let dir = tempfile::tempdir().unwrap();
        let (mut log, _) = open(dir.path());
        log.poisoned = true;
        assert!(matches!(log.append(&json!(1)), Err(Error::Poisoned { .. })));
        assert!(matches!(
            log.rewrite(&[json!(1)]),
            Err(Error::Poisoned { .. })
        ));
    }

    #[test]
    fn locks_are_exclusive_released_on_drop_and_taken_over_when_stale() {
        let dir = tempfile::tempdir().unwrap();
        let lock_path = dir.path().join("t.lock");
        let (log, _) = open(dir.path());
        assert_eq!(
            fs::read_to_string(&lock_path).unwrap().trim(),
            std::process::id().to_string()
        );
        let err = FileLog::open::<Value>(dir.path(), "t").unwrap_err();
        assert!(matches!(err, Error::Locked { .. }), "{err}");
        drop(log);
        assert!(!lock_path.exists());

        // A lock naming another live process is respected; pid 1 always runs.
        fs::write(&lock_path, "1\n").unwrap();
        let err = FileLog::open::<Value>(dir.path(), "t").unwrap_err();
        assert!(
            matches!(
                err,
                Error::Locked {
                    holder: Some(1),
                    ..
                }
            ),
            "{err}"
        );
        assert!(err.to_string().contains("delete the lock file"), "{err}");
        // One naming this process, which does not hold it, is a leftover of an earlier
        // process with the same id (a restarted container).
        fs::write(&lock_path, format!("{}\n", std::process::id())).unwrap();
        drop(open(dir.path()));
        // An unreadable lock file is respected.
        fs::write(&lock_path, "").unwrap();
        let err = FileLog::open::<Value>(dir.path(), "t").unwrap_err();
        assert!(matches!(err, Error::Locked { holder: None, .. }), "{err}");
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_lock_of_a_dead_process_is_taken_over() {
        let dir = tempfile::tempdir().unwrap();
        let lock_path = dir.path().join("t.lock");
        fs::write(&lock_path, format!("{}\n", u32::MAX)).unwrap();
        let (_log, _) = open(dir.path());
        assert_eq!(
            fs::read_to_string(&lock_path).unwrap().trim(),
            std::process::id().to_string()
        );
    }
}
