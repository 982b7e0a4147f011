//! How a WAL is opened: where, on which file system and clock, and how durable an
//! acknowledged append is.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use shale_io::clock::Clock;
use shale_io::FileSystem;

use crate::error::{Error, Result};

/// Smallest segment size accepted: room for the header and some records.
pub const MIN_SEGMENT_SIZE_BYTES: u64 = 4 << 10;
/// Largest segment size accepted: a reader holds one segment in memory.
pub const MAX_SEGMENT_SIZE_BYTES: u64 = 1 << 30;
/// Default segment size.
pub const DEFAULT_SEGMENT_SIZE_BYTES: u64 = 64 << 20;

/// When an append is acknowledged, and what a crash can lose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// `append` returns after the record is written and fdatasynced. Concurrent appenders
    /// share one write and one fdatasync (group commit). A crash loses nothing acknowledged.
    Sync,
    /// `append` returns once the record is written to the OS (page cache). A background
    /// thread fdatasyncs every `interval` if anything was written since the last sync, so a
    /// power cut loses at most about `interval` of acknowledged appends (a process crash
    /// loses none: the OS has them). The thread stops on `close` or drop.
    Buffered {
        /// Time between background syncs.
        interval: Duration,
    },
    /// `append` returns once the record is written to the OS; the WAL never fdatasyncs on
    /// the append path. It syncs only (a) when rolling to a new segment (the finished
    /// segment, so that no later segment outlives it), (b) on [`crate::Wal::sync`], and
    /// (c) on `close` or drop. A power cut can lose everything since the last of those; a
    /// process crash loses nothing acknowledged.
    None,
}

/// Options for [`crate::Wal::open`].
#[derive(Debug, Clone)]
pub struct WalOptions {
    /// Directory of the live segments (created if missing); the archive is `dir/archive`.
    pub dir: PathBuf,
    /// All file I/O goes through this.
    pub fs: Arc<dyn FileSystem>,
    /// Source of record timestamps.
    pub clock: Arc<dyn Clock>,
    /// When appends are acknowledged.
    pub durability: Durability,
    /// Size segments are preallocated to; a segment rolls when the next record would not
    /// fit. A single record larger than this gets a segment of its own, which grows.
    pub segment_size_bytes: u64,
    /// Move released segments to `dir/archive` instead of deleting them (for
    /// point-in-time restore).
    pub archive: bool,
    /// How segment space is reserved.
    pub preallocation: Preallocation,
    /// Prepare the next segment on a background thread once the active one is half full,
    /// so a roll does not write a segment's worth of zeros while writers wait (see
    /// [`crate::spare`]). Off: every roll creates its segment itself, and the log does no
    /// I/O outside its callers' threads (tests that count or fail the Nth I/O want that).
    pub prepare_spare_segments: bool,
    /// What recovery does when it would drop records the log marks as durable (a
    /// truncated segment, fewer records than the synced mark): refuse to open (the
    /// default) or drop them and report it.
    pub on_synced_loss: OnSyncedLoss,
    /// Append by copying into a shared memory map of the active segment instead of a
    /// `pwrite` per group commit (a 1 KiB append 2.0–2.4 µs faster than `pwrite` into the
    /// same zero-filled segment here; `docs/benchmarks.md`, "Appending through a map").
    /// Durability is unchanged: the bytes are in the page cache either way, and syncs are
    /// the same fdatasyncs.
    ///
    /// A write through a map cannot return an error: an I/O error reading a page back, or
    /// a copy-on-write file system out of space, raises SIGBUS instead. `shale_io`'s
    /// guarded map catches it, and that append and every later one into the same map (one
    /// stretch of [`WalOptions::writeback_every_bytes`]) go through `pwrite`, whose error
    /// poisons the WAL as any failed write does. Only [`Preallocation::Zeroed`] segments
    /// are mapped, so that on ext4 or xfs no append allocates a block; the part of a
    /// record past the segment's preallocated end, and file systems that cannot map
    /// (`shale_io::File::map_for_writes`), fall back to `pwrite`. Off in this crate's
    /// defaults, whose segments are sparse; the engine turns it on (and zero-fills its
    /// segments) by default.
    ///
    /// Ignored with [`Durability::Sync`]: there every append is followed by an fdatasync,
    /// and an fdatasync of pages dirtied through a map cost 440 µs against 119 µs for
    /// `pwrite`'s on this machine's ext4 (`benches/wal_append.rs`), where the `pwrite` it
    /// saves is 2 µs.
    pub mmap_appends: bool,
    /// With [`Durability::Buffered`] and [`Durability::None`], appends start writeback
    /// (`shale_io::File::start_writeback`, Linux's `sync_file_range`) of each whole
    /// stretch of this many bytes of the active segment as they pass it, as RocksDB's
    /// `wal_bytes_per_sync` does; with [`WalOptions::mmap_appends`], a map covers one
    /// such stretch at a time and is dropped before its writeback. Durability is
    /// unchanged: only fdatasyncs make records durable. What it changes is the roll's
    /// fdatasync, which otherwise writes back a whole segment while the writer that
    /// rolled holds the log (YCSB A's slowest updates, 190–240 ms; `docs/benchmarks.md`).
    /// 0: no writeback before a sync, and a map covers the whole segment. Otherwise a
    /// multiple of [`WRITEBACK_PAGE_BYTES`] (checked at open). Ignored with
    /// [`Durability::Sync`], whose appends are each synced. Default
    /// [`DEFAULT_WRITEBACK_EVERY_BYTES`].
    pub writeback_every_bytes: u64,
}

/// The default [`WalOptions::writeback_every_bytes`]: 4 MiB, 16 stretches to a default
/// segment.
pub const DEFAULT_WRITEBACK_EVERY_BYTES: u64 = 4 << 20;

/// [`WalOptions::writeback_every_bytes`] is a multiple of this (the page size of x86-64
/// and of most arm64 kernels; a larger page only makes a stretch end inside one).
pub const WRITEBACK_PAGE_BYTES: u64 = 4096;

/// What [`crate::Wal::open`] does when recovery would drop records that the log marks as
/// synced (see `docs/format/wal.md`, "Recovery"). A torn tail beyond the synced mark is
/// always cut and reported: those records were never acknowledged as durable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OnSyncedLoss {
    /// Fail with [`crate::Error::Corruption`], changing nothing on disk.
    #[default]
    Refuse,
    /// Drop them, open, and list them in [`crate::RecoveryReport`].
    DropAndReport,
}

impl WalOptions {
    /// Options with the defaults: [`Durability::Sync`], 64 MiB segments, no archive,
    /// zero-filled preallocation.
    pub fn new(dir: impl Into<PathBuf>, fs: Arc<dyn FileSystem>, clock: Arc<dyn Clock>) -> Self {
        WalOptions {
            dir: dir.into(),
            fs,
            clock,
            durability: Durability::Sync,
            segment_size_bytes: DEFAULT_SEGMENT_SIZE_BYTES,
            archive: false,
            preallocation: Preallocation::Zeroed,
            prepare_spare_segments: true,
            on_synced_loss: OnSyncedLoss::Refuse,
            mmap_appends: false,
            writeback_every_bytes: DEFAULT_WRITEBACK_EVERY_BYTES,
        }
    }

    /// Checks the options.
    ///
    /// # Errors
    /// [`Error::InvalidSegmentSize`], [`Error::InvalidWritebackStretch`].
    pub fn validate(&self) -> Result<()> {
        let size = self.segment_size_bytes;
        if !(MIN_SEGMENT_SIZE_BYTES..=MAX_SEGMENT_SIZE_BYTES).contains(&size) {
            return Err(Error::InvalidSegmentSize {
                size,
                min: MIN_SEGMENT_SIZE_BYTES,
                max: MAX_SEGMENT_SIZE_BYTES,
            });
        }
        let bytes = self.writeback_every_bytes;
        if !bytes.is_multiple_of(WRITEBACK_PAGE_BYTES) {
            return Err(Error::InvalidWritebackStretch {
                bytes,
                page: WRITEBACK_PAGE_BYTES,
            });
        }
        Ok(())
    }
}

/// How segments get their space reserved up front.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Preallocation {
    /// Write real zeros over the whole segment and sync them. Later fdatasyncs then only
    /// flush data, not block allocation metadata (REFERENCE.md §6: overwriting a pre-written
    /// file syncs in ~85 µs against ~150 µs for an append). Costs one segment-sized write
    /// per roll.
    #[default]
    Zeroed,
    /// `set_len` only: cheap to create, but the file system allocates blocks on first write,
    /// so every sync also commits metadata.
    SetLen,
}
