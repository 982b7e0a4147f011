//! The io_uring backend: every read, write and fdatasync is one submission on the calling
//! thread's own ring, waited for synchronously.
//!
//! One ring per thread, not one per file system: a ring shared under a lock would hold
//! that lock across `submit_and_wait`, so one thread's fdatasync would stall every other
//! thread's reads and writes (and group commit's write/sync overlap). A thread's ring
//! has at most one operation in flight, so its completion is always the one waited for.
//!
//! Directory operations stay on plain syscalls; they are rare and not on the data path.

use std::cell::RefCell;
use std::fs;
use std::io;
use std::os::fd::AsRawFd;
use std::path::Path;
use std::sync::Arc;

use io_uring::{opcode, types, IoUring};

use crate::std_fs::{open_std, std_directory_ops};
use crate::{File, FileSystem, OpenMode};

/// Submission queue depth. Each thread issues one operation at a time on its own ring.
const RING_ENTRIES: u32 = 4;

/// [`FileSystem`] whose file I/O goes through io_uring.
#[derive(Clone, Debug)]
pub struct UringFs {
    _private: (),
}

impl UringFs {
    /// Checks that this process may use io_uring (by setting up the calling thread's ring).
    ///
    /// # Errors
    /// Fails where the kernel does not allow io_uring.
    pub fn new() -> io::Result<Self> {
        submit::with_ring(|_| Ok(()))?;
        Ok(UringFs { _private: () })
    }
}

/// A file whose I/O goes through the calling thread's ring.
pub struct UringFile {
    file: fs::File,
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

    thread_local! {
        /// This thread's ring, set up on its first operation.
        static RING: RefCell<Option<IoUring>> = const { RefCell::new(None) };
    }

    /// Runs `f` with this thread's ring, creating it first if needed. If `f` fails, the
    /// ring is discarded: an entry it failed to submit must never be submitted later,
    /// when the buffer it points at is gone.
    pub(super) fn with_ring<T>(f: impl FnOnce(&mut IoUring) -> io::Result<T>) -> io::Result<T> {
        RING.with(|cell| {
            // Never re-entered: `f` does not call back into this module.
            let mut slot = cell.borrow_mut();
            let ring = match slot.as_mut() {
                Some(ring) => ring,
                None => slot.insert(IoUring::new(RING_ENTRIES)?),
            };
            let result = f(ring);
            if result.is_err() {
                *slot = None;
            }
            result
        })
    }

    /// Pushes one entry, waits for its completion and returns the result (bytes or 0).
    ///
    /// SAFETY contract for callers: any buffer the entry points at must stay valid, and not
    /// be otherwise accessed, until this function returns. It returns only after the
    /// kernel has posted the entry's completion, or after failing to submit it (the ring
    /// is then discarded with the entry), so a borrowed slice satisfies this.
    pub(super) fn run(entry: io_uring::squeue::Entry) -> io::Result<u32> {
        let res = with_ring(|ring| {
            // SAFETY: the entry's buffers are borrowed by our caller for the whole call
            // (see above); the ring belongs to this thread alone and holds nothing else in
            // flight, so the one completion we wait for is this entry's.
            unsafe {
                ring.submission()
                    .push(&entry)
                    .map_err(|_| io::Error::other("io_uring submission queue full"))?;
            }
            // A signal can interrupt the wait (EINTR) after the entry was submitted; the
            // kernel may then still be using the caller's buffer, so the wait is resumed
            // rather than abandoned. This ends: each pass blocks until the operation,
            // which the kernel completes in finite time, posts its completion.
            loop {
                match ring.submit_and_wait(1) {
                    Ok(_) => break,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(e),
                }
            }
            ring.completion()
                .next()
                .map(|cqe| cqe.result())
                .ok_or_else(|| io::Error::other("io_uring returned no completion"))
        })?;
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
        submit::run(e).map(|n| n as usize)
    }

    fn write_all_at(&self, mut buf: &[u8], mut offset: u64) -> io::Result<()> {
        while !buf.is_empty() {
            let len = u32::try_from(buf.len()).unwrap_or(u32::MAX);
            let e = opcode::Write::new(types::Fd(self.file.as_raw_fd()), buf.as_ptr(), len)
                .offset(offset)
                .build();
            let n = submit::run(e)? as usize;
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
        submit::run(e).map(|_| ())
    }

    fn start_writeback(&self, offset: u64, len: u64) -> io::Result<()> {
        crate::std_fs::start_writeback(&self.file, offset, len)
    }

    fn len(&self) -> io::Result<u64> {
        Ok(self.file.metadata()?.len())
    }

    fn set_len(&self, len: u64) -> io::Result<()> {
        self.file.set_len(len)
    }

    fn link_count(&self) -> io::Result<Option<u64>> {
        crate::std_fs::link_count(&self.file)
    }
}

impl FileSystem for UringFs {
    fn open(&self, path: &Path, mode: OpenMode) -> io::Result<Arc<dyn File>> {
        Ok(Arc::new(UringFile {
            file: open_std(path, mode)?,
        }))
    }
    std_directory_ops!();
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Threads doing I/O at once each use their own ring: every completion a thread
    /// receives is its own operation's, so data never crosses between threads.
    #[test]
    fn concurrent_threads_each_get_their_own_completions() {
        let Ok(fs) = UringFs::new() else {
            if crate::IoBackend::Uring.may_skip_when_unavailable() {
                eprintln!("io_uring unavailable here; skipping");
                return;
            }
            panic!("io_uring unavailable and SHALE_REQUIRE_URING=1");
        };
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("shared");
        let file = fs.open(&path, OpenMode::CreateNew).unwrap();
        const THREADS: u8 = 4;
        const BLOCKS: u64 = 64;
        std::thread::scope(|s| {
            for t in 0..THREADS {
                let file = file.clone();
                s.spawn(move || {
                    for b in 0..BLOCKS {
                        let offset = (b * u64::from(THREADS) + u64::from(t)) * 512;
                        let block = [t.wrapping_mul(31).wrapping_add(b as u8); 512];
                        file.write_all_at(&block, offset).unwrap();
                        if b % 16 == 0 {
                            file.sync_data().unwrap();
                        }
                        let mut back = [0u8; 512];
                        assert_eq!(file.read_at(&mut back, offset).unwrap(), 512);
                        assert_eq!(back, block, "thread {t} block {b}");
                    }
                });
            }
        });
        assert_eq!(file.len().unwrap(), u64::from(THREADS) * BLOCKS * 512);
    }
}
