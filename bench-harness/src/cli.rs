//! Command-line parsing (hand-rolled on `lexopt`) and dispatch.

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

use crate::kv_micro::{self, KvOptions};
use crate::report::{self, Machine, Report};
use crate::runner::{
    OpenLoopWait, PhaseConfig, PhaseError, TARGET_OPS_MAX, TARGET_OPS_MIN, THREADS_MAX,
};
use crate::target::{self, Durability, TargetError};
use crate::workload::WorkloadSpec;
use crate::ycsb::{self, YcsbOptions};

/// Default records loaded by `ycsb` (sized so `ycsb a` on kv:shale + table:shale takes
/// about a minute on 2 cores).
pub const DEFAULT_RECORDS: u64 = 1_000_000;
/// Default run-phase ops.
pub const DEFAULT_OPERATIONS: u64 = 2_000_000;
/// Default worker threads.
pub const DEFAULT_THREADS: usize = 2;
/// Default seed.
pub const DEFAULT_SEED: u64 = 0x5EED;
/// Default targets of `ycsb`.
pub const DEFAULT_TARGETS: &str = "kv:shale,table:shale";
/// Default targets of `kv`.
pub const DEFAULT_KV_TARGETS: &str = "kv:shale,kv:fjall";
/// Default interleaved rounds of `compare`.
pub const DEFAULT_ROUNDS: u64 = 6;
/// Most interleaved rounds accepted (each round is a separate run of every target).
pub const ROUNDS_MAX: u64 = 10_000;
/// Records `stream-lag` writes by default.
pub const STREAM_LAG_DEFAULT_RECORDS: u64 = 20_000;
/// `stream-lag`'s default write rate, ops/s.
pub const STREAM_LAG_DEFAULT_RATE: f64 = 2_000.0;
/// `capacity`'s defaults: simulated seconds, offered writes per second, zipfian keys,
/// and the table's WCU (four partitions of 1,000).
pub const CAPACITY_DEFAULT_SECONDS: u64 = 300;
/// See [`CAPACITY_DEFAULT_SECONDS`].
pub const CAPACITY_DEFAULT_RATE: u64 = 3_600;
/// See [`CAPACITY_DEFAULT_SECONDS`].
pub const CAPACITY_DEFAULT_KEYS: u64 = 10;
/// See [`CAPACITY_DEFAULT_SECONDS`].
pub const CAPACITY_DEFAULT_WCU: i64 = 4_000;
/// See [`CAPACITY_DEFAULT_SECONDS`]: one RCU, since the default run is writes only
/// (more would add partitions: `ceil(RCU / 3000 + WCU / 1000)`).
pub const CAPACITY_DEFAULT_RCU: i64 = 1;
/// Most simulated seconds or offered writes per second `capacity` takes.
pub const CAPACITY_MAX: u64 = 1_000_000;
/// Largest `--value-bytes`.
pub const STREAM_VALUE_BYTES_MAX: usize = 300_000;
/// Longest `--settle` pause, in seconds.
pub const SETTLE_SECS_MAX: u64 = 3_600;

/// Usage text.
pub const USAGE: &str = "\
usage:
  shale-bench ycsb <a|b|c|d|e|f|all> [options]
  shale-bench compare --workload <a..f|all> --targets T1,T2,... [--rounds N] [options]
  shale-bench kv [--targets kv:shale,kv:fjall] [--keys N] [--sync-ops N]
                 [--buffered-ops N] [--read-ops N] [--settle SECS] [--seed N]
                 [--out DIR] [--dir DIR]
  shale-bench stream-lag [--records N] [--target-ops N] [--durability MODE]
                 [--memory] [--no-log-tail] [--value-bytes N] [--out DIR] [--dir DIR]
                       in-process stream consumer lag (write ack to delivery, p50/p99)
                       and GetRecords throughput, on a NEW_AND_OLD_IMAGES stream
                       (defaults: 20000 records at 2000 ops/s, 100-byte values)
  shale-bench capacity [--duration SECS] [--target-ops N] [--keys N] [--wcu N]
                 [--rcu N] [--read-proportion P] [--seed N] [--out DIR]
                       a zipfian hot key against a provisioned table on a simulated
                       clock: goodput and throttle rate per second with adaptive
                       capacity off, on, on with per-partition limits, and with
                       split for heat too; CSV and two SVG plots (defaults: 300 s at
                       3600 requests/s over 10 keys, 4000 WCU, 1 RCU, writes only;
                       --read-proportion 0.5 with --rcu N is YCSB's workload A)

options:
  --records N          records loaded (default 1000000)
  --operations N       run-phase operations (default 2000000, or unbounded with --duration)
  --threads N          worker threads (default 2)
  --duration SECS      stop the run phase after SECS seconds (under compare: each
                       target's whole run, split evenly over the rounds)
  --seed N             base seed (default 24301); the same seed replays the same run
  --target-ops N       open-loop rate in ops/s (0.001 to 1e9); latency counted from
                       the intended start
  --open-loop-wait HOW with --target-ops, sleep | yield (default sleep): how a worker
                       waits for an op's start. yield keeps its CPU from going idle (a VM may
                       wake an idle CPU milliseconds late), at a core of busy time
                       per worker; other runnable threads still run first
  --durability MODE    sync | buffered (default buffered): the run phase
  --settle SECS        pause between each target's load and its run (default 0, at
                       most 3600), so the run starts after the compactions the load
                       left behind, the same pause for every target (kv: once, between
                       the loads and the read phase)
  --load-durability MODE
                       sync | buffered for the load phase (default: --durability); when
                       it differs, each target is made durable and reopened before the run
  --targets LIST       kv:memory, kv:shale (SSTables read and the WAL appended through
                       memory maps), kv:shale+pread (neither: pread and pwrite),
                       kv:shale+mmapwal (pread, the WAL appended through a memory map),
                       kv:shale+zeroedwal (its control: zero-filled WAL segments,
                       pwrite), kv:shale+blockcache (reads of mapped SSTables
                       through the block cache), kv:shale+mmap (the same as kv:shale,
                       the counterpart of kv:rocksdb+mmap), kv:fjall, kv:redb,
                       kv:rocksdb, kv:rocksdb+mmap (RocksDB's allow_mmap_reads and
                       allow_mmap_writes), table:shale,
                       table:shale+pitr, table:shale+stream (a NEW_AND_OLD_IMAGES stream
                       on), table:shale+paced (flushes and compactions paced by the
                       auto-tuned rate limiter), table:memory, http:http://HOST:PORT (default
                       kv:shale,table:shale)
  --server-pid PID     (ycsb, with an http: target) the server's process: each result
                       also reports its CPU time per run-phase operation
  --out DIR            report directory (default shale-bench-out)
  --dir DIR            where data directories are created (default: system temp dir)
";

/// A command-line problem.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CliError {
    /// lexopt rejected the arguments.
    #[error("{0}\n\n{USAGE}")]
    Args(#[from] lexopt::Error),
    /// No or an unknown subcommand.
    #[error("unknown command {command:?}\n\n{USAGE}")]
    UnknownCommand {
        /// What was given.
        command: String,
    },
    /// A workload name that is not a..f or all.
    #[error("unknown workload {value:?}; expected a, b, c, d, e, f or all")]
    UnknownWorkload {
        /// What was given.
        value: String,
    },
    /// An `--open-loop-wait` that is not sleep or yield.
    #[error("unknown --open-loop-wait {value:?}; expected sleep or yield")]
    UnknownOpenLoopWait {
        /// What was given.
        value: String,
    },
    /// A numeric option out of its range.
    #[error("--{option} {value} is out of range: {reason}")]
    OutOfRange {
        /// The option.
        option: &'static str,
        /// The value.
        value: String,
        /// The allowed range.
        reason: &'static str,
    },
    /// A target problem.
    #[error(transparent)]
    Target(#[from] TargetError),
    /// One or more phases failed (a worker thread panicked); the report was still written,
    /// without their figures.
    #[error("{count} phase(s) failed; the report lists them. First: {first}")]
    PhasesFailed {
        /// How many failed.
        count: usize,
        /// The first failure (boxed: it can carry a whole `TargetError`).
        #[source]
        first: Box<PhaseError>,
    },
}

/// A parsed command.
#[derive(Debug, Clone)]
pub enum Command {
    /// `ycsb`.
    Ycsb(YcsbOptions),
    /// `compare`.
    Compare(YcsbOptions),
    /// `kv`.
    Kv(KvOptions),
    /// `stream-lag`.
    StreamLag(crate::stream_lag::StreamLagOptions),
    /// `capacity`.
    Capacity(crate::capacity_scenario::CapacityScenarioOptions),
    /// `help`.
    Help,
}

/// A parsed command plus where to put things.
#[derive(Debug, Clone)]
pub struct Invocation {
    /// What to do.
    pub command: Command,
    /// Report directory.
    pub out: PathBuf,
    /// Data directory root.
    pub data_root: PathBuf,
    /// The command line, for the report.
    pub command_line: String,
}

fn parse_workloads(v: &str) -> Result<Vec<WorkloadSpec>, CliError> {
    if v == "all" {
        return Ok("abcdef".chars().filter_map(WorkloadSpec::core).collect());
    }
    v.split(',')
        .map(|w| {
            let mut chars = w.trim().chars();
            match (chars.next(), chars.next()) {
                (Some(c), None) => WorkloadSpec::core(c),
                _ => None,
            }
            .ok_or_else(|| CliError::UnknownWorkload {
                value: w.to_string(),
            })
        })
        .collect()
}

/// Parses `args` (without the program name).
///
/// # Errors
/// [`CliError`] for anything malformed.
pub fn parse(args: Vec<OsString>) -> Result<Invocation, CliError> {
    use lexopt::prelude::*;
    let command_line = std::iter::once("shale-bench".to_string())
        .chain(args.iter().map(|a| a.to_string_lossy().into_owned()))
        .collect::<Vec<_>>()
        .join(" ");
    let mut p = lexopt::Parser::from_args(args);
    let sub = match p.next()? {
        Some(Value(v)) => v.string()?,
        Some(Long("help")) | Some(Short('h')) | None => "help".to_string(),
        Some(other) => return Err(other.unexpected().into()),
    };
    let mut workloads: Option<Vec<WorkloadSpec>> = None;
    let mut targets: Option<String> = None;
    let mut records = DEFAULT_RECORDS;
    let mut operations: Option<u64> = None;
    let mut threads = DEFAULT_THREADS;
    let mut duration = None;
    let mut seed = DEFAULT_SEED;
    let mut target_ops = None;
    let mut open_loop_wait = OpenLoopWait::Sleep;
    let mut durability = Durability::Buffered;
    let mut load_durability: Option<Durability> = None;
    let mut settle = Duration::ZERO;
    let mut server_pid = None;
    let mut rounds = DEFAULT_ROUNDS;
    let mut out = PathBuf::from("shale-bench-out");
    let mut data_root = std::env::temp_dir();
    let mut keys = 1_000_000u64;
    let mut sync_ops = 2_000u64;
    let mut buffered_ops = 200_000u64;
    let mut read_ops = 200_000u64;
    let mut memory = false;
    let mut no_log_tail = false;
    let mut value_bytes = 100usize;
    let mut keys_given = false;
    let mut wcu = CAPACITY_DEFAULT_WCU;
    let mut rcu = CAPACITY_DEFAULT_RCU;
    let mut read_proportion = 0.0f64;
    while let Some(arg) = p.next()? {
        match arg {
            Value(v) if sub == "ycsb" && workloads.is_none() => {
                workloads = Some(parse_workloads(&v.string()?)?)
            }
            Long("workload") => workloads = Some(parse_workloads(&p.value()?.string()?)?),
            Long("targets") => targets = Some(p.value()?.string()?),
            Long("records") => records = p.value()?.parse()?,
            Long("operations") => operations = Some(p.value()?.parse()?),
            Long("threads") => threads = p.value()?.parse()?,
            Long("duration") => {
                let secs: f64 = p.value()?.parse()?;
                if !(secs.is_finite() && secs > 0.0 && secs < 1e7) {
                    return Err(CliError::OutOfRange {
                        option: "duration",
                        value: secs.to_string(),
                        reason: "must be between 0 and 10^7 seconds",
                    });
                }
                duration = Some(Duration::from_secs_f64(secs));
            }
            Long("seed") => seed = p.value()?.parse()?,
            Long("settle") => {
                let secs: u64 = p.value()?.parse()?;
                if secs > SETTLE_SECS_MAX {
                    return Err(CliError::OutOfRange {
                        option: "settle",
                        value: secs.to_string(),
                        reason: "must be 0..=3600 seconds",
                    });
                }
                settle = Duration::from_secs(secs);
            }
            Long("target-ops") => {
                let rate: f64 = p.value()?.parse()?;
                // NaN fails `contains` too. The bounds keep `threads / rate` a finite,
                // non-zero interval that `Duration` can hold.
                if !(TARGET_OPS_MIN..=TARGET_OPS_MAX).contains(&rate) {
                    return Err(CliError::OutOfRange {
                        option: "target-ops",
                        value: rate.to_string(),
                        reason: "must be a rate from 0.001 to 1e9 ops/s",
                    });
                }
                target_ops = Some(rate);
            }
            Long("open-loop-wait") => {
                let value = p.value()?.string()?;
                open_loop_wait =
                    OpenLoopWait::named(&value).ok_or(CliError::UnknownOpenLoopWait { value })?;
            }
            Long("durability") => durability = p.value()?.string()?.parse()?,
            Long("load-durability") => load_durability = Some(p.value()?.string()?.parse()?),
            Long("rounds") => rounds = p.value()?.parse()?,
            Long("server-pid") => server_pid = Some(p.value()?.parse()?),
            Long("out") => out = p.value()?.into(),
            Long("dir") => data_root = p.value()?.into(),
            Long("keys") => {
                keys = p.value()?.parse()?;
                keys_given = true;
            }
            Long("wcu") => wcu = capacity_units("wcu", p.value()?.parse()?)?,
            Long("rcu") => rcu = capacity_units("rcu", p.value()?.parse()?)?,
            Long("read-proportion") => {
                read_proportion = p.value()?.parse()?;
                if !(0.0..=1.0).contains(&read_proportion) {
                    return Err(CliError::OutOfRange {
                        option: "read-proportion",
                        value: read_proportion.to_string(),
                        reason: "must be 0..=1",
                    });
                }
            }
            Long("sync-ops") => sync_ops = p.value()?.parse()?,
            Long("buffered-ops") => buffered_ops = p.value()?.parse()?,
            Long("read-ops") => read_ops = p.value()?.parse()?,
            Long("memory") => memory = true,
            Long("no-log-tail") => no_log_tail = true,
            Long("value-bytes") => {
                value_bytes = p.value()?.parse()?;
                if value_bytes > STREAM_VALUE_BYTES_MAX {
                    return Err(CliError::OutOfRange {
                        option: "value-bytes",
                        value: value_bytes.to_string(),
                        reason: "must be 0..=300000 (an item is at most 400 KB)",
                    });
                }
            }
            Long("help") | Short('h') => {
                return Ok(Invocation {
                    command: Command::Help,
                    out,
                    data_root,
                    command_line,
                })
            }
            other => return Err(other.unexpected().into()),
        }
    }
    if threads == 0 || threads > THREADS_MAX {
        return Err(CliError::OutOfRange {
            option: "threads",
            value: threads.to_string(),
            reason: "must be 1..=1024",
        });
    }
    if rounds == 0 || rounds > ROUNDS_MAX {
        return Err(CliError::OutOfRange {
            option: "rounds",
            value: rounds.to_string(),
            reason: "must be 1..=10000",
        });
    }
    // With only a duration the run is bounded by time; with neither, by the default count.
    let operations = match (operations, duration) {
        (None, None) => Some(DEFAULT_OPERATIONS),
        (ops, _) => ops,
    };
    let command = match sub.as_str() {
        "help" => Command::Help,
        "ycsb" | "compare" => {
            let opts = YcsbOptions {
                workloads: workloads.unwrap_or_else(|| parse_workloads("a").unwrap_or_default()),
                targets: target::parse_targets(targets.as_deref().unwrap_or(DEFAULT_TARGETS))?,
                phase: PhaseConfig {
                    spec: WorkloadSpec::core('a')
                        .ok_or(CliError::UnknownWorkload { value: "a".into() })?,
                    records,
                    operations,
                    threads,
                    duration,
                    seed,
                    target_ops,
                    open_loop_wait,
                },
                durability,
                load_durability: load_durability.unwrap_or(durability),
                settle,
                rounds,
                server_pid,
            };
            if sub == "ycsb" {
                Command::Ycsb(opts)
            } else {
                Command::Compare(opts)
            }
        }
        "kv" => Command::Kv(KvOptions {
            targets: target::parse_targets(targets.as_deref().unwrap_or(DEFAULT_KV_TARGETS))?,
            keys,
            sync_ops,
            buffered_ops,
            read_ops,
            seed,
            settle,
        }),
        "stream-lag" => Command::StreamLag(crate::stream_lag::StreamLagOptions {
            records: if records == DEFAULT_RECORDS {
                STREAM_LAG_DEFAULT_RECORDS
            } else {
                records
            },
            rate: target_ops.unwrap_or(STREAM_LAG_DEFAULT_RATE),
            durability,
            memory,
            value_bytes,
            no_log_tail,
        }),
        "capacity" => {
            let seconds = duration.map_or(CAPACITY_DEFAULT_SECONDS, |d| d.as_secs().max(1));
            let rate = target_ops.map_or(CAPACITY_DEFAULT_RATE, |r| r.ceil() as u64);
            for (option, value) in [("duration", seconds), ("target-ops", rate)] {
                if value > CAPACITY_MAX {
                    return Err(CliError::OutOfRange {
                        option,
                        value: value.to_string(),
                        reason: "capacity simulates at most 10^6 seconds and 10^6 requests/s",
                    });
                }
            }
            Command::Capacity(crate::capacity_scenario::CapacityScenarioOptions {
                seconds,
                rate,
                keys: if keys_given {
                    keys.max(1)
                } else {
                    CAPACITY_DEFAULT_KEYS
                },
                table_wcu: wcu,
                table_rcu: rcu,
                read_proportion,
                seed,
            })
        }
        other => {
            return Err(CliError::UnknownCommand {
                command: other.to_string(),
            })
        }
    };
    Ok(Invocation {
        command,
        out,
        data_root,
        command_line,
    })
}

/// Runs an invocation, prints the table and writes the report files. Returns the report.
///
/// # Errors
/// [`CliError::Target`] if the report cannot be written; [`CliError::PhasesFailed`] after
/// writing it if any phase failed.
pub fn execute(inv: &Invocation) -> Result<Option<Report>, CliError> {
    let mut report = Report {
        command: inv.command_line.clone(),
        machine: Machine::detect(),
        results: Vec::new(),
        ratios: Vec::new(),
        skipped: Vec::new(),
        failed: Vec::new(),
    };
    let failures = match &inv.command {
        Command::Help => {
            print!("{USAGE}");
            return Ok(None);
        }
        Command::Ycsb(o) => ycsb::run_ycsb(o, &inv.data_root, &mut report),
        Command::Compare(o) => ycsb::run_compare(o, &inv.data_root, &mut report),
        Command::Kv(o) => kv_micro::run_kv(o, &inv.data_root, &mut report),
        Command::StreamLag(o) => {
            let measured = crate::stream_lag::run(o, &inv.data_root)?;
            let path = crate::stream_lag::write_report(&measured, &inv.out)?;
            println!("wrote {}", path.display());
            return Ok(None);
        }
        Command::Capacity(o) => {
            let runs = crate::capacity_scenario::run(o)?;
            print!("{}", crate::capacity_scenario::summary(o, &runs));
            for path in crate::capacity_scenario::write_outputs(o, &runs, &inv.out)? {
                println!("wrote {}", path.display());
            }
            return Ok(None);
        }
    };
    print!("{}", report::terminal::render(&report));
    let written = report::write_all(&report, &inv.out)?;
    println!(
        "wrote {} and {} ({} SVG plots)",
        written.json.display(),
        written.markdown.display(),
        written.svgs.len()
    );
    let count = failures.len();
    match failures.into_iter().next() {
        Some(first) => Err(CliError::PhasesFailed {
            count,
            first: Box::new(first),
        }),
        None => Ok(Some(report)),
    }
}

/// A table's provisioned units for `capacity` (`--wcu`, `--rcu`): 1 to 10^6.
fn capacity_units(option: &'static str, units: i64) -> Result<i64, CliError> {
    if (1..=CAPACITY_MAX as i64).contains(&units) {
        Ok(units)
    } else {
        Err(CliError::OutOfRange {
            option,
            value: units.to_string(),
            reason: "must be 1..=1000000",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::target::TargetSpec;

    fn args(s: &str) -> Vec<OsString> {
        s.split_whitespace().map(OsString::from).collect()
    }

    #[test]
    fn defaults_of_ycsb_a() {
        let inv = parse(args("ycsb a")).unwrap();
        match inv.command {
            Command::Ycsb(o) => {
                assert_eq!(o.workloads.len(), 1);
                assert_eq!(o.workloads[0].letter, 'a');
                assert_eq!(o.targets, vec![TargetSpec::KvShale, TargetSpec::TableShale]);
                assert_eq!(o.phase.records, DEFAULT_RECORDS);
                assert_eq!(o.durability, Durability::Buffered);
                assert_eq!(o.load_durability, Durability::Buffered);
                assert_eq!(o.server_pid, None);
            }
            other => panic!("{other:?}"),
        }
        match parse(args(
            "ycsb a --targets http:http://127.0.0.1:8000 --server-pid 4242",
        ))
        .unwrap()
        .command
        {
            Command::Ycsb(o) => assert_eq!(o.server_pid, Some(4242)),
            other => panic!("{other:?}"),
        }
        assert!(parse(args("ycsb a --server-pid me")).is_err());
    }

    #[test]
    fn options_parse_and_bad_input_is_typed() {
        let inv = parse(args(
            "compare --workload all --targets kv:memory,kv:redb --records 10 --operations 20 \
             --threads 3 --seed 9 --target-ops 500 --durability sync --rounds 4 \
             --open-loop-wait yield",
        ))
        .unwrap();
        match inv.command {
            Command::Compare(o) => {
                assert_eq!(o.workloads.len(), 6);
                assert_eq!(o.phase.threads, 3);
                assert_eq!(o.phase.target_ops, Some(500.0));
                assert_eq!(o.phase.open_loop_wait, OpenLoopWait::Yield);
                assert_eq!(o.durability, Durability::Sync);
                // --load-durability defaults to --durability.
                assert_eq!(o.load_durability, Durability::Sync);
                assert_eq!(o.rounds, 4);
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            parse(args("ycsb z")),
            Err(CliError::UnknownWorkload { .. })
        ));
        assert!(matches!(
            parse(args("ycsb a --target-ops 10 --open-loop-wait spin")),
            Err(CliError::UnknownOpenLoopWait { value }) if value == "spin"
        ));
        assert!(matches!(
            parse(args("ycsb a --threads 0")),
            Err(CliError::OutOfRange { .. })
        ));
        assert!(matches!(
            parse(args("ycsb a --target-ops -5")),
            Err(CliError::OutOfRange { .. })
        ));
        // Rates that used to panic in Duration::from_secs_f64 are typed errors now.
        for rate in ["0", "1e-300", "1e300", "NaN", "inf", "0.0001"] {
            assert!(
                matches!(
                    parse(args(&format!("ycsb a --target-ops {rate}"))),
                    Err(CliError::OutOfRange {
                        option: "target-ops",
                        ..
                    })
                ),
                "{rate}"
            );
        }
        for rounds in ["0", "10001"] {
            assert!(matches!(
                parse(args(&format!(
                    "compare --targets kv:memory --rounds {rounds}"
                ))),
                Err(CliError::OutOfRange {
                    option: "rounds",
                    ..
                })
            ));
        }
        match parse(args(
            "ycsb a --durability sync --load-durability buffered --settle 30",
        ))
        .unwrap()
        .command
        {
            Command::Ycsb(o) => {
                assert_eq!(o.durability, Durability::Sync);
                assert_eq!(o.load_durability, Durability::Buffered);
                assert_eq!(o.settle, Duration::from_secs(30));
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            parse(args("ycsb a --settle 3601")),
            Err(CliError::OutOfRange {
                option: "settle",
                ..
            })
        ));
        assert!(matches!(
            parse(args("ycsb a --load-durability fsync")),
            Err(CliError::Target(TargetError::UnknownDurability { .. }))
        ));
        assert!(matches!(
            parse(args("ycsb a --records lots")),
            Err(CliError::Args(_))
        ));
        assert!(matches!(
            parse(args("frobnicate")),
            Err(CliError::UnknownCommand { .. })
        ));
        assert!(matches!(
            parse(args("ycsb a --targets kv:nope")),
            Err(CliError::Target(_))
        ));
    }

    #[test]
    fn capacity_takes_a_read_mix_and_refuses_one_out_of_range() {
        match parse(args("capacity --read-proportion 0.5 --rcu 250"))
            .unwrap()
            .command
        {
            Command::Capacity(o) => {
                assert_eq!(o.read_proportion, 0.5);
                assert_eq!(o.table_rcu, 250);
                assert_eq!(o.table_wcu, CAPACITY_DEFAULT_WCU);
            }
            other => panic!("{other:?}"),
        }
        match parse(args("capacity")).unwrap().command {
            Command::Capacity(o) => {
                assert_eq!(o.read_proportion, 0.0);
                assert_eq!(o.table_rcu, CAPACITY_DEFAULT_RCU);
            }
            other => panic!("{other:?}"),
        }
        for p in ["-0.1", "1.5", "NaN"] {
            assert!(
                matches!(
                    parse(args(&format!("capacity --read-proportion {p}"))),
                    Err(CliError::OutOfRange {
                        option: "read-proportion",
                        ..
                    })
                ),
                "{p}"
            );
        }
        assert!(matches!(
            parse(args("capacity --rcu 0")),
            Err(CliError::OutOfRange { option: "rcu", .. })
        ));
    }

    #[test]
    fn duration_bounds_the_run_unless_operations_are_given_too() {
        let phase = |cmd: &str| match parse(args(cmd)).unwrap().command {
            Command::Ycsb(o) | Command::Compare(o) => o.phase,
            other => panic!("{other:?}"),
        };
        let p = phase("ycsb a");
        assert_eq!((p.operations, p.duration), (Some(DEFAULT_OPERATIONS), None));
        let p = phase("ycsb e --duration 30");
        assert_eq!(p.operations, None);
        assert_eq!(p.duration, Some(Duration::from_secs(30)));
        // The order of the flags does not matter, and an explicit count is kept (it used
        // to be replaced by u64::MAX when it equalled the default).
        for cmd in [
            "ycsb a --operations 600000 --duration 5",
            "ycsb a --duration 5 --operations 600000",
        ] {
            let p = phase(cmd);
            assert_eq!(p.operations, Some(600_000), "{cmd}");
            assert_eq!(p.duration, Some(Duration::from_secs(5)), "{cmd}");
        }
    }
}
