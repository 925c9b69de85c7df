//! `/v1/meals`: log a meal by describing it, read a day's meals with their totals in
//! the caller's timezone, delete one.
//!
//! `POST /v1/meals` `{description | upload_id, eaten_at?}` → 201 `{meal, credits: {spent,
//! balance}}`: the model reads the description, or the completed meal photo (fetched from
//! the bucket with a signed GET), into foods and macros (metered; 402 when the
//! balance does not cover the worst case). `GET /v1/meals?date=YYYY-MM-DD` (default:
//! today where the caller is) → `{date, timezone, meals, totals}`. `DELETE
//! /v1/meals/{id}` → 204.

use chrono::{DateTime, Utc};
use http::{Response, StatusCode};
use serde::{Deserialize, Serialize};

use super::workouts::{timestamp, workout_id};
use super::{json, no_content, resolve};
use crate::app::meals::{self, MealError};
use crate::auth::AuthenticatedSubject;
use crate::domain::meals::{Macros, MealDescription};
use crate::http::json::decode;
use crate::http::query::{Query, invalid, within_supported_years};
use crate::http::{ApiError, Platform, RequestContext};
use crate::ports::{MealSource, StoredMeal};

/// Exactly one of `description` and `upload_id` (a completed meal photo).
#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct LogMealRequest {
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 500))]
    pub description: Option<String>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(format = Uuid))]
    pub upload_id: Option<String>,
    #[serde(default)]
    pub eaten_at: Option<DateTime<Utc>>,
}

/// What the meal is read from, checked.
enum Source {
    Description(MealDescription),
    Photo(uuid::Uuid),
}

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub(crate) struct MacrosView {
    kcal: f64,
    protein_g: f64,
    carbs_g: f64,
    fat_g: f64,
}

/// Shown to one decimal, as stored.
fn tenth(value: f64) -> f64 {
    (value * 10.0).round() / 10.0
}

impl From<Macros> for MacrosView {
    fn from(macros: Macros) -> Self {
        Self {
            kcal: tenth(macros.kcal),
            protein_g: tenth(macros.protein_g),
            carbs_g: tenth(macros.carbs_g),
            fat_g: tenth(macros.fat_g),
        }
    }
}

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub(crate) struct ItemView<'a> {
    name: &'a str,
    grams: f64,
}

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub(crate) struct MealView<'a> {
    id: String,
    description: Option<&'a str>,
    upload_id: Option<String>,
    items: Vec<ItemView<'a>>,
    #[serde(flatten)]
    macros: MacrosView,
    confidence: Option<f64>,
    eaten_at: String,
    created_at: String,
}

impl<'a> From<&'a StoredMeal> for MealView<'a> {
    fn from(meal: &'a StoredMeal) -> Self {
        Self {
            id: meal.id.to_string(),
            description: meal.description.as_deref(),
            upload_id: meal.upload_id.map(|id| id.to_string()),
            items: meal
                .items
                .iter()
                .map(|(name, grams)| ItemView {
                    name,
                    grams: *grams,
                })
                .collect(),
            macros: MacrosView::from(meal.macros),
            confidence: meal
                .confidence
                .map(|confidence| (confidence * 100.0).round() / 100.0),
            eaten_at: timestamp(meal.eaten_at),
            created_at: timestamp(meal.created_at),
        }
    }
}

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = MealCredits))]
pub(crate) struct CreditsView {
    #[cfg_attr(feature = "openapi", schema(value_type = f64))]
    spent: serde_json::Value,
    #[cfg_attr(feature = "openapi", schema(value_type = f64))]
    balance: serde_json::Value,
}

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub(crate) struct LoggedView<'a> {
    meal: MealView<'a>,
    credits: CreditsView,
}

pub(super) async fn log_meal<P: Platform>(
    context: &RequestContext<'_, P>,
    caller: &AuthenticatedSubject,
    body: &[u8],
) -> Result<Response<Vec<u8>>, ApiError> {
    let request = decode::<LogMealRequest>(body)?;
    let source = match (&request.description, &request.upload_id) {
        (Some(text), None) => Source::Description(
            MealDescription::parse(text)
                .map_err(|error| invalid("description", error.to_string()))?,
        ),
        (None, Some(id)) => Source::Photo(
            uuid::Uuid::parse_str(id).map_err(|_| invalid("upload_id", "must be an upload id"))?,
        ),
        _ => {
            return Err(invalid(
                "description",
                "send either description or upload_id (a completed meal photo)",
            ));
        }
    };
    within_supported_years("eaten_at", request.eaten_at)?;
    let now = context.now();
    if request
        .eaten_at
        .is_some_and(|at| at > now + chrono::Duration::days(1))
    {
        return Err(invalid("eaten_at", "must not be in the future"));
    }
    let llm = context.llm().ok_or(ApiError::ModelUnavailable)?;
    let user = resolve(context, caller).await?;
    let rate = context.config.credits.tokens_per_credit;
    let eaten_at = request.eaten_at.unwrap_or(now);
    let logged = match &source {
        Source::Description(description) => {
            meals::log(
                &context.db,
                &llm,
                context.platform.ids(),
                context.request_id,
                user.id,
                &MealSource::Description(description.as_str()),
                None,
                eaten_at,
            )
            .await
        }
        Source::Photo(upload_id) => {
            let storage = context.storage().ok_or(ApiError::UploadsUnavailable)?;
            meals::log_photo(
                &context.db,
                &storage,
                &llm,
                context.platform.ids(),
                context.request_id,
                user.id,
                *upload_id,
                eaten_at,
            )
            .await
        }
    }
    .map_err(|error| match error {
        MealError::Insufficient(refused) => ApiError::insufficient(refused, rate),
        MealError::Model(error) => ApiError::Model(error),
        MealError::Store(error) => ApiError::Database(error),
        MealError::NoPhoto => invalid("upload_id", "no completed meal photo of yours has this id"),
        MealError::UnreadablePhoto(content_type) => invalid(
            "upload_id",
            format!("is a {content_type} photo; the coach reads JPEG, PNG and WebP"),
        ),
        MealError::Storage(cause) => ApiError::Storage(cause),
    })?;
    json(
        StatusCode::CREATED,
        &LoggedView {
            meal: MealView::from(&logged.meal),
            credits: CreditsView {
                spent: super::credits::in_credits(logged.spent, rate),
                balance: super::credits::in_credits(logged.balance, rate),
            },
        },
    )
}

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub(crate) struct DayView<'a> {
    date: String,
    timezone: &'static str,
    meals: Vec<MealView<'a>>,
    totals: MacrosView,
}

pub(super) async fn meal_day<P: Platform>(
    context: &RequestContext<'_, P>,
    caller: &AuthenticatedSubject,
) -> Result<Response<Vec<u8>>, ApiError> {
    let query = Query::parse(context.query.as_deref());
    let requested = query
        .get("date")
        .map(|raw| {
            crate::domain::date_text::parse_date(raw)
                .ok_or_else(|| invalid("date", "must be a date like 2026-12-03"))
        })
        .transpose()?;
    if let Some(date) = requested {
        use chrono::Datelike;
        if !crate::http::query::SUPPORTED_YEARS.contains(&date.year()) {
            return Err(invalid("date", "must lie in the years 1900 to 2200"));
        }
    }
    let user = resolve(context, caller).await?;
    let date =
        requested.unwrap_or_else(|| context.now().with_timezone(&user.timezone).date_naive());
    let day = meals::day(&context.db, user.id, date, user.timezone).await?;
    json(
        StatusCode::OK,
        &DayView {
            date: day.date.to_string(),
            timezone: user.timezone.name(),
            meals: day.meals.iter().map(MealView::from).collect(),
            totals: MacrosView::from(day.totals),
        },
    )
}

pub(super) async fn delete_meal<P: Platform>(
    context: &RequestContext<'_, P>,
    caller: &AuthenticatedSubject,
    params: &[&str],
) -> Result<Response<Vec<u8>>, ApiError> {
    let meal_id = workout_id(params)?;
    let user = resolve(context, caller).await?;
    meals::delete(
        &context.db,
        context.storage().as_ref(),
        context.platform.ids(),
        user.id,
        meal_id,
        context.now(),
    )
    .await?
    .ok_or(ApiError::NotFound)?;
    Ok(no_content())
}
