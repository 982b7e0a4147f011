//! Lower-case hex, for the few places that show or store bytes as text: an export's MD5
//! checksums, a sort-key split's start in the partition view and in capacity records.

/// `bytes` as lower-case hex, two digits a byte.
pub(crate) fn encode(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
    out
}

/// The bytes `text` encodes (either case); `None` for an odd length or a non-hex digit.
pub(crate) fn decode(text: &str) -> Option<Vec<u8>> {
    let digits = text.as_bytes();
    if !digits.len().is_multiple_of(2) {
        return None;
    }
    let value = |d: u8| char::from(d).to_digit(16);
    digits
        .chunks_exact(2)
        .map(|pair| Some((value(pair[0])? << 4 | value(pair[1])?) as u8))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_round_trip_and_bad_text_is_refused() {
        let bytes = [0x00, 0x7f, 0x80, 0xab, 0xff];
        assert_eq!(encode(&bytes), "007f80abff");
        assert_eq!(decode("007f80abff").as_deref(), Some(&bytes[..]));
        assert_eq!(decode("ABff").as_deref(), Some(&[0xab, 0xff][..]));
        assert_eq!(decode(""), Some(Vec::new()));
        for bad in ["0", "zz", "0g", "+1", "é1"] {
            assert_eq!(decode(bad), None, "{bad}");
        }
    }
}
