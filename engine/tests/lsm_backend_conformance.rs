//! One backend-level suite, run against the reference `MemBackend`, the LSM engine on the
//! fault-injecting file system with tiny sizes (so flushes and compactions happen), and
//! the LSM engine on every real I/O backend in a temp dir.

use std::ops::Bound;
use std::sync::Arc;

use shale_engine::backend::{MAX_KEY_BYTES, MAX_VALUE_BYTES};
use shale_engine::lsm::{Db, DbOptions};
use shale_engine::{Backend, Direction, MemBackend, StorageError, WriteBatch};
use shale_io::{FaultFs, IoBackend};

fn key(i: u32) -> Vec<u8> {
    format!("key{i:05}").into_bytes()
}

fn collect(
    b: &dyn Backend,
    start: Bound<Vec<u8>>,
    end: Bound<Vec<u8>>,
    dir: Direction,
) -> Vec<(Vec<u8>, Vec<u8>)> {
    b.scan(start, end, dir, None)
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

fn suite(b: &dyn Backend) {
    // Point operations.
    assert_eq!(b.get(b"missing", None).unwrap(), None);
    let s1 = b.put(b"a", b"1").unwrap();
    let s2 = b.put(b"a", b"2").unwrap();
    assert!(s2 > s1, "sequence numbers increase");
    assert_eq!(b.get(b"a", None).unwrap(), Some(b"2".to_vec()));
    b.delete(b"a").unwrap();
    assert_eq!(b.get(b"a", None).unwrap(), None);
    b.delete(b"never-there").unwrap();

    // Batches: atomic, later ops on a key win.
    let mut batch = WriteBatch::new();
    batch.put("b", "1").put("c", "2").delete("b").put("d", "3");
    b.write(batch).unwrap();
    assert_eq!(b.get(b"b", None).unwrap(), None);
    assert_eq!(b.get(b"c", None).unwrap(), Some(b"2".to_vec()));

    // Snapshots see the past.
    let snap = b.snapshot();
    b.put(b"c", b"changed").unwrap();
    b.delete(b"d").unwrap();
    assert_eq!(b.get(b"c", Some(&snap)).unwrap(), Some(b"2".to_vec()));
    assert_eq!(b.get(b"d", Some(&snap)).unwrap(), Some(b"3".to_vec()));
    assert_eq!(b.get(b"d", None).unwrap(), None);

    // Many keys (enough to flush and compact with tiny options), some deleted.
    for i in 0..600u32 {
        b.put(&key(i), format!("v{i}").as_bytes()).unwrap();
    }
    for i in (0..600u32).step_by(4) {
        b.delete(&key(i)).unwrap();
    }
    for i in (1..600u32).step_by(7) {
        b.put(&key(i), b"again").unwrap();
    }
    let expect_val = |i: u32| -> Option<Vec<u8>> {
        if i % 7 == 1 {
            Some(b"again".to_vec())
        } else if i.is_multiple_of(4) {
            None
        } else {
            Some(format!("v{i}").into_bytes())
        }
    };
    for i in (0..600u32).step_by(13) {
        assert_eq!(b.get(&key(i), None).unwrap(), expect_val(i), "key {i}");
    }
    let want: Vec<(Vec<u8>, Vec<u8>)> = (100..500u32)
        .filter_map(|i| expect_val(i).map(|v| (key(i), v)))
        .collect();
    let fwd = collect(
        b,
        Bound::Included(key(100)),
        Bound::Excluded(key(500)),
        Direction::Forward,
    );
    assert_eq!(fwd, want);
    let rev = collect(
        b,
        Bound::Included(key(100)),
        Bound::Excluded(key(500)),
        Direction::Reverse,
    );
    assert_eq!(rev, want.iter().rev().cloned().collect::<Vec<_>>());
    let excl = collect(
        b,
        Bound::Excluded(key(101)),
        Bound::Included(key(103)),
        Direction::Forward,
    );
    assert_eq!(
        excl.iter().map(|p| p.0.clone()).collect::<Vec<_>>(),
        vec![key(102), key(103)]
    );

    // The old snapshot still sees its state after all that churn.
    assert_eq!(b.get(b"c", Some(&snap)).unwrap(), Some(b"2".to_vec()));
    let at_snap: Vec<_> = b
        .scan(
            Bound::Unbounded,
            Bound::Unbounded,
            Direction::Forward,
            Some(&snap),
        )
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(
        at_snap,
        vec![
            (b"c".to_vec(), b"2".to_vec()),
            (b"d".to_vec(), b"3".to_vec())
        ]
    );

    // A scan is isolated from writes made after it started.
    let mut it = b
        .scan(
            Bound::Included(key(0)),
            Bound::Unbounded,
            Direction::Forward,
            None,
        )
        .unwrap();
    let first = it.next().unwrap().unwrap();
    for i in 0..600u32 {
        b.put(&key(i), b"later").unwrap();
    }
    let rest: Vec<_> = it.map(Result::unwrap).collect();
    assert_eq!(first.0, key(1));
    assert!(rest.iter().all(|(_, v)| v != b"later"));
    assert_eq!(
        rest.len() + 1,
        (0..600u32).filter(|&i| expect_val(i).is_some()).count()
    );
    // Entries no table could store are refused up front, and change nothing.
    let huge_key = vec![b'k'; MAX_KEY_BYTES + 1];
    assert!(matches!(
        b.put(&huge_key, b"v"),
        Err(StorageError::KeyTooLarge { size, max }) if size == MAX_KEY_BYTES + 1 && max == MAX_KEY_BYTES
    ));
    let mut batch = WriteBatch::new();
    batch
        .put("fine", "1")
        .put("huge", vec![0u8; MAX_VALUE_BYTES + 1]);
    assert!(matches!(
        b.write(batch),
        Err(StorageError::ValueTooLarge { .. })
    ));
    assert_eq!(
        b.get(b"fine", None).unwrap(),
        None,
        "a refused batch is all-or-nothing"
    );
    b.sync().unwrap();

    // Maintenance through the trait leaves what reads see unchanged.
    let before = collect(b, Bound::Unbounded, Bound::Unbounded, Direction::Forward);
    b.flush().unwrap();
    b.compact_range(None, None).unwrap();
    assert_eq!(
        collect(b, Bound::Unbounded, Bound::Unbounded, Direction::Forward),
        before
    );
    if let Some(stats) = b.stats() {
        // A full compaction leaves nothing in L0 and the data in one level's tables.
        assert_eq!(stats.levels[0].files, 0, "{stats:?}");
        assert!(stats.levels.iter().map(|l| l.files).sum::<usize>() > 0);
    }
}

#[test]
fn mem_backend_passes_the_suite() {
    suite(&MemBackend::new());
}

#[test]
fn lsm_on_fault_fs_with_tiny_sizes_passes_the_suite() {
    let fs = Arc::new(FaultFs::new());
    let db = Db::open(DbOptions::new("/db").with_fs(fs).tiny()).unwrap();
    suite(&db);
    let stats = db.stats();
    assert!(
        stats.flushes > 0,
        "tiny memtables must have flushed: {stats:?}"
    );
    db.close().unwrap();
}

#[test]
fn lsm_on_every_real_io_backend_passes_the_suite() {
    for backend in IoBackend::ALL {
        let dir = tempfile::tempdir().unwrap();
        let opts = match DbOptions::new(dir.path()).io_backend(backend) {
            Ok(o) => o.tiny(),
            // io_uring can be refused by the kernel or a sandbox; say so and go on
            // (unless SHALE_REQUIRE_URING=1, as in CI).
            Err(e) if backend.may_skip_when_unavailable() => {
                eprintln!("skipping {backend:?}: {e}");
                continue;
            }
            Err(e) => panic!("{backend:?}: {e}"),
        };
        let db = Db::open(opts).unwrap();
        suite(&db);
        db.close().unwrap();
        drop(db);
        // Reopen on the same backend: everything is still there.
        let db = Db::open(
            DbOptions::new(dir.path())
                .io_backend(backend)
                .unwrap()
                .tiny(),
        )
        .unwrap();
        assert_eq!(db.get(&key(5), None).unwrap(), Some(b"later".to_vec()));
        assert_eq!(db.get(b"c", None).unwrap(), Some(b"changed".to_vec()));
    }
}
