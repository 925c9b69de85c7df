//! Timezone offsets from the runtime's own tz database: `Intl.DateTimeFormat` with a
//! `timeZone` shows an instant's wall clock, and the offset is that wall clock read as
//! UTC minus the instant. The core asks through `ZoneOffsets`; the Wasm carries no tz
//! tables of its own.

use std::cell::RefCell;
use std::collections::HashMap;

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, Offset, Utc};
use js_sys::{Array, Date, Function, Intl, Object, Reflect};
use tora_core::domain::profile::Timezone;
use tora_core::domain::zone::ZoneOffsets;
use wasm_bindgen::{JsCast, JsValue};

/// The offsets `Intl` answers; installed once per isolate.
pub struct IntlOffsets;

static INTL_OFFSETS: IntlOffsets = IntlOffsets;

/// Makes every `Timezone` of this isolate ask `Intl`.
pub fn install_once() {
    tora_core::domain::zone::install(&INTL_OFFSETS);
}

thread_local! {
    /// One formatter per zone, for the isolate's lifetime (a zone's rules do not change
    /// while it runs). `None`: the runtime refused the zone.
    static FORMATS: RefCell<HashMap<&'static str, Option<Intl::DateTimeFormat>>> =
        RefCell::new(HashMap::new());
}

/// The largest distance from the epoch a JS `Date` holds, in milliseconds.
const MAX_DATE_MILLIS: i64 = 8_640_000_000_000_000;

impl ZoneOffsets for IntlOffsets {
    fn offset_at(&self, zone: Timezone, utc: DateTime<Utc>) -> FixedOffset {
        // `Intl` shows whole seconds: compare against the instant's whole second.
        let seconds = utc.timestamp();
        wall_clock(zone, seconds)
            .and_then(|local| i32::try_from(local.and_utc().timestamp() - seconds).ok())
            .and_then(FixedOffset::east_opt)
            // Only for a name the runtime's tz database lacks, or an instant a JS
            // `Date` cannot hold: read as UTC rather than failing the request.
            .unwrap_or_else(|| Utc.fix())
    }
}

/// The wall clock of `zone` at `seconds` since the epoch, as `Intl` shows it.
fn wall_clock(zone: Timezone, seconds: i64) -> Option<NaiveDateTime> {
    let millis = seconds.checked_mul(1000)?;
    if millis.abs() > MAX_DATE_MILLIS {
        return None;
    }
    let format = FORMATS.with(|formats| {
        formats
            .borrow_mut()
            .entry(zone.name())
            .or_insert_with(|| formatter(zone.name()))
            .clone()
    })?;
    // |millis| ≤ 8.64e15 < 2^53: the conversion is exact.
    let date = Date::new(&JsValue::from_f64(millis as f64));
    let parts = format.format_to_parts(&date);
    let (mut year, mut month, mut day, mut hour, mut minute, mut second) =
        (None, None, None, None, None, None);
    for part in parts.iter() {
        let kind = Reflect::get(&part, &JsValue::from_str("type"))
            .ok()?
            .as_string()?;
        let value = Reflect::get(&part, &JsValue::from_str("value"))
            .ok()?
            .as_string()?;
        let slot = match kind.as_str() {
            "year" => &mut year,
            "month" => &mut month,
            "day" => &mut day,
            "hour" => &mut hour,
            "minute" => &mut minute,
            "second" => &mut second,
            _ => continue,
        };
        *slot = Some(value.parse::<i32>().ok()?);
    }
    let date = NaiveDate::from_ymd_opt(
        year?,
        u32::try_from(month?).ok()?,
        u32::try_from(day?).ok()?,
    )?;
    date.and_hms_opt(
        u32::try_from(hour?).ok()?,
        u32::try_from(minute?).ok()?,
        u32::try_from(second?).ok()?,
    )
}

/// `new Intl.DateTimeFormat("en-US", {timeZone, hourCycle: "h23", ...numeric})`, or
/// `None` when the runtime throws (a zone its tz database does not know).
fn formatter(zone: &str) -> Option<Intl::DateTimeFormat> {
    let options = Object::new();
    let set = |key: &str, value: &str| {
        Reflect::set(&options, &JsValue::from_str(key), &JsValue::from_str(value)).ok()
    };
    set("timeZone", zone)?;
    set("hourCycle", "h23")?;
    set("calendar", "gregory")?;
    set("numberingSystem", "latn")?;
    for field in ["year", "month", "day", "hour", "minute", "second"] {
        set(field, "numeric")?;
    }
    let intl = Reflect::get(&js_sys::global(), &JsValue::from_str("Intl")).ok()?;
    let constructor = Reflect::get(&intl, &JsValue::from_str("DateTimeFormat"))
        .ok()?
        .dyn_into::<Function>()
        .ok()?;
    let arguments = Array::of2(&JsValue::from_str("en-US"), &options);
    Reflect::construct(&constructor, &arguments)
        .ok()
        .map(JsCast::unchecked_into)
}

/// The agreement test: `Intl` (Node's, under `wasm-bindgen-test-runner`) against
/// chrono-tz, at instants around every transition from 2000 to 2037 in zones with
/// every kind of rule, and local midnights resolved through the core's derivation.
#[cfg(all(test, target_arch = "wasm32"))]
// clippy's allow-unwrap-in-tests does not see `#[wasm_bindgen_test]` functions.
#[allow(clippy::unwrap_used)]
mod tests {
    use chrono::{Offset, TimeDelta, TimeZone};
    use tora_core::domain::zone::{local_offsets, transitions};
    use wasm_bindgen_test::wasm_bindgen_test;

    use super::*;

    struct ChronoTz;

    impl ZoneOffsets for ChronoTz {
        fn offset_at(&self, zone: Timezone, utc: DateTime<Utc>) -> FixedOffset {
            let tz: chrono_tz::Tz = zone.name().parse().unwrap();
            tz.offset_from_utc_datetime(&utc.naive_utc()).fix()
        }
    }

    const ZONES: &[&str] = &[
        "Europe/Berlin",
        "Europe/London",
        "Europe/Dublin",
        "Europe/Moscow",
        "Europe/Istanbul",
        "America/New_York",
        "America/Los_Angeles",
        "America/Mexico_City",
        "America/Santiago",
        "America/Havana",
        "America/St_Johns",
        "America/Sao_Paulo",
        "Australia/Lord_Howe",
        "Australia/Sydney",
        "Australia/Adelaide",
        "Asia/Kathmandu",
        "Asia/Kolkata",
        "Asia/Tehran",
        "Asia/Amman",
        "Pacific/Chatham",
        "Pacific/Auckland",
        "Pacific/Apia",
        "Pacific/Kiritimati",
        "Africa/Casablanca",
        "Africa/Cairo",
        "Asia/Tokyo",
        "US/Eastern",
        "UTC",
    ];

    #[wasm_bindgen_test]
    fn intl_agrees_with_chrono_tz_around_every_transition() {
        let from: DateTime<Utc> = "2000-01-01T00:00:00Z".parse().unwrap();
        let to: DateTime<Utc> = "2038-01-01T00:00:00Z".parse().unwrap();
        let mut instants = 0;
        let mut locals = 0;
        let mut disagreements = Vec::new();
        for name in ZONES {
            let zone: Timezone = name.parse().unwrap();
            let tz: chrono_tz::Tz = name.parse().unwrap();
            let mut probes = transitions(&ChronoTz, zone, from, to);
            // Zones without changes still get instants across the range.
            probes.extend((0..38).map(|year| from + TimeDelta::days(365 * year + 100)));
            for transition in probes {
                for seconds in [-3600, -1, 0, 1, 3600] {
                    let at = transition + TimeDelta::seconds(seconds);
                    instants += 1;
                    let (ours, theirs) = (
                        IntlOffsets.offset_at(zone, at),
                        ChronoTz.offset_at(zone, at),
                    );
                    if ours != theirs {
                        disagreements
                            .push(format!("{name} at {at}: Intl {ours}, chrono-tz {theirs}"));
                    }
                }
                // The local days around the change, resolved from Intl's offsets.
                let local = transition.with_timezone(&tz).naive_local();
                for minutes in [-60, -30, -1, 0, 30, 60] {
                    let local = local + TimeDelta::minutes(minutes);
                    locals += 1;
                    let ours = local_offsets(&IntlOffsets, zone, &local);
                    let theirs = tz.from_local_datetime(&local).map(|at| at.offset().fix());
                    if ours != theirs {
                        disagreements.push(format!(
                            "{name} local {local}: Intl {ours:?}, chrono-tz {theirs:?}"
                        ));
                    }
                }
            }
        }
        assert!(
            disagreements.is_empty(),
            "{} disagreements:\n{}",
            disagreements.len(),
            disagreements.join("\n")
        );
        assert!(
            instants > 3000 && locals > 3000,
            "{instants} instants, {locals} local times"
        );
        wasm_bindgen_test::console_log!(
            "Intl agrees with chrono-tz: {instants} instants, {locals} local times, {} zones",
            ZONES.len()
        );
    }

    #[wasm_bindgen_test]
    fn an_unknown_zone_reads_as_utc() {
        assert!(formatter("Mars/Olympus").is_none());
        assert!(formatter("Europe/Berlin").is_some());
    }
}
