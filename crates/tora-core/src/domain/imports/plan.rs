//! What importing a read file would create: its workouts as Tora workouts (sets on
//! catalog or custom exercises, times in UTC), the names and where each lands, and
//! every row left out with the reason. A dry run shows this plan; a real import
//! stores its workouts. Nothing here reads or writes storage.

use crate::sorting::CollectTree;
use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, LocalResult, NaiveDateTime, TimeZone, Utc};
use sha2::{Digest, Sha256};

use super::mapping::ExerciseMatch;
use super::{ImportedWorkout, ParsedImport, SetKind};
use crate::domain::catalog::Catalog;
use crate::domain::profile::Timezone;
use crate::domain::workout::{
    ExerciseName, ExerciseRef, LoggedSet, Notes, SetFields, Workout, WorkoutEntry,
};

/// Which of the file's unmapped names the person agreed to keep as their own exercises.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CustomExercises {
    None,
    All,
    /// Names as the file writes them, compared without case.
    Named(BTreeSet<String>),
}

impl CustomExercises {
    pub fn named<'a>(names: impl IntoIterator<Item = &'a str>) -> Self {
        Self::Named(names.into_iter().map(str::to_lowercase).collect_set())
    }

    fn confirms(&self, name: &str) -> bool {
        match self {
            Self::None => false,
            Self::All => true,
            Self::Named(names) => names.contains(&name.to_lowercase()),
        }
    }
}

/// The person's choices for one import.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// Warm-up sets are left out unless asked for: they would count as work sets.
    pub include_warmups: bool,
    pub custom: CustomExercises,
}

/// Where one of the file's exercise names lands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Landing<'c> {
    /// A catalog exercise; `assisted` when the name says so.
    Catalog { id: &'c str, assisted: bool },
    /// One of the person's own exercises, already there.
    Custom,
    /// A new exercise of the person's own, created by this import.
    NewCustom,
    /// Not in the catalog and not confirmed: its sets are left out.
    Unmapped,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedExercise<'c> {
    pub name: String,
    /// Sets of the file with this name (warm-ups included).
    pub sets: usize,
    pub landing: Landing<'c>,
}

/// One workout to store.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedWorkout {
    /// Names the session whatever file it comes in, so a later export that repeats it
    /// is recognised: the source, local start and title, hashed.
    pub key: String,
    pub performed_at: DateTime<Utc>,
    pub notes: Option<Notes>,
    pub workout: Workout,
}

impl PlannedWorkout {
    pub fn set_count(&self) -> usize {
        self.workout
            .entries()
            .iter()
            .map(|entry| entry.sets.len())
            .sum()
    }
}

/// Rows left out for one reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedGroup {
    pub reason: String,
    /// The file's lines, in order.
    pub lines: Vec<usize>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ImportPlan<'c> {
    /// Oldest first.
    pub workouts: Vec<PlannedWorkout>,
    /// Every name of the file, in name order.
    pub exercises: Vec<PlannedExercise<'c>>,
    pub skipped: Vec<SkippedGroup>,
}

impl ImportPlan<'_> {
    /// Names of the person's own exercises this import would create.
    pub fn new_custom_names(&self) -> Vec<&str> {
        self.exercises
            .iter()
            .filter(|exercise| exercise.landing == Landing::NewCustom)
            .map(|exercise| exercise.name.as_str())
            .collect()
    }
}

/// The years a stored time may lie in, as everywhere in the API.
const SUPPORTED_YEARS: std::ops::RangeInclusive<i32> = 1900..=2200;

const WARMUP: &str = "a warm-up set: send include_warmups to import them";
const UNMAPPED: &str =
    "the exercise is not in the catalog: confirm it in create_custom to keep it as your own";
const TOO_MANY_SETS: &str = "over the 200 sets one workout can hold";
const IN_THE_FUTURE: &str = "the workout is dated in the future";
const OUT_OF_RANGE_YEAR: &str = "the workout is dated outside the years 1900 to 2200";

/// Plans the import of `parsed` for a person in `timezone` who already has the custom
/// exercises `own_exercises`, as of `now`.
pub fn plan<'c>(
    catalog: &'c Catalog,
    parsed: &ParsedImport,
    timezone: Timezone,
    own_exercises: &[String],
    options: &ImportOptions,
    now: DateTime<Utc>,
) -> ImportPlan<'c> {
    let exercises = land_names(catalog, parsed, own_exercises, &options.custom);
    let by_name: BTreeMap<&str, &PlannedExercise<'c>> = exercises
        .iter()
        .map(|exercise| (exercise.name.as_str(), exercise))
        .collect_map();
    let mut skipped: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for row in &parsed.skipped {
        skip(&mut skipped, row.reason.describe(), row.line);
    }
    let mut workouts = Vec::new();
    for imported in &parsed.workouts {
        let lines = imported.sets.iter().map(|set| set.line);
        let performed_at = local_to_utc(imported.started_at, timezone);
        if !SUPPORTED_YEARS.contains(&chrono::Datelike::year(&performed_at)) {
            lines.for_each(|line| skip(&mut skipped, OUT_OF_RANGE_YEAR.into(), line));
            continue;
        }
        if performed_at > now + Duration::days(1) {
            lines.for_each(|line| skip(&mut skipped, IN_THE_FUTURE.into(), line));
            continue;
        }
        if let Some(workout) = plan_workout(parsed, imported, &by_name, options, &mut skipped) {
            workouts.push(PlannedWorkout {
                key: session_key(parsed, imported),
                performed_at,
                notes: workout_notes(imported),
                workout,
            });
        }
    }
    let mut skipped: Vec<SkippedGroup> = skipped
        .into_iter()
        .map(|(reason, mut lines)| {
            crate::sorting::sort_by_key(&mut lines, |line| *line);
            SkippedGroup { reason, lines }
        })
        .collect();
    crate::sorting::sort_by_key(&mut skipped, |group| group.lines.first().copied());
    ImportPlan {
        workouts,
        exercises,
        skipped,
    }
}

fn skip(skipped: &mut BTreeMap<String, Vec<usize>>, reason: String, line: usize) {
    skipped.entry(reason).or_default().push(line);
}

fn land_names<'c>(
    catalog: &'c Catalog,
    parsed: &ParsedImport,
    own_exercises: &[String],
    custom: &CustomExercises,
) -> Vec<PlannedExercise<'c>> {
    super::mapping::map_names(catalog, parsed)
        .into_iter()
        .map(|mapping| {
            let landing = match mapping.matched {
                ExerciseMatch::Catalog { id, assisted } => Landing::Catalog { id, assisted },
                ExerciseMatch::Unknown => {
                    let lowered = mapping.name.to_lowercase();
                    if own_exercises
                        .iter()
                        .any(|own| own.to_lowercase() == lowered)
                    {
                        Landing::Custom
                    } else if custom.confirms(&mapping.name)
                        && ExerciseName::parse(&mapping.name).is_ok()
                    {
                        Landing::NewCustom
                    } else {
                        Landing::Unmapped
                    }
                }
            };
            PlannedExercise {
                name: mapping.name,
                sets: mapping.sets,
                landing,
            }
        })
        .collect()
}

/// The workout's sets as entries (a run of sets of one exercise is one entry), or
/// `None` when none of its sets can be imported.
fn plan_workout(
    parsed: &ParsedImport,
    imported: &ImportedWorkout,
    by_name: &BTreeMap<&str, &PlannedExercise<'_>>,
    options: &ImportOptions,
    skipped: &mut BTreeMap<String, Vec<usize>>,
) -> Option<Workout> {
    let mut entries: Vec<WorkoutEntry> = Vec::new();
    let mut count = 0;
    for set in &imported.sets {
        if set.kind == SetKind::Warmup && !options.include_warmups {
            skip(skipped, WARMUP.into(), set.line);
            continue;
        }
        let Some(planned) = by_name.get(set.exercise_name.as_str()) else {
            skip(skipped, UNMAPPED.into(), set.line);
            continue;
        };
        let (exercise, assisted) = match planned.landing {
            Landing::Catalog { id, assisted } => (ExerciseRef::Catalog(id.to_owned()), assisted),
            Landing::Custom | Landing::NewCustom => match ExerciseName::parse(&planned.name) {
                Ok(name) => (ExerciseRef::Custom { name }, false),
                Err(_) => {
                    skip(skipped, UNMAPPED.into(), set.line);
                    continue;
                }
            },
            Landing::Unmapped => {
                skip(skipped, UNMAPPED.into(), set.line);
                continue;
            }
        };
        let load = set.weight_kg.filter(|kg| *kg != 0.0);
        // The loggers write assistance as a weight on an assisted exercise (some as a
        // negative one): it is help taken off bodyweight.
        let (added_kg, assist_kg) = if assisted {
            (None, load.map(f64::abs))
        } else {
            (load, None)
        };
        let fields = SetFields {
            reps: set.reps,
            seconds: set.seconds,
            added_kg,
            assist_kg,
            load_unit: load.map(|_| parsed.unit),
            assisted,
            rpe: set.rpe,
            ..SetFields::default()
        };
        let logged = match LoggedSet::new(fields) {
            Ok(logged) => logged,
            Err(error) => {
                skip(skipped, error.to_string(), set.line);
                continue;
            }
        };
        if count == Workout::MAX_SETS {
            skip(skipped, TOO_MANY_SETS.into(), set.line);
            continue;
        }
        count += 1;
        match entries.last_mut() {
            Some(entry) if entry.exercise == exercise => entry.sets.push(logged),
            _ => entries.push(WorkoutEntry {
                exercise,
                sets: vec![logged],
            }),
        }
    }
    Workout::new(entries).ok()
}

/// Wall-clock time where the person is, in UTC. A time the clocks skipped (spring
/// forward) is read an hour later; a time that happened twice is the first.
pub fn local_to_utc(local: NaiveDateTime, timezone: Timezone) -> DateTime<Utc> {
    match timezone.from_local_datetime(&local) {
        LocalResult::Single(at) | LocalResult::Ambiguous(at, _) => at.with_timezone(&Utc),
        LocalResult::None => match timezone.from_local_datetime(&(local + Duration::hours(1))) {
            LocalResult::Single(at) | LocalResult::Ambiguous(at, _) => at.with_timezone(&Utc),
            LocalResult::None => local.and_utc(),
        },
    }
}

/// The key of every session of the file, in the file's workout order (what to ask
/// storage about before planning).
pub fn session_keys(parsed: &ParsedImport) -> Vec<String> {
    parsed
        .workouts
        .iter()
        .map(|workout| session_key(parsed, workout))
        .collect()
}

fn session_key(parsed: &ParsedImport, imported: &ImportedWorkout) -> String {
    let mut hash = Sha256::new();
    hash.update(parsed.source.as_str());
    hash.update("\n");
    hash.update(crate::domain::date_text::iso_seconds(imported.started_at));
    hash.update("\n");
    hash.update(imported.title.trim());
    hex::encode(hash.finalize())
}

/// The logger's title, then its notes, cut to what a workout's notes hold.
fn workout_notes(imported: &ImportedWorkout) -> Option<Notes> {
    let mut text = imported.title.trim().to_owned();
    if let Some(notes) = imported
        .notes
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
    {
        text.push('\n');
        text.push_str(notes);
    }
    // Control characters other than line breaks and tabs are not kept in notes.
    let cleaned: String = text
        .chars()
        .filter(|c| !c.is_control() || *c == '\n' || *c == '\t')
        .take(Notes::MAX_CHARS)
        .collect();
    Notes::parse(&cleaned).ok()
}

/// The hash that names a whole file: the same bytes are the same import.
pub fn file_hash(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::imports::{ImportSource, parse};
    use crate::domain::profile::Units;

    fn catalog() -> &'static Catalog {
        Catalog::embedded().unwrap()
    }

    fn now() -> DateTime<Utc> {
        "2026-12-03T12:00:00Z".parse().unwrap()
    }

    fn options() -> ImportOptions {
        ImportOptions {
            include_warmups: false,
            custom: CustomExercises::None,
        }
    }

    const STRONG: &str = "\
Date,Workout Name,Duration,Exercise Name,Set Order,Weight,Reps,Distance,Seconds,Notes,Workout Notes,RPE
2024-03-02 18:30:00,\"Pull, Push\",45m,Pull Up,W,0,3,0,0,,,
2024-03-02 18:30:00,\"Pull, Push\",45m,Pull Up,1,0,8,0,0,,felt good,8
2024-03-02 18:30:00,\"Pull, Push\",45m,Pull Up,2,0,8,0,0,,,
2024-03-02 18:30:00,\"Pull, Push\",45m,Pull Up (Assisted),1,20,10,0,0,,,
2024-03-02 18:30:00,\"Pull, Push\",45m,Rest Timer,Rest Timer,0,0,0,90,,,
2024-03-02 18:30:00,\"Pull, Push\",45m,Zercher Carry Ü,1,40,0,30,0,,,
2024-03-02 18:30:00,\"Pull, Push\",45m,Flamingo Press Ü,1,20,5,0,0,,,
2024-03-01 07:00:00,Legs,30m,Flamingo Press Ü,1,20,6,0,0,,,
";

    fn strong() -> ParsedImport {
        parse(ImportSource::Strong, STRONG, Some(Units::Kg)).unwrap()
    }

    #[test]
    fn catalog_names_map_and_warmups_and_unmapped_sets_are_left_out_with_their_lines() {
        let plan = plan(
            catalog(),
            &strong(),
            "Europe/Berlin".parse().unwrap(),
            &[],
            &options(),
            now(),
        );
        // The Legs workout has only an unmapped exercise: nothing to create.
        assert_eq!(plan.workouts.len(), 1);
        let workout = &plan.workouts[0];
        // 18:30 in Berlin in March is 17:30 UTC.
        assert_eq!(
            workout.performed_at.to_rfc3339(),
            "2024-03-02T17:30:00+00:00"
        );
        assert_eq!(workout.notes.as_deref(), Some("Pull, Push\nfelt good"));
        // "Pull Up (Assisted)" is the catalog's pull-up, its sets marked assisted.
        let entries = workout.workout.entries();
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].exercise, ExerciseRef::Catalog("pull_up".into()));
        let sets = &entries[0].sets;
        assert_eq!(sets.len(), 3);
        assert_eq!(sets[0].rpe, Some(8.0));
        assert!(!sets[0].assisted && sets[0].added_kg.is_none());
        // Assistance is help taken off bodyweight, and the set is assisted.
        assert_eq!(sets[2].assist_kg, Some(20.0));
        assert_eq!(sets[2].added_kg, None);
        assert!(sets[2].assisted);
        let reasons: Vec<(&str, &[usize])> = plan
            .skipped
            .iter()
            .map(|group| (group.reason.as_str(), group.lines.as_slice()))
            .collect();
        assert!(reasons.contains(&(WARMUP, &[2][..])));
        assert!(reasons.contains(&(UNMAPPED, &[8, 9][..])));
        assert!(
            reasons
                .iter()
                .any(|(reason, lines)| reason.contains("rest timer") && *lines == [6])
        );
        assert!(
            reasons
                .iter()
                .any(|(reason, lines)| reason.contains("distance") && *lines == [7])
        );
        let unmapped: Vec<&str> = plan
            .exercises
            .iter()
            .filter(|e| e.landing == Landing::Unmapped)
            .map(|e| e.name.as_str())
            .collect();
        assert_eq!(unmapped, ["Flamingo Press Ü"]);
    }

    #[test]
    fn confirmed_names_become_custom_exercises_and_known_ones_are_reused() {
        let mut chosen = options();
        chosen.custom = CustomExercises::named(["flamingo press ü"]);
        let plan = plan(catalog(), &strong(), Timezone::utc(), &[], &chosen, now());
        assert_eq!(plan.workouts.len(), 2);
        assert_eq!(plan.new_custom_names(), ["Flamingo Press Ü"]);
        let legs = &plan.workouts[0];
        assert_eq!(legs.workout.entries()[0].sets[0].added_kg, Some(20.0));
        assert_eq!(legs.workout.entries()[0].sets[0].load_unit, Some(Units::Kg));

        let own = vec!["FLAMINGO PRESS ü".to_owned()];
        let plan = plan_of(&own, &options());
        assert!(plan.new_custom_names().is_empty());
        assert_eq!(
            plan.workouts.len(),
            2,
            "a name the person already has is theirs"
        );
    }

    fn plan_of(own: &[String], options: &ImportOptions) -> ImportPlan<'static> {
        plan(catalog(), &strong(), Timezone::utc(), own, options, now())
    }

    #[test]
    fn warmups_come_in_when_asked() {
        let mut chosen = options();
        chosen.include_warmups = true;
        let plan = plan_of(&[], &chosen);
        assert_eq!(plan.workouts[0].workout.entries()[0].sets.len(), 4);
        assert!(plan.skipped.iter().all(|group| group.reason != WARMUP));
    }

    #[test]
    fn the_same_session_has_the_same_key_in_any_file_and_another_session_another() {
        let first = plan_of(&[], &options());
        let longer =
            format!("{STRONG}2024-03-09 18:30:00,\"Pull, Push\",45m,Pull Up,1,0,9,0,0,,,\n");
        let parsed = parse(ImportSource::Strong, &longer, Some(Units::Kg)).unwrap();
        let second = plan(catalog(), &parsed, Timezone::utc(), &[], &options(), now());
        assert_eq!(second.workouts.len(), 2);
        assert_eq!(first.workouts[0].key, second.workouts[0].key);
        assert_ne!(second.workouts[0].key, second.workouts[1].key);
        assert_ne!(file_hash(STRONG), file_hash(&longer));
    }

    #[test]
    fn local_times_in_a_gap_or_an_overlap_have_one_reading() {
        let berlin: Timezone = "Europe/Berlin".parse().unwrap();
        let gap = "2024-03-31T02:30:00".parse().unwrap();
        assert_eq!(
            local_to_utc(gap, berlin).to_rfc3339(),
            "2024-03-31T01:30:00+00:00"
        );
        let twice = "2024-10-27T02:30:00".parse().unwrap();
        assert_eq!(
            local_to_utc(twice, berlin).to_rfc3339(),
            "2024-10-27T00:30:00+00:00"
        );
    }

    #[test]
    fn a_workout_dated_ahead_is_left_out() {
        let plan = plan(
            catalog(),
            &strong(),
            Timezone::utc(),
            &[],
            &options(),
            "2024-03-01T00:00:00Z".parse().unwrap(),
        );
        assert!(plan.workouts.is_empty());
        assert!(
            plan.skipped
                .iter()
                .any(|group| group.reason == IN_THE_FUTURE)
        );
    }

    #[test]
    fn more_sets_than_a_workout_holds_are_named() {
        let mut text = String::from("Date,Workout Name,Exercise Name,Set Order,Weight,Reps\n");
        for set in 1..=205 {
            text.push_str(&format!("2024-01-01 10:00:00,Volume,Push Up,{set},,10\n"));
        }
        let parsed = parse(ImportSource::Strong, &text, Some(Units::Kg)).unwrap();
        let plan = plan(catalog(), &parsed, Timezone::utc(), &[], &options(), now());
        assert_eq!(plan.workouts[0].set_count(), 200);
        let over = plan
            .skipped
            .iter()
            .find(|group| group.reason == TOO_MANY_SETS)
            .unwrap();
        assert_eq!(over.lines, (202..=206).collect::<Vec<_>>());
    }
}
