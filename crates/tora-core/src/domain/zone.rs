//! Timezone offsets behind a port. The tz database is large (chrono-tz's compiled
//! tables were most of the worker's Wasm) and the Workers runtime already carries one
//! (`Intl.DateTimeFormat`), so the core asks a [`ZoneOffsets`] for the offset of a
//! zone at an instant: the worker answers from `Intl`, native builds (tests, tooling)
//! from chrono-tz, which is not linked into the Wasm at all.
//!
//! [`Timezone`] implements [`chrono::TimeZone`] on top of the installed provider, so
//! `at.with_timezone(&zone)` and `local.and_local_timezone(zone)` read as before. The
//! way back from a wall-clock time to instants is derived here from the offsets alone
//! (see [`local_offsets`]), with gaps and overlaps answered the way chrono-tz answers
//! them: no instant in a gap, both instants, earliest first, in an overlap.

use std::fmt;
use std::sync::OnceLock;

use chrono::{
    DateTime, FixedOffset, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, TimeZone,
    Timelike, Utc,
};

use super::profile::Timezone;

/// The offset from UTC of a zone's wall clock at an instant: a pure function of the
/// tz database, answered by the platform. Implementations must accept every
/// [`Timezone`] (every name in [`super::zone_names::NAMES`]).
pub trait ZoneOffsets: Sync {
    fn offset_at(&self, zone: Timezone, utc: DateTime<Utc>) -> FixedOffset;
}

static INSTALLED: OnceLock<&'static dyn ZoneOffsets> = OnceLock::new();

/// Makes `offsets` answer every [`Timezone`] of this process. The worker installs its
/// `Intl` provider before it handles anything; later calls change nothing and return
/// false. Natively, without a call, chrono-tz answers.
pub fn install(offsets: &'static dyn ZoneOffsets) -> bool {
    INSTALLED.set(offsets).is_ok()
}

/// The provider every [`Timezone`] asks.
pub fn installed() -> &'static dyn ZoneOffsets {
    if let Some(offsets) = INSTALLED.get() {
        return *offsets;
    }
    fallback()
}

#[cfg(not(target_arch = "wasm32"))]
fn fallback() -> &'static dyn ZoneOffsets {
    &ChronoTzOffsets
}

/// On wasm32 nothing compiled in knows the tz database; a worker that forgot to
/// install its provider reads every zone as UTC rather than failing requests.
#[cfg(target_arch = "wasm32")]
fn fallback() -> &'static dyn ZoneOffsets {
    &UtcOffsets
}

#[cfg(target_arch = "wasm32")]
struct UtcOffsets;

#[cfg(target_arch = "wasm32")]
impl ZoneOffsets for UtcOffsets {
    fn offset_at(&self, _zone: Timezone, _utc: DateTime<Utc>) -> FixedOffset {
        use chrono::Offset;
        Utc.fix()
    }
}

/// chrono-tz's answer: native builds only (tests, tooling, and the reference the
/// worker's `Intl` provider is tested against).
#[cfg(not(target_arch = "wasm32"))]
#[derive(Debug, Clone, Copy, Default)]
pub struct ChronoTzOffsets;

#[cfg(not(target_arch = "wasm32"))]
impl ZoneOffsets for ChronoTzOffsets {
    fn offset_at(&self, zone: Timezone, utc: DateTime<Utc>) -> FixedOffset {
        use chrono::Offset;
        match zone.name().parse::<chrono_tz::Tz>() {
            Ok(tz) => tz.offset_from_utc_datetime(&utc.naive_utc()).fix(),
            // Unreachable: a test checks every accepted name parses.
            Err(_) => Utc.fix(),
        }
    }
}

/// The offsets a wall-clock time `local` has in `zone`, asking `offsets`: none in a
/// gap (clocks jumped over it), one, or two in an overlap (clocks went back), the
/// earlier instant first (chrono-tz's order).
///
/// Candidates are the offsets in force a day either side of `local` read as UTC and at
/// `local` itself, then the offsets at the instants those candidates give; a candidate
/// is kept when the instant it gives really has it. Zones change their offset at most
/// once in any day, so this finds every answer.
pub fn local_offsets(
    offsets: &dyn ZoneOffsets,
    zone: Timezone,
    local: &NaiveDateTime,
) -> LocalResult<FixedOffset> {
    let as_utc = local.and_utc();
    let mut candidates: Vec<FixedOffset> = [-1, 0, 1]
        .into_iter()
        .filter_map(|days| as_utc.checked_add_signed(TimeDelta::days(days)))
        .map(|probe| offsets.offset_at(zone, probe))
        .collect();
    let derived: Vec<FixedOffset> = candidates
        .iter()
        .filter_map(|offset| instant_of(local, *offset))
        .map(|instant| offsets.offset_at(zone, instant))
        .collect();
    candidates.extend(derived);
    crate::sorting::sort_by_key(&mut candidates, |offset| {
        std::cmp::Reverse(offset.local_minus_utc())
    });
    candidates.dedup();
    let valid: Vec<FixedOffset> = candidates
        .into_iter()
        .filter(|offset| {
            instant_of(local, *offset).is_some_and(|at| offsets.offset_at(zone, at) == *offset)
        })
        .collect();
    // Sorted by offset, largest first: the earliest instant first.
    match valid.as_slice() {
        [] => LocalResult::None,
        [only] => LocalResult::Single(*only),
        [earliest, .., latest] => LocalResult::Ambiguous(*earliest, *latest),
    }
}

fn instant_of(local: &NaiveDateTime, offset: FixedOffset) -> Option<DateTime<Utc>> {
    local.checked_sub_offset(offset).map(|utc| utc.and_utc())
}

/// The instants within `from..to` at which `zone`'s offset changes, by `offsets`:
/// a daily scan, then a bisection to the second. For tests comparing providers.
pub fn transitions(
    offsets: &dyn ZoneOffsets,
    zone: Timezone,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Vec<DateTime<Utc>> {
    let mut found = Vec::new();
    let mut at = from.with_nanosecond(0).unwrap_or(from);
    let mut offset = offsets.offset_at(zone, at);
    while at < to {
        let next = at + TimeDelta::hours(12);
        let next_offset = offsets.offset_at(zone, next);
        if next_offset != offset {
            // The change lies in (at, next]: bisect to the first second with the new one.
            let (mut low, mut high) = (at.timestamp(), next.timestamp());
            while high - low > 1 {
                let middle = low + (high - low) / 2;
                let same = DateTime::from_timestamp(middle, 0)
                    .is_some_and(|instant| offsets.offset_at(zone, instant) == offset);
                if same {
                    low = middle;
                } else {
                    high = middle;
                }
            }
            found.extend(DateTime::from_timestamp(high, 0));
        }
        at = next;
        offset = next_offset;
    }
    found
}

/// The offset of a [`Timezone`] at some instant, as [`chrono::TimeZone`] needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ZoneOffset {
    zone: Timezone,
    fixed: FixedOffset,
}

impl chrono::Offset for ZoneOffset {
    fn fix(&self) -> FixedOffset {
        self.fixed
    }
}

impl fmt::Display for ZoneOffset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.fixed, f)
    }
}

impl TimeZone for Timezone {
    type Offset = ZoneOffset;

    fn from_offset(offset: &ZoneOffset) -> Self {
        offset.zone
    }

    fn offset_from_local_date(&self, local: &NaiveDate) -> LocalResult<ZoneOffset> {
        self.offset_from_local_datetime(&local.and_time(NaiveTime::MIN))
    }

    fn offset_from_local_datetime(&self, local: &NaiveDateTime) -> LocalResult<ZoneOffset> {
        local_offsets(installed(), *self, local).map(|fixed| ZoneOffset { zone: *self, fixed })
    }

    fn offset_from_utc_date(&self, utc: &NaiveDate) -> ZoneOffset {
        self.offset_from_utc_datetime(&utc.and_time(NaiveTime::MIN))
    }

    fn offset_from_utc_datetime(&self, utc: &NaiveDateTime) -> ZoneOffset {
        ZoneOffset {
            zone: *self,
            fixed: installed().offset_at(*self, utc.and_utc()),
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::{Offset, TimeZone as _};

    use super::*;
    use crate::domain::zone_names::NAMES;

    fn zone(name: &str) -> Timezone {
        name.parse().unwrap()
    }

    fn instant(raw: &str) -> DateTime<Utc> {
        raw.parse().unwrap()
    }

    #[test]
    fn the_names_are_exactly_chrono_tz_names() {
        let mut expected: Vec<&str> = chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name()).collect();
        expected.sort_unstable();
        assert_eq!(NAMES, expected.as_slice());
        for name in NAMES {
            assert!(name.parse::<chrono_tz::Tz>().is_ok(), "{name}");
            assert_eq!(zone(name).name(), *name);
        }
    }

    /// Zones with every kind of change: DST in either hemisphere, half-hour DST
    /// (Lord Howe), odd offsets, DST at midnight (Santiago, Havana), Ramadan DST
    /// (Casablanca), abolished or permanent DST, and none at all.
    const ZONES: &[&str] = &[
        "Europe/Berlin",
        "Europe/London",
        "Europe/Moscow",
        "America/New_York",
        "America/Los_Angeles",
        "America/Santiago",
        "America/Havana",
        "America/St_Johns",
        "America/Sao_Paulo",
        "America/Asuncion",
        "Australia/Lord_Howe",
        "Australia/Sydney",
        "Asia/Kathmandu",
        "Asia/Tehran",
        "Asia/Gaza",
        "Pacific/Chatham",
        "Pacific/Auckland",
        "Pacific/Apia",
        "Pacific/Kiritimati",
        "Africa/Casablanca",
        "Africa/Cairo",
        "Asia/Tokyo",
        "UTC",
    ];

    /// Local times around every transition from 2000 to 2037: the offsets derived from
    /// `offset_at` are chrono-tz's own answers.
    #[test]
    fn local_times_resolve_like_chrono_tz_around_every_transition() {
        let from = instant("2000-01-01T00:00:00Z");
        let to = instant("2038-01-01T00:00:00Z");
        let steps = [
            -90, -61, -60, -59, -31, -30, -1, 0, 1, 29, 30, 31, 59, 60, 61, 90,
        ];
        let mut checked = 0;
        for name in ZONES {
            let zone = zone(name);
            let tz: chrono_tz::Tz = name.parse().unwrap();
            for transition in transitions(&ChronoTzOffsets, zone, from, to) {
                for base in [
                    transition.with_timezone(&tz).naive_local(),
                    (transition - TimeDelta::seconds(1))
                        .with_timezone(&tz)
                        .naive_local(),
                ] {
                    for minutes in steps {
                        let local = base + TimeDelta::minutes(minutes);
                        let ours = local_offsets(&ChronoTzOffsets, zone, &local);
                        let theirs = tz.from_local_datetime(&local).map(|at| at.offset().fix());
                        assert_eq!(ours, theirs, "{name} {local}");
                        checked += 1;
                    }
                }
            }
        }
        assert!(checked > 20_000, "{checked}");
    }

    #[test]
    fn transitions_are_found_to_the_second() {
        let found = transitions(
            &ChronoTzOffsets,
            zone("Europe/Berlin"),
            instant("2026-01-01T00:00:00Z"),
            instant("2027-01-01T00:00:00Z"),
        );
        assert_eq!(
            found,
            [
                instant("2026-03-29T01:00:00Z"),
                instant("2026-10-25T01:00:00Z")
            ]
        );
    }

    #[test]
    fn a_timezone_reads_and_writes_wall_clock_times() {
        let berlin = zone("Europe/Berlin");
        let summer = instant("2026-07-01T12:00:00Z").with_timezone(&berlin);
        assert_eq!(summer.to_rfc3339(), "2026-07-01T14:00:00+02:00");
        assert_eq!(
            summer.format("%Y-%m-%d %H:%M:%S %z").to_string(),
            "2026-07-01 14:00:00 +0200"
        );
        // Clocks go back at 03:00 on 2026-10-25: 02:30 happens twice.
        let twice = NaiveDate::from_ymd_opt(2026, 10, 25)
            .unwrap()
            .and_hms_opt(2, 30, 0)
            .unwrap()
            .and_local_timezone(berlin);
        assert_eq!(
            twice.earliest().unwrap().with_timezone(&Utc),
            instant("2026-10-25T00:30:00Z")
        );
        assert_eq!(
            twice.latest().unwrap().with_timezone(&Utc),
            instant("2026-10-25T01:30:00Z")
        );
        // And 02:30 on 2026-03-29 never happens.
        let never = NaiveDate::from_ymd_opt(2026, 3, 29)
            .unwrap()
            .and_hms_opt(2, 30, 0)
            .unwrap()
            .and_local_timezone(berlin);
        assert_eq!(never, LocalResult::None);
    }
}
