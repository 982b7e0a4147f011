//! A table's admission state survives a reopen: `Database::save_capacity` (the worker's
//! minute, the server's shutdown) saves its partitions, on-demand peaks and balances,
//! and the reopened database starts from them, the balances refilled over the time it
//! was closed. A deleted table's state goes with it.

mod support;

use std::sync::Arc;

use shale_engine::{Backend, MemBackend};
use shale_io::clock::ManualClock;
use shale_table::capacity::{BorrowUnused, CapacityOptions, FixedShare};
use shale_table::*;
use support::*;

const T0: u64 = 1_700_000_000_000_000;

fn open_on(backend: &Arc<dyn Backend>, clock: &ManualClock, capacity: CapacityOptions) -> Database {
    let opts = DatabaseOptions::default()
        .with_clock(Arc::new(clock.clone()))
        .with_background_index_worker(false)
        .with_capacity(capacity);
    Database::open(Arc::clone(backend), opts).expect("open database")
}

/// Buckets that start empty, so that what a reopened table holds can only be what was
/// saved.
fn empty() -> CapacityOptions {
    empty_buckets(Arc::new(FixedShare))
}

/// Small writes at one instant until the first throttle; returns how many were admitted.
fn burst(db: &Database, table: &str) -> u32 {
    for i in 0..100_000 {
        if put_small(db, table, &format!("k{i}")).is_err() {
            return i;
        }
    }
    panic!("no throttle in 100,000 writes")
}

fn write_balance(db: &Database, table: &str) -> f64 {
    db.capacity_view(table).unwrap().resources[0]
        .table_write_balance_units
        .unwrap()
}

#[test]
fn balances_survive_a_reopen_and_refill_over_the_time_closed() {
    let clock = ManualClock::new(T0);
    let backend: Arc<dyn Backend> = Arc::new(MemBackend::new());
    let db = open_on(&backend, &clock, empty());
    db.create_table(provisioned_table("Saved", 5, 5)).unwrap();
    clock.advance_secs(100); // 500 units of credit
    for i in 0..300 {
        put_small(&db, "Saved", &format!("spent{i}")).unwrap();
    }
    assert_eq!(write_balance(&db, "Saved"), 200.0);
    assert_eq!(db.save_capacity().unwrap(), 1);
    drop(db);

    // Reopened at once: the 200 saved units, not the empty start the options ask of a
    // new table.
    let db = open_on(&backend, &clock, empty());
    assert_eq!(write_balance(&db, "Saved"), 200.0);
    assert_eq!(burst(&db, "Saved"), 200);
    db.save_capacity().unwrap();
    drop(db);

    // Closed for 30 s: 150 units refilled on top of the debt-free zero it was saved at.
    clock.advance_secs(30);
    let db = open_on(&backend, &clock, empty());
    assert_eq!(write_balance(&db, "Saved"), 150.0);
    drop(db);

    // Never saved since: a table without a record starts as the options say.
    let other: Arc<dyn Backend> = Arc::new(MemBackend::new());
    let fresh = open_on(&other, &clock, empty());
    fresh
        .create_table(provisioned_table("Saved", 5, 5))
        .unwrap();
    assert_eq!(write_balance(&fresh, "Saved"), 0.0);
}

#[test]
fn a_split_survives_a_reopen_of_the_engine() {
    let clock = ManualClock::new(T0);
    let lsm = FaultLsm::new();
    let limits = || {
        CapacityOptions::default()
            .with_policy(Arc::new(BorrowUnused))
            .with_partition_limits(true)
    };
    let db = open_on(&lsm.open_with_clock(&clock), &clock, limits());
    db.create_table(provisioned_table("Hot", 5, 990)).unwrap();
    // A minute of a hot key at 700 WCU beside a warm one at 500: split for heat.
    for _ in 0..60 {
        for (key, n) in [("A", 700), ("B", 500)] {
            for _ in 0..n {
                let _ = put_small(&db, "Hot", key);
            }
        }
        clock.advance_secs(1);
    }
    assert!(!db.run_capacity_splits().is_empty());
    let starts = |db: &Database| -> Vec<(u64, Option<String>)> {
        db.capacity_view("Hot").unwrap().resources[0]
            .partitions
            .iter()
            .map(|p| (p.hash_start, p.key_start.clone()))
            .collect()
    };
    let split = starts(&db);
    assert!(split.len() > 1, "{split:?}");
    db.save_capacity().unwrap();
    db.backend().sync().unwrap();
    drop(db);

    let db = open_on(&lsm.open_with_clock(&clock), &clock, limits());
    assert_eq!(starts(&db), split);
}

#[test]
fn on_demand_peaks_survive_a_reopen() {
    let clock = ManualClock::new(T0);
    let backend: Arc<dyn Backend> = Arc::new(MemBackend::new());
    let db = open_on(&backend, &clock, empty());
    db.create_table(simple_table("Open", None)).unwrap();
    let peak = |db: &Database| {
        db.capacity_view("Open").unwrap().resources[0]
            .on_demand_write_peak_units
            .unwrap()
    };
    // A new table's previous peak is half its initial 4,000 WRU.
    assert_eq!(peak(&db), 2_000.0);
    // One second at 3,000 WRU becomes the peak 30 minutes later.
    for i in 0..3_000 {
        put_small(&db, "Open", &format!("k{i}")).unwrap();
    }
    clock.advance_secs(1);
    assert_eq!(peak(&db), 2_000.0);
    db.save_capacity().unwrap();
    drop(db);

    // Reopened before it is established: still pending, then established on time.
    clock.advance_secs(60);
    let db = open_on(&backend, &clock, empty());
    assert_eq!(peak(&db), 2_000.0);
    clock.advance_secs(30 * 60);
    assert_eq!(peak(&db), 3_000.0);
    db.save_capacity().unwrap();
    drop(db);

    let db = open_on(&backend, &clock, empty());
    assert_eq!(peak(&db), 3_000.0);
}

#[test]
fn a_deleted_tables_state_is_not_inherited_by_the_next_of_its_name() {
    let clock = ManualClock::new(T0);
    let backend: Arc<dyn Backend> = Arc::new(MemBackend::new());
    let db = open_on(&backend, &clock, empty());
    db.create_table(provisioned_table("Again", 5, 5)).unwrap();
    clock.advance_secs(100);
    db.save_capacity().unwrap();
    db.delete_table(DeleteTableInput {
        table_name: "Again".into(),
    })
    .unwrap();
    // The record goes with the table (the catalog's id 0, tag 'A', the table's name).
    let key = [&[0u8, 0, 0, 0][..], b"A", b"Again"].concat();
    assert_eq!(backend.get(&key, None).unwrap(), None, "record deleted");
    db.create_table(provisioned_table("Again", 5, 5)).unwrap();
    drop(db);
    let db = open_on(&backend, &clock, empty());
    // The new table was never saved: it starts empty, not with the old one's 500.
    assert_eq!(write_balance(&db, "Again"), 0.0);
}

/// Regression (this session's review): a record saved before the state was rebuilt for
/// a billing change was restored in the table's new mode, so a table switched to on
/// demand lost the rule that it starts from half its provisioned throughput.
#[test]
fn a_billing_switch_caught_by_the_save_is_carried_across_a_reopen() {
    let clock = ManualClock::new(T0);
    let backend: Arc<dyn Backend> = Arc::new(MemBackend::new());
    let db = open_on(&backend, &clock, empty());
    db.create_table(provisioned_table("Switched", 5, 20_000))
        .unwrap();
    switch_to_on_demand(&db, "Switched");
    // Saved before any request rebuilt the state: the record is the provisioned one.
    db.save_capacity().unwrap();
    drop(db);
    let db = open_on(&backend, &clock, empty());
    let peak = db.capacity_view("Switched").unwrap().resources[0].on_demand_write_peak_units;
    assert_eq!(
        peak,
        Some(10_000.0),
        "half of 20,000 WCU, not a new table's 2,000"
    );
}

/// A capacity record that does not decode is soft state: its table starts as a new one
/// does, and the database opens.
#[test]
fn an_undecodable_record_does_not_stop_the_database_opening() {
    let clock = ManualClock::new(T0);
    let backend: Arc<dyn Backend> = Arc::new(MemBackend::new());
    let db = open_on(&backend, &clock, empty());
    db.create_table(provisioned_table("Garbled", 5, 5)).unwrap();
    clock.advance_secs(100);
    db.save_capacity().unwrap();
    drop(db);
    // The record's key: the catalog's id 0, tag 'A', the table's name.
    let key = [&[0u8, 0, 0, 0][..], b"A", b"Garbled"].concat();
    assert!(
        backend.get(&key, None).unwrap().is_some(),
        "saved where expected"
    );
    backend.put(&key, b"not a record").unwrap();
    let db = open_on(&backend, &clock, empty());
    assert_eq!(write_balance(&db, "Garbled"), 0.0, "started as a new table");
}
