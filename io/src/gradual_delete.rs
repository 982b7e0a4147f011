//! Removing files a slice at a time, off the caller's thread.
//!
//! Unlinking a large file frees all of its extents in one journal commit, and on a file
//! system mounted with `discard` (this project's VM: ext4 on virtio) or on flash, the
//! device then discards them in one go. Any fdatasync issued meanwhile waits behind that:
//! with a 64 MiB file unlinked once a second beside a loop of 1 KiB `pwrite` + `fdatasync`,
//! the loop's slowest sync each second was 10–35 ms, against 0.9–3.9 ms alone; truncating
//! the file 2 MiB at a time with 5 ms pauses first brought it to 2.2–4.5 ms
//! (docs/benchmarks.md, "2026-12-07, eleventh session"). The engine deletes 64 MiB WAL
//! segments after every flush and compaction inputs after every compaction, and a synced
//! write waits for its fdatasync, so each deletion was a stall of every synced writer.
//! RocksDB's `DeleteScheduler` (`SstFileManager`'s `rate_bytes_per_sec` and
//! `bytes_max_delete_chunk`) exists for the same reason.
//!
//! [`GradualDeleteFs`] wraps a [`FileSystem`]. Its `remove_file` renames the file to
//! `<name>.trash` in the same directory and returns: the name is gone at once, as before,
//! and becomes durable with the caller's own [`FileSystem::sync_dir`], as a removal does.
//! A background thread then truncates each trash file [`GradualDelete::chunk_bytes`] at a
//! time, pausing [`GradualDelete::pause`] between chunks, and unlinks it.
//!
//! Bounds: at most [`GradualDelete::max_queued`] files wait; a removal beyond that is an
//! unlink at once, on the caller's thread. While more than [`GradualDelete::max_paced`]
//! wait, the thread stops pausing, so deleting never falls behind the engine by more than
//! a few files. [`GradualDeleteFs::shutdown`] (and drop) unlinks what is left without
//! pauses and joins the thread; later removals are unlinks at once.
//!
//! A crash can leave trash behind, under names no reader takes for a table or a segment
//! ([`is_trash_file_name`]); whoever opens the directory removes them. A failure while
//! deleting leaves the trash file for that too: it is never data.

use std::collections::VecDeque;
use std::ffi::OsString;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

use crate::{File, FileSystem, OpenMode};

/// Suffix of a file removed but not yet deleted.
pub const TRASH_SUFFIX: &str = ".trash";

/// Whether `name` is a file [`GradualDeleteFs`] was deleting (left by a crash).
pub fn is_trash_file_name(name: &str) -> bool {
    name.ends_with(TRASH_SUFFIX)
}

/// How [`GradualDeleteFs`] deletes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GradualDelete {
    /// Bytes freed per truncation.
    pub chunk_bytes: u64,
    /// Pause after each truncation but the last.
    pub pause: Duration,
    /// Most files waiting; a removal beyond this unlinks at once.
    pub max_queued: usize,
    /// While more than this many files wait, truncations do not pause.
    pub max_paced: usize,
}

impl Default for GradualDelete {
    /// 2 MiB every 5 ms (at most about 400 MB/s), the setting measured in the module doc.
    fn default() -> Self {
        GradualDelete {
            chunk_bytes: 2 << 20,
            pause: Duration::from_millis(5),
            max_queued: 1024,
            max_paced: 8,
        }
    }
}

#[derive(Debug, Default)]
struct Queue {
    files: VecDeque<PathBuf>,
    shutdown: bool,
}

#[derive(Debug)]
struct Shared {
    inner: Arc<dyn FileSystem>,
    opts: GradualDelete,
    queue: Mutex<Queue>,
    cv: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Queue> {
        // Every critical section moves whole values; a panicking holder leaves it usable.
        self.queue.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether `q` takes one more file: the thread runs and fewer than `max_queued` wait.
    fn accepts(&self, q: &Queue) -> bool {
        !q.shutdown && q.files.len() < self.opts.max_queued
    }
}

/// A [`FileSystem`] whose removals are renames to trash, deleted gradually by a thread of
/// its own (see the module doc). Every other call goes to the wrapped file system.
#[derive(Debug)]
pub struct GradualDeleteFs {
    shared: Arc<Shared>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl GradualDeleteFs {
    /// Wraps `inner`, starting the deleting thread.
    ///
    /// # Errors
    /// The thread could not be spawned.
    pub fn new(inner: Arc<dyn FileSystem>, opts: GradualDelete) -> io::Result<Arc<Self>> {
        let shared = Arc::new(Shared {
            inner,
            opts,
            queue: Mutex::new(Queue::default()),
            cv: Condvar::new(),
        });
        let worker = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("shale-delete".into())
            .spawn(move || run(&worker))?;
        Ok(Arc::new(GradualDeleteFs {
            shared,
            thread: Mutex::new(Some(thread)),
        }))
    }

    /// Files waiting to be deleted.
    pub fn queued(&self) -> usize {
        self.shared.lock().files.len()
    }

    /// Deletes what is waiting without pauses, and stops the thread; removals from now on
    /// unlink at once. Idempotent.
    pub fn shutdown(&self) {
        self.shared.lock().shutdown = true;
        self.shared.cv.notify_all();
        let handle = self.thread.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(h) = handle {
            let _ = h.join();
        }
    }
}

impl Drop for GradualDeleteFs {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// `path` with [`TRASH_SUFFIX`] appended to its name.
fn trash_path(path: &Path) -> PathBuf {
    let mut name = OsString::from(path.as_os_str());
    name.push(TRASH_SUFFIX);
    PathBuf::from(name)
}

/// The thread: deletes queued files in order until shut down, then deletes the rest at
/// once.
fn run(shared: &Shared) {
    loop {
        let (path, paced) = {
            let mut q = shared.lock();
            loop {
                if let Some(p) = q.files.pop_front() {
                    let paced = !q.shutdown && q.files.len() < shared.opts.max_paced;
                    break (p, paced);
                }
                if q.shutdown {
                    return;
                }
                q = shared.cv.wait(q).unwrap_or_else(|p| p.into_inner());
            }
        };
        delete(shared, &path, paced);
    }
}

/// Truncates `path` a chunk at a time (pausing between chunks when `paced` and no
/// shutdown is asked for), then unlinks it. Best effort: a failure leaves trash, which
/// the directory's next opener removes.
fn delete(shared: &Shared, path: &Path, paced: bool) {
    if let Ok(file) = shared.inner.open(path, OpenMode::ReadWrite) {
        shrink(shared, &*file, paced);
    }
    let _ = shared.inner.remove_file(path);
}

/// Truncation frees the file's blocks only when the trash name is its last: a file with
/// other names (a checkpoint's hard link to a table) keeps its bytes and is only
/// unlinked, as RocksDB's `DeleteScheduler` does.
fn shrink(shared: &Shared, file: &dyn File, paced: bool) {
    if !matches!(file.link_count(), Ok(Some(1))) {
        return;
    }
    let Ok(mut len) = file.len() else {
        return;
    };
    let chunk = shared.opts.chunk_bytes.max(1);
    while len > chunk {
        len -= chunk;
        if file.set_len(len).is_err() {
            return;
        }
        if paced && !shared.lock().shutdown {
            std::thread::sleep(shared.opts.pause);
        }
    }
}

impl FileSystem for GradualDeleteFs {
    fn open(&self, path: &Path, mode: OpenMode) -> io::Result<Arc<dyn File>> {
        self.shared.inner.open(path, mode)
    }

    fn create_dir_all(&self, path: &Path) -> io::Result<()> {
        self.shared.inner.create_dir_all(path)
    }

    fn list_dir(&self, path: &Path) -> io::Result<Vec<String>> {
        self.shared.inner.list_dir(path)
    }

    /// Renames the file to trash and queues it; unlinks at once when the queue is full or
    /// the thread has stopped. Leftover trash is queued under its own name.
    fn remove_file(&self, path: &Path) -> io::Result<()> {
        let inner = &self.shared.inner;
        if !self.shared.accepts(&self.shared.lock()) {
            return inner.remove_file(path);
        }
        let is_trash = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(is_trash_file_name);
        let trash = if is_trash {
            // Trash is this thread's to delete: an opener listing the directory may find
            // files still waiting, or gone by the time it asks. Either way the removal
            // it asked for is (being) done.
            if !inner.exists(path)? {
                return Ok(());
            }
            path.to_path_buf()
        } else {
            let to = trash_path(path);
            inner.rename(path, &to)?;
            to
        };
        let mut q = self.shared.lock();
        if q.files.contains(&trash) {
            return Ok(());
        }
        if !self.shared.accepts(&q) {
            drop(q);
            return inner.remove_file(&trash);
        }
        q.files.push_back(trash);
        drop(q);
        self.shared.cv.notify_one();
        Ok(())
    }

    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        self.shared.inner.rename(from, to)
    }

    fn exists(&self, path: &Path) -> io::Result<bool> {
        self.shared.inner.exists(path)
    }

    fn sync_dir(&self, path: &Path) -> io::Result<()> {
        self.shared.inner.sync_dir(path)
    }

    fn remove_dir_all(&self, path: &Path) -> io::Result<()> {
        self.shared.inner.remove_dir_all(path)
    }

    fn link_or_copy(&self, from: &Path, to: &Path) -> io::Result<()> {
        self.shared.inner.link_or_copy(from, to)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{FaultFs, StdFs};

    fn write_file(fs: &dyn FileSystem, path: &Path, len: usize) {
        let f = fs.open(path, OpenMode::CreateNew).unwrap();
        f.write_all_at(&vec![7u8; len], 0).unwrap();
        f.sync_data().unwrap();
    }

    fn slow() -> GradualDelete {
        GradualDelete {
            chunk_bytes: 4096,
            pause: Duration::from_millis(20),
            ..GradualDelete::default()
        }
    }

    /// A temporary directory and a [`slow`] deleter over the real file system.
    fn slow_fs(opts: GradualDelete) -> (tempfile::TempDir, Arc<GradualDeleteFs>) {
        let dir = tempfile::tempdir().unwrap();
        let fs = GradualDeleteFs::new(Arc::new(StdFs::new()), opts).unwrap();
        (dir, fs)
    }

    #[test]
    fn a_removed_file_is_renamed_at_once_and_deleted_by_the_thread() {
        let (dir, fs) = slow_fs(slow());
        let path = dir.path().join("000001.sst");
        write_file(&*fs, &path, 64 << 10);
        fs.remove_file(&path).unwrap();
        // The name is gone when remove_file returns; 16 chunks at 20 ms each are not.
        assert!(!fs.exists(&path).unwrap());
        let names = fs.list_dir(dir.path()).unwrap();
        assert_eq!(names, vec!["000001.sst.trash".to_string()]);
        fs.shutdown();
        assert!(fs.list_dir(dir.path()).unwrap().is_empty());
    }

    #[test]
    fn the_thread_shrinks_a_file_chunk_by_chunk() {
        let (dir, fs) = slow_fs(slow());
        let path = dir.path().join("big");
        write_file(&*fs, &path, 64 << 10);
        fs.remove_file(&path).unwrap();
        let trash = dir.path().join("big.trash");
        // Bounded wait for the first truncations (each pause is 20 ms).
        let mut seen = None;
        for _ in 0..200 {
            match std::fs::metadata(&trash) {
                Ok(m) if m.len() < 64 << 10 => {
                    seen = Some(m.len());
                    break;
                }
                Ok(_) => std::thread::sleep(Duration::from_millis(2)),
                Err(_) => break,
            }
        }
        let len = seen.expect("the trash file shrank before it was unlinked");
        assert_eq!(len % 4096, 0, "truncated a whole chunk at a time");
        fs.shutdown();
        assert!(!trash.exists());
    }

    #[test]
    fn removing_a_missing_file_is_not_found_but_missing_trash_is_done() {
        let (dir, fs) = slow_fs(slow());
        let err = fs.remove_file(&dir.path().join("absent")).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
        fs.remove_file(&dir.path().join("absent.trash")).unwrap();
    }

    /// Regression: an engine opening a directory listed the trash its own deleter was
    /// still deleting (an old manifest it had just replaced), and its removal failed with
    /// NotFound once the thread got there first.
    #[test]
    fn trash_still_waiting_can_be_removed_again() {
        let (dir, fs) = slow_fs(slow());
        for name in ["big", "MANIFEST-000003"] {
            write_file(&*fs, &dir.path().join(name), 64 << 10);
            fs.remove_file(&dir.path().join(name)).unwrap();
        }
        // The second waits behind the first's 320 ms of pauses.
        fs.remove_file(&dir.path().join("MANIFEST-000003.trash"))
            .unwrap();
        fs.shutdown();
        assert!(fs.list_dir(dir.path()).unwrap().is_empty());
    }

    #[test]
    fn a_full_queue_and_a_stopped_thread_unlink_at_once() {
        let (dir, fs) = slow_fs(GradualDelete {
            max_queued: 1,
            ..slow()
        });
        let at = |name: &str| dir.path().join(name);
        for name in ["a", "b", "c", "d"] {
            write_file(&*fs, &at(name), 64 << 10);
        }
        // "a" keeps the thread busy for 16 chunks of 20 ms once it has taken it.
        fs.remove_file(&at("a")).unwrap();
        let mut taken = false;
        for _ in 0..500 {
            if fs.queued() == 0 {
                taken = true;
                break;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        assert!(taken, "the thread takes the first file");
        fs.remove_file(&at("b")).unwrap();
        assert!(at("b.trash").exists(), "the second waits, as trash");
        // The queue is full: the third is unlinked at once, never queued.
        fs.remove_file(&at("c")).unwrap();
        assert!(!at("c").exists() && !at("c.trash").exists());
        assert_eq!(fs.queued(), 1);
        fs.shutdown();
        // Stopped: unlinked at once too.
        fs.remove_file(&at("d")).unwrap();
        assert!(fs.list_dir(dir.path()).unwrap().is_empty());
    }

    #[test]
    fn leftover_trash_is_deleted_under_its_own_name() {
        let (dir, fs) = slow_fs(slow());
        let trash = dir.path().join("000007.sst.trash");
        write_file(&*fs, &trash, 8 << 10);
        fs.remove_file(&trash).unwrap();
        fs.shutdown();
        assert!(fs.list_dir(dir.path()).unwrap().is_empty());
    }

    /// A table hard-linked into a checkpoint is one file with two names: removing the
    /// live name must leave the checkpoint's bytes whole, never truncate them.
    #[test]
    fn a_file_with_another_name_is_unlinked_not_truncated() {
        let (dir, fs) = slow_fs(slow());
        let live = dir.path().join("000005.sst");
        let linked = dir.path().join("checkpoint-000005.sst");
        write_file(&*fs, &live, 64 << 10);
        fs.link_or_copy(&live, &linked).unwrap();
        fs.remove_file(&live).unwrap();
        fs.shutdown();
        assert!(!live.exists());
        let bytes = std::fs::read(&linked).unwrap();
        assert_eq!(bytes, vec![7u8; 64 << 10]);
    }

    /// A crash before the directory sync undoes the rename, as it would undo an unlink:
    /// the file is back under its own name, whole.
    #[test]
    fn an_unsynced_removal_is_undone_by_a_crash() {
        let inner = FaultFs::new();
        let dir = Path::new("/db");
        inner.create_dir_all(dir).unwrap();
        inner.sync_dir(dir).unwrap();
        let path = dir.join("000003.sst");
        write_file(&inner, &path, 8 << 10);
        inner.sync_dir(dir).unwrap();
        let fs = GradualDeleteFs::new(Arc::new(inner.clone()), GradualDelete::default()).unwrap();
        fs.remove_file(&path).unwrap();
        fs.shutdown();
        inner.crash();
        let f = inner.open(&path, OpenMode::Read).unwrap();
        assert_eq!(f.len().unwrap(), 8 << 10);
    }
}
