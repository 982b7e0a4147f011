//! The same file-system contract, checked against every real backend and the fault one.

use std::path::Path;

use shale_io::{FaultFs, FileSystem, IoBackend, OpenMode};

fn exercise(fs: &dyn FileSystem, dir: &Path) {
    fs.create_dir_all(dir).unwrap();
    let p = dir.join("data");
    let f = fs.open(&p, OpenMode::CreateNew).unwrap();
    assert!(
        fs.open(&p, OpenMode::CreateNew).is_err(),
        "CreateNew on an existing file"
    );
    f.write_all_at(b"hello world", 0).unwrap();
    f.write_all_at(b"W", 6).unwrap();
    // Starting writeback of a written range, or of one past the end, is accepted and
    // changes nothing a reader sees.
    f.start_writeback(0, 11).unwrap();
    f.start_writeback(4, 1 << 20).unwrap();
    f.start_writeback(11, 0).unwrap();
    f.sync_data().unwrap();
    fs.sync_dir(dir).unwrap();
    assert_eq!(f.len().unwrap(), 11);
    let mut buf = [0u8; 5];
    f.read_exact_at(&mut buf, 6).unwrap();
    assert_eq!(&buf, b"World");
    assert_eq!(f.read_at(&mut buf, 11).unwrap(), 0, "read at end of file");
    f.set_len(5).unwrap();
    drop(f);

    // Read-only reopen sees the truncated content (through mmap on the mmap backend).
    let r = fs.open(&p, OpenMode::Read).unwrap();
    assert_eq!(r.read_to_vec().unwrap(), b"hello");
    assert!(r.write_all_at(b"x", 0).is_err() || !matches!(fs_kind(fs), "mmap"));
    let mut long = [0u8; 10];
    assert!(
        r.read_exact_at(&mut long, 0).is_err(),
        "read_exact past the end"
    );

    vectored_reads(fs, &dir.join("vectored"));

    fs.rename(&p, &dir.join("renamed")).unwrap();
    assert!(!fs.exists(&p).unwrap());
    assert_eq!(fs.list_dir(dir).unwrap(), vec!["renamed".to_string()]);
    fs.link_or_copy(&dir.join("renamed"), &dir.join("linked"))
        .unwrap();
    assert_eq!(
        fs.open(&dir.join("linked"), OpenMode::Read)
            .unwrap()
            .read_to_vec()
            .unwrap(),
        b"hello"
    );
    fs.remove_file(&dir.join("renamed")).unwrap();
    assert_eq!(fs.list_dir(dir).unwrap(), vec!["linked".to_string()]);
    assert_eq!(
        fs.open(&dir.join("missing"), OpenMode::Read)
            .unwrap_err()
            .kind(),
        std::io::ErrorKind::NotFound
    );
    fs.remove_dir_all(dir).unwrap();
    assert!(!fs.exists(dir).unwrap());
}

/// `read_exact_vectored_at`: consecutive ranges into one buffer each, more ranges than
/// one `preadv` takes, an empty range among them, buffers that held bytes before; then
/// a read past the end and mismatched lengths. Read through a read-only handle (a map on
/// the mmap backend), then the file is removed.
fn vectored_reads(fs: &dyn FileSystem, path: &Path) {
    let bytes: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    let w = fs.open(path, OpenMode::CreateNew).unwrap();
    w.write_all_at(&bytes, 0).unwrap();
    w.sync_data().unwrap();
    drop(w);
    let r = fs.open(path, OpenMode::Read).unwrap();
    let mut lens: Vec<usize> = (0..150).map(|i| 500 + i * 7).collect();
    lens[3] = 0;
    let mut bufs: Vec<Vec<u8>> = lens.iter().map(|_| vec![0xEE; 100]).collect();
    let offset = 1234;
    r.read_exact_vectored_at(&mut bufs, &lens, offset).unwrap();
    let mut at = offset as usize;
    for (i, (buf, &len)) in bufs.iter().zip(&lens).enumerate() {
        assert_eq!(buf[..], bytes[at..at + len], "range {i}");
        at += len;
    }
    let past_end = [1000, bytes.len()];
    let mut two = vec![Vec::new(), Vec::new()];
    let err = r
        .read_exact_vectored_at(&mut two, &past_end, 0)
        .unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::UnexpectedEof);
    let err = r.read_exact_vectored_at(&mut two, &[10], 0).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    // `read_exact_into`: the buffer's old bytes and length are replaced, whether its
    // capacity is smaller or larger than the read.
    for (old, len) in [(vec![0xEE; 10], 4096), (vec![0xEE; 9000], 5)] {
        let mut buf = old;
        r.read_exact_into(&mut buf, len, 777).unwrap();
        assert_eq!(buf[..], bytes[777..777 + len], "{len} bytes");
    }
    let mut buf = vec![1u8; 3];
    let err = r
        .read_exact_into(&mut buf, 2, bytes.len() as u64 - 1)
        .unwrap_err();
    assert_eq!(
        err.kind(),
        std::io::ErrorKind::UnexpectedEof,
        "past the end"
    );
    drop(r);
    fs.remove_file(path).unwrap();
}

fn fs_kind(fs: &dyn FileSystem) -> &'static str {
    if format!("{fs:?}").starts_with("MmapFs") {
        "mmap"
    } else {
        "other"
    }
}

#[test]
fn every_real_backend_honours_the_contract() {
    for backend in IoBackend::ALL {
        let tmp = tempfile::tempdir().unwrap();
        let fs = match backend.build() {
            Ok(fs) => fs,
            Err(e) if backend.may_skip_when_unavailable() => {
                eprintln!("io_uring unavailable here ({e}); skipping that backend");
                continue;
            }
            Err(e) => panic!("{backend:?}: {e}"),
        };
        exercise(fs.as_ref(), &tmp.path().join("d"));
    }
}

#[test]
fn fault_fs_honours_the_contract() {
    exercise(&FaultFs::new(), Path::new("/mem/d"));
}
