//! The table layer's overhead: GetItem/PutItem of a 1 KB item with 10 attributes versus
//! raw `Backend::get`/`put` of a 1 KB value, on the in-memory backend and on the LSM
//! engine (reads from the memtable, and reads from compacted SSTables through the block
//! cache). The figure of merit is the ratio table / raw; the target is ≤ 1.5×.
//!
//! Ratios are only trustworthy from one run on a noisy machine, so each subject is
//! measured in interleaved rounds: reads first (a batch of raw gets, then a batch of
//! GetItems, repeated), then writes (raw puts, PutItems, repeated). Each side's figure is
//! its median per-op time over the rounds, and the ratio is taken between the medians.
//!
//! The table side pays for what a caller of the API pays for: building the request
//! (table name, key map) and receiving an owned item, as the raw side builds its key and
//! receives an owned value. Writes use `Durability::None` on the LSM so the figure is the
//! CPU overhead, not an fdatasync that both sides would share.
//!
//! Run: `cargo bench -p shale-engine --bench table_overhead` (about a minute).

// The allocator `shale-server` and `shale-bench` ship with: GetItem's result is an owned
// map of owned strings, so the allocator is a large share of both sides of the ratio.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::hint::black_box;
use std::sync::Arc;
use std::time::Instant;

use shale_engine::{Backend, MemBackend};
use shale_engine::{Db, DbOptions, Durability};
use shale_table::types::{AttributeValue, Item};
use shale_table::{
    AttributeDefinition, BillingMode, CreateTableInput, Database, DatabaseOptions, GetItemInput,
    KeySchemaElement, KeyType, PutItemInput, ScalarAttributeType,
};

/// Items (and raw keys) preloaded before measuring reads.
const PRELOAD: u64 = 20_000;
/// Bytes of each of the nine non-key attributes (≈ 1 KB per item with names and key).
const FIELD_BYTES: usize = 110;
/// Operations per batch, and interleaved rounds per subject.
const BATCH: u64 = 2_000;
const ROUNDS: usize = 25;

/// A deterministic key sequence (splitmix64), so every run reads the same keys.
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

fn raw_key(i: u64) -> Vec<u8> {
    // A prefix no table id uses, so raw keys and items share the engine but not keys.
    let mut k = vec![0xEE];
    k.extend_from_slice(format!("user{i:012}").as_bytes());
    k
}

/// A backend under test; `compact` flushes and compacts everything once it is loaded, so
/// reads go through SSTables.
struct Subject {
    name: &'static str,
    backend: Arc<dyn Backend>,
    compact: bool,
    _dir: Option<tempfile::TempDir>,
}

fn subjects() -> Vec<Subject> {
    let lsm = |compact: bool, name: &'static str| {
        let dir = tempfile::tempdir().expect("temp dir");
        let opts = DbOptions::new(dir.path()).with_durability(Durability::None);
        Subject {
            name,
            backend: Arc::new(Db::open(opts).expect("open lsm")),
            compact,
            _dir: Some(dir),
        }
    };
    vec![
        Subject {
            name: "memory",
            backend: Arc::new(MemBackend::new()),
            compact: false,
            _dir: None,
        },
        // Everything in the memtable: the engine's cheapest read, so the largest ratio.
        lsm(false, "lsm-memtable"),
        // Everything flushed and compacted: the steady state of a table larger than one
        // memtable.
        lsm(true, "lsm-sstables"),
    ]
}

/// Nanoseconds per op of `op` run `BATCH` times.
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
        "{:<14} {:>12} {:>12} {:>7} {:>12} {:>12} {:>7}",
        "subject", "raw get ns", "GetItem ns", "ratio", "raw put ns", "PutItem ns", "ratio"
    );
    for subject in subjects() {
        let raw = subject.backend.clone();
        let value = vec![b'v'; 1024];
        for i in 0..PRELOAD {
            raw.put(&raw_key(i), &value).unwrap();
        }
        // On-demand scaling off: this measures the table layer, not capacity (whose cost
        // is `capacity_overhead`'s), and an on-demand table throttles a load this fast.
        let opts = DatabaseOptions::default().with_capacity(
            shale_table::capacity::CapacityOptions::default().with_on_demand_scaling(false),
        );
        let db = Database::open(raw.clone(), opts).unwrap();
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
            billing_mode: Some(BillingMode::PayPerRequest),
            ..CreateTableInput::default()
        })
        .unwrap();
        for i in 0..PRELOAD {
            db.put_item(PutItemInput {
                table_name: "usertable".into(),
                item: record(i),
                ..PutItemInput::default()
            })
            .unwrap();
        }
        if subject.compact {
            raw.compact_range(None, None).expect("compact");
        }

        let (mut raw_gets, mut table_gets, mut raw_puts, mut table_puts) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        // Reads first, on the loaded engine; then writes (which grow the memtable).
        let (mut raw_read_keys, mut table_read_keys) = (Keys(1), Keys(1));
        for _ in 0..rounds {
            raw_gets.push(per_op_ns(|| {
                black_box(raw.get(&raw_key(raw_read_keys.next()), None).unwrap());
            }));
            table_gets.push(per_op_ns(|| {
                black_box(
                    db.get_item(GetItemInput {
                        table_name: "usertable".into(),
                        key: key_of(table_read_keys.next()),
                        ..GetItemInput::default()
                    })
                    .unwrap(),
                );
            }));
        }
        let (mut raw_write_keys, mut table_write_keys) = (Keys(2), Keys(2));
        for _ in 0..rounds {
            raw_puts.push(per_op_ns(|| {
                // The raw side builds its 1 KB value per op, as the table side builds
                // its item.
                let value = vec![b'v'; 1024];
                black_box(raw.put(&raw_key(raw_write_keys.next()), &value).unwrap());
            }));
            table_puts.push(per_op_ns(|| {
                black_box(
                    db.put_item(PutItemInput {
                        table_name: "usertable".into(),
                        item: record(table_write_keys.next()),
                        ..PutItemInput::default()
                    })
                    .unwrap(),
                );
            }));
        }
        let (rg, tg, rp, tp) = (
            median(raw_gets),
            median(table_gets),
            median(raw_puts),
            median(table_puts),
        );
        println!(
            "{:<14} {:>12.0} {:>12.0} {:>6.2}x {:>12.0} {:>12.0} {:>6.2}x",
            subject.name,
            rg,
            tg,
            tg / rg,
            rp,
            tp,
            tp / rp
        );
    }
}
