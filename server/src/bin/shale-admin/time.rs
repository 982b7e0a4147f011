//! Times and durations as an operator types and reads them: RFC 3339 or epoch seconds in,
//! ISO 8601 (UTC) out, and `--timeout` durations such as `90s`, `30m` or `1h`.
//!
//! DynamoDB's wire format is epoch seconds as a JSON number (`f64`); Shale restores to the
//! microsecond, so times are printed to the microsecond when they have a fraction, and
//! parsed exactly as given.

use std::time::{Duration, UNIX_EPOCH};

/// 9999-12-31T23:59:59Z: the last second RFC 3339's four-digit years can write. Epoch
/// seconds beyond it are refused, so every accepted time can also be printed.
const MAX_EPOCH_SECONDS: f64 = 253_402_300_799.0;

/// What [`parse_time`] accepts, for usage errors.
pub const TIME_EXPECTED: &str =
    "an RFC 3339 time such as 2026-12-01T10:00:00Z or 2026-12-01T11:00:00+01:00, or epoch seconds";

/// What [`parse_timeout`] accepts, for usage errors.
pub const TIMEOUT_EXPECTED: &str =
    "a duration such as 90s, 30m, 1h or 3600 (seconds), at most 7 days";

/// The longest `--timeout`: a week. Bounds every wait and keeps `Instant + timeout` far
/// from overflow.
pub const MAX_TIMEOUT: Duration = Duration::from_secs(7 * 24 * 3600);

/// `s` as epoch seconds: either a non-negative number (`1733047200`, `1733047200.25`) or an
/// RFC 3339 time with its offset (`Z` or `±HH:MM`). `None` if it is neither, or outside
/// 1970–9999. An RFC 3339 time without an offset is refused: it would be read in
/// some time zone the operator did not name.
pub fn parse_time(s: &str) -> Option<f64> {
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        let secs: f64 = s.parse().ok()?;
        return (secs.is_finite() && secs <= MAX_EPOCH_SECONDS).then_some(secs);
    }
    parse_rfc3339(s)
}

fn parse_rfc3339(s: &str) -> Option<f64> {
    // ASCII only, so the byte slicing below always falls on character boundaries.
    if !s.is_ascii() {
        return None;
    }
    let (local, offset_seconds) = split_offset(s)?;
    // humantime reads UTC only: hand it the local part as UTC, then apply the offset.
    let utc = humantime::parse_rfc3339(&format!("{local}Z")).ok()?;
    let local_seconds = utc.duration_since(UNIX_EPOCH).ok()?.as_secs_f64();
    let secs = local_seconds - offset_seconds as f64;
    (0.0..=MAX_EPOCH_SECONDS).contains(&secs).then_some(secs)
}

/// Splits `...Z` or `...±HH:MM` into the local time and the offset east of UTC in seconds.
fn split_offset(s: &str) -> Option<(&str, i64)> {
    if let Some(local) = s.strip_suffix(['Z', 'z']) {
        return Some((local, 0));
    }
    let split = s.len().checked_sub("+00:00".len())?;
    let (local, offset) = s.split_at(split);
    let b = offset.as_bytes();
    let sign = match b.first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    if b.get(3) != Some(&b':') {
        return None;
    }
    let hours: i64 = two_digits(offset.get(1..3)?)?;
    let minutes: i64 = two_digits(offset.get(4..6)?)?;
    if hours > 23 || minutes > 59 {
        return None;
    }
    Some((local, sign * (hours * 3600 + minutes * 60)))
}

fn two_digits(s: &str) -> Option<i64> {
    if s.len() == 2 && s.bytes().all(|b| b.is_ascii_digit()) {
        s.parse().ok()
    } else {
        None
    }
}

/// Epoch seconds as ISO 8601 in UTC: `2026-12-01T10:00:00Z`, or with milliseconds
/// (`2026-12-01T10:00:00.250Z`) or microseconds (`...00.250001Z`) when it has a fraction, so a time copied from
/// the output restores exactly that time. A value no calendar can show (negative, NaN,
/// past 9999) is printed as the number it is.
pub fn format_time(epoch_seconds: f64) -> String {
    if !(0.0..=MAX_EPOCH_SECONDS).contains(&epoch_seconds) {
        return format!("{epoch_seconds} (epoch seconds)");
    }
    // Rounded, not truncated: an f64 near 1.7e9 holds microseconds only to within a
    // fraction of one, and truncating 0.000123 stored as 0.00012299.. would print an
    // earlier time than the server meant.
    let micros = (epoch_seconds * 1e6).round() as u64;
    let t = UNIX_EPOCH + Duration::from_micros(micros);
    // Remainders, not `is_multiple_of`: that is Rust 1.87, and the README says 1.85.
    let (fraction_micros, sub_milli_micros) = (micros % 1_000_000, micros % 1000);
    if fraction_micros == 0 {
        humantime::format_rfc3339_seconds(t).to_string()
    } else if sub_milli_micros == 0 {
        // Backup times are whole milliseconds.
        humantime::format_rfc3339_millis(t).to_string()
    } else {
        humantime::format_rfc3339_micros(t).to_string()
    }
}

/// A `--timeout`: whole seconds (`3600`) or a humantime duration (`90s`, `30m`, `1h`,
/// `1h 30m`); more than zero and at most [`MAX_TIMEOUT`].
pub fn parse_timeout(s: &str) -> Option<Duration> {
    let d = if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        Duration::from_secs(s.parse().ok()?)
    } else {
        humantime::parse_duration(s).ok()?
    };
    (!d.is_zero() && d <= MAX_TIMEOUT).then_some(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch_seconds_are_taken_as_given() {
        assert_eq!(parse_time("0"), Some(0.0));
        assert_eq!(parse_time("1733047200"), Some(1_733_047_200.0));
        assert_eq!(parse_time("1733047200.25"), Some(1_733_047_200.25));
        assert_eq!(parse_time("1.2.3"), None);
        assert_eq!(parse_time("."), None);
        assert_eq!(parse_time("-5"), None);
        assert_eq!(parse_time("999999999999"), None);
    }

    #[test]
    fn rfc3339_times_apply_their_offset() {
        let utc = parse_time("2024-12-01T10:00:00Z");
        assert_eq!(utc, Some(1_733_047_200.0));
        assert_eq!(parse_time("2024-12-01T11:00:00+01:00"), utc);
        assert_eq!(parse_time("2024-12-01T05:30:00-04:30"), utc);
        assert_eq!(parse_time("2024-12-01T10:00:00+00:00"), utc);
        assert_eq!(parse_time("2024-12-01T10:00:00.5Z"), Some(1_733_047_200.5));
    }

    #[test]
    fn malformed_times_are_refused() {
        for bad in [
            "",
            "2024-12-01T10:00:00",  // no offset: which zone?
            "2024-12-01 10:00:00Z", // RFC 3339 wants the T
            "2024-13-01T10:00:00Z", // month 13
            "2024-12-01T10:00:00+24:00",
            "2024-12-01T10:00:00+1:00",
            "1969-12-31T23:59:59Z", // before the epoch
            "2024-12-01T10:00:00+01:0é",
            "yesterday",
        ] {
            assert_eq!(parse_time(bad), None, "{bad}");
        }
    }

    #[test]
    fn formatted_times_parse_back_to_the_same_microsecond() {
        assert_eq!(format_time(1_733_047_200.0), "2024-12-01T10:00:00Z");
        assert_eq!(format_time(1_733_047_200.25), "2024-12-01T10:00:00.250Z");
        assert_eq!(
            format_time(1_733_047_200.000_25),
            "2024-12-01T10:00:00.000250Z"
        );
        for t in [1_733_047_200.000_123, 1_733_047_200.999_999, 86_400.5] {
            let back = parse_time(&format_time(t)).expect("parses");
            assert!(
                (back - t).abs() < 1e-6,
                "{t} -> {} -> {back}",
                format_time(t)
            );
        }
        assert_eq!(format_time(-1.0), "-1 (epoch seconds)");
        assert!(format_time(f64::NAN).contains("epoch seconds"));
    }

    #[test]
    fn timeouts_are_positive_and_bounded() {
        assert_eq!(parse_timeout("3600"), Some(Duration::from_secs(3600)));
        assert_eq!(parse_timeout("90s"), Some(Duration::from_secs(90)));
        assert_eq!(parse_timeout("1h 30m"), Some(Duration::from_secs(5400)));
        assert_eq!(parse_timeout("500ms"), Some(Duration::from_millis(500)));
        assert_eq!(parse_timeout("0"), None);
        assert_eq!(parse_timeout("8days"), None);
        assert_eq!(parse_timeout("soon"), None);
        assert_eq!(parse_timeout(""), None);
    }
}
