//! A person's standing on the skill tree: derived from what is stored, moved forward by
//! a logged session, re-decided from history after an edit or delete.

use std::collections::{BTreeMap, BTreeSet};

use uuid::Uuid;

use crate::db::skills::StoredSkill;
use crate::db::workouts::HistoricalSet;
use crate::domain::catalog::{Catalog, Skill};
use crate::domain::coaching::Target;
use crate::domain::skills::{
    Goal, GoalTarget, History, SetPerformance, SkillNode, SkillState, Transitions, states,
    transitions,
};

/// What is known about one skill for one person, apart from its derived state.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Standing {
    pub mastered: bool,
    pub practised: bool,
    pub best_progress: f64,
}

/// The outcome of moving a person's standing.
#[derive(Debug, Clone, Default)]
pub struct Evaluation {
    /// Rows to store (only those that differ from what is stored or derived before).
    pub writes: BTreeMap<String, StoredSkill>,
    pub transitions: Transitions,
    /// Every skill's state afterwards.
    pub states: BTreeMap<String, SkillState>,
    /// Every skill's best progress afterwards.
    pub progress: BTreeMap<String, f64>,
}

fn nodes(catalog: &Catalog) -> Vec<SkillNode> {
    catalog.skills().iter().map(Skill::node).collect()
}

fn standings_from(stored: &BTreeMap<String, StoredSkill>) -> BTreeMap<String, Standing> {
    stored
        .iter()
        .map(|(id, skill)| {
            (
                id.clone(),
                Standing {
                    mastered: skill.state == SkillState::Mastered,
                    practised: skill.practised,
                    best_progress: skill.best_progress,
                },
            )
        })
        .collect()
}

fn history_of(standings: &BTreeMap<String, Standing>) -> History {
    History {
        mastered: standings
            .iter()
            .filter(|(_, standing)| standing.mastered)
            .map(|(id, _)| id.clone())
            .collect(),
        practised: standings
            .iter()
            .filter(|(_, standing)| standing.practised)
            .map(|(id, _)| id.clone())
            .collect(),
    }
}

/// Every skill's state as stored and derived, without any change.
pub fn current_states(
    catalog: &Catalog,
    stored: &BTreeMap<String, StoredSkill>,
) -> BTreeMap<String, SkillState> {
    states(&nodes(catalog), &history_of(&standings_from(stored)))
}

/// Applies new standings for some skills and works out what changed.
fn evaluate(
    catalog: &Catalog,
    stored: &BTreeMap<String, StoredSkill>,
    changed: BTreeMap<String, Standing>,
) -> Evaluation {
    let tree = nodes(catalog);
    let before_standings = standings_from(stored);
    let before = states(&tree, &history_of(&before_standings));
    let mut after_standings = before_standings.clone();
    after_standings.extend(changed);
    let after = states(&tree, &history_of(&after_standings));

    let mut writes = BTreeMap::new();
    for (id, state) in &after {
        let standing = after_standings.get(id).copied().unwrap_or_default();
        let new_row = StoredSkill {
            state: *state,
            practised: standing.practised,
            best_progress: standing.best_progress,
        };
        let old_row = stored.get(id).copied().unwrap_or(StoredSkill {
            state: before.get(id).copied().unwrap_or(SkillState::Locked),
            practised: false,
            best_progress: 0.0,
        });
        if new_row != old_row {
            writes.insert(id.clone(), new_row);
        }
    }
    Evaluation {
        writes,
        transitions: transitions(&before, &after),
        progress: after
            .keys()
            .map(|id| {
                let progress = after_standings.get(id).map_or(0.0, |s| s.best_progress);
                (id.clone(), progress)
            })
            .collect(),
        states: after,
    }
}

/// A newly logged session: the sets per catalog exercise it contains.
pub fn log_session(
    catalog: &Catalog,
    stored: &BTreeMap<String, StoredSkill>,
    session: &BTreeMap<String, Vec<SetPerformance>>,
) -> Evaluation {
    let before = standings_from(stored);
    let mut changed = BTreeMap::new();
    for (exercise_id, sets) in session {
        let Some(skill) = catalog.skill(exercise_id) else {
            continue;
        };
        let goal = skill.goal();
        let old = before.get(exercise_id).copied().unwrap_or_default();
        changed.insert(
            exercise_id.clone(),
            Standing {
                mastered: old.mastered || goal.met_by(sets),
                practised: true,
                best_progress: old.best_progress.max(goal.progress(sets)),
            },
        );
    }
    evaluate(catalog, stored, changed)
}

/// Re-decides the `affected` skills from their whole remaining history (after an edit
/// or delete): mastered only if some remaining session meets the goal.
pub fn reevaluate(
    catalog: &Catalog,
    stored: &BTreeMap<String, StoredSkill>,
    affected: &BTreeSet<String>,
    history: &[HistoricalSet],
) -> Evaluation {
    let mut sessions: BTreeMap<&str, BTreeMap<Uuid, Vec<SetPerformance>>> = BTreeMap::new();
    for set in history {
        sessions
            .entry(set.exercise_id.as_str())
            .or_default()
            .entry(set.workout_id)
            .or_default()
            .push(set.performance);
    }
    let mut changed = BTreeMap::new();
    for skill_id in affected {
        let Some(skill) = catalog.skill(skill_id) else {
            continue;
        };
        let goal = skill.goal();
        let mut standing = Standing::default();
        for sets in sessions
            .get(skill_id.as_str())
            .into_iter()
            .flat_map(BTreeMap::values)
        {
            standing.practised = true;
            standing.mastered |= goal.met_by(sets);
            standing.best_progress = standing.best_progress.max(goal.progress(sets));
        }
        changed.insert(skill_id.clone(), standing);
    }
    evaluate(catalog, stored, changed)
}

/// `3x8`, `3x20s`, with ` each side` when per side.
pub fn goal_text(goal: &Goal) -> String {
    let amount = match goal.target {
        GoalTarget::Reps(reps) => format!("{}x{reps}", goal.sets),
        GoalTarget::Seconds(seconds) => format!("{}x{seconds}s", goal.sets),
    };
    if goal.each_side {
        format!("{amount} each side")
    } else {
        amount
    }
}

/// Up to three skills to work on now: open ones (available or unlocked), those
/// trained in `prefer` first, then the closest to their goal, then tree order.
pub fn next_targets(
    catalog: &Catalog,
    states: &BTreeMap<String, SkillState>,
    progress: &BTreeMap<String, f64>,
    prefer: &[&str],
) -> Vec<Target> {
    let mut open: Vec<(usize, &Skill)> = catalog
        .skills()
        .iter()
        .enumerate()
        .filter(|(_, skill)| {
            matches!(
                states.get(skill.id()),
                Some(SkillState::Available | SkillState::Unlocked)
            )
        })
        .collect();
    let rank = |skill: &Skill| {
        prefer
            .iter()
            .position(|id| *id == skill.id())
            .unwrap_or(usize::MAX)
    };
    let progress_of = |skill: &Skill| progress.get(skill.id()).copied().unwrap_or(0.0);
    open.sort_by(|(order_a, a), (order_b, b)| {
        rank(a)
            .cmp(&rank(b))
            .then(progress_of(b).total_cmp(&progress_of(a)))
            .then(order_a.cmp(order_b))
    });
    open.into_iter()
        .take(3)
        .map(|(_, skill)| Target {
            skill_id: skill.id().to_owned(),
            name: skill.name().to_owned(),
            goal: goal_text(&skill.goal()),
            progress: progress_of(skill),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalog() -> &'static Catalog {
        Catalog::embedded().unwrap()
    }

    fn reps(count: u32) -> SetPerformance {
        SetPerformance {
            reps: Some(count),
            ..SetPerformance::default()
        }
    }

    fn pull_up_id() -> String {
        "pull_up".to_owned()
    }

    #[test]
    fn a_new_person_sees_the_roots_open_and_the_rest_locked() {
        let states = current_states(catalog(), &BTreeMap::new());
        assert_eq!(states.len(), catalog().skills().len());
        let root = catalog()
            .skills()
            .iter()
            .find(|s| s.prerequisites().is_empty())
            .unwrap();
        assert_eq!(states[root.id()], SkillState::Available);
        let child = catalog()
            .skills()
            .iter()
            .find(|s| !s.prerequisites().is_empty())
            .unwrap();
        assert_eq!(states[child.id()], SkillState::Locked);
    }

    #[test]
    fn meeting_a_goal_masters_it_and_opens_its_dependants() {
        let skill = catalog().skill("pull_up").unwrap();
        let goal = skill.goal();
        let GoalTarget::Reps(target) = goal.target else {
            panic!("pull-ups are a reps goal");
        };
        // Master the prerequisites first, as stored rows.
        let mut stored = BTreeMap::new();
        for prerequisite in skill.prerequisites() {
            stored.insert(
                prerequisite.clone(),
                StoredSkill {
                    state: SkillState::Mastered,
                    practised: true,
                    best_progress: 1.0,
                },
            );
        }
        let session: BTreeMap<_, _> =
            [(pull_up_id(), vec![reps(target); goal.sets as usize])].into();
        let evaluation = log_session(catalog(), &stored, &session);
        assert_eq!(evaluation.transitions.mastered, vec!["pull_up"]);
        assert_eq!(evaluation.states["pull_up"], SkillState::Mastered);
        assert_eq!(evaluation.writes["pull_up"].state, SkillState::Mastered);
        let dependants: Vec<&str> = catalog()
            .skills()
            .iter()
            .filter(|s| s.prerequisites() == ["pull_up"])
            .map(Skill::id)
            .collect();
        assert!(!dependants.is_empty());
        for dependant in dependants {
            assert!(
                evaluation
                    .transitions
                    .unlocked
                    .contains(&dependant.to_owned()),
                "{dependant}"
            );
            assert_eq!(evaluation.writes[dependant].state, SkillState::Available);
        }
    }

    #[test]
    fn a_short_session_is_progress_not_mastery() {
        let session: BTreeMap<_, _> = [(pull_up_id(), vec![reps(2)])].into();
        let evaluation = log_session(catalog(), &BTreeMap::new(), &session);
        assert!(evaluation.transitions.mastered.is_empty());
        let row = evaluation.writes["pull_up"];
        assert!(row.practised);
        assert!(row.best_progress > 0.0 && row.best_progress < 1.0);
    }

    #[test]
    fn deleting_the_only_mastering_session_takes_mastery_back() {
        let stored: BTreeMap<_, _> = [(
            pull_up_id(),
            StoredSkill {
                state: SkillState::Mastered,
                practised: true,
                best_progress: 1.0,
            },
        )]
        .into();
        let affected: BTreeSet<String> = [pull_up_id()].into();
        let evaluation = reevaluate(catalog(), &stored, &affected, &[]);
        let row = evaluation.writes["pull_up"];
        assert_ne!(row.state, SkillState::Mastered);
        assert!(!row.practised);
        assert_eq!(row.best_progress, 0.0);
    }

    #[test]
    fn next_targets_prefer_what_was_just_trained() {
        let states = current_states(catalog(), &BTreeMap::new());
        let open: Vec<&str> = states
            .iter()
            .filter(|(_, state)| **state == SkillState::Available)
            .map(|(id, _)| id.as_str())
            .collect();
        let last = *open.last().unwrap();
        let targets = next_targets(catalog(), &states, &BTreeMap::new(), &[last]);
        assert_eq!(targets[0].skill_id, last);
        assert!(targets.len() <= 3);
    }

    #[test]
    fn goals_read_like_a_coach_writes_them() {
        let goal = Goal {
            sets: 3,
            target: GoalTarget::Seconds(20),
            each_side: false,
        };
        assert_eq!(goal_text(&goal), "3x20s");
        let goal = Goal {
            sets: 3,
            target: GoalTarget::Reps(5),
            each_side: true,
        };
        assert_eq!(goal_text(&goal), "3x5 each side");
    }
}
