//! Per-user skill states.

use crate::sorting::CollectTree;
use std::collections::BTreeMap;

use serde_json::json;
use uuid::Uuid;

use super::batch::Typed;
use crate::clients::neon::{NeonError, Param, QueryResult, Statement};
use crate::domain::skills::{Mastery, SkillRecord, SkillState};

const SELECT_STATES: &str = "\
select skill_id, state, inferred, practised, best_progress::float8 as best_progress
from user_skill_states where user_id = $1::uuid";

/// The same, for batches that only know the caller's subject.
const SELECT_STATES_BY_SUBJECT: &str = "\
select s.skill_id, s.state, s.inferred, s.practised, s.best_progress::float8 as best_progress
from user_skill_states s join users u on u.id = s.user_id
where u.auth_subject = $1::text";

pub fn select_states_statement(user_id: Uuid) -> Statement {
    Statement::new(SELECT_STATES, vec![user_id.into()])
}

pub fn select_states_by_subject_statement(subject: &str) -> Statement {
    Statement::new(SELECT_STATES_BY_SUBJECT, vec![subject.into()])
}

/// The caller's skill rows, by subject, typed for a batch.
pub fn states_by_subject(subject: &str) -> Typed<BTreeMap<String, SkillRecord>> {
    Typed::new(select_states_by_subject_statement(subject), |result| {
        states_from(&result)
    })
}

pub fn states_from(result: &QueryResult) -> Result<BTreeMap<String, SkillRecord>, NeonError> {
    result
        .rows
        .iter()
        .map(|row| {
            let state: String = row.get("state")?;
            let state = SkillState::from_stored(&state, row.get("inferred")?).ok_or_else(|| {
                NeonError::decode("user_skill_states.state holds an unknown state")
            })?;
            Ok((
                row.get("skill_id")?,
                SkillRecord {
                    state,
                    practised: row.get("practised")?,
                    best_progress: row.get("best_progress")?,
                },
            ))
        })
        .try_collect_map()
}

/// How a write treats a state that is already stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StateWrite {
    /// Only ever move forward (logging): a concurrent log that read an older snapshot
    /// cannot take back what another one granted.
    Raise,
    /// Set exactly (re-evaluation after an edit or delete, which may take back mastery).
    Exact,
}

const UPSERT_STATES_RAISE: &str = "\
insert into user_skill_states (user_id, skill_id, state, inferred, practised, best_progress, mastered_at, updated_at)
select $1::uuid, c.skill_id, c.state, c.inferred, c.practised, c.best_progress,
       case when c.state = 'mastered' then now() end, now()
from jsonb_to_recordset($2::jsonb) as c(skill_id text, state text, inferred bool, practised bool, best_progress real)
on conflict (user_id, skill_id) do update set
    state = case
        when array_position(array['locked','available','unlocked','mastered'], excluded.state)
           > array_position(array['locked','available','unlocked','mastered'], user_skill_states.state)
        then excluded.state else user_skill_states.state end,
    -- Proven outranks inferred: inferred only when every mastery that meets here is.
    inferred = case
        when user_skill_states.state = 'mastered' and excluded.state = 'mastered'
            then user_skill_states.inferred and excluded.inferred
        when user_skill_states.state = 'mastered' then user_skill_states.inferred
        when excluded.state = 'mastered' then excluded.inferred
        else false end,
    practised = user_skill_states.practised or excluded.practised,
    best_progress = greatest(user_skill_states.best_progress, excluded.best_progress),
    mastered_at = coalesce(user_skill_states.mastered_at, excluded.mastered_at),
    updated_at = now()";

const UPSERT_STATES_EXACT: &str = "\
insert into user_skill_states (user_id, skill_id, state, inferred, practised, best_progress, mastered_at, updated_at)
select $1::uuid, c.skill_id, c.state, c.inferred, c.practised, c.best_progress,
       case when c.state = 'mastered' then now() end, now()
from jsonb_to_recordset($2::jsonb) as c(skill_id text, state text, inferred bool, practised bool, best_progress real)
on conflict (user_id, skill_id) do update set
    state = excluded.state,
    inferred = excluded.inferred,
    practised = excluded.practised,
    best_progress = excluded.best_progress,
    mastered_at = case when excluded.state = 'mastered'
                       then coalesce(user_skill_states.mastered_at, now()) end,
    updated_at = now()";

/// Stores the given states; `None` when there is nothing to write.
pub fn upsert_statement(
    user_id: Uuid,
    changes: &BTreeMap<String, SkillRecord>,
    mode: StateWrite,
) -> Option<Statement> {
    if changes.is_empty() {
        return None;
    }
    let rows: Vec<_> = changes
        .iter()
        .map(|(skill_id, skill)| {
            json!({
                "skill_id": skill_id,
                "state": skill.state.as_str(),
                "inferred": skill.state.mastery() == Some(Mastery::Inferred),
                "practised": skill.practised,
                "best_progress": skill.best_progress,
            })
        })
        .collect();
    let sql = match mode {
        StateWrite::Raise => UPSERT_STATES_RAISE,
        StateWrite::Exact => UPSERT_STATES_EXACT,
    };
    Some(Statement::new(
        sql,
        vec![user_id.into(), Param::Json(serde_json::Value::Array(rows))],
    ))
}
