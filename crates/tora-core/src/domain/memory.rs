//! Memories: a short summary of each logged session, embedded so the coach can find
//! the sessions nearest to a question, and the prompt that grounds an answer in them.
//!
//! Everything here is pure: the summary is made from the stored workout (what is
//! embedded is what the person sees in `GET /v1/memories`), the skills a question is
//! about are found in the catalog by name, and the prompt lists only what recall
//! returned for the caller.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::domain::catalog::{Catalog, Skill, name_key};
use crate::domain::profile::Timezone;
use crate::domain::skills::GoalTarget;
use crate::domain::text::MultiLine;
use crate::domain::workout::{SetFields, StoredWorkout};

/// A question for the coach: 1 to 1000 characters by the text rule.
pub type Question = MultiLine<1000>;

/// The longest summary kept (the column allows 2000): a session of many exercises is
/// cut with an ellipsis rather than embedded whole, which would blur its meaning.
pub const MAX_SUMMARY_CHARS: usize = 600;
/// How much of a workout's notes a summary quotes.
const MAX_NOTES_CHARS: usize = 160;
/// How many sessions an answer is grounded in.
pub const RECALL_LIMIT: u32 = 5;
/// How many skill descriptions go into a prompt.
pub const MAX_SKILLS: usize = 5;

/// What the model is told before the question. The sessions and skills follow it.
const ASK_INSTRUCTIONS: &str = "You are Tora, a calisthenics coach. Answer the person's \
question in at most five sentences, using only their own training sessions and the skill \
notes below. When you use a session, name it by its date. If the sessions do not answer \
the question, say so and suggest what to log. Do not invent sessions, numbers or dates.";

/// One session of the person's, as the coach recalls it.
#[derive(Debug, Clone, PartialEq)]
pub struct Memory {
    pub id: Uuid,
    pub workout_id: Uuid,
    /// When the session happened (read from the workout, so an edit of the date shows).
    pub performed_at: DateTime<Utc>,
    pub summary: String,
    /// The embedding model that made the vector.
    pub model: String,
    pub created_at: DateTime<Utc>,
}

/// A recalled memory and the catalog exercises its session trained.
#[derive(Debug, Clone, PartialEq)]
pub struct Recalled {
    pub memory: Memory,
    pub exercise_ids: Vec<String>,
}

/// Why an embedding cannot be stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum EmbeddingError {
    #[error("an embedding has 256, 512 or 1024 dimensions, not {0}")]
    Dimensions(usize),
    #[error("an embedding holds a value that is not a finite number")]
    NotFinite,
}

/// A vector as pgvector stores it: one of the sizes the schema indexes, finite values.
#[derive(Debug, Clone, PartialEq)]
pub struct Embedding(Vec<f32>);

impl Embedding {
    pub fn new(values: Vec<f32>) -> Result<Self, EmbeddingError> {
        if !matches!(values.len(), 256 | 512 | 1024) {
            return Err(EmbeddingError::Dimensions(values.len()));
        }
        if values.iter().any(|value| !value.is_finite()) {
            return Err(EmbeddingError::NotFinite);
        }
        Ok(Self(values))
    }

    pub fn dimensions(&self) -> usize {
        self.0.len()
    }

    /// pgvector's text form, `[0.1,-0.2,...]` (shortest round-trip decimals).
    pub fn to_pgvector(&self) -> String {
        let mut text = String::with_capacity(self.0.len() * 12);
        text.push('[');
        for (index, value) in self.0.iter().enumerate() {
            if index > 0 {
                text.push(',');
            }
            text.push_str(&value.to_string());
        }
        text.push(']');
        text
    }
}

/// The session in one line: its date in the person's timezone, then each exercise
/// with its sets, e.g. `2026-12-01: Pull-up 3×8, Parallel bar dip 10/8/8`, and the
/// start of the notes. At most [`MAX_SUMMARY_CHARS`] characters.
pub fn training_summary(workout: &StoredWorkout, timezone: Timezone) -> String {
    let date = workout.performed_at.with_timezone(&timezone).date_naive();
    let mut parts: Vec<String> = Vec::new();
    let mut run: Vec<String> = Vec::new();
    let mut current: Option<&str> = None;
    for set in &workout.sets {
        if current != Some(set.exercise_id.as_str()) {
            if let Some(name) = current.and_then(|id| name_of(workout, id)) {
                parts.push(format!("{name} {}", sets_text(&run)));
            }
            run.clear();
            current = Some(&set.exercise_id);
        }
        run.push(set_text(&set.set));
    }
    if let Some(name) = current.and_then(|id| name_of(workout, id)) {
        parts.push(format!("{name} {}", sets_text(&run)));
    }
    let mut summary = format!("{date}: {}", parts.join(", "));
    if let Some(notes) = workout.notes.as_deref() {
        let line = notes.split_whitespace().collect::<Vec<_>>().join(" ");
        if !line.is_empty() {
            summary.push_str(" (notes: ");
            summary.push_str(&cut(&line, MAX_NOTES_CHARS));
            summary.push(')');
        }
    }
    cut(&summary, MAX_SUMMARY_CHARS)
}

fn name_of<'a>(workout: &'a StoredWorkout, exercise_id: &str) -> Option<&'a str> {
    workout
        .sets
        .iter()
        .find(|set| set.exercise_id == exercise_id)
        .map(|set| set.exercise_name.as_str())
}

/// `text` cut to `max` characters, with an ellipsis when it was longer.
fn cut(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut kept: String = text.chars().take(max.saturating_sub(1)).collect();
    kept.push('…');
    kept
}

/// A run of sets of one exercise: `3×8` when they are all alike, else `10/8/8`.
fn sets_text(sets: &[String]) -> String {
    match sets {
        [first, rest @ ..] if !rest.is_empty() && rest.iter().all(|set| set == first) => {
            format!("{}×{first}", sets.len())
        }
        _ => sets.join("/"),
    }
}

/// One set: reps (or a range) and/or seconds, then load, side and assistance.
fn set_text(set: &SetFields) -> String {
    let mut text = match (set.reps, set.reps_max, set.seconds) {
        (Some(low), Some(high), _) => format!("{low}-{high}"),
        (Some(reps), None, Some(seconds)) => format!("{reps} in {}s", number(seconds)),
        (Some(reps), None, None) => reps.to_string(),
        (None, _, Some(seconds)) => format!("{}s", number(seconds)),
        (None, _, None) => String::from("?"),
    };
    // Loads are stored in kg (to a tenth); a load written in lb would come back
    // rounded, so the summary says what is stored.
    if let Some(kg) = set.added_kg {
        text.push_str(&format!(" +{}kg", number(kg)));
    }
    if let Some(side) = set.side {
        text.push_str(&format!(" {}", side.as_str()));
    }
    if set.each_side {
        text.push_str(" each side");
    }
    match set.assist_kg {
        Some(kg) => text.push_str(&format!(" -{}kg assisted", number(kg))),
        None if set.assisted => text.push_str(" assisted"),
        None => {}
    }
    text
}

/// A number without a fraction when it has none.
fn number(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e9 {
        format!("{}", value as i64)
    } else {
        format!("{value}")
    }
}

/// What the catalog says about a skill, for the coach: its branch, its goal and what it
/// builds on. E.g. `Pull-up (pull): mastered with 3 sets of 8 reps; builds on Negative
/// pull-up.`
pub fn skill_description(catalog: &Catalog, skill: &Skill) -> String {
    let goal = skill.goal();
    let target = match goal.target {
        GoalTarget::Reps(reps) => format!("{reps} reps"),
        GoalTarget::Seconds(seconds) => format!("{seconds}-second holds"),
    };
    let side = if goal.each_side { " per side" } else { "" };
    let mut text = format!(
        "{} ({}): mastered with {} sets of {target}{side}",
        skill.name(),
        skill.category().as_str(),
        goal.sets
    );
    let requires: Vec<&str> = skill
        .prerequisites()
        .iter()
        .filter_map(|id| catalog.skill(id).map(Skill::name))
        .collect();
    if !requires.is_empty() {
        text.push_str("; builds on ");
        text.push_str(&requires.join(" and "));
    }
    text.push('.');
    text
}

/// The skills an answer may draw on, at most [`MAX_SKILLS`]: those the question names
/// (by name or alias, as the parser reads them), then those the recalled sessions
/// trained, nearest session first.
pub fn matching_skills<'a>(
    catalog: &'a Catalog,
    question: &str,
    recalled: &[Recalled],
) -> Vec<&'a Skill> {
    let mut found: Vec<&Skill> = Vec::new();
    let mut add = |id: &str| {
        if let Some(skill) = catalog.skill(id)
            && !found.iter().any(|seen| seen.id() == skill.id())
            && found.len() < MAX_SKILLS
        {
            found.push(skill);
        }
    };
    let words: Vec<&str> = question
        .split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .collect();
    let longest = catalog.longest_name_words().max(1);
    let mut start = 0;
    while start < words.len() {
        // The longest name starting here wins: "front lever" before "lever".
        let matched = (1..=longest.min(words.len() - start))
            .rev()
            .find_map(|length| {
                let key = name_key(&words[start..start + length].join(" "));
                catalog
                    .exercise_for_key(&key)
                    .map(|exercise| (exercise.id().to_owned(), length))
            });
        match matched {
            Some((id, length)) => {
                add(&id);
                start += length;
            }
            None => start += 1,
        }
    }
    for recalled in recalled {
        for id in &recalled.exercise_ids {
            add(id);
        }
    }
    found
}

/// The system prompt of an answer: the instructions, then the caller's recalled
/// sessions and the skill notes, each on its own line.
pub fn ask_prompt(catalog: &Catalog, recalled: &[Recalled], skills: &[&Skill]) -> String {
    let mut prompt = String::from(ASK_INSTRUCTIONS);
    prompt.push_str("\n\nTheir sessions, nearest to the question first:\n");
    if recalled.is_empty() {
        prompt.push_str("- none logged yet\n");
    }
    for recalled in recalled {
        prompt.push_str("- ");
        prompt.push_str(&recalled.memory.summary);
        prompt.push('\n');
    }
    prompt.push_str("\nSkill notes:\n");
    if skills.is_empty() {
        prompt.push_str("- none\n");
    }
    for skill in skills {
        prompt.push_str("- ");
        prompt.push_str(&skill_description(catalog, skill));
        prompt.push('\n');
    }
    prompt
}

/// The largest system prompt an answer can have: every recalled summary at its longest
/// and every skill note. What the credit hold is sized for, before recall runs.
pub fn largest_ask_prompt(catalog: &Catalog) -> String {
    let mut prompt = String::from(ASK_INSTRUCTIONS);
    prompt.push_str("\n\nTheir sessions, nearest to the question first:\n");
    for _ in 0..RECALL_LIMIT {
        prompt.push_str("- ");
        // Multi-byte characters weigh more in the body than ASCII: assume the worst.
        prompt.push_str(&"\u{2014}".repeat(MAX_SUMMARY_CHARS));
        prompt.push('\n');
    }
    prompt.push_str("\nSkill notes:\n");
    let mut notes: Vec<String> = catalog
        .skills()
        .iter()
        .map(|skill| skill_description(catalog, skill))
        .collect();
    crate::sorting::sort_by_key(&mut notes, |note| std::cmp::Reverse(note.len()));
    for note in notes.iter().take(MAX_SKILLS) {
        prompt.push_str("- ");
        prompt.push_str(note);
        prompt.push('\n');
    }
    prompt
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::workout::{LoggedSet, StoredSet};
    use tora_test_support::at;

    fn set(exercise: &str, name: &str, fields: SetFields) -> StoredSet {
        StoredSet {
            exercise_id: exercise.into(),
            exercise_name: name.into(),
            custom: false,
            set: LoggedSet::new(fields).unwrap(),
        }
    }

    fn reps(exercise: &str, name: &str, reps: u32) -> StoredSet {
        set(
            exercise,
            name,
            SetFields {
                reps: Some(reps),
                ..SetFields::default()
            },
        )
    }

    fn workout(sets: Vec<StoredSet>, notes: Option<&str>) -> StoredWorkout {
        StoredWorkout {
            id: Uuid::from_u128(9),
            performed_at: at("2026-12-01T23:30:00Z"),
            notes: notes.map(str::to_owned),
            source_message_id: None,
            import_id: None,
            sets,
            created_at: at("2026-12-01T23:30:00Z"),
            updated_at: at("2026-12-01T23:30:00Z"),
        }
    }

    fn utc() -> Timezone {
        "UTC".parse().unwrap()
    }

    #[test]
    fn a_summary_names_the_date_and_each_exercise_with_its_sets() {
        let session = workout(
            vec![
                reps("pull_up", "Pull-up", 8),
                reps("pull_up", "Pull-up", 8),
                reps("pull_up", "Pull-up", 8),
                reps("dip", "Parallel bar dip", 10),
                reps("dip", "Parallel bar dip", 8),
                set(
                    "l_sit",
                    "L-sit",
                    SetFields {
                        seconds: Some(12.5),
                        ..SetFields::default()
                    },
                ),
            ],
            None,
        );
        assert_eq!(
            training_summary(&session, utc()),
            "2026-12-01: Pull-up 3×8, Parallel bar dip 10/8, L-sit 12.5s"
        );
    }

    #[test]
    fn the_date_is_the_persons_own_day() {
        let session = workout(vec![reps("push_up", "Push-up", 12)], None);
        let berlin: Timezone = "Europe/Berlin".parse().unwrap();
        assert!(training_summary(&session, berlin).starts_with("2026-12-02: Push-up 12"));
    }

    #[test]
    fn load_sides_assistance_and_notes_are_kept_and_long_summaries_are_cut() {
        let weighted = SetFields {
            reps: Some(5),
            added_kg: Some(9.07),
            ..SetFields::default()
        };
        let sided = SetFields {
            reps: Some(6),
            each_side: true,
            assisted: true,
            ..SetFields::default()
        };
        let session = workout(
            vec![
                set("pull_up", "Pull-up", weighted),
                set("archer_push_up", "Archer push-up", sided),
            ],
            Some("felt strong,\n\tslept well"),
        );
        assert_eq!(
            training_summary(&session, utc()),
            "2026-12-01: Pull-up 5 +9.1kg, Archer push-up 6 each side assisted \
             (notes: felt strong, slept well)"
        );
        let long = workout(
            vec![reps("squat", "Bodyweight squat", 20)],
            Some(&"x".repeat(900)),
        );
        let summary = training_summary(&long, utc());
        assert!(summary.ends_with("x…)"), "{summary}");
        assert_eq!(summary.chars().count(), 12 + 19 + 9 + MAX_NOTES_CHARS + 1);
        let many = workout(
            (0..200)
                .map(|index| reps(&format!("e{index}"), "Some long exercise name", 10))
                .collect(),
            None,
        );
        let summary = training_summary(&many, utc());
        assert_eq!(summary.chars().count(), MAX_SUMMARY_CHARS);
        assert!(summary.ends_with('…'));
    }

    #[test]
    fn embeddings_have_an_indexed_size_and_finite_values() {
        assert_eq!(
            Embedding::new(vec![0.0; 3]),
            Err(EmbeddingError::Dimensions(3))
        );
        let mut values = vec![0.5; 256];
        values[7] = f32::NAN;
        assert_eq!(Embedding::new(values), Err(EmbeddingError::NotFinite));
        let mut values = vec![0.0; 256];
        values[0] = -0.25;
        values[1] = 1.0;
        let text = Embedding::new(values).unwrap().to_pgvector();
        assert!(text.starts_with("[-0.25,1,0,0,"), "{text}");
        assert!(text.ends_with(",0]"));
    }

    fn catalog() -> &'static Catalog {
        Catalog::embedded().unwrap()
    }

    fn recalled(summary: &str, exercise_ids: &[&str]) -> Recalled {
        Recalled {
            memory: Memory {
                id: Uuid::from_u128(1),
                workout_id: Uuid::from_u128(2),
                performed_at: at("2026-12-01T10:00:00Z"),
                summary: summary.into(),
                model: "model".into(),
                created_at: at("2026-12-01T10:00:00Z"),
            },
            exercise_ids: exercise_ids.iter().map(|id| (*id).to_owned()).collect(),
        }
    }

    #[test]
    fn skills_come_from_the_question_first_then_the_recalled_sessions() {
        let found = matching_skills(
            catalog(),
            "How do I get from pull-ups to a front lever?",
            &[recalled(
                "2026-12-01: Parallel bar dip 3×8",
                &["dip", "pull_up"],
            )],
        );
        let ids: Vec<&str> = found.iter().map(|skill| skill.id()).collect();
        assert_eq!(ids, ["pull_up", "front_lever", "dip"]);
        assert!(matching_skills(catalog(), "what should I eat?", &[]).is_empty());
    }

    #[test]
    fn skills_are_capped() {
        let many = recalled(
            "",
            &[
                "pull_up", "dip", "squat", "plank", "l_sit", "push_up", "chin_up",
            ],
        );
        assert_eq!(matching_skills(catalog(), "", &[many]).len(), MAX_SKILLS);
    }

    #[test]
    fn a_skill_is_described_by_its_goal_and_what_it_builds_on() {
        let pull_up = catalog().skill("pull_up").unwrap();
        assert_eq!(
            skill_description(catalog(), pull_up),
            "Pull-up (pull): mastered with 3 sets of 8 reps; builds on Negative pull-up."
        );
        let archer = catalog().skill("archer_row").unwrap();
        assert!(skill_description(catalog(), archer).contains("8 reps per side"));
        let l_sit = catalog().skill("l_sit").unwrap();
        assert!(skill_description(catalog(), l_sit).contains("20-second holds"));
    }

    #[test]
    fn the_prompt_holds_exactly_the_recalled_sessions_and_skill_notes() {
        let sessions = [
            recalled("2026-12-01: Pull-up 3×8", &["pull_up"]),
            recalled("2026-11-28: Parallel bar dip 3×10", &["dip"]),
        ];
        let skills = matching_skills(catalog(), "pull-ups?", &sessions);
        let prompt = ask_prompt(catalog(), &sessions, &skills);
        assert!(prompt.starts_with(ASK_INSTRUCTIONS));
        assert!(
            prompt.contains("\n- 2026-12-01: Pull-up 3×8\n- 2026-11-28: Parallel bar dip 3×10\n")
        );
        assert!(prompt.contains("\n- Pull-up (pull): mastered with 3 sets of 8 reps"));
        assert!(prompt.contains("\n- Parallel bar dip (push)"));
        let empty = ask_prompt(catalog(), &[], &[]);
        assert!(empty.contains("- none logged yet"));
    }

    #[test]
    fn the_largest_prompt_is_never_smaller_than_a_real_one() {
        let summary = "é".repeat(MAX_SUMMARY_CHARS);
        let sessions: Vec<Recalled> = (0..RECALL_LIMIT)
            .map(|_| recalled(&summary, &["front_lever", "straddle_back_lever"]))
            .collect();
        let skills = matching_skills(catalog(), "", &sessions);
        let real = ask_prompt(catalog(), &sessions, &skills);
        assert!(largest_ask_prompt(catalog()).len() >= real.len());
    }
}
