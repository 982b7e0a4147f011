//! The DynamoDB requests for YCSB operations, built once as the engine's typed request
//! structs (`shale_table` shapes) and shared by the table target (which passes them
//! to the embedded API) and the HTTP target (which serialises them: the shapes derive
//! `Serialize` with DynamoDB's wire names, and `AttributeValue` writes `{"S": …}`). One
//! source of truth, so `table:shale` and `http:URL` figures measure exactly the same
//! requests.
//!
//! The mapping is YCSB's DynamoDB binding's: the table [`TABLE_NAME`] with hash key
//! [`KEY_ATTRIBUTE`] (S) and on-demand billing; ten S attributes `field0..field9`;
//! read = GetItem with `ConsistentRead`; insert = PutItem of the whole item; update =
//! UpdateItem `SET #f = :v` of one field; scan = Scan from `ExclusiveStartKey` = the start
//! key with `Limit` = the remaining count, following `LastEvaluatedKey` ([`scan_records`]).
//! A Query cannot serve a YCSB scan (it needs one partition key), and DynamoDB scans in
//! hash order, so a scan reads "the next records after the start key in the table's
//! order", not a key range.

use std::collections::BTreeMap;

use shale_table::types::{AttributeValue, Item};
use shale_table::{
    AttributeDefinition, BillingMode, CreateTableInput, DeleteItemInput, DescribeTableInput,
    GetItemInput, Key, KeySchemaElement, KeyType, PutItemInput, ScalarAttributeType, ScanInput,
    ScanOutput, UpdateItemInput,
};

use super::{TargetError, FIELD_COUNT};

/// The YCSB table name.
pub const TABLE_NAME: &str = "usertable";
/// The hash key attribute (YCSB's DynamoDB binding default `primaryKey`).
pub const KEY_ATTRIBUTE: &str = "YCSB_KEY";
/// Scan pages followed for one YCSB scan before giving up. Each page returns at least one
/// item unless the table ends, so 100 pages cover the longest YCSB scan (100 records).
pub const MAX_SCAN_PAGES: usize = 100;
/// The update expression of a YCSB update (one field).
pub const UPDATE_EXPRESSION: &str = "SET #f = :v";

/// `field<i>`.
pub fn field_name(i: usize) -> String {
    format!("field{i}")
}

/// The primary key `{"YCSB_KEY": {"S": key}}`.
pub fn key(key: &str) -> Key {
    BTreeMap::from([(
        KEY_ATTRIBUTE.to_string(),
        AttributeValue::S(key.to_string()),
    )])
}

/// A string attribute value from field bytes (YCSB values are printable ASCII; any other
/// byte is replaced rather than producing invalid UTF-8).
pub fn s(bytes: &[u8]) -> AttributeValue {
    AttributeValue::S(String::from_utf8_lossy(bytes).into_owned())
}

/// A whole record as an item: the key plus `field0..`.
pub fn item(key_value: &str, fields: &[Vec<u8>]) -> Item {
    let mut item = key(key_value);
    for (i, f) in fields.iter().enumerate() {
        item.insert(field_name(i), s(f));
    }
    item
}

/// CreateTable for the YCSB table.
pub fn create_table() -> CreateTableInput {
    CreateTableInput {
        table_name: TABLE_NAME.to_string(),
        attribute_definitions: vec![AttributeDefinition {
            attribute_name: KEY_ATTRIBUTE.to_string(),
            attribute_type: ScalarAttributeType::S,
        }],
        key_schema: vec![KeySchemaElement {
            attribute_name: KEY_ATTRIBUTE.to_string(),
            key_type: KeyType::Hash,
        }],
        billing_mode: Some(BillingMode::PayPerRequest),
        ..Default::default()
    }
}

/// DescribeTable of the YCSB table.
pub fn describe_table() -> DescribeTableInput {
    DescribeTableInput {
        table_name: TABLE_NAME.to_string(),
    }
}

/// PutItem of a whole record.
pub fn put_item(key_value: &str, fields: &[Vec<u8>]) -> PutItemInput {
    put_whole_item(item(key_value, fields))
}

/// PutItem of an item already built (the table target's GetItem + PutItem fallback).
pub fn put_whole_item(item: Item) -> PutItemInput {
    PutItemInput {
        table_name: TABLE_NAME.to_string(),
        item,
        ..Default::default()
    }
}

/// Strongly consistent GetItem of every field.
pub fn get_item(key_value: &str) -> GetItemInput {
    GetItemInput {
        table_name: TABLE_NAME.to_string(),
        key: key(key_value),
        consistent_read: Some(true),
        ..Default::default()
    }
}

/// UpdateItem setting one field.
pub fn update_item(key_value: &str, field: usize, value: &[u8]) -> UpdateItemInput {
    UpdateItemInput {
        table_name: TABLE_NAME.to_string(),
        key: key(key_value),
        update_expression: Some(UPDATE_EXPRESSION.to_string()),
        expression_attribute_names: Some(BTreeMap::from([("#f".to_string(), field_name(field))])),
        expression_attribute_values: Some(BTreeMap::from([(":v".to_string(), s(value))])),
        ..Default::default()
    }
}

/// DeleteItem of one record (the table target's probe clean-up).
pub fn delete_item(key_value: &str) -> DeleteItemInput {
    DeleteItemInput {
        table_name: TABLE_NAME.to_string(),
        key: key(key_value),
        ..Default::default()
    }
}

/// One Scan page after `exclusive_start` reading at most `limit` items.
pub fn scan(exclusive_start: Key, limit: usize) -> ScanInput {
    ScanInput {
        table_name: TABLE_NAME.to_string(),
        exclusive_start_key: Some(exclusive_start),
        limit: Some(i64::try_from(limit).unwrap_or(i64::MAX)),
        ..Default::default()
    }
}

/// A YCSB scan: up to `count` records after `start`, one Scan page at a time through
/// `page` (the embedded call or the HTTP round trip), following `LastEvaluatedKey` for at
/// most [`MAX_SCAN_PAGES`] pages. Returns how many records were read.
///
/// # Errors
/// The first page's failure.
pub fn scan_records(
    start: &str,
    count: usize,
    mut page: impl FnMut(ScanInput) -> Result<ScanOutput, TargetError>,
) -> Result<usize, TargetError> {
    let mut read = 0usize;
    let mut exclusive_start = key(start);
    for _ in 0..MAX_SCAN_PAGES {
        if read >= count {
            break;
        }
        let out = page(scan(exclusive_start, count - read))?;
        read += usize::try_from(out.count).unwrap_or(0);
        match out.last_evaluated_key {
            Some(k) => exclusive_start = k,
            None => break,
        }
    }
    Ok(read)
}

/// Whether a DynamoDB exception name means "slow down" (counted as a throttle, not an
/// error, as YCSB's DynamoDB binding and the AWS SDKs treat it as back-pressure).
pub fn is_throttle_exception(name: &str) -> bool {
    name == "ProvisionedThroughputExceededException" || name == "ThrottlingException"
}

/// Checks that a GetItem answer holds the record: present, with the key and
/// [`FIELD_COUNT`] fields.
///
/// # Errors
/// [`TargetError::NotFound`] or [`TargetError::CorruptRecord`].
pub fn check_record(key: &str, item: Option<Item>) -> Result<Item, TargetError> {
    let item = item.ok_or_else(|| TargetError::NotFound {
        key: key.to_string(),
    })?;
    if item.len() != FIELD_COUNT + 1 {
        return Err(TargetError::CorruptRecord {
            key: key.to_string(),
            reason: "item does not have the key and 10 fields",
        });
    }
    Ok(item)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn wire<T: serde::Serialize>(input: &T) -> Value {
        serde_json::to_value(input).unwrap()
    }

    #[test]
    fn requests_serialise_to_the_dynamodb_wire_shapes() {
        let fields: Vec<Vec<u8>> = (0..FIELD_COUNT).map(|_| b"v".to_vec()).collect();
        let put = wire(&put_item("user1", &fields));
        assert_eq!(put["TableName"], TABLE_NAME);
        assert_eq!(put["Item"]["YCSB_KEY"], json!({"S": "user1"}));
        assert_eq!(put["Item"]["field9"], json!({"S": "v"}));
        assert_eq!(
            put.as_object().unwrap().len(),
            2,
            "no absent options: {put}"
        );
        let get = wire(&get_item("user1"));
        assert_eq!(
            get,
            json!({"TableName": "usertable", "Key": {"YCSB_KEY": {"S": "user1"}}, "ConsistentRead": true})
        );
        let upd = wire(&update_item("user1", 3, b"x"));
        assert_eq!(upd["UpdateExpression"], "SET #f = :v");
        assert_eq!(upd["ExpressionAttributeNames"], json!({"#f": "field3"}));
        assert_eq!(upd["ExpressionAttributeValues"], json!({":v": {"S": "x"}}));
        let scan = wire(&scan(key("user1"), 7));
        assert_eq!(
            scan,
            json!({"TableName": "usertable", "ExclusiveStartKey": {"YCSB_KEY": {"S": "user1"}}, "Limit": 7})
        );
        let create = wire(&create_table());
        assert_eq!(
            create["KeySchema"],
            json!([{"AttributeName": "YCSB_KEY", "KeyType": "HASH"}])
        );
        assert_eq!(
            create["AttributeDefinitions"],
            json!([{"AttributeName": "YCSB_KEY", "AttributeType": "S"}])
        );
        assert_eq!(create["BillingMode"], "PAY_PER_REQUEST");
    }

    #[test]
    fn scan_records_pages_until_the_count_or_the_table_end() {
        // Pages of 3 items from a table of 8 after the start key: a 5-record scan takes
        // two pages (3 + the remaining 2), a 20-record one stops at the table's end.
        let run = |count: usize| {
            let mut left = 8i64;
            let mut limits = Vec::new();
            let read = scan_records("user0", count, |input| {
                let limit = input.limit.unwrap();
                limits.push(limit);
                let n = limit.min(3).min(left);
                left -= n;
                Ok(ScanOutput {
                    items: None,
                    count: n,
                    scanned_count: n,
                    last_evaluated_key: (left > 0).then(|| key("next")),
                    consumed_capacity: None,
                })
            })
            .unwrap();
            (read, limits)
        };
        assert_eq!(run(5), (5, vec![5, 2]));
        assert_eq!(run(20), (8, vec![20, 17, 14]));
    }

    #[test]
    fn a_record_must_have_the_key_and_ten_fields() {
        let fields: Vec<Vec<u8>> = (0..FIELD_COUNT).map(|_| b"v".to_vec()).collect();
        assert!(check_record("k", Some(item("k", &fields))).is_ok());
        assert!(matches!(
            check_record("k", None),
            Err(TargetError::NotFound { .. })
        ));
        assert!(matches!(
            check_record("k", Some(key("k"))),
            Err(TargetError::CorruptRecord { .. })
        ));
    }
}
