//! A change record: what the write path logs for each changed item of a table with a
//! stream, as a [`shale_engine::BatchOp::LogData`] blob in the write's own batch, so it
//! is committed (and lost in a crash) exactly with the change it describes.
//!
//! ```text
//! magic "SR" | version: u8 = 1 | table id: u32 LE | stream creation µs: u64 LE
//! | event: u8 (1 INSERT, 2 MODIFY, 3 REMOVE) | flags: u8 (bit 0: a TTL deletion)
//! | 3 × { length: u32 LE (u32::MAX: absent) | item encoding }   keys, old image, new image
//! ```
//! The images present are the ones the stream's view type asks for, fixed when the
//! record is written. The item encoding is the storage codec's (`docs/format/item.md`).
//! The spec is `docs/format/stream-record.md`.

use crate::catalog::KeyDef;
use crate::error::Error;
use crate::shapes::{OperationType, StreamViewType};
use crate::types::{decode_item, encode_item, Item};

const MAGIC: &[u8; 2] = b"SR";
const VERSION: u8 = 1;
const HEADER_BYTES: usize = 2 + 1 + 4 + 8;
const ABSENT: u32 = u32::MAX;
const FLAG_TTL: u8 = 1;

/// One item's change, as a stream reports it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Change {
    /// INSERT, MODIFY or REMOVE.
    pub(crate) event: OperationType,
    /// Whether the TTL sweeper made it (the record then names the service).
    pub(crate) by_ttl: bool,
    /// The item's key attributes.
    pub(crate) keys: Item,
    /// The item before, when the view type keeps it.
    pub(crate) old_image: Option<Item>,
    /// The item after, when the view type keeps it.
    pub(crate) new_image: Option<Item>,
}

impl Change {
    /// The change from `old` to `new`, as a stream of `view` records it; `None` when
    /// nothing changed (DynamoDB writes no record for a write that changes no data).
    pub(crate) fn between(
        key: &KeyDef,
        view: StreamViewType,
        old: Option<&Item>,
        new: Option<&Item>,
        by_ttl: bool,
    ) -> Option<Change> {
        let (event, some) = match (old, new) {
            (None, None) => return None,
            (Some(o), Some(n)) if o == n => return None,
            (None, Some(n)) => (OperationType::Insert, n),
            (Some(o), Some(_)) => (OperationType::Modify, o),
            (Some(o), None) => (OperationType::Remove, o),
        };
        let keys = some
            .iter()
            .filter(|(name, _)| key.contains(name))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let keep_old = matches!(
            view,
            StreamViewType::OldImage | StreamViewType::NewAndOldImages
        );
        let keep_new = matches!(
            view,
            StreamViewType::NewImage | StreamViewType::NewAndOldImages
        );
        Some(Change {
            event,
            by_ttl,
            keys,
            old_image: old.filter(|_| keep_old).cloned(),
            new_image: new.filter(|_| keep_new).cloned(),
        })
    }

    /// The log blob for stream `stream_micros` of table `table_id`.
    ///
    /// # Errors
    /// ValidationException if an item nests too deeply (a validated item never does).
    pub(crate) fn encode(&self, table_id: u32, stream_micros: u64) -> Result<Vec<u8>, Error> {
        let mut out = Vec::with_capacity(64);
        out.extend_from_slice(MAGIC);
        out.push(VERSION);
        out.extend_from_slice(&table_id.to_le_bytes());
        out.extend_from_slice(&stream_micros.to_le_bytes());
        out.push(match self.event {
            OperationType::Insert => 1,
            OperationType::Modify => 2,
            OperationType::Remove => 3,
        });
        out.push(if self.by_ttl { FLAG_TTL } else { 0 });
        for part in [
            Some(&self.keys),
            self.old_image.as_ref(),
            self.new_image.as_ref(),
        ] {
            match part {
                None => out.extend_from_slice(&ABSENT.to_le_bytes()),
                Some(item) => {
                    let mut bytes = Vec::new();
                    encode_item(item, &mut bytes)?;
                    let len = u32::try_from(bytes.len()).unwrap_or(ABSENT - 1);
                    out.extend_from_slice(&len.to_le_bytes());
                    out.extend_from_slice(&bytes);
                }
            }
        }
        Ok(out)
    }
}

/// The table id and stream creation time a log blob is a change record of, or `None`
/// when it is not a change record (another user's log data).
pub(crate) fn stream_of(blob: &[u8]) -> Option<(u32, u64)> {
    if blob.len() < HEADER_BYTES || &blob[..2] != MAGIC || blob[2] != VERSION {
        return None;
    }
    let table = u32::from_le_bytes(blob[3..7].try_into().ok()?);
    let stream = u64::from_le_bytes(blob[7..15].try_into().ok()?);
    Some((table, stream))
}

/// Decodes a change record (one [`stream_of`] recognised) from batch `seq`.
///
/// # Errors
/// [`Error::CorruptStreamRecord`] if it does not parse exactly.
pub(crate) fn decode(seq: u64, blob: &[u8]) -> Result<Change, Error> {
    let corrupt = |reason| Error::CorruptStreamRecord { seq, reason };
    if stream_of(blob).is_none() {
        return Err(corrupt("not a change record"));
    }
    let mut pos = HEADER_BYTES;
    let mut byte = || {
        let b = *blob.get(pos).ok_or_else(|| corrupt("truncated header"))?;
        pos += 1;
        Ok::<u8, Error>(b)
    };
    let event = match byte()? {
        1 => OperationType::Insert,
        2 => OperationType::Modify,
        3 => OperationType::Remove,
        _ => return Err(corrupt("unknown event")),
    };
    let flags = byte()?;
    if flags & !FLAG_TTL != 0 {
        return Err(corrupt("unknown flags"));
    }
    let mut parts = [None, None, None];
    for part in &mut parts {
        let len_bytes = blob
            .get(pos..pos + 4)
            .ok_or_else(|| corrupt("truncated length"))?;
        let len = u32::from_le_bytes(len_bytes.try_into().map_err(|_| corrupt("length"))?);
        pos += 4;
        if len == ABSENT {
            continue;
        }
        let end = pos
            .checked_add(len as usize)
            .filter(|&e| e <= blob.len())
            .ok_or_else(|| corrupt("item runs past the record"))?;
        *part = Some(decode_item(&blob[pos..end]).map_err(|_| corrupt("item does not decode"))?);
        pos = end;
    }
    if pos != blob.len() {
        return Err(corrupt("trailing bytes"));
    }
    let [keys, old_image, new_image] = parts;
    Ok(Change {
        event,
        by_ttl: flags & FLAG_TTL != 0,
        keys: keys.ok_or_else(|| corrupt("no keys"))?,
        old_image,
        new_image,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::AttributeValue;

    fn item(pairs: &[(&str, &str)]) -> Item {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), AttributeValue::S((*v).to_owned())))
            .collect()
    }

    fn key_def() -> KeyDef {
        KeyDef::simple(
            crate::catalog::KeyAttr {
                name: "pk".into(),
                ty: crate::shapes::ScalarAttributeType::S,
            },
            None,
        )
    }

    #[test]
    fn events_and_images_follow_the_view_type() {
        let k = key_def();
        let a = item(&[("pk", "1"), ("v", "a")]);
        let b = item(&[("pk", "1"), ("v", "b")]);
        use StreamViewType::*;
        let c = Change::between(&k, NewAndOldImages, None, Some(&a), false).unwrap();
        assert_eq!(
            (c.event, c.old_image, c.new_image.as_ref()),
            (OperationType::Insert, None, Some(&a))
        );
        assert_eq!(c.keys, item(&[("pk", "1")]));
        let c = Change::between(&k, OldImage, Some(&a), Some(&b), false).unwrap();
        assert_eq!(
            (c.event, c.old_image.as_ref(), c.new_image),
            (OperationType::Modify, Some(&a), None)
        );
        let c = Change::between(&k, KeysOnly, Some(&b), None, true).unwrap();
        assert_eq!(
            (c.event, c.old_image, c.new_image, c.by_ttl),
            (OperationType::Remove, None, None, true)
        );
        assert_eq!(
            Change::between(&k, NewImage, Some(&a), Some(&a), false),
            None
        );
        assert_eq!(Change::between(&k, NewImage, None, None, false), None);
    }

    #[test]
    fn records_round_trip_and_every_truncation_is_corrupt() {
        let k = key_def();
        let a = item(&[("pk", "1"), ("v", "a")]);
        let b = item(&[("pk", "1"), ("v", "b")]);
        let c = Change::between(
            &k,
            StreamViewType::NewAndOldImages,
            Some(&a),
            Some(&b),
            false,
        )
        .unwrap();
        let blob = c.encode(42, 7_000).unwrap();
        assert_eq!(stream_of(&blob), Some((42, 7_000)));
        assert_eq!(decode(1, &blob).unwrap(), c);
        for cut in 0..blob.len() {
            assert!(decode(1, &blob[..cut]).is_err(), "cut at {cut}");
        }
        assert_eq!(stream_of(b"not a record at all"), None);
    }
}
