//! The plain backend: `std::fs` with positional I/O (pread/pwrite) and fdatasync.

use std::fs;
use std::io;
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::sync::Arc;

use crate::{File, FileSystem, OpenMode};

/// [`FileSystem`] over `std::fs`.
#[derive(Debug, Default, Clone)]
pub struct StdFs;

impl StdFs {
    /// A new handle; it holds no state.
    pub fn new() -> Self {
        StdFs
    }
}

/// Opens a `std::fs::File` per `mode`. Shared with the mmap and io_uring backends.
pub(crate) fn open_std(path: &Path, mode: OpenMode) -> io::Result<fs::File> {
    let mut o = fs::OpenOptions::new();
    o.read(true);
    match mode {
        OpenMode::Read => {}
        OpenMode::ReadWrite => {
            o.write(true);
        }
        OpenMode::CreateNew => {
            o.write(true).create_new(true);
        }
        OpenMode::CreateTruncate => {
            o.write(true).create(true).truncate(true);
        }
    }
    o.open(path)
}

/// A file opened through `std::fs`.
#[derive(Debug)]
pub struct StdFile {
    file: fs::File,
}

impl StdFile {
    pub(crate) fn new(file: fs::File) -> Self {
        StdFile { file }
    }
}

impl File for StdFile {
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        self.file.read_at(buf, offset)
    }
    #[cfg(target_os = "linux")]
    fn read_exact_vectored_at(
        &self,
        bufs: &mut [Vec<u8>],
        lens: &[usize],
        offset: u64,
    ) -> io::Result<()> {
        vectored::read_exact(&self.file, bufs, lens, offset)
    }
    #[cfg(target_os = "linux")]
    fn read_exact_into(&self, buf: &mut Vec<u8>, len: usize, offset: u64) -> io::Result<()> {
        vectored::read_exact(&self.file, std::slice::from_mut(buf), &[len], offset)
    }
    fn write_all_at(&self, buf: &[u8], offset: u64) -> io::Result<()> {
        self.file.write_all_at(buf, offset)
    }
    fn sync_data(&self) -> io::Result<()> {
        self.file.sync_data()
    }
    fn start_writeback(&self, offset: u64, len: u64) -> io::Result<()> {
        start_writeback(&self.file, offset, len)
    }
    fn len(&self) -> io::Result<u64> {
        Ok(self.file.metadata()?.len())
    }
    fn set_len(&self, len: u64) -> io::Result<()> {
        self.file.set_len(len)
    }
    fn link_count(&self) -> io::Result<Option<u64>> {
        link_count(&self.file)
    }
    fn map_for_writes(&self, offset: u64, len: u64) -> io::Result<Option<crate::WritableMap>> {
        // Linux only: elsewhere an fdatasync need not write back mapped pages.
        if !cfg!(target_os = "linux") {
            return Ok(None);
        }
        let file_len = self.file.metadata()?.len();
        let len = len.min(file_len.saturating_sub(offset));
        if len == 0 {
            return Ok(None);
        }
        crate::WritableMap::of(&self.file, offset, len).map(Some)
    }
}

/// The [`FileSystem`] methods on directories and names, for the backends whose files
/// are plain `std` files (`StdFs`, `MmapFs`, `UringFs`): they differ only in how they
/// open a file. Expands inside an `impl FileSystem` block.
macro_rules! std_directory_ops {
    () => {
        fn create_dir_all(&self, path: &std::path::Path) -> std::io::Result<()> {
            $crate::std_fs::std_create_dir_all(path)
        }
        fn list_dir(&self, path: &std::path::Path) -> std::io::Result<Vec<String>> {
            $crate::std_fs::std_list_dir(path)
        }
        fn remove_file(&self, path: &std::path::Path) -> std::io::Result<()> {
            std::fs::remove_file(path)
        }
        fn rename(&self, from: &std::path::Path, to: &std::path::Path) -> std::io::Result<()> {
            std::fs::rename(from, to)
        }
        fn exists(&self, path: &std::path::Path) -> std::io::Result<bool> {
            path.try_exists()
        }
        fn sync_dir(&self, path: &std::path::Path) -> std::io::Result<()> {
            $crate::std_fs::std_sync_dir(path)
        }
        fn remove_dir_all(&self, path: &std::path::Path) -> std::io::Result<()> {
            std::fs::remove_dir_all(path)
        }
        fn link_or_copy(
            &self,
            from: &std::path::Path,
            to: &std::path::Path,
        ) -> std::io::Result<()> {
            $crate::std_fs::std_link_or_copy(from, to)
        }
    };
}
pub(crate) use std_directory_ops;

impl FileSystem for StdFs {
    fn open(&self, path: &Path, mode: OpenMode) -> io::Result<Arc<dyn File>> {
        Ok(Arc::new(StdFile::new(open_std(path, mode)?)))
    }
    std_directory_ops!();
}

/// The file's hard-link count (`st_nlink`).
pub(crate) fn link_count(file: &fs::File) -> io::Result<Option<u64>> {
    use std::os::unix::fs::MetadataExt;
    Ok(Some(file.metadata()?.nlink()))
}

pub(crate) fn std_create_dir_all(path: &Path) -> io::Result<()> {
    fs::create_dir_all(path)
}

pub(crate) fn std_list_dir(path: &Path) -> io::Result<Vec<String>> {
    let mut names = Vec::new();
    for entry in fs::read_dir(path)? {
        let entry = entry?;
        if let Some(name) = entry.file_name().to_str() {
            names.push(name.to_owned());
        }
    }
    names.sort();
    Ok(names)
}

pub(crate) fn std_sync_dir(path: &Path) -> io::Result<()> {
    fs::File::open(path)?.sync_all()
}

pub(crate) fn std_link_or_copy(from: &Path, to: &Path) -> io::Result<()> {
    match fs::hard_link(from, to) {
        Ok(()) => Ok(()),
        Err(_) => fs::copy(from, to).map(|_| ()),
    }
}

/// [`File::start_writeback`] for any `std` file (the io_uring backend's too).
pub(crate) fn start_writeback(file: &fs::File, offset: u64, len: u64) -> io::Result<()> {
    writeback::start(file, offset, len)
}

/// `sync_file_range(SYNC_FILE_RANGE_WRITE)`: the one system call this module makes that
/// `std` does not wrap. A no-op off Linux.
mod writeback {
    use std::fs;
    use std::io;

    #[cfg(target_os = "linux")]
    #[allow(unsafe_code)]
    pub(super) fn start(file: &fs::File, offset: u64, len: u64) -> io::Result<()> {
        use std::os::fd::AsRawFd;
        // A length of 0 would mean "to the end of the file" to the system call; here it
        // is an empty range.
        if len == 0 {
            return Ok(());
        }
        let (Ok(offset), Ok(len)) = (i64::try_from(offset), i64::try_from(len)) else {
            return Err(io::Error::from(io::ErrorKind::InvalidInput));
        };
        // SAFETY: the descriptor is open for as long as `file` is borrowed, and the call
        // reads no memory of ours; offsets past the end of the file are allowed.
        let rc = unsafe {
            libc::sync_file_range(file.as_raw_fd(), offset, len, libc::SYNC_FILE_RANGE_WRITE)
        };
        if rc == 0 {
            Ok(())
        } else {
            Err(io::Error::last_os_error())
        }
    }

    #[cfg(not(target_os = "linux"))]
    pub(super) fn start(_file: &fs::File, _offset: u64, _len: u64) -> io::Result<()> {
        Ok(())
    }
}

/// `preadv` into the buffers' spare capacity: [`File::read_exact_vectored_at`] without
/// zero-filling the buffers first or copying out of a scratch one.
#[cfg(target_os = "linux")]
mod vectored {
    use std::fs;
    use std::io;
    use std::os::fd::AsRawFd;

    /// Ranges handed to one `preadv` (a 256 KiB read-ahead window of 4 KiB blocks is 64);
    /// more are read in further calls. Below Linux's `IOV_MAX` of 1024.
    const IOVECS_PER_CALL: usize = 64;

    pub(super) fn read_exact(
        file: &fs::File,
        bufs: &mut [Vec<u8>],
        lens: &[usize],
        mut offset: u64,
    ) -> io::Result<()> {
        crate::vectored_total(bufs, lens)?;
        for (buf, &len) in bufs.iter_mut().zip(lens) {
            buf.clear();
            buf.reserve_exact(len);
        }
        // Invariant: `bufs[..first]` are full, and each buffer's length is how many of
        // its range's bytes have been read.
        let mut first = 0;
        loop {
            while first < bufs.len() && bufs[first].len() == lens[first] {
                first += 1;
            }
            if first == bufs.len() {
                return Ok(());
            }
            let read = match preadv(file, &mut bufs[first..], &lens[first..], offset) {
                Ok(0) => {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "file shorter than requested read",
                    ))
                }
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            offset += read as u64;
            let mut left = read;
            for (buf, &len) in bufs[first..].iter_mut().zip(&lens[first..]) {
                if left == 0 {
                    break;
                }
                let took = (len - buf.len()).min(left);
                // SAFETY: the kernel wrote `read` bytes into the iovecs in order, and this
                // buffer's iovec started at its length and spanned `len - buf.len()`
                // bytes of its reserved capacity, so its next `took` bytes are
                // initialised.
                #[allow(unsafe_code)]
                unsafe {
                    buf.set_len(buf.len() + took);
                }
                left -= took;
            }
        }
    }

    /// One `preadv` of up to [`IOVECS_PER_CALL`] ranges, each buffer's unread part (from
    /// its length to `lens[i]`, within the capacity `read_exact` reserved). Returns the
    /// bytes read.
    #[allow(unsafe_code)]
    fn preadv(
        file: &fs::File,
        bufs: &mut [Vec<u8>],
        lens: &[usize],
        offset: u64,
    ) -> io::Result<usize> {
        let offset = libc::off_t::try_from(offset)
            .map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
        let mut iovecs = [libc::iovec {
            iov_base: std::ptr::null_mut(),
            iov_len: 0,
        }; IOVECS_PER_CALL];
        let mut count = 0;
        for (buf, &len) in bufs.iter_mut().zip(lens).take(IOVECS_PER_CALL) {
            let unread = len - buf.len();
            let spare = &mut buf.spare_capacity_mut()[..unread];
            iovecs[count] = libc::iovec {
                iov_base: spare.as_mut_ptr().cast(),
                iov_len: spare.len(),
            };
            count += 1;
        }
        // SAFETY: each iovec covers spare capacity of a distinct buffer that the slice
        // borrows mutably for the whole call, so the kernel writes only memory we own and
        // nothing reads it meanwhile; `count` iovecs are initialised; the descriptor is
        // open while `file` is borrowed. Writing uninitialised capacity is fine: it is
        // counted as initialised only after the call says how much it wrote. Justified by
        // YCSB E: copying blocks out of a one-buffer window was 6.3% of its CPU
        // (docs/benchmarks.md).
        let n = unsafe {
            libc::preadv(
                file.as_raw_fd(),
                iovecs.as_ptr(),
                count as libc::c_int,
                offset,
            )
        };
        usize::try_from(n).map_err(|_| io::Error::last_os_error())
    }
}
