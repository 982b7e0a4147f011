//! The parts point-in-time restore is built from, end to end: a checkpoint, plus the
//! source's WAL (live segments and the archive kept by `archive_wal`) replayed from the
//! checkpoint's LSN up to a chosen commit time, reproduce exactly the state the source
//! had at that time, for every time between the checkpoint and the last write. Commit
//! times come from a manual clock, so "restore to second T" is exact and fast.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use shale_engine::lsm::batch_codec::{decode_batch, RECORD_KIND_BATCH};
use shale_engine::lsm::{Db, DbOptions};
use shale_engine::{BatchOp, WriteBatch};
use shale_io::clock::{Clock, ManualClock};
use shale_io::{FaultFs, FileSystem};

type Model = BTreeMap<Vec<u8>, Vec<u8>>;

fn key(i: u32) -> Vec<u8> {
    format!("k{i:04}").into_bytes()
}

fn opts(dir: &str, fs: &Arc<FaultFs>, clock: &ManualClock) -> DbOptions {
    let mut o = DbOptions::new(dir)
        .with_fs(fs.clone())
        .with_clock(Arc::new(clock.clone()))
        .tiny();
    o.archive_wal = true;
    o
}

/// Restores the checkpoint at `ckpt` (copied to `into`) to commit time `t_micros` by
/// replaying the source WAL from `from_lsn`, and returns the restored contents.
fn restore(
    fs: &Arc<FaultFs>,
    clock: &ManualClock,
    from_lsn: u64,
    t_micros: u64,
    into: &str,
) -> Model {
    let fs_dyn: Arc<dyn FileSystem> = fs.clone();
    // A fresh copy of the checkpoint for each restore.
    fs.create_dir_all(Path::new(into)).unwrap();
    for name in fs.list_dir(Path::new("/ckpt")).unwrap() {
        let from = Path::new("/ckpt").join(&name);
        if fs.exists(&from).unwrap() && fs.list_dir(&from).is_err() {
            fs.link_or_copy(&from, &Path::new(into).join(&name))
                .unwrap();
        }
    }
    fs.sync_dir(Path::new(into)).unwrap();
    let restored = Db::open(opts(into, fs, clock)).unwrap();
    for rec in shale_wal::read_dir(fs_dyn, Path::new("/src/wal"), from_lsn).unwrap() {
        let rec = rec.unwrap();
        if rec.timestamp_micros > t_micros {
            break;
        }
        assert_eq!(rec.kind, RECORD_KIND_BATCH);
        restored.write(decode_batch(&rec.payload).unwrap()).unwrap();
    }
    let state = Db::scan(
        &restored,
        std::ops::Bound::Unbounded,
        std::ops::Bound::Unbounded,
        shale_engine::Direction::Forward,
        None,
    )
    .unwrap()
    .map(Result::unwrap)
    .collect();
    restored.close().unwrap();
    state
}

#[test]
fn checkpoint_plus_archived_wal_restores_every_second() {
    let fs = Arc::new(FaultFs::new());
    let clock = ManualClock::new(1_700_000_000_000_000);
    let db = Db::open(opts("/src", &fs, &clock)).unwrap();
    let mut model = Model::new();
    for i in 0..200u32 {
        db.put(&key(i), format!("base{i}").as_bytes()).unwrap();
        model.insert(key(i), format!("base{i}").into_bytes());
    }
    let ckpt = db.checkpoint(Path::new("/ckpt")).unwrap();
    // One second per round: puts, deletes and a batch, with flushes so older WAL
    // segments move to the archive while this goes on.
    let mut states: Vec<(u64, Model)> = vec![(clock.now_micros(), model.clone())];
    for round in 0..12u32 {
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
        for op in batch.ops() {
            match op {
                BatchOp::Put { key, value } => {
                    model.insert(key.clone(), value.clone());
                }
                BatchOp::Delete { key } => {
                    model.remove(key);
                }
            }
        }
        db.write(batch).unwrap();
        if round % 3 == 2 {
            db.flush().unwrap();
        }
        states.push((clock.now_micros(), model.clone()));
    }
    let archived = fs.list_dir(Path::new("/src/wal/archive")).unwrap().len();
    assert!(archived > 0, "the run should have archived WAL segments");

    for (i, (t, want)) in states.iter().enumerate() {
        let got = restore(&fs, &clock, ckpt.wal_lsn + 1, *t, &format!("/restore{i}"));
        assert_eq!(&got, want, "restore to second {i}");
    }
    db.close().unwrap();
}
