//! Coaching decisions and their templated phrasing. The decision is structured (what
//! was mastered, what opened up, the next target, a volume note); the template turns it
//! into a short reply without a model call. A coach names what the person did, not
//! every skill that moved: masteries inferred below a proven one are counted, not
//! listed, and a long list of newly open skills is cut short.

use crate::domain::corrections::{ChangeSummary, CorrectionError, SET_COUNTS, Unit};
use crate::domain::workout::{ExerciseRef, Volume};

#[cfg(test)]
mod scenarios;

/// A skill to aim for next, with how close the person is.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Target {
    #[serde(rename = "skill")]
    pub skill_id: String,
    pub name: String,
    /// `3x8` or `3x20s`, with ` each side` when per side.
    pub goal: String,
    /// Best single-session progress toward the goal, 0.0 to 1.0.
    pub progress: f64,
}

/// A remark on training volume.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum VolumeNote {
    /// This session's volume is well under the recent average.
    SharpDrop { percent_of_recent: u32 },
}

/// Everything the reply says, decided by the rules.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Decision {
    /// Exercise names and set counts, as logged.
    pub logged: Vec<(String, usize)>,
    /// Skills a logged session just mastered.
    pub mastered: Vec<String>,
    /// Skills just mastered by inference (the steps below `mastered`).
    pub inferred: Vec<String>,
    /// Newly open skills, most relevant first.
    pub unlocked: Vec<String>,
    pub next_target: Option<Target>,
    pub volume_note: Option<VolumeNote>,
}

/// Sessions must fall under this share of the recent average to get a note.
const SHARP_DROP_SHARE: f64 = 0.5;

/// Compares a session with the previous ones (newest first). Holds count a third of
/// their seconds as reps, so a hold-heavy day is not mistaken for a light one. Needs
/// at least two earlier sessions to say anything.
pub fn volume_note(current: Volume, recent: &[(f64, f64)]) -> Option<VolumeNote> {
    if recent.len() < 2 {
        return None;
    }
    let work = |reps: f64, seconds: f64| reps + seconds / 3.0;
    let average = recent
        .iter()
        .map(|(reps, seconds)| work(*reps, *seconds))
        .sum::<f64>()
        / recent.len() as f64;
    if average <= 0.0 {
        return None;
    }
    let share = work(current.reps, current.seconds) / average;
    (share < SHARP_DROP_SHARE).then(|| VolumeNote::SharpDrop {
        percent_of_recent: (share * 100.0).round() as u32,
    })
}

/// More newly open skills than this are cut to the first three and a count.
const UNLOCKED_LISTED: usize = 4;

fn list(names: &[String]) -> String {
    match names {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// What a change did to the skill tree: proven masteries named (inferred ones
/// counted), newly open skills listed or cut short.
fn skill_news(decision: &Decision) -> Vec<String> {
    let mut parts = Vec::new();
    if !decision.mastered.is_empty() {
        let below = match (decision.inferred.len(), decision.mastered.len()) {
            (0, _) => String::new(),
            (1, 1) => " (and the step before it)".to_owned(),
            (1, _) => " (and the step before them)".to_owned(),
            (steps, 1) => format!(" (and the {steps} steps before it)"),
            (steps, _) => format!(" (and the {steps} steps before them)"),
        };
        parts.push(format!("You mastered {}{below}!", list(&decision.mastered)));
    }
    match decision.unlocked.as_slice() {
        [] => {}
        few if few.len() <= UNLOCKED_LISTED => {
            parts.push(format!("Now open: {}.", list(few)));
        }
        [first, second, third, rest @ ..] => parts.push(format!(
            "Now open: {first}, {second}, {third} and {} more.",
            rest.len()
        )),
        many => parts.push(format!("Now open: {}.", list(many))),
    }
    parts
}

/// The templated reply for a logged workout.
pub fn workout_reply(decision: &Decision) -> String {
    let mut parts = Vec::new();
    let logged: Vec<String> = decision
        .logged
        .iter()
        .map(|(name, sets)| format!("{sets} set{} of {name}", if *sets == 1 { "" } else { "s" }))
        .collect();
    parts.push(format!("Logged {}.", list(&logged)));
    parts.extend(skill_news(decision));
    if let Some(target) = &decision.next_target {
        let progress = (target.progress * 100.0).round() as u32;
        if progress > 0 {
            parts.push(format!(
                "Next target: {} {} (you're at {progress}% of it).",
                target.name, target.goal
            ));
        } else {
            parts.push(format!("Next target: {} {}.", target.name, target.goal));
        }
    }
    if let Some(VolumeNote::SharpDrop { percent_of_recent }) = decision.volume_note {
        parts.push(format!(
            "That was about {percent_of_recent}% of your usual volume. Fine for a light day; if you're run down, rest counts too."
        ));
    }
    parts.join(" ")
}

/// The reply to a message that is not a workout log.
pub fn not_workout_reply(message: &str) -> String {
    if message.trim_end().ends_with('?') {
        "I can log your training and track your skills. Tell me what you did, like \"3x8 pull-ups, then 4x20s L-sit\", and I'll log it and tell you what to aim for next.".to_owned()
    } else {
        "Tell me what you trained, like \"3x8 pull-ups, then 4x20s L-sit\", and I'll log it and track your skills.".to_owned()
    }
}

/// The reply replayed for a message whose workout was deleted after it was logged.
pub fn workout_deleted_reply() -> String {
    "I logged this one, but that workout has since been deleted, so nothing from it is on your record now.".to_owned()
}

/// The reply to a message kept for a closer read.
pub fn unsure_reply() -> String {
    "I couldn't read that one with confidence, so I've kept it and will look at it more closely. Writing it like \"3x8 pull-ups\" gets it logged right away.".to_owned()
}

/// The system prompt for a reply phrased by the model: the rules' decision as facts,
/// and the rule that nothing else may be claimed. The facts are the templated reply's,
/// so the model can change the words but not what was decided.
pub fn phrasing_prompt(decision: &Decision) -> String {
    format!(
        "You are Tora, a warm, concise calisthenics coach. The athlete's message follows. \
         Reply in 2 or 3 short sentences of plain text, in the athlete's language, saying \
         exactly these facts and nothing else (no new numbers, skills or advice): {}",
        workout_reply(decision)
    )
}

/// The reply to a meal logged from chat: its energy, macros and what was identified.
pub fn meal_reply(meal: &crate::ports::StoredMeal) -> String {
    let items: Vec<String> = meal
        .items
        .iter()
        .map(|(name, grams)| format!("{name} {grams:.0} g"))
        .collect();
    format!(
        "Logged your meal: about {:.0} kcal, with {:.0} g protein, {:.0} g carbs and {:.0} g fat ({}).",
        meal.macros.kcal,
        meal.macros.protein_g,
        meal.macros.carbs_g,
        meal.macros.fat_g,
        items.join(", ")
    )
}

/// The reply to a meal the model could not read.
pub fn meal_unreadable_reply() -> String {
    "I couldn't read that meal. Try naming the foods with amounts, like \"log my lunch: 200 g chicken and 150 g rice\".".to_owned()
}

/// The reply to a message the model is still reading after the request's wait.
pub fn reading_reply() -> String {
    "I'm reading that one more closely. It will show up in your chat as soon as I'm done."
        .to_owned()
}

/// The reply to a message given up on.
pub fn gave_up_reply() -> String {
    "I couldn't read that one. You can retry it, or write it like \"3x8 pull-ups\" to log it right away.".to_owned()
}

/// One line per exercise of a proposal: "Pull-ups: 3 sets (8, 8, 6 reps)".
fn proposal_lines(proposal: &crate::domain::chat::Proposal) -> Vec<String> {
    proposal
        .entries
        .iter()
        .map(|entry| {
            let amounts: Vec<String> = entry
                .sets
                .iter()
                .map(|set| match (set.reps, set.seconds) {
                    (Some(reps), _) => format!("{reps} reps"),
                    (None, Some(seconds)) => format!("{seconds}s"),
                    (None, None) => "1 set".to_owned(),
                })
                .collect();
            let count = entry.sets.len();
            let noun = if count == 1 { "set" } else { "sets" };
            format!("{}: {count} {noun} ({})", entry.name, amounts.join(", "))
        })
        .collect()
}

/// The reply to a reading the model was not sure of: what would be logged, and how to
/// commit it.
pub fn proposal_reply(proposal: &crate::domain::chat::Proposal) -> String {
    format!(
        "I think you did: {}. Is that right? Confirm it and I'll log it, or correct it first.",
        proposal_lines(proposal).join("; ")
    )
}

// Replies to corrections in chat ("it was 8 not 6", "delete the last one").

fn sets_of(sets: usize, name: &str) -> String {
    format!("{sets} set{} of {name}", if sets == 1 { "" } else { "s" })
}

fn unit_word(unit: Unit, value: u32) -> &'static str {
    match (unit, value) {
        (Unit::Reps, 1) => "rep",
        (Unit::Reps, _) => "reps",
        (Unit::Seconds, 1) => "second",
        (Unit::Seconds, _) => "seconds",
    }
}

/// What an edit changed, in words: "Pull-up: 6 → 8 reps in 3 sets",
/// "Pull-up: 4 → 3 sets".
pub fn change_description(
    change: &ChangeSummary,
    name_of: impl Fn(&ExerciseRef) -> String,
) -> String {
    match change {
        ChangeSummary::Amounts {
            exercises,
            unit,
            was,
            now,
            sets,
        } => {
            let names: Vec<String> = exercises.iter().map(&name_of).collect();
            format!(
                "{}: {was} → {now} {} in {sets} set{}",
                list(&names),
                unit_word(*unit, *now),
                if *sets == 1 { "" } else { "s" }
            )
        }
        ChangeSummary::SetCount { exercise, was, now } => {
            format!("{}: {was} → {now} sets", name_of(exercise))
        }
    }
}

/// The reply to an edit made: what changed, then what it did to the skill tree
/// (`decision.logged` is not used).
pub fn corrected_reply(change: &str, decision: &Decision) -> String {
    let mut parts = vec![format!("Fixed your last workout: {change}.")];
    parts.extend(skill_news(decision));
    parts.join(" ")
}

/// The reply to a delete made; `logged` is what the workout held.
pub fn correction_deleted_reply(logged: &[(String, usize)]) -> String {
    let logged: Vec<String> = logged
        .iter()
        .map(|(name, sets)| sets_of(*sets, name))
        .collect();
    format!(
        "Deleted your last workout ({}). Your skills are re-checked without it.",
        list(&logged)
    )
}

/// The reply to a correction before any workout was logged.
pub fn nothing_to_correct_reply() -> String {
    "There's no workout to correct yet. Tell me what you trained, like \"3x8 pull-ups\", and I'll log it.".to_owned()
}

/// The reply to an edit that could not be made as asked; nothing was changed.
pub fn correction_refused_reply(
    error: &CorrectionError,
    name_of: impl Fn(&ExerciseRef) -> String,
) -> String {
    match error {
        CorrectionError::NoSetHad { value, unit } => {
            let amount = match unit {
                Some(unit) => format!("{value} {}", unit_word(*unit, *value)),
                None => value.to_string(),
            };
            format!(
                "No set in your last workout had {amount}, so I left it as it was. Tell me the number it shows and the one it should be, like \"it was 8 not 6\"."
            )
        }
        CorrectionError::SetCountOutOfRange { .. } => format!(
            "A correction can make it {} to {} sets, so I left your last workout as it was.",
            SET_COUNTS.start(),
            SET_COUNTS.end()
        ),
        CorrectionError::AlreadySetCount { exercise, sets } => format!(
            "Your last workout already has {}, so nothing changed.",
            sets_of(*sets, &name_of(exercise))
        ),
        CorrectionError::Invalid(error) => format!(
            "That would break a rule of sets ({error}), so I left your last workout as it was."
        ),
    }
}

/// The reply when the latest workout could not be edited from chat (it went away
/// meanwhile, or holds a name today's rules refuse); nothing was changed.
pub fn correction_failed_reply() -> String {
    "I couldn't change your last workout from here, so it is as it was. You can edit it in your workouts.".to_owned()
}

/// The reply to a retry of a correction whose first attempt stopped before
/// answering: it may have been made already, so it is not made again.
pub fn correction_interrupted_reply() -> String {
    "That correction was interrupted before I could answer, so I haven't repeated it. Check your last workout: if it isn't right yet, tell me again.".to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sharp_drops_need_history_and_a_real_drop() {
        let light = Volume {
            reps: 10.0,
            seconds: 0.0,
        };
        assert_eq!(
            volume_note(light, &[(60.0, 0.0)]),
            None,
            "one session is no trend"
        );
        assert_eq!(
            volume_note(light, &[(60.0, 0.0), (40.0, 0.0)]),
            Some(VolumeNote::SharpDrop {
                percent_of_recent: 20
            })
        );
        let usual = Volume {
            reps: 45.0,
            seconds: 0.0,
        };
        assert_eq!(volume_note(usual, &[(60.0, 0.0), (40.0, 0.0)]), None);
        let holds = Volume {
            reps: 0.0,
            seconds: 150.0,
        };
        assert_eq!(
            volume_note(holds, &[(60.0, 0.0), (40.0, 0.0)]),
            None,
            "holds count"
        );
    }

    #[test]
    fn the_reply_says_what_was_decided() {
        let reply = workout_reply(&Decision {
            logged: vec![("Pull-up".into(), 3), ("L-sit".into(), 1)],
            mastered: vec!["Pull-up".into()],
            inferred: Vec::new(),
            unlocked: vec!["Archer pull-up".into(), "Chest-to-bar pull-up".into()],
            next_target: Some(Target {
                skill_id: "archer_pull_up".into(),
                name: "Archer pull-up".into(),
                goal: "3x5 each side".into(),
                progress: 0.0,
            }),
            volume_note: None,
        });
        assert_eq!(
            reply,
            "Logged 3 sets of Pull-up and 1 set of L-sit. You mastered Pull-up! Now open: Archer pull-up and Chest-to-bar pull-up. Next target: Archer pull-up 3x5 each side."
        );
    }

    fn names(names: &[&str]) -> Vec<String> {
        names.iter().map(|name| (*name).to_owned()).collect()
    }

    #[test]
    fn inferred_masteries_are_counted_not_listed() {
        let one = Decision {
            logged: vec![("Pull-up".into(), 3)],
            mastered: names(&["Pull-up"]),
            inferred: names(&["Dead hang", "Scapular pull-up", "Negative pull-up"]),
            ..Decision::default()
        };
        assert_eq!(
            workout_reply(&one),
            "Logged 3 sets of Pull-up. You mastered Pull-up (and the 3 steps before it)!"
        );
        let two = Decision {
            mastered: names(&["Push-up", "Pull-up"]),
            inferred: names(&["Incline push-up"]),
            ..one
        };
        assert!(
            workout_reply(&two)
                .contains("You mastered Push-up and Pull-up (and the step before them)!"),
            "{}",
            workout_reply(&two)
        );
    }

    #[test]
    fn a_long_list_of_open_skills_is_cut_short() {
        let four = names(&["A", "B", "C", "D"]);
        let reply = workout_reply(&Decision {
            logged: vec![("Pull-up".into(), 3)],
            unlocked: four.clone(),
            ..Decision::default()
        });
        assert!(reply.ends_with("Now open: A, B, C and D."), "{reply}");
        let six = names(&["A", "B", "C", "D", "E", "F"]);
        let reply = workout_reply(&Decision {
            logged: vec![("Pull-up".into(), 3)],
            unlocked: six,
            ..Decision::default()
        });
        assert!(reply.ends_with("Now open: A, B, C and 3 more."), "{reply}");
    }

    #[test]
    fn corrections_say_what_changed() {
        let name_of = |exercise: &ExerciseRef| match exercise {
            ExerciseRef::Catalog(id) => id.replace('_', "-"),
            ExerciseRef::Custom { name } => name.to_string(),
        };
        let pull_up = ExerciseRef::Catalog("pull_up".into());
        let amounts = ChangeSummary::Amounts {
            exercises: vec![pull_up.clone()],
            unit: Unit::Reps,
            was: 6,
            now: 8,
            sets: 3,
        };
        assert_eq!(
            change_description(&amounts, name_of),
            "pull-up: 6 → 8 reps in 3 sets"
        );
        let count = ChangeSummary::SetCount {
            exercise: pull_up.clone(),
            was: 4,
            now: 3,
        };
        assert_eq!(change_description(&count, name_of), "pull-up: 4 → 3 sets");
        assert_eq!(
            corrected_reply(
                "Pull-up: 6 → 8 reps in 3 sets",
                &Decision {
                    mastered: names(&["Pull-up"]),
                    ..Decision::default()
                }
            ),
            "Fixed your last workout: Pull-up: 6 → 8 reps in 3 sets. You mastered Pull-up!"
        );
        assert_eq!(
            correction_deleted_reply(&[("Pull-up".into(), 3)]),
            "Deleted your last workout (3 sets of Pull-up). Your skills are re-checked without it."
        );
        let refused = correction_refused_reply(
            &CorrectionError::NoSetHad {
                value: 6,
                unit: Some(Unit::Reps),
            },
            name_of,
        );
        assert!(
            refused.starts_with("No set in your last workout had 6 reps"),
            "{refused}"
        );
    }
}
