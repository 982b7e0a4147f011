//! Loom model of the token bucket (`shale_table::capacity::bucket::Bucket`) under
//! concurrent refill and charge.
//!
//! Run: `RUSTFLAGS="--cfg loom" cargo test -p shale-table --test loom_capacity_bucket --release`
//! (with its own `CARGO_TARGET_DIR`, as `.ci/run` does). Checks every interleaving of:
//! - two threads each refilling to a different clock time and charging: every microsecond
//!   is credited exactly once and every charge is taken exactly once;
//! - a refill that hits the cap racing a charge: the balance ends at the cap or at the cap
//!   less the charge, never above the cap and never with the charge lost twice.
#![cfg(loom)]

use loom::sync::Arc;
use loom::thread;
use shale_table::capacity::bucket::{Bucket, MICROS_PER_UNIT};

const RATE: u64 = MICROS_PER_UNIT as u64; // one unit per second

#[test]
fn concurrent_refills_credit_each_microsecond_once_and_keep_every_charge() {
    loom::model(|| {
        let b = Arc::new(Bucket::new(RATE, i64::MAX, 0, 0));
        let t1 = {
            let b = b.clone();
            thread::spawn(move || {
                b.refill(500_000);
                b.charge(100);
            })
        };
        let t2 = {
            let b = b.clone();
            thread::spawn(move || {
                b.refill(1_000_000);
                b.charge(200);
            })
        };
        t1.join().unwrap();
        t2.join().unwrap();
        // Whatever interleaving: one second credited once, both charges taken.
        assert_eq!(b.balance_at(1_000_000), MICROS_PER_UNIT - 300);
    });
}

#[test]
fn a_capped_refill_racing_a_charge_never_exceeds_the_cap() {
    loom::model(|| {
        let cap = 600_000;
        let b = Arc::new(Bucket::new(RATE, cap, 0, 0));
        let t1 = {
            let b = b.clone();
            thread::spawn(move || b.refill(1_000_000))
        };
        let t2 = {
            let b = b.clone();
            thread::spawn(move || b.charge(100))
        };
        t1.join().unwrap();
        t2.join().unwrap();
        let end = b.balance();
        assert!(end == cap || end == cap - 100, "balance {end}");
    });
}
