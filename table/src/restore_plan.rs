//! How a restore fills its target: which key ranges of the source it copies, and whether
//! the index entries are replayed or rebuilt.
//!
//! - **Rebuild:** each item goes through the one write path, which derives the LSI
//!   entries, the item-collection sizes and the GSI queue records (the worker then builds
//!   the GSI entries from the queue).
//! - **Replay:** the source's stored bytes are bulk loaded under the target's ids
//!   ([`shale_engine::Backend::ingest`]): its items, and its index entries and
//!   collection sizes as they were at the restore time; then the GSI queue records that
//!   were still pending at that time are queued again, renamed for the target, so its
//!   GSIs reach exactly what the source's would have from those entries. A target
//!   without indexes is the simplest case: only its items are loaded.
//!
//! Replay is the faster (a table with a GSI and an LSI restores several times faster,
//! `docs/benchmarks.md`), so it is chosen whenever it gives the same table, that is when
//! every index the target has is one the source had at the restore time, built (not
//! backfilling), with the same key and projection, and the target keeps all of the
//! source's LSIs or none (a collection's size counts every LSI's entries). Otherwise, or
//! when the target has a stream (whose records only the write path makes), the restore
//! rebuilds. [`crate::DatabaseOptions::restore_index_replay`] off forces rebuilding
//! where the target has indexes, to compare the two.
//!
//! Every load of a replay is idempotent (the same bytes under the same keys; a queued
//! record applied again converges, since its ops are puts and deletes of whole entries
//! and the records are queued again in their order), so a replay interrupted by a crash
//! starts over from its first range, whatever the previous run loaded.

use std::collections::HashMap;

use shale_engine::{BatchOp, KeyRanges};

use crate::backup_records::SourceIndex;
use crate::catalog::{IndexDef, TableDef};
use crate::keys::{id_prefix, prefix_bounds, INDEX_QUEUE_ID};
use crate::secondary_index::collection_size_prefix;
use crate::shapes::IndexStatus;

/// How the target's keys are named after the source's: the 4-byte id at the start of
/// every item and index key, and also the table id after the collection-size id (the
/// size key is `[COLLECTION_SIZE_ID][table id][partition prefix]`, and the partition
/// prefix starts with the table id too).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Rename {
    /// Keys of table or index `from`, renamed to `to`.
    Id { from: u32, to: u32 },
    /// Collection sizes of table `from`, renamed to table `to`.
    CollectionSize { from: u32, to: u32 },
}

impl Rename {
    /// Renames a source key for the target.
    pub(crate) fn apply(self, key: &mut [u8]) {
        let (Rename::Id { to, .. } | Rename::CollectionSize { to, .. }) = self;
        self.put(key, to);
    }

    /// Renames a target key back to the source's (`apply`'s inverse).
    pub(crate) fn undo(self, key: &mut [u8]) {
        let (Rename::Id { from, .. } | Rename::CollectionSize { from, .. }) = self;
        self.put(key, from);
    }

    /// Writes `id` where this rename's ids go.
    fn put(self, key: &mut [u8], id: u32) {
        match self {
            Rename::Id { .. } => put_id(key, 0, id),
            Rename::CollectionSize { .. } => {
                put_id(key, 4, id);
                put_id(key, 8, id);
            }
        }
    }

    /// The prefix of every source key this rename applies to.
    pub(crate) fn source_prefix(self) -> Vec<u8> {
        match self {
            Rename::Id { from, .. } => id_prefix(from).to_vec(),
            Rename::CollectionSize { from, .. } => collection_size_prefix(from),
        }
    }
}

/// Writes `id` at `at` in `key` (a key too short to hold it is left alone: every key
/// scanned under a rename's prefix holds it).
fn put_id(key: &mut [u8], at: usize, id: u32) {
    if let Some(slot) = key.get_mut(at..at + 4) {
        slot.copy_from_slice(&id.to_be_bytes());
    }
}

/// What a restore does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Method {
    /// Every item through the write path.
    Rebuild,
    /// Bulk loads of these source ranges in order (the items first), then the pending GSI
    /// queue records of the source GSIs in `gsis` (source id → target id) queued again.
    Replay {
        loads: Vec<Rename>,
        gsis: HashMap<u32, u32>,
    },
}

/// Where a restore reads from, as far as choosing its method goes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Source<'a> {
    /// The source table's base id.
    pub(crate) id: u32,
    /// Its definition at the restore time, as the view or checkpoint holds it (`None` if
    /// it holds none).
    pub(crate) then: Option<&'a TableDef>,
    /// The index ids whose entries the view holds (`None`: every one, a checkpoint). A
    /// past view holds the indexes the source had when the restore was asked for
    /// ([`view_ranges`]); one deleted and created again since has a new id, whose entries
    /// the view does not hold.
    pub(crate) held: Option<&'a [SourceIndex]>,
}

/// Chooses the method for restoring `source` into `target` (see the module docs).
pub(crate) fn choose(target: &TableDef, source: Source<'_>, replay_allowed: bool) -> Method {
    let base = Rename::Id {
        from: source.id,
        to: target.id,
    };
    let has_indexes = !target.gsis.is_empty() || !target.lsis.is_empty();
    if target.stream.is_some() || (has_indexes && !replay_allowed) {
        return Method::Rebuild;
    }
    if !has_indexes {
        return Method::Replay {
            loads: vec![base],
            gsis: HashMap::new(),
        };
    }
    let Some(then) = source.then.filter(|s| s.id == source.id) else {
        return Method::Rebuild;
    };
    // A collection's size counts every LSI's entries: all of them or none.
    if !target.lsis.is_empty() && target.lsis.len() != then.lsis.len() {
        return Method::Rebuild;
    }
    let held = |id: u32| source.held.is_none_or(|h| h.iter().any(|i| i.id == id));
    let mut loads = vec![base];
    let mut gsis = HashMap::new();
    for (index, global) in target
        .lsis
        .iter()
        .map(|l| (l, false))
        .chain(target.gsis.iter().map(|g| (g, true)))
    {
        let of_source = if global { &then.gsis } else { &then.lsis };
        let Some(from) = same_index(index, of_source).filter(|&id| held(id)) else {
            return Method::Rebuild;
        };
        loads.push(Rename::Id { from, to: index.id });
        if global {
            gsis.insert(from, index.id);
        }
    }
    if !target.lsis.is_empty() {
        loads.push(Rename::CollectionSize {
            from: source.id,
            to: target.id,
        });
    }
    Method::Replay { loads, gsis }
}

/// The id of the index of `source` that `index` copies: the same name, key and
/// projection, built (a backfilling GSI's entries are incomplete).
fn same_index(index: &IndexDef, source: &[IndexDef]) -> Option<u32> {
    source
        .iter()
        .find(|s| {
            s.name == index.name
                && s.key == index.key
                && s.projection == index.projection
                && s.status == IndexStatus::Active
        })
        .map(|s| s.id)
}

/// What a past view must hold for a restore of table `source_id` keeping `indexes` (as
/// the source had them when the restore was asked for): the table's items, and, when it
/// keeps indexes, its catalog record (`catalog_key`, to learn its definition at the
/// restore time) and the indexes' entries, with its collection sizes when it keeps LSIs
/// and the GSI queue when it keeps GSIs.
pub(crate) fn view_ranges(
    source_id: u32,
    indexes: &[SourceIndex],
    catalog_key: Vec<u8>,
) -> KeyRanges {
    let mut ranges = vec![prefix_bounds(&id_prefix(source_id))];
    if !indexes.is_empty() {
        ranges.push((
            std::ops::Bound::Included(catalog_key.clone()),
            std::ops::Bound::Included(catalog_key),
        ));
        ranges.extend(indexes.iter().map(|i| prefix_bounds(&id_prefix(i.id))));
    }
    if indexes.iter().any(|i| !i.global) {
        ranges.push(prefix_bounds(&collection_size_prefix(source_id)));
    }
    if indexes.iter().any(|i| i.global) {
        ranges.push(prefix_bounds(&id_prefix(INDEX_QUEUE_ID)));
    }
    KeyRanges::new(ranges)
}

/// The ops of a source queue record that touch the GSIs in `gsis`, renamed for the
/// target (ops on other tables' or left-out indexes' entries are dropped).
pub(crate) fn rename_queue_ops(ops: Vec<BatchOp>, gsis: &HashMap<u32, u32>) -> Vec<BatchOp> {
    let target_of = |key: &[u8]| {
        key.get(..4)
            .and_then(|id| <[u8; 4]>::try_from(id).ok())
            .and_then(|id| gsis.get(&u32::from_be_bytes(id)).copied())
    };
    ops.into_iter()
        .filter_map(|mut op| {
            let key = match &mut op {
                BatchOp::Put { key, .. } | BatchOp::Delete { key } => key,
                _ => return None,
            };
            let to = target_of(key)?;
            put_id(key, 0, to);
            Some(op)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{KeyAttr, KeyDef, ProjectionDef};
    use crate::shapes::{
        BillingMode, ProjectionType, ScalarAttributeType, StreamSpecification, TableStatus,
    };

    fn key(attr: &str) -> KeyDef {
        KeyDef::simple(
            KeyAttr {
                name: attr.into(),
                ty: ScalarAttributeType::S,
            },
            None,
        )
    }

    fn renamed(rename: Rename, key: &[u8]) -> Vec<u8> {
        let mut k = key.to_vec();
        rename.apply(&mut k);
        k
    }

    #[test]
    fn a_rename_and_its_undo_touch_only_the_ids() {
        let item = [&id_prefix(20)[..], b"hash....pk"].concat();
        let id = Rename::Id { from: 20, to: 33 };
        assert_eq!(
            renamed(id, &item),
            [&id_prefix(33)[..], b"hash....pk"].concat()
        );
        let mut back = renamed(id, &item);
        id.undo(&mut back);
        assert_eq!(back, item);
        // [2][table 20][20 hash pk] → [2][33][33 hash pk]
        let size = [
            &collection_size_prefix(20)[..],
            &id_prefix(20),
            b"hash....pk",
        ]
        .concat();
        let sizes = Rename::CollectionSize { from: 20, to: 33 };
        assert_eq!(
            renamed(sizes, &size),
            [
                &collection_size_prefix(33)[..],
                &id_prefix(33),
                b"hash....pk"
            ]
            .concat()
        );
        let mut back = renamed(sizes, &size);
        sizes.undo(&mut back);
        assert_eq!(back, size);
        assert_eq!(sizes.source_prefix(), collection_size_prefix(20));
    }

    #[test]
    fn queue_ops_keep_only_the_kept_gsis_renamed() {
        let gsis = HashMap::from([(21, 41)]);
        let key = |id: u32| [&id_prefix(id)[..], b"entry"].concat();
        let ops = vec![
            BatchOp::Put {
                key: key(21),
                value: b"v".to_vec(),
            },
            BatchOp::Delete { key: key(22) },
            BatchOp::Delete { key: key(21) },
            BatchOp::Put {
                key: key(99),
                value: b"other table".to_vec(),
            },
        ];
        assert_eq!(
            rename_queue_ops(ops, &gsis),
            vec![
                BatchOp::Put {
                    key: key(41),
                    value: b"v".to_vec()
                },
                BatchOp::Delete { key: key(41) },
            ]
        );
    }

    fn index(name: &str, id: u32, attr: &str) -> IndexDef {
        IndexDef {
            name: name.into(),
            id,
            key: key(attr),
            projection: ProjectionDef {
                ty: ProjectionType::All,
                non_key: vec![],
            },
            status: IndexStatus::Active,
            throughput: None,
            on_demand_throughput: None,
            changes: Default::default(),
        }
    }

    fn def(id: u32, lsis: Vec<IndexDef>, gsis: Vec<IndexDef>) -> TableDef {
        TableDef {
            name: "T".into(),
            id,
            uuid: String::new(),
            status: TableStatus::Active,
            created_micros: 0,
            key: key("pk"),
            attribute_definitions: vec![],
            billing_mode: BillingMode::PayPerRequest,
            throughput: None,
            decreases: 0,
            gsis,
            lsis,
            stream: None,
            deletion_protection: false,
            ttl_attribute: None,
            on_demand_throughput: None,
            latest_stream_micros: None,
            settings: crate::catalog::TableSettings::default(),
            admission: Default::default(),
        }
    }

    /// A checkpoint's source: every range held.
    fn whole(id: u32, then: Option<&TableDef>) -> Source<'_> {
        Source {
            id,
            then,
            held: None,
        }
    }

    #[test]
    fn replay_is_chosen_only_where_it_gives_the_same_table() {
        let source = def(
            20,
            vec![index("L", 21, "l")],
            vec![index("G", 22, "g"), index("H", 23, "h")],
        );
        // Everything kept: the items, both kinds of entries, the sizes, the queue.
        let all = def(
            30,
            vec![index("L", 31, "l")],
            vec![index("G", 32, "g"), index("H", 33, "h")],
        );
        let Method::Replay { loads, gsis } = choose(&all, whole(20, Some(&source)), true) else {
            panic!("replayed");
        };
        assert_eq!(
            loads,
            vec![
                Rename::Id { from: 20, to: 30 },
                Rename::Id { from: 21, to: 31 },
                Rename::Id { from: 22, to: 32 },
                Rename::Id { from: 23, to: 33 },
                Rename::CollectionSize { from: 20, to: 30 },
            ]
        );
        assert_eq!(gsis, HashMap::from([(22, 32), (23, 33)]));
        // A GSI left out, and the LSI left out: no sizes either.
        let some = def(30, vec![], vec![index("H", 33, "h")]);
        assert_eq!(
            choose(&some, whole(20, Some(&source)), true),
            Method::Replay {
                loads: vec![
                    Rename::Id { from: 20, to: 30 },
                    Rename::Id { from: 23, to: 33 }
                ],
                gsis: HashMap::from([(23, 33)]),
            }
        );
        // No indexes: the items alone, whatever the source had (or whether it is known).
        assert_eq!(
            choose(&def(30, vec![], vec![]), whole(20, None), false),
            Method::Replay {
                loads: vec![Rename::Id { from: 20, to: 30 }],
                gsis: HashMap::new(),
            }
        );
        // Rebuilt: replay off; the source's definition unknown or another table's; an
        // index missing, different or backfilling then; some LSIs but not all.
        assert_eq!(
            choose(&all, whole(20, Some(&source)), false),
            Method::Rebuild
        );
        assert_eq!(choose(&all, whole(20, None), true), Method::Rebuild);
        assert_eq!(
            choose(&all, whole(19, Some(&source)), true),
            Method::Rebuild
        );
        let other_key = def(30, vec![], vec![index("G", 32, "x")]);
        assert_eq!(
            choose(&other_key, whole(20, Some(&source)), true),
            Method::Rebuild
        );
        let mut backfilling = source.clone();
        backfilling.gsis[0].status = IndexStatus::Creating;
        assert_eq!(
            choose(&all, whole(20, Some(&backfilling)), true),
            Method::Rebuild
        );
        let two_lsis = def(20, vec![index("L", 21, "l"), index("M", 24, "m")], vec![]);
        let one_lsi = def(30, vec![index("L", 31, "l")], vec![]);
        assert_eq!(
            choose(&one_lsi, whole(20, Some(&two_lsis)), true),
            Method::Rebuild
        );
        // A past view holds the indexes the source had when the restore was asked for:
        // a GSI deleted and created again since (its id then 22, now 25) is not held.
        let asked = [
            SourceIndex {
                id: 21,
                global: false,
            },
            SourceIndex {
                id: 25,
                global: true,
            },
            SourceIndex {
                id: 23,
                global: true,
            },
        ];
        let view = Source {
            id: 20,
            then: Some(&source),
            held: Some(&asked),
        };
        assert_eq!(choose(&all, view, true), Method::Rebuild);
        let without_g = def(30, vec![index("L", 31, "l")], vec![index("H", 33, "h")]);
        assert!(matches!(
            choose(&without_g, view, true),
            Method::Replay { .. }
        ));
        let mut streamed = all.clone();
        streamed.stream = Some(StreamSpecification {
            stream_enabled: true,
            stream_view_type: None,
        });
        assert_eq!(
            choose(&streamed, whole(20, Some(&source)), true),
            Method::Rebuild
        );
    }

    #[test]
    fn the_view_holds_the_indexes_ranges_only_when_there_are_indexes() {
        let key = crate::catalog::table_key("T");
        let items_only = view_ranges(20, &[], key.clone());
        assert_eq!(items_only.ranges(), &[prefix_bounds(&id_prefix(20))]);
        let lsi = SourceIndex {
            id: 21,
            global: false,
        };
        let gsi = SourceIndex {
            id: 22,
            global: true,
        };
        // The collection sizes only with an LSI, the queue only with a GSI.
        let lsi_only = view_ranges(20, &[lsi], key.clone());
        assert!(lsi_only.contains(&collection_size_prefix(20)));
        assert!(!lsi_only.contains(&crate::gsi_queue::key_of(7)));
        let gsi_only = view_ranges(20, &[gsi], key.clone());
        assert!(!gsi_only.contains(&collection_size_prefix(20)));
        assert!(gsi_only.contains(&crate::gsi_queue::key_of(7)));
        let with = view_ranges(20, &[lsi, gsi], key.clone());
        for inside in [
            &id_prefix(20)[..],
            &id_prefix(21),
            &id_prefix(22),
            &key,
            &collection_size_prefix(20),
            &crate::gsi_queue::key_of(7),
        ] {
            assert!(with.contains(inside), "{inside:?}");
        }
        assert!(!with.contains(&id_prefix(23)));
        assert!(!with.contains(&collection_size_prefix(21)));
        assert!(!with.contains(&crate::catalog::table_key("U")));
    }
}
