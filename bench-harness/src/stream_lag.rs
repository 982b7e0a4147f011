//! `shale-bench stream-lag`: end-to-end lag of an in-process stream consumer (Lambda's
//! role), and GetRecords throughput.
//!
//! One writer thread puts `--records` items into a table with a NEW_AND_OLD_IMAGES
//! stream at an open-loop `--target-ops` rate and notes when each put was acknowledged;
//! one consumer thread (`Database::stream_consumer`, `poll_wait`) notes when each record
//! is delivered. The lag of a record is delivery minus acknowledgement (a record can be
//! delivered before its writer has noted the ack: that counts as 0 and is reported).
//! Then the whole stream is read through GetRecords in pages of 1000: records/s and
//! MB/s of the API's own path.
//!
//! Writes its figures to `<out>/stream-lag.json` and prints them.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use serde::Serialize;
use shale_engine::Backend;
use shale_table::streams::consumer::{ConsumerOptions, DeadLetter, PollOutcome};
use shale_table::types::AttributeValue;
use shale_table::{Database, Record};

use crate::target::{Durability, TargetError};

/// Options of `stream-lag`.
#[derive(Debug, Clone)]
pub struct StreamLagOptions {
    /// Items written (and records expected).
    pub records: u64,
    /// The writer's open-loop rate, ops/s.
    pub rate: f64,
    /// The backend's durability (the LSM), or the in-memory backend.
    pub durability: Durability,
    /// Use the in-memory backend instead of the LSM.
    pub memory: bool,
    /// Item size in bytes (its one non-key attribute).
    pub value_bytes: usize,
    /// Turn the LSM's in-memory log-data tail off, so every read goes to the WAL (the
    /// path of a consumer that fell behind the tail).
    pub no_log_tail: bool,
}

/// What `stream-lag` measured.
#[derive(Debug, Clone, Serialize)]
pub struct StreamLagReport {
    /// The backend and durability.
    pub backend: String,
    /// Records written and delivered.
    pub records: u64,
    /// The writer's target rate, ops/s.
    pub target_ops: f64,
    /// The writer's achieved rate, ops/s.
    pub write_ops: f64,
    /// PutItem latency, µs: p50, p99, p99.9.
    pub put_us: [f64; 3],
    /// Ack-to-delivery lag, µs: p50, p99, p99.9, max.
    pub lag_us: [f64; 4],
    /// Records delivered before their writer noted the ack (lag counted as 0).
    pub delivered_before_ack_noted: u64,
    /// GetRecords (pages of 1000) over the whole stream: records/s.
    pub get_records_per_sec: f64,
    /// GetRecords: MB/s of record payload (SizeBytes).
    pub get_records_mb_per_sec: f64,
}

/// Most `poll_wait` calls the consumer makes with nothing delivered before giving up:
/// bounds the run if records never arrive.
const IDLE_POLLS_MAX: u64 = 600;
const POLL_WAIT: Duration = Duration::from_millis(100);
const TABLE: &str = "StreamLag";

/// Runs the benchmark in a fresh directory under `data_root`.
///
/// # Errors
/// Setup or storage failures, or records that never arrived.
pub fn run(opts: &StreamLagOptions, data_root: &Path) -> Result<StreamLagReport, TargetError> {
    let dir = tempfile::Builder::new()
        .prefix("shale-stream-lag-")
        .tempdir_in(data_root)
        .map_err(|source| TargetError::Io {
            op: "create temp dir in",
            path: data_root.to_path_buf(),
            source,
        })?;
    let (backend, name): (Arc<dyn Backend>, String) = if opts.memory {
        (Arc::new(shale_engine::MemBackend::new()), "memory".into())
    } else {
        let mut lsm = shale_engine::DbOptions::new(dir.path());
        if opts.no_log_tail {
            lsm.log_tail_bytes = 0;
        }
        let tail = if opts.no_log_tail {
            "log-data tail off"
        } else {
            "log-data tail on"
        };
        (
            crate::shale_lsm::open_with(lsm, opts.durability)?,
            format!("lsm, {tail}, {}", crate::shale_lsm::note(opts.durability)),
        )
    };
    let db =
        Arc::new(Database::open(backend, crate::target::table::harness_options()).map_err(setup)?);
    let mut table = shale_table::CreateTableInput {
        table_name: TABLE.into(),
        key_schema: vec![shale_table::KeySchemaElement {
            attribute_name: "pk".into(),
            key_type: shale_table::KeyType::Hash,
        }],
        attribute_definitions: vec![shale_table::AttributeDefinition {
            attribute_name: "pk".into(),
            attribute_type: shale_table::ScalarAttributeType::S,
        }],
        billing_mode: Some(shale_table::BillingMode::PayPerRequest),
        ..Default::default()
    };
    table.stream_specification = Some(shale_table::StreamSpecification {
        stream_enabled: true,
        stream_view_type: Some(shale_table::StreamViewType::NewAndOldImages),
    });
    let arn = db
        .create_table(table)
        .map_err(setup)?
        .table_description
        .latest_stream_arn
        .ok_or(TargetError::StreamIncomplete {
            what: "enabled (no stream ARN)",
            got: 0,
            expected: opts.records,
        })?;

    let n = opts.records as usize;
    let acks: Arc<Vec<AtomicU64>> = Arc::new((0..n).map(|_| AtomicU64::new(0)).collect());
    let start = Instant::now();
    let mut consumer = db.stream_consumer(batch_options()).map_err(setup)?;
    let consumer_acks = Arc::clone(&acks);
    let consumer_thread =
        std::thread::spawn(move || consume(&mut consumer, &consumer_acks, n, start));
    let (put_hist, write_elapsed) = write(&db, opts, &acks, start)?;
    let (lag_hist, early) = consumer_thread
        .join()
        .map_err(|_| TargetError::ConsumerPanicked)??;
    let (per_sec, mb_per_sec) = read_all(&db, &arn, opts.records)?;
    let us = |h: &Histogram<u64>, q: f64| h.value_at_quantile(q) as f64 / 1000.0;
    Ok(StreamLagReport {
        backend: name,
        records: opts.records,
        target_ops: opts.rate,
        write_ops: opts.records as f64 / write_elapsed.as_secs_f64(),
        put_us: [
            us(&put_hist, 0.5),
            us(&put_hist, 0.99),
            us(&put_hist, 0.999),
        ],
        lag_us: [
            us(&lag_hist, 0.5),
            us(&lag_hist, 0.99),
            us(&lag_hist, 0.999),
            lag_hist.max() as f64 / 1000.0,
        ],
        delivered_before_ack_noted: early,
        get_records_per_sec: per_sec,
        get_records_mb_per_sec: mb_per_sec,
    })
}

fn batch_options() -> ConsumerOptions {
    let mut o = ConsumerOptions::new("lag-probe", TABLE);
    o.batch_size = 1000;
    o
}

fn setup(e: shale_table::Error) -> TargetError {
    crate::target::table::table_err(e)
}

fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(
        1,
        crate::measure::LATENCY_NS_MAX,
        crate::measure::SIGNIFICANT_DIGITS,
    )
    .expect("constant histogram bounds are valid")
}

fn nanos_since(start: Instant) -> u64 {
    u64::try_from(start.elapsed().as_nanos()).unwrap_or(u64::MAX)
}

/// The writer: open loop at `opts.rate`; notes each ack (ns since `start`, +1 so 0 means
/// "not yet").
fn write(
    db: &Database,
    opts: &StreamLagOptions,
    acks: &[AtomicU64],
    start: Instant,
) -> Result<(Histogram<u64>, Duration), TargetError> {
    let mut put_hist = histogram();
    let interval = Duration::from_secs_f64(1.0 / opts.rate);
    let payload = "x".repeat(opts.value_bytes);
    let t0 = Instant::now();
    for (i, ack) in acks.iter().enumerate() {
        let intended = t0 + interval.mul_f64(i as f64);
        if let Some(wait) = intended.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        let before = Instant::now();
        let item = [
            ("pk".to_owned(), AttributeValue::S(format!("k{i}"))),
            ("v".to_owned(), AttributeValue::S(payload.clone())),
        ]
        .into_iter()
        .collect();
        db.put_item(shale_table::PutItemInput {
            table_name: TABLE.into(),
            item,
            ..Default::default()
        })
        .map_err(setup)?;
        ack.store(nanos_since(start) + 1, Ordering::Release);
        put_hist.saturating_record(u64::try_from(before.elapsed().as_nanos()).unwrap_or(u64::MAX));
    }
    Ok((put_hist, t0.elapsed()))
}

/// The consumer: delivers until `n` records arrived; returns the lag histogram and how
/// many arrived before their ack was noted.
fn consume(
    consumer: &mut shale_table::streams::consumer::StreamConsumer,
    acks: &[AtomicU64],
    n: usize,
    start: Instant,
) -> Result<(Histogram<u64>, u64), TargetError> {
    let mut lag = histogram();
    let mut delivered = 0usize;
    let mut early = 0u64;
    let mut idle = 0u64;
    while delivered < n {
        let outcome = consumer
            .poll_wait(
                POLL_WAIT,
                |records: &[Record]| {
                    let now = nanos_since(start) + 1;
                    for r in records {
                        let Some(i) = index_of(r) else { continue };
                        let acked = acks.get(i).map_or(0, |a| a.load(Ordering::Acquire));
                        if acked == 0 {
                            early += 1;
                            lag.saturating_record(1);
                        } else {
                            lag.saturating_record(now.saturating_sub(acked).max(1));
                        }
                        delivered += 1;
                    }
                    Ok::<(), std::convert::Infallible>(())
                },
                |_: DeadLetter<std::convert::Infallible>| {},
            )
            .map_err(setup)?;
        match outcome {
            PollOutcome::Idle => {
                idle += 1;
                if idle > IDLE_POLLS_MAX {
                    return Err(TargetError::StreamIncomplete {
                        what: "delivered",
                        got: delivered as u64,
                        expected: n as u64,
                    });
                }
            }
            _ => idle = 0,
        }
    }
    Ok((lag, early))
}

fn index_of(r: &Record) -> Option<usize> {
    match r.dynamodb.keys.get("pk")? {
        AttributeValue::S(s) => s.strip_prefix('k')?.parse().ok(),
        _ => None,
    }
}

/// Reads the whole stream through GetRecords (pages of 1000): records/s and MB/s.
fn read_all(db: &Database, arn: &str, expected: u64) -> Result<(f64, f64), TargetError> {
    let t0 = Instant::now();
    let shards = db
        .describe_stream(shale_table::DescribeStreamInput {
            stream_arn: arn.into(),
            limit: None,
            exclusive_start_shard_id: None,
            shard_filter: None,
        })
        .map_err(setup)?
        .stream_description
        .shards;
    let (mut records, mut bytes) = (0u64, 0u64);
    for shard in shards {
        let mut it = Some(
            db.get_shard_iterator(shale_table::GetShardIteratorInput {
                stream_arn: arn.into(),
                shard_id: shard.shard_id,
                shard_iterator_type: shale_table::ShardIteratorType::TrimHorizon,
                sequence_number: None,
            })
            .map_err(setup)?
            .shard_iterator,
        );
        // Bounded: every page but the last is full, so this is enough for `expected`.
        for _ in 0..expected / 1000 + 16 {
            let Some(i) = it.take() else { break };
            let page = db
                .get_records(shale_table::GetRecordsInput {
                    shard_iterator: i,
                    limit: Some(1000),
                })
                .map_err(setup)?;
            if page.records.is_empty() {
                break;
            }
            records += page.records.len() as u64;
            bytes += page
                .records
                .iter()
                .map(|r| r.dynamodb.size_bytes.max(0) as u64)
                .sum::<u64>();
            it = page.next_shard_iterator;
        }
    }
    if records != expected {
        return Err(TargetError::StreamIncomplete {
            what: "read by GetRecords",
            got: records,
            expected,
        });
    }
    let secs = t0.elapsed().as_secs_f64();
    Ok((records as f64 / secs, bytes as f64 / secs / 1e6))
}

/// Prints the report and writes `<out>/stream-lag.json`.
///
/// # Errors
/// The report cannot be written.
pub fn write_report(report: &StreamLagReport, out: &Path) -> Result<PathBuf, TargetError> {
    println!(
        "stream-lag ({}): {} records at {:.0} ops/s (achieved {:.0})\n  \
         PutItem p50 {:.1} µs, p99 {:.1} µs, p99.9 {:.1} µs\n  \
         ack-to-delivery lag p50 {:.1} µs, p99 {:.1} µs, p99.9 {:.1} µs, max {:.1} µs \
         ({} delivered before the ack was noted)\n  \
         GetRecords: {:.0} records/s, {:.1} MB/s",
        report.backend,
        report.records,
        report.target_ops,
        report.write_ops,
        report.put_us[0],
        report.put_us[1],
        report.put_us[2],
        report.lag_us[0],
        report.lag_us[1],
        report.lag_us[2],
        report.lag_us[3],
        report.delivered_before_ack_noted,
        report.get_records_per_sec,
        report.get_records_mb_per_sec,
    );
    crate::target::create_dir(out)?;
    let path = out.join("stream-lag.json");
    let json = serde_json::to_vec_pretty(report).map_err(|e| TargetError::EncodeRequest {
        operation: "stream-lag report",
        reason: e.to_string(),
    })?;
    std::fs::write(&path, json).map_err(|source| TargetError::Io {
        op: "write",
        path: path.clone(),
        source,
    })?;
    Ok(path)
}
