//! Every comparator (`=`, `<>`, `<`, `<=`, `>`, `>=`) on every orderable scalar type
//! (N, S, B), through the two places a condition is evaluated against a stored item: a
//! PutItem ConditionExpression (true: the write happens; false:
//! ConditionalCheckFailedException and nothing changes) and a Query FilterExpression
//! (true: the item is returned; false: it is scanned but dropped). Both outcomes of every
//! comparator are checked, with operands chosen where a wrong ordering would show:
//! numbers compared as text ("9" vs "10"), equal numbers written differently ("10.00"),
//! strings by UTF-8 bytes (uppercase before lowercase, a prefix before its extensions),
//! and bytes unsigned (0x80 after 0x10). A comparison across types is false, and `<>`
//! then true.

mod support;

use std::cmp::Ordering;
use std::collections::BTreeMap;

use shale_table::types::{AttributeValue, Item};
use shale_table::*;
use support::*;

const OPS: [&str; 6] = ["=", "<>", "<", "<=", ">", ">="];

/// What `stored OP operand` must evaluate to, given how `stored` compares to `operand`.
fn expected(op: &str, order: Ordering) -> bool {
    match op {
        "=" => order == Ordering::Equal,
        "<>" => order != Ordering::Equal,
        "<" => order == Ordering::Less,
        "<=" => order != Ordering::Greater,
        ">" => order == Ordering::Greater,
        ">=" => order != Ordering::Less,
        _ => unreachable!(),
    }
}

fn b(bytes: &[u8]) -> AttributeValue {
    AttributeValue::B(bytes.to_vec())
}

/// The stored value of one type (its item's pk is the type tag), and operands with how
/// the stored value compares to each.
struct Case {
    tag: &'static str,
    stored: AttributeValue,
    operands: Vec<(AttributeValue, Ordering)>,
}

fn case(
    tag: &'static str,
    stored: AttributeValue,
    operands: Vec<(AttributeValue, Ordering)>,
) -> Case {
    Case {
        tag,
        stored,
        operands,
    }
}

fn cases() -> Vec<Case> {
    use Ordering::*;
    vec![
        case(
            "N",
            n("10"),
            vec![
                (n("9"), Greater),
                (n("-20"), Greater),
                (n("9.999"), Greater),
                (n("10"), Equal),
                (n("10.00"), Equal),
                (n("11"), Less),
                (n("100"), Less),
                (n("10.0001"), Less),
            ],
        ),
        case(
            "S",
            s("m"),
            vec![
                (s("l"), Greater),
                (s("M"), Greater),
                (s("Zebra"), Greater),
                (s("m"), Equal),
                (s("ma"), Less),
                (s("n"), Less),
                (s("é"), Less),
            ],
        ),
        case(
            "B",
            b(&[0x10, 0x20]),
            vec![
                (b(&[0x10]), Greater),
                (b(&[0x0f, 0xff, 0xff]), Greater),
                (b(&[0x10, 0x20]), Equal),
                (b(&[0x10, 0x20, 0x00]), Less),
                (b(&[0x10, 0x21]), Less),
                (b(&[0x80]), Less),
            ],
        ),
    ]
}

fn stored_item(tag: &str, v: &AttributeValue) -> Item {
    item(&[("pk", s(tag)), ("a", v.clone()), ("version", n("0"))])
}

fn setup(db: &Database) {
    db.create_table(simple_table("Cmp", None)).unwrap();
    for Case { tag, stored, .. } in cases() {
        db.put_item(PutItemInput {
            table_name: "Cmp".into(),
            item: stored_item(tag, &stored),
            ..PutItemInput::default()
        })
        .unwrap();
    }
}

fn get(db: &Database, tag: &str) -> Item {
    db.get_item(GetItemInput {
        table_name: "Cmp".into(),
        key: item(&[("pk", s(tag))]),
        consistent_read: Some(true),
        ..GetItemInput::default()
    })
    .unwrap()
    .item
    .expect("item exists")
}

/// Puts a new version of `tag`'s item under `#a OP :v`; returns whether it was written
/// (checking that a refused write changed nothing).
fn conditional_put(db: &Database, tag: &str, op: &str, operand: &AttributeValue) -> bool {
    let before = get(db, tag);
    let mut next = before.clone();
    let version = match &before["version"] {
        AttributeValue::N(v) => v.to_string().parse::<u64>().unwrap() + 1,
        other => panic!("version is {other:?}"),
    };
    next.insert("version".into(), n(&version.to_string()));
    let r = db.put_item(PutItemInput {
        table_name: "Cmp".into(),
        item: next.clone(),
        condition_expression: Some(format!("#a {op} :v")),
        expression_attribute_names: Some(BTreeMap::from([("#a".into(), "a".into())])),
        expression_attribute_values: vals(&[(":v", operand.clone())]),
        ..PutItemInput::default()
    });
    match r {
        Ok(_) => {
            assert_eq!(get(db, tag), next);
            true
        }
        Err(e) => {
            assert!(
                matches!(e, Error::ConditionalCheckFailed { .. }),
                "{tag} a {op} {operand:?}: {e:?}"
            );
            assert_eq!(get(db, tag), before, "a failed condition wrote");
            false
        }
    }
}

/// Queries `tag`'s partition with FilterExpression `a OP :v`; returns whether the item
/// passed the filter (it is always scanned).
fn filtered(db: &Database, tag: &str, op: &str, operand: &AttributeValue) -> bool {
    let out = db
        .query(QueryInput {
            table_name: "Cmp".into(),
            key_condition_expression: Some("pk = :p".into()),
            filter_expression: Some(format!("a {op} :v")),
            expression_attribute_values: vals(&[(":p", s(tag)), (":v", operand.clone())]),
            ..QueryInput::default()
        })
        .unwrap();
    assert_eq!(out.scanned_count, 1, "{tag} a {op} {operand:?}");
    let items = out.items.unwrap();
    assert_eq!(out.count as usize, items.len());
    assert!(items.iter().all(|i| i["pk"] == s(tag)));
    items.len() == 1
}

#[test]
fn every_comparator_in_a_condition_expression() {
    for_each_backend(|_, db| {
        setup(&db);
        let mut outcomes = (0, 0);
        for Case {
            tag,
            stored,
            operands,
        } in cases()
        {
            for (operand, order) in &operands {
                for op in OPS {
                    let want = expected(op, *order);
                    assert_eq!(
                        conditional_put(&db, tag, op, operand),
                        want,
                        "condition {stored:?} {op} {operand:?}"
                    );
                    if want {
                        outcomes.0 += 1;
                    } else {
                        outcomes.1 += 1;
                    }
                }
            }
        }
        assert!(outcomes.0 > 0 && outcomes.1 > 0, "{outcomes:?}");
    });
}

#[test]
fn every_comparator_in_a_filter_expression() {
    for_each_backend(|_, db| {
        setup(&db);
        for Case {
            tag,
            stored,
            operands,
        } in cases()
        {
            for (operand, order) in &operands {
                for op in OPS {
                    assert_eq!(
                        filtered(&db, tag, op, operand),
                        expected(op, *order),
                        "filter {stored:?} {op} {operand:?}"
                    );
                }
            }
        }
    });
}

#[test]
fn the_attribute_may_be_on_either_side() {
    // `:v OP a` is the mirror of `a OP :v`.
    for_each_backend(|_, db| {
        setup(&db);
        for Case {
            tag,
            stored,
            operands,
        } in cases()
        {
            for (operand, order) in &operands {
                for op in OPS {
                    let out = db
                        .query(QueryInput {
                            table_name: "Cmp".into(),
                            key_condition_expression: Some("pk = :p".into()),
                            filter_expression: Some(format!(":v {op} a")),
                            expression_attribute_values: vals(&[
                                (":p", s(tag)),
                                (":v", operand.clone()),
                            ]),
                            ..QueryInput::default()
                        })
                        .unwrap();
                    assert_eq!(
                        out.count == 1,
                        expected(op, order.reverse()),
                        "filter {operand:?} {op} {stored:?}"
                    );
                }
            }
        }
    });
}

#[test]
fn comparisons_across_types_are_false_and_not_equal_is_true() {
    for_each_backend(|_, db| {
        setup(&db);
        // The N item against a string "10", the S item against a number, the B item
        // against a string with the same bytes.
        let mismatched = [
            ("N", s("10")),
            ("S", n("5")),
            ("B", s("\u{10} ")),
            ("N", b(b"10")),
        ];
        for (tag, operand) in mismatched {
            for op in OPS {
                let want = op == "<>";
                assert_eq!(
                    filtered(&db, tag, op, &operand),
                    want,
                    "filter {tag} a {op} {operand:?}"
                );
                assert_eq!(
                    conditional_put(&db, tag, op, &operand),
                    want,
                    "condition {tag} a {op} {operand:?}"
                );
            }
        }
    });
}
