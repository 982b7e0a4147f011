//! Restore throughput and backup time on the LSM engine (issue 14's figures), printed as a
//! table: a table of `SHALE_PITR_BENCH_MB` MiB (default 1024) of ~1 KiB items is loaded,
//! PITR is turned on (the restore base), then a WAL tail of 10%, 50% and 100% of the
//! table's size is written as overwrites of random items, and after each tail the table
//! is restored to the latest time. Each restore is split into its two parts: building the
//! view of that time (link the base, replay the tail) and copying the items into the new
//! table through the write path. The backup figure is CreateBackup on the loaded table.
//!
//! Then a table with a GSI is restored from a backup and from its history, with the GSI's
//! entries rebuilt (from the items, through the write path) and replayed (the source's
//! entries loaded, its pending queue records queued again), alternately, two rounds:
//! issue 14 asks for both to be measured and the faster one used.
//!
//! Run: `SHALE_PITR_BENCH_MB=1024 cargo bench -p shale-table --bench pitr_and_backups`.

// criterion_group! is not used; the binary prints its own figures.
#![allow(missing_docs)]

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::sync::Arc;
use std::time::{Duration, Instant};

use shale_engine::{Backend, Db, DbOptions, Durability};
use shale_table::types::{AttributeValue, Item};
use shale_table::*;

const ITEM_PAD_BYTES: usize = 1000;
const BATCH_ITEMS: usize = 25;

fn item(i: u64, salt: u64) -> Item {
    [
        ("pk".to_string(), AttributeValue::S(format!("user{i:012}"))),
        (
            "pad".to_string(),
            AttributeValue::S(format!("{salt:016x}").repeat(ITEM_PAD_BYTES / 16)),
        ),
    ]
    .into_iter()
    .collect()
}

fn put_all(db: &Database, table: &str, keys: impl Iterator<Item = u64>, salt: u64) {
    let mut batch = Vec::with_capacity(BATCH_ITEMS);
    let flush = |batch: &mut Vec<WriteRequest>| {
        if batch.is_empty() {
            return;
        }
        let out = db
            .batch_write_item(BatchWriteItemInput {
                request_items: [(table.to_string(), std::mem::take(batch))].into(),
                ..Default::default()
            })
            .expect("batch write");
        assert!(out.unprocessed_items.is_empty());
    };
    let mut in_batch = std::collections::HashSet::new();
    for k in keys {
        // A batch may not name an item twice.
        if !in_batch.insert(k) {
            continue;
        }
        batch.push(WriteRequest {
            put_request: Some(PutRequest {
                item: item(k, salt),
            }),
            delete_request: None,
        });
        if batch.len() == BATCH_ITEMS {
            flush(&mut batch);
            in_batch.clear();
        }
    }
    flush(&mut batch);
}

fn mib(bytes: f64) -> f64 {
    bytes / (1024.0 * 1024.0)
}

fn main() {
    let table_mib: u64 = std::env::var("SHALE_PITR_BENCH_MB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1024);
    let items = table_mib * 1024 * 1024 / (ITEM_PAD_BYTES as u64 + 24);
    let dir = tempfile::tempdir().expect("temp dir");
    let backend = Arc::new(
        Db::open(DbOptions::new(dir.path()).with_durability(Durability::None)).expect("open"),
    );
    // On-demand scaling off: this measures restores, and an on-demand table throttles a
    // load this fast.
    let db = Database::open(backend.clone(), options(true)).expect("database");
    db.create_table(CreateTableInput {
        table_name: "Users".into(),
        attribute_definitions: vec![AttributeDefinition {
            attribute_name: "pk".into(),
            attribute_type: ScalarAttributeType::S,
        }],
        key_schema: vec![KeySchemaElement {
            attribute_name: "pk".into(),
            key_type: KeyType::Hash,
        }],
        billing_mode: Some(BillingMode::PayPerRequest),
        ..Default::default()
    })
    .expect("create");
    let t0 = Instant::now();
    put_all(&db, "Users", 0..items, 0);
    backend.flush().expect("flush");
    let load = t0.elapsed();
    let table_bytes = items as f64 * (ITEM_PAD_BYTES as f64 + 24.0);
    println!(
        "table: {items} items, {:.0} MiB, loaded in {:.1} s",
        mib(table_bytes),
        load.as_secs_f64()
    );

    // A backup of the loaded table: its memtable flush plus hard links.
    let t0 = Instant::now();
    let backup = db
        .create_backup(CreateBackupInput {
            table_name: "Users".into(),
            backup_name: "bench".into(),
        })
        .expect("backup");
    let backup_time = t0.elapsed();
    println!(
        "CreateBackup: {:.1} ms ({})",
        backup_time.as_secs_f64() * 1e3,
        backup.backup_details.backup_arn
    );

    db.update_continuous_backups(UpdateContinuousBackupsInput {
        table_name: "Users".into(),
        point_in_time_recovery_specification: Some(PointInTimeRecoverySpecification {
            point_in_time_recovery_enabled: Some(true),
            recovery_period_in_days: None,
        }),
    })
    .expect("pitr on");
    println!();
    println!(
        "WAL tail   view build s   copy s   restore s   restore MiB/s (table size / restore time)"
    );
    let mut written = 0u64;
    for (salt, tail_pct) in (1u64..).zip([10u64, 50, 100]) {
        // Bring the tail since the base up to tail_pct% of the table.
        let want = items * tail_pct / 100;
        let mut x = 0x9E37_79B9_7F4A_7C15u64.wrapping_mul(salt);
        put_all(
            &db,
            "Users",
            (written..want).map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x % items
            }),
            salt,
        );
        written = want;
        settle(&backend);
        let now = db
            .describe_continuous_backups(DescribeContinuousBackupsInput {
                table_name: "Users".into(),
            })
            .expect("describe")
            .continuous_backups_description
            .point_in_time_recovery_description
            .latest_restorable_date_time
            .expect("latest");
        // The view alone: link the base, replay the tail.
        let t0 = Instant::now();
        let view = backend
            .view_at((now * 1e6) as u64, shale_engine::KeyRanges::full())
            .expect("view of the latest time");
        let view_time = t0.elapsed();
        drop(view);
        let target = format!("Restored{tail_pct}");
        let t0 = Instant::now();
        db.restore_table_to_point_in_time(RestoreTableToPointInTimeInput {
            source_table_name: Some("Users".into()),
            target_table_name: target.clone(),
            use_latest_restorable_time: Some(true),
            ..Default::default()
        })
        .expect("restore");
        wait_active(&db, &target);
        let restore = t0.elapsed();
        let ingests = backend.stats().ingests;
        let copy = restore.saturating_sub(view_time);
        println!(
            "{tail_pct:>7}%   {:>12.2}   {:>6.2}   {:>9.2}   {:>8.0}   ({ingests} direct loads so far)",
            view_time.as_secs_f64(),
            copy.as_secs_f64(),
            restore.as_secs_f64(),
            mib(table_bytes) / restore.as_secs_f64()
        );
        // Restored tables stay: dropping one would put its deletion in the worker's way
        // while the next restore runs.
    }

    // A restore from the backup: a checkpoint's view (hard links, no replay) and the copy.
    write_back();
    let t0 = Instant::now();
    db.restore_table_from_backup(RestoreTableFromBackupInput {
        target_table_name: "FromBackup".into(),
        backup_arn: backup.backup_details.backup_arn.clone(),
        ..Default::default()
    })
    .expect("restore from backup");
    wait_active(&db, "FromBackup");
    let restore = t0.elapsed();
    println!(
        "from the backup: restore {:.2} s, {:.0} MiB/s",
        restore.as_secs_f64(),
        mib(table_bytes) / restore.as_secs_f64()
    );
    indexed_restores(db, &backend);
}

/// The bench's database options: replay on or off. On-demand scaling off: this measures
/// restores, and an on-demand table throttles a load this fast.
fn options(replay: bool) -> DatabaseOptions {
    DatabaseOptions::default()
        .with_capacity(
            shale_table::capacity::CapacityOptions::default().with_on_demand_scaling(false),
        )
        .with_restore_index_replay(replay)
}

/// A table with a GSI, with PITR on from its creation and backed up once loaded, restored
/// with its GSI from the backup and from the latest restorable time, its entries rebuilt
/// and replayed in turn (the database is reopened with the other method between
/// restores), and once without the GSI (bulk loaded): what indexes cost a restore, each
/// way. Each is timed to ACTIVE and to its GSI drained. Its size is
/// `SHALE_PITR_BENCH_INDEXED_MB` (default 256).
fn indexed_restores(mut db: Database, backend: &Arc<Db>) {
    let table_mib: u64 = std::env::var("SHALE_PITR_BENCH_INDEXED_MB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256);
    let items = table_mib * 1024 * 1024 / (ITEM_PAD_BYTES as u64 + 24);
    let attr = |name: &str| AttributeDefinition {
        attribute_name: name.into(),
        attribute_type: ScalarAttributeType::S,
    };
    let hash = |name: &str| KeySchemaElement {
        attribute_name: name.into(),
        key_type: KeyType::Hash,
    };
    db.create_table(CreateTableInput {
        table_name: "Indexed".into(),
        attribute_definitions: vec![attr("pk"), attr("g")],
        key_schema: vec![hash("pk")],
        global_secondary_indexes: Some(vec![GlobalSecondaryIndex {
            index_name: "ByG".into(),
            key_schema: vec![hash("g")],
            projection: Projection {
                projection_type: Some(ProjectionType::KeysOnly),
                non_key_attributes: None,
            },
            provisioned_throughput: None,
            on_demand_throughput: None,
            warm_throughput: None,
        }]),
        billing_mode: Some(BillingMode::PayPerRequest),
        ..Default::default()
    })
    .expect("create");
    db.update_continuous_backups(UpdateContinuousBackupsInput {
        table_name: "Indexed".into(),
        point_in_time_recovery_specification: Some(PointInTimeRecoverySpecification {
            point_in_time_recovery_enabled: Some(true),
            recovery_period_in_days: None,
        }),
    })
    .expect("pitr");
    let mut batch = Vec::with_capacity(BATCH_ITEMS);
    for i in 0..items {
        let mut it = item(i, 7);
        it.insert("g".into(), AttributeValue::S(format!("g{}", i % 1000)));
        batch.push(WriteRequest {
            put_request: Some(PutRequest { item: it }),
            delete_request: None,
        });
        if batch.len() == BATCH_ITEMS || i + 1 == items {
            db.batch_write_item(BatchWriteItemInput {
                request_items: [("Indexed".to_string(), std::mem::take(&mut batch))].into(),
                ..Default::default()
            })
            .expect("batch write");
        }
    }
    db.wait_for_indexes().expect("index");
    settle(backend);
    let backup = db
        .create_backup(CreateBackupInput {
            table_name: "Indexed".into(),
            backup_name: "indexed".into(),
        })
        .expect("backup");
    let bytes = items as f64 * (ITEM_PAD_BYTES as f64 + 24.0);
    let restore = |db: &Database, target: &str, from_backup: bool, keep_gsi: bool| {
        let mut overrides = RestoreOverrides::default();
        if !keep_gsi {
            overrides.global_secondary_index_override = Some(Vec::new());
        }
        quiesce(backend);
        let before = backend.stats();
        let t0 = Instant::now();
        if from_backup {
            db.restore_table_from_backup(RestoreTableFromBackupInput {
                target_table_name: target.into(),
                backup_arn: backup.backup_details.backup_arn.clone(),
                overrides,
            })
            .expect("restore");
        } else {
            db.restore_table_to_point_in_time(RestoreTableToPointInTimeInput {
                source_table_name: Some("Indexed".into()),
                target_table_name: target.into(),
                use_latest_restorable_time: Some(true),
                overrides,
                ..Default::default()
            })
            .expect("restore");
        }
        db.wait_for_restores().expect("restore");
        let active = t0.elapsed();
        db.wait_for_indexes().expect("index");
        let all = t0.elapsed();
        let after = backend.stats();
        let engine = format!(
            "{} direct loads, write stalls {:.2} s, {:.0} MiB compacted, {:.0} MiB flushed",
            after.ingests - before.ingests,
            (after.stall_micros - before.stall_micros) as f64 / 1e6,
            mib((after.compaction_bytes - before.compaction_bytes) as f64),
            mib((after.flush_bytes - before.flush_bytes) as f64),
        );
        (all, active, engine)
    };
    let report = |what: &str, (all, active, engine): (Duration, Duration, String)| {
        println!(
            "{:.0} MiB table with a GSI, {what}: {:.2} s ({:.2} s to ACTIVE), {:.0} MiB/s; {engine}",
            mib(bytes),
            all.as_secs_f64(),
            active.as_secs_f64(),
            mib(bytes) / all.as_secs_f64()
        );
    };
    for round in 0..2 {
        for replay in [false, true] {
            // One database at a time on the backend: the method is a database option. No
            // background worker: restores and GSI work run in the foreground, so nothing
            // else it does competes with them (its pass over every table at open cost a
            // rebuild 5× when it ran beside it).
            drop(db);
            let opts = options(replay).with_background_index_worker(false);
            db = Database::open(backend.clone(), opts).expect("database");
            let method = if replay { "replayed" } else { "rebuilt" };
            for from_backup in [true, false] {
                let source = if from_backup { "backup" } else { "history" };
                let target = format!("Indexed{round}{method}{source}");
                let took = restore(&db, &target, from_backup, true);
                report(&format!("from its {source}, GSI {method}"), took);
            }
        }
    }
    let took = restore(&db, "IndexedWithoutGsi", true, false);
    report("from its backup without the GSI (bulk load)", took);
}

/// Lets the live database's flushes and compactions finish and its pages reach the disk,
/// so they do not take the cores or the disk from the restore measured next.
fn settle(backend: &Db) {
    backend.flush().expect("flush");
    backend.compact_range(None, None).expect("settle");
    write_back();
}

/// Flushes, waits (at most two minutes) until the background compactions the earlier
/// restores left have stopped (no compaction bytes written for a second), and writes the
/// dirty pages back: a rebuild's write-path load keeps compacting after it is done, and
/// without this the next restore measured shared the cores with it (runs varied 5×).
fn quiesce(backend: &Db) {
    backend.flush().expect("flush");
    let mut last = backend.stats().compaction_bytes;
    let mut quiet = 0;
    for _ in 0..240 {
        std::thread::sleep(Duration::from_millis(500));
        let now = backend.stats().compaction_bytes;
        quiet = if now == last { quiet + 1 } else { 0 };
        last = now;
        if quiet == 2 {
            break;
        }
    }
    write_back();
}

/// Writes every dirty page of the machine back (`sync(1)`), so that the write-back of what
/// earlier phases wrote does not compete with the restore measured next for the disk
/// (runs varied by a factor of two without it).
fn write_back() {
    let _ = std::process::Command::new("sync").status();
}

/// Polls DescribeTable until `table` is ACTIVE (at most an hour).
fn wait_active(db: &Database, table: &str) {
    let mut waited = Duration::ZERO;
    loop {
        let status = db
            .describe_table(DescribeTableInput {
                table_name: table.to_string(),
            })
            .expect("describe")
            .table
            .table_status;
        if status == TableStatus::Active || waited > Duration::from_secs(3600) {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
        waited += Duration::from_millis(20);
    }
}
