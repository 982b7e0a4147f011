//! [`DatabaseOptions`]: how a [`crate::Database`] behaves, and the defaults.
//!
//! A leaf module: the shared state ([`crate::core::Core`]) holds the options, and every
//! layer above reads them from there.

use std::sync::Arc;
use std::time::Duration;

use shale_io::clock::{Clock, SystemClock};

/// Default item-collection limit for tables with LSIs: 10 GB, as DynamoDB.
pub const DEFAULT_ITEM_COLLECTION_LIMIT_BYTES: u64 = 10 * 1024 * 1024 * 1024;
/// Lock stripes for per-item read-modify-write atomicity.
pub const DEFAULT_LOCK_STRIPES: usize = 1024;

/// How a [`crate::Database`] behaves.
#[derive(Debug, Clone)]
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
    /// Lock stripes for item read-modify-write.
    pub lock_stripes: usize,
    /// How often the background worker runs a TTL sweep round (each examines up to
    /// `TTL_ITEMS_PER_ROUND` items per TTL-enabled table and deletes the expired ones).
    pub ttl_sweep_interval: Duration,
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
        }
    }
}
