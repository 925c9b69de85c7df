//! Everything a person stored, for their export: chat messages, skill states and
//! custom exercises, oldest first. Workouts come from `db::workouts`, in the shape the
//! API shows them.

use chrono::{DateTime, Utc};
use serde_json::Value;
use uuid::Uuid;

use crate::clients::neon::{NeonError, QueryResult, Statement};

const SELECT_CHAT_MESSAGES: &str = "\
select id, client_message_id, role, body, status, result, created_at
from chat_messages
where user_id = $1::uuid
order by created_at, id";

pub fn select_chat_messages_statement(user_id: Uuid) -> Statement {
    Statement::new(SELECT_CHAT_MESSAGES, vec![user_id.into()])
}

/// A chat message with the answer stored for it.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportedMessage {
    pub id: Uuid,
    pub client_message_id: String,
    pub role: String,
    pub body: String,
    pub status: String,
    pub result: Option<Value>,
    pub created_at: DateTime<Utc>,
}

pub fn chat_messages_from(result: &QueryResult) -> Result<Vec<ExportedMessage>, NeonError> {
    result
        .rows
        .iter()
        .map(|row| {
            Ok(ExportedMessage {
                id: row.get("id")?,
                client_message_id: row.get("client_message_id")?,
                role: row.get("role")?,
                body: row.get("body")?,
                status: row.get("status")?,
                result: row.get("result")?,
                created_at: row.get("created_at")?,
            })
        })
        .collect()
}

const SELECT_SKILL_STATES: &str = "\
select s.skill_id, k.name, s.state, s.practised, round(s.best_progress::numeric, 4)::float8 as best_progress,
       s.mastered_at, s.updated_at
from user_skill_states s join skills k on k.id = s.skill_id
where s.user_id = $1::uuid
order by s.skill_id";

pub fn select_skill_states_statement(user_id: Uuid) -> Statement {
    Statement::new(SELECT_SKILL_STATES, vec![user_id.into()])
}

#[derive(Debug, Clone, PartialEq)]
pub struct ExportedSkillState {
    pub skill_id: String,
    pub name: String,
    pub state: String,
    pub practised: bool,
    pub best_progress: f64,
    pub mastered_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
}

pub fn skill_states_from(result: &QueryResult) -> Result<Vec<ExportedSkillState>, NeonError> {
    result
        .rows
        .iter()
        .map(|row| {
            Ok(ExportedSkillState {
                skill_id: row.get("skill_id")?,
                name: row.get("name")?,
                state: row.get("state")?,
                practised: row.get("practised")?,
                best_progress: row.get("best_progress")?,
                mastered_at: row.get("mastered_at")?,
                updated_at: row.get("updated_at")?,
            })
        })
        .collect()
}

const SELECT_CUSTOM_EXERCISES: &str = "\
select id, name, category, created_at
from exercises
where owner_user_id = $1::uuid
order by created_at, id";

pub fn select_custom_exercises_statement(user_id: Uuid) -> Statement {
    Statement::new(SELECT_CUSTOM_EXERCISES, vec![user_id.into()])
}

#[derive(Debug, Clone, PartialEq)]
pub struct CustomExercise {
    pub id: String,
    pub name: String,
    pub category: String,
    pub created_at: DateTime<Utc>,
}

pub fn custom_exercises_from(result: &QueryResult) -> Result<Vec<CustomExercise>, NeonError> {
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
}
