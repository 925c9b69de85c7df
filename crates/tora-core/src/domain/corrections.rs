//! Corrections a person sends in chat about the workout they logged last: "it was 8
//! not 6", "make that 3 sets", "delete the last one". Read without the model: only
//! short messages of a few fixed shapes count, so an ordinary workout message or a
//! question is never taken for one (the chat path also asks the workout parser first:
//! whatever it reads as a workout stays a workout).

use crate::domain::workout::{
    ExerciseName, ExerciseRef, LoggedSet, SetFields, StoredWorkout, Workout, WorkoutEntry,
    WorkoutError,
};

/// What a number in a correction counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Reps,
    Seconds,
}

/// "X not Y": every set at `was` becomes `now`. The two differ, by construction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Replacement {
    now: u32,
    was: u32,
    /// `None` when the person named no unit: reps first, then seconds.
    unit: Option<Unit>,
}

impl Replacement {
    pub fn new(now: u32, was: u32, unit: Option<Unit>) -> Option<Self> {
        (now != was).then_some(Self { now, was, unit })
    }

    pub fn now(&self) -> u32 {
        self.now
    }

    pub fn was(&self) -> u32 {
        self.was
    }

    pub fn unit(&self) -> Option<Unit> {
        self.unit
    }
}

/// A change to the sets of the latest workout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edit {
    /// "it was 8 not 6".
    Replace(Replacement),
    /// "make that 3 sets": the set count of the workout's last entry, as said (the
    /// range is checked when applied, so the reply can say what is allowed).
    SetCount(u32),
}

/// What a correction message asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Correction {
    Edit(Edit),
    /// "delete the last one".
    DeleteLast,
}

/// Corrections are short; anything longer is a message of its own.
const MAX_CHARS: usize = 80;

/// The set counts a correction may ask for.
pub const SET_COUNTS: std::ops::RangeInclusive<u32> = 1..=20;

/// Reads a message as a correction, or `None` when it is not one of the shapes.
pub fn parse(text: &str) -> Option<Correction> {
    let words = words(text)?;
    let words = strip_fillers(&words);
    delete(words)
        .map(|()| Correction::DeleteLast)
        .or_else(|| edit(words).map(Correction::Edit))
}

/// Lower-case words and numbers; digits and letters written together are split
/// ("30s" is "30 s"). Questions and multi-line messages are never corrections.
fn words(text: &str) -> Option<Vec<String>> {
    let text = text.trim();
    if text.chars().count() > MAX_CHARS || text.contains(['\n', '?']) {
        return None;
    }
    let mut words: Vec<String> = Vec::new();
    let mut current = String::new();
    for c in text.to_lowercase().chars() {
        let c = if c == '\u{2019}' { '\'' } else { c };
        if !(c.is_alphanumeric() || c == '\'') {
            if !current.is_empty() {
                words.push(std::mem::take(&mut current));
            }
            continue;
        }
        if let Some(last) = current.chars().last()
            && last.is_ascii_digit() != c.is_ascii_digit()
        {
            words.push(std::mem::take(&mut current));
        }
        current.push(c);
    }
    if !current.is_empty() {
        words.push(current);
    }
    (!words.is_empty()).then_some(words)
}

const LEADING_FILLERS: &[&[&str]] = &[
    &["my", "bad"],
    &["oops"],
    &["whoops"],
    &["sorry"],
    &["oh"],
    &["ah"],
    &["wait"],
    &["no"],
    &["nope"],
    &["actually"],
    &["correction"],
    &["please"],
    &["hey"],
    &["coach"],
];

const TRAILING_FILLERS: &[&[&str]] = &[
    &["please"],
    &["thanks"],
    &["thank", "you"],
    &["thx"],
    &["actually"],
];

fn starts_with(words: &[String], phrase: &[&str]) -> bool {
    words.len() >= phrase.len() && words.iter().zip(phrase).all(|(word, want)| word == want)
}

fn ends_with(words: &[String], phrase: &[&str]) -> bool {
    words.len() >= phrase.len()
        && words[words.len() - phrase.len()..]
            .iter()
            .zip(phrase)
            .all(|(word, want)| word == want)
}

/// Drops "oops", "sorry", "actually", "please"... around the correction itself.
fn strip_fillers(words: &[String]) -> &[String] {
    let mut words = words;
    'leading: loop {
        for filler in LEADING_FILLERS {
            if words.len() > filler.len() && starts_with(words, filler) {
                words = &words[filler.len()..];
                continue 'leading;
            }
        }
        break;
    }
    'trailing: loop {
        for filler in TRAILING_FILLERS {
            if words.len() > filler.len() && ends_with(words, filler) {
                words = &words[..words.len() - filler.len()];
                continue 'trailing;
            }
        }
        break;
    }
    words
}

/// "delete the last one", "scratch that", "undo": a verb and the latest workout.
fn delete(words: &[String]) -> Option<()> {
    const VERBS: &[&str] = &[
        "delete", "remove", "scratch", "undo", "cancel", "erase", "forget",
    ];
    let (verb, object) = words.split_first()?;
    if !VERBS.contains(&verb.as_str()) {
        return None;
    }
    if object.is_empty() {
        // "undo" alone; "delete" alone names nothing.
        return (verb == "undo").then_some(());
    }
    latest_workout(object)
}

/// "that", "it", "the last one", "my last workout", "that workout I just logged".
/// Never "the last set": a set is not the workout.
fn latest_workout(words: &[String]) -> Option<()> {
    let mut words: Vec<&str> = words.iter().map(String::as_str).collect();
    // "... I (just) logged / sent / did"
    if let Some(position) = words.iter().position(|word| *word == "i") {
        let tail = &words[position + 1..];
        let tail = tail.strip_prefix(&["just"]).unwrap_or(tail);
        if !matches!(tail, ["logged" | "sent" | "did" | "posted" | "added"]) {
            return None;
        }
        words.truncate(position);
    }
    match words.as_slice() {
        ["that" | "it" | "this"] => return Some(()),
        ["that" | "this", "one"] => return Some(()),
        _ => {}
    }
    let (noun, before) = words.split_last()?;
    if !matches!(
        *noun,
        "one" | "workout" | "session" | "log" | "entry" | "message" | "training"
    ) {
        return None;
    }
    let (determiner, adjectives) = match before {
        [first, rest @ ..] if matches!(*first, "the" | "my" | "that" | "this") => (true, rest),
        _ => (false, before),
    };
    let adjective = match adjectives {
        [] => false,
        ["last" | "latest" | "previous"] | ["most", "recent"] => true,
        _ => return None,
    };
    // "delete workout" is clear; "delete one" is not.
    (determiner || adjective || *noun != "one").then_some(())
}

/// Phrases that may open an edit: "it was", "make that", "should be"...
const EDIT_OPENERS: &[&[&str]] = &[
    &["it", "was"],
    &["it's"],
    &["its"],
    &["that", "was"],
    &["that's"],
    &["thats"],
    &["i", "did"],
    &["i", "meant"],
    &["meant"],
    &["did"],
    &["should", "be"],
    &["should", "have", "been"],
    &["make", "that"],
    &["make", "it"],
    &["change", "that", "to"],
    &["change", "it", "to"],
];

/// Edits said with an opener, or with "not Y" so that the number is clearly a
/// correction: "it was 8 not 6", "8, not 6", "make that 3 sets", "only 2 sets".
fn edit(words: &[String]) -> Option<Edit> {
    let mut rest = words;
    let mut opened = false;
    if let Some(opener) = EDIT_OPENERS.iter().find(|opener| starts_with(rest, opener)) {
        rest = &rest[opener.len()..];
        opened = true;
    }
    if let Some(first) = rest.first()
        && matches!(first.as_str(), "only" | "just")
    {
        rest = &rest[1..];
        opened = true;
    }
    let (now, after) = amount(rest)?;
    let was = match after {
        [] => None,
        [not, tail @ ..] if not == "not" => Some(amount(tail)?),
        [instead, of, tail @ ..] if instead == "instead" && of == "of" => Some(amount(tail)?),
        _ => return None,
    };
    let was = match was {
        Some((was, [])) => Some(was),
        Some(_) => return None,
        None => None,
    };
    match (now, was) {
        // "3 sets", "3 sets not 4", "3 not 4 sets".
        (
            Amount {
                value,
                unit: Some(Said::Sets),
            },
            None,
        ) if opened => Some(Edit::SetCount(value)),
        (Amount { value, unit }, Some(was))
            if unit == Some(Said::Sets) || was.unit == Some(Said::Sets) =>
        {
            let both_sets = matches!(
                (unit, was.unit),
                (Some(Said::Sets) | None, Some(Said::Sets) | None)
            );
            both_sets.then_some(Edit::SetCount(value))
        }
        (now, Some(was)) => {
            let unit = match (now.unit, was.unit) {
                (Some(a), Some(b)) if a != b => return None,
                (Some(unit), _) | (_, Some(unit)) => Some(unit),
                (None, None) => None,
            };
            let unit = unit.map(|said| match said {
                Said::Seconds => Unit::Seconds,
                _ => Unit::Reps,
            });
            Replacement::new(now.value, was.value, unit).map(Edit::Replace)
        }
        _ => None,
    }
}

/// The unit a number was said with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Said {
    Reps,
    Seconds,
    Sets,
}

#[derive(Debug, Clone, Copy)]
struct Amount {
    value: u32,
    unit: Option<Said>,
}

/// A number and, maybe, its unit; returns the words after them.
fn amount(words: &[String]) -> Option<(Amount, &[String])> {
    let (first, rest) = words.split_first()?;
    let value = number(first)?;
    let said = rest.first().and_then(|word| match word.as_str() {
        "rep" | "reps" | "r" => Some(Said::Reps),
        "s" | "sec" | "secs" | "second" | "seconds" => Some(Said::Seconds),
        "set" | "sets" => Some(Said::Sets),
        _ => None,
    });
    let rest = if said.is_some() { &rest[1..] } else { rest };
    Some((Amount { value, unit: said }, rest))
}

fn number(word: &str) -> Option<u32> {
    const WORDS: &[&str] = &[
        "zero",
        "one",
        "two",
        "three",
        "four",
        "five",
        "six",
        "seven",
        "eight",
        "nine",
        "ten",
        "eleven",
        "twelve",
        "thirteen",
        "fourteen",
        "fifteen",
        "sixteen",
        "seventeen",
        "eighteen",
        "nineteen",
        "twenty",
    ];
    if word.chars().all(|c| c.is_ascii_digit()) {
        // Anything past the set rules' bounds is refused by them later; this only
        // keeps the number within u32.
        return word.parse().ok();
    }
    WORDS
        .iter()
        .position(|name| *name == word)
        .and_then(|position| u32::try_from(position).ok())
}

/// Why an edit was not made; each is told to the person.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CorrectionError {
    #[error("no set had {value}")]
    NoSetHad { value: u32, unit: Option<Unit> },
    #[error("a correction can set 1 to 20 sets, not {asked}")]
    SetCountOutOfRange { asked: u32 },
    #[error("the last exercise already has {sets} sets")]
    AlreadySetCount { exercise: ExerciseRef, sets: usize },
    /// The edited workout breaks the set or workout rules (a number out of bounds).
    #[error(transparent)]
    Invalid(#[from] WorkoutError),
}

/// What an edit changed, for the reply.
#[derive(Debug, Clone, PartialEq)]
pub enum ChangeSummary {
    /// Sets of these exercises went from `was` to `now` reps (or seconds).
    Amounts {
        exercises: Vec<ExerciseRef>,
        unit: Unit,
        was: u32,
        now: u32,
        sets: usize,
    },
    /// The last entry went from `was` to `now` sets.
    SetCount {
        exercise: ExerciseRef,
        was: usize,
        now: usize,
    },
}

/// Applies an edit to a workout; the result passes the same rules as any workout.
pub fn apply(workout: &Workout, edit: &Edit) -> Result<(Workout, ChangeSummary), CorrectionError> {
    match edit {
        Edit::Replace(replacement) => replace(workout, replacement),
        Edit::SetCount(count) => set_count(workout, *count),
    }
}

fn replace(
    workout: &Workout,
    replacement: &Replacement,
) -> Result<(Workout, ChangeSummary), CorrectionError> {
    let matches_reps = |set: &LoggedSet| set.reps == Some(replacement.was);
    let matches_seconds = |set: &LoggedSet| set.seconds == Some(f64::from(replacement.was));
    let any = |test: &dyn Fn(&LoggedSet) -> bool| {
        workout
            .entries()
            .iter()
            .flat_map(|entry| &entry.sets)
            .any(test)
    };
    let unit = match replacement.unit {
        Some(unit) => unit,
        None if any(&matches_reps) => Unit::Reps,
        None => Unit::Seconds,
    };
    let mut exercises: Vec<ExerciseRef> = Vec::new();
    let mut changed = 0;
    let mut entries = Vec::with_capacity(workout.entries().len());
    for entry in workout.entries() {
        let mut sets = Vec::with_capacity(entry.sets.len());
        for set in &entry.sets {
            let hit = match unit {
                Unit::Reps => matches_reps(set),
                Unit::Seconds => matches_seconds(set),
            };
            if !hit {
                sets.push(*set);
                continue;
            }
            let fields = match unit {
                // The person says what the set was: a range written before is gone.
                Unit::Reps => SetFields {
                    reps: Some(replacement.now),
                    reps_max: None,
                    ..**set
                },
                Unit::Seconds => SetFields {
                    seconds: Some(f64::from(replacement.now)),
                    ..**set
                },
            };
            sets.push(LoggedSet::new(fields)?);
            changed += 1;
            if !exercises.contains(&entry.exercise) {
                exercises.push(entry.exercise.clone());
            }
        }
        entries.push(WorkoutEntry {
            exercise: entry.exercise.clone(),
            sets,
        });
    }
    if changed == 0 {
        return Err(CorrectionError::NoSetHad {
            value: replacement.was,
            unit: replacement.unit,
        });
    }
    Ok((
        Workout::new(entries)?,
        ChangeSummary::Amounts {
            exercises,
            unit,
            was: replacement.was,
            now: replacement.now,
            sets: changed,
        },
    ))
}

fn set_count(workout: &Workout, count: u32) -> Result<(Workout, ChangeSummary), CorrectionError> {
    if !SET_COUNTS.contains(&count) {
        return Err(CorrectionError::SetCountOutOfRange { asked: count });
    }
    let wanted = count as usize;
    let mut entries = workout.entries().to_vec();
    let last = entries.last_mut().ok_or(WorkoutError::NoEntries)?;
    let was = last.sets.len();
    if was == wanted {
        return Err(CorrectionError::AlreadySetCount {
            exercise: last.exercise.clone(),
            sets: was,
        });
    }
    let template = *last.sets.last().ok_or(WorkoutError::NoSets)?;
    // More sets repeat the last one; fewer drop the last ones.
    last.sets.resize(wanted, template);
    let exercise = last.exercise.clone();
    Ok((
        Workout::new(entries)?,
        ChangeSummary::SetCount {
            exercise,
            was,
            now: wanted,
        },
    ))
}

/// A stored workout as entries again (consecutive sets of one exercise make an
/// entry), ready to edit. `None` when a stored name no longer passes today's rule for
/// names, which an edit would have to write again.
pub fn editable(stored: &StoredWorkout) -> Option<Workout> {
    let mut entries: Vec<WorkoutEntry> = Vec::new();
    let mut last_key: Option<(&str, bool)> = None;
    for set in &stored.sets {
        let key = (set.exercise_id.as_str(), set.custom);
        if last_key != Some(key) {
            let exercise = if set.custom {
                ExerciseRef::Custom {
                    name: ExerciseName::parse(&set.exercise_name).ok()?,
                }
            } else {
                ExerciseRef::Catalog(set.exercise_id.clone())
            };
            entries.push(WorkoutEntry {
                exercise,
                sets: Vec::new(),
            });
            last_key = Some(key);
        }
        entries.last_mut()?.sets.push(set.set);
    }
    Workout::new(entries).ok()
}

#[cfg(test)]
#[path = "corrections_tests.rs"]
mod tests;
