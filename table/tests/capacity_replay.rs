//! Replayable: the same seed and requests on the same simulated clock give the same
//! throttling decisions, request by request, whatever the policy.

mod support;

use std::sync::Arc;

use shale_io::clock::ManualClock;
use shale_table::capacity::{AdmissionPolicy, BorrowUnused, FixedShare};
use support::*;

/// xorshift64*: a tiny seeded generator (no dependency, same sequence everywhere).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

/// Runs `ops` seeded requests against a fresh database; returns each one's outcome
/// (true: admitted).
fn run(seed: u64, policy: Arc<dyn AdmissionPolicy>, ops: usize) -> Vec<bool> {
    let clock = ManualClock::new(1_700_000_000_000_000);
    let db = capacity_db(&clock, empty_buckets(policy));
    // 2,000 WCU and 3,000 RCU: two partitions.
    db.create_table(provisioned_table("Replay", 3000, 2000))
        .unwrap();
    let mut rng = Rng(seed | 1);
    let mut decisions = Vec::with_capacity(ops);
    for _ in 0..ops {
        let r = rng.next();
        // A skewed key choice: a quarter of requests hit one hot key.
        let key = if r.is_multiple_of(4) {
            "hot".to_string()
        } else {
            format!("k{}", (r >> 8) % 1000)
        };
        let ok = match (r >> 40) % 8 {
            0 => {
                clock.advance_micros((r >> 20) % 2_000);
                true
            }
            1..=5 => !throttled(&put_small(&db, "Replay", &key)),
            _ => !throttled(&get_consistent(&db, "Replay", &key)),
        };
        decisions.push(ok);
    }
    decisions
}

#[test]
fn the_same_seed_and_requests_give_the_same_decisions() {
    for seed in [1, 42, 0xDEAD_BEEF] {
        for policy in [
            Arc::new(FixedShare) as Arc<dyn AdmissionPolicy>,
            Arc::new(BorrowUnused),
        ] {
            let a = run(seed, policy.clone(), 20_000);
            let b = run(seed, policy.clone(), 20_000);
            assert_eq!(a, b, "seed {seed}, policy {}", policy.name());
            let refused = a.iter().filter(|ok| !**ok).count();
            // The load is over the rate: the run must exercise throttling to mean anything.
            assert!(refused > 0, "seed {seed}: nothing throttled");
        }
    }
}
