//! Entry points for fuzzers and tools: parse untrusted bytes without any file system.

use std::path::PathBuf;

use crate::error::{Error, Result};
use crate::format::Record;
use crate::recovery::corruption;
use crate::segment::{scan_segment, valid_record_after, ScanStop};

/// Parses one segment image the way recovery judges the last segment of a log: the
/// header must be valid; records are read until zeros or the end; damage followed by
/// nothing valid is a torn tail (the records before it are returned); damage followed by a
/// valid record is [`Error::Corruption`]. Never panics, whatever the bytes.
///
/// # Errors
/// [`Error::Corruption`] with segment path `<memory>`.
pub fn parse_segment(bytes: &[u8]) -> Result<Vec<Record>> {
    let here = PathBuf::from("<memory>");
    let scan = scan_segment(bytes, true).map_err(|k| corruption(&here, 0, k))?;
    if let ScanStop::Damaged { offset, kind } = &scan.stop {
        if valid_record_after(bytes, *offset, scan.last_lsn()) {
            return Err(Error::Corruption {
                segment: here,
                offset: *offset,
                kind: kind.clone(),
            });
        }
    }
    Ok(scan.records)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::{encode_record, encode_segment_header, SegmentHeader};

    #[test]
    fn parses_valid_and_rejects_garbage_without_panicking() {
        let mut img = encode_segment_header(&SegmentHeader::new(1, 0, 0)).to_vec();
        encode_record(&mut img, 1, 5, 2, b"a");
        encode_record(&mut img, 2, 6, 2, b"bc");
        let recs = parse_segment(&img).unwrap();
        assert_eq!(recs.len(), 2);
        assert_eq!(recs[1].payload, b"bc");
        assert!(parse_segment(b"garbage").is_err());
        assert!(parse_segment(&[]).is_err());
        // Torn second record: first one survives.
        let torn = &img[..img.len() - 1];
        assert_eq!(parse_segment(torn).unwrap().len(), 1);
    }
}
