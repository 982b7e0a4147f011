//! Consumed-capacity arithmetic (reported, not enforced).
//!
//! DynamoDB's rules: a write costs one WCU per started KB of the larger of the old and new
//! item; a read costs one RCU per started 4 KB, half for eventually consistent reads; a
//! Query or Scan page costs the bytes it read rounded up per 4 KB for the whole page.

use super::catalog::TableDef;
use super::shapes::{Capacity, ConsumedCapacity, ReturnConsumedCapacity};
use crate::types::{item_size_bytes, Item};

/// Bytes per write capacity unit.
pub const WRITE_UNIT_BYTES: usize = 1024;
/// Bytes per read capacity unit.
pub const READ_UNIT_BYTES: usize = 4096;

/// Whether the request asked for consumed capacity.
pub(crate) fn wanted(mode: Option<ReturnConsumedCapacity>) -> bool {
    !matches!(mode, None | Some(ReturnConsumedCapacity::None))
}

/// The size a write is charged for: the larger of the old and new item.
pub(crate) fn write_size(old: Option<&Item>, new: Option<&Item>) -> usize {
    old.map_or(0, item_size_bytes)
        .max(new.map_or(0, item_size_bytes))
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

fn report(
    def: &TableDef,
    units: f64,
    is_write: bool,
    mode: Option<ReturnConsumedCapacity>,
) -> Option<ConsumedCapacity> {
    let mode = mode.unwrap_or_default();
    if mode == ReturnConsumedCapacity::None {
        return None;
    }
    let (r, w) = if is_write {
        (None, Some(units))
    } else {
        (Some(units), None)
    };
    Some(ConsumedCapacity {
        table_name: def.name.clone(),
        capacity_units: units,
        read_capacity_units: r,
        write_capacity_units: w,
        table: (mode == ReturnConsumedCapacity::Indexes).then_some(Capacity {
            capacity_units: units,
            read_capacity_units: r,
            write_capacity_units: w,
        }),
        local_secondary_indexes: None,
        global_secondary_indexes: None,
    })
}

/// The ConsumedCapacity of a single-item write of `size` bytes, if asked for.
pub(crate) fn write(
    def: &TableDef,
    size: usize,
    mode: Option<ReturnConsumedCapacity>,
) -> Option<ConsumedCapacity> {
    report(def, write_units(size), true, mode)
}

/// The ConsumedCapacity of a read of `size` bytes, if asked for.
pub(crate) fn read(
    def: &TableDef,
    size: usize,
    consistent: bool,
    mode: Option<ReturnConsumedCapacity>,
) -> Option<ConsumedCapacity> {
    report(def, read_units(size, consistent), false, mode)
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
}
