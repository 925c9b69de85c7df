//! Meals: stored with the settle of the model call that read them, listed by day.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::batch::{self, Typed, Writes};
use super::credits::settle_statement;
use super::object_deletions::{after_request_attempt, deletion_columns, optional_pending};
use crate::clients::neon::{
    NeonClient, NeonError, Param, QueryResult, Row, Statement, TransactionOptions,
};
use crate::domain::credits::Credits;
use crate::domain::meals::Macros;
use crate::ports::{
    Clock, DeletedMeal, MealStore, ModelCharge, NewMeal, StoreError, StoredMeal, Transport,
};

macro_rules! meal_columns {
    () => {
        "id, upload_id, description, items, kcal, protein_g, carbs_g, fat_g, \
         confidence::float8 as confidence, eaten_at, created_at"
    };
}

const SELECT_MEAL: &str = concat!(
    "select ",
    meal_columns!(),
    " from meals where id = $1::uuid and user_id = $2::uuid"
);

const SELECT_MEALS_BETWEEN: &str = concat!(
    "select ",
    meal_columns!(),
    " from meals where user_id = $1::uuid and eaten_at >= $2::timestamptz \
     and eaten_at < $3::timestamptz order by eaten_at, id"
);

const DELETE_MEAL: &str = concat!(
    "delete from meals where id = $1::uuid and user_id = $2::uuid returning ",
    meal_columns!()
);

/// Queues the meal's photo for deletion, unless another meal was read from the same
/// photo. Runs before the meal goes: it finds the photo through the meal.
const QUEUE_MEAL_PHOTO: &str = concat!(
    "insert into object_deletions (id, scope, object_key, settle_after, next_attempt_at)
select $3::uuid, 'object', u.object_key, 'epoch'::timestamptz, ",
    after_request_attempt!(),
    "
from meals m join uploads u on u.id = m.upload_id and u.user_id = m.user_id
where m.id = $1::uuid and m.user_id = $2::uuid
  and not exists (select 1 from meals other where other.upload_id = m.upload_id and other.id <> m.id)
returning ",
    deletion_columns!()
);

/// The upload whose object was just queued for deletion: nothing can use it any more.
const DELETE_QUEUED_UPLOAD: &str = "\
delete from uploads
where user_id = $1::uuid
  and object_key = (select object_key from object_deletions where id = $2::uuid)";

/// A page of meals after a position (`eaten_at`, id), oldest first, for the export.
const SELECT_MEALS_AFTER: &str = concat!(
    "select ",
    meal_columns!(),
    " from meals where user_id = $1::uuid
  and ($2::timestamptz is null or (eaten_at, id) > ($2::timestamptz, $3::uuid))
order by eaten_at, id
limit $4::int4"
);

pub fn meals_oldest_first(
    user_id: Uuid,
    after: Option<crate::ports::PageCursor>,
    limit: u32,
) -> Typed<Vec<StoredMeal>> {
    Typed::new(
        Statement::new(
            SELECT_MEALS_AFTER,
            super::page_params(user_id, after, limit),
        ),
        meals_from,
    )
}

const BALANCE: &str = "select credit_units from users where id = $1::uuid";

const INSERT_MEAL: &str = "\
insert into meals (id, user_id, upload_id, description, items, kcal, protein_g, carbs_g, fat_g,
                   confidence, model, eaten_at)
values ($1::uuid, $2::uuid, $3::uuid, $4::text, $5::jsonb, $6::numeric, $7::numeric, $8::numeric,
        $9::numeric, $10::real, $11::text, $12::timestamptz)";

fn meal_from_row(row: &Row) -> Result<StoredMeal, NeonError> {
    let items: serde_json::Value = row.get("items")?;
    let items = items
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|item| {
                    Some((
                        item.get("name")?.as_str()?.to_owned(),
                        item.get("grams")?.as_f64()?,
                    ))
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(StoredMeal {
        id: row.get("id")?,
        upload_id: row.get("upload_id")?,
        description: row.get("description")?,
        items,
        macros: Macros {
            kcal: row.get("kcal")?,
            protein_g: row.get("protein_g")?,
            carbs_g: row.get("carbs_g")?,
            fat_g: row.get("fat_g")?,
        },
        confidence: row.get("confidence")?,
        eaten_at: row.get("eaten_at")?,
        created_at: row.get("created_at")?,
    })
}

fn meals_from(result: QueryResult) -> Result<Vec<StoredMeal>, NeonError> {
    result.rows.iter().map(meal_from_row).collect()
}

fn one_meal(result: QueryResult) -> Result<Option<StoredMeal>, NeonError> {
    Ok(meals_from(result)?.pop())
}

/// Macros are stored to one decimal, as the columns hold them.
fn tenth(value: f64) -> Param {
    Param::from(format!("{:.1}", value))
}

impl<T: Transport, C: Clock> MealStore for NeonClient<'_, T, C> {
    async fn log_meal(
        &self,
        meal: &NewMeal<'_>,
        charge: &ModelCharge<'_>,
    ) -> Result<(StoredMeal, Credits), StoreError> {
        let items: Vec<serde_json::Value> = meal
            .estimate
            .items()
            .iter()
            .map(|item| serde_json::json!({"name": item.name.as_str(), "grams": item.grams}))
            .collect();
        let macros = meal.estimate.macros();
        let insert = Statement::new(
            INSERT_MEAL,
            vec![
                meal.id.into(),
                meal.user_id.into(),
                meal.upload_id.into(),
                meal.description.into(),
                Param::Json(serde_json::Value::Array(items)),
                tenth(macros.kcal),
                tenth(macros.protein_g),
                tenth(macros.carbs_g),
                tenth(macros.fat_g),
                meal.estimate.confidence().value().into(),
                meal.model.into(),
                meal.eaten_at.to_rfc3339().into(),
            ],
        );
        let read_back = Typed::new(
            Statement::new(SELECT_MEAL, vec![meal.id.into(), meal.user_id.into()]),
            one_meal,
        );
        let balance = Typed::new(
            Statement::new(BALANCE, vec![meal.user_id.into()]),
            |result| {
                let row = result
                    .first()
                    .ok_or_else(|| NeonError::decode("the user vanished while logging a meal"))?;
                Ok(Credits::from_units(row.get("credit_units")?))
            },
        );
        let ((), stored, balance) = batch::run(
            self,
            (
                Writes(vec![insert, settle_statement(charge)]),
                read_back,
                balance,
            ),
            TransactionOptions::default(),
        )
        .await?;
        let stored =
            stored.ok_or_else(|| StoreError::corrupt("a stored meal could not be read back"))?;
        Ok((stored, balance))
    }

    async fn meals_between(
        &self,
        user_id: Uuid,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<StoredMeal>, StoreError> {
        let meals = Typed::new(
            Statement::new(
                SELECT_MEALS_BETWEEN,
                vec![
                    user_id.into(),
                    from.to_rfc3339().into(),
                    to.to_rfc3339().into(),
                ],
            ),
            meals_from,
        )
        .run(self)
        .await?;
        Ok(meals)
    }

    async fn delete_meal(
        &self,
        user_id: Uuid,
        meal_id: Uuid,
        deletion_id: Uuid,
    ) -> Result<Option<DeletedMeal>, StoreError> {
        let (photo, meal, ()) = batch::run(
            self,
            (
                Typed::new(
                    Statement::new(
                        QUEUE_MEAL_PHOTO,
                        vec![meal_id.into(), user_id.into(), deletion_id.into()],
                    ),
                    optional_pending,
                ),
                Typed::new(
                    Statement::new(DELETE_MEAL, vec![meal_id.into(), user_id.into()]),
                    one_meal,
                ),
                batch::write(Statement::new(
                    DELETE_QUEUED_UPLOAD,
                    vec![user_id.into(), deletion_id.into()],
                )),
            ),
            TransactionOptions::default(),
        )
        .await?;
        Ok(meal.map(|meal| DeletedMeal { meal, photo }))
    }
}
