//! The LSM's in-memory tail of recent log data (`Backend::recent_log_data`) agrees with
//! the commit log it shortcuts: the same blobs of the same batches in the same order;
//! it answers `None` once its byte budget evicted what a reader asks for, and after a
//! reopen for anything written before it, so a reader falls back to the WAL.

use std::sync::Arc;
use std::time::Duration;

use shale_engine::lsm::{Db, DbOptions};
use shale_engine::{Backend, BatchOp, WriteBatch};
use shale_io::clock::ManualClock;
use shale_io::FaultFs;

fn open(fs: &Arc<FaultFs>, clock: &ManualClock, tail_bytes: usize) -> Db {
    let o = DbOptions::new("/db")
        .with_fs(fs.clone())
        .with_clock(Arc::new(clock.clone()))
        .tiny()
        .with_log_tail_bytes(tail_bytes);
    let db = Db::open(o).unwrap();
    db.set_history_retention(Some(Duration::from_secs(3600)))
        .unwrap();
    db
}

/// One batch's log data: its sequence number and `(op index, blob)`s.
type Logged = (u64, Vec<(u32, Vec<u8>)>);

/// The log data of the commit log from `from`.
fn from_log(db: &Db, from: u64) -> Vec<Logged> {
    db.read_commit_log(from)
        .unwrap()
        .map(Result::unwrap)
        .filter_map(|c| {
            let blobs: Vec<(u32, Vec<u8>)> = c
                .batch
                .ops()
                .iter()
                .enumerate()
                .filter_map(|(i, op)| match op {
                    BatchOp::LogData { data } => Some((i as u32, data.clone())),
                    _ => None,
                })
                .collect();
            (!blobs.is_empty()).then_some((c.seq, blobs))
        })
        .collect()
}

fn from_tail(db: &Db, from: u64) -> Option<Vec<Logged>> {
    db.recent_log_data(from, usize::MAX)
        .map(|r| r.batches.into_iter().map(|b| (b.seq, b.blobs)).collect())
}

fn write_mixed(db: &Db, n: u32) -> Vec<u64> {
    let mut seqs = Vec::new();
    for i in 0..n {
        let mut b = WriteBatch::new();
        b.put(format!("k{i}"), "v");
        if i % 3 != 0 {
            b.log_data(format!("record {i}").into_bytes());
        }
        if i % 5 == 0 {
            b.log_data(format!("second {i}").into_bytes());
        }
        seqs.push(db.write(b).unwrap());
    }
    seqs
}

#[test]
fn the_tail_agrees_with_the_commit_log() {
    let fs = Arc::new(FaultFs::new());
    let clock = ManualClock::new(1_700_000_000_000_000);
    let db = open(&fs, &clock, 1 << 20);
    let seqs = write_mixed(&db, 200);
    for from in [seqs[0], seqs[1], seqs[57], seqs[199], seqs[199] + 1] {
        assert_eq!(
            from_tail(&db, from),
            Some(from_log(&db, from)),
            "from {from}"
        );
    }
    let page = db.recent_log_data(seqs[0], 10).unwrap();
    assert_eq!(page.batches.len(), 10);
    assert_eq!(
        page.upto_seq, page.batches[9].seq,
        "a cut-short answer says where it stops"
    );
    let all = db.recent_log_data(seqs[0], usize::MAX).unwrap();
    assert_eq!(
        all.upto_seq, seqs[199],
        "a whole answer reaches the last visible batch"
    );
}

#[test]
fn evicted_or_pre_reopen_data_is_not_answered_from_the_tail() {
    let fs = Arc::new(FaultFs::new());
    let clock = ManualClock::new(1_700_000_000_000_000);
    let db = open(&fs, &clock, 200);
    let seqs = write_mixed(&db, 100);
    assert_eq!(from_tail(&db, seqs[0]), None, "evicted: read the WAL");
    let recent = from_tail(&db, seqs[95]).expect("the newest are kept");
    assert_eq!(recent, from_log(&db, seqs[95]));
    db.close().unwrap();
    drop(db);
    let db = open(&fs, &clock, 1 << 20);
    assert_eq!(from_tail(&db, seqs[99]), None, "written before the reopen");
    let after = write_mixed(&db, 3);
    assert_eq!(from_tail(&db, after[0]), Some(from_log(&db, after[0])));
    db.close().unwrap();
    drop(db);
    // With the tail off, nothing is answered from memory.
    let db = open(&fs, &clock, 0);
    let after = write_mixed(&db, 3);
    assert_eq!(from_tail(&db, after[0]), None);
    assert_eq!(
        from_log(&db, after[0]).len(),
        3,
        "the commit log still has them"
    );
}
