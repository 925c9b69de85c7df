//! A chat message's life and the answer it gets. The answer is a typed record: it is
//! stored with the message (so a retry replays it), and only `http/` renders it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::coaching::Target;

/// Where a message is in its life. Stored as a column, never read out of the answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageStatus {
    /// Stored, not yet processed (a crash between store and process leaves this).
    Received,
    /// Read as a workout and logged with it.
    Logged,
    /// Could not be read with confidence; waiting for a closer read.
    Pending,
    /// Answered without a workout (questions, greetings).
    Answered,
    /// Given up on.
    Failed,
}

impl MessageStatus {
    /// The stored spelling (the `chat_messages.status` check constraint).
    pub fn as_stored(self) -> &'static str {
        match self {
            MessageStatus::Received => "received",
            MessageStatus::Logged => "parsed",
            MessageStatus::Pending => "pending",
            MessageStatus::Answered => "answered",
            MessageStatus::Failed => "failed",
        }
    }

    pub fn from_stored(raw: &str) -> Option<Self> {
        Some(match raw {
            "received" => MessageStatus::Received,
            "parsed" => MessageStatus::Logged,
            "pending" => MessageStatus::Pending,
            "answered" => MessageStatus::Answered,
            "failed" => MessageStatus::Failed,
            _ => return None,
        })
    }

    /// The API's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            MessageStatus::Received => "received",
            MessageStatus::Logged => "logged",
            MessageStatus::Pending => "pending",
            MessageStatus::Answered => "answered",
            MessageStatus::Failed => "failed",
        }
    }
}

/// A skill named in an answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SkillRef {
    pub skill: String,
    pub name: String,
}

/// What the coach answered, as stored and replayed. The logged workout is not part of
/// it: it is read from the workouts table, so a replay shows it as it is now (edited,
/// or gone).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ChatAnswer {
    pub reply: String,
    #[serde(default)]
    pub mastered: Vec<SkillRef>,
    #[serde(default)]
    pub unlocked: Vec<SkillRef>,
    #[serde(default)]
    pub next_targets: Vec<Target>,
    /// Credits this answer cost.
    #[serde(default)]
    pub credits_spent: i64,
}

impl ChatAnswer {
    /// An answer that is only words.
    pub fn words(reply: String) -> Self {
        Self {
            reply,
            ..Self::default()
        }
    }
}

/// A stored message with its answer, if it has one, and the workout it logged, if
/// that still exists.
#[derive(Debug, Clone, PartialEq)]
pub struct MessageRecord {
    pub id: Uuid,
    pub client_message_id: String,
    pub body: String,
    pub status: MessageStatus,
    pub answer: Option<ChatAnswer>,
    pub workout_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}
