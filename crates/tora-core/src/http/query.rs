//! Query-string parameters, decoded, with errors naming the parameter.

use std::ops::RangeInclusive;

use chrono::{DateTime, Datelike, Utc};

use super::error::{ApiError, FieldError};
use crate::domain::profile::Timezone;
use crate::ports::PageCursor;

/// The decoded `name=value` pairs of a query string.
pub struct Query {
    pairs: Vec<(String, String)>,
}

fn percent_decode(raw: &str) -> String {
    let bytes = raw.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        match bytes[index] {
            b'+' => decoded.push(b' '),
            b'%' if index + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[index + 1..index + 3])
                    .ok()
                    .and_then(|hex| u8::from_str_radix(hex, 16).ok());
                match hex {
                    Some(byte) => {
                        decoded.push(byte);
                        index += 2;
                    }
                    None => decoded.push(b'%'),
                }
            }
            byte => decoded.push(byte),
        }
        index += 1;
    }
    String::from_utf8_lossy(&decoded).into_owned()
}

impl Query {
    pub fn parse(raw: Option<&str>) -> Self {
        let pairs = raw
            .unwrap_or_default()
            .split('&')
            .filter(|pair| !pair.is_empty())
            .map(|pair| {
                let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
                (percent_decode(name), percent_decode(value))
            })
            .collect();
        Self { pairs }
    }

    /// `cursor`: where the previous page ended, as this API gave it out.
    pub fn cursor(&self) -> Result<Option<PageCursor>, ApiError> {
        self.get("cursor")
            .map(|raw| {
                super::cursor::decode(raw)
                    .map_err(|_| invalid("cursor", "is not a cursor this API gave out"))
            })
            .transpose()
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// A whole number within `min..=max`, or `default` when absent.
    pub fn bounded(&self, name: &str, min: u32, max: u32, default: u32) -> Result<u32, ApiError> {
        match self.get(name) {
            None => Ok(default),
            Some(raw) => raw
                .parse::<u32>()
                .ok()
                .filter(|value| (min..=max).contains(value))
                .ok_or_else(|| {
                    invalid(name, format!("must be a whole number from {min} to {max}"))
                }),
        }
    }

    /// `true` or `false`, or `false` when absent.
    pub fn flag(&self, name: &str) -> Result<bool, ApiError> {
        match self.get(name) {
            None | Some("false") => Ok(false),
            Some("true") => Ok(true),
            Some(_) => Err(invalid(name, "must be true or false")),
        }
    }

    /// An instant: RFC 3339, or a date meaning its midnight in `timezone`; either in
    /// `SUPPORTED_YEARS` (a date by its own year, so any timezone can use all of them).
    pub fn instant(
        &self,
        name: &str,
        timezone: Timezone,
    ) -> Result<Option<DateTime<Utc>>, ApiError> {
        let Some(raw) = self.get(name) else {
            return Ok(None);
        };
        if let Ok(moment) = DateTime::parse_from_rfc3339(raw) {
            let moment = moment.with_timezone(&Utc);
            within_supported_years(name, Some(moment))?;
            return Ok(Some(moment));
        }
        let date = crate::domain::date_text::parse_date(raw)
            .ok_or_else(|| invalid(name, "must be a date (2026-11-25) or an RFC 3339 time"))?;
        if !SUPPORTED_YEARS.contains(&date.year()) {
            return Err(outside_supported_years(name));
        }
        date.and_hms_opt(0, 0, 0)
            .and_then(|midnight| midnight.and_local_timezone(timezone).earliest())
            .map(|local| Some(local.with_timezone(&Utc)))
            .ok_or_else(|| invalid(name, "must be a date (2026-11-25) or an RFC 3339 time"))
    }
}

/// The years the API stores and filters by. Postgres refuses some far dates (year 0
/// is its error 22008, which surfaced as a 500), and nobody trains in them; every
/// instant of these years, in any timezone, is one Postgres can hold.
pub const SUPPORTED_YEARS: RangeInclusive<i32> = 1900..=2200;

/// Refuses `moment`, when given, outside `SUPPORTED_YEARS` (its year in UTC), naming
/// the field or parameter `name`.
pub fn within_supported_years(name: &str, moment: Option<DateTime<Utc>>) -> Result<(), ApiError> {
    match moment {
        Some(moment) if !SUPPORTED_YEARS.contains(&moment.year()) => {
            Err(outside_supported_years(name))
        }
        _ => Ok(()),
    }
}

fn outside_supported_years(name: &str) -> ApiError {
    invalid(
        name,
        format!(
            "must be in the years {} to {}",
            SUPPORTED_YEARS.start(),
            SUPPORTED_YEARS.end()
        ),
    )
}

pub fn invalid(name: &str, message: impl Into<String>) -> ApiError {
    ApiError::Validation(vec![FieldError::new(name, message)])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_are_percent_decoded() {
        let query = Query::parse(Some("from=2026-11-01&cursor=a%2Bb%3D&q=two+words&flag"));
        assert_eq!(query.get("from"), Some("2026-11-01"));
        assert_eq!(query.get("cursor"), Some("a+b="));
        assert_eq!(query.get("q"), Some("two words"));
        assert_eq!(query.get("flag"), Some(""));
        assert_eq!(query.get("nope"), None);
        assert_eq!(Query::parse(Some("x=%zz%")).get("x"), Some("%zz%"));
    }

    #[test]
    fn dates_are_midnight_in_the_users_zone() {
        let berlin: Timezone = "Europe/Berlin".parse().unwrap();
        let query = Query::parse(Some(
            "from=2026-11-25&to=2026-11-26T10:00:00Z&bad=yesterday",
        ));
        assert_eq!(
            query.instant("from", berlin).unwrap().unwrap().to_rfc3339(),
            "2026-11-24T23:00:00+00:00"
        );
        assert_eq!(
            query.instant("to", berlin).unwrap().unwrap().to_rfc3339(),
            "2026-11-26T10:00:00+00:00"
        );
        assert!(query.instant("bad", berlin).is_err());
        assert_eq!(query.instant("absent", berlin).unwrap(), None);
    }

    #[test]
    fn instants_outside_the_supported_years_name_the_parameter() {
        let tokyo: Timezone = "Asia/Tokyo".parse().unwrap();
        let query = Query::parse(Some(
            "a=0000-01-01&b=0000-01-01T00:00:00Z&c=1899-12-31&d=2201-01-01&e=9999-12-31T23:59:59Z",
        ));
        for name in ["a", "b", "c", "d", "e"] {
            let Err(ApiError::Validation(errors)) = query.instant(name, tokyo) else {
                panic!("{name}: expected a validation error");
            };
            assert_eq!(errors[0].field, name);
            assert_eq!(errors[0].message, "must be in the years 1900 to 2200");
        }
    }

    #[test]
    fn the_first_and_last_supported_days_work_in_any_timezone() {
        let query = Query::parse(Some("from=1900-01-01&to=2200-12-31"));
        for zone in [
            "Asia/Tokyo",
            "Pacific/Kiritimati",
            "America/Los_Angeles",
            "UTC",
        ] {
            let zone: Timezone = zone.parse().unwrap();
            assert!(query.instant("from", zone).unwrap().is_some(), "{zone:?}");
            assert!(query.instant("to", zone).unwrap().is_some(), "{zone:?}");
        }
    }

    #[test]
    fn bounded_numbers_name_the_parameter() {
        let query = Query::parse(Some("limit=500&weeks=4"));
        assert_eq!(query.bounded("weeks", 1, 52, 8).unwrap(), 4);
        assert_eq!(query.bounded("absent", 1, 52, 8).unwrap(), 8);
        let Err(ApiError::Validation(errors)) = query.bounded("limit", 1, 100, 20) else {
            panic!("expected a validation error");
        };
        assert_eq!(errors[0].field, "limit");
    }
}
