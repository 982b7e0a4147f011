//! The backend conformance suite (`shale_engine::conformance`), run against the reference
//! `MemBackend`, the LSM engine on the fault-injecting file system with tiny sizes (so
//! flushes and compactions happen), and the LSM engine on every real I/O backend.

use std::path::Path;
use std::sync::Arc;

use shale_engine::conformance::{basic_suite, capability_suite, key};
use shale_engine::lsm::{Db, DbOptions};
use shale_engine::{Backend, MemBackend};
use shale_io::clock::ManualClock;
use shale_io::{FaultFs, FileSystem, IoBackend, OpenMode};

const START_MICROS: u64 = 1_700_000_000_000_000;

#[test]
fn mem_backend_passes_the_suite() {
    basic_suite(&MemBackend::new());
}

#[test]
fn mem_backend_has_every_capability_with_checkpoints_in_memory() {
    let clock = ManualClock::new(START_MICROS);
    let b = MemBackend::with_clock(Arc::new(clock.clone()));
    let root = b
        .default_checkpoint_dir()
        .expect("memory names a checkpoint place");
    capability_suite(&b, &clock, Some((&root, None)));
    assert!(
        !root.exists(),
        "in-memory checkpoints never touch the file system"
    );
}

#[test]
fn lsm_on_fault_fs_with_tiny_sizes_passes_the_suite() {
    let fs = Arc::new(FaultFs::new());
    let db = Db::open(DbOptions::new("/db").with_fs(fs).tiny()).unwrap();
    basic_suite(&db);
    let stats = db.stats();
    assert!(
        stats.flushes > 0,
        "tiny memtables must have flushed: {stats:?}"
    );
    db.close().unwrap();
}

#[test]
fn lsm_has_every_capability() {
    let fs = Arc::new(FaultFs::new());
    let clock = ManualClock::new(START_MICROS);
    let opts = |dir: &Path| {
        DbOptions::new(dir)
            .with_fs(fs.clone())
            .with_clock(Arc::new(clock.clone()))
            .tiny()
    };
    let db = Db::open(opts(Path::new("/db"))).unwrap();
    let root = db
        .default_checkpoint_dir()
        .expect("the LSM has a checkpoint place");
    assert_eq!(root, Path::new("/db/checkpoints"));
    let read_dir = |dir: &Path| -> Vec<(String, Vec<u8>)> {
        let names = fs.list_dir(dir).unwrap();
        names
            .into_iter()
            .map(|name| {
                let path = dir.join(&name);
                // A subdirectory does not open as a file: its contents read as empty.
                let bytes = fs
                    .open(&path, OpenMode::Read)
                    .and_then(|f| f.read_to_vec())
                    .unwrap_or_default();
                (name, bytes)
            })
            .collect()
    };
    capability_suite(&db, &clock, Some((&root, Some(&read_dir))));
    db.close().unwrap();
    drop(db);
    // Checkpoints under the database directory do not disturb its recovery.
    let db = Db::open(opts(Path::new("/db"))).unwrap();
    assert_eq!(
        db.get(b"hist-ckpt-000", None).unwrap(),
        Some(b"after".to_vec())
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
        basic_suite(&db);
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
