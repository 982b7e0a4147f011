//! [`DatabaseOptions`]: how a [`crate::Database`] behaves, and the defaults.
//!
//! A leaf module: the shared state ([`crate::core::Core`]) holds the options, and every
//! layer above reads them from there.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use shale_io::clock::{Clock, SystemClock};

use crate::capacity::CapacityOptions;

/// Default item-collection limit for tables with LSIs: 10 GB, as DynamoDB.
pub const DEFAULT_ITEM_COLLECTION_LIMIT_BYTES: u64 = 10 * 1024 * 1024 * 1024;
/// Shards of the per-key item locks (`item_locks`): only how many mutexes the held
/// keys are spread over; writes of different keys never wait for each other.
pub const DEFAULT_LOCK_STRIPES: usize = 1024;

/// How a [`crate::Database`] behaves. Start from `DatabaseOptions::default()` and use the
/// `with_*` builders (or set the public fields). `#[non_exhaustive]`: new options arrive
/// with defaults, so code built against an older set keeps compiling.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct DatabaseOptions {
    /// Source of CreationDateTime and other timestamps.
    pub clock: Arc<dyn Clock>,
    /// The region shown in ARNs.
    pub region: String,
    /// Item-collection limit for tables with LSIs (lower it in tests).
    pub item_collection_limit_bytes: u64,
    /// Run the GSI maintenance worker in a background thread. When false, GSIs are
    /// brought up to date only by [`crate::Database::wait_for_indexes`] (deterministic
    /// tests).
    pub background_index_worker: bool,
    /// How often the background worker looks for work when not woken.
    pub index_worker_interval: Duration,
    /// Shards of the per-key item locks (named for the striped locks they replaced).
    pub lock_stripes: usize,
    /// How often the background worker runs a TTL sweep round (each examines up to
    /// `TTL_ITEMS_PER_ROUND` items per TTL-enabled table and deletes the expired ones).
    pub ttl_sweep_interval: Duration,
    /// How often the background worker recounts ItemCount and the sizes DescribeTable
    /// shows (`crate::table_stats`; 6 hours, DynamoDB's cadence). A pass also starts at
    /// open.
    pub table_stats_interval: Duration,
    /// Where CreateBackup keeps its checkpoints; `None`: the backend's default
    /// (`Backend::default_checkpoint_dir`: `<data dir>/checkpoints` for the LSM, in memory
    /// for the memory backend).
    pub backup_dir: Option<PathBuf>,
    /// The root under which ExportTableToPointInTime writes and ImportTable reads: a
    /// request's `S3Bucket` is a directory in it. `None`: both are refused
    /// (NotImplemented). The server sets `<data dir>/exports` (see
    /// `docs/pitr-and-backups.md`).
    pub export_dir: Option<PathBuf>,
    /// Capacity admission: enforcement on or off, DynamoDB's sizing numbers, the burst
    /// window and the policy (see `docs/capacity.md`). Enforced by default.
    pub capacity: CapacityOptions,
    /// Whether a restore may replay its source's index entries (copy the entries, the
    /// item-collection sizes and the pending GSI queue records as they were at the
    /// restore time) instead of rebuilding them from the items through the write path.
    /// On by default: replay is the faster where it applies (`docs/benchmarks.md`), and
    /// a restore falls back to rebuilding where it does not (`crate::restore_plan`).
    /// Off forces rebuilding, for comparison.
    pub restore_index_replay: bool,
}

impl Default for DatabaseOptions {
    fn default() -> Self {
        DatabaseOptions {
            clock: Arc::new(SystemClock),
            region: "us-east-1".to_owned(),
            item_collection_limit_bytes: DEFAULT_ITEM_COLLECTION_LIMIT_BYTES,
            background_index_worker: true,
            index_worker_interval: Duration::from_millis(20),
            lock_stripes: DEFAULT_LOCK_STRIPES,
            ttl_sweep_interval: Duration::from_secs(1),
            table_stats_interval: Duration::from_secs(6 * 3600),
            backup_dir: None,
            export_dir: None,
            capacity: CapacityOptions::default(),
            restore_index_replay: true,
        }
    }
}

impl DatabaseOptions {
    /// Sets [`DatabaseOptions::restore_index_replay`].
    pub fn with_restore_index_replay(mut self, on: bool) -> Self {
        self.restore_index_replay = on;
        self
    }

    /// Sets [`DatabaseOptions::clock`].
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }
    /// Sets [`DatabaseOptions::region`].
    pub fn with_region(mut self, region: impl Into<String>) -> Self {
        self.region = region.into();
        self
    }
    /// Sets [`DatabaseOptions::item_collection_limit_bytes`].
    pub fn with_item_collection_limit_bytes(mut self, limit_bytes: u64) -> Self {
        self.item_collection_limit_bytes = limit_bytes;
        self
    }
    /// Sets [`DatabaseOptions::background_index_worker`].
    pub fn with_background_index_worker(mut self, on: bool) -> Self {
        self.background_index_worker = on;
        self
    }
    /// Sets [`DatabaseOptions::index_worker_interval`].
    pub fn with_index_worker_interval(mut self, interval: Duration) -> Self {
        self.index_worker_interval = interval;
        self
    }
    /// Sets [`DatabaseOptions::lock_stripes`].
    pub fn with_lock_stripes(mut self, stripes: usize) -> Self {
        self.lock_stripes = stripes;
        self
    }
    /// Sets [`DatabaseOptions::backup_dir`].
    pub fn with_backup_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.backup_dir = Some(dir.into());
        self
    }
    /// Sets [`DatabaseOptions::export_dir`].
    pub fn with_export_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.export_dir = Some(dir.into());
        self
    }
    /// Turns capacity enforcement on (the default: DynamoDB's semantics) or off
    /// (consumed capacity is still computed and reported, nothing is throttled).
    pub fn with_capacity_enforcement(mut self, on: bool) -> Self {
        self.capacity.enforcement = on;
        self
    }
    /// Sets [`DatabaseOptions::capacity`].
    pub fn with_capacity(mut self, capacity: CapacityOptions) -> Self {
        self.capacity = capacity;
        self
    }
    /// Sets [`DatabaseOptions::ttl_sweep_interval`].
    pub fn with_ttl_sweep_interval(mut self, interval: Duration) -> Self {
        self.ttl_sweep_interval = interval;
        self
    }

    /// Sets [`DatabaseOptions::table_stats_interval`].
    pub fn with_table_stats_interval(mut self, interval: Duration) -> Self {
        self.table_stats_interval = interval;
        self
    }
}
