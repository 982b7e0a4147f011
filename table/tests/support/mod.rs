//! Shared helpers for the `table_*` integration tests: the backends every test runs
//! against, a deterministic database, and terse item builders.
#![allow(dead_code)] // each test binary uses a different subset

use std::collections::BTreeMap;
use std::sync::Arc;

use shale_engine::{Backend, MemBackend};
use shale_engine::{Db, DbOptions};
use shale_io::clock::ManualClock;
use shale_table::types::{AttributeValue, Item, Number};
use shale_table::{
    AttributeDefinition, BillingMode, CreateTableInput, Database, DatabaseOptions,
    GlobalSecondaryIndex, KeySchemaElement, KeyType, LocalSecondaryIndex, Projection,
    ProjectionType, ScalarAttributeType,
};

/// A backend under test, with whatever keeps it alive (e.g. its temp dir).
pub struct TestBackend {
    pub name: &'static str,
    pub backend: Arc<dyn Backend>,
    _dir: Option<tempfile::TempDir>,
}

/// LSM options for tests: small memtables and files so flushes and compactions happen
/// during the tests, on `fs`.
pub fn lsm_options(dir: &std::path::Path, fs: Arc<dyn shale_io::FileSystem>) -> DbOptions {
    let mut o = DbOptions::new(dir).tiny().with_fs(fs);
    o.memtable_bytes = 64 << 10;
    o
}

/// Every backend the table layer must work on: the in-memory reference and the LSM
/// engine on a temp dir.
pub fn backends() -> Vec<TestBackend> {
    let dir = tempfile::tempdir().expect("temp dir");
    let lsm =
        Db::open(lsm_options(dir.path(), Arc::new(shale_io::StdFs::new()))).expect("open lsm");
    vec![
        TestBackend {
            name: "memory",
            backend: Arc::new(MemBackend::new()),
            _dir: None,
        },
        TestBackend {
            name: "lsm",
            backend: Arc::new(lsm),
            _dir: Some(dir),
        },
    ]
}

/// An LSM database on a fault-injecting in-memory file system, reopenable.
pub struct FaultLsm {
    pub fs: shale_io::FaultFs,
}

impl FaultLsm {
    pub fn new() -> Self {
        FaultLsm {
            fs: shale_io::FaultFs::new(),
        }
    }

    /// Opens (or reopens) the LSM engine on this file system, with commit times from
    /// `clock`.
    pub fn open_with_clock(&self, clock: &ManualClock) -> Arc<dyn Backend> {
        let fs: Arc<dyn shale_io::FileSystem> = Arc::new(self.fs.clone());
        Arc::new(
            Db::open(
                lsm_options(std::path::Path::new("/db"), fs).with_clock(Arc::new(clock.clone())),
            )
            .expect("open lsm on FaultFs"),
        )
    }

    /// Opens (or reopens) the LSM engine on this file system.
    pub fn open(&self) -> Arc<dyn Backend> {
        let fs: Arc<dyn shale_io::FileSystem> = Arc::new(self.fs.clone());
        Arc::new(
            Db::open(lsm_options(std::path::Path::new("/db"), fs)).expect("open lsm on FaultFs"),
        )
    }
}

/// Options with a manual clock (1.7e9 s) and no background GSI worker, so tests decide
/// when indexes catch up. On-demand scaling is off: these tests load data at one frozen
/// instant, which no on-demand table takes at once (`capacity_on_demand_scaling.rs`
/// tests scaling with a clock that moves).
pub fn options() -> DatabaseOptions {
    DatabaseOptions::default()
        .with_clock(Arc::new(ManualClock::new(1_700_000_000_000_000)))
        .with_background_index_worker(false)
        .with_capacity(
            shale_table::capacity::CapacityOptions::default().with_on_demand_scaling(false),
        )
}

/// Opens a deterministic database on `backend`.
pub fn open(backend: &TestBackend) -> Database {
    Database::open(backend.backend.clone(), options()).expect("open database")
}

/// As [`open`], with the LSI item-collection limit lowered to `limit_bytes`.
pub fn open_with_collection_limit(backend: &TestBackend, limit_bytes: u64) -> Database {
    let opts = options().with_item_collection_limit_bytes(limit_bytes);
    Database::open(backend.backend.clone(), opts).expect("open database")
}

/// Runs `f` once per backend, naming the backend on failure.
pub fn for_each_backend(f: impl Fn(&TestBackend, Database)) {
    for b in backends() {
        let db = open(&b);
        eprintln!("backend: {}", b.name);
        f(&b, db);
    }
}

pub fn s(v: &str) -> AttributeValue {
    AttributeValue::S(v.to_owned())
}

pub fn n(v: &str) -> AttributeValue {
    AttributeValue::N(Number::parse(v).expect("valid number"))
}

pub fn item(pairs: &[(&str, AttributeValue)]) -> Item {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
}

pub fn def(name: &str, ty: ScalarAttributeType) -> AttributeDefinition {
    AttributeDefinition {
        attribute_name: name.to_owned(),
        attribute_type: ty,
    }
}

pub fn hash(name: &str) -> KeySchemaElement {
    KeySchemaElement {
        attribute_name: name.to_owned(),
        key_type: KeyType::Hash,
    }
}

pub fn range(name: &str) -> KeySchemaElement {
    KeySchemaElement {
        attribute_name: name.to_owned(),
        key_type: KeyType::Range,
    }
}

/// An on-demand table keyed `pk` (S) [+ `sk` of type `sk_type`].
pub fn simple_table(name: &str, sk_type: Option<ScalarAttributeType>) -> CreateTableInput {
    let mut defs = vec![def("pk", ScalarAttributeType::S)];
    let mut keys = vec![hash("pk")];
    if let Some(t) = sk_type {
        defs.push(def("sk", t));
        keys.push(range("sk"));
    }
    CreateTableInput {
        table_name: name.to_owned(),
        attribute_definitions: defs,
        key_schema: keys,
        billing_mode: Some(BillingMode::PayPerRequest),
        ..CreateTableInput::default()
    }
}

/// Table "Thread" (pk S, sk S) with LSI "ByPosted" on `posted` (N), projecting
/// `projection`.
pub fn lsi_table(projection: ProjectionType) -> CreateTableInput {
    let mut t = simple_table("Thread", Some(ScalarAttributeType::S));
    t.attribute_definitions
        .push(def("posted", ScalarAttributeType::N));
    t.local_secondary_indexes = Some(vec![LocalSecondaryIndex {
        index_name: "ByPosted".into(),
        key_schema: vec![hash("pk"), range("posted")],
        projection: Projection {
            projection_type: Some(projection),
            non_key_attributes: None,
        },
    }]);
    t
}

/// An `ExpressionAttributeValues` map from pairs.
pub fn vals(pairs: &[(&str, AttributeValue)]) -> Option<BTreeMap<String, AttributeValue>> {
    Some(
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect(),
    )
}

/// A private copy of the checked-in fixture directory `tests/fixtures/<name>` in a fresh
/// temp dir, so a test can open (and write to) an old data directory without touching
/// the committed one.
pub fn copy_fixture(name: &str) -> tempfile::TempDir {
    fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
        std::fs::create_dir_all(to).expect("create fixture copy dir");
        for entry in std::fs::read_dir(from).expect("read fixture dir") {
            let entry = entry.expect("fixture dir entry");
            let target = to.join(entry.file_name());
            if entry.file_type().expect("fixture file type").is_dir() {
                copy_dir(&entry.path(), &target);
            } else {
                std::fs::copy(entry.path(), &target).expect("copy fixture file");
            }
        }
    }
    let from = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    assert!(from.is_dir(), "no fixture at {}", from.display());
    let dir = tempfile::tempdir().expect("temp dir");
    copy_dir(&from, dir.path());
    dir
}

/// The backends of [`backends`], with commit times from `clock` (point-in-time tests move
/// it instead of sleeping).
pub fn clocked_backends(clock: &ManualClock) -> Vec<TestBackend> {
    let dir = tempfile::tempdir().expect("temp dir");
    let lsm = Db::open(
        lsm_options(dir.path(), Arc::new(shale_io::StdFs::new()))
            .with_clock(Arc::new(clock.clone())),
    )
    .expect("open lsm");
    vec![
        TestBackend {
            name: "memory",
            backend: Arc::new(MemBackend::with_clock(Arc::new(clock.clone()))),
            _dir: None,
        },
        TestBackend {
            name: "lsm",
            backend: Arc::new(lsm),
            _dir: Some(dir),
        },
    ]
}

/// Every item of `table` (or of its index `index`), through Scan's pages.
pub fn scan_all(db: &Database, table: &str, index: Option<&str>) -> Vec<Item> {
    let mut out = Vec::new();
    let mut start = None;
    for _ in 0..10_000 {
        let page = db
            .scan(shale_table::ScanInput {
                table_name: table.to_owned(),
                index_name: index.map(str::to_owned),
                exclusive_start_key: start.take(),
                ..Default::default()
            })
            .expect("scan");
        out.extend(page.items.unwrap_or_default());
        match page.last_evaluated_key {
            Some(k) => start = Some(k),
            None => return out,
        }
    }
    panic!("scan of {table} did not end");
}

/// A model key for an item of a `pk`/`sk` table.
pub fn model_key(i: &Item) -> String {
    format!("{:?}/{:?}", i["pk"], i["sk"])
}

/// PutItem of `i` into `table`.
pub fn put(db: &Database, table: &str, i: Item) {
    db.put_item(shale_table::PutItemInput {
        table_name: table.into(),
        item: i,
        ..Default::default()
    })
    .expect("put");
}

/// Items as sorted debug strings, to compare sets of items.
pub fn sorted(items: impl IntoIterator<Item = Item>) -> Vec<String> {
    let mut out: Vec<String> = items.into_iter().map(|i| format!("{i:?}")).collect();
    out.sort();
    out
}

impl FaultLsm {
    /// Opens (or reopens) the LSM engine on this file system with `durability` (e.g.
    /// `Durability::None`, so a power cut keeps an arbitrary prefix of the WAL).
    pub fn open_with_durability(&self, durability: shale_engine::Durability) -> Arc<dyn Backend> {
        let fs: Arc<dyn shale_io::FileSystem> = Arc::new(self.fs.clone());
        Arc::new(
            Db::open(lsm_options(std::path::Path::new("/db"), fs).with_durability(durability))
                .expect("open lsm on FaultFs"),
        )
    }
}

/// One fuzz-corpus input must finish far below this, even on a loaded machine.
pub const CORPUS_INPUT_BUDGET: std::time::Duration = std::time::Duration::from_secs(2);
/// A corpus is small seeds and the crashers added to them; a much larger directory
/// means something went wrong.
pub const MAX_CORPUS_FILES: usize = 10_000;

/// `fuzz/corpus/<target>/`, the corpus of the fuzz target `target`.
pub fn corpus_dir(target: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz/corpus")
        .join(target)
}

/// Runs `run` (the fuzz target's body) on every file of `target`'s corpus, in name
/// order, each within [`CORPUS_INPUT_BUDGET`]: CI replays the seeds and every crasher
/// added to them on stable. The corpus must hold at least `least` files (the seeds
/// are there) and at most [`MAX_CORPUS_FILES`].
pub fn replay_corpus(target: &str, least: usize, mut run: impl FnMut(&[u8])) {
    let dir = corpus_dir(target);
    let mut files: Vec<std::path::PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .collect();
    files.sort();
    assert!(
        files.len() >= least,
        "expected the seed corpus in {}, found {} files",
        dir.display(),
        files.len()
    );
    assert!(files.len() <= MAX_CORPUS_FILES, "{} files", files.len());
    for file in files {
        let data = std::fs::read(&file).unwrap();
        let start = std::time::Instant::now();
        run(&data);
        assert!(
            start.elapsed() < CORPUS_INPUT_BUDGET,
            "{} took {:?}",
            file.display(),
            start.elapsed()
        );
    }
}

/// A backend that delegates to another, except that once armed ([`HoldingBackend::arm`])
/// the next `write` waits, before reaching the inner backend, until
/// [`HoldingBackend::release`]: a test can keep one write (a transaction) in flight and
/// act meanwhile. Only that one write waits.
#[derive(Debug)]
pub struct HoldingBackend {
    pub inner: Arc<dyn Backend>,
    gate: std::sync::Mutex<Gate>,
    changed: std::sync::Condvar,
}

#[derive(Debug, Default)]
struct Gate {
    armed: bool,
    holding: bool,
    released: bool,
}

/// Longest a held write or a wait for one lasts before the test fails.
pub const HOLD_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(20);

impl HoldingBackend {
    pub fn new(inner: Arc<dyn Backend>) -> Arc<Self> {
        Arc::new(HoldingBackend {
            inner,
            gate: std::sync::Mutex::new(Gate::default()),
            changed: std::sync::Condvar::new(),
        })
    }

    /// The next write will wait.
    pub fn arm(&self) {
        *self.gate.lock().unwrap() = Gate {
            armed: true,
            ..Gate::default()
        };
    }

    /// Blocks until the armed write is waiting.
    pub fn wait_until_holding(&self) {
        let g = self.gate.lock().unwrap();
        let (g, t) = self
            .changed
            .wait_timeout_while(g, HOLD_TIMEOUT, |g| !g.holding)
            .unwrap();
        assert!(!t.timed_out() && g.holding, "no write arrived to hold");
    }

    /// Lets the held write go on.
    pub fn release(&self) {
        self.gate.lock().unwrap().released = true;
        self.changed.notify_all();
    }
}

impl Backend for HoldingBackend {
    fn name(&self) -> &'static str {
        self.inner.name()
    }
    fn write(&self, batch: shale_engine::WriteBatch) -> Result<u64, shale_engine::StorageError> {
        let mut g = self.gate.lock().unwrap();
        if g.armed {
            g.armed = false;
            g.holding = true;
            self.changed.notify_all();
            let (g2, t) = self
                .changed
                .wait_timeout_while(g, HOLD_TIMEOUT, |g| !g.released)
                .unwrap();
            assert!(!t.timed_out(), "a held write was never released");
            g = g2;
            g.holding = false;
        }
        drop(g);
        self.inner.write(batch)
    }
    fn get(
        &self,
        key: &[u8],
        snapshot: Option<&shale_engine::Snapshot>,
    ) -> Result<Option<Vec<u8>>, shale_engine::StorageError> {
        self.inner.get(key, snapshot)
    }
    fn scan(
        &self,
        start: std::ops::Bound<Vec<u8>>,
        end: std::ops::Bound<Vec<u8>>,
        direction: shale_engine::Direction,
        snapshot: Option<&shale_engine::Snapshot>,
    ) -> Result<shale_engine::KvIter, shale_engine::StorageError> {
        self.inner.scan(start, end, direction, snapshot)
    }
    fn snapshot(&self) -> shale_engine::Snapshot {
        self.inner.snapshot()
    }
    fn sync(&self) -> Result<(), shale_engine::StorageError> {
        self.inner.sync()
    }
    fn history_bounds(
        &self,
    ) -> Result<Option<shale_engine::HistoryBounds>, shale_engine::StorageError> {
        self.inner.history_bounds()
    }
}

/// A TransactWriteItems action: Put of `item` into `table`.
pub fn tx_put(table: &str, item: Item) -> shale_table::TransactWriteItem {
    shale_table::TransactWriteItem {
        put: Some(shale_table::TransactPut {
            table_name: table.into(),
            item,
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// A TransactWriteItems action: Update of `key` in `table` with `update`, `condition`
/// and the values `values`.
pub fn tx_update(
    table: &str,
    key: Item,
    update: &str,
    condition: Option<&str>,
    values: &[(&str, AttributeValue)],
) -> shale_table::TransactWriteItem {
    shale_table::TransactWriteItem {
        update: Some(shale_table::TransactUpdate {
            table_name: table.into(),
            key,
            update_expression: Some(update.into()),
            condition_expression: condition.map(str::to_owned),
            expression_attribute_values: if values.is_empty() {
                None
            } else {
                vals(values)
            },
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// A TransactWriteItems action: Delete of `key` from `table`.
pub fn tx_delete(table: &str, key: Item) -> shale_table::TransactWriteItem {
    shale_table::TransactWriteItem {
        delete: Some(shale_table::TransactDelete {
            table_name: table.into(),
            key,
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// A TransactWriteItems action: ConditionCheck of `condition` on `key` in `table`.
pub fn tx_check(
    table: &str,
    key: Item,
    condition: &str,
    values: &[(&str, AttributeValue)],
) -> shale_table::TransactWriteItem {
    shale_table::TransactWriteItem {
        condition_check: Some(shale_table::ConditionCheck {
            table_name: table.into(),
            key,
            condition_expression: condition.into(),
            expression_attribute_values: if values.is_empty() {
                None
            } else {
                vals(values)
            },
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// TransactWriteItems of `actions`, nothing else asked for.
pub fn transact(
    db: &Database,
    actions: Vec<shale_table::TransactWriteItem>,
) -> Result<shale_table::TransactWriteItemsOutput, shale_table::Error> {
    db.transact_write_items(shale_table::TransactWriteItemsInput {
        transact_items: actions,
        ..Default::default()
    })
}

/// TransactGetItems of `(table, key)` pairs; the items found, in order.
pub fn transact_get(db: &Database, gets: &[(&str, Item)]) -> Vec<Option<Item>> {
    db.transact_get_items(shale_table::TransactGetItemsInput {
        transact_items: gets
            .iter()
            .map(|(t, k)| shale_table::TransactGetItem {
                get: shale_table::TransactGet {
                    table_name: (*t).into(),
                    key: k.clone(),
                    ..Default::default()
                },
            })
            .collect(),
        ..Default::default()
    })
    .expect("transact get")
    .responses
    .into_iter()
    .map(|r| r.item)
    .collect()
}

/// The codes of a TransactionCanceledException's reasons.
pub fn reason_codes(e: &shale_table::Error) -> Vec<&'static str> {
    match e {
        shale_table::Error::TransactionCanceled { reasons } => {
            reasons.iter().map(|r| r.code).collect()
        }
        other => panic!("expected TransactionCanceled, got {other:?}"),
    }
}

/// A legacy `Condition` (KeyConditions, QueryFilter, ScanFilter).
pub fn legacy_cond(
    op: shale_table::ComparisonOperator,
    values: &[AttributeValue],
) -> shale_table::Condition {
    shale_table::Condition {
        comparison_operator: op,
        attribute_value_list: Some(values.to_vec()),
    }
}

/// A legacy conditions map from pairs.
pub fn legacy_conds(pairs: &[(&str, shale_table::Condition)]) -> shale_table::Conditions {
    pairs
        .iter()
        .map(|(k, c)| (k.to_string(), c.clone()))
        .collect()
}

/// The expression twin of one legacy condition on attribute `attr`, with its arguments as
/// `:a0`, `:a1`, …: the mapping DynamoDB documents (NOT_CONTAINS is false on a missing
/// attribute, as DynamoDB Local evaluates it).
pub fn legacy_twin(attr: &str, op: shale_table::ComparisonOperator, args: usize) -> String {
    use shale_table::ComparisonOperator as C;
    let cmp = |sym: &str| format!("{attr} {sym} :a0");
    match op {
        C::Eq => cmp("="),
        C::Ne => cmp("<>"),
        C::Lt => cmp("<"),
        C::Le => cmp("<="),
        C::Gt => cmp(">"),
        C::Ge => cmp(">="),
        C::NotNull => format!("attribute_exists({attr})"),
        C::Null => format!("attribute_not_exists({attr})"),
        C::Contains => format!("contains({attr}, :a0)"),
        C::NotContains => format!("attribute_exists({attr}) AND NOT contains({attr}, :a0)"),
        C::BeginsWith => format!("begins_with({attr}, :a0)"),
        C::In => {
            let list: Vec<String> = (0..args).map(|i| format!(":a{i}")).collect();
            format!("{attr} IN ({})", list.join(", "))
        }
        C::Between => format!("{attr} BETWEEN :a0 AND :a1"),
    }
}

/// `:a0`, `:a1`, … → `values`, or `None` when there are none.
pub fn twin_values(values: &[AttributeValue]) -> Option<BTreeMap<String, AttributeValue>> {
    (!values.is_empty()).then(|| {
        values
            .iter()
            .enumerate()
            .map(|(i, v)| (format!(":a{i}"), v.clone()))
            .collect()
    })
}
// ---------------------------------------------------------------------------------------
// Capacity scenarios (`capacity_*.rs`)
// ---------------------------------------------------------------------------------------

/// A database on `clock` (memory backend, no background worker) with `capacity`.
pub fn capacity_db(
    clock: &ManualClock,
    capacity: shale_table::capacity::CapacityOptions,
) -> Database {
    let opts = DatabaseOptions::default()
        .with_clock(Arc::new(clock.clone()))
        .with_background_index_worker(false)
        .with_capacity(capacity);
    Database::open(Arc::new(MemBackend::new()), opts).expect("open database")
}

/// Capacity options whose buckets start empty, so a scenario sees burst accrue from
/// creation, with `policy`.
pub fn empty_buckets(
    policy: Arc<dyn shale_table::capacity::AdmissionPolicy>,
) -> shale_table::capacity::CapacityOptions {
    shale_table::capacity::CapacityOptions::default()
        .with_start_with_burst(false)
        .with_policy(policy)
}

/// `t` with a KEYS_ONLY GSI `ByG` on string attribute `g`, with its own
/// throughput or on-demand maxima: the capacity tests' common GSI.
pub fn with_gsi_on_g(
    mut t: CreateTableInput,
    throughput: Option<shale_table::ProvisionedThroughput>,
    on_demand: Option<shale_table::OnDemandThroughput>,
) -> CreateTableInput {
    t.attribute_definitions
        .push(def("g", ScalarAttributeType::S));
    t.global_secondary_indexes = Some(vec![GlobalSecondaryIndex {
        index_name: "ByG".into(),
        key_schema: vec![hash("g")],
        projection: Projection {
            projection_type: Some(ProjectionType::KeysOnly),
            non_key_attributes: None,
        },
        provisioned_throughput: throughput,
        on_demand_throughput: on_demand,
        warm_throughput: None,
    }]);
    t
}

/// A provisioned table keyed `pk` (S) with `read_units` RCU and `write_units` WCU.
pub fn provisioned_table(name: &str, read_units: i64, write_units: i64) -> CreateTableInput {
    CreateTableInput {
        billing_mode: Some(BillingMode::Provisioned),
        provisioned_throughput: Some(shale_table::ProvisionedThroughput {
            read_capacity_units: read_units,
            write_capacity_units: write_units,
        }),
        ..simple_table(name, None)
    }
}

/// UpdateTable switching `table` to PAY_PER_REQUEST.
pub fn switch_to_on_demand(db: &Database, table: &str) {
    db.update_table(shale_table::UpdateTableInput {
        table_name: table.into(),
        billing_mode: Some(BillingMode::PayPerRequest),
        ..Default::default()
    })
    .expect("switch to on demand");
}

/// PutItem of a small (< 1 KB: one WCU) item with key `pk`.
pub fn put_small(
    db: &Database,
    table: &str,
    pk: &str,
) -> Result<shale_table::PutItemOutput, shale_table::Error> {
    db.put_item(shale_table::PutItemInput {
        table_name: table.to_owned(),
        item: item(&[("pk", s(pk)), ("v", s("x"))]),
        ..Default::default()
    })
}

/// A strongly consistent GetItem (one RCU for a small item) of key `pk`.
pub fn get_consistent(
    db: &Database,
    table: &str,
    pk: &str,
) -> Result<shale_table::GetItemOutput, shale_table::Error> {
    db.get_item(shale_table::GetItemInput {
        table_name: table.to_owned(),
        key: item(&[("pk", s(pk))]),
        consistent_read: Some(true),
        ..Default::default()
    })
}

/// Whether `r` failed with a capacity throttle.
pub fn throttled<T>(r: &Result<T, shale_table::Error>) -> bool {
    matches!(
        r,
        Err(shale_table::Error::ProvisionedThroughputExceeded { .. })
            | Err(shale_table::Error::Throttling { .. })
    )
}

/// Throttled requests on every partition of `table` (and its GSIs), reads and writes.
pub fn throttled_total(db: &Database, table: &str) -> u64 {
    let view = db.capacity_view(table).expect("capacity view");
    view.resources
        .iter()
        .flat_map(|r| &r.partitions)
        .map(|p| p.read.throttled_requests + p.write.throttled_requests)
        .sum()
}

/// Turns `table`'s stream on with `view` (UpdateTable); returns the stream's ARN.
pub fn enable_stream(db: &Database, table: &str, view: shale_table::StreamViewType) -> String {
    let out = db
        .update_table(shale_table::UpdateTableInput {
            table_name: table.into(),
            stream_specification: Some(shale_table::StreamSpecification {
                stream_enabled: true,
                stream_view_type: Some(view),
            }),
            ..Default::default()
        })
        .expect("enable stream");
    out.table_description
        .latest_stream_arn
        .expect("an enabled stream has an ARN")
}

/// Most GetRecords calls [`read_stream`] makes per shard before failing the test.
pub const READ_CALLS_MAX: usize = 10_000;

/// Every record of the stream at `arn`, shard by shard from TRIM_HORIZON, following
/// each shard until GetRecords returns an empty page (open shard) or no iterator
/// (closed shard). Pages of `limit` records.
pub fn read_stream(db: &Database, arn: &str, limit: i64) -> Vec<shale_table::Record> {
    let shards = describe_stream(db, arn).shards;
    let mut out = Vec::new();
    for shard in shards {
        let mut it = Some(
            db.get_shard_iterator(shale_table::GetShardIteratorInput {
                stream_arn: arn.into(),
                shard_id: shard.shard_id.clone(),
                shard_iterator_type: shale_table::ShardIteratorType::TrimHorizon,
                sequence_number: None,
            })
            .expect("iterator")
            .shard_iterator,
        );
        for call in 0.. {
            assert!(
                call < READ_CALLS_MAX,
                "shard {} never ended",
                shard.shard_id
            );
            let Some(i) = it.take() else { break };
            let page = db
                .get_records(shale_table::GetRecordsInput {
                    shard_iterator: i,
                    limit: Some(limit),
                })
                .expect("get records");
            let empty = page.records.is_empty();
            out.extend(page.records);
            it = page.next_shard_iterator;
            if empty && shard.sequence_number_range.ending_sequence_number.is_none() {
                break;
            }
        }
    }
    out
}

/// DescribeStream's description (first page).
pub fn describe_stream(db: &Database, arn: &str) -> shale_table::StreamDescription {
    db.describe_stream(shale_table::DescribeStreamInput {
        stream_arn: arn.into(),
        ..Default::default()
    })
    .expect("describe stream")
    .stream_description
}
