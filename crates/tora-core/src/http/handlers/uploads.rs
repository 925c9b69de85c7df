//! `POST /v1/uploads`: a presigned URL the client PUTs one photo or video to, straight
//! to the bucket. `POST /v1/uploads/{id}/complete`: the client says it is done; the
//! worker checks the object is there.

use http::{Response, StatusCode};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::workouts::timestamp;
use super::{json, resolve};
use crate::app::uploads::{self, UploadError};
use crate::auth::AuthenticatedSubject;
use crate::domain::uploads::{Upload, UploadRequest};
use crate::http::error::FieldError;
use crate::http::json::decode;
use crate::http::{ApiError, Platform, RequestContext};

/// `{kind, content_type, bytes}`; the rules are applied in `UploadRequest::parse`.
#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UploadRequestBody {
    #[cfg_attr(
        feature = "openapi",
        schema(pattern = "^(meal_photo|form_video|import_csv)$")
    )]
    pub kind: String,
    #[cfg_attr(
        feature = "openapi",
        schema(pattern = "^(image/(jpeg|png|webp|heic)|video/(mp4|quicktime)|text/(csv|plain))$")
    )]
    pub content_type: String,
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 209715200))]
    pub bytes: i64,
}

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub(crate) struct SignedHeaders {
    #[serde(rename = "content-type")]
    content_type: String,
    #[serde(rename = "content-length")]
    content_length: String,
}

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub(crate) struct RequestedUploadView {
    upload_id: String,
    url: String,
    method: &'static str,
    headers: SignedHeaders,
    expires_at: String,
}

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub(crate) struct UploadView {
    upload_id: String,
    kind: &'static str,
    content_type: String,
    bytes: u64,
    created_at: String,
    completed_at: Option<String>,
}

impl From<&Upload> for UploadView {
    fn from(upload: &Upload) -> Self {
        Self {
            upload_id: upload.id.to_string(),
            kind: upload.kind.as_str(),
            content_type: upload.content_type.clone(),
            bytes: upload.bytes,
            created_at: timestamp(upload.created_at),
            completed_at: upload.completed_at.map(timestamp),
        }
    }
}

fn api_error(error: UploadError) -> ApiError {
    match error {
        UploadError::NotFound => ApiError::NotFound,
        UploadError::Missing => ApiError::UploadMissing,
        UploadError::Store(error) => ApiError::Database(error),
        UploadError::Storage(error) => ApiError::Storage(error.to_string()),
    }
}

pub(super) async fn request_upload<P: Platform>(
    context: &RequestContext<'_, P>,
    caller: &AuthenticatedSubject,
    body: &[u8],
) -> Result<Response<Vec<u8>>, ApiError> {
    let body = decode::<UploadRequestBody>(body)?;
    let wanted =
        UploadRequest::parse(&body.kind, &body.content_type, body.bytes).map_err(|problems| {
            ApiError::Validation(
                problems
                    .into_iter()
                    .map(|problem| FieldError::new(problem.field, problem.message))
                    .collect(),
            )
        })?;
    let storage = context.storage().ok_or(ApiError::UploadsUnavailable)?;
    let user = resolve(context, caller).await?;
    let requested = uploads::request(
        &context.db,
        &storage,
        context.platform.ids(),
        context.config.credits.subject_hash_key.expose().as_bytes(),
        user.id,
        &wanted,
        context.config.upload_url_expires_secs,
    )
    .await
    .map_err(api_error)?;
    json(
        StatusCode::CREATED,
        &RequestedUploadView {
            upload_id: requested.id.to_string(),
            url: requested.url.url,
            method: "PUT",
            headers: SignedHeaders {
                content_type: wanted.content_type().to_owned(),
                content_length: wanted.bytes().to_string(),
            },
            expires_at: timestamp(requested.expires_at),
        },
    )
}

pub(super) async fn complete_upload<P: Platform>(
    context: &RequestContext<'_, P>,
    caller: &AuthenticatedSubject,
    params: &[&str],
) -> Result<Response<Vec<u8>>, ApiError> {
    // An id that cannot exist is simply not found.
    let id = params
        .first()
        .and_then(|raw| Uuid::parse_str(raw).ok())
        .ok_or(ApiError::NotFound)?;
    let storage = context.storage().ok_or(ApiError::UploadsUnavailable)?;
    let user = resolve(context, caller).await?;
    let upload = uploads::complete(&context.db, &storage, user.id, id)
        .await
        .map_err(api_error)?;
    json(StatusCode::OK, &UploadView::from(&upload))
}
