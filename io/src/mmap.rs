//! The mmap backend: files opened read-only (the immutable SSTables) are read through a
//! memory map; anything writable goes through plain pread/pwrite, because a map of a file
//! that is still growing would have to be remapped on every append.
//!
//! Also here: [`WritableMap`], a shared writable map of a file whose length is fixed in
//! advance (a preallocated WAL segment), which any [`StdFile`] offers through
//! [`File::map_for_writes`]: an append becomes a copy into the page cache instead of a
//! `pwrite`. A 1 KiB WAL append through a map was 2.0–2.4 µs faster than a `pwrite` into
//! the same zero-filled segment on this machine's ext4, and YCSB A 1.08–1.50× faster
//! (`docs/benchmarks.md`, "Appending through a map").

use std::fs;
use std::io;
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::sync::Arc;

use crate::sigbus::GuardedMap;
use crate::std_fs::{open_std, std_directory_ops, StdFile};
use crate::{File, FileSystem, OpenMode};

/// [`FileSystem`] that maps read-only files.
#[derive(Debug, Default, Clone)]
pub struct MmapFs;

impl MmapFs {
    /// A new handle; it holds no state.
    pub fn new() -> Self {
        MmapFs
    }
}

/// A read-only file served from a memory map.
///
/// A page the kernel cannot read raises SIGBUS; the map's guard (the crate's `sigbus`
/// module) turns that into a failed copy, and from then on this file is read with
/// `pread`, which returns the real error (an `EIO`, or a short read if the file was
/// truncated).
#[derive(Debug)]
pub struct MmapFile {
    /// `None` for a file that could not be mapped (an empty one, for instance): it is
    /// read with `pread`.
    map: Option<GuardedMap>,
    /// The same file, read once the map has faulted.
    file: StdFile,
}

impl MmapFile {
    /// The map, unless the file is empty or the map has faulted.
    fn usable_map(&self) -> Option<&GuardedMap> {
        self.map.as_ref().filter(|m| !m.has_faulted())
    }
}

/// A shared, writable memory map of a range of one file, inside the length the file had
/// when it was mapped. Writes land in the page cache exactly as a `pwrite`'s would
/// (readers using `pread` see them at once), and the file's `sync_data` makes them
/// durable.
///
/// A write through a map cannot return an error: a page the kernel cannot read back in,
/// or a block a copy-on-write file system (btrfs, ZFS) cannot allocate because the disk
/// is full, raises SIGBUS instead. The map's guard (the crate's `sigbus` module) catches
/// it, and that write, with every later one, goes through `pwrite` on the same file,
/// which returns the error (`ENOSPC`, `EIO`) that poisons the engine. On ext4 and xfs an
/// overwrite of a preallocated, zero-filled segment allocates nothing.
#[derive(Debug)]
pub struct WritableMap {
    map: GuardedMap,
    /// The file offset of the map's first byte.
    offset: u64,
    /// The same file, written once the map has faulted.
    file: fs::File,
}

impl WritableMap {
    /// Maps `[offset, offset + len)` of `file` (`len` > 0, inside the file) shared and
    /// writable.
    pub(crate) fn of(file: &fs::File, offset: u64, len: u64) -> io::Result<WritableMap> {
        Ok(WritableMap {
            map: GuardedMap::writable(file, offset, len)?,
            offset,
            file: file.try_clone()?,
        })
    }

    /// The mapped length in bytes.
    pub fn len(&self) -> u64 {
        self.map.len() as u64
    }

    /// The file offset of the first mapped byte.
    pub fn start(&self) -> u64 {
        self.offset
    }

    /// The file offset just past the last mapped byte.
    pub fn end(&self) -> u64 {
        self.offset + self.len()
    }

    /// Whether nothing is mapped (never: an empty range is not mapped).
    pub fn is_empty(&self) -> bool {
        self.map.len() == 0
    }

    /// Whether a write through the map has faulted, so that writes now use `pwrite`.
    pub fn has_faulted(&self) -> bool {
        self.map.has_faulted()
    }

    /// Copies `buf` to `offset` of the file. `&mut self`: one writer at a time, so two
    /// copies into the map never race.
    ///
    /// # Errors
    /// - `InvalidInput` when `buf` does not fit inside the mapped range (callers write
    ///   outside it with `File::write_all_at`).
    /// - Once the map has faulted, `pwrite`'s.
    pub fn write_at(&mut self, buf: &[u8], offset: u64) -> io::Result<()> {
        let fits = offset
            .checked_sub(self.offset)
            .and_then(|start| usize::try_from(start).ok())
            .and_then(|start| start.checked_add(buf.len()).map(|end| (start, end)))
            .filter(|&(_, end)| end <= self.map.len());
        let Some((start, _)) = fits else {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "write past the end of a mapped file",
            ));
        };
        if self.map.write(start, buf) {
            return Ok(());
        }
        self.file.write_all_at(buf, offset)
    }
}

impl File for MmapFile {
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        if let Some(map) = self.usable_map() {
            let start = match usize::try_from(offset) {
                Ok(s) if s < map.len() => s,
                _ => return Ok(0),
            };
            let n = buf.len().min(map.len() - start);
            if map.read(start, &mut buf[..n]) {
                return Ok(n);
            }
        }
        self.file.read_at(buf, offset)
    }
    /// Yes until the map faults (or for a file that could not be mapped).
    fn reads_from_map(&self) -> bool {
        self.usable_map().is_some()
    }
    /// One copy, straight from the map into the buffer's spare capacity.
    fn read_exact_into(&self, buf: &mut Vec<u8>, len: usize, offset: u64) -> io::Result<()> {
        self.read_exact_vectored_at(std::slice::from_mut(buf), &[len], offset)
    }
    /// One copy per range, straight from the map (the default would copy twice).
    fn read_exact_vectored_at(
        &self,
        bufs: &mut [Vec<u8>],
        lens: &[usize],
        offset: u64,
    ) -> io::Result<()> {
        let total = crate::vectored_total(bufs, lens)?;
        if let Some(map) = self.usable_map() {
            let Some(mut start) = usize::try_from(offset)
                .ok()
                .filter(|s| s.checked_add(total).is_some_and(|end| end <= map.len()))
            else {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "file shorter than requested read",
                ));
            };
            let copied = bufs.iter_mut().zip(lens).all(|(buf, &len)| {
                let copied = map.read_into(start, len, buf);
                start += len;
                copied
            });
            if copied {
                return Ok(());
            }
        }
        self.file.read_exact_vectored_at(bufs, lens, offset)
    }
    fn write_all_at(&self, _buf: &[u8], _offset: u64) -> io::Result<()> {
        Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            "mmap file is read-only",
        ))
    }
    fn sync_data(&self) -> io::Result<()> {
        Ok(())
    }
    fn len(&self) -> io::Result<u64> {
        match self.usable_map() {
            Some(map) => Ok(map.len() as u64),
            None => self.file.len(),
        }
    }
    fn set_len(&self, _len: u64) -> io::Result<()> {
        Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            "mmap file is read-only",
        ))
    }
}

impl FileSystem for MmapFs {
    fn open(&self, path: &Path, mode: OpenMode) -> io::Result<Arc<dyn File>> {
        let file = open_std(path, mode)?;
        if mode.writable() {
            return Ok(Arc::new(StdFile::new(file)));
        }
        // An empty file cannot be mapped. Nor can some others: a process at
        // `vm.max_map_count` maps (one per open SSTable), or a file system without
        // `mmap`. Those are read with `pread` instead: the map only saves time.
        let map = if file.metadata()?.len() == 0 {
            None
        } else {
            GuardedMap::read_only(&file).ok()
        };
        Ok(Arc::new(MmapFile {
            map,
            file: StdFile::new(file),
        }))
    }
    std_directory_ops!();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::StdFs;

    #[test]
    fn a_writable_map_writes_what_pread_reads_and_refuses_past_its_end() {
        let dir = tempfile::tempdir().unwrap();
        let f = StdFs::new()
            .open(&dir.path().join("seg"), OpenMode::CreateNew)
            .unwrap();
        assert!(
            f.map_for_writes(0, 8192).unwrap().is_none(),
            "an empty file is not mapped"
        );
        f.write_all_at(&[0u8; 8192], 0).unwrap();
        assert!(
            f.map_for_writes(8192, 4096).unwrap().is_none(),
            "nor a range past its end"
        );
        let mut map = f
            .map_for_writes(0, 1 << 20)
            .unwrap()
            .expect("a std file maps");
        assert_eq!(map.len(), 8192, "cut at the file's length");
        map.write_at(b"hello", 4090).unwrap();
        let mut buf = [0u8; 5];
        f.read_exact_at(&mut buf, 4090).unwrap();
        assert_eq!(
            &buf, b"hello",
            "across a page boundary, seen by pread at once"
        );
        map.write_at(b"end", 8189).unwrap();
        for (offset, len) in [(8190, 3), (u64::MAX, 1), (0, 8193)] {
            let err = map.write_at(&vec![1u8; len], offset).unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "{offset}+{len}");
        }
        f.sync_data().unwrap();
        drop(map);
        let again = StdFs::new()
            .open(&dir.path().join("seg"), OpenMode::Read)
            .unwrap()
            .read_to_vec()
            .unwrap();
        assert_eq!(&again[8189..], b"end");
    }

    /// A map of a stretch in the middle of the file, at an offset that is not a page
    /// boundary, writes only there, where `pread` reads it.
    #[test]
    fn a_writable_map_of_a_range_writes_inside_it_only() {
        let dir = tempfile::tempdir().unwrap();
        let f = StdFs::new()
            .open(&dir.path().join("seg"), OpenMode::CreateNew)
            .unwrap();
        f.write_all_at(&[0u8; 4 * 4096], 0).unwrap();
        let mut map = f.map_for_writes(4096 + 100, 8192).unwrap().unwrap();
        assert_eq!((map.start(), map.end(), map.len()), (4196, 12388, 8192));
        map.write_at(b"first", 4196).unwrap();
        map.write_at(b"last", 12384).unwrap();
        for (offset, len) in [(4195, 2), (12385, 4), (0, 1)] {
            let err = map.write_at(&vec![1u8; len], offset).unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "{offset}+{len}");
        }
        drop(map);
        let back = f.read_to_vec().unwrap();
        assert_eq!(&back[4196..4201], b"first");
        assert_eq!(&back[12384..12388], b"last");
        let written: usize = back.iter().filter(|&&b| b != 0).count();
        assert_eq!(written, 9, "nothing else changed");
    }

    /// Only a mapped file says its reads come from a map: not an empty one (which
    /// cannot be mapped), nor one opened through `pread`.
    #[test]
    fn reads_come_from_a_map_only_where_a_file_is_mapped() {
        let dir = tempfile::tempdir().unwrap();
        let (full, empty) = (dir.path().join("full"), dir.path().join("empty"));
        StdFs::new()
            .open(&full, OpenMode::CreateNew)
            .unwrap()
            .write_all_at(&[1u8; 100], 0)
            .unwrap();
        StdFs::new().open(&empty, OpenMode::CreateNew).unwrap();
        let mmap = MmapFs::new();
        assert!(mmap.open(&full, OpenMode::Read).unwrap().reads_from_map());
        assert!(!mmap.open(&empty, OpenMode::Read).unwrap().reads_from_map());
        let std = StdFs::new().open(&full, OpenMode::Read).unwrap();
        assert!(!std.reads_from_map());
    }

    /// An SSTable's map faults (here: the file was truncated under it): reads come back
    /// as `pread`'s errors and answers, and the process goes on.
    #[test]
    fn a_mapped_file_that_faults_is_read_with_pread_from_then_on() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sst");
        let writer = StdFs::new().open(&path, OpenMode::CreateNew).unwrap();
        writer.write_all_at(&[7u8; 3 * 4096], 0).unwrap();
        let mapped = MmapFs::new().open(&path, OpenMode::Read).unwrap();
        assert!(mapped.reads_from_map());
        let mut bufs = vec![Vec::new(), Vec::new()];
        mapped
            .read_exact_vectored_at(&mut bufs, &[100, 4096], 8000)
            .unwrap();
        assert_eq!(bufs[1], vec![7u8; 4096]);

        writer.set_len(4096).unwrap();
        let err = mapped
            .read_exact_vectored_at(&mut bufs, &[100, 4096], 8000)
            .unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof, "pread's answer");
        let mut one = [0u8; 10];
        assert_eq!(
            mapped.read_at(&mut one, 9000).unwrap(),
            0,
            "past the new end"
        );
        assert_eq!(mapped.read_at(&mut one, 10).unwrap(), 10);
        assert_eq!(one, [7u8; 10], "the intact part, through pread");
        assert_eq!(mapped.len().unwrap(), 4096, "the file's length now");
        assert!(!mapped.reads_from_map(), "pread from the fault on");
    }

    /// A WAL segment's map faults: the write that faulted, and every later one, goes
    /// through `pwrite`, so it reaches the file (or returns `pwrite`'s error).
    #[test]
    fn a_writable_map_that_faults_writes_with_pwrite_from_then_on() {
        let dir = tempfile::tempdir().unwrap();
        let f = StdFs::new()
            .open(&dir.path().join("seg"), OpenMode::CreateNew)
            .unwrap();
        f.write_all_at(&[0u8; 3 * 4096], 0).unwrap();
        let mut map = f.map_for_writes(0, 3 * 4096).unwrap().unwrap();
        f.set_len(4096).unwrap();
        map.write_at(b"late", 2 * 4096).unwrap();
        assert!(map.has_faulted());
        map.write_at(b"later", 10).unwrap();
        let mut buf = [0u8; 4];
        f.read_exact_at(&mut buf, 2 * 4096).unwrap();
        assert_eq!(&buf, b"late");
        let mut buf = [0u8; 5];
        f.read_exact_at(&mut buf, 10).unwrap();
        assert_eq!(&buf, b"later");
    }

    /// A file `mmap` refuses (a sysfs attribute: ENODEV) opens anyway and reads with
    /// `pread`, as a process at `vm.max_map_count` would read its next SSTable.
    #[test]
    #[cfg(target_os = "linux")]
    fn a_file_that_cannot_be_mapped_is_read_with_pread() {
        let path = Path::new("/sys/kernel/mm/transparent_hugepage/enabled");
        let Ok(expected) = fs::read(path) else {
            eprintln!("{} is not here; nothing to test", path.display());
            return;
        };
        let file = MmapFs::new().open(path, OpenMode::Read).unwrap();
        let mut buf = vec![0u8; 4096];
        let n = file.read_at(&mut buf, 0).unwrap();
        assert_eq!(&buf[..n], &expected[..]);
    }
}
