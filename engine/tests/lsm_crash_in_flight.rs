//! Power cuts while several writers have batches in flight (and flushes, compactions and
//! WAL rolls run in the background), in every durability mode:
//! - a batch is all-or-nothing after recovery;
//! - each writer's surviving batches are a prefix of what it issued (it waits for one
//!   before issuing the next);
//! - the survivors are a prefix of the log: no batch is missing below the newest one kept;
//! - under `Sync`, every acknowledged batch survives.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use shale_engine::lsm::{Db, DbOptions, Durability};
use shale_engine::WriteBatch;
use shale_io::FaultFs;

const WRITERS: u64 = 3;
const KEYS_PER_BATCH: u64 = 3;
/// Batches per writer at most, so a round is bounded even if the crash comes late.
const MAX_BATCHES: u64 = 400;
const ROUNDS_PER_MODE: u64 = 8;

fn key(writer: u64, batch: u64, j: u64) -> Vec<u8> {
    format!("w{writer}-b{batch:05}-k{j}").into_bytes()
}

fn value(writer: u64, batch: u64) -> Vec<u8> {
    let mut v = format!("value of {writer}/{batch} ").into_bytes();
    v.resize(200 + (batch % 7) as usize * 40, b'.');
    v
}

fn open(fs: &Arc<FaultFs>, durability: Durability) -> Db {
    Db::open(
        DbOptions::new("/db")
            .with_fs(fs.clone())
            .tiny()
            .with_durability(durability),
    )
    .unwrap()
}

/// What a writer saw acknowledged: (batch number, sequence number) in issue order.
type Acks = Vec<(u64, u64)>;

fn run_round(durability: Durability, seed: u64) {
    let fs = Arc::new(FaultFs::new());
    let db = Arc::new(open(&fs, durability));
    let stop = Arc::new(AtomicBool::new(false));
    let acks: Vec<Arc<Mutex<Acks>>> = (0..WRITERS).map(|_| Arc::default()).collect();
    let writers: Vec<_> = (0..WRITERS)
        .map(|w| {
            let (db, stop, acks) = (db.clone(), stop.clone(), acks[w as usize].clone());
            std::thread::spawn(move || {
                for b in 0..MAX_BATCHES {
                    if stop.load(Ordering::SeqCst) {
                        return;
                    }
                    let mut batch = WriteBatch::new();
                    for j in 0..KEYS_PER_BATCH {
                        batch.put(key(w, b, j), value(w, b));
                    }
                    match db.write(batch) {
                        Ok(seq) => acks.lock().unwrap().push((b, seq)),
                        Err(_) => return, // the crash poisoned the engine
                    }
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(2 + seed % 13));
    fs.crash_torn(seed);
    stop.store(true, Ordering::SeqCst);
    for t in writers {
        t.join().unwrap();
    }
    drop(db);

    let db = open(&fs, durability);
    let ctx = format!("{durability:?} seed {seed}");
    let mut survivors: Vec<u64> = Vec::new(); // sequence numbers of acked batches kept
    let mut lost: Vec<u64> = Vec::new(); // ... and of acked batches lost
    for w in 0..WRITERS {
        let acked = acks[w as usize].lock().unwrap().clone();
        let mut present_prefix_ended = false;
        for b in 0..MAX_BATCHES {
            let present: Vec<bool> = (0..KEYS_PER_BATCH)
                .map(|j| {
                    let got = db.get(&key(w, b, j), None).unwrap();
                    if let Some(v) = &got {
                        assert_eq!(*v, value(w, b), "{ctx}: wrong value");
                    }
                    got.is_some()
                })
                .collect();
            assert!(
                present.iter().all(|&p| p) || present.iter().all(|&p| !p),
                "{ctx}: writer {w} batch {b} is torn: {present:?}"
            );
            let kept = present[0];
            assert!(
                !(kept && present_prefix_ended),
                "{ctx}: writer {w} batch {b} survived after a lost one"
            );
            present_prefix_ended |= !kept;
            if let Some(&(_, seq)) = acked.iter().find(|(ab, _)| *ab == b) {
                if kept {
                    survivors.push(seq);
                } else {
                    lost.push(seq);
                }
            }
        }
    }
    if durability == Durability::Sync {
        assert!(
            lost.is_empty(),
            "{ctx}: acknowledged batches lost: {lost:?}"
        );
    }
    // The log keeps a prefix: nothing acknowledged below the newest survivor is missing.
    if let Some(&newest) = survivors.iter().max() {
        assert!(
            lost.iter().all(|&s| s > newest),
            "{ctx}: lost {lost:?} below surviving seq {newest}"
        );
    }
    db.close().unwrap();
}

#[test]
fn sync_keeps_every_acknowledged_batch_whole() {
    for seed in 0..ROUNDS_PER_MODE {
        run_round(Durability::Sync, seed);
    }
}

#[test]
fn none_and_buffered_lose_only_a_suffix_and_never_tear_a_batch() {
    for seed in 0..ROUNDS_PER_MODE {
        run_round(Durability::None, 100 + seed);
        run_round(
            Durability::Buffered {
                interval: Duration::from_millis(3),
            },
            200 + seed,
        );
    }
}
