//! Item codec throughput: encode and decode a ~1 KB item with 10 attributes (the table
//! layer's typical item), next to serde_json's wire form for scale.
//!
//! Run: `cargo bench -p shale-table --bench types_codec`.

// criterion_group! generates a public function without a doc comment.
#![allow(missing_docs)]

use std::collections::BTreeMap;
use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use shale_table::types::{decode_item, encode_item, item_size_bytes, AttributeValue, Item, Number};

/// A deterministic ~1 KB item: keys, numbers, a string body, a binary, a set, a small
/// map and a list, as in a typical YCSB-like record with a little structure.
fn sample_item() -> Item {
    let text = |len: usize, seed: u8| -> String {
        (0..len)
            .map(|i| (b'a' + ((i as u8).wrapping_mul(7).wrapping_add(seed)) % 26) as char)
            .collect()
    };
    let number = |text: &str| AttributeValue::N(Number::parse(text).expect("valid number"));
    Item::from([
        (
            "pk".to_string(),
            AttributeValue::S("user#000000042".to_string()),
        ),
        ("sk".to_string(), number("1700000000123")),
        ("field0".to_string(), AttributeValue::S(text(300, 1))),
        ("field1".to_string(), AttributeValue::S(text(300, 2))),
        ("blob".to_string(), AttributeValue::B((0..200u8).collect())),
        ("price".to_string(), number("-12345.678901234567890123")),
        ("active".to_string(), AttributeValue::Bool(true)),
        (
            "tags".to_string(),
            AttributeValue::Ss((0..8).map(|i| format!("tag-{i}")).collect()),
        ),
        (
            "address".to_string(),
            AttributeValue::M(BTreeMap::from([
                (
                    "city".to_string(),
                    AttributeValue::S("Springfield".to_string()),
                ),
                ("zip".to_string(), number("12345")),
            ])),
        ),
        (
            "history".to_string(),
            AttributeValue::L((0..10).map(|i| number(&format!("{i}.5"))).collect()),
        ),
    ])
}

fn codec(c: &mut Criterion) {
    let item = sample_item();
    let mut encoded = Vec::new();
    encode_item(&item, &mut encoded).expect("valid item");
    let json = serde_json::to_vec(&item).expect("serializable");
    eprintln!(
        "item: {} attributes, DynamoDB size {} B, codec {} B, wire JSON {} B",
        item.len(),
        item_size_bytes(&item),
        encoded.len(),
        json.len()
    );

    let mut group = c.benchmark_group("item_codec_1kb");
    group.throughput(Throughput::Bytes(encoded.len() as u64));
    group.bench_function("encode", |b| {
        let mut out = Vec::with_capacity(2048);
        b.iter(|| {
            out.clear();
            encode_item(black_box(&item), &mut out).expect("valid item");
            black_box(out.len())
        })
    });
    group.bench_function("decode", |b| {
        b.iter(|| decode_item(black_box(&encoded)).expect("valid bytes"))
    });
    group.bench_function("json_encode", |b| {
        b.iter(|| serde_json::to_vec(black_box(&item)).expect("serializable"))
    });
    group.bench_function("json_decode", |b| {
        b.iter(|| serde_json::from_slice::<Item>(black_box(&json)).expect("valid json"))
    });
    group.finish();
}

criterion_group!(benches, codec);
criterion_main!(benches);
