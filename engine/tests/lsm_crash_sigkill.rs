//! Kill -9 crash test on the real file system: the test re-runs its own binary as a child
//! whose writer threads write two-key batches under `Durability::Sync` (sharing syncs
//! through group commit) and print each acknowledged batch; the parent SIGKILLs it after a
//! seeded random delay, reopens the database and checks that every acknowledged batch is
//! present with its exact values and that no batch is torn. Repeated over several rounds
//! on the same directory, so recovery also runs on top of earlier recoveries.
//!
//! The second test does the same with `Durability::None` and the WAL appended through a
//! memory map (`DbOptions::wal_mmap_appends`): nothing is synced before the ack, and what a
//! killed process leaves is only what its copies put in the page cache.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use std::sync::{Arc, Mutex};

use shale_engine::lsm::{Db, DbOptions};
use shale_engine::WriteBatch;

/// Set in the child's environment to the database directory.
const CHILD_ENV: &str = "SHALE_LSM_SIGKILL_CHILD_DIR";
/// Set in the child's environment to the round number (keys are unique per round).
const ROUND_ENV: &str = "SHALE_LSM_SIGKILL_ROUND";
/// Set in the child's environment when it appends through a map (`Mode::Mapped`).
const MAPPED_ENV: &str = "SHALE_LSM_SIGKILL_MAPPED";
const ROUNDS: u64 = 20;
/// Writer threads in the child.
const WRITERS: u64 = 3;
/// Keys per batch.
const KEYS_PER_BATCH: u64 = 2;
/// Each child thread stops on its own after this many batches (the kill comes first).
const MAX_CHILD_BATCHES: u64 = 100_000;
/// Batches past the last acknowledged one that are checked for tearing.
const TEAR_CHECK_MARGIN: u64 = 64;
/// Longest kill delay; each round stays under a second.
const MAX_DELAY_MS: u64 = 400;
const SEED: u64 = 0x5EED_0F5A_1E00;

fn value_for(round: u64, i: u64) -> Vec<u8> {
    let len = 16 + (i * 37 + round) % 900;
    (0..len).map(|j| ((i + j + round) % 251) as u8).collect()
}

fn key_for(round: u64, writer: u64, i: u64, j: u64) -> Vec<u8> {
    format!("r{round:02}-w{writer}-b{i:08}-{j}").into_bytes()
}

/// How the child's database acknowledges a write.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Mode {
    /// Fdatasynced before the ack (group commit).
    Sync,
    /// Copied into a map of the WAL segment, never synced before the ack.
    Mapped,
}

fn small_opts(dir: &std::path::Path, mode: Mode) -> DbOptions {
    let mut o = DbOptions::new(dir);
    if mode == Mode::Mapped {
        o.durability = shale_engine::Durability::None;
        o.wal_mmap_appends = true;
    }
    // Small sizes so flushes and compactions run inside one short round.
    o.memtable_bytes = 64 << 10;
    o.level_base_bytes = 256 << 10;
    o.target_file_bytes = 64 << 10;
    o.wal_segment_bytes = 256 << 10;
    o.l0_compaction_trigger = 2;
    o
}

/// The child's body: `WRITERS` threads write batches until killed; each acknowledged
/// batch is printed as "writer index".
fn child(dir: &str) {
    let round: u64 = std::env::var(ROUND_ENV)
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(0);
    let mode = if std::env::var_os(MAPPED_ENV).is_some() {
        Mode::Mapped
    } else {
        Mode::Sync
    };
    let db = Arc::new(Db::open(small_opts(std::path::Path::new(dir), mode)).expect("child open"));
    let out = Arc::new(Mutex::new(std::io::stdout()));
    let threads: Vec<_> = (0..WRITERS)
        .map(|w| {
            let (db, out) = (db.clone(), out.clone());
            std::thread::spawn(move || {
                for i in 0..MAX_CHILD_BATCHES {
                    let mut batch = WriteBatch::new();
                    for j in 0..KEYS_PER_BATCH {
                        batch.put(key_for(round, w, i, j), value_for(round, i + j));
                    }
                    db.write(batch).expect("child write");
                    let mut out = out.lock().expect("stdout lock");
                    writeln!(out, "{w} {i}").expect("stdout");
                    if w == 0 && db.wal_appends_mapped() {
                        // Read by the parent: this round's appends went through a map.
                        writeln!(out, "mapped").expect("stdout");
                    }
                    out.flush().expect("flush stdout");
                }
            })
        })
        .collect();
    for t in threads {
        t.join().expect("child writer");
    }
}

struct SplitMix(u64);
impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

/// Every acknowledged batch of `round` is present with its values; batches in flight at
/// the kill are whole or absent.
fn verify(db: &Db, round: u64, acked: &[(u64, u64)], delay: Duration) {
    let r = round;
    for &(w, i) in acked {
        for j in 0..KEYS_PER_BATCH {
            let got = db.get(&key_for(r, w, i, j), None).unwrap();
            assert_eq!(
                got,
                Some(value_for(r, i + j)),
                "round {r} writer {w} batch {i} key {j} (seed {SEED:#x}, delay {delay:?})"
            );
        }
    }
    for w in 0..WRITERS {
        let last = acked.iter().filter(|a| a.0 == w).map(|a| a.1).max();
        let upto = last.map_or(0, |l| l + 1) + TEAR_CHECK_MARGIN;
        for i in 0..upto {
            let present: Vec<bool> = (0..KEYS_PER_BATCH)
                .map(|j| db.get(&key_for(r, w, i, j), None).unwrap().is_some())
                .collect();
            assert!(
                present.iter().all(|&p| p == present[0]),
                "round {r} writer {w} batch {i} torn: {present:?}"
            );
        }
    }
}

#[test]
fn sigkill_keeps_every_acknowledged_write() {
    if let Ok(dir) = std::env::var(CHILD_ENV) {
        child(&dir);
        return;
    }
    kill_rounds("sigkill_keeps_every_acknowledged_write", Mode::Sync, ROUNDS);
}

#[test]
fn sigkill_keeps_every_write_appended_through_a_map() {
    if let Ok(dir) = std::env::var(CHILD_ENV) {
        child(&dir);
        return;
    }
    kill_rounds(
        "sigkill_keeps_every_write_appended_through_a_map",
        Mode::Mapped,
        ROUNDS / 2,
    );
}

/// `rounds` rounds of: run this binary's test `test` as a child writing in `mode`, kill
/// it after a seeded delay, reopen and verify every round so far.
fn kill_rounds(test: &str, mode: Mode, rounds: u64) {
    let dir = tempfile::tempdir().unwrap();
    let exe = std::env::current_exe().unwrap();
    let mut rng = SplitMix(SEED);
    eprintln!("sigkill test seed {SEED:#x}");
    let mut acked_per_round = Vec::new();
    let mut mapped_rounds = 0;
    for round in 0..rounds {
        let delay = Duration::from_millis(50 + rng.next() % MAX_DELAY_MS);
        let mut command = Command::new(&exe);
        command
            .args(["--exact", test, "--nocapture", "--test-threads=1"])
            .env(CHILD_ENV, dir.path())
            .env(ROUND_ENV, round.to_string());
        if mode == Mode::Mapped {
            command.env(MAPPED_ENV, "1");
        }
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let reader = std::thread::spawn(move || {
            let mut acked: Vec<(u64, u64)> = Vec::new();
            let mut mapped = false;
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                mapped |= line == "mapped";
                let mut parts = line.split_whitespace().map(str::parse::<u64>);
                if let (Some(Ok(w)), Some(Ok(i))) = (parts.next(), parts.next()) {
                    acked.push((w, i));
                }
            }
            (acked, mapped)
        });
        let start = Instant::now();
        std::thread::sleep(delay);
        child.kill().unwrap(); // SIGKILL on Unix
        child.wait().unwrap();
        let (acked, mapped) = reader.join().unwrap();
        mapped_rounds += u64::from(mapped);
        assert!(start.elapsed() < Duration::from_secs(5));
        // Verify this round and every earlier one.
        acked_per_round.push(acked);
        // Verify this round now; every round again at the end (after later recoveries).
        let db = Db::open(small_opts(dir.path(), mode)).unwrap();
        verify(&db, round, acked_per_round.last().unwrap(), delay);
        db.close().unwrap();
    }
    let db = Db::open(small_opts(dir.path(), mode)).unwrap();
    for (r, acked) in acked_per_round.iter().enumerate() {
        verify(&db, r as u64, acked, Duration::ZERO);
    }
    let total: usize = acked_per_round.iter().map(Vec::len).sum();
    eprintln!("sigkill ({mode:?}): {total} acknowledged batches verified over {rounds} rounds");
    assert!(total > 0, "children never acknowledged a write");
    if mode == Mode::Mapped {
        // A round's child starts on a recovered segment, appended to with pwrite until
        // its first roll (256 KiB, a few hundred batches): most rounds get that far.
        assert!(
            mapped_rounds * 2 >= rounds,
            "only {mapped_rounds} of {rounds} children appended through a map"
        );
    } else {
        assert_eq!(mapped_rounds, 0, "sync children append with pwrite");
    }
    eprintln!("{mapped_rounds} of {rounds} rounds appended through a map");
}
