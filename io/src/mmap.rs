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
use std::path::Path;
use std::sync::Arc;

use crate::std_fs::{
    open_std, std_create_dir_all, std_link_or_copy, std_list_dir, std_sync_dir, StdFile,
};
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
#[derive(Debug)]
pub struct MmapFile {
    /// `None` for an empty file, which cannot be mapped.
    map: Option<memmap2::Mmap>,
}

#[allow(unsafe_code)]
mod map {
    use super::*;

    /// Maps `file` read-only.
    pub(super) fn map_readonly(file: &fs::File) -> io::Result<memmap2::Mmap> {
        // SAFETY: memmap2 requires that the file is not modified or truncated while mapped,
        // or reads may see torn data or fault (SIGBUS). Shale maps only files it opened
        // read-only, and those are immutable by construction: SSTables are written once,
        // synced, and never changed until deleted (deletion keeps the inode alive while the
        // map exists). Another process truncating the file is outside the contract.
        unsafe { memmap2::Mmap::map(file) }
    }

    /// Copies `buf` into `map` at `start`; the caller checked `start + buf.len() <=
    /// map.len()`, and holds the map exclusively (`WritableMap::write_at` takes `&mut`).
    pub(super) fn copy_into(map: &memmap2::MmapRaw, start: usize, buf: &[u8]) {
        assert!(start + buf.len() <= map.len(), "checked by the caller");
        // SAFETY: the destination range is inside the live mapping (asserted above; the
        // mapping lives as long as `map`). It is raw memory, never borrowed as a Rust
        // reference, so nothing Rust holds is aliased; `buf` is ordinary memory, so the
        // ranges cannot overlap. No other copy into the map runs at the same time (the
        // caller has `&mut WritableMap`). What stays outside this function's control is
        // the file itself: bytes another handle or process writes to the same range
        // race with the copy (the WAL writes its segments only through this map or its
        // one writer's `pwrite`, under its sink lock), and a file shrunk below the range
        // makes the copy fault with SIGBUS (nothing in Shale shrinks a WAL segment: see
        // `File::map_for_writes`). Justified by benchmarks: a 1 KiB WAL append is 2.0–2.4 µs
        // faster this way than with `pwrite`, YCSB A 1.08–1.50× (docs/benchmarks.md,
        // "Appending through a map").
        unsafe {
            std::ptr::copy_nonoverlapping(buf.as_ptr(), map.as_mut_ptr().add(start), buf.len());
        }
    }
}

/// A shared, writable memory map of one file, of the length the file had when it was
/// mapped. Writes land in the page cache exactly as a `pwrite`'s would (readers using
/// `pread` see them at once), and the file's `sync_data` makes them durable.
///
/// Why it is opt-in (the WAL's `mmap_appends`), as RocksDB's `allow_mmap_writes` is: a
/// write through a map cannot return an error. A page the kernel cannot read back in, or
/// a block a copy-on-write file system (btrfs, ZFS) cannot allocate because the disk is
/// full, raises SIGBUS and ends the process, where `pwrite` would return an error that
/// poisons the engine. Acknowledged data is not lost either way (the next open recovers
/// the WAL), but the process dies. On ext4 and xfs an overwrite of a preallocated,
/// zero-filled segment allocates nothing.
#[derive(Debug)]
pub struct WritableMap {
    map: memmap2::MmapRaw,
}

impl WritableMap {
    /// Maps all of `file` (which is not empty) shared and writable.
    pub(crate) fn of(file: &fs::File) -> io::Result<WritableMap> {
        Ok(WritableMap {
            map: memmap2::MmapOptions::new().map_raw(file)?,
        })
    }

    /// The mapped length in bytes.
    pub fn len(&self) -> u64 {
        self.map.len() as u64
    }

    /// Whether nothing is mapped (never: an empty file is not mapped).
    pub fn is_empty(&self) -> bool {
        self.map.len() == 0
    }

    /// Copies `buf` to `offset` of the file. `&mut self`: one writer at a time, so two
    /// copies into the map never race.
    ///
    /// # Errors
    /// `InvalidInput` when `buf` does not fit inside the map (callers write past its end
    /// with `File::write_all_at`).
    pub fn write_at(&mut self, buf: &[u8], offset: u64) -> io::Result<()> {
        let fits = usize::try_from(offset)
            .ok()
            .and_then(|start| start.checked_add(buf.len()).map(|end| (start, end)))
            .filter(|&(_, end)| end <= self.map.len());
        let Some((start, _)) = fits else {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "write past the end of a mapped file",
            ));
        };
        map::copy_into(&self.map, start, buf);
        Ok(())
    }
}

impl File for MmapFile {
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        let Some(map) = &self.map else { return Ok(0) };
        let start = match usize::try_from(offset) {
            Ok(s) if s < map.len() => s,
            _ => return Ok(0),
        };
        let n = buf.len().min(map.len() - start);
        buf[..n].copy_from_slice(&map[start..start + n]);
        Ok(n)
    }
    /// One copy per range, straight from the map (the default would copy twice).
    fn read_exact_vectored_at(
        &self,
        bufs: &mut [Vec<u8>],
        lens: &[usize],
        offset: u64,
    ) -> io::Result<()> {
        let total = crate::vectored_total(bufs, lens)?;
        let map: &[u8] = self.map.as_deref().unwrap_or_default();
        let range = usize::try_from(offset)
            .ok()
            .and_then(|start| Some(start..start.checked_add(total)?))
            .and_then(|range| map.get(range))
            .ok_or_else(|| {
                io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "file shorter than requested read",
                )
            })?;
        crate::split_into(range, bufs, lens);
        Ok(())
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
        Ok(self.map.as_ref().map_or(0, |m| m.len() as u64))
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
        let map = if file.metadata()?.len() == 0 {
            None
        } else {
            Some(map::map_readonly(&file)?)
        };
        Ok(Arc::new(MmapFile { map }))
    }
    fn create_dir_all(&self, path: &Path) -> io::Result<()> {
        std_create_dir_all(path)
    }
    fn list_dir(&self, path: &Path) -> io::Result<Vec<String>> {
        std_list_dir(path)
    }
    fn remove_file(&self, path: &Path) -> io::Result<()> {
        fs::remove_file(path)
    }
    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        fs::rename(from, to)
    }
    fn exists(&self, path: &Path) -> io::Result<bool> {
        path.try_exists()
    }
    fn sync_dir(&self, path: &Path) -> io::Result<()> {
        std_sync_dir(path)
    }
    fn remove_dir_all(&self, path: &Path) -> io::Result<()> {
        fs::remove_dir_all(path)
    }
    fn link_or_copy(&self, from: &Path, to: &Path) -> io::Result<()> {
        std_link_or_copy(from, to)
    }
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
            f.map_for_writes().unwrap().is_none(),
            "an empty file is not mapped"
        );
        f.write_all_at(&[0u8; 8192], 0).unwrap();
        let mut map = f.map_for_writes().unwrap().expect("a std file maps");
        assert_eq!(map.len(), 8192);
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
}
