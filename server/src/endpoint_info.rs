//! DescribeLimits and DescribeEndpoints: what the server says about itself rather than
//! about a table. Neither touches the engine.
//!
//! It is not: enforcement. Shale refuses no CreateTable or UpdateTable for asking more
//! throughput than [`DescribeLimitsOutput`] reports (DynamoDB would, with a
//! LimitExceededException); the figures tell tools (capacity planners, auto scaling
//! simulators, the SDKs' own checks) what a DynamoDB account would allow.

use serde::{Deserialize, Serialize};

/// Read capacity units one account may provision across its tables and GSIs in a region:
/// DynamoDB's default quota.
pub const ACCOUNT_MAX_READ_CAPACITY_UNITS: u64 = 80_000;
/// Write capacity units one account may provision: DynamoDB's default quota.
pub const ACCOUNT_MAX_WRITE_CAPACITY_UNITS: u64 = 80_000;
/// Read capacity units one table or GSI may provision: DynamoDB's default quota. Shale's
/// capacity model is sized on it: at 3,000 RCU per partition
/// (`shale_table::capacity::DEFAULT_PARTITION_READ_UNITS_MAX`), with the write maximum
/// below, a table at both maxima gets 54 partitions, far inside the model's bound of 4,096
/// per table or index.
pub const TABLE_MAX_READ_CAPACITY_UNITS: u64 = 40_000;
/// Write capacity units one table or GSI may provision: DynamoDB's default quota (40
/// partitions' worth at 1,000 WCU each).
pub const TABLE_MAX_WRITE_CAPACITY_UNITS: u64 = 40_000;
// An account holds at least one table at the table maxima.
const _: () = assert!(ACCOUNT_MAX_READ_CAPACITY_UNITS >= TABLE_MAX_READ_CAPACITY_UNITS);
const _: () = assert!(ACCOUNT_MAX_WRITE_CAPACITY_UNITS >= TABLE_MAX_WRITE_CAPACITY_UNITS);

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
    /// [`TABLE_MAX_READ_CAPACITY_UNITS`].
    pub table_max_read_capacity_units: u64,
    /// [`TABLE_MAX_WRITE_CAPACITY_UNITS`].
    pub table_max_write_capacity_units: u64,
}

/// The limits this server reports.
pub fn describe_limits(_input: DescribeLimitsInput) -> DescribeLimitsOutput {
    DescribeLimitsOutput {
        account_max_read_capacity_units: ACCOUNT_MAX_READ_CAPACITY_UNITS,
        account_max_write_capacity_units: ACCOUNT_MAX_WRITE_CAPACITY_UNITS,
        table_max_read_capacity_units: TABLE_MAX_READ_CAPACITY_UNITS,
        table_max_write_capacity_units: TABLE_MAX_WRITE_CAPACITY_UNITS,
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

    #[test]
    fn limits_are_dynamodbs_default_quotas() {
        let v = serde_json::to_value(describe_limits(DescribeLimitsInput {})).expect("JSON");
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

    /// The table maxima fit the capacity model comfortably, in its own arithmetic.
    #[test]
    fn the_table_maxima_fit_the_partition_model() {
        use shale_table::capacity::{
            DEFAULT_PARTITION_READ_UNITS_MAX as READ, DEFAULT_PARTITION_WRITE_UNITS_MAX as WRITE,
        };
        let partitions = TABLE_MAX_READ_CAPACITY_UNITS.div_ceil(READ)
            + TABLE_MAX_WRITE_CAPACITY_UNITS.div_ceil(WRITE);
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
