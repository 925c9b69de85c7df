//! Training history from other loggers (Strong, Hevy), read from their CSV exports
//! into one neutral shape: workouts at local wall-clock times, with their sets in
//! file order, and the rows that were skipped with the reason. Mapping names to the
//! catalog, time zones and storage happen later; nothing here guesses.

pub mod csv;
pub mod hevy;
pub mod mapping;
pub mod plan;
pub mod strong;

use chrono::NaiveDateTime;

use crate::domain::profile::Units;

/// Which logger wrote the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportSource {
    Strong,
    Hevy,
}

impl ImportSource {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "strong" => Some(Self::Strong),
            "hevy" => Some(Self::Hevy),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Strong => "strong",
            Self::Hevy => "hevy",
        }
    }
}

/// What a set was, as the logger marks it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetKind {
    Normal,
    Warmup,
    Drop,
    Failure,
}

/// One set as the file has it, its load in the file's unit.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportedSet {
    /// The file's line, for messages.
    pub line: usize,
    pub exercise_name: String,
    pub kind: SetKind,
    pub reps: Option<u32>,
    /// The load, converted to kilograms from the file's unit; negative where the
    /// logger writes assistance so.
    pub weight_kg: Option<f64>,
    pub seconds: Option<f64>,
    pub rpe: Option<f64>,
    pub notes: Option<String>,
}

/// One session: everything in the file that shares its start time and title.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportedWorkout {
    /// As the logger showed it: wall-clock time where the person was.
    pub started_at: NaiveDateTime,
    pub title: String,
    pub notes: Option<String>,
    pub sets: Vec<ImportedSet>,
}

/// Why a row is not imported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SkipReason {
    /// Strong's rest timer entries.
    RestTimer,
    /// A set with only a distance (a run, a row): nothing this logger counts.
    DistanceOnly,
    /// Neither reps nor time.
    Empty,
    /// A value that is not a number, or out of range: the column named.
    Invalid(&'static str),
}

impl SkipReason {
    pub fn describe(&self) -> String {
        match self {
            SkipReason::RestTimer => "a rest timer, not a set".to_owned(),
            SkipReason::DistanceOnly => "distance only: not a set Tora counts".to_owned(),
            SkipReason::Empty => "neither reps nor time".to_owned(),
            SkipReason::Invalid(column) => format!("{column} is not a valid value"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedRow {
    pub line: usize,
    pub reason: SkipReason,
}

/// A whole file, read.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedImport {
    pub source: ImportSource,
    /// The unit the file wrote loads in (what the person thinks in).
    pub unit: Units,
    /// Oldest first.
    pub workouts: Vec<ImportedWorkout>,
    pub skipped: Vec<SkippedRow>,
}

/// Why a file cannot be read at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImportError {
    #[error(transparent)]
    Csv(#[from] csv::CsvError),
    #[error("the file has no header row")]
    NoHeader,
    #[error("the header has no {0} column: is this a {1} export?")]
    MissingColumn(&'static str, &'static str),
    #[error("line {line}: {column} is not a valid value")]
    Invalid { line: usize, column: &'static str },
    #[error("the file does not say whether weights are kg or lb: send weight_unit")]
    UnitNeeded,
    #[error("the file has no sets")]
    NoSets,
}

/// Reads an export of `source`; `unit` is the caller's answer when the file does not
/// say which unit its weights are in.
pub fn parse(
    source: ImportSource,
    text: &str,
    unit: Option<Units>,
) -> Result<ParsedImport, ImportError> {
    match source {
        ImportSource::Strong => strong::parse(text, unit),
        ImportSource::Hevy => hevy::parse(text, unit),
    }
}

/// The header's columns by name, case and spacing ignored.
pub(crate) struct Columns(Vec<String>);

impl Columns {
    pub(crate) fn new(header: &[String]) -> Self {
        Self(header.iter().map(|name| normalise(name)).collect())
    }

    pub(crate) fn find(&self, name: &str) -> Option<usize> {
        let wanted = normalise(name);
        self.0.iter().position(|column| *column == wanted)
    }

    pub(crate) fn require(
        &self,
        name: &'static str,
        source: &'static str,
    ) -> Result<usize, ImportError> {
        self.find(name)
            .ok_or(ImportError::MissingColumn(name, source))
    }
}

fn normalise(name: &str) -> String {
    name.trim()
        .chars()
        .filter(|ch| !ch.is_whitespace() && *ch != '_')
        .flat_map(char::to_lowercase)
        .collect()
}

/// A field of a record, trimmed; `None` when empty or missing.
pub(crate) fn cell(fields: &[String], index: Option<usize>) -> Option<&str> {
    index
        .and_then(|index| fields.get(index))
        .map(|value| value.trim())
        .filter(|value| !value.is_empty())
}

/// A non-negative decimal (either `.` or `,` as the decimal mark), `None` when empty.
pub(crate) fn number(
    fields: &[String],
    index: Option<usize>,
    column: &'static str,
) -> Result<Option<f64>, SkipReason> {
    match cell(fields, index) {
        None => Ok(None),
        Some(raw) => raw
            .replace(',', ".")
            .parse::<f64>()
            .ok()
            .filter(|value| value.is_finite() && value.abs() < 100_000.0)
            .map(Some)
            .ok_or(SkipReason::Invalid(column)),
    }
}

/// Kilograms in a pound, exactly.
pub const KG_PER_LB: f64 = 0.453_592_37;

/// `weight` in `unit`, in kilograms to the gram.
pub(crate) fn to_kg(weight: f64, unit: Units) -> f64 {
    let kg = match unit {
        Units::Kg => weight,
        Units::Lb => weight * KG_PER_LB,
    };
    (kg * 1000.0).round() / 1000.0
}

/// Groups sets into workouts by (start, title), keeping the file's set order and
/// putting the workouts oldest first.
pub(crate) fn group(
    rows: Vec<(NaiveDateTime, String, Option<String>, ImportedSet)>,
) -> Vec<ImportedWorkout> {
    let mut workouts: Vec<ImportedWorkout> = Vec::new();
    for (started_at, title, notes, set) in rows {
        match workouts
            .iter_mut()
            .rev()
            .find(|workout| workout.started_at == started_at && workout.title == title)
        {
            Some(workout) => {
                if workout.notes.is_none() {
                    workout.notes = notes;
                }
                workout.sets.push(set);
            }
            None => workouts.push(ImportedWorkout {
                started_at,
                title,
                notes,
                sets: vec![set],
            }),
        }
    }
    crate::sorting::sort_by_key(&mut workouts, |workout| workout.started_at);
    workouts
}
