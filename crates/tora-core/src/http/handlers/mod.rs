//! Handlers: extract → one `app::` call → response. No SQL, no status codes beyond
//! the success one; failures are `ApiError`s.

mod health;
mod me;

use http::{HeaderValue, Response, StatusCode, header};
use serde::Serialize;

use super::routes::Endpoint;
use super::{ApiError, Platform, RequestContext};
use crate::app::accounts;
use crate::auth::AuthenticatedSubject;
use crate::db::users::User;

pub(super) async fn dispatch<P: Platform>(
    context: &RequestContext<'_, P>,
    endpoint: Endpoint,
    caller: Option<&AuthenticatedSubject>,
    _params: &[&str],
    body: &[u8],
) -> Result<Response<Vec<u8>>, ApiError> {
    match endpoint {
        Endpoint::Health => health::get_health(context).await,
        Endpoint::GetMe => me::get_me(context, require(caller)?).await,
        Endpoint::UpdateMe => me::update_me(context, require(caller)?, body).await,
        Endpoint::DeleteMe => me::delete_me(context, require(caller)?).await,
    }
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
    Ok(accounts::resolve_user(
        &context.db,
        context.platform.ids(),
        caller,
        context.config.starter_credits,
    )
    .await?)
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
