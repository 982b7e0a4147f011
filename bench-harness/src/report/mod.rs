//! Reports: the terminal table, `results.json`, and `report.md` with SVG plots.
//!
//! One [`Report`] holds every (workload × target) result of a command. It is written as
//! JSON (the machine-readable record, which the smoke test parses back), as Markdown with
//! tables, and as SVG plots ([`plot`]): latency percentiles per target and throughput over
//! time for each workload.

pub mod markdown;
pub mod plot;
pub mod terminal;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::measure::PhaseSummary;
use crate::target::TargetError;

/// One workload on one target.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RunResult {
    /// Workload letter ("a".."f") or micro-benchmark name.
    pub workload: String,
    /// Target spec.
    pub target: String,
    /// `sync` or `buffered`.
    pub durability: String,
    /// How the target maps the durability setting (in the run phase).
    pub durability_note: String,
    /// `sync` or `buffered`: the load phase's durability (empty in reports written before
    /// `--load-durability` existed). When it differs from `durability` the target was made
    /// durable and reopened with `durability` between the phases.
    #[serde(default)]
    pub load_durability: String,
    /// How the target mapped the load phase's durability.
    #[serde(default)]
    pub load_durability_note: String,
    /// Records loaded.
    pub records: u64,
    /// Ops requested for the run phase (`None`: it ran until `duration_s`).
    pub operations: Option<u64>,
    /// Wall-time bound of the run phase, if one was set.
    #[serde(default)]
    pub duration_s: Option<f64>,
    /// Worker threads.
    pub threads: usize,
    /// Base seed (replay with `--seed`).
    pub seed: u64,
    /// Open-loop target rate, if any.
    pub target_ops: Option<f64>,
    /// How open-loop workers waited for each op's start (`sleep` or `yield`), with a
    /// target rate (absent in reports written before `--open-loop-wait` existed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub open_loop_wait: Option<String>,
    /// The load phase, if this result loaded its own data.
    pub load: Option<PhaseSummary>,
    /// The run phase.
    pub run: PhaseSummary,
    /// With `--server-pid`: the server process's CPU time (user + system) over the run
    /// phase, per operation, in µs.
    #[serde(default)]
    pub server_cpu_us_per_op: Option<f64>,
    /// The engine's background work over the run phase (Shale's targets only).
    #[serde(default)]
    pub engine: Option<EngineRun>,
}

/// What the storage engine did over a run phase, from its counters before and after.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct EngineRun {
    /// Bytes the engine wrote (WAL, flushes, compactions) per byte of keys and values
    /// written in the phase: the write amplification of this phase's writes (with the
    /// background work the load left behind, if it ran meanwhile). `None` when the phase
    /// wrote less than [`WA_MIN_WRITTEN_BYTES`]: a ratio to almost nothing says nothing.
    pub write_amplification: Option<f64>,
    /// MiB of keys and values the phase wrote.
    #[serde(default)]
    pub written_mib: f64,
    /// MiB the engine wrote over the phase (WAL, flushes, compactions).
    #[serde(default)]
    pub engine_written_mib: f64,
    /// Memtable flushes finished.
    pub flushes: u64,
    /// Compactions finished.
    pub compactions: u64,
    /// Time writers were slowed or stopped, ms.
    pub stall_ms: f64,
    /// Time flushes and compactions waited for the rate limiter, ms.
    pub background_paced_ms: f64,
    /// The background rate limiter's rate at the end, MiB/s (0: no limiter).
    pub background_rate_mib_s: f64,
    /// Block cache lookups over the phase that found the block, from the engine's
    /// counters (0 for an engine without a block cache). Shale counts its readers'
    /// lookups only: compactions' reads neither fill the cache nor count.
    #[serde(default)]
    pub block_cache_hits: u64,
    /// Block cache lookups over the phase that did not: each a block read from the file.
    #[serde(default)]
    pub block_cache_misses: u64,
}

/// Below this many bytes of keys and values written in a phase, no write amplification
/// is reported: a read-only phase's few bookkeeping bytes, divided into the compaction
/// the load left behind, once printed as 2,724,771.
pub const WA_MIN_WRITTEN_BYTES: f64 = MIB;

/// Bytes in a MiB, as the reports' unit.
const MIB: f64 = 1_048_576.0;

/// An engine summary in words, for the reports.
pub fn engine_text(e: &EngineRun) -> String {
    let wa = match e.write_amplification {
        Some(wa) => format!("write amplification {wa:.2}"),
        None => format!(
            "write amplification n/a (the phase wrote {:.1} MiB, the engine {:.1} MiB)",
            e.written_mib, e.engine_written_mib
        ),
    };
    let mut s = format!(
        "{wa}, {} flushes, {} compactions, writers stalled {:.1} ms",
        e.flushes, e.compactions, e.stall_ms
    );
    if e.background_rate_mib_s > 0.0 {
        s.push_str(&format!(
            ", flushes and compactions paced {:.1} ms (rate at the end {:.1} MiB/s)",
            e.background_paced_ms, e.background_rate_mib_s
        ));
    }
    let lookups = e.block_cache_hits + e.block_cache_misses;
    if lookups > 0 {
        s.push_str(&format!(
            ", block cache hits {:.1}% of {lookups} lookups",
            100.0 * e.block_cache_hits as f64 / lookups as f64
        ));
    }
    s
}

impl EngineRun {
    /// From the engine's counters at the start and the end of a phase.
    pub fn between(
        before: &shale_engine::BackendStats,
        after: &shale_engine::BackendStats,
    ) -> Self {
        let f = |s: &shale_engine::BackendStats, name| s.figure(name).unwrap_or(0.0);
        let d = |name| (f(after, name) - f(before, name)).max(0.0);
        let engine_bytes = d("wal_bytes") + d("flush_bytes") + d("compaction_bytes");
        let user = after.user_bytes.saturating_sub(before.user_bytes) as f64;
        EngineRun {
            write_amplification: (user >= WA_MIN_WRITTEN_BYTES).then(|| engine_bytes / user),
            written_mib: user / MIB,
            engine_written_mib: engine_bytes / MIB,
            flushes: d("flushes") as u64,
            compactions: d("compactions") as u64,
            stall_ms: d("stall_micros") / 1000.0,
            background_paced_ms: d("background_paced_micros") / 1000.0,
            background_rate_mib_s: f(after, "background_rate_bytes_per_sec")
                / f64::from(1u32 << 20),
            block_cache_hits: d("block_cache_hits") as u64,
            block_cache_misses: d("block_cache_misses") as u64,
        }
    }
}

/// A ratio of one target against the first (baseline) target of a `compare`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Ratio {
    /// Workload letter.
    pub workload: String,
    /// The compared target.
    pub target: String,
    /// The baseline target.
    pub baseline: String,
    /// Throughput of target / baseline.
    pub throughput_ratio: f64,
    /// Op name → p50 latency of target / baseline.
    pub p50_ratio: Vec<(String, f64)>,
    /// Op name → p99 latency of target / baseline.
    pub p99_ratio: Vec<(String, f64)>,
}

/// Where and on what the run happened.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Machine {
    /// Logical CPUs available.
    pub cpus: usize,
    /// `/proc/cpuinfo` model name, if readable.
    pub cpu_model: String,
}

impl Machine {
    /// Describes this machine.
    pub fn detect() -> Self {
        let cpu_model = std::fs::read_to_string("/proc/cpuinfo")
            .ok()
            .and_then(|s| {
                s.lines()
                    .find(|l| l.starts_with("model name"))
                    .and_then(|l| l.split(':').nth(1))
                    .map(|m| m.trim().to_string())
            })
            .unwrap_or_else(|| "unknown".to_string());
        Machine {
            cpus: std::thread::available_parallelism().map_or(1, |n| n.get()),
            cpu_model,
        }
    }
}

/// Everything one command produced.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Report {
    /// The command line that produced it.
    pub command: String,
    /// The machine.
    pub machine: Machine,
    /// Results in run order.
    pub results: Vec<RunResult>,
    /// Ratios (only for `compare`).
    pub ratios: Vec<Ratio>,
    /// Targets that could not be opened (e.g. not built), with the reason.
    pub skipped: Vec<(String, String)>,
    /// Targets whose load or run phase failed (a worker thread panicked), with the error.
    /// Their figures are left out; the command exits with an error after writing the
    /// report.
    #[serde(default)]
    pub failed: Vec<(String, String)>,
}

/// Report files written by [`write_all`].
#[derive(Debug, Clone)]
pub struct Written {
    /// `results.json`.
    pub json: PathBuf,
    /// `report.md`.
    pub markdown: PathBuf,
    /// SVG plots.
    pub svgs: Vec<PathBuf>,
}

/// Writes `results.json`, `report.md` and the SVG plots into `dir`.
///
/// # Errors
/// [`TargetError::Io`] if a file cannot be written.
pub fn write_all(report: &Report, dir: &Path) -> Result<Written, TargetError> {
    crate::target::create_dir(dir)?;
    let write = |path: PathBuf, bytes: &[u8]| {
        std::fs::write(&path, bytes).map_err(|source| TargetError::Io {
            op: "write",
            path: path.clone(),
            source,
        })?;
        Ok::<PathBuf, TargetError>(path)
    };
    let json_text = serde_json::to_string_pretty(report).unwrap_or_else(|_| "{}".to_string());
    let json = write(dir.join("results.json"), json_text.as_bytes())?;
    let mut svgs = Vec::new();
    for workload in workloads(report) {
        let results: Vec<&RunResult> = report
            .results
            .iter()
            .filter(|r| r.workload == workload)
            .collect();
        let latency = plot::latency_svg(&workload, &results);
        svgs.push(write(
            dir.join(format!("latency-{workload}.svg")),
            latency.as_bytes(),
        )?);
        let throughput = plot::throughput_svg(&workload, &results);
        svgs.push(write(
            dir.join(format!("throughput-{workload}.svg")),
            throughput.as_bytes(),
        )?);
        let tail = plot::tail_svg(&workload, &results);
        svgs.push(write(
            dir.join(format!("tail-{workload}.svg")),
            tail.as_bytes(),
        )?);
    }
    let md = markdown::render(report);
    let markdown = write(dir.join("report.md"), md.as_bytes())?;
    Ok(Written {
        json,
        markdown,
        svgs,
    })
}

/// Distinct workloads in run order.
pub fn workloads(report: &Report) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for r in &report.results {
        if !out.contains(&r.workload) {
            out.push(r.workload.clone());
        }
    }
    out
}

/// The run phase's requested budget in words ("600000 ops", "ops until 30 s", "up to 1000
/// ops or 30 s").
pub fn budget_text(r: &RunResult) -> String {
    match (r.operations, r.duration_s) {
        (Some(n), None) => format!("{n} ops"),
        (None, Some(s)) => format!("ops until {s} s"),
        (Some(n), Some(s)) => format!("up to {n} ops or {s} s"),
        (None, None) => "no op budget".to_string(),
    }
}

/// `count / elapsed_s`: an op type's rate over its run, or 0 for an empty phase.
pub fn per_second(count: u64, elapsed_s: f64) -> f64 {
    if elapsed_s > 0.0 {
        count as f64 / elapsed_s
    } else {
        0.0
    }
}

/// The durability column: `sync`, or `buffered→sync` when the load ran in another mode.
pub fn durability_text(r: &RunResult) -> String {
    if r.load_durability.is_empty() || r.load_durability == r.durability {
        r.durability.clone()
    } else {
        format!("{}→{}", r.load_durability, r.durability)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stats(
        user: u64,
        wal: f64,
        flush: f64,
        compaction: f64,
        paced: f64,
    ) -> shale_engine::BackendStats {
        let mut s = shale_engine::BackendStats::default();
        s.user_bytes = user;
        s.figures = vec![
            ("wal_bytes", wal),
            ("flush_bytes", flush),
            ("compaction_bytes", compaction),
            // One flush per 100 KiB and one compaction per 100 KiB, for the counts.
            ("flushes", flush / 102_400.0),
            ("compactions", compaction / 102_400.0),
            ("stall_micros", 0.0),
            ("background_paced_micros", paced),
            ("background_rate_bytes_per_sec", f64::from(8u32 << 20)),
        ];
        s
    }

    #[test]
    fn a_runs_engine_figures_are_the_differences_over_it() {
        const MIB: u64 = 1 << 20;
        let m = MIB as f64;
        let before = stats(MIB, 1.1 * m, m, 3.0 * m, 500.0);
        let after = stats(2 * MIB, 2.2 * m, 2.0 * m, 6.0 * m, 2500.0);
        let e = EngineRun::between(&before, &after);
        // (1.1 + 1 + 3) MiB written by the engine for 1 MiB of the phase's writes.
        let wa = e.write_amplification.expect("a MiB written");
        assert!((wa - 5.1).abs() < 1e-9, "{e:?}");
        assert!((e.written_mib - 1.0).abs() < 1e-9 && (e.engine_written_mib - 5.1).abs() < 1e-9);
        assert_eq!((e.flushes, e.compactions), (10, 30));
        assert!((e.background_paced_ms - 2.0).abs() < 1e-9);
        assert!((e.background_rate_mib_s - 8.0).abs() < 1e-9);
        assert!(engine_text(&e).contains("write amplification 5.10"));
    }

    /// Regression: a read-only phase (workload C) wrote a few bookkeeping bytes while
    /// the load's compactions ran, and was reported with a write amplification of
    /// 2,724,771.65.
    #[test]
    fn a_phase_that_wrote_almost_nothing_has_no_write_amplification() {
        let m = (1u64 << 20) as f64;
        let before = stats(1000, 0.0, 0.0, 0.0, 0.0);
        let after = stats(1040, 40.0, 0.0, 100.0 * m, 0.0);
        let e = EngineRun::between(&before, &after);
        assert_eq!(e.write_amplification, None, "{e:?}");
        let text = engine_text(&e);
        assert!(
            text.contains(
                "write amplification n/a (the phase wrote 0.0 MiB, the engine 100.0 MiB)"
            ),
            "{text}"
        );
    }
}
