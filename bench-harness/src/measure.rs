//! Latency and throughput recording: one HdrHistogram per op type per thread, merged at
//! the end, plus completions per one-second bucket.
//!
//! Histograms hold nanoseconds (3 significant digits, 1 ns .. 1 hour) so sub-microsecond
//! in-memory operations keep their resolution; reports convert to microseconds. With
//! `--target-ops`, the latency of an op is measured from its *intended* start time, so a
//! stall delays the ops queued behind it and shows up in their latency (no coordinated
//! omission), like YCSB's `measurement.interval=intended`.

use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use serde::Serialize;

use crate::target::TargetError;
use crate::workload::Op;

/// Highest recordable latency: one hour in nanoseconds. Larger values saturate.
pub const LATENCY_NS_MAX: u64 = 3_600_000_000_000;
/// HdrHistogram precision.
pub const SIGNIFICANT_DIGITS: u8 = 3;
/// Seconds of per-second throughput kept; later completions land in the last bucket.
pub const TIMELINE_SECONDS_MAX: usize = 24 * 3600;

fn new_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, LATENCY_NS_MAX, SIGNIFICANT_DIGITS)
        .expect("constant histogram bounds are valid")
}

/// Latencies and outcome counts of one op type.
#[derive(Debug, Clone)]
pub struct OpRecorder {
    /// Latencies of every completed op (successes and failures alike, as YCSB does).
    pub histogram: Histogram<u64>,
    /// Failed ops, throttles excluded.
    pub errors: u64,
    /// Ops rejected by throttling.
    pub throttles: u64,
    /// Latencies in `histogram` that were the inner READ or UPDATE of a
    /// READ-MODIFY-WRITE ([`PhaseStats::record_inner`]), not ops of their own.
    pub inner: u64,
}

impl Default for OpRecorder {
    fn default() -> Self {
        OpRecorder {
            histogram: new_histogram(),
            errors: 0,
            throttles: 0,
            inner: 0,
        }
    }
}

/// Everything one phase recorded (one thread's, or merged).
#[derive(Debug, Clone, Default)]
pub struct PhaseStats {
    /// Indexed by [`Op::index`].
    pub ops: [OpRecorder; 5],
    /// Completions per second since the phase began.
    pub timeline: Vec<u64>,
    /// The slowest op completed in each second, ns (same seconds as `timeline`): where
    /// in the run the tail happened.
    pub slowest_ns: Vec<u64>,
    /// The engine's flushes and compactions, sampled each second (`runner::run`).
    pub engine_events: Vec<EngineEvents>,
    /// Wall time of the phase (set by the runner).
    pub elapsed: Duration,
    /// The first error seen, kept for the report.
    pub first_error: Option<String>,
}

impl PhaseStats {
    /// Records one completed op.
    pub fn record<T>(
        &mut self,
        op: Op,
        phase_start: Instant,
        measured_from: Instant,
        end: Instant,
        result: &Result<T, TargetError>,
    ) {
        let rec = &mut self.ops[op.index()];
        let ns = end.saturating_duration_since(measured_from).as_nanos();
        rec.histogram
            .saturating_record(u64::try_from(ns).unwrap_or(LATENCY_NS_MAX));
        match result {
            Ok(_) => {}
            Err(e) if e.is_throttle() => rec.throttles += 1,
            Err(e) => {
                rec.errors += 1;
                if self.first_error.is_none() {
                    self.first_error = Some(e.to_string());
                }
            }
        }
        let second = (end.saturating_duration_since(phase_start).as_secs() as usize)
            .min(TIMELINE_SECONDS_MAX - 1);
        if self.timeline.len() <= second {
            self.timeline.resize(second + 1, 0);
            self.slowest_ns.resize(second + 1, 0);
        }
        self.timeline[second] += 1;
        let slowest = &mut self.slowest_ns[second];
        *slowest = (*slowest).max(u64::try_from(ns).unwrap_or(LATENCY_NS_MAX));
    }

    /// Records the inner READ or UPDATE of a READ-MODIFY-WRITE. YCSB reports those twice:
    /// in READ and UPDATE (its `DBWrapper` times every database call) and, as a pair, in
    /// READ-MODIFY-WRITE (`CoreWorkload.doTransactionReadModifyWrite`). They go into the
    /// op's histogram, so READ and UPDATE latencies match YCSB's, but they are not ops of
    /// their own: they add nothing to the op count, the throughput or the timeline, and
    /// their failures are counted once, on the READ-MODIFY-WRITE.
    pub fn record_inner(&mut self, op: Op, measured_from: Instant, end: Instant) {
        let rec = &mut self.ops[op.index()];
        let ns = end.saturating_duration_since(measured_from).as_nanos();
        rec.histogram
            .saturating_record(u64::try_from(ns).unwrap_or(LATENCY_NS_MAX));
        rec.inner += 1;
    }

    /// Adds `other` into `self` (elapsed times add, for interleaved rounds).
    pub fn merge(&mut self, other: &PhaseStats) {
        for (a, b) in self.ops.iter_mut().zip(&other.ops) {
            // Both histograms share bounds, so `add` cannot fail.
            let _ = a.histogram.add(&b.histogram);
            a.errors += b.errors;
            a.throttles += b.throttles;
            a.inner += b.inner;
        }
        if self.timeline.len() < other.timeline.len() {
            self.timeline.resize(other.timeline.len(), 0);
        }
        for (a, b) in self.timeline.iter_mut().zip(&other.timeline) {
            *a += b;
        }
        if self.slowest_ns.len() < other.slowest_ns.len() {
            self.slowest_ns.resize(other.slowest_ns.len(), 0);
        }
        for (a, b) in self.slowest_ns.iter_mut().zip(&other.slowest_ns) {
            *a = (*a).max(*b);
        }
        if self.first_error.is_none() {
            self.first_error.clone_from(&other.first_error);
        }
    }

    /// Merges thread stats that ran concurrently (timelines overlay, elapsed is the max).
    pub fn merge_concurrent(parts: &[PhaseStats], elapsed: Duration) -> PhaseStats {
        let mut out = PhaseStats::default();
        for p in parts {
            out.merge(p);
        }
        out.elapsed = elapsed;
        out
    }

    /// Appends a later phase run (interleaved rounds): histograms merge, timelines
    /// concatenate, elapsed times add.
    pub fn append_sequential(&mut self, later: &PhaseStats) {
        let mut shifted = later.clone();
        // The later round starts after this one's last second of ops or of engine
        // samples (the sampler also records the second in which the workers stopped).
        let offset = self
            .engine_events
            .last()
            .map_or(0, |e| e.second as usize + 1)
            .max(self.timeline.len());
        let mut timeline = std::mem::take(&mut self.timeline);
        timeline.resize(offset, 0);
        timeline.extend_from_slice(&later.timeline);
        let mut slowest = std::mem::take(&mut self.slowest_ns);
        slowest.resize(offset, 0);
        slowest.extend_from_slice(&later.slowest_ns);
        let offset = offset as u64;
        let mut events = std::mem::take(&mut self.engine_events);
        events.extend(later.engine_events.iter().map(|e| EngineEvents {
            second: e.second + offset,
            ..*e
        }));
        shifted.timeline.clear();
        shifted.slowest_ns.clear();
        shifted.engine_events.clear();
        self.merge(&shifted);
        self.timeline = timeline;
        self.slowest_ns = slowest;
        self.engine_events = events;
        self.elapsed += later.elapsed;
    }

    /// Total completed ops (inner READs and UPDATEs of READ-MODIFY-WRITEs excluded).
    pub fn total_ops(&self) -> u64 {
        self.ops.iter().map(|r| r.histogram.len() - r.inner).sum()
    }

    /// The report form.
    pub fn summary(&self) -> PhaseSummary {
        let total = self.total_ops();
        let secs = self.elapsed.as_secs_f64();
        PhaseSummary {
            operations: total,
            elapsed_s: secs,
            ops_per_sec: if secs > 0.0 { total as f64 / secs } else { 0.0 },
            errors: self.ops.iter().map(|r| r.errors).sum(),
            throttles: self.ops.iter().map(|r| r.throttles).sum(),
            per_op: Op::ALL
                .iter()
                .filter(|op| !self.ops[op.index()].histogram.is_empty())
                .map(|&op| OpSummary::of(op, &self.ops[op.index()]))
                .collect(),
            ops_per_second_timeline: self.timeline.clone(),
            slowest_us_timeline: self
                .slowest_ns
                .iter()
                .map(|&ns| ns as f64 / 1000.0)
                .collect(),
            engine_events: self.engine_events.clone(),
            first_error: self.first_error.clone(),
        }
    }
}

/// The engine's background work in one second of a run: flushes and compactions that
/// finished in it, and whether writers were stalled.
#[derive(Debug, Clone, Copy, Default, Serialize, serde::Deserialize, PartialEq)]
pub struct EngineEvents {
    /// Seconds since the run began.
    pub second: u64,
    /// Memtable flushes finished in this second.
    pub flushes: u64,
    /// Compactions finished in this second.
    pub compactions: u64,
    /// Time writers were slowed or stopped in this second, µs.
    pub stall_micros: u64,
}

/// Latency summary of one op type, in microseconds.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq)]
pub struct OpSummary {
    /// YCSB's op name.
    pub op: String,
    /// Latencies recorded: completed ops plus `inner`.
    pub count: u64,
    /// Of `count`, how many were the inner READ or UPDATE of a READ-MODIFY-WRITE (YCSB
    /// counts them in READ and UPDATE too); 0 for other ops.
    #[serde(default)]
    pub inner: u64,
    /// Failed ops (throttles excluded).
    pub errors: u64,
    /// Throttled ops.
    pub throttles: u64,
    /// Mean latency.
    pub mean_us: f64,
    /// Median.
    pub p50_us: f64,
    /// 95th percentile.
    pub p95_us: f64,
    /// 99th percentile.
    pub p99_us: f64,
    /// 99.9th percentile.
    pub p999_us: f64,
    /// Maximum.
    pub max_us: f64,
}

impl OpSummary {
    fn of(op: Op, r: &OpRecorder) -> Self {
        let h = &r.histogram;
        let us = |ns: u64| ns as f64 / 1000.0;
        OpSummary {
            op: op.name().to_string(),
            count: h.len(),
            inner: r.inner,
            errors: r.errors,
            throttles: r.throttles,
            mean_us: h.mean() / 1000.0,
            p50_us: us(h.value_at_quantile(0.50)),
            p95_us: us(h.value_at_quantile(0.95)),
            p99_us: us(h.value_at_quantile(0.99)),
            p999_us: us(h.value_at_quantile(0.999)),
            max_us: us(h.max()),
        }
    }
}

/// A phase's report form.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq)]
pub struct PhaseSummary {
    /// Completed ops of every type.
    pub operations: u64,
    /// Wall time.
    pub elapsed_s: f64,
    /// Throughput.
    pub ops_per_sec: f64,
    /// Failed ops (throttles excluded).
    pub errors: u64,
    /// Throttled ops.
    pub throttles: u64,
    /// Per op type.
    pub per_op: Vec<OpSummary>,
    /// Completions in each second of the phase.
    pub ops_per_second_timeline: Vec<u64>,
    /// The slowest op completed in each second, µs.
    #[serde(default)]
    pub slowest_us_timeline: Vec<f64>,
    /// The engine's flushes and compactions per second (Shale's targets only).
    #[serde(default)]
    pub engine_events: Vec<EngineEvents>,
    /// The first error message, if any op failed.
    pub first_error: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_latency_outcomes_and_timeline() {
        let mut s = PhaseStats::default();
        let t0 = Instant::now();
        let end = t0 + Duration::from_micros(250);
        s.record(Op::Read, t0, t0, end, &Ok::<(), TargetError>(()));
        s.record(
            Op::Read,
            t0,
            t0,
            t0 + Duration::from_millis(1500),
            &Err::<(), _>(TargetError::Throttled {
                exception: "ThrottlingException".into(),
            }),
        );
        s.record(
            Op::Update,
            t0,
            t0,
            end,
            &Err::<(), _>(TargetError::NotFound { key: "k".into() }),
        );
        s.elapsed = Duration::from_secs(2);
        let sum = s.summary();
        assert_eq!(sum.operations, 3);
        assert_eq!((sum.errors, sum.throttles), (1, 1));
        assert_eq!(sum.ops_per_second_timeline, vec![2, 1]);
        let read = &sum.per_op[0];
        assert_eq!(read.op, "READ");
        assert!((read.p50_us - 250.0).abs() < 1.0, "{}", read.p50_us);
        assert!((read.max_us - 1_500_000.0).abs() / 1_500_000.0 < 0.001);
        assert!(sum.first_error.unwrap().contains("not found"));
        // The slowest op of each second: 250 µs in the first (two of them), 1.5 s in
        // the second.
        assert_eq!(sum.slowest_us_timeline, vec![250.0, 1_500_000.0]);
    }

    #[test]
    fn rounds_appended_keep_each_seconds_slowest_op_and_engine_events_in_place() {
        let t0 = Instant::now();
        let round = |us: u64, flushes: u64| {
            let mut s = PhaseStats::default();
            s.record(
                Op::Read,
                t0,
                t0,
                t0 + Duration::from_micros(us),
                &Ok::<(), TargetError>(()),
            );
            s.engine_events = vec![EngineEvents {
                second: 0,
                flushes,
                ..EngineEvents::default()
            }];
            s
        };
        let mut acc = round(100, 1);
        acc.append_sequential(&round(900, 2));
        let sum = acc.summary();
        assert_eq!(sum.slowest_us_timeline, vec![100.0, 900.0]);
        let seconds: Vec<(u64, u64)> = sum
            .engine_events
            .iter()
            .map(|e| (e.second, e.flushes))
            .collect();
        assert_eq!(seconds, vec![(0, 1), (1, 2)]);

        // The sampler recorded a second after the last op's: the next round starts
        // after it, and the timelines leave that second empty.
        let mut acc = round(100, 1);
        acc.engine_events.push(EngineEvents {
            second: 1,
            flushes: 3,
            ..EngineEvents::default()
        });
        acc.append_sequential(&round(900, 2));
        let sum = acc.summary();
        assert_eq!(sum.ops_per_second_timeline, vec![1, 0, 1]);
        assert_eq!(sum.slowest_us_timeline, vec![100.0, 0.0, 900.0]);
        let seconds: Vec<(u64, u64)> = sum
            .engine_events
            .iter()
            .map(|e| (e.second, e.flushes))
            .collect();
        assert_eq!(seconds, vec![(0, 1), (1, 3), (2, 2)]);
    }

    #[test]
    fn inner_calls_of_a_read_modify_write_are_latencies_not_ops() {
        let mut s = PhaseStats::default();
        let t0 = Instant::now();
        s.record_inner(Op::Read, t0, t0 + Duration::from_micros(10));
        s.record_inner(Op::Update, t0, t0 + Duration::from_micros(20));
        s.record(
            Op::ReadModifyWrite,
            t0,
            t0,
            t0 + Duration::from_micros(30),
            &Ok::<(), TargetError>(()),
        );
        s.record(Op::Read, t0, t0, t0, &Ok::<(), TargetError>(()));
        s.elapsed = Duration::from_secs(1);
        assert_eq!(s.total_ops(), 2);
        let sum = s.summary();
        assert_eq!(sum.operations, 2);
        assert_eq!(sum.ops_per_second_timeline, vec![2]);
        let read = &sum.per_op[0];
        assert_eq!((read.op.as_str(), read.count, read.inner), ("READ", 2, 1));
        let update = &sum.per_op[1];
        assert_eq!(
            (update.op.as_str(), update.count, update.inner),
            ("UPDATE", 1, 1)
        );
        assert!((update.p50_us - 20.0).abs() < 0.1);
        let mut merged = s.clone();
        merged.merge(&s);
        assert_eq!(merged.total_ops(), 4);
    }

    #[test]
    fn sequential_append_concatenates_timelines_and_adds_time() {
        let t0 = Instant::now();
        let mut a = PhaseStats::default();
        a.record(Op::Read, t0, t0, t0, &Ok::<(), TargetError>(()));
        a.elapsed = Duration::from_secs(1);
        let b = a.clone();
        a.append_sequential(&b);
        assert_eq!(a.timeline, vec![1, 1]);
        assert_eq!(a.total_ops(), 2);
        assert_eq!(a.elapsed, Duration::from_secs(2));
    }
}
