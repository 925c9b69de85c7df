//! Skill-tree rules: when a session masters a skill, and which skills a person can
//! work on given what they have mastered. Pure functions over plain data; the catalog
//! supplies the tree, the database the history.
//!
//! States, in order of progress:
//! - `locked`: some prerequisite is not mastered yet (logging it is still allowed);
//! - `available`: every prerequisite is mastered, nothing logged yet;
//! - `unlocked`: available and practised at least once, goal not met yet;
//! - `mastered`: one logged session met the goal. Mastery is never lost by later
//!   sessions, only by editing or deleting the sessions that earned it.

use std::collections::{BTreeMap, BTreeSet};

use uuid::Uuid;

use crate::domain::catalog::{Catalog, Skill};
use crate::domain::coaching::Target;
use crate::domain::workout::SetFields;

/// What one session must contain to master a skill.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Goal {
    pub sets: u32,
    pub target: GoalTarget,
    /// The reps or seconds are per side: only sets logged "each side" count.
    pub each_side: bool,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum GoalTarget {
    Reps(u32),
    Seconds(u32),
}

impl Goal {
    /// Whether a single set reaches the goal's reps or seconds. Assisted sets never
    /// count: the goal is the unassisted skill. A range counts by its lower end, the
    /// part that was surely done.
    pub fn set_qualifies(&self, set: &SetFields) -> bool {
        if !set.unassisted() || (self.each_side && !set.each_side) {
            return false;
        }
        match self.target {
            GoalTarget::Reps(reps) => set.reps.is_some_and(|done| done >= reps),
            GoalTarget::Seconds(seconds) => {
                set.seconds.is_some_and(|done| done >= f64::from(seconds))
            }
        }
    }

    /// Whether one session's sets of this skill meet the goal.
    pub fn met_by(&self, session: &[SetFields]) -> bool {
        self.qualifying_sets(session) >= self.sets
    }

    pub fn qualifying_sets(&self, session: &[SetFields]) -> u32 {
        let count = session.iter().filter(|set| self.set_qualifies(set)).count();
        u32::try_from(count).unwrap_or(u32::MAX)
    }

    /// Progress of one session toward the goal, 0.0 to 1.0: the best `sets` sets,
    /// each capped at the target, over the full goal volume.
    pub fn progress(&self, session: &[SetFields]) -> f64 {
        let target = match self.target {
            GoalTarget::Reps(reps) => f64::from(reps),
            GoalTarget::Seconds(seconds) => f64::from(seconds),
        };
        if target <= 0.0 || self.sets == 0 {
            return 0.0;
        }
        let mut amounts: Vec<f64> = session
            .iter()
            .filter(|set| !set.assisted && (!self.each_side || set.each_side))
            .map(|set| match self.target {
                GoalTarget::Reps(_) => set.reps.map_or(0.0, f64::from),
                GoalTarget::Seconds(_) => set.seconds.unwrap_or(0.0),
            })
            .map(|amount| amount.min(target))
            .collect();
        amounts.sort_by(|a, b| b.total_cmp(a));
        let best: f64 = amounts.iter().take(self.sets as usize).sum();
        (best / (target * f64::from(self.sets))).clamp(0.0, 1.0)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum SkillState {
    Locked,
    Available,
    Unlocked,
    Mastered,
}

impl SkillState {
    pub fn as_str(self) -> &'static str {
        match self {
            SkillState::Locked => "locked",
            SkillState::Available => "available",
            SkillState::Unlocked => "unlocked",
            SkillState::Mastered => "mastered",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "locked" => Some(SkillState::Locked),
            "available" => Some(SkillState::Available),
            "unlocked" => Some(SkillState::Unlocked),
            "mastered" => Some(SkillState::Mastered),
            _ => None,
        }
    }
}

/// A skill's place in the tree.
#[derive(Debug, Clone, PartialEq)]
pub struct SkillNode {
    pub id: String,
    pub prerequisites: Vec<String>,
    pub goal: Goal,
}

/// What a person has done, per skill id.
#[derive(Debug, Clone, Default)]
pub struct History {
    pub mastered: BTreeSet<String>,
    pub practised: BTreeSet<String>,
}

/// The state of every skill given a history. Prerequisites only need to be
/// mastered; a mastered skill stays mastered even if its prerequisites are not (the
/// person proved it).
pub fn states<'a>(
    tree: impl IntoIterator<Item = &'a SkillNode>,
    history: &History,
) -> BTreeMap<String, SkillState> {
    tree.into_iter()
        .map(|skill| {
            let state = if history.mastered.contains(&skill.id) {
                SkillState::Mastered
            } else if !skill
                .prerequisites
                .iter()
                .all(|prerequisite| history.mastered.contains(prerequisite))
            {
                SkillState::Locked
            } else if history.practised.contains(&skill.id) {
                SkillState::Unlocked
            } else {
                SkillState::Available
            };
            (skill.id.clone(), state)
        })
        .collect()
}

/// What changed between two evaluations, for the coaching reply.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Transitions {
    /// Newly mastered skills.
    pub mastered: Vec<String>,
    /// Skills whose prerequisites just became all mastered.
    pub unlocked: Vec<String>,
}

pub fn transitions(
    before: &BTreeMap<String, SkillState>,
    after: &BTreeMap<String, SkillState>,
) -> Transitions {
    let mut changes = Transitions::default();
    for (id, state) in after {
        let previous = before.get(id).copied().unwrap_or(SkillState::Locked);
        if *state == SkillState::Mastered && previous != SkillState::Mastered {
            changes.mastered.push(id.clone());
        }
        if previous == SkillState::Locked
            && matches!(state, SkillState::Available | SkillState::Unlocked)
        {
            changes.unlocked.push(id.clone());
        }
    }
    changes
}

/// What is kept per skill per person: its state, whether it was ever logged, and the
/// best single-session progress toward its goal.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SkillRecord {
    pub state: SkillState,
    pub practised: bool,
    pub best_progress: f64,
}

/// One set from a person's history, for re-deciding mastery.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoricalSet {
    pub workout_id: Uuid,
    pub exercise_id: String,
    pub set: SetFields,
}

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
    pub writes: BTreeMap<String, SkillRecord>,
    pub transitions: Transitions,
    /// Every skill's state afterwards.
    pub states: BTreeMap<String, SkillState>,
    /// Every skill's best progress afterwards.
    pub progress: BTreeMap<String, f64>,
}

fn nodes(catalog: &Catalog) -> Vec<SkillNode> {
    catalog.skills().iter().map(Skill::node).collect()
}

fn standings_from(stored: &BTreeMap<String, SkillRecord>) -> BTreeMap<String, Standing> {
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
    stored: &BTreeMap<String, SkillRecord>,
) -> BTreeMap<String, SkillState> {
    states(&nodes(catalog), &history_of(&standings_from(stored)))
}

/// Applies new standings for some skills and works out what changed.
fn evaluate(
    catalog: &Catalog,
    stored: &BTreeMap<String, SkillRecord>,
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
        let new_row = SkillRecord {
            state: *state,
            practised: standing.practised,
            best_progress: standing.best_progress,
        };
        let old_row = stored.get(id).copied().unwrap_or(SkillRecord {
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
    stored: &BTreeMap<String, SkillRecord>,
    session: &BTreeMap<String, Vec<SetFields>>,
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
    stored: &BTreeMap<String, SkillRecord>,
    affected: &BTreeSet<String>,
    history: &[HistoricalSet],
) -> Evaluation {
    let mut sessions: BTreeMap<&str, BTreeMap<Uuid, Vec<SetFields>>> = BTreeMap::new();
    for set in history {
        sessions
            .entry(set.exercise_id.as_str())
            .or_default()
            .entry(set.workout_id)
            .or_default()
            .push(set.set);
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

    fn reps(count: u32) -> SetFields {
        SetFields {
            reps: Some(count),
            ..SetFields::default()
        }
    }

    fn hold(seconds: f64) -> SetFields {
        SetFields {
            seconds: Some(seconds),
            ..SetFields::default()
        }
    }

    const PULL_UP: Goal = Goal {
        sets: 3,
        target: GoalTarget::Reps(8),
        each_side: false,
    };

    #[test]
    fn a_session_masters_a_reps_goal_only_with_enough_qualifying_sets() {
        assert!(PULL_UP.met_by(&[reps(8), reps(9), reps(8)]));
        assert!(PULL_UP.met_by(&[reps(5), reps(8), reps(8), reps(10)]));
        assert!(!PULL_UP.met_by(&[reps(8), reps(8), reps(7)]));
        assert!(!PULL_UP.met_by(&[reps(8), reps(8)]));
        let assisted = SetFields {
            assisted: true,
            ..reps(12)
        };
        assert!(!PULL_UP.met_by(&[reps(8), reps(8), assisted]));
    }

    #[test]
    fn hold_goals_compare_seconds() {
        let l_sit = Goal {
            sets: 3,
            target: GoalTarget::Seconds(15),
            each_side: false,
        };
        assert!(l_sit.met_by(&[hold(15.0), hold(20.0), hold(15.5)]));
        assert!(!l_sit.met_by(&[hold(15.0), hold(14.9), hold(30.0)]));
        assert!(!l_sit.met_by(&[reps(15), reps(15), reps(15)]));
    }

    #[test]
    fn each_side_goals_need_sets_logged_per_side() {
        let archer = Goal {
            sets: 3,
            target: GoalTarget::Reps(6),
            each_side: true,
        };
        let per_side = SetFields {
            each_side: true,
            ..reps(6)
        };
        assert!(archer.met_by(&[per_side, per_side, per_side]));
        assert!(!archer.met_by(&[reps(6), reps(6), reps(6)]));
    }

    #[test]
    fn progress_caps_each_set_and_takes_the_best_sets() {
        assert_eq!(PULL_UP.progress(&[reps(8), reps(8), reps(8)]), 1.0);
        assert_eq!(PULL_UP.progress(&[reps(20), reps(4)]), 0.5);
        assert_eq!(
            PULL_UP.progress(&[reps(4), reps(4), reps(4), reps(8)]),
            16.0 / 24.0
        );
        assert_eq!(PULL_UP.progress(&[]), 0.0);
    }

    fn node(id: &str, prerequisites: &[&str]) -> SkillNode {
        SkillNode {
            id: id.to_owned(),
            prerequisites: prerequisites.iter().map(|p| (*p).to_owned()).collect(),
            goal: PULL_UP,
        }
    }

    #[test]
    fn states_follow_prerequisites_and_history() {
        let tree = vec![
            node("dip", &[]),
            node("ring_support", &[]),
            node("ring_dip", &["dip", "ring_support"]),
        ];
        let mut history = History::default();
        let initial = states(&tree, &history);
        assert_eq!(initial["dip"], SkillState::Available);
        assert_eq!(initial["ring_dip"], SkillState::Locked);

        history.mastered.insert("dip".into());
        history.practised.insert("dip".into());
        history.practised.insert("ring_dip".into());
        let partial = states(&tree, &history);
        assert_eq!(partial["dip"], SkillState::Mastered);
        assert_eq!(
            partial["ring_dip"],
            SkillState::Locked,
            "one prerequisite is not enough"
        );

        history.mastered.insert("ring_support".into());
        let after = states(&tree, &history);
        assert_eq!(
            after["ring_dip"],
            SkillState::Unlocked,
            "practised while locked, now open"
        );
        let changes = transitions(&partial, &after);
        assert_eq!(changes.mastered, vec!["ring_support"]);
        assert_eq!(changes.unlocked, vec!["ring_dip"]);
    }

    #[test]
    fn a_locked_skill_can_be_mastered_directly() {
        let tree = vec![node("pull_up", &[]), node("muscle_up", &["pull_up"])];
        let history = History {
            mastered: ["muscle_up".to_owned()].into(),
            practised: ["muscle_up".to_owned()].into(),
        };
        assert_eq!(states(&tree, &history)["muscle_up"], SkillState::Mastered);
    }
}

#[cfg(test)]
mod evaluation_tests {
    use super::*;

    fn catalog() -> &'static Catalog {
        Catalog::embedded().unwrap()
    }

    fn reps(count: u32) -> SetFields {
        SetFields {
            reps: Some(count),
            ..SetFields::default()
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
                SkillRecord {
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
            SkillRecord {
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
