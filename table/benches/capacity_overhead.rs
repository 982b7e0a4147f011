//! The per-request cost of capacity admission: GetItem and PutItem of a 1 KB item on a
//! provisioned table with enforcement on versus off (`DatabaseOptions::capacity`), on
//! the in-memory backend, where the table layer's own work is the whole request and the
//! ratio is therefore the largest, then on the LSM engine (`Durability::None`, as in
//! `table_overhead`), Shale's own configuration. The target is ≤ 1.03 (3%).
//!
//! Both databases hold the same table (40,000 RCU and 40,000 WCU: 54 partitions, whose
//! buckets start full, so nothing is throttled: the figure is admission's bookkeeping, not
//! refusals). As in `table_overhead`, the two sides run in interleaved rounds, reads first
//! then writes, and the ratio is taken between the median per-op times.
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
const BATCH: u64 = 2_000;
const ROUNDS: usize = 41;
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

/// A database on `backend` with admission on or off; `_dir` keeps an LSM's directory.
struct Side {
    db: Database,
    _dir: Option<tempfile::TempDir>,
}

fn database(enforce: bool, lsm: bool) -> Side {
    let opts = DatabaseOptions::default()
        .with_background_index_worker(false)
        .with_capacity_enforcement(enforce);
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

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` runs this once, quickly.
    let quick = !std::env::args().any(|a| a == "--bench");
    let rounds = if quick { 1 } else { ROUNDS };
    println!(
        "{:<18} {:>14} {:>14} {:>7}",
        "op", "admission off", "admission on", "ratio"
    );
    // `SHALE_CAPACITY_BENCH_AA=1`: both sides with admission off, an A/A run that
    // measures what the two databases differ by without admission (layout, order).
    let aa = std::env::var_os("SHALE_CAPACITY_BENCH_AA").is_some();
    for (name, lsm) in [("memory", false), ("lsm", true)] {
        let (off, on) = (database(false, lsm), database(!aa, lsm));
        measure(name, rounds, &off.db, &on.db);
    }
}

/// Interleaved rounds of GetItem, then of PutItem, on `off` and `on`; prints the medians.
fn measure(backend: &str, rounds: usize, off: &Database, on: &Database) {
    let (mut get_off, mut get_on, mut put_off, mut put_on) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let (mut k_off, mut k_on) = (Keys(1), Keys(1));
    for round in 0..rounds {
        // Alternate which side goes first, so neither always runs on a warmer cache.
        let (a, b) = if round.is_multiple_of(2) {
            (off, on)
        } else {
            (on, off)
        };
        let ta = per_op_ns(|| {
            get(
                a,
                if round.is_multiple_of(2) {
                    k_off.next()
                } else {
                    k_on.next()
                },
            )
        });
        let tb = per_op_ns(|| {
            get(
                b,
                if round.is_multiple_of(2) {
                    k_on.next()
                } else {
                    k_off.next()
                },
            )
        });
        let (t_off, t_on) = if round.is_multiple_of(2) {
            (ta, tb)
        } else {
            (tb, ta)
        };
        get_off.push(t_off);
        get_on.push(t_on);
    }
    let (mut k_off, mut k_on) = (Keys(2), Keys(2));
    for round in 0..rounds {
        let (a, b) = if round.is_multiple_of(2) {
            (off, on)
        } else {
            (on, off)
        };
        let ta = per_op_ns(|| {
            put(
                a,
                if round.is_multiple_of(2) {
                    k_off.next()
                } else {
                    k_on.next()
                },
            )
        });
        let tb = per_op_ns(|| {
            put(
                b,
                if round.is_multiple_of(2) {
                    k_on.next()
                } else {
                    k_off.next()
                },
            )
        });
        let (t_off, t_on) = if round.is_multiple_of(2) {
            (ta, tb)
        } else {
            (tb, ta)
        };
        put_off.push(t_off);
        put_on.push(t_on);
    }
    let (g0, g1, p0, p1) = (
        median(get_off),
        median(get_on),
        median(put_off),
        median(put_on),
    );
    for (op, t0, t1) in [("GetItem", g0, g1), ("PutItem", p0, p1)] {
        println!(
            "{:<18} {:>11.0} ns {:>11.0} ns {:>7.3}",
            format!("{op} ({backend})"),
            t0,
            t1,
            t1 / t0
        );
    }
    let view = on.capacity_view("usertable").unwrap();
    let throttled: u64 = view.resources[0]
        .partitions
        .iter()
        .map(|p| p.read.throttled_requests + p.write.throttled_requests)
        .sum();
    assert_eq!(throttled, 0, "the figure must not include refusals");
}
