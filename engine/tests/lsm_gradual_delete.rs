//! Obsolete files (WAL segments after a flush, tables after a compaction) are renamed to
//! trash and deleted by the engine's deleting thread (`DbOptions::gradual_delete`,
//! `shale_io::gradual_delete`): nothing obsolete is left once the engine closes, and
//! trash that a crash left behind is removed by the next open, in the database's
//! directory, its WAL's and the WAL archive.

mod support;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use shale_engine::lsm::{Db, DbOptions, GradualDelete};
use shale_io::{FaultFs, FileSystem, OpenMode};
use support::key;

fn names(fs: &FaultFs, dir: &str) -> Vec<String> {
    fs.list_dir(Path::new(dir)).unwrap_or_default()
}

fn trash(fs: &FaultFs, dir: &str) -> Vec<String> {
    names(fs, dir)
        .into_iter()
        .filter(|n| shale_io::is_trash_file_name(n))
        .collect()
}

fn write_rounds(db: &Db, rounds: u32) {
    for round in 0..rounds {
        for i in 0..200u32 {
            db.put(&key(i), format!("value-{round}-{i}").as_bytes())
                .unwrap();
        }
        db.flush().unwrap();
    }
}

#[test]
fn obsolete_files_are_gone_once_the_engine_closes() {
    let fs = Arc::new(FaultFs::new());
    let opts = || DbOptions::new("/db").with_fs(fs.clone()).tiny();
    let db = Db::open(opts()).unwrap();
    write_rounds(&db, 6);
    db.compact_range(None, None).unwrap();
    db.close().unwrap();
    drop(db);
    assert_eq!(trash(&fs, "/db"), Vec::<String>::new());
    assert_eq!(trash(&fs, "/db/wal"), Vec::<String>::new());

    // Every table left is live: reopening finds each one and all the data.
    let db = Db::open(opts()).unwrap();
    for i in 0..200u32 {
        assert_eq!(
            db.get(&key(i), None).unwrap(),
            Some(format!("value-5-{i}").into_bytes())
        );
    }
    let live = db.stats().levels.iter().map(|l| l.files).sum::<usize>();
    let on_disk = names(&fs, "/db")
        .iter()
        .filter(|n| n.ends_with(".sst"))
        .count();
    assert_eq!(on_disk, live, "no obsolete table left on disk");
    db.close().unwrap();
}

#[test]
fn trash_left_by_a_crash_is_removed_at_open() {
    let fs = Arc::new(FaultFs::new());
    let opts = || {
        DbOptions::new("/db")
            .with_fs(fs.clone())
            .tiny()
            .with_archive_wal(true)
    };
    let db = Db::open(opts()).unwrap();
    write_rounds(&db, 2);
    db.close().unwrap();
    drop(db);
    for path in [
        "/db/000999.sst.trash",
        "/db/wal/00000000000000000001.wal.trash",
        "/db/wal/archive/00000000000000000002.wal.trash",
    ] {
        let f = fs.open(Path::new(path), OpenMode::CreateNew).unwrap();
        f.write_all_at(&[1u8; 8192], 0).unwrap();
        f.sync_data().unwrap();
    }
    for dir in ["/db", "/db/wal", "/db/wal/archive"] {
        fs.sync_dir(Path::new(dir)).unwrap();
        assert_eq!(trash(&fs, dir).len(), 1, "{dir}");
    }
    let db = Db::open(opts()).unwrap();
    db.close().unwrap();
    for dir in ["/db", "/db/wal", "/db/wal/archive"] {
        assert_eq!(trash(&fs, dir), Vec::<String>::new(), "{dir}");
    }
}

/// Removed files wait as trash while the deleting thread works through them, and only
/// then: with `gradual_delete: None` they are unlinked at once. Either way none is left
/// after the close.
#[test]
fn removed_files_wait_as_trash_only_with_gradual_deletes() {
    let waiting_before_close = |gradual: Option<GradualDelete>| {
        let fs = Arc::new(FaultFs::new());
        let db = Db::open(
            DbOptions::new("/db")
                .with_fs(fs.clone())
                .tiny()
                .with_gradual_delete(gradual),
        )
        .unwrap();
        write_rounds(&db, 6);
        db.compact_range(None, None).unwrap();
        let waiting = trash(&fs, "/db").len() + trash(&fs, "/db/wal").len();
        db.close().unwrap();
        let left = trash(&fs, "/db").len() + trash(&fs, "/db/wal").len();
        assert_eq!(left, 0, "{gradual:?}: nothing left after the close");
        waiting
    };
    // A byte per truncation and 200 ms pauses: the first file removed is still being
    // deleted when the writes end (the close then finishes it without pauses).
    let slow = GradualDelete {
        chunk_bytes: 1,
        pause: Duration::from_millis(200),
        ..GradualDelete::default()
    };
    assert!(waiting_before_close(Some(slow)) > 0, "files wait as trash");
    assert_eq!(waiting_before_close(None), 0, "unlinked at once");
}

/// A checkpoint hard-links the live tables; when compaction then removes them from the
/// live database, the deleting thread must only unlink those names, never truncate the
/// files (the checkpoint's names hold the same bytes). With 512-byte chunks and no
/// pauses, every removed table would be truncated if it were.
#[test]
#[cfg(unix)]
fn tables_hard_linked_into_a_checkpoint_keep_their_bytes() {
    let tmp = tempfile::tempdir().unwrap();
    let fs = shale_io::IoBackend::Std.build().unwrap();
    let eager = GradualDelete {
        chunk_bytes: 512,
        pause: Duration::ZERO,
        ..GradualDelete::default()
    };
    let db = Db::open(
        DbOptions::new(tmp.path().join("db"))
            .with_fs(fs.clone())
            .tiny()
            .with_gradual_delete(Some(eager)),
    )
    .unwrap();
    for i in 0..300u32 {
        db.put(&key(i), format!("v{i}").as_bytes()).unwrap();
    }
    let dir = tmp.path().join("checkpoint");
    db.checkpoint(&dir).unwrap();
    for i in 0..300u32 {
        db.put(&key(i), b"later").unwrap();
    }
    db.compact_range(None, None).unwrap();
    db.close().unwrap();
    drop(db);

    let copy = Db::open(DbOptions::new(&dir).with_fs(fs).tiny()).unwrap();
    for i in 0..300u32 {
        assert_eq!(
            copy.get(&key(i), None).unwrap(),
            Some(format!("v{i}").into_bytes())
        );
    }
    copy.close().unwrap();
}
