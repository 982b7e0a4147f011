//! Power cuts during transactions, on the fault-injecting file system: after recovery
//! every transaction, with its LSI entries and its GSI maintenance (its queued records
//! are in the same batch), is entirely present or entirely absent.
//!
//! The LSM runs with `Durability::None`, so a power cut keeps an arbitrary prefix of
//! the unsynced WAL, its last write possibly torn inside a transaction's batch
//! (`FaultFs::crash_torn`). Some transactions are followed by an explicit sync: those
//! must survive. Each seed picks the crash point and the syncs.

mod support;

use shale_engine::Durability;
use shale_table::types::{AttributeValue, Item};
use shale_table::*;
use support::*;

const THREAD: &str = "Thread";
const ACC: &str = "Acc";
const SEEDS: u64 = 12;
const TRANSACTIONS_MAX: u64 = 60;

/// "Thread" (pk, sk) with LSI ByPosted (posted) and GSI ByTag (tag), both ALL.
fn indexed_table() -> CreateTableInput {
    let mut t = lsi_table(ProjectionType::All);
    t.attribute_definitions
        .push(def("tag", ScalarAttributeType::S));
    t.global_secondary_indexes = Some(vec![GlobalSecondaryIndex {
        index_name: "ByTag".into(),
        key_schema: vec![hash("tag")],
        projection: Projection {
            projection_type: Some(ProjectionType::All),
            non_key_attributes: None,
        },
        provisioned_throughput: None,
        on_demand_throughput: None,
        warm_throughput: None,
    }]);
    t
}

fn post(pk: &str, i: u64) -> Item {
    item(&[
        ("pk", s(pk)),
        ("sk", s(&format!("s{i:04}"))),
        ("posted", n(&i.to_string())),
        ("tag", s(&format!("t{}", i % 3))),
        ("txn", n(&i.to_string())),
        // Enough bytes that memtables fill and flush during the run.
        ("body", s(&"b".repeat(300))),
    ])
}

fn counter_key() -> Item {
    item(&[("pk", s("counter"))])
}

/// Transaction `i`: two posts in two partitions, an account item, and the counter.
fn transaction(i: u64) -> Vec<TransactWriteItem> {
    vec![
        tx_put(THREAD, post(&format!("p{}", i % 4), i)),
        tx_put(THREAD, post(&format!("q{}", i % 5), i)),
        tx_put(
            ACC,
            item(&[("pk", s(&format!("a{i:04}"))), ("txn", n(&i.to_string()))]),
        ),
        tx_update(
            ACC,
            counter_key(),
            "SET done = if_not_exists(done, :zero) + :one",
            None,
            &[(":zero", n("0")), (":one", n("1"))],
        ),
    ]
}

fn txn_of(i: &Item) -> u64 {
    match &i["txn"] {
        AttributeValue::N(v) => v.to_string().parse().unwrap(),
        other => panic!("{other:?}"),
    }
}

/// The transactions each item of `items` belongs to, counted.
fn counts(items: &[Item]) -> std::collections::BTreeMap<u64, usize> {
    let mut out = std::collections::BTreeMap::new();
    for i in items {
        *out.entry(txn_of(i)).or_default() += 1;
    }
    out
}

struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        (z ^ (z >> 31)) % n
    }
}

#[test]
fn each_transaction_and_its_index_entries_survive_a_power_cut_whole_or_not_at_all() {
    for seed in 0..SEEDS {
        let mut rng = Rng(seed);
        let fault = FaultLsm::new();
        let db = Database::open(fault.open_with_durability(Durability::None), options()).unwrap();
        db.create_table(indexed_table()).unwrap();
        db.create_table(simple_table(ACC, None)).unwrap();
        db.backend().sync().unwrap();
        let run = 1 + rng.below(TRANSACTIONS_MAX);
        let mut durable = 0;
        for i in 0..run {
            transact(&db, transaction(i)).unwrap();
            if rng.below(8) == 0 {
                db.backend().sync().unwrap();
                durable = i + 1;
            }
        }
        fault.fs.crash_torn(seed);
        drop(db);
        let db = Database::open(fault.open_with_durability(Durability::None), options()).unwrap();
        db.wait_for_indexes().unwrap();

        let accounts: Vec<Item> = scan_all(&db, ACC, None)
            .into_iter()
            .filter(|i| i.contains_key("txn"))
            .collect();
        let present = accounts.len() as u64;
        // A prefix of the transactions, including every synced one.
        assert!(present >= durable && present <= run, "seed {seed}");
        // (Scan order is the partition key's hash order.)
        let mut ids: Vec<u64> = accounts.iter().map(txn_of).collect();
        ids.sort_unstable();
        assert_eq!(ids, (0..present).collect::<Vec<_>>(), "seed {seed}");
        // The counter counts exactly the transactions present.
        let counter = scan_all(&db, ACC, None)
            .into_iter()
            .find(|i| i["pk"] == s("counter"));
        let done = counter.map_or(0, |c| match &c["done"] {
            AttributeValue::N(v) => v.to_string().parse::<u64>().unwrap(),
            other => panic!("{other:?}"),
        });
        assert_eq!(done, present, "seed {seed}");
        // Both posts of each present transaction, in the table and in each index;
        // nothing of an absent one.
        let expected: std::collections::BTreeMap<u64, usize> =
            (0..present).map(|i| (i, 2)).collect();
        for index in [None, Some("ByPosted"), Some("ByTag")] {
            let got = counts(&scan_all(&db, THREAD, index));
            assert_eq!(got, expected, "seed {seed}, index {index:?}");
        }
        eprintln!("seed {seed}: ran {run}, synced {durable}, recovered {present}");
    }
}
