//! Restore throughput and backup time on the LSM engine (issue 14's figures), printed as a
//! table: a table of `SHALE_PITR_BENCH_MB` MiB (default 1024) of ~1 KiB items is loaded,
//! PITR is turned on (the restore base), then a WAL tail of 10%, 50% and 100% of the
//! table's size is written as overwrites of random items, and after each tail the table
//! is restored to the latest time. Each restore is split into its two parts: building the
//! view of that time (link the base, replay the tail) and copying the items into the new
//! table through the write path. The backup figure is CreateBackup on the loaded table.
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
    let opts = DatabaseOptions::default().with_capacity(
        shale_table::capacity::CapacityOptions::default().with_on_demand_scaling(false),
    );
    let db = Database::open(backend.clone(), opts).expect("database");
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
    indexed_restores(&db, &backend);
}

/// A table with a GSI, backed up, restored with its GSI (items through the write path,
/// the GSI rebuilt from them) and without (bulk loaded): what indexes cost a restore.
/// Its size is `SHALE_PITR_BENCH_INDEXED_MB` (default 256).
fn indexed_restores(db: &Database, backend: &Db) {
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
        }]),
        billing_mode: Some(BillingMode::PayPerRequest),
        ..Default::default()
    })
    .expect("create");
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
    for (target, keep_gsi) in [("IndexedWithGsi", true), ("IndexedWithoutGsi", false)] {
        let mut overrides = RestoreOverrides::default();
        if !keep_gsi {
            overrides.global_secondary_index_override = Some(Vec::new());
        }
        let t0 = Instant::now();
        db.restore_table_from_backup(RestoreTableFromBackupInput {
            target_table_name: target.into(),
            backup_arn: backup.backup_details.backup_arn.clone(),
            overrides,
        })
        .expect("restore");
        wait_active(db, target);
        let active = t0.elapsed();
        db.wait_for_indexes().expect("index");
        let restore = t0.elapsed();
        println!(
            "{:.0} MiB table with a GSI, restored {}: {:.2} s ({:.2} s to ACTIVE), {:.0} MiB/s",
            mib(bytes),
            if keep_gsi {
                "with it (write path, GSI rebuilt)"
            } else {
                "without it (bulk load)"
            },
            restore.as_secs_f64(),
            active.as_secs_f64(),
            mib(bytes) / restore.as_secs_f64()
        );
    }
}

/// Lets the live database's flushes and compactions finish and its pages reach the disk,
/// so they do not take the cores or the disk from the restore measured next.
fn settle(backend: &Db) {
    backend.flush().expect("flush");
    backend.compact_range(None, None).expect("settle");
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
