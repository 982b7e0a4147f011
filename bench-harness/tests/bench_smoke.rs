//! End-to-end smoke test: every workload A–F, load + a few hundred ops, on every target
//! this build has, then the report files are checked (JSON parses and its counts add up,
//! Markdown and SVG plots are written). Figures are not asserted, only the bookkeeping.
//!
//! The `http:` target runs against a real `shale-server` started in-process on
//! 127.0.0.1:0 with the in-memory backend, so CI exercises the whole HTTP path (request
//! shapes, the server's dispatch, the engine's table layer) with no external process.
//! Sync mode, and a buffered load followed by a sync run, get tiny runs of their own.

use std::ffi::OsString;
use std::net::SocketAddr;
use std::process::Command;
use std::sync::Arc;

use shale_bench::cli;
use shale_bench::report::Report;
use shale_server::cli::StorageMode;
use shale_server::http::AppState;
use shale_server::server::{serve, ShutdownOutcome};
use shale_server::storage::Storage;

const RECORDS: u64 = 300;
const OPERATIONS: u64 = 400;
/// Targets that must run (not be skipped) in every CI build.
const REQUIRED_TARGETS: &[&str] = &[
    "kv:memory",
    "kv:fjall",
    "kv:redb",
    "kv:shale",
    "table:shale",
    "table:memory",
];

fn args(s: &str) -> Vec<OsString> {
    s.split_whitespace().map(OsString::from).collect()
}

fn check_report(report: &Report, workloads: &str, targets: &[String]) {
    check_report_sized(report, workloads, targets, RECORDS, OPERATIONS);
}

fn check_report_sized(
    report: &Report,
    workloads: &str,
    targets: &[String],
    records: u64,
    operations: u64,
) {
    assert!(
        report.skipped.is_empty(),
        "targets were skipped: {:?}",
        report.skipped
    );
    assert!(
        report.failed.is_empty(),
        "phases failed: {:?}",
        report.failed
    );
    assert_eq!(report.results.len(), workloads.len() * targets.len());
    for r in &report.results {
        assert!(targets.contains(&r.target), "{}", r.target);
        let load = r
            .load
            .as_ref()
            .expect("ycsb results carry their load phase");
        assert_eq!(load.operations, records, "{} {}", r.workload, r.target);
        assert_eq!(
            load.errors, 0,
            "{} {}: {:?}",
            r.workload, r.target, load.first_error
        );
        assert_eq!(r.run.operations, operations, "{} {}", r.workload, r.target);
        assert_eq!(
            r.run.errors, 0,
            "{} {}: {:?}",
            r.workload, r.target, r.run.first_error
        );
        // Inner READs and UPDATEs of READ-MODIFY-WRITEs are latencies, not extra ops.
        let per_op_total: u64 = r.run.per_op.iter().map(|o| o.count - o.inner).sum();
        assert_eq!(per_op_total, r.run.operations);
        let timeline_total: u64 = r.run.ops_per_second_timeline.iter().sum();
        assert_eq!(timeline_total, r.run.operations);
        for op in &r.run.per_op {
            assert!(op.p50_us <= op.p99_us && op.p99_us <= op.max_us, "{op:?}");
        }
        let ops: Vec<&str> = r.run.per_op.iter().map(|o| o.op.as_str()).collect();
        let expected: &[&str] = match r.workload.as_str() {
            "a" => &["READ", "UPDATE"],
            "b" => &["READ", "UPDATE"],
            "c" => &["READ"],
            "d" => &["READ", "INSERT"],
            "e" => &["INSERT", "SCAN"],
            "f" => &["READ", "UPDATE", "READ-MODIFY-WRITE"],
            other => panic!("unexpected workload {other}"),
        };
        assert_eq!(ops, expected, "{} {}", r.workload, r.target);
        if r.workload == "f" {
            // Every READ-MODIFY-WRITE recorded one inner READ and one inner UPDATE.
            let count = |name: &str| r.run.per_op.iter().find(|o| o.op == name).unwrap();
            let rmw = count("READ-MODIFY-WRITE");
            assert_eq!(count("UPDATE").count, rmw.count);
            assert_eq!(count("UPDATE").inner, rmw.count);
            assert_eq!(count("READ").inner, rmw.count);
            assert!(count("READ").count > rmw.count);
        }
    }
}

#[test]
fn every_workload_on_every_built_target_end_to_end() {
    let out = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let targets: Vec<String> = REQUIRED_TARGETS.iter().map(|s| s.to_string()).collect();
    let cmd = format!(
        "ycsb all --targets {} --records {RECORDS} --operations {OPERATIONS} --threads 2 \
         --seed 7 --out {} --dir {}",
        targets.join(","),
        out.path().display(),
        data.path().display()
    );
    let inv = cli::parse(args(&cmd)).unwrap();
    let report = cli::execute(&inv).unwrap().unwrap();
    check_report(&report, "abcdef", &targets);

    // The files on disk say the same thing.
    let json = std::fs::read_to_string(out.path().join("results.json")).unwrap();
    let parsed: Report = serde_json::from_str(&json).unwrap();
    // Floats may differ in the last bit after a JSON round trip; counts must not.
    assert_eq!(parsed.results.len(), report.results.len());
    for (p, r) in parsed.results.iter().zip(&report.results) {
        assert_eq!((&p.workload, &p.target), (&r.workload, &r.target));
        assert_eq!(p.run.operations, r.run.operations);
        assert_eq!(p.run.per_op.len(), r.run.per_op.len());
        assert_eq!(p.run.ops_per_second_timeline, r.run.ops_per_second_timeline);
        assert!((p.run.ops_per_sec - r.run.ops_per_sec).abs() <= r.run.ops_per_sec * 1e-12);
        assert_eq!(
            p.run.slowest_us_timeline.len(),
            r.run.ops_per_second_timeline.len()
        );
        // Shale's LSM targets say what the engine did; the in-memory ones have no engine.
        let on_lsm = r.target.ends_with(":shale");
        assert_eq!(r.engine.is_some(), on_lsm, "{}", r.target);
        assert_eq!(!r.run.engine_events.is_empty(), on_lsm, "{}", r.target);
        if let Some(e) = r.engine.as_ref().filter(|_| r.workload != "c") {
            // Every write went through the WAL at least once (C only reads). A phase
            // this small writes under a MiB, too little for a write amplification.
            assert!(
                e.written_mib > 0.0
                    && e.engine_written_mib >= e.written_mib
                    && e.write_amplification.is_none_or(|wa| wa >= 1.0),
                "{} {} {e:?}",
                r.workload,
                r.target
            );
        }
    }
    let md = std::fs::read_to_string(out.path().join("report.md")).unwrap();
    assert!(md.contains("## Workload a") && md.contains("## Workload f"));
    for w in "abcdef".chars() {
        for kind in ["latency", "throughput", "tail"] {
            let svg = std::fs::read_to_string(out.path().join(format!("{kind}-{w}.svg"))).unwrap();
            assert!(
                svg.starts_with("<svg") && svg.contains("</svg>"),
                "{kind}-{w}"
            );
            assert!(svg.contains("kv:memory"), "legend names the targets");
        }
    }
}

/// A shale-server serving on 127.0.0.1:0 in this process until dropped.
struct InProcessServer {
    addr: SocketAddr,
    runtime: tokio::runtime::Runtime,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    served: Option<tokio::task::JoinHandle<ShutdownOutcome>>,
}

impl InProcessServer {
    /// The same wiring as `shale_server::run`, minus the signal handlers: storage, the
    /// shared state, and the accept loop until [`InProcessServer::shutdown`].
    fn start() -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_io()
            .enable_time()
            .build()
            .unwrap();
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let addr = listener.local_addr().unwrap();
        let storage = Storage::open(&StorageMode::InMemory).unwrap();
        let state = Arc::new(AppState::new(&storage, 0));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let served = runtime.spawn(serve(listener, state, async move {
            let _ = stopped.await;
        }));
        InProcessServer {
            addr,
            runtime,
            stop: Some(stop),
            served: Some(served),
        }
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting and waits for the connections to drain.
    fn shutdown(mut self) -> ShutdownOutcome {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let served = self.served.take().unwrap();
        self.runtime.block_on(served).unwrap()
    }
}

#[test]
fn http_target_runs_a_and_e_against_an_in_process_shale_server() {
    let server = InProcessServer::start();
    let out = tempfile::tempdir().unwrap();
    let target = format!("http:{}", server.url());
    let cmd = format!(
        "ycsb a,e --targets {target} --records {RECORDS} --operations {OPERATIONS} --threads 2 \
         --seed 11 --out {}",
        out.path().display()
    );
    let report = cli::execute(&cli::parse(args(&cmd)).unwrap())
        .unwrap()
        .unwrap();
    check_report(&report, "ae", &[target]);
    for r in &report.results {
        assert_eq!(r.run.throttles, 0, "on-demand tables are not throttled");
    }
    let e = &report.results[1];
    assert!(
        e.run.per_op.iter().any(|o| o.op == "SCAN" && o.count > 0),
        "{:?}",
        e.run.per_op
    );
    // The harness's keep-alive connections are closed when the target is dropped, so the
    // server drains at once rather than waiting out its grace period.
    assert_eq!(server.shutdown(), ShutdownOutcome::Drained);
}

#[test]
fn a_sync_run_on_every_on_disk_target() {
    // Every write, loads included, durable before its ack: tiny, since each is a sync.
    const SYNC_RECORDS: u64 = 60;
    const SYNC_OPERATIONS: u64 = 60;
    let out = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let targets: Vec<String> = ["kv:shale", "kv:fjall", "kv:redb", "table:shale"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let cmd = format!(
        "ycsb a,d --targets {} --records {SYNC_RECORDS} --operations {SYNC_OPERATIONS} \
         --threads 2 --seed 5 --durability sync --out {} --dir {}",
        targets.join(","),
        out.path().display(),
        data.path().display()
    );
    let report = cli::execute(&cli::parse(args(&cmd)).unwrap())
        .unwrap()
        .unwrap();
    check_report_sized(&report, "ad", &targets, SYNC_RECORDS, SYNC_OPERATIONS);
    for r in &report.results {
        assert_eq!(
            (r.load_durability.as_str(), r.durability.as_str()),
            ("sync", "sync")
        );
        let synced = [
            "Durability::Sync",
            "PersistMode::SyncData",
            "Durability::Immediate",
        ];
        assert!(
            synced.iter().any(|s| r.durability_note.contains(s)),
            "{}: {}",
            r.target,
            r.durability_note
        );
    }
}

#[test]
fn a_buffered_load_is_made_durable_and_reopened_for_a_sync_run() {
    // `--load-durability buffered --durability sync`: each on-disk target loads without a
    // sync per insert, is made durable, closed and reopened in sync mode, then runs. Reads
    // and scans of the loaded records after the reopen must all succeed (0 errors), and
    // the report must carry both durabilities.
    const SYNC_RECORDS: u64 = 200;
    const SYNC_OPERATIONS: u64 = 100;
    let out = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let targets: Vec<String> = [
        "kv:shale",
        "kv:fjall",
        "kv:redb",
        "table:shale",
        "table:memory",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let cmd = format!(
        "ycsb a,e --targets {} --records {SYNC_RECORDS} --operations {SYNC_OPERATIONS} \
         --threads 2 --seed 3 --durability sync --load-durability buffered --out {} --dir {}",
        targets.join(","),
        out.path().display(),
        data.path().display()
    );
    let report = cli::execute(&cli::parse(args(&cmd)).unwrap())
        .unwrap()
        .unwrap();
    check_report_sized(&report, "ae", &targets, SYNC_RECORDS, SYNC_OPERATIONS);
    for r in &report.results {
        assert_eq!(
            (r.load_durability.as_str(), r.durability.as_str()),
            ("buffered", "sync"),
            "{}",
            r.target
        );
    }
    let shale = report
        .results
        .iter()
        .find(|r| r.target == "kv:shale")
        .unwrap();
    assert!(
        shale.load_durability_note.contains("Durability::None"),
        "{}",
        shale.load_durability_note
    );
    assert!(
        shale.durability_note.contains("Durability::Sync"),
        "the run reopened the WAL in sync mode: {}",
        shale.durability_note
    );
    let md = std::fs::read_to_string(out.path().join("report.md")).unwrap();
    assert!(md.contains("buffered→sync"), "{md}");
    assert!(md.contains("then made durable and reopened"), "{md}");
    let json = std::fs::read_to_string(out.path().join("results.json")).unwrap();
    assert!(json.contains("\"load_durability\": \"buffered\""));
}

#[test]
fn compare_interleaves_and_reports_ratios() {
    let out = tempfile::tempdir().unwrap();
    let cmd = format!(
        "compare --workload a --targets kv:memory,kv:redb --records {RECORDS} \
         --operations {OPERATIONS} --rounds 4 --threads 1 --out {}",
        out.path().display()
    );
    let report = cli::execute(&cli::parse(args(&cmd)).unwrap())
        .unwrap()
        .unwrap();
    let targets = vec!["kv:memory".to_string(), "kv:redb".to_string()];
    check_report(&report, "a", &targets);
    assert_eq!(report.ratios.len(), 1);
    let ratio = &report.ratios[0];
    assert_eq!(
        (ratio.baseline.as_str(), ratio.target.as_str()),
        ("kv:memory", "kv:redb")
    );
    assert!(ratio.throughput_ratio.is_finite() && ratio.throughput_ratio > 0.0);
    // Four rounds of 100 ops each: the timeline has at least one bucket per round.
    assert!(report.results[0].run.ops_per_second_timeline.len() >= 4);
}

#[test]
fn compare_duration_bounds_each_targets_whole_run_over_all_rounds() {
    // `--duration` is a target's whole run, split over the rounds: 4 rounds of 0.1 s here.
    // (It used to bound every round, so each target ran rounds × duration = 1.6 s.)
    const DURATION_S: f64 = 0.4;
    let out = tempfile::tempdir().unwrap();
    let cmd = format!(
        "compare --workload c --targets kv:memory --records {RECORDS} --duration {DURATION_S} \
         --rounds 4 --threads 1 --out {}",
        out.path().display()
    );
    let report = cli::execute(&cli::parse(args(&cmd)).unwrap())
        .unwrap()
        .unwrap();
    assert_eq!(report.results.len(), 1);
    let r = &report.results[0];
    assert_eq!(r.operations, None, "no op count: bounded by time only");
    assert_eq!(r.duration_s, Some(DURATION_S));
    assert_eq!(r.run.errors, 0, "{:?}", r.run.first_error);
    assert!(r.run.operations > 0);
    assert!(
        r.run.elapsed_s >= DURATION_S && r.run.elapsed_s < 3.0 * DURATION_S,
        "ran {} s for a {DURATION_S} s budget",
        r.run.elapsed_s
    );
}

#[test]
fn kv_micro_runs_every_phase_side_by_side() {
    let out = tempfile::tempdir().unwrap();
    let cmd = format!(
        "kv --targets kv:memory,kv:fjall --keys 500 --sync-ops 40 --buffered-ops 300 \
         --read-ops 300 --out {}",
        out.path().display()
    );
    let report = cli::execute(&cli::parse(args(&cmd)).unwrap())
        .unwrap()
        .unwrap();
    assert!(report.skipped.is_empty(), "{:?}", report.skipped);
    let names: Vec<(&str, &str)> = report
        .results
        .iter()
        .map(|r| (r.workload.as_str(), r.target.as_str()))
        .collect();
    for phase in [
        "write-sync-1t",
        "write-sync-4t",
        "write-buffered-1t",
        "read-random",
    ] {
        for t in ["kv:memory", "kv:fjall"] {
            assert!(names.contains(&(phase, t)), "{phase} {t} missing");
        }
    }
    for r in &report.results {
        assert_eq!(
            r.run.errors, 0,
            "{} {}: {:?}",
            r.workload, r.target, r.run.first_error
        );
        assert_eq!(Some(r.run.operations), r.operations);
    }
}

#[test]
fn the_binary_runs_and_rejects_bad_arguments() {
    let out = tempfile::tempdir().unwrap();
    let bin = env!("CARGO_BIN_EXE_shale-bench");
    let ok = Command::new(bin)
        .args([
            "ycsb",
            "c",
            "--targets",
            "kv:memory",
            "--records",
            "100",
            "--operations",
            "200",
        ])
        .arg("--out")
        .arg(out.path())
        .output()
        .unwrap();
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let stdout = String::from_utf8_lossy(&ok.stdout);
    assert!(
        stdout.contains("kv:memory") && stdout.contains("READ"),
        "{stdout}"
    );
    // Not on a terminal: no progress bar (its template draws "eta" and a bracketed bar)
    // lands in either stream.
    let stderr = String::from_utf8_lossy(&ok.stderr);
    for stream in [&stdout, &stderr] {
        assert!(
            !stream.contains("eta ") && !stream.contains("[="),
            "{stream}"
        );
    }
    assert!(out.path().join("results.json").exists());
    let bad = Command::new(bin).args(["ycsb", "q"]).output().unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("unknown workload"));
}
