//! An in-memory file system that fails on purpose.
//!
//! Fault model (what a test can make happen, and what the engine must survive):
//! - **Crash** ([`FaultFs::crash`]): every file reverts to its last synced contents, and the
//!   namespace reverts to what the last [`FileSystem::sync_dir`] of each directory made
//!   durable. [`FaultFs::crash_torn`] is the harsher variant: for each file it keeps a
//!   random prefix of the writes issued since the last sync, the last one possibly cut short,
//!   which is what a power cut does to a page cache being written back in order.
//!   Handles opened before a crash are dead afterwards: every call on them fails, so a
//!   thread of the "old process" cannot scribble on the recovered state.
//! - **Failed write or sync**: [`FaultFs::fail_nth_write`] and [`FaultFs::fail_nth_sync`]
//!   make the Nth such call from now return an error, once. A failed sync leaves the data
//!   not durable.
//! - **Full disk**: [`FaultFs::set_space_limit_bytes`] makes writes that would grow the
//!   total size past the limit fail with `StorageFull`.
//! - **Bit rot**: [`FaultFs::flip_bit`] flips one bit of a file, live and durable.
//! - **Slow disk**: [`FaultFs::set_sync_latency`] makes every sync take a while (outside
//!   any lock), as a real fdatasync does, so group-commit sharing shows up in tests.
//! - **Stalled disk**: [`FaultFs::hold_creates`] makes every creation of a file whose name
//!   ends with a suffix wait until [`FaultFs::release_creates`] (at most [`HOLD_MAX`], then
//!   it fails with `TimedOut`), so tests can stop a flush mid-way and watch writers stall.
//!
//! Directories are simplified: creating one is durable at once.
//! All state sits behind one mutex; this backend is for correctness tests, not speed.

use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};

use crate::rng::SplitMix64;
use crate::{parent_dir, File, FileSystem, OpenMode};

/// The error payload of every injected fault, so tests can tell an injected failure from a
/// real one: `err.get_ref().and_then(|e| e.downcast_ref::<InjectedFault>())`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InjectedFault {
    /// A write failed because [`FaultFs::fail_nth_write`] said so.
    #[error("injected write failure")]
    Write,
    /// A sync failed because [`FaultFs::fail_nth_sync`] said so.
    #[error("injected sync failure")]
    Sync,
    /// The handle was opened before a simulated crash.
    #[error("file handle from before a simulated crash")]
    StaleHandle,
    /// The file system is frozen after a crash ([`FaultFs::crash_and_freeze`]): the
    /// crashed process's late operations must not land on the recovered state.
    #[error("file system frozen after a simulated crash")]
    Frozen,
    /// A held file creation waited [`HOLD_MAX`] without being released.
    #[error("held file creation was never released")]
    HoldTimedOut,
}

/// The longest a held creation waits for [`FaultFs::release_creates`]; a test that forgets
/// to release gets an error, not a hang.
pub const HOLD_MAX: Duration = Duration::from_secs(60);

fn injected(kind: io::ErrorKind, fault: InjectedFault) -> io::Error {
    io::Error::new(kind, fault)
}

/// One file's bytes: what a reader sees now, and what survives a crash.
#[derive(Debug, Default)]
struct Node {
    live: Vec<u8>,
    durable: Vec<u8>,
    /// Writes and truncations since the last successful sync, in issue order.
    pending: Vec<PendingOp>,
}

#[derive(Debug, Clone)]
enum PendingOp {
    Write { offset: u64, data: Vec<u8> },
    SetLen(u64),
}

fn apply(buf: &mut Vec<u8>, op: &PendingOp) {
    match op {
        PendingOp::Write { offset, data } => {
            let start = *offset as usize;
            let end = start + data.len();
            if buf.len() < end {
                buf.resize(end, 0);
            }
            buf[start..end].copy_from_slice(data);
        }
        PendingOp::SetLen(len) => buf.resize(*len as usize, 0),
    }
}

type NodeRef = Arc<Mutex<Node>>;

#[derive(Debug, Default)]
struct State {
    live: BTreeMap<PathBuf, NodeRef>,
    durable: BTreeMap<PathBuf, NodeRef>,
    dirs: BTreeSet<PathBuf>,
    /// Bumped by every crash; handles carry the generation they were opened in.
    generation: u64,
    writes_until_failure: Option<u64>,
    syncs_until_failure: Option<u64>,
    sync_latency: Option<std::time::Duration>,
    space_limit_bytes: Option<u64>,
    stats: FaultStats,
    /// Set by [`FaultFs::crash_and_freeze`]: every operation fails until [`FaultFs::thaw`].
    frozen: bool,
}

/// Fails an operation while the file system is frozen.
fn check_thawed(st: &State) -> io::Result<()> {
    if st.frozen {
        return Err(injected(io::ErrorKind::Other, InjectedFault::Frozen));
    }
    Ok(())
}

/// Counters of what went through the file system, for tests that check I/O behaviour
/// (for example, that group commit shares one sync between many writers).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct FaultStats {
    /// Successful `write_all_at` calls.
    pub writes: u64,
    /// Successful `sync_data` calls.
    pub syncs: u64,
    /// `start_writeback` calls (they make nothing durable).
    pub writebacks: u64,
    /// Simulated crashes so far.
    pub crashes: u64,
}

/// The fault-injecting in-memory [`FileSystem`]. Clones share the same files.
#[derive(Debug, Clone, Default)]
pub struct FaultFs {
    state: Arc<Mutex<State>>,
    /// The suffix of file names whose creation is held, apart from `state` so a held
    /// creation waits without blocking every other call.
    hold: Arc<(Mutex<Option<String>>, Condvar)>,
}

impl FaultFs {
    /// An empty file system.
    pub fn new() -> Self {
        Self::default()
    }

    /// Simulates a power cut: everything not synced is lost. See the module docs.
    pub fn crash(&self) {
        self.crash_inner(None);
    }

    /// Simulates a power cut that keeps a random prefix of each file's unsynced writes, the
    /// last kept write possibly torn. The same `seed` gives the same outcome.
    pub fn crash_torn(&self, seed: u64) {
        self.crash_inner(Some(seed));
    }

    /// [`FaultFs::crash`] (`torn_seed: None`) or [`FaultFs::crash_torn`], then every
    /// operation fails with [`InjectedFault::Frozen`] until [`FaultFs::thaw`]. A crashed
    /// process's threads may still run until its handle is dropped (joining them): frozen,
    /// nothing they do reaches the state the next process recovers, so a crash replays
    /// the same way however those threads are scheduled.
    pub fn crash_and_freeze(&self, torn_seed: Option<u64>) {
        self.crash_inner(torn_seed);
        self.state.lock().frozen = true;
    }

    /// Ends [`FaultFs::crash_and_freeze`]: operations work again.
    pub fn thaw(&self) {
        self.state.lock().frozen = false;
    }

    fn crash_inner(&self, seed: Option<u64>) {
        let mut st = self.state.lock();
        let mut rng = SplitMix64::new(seed.unwrap_or(0));
        for node in st.durable.values() {
            let mut n = node.lock();
            if seed.is_some() && !n.pending.is_empty() {
                let keep = (rng.next_u64() % (n.pending.len() as u64 + 1)) as usize;
                let pending = std::mem::take(&mut n.pending);
                let mut durable = std::mem::take(&mut n.durable);
                for (i, op) in pending.iter().take(keep).enumerate() {
                    match op {
                        PendingOp::Write { offset, data } if i + 1 == keep && !data.is_empty() => {
                            let cut = (rng.next_u64() % (data.len() as u64 + 1)) as usize;
                            apply(
                                &mut durable,
                                &PendingOp::Write {
                                    offset: *offset,
                                    data: data[..cut].to_vec(),
                                },
                            );
                        }
                        _ => apply(&mut durable, op),
                    }
                }
                n.durable = durable;
            }
            n.live = n.durable.clone();
            n.pending.clear();
        }
        st.live = st.durable.clone();
        st.generation += 1;
        st.stats.crashes += 1;
    }

    /// The Nth write call from now (1 = the next one) fails, once.
    pub fn fail_nth_write(&self, n: u64) {
        self.state.lock().writes_until_failure = Some(n.max(1));
    }

    /// The Nth sync call from now (1 = the next one) fails, once.
    pub fn fail_nth_sync(&self, n: u64) {
        self.state.lock().syncs_until_failure = Some(n.max(1));
    }

    /// Disarms every pending injected fault: a write or sync failure that has not fired,
    /// the space limit and the sync latency. A simulation calls it before recovering, so
    /// that a fault meant for the old process does not fire in the new one (unless it
    /// arms one on purpose).
    pub fn clear_faults(&self) {
        let mut st = self.state.lock();
        st.writes_until_failure = None;
        st.syncs_until_failure = None;
        st.space_limit_bytes = None;
        st.sync_latency = None;
    }

    /// Total live bytes of all files (what [`FaultFs::set_space_limit_bytes`] caps).
    pub fn live_bytes(&self) -> u64 {
        FaultFs::total_live_bytes(&self.state.lock())
    }

    /// Caps the total live bytes of all files; `None` removes the cap.
    pub fn set_space_limit_bytes(&self, limit: Option<u64>) {
        self.state.lock().space_limit_bytes = limit;
    }

    /// Flips bit `bit` (0–7) of byte `offset` in `path`, in both the live and durable
    /// contents. Returns `NotFound` for a missing file and `InvalidInput` past its end.
    pub fn flip_bit(&self, path: &Path, offset: u64, bit: u8) -> io::Result<()> {
        let st = self.state.lock();
        let node = st.live.get(path).ok_or_else(|| not_found(path))?;
        let mut n = node.lock();
        let i = offset as usize;
        if i >= n.live.len() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "flip past end of file",
            ));
        }
        n.live[i] ^= 1 << (bit & 7);
        if i < n.durable.len() {
            n.durable[i] ^= 1 << (bit & 7);
        }
        Ok(())
    }

    /// Every later successful sync sleeps `latency` first (`None`: instant).
    pub fn set_sync_latency(&self, latency: Option<Duration>) {
        self.state.lock().sync_latency = latency;
    }

    /// From now on, creating a file whose name ends with `suffix` waits until
    /// [`FaultFs::release_creates`] (or fails after [`HOLD_MAX`]).
    pub fn hold_creates(&self, suffix: &str) {
        *self.hold.0.lock() = Some(suffix.to_owned());
    }

    /// Lets held and future creations proceed.
    pub fn release_creates(&self) {
        *self.hold.0.lock() = None;
        self.hold.1.notify_all();
    }

    /// Waits while creations of `path` are held.
    fn wait_if_held(&self, path: &Path) -> io::Result<()> {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let deadline = Instant::now() + HOLD_MAX;
        let mut held = self.hold.0.lock();
        while held.as_deref().is_some_and(|suffix| name.ends_with(suffix)) {
            if self.hold.1.wait_until(&mut held, deadline).timed_out() {
                return Err(injected(
                    io::ErrorKind::TimedOut,
                    InjectedFault::HoldTimedOut,
                ));
            }
        }
        Ok(())
    }

    /// Counters so far.
    pub fn stats(&self) -> FaultStats {
        self.state.lock().stats
    }

    /// Paths of all live files, sorted.
    pub fn files(&self) -> Vec<PathBuf> {
        self.state.lock().live.keys().cloned().collect()
    }

    /// Length of a live file.
    pub fn file_len(&self, path: &Path) -> io::Result<u64> {
        let st = self.state.lock();
        let node = st.live.get(path).ok_or_else(|| not_found(path))?;
        let len = node.lock().live.len() as u64;
        Ok(len)
    }

    fn total_live_bytes(st: &State) -> u64 {
        st.live.values().map(|n| n.lock().live.len() as u64).sum()
    }
}

fn not_found(path: &Path) -> io::Error {
    io::Error::new(
        io::ErrorKind::NotFound,
        format!("no such file: {}", path.display()),
    )
}

/// A handle into a [`FaultFs`] file.
#[derive(Debug)]
pub struct FaultFile {
    fs: FaultFs,
    node: NodeRef,
    generation: u64,
    writable: bool,
}

impl FaultFile {
    fn check_alive(&self, st: &State) -> io::Result<()> {
        check_thawed(st)?;
        if st.generation != self.generation {
            return Err(injected(io::ErrorKind::Other, InjectedFault::StaleHandle));
        }
        Ok(())
    }
}

impl File for FaultFile {
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        self.check_alive(&self.fs.state.lock())?;
        let n = self.node.lock();
        let start = offset as usize;
        if start >= n.live.len() {
            return Ok(0);
        }
        let len = buf.len().min(n.live.len() - start);
        buf[..len].copy_from_slice(&n.live[start..start + len]);
        Ok(len)
    }

    fn write_all_at(&self, buf: &[u8], offset: u64) -> io::Result<()> {
        if !self.writable {
            return Err(io::Error::new(
                io::ErrorKind::PermissionDenied,
                "file opened read-only",
            ));
        }
        let mut st = self.fs.state.lock();
        self.check_alive(&st)?;
        if let Some(left) = st.writes_until_failure {
            if left <= 1 {
                st.writes_until_failure = None;
                return Err(injected(io::ErrorKind::Other, InjectedFault::Write));
            }
            st.writes_until_failure = Some(left - 1);
        }
        if let Some(limit) = st.space_limit_bytes {
            let cur = self.node.lock().live.len() as u64;
            let grow = (offset + buf.len() as u64).saturating_sub(cur);
            if FaultFs::total_live_bytes(&st) + grow > limit {
                return Err(io::Error::new(
                    io::ErrorKind::StorageFull,
                    "simulated full disk",
                ));
            }
        }
        let op = PendingOp::Write {
            offset,
            data: buf.to_vec(),
        };
        let mut n = self.node.lock();
        apply(&mut n.live, &op);
        n.pending.push(op);
        st.stats.writes += 1;
        Ok(())
    }

    fn sync_data(&self) -> io::Result<()> {
        let latency = self.fs.state.lock().sync_latency;
        if let Some(d) = latency {
            std::thread::sleep(d);
        }
        let mut st = self.fs.state.lock();
        self.check_alive(&st)?;
        if let Some(left) = st.syncs_until_failure {
            if left <= 1 {
                st.syncs_until_failure = None;
                return Err(injected(io::ErrorKind::Other, InjectedFault::Sync));
            }
            st.syncs_until_failure = Some(left - 1);
        }
        let mut n = self.node.lock();
        n.durable = n.live.clone();
        n.pending.clear();
        st.stats.syncs += 1;
        Ok(())
    }

    fn start_writeback(&self, _offset: u64, _len: u64) -> io::Result<()> {
        let mut st = self.fs.state.lock();
        self.check_alive(&st)?;
        st.stats.writebacks += 1;
        Ok(())
    }

    fn len(&self) -> io::Result<u64> {
        self.check_alive(&self.fs.state.lock())?;
        let len = self.node.lock().live.len() as u64;
        Ok(len)
    }

    /// One: this file system never links, `link_or_copy` copies.
    fn link_count(&self) -> io::Result<Option<u64>> {
        self.check_alive(&self.fs.state.lock())?;
        Ok(Some(1))
    }

    fn set_len(&self, len: u64) -> io::Result<()> {
        if !self.writable {
            return Err(io::Error::new(
                io::ErrorKind::PermissionDenied,
                "file opened read-only",
            ));
        }
        let st = self.fs.state.lock();
        self.check_alive(&st)?;
        let op = PendingOp::SetLen(len);
        let mut n = self.node.lock();
        apply(&mut n.live, &op);
        n.pending.push(op);
        Ok(())
    }
}

impl FileSystem for FaultFs {
    fn open(&self, path: &Path, mode: OpenMode) -> io::Result<Arc<dyn File>> {
        if matches!(mode, OpenMode::CreateNew | OpenMode::CreateTruncate) {
            self.wait_if_held(path)?;
        }
        let mut st = self.state.lock();
        check_thawed(&st)?;
        let parent = parent_dir(path);
        if !st.dirs.contains(&parent) {
            return Err(io::Error::new(
                io::ErrorKind::NotFound,
                format!("no such directory: {}", parent.display()),
            ));
        }
        let node = match (mode, st.live.get(path).cloned()) {
            (OpenMode::Read | OpenMode::ReadWrite, Some(n)) => n,
            (OpenMode::Read | OpenMode::ReadWrite, None) => return Err(not_found(path)),
            (OpenMode::CreateNew, Some(_)) => {
                return Err(io::Error::new(io::ErrorKind::AlreadyExists, "file exists"))
            }
            (OpenMode::CreateTruncate, Some(n)) => {
                {
                    let mut g = n.lock();
                    g.live.clear();
                    g.pending.push(PendingOp::SetLen(0));
                }
                n
            }
            (OpenMode::CreateNew | OpenMode::CreateTruncate, None) => {
                let n: NodeRef = Arc::default();
                st.live.insert(path.to_path_buf(), n.clone());
                n
            }
        };
        Ok(Arc::new(FaultFile {
            fs: self.clone(),
            node,
            generation: st.generation,
            writable: mode.writable(),
        }))
    }

    fn create_dir_all(&self, path: &Path) -> io::Result<()> {
        let mut st = self.state.lock();
        check_thawed(&st)?;
        let mut p = Some(path);
        while let Some(d) = p {
            if d.as_os_str().is_empty() {
                break;
            }
            st.dirs.insert(d.to_path_buf());
            p = d.parent();
        }
        st.dirs.insert(PathBuf::from("."));
        Ok(())
    }

    fn list_dir(&self, path: &Path) -> io::Result<Vec<String>> {
        let st = self.state.lock();
        check_thawed(&st)?;
        if !st.dirs.contains(path) {
            return Err(not_found(path));
        }
        let mut names: Vec<String> = st
            .live
            .keys()
            .chain(st.dirs.iter())
            .filter(|p| p.parent() == Some(path))
            .filter_map(|p| p.file_name().and_then(|n| n.to_str()).map(str::to_owned))
            .collect();
        names.sort();
        names.dedup();
        Ok(names)
    }

    fn remove_file(&self, path: &Path) -> io::Result<()> {
        let mut st = self.state.lock();
        check_thawed(&st)?;
        st.live
            .remove(path)
            .map(|_| ())
            .ok_or_else(|| not_found(path))
    }

    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        let mut st = self.state.lock();
        check_thawed(&st)?;
        let node = st.live.remove(from).ok_or_else(|| not_found(from))?;
        st.live.insert(to.to_path_buf(), node);
        Ok(())
    }

    fn exists(&self, path: &Path) -> io::Result<bool> {
        let st = self.state.lock();
        check_thawed(&st)?;
        Ok(st.live.contains_key(path) || st.dirs.contains(path))
    }

    fn sync_dir(&self, path: &Path) -> io::Result<()> {
        let mut st = self.state.lock();
        check_thawed(&st)?;
        if !st.dirs.contains(path) {
            return Err(not_found(path));
        }
        let in_dir = |p: &PathBuf| parent_dir(p) == path;
        st.durable.retain(|p, _| !in_dir(p));
        let entries: Vec<(PathBuf, NodeRef)> = st
            .live
            .iter()
            .filter(|(p, _)| in_dir(p))
            .map(|(p, n)| (p.clone(), n.clone()))
            .collect();
        st.durable.extend(entries);
        Ok(())
    }

    fn remove_dir_all(&self, path: &Path) -> io::Result<()> {
        let mut st = self.state.lock();
        check_thawed(&st)?;
        st.live.retain(|p, _| !p.starts_with(path));
        st.durable.retain(|p, _| !p.starts_with(path));
        st.dirs.retain(|p| !p.starts_with(path));
        Ok(())
    }

    fn link_or_copy(&self, from: &Path, to: &Path) -> io::Result<()> {
        // A copy of the live bytes, made durable at once: checkpoints sync their files
        // anyway, and a fresh node keeps later writes to `from` out of the copy.
        let mut st = self.state.lock();
        check_thawed(&st)?;
        let src = st.live.get(from).cloned().ok_or_else(|| not_found(from))?;
        let bytes = src.lock().live.clone();
        let node = Arc::new(Mutex::new(Node {
            live: bytes.clone(),
            durable: bytes,
            pending: vec![],
        }));
        st.live.insert(to.to_path_buf(), node);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setup() -> (FaultFs, PathBuf) {
        let fs = FaultFs::new();
        let dir = PathBuf::from("/db");
        fs.create_dir_all(&dir).unwrap();
        (fs, dir)
    }

    #[test]
    fn held_creations_wait_for_release_and_others_do_not() {
        let (fs, dir) = setup();
        fs.hold_creates(".sst");
        // Other names and plain opens are not held.
        fs.open(&dir.join("x.log"), OpenMode::CreateNew).unwrap();
        let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let t = {
            let (fs, dir, done) = (fs.clone(), dir.clone(), done.clone());
            std::thread::spawn(move || {
                let r = fs.open(&dir.join("000001.sst"), OpenMode::CreateNew);
                done.store(true, std::sync::atomic::Ordering::SeqCst);
                r.map(|_| ())
            })
        };
        std::thread::sleep(Duration::from_millis(50));
        assert!(
            !done.load(std::sync::atomic::Ordering::SeqCst),
            "creation was not held"
        );
        assert!(!fs.exists(&dir.join("000001.sst")).unwrap());
        fs.release_creates();
        t.join().unwrap().unwrap();
        assert!(fs.exists(&dir.join("000001.sst")).unwrap());
    }

    #[test]
    fn a_frozen_file_system_refuses_the_crashed_process_until_thawed() {
        let (fs, dir) = setup();
        let f = fs.open(&dir.join("a"), OpenMode::CreateNew).unwrap();
        fs.sync_dir(&dir).unwrap();
        fs.fail_nth_sync(1);
        fs.crash_and_freeze(None);
        // The dead process's late operations land nowhere and use up no armed fault.
        assert!(f.sync_data().is_err());
        assert!(fs.open(&dir.join("b"), OpenMode::CreateNew).is_err());
        assert!(fs.rename(&dir.join("a"), &dir.join("c")).is_err());
        assert!(fs.sync_dir(&dir).is_err());
        fs.thaw();
        assert!(!fs.exists(&dir.join("b")).unwrap());
        let g = fs.open(&dir.join("a"), OpenMode::ReadWrite).unwrap();
        assert!(
            g.sync_data().is_err(),
            "the armed sync failure is still there"
        );
        g.sync_data().unwrap();
    }

    #[test]
    fn crash_drops_unsynced_bytes_and_keeps_synced_ones() {
        let (fs, dir) = setup();
        let p = dir.join("a");
        let f = fs.open(&p, OpenMode::CreateNew).unwrap();
        fs.sync_dir(&dir).unwrap();
        f.write_all_at(b"durable", 0).unwrap();
        f.sync_data().unwrap();
        f.write_all_at(b"-lost", 7).unwrap();
        // A started writeback is counted, and makes nothing durable.
        f.start_writeback(7, 5).unwrap();
        assert_eq!(fs.stats().writebacks, 1);
        fs.crash();
        let f = fs.open(&p, OpenMode::Read).unwrap();
        assert_eq!(f.read_to_vec().unwrap(), b"durable");
    }

    #[test]
    fn crash_forgets_files_created_without_a_directory_sync() {
        let (fs, dir) = setup();
        let f = fs.open(&dir.join("new"), OpenMode::CreateNew).unwrap();
        f.write_all_at(b"x", 0).unwrap();
        f.sync_data().unwrap();
        fs.crash();
        assert!(!fs.exists(&dir.join("new")).unwrap());
    }

    #[test]
    fn rename_is_durable_only_after_directory_sync() {
        let (fs, dir) = setup();
        let f = fs.open(&dir.join("tmp"), OpenMode::CreateNew).unwrap();
        f.write_all_at(b"v1", 0).unwrap();
        f.sync_data().unwrap();
        fs.sync_dir(&dir).unwrap();
        fs.rename(&dir.join("tmp"), &dir.join("final")).unwrap();
        fs.crash();
        assert!(fs.exists(&dir.join("tmp")).unwrap());
        assert!(!fs.exists(&dir.join("final")).unwrap());
        fs.rename(&dir.join("tmp"), &dir.join("final")).unwrap();
        fs.sync_dir(&dir).unwrap();
        fs.crash();
        assert!(fs.exists(&dir.join("final")).unwrap());
    }

    #[test]
    fn handles_from_before_a_crash_are_dead() {
        let (fs, dir) = setup();
        let f = fs.open(&dir.join("a"), OpenMode::CreateNew).unwrap();
        fs.sync_dir(&dir).unwrap();
        fs.crash();
        let err = f.write_all_at(b"zombie", 0).unwrap_err();
        let fault = err
            .get_ref()
            .and_then(|e| e.downcast_ref::<InjectedFault>());
        assert_eq!(fault, Some(&InjectedFault::StaleHandle));
    }

    #[test]
    fn nth_write_and_sync_fail_once() {
        let (fs, dir) = setup();
        let f = fs.open(&dir.join("a"), OpenMode::CreateNew).unwrap();
        fs.fail_nth_write(2);
        f.write_all_at(b"1", 0).unwrap();
        assert!(f.write_all_at(b"2", 1).is_err());
        f.write_all_at(b"3", 1).unwrap();
        fs.fail_nth_sync(1);
        assert!(f.sync_data().is_err());
        f.sync_data().unwrap();
        assert_eq!(fs.stats().syncs, 1);
    }

    #[test]
    fn full_disk_refuses_growth() {
        let (fs, dir) = setup();
        let f = fs.open(&dir.join("a"), OpenMode::CreateNew).unwrap();
        fs.set_space_limit_bytes(Some(4));
        f.write_all_at(b"abcd", 0).unwrap();
        let err = f.write_all_at(b"e", 4).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::StorageFull);
        f.write_all_at(b"z", 0).unwrap(); // overwrite in place does not grow
    }

    #[test]
    fn torn_crash_keeps_a_prefix_of_unsynced_writes() {
        // Over many seeds, the result is always durable bytes followed by a prefix of the
        // unsynced appends, and every outcome from "none kept" to "all kept" shows up.
        let mut seen_lengths = BTreeSet::new();
        for seed in 0..200 {
            let (fs, dir) = setup();
            let p = dir.join("wal");
            let f = fs.open(&p, OpenMode::CreateNew).unwrap();
            fs.sync_dir(&dir).unwrap();
            f.write_all_at(b"AAAA", 0).unwrap();
            f.sync_data().unwrap();
            f.write_all_at(b"BBBB", 4).unwrap();
            f.write_all_at(b"CCCC", 8).unwrap();
            fs.crash_torn(seed);
            let got = fs.open(&p, OpenMode::Read).unwrap().read_to_vec().unwrap();
            let full = b"AAAABBBBCCCC";
            assert_eq!(&got[..], &full[..got.len()], "seed {seed}");
            assert!(got.len() >= 4);
            seen_lengths.insert(got.len());
        }
        assert!(seen_lengths.contains(&4) && seen_lengths.contains(&12));
        assert!(seen_lengths.len() > 3);
    }

    #[test]
    fn flip_bit_changes_exactly_one_bit() {
        let (fs, dir) = setup();
        let p = dir.join("a");
        let f = fs.open(&p, OpenMode::CreateNew).unwrap();
        f.write_all_at(&[0u8; 4], 0).unwrap();
        fs.flip_bit(&p, 2, 3).unwrap();
        assert_eq!(f.read_to_vec().unwrap(), vec![0, 0, 8, 0]);
        assert!(fs.flip_bit(&p, 9, 0).is_err());
    }
}
