//! The `ycsb` and `compare` commands.

use std::path::Path;

use crate::measure::PhaseStats;
use crate::report::{EngineRun, Ratio, Report, RunResult};
use crate::runner::{self, PhaseConfig, PhaseError, TargetState};
use crate::server_cpu;
use crate::target::{self, Durability, Target, TargetError, TargetSpec};
use crate::workload::WorkloadSpec;

/// Settings shared by `ycsb` and `compare`.
#[derive(Debug, Clone)]
pub struct YcsbOptions {
    /// Workloads to run, in order.
    pub workloads: Vec<WorkloadSpec>,
    /// Targets, in order (the first is the baseline of `compare`).
    pub targets: Vec<TargetSpec>,
    /// Phase settings (the workload field is replaced per workload).
    pub phase: PhaseConfig,
    /// Durability of the run phase on every target.
    pub durability: Durability,
    /// Durability of the load phase (`--load-durability`, default `durability`). When it
    /// differs, each target is made durable and reopened between load and run.
    pub load_durability: Durability,
    /// Pause between a target's load and its run (`--settle`), the same for every target.
    pub settle: std::time::Duration,
    /// Interleaved rounds for `compare`.
    pub rounds: u64,
    /// `--server-pid`: a server process whose CPU time per run-phase operation `ycsb`
    /// reports.
    pub server_pid: Option<u32>,
}

struct Opened {
    spec: TargetSpec,
    target: Box<dyn Target>,
    state: TargetState,
    load: PhaseStats,
    /// The durability the load ran with and the target's note then.
    load_durability: Durability,
    load_note: String,
    // Keeps the data directory alive until the target is dropped (declared last: fields
    // drop in order, so the target closes before its directory is removed).
    _dir: tempfile::TempDir,
}

/// Why a target produced no result.
enum Failure {
    /// It could not be opened: listed as skipped (e.g. a feature not built).
    Open(TargetError),
    /// A phase failed: listed as failed, and the command fails after writing the report.
    Phase(PhaseError),
}

impl Failure {
    fn record(self, target: &TargetSpec, report: &mut Report, failures: &mut Vec<PhaseError>) {
        match self {
            Failure::Open(e) => report.skipped.push((target.to_string(), e.to_string())),
            Failure::Phase(e) => {
                report.failed.push((target.to_string(), e.to_string()));
                failures.push(e);
            }
        }
    }
}

/// Opens `spec` in a fresh directory with `opts.load_durability`, loads it, and readies it
/// for a run with `opts.durability`: when the two differ the loaded data is made durable
/// ([`Target::make_durable`]) and an on-disk target is closed and reopened with the run's
/// durability (Shale's WAL mode is an open option; the other engines are reopened too, so
/// every engine starts the run from the same cold-cache, recovered state). This is how
/// `--load-durability buffered --durability sync` measures a sync run over a large data
/// set without paying a synced insert per loaded record.
fn open_and_load(
    spec: &TargetSpec,
    data_root: &Path,
    cfg: &PhaseConfig,
    opts: &YcsbOptions,
) -> Result<Opened, Failure> {
    let dir = tempfile::Builder::new()
        .prefix(&format!(
            "shale-bench-{}-",
            spec.to_string().replace([':', '/'], "_")
        ))
        .tempdir_in(data_root)
        .map_err(|source| {
            Failure::Open(TargetError::Io {
                op: "create temp dir in",
                path: data_root.to_path_buf(),
                source,
            })
        })?;
    let name = spec.to_string();
    let mut target =
        target::open_target(spec, dir.path(), opts.load_durability).map_err(Failure::Open)?;
    let load_note = target.durability_note();
    let pb = runner::progress(
        Some(cfg.records),
        &format!("load {} {}", cfg.spec.letter, spec),
    );
    let load = runner::load(target.as_ref(), &name, cfg, &pb).map_err(Failure::Phase)?;
    if opts.load_durability != opts.durability {
        let switch = |step, source| {
            Failure::Phase(PhaseError::DurabilitySwitch {
                target: name.clone(),
                step,
                source: Box::new(source),
            })
        };
        target
            .make_durable()
            .map_err(|e| switch("making the load durable", e))?;
        if spec.reopenable() {
            // Close first: two engine instances must never share a directory.
            drop(target);
            target = target::open_target(spec, dir.path(), opts.durability)
                .map_err(|e| switch("reopening with the run durability", e))?;
        }
    }
    // Bounded by the CLI (at most an hour); lets background work the load queued finish.
    std::thread::sleep(opts.settle);
    Ok(Opened {
        spec: spec.clone(),
        target,
        state: TargetState::new(cfg.records),
        load,
        load_durability: opts.load_durability,
        load_note,
        _dir: dir,
    })
}

fn result_of(o: &Opened, cfg: &PhaseConfig, durability: Durability, run: &PhaseStats) -> RunResult {
    RunResult {
        workload: cfg.spec.letter.to_string(),
        target: o.spec.to_string(),
        durability: durability.as_str().to_string(),
        durability_note: o.target.durability_note(),
        load_durability: o.load_durability.as_str().to_string(),
        load_durability_note: o.load_note.clone(),
        records: cfg.records,
        operations: cfg.operations,
        duration_s: cfg.duration.map(|d| d.as_secs_f64()),
        threads: cfg.threads,
        seed: cfg.seed,
        target_ops: cfg.target_ops,
        open_loop_wait: cfg
            .target_ops
            .map(|_| cfg.open_loop_wait.as_str().to_string()),
        load: Some(o.load.summary()),
        run: run.summary(),
        server_cpu_us_per_op: None,
        engine: None,
    }
}

/// `ycsb`: for each workload and each target, a fresh store, load, then run.
/// Targets that fail to open are listed in `skipped`, not fatal; a phase that fails
/// (a worker panicked) is listed in `failed` and returned, so the command can fail after
/// the report is written.
pub fn run_ycsb(opts: &YcsbOptions, data_root: &Path, report: &mut Report) -> Vec<PhaseError> {
    let mut failures = Vec::new();
    for spec in &opts.workloads {
        let cfg = PhaseConfig {
            spec: *spec,
            ..opts.phase.clone()
        };
        for t in &opts.targets {
            let opened = match open_and_load(t, data_root, &cfg, opts) {
                Ok(o) => o,
                Err(f) => {
                    f.record(t, report, &mut failures);
                    continue;
                }
            };
            let pb = runner::progress(cfg.operations, &format!("run {} {}", spec.letter, t));
            let name = t.to_string();
            let cpu_before = opts.server_pid.map(server_cpu::cpu_micros);
            let engine_before = opened.target.engine_stats();
            match runner::run(
                opened.target.as_ref(),
                &name,
                &cfg,
                &opened.state,
                0,
                cfg.budget(),
                &pb,
            ) {
                Ok(run) => {
                    let mut result = result_of(&opened, &cfg, opts.durability, &run);
                    result.server_cpu_us_per_op = server_cpu_per_op(opts, cpu_before, &result);
                    result.engine = engine_before
                        .zip(opened.target.engine_stats())
                        .map(|(b, a)| EngineRun::between(&b, &a));
                    report.results.push(result);
                }
                Err(e) => Failure::Phase(e).record(t, report, &mut failures),
            }
        }
    }
    failures
}

/// The server's CPU µs per run-phase operation, from its CPU time before the run
/// (`cpu_before`) and now; `None` without `--server-pid`, or when either reading failed
/// (said on stderr: the run's other figures stand).
fn server_cpu_per_op(
    opts: &YcsbOptions,
    cpu_before: Option<std::io::Result<u64>>,
    result: &RunResult,
) -> Option<f64> {
    let pid = opts.server_pid?;
    let spent = match (cpu_before?, server_cpu::cpu_micros(pid)) {
        (Ok(before), Ok(after)) => after.saturating_sub(before),
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("--server-pid {pid}: cannot read its CPU time: {e}");
            return None;
        }
    };
    (result.run.operations > 0).then(|| spent as f64 / result.run.operations as f64)
}

/// `compare`: loads every target, then runs the workload in `rounds` short rounds that
/// alternate between targets (A B A B …, reversing the order every other round so no
/// target always runs first), and reports ratios against the first target. Interleaving
/// spreads machine noise (other builds on a shared box) evenly over the targets.
///
/// The budget (`--operations` and `--duration`) is each target's whole run, split evenly
/// over the rounds ([`runner::Budget::round`]), so `compare --duration 60` runs each target
/// for 60 s in total, as `ycsb --duration 60` does. A target whose phase fails is dropped
/// from the remaining rounds and from the ratios, and listed in `failed`.
pub fn run_compare(opts: &YcsbOptions, data_root: &Path, report: &mut Report) -> Vec<PhaseError> {
    let rounds = opts.rounds.max(1);
    let mut failures = Vec::new();
    for spec in &opts.workloads {
        let cfg = PhaseConfig {
            spec: *spec,
            ..opts.phase.clone()
        };
        // Each target, its rounds' stats, and its engine's counters before the first round.
        type Run = (Opened, PhaseStats, Option<shale_engine::BackendStats>);
        let mut opened: Vec<Run> = Vec::new();
        for t in &opts.targets {
            match open_and_load(t, data_root, &cfg, opts) {
                Ok(o) => opened.push((o, PhaseStats::default(), None)),
                Err(f) => f.record(t, report, &mut failures),
            }
        }
        for (o, _, before) in &mut opened {
            *before = o.target.engine_stats();
        }
        let total = cfg.budget();
        for round in 0..rounds {
            let budget = total.round(round, rounds);
            let order: Vec<usize> = if round % 2 == 0 {
                (0..opened.len()).collect()
            } else {
                (0..opened.len()).rev().collect()
            };
            let mut crashed = Vec::new();
            for i in order {
                let (o, acc, _) = &mut opened[i];
                let pb = runner::progress(
                    budget.operations,
                    &format!("{} {} round {}/{}", spec.letter, o.spec, round + 1, rounds),
                );
                let name = o.spec.to_string();
                match runner::run(o.target.as_ref(), &name, &cfg, &o.state, round, budget, &pb) {
                    Ok(stats) => acc.append_sequential(&stats),
                    Err(e) => crashed.push((i, e)),
                }
            }
            // Highest index first, so removing one does not shift the others.
            crashed.sort_by_key(|c| std::cmp::Reverse(c.0));
            for (i, e) in crashed {
                let (o, _, _) = opened.remove(i);
                Failure::Phase(e).record(&o.spec, report, &mut failures);
            }
        }
        let results: Vec<RunResult> = opened
            .iter()
            .map(|(o, acc, before)| {
                let mut r = result_of(o, &cfg, opts.durability, acc);
                r.engine = before
                    .as_ref()
                    .zip(o.target.engine_stats())
                    .map(|(b, a)| EngineRun::between(b, &a));
                r
            })
            .collect();
        if let Some(base) = results.first() {
            for r in &results[1..] {
                report.ratios.push(ratio(base, r));
            }
        }
        report.results.extend(results);
    }
    failures
}

/// `target` relative to `base`: throughput and per-op latency ratios.
pub fn ratio(base: &RunResult, target: &RunResult) -> Ratio {
    let div = |a: f64, b: f64| if b > 0.0 { a / b } else { f64::NAN };
    let per_op = |pick: fn(&crate::measure::OpSummary) -> f64| {
        target
            .run
            .per_op
            .iter()
            .filter_map(|op| {
                base.run
                    .per_op
                    .iter()
                    .find(|b| b.op == op.op)
                    .map(|b| (op.op.clone(), div(pick(op), pick(b))))
            })
            .collect()
    };
    Ratio {
        workload: target.workload.clone(),
        target: target.target.clone(),
        baseline: base.target.clone(),
        throughput_ratio: div(target.run.ops_per_sec, base.run.ops_per_sec),
        p50_ratio: per_op(|o| o.p50_us),
        p99_ratio: per_op(|o| o.p99_us),
    }
}
