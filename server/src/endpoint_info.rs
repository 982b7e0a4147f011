//! DescribeLimits and DescribeEndpoints: what the server says about itself rather than
//! about a table. Neither touches the engine.
//!
//! The table maxima are the ones CreateTable and UpdateTable enforce
//! (`CapacityOptions::table_max_read_units`, `--table-max-units`). The account maxima
//! are reported, not enforced: Shale does not sum throughput across tables.

use serde::{Deserialize, Serialize};

/// Read capacity units one account may provision across its tables and GSIs in a region:
/// DynamoDB's default quota.
pub const ACCOUNT_MAX_READ_CAPACITY_UNITS: u64 = 80_000;
/// Write capacity units one account may provision: DynamoDB's default quota.
pub const ACCOUNT_MAX_WRITE_CAPACITY_UNITS: u64 = 80_000;
// The account maxima hold at least one table at DynamoDB's default table maxima.
const _: () =
    assert!(ACCOUNT_MAX_READ_CAPACITY_UNITS >= shale_table::capacity::DEFAULT_TABLE_MAX_READ_UNITS);
const _: () = assert!(
    ACCOUNT_MAX_WRITE_CAPACITY_UNITS >= shale_table::capacity::DEFAULT_TABLE_MAX_WRITE_UNITS
);

/// How long an SDK may cache the DescribeEndpoints answer, in minutes: DynamoDB's value,
/// one day.
pub const ENDPOINT_CACHE_PERIOD_MINUTES: u64 = 1440;

/// DescribeLimits's request: no members (any that are sent are ignored, as serde does by
/// default).
#[derive(Debug, Default, Deserialize)]
pub struct DescribeLimitsInput {}

/// DescribeLimits's answer, DynamoDB's shape.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeLimitsOutput {
    /// [`ACCOUNT_MAX_READ_CAPACITY_UNITS`].
    pub account_max_read_capacity_units: u64,
    /// [`ACCOUNT_MAX_WRITE_CAPACITY_UNITS`].
    pub account_max_write_capacity_units: u64,
    /// The table layer's per-table read quota.
    pub table_max_read_capacity_units: u64,
    /// The table layer's per-table write quota.
    pub table_max_write_capacity_units: u64,
}

/// The limits this server reports, with `table_max` the table layer's per-table quotas
/// (read, write). An account holds at least one table at them, so a raised table quota
/// raises the account's with it.
pub fn describe_limits(_input: DescribeLimitsInput, table_max: (u64, u64)) -> DescribeLimitsOutput {
    let (read, write) = table_max;
    DescribeLimitsOutput {
        account_max_read_capacity_units: ACCOUNT_MAX_READ_CAPACITY_UNITS.max(read),
        account_max_write_capacity_units: ACCOUNT_MAX_WRITE_CAPACITY_UNITS.max(write),
        table_max_read_capacity_units: read,
        table_max_write_capacity_units: write,
    }
}

/// DescribeEndpoints's request: no members.
#[derive(Debug, Default, Deserialize)]
pub struct DescribeEndpointsInput {}

/// DescribeEndpoints's answer: one endpoint, as DynamoDB always answers.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeEndpointsOutput {
    /// The endpoints; always one.
    pub endpoints: Vec<Endpoint>,
}

/// One endpoint.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Endpoint {
    /// `host[:port]`, without a scheme, as DynamoDB gives it
    /// (`dynamodb.us-east-1.amazonaws.com`).
    pub address: String,
    /// [`ENDPOINT_CACHE_PERIOD_MINUTES`].
    pub cache_period_in_minutes: u64,
}

/// The answer for a server reached at `address` (the request's `Host`, or the address the
/// connection was accepted on: see `crate::http`).
///
/// Endpoint discovery in the SDKs prepends `https://` to an address without a scheme
/// (botocore's `EndpointDiscoveryHandler`), so a client with discovery turned on would
/// then speak TLS to this plain-HTTP server; the SDKs turn discovery off when given an
/// explicit endpoint URL, which is how every client reaches Shale.
pub fn describe_endpoints(
    _input: DescribeEndpointsInput,
    address: &str,
) -> DescribeEndpointsOutput {
    DescribeEndpointsOutput {
        endpoints: vec![Endpoint {
            address: address.to_string(),
            cache_period_in_minutes: ENDPOINT_CACHE_PERIOD_MINUTES,
        }],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use shale_table::capacity::{DEFAULT_TABLE_MAX_READ_UNITS, DEFAULT_TABLE_MAX_WRITE_UNITS};

    #[test]
    fn limits_are_dynamodbs_default_quotas() {
        let defaults = (DEFAULT_TABLE_MAX_READ_UNITS, DEFAULT_TABLE_MAX_WRITE_UNITS);
        let v =
            serde_json::to_value(describe_limits(DescribeLimitsInput {}, defaults)).expect("JSON");
        assert_eq!(
            v,
            serde_json::json!({
                "AccountMaxReadCapacityUnits": 80000,
                "AccountMaxWriteCapacityUnits": 80000,
                "TableMaxReadCapacityUnits": 40000,
                "TableMaxWriteCapacityUnits": 40000
            })
        );
    }

    #[test]
    fn a_raised_table_quota_is_reported_and_raises_the_accounts() {
        let out = describe_limits(DescribeLimitsInput {}, (100_000, 50_000));
        assert_eq!(out.table_max_read_capacity_units, 100_000);
        assert_eq!(out.table_max_write_capacity_units, 50_000);
        assert_eq!(out.account_max_read_capacity_units, 100_000);
        assert_eq!(out.account_max_write_capacity_units, 80_000);
    }

    /// The default table maxima fit the capacity model comfortably (54 partitions at
    /// both, against its bound of 4,096 per table or index), in its own arithmetic.
    #[test]
    fn the_table_maxima_fit_the_partition_model() {
        use shale_table::capacity::{
            DEFAULT_PARTITION_READ_UNITS_MAX as READ, DEFAULT_PARTITION_WRITE_UNITS_MAX as WRITE,
        };
        let partitions = DEFAULT_TABLE_MAX_READ_UNITS.div_ceil(READ)
            + DEFAULT_TABLE_MAX_WRITE_UNITS.div_ceil(WRITE);
        assert!(partitions <= 54, "{partitions}");
    }

    #[test]
    fn one_endpoint_at_the_address_given() {
        let v = serde_json::to_value(describe_endpoints(
            DescribeEndpointsInput {},
            "127.0.0.1:8000",
        ))
        .expect("JSON");
        assert_eq!(
            v,
            serde_json::json!({"Endpoints": [{"Address": "127.0.0.1:8000", "CachePeriodInMinutes": 1440}]})
        );
    }
}
