//! ReturnConsumedCapacity over the wire: the units DynamoDB's formulas give, through the
//! real binary and a raw HTTP client.
//!
//! DynamoDB's rules (Developer Guide, "Capacity unit consumption"):
//! - a write costs 1 WCU per started KB of the larger of the old and new item;
//! - a GetItem costs 1 RCU per started 4 KB of the item, half when eventually consistent;
//! - a Query or Scan page costs the total bytes it read (before any filter), rounded up
//!   per 4 KB once for the page;
//! - BatchGetItem charges each item as its own GetItem (each rounded up to 4 KB);
//! - a write that puts an entry into a GSI also costs the index's WCUs, and INDEXES
//!   reports them per index.
//!
//! Item sizes are DynamoDB's: the attribute names' lengths plus the string values'
//! lengths, so [`item_of`] builds items of an exact size.

mod common;

use std::time::{Duration, Instant};

use common::http::Client;
use common::Server;
use serde_json::{json, Value};

const TABLE: &str = "Cap";
const GSI: &str = "ByG";
/// Bound on waiting for the asynchronous GSI to catch up.
const GSI_DEADLINE: Duration = Duration::from_secs(20);
const GSI_POLL: Duration = Duration::from_millis(20);

fn call(c: &mut Client, op: &str, body: Value) -> Value {
    let r = c.call(op, &body).expect("request");
    assert_eq!(r.status, 200, "{op}: {}", String::from_utf8_lossy(&r.body));
    r.json()
}

/// A server with table `Cap` (`pk`, `sk`: S) and a KEYS_ONLY GSI `ByG` on `g` (S).
fn server_with_table() -> (Server, Client) {
    let server = Server::in_memory();
    let mut c = Client::connect(server.addr).unwrap();
    call(
        &mut c,
        "CreateTable",
        json!({
            "TableName": TABLE,
            "AttributeDefinitions": [
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
                {"AttributeName": "g", "AttributeType": "S"}
            ],
            "KeySchema": [
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"}
            ],
            "GlobalSecondaryIndexes": [{
                "IndexName": GSI,
                "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "KEYS_ONLY"}
            }],
            "BillingMode": "PAY_PER_REQUEST"
        }),
    );
    (server, c)
}

/// An item of exactly `size_bytes` by DynamoDB's rules, padded with a `d` string
/// attribute; `g` puts it into the GSI.
fn item_of(pk: &str, sk: &str, size_bytes: usize, g: Option<&str>) -> Value {
    let fixed = "pk".len() + pk.len() + "sk".len() + sk.len() + "d".len();
    let fixed = fixed + g.map_or(0, |g| "g".len() + g.len());
    assert!(
        size_bytes > fixed,
        "{size_bytes} bytes cannot hold the keys"
    );
    let mut item = json!({
        "pk": {"S": pk},
        "sk": {"S": sk},
        "d": {"S": "x".repeat(size_bytes - fixed)}
    });
    if let Some(g) = g {
        item["g"] = json!({"S": g});
    }
    item
}

fn key(pk: &str, sk: &str) -> Value {
    json!({"pk": {"S": pk}, "sk": {"S": sk}})
}

fn put(c: &mut Client, item: Value, rcc: &str) -> Value {
    call(
        c,
        "PutItem",
        json!({"TableName": TABLE, "Item": item, "ReturnConsumedCapacity": rcc}),
    )
}

/// `CapacityUnits` of a single ConsumedCapacity, after checking it names the table and
/// that the read/write split, when given, agrees with the total.
fn units(cc: &Value) -> f64 {
    assert_eq!(cc["TableName"], TABLE, "{cc}");
    let total = cc["CapacityUnits"]
        .as_f64()
        .unwrap_or_else(|| panic!("no CapacityUnits: {cc}"));
    for split in ["ReadCapacityUnits", "WriteCapacityUnits"] {
        if let Some(v) = cc.get(split) {
            assert_eq!(v.as_f64(), Some(total), "{split} vs CapacityUnits: {cc}");
        }
    }
    total
}

/// The table's share under INDEXES.
fn table_share(cc: &Value) -> f64 {
    cc["Table"]["CapacityUnits"]
        .as_f64()
        .unwrap_or_else(|| panic!("INDEXES must report the table's share: {cc}"))
}

/// A response without its (large) items, for failure messages.
fn brief(out: &Value) -> Value {
    let mut v = out.clone();
    if let Some(o) = v.as_object_mut() {
        o.remove("Items");
        o.remove("Responses");
    }
    v
}

/// The single entry of a batch's ConsumedCapacity list.
fn only(list: &Value) -> &Value {
    let list = list.as_array().unwrap_or_else(|| panic!("a list: {list}"));
    assert_eq!(list.len(), 1, "one table: {list:?}");
    &list[0]
}

#[test]
fn writes_cost_one_wcu_per_started_kb_of_the_larger_image() {
    let (_server, mut c) = server_with_table();
    let out = put(&mut c, item_of("p", "a", 1024, None), "TOTAL");
    assert_eq!(
        units(&out["ConsumedCapacity"]),
        1.0,
        "1024 bytes: {}",
        brief(&out)
    );
    let out = put(&mut c, item_of("p", "a", 1025, None), "TOTAL");
    assert_eq!(
        units(&out["ConsumedCapacity"]),
        2.0,
        "1025 bytes: {}",
        brief(&out)
    );
    // Replacing a 1025-byte item with a small one is charged for the old one.
    let out = put(&mut c, item_of("p", "a", 100, None), "INDEXES");
    let cc = &out["ConsumedCapacity"];
    assert_eq!(units(cc), 2.0, "{}", brief(&out));
    assert_eq!(table_share(cc), 2.0, "{}", brief(&out));
    for rcc in [Some("NONE"), None] {
        let mut body = json!({"TableName": TABLE, "Item": item_of("p", "a", 100, None)});
        if let Some(rcc) = rcc {
            body["ReturnConsumedCapacity"] = json!(rcc);
        }
        let out = call(&mut c, "PutItem", body);
        assert!(
            out.get("ConsumedCapacity").is_none(),
            "{rcc:?}: {}",
            brief(&out)
        );
    }

    // UpdateItem: 100 bytes grow to 3000 (3 WCU), then shrink again (still 3: the old).
    let update = |c: &mut Client, d_len: usize, rcc: &str| {
        call(
            c,
            "UpdateItem",
            json!({
                "TableName": TABLE,
                "Key": key("p", "a"),
                "UpdateExpression": "SET d = :d",
                "ExpressionAttributeValues": {":d": {"S": "y".repeat(d_len)}},
                "ReturnConsumedCapacity": rcc
            }),
        )
    };
    let fixed = "pk".len() + 1 + "sk".len() + 1 + "d".len();
    let out = update(&mut c, 3000 - fixed, "INDEXES");
    let cc = &out["ConsumedCapacity"];
    assert_eq!(units(cc), 3.0, "{}", brief(&out));
    assert_eq!(table_share(cc), 3.0, "{}", brief(&out));
    let out = update(&mut c, 10, "TOTAL");
    assert_eq!(units(&out["ConsumedCapacity"]), 3.0, "{}", brief(&out));

    // DeleteItem is charged for the item it removes.
    put(&mut c, item_of("p", "b", 2100, None), "NONE");
    let out = call(
        &mut c,
        "DeleteItem",
        json!({"TableName": TABLE, "Key": key("p", "b"), "ReturnConsumedCapacity": "TOTAL"}),
    );
    assert_eq!(units(&out["ConsumedCapacity"]), 3.0, "{}", brief(&out));
}

/// Three 2100-byte items in partition `p`, one in `q`: a page of `p` reads 6300 bytes
/// (2 × 4 KB), the whole table 8400 (3 × 4 KB). Per-item rounding would give 3 and 4.
#[test]
fn query_and_scan_pages_cost_their_total_bytes_per_started_4kb() {
    let (_server, mut c) = server_with_table();
    for (pk, sk) in [("p", "a"), ("p", "b"), ("p", "c"), ("q", "a")] {
        put(&mut c, item_of(pk, sk, 2100, None), "NONE");
    }
    let query = |c: &mut Client, extra: Value| {
        let mut body = json!({
            "TableName": TABLE,
            "KeyConditionExpression": "pk = :p",
            "ExpressionAttributeValues": {":p": {"S": "p"}},
            "ReturnConsumedCapacity": "TOTAL"
        });
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        call(c, "Query", body)
    };
    let out = query(&mut c, json!({}));
    assert_eq!(out["Count"], 3);
    assert_eq!(
        units(&out["ConsumedCapacity"]),
        1.0,
        "eventual: {}",
        brief(&out)
    );
    let out = query(&mut c, json!({"ConsistentRead": true}));
    assert_eq!(
        units(&out["ConsumedCapacity"]),
        2.0,
        "consistent: {}",
        brief(&out)
    );
    // A filter does not reduce what was read.
    let out = query(
        &mut c,
        json!({
            "FilterExpression": "d = :none",
            "ExpressionAttributeValues": {":p": {"S": "p"}, ":none": {"S": "nothing"}}
        }),
    );
    assert_eq!(
        (out["Count"].as_i64(), out["ScannedCount"].as_i64()),
        (Some(0), Some(3))
    );
    assert_eq!(
        units(&out["ConsumedCapacity"]),
        1.0,
        "filtered: {}",
        brief(&out)
    );
    let out = query(&mut c, json!({"Limit": 1}));
    assert_eq!(
        units(&out["ConsumedCapacity"]),
        0.5,
        "one item: {}",
        brief(&out)
    );
    let out = query(
        &mut c,
        json!({"ConsistentRead": true, "ReturnConsumedCapacity": "INDEXES"}),
    );
    let cc = &out["ConsumedCapacity"];
    assert_eq!((units(cc), table_share(cc)), (2.0, 2.0), "{}", brief(&out));

    let scan = |c: &mut Client, consistent: bool| {
        call(
            c,
            "Scan",
            json!({"TableName": TABLE, "ConsistentRead": consistent, "ReturnConsumedCapacity": "TOTAL"}),
        )
    };
    let out = scan(&mut c, false);
    assert_eq!(out["Count"], 4);
    assert_eq!(
        units(&out["ConsumedCapacity"]),
        1.5,
        "eventual scan: {}",
        brief(&out)
    );
    let out = scan(&mut c, true);
    assert_eq!(
        units(&out["ConsumedCapacity"]),
        3.0,
        "consistent scan: {}",
        brief(&out)
    );
}

#[test]
fn batch_write_costs_the_sum_of_its_writes_and_batch_get_of_one_item_its_get() {
    let (_server, mut c) = server_with_table();
    let out = call(
        &mut c,
        "BatchWriteItem",
        json!({
            "RequestItems": {TABLE: [
                {"PutRequest": {"Item": item_of("p", "a", 1500, None)}},
                {"PutRequest": {"Item": item_of("p", "b", 2100, None)}}
            ]},
            "ReturnConsumedCapacity": "TOTAL"
        }),
    );
    assert_eq!(
        units(only(&out["ConsumedCapacity"])),
        5.0,
        "2 + 3: {}",
        brief(&out)
    );
    let out = call(
        &mut c,
        "BatchWriteItem",
        json!({
            "RequestItems": {TABLE: [
                {"DeleteRequest": {"Key": key("p", "a")}},
                {"PutRequest": {"Item": item_of("p", "c", 500, None)}}
            ]},
            "ReturnConsumedCapacity": "TOTAL"
        }),
    );
    assert_eq!(
        units(only(&out["ConsumedCapacity"])),
        3.0,
        "2 + 1: {}",
        brief(&out)
    );

    put(&mut c, item_of("p", "big", 4100, None), "NONE");
    for (consistent, expected) in [(true, 2.0), (false, 1.0)] {
        let out = call(
            &mut c,
            "BatchGetItem",
            json!({
                "RequestItems": {TABLE: {"Keys": [key("p", "big")], "ConsistentRead": consistent}},
                "ReturnConsumedCapacity": "TOTAL"
            }),
        );
        assert_eq!(out["Responses"][TABLE].as_array().map(Vec::len), Some(1));
        assert_eq!(
            units(only(&out["ConsumedCapacity"])),
            expected,
            "{}",
            brief(&out)
        );
    }
}

/// Query on the GSI: KEYS_ONLY entries are a few bytes, one 4 KB unit, eventually
/// consistent (the only kind a GSI serves).
#[test]
fn query_on_a_gsi_costs_its_entries_bytes() {
    let (_server, mut c) = server_with_table();
    for sk in ["a", "b"] {
        put(&mut c, item_of("p", sk, 3000, Some("g1")), "NONE");
    }
    let out = query_gsi_until(&mut c, 2, "TOTAL");
    assert_eq!(units(&out["ConsumedCapacity"]), 0.5, "{}", brief(&out));
}

/// Polls a Query of `ByG` for `g1` until it returns `count` items (the GSI is maintained
/// asynchronously, as DynamoDB's), bounded by [`GSI_DEADLINE`].
fn query_gsi_until(c: &mut Client, count: i64, rcc: &str) -> Value {
    let deadline = Instant::now() + GSI_DEADLINE;
    loop {
        let out = call(
            c,
            "Query",
            json!({
                "TableName": TABLE,
                "IndexName": GSI,
                "KeyConditionExpression": "g = :g",
                "ExpressionAttributeValues": {":g": {"S": "g1"}},
                "ReturnConsumedCapacity": rcc
            }),
        );
        if out["Count"].as_i64() == Some(count) {
            return out;
        }
        assert!(
            Instant::now() < deadline,
            "GSI never caught up: {}",
            brief(&out)
        );
        std::thread::sleep(GSI_POLL);
    }
}

// ---------------------------------------------------------------------------------------
// Secondary-index charges and per-item batch rounding
// ---------------------------------------------------------------------------------------

/// DynamoDB: "BatchGetItem processes each item as an individual GetItem", so three
/// 1500-byte items cost 3 × 1 RCU (not the 2 RCU that rounding the summed 4500 bytes
/// once would give).
#[test]
fn batch_get_item_charges_each_item_rounded_up_to_4kb() {
    let (_server, mut c) = server_with_table();
    for sk in ["a", "b", "c"] {
        put(&mut c, item_of("p", sk, 1500, None), "NONE");
    }
    for (consistent, expected) in [(true, 3.0), (false, 1.5)] {
        let out = call(
            &mut c,
            "BatchGetItem",
            json!({
                "RequestItems": {TABLE: {
                    "Keys": [key("p", "a"), key("p", "b"), key("p", "c")],
                    "ConsistentRead": consistent
                }},
                "ReturnConsumedCapacity": "TOTAL"
            }),
        );
        assert_eq!(
            units(only(&out["ConsumedCapacity"])),
            expected,
            "{}",
            brief(&out)
        );
    }
}

/// DynamoDB charges a write that puts an entry into a GSI the index's WCUs too (here a
/// KEYS_ONLY entry, 1 WCU) and reports them under `GlobalSecondaryIndexes` with INDEXES.
#[test]
fn a_write_into_a_gsi_charges_the_index_too() {
    let (_server, mut c) = server_with_table();
    let out = put(&mut c, item_of("p", "a", 1500, Some("g1")), "TOTAL");
    assert_eq!(
        units(&out["ConsumedCapacity"]),
        3.0,
        "2 table + 1 GSI: {}",
        brief(&out)
    );
    let out = put(&mut c, item_of("p", "b", 1500, Some("g1")), "INDEXES");
    let cc = &out["ConsumedCapacity"];
    assert_eq!(units(cc), 3.0, "{}", brief(&out));
    assert_eq!(table_share(cc), 2.0, "{}", brief(&out));
    assert_eq!(
        cc["GlobalSecondaryIndexes"][GSI]["CapacityUnits"].as_f64(),
        Some(1.0),
        "{}",
        brief(&out)
    );
}

/// With INDEXES, DynamoDB reports a GSI query's units under `GlobalSecondaryIndexes`;
/// the table's share is zero.
#[test]
fn a_gsi_query_reports_the_index_under_indexes() {
    let (_server, mut c) = server_with_table();
    put(&mut c, item_of("p", "a", 1500, Some("g1")), "NONE");
    let out = query_gsi_until(&mut c, 1, "INDEXES");
    let cc = &out["ConsumedCapacity"];
    assert_eq!(units(cc), 0.5, "{}", brief(&out));
    assert_eq!(table_share(cc), 0.0, "{}", brief(&out));
    assert_eq!(
        cc["GlobalSecondaryIndexes"][GSI]["CapacityUnits"].as_f64(),
        Some(0.5),
        "{}",
        brief(&out)
    );
}

/// With INDEXES, BatchWriteItem's per-table entries carry the table's share, as the
/// single-item writes' do.
#[test]
fn batch_write_with_indexes_reports_the_tables_share() {
    let (_server, mut c) = server_with_table();
    let out = call(
        &mut c,
        "BatchWriteItem",
        json!({
            "RequestItems": {TABLE: [{"PutRequest": {"Item": item_of("p", "a", 1500, None)}}]},
            "ReturnConsumedCapacity": "INDEXES"
        }),
    );
    assert_eq!(
        table_share(only(&out["ConsumedCapacity"])),
        2.0,
        "{}",
        brief(&out)
    );
}
