//! Bulk loads on the LSM (`Backend::ingest`): a load into a range nothing holds goes in
//! directly, as a table in the deepest level, and is durable, readable, overwritable and
//! part of later past views, across a crash and a reopen; a load into a range something
//! holds goes through the write path instead, with the same result for readers.

mod support;

use std::ops::Bound;
use std::sync::Arc;
use std::time::Duration;

use shale_engine::lsm::{Db, DbOptions, NUM_LEVELS};
use shale_engine::value::owned_pair;
use shale_engine::{Backend, Direction, KeyRanges, KvPair};
use shale_io::clock::{Clock, ManualClock};
use shale_io::{FaultFs, FileSystem};
use support::key;

fn opts(fs: &Arc<FaultFs>) -> DbOptions {
    DbOptions::new("/db").with_fs(fs.clone()).tiny()
}

/// `n` entries under `prefix`, sorted.
fn entries(prefix: &str, n: u32, value: &str) -> Vec<KvPair> {
    (0..n)
        .map(|i| {
            (
                format!("{prefix}{i:06}").into_bytes(),
                format!("{value}{i}").into_bytes(),
            )
        })
        .collect()
}

fn scan_prefix(db: &dyn Backend, prefix: &str) -> Vec<KvPair> {
    let mut end = prefix.as_bytes().to_vec();
    if let Some(last) = end.last_mut() {
        *last += 1;
    }
    db.scan(
        Bound::Included(prefix.as_bytes().to_vec()),
        Bound::Excluded(end),
        Direction::Forward,
        None,
    )
    .unwrap()
    .map(Result::unwrap)
    .map(owned_pair)
    .collect()
}

/// Some flushed data below the loads' ranges ("key…" sorts before "load…").
fn seed(db: &Db) {
    for i in 0..200u32 {
        db.put(&key(i), b"base").unwrap();
    }
    db.flush().unwrap();
}

#[test]
fn a_load_into_a_free_range_goes_into_the_deepest_level_and_survives_a_crash() {
    let fs = Arc::new(FaultFs::new());
    let load = entries("load", 500, "v");
    {
        let db = Db::open(opts(&fs)).unwrap();
        seed(&db);
        db.ingest(&load).unwrap();
        let stats = db.stats();
        assert_eq!(stats.ingests, 1, "a direct load");
        assert!(stats.ingest_bytes > 0);
        assert!(
            stats.levels[NUM_LEVELS - 1].files >= 1,
            "the table is in the deepest level: {:?}",
            stats.levels
        );
        assert_eq!(scan_prefix(&db, "load"), load);
        // Nothing synced after the load: it must be durable by itself.
        fs.crash();
    }
    let db = Db::open(opts(&fs)).unwrap();
    assert_eq!(scan_prefix(&db, "load"), load, "the load survives a crash");
    // Later writes win over loaded entries, also after another reopen.
    db.put(b"load000003", b"updated").unwrap();
    db.delete(b"load000004").unwrap();
    db.sync_wal().unwrap();
    drop(db);
    let db = Db::open(opts(&fs)).unwrap();
    assert_eq!(
        db.get(b"load000003", None).unwrap().as_deref(),
        Some(&b"updated"[..])
    );
    assert_eq!(db.get(b"load000004", None).unwrap(), None);
    assert_eq!(scan_prefix(&db, "load").len(), 499);
    db.compact_range(None, None).unwrap();
    assert_eq!(
        db.get(b"load000003", None).unwrap().as_deref(),
        Some(&b"updated"[..])
    );
    assert_eq!(db.get(b"load000004", None).unwrap(), None);
    assert_eq!(scan_prefix(&db, "key").len(), 200);
}

#[test]
fn a_load_into_a_range_a_table_or_memtable_holds_goes_through_the_write_path() {
    let fs = Arc::new(FaultFs::new());
    let db = Db::open(opts(&fs)).unwrap();
    seed(&db);
    // "key000100x…" sorts inside the flushed tables' range.
    let inside = entries("key000100x", 50, "in");
    db.ingest(&inside).unwrap();
    assert_eq!(db.stats().ingests, 0, "a table spans the range");
    assert_eq!(scan_prefix(&db, "key000100x"), inside);
    // An unflushed write inside the range.
    db.put(b"mem000010", b"unflushed").unwrap();
    let over_memtable = entries("mem", 30, "m");
    db.ingest(&over_memtable).unwrap();
    assert_eq!(
        db.stats().ingests,
        0,
        "the memtable holds a key in the range"
    );
    assert_eq!(
        scan_prefix(&db, "mem"),
        over_memtable,
        "the load replaced it"
    );
}

/// A load through the write path is cut into batches a WAL record can hold: 40 MiB of
/// entries over a range the memtable holds go in as three writes, all of them readable.
#[test]
fn a_large_load_through_the_write_path_is_cut_into_batches() {
    let fs = Arc::new(FaultFs::new());
    let db = Db::open(opts(&fs)).unwrap();
    seed(&db);
    db.put(b"big000000x", b"unflushed").unwrap();
    let big: Vec<KvPair> = (0..40u32)
        .map(|i| (format!("big{i:06}").into_bytes(), vec![i as u8; 1 << 20]))
        .collect();
    let writes_before = db.stats().writes;
    db.ingest(&big).unwrap();
    let stats = db.stats();
    assert_eq!(stats.ingests, 0, "the memtable holds a key in the range");
    assert_eq!(stats.writes - writes_before, 3, "batches of 16 MiB");
    let mut want = big.clone();
    want.insert(1, (b"big000000x".to_vec(), b"unflushed".to_vec()));
    assert_eq!(scan_prefix(&db, "big"), want);
}

#[test]
fn past_views_after_a_direct_load_include_it() {
    let fs = Arc::new(FaultFs::new());
    let clock = ManualClock::new(1_700_000_000_000_000);
    let db = Db::open(
        opts(&fs)
            .with_clock(Arc::new(clock.clone()))
            .with_history_retention(Duration::from_secs(3600)),
    )
    .unwrap();
    seed(&db);
    clock.advance_secs(1);
    let before = clock.now_micros();
    // The clock does not move between the load and the view: the base taken at this
    // instant before the load must not serve the view.
    db.maintain_history().unwrap();
    let load = entries("load", 300, "v");
    db.ingest(&load).unwrap();
    assert_eq!(db.stats().ingests, 1);
    let view = db.view_at(clock.now_micros(), KeyRanges::full()).unwrap();
    let seen: Vec<KvPair> = view
        .scan(
            Bound::Included(b"load".to_vec()),
            Bound::Excluded(b"loae".to_vec()),
            Direction::Forward,
        )
        .unwrap()
        .map(Result::unwrap)
        .map(owned_pair)
        .collect();
    assert_eq!(seen, load, "a view of the load's time shows it");
    drop(view);
    clock.advance_secs(1);
    db.put(b"load000001", b"later").unwrap();
    let view = db.view_at(clock.now_micros(), KeyRanges::full()).unwrap();
    assert_eq!(
        view.get(b"load000001").unwrap().as_deref(),
        Some(&b"later"[..])
    );
    assert_eq!(
        view.get(b"load000002").unwrap().as_deref(),
        Some(&b"v2"[..])
    );
    assert!(before <= clock.now_micros());
    drop(view);

    // A series of loads (a restore makes one per 32 MiB) keeps one base after the last
    // load, not one per load, and a view after the series shows all of them.
    let before_series = history_bases(&db);
    for chunk in 0..5 {
        clock.advance_secs(1);
        db.ingest(&entries(&format!("series{chunk}-"), 50, "s"))
            .unwrap();
    }
    assert_eq!(db.stats().ingests, 6);
    assert_eq!(
        history_bases(&db),
        before_series,
        "each load's base replaced the one before"
    );
    // The replaced bases' directories go at the next maintenance step.
    db.maintain_history().unwrap();
    let mut dirs = fs.list_dir(std::path::Path::new("/db/history")).unwrap();
    dirs.retain(|d| d.starts_with("base-"));
    assert_eq!(dirs.len() as f64, history_bases(&db), "{dirs:?}");
    clock.advance_secs(1);
    let view = db.view_at(clock.now_micros(), KeyRanges::full()).unwrap();
    for chunk in 0..5 {
        let key = format!("series{chunk}-000049");
        assert_eq!(
            view.get(key.as_bytes()).unwrap().as_deref(),
            Some(&b"s49"[..]),
            "{key}"
        );
    }
}

/// The restore bases the LSM keeps (its `history_bases` figure).
fn history_bases(db: &Db) -> f64 {
    Backend::stats(db)
        .figure("history_bases")
        .expect("the LSM reports its bases")
}

/// Regression (issue 16's simulation): the history thread deleted the bases a series of
/// loads replaced whenever it woke, so a caller that wants every deletion at a point it
/// chooses (`background_reclaim` off) could not have it. Off, the thread does not run,
/// and the replaced bases stay until `maintain_history`.
#[test]
fn without_background_reclaim_replaced_bases_go_only_at_maintenance() {
    let dirs = |fs: &FaultFs| {
        let mut dirs = fs.list_dir(std::path::Path::new("/db/history")).unwrap();
        dirs.retain(|d| d.starts_with("base-"));
        dirs.len()
    };
    for background in [true, false] {
        let fs = Arc::new(FaultFs::new());
        let clock = ManualClock::new(1_700_000_000_000_000);
        let db = Db::open(
            opts(&fs)
                .with_clock(Arc::new(clock.clone()))
                .with_history_retention(Duration::from_secs(3600))
                // The thread checks every interval of wall time (the manual clock never
                // makes a new base due).
                .with_history_base_interval(Duration::from_millis(5))
                .with_background_reclaim(background),
        )
        .unwrap();
        seed(&db);
        for chunk in 0..3 {
            clock.advance_secs(1);
            db.ingest(&entries(&format!("series{chunk}-"), 50, "s"))
                .unwrap();
        }
        let kept = history_bases(&db) as usize;
        // Bounded: 400 × 5 ms.
        let mut left = dirs(&fs);
        for _ in 0..400 {
            if left == kept {
                break;
            }
            std::thread::sleep(Duration::from_millis(5));
            left = dirs(&fs);
        }
        if background {
            assert_eq!(left, kept, "the thread deletes replaced bases");
        } else {
            assert!(
                left > kept,
                "replaced bases stay: {left} dirs, {kept} bases"
            );
            db.maintain_history().unwrap();
            assert_eq!(dirs(&fs), kept);
        }
    }
}
