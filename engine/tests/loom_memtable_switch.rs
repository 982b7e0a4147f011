//! loom model of the memtable switch hand-off (`shale_engine::lsm::handoff::SwitchCell`,
//! the exact type the engine uses): writers assign a sequence number and insert under the
//! shared guard, a switcher freezes the active memtable recording the boundary, a flusher
//! moves the frozen memtable into the "version" in one swap, and a reader loads the state.
//! Checked: no insert lands in a memtable after it was frozen (every entry of a frozen
//! memtable is at or below its boundary), no write is lost or duplicated, and a reader
//! always finds every write that completed before it loaded the state.
//!
//! Run: `RUSTFLAGS="--cfg loom" cargo test -p shale-engine --test loom_memtable_switch --release`
#![cfg(loom)]

use loom::sync::atomic::{AtomicU64, Ordering};
use loom::sync::{Arc, Mutex};
use shale_engine::lsm::handoff::SwitchCell;

type Mem = Arc<Mutex<Vec<u64>>>;

/// Preemptions loom explores per execution.
const PREEMPTION_BOUND: usize = 3;
/// Writes by the writer thread.
const WRITES: u64 = 2;

#[derive(Clone)]
struct State {
    active: Mem,
    /// Frozen memtables with their boundary, newest first.
    frozen: Vec<(Mem, u64)>,
    /// What flushes moved into tables.
    flushed: Arc<Vec<u64>>,
}

fn all_entries(s: &State) -> Vec<u64> {
    let mut v = s.active.lock().unwrap().clone();
    for (m, _) in &s.frozen {
        v.extend(m.lock().unwrap().iter());
    }
    v.extend(s.flushed.iter());
    v.sort_unstable();
    v
}

#[test]
fn switch_and_flush_never_lose_or_misplace_a_write() {
    // Bounded preemptions keep the state space small enough for CI (well under a minute);
    // three preemptions find most real ordering bugs.
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = Some(PREEMPTION_BOUND);
    builder.check(|| {
        let cell = Arc::new(SwitchCell::new(State {
            active: Arc::new(Mutex::new(Vec::new())),
            frozen: Vec::new(),
            flushed: Arc::new(Vec::new()),
        }));
        let last_assigned = Arc::new(AtomicU64::new(0));

        let writer = {
            let (cell, last) = (cell.clone(), last_assigned.clone());
            loom::thread::spawn(move || {
                for _ in 0..WRITES {
                    let g = cell.write_guard();
                    let seq = last.fetch_add(1, Ordering::SeqCst) + 1;
                    g.active.lock().unwrap().push(seq);
                    drop(g);
                    // A reader that starts after the write completed must find it.
                    let s = cell.load();
                    assert!(
                        all_entries(&s).contains(&seq),
                        "completed write {seq} not visible"
                    );
                }
            })
        };
        let switcher = {
            let (cell, last) = (cell.clone(), last_assigned.clone());
            loom::thread::spawn(move || {
                cell.swap_with(|cur| {
                    let boundary = last.load(Ordering::SeqCst);
                    let mut frozen = vec![(cur.active.clone(), boundary)];
                    frozen.extend(cur.frozen.iter().cloned());
                    Some((
                        State {
                            active: Arc::new(Mutex::new(Vec::new())),
                            frozen,
                            flushed: cur.flushed.clone(),
                        },
                        (),
                    ))
                });
            })
        };
        let flusher = {
            let cell = cell.clone();
            loom::thread::spawn(move || {
                let s = cell.load();
                let Some((mem, boundary)) = s.frozen.last().cloned() else {
                    return;
                };
                let contents = mem.lock().unwrap().clone();
                assert!(
                    contents.iter().all(|&x| x <= boundary),
                    "insert after freeze"
                );
                cell.swap_with(|cur| {
                    let frozen = cur
                        .frozen
                        .iter()
                        .filter(|(m, _)| !Arc::ptr_eq(m, &mem))
                        .cloned()
                        .collect();
                    let mut flushed = (*cur.flushed).clone();
                    flushed.extend(contents.iter());
                    Some((
                        State {
                            active: cur.active.clone(),
                            frozen,
                            flushed: Arc::new(flushed),
                        },
                        (),
                    ))
                });
            })
        };
        writer.join().unwrap();
        switcher.join().unwrap();
        flusher.join().unwrap();
        let s = cell.load();
        assert_eq!(
            all_entries(&s),
            (1..=WRITES).collect::<Vec<_>>(),
            "every write exactly once"
        );
    });
}

/// Two writers racing each other and a switch: each takes its number and inserts under the
/// shared guard, so whatever the interleaving, the frozen memtable holds exactly the
/// numbers at or below its boundary and the new one exactly those above it.
#[test]
fn concurrent_writers_split_exactly_at_the_switch_boundary() {
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = Some(PREEMPTION_BOUND);
    builder.check(|| {
        let cell = Arc::new(SwitchCell::new(State {
            active: Arc::new(Mutex::new(Vec::new())),
            frozen: Vec::new(),
            flushed: Arc::new(Vec::new()),
        }));
        let last_assigned = Arc::new(AtomicU64::new(0));
        let writers: Vec<_> = (0..2)
            .map(|_| {
                let (cell, last) = (cell.clone(), last_assigned.clone());
                loom::thread::spawn(move || {
                    let g = cell.write_guard();
                    let seq = last.fetch_add(1, Ordering::SeqCst) + 1;
                    g.active.lock().unwrap().push(seq);
                })
            })
            .collect();
        cell.swap_with(|cur| {
            let boundary = last_assigned.load(Ordering::SeqCst);
            Some((
                State {
                    active: Arc::new(Mutex::new(Vec::new())),
                    frozen: vec![(cur.active.clone(), boundary)],
                    flushed: cur.flushed.clone(),
                },
                (),
            ))
        });
        for w in writers {
            w.join().unwrap();
        }
        let s = cell.load();
        let (frozen, boundary) = &s.frozen[0];
        let mut old = frozen.lock().unwrap().clone();
        old.sort_unstable();
        let mut new = s.active.lock().unwrap().clone();
        new.sort_unstable();
        assert_eq!(old, (1..=*boundary).collect::<Vec<_>>(), "frozen side");
        assert_eq!(new, (*boundary + 1..=2).collect::<Vec<_>>(), "active side");
    });
}
