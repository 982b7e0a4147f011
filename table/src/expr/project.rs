//! Projection: copying the attributes named by a projection expression out of an item.

use std::collections::BTreeMap;

use super::ast::{Path, PathElement};
use super::eval::lookup;
use crate::types::{AttributeValue, Item};

/// The part of `item` that `paths` name, keeping nested structure as DynamoDB does:
/// `a.b` yields `{a: {b: …}}`, and `l[1], l[3]` yields `{l: [l[1], l[3]]}` (the selected
/// list elements in index order). Paths the item lacks are skipped. If two paths
/// overlap (the parser rejects that), the shorter one wins.
#[must_use]
pub fn project(item: &Item, paths: &[Path]) -> Item {
    let mut root: BTreeMap<String, Node<'_>> = BTreeMap::new();
    for path in paths {
        let Some(value) = lookup(item, path) else {
            continue;
        };
        let (first, rest) = path.elements().split_first().expect("paths are non-empty");
        let PathElement::Key(name) = first else {
            continue;
        };
        let slot = root
            .entry(name.clone())
            .or_insert_with(Node::empty_for(rest.first()));
        slot.insert(rest, value);
    }
    root.into_iter()
        .map(|(name, node)| (name, node.into_value()))
        .collect()
}

/// A partially built projection.
enum Node<'i> {
    /// A whole value from the item.
    Leaf(&'i AttributeValue),
    /// Selected keys of a map.
    Map(BTreeMap<String, Node<'i>>),
    /// Selected elements of a list, by original index.
    List(BTreeMap<u32, Node<'i>>),
}

impl<'i> Node<'i> {
    /// A container matching the next path element (or a placeholder leaf slot).
    fn empty_for(next: Option<&PathElement>) -> impl FnOnce() -> Node<'i> {
        let is_index = matches!(next, Some(PathElement::Index(_)));
        move || {
            if is_index {
                Node::List(BTreeMap::new())
            } else {
                Node::Map(BTreeMap::new())
            }
        }
    }

    /// Places `value` at `rest` below this node. Bounded by the path's length.
    fn insert(&mut self, rest: &[PathElement], value: &'i AttributeValue) {
        let Some((first, tail)) = rest.split_first() else {
            *self = Node::Leaf(value);
            return;
        };
        match (self, first) {
            (Node::Map(children), PathElement::Key(key)) => children
                .entry(key.clone())
                .or_insert_with(Node::empty_for(tail.first()))
                .insert(tail, value),
            (Node::List(children), PathElement::Index(index)) => children
                .entry(*index)
                .or_insert_with(Node::empty_for(tail.first()))
                .insert(tail, value),
            // A leaf already covers this path, or the item's shape changed: keep it.
            _ => {}
        }
    }

    fn into_value(self) -> AttributeValue {
        match self {
            Node::Leaf(value) => value.clone(),
            Node::Map(children) => AttributeValue::M(
                children
                    .into_iter()
                    .map(|(k, n)| (k, n.into_value()))
                    .collect(),
            ),
            Node::List(children) => {
                AttributeValue::L(children.into_values().map(Node::into_value).collect())
            }
        }
    }
}
