//! `report.md`: tables per workload with links to the SVG plots.

use std::fmt::Write;

use super::terminal::fmt_ratios;
use super::{durability_text, per_second, workloads, Report, RunResult};

/// Renders the report as Markdown.
pub fn render(report: &Report) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# shale-bench report\n");
    let _ = writeln!(s, "Command: `{}`\n", report.command);
    let _ = writeln!(
        s,
        "Machine: {} CPUs, {}\n",
        report.machine.cpus, report.machine.cpu_model
    );
    for w in workloads(report) {
        let _ = writeln!(s, "## Workload {w}\n");
        let _ = writeln!(
            s,
            "| target | durability | op | ops | ops/s | p50 µs | p95 µs | p99 µs | p99.9 µs | max µs | errors | throttles |"
        );
        let _ = writeln!(
            s,
            "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
        );
        for r in report.results.iter().filter(|r| r.workload == w) {
            let _ = writeln!(
                s,
                "| {} | {} | (all) | {} | {:.0} | | | | | | {} | {} |",
                r.target,
                durability_text(r),
                r.run.operations,
                r.run.ops_per_sec,
                r.run.errors,
                r.run.throttles
            );
            for op in &r.run.per_op {
                let _ = writeln!(
                    s,
                    "| | | {} | {} | {:.0} | {:.1} | {:.1} | {:.1} | {:.1} | {:.1} | {} | {} |",
                    op.op,
                    op.count,
                    per_second(op.count, r.run.elapsed_s),
                    op.p50_us,
                    op.p95_us,
                    op.p99_us,
                    op.p999_us,
                    op.max_us,
                    op.errors,
                    op.throttles
                );
            }
        }
        let _ = writeln!(s);
        for r in report.results.iter().filter(|r| r.workload == w) {
            for op in r.run.per_op.iter().filter(|o| o.inner > 0) {
                let _ = writeln!(
                    s,
                    "- {} {}: {} of the {} are the inner calls of READ-MODIFY-WRITE (YCSB counts them in both)",
                    r.target, op.op, op.inner, op.count
                );
            }
            let _ = writeln!(
                s,
                "- {}: {} records, {}, {} threads, seed {}, durability: {}{}",
                r.target,
                r.records,
                super::budget_text(r),
                r.threads,
                r.seed,
                durability_line(r),
                r.load
                    .as_ref()
                    .map(|l| format!("; load {:.0} inserts/s", l.ops_per_sec))
                    .unwrap_or_default()
            );
            if let Some(e) = &r.engine {
                let _ = writeln!(s, "- {} engine: {}", r.target, super::engine_text(e));
            }
        }
        let _ = writeln!(
            s,
            "\n![latency](latency-{w}.svg)\n\n![throughput](throughput-{w}.svg)\n\n![tail over time](tail-{w}.svg)\n"
        );
    }
    if !report.ratios.is_empty() {
        let _ = writeln!(s, "## Ratios (interleaved rounds)\n");
        let _ = writeln!(s, "| workload | target | vs | throughput | p50 | p99 |");
        let _ = writeln!(s, "|---|---|---|---:|---|---|");
        for r in &report.ratios {
            let _ = writeln!(
                s,
                "| {} | {} | {} | x{:.2} | {} | {} |",
                r.workload,
                r.target,
                r.baseline,
                r.throughput_ratio,
                fmt_ratios(&r.p50_ratio),
                fmt_ratios(&r.p99_ratio)
            );
        }
        let _ = writeln!(s);
    }
    for (target, why) in &report.skipped {
        let _ = writeln!(s, "- skipped {target}: {why}");
    }
    for (target, why) in &report.failed {
        let _ = writeln!(s, "- **failed** {target}: {why}");
    }
    s
}

/// What the result's durability was, in words: the run's note, and the load's when the
/// load ran in another mode.
fn durability_line(r: &RunResult) -> String {
    if r.load_durability.is_empty() || r.load_durability == r.durability {
        return format!("{} ({})", r.durability, r.durability_note);
    }
    format!(
        "load {} ({}), then made durable and reopened; run {} ({})",
        r.load_durability, r.load_durability_note, r.durability, r.durability_note
    )
}
