//! Checkpoints: a consistent copy of the flushed state that opens as a database of its own.

use std::sync::Arc;

use shale_engine::lsm::{Db, DbOptions};
use shale_io::FaultFs;

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
