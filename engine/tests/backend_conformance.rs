//! The backend conformance suite (`shale_engine::conformance`), run against the reference
//! `MemBackend`, the LSM engine on the fault-injecting file system with tiny sizes (so
//! flushes and compactions happen), and the LSM engine on every real I/O backend.

use std::path::Path;
use std::sync::Arc;

use shale_engine::conformance::{basic_suite, capability_suite, key};
use shale_engine::lsm::{Db, DbOptions};
use shale_engine::{Backend, MemBackend};
use shale_io::clock::ManualClock;
use shale_io::{FaultFs, IoBackend};

const START_MICROS: u64 = 1_700_000_000_000_000;

#[test]
fn mem_backend_passes_the_suite() {
    basic_suite(&MemBackend::new());
}

#[test]
fn mem_backend_has_every_capability_but_checkpoints() {
    let clock = ManualClock::new(START_MICROS);
    let b = MemBackend::with_clock(Arc::new(clock.clone()));
    capability_suite(&b, &clock, None);
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
    let open = |dir: &Path| -> Arc<dyn Backend> { Arc::new(Db::open(opts(dir)).unwrap()) };
    capability_suite(&db, &clock, Some((Path::new("/checkpoints"), &open)));
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
