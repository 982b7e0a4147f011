//! A fixed-rate, keep-alive load generator for `shale-server`: GetItem and PutItem of
//! 1 KB items (10 attributes × 100 bytes, YCSB's record shape) over loopback.
//!
//! ```text
//! cargo run --release -p shale-server -- --in-memory --port 8000 &
//! cargo run --release -p shale-server --example loadgen -- --addr 127.0.0.1:8000
//! ```
//!
//! Latency is measured from each request's *intended* start time on a fixed schedule, so a
//! stall is charged to every request it delays (no coordinated omission), and recorded in
//! an HdrHistogram with 3 significant digits, in microseconds. The service time (from the
//! actual send to the full response) is reported beside it: the gap between the two is
//! queueing plus the load generator's own timer overshoot.

#[path = "../tests/common/http.rs"]
mod http;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use serde_json::{json, Value};

const TABLE: &str = "loadgen";
const FIELDS: usize = 10;
const FIELD_BYTES: usize = 100;
/// Highest latency the histogram tracks: 60 s in µs.
const MAX_TRACKED_US: u64 = 60_000_000;
/// Upper bounds on the flags, so a typo cannot start an endless run.
const MAX_SECONDS: u64 = 600;
const MAX_CONNECTIONS: usize = 256;
const MAX_KEYS: u64 = 10_000_000;

struct Options {
    addr: SocketAddr,
    connections: usize,
    rate: u64,
    seconds: u64,
    keys: u64,
    seed: u64,
}

fn parse() -> Result<Options, String> {
    let mut o = Options {
        addr: "127.0.0.1:8000".parse().map_err(|_| "default addr")?,
        connections: 4,
        rate: 2000,
        seconds: 10,
        keys: 10_000,
        seed: 42,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().ok_or(format!("{flag} needs a value"))?;
        let bad = |_| format!("bad value for {flag}: {value}");
        match flag.as_str() {
            "--addr" => o.addr = value.parse().map_err(|_| format!("bad --addr {value}"))?,
            "--connections" => o.connections = value.parse().map_err(bad)?,
            "--rate" => o.rate = value.parse().map_err(bad)?,
            "--seconds" => o.seconds = value.parse().map_err(bad)?,
            "--keys" => o.keys = value.parse().map_err(bad)?,
            "--seed" => o.seed = value.parse().map_err(bad)?,
            _ => return Err(format!("unknown flag {flag}")),
        }
    }
    if o.connections == 0 || o.connections > MAX_CONNECTIONS {
        return Err(format!("--connections must be 1..={MAX_CONNECTIONS}"));
    }
    if o.seconds == 0 || o.seconds > MAX_SECONDS {
        return Err(format!("--seconds must be 1..={MAX_SECONDS}"));
    }
    if o.keys == 0 || o.keys > MAX_KEYS || o.rate == 0 {
        return Err(format!("--keys must be 1..={MAX_KEYS} and --rate > 0"));
    }
    Ok(o)
}

/// SplitMix64: a seeded, dependency-free key chooser.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

fn key(n: u64) -> String {
    format!("user{n:012}")
}

fn item(n: u64, version: u64) -> Value {
    let mut m = serde_json::Map::new();
    m.insert("pk".into(), json!({"S": key(n)}));
    for f in 0..FIELDS {
        let fill = char::from(b'a' + ((n + version + f as u64) % 26) as u8);
        m.insert(
            format!("field{f}"),
            json!({"S": fill.to_string().repeat(FIELD_BYTES)}),
        );
    }
    Value::Object(m)
}

fn must(resp: std::io::Result<http::Response>, what: &str) -> http::Response {
    let r = resp.unwrap_or_else(|e| panic!("{what}: {e}"));
    assert_eq!(
        r.status,
        200,
        "{what}: {}",
        String::from_utf8_lossy(&r.body)
    );
    r
}

fn setup(o: &Options) {
    let mut c = http::Client::connect(o.addr).expect("connect");
    let existing = must(c.call("ListTables", &json!({})), "ListTables").json();
    if existing["TableNames"]
        .as_array()
        .is_some_and(|a| a.iter().any(|t| t == TABLE))
    {
        must(
            c.call("DeleteTable", &json!({"TableName": TABLE})),
            "DeleteTable",
        );
    }
    must(
        c.call(
            "CreateTable",
            &json!({
                "TableName": TABLE,
                "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
                "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
                "BillingMode": "PAY_PER_REQUEST"
            }),
        ),
        "CreateTable",
    );
    let started = Instant::now();
    for n in 0..o.keys {
        must(
            c.call("PutItem", &json!({"TableName": TABLE, "Item": item(n, 0)})),
            "load PutItem",
        );
    }
    println!(
        "loaded {} items of ~1 KB in {:.2?}",
        o.keys,
        started.elapsed()
    );
}

#[derive(Clone, Copy)]
enum Op {
    Get,
    Put,
}

/// Margin before a request's intended time at which the client stops sleeping and spins:
/// a sleep overshoots by tens of µs (timer slack, scheduling), which would be charged to
/// the server as latency.
const SPIN_MARGIN: Duration = Duration::from_micros(60);

/// Blocks until `intended` after `start`: sleeps most of the way, then spins.
fn wait_until(start: Instant, intended: Duration) {
    if let Some(wait) = intended.checked_sub(start.elapsed() + SPIN_MARGIN) {
        std::thread::sleep(wait);
    }
    while start.elapsed() < intended {
        std::hint::spin_loop();
    }
}

fn run_phase(o: &Options, op: Op) {
    let per_conn_interval =
        Duration::from_nanos(1_000_000_000 * o.connections as u64 / o.rate.max(1));
    let deadline = Duration::from_secs(o.seconds);
    let threads: Vec<_> = (0..o.connections)
        .map(|t| {
            let connections = o.connections;
            let addr = o.addr;
            let keys = o.keys;
            let seed = o.seed.wrapping_add(t as u64 * 7919);
            std::thread::spawn(move || {
                let mut hist =
                    Histogram::<u64>::new_with_bounds(1, MAX_TRACKED_US, 3).expect("histogram");
                let mut service =
                    Histogram::<u64>::new_with_bounds(1, MAX_TRACKED_US, 3).expect("histogram");
                let mut c = http::Client::connect(addr).expect("connect");
                let mut rng = Rng(seed);
                let start = Instant::now();
                // Connections are staggered over one interval, so the schedule is an even
                // stream of requests rather than a burst of `connections` at each tick.
                let offset = per_conn_interval * t as u32 / connections as u32;
                let mut i: u32 = 0;
                loop {
                    let intended = offset + per_conn_interval * i;
                    if intended >= deadline {
                        break;
                    }
                    wait_until(start, intended);
                    let n = rng.next() % keys;
                    let sent = Instant::now();
                    let resp = match op {
                        Op::Get => c.call(
                            "GetItem",
                            &json!({"TableName": TABLE, "Key": {"pk": {"S": key(n)}}}),
                        ),
                        Op::Put => c.call(
                            "PutItem",
                            &json!({"TableName": TABLE, "Item": item(n, u64::from(i))}),
                        ),
                    };
                    must(resp, "request");
                    let latency = start.elapsed().saturating_sub(intended);
                    let us = u64::try_from(latency.as_micros()).unwrap_or(MAX_TRACKED_US);
                    hist.saturating_record(us.clamp(1, MAX_TRACKED_US));
                    let us = u64::try_from(sent.elapsed().as_micros()).unwrap_or(MAX_TRACKED_US);
                    service.saturating_record(us.clamp(1, MAX_TRACKED_US));
                    i += 1;
                }
                (hist, service, start.elapsed())
            })
        })
        .collect();
    let mut total = Histogram::<u64>::new_with_bounds(1, MAX_TRACKED_US, 3).expect("histogram");
    let mut service = total.clone();
    let mut longest = Duration::ZERO;
    for t in threads {
        let (h, s, elapsed) = t.join().expect("worker");
        total.add(&h).expect("same bounds");
        service.add(&s).expect("same bounds");
        longest = longest.max(elapsed);
    }
    let name = match op {
        Op::Get => "GetItem",
        Op::Put => "PutItem",
    };
    println!(
        "{name}: {} ops in {:.2?} = {:.0} ops/s (target {}), latency µs p50 {} p90 {} p99 {} p99.9 {} max {}",
        total.len(),
        longest,
        total.len() as f64 / longest.as_secs_f64(),
        o.rate,
        total.value_at_quantile(0.50),
        total.value_at_quantile(0.90),
        total.value_at_quantile(0.99),
        total.value_at_quantile(0.999),
        total.max(),
    );
    println!(
        "{name}: service time µs p50 {} p90 {} p99 {} p99.9 {} max {}",
        service.value_at_quantile(0.50),
        service.value_at_quantile(0.90),
        service.value_at_quantile(0.99),
        service.value_at_quantile(0.999),
        service.max(),
    );
}

fn main() {
    let o = match parse() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("loadgen: {e}\nflags: --addr H:P --connections N --rate OPS --seconds S --keys N --seed N");
            std::process::exit(2);
        }
    };
    println!(
        "loadgen: {} keep-alive connections, {} ops/s total, {} s per phase, {} keys, seed {}",
        o.connections, o.rate, o.seconds, o.keys, o.seed
    );
    setup(&o);
    run_phase(&o, Op::Get);
    run_phase(&o, Op::Put);
}
