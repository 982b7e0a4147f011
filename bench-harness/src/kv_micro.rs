//! The `kv` command: storage-core micro figures, key-value targets side by side.
//!
//! Phases, each run on every target before the next phase starts (so machine noise
//! lands on all targets alike):
//! - `write-sync-1t` / `write-sync-4t`: random 1 KiB writes, every write durable before
//!   its ack, 1 and 4 writer threads (4 threads shows group commit);
//! - `write-buffered-1t`: the same into the OS page cache;
//! - `read-random`: random point reads over `keys` preloaded 1 KiB values (buffered load).
//!
//! Keys are 16-byte big-endian `fnv1a64(n) ‖ n` so inserts land in random order.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use crate::generators::fnv1a64;
use crate::measure::PhaseStats;
use crate::report::{Report, RunResult};
use crate::rng::Rng;
use crate::runner::{join_workers, progress, PhaseError, THREADS_MAX};
use crate::target::{self, Durability, KvStore, TargetError, TargetSpec};
use crate::workload::Op;

/// Value size of the micro benchmark.
pub const VALUE_BYTES: usize = 1024;

/// Settings of the `kv` command.
#[derive(Debug, Clone)]
pub struct KvOptions {
    /// Targets (key-value specs only).
    pub targets: Vec<TargetSpec>,
    /// Keys preloaded for the read phase (and the key space of the write phases).
    pub keys: u64,
    /// Writes per synced write phase.
    pub sync_ops: u64,
    /// Writes in the buffered write phase.
    pub buffered_ops: u64,
    /// Reads in the read phase.
    pub read_ops: u64,
    /// Base seed.
    pub seed: u64,
    /// Pause between the loads and the read phase (`--settle`), so reads start after the
    /// compactions the loads left behind.
    pub settle: std::time::Duration,
}

/// The key of number `n`.
pub fn micro_key(n: u64) -> [u8; 16] {
    let mut k = [0u8; 16];
    k[..8].copy_from_slice(&fnv1a64(&n.to_le_bytes()).to_be_bytes());
    k[8..].copy_from_slice(&n.to_be_bytes());
    k
}

enum Kind {
    RandomWrite,
    RandomRead,
    SequentialLoad,
}

/// Which store and phase, for progress and errors.
struct PhaseName<'a> {
    target: &'a TargetSpec,
    phase: &'a str,
}

fn phase(
    store: &dyn KvStore,
    name: PhaseName<'_>,
    kind: Kind,
    threads: usize,
    ops: u64,
    keys: u64,
    seed: u64,
) -> Result<PhaseStats, PhaseError> {
    let threads = threads.clamp(1, THREADS_MAX);
    let issued = AtomicU64::new(0);
    let pb = progress(Some(ops), &format!("{} {}", name.phase, name.target));
    let start = Instant::now();
    let parts = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let issued = &issued;
                let kind = &kind;
                let pb = &pb;
                s.spawn(move || {
                    let mut rng = Rng::for_stream(seed, t as u64);
                    let mut value = vec![0u8; VALUE_BYTES];
                    let mut stats = PhaseStats::default();
                    loop {
                        let i = issued.fetch_add(1, Ordering::Relaxed);
                        if i >= ops {
                            break;
                        }
                        match kind {
                            Kind::SequentialLoad => {
                                rng.fill_ascii(&mut value);
                                let t0 = Instant::now();
                                let r = store.put(&micro_key(i), &value);
                                stats.record(Op::Insert, start, t0, Instant::now(), &r);
                            }
                            Kind::RandomWrite => {
                                rng.fill_ascii(&mut value);
                                let k = micro_key(rng.range_inclusive(0, keys.max(1) - 1));
                                let t0 = Instant::now();
                                let r = store.put(&k, &value);
                                stats.record(Op::Update, start, t0, Instant::now(), &r);
                            }
                            Kind::RandomRead => {
                                let k = micro_key(rng.range_inclusive(0, keys.max(1) - 1));
                                let t0 = Instant::now();
                                let r = store.get(&k).and_then(|v| match v {
                                    Some(v) if v.len() == VALUE_BYTES => Ok(()),
                                    Some(_) => Err(TargetError::CorruptRecord {
                                        key: format!("{k:02x?}"),
                                        reason: "value is not 1 KiB",
                                    }),
                                    None => Err(TargetError::NotFound {
                                        key: format!("{k:02x?}"),
                                    }),
                                });
                                stats.record(Op::Read, start, t0, Instant::now(), &r);
                            }
                        }
                        if i.is_multiple_of(256) {
                            pb.set_position(i);
                        }
                    }
                    stats
                })
            })
            .collect();
        join_workers(
            handles,
            &name.target.to_string(),
            &format!("kv {}", name.phase),
        )
    });
    pb.finish_and_clear();
    Ok(PhaseStats::merge_concurrent(&parts?, start.elapsed()))
}

struct KvRun<'a> {
    opts: &'a KvOptions,
    data_root: &'a Path,
}

impl KvRun<'_> {
    fn open(
        &self,
        spec: &TargetSpec,
        durability: Durability,
    ) -> Result<(Box<dyn KvStore>, tempfile::TempDir), TargetError> {
        let dir = tempfile::Builder::new()
            .prefix("shale-bench-kv-")
            .tempdir_in(self.data_root)
            .map_err(|source| TargetError::Io {
                op: "create temp dir in",
                path: self.data_root.to_path_buf(),
                source,
            })?;
        let store = target::open_kv(spec, dir.path(), durability)?;
        Ok((store, dir))
    }

    #[allow(clippy::too_many_arguments)]
    fn result(
        &self,
        name: &str,
        spec: &TargetSpec,
        durability: Durability,
        note: String,
        threads: usize,
        ops: u64,
        load: Option<&PhaseStats>,
        run: &PhaseStats,
    ) -> RunResult {
        RunResult {
            workload: name.to_string(),
            target: spec.to_string(),
            durability: durability.as_str().to_string(),
            load_durability: durability.as_str().to_string(),
            load_durability_note: note.clone(),
            durability_note: note,
            records: self.opts.keys,
            operations: Some(ops),
            duration_s: None,
            threads,
            seed: self.opts.seed,
            target_ops: None,
            open_loop_wait: None,
            load: load.map(PhaseStats::summary),
            run: run.summary(),
            server_cpu_us_per_op: None,
            engine: None,
        }
    }
}

/// Runs every phase on every target; failures to open go to `report.skipped`, failed
/// phases to `report.failed` and the returned list.
pub fn run_kv(opts: &KvOptions, data_root: &Path, report: &mut Report) -> Vec<PhaseError> {
    let ctx = KvRun { opts, data_root };
    let mut failures = Vec::new();
    let mut fail = |report: &mut Report, spec: &TargetSpec, e: PhaseError| {
        report.failed.push((spec.to_string(), e.to_string()));
        failures.push(e);
    };
    let writes = [
        ("write-sync-1t", Durability::Sync, 1usize, opts.sync_ops),
        ("write-sync-4t", Durability::Sync, 4, opts.sync_ops),
        (
            "write-buffered-1t",
            Durability::Buffered,
            1,
            opts.buffered_ops,
        ),
    ];
    for (name, durability, threads, ops) in writes {
        for spec in &opts.targets {
            let (store, _dir) = match ctx.open(spec, durability) {
                Ok(opened) => opened,
                Err(e) => {
                    report
                        .skipped
                        .push((format!("{spec} {name}"), e.to_string()));
                    continue;
                }
            };
            let which = PhaseName {
                target: spec,
                phase: name,
            };
            match phase(
                store.as_ref(),
                which,
                Kind::RandomWrite,
                threads,
                ops,
                opts.keys,
                opts.seed,
            ) {
                Ok(run) => {
                    let note = store.durability_note();
                    report
                        .results
                        .push(ctx.result(name, spec, durability, note, threads, ops, None, &run));
                }
                Err(e) => fail(report, spec, e),
            }
        }
    }
    // Reads: load every target first, then read them one after the other.
    let mut loaded = Vec::new();
    for spec in &opts.targets {
        let (store, dir) = match ctx.open(spec, Durability::Buffered) {
            Ok(opened) => opened,
            Err(e) => {
                report
                    .skipped
                    .push((format!("{spec} read-random"), e.to_string()));
                continue;
            }
        };
        let which = PhaseName {
            target: spec,
            phase: "load",
        };
        match phase(
            store.as_ref(),
            which,
            Kind::SequentialLoad,
            1,
            opts.keys,
            opts.keys,
            opts.seed,
        ) {
            Ok(load) => loaded.push((spec, store, dir, load)),
            Err(e) => fail(report, spec, e),
        }
    }
    // Bounded by the CLI (at most an hour).
    if !loaded.is_empty() {
        std::thread::sleep(opts.settle);
    }
    for (spec, store, _dir, load) in &loaded {
        let which = PhaseName {
            target: spec,
            phase: "read-random",
        };
        let run = match phase(
            store.as_ref(),
            which,
            Kind::RandomRead,
            1,
            opts.read_ops,
            opts.keys,
            opts.seed ^ 0xEAD,
        ) {
            Ok(run) => run,
            Err(e) => {
                fail(report, spec, e);
                continue;
            }
        };
        let note = store.durability_note();
        report.results.push(ctx.result(
            "read-random",
            spec,
            Durability::Buffered,
            note,
            1,
            opts.read_ops,
            Some(load),
            &run,
        ));
    }
    failures
}
