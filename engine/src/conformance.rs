//! The backend conformance suite: what every [`Backend`] must do, runnable against a
//! third party's backend (enable the `testing` feature). Shale runs it on the in-memory
//! backend and on the LSM over every I/O backend (`engine/tests/backend_conformance.rs`).
//!
//! ```ignore
//! shale_engine::conformance::basic_suite(&my_backend);
//! // Checkpoints under `root`; `read_dir` (if they are files) lets the suite check that
//! // reading one changes nothing in it.
//! shale_engine::conformance::capability_suite(&my_backend, &clock, Some((root, Some(&read_dir))));
//! ```

use std::collections::BTreeMap;
use std::ops::Bound;
use std::path::Path;
use std::time::Duration;

use shale_io::clock::{Clock, ManualClock};

use crate::backend::{Capability, MAX_KEY_BYTES, MAX_VALUE_BYTES};
use crate::value::owned_pair;
use crate::{Backend, BatchOp, Direction, StorageError, WriteBatch};

/// Reads a directory on the file system a backend keeps its checkpoints on: every entry
/// as (name, contents), sorted by name (a subdirectory with empty contents).
pub type DirReader<'a> = &'a dyn Fn(&Path) -> Vec<(String, Vec<u8>)>;

type Model = BTreeMap<Vec<u8>, Vec<u8>>;

/// The suite's key for `i`.
pub fn key(i: u32) -> Vec<u8> {
    format!("key{i:05}").into_bytes()
}

fn collect(
    b: &dyn Backend,
    start: Bound<Vec<u8>>,
    end: Bound<Vec<u8>>,
    dir: Direction,
) -> Vec<(Vec<u8>, Vec<u8>)> {
    b.scan(start, end, dir, None)
        .unwrap()
        .map(Result::unwrap)
        .map(owned_pair)
        .collect()
}

/// The core suite: point operations, batches, snapshots, scans in both directions, the
/// seam's limits and maintenance. `b` must be empty.
///
/// # Panics
/// On the first behaviour that differs from the trait's contract.
pub fn basic_suite(b: &dyn Backend) {
    // Point operations.
    assert_eq!(b.get(b"missing", None).unwrap(), None);
    let s1 = b.put(b"a", b"1").unwrap();
    let s2 = b.put(b"a", b"2").unwrap();
    assert!(s2 > s1, "sequence numbers increase");
    assert_eq!(b.get(b"a", None).unwrap(), Some(b"2".to_vec()));
    b.delete(b"a").unwrap();
    assert_eq!(b.get(b"a", None).unwrap(), None);
    b.delete(b"never-there").unwrap();

    // Batches: atomic, later ops on a key win.
    let mut batch = WriteBatch::new();
    batch.put("b", "1").put("c", "2").delete("b").put("d", "3");
    b.write(batch).unwrap();
    assert_eq!(b.get(b"b", None).unwrap(), None);
    assert_eq!(b.get(b"c", None).unwrap(), Some(b"2".to_vec()));

    // Snapshots see the past.
    let snap = b.snapshot();
    b.put(b"c", b"changed").unwrap();
    b.delete(b"d").unwrap();
    assert_eq!(b.get(b"c", Some(&snap)).unwrap(), Some(b"2".to_vec()));
    assert_eq!(b.get(b"d", Some(&snap)).unwrap(), Some(b"3".to_vec()));
    assert_eq!(b.get(b"d", None).unwrap(), None);

    // Many keys (enough to flush and compact with tiny options), some deleted.
    for i in 0..600u32 {
        b.put(&key(i), format!("v{i}").as_bytes()).unwrap();
    }
    for i in (0..600u32).step_by(4) {
        b.delete(&key(i)).unwrap();
    }
    for i in (1..600u32).step_by(7) {
        b.put(&key(i), b"again").unwrap();
    }
    let expect_val = |i: u32| -> Option<Vec<u8>> {
        if i % 7 == 1 {
            Some(b"again".to_vec())
        } else if i.is_multiple_of(4) {
            None
        } else {
            Some(format!("v{i}").into_bytes())
        }
    };
    for i in (0..600u32).step_by(13) {
        assert_eq!(b.get(&key(i), None).unwrap(), expect_val(i), "key {i}");
    }
    let want: Vec<(Vec<u8>, Vec<u8>)> = (100..500u32)
        .filter_map(|i| expect_val(i).map(|v| (key(i), v)))
        .collect();
    let fwd = collect(
        b,
        Bound::Included(key(100)),
        Bound::Excluded(key(500)),
        Direction::Forward,
    );
    assert_eq!(fwd, want);
    let rev = collect(
        b,
        Bound::Included(key(100)),
        Bound::Excluded(key(500)),
        Direction::Reverse,
    );
    assert_eq!(rev, want.iter().rev().cloned().collect::<Vec<_>>());
    let excl = collect(
        b,
        Bound::Excluded(key(101)),
        Bound::Included(key(103)),
        Direction::Forward,
    );
    assert_eq!(
        excl.iter().map(|p| p.0.clone()).collect::<Vec<_>>(),
        vec![key(102), key(103)]
    );

    // The old snapshot still sees its state after all that churn.
    assert_eq!(b.get(b"c", Some(&snap)).unwrap(), Some(b"2".to_vec()));
    let at_snap: Vec<_> = b
        .scan(
            Bound::Unbounded,
            Bound::Unbounded,
            Direction::Forward,
            Some(&snap),
        )
        .unwrap()
        .map(Result::unwrap)
        .map(owned_pair)
        .collect();
    assert_eq!(
        at_snap,
        vec![
            (b"c".to_vec(), b"2".to_vec()),
            (b"d".to_vec(), b"3".to_vec())
        ]
    );

    // A scan is isolated from writes made after it started.
    let mut it = b
        .scan(
            Bound::Included(key(0)),
            Bound::Unbounded,
            Direction::Forward,
            None,
        )
        .unwrap();
    let first = it.next().unwrap().unwrap();
    for i in 0..600u32 {
        b.put(&key(i), b"later").unwrap();
    }
    let rest: Vec<_> = it.map(Result::unwrap).collect();
    assert_eq!(first.0, key(1));
    assert!(rest.iter().all(|(_, v)| v != b"later"));
    assert_eq!(
        rest.len() + 1,
        (0..600u32).filter(|&i| expect_val(i).is_some()).count()
    );
    // Entries no table could store are refused up front, and change nothing.
    let huge_key = vec![b'k'; MAX_KEY_BYTES + 1];
    assert!(matches!(
        b.put(&huge_key, b"v"),
        Err(StorageError::KeyTooLarge { size, max }) if size == MAX_KEY_BYTES + 1 && max == MAX_KEY_BYTES
    ));
    let mut batch = WriteBatch::new();
    batch
        .put("fine", "1")
        .put("huge", vec![0u8; MAX_VALUE_BYTES + 1]);
    assert!(matches!(
        b.write(batch),
        Err(StorageError::ValueTooLarge { .. })
    ));
    assert_eq!(
        b.get(b"fine", None).unwrap(),
        None,
        "a refused batch is all-or-nothing"
    );
    b.sync().unwrap();

    // Bulk loads: sorted entries read back as loaded, and later writes win over them;
    // entries out of order load nothing.
    b.flush().unwrap();
    let load: Vec<(Vec<u8>, Vec<u8>)> = (0..300u32)
        .map(|i| {
            (
                format!("load{i:05}").into_bytes(),
                format!("l{i}").into_bytes(),
            )
        })
        .collect();
    b.ingest(&load).unwrap();
    b.ingest(&[]).unwrap();
    let range = || {
        (
            Bound::Included(b"load".to_vec()),
            Bound::Excluded(b"loae".to_vec()),
        )
    };
    assert_eq!(collect(b, range().0, range().1, Direction::Forward), load);
    assert_eq!(b.get(b"load00150", None).unwrap(), Some(b"l150".to_vec()));
    b.put(b"load00007", b"after").unwrap();
    b.delete(b"load00008").unwrap();
    assert_eq!(b.get(b"load00007", None).unwrap(), Some(b"after".to_vec()));
    assert_eq!(b.get(b"load00008", None).unwrap(), None);
    let unsorted = vec![
        (b"unsorted2".to_vec(), b"x".to_vec()),
        (b"unsorted1".to_vec(), b"x".to_vec()),
    ];
    assert!(matches!(
        b.ingest(&unsorted),
        Err(StorageError::UnsortedIngest { index: 1 })
    ));
    assert_eq!(b.get(b"unsorted2", None).unwrap(), None);
    let oversized = vec![
        (b"limit1".to_vec(), b"x".to_vec()),
        (vec![b'l'; MAX_KEY_BYTES + 1], b"x".to_vec()),
    ];
    assert!(matches!(
        b.ingest(&oversized),
        Err(StorageError::KeyTooLarge { .. })
    ));
    assert_eq!(
        b.get(b"limit1", None).unwrap(),
        None,
        "nothing of a refused load"
    );
    for (k, _) in &load {
        if k.as_slice() != b"load00007" {
            b.delete(k).unwrap();
        }
    }
    b.delete(b"load00007").unwrap();

    // Maintenance through the trait leaves what reads see unchanged.
    let before = collect(b, Bound::Unbounded, Bound::Unbounded, Direction::Forward);
    b.flush().unwrap();
    b.compact_range(None, None).unwrap();
    assert_eq!(
        collect(b, Bound::Unbounded, Bound::Unbounded, Direction::Forward),
        before
    );
    let stats = b.stats();
    if let Some((l0_files, _)) = stats.levels.first() {
        // A full compaction leaves nothing in the top level and the data in the levels.
        assert_eq!(*l0_files, 0, "{stats:?}");
        assert!(stats.levels.iter().map(|l| l.0).sum::<usize>() > 0);
    }
}

fn scan_prefix(b: &dyn Backend, prefix: &[u8]) -> Model {
    let mut end = prefix.to_vec();
    if let Some(last) = end.last_mut() {
        *last += 1;
    }
    collect(
        b,
        Bound::Included(prefix.to_vec()),
        Bound::Excluded(end),
        Direction::Forward,
    )
    .into_iter()
    .collect()
}

fn view_prefix(b: &dyn Backend, t: u64, prefix: &[u8]) -> Model {
    let mut end = prefix.to_vec();
    if let Some(last) = end.last_mut() {
        *last += 1;
    }
    // A view of the prefix only: scanned whole, it must show the prefix's keys and
    // nothing of the rest of the store.
    let view = b
        .view_at(
            t,
            (Bound::Included(prefix.to_vec()), Bound::Excluded(end)).into(),
        )
        .expect("view inside the retention");
    assert_eq!(view.commit_time_micros(), t);
    view.scan(Bound::Unbounded, Bound::Unbounded, Direction::Forward)
        .expect("view scan")
        .map(|r| r.expect("view scan item"))
        .map(owned_pair)
        .collect()
}

/// A view of several ranges (given out of order, two of them overlapping) shows exactly
/// their keys, forward and reverse, and a get outside them finds nothing.
fn view_ranges_case(b: &dyn Backend, t: u64, state: &Model, second: usize) {
    let key = |s: &str| s.as_bytes().to_vec();
    let ranges = crate::KeyRanges::new([
        (
            Bound::Included(key("hist030")),
            Bound::Excluded(key("hist1")),
        ),
        (
            Bound::Excluded(key("hist002")),
            Bound::Included(key("hist008")),
        ),
        (
            Bound::Included(key("hist005")),
            Bound::Excluded(key("hist012")),
        ),
    ]);
    let want: Vec<(Vec<u8>, Vec<u8>)> = state
        .iter()
        .filter(|(k, _)| ranges.contains(k))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let view = b
        .view_at(t, ranges.clone())
        .expect("view inside the retention");
    let scan = |direction| -> Vec<(Vec<u8>, Vec<u8>)> {
        view.scan(Bound::Unbounded, Bound::Unbounded, direction)
            .expect("view scan")
            .map(|r| r.expect("view scan item"))
            .map(owned_pair)
            .collect()
    };
    assert_eq!(scan(Direction::Forward), want, "ranges at second {second}");
    let mut reversed = want.clone();
    reversed.reverse();
    assert_eq!(
        scan(Direction::Reverse),
        reversed,
        "reverse at second {second}"
    );
    for (k, v) in &want {
        assert_eq!(view.get(k).unwrap().as_ref(), Some(v));
    }
    for outside in ["hist002", "hist012", "hist020"] {
        assert_eq!(view.get(outside.as_bytes()).unwrap(), None, "{outside}");
    }
}

fn assert_unsupported<T>(r: Result<T, StorageError>, capability: Capability) {
    match r {
        Err(StorageError::Unsupported { capability: c, .. }) => assert_eq!(c, capability),
        Err(e) => panic!("{capability:?}: expected Unsupported, got {e}"),
        Ok(_) => panic!("{capability:?}: expected Unsupported, got Ok"),
    }
}

/// The capabilities: each one the backend says it lacks answers
/// [`StorageError::Unsupported`]; each one it has behaves as the trait documents. `b` must
/// take its commit times from `clock` and hold no history yet; keys it writes start
/// with `"hist"`. For a backend with [`Capability::Checkpoint`], `checkpoint` is
/// `(root, read_dir)`: checkpoints are written under `root`, and `read_dir`, given for a
/// backend whose checkpoints are files, reads a checkpoint directory before and after it
/// is opened (they must be equal). `None` skips the checkpoint checks.
///
/// # Panics
/// On the first behaviour that differs from the trait's contract.
pub fn capability_suite(
    b: &dyn Backend,
    clock: &ManualClock,
    checkpoint: Option<(&Path, Option<DirReader<'_>>)>,
) {
    let has = |c| b.supports(c);
    if !has(Capability::CommitLog) {
        assert_unsupported(b.read_commit_log(1), Capability::CommitLog);
    }
    if !has(Capability::PastView) {
        assert_unsupported(
            b.view_at(clock.now_micros(), crate::KeyRanges::full()),
            Capability::PastView,
        );
    }
    if !has(Capability::HistoryRetention) {
        assert_unsupported(
            b.set_history_retention(Some(Duration::from_secs(60))),
            Capability::HistoryRetention,
        );
    }
    match checkpoint {
        Some((root, read_dir)) if has(Capability::Checkpoint) => {
            checkpoint_case(b, clock, root, read_dir);
        }
        _ if !has(Capability::Checkpoint) => {
            let dir = Path::new("/nonexistent-checkpoint");
            assert_unsupported(b.checkpoint(dir), Capability::Checkpoint);
            assert_unsupported(b.open_checkpoint(dir), Capability::Checkpoint);
            assert_unsupported(b.remove_checkpoint(dir), Capability::Checkpoint);
        }
        _ => {}
    }
    if has(Capability::HistoryRetention) {
        history_case(b, clock);
    }
}

fn assert_checkpoint_not_found<T>(r: Result<T, StorageError>, dir: &Path) {
    match r {
        Err(StorageError::CheckpointNotFound { dir: d }) => assert_eq!(d, dir),
        Err(e) => panic!("{}: expected CheckpointNotFound, got {e}", dir.display()),
        Ok(_) => panic!("{}: expected CheckpointNotFound, got Ok", dir.display()),
    }
}

/// The keys the checkpoint case writes, and its scan range.
const CKPT_PREFIX: &[u8] = b"hist-ckpt-";

fn ckpt_key(i: u32) -> Vec<u8> {
    [CKPT_PREFIX, format!("{i:03}").as_bytes()].concat()
}

/// Everything a checkpoint view shows under the case's prefix, in both directions
/// (checked to agree), plus a bounded scan of a middle range.
fn checkpoint_view_state(view: &dyn crate::ReadView) -> Model {
    let scan = |start: Bound<Vec<u8>>, end: Bound<Vec<u8>>, dir: Direction| -> Vec<_> {
        view.scan(start, end, dir)
            .expect("checkpoint view scan")
            .map(|r| r.expect("checkpoint view scan item"))
            .map(owned_pair)
            .collect()
    };
    let mut end = CKPT_PREFIX.to_vec();
    if let Some(last) = end.last_mut() {
        *last += 1;
    }
    let (lo, hi) = (Bound::Included(CKPT_PREFIX.to_vec()), Bound::Excluded(end));
    let fwd = scan(lo.clone(), hi.clone(), Direction::Forward);
    let mut rev = scan(lo, hi, Direction::Reverse);
    rev.reverse();
    assert_eq!(fwd, rev, "a checkpoint view scans the same both ways");
    let model: Model = fwd.into_iter().collect();
    let (mid_lo, mid_hi) = (Bound::Excluded(ckpt_key(10)), Bound::Included(ckpt_key(20)));
    let want_mid: Vec<_> = model
        .range::<Vec<u8>, _>((mid_lo.clone(), mid_hi.clone()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let mut mid_rev = scan(mid_lo.clone(), mid_hi.clone(), Direction::Reverse);
    mid_rev.reverse();
    assert_eq!(scan(mid_lo, mid_hi, Direction::Forward), want_mid);
    assert_eq!(mid_rev, want_mid);
    model
}

fn checkpoint_case(
    b: &dyn Backend,
    clock: &ManualClock,
    root: &Path,
    read_dir: Option<DirReader<'_>>,
) {
    let mut want = Model::new();
    for i in 0..40u32 {
        let v = format!("v{i}").into_bytes();
        b.put(&ckpt_key(i), &v).unwrap();
        want.insert(ckpt_key(i), v);
    }
    b.delete(&ckpt_key(7)).unwrap();
    want.remove(&ckpt_key(7));
    let seq = b.put(&ckpt_key(3), b"rewritten").unwrap();
    want.insert(ckpt_key(3), b"rewritten".to_vec());
    let taken_micros = clock.now_micros();
    let dir = root.join("ckpt");
    let info = b.checkpoint(&dir).unwrap();
    assert!(
        info.seq >= seq,
        "the checkpoint holds every acknowledged write"
    );
    assert_eq!(info.dir, dir);

    // Writes after the checkpoint are not in it.
    clock.advance_secs(1);
    b.put(&ckpt_key(0), b"after").unwrap();
    b.delete(&ckpt_key(1)).unwrap();
    b.put(&ckpt_key(7), b"back").unwrap();
    b.put(&ckpt_key(99), b"new").unwrap();
    b.flush().unwrap();

    let files = read_dir.map(|read| read(&dir));
    let view = b.open_checkpoint(&dir).unwrap();
    let t = view.commit_time_micros();
    assert!(
        t == 0 || t == taken_micros,
        "a checkpoint view's time is when it was taken, or 0: {t}"
    );
    for (k, v) in &want {
        assert_eq!(view.get(k).unwrap().as_ref(), Some(v));
    }
    for i in [7, 99] {
        assert_eq!(view.get(&ckpt_key(i)).unwrap(), None, "key {i}");
    }
    assert_eq!(checkpoint_view_state(view.as_ref()), want);
    // Two views of one checkpoint at once.
    let second = b.open_checkpoint(&dir).unwrap();
    assert_eq!(checkpoint_view_state(second.as_ref()), want);
    drop(second);
    if let Some(read) = read_dir {
        assert_eq!(
            Some(read(&dir)),
            files,
            "an open view changes nothing in it"
        );
    }

    // Never overwritten, and the refusal changes nothing.
    match b.checkpoint(&dir) {
        Err(StorageError::Io { ref source, .. })
            if source.kind() == std::io::ErrorKind::AlreadyExists => {}
        other => panic!("a checkpoint is never overwritten: {other:?}"),
    }
    drop(view);
    if let Some(read) = read_dir {
        assert_eq!(
            Some(read(&dir)),
            files,
            "a dropped view changes nothing in it"
        );
    }

    // Removal: a view open meanwhile keeps reading; the name is then free.
    let view = b.open_checkpoint(&dir).unwrap();
    b.remove_checkpoint(&dir).unwrap();
    assert_eq!(checkpoint_view_state(view.as_ref()), want);
    drop(view);
    assert_checkpoint_not_found(b.open_checkpoint(&dir), &dir);
    assert_checkpoint_not_found(b.remove_checkpoint(&dir), &dir);
    let never = root.join("never-written");
    assert_checkpoint_not_found(b.open_checkpoint(&never), &never);
    assert_checkpoint_not_found(b.remove_checkpoint(&never), &never);
    b.checkpoint(&dir).unwrap();
    let view = b.open_checkpoint(&dir).unwrap();
    assert_eq!(view.get(&ckpt_key(0)).unwrap(), Some(b"after".to_vec()));
    assert_eq!(
        checkpoint_view_state(view.as_ref()),
        scan_prefix(b, CKPT_PREFIX)
    );
    drop(view);
    b.remove_checkpoint(&dir).unwrap();
    assert_checkpoint_not_found(b.open_checkpoint(&dir), &dir);
}

fn history_case(b: &dyn Backend, clock: &ManualClock) {
    let mut model = scan_prefix(b, b"hist");
    for i in 0..20u32 {
        let k = format!("hist{i:03}").into_bytes();
        b.put(&k, b"before").unwrap();
        model.insert(k, b"before".to_vec());
    }
    assert_eq!(b.history_bounds().unwrap(), None);
    b.set_history_retention(Some(Duration::from_secs(3600)))
        .unwrap();
    assert_eq!(b.history_retention(), Some(Duration::from_secs(3600)));
    let start = clock.now_micros();
    let bounds = b.history_bounds().unwrap().expect("history is kept");
    assert!(bounds.earliest_micros <= start);
    let mut states = vec![(start, model.clone())];
    let mut first_seq = None;
    let mut written = Vec::new();
    for round in 0..6u32 {
        clock.advance_secs(1);
        let mut batch = WriteBatch::new();
        for j in 0..30u32 {
            let k = format!("hist{:03}", (round * 7 + j * 3) % 40).into_bytes();
            let v = format!("r{round}j{j}").repeat(40).into_bytes();
            batch.put(k.clone(), v.clone());
            model.insert(k, v);
        }
        let gone = format!("hist{:03}", round * 2).into_bytes();
        batch.delete(gone.clone());
        model.remove(&gone);
        // Keys outside the prefix the views ask for: no view may show them.
        batch.put(format!("other{round}").into_bytes(), b"outside".to_vec());
        // Log data rides in the log, in its place, and changes no key (not the model).
        batch.log_data(format!("note {round}").into_bytes());
        if round == 3 {
            batch = WriteBatch::from(vec![BatchOp::LogData {
                data: b"a batch of log data alone".to_vec(),
            }]);
            model = states.last().map(|s| s.1.clone()).unwrap_or_default();
        }
        let seq = b.write(batch.clone()).unwrap();
        first_seq.get_or_insert(seq);
        written.push((seq, batch));
        if round % 2 == 1 {
            b.flush().unwrap();
        }
        states.push((clock.now_micros(), model.clone()));
    }
    assert_eq!(scan_prefix(b, b"hist"), model);

    if b.supports(Capability::PastView) {
        for (i, (t, want)) in states.iter().enumerate() {
            assert_eq!(&view_prefix(b, *t, b"hist"), want, "view at second {i}");
            view_ranges_case(b, *t, want, i);
        }
        let before = bounds.earliest_micros.saturating_sub(1);
        assert!(matches!(
            b.view_at(before, crate::KeyRanges::full()),
            Err(StorageError::OutsideRetention { .. })
        ));
        assert!(matches!(
            b.view_at(clock.now_micros() + 1_000_000, crate::KeyRanges::full()),
            Err(StorageError::OutsideRetention { .. })
        ));
    }
    if b.supports(Capability::CommitLog) {
        let first = first_seq.unwrap_or(1);
        let log: Vec<_> = b
            .read_commit_log(first)
            .unwrap()
            .map(|r| r.unwrap())
            .collect();
        let got: Vec<_> = log.iter().map(|c| (c.seq, c.batch.clone())).collect();
        assert_eq!(
            got, written,
            "the log holds exactly the batches written, in order"
        );
        assert!(log
            .windows(2)
            .all(|w| w[0].commit_time_micros <= w[1].commit_time_micros));
        let last = written.last().map_or(0, |w| w.0);
        assert_eq!(b.read_commit_log(last + 1).unwrap().count(), 0);
    }

    b.set_history_retention(None).unwrap();
    assert_eq!(b.history_bounds().unwrap(), None);
    assert_eq!(b.history_retention(), None);
    if b.supports(Capability::PastView) {
        assert!(matches!(
            b.view_at(start, crate::KeyRanges::full()),
            Err(StorageError::OutsideRetention { .. })
        ));
    }
}
