//! The exercise catalog: the skill tree and every exercise Tora knows by name, read
//! from `crates/tora-core/data/skills.csv` and `exercise-aliases.csv`, which are
//! compiled into the binary. The ids are the public ids of the API. Every exercise
//! also has a guide (a description, two to four form cues and its video's storage
//! key) from `exercise-guides.psv`, written by the team and kept beside the tree; its
//! fields are separated by `|` so the prose can hold commas.
//!
//! Loading never panics: [`Catalog::embedded`] parses the embedded files once (behind
//! a `OnceLock`) and returns a `Result`; a unit test loads them, so a broken data file
//! fails the build's tests instead of a request.
//!
//! Names are compared by [`name_key`]: lowercase letters and digits of every word,
//! a plural `s` dropped, the words joined. "Pull-ups", "pull ups" and "pullup" are the
//! same key. Typos are forgiven by a small Damerau-Levenshtein distance that grows
//! with the length of the name, and never when two exercises are equally close.

use crate::sorting::CollectTree;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use crate::domain::skills::{Goal, GoalTarget, SkillNode};

const SKILLS_CSV: &str = include_str!("../../data/skills.csv");
const ALIASES_CSV: &str = include_str!("../../data/exercise-aliases.csv");
const GUIDES_PSV: &str = include_str!("../../data/exercise-guides.psv");

const SKILLS_FILE: &str = "skills.csv";
const ALIASES_FILE: &str = "exercise-aliases.csv";
const SKILLS_HEADER: &str =
    "id,name,category,prerequisites,goal_sets,goal_reps,goal_seconds,each_side";
const ALIASES_HEADER: &str = "exercise,aliases";
const GUIDES_FILE: &str = "exercise-guides.psv";
const GUIDES_HEADER: &str = "exercise|description|cue_1|cue_2|cue_3|cue_4|video_key";

/// A guide's description is a short paragraph, a cue one line a person can keep in
/// mind mid-set: longer text is a sign it belongs somewhere else.
const MAX_DESCRIPTION_CHARS: usize = 400;
const MAX_CUE_CHARS: usize = 100;
const MIN_CUES: usize = 2;
const MAX_CUES: usize = 4;

/// Why the catalog data could not be read. Only a broken data file causes one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CatalogError {
    #[error("{file}: the first line must be `{expected}`")]
    Header {
        file: &'static str,
        expected: &'static str,
    },
    #[error("{file} line {line}: {problem}")]
    Row {
        file: &'static str,
        line: usize,
        problem: String,
    },
    #[error("skill `{skill}` requires `{prerequisite}`, which is not a skill")]
    UnknownPrerequisite { skill: String, prerequisite: String },
    #[error("the prerequisites of skill `{0}` lead back to it")]
    PrerequisiteCycle(String),
    #[error("the name `{name}` would mean both `{first}` and `{second}`")]
    NameConflict {
        name: String,
        first: String,
        second: String,
    },
    #[error("{GUIDES_FILE} has a guide for `{0}`, which is not an exercise")]
    UnknownGuide(String),
    #[error("exercise `{0}` has no guide in {GUIDES_FILE}")]
    MissingGuide(String),
}

/// The branch of the skill tree a skill belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Category {
    Push,
    Pull,
    Legs,
    Core,
    Skill,
}

impl Category {
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Push => "push",
            Category::Pull => "pull",
            Category::Legs => "legs",
            Category::Core => "core",
            Category::Skill => "skill",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "push" => Some(Category::Push),
            "pull" => Some(Category::Pull),
            "legs" => Some(Category::Legs),
            "core" => Some(Category::Core),
            "skill" => Some(Category::Skill),
            _ => None,
        }
    }
}

/// A node of the skill tree: what it requires and what masters it.
#[derive(Debug, Clone, PartialEq)]
pub struct Skill {
    id: String,
    name: String,
    category: Category,
    prerequisites: Vec<String>,
    goal: Goal,
}

impl Skill {
    pub fn id(&self) -> &str {
        &self.id
    }
    pub fn name(&self) -> &str {
        &self.name
    }
    pub fn category(&self) -> Category {
        self.category
    }
    /// Skill ids, in the order the data file lists them.
    pub fn prerequisites(&self) -> &[String] {
        &self.prerequisites
    }
    pub fn goal(&self) -> Goal {
        self.goal
    }
    /// Whether the skill is trained by holding a position (its goal is in seconds).
    pub fn is_hold(&self) -> bool {
        matches!(self.goal.target, GoalTarget::Seconds(_))
    }
    /// The view the skill-tree rules work on.
    pub fn node(&self) -> SkillNode {
        SkillNode {
            id: self.id.clone(),
            prerequisites: self.prerequisites.clone(),
            goal: self.goal,
        }
    }
}

/// Anything a set can be logged against: every skill, plus the exercises that only
/// the alias file names (burpees, lunges, ...), which belong to no category.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exercise {
    id: String,
    name: String,
    aliases: Vec<String>,
    category: Option<Category>,
    guide: Guide,
}

impl Exercise {
    pub fn id(&self) -> &str {
        &self.id
    }
    /// The skill's name, or for an exercise outside the tree a name made from its id
    /// ("jumping_jack" → "Jumping jack").
    pub fn name(&self) -> &str {
        &self.name
    }
    /// The aliases and slang of the alias file, as written there.
    pub fn aliases(&self) -> &[String] {
        &self.aliases
    }
    pub fn category(&self) -> Option<Category> {
        self.category
    }
    pub fn is_skill(&self) -> bool {
        self.category.is_some()
    }
    /// How to perform it: every exercise has one.
    pub fn guide(&self) -> &Guide {
        &self.guide
    }
}

/// How to perform an exercise, as the team wrote it: a plain description, two to four
/// form cues, and where its demonstration video is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Guide {
    description: String,
    cues: Vec<String>,
    video_key: VideoKey,
}

impl Guide {
    pub fn description(&self) -> &str {
        &self.description
    }
    /// Two to four, in the order they are taught.
    pub fn cues(&self) -> &[String] {
        &self.cues
    }
    pub fn video_key(&self) -> &VideoKey {
        &self.video_key
    }
}

/// The object key of a video in media storage (`exercises/pull_up.mp4`): relative,
/// of letters, digits and `/_-.` only, so it goes into a URL path as it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VideoKey(String);

impl VideoKey {
    pub fn parse(raw: &str) -> Option<Self> {
        let safe = raw
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'/' | b'_' | b'-' | b'.'));
        // Empty segments and `..` would make a URL that points somewhere else.
        let segments_ok = raw
            .split('/')
            .all(|segment| !segment.is_empty() && segment != "." && segment != "..");
        (safe && segments_ok).then(|| Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What a free-text exercise name refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolution<'a> {
    /// The name is the id, the name or an alias of this exercise (after [`name_key`]).
    Exact(&'a str),
    /// The name is a small typo away from this exercise and from no other.
    Fuzzy(&'a str),
    /// The name is equally close to two or more exercises; never guessed.
    Ambiguous,
    Unknown,
}

#[derive(Debug, Clone)]
pub struct Catalog {
    skills: Vec<Skill>,
    exercises: Vec<Exercise>,
    exercise_by_id: BTreeMap<String, usize>,
    skill_by_id: BTreeMap<String, usize>,
    /// Every name key (ids, names, aliases) → index into `exercises`.
    exercise_by_key: BTreeMap<String, usize>,
    /// The same keys as characters, bucketed by length: a typo changes the length by
    /// at most its allowance, so only a few buckets are compared.
    keys_by_length: Vec<Vec<(Vec<char>, usize)>>,
    /// Every word of every name, singular: what a typo of a name may be made of.
    name_words: BTreeSet<String>,
    /// The most words any one name has.
    longest_name_words: usize,
}

impl Catalog {
    /// The catalog compiled into the binary, parsed on first use.
    pub fn embedded() -> Result<&'static Catalog, CatalogError> {
        static EMBEDDED: OnceLock<Result<Catalog, CatalogError>> = OnceLock::new();
        EMBEDDED
            .get_or_init(|| Catalog::from_csv(SKILLS_CSV, ALIASES_CSV, GUIDES_PSV))
            .as_ref()
            .map_err(Clone::clone)
    }

    /// Builds a catalog from the data files' contents. Fields are plain (no quoting),
    /// prerequisites and aliases are `;`-separated; the guides' fields are separated
    /// by `|`.
    pub fn from_csv(
        skills_csv: &str,
        aliases_csv: &str,
        guides_psv: &str,
    ) -> Result<Catalog, CatalogError> {
        let skills = parse_skills(skills_csv)?;
        check_prerequisites(&skills)?;
        let exercises = build_exercises(
            &skills,
            parse_aliases(aliases_csv)?,
            parse_guides(guides_psv)?,
        )?;
        Self::index(skills, exercises)
    }

    fn index(skills: Vec<Skill>, exercises: Vec<Exercise>) -> Result<Catalog, CatalogError> {
        let skill_by_id = positions(skills.iter().map(Skill::id));
        let exercise_by_id = positions(exercises.iter().map(Exercise::id));
        let mut exercise_by_key: BTreeMap<String, usize> = BTreeMap::new();
        let mut name_words = BTreeSet::new();
        let mut longest_name_words = 0;
        for (index, exercise) in exercises.iter().enumerate() {
            for name in exercise_names(exercise) {
                let words = name_words_of(name);
                longest_name_words = longest_name_words.max(words.len());
                let key = words.concat();
                name_words.extend(words);
                if key.is_empty() {
                    continue;
                }
                match exercise_by_key.get(&key) {
                    Some(&other) if other != index => {
                        return Err(CatalogError::NameConflict {
                            name: name.to_owned(),
                            first: exercises[other].id.clone(),
                            second: exercise.id.clone(),
                        });
                    }
                    _ => {
                        exercise_by_key.insert(key, index);
                    }
                }
            }
        }
        let mut keys_by_length: Vec<Vec<(Vec<char>, usize)>> = Vec::new();
        for (key, &index) in &exercise_by_key {
            let chars: Vec<char> = key.chars().collect();
            if keys_by_length.len() <= chars.len() {
                keys_by_length.resize(chars.len() + 1, Vec::new());
            }
            if let Some(bucket) = keys_by_length.get_mut(chars.len()) {
                bucket.push((chars, index));
            }
        }
        Ok(Catalog {
            skills,
            exercises,
            exercise_by_id,
            skill_by_id,
            exercise_by_key,
            keys_by_length,
            name_words,
            longest_name_words,
        })
    }

    pub fn exercise(&self, id: &str) -> Option<&Exercise> {
        self.exercise_by_id
            .get(id)
            .and_then(|&index| self.exercises.get(index))
    }

    pub fn skill(&self, id: &str) -> Option<&Skill> {
        self.skill_by_id
            .get(id)
            .and_then(|&index| self.skills.get(index))
    }

    /// Every skill, in the order of the data file.
    pub fn skills(&self) -> &[Skill] {
        &self.skills
    }

    /// The step down from a skill: its direct prerequisites, in file order.
    pub fn easier(&self, skill: &Skill) -> Vec<&Skill> {
        skill
            .prerequisites
            .iter()
            .filter_map(|id| self.skill(id))
            .collect()
    }

    /// The steps up from a skill: the skills that require it directly, in file order.
    pub fn harder(&self, skill: &Skill) -> Vec<&Skill> {
        self.skills
            .iter()
            .filter(|other| other.prerequisites.contains(&skill.id))
            .collect()
    }

    /// Every exercise: the skills in file order, then the alias file's other exercises.
    pub fn exercises(&self) -> &[Exercise] {
        &self.exercises
    }

    /// The exercise a free-text name means, tolerating case, hyphens, spaces, plurals
    /// and (for names of five letters or more) a typo.
    pub fn resolve(&self, name: &str) -> Resolution<'_> {
        let key = name_key(name);
        if key.is_empty() {
            return Resolution::Unknown;
        }
        match self.exercise_for_key(&key) {
            Some(exercise) => Resolution::Exact(exercise.id()),
            None => self
                .closest_to_key(&key)
                .map_or(Resolution::Unknown, |(_, resolution)| resolution),
        }
    }

    /// The exercise whose name has exactly this [`name_key`].
    pub(crate) fn exercise_for_key(&self, key: &str) -> Option<&Exercise> {
        self.exercise_by_key
            .get(key)
            .and_then(|&index| self.exercises.get(index))
    }

    /// The exercises closest to `key` within its typo allowance, with their distance:
    /// `Fuzzy` when one exercise is closest, `Ambiguous` when several tie.
    pub(crate) fn closest_to_key(&self, key: &str) -> Option<(usize, Resolution<'_>)> {
        let key: Vec<char> = key.chars().collect();
        // No candidate gets more than the key's own allowance.
        let widest = typo_allowance(key.len());
        if widest == 0 {
            return None;
        }
        let mut best_distance = usize::MAX;
        let mut closest: BTreeSet<usize> = BTreeSet::new();
        let lengths = key.len().saturating_sub(widest)..=key.len() + widest;
        let candidates = lengths
            .filter_map(|length| self.keys_by_length.get(length))
            .flatten();
        for (candidate, index) in candidates {
            // The shorter name sets the allowance: "crowd" is no typo of "crow".
            let allowance = typo_allowance(key.len().min(candidate.len()));
            if candidate.len().abs_diff(key.len()) > allowance || !share_a_start(&key, candidate) {
                continue;
            }
            let Some(distance) = edit_distance_within(&key, candidate, allowance) else {
                continue;
            };
            if distance < best_distance {
                best_distance = distance;
                closest.clear();
            }
            if distance == best_distance {
                closest.insert(*index);
            }
        }
        let mut closest = closest.into_iter();
        let resolution = match (closest.next(), closest.next()) {
            (Some(index), None) => Resolution::Fuzzy(self.exercises.get(index)?.id()),
            (Some(_), Some(_)) => Resolution::Ambiguous,
            (None, _) => return None,
        };
        Some((best_distance, resolution))
    }

    /// Whether `word` (lowercase, singular) occurs in some exercise name.
    pub(crate) fn is_name_word(&self, word: &str) -> bool {
        self.name_words.contains(word)
    }

    /// The most words any one exercise name has: how far a name match may reach.
    pub(crate) fn longest_name_words(&self) -> usize {
        self.longest_name_words
    }
}

/// The comparable form of a name: see the module documentation.
pub fn name_key(name: &str) -> String {
    name_words_of(name).concat()
}

/// The words of a name: runs of letters and digits, lowercased, plural `s` dropped.
fn name_words_of(name: &str) -> Vec<String> {
    name.split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .map(|word| singular(&word.to_lowercase()).to_owned())
        .collect()
}

/// Drops a plural `s`: "dips" → "dip", but not from short words ("hs", "abs") or from
/// "ss" endings ("press", "bss"), where the `s` is part of the word.
pub(crate) fn singular(word: &str) -> &str {
    if word.chars().count() > 3 && word.ends_with('s') && !word.ends_with("ss") {
        &word[..word.len() - 1]
    } else {
        word
    }
}

/// How many edits a typo of a name this long may have: none for short names, where
/// one edit already turns a word into another ("bike" → "pike"), two for long ones.
fn typo_allowance(length: usize) -> usize {
    match length {
        0..=4 => 0,
        5..=8 => 1,
        _ => 2,
    }
}

/// Whether one of the first two characters of each appears among the first two of the
/// other: always true within one edit, and it skips most names cheaply. (Two edits
/// both at the start of a long name are not forgiven.)
fn share_a_start(left: &[char], right: &[char]) -> bool {
    let left = left.get(..2).unwrap_or(left);
    let right = right.get(..2).unwrap_or(right);
    left.iter().any(|c| right.contains(c))
}

/// Damerau-Levenshtein distance (optimal string alignment): insertions, deletions,
/// substitutions and swaps of two neighbouring letters each cost one. `None` when it
/// exceeds `limit`, found early: once a whole row is past the limit, so is the end.
pub(crate) fn edit_distance_within(left: &[char], right: &[char], limit: usize) -> Option<usize> {
    if left.len().abs_diff(right.len()) > limit {
        return None;
    }
    let width = right.len() + 1;
    let mut before_previous: Vec<usize> = vec![0; width];
    let mut previous: Vec<usize> = (0..width).collect();
    let mut current: Vec<usize> = vec![0; width];
    for (i, &left_char) in left.iter().enumerate() {
        current[0] = i + 1;
        for (j, &right_char) in right.iter().enumerate() {
            let substitution = usize::from(left_char != right_char);
            let mut best = (previous[j + 1] + 1)
                .min(current[j] + 1)
                .min(previous[j] + substitution);
            let swapped = i > 0
                && j > 0
                && left.get(i - 1) == Some(&right_char)
                && right.get(j - 1) == Some(&left_char);
            if swapped {
                best = best.min(before_previous[j - 1] + 1);
            }
            current[j + 1] = best;
        }
        if current.iter().all(|&distance| distance > limit) {
            return None;
        }
        std::mem::swap(&mut before_previous, &mut previous);
        std::mem::swap(&mut previous, &mut current);
    }
    previous
        .last()
        .copied()
        .filter(|&distance| distance <= limit)
}

fn positions<'a>(ids: impl Iterator<Item = &'a str>) -> BTreeMap<String, usize> {
    ids.enumerate()
        .map(|(index, id)| (id.to_owned(), index))
        .collect_map()
}

fn exercise_names(exercise: &Exercise) -> impl Iterator<Item = &str> {
    [exercise.id.as_str(), exercise.name.as_str()]
        .into_iter()
        .chain(exercise.aliases.iter().map(String::as_str))
}

/// The data rows of a CSV file after its header, with their 1-based line numbers.
fn data_rows<'a>(
    csv: &'a str,
    file: &'static str,
    header: &'static str,
) -> Result<impl Iterator<Item = (usize, &'a str)>, CatalogError> {
    let mut lines = csv.lines().enumerate();
    match lines.next() {
        Some((_, first)) if first.trim_end() == header => {}
        _ => {
            return Err(CatalogError::Header {
                file,
                expected: header,
            });
        }
    }
    Ok(lines
        .map(|(index, line)| (index + 1, line.trim_end()))
        .filter(|(_, line)| !line.is_empty()))
}

fn row_error(file: &'static str, line: usize, problem: impl Into<String>) -> CatalogError {
    CatalogError::Row {
        file,
        line,
        problem: problem.into(),
    }
}

/// Splits a row into exactly `count` plain comma-separated fields; quoting is not
/// supported.
fn fields<'a>(
    file: &'static str,
    line: usize,
    row: &'a str,
    count: usize,
) -> Result<Vec<&'a str>, CatalogError> {
    fields_separated_by(',', file, line, row, count)
}

/// Splits a row into exactly `count` plain fields. A double quote is refused: it
/// means the file was saved with quoting, which this reader would misread.
fn fields_separated_by<'a>(
    separator: char,
    file: &'static str,
    line: usize,
    row: &'a str,
    count: usize,
) -> Result<Vec<&'a str>, CatalogError> {
    if row.contains('"') {
        return Err(row_error(file, line, "quoted fields are not supported"));
    }
    let fields: Vec<&str> = row.split(separator).map(str::trim).collect();
    if fields.len() != count {
        return Err(row_error(
            file,
            line,
            format!("expected {count} fields, found {}", fields.len()),
        ));
    }
    Ok(fields)
}

fn is_valid_id(id: &str) -> bool {
    !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

fn parse_skills(csv: &str) -> Result<Vec<Skill>, CatalogError> {
    let mut skills: Vec<Skill> = Vec::new();
    for (line, row) in data_rows(csv, SKILLS_FILE, SKILLS_HEADER)? {
        let skill = parse_skill_row(line, row)?;
        if skills.iter().any(|known| known.id == skill.id) {
            return Err(row_error(
                SKILLS_FILE,
                line,
                format!("duplicate id `{}`", skill.id),
            ));
        }
        skills.push(skill);
    }
    Ok(skills)
}

fn parse_skill_row(line: usize, row: &str) -> Result<Skill, CatalogError> {
    let error = |problem: String| row_error(SKILLS_FILE, line, problem);
    let [
        id,
        name,
        category,
        prerequisites,
        sets,
        reps,
        seconds,
        each_side,
    ] = fields(SKILLS_FILE, line, row, 8)?[..]
    else {
        return Err(error("expected 8 fields".into()));
    };
    if !is_valid_id(id) {
        return Err(error(format!("invalid id `{id}`")));
    }
    if name.is_empty() {
        return Err(error("empty name".into()));
    }
    let category =
        Category::parse(category).ok_or_else(|| error(format!("unknown category `{category}`")))?;
    let count = |field: &str, raw: &str| {
        raw.parse::<u32>()
            .ok()
            .filter(|value| *value > 0)
            .ok_or_else(|| error(format!("{field} must be a positive integer, found `{raw}`")))
    };
    let target = match (reps, seconds) {
        (reps, "") => GoalTarget::Reps(count("goal_reps", reps)?),
        ("", seconds) => GoalTarget::Seconds(count("goal_seconds", seconds)?),
        _ => return Err(error("a goal has reps or seconds, not both".into())),
    };
    let each_side = match each_side {
        "true" => true,
        "false" => false,
        other => {
            return Err(error(format!(
                "each_side must be true or false, found `{other}`"
            )));
        }
    };
    Ok(Skill {
        id: id.to_owned(),
        name: name.to_owned(),
        category,
        prerequisites: split_list(prerequisites),
        goal: Goal {
            sets: count("goal_sets", sets)?,
            target,
            each_side,
        },
    })
}

fn split_list(field: &str) -> Vec<String> {
    field
        .split(';')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Every prerequisite is a skill, and no skill requires itself through others.
fn check_prerequisites(skills: &[Skill]) -> Result<(), CatalogError> {
    let by_id: BTreeMap<&str, &Skill> =
        skills.iter().map(|skill| (skill.id(), skill)).collect_map();
    for skill in skills {
        for prerequisite in &skill.prerequisites {
            if !by_id.contains_key(prerequisite.as_str()) {
                return Err(CatalogError::UnknownPrerequisite {
                    skill: skill.id.clone(),
                    prerequisite: prerequisite.clone(),
                });
            }
        }
    }
    for skill in skills {
        // Walk everything the skill requires; meeting the skill itself is a cycle.
        let mut pending: Vec<&str> = skill.prerequisites.iter().map(String::as_str).collect();
        let mut seen: BTreeSet<&str> = BTreeSet::new();
        while let Some(id) = pending.pop() {
            if id == skill.id {
                return Err(CatalogError::PrerequisiteCycle(skill.id.clone()));
            }
            if seen.insert(id)
                && let Some(required) = by_id.get(id)
            {
                pending.extend(required.prerequisites.iter().map(String::as_str));
            }
        }
    }
    Ok(())
}

/// The alias file's rows: exercise id → aliases, in file order.
fn parse_aliases(csv: &str) -> Result<Vec<(String, Vec<String>)>, CatalogError> {
    let mut rows: Vec<(String, Vec<String>)> = Vec::new();
    for (line, row) in data_rows(csv, ALIASES_FILE, ALIASES_HEADER)? {
        let [id, aliases] = fields(ALIASES_FILE, line, row, 2)?[..] else {
            return Err(row_error(ALIASES_FILE, line, "expected 2 fields"));
        };
        if !is_valid_id(id) {
            return Err(row_error(ALIASES_FILE, line, format!("invalid id `{id}`")));
        }
        if rows.iter().any(|(known, _)| known == id) {
            return Err(row_error(
                ALIASES_FILE,
                line,
                format!("duplicate id `{id}`"),
            ));
        }
        rows.push((id.to_owned(), split_list(aliases)));
    }
    Ok(rows)
}

/// The guide file's rows: exercise id → guide, in file order.
fn parse_guides(psv: &str) -> Result<Vec<(String, Guide)>, CatalogError> {
    let mut rows: Vec<(String, Guide)> = Vec::new();
    for (line, row) in data_rows(psv, GUIDES_FILE, GUIDES_HEADER)? {
        let error = |problem: String| row_error(GUIDES_FILE, line, problem);
        let [id, description, cue_1, cue_2, cue_3, cue_4, video_key] =
            fields_separated_by('|', GUIDES_FILE, line, row, 7)?[..]
        else {
            return Err(error("expected 7 fields".into()));
        };
        if !is_valid_id(id) {
            return Err(error(format!("invalid id `{id}`")));
        }
        if rows.iter().any(|(known, _)| known == id) {
            return Err(error(format!("duplicate id `{id}`")));
        }
        if description.is_empty() {
            return Err(error("empty description".into()));
        }
        if description.chars().count() > MAX_DESCRIPTION_CHARS {
            return Err(error(format!(
                "the description is longer than {MAX_DESCRIPTION_CHARS} characters"
            )));
        }
        let given = [cue_1, cue_2, cue_3, cue_4];
        // Cues fill the columns from the first: a gap is a misplaced cue.
        let count = given.iter().take_while(|cue| !cue.is_empty()).count();
        if given.iter().skip(count).any(|cue| !cue.is_empty()) {
            return Err(error("cues must fill cue_1 onwards without gaps".into()));
        }
        if !(MIN_CUES..=MAX_CUES).contains(&count) {
            return Err(error(format!(
                "a guide has {MIN_CUES} to {MAX_CUES} cues, found {count}"
            )));
        }
        if let Some(long) = given.iter().find(|cue| cue.chars().count() > MAX_CUE_CHARS) {
            return Err(error(format!(
                "the cue `{long}` is longer than {MAX_CUE_CHARS} characters"
            )));
        }
        let video_key = VideoKey::parse(video_key)
            .ok_or_else(|| error(format!("invalid video_key `{video_key}`")))?;
        rows.push((
            id.to_owned(),
            Guide {
                description: description.to_owned(),
                cues: given[..count].iter().map(|cue| (*cue).to_owned()).collect(),
                video_key,
            },
        ));
    }
    Ok(rows)
}

fn build_exercises(
    skills: &[Skill],
    aliases: Vec<(String, Vec<String>)>,
    guides: Vec<(String, Guide)>,
) -> Result<Vec<Exercise>, CatalogError> {
    let mut guides: BTreeMap<String, Guide> = guides.into_iter().collect_map();
    let mut guide_of = |id: &str| {
        guides
            .remove(id)
            .ok_or_else(|| CatalogError::MissingGuide(id.to_owned()))
    };
    let mut exercises: Vec<Exercise> = Vec::new();
    for skill in skills {
        exercises.push(Exercise {
            id: skill.id.clone(),
            name: skill.name.clone(),
            aliases: Vec::new(),
            category: Some(skill.category),
            guide: guide_of(&skill.id)?,
        });
    }
    for (id, names) in aliases {
        match exercises.iter_mut().find(|exercise| exercise.id == id) {
            Some(exercise) => exercise.aliases = names,
            None => exercises.push(Exercise {
                name: name_from_id(&id),
                guide: guide_of(&id)?,
                id,
                aliases: names,
                category: None,
            }),
        }
    }
    match guides.into_keys().next() {
        Some(unknown) => Err(CatalogError::UnknownGuide(unknown)),
        None => Ok(exercises),
    }
}

/// "jumping_jack" → "Jumping jack".
fn name_from_id(id: &str) -> String {
    let spaced = id.replace('_', " ");
    let mut chars = spaced.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => spaced,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalog() -> &'static Catalog {
        Catalog::embedded().expect("the embedded catalog loads")
    }

    #[test]
    fn the_embedded_data_loads_with_every_skill_and_alias_exercise() {
        let catalog = catalog();
        assert_eq!(catalog.skills().len(), 70);
        assert_eq!(catalog.exercises().len(), 76);
        assert_eq!(catalog.skills()[0].id(), "wall_push_up");
        assert_eq!(catalog.skills()[69].id(), "human_flag");
        let ring_dip = catalog.skill("ring_dip").unwrap();
        assert_eq!(ring_dip.prerequisites(), ["dip", "ring_support_hold"]);
        assert_eq!(ring_dip.category(), Category::Push);
        assert_eq!(
            catalog.skill("l_sit").unwrap().goal(),
            Goal {
                sets: 3,
                target: GoalTarget::Seconds(20),
                each_side: false
            }
        );
        assert!(catalog.skill("archer_push_up").unwrap().goal().each_side);
        let burpee = catalog.exercise("burpee").unwrap();
        assert_eq!(burpee.name(), "Burpee");
        assert!(!burpee.is_skill());
        assert!(catalog.skill("burpee").is_none());
        assert_eq!(
            catalog.exercise("jumping_jack").unwrap().name(),
            "Jumping jack"
        );
        assert_eq!(
            catalog.exercise("pull_up").unwrap().aliases(),
            ["pull-ups", "pullups", "pull ups", "pullies", "pu"]
        );
    }

    #[test]
    fn every_skill_has_aliases_and_every_alias_id_is_an_exercise() {
        let catalog = catalog();
        for skill in catalog.skills() {
            let exercise = catalog.exercise(skill.id()).unwrap();
            assert!(
                !exercise.aliases().is_empty(),
                "{} has no aliases",
                skill.id()
            );
            assert_eq!(exercise.name(), skill.name());
        }
    }

    #[test]
    fn names_resolve_through_case_hyphens_spaces_and_plurals() {
        let catalog = catalog();
        for (name, id) in [
            ("Pull-ups", "pull_up"),
            ("pull ups", "pull_up"),
            ("PULLUP", "pull_up"),
            ("pull_up", "pull_up"),
            ("Parallel bar dip", "dip"),
            ("l-sits", "l_sit"),
            ("L sit", "l_sit"),
            ("c2b", "chest_to_bar_pull_up"),
            ("oapu", "one_arm_push_up"),
            ("oapu pull", "one_arm_pull_up"),
            ("assisted pistols", "assisted_pistol_squat"),
            ("feet elevated push-ups", "decline_push_up"),
            ("elevated push ups", "incline_push_up"),
            ("squat jumps", "jump_squat"),
            ("HS", "handstand"),
        ] {
            assert_eq!(catalog.resolve(name), Resolution::Exact(id), "{name}");
        }
    }

    #[test]
    fn typos_resolve_only_when_one_exercise_is_closest() {
        let catalog = catalog();
        assert_eq!(catalog.resolve("pul ups"), Resolution::Fuzzy("pull_up"));
        assert_eq!(catalog.resolve("plnak"), Resolution::Fuzzy("plank"));
        assert_eq!(
            catalog.resolve("bulgarain split squats"),
            Resolution::Fuzzy("bulgarian_split_squat")
        );
        // One letter from both "tuck fl" and "tuck bl".
        assert_eq!(catalog.resolve("tuck gl"), Resolution::Ambiguous);
        // Short words get no typo allowance: "bike" is not "pike".
        assert_eq!(catalog.resolve("bike"), Resolution::Unknown);
        // Two edits are too many for a six-letter word ("bar dips").
        assert_eq!(catalog.resolve("cardio"), Resolution::Unknown);
        // The shorter name sets the allowance: "crowd" is not "crow".
        assert_eq!(catalog.resolve("crowd"), Resolution::Unknown);
        assert_eq!(catalog.resolve("farmer walks"), Resolution::Unknown);
        assert_eq!(catalog.resolve(""), Resolution::Unknown);
    }

    /// A guide row for `id` that passes every check.
    fn guide_row(id: &str) -> String {
        format!("{id}|Do it well.|Cue one|Cue two|||exercises/{id}.mp4\n")
    }

    fn guides_for(ids: &[&str]) -> String {
        let rows: String = ids.iter().map(|id| guide_row(id)).collect();
        format!("{GUIDES_HEADER}\n{rows}")
    }

    #[test]
    fn broken_data_is_an_error_not_a_panic() {
        let header = format!("{SKILLS_HEADER}\n");
        let aliases = format!("{ALIASES_HEADER}\n");
        let guides = guides_for(&["a", "b"]);
        let skills = |rows: &str| Catalog::from_csv(&format!("{header}{rows}"), &aliases, &guides);
        assert!(matches!(
            Catalog::from_csv("id,name\n", &aliases, &guides),
            Err(CatalogError::Header { .. })
        ));
        assert!(matches!(
            skills("a,A,push,,3,8,,false,extra\n"),
            Err(CatalogError::Row { line: 2, .. })
        ));
        assert!(matches!(
            skills("a,A,arms,,3,8,,false\n"),
            Err(CatalogError::Row { .. })
        ));
        assert!(matches!(
            skills("a,A,push,,3,8,20,false\n"),
            Err(CatalogError::Row { .. })
        ));
        assert!(matches!(
            skills("a,A,push,b,3,8,,false\n"),
            Err(CatalogError::UnknownPrerequisite { .. })
        ));
        assert!(matches!(
            skills("a,A,push,b,3,8,,false\nb,B,push,a,3,8,,false\n"),
            Err(CatalogError::PrerequisiteCycle(_))
        ));
        assert!(matches!(
            Catalog::from_csv(
                &format!("{header}a,A,push,,3,8,,false\nb,B,push,,3,8,,false\n"),
                &format!("{aliases}a,thing\nb,things\n"),
                &guides,
            ),
            Err(CatalogError::NameConflict { .. })
        ));
    }

    #[test]
    fn every_exercise_has_a_guide_with_a_description_and_two_to_four_cues() {
        let catalog = catalog();
        for exercise in catalog.exercises() {
            let guide = exercise.guide();
            assert!(
                !guide.description().trim().is_empty(),
                "{} has no description",
                exercise.id()
            );
            assert!(
                (2..=4).contains(&guide.cues().len()),
                "{} has {} cues",
                exercise.id(),
                guide.cues().len()
            );
            assert!(guide.cues().iter().all(|cue| !cue.trim().is_empty()));
            assert_eq!(
                guide.video_key().as_str(),
                format!("exercises/{}.mp4", exercise.id())
            );
        }
        let pull_up = catalog.exercise("pull_up").unwrap().guide();
        assert!(pull_up.description().contains("chin clears the bar"));
        assert_eq!(pull_up.cues()[0], "Shoulders down and back before you pull");
        assert_eq!(pull_up.cues().len(), 4);
        assert_eq!(
            catalog.exercise("dead_hang").unwrap().guide().cues().len(),
            3
        );
    }

    #[test]
    fn guides_are_read_strictly() {
        let header = format!("{SKILLS_HEADER}\na,A,push,,3,8,,false\n");
        let aliases = format!("{ALIASES_HEADER}\n");
        let with_guides =
            |rows: &str| Catalog::from_csv(&header, &aliases, &format!("{GUIDES_HEADER}\n{rows}"));
        assert!(with_guides(&guide_row("a")).is_ok());
        assert_eq!(
            with_guides("").unwrap_err(),
            CatalogError::MissingGuide("a".into())
        );
        assert_eq!(
            with_guides(&format!("{}{}", guide_row("a"), guide_row("zzz"))).unwrap_err(),
            CatalogError::UnknownGuide("zzz".into())
        );
        for (row, why) in [
            ("a||Cue one|Cue two|||exercises/a.mp4", "blank description"),
            ("a|Text.|Cue one||||exercises/a.mp4", "one cue"),
            ("a|Text.|||||exercises/a.mp4", "no cues"),
            ("a|Text.|Cue one||Cue three||exercises/a.mp4", "a gap"),
            ("a|Text.|1|2|3|4|5|exercises/a.mp4", "five cues"),
            ("a|Text.|Cue one|Cue two|||", "no video key"),
            (
                "a|Text.|Cue one|Cue two|||../a.mp4",
                "a key leaving its folder",
            ),
            ("a|Text.|Cue one|Cue two|||/a.mp4", "an absolute key"),
            ("a|Text.|Cue one|Cue two|||a b.mp4", "a space in the key"),
            ("a|Say \"hi\".|Cue one|Cue two|||a.mp4", "a quote"),
        ] {
            assert!(
                matches!(
                    with_guides(&format!("{row}\n")),
                    Err(CatalogError::Row { .. })
                ),
                "{why}"
            );
        }
        assert!(matches!(
            with_guides(&format!("{}{}", guide_row("a"), guide_row("a"))),
            Err(CatalogError::Row { line: 3, .. })
        ));
        let long = "x".repeat(MAX_DESCRIPTION_CHARS + 1);
        assert!(with_guides(&format!("a|{long}|Cue one|Cue two|||a.mp4\n")).is_err());
        let long = "x".repeat(MAX_CUE_CHARS + 1);
        assert!(with_guides(&format!("a|Text.|{long}|Cue two|||a.mp4\n")).is_err());
    }

    #[test]
    fn neighbours_are_the_direct_prerequisites_and_the_skills_that_require_directly() {
        let catalog = catalog();
        let ids = |skills: Vec<&Skill>| -> Vec<String> {
            skills.iter().map(|skill| skill.id().to_owned()).collect()
        };
        let pull_up = catalog.skill("pull_up").unwrap();
        assert_eq!(ids(catalog.easier(pull_up)), ["negative_pull_up"]);
        assert_eq!(
            ids(catalog.harder(pull_up)),
            [
                "chest_to_bar_pull_up",
                "archer_pull_up",
                "tuck_front_lever",
                "tuck_human_flag"
            ]
        );
        let ring_muscle_up = catalog.skill("ring_muscle_up").unwrap();
        assert_eq!(
            ids(catalog.easier(ring_muscle_up)),
            ["muscle_up", "ring_dip"]
        );
        assert!(catalog.harder(ring_muscle_up).is_empty());
        assert!(
            catalog
                .easier(catalog.skill("dead_hang").unwrap())
                .is_empty()
        );
    }

    #[test]
    fn edit_distance_counts_swaps_as_one_edit_and_stops_past_the_limit() {
        let distance = |a: &str, b: &str, limit: usize| {
            edit_distance_within(
                &a.chars().collect::<Vec<_>>(),
                &b.chars().collect::<Vec<_>>(),
                limit,
            )
        };
        assert_eq!(distance("plank", "plnak", 2), Some(1));
        assert_eq!(distance("pullup", "pulup", 2), Some(1));
        assert_eq!(distance("", "abc", 3), Some(3));
        assert_eq!(distance("kitten", "sitting", 3), Some(3));
        assert_eq!(distance("kitten", "sitting", 2), None);
        assert_eq!(distance("ab", "ba", 1), Some(1));
        assert_eq!(distance("abc", "abc", 0), Some(0));
        assert_eq!(distance("abcdef", "a", 2), None);
    }
}
