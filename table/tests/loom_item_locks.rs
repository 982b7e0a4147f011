//! Loom model of the per-key item locks (`shale_table::item_locks`).
//!
//! Run: `RUSTFLAGS="--cfg loom" cargo test -p shale-table --test loom_item_locks --release`
//! (with its own `CARGO_TARGET_DIR`, as `.ci/run` does). Checks every interleaving of:
//! - two writes locking {a, b} in opposite orders over one shard: never both hold a key,
//!   and no deadlock (loom reports one if a waiter sleeps forever);
//! - two writes of one key and a third of another key of the same shard: the waiter is
//!   woken by the release (no lost wake-up), and the third never needs the others.
#![cfg(loom)]

use loom::sync::atomic::{AtomicUsize, Ordering};
use loom::sync::Arc;
use loom::thread;
use shale_table::item_locks::ItemLocks;

/// Locks `keys`, checks exclusive ownership of each through its counter, unlocks.
fn hold(locks: &ItemLocks, keys: &[&'static [u8]], owners: &[AtomicUsize; 2]) {
    let _set = locks.lock(keys.iter().copied());
    for k in keys {
        let i = usize::from(k[0] - b'a');
        assert_eq!(owners[i].fetch_add(1, Ordering::SeqCst), 0, "two holders");
    }
    for k in keys {
        let i = usize::from(k[0] - b'a');
        owners[i].fetch_sub(1, Ordering::SeqCst);
    }
}

#[test]
fn opposite_orders_exclude_and_do_not_deadlock() {
    loom::model(|| {
        let locks = Arc::new(ItemLocks::new(1));
        let owners = Arc::new([AtomicUsize::new(0), AtomicUsize::new(0)]);
        let t = {
            let (locks, owners) = (locks.clone(), owners.clone());
            thread::spawn(move || hold(&locks, &[b"a", b"b"], &owners))
        };
        hold(&locks, &[b"b", b"a"], &owners);
        t.join().unwrap();
    });
}

#[test]
fn a_waiter_is_woken_and_other_keys_go_on() {
    loom::model(|| {
        let locks = Arc::new(ItemLocks::new(1));
        let owners = Arc::new([AtomicUsize::new(0), AtomicUsize::new(0)]);
        let spawn = |key: &'static [u8]| {
            let (locks, owners) = (locks.clone(), owners.clone());
            thread::spawn(move || hold(&locks, &[key], &owners))
        };
        let t1 = spawn(b"a");
        let t2 = spawn(b"a");
        hold(&locks, &[b"b"], &owners);
        t1.join().unwrap();
        t2.join().unwrap();
    });
}
