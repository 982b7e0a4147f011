//! [`Number`]: DynamoDB's exact decimal (the `N` type).
//!
//! A number is `(-1)^negative × mantissa × 10^exponent` with at most 38 significant digits
//! and a magnitude between 1E-130 and 9.9999999999999999999999999999999999999E+125. It is
//! never rounded: text that does not fit is rejected with a typed [`TypeError`].

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use super::error::{DecodeError, TypeError};

/// At most this many significant digits (after trimming leading and trailing zeros).
pub const MAX_SIGNIFICANT_DIGITS: usize = 38;
/// The largest decimal exponent of the leading digit (9.99…E+125).
pub const MAX_SCIENTIFIC_EXPONENT: i32 = 125;
/// The smallest decimal exponent of the leading digit of a non-zero number (1E-130).
pub const MIN_SCIENTIFIC_EXPONENT: i32 = -130;
/// Number text longer than this is rejected before parsing. The longest canonical
/// number ("-0." followed by 129 zeros and 38 digits) is 170 bytes; the slack allows
/// clients' padding zeros and exponents while keeping hostile input cheap.
pub const MAX_NUMBER_TEXT_BYTES: usize = 512;
/// Exponent digits beyond this magnitude cannot change the outcome (the text is at most
/// [`MAX_NUMBER_TEXT_BYTES`] long), so the parser saturates there instead of overflowing.
const EXPONENT_SATURATION: i64 = 1_000_000_000;

/// 10^0 ..= 10^38; 10^38 < 2^127, so every entry fits in a `u128`.
const POW10: [u128; 39] = {
    let mut table = [1u128; 39];
    let mut i = 1;
    while i < 39 {
        table[i] = table[i - 1] * 10;
        i += 1;
    }
    table
};

/// An exact decimal with DynamoDB's precision and range.
///
/// Invariants (upheld by every constructor, so derived `Eq`/`Hash` are numeric equality):
/// - `mantissa < 10^38`;
/// - zero is unique: `mantissa == 0` implies `!negative && exponent == 0`;
/// - otherwise `mantissa % 10 != 0` (no trailing zeros) and the leading digit's exponent
///   `exponent + digits - 1` is within `MIN_SCIENTIFIC_EXPONENT..=MAX_SCIENTIFIC_EXPONENT`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Number {
    negative: bool,
    mantissa: u128,
    exponent: i32,
}

/// Sortable-encoding tag bytes: negatives < zero < positives.
const TAG_NEGATIVE: u8 = 0x01;
const TAG_ZERO: u8 = 0x02;
const TAG_POSITIVE: u8 = 0x03;
/// Ends the digit pairs of a positive number; every pair byte is larger (1..=100).
const DIGITS_END: u8 = 0x00;

impl Number {
    /// Zero.
    pub const ZERO: Number = Number {
        negative: false,
        mantissa: 0,
        exponent: 0,
    };

    /// Parses DynamoDB's number text: optional sign, digits with an optional decimal
    /// point (".5" and "5." are accepted), optional exponent (`e`/`E`, optional sign).
    ///
    /// # Errors
    /// [`TypeError::NumberTextTooLong`] above [`MAX_NUMBER_TEXT_BYTES`],
    /// [`TypeError::NumberMalformed`] for anything that is not such text,
    /// [`TypeError::NumberPrecision`] above 38 significant digits, and
    /// [`TypeError::NumberOverflow`] / [`TypeError::NumberUnderflow`] out of range.
    pub fn parse(text: &str) -> Result<Number, TypeError> {
        if text.len() > MAX_NUMBER_TEXT_BYTES {
            return Err(TypeError::NumberTextTooLong {
                len: text.len(),
                max: MAX_NUMBER_TEXT_BYTES,
            });
        }
        let malformed = |reason| TypeError::NumberMalformed {
            text: text.chars().take(64).collect(),
            reason,
        };
        let bytes = text.as_bytes();
        let mut pos = 0;
        let negative = match bytes.first() {
            Some(b'-') => {
                pos = 1;
                true
            }
            Some(b'+') => {
                pos = 1;
                false
            }
            _ => false,
        };
        let mut digits = DigitAccumulator::default();
        let mut fraction_digits: i64 = 0;
        let mut seen_point = false;
        let mut seen_digit = false;
        while let Some(&byte) = bytes.get(pos) {
            match byte {
                b'0'..=b'9' => {
                    seen_digit = true;
                    digits.push(byte - b'0');
                    if seen_point {
                        fraction_digits += 1;
                    }
                }
                b'.' if !seen_point => seen_point = true,
                b'.' => return Err(malformed("more than one decimal point")),
                b'e' | b'E' => break,
                _ => return Err(malformed("unexpected character")),
            }
            pos += 1;
        }
        if !seen_digit {
            return Err(malformed("no digits"));
        }
        let mut exponent: i64 = 0;
        if pos < bytes.len() {
            // bytes[pos] is 'e' or 'E'.
            exponent =
                parse_exponent(&bytes[pos + 1..]).ok_or_else(|| malformed("bad exponent"))?;
        }
        digits.finish(negative, exponent - fraction_digits)
    }

    /// Builds the number `(-1)^negative × mantissa × 10^exponent`, normalizing it.
    ///
    /// # Errors
    /// Precision and range errors as for [`Number::parse`].
    pub fn from_parts(negative: bool, mantissa: u128, exponent: i32) -> Result<Number, TypeError> {
        let mut digits = DigitAccumulator::default();
        let count = digit_count(mantissa);
        for i in (0..count).rev() {
            digits.push(digit_at(mantissa, i));
        }
        digits.finish(negative, i64::from(exponent))
    }

    /// Whether this is zero.
    #[must_use]
    pub fn is_zero(&self) -> bool {
        self.mantissa == 0
    }

    /// Whether this is below zero.
    #[must_use]
    pub fn is_negative(&self) -> bool {
        self.negative
    }

    /// The significant digits as an integer (no trailing zeros; 0 for zero).
    #[must_use]
    pub fn mantissa(&self) -> u128 {
        self.mantissa
    }

    /// The power of ten the mantissa is scaled by.
    #[must_use]
    pub fn exponent(&self) -> i32 {
        self.exponent
    }

    /// How many significant digits (zero has one, "0").
    #[must_use]
    pub fn significant_digits(&self) -> usize {
        digit_count(self.mantissa).max(1)
    }

    /// The exponent of the leading digit (0 for zero).
    fn scientific_exponent(&self) -> i32 {
        if self.is_zero() {
            0
        } else {
            // At most 38 digits, so the cast is exact.
            self.exponent + self.significant_digits() as i32 - 1
        }
    }

    /// The additive inverse (zero stays zero).
    #[must_use]
    pub fn negated(&self) -> Number {
        Number {
            negative: !self.negative && !self.is_zero(),
            ..*self
        }
    }

    /// The exact sum.
    ///
    /// # Errors
    /// [`TypeError::NumberPrecision`] if the exact sum needs more than 38 digits,
    /// [`TypeError::NumberOverflow`] / [`TypeError::NumberUnderflow`] if it is out of range.
    pub fn checked_add(&self, other: &Number) -> Result<Number, TypeError> {
        if other.is_zero() {
            return Ok(*self);
        }
        if self.is_zero() {
            return Ok(*other);
        }
        let low = self.exponent.min(other.exponent);
        let a = WideDigits::aligned(self, low);
        let b = WideDigits::aligned(other, low);
        let (negative, magnitude) = if self.negative == other.negative {
            (self.negative, a.add(&b))
        } else {
            match a.cmp_magnitude(&b) {
                Ordering::Equal => return Ok(Number::ZERO),
                Ordering::Greater => (self.negative, a.sub(&b)),
                Ordering::Less => (other.negative, b.sub(&a)),
            }
        };
        let mut digits = DigitAccumulator::default();
        for &digit in magnitude.0.iter().rev() {
            digits.push(digit);
        }
        digits.finish(negative, i64::from(low))
    }

    /// The exact difference `self - other`.
    ///
    /// # Errors
    /// As [`Number::checked_add`].
    pub fn checked_sub(&self, other: &Number) -> Result<Number, TypeError> {
        self.checked_add(&other.negated())
    }

    /// Appends an encoding whose byte order equals numeric order and which is
    /// self-delimiting (a decoder knows where it ends without a length). See
    /// `docs/format/item.md`.
    pub fn encode_sortable(&self, out: &mut Vec<u8>) {
        if self.is_zero() {
            out.push(TAG_ZERO);
            return;
        }
        // The scientific exponent spans -130..=125: exactly the 256 values of a byte.
        let exponent_byte = (self.scientific_exponent() - MIN_SCIENTIFIC_EXPONENT) as u8;
        // Negatives complement every byte after the tag, so larger magnitudes sort first
        // and the terminator (0x00 → 0xFF) makes a shorter digit string sort last.
        let flip = if self.negative { 0xFF } else { 0x00 };
        out.push(if self.negative {
            TAG_NEGATIVE
        } else {
            TAG_POSITIVE
        });
        out.push(exponent_byte ^ flip);
        let count = digit_count(self.mantissa);
        let mut i = count;
        while i > 0 {
            let high = digit_at(self.mantissa, i - 1);
            let low = if i >= 2 {
                digit_at(self.mantissa, i - 2)
            } else {
                0
            };
            out.push((1 + high * 10 + low) ^ flip);
            i = i.saturating_sub(2);
        }
        out.push(DIGITS_END ^ flip);
    }

    /// Decodes one number written by [`Number::encode_sortable`] from the front of
    /// `bytes`, returning it and how many bytes it used.
    ///
    /// # Errors
    /// [`DecodeError`] on truncation, bad tags or digit bytes, and non-canonical digits
    /// (leading or trailing zeros, more than 38 digits).
    pub fn decode_sortable(bytes: &[u8]) -> Result<(Number, usize), DecodeError> {
        let tag = *bytes.first().ok_or(DecodeError::Truncated {
            offset: 0,
            what: "number tag",
        })?;
        let (negative, flip) = match tag {
            TAG_ZERO => return Ok((Number::ZERO, 1)),
            TAG_POSITIVE => (false, 0x00),
            TAG_NEGATIVE => (true, 0xFF),
            _ => return Err(DecodeError::UnknownTag { offset: 0, tag }),
        };
        let exponent_byte = *bytes.get(1).ok_or(DecodeError::Truncated {
            offset: 1,
            what: "number exponent",
        })? ^ flip;
        let scientific = i32::from(exponent_byte) + MIN_SCIENTIFIC_EXPONENT;
        let mut mantissa: u128 = 0;
        let mut count: usize = 0;
        let mut pos = 2;
        // At most 19 pair bytes plus the terminator; the loop is bounded by the check below.
        loop {
            let byte = *bytes.get(pos).ok_or(DecodeError::Truncated {
                offset: pos,
                what: "number digits",
            })? ^ flip;
            if byte == DIGITS_END {
                break;
            }
            if !(1..=100).contains(&byte) || count >= MAX_SIGNIFICANT_DIGITS {
                return Err(DecodeError::InvalidByte {
                    offset: pos,
                    byte: byte ^ flip,
                    reason: "not a digit pair of a number of at most 38 digits",
                });
            }
            let pair = byte - 1;
            mantissa = mantissa * 100 + u128::from(pair);
            count += 2;
            pos += 1;
        }
        let canonical_error = |reason| DecodeError::NonCanonical { offset: 0, reason };
        if count == 0 {
            return Err(canonical_error("non-zero number without digits"));
        }
        // The last pair may pad an odd digit count with a zero; canonical digits never
        // end in zero otherwise.
        // (`digit_at` rather than `%`: `u128::is_multiple_of` is newer than the MSRV.)
        if digit_at(mantissa, 0) == 0 {
            mantissa /= 10;
            count -= 1;
            if digit_at(mantissa, 0) == 0 {
                return Err(canonical_error("trailing zero digit"));
            }
        }
        if digit_count(mantissa) != count {
            return Err(canonical_error("leading zero digit"));
        }
        let number = Number {
            negative,
            mantissa,
            exponent: scientific - (count as i32 - 1),
        };
        Ok((number, pos + 1))
    }

    /// Magnitude comparison, ignoring signs.
    fn cmp_magnitude(&self, other: &Number) -> Ordering {
        match (self.is_zero(), other.is_zero()) {
            (true, true) => return Ordering::Equal,
            (true, false) => return Ordering::Less,
            (false, true) => return Ordering::Greater,
            (false, false) => {}
        }
        self.scientific_exponent()
            .cmp(&other.scientific_exponent())
            .then_with(|| {
                // Left-align both mantissas to 38 digits; 10^38 - 1 fits in a u128.
                let scale = |n: &Number| {
                    n.mantissa * POW10[MAX_SIGNIFICANT_DIGITS - digit_count(n.mantissa)]
                };
                scale(self).cmp(&scale(other))
            })
    }
}

impl Ord for Number {
    fn cmp(&self, other: &Number) -> Ordering {
        match (self.negative, other.negative) {
            (false, true) => Ordering::Greater,
            (true, false) => Ordering::Less,
            (false, false) => self.cmp_magnitude(other),
            (true, true) => other.cmp_magnitude(self),
        }
    }
}

impl PartialOrd for Number {
    fn partial_cmp(&self, other: &Number) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl FromStr for Number {
    type Err = TypeError;

    fn from_str(text: &str) -> Result<Number, TypeError> {
        Number::parse(text)
    }
}

impl From<i64> for Number {
    fn from(value: i64) -> Number {
        let magnitude = u128::from(value.unsigned_abs());
        // 19 digits at most and exponent 0: always in range.
        Number::from_parts(value < 0, magnitude, 0).expect("an i64 is always a valid Number")
    }
}

/// Plain decimal notation without exponent, as DynamoDB returns numbers: "1.5", "100",
/// "-0.000001".
impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_zero() {
            return f.write_str("0");
        }
        let digits = self.mantissa.to_string();
        let mut text = String::with_capacity(digits.len() + 140);
        if self.negative {
            text.push('-');
        }
        let count = digits.len() as i64;
        let exponent = i64::from(self.exponent);
        if exponent >= 0 {
            text.push_str(&digits);
            text.extend(std::iter::repeat_n('0', exponent as usize));
        } else if -exponent < count {
            let split = (count + exponent) as usize;
            text.push_str(&digits[..split]);
            text.push('.');
            text.push_str(&digits[split..]);
        } else {
            text.push_str("0.");
            text.extend(std::iter::repeat_n('0', (-exponent - count) as usize));
            text.push_str(&digits);
        }
        f.pad(&text)
    }
}

/// Parses the part after `e`: optional sign and at least one digit, saturating.
fn parse_exponent(bytes: &[u8]) -> Option<i64> {
    let (negative, digits) = match bytes.first() {
        Some(b'-') => (true, &bytes[1..]),
        Some(b'+') => (false, &bytes[1..]),
        _ => (false, bytes),
    };
    if digits.is_empty() {
        return None;
    }
    let mut value: i64 = 0;
    for &byte in digits {
        if !byte.is_ascii_digit() {
            return None;
        }
        value = (value * 10 + i64::from(byte - b'0')).min(EXPONENT_SATURATION);
    }
    Some(if negative { -value } else { value })
}

/// Collects decimal digits most-significant first, dropping leading zeros and holding
/// back trailing zeros, so the result is normalized without ever rounding.
#[derive(Default)]
struct DigitAccumulator {
    mantissa: u128,
    /// Significant digits pushed so far, including held-back zeros once flushed.
    count: usize,
    /// Zeros seen since the last non-zero digit.
    pending_zeros: usize,
}

impl DigitAccumulator {
    fn push(&mut self, digit: u8) {
        if digit == 0 {
            if self.count > 0 {
                self.pending_zeros += 1;
            }
            return;
        }
        let new_count = self.count + self.pending_zeros + 1;
        if new_count <= MAX_SIGNIFICANT_DIGITS {
            self.mantissa = self.mantissa * POW10[self.pending_zeros + 1] + u128::from(digit);
        }
        self.count = new_count;
        self.pending_zeros = 0;
    }

    /// The number `±digits × 10^exponent` (exponent applies to the last pushed digit).
    fn finish(self, negative: bool, exponent: i64) -> Result<Number, TypeError> {
        if self.count == 0 {
            return Ok(Number::ZERO);
        }
        // Range before precision: an out-of-range magnitude is reported as such even when
        // it also has too many digits (e.g. the sum of two maximal numbers).
        let exponent = exponent + self.pending_zeros as i64;
        let scientific = exponent + self.count as i64 - 1;
        if scientific > i64::from(MAX_SCIENTIFIC_EXPONENT) {
            return Err(TypeError::NumberOverflow);
        }
        if scientific < i64::from(MIN_SCIENTIFIC_EXPONENT) {
            return Err(TypeError::NumberUnderflow);
        }
        if self.count > MAX_SIGNIFICANT_DIGITS {
            return Err(TypeError::NumberPrecision { digits: self.count });
        }
        Ok(Number {
            negative,
            mantissa: self.mantissa,
            // In range: |scientific| <= 130 and count <= 38.
            exponent: exponent as i32,
        })
    }
}

/// Decimal digits of `value` (0 for 0).
fn digit_count(value: u128) -> usize {
    POW10.iter().take_while(|&&power| power <= value).count()
}

/// The decimal digit of `value` at position `index` (0 = units).
fn digit_at(value: u128, index: usize) -> u8 {
    ((value / POW10[index]) % 10) as u8
}

/// A magnitude as little-endian decimal digits, for exact addition across exponents that
/// differ by more than a `u128` can span (up to 125 + 130 + 38 digits).
struct WideDigits(Vec<u8>);

impl WideDigits {
    /// The mantissa of `number` shifted so that digit 0 has exponent `low`.
    fn aligned(number: &Number, low: i32) -> WideDigits {
        // Both exponents are within -167..=125, so the shift is small and non-negative.
        let shift = (number.exponent - low) as usize;
        let mut digits = vec![0u8; shift];
        digits.extend((0..digit_count(number.mantissa)).map(|i| digit_at(number.mantissa, i)));
        WideDigits(digits)
    }

    fn cmp_magnitude(&self, other: &WideDigits) -> Ordering {
        self.0
            .len()
            .cmp(&other.0.len())
            .then_with(|| self.0.iter().rev().cmp(other.0.iter().rev()))
    }

    fn add(&self, other: &WideDigits) -> WideDigits {
        let len = self.0.len().max(other.0.len());
        let mut out = Vec::with_capacity(len + 1);
        let mut carry = 0u8;
        for i in 0..len {
            let sum =
                self.0.get(i).copied().unwrap_or(0) + other.0.get(i).copied().unwrap_or(0) + carry;
            out.push(sum % 10);
            carry = sum / 10;
        }
        if carry > 0 {
            out.push(carry);
        }
        WideDigits(out)
    }

    /// `self - other`; requires `self >= other` in magnitude.
    fn sub(&self, other: &WideDigits) -> WideDigits {
        let mut out = Vec::with_capacity(self.0.len());
        let mut borrow = 0i8;
        for (i, &digit) in self.0.iter().enumerate() {
            let mut value = digit as i8 - other.0.get(i).copied().unwrap_or(0) as i8 - borrow;
            borrow = 0;
            if value < 0 {
                value += 10;
                borrow = 1;
            }
            out.push(value as u8);
        }
        // Leading zeros are harmless: DigitAccumulator drops them.
        WideDigits(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(text: &str) -> Number {
        Number::parse(text).unwrap()
    }

    #[test]
    fn parses_dynamodb_forms_and_prints_plain_decimal() {
        for (input, printed) in [
            ("123", "123"),
            ("-1.50", "-1.5"),
            ("1e10", "10000000000"),
            ("1E+2", "100"),
            (".5", "0.5"),
            ("5.", "5"),
            ("+5", "5"),
            ("-0", "0"),
            ("0.000", "0"),
            ("000120.0300", "120.03"),
            ("1E-6", "0.000001"),
            ("-12.5e-3", "-0.0125"),
            ("0e999999999999999", "0"),
        ] {
            assert_eq!(n(input).to_string(), printed, "input {input}");
        }
    }

    #[test]
    fn rejects_garbage_with_typed_errors() {
        for bad in [
            "", "-", ".", "e5", "1e", "1e+", "1.2.3", "1,5", " 1", "1 ", "NaN", "Infinity", "0x10",
            "1e5.5", "--1", "+-1",
        ] {
            assert!(
                matches!(Number::parse(bad), Err(TypeError::NumberMalformed { .. })),
                "{bad:?} should be malformed"
            );
        }
    }

    #[test]
    fn enforces_precision_and_range() {
        let max = "9.9999999999999999999999999999999999999E+125";
        assert_eq!(n(max).significant_digits(), 38);
        assert_eq!(Number::parse("1E+126"), Err(TypeError::NumberOverflow));
        assert_eq!(Number::parse("1E-131"), Err(TypeError::NumberUnderflow));
        assert!(Number::parse("1E-130").is_ok());
        assert_eq!(Number::parse("1e-1000000"), Err(TypeError::NumberUnderflow));
        assert_eq!(
            Number::parse("123456789012345678901234567890123456789"),
            Err(TypeError::NumberPrecision { digits: 39 })
        );
        // Trailing zeros are trimmed before counting.
        assert!(Number::parse("12345678901234567890123456789012345678000").is_ok());
        let long = "1".repeat(MAX_NUMBER_TEXT_BYTES + 1);
        assert!(matches!(
            Number::parse(&long),
            Err(TypeError::NumberTextTooLong { .. })
        ));
    }

    #[test]
    fn orders_numerically() {
        let sorted = [
            "-100", "-1.5", "-1", "-0.001", "0", "1E-130", "0.5", "1", "1.01", "10", "1E125",
        ];
        for pair in sorted.windows(2) {
            assert!(n(pair[0]) < n(pair[1]), "{} < {}", pair[0], pair[1]);
        }
        assert_eq!(n("1.50"), n("15e-1"));
    }

    #[test]
    fn adds_exactly_or_fails_typed() {
        assert_eq!(n("1.5").checked_add(&n("2.25")).unwrap(), n("3.75"));
        assert_eq!(n("1").checked_sub(&n("1")).unwrap(), Number::ZERO);
        assert_eq!(n("1E10").checked_sub(&n("9999999999")).unwrap(), n("1"));
        assert_eq!(
            n("1E100").checked_add(&n("1E-100")),
            Err(TypeError::NumberPrecision { digits: 201 })
        );
        let max = n("9.9999999999999999999999999999999999999E+125");
        assert_eq!(max.checked_add(&n("1E+88")), Err(TypeError::NumberOverflow));
        assert_eq!(
            n("1.1E-130").checked_sub(&n("1E-130")),
            Err(TypeError::NumberUnderflow)
        );
    }

    #[test]
    fn sortable_encoding_roundtrips_and_rejects_noncanonical() {
        for text in [
            "0",
            "1",
            "-1",
            "12",
            "-123",
            "1E-130",
            "9.9999999999999999999999999999999999999E+125",
        ] {
            let number = n(text);
            let mut bytes = Vec::new();
            number.encode_sortable(&mut bytes);
            bytes.push(0xAB);
            let (decoded, used) = Number::decode_sortable(&bytes).unwrap();
            assert_eq!((decoded, used), (number, bytes.len() - 1), "{text}");
        }
        // "10" as a pair byte with a trailing zero that is not padding.
        assert!(Number::decode_sortable(&[TAG_POSITIVE, 130, 11, 1, 0]).is_err());
        assert!(Number::decode_sortable(&[TAG_POSITIVE, 130]).is_err());
        assert!(Number::decode_sortable(&[0x09]).is_err());
        assert!(Number::decode_sortable(&[TAG_POSITIVE, 130, 0]).is_err());
        assert!(Number::decode_sortable(&[TAG_POSITIVE, 130, 101, 0]).is_err());
    }
}
