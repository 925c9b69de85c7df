//! Importing another logger's export: plan it (a dry run stops there), store each new
//! workout in its own transaction, then re-decide the skill tree from the whole
//! history. Sessions already stored are recognised by their key, so posting the same
//! file again creates nothing, and a request cut off part-way is finished by posting
//! the file again.

use crate::sorting::CollectTree;
use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::domain::account::User;
use crate::domain::catalog::Catalog;
use crate::domain::imports::plan::{ImportOptions, ImportPlan, file_hash, plan, session_keys};
use crate::domain::imports::{ImportError, ImportSource, parse};
use crate::domain::profile::Units;
use crate::domain::skills::{self, Evaluation};
use crate::domain::uploads::UploadKind;
use crate::domain::workout::{NewWorkout, Notes};
use crate::ports::{
    Ids, ImportStore, NewImport, ObjectStorage, StoreError, StoredImport, UploadStore,
};

/// Workouts stored by one request. Each is one round trip to the database, and a
/// Worker's subrequests per request are limited (1000 on the paid plan); the rest of a
/// longer file is stored by posting it again.
pub const WORKOUTS_PER_REQUEST: usize = 250;

#[derive(Debug, thiserror::Error)]
pub enum ImportFailure {
    #[error(transparent)]
    Unreadable(#[from] ImportError),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// No completed import file of the caller's has this upload id.
    #[error("no completed import file")]
    NoFile,
    #[error("the file is not UTF-8 text")]
    NotText,
    #[error("storage: {0}")]
    Storage(String),
}

/// One import request, checked.
pub struct ImportRequest<'a> {
    pub source: ImportSource,
    pub text: &'a str,
    /// The unit of a file that does not say.
    pub weight_unit: Option<Units>,
    pub dry_run: bool,
    pub options: ImportOptions,
}

/// What an import request found and did.
pub struct ImportOutcome<'c> {
    pub plan: ImportPlan<'c>,
    pub unit: Units,
    /// Planned workouts whose session is stored already.
    pub already_imported: usize,
    /// Planned workouts not stored yet (before this request).
    pub new_workouts: usize,
    pub new_sets: usize,
    /// Stored by this request.
    pub created_workouts: usize,
    pub created_sets: usize,
    /// New workouts left for the next post of the same file.
    pub remaining: usize,
    /// The import this file belongs to (`None` on a dry run, or when nothing of the
    /// file was ever stored under it).
    pub import: Option<StoredImport>,
    /// The skill tree's change (`None` when nothing was stored).
    pub evaluation: Option<Evaluation>,
}

/// Reads an import file the caller uploaded (`import_csv`, completed).
pub async fn uploaded_text(
    store: &impl UploadStore,
    storage: &impl ObjectStorage,
    user_id: Uuid,
    upload_id: Uuid,
) -> Result<String, ImportFailure> {
    let upload = store
        .find_upload(user_id, upload_id)
        .await?
        .filter(|upload| upload.kind == UploadKind::ImportCsv && upload.completed_at.is_some())
        .ok_or(ImportFailure::NoFile)?;
    let bytes = storage
        .get(&upload.object_key)
        .await
        .map_err(|error| ImportFailure::Storage(error.to_string()))?
        .ok_or(ImportFailure::NoFile)?;
    String::from_utf8(bytes).map_err(|_| ImportFailure::NotText)
}

pub async fn import<'c>(
    store: &impl ImportStore,
    ids: &impl Ids,
    catalog: &'c Catalog,
    user: &User,
    now: DateTime<Utc>,
    request: &ImportRequest<'_>,
) -> Result<ImportOutcome<'c>, ImportFailure> {
    let parsed = parse(request.source, request.text, request.weight_unit)?;
    let hash = file_hash(request.text);
    let keys = session_keys(&parsed);
    let key_refs: Vec<&str> = keys.iter().map(String::as_str).collect();
    let facts = store.import_facts(user.id, &hash, &key_refs).await?;
    let plan = plan(
        catalog,
        &parsed,
        user.timezone,
        &facts.own_exercises,
        &request.options,
        now,
    );
    let fresh: Vec<usize> = plan
        .workouts
        .iter()
        .enumerate()
        .filter(|(_, workout)| !facts.imported_keys.contains(&workout.key))
        .map(|(index, _)| index)
        .collect();
    let new_sets = fresh
        .iter()
        .map(|&index| plan.workouts[index].set_count())
        .sum();
    let mut outcome = ImportOutcome {
        unit: parsed.unit,
        already_imported: plan.workouts.len() - fresh.len(),
        new_workouts: fresh.len(),
        new_sets,
        created_workouts: 0,
        created_sets: 0,
        remaining: fresh.len(),
        import: None,
        evaluation: None,
        plan,
    };
    if request.dry_run {
        return Ok(outcome);
    }
    let import_id = facts
        .earlier
        .as_ref()
        .map_or_else(|| ids.new_uuid(), |earlier| earlier.id);
    let skipped_rows = outcome
        .plan
        .skipped
        .iter()
        .map(|group| group.lines.len())
        .sum::<usize>();
    let custom = outcome.plan.new_custom_names();
    let new_import = NewImport {
        id: import_id,
        user_id: user.id,
        source: request.source,
        file_sha256: &hash,
        weight_unit: parsed.unit,
        skipped_rows: u32::try_from(skipped_rows).unwrap_or(u32::MAX),
        custom_exercises: &custom,
    };
    let mut stored_any = false;
    let mut attempted = 0;
    for &index in fresh.iter().take(WORKOUTS_PER_REQUEST) {
        let planned = &outcome.plan.workouts[index];
        let new = NewWorkout {
            id: ids.new_uuid(),
            user_id: user.id,
            performed_at: planned.performed_at,
            notes: planned.notes.as_ref().map(Notes::as_str),
            source_message_id: None,
            workout: &planned.workout,
        };
        attempted += 1;
        // `false`: a concurrent post of the same session stored it first.
        if store
            .insert_imported_workout(&new_import, &new, &planned.key, ids)
            .await?
        {
            stored_any = true;
            outcome.created_workouts += 1;
            outcome.created_sets += planned.set_count();
        }
    }
    outcome.remaining = fresh.len() - attempted;
    // An earlier post of this file may have stopped before its skill step.
    let unfinished = facts
        .earlier
        .as_ref()
        .is_some_and(|earlier| earlier.finished_at.is_none());
    // `attempted` without `stored_any`: a concurrent post of the same file stored
    // them; the import is its row, found by the file.
    if stored_any || unfinished || attempted > 0 {
        let evaluation = redecide(store, catalog, user.id, None).await?;
        outcome.import = store
            .finish_import(user.id, &hash, outcome.remaining == 0, &evaluation.writes)
            .await?;
        outcome.evaluation = Some(evaluation);
    } else {
        outcome.import = facts.earlier;
    }
    Ok(outcome)
}

/// Every skill re-decided from the person's whole history (without one import's
/// workouts when given). Whether a skill is proven does not depend on the order the
/// sessions are read in, so this is the tree the sessions give in date order.
async fn redecide(
    store: &impl ImportStore,
    catalog: &Catalog,
    user_id: Uuid,
    without: Option<Uuid>,
) -> Result<Evaluation, StoreError> {
    let all: BTreeSet<String> = catalog
        .skills()
        .iter()
        .map(|skill| skill.id().to_owned())
        .collect_set();
    let ids: Vec<&str> = all.iter().map(String::as_str).collect();
    let (stored, history) = store.history_without_import(user_id, &ids, without).await?;
    Ok(skills::reevaluate(catalog, &stored, &all, &history))
}

pub async fn list(
    store: &impl ImportStore,
    user_id: Uuid,
) -> Result<Vec<StoredImport>, StoreError> {
    store.imports(user_id).await
}

pub async fn get(
    store: &impl ImportStore,
    user_id: Uuid,
    import_id: Uuid,
) -> Result<Option<StoredImport>, StoreError> {
    store.import(user_id, import_id).await
}

/// A deleted import (as it was) and what removing its workouts did to the tree.
pub struct Deleted {
    pub import: StoredImport,
    pub evaluation: Evaluation,
}

/// Deletes what the import created; `None` when the caller has no such import.
pub async fn delete(
    store: &impl ImportStore,
    catalog: &Catalog,
    user_id: Uuid,
    import_id: Uuid,
) -> Result<Option<Deleted>, StoreError> {
    let Some(import) = store.import(user_id, import_id).await? else {
        return Ok(None);
    };
    let evaluation = redecide(store, catalog, user_id, Some(import_id)).await?;
    if !store
        .delete_import(user_id, import_id, &evaluation.writes)
        .await?
    {
        return Ok(None);
    }
    Ok(Some(Deleted { import, evaluation }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::imports::plan::CustomExercises;
    use crate::domain::skills::{HistoricalSet, SkillRecord};
    use crate::ports::ImportFacts;
    use std::cell::RefCell;
    use std::collections::BTreeMap;

    type SkillRows = BTreeMap<String, SkillRecord>;

    /// Imports in memory, enough to follow the use case: sessions by key, sets per
    /// workout, skill rows.
    #[derive(Default)]
    struct MemoryImports {
        imports: RefCell<Vec<StoredImport>>,
        hashes: RefCell<BTreeMap<Uuid, String>>,
        workouts: RefCell<Vec<(Uuid, String, Vec<HistoricalSet>)>>,
        states: RefCell<SkillRows>,
        /// Inserts that fail (as if the database went away) after this many.
        fail_after: Option<usize>,
        inserts: RefCell<usize>,
    }

    impl ImportStore for MemoryImports {
        async fn import_facts(
            &self,
            _user_id: Uuid,
            file_sha256: &str,
            keys: &[&str],
        ) -> Result<ImportFacts, StoreError> {
            let earlier = self
                .hashes
                .borrow()
                .iter()
                .find(|(_, hash)| *hash == file_sha256)
                .map(|(id, _)| *id);
            let stored: BTreeSet<String> = self
                .workouts
                .borrow()
                .iter()
                .map(|(_, key, _)| key.clone())
                .collect();
            Ok(ImportFacts {
                earlier: earlier.and_then(|id| self.find(id)),
                own_exercises: Vec::new(),
                imported_keys: keys
                    .iter()
                    .filter(|key| stored.contains(**key))
                    .map(|key| (*key).to_owned())
                    .collect(),
            })
        }

        async fn insert_imported_workout(
            &self,
            import: &NewImport<'_>,
            workout: &NewWorkout<'_>,
            key: &str,
            _ids: &impl Ids,
        ) -> Result<bool, StoreError> {
            let done = *self.inserts.borrow();
            if self.fail_after.is_some_and(|limit| done >= limit) {
                return Err(StoreError::new(
                    crate::ports::StoreErrorKind::Unavailable,
                    "gone",
                ));
            }
            *self.inserts.borrow_mut() += 1;
            if !self.hashes.borrow().contains_key(&import.id) {
                self.hashes
                    .borrow_mut()
                    .insert(import.id, import.file_sha256.to_owned());
                self.imports.borrow_mut().push(StoredImport {
                    id: import.id,
                    source: import.source,
                    weight_unit: import.weight_unit,
                    skipped_rows: import.skipped_rows,
                    custom_exercises: Vec::new(),
                    created_at: now(),
                    finished_at: None,
                    workouts: 0,
                    sets: 0,
                });
            }
            let sets = workout
                .workout
                .session()
                .into_iter()
                .flat_map(|(exercise_id, sets)| {
                    sets.into_iter().map(move |set| HistoricalSet {
                        workout_id: workout.id,
                        exercise_id: exercise_id.clone(),
                        set,
                    })
                })
                .collect();
            self.workouts
                .borrow_mut()
                .push((import.id, key.to_owned(), sets));
            Ok(true)
        }

        async fn history_without_import(
            &self,
            _user_id: Uuid,
            _exercise_ids: &[&str],
            without: Option<Uuid>,
        ) -> Result<(SkillRows, Vec<HistoricalSet>), StoreError> {
            let history = self
                .workouts
                .borrow()
                .iter()
                .filter(|(import, _, _)| Some(*import) != without)
                .flat_map(|(_, _, sets)| sets.clone())
                .collect();
            Ok((self.states.borrow().clone(), history))
        }

        async fn finish_import(
            &self,
            _user_id: Uuid,
            file_sha256: &str,
            finished: bool,
            writes: &SkillRows,
        ) -> Result<Option<StoredImport>, StoreError> {
            let import_id = self
                .hashes
                .borrow()
                .iter()
                .find(|(_, hash)| *hash == file_sha256)
                .map(|(id, _)| *id)
                .unwrap_or_default();
            self.states.borrow_mut().extend(writes.clone());
            if finished {
                for import in self.imports.borrow_mut().iter_mut() {
                    if import.id == import_id {
                        import.finished_at.get_or_insert_with(now);
                    }
                }
            }
            Ok(self.find(import_id))
        }

        async fn imports(&self, _user_id: Uuid) -> Result<Vec<StoredImport>, StoreError> {
            Ok(self.imports.borrow().clone())
        }

        async fn import(
            &self,
            _user_id: Uuid,
            import_id: Uuid,
        ) -> Result<Option<StoredImport>, StoreError> {
            Ok(self.find(import_id))
        }

        async fn delete_import(
            &self,
            _user_id: Uuid,
            import_id: Uuid,
            writes: &SkillRows,
        ) -> Result<bool, StoreError> {
            self.workouts
                .borrow_mut()
                .retain(|(import, _, _)| *import != import_id);
            self.imports
                .borrow_mut()
                .retain(|import| import.id != import_id);
            self.hashes.borrow_mut().remove(&import_id);
            self.states.borrow_mut().extend(writes.clone());
            Ok(true)
        }
    }

    impl MemoryImports {
        fn find(&self, id: Uuid) -> Option<StoredImport> {
            let workouts = self.workouts.borrow();
            self.imports
                .borrow()
                .iter()
                .find(|import| import.id == id)
                .map(|import| StoredImport {
                    workouts: u32::try_from(
                        workouts.iter().filter(|(owner, _, _)| *owner == id).count(),
                    )
                    .unwrap(),
                    ..import.clone()
                })
        }

        fn state(&self, skill: &str) -> Option<SkillRecord> {
            self.states.borrow().get(skill).copied()
        }
    }

    fn user() -> User {
        crate::app::fakes::user(Uuid::from_u128(7))
    }

    fn catalog() -> &'static Catalog {
        Catalog::embedded().unwrap()
    }

    fn now() -> DateTime<Utc> {
        "2026-12-03T12:00:00Z".parse().unwrap()
    }

    /// `sessions` days of three sets of eight pull-ups (the pull-up's goal).
    fn hevy(sessions: u32) -> String {
        let mut text = String::from(
            "title,start_time,end_time,description,exercise_title,superset_id,exercise_notes,set_index,set_type,weight_kg,reps,distance_km,duration_seconds,rpe\n",
        );
        let first = chrono::NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
        for day in 0..sessions {
            let date = (first + chrono::Duration::days(i64::from(day))).format("%d %b %Y");
            for set in 0..3 {
                text.push_str(&format!(
                    "Pull day,\"{date}, 07:00\",\"{date}, 08:00\",,Pull Up,,,{set},normal,,8,,,\n"
                ));
            }
        }
        text
    }

    async fn run(
        store: &MemoryImports,
        ids: &impl Ids,
        text: &str,
        dry_run: bool,
    ) -> Result<ImportOutcome<'static>, ImportFailure> {
        import(
            store,
            ids,
            catalog(),
            &user(),
            now(),
            &request(text, dry_run),
        )
        .await
    }

    fn request(text: &str, dry_run: bool) -> ImportRequest<'_> {
        ImportRequest {
            source: ImportSource::Hevy,
            text,
            weight_unit: None,
            dry_run,
            options: ImportOptions {
                include_warmups: false,
                custom: CustomExercises::None,
            },
        }
    }

    #[tokio::test]
    async fn a_dry_run_stores_nothing_and_a_second_import_of_the_file_creates_nothing() {
        let store = MemoryImports::default();
        let ids = crate::app::fakes::ids();
        let text = hevy(3);
        let dry = run(&store, &ids, &text, true).await.unwrap();
        assert_eq!((dry.new_workouts, dry.new_sets), (3, 9));
        assert!(store.workouts.borrow().is_empty());
        assert!(dry.import.is_none());

        let first = run(&store, &ids, &text, false).await.unwrap();
        assert_eq!((first.created_workouts, first.created_sets), (3, 9));
        let stored = first.import.unwrap();
        assert_eq!(stored.workouts, 3);
        assert!(stored.finished_at.is_some());
        assert!(
            first
                .evaluation
                .unwrap()
                .transitions
                .mastered
                .contains(&"pull_up".to_owned())
        );

        let again = run(&store, &ids, &text, false).await.unwrap();
        assert_eq!((again.created_workouts, again.already_imported), (0, 3));
        assert_eq!(again.import.unwrap().id, stored.id);
        assert_eq!(store.workouts.borrow().len(), 3);
        assert_eq!(store.imports.borrow().len(), 1);
    }

    #[tokio::test]
    async fn a_longer_export_adds_only_its_new_sessions_under_a_new_import() {
        let store = MemoryImports::default();
        let ids = crate::app::fakes::ids();
        let (short, long) = (hevy(2), hevy(4));
        run(&store, &ids, &short, false).await.unwrap();
        let later = run(&store, &ids, &long, false).await.unwrap();
        assert_eq!((later.created_workouts, later.already_imported), (2, 2));
        assert_eq!(store.imports.borrow().len(), 2);
    }

    #[tokio::test]
    async fn a_request_cut_off_part_way_keeps_what_it_stored_and_the_next_post_finishes() {
        let text = hevy(4);
        let store = MemoryImports {
            fail_after: Some(2),
            ..MemoryImports::default()
        };
        let ids = crate::app::fakes::ids();
        let failed = run(&store, &ids, &text, false).await;
        assert!(matches!(failed, Err(ImportFailure::Store(_))));
        assert_eq!(store.workouts.borrow().len(), 2);
        assert!(store.imports.borrow()[0].finished_at.is_none());
        // The skill step never ran.
        assert!(store.state("pull_up").is_none());

        let store = MemoryImports {
            fail_after: None,
            ..store
        };
        let resumed = run(&store, &ids, &text, false).await.unwrap();
        assert_eq!((resumed.created_workouts, resumed.already_imported), (2, 2));
        assert!(resumed.import.unwrap().finished_at.is_some());
        assert!(store.state("pull_up").is_some());
    }

    #[tokio::test]
    async fn more_sessions_than_one_request_stores_are_finished_by_the_next_post() {
        let text = hevy(u32::try_from(WORKOUTS_PER_REQUEST).unwrap() + 3);
        let store = MemoryImports::default();
        let ids = crate::app::fakes::ids();
        let first = run(&store, &ids, &text, false).await.unwrap();
        assert_eq!(
            (first.created_workouts, first.remaining),
            (WORKOUTS_PER_REQUEST, 3)
        );
        assert!(first.import.unwrap().finished_at.is_none());
        let second = run(&store, &ids, &text, false).await.unwrap();
        assert_eq!((second.created_workouts, second.remaining), (3, 0));
        assert!(second.import.unwrap().finished_at.is_some());
    }

    #[tokio::test]
    async fn deleting_an_import_removes_its_workouts_and_takes_back_what_they_proved() {
        let store = MemoryImports::default();
        let ids = crate::app::fakes::ids();
        let text = hevy(1);
        let done = run(&store, &ids, &text, false).await.unwrap();
        let id = done.import.unwrap().id;
        assert_eq!(
            store.state("pull_up").map(|row| row.state.as_str()),
            Some("mastered")
        );
        let deleted = delete(&store, catalog(), user().id, id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(deleted.import.workouts, 1);
        assert!(store.workouts.borrow().is_empty());
        assert_ne!(
            store.state("pull_up").map(|row| row.state.as_str()),
            Some("mastered")
        );
        assert!(
            delete(&store, catalog(), user().id, id)
                .await
                .unwrap()
                .is_none()
        );
    }
}
