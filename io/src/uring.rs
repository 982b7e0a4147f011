//! The io_uring backend: every read, write and fdatasync is one submission on a ring
//! shared by all files of the file system, waited for synchronously.
//!
//! Directory operations stay on plain syscalls; they are rare and not on the data path.

use std::fs;
use std::io;
use std::os::fd::AsRawFd;
use std::path::Path;
use std::sync::Arc;

use io_uring::{opcode, types, IoUring};
use parking_lot::Mutex;

use crate::std_fs::{open_std, std_create_dir_all, std_link_or_copy, std_list_dir, std_sync_dir};
use crate::{File, FileSystem, OpenMode};

/// Submission queue depth. Operations are issued one at a time under the ring's lock, so a
/// small ring suffices.
const RING_ENTRIES: u32 = 8;

/// [`FileSystem`] whose file I/O goes through io_uring.
#[derive(Clone)]
pub struct UringFs {
    ring: Arc<Mutex<IoUring>>,
}

impl std::fmt::Debug for UringFs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("UringFs")
    }
}

impl UringFs {
    /// Sets up a ring.
    ///
    /// # Errors
    /// Fails where the kernel does not allow io_uring.
    pub fn new() -> io::Result<Self> {
        Ok(UringFs {
            ring: Arc::new(Mutex::new(IoUring::new(RING_ENTRIES)?)),
        })
    }
}

/// A file whose I/O goes through the shared ring.
pub struct UringFile {
    file: fs::File,
    ring: Arc<Mutex<IoUring>>,
}

impl std::fmt::Debug for UringFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UringFile")
            .field("fd", &self.file.as_raw_fd())
            .finish()
    }
}

#[allow(unsafe_code)]
mod submit {
    use super::*;

    /// Pushes one entry, waits for its completion and returns the result (bytes or 0).
    ///
    /// SAFETY contract for callers: any buffer the entry points at must stay valid, and not
    /// be otherwise accessed, until this function returns. It returns only after the
    /// kernel has posted the entry's completion, so a borrowed slice satisfies this.
    pub(super) fn run(ring: &Mutex<IoUring>, entry: io_uring::squeue::Entry) -> io::Result<u32> {
        let mut ring = ring.lock();
        // SAFETY: the entry's buffers are borrowed by our caller for the whole call (see
        // above), and the ring is exclusively ours under the lock, so no other submission
        // can interleave with the push/complete pair.
        unsafe {
            ring.submission()
                .push(&entry)
                .map_err(|_| io::Error::other("io_uring submission queue full"))?;
        }
        ring.submit_and_wait(1)?;
        let cqe = ring
            .completion()
            .next()
            .ok_or_else(|| io::Error::other("io_uring returned no completion"))?;
        let res = cqe.result();
        if res < 0 {
            Err(io::Error::from_raw_os_error(-res))
        } else {
            Ok(res as u32)
        }
    }
}

impl File for UringFile {
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        let len = u32::try_from(buf.len()).unwrap_or(u32::MAX);
        let e = opcode::Read::new(types::Fd(self.file.as_raw_fd()), buf.as_mut_ptr(), len)
            .offset(offset)
            .build();
        submit::run(&self.ring, e).map(|n| n as usize)
    }

    fn write_all_at(&self, mut buf: &[u8], mut offset: u64) -> io::Result<()> {
        while !buf.is_empty() {
            let len = u32::try_from(buf.len()).unwrap_or(u32::MAX);
            let e = opcode::Write::new(types::Fd(self.file.as_raw_fd()), buf.as_ptr(), len)
                .offset(offset)
                .build();
            let n = submit::run(&self.ring, e)? as usize;
            if n == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::WriteZero,
                    "io_uring wrote 0 bytes",
                ));
            }
            buf = &buf[n..];
            offset += n as u64;
        }
        Ok(())
    }

    fn sync_data(&self) -> io::Result<()> {
        let e = opcode::Fsync::new(types::Fd(self.file.as_raw_fd()))
            .flags(types::FsyncFlags::DATASYNC)
            .build();
        submit::run(&self.ring, e).map(|_| ())
    }

    fn len(&self) -> io::Result<u64> {
        Ok(self.file.metadata()?.len())
    }

    fn set_len(&self, len: u64) -> io::Result<()> {
        self.file.set_len(len)
    }
}

impl FileSystem for UringFs {
    fn open(&self, path: &Path, mode: OpenMode) -> io::Result<Arc<dyn File>> {
        Ok(Arc::new(UringFile {
            file: open_std(path, mode)?,
            ring: self.ring.clone(),
        }))
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
