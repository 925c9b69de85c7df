//! A chat message's life and the answer it gets. The answer is a typed record: it is
//! stored with the message (so a retry replays it), and only `http/` renders it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::catalog::Catalog;
use crate::domain::coaching::Target;
use crate::domain::text::{MultiLine, SingleLine, TextError};
use crate::domain::workout::{ExerciseRef, LoggedSet, Workout, WorkoutEntry};

/// What a person wrote in the chat: 1 to 4000 characters, kept as written (a retry
/// must match it exactly).
pub type MessageText = MultiLine<4000>;

/// Why a client message id was refused; shown to the user next to the field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ClientMessageIdError {
    #[error(transparent)]
    Text(#[from] TextError),
    #[error("may only contain letters, digits and - _ . :")]
    Characters,
}

/// The id the app gives a message so that retries are safe: 1 to 100 of ASCII
/// letters, digits and `-_.:`, compared exactly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientMessageId(String);

impl ClientMessageId {
    pub const MAX_CHARS: usize = 100;

    pub fn parse(raw: &str) -> Result<Self, ClientMessageIdError> {
        // The text rule first, so a NUL or an over-long id is told as such; an id is
        // then never trimmed, so spaces are refused with the other characters.
        SingleLine::<{ Self::MAX_CHARS }>::parse(raw)?;
        if raw
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':'))
        {
            Ok(Self(raw.to_owned()))
        } else {
            Err(ClientMessageIdError::Characters)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

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
    /// Given up on (`MessageRecord::failure_reason` says why); the person may retry it.
    Failed,
    /// Read by the model without enough confidence: the workout it would log waits in
    /// the answer's `proposal` for the person to confirm.
    Proposed,
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
            MessageStatus::Proposed => "proposed",
        }
    }

    pub fn from_stored(raw: &str) -> Option<Self> {
        Some(match raw {
            "received" => MessageStatus::Received,
            "parsed" => MessageStatus::Logged,
            "pending" => MessageStatus::Pending,
            "answered" => MessageStatus::Answered,
            "failed" => MessageStatus::Failed,
            "proposed" => MessageStatus::Proposed,
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
            MessageStatus::Proposed => "proposed",
        }
    }
}

/// A skill named in an answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
    /// What the model calls behind this answer cost, in token units
    /// (`domain::credits`): 0 for the rules' and the parser's answers.
    #[serde(default, alias = "credits_spent")]
    pub spent_units: i64,
    /// The workout a proposed message would log; kept once it is confirmed, beside
    /// the workout that was logged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proposal: Option<Proposal>,
}

/// One exercise of a proposal: a catalog exercise and its sets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProposedEntry {
    pub exercise: String,
    pub name: String,
    pub sets: Vec<LoggedSet>,
}

/// A workout the model read but is not sure of, kept with the message until the
/// person confirms it. The model only ever names catalog exercises.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Proposal {
    pub entries: Vec<ProposedEntry>,
}

impl Proposal {
    pub fn of(workout: &Workout, catalog: &Catalog) -> Self {
        let entries = workout
            .entries()
            .iter()
            .map(|entry| {
                let (exercise, name) = match &entry.exercise {
                    ExerciseRef::Catalog(id) => (
                        id.clone(),
                        catalog
                            .exercise(id)
                            .map_or_else(|| id.clone(), |exercise| exercise.name().to_owned()),
                    ),
                    ExerciseRef::Custom { name } => (name.to_string(), name.to_string()),
                };
                ProposedEntry {
                    exercise,
                    name,
                    sets: entry.sets.clone(),
                }
            })
            .collect();
        Self { entries }
    }

    /// The workout to log on confirmation; `None` if the catalog no longer has one of
    /// its exercises.
    pub fn workout(&self, catalog: &Catalog) -> Option<Workout> {
        let entries = self
            .entries
            .iter()
            .map(|entry| {
                catalog.exercise(&entry.exercise)?;
                Some(WorkoutEntry {
                    exercise: ExerciseRef::Catalog(entry.exercise.clone()),
                    sets: entry.sets.clone(),
                })
            })
            .collect::<Option<Vec<_>>>()?;
        Workout::new(entries).ok()
    }
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
    /// How many times the model was asked to read it.
    pub attempts: u32,
    /// Why a failed message was given up on.
    pub failure_reason: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_message_ids_are_exact_ascii_tokens() {
        for good in ["m-1", "2026-11-20T18:30:00.123Z", "a_b.c", &"x".repeat(100)] {
            assert_eq!(ClientMessageId::parse(good).unwrap().as_str(), good);
        }
        let cases = [
            ("", ClientMessageIdError::Text(TextError::Blank)),
            (
                "m\u{0}1",
                ClientMessageIdError::Text(TextError::ControlCharacter { found: '\u{0}' }),
            ),
            (
                &"x".repeat(101),
                ClientMessageIdError::Text(TextError::TooLong { max: 100 }),
            ),
            (" m-1", ClientMessageIdError::Characters),
            ("has spaces", ClientMessageIdError::Characters),
            ("m/1", ClientMessageIdError::Characters),
            ("é", ClientMessageIdError::Characters),
        ];
        for (raw, expected) in cases {
            assert_eq!(ClientMessageId::parse(raw), Err(expected), "{raw:?}");
        }
    }
}
