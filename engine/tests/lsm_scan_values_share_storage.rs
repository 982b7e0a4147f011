//! A scan's values share the memory they were read from: a table's cached block, or the
//! memtable's entry. Nothing is copied until the caller asks (`Value::into_vec`), and the
//! bytes are the ones written whichever source they come from.

mod support;

use support::key;

use std::ops::Bound;
use std::sync::Arc;

use shale_engine::lsm::{Db, DbOptions};
use shale_engine::{Backend, Direction, MemBackend, Value};
use shale_io::FaultFs;

fn value_of(i: u32) -> Vec<u8> {
    format!("value-{i}-").repeat(20).into_bytes()
}

fn scan_all(db: &dyn Backend) -> Vec<(Vec<u8>, Value)> {
    db.scan(Bound::Unbounded, Bound::Unbounded, Direction::Forward, None)
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

#[test]
fn values_from_tables_and_the_memtable_are_shared_and_exact() {
    let fs = Arc::new(FaultFs::new());
    let mut opts = DbOptions::new("/db").with_fs(fs).tiny();
    // Room for the newer half in the memtable (tiny's would flush it).
    opts.memtable_bytes = 1 << 20;
    let db = Db::open(opts).unwrap();
    for i in 0..100u32 {
        db.put(&key(i), &value_of(i)).unwrap();
    }
    db.flush().unwrap();
    // Half of them again, newer, in the memtable: the merge returns the newer version.
    for i in (0..100u32).step_by(2) {
        db.put(&key(i), &value_of(i + 1000)).unwrap();
    }
    assert_eq!(db.stats().flushes, 1, "the newer half is in the memtable");
    let pairs = scan_all(&db);
    assert_eq!(pairs.len(), 100);
    for (i, (k, v)) in (0..100u32).zip(&pairs) {
        assert_eq!(k, &key(i));
        let want = if i % 2 == 0 {
            value_of(i + 1000)
        } else {
            value_of(i)
        };
        assert_eq!(v, &want, "key {i}");
        assert!(v.is_shared(), "key {i}'s value was copied");
    }
    // Taking a value out gives its bytes, whatever it shared.
    let (_, v) = pairs.into_iter().nth(1).unwrap();
    assert_eq!(v.into_vec(), value_of(1));
    // A value outlives the scan, and the database's close.
    let kept = scan_all(&db).pop().unwrap().1;
    db.close().unwrap();
    assert_eq!(kept, value_of(99));
}

#[test]
fn the_reference_backend_hands_out_owned_values() {
    let mem = MemBackend::new();
    mem.put(b"k", b"v").unwrap();
    let pairs = scan_all(&mem);
    assert_eq!(pairs, vec![(b"k".to_vec(), Value::from(b"v".to_vec()))]);
    assert!(!pairs[0].1.is_shared());
}
