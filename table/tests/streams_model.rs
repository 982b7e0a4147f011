//! A model-based test of streams: random puts, updates, deletes, transactions (some
//! cancelled), TTL expiries, clock jumps (shards roll over), power cuts and failed
//! syncs, on the LSM over the fault-injecting file system with `Durability::Sync`, and
//! on the in-memory backend. Read back from TRIM_HORIZON across every shard, the stream
//! must equal the model's change log: the same items, events and images, in commit
//! order, none missing, none extra.
//!
//! A write whose sync failed was never acknowledged: the engine is poisoned and
//! reopened, and the write may or may not have reached the disk. Either way the stream
//! must agree with the table: the write's records are there exactly when its items are.
//! Each seed replays exactly (`SHALE_STREAMS_MODEL_SEEDS` runs more seeds).

mod support;

use std::collections::BTreeMap;
use std::sync::Arc;

use shale_engine::{Backend, Db, Durability, MemBackend};
use shale_io::clock::ManualClock;
use shale_io::rng::SplitMix64;
use shale_table::types::{AttributeValue, Item};
use shale_table::*;
use support::{
    describe_stream, enable_stream, item, lsm_options, n, options, read_stream, s, scan_all,
    simple_table, transact, tx_check, tx_delete, tx_put, vals,
};

const T: &str = "Model";
const KEYS: u64 = 6;
const OPS: u64 = 70;
const DEFAULT_SEEDS: u64 = 12;
const MAX_RUN_SECS: u64 = 20 * 3600;

/// One expected record: event, key, old image, new image (NEW_AND_OLD_IMAGES), by TTL.
type Expected = (OperationType, String, Option<Item>, Option<Item>, bool);

struct Harness {
    clock: ManualClock,
    fault: Option<shale_io::FaultFs>,
    db: Option<Database>,
    arn: String,
    /// What the table holds, by key.
    state: BTreeMap<String, Item>,
    /// The change log the stream must equal.
    log: Vec<Expected>,
    /// Seconds the clock has moved.
    elapsed_secs: u64,
    /// Most shards the stream had at a check.
    shards_seen: std::cell::Cell<usize>,
}

fn options_for(clock: &ManualClock) -> DatabaseOptions {
    options().with_clock(Arc::new(clock.clone()))
}

impl Harness {
    fn new(lsm: bool) -> Harness {
        let clock = ManualClock::new(1_700_000_000_000_000);
        let fault = lsm.then(shale_io::FaultFs::new);
        let mut h = Harness {
            clock,
            fault,
            db: None,
            arn: String::new(),
            state: BTreeMap::new(),
            log: Vec::new(),
            elapsed_secs: 0,
            shards_seen: std::cell::Cell::new(0),
        };
        let db = h.open();
        db.create_table(simple_table(T, None)).unwrap();
        db.update_time_to_live(UpdateTimeToLiveInput {
            table_name: T.into(),
            time_to_live_specification: TimeToLiveSpecification {
                enabled: true,
                attribute_name: "exp".into(),
            },
        })
        .unwrap();
        h.arn = enable_stream(&db, T, StreamViewType::NewAndOldImages);
        h.db = Some(db);
        h
    }

    fn open(&self) -> Database {
        let backend: Arc<dyn Backend> = match &self.fault {
            Some(fs) => {
                let fs: Arc<dyn shale_io::FileSystem> = Arc::new(fs.clone());
                Arc::new(
                    Db::open(
                        lsm_options(std::path::Path::new("/db"), fs)
                            .with_clock(Arc::new(self.clock.clone()))
                            .with_durability(Durability::Sync),
                    )
                    .expect("reopen lsm"),
                )
            }
            None => Arc::new(MemBackend::with_clock(Arc::new(self.clock.clone()))),
        };
        Database::open(backend, options_for(&self.clock)).expect("open database")
    }

    fn db(&self) -> &Database {
        self.db.as_ref().expect("open")
    }

    /// Records the change of `key` to `new` (None: deleted) in the model.
    fn change(&mut self, key: &str, new: Option<Item>, by_ttl: bool) {
        let old = self.state.get(key).cloned();
        let event = match (&old, &new) {
            (None, None) => return,
            (Some(o), Some(n)) if o == n => return,
            (None, Some(_)) => OperationType::Insert,
            (Some(_), Some(_)) => OperationType::Modify,
            (Some(_), None) => OperationType::Remove,
        };
        self.log
            .push((event, key.to_owned(), old, new.clone(), by_ttl));
        match new {
            Some(n) => self.state.insert(key.to_owned(), n),
            None => self.state.remove(key),
        };
    }

    fn power_cut(&mut self) {
        let Some(fs) = &self.fault else { return };
        fs.crash();
        fs.clear_faults();
        self.db = None;
        self.db = Some(self.open());
    }

    /// A put whose sync fails: unacknowledged. After the reopen the table shows whether
    /// it reached the disk, and the model follows the table.
    fn failed_put(&mut self, key: &str, value: Item) {
        let Some(fs) = &self.fault else { return };
        fs.fail_nth_sync(1);
        let r = self.db().put_item(PutItemInput {
            table_name: T.into(),
            item: value.clone(),
            ..Default::default()
        });
        fs.clear_faults();
        assert!(r.is_err(), "the failed sync fails the write");
        self.power_cut();
        let now = get(self.db(), key);
        if now.as_ref() == Some(&value) && self.state.get(key) != Some(&value) {
            self.change(key, Some(value), false);
        }
    }

    fn check(&self, context: &str) {
        let records = read_stream(self.db(), &self.arn, 7);
        self.shards_seen.set(
            self.shards_seen
                .get()
                .max(describe_stream(self.db(), &self.arn).shards.len()),
        );
        let got: Vec<Expected> = records
            .iter()
            .map(|r| {
                let AttributeValue::S(k) = &r.dynamodb.keys["pk"] else {
                    panic!("key")
                };
                (
                    r.event_name,
                    k.clone(),
                    r.dynamodb.old_image.clone(),
                    r.dynamodb.new_image.clone(),
                    r.user_identity.is_some(),
                )
            })
            .collect();
        assert_eq!(got.len(), self.log.len(), "{context}: record count");
        for (i, (g, w)) in got.iter().zip(&self.log).enumerate() {
            assert_eq!(g, w, "{context}: record {i}");
        }
        let seqs: Vec<&String> = records
            .iter()
            .map(|r| &r.dynamodb.sequence_number)
            .collect();
        assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{context}: order");
        let table: BTreeMap<String, Item> = scan_all(self.db(), T, None)
            .into_iter()
            .map(|i| (format!("{:?}", i["pk"]), i))
            .collect();
        let want: BTreeMap<String, Item> = self
            .state
            .values()
            .map(|i| (format!("{:?}", i["pk"]), i.clone()))
            .collect();
        assert_eq!(table, want, "{context}: table");
    }
}

fn get(db: &Database, key: &str) -> Option<Item> {
    db.get_item(GetItemInput {
        table_name: T.into(),
        key: item(&[("pk", s(key))]),
        consistent_read: Some(true),
        ..Default::default()
    })
    .unwrap()
    .item
}

fn value(key: &str, v: u64) -> Item {
    item(&[("pk", s(key)), ("v", n(&v.to_string()))])
}

/// Runs one seed; returns the most shards the stream had.
fn run(seed: u64, lsm: bool) -> usize {
    let mut rng = SplitMix64::new(seed);
    let mut h = Harness::new(lsm);
    for op in 0..OPS {
        let k = format!("k{}", rng.below(KEYS));
        let v = rng.below(4);
        let context = format!("seed {seed}, lsm {lsm}, op {op}");
        match rng.below(100) {
            0..=29 => {
                h.db()
                    .put_item(PutItemInput {
                        table_name: T.into(),
                        item: value(&k, v),
                        ..Default::default()
                    })
                    .unwrap();
                h.change(&k, Some(value(&k, v)), false);
            }
            30..=44 => {
                let r = h.db().update_item(UpdateItemInput {
                    table_name: T.into(),
                    key: item(&[("pk", s(&k))]),
                    update_expression: Some("SET v = :v".into()),
                    condition_expression: Some("attribute_exists(pk)".into()),
                    expression_attribute_values: vals(&[(":v", n(&v.to_string()))]),
                    ..Default::default()
                });
                if r.is_ok() {
                    h.change(&k, Some(value(&k, v)), false);
                } else {
                    assert!(!h.state.contains_key(&k), "{context}");
                }
            }
            45..=59 => {
                h.db()
                    .delete_item(DeleteItemInput {
                        table_name: T.into(),
                        key: item(&[("pk", s(&k))]),
                        ..Default::default()
                    })
                    .unwrap();
                h.change(&k, None, false);
            }
            60..=71 => {
                // Two distinct items; cancelled when `v` says the second must exist and
                // it does not.
                let k2 = format!(
                    "k{}",
                    (rng.below(KEYS - 1) + 1 + k[1..].parse::<u64>().unwrap()) % KEYS
                );
                let guarded = v == 0;
                let actions = vec![
                    tx_put(T, value(&k, v + 10)),
                    if guarded {
                        tx_check(T, item(&[("pk", s(&k2))]), "attribute_exists(pk)", &[])
                    } else {
                        tx_delete(T, item(&[("pk", s(&k2))]))
                    },
                ];
                let r = transact(h.db(), actions);
                if guarded && !h.state.contains_key(&k2) {
                    assert!(r.is_err(), "{context}");
                } else {
                    r.unwrap();
                    h.change(&k, Some(value(&k, v + 10)), false);
                    if !guarded {
                        h.change(&k2, None, false);
                    }
                }
            }
            72..=79 => {
                let mut expiring = value(&k, v);
                expiring.insert("exp".into(), n("1600000000"));
                h.db()
                    .put_item(PutItemInput {
                        table_name: T.into(),
                        item: expiring.clone(),
                        ..Default::default()
                    })
                    .unwrap();
                h.change(&k, Some(expiring), false);
                assert_eq!(h.db().sweep_expired_items().unwrap(), 1, "{context}");
                h.change(&k, None, true);
            }
            // Up to 90 minutes at a time, 20 hours in all: shards roll over, and no
            // record reaches the 24 hours after which it would be trimmed.
            80..=87 => {
                let secs = rng
                    .below(90 * 60)
                    .min(MAX_RUN_SECS.saturating_sub(h.elapsed_secs));
                h.elapsed_secs += secs;
                h.clock.advance_secs(secs);
            }
            88..=93 => h.power_cut(),
            _ => h.failed_put(&k, value(&k, v + 100)),
        }
        if op % 10 == 9 {
            h.check(&context);
        }
    }
    h.check(&format!("seed {seed}, lsm {lsm}, end"));
    h.shards_seen.get()
}

#[test]
fn the_stream_is_the_models_change_log_through_crashes_and_failed_syncs() {
    let seeds = std::env::var("SHALE_STREAMS_MODEL_SEEDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(DEFAULT_SEEDS);
    let most_shards = (0..seeds).map(|seed| run(seed, true)).max().unwrap_or(0);
    assert!(most_shards >= 2, "some seed rolls a shard over");
}

#[test]
fn the_stream_is_the_models_change_log_in_memory() {
    let most_shards = (0..DEFAULT_SEEDS)
        .map(|seed| run(seed, false))
        .max()
        .unwrap_or(0);
    assert!(most_shards >= 2, "some seed rolls a shard over");
}
