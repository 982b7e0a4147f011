//! History retention on the LSM, end to end through the `Backend` seam: a view of every
//! second inside the retention equals the state the database had then, across flushes
//! that move the WAL into its archive, new restore bases, trimming, and a reopen. Commit
//! times come from a manual clock, so "the state at second T" is exact and fast.

mod support;

use support::key;

use std::collections::BTreeMap;
use std::ops::Bound;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use shale_engine::lsm::{Db, DbOptions};
use shale_engine::{Backend, Direction, StorageError, WriteBatch};
use shale_io::clock::{Clock, ManualClock};
use shale_io::{FaultFs, FileSystem};

type Model = BTreeMap<Vec<u8>, Vec<u8>>;

fn opts(fs: &Arc<FaultFs>, clock: &ManualClock) -> DbOptions {
    let mut o = DbOptions::new("/src")
        .with_fs(fs.clone())
        .with_clock(Arc::new(clock.clone()))
        .tiny();
    o.history_base_interval = Duration::from_secs(4);
    o
}

fn view(db: &Db, t: u64) -> Model {
    db.view_at(t, shale_engine::KeyRanges::full())
        .unwrap()
        .scan(Bound::Unbounded, Bound::Unbounded, Direction::Forward)
        .unwrap()
        .map(Result::unwrap)
        .map(shale_engine::value::owned_pair)
        .collect()
}

/// One second of writes: puts, a delete and a batch, with a flush every third round.
fn round(db: &Db, clock: &ManualClock, model: &mut Model, round: u32) {
    clock.advance_secs(1);
    for j in 0..40u32 {
        let k = key((round * 37 + j * 11) % 260);
        // ~400 bytes, so the run spans several 64 KiB WAL segments.
        let v = format!("r{round}j{j}").repeat(60).into_bytes();
        db.put(&k, &v).unwrap();
        model.insert(k, v);
    }
    let mut batch = WriteBatch::new();
    batch
        .delete(key(round * 3))
        .put(key(round * 3 + 1), b"batched");
    model.remove(&key(round * 3));
    model.insert(key(round * 3 + 1), b"batched".to_vec());
    db.write(batch).unwrap();
    if round % 3 == 2 {
        db.flush().unwrap();
    }
}

#[test]
fn every_second_in_the_retention_is_viewable_across_bases_trimming_and_reopen() {
    let fs = Arc::new(FaultFs::new());
    let clock = ManualClock::new(1_700_000_000_000_000);
    let db = Db::open(opts(&fs, &clock)).unwrap();
    let mut model = Model::new();
    for i in 0..200u32 {
        db.put(&key(i), format!("base{i}").as_bytes()).unwrap();
        model.insert(key(i), format!("base{i}").into_bytes());
    }
    db.set_history_retention(Some(Duration::from_secs(5)))
        .unwrap();
    let mut states: Vec<(u64, Model)> = vec![(clock.now_micros(), model.clone())];
    for r in 0..12u32 {
        round(&db, &clock, &mut model, r);
        // A new base every 4 seconds bounds what a view replays.
        db.maintain_history().unwrap();
        states.push((clock.now_micros(), model.clone()));
    }
    let archived = fs.list_dir(Path::new("/src/wal/archive")).unwrap().len();
    assert!(archived > 0, "the run should have archived WAL segments");
    // The history's disk use is reported with the backend's stats.
    let figure = |name: &str| {
        // The seam's stats (the inherent `Db::stats` is the LSM's own report).
        Backend::stats(&db)
            .figure(name)
            .unwrap_or_else(|| panic!("no {name} figure"))
    };
    assert!(figure("history_bases") >= 2.0);
    assert!(figure("history_base_bytes") > 0.0);
    assert!(figure("history_archive_bytes") >= 64.0 * 1024.0);
    let bases = fs.list_dir(Path::new("/src/history")).unwrap();
    assert!(bases.len() >= 2, "several restore bases: {bases:?}");

    // 12 s of history with a 5 s retention: the bases before the cutoff's base went.
    let bounds = db.history_bounds().unwrap().unwrap();
    let cutoff = clock.now_micros() - 5_000_000;
    assert!(
        bounds.earliest_micros <= cutoff,
        "the cutoff itself stays viewable"
    );
    assert!(
        bounds.earliest_micros > states[0].0,
        "the oldest base was trimmed"
    );
    for (i, (t, want)) in states.iter().enumerate() {
        if *t < bounds.earliest_micros {
            assert!(matches!(
                db.view_at(*t, shale_engine::KeyRanges::full()),
                Err(StorageError::OutsideRetention { .. })
            ));
        } else {
            assert_eq!(&view(&db, *t), want, "view at second {i}");
        }
    }
    db.close().unwrap();
    drop(db);

    // Bases and the archive survive a reopen; views created then are cleaned up.
    let db = Db::open(opts(&fs, &clock)).unwrap();
    assert_eq!(
        db.history_bounds().unwrap().unwrap().earliest_micros,
        bounds.earliest_micros
    );
    let (t, want) = states.last().unwrap();
    assert_eq!(&view(&db, *t), want);
    let leftover: Vec<_> = fs
        .list_dir(Path::new("/src/history"))
        .unwrap()
        .into_iter()
        .filter(|n| n.starts_with("view-"))
        .collect();
    assert!(
        leftover.is_empty(),
        "a dropped view removes its directory: {leftover:?}"
    );

    // Turning retention off discards the bases and the archive: its segments go at once
    // (renamed to trash, deleted gradually), and the trash is gone once the engine closes.
    db.set_history_retention(None).unwrap();
    assert!(fs.list_dir(Path::new("/src/history")).unwrap().is_empty());
    let archive = Path::new("/src/wal/archive");
    assert!(fs
        .list_dir(archive)
        .unwrap()
        .iter()
        .all(|n| shale_io::is_trash_file_name(n)));
    db.close().unwrap();
    assert!(fs.list_dir(archive).unwrap().is_empty());
}

#[test]
fn the_commit_log_reaches_back_to_the_oldest_base_and_no_further() {
    let fs = Arc::new(FaultFs::new());
    let clock = ManualClock::new(1_700_000_000_000_000);
    let db = Db::open(opts(&fs, &clock)).unwrap();
    let mut model = Model::new();
    let before = db.put(b"early", b"1").unwrap();
    // Enough to roll several 64 KiB WAL segments, so the flush releases some.
    for i in 0..400u32 {
        let v = format!("filler{i}").repeat(40).into_bytes();
        db.put(&key(1000 + i), &v).unwrap();
        model.insert(key(1000 + i), v);
    }
    db.flush().unwrap();
    // Without retention the released WAL is gone.
    assert!(matches!(
        db.read_commit_log(before),
        Err(StorageError::LogTrimmed { .. })
    ));
    db.set_history_retention(Some(Duration::from_secs(3600)))
        .unwrap();
    let first = db.history_bounds().unwrap().unwrap().earliest_seq;
    assert!(first > before, "the log starts after the base");
    for r in 0..6u32 {
        round(&db, &clock, &mut model, r);
    }
    // Replaying the whole retained log onto the base reproduces the state.
    let mut replayed: Model = model.clone();
    replayed.insert(b"early".to_vec(), b"1".to_vec());
    let mut last_seq = first - 1;
    for c in db.read_commit_log(first).unwrap() {
        let c = c.unwrap();
        assert_eq!(c.seq, last_seq + 1, "contiguous");
        last_seq = c.seq;
        for op in c.batch.ops() {
            match op {
                shale_engine::BatchOp::Put { key, value } => {
                    replayed.insert(key.clone(), value.clone());
                }
                shale_engine::BatchOp::Delete { key } => {
                    replayed.remove(key);
                }
                shale_engine::BatchOp::LogData { .. } => {}
            }
        }
    }
    model.insert(b"early".to_vec(), b"1".to_vec());
    assert_eq!(replayed, model);
    db.close().unwrap();
}
