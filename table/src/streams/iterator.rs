//! Shard iterators: `<stream ARN>|1|<hex>`, DynamoDB's own outer shape, where the hex
//! holds the shard index, the position, when the iterator was issued, and a checksum
//! over all of it, so a damaged or made-up iterator is refused instead of read.

use super::ids::{self, LogPos};
use crate::error::{Error, StreamValidation};

/// Longest iterator DynamoDB accepts.
pub(crate) const MAX_ITERATOR_LEN: usize = 2048;

/// What an iterator says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ShardIterator {
    /// The stream's table.
    pub(crate) table: String,
    /// The stream's creation time.
    pub(crate) stream_micros: u64,
    /// The shard's index.
    pub(crate) shard: u32,
    /// Where reading starts.
    pub(crate) pos: LogPos,
    /// When it was issued, µs since the epoch (it expires 15 minutes later).
    pub(crate) issued_micros: u64,
}

impl ShardIterator {
    /// The iterator's text.
    pub(crate) fn encode(&self, region: &str) -> String {
        let arn = ids::stream_arn(region, &self.table, self.stream_micros);
        let body = format!(
            "{:08x}{:016x}{:08x}{:016x}",
            self.shard, self.pos.seq, self.pos.op, self.issued_micros
        );
        let sum = checksum(&arn, &body);
        format!("{arn}|1|{body}{sum:08x}")
    }

    /// Parses an iterator's text.
    ///
    /// # Errors
    /// ValidationException "Invalid ShardIterator" for anything Shale did not issue.
    pub(crate) fn decode(text: &str) -> Result<ShardIterator, Error> {
        let bad = || Error::from(StreamValidation::InvalidShardIterator);
        let mut parts = text.rsplitn(3, '|');
        let (Some(hex), Some("1"), Some(arn)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(bad());
        };
        if hex.len() != 8 + 16 + 8 + 16 + 8 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(bad());
        }
        let (body, sum) = hex.split_at(hex.len() - 8);
        if u32::from_str_radix(sum, 16).ok() != Some(checksum(arn, body)) {
            return Err(bad());
        }
        let field = |range: std::ops::Range<usize>| {
            u64::from_str_radix(&body[range], 16).map_err(|_| bad())
        };
        let (table, stream_micros) = ids::parse_stream_arn(arn).map_err(|_| bad())?;
        Ok(ShardIterator {
            table,
            stream_micros,
            shard: u32::try_from(field(0..8)?).map_err(|_| bad())?,
            pos: LogPos {
                seq: field(8..24)?,
                op: u32::try_from(field(24..32)?).map_err(|_| bad())?,
            },
            issued_micros: field(32..48)?,
        })
    }
}

fn checksum(arn: &str, body: &str) -> u32 {
    let mut h = crc32fast::Hasher::new();
    h.update(arn.as_bytes());
    h.update(b"|");
    h.update(body.as_bytes());
    h.finalize()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iterators_round_trip_and_any_change_is_refused() {
        let it = ShardIterator {
            table: "Orders".into(),
            stream_micros: 1_796_419_643_175_000,
            shard: 3,
            pos: LogPos { seq: 99, op: 4 },
            issued_micros: 1_796_419_700_000_000,
        };
        let text = it.encode("us-east-1");
        assert!(text.len() <= MAX_ITERATOR_LEN);
        assert_eq!(ShardIterator::decode(&text).unwrap(), it);
        let mut flipped = text.clone().into_bytes();
        let at = text.len() - 20;
        flipped[at] = if flipped[at] == b'0' { b'1' } else { b'0' };
        let flipped = String::from_utf8(flipped).unwrap();
        assert!(ShardIterator::decode(&flipped).is_err());
        for bad in ["", "sdfsdfsdf", "a|1|b", &text.replace("|1|", "|2|")] {
            assert!(ShardIterator::decode(bad).is_err(), "{bad}");
        }
    }
}
