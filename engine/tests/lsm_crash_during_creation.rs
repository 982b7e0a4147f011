//! A process killed, or the power cut, while `Db::open` creates a new database: every
//! point at which creation can stop leaves a directory that opens as an empty database,
//! never a "CURRENT is missing" corruption. A lost `CURRENT` beside real data is still
//! refused.
//!
//! Regression: CI's SIGKILL test killed a child while it created its database, after the
//! first manifest was synced but before `CURRENT` was installed; the next open refused the
//! directory as corrupt although nothing had ever been acknowledged.

use std::path::Path;
use std::sync::Arc;

use shale_engine::lsm::{Db, DbOptions, Durability};
use shale_engine::{StorageError, WriteBatch};
use shale_io::{FaultFs, FileSystem};

/// More syncs or writes than creating a database performs, so the loops end by
/// themselves when creation first succeeds; the bound keeps them finite regardless.
const MAX_FAULT_POINTS: u64 = 64;

fn opts(fs: &Arc<FaultFs>) -> DbOptions {
    DbOptions::new("/db")
        .with_fs(fs.clone())
        .tiny()
        .with_durability(Durability::Sync)
}

/// After a crash, the database opens empty, takes a write, and keeps it across a reopen.
fn assert_opens_empty_and_works(fs: &Arc<FaultFs>, point: &str) {
    fs.clear_faults();
    let db = Db::open(opts(fs)).unwrap_or_else(|e| panic!("reopen after {point}: {e:?}"));
    assert_eq!(db.get(b"k", None).unwrap(), None, "{point}");
    let mut batch = WriteBatch::new();
    batch.put(b"k".to_vec(), b"v".to_vec());
    db.write(batch).unwrap();
    db.close().unwrap();
    let db = Db::open(opts(fs)).unwrap();
    assert_eq!(db.get(b"k", None).unwrap(), Some(b"v".to_vec()), "{point}");
    db.close().unwrap();
    let leftovers: Vec<_> = fs
        .files()
        .into_iter()
        .filter(|p| p.ends_with("CURRENT.tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{point}: {leftovers:?}");
}

/// How creation stops.
#[derive(Clone, Copy, Debug)]
enum Stop {
    /// The process dies: everything it wrote stays, synced or not (SIGKILL).
    Kill,
    /// The power goes: a seeded prefix of each file's unsynced writes stays.
    PowerCut,
}

/// Fails creation at its `n`th sync or write, then stops it as `stop` says. Returns the
/// file system if creation got that far, i.e. the fault fired.
fn stop_creation_at(n: u64, stop: Stop, arm: impl Fn(&FaultFs, u64)) -> Option<Arc<FaultFs>> {
    let fs = Arc::new(FaultFs::new());
    arm(&fs, n);
    match Db::open(opts(&fs)) {
        Ok(db) => {
            db.close().unwrap();
            None
        }
        Err(_) => {
            if let Stop::PowerCut = stop {
                fs.crash_torn(n);
            }
            Some(fs)
        }
    }
}

/// Stops creation at each of its syncs or writes in turn, until it has none left.
fn every_stop_leaves_an_empty_database(what: &str, arm: impl Fn(&FaultFs, u64) + Copy) {
    for stop in [Stop::Kill, Stop::PowerCut] {
        let mut points = 0;
        for n in 1..=MAX_FAULT_POINTS {
            let Some(fs) = stop_creation_at(n, stop, arm) else {
                break;
            };
            assert_opens_empty_and_works(&fs, &format!("{stop:?} at {what} {n}"));
            points += 1;
        }
        assert!(
            (2..MAX_FAULT_POINTS).contains(&points),
            "creation has {points} {what}s"
        );
    }
}

#[test]
fn a_stop_at_any_sync_of_creation_leaves_an_empty_database() {
    every_stop_leaves_an_empty_database("sync", |fs, n| fs.fail_nth_sync(n));
}

#[test]
fn a_stop_at_any_write_of_creation_leaves_an_empty_database() {
    every_stop_leaves_an_empty_database("write", |fs, n| fs.fail_nth_write(n));
}

#[test]
fn a_lost_current_beside_logged_writes_is_still_corruption() {
    let fs = Arc::new(FaultFs::new());
    let db = Db::open(opts(&fs)).unwrap();
    let mut batch = WriteBatch::new();
    batch.put(b"k".to_vec(), b"v".to_vec());
    db.write(batch).unwrap();
    // A power cut keeps only what was synced: the WAL record, no table. Frozen, the
    // dropped handle's shutdown writes nothing.
    fs.crash_and_freeze(None);
    drop(db);
    fs.thaw();
    fs.remove_file(Path::new("/db/CURRENT")).unwrap();
    let err = Db::open(opts(&fs)).unwrap_err();
    assert!(
        matches!(err, StorageError::Corruption { reason, .. } if reason.contains("CURRENT is missing")),
        "{err:?}"
    );
}
