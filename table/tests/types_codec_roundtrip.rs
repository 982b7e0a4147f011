//! Property tests: the item codec round-trips arbitrary items, key encodings sort like
//! DynamoDB's key order (S and B bytewise, N numerically), and wire JSON round-trips.

use std::collections::BTreeMap;

use proptest::prelude::*;
use shale_table::types::{
    decode_item, decode_key_value, encode_item, encode_key_value, item_size_bytes, AttributeValue,
    Item, Number, ScalarType, MAX_SIZE_PER_ENCODED_BYTE,
};

fn number() -> impl Strategy<Value = Number> {
    (any::<bool>(), 0u128..10u128.pow(38), -140i32..100)
        .prop_filter_map("out of range", |(negative, mantissa, exponent)| {
            Number::from_parts(negative, mantissa, exponent).ok()
        })
}

fn scalar() -> impl Strategy<Value = AttributeValue> {
    prop_oneof![
        ".{0,12}".prop_map(AttributeValue::S),
        number().prop_map(AttributeValue::N),
        proptest::collection::vec(any::<u8>(), 0..12).prop_map(AttributeValue::B),
        any::<bool>().prop_map(AttributeValue::Bool),
        Just(AttributeValue::Null(true)),
        proptest::collection::btree_set(".{0,6}", 1..4)
            .prop_map(|s| AttributeValue::Ss(s.into_iter().collect())),
        proptest::collection::vec(number(), 1..4).prop_map(|mut v| {
            v.sort();
            v.dedup();
            AttributeValue::Ns(v)
        }),
        proptest::collection::btree_set(proptest::collection::vec(any::<u8>(), 0..6), 1..4)
            .prop_map(|s| AttributeValue::Bs(s.into_iter().collect())),
    ]
}

fn value() -> impl Strategy<Value = AttributeValue> {
    scalar().prop_recursive(6, 48, 5, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..5).prop_map(AttributeValue::L),
            proptest::collection::btree_map(".{0,6}", inner, 0..5).prop_map(AttributeValue::M),
        ]
    })
}

fn item() -> impl Strategy<Value = Item> {
    proptest::collection::btree_map(".{1,8}", value(), 0..8)
}

/// The items closest to the size bound: one byte of encoding for two of size.
#[test]
fn lists_of_nulls_and_of_empty_containers_stay_within_twice_their_encoding() {
    let n = 1000;
    let shapes = [
        AttributeValue::L(vec![AttributeValue::Null(true); n]),
        AttributeValue::L(vec![AttributeValue::L(Vec::new()); n]),
        AttributeValue::L(vec![AttributeValue::M(BTreeMap::new()); n]),
    ];
    // A number set holding zero: its element is 1 byte against a size of 2.
    let zeros: Item = [(
        "z".to_string(),
        AttributeValue::Ns(vec!["0".parse::<Number>().unwrap()]),
    )]
    .into();
    let mut bytes = Vec::new();
    encode_item(&zeros, &mut bytes).unwrap();
    assert!(item_size_bytes(&zeros) <= MAX_SIZE_PER_ENCODED_BYTE * bytes.len());
    for value in shapes {
        let item: Item = [("a".to_string(), value)].into();
        let mut bytes = Vec::new();
        encode_item(&item, &mut bytes).unwrap();
        let (size, encoded) = (item_size_bytes(&item), bytes.len());
        assert!(
            size <= MAX_SIZE_PER_ENCODED_BYTE * encoded,
            "{size} > 2 × {encoded}"
        );
        // Within a few percent of the bound, so the bound is not loose by accident.
        assert!(
            size * 100 >= 60 * MAX_SIZE_PER_ENCODED_BYTE * encoded,
            "{size} vs {encoded}"
        );
    }
}

fn key_encoding(value: &AttributeValue) -> Vec<u8> {
    let mut out = Vec::new();
    encode_key_value(value, &mut out).unwrap();
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn item_codec_roundtrips(item in item()) {
        let mut bytes = Vec::new();
        encode_item(&item, &mut bytes).unwrap();
        prop_assert_eq!(decode_item(&bytes), Ok(item));
    }

    #[test]
    fn an_items_size_is_at_most_twice_its_encoding(item in item()) {
        let mut bytes = Vec::new();
        encode_item(&item, &mut bytes).unwrap();
        prop_assert!(item_size_bytes(&item) <= MAX_SIZE_PER_ENCODED_BYTE * bytes.len());
    }

    #[test]
    fn wire_json_roundtrips(item in item()) {
        let json = serde_json::to_string(&item).unwrap();
        let back: Item = serde_json::from_str(&json).unwrap();
        prop_assert_eq!(back, item);
    }

    #[test]
    fn corrupted_item_bytes_never_panic(item in item(), index in any::<prop::sample::Index>(), byte in any::<u8>()) {
        let mut bytes = Vec::new();
        encode_item(&item, &mut bytes).unwrap();
        let at = index.index(bytes.len());
        bytes[at] = byte;
        let _ = decode_item(&bytes);
        let _ = decode_item(&bytes[..at]);
    }

    #[test]
    fn string_keys_sort_bytewise(a in ".{0,10}", b in ".{0,10}", tail in proptest::collection::vec(any::<u8>(), 0..4)) {
        let (va, vb) = (AttributeValue::S(a.clone()), AttributeValue::S(b.clone()));
        let (ea, eb) = (key_encoding(&va), key_encoding(&vb));
        prop_assert_eq!(ea.cmp(&eb), a.as_bytes().cmp(b.as_bytes()));
        let mut with_tail = ea.clone();
        with_tail.extend_from_slice(&tail);
        prop_assert_eq!(decode_key_value(ScalarType::S, &with_tail), Ok((va, ea.len())));
    }

    #[test]
    fn binary_keys_sort_bytewise(a in proptest::collection::vec(prop_oneof![Just(0u8), Just(1), Just(0xFF), any::<u8>()], 0..10),
                                 b in proptest::collection::vec(prop_oneof![Just(0u8), Just(1), Just(0xFF), any::<u8>()], 0..10)) {
        let (va, vb) = (AttributeValue::B(a.clone()), AttributeValue::B(b.clone()));
        let (ea, eb) = (key_encoding(&va), key_encoding(&vb));
        prop_assert_eq!(ea.cmp(&eb), a.cmp(&b));
        prop_assert_eq!(decode_key_value(ScalarType::B, &ea), Ok((va, ea.len())));
    }

    #[test]
    fn number_keys_sort_numerically(a in number(), b in number()) {
        let (ea, eb) = (key_encoding(&AttributeValue::N(a)), key_encoding(&AttributeValue::N(b)));
        prop_assert_eq!(ea.cmp(&eb), a.cmp(&b));
    }

    #[test]
    fn composite_keys_sort_by_partition_then_sort(pa in ".{0,6}", sa in number(), pb in ".{0,6}", sb in number()) {
        let composite = |p: &str, s: Number| {
            let mut out = key_encoding(&AttributeValue::S(p.to_string()));
            out.extend(key_encoding(&AttributeValue::N(s)));
            out
        };
        let expected = pa.as_bytes().cmp(pb.as_bytes()).then(sa.cmp(&sb));
        prop_assert_eq!(composite(&pa, sa).cmp(&composite(&pb, sb)), expected);
    }
}

#[test]
fn empty_item_roundtrips() {
    let mut bytes = Vec::new();
    encode_item(&BTreeMap::new(), &mut bytes).unwrap();
    assert_eq!(bytes, [1, 0]);
    assert_eq!(decode_item(&bytes), Ok(Item::new()));
}
