//! A logged workout: entries of sets, each set valid by construction.

use crate::sorting::CollectTree;
use chrono::{DateTime, Utc};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::profile::Units;
use crate::domain::text::{MultiLine, SingleLine};

/// Kilograms in one pound (exact, by definition).
pub const KG_PER_LB: f64 = 0.453_592_37;

/// Why a set or workout was refused; shown to the user next to the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WorkoutError {
    #[error("a set needs reps or seconds")]
    EmptySet,
    #[error("reps must be between 0 and {max}", max = LoggedSet::MAX_REPS)]
    RepsOutOfRange,
    #[error("reps_max must be at least reps")]
    RangeReversed,
    #[error("reps_max needs reps")]
    RangeWithoutStart,
    #[error("seconds must be between 0 and {max}", max = LoggedSet::MAX_SECONDS)]
    SecondsOutOfRange,
    #[error("added_kg must be between -{max} and {max}", max = LoggedSet::MAX_LOAD_KG)]
    LoadOutOfRange,
    #[error("assist_kg must be more than 0 and at most {max}", max = LoggedSet::MAX_LOAD_KG)]
    AssistOutOfRange,
    #[error("a negative added_kg is assistance: give it as assist_kg, not both")]
    AssistanceTwice,
    #[error("a set is done on one side (side) or on each side (each_side), not both")]
    SideAndEachSide,
    #[error("rpe must be between 0 and 10")]
    RpeOutOfRange,
    #[error("an entry needs at least one set")]
    NoSets,
    #[error("a workout needs at least one entry")]
    NoEntries,
    #[error("at most {max} sets per workout", max = Workout::MAX_SETS)]
    TooManySets,
}

/// Which side a one-sided set was done on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Side {
    Left,
    Right,
}

impl Side {
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Left => "left",
            Side::Right => "right",
        }
    }

    pub fn parse(text: &str) -> Option<Side> {
        match text {
            "left" => Some(Side::Left),
            "right" => Some(Side::Right),
            _ => None,
        }
    }
}

/// One set as written: reps (or a range), a hold, load added, assistance (a band or a
/// machine taking `assist_kg` off bodyweight, or just `assisted`), the side it was done
/// on or `each_side`, and effort. This is the one set type: the parser
/// reads it, the API takes and shows it, storage keeps it, and the rules judge it.
/// `LoggedSet` is the same fields once validated.
#[derive(Debug, Clone, Copy, PartialEq, Default, Deserialize)]
pub struct SetFields {
    pub reps: Option<u32>,
    pub reps_max: Option<u32>,
    pub seconds: Option<f64>,
    pub added_kg: Option<f64>,
    /// Kilograms of help taken off bodyweight; less is progress. A set with it is
    /// `assisted`.
    pub assist_kg: Option<f64>,
    /// The unit the loads were written in.
    pub load_unit: Option<Units>,
    #[serde(default)]
    pub assisted: bool,
    #[serde(default)]
    pub each_side: bool,
    pub side: Option<Side>,
    pub rpe: Option<f64>,
}

impl SetFields {
    /// Neither marked assisted nor helped by a band or counterweight: a set that can
    /// be a record or count toward mastery.
    pub fn unassisted(&self) -> bool {
        !self.assisted && self.assist_kg.is_none() && self.added_kg.is_none_or(|kg| kg >= 0.0)
    }

    /// Serialises the fields that are set. The parse contract (`contract`) leaves
    /// `load_unit` out and writes integral numbers without a fraction; the API shows
    /// `load_unit` and plain numbers.
    fn serialize_fields<S: Serializer>(
        &self,
        serializer: S,
        contract: bool,
    ) -> Result<S::Ok, S::Error> {
        let number = |value: f64| JsonNumber {
            value,
            integral: contract,
        };
        let mut map = serializer.serialize_map(None)?;
        if let Some(reps) = self.reps {
            map.serialize_entry("reps", &reps)?;
        }
        if let Some(reps_max) = self.reps_max {
            map.serialize_entry("reps_max", &reps_max)?;
        }
        if let Some(seconds) = self.seconds {
            map.serialize_entry("seconds", &number(seconds))?;
        }
        if let Some(added_kg) = self.added_kg {
            map.serialize_entry("added_kg", &number(added_kg))?;
        }
        if let Some(assist_kg) = self.assist_kg {
            map.serialize_entry("assist_kg", &number(assist_kg))?;
        }
        if !contract && let Some(unit) = self.load_unit {
            map.serialize_entry("load_unit", unit.as_str())?;
        }
        if self.assisted {
            map.serialize_entry("assisted", &true)?;
        }
        if self.each_side {
            map.serialize_entry("each_side", &true)?;
        }
        if let Some(side) = self.side {
            map.serialize_entry("side", side.as_str())?;
        }
        if let Some(rpe) = self.rpe {
            map.serialize_entry("rpe", &number(rpe))?;
        }
        map.end()
    }

    /// The parse contract's form of a set (no `load_unit`).
    pub fn serialize_contract<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.serialize_fields(serializer, true)
    }
}

/// Only the fields that are set.
impl Serialize for SetFields {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.serialize_fields(serializer, false)
    }
}

/// A number, written as an integer when `integral` and it is one (`20`, not `20.0`).
struct JsonNumber {
    value: f64,
    integral: bool,
}

impl Serialize for JsonNumber {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let value = self.value;
        // Exactly representable integers only; 2^53 bounds them.
        if self.integral && value.fract() == 0.0 && value.abs() < 9_007_199_254_740_992.0 {
            return serializer.serialize_i64(value as i64);
        }
        serializer.serialize_f64(value)
    }
}

/// A set that passed validation: the same fields, within bounds. Stored sets are read
/// back through the same check.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(try_from = "SetFields", into = "SetFields")]
pub struct LoggedSet(SetFields);

impl TryFrom<SetFields> for LoggedSet {
    type Error = WorkoutError;

    fn try_from(fields: SetFields) -> Result<Self, WorkoutError> {
        LoggedSet::new(fields)
    }
}

impl From<LoggedSet> for SetFields {
    fn from(set: LoggedSet) -> Self {
        set.0
    }
}

impl std::ops::Deref for LoggedSet {
    type Target = SetFields;

    fn deref(&self) -> &SetFields {
        &self.0
    }
}

impl LoggedSet {
    pub const MAX_REPS: u32 = 10_000;
    pub const MAX_SECONDS: f64 = 86_400.0;
    pub const MAX_LOAD_KG: f64 = 1_000.0;

    pub fn new(fields: SetFields) -> Result<Self, WorkoutError> {
        if fields.reps.is_none() && fields.seconds.is_none() {
            return Err(WorkoutError::EmptySet);
        }
        if fields
            .reps
            .into_iter()
            .chain(fields.reps_max)
            .any(|reps| reps > Self::MAX_REPS)
        {
            return Err(WorkoutError::RepsOutOfRange);
        }
        match (fields.reps, fields.reps_max) {
            (None, Some(_)) => return Err(WorkoutError::RangeWithoutStart),
            (Some(low), Some(high)) if high < low => return Err(WorkoutError::RangeReversed),
            _ => {}
        }
        if fields
            .seconds
            .is_some_and(|seconds| !(0.0..=Self::MAX_SECONDS).contains(&seconds))
        {
            return Err(WorkoutError::SecondsOutOfRange);
        }
        if fields
            .added_kg
            .is_some_and(|kg| !kg.is_finite() || kg.abs() > Self::MAX_LOAD_KG)
        {
            return Err(WorkoutError::LoadOutOfRange);
        }
        if fields
            .assist_kg
            .is_some_and(|kg| !(kg > 0.0 && kg <= Self::MAX_LOAD_KG))
        {
            return Err(WorkoutError::AssistOutOfRange);
        }
        if fields.rpe.is_some_and(|rpe| !(0.0..=10.0).contains(&rpe)) {
            return Err(WorkoutError::RpeOutOfRange);
        }
        if fields.each_side && fields.side.is_some() {
            return Err(WorkoutError::SideAndEachSide);
        }
        // A negative added_kg was how assistance was written before assist_kg.
        let (added_kg, assist_kg) = match (fields.added_kg, fields.assist_kg) {
            (Some(kg), None) if kg < 0.0 => (None, Some(-kg)),
            (Some(kg), Some(_)) if kg < 0.0 => return Err(WorkoutError::AssistanceTwice),
            loads => loads,
        };
        let helped = assist_kg.is_some();
        let added_kg = added_kg.map(round_to_tenth);
        // Help under 0.05 kg rounds to nothing: that is no amount, only a mark.
        let assist_kg = assist_kg.map(round_to_tenth).filter(|kg| *kg > 0.0);
        Ok(Self(SetFields {
            reps: fields.reps,
            // A range whose ends agree is just a number.
            reps_max: fields.reps_max.filter(|high| Some(*high) != fields.reps),
            seconds: fields.seconds,
            added_kg,
            assist_kg,
            load_unit: added_kg.or(assist_kg).and(fields.load_unit),
            assisted: fields.assisted || helped,
            each_side: fields.each_side,
            side: fields.side,
            rpe: fields.rpe,
        }))
    }
}

/// Loads are kept to one decimal: finer is noise, and lb conversions produce long tails.
pub fn round_to_tenth(value: f64) -> f64 {
    (value * 10.0).round() / 10.0
}

/// Pounds to kilograms, one decimal.
pub fn lb_to_kg(pounds: f64) -> f64 {
    round_to_tenth(pounds * KG_PER_LB)
}

/// The name of a person's own exercise: one line of 1 to 80 characters, trimmed.
pub type ExerciseName = SingleLine<80>;

/// What a person wrote about a workout: 1 to 2000 characters, kept as written.
pub type Notes = MultiLine<2000>;

/// Which exercise an entry is: a catalog id, or a person's own exercise by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExerciseRef {
    Catalog(String),
    Custom { name: ExerciseName },
}

#[derive(Debug, Clone, PartialEq)]
pub struct WorkoutEntry {
    pub exercise: ExerciseRef,
    pub sets: Vec<LoggedSet>,
}

/// A workout ready to store: at least one entry, every entry with sets.
#[derive(Debug, Clone, PartialEq)]
pub struct Workout {
    entries: Vec<WorkoutEntry>,
}

impl Workout {
    pub const MAX_SETS: usize = 200;

    pub fn new(entries: Vec<WorkoutEntry>) -> Result<Self, WorkoutError> {
        if entries.is_empty() {
            return Err(WorkoutError::NoEntries);
        }
        if entries.iter().any(|entry| entry.sets.is_empty()) {
            return Err(WorkoutError::NoSets);
        }
        if entries.iter().map(|entry| entry.sets.len()).sum::<usize>() > Self::MAX_SETS {
            return Err(WorkoutError::TooManySets);
        }
        Ok(Self { entries })
    }

    pub fn entries(&self) -> &[WorkoutEntry] {
        &self.entries
    }

    /// Catalog ids this workout touches, in first-seen order.
    pub fn catalog_exercises(&self) -> Vec<&str> {
        let mut ids: Vec<&str> = Vec::new();
        for entry in &self.entries {
            if let ExerciseRef::Catalog(id) = &entry.exercise
                && !ids.contains(&id.as_str())
            {
                ids.push(id);
            }
        }
        ids
    }

    /// The sets of each catalog exercise in this workout, as the skill rules see them.
    pub fn session(&self) -> std::collections::BTreeMap<String, Vec<SetFields>> {
        self.catalog_exercises()
            .into_iter()
            .map(|id| (id.to_owned(), self.sets_of(id)))
            .collect_map()
    }

    /// Every set of one catalog exercise, across entries.
    pub fn sets_of(&self, exercise_id: &str) -> Vec<SetFields> {
        self.entries
            .iter()
            .filter(
                |entry| matches!(&entry.exercise, ExerciseRef::Catalog(id) if id == exercise_id),
            )
            .flat_map(|entry| entry.sets.iter().map(|set| **set))
            .collect()
    }

    /// Total reps and hold seconds, for volume comparisons.
    pub fn volume(&self) -> Volume {
        let mut volume = Volume::default();
        for set in self.entries.iter().flat_map(|entry| &entry.sets) {
            let sides = if set.each_side { 2.0 } else { 1.0 };
            volume.reps += f64::from(set.reps.unwrap_or(0)) * sides;
            volume.seconds += set.seconds.unwrap_or(0.0) * sides;
        }
        volume
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Volume {
    pub reps: f64,
    pub seconds: f64,
}

/// A set as stored, with its exercise's name.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct StoredSet {
    pub exercise_id: String,
    pub exercise_name: String,
    pub custom: bool,
    #[serde(flatten)]
    pub set: LoggedSet,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StoredWorkout {
    pub id: Uuid,
    pub performed_at: DateTime<Utc>,
    pub notes: Option<String>,
    pub source_message_id: Option<Uuid>,
    /// The import that created it, for imported sessions.
    pub import_id: Option<Uuid>,
    pub sets: Vec<StoredSet>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl StoredWorkout {
    /// The catalog exercises this workout touches.
    pub fn catalog_exercises(&self) -> Vec<&str> {
        let mut ids: Vec<&str> = Vec::new();
        for set in self.sets.iter().filter(|set| !set.custom) {
            if !ids.contains(&set.exercise_id.as_str()) {
                ids.push(&set.exercise_id);
            }
        }
        ids
    }
}

/// Where a new workout comes from and when it happened.
#[derive(Debug, Clone)]
pub struct NewWorkout<'a> {
    pub id: Uuid,
    pub user_id: Uuid,
    pub performed_at: DateTime<Utc>,
    pub notes: Option<&'a str>,
    pub source_message_id: Option<Uuid>,
    pub workout: &'a Workout,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(fields: SetFields) -> Result<LoggedSet, WorkoutError> {
        LoggedSet::new(fields)
    }

    #[test]
    fn sets_need_reps_or_seconds_within_bounds() {
        assert_eq!(set(SetFields::default()), Err(WorkoutError::EmptySet));
        assert!(
            set(SetFields {
                reps: Some(8),
                ..SetFields::default()
            })
            .is_ok()
        );
        assert!(
            set(SetFields {
                seconds: Some(20.0),
                ..SetFields::default()
            })
            .is_ok()
        );
        assert_eq!(
            set(SetFields {
                reps: Some(10_001),
                ..SetFields::default()
            }),
            Err(WorkoutError::RepsOutOfRange)
        );
        assert_eq!(
            set(SetFields {
                seconds: Some(-1.0),
                ..SetFields::default()
            }),
            Err(WorkoutError::SecondsOutOfRange)
        );
        assert_eq!(
            set(SetFields {
                seconds: Some(f64::NAN),
                ..SetFields::default()
            }),
            Err(WorkoutError::SecondsOutOfRange)
        );
        assert_eq!(
            set(SetFields {
                reps: Some(5),
                rpe: Some(11.0),
                ..SetFields::default()
            }),
            Err(WorkoutError::RpeOutOfRange)
        );
    }

    #[test]
    fn ranges_keep_both_ends_in_order() {
        let range = set(SetFields {
            reps: Some(8),
            reps_max: Some(10),
            ..SetFields::default()
        })
        .unwrap();
        assert_eq!((range.reps, range.reps_max), (Some(8), Some(10)));
        assert_eq!(
            set(SetFields {
                reps: Some(10),
                reps_max: Some(8),
                ..SetFields::default()
            }),
            Err(WorkoutError::RangeReversed)
        );
        let flat = set(SetFields {
            reps: Some(8),
            reps_max: Some(8),
            ..SetFields::default()
        })
        .unwrap();
        assert_eq!(flat.reps_max, None);
    }

    #[test]
    fn pounds_convert_to_one_decimal_kilograms() {
        assert_eq!(lb_to_kg(20.0), 9.1);
        assert_eq!(lb_to_kg(45.0), 20.4);
        assert_eq!(lb_to_kg(100.0), 45.4);
        let loaded = set(SetFields {
            reps: Some(5),
            added_kg: Some(lb_to_kg(25.0)),
            load_unit: Some(Units::Lb),
            ..SetFields::default()
        })
        .unwrap();
        assert_eq!(loaded.added_kg, Some(11.3));
        assert_eq!(loaded.load_unit, Some(Units::Lb));
    }

    #[test]
    fn assistance_is_its_own_positive_amount_and_marks_the_set_assisted() {
        let helped = set(SetFields {
            reps: Some(6),
            assist_kg: Some(lb_to_kg(30.0)),
            load_unit: Some(Units::Lb),
            ..SetFields::default()
        })
        .unwrap();
        assert_eq!(helped.assist_kg, Some(13.6));
        assert!(helped.assisted && !helped.unassisted());
        assert_eq!(helped.load_unit, Some(Units::Lb));
        // A negative added_kg, as assistance was written before, becomes assist_kg.
        let legacy = set(SetFields {
            reps: Some(6),
            added_kg: Some(-20.0),
            ..SetFields::default()
        })
        .unwrap();
        assert_eq!((legacy.added_kg, legacy.assist_kg), (None, Some(20.0)));
        assert!(legacy.assisted);
        for bad in [0.0, -5.0, 1000.5, f64::NAN, f64::INFINITY] {
            assert_eq!(
                set(SetFields {
                    reps: Some(6),
                    assist_kg: Some(bad),
                    ..SetFields::default()
                }),
                Err(WorkoutError::AssistOutOfRange),
                "{bad}"
            );
        }
        assert_eq!(
            set(SetFields {
                reps: Some(6),
                added_kg: Some(-10.0),
                assist_kg: Some(10.0),
                ..SetFields::default()
            }),
            Err(WorkoutError::AssistanceTwice)
        );
        // A vest and a band at once is still one set.
        let both = set(SetFields {
            reps: Some(3),
            added_kg: Some(5.0),
            assist_kg: Some(10.0),
            ..SetFields::default()
        })
        .unwrap();
        assert_eq!((both.added_kg, both.assist_kg), (Some(5.0), Some(10.0)));
    }

    #[test]
    fn a_set_is_on_one_side_or_on_each_side_not_both() {
        let left = set(SetFields {
            reps: Some(5),
            side: Some(Side::Left),
            ..SetFields::default()
        })
        .unwrap();
        assert_eq!(left.side, Some(Side::Left));
        assert_eq!(
            serde_json::to_value(left).unwrap(),
            serde_json::json!({"reps": 5, "side": "left"})
        );
        assert_eq!(
            set(SetFields {
                reps: Some(5),
                side: Some(Side::Right),
                each_side: true,
                ..SetFields::default()
            }),
            Err(WorkoutError::SideAndEachSide)
        );
        let parsed: Result<SetFields, _> = serde_json::from_str(r#"{"reps":5,"side":"up"}"#);
        assert!(parsed.is_err());
    }

    #[test]
    fn workouts_need_entries_with_sets() {
        assert_eq!(Workout::new(vec![]), Err(WorkoutError::NoEntries));
        let empty_entry = WorkoutEntry {
            exercise: ExerciseRef::Catalog("pull_up".into()),
            sets: vec![],
        };
        assert_eq!(Workout::new(vec![empty_entry]), Err(WorkoutError::NoSets));
    }

    #[test]
    fn volume_counts_both_sides() {
        let one_side = set(SetFields {
            reps: Some(5),
            each_side: true,
            ..SetFields::default()
        })
        .unwrap();
        let hold = set(SetFields {
            seconds: Some(30.0),
            ..SetFields::default()
        })
        .unwrap();
        let workout = Workout::new(vec![
            WorkoutEntry {
                exercise: ExerciseRef::Catalog("pistol_squat".into()),
                sets: vec![one_side, one_side],
            },
            WorkoutEntry {
                exercise: ExerciseRef::Catalog("plank".into()),
                sets: vec![hold],
            },
        ])
        .unwrap();
        assert_eq!(
            workout.volume(),
            Volume {
                reps: 20.0,
                seconds: 30.0
            }
        );
        assert_eq!(workout.catalog_exercises(), ["pistol_squat", "plank"]);
        assert_eq!(workout.sets_of("pistol_squat").len(), 2);
    }
}
