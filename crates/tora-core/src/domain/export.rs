//! What a person's export holds besides workouts and the profile: their messages with
//! the answers stored for them, their skill rows and their own exercises.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::domain::chat::{ChatAnswer, MessageStatus};

/// A chat message with the answer stored for it.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportedMessage {
    pub id: Uuid,
    pub client_message_id: String,
    pub role: String,
    pub body: String,
    pub status: MessageStatus,
    pub answer: Option<ChatAnswer>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ExportedSkillState {
    pub skill_id: String,
    pub name: String,
    pub state: String,
    /// For a mastered skill: whether a logged session proved it or a mastered skill
    /// that requires it implies it.
    pub inferred: bool,
    pub practised: bool,
    pub best_progress: f64,
    pub mastered_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CustomExercise {
    pub id: String,
    pub name: String,
    pub category: String,
    pub created_at: DateTime<Utc>,
}
