//! Request counters and latency histograms, exposed at `/metrics` in Prometheus' text
//! format (version 0.0.4), written by hand to keep the dependency tree small.
//!
//! Series are keyed by (operation, table, outcome). Table names come from requests, so a
//! client could mint unbounded label values. Two bounds:
//! - a name becomes a label only if the request succeeded or the table exists (the caller
//!   says, see [`Metrics::record`]); requests naming a table that does not exist are
//!   counted under [`UNKNOWN_TABLE`] and take no label slot;
//! - after [`MAX_TABLE_LABELS`] distinct tables, further ones are counted under
//!   [`OVERFLOW_TABLE`].
//!
//! Thread safety: recording takes a read lock to find the series (a write lock only the
//! first time a series is seen) and then updates atomics.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use parking_lot::RwLock;

/// Distinct table labels kept before new tables fold into `_other`.
pub const MAX_TABLE_LABELS: usize = 256;
/// Table label for requests without a table (ListTables, unknown operations) .
pub const NO_TABLE: &str = "";
/// Table label for batches that touch more than one table.
pub const MANY_TABLES: &str = "_many";
/// Table label once [`MAX_TABLE_LABELS`] is reached.
pub const OVERFLOW_TABLE: &str = "_other";
/// Table label of a request naming a table that does not exist (and never had a label).
pub const UNKNOWN_TABLE: &str = "_unknown";

/// Upper bounds of the latency buckets, in microseconds. Fine-grained below 1 ms because
/// that is where loopback GetItem/PutItem live and where the p99 target sits.
pub const LATENCY_BUCKETS_US: [u64; 16] = [
    50, 100, 250, 500, 750, 1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 500_000,
    1_000_000, 5_000_000,
];

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct SeriesKey {
    operation: &'static str,
    table: String,
    /// `"ok"` or the exception name.
    outcome: &'static str,
}

#[derive(Debug, Default)]
struct Series {
    /// Cumulative counts are derived at exposition; these are per-bucket counts, the last
    /// one being `+Inf`.
    buckets: [AtomicU64; LATENCY_BUCKETS_US.len() + 1],
    count: AtomicU64,
    sum_us: AtomicU64,
}

/// The registry. Cheap to share behind an `Arc`.
#[derive(Debug, Default)]
pub struct Metrics {
    series: RwLock<BTreeMap<SeriesKey, Arc<Series>>>,
    tables: RwLock<BTreeSet<String>>,
}

impl Metrics {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records one finished request about `table`. `table_exists` is asked only when
    /// `table` has no label yet: a name becomes a label only if it names a table (a
    /// succeeded request did, or the catalog has it now), else the request is counted under
    /// [`UNKNOWN_TABLE`].
    pub fn record(
        &self,
        operation: &'static str,
        table: &str,
        table_exists: impl FnOnce() -> bool,
        outcome: &'static str,
        d: Duration,
    ) {
        let key = SeriesKey {
            operation,
            table: self.table_label(table, table_exists),
            outcome,
        };
        let series = {
            let found = self.series.read().get(&key).cloned();
            match found {
                Some(s) => s,
                None => self.series.write().entry(key).or_default().clone(),
            }
        };
        let us = u64::try_from(d.as_micros()).unwrap_or(u64::MAX);
        let bucket = LATENCY_BUCKETS_US
            .iter()
            .position(|&le| us <= le)
            .unwrap_or(LATENCY_BUCKETS_US.len());
        series.buckets[bucket].fetch_add(1, Ordering::Relaxed);
        series.count.fetch_add(1, Ordering::Relaxed);
        series.sum_us.fetch_add(us, Ordering::Relaxed);
    }

    fn table_label(&self, table: &str, table_exists: impl FnOnce() -> bool) -> String {
        if table.is_empty() || table == MANY_TABLES || self.tables.read().contains(table) {
            return table.to_string();
        }
        if !table_exists() {
            return UNKNOWN_TABLE.to_string();
        }
        let mut tables = self.tables.write();
        if tables.len() < MAX_TABLE_LABELS {
            tables.insert(table.to_string());
            table.to_string()
        } else {
            OVERFLOW_TABLE.to_string()
        }
    }

    /// The Prometheus text exposition of every series.
    pub fn render(&self) -> String {
        let series = self.series.read();
        let mut out = String::with_capacity(256 + series.len() * 1024);
        out.push_str(
            "# HELP shale_requests_total DynamoDB API requests by operation, table and outcome.\n\
             # TYPE shale_requests_total counter\n",
        );
        for (k, s) in series.iter() {
            let _ = writeln!(
                out,
                "shale_requests_total{{{}}} {}",
                labels(k),
                s.count.load(Ordering::Relaxed)
            );
        }
        out.push_str(
            "# HELP shale_request_duration_seconds Time from a complete request body to the \
             response, by operation, table and outcome.\n\
             # TYPE shale_request_duration_seconds histogram\n",
        );
        for (k, s) in series.iter() {
            let l = labels(k);
            let mut cumulative = 0u64;
            for (i, le_us) in LATENCY_BUCKETS_US.iter().enumerate() {
                cumulative += s.buckets[i].load(Ordering::Relaxed);
                let _ = writeln!(
                    out,
                    "shale_request_duration_seconds_bucket{{{l},le=\"{}\"}} {cumulative}",
                    seconds(*le_us)
                );
            }
            cumulative += s.buckets[LATENCY_BUCKETS_US.len()].load(Ordering::Relaxed);
            let _ = writeln!(
                out,
                "shale_request_duration_seconds_bucket{{{l},le=\"+Inf\"}} {cumulative}"
            );
            let _ = writeln!(
                out,
                "shale_request_duration_seconds_sum{{{l}}} {}",
                seconds(s.sum_us.load(Ordering::Relaxed))
            );
            let _ = writeln!(
                out,
                "shale_request_duration_seconds_count{{{l}}} {}",
                s.count.load(Ordering::Relaxed)
            );
        }
        out
    }
}

fn labels(k: &SeriesKey) -> String {
    format!(
        "operation=\"{}\",table=\"{}\",outcome=\"{}\"",
        escape(k.operation),
        escape(&k.table),
        escape(k.outcome)
    )
}

fn seconds(us: u64) -> String {
    format!("{}.{:06}", us / 1_000_000, us % 1_000_000)
}

/// Prometheus label-value escaping: backslash, double quote and newline.
fn escape(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for c in v.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exists() -> bool {
        true
    }

    #[test]
    fn histogram_buckets_are_cumulative_and_counts_add_up() {
        let m = Metrics::new();
        m.record("GetItem", "Users", exists, "ok", Duration::from_micros(40));
        m.record("GetItem", "Users", exists, "ok", Duration::from_micros(900));
        m.record("GetItem", "Users", exists, "ok", Duration::from_secs(60));
        let text = m.render();
        let l = "operation=\"GetItem\",table=\"Users\",outcome=\"ok\"";
        assert!(
            text.contains(&format!("shale_requests_total{{{l}}} 3\n")),
            "{text}"
        );
        assert!(text.contains(&format!(
            "shale_request_duration_seconds_bucket{{{l},le=\"0.000050\"}} 1\n"
        )));
        assert!(text.contains(&format!(
            "shale_request_duration_seconds_bucket{{{l},le=\"0.001000\"}} 2\n"
        )));
        assert!(text.contains(&format!(
            "shale_request_duration_seconds_bucket{{{l},le=\"+Inf\"}} 3\n"
        )));
        assert!(text.contains(&format!("shale_request_duration_seconds_count{{{l}}} 3\n")));
    }

    #[test]
    fn outcomes_are_separate_series() {
        let m = Metrics::new();
        m.record("PutItem", "T", exists, "ok", Duration::from_micros(1));
        m.record(
            "PutItem",
            "T",
            exists,
            "ConditionalCheckFailedException",
            Duration::from_micros(1),
        );
        let text = m.render();
        assert!(text.contains("outcome=\"ConditionalCheckFailedException\"} 1"));
        assert!(text.contains("outcome=\"ok\"} 1"));
    }

    #[test]
    fn table_labels_are_bounded_and_escaped() {
        let m = Metrics::new();
        for i in 0..MAX_TABLE_LABELS + 10 {
            m.record("GetItem", &format!("t{i}"), exists, "ok", Duration::ZERO);
        }
        let text = m.render();
        assert!(text.contains("table=\"_other\""));
        assert!(!text.contains(&format!("table=\"t{}\"", MAX_TABLE_LABELS + 5)));
        assert!(text.contains("table=\"t0\""));
        assert_eq!(escape("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
        let series = text
            .lines()
            .filter(|l| l.starts_with("shale_requests_total{"))
            .count();
        assert_eq!(series, MAX_TABLE_LABELS + 1);
    }

    #[test]
    fn missing_tables_share_one_label_and_take_no_slot() {
        let m = Metrics::new();
        for i in 0..MAX_TABLE_LABELS * 4 {
            m.record(
                "GetItem",
                &format!("missing{i}"),
                || false,
                "ResourceNotFoundException",
                Duration::ZERO,
            );
        }
        // Every slot is still free for real tables.
        for i in 0..MAX_TABLE_LABELS {
            m.record("GetItem", &format!("t{i}"), exists, "ok", Duration::ZERO);
        }
        let text = m.render();
        assert!(
            text.contains(&format!(
                "shale_requests_total{{operation=\"GetItem\",table=\"{UNKNOWN_TABLE}\",\
                 outcome=\"ResourceNotFoundException\"}} {}\n",
                MAX_TABLE_LABELS * 4
            )),
            "{text}"
        );
        assert!(!text.contains("missing"), "{text}");
        assert!(!text.contains(OVERFLOW_TABLE), "{text}");
        assert!(text.contains(&format!("table=\"t{}\"", MAX_TABLE_LABELS - 1)));
    }

    #[test]
    fn existence_is_asked_only_for_names_without_a_label() {
        let m = Metrics::new();
        m.record("CreateTable", "T", exists, "ok", Duration::ZERO);
        // Labelled now: a later failure for it keeps the name without asking.
        m.record(
            "GetItem",
            "T",
            || panic!("not asked for a labelled table"),
            "ResourceNotFoundException",
            Duration::ZERO,
        );
        m.record(
            "ListTables",
            NO_TABLE,
            || panic!("not asked"),
            "ok",
            Duration::ZERO,
        );
        let text = m.render();
        assert!(text.contains(
            "shale_requests_total{operation=\"GetItem\",table=\"T\",\
             outcome=\"ResourceNotFoundException\"} 1\n"
        ));
    }
}
