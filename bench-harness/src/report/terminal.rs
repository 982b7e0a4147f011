//! The terminal table printed after a run.

use std::fmt::Write;

use super::Report;

/// Renders the results as an aligned text table.
pub fn render(report: &Report) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{:<4} {:<14} {:<9} {:<18} {:>10} {:>9} {:>9} {:>9} {:>9} {:>10} {:>6} {:>6}",
        "wl",
        "target",
        "durab.",
        "op",
        "ops/s",
        "p50 µs",
        "p95 µs",
        "p99 µs",
        "p99.9 µs",
        "max µs",
        "err",
        "thr"
    );
    for r in &report.results {
        let _ = writeln!(
            s,
            "{:<4} {:<14} {:<9} {:<18} {:>10.0} {:>9} {:>9} {:>9} {:>9} {:>10} {:>6} {:>6}",
            r.workload,
            r.target,
            r.durability,
            "(all)",
            r.run.ops_per_sec,
            "",
            "",
            "",
            "",
            "",
            r.run.errors,
            r.run.throttles
        );
        for op in &r.run.per_op {
            let _ = writeln!(
                s,
                "{:<4} {:<14} {:<9} {:<18} {:>10} {:>9.1} {:>9.1} {:>9.1} {:>9.1} {:>10.1} {:>6} {:>6}",
                "",
                "",
                "",
                op.op,
                op.count,
                op.p50_us,
                op.p95_us,
                op.p99_us,
                op.p999_us,
                op.max_us,
                op.errors,
                op.throttles
            );
        }
        if let Some(e) = &r.run.first_error {
            let _ = writeln!(s, "     first error: {e}");
        }
    }
    for ratio in &report.ratios {
        let _ = writeln!(
            s,
            "ratio {} {} vs {}: throughput x{:.2}; p50 {}; p99 {}",
            ratio.workload,
            ratio.target,
            ratio.baseline,
            ratio.throughput_ratio,
            fmt_ratios(&ratio.p50_ratio),
            fmt_ratios(&ratio.p99_ratio)
        );
    }
    for (target, why) in &report.skipped {
        let _ = writeln!(s, "skipped {target}: {why}");
    }
    for (target, why) in &report.failed {
        let _ = writeln!(s, "FAILED {target}: {why}");
    }
    s
}

/// `OP xR, ...`.
pub fn fmt_ratios(r: &[(String, f64)]) -> String {
    r.iter()
        .map(|(op, x)| format!("{op} x{x:.2}"))
        .collect::<Vec<_>>()
        .join(", ")
}
