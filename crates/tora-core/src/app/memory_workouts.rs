//! An in-memory `WorkoutStore` for native tests of the use cases built on it. It keeps
//! what the real store keeps: workouts by owner with their sets in order (catalog
//! names resolved), and each owner's skill rows, written as the real writes do.
// Test code: a failed unwrap is a failed test, with its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::domain::catalog::Catalog;
use crate::domain::skills::{HistoricalSet, SkillRecord};
use crate::domain::workout::{ExerciseRef, NewWorkout, StoredSet, StoredWorkout};
use crate::ports::{Ids, StoreError, StoreErrorKind, WorkoutChange, WorkoutFilter, WorkoutStore};

/// A workout as the real store reads it back after writing `new`.
pub fn stored(new: &NewWorkout<'_>, created_at: DateTime<Utc>) -> StoredWorkout {
    let catalog = Catalog::embedded().unwrap();
    let sets = new
        .workout
        .entries()
        .iter()
        .flat_map(|entry| {
            let (id, name, custom) = match &entry.exercise {
                ExerciseRef::Catalog(id) => (
                    id.clone(),
                    catalog.exercise(id).unwrap().name().to_owned(),
                    false,
                ),
                ExerciseRef::Custom { name } => (format!("c_{name}"), name.to_string(), true),
            };
            entry.sets.iter().map(move |set| StoredSet {
                exercise_id: id.clone(),
                exercise_name: name.clone(),
                custom,
                set: *set,
            })
        })
        .collect();
    StoredWorkout {
        id: new.id,
        performed_at: new.performed_at,
        notes: new.notes.map(str::to_owned),
        source_message_id: new.source_message_id,
        import_id: None,
        sets,
        created_at,
        updated_at: created_at,
    }
}

/// Every set of these exercises in `workouts`, leaving out one workout.
pub fn history<'a>(
    workouts: impl Iterator<Item = &'a StoredWorkout>,
    exercise_ids: &[&str],
    except: Uuid,
) -> Vec<HistoricalSet> {
    workouts
        .filter(|workout| workout.id != except)
        .flat_map(|workout| {
            workout
                .sets
                .iter()
                .filter(|set| !set.custom && exercise_ids.contains(&set.exercise_id.as_str()))
                .map(|set| HistoricalSet {
                    workout_id: workout.id,
                    exercise_id: set.exercise_id.clone(),
                    set: *set.set,
                })
        })
        .collect()
}

/// Applies a change to a stored workout, as `update_workout` does.
pub fn changed(existing: &StoredWorkout, change: &WorkoutChange<'_>) -> StoredWorkout {
    match change {
        WorkoutChange::Fields {
            performed_at,
            notes,
            ..
        } => StoredWorkout {
            performed_at: *performed_at,
            notes: notes.map(str::to_owned),
            ..existing.clone()
        },
        WorkoutChange::Replace(new) => StoredWorkout {
            created_at: existing.created_at,
            ..stored(new, existing.updated_at)
        },
    }
}

#[derive(Default)]
pub struct MemoryWorkouts {
    /// Owner and workout.
    pub workouts: RefCell<Vec<(Uuid, StoredWorkout)>>,
    pub skills: RefCell<BTreeMap<Uuid, BTreeMap<String, SkillRecord>>>,
    /// Writes (insert, update, delete) made, to show what a use case did not do.
    pub writes: Cell<u32>,
}

impl MemoryWorkouts {
    pub fn of(&self, user_id: Uuid) -> Vec<StoredWorkout> {
        self.workouts
            .borrow()
            .iter()
            .filter(|(owner, _)| *owner == user_id)
            .map(|(_, workout)| workout.clone())
            .collect()
    }

    pub fn skill(&self, user_id: Uuid, skill: &str) -> Option<SkillRecord> {
        self.skills
            .borrow()
            .get(&user_id)
            .and_then(|rows| rows.get(skill))
            .copied()
    }

    fn write_skills(&self, user_id: Uuid, writes: &BTreeMap<String, SkillRecord>) {
        self.writes.set(self.writes.get() + 1);
        let mut skills = self.skills.borrow_mut();
        let rows = skills.entry(user_id).or_default();
        for (skill, row) in writes {
            rows.insert(skill.clone(), *row);
        }
    }
}

impl WorkoutStore for MemoryWorkouts {
    async fn insert_workout(
        &self,
        new: &NewWorkout<'_>,
        skill_writes: &BTreeMap<String, SkillRecord>,
        _ids: &impl Ids,
    ) -> Result<StoredWorkout, StoreError> {
        let workout = stored(new, new.performed_at);
        self.workouts
            .borrow_mut()
            .push((new.user_id, workout.clone()));
        self.write_skills(new.user_id, skill_writes);
        Ok(workout)
    }

    async fn workout(
        &self,
        user_id: Uuid,
        workout_id: Uuid,
    ) -> Result<Option<StoredWorkout>, StoreError> {
        Ok(self
            .of(user_id)
            .into_iter()
            .find(|workout| workout.id == workout_id))
    }

    /// Newest first; only the default filter is needed here.
    async fn workouts(
        &self,
        user_id: Uuid,
        filter: &WorkoutFilter,
        limit: u32,
    ) -> Result<Vec<StoredWorkout>, StoreError> {
        if filter.from.is_some() || filter.to.is_some() || filter.after.is_some() {
            return Err(StoreError::new(
                StoreErrorKind::Rejected,
                "the in-memory store pages nothing",
            ));
        }
        let mut workouts = self.of(user_id);
        crate::sorting::sort_by_key(&mut workouts, |workout| {
            std::cmp::Reverse((workout.performed_at, workout.id))
        });
        workouts.truncate(limit as usize);
        Ok(workouts)
    }

    async fn skill_history(
        &self,
        user_id: Uuid,
        exercise_ids: &[&str],
        except: Uuid,
    ) -> Result<(BTreeMap<String, SkillRecord>, Vec<HistoricalSet>), StoreError> {
        let stored = self
            .skills
            .borrow()
            .get(&user_id)
            .cloned()
            .unwrap_or_default();
        let workouts = self.of(user_id);
        Ok((stored, history(workouts.iter(), exercise_ids, except)))
    }

    async fn update_workout(
        &self,
        change: &WorkoutChange<'_>,
        skill_writes: &BTreeMap<String, SkillRecord>,
        _ids: &impl Ids,
    ) -> Result<Option<StoredWorkout>, StoreError> {
        let (user_id, workout_id) = match change {
            WorkoutChange::Fields {
                user_id,
                workout_id,
                ..
            } => (*user_id, *workout_id),
            WorkoutChange::Replace(new) => (new.user_id, new.id),
        };
        let mut workouts = self.workouts.borrow_mut();
        let Some((_, existing)) = workouts
            .iter_mut()
            .find(|(owner, workout)| *owner == user_id && workout.id == workout_id)
        else {
            return Ok(None);
        };
        *existing = changed(existing, change);
        let after = existing.clone();
        drop(workouts);
        self.write_skills(user_id, skill_writes);
        Ok(Some(after))
    }

    async fn delete_workout(
        &self,
        user_id: Uuid,
        workout_id: Uuid,
        skill_writes: &BTreeMap<String, SkillRecord>,
    ) -> Result<(), StoreError> {
        self.workouts
            .borrow_mut()
            .retain(|(owner, workout)| !(*owner == user_id && workout.id == workout_id));
        self.write_skills(user_id, skill_writes);
        Ok(())
    }
}
