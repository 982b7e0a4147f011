//! Loom model of the transaction conflict detector (`shale_table::txn_claims`) and the
//! way the write path uses it with the item stripes.
//!
//! Run: `RUSTFLAGS="--cfg loom" cargo test -p shale-table --test loom_txn_claims --release`
//! (with its own `CARGO_TARGET_DIR`, as `.ci/run` does). Checks every interleaving of:
//! - two transactions claiming overlapping key sets: never both hold the shared key, a
//!   loser leaves nothing claimed, and at the end nothing is claimed;
//! - a transaction and a single-item write of one item, each doing its
//!   read-modify-write under the item's stripe as `write.rs` does (the write checks the
//!   claim before and after taking the stripe): no update is lost, and no claim
//!   outlives its transaction.
#![cfg(loom)]

use loom::sync::atomic::{AtomicUsize, Ordering};
use loom::sync::{Arc, Mutex};
use loom::thread;
use shale_table::txn_claims::TxnClaims;

#[test]
fn overlapping_transactions_never_both_hold_a_key() {
    loom::model(|| {
        let claims = Arc::new(TxnClaims::new(2));
        let holders_of_b = Arc::new(AtomicUsize::new(0));
        let spawn = |keys: Vec<&'static [u8]>| {
            let (claims, holders) = (claims.clone(), holders_of_b.clone());
            thread::spawn(move || {
                let keys: Vec<Vec<u8>> = keys.into_iter().map(<[u8]>::to_vec).collect();
                if let Ok(claim) = claims.try_claim(keys) {
                    assert!(claim.holds(b"b"));
                    let before = holders.fetch_add(1, Ordering::SeqCst);
                    assert_eq!(before, 0, "two transactions hold b");
                    holders.fetch_sub(1, Ordering::SeqCst);
                    drop(claim);
                    true
                } else {
                    false
                }
            })
        };
        let t1 = spawn(vec![b"a", b"b"]);
        let t2 = spawn(vec![b"b", b"c"]);
        let _ = t1.join().unwrap();
        let _ = t2.join().unwrap();
        for k in [b"a", b"b", b"c"] {
            assert!(!claims.is_claimed(k), "a claim outlived its transaction");
        }
    });
}

#[test]
fn a_single_write_and_a_transaction_never_lose_an_update() {
    loom::model(|| {
        let claims = Arc::new(TxnClaims::new(1));
        // The item's stripe, guarding its value (a counter).
        let stripe = Arc::new(Mutex::new(0u32));

        let txn = {
            let (claims, stripe) = (claims.clone(), stripe.clone());
            thread::spawn(move || {
                let claim = claims
                    .try_claim(vec![b"k".to_vec()])
                    .expect("no other transaction");
                {
                    let mut v = stripe.lock().unwrap();
                    *v += 1;
                }
                drop(claim);
            })
        };
        let write = {
            let (claims, stripe) = (claims.clone(), stripe.clone());
            thread::spawn(move || {
                // As write.rs: the claim is checked before the stripe and under it.
                if claims.is_claimed(b"k") {
                    return false;
                }
                let mut v = stripe.lock().unwrap();
                if claims.is_claimed(b"k") {
                    return false;
                }
                *v += 10;
                true
            })
        };
        txn.join().unwrap();
        let wrote = write.join().unwrap();
        let v = *stripe.lock().unwrap();
        assert_eq!(v, 1 + if wrote { 10 } else { 0 }, "an update was lost");
        assert!(!claims.is_claimed(b"k"));
    });
}
