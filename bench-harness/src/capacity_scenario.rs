//! `shale-bench capacity`: a zipfian hot key against a provisioned table, throttle rate
//! and goodput over time, with each admission policy.
//!
//! The table layer runs in process on the in-memory backend with a manual clock, so
//! the run is simulated time: `--seconds` seconds of requests at `--target-ops` offered
//! per second, each request one clock step after the last (`1 s / rate`), keys drawn
//! from YCSB's scrambled zipfian over `--keys` keys with a seeded generator. A request
//! is a GetItem (eventually consistent, half an RCU) with probability
//! `--read-proportion`, else a PutItem (one WCU): 0 (the default) is writes only, 0.5
//! YCSB's workload A. The same seed gives the same figures, on any machine, in a few
//! seconds of real time. Every simulated minute ends with a split window
//! (`Database::run_capacity_splits`).
//!
//! Policies, on the same request sequence:
//! - `fixed-share`: a partition gets its share and its own burst, nothing more
//!   (adaptive capacity off; DynamoDB before 2018);
//! - `adaptive`: a hot partition borrows the table's unused throughput (`BorrowUnused`,
//!   Shale's default), with no per-partition limit (an upper bound: no DynamoDB
//!   partition serves more than 1,000 WCU);
//! - `adaptive+limits`: adaptive, with per-partition limits (1,000 WCU, 3,000 RCU),
//!   never split;
//! - `adaptive+split`: adaptive, with the limits and split for heat each minute.
//!
//! Buckets start empty (a new table's), so the first seconds show what a table's own
//! rate allows. Writes `<out>/capacity.csv` (second, policy, offered, admitted,
//! throttled, and the reads among them), `<out>/capacity-goodput.svg` and
//! `<out>/capacity-throttles.svg`, and prints a summary.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use plotters::prelude::*;
use shale_engine::MemBackend;
use shale_io::clock::ManualClock;
use shale_table::capacity::split::NoSplits;
use shale_table::capacity::{BorrowUnused, CapacityOptions, FixedShare};
use shale_table::types::AttributeValue;
use shale_table::{
    AttributeDefinition, BillingMode, CreateTableInput, Database, DatabaseOptions, GetItemInput,
    KeySchemaElement, KeyType, ProvisionedThroughput, PutItemInput, ScalarAttributeType,
};

use crate::generators::ScrambledZipfian;
use crate::rng::Rng;
use crate::target::TargetError;

/// Options of `capacity`.
#[derive(Debug, Clone)]
pub struct CapacityScenarioOptions {
    /// Simulated seconds.
    pub seconds: u64,
    /// Offered requests per second.
    pub rate: u64,
    /// Keys the zipfian draws from.
    pub keys: u64,
    /// The table's provisioned WCU.
    pub table_wcu: i64,
    /// The table's provisioned RCU.
    pub table_rcu: i64,
    /// The share of requests that are reads (0 to 1).
    pub read_proportion: f64,
    /// The generator's seed.
    pub seed: u64,
}

/// One policy's run: per simulated second, admitted and throttled requests.
#[derive(Debug, Clone)]
pub struct PolicyRun {
    /// The policy's name.
    pub policy: &'static str,
    /// Per second, every request: (admitted, throttled).
    pub per_second: Vec<(u64, u64)>,
    /// Per second, the reads among them: (admitted, throttled).
    pub reads_per_second: Vec<(u64, u64)>,
    /// Partitions at the end.
    pub partitions: usize,
}

const TABLE: &str = "Capacity";

fn setup(
    capacity: CapacityOptions,
    clock: &ManualClock,
    o: &CapacityScenarioOptions,
) -> Result<Database, TargetError> {
    let opts = DatabaseOptions::default()
        .with_clock(Arc::new(clock.clone()))
        .with_background_index_worker(false)
        .with_capacity(capacity.with_start_with_burst(false));
    let db = Database::open(Arc::new(MemBackend::new()), opts).map_err(setup_err)?;
    db.create_table(CreateTableInput {
        table_name: TABLE.into(),
        attribute_definitions: vec![AttributeDefinition {
            attribute_name: "pk".into(),
            attribute_type: ScalarAttributeType::S,
        }],
        key_schema: vec![KeySchemaElement {
            attribute_name: "pk".into(),
            key_type: KeyType::Hash,
        }],
        billing_mode: Some(BillingMode::Provisioned),
        provisioned_throughput: Some(ProvisionedThroughput {
            read_capacity_units: o.table_rcu,
            write_capacity_units: o.table_wcu,
        }),
        ..CreateTableInput::default()
    })
    .map_err(setup_err)?;
    Ok(db)
}

fn setup_err(e: shale_table::Error) -> TargetError {
    crate::target::table::table_err(e)
}

fn io_err(op: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> TargetError {
    let path = path.to_path_buf();
    move |source| TargetError::Io { op, path, source }
}

fn policies() -> Vec<(&'static str, CapacityOptions)> {
    vec![
        (
            "fixed-share",
            CapacityOptions::default()
                .with_policy(Arc::new(FixedShare))
                .with_split_policy(Arc::new(NoSplits)),
        ),
        (
            "adaptive",
            CapacityOptions::default()
                .with_policy(Arc::new(BorrowUnused))
                .with_split_policy(Arc::new(NoSplits)),
        ),
        (
            "adaptive+limits",
            CapacityOptions::default()
                .with_policy(Arc::new(BorrowUnused))
                .with_partition_limits(true)
                .with_split_policy(Arc::new(NoSplits)),
        ),
        (
            "adaptive+split",
            CapacityOptions::default()
                .with_policy(Arc::new(BorrowUnused))
                .with_partition_limits(true),
        ),
    ]
}

/// Runs every policy on the same seeded request sequence.
///
/// # Errors
/// [`TargetError::Table`] if a database cannot be set up, or a write fails for a
/// reason other than a throttle.
pub fn run(o: &CapacityScenarioOptions) -> Result<Vec<PolicyRun>, TargetError> {
    let step_us = 1_000_000 / o.rate.max(1);
    let mut runs = Vec::new();
    for (policy, capacity) in policies() {
        let clock = ManualClock::new(1_700_000_000_000_000);
        let db = setup(capacity, &clock, o)?;
        let mut rng = Rng::new(o.seed);
        let mut zipf = ScrambledZipfian::new(0, o.keys.max(1) - 1);
        let mut per_second = Vec::with_capacity(o.seconds as usize);
        let mut reads_per_second = Vec::with_capacity(o.seconds as usize);
        for second in 0..o.seconds {
            let (mut all, mut reads) = ((0, 0), (0, 0));
            for _ in 0..o.rate {
                let key = format!("user{}", zipf.next(&mut rng));
                // Writes only draws nothing more, so that it replays the sequence it
                // always drew.
                let read = o.read_proportion > 0.0 && rng.next_f64() < o.read_proportion;
                let admitted = if read { get(&db, key) } else { put(&db, key) }?;
                let tally = |t: &mut (u64, u64)| match admitted {
                    true => t.0 += 1,
                    false => t.1 += 1,
                };
                tally(&mut all);
                if read {
                    tally(&mut reads);
                }
                clock.advance_micros(step_us);
            }
            per_second.push(all);
            reads_per_second.push(reads);
            if (second + 1) % 60 == 0 {
                db.run_capacity_splits();
            }
        }
        let partitions = db
            .capacity_view(TABLE)
            .map_err(setup_err)?
            .resources
            .first()
            .map_or(0, |r| r.partitions.len());
        runs.push(PolicyRun {
            policy,
            per_second,
            reads_per_second,
            partitions,
        });
    }
    Ok(runs)
}

/// A PutItem of `key`: whether it was admitted (`false`: throttled).
fn put(db: &Database, key: String) -> Result<bool, TargetError> {
    admitted(db.put_item(PutItemInput {
        table_name: TABLE.into(),
        item: [("pk".to_string(), AttributeValue::S(key))].into(),
        ..PutItemInput::default()
    }))
}

/// An eventually consistent GetItem of `key`: whether it was admitted.
fn get(db: &Database, key: String) -> Result<bool, TargetError> {
    admitted(db.get_item(GetItemInput {
        table_name: TABLE.into(),
        key: [("pk".to_string(), AttributeValue::S(key))].into(),
        ..GetItemInput::default()
    }))
}

/// `Ok(true)` for a response, `Ok(false)` for a throttle, else the error.
fn admitted<T>(result: Result<T, shale_table::Error>) -> Result<bool, TargetError> {
    match result {
        Ok(_) => Ok(true),
        Err(e) if e.throttling_reason().is_some() => Ok(false),
        Err(e) => Err(setup_err(e)),
    }
}

/// The CSV: `second,policy,offered,admitted,throttled,reads_admitted,reads_throttled`.
pub fn csv(o: &CapacityScenarioOptions, runs: &[PolicyRun]) -> String {
    let mut out =
        String::from("second,policy,offered,admitted,throttled,reads_admitted,reads_throttled\n");
    for r in runs {
        for (s, ((a, t), (ra, rt))) in r.per_second.iter().zip(&r.reads_per_second).enumerate() {
            let _ = writeln!(out, "{s},{},{},{a},{t},{ra},{rt}", r.policy, o.rate);
        }
    }
    out
}

/// A summary line per policy: overall goodput and throttle rate, and the throttle rate
/// in the first and the last minute.
pub fn summary(o: &CapacityScenarioOptions, runs: &[PolicyRun]) -> String {
    let mut out = format!(
        "capacity scenario: {} s at {} requests/s ({:.0}% reads), zipfian over {} keys, \
         {} WCU, {} RCU, seed {}\n\
         {:<16} {:>12} {:>10} {:>14} {:>14} {:>15} {:>11}\n",
        o.seconds,
        o.rate,
        o.read_proportion * 100.0,
        o.keys,
        o.table_wcu,
        o.table_rcu,
        o.seed,
        "policy",
        "goodput/s",
        "throttled",
        "first minute",
        "last minute",
        "reads throttled",
        "partitions"
    );
    for r in runs {
        let share = |slice: &[(u64, u64)]| {
            let (a, t) = slice
                .iter()
                .fold((0u64, 0u64), |(a, t), (x, y)| (a + x, t + y));
            (
                a,
                t,
                if a + t == 0 {
                    0.0
                } else {
                    t as f64 * 100.0 / (a + t) as f64
                },
            )
        };
        let (a, _, all) = share(&r.per_second);
        let n = r.per_second.len();
        let (_, _, first) = share(&r.per_second[..n.min(60)]);
        let (_, _, last) = share(&r.per_second[n.saturating_sub(60)..]);
        let (_, _, reads) = share(&r.reads_per_second);
        let _ = writeln!(
            out,
            "{:<16} {:>12.0} {:>9.2}% {:>13.2}% {:>13.2}% {:>14.2}% {:>11}",
            r.policy,
            a as f64 / n.max(1) as f64,
            all,
            first,
            last,
            reads,
            r.partitions
        );
    }
    out
}

fn color(i: usize) -> RGBColor {
    [
        RGBColor(214, 39, 40),
        RGBColor(31, 119, 180),
        RGBColor(255, 127, 14),
        RGBColor(44, 160, 44),
    ][i % 4]
}

/// One line per policy of `value(admitted, throttled)` over simulated time.
fn over_time(
    title: &str,
    y_label: &str,
    runs: &[PolicyRun],
    value: impl Fn(u64, u64) -> f64,
) -> String {
    let seconds = runs.iter().map(|r| r.per_second.len()).max().unwrap_or(1);
    let y_max = runs
        .iter()
        .flat_map(|r| r.per_second.iter().map(|&(a, t)| value(a, t)))
        .fold(1.0, f64::max)
        * 1.1;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (900, 420)).into_drawing_area();
        let _ = root.fill(&WHITE);
        let chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 20))
            .margin(10)
            .x_label_area_size(35)
            .y_label_area_size(60)
            .build_cartesian_2d(0f64..seconds as f64, 0f64..y_max);
        let Ok(mut chart) = chart else {
            return svg_fallback(title);
        };
        let _ = chart
            .configure_mesh()
            .x_desc("simulated seconds")
            .y_desc(y_label)
            .draw();
        for (i, r) in runs.iter().enumerate() {
            let points = r
                .per_second
                .iter()
                .enumerate()
                .map(|(s, &(a, t))| (s as f64, value(a, t)));
            if let Ok(series) = chart.draw_series(LineSeries::new(points, color(i))) {
                series
                    .label(r.policy)
                    .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color(i)));
            }
        }
        let _ = chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .draw();
        let _ = root.present();
    }
    svg
}

fn svg_fallback(title: &str) -> String {
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\"><text x=\"10\" y=\"20\">{title}</text></svg>"
    )
}

/// Writes the CSV and both plots under `out`; returns their paths.
///
/// # Errors
/// [`TargetError::Io`] if a file cannot be written.
pub fn write_outputs(
    o: &CapacityScenarioOptions,
    runs: &[PolicyRun],
    out: &Path,
) -> Result<Vec<PathBuf>, TargetError> {
    std::fs::create_dir_all(out).map_err(io_err("create", out))?;
    let files = [
        ("capacity.csv", csv(o, runs)),
        (
            "capacity-goodput.svg",
            over_time(
                "Goodput over time: admitted requests per second",
                "requests/s",
                runs,
                |a, _| a as f64,
            ),
        ),
        (
            "capacity-throttles.svg",
            over_time(
                "Throttle rate over time: % of offered requests refused",
                "% throttled",
                runs,
                |a, t| {
                    if a + t == 0 {
                        0.0
                    } else {
                        t as f64 * 100.0 / (a + t) as f64
                    }
                },
            ),
        ),
    ];
    let mut paths = Vec::new();
    for (name, body) in files {
        let path = out.join(name);
        std::fs::write(&path, body).map_err(io_err("write", &path))?;
        paths.push(path);
    }
    Ok(paths)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scenario_is_deterministic_and_adaptive_capacity_throttles_least() {
        let o = CapacityScenarioOptions {
            seconds: 3,
            rate: 900,
            keys: 100,
            table_wcu: 1_000,
            table_rcu: 1,
            read_proportion: 0.0,
            seed: 7,
        };
        let a = run(&o).unwrap();
        let b = run(&o).unwrap();
        assert_eq!(a.len(), 4);
        for (x, y) in a.iter().zip(&b) {
            assert_eq!(x.per_second, y.per_second, "{}", x.policy);
        }
        let throttled = |r: &PolicyRun| r.per_second.iter().map(|p| p.1).sum::<u64>();
        // Every offered write is counted once, admitted or throttled.
        for r in &a {
            assert!(
                r.per_second.iter().all(|&(x, y)| x + y == 900),
                "{}",
                r.policy
            );
        }
        assert!(throttled(&a[1]) <= throttled(&a[0]));
        assert!(csv(&o, &a).lines().count() == 1 + 4 * 3);
        assert!(a
            .iter()
            .all(|r| r.reads_per_second.iter().all(|&t| t == (0, 0))));
    }

    #[test]
    fn a_read_mix_is_deterministic_and_reads_are_throttled_on_their_own_capacity() {
        let o = CapacityScenarioOptions {
            seconds: 3,
            rate: 1_000,
            keys: 100,
            table_wcu: 10_000,
            // Half an RCU per read, about 500 reads a second: 100 RCU admits about 200.
            table_rcu: 100,
            read_proportion: 0.5,
            seed: 7,
        };
        let a = run(&o).unwrap();
        let b = run(&o).unwrap();
        for (x, y) in a.iter().zip(&b) {
            assert_eq!(x.per_second, y.per_second, "{}", x.policy);
            assert_eq!(x.reads_per_second, y.reads_per_second, "{}", x.policy);
        }
        for r in &a {
            let (reads, read_throttles) = r
                .reads_per_second
                .iter()
                .fold((0, 0), |(n, t), &(x, y)| (n + x + y, t + y));
            let all_throttles: u64 = r.per_second.iter().map(|p| p.1).sum();
            assert!(
                (1_300..1_700).contains(&reads),
                "{}: {reads} reads",
                r.policy
            );
            assert!(read_throttles > reads / 2, "{}: {read_throttles}", r.policy);
            // The writes have ten times what they need: every throttle is a read's.
            assert_eq!(all_throttles, read_throttles, "{}", r.policy);
        }
    }
}
