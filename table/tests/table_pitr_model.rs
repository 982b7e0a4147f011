//! Point-in-time restore against a model: random writes (puts, updates, deletes, batches)
//! with the clock advancing by random steps, across flushes (so WAL segments roll into
//! the archive and restore bases are taken), then restores to random instants; each
//! restored table, its LSI and its GSI equal the model at that instant. On the memory
//! backend, the LSM on a temp dir, and the LSM on the fault-injecting file system with a
//! crash in the middle of a restore (between two copy steps), which must resume.
//!
//! Every other restore leaves the indexes out, so its items are bulk loaded
//! (`Backend::ingest`) instead of written through the write path, and must equal the
//! model just the same. The others keep the indexes, whose entries are replayed (each
//! case runs once with replay on, the default) or rebuilt (once with it off). The GSI is
//! drained at random moments, so a restore time finds some of its entries built and some
//! still queued.
//!
//! Seeded: a failing case prints its seed; `PITR_MODEL_SEED=<n>` replays one.

mod support;

use std::collections::BTreeMap;
use std::sync::Arc;

use shale_engine::Backend;
use shale_io::clock::{Clock, ManualClock};
use shale_table::types::Item;
use shale_table::*;
use support::*;

const START_MICROS: u64 = 1_700_000_000_000_000;
/// Seeds per backend in one run (CI time), unless one is given.
const SEEDS: u64 = 4;
/// Items the crash case writes: more than one restore step copies.
const CRASH_CASE_ITEMS: u32 = 2_600;

type Model = BTreeMap<String, Item>;

/// A tiny deterministic generator (SplitMix64), so a seed replays a case exactly.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn table() -> CreateTableInput {
    let mut t = simple_table("Src", Some(ScalarAttributeType::N));
    t.attribute_definitions
        .push(def("v", ScalarAttributeType::N));
    t.attribute_definitions
        .push(def("g", ScalarAttributeType::S));
    let all = Projection {
        projection_type: Some(ProjectionType::All),
        non_key_attributes: None,
    };
    t.local_secondary_indexes = Some(vec![LocalSecondaryIndex {
        index_name: "ByV".into(),
        key_schema: vec![hash("pk"), range("v")],
        projection: all.clone(),
    }]);
    t.global_secondary_indexes = Some(vec![GlobalSecondaryIndex {
        index_name: "ByG".into(),
        key_schema: vec![hash("g")],
        projection: all,
        provisioned_throughput: None,
        on_demand_throughput: None,
        warm_throughput: None,
    }]);
    t
}

fn row(pk: u64, sk: u64, v: u64, g: Option<u64>, pad: usize) -> Item {
    let mut i = item(&[
        ("pk", s(&format!("p{pk}"))),
        ("sk", n(&sk.to_string())),
        ("v", n(&v.to_string())),
        ("pad", s(&"x".repeat(pad.max(1)))),
    ]);
    if let Some(g) = g {
        i.insert("g".into(), s(&format!("g{g}")));
    }
    i
}

fn open_with_replay(backend: Arc<dyn Backend>, clock: &ManualClock, replay: bool) -> Database {
    let options = options()
        .with_clock(Arc::new(clock.clone()))
        .with_restore_index_replay(replay);
    Database::open(backend, options).expect("open")
}

/// One random write.
fn write_one(db: &Database, rng: &mut Rng, model: &mut Model) {
    let (pk, sk) = (rng.below(6), rng.below(30));
    match rng.below(10) {
        0..=5 => {
            let g = (rng.below(3) > 0).then(|| rng.below(4));
            let i = row(pk, sk, rng.below(1000), g, rng.below(300) as usize);
            model.insert(model_key(&i), i.clone());
            db.put_item(PutItemInput {
                table_name: "Src".into(),
                item: i,
                ..Default::default()
            })
            .unwrap();
        }
        6..=7 => {
            let i = row(pk, sk, 0, None, 1);
            model.remove(&model_key(&i));
            db.delete_item(DeleteItemInput {
                table_name: "Src".into(),
                key: item(&[("pk", i["pk"].clone()), ("sk", i["sk"].clone())]),
                ..Default::default()
            })
            .unwrap();
        }
        _ => {
            let mut reqs = Vec::new();
            let mut seen = std::collections::BTreeSet::new();
            for _ in 0..1 + rng.below(5) {
                let i = row(
                    rng.below(6),
                    rng.below(30),
                    rng.below(1000),
                    Some(rng.below(4)),
                    10,
                );
                if !seen.insert(model_key(&i)) {
                    continue;
                }
                model.insert(model_key(&i), i.clone());
                reqs.push(WriteRequest {
                    put_request: Some(PutRequest { item: i }),
                    delete_request: None,
                });
            }
            let out = db
                .batch_write_item(BatchWriteItemInput {
                    request_items: [("Src".to_string(), reqs)].into(),
                    ..Default::default()
                })
                .unwrap();
            assert!(out.unprocessed_items.is_empty());
        }
    }
}

fn check_restored(db: &Database, target: &str, want: &Model, indexes: bool, what: &str) {
    let items: Vec<Item> = want.values().cloned().collect();
    assert_eq!(
        sorted(scan_all(db, target, None)),
        sorted(items.clone()),
        "{what}: table"
    );
    if !indexes {
        return;
    }
    assert_eq!(
        sorted(scan_all(db, target, Some("ByV"))),
        sorted(items.clone()),
        "{what}: LSI"
    );
    let with_g: Vec<Item> = items.into_iter().filter(|i| i.contains_key("g")).collect();
    assert_eq!(
        sorted(scan_all(db, target, Some("ByG"))),
        sorted(with_g),
        "{what}: GSI"
    );
}

/// Restores `Src` at `t` into `target`, with the source's indexes or with none (then
/// the items are bulk loaded).
fn restore(db: &Database, target: &str, t: u64, indexes: bool) {
    let mut overrides = RestoreOverrides::default();
    if !indexes {
        overrides.global_secondary_index_override = Some(Vec::new());
        overrides.local_secondary_index_override = Some(Vec::new());
    }
    db.restore_table_to_point_in_time(RestoreTableToPointInTimeInput {
        source_table_name: Some("Src".into()),
        target_table_name: target.into(),
        restore_date_time: Some(t as f64 / 1e6),
        overrides,
        ..Default::default()
    })
    .unwrap();
}

/// One seeded case: history, then restores to random recorded instants and to random
/// instants between them (which must equal the state of the last write before them),
/// with the indexes' entries replayed or rebuilt.
fn run_case(seed: u64, backend: Arc<dyn Backend>, clock: &ManualClock, replay: bool) {
    let mut rng = Rng(seed);
    let db = open_with_replay(backend.clone(), clock, replay);
    db.create_table(table()).unwrap();
    let mut model = Model::new();
    for _ in 0..rng.below(40) {
        write_one(&db, &mut rng, &mut model);
    }
    db.update_continuous_backups(UpdateContinuousBackupsInput {
        table_name: "Src".into(),
        point_in_time_recovery_specification: Some(PointInTimeRecoverySpecification {
            point_in_time_recovery_enabled: Some(true),
            recovery_period_in_days: Some(1),
        }),
    })
    .unwrap();
    let mut states = vec![(clock.now_micros(), model.clone())];
    for _ in 0..30 {
        clock.advance_micros(1 + rng.below(2_000_000));
        for _ in 0..1 + rng.below(8) {
            write_one(&db, &mut rng, &mut model);
        }
        if rng.below(5) == 0 {
            backend.flush().unwrap();
        }
        if rng.below(4) == 0 {
            db.wait_for_indexes().unwrap();
        }
        states.push((clock.now_micros(), model.clone()));
    }
    let mut items_loaded = 0;
    for r in 0..6 {
        let (i, (t, want)) = {
            let i = rng.below(states.len() as u64) as usize;
            (i, states[i].clone())
        };
        // Anywhere before the next write instant shows the same state.
        let next = states.get(i + 1).map_or(t, |s| s.0 - 1);
        let at = t + rng.below(next - t + 1);
        let target = format!("Restored{r}");
        let indexes = r % 2 == 0;
        if !indexes {
            items_loaded += want.len();
        }
        let loads_before = backend.stats().figure("ingests");
        restore(&db, &target, at, indexes);
        db.wait_for_restores().unwrap();
        db.wait_for_indexes().unwrap();
        // With indexes, the LSM loads a replay's ranges directly and a rebuild's not at all.
        if let (Some(before), Some(after), true) = (
            loads_before,
            backend.stats().figure("ingests"),
            indexes && !want.is_empty(),
        ) {
            assert_eq!(
                after > before,
                replay,
                "seed {seed}, restore {r}: replay {replay}"
            );
        }
        check_restored(
            &db,
            &target,
            &want,
            indexes,
            &format!("seed {seed}, restore {r} at +{}µs", at - START_MICROS),
        );
    }
    // The restores without indexes took the direct path where the LSM has one.
    let direct_loads = backend.stats().figure("ingests");
    if let (Some(n), true) = (direct_loads, items_loaded > 0) {
        assert!(n > 0.0, "seed {seed}: no restore was loaded directly");
    }
}

fn seeds() -> Vec<u64> {
    match std::env::var("PITR_MODEL_SEED") {
        Ok(s) => vec![s.parse().expect("PITR_MODEL_SEED is a number")],
        Err(_) => (1..=SEEDS).collect(),
    }
}

#[test]
fn restores_equal_the_model_on_every_backend() {
    for seed in seeds() {
        eprintln!("seed {seed}");
        let clock = ManualClock::new(START_MICROS);
        for replay in [true, false] {
            for b in clocked_backends(&clock) {
                eprintln!("  backend {}, replay {replay}", b.name);
                run_case(seed, b.backend.clone(), &clock, replay);
            }
            let fault = FaultLsm::new();
            eprintln!("  backend lsm on FaultFs, replay {replay}");
            run_case(seed, fault.open_with_clock(&clock), &clock, replay);
        }
    }
}

/// A restore crashed after each of its steps: a rebuild's first (2,000 of the items), and
/// a replay's first four (the items; the LSI's, then the GSI's entries; the collection
/// sizes), before the pending GSI records are queued again. The next open starts it over
/// on top of what the crashed run loaded.
#[test]
fn a_crash_between_restore_steps_resumes_and_loses_nothing() {
    for (replay, steps) in [(false, 1), (true, 1), (true, 2), (true, 3), (true, 4)] {
        eprintln!("replay {replay}, crash after {steps} steps");
        crash_after_restore_steps(replay, steps);
    }
}

fn crash_after_restore_steps(replay: bool, steps: usize) {
    let clock = ManualClock::new(START_MICROS);
    let fault = FaultLsm::new();
    let mut model = Model::new();
    let t;
    {
        let backend = fault.open_with_clock(&clock);
        let db = open_with_replay(backend.clone(), &clock, replay);
        db.create_table(table()).unwrap();
        db.update_continuous_backups(UpdateContinuousBackupsInput {
            table_name: "Src".into(),
            point_in_time_recovery_specification: Some(PointInTimeRecoverySpecification {
                point_in_time_recovery_enabled: Some(true),
                recovery_period_in_days: None,
            }),
        })
        .unwrap();
        for i in 0..CRASH_CASE_ITEMS {
            clock.advance_micros(1_000);
            let it = row(
                u64::from(i % 7),
                u64::from(i),
                u64::from(i * 3 % 1000),
                Some(u64::from(i % 5)),
                20,
            );
            model.insert(model_key(&it), it.clone());
            db.put_item(PutItemInput {
                table_name: "Src".into(),
                item: it,
                ..Default::default()
            })
            .unwrap();
        }
        t = clock.now_micros();
        clock.advance_secs(1);
        // Later writes must not show in the restore.
        for i in 0..50u32 {
            let it = row(0, u64::from(i), 1, None, 5);
            db.put_item(PutItemInput {
                table_name: "Src".into(),
                item: it,
                ..Default::default()
            })
            .unwrap();
        }
        restore(&db, "Copy", t, true);
        for _ in 0..steps {
            assert!(db.step_restores().unwrap(), "the restore is not done yet");
        }
        backend.sync().unwrap();
        drop(db);
        fault.fs.crash();
    }
    let backend = fault.open_with_clock(&clock);
    let db = open_with_replay(backend, &clock, replay);
    let d = db
        .describe_table(DescribeTableInput {
            table_name: "Copy".into(),
        })
        .unwrap()
        .table;
    assert_eq!(d.table_status, TableStatus::Creating);
    assert!(d.restore_summary.is_some_and(|s| s.restore_in_progress));
    db.wait_for_restores().unwrap();
    db.wait_for_indexes().unwrap();
    check_restored(&db, "Copy", &model, true, "after the crash");
}
