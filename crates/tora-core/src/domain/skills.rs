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

/// One logged set, as far as the rules care.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct SetPerformance {
    pub reps: Option<u32>,
    pub seconds: Option<f64>,
    pub assisted: bool,
    pub each_side: bool,
}

impl Goal {
    /// Whether a single set reaches the goal's reps or seconds. Assisted sets never
    /// count: the goal is the unassisted skill. A range counts by its lower end, the
    /// part that was surely done.
    pub fn set_qualifies(&self, set: &SetPerformance) -> bool {
        if set.assisted || (self.each_side && !set.each_side) {
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
    pub fn met_by(&self, session: &[SetPerformance]) -> bool {
        self.qualifying_sets(session) >= self.sets
    }

    pub fn qualifying_sets(&self, session: &[SetPerformance]) -> u32 {
        let count = session.iter().filter(|set| self.set_qualifies(set)).count();
        u32::try_from(count).unwrap_or(u32::MAX)
    }

    /// Progress of one session toward the goal, 0.0 to 1.0: the best `sets` sets,
    /// each capped at the target, over the full goal volume.
    pub fn progress(&self, session: &[SetPerformance]) -> f64 {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn reps(count: u32) -> SetPerformance {
        SetPerformance {
            reps: Some(count),
            ..SetPerformance::default()
        }
    }

    fn hold(seconds: f64) -> SetPerformance {
        SetPerformance {
            seconds: Some(seconds),
            ..SetPerformance::default()
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
        let assisted = SetPerformance {
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
        let per_side = SetPerformance {
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
