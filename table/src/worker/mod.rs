//! The background worker: one thread that owns every piece of deferred work, and the
//! loop that runs it.
//!
//! Jobs, in the order a round runs them:
//! 1. index work ([`index`]): drain the GSI maintenance queue, advance GSI backfills,
//!    remove dropped tables' and indexes' data; every round, in bounded chunks;
//! 2. the TTL sweep ([`ttl_sweep`]): every `DatabaseOptions::ttl_sweep_interval`;
//! 3. ItemCount and sizes (`crate::table_stats`): a pass at start and every
//!    `DatabaseOptions::table_stats_interval`, one bounded step per round;
//! 4. stream upkeep (`crate::streams::upkeep`: shard rolls, streams past retention) and
//!    history retention: every minute;
//! 5. auto scaling ([`auto_scaling`]): every round; splits by size and for heat
//!    (`crate::capacity::split`): every second (both act on whole clock minutes).
//!
//! The loop waits on [`Signal`] (woken by writers that leave work behind, or after
//! `index_worker_interval` at most), runs one round, and exits when the signal says
//! shutdown or the shared state is gone (it holds only a `Weak<Core>`). Every round is
//! bounded: at most [`index::WORK_STEPS_PER_ROUND`] chunks of index work and one TTL
//! round, so shutdown waits for at most one round. The same jobs run in the foreground
//! through [`run_index_work`] and [`ttl_sweep::sweep_round`]
//! (`Database::wait_for_indexes`, `Database::sweep_expired_items`), serialised with the
//! thread by the locks in [`Core`].

pub(crate) mod auto_scaling;
pub(crate) mod index;
pub(crate) mod ttl_sweep;

use std::sync::{Arc, Weak};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::core::Core;
use crate::error::Error;
use crate::restore;
use crate::signal::{Signal, Wake};

pub(crate) use index::run_index_work;

/// The running background thread. Dropping it stops the thread (after its current
/// bounded round) and joins it; pending work stays durable and resumes after the next
/// open.
#[derive(Debug)]
pub(crate) struct Worker {
    signal: Arc<Signal>,
    thread: Option<JoinHandle<()>>,
}

impl Worker {
    /// Starts the worker thread over `core`.
    ///
    /// # Errors
    /// `LimitExceeded` when the thread cannot be spawned.
    pub(crate) fn start(core: &Arc<Core>) -> Result<Worker, Error> {
        let weak = Arc::downgrade(core);
        let signal = Arc::clone(&core.signal);
        let thread_signal = Arc::clone(&signal);
        let interval = core.opts.index_worker_interval;
        let thread = std::thread::Builder::new()
            .name("shale-gsi".into())
            .spawn(move || worker_loop(&weak, &thread_signal, interval))
            .map_err(|_| Error::LimitExceeded {
                what: "threads",
                limit: 0,
            })?;
        Ok(Worker {
            signal,
            thread: Some(thread),
        })
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        self.signal.shutdown();
        if let Some(h) = self.thread.take() {
            // The worker finishes its current bounded round and exits; a panic in it has
            // already been reported by the panic hook and is not re-raised in drop.
            let _ = h.join();
        }
    }
}

/// When each periodic job last ran.
struct Schedule {
    last_ttl_sweep: Instant,
    last_stream_upkeep: Instant,
    /// When the last ItemCount pass started (`None`: not yet; the first starts at once).
    last_stats_pass: Option<Instant>,
    /// When splits were last looked for.
    last_split_check: Instant,
    /// When the tables' admission state was last saved.
    last_capacity_save: Instant,
}

fn worker_loop(core: &Weak<Core>, signal: &Signal, interval: Duration) {
    let mut schedule = Schedule {
        last_ttl_sweep: Instant::now(),
        last_stream_upkeep: Instant::now(),
        last_stats_pass: None,
        last_split_check: Instant::now(),
        last_capacity_save: Instant::now(),
    };
    // Exits on shutdown or when the shared state is gone; each iteration is one bounded
    // wait and one bounded round. The state is held only during a round.
    loop {
        if signal.wait(interval) == Wake::Stop {
            return;
        }
        let Some(c) = core.upgrade() else { return };
        run_round(&c, &mut schedule);
    }
}

/// One round of every job that is due.
fn run_round(core: &Core, schedule: &mut Schedule) {
    // Errors are retried on the next round; the queue is durable, nothing is lost.
    let _ = run_index_work(core, index::WORK_STEPS_PER_ROUND);
    // Restores: one bounded step each; a failed step is retried next round. While one
    // has more to copy, the next round starts at once instead of after the interval.
    if let Ok(true) = restore::run_restores(core) {
        core.signal.notify();
    }
    if schedule.last_ttl_sweep.elapsed() >= core.opts.ttl_sweep_interval {
        schedule.last_ttl_sweep = Instant::now();
        // Likewise: an expired item missed now is found by a later round.
        let _ = ttl_sweep::sweep_round(core);
    }
    // ItemCount and sizes: a pass at start and every `table_stats_interval`, one bounded
    // step a round; while a pass runs the next round comes at once.
    if schedule
        .last_stats_pass
        .is_none_or(|t| t.elapsed() >= core.opts.table_stats_interval)
    {
        schedule.last_stats_pass = Some(Instant::now());
        crate::table_stats::start_pass(core);
    }
    if let Ok(true) = crate::table_stats::step(core) {
        if core.table_stats.lock().walking() {
            core.signal.notify();
        }
    }
    // A change refused now (say, by a storage failure) is decided again next minute.
    let _ = auto_scaling::run(core);
    // Splits by size and for heat: windows close on clock minutes, so a look every
    // second (of wall time) is enough, and spares every other round a pass over every
    // table's partitions.
    if schedule.last_split_check.elapsed() >= SPLIT_CHECK_INTERVAL {
        schedule.last_split_check = Instant::now();
        let splits = core.split_partitions(crate::core::Recount::Queued);
        // A split is saved at once; balances and peaks every minute. A save refused now
        // (a storage failure) is tried again at the next.
        if !splits.is_empty() || schedule.last_capacity_save.elapsed() >= CAPACITY_SAVE_INTERVAL {
            schedule.last_capacity_save = Instant::now();
            let _ = core.save_capacity();
        }
    }
    if schedule.last_stream_upkeep.elapsed() >= STREAM_UPKEEP_INTERVAL {
        schedule.last_stream_upkeep = Instant::now();
        // Shard rolls and retention: a roll missed now happens at the next read or round.
        let _ = crate::streams::upkeep(core);
        let _ = crate::pitr_retention::sync_retention(core);
    }
}

/// How often the worker saves the tables' admission state (`crate::capacity_records`):
/// what a crash can lose of balances and peaks.
const CAPACITY_SAVE_INTERVAL: Duration = Duration::from_secs(60);

/// How often the worker looks for partitions to split (`crate::capacity::split`).
const SPLIT_CHECK_INTERVAL: Duration = Duration::from_secs(1);

/// How often the worker rolls stream shards over and releases history no stream or
/// PITR window needs any more (readers roll shards too, so this only bounds how late a
/// roll can be when nobody reads).
const STREAM_UPKEEP_INTERVAL: Duration = Duration::from_secs(60);
