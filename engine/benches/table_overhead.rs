//! The table layer's overhead: GetItem/PutItem of a 1 KB item with 10 attributes versus
//! raw `Backend::get`/`put` of a 1 KB value, on MemBackend and on the LSM engine with
//! Buffered durability (reads from the memtable, and reads from compacted SSTables). The
//! ratio (table / raw) is the figure of merit; target ≤ 1.5×. GetItem's extra cost is
//! mostly decoding the stored item into an owned 10-attribute map (and dropping it).
//!
//! Run: `scargo bench -p shale-engine --bench table_overhead -- --warm-up-time 1 --measurement-time 3`

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use shale_engine::lsm::{Db, DbOptions, Durability};
use shale_engine::table::{
    AttributeDefinition, BillingMode, CreateTableInput, Database, DatabaseOptions, GetItemInput,
    KeySchemaElement, KeyType, PutItemInput, ScalarAttributeType,
};
use shale_engine::types::{AttributeValue, Item};
use shale_engine::{Backend, MemBackend};

/// Items (and raw keys) preloaded before measuring reads.
const PRELOAD: u64 = 20_000;
/// Bytes of each of the nine non-key attributes (≈ 1 KB per item with names and key).
const FIELD_BYTES: usize = 110;

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
    format!("user{i:012}").into_bytes()
}

/// A backend under test, and what to do once it is loaded (the LSM variant that measures
/// reads from SSTables flushes and compacts everything first).
struct Subject {
    name: &'static str,
    backend: Arc<dyn Backend>,
    settle: Option<Arc<Db>>,
    _dir: Option<tempfile::TempDir>,
}

fn subjects() -> Vec<Subject> {
    let lsm = |settled: bool, name: &'static str| {
        let dir = tempfile::tempdir().expect("temp dir");
        let opts = DbOptions::new(dir.path()).with_durability(Durability::Buffered {
            interval: Duration::from_millis(100),
        });
        let db = Arc::new(Db::open(opts).expect("open lsm"));
        Subject {
            name,
            backend: db.clone(),
            settle: settled.then_some(db),
            _dir: Some(dir),
        }
    };
    vec![
        Subject {
            name: "memory",
            backend: Arc::new(MemBackend::new()),
            settle: None,
            _dir: None,
        },
        // Everything in the memtable: the engine's cheapest read, so the largest ratio.
        lsm(false, "lsm-buffered"),
        // Everything flushed and compacted: reads go through SSTables and the block cache,
        // the steady state of a table larger than one memtable.
        lsm(true, "lsm-sstables"),
    ]
}

fn bench(c: &mut Criterion) {
    for subject in subjects() {
        let (name, raw_backend) = (subject.name, subject.backend.clone());
        // Raw: 1 KB values under their own keys in the same engine instance type.
        let value = vec![b'v'; 1024];
        for i in 0..PRELOAD {
            let mut k = vec![0xEE]; // a prefix no table id uses
            k.extend_from_slice(&raw_key(i));
            raw_backend.put(&k, &value).unwrap();
        }
        let db = Database::open(raw_backend.clone(), DatabaseOptions::default()).unwrap();
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

        if let Some(db) = &subject.settle {
            db.compact_range(None, None).expect("compact");
        }
        let mut group = c.benchmark_group(format!("overhead/{name}"));
        let mut keys = Keys(1);
        group.bench_function("raw_get_1k", |b| {
            b.iter(|| {
                let mut k = vec![0xEE];
                k.extend_from_slice(&raw_key(keys.next()));
                black_box(raw_backend.get(&k, None).unwrap())
            })
        });
        let mut keys = Keys(1);
        group.bench_function("table_get_item_1k", |b| {
            b.iter(|| {
                black_box(
                    db.get_item(GetItemInput {
                        table_name: "usertable".into(),
                        key: key_of(keys.next()),
                        ..GetItemInput::default()
                    })
                    .unwrap(),
                )
            })
        });
        let mut keys = Keys(2);
        group.bench_function("raw_put_1k", |b| {
            b.iter(|| {
                let mut k = vec![0xEE];
                k.extend_from_slice(&raw_key(keys.next()));
                black_box(raw_backend.put(&k, &value).unwrap())
            })
        });
        let mut keys = Keys(2);
        group.bench_function("table_put_item_1k", |b| {
            b.iter(|| {
                black_box(
                    db.put_item(PutItemInput {
                        table_name: "usertable".into(),
                        item: record(keys.next()),
                        ..PutItemInput::default()
                    })
                    .unwrap(),
                )
            })
        });
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
