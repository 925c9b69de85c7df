//! A workout read by the model: the tool input it was forced to produce, checked
//! exactly like anything else that becomes a workout. The tool's input schema is the
//! parse contract (`domain/parser`): entries of a catalog exercise id and sets with the
//! one set type's fields, plus `kind` and a `confidence` in 0..1.
//!
//! Nothing the model says is trusted: unknown fields, exercise ids outside the catalog,
//! sets `LoggedSet::new` refuses and a confidence outside 0..1 are each an error that
//! names what was wrong, and such output never becomes a `Workout`.

use serde::Deserialize;
use serde_json::{Value, json};

use crate::domain::catalog::Catalog;
use crate::domain::workout::{
    ExerciseRef, LoggedSet, SetFields, Side, Workout, WorkoutEntry, WorkoutError,
};

/// The tool's name, as the model sees it and as `toolChoice` forces it.
pub const TOOL_NAME: &str = "record_workout";

/// How sure the model says it is, in 0..=1.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
pub struct Confidence(f64);

impl Confidence {
    pub fn new(value: f64) -> Option<Self> {
        (0.0..=1.0).contains(&value).then_some(Self(value))
    }

    pub fn value(self) -> f64 {
        self.0
    }
}

/// What the model read in a message, validated.
#[derive(Debug, Clone, PartialEq)]
pub enum Extraction {
    Workout {
        workout: Workout,
        confidence: Confidence,
    },
    NotWorkout {
        confidence: Confidence,
    },
}

impl Extraction {
    pub fn confidence(&self) -> Confidence {
        match self {
            Extraction::Workout { confidence, .. } | Extraction::NotWorkout { confidence } => {
                *confidence
            }
        }
    }
}

/// Why the model's output was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ExtractionError {
    #[error("tool input does not have the contract's shape at {path}: {reason}")]
    Shape { path: String, reason: String },
    #[error("confidence {0} is outside 0..1")]
    Confidence(f64),
    #[error("entry {entry}: {exercise:?} is not a catalog exercise")]
    UnknownExercise { entry: usize, exercise: String },
    #[error("entry {entry}, set {set}: {source}")]
    InvalidSet {
        entry: usize,
        set: usize,
        source: WorkoutError,
    },
    #[error("a workout with no usable entries: {0}")]
    InvalidWorkout(WorkoutError),
    #[error("kind not_workout came with entries")]
    EntriesWithoutWorkout,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ToolInput {
    kind: Kind,
    confidence: f64,
    #[serde(default)]
    entries: Vec<EntryInput>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Kind {
    Workout,
    NotWorkout,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EntryInput {
    exercise: String,
    sets: Vec<SetInput>,
}

// Models write `null` or `false` for fields they mean to leave out; both read as absent.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SetInput {
    reps: Option<u32>,
    reps_max: Option<u32>,
    seconds: Option<f64>,
    added_kg: Option<f64>,
    assist_kg: Option<f64>,
    assisted: Option<bool>,
    each_side: Option<bool>,
    side: Option<Side>,
    rpe: Option<f64>,
}

impl From<SetInput> for SetFields {
    fn from(set: SetInput) -> Self {
        SetFields {
            reps: set.reps,
            reps_max: set.reps_max,
            seconds: set.seconds,
            added_kg: set.added_kg,
            assist_kg: set.assist_kg,
            load_unit: None,
            assisted: set.assisted.unwrap_or(false),
            each_side: set.each_side.unwrap_or(false),
            side: set.side,
            rpe: set.rpe,
        }
    }
}

/// Turns the model's tool input into a validated extraction, or says what was wrong.
pub fn from_tool_input(input: &Value, catalog: &Catalog) -> Result<Extraction, ExtractionError> {
    let input: ToolInput =
        serde_path_to_error::deserialize(input).map_err(|error| ExtractionError::Shape {
            path: error.path().to_string(),
            reason: error.inner().to_string(),
        })?;
    let confidence =
        Confidence::new(input.confidence).ok_or(ExtractionError::Confidence(input.confidence))?;
    match input.kind {
        Kind::NotWorkout if input.entries.is_empty() => Ok(Extraction::NotWorkout { confidence }),
        Kind::NotWorkout => Err(ExtractionError::EntriesWithoutWorkout),
        Kind::Workout => {
            let mut entries = Vec::with_capacity(input.entries.len());
            for (entry_index, entry) in input.entries.into_iter().enumerate() {
                if catalog.exercise(&entry.exercise).is_none() {
                    return Err(ExtractionError::UnknownExercise {
                        entry: entry_index,
                        exercise: entry.exercise,
                    });
                }
                let sets = entry
                    .sets
                    .into_iter()
                    .enumerate()
                    .map(|(set_index, set)| {
                        LoggedSet::new(set.into()).map_err(|source| ExtractionError::InvalidSet {
                            entry: entry_index,
                            set: set_index,
                            source,
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                entries.push(WorkoutEntry {
                    exercise: ExerciseRef::Catalog(entry.exercise),
                    sets,
                });
            }
            let workout = Workout::new(entries).map_err(ExtractionError::InvalidWorkout)?;
            Ok(Extraction::Workout {
                workout,
                confidence,
            })
        }
    }
}

/// The tool's input schema: the parse contract, with the catalog's ids as the only
/// exercises the model may name (an enum keeps it from inventing ids).
pub fn tool_input_schema(catalog: &Catalog) -> Value {
    let ids: Vec<&str> = catalog.exercises().iter().map(|e| e.id()).collect();
    json!({
        "type": "object",
        "properties": {
            "kind": {"type": "string", "enum": ["workout", "not_workout"]},
            "confidence": {"type": "number", "minimum": 0, "maximum": 1},
            "entries": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "exercise": {"type": "string", "enum": ids},
                        "sets": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "properties": {
                                    "reps": {"type": "integer", "minimum": 0},
                                    "reps_max": {"type": "integer", "minimum": 0},
                                    "seconds": {"type": "number", "minimum": 0},
                                    "added_kg": {"type": "number", "minimum": 0},
                                    "assist_kg": {"type": "number", "exclusiveMinimum": 0},
                                    "assisted": {"type": "boolean"},
                                    "each_side": {"type": "boolean"},
                                    "side": {"type": "string", "enum": ["left", "right"]},
                                    "rpe": {"type": "number", "minimum": 0, "maximum": 10}
                                }
                            }
                        }
                    },
                    "required": ["exercise", "sets"]
                }
            }
        },
        "required": ["kind", "confidence", "entries"]
    })
}

/// The system prompt for extraction. Short on purpose: the schema carries the shape.
pub const EXTRACTION_PROMPT: &str = "You read one chat message from a calisthenics \
app and call record_workout. kind is workout only for training the person says they \
did; questions, greetings and plans are not_workout with no entries. One set per set \
done: \"3x8\" is three sets of 8 reps. reps_max is the top of a range (8-10). seconds is \
a hold. added_kg is load added and assist_kg is band or machine help taken off \
bodyweight (both in kg: pounds times 0.4536; \"-20kg assisted\" is assist_kg 20); \
assisted for any help, even without an amount; each_side for work done on each side, \
side (left or right) for a set done on one side only; rpe is effort (RPE = 10 - RIR). \
Never invent a set or an exercise. confidence is how sure you are, 0 to 1.";

#[cfg(test)]
mod tests {
    use super::*;

    fn catalog() -> &'static Catalog {
        Catalog::embedded().unwrap()
    }

    #[test]
    fn the_model_can_give_assistance_and_a_side() {
        let input = json!({
            "kind": "workout",
            "confidence": 0.8,
            "entries": [
                {"exercise": "pull_up", "sets": [{"reps": 5, "assist_kg": 20}, {"reps": 5, "added_kg": -15}]},
                {"exercise": "pistol_squat", "sets": [{"reps": 4, "side": "left"}, {"reps": 3, "side": "right"}]}
            ]
        });
        let Extraction::Workout { workout, .. } = from_tool_input(&input, catalog()).unwrap()
        else {
            panic!("expected a workout");
        };
        let pulls = workout.sets_of("pull_up");
        assert_eq!(pulls[0].assist_kg, Some(20.0));
        assert!(pulls[0].assisted);
        // A model writing assistance as a negative load is read the same way.
        assert_eq!((pulls[1].added_kg, pulls[1].assist_kg), (None, Some(15.0)));
        let pistols = workout.sets_of("pistol_squat");
        assert_eq!(pistols[0].side, Some(Side::Left));
        assert_eq!(pistols[1].side, Some(Side::Right));
        let both = json!({
            "kind": "workout",
            "confidence": 0.8,
            "entries": [{"exercise": "pistol_squat", "sets": [{"reps": 4, "side": "left", "each_side": true}]}]
        });
        assert!(matches!(
            from_tool_input(&both, catalog()),
            Err(ExtractionError::InvalidSet {
                source: WorkoutError::SideAndEachSide,
                ..
            })
        ));
    }

    #[test]
    fn a_valid_tool_input_becomes_a_workout() {
        let input = json!({
            "kind": "workout",
            "confidence": 0.9,
            "entries": [
                {"exercise": "pull_up", "sets": [{"reps": 8}, {"reps": 8, "added_kg": 10, "rpe": 8}]},
                {"exercise": "l_sit", "sets": [{"seconds": 20, "reps": null, "assisted": false}]}
            ]
        });
        let Extraction::Workout {
            workout,
            confidence,
        } = from_tool_input(&input, catalog()).unwrap()
        else {
            panic!("expected a workout");
        };
        assert_eq!(confidence.value(), 0.9);
        assert_eq!(workout.catalog_exercises(), vec!["pull_up", "l_sit"]);
        assert_eq!(workout.sets_of("pull_up")[1].added_kg, Some(10.0));
        assert_eq!(workout.sets_of("l_sit")[0].seconds, Some(20.0));
    }

    #[test]
    fn not_workout_reads_without_entries() {
        let input = json!({"kind": "not_workout", "confidence": 1, "entries": []});
        assert!(matches!(
            from_tool_input(&input, catalog()),
            Ok(Extraction::NotWorkout { .. })
        ));
    }

    #[test]
    fn invented_exercises_are_refused_by_name() {
        let input = json!({"kind": "workout", "confidence": 0.8,
            "entries": [{"exercise": "farmer_walk", "sets": [{"reps": 10}]}]});
        assert_eq!(
            from_tool_input(&input, catalog()),
            Err(ExtractionError::UnknownExercise {
                entry: 0,
                exercise: "farmer_walk".into()
            })
        );
    }

    #[test]
    fn impossible_sets_are_refused_with_their_place() {
        let input = json!({"kind": "workout", "confidence": 0.8,
            "entries": [{"exercise": "pull_up", "sets": [{"reps": 8}, {"rpe": 7}]}]});
        assert_eq!(
            from_tool_input(&input, catalog()),
            Err(ExtractionError::InvalidSet {
                entry: 0,
                set: 1,
                source: WorkoutError::EmptySet
            })
        );
        let input = json!({"kind": "workout", "confidence": 0.8,
            "entries": [{"exercise": "pull_up", "sets": [{"reps": 8, "rpe": 14}]}]});
        assert!(matches!(
            from_tool_input(&input, catalog()),
            Err(ExtractionError::InvalidSet {
                source: WorkoutError::RpeOutOfRange,
                ..
            })
        ));
    }

    #[test]
    fn wrong_shapes_name_the_path() {
        let input = json!({"kind": "workout", "confidence": 0.8,
            "entries": [{"exercise": "pull_up", "sets": [{"reps": -3}]}]});
        let Err(ExtractionError::Shape { path, .. }) = from_tool_input(&input, catalog()) else {
            panic!("expected a shape error");
        };
        assert_eq!(path, "entries[0].sets[0].reps");

        let input = json!({"kind": "workout", "confidence": 0.8,
            "entries": [{"exercise": "pull_up", "sets": [{"reps": 5, "weight_lb": 20}]}]});
        assert!(matches!(
            from_tool_input(&input, catalog()),
            Err(ExtractionError::Shape { .. })
        ));
    }

    #[test]
    fn confidence_and_kind_must_agree_with_the_contract() {
        let input = json!({"kind": "workout", "confidence": 1.5, "entries": []});
        assert_eq!(
            from_tool_input(&input, catalog()),
            Err(ExtractionError::Confidence(1.5))
        );
        let input = json!({"kind": "workout", "confidence": 0.5, "entries": []});
        assert_eq!(
            from_tool_input(&input, catalog()),
            Err(ExtractionError::InvalidWorkout(WorkoutError::NoEntries))
        );
        let input = json!({"kind": "not_workout", "confidence": 0.5,
            "entries": [{"exercise": "pull_up", "sets": [{"reps": 1}]}]});
        assert_eq!(
            from_tool_input(&input, catalog()),
            Err(ExtractionError::EntriesWithoutWorkout)
        );
    }

    #[test]
    fn the_schema_offers_only_catalog_ids() {
        let schema = tool_input_schema(catalog());
        let ids = schema["properties"]["entries"]["items"]["properties"]["exercise"]["enum"]
            .as_array()
            .unwrap();
        assert_eq!(ids.len(), catalog().exercises().len());
        assert!(ids.contains(&json!("pull_up")));
    }
}
