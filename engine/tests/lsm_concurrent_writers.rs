//! Concurrent writers (group commit) with flushes and compactions running, and readers
//! checking that every snapshot sees whole batches: each batch writes the same value to a
//! pair of keys, so a reader seeing the two keys differ has seen half a batch.

use std::ops::Bound;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use shale_engine::lsm::{Db, DbOptions};
use shale_engine::{Direction, WriteBatch};
use shale_io::FaultFs;

const WRITERS: u32 = 4;
const BATCHES_PER_WRITER: u32 = 300;
const PAIRS: u32 = 16;
/// Reader passes (bounded so the test ends even if writers are slow).
const MAX_READER_PASSES: u32 = 10_000;

fn pair_keys(p: u32) -> (Vec<u8>, Vec<u8>) {
    (
        format!("a{p:03}").into_bytes(),
        format!("b{p:03}").into_bytes(),
    )
}

#[test]
fn batches_stay_atomic_under_concurrent_writes_flushes_and_reads() {
    let fs = Arc::new(FaultFs::new());
    let mut opts = DbOptions::new("/db").with_fs(fs.clone()).tiny();
    opts.max_immutable_memtables = 3;
    let db = Arc::new(Db::open(opts).unwrap());
    let done = Arc::new(AtomicBool::new(false));
    let reader = {
        let (db, done) = (db.clone(), done.clone());
        std::thread::spawn(move || {
            let mut passes = 0;
            while !done.load(Ordering::Acquire) && passes < MAX_READER_PASSES {
                passes += 1;
                let snap = db.snapshot();
                let all: Vec<_> = db
                    .scan(
                        Bound::Unbounded,
                        Bound::Unbounded,
                        Direction::Forward,
                        Some(&snap),
                    )
                    .unwrap()
                    .map(Result::unwrap)
                    .map(shale_engine::value::owned_pair)
                    .collect();
                for p in 0..PAIRS {
                    let (a, b) = pair_keys(p);
                    let va = all.iter().find(|(k, _)| *k == a).map(|(_, v)| v);
                    let vb = all.iter().find(|(k, _)| *k == b).map(|(_, v)| v);
                    assert_eq!(va, vb, "half a batch visible for pair {p}");
                    assert_eq!(db.get(&a, Some(&snap)).unwrap().as_ref(), va);
                }
            }
            passes
        })
    };
    let writers: Vec<_> = (0..WRITERS)
        .map(|w| {
            let db = db.clone();
            std::thread::spawn(move || {
                let mut last = 0;
                for i in 0..BATCHES_PER_WRITER {
                    let p = (w * 7 + i) % PAIRS;
                    let (a, b) = pair_keys(p);
                    let v = format!("w{w}-i{i}-{}", "x".repeat(100)).into_bytes();
                    let mut batch = WriteBatch::new();
                    batch.put(a, v.clone()).put(b, v);
                    let seq = db.write(batch).unwrap();
                    assert!(seq > last, "a writer's sequence numbers increase");
                    last = seq;
                }
            })
        })
        .collect();
    for w in writers {
        w.join().unwrap();
    }
    done.store(true, Ordering::Release);
    assert!(reader.join().unwrap() > 0);
    let stats = db.stats();
    assert_eq!(stats.writes, u64::from(WRITERS * BATCHES_PER_WRITER));
    assert_eq!(stats.visible_seq, u64::from(WRITERS * BATCHES_PER_WRITER));
    assert!(stats.flushes > 0, "{stats:?}");
    assert!(stats.write_amplification > 1.0, "{stats:?}");
    drop(db);
    fs.crash();
    let db = Db::open(DbOptions::new("/db").with_fs(fs).tiny()).unwrap();
    for p in 0..PAIRS {
        let (a, b) = pair_keys(p);
        assert_eq!(db.get(&a, None).unwrap(), db.get(&b, None).unwrap());
        assert!(db.get(&a, None).unwrap().is_some());
    }
}
