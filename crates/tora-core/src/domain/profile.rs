//! A person's profile: how they are called, which load unit they think in and the
//! timezone their training days are counted in. Each type can only hold a valid value.

use std::fmt;
use std::str::FromStr;

use crate::domain::text::SingleLine;

/// Why a profile value was refused. The messages are shown to the user.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProfileError {
    #[error("must be \"kg\" or \"lb\"")]
    UnknownUnits,
    #[error("must be an IANA timezone name such as \"Europe/Berlin\"")]
    UnknownTimezone,
    #[error("must be \"templated\" or \"ai\"")]
    UnknownCoachStyle,
    #[error("must be a whole number of days from 1 to 7, or null for no goal")]
    WeeklyGoalOutOfRange,
    #[error(
        "must be a list of distinct weekdays: \"mon\", \"tue\", \"wed\", \"thu\", \"fri\", \"sat\", \"sun\""
    )]
    UnknownRestDay,
}

/// How many days a week the person means to train (1 to 7). Weeks that reach it make
/// the weekly streak.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WeeklyGoal(u8);

impl WeeklyGoal {
    pub fn new(days: i64) -> Result<Self, ProfileError> {
        u8::try_from(days)
            .ok()
            .filter(|days| (1..=7).contains(days))
            .map(Self)
            .ok_or(ProfileError::WeeklyGoalOutOfRange)
    }

    pub fn days(self) -> u32 {
        u32::from(self.0)
    }
}

/// The weekdays the person plans to rest on. A planned rest day without training
/// neither counts toward nor breaks the daily streak. Stored as a bit per weekday,
/// Monday the lowest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RestDays(u8);

/// Weekday names as the API spells them, Monday first.
pub const WEEKDAY_NAMES: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

impl RestDays {
    pub const NONE: RestDays = RestDays(0);

    /// From the API's list of names; each at most once.
    pub fn parse<S: AsRef<str>>(names: &[S]) -> Result<Self, ProfileError> {
        let mut bits = 0_u8;
        for name in names {
            let index = WEEKDAY_NAMES
                .iter()
                .position(|known| *known == name.as_ref())
                .ok_or(ProfileError::UnknownRestDay)?;
            let bit = 1_u8 << index;
            if bits & bit != 0 {
                return Err(ProfileError::UnknownRestDay);
            }
            bits |= bit;
        }
        Ok(Self(bits))
    }

    /// From the stored bits; `None` when they name no week.
    pub fn from_bits(bits: i64) -> Option<Self> {
        u8::try_from(bits).ok().filter(|bits| *bits < 128).map(Self)
    }

    pub fn bits(self) -> i64 {
        i64::from(self.0)
    }

    pub fn contains(self, weekday: chrono::Weekday) -> bool {
        self.0 & (1 << weekday.num_days_from_monday()) != 0
    }

    /// The names, Monday first.
    pub fn names(self) -> Vec<&'static str> {
        WEEKDAY_NAMES
            .iter()
            .enumerate()
            .filter(|(index, _)| self.0 & (1 << index) != 0)
            .map(|(_, name)| *name)
            .collect()
    }
}

/// How the coach's replies to logged workouts are phrased: by fixed templates (free),
/// or by the model from the rules' decision (metered).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CoachStyle {
    #[default]
    Templated,
    Ai,
}

impl CoachStyle {
    pub fn as_str(self) -> &'static str {
        match self {
            CoachStyle::Templated => "templated",
            CoachStyle::Ai => "ai",
        }
    }
}

impl FromStr for CoachStyle {
    type Err = ProfileError;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        match raw {
            "templated" => Ok(CoachStyle::Templated),
            "ai" => Ok(CoachStyle::Ai),
            _ => Err(ProfileError::UnknownCoachStyle),
        }
    }
}

/// How a person is called: one printable line of 1 to 60 characters, trimmed (the
/// text rule of `domain::text`; the column checks the same length).
pub type DisplayName = SingleLine<60>;

/// The unit loads are shown in. Storage is always kilograms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Units {
    #[default]
    Kg,
    Lb,
}

impl Units {
    pub fn as_str(self) -> &'static str {
        match self {
            Units::Kg => "kg",
            Units::Lb => "lb",
        }
    }
}

impl FromStr for Units {
    type Err = ProfileError;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        match raw {
            "kg" => Ok(Units::Kg),
            "lb" => Ok(Units::Lb),
            _ => Err(ProfileError::UnknownUnits),
        }
    }
}

/// An IANA timezone name (zone or link) of the tz database release chrono-tz 0.10
/// compiles in: `zone_names::NAMES`. It is a [`chrono::TimeZone`] whose offsets come
/// from the platform (`domain::zone`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timezone(&'static str);

impl Timezone {
    pub fn utc() -> Self {
        Self("UTC")
    }

    pub fn name(self) -> &'static str {
        self.0
    }
}

impl FromStr for Timezone {
    type Err = ProfileError;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        // Exact names only: "europe/berlin" would be a guess, and a guess here moves
        // every streak boundary.
        let names = crate::domain::zone_names::NAMES;
        names
            .binary_search(&raw)
            .ok()
            .and_then(|index| names.get(index))
            .map(|name| Self(name))
            .ok_or(ProfileError::UnknownTimezone)
    }
}

impl fmt::Display for Timezone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A validated change to a profile. `display_name: Some(None)` clears the name.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProfileChange {
    pub display_name: Option<Option<DisplayName>>,
    pub units: Option<Units>,
    pub timezone: Option<Timezone>,
    pub coach_style: Option<CoachStyle>,
    /// `Some(None)` removes the goal.
    pub weekly_goal: Option<Option<WeeklyGoal>>,
    pub rest_days: Option<RestDays>,
    pub count_sides_separately: Option<bool>,
}

impl ProfileChange {
    pub fn is_empty(&self) -> bool {
        self.display_name.is_none()
            && self.units.is_none()
            && self.timezone.is_none()
            && self.coach_style.is_none()
            && self.weekly_goal.is_none()
            && self.count_sides_separately.is_none()
            && self.rest_days.is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::text::TextError;

    #[test]
    fn a_weekly_goal_is_one_to_seven_days() {
        assert_eq!(WeeklyGoal::new(5).map(WeeklyGoal::days), Ok(5));
        for days in [0, 8, -1, 300] {
            assert_eq!(
                WeeklyGoal::new(days),
                Err(ProfileError::WeeklyGoalOutOfRange)
            );
        }
    }

    #[test]
    fn rest_days_are_distinct_weekdays_kept_as_bits() {
        let weekend = RestDays::parse(&["sun", "sat"]).unwrap();
        assert_eq!(weekend.names(), ["sat", "sun"]);
        assert!(weekend.contains(chrono::Weekday::Sat));
        assert!(!weekend.contains(chrono::Weekday::Mon));
        assert_eq!(RestDays::from_bits(weekend.bits()), Some(weekend));
        assert_eq!(RestDays::parse::<&str>(&[]), Ok(RestDays::NONE));
        assert_eq!(
            RestDays::parse(&["sat", "sat"]),
            Err(ProfileError::UnknownRestDay)
        );
        assert_eq!(
            RestDays::parse(&["Saturday"]),
            Err(ProfileError::UnknownRestDay)
        );
        assert_eq!(RestDays::from_bits(128), None);
    }

    #[test]
    fn display_names_follow_the_single_line_text_rule() {
        assert_eq!(DisplayName::parse("  Ana ").unwrap().as_str(), "Ana");
        assert_eq!(DisplayName::parse("   "), Err(TextError::Blank));
        assert_eq!(DisplayName::parse(""), Err(TextError::Blank));
        let sixty = "é".repeat(60);
        assert!(
            DisplayName::parse(&sixty).is_ok(),
            "limit counts characters, not bytes"
        );
        assert_eq!(
            DisplayName::parse(&"x".repeat(61)),
            Err(TextError::TooLong { max: 60 })
        );
        assert_eq!(
            DisplayName::parse("Ana\u{0}Bob"),
            Err(TextError::ControlCharacter { found: '\u{0}' })
        );
        assert_eq!(DisplayName::parse("Ana\nBob"), Err(TextError::LineBreak));
    }

    #[test]
    fn units_are_kg_or_lb_exactly() {
        assert_eq!("kg".parse::<Units>(), Ok(Units::Kg));
        assert_eq!("lb".parse::<Units>(), Ok(Units::Lb));
        assert_eq!("lbs".parse::<Units>(), Err(ProfileError::UnknownUnits));
        assert_eq!("KG".parse::<Units>(), Err(ProfileError::UnknownUnits));
    }

    #[test]
    fn timezones_must_be_iana_names() {
        assert_eq!(
            "Europe/Berlin".parse::<Timezone>().unwrap().name(),
            "Europe/Berlin"
        );
        assert_eq!(
            "America/Argentina/Buenos_Aires"
                .parse::<Timezone>()
                .unwrap()
                .name(),
            "America/Argentina/Buenos_Aires"
        );
        assert_eq!("UTC".parse::<Timezone>().unwrap(), Timezone::utc());
        assert_eq!(
            "Mars/Olympus".parse::<Timezone>(),
            Err(ProfileError::UnknownTimezone)
        );
        assert_eq!(
            "+02:00".parse::<Timezone>(),
            Err(ProfileError::UnknownTimezone)
        );
        assert_eq!("".parse::<Timezone>(), Err(ProfileError::UnknownTimezone));
    }
}
