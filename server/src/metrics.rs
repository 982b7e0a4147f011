//! Request counters and latency histograms, exposed at `/metrics` in Prometheus' text
//! format (version 0.0.4). `prometheus-client`, the Prometheus project's Rust client,
//! holds the series and writes the exposition (names, escaping, cumulative buckets);
//! this module decides which series exist.
//!
//! Series are keyed by (operation, table, outcome). Table names come from requests, so a
//! client could mint unbounded label values. Two bounds:
//! - a name becomes a label only if the request succeeded or the table exists (the caller
//!   says, see [`Metrics::record`]); requests naming a table that does not exist are
//!   counted under [`UNKNOWN_TABLE`] and take no label slot;
//! - after [`MAX_TABLE_LABELS`] distinct tables, further ones are counted under
//!   [`OVERFLOW_TABLE`].
//!
//! Thread safety: recording takes read locks to find the series (a write lock only the
//! first time a series or a table is seen), then bumps the counter (an atomic) and the
//! histogram (a short mutex inside `prometheus-client`). Rendering takes the same read
//! locks, so a scrape never stops requests.

use std::collections::BTreeSet;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use shale_engine::BackendStats;

use parking_lot::RwLock;
use prometheus_client::encoding::{prometheus_text, EncodeLabelSet};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::{Registry, Unit};

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
/// `Content-Type` of [`Metrics::render`]'s text.
pub const CONTENT_TYPE: &str = prometheus_text::CONTENT_TYPE;

/// The label of a per-level backend gauge.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct LevelLabel {
    level: u64,
}

/// The labels of a per-partition capacity series (`index` is empty for the table).
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PartitionLabel {
    table: String,
    index: String,
    partition: u64,
    side: &'static str,
}

/// The labels of a per-table (or per-index) capacity series.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ResourceLabel {
    table: String,
    index: String,
    side: &'static str,
}

/// Most partitions a scrape reports, over all tables: beyond it the per-partition series
/// stop (the per-table ones go on), so a database of many tables cannot make a scrape
/// unbounded.
pub const MAX_PARTITION_SERIES: usize = 4096;

/// Upper bounds of the latency buckets, in microseconds. Fine-grained below 1 ms because
/// that is where loopback GetItem/PutItem live and where the p99 target sits.
pub const LATENCY_BUCKETS_US: [u64; 16] = [
    50, 100, 250, 500, 750, 1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 500_000,
    1_000_000, 5_000_000,
];

/// The labels of one series, in exposition order.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct SeriesKey {
    operation: &'static str,
    table: String,
    /// `"ok"` or the exception name.
    outcome: &'static str,
}

/// Whole microseconds as seconds. Bucket bounds and observations both go through it, so
/// a duration lands in the same bucket as an integer comparison in µs would put it.
fn seconds(us: u64) -> f64 {
    // Exact below 2^53 µs (285 years).
    us as f64 / 1_000_000.0
}

fn latency_histogram() -> Histogram {
    Histogram::new(LATENCY_BUCKETS_US.map(seconds))
}

/// The registry. Cheap to share behind an `Arc`.
#[derive(Debug)]
pub struct Metrics {
    /// What `/metrics` encodes: the two families below.
    registry: Registry,
    /// `shale_requests_total`.
    requests: Family<SeriesKey, Counter>,
    /// `shale_request_duration_seconds`.
    durations: Family<SeriesKey, Histogram, fn() -> Histogram>,
    /// Table names that have a label of their own; at most [`MAX_TABLE_LABELS`].
    tables: RwLock<BTreeSet<String>>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// An empty registry.
    pub fn new() -> Self {
        let requests = Family::<SeriesKey, Counter>::default();
        let durations = Family::<SeriesKey, Histogram, fn() -> Histogram>::new_with_constructor(
            latency_histogram,
        );
        let mut registry = Registry::default();
        // prometheus-client appends `_total` to a counter's name, `_seconds` for the unit,
        // and a full stop to the help text.
        registry.register(
            "shale_requests",
            "DynamoDB API requests by operation, table and outcome",
            requests.clone(),
        );
        registry.register_with_unit(
            "shale_request_duration",
            "Time from a complete request body to the response, by operation, table and \
             outcome",
            Unit::Seconds,
            durations.clone(),
        );
        Metrics {
            registry,
            requests,
            durations,
            tables: RwLock::new(BTreeSet::new()),
        }
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
        let us = u64::try_from(d.as_micros()).unwrap_or(u64::MAX);
        // Two statements: each family's read guard is dropped before the next is taken.
        self.requests.get_or_create(&key).inc();
        self.durations.get_or_create(&key).observe(seconds(us));
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

    /// [`Metrics::render`], then the storage backend's own figures
    /// (`Backend::stats`) as gauges: `shale_backend_<figure>` (for the LSM: write
    /// amplification, bloom and stall counters, and the history's disk use:
    /// `history_bases`, `history_base_bytes`, `history_archive_bytes`), plus
    /// `shale_backend_level_files` / `shale_backend_level_bytes` by level.
    pub fn render_with_backend(&self, stats: &BackendStats) -> String {
        let mut out = self.render();
        let mut registry = Registry::default();
        for (name, value) in &stats.figures {
            let gauge = Gauge::<f64, AtomicU64>::default();
            gauge.set(*value);
            registry.register(
                format!("shale_backend_{name}"),
                format!("The storage backend's {name} figure"),
                gauge,
            );
        }
        let files = Family::<LevelLabel, Gauge>::default();
        let bytes = Family::<LevelLabel, Gauge>::default();
        for (level, (f, b)) in stats.levels.iter().enumerate() {
            let label = LevelLabel {
                level: level as u64,
            };
            files.get_or_create(&label).set(*f as i64);
            bytes
                .get_or_create(&label)
                .set(i64::try_from(*b).unwrap_or(i64::MAX));
        }
        registry.register("shale_backend_level_files", "Stored files by level", files);
        registry.register("shale_backend_level_bytes", "Stored bytes by level", bytes);
        if prometheus_text::encode(&mut out, &registry).is_err() {
            tracing::error!("encoding the backend metrics failed; the scrape is incomplete");
        }
        out
    }

    /// Appends the server's own gauges (name, help, value) to a scrape: connections and
    /// the engine queue, read when scraped.
    pub fn render_gauges(out: &mut String, gauges: &[(&str, &str, i64)]) {
        let mut registry = Registry::default();
        for (name, help, value) in gauges {
            let gauge = Gauge::<i64>::default();
            gauge.set(*value);
            registry.register(*name, *help, gauge);
        }
        if prometheus_text::encode(out, &registry).is_err() {
            tracing::error!("encoding the server gauges failed; the scrape is incomplete");
        }
    }

    /// Appends capacity admission's figures (`Database::capacity_views`) to a scrape:
    /// per table and GSI (`index` label, empty for the table) and side (`read`/`write`),
    /// `shale_capacity_units_per_second` (provisioned, or the on-demand maximum; absent
    /// when unlimited); per partition, `shale_capacity_partition_share_units_per_second`,
    /// `shale_capacity_partition_burst_balance_units` (negative: debt),
    /// `shale_capacity_partition_consumed_units_total` and
    /// `shale_capacity_partition_throttled_requests_total`. At most
    /// [`MAX_PARTITION_SERIES`] partitions are reported.
    pub fn render_capacity(out: &mut String, views: &[shale_table::capacity::CapacityView]) {
        let provisioned = Family::<ResourceLabel, Gauge<f64, AtomicU64>>::default();
        let share = Family::<PartitionLabel, Gauge<f64, AtomicU64>>::default();
        let balance = Family::<PartitionLabel, Gauge<f64, AtomicU64>>::default();
        let consumed = Family::<PartitionLabel, Gauge<f64, AtomicU64>>::default();
        let throttled = Family::<PartitionLabel, Gauge<i64>>::default();
        let mut partitions = 0usize;
        for view in views {
            for r in &view.resources {
                let index = r.index_name.clone().unwrap_or_default();
                for (side, units) in [
                    ("read", r.read_units_per_sec),
                    ("write", r.write_units_per_sec),
                ] {
                    if let Some(u) = units {
                        let label = ResourceLabel {
                            table: view.table_name.clone(),
                            index: index.clone(),
                            side,
                        };
                        provisioned.get_or_create(&label).set(u as f64);
                    }
                }
                for p in &r.partitions {
                    if partitions >= MAX_PARTITION_SERIES {
                        break;
                    }
                    partitions += 1;
                    for (side, s) in [("read", &p.read), ("write", &p.write)] {
                        let label = PartitionLabel {
                            table: view.table_name.clone(),
                            index: index.clone(),
                            partition: p.id as u64,
                            side,
                        };
                        if let Some(u) = s.share_units_per_sec {
                            share.get_or_create(&label).set(u);
                        }
                        if let Some(b) = s.balance_units {
                            balance.get_or_create(&label).set(b);
                        }
                        consumed.get_or_create(&label).set(s.consumed_units);
                        throttled
                            .get_or_create(&label)
                            .set(i64::try_from(s.throttled_requests).unwrap_or(i64::MAX));
                    }
                }
            }
        }
        let mut registry = Registry::default();
        registry.register(
            "shale_capacity_units_per_second",
            "Provisioned capacity, or the on-demand maximum, per table or index",
            provisioned,
        );
        registry.register(
            "shale_capacity_partition_share_units_per_second",
            "A partition's share of its table's or index's provisioned rate",
            share,
        );
        registry.register(
            "shale_capacity_partition_burst_balance_units",
            "A partition's token-bucket balance (burst credit; negative is debt)",
            balance,
        );
        registry.register(
            "shale_capacity_partition_consumed_units_total",
            "Capacity units admitted on a partition since the server started",
            consumed,
        );
        registry.register(
            "shale_capacity_partition_throttled_requests_total",
            "Requests a partition throttled since the server started",
            throttled,
        );
        if prometheus_text::encode(out, &registry).is_err() {
            tracing::error!("encoding the capacity metrics failed; the scrape is incomplete");
        }
    }

    /// The Prometheus text exposition (version 0.0.4, [`CONTENT_TYPE`]) of every series.
    pub fn render(&self) -> String {
        let mut out = String::new();
        // Writing to a String cannot fail; an encoder error would be a bug in the crate,
        // and a partial scrape then beats failing the request.
        if prometheus_text::encode(&mut out, &self.registry).is_err() {
            tracing::error!("encoding the metrics failed; the scrape is incomplete");
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exists() -> bool {
        true
    }

    #[test]
    fn capacity_series_name_the_table_index_partition_and_side() {
        use shale_table::types::AttributeValue;
        use shale_table::*;
        let db = Database::open(
            std::sync::Arc::new(shale_engine::MemBackend::new()),
            DatabaseOptions::default().with_background_index_worker(false),
        )
        .unwrap();
        db.create_table(CreateTableInput {
            table_name: "Users".into(),
            attribute_definitions: vec![AttributeDefinition {
                attribute_name: "id".into(),
                attribute_type: ScalarAttributeType::S,
            }],
            key_schema: vec![KeySchemaElement {
                attribute_name: "id".into(),
                key_type: KeyType::Hash,
            }],
            billing_mode: Some(BillingMode::Provisioned),
            provisioned_throughput: Some(ProvisionedThroughput {
                read_capacity_units: 5,
                write_capacity_units: 7,
            }),
            ..Default::default()
        })
        .unwrap();
        db.put_item(PutItemInput {
            table_name: "Users".into(),
            item: [("id".to_string(), AttributeValue::S("a".into()))].into(),
            ..Default::default()
        })
        .unwrap();
        let mut text = String::new();
        Metrics::render_capacity(&mut text, &db.capacity_views());
        assert!(
            text.contains(
                "shale_capacity_units_per_second{table=\"Users\",index=\"\",side=\"write\"} 7.0"
            ),
            "{text}"
        );
        assert!(text.contains(
            "shale_capacity_partition_consumed_units_total{table=\"Users\",index=\"\",partition=\"0\",side=\"write\"} 1.0"
        ), "{text}");
        assert!(text.contains(
            "shale_capacity_partition_throttled_requests_total{table=\"Users\",index=\"\",partition=\"0\",side=\"read\"} 0"
        ), "{text}");
        // The server starts buckets full: 300 s of 7 WCU, less the write.
        assert!(text.contains(
            "shale_capacity_partition_burst_balance_units{table=\"Users\",index=\"\",partition=\"0\",side=\"write\"} 2"
        ), "{text}");
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
            "shale_request_duration_seconds_bucket{{{l},le=\"5e-05\"}} 1\n"
        )));
        assert!(text.contains(&format!(
            "shale_request_duration_seconds_bucket{{{l},le=\"0.001\"}} 2\n"
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
        let m = Metrics::new();
        m.record("GetItem", "a\"b\\c\nd", exists, "ok", Duration::ZERO);
        assert!(
            m.render().contains("table=\"a\\\"b\\\\c\\nd\""),
            "{}",
            m.render()
        );
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

    /// The exposition keeps the names, types and help of the hand-written one it replaced,
    /// so dashboards and alerts need no change.
    #[test]
    fn families_keep_their_names_types_and_help() {
        let m = Metrics::new();
        m.record("GetItem", "T", exists, "ok", Duration::from_micros(50));
        m.record("GetItem", "T", exists, "ok", Duration::from_micros(51));
        let text = m.render();
        for line in [
            "# HELP shale_requests_total DynamoDB API requests by operation, table and outcome.\n",
            "# TYPE shale_requests_total counter\n",
            "# HELP shale_request_duration_seconds Time from a complete request body to the \
             response, by operation, table and outcome.\n",
            "# TYPE shale_request_duration_seconds histogram\n",
        ] {
            assert!(text.contains(line), "{line:?} missing from {text}");
        }
        let l = "operation=\"GetItem\",table=\"T\",outcome=\"ok\"";
        // A bucket's bound is inclusive, to the microsecond.
        for (le, count) in [("5e-05", 1), ("0.0001", 2), ("5", 2), ("+Inf", 2)] {
            let line =
                format!("shale_request_duration_seconds_bucket{{{l},le=\"{le}\"}} {count}\n");
            assert!(text.contains(&line), "{line:?} missing from {text}");
        }
        assert!(
            text.contains(&format!(
                "shale_request_duration_seconds_sum{{{l}}} 0.000101\n"
            )),
            "{text}"
        );
        assert_eq!(CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8");
    }

    #[test]
    fn backend_figures_and_levels_are_gauges() {
        let m = Metrics::new();
        let mut stats = BackendStats::default();
        stats.levels = vec![(2, 4096), (0, 0)];
        stats.figures = vec![
            ("history_archive_bytes", 65536.0),
            ("write_amplification", 2.5),
        ];
        let text = m.render_with_backend(&stats);
        assert!(
            text.contains("# TYPE shale_backend_history_archive_bytes gauge\n"),
            "{text}"
        );
        assert!(
            text.contains("shale_backend_history_archive_bytes 65536"),
            "{text}"
        );
        assert!(
            text.contains("shale_backend_write_amplification 2.5"),
            "{text}"
        );
        assert!(
            text.contains("shale_backend_level_files{level=\"0\"} 2\n"),
            "{text}"
        );
        assert!(
            text.contains("shale_backend_level_bytes{level=\"0\"} 4096\n"),
            "{text}"
        );
    }
}
