//! LSNs stay contiguous across segment rolls and reopens, on every backend.

mod common;

use common::*;
use shale_io::clock::ManualClock;
use shale_wal::{parse_segment_file_name, Wal};

#[test]
fn lsns_are_contiguous_across_rolls_and_reopens() {
    for_each_backend(|name, fs, dir| {
        let clock = ManualClock::new(0);
        let mut next = 1u64;
        for round in 0..4 {
            let wal = Wal::open(opts(fs.clone(), dir, &clock)).unwrap();
            assert_eq!(wal.last_lsn(), next - 1, "{name} round {round}");
            for _ in 0..40 {
                assert_eq!(wal.append(1, &payload(next)).unwrap(), next, "{name}");
                next += 1;
            }
            wal.close().unwrap();
        }
        let segments: Vec<u64> = fs
            .list_dir(dir)
            .unwrap()
            .iter()
            .filter_map(|n| parse_segment_file_name(n))
            .collect();
        assert!(
            segments.len() > 3,
            "{name}: expected rolls, got {segments:?}"
        );
        let wal = Wal::open(opts(fs, dir, &clock)).unwrap();
        let recs = read_all(&wal, 1);
        assert_eq!(recs.len() as u64, next - 1, "{name}");
        assert_contiguous(&recs, 1);
        // Every segment starts where its name says, at a record boundary.
        for first in segments {
            let from = read_all(&wal, first);
            assert_eq!(from.first().map(|r| r.lsn), Some(first), "{name}");
        }
    });
}
