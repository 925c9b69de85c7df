//! Imports of other loggers' exports and the workouts they created.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};
use uuid::Uuid;

use super::batch::{self, Typed, Writes};
use super::skills::{StateWrite, upsert_statement};
use super::workouts::{insert_statements, skill_history_without};
use crate::clients::neon::{
    NeonClient, NeonError, NeonErrorKind, QueryResult, Row, Statement, TransactionOptions,
};
use crate::domain::imports::ImportSource;
use crate::domain::profile::Units;
use crate::domain::skills::{HistoricalSet, SkillRecord};
use crate::domain::workout::NewWorkout;
use crate::ports::{
    Clock, Ids, ImportFacts, ImportStore, NewImport, StoreError, StoredImport, Transport,
};

/// An import with how many workouts and sets it holds now, followed by the `where`.
macro_rules! select_imports {
    ($rest:literal) => {
        concat!(
            "select i.id, i.source, i.weight_unit, i.skipped_rows, to_jsonb(i.custom_exercises) as custom_exercises,
       i.created_at, i.finished_at,
       (select count(*) from workouts w where w.import_id = i.id)::int8 as workouts,
       (select count(*) from workout_sets s join workouts w on w.id = s.workout_id
        where w.import_id = i.id)::int8 as sets
from imports i
",
            $rest
        )
    };
}

const SELECT_IMPORTS: &str = select_imports!(
    "where i.user_id = $1::uuid and ($2::uuid is null or i.id = $2::uuid)
order by i.created_at desc, i.id desc"
);

const SELECT_IMPORT_OF_FILE: &str =
    select_imports!("where i.user_id = $1::uuid and i.file_sha256 = $2::text");

const SELECT_OWN_EXERCISES: &str = "\
select name from exercises where owner_user_id = $1::uuid order by name";

const SELECT_IMPORTED_KEYS: &str = "\
select import_key from workouts
where user_id = $1::uuid
  and import_key in (select jsonb_array_elements_text($2::jsonb))";

/// The import's row comes with its first workout; later workouts find it there.
const INSERT_IMPORT: &str = "\
insert into imports (id, user_id, source, file_sha256, weight_unit, skipped_rows, custom_exercises)
values ($1::uuid, $2::uuid, $3::text, $4::text, $5::text, $6::int4,
        array(select jsonb_array_elements_text($7::jsonb)))
on conflict (user_id, file_sha256) do update
    set custom_exercises = array(
        select distinct unnest(imports.custom_exercises || excluded.custom_exercises))";

/// Ties a just-inserted workout to its import (found by the file, so a concurrent
/// request for the same file shares one row) and names its session. The unique
/// session key makes a second copy of a session fail the whole transaction.
const MARK_IMPORTED: &str = "\
update workouts
set import_key = $3::text,
    import_id = (select id from imports where user_id = $2::uuid and file_sha256 = $4::text)
where id = $1::uuid and user_id = $2::uuid";

/// `$3`: whether the file's last workout is in. Found by the file: a concurrent
/// request for the same file may have written the row.
const FINISH_IMPORT: &str = "\
update imports
set finished_at = case when $3::bool then coalesce(finished_at, now()) else finished_at end
where file_sha256 = $1::text and user_id = $2::uuid";

const DELETE_IMPORT_WORKOUTS: &str = "\
delete from workouts where import_id = $2::uuid and user_id = $1::uuid";

/// After the import's workouts are gone: the exercises it created that no set uses.
const DELETE_IMPORT_EXERCISES: &str = "\
delete from exercises e
where e.owner_user_id = $1::uuid
  and e.name in (select unnest(custom_exercises) from imports where id = $2::uuid and user_id = $1::uuid)
  and not exists (select 1 from workout_sets s where s.exercise_id = e.id)";

const DELETE_IMPORT: &str = "\
delete from imports where id = $2::uuid and user_id = $1::uuid returning id";

/// The unique index that keeps a session from being stored twice.
const SESSION_KEY_INDEX: &str = "workouts_user_import_key";

impl StoredImport {
    fn from_row(row: &Row) -> Result<Self, NeonError> {
        let source: String = row.get("source")?;
        let unit: String = row.get("weight_unit")?;
        let custom: Value = row.get("custom_exercises")?;
        let count = |name: &str| -> Result<u32, NeonError> {
            u32::try_from(row.get::<i64>(name)?)
                .map_err(|_| NeonError::decode(format!("import {name}: out of range")))
        };
        Ok(Self {
            id: row.get("id")?,
            source: ImportSource::parse(&source)
                .ok_or_else(|| NeonError::decode("import source: unknown"))?,
            weight_unit: unit
                .parse::<Units>()
                .map_err(|_| NeonError::decode("import weight_unit: unknown"))?,
            skipped_rows: u32::try_from(row.get::<i64>("skipped_rows")?)
                .map_err(|_| NeonError::decode("import skipped_rows: out of range"))?,
            custom_exercises: serde_json::from_value(custom)
                .map_err(|error| NeonError::decode(format!("import custom_exercises: {error}")))?,
            created_at: row.get("created_at")?,
            finished_at: row.get("finished_at")?,
            workouts: count("workouts")?,
            sets: count("sets")?,
        })
    }
}

fn imports_from(result: QueryResult) -> Result<Vec<StoredImport>, NeonError> {
    result.rows.iter().map(StoredImport::from_row).collect()
}

fn import_from(result: QueryResult) -> Result<Option<StoredImport>, NeonError> {
    Ok(imports_from(result)?.pop())
}

fn select_imports_statement(user_id: Uuid, import_id: Option<Uuid>) -> Statement {
    Statement::new(SELECT_IMPORTS, vec![user_id.into(), import_id.into()])
}

/// Every import of the person, newest first (the export's section).
pub(crate) fn all_imports(user_id: Uuid) -> Typed<Vec<StoredImport>> {
    Typed::new(select_imports_statement(user_id, None), imports_from)
}

fn select_import_of_file(user_id: Uuid, file_sha256: &str) -> Statement {
    Statement::new(
        SELECT_IMPORT_OF_FILE,
        vec![user_id.into(), file_sha256.into()],
    )
}

fn names_from(result: QueryResult) -> Result<Vec<String>, NeonError> {
    result.rows.iter().map(|row| row.get("name")).collect()
}

fn keys_from(result: QueryResult) -> Result<BTreeSet<String>, NeonError> {
    result
        .rows
        .iter()
        .map(|row| row.get("import_key"))
        .collect()
}

fn read_only() -> TransactionOptions {
    TransactionOptions {
        read_only: true,
        ..TransactionOptions::default()
    }
}

impl<T: Transport, C: Clock> ImportStore for NeonClient<'_, T, C> {
    async fn import_facts(
        &self,
        user_id: Uuid,
        file_sha256: &str,
        session_keys: &[&str],
    ) -> Result<ImportFacts, StoreError> {
        let (earlier, own_exercises, imported_keys) = batch::run(
            self,
            (
                Typed::new(select_import_of_file(user_id, file_sha256), import_from),
                Typed::new(
                    Statement::new(SELECT_OWN_EXERCISES, vec![user_id.into()]),
                    names_from,
                ),
                Typed::new(
                    Statement::new(
                        SELECT_IMPORTED_KEYS,
                        vec![user_id.into(), json!(session_keys).into()],
                    ),
                    keys_from,
                ),
            ),
            read_only(),
        )
        .await?;
        Ok(ImportFacts {
            earlier,
            own_exercises,
            imported_keys,
        })
    }

    async fn insert_imported_workout(
        &self,
        import: &NewImport<'_>,
        workout: &NewWorkout<'_>,
        session_key: &str,
        ids: &impl Ids,
    ) -> Result<bool, StoreError> {
        let mut writes = vec![Statement::new(
            INSERT_IMPORT,
            vec![
                import.id.into(),
                import.user_id.into(),
                import.source.as_str().into(),
                import.file_sha256.into(),
                import.weight_unit.as_str().into(),
                i64::from(import.skipped_rows).into(),
                json!(import.custom_exercises).into(),
            ],
        )];
        writes.extend(insert_statements(workout, || ids.new_uuid()));
        writes.push(Statement::new(
            MARK_IMPORTED,
            vec![
                workout.id.into(),
                workout.user_id.into(),
                session_key.into(),
                import.file_sha256.into(),
            ],
        ));
        match batch::run(self, (Writes(writes),), TransactionOptions::default()).await {
            Ok(((),)) => Ok(true),
            Err(error)
                if error.kind() == NeonErrorKind::UniqueViolation
                    && error.constraint.as_deref() == Some(SESSION_KEY_INDEX) =>
            {
                Ok(false)
            }
            Err(error) => Err(error.into()),
        }
    }

    async fn history_without_import(
        &self,
        user_id: Uuid,
        exercise_ids: &[&str],
        without: Option<Uuid>,
    ) -> Result<(BTreeMap<String, SkillRecord>, Vec<HistoricalSet>), StoreError> {
        skill_history_without(self, user_id, exercise_ids, None, without).await
    }

    async fn finish_import(
        &self,
        user_id: Uuid,
        file_sha256: &str,
        finished: bool,
        skill_writes: &BTreeMap<String, SkillRecord>,
    ) -> Result<Option<StoredImport>, StoreError> {
        let mut writes = vec![Statement::new(
            FINISH_IMPORT,
            vec![file_sha256.into(), user_id.into(), finished.into()],
        )];
        writes.extend(upsert_statement(user_id, skill_writes, StateWrite::Exact));
        let ((), import) = batch::run(
            self,
            (
                Writes(writes),
                Typed::new(select_import_of_file(user_id, file_sha256), import_from),
            ),
            TransactionOptions::default(),
        )
        .await?;
        Ok(import)
    }

    async fn imports(&self, user_id: Uuid) -> Result<Vec<StoredImport>, StoreError> {
        Ok(all_imports(user_id).run(self).await?)
    }

    async fn import(
        &self,
        user_id: Uuid,
        import_id: Uuid,
    ) -> Result<Option<StoredImport>, StoreError> {
        Ok(Typed::new(
            select_imports_statement(user_id, Some(import_id)),
            import_from,
        )
        .run(self)
        .await?)
    }

    async fn delete_import(
        &self,
        user_id: Uuid,
        import_id: Uuid,
        skill_writes: &BTreeMap<String, SkillRecord>,
    ) -> Result<bool, StoreError> {
        let params = || vec![user_id.into(), import_id.into()];
        let mut writes = vec![
            Statement::new(DELETE_IMPORT_WORKOUTS, params()),
            Statement::new(DELETE_IMPORT_EXERCISES, params()),
        ];
        writes.extend(upsert_statement(user_id, skill_writes, StateWrite::Exact));
        let ((), deleted) = batch::run(
            self,
            (
                Writes(writes),
                Typed::new(Statement::new(DELETE_IMPORT, params()), |result| {
                    Ok(!result.rows.is_empty())
                }),
            ),
            TransactionOptions::default(),
        )
        .await?;
        Ok(deleted)
    }
}
