//! Query returns one partition in sort-key order (S by UTF-8 bytes, N numerically, B by
//! unsigned bytes), forward or backward, narrowed by each sort-key operator.

mod support;

use std::collections::BTreeMap;

use shale_table::types::{AttributeValue, Item};
use shale_table::*;
use support::*;

fn query(
    db: &Database,
    table: &str,
    kce: &str,
    v: &[(&str, AttributeValue)],
    forward: bool,
) -> Vec<AttributeValue> {
    db.query(QueryInput {
        table_name: table.into(),
        key_condition_expression: Some(kce.into()),
        expression_attribute_values: Some(
            v.iter()
                .map(|(k, x)| (k.to_string(), x.clone()))
                .collect::<BTreeMap<_, _>>(),
        ),
        scan_index_forward: Some(forward),
        ..QueryInput::default()
    })
    .unwrap()
    .items
    .unwrap()
    .into_iter()
    .map(|i: Item| i["sk"].clone())
    .collect()
}

fn put_all(db: &Database, table: &str, pk: &str, sks: &[AttributeValue]) {
    for sk in sks {
        db.put_item(PutItemInput {
            table_name: table.into(),
            item: item(&[("pk", s(pk)), ("sk", sk.clone())]),
            ..PutItemInput::default()
        })
        .unwrap();
    }
}

#[test]
fn numbers_sort_numerically_in_both_directions() {
    for_each_backend(|_, db| {
        db.create_table(simple_table("Nums", Some(ScalarAttributeType::N)))
            .unwrap();
        let vals = [
            "10",
            "-3.5",
            "2",
            "0",
            "1e3",
            "-100",
            "0.001",
            "99999999999999999999",
        ];
        put_all(
            &db,
            "Nums",
            "p",
            &vals.iter().map(|v| n(v)).collect::<Vec<_>>(),
        );
        put_all(&db, "Nums", "other", &[n("5")]);
        let expect: Vec<_> = [
            "-100",
            "-3.5",
            "0",
            "0.001",
            "2",
            "10",
            "1000",
            "99999999999999999999",
        ]
        .iter()
        .map(|v| n(v))
        .collect();
        assert_eq!(
            query(&db, "Nums", "pk = :p", &[(":p", s("p"))], true),
            expect
        );
        let mut rev = expect.clone();
        rev.reverse();
        assert_eq!(query(&db, "Nums", "pk = :p", &[(":p", s("p"))], false), rev);
        let q = |kce: &str, v: &[(&str, AttributeValue)]| {
            let mut all = vec![(":p", s("p"))];
            all.extend_from_slice(v);
            query(&db, "Nums", kce, &all, true)
        };
        assert_eq!(
            q("pk = :p AND sk < :v", &[(":v", n("0"))]),
            vec![n("-100"), n("-3.5")]
        );
        assert_eq!(
            q("pk = :p AND sk <= :v", &[(":v", n("0"))]),
            vec![n("-100"), n("-3.5"), n("0")]
        );
        assert_eq!(
            q("pk = :p AND sk > :v", &[(":v", n("10"))]),
            vec![n("1000"), n("99999999999999999999")]
        );
        assert_eq!(
            q("pk = :p AND sk >= :v", &[(":v", n("1000"))]),
            vec![n("1000"), n("99999999999999999999")]
        );
        assert_eq!(q("pk = :p AND sk = :v", &[(":v", n("2.0"))]), vec![n("2")]);
        assert_eq!(
            q(
                "pk = :p AND sk BETWEEN :a AND :b",
                &[(":a", n("-3.5")), (":b", n("2"))]
            ),
            vec![n("-3.5"), n("0"), n("0.001"), n("2")]
        );
    });
}

#[test]
fn strings_sort_by_utf8_bytes_and_begins_with_selects_a_prefix() {
    for_each_backend(|_, db| {
        db.create_table(simple_table("Strs", Some(ScalarAttributeType::S)))
            .unwrap();
        let vals = ["b", "a", "ab", "a\u{0}b", "aa", "B", "é", "z", "abc"];
        put_all(
            &db,
            "Strs",
            "p",
            &vals.iter().map(|v| s(v)).collect::<Vec<_>>(),
        );
        let mut sorted: Vec<&str> = vals.to_vec();
        sorted.sort_by(|x, y| x.as_bytes().cmp(y.as_bytes()));
        let expect: Vec<_> = sorted.iter().map(|v| s(v)).collect();
        assert_eq!(
            query(&db, "Strs", "pk = :p", &[(":p", s("p"))], true),
            expect
        );
        assert_eq!(
            query(
                &db,
                "Strs",
                "pk = :p AND begins_with(sk, :pre)",
                &[(":p", s("p")), (":pre", s("a"))],
                true
            ),
            vec![s("a"), s("a\u{0}b"), s("aa"), s("ab"), s("abc")]
        );
        assert_eq!(
            query(
                &db,
                "Strs",
                "pk = :p AND begins_with(sk, :pre)",
                &[(":p", s("p")), (":pre", s("ab"))],
                false
            ),
            vec![s("abc"), s("ab")]
        );
        assert_eq!(
            query(
                &db,
                "Strs",
                "pk = :p AND begins_with(sk, :pre)",
                &[(":p", s("p")), (":pre", s("a\u{0}"))],
                true
            ),
            vec![s("a\u{0}b")]
        );
        assert!(query(&db, "Strs", "pk = :p", &[(":p", s("missing"))], true).is_empty());
    });
}

#[test]
fn binary_sort_keys_sort_as_unsigned_bytes() {
    for_each_backend(|_, db| {
        db.create_table(simple_table("Bins", Some(ScalarAttributeType::B)))
            .unwrap();
        let b = |v: &[u8]| AttributeValue::B(v.to_vec());
        put_all(
            &db,
            "Bins",
            "p",
            &[
                b(&[0xFF]),
                b(&[0x00]),
                b(&[0x7F, 0x01]),
                b(&[0x00, 0x00]),
                b(&[0x80]),
            ],
        );
        assert_eq!(
            query(&db, "Bins", "pk = :p", &[(":p", s("p"))], true),
            vec![
                b(&[0x00]),
                b(&[0x00, 0x00]),
                b(&[0x7F, 0x01]),
                b(&[0x80]),
                b(&[0xFF])
            ]
        );
        assert_eq!(
            query(
                &db,
                "Bins",
                "pk = :p AND begins_with(sk, :x)",
                &[(":p", s("p")), (":x", b(&[0x00]))],
                true
            ),
            vec![b(&[0x00]), b(&[0x00, 0x00])]
        );
    });
}

#[test]
fn key_condition_errors() {
    for_each_backend(|_, db| {
        db.create_table(simple_table("Errs", Some(ScalarAttributeType::N)))
            .unwrap();
        let q = |kce: &str, v: &[(&str, AttributeValue)]| {
            db.query(QueryInput {
                table_name: "Errs".into(),
                key_condition_expression: Some(kce.into()),
                expression_attribute_values: Some(
                    v.iter().map(|(k, x)| (k.to_string(), x.clone())).collect(),
                ),
                ..QueryInput::default()
            })
            .unwrap_err()
        };
        for (kce, v) in [
            ("sk = :v", vec![(":v", n("1"))]),
            ("pk < :v", vec![(":v", s("a"))]),
            (
                "pk = :v AND other = :w",
                vec![(":v", s("a")), (":w", n("1"))],
            ),
            (
                "pk = :v AND sk = :w",
                vec![(":v", s("a")), (":w", s("not a number"))],
            ),
            (
                "pk = :v AND begins_with(sk, :w)",
                vec![(":v", s("a")), (":w", n("1"))],
            ),
            (
                "pk = :v AND sk BETWEEN :hi AND :lo",
                vec![(":v", s("a")), (":hi", n("9")), (":lo", n("1"))],
            ),
        ] {
            let e = q(kce, &v);
            assert_eq!(
                e.exception_name(),
                "ValidationException",
                "{kce}: {}",
                e.message()
            );
        }
        let e = db
            .query(QueryInput {
                table_name: "Errs".into(),
                ..QueryInput::default()
            })
            .unwrap_err();
        assert_eq!(e.exception_name(), "ValidationException");
    });
}
