//! The names a stream is known by: labels, ARNs, shard ids and sequence numbers, each
//! made and parsed in one place.
//!
//! - **Label**: when the stream was enabled, ISO 8601 UTC to the millisecond without a
//!   zone (`2026-12-05T02:28:20.123`), as DynamoDB's. A stream's creation time is always a
//!   whole millisecond, so label and time convert both ways.
//! - **ARN**: `<table ARN>/stream/<label>`.
//! - **Shard id**: `shardId-<opened, epoch ms, 20 digits>-<8 hex>`, the hex a hash of the
//!   table, stream and shard index, so two shards never share an id.
//! - **Sequence number**: `batch seq × 1000 + op index`, 21 or more decimal digits: the
//!   commit log's own order, so numbers increase within a shard (a write batch holds at
//!   most 100 items, far below 1000 ops of log data).

use std::time::{Duration, UNIX_EPOCH};

use crate::catalog::ACCOUNT_ID;
use crate::error::{Error, StreamValidation};

/// Where a record sits in the commit log: the batch's sequence number and the record's
/// index among the batch's operations. Ordered as the log is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct LogPos {
    /// The batch.
    pub(crate) seq: u64,
    /// The operation within it.
    pub(crate) op: u32,
}

impl LogPos {
    /// The first position of batch `seq`.
    pub(crate) fn batch_start(seq: u64) -> LogPos {
        LogPos { seq, op: 0 }
    }

    /// The position just after this one.
    pub(crate) fn next(self) -> LogPos {
        LogPos {
            seq: self.seq,
            op: self.op.saturating_add(1),
        }
    }
}

/// Operations per batch a sequence number can tell apart.
const OPS_PER_BATCH: u128 = 1000;
/// Shortest and longest sequence number DynamoDB accepts.
const SEQUENCE_NUMBER_LEN: std::ops::RangeInclusive<usize> = 21..=40;

/// The sequence number of the record at `pos`.
pub(crate) fn sequence_number(pos: LogPos) -> String {
    let op = u128::from(pos.op).min(OPS_PER_BATCH - 1);
    format!("{:021}", u128::from(pos.seq) * OPS_PER_BATCH + op)
}

/// The position a sequence number names; `None` for anything Shale did not make.
pub(crate) fn parse_sequence_number(s: &str) -> Option<LogPos> {
    if !SEQUENCE_NUMBER_LEN.contains(&s.len()) || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let v: u128 = s.parse().ok()?;
    Some(LogPos {
        seq: u64::try_from(v / OPS_PER_BATCH).ok()?,
        op: u32::try_from(v % OPS_PER_BATCH).ok()?,
    })
}

/// A stream's label.
pub(crate) fn label(created_micros: u64) -> String {
    let t = UNIX_EPOCH + Duration::from_micros(created_micros);
    let mut s = humantime::format_rfc3339_millis(t).to_string();
    s.pop(); // the trailing 'Z'
    s
}

/// The creation time a label names; `None` if it is not a label.
pub(crate) fn parse_label(label: &str) -> Option<u64> {
    if label.len() != 23 {
        return None;
    }
    let t = humantime::parse_rfc3339(&format!("{label}Z")).ok()?;
    let micros = u64::try_from(t.duration_since(UNIX_EPOCH).ok()?.as_micros()).ok()?;
    // Round trip, so only the canonical spelling is a label.
    (self::label(micros) == label).then_some(micros)
}

/// A stream's ARN.
pub(crate) fn stream_arn(region: &str, table: &str, created_micros: u64) -> String {
    format!(
        "arn:aws:dynamodb:{region}:{ACCOUNT_ID}:table/{table}/stream/{}",
        label(created_micros)
    )
}

/// Shortest and longest StreamArn DynamoDB accepts.
pub(crate) const STREAM_ARN_LEN: std::ops::RangeInclusive<usize> = 37..=1024;

/// The table name and creation time a stream ARN names.
///
/// # Errors
/// ValidationException "Invalid StreamArn" for anything else (another account, a table
/// ARN, a bad label); the region is not checked, as DynamoDB Local does not either.
pub(crate) fn parse_stream_arn(arn: &str) -> Result<(String, u64), Error> {
    let bad = || Error::from(StreamValidation::InvalidStreamArn);
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let ["arn", "aws", "dynamodb", _region, account, resource] = parts.as_slice() else {
        return Err(bad());
    };
    if *account != ACCOUNT_ID {
        return Err(bad());
    }
    let rest = resource.strip_prefix("table/").ok_or_else(bad)?;
    let (table, label) = rest.split_once("/stream/").ok_or_else(bad)?;
    if table.is_empty() || table.contains('/') {
        return Err(bad());
    }
    let micros = parse_label(label).ok_or_else(bad)?;
    Ok((table.to_owned(), micros))
}

/// The id of shard `index` of a stream, opened at `opened_micros`.
pub(crate) fn shard_id(
    table_id: u32,
    stream_micros: u64,
    index: usize,
    opened_micros: u64,
) -> String {
    let mut h = xxhash_rust::xxh3::Xxh3::new();
    h.update(&table_id.to_le_bytes());
    h.update(&stream_micros.to_le_bytes());
    h.update(&(index as u64).to_le_bytes());
    format!(
        "shardId-{:020}-{:08x}",
        opened_micros / 1000,
        h.digest() as u32
    )
}

/// Shortest and longest ShardId DynamoDB accepts.
pub(crate) const SHARD_ID_LEN: std::ops::RangeInclusive<usize> = 28..=65;

/// A record's eventID: 32 hex digits, unique per stream and position.
pub(crate) fn event_id(table_id: u32, stream_micros: u64, pos: LogPos) -> String {
    let mut bytes = Vec::with_capacity(24);
    bytes.extend_from_slice(&table_id.to_le_bytes());
    bytes.extend_from_slice(&stream_micros.to_le_bytes());
    bytes.extend_from_slice(&pos.seq.to_le_bytes());
    bytes.extend_from_slice(&pos.op.to_le_bytes());
    format!("{:032x}", xxhash_rust::xxh3::xxh3_128(&bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequence_numbers_round_trip_and_sort_as_the_log() {
        let a = LogPos { seq: 7, op: 3 };
        let b = LogPos { seq: 12, op: 0 };
        let (sa, sb) = (sequence_number(a), sequence_number(b));
        assert_eq!(sa, "000000000000000007003");
        assert!(sa < sb);
        assert_eq!(parse_sequence_number(&sa), Some(a));
        assert_eq!(parse_sequence_number(&sb), Some(b));
        let big = LogPos {
            seq: u64::MAX,
            op: 999,
        };
        assert_eq!(parse_sequence_number(&sequence_number(big)), Some(big));
        for bad in [
            "",
            "12",
            "00000000000000000700x",
            &"9".repeat(41),
            &"9".repeat(40),
        ] {
            assert_eq!(parse_sequence_number(bad), None, "{bad}");
        }
    }

    #[test]
    fn labels_and_arns_round_trip() {
        let micros = 1_796_419_643_175_000;
        let l = label(micros);
        assert_eq!(l.len(), 23);
        assert_eq!(parse_label(&l), Some(micros));
        assert_eq!(parse_label("2026-12-05T02:28:20.1234"), None);
        let arn = stream_arn("us-east-1", "Orders", micros);
        assert_eq!(
            parse_stream_arn(&arn).unwrap(),
            ("Orders".to_owned(), micros)
        );
        for bad in [
            "fake-stream",
            "arn:aws:dynamodb:us-east-1:000000000000:table/Orders",
            "arn:aws:dynamodb:us-east-1:999999999999:table/Orders/stream/2026-12-05T02:28:20.123",
            "arn:aws:dynamodb:us-east-1:000000000000:table/Orders/stream/yesterday",
        ] {
            assert!(parse_stream_arn(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn shard_ids_are_distinct_and_in_the_allowed_length() {
        let a = shard_id(16, 5, 0, 1_000_000);
        let b = shard_id(16, 5, 1, 1_000_000);
        assert_ne!(a, b);
        assert!(SHARD_ID_LEN.contains(&a.len()), "{a}");
        assert_eq!(event_id(1, 2, LogPos { seq: 3, op: 4 }).len(), 32);
    }
}
