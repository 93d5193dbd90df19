//! HTTP-date (RFC 9110 §5.6.7): the three formats a recipient must accept, read as whole
//! seconds since the Unix epoch.
//!
//! IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`) is what senders generate; recipients also
//! accept the obsolete RFC 850 form (`Sunday, 06-Nov-94 08:49:37 GMT`, a two-digit year read as
//! the most recent past year ending in it, here simply 19xx for 70–99 and 20xx otherwise) and
//! ANSI C's asctime() form (`Sun Nov  6 08:49:37 1994`). Anything else is not a date.

use crate::calendar::{civil_from_days, days_from_civil, month_number, MONTHS};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Seconds since the epoch (negative before it) of `t`.
pub fn secs(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_secs()).unwrap_or(i64::MAX),
    }
}

/// The time `s` seconds after the epoch.
pub fn from_secs(s: i64) -> SystemTime {
    if s >= 0 {
        UNIX_EPOCH + Duration::from_secs(s.unsigned_abs())
    } else {
        UNIX_EPOCH - Duration::from_secs(s.unsigned_abs())
    }
}

const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/// Parses an HTTP-date into seconds since the epoch, or `None` if it is none of the three forms.
pub fn parse(value: &str) -> Option<i64> {
    let v = value.trim();
    if !v.is_ascii() {
        return None;
    }
    // The grammar separates the parts with exactly one SP (`Thu, 18  Aug  2050 ...` is no
    // date); only asctime's day of month may be padded with a second one (`Nov  6`).
    let parts: Vec<&str> = v.split(' ').collect();
    match parts.as_slice() {
        // IMF-fixdate: day-name "," SP date1 SP time-of-day SP GMT
        [day, d, m, y, time, "GMT"] if day.len() == 4 && day.ends_with(',') => {
            if !DAYS.contains(&&day[..3]) || d.len() != 2 || y.len() != 4 {
                return None;
            }
            build(num(y)?, month_number(m)?, num(d)?, time)
        }
        // rfc850-date: day-name-l "," SP date2 SP time-of-day SP GMT, date2 = DD-Mon-YY
        [day, date, time, "GMT"] if day.ends_with(',') => {
            let mut f = date.split('-');
            let (d, m, y) = (f.next()?, f.next()?, f.next()?);
            if f.next().is_some() || d.len() != 2 || y.len() != 2 {
                return None;
            }
            let yy = num(y)?;
            let year = if yy >= 70 { 1900 + yy } else { 2000 + yy };
            build(year, month_number(m)?, num(d)?, time)
        }
        // asctime-date: day-name SP Mon SP ( 2DIGIT / ( SP DIGIT ) ) SP time-of-day SP year
        [day, m, "", d, time, y] if DAYS.contains(day) && d.len() == 1 => {
            build(num(y)?, month_number(m)?, num(d)?, time)
        }
        [day, m, d, time, y] if DAYS.contains(day) && d.len() == 2 => {
            if y.len() != 4 {
                return None;
            }
            build(num(y)?, month_number(m)?, num(d)?, time)
        }
        _ => None,
    }
}

fn num(s: &str) -> Option<i64> {
    if s.is_empty() || s.len() > 4 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn build(year: i64, month: i64, day: i64, time: &str) -> Option<i64> {
    let mut t = time.split(':');
    let (h, mi, s) = (t.next()?, t.next()?, t.next()?);
    if t.next().is_some() || h.len() != 2 || mi.len() != 2 || s.len() != 2 {
        return None;
    }
    let (h, mi, s) = (num(h)?, num(mi)?, num(s)?);
    // 60 allows a leap second (RFC 9110 §5.6.7: second = 2DIGIT, 00-60).
    if !(1..=31).contains(&day) || h > 23 || mi > 59 || s > 60 {
        return None;
    }
    Some(days_from_civil(year, month, day) * 86_400 + h * 3600 + mi * 60 + s)
}

/// Formats seconds since the epoch as an IMF-fixdate, the form senders generate (RFC 9110
/// §5.6.7), e.g. `Sun, 06 Nov 1994 08:49:37 GMT`.
pub fn format(t: i64) -> String {
    let (days, rem) = (t.div_euclid(86_400), t.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    // 1970-01-01 was a Thursday: index 3 of DAYS.
    let weekday = DAYS[usize::try_from((days + 3).rem_euclid(7)).unwrap_or(0)];
    let month = MONTHS[usize::try_from(m - 1).unwrap_or(0)];
    format!(
        "{weekday}, {d:02} {month} {y:04} {:02}:{:02}:{:02} GMT",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 9110 §5.6.7's own example, in its three forms: 784111777.
    #[test]
    fn http_date_three_formats_rfc9110_5_6_7() {
        assert_eq!(parse("Sun, 06 Nov 1994 08:49:37 GMT"), Some(784_111_777));
        assert_eq!(parse("Sunday, 06-Nov-94 08:49:37 GMT"), Some(784_111_777));
        assert_eq!(parse("Sun Nov  6 08:49:37 1994"), Some(784_111_777));
        assert_eq!(parse("Sun Nov 06 08:49:37 1994"), Some(784_111_777));
    }

    /// Not dates, so an Expires holding one means "already expired" (RFC 9111 §5.3).
    #[test]
    fn http_date_rejects_what_is_not_a_date_rfc9110_5_6_7() {
        for bad in [
            "0",
            "",
            "-1",
            "Sun, 06 Nov 1994 08:49:37 PST",
            "Sun, 6 Nov 1994 08:49:37 GMT",
            "Sun, 06 Foo 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 25:49:37 GMT",
            "Thu, 18  Aug  2050 02:01:18 GMT",
            "Sun,  06 Nov 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994\t08:49:37 GMT",
            "Sunday,  06-Nov-94 08:49:37 GMT",
            "Sun Nov 6 08:49:37 1994",
            "Sun Nov   6 08:49:37 1994",
            "ü",
        ] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn imf_fixdate_is_generated_rfc9110_5_6_7() {
        assert_eq!(format(784_111_777), "Sun, 06 Nov 1994 08:49:37 GMT");
        assert_eq!(format(0), "Thu, 01 Jan 1970 00:00:00 GMT");
        for t in [951_782_400, 1_700_000_000, 4_102_444_800] {
            assert_eq!(parse(&format(t)), Some(t));
        }
    }

    #[test]
    fn secs_round_trip() {
        assert_eq!(secs(from_secs(784_111_777)), 784_111_777);
        assert_eq!(secs(from_secs(-5)), -5);
    }
}
