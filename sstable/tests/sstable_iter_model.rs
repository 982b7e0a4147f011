//! Model test: random tables and random cursor moves (seek, seek_for_prev, seek_at_seq,
//! next, prev, first, last) against a sorted Vec. Small alphabets and tiny blocks make
//! keys collide, versions straddle blocks, and restarts land everywhere. proptest prints
//! the minimal failing table and op list; it replays from `proptest-regressions/`.

mod common;

use std::path::Path;

use common::{open_table, write_table, Entry};
use proptest::prelude::*;
use shale_io::FaultFs;
use shale_sstable::{entry_cmp, TableOptions, ValueKind};

#[derive(Debug, Clone)]
enum Op {
    First,
    Last,
    Seek(Vec<u8>),
    SeekAtSeq(Vec<u8>, u64),
    SeekForPrev(Vec<u8>),
    Next,
    Prev,
}

fn key() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(
        prop::sample::select(vec![b'a', b'b', b'c', 0u8, 0xff]),
        0..4,
    )
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        1 => Just(Op::First),
        1 => Just(Op::Last),
        2 => key().prop_map(Op::Seek),
        2 => (key(), 0u64..25).prop_map(|(k, s)| Op::SeekAtSeq(k, s)),
        2 => key().prop_map(Op::SeekForPrev),
        4 => Just(Op::Next),
        4 => Just(Op::Prev),
    ]
}

fn table_entries() -> impl Strategy<Value = Vec<Entry>> {
    prop::collection::vec(
        (
            key(),
            0u64..20,
            any::<bool>(),
            prop::collection::vec(any::<u8>(), 0..12),
        ),
        0..80,
    )
    .prop_map(|raw| {
        let mut es: Vec<Entry> = raw
            .into_iter()
            .map(|(k, s, del, v)| {
                if del {
                    (k, s, ValueKind::Delete, vec![])
                } else {
                    (k, s, ValueKind::Put, v)
                }
            })
            .collect();
        es.sort_by(|a, b| entry_cmp(&a.0, a.1, &b.0, b.1));
        es.dedup_by(|a, b| a.0 == b.0 && a.1 == b.1);
        es
    })
}

/// The model's answer for each op, as an index into `es`.
fn model_step(es: &[Entry], pos: Option<usize>, op: &Op) -> Option<usize> {
    match op {
        Op::First => (!es.is_empty()).then_some(0),
        Op::Last => es.len().checked_sub(1),
        Op::Seek(t) => es.iter().position(|e| e.0 >= *t),
        Op::SeekAtSeq(t, s) => es.iter().position(|e| entry_cmp(&e.0, e.1, t, *s).is_ge()),
        Op::SeekForPrev(t) => es.iter().rposition(|e| e.0 <= *t),
        Op::Next => pos.and_then(|i| (i + 1 < es.len()).then_some(i + 1)),
        Op::Prev => pos.and_then(|i| i.checked_sub(1)),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]
    #[test]
    fn cursor_moves_match_a_sorted_vec(
        es in table_entries(),
        ops in prop::collection::vec(op(), 1..60),
        block_size_bytes in 1usize..160,
        restart_interval in 1usize..6,
    ) {
        let fs = FaultFs::new();
        let path = Path::new("/db/model.sst");
        let opts = TableOptions { block_size_bytes, restart_interval, bloom_bits_per_key: 10, ..TableOptions::default() };
        write_table(&fs, path, &es, opts);
        let table = open_table(&fs, path, 1, None).unwrap();
        let mut it = table.iter();
        let mut pos = None;
        for (step, op) in ops.iter().enumerate() {
            match op {
                Op::First => it.seek_to_first(),
                Op::Last => it.seek_to_last(),
                Op::Seek(t) => it.seek(t),
                Op::SeekAtSeq(t, s) => it.seek_at_seq(t, *s),
                Op::SeekForPrev(t) => it.seek_for_prev(t),
                Op::Next => it.next(),
                Op::Prev => it.prev(),
            }
            .unwrap();
            pos = model_step(&es, pos, op);
            match pos {
                None => prop_assert!(!it.valid(), "step {step} {op:?}: iterator should be invalid"),
                Some(i) => {
                    prop_assert!(it.valid(), "step {step} {op:?}: iterator should be at {i}");
                    let got = (it.key().to_vec(), it.seq(), it.kind(), it.value().to_vec());
                    prop_assert_eq!(&got, &es[i], "step {} {:?}", step, op);
                }
            }
        }
        for (k, s, _, _) in &es {
            let want = es.iter().find(|e| e.0 == *k && e.1 <= *s).map(|e| (e.1, e.2, e.3.clone()));
            prop_assert_eq!(table.get(k, *s).unwrap(), want);
        }
    }
}
