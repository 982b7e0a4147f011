//! The mmap backend: files opened read-only (the immutable SSTables) are read through a
//! memory map; anything writable goes through plain pread/pwrite, because a map of a file
//! that is still growing would have to be remapped on every append.

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
