//! Model-based test: random sequences of appends, syncs, crashes (clean and torn),
//! reopens and releases against a plain `Vec` of what was appended. proptest shrinks a
//! failure to a minimal op sequence and records it in `proptest-regressions/` for replay.

mod common;

use std::path::PathBuf;
use std::sync::Arc;

use common::*;
use proptest::prelude::*;
use shale_io::clock::ManualClock;
use shale_io::FaultFs;
use shale_wal::{Durability, Error, Wal, WalOptions};

const MAX_OPS: usize = 40;

#[derive(Debug, Clone)]
enum Op {
    Append { len: usize },
    AppendNowait { len: usize },
    Sync,
    CloseReopen,
    Crash { torn_seed: Option<u64> },
    Release { back: u64 },
    AdvanceClock { micros: u64 },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (0usize..700).prop_map(|len| Op::Append { len }),
        3 => (0usize..300).prop_map(|len| Op::AppendNowait { len }),
        1 => Just(Op::Sync),
        1 => Just(Op::CloseReopen),
        2 => proptest::option::of(any::<u64>()).prop_map(|torn_seed| Op::Crash { torn_seed }),
        1 => (0u64..20).prop_map(|back| Op::Release { back }),
        1 => (0u64..5_000).prop_map(|micros| Op::AdvanceClock { micros }),
    ]
}

fn body(lsn: u64, len: usize) -> Vec<u8> {
    (0..len).map(|i| (lsn as usize * 31 + i) as u8).collect()
}

struct Harness {
    fs: FaultFs,
    dir: PathBuf,
    clock: ManualClock,
    durability: Durability,
    wal: Option<Wal>,
    /// Payload of LSN i+1: everything appended that the log may still hold.
    model: Vec<Vec<u8>>,
    /// Records up to here were acknowledged durable (synced).
    durable: u64,
    /// Oldest LSN still readable (after releases).
    oldest: u64,
}

impl Harness {
    fn opts(&self) -> WalOptions {
        let mut o = opts(Arc::new(self.fs.clone()), &self.dir, &self.clock);
        o.durability = self.durability;
        o
    }
    fn wal(&self) -> &Wal {
        self.wal.as_ref().unwrap()
    }
    fn reopen(&mut self) {
        self.wal = Some(Wal::open(self.opts()).unwrap());
    }
    fn check(&self) {
        let wal = self.wal();
        assert_eq!(wal.last_lsn(), self.model.len() as u64);
        let recs: Vec<_> = wal
            .read_from_lsn(self.oldest)
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        // Only what was written to the OS is readable; the rest is in the buffer.
        let written = recs.len() as u64 + self.oldest - 1;
        assert!(written <= self.model.len() as u64);
        for r in &recs {
            assert_eq!(r.payload, self.model[(r.lsn - 1) as usize], "LSN {}", r.lsn);
        }
        for (i, r) in recs.iter().enumerate() {
            assert_eq!(r.lsn, self.oldest + i as u64);
        }
    }
    fn apply(&mut self, op: &Op) {
        match *op {
            Op::Append { len } => {
                let lsn = self.model.len() as u64 + 1;
                assert_eq!(self.wal().append(1, &body(lsn, len)).unwrap(), lsn);
                self.model.push(body(lsn, len));
                if self.durability == Durability::Sync {
                    self.durable = lsn;
                }
            }
            Op::AppendNowait { len } => {
                let lsn = self.model.len() as u64 + 1;
                assert_eq!(self.wal().append_nowait(2, &body(lsn, len)).unwrap(), lsn);
                self.model.push(body(lsn, len));
            }
            Op::Sync => {
                self.wal().sync().unwrap();
                self.durable = self.model.len() as u64;
            }
            Op::CloseReopen => {
                self.wal.take().unwrap().close().unwrap();
                self.durable = self.model.len() as u64;
                self.reopen();
            }
            Op::Crash { torn_seed } => {
                match torn_seed {
                    Some(seed) => self.fs.crash_torn(seed),
                    None => self.fs.crash(),
                }
                drop(self.wal.take());
                self.reopen();
                let last = self.wal().last_lsn();
                assert!(
                    last >= self.durable && last <= self.model.len() as u64,
                    "recovered {last}, durable {}, appended {}",
                    self.durable,
                    self.model.len()
                );
                self.model.truncate(last as usize);
                self.durable = last;
                self.oldest = self.oldest.min(last + 1).max(1);
            }
            Op::Release { back } => {
                let cut = (self.model.len() as u64).saturating_sub(back).max(1);
                self.wal().release_before(cut).unwrap();
                // Whatever was released, `cut` itself stays readable.
                match self.wal().read_from_lsn(self.oldest) {
                    Ok(_) => {}
                    Err(Error::LsnReleased {
                        oldest_available, ..
                    }) => {
                        assert!(oldest_available <= cut);
                        self.oldest = oldest_available;
                    }
                    Err(e) => panic!("{e}"),
                }
            }
            Op::AdvanceClock { micros } => self.clock.advance_micros(micros),
        }
    }
}

fn run(ops: &[Op], durability: Durability) {
    let (fs, dir) = fault_fs();
    let mut h = Harness {
        fs,
        dir,
        clock: ManualClock::new(1),
        durability,
        wal: None,
        model: Vec::new(),
        durable: 0,
        oldest: 1,
    };
    h.reopen();
    for op in ops {
        h.apply(op);
        h.check();
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn wal_matches_model_under_sync(ops in proptest::collection::vec(op(), 1..MAX_OPS)) {
        run(&ops, Durability::Sync);
    }

    #[test]
    fn wal_matches_model_under_none(ops in proptest::collection::vec(op(), 1..MAX_OPS)) {
        run(&ops, Durability::None);
    }
}
