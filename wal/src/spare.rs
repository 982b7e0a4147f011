//! The next segment, prepared off the write path.
//!
//! Creating a segment means writing `segment_size_bytes` of zeros and syncing them (see
//! [`Preallocation::Zeroed`]): about 100 ms for a 64 MiB segment on this project's
//! machines. Done inside a roll, that time lands on every writer waiting for the group
//! commit. Instead, once the active segment is half full the writer asks a background
//! thread for a *spare*: a zero-filled, synced file under a name no reader takes for a
//! segment (`<n>.spare`). The roll then only writes the new header into the spare, syncs
//! it, renames it to the segment's name and syncs the directory, so the on-disk sequence a
//! crash can observe is the same as for [`crate::segment::create_segment`]. Without a
//! spare ready (the thread is behind, or its preparation failed), the roll creates the
//! segment itself, as before.
//!
//! Leftover spares (a crash, a spare never used) are deleted when the log is opened and
//! closed. Invariant: at most one spare exists, and the thread prepares one only when asked
//! and none is waiting.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;

use shale_io::{File, FileSystem, OpenMode};

use crate::error::{Error, Result};
use crate::format::{encode_segment_header, SegmentHeader};
use crate::options::Preallocation;
use crate::segment::{preallocate, segment_file_name, SPARE_CHUNK_PAUSE};

/// Suffix of spare files.
pub const SPARE_SUFFIX: &str = ".spare";

/// Whether `name` is a spare file (prepared, never a segment until renamed).
pub fn is_spare_file_name(name: &str) -> bool {
    name.ends_with(SPARE_SUFFIX)
}

/// A zero-filled, synced file of one segment's size, waiting to become a segment.
#[derive(Debug)]
pub(crate) struct Spare {
    path: PathBuf,
    file: Arc<dyn File>,
}

#[derive(Debug, Default)]
struct Slot {
    ready: Option<Spare>,
    wanted: bool,
    shutdown: bool,
}

/// What the writer and the preparing thread share.
#[derive(Debug)]
pub(crate) struct SpareSlot {
    slot: Mutex<Slot>,
    cv: Condvar,
    fs: Arc<dyn FileSystem>,
    dir: PathBuf,
    size_bytes: u64,
    prealloc: Preallocation,
}

impl SpareSlot {
    /// The slot, recovering from a poisoned lock (the state stays consistent: every
    /// critical section only moves whole values in or out).
    fn lock(&self) -> MutexGuard<'_, Slot> {
        self.slot.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Asks the thread for a spare if none is waiting. Cheap; call it once per segment.
    pub(crate) fn request(&self) {
        let mut s = self.lock();
        if s.ready.is_none() {
            s.wanted = true;
            self.cv.notify_all();
        }
    }

    /// The waiting spare, if there is one.
    pub(crate) fn take(&self) -> Option<Spare> {
        self.lock().ready.take()
    }

    fn prepare(&self, n: u64) -> Result<Spare> {
        let path = self.dir.join(format!("{n:020}{SPARE_SUFFIX}"));
        let file = self
            .fs
            .open(&path, OpenMode::CreateTruncate)
            .map_err(|e| Error::io("create spare", &path, e))?;
        let made = preallocate(
            &*file,
            &path,
            0,
            self.size_bytes,
            self.prealloc,
            SPARE_CHUNK_PAUSE,
        )
        .and_then(|()| file.sync_data().map_err(|e| Error::io("sync", &path, e)));
        if let Err(e) = made {
            let _ = self.fs.remove_file(&path);
            return Err(e);
        }
        Ok(Spare { path, file })
    }
}

/// Turns `spare` into the segment `header.first_lsn`: header written and synced, file
/// renamed, directory synced. Returns the segment's path and handle.
///
/// # Errors
/// [`Error::Io`] from any step; a spare left under its own name is deleted at the next
/// open, and a renamed one without its header synced reads as an unborn segment.
pub(crate) fn install(
    fs: &dyn FileSystem,
    dir: &Path,
    spare: Spare,
    header: SegmentHeader,
) -> Result<(PathBuf, Arc<dyn File>)> {
    let path = dir.join(segment_file_name(header.first_lsn));
    spare
        .file
        .write_all_at(&encode_segment_header(&header), 0)
        .map_err(|e| Error::io("write header", &spare.path, e))?;
    spare
        .file
        .sync_data()
        .map_err(|e| Error::io("sync", &spare.path, e))?;
    fs.rename(&spare.path, &path)
        .map_err(|e| Error::io("rename spare", &spare.path, e))?;
    fs.sync_dir(dir)
        .map_err(|e| Error::io("sync dir", dir, e))?;
    Ok((path, spare.file))
}

/// Deletes every spare file in `dir`, and every file an earlier run was deleting
/// gradually (`shale_io::gradual_delete`): leftovers of an earlier run.
///
/// # Errors
/// [`Error::Io`] if the directory cannot be listed or a spare removed.
pub(crate) fn remove_leftovers(fs: &dyn FileSystem, dir: &Path) -> Result<()> {
    let names = fs.list_dir(dir).map_err(|e| Error::io("list", dir, e))?;
    let leftover = |n: &&String| is_spare_file_name(n) || shale_io::is_trash_file_name(n);
    for name in names.iter().filter(leftover) {
        let p = dir.join(name);
        fs.remove_file(&p).map_err(|e| Error::io("remove", &p, e))?;
    }
    Ok(())
}

/// The preparing thread and its slot.
#[derive(Debug)]
pub(crate) struct SparePreparer {
    slot: Arc<SpareSlot>,
    thread: Option<JoinHandle<()>>,
}

impl SparePreparer {
    /// Starts the thread for segments of `size_bytes` in `dir`.
    ///
    /// # Errors
    /// The OS refused to spawn a thread.
    pub(crate) fn start(
        fs: Arc<dyn FileSystem>,
        dir: PathBuf,
        size_bytes: u64,
        prealloc: Preallocation,
    ) -> std::io::Result<Self> {
        let slot = Arc::new(SpareSlot {
            slot: Mutex::new(Slot::default()),
            cv: Condvar::new(),
            fs,
            dir,
            size_bytes,
            prealloc,
        });
        let s = slot.clone();
        let thread = std::thread::Builder::new()
            .name("shale-wal-spare".into())
            .spawn(move || prepare_loop(&s))?;
        Ok(SparePreparer {
            slot,
            thread: Some(thread),
        })
    }

    /// The slot the segment writer uses.
    pub(crate) fn slot(&self) -> Arc<SpareSlot> {
        self.slot.clone()
    }

    /// Stops the thread (waiting for a preparation in progress) and deletes an unused
    /// spare. Idempotent.
    pub(crate) fn stop(&mut self) {
        {
            let mut s = self.slot.lock();
            s.shutdown = true;
            self.slot.cv.notify_all();
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        if let Some(spare) = self.slot.take() {
            // Best effort: a spare left behind is deleted at the next open.
            let _ = self.slot.fs.remove_file(&spare.path);
        }
    }
}

impl Drop for SparePreparer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Waits for requests and fills the slot. Ends at shutdown; a failed preparation is
/// dropped (the next roll creates its segment itself and reports the error there).
fn prepare_loop(slot: &SpareSlot) {
    let mut n = 0u64;
    loop {
        {
            let mut s = slot.lock();
            let has_work = |s: &Slot| s.shutdown || (s.wanted && s.ready.is_none());
            while !has_work(&s) {
                s = slot.cv.wait(s).unwrap_or_else(|p| p.into_inner());
            }
            if s.shutdown {
                return;
            }
            s.wanted = false;
        }
        n += 1;
        if let Ok(spare) = slot.prepare(n) {
            let mut s = slot.lock();
            if s.shutdown {
                let _ = slot.fs.remove_file(&spare.path);
                return;
            }
            s.ready = Some(spare);
        }
    }
}
