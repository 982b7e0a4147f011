//! Write-stall control on the L0 path, end to end: while compaction is held back, every
//! flush adds an L0 table; writers are slowed once L0 reaches `l0_slowdown_files`, stopped
//! at `l0_stop_files`, both are counted in `Db::stats()`, and a stopped writer resumes
//! (with nothing lost) once compaction is allowed to drain L0.
//!
//! How compaction is held back without touching the engine: the database runs on a file
//! system wrapper that makes table creation wait at a gate when, and only when, it is
//! called from the engine's compaction thread (named `shale-compact`). Flushes (thread
//! `shale-flush`, or the caller's) pass freely, so L0 grows while compaction is stuck on
//! its first output table. The test checks that compaction really reached the gate, so a
//! renamed thread fails loudly instead of passing vacuously.
//! (`lsm_write_stall.rs` covers the other stall trigger, the frozen-memtable queue.)

mod support;

use std::io;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use shale_engine::lsm::{Db, DbOptions, DbStats};
use shale_io::{FaultFs, File, FileSystem, OpenMode};
use support::eventually;

const COMPACTION_THREAD: &str = "shale-compact";
const TRIGGER: usize = 2;
const SLOWDOWN: usize = 4;
const STOP: usize = 6;
/// A held compaction gives up waiting after this long (so a broken test fails, not hangs).
const GATE_MAX: Duration = Duration::from_secs(60);

/// Table creations by the compaction thread wait here while it is closed.
#[derive(Debug)]
struct Gate {
    closed: Mutex<bool>,
    cv: Condvar,
    /// Compaction table creations that arrived at the gate.
    arrivals: AtomicU64,
}

impl Gate {
    fn closed() -> Self {
        Gate {
            closed: Mutex::new(true),
            cv: Condvar::new(),
            arrivals: AtomicU64::new(0),
        }
    }

    fn pass(&self) {
        self.arrivals.fetch_add(1, Ordering::SeqCst);
        let deadline = Instant::now() + GATE_MAX;
        let mut closed = self.closed.lock().unwrap();
        while *closed {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return;
            }
            closed = self.cv.wait_timeout(closed, left).unwrap().0;
        }
    }

    fn open(&self) {
        *self.closed.lock().unwrap() = false;
        self.cv.notify_all();
    }
}

/// `FaultFs` with compaction's table creations held at a [`Gate`].
#[derive(Debug)]
struct CompactionGateFs {
    inner: FaultFs,
    gate: Arc<Gate>,
}

impl FileSystem for CompactionGateFs {
    fn open(&self, path: &Path, mode: OpenMode) -> io::Result<Arc<dyn File>> {
        let is_table = path.extension().is_some_and(|e| e == "sst");
        let by_compaction = std::thread::current().name() == Some(COMPACTION_THREAD);
        if mode.writable() && is_table && by_compaction {
            self.gate.pass();
        }
        self.inner.open(path, mode)
    }
    fn create_dir_all(&self, path: &Path) -> io::Result<()> {
        self.inner.create_dir_all(path)
    }
    fn list_dir(&self, path: &Path) -> io::Result<Vec<String>> {
        self.inner.list_dir(path)
    }
    fn remove_file(&self, path: &Path) -> io::Result<()> {
        self.inner.remove_file(path)
    }
    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        self.inner.rename(from, to)
    }
    fn exists(&self, path: &Path) -> io::Result<bool> {
        self.inner.exists(path)
    }
    fn sync_dir(&self, path: &Path) -> io::Result<()> {
        self.inner.sync_dir(path)
    }
    fn remove_dir_all(&self, path: &Path) -> io::Result<()> {
        self.inner.remove_dir_all(path)
    }
    fn link_or_copy(&self, from: &Path, to: &Path) -> io::Result<()> {
        self.inner.link_or_copy(from, to)
    }
}

fn key(i: u64) -> Vec<u8> {
    format!("key{i:05}").into_bytes()
}

fn value(i: u64) -> Vec<u8> {
    format!("value-{i}").repeat(8).into_bytes()
}

fn l0(stats: &DbStats) -> usize {
    stats.levels[0].files
}

/// Opens a database whose compactions wait at `gate`; flushes happen only on `flush()`.
fn open_gated(gate: &Arc<Gate>) -> Db {
    let fs = Arc::new(CompactionGateFs {
        inner: FaultFs::new(),
        gate: gate.clone(),
    });
    let mut opts = DbOptions::new("/db").with_fs(fs).tiny();
    // Large enough that no write freezes a memtable by itself: each L0 table is one
    // explicit flush, and the memtable queue never causes a stall of its own.
    opts.memtable_bytes = 1 << 20;
    opts.max_immutable_memtables = 16;
    opts.l0_compaction_trigger = TRIGGER;
    opts.l0_slowdown_files = SLOWDOWN;
    opts.l0_stop_files = STOP;
    opts.slowdown_delay_micros = 200;
    Db::open(opts).unwrap()
}

/// Writes keys `range` (overlapping every other flush's range, so no compaction could be
/// a trivial move) and flushes them into one new L0 table.
fn flush_keys(db: &Db, range: std::ops::Range<u64>) {
    for i in range {
        db.put(&key(i), &value(i)).unwrap();
    }
    db.put(&key(999), &value(999)).unwrap();
    db.flush().unwrap();
}

#[test]
fn l0_backlog_slows_then_stops_writers_until_compaction_drains_it() {
    let gate = Arc::new(Gate::closed());
    let db = Arc::new(open_gated(&gate));

    // Two L0 tables reach the trigger: compaction picks them and blocks on its output.
    flush_keys(&db, 0..10);
    flush_keys(&db, 10..20);
    assert!(
        eventually(Duration::from_secs(10), || gate
            .arrivals
            .load(Ordering::SeqCst)
            >= 1),
        "compaction never reached the gate (thread renamed?): {:?}",
        db.stats()
    );
    let s = db.stats();
    assert_eq!(l0(&s), 2, "{s:?}");
    assert_eq!(s.compactions, 0, "{s:?}");

    // Below the slowdown threshold, writes are not delayed.
    flush_keys(&db, 20..30);
    assert_eq!(l0(&db.stats()), 3);
    db.put(&key(30), &value(30)).unwrap();
    let s = db.stats();
    assert_eq!((s.stall_slowdowns, s.stall_stops), (0, 0), "{s:?}");

    // At the slowdown threshold every write is delayed once, and counted.
    flush_keys(&db, 31..40);
    assert_eq!(l0(&db.stats()), SLOWDOWN);
    let before = db.stats().stall_slowdowns;
    for i in 40..43 {
        db.put(&key(i), &value(i)).unwrap();
    }
    let s = db.stats();
    assert_eq!(s.stall_slowdowns - before, 3, "{s:?}");
    assert_eq!(s.stall_stops, 0, "{s:?}");
    assert!(s.stall_micros >= 3 * 200, "{s:?}");

    // Still slowed (not stopped) one file short of the stop threshold.
    flush_keys(&db, 43..50);
    assert_eq!(l0(&db.stats()), STOP - 1);
    let before = db.stats().stall_slowdowns;
    db.put(&key(50), &value(50)).unwrap();
    let s = db.stats();
    assert_eq!(s.stall_slowdowns - before, 1, "{s:?}");
    assert_eq!(s.stall_stops, 0, "{s:?}");

    // At the stop threshold a writer blocks.
    flush_keys(&db, 51..60);
    let s = db.stats();
    assert_eq!(l0(&s), STOP, "{s:?}");
    assert_eq!(
        s.frozen_memtables, 0,
        "the stop must come from L0, not the memtable queue"
    );
    assert_eq!(s.compactions, 0, "compaction escaped the gate: {s:?}");
    let done = Arc::new(AtomicBool::new(false));
    let writer = {
        let (db, done) = (db.clone(), done.clone());
        std::thread::spawn(move || {
            let r = db.put(&key(60), &value(60));
            done.store(true, Ordering::SeqCst);
            r
        })
    };
    assert!(
        eventually(Duration::from_secs(10), || db.stats().stall_stops >= 1),
        "writer never stopped: {:?}",
        db.stats()
    );
    std::thread::sleep(Duration::from_millis(150));
    assert!(
        !done.load(Ordering::SeqCst),
        "a stopped writer completed while L0 was at the stop threshold"
    );
    assert_eq!(db.stats().stall_stops, 1, "one write, one stop");

    // Let compaction run: it drains L0 and the stopped writer resumes.
    let stall_before_release = db.stats().stall_micros;
    gate.open();
    writer.join().unwrap().unwrap();
    assert!(done.load(Ordering::SeqCst));
    assert!(
        eventually(Duration::from_secs(30), || l0(&db.stats()) < TRIGGER),
        "compaction did not drain L0: {:?}",
        db.stats()
    );
    let s = db.stats();
    assert!(s.compactions >= 1, "{s:?}");
    assert!(
        s.stall_micros >= stall_before_release + 100_000,
        "the stop's duration (>= 150 ms) was not accounted: {s:?}"
    );

    // With L0 drained, writes proceed without new stalls.
    let (slowdowns, stops) = (s.stall_slowdowns, s.stall_stops);
    for i in 61..80 {
        db.put(&key(i), &value(i)).unwrap();
    }
    let s = db.stats();
    assert_eq!(
        (s.stall_slowdowns, s.stall_stops),
        (slowdowns, stops),
        "{s:?}"
    );

    // Nothing written across the stall was lost.
    for i in (0..80).chain([999]) {
        assert_eq!(db.get(&key(i), None).unwrap(), Some(value(i)), "key {i}");
    }
    db.close().unwrap();
}

#[test]
fn a_stopped_writer_is_released_by_close_not_left_hanging() {
    let gate = Arc::new(Gate::closed());
    let db = Arc::new(open_gated(&gate));
    for f in 0..STOP as u64 {
        flush_keys(&db, f * 10..f * 10 + 10);
    }
    assert!(eventually(Duration::from_secs(10), || gate
        .arrivals
        .load(Ordering::SeqCst)
        >= 1));
    assert_eq!(l0(&db.stats()), STOP);
    let writer = {
        let db = db.clone();
        std::thread::spawn(move || db.put(b"late", b"v"))
    };
    assert!(eventually(Duration::from_secs(10), || db
        .stats()
        .stall_stops
        >= 1));
    // Closing wakes the stopped writer with an error; the gate is opened so the
    // compaction thread can be joined.
    let closer = {
        let db = db.clone();
        std::thread::spawn(move || db.close())
    };
    let r = writer.join().unwrap();
    assert!(
        matches!(r, Err(shale_engine::StorageError::Closed)),
        "stopped writer after close: {r:?}"
    );
    gate.open();
    closer.join().unwrap().unwrap();
}
