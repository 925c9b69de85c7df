//! Chat messages: stored first, answered later, replayed on retries.

use uuid::Uuid;

use super::batch::{self, Typed, Writes, write};
use super::credits::settle_statement;
use super::skills::{StateWrite, states_by_subject, upsert_statement};
use super::users::provision;
use super::workouts::{self, NewWorkout, select_of_message_statement, workout_from};
use crate::clients::neon::{
    NeonClient, NeonError, NeonErrorKind, Param, QueryResult, Row, Statement, TransactionOptions,
};
use crate::domain::account::NewUser;
use crate::domain::chat::{ChatAnswer, MessageRecord, MessageStatus};
use crate::domain::credits::Credits;
use crate::ports::{
    Attempt, AttemptEnd, ChatStore, Clock, Ids, MessageAnswer, MessageWorkout, NewMessage,
    OpenedMessage, PageCursor, StoreError, Transport,
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
            attempts: u32::try_from(row.get::<i32>("attempts")?).unwrap_or(0),
            failure_reason: row.get("failure_reason")?,
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
insert into chat_messages (id, user_id, client_message_id, role, body, status, result,
                           attempts, next_attempt_at)
select $1::uuid, u.id, $3::text, 'user', $4::text, $5::text, $6::jsonb,
       case when $7::int4 is null then 0 else 1 end,
       now() + make_interval(secs => $7::int4)
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
            new.lease_secs.map(i64::from).into(),
        ],
    ))
}

const SELECT_MESSAGE_BY_SUBJECT: &str = "\
select m.id, m.client_message_id, m.body, m.status, m.result, m.created_at, m.attempts,
       m.failure_reason, w.id as workout_id
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

/// Records the outcome and the answer to replay. An attempt's answer lands only while
/// the message is still pending at that attempt, so a late, overtaken attempt changes
/// nothing; a logged message is never answered over.
const COMPLETE_MESSAGE: &str = "\
update chat_messages
set status = $2::text, result = $3::jsonb, next_attempt_at = null, failure_reason = null
where id = $1::uuid and status <> 'parsed'
  and ($4::int4 is null or (status = 'pending' and attempts = $4::int4))";

fn complete_statement(
    message_id: Uuid,
    status: MessageStatus,
    answer: &ChatAnswer,
    attempt: Option<u32>,
) -> Result<Statement, NeonError> {
    Ok(Statement::new(
        COMPLETE_MESSAGE,
        vec![
            message_id.into(),
            status.as_stored().into(),
            answer_param(Some(answer))?,
            attempt.map(i64::from).into(),
        ],
    ))
}

/// An attempt that got no answer: due again later, or given up on.
const END_ATTEMPT: &str = "\
update chat_messages
set status = case when $4::bool then 'failed' else status end,
    result = case when $4::bool then $6::jsonb else result end,
    failure_reason = $3::text,
    next_attempt_at = case when $4::bool then null else now() + make_interval(secs => $5::int4) end
where id = $1::uuid and status = 'pending' and attempts = $2::int4";

/// The next attempt of due messages: pending, not leased, not waiting out a backoff.
/// `skip locked` lets two overlapping runs share the work instead of doubling it.
const CLAIM_DUE: &str = "\
with due as (
    select id from chat_messages
    where status = 'pending' and (next_attempt_at is null or next_attempt_at <= now())
    order by next_attempt_at nulls first, created_at
    limit $1::int4
    for update skip locked
)
update chat_messages m
set attempts = m.attempts + 1, next_attempt_at = now() + make_interval(secs => $2::int4),
    failure_reason = null
from due, users u
where m.id = due.id and u.id = m.user_id
returning m.id, u.auth_subject, m.client_message_id, m.attempts";

/// A retry the person asked for: one more attempt, whatever the count (each attempt
/// number has its own credit hold, so numbers are never reused).
const RETRY_MESSAGE: &str = "\
update chat_messages m
set status = 'pending',
    attempts = m.attempts + 1,
    next_attempt_at = now() + make_interval(secs => $3::int4),
    failure_reason = null
from users u
where m.id = $2::uuid and m.user_id = $1::uuid and u.id = m.user_id
  and (m.status = 'failed'
       or (m.status = 'pending' and (m.failure_reason is not null
                                     or m.next_attempt_at is null or m.next_attempt_at <= now())))
returning m.id, u.auth_subject, m.client_message_id, m.attempts";

fn attempts_from(result: QueryResult) -> Result<Vec<Attempt>, NeonError> {
    result
        .rows
        .iter()
        .map(|row| {
            Ok(Attempt {
                message_id: row.get("id")?,
                subject: row.get("auth_subject")?,
                client_message_id: row.get("client_message_id")?,
                number: u32::try_from(row.get::<i32>("attempts")?).unwrap_or(0),
            })
        })
        .collect()
}

const SELECT_MESSAGE_BY_ID: &str = "\
select m.id, m.client_message_id, m.body, m.status, m.result, m.created_at, m.attempts,
       m.failure_reason, w.id as workout_id
from chat_messages m
left join workouts w on w.source_message_id = m.id
where m.user_id = $1::uuid and m.id = $2::uuid";

const BALANCE: &str = "select credit_units from users where id = $1::uuid";

/// The balance after the statements before it in the same batch.
fn balance(user_id: Uuid) -> Typed<Credits> {
    Typed::new(Statement::new(BALANCE, vec![user_id.into()]), |result| {
        let row = result
            .first()
            .ok_or_else(|| NeonError::decode("the user vanished while answering"))?;
        Ok(Credits::from_units(row.get("credit_units")?))
    })
}

const SELECT_HISTORY: &str = "\
select m.id, m.client_message_id, m.body, m.status, m.result, m.created_at, m.attempts,
       m.failure_reason, w.id as workout_id
from chat_messages m
left join workouts w on w.source_message_id = m.id
where m.user_id = $1::uuid
  and ($2::timestamptz is null or (m.created_at, m.id) < ($2::timestamptz, $3::uuid))
  and (not $5::bool or m.status in ('pending', 'failed'))
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

    async fn reopen_message(
        &self,
        subject: &str,
        client_message_id: &str,
    ) -> Result<Option<OpenedMessage>, StoreError> {
        let (user, stored, workout, skills, recent) = batch::run(
            self,
            (
                super::users::select_by_subject(subject),
                select_by_client_id(subject, client_message_id),
                Typed::new(
                    select_of_message_statement(subject, client_message_id),
                    workout_from,
                ),
                states_by_subject(subject),
                recent_volume(subject),
            ),
            TransactionOptions {
                read_only: true,
                ..TransactionOptions::default()
            },
        )
        .await?;
        Ok(user.zip(stored).map(|(user, message)| OpenedMessage {
            user,
            message,
            workout,
            skills,
            recent,
        }))
    }

    async fn answer_message(&self, answer: &MessageAnswer<'_>) -> Result<Credits, StoreError> {
        let mut writes = vec![complete_statement(
            answer.message_id,
            answer.status,
            answer.answer,
            answer.attempt,
        )?];
        writes.extend(answer.charges.iter().map(settle_statement));
        let ((), balance) = batch::run(
            self,
            (Writes(writes), balance(answer.user_id)),
            TransactionOptions::default(),
        )
        .await?;
        Ok(balance)
    }

    async fn log_message_workout(
        &self,
        log: &MessageWorkout<'_>,
        ids: &impl Ids,
    ) -> Result<Option<(crate::domain::workout::StoredWorkout, Credits)>, StoreError> {
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
            log.attempt,
        )?);
        writes.extend(log.charges.iter().map(settle_statement));
        let read_back = Typed::new(
            workouts::select_one_statement(log.user_id, log.workout_id),
            workout_from,
        );
        match batch::run(
            self,
            (Writes(writes), read_back, balance(log.user_id)),
            TransactionOptions::default(),
        )
        .await
        {
            Ok(((), workout, balance)) => Ok(workout.map(|workout| (workout, balance))),
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

    async fn end_attempt(
        &self,
        message_id: Uuid,
        attempt: u32,
        end: AttemptEnd<'_>,
    ) -> Result<(), StoreError> {
        let (reason, give_up, retry_in, answer) = match end {
            AttemptEnd::RetryIn { secs, reason } => (reason, false, i64::from(secs), None),
            AttemptEnd::GiveUp { reason, answer } => (reason, true, 0, Some(answer)),
        };
        self.query(Statement::new(
            END_ATTEMPT,
            vec![
                message_id.into(),
                i64::from(attempt).into(),
                reason.into(),
                give_up.into(),
                retry_in.into(),
                answer_param(answer)?,
            ],
        ))
        .await?;
        Ok(())
    }

    async fn claim_due(&self, limit: u32, lease_secs: u32) -> Result<Vec<Attempt>, StoreError> {
        let claimed = Typed::new(
            Statement::new(
                CLAIM_DUE,
                vec![i64::from(limit).into(), i64::from(lease_secs).into()],
            ),
            attempts_from,
        )
        .run(self)
        .await?;
        Ok(claimed)
    }

    async fn retry_message(
        &self,
        user_id: Uuid,
        message_id: Uuid,
        lease_secs: u32,
    ) -> Result<Option<Attempt>, StoreError> {
        let mut claimed = Typed::new(
            Statement::new(
                RETRY_MESSAGE,
                vec![
                    user_id.into(),
                    message_id.into(),
                    i64::from(lease_secs).into(),
                ],
            ),
            attempts_from,
        )
        .run(self)
        .await?;
        Ok(claimed.pop())
    }

    async fn message_by_id(
        &self,
        user_id: Uuid,
        message_id: Uuid,
    ) -> Result<Option<(MessageRecord, Option<crate::domain::workout::StoredWorkout>)>, StoreError>
    {
        let (message, workout) = batch::run(
            self,
            (
                Typed::new(
                    Statement::new(
                        SELECT_MESSAGE_BY_ID,
                        vec![user_id.into(), message_id.into()],
                    ),
                    message_from,
                ),
                Typed::new(
                    workouts::select_by_message_id_statement(user_id, message_id),
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
        unfinished: bool,
    ) -> Result<Vec<MessageRecord>, StoreError> {
        let mut params = super::page_params(user_id, after, limit);
        params.push(unfinished.into());
        let records = Typed::new(Statement::new(SELECT_HISTORY, params), |result| {
            result.rows.iter().map(MessageRecord::from_row).collect()
        })
        .run(self)
        .await?;
        Ok(records)
    }
}
