//! Capacity: the units every request consumes (this file, the single source of them),
//! and their admission against per-partition token buckets (the submodules).
//!
//! - [`bucket`]: the token-bucket arithmetic (pure, unit-tested) and the lock-free bucket;
//! - `partitions`: the partition model of a table or GSI (hash ranges, one read and one
//!   write bucket each);
//! - [`policy`]: who may spend what ([`AdmissionPolicy`]: fixed share, or adaptive
//!   borrowing of the table's unused throughput);
//! - `admission`: the registry and the write and read admission paths;
//! - `view`: the partition view ([`CapacityView`]) for the Rust API and metrics.
//!
//! See `docs/capacity.md` for the model and what is not built yet.
//!
//! # Units
//!
//! DynamoDB's rules:
//! - a write costs one WCU per started KB of the larger of the old and new item;
//! - a write also costs each secondary index it changes, per started KB of the index
//!   entry: one write when an entry appears, disappears or changes in place, two (a delete
//!   and a put) when the entry's index key changes; nothing when the index's key and
//!   projected attributes are untouched;
//! - a read costs one RCU per started 4 KB, half for eventually consistent reads, and at
//!   least one unit; BatchGetItem charges each item as its own GetItem;
//! - a Query or Scan page costs the bytes it read rounded up per 4 KB for the whole page,
//!   charged to the index it read (an LSI's fetches of non-projected attributes are
//!   charged to the table, per item).
//!
//! A request's [`Charge`] keeps the table's share and each index's apart, so that
//! `ReturnConsumedCapacity=INDEXES` can report them; `TOTAL` reports their sum.

use std::collections::BTreeMap;

pub(crate) mod admission;
pub(crate) mod auto_scaling;
#[doc(hidden)]
pub mod bucket;
mod config;
mod heat;
pub(crate) mod on_demand;
pub(crate) mod partitions;
pub mod policy;
mod saved;
pub mod split;
mod splitting;
mod view;

pub use admission::PartitionSplit;
pub use auto_scaling::{
    AutoScaling, IndexScaling, ScalingActivity, TargetTracking, SCALE_IN_DATAPOINTS,
    SCALE_IN_MARGIN_POINTS, SCALE_OUT_DATAPOINTS,
};
pub use config::{
    CapacityOptions, DEFAULT_BURST_SECS, DEFAULT_PARTITION_READ_UNITS_MAX,
    DEFAULT_PARTITION_SIZE_BYTES_MAX, DEFAULT_PARTITION_WRITE_UNITS_MAX,
    DEFAULT_TABLE_MAX_READ_UNITS, DEFAULT_TABLE_MAX_WRITE_UNITS,
};
pub use on_demand::PEAK_ESTABLISH_SECS;
pub use partitions::MAX_PARTITIONS;
pub use policy::{AdmissionPolicy, Admit, Balances, BorrowUnused, FixedShare};
pub use view::{CapacityView, KeyView, PartitionView, ResourceView, SideView};

use crate::catalog::{IndexDef, TableDef};
use crate::secondary_index::index_entry_key;
use crate::shapes::{Capacity, ConsumedCapacity, ReturnConsumedCapacity};
use crate::types::{item_size_bytes, Item, MAX_SIZE_PER_ENCODED_BYTE};

/// Bytes per write capacity unit.
pub const WRITE_UNIT_BYTES: usize = 1024;
/// Bytes per read capacity unit.
pub const READ_UNIT_BYTES: usize = 4096;

/// Whether the request asked for consumed capacity.
pub(crate) fn wanted(mode: Option<ReturnConsumedCapacity>) -> bool {
    !matches!(mode, None | Some(ReturnConsumedCapacity::None))
}

/// Write units for `size` bytes: at least one.
pub fn write_units(size: usize) -> f64 {
    size.div_ceil(WRITE_UNIT_BYTES).max(1) as f64
}

/// Read units for `size` bytes read in one request: at least one unit (half when
/// eventually consistent).
pub fn read_units(size: usize, consistent: bool) -> f64 {
    let units = size.div_ceil(READ_UNIT_BYTES).max(1) as f64;
    if consistent {
        units
    } else {
        units / 2.0
    }
}

/// What a read consumes whatever it finds (a GetItem of an absent item, a page that
/// matched nothing), in micro-units: [`read_units`] of nothing, which admission charges
/// up front, where a constant costs nothing to convert.
pub(crate) fn least_read_micros(consistent: bool) -> i64 {
    if consistent {
        bucket::MICROS_PER_UNIT
    } else {
        bucket::MICROS_PER_UNIT / 2
    }
}

/// The read capacity of one stored item whose encoding is `encoded_len` bytes, in
/// micro-units: from the length alone when that settles it (DynamoDB's size is at most
/// [`MAX_SIZE_PER_ENCODED_BYTE`] times the encoding, so an encoding of up to 2 KB is one
/// 4 KB unit, [`least_read_micros`]), else from the item's size. Admission charges this
/// on every GetItem, where walking a 1 KB item for its size cost a third of admission's
/// time, and converting units to micro-units a fiftieth.
pub(crate) fn stored_read_micros(encoded_len: usize, item: &Item, consistent: bool) -> i64 {
    if encoded_len.saturating_mul(MAX_SIZE_PER_ENCODED_BYTE) <= READ_UNIT_BYTES {
        debug_assert_eq!(
            read_units(item_size_bytes(item), consistent),
            read_units(0, consistent)
        );
        return least_read_micros(consistent);
    }
    bucket::units_to_micros(read_units(item_size_bytes(item), consistent))
}

/// Units one request charged to one table and its indexes.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Charge {
    /// The table's share.
    pub(crate) table: f64,
    /// Per GSI, by name (only indexes charged something).
    pub(crate) gsis: BTreeMap<String, f64>,
    /// Per LSI, by name.
    pub(crate) lsis: BTreeMap<String, f64>,
}

impl Charge {
    /// The table's share only.
    pub(crate) fn table(units: f64) -> Self {
        Charge {
            table: units,
            ..Charge::default()
        }
    }

    /// Everything charged.
    pub(crate) fn total(&self) -> f64 {
        self.table + self.gsis.values().sum::<f64>() + self.lsis.values().sum::<f64>()
    }

    /// Adds `other` (another item of the same request and table) to this charge.
    pub(crate) fn add(&mut self, other: &Charge) {
        self.table += other.table;
        for (name, u) in &other.gsis {
            *self.gsis.entry(name.clone()).or_default() += u;
        }
        for (name, u) in &other.lsis {
            *self.lsis.entry(name.clone()).or_default() += u;
        }
    }

    fn charge_index(&mut self, index: &IndexDef, is_gsi: bool, units: f64) {
        let map = if is_gsi {
            &mut self.gsis
        } else {
            &mut self.lsis
        };
        *map.entry(index.name.clone()).or_default() += units;
    }
}

/// What a write of `old → new` costs `def` and its indexes.
pub(crate) fn write_charge(def: &TableDef, old: Option<&Item>, new: Option<&Item>) -> Charge {
    let size = old
        .map_or(0, item_size_bytes)
        .max(new.map_or(0, item_size_bytes));
    write_charge_sized(def, old, new, size)
}

/// [`write_charge`] when the caller has measured `size`, the larger of the two items'
/// sizes, already (the write path has both: the new one from validation).
pub(crate) fn write_charge_sized(
    def: &TableDef,
    old: Option<&Item>,
    new: Option<&Item>,
    size: usize,
) -> Charge {
    let mut charge = Charge::table(write_units(size));
    let indexes = def
        .gsis
        .iter()
        .map(|g| (g, true))
        .chain(def.lsis.iter().map(|l| (l, false)));
    for (index, is_gsi) in indexes {
        let units = index_write_units(def, index, is_gsi, old, new);
        if units > 0.0 {
            charge.charge_index(index, is_gsi, units);
        }
    }
    charge
}

/// The write units `old → new` costs `index`. An item without a valid entry (sparse, or
/// violating the index key) costs nothing there.
fn index_write_units(
    def: &TableDef,
    index: &IndexDef,
    is_gsi: bool,
    old: Option<&Item>,
    new: Option<&Item>,
) -> f64 {
    let entry = |item: Option<&Item>| {
        let item = item?;
        let key = index_entry_key(&def.key, index, is_gsi, item).ok()??;
        Some((key, index.project(&def.key, item)))
    };
    let units = |entry: &Item| write_units(item_size_bytes(entry));
    match (entry(old), entry(new)) {
        (None, None) => 0.0,
        (None, Some((_, put))) => units(&put),
        (Some((_, deleted)), None) => units(&deleted),
        (Some((old_key, o)), Some((new_key, n))) if old_key != new_key => units(&o) + units(&n),
        (Some((_, o)), Some((_, n))) if o == n => 0.0,
        (Some((_, o)), Some((_, n))) => write_units(item_size_bytes(&o).max(item_size_bytes(&n))),
    }
}

/// What reading `bytes` from the table (`index` = `None`) or an index costs.
pub(crate) fn read_charge(
    index: Option<(&IndexDef, bool)>,
    bytes: usize,
    consistent: bool,
) -> Charge {
    let units = read_units(bytes, consistent);
    match index {
        None => Charge::table(units),
        Some((index, is_gsi)) => {
            let mut c = Charge::default();
            c.charge_index(index, is_gsi, units);
            c
        }
    }
}

fn share(units: f64, is_write: bool) -> Capacity {
    let (read, write) = if is_write {
        (None, Some(units))
    } else {
        (Some(units), None)
    };
    Capacity {
        capacity_units: units,
        read_capacity_units: read,
        write_capacity_units: write,
    }
}

/// The ConsumedCapacity of `charge` on `def`, as `mode` asks for it (`None` for NONE).
pub(crate) fn report(
    def: &TableDef,
    charge: &Charge,
    is_write: bool,
    mode: Option<ReturnConsumedCapacity>,
) -> Option<ConsumedCapacity> {
    let mode = mode.unwrap_or_default();
    if mode == ReturnConsumedCapacity::None {
        return None;
    }
    let total = share(charge.total(), is_write);
    let indexes = mode == ReturnConsumedCapacity::Indexes;
    let per_index = |map: &BTreeMap<String, f64>| {
        (indexes && !map.is_empty()).then(|| {
            map.iter()
                .map(|(name, u)| (name.clone(), share(*u, is_write)))
                .collect()
        })
    };
    Some(ConsumedCapacity {
        table_name: def.name.clone(),
        capacity_units: total.capacity_units,
        read_capacity_units: total.read_capacity_units,
        write_capacity_units: total.write_capacity_units,
        table: indexes.then(|| share(charge.table, is_write)),
        local_secondary_indexes: per_index(&charge.lsis),
        global_secondary_indexes: per_index(&charge.gsis),
    })
}

/// The ConsumedCapacity of a single-item write `old → new`, if asked for.
pub(crate) fn write(
    def: &TableDef,
    old: Option<&Item>,
    new: Option<&Item>,
    mode: Option<ReturnConsumedCapacity>,
) -> Option<ConsumedCapacity> {
    if !wanted(mode) {
        return None;
    }
    report(def, &write_charge(def, old, new), true, mode)
}

/// The ConsumedCapacity of a single-item read of `size` bytes from the table, if asked for.
pub(crate) fn read(
    def: &TableDef,
    size: usize,
    consistent: bool,
    mode: Option<ReturnConsumedCapacity>,
) -> Option<ConsumedCapacity> {
    if !wanted(mode) {
        return None;
    }
    report(def, &read_charge(None, size, consistent), false, mode)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_round_up_per_started_block() {
        assert_eq!(write_units(0), 1.0);
        assert_eq!(write_units(1024), 1.0);
        assert_eq!(write_units(1025), 2.0);
        assert_eq!(read_units(4096, true), 1.0);
        assert_eq!(read_units(4097, true), 2.0);
        assert_eq!(read_units(4097, false), 1.0);
        assert_eq!(read_units(0, false), 0.5);
    }

    #[test]
    fn charges_add_per_index_and_total() {
        let mut a = Charge::table(2.0);
        a.gsis.insert("g".into(), 1.0);
        let mut b = Charge::table(1.0);
        b.gsis.insert("g".into(), 2.0);
        b.lsis.insert("l".into(), 1.0);
        a.add(&b);
        assert_eq!(a.table, 3.0);
        assert_eq!(a.gsis["g"], 3.0);
        assert_eq!(a.lsis["l"], 1.0);
        assert_eq!(a.total(), 7.0);
    }
}
