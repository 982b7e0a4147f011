//! Kill -9 crash test on the real file system: the test re-runs its own binary as a child
//! that writes under `Durability::Sync` and prints each acknowledged key; the parent
//! SIGKILLs it after a seeded random delay, reopens the database and checks that every
//! acknowledged key is present with its exact value. Repeated over several rounds on the
//! same directory, so recovery also runs on top of earlier recoveries.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use shale_engine::lsm::{Db, DbOptions};

/// Set in the child's environment to the database directory.
const CHILD_ENV: &str = "SHALE_LSM_SIGKILL_CHILD_DIR";
/// Set in the child's environment to the round number (keys are unique per round).
const ROUND_ENV: &str = "SHALE_LSM_SIGKILL_ROUND";
const ROUNDS: u64 = 12;
/// The child stops on its own after this many writes (the kill normally comes first).
const MAX_CHILD_WRITES: u64 = 200_000;
/// Longest kill delay; each round stays under a second.
const MAX_DELAY_MS: u64 = 400;
const SEED: u64 = 0x5EED_0F5A_1E00;

fn value_for(round: u64, i: u64) -> Vec<u8> {
    let len = 16 + (i * 37 + round) % 900;
    (0..len).map(|j| ((i + j + round) % 251) as u8).collect()
}

fn key_for(round: u64, i: u64) -> Vec<u8> {
    format!("r{round:02}-k{i:08}").into_bytes()
}

fn small_opts(dir: &std::path::Path) -> DbOptions {
    let mut o = DbOptions::new(dir);
    // Small sizes so flushes and compactions run inside one short round.
    o.memtable_bytes = 64 << 10;
    o.level_base_bytes = 256 << 10;
    o.target_file_bytes = 64 << 10;
    o.wal_segment_bytes = 256 << 10;
    o.l0_compaction_trigger = 2;
    o
}

/// The child's body: write until killed, printing each acknowledged key's index.
fn child(dir: &str) {
    let round: u64 = std::env::var(ROUND_ENV)
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(0);
    let db = Db::open(small_opts(std::path::Path::new(dir))).expect("child open");
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for i in 0..MAX_CHILD_WRITES {
        db.put(&key_for(round, i), &value_for(round, i))
            .expect("child put");
        writeln!(out, "{i}").expect("stdout");
        out.flush().expect("flush stdout");
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

#[test]
fn sigkill_keeps_every_acknowledged_write() {
    if let Ok(dir) = std::env::var(CHILD_ENV) {
        child(&dir);
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let exe = std::env::current_exe().unwrap();
    let mut rng = SplitMix(SEED);
    eprintln!("sigkill test seed {SEED:#x}");
    let mut acked_per_round = Vec::new();
    for round in 0..ROUNDS {
        let delay = Duration::from_millis(50 + rng.next() % MAX_DELAY_MS);
        let mut child = Command::new(&exe)
            .args([
                "--exact",
                "sigkill_keeps_every_acknowledged_write",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_ENV, dir.path())
            .env(ROUND_ENV, round.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let reader = std::thread::spawn(move || {
            let mut acked = Vec::new();
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Ok(i) = line.trim().parse::<u64>() {
                    acked.push(i);
                }
            }
            acked
        });
        let start = Instant::now();
        std::thread::sleep(delay);
        child.kill().unwrap(); // SIGKILL on Unix
        child.wait().unwrap();
        let acked = reader.join().unwrap();
        assert!(start.elapsed() < Duration::from_secs(5));
        // Verify this round and every earlier one.
        acked_per_round.push(acked);
        let db = Db::open(small_opts(dir.path())).unwrap();
        for (r, acked) in acked_per_round.iter().enumerate() {
            for &i in acked {
                let got = db.get(&key_for(r as u64, i), None).unwrap();
                assert_eq!(
                    got,
                    Some(value_for(r as u64, i)),
                    "round {r} key {i} (seed {SEED:#x}, delay {delay:?})"
                );
            }
        }
        db.close().unwrap();
    }
    let total: usize = acked_per_round.iter().map(Vec::len).sum();
    eprintln!("sigkill: {total} acknowledged writes verified over {ROUNDS} rounds");
    assert!(total > 0, "children never acknowledged a write");
}
