//! A person's data export: everything they stored, read in one read-only batch (one
//! round trip), oldest first.

use uuid::Uuid;

use crate::clients::neon::{IsolationLevel, NeonError, QueryResult, TransactionOptions};
use crate::db::Sql;
use crate::db::export::{
    CustomExercise, ExportedMessage, ExportedSkillState, chat_messages_from, custom_exercises_from,
    select_chat_messages_statement, select_custom_exercises_statement,
    select_skill_states_statement, skill_states_from,
};
use crate::db::workouts::{StoredWorkout, WorkoutFilter, select_page_statement, workouts_from};

/// Everything stored for one person besides the profile (the caller already has it).
#[derive(Debug, Clone, PartialEq)]
pub struct Export {
    pub workouts: Vec<StoredWorkout>,
    pub chat_messages: Vec<ExportedMessage>,
    pub skill_states: Vec<ExportedSkillState>,
    pub custom_exercises: Vec<CustomExercise>,
}

/// Every workout: the workouts query pages, so ask for the largest page it takes.
const ALL_WORKOUTS: u32 = i32::MAX as u32;

fn take(results: &mut std::vec::IntoIter<QueryResult>) -> Result<QueryResult, NeonError> {
    results
        .next()
        .ok_or_else(|| NeonError::decode("a batch returned fewer results than statements"))
}

pub async fn export(db: &impl Sql, user_id: Uuid) -> Result<Export, NeonError> {
    let results = db
        .transaction(
            vec![
                select_page_statement(user_id, &WorkoutFilter::default(), ALL_WORKOUTS),
                select_chat_messages_statement(user_id),
                select_skill_states_statement(user_id),
                select_custom_exercises_statement(user_id),
            ],
            // One snapshot: the sections agree with each other.
            TransactionOptions {
                read_only: true,
                isolation: IsolationLevel::RepeatableRead,
            },
        )
        .await?;
    let mut results = results.into_iter();
    // Newest first from the page query; an export reads oldest first.
    let mut workouts = workouts_from(take(&mut results)?)?;
    workouts.reverse();
    Ok(Export {
        workouts,
        chat_messages: chat_messages_from(&take(&mut results)?)?,
        skill_states: skill_states_from(&take(&mut results)?)?,
        custom_exercises: custom_exercises_from(&take(&mut results)?)?,
    })
}
