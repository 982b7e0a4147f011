//! Model-based test: random operations against the LSM engine (on `FaultFs`, with tiny
//! sizes so flushes and compactions run) and against a `BTreeMap` model, including
//! snapshots, reopen and crashes. Under `Durability::Sync` every acknowledged write must
//! survive a crash, and a batch is all-or-nothing. proptest prints the failing case.

use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::Arc;

use proptest::prelude::*;
use shale_engine::lsm::{Db, DbOptions};
use shale_engine::{Direction, Snapshot, WriteBatch};
use shale_io::FaultFs;

/// Distinct keys: few, so operations collide and versions pile up.
const KEY_SPACE: u8 = 24;
/// Operations per case.
const MAX_OPS: usize = 60;
/// Cases per run (kept small: CI has 2 cores).
const CASES: u32 = 48;

type Model = BTreeMap<Vec<u8>, Vec<u8>>;

#[derive(Debug, Clone)]
enum Op {
    Put(u8, Vec<u8>),
    Delete(u8),
    Batch(Vec<(u8, Option<Vec<u8>>)>),
    Get(u8),
    Scan(u8, u8, bool),
    TakeSnapshot,
    ReadSnapshot(usize, bool),
    DropSnapshot(usize),
    Flush,
    Compact,
    Reopen,
    Crash,
    CrashTorn(u64),
}

fn value() -> impl Strategy<Value = Vec<u8>> {
    (0u8..=255, 0usize..300).prop_map(|(b, n)| vec![b; n])
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (0..KEY_SPACE, value()).prop_map(|(k, v)| Op::Put(k, v)),
        2 => (0..KEY_SPACE).prop_map(Op::Delete),
        2 => prop::collection::vec((0..KEY_SPACE, prop::option::of(value())), 1..6).prop_map(Op::Batch),
        2 => (0..KEY_SPACE).prop_map(Op::Get),
        2 => (0..KEY_SPACE, 0..KEY_SPACE, any::<bool>()).prop_map(|(a, b, r)| Op::Scan(a, b, r)),
        2 => Just(Op::TakeSnapshot),
        2 => (0usize..4, any::<bool>()).prop_map(|(i, r)| Op::ReadSnapshot(i, r)),
        1 => (0usize..4).prop_map(Op::DropSnapshot),
        1 => Just(Op::Flush),
        2 => Just(Op::Compact),
        1 => Just(Op::Reopen),
        1 => Just(Op::Crash),
        1 => any::<u64>().prop_map(Op::CrashTorn),
    ]
}

fn key(k: u8) -> Vec<u8> {
    vec![b'k', k]
}

fn open(fs: &Arc<FaultFs>) -> Db {
    let mut opts = DbOptions::new("/db").with_fs(fs.clone()).tiny();
    opts.wal_segment_bytes = 16 << 10;
    Db::open(opts).expect("open")
}

fn scan_model(
    m: &Model,
    lo: Bound<Vec<u8>>,
    hi: Bound<Vec<u8>>,
    reverse: bool,
) -> Vec<(Vec<u8>, Vec<u8>)> {
    let it = m.range((lo, hi)).map(|(k, v)| (k.clone(), v.clone()));
    if reverse {
        it.rev().collect()
    } else {
        it.collect()
    }
}

fn scan_db(
    db: &Db,
    lo: Bound<Vec<u8>>,
    hi: Bound<Vec<u8>>,
    reverse: bool,
    snap: Option<&Snapshot>,
) -> Vec<(Vec<u8>, Vec<u8>)> {
    let dir = if reverse {
        Direction::Reverse
    } else {
        Direction::Forward
    };
    db.scan(lo, hi, dir, snap)
        .expect("scan")
        .map(|r| r.expect("scan item"))
        .map(shale_engine::value::owned_pair)
        .collect()
}

fn check_all(db: &Db, model: &Model) {
    assert_eq!(
        scan_db(db, Bound::Unbounded, Bound::Unbounded, false, None),
        scan_model(model, Bound::Unbounded, Bound::Unbounded, false)
    );
}

fn run(ops: Vec<Op>) -> shale_engine::lsm::DbStats {
    let fs = Arc::new(FaultFs::new());
    let mut db = open(&fs);
    let mut model = Model::new();
    let mut snaps: Vec<(Snapshot, Model)> = Vec::new();
    for op in ops {
        match op {
            Op::Put(k, v) => {
                db.put(&key(k), &v).unwrap();
                model.insert(key(k), v);
            }
            Op::Delete(k) => {
                db.delete(&key(k)).unwrap();
                model.remove(&key(k));
            }
            Op::Batch(items) => {
                let mut b = WriteBatch::new();
                for (k, v) in items {
                    match v {
                        Some(v) => {
                            b.put(key(k), v.clone());
                            model.insert(key(k), v);
                        }
                        None => {
                            b.delete(key(k));
                            model.remove(&key(k));
                        }
                    }
                }
                db.write(b).unwrap();
            }
            Op::Get(k) => assert_eq!(db.get(&key(k), None).unwrap(), model.get(&key(k)).cloned()),
            Op::Scan(a, b, reverse) => {
                let (lo, hi) = (
                    Bound::Included(key(a.min(b))),
                    Bound::Excluded(key(a.max(b))),
                );
                assert_eq!(
                    scan_db(&db, lo.clone(), hi.clone(), reverse, None),
                    scan_model(&model, lo, hi, reverse)
                );
            }
            Op::TakeSnapshot => {
                if snaps.len() < 4 {
                    snaps.push((db.snapshot(), model.clone()));
                }
            }
            Op::ReadSnapshot(i, reverse) => {
                if let Some((s, m)) = snaps.get(i % snaps.len().max(1)) {
                    assert_eq!(
                        scan_db(&db, Bound::Unbounded, Bound::Unbounded, reverse, Some(s)),
                        scan_model(m, Bound::Unbounded, Bound::Unbounded, reverse)
                    );
                    for k in 0..KEY_SPACE {
                        assert_eq!(db.get(&key(k), Some(s)).unwrap(), m.get(&key(k)).cloned());
                    }
                }
            }
            Op::DropSnapshot(i) => {
                if !snaps.is_empty() {
                    let i = i % snaps.len();
                    snaps.remove(i);
                }
            }
            Op::Flush => db.flush().unwrap(),
            Op::Compact => db.compact_range(None, None).unwrap(),
            Op::Reopen => {
                snaps.clear();
                db.close().unwrap();
                drop(db);
                db = open(&fs);
                check_all(&db, &model);
            }
            Op::Crash | Op::CrashTorn(_) => {
                snaps.clear();
                match op {
                    Op::CrashTorn(seed) => fs.crash_torn(seed),
                    _ => fs.crash(),
                }
                drop(db);
                db = open(&fs);
                // Sync durability: every acknowledged write survived.
                check_all(&db, &model);
            }
        }
    }
    check_all(&db, &model);
    drop(snaps);
    db.compact_range(None, None).unwrap();
    check_all(&db, &model);
    db.stats()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: CASES, ..ProptestConfig::default() })]

    #[test]
    fn lsm_matches_model(ops in prop::collection::vec(op(), 1..MAX_OPS)) {
        let _ = run(ops);
    }
}

/// A fixed long run that surely flushes and compacts, as a regression anchor.
#[test]
fn long_fixed_history_flushes_and_compacts() {
    let mut ops = Vec::new();
    for i in 0..400u32 {
        let k = (i * 7 % u32::from(KEY_SPACE)) as u8;
        ops.push(if i.is_multiple_of(5) {
            Op::Delete(k)
        } else {
            Op::Put(k, vec![i as u8; 200])
        });
        if i.is_multiple_of(50) {
            ops.push(Op::TakeSnapshot);
        }
        if i.is_multiple_of(97) {
            ops.push(Op::CrashTorn(u64::from(i)));
        }
        if i.is_multiple_of(61) {
            ops.push(Op::ReadSnapshot(i as usize, i.is_multiple_of(2)));
        }
    }
    let stats = run(ops);
    assert!(stats.flushes > 0 && stats.compactions > 0, "{stats:?}");
}
