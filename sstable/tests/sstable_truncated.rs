//! A table cut short at any length (a torn copy, a crash before `finish`) or with bytes
//! appended is rejected with a corruption error at open.

mod common;

use std::path::Path;

use common::{entries, open_table, write_table};
use shale_io::{FaultFs, FileSystem, OpenMode};
use shale_sstable::{CorruptionKind, Error, TableOptions, TableWriter, ValueKind};

#[test]
fn every_truncation_is_a_typed_error() {
    let fs = FaultFs::new();
    let path = Path::new("/db/cut.sst");
    let es = entries(5, 60, 20);
    write_table(
        &fs,
        path,
        &es,
        TableOptions {
            block_size_bytes: 256,
            ..TableOptions::default()
        },
    );
    let original = fs
        .open(path, OpenMode::Read)
        .unwrap()
        .read_to_vec()
        .unwrap();
    let file = fs.open(path, OpenMode::ReadWrite).unwrap();
    for cut in 0..original.len() as u64 {
        file.set_len(cut).unwrap();
        let err = open_table(&fs, path, 1, None).expect_err("truncated table opened");
        assert!(err.is_corruption(), "cut at {cut}: {err}");
        if cut < 84 {
            assert!(matches!(
                err,
                Error::Corruption {
                    kind: CorruptionKind::FileTooShort { .. },
                    ..
                }
            ));
        }
        file.write_all_at(&original, 0).unwrap();
    }
    open_table(&fs, path, 1, None).unwrap();
}

#[test]
fn appended_garbage_is_rejected() {
    let fs = FaultFs::new();
    let path = Path::new("/db/long.sst");
    write_table(&fs, path, &entries(6, 30, 10), TableOptions::default());
    let file = fs.open(path, OpenMode::ReadWrite).unwrap();
    let len = file.len().unwrap();
    file.write_all_at(&[0u8; 3], len).unwrap();
    assert!(open_table(&fs, path, 1, None).unwrap_err().is_corruption());
}

#[test]
fn a_writer_dropped_before_finish_leaves_an_unopenable_file() {
    let fs = FaultFs::new();
    fs.create_dir_all(Path::new("/db")).unwrap();
    let path = Path::new("/db/unfinished.sst");
    let file = fs.open(path, OpenMode::CreateNew).unwrap();
    let mut w = TableWriter::new(file, path.to_path_buf(), TableOptions::default());
    for i in 0..50_000u32 {
        w.add(format!("k{i:08}").as_bytes(), 1, ValueKind::Put, &[7u8; 20])
            .unwrap();
    }
    drop(w);
    assert!(fs.file_len(path).unwrap() > 0, "some blocks were flushed");
    assert!(open_table(&fs, path, 1, None).unwrap_err().is_corruption());
}
