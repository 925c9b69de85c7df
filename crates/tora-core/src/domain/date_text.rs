//! Dates and times as text, for the three fixed shapes the API reads and writes
//! besides RFC 3339: a calendar date (`2026-12-03`), a wall clock
//! (`2026-12-03 07:30:00`) and Postgres' text output of a `timestamptz`.
//!
//! Written by hand because chrono's `format`/`parse_from_str` interpret a strftime
//! pattern at run time, and that interpreter (with its RFC 2822 parser) was about
//! 20 KB of the worker's Wasm for these three shapes. RFC 3339 stays with chrono,
//! whose RFC 3339 reader and writer are separate and small.

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, Timelike, Utc};
use std::fmt::Write;

/// `YYYY-MM-DD`, exactly: four-digit year, two-digit month and day, a real date.
pub fn parse_date(text: &str) -> Option<NaiveDate> {
    let bytes = text.as_bytes();
    if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return None;
    }
    let year = digits(&bytes[0..4])?;
    let month = digits(&bytes[5..7])?;
    let day = digits(&bytes[8..10])?;
    NaiveDate::from_ymd_opt(i32::try_from(year).ok()?, month, day)
}

/// `YYYY-MM-DD HH:MM:SS`: a wall clock to the second, as a spreadsheet reads it.
pub fn wall_clock(at: NaiveDateTime) -> String {
    date_and_time(at, ' ')
}

/// `YYYY-MM-DDTHH:MM:SS`, as chrono's `%Y-%m-%dT%H:%M:%S` writes it (an imported
/// session's key hashes this text, so it must not change).
pub fn iso_seconds(at: NaiveDateTime) -> String {
    date_and_time(at, 'T')
}

fn date_and_time(at: NaiveDateTime, separator: char) -> String {
    let mut text = String::with_capacity(19);
    push_year(&mut text, at.year());
    let _ = write!(
        text,
        "-{:02}-{:02}{separator}{:02}:{:02}:{:02}",
        at.month(),
        at.day(),
        at.hour(),
        at.minute(),
        at.second()
    );
    text
}

/// chrono's `%Y`: four digits, a sign only beyond 0..=9999.
fn push_year(text: &mut String, year: i32) {
    let _ = match year {
        0..=9999 => write!(text, "{year:04}"),
        10000.. => write!(text, "+{year}"),
        _ => write!(text, "-{:04}", year.unsigned_abs()),
    };
}

/// A start time as Strong and Hevy export it: `2024-01-15 17:30:00`, with a `T`
/// or without seconds, or Hevy's `14 Jan 2024, 18:05` (seconds optional).
pub fn parse_import_time(text: &str) -> Option<NaiveDateTime> {
    let (date, time) = if let Some((date, time)) = text.split_once(", ") {
        (parse_day_month_year(date)?, time)
    } else {
        let (date, time) = text.split_at_checked(10)?;
        let time = time.strip_prefix(' ').or_else(|| time.strip_prefix('T'))?;
        (parse_date(date)?, time)
    };
    let mut fields = time.split(':');
    let hour = one_or_two_digits(fields.next()?)?;
    let minute = two_digits(fields.next()?)?;
    let second = fields.next().map(two_digits).unwrap_or(Some(0))?;
    if fields.next().is_some() {
        return None;
    }
    date.and_hms_opt(hour, minute, second)
}

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];

/// `14 Jan 2024`: day in one or two digits, the month's three letters in any case.
fn parse_day_month_year(text: &str) -> Option<NaiveDate> {
    let mut fields = text.split(' ');
    let day = one_or_two_digits(fields.next()?)?;
    let month = fields.next()?;
    let month = MONTHS
        .iter()
        .position(|name| name.eq_ignore_ascii_case(month))?;
    let year = fields.next()?;
    if year.len() != 4 || fields.next().is_some() {
        return None;
    }
    let year = i32::try_from(digits(year.as_bytes())?).ok()?;
    NaiveDate::from_ymd_opt(year, u32::try_from(month).ok()? + 1, day)
}

fn one_or_two_digits(text: &str) -> Option<u32> {
    (1..=2)
        .contains(&text.len())
        .then(|| digits(text.as_bytes()))?
}

fn two_digits(text: &str) -> Option<u32> {
    (text.len() == 2).then(|| digits(text.as_bytes()))?
}

/// Postgres' text output of a `timestamptz`: `2024-01-02 03:04:05.678+00`, the
/// fraction optional (up to nine digits), the offset `+HH` or `+HH:MM`.
pub fn parse_postgres_timestamptz(text: &str) -> Option<DateTime<Utc>> {
    let (date, rest) = text.split_at_checked(10)?;
    let date = parse_date(date)?;
    let rest = rest.strip_prefix(' ')?;
    let bytes = rest.as_bytes();
    if bytes.len() < 8 || bytes[2] != b':' || bytes[5] != b':' {
        return None;
    }
    let hour = digits(&bytes[0..2])?;
    let minute = digits(&bytes[3..5])?;
    let second = digits(&bytes[6..8])?;
    let mut rest = &bytes[8..];
    let mut nanos = 0;
    if let Some(fraction) = rest.strip_prefix(b".") {
        let length = fraction
            .iter()
            .take_while(|byte| byte.is_ascii_digit())
            .count();
        if length == 0 || length > 9 {
            return None;
        }
        nanos = digits(&fraction[..length])? * 10u32.pow(9 - length as u32);
        rest = &fraction[length..];
    }
    let offset_seconds = parse_offset(rest)?;
    let time = NaiveTime::from_hms_nano_opt(hour, minute, second, nanos)?;
    let local = date.and_time(time);
    let utc = local.checked_sub_signed(TimeDelta::seconds(i64::from(offset_seconds)))?;
    Some(utc.and_utc())
}

/// `+HH` or `+HH:MM` (or `-`), in seconds east of UTC; under 24 hours.
fn parse_offset(text: &[u8]) -> Option<i32> {
    let (&sign, text) = text.split_first()?;
    let sign = match sign {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let (hours, minutes) = match text {
        [h1, h2] => (digits(&[*h1, *h2])?, 0),
        [h1, h2, b':', m1, m2] => (digits(&[*h1, *h2])?, digits(&[*m1, *m2])?),
        _ => return None,
    };
    if hours > 23 || minutes > 59 {
        return None;
    }
    Some(sign * i32::try_from(hours * 3600 + minutes * 60).ok()?)
}

/// A run of ASCII digits as a number; `None` if any byte is not a digit.
fn digits(bytes: &[u8]) -> Option<u32> {
    bytes.iter().try_fold(0u32, |number, byte| {
        byte.is_ascii_digit()
            .then(|| number * 10 + u32::from(byte - b'0'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn reads_dates_only_in_their_full_form() {
        assert_eq!(
            parse_date("2026-12-03"),
            NaiveDate::from_ymd_opt(2026, 12, 3)
        );
        assert_eq!(
            parse_date("2024-02-29"),
            NaiveDate::from_ymd_opt(2024, 2, 29)
        );
        for bad in [
            "2025-02-29",
            "2026-13-01",
            "2026-12-00",
            "2026-1-05",
            "26-12-03",
            "2026-12-03 ",
            "2026/12/03",
            "+026-12-03",
            "2026-12-0a",
            "",
            "２０２６-12-03",
        ] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn writes_the_wall_clock_to_the_second() {
        let at = NaiveDate::from_ymd_opt(2026, 3, 9)
            .and_then(|day| day.and_hms_milli_opt(7, 5, 3, 999))
            .unwrap();
        assert_eq!(wall_clock(at), "2026-03-09 07:05:03");
    }

    #[test]
    fn reads_postgres_timestamps_in_each_offset_form() {
        let expected: DateTime<Utc> = "2024-01-02T03:04:05.678Z".parse().unwrap();
        assert_eq!(
            parse_postgres_timestamptz("2024-01-02 03:04:05.678+00"),
            Some(expected)
        );
        assert_eq!(
            parse_postgres_timestamptz("2024-01-02 08:34:05.678+05:30"),
            Some(expected)
        );
        assert_eq!(
            parse_postgres_timestamptz("2024-01-01 23:04:05.678-04"),
            Some(expected)
        );
        for bad in [
            "2024-01-02T03:04:05+00",
            "2024-01-02 03:04:05",
            "2024-01-02 03:04:05.+00",
            "2024-01-02 03:04:05.1234567890+00",
            "2024-01-02 24:00:00+00",
            "2024-01-02 03:04:05+0",
            "2024-01-02 03:04:05+00:00:00",
            "2024-01-02 03:04:05Z",
        ] {
            assert_eq!(parse_postgres_timestamptz(bad), None, "{bad}");
        }
    }

    /// The strftime patterns the Strong and Hevy readers used before.
    const IMPORT_FORMATS: [&str; 6] = [
        "%d %b %Y, %H:%M",
        "%d %b %Y, %H:%M:%S",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
    ];

    #[test]
    fn reads_both_apps_time_forms() {
        let at = |text: &str| parse_import_time(text).map(|at| at.to_string());
        assert_eq!(
            at("14 Jan 2024, 18:05").as_deref(),
            Some("2024-01-14 18:05:00")
        );
        assert_eq!(
            at("4 jan 2024, 8:05:09").as_deref(),
            Some("2024-01-04 08:05:09")
        );
        assert_eq!(
            at("2024-01-15 17:30:00").as_deref(),
            Some("2024-01-15 17:30:00")
        );
        assert_eq!(
            at("2024-01-15T17:30").as_deref(),
            Some("2024-01-15 17:30:00")
        );
        for bad in [
            "14 Janu 2024, 18:05",
            "2024-01-15",
            "2024-01-15 17:30:00:00",
            "31 Feb 2024, 10:00",
        ] {
            assert_eq!(parse_import_time(bad), None, "{bad}");
        }
    }

    fn instants() -> impl Strategy<Value = (NaiveDateTime, i32, u32)> {
        (
            (1i32..=9999, 1u32..=12, 1u32..=28),
            (0u32..24, 0u32..60, 0u32..60),
            0u32..1_000_000_000,
            -23i32..=23,
            prop_oneof![Just(0u32), Just(30), Just(45), 0u32..60],
            0u32..=9,
        )
            .prop_map(
                |((y, mo, d), (h, mi, s), nanos, offset_hours, offset_minutes, digits)| {
                    let at = NaiveDate::from_ymd_opt(y, mo, d)
                        .and_then(|day| day.and_hms_nano_opt(h, mi, s, nanos))
                        .unwrap();
                    let sign = if offset_hours < 0 { -1 } else { 1 };
                    let offset = sign * (offset_hours.abs() * 3600 + offset_minutes as i32 * 60);
                    (at, offset, digits)
                },
            )
    }

    proptest! {
        /// Same answers as chrono's strftime readers and writer, which we replaced.
        #[test]
        fn agrees_with_chrono_on_dates(y in 0i32..=9999, mo in 0u32..=13, d in 0u32..=32) {
            let text = format!("{y:04}-{mo:02}-{d:02}");
            prop_assert_eq!(parse_date(&text), NaiveDate::parse_from_str(&text, "%Y-%m-%d").ok());
        }

        #[test]
        fn agrees_with_chrono_on_postgres_timestamps((at, offset, digits) in instants()) {
            let mut text = at.format("%Y-%m-%d %H:%M:%S").to_string();
            if digits > 0 {
                let fraction = format!("{:09}", at.nanosecond());
                text.push('.');
                text.push_str(&fraction[..digits as usize]);
            }
            let sign = if offset < 0 { '-' } else { '+' };
            let (hours, minutes) = (offset.abs() / 3600, offset.abs() % 3600 / 60);
            if minutes == 0 && digits % 2 == 0 {
                text.push_str(&format!("{sign}{hours:02}"));
            } else {
                text.push_str(&format!("{sign}{hours:02}:{minutes:02}"));
            }
            let theirs = DateTime::parse_from_str(&text, "%Y-%m-%d %H:%M:%S%.f%#z")
                .ok()
                .map(|moment| moment.with_timezone(&Utc));
            prop_assert!(theirs.is_some(), "{}", text);
            prop_assert_eq!(parse_postgres_timestamptz(&text), theirs);
        }

        #[test]
        fn never_accepts_what_chrono_refuses(text in "[0-9 :.+-]{0,40}") {
            if let Some(ours) = parse_postgres_timestamptz(&text) {
                let theirs = DateTime::parse_from_str(&text, "%Y-%m-%d %H:%M:%S%.f%#z")
                    .map(|moment| moment.with_timezone(&Utc));
                prop_assert_eq!(Ok(ours), theirs);
            }
        }

        #[test]
        fn writes_what_chrono_writes((at, _, _) in instants()) {
            prop_assert_eq!(wall_clock(at), at.format("%Y-%m-%d %H:%M:%S").to_string());
            prop_assert_eq!(iso_seconds(at), at.format("%Y-%m-%dT%H:%M:%S").to_string());
        }

        #[test]
        fn writes_years_beyond_four_digits_as_chrono_does(year in -200_000i32..=200_000) {
            let at = NaiveDate::from_ymd_opt(year, 6, 1)
                .and_then(|day| day.and_hms_opt(1, 2, 3))
                .unwrap();
            prop_assert_eq!(iso_seconds(at), at.format("%Y-%m-%dT%H:%M:%S").to_string());
        }

        /// Every form Strong and Hevy write reads as chrono read it.
        #[test]
        fn agrees_with_chrono_on_import_times(
            (at, _, _) in instants(),
            form in 0usize..IMPORT_FORMATS.len(),
            upper in any::<bool>(),
        ) {
            let mut text = at.format(IMPORT_FORMATS[form]).to_string();
            if upper {
                text = text.to_uppercase();
            }
            let theirs = IMPORT_FORMATS
                .iter()
                .find_map(|format| NaiveDateTime::parse_from_str(&text, format).ok());
            prop_assert!(theirs.is_some(), "{}", text);
            prop_assert_eq!(parse_import_time(&text), theirs);
        }

        #[test]
        fn never_reads_an_import_time_chrono_refuses(text in "[0-9 :,TJanDecbo-]{0,24}") {
            if let Some(ours) = parse_import_time(&text) {
                let theirs = IMPORT_FORMATS
                    .iter()
                    .find_map(|format| NaiveDateTime::parse_from_str(&text, format).ok());
                prop_assert_eq!(Some(ours), theirs, "{}", text);
            }
        }
    }
}
