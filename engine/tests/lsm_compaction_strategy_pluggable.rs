//! The compaction strategy is a seam: `DbOptions::with_compaction_strategy` swaps the
//! picker without touching the engine. A strategy that never compacts leaves every flush
//! in L0; one that delegates to `Leveled` compacts as the default does, and is really
//! the one asked; and whatever the strategy, data reads back the same after a reopen.

mod support;

use support::key;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use shale_engine::lsm::{
    CompactionJob, CompactionStrategy, Db, DbOptions, Leveled, LevelsView, NUM_LEVELS,
};
use shale_io::{FaultFs, FileSystem};
use support::eventually;

const FLUSHES: usize = 5;
const KEYS_PER_FLUSH: u64 = 50;

/// Never compacts.
#[derive(Debug)]
struct Never;

impl CompactionStrategy for Never {
    fn name(&self) -> &'static str {
        "never"
    }

    fn pick(&self, _view: &LevelsView<'_>) -> Option<CompactionJob> {
        None
    }
}

/// Leveled, counting the calls and the jobs it hands out.
#[derive(Debug)]
struct Counting {
    inner: Leveled,
    picks: AtomicU64,
    jobs: AtomicU64,
}

impl CompactionStrategy for Counting {
    fn name(&self) -> &'static str {
        "counting-leveled"
    }

    fn pick(&self, view: &LevelsView<'_>) -> Option<CompactionJob> {
        assert_eq!(view.levels.len(), NUM_LEVELS);
        self.picks.fetch_add(1, Ordering::SeqCst);
        let job = self.inner.pick(view);
        if job.is_some() {
            self.jobs.fetch_add(1, Ordering::SeqCst);
        }
        job
    }
}

fn options(fs: &Arc<dyn FileSystem>) -> DbOptions {
    let mut opts = DbOptions::new("/db").with_fs(fs.clone()).tiny();
    // Only explicit flushes make tables; L0 may hold them all without stalling writers.
    opts.memtable_bytes = 1 << 20;
    opts.l0_slowdown_files = 20;
    opts.l0_stop_files = 36;
    opts
}

/// Writes `FLUSHES` overlapping L0 tables (every flush rewrites the same keys).
fn fill(db: &Db) {
    for round in 0..FLUSHES as u64 {
        for i in 0..KEYS_PER_FLUSH {
            db.put(&key(i), format!("v{round}").as_bytes()).unwrap();
        }
        db.flush().unwrap();
    }
}

fn assert_latest(db: &Db) {
    let last = format!("v{}", FLUSHES - 1).into_bytes();
    for i in 0..KEYS_PER_FLUSH {
        assert_eq!(
            db.get(&key(i), None).unwrap(),
            Some(last.clone()),
            "key {i}"
        );
    }
}

#[test]
fn a_strategy_that_never_compacts_leaves_every_flush_in_l0() {
    let fs: Arc<dyn FileSystem> = Arc::new(FaultFs::new());
    let db = Db::open(options(&fs).with_compaction_strategy(Arc::new(Never))).unwrap();
    fill(&db);
    // Give the compaction thread time to (not) act: it polls at least every 100 ms.
    std::thread::sleep(Duration::from_millis(300));
    let stats = db.stats();
    assert_eq!(stats.levels[0].files, FLUSHES);
    assert_eq!(stats.compactions, 0);
    assert_latest(&db);
    db.close().unwrap();
    drop(db);
    // The strategy is not persisted: reopened with the default, L0 drains into L1.
    let db = Db::open(options(&fs)).unwrap();
    assert!(eventually(Duration::from_secs(30), || {
        db.stats().levels[0].files < FLUSHES
    }));
    assert_latest(&db);
}

#[test]
fn a_delegating_strategy_is_the_one_the_engine_asks() {
    let fs: Arc<dyn FileSystem> = Arc::new(FaultFs::new());
    let opts = options(&fs);
    let strategy = Arc::new(Counting {
        inner: Leveled {
            l0_trigger: opts.l0_compaction_trigger,
            level_base_bytes: opts.level_base_bytes,
            level_ratio: opts.level_ratio,
            file_order: opts.level_file_order,
        },
        picks: AtomicU64::new(0),
        jobs: AtomicU64::new(0),
    });
    let trigger = opts.l0_compaction_trigger;
    let db = Db::open(opts.with_compaction_strategy(strategy.clone())).unwrap();
    fill(&db);
    assert!(eventually(Duration::from_secs(30), || {
        let s = db.stats();
        s.levels[0].files < trigger && s.compactions > 0
    }));
    // After close (threads joined), every job the strategy handed out has run: the
    // engine asked this strategy and no other (manual compaction asks none).
    db.close().unwrap();
    assert!(strategy.picks.load(Ordering::SeqCst) > 0);
    assert_eq!(db.stats().compactions, strategy.jobs.load(Ordering::SeqCst));
    assert_latest(&db);
}
