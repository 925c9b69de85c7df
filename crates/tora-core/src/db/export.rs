//! Everything a person stored, for their export, oldest first and in pages: workouts
//! (in the shape the API shows them), chat messages, credit ledger rows, memories,
//! meals and uploads page by their position; skill rows and custom exercises are few
//! and come whole.

use uuid::Uuid;

use super::batch::{self, Typed};
use super::chat::status_and_answer;
use super::credits::ledger_oldest_first;
use super::meals::meals_oldest_first;
use super::memories::memories_oldest_first;
use super::uploads::uploads_oldest_first;
use super::workouts::workouts_from;
use crate::clients::neon::{NeonClient, NeonError, Row, Statement, TransactionOptions};
pub use crate::domain::export::{CustomExercise, ExportedMessage, ExportedSkillState};
use crate::domain::memory::Memory;
use crate::domain::uploads::Upload;
use crate::domain::workout::StoredWorkout;
use crate::ports::{
    Clock, ExportLimits, ExportStart, ExportStore, LedgerEntry, PageCursor, StoreError, StoredMeal,
    Transport,
};

/// Workouts after a position, oldest first.
const SELECT_WORKOUTS_AFTER: &str = super::workouts::select_workouts!(
    "from workouts w
where w.user_id = $1::uuid
  and ($2::timestamptz is null or (w.performed_at, w.id) > ($2::timestamptz, $3::uuid))
order by w.performed_at, w.id
limit $4::int4"
);

fn paged(sql: &'static str, user_id: Uuid, after: Option<PageCursor>, limit: u32) -> Statement {
    Statement::new(sql, super::page_params(user_id, after, limit))
}

fn workouts_after(
    user_id: Uuid,
    after: Option<PageCursor>,
    limit: u32,
) -> Typed<Vec<StoredWorkout>> {
    Typed::new(
        paged(SELECT_WORKOUTS_AFTER, user_id, after, limit),
        workouts_from,
    )
}

const SELECT_MESSAGES_AFTER: &str = "\
select id, client_message_id, role, body, status, result, created_at
from chat_messages
where user_id = $1::uuid
  and ($2::timestamptz is null or (created_at, id) > ($2::timestamptz, $3::uuid))
order by created_at, id
limit $4::int4";

fn message_from_row(row: &Row) -> Result<ExportedMessage, NeonError> {
    let (status, answer) = status_and_answer(row)?;
    Ok(ExportedMessage {
        id: row.get("id")?,
        client_message_id: row.get("client_message_id")?,
        role: row.get("role")?,
        body: row.get("body")?,
        status,
        answer,
        created_at: row.get("created_at")?,
    })
}

fn messages_after(
    user_id: Uuid,
    after: Option<PageCursor>,
    limit: u32,
) -> Typed<Vec<ExportedMessage>> {
    Typed::new(
        paged(SELECT_MESSAGES_AFTER, user_id, after, limit),
        |result| result.rows.iter().map(message_from_row).collect(),
    )
}

const SELECT_SKILL_STATES: &str = "\
select s.skill_id, k.name, s.state, s.inferred, s.practised, round(s.best_progress::numeric, 4)::float8 as best_progress,
       s.mastered_at, s.updated_at
from user_skill_states s join skills k on k.id = s.skill_id
where s.user_id = $1::uuid
order by s.skill_id";

fn skill_states(user_id: Uuid) -> Typed<Vec<ExportedSkillState>> {
    Typed::new(
        Statement::new(SELECT_SKILL_STATES, vec![user_id.into()]),
        |result| {
            result
                .rows
                .iter()
                .map(|row| {
                    Ok(ExportedSkillState {
                        skill_id: row.get("skill_id")?,
                        name: row.get("name")?,
                        state: row.get("state")?,
                        inferred: row.get("inferred")?,
                        practised: row.get("practised")?,
                        best_progress: row.get("best_progress")?,
                        mastered_at: row.get("mastered_at")?,
                        updated_at: row.get("updated_at")?,
                    })
                })
                .collect()
        },
    )
}

const SELECT_CUSTOM_EXERCISES: &str = "\
select id, name, category, created_at
from exercises
where owner_user_id = $1::uuid
order by created_at, id";

fn custom_exercises(user_id: Uuid) -> Typed<Vec<CustomExercise>> {
    Typed::new(
        Statement::new(SELECT_CUSTOM_EXERCISES, vec![user_id.into()]),
        |result| {
            result
                .rows
                .iter()
                .map(|row| {
                    Ok(CustomExercise {
                        id: row.get("id")?,
                        name: row.get("name")?,
                        category: row.get("category")?,
                        created_at: row.get("created_at")?,
                    })
                })
                .collect()
        },
    )
}

fn read_only() -> TransactionOptions {
    TransactionOptions {
        read_only: true,
        ..TransactionOptions::default()
    }
}

impl<T: Transport, C: Clock> ExportStore for NeonClient<'_, T, C> {
    async fn export_start(
        &self,
        user_id: Uuid,
        limits: ExportLimits,
    ) -> Result<ExportStart, StoreError> {
        let (
            workouts,
            messages,
            ledger,
            memories,
            meals,
            uploads,
            skill_states,
            custom_exercises,
            imports,
        ) = batch::run(
            self,
            (
                workouts_after(user_id, None, limits.workouts),
                messages_after(user_id, None, limits.messages),
                ledger_oldest_first(user_id, None, limits.ledger),
                memories_oldest_first(user_id, None, limits.memories),
                meals_oldest_first(user_id, None, limits.meals),
                uploads_oldest_first(user_id, None, limits.uploads),
                skill_states(user_id),
                custom_exercises(user_id),
                super::imports::all_imports(user_id),
            ),
            read_only(),
        )
        .await?;
        Ok(ExportStart {
            workouts,
            messages,
            ledger,
            memories,
            meals,
            uploads,
            skill_states,
            custom_exercises,
            imports,
        })
    }

    async fn workouts_after(
        &self,
        user_id: Uuid,
        after: PageCursor,
        limit: u32,
    ) -> Result<Vec<StoredWorkout>, StoreError> {
        Ok(workouts_after(user_id, Some(after), limit)
            .run(self)
            .await?)
    }

    async fn messages_after(
        &self,
        user_id: Uuid,
        after: PageCursor,
        limit: u32,
    ) -> Result<Vec<ExportedMessage>, StoreError> {
        Ok(messages_after(user_id, Some(after), limit)
            .run(self)
            .await?)
    }

    async fn ledger_after(
        &self,
        user_id: Uuid,
        after: PageCursor,
        limit: u32,
    ) -> Result<Vec<LedgerEntry>, StoreError> {
        Ok(ledger_oldest_first(user_id, Some(after), limit)
            .run(self)
            .await?)
    }

    async fn memories_after(
        &self,
        user_id: Uuid,
        after: PageCursor,
        limit: u32,
    ) -> Result<Vec<Memory>, StoreError> {
        Ok(memories_oldest_first(user_id, Some(after), limit)
            .run(self)
            .await?)
    }

    async fn meals_after(
        &self,
        user_id: Uuid,
        after: PageCursor,
        limit: u32,
    ) -> Result<Vec<StoredMeal>, StoreError> {
        Ok(meals_oldest_first(user_id, Some(after), limit)
            .run(self)
            .await?)
    }

    async fn uploads_after(
        &self,
        user_id: Uuid,
        after: PageCursor,
        limit: u32,
    ) -> Result<Vec<Upload>, StoreError> {
        Ok(uploads_oldest_first(user_id, Some(after), limit)
            .run(self)
            .await?)
    }
}
