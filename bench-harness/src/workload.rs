//! YCSB's core workloads A–F and the per-thread choosers that drive them.
//!
//! The definitions follow YCSB's `workloads/workload[a-f]` files and `CoreWorkload`:
//! 10 fields of 100 bytes, read-all-fields, update-one-field, hashed insert order, scan
//! length uniform in 1..=100, and a key chooser per request distribution.

use serde::Serialize;

use crate::generators::{AcknowledgedCounter, ScrambledZipfian, SkewedLatest, MAX_KEY_REDRAWS};
use crate::rng::Rng;
use crate::target::{FIELD_COUNT, FIELD_LENGTH};

/// YCSB's `maxscanlength`.
pub const MAX_SCAN_LENGTH: u64 = 100;

/// One YCSB operation kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Op {
    /// Read all fields of one record.
    Read,
    /// Write one field of one record.
    Update,
    /// Add a new record.
    Insert,
    /// Read a run of records from a start key.
    Scan,
    /// Read a record, then write one field of it (workload F).
    ReadModifyWrite,
}

impl Op {
    /// Every op, in report order.
    pub const ALL: [Op; 5] = [
        Op::Read,
        Op::Update,
        Op::Insert,
        Op::Scan,
        Op::ReadModifyWrite,
    ];

    /// Index into per-op arrays.
    pub fn index(self) -> usize {
        self as usize
    }

    /// YCSB's name for the op.
    pub fn name(self) -> &'static str {
        match self {
            Op::Read => "READ",
            Op::Update => "UPDATE",
            Op::Insert => "INSERT",
            Op::Scan => "SCAN",
            Op::ReadModifyWrite => "READ-MODIFY-WRITE",
        }
    }
}

/// YCSB's `requestdistribution`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Distribution {
    /// ScrambledZipfian over the key space.
    Zipfian,
    /// SkewedLatest over the acknowledged inserts.
    Latest,
    /// Uniform over the loaded records.
    Uniform,
}

/// One core workload's definition.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct WorkloadSpec {
    /// 'a'..='f'.
    pub letter: char,
    /// Proportion of reads.
    pub read: f64,
    /// Proportion of updates.
    pub update: f64,
    /// Proportion of inserts.
    pub insert: f64,
    /// Proportion of scans.
    pub scan: f64,
    /// Proportion of read-modify-writes.
    pub read_modify_write: f64,
    /// How keys are chosen.
    pub distribution: Distribution,
}

impl WorkloadSpec {
    /// The core workload for `letter` (`a`..=`f`), or `None`.
    pub fn core(letter: char) -> Option<Self> {
        let w = |read, update, insert, scan, rmw, distribution| WorkloadSpec {
            letter,
            read,
            update,
            insert,
            scan,
            read_modify_write: rmw,
            distribution,
        };
        use Distribution::{Latest, Zipfian};
        Some(match letter.to_ascii_lowercase() {
            'a' => w(0.5, 0.5, 0.0, 0.0, 0.0, Zipfian),
            'b' => w(0.95, 0.05, 0.0, 0.0, 0.0, Zipfian),
            'c' => w(1.0, 0.0, 0.0, 0.0, 0.0, Zipfian),
            'd' => w(0.95, 0.0, 0.05, 0.0, 0.0, Latest),
            'e' => w(0.0, 0.0, 0.05, 0.95, 0.0, Zipfian),
            'f' => w(0.5, 0.0, 0.0, 0.0, 0.5, Zipfian),
            _ => return None,
        })
    }

    /// `(op, proportion)` pairs with a non-zero proportion, in YCSB's order.
    pub fn mix(&self) -> Vec<(Op, f64)> {
        [
            (Op::Read, self.read),
            (Op::Update, self.update),
            (Op::Insert, self.insert),
            (Op::Scan, self.scan),
            (Op::ReadModifyWrite, self.read_modify_write),
        ]
        .into_iter()
        .filter(|(_, p)| *p > 0.0)
        .collect()
    }

    /// YCSB's `expectednewkeys`: twice the expected inserts, so the zipfian key space
    /// covers keys inserted during the run. `operations` is the run's expected op count
    /// ([`crate::runner::PhaseConfig::expected_operations`]); the float-to-int cast
    /// saturates.
    pub fn expected_new_keys(&self, operations: u64) -> u64 {
        (operations as f64 * self.insert * 2.0) as u64
    }
}

/// YCSB's `DiscreteGenerator` over the op mix.
#[derive(Debug, Clone)]
pub struct OpChooser {
    mix: Vec<(Op, f64)>,
    total: f64,
}

impl OpChooser {
    /// For `spec`'s mix.
    pub fn new(spec: &WorkloadSpec) -> Self {
        let mix = spec.mix();
        let total = mix.iter().map(|(_, p)| p).sum();
        OpChooser { mix, total }
    }

    /// The next op.
    pub fn next(&self, rng: &mut Rng) -> Op {
        let mut x = rng.next_f64() * self.total;
        for &(op, p) in &self.mix {
            if x < p {
                return op;
            }
            x -= p;
        }
        self.mix.last().map_or(Op::Read, |&(op, _)| op)
    }
}

/// Chooses the key number for reads, updates, scans and read-modify-writes.
#[derive(Debug, Clone)]
pub enum KeyChooser {
    /// ScrambledZipfian over loaded + expected new keys.
    Zipfian(ScrambledZipfian),
    /// SkewedLatest over acknowledged inserts.
    Latest(SkewedLatest),
    /// Uniform over the loaded records.
    Uniform {
        /// Number of loaded records.
        records: u64,
    },
}

impl KeyChooser {
    /// The chooser YCSB's `CoreWorkload.init` builds for `spec`, with `expected_operations`
    /// run-phase ops (0 when unknown: no room is reserved for new keys).
    pub fn new(spec: &WorkloadSpec, records: u64, expected_operations: u64) -> Self {
        let records = records.max(1);
        match spec.distribution {
            Distribution::Zipfian => KeyChooser::Zipfian(ScrambledZipfian::new(
                0,
                // YCSB passes `insertstart + insertcount + expectednewkeys` as the
                // inclusive max, so the space holds one key more than that sum.
                records.saturating_add(spec.expected_new_keys(expected_operations)),
            )),
            Distribution::Latest => KeyChooser::Latest(SkewedLatest::new(records - 1)),
            Distribution::Uniform => KeyChooser::Uniform { records },
        }
    }

    /// How many key numbers a zipfian chooser draws from (`None` for the others, which
    /// follow the inserts or the loaded records).
    pub fn key_space(&self) -> Option<u64> {
        match self {
            KeyChooser::Zipfian(g) => Some(g.item_count()),
            KeyChooser::Latest(_) | KeyChooser::Uniform { .. } => None,
        }
    }

    /// The next key number, never beyond `inserted.last()` (YCSB redraws such numbers;
    /// after [`MAX_KEY_REDRAWS`] we fold the number into range instead of looping on).
    pub fn next(&mut self, rng: &mut Rng, inserted: &AcknowledgedCounter) -> u64 {
        let last = inserted.last();
        match self {
            KeyChooser::Latest(g) => g.next(rng, last),
            KeyChooser::Uniform { records } => rng.range_inclusive(0, *records - 1),
            KeyChooser::Zipfian(g) => {
                let mut k = g.next(rng);
                for _ in 0..MAX_KEY_REDRAWS {
                    if k <= last {
                        return k;
                    }
                    k = g.next(rng);
                }
                k % (last + 1)
            }
        }
    }
}

/// A new record: [`FIELD_COUNT`] random printable fields of [`FIELD_LENGTH`] bytes.
pub fn random_fields(rng: &mut Rng) -> Vec<Vec<u8>> {
    (0..FIELD_COUNT).map(|_| random_field(rng)).collect()
}

/// One random field value.
pub fn random_field(rng: &mut Rng) -> Vec<u8> {
    let mut v = vec![0u8; FIELD_LENGTH];
    rng.fill_ascii(&mut v);
    v
}

/// YCSB's scan length: uniform in `1..=MAX_SCAN_LENGTH`.
pub fn scan_length(rng: &mut Rng) -> usize {
    rng.range_inclusive(1, MAX_SCAN_LENGTH) as usize
}

/// The field an update writes: uniform over the record's fields.
pub fn update_field(rng: &mut Rng) -> usize {
    rng.range_inclusive(0, FIELD_COUNT as u64 - 1) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn op_mixes_match_the_definitions_within_tolerance() {
        const DRAWS: usize = 100_000;
        const TOLERANCE: f64 = 0.01;
        for letter in ['a', 'b', 'c', 'd', 'e', 'f'] {
            let spec = WorkloadSpec::core(letter).unwrap();
            let chooser = OpChooser::new(&spec);
            let mut rng = Rng::new(42);
            let mut counts = [0usize; 5];
            for _ in 0..DRAWS {
                counts[chooser.next(&mut rng).index()] += 1;
            }
            let want = [
                spec.read,
                spec.update,
                spec.insert,
                spec.scan,
                spec.read_modify_write,
            ];
            for op in Op::ALL {
                let got = counts[op.index()] as f64 / DRAWS as f64;
                assert!(
                    (got - want[op.index()]).abs() < TOLERANCE,
                    "workload {letter} {op:?}: got {got}, want {}",
                    want[op.index()]
                );
            }
        }
        assert!(WorkloadSpec::core('g').is_none());
    }

    #[test]
    fn proportions_sum_to_one_and_d_is_latest() {
        for letter in "abcdef".chars() {
            let s = WorkloadSpec::core(letter).unwrap();
            let sum: f64 = s.mix().iter().map(|(_, p)| p).sum();
            assert!((sum - 1.0).abs() < 1e-9);
        }
        assert_eq!(
            WorkloadSpec::core('d').unwrap().distribution,
            Distribution::Latest
        );
    }

    #[test]
    fn scan_length_is_in_1_to_100_and_covers_both_ends() {
        let mut rng = Rng::new(5);
        let (mut min, mut max) = (usize::MAX, 0);
        for _ in 0..50_000 {
            let n = scan_length(&mut rng);
            assert!((1..=100).contains(&n));
            min = min.min(n);
            max = max.max(n);
        }
        assert_eq!((min, max), (1, 100));
    }

    #[test]
    fn uniform_keys_stay_in_the_loaded_range() {
        let mut rng = Rng::new(6);
        let inserted = AcknowledgedCounter::new(500);
        let mut k = KeyChooser::Uniform { records: 500 };
        let mut seen = std::collections::HashSet::new();
        for _ in 0..20_000 {
            let v = k.next(&mut rng, &inserted);
            assert!(v < 500);
            seen.insert(v);
        }
        assert!(seen.len() > 490, "uniform should reach nearly every key");
    }

    #[test]
    fn zipfian_keys_never_exceed_the_acknowledged_inserts() {
        let spec = WorkloadSpec::core('e').unwrap();
        let mut rng = Rng::new(7);
        let inserted = AcknowledgedCounter::new(1_000);
        let mut k = KeyChooser::new(&spec, 1_000, 10_000);
        for _ in 0..20_000 {
            assert!(k.next(&mut rng, &inserted) < 1_000);
        }
    }

    #[test]
    fn fields_are_ten_printable_hundred_byte_values() {
        let mut rng = Rng::new(8);
        let f = random_fields(&mut rng);
        assert_eq!(f.len(), 10);
        assert!(f.iter().all(|v| v.len() == 100));
        assert!(update_field(&mut rng) < 10);
    }
}
