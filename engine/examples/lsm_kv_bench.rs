//! Whole-engine figures for the LSM report: random 1 KiB writes under `Sync` with 1 and 4
//! threads (group commit), under `Buffered`, and random reads after a bulk load.
//!
//! Run: `scargo run --release -p shale-engine --example lsm_kv_bench`
//! Environment: `SHALE_BENCH_DIR` (default: a temp dir), `SHALE_BENCH_READ_KEYS`
//! (keys loaded before the read phase, default 1,000,000), `SHALE_BENCH_SEED`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use shale_engine::lsm::{Db, DbOptions, Durability};

const VALUE_BYTES: usize = 1024;
const SYNC_WRITES_PER_THREAD: usize = 2_000;
const BUFFERED_WRITES: usize = 50_000;
const READS: usize = 200_000;
const LOAD_BATCH: usize = 100;

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

fn key(i: u64) -> [u8; 16] {
    let mut k = [0u8; 16];
    k[..8].copy_from_slice(&i.wrapping_mul(0x9e37_79b9_7f4a_7c15).to_be_bytes());
    k[8..].copy_from_slice(&i.to_be_bytes());
    k
}

fn report(name: &str, mut lat_us: Vec<f64>, wall: Duration) {
    lat_us.sort_by(f64::total_cmp);
    let pct = |p: f64| lat_us[((lat_us.len() as f64 - 1.0) * p).round() as usize];
    println!(
        "{name:<34} ops={:>8} ops/s={:>10.0} p50={:>8.1}us p99={:>8.1}us p99.9={:>8.1}us",
        lat_us.len(),
        lat_us.len() as f64 / wall.as_secs_f64(),
        pct(0.50),
        pct(0.99),
        pct(0.999)
    );
}

fn writes(
    dir: &std::path::Path,
    durability: Durability,
    threads: usize,
    per_thread: usize,
    seed: u64,
) -> Db {
    let db = Arc::new(Db::open(DbOptions::new(dir).with_durability(durability)).expect("open"));
    let start = Instant::now();
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            let db = db.clone();
            std::thread::spawn(move || {
                let mut rng = Rng(seed ^ (t as u64 + 1));
                let value = vec![t as u8; VALUE_BYTES];
                let mut lat = Vec::with_capacity(per_thread);
                for _ in 0..per_thread {
                    let k = key(rng.next() % 10_000_000);
                    let t0 = Instant::now();
                    db.put(&k, &value).expect("put");
                    lat.push(t0.elapsed().as_secs_f64() * 1e6);
                }
                lat
            })
        })
        .collect();
    let lat: Vec<f64> = handles
        .into_iter()
        .flat_map(|h| h.join().expect("join"))
        .collect();
    let wall = start.elapsed();
    let name = format!("write 1KiB {durability:?} x{threads}");
    report(&name, lat, wall);
    Arc::try_unwrap(db).expect("sole owner")
}

fn main() {
    let seed: u64 = std::env::var("SHALE_BENCH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(42);
    let read_keys: u64 = std::env::var("SHALE_BENCH_READ_KEYS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let tmp = tempfile::tempdir().expect("tempdir");
    let base = std::env::var("SHALE_BENCH_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| tmp.path().to_path_buf());
    println!("lsm_kv_bench seed={seed} dir={}", base.display());

    for (i, threads) in [1usize, 4].into_iter().enumerate() {
        let db = writes(
            &base.join(format!("sync{i}")),
            Durability::Sync,
            threads,
            SYNC_WRITES_PER_THREAD,
            seed,
        );
        db.close().expect("close");
    }
    let buffered = Durability::Buffered {
        interval: Duration::from_millis(10),
    };
    let db = writes(&base.join("buffered"), buffered, 1, BUFFERED_WRITES, seed);
    let s = db.stats();
    println!(
        "  buffered stats: write_amp={:.2} flushes={} stall_us={}",
        s.write_amplification, s.flushes, s.stall_micros
    );
    db.close().expect("close");

    // Bulk load, then random point reads.
    let dir = base.join("reads");
    let db = Db::open(DbOptions::new(&dir).with_durability(Durability::None)).expect("open");
    let value = vec![5u8; VALUE_BYTES];
    let t0 = Instant::now();
    let mut i = 0u64;
    while i < read_keys {
        let mut b = shale_engine::WriteBatch::new();
        for j in i..(i + LOAD_BATCH as u64).min(read_keys) {
            b.put(key(j).to_vec(), value.clone());
        }
        db.write(b).expect("load");
        i += LOAD_BATCH as u64;
    }
    db.flush().expect("flush");
    let load = t0.elapsed();
    println!(
        "load {read_keys} x 1KiB (None, batches of {LOAD_BATCH}): {:.1}s, {:.0} keys/s",
        load.as_secs_f64(),
        read_keys as f64 / load.as_secs_f64()
    );
    let mut rng = Rng(seed);
    let mut lat = Vec::with_capacity(READS);
    let start = Instant::now();
    for _ in 0..READS {
        let k = key(rng.next() % read_keys);
        let t = Instant::now();
        let v = db.get(&k, None).expect("get");
        lat.push(t.elapsed().as_secs_f64() * 1e6);
        assert!(v.is_some(), "loaded key missing");
    }
    report(
        &format!("random get over {read_keys} keys"),
        lat,
        start.elapsed(),
    );
    let s = db.stats();
    println!(
        "  read stats: levels={:?} write_amp={:.2} bloom_checks={} bloom_useful={} cache_hits={:?}",
        s.levels.iter().map(|l| l.files).collect::<Vec<_>>(),
        s.write_amplification,
        s.bloom_checks,
        s.bloom_useful,
        s.block_cache
    );
    db.close().expect("close");
}
