//! Chat messages: stored first, answered later, replayed on retries.

use chrono::{DateTime, Utc};
use serde_json::Value;
use uuid::Uuid;

use crate::clients::neon::{NeonError, Param, QueryResult, Row, Statement};

/// Where a message is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageStatus {
    /// Stored, not yet processed (a crash between store and process leaves this).
    Received,
    /// Read as a workout and stored with it.
    Parsed,
    /// The parser could not read it; waiting for the model.
    Pending,
    /// Answered without a workout (questions, greetings).
    Answered,
    /// Given up on.
    Failed,
}

impl MessageStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            MessageStatus::Received => "received",
            MessageStatus::Parsed => "parsed",
            MessageStatus::Pending => "pending",
            MessageStatus::Answered => "answered",
            MessageStatus::Failed => "failed",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Some(match raw {
            "received" => MessageStatus::Received,
            "parsed" => MessageStatus::Parsed,
            "pending" => MessageStatus::Pending,
            "answered" => MessageStatus::Answered,
            "failed" => MessageStatus::Failed,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct StoredMessage {
    pub id: Uuid,
    pub client_message_id: String,
    pub body: String,
    pub status: MessageStatus,
    /// The answer given, replayed verbatim on a retry.
    pub result: Option<Value>,
    pub created_at: DateTime<Utc>,
}

impl StoredMessage {
    fn from_row(row: &Row) -> Result<Self, NeonError> {
        let status: String = row.get("status")?;
        Ok(Self {
            id: row.get("id")?,
            client_message_id: row.get("client_message_id")?,
            body: row.get("body")?,
            status: MessageStatus::parse(&status)
                .ok_or_else(|| NeonError::decode("chat_messages.status holds an unknown status"))?,
            result: row.get("result")?,
            created_at: row.get("created_at")?,
        })
    }
}

/// A message to store, unless the client's id was already used.
pub struct NewMessage<'a> {
    pub id: Uuid,
    pub subject: &'a str,
    pub client_message_id: &'a str,
    pub body: &'a str,
    pub status: MessageStatus,
    pub result: Option<&'a Value>,
}

const INSERT_MESSAGE_BY_SUBJECT: &str = "\
insert into chat_messages (id, user_id, client_message_id, role, body, status, result)
select $1::uuid, u.id, $3::text, 'user', $4::text, $5::text, $6::jsonb
from users u
where u.auth_subject = $2::text
on conflict (user_id, client_message_id) do nothing";

const SELECT_MESSAGE_BY_CLIENT_ID: &str = "\
select m.id, m.client_message_id, m.body, m.status, m.result, m.created_at
from chat_messages m join users u on u.id = m.user_id
where u.auth_subject = $1::text and m.client_message_id = $2::text";

/// Stores the message if its client id is new; a retry leaves the stored one as is.
pub fn insert_statement(new: &NewMessage<'_>) -> Statement {
    Statement::new(
        INSERT_MESSAGE_BY_SUBJECT,
        vec![
            new.id.into(),
            new.subject.into(),
            new.client_message_id.into(),
            new.body.into(),
            new.status.as_str().into(),
            new.result.cloned().map_or(Param::Null, Param::Json),
        ],
    )
}

/// The message stored under the client's id (ours, or an earlier attempt's).
pub fn select_by_client_id_statement(subject: &str, client_message_id: &str) -> Statement {
    Statement::new(
        SELECT_MESSAGE_BY_CLIENT_ID,
        vec![subject.into(), client_message_id.into()],
    )
}

pub fn message_from(result: &QueryResult) -> Result<Option<StoredMessage>, NeonError> {
    result.rows.first().map(StoredMessage::from_row).transpose()
}

const COMPLETE_MESSAGE: &str = "\
update chat_messages set status = $2::text, result = $3::jsonb
where id = $1::uuid";

/// Records the outcome and the answer to replay.
pub fn complete_statement(message_id: Uuid, status: MessageStatus, result: &Value) -> Statement {
    Statement::new(
        COMPLETE_MESSAGE,
        vec![
            message_id.into(),
            status.as_str().into(),
            Param::Json(result.clone()),
        ],
    )
}

const SELECT_HISTORY: &str = "\
select id, client_message_id, body, status, result, created_at
from chat_messages
where user_id = $1::uuid
  and ($2::timestamptz is null or (created_at, id) < ($2::timestamptz, $3::uuid))
order by created_at desc, id desc
limit $4::int4";

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MessageCursor {
    pub created_at: DateTime<Utc>,
    pub id: Uuid,
}

pub fn select_history_statement(
    user_id: Uuid,
    after: Option<MessageCursor>,
    limit: u32,
) -> Statement {
    Statement::new(
        SELECT_HISTORY,
        vec![
            user_id.into(),
            after.map(|cursor| cursor.created_at.to_rfc3339()).into(),
            after.map(|cursor| cursor.id).into(),
            i64::from(limit).into(),
        ],
    )
}

pub fn messages_from(result: &QueryResult) -> Result<Vec<StoredMessage>, NeonError> {
    result.rows.iter().map(StoredMessage::from_row).collect()
}

/// Volume of the person's latest sessions, newest first, for "volume dropped" notes.
const SELECT_RECENT_VOLUME_BY_SUBJECT: &str = "\
select w.id,
       coalesce(sum(s.reps * case when s.each_side then 2 else 1 end), 0)::int8 as reps,
       coalesce(sum(s.seconds * case when s.each_side then 2 else 1 end), 0)::float8 as seconds
from workouts w
join users u on u.id = w.user_id
left join workout_sets s on s.workout_id = w.id
where u.auth_subject = $1::text
group by w.id, w.performed_at
order by w.performed_at desc
limit 3";

pub fn select_recent_volume_statement(subject: &str) -> Statement {
    Statement::new(SELECT_RECENT_VOLUME_BY_SUBJECT, vec![subject.into()])
}

/// Reps and seconds of each recent session, newest first.
pub fn recent_volume_from(result: &QueryResult) -> Result<Vec<(f64, f64)>, NeonError> {
    result
        .rows
        .iter()
        .map(|row| Ok((row.get::<i64>("reps")? as f64, row.get::<f64>("seconds")?)))
        .collect()
}
