//! Calendar arithmetic on the clock's microseconds, and the two date texts DynamoDB's
//! control-plane limits print. No time-zone database: everything here is UTC.
//!
//! DynamoDB's texts (both recorded from real responses):
//! - the throughput-decrease limit's "Friday, October 9, 2026 at 12:21:34 AM Coordinated
//!   Universal Time" (ack-api-quirks DDB-TABLE-326, 2026-10-09; Java's FULL style);
//! - the billing-switch limit's "Sat Feb 23 03:07:45 UTC 2019" (serverless/serverless
//!   issue 3183's quote; Java's `Date.toString`).

const MICROS_PER_DAY: u64 = 86_400_000_000;

/// One instant broken into UTC calendar fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Civil {
    year: i64,
    /// 1–12.
    month: u32,
    /// 1–31.
    day: u32,
    /// 0 = Sunday.
    weekday: u32,
    hour: u32,
    minute: u32,
    second: u32,
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const WEEKDAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];

/// The UTC day (days since 1970-01-01) of `micros`.
pub(crate) fn utc_day(micros: u64) -> u64 {
    micros / MICROS_PER_DAY
}

/// The first microsecond of the UTC day after the one holding `micros`.
pub(crate) fn next_utc_midnight(micros: u64) -> u64 {
    (utc_day(micros) + 1).saturating_mul(MICROS_PER_DAY)
}

/// Howard Hinnant's `civil_from_days`: the proleptic Gregorian date of a day number.
fn civil(micros: u64) -> Civil {
    let days = utc_day(micros) as i64;
    let secs = (micros % MICROS_PER_DAY) / 1_000_000;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    Civil {
        year,
        month,
        day,
        // 1970-01-01 was a Thursday.
        weekday: ((days + 4).rem_euclid(7)) as u32,
        hour: (secs / 3600) as u32,
        minute: (secs / 60 % 60) as u32,
        second: (secs % 60) as u32,
    }
}

/// "Friday, October 9, 2026 at 12:21:34 AM Coordinated Universal Time".
pub(crate) fn full_text(micros: u64) -> String {
    let c = civil(micros);
    let (hour12, half) = match c.hour {
        0 => (12, "AM"),
        h @ 1..=11 => (h, "AM"),
        12 => (12, "PM"),
        h => (h - 12, "PM"),
    };
    format!(
        "{}, {} {}, {} at {}:{:02}:{:02} {} Coordinated Universal Time",
        WEEKDAYS[c.weekday as usize],
        MONTHS[c.month as usize - 1],
        c.day,
        c.year,
        hour12,
        c.minute,
        c.second,
        half
    )
}

/// "Sat Feb 23 03:07:45 UTC 2019".
pub(crate) fn java_date_text(micros: u64) -> String {
    let c = civil(micros);
    format!(
        "{} {} {:02} {:02}:{:02}:{:02} UTC {}",
        &WEEKDAYS[c.weekday as usize][..3],
        &MONTHS[c.month as usize - 1][..3],
        c.day,
        c.hour,
        c.minute,
        c.second,
        c.year
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// µs since the epoch of a UTC time, from its RFC 3339 text.
    fn at(text: &str) -> u64 {
        let t = humantime::parse_rfc3339(text).unwrap();
        t.duration_since(std::time::UNIX_EPOCH).unwrap().as_micros() as u64
    }

    #[test]
    fn the_decrease_limit_text_matches_dynamodbs_recorded_one() {
        // DDB-TABLE-326: "Last decrease at Friday, October 9, 2026 at 12:21:34 AM ...".
        assert_eq!(
            full_text(at("2026-10-09T00:21:34Z")),
            "Friday, October 9, 2026 at 12:21:34 AM Coordinated Universal Time"
        );
        assert_eq!(
            full_text(at("2026-10-09T01:21:34Z")),
            "Friday, October 9, 2026 at 1:21:34 AM Coordinated Universal Time"
        );
        // The s3guard quote: "Wednesday, July 25, 2018 8:48:14 PM UTC" (older style).
        assert!(full_text(at("2018-07-25T20:48:14Z"))
            .starts_with("Wednesday, July 25, 2018 at 8:48:14 PM"));
        assert!(full_text(at("2024-02-29T12:00:00Z"))
            .starts_with("Thursday, February 29, 2024 at 12:00:00 PM"));
    }

    #[test]
    fn the_billing_switch_text_matches_dynamodbs_recorded_one() {
        assert_eq!(
            java_date_text(at("2019-02-23T03:07:45Z")),
            "Sat Feb 23 03:07:45 UTC 2019"
        );
        assert_eq!(
            java_date_text(at("2019-02-24T03:07:45Z")),
            "Sun Feb 24 03:07:45 UTC 2019"
        );
    }

    #[test]
    fn midnight_is_the_start_of_the_next_utc_day() {
        let t = at("2026-10-09T23:59:59.999999Z");
        assert_eq!(next_utc_midnight(t), at("2026-10-10T00:00:00Z"));
        assert_eq!(utc_day(next_utc_midnight(t)), utc_day(t) + 1);
        assert_eq!(
            next_utc_midnight(at("2026-10-10T00:00:00Z")),
            at("2026-10-11T00:00:00Z")
        );
    }
}
