//! What each durability mode promises, checked against FaultFs crashes.

mod common;

use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use shale_io::clock::ManualClock;
use shale_wal::{Durability, Wal, RECORD_HEADER_LEN, SEGMENT_HEADER_LEN};

/// Upper bound on waiting for the background syncer in tests (it runs every 5 ms).
const SYNCER_DEADLINE: Duration = Duration::from_secs(20);

#[test]
fn buffered_background_thread_makes_appends_durable() {
    let (fs, dir) = fault_fs();
    let clock = ManualClock::new(0);
    let mut o = opts(Arc::new(fs.clone()), &dir, &clock);
    o.durability = Durability::Buffered {
        interval: Duration::from_millis(5),
    };
    let wal = Wal::open(o.clone()).unwrap();
    for i in 1..=30 {
        wal.append(1, &payload(i)).unwrap();
    }
    // Acknowledged = written to the OS, readable at once.
    assert_eq!(read_all(&wal, 1).len(), 30);
    let start = Instant::now();
    while wal.durable_lsn() < 30 {
        assert!(
            start.elapsed() < SYNCER_DEADLINE,
            "background sync never ran"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
    fs.crash();
    drop(wal);
    let wal = Wal::open(o).unwrap();
    assert_eq!(wal.last_lsn(), 30);
    assert_contiguous(&read_all(&wal, 1), 1);
}

#[test]
fn buffered_close_stops_the_thread_promptly_and_syncs() {
    let (fs, dir) = fault_fs();
    let clock = ManualClock::new(0);
    let mut o = opts(Arc::new(fs.clone()), &dir, &clock);
    o.durability = Durability::Buffered {
        interval: Duration::from_secs(3600),
    };
    let wal = Wal::open(o.clone()).unwrap();
    for i in 1..=5 {
        wal.append(1, &payload(i)).unwrap();
    }
    assert_eq!(wal.durable_lsn(), 0, "an hour has not passed");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || tx.send(wal.close()).unwrap());
    rx.recv_timeout(SYNCER_DEADLINE)
        .expect("close hung on the syncer thread")
        .unwrap();
    fs.crash();
    assert_eq!(Wal::open(o).unwrap().last_lsn(), 5);
}

#[test]
fn buffered_unsynced_appends_are_lost_in_a_power_cut() {
    let (fs, dir) = fault_fs();
    let clock = ManualClock::new(0);
    let mut o = opts(Arc::new(fs.clone()), &dir, &clock);
    o.durability = Durability::Buffered {
        interval: Duration::from_secs(3600),
    };
    let wal = Wal::open(o.clone()).unwrap();
    wal.append(1, &payload(1)).unwrap();
    wal.sync().unwrap();
    wal.append(1, &payload(2)).unwrap();
    fs.crash();
    drop(wal);
    assert_eq!(Wal::open(o).unwrap().last_lsn(), 1);
}

#[test]
fn none_never_syncs_on_append_but_syncs_on_roll_and_close() {
    let (fs, dir) = fault_fs();
    let clock = ManualClock::new(0);
    let mut o = opts(Arc::new(fs.clone()), &dir, &clock);
    o.durability = Durability::None;
    let wal = Wal::open(o.clone()).unwrap();
    let syncs = fs.stats().syncs;
    for i in 1..=5 {
        wal.append(1, &payload(i)).unwrap();
    }
    assert_eq!(fs.stats().syncs, syncs, "None must not sync on append");
    assert_eq!(read_all(&wal, 1).len(), 5, "written to the OS");
    fs.crash();
    drop(wal);
    let wal = Wal::open(o.clone()).unwrap();
    assert_eq!(
        wal.last_lsn(),
        0,
        "unsynced records do not survive a power cut"
    );

    // Rolling syncs the finished segment, so it survives. (The roll is told by the new
    // segment file, not by the sync count: preparing the spare segment syncs too.)
    let segments = || {
        fs.files()
            .iter()
            .filter(|p| p.extension().is_some_and(|e| e == "wal"))
            .count()
    };
    let base = segments();
    let mut lsn = 0;
    while segments() == base {
        lsn = wal.append(1, &payload(lsn + 1)).unwrap();
        assert!(lsn < 1000, "never rolled");
    }
    // Record `lsn` opened the new segment; everything before it was synced by the roll.
    fs.crash();
    drop(wal);
    let wal = Wal::open(o.clone()).unwrap();
    assert_eq!(
        wal.last_lsn(),
        lsn - 1,
        "the segment before the roll was synced"
    );
    let last = wal.last_lsn();
    assert_contiguous(&read_all(&wal, 1), 1);

    // Close syncs.
    wal.append(1, &payload(last + 1)).unwrap();
    wal.close().unwrap();
    fs.crash();
    assert_eq!(Wal::open(o).unwrap().last_lsn(), last + 1);
}

/// `writeback_every_bytes`: an unsynced log starts writeback once per stretch its appends
/// pass (one call per append that crosses a stretch's end, as no payload here is a
/// stretch long), and never under `Sync` or with the option at 0.
#[test]
fn unsynced_appends_start_writeback_once_per_stretch_passed() {
    let count_writebacks = |durability: Durability, every: u64| {
        let (fs, dir) = fault_fs();
        let clock = ManualClock::new(0);
        let mut o = opts(Arc::new(fs.clone()), &dir, &clock);
        o.durability = durability;
        o.segment_size_bytes = 1 << 20;
        o.writeback_every_bytes = every;
        let wal = Wal::open(o).unwrap();
        let before = fs.stats().writebacks;
        let mut end = SEGMENT_HEADER_LEN as u64;
        for i in 1..=200u64 {
            let p = payload(i);
            end += (RECORD_HEADER_LEN + p.len()) as u64;
            wal.append(1, &p).unwrap();
        }
        (fs.stats().writebacks - before, end)
    };
    let (calls, end) = count_writebacks(Durability::None, 4096);
    assert!(end > 5 * 4096, "the appends pass several stretches");
    assert_eq!(calls, end / 4096, "one per stretch passed");
    let (calls, _) = count_writebacks(
        Durability::Buffered {
            interval: Duration::from_secs(3600),
        },
        4096,
    );
    assert_eq!(calls, end / 4096, "buffered too");
    assert_eq!(count_writebacks(Durability::Sync, 4096).0, 0, "sync");
    assert_eq!(count_writebacks(Durability::None, 0).0, 0, "off");
}
