//! [`DbOptions`]: everything `Db::open` needs, with defaults sized for a server.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use shale_io::clock::{Clock, SystemClock};
use shale_io::{FileSystem, GradualDelete, IoBackend, MmapFs};
use shale_wal::{Durability, OnSyncedLoss, Preallocation};

use crate::lsm::compaction_pick::{CompactionStrategy, FileOrder, Leveled};
use crate::lsm::rate_limit::{RateLimit, MIN_MAX_BYTES_PER_SEC};
use crate::lsm::sstable_file::TableReads;
use crate::StorageError;

/// The largest [`DbOptions::readahead_max_bytes`] accepted: every open iterator may hold
/// a window this big, so it is bounded like every other buffer.
pub const MAX_READAHEAD_BYTES: u64 = 64 << 20;

/// Options for [`super::Db::open`]. Build with [`DbOptions::new`] and the `with_*`
/// builders (or set the public fields). `#[non_exhaustive]`: new options arrive with
/// defaults, so code built against an older set keeps compiling.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct DbOptions {
    /// The database directory (created if missing). SSTables, manifest and `CURRENT` live
    /// here; the WAL lives in `<dir>/wal`.
    pub dir: PathBuf,
    /// The file system every byte goes through. The default is [`MmapFs`]: SSTables are
    /// read through memory maps, with no system call per block read (with the WAL's map,
    /// YCSB A 1.14–1.18×, C 1.26–1.35× and E 1.11–1.21× faster than `pread` through
    /// [`shale_io::StdFs`]: docs/benchmarks.md, "tenth session"). A map's I/O error comes
    /// back as an error, as `pread`'s would, not as a SIGBUS that ends the process
    /// (`shale_io`'s guarded maps).
    pub fs: Arc<dyn FileSystem>,
    /// Time source (WAL commit timestamps, stall accounting).
    pub clock: Arc<dyn Clock>,
    /// When a write is acknowledged relative to its WAL sync.
    pub durability: Durability,
    /// The active memtable is frozen and flushed once it holds this many bytes.
    pub memtable_bytes: usize,
    /// Frozen memtables allowed to wait for flush; at this many, writes stop. When it is 3
    /// or more, writes are also slowed down once `max_immutable_memtables - 1` wait (with
    /// fewer, one frozen memtable is the normal state of every flush and must not slow
    /// anything; RocksDB draws the same line).
    pub max_immutable_memtables: usize,
    /// L0 file count that triggers an L0 → L1 compaction.
    pub l0_compaction_trigger: usize,
    /// L0 file count at which each write is delayed by [`DbOptions::slowdown_delay_micros`].
    pub l0_slowdown_files: usize,
    /// L0 file count at which writes stop until compaction catches up.
    pub l0_stop_files: usize,
    /// Delay per write while slowed down.
    pub slowdown_delay_micros: u64,
    /// Size limit of L1; level n holds `level_base_bytes × level_ratio^(n-1)`.
    pub level_base_bytes: u64,
    /// Growth factor between levels.
    pub level_ratio: u64,
    /// Which file of an oversized level the default leveled strategy compacts next
    /// (default: the least overlapping one, as RocksDB's).
    pub level_file_order: FileOrder,
    /// Compaction cuts output tables at about this size.
    pub target_file_bytes: u64,
    /// Shared block cache capacity; 0 turns the cache off (every read decodes its block),
    /// for a database read once, such as a past view's private one.
    pub block_cache_bytes: usize,
    /// Whether reads of SSTables read through memory maps (the default file system,
    /// `shale_io::MmapFs`), point reads, scans and compactions alike, use the block
    /// cache. Off by default: such a read copies its block out of the page cache,
    /// checks and parses it, which cost less than the cache's lookups, insertions and
    /// evictions in YCSB at every size measured (`shale_sstable::Table::cache_mapped_reads`).
    /// Tables read with `pread` use the cache either way. Mapped tables are never read
    /// ahead ([`DbOptions::readahead_max_bytes`] is for `pread`): a copy out of a map
    /// takes no system call to save.
    pub cache_mapped_reads: bool,
    /// Bloom filter bits per key in new tables.
    pub bloom_bits_per_key: u32,
    /// SSTable data block size.
    pub block_size_bytes: usize,
    /// The largest read-ahead window of a scan or compaction stepping through a table
    /// read with `pread` (RocksDB's `max_auto_readahead_size`, and its default: 256 KiB;
    /// a table read through a memory map reads nothing ahead, see
    /// [`DbOptions::cache_mapped_reads`]). After two blocks
    /// that missed the block cache since its last seek, an iterator reads the next blocks
    /// in windows that start at 16 KiB and double up to this, one system call per
    /// window instead of one per block. 0 reads every block alone; at most
    /// [`MAX_READAHEAD_BYTES`].
    pub readahead_max_bytes: u64,
    /// WAL segment size.
    pub wal_segment_bytes: u64,
    /// How obsolete files (WAL segments after a flush, tables after a compaction) are
    /// deleted: renamed to trash at once and truncated a slice at a time by a thread of the
    /// engine's own before the unlink, so that freeing a 64 MiB file does not stall every
    /// synced write's fdatasync behind one journal commit and discard (10–35 ms on this
    /// project's VM, `shale_io::gradual_delete`). `None` unlinks at once, on the thread
    /// that drops the file.
    pub gradual_delete: Option<GradualDelete>,
    /// Keep released WAL segments under `<dir>/wal/archive` (history retention turns
    /// this on by itself; set it alone to keep the whole log without restore bases).
    pub archive_wal: bool,
    /// Bytes of recent log data (`BatchOp::LogData`: stream change records) kept in memory
    /// for `Backend::recent_log_data` (default 32 MiB; 0 turns the tail off, and stream
    /// readers then read the WAL). Costs nothing while no batch carries log data.
    pub log_tail_bytes: usize,
    /// History retention at open (`Backend::set_history_retention` changes it at run
    /// time): how far back the commit log and past views reach. `None` keeps what an
    /// earlier run left without trimming it.
    pub history_retention: Option<Duration>,
    /// How often a new restore base is taken while history is retained: a past view
    /// replays at most about this much of the log.
    pub history_base_interval: Duration,
    /// Picks background compactions. `None` (the default) is [`Leveled`] with
    /// `l0_compaction_trigger`, `level_base_bytes` and `level_ratio`; see
    /// [`CompactionStrategy`] for what another strategy must guarantee.
    pub compaction_strategy: Option<Arc<dyn CompactionStrategy>>,
    /// What opening does when WAL recovery would drop records the log marks as synced:
    /// refuse (the default; the open fails with the corruption) or drop them and report
    /// them (`Db::wal_recovery_report`, `DbStats`, a WARN log line each).
    pub wal_on_synced_loss: OnSyncedLoss,
    /// Prepare the next WAL segment on a background thread (the default), so a roll does
    /// not write a segment of zeros while writers wait. Off, the WAL does no I/O outside
    /// its callers' threads: a simulation that replays the same I/O from a seed wants that.
    pub wal_spare_segments: bool,
    /// Append to the WAL by copying into a memory map of its segment instead of a
    /// `pwrite` per group commit (`shale_wal::WalOptions::mmap_appends`): a 1 KiB append
    /// 0.6–0.9 µs faster than with sparse segments, and YCSB A 1.08–1.50×
    /// (docs/benchmarks.md). On by default. A page the map cannot read in or allocate
    /// (an I/O error, a copy-on-write file system out of space) is caught by the map's
    /// guard, and that append and every later one go through `pwrite`, whose error
    /// poisons the engine as any failed write does. On, segments are zero-filled when
    /// made (in the background, with [`DbOptions::wal_spare_segments`]) in every
    /// durability mode, so no append through the map allocates a block. Ignored with
    /// `Durability::Sync`, where an fdatasync of mapped pages costs more than the
    /// `pwrite` saves.
    pub wal_mmap_appends: bool,
    /// Without `Durability::Sync`, start writeback of the WAL's active segment every this
    /// many bytes appended, and map one such stretch of it at a time
    /// (`shale_wal::WalOptions::writeback_every_bytes`, RocksDB's `wal_bytes_per_sync`).
    /// Otherwise a segment reaches the disk in one fdatasync at its roll, which the
    /// writer that rolled waits for while holding the log: YCSB A's slowest updates took
    /// 190–240 ms, and its throughput rose 1.11–1.18× with the default 4 MiB
    /// (docs/benchmarks.md, "twelfth session"). 0: off.
    pub wal_writeback_every_bytes: u64,
    /// How WAL segments reserve their space. `None` (the default) chooses: zero-filled
    /// with `Durability::Sync` (each fdatasync then commits no allocation metadata) or
    /// with [`DbOptions::wal_mmap_appends`] (no append through the map allocates a block),
    /// else `set_len` only (no segment-sized write per roll). Set, for measuring one
    /// against the other (`kv:shale+zeroedwal` in the harness). Sparse segments are never
    /// mapped.
    pub wal_preallocation: Option<Preallocation>,
    /// Let the background threads drop retired memtables and delete replaced tables
    /// once no reader holds them (the default), whenever they wake. Off, that happens
    /// only at the caller's call: `Db::reclaim`, and before `compact_range` returns.
    /// Off, history's maintenance thread (new bases, trimming, deleting bases a bulk
    /// load replaced) does not run either: `Db::maintain_history` does that step.
    /// A simulation that replays a seed's I/O exactly wants file deletions at points it
    /// chooses, not at a background thread's wake-up (issue 16).
    pub background_reclaim: bool,
    /// Paces the writes of background flushes and compactions (`lsm::rate_limit`,
    /// RocksDB's rate limiter, auto-tuned or fixed). `None` (the default): they write as
    /// fast as they can. Manual compactions are never paced, and pacing stops whenever
    /// writers would be slowed.
    pub background_rate_limit: Option<RateLimit>,
}

impl DbOptions {
    /// Defaults on the real file system (SSTables read through maps, [`MmapFs`]) and the
    /// system clock, `Sync` durability.
    pub fn new(dir: impl AsRef<Path>) -> Self {
        DbOptions {
            dir: dir.as_ref().to_path_buf(),
            fs: Arc::new(MmapFs::new()),
            clock: Arc::new(SystemClock),
            durability: Durability::Sync,
            memtable_bytes: 64 << 20,
            max_immutable_memtables: 4,
            l0_compaction_trigger: 4,
            l0_slowdown_files: 20,
            l0_stop_files: 36,
            slowdown_delay_micros: 1000,
            level_base_bytes: 64 << 20,
            level_ratio: 10,
            level_file_order: FileOrder::default(),
            target_file_bytes: 32 << 20,
            block_cache_bytes: 64 << 20,
            cache_mapped_reads: false,
            bloom_bits_per_key: 10,
            block_size_bytes: 4096,
            readahead_max_bytes: shale_sstable::DEFAULT_READAHEAD_MAX_BYTES,
            wal_segment_bytes: 64 << 20,
            gradual_delete: Some(GradualDelete::default()),
            archive_wal: false,
            log_tail_bytes: 32 << 20,
            history_retention: None,
            history_base_interval: Duration::from_secs(3600),
            compaction_strategy: None,
            wal_on_synced_loss: OnSyncedLoss::Refuse,
            wal_spare_segments: true,
            wal_mmap_appends: true,
            wal_writeback_every_bytes: shale_wal::DEFAULT_WRITEBACK_EVERY_BYTES,
            wal_preallocation: None,
            background_reclaim: true,
            background_rate_limit: None,
        }
    }

    /// Uses the file system of `backend`.
    ///
    /// # Errors
    /// As [`IoBackend::build`] (io_uring may be refused by the kernel).
    pub fn io_backend(mut self, backend: IoBackend) -> std::io::Result<Self> {
        self.fs = backend.build()?;
        Ok(self)
    }

    /// Uses `fs` (e.g. a `FaultFs` in tests).
    pub fn with_fs(mut self, fs: Arc<dyn FileSystem>) -> Self {
        self.fs = fs;
        self
    }

    /// Uses `clock`.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Sets [`DbOptions::wal_on_synced_loss`].
    pub fn with_wal_on_synced_loss(mut self, on_synced_loss: OnSyncedLoss) -> Self {
        self.wal_on_synced_loss = on_synced_loss;
        self
    }

    /// Sets the durability mode.
    pub fn with_durability(mut self, durability: Durability) -> Self {
        self.durability = durability;
        self
    }

    /// Uses `strategy` to pick background compactions instead of the default leveled one.
    pub fn with_compaction_strategy(mut self, strategy: Arc<dyn CompactionStrategy>) -> Self {
        self.compaction_strategy = Some(strategy);
        self
    }

    /// The strategy the engine runs: [`DbOptions::compaction_strategy`], or leveled with
    /// this struct's thresholds.
    pub(crate) fn strategy(&self) -> Arc<dyn CompactionStrategy> {
        match &self.compaction_strategy {
            Some(s) => s.clone(),
            None => Arc::new(Leveled {
                l0_trigger: self.l0_compaction_trigger,
                level_base_bytes: self.level_base_bytes,
                level_ratio: self.level_ratio,
                file_order: self.level_file_order,
            }),
        }
    }

    /// Checks that the options can work together.
    ///
    /// # Errors
    /// [`StorageError::InvalidOptions`] naming the first constraint that fails.
    pub(crate) fn validate(&self) -> Result<(), StorageError> {
        let bad = |reason| Err(StorageError::InvalidOptions { reason });
        if self.memtable_bytes == 0 {
            return bad("memtable_bytes must be positive");
        }
        if self.max_immutable_memtables == 0 {
            return bad("max_immutable_memtables must be at least 1");
        }
        if !(self.l0_compaction_trigger <= self.l0_slowdown_files
            && self.l0_slowdown_files <= self.l0_stop_files)
        {
            return bad("need l0_compaction_trigger <= l0_slowdown_files <= l0_stop_files");
        }
        if self
            .background_rate_limit
            .is_some_and(|l| l.max_bytes_per_sec < MIN_MAX_BYTES_PER_SEC)
        {
            return bad("background_rate_limit's max_bytes_per_sec must be at least 1 MiB/s");
        }
        if self.l0_compaction_trigger == 0 {
            return bad("l0_compaction_trigger must be at least 1");
        }
        if self.level_ratio < 2 || self.level_base_bytes == 0 || self.target_file_bytes == 0 {
            return bad("level_ratio must be >= 2 and sizes positive");
        }
        if self.readahead_max_bytes > MAX_READAHEAD_BYTES {
            return bad("readahead_max_bytes must be at most 64 MiB");
        }
        Ok(())
    }

    /// Small sizes so tests exercise flushes and compactions with little data.
    pub fn tiny(mut self) -> Self {
        self.memtable_bytes = 4 << 10;
        self.level_base_bytes = 16 << 10;
        self.target_file_bytes = 8 << 10;
        self.block_cache_bytes = 64 << 10;
        self.block_size_bytes = 512;
        self.wal_segment_bytes = 64 << 10;
        self.l0_compaction_trigger = 2;
        self
    }

    /// How tables are read: through `cache`, unless [`DbOptions::block_cache_bytes`] is
    /// 0, with [`DbOptions::readahead_max_bytes`] and
    /// [`DbOptions::cache_mapped_reads`].
    pub(crate) fn table_reads(&self, cache: &Arc<shale_sstable::BlockCache>) -> TableReads {
        TableReads {
            cache: (self.block_cache_bytes > 0).then(|| Arc::clone(cache)),
            readahead_max_bytes: self.readahead_max_bytes,
            cache_mapped_reads: self.cache_mapped_reads,
        }
    }

    /// The WAL directory.
    pub fn wal_dir(&self) -> PathBuf {
        self.dir.join("wal")
    }
}

/// Builders for the plain fields: `with_<field>(value)` sets [`DbOptions`]'s field of that name.
macro_rules! field_builders {
    ($($field:ident: $ty:ty => $with:ident),* $(,)?) => {
        impl DbOptions {
            $(
                #[doc = concat!("Sets [`DbOptions::", stringify!($field), "`].")]
                pub fn $with(mut self, value: $ty) -> Self {
                    self.$field = value;
                    self
                }
            )*
        }
    };
}

field_builders! {
    memtable_bytes: usize => with_memtable_bytes,
    max_immutable_memtables: usize => with_max_immutable_memtables,
    l0_compaction_trigger: usize => with_l0_compaction_trigger,
    l0_slowdown_files: usize => with_l0_slowdown_files,
    l0_stop_files: usize => with_l0_stop_files,
    slowdown_delay_micros: u64 => with_slowdown_delay_micros,
    level_base_bytes: u64 => with_level_base_bytes,
    level_ratio: u64 => with_level_ratio,
    target_file_bytes: u64 => with_target_file_bytes,
    block_cache_bytes: usize => with_block_cache_bytes,
    cache_mapped_reads: bool => with_cache_mapped_reads,
    bloom_bits_per_key: u32 => with_bloom_bits_per_key,
    block_size_bytes: usize => with_block_size_bytes,
    readahead_max_bytes: u64 => with_readahead_max_bytes,
    wal_segment_bytes: u64 => with_wal_segment_bytes,
    archive_wal: bool => with_archive_wal,
    log_tail_bytes: usize => with_log_tail_bytes,
    history_base_interval: Duration => with_history_base_interval,
    wal_spare_segments: bool => with_wal_spare_segments,
    wal_mmap_appends: bool => with_wal_mmap_appends,
    wal_writeback_every_bytes: u64 => with_wal_writeback_every_bytes,
    background_reclaim: bool => with_background_reclaim,
}

impl DbOptions {
    /// Sets [`DbOptions::background_rate_limit`].
    pub fn with_background_rate_limit(mut self, limit: RateLimit) -> Self {
        self.background_rate_limit = Some(limit);
        self
    }

    /// Sets [`DbOptions::gradual_delete`] (`None`: unlink at once).
    pub fn with_gradual_delete(mut self, gradual: Option<GradualDelete>) -> Self {
        self.gradual_delete = gradual;
        self
    }

    /// Sets [`DbOptions::wal_preallocation`].
    pub fn with_wal_preallocation(mut self, preallocation: Preallocation) -> Self {
        self.wal_preallocation = Some(preallocation);
        self
    }

    /// Sets [`DbOptions::history_retention`].
    pub fn with_history_retention(mut self, retention: Duration) -> Self {
        self.history_retention = Some(retention);
        self
    }
}
