//! Accounts: provisioning on first sight, the profile, and erasure.

use uuid::Uuid;

use std::collections::BTreeMap;

use super::Sql;
use super::batch::{self, Typed};
use super::skills::states_by_subject;
use crate::clients::neon::{NeonClient, NeonError, Param, Row, Statement, TransactionOptions};
pub use crate::domain::account::{NewUser, User};
use crate::domain::profile::{DisplayName, ProfileChange, Timezone, Units};
use crate::domain::skills::SkillRecord;
use crate::ports::{AccountStore, Clock, StoreError, Transport};

impl User {
    pub(crate) fn from_row(row: &Row) -> Result<Self, NeonError> {
        let units: String = row.get("units")?;
        let timezone: String = row.get("timezone")?;
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
            credit_balance: row.get("credit_balance")?,
            created_at: row.get("created_at")?,
            updated_at: row.get("updated_at")?,
        })
    }
}

/// Inserts the user with the starter grant (balance and ledger row together) unless
/// the subject already exists. Returns nothing: the next statement of the same batch
/// reads the user. A separate read is what makes concurrent first requests safe: when
/// two race, the loser's insert waits for the winner's commit and does nothing, and
/// its following statement (a fresh snapshot) sees the winner's row.
const PROVISION_USER: &str = "\
with inserted as (
    insert into users (id, auth_subject, email, credit_balance)
    values ($1::uuid, $2::text, $3::text, $4::int8)
    on conflict (auth_subject) do nothing
    returning id, credit_balance
)
insert into credit_ledger (id, user_id, delta, balance_after, reason, idempotency_key)
select $5::uuid, id, credit_balance, credit_balance, 'starter_grant', 'starter_grant'
from inserted
where credit_balance > 0";

const SELECT_USER_BY_SUBJECT: &str = "\
select id, auth_subject, email, display_name, units, timezone, credit_balance, created_at, updated_at
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
                new_user.starter_credits.into(),
                new_user.grant_id.into(),
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

/// Applies the fields present in `change`; absent fields keep their value.
const UPDATE_PROFILE: &str = "\
update users set
    display_name = case when $2::bool then $3::text else display_name end,
    units = coalesce($4::text, units),
    timezone = coalesce($5::text, timezone),
    updated_at = now()
where id = $1::uuid
returning id, auth_subject, email, display_name, units, timezone, credit_balance, created_at, updated_at";

async fn update_profile(
    db: &impl Sql,
    user_id: Uuid,
    change: &ProfileChange,
) -> Result<User, NeonError> {
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
            ],
        ))
        .await?;
    User::from_row(&result.one()?)
}

/// Every table holding a user's rows, children first. `on delete cascade` would do
/// the same from `users` alone; naming each table keeps erasure complete even if a
/// future table forgets its cascade, and lets the caller report what was removed.
const ERASE_STATEMENTS: [&str; 11] = [
    "delete from memories where user_id = $1::uuid",
    "delete from meals where user_id = $1::uuid",
    "delete from uploads where user_id = $1::uuid",
    "delete from workout_sets where user_id = $1::uuid",
    "delete from workouts where user_id = $1::uuid",
    "delete from chat_messages where user_id = $1::uuid",
    "delete from user_skill_states where user_id = $1::uuid",
    "delete from credit_ledger where user_id = $1::uuid",
    "delete from exercise_aliases where exercise_id in (select id from exercises where owner_user_id = $1::uuid)",
    "delete from exercises where owner_user_id = $1::uuid",
    "delete from users where id = $1::uuid",
];

/// Erases the user and everything they own in one transaction. Returns how many rows
/// went in total.
async fn erase(db: &impl Sql, user_id: Uuid) -> Result<u64, NeonError> {
    let statements = ERASE_STATEMENTS
        .iter()
        .map(|sql| Statement::new(sql, vec![Param::from(user_id)]))
        .collect();
    let results = db
        .transaction(statements, TransactionOptions::default())
        .await?;
    Ok(results.iter().filter_map(|result| result.row_count).sum())
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
        Ok(update_profile(self, user_id, change).await?)
    }

    async fn erase(&self, user_id: Uuid) -> Result<u64, StoreError> {
        Ok(erase(self, user_id).await?)
    }
}
