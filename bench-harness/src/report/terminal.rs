//! The terminal table printed after a run.

use std::fmt::Write;

use super::{durability_text, per_second, Report};

/// Renders the results as an aligned text table: per result an `(all)` row, then one row
/// per op type. `ops` is the completed count; `ops/s` is that count over the run's wall
/// time (an op type's share of the throughput on its own rows).
pub fn render(report: &Report) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{:<4} {:<14} {:<14} {:<18} {:>9} {:>10} {:>9} {:>9} {:>9} {:>9} {:>10} {:>6} {:>6}",
        "wl",
        "target",
        "durab.",
        "op",
        "ops",
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
            "{:<4} {:<14} {:<14} {:<18} {:>9} {:>10.0} {:>9} {:>9} {:>9} {:>9} {:>10} {:>6} {:>6}",
            r.workload,
            r.target,
            durability_text(r),
            "(all)",
            r.run.operations,
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
                "{:<4} {:<14} {:<14} {:<18} {:>9} {:>10.0} {:>9.1} {:>9.1} {:>9.1} {:>9.1} {:>10.1} {:>6} {:>6}",
                "",
                "",
                "",
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
        for op in r.run.per_op.iter().filter(|o| o.inner > 0) {
            let _ = writeln!(
                s,
                "     {}: {} of the {} are inside READ-MODIFY-WRITE (counted as YCSB does)",
                op.op, op.inner, op.count
            );
        }
        if let Some(e) = &r.run.first_error {
            let _ = writeln!(s, "     first error: {e}");
        }
        if let Some(us) = r.server_cpu_us_per_op {
            let _ = writeln!(
                s,
                "     server CPU: {us:.1} µs per operation (user + system, --server-pid)"
            );
        }
        if let Some(e) = &r.engine {
            let _ = writeln!(s, "     engine: {}", super::engine_text(e));
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
    // What each target's durability setting means, once per target and setting.
    let mut notes: Vec<(&str, &str)> = Vec::new();
    for r in &report.results {
        for note in [&r.load_durability_note, &r.durability_note] {
            if !note.is_empty() && !notes.contains(&(r.target.as_str(), note.as_str())) {
                notes.push((r.target.as_str(), note.as_str()));
            }
        }
    }
    for (target, note) in notes {
        let _ = writeln!(s, "durability {target}: {note}");
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::{OpSummary, PhaseSummary};
    use crate::report::{Machine, RunResult};

    fn op(name: &str, count: u64) -> OpSummary {
        OpSummary {
            op: name.to_string(),
            count,
            inner: 0,
            errors: 0,
            throttles: 0,
            mean_us: 10.0,
            p50_us: 9.0,
            p95_us: 20.0,
            p99_us: 30.0,
            p999_us: 40.0,
            max_us: 50.0,
        }
    }

    #[test]
    fn per_op_rows_show_the_count_and_a_rate_not_the_count_as_a_rate() {
        // 3000 reads and 1000 updates in 2 s: 2000 ops/s in all, 1500 and 500 per op.
        let report = Report {
            command: "test".into(),
            machine: Machine {
                cpus: 2,
                cpu_model: "test".into(),
            },
            results: vec![RunResult {
                workload: "a".into(),
                target: "kv:memory".into(),
                durability: "buffered".into(),
                durability_note: "fsync per write".into(),
                load_durability: "buffered".into(),
                load_durability_note: "page cache only".into(),
                records: 10,
                operations: Some(4000),
                duration_s: None,
                threads: 1,
                seed: 1,
                target_ops: None,
                open_loop_wait: None,
                load: None,
                run: PhaseSummary {
                    operations: 4000,
                    elapsed_s: 2.0,
                    ops_per_sec: 2000.0,
                    errors: 0,
                    throttles: 0,
                    per_op: vec![op("READ", 3000), op("UPDATE", 1000)],
                    ops_per_second_timeline: vec![2000, 2000],
                    slowest_us_timeline: vec![900.0, 1200.0],
                    engine_events: Vec::new(),
                    first_error: None,
                },
                server_cpu_us_per_op: Some(42.5),
                engine: Some(crate::report::EngineRun {
                    write_amplification: Some(3.5),
                    written_mib: 1.0,
                    engine_written_mib: 3.5,
                    flushes: 2,
                    compactions: 1,
                    stall_ms: 0.0,
                    background_paced_ms: 12.0,
                    background_rate_mib_s: 64.0,
                    block_cache_hits: 750,
                    block_cache_misses: 250,
                }),
            }],
            ratios: Vec::new(),
            skipped: Vec::new(),
            failed: Vec::new(),
        };
        let text = render(&report);
        let row = |name: &str| -> Vec<String> {
            text.lines()
                .find(|l| l.split_whitespace().any(|w| w == name))
                .unwrap_or_else(|| panic!("no {name} row in\n{text}"))
                .split_whitespace()
                .map(str::to_string)
                .collect()
        };
        // Columns after the op name: ops, ops/s, p50, ...
        let all = row("(all)");
        let at = |r: &[String], name: &str| r.iter().position(|w| w == name).unwrap();
        let a = at(&all, "(all)");
        assert_eq!((all[a + 1].as_str(), all[a + 2].as_str()), ("4000", "2000"));
        let read = row("READ");
        let i = at(&read, "READ");
        assert_eq!(
            (read[i + 1].as_str(), read[i + 2].as_str()),
            ("3000", "1500")
        );
        assert_eq!(read[i + 3], "9.0");
        let update = row("UPDATE");
        let i = at(&update, "UPDATE");
        assert_eq!(
            (update[i + 1].as_str(), update[i + 2].as_str()),
            ("1000", "500")
        );
        assert!(text.contains("server CPU: 42.5 µs per operation"), "{text}");
        assert!(
            text.contains("engine: write amplification 3.50, 2 flushes, 1 compactions")
                && text.contains("paced 12.0 ms (rate at the end 64.0 MiB/s)")
                && text.contains("block cache hits 75.0% of 1000 lookups"),
            "{text}"
        );
        // Each target's durability notes are printed under the table, once.
        for note in ["page cache only", "fsync per write"] {
            let line = format!("durability kv:memory: {note}");
            assert_eq!(text.lines().filter(|l| *l == line).count(), 1, "{text}");
        }
    }
}
