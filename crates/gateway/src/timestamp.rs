//! Text for instants: ISO-8601, as `@connections` GET answers them (`2024-05-01T12:00:00.123Z`),
//! and the Common Log Format time an HTTP API event carries (`01/May/2024:12:00:00 +0000`).
//!
//! Times are kept as milliseconds since the Unix epoch everywhere else; this module only prints.

use std::time::{SystemTime, UNIX_EPOCH};

/// Milliseconds since the Unix epoch, now.
pub fn now_millis() -> i64 {
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    i64::try_from(since.as_millis()).unwrap_or(i64::MAX)
}

/// `millis` since the epoch as UTC ISO-8601 with milliseconds and a `Z`.
pub fn iso8601(millis: i64) -> String {
    let days = millis.div_euclid(86_400_000);
    let in_day = millis.rem_euclid(86_400_000);
    let (year, month, day) = civil_from_days(days);
    let (h, m, s, ms) = (
        in_day / 3_600_000,
        in_day / 60_000 % 60,
        in_day / 1000 % 60,
        in_day % 1000,
    );
    format!("{year:04}-{month:02}-{day:02}T{h:02}:{m:02}:{s:02}.{ms:03}Z")
}

/// Month names of the Common Log Format.
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// `millis` since the epoch as UTC in the Common Log Format, to the second, as an HTTP API
/// event's `requestContext.time` (`12/Mar/2020:19:03:58 +0000`).
pub fn clf(millis: i64) -> String {
    let days = millis.div_euclid(86_400_000);
    let seconds = millis.rem_euclid(86_400_000) / 1000;
    let (year, month, day) = civil_from_days(days);
    let (h, m, s) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
    // `civil_from_days` gives months 1 to 12.
    let month = MONTHS[usize::try_from(month - 1).unwrap_or(0)];
    format!("{day:02}/{month}/{year:04}:{h:02}:{m:02}:{s:02} +0000")
}

/// Year, month, day of a count of days since 1970-01-01 (Howard Hinnant's `civil_from_days`,
/// which is exact for the proleptic Gregorian calendar).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prints_known_instants() {
        assert_eq!(iso8601(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso8601(951_782_400_000), "2000-02-29T00:00:00.000Z");
        assert_eq!(iso8601(1_714_564_800_123), "2024-05-01T12:00:00.123Z");
    }

    #[test]
    fn prints_known_instants_in_common_log_format() {
        assert_eq!(clf(0), "01/Jan/1970:00:00:00 +0000");
        // The instant of AWS's own example event (`timeEpoch` 1583348638390).
        assert_eq!(clf(1_583_348_638_390), "04/Mar/2020:19:03:58 +0000");
        assert_eq!(clf(1_714_564_800_999), "01/May/2024:12:00:00 +0000");
    }
}
