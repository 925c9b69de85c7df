//! Skill-tree rules: when a session masters a skill, and which skills a person can
//! work on given what they have mastered. Pure functions over plain data; the catalog
//! supplies the tree, the database the history.
//!
//! States, in order of progress:
//! - `locked`: some prerequisite is not mastered yet (logging it is still allowed);
//! - `available`: every prerequisite is mastered, nothing logged yet;
//! - `unlocked`: available and practised at least once, goal not met yet;
//! - `mastered`: one logged session met the goal (proven), or a proven skill requires
//!   it, directly or through other skills (inferred: whoever does a pull-up can do a
//!   dead hang). Mastery is never lost by later sessions, only by editing or deleting
//!   the sessions that earned it; an inferred one lasts while some proven skill
//!   still requires it, and turns proven when a session of its own meets the goal.
//!
//! Next targets are always a step up from what the person trains, never something
//! below it (see [`next_targets`]).

use crate::sorting::CollectTree;
use std::collections::{BTreeMap, BTreeSet};

use uuid::Uuid;

use crate::domain::catalog::{Catalog, Skill};
use crate::domain::coaching::Target;
use crate::domain::workout::{SetFields, Side};

/// What one session must contain to master a skill.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Goal {
    pub sets: u32,
    pub target: GoalTarget,
    /// The reps or seconds are per side: only sets logged "each side" count, or a
    /// left set paired with a right set.
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
        (!self.each_side || set.each_side) && self.reaches(set)
    }

    /// Whether a set, on whatever side, is unassisted and reaches the target.
    fn reaches(&self, set: &SetFields) -> bool {
        if !set.unassisted() {
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
        let mut count = session.iter().filter(|set| self.set_qualifies(set)).count();
        if self.each_side {
            // A left set and a right set that both reach the target are one set per side.
            let reaching = |side: Side| {
                session
                    .iter()
                    .filter(|set| set.side == Some(side) && self.reaches(set))
                    .count()
            };
            count += reaching(Side::Left).min(reaching(Side::Right));
        }
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
        let amount = |set: &SetFields| {
            let done = match self.target {
                GoalTarget::Reps(_) => set.reps.map_or(0.0, f64::from),
                GoalTarget::Seconds(_) => set.seconds.unwrap_or(0.0),
            };
            done.min(target)
        };
        let mut amounts: Vec<f64> = session
            .iter()
            .filter(|set| set.unassisted() && (!self.each_side || set.each_side))
            .map(amount)
            .collect();
        if self.each_side {
            // Left and right sets pair up, best with best; a pair counts its weaker side.
            let side_amounts = |side: Side| {
                let mut amounts: Vec<f64> = session
                    .iter()
                    .filter(|set| set.unassisted() && set.side == Some(side))
                    .map(amount)
                    .collect();
                crate::sorting::sort_by(&mut amounts, |a, b| b.total_cmp(a));
                amounts
            };
            let (left, right) = (side_amounts(Side::Left), side_amounts(Side::Right));
            amounts.extend(
                left.iter()
                    .zip(&right)
                    .map(|(left, right)| left.min(*right)),
            );
        }
        crate::sorting::sort_by(&mut amounts, |a, b| b.total_cmp(a));
        let best: f64 = amounts.iter().take(self.sets as usize).sum();
        (best / (target * f64::from(self.sets))).clamp(0.0, 1.0)
    }
}

/// How a mastered skill came to be mastered.
///
/// Declared weakest first: a proven mastery outranks an inferred one wherever two
/// meet (the stored rows only ever raise a state while logging).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Mastery {
    /// Never shown in a logged session, but required (directly or through other
    /// skills) by a skill that was: whoever does a pull-up can do a dead hang.
    Inferred,
    /// One logged session met the goal.
    Proven,
}

impl Mastery {
    pub fn as_str(self) -> &'static str {
        match self {
            Mastery::Inferred => "inferred",
            Mastery::Proven => "proven",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum SkillState {
    Locked,
    Available,
    Unlocked,
    Mastered(Mastery),
}

impl SkillState {
    /// The public name; both kinds of mastery are `mastered`.
    pub fn as_str(self) -> &'static str {
        match self {
            SkillState::Locked => "locked",
            SkillState::Available => "available",
            SkillState::Unlocked => "unlocked",
            SkillState::Mastered(_) => "mastered",
        }
    }

    /// A stored state: its name and whether a mastery is inferred (only read for
    /// `mastered`).
    pub fn from_stored(raw: &str, inferred: bool) -> Option<Self> {
        match raw {
            "locked" => Some(SkillState::Locked),
            "available" => Some(SkillState::Available),
            "unlocked" => Some(SkillState::Unlocked),
            "mastered" if inferred => Some(SkillState::Mastered(Mastery::Inferred)),
            "mastered" => Some(SkillState::Mastered(Mastery::Proven)),
            _ => None,
        }
    }

    pub fn mastery(self) -> Option<Mastery> {
        match self {
            SkillState::Mastered(mastery) => Some(mastery),
            _ => None,
        }
    }

    pub fn is_mastered(self) -> bool {
        self.mastery().is_some()
    }

    /// Available or unlocked: every prerequisite mastered, the skill itself not yet.
    pub fn is_open(self) -> bool {
        matches!(self, SkillState::Available | SkillState::Unlocked)
    }
}

/// A skill's place in the tree.
#[derive(Debug, Clone, PartialEq)]
pub struct SkillNode {
    pub id: String,
    pub prerequisites: Vec<String>,
    pub goal: Goal,
}

/// Every skill that the `from` skills require, directly or through other skills. A
/// skill of `from` is in it only when another one of them requires it.
/// `prerequisites_of` is the tree, as a lookup.
pub fn requirements<'t, I, S>(
    prerequisites_of: impl Fn(&str) -> Option<&'t [String]>,
    from: I,
) -> BTreeSet<&'t str>
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    let mut pending: Vec<&'t str> = from
        .into_iter()
        .filter_map(|id| prerequisites_of(id.as_ref()))
        .flatten()
        .map(String::as_str)
        .collect();
    let mut found = BTreeSet::new();
    while let Some(id) = pending.pop() {
        if found.insert(id) {
            pending.extend(
                prerequisites_of(id)
                    .into_iter()
                    .flatten()
                    .map(String::as_str),
            );
        }
    }
    found
}

/// What a person has done, per skill id.
#[derive(Debug, Clone, Default)]
pub struct History {
    /// Skills a logged session mastered.
    pub proven: BTreeSet<String>,
    pub practised: BTreeSet<String>,
}

/// The state of every skill given a history. A proven skill masters its whole
/// prerequisite chain (as inferred mastery), so whatever sits below something the
/// person has shown is mastered too, and a proven skill is never left above locked
/// prerequisites.
pub fn states<'a>(
    tree: impl IntoIterator<Item = &'a SkillNode>,
    history: &History,
) -> BTreeMap<String, SkillState> {
    let tree: Vec<&SkillNode> = tree.into_iter().collect();
    let by_id: BTreeMap<&str, &SkillNode> = tree
        .iter()
        .map(|node| (node.id.as_str(), *node))
        .collect_map();
    let inferred = requirements(
        |id| by_id.get(id).map(|node| node.prerequisites.as_slice()),
        &history.proven,
    );
    let mastered = |id: &str| history.proven.contains(id) || inferred.contains(id);
    tree.iter()
        .map(|skill| {
            let state = if history.proven.contains(&skill.id) {
                SkillState::Mastered(Mastery::Proven)
            } else if inferred.contains(skill.id.as_str()) {
                SkillState::Mastered(Mastery::Inferred)
            } else if !skill
                .prerequisites
                .iter()
                .all(|prerequisite| mastered(prerequisite))
            {
                SkillState::Locked
            } else if history.practised.contains(&skill.id) {
                SkillState::Unlocked
            } else {
                SkillState::Available
            };
            (skill.id.clone(), state)
        })
        .collect_map()
}

/// What changed between two evaluations, for the coaching reply. Each list is in
/// tree order, except `unlocked` (below).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Transitions {
    /// Skills newly mastered by a logged session. An inferred mastery turning proven
    /// is not news: the skill already showed as mastered.
    pub mastered: Vec<String>,
    /// Skills newly mastered by inference, below the ones just proven.
    pub inferred: Vec<String>,
    /// Skills whose prerequisites just became all mastered: the next steps of the
    /// skills just mastered first, taking one step of each in turn, then the rest.
    pub unlocked: Vec<String>,
}

pub fn transitions(
    tree: &[SkillNode],
    before: &BTreeMap<String, SkillState>,
    after: &BTreeMap<String, SkillState>,
) -> Transitions {
    let mut changes = Transitions::default();
    for skill in tree {
        let Some(state) = after.get(&skill.id).copied() else {
            continue;
        };
        let previous = before.get(&skill.id).copied().unwrap_or(SkillState::Locked);
        match (previous.mastery(), state.mastery()) {
            (None, Some(Mastery::Proven)) => changes.mastered.push(skill.id.clone()),
            (None, Some(Mastery::Inferred)) => changes.inferred.push(skill.id.clone()),
            _ => {}
        }
        if previous == SkillState::Locked && state.is_open() {
            changes.unlocked.push(skill.id.clone());
        }
    }
    let order = in_turns(
        &changes.mastered,
        |parent, unlocked| {
            tree.iter()
                .find(|node| node.id == unlocked)
                .is_some_and(|node| node.prerequisites.iter().any(|id| id == parent))
        },
        &changes.unlocked,
    );
    let mut unlocked = changes.unlocked.clone();
    // Stable: what follows from no new mastery keeps tree order, after the rest.
    crate::sorting::sort_by_key(&mut unlocked, |id| {
        order.get(id.as_str()).copied().unwrap_or((usize::MAX, 0))
    });
    changes.unlocked = unlocked;
    changes
}

/// Deals the `candidates` (already in order of preference) out to the `parents` they
/// follow from, one per parent per turn: `(turn, parent's position)` per candidate
/// that follows from some parent. A person who trained three things hears about a
/// next step of each before a second step of any.
fn in_turns<'c>(
    parents: &[impl AsRef<str>],
    follows: impl Fn(&str, &str) -> bool,
    candidates: &'c [impl AsRef<str>],
) -> BTreeMap<&'c str, (usize, usize)> {
    let mut order: BTreeMap<&'c str, (usize, usize)> = BTreeMap::new();
    for (position, parent) in parents.iter().enumerate() {
        let steps = candidates
            .iter()
            .map(AsRef::as_ref)
            .filter(|candidate| follows(parent.as_ref(), candidate));
        for (turn, step) in steps.enumerate() {
            let slot = order.entry(step).or_insert((turn, position));
            *slot = (*slot).min((turn, position));
        }
    }
    order
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

/// What the logged sessions show about one skill for one person; everything else
/// (inferred mastery, the state) is derived from these over the whole tree.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
struct Facts {
    proven: bool,
    practised: bool,
    best_progress: f64,
}

/// A person's place in the whole tree: what targets and views are chosen from.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Standing {
    /// Every skill's state.
    pub states: BTreeMap<String, SkillState>,
    /// Skills logged at least once.
    pub practised: BTreeSet<String>,
    /// Best single-session progress per skill (absent: none).
    pub progress: BTreeMap<String, f64>,
}

/// The outcome of moving a person's standing.
#[derive(Debug, Clone, Default)]
pub struct Evaluation {
    /// Rows to store (only those that differ from what is stored or derived before).
    pub writes: BTreeMap<String, SkillRecord>,
    pub transitions: Transitions,
    /// The standing afterwards.
    pub standing: Standing,
}

fn nodes(catalog: &Catalog) -> Vec<SkillNode> {
    catalog.skills().iter().map(Skill::node).collect()
}

fn facts_from(stored: &BTreeMap<String, SkillRecord>) -> BTreeMap<String, Facts> {
    stored
        .iter()
        .map(|(id, skill)| {
            (
                id.clone(),
                Facts {
                    // Inferred rows are re-derived from the proven ones, never kept
                    // on their own: that is what lets a delete take them back.
                    proven: skill.state == SkillState::Mastered(Mastery::Proven),
                    practised: skill.practised,
                    best_progress: skill.best_progress,
                },
            )
        })
        .collect_map()
}

fn history_of(facts: &BTreeMap<String, Facts>) -> History {
    let ids = |keep: fn(&Facts) -> bool| {
        facts
            .iter()
            .filter(|(_, facts)| keep(facts))
            .map(|(id, _)| id.clone())
            .collect_set()
    };
    History {
        proven: ids(|facts| facts.proven),
        practised: ids(|facts| facts.practised),
    }
}

fn standing_of(tree: &[SkillNode], facts: &BTreeMap<String, Facts>) -> Standing {
    let history = history_of(facts);
    Standing {
        states: states(tree, &history),
        practised: history.practised,
        progress: facts
            .iter()
            .filter(|(_, facts)| facts.best_progress > 0.0)
            .map(|(id, facts)| (id.clone(), facts.best_progress))
            .collect_map(),
    }
}

/// A person's standing as stored and derived, without any change.
pub fn standing(catalog: &Catalog, stored: &BTreeMap<String, SkillRecord>) -> Standing {
    standing_of(&nodes(catalog), &facts_from(stored))
}

/// Applies new facts for some skills and works out what changed, over the whole tree
/// (a proven or lost mastery moves the skills below it too).
fn evaluate(
    catalog: &Catalog,
    stored: &BTreeMap<String, SkillRecord>,
    changed: BTreeMap<String, Facts>,
) -> Evaluation {
    let tree = nodes(catalog);
    let before_facts = facts_from(stored);
    let before = states(&tree, &history_of(&before_facts));
    let mut after_facts = before_facts;
    after_facts.extend(changed);
    let after = standing_of(&tree, &after_facts);

    let mut writes = BTreeMap::new();
    for (id, state) in &after.states {
        let facts = after_facts.get(id).copied().unwrap_or_default();
        let new_row = SkillRecord {
            state: *state,
            practised: facts.practised,
            best_progress: facts.best_progress,
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
        transitions: transitions(&tree, &before, &after.states),
        standing: after,
    }
}

/// A newly logged session: the sets per catalog exercise it contains.
pub fn log_session(
    catalog: &Catalog,
    stored: &BTreeMap<String, SkillRecord>,
    session: &BTreeMap<String, Vec<SetFields>>,
) -> Evaluation {
    let before = facts_from(stored);
    let mut changed = BTreeMap::new();
    for (exercise_id, sets) in session {
        let Some(skill) = catalog.skill(exercise_id) else {
            continue;
        };
        let goal = skill.goal();
        let old = before.get(exercise_id).copied().unwrap_or_default();
        changed.insert(
            exercise_id.clone(),
            Facts {
                proven: old.proven || goal.met_by(sets),
                practised: true,
                best_progress: old.best_progress.max(goal.progress(sets)),
            },
        );
    }
    evaluate(catalog, stored, changed)
}

/// Re-decides the `affected` skills from their whole remaining history (after an edit
/// or delete): proven only if some remaining session meets the goal. The masteries
/// inferred from them follow: kept while another proven skill still requires them.
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
        let mut facts = Facts::default();
        for sets in sessions
            .get(skill_id.as_str())
            .into_iter()
            .flat_map(BTreeMap::values)
        {
            facts.practised = true;
            facts.proven |= goal.met_by(sets);
            facts.best_progress = facts.best_progress.max(goal.progress(sets));
        }
        changed.insert(skill_id.clone(), facts);
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

/// Why a skill is a candidate target, best first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Reason {
    /// Trained in this session and not mastered yet.
    JustTrained,
    /// A next step of a skill trained in this session.
    StepUpFromToday,
    /// Logged before, not mastered yet: work in progress.
    InProgress,
    /// A next step of anything the person has logged.
    StepUp,
    /// Open, in a branch (category) the person trains.
    SameBranch,
    /// Open, anywhere else.
    Elsewhere,
}

/// Up to three skills to work on next, never a regression: no skill that anything
/// the person trained today, has logged or has mastered requires (directly or not).
/// Candidates are the open skills and the ones the person trains anyway while still
/// locked. The order is [`Reason`]'s: what was just `trained`, nearest to its goal
/// first (then in the order given); then the next steps of those, one per trained
/// skill in turn; then work in progress; then next steps of anything logged; then
/// open skills in the branches trained; then the rest. Within each, nearest to goal
/// first, then tree order.
pub fn next_targets(catalog: &Catalog, standing: &Standing, trained: &[&str]) -> Vec<Target> {
    let state_of = |id: &str| standing.states.get(id).copied();
    let progress_of = |id: &str| standing.progress.get(id).copied().unwrap_or(0.0);
    let mastered = |id: &str| state_of(id).is_some_and(SkillState::is_mastered);
    let worked = trained
        .iter()
        .copied()
        .chain(standing.practised.iter().map(String::as_str))
        .chain(
            standing
                .states
                .iter()
                .filter(|(_, state)| state.is_mastered())
                .map(|(id, _)| id.as_str()),
        );
    let below = requirements(|id| catalog.skill(id).map(Skill::prerequisites), worked);
    let trains = |id: &str| trained.contains(&id) || standing.practised.contains(id);

    // In tree order, so every later ordering falls back to it.
    let mut candidates: Vec<&Skill> = catalog
        .skills()
        .iter()
        .filter(|skill| {
            let id = skill.id();
            !mastered(id)
                && !below.contains(id)
                && (state_of(id).is_some_and(SkillState::is_open) || trains(id))
        })
        .collect();
    crate::sorting::sort_by(&mut candidates, |a, b| {
        progress_of(b.id()).total_cmp(&progress_of(a.id()))
    });
    let candidate_ids: Vec<&str> = candidates.iter().map(|skill| skill.id()).collect();
    let follows = |parent: &str, id: &str| {
        catalog
            .skill(id)
            .is_some_and(|skill| skill.prerequisites().iter().any(|p| p == parent))
    };
    let turns = in_turns(trained, follows, &candidate_ids);
    let branches: BTreeSet<_> = catalog
        .skills()
        .iter()
        .filter(|skill| trains(skill.id()))
        .map(Skill::category)
        .collect_set();
    let reason = |skill: &Skill| {
        let id = skill.id();
        if trained.contains(&id) {
            Reason::JustTrained
        } else if turns.contains_key(id) {
            Reason::StepUpFromToday
        } else if standing.practised.contains(id) {
            Reason::InProgress
        } else if skill
            .prerequisites()
            .iter()
            .any(|prerequisite| standing.practised.contains(prerequisite))
        {
            Reason::StepUp
        } else if branches.contains(&skill.category()) {
            Reason::SameBranch
        } else {
            Reason::Elsewhere
        }
    };
    let position_in = |id: &str| trained.iter().position(|t| *t == id);
    let mut ranked: Vec<(Reason, &Skill)> = candidates
        .into_iter()
        .map(|skill| (reason(skill), skill))
        .collect();
    // Stable, over candidates already nearest to goal first and then in tree order.
    crate::sorting::sort_by(&mut ranked, |(reason_a, a), (reason_b, b)| {
        reason_a.cmp(reason_b).then_with(|| match reason_a {
            // Equally near their goals: in the order trained.
            Reason::JustTrained => progress_of(b.id())
                .total_cmp(&progress_of(a.id()))
                .then(position_in(a.id()).cmp(&position_in(b.id()))),
            Reason::StepUpFromToday => turns.get(a.id()).cmp(&turns.get(b.id())),
            _ => std::cmp::Ordering::Equal,
        })
    });
    ranked
        .into_iter()
        .take(3)
        .map(|(_, skill)| Target {
            skill_id: skill.id().to_owned(),
            name: skill.name().to_owned(),
            goal: goal_text(&skill.goal()),
            progress: progress_of(skill.id()),
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
        // Three sets on each side, logged one side at a time, are the goal too.
        let on = |side, done| SetFields {
            side: Some(side),
            ..reps(done)
        };
        let (left, right) = (Side::Left, Side::Right);
        let sided = [
            on(left, 6),
            on(right, 6),
            on(left, 6),
            on(right, 6),
            per_side,
        ];
        assert!(archer.met_by(&sided));
        // Four left sets and two right ones are two sets per side.
        let lopsided = [
            on(left, 6),
            on(left, 6),
            on(left, 6),
            on(left, 6),
            on(right, 6),
            on(right, 6),
        ];
        assert!(!archer.met_by(&lopsided));
        assert_eq!(archer.qualifying_sets(&lopsided), 2);
        // A pair counts its weaker side: 6 and 3 is half a set of 6.
        assert_eq!(archer.progress(&[on(left, 6), on(right, 3)]), 0.5 / 3.0);
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

        history.proven.insert("dip".into());
        history.practised.insert("dip".into());
        history.practised.insert("ring_dip".into());
        let partial = states(&tree, &history);
        assert_eq!(partial["dip"], SkillState::Mastered(Mastery::Proven));
        assert_eq!(
            partial["ring_dip"],
            SkillState::Locked,
            "one prerequisite is not enough"
        );

        history.proven.insert("ring_support".into());
        let after = states(&tree, &history);
        assert_eq!(
            after["ring_dip"],
            SkillState::Unlocked,
            "practised while locked, now open"
        );
        let changes = transitions(&tree, &partial, &after);
        assert_eq!(changes.mastered, vec!["ring_support"]);
        assert_eq!(changes.unlocked, vec!["ring_dip"]);
    }

    #[test]
    fn a_locked_skill_can_be_mastered_directly_and_masters_what_it_requires() {
        let tree = vec![
            node("dead_hang", &[]),
            node("pull_up", &["dead_hang"]),
            node("dip", &[]),
            node("muscle_up", &["pull_up", "dip"]),
            node("ring_muscle_up", &["muscle_up"]),
        ];
        let before = states(&tree, &History::default());
        let history = History {
            proven: ["muscle_up".to_owned()].into(),
            practised: ["muscle_up".to_owned()].into(),
        };
        let after = states(&tree, &history);
        assert_eq!(after["muscle_up"], SkillState::Mastered(Mastery::Proven));
        for below in ["dead_hang", "pull_up", "dip"] {
            assert_eq!(
                after[below],
                SkillState::Mastered(Mastery::Inferred),
                "{below}"
            );
        }
        assert_eq!(after["ring_muscle_up"], SkillState::Available);
        let changes = transitions(&tree, &before, &after);
        assert_eq!(
            changes.mastered,
            ["muscle_up"],
            "only the proven one is news"
        );
        assert_eq!(changes.inferred, ["dead_hang", "pull_up", "dip"]);
        assert_eq!(changes.unlocked, ["ring_muscle_up"]);
    }

    #[test]
    fn proven_outranks_inferred() {
        let tree = vec![node("dead_hang", &[]), node("pull_up", &["dead_hang"])];
        let history = History {
            proven: ["dead_hang".to_owned(), "pull_up".to_owned()].into(),
            practised: BTreeSet::new(),
        };
        assert_eq!(
            states(&tree, &history)["dead_hang"],
            SkillState::Mastered(Mastery::Proven)
        );
        assert!(SkillState::Mastered(Mastery::Proven) > SkillState::Mastered(Mastery::Inferred));
        assert!(SkillState::Mastered(Mastery::Inferred) > SkillState::Unlocked);
        assert_eq!(
            SkillState::from_stored("mastered", true),
            Some(SkillState::Mastered(Mastery::Inferred))
        );
        assert_eq!(
            SkillState::from_stored("unlocked", true),
            Some(SkillState::Unlocked),
            "the flag means nothing below mastered"
        );
    }

    #[test]
    fn newly_open_skills_list_the_steps_after_new_masteries_first_in_turns() {
        let tree = vec![
            node("a", &[]),
            node("b", &[]),
            node("other", &[]),
            node("after_other", &["other"]),
            node("a1", &["a"]),
            node("a2", &["a"]),
            node("b1", &["b"]),
            node("b2", &["b"]),
        ];
        let before = states(
            &tree,
            &History {
                proven: ["other".to_owned()].into(),
                practised: BTreeSet::new(),
            },
        );
        let mut after = before.clone();
        after.insert("after_other".into(), SkillState::Available);
        for id in ["a", "b"] {
            after.insert(id.into(), SkillState::Mastered(Mastery::Proven));
        }
        for id in ["a1", "a2", "b1", "b2"] {
            after.insert(id.into(), SkillState::Available);
        }
        let before: BTreeMap<_, _> = before
            .into_iter()
            .map(|(id, state)| {
                let state = if id == "after_other" {
                    SkillState::Locked
                } else {
                    state
                };
                (id, state)
            })
            .collect();
        let changes = transitions(&tree, &before, &after);
        assert_eq!(changes.unlocked, ["a1", "b1", "a2", "b2", "after_other"]);
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
        let states = standing(catalog(), &BTreeMap::new()).states;
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
                    state: SkillState::Mastered(Mastery::Proven),
                    practised: true,
                    best_progress: 1.0,
                },
            );
        }
        let session: BTreeMap<_, _> =
            [(pull_up_id(), vec![reps(target); goal.sets as usize])].into();
        let evaluation = log_session(catalog(), &stored, &session);
        assert_eq!(evaluation.transitions.mastered, vec!["pull_up"]);
        assert_eq!(
            evaluation.standing.states["pull_up"],
            SkillState::Mastered(Mastery::Proven)
        );
        assert_eq!(
            evaluation.writes["pull_up"].state,
            SkillState::Mastered(Mastery::Proven)
        );
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
                state: SkillState::Mastered(Mastery::Proven),
                practised: true,
                best_progress: 1.0,
            },
        )]
        .into();
        let affected: BTreeSet<String> = [pull_up_id()].into();
        let evaluation = reevaluate(catalog(), &stored, &affected, &[]);
        let row = evaluation.writes["pull_up"];
        assert!(!row.state.is_mastered());
        assert!(!row.practised);
        assert_eq!(row.best_progress, 0.0);
    }

    #[test]
    fn next_targets_prefer_what_was_just_trained() {
        let standing = standing(catalog(), &BTreeMap::new());
        let open: Vec<&str> = standing
            .states
            .iter()
            .filter(|(_, state)| **state == SkillState::Available)
            .map(|(id, _)| id.as_str())
            .collect();
        let last = *open.last().unwrap();
        let targets = next_targets(catalog(), &standing, &[last]);
        assert_eq!(targets[0].skill_id, last);
        assert!(targets.len() <= 3);
    }

    fn session(entries: &[(&str, Vec<SetFields>)]) -> BTreeMap<String, Vec<SetFields>> {
        entries
            .iter()
            .map(|(id, sets)| ((*id).to_owned(), sets.clone()))
            .collect()
    }

    /// What the database holds after the evaluation's writes (as exact writes).
    fn stored_after(
        stored: &BTreeMap<String, SkillRecord>,
        evaluation: &Evaluation,
    ) -> BTreeMap<String, SkillRecord> {
        let mut stored = stored.clone();
        stored.extend(evaluation.writes.clone());
        stored
    }

    fn set_of(workout: u128, exercise: &str, set: SetFields) -> HistoricalSet {
        HistoricalSet {
            workout_id: Uuid::from_u128(workout),
            exercise_id: exercise.to_owned(),
            set,
        }
    }

    const PULL_UP_CHAIN: [&str; 3] = ["dead_hang", "scapular_pull_up", "negative_pull_up"];

    #[test]
    fn mastering_a_skill_masters_its_prerequisite_chain_as_inferred() {
        let logged = log_session(
            catalog(),
            &BTreeMap::new(),
            &session(&[("pull_up", vec![reps(8); 3])]),
        );
        assert_eq!(logged.transitions.mastered, ["pull_up"]);
        assert_eq!(logged.transitions.inferred, PULL_UP_CHAIN);
        for id in PULL_UP_CHAIN {
            let row = logged.writes[id];
            assert_eq!(row.state, SkillState::Mastered(Mastery::Inferred), "{id}");
            assert!(!row.practised, "{id}: inferred, not logged");
        }
        assert_eq!(
            logged.writes["pull_up"].state,
            SkillState::Mastered(Mastery::Proven)
        );
        // Unrelated roots stay as they were.
        assert_eq!(
            logged.standing.states["inverted_row"],
            SkillState::Available
        );
    }

    #[test]
    fn a_proven_session_of_an_inferred_skill_turns_it_proven_quietly() {
        let first = log_session(
            catalog(),
            &BTreeMap::new(),
            &session(&[("pull_up", vec![reps(8); 3])]),
        );
        let stored = stored_after(&BTreeMap::new(), &first);
        let hang = SetFields {
            seconds: Some(30.0),
            ..SetFields::default()
        };
        let second = log_session(
            catalog(),
            &stored,
            &session(&[("dead_hang", vec![hang; 3])]),
        );
        assert_eq!(
            second.writes["dead_hang"].state,
            SkillState::Mastered(Mastery::Proven)
        );
        assert!(second.writes["dead_hang"].practised);
        assert_eq!(
            second.transitions,
            Transitions::default(),
            "already mastered"
        );
    }

    #[test]
    fn deleting_the_proving_workout_takes_inferred_mastery_back() {
        let logged = log_session(
            catalog(),
            &BTreeMap::new(),
            &session(&[("pull_up", vec![reps(8); 3])]),
        );
        let stored = stored_after(&BTreeMap::new(), &logged);
        let affected: BTreeSet<String> = [pull_up_id()].into();
        let deleted = reevaluate(catalog(), &stored, &affected, &[]);
        let after = stored_after(&stored, &deleted);
        assert_eq!(after["dead_hang"].state, SkillState::Available);
        assert_eq!(after["scapular_pull_up"].state, SkillState::Locked);
        assert_eq!(after["negative_pull_up"].state, SkillState::Locked);
        assert_eq!(after["pull_up"].state, SkillState::Locked);
        assert_eq!(
            standing(catalog(), &after),
            standing(catalog(), &BTreeMap::new())
        );
    }

    #[test]
    fn inferred_mastery_stays_while_another_proven_skill_requires_it() {
        // Workout 1 proves pull-ups, workout 2 chin-ups; both need negatives.
        let mut stored = BTreeMap::new();
        for (exercise, count) in [("pull_up", 8), ("chin_up", 8)] {
            let logged = log_session(
                catalog(),
                &stored,
                &session(&[(exercise, vec![reps(count); 3])]),
            );
            stored = stored_after(&stored, &logged);
        }
        let history: Vec<_> = (0..3).map(|_| set_of(2, "chin_up", reps(8))).collect();
        let affected: BTreeSet<String> = [pull_up_id()].into();
        let deleted = reevaluate(catalog(), &stored, &affected, &history);
        let after = standing(catalog(), &stored_after(&stored, &deleted));
        for id in PULL_UP_CHAIN {
            assert_eq!(
                after.states[id],
                SkillState::Mastered(Mastery::Inferred),
                "{id}: chin-ups still require it"
            );
        }
        assert_eq!(after.states["pull_up"], SkillState::Available);
    }

    #[test]
    fn an_inferred_skill_that_was_practised_keeps_its_progress_when_mastery_goes() {
        let hang = SetFields {
            seconds: Some(15.0),
            ..SetFields::default()
        };
        let mut stored = BTreeMap::new();
        let first = log_session(
            catalog(),
            &stored,
            &session(&[("dead_hang", vec![hang; 3])]),
        );
        stored = stored_after(&stored, &first);
        let second = log_session(
            catalog(),
            &stored,
            &session(&[("pull_up", vec![reps(8); 3])]),
        );
        stored = stored_after(&stored, &second);
        assert_eq!(
            stored["dead_hang"].state,
            SkillState::Mastered(Mastery::Inferred)
        );
        let history: Vec<_> = (0..3).map(|_| set_of(1, "dead_hang", hang)).collect();
        let affected: BTreeSet<String> = [pull_up_id()].into();
        let deleted = reevaluate(catalog(), &stored, &affected, &history);
        let row = stored_after(&stored, &deleted)["dead_hang"];
        assert_eq!(row.state, SkillState::Unlocked);
        assert_eq!(row.best_progress, 0.5);
    }

    #[test]
    fn next_targets_never_go_below_what_is_trained() {
        // Push-ups practised below their goal, their prerequisites untouched.
        let logged = log_session(
            catalog(),
            &BTreeMap::new(),
            &session(&[("push_up", vec![reps(5); 3])]),
        );
        let targets = next_targets(catalog(), &logged.standing, &["push_up"]);
        assert_eq!(targets[0].skill_id, "push_up");
        for target in &targets {
            assert!(
                !["wall_push_up", "incline_push_up"].contains(&target.skill_id.as_str()),
                "{targets:?}"
            );
        }
        // The same holds for the tree view, which knows nothing of today.
        let targets = next_targets(catalog(), &logged.standing, &[]);
        assert_eq!(targets[0].skill_id, "push_up");
        assert!(
            targets.iter().all(|t| t.skill_id != "wall_push_up"),
            "{targets:?}"
        );
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
