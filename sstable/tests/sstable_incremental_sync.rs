//! A table being written starts its writeback every `sync_every_bytes` (so it never
//! reaches the disk as one large burst behind which WAL syncs wait), or not at all when
//! that is 0; either way it is synced once, at `finish`, and reads back the same.

use std::path::Path;

use shale_io::{FaultFs, FileSystem, OpenMode};
use shale_sstable::{TableOptions, TableWriter, ValueKind};

/// Writes a ~4 MiB table and returns the syncs and writebacks it cost.
fn syncs_for(sync_every_bytes: u64) -> (u64, u64) {
    let fs = FaultFs::new();
    fs.create_dir_all(Path::new("/db")).unwrap();
    let path = Path::new("/db").join("t.sst");
    let file = fs.open(&path, OpenMode::CreateNew).unwrap();
    fs.sync_dir(Path::new("/db")).unwrap();
    let opts = TableOptions {
        sync_every_bytes,
        ..TableOptions::default()
    };
    let before = fs.stats();
    let mut w = TableWriter::new(file, path.clone(), opts);
    let value = vec![7u8; 1000];
    for i in 0..4000u32 {
        w.add(&i.to_be_bytes(), 1, ValueKind::Put, &value).unwrap();
    }
    let meta = w.finish().unwrap();
    assert_eq!(meta.entries, 4000);
    // Everything written is durable once `finish` returns.
    fs.crash();
    assert_eq!(fs.file_len(&path).unwrap(), meta.file_size_bytes);
    let after = fs.stats();
    (
        after.syncs - before.syncs,
        after.writebacks - before.writebacks,
    )
}

#[test]
fn a_large_table_is_written_back_as_it_is_written_and_synced_once() {
    assert_eq!(syncs_for(0), (1, 0), "only the final sync");
    let (syncs, writebacks) = syncs_for(1 << 20);
    assert_eq!(
        syncs, 1,
        "the writebacks make nothing durable; finish syncs once"
    );
    assert!(
        (3..=5).contains(&writebacks),
        "~1 writeback per MiB: {writebacks}"
    );
}
