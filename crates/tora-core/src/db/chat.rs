//! Chat messages: stored first, answered later, replayed on retries.

use uuid::Uuid;

use super::batch::{self, Typed, Writes, write};
use super::skills::{StateWrite, states_by_subject, upsert_statement};
use super::users::provision;
use super::workouts::{self, NewWorkout, select_of_message_statement, workout_from};
use crate::clients::neon::{
    NeonClient, NeonError, NeonErrorKind, Param, QueryResult, Row, Statement, TransactionOptions,
};
use crate::domain::account::NewUser;
use crate::domain::chat::{ChatAnswer, MessageRecord, MessageStatus};
use crate::ports::{
    ChatStore, Clock, Ids, MessageWorkout, NewMessage, OpenedMessage, PageCursor, StoreError,
    Transport,
};

/// `workout_id` is the workout the message logged, if it still exists (a left join on
/// `workouts.source_message_id`).
impl MessageRecord {
    fn from_row(row: &Row) -> Result<Self, NeonError> {
        let (status, answer) = status_and_answer(row)?;
        Ok(Self {
            id: row.get("id")?,
            client_message_id: row.get("client_message_id")?,
            body: row.get("body")?,
            status,
            answer,
            workout_id: row.get("workout_id")?,
            created_at: row.get("created_at")?,
        })
    }
}

/// A message row's `status` and `result` columns, typed.
pub fn status_and_answer(row: &Row) -> Result<(MessageStatus, Option<ChatAnswer>), NeonError> {
    let status: String = row.get("status")?;
    let answer: Option<serde_json::Value> = row.get("result")?;
    Ok((
        MessageStatus::from_stored(&status)
            .ok_or_else(|| NeonError::decode("chat_messages.status holds an unknown status"))?,
        answer
            .map(serde_json::from_value)
            .transpose()
            .map_err(|error| NeonError::decode(format!("chat_messages.result: {error}")))?,
    ))
}

fn message_from(result: QueryResult) -> Result<Option<MessageRecord>, NeonError> {
    result.rows.first().map(MessageRecord::from_row).transpose()
}

fn answer_param(answer: Option<&ChatAnswer>) -> Result<Param, NeonError> {
    answer
        .map(|answer| {
            serde_json::to_value(answer)
                .map(Param::Json)
                .map_err(|error| NeonError::decode(format!("encoding an answer: {error}")))
        })
        .unwrap_or(Ok(Param::Null))
}

const INSERT_MESSAGE_BY_SUBJECT: &str = "\
insert into chat_messages (id, user_id, client_message_id, role, body, status, result)
select $1::uuid, u.id, $3::text, 'user', $4::text, $5::text, $6::jsonb
from users u
where u.auth_subject = $2::text
on conflict (user_id, client_message_id) do nothing";

/// Stores the message if its client id is new; a retry leaves the stored one as is.
fn insert_statement(subject: &str, new: &NewMessage<'_>) -> Result<Statement, NeonError> {
    Ok(Statement::new(
        INSERT_MESSAGE_BY_SUBJECT,
        vec![
            new.id.into(),
            subject.into(),
            new.client_message_id.into(),
            new.body.into(),
            new.status.as_stored().into(),
            answer_param(new.answer)?,
        ],
    ))
}

const SELECT_MESSAGE_BY_SUBJECT: &str = "\
select m.id, m.client_message_id, m.body, m.status, m.result, m.created_at, w.id as workout_id
from chat_messages m
join users u on u.id = m.user_id
left join workouts w on w.source_message_id = m.id
where u.auth_subject = $1::text and m.client_message_id = $2::text";

/// The message stored under the client's id (ours, or an earlier attempt's).
fn select_by_client_id(subject: &str, client_message_id: &str) -> Typed<Option<MessageRecord>> {
    Typed::new(
        Statement::new(
            SELECT_MESSAGE_BY_SUBJECT,
            vec![subject.into(), client_message_id.into()],
        ),
        message_from,
    )
}

const COMPLETE_MESSAGE: &str = "\
update chat_messages set status = $2::text, result = $3::jsonb
where id = $1::uuid";

/// Records the outcome and the answer to replay.
fn complete_statement(
    message_id: Uuid,
    status: MessageStatus,
    answer: &ChatAnswer,
) -> Result<Statement, NeonError> {
    Ok(Statement::new(
        COMPLETE_MESSAGE,
        vec![
            message_id.into(),
            status.as_stored().into(),
            answer_param(Some(answer))?,
        ],
    ))
}

const SELECT_HISTORY: &str = "\
select m.id, m.client_message_id, m.body, m.status, m.result, m.created_at, w.id as workout_id
from chat_messages m
left join workouts w on w.source_message_id = m.id
where m.user_id = $1::uuid
  and ($2::timestamptz is null or (m.created_at, m.id) < ($2::timestamptz, $3::uuid))
order by m.created_at desc, m.id desc
limit $4::int4";

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

/// Reps and seconds of each recent session, newest first.
fn recent_volume(subject: &str) -> Typed<Vec<(f64, f64)>> {
    Typed::new(
        Statement::new(SELECT_RECENT_VOLUME_BY_SUBJECT, vec![subject.into()]),
        |result| {
            result
                .rows
                .iter()
                .map(|row| Ok((row.get::<i64>("reps")? as f64, row.get::<f64>("seconds")?)))
                .collect()
        },
    )
}

impl<T: Transport, C: Clock> ChatStore for NeonClient<'_, T, C> {
    async fn open_message(
        &self,
        user: &NewUser<'_>,
        message: &NewMessage<'_>,
    ) -> Result<OpenedMessage, StoreError> {
        let (provision_user, read_user) = provision(user);
        let subject = user.auth_subject;
        let (_, user, _, stored, workout, skills, recent) = batch::run(
            self,
            (
                provision_user,
                read_user,
                write(insert_statement(subject, message)?),
                select_by_client_id(subject, message.client_message_id),
                Typed::new(
                    select_of_message_statement(subject, message.client_message_id),
                    workout_from,
                ),
                states_by_subject(subject),
                recent_volume(subject),
            ),
            TransactionOptions::default(),
        )
        .await?;
        let message =
            stored.ok_or_else(|| StoreError::corrupt("the chat message could not be read back"))?;
        Ok(OpenedMessage {
            user,
            message,
            workout,
            skills,
            recent,
        })
    }

    async fn answer_message(
        &self,
        message_id: Uuid,
        status: MessageStatus,
        answer: &ChatAnswer,
    ) -> Result<(), StoreError> {
        self.query(complete_statement(message_id, status, answer)?)
            .await?;
        Ok(())
    }

    async fn log_message_workout(
        &self,
        log: &MessageWorkout<'_>,
        ids: &impl Ids,
    ) -> Result<Option<crate::domain::workout::StoredWorkout>, StoreError> {
        let mut writes = workouts::insert_statements(
            &NewWorkout {
                id: log.workout_id,
                user_id: log.user_id,
                performed_at: log.performed_at,
                notes: None,
                source_message_id: Some(log.message_id),
                workout: log.workout,
            },
            || ids.new_uuid(),
        );
        writes.extend(upsert_statement(
            log.user_id,
            log.skill_writes,
            StateWrite::Raise,
        ));
        writes.push(complete_statement(
            log.message_id,
            MessageStatus::Logged,
            log.answer,
        )?);
        let read_back = Typed::new(
            workouts::select_one_statement(log.user_id, log.workout_id),
            workout_from,
        );
        match batch::run(
            self,
            (Writes(writes), read_back),
            TransactionOptions::default(),
        )
        .await
        {
            Ok(((), workout)) => Ok(workout),
            // A concurrent attempt of the same message logged it first.
            Err(error)
                if error.kind() == NeonErrorKind::UniqueViolation
                    && error.constraint.as_deref() == Some("workouts_source_message_key") =>
            {
                Ok(None)
            }
            Err(error) => Err(error.into()),
        }
    }

    async fn find_message(
        &self,
        subject: &str,
        client_message_id: &str,
    ) -> Result<Option<(MessageRecord, Option<crate::domain::workout::StoredWorkout>)>, StoreError>
    {
        let (message, workout) = batch::run(
            self,
            (
                select_by_client_id(subject, client_message_id),
                Typed::new(
                    select_of_message_statement(subject, client_message_id),
                    workout_from,
                ),
            ),
            TransactionOptions {
                read_only: true,
                ..TransactionOptions::default()
            },
        )
        .await?;
        Ok(message.map(|message| (message, workout)))
    }

    async fn history(
        &self,
        user_id: Uuid,
        after: Option<PageCursor>,
        limit: u32,
    ) -> Result<Vec<MessageRecord>, StoreError> {
        let records = Typed::new(
            Statement::new(SELECT_HISTORY, super::page_params(user_id, after, limit)),
            |result| result.rows.iter().map(MessageRecord::from_row).collect(),
        )
        .run(self)
        .await?;
        Ok(records)
    }
}
