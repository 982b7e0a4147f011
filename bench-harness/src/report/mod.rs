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
    /// The load phase, if this result loaded its own data.
    pub load: Option<PhaseSummary>,
    /// The run phase.
    pub run: PhaseSummary,
    /// With `--server-pid`: the server process's CPU time (user + system) over the run
    /// phase, per operation, in µs.
    #[serde(default)]
    pub server_cpu_us_per_op: Option<f64>,
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
