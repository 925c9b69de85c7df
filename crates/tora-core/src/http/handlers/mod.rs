//! Handlers: extract → one `app::` call → response. No SQL, no status codes beyond
//! the success one; failures are `ApiError`s.

mod health;
mod me;

use http::{HeaderValue, Response, StatusCode, header};
use serde::Serialize;

use super::routes::Endpoint;
use super::{ApiError, Platform, RequestContext};
use crate::db::users::User;

pub(super) async fn dispatch<P: Platform>(
    context: &RequestContext<'_, P>,
    endpoint: Endpoint,
    user: Option<&User>,
    _params: &[&str],
    body: &[u8],
) -> Result<Response<Vec<u8>>, ApiError> {
    match endpoint {
        Endpoint::Health => health::get_health(context).await,
        Endpoint::GetMe => me::get_me(require(user)?),
        Endpoint::UpdateMe => me::update_me(context, require(user)?, body).await,
        Endpoint::DeleteMe => me::delete_me(context, require(user)?).await,
    }
}

/// Authenticated routes always get a user; its absence is a routing bug.
fn require(user: Option<&User>) -> Result<&User, ApiError> {
    user.ok_or_else(|| ApiError::Internal("authenticated route without a user".into()))
}

pub(super) fn json<T: Serialize>(status: StatusCode, body: &T) -> Result<Response<Vec<u8>>, ApiError> {
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
