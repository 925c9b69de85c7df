//! Handlers: extract → one `app::` call → response. No SQL, no status codes beyond
//! the success one; failures are `ApiError`s.

mod chat;
pub(super) mod credits;
mod exercises;
pub(crate) mod export;
mod health;
pub(crate) mod imports;
mod me;
mod meals;
mod memories;
#[cfg(feature = "openapi")]
pub mod openapi;
mod skills;
mod stats;
mod uploads;
pub(crate) mod workouts;

use std::collections::BTreeMap;

use http::{HeaderValue, Response, StatusCode, header};
use serde::Serialize;

use super::routes::Endpoint;
use super::{ApiError, Platform, Reply, RequestContext};
use crate::app::accounts;
use crate::auth::AuthenticatedSubject;
use crate::domain::account::User;
use crate::domain::catalog::Catalog;
use crate::domain::skills::SkillRecord;
use crate::http::cursor;
use crate::ports::{Page, PageCursor};
pub use export::ExportStream;

pub(super) async fn dispatch<P: Platform>(
    context: &RequestContext<'_, P>,
    endpoint: Endpoint,
    caller: Option<&AuthenticatedSubject>,
    params: &[&str],
    body: &[u8],
) -> Result<Reply, ApiError> {
    let response = match endpoint {
        Endpoint::OpenApi => Ok(openapi_document()),
        Endpoint::GetCredits => credits::get_credits(context, require(caller)?).await,
        Endpoint::AdminTopUp => credits::admin_top_up(context, body).await,
        Endpoint::PostChat => chat::post_chat(context, require(caller)?, body).await,
        Endpoint::ChatHistory => chat::chat_history(context, require(caller)?).await,
        Endpoint::GetMessage => chat::get_message(context, require(caller)?, params).await,
        Endpoint::ConfirmMessage => {
            chat::confirm_message(context, require(caller)?, params, body).await
        }
        Endpoint::RetryMessage => chat::retry_message(context, require(caller)?, params).await,
        Endpoint::ListSkills => skills::list_skills(context, require(caller)?).await,
        Endpoint::GetSkill => skills::get_skill(context, require(caller)?, params).await,
        // The library is the same for everyone: the caller is authenticated, never
        // looked up.
        Endpoint::ListExercises => {
            require(caller)?;
            exercises::list_exercises(context)
        }
        Endpoint::GetExercise => {
            require(caller)?;
            exercises::get_exercise(context, params)
        }
        Endpoint::StatsSummary => stats::summary(context, require(caller)?).await,
        Endpoint::ExerciseStats => stats::exercise_history(context, require(caller)?, params).await,
        Endpoint::ExportMe => return export::export_me(context, require(caller)?).await,
        Endpoint::LogWorkout => workouts::log_workout(context, require(caller)?, body).await,
        Endpoint::ListWorkouts => workouts::list_workouts(context, require(caller)?).await,
        Endpoint::GetWorkout => workouts::get_workout(context, require(caller)?, params).await,
        Endpoint::EditWorkout => {
            workouts::edit_workout(context, require(caller)?, params, body).await
        }
        Endpoint::DeleteWorkout => {
            workouts::delete_workout(context, require(caller)?, params).await
        }
        Endpoint::Health => health::get_health(context).await,
        Endpoint::LogMeal => meals::log_meal(context, require(caller)?, body).await,
        Endpoint::MealDay => meals::meal_day(context, require(caller)?).await,
        Endpoint::DeleteMeal => meals::delete_meal(context, require(caller)?, params).await,
        Endpoint::GetMe => me::get_me(context, require(caller)?).await,
        Endpoint::UpdateMe => me::update_me(context, require(caller)?, body).await,
        Endpoint::DeleteMe => me::delete_me(context, require(caller)?).await,
        Endpoint::ListMemories => memories::list_memories(context, require(caller)?).await,
        Endpoint::DeleteMemory => memories::delete_memory(context, require(caller)?, params).await,
        Endpoint::CoachAsk => memories::ask(context, require(caller)?, body).await,
        Endpoint::RequestUpload => uploads::request_upload(context, require(caller)?, body).await,
        Endpoint::CompleteUpload => {
            uploads::complete_upload(context, require(caller)?, params).await
        }
        Endpoint::PostImport => imports::post_import(context, require(caller)?, body).await,
        Endpoint::ListImports => imports::list_imports(context, require(caller)?).await,
        Endpoint::GetImport => imports::get_import(context, require(caller)?, params).await,
        Endpoint::DeleteImport => imports::delete_import(context, require(caller)?, params).await,
    };
    response.map(Reply::from)
}

/// Decodes `body` as every request body the API takes, and checks it as its handler
/// does. For the fuzzer: no body may panic, whatever it holds.
#[cfg(any(test, feature = "fuzzing"))]
pub(crate) fn decode_every_body(body: &[u8]) {
    use crate::http::json::decode;
    let Ok(catalog) = catalog() else { return };
    if let Ok(request) = decode::<workouts::LogWorkoutRequest>(body)
        && let Ok(request) = workouts::validated(request)
    {
        let _ = request.parts(catalog);
    }
    if let Ok(request) = decode::<workouts::EditWorkoutRequest>(body)
        && let Ok(request) = workouts::validated(request)
    {
        let _ = request.parts(catalog);
    }
    if let Ok(request) = decode::<me::UpdateMeRequest>(body) {
        let _ = request.into_change();
    }
    if let Ok(request) = decode::<imports::ImportRequestBody>(body) {
        let _ = imports::checked(request);
    }
    if let Ok(request) = decode::<uploads::UploadRequestBody>(body) {
        let _ = crate::domain::uploads::UploadRequest::parse(
            &request.kind,
            &request.content_type,
            request.bytes,
        );
    }
    let _ = decode::<chat::PostChatRequest>(body);
    let _ = decode::<chat::ConfirmRequest>(body);
    let _ = decode::<meals::LogMealRequest>(body);
    let _ = decode::<memories::AskRequest>(body);
    let _ = decode::<credits::TopUpRequest>(body);
}

/// The OpenAPI document of this API, as `tora-dev openapi` generated it from the route
/// table and the handlers' types (a native test fails when it is out of date). The
/// worker embeds the text, not the code that makes it.
pub const OPENAPI_JSON: &str = include_str!("../../../openapi.json");

fn openapi_document() -> Response<Vec<u8>> {
    let mut response = Response::new(OPENAPI_JSON.as_bytes().to_vec());
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// The exercise catalog and skill tree compiled into the worker.
pub(super) fn catalog() -> Result<&'static Catalog, ApiError> {
    Catalog::embedded().map_err(|error| ApiError::Internal(format!("catalog: {error}")))
}

/// Authenticated routes always get a caller; its absence is a routing bug.
fn require(caller: Option<&AuthenticatedSubject>) -> Result<&AuthenticatedSubject, ApiError> {
    caller.ok_or_else(|| ApiError::Internal("authenticated route without a caller".into()))
}

/// The stored user behind the caller, provisioned on first sight (one round trip).
pub(super) async fn resolve<P: Platform>(
    context: &RequestContext<'_, P>,
    caller: &AuthenticatedSubject,
) -> Result<User, ApiError> {
    let ids = context.platform.ids();
    Ok(accounts::resolve_user(
        &context.db,
        &accounts::new_user(
            ids,
            caller,
            context.config.starter_credits,
            &context.config.credits,
        ),
    )
    .await?)
}

/// The user and their stored skill rows, read in one round trip.
pub(super) async fn resolve_with_skills<P: Platform>(
    context: &RequestContext<'_, P>,
    caller: &AuthenticatedSubject,
) -> Result<(User, BTreeMap<String, SkillRecord>), ApiError> {
    let ids = context.platform.ids();
    Ok(accounts::resolve_with_skills(
        &context.db,
        &accounts::new_user(
            ids,
            caller,
            context.config.starter_credits,
            &context.config.credits,
        ),
    )
    .await?)
}

/// The cursor of the page after `page`, when there is one: where its last item is.
pub(super) fn page_cursor<T>(
    page: &Page<T>,
    position: impl Fn(&T) -> PageCursor,
) -> Option<String> {
    if !page.more {
        return None;
    }
    page.items
        .last()
        .map(|last| cursor::encode(&position(last)))
}

pub(super) fn json<T: Serialize>(
    status: StatusCode,
    body: &T,
) -> Result<Response<Vec<u8>>, ApiError> {
    let bytes = serde_json::to_vec(body)
        .map_err(|error| ApiError::Internal(format!("encoding a response: {error}")))?;
    let mut response = Response::new(bytes);
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Ok(response)
}

pub(super) fn no_content() -> Response<Vec<u8>> {
    let mut response = Response::new(Vec::new());
    *response.status_mut() = StatusCode::NO_CONTENT;
    response
}
