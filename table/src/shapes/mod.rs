//! Request and response structs: DynamoDB's operation shapes, with serde using DynamoDB's
//! JSON field names, so the HTTP frontend deserializes request bodies straight into them.
//!
//! Conventions: unknown fields are ignored (SDKs send fields Shale does not model, such as
//! `ReturnItemCollectionMetrics`); `Option` fields are omitted from output when `None`;
//! enum values use DynamoDB's spelling (`ALL_OLD`, `PAY_PER_REQUEST`, ...).
//!
//! One module per group of operations; everything is re-exported here.

use std::collections::BTreeMap;

use crate::types::{AttributeValue, Item};

/// `ExpressionAttributeNames`: `#placeholder` → attribute name.
pub type AttributeNames = BTreeMap<String, String>;
/// `ExpressionAttributeValues`: `:placeholder` → value.
pub type AttributeValues = BTreeMap<String, AttributeValue>;
/// A primary key: the key attributes only.
pub type Key = Item;

mod backup;
mod batch;
mod capacity;
mod common;
mod control_plane;
mod export;
mod items;
mod legacy;
mod partiql;
mod query_scan;
mod resource_policies;
mod streams;
mod table_definition;
mod tags;
mod transact;
mod ttl;

pub use backup::*;
pub use batch::*;
pub use capacity::*;
pub use common::*;
pub use control_plane::*;
pub use export::*;
pub use items::*;
pub use legacy::*;
pub use partiql::*;
pub use query_scan::*;
pub use resource_policies::*;
pub use streams::*;
pub use table_definition::*;
pub use tags::*;
pub use transact::*;
pub use ttl::*;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_table_input_accepts_what_the_aws_cli_sends() {
        let body = r#"{"AttributeDefinitions":[{"AttributeName":"UserId","AttributeType":"S"}],
            "TableName":"Users","KeySchema":[{"AttributeName":"UserId","KeyType":"HASH"}],
            "BillingMode":"PAY_PER_REQUEST","Tags":[],"SomethingNew":1}"#;
        let input: CreateTableInput = serde_json::from_str(body).unwrap();
        assert_eq!(input.table_name, "Users");
        assert_eq!(input.key_schema[0].key_type, KeyType::Hash);
        assert_eq!(input.billing_mode, Some(BillingMode::PayPerRequest));
        assert_eq!(
            input.attribute_definitions[0].attribute_type,
            ScalarAttributeType::S
        );
    }

    #[test]
    fn none_fields_are_omitted_and_names_are_pascal_case() {
        let out = QueryOutput {
            items: Some(vec![]),
            count: 0,
            scanned_count: 3,
            last_evaluated_key: None,
            consumed_capacity: None,
        };
        assert_eq!(
            serde_json::to_string(&out).unwrap(),
            r#"{"Items":[],"Count":0,"ScannedCount":3}"#
        );
        let rv: ReturnValue = serde_json::from_str("\"UPDATED_NEW\"").unwrap();
        assert_eq!(rv, ReturnValue::UpdatedNew);
    }
}
