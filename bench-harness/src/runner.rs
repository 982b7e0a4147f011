//! The load and run phases: worker threads issuing YCSB operations against a [`Target`].
//!
//! Load inserts records `0..records` (each thread a disjoint slice, keys in hashed order).
//! Run issues `operations` ops (or runs for `duration`) drawn from the workload's mix,
//! each thread with its own seeded generators. With a target rate the loop is open:
//! op *i* of a thread is scheduled at `start + i × threads / rate`, the thread sleeps until
//! then if early, and latency counts from that intended time.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

use crate::generators::{build_key_name, AcknowledgedCounter};
use crate::measure::PhaseStats;
use crate::rng::Rng;
use crate::target::{Target, TargetError};
use crate::workload::{
    random_field, random_fields, scan_length, update_field, KeyChooser, Op, OpChooser, WorkloadSpec,
};

/// Ops between progress-bar updates (keeps the bar off the hot path).
const PROGRESS_EVERY: u64 = 256;
/// Worker threads allowed (a sanity bound on `--threads`).
pub const THREADS_MAX: usize = 1024;
/// RNG stream offset of the load phase, so load and run draw unrelated values.
const LOAD_STREAM: u64 = 1 << 32;

/// What one phase should do.
#[derive(Debug, Clone)]
pub struct PhaseConfig {
    /// The workload.
    pub spec: WorkloadSpec,
    /// Records loaded before the run.
    pub records: u64,
    /// Ops in the run phase (an upper bound when `duration` is set).
    pub operations: u64,
    /// Worker threads.
    pub threads: usize,
    /// Stop the run phase after this long, if set.
    pub duration: Option<Duration>,
    /// Base seed.
    pub seed: u64,
    /// Open-loop target rate in ops/s over all threads, if set.
    pub target_ops: Option<f64>,
}

/// State that persists between run rounds on one target: the insert key sequence.
#[derive(Debug)]
pub struct TargetState {
    /// Key numbers for inserts; starts at `records`.
    pub inserted: AcknowledgedCounter,
}

impl TargetState {
    /// After loading `records`.
    pub fn new(records: u64) -> Self {
        TargetState {
            inserted: AcknowledgedCounter::new(records),
        }
    }
}

/// A progress bar that is hidden unless stdout is a terminal.
pub fn progress(len: u64, label: &str) -> ProgressBar {
    if !std::io::stdout().is_terminal() {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::new(len);
    if let Ok(style) =
        ProgressStyle::with_template("{msg:28} [{bar:40}] {pos}/{len} {per_sec} eta {eta}")
    {
        pb.set_style(style.progress_chars("=> "));
    }
    pb.set_message(label.to_string());
    pb
}

/// Inserts records `0..records` with `threads` threads.
pub fn load(target: &dyn Target, cfg: &PhaseConfig, pb: &ProgressBar) -> PhaseStats {
    let threads = cfg.threads.clamp(1, THREADS_MAX);
    let start = Instant::now();
    let parts: Vec<PhaseStats> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let lo = cfg.records * t as u64 / threads as u64;
                let hi = cfg.records * (t as u64 + 1) / threads as u64;
                s.spawn(move || {
                    let mut rng = Rng::for_stream(cfg.seed, LOAD_STREAM + t as u64);
                    let mut stats = PhaseStats::default();
                    for keynum in lo..hi {
                        let key = build_key_name(keynum);
                        let fields = random_fields(&mut rng);
                        let t0 = Instant::now();
                        let r = target.insert(&key, &fields);
                        stats.record(Op::Insert, start, t0, Instant::now(), &r);
                        if (keynum - lo) % PROGRESS_EVERY == PROGRESS_EVERY - 1 {
                            pb.inc(PROGRESS_EVERY);
                        }
                    }
                    stats
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_default())
            .collect()
    });
    pb.finish_and_clear();
    PhaseStats::merge_concurrent(&parts, start.elapsed())
}

/// Runs `operations` ops of the workload (or until `duration`), using RNG streams
/// `round`-specific so interleaved rounds draw different ops.
pub fn run(
    target: &dyn Target,
    cfg: &PhaseConfig,
    state: &TargetState,
    round: u64,
    operations: u64,
    pb: &ProgressBar,
) -> PhaseStats {
    let threads = cfg.threads.clamp(1, THREADS_MAX);
    let chooser_proto = KeyChooser::new(&cfg.spec, cfg.records, cfg.operations);
    let op_chooser = OpChooser::new(&cfg.spec);
    let interval = cfg
        .target_ops
        .filter(|r| *r > 0.0)
        .map(|rate| Duration::from_secs_f64(threads as f64 / rate));
    let issued = AtomicU64::new(0);
    let start = Instant::now();
    let deadline = cfg.duration.map(|d| start + d);
    let parts: Vec<PhaseStats> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let mut chooser = chooser_proto.clone();
                let op_chooser = op_chooser.clone();
                let issued = &issued;
                s.spawn(move || {
                    let stream = round * THREADS_MAX as u64 + t as u64;
                    let mut rng = Rng::for_stream(cfg.seed, stream);
                    let mut stats = PhaseStats::default();
                    let mut i: u64 = 0;
                    // Bounded by `operations` (shared) and by `deadline`.
                    while issued.fetch_add(1, Ordering::Relaxed) < operations {
                        let now = Instant::now();
                        if deadline.is_some_and(|d| now >= d) {
                            break;
                        }
                        let measured_from = match interval {
                            Some(iv) => {
                                let intended = start + iv.mul_f64(i as f64);
                                if intended > now {
                                    std::thread::sleep(intended - now);
                                }
                                intended
                            }
                            None => now,
                        };
                        let op = op_chooser.next(&mut rng);
                        let t0 = if interval.is_some() {
                            measured_from
                        } else {
                            Instant::now()
                        };
                        let r = do_op(target, op, &mut rng, &mut chooser, state);
                        stats.record(op, start, t0, Instant::now(), &r);
                        i += 1;
                        if i.is_multiple_of(PROGRESS_EVERY) {
                            pb.inc(PROGRESS_EVERY);
                        }
                    }
                    stats
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_default())
            .collect()
    });
    pb.finish_and_clear();
    PhaseStats::merge_concurrent(&parts, start.elapsed())
}

/// Issues one op as YCSB's `CoreWorkload.doTransaction*` does.
fn do_op(
    target: &dyn Target,
    op: Op,
    rng: &mut Rng,
    chooser: &mut KeyChooser,
    state: &TargetState,
) -> Result<(), TargetError> {
    match op {
        Op::Read => target.read(&build_key_name(chooser.next(rng, &state.inserted))),
        Op::Update => {
            let key = build_key_name(chooser.next(rng, &state.inserted));
            target.update(&key, update_field(rng), &random_field(rng))
        }
        Op::Insert => {
            let keynum = state.inserted.next_value();
            let r = target.insert(&build_key_name(keynum), &random_fields(rng));
            state.inserted.acknowledge(keynum);
            r
        }
        Op::Scan => {
            let key = build_key_name(chooser.next(rng, &state.inserted));
            target.scan(&key, scan_length(rng)).map(|_| ())
        }
        Op::ReadModifyWrite => {
            let key = build_key_name(chooser.next(rng, &state.inserted));
            target.read(&key)?;
            target.update(&key, update_field(rng), &random_field(rng))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicBool;

    /// A target whose first read stalls for [`STALL`].
    struct StallOnce {
        stalled: AtomicBool,
    }

    const STALL: Duration = Duration::from_millis(30);

    impl Target for StallOnce {
        fn insert(&self, _: &str, _: &[Vec<u8>]) -> Result<(), TargetError> {
            Ok(())
        }
        fn read(&self, _: &str) -> Result<(), TargetError> {
            if !self.stalled.swap(true, Ordering::Relaxed) {
                std::thread::sleep(STALL);
            }
            Ok(())
        }
        fn update(&self, _: &str, _: usize, _: &[u8]) -> Result<(), TargetError> {
            Ok(())
        }
        fn scan(&self, _: &str, _: usize) -> Result<usize, TargetError> {
            Ok(0)
        }
        fn durability_note(&self) -> String {
            String::new()
        }
    }

    #[test]
    fn open_loop_charges_a_stall_to_the_ops_queued_behind_it() {
        // 1000 ops/s on one thread: ops are due every 1 ms, so a 30 ms stall on the first
        // op leaves ~30 ops late. Measured from their intended start, each of them shows
        // the wait; a closed loop would report one slow op and 49 fast ones.
        let cfg = PhaseConfig {
            spec: WorkloadSpec::core('c').unwrap(),
            records: 100,
            operations: 50,
            threads: 1,
            duration: None,
            seed: 1,
            target_ops: Some(1000.0),
        };
        let target = StallOnce {
            stalled: AtomicBool::new(false),
        };
        let state = TargetState::new(cfg.records);
        let stats = run(
            &target,
            &cfg,
            &state,
            0,
            cfg.operations,
            &ProgressBar::hidden(),
        );
        let h = &stats.ops[Op::Read.index()].histogram;
        assert_eq!(h.len(), 50);
        let slow = h
            .iter_recorded()
            .filter(|v| v.value_iterated_to() >= 10_000_000)
            .map(|v| v.count_at_value())
            .sum::<u64>();
        assert!(slow >= 10, "only {slow} ops saw the stall");
    }
}
