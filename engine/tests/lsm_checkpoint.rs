//! Checkpoints: a consistent copy of the flushed state that opens as a database of its own,
//! reads back as a view without being changed, and is removed only when it is one.

mod support;

use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use shale_engine::lsm::{Db, DbOptions};
use shale_engine::{Backend, Direction, StorageError};
use shale_io::{FaultFs, FileSystem, OpenMode};
use support::key;

/// Every entry of `dir` with its bytes (a subdirectory reads as empty).
fn read_dir(fs: &dyn FileSystem, dir: &Path) -> Vec<(String, Vec<u8>)> {
    fs.list_dir(dir)
        .unwrap()
        .into_iter()
        .map(|name| {
            let bytes = fs
                .open(&dir.join(&name), OpenMode::Read)
                .and_then(|f| f.read_to_vec())
                .unwrap_or_default();
            (name, bytes)
        })
        .collect()
}

/// The view directories under the database's `history/`.
fn view_dirs(fs: &dyn FileSystem, db_dir: &Path) -> Vec<String> {
    let history = db_dir.join("history");
    if !fs.exists(&history).unwrap() {
        return Vec::new();
    }
    let mut names = fs.list_dir(&history).unwrap();
    names.retain(|n| n.starts_with("view-"));
    names
}

fn count_all(view: &dyn shale_engine::ReadView) -> usize {
    view.scan(Bound::Unbounded, Bound::Unbounded, Direction::Reverse)
        .unwrap()
        .map(Result::unwrap)
        .count()
}

#[test]
fn checkpoint_opens_with_exactly_its_data_and_accepts_new_writes() {
    let fs = Arc::new(FaultFs::new());
    let db = Db::open(DbOptions::new("/db").with_fs(fs.clone()).tiny()).unwrap();
    for i in 0..300u32 {
        db.put(&i.to_be_bytes(), format!("v{i}").as_bytes())
            .unwrap();
    }
    db.delete(&5u32.to_be_bytes()).unwrap();
    let info = db.checkpoint(std::path::Path::new("/ckpt")).unwrap();
    assert!(info.files > 0 && info.bytes > 0);
    assert_eq!(
        info.seq,
        db.visible_seq(),
        "checkpoint holds everything written before it"
    );
    // Writes after the checkpoint are not in it.
    db.put(b"after", b"x").unwrap();
    db.put(&7u32.to_be_bytes(), b"changed").unwrap();
    // The source can keep compacting (and deleting its tables) without hurting the copy.
    db.compact_range(None, None).unwrap();
    db.close().unwrap();

    let ck = Db::open(DbOptions::new("/ckpt").with_fs(fs.clone()).tiny()).unwrap();
    assert_eq!(ck.get(b"after", None).unwrap(), None);
    assert_eq!(ck.get(&5u32.to_be_bytes(), None).unwrap(), None);
    assert_eq!(
        ck.get(&7u32.to_be_bytes(), None).unwrap(),
        Some(b"v7".to_vec())
    );
    assert_eq!(
        ck.get(&299u32.to_be_bytes(), None).unwrap(),
        Some(b"v299".to_vec())
    );
    // New writes in the checkpoint are numbered above its tables, so they win.
    let seq = ck.put(&7u32.to_be_bytes(), b"in-ckpt").unwrap();
    assert!(seq > info.seq);
    ck.flush().unwrap();
    ck.compact_range(None, None).unwrap();
    drop(ck);
    fs.crash();
    let ck = Db::open(DbOptions::new("/ckpt").with_fs(fs.clone()).tiny()).unwrap();
    assert_eq!(
        ck.get(&7u32.to_be_bytes(), None).unwrap(),
        Some(b"in-ckpt".to_vec())
    );
    assert_eq!(
        ck.get(&8u32.to_be_bytes(), None).unwrap(),
        Some(b"v8".to_vec())
    );
    // Refuses to overwrite an existing database.
    let db = Db::open(DbOptions::new("/db").with_fs(fs.clone()).tiny()).unwrap();
    assert!(matches!(
        db.checkpoint(std::path::Path::new("/ckpt")),
        Err(shale_engine::StorageError::Io { op: "checkpoint", ref source, .. })
            if source.kind() == std::io::ErrorKind::AlreadyExists
    ));
    assert_eq!(db.get(b"after", None).unwrap(), Some(b"x".to_vec()));
}

#[test]
fn a_crash_with_a_checkpoint_view_open_leaves_no_view_dir_after_reopen() {
    let fs = Arc::new(FaultFs::new());
    let opts = || DbOptions::new("/db").with_fs(fs.clone()).tiny();
    let db = Db::open(opts()).unwrap();
    for i in 0..300u32 {
        db.put(&key(i), format!("v{i}").as_bytes()).unwrap();
    }
    let dir = db.default_checkpoint_dir().unwrap().join("backup-1");
    db.checkpoint(&dir).unwrap();
    db.put(&key(1u32), b"after").unwrap();
    let files = read_dir(fs.as_ref(), &dir);
    let view = db.open_checkpoint(&dir).unwrap();
    assert_eq!(view_dirs(fs.as_ref(), Path::new("/db")).len(), 1);

    fs.crash();
    // A power cut runs no destructor: the view's private directory stays behind.
    std::mem::forget(view);
    drop(db);
    assert_eq!(
        view_dirs(fs.as_ref(), Path::new("/db")).len(),
        1,
        "the crash left the view's directory"
    );

    let db = Db::open(opts()).unwrap();
    assert!(
        view_dirs(fs.as_ref(), Path::new("/db")).is_empty(),
        "open removes what views left"
    );
    assert_eq!(
        read_dir(fs.as_ref(), &dir),
        files,
        "the checkpoint is intact"
    );
    let view = db.open_checkpoint(&dir).unwrap();
    assert_eq!(view.get(&key(1u32)).unwrap(), Some(b"v1".to_vec()));
    assert_eq!(count_all(view.as_ref()), 300);
    drop(view);
    assert!(view_dirs(fs.as_ref(), Path::new("/db")).is_empty());
    assert_eq!(read_dir(fs.as_ref(), &dir), files);
    db.close().unwrap();
}

#[test]
fn a_checkpoint_view_on_the_real_file_system_leaves_the_hard_linked_files_unchanged() {
    let tmp = tempfile::tempdir().unwrap();
    let fs = shale_io::IoBackend::Std.build().unwrap();
    let opts = DbOptions::new(tmp.path().join("db"))
        .with_fs(fs.clone())
        .tiny();
    let db = Db::open(opts).unwrap();
    for i in 0..300u32 {
        db.put(&key(i), format!("v{i}").as_bytes()).unwrap();
    }
    let dir = tmp.path().join("backups").join("b1");
    db.checkpoint(&dir).unwrap();
    for i in 0..300u32 {
        db.put(&key(i), b"later").unwrap();
    }
    let files = read_dir(fs.as_ref(), &dir);
    let view = db.open_checkpoint(&dir).unwrap();
    // Churn in the source; the view's private database is on links to the same inodes.
    db.compact_range(None, None).unwrap();
    assert_eq!(count_all(view.as_ref()), 300);
    assert_eq!(view.get(&key(299u32)).unwrap(), Some(b"v299".to_vec()));
    drop(view);
    assert_eq!(read_dir(fs.as_ref(), &dir), files);
    db.remove_checkpoint(&dir).unwrap();
    assert!(!dir.exists());
    db.close().unwrap();
}

#[test]
fn only_checkpoints_are_opened_or_removed() {
    let fs = Arc::new(FaultFs::new());
    let db = Db::open(DbOptions::new("/db").with_fs(fs.clone()).tiny()).unwrap();
    db.put(b"k", b"v").unwrap();
    let not_found = |r: Result<(), StorageError>, dir: &Path| match r {
        Err(StorageError::CheckpointNotFound { dir: d }) => assert_eq!(d, dir),
        other => panic!("{}: {other:?}", dir.display()),
    };
    let opened = |dir: &Path| db.open_checkpoint(dir).map(drop);
    // A live database (it has a `wal/`), and a directory with a user's file.
    for dir in [PathBuf::from("/db"), PathBuf::from("/")] {
        not_found(opened(&dir), &dir);
        not_found(db.remove_checkpoint(&dir), &dir);
    }
    fs.create_dir_all(Path::new("/mine")).unwrap();
    let f = fs
        .open(Path::new("/mine/notes.txt"), OpenMode::CreateNew)
        .unwrap();
    f.write_all_at(b"keep me", 0).unwrap();
    not_found(db.remove_checkpoint(Path::new("/mine")), Path::new("/mine"));
    assert!(fs.exists(Path::new("/mine/notes.txt")).unwrap());
    // A restore base looks like a checkpoint but belongs to the history.
    db.set_history_retention(Some(std::time::Duration::from_secs(60)))
        .unwrap();
    let bases = fs.list_dir(Path::new("/db/history")).unwrap();
    let base = Path::new("/db/history").join(&bases[0]);
    not_found(db.remove_checkpoint(&base), &base);
    assert!(fs.exists(&base.join("CURRENT")).unwrap());
    // An interrupted checkpoint (no CURRENT yet) does not open, but can be removed.
    let dir = Path::new("/ckpt");
    db.checkpoint(dir).unwrap();
    fs.remove_file(&dir.join("CURRENT")).unwrap();
    not_found(opened(dir), dir);
    db.remove_checkpoint(dir).unwrap();
    assert!(!fs.exists(dir).unwrap());
    db.close().unwrap();
}
