//! Accounts: provisioning on first sight, the profile, and erasure.

use uuid::Uuid;

use std::collections::BTreeMap;

use super::Sql;
use super::batch::{self, Typed};
use super::object_deletions::{QUEUE_OWNER_PREFIX, optional_pending};
use super::skills::states_by_subject;
use crate::clients::neon::{NeonClient, NeonError, Param, Row, Statement, TransactionOptions};
pub use crate::domain::account::{NewUser, SubjectHash, User};
use crate::domain::credits::Credits;
use crate::domain::object_deletions::PendingDeletion;
use crate::domain::profile::{
    CoachStyle, DisplayName, ProfileChange, RestDays, Timezone, Units, WeeklyGoal,
};
use crate::domain::skills::SkillRecord;
use crate::ports::{AccountStore, Clock, ObjectsToErase, StoreError, StoreErrorKind, Transport};

impl User {
    pub(crate) fn from_row(row: &Row) -> Result<Self, NeonError> {
        let units: String = row.get("units")?;
        let timezone: String = row.get("timezone")?;
        let coach_style: String = row.get("coach_style")?;
        Ok(Self {
            id: row.get("id")?,
            auth_subject: row.get("auth_subject")?,
            email: row.get("email")?,
            display_name: row.get("display_name")?,
            // Stored values were validated on the way in; a bad one is corrupt data.
            units: units
                .parse()
                .map_err(|_| NeonError::decode("users.units holds an unknown unit"))?,
            timezone: timezone
                .parse()
                .map_err(|_| NeonError::decode("users.timezone holds an unknown zone"))?,
            coach_style: coach_style
                .parse()
                .map_err(|_| NeonError::decode("users.coach_style holds an unknown style"))?,
            weekly_goal: row
                .get::<Option<i64>>("weekly_goal_days")?
                .map(WeeklyGoal::new)
                .transpose()
                .map_err(|_| NeonError::decode("users.weekly_goal_days is out of range"))?,
            rest_days: RestDays::from_bits(row.get("rest_days")?)
                .ok_or_else(|| NeonError::decode("users.rest_days names no week"))?,
            count_sides_separately: row.get("count_sides_separately")?,
            credit_balance: Credits::from_units(row.get("credit_units")?),
            created_at: row.get("created_at")?,
            updated_at: row.get("updated_at")?,
        })
    }
}

/// Inserts the user unless the subject already exists, with the starter grant if the
/// subject's keyed hash was never granted before (`credit_grants` outlives erasure, so
/// an account erased and re-created starts at 0). Returns nothing: the next statement
/// of the same batch reads the user. A separate read is what makes concurrent first
/// requests safe: when two race, the loser's inserts wait for the winner's commit and
/// do nothing, and its following statement (a fresh snapshot) sees the winner's row.
const PROVISION_USER: &str = "\
with granted as (
    insert into credit_grants (subject_hash)
    select decode($6::text, 'hex')
    where $4::int8 > 0 and not exists (select 1 from users where auth_subject = $2::text)
    on conflict (subject_hash) do nothing
    returning subject_hash
), inserted as (
    insert into users (id, auth_subject, email, credit_units)
    values ($1::uuid, $2::text, $3::text,
            case when exists (select 1 from granted) then $4::int8 else 0 end)
    on conflict (auth_subject) do nothing
    returning id, credit_units
)
insert into credit_ledger (id, user_id, delta_units, balance_after_units, reason, idempotency_key)
select $5::uuid, id, credit_units, credit_units, 'starter_grant', 'starter_grant'
from inserted
where credit_units > 0";

const SELECT_USER_BY_SUBJECT: &str = "\
select id, auth_subject, email, display_name, units, timezone, coach_style,
       weekly_goal_days::int8, rest_days::int8, count_sides_separately, credit_units,
       created_at, updated_at
from users
where auth_subject = $1::text";

/// The two statements that provision and then read a user; other batches that need
/// the user in the same round trip start with them.
pub fn provision_statements(new_user: &NewUser<'_>) -> [Statement; 2] {
    [
        Statement::new(
            PROVISION_USER,
            vec![
                new_user.id.into(),
                new_user.auth_subject.into(),
                new_user.email.into(),
                new_user.starter_credits.units().into(),
                new_user.grant_id.into(),
                new_user.subject_hash.hex().into(),
            ],
        ),
        Statement::new(SELECT_USER_BY_SUBJECT, vec![new_user.auth_subject.into()]),
    ]
}

/// The same two statements, typed, to open a batch that needs the user.
pub fn provision(new_user: &NewUser<'_>) -> (Typed<()>, Typed<User>) {
    let [insert, select] = provision_statements(new_user);
    (
        super::batch::write(insert),
        Typed::new(select, |result| {
            let row = result
                .first()
                .ok_or_else(|| NeonError::decode("the provisioned user could not be read"))?;
            User::from_row(&row)
        }),
    )
}

/// The user behind a subject, if there is one (no provisioning).
pub fn select_by_subject(subject: &str) -> Typed<Option<User>> {
    Typed::new(
        Statement::new(SELECT_USER_BY_SUBJECT, vec![subject.into()]),
        |result| result.first().map(|row| User::from_row(&row)).transpose(),
    )
}

/// Applies the fields present in `change`; absent fields keep their value.
const UPDATE_PROFILE: &str = "\
update users set
    display_name = case when $2::bool then $3::text else display_name end,
    units = coalesce($4::text, units),
    timezone = coalesce($5::text, timezone),
    coach_style = coalesce($6::text, coach_style),
    weekly_goal_days = case when $7::bool then $8::int2 else weekly_goal_days end,
    rest_days = coalesce($9::int2, rest_days),
    count_sides_separately = coalesce($10::bool, count_sides_separately),
    updated_at = now()
where id = $1::uuid
returning id, auth_subject, email, display_name, units, timezone, coach_style,
          weekly_goal_days::int8, rest_days::int8, count_sides_separately, credit_units,
          created_at, updated_at";

async fn update_profile(
    db: &impl Sql,
    user_id: Uuid,
    change: &ProfileChange,
) -> Result<User, StoreError> {
    let display_name: Option<&DisplayName> = change.display_name.as_ref().and_then(Option::as_ref);
    let result = db
        .query(Statement::new(
            UPDATE_PROFILE,
            vec![
                user_id.into(),
                change.display_name.is_some().into(),
                display_name.map(DisplayName::as_str).into(),
                change.units.map(Units::as_str).into(),
                change.timezone.map(Timezone::name).into(),
                change.coach_style.map(CoachStyle::as_str).into(),
                change.weekly_goal.is_some().into(),
                change
                    .weekly_goal
                    .flatten()
                    .map(|goal| i64::from(goal.days()))
                    .into(),
                change.rest_days.map(RestDays::bits).into(),
                change.count_sides_separately.into(),
            ],
        ))
        .await
        .map_err(StoreError::from)?;
    // No row: the account was erased (`DELETE /v1/me`) between reading the caller and
    // this update. A retry provisions it afresh and applies the change; it is not a
    // fault of ours, so not a 500.
    let Some(row) = result.first() else {
        return Err(StoreError::new(
            StoreErrorKind::RetryableConflict,
            "the account was erased while its profile was being changed",
        ));
    };
    Ok(User::from_row(&row)?)
}

/// Every table holding a user's rows, children first. `on delete cascade` would do
/// the same from `users` alone; naming each table keeps erasure complete even if a
/// future table forgets its cascade, and lets the caller report what was removed.
const ERASE_STATEMENTS: [&str; 13] = [
    "delete from memories where user_id = $1::uuid",
    "delete from meals where user_id = $1::uuid",
    "delete from uploads where user_id = $1::uuid",
    "delete from workout_sets where user_id = $1::uuid",
    "delete from workouts where user_id = $1::uuid",
    "delete from imports where user_id = $1::uuid",
    "delete from chat_messages where user_id = $1::uuid",
    "delete from user_skill_states where user_id = $1::uuid",
    "delete from credit_ledger where user_id = $1::uuid",
    "delete from credit_reservations where user_id = $1::uuid",
    "delete from exercise_aliases where exercise_id in (select id from exercises where owner_user_id = $1::uuid)",
    "delete from exercises where owner_user_id = $1::uuid",
    "delete from users where id = $1::uuid",
];

/// Remembers that the subject had its starter grant, so coming back after erasure
/// does not grant it again. Accounts provisioned before grants were remembered get
/// their row here.
const REMEMBER_GRANT: &str = "\
insert into credit_grants (subject_hash) values (decode($1::text, 'hex'))
on conflict (subject_hash) do nothing";

/// Erases the user and everything they own in one transaction, keeping only the keyed
/// hash of their subject in `credit_grants` and, with `objects`, the pending deletion
/// of their objects in the bucket.
async fn erase(
    db: &impl Sql,
    user_id: Uuid,
    subject_hash: &SubjectHash,
    objects: Option<&ObjectsToErase>,
) -> Result<Option<PendingDeletion>, NeonError> {
    let mut statements = vec![Statement::new(
        REMEMBER_GRANT,
        vec![Param::from(subject_hash.hex())],
    )];
    // Before the uploads go: it reads their expiry.
    if let Some(objects) = objects {
        statements.push(Statement::new(
            QUEUE_OWNER_PREFIX,
            vec![
                objects.deletion_id.into(),
                objects.prefix.as_str().into(),
                user_id.into(),
            ],
        ));
    }
    statements.extend(
        ERASE_STATEMENTS
            .iter()
            .map(|sql| Statement::new(sql, vec![Param::from(user_id)])),
    );
    let mut results = db
        .transaction(statements, TransactionOptions::default())
        .await?
        .into_iter()
        .skip(1);
    match objects {
        Some(_) => optional_pending(
            results
                .next()
                .ok_or_else(|| NeonError::decode("erasure returned too few results"))?,
        ),
        None => Ok(None),
    }
}

impl<T: Transport, C: Clock> AccountStore for NeonClient<'_, T, C> {
    async fn resolve(&self, user: &NewUser<'_>) -> Result<User, StoreError> {
        let (_, user) = batch::run(self, provision(user), TransactionOptions::default()).await?;
        Ok(user)
    }

    async fn resolve_with_skills(
        &self,
        user: &NewUser<'_>,
    ) -> Result<(User, BTreeMap<String, SkillRecord>), StoreError> {
        let (provision_user, read_user) = provision(user);
        let (_, user, skills) = batch::run(
            self,
            (
                provision_user,
                read_user,
                states_by_subject(user.auth_subject),
            ),
            TransactionOptions::default(),
        )
        .await?;
        Ok((user, skills))
    }

    async fn update_profile(
        &self,
        user_id: Uuid,
        change: &ProfileChange,
    ) -> Result<User, StoreError> {
        update_profile(self, user_id, change).await
    }

    async fn erase(
        &self,
        user_id: Uuid,
        subject_hash: &SubjectHash,
        objects: Option<&ObjectsToErase>,
    ) -> Result<Option<PendingDeletion>, StoreError> {
        Ok(erase(self, user_id, subject_hash, objects).await?)
    }
}
