//! Shale's I/O seam.
//!
//! Every byte the WAL and the SSTables read or write goes through the [`FileSystem`] and
//! [`File`] traits, in the way LevelDB routes all file access through its `Env`. That gives
//! one place to swap the mechanism (buffered std calls, mmap reads, io_uring) and one place
//! to inject faults: the [`fault::FaultFs`] keeps every file in memory, loses whatever was
//! not synced when told to "crash", fails the Nth write or sync, and flips bits.
//!
//! The crate also holds the other non-deterministic seam, the [`clock::Clock`].
//!
//! ```
//! use shale_io::{FileSystem, OpenMode, StdFs};
//! let dir = tempfile::tempdir().unwrap();
//! let fs = StdFs::new();
//! let f = fs.open(&dir.path().join("x"), OpenMode::CreateNew).unwrap();
//! f.write_all_at(b"hello", 0).unwrap();
//! f.sync_data().unwrap();
//! let mut buf = [0u8; 5];
//! f.read_exact_at(&mut buf, 0).unwrap();
//! assert_eq!(&buf, b"hello");
//! ```
//!
//! It is not:
//! - a general-purpose VFS: it has exactly the calls the storage engine needs;
//! - asynchronous: every call blocks until done (io_uring is used one operation at a time,
//!   to measure its cost on this path, not to pipeline).

pub mod clock;
pub mod fault;
pub mod gradual_delete;
mod mmap;
pub mod rng;
mod sigbus;
pub mod spin;
mod std_fs;
#[cfg(target_os = "linux")]
pub mod uring;

use std::fmt::Debug;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use fault::FaultFs;
pub use gradual_delete::{is_trash_file_name, GradualDelete, GradualDeleteFs};
pub use mmap::{MmapFs, WritableMap};
pub use std_fs::StdFs;
#[cfg(target_os = "linux")]
pub use uring::UringFs;

/// How [`FileSystem::open`] treats an existing or missing file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenMode {
    /// Open an existing file for reading only. Missing is `NotFound`.
    Read,
    /// Open an existing file for reading and writing. Missing is `NotFound`.
    ReadWrite,
    /// Create a file that must not exist yet (`AlreadyExists` otherwise), read-write.
    CreateNew,
    /// Create the file, or truncate it to zero if it exists, read-write.
    CreateTruncate,
}

impl OpenMode {
    /// Whether the file may be written through this handle.
    pub fn writable(self) -> bool {
        !matches!(self, OpenMode::Read)
    }
}

/// A handle to one open file. Positional reads and writes only: callers track their own
/// offsets, so a handle can be shared between threads without a seek position to race on.
///
/// Durability contract: bytes written are durable only after [`File::sync_data`] returns
/// `Ok`. A crash (see [`FaultFs::crash`]) may keep any prefix of unsynced writes, or none.
pub trait File: Send + Sync + Debug {
    /// Reads up to `buf.len()` bytes at `offset`; returns 0 at end of file.
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize>;

    /// Writes all of `buf` at `offset`, extending the file if needed.
    fn write_all_at(&self, buf: &[u8], offset: u64) -> io::Result<()>;

    /// Makes all written data durable (fdatasync).
    fn sync_data(&self) -> io::Result<()>;

    /// Starts writing back the bytes written in `[offset, offset + len)` and returns
    /// without waiting for them or flushing the device's cache: Linux's
    /// `sync_file_range(SYNC_FILE_RANGE_WRITE)`, what RocksDB's `bytes_per_sync` does.
    /// Durability is unchanged (only [`File::sync_data`] makes bytes durable); the point
    /// is to spread a large file's writeback over its writing, so that neither a final
    /// sync nor a string of fdatasyncs (each a device cache flush) holds up other files'
    /// syncs. The default does nothing.
    ///
    /// # Errors
    /// The system call's.
    fn start_writeback(&self, offset: u64, len: u64) -> io::Result<()> {
        let _ = (offset, len);
        Ok(())
    }

    /// Current length in bytes.
    fn len(&self) -> io::Result<u64>;

    /// Whether the file is empty.
    fn is_empty(&self) -> io::Result<bool> {
        Ok(self.len()? == 0)
    }

    /// Sets the length, truncating or zero-extending. Used to cut a torn WAL tail and to
    /// preallocate segments.
    fn set_len(&self, len: u64) -> io::Result<()>;

    /// How many directory entries name this file (hard links), where the file system can
    /// say; `None` where it cannot. A file with other names must not be truncated when
    /// one of them is removed: the others still hold its bytes (a checkpoint's link to a
    /// live table), so [`gradual_delete`] truncates only files it knows have one name.
    fn link_count(&self) -> io::Result<Option<u64>> {
        Ok(None)
    }

    /// A writable shared memory map of `[offset, offset + len)` of the file, cut at the
    /// file's current length, for appends that cost a copy instead of a `pwrite` (the
    /// WAL's `mmap_appends` option). `None`: this kind of file cannot be written through
    /// a map (the fault-injecting file system, io_uring, and any system but Linux), or
    /// the range holds none of the file's bytes; callers then write with
    /// [`File::write_all_at`] as before.
    ///
    /// Why a range: an fdatasync or a writeback of pages that are mapped must first
    /// write-protect them in every map, one TLB shootdown per page. The WAL maps one
    /// stretch of its segment at a time and drops each map before that stretch is
    /// written back (`docs/benchmarks.md`, "twelfth session").
    ///
    /// Bytes copied into the map are in the page cache, like a `pwrite`'s: they survive
    /// the process, and [`File::sync_data`] makes them durable. That is Linux's
    /// behaviour (an fdatasync writes back pages dirtied through a shared map, as
    /// `msync(MS_SYNC)` does); POSIX asks for an `msync`, hence Linux only.
    ///
    /// A copy the kernel cannot complete (an I/O error reading a page back, a
    /// copy-on-write file system out of space, the file shrunk below the mapped length)
    /// raises SIGBUS; the map's guard catches it, and that write and every later one go
    /// through `pwrite`, which returns the error.
    ///
    /// # Errors
    /// The `mmap` call's (a handle opened read-only cannot be mapped writable).
    fn map_for_writes(&self, _offset: u64, _len: u64) -> io::Result<Option<WritableMap>> {
        Ok(None)
    }

    /// Whether reads are served from a memory map, so that a read is a copy out of the
    /// page cache with no system call. A caller's own cache of what it read pays only
    /// when a read costs more than a lookup in it: SSTable point reads skip the block
    /// cache for such files (`docs/benchmarks.md`, "thirteenth session"). The default
    /// says no; it may change from yes to no once (a map that faulted reads with
    /// `pread` from then on).
    fn reads_from_map(&self) -> bool {
        false
    }

    /// Reads exactly `buf.len()` bytes at `offset`; `UnexpectedEof` if the file is shorter.
    fn read_exact_at(&self, mut buf: &mut [u8], mut offset: u64) -> io::Result<()> {
        while !buf.is_empty() {
            match self.read_at(buf, offset) {
                Ok(0) => {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "file shorter than requested read",
                    ))
                }
                Ok(n) => {
                    buf = &mut buf[n..];
                    offset += n as u64;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Reads consecutive ranges starting at `offset` into one buffer each: `bufs[0]` gets
    /// the `lens[0]` bytes at `offset`, `bufs[1]` the `lens[1]` bytes after those, and so
    /// on. Each buffer is cleared first and, on success, holds exactly its range. On an
    /// error the buffers' contents are unspecified.
    ///
    /// Why: an SSTable iterator reading ahead wants a window of blocks in one system call
    /// but each block in a buffer of its own (the block cache keeps blocks one by one).
    /// Reading the window into one buffer and copying each block out of it was 6.3% of
    /// YCSB E's CPU. The default does exactly that (one read into a scratch buffer, then a
    /// copy per range); the `std` backend overrides it with one `preadv` straight into the
    /// buffers, and the mmap backend copies each range from its map once.
    ///
    /// # Errors
    /// `InvalidInput` if `bufs` and `lens` differ in length; `UnexpectedEof` if the file
    /// ends before the last range does; otherwise the read's.
    fn read_exact_vectored_at(
        &self,
        bufs: &mut [Vec<u8>],
        lens: &[usize],
        offset: u64,
    ) -> io::Result<()> {
        let total = vectored_total(bufs, lens)?;
        let mut scratch = vec![0u8; total];
        self.read_exact_at(&mut scratch, offset)?;
        split_into(&scratch, bufs, lens);
        Ok(())
    }

    /// Replaces the contents of `buf` with the `len` bytes at `offset`; `UnexpectedEof` if
    /// the file is shorter. On an error `buf`'s contents are unspecified.
    ///
    /// Why: an SSTable's point read wants one block in a buffer of its own. Zero-filling
    /// that buffer before the read overwrites it was 2% of YCSB A's CPU. The default does
    /// that zero-fill (`resize`, then [`File::read_exact_at`]); the mmap backend, and the
    /// `std` one on Linux (`preadv`), read straight into the buffer's spare capacity.
    fn read_exact_into(&self, buf: &mut Vec<u8>, len: usize, offset: u64) -> io::Result<()> {
        buf.clear();
        buf.resize(len, 0);
        self.read_exact_at(buf, offset)
    }

    /// Reads the whole file into memory.
    fn read_to_vec(&self) -> io::Result<Vec<u8>> {
        let len = usize::try_from(self.len()?)
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "file too large"))?;
        let mut buf = vec![0u8; len];
        self.read_exact_at(&mut buf, 0)?;
        Ok(buf)
    }
}

/// The total length [`File::read_exact_vectored_at`] reads, after checking that there is
/// one length per buffer and that the total fits in memory.
pub(crate) fn vectored_total(bufs: &[Vec<u8>], lens: &[usize]) -> io::Result<usize> {
    if bufs.len() != lens.len() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "one length per buffer is required",
        ));
    }
    lens.iter()
        .try_fold(0usize, |sum, &len| sum.checked_add(len))
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "ranges too long"))
}

/// Fills each of `bufs` with its part of `bytes`, which holds the consecutive ranges of
/// `lens` (their sum is `bytes.len()`, checked by [`vectored_total`]).
pub(crate) fn split_into(mut bytes: &[u8], bufs: &mut [Vec<u8>], lens: &[usize]) {
    for (buf, &len) in bufs.iter_mut().zip(lens) {
        let (range, rest) = bytes.split_at(len);
        buf.clear();
        buf.extend_from_slice(range);
        bytes = rest;
    }
}

/// The directory-level operations, and the factory for [`File`] handles.
///
/// Namespace durability contract: creating, renaming or removing a file is durable only
/// after [`FileSystem::sync_dir`] on its parent directory returns `Ok` (as on ext4/xfs).
/// [`FaultFs`] enforces exactly this, so code that forgets a directory sync loses files in
/// the crash tests.
pub trait FileSystem: Send + Sync + Debug + 'static {
    /// Opens or creates a file per `mode`.
    fn open(&self, path: &Path, mode: OpenMode) -> io::Result<Arc<dyn File>>;
    /// Creates a directory and its parents.
    fn create_dir_all(&self, path: &Path) -> io::Result<()>;
    /// Names (not full paths) of the entries of a directory, sorted.
    fn list_dir(&self, path: &Path) -> io::Result<Vec<String>>;
    /// Removes a file.
    fn remove_file(&self, path: &Path) -> io::Result<()>;
    /// Atomically renames `from` to `to`, replacing `to` if it exists.
    fn rename(&self, from: &Path, to: &Path) -> io::Result<()>;
    /// Whether a file or directory exists.
    fn exists(&self, path: &Path) -> io::Result<bool>;
    /// Makes the directory's entries (creations, renames, removals) durable.
    fn sync_dir(&self, path: &Path) -> io::Result<()>;
    /// Removes a directory and everything below it.
    fn remove_dir_all(&self, path: &Path) -> io::Result<()>;
    /// Hard-links (or, where links are not possible, copies) `from` to `to`. Used by
    /// checkpoints, which share immutable SSTables with the live engine.
    fn link_or_copy(&self, from: &Path, to: &Path) -> io::Result<()>;
}

/// The file-system implementations a user can pick in open options.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IoBackend {
    /// pread/pwrite/fdatasync through `std::fs`.
    #[default]
    Std,
    /// Like `Std`, but read-only files are read through a memory map.
    Mmap,
    /// Every read, write and sync goes through an io_uring submission (Linux only).
    Uring,
}

impl IoBackend {
    /// Builds the file system for this backend.
    ///
    /// # Errors
    /// `Uring` fails where the kernel refuses io_uring (old kernels, seccomp sandboxes).
    pub fn build(self) -> io::Result<Arc<dyn FileSystem>> {
        Ok(match self {
            IoBackend::Std => Arc::new(StdFs::new()),
            IoBackend::Mmap => Arc::new(MmapFs::new()),
            #[cfg(target_os = "linux")]
            IoBackend::Uring => Arc::new(UringFs::new()?),
            #[cfg(not(target_os = "linux"))]
            IoBackend::Uring => {
                return Err(io::Error::new(
                    io::ErrorKind::Unsupported,
                    "io_uring is available on Linux only",
                ))
            }
        })
    }

    /// Every backend, for test suites that run against each one.
    pub const ALL: [IoBackend; 3] = [IoBackend::Std, IoBackend::Mmap, IoBackend::Uring];

    /// For test suites that run against every backend: whether this backend may be
    /// skipped when [`IoBackend::build`] fails. Only io_uring, which kernels and sandboxes
    /// can refuse, and only unless `SHALE_REQUIRE_URING=1` is set (CI sets it, so a refusal
    /// there fails the suite instead of silently dropping io_uring's coverage).
    pub fn may_skip_when_unavailable(self) -> bool {
        self == IoBackend::Uring && std::env::var("SHALE_REQUIRE_URING").map_or(true, |v| v != "1")
    }
}

/// The parent directory of `path`, or `.` for a bare name. Used for directory syncs.
pub fn parent_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}
