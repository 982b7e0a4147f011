//! The per-request cost of capacity admission: GetItem and PutItem of a 1 KB item on a
//! provisioned table with enforcement on versus off (`DatabaseOptions::capacity`), on
//! the in-memory backend, where the table layer's own work is the whole request and the
//! ratio is therefore the largest, then on the LSM engine (`Durability::None`, as in
//! `table_overhead`), Shale's own configuration. The target is ≤ 1.03 (3%).
//!
//! One database per backend holds the table (40,000 RCU and 40,000 WCU: 54 partitions,
//! whose buckets start full, so nothing is throttled: the figure is admission's
//! bookkeeping, not refusals), and admission is switched on and off between the two
//! halves of each round (`Database::set_capacity_enforcement`), which half goes first
//! alternating: both sides share every byte of state, where two databases differed by
//! up to 3% with admission off on both (their memtables, caches and allocations). Reads
//! first, then writes; each half takes fresh keys from one stream, and the ratio is the
//! median over pairs of rounds (one of each order) of the pair's on/off ratio (see
//! `measure`).
//!
//! Run: `cargo bench -p shale-table --bench capacity_overhead` (about a minute);
//! `SHALE_CAPACITY_BENCH_AA=1` for the A/A control (both sides with admission off).

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::hint::black_box;
use std::sync::Arc;
use std::time::Instant;

use shale_engine::{Backend, Db, DbOptions, Durability, MemBackend};
use shale_table::types::{AttributeValue, Item};
use shale_table::{
    AttributeDefinition, BillingMode, CreateTableInput, Database, DatabaseOptions, GetItemInput,
    KeySchemaElement, KeyType, ProvisionedThroughput, PutItemInput, ScalarAttributeType,
};

const PRELOAD: u64 = 20_000;
const FIELD_BYTES: usize = 110;
const BATCH: u64 = 5_000;
/// Even: rounds pair up, one of each order.
const ROUNDS: usize = 200;
const UNITS: i64 = 40_000;

/// splitmix64 over the preloaded keys, so both sides read the same sequence.
struct Keys(u64);

impl Keys {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        (z ^ (z >> 31)) % PRELOAD
    }
}

fn record(i: u64) -> Item {
    let mut it = Item::new();
    it.insert("pk".into(), AttributeValue::S(format!("user{i:012}")));
    for f in 0..9 {
        it.insert(
            format!("field{f}"),
            AttributeValue::S("v".repeat(FIELD_BYTES)),
        );
    }
    it
}

fn key_of(i: u64) -> Item {
    [("pk".to_string(), AttributeValue::S(format!("user{i:012}")))].into()
}

/// A database on the memory backend or the LSM; `_dir` keeps an LSM's directory.
struct Side {
    db: Database,
    _dir: Option<tempfile::TempDir>,
}

fn database(lsm: bool) -> Side {
    let opts = DatabaseOptions::default().with_background_index_worker(false);
    let (backend, dir): (Arc<dyn Backend>, _) = if lsm {
        let dir = tempfile::tempdir().expect("temp dir");
        let lsm_opts = DbOptions::new(dir.path()).with_durability(Durability::None);
        (Arc::new(Db::open(lsm_opts).expect("open lsm")), Some(dir))
    } else {
        (Arc::new(MemBackend::new()), None)
    };
    let db = Database::open(backend, opts).unwrap();
    db.create_table(CreateTableInput {
        table_name: "usertable".into(),
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
            read_capacity_units: UNITS,
            write_capacity_units: UNITS,
        }),
        ..CreateTableInput::default()
    })
    .unwrap();
    for i in 0..PRELOAD {
        put(&db, i);
    }
    Side { db, _dir: dir }
}

fn put(db: &Database, i: u64) {
    black_box(
        db.put_item(PutItemInput {
            table_name: "usertable".into(),
            item: record(i),
            ..PutItemInput::default()
        })
        .expect("never throttled: buckets start with 300 s of 40,000 units"),
    );
}

fn get(db: &Database, i: u64) {
    black_box(
        db.get_item(GetItemInput {
            table_name: "usertable".into(),
            key: key_of(i),
            ..GetItemInput::default()
        })
        .expect("never throttled"),
    );
}

fn per_op_ns(mut op: impl FnMut()) -> f64 {
    let start = Instant::now();
    for _ in 0..BATCH {
        op();
    }
    start.elapsed().as_nanos() as f64 / BATCH as f64
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// The value below which `q` of `v` lies (nearest rank).
fn quantile(mut v: Vec<f64>, q: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    let rank = ((v.len() - 1) as f64 * q).round() as usize;
    v[rank]
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` runs this once, quickly.
    let quick = !std::env::args().any(|a| a == "--bench");
    let rounds = if quick { 2 } else { ROUNDS };
    println!(
        "{:<18} {:>14} {:>14} {:>7} {:>17}",
        "op", "admission off", "admission on", "ratio", "pair ratios q1-q3"
    );
    // `SHALE_CAPACITY_BENCH_AA=1`: both halves with admission off, an A/A run that
    // measures what the two halves differ by without admission (order, drift).
    let aa = std::env::var_os("SHALE_CAPACITY_BENCH_AA").is_some();
    for (name, lsm) in [("memory", false), ("lsm", true)] {
        let side = database(lsm);
        measure(name, rounds, &side.db, aa);
    }
}

/// Interleaved rounds of GetItem, then of PutItem, on one database with admission
/// switched off for one half of each round and on for the other: both halves share
/// every byte of state, so what differs is admission. Each half reads (or writes) keys
/// of its own, the next of one seeded stream, so neither finds the other's in cache.
/// Which half goes first alternates, and the ratio printed is the median, over pairs of
/// consecutive rounds (one of each order), of the pair's geometric mean on/off ratio:
/// what going first or second does cancels within a pair. Also printed: the medians of
/// each side's per-op times, and the quartiles of the pairs' ratios.
fn measure(backend: &str, rounds: usize, db: &Database, aa: bool) {
    for (op, seed) in [("GetItem", 1), ("PutItem", 2)] {
        let mut keys = Keys(seed);
        let (mut t_off, mut t_on, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
        for round in 0..rounds {
            let mut half = |on: bool| {
                db.set_capacity_enforcement(on && !aa);
                per_op_ns(|| match op {
                    "GetItem" => get(db, keys.next()),
                    _ => put(db, keys.next()),
                })
            };
            let (off, on) = if round.is_multiple_of(2) {
                let off = half(false);
                (off, half(true))
            } else {
                let on = half(true);
                (half(false), on)
            };
            t_off.push(off);
            t_on.push(on);
            ratios.push(on / off);
        }
        let pairs: Vec<f64> = ratios
            .chunks_exact(2)
            .map(|pair| (pair[0] * pair[1]).sqrt())
            .collect();
        println!(
            "{:<18} {:>11.0} ns {:>11.0} ns {:>7.3} {:>8.3}-{:<8.3}",
            format!("{op} ({backend})"),
            median(t_off),
            median(t_on),
            median(pairs.clone()),
            quantile(pairs.clone(), 0.25),
            quantile(pairs, 0.75),
        );
    }
    let view = db.capacity_view("usertable").unwrap();
    let throttled: u64 = view.resources[0]
        .partitions
        .iter()
        .map(|p| p.read.throttled_requests + p.write.throttled_requests)
        .sum();
    assert_eq!(throttled, 0, "the figure must not include refusals");
}
