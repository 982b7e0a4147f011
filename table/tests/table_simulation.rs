//! The deterministic simulation: Shale's crash-testing backbone, in TigerBeetle's and
//! FoundationDB's spirit (issue 16).
//!
//! One seed fixes everything: which logical client acts next, what it does, which fault
//! is injected where, and how a torn crash tears. Eight logical clients issue puts,
//! conditional puts, updates, deletes, batches, transactions, reads, GSI queries, TTL
//! sweeps, flushes, compactions, backups and restores against the table layer on the LSM engine, over the
//! fault-injecting file system (`FaultFs`), with the clock advanced by the simulation.
//! Clients are interleaved by the seeded scheduler on one thread, so that a seed replays
//! the same I/O exactly: each client works mostly on its own keys and sometimes on the
//! others', which is where conditions and transactions collide. (Real thread-level
//! concurrency is covered by the concurrency tests, which are not replayable.) The LSM's
//! own background threads only ever run a flush the simulation asked for and waits on,
//! and the WAL prepares no spares, so no I/O happens behind the simulation's back.
//!
//! Faults, each at a seeded point: a power cut (every file back to its synced state), a
//! torn power cut (a random prefix of the unsynced writes survives, the last one cut),
//! a failed fsync, a failed write, a full disk, a flipped bit in an SSTable or the
//! manifest, and slow syncs. After every crash the database is recovered and every key
//! is checked against the model: every acknowledged write is there, a write that failed
//! is either entirely there or entirely absent (a transaction or batch included), the
//! table scan and every GSI partition agree, and the table's stream (NEW_AND_OLD_IMAGES,
//! on since creation) replays to exactly the model.
//!
//! The table has point-in-time recovery on from its creation, and the model keeps its
//! history: the state at the start of every step. Clients restore it to a recorded time,
//! take backups and restore from them; the restores run a step at a time between the
//! other operations, so crashes and faults land inside them too, and a restore found at
//! recovery runs to its end. Each restored table must then hold exactly its state (every
//! key, the scan and every GSI partition) before it is deleted. A restore whose request
//! failed was recorded whole or not at all. A flipped bit must be detected (a typed
//! error at open or on read), never returned as data. (Bit flips in the WAL are the
//! WAL's own tests' subject: a flip in its very last record is indistinguishable from a
//! torn write and is cut, by design.)
//!
//! Every restart is one crash point. `SHALE_SIM_CRASH_POINTS` (default 1,000) sets how
//! many a run reaches; CI runs 10,000 and prints the summary line, which the test also
//! writes to `target/tmp/simulation-summary.txt`. `SHALE_SIM_SEED=<n>` replays one seed,
//! and `SHALE_SIM_FIRST_SEED=<n>` starts a long run elsewhere; `SHALE_SIM_TRACE=<file>`
//! and `SHALE_SIM_STEP_TRACE=<file>` write what each seed and each step did, to compare
//! two runs; a failure names its seed, step and the replay command.

mod support;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use shale_engine::lsm::{verify_dir, Db, DbOptions};
use shale_engine::Backend;
use shale_io::clock::{Clock, ManualClock};
use shale_io::rng::SplitMix64;
use shale_io::{FaultFs, FileSystem};
use shale_table::types::{AttributeValue, Item};
use shale_table::*;

const TABLE: &str = "Sim";
const GSI: &str = "ByGroup";
/// Keys `k00`.. `k47`; client `c` prefers `k(6c)`..`k(6c+5)`.
const KEYS: u64 = 48;
const CLIENTS: u64 = 8;
const KEYS_PER_CLIENT: u64 = KEYS / CLIENTS;
/// GSI partitions `g0`..`g3`.
const GROUPS: u64 = 4;
/// Steps per seed; a seed also ends early when a flipped bit is detected.
const STEPS_PER_SEED: u64 = 400;
/// A fault armed to fire later (a failed sync or write, a full disk) is given this many
/// operations; if it has not fired by then, the simulation crashes anyway.
const ARMED_FAULT_OPS: u64 = 8;
/// The default crash points a run reaches, and the most seeds it tries to reach them.
const DEFAULT_CRASH_POINTS: u64 = 1_000;
const MAX_SEEDS: u64 = 100_000;
/// Operations a client picks from (see `Sim::operation`).
const OPERATIONS: u64 = 108;
/// A point-in-time restore asks for a recorded time plus this much: after every write at
/// that time, before the next step's (steps are at least 1 ms apart).
const RESTORE_AFTER_MICROS: u64 = 500;
/// Backups a seed takes at most (each copies the database's tables).
const MAX_BACKUPS: usize = 4;
/// Simulated start time: 2023-11-14, in µs.
const START_MICROS: u64 = 1_700_000_000_000_000;

/// One item as the model knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Val {
    n: i64,
    g: u64,
    /// TTL, epoch seconds: long past (the sweep deletes it) or absent.
    expired: bool,
}

type State = BTreeMap<u64, Option<Val>>;

/// A write whose outcome is unknown (it returned an error): after recovery each of its
/// keys holds `after`, or each holds what it held before; all keys alike when `atomic`
/// (one write: an item, a batch, a transaction), key by key otherwise (a TTL sweep, whose
/// deletions are separate writes).
#[derive(Debug, Clone)]
struct Uncertain {
    after: State,
    atomic: bool,
}

/// What a run did, for the closing line.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct Totals {
    seeds: u64,
    steps: u64,
    crash_points: u64,
    torn: u64,
    failed_syncs: u64,
    failed_writes: u64,
    disk_full: u64,
    bit_flips_detected: u64,
    bit_flips_harmless: u64,
    /// Detected flips that only the verify check found: nothing read them.
    bit_flips_found_by_verify: u64,
    uncertain_applied: u64,
    uncertain_absent: u64,
    stream_records_replayed: u64,
    /// Restored tables checked item by item: to a point in time, and from a backup.
    pitr_restores_checked: u64,
    backup_restores_checked: u64,
}

fn key_name(k: u64) -> String {
    format!("k{k:02}")
}

fn key_json(k: u64) -> Value {
    json!({"pk": {"S": key_name(k)}})
}

fn item_json(k: u64, v: Val, now_secs: u64) -> Value {
    let mut item = json!({
        "pk": {"S": key_name(k)},
        "n": {"N": v.n.to_string()},
        "g": {"S": format!("g{}", v.g)},
        "filler": {"S": "p".repeat(64)},
    });
    if v.expired {
        item["exp"] = json!({"N": (now_secs - 100_000).to_string()});
    }
    item
}

fn input<T: serde::de::DeserializeOwned>(v: Value) -> T {
    serde_json::from_value(v).expect("the simulation's requests are well formed")
}

fn val_of(item: &Item) -> Val {
    let n = match item.get("n") {
        Some(AttributeValue::N(n)) => n.to_string().parse().expect("integer n"),
        other => panic!("n is {other:?}"),
    };
    let g = match item.get("g") {
        Some(AttributeValue::S(g)) => g.trim_start_matches('g').parse().expect("g<digit>"),
        other => panic!("g is {other:?}"),
    };
    Val {
        n,
        g,
        expired: item.contains_key("exp"),
    }
}

/// The simulation of one seed.
struct Sim<'t> {
    seed: u64,
    rng: SplitMix64,
    fs: FaultFs,
    clock: ManualClock,
    db: Option<(Arc<Db>, Database)>,
    model: State,
    uncertain: Option<Uncertain>,
    /// Operations left before an armed fault is given up on.
    armed: Option<u64>,
    /// A bit was flipped since the last recovery: errors are detections.
    flipped: bool,
    /// What the table held from each recorded time on, oldest first: the model at the
    /// start of every step (no write is in flight then). A point-in-time restore to such
    /// a time must rebuild exactly that state.
    history: Vec<(u64, State)>,
    /// Backups whose CreateBackup was acknowledged, with the state each holds.
    backups: Vec<(String, State)>,
    /// Restores started and not yet checked.
    restores: Vec<Restore>,
    /// Restored tables checked and to be deleted (a delete cut short is tried again).
    to_delete: Vec<String>,
    /// Restores started so far: the next target's number.
    restores_started: u64,
    /// The engine's compaction count after the simulation's last step: only its own
    /// `compact_range` may raise it (see `check_no_background_compaction`).
    compactions: u64,
    /// The last operation was cut short by a fault without returning an error (a
    /// partly processed batch): restart.
    must_restart: bool,
    step: u64,
    totals: &'t mut Totals,
}

/// A restore (to a point in time, or from a backup) the simulation started.
#[derive(Debug, Clone)]
struct Restore {
    target: String,
    /// What the target must hold once the restore is done.
    state: State,
    /// The backup it restores from; `None` for a point in time.
    backup: Option<String>,
    /// The request was acknowledged. An unacknowledged one (it returned an error) may or
    /// may not have been recorded: the next recovery finds out.
    acknowledged: bool,
}

/// How a seed ended early.
enum Stop {
    /// A flipped bit was detected (a typed error): the database is corrupt by design.
    Detected,
}

impl<'t> Sim<'t> {
    fn new(seed: u64, totals: &'t mut Totals) -> Self {
        let mut sim = Sim {
            seed,
            rng: SplitMix64::new(seed),
            fs: FaultFs::new(),
            clock: ManualClock::new(START_MICROS),
            db: None,
            model: (0..KEYS).map(|k| (k, None)).collect(),
            uncertain: None,
            armed: None,
            flipped: false,
            history: Vec::new(),
            backups: Vec::new(),
            restores: Vec::new(),
            to_delete: Vec::new(),
            restores_started: 0,
            compactions: 0,
            must_restart: false,
            step: 0,
            totals,
        };
        let (db, database) = sim
            .open()
            .unwrap_or_else(|e| sim.fail(&format!("first open: {e}")));
        sim.db = Some((db, database));
        sim.compactions = sim.engine_compactions();
        sim.create_table();
        sim
    }

    fn fail(&self, what: &str) -> ! {
        panic!(
            "simulation seed {} step {}: {what}\nreplay: SHALE_SIM_SEED={} cargo test -p shale-table \
             --test table_simulation -- --nocapture",
            self.seed, self.step, self.seed
        )
    }

    fn database(&self) -> &Database {
        &self.db.as_ref().expect("open").1
    }

    fn now_secs(&self) -> u64 {
        self.clock.now_micros() / 1_000_000
    }

    fn open(&self) -> Result<(Arc<Db>, Database), String> {
        let fs: Arc<dyn FileSystem> = Arc::new(self.fs.clone());
        let mut o = DbOptions::new("/db")
            .tiny()
            .with_fs(fs)
            .with_clock(Arc::new(self.clock.clone()))
            .with_wal_spare_segments(false)
            // Replaced tables and history bases are deleted when the simulation reclaims
            // (each step), not when a background thread happens to wake.
            .with_background_reclaim(false)
            // Files are unlinked when removed, not when the deleting thread gets to them
            // (`DbOptions::gradual_delete`): which files a bit flip can pick, or how full
            // the disk is when a space limit is armed, must not depend on scheduling.
            .with_gradual_delete(None)
            // Flushes and compactions happen when the simulation asks, never behind it:
            // no memtable fills, no L0 reaches its trigger, and no level outgrows its
            // limit (with `tiny`'s 16 KiB for L1, the compaction thread used to pick a
            // size-triggered job whenever it happened to wake: issue 16's seed 68).
            .with_memtable_bytes(4 << 20)
            .with_l0_compaction_trigger(1_000)
            .with_level_base_bytes(1 << 40);
        o.l0_slowdown_files = 2_000;
        o.l0_stop_files = 3_000;
        let db = Arc::new(Db::open(o).map_err(|e| format!("open engine: {e}"))?);
        let options = DatabaseOptions::default()
            .with_clock(Arc::new(self.clock.clone()))
            .with_background_index_worker(false);
        let database = Database::open(Arc::clone(&db) as Arc<dyn Backend>, options)
            .map_err(|e| format!("open table layer: {e}"))?;
        Ok((db, database))
    }

    fn create_table(&self) {
        let db = self.database();
        db.create_table(input(json!({
            "TableName": TABLE,
            "AttributeDefinitions": [
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "g", "AttributeType": "S"}
            ],
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "BillingMode": "PAY_PER_REQUEST",
            "StreamSpecification": {"StreamEnabled": true, "StreamViewType": "NEW_AND_OLD_IMAGES"},
            "GlobalSecondaryIndexes": [{
                "IndexName": GSI,
                "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"}
            }]
        })))
        .unwrap_or_else(|e| self.fail(&format!("create table: {e}")));
        db.update_time_to_live(input(json!({
            "TableName": TABLE,
            "TimeToLiveSpecification": {"Enabled": true, "AttributeName": "exp"}
        })))
        .unwrap_or_else(|e| self.fail(&format!("enable TTL: {e}")));
        db.update_continuous_backups(input(json!({
            "TableName": TABLE,
            "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": true}
        })))
        .unwrap_or_else(|e| self.fail(&format!("enable PITR: {e}")));
        self.database()
            .backend()
            .sync()
            .unwrap_or_else(|e| self.fail(&format!("sync: {e}")));
    }

    /// A key: mostly from the client's own slice, sometimes anyone's.
    fn key_for(&mut self, client: u64) -> u64 {
        if self.rng.percent(70) {
            client * KEYS_PER_CLIENT + self.rng.below(KEYS_PER_CLIENT)
        } else {
            self.rng.below(KEYS)
        }
    }

    /// `count` distinct keys for `client`.
    fn distinct_keys(&mut self, client: u64, count: usize) -> Vec<u64> {
        let mut keys = Vec::new();
        for _ in 0..count * 8 {
            if keys.len() == count {
                break;
            }
            let k = self.key_for(client);
            if !keys.contains(&k) {
                keys.push(k);
            }
        }
        keys
    }

    fn random_val(&mut self) -> Val {
        Val {
            n: self.rng.below(1_000) as i64,
            g: self.rng.below(GROUPS),
            expired: self.rng.percent(10),
        }
    }

    /// Runs the seed to its end.
    fn run(&mut self) {
        while self.step < STEPS_PER_SEED {
            self.step += 1;
            self.totals.steps += 1;
            self.history
                .push((self.clock.now_micros(), self.model.clone()));
            self.clock.advance_micros(1_000 + self.rng.below(20_000));
            if let Some((db, _)) = &self.db {
                db.reclaim();
                if let Err(e) = db.maintain_history() {
                    if self.armed.is_none() {
                        self.fail(&format!("history maintenance failed with no fault: {e}"));
                    }
                }
            }
            if self.rng.percent(7) {
                if let Err(Stop::Detected) = self.inject_fault() {
                    return;
                }
            }
            let client = self.rng.below(CLIENTS);
            self.trace_step();
            self.check_no_background_compaction();
            let failed = match self.operation(client) {
                Ok(()) => false,
                Err(e) => {
                    if !self.flipped && self.armed.is_none() {
                        self.fail(&format!("an operation failed with no fault injected: {e}"));
                    }
                    true
                }
            };
            if failed || self.must_restart || self.armed.is_some_and(|left| left == 0) {
                self.must_restart = false;
                if self.restart(false).is_err() {
                    return;
                }
            } else if let Some(left) = self.armed.as_mut() {
                *left -= 1;
            }
        }
        // Every seed ends with a clean shutdown and a last check (no fault armed).
        self.fs.clear_faults();
        self.armed = None;
        if let Some((db, database)) = self.db.take() {
            drop(database);
            db.close()
                .unwrap_or_else(|e| self.fail(&format!("clean close: {e}")));
        }
        if self.reopen_and_check().is_err() {
            self.fail("a clean shutdown did not reopen");
        }
    }

    /// Picks and injects one fault. A crash restarts at once; the others arm a failure
    /// that the next operations may hit.
    fn inject_fault(&mut self) -> Result<(), Stop> {
        if self.armed.is_some() {
            return Ok(());
        }
        match self.rng.below(8) {
            0 | 1 => self.restart(false),
            2 | 3 => {
                self.totals.torn += 1;
                self.restart(true)
            }
            4 => {
                self.totals.failed_syncs += 1;
                self.fs.fail_nth_sync(1 + self.rng.below(3));
                self.armed = Some(ARMED_FAULT_OPS);
                Ok(())
            }
            5 => {
                self.totals.failed_writes += 1;
                self.fs.fail_nth_write(1 + self.rng.below(12));
                self.armed = Some(ARMED_FAULT_OPS);
                Ok(())
            }
            6 => {
                self.totals.disk_full += 1;
                let limit = self.fs.live_bytes() + self.rng.below(16 << 10);
                self.fs.set_space_limit_bytes(Some(limit));
                self.armed = Some(ARMED_FAULT_OPS);
                Ok(())
            }
            _ => {
                if self.rng.percent(50) {
                    self.fs
                        .set_sync_latency(Some(Duration::from_micros(self.rng.below(200))));
                    Ok(())
                } else {
                    self.flip_a_bit()
                }
            }
        }
    }

    /// Flips one bit of an SSTable or the manifest, then recovers: the flip must be
    /// detected or be harmless, never turn into wrong data.
    fn flip_a_bit(&mut self) -> Result<(), Stop> {
        let targets: Vec<_> = self
            .fs
            .files()
            .into_iter()
            .filter(|p| {
                let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
                p.parent() == Some(std::path::Path::new("/db"))
                    && (name.ends_with(".sst") || name.starts_with("MANIFEST-"))
                    && self.fs.file_len(p).unwrap_or(0) > 0
            })
            .collect();
        if targets.is_empty() {
            return Ok(());
        }
        let path = &targets[self.rng.below(targets.len() as u64) as usize];
        let len = self.fs.file_len(path).unwrap_or(1);
        let offset = self.rng.below(len);
        let bit = self.rng.below(8) as u8;
        self.fs
            .flip_bit(path, offset, bit)
            .unwrap_or_else(|e| self.fail(&format!("flip_bit: {e}")));
        self.flipped = true;
        self.restart(false)
    }

    /// With `SHALE_SIM_STEP_TRACE=<file>`, appends one line per step: the file system's
    /// files, live bytes and I/O counts, and the armed fault. Two runs of a seed that
    /// `SHALE_SIM_TRACE` shows differ first differ here at the step where they part (how
    /// the background reclaim was found).
    fn trace_step(&self) {
        let Some(path) = std::env::var_os("SHALE_SIM_STEP_TRACE") else {
            return;
        };
        use std::io::Write;
        let files: Vec<_> = self
            .fs
            .files()
            .into_iter()
            .map(|p| {
                let len = self.fs.file_len(&p).unwrap_or(0);
                format!("{} {len}", p.display())
            })
            .collect();
        let line = format!(
            "seed {} step {} live {} files {} stats {:?} armed {:?} {:?}\n",
            self.seed,
            self.step,
            self.fs.live_bytes(),
            files.len(),
            self.fs.stats(),
            self.armed,
            files
        );
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .and_then(|mut f| f.write_all(line.as_bytes()))
            .expect("write the step trace");
    }

    /// Power cut (torn or not), recovery, and the check against the model.
    fn restart(&mut self, torn: bool) -> Result<(), Stop> {
        self.totals.crash_points += 1;
        // Frozen until the old process's threads are joined: nothing they do after the
        // crash reaches the state the next process recovers, however they are scheduled.
        let seed = torn.then(|| self.rng.next_u64());
        self.fs.crash_and_freeze(seed);
        // The old process is gone: its handles are dead, its drop's last sync fails.
        if let Some((db, database)) = self.db.take() {
            drop(database);
            drop(db);
        }
        self.fs.thaw();
        self.fs.clear_faults();
        self.armed = None;
        self.reopen_and_check()
    }

    fn reopen_and_check(&mut self) -> Result<(), Stop> {
        match self.open() {
            Ok(opened) => {
                self.db = Some(opened);
                self.compactions = self.engine_compactions();
            }
            Err(e) if self.flipped => {
                self.totals.bit_flips_detected += 1;
                let _ = e;
                return Err(Stop::Detected);
            }
            Err(e) => self.fail(&format!("recovery failed: {e}")),
        }
        match self.check_everything() {
            Ok(()) => {
                if self.flipped {
                    self.flipped = false;
                    // No read reached the flip. If it is in live data (a deleted table's,
                    // which only a compaction would read), `shale-admin verify`'s check
                    // must find it; the seed then ends as for any detected flip.
                    let fs: Arc<dyn FileSystem> = Arc::new(self.fs.clone());
                    if verify_dir(&fs, Path::new("/db")).is_damaged() {
                        self.totals.bit_flips_detected += 1;
                        self.totals.bit_flips_found_by_verify += 1;
                        return Err(Stop::Detected);
                    }
                    self.totals.bit_flips_harmless += 1;
                }
                Ok(())
            }
            Err(e) if self.flipped => {
                self.totals.bit_flips_detected += 1;
                let _ = e;
                Err(Stop::Detected)
            }
            Err(e) => self.fail(&format!("after recovery: {e}")),
        }
    }

    /// Every key, the scan and every GSI partition against the model; an uncertain write
    /// is settled here, all or nothing.
    fn check_everything(&mut self) -> Result<(), Error> {
        let mut actual = State::new();
        for k in 0..KEYS {
            actual.insert(k, self.get(TABLE, k)?);
        }
        if let Some(u) = self.uncertain.take() {
            let applied = u.after.iter().all(|(k, v)| actual[k] == *v);
            let absent = u.after.keys().all(|k| actual[k] == self.model[k]);
            let each_either = u
                .after
                .iter()
                .all(|(k, v)| actual[k] == *v || actual[k] == self.model[k]);
            if !u.atomic && each_either {
                for k in u.after.keys() {
                    self.model.insert(*k, actual[k]);
                }
            } else if applied && !absent {
                self.totals.uncertain_applied += 1;
                self.model.extend(u.after);
            } else if absent {
                self.totals.uncertain_absent += 1;
            } else {
                self.fail(&format!(
                    "a failed write is half applied: wanted all of {:?} or none; found {:?}",
                    u.after,
                    u.after.keys().map(|k| (k, actual[k])).collect::<Vec<_>>()
                ));
            }
        }
        for k in 0..KEYS {
            if actual[&k] != self.model[&k] {
                self.fail(&format!(
                    "{} is {:?}, the model says {:?}",
                    key_name(k),
                    actual[&k],
                    self.model[&k]
                ));
            }
        }
        self.check_scan_and_gsi(TABLE, &self.model)?;
        let records = self.check_stream()?;
        self.totals.stream_records_replayed += records;
        self.recover_restores()?;
        self.delete_restored()
    }

    /// `table` holds exactly `state`: each key, the scan's count and every GSI partition.
    fn check_table(&self, table: &str, state: &State) -> Result<(), Error> {
        for k in 0..KEYS {
            let got = self.get(table, k)?;
            if got != state[&k] {
                self.fail(&format!(
                    "{table}: {} is {got:?}, wanted {:?}",
                    key_name(k),
                    state[&k]
                ));
            }
        }
        self.check_scan_and_gsi(table, state)
    }

    fn check_scan_and_gsi(&self, table: &str, state: &State) -> Result<(), Error> {
        let scanned = self.scan_count(table)?;
        let present = state.values().filter(|v| v.is_some()).count() as u64;
        if scanned != present {
            self.fail(&format!(
                "{table}: the scan found {scanned} items, wanted {present}"
            ));
        }
        self.check_gsi(table, state)
    }

    /// The table's stream (enabled at creation, on an empty table), replayed from its
    /// start, rebuilds exactly the model: a record for every write that survived, none
    /// for one that did not, in each item's order, each old image the previous new one.
    fn check_stream(&self) -> Result<u64, Error> {
        let db = self.database();
        let arn = db
            .describe_table(input(json!({"TableName": TABLE})))?
            .table
            .latest_stream_arn
            .unwrap_or_else(|| self.fail("the table has no stream"));
        let shards = db
            .describe_stream(input(json!({"StreamArn": arn})))?
            .stream_description
            .shards;
        let mut replayed: State = (0..KEYS).map(|k| (k, None)).collect();
        let mut records = 0u64;
        for shard in shards {
            let mut it = Some(
                db.get_shard_iterator(input(json!({
                    "StreamArn": arn,
                    "ShardId": shard.shard_id,
                    "ShardIteratorType": "TRIM_HORIZON"
                })))?
                .shard_iterator,
            );
            for _ in 0..STEPS_PER_SEED * 4 + 4 {
                let Some(i) = it.take() else { break };
                let page = db.get_records(input(json!({"ShardIterator": i, "Limit": 100})))?;
                if page.records.is_empty() {
                    break;
                }
                for r in &page.records {
                    self.replay(&mut replayed, r);
                    records += 1;
                }
                it = page.next_shard_iterator;
            }
        }
        if replayed != self.model {
            let differ: Vec<_> = (0..KEYS)
                .filter(|k| replayed[k] != self.model[k])
                .map(|k| (key_name(k), replayed[&k], self.model[&k]))
                .collect();
            self.fail(&format!(
                "the stream replays to another state: (key, stream, model) {differ:?}"
            ));
        }
        Ok(records)
    }

    /// Applies one stream record to `state`, checking it against what came before.
    fn replay(&self, state: &mut State, r: &Record) {
        let Some(AttributeValue::S(pk)) = r.dynamodb.keys.get("pk") else {
            self.fail("a stream record without pk");
        };
        let k: u64 = pk[1..].parse().expect("k<nn>");
        let before = state[&k];
        let old = r.dynamodb.old_image.as_ref().map(val_of);
        let new = r.dynamodb.new_image.as_ref().map(val_of);
        let consistent = match r.event_name {
            OperationType::Insert => before.is_none() && old.is_none() && new.is_some(),
            OperationType::Modify => {
                before.is_some() && old == before && new.is_some() && new != old
            }
            OperationType::Remove => before.is_some() && old == before && new.is_none(),
        };
        if !consistent {
            self.fail(&format!(
                "stream record {} for {pk}: {:?} old {old:?} new {new:?}, after {before:?}",
                r.dynamodb.sequence_number, r.event_name
            ));
        }
        state.insert(k, new);
    }

    fn get(&self, table: &str, k: u64) -> Result<Option<Val>, Error> {
        let out = self.database().get_item(input(json!({
            "TableName": table, "Key": key_json(k), "ConsistentRead": true
        })))?;
        Ok(out.item.as_ref().map(val_of))
    }

    fn scan_count(&self, table: &str) -> Result<u64, Error> {
        let mut total = 0;
        let mut start: Option<Value> = None;
        for _ in 0..KEYS + 2 {
            let mut req = json!({"TableName": table, "Select": "COUNT", "Limit": 16});
            if let Some(s) = start.take() {
                req["ExclusiveStartKey"] = s;
            }
            let out = self.database().scan(input(req))?;
            total += out.count as u64;
            match out.last_evaluated_key {
                Some(k) => start = Some(serde_json::to_value(k).expect("key json")),
                None => return Ok(total),
            }
        }
        self.fail("the scan did not end")
    }

    /// Each GSI partition of `table` holds exactly `state`'s items of that group.
    fn check_gsi(&self, table: &str, state: &State) -> Result<(), Error> {
        self.database().wait_for_indexes()?;
        for g in 0..GROUPS {
            let out = self.database().query(input(json!({
                "TableName": table,
                "IndexName": GSI,
                "KeyConditionExpression": "g = :g",
                "ExpressionAttributeValues": {":g": {"S": format!("g{g}")}}
            })))?;
            let mut found: Vec<(u64, Val)> = out
                .items
                .unwrap_or_default()
                .iter()
                .map(|i| {
                    let Some(AttributeValue::S(pk)) = i.get("pk") else {
                        self.fail("a GSI item without pk");
                    };
                    (pk[1..].parse().expect("k<nn>"), val_of(i))
                })
                .collect();
            found.sort_by_key(|(k, _)| *k);
            let wanted: Vec<(u64, Val)> = state
                .iter()
                .filter_map(|(k, v)| v.filter(|v| v.g == g).map(|v| (*k, v)))
                .collect();
            if found != wanted {
                self.fail(&format!(
                    "{table}'s GSI g{g} holds {found:?}, wanted {wanted:?}"
                ));
            }
        }
        Ok(())
    }

    /// Records a write whose outcome is unknown after `e`; `after` is what it would have
    /// made of its keys.
    fn maybe_applied(&mut self, after: State, e: Error) -> Result<(), Error> {
        self.uncertain = Some(Uncertain {
            after,
            atomic: true,
        });
        Err(e)
    }

    /// One client's operation; `Err` when it failed (the caller decides whether a fault
    /// explains it).
    fn operation(&mut self, client: u64) -> Result<(), Error> {
        let now = self.now_secs();
        match self.rng.below(OPERATIONS) {
            0..=24 => {
                let k = self.key_for(client);
                let v = self.random_val();
                let r = self.database().put_item(input(json!({
                    "TableName": TABLE, "Item": item_json(k, v, now)
                })));
                self.settle(r.map(drop), State::from([(k, Some(v))]))
            }
            25..=34 => {
                let k = self.key_for(client);
                let v = self.random_val();
                let r = self.database().put_item(input(json!({
                    "TableName": TABLE, "Item": item_json(k, v, now),
                    "ConditionExpression": "attribute_not_exists(pk)"
                })));
                if self.model[&k].is_some() {
                    return self.expect_condition_failure(r.map(drop), k);
                }
                self.settle(r.map(drop), State::from([(k, Some(v))]))
            }
            35..=54 => {
                let k = self.key_for(client);
                let d = self.rng.below(50) as i64 - 10;
                let g = self.rng.below(GROUPS);
                let after = match self.model[&k] {
                    Some(v) => Val { n: v.n + d, g, ..v },
                    None => Val {
                        n: d,
                        g,
                        expired: false,
                    },
                };
                let r = self.database().update_item(input(json!({
                    "TableName": TABLE, "Key": key_json(k),
                    "UpdateExpression": "ADD n :d SET g = :g, filler = :p",
                    "ExpressionAttributeValues": {
                        ":d": {"N": d.to_string()},
                        ":g": {"S": format!("g{g}")},
                        ":p": {"S": "p".repeat(64)}
                    }
                })));
                self.settle(r.map(drop), State::from([(k, Some(after))]))
            }
            55..=64 => {
                let k = self.key_for(client);
                let conditional = self.rng.percent(50);
                let mut req = json!({"TableName": TABLE, "Key": key_json(k)});
                if conditional {
                    req["ConditionExpression"] = json!("attribute_exists(pk)");
                }
                let r = self.database().delete_item(input(req));
                if conditional && self.model[&k].is_none() {
                    return self.expect_condition_failure(r.map(drop), k);
                }
                self.settle(r.map(drop), State::from([(k, None)]))
            }
            65..=72 => {
                let count = 2 + self.rng.below(4) as usize;
                let keys = self.distinct_keys(client, count);
                let mut requests = Vec::new();
                let mut after = State::new();
                for &k in &keys {
                    if self.rng.percent(75) {
                        let v = self.random_val();
                        requests.push(json!({"PutRequest": {"Item": item_json(k, v, now)}}));
                        after.insert(k, Some(v));
                    } else {
                        requests.push(json!({"DeleteRequest": {"Key": key_json(k)}}));
                        after.insert(k, None);
                    }
                }
                let r = self.database().batch_write_item(input(json!({
                    "RequestItems": {TABLE: requests}
                })));
                match r {
                    Ok(out) if !out.unprocessed_items.is_empty() => {
                        self.partial_batch(&keys, after, &out.unprocessed_items)
                    }
                    r => self.settle(r.map(drop), after),
                }
            }
            73..=82 => self.transfer(client),
            83..=90 => {
                let k = self.key_for(client);
                let got = self.get(TABLE, k)?;
                if got != self.model[&k] {
                    self.fail(&format!(
                        "read {} as {got:?}, the model says {:?}",
                        key_name(k),
                        self.model[&k]
                    ));
                }
                Ok(())
            }
            91..=93 => self.check_gsi(TABLE, &self.model),
            94..=95 => {
                let swept = self.database().sweep_expired_items();
                let expired: Vec<u64> = self
                    .model
                    .iter()
                    .filter(|(_, v)| v.is_some_and(|v| v.expired))
                    .map(|(k, _)| *k)
                    .collect();
                let after: State = expired.iter().map(|k| (*k, None)).collect();
                match swept {
                    Ok(n) if n == expired.len() => self.settle(Ok(()), after),
                    Ok(n) => self.fail(&format!(
                        "the TTL sweep deleted {n} items, the model has {} expired",
                        expired.len()
                    )),
                    Err(e) => {
                        self.uncertain = Some(Uncertain {
                            after,
                            atomic: false,
                        });
                        Err(e)
                    }
                }
            }
            96..=97 => self.engine(|db| db.flush()),
            98 => {
                let r = self.engine(|db| db.compact_range(None, None));
                self.compactions = self.engine_compactions();
                r
            }
            99 => {
                self.clock.advance_micros(self.rng.below(5_000_000));
                Ok(())
            }
            100..=101 => self.restore_to_point_in_time(),
            102 => self.create_backup(),
            103 => self.restore_from_backup(),
            _ => self.step_restores(),
        }
    }

    /// RestoreTableToPointInTime to a recorded time (just after it: every write at or
    /// before it, none of the next step's), into a new table.
    fn restore_to_point_in_time(&mut self) -> Result<(), Error> {
        let (time, state) =
            self.history[self.rng.below(self.history.len() as u64) as usize].clone();
        let target = self.next_restore_target();
        let r = self.database().restore_table_to_point_in_time(input(json!({
            "SourceTableName": TABLE,
            "TargetTableName": target,
            "RestoreDateTime": (time + RESTORE_AFTER_MICROS) as f64 / 1e6
        })));
        self.started(target, state, None, r.map(drop))
    }

    /// CreateBackup of the table as it is now; only an acknowledged one is restored from.
    fn create_backup(&mut self) -> Result<(), Error> {
        if self.backups.len() >= MAX_BACKUPS {
            return Ok(());
        }
        let out = self.database().create_backup(input(json!({
            "TableName": TABLE, "BackupName": format!("backup-{}", self.step)
        })))?;
        self.backups
            .push((out.backup_details.backup_arn, self.model.clone()));
        Ok(())
    }

    /// RestoreTableFromBackup of one of the acknowledged backups, into a new table.
    fn restore_from_backup(&mut self) -> Result<(), Error> {
        if self.backups.is_empty() {
            return Ok(());
        }
        let (arn, state) = self.backups[self.rng.below(self.backups.len() as u64) as usize].clone();
        let in_use = self.backup_in_use(&arn)?;
        let target = self.next_restore_target();
        let r = self.database().restore_table_from_backup(input(json!({
            "TargetTableName": target, "BackupArn": arn
        })));
        match r {
            Err(Error::BackupInUse { .. }) if in_use => Ok(()),
            Err(Error::BackupInUse { .. }) => self.fail(&format!(
                "{arn} is in use, but no restore from it is running"
            )),
            Ok(_) if in_use => self.fail(&format!("a second restore from {arn} started")),
            r => self.started(target, state, Some(arn), r.map(drop)),
        }
    }

    /// A restore from `arn` is running: its target is still being created (DynamoDB
    /// refuses a second restore from the backup meanwhile, BackupInUseException).
    fn backup_in_use(&self, arn: &str) -> Result<bool, Error> {
        for r in &self.restores {
            if r.backup.as_deref() == Some(arn) {
                let status = self
                    .database()
                    .describe_table(input(json!({"TableName": r.target})))?
                    .table
                    .table_status;
                if status == TableStatus::Creating {
                    return Ok(true);
                }
            }
        }
        Ok(false)
    }

    fn next_restore_target(&mut self) -> String {
        self.restores_started += 1;
        format!("R{:03}", self.restores_started)
    }

    /// Records a restore just started; one whose request failed is settled at recovery.
    fn started(
        &mut self,
        target: String,
        state: State,
        backup: Option<String>,
        r: Result<(), Error>,
    ) -> Result<(), Error> {
        self.restores.push(Restore {
            target,
            state,
            backup,
            acknowledged: r.is_ok(),
        });
        r
    }

    /// One step of every restore in progress; once none is left, each restored table is
    /// checked against its state and deleted.
    fn step_restores(&mut self) -> Result<(), Error> {
        if self.restores.is_empty() {
            return self.delete_restored();
        }
        if self.database().step_restores()? {
            return Ok(());
        }
        self.check_restores()
    }

    /// Every restore is done: each target holds exactly its state (items, scan and GSI).
    fn check_restores(&mut self) -> Result<(), Error> {
        while let Some(r) = self.restores.first().cloned() {
            let status = self
                .database()
                .describe_table(input(json!({"TableName": r.target})))?
                .table
                .table_status;
            if status != TableStatus::Active {
                self.fail(&format!("restored table {} is {status:?}", r.target));
            }
            self.check_table(&r.target, &r.state)?;
            if r.backup.is_some() {
                self.totals.backup_restores_checked += 1;
            } else {
                self.totals.pitr_restores_checked += 1;
            }
            self.restores.remove(0);
            self.to_delete.push(r.target);
        }
        self.delete_restored()
    }

    /// Deletes the restored tables already checked (one found gone was deleted before a
    /// crash cut its request short).
    fn delete_restored(&mut self) -> Result<(), Error> {
        while let Some(target) = self.to_delete.first() {
            match self
                .database()
                .delete_table(input(json!({"TableName": target})))
            {
                Ok(_) | Err(Error::ResourceNotFound { .. }) => {
                    self.to_delete.remove(0);
                }
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// After recovery: a restore whose request failed was recorded (its target exists)
    /// or not at all; every restore then runs to its end and is checked.
    fn recover_restores(&mut self) -> Result<(), Error> {
        let mut kept = Vec::new();
        for mut r in std::mem::take(&mut self.restores) {
            if !r.acknowledged {
                match self
                    .database()
                    .describe_table(input(json!({"TableName": r.target})))
                {
                    Ok(_) => r.acknowledged = true,
                    Err(Error::ResourceNotFound { .. }) => continue,
                    Err(e) => return Err(e),
                }
            }
            kept.push(r);
        }
        self.restores = kept;
        self.database().wait_for_restores()?;
        self.check_restores()
    }

    /// A batch that came back with unprocessed requests: each request is its own write,
    /// so the ones before the first unprocessed one were acknowledged, that one failed
    /// (its outcome is unknown) and the rest were never tried. Only a fault explains it;
    /// the simulation then restarts.
    fn partial_batch(
        &mut self,
        keys: &[u64],
        mut after: State,
        unprocessed: &BTreeMap<String, Vec<WriteRequest>>,
    ) -> Result<(), Error> {
        if self.armed.is_none() {
            self.fail("a batch left items unprocessed with no fault injected");
        }
        let left: Vec<&WriteRequest> = unprocessed.values().flatten().collect();
        let done = keys.len() - left.len();
        for k in &keys[..done] {
            let v = after.remove(k).expect("a planned key");
            self.model.insert(*k, v);
        }
        let failed = keys[done];
        self.uncertain = Some(Uncertain {
            after: State::from([(failed, after[&failed])]),
            atomic: true,
        });
        self.must_restart = true;
        Ok(())
    }

    /// Two-item transaction: move `d` from one key's `n` to another's, if the source has
    /// that much.
    fn transfer(&mut self, client: u64) -> Result<(), Error> {
        let keys = self.distinct_keys(client, 2);
        if keys.len() < 2 {
            return Ok(());
        }
        let (from, to) = (keys[0], keys[1]);
        let d = 1 + self.rng.below(30) as i64;
        let r = self.database().transact_write_items(input(json!({
            "TransactItems": [
                {"Update": {
                    "TableName": TABLE, "Key": key_json(from),
                    "UpdateExpression": "ADD n :neg",
                    "ConditionExpression": "n >= :d",
                    "ExpressionAttributeValues": {
                        ":neg": {"N": (-d).to_string()}, ":d": {"N": d.to_string()}
                    }
                }},
                {"Update": {
                    "TableName": TABLE, "Key": key_json(to),
                    "UpdateExpression": "ADD n :d SET g = if_not_exists(g, :g0), filler = :p",
                    "ExpressionAttributeValues": {
                        ":d": {"N": d.to_string()},
                        ":g0": {"S": "g0"},
                        ":p": {"S": "p".repeat(64)}
                    }
                }}
            ]
        })));
        let source_ok = self.model[&from].is_some_and(|v| v.n >= d);
        if !source_ok {
            return match r {
                Err(Error::TransactionCanceled { .. }) => Ok(()),
                Err(e) if self.armed.is_some() => Err(e),
                other => self.fail(&format!(
                    "a transfer from {} with too little succeeded or failed otherwise: {other:?}",
                    key_name(from)
                )),
            };
        }
        let from_after = self.model[&from].map(|v| Val { n: v.n - d, ..v });
        let to_after = match self.model[&to] {
            Some(v) => Val { n: v.n + d, ..v },
            None => Val {
                n: d,
                g: 0,
                expired: false,
            },
        };
        self.settle(
            r.map(drop),
            State::from([(from, from_after), (to, Some(to_after))]),
        )
    }

    /// The engine's compactions since it was opened (0 while it is closed).
    fn engine_compactions(&self) -> u64 {
        self.db.as_ref().map_or(0, |(db, _)| db.stats().compactions)
    }

    /// Fails if a compaction ran that the simulation did not ask for. A background
    /// compaction starts whenever its thread wakes (wall-clock time), so one would make
    /// the seed's I/O, and the faults it meets, depend on scheduling (issue 16: seed 68
    /// replayed differently under load because `tiny`'s 16 KiB L1 let the compaction
    /// thread pick size-triggered jobs).
    fn check_no_background_compaction(&mut self) {
        let now = self.engine_compactions();
        if now != self.compactions {
            self.fail(&format!(
                "{} compactions ran that the simulation did not ask for",
                now.abs_diff(self.compactions)
            ));
        }
    }

    /// A flush or compaction on the engine.
    fn engine(
        &mut self,
        f: impl FnOnce(&Db) -> Result<(), shale_engine::StorageError>,
    ) -> Result<(), Error> {
        let db = Arc::clone(&self.db.as_ref().expect("open").0);
        f(&db).map_err(Error::from)
    }

    /// An acknowledged write updates the model; a failed one is uncertain.
    fn settle(&mut self, r: Result<(), Error>, after: State) -> Result<(), Error> {
        match r {
            Ok(()) => {
                self.model.extend(after);
                Ok(())
            }
            Err(e) => self.maybe_applied(after, e),
        }
    }

    /// A condition the model says fails must fail, with nothing written.
    fn expect_condition_failure(&mut self, r: Result<(), Error>, k: u64) -> Result<(), Error> {
        match r {
            Err(Error::ConditionalCheckFailed { .. }) => Ok(()),
            Err(e) => Err(e),
            Ok(()) => self.fail(&format!(
                "a condition on {} succeeded; the model says it fails",
                key_name(k)
            )),
        }
    }
}

/// With `SHALE_SIM_TRACE=<file>`, appends one line per seed: what it did (crash points,
/// steps, faults, outcomes). Two runs of the same code must write the same file: the
/// way to find nondeterminism.
fn trace_seed(seed: u64, before: &Totals, after: &Totals) {
    let Some(path) = std::env::var_os("SHALE_SIM_TRACE") else {
        return;
    };
    let d = |f: fn(&Totals) -> u64| f(after) - f(before);
    let line = format!(
        "seed {seed}: crash points {} steps {} torn {} syncs {} writes {} full {} flips {}/{} uncertain {}/{} stream {} restores {}/{}\n",
        d(|t| t.crash_points),
        d(|t| t.steps),
        d(|t| t.torn),
        d(|t| t.failed_syncs),
        d(|t| t.failed_writes),
        d(|t| t.disk_full),
        d(|t| t.bit_flips_detected),
        d(|t| t.bit_flips_harmless),
        d(|t| t.uncertain_applied),
        d(|t| t.uncertain_absent),
        d(|t| t.stream_records_replayed),
        d(|t| t.pitr_restores_checked),
        d(|t| t.backup_restores_checked),
    );
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .expect("open the simulation trace");
    f.write_all(line.as_bytes())
        .expect("write the simulation trace");
}

fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.parse().ok())
}

#[test]
fn simulation_every_acknowledged_write_survives_every_crash_point() {
    let started = Instant::now();
    let mut totals = Totals::default();
    if let Some(seed) = env_u64("SHALE_SIM_SEED") {
        Sim::new(seed, &mut totals).run();
        totals.seeds = 1;
    } else {
        let target = env_u64("SHALE_SIM_CRASH_POINTS").unwrap_or(DEFAULT_CRASH_POINTS);
        let first = env_u64("SHALE_SIM_FIRST_SEED").unwrap_or(0);
        for seed in first..first + MAX_SEEDS {
            if totals.crash_points >= target {
                break;
            }
            let before = totals.clone();
            Sim::new(seed, &mut totals).run();
            totals.seeds += 1;
            trace_seed(seed, &before, &totals);
        }
        assert!(
            totals.crash_points >= target,
            "{} crash points in {MAX_SEEDS} seeds",
            totals.crash_points
        );
    }
    let summary = format!(
        "simulation: {} crash points over {} seeds and {} steps in {:.1} s \
         (torn {}, failed syncs armed {}, failed writes armed {}, full disks armed {}, \
         bit flips detected {} ({} by verify alone) / harmless {}, failed writes found applied {} / absent {}, \
         stream records replayed {}, restored tables checked {} to a point in time / {} \
         from a backup)",
        totals.crash_points,
        totals.seeds,
        totals.steps,
        started.elapsed().as_secs_f64(),
        totals.torn,
        totals.failed_syncs,
        totals.failed_writes,
        totals.disk_full,
        totals.bit_flips_detected,
        totals.bit_flips_found_by_verify,
        totals.bit_flips_harmless,
        totals.uncertain_applied,
        totals.uncertain_absent,
        totals.stream_records_replayed,
        totals.pitr_restores_checked,
        totals.backup_restores_checked,
    );
    println!("{summary}");
    // CI prints this file after the workspace tests (whose output it does not show).
    let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("simulation-summary.txt");
    std::fs::write(&path, format!("{summary}\n")).expect("write the simulation summary");
}

/// Regression (issue 16): a seed must replay exactly. Two runs of the same seeds once
/// differed (seeds 27 and 218 flipped a bit in a table file that compaction had replaced
/// but a background thread had not yet unlinked; seed 68 met a failed sync that a flush's
/// WAL release, still running after `flush` returned, had used up). Manual compaction
/// now unlinks what it replaced before it returns, and `flush` returns after the release.
///
/// And (seed 68 again, one run in seven under load): the crashed process's threads,
/// still running until its handle was dropped, could create, rename or sync files on the
/// state after the crash, and use up a fault armed for the next process; the file system
/// is now frozen from the crash until they are joined (`FaultFs::crash_and_freeze`).
///
/// And (seed 8, one run in two under load, and seed 27 once in CI): the background
/// threads dropped replaced tables, deleting their files, whenever they woke (every
/// 100 ms of wall time) once no reader held them, so which files a bit flip could pick,
/// or how full a disk was when a space limit was armed, depended on scheduling. The
/// simulation now turns that off (`DbOptions::background_reclaim`) and reclaims at the
/// start of each step (`Db::reclaim`); `compact_range` also waits a bounded while for a
/// background thread's moment of holding the old state. Before: 3 of 6 runs of this test
/// failed with two CPU hogs beside it; after: 8 of 8, and 3 of 3 beside CI's 10,000-point
/// simulation, so it runs in CI again.
///
/// And (seed 68 in one process after seeds 0–39, and seed 30's stream records, both
/// under load): `tiny`'s 16 KiB L1 let the compaction thread pick a size-triggered job
/// whenever it woke after a flush, so whether a compaction's manifest write came before
/// or after an armed failed sync depended on scheduling. The simulation's levels are now
/// too large to trigger anything, and every step checks that no compaction ran behind it
/// (without the fix, seed 13 fails that check at step 209 every time). Before: 2 of 4
/// runs of seeds 0–86 under two CPU hogs differed; after: 16 of 16 identical.
///
/// Compared: every count, the stream records replayed and the restores checked included,
/// over seeds 0–69 (68 and 30 among them) and 218.
#[test]
fn simulation_replays_each_seed_identically() {
    let run = || {
        (0..70u64)
            .chain([218])
            .map(|seed| {
                let mut totals = Totals::default();
                Sim::new(seed, &mut totals).run();
                totals
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(run(), run());
}
