//! Query and Scan: one page of a range scan at one snapshot.
//!
//! Both resolve their target (table or index), turn their parameters into key bounds and
//! a direction, then run [`read_page`], which applies DynamoDB's paging rules:
//! `Limit` counts items *evaluated* (before the filter), a page stops after 1 MB of items
//! read (also before the filter), and `LastEvaluatedKey` is the key of the last item
//! evaluated whenever the page stopped early.

use std::ops::Bound;
use std::sync::Arc;

use crate::capacity;
use crate::capacity::admission::ReadAt;
use crate::catalog::{IndexDef, KeyDef, TableDef};
use crate::core::Core;
use crate::error::{Error, SegmentError, SelectError, StartKeyProblem, ValidationError};
use crate::expr::SortCondition;
use crate::exprs::{self, Compiled, ExprInputs, LegacyInputs};
use crate::keys::{
    composite_partition_prefix, entry_key, header_hash, key_position, prefix_bounds,
    prefix_successor, push_key_value, segment_bounds, KeyRange,
};
use crate::secondary_index::index_entry_key;
use crate::shapes::{
    ProjectionType, QueryInput, QueryOutput, ReturnConsumedCapacity, ScanInput, Select,
};
use crate::stored::decode_stored;
use crate::types::{item_size_bytes, AttributeValue, Item, ScalarType};
use shale_engine::Direction;

/// A page stops once this many bytes of items were read (before the filter).
pub const MAX_PAGE_BYTES: usize = 1024 * 1024;
/// Most parallel-scan segments.
pub const MAX_TOTAL_SEGMENTS: i64 = 1_000_000;

/// What a read targets: the table itself or one of its indexes.
struct Target<'a> {
    def: &'a TableDef,
    index: Option<(&'a IndexDef, bool)>,
}

impl Target<'_> {
    fn id(&self) -> u32 {
        self.index.map_or(self.def.id, |(i, _)| i.id)
    }
    fn key(&self) -> &KeyDef {
        self.index.map_or(&self.def.key, |(i, _)| &i.key)
    }
    /// The backend key of `item`'s entry in this target.
    fn entry_key_of(&self, item: &Item) -> Result<Option<Vec<u8>>, Error> {
        match self.index {
            None => {
                let k = self.def.key.item_key(item)?;
                Ok(Some(entry_key(self.def.id, &k.pk, k.sk.as_ref())?))
            }
            Some((i, is_gsi)) => index_entry_key(&self.def.key, i, is_gsi, item),
        }
    }
    /// LastEvaluatedKey: table key plus index key attributes.
    fn last_key(&self, item: &Item) -> Item {
        let mut k = self.def.key.key_item(item);
        if let Some((i, _)) = self.index {
            k.extend(i.key.key_item(item));
        }
        k
    }
}

/// The parameters common to Query and Scan.
struct PageSpec<'a> {
    target: Target<'a>,
    start: Bound<Vec<u8>>,
    end: Bound<Vec<u8>>,
    direction: Direction,
    limit: Option<usize>,
    select: Select,
    compiled: Compiled,
    consistent: bool,
    return_capacity: Option<ReturnConsumedCapacity>,
}

fn resolve_target<'a>(
    def: &'a TableDef,
    index_name: Option<&str>,
    consistent: bool,
) -> Result<Target<'a>, Error> {
    let index = match index_name {
        None => None,
        Some(name) => {
            crate::catalog::validate_name("indexName", name)?;
            let (i, is_gsi) = def
                .index(name)
                .ok_or_else(|| ValidationError::NoSuchIndex {
                    index: name.to_owned(),
                })?;
            if is_gsi && consistent {
                return Err(ValidationError::ConsistentReadOnGsi.into());
            }
            if is_gsi && i.status != crate::shapes::IndexStatus::Active {
                return Err(ValidationError::IndexBackfilling {
                    index: name.to_owned(),
                }
                .into());
            }
            Some((i, is_gsi))
        }
    };
    Ok(Target { def, index })
}

/// `projection`: the parameter that asked for attributes (ProjectionExpression or
/// AttributesToGet), if any.
fn resolve_select(
    select: Option<Select>,
    projection: Option<&'static str>,
    target: &Target<'_>,
) -> Result<Select, Error> {
    let s = match (select, projection) {
        (None, Some(_)) => Select::SpecificAttributes,
        (None, None) if target.index.is_some() => Select::AllProjectedAttributes,
        (None, None) => Select::AllAttributes,
        (Some(Select::SpecificAttributes), None) => {
            return Err(ValidationError::Select(SelectError::SpecificWithoutProjection).into())
        }
        (Some(s), Some(parameter)) if s != Select::SpecificAttributes => {
            return Err(ValidationError::Select(SelectError::ProjectionWithSelect {
                parameter,
                select: s.as_str(),
            })
            .into())
        }
        (Some(s), _) => s,
    };
    if s == Select::AllProjectedAttributes && target.index.is_none() {
        return Err(ValidationError::Select(SelectError::AllProjectedWithoutIndex).into());
    }
    if s == Select::AllAttributes {
        if let Some((i, true)) = target.index {
            if i.projection.ty != ProjectionType::All {
                return Err(ValidationError::AllAttributesOnPartialGsi {
                    index: i.name.clone(),
                }
                .into());
            }
        }
    }
    Ok(s)
}

fn resolve_limit(limit: Option<i64>) -> Result<Option<usize>, Error> {
    match limit {
        None => Ok(None),
        Some(l) if l < 1 => Err(ValidationError::OutOfRange {
            field: "limit",
            value: l,
            constraint: "greater than or equal to 1",
        }
        .into()),
        Some(l) => Ok(Some(usize::try_from(l).unwrap_or(usize::MAX))),
    }
}

/// Checks an ExclusiveStartKey against the target's schema and returns its backend key.
fn start_key(target: &Target<'_>, start: &Item) -> Result<Vec<u8>, Error> {
    let bad = || {
        Error::from(ValidationError::BadStartKey {
            reason: StartKeyProblem::DoesNotMatchSchema,
        })
    };
    let mut expected: Vec<&crate::catalog::KeyAttr> = target.def.key.attrs().collect();
    if let Some((i, _)) = target.index {
        for a in i.key.attrs() {
            if !expected.iter().any(|e| e.name == a.name) {
                expected.push(a);
            }
        }
    }
    if start.len() != expected.len() {
        return Err(bad());
    }
    for a in &expected {
        match start.get(&a.name) {
            Some(v) if ScalarType::of(v) == Some(a.ty.scalar()) => {}
            _ => return Err(bad()),
        }
    }
    target
        .entry_key_of(start)
        .map_err(|_| bad())?
        .ok_or_else(bad)
}

/// Narrows `(start, end)` to the keys after `after` in `direction`.
fn resume_after(
    start: Bound<Vec<u8>>,
    end: Bound<Vec<u8>>,
    after: Vec<u8>,
    direction: Direction,
) -> Result<KeyRange, Error> {
    let within = (start.as_ref(), end.as_ref());
    let inside = std::ops::RangeBounds::contains(&within, &&after);
    if !inside {
        return Err(ValidationError::BadStartKey {
            reason: StartKeyProblem::OutsideBoundaries,
        }
        .into());
    }
    Ok(match direction {
        Direction::Forward => (Bound::Excluded(after), end),
        Direction::Reverse => (start, Bound::Excluded(after)),
    })
}

/// The range of `def`'s own entries that a key condition on its primary key selects
/// (a filtered export's `KeyConditionExpression`), as a Query of the table reads it.
///
/// # Errors
/// As a Query's key condition.
pub(crate) fn table_key_range(
    def: &TableDef,
    kc: &crate::exprs::KeyConditionValues,
) -> Result<KeyRange, Error> {
    query_bounds(&Target { def, index: None }, &kc.partition, &kc.sort)
}

/// The bounds of a Query: the partition (every partition-key value, hashed together),
/// narrowed by the sort conditions: the leading equalities pin a prefix, and the last
/// condition bounds the range within it.
fn query_bounds(
    target: &Target<'_>,
    pks: &[AttributeValue],
    sorts: &[SortCondition],
) -> Result<KeyRange, Error> {
    let id = target.id();
    let mut partition = composite_partition_prefix(id, pks)?;
    let Some((sort, pinned)) = sorts.split_last() else {
        return Ok(prefix_bounds(&partition));
    };
    for eq in pinned {
        let SortCondition::Eq(v) = eq else {
            debug_assert!(false, "key conditions pin leading sort values with '='");
            return Err(ValidationError::KeyMismatch.into());
        };
        push_key_value(v, &mut partition)?;
    }
    let with = |v: &AttributeValue| -> Result<Vec<u8>, Error> {
        let mut k = partition.clone();
        push_key_value(v, &mut k)?;
        Ok(k)
    };
    let after_all = |p: &[u8]| match prefix_successor(p) {
        Some(s) => Bound::Excluded(s),
        None => Bound::Unbounded,
    };
    let part_end = after_all(&partition);
    Ok(match sort {
        SortCondition::Eq(v) => prefix_bounds(&with(v)?),
        SortCondition::Lt(v) => (
            Bound::Included(partition.clone()),
            Bound::Excluded(with(v)?),
        ),
        SortCondition::Le(v) => (Bound::Included(partition.clone()), after_all(&with(v)?)),
        SortCondition::Gt(v) => (after_all(&with(v)?), part_end),
        SortCondition::Ge(v) => (Bound::Included(with(v)?), part_end),
        SortCondition::Between(a, b) => (Bound::Included(with(a)?), after_all(&with(b)?)),
        SortCondition::BeginsWith(v) => {
            // S and B encode as escaped bytes + a 2-byte terminator: every value with
            // prefix `v` encodes with prefix "escaped v" (the encoding minus terminator).
            let mut k = with(v)?;
            k.truncate(k.len() - 2);
            prefix_bounds(&k)
        }
    })
}

/// One page of `spec`'s range at one snapshot, by DynamoDB's paging rules.
fn read_page(core: &Core, spec: PageSpec<'_>) -> Result<QueryOutput, Error> {
    // Admitted on the partition where the page starts (a Query's one partition; a
    // Scan's page walks hash order from there), charged the page's units once read.
    let gsi = match spec.target.index {
        Some((i, true)) => Some(i.name.as_str()),
        _ => None,
    };
    // A base-table page starts at a key position (routing within a collection split on
    // the sort key); an index's keys are not the table's positions. Copied (the scan
    // takes the bound) only when admission will route on it.
    let start_key = match (&spec.start, spec.target.index) {
        (Bound::Included(k) | Bound::Excluded(k), None) if core.admission.enforcing() => {
            Some(k.clone())
        }
        _ => None,
    };
    // A page reads many keys: the partition view counts its hash, unlabelled.
    let at = ReadAt {
        hash: bound_hash(&spec.start),
        position: start_key.as_deref().and_then(key_position),
        key: None,
    };
    let grant = core.admission.read(
        spec.target.def,
        gsi,
        at,
        capacity::least_read_micros(spec.consistent),
    )?;
    let snapshot = core.backend.snapshot();
    let iter = core
        .backend
        .scan(spec.start, spec.end, spec.direction, Some(&snapshot))?;
    let mut items = Vec::new();
    let mut scanned = 0usize;
    let mut bytes = 0usize;
    let mut last = None;
    let mut stopped_early = false;
    // An LSI query asking for attributes its entries lack reads them from the base
    // table, as DynamoDB does (a GSI refuses such a request up front).
    let fetch_base = match spec.target.index {
        Some((i, false)) if i.projection.ty != ProjectionType::All => match spec.select {
            Select::AllAttributes => true,
            Select::SpecificAttributes => spec
                .compiled
                .projected_attributes()
                .any(|name| !i.projects(&spec.target.def.key, name)),
            _ => false,
        },
        _ => false,
    };
    let wants_capacity = capacity::wanted(spec.return_capacity) || grant.is_some();
    // Capacity: entries read from the target, and items fetched from the base table.
    let mut entry_bytes = 0usize;
    let mut fetch_units = 0.0;
    for kv in iter {
        let (k, v) = kv?;
        let mut item = decode_stored(&k, &v)?;
        if wants_capacity && fetch_base {
            entry_bytes += item_size_bytes(&item);
        }
        if fetch_base {
            let key = spec.target.def.key.item_key(&item)?;
            let base_key = entry_key(spec.target.def.id, &key.pk, key.sk.as_ref())?;
            if let Some(b) = core.backend.get(&base_key, Some(&snapshot))? {
                item = decode_stored(&base_key, &b)?;
                if wants_capacity {
                    fetch_units += capacity::read_units(item_size_bytes(&item), spec.consistent);
                }
            }
        }
        scanned += 1;
        bytes += item_size_bytes(&item);
        if spec.compiled.filter_holds(&item)? {
            if spec.select != Select::Count {
                items.push(match spec.select {
                    Select::SpecificAttributes => spec.compiled.project(&item),
                    _ => item.clone(),
                });
            } else {
                items.push(Item::new());
            }
        }
        let full = spec.limit.is_some_and(|l| scanned >= l) || bytes >= MAX_PAGE_BYTES;
        if full {
            last = Some(spec.target.last_key(&item));
            stopped_early = true;
            break;
        }
    }
    let count = items.len();
    let charge = wants_capacity.then(|| {
        let read = if fetch_base { entry_bytes } else { bytes };
        let mut charge = capacity::read_charge(spec.target.index, read, spec.consistent);
        charge.table += fetch_units;
        charge
    });
    if let (Some(g), Some(c)) = (&grant, &charge) {
        g.charge(c.total());
    }
    Ok(QueryOutput {
        items: (spec.select != Select::Count).then_some(items),
        count: count as i64,
        scanned_count: scanned as i64,
        last_evaluated_key: if stopped_early { last } else { None },
        consumed_capacity: charge
            .and_then(|c| capacity::report(spec.target.def, &c, false, spec.return_capacity)),
    })
}

/// The partition-key hash where a range starts (0 from the start of a table or index).
fn bound_hash(start: &Bound<Vec<u8>>) -> u64 {
    match start {
        Bound::Included(k) | Bound::Excluded(k) => header_hash(k),
        Bound::Unbounded => 0,
    }
}

/// A read whose parts arrive parsed (PartiQL's SELECT, `crate::partiql`): a Query when
/// `key` pins a partition of the target, else a Scan; `filter` and `projection` are the
/// expression language's AST. The same paging, limits and capacity as Query and Scan.
pub(crate) struct ParsedRead<'a> {
    pub table: &'a str,
    pub index: Option<&'a str>,
    /// The partition value and an optional sort condition, for a Query.
    pub key: Option<(AttributeValue, Option<SortCondition>)>,
    pub filter: Option<crate::expr::Condition>,
    pub projection: Option<Vec<crate::expr::Path>>,
    pub consistent: bool,
    pub limit: Option<i64>,
    pub exclusive_start_key: Option<&'a Item>,
    pub return_capacity: Option<ReturnConsumedCapacity>,
}

/// One page of a [`ParsedRead`].
///
/// # Errors
/// As [`super::Database::query`] and [`super::Database::scan`].
pub(crate) fn read_parsed(core: &Core, r: ParsedRead<'_>) -> Result<QueryOutput, Error> {
    let def = table_for_reads(core, r.table)?;
    let target = resolve_target(&def, r.index, r.consistent)?;
    let limit = resolve_limit(r.limit)?;
    let compiled = Compiled::from_parsed(crate::expr::ParsedExpressions {
        filter: r.filter,
        projection: r.projection,
        ..Default::default()
    });
    let select = resolve_select(None, compiled.projection_parameter(), &target)?;
    let (mut start, mut end) = match &r.key {
        Some((pk, sort)) => query_bounds(&target, std::slice::from_ref(pk), sort.as_slice())?,
        None => prefix_bounds(&target.id().to_be_bytes()),
    };
    if let Some(esk) = r.exclusive_start_key {
        let k = start_key(&target, esk)?;
        (start, end) = resume_after(start, end, k, Direction::Forward)?;
    }
    read_page(
        core,
        PageSpec {
            target,
            start,
            end,
            direction: Direction::Forward,
            limit,
            select,
            compiled,
            consistent: r.consistent,
            return_capacity: r.return_capacity,
        },
    )
}

/// The key attributes (partition, then sort) of `table` or its index `index`.
///
/// # Errors
/// ResourceNotFound, ValidationException (no such index).
pub(crate) fn target_key(
    core: &Core,
    table: &str,
    index: Option<&str>,
) -> Result<(Arc<TableDef>, KeyDef), Error> {
    let def = table_for_reads(core, table)?;
    let key = resolve_target(&def, index, false)?.key().clone();
    Ok((def, key))
}

fn table_for_reads(core: &Core, name: &str) -> Result<Arc<TableDef>, Error> {
    core.table_for_items(&core.catalog.read(), name)
}

impl super::Database {
    /// Query: one partition of the table or an index, in sort-key order (or reverse).
    ///
    /// # Errors
    /// ResourceNotFound, ValidationException (key condition, index, Select, Limit,
    /// ExclusiveStartKey, expressions, ConsistentRead on a GSI), storage failure.
    pub fn query(&self, input: QueryInput) -> Result<QueryOutput, Error> {
        let def = table_for_reads(&self.core, &input.table_name)?;
        let consistent = input.consistent_read.unwrap_or(false);
        let target = resolve_target(&def, input.index_name.as_deref(), consistent)?;
        let limit = resolve_limit(input.limit)?;
        if input.key_condition_expression.is_none() && input.key_conditions.is_none() {
            return Err(ValidationError::NoKeyCondition.into());
        }
        let key = target.key();
        let compiled = exprs::compile(ExprInputs {
            key_condition: input.key_condition_expression.as_deref().map(|k| (k, key)),
            filter: input.filter_expression.as_deref(),
            projection: input.projection_expression.as_deref(),
            attributes_to_get: input.attributes_to_get.as_deref(),
            names: input.expression_attribute_names.as_ref(),
            values: input.expression_attribute_values.as_ref(),
            legacy: LegacyInputs {
                key_conditions: input.key_conditions.as_ref().map(|k| (k, key)),
                query_filter: input.query_filter.as_ref().map(|f| (f, key)),
                conditional_operator: input.conditional_operator,
                ..LegacyInputs::default()
            },
            ..ExprInputs::default()
        })?;
        compiled.check_key_paths(target.def)?;
        let select = resolve_select(input.select, compiled.projection_parameter(), &target)?;
        let kc = compiled.key_condition()?;
        let direction = if input.scan_index_forward.unwrap_or(true) {
            Direction::Forward
        } else {
            Direction::Reverse
        };
        let (mut start, mut end) = query_bounds(&target, &kc.partition, &kc.sort)?;
        if let Some(esk) = &input.exclusive_start_key {
            let k = start_key(&target, esk)?;
            (start, end) = resume_after(start, end, k, direction)?;
        }
        read_page(
            &self.core,
            PageSpec {
                target,
                start,
                end,
                direction,
                limit,
                select,
                compiled,
                consistent,
                return_capacity: input.return_consumed_capacity,
            },
        )
    }

    /// Scan: the table or an index in hash order, optionally one parallel-scan segment.
    ///
    /// # Errors
    /// ResourceNotFound, ValidationException (segments, index, Select, Limit,
    /// ExclusiveStartKey, expressions, ConsistentRead on a GSI), storage failure.
    pub fn scan(&self, input: ScanInput) -> Result<QueryOutput, Error> {
        let def = table_for_reads(&self.core, &input.table_name)?;
        let consistent = input.consistent_read.unwrap_or(false);
        let target = resolve_target(&def, input.index_name.as_deref(), consistent)?;
        let limit = resolve_limit(input.limit)?;
        let segment = match (input.segment, input.total_segments) {
            (None, None) => None,
            (Some(_), None) => {
                return Err(ValidationError::Segment(SegmentError::MissingTotalSegments).into())
            }
            (None, Some(_)) => {
                return Err(ValidationError::Segment(SegmentError::MissingSegment).into())
            }
            (Some(s), Some(t)) => {
                if !(1..=MAX_TOTAL_SEGMENTS).contains(&t) {
                    return Err(ValidationError::OutOfRange {
                        field: "totalSegments",
                        value: t,
                        constraint: if t < 1 {
                            "greater than or equal to 1"
                        } else {
                            "less than or equal to 1000000"
                        },
                    }
                    .into());
                }
                if s < 0 {
                    return Err(ValidationError::OutOfRange {
                        field: "segment",
                        value: s,
                        constraint: "greater than or equal to 0",
                    }
                    .into());
                }
                if s >= t {
                    return Err(
                        ValidationError::Segment(SegmentError::SegmentNotBelowTotal {
                            segment: s as u32,
                            total_segments: t as u32,
                        })
                        .into(),
                    );
                }
                Some((s as u32, t as u32))
            }
        };
        let compiled = exprs::compile(ExprInputs {
            filter: input.filter_expression.as_deref(),
            projection: input.projection_expression.as_deref(),
            attributes_to_get: input.attributes_to_get.as_deref(),
            names: input.expression_attribute_names.as_ref(),
            values: input.expression_attribute_values.as_ref(),
            legacy: LegacyInputs {
                scan_filter: input.scan_filter.as_ref(),
                conditional_operator: input.conditional_operator,
                ..LegacyInputs::default()
            },
            ..ExprInputs::default()
        })?;
        compiled.check_key_paths(target.def)?;
        let select = resolve_select(input.select, compiled.projection_parameter(), &target)?;
        let (mut start, mut end) = match segment {
            Some((s, t)) => segment_bounds(target.id(), s, t),
            None => prefix_bounds(&target.id().to_be_bytes()),
        };
        if let Some(esk) = &input.exclusive_start_key {
            let k = start_key(&target, esk)?;
            (start, end) = resume_after(start, end, k, Direction::Forward)?;
        }
        read_page(
            &self.core,
            PageSpec {
                target,
                start,
                end,
                direction: Direction::Forward,
                limit,
                select,
                compiled,
                consistent,
                return_capacity: input.return_consumed_capacity,
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resume_after_rejects_keys_outside_the_range() {
        let r = resume_after(
            Bound::Included(vec![1]),
            Bound::Excluded(vec![2]),
            vec![3],
            Direction::Forward,
        );
        assert!(r.is_err());
        let (s, e) = resume_after(
            Bound::Included(vec![1]),
            Bound::Excluded(vec![2]),
            vec![1, 5],
            Direction::Reverse,
        )
        .unwrap();
        assert_eq!(s, Bound::Included(vec![1]));
        assert_eq!(e, Bound::Excluded(vec![1, 5]));
    }
}
