//! The API's one error type, and the one place that turns errors into HTTP:
//! `application/problem+json` (RFC 9457) with a stable `type`, the request id and,
//! for validation failures, every failing field.

use crate::app::chat::ChatError;
use crate::auth::AuthError;
use crate::clients::neon::NeonError;
use crate::domain::credits::TokensPerCredit;
use crate::ports::{LlmError, LlmErrorKind, StoreError, StoreErrorKind};
use http::{HeaderValue, Response, StatusCode, header};
use serde::Serialize;

/// One failing input field: a JSON pointer-like dotted path and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// The `application/problem+json` body of every failure (RFC 9457), extension members
/// included where the failure has them. The OpenAPI document's `Problem` schema is
/// derived from it, so what is sent and what is documented are one type.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Problem<'a> {
    /// `urn:tora:problem:<slug>`, stable: clients switch on it.
    #[serde(rename = "type")]
    pub problem_type: String,
    pub title: &'static str,
    pub status: u16,
    pub detail: String,
    /// The request path.
    pub instance: &'a str,
    /// As in `x-request-id`.
    pub request_id: &'a str,
    /// 422: every failing field.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<&'a [FieldError]>,
    /// 401: why the token was refused (`missing_token`, `expired`, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'static str>,
    /// 402: the balance, in credits.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<f64>))]
    pub balance: Option<&'a serde_json::Value>,
    /// 402: the most the refused call could cost, in credits.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<f64>))]
    pub price: Option<&'a serde_json::Value>,
}

/// Everything a request can fail with, as the client should see it.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("no route")]
    NotFound,
    #[error("method not allowed")]
    MethodNotAllowed { allow: &'static str },
    #[error("unsupported media type")]
    UnsupportedMediaType,
    #[error("body over {limit} bytes")]
    PayloadTooLarge { limit: usize },
    #[error("body is not valid JSON: {0}")]
    MalformedJson(String),
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    #[error("unauthenticated: {0}")]
    Unauthenticated(AuthError),
    #[error("origin not allowed")]
    OriginNotAllowed,
    #[error("rate limited")]
    RateLimited { retry_after_secs: u32 },
    /// The identity provider's keys could not be fetched and none are cached.
    #[error("auth keys unavailable: {0}")]
    AuthUnavailable(AuthError),
    /// A chat message's client id was used before with other text.
    #[error("client message id reused")]
    ClientMessageIdReused,
    /// The balance does not cover a model call's worst case. Amounts in credits.
    #[error("insufficient credits")]
    InsufficientCredits {
        balance: serde_json::Value,
        price: serde_json::Value,
    },
    /// The model refused the call for good: the deployment's request, credentials or
    /// model id is wrong. Retrying does not help.
    #[error("model refused: {0:?}")]
    ModelRefused(LlmErrorKind),
    /// A chat message is not in the state the action needs (confirming a message that
    /// is not a proposal, retrying one that is answered).
    #[error("message is {status}")]
    MessageState {
        status: &'static str,
        slug: &'static str,
        detail: &'static str,
    },
    /// An `/admin` route without the admin secret.
    #[error("admin secret missing or wrong")]
    AdminUnauthorized,
    /// The account an operator named does not exist.
    #[error("no such account")]
    AccountNotFound,
    /// A route that needs the language model, on a deployment without one.
    #[error("no model configured")]
    ModelUnavailable,
    /// The model call failed (after its retries); the cause is logged, never sent.
    #[error("{0}")]
    Model(LlmError),
    #[error("database: {0}")]
    Database(#[from] StoreError),
    /// The deployment has no bucket configured.
    #[error("no bucket configured")]
    UploadsUnavailable,
    /// An upload was completed before its object reached the bucket.
    #[error("upload object missing")]
    UploadMissing,
    /// The bucket could not be signed for or reached; the cause is logged, never sent.
    #[error("storage: {0}")]
    Storage(String),
    /// A bug or a broken deployment; the cause is logged, never sent.
    #[error("internal: {0}")]
    Internal(String),
}

impl From<NeonError> for ApiError {
    fn from(error: NeonError) -> Self {
        ApiError::Database(error.into())
    }
}

impl From<(ChatError, TokensPerCredit)> for ApiError {
    fn from((error, rate): (ChatError, TokensPerCredit)) -> Self {
        match error {
            ChatError::ClientIdReused => ApiError::ClientMessageIdReused,
            ChatError::Store(error) => ApiError::Database(error),
            ChatError::Insufficient { refused, .. } => ApiError::insufficient(refused, rate),
            ChatError::ModelRefused { kind, .. } => ApiError::ModelRefused(kind),
            ChatError::NotFound => ApiError::NotFound,
            ChatError::NotProposed(status) => ApiError::MessageState {
                status: status.as_str(),
                slug: "not-proposed",
                detail: "Only a proposed message can be confirmed.",
            },
            ChatError::NotRetryable(status) => ApiError::MessageState {
                status: status.as_str(),
                slug: "not-retryable",
                detail: "Only a pending or failed message can be retried.",
            },
            ChatError::StaleProposal => ApiError::MessageState {
                status: "proposed",
                slug: "stale-proposal",
                detail: "The proposal names an exercise that no longer exists; send the entries to log instead.",
            },
        }
    }
}

impl From<AuthError> for ApiError {
    fn from(error: AuthError) -> Self {
        if error.is_unavailable() {
            ApiError::AuthUnavailable(error)
        } else {
            ApiError::Unauthenticated(error)
        }
    }
}

impl ApiError {
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::MalformedJson(_) => StatusCode::BAD_REQUEST,
            ApiError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
            ApiError::OriginNotAllowed => StatusCode::FORBIDDEN,
            ApiError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::AuthUnavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::ClientMessageIdReused => StatusCode::CONFLICT,
            ApiError::InsufficientCredits { .. } => StatusCode::PAYMENT_REQUIRED,
            ApiError::ModelRefused(_) => StatusCode::BAD_GATEWAY,
            ApiError::MessageState { .. } => StatusCode::CONFLICT,
            ApiError::AdminUnauthorized => StatusCode::UNAUTHORIZED,
            ApiError::AccountNotFound => StatusCode::NOT_FOUND,
            ApiError::ModelUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Model(error) => match error.kind() {
                LlmErrorKind::Throttled | LlmErrorKind::Timeout | LlmErrorKind::Unavailable => {
                    StatusCode::SERVICE_UNAVAILABLE
                }
                _ => StatusCode::BAD_GATEWAY,
            },
            ApiError::Database(error) => match error.kind() {
                StoreErrorKind::Unavailable | StoreErrorKind::Timeout => {
                    StatusCode::SERVICE_UNAVAILABLE
                }
                StoreErrorKind::RetryableConflict => StatusCode::CONFLICT,
                _ => StatusCode::INTERNAL_SERVER_ERROR,
            },
            ApiError::UploadsUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::UploadMissing => StatusCode::NOT_FOUND,
            ApiError::Storage(_) => StatusCode::BAD_GATEWAY,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The stable problem type; clients switch on it, so never rename one.
    pub fn slug(&self) -> &'static str {
        match self {
            ApiError::NotFound => "not-found",
            ApiError::MethodNotAllowed { .. } => "method-not-allowed",
            ApiError::UnsupportedMediaType => "unsupported-media-type",
            ApiError::PayloadTooLarge { .. } => "payload-too-large",
            ApiError::MalformedJson(_) => "malformed-json",
            ApiError::Validation(_) => "validation-failed",
            ApiError::Unauthenticated(_) => "unauthenticated",
            ApiError::OriginNotAllowed => "origin-not-allowed",
            ApiError::RateLimited { .. } => "rate-limited",
            ApiError::AuthUnavailable(_) => "auth-unavailable",
            ApiError::ClientMessageIdReused => "client-message-id-reused",
            ApiError::InsufficientCredits { .. } => "insufficient-credits",
            ApiError::ModelRefused(LlmErrorKind::Denied) => "model-access-denied",
            ApiError::ModelRefused(LlmErrorKind::NotFound) => "model-not-found",
            ApiError::ModelRefused(_) => "model-rejected",
            ApiError::MessageState { slug, .. } => slug,
            ApiError::AdminUnauthorized => "unauthenticated",
            ApiError::AccountNotFound => "account-not-found",
            ApiError::ModelUnavailable => "model-unavailable",
            ApiError::Model(error) => match error.kind() {
                LlmErrorKind::Throttled | LlmErrorKind::Timeout | LlmErrorKind::Unavailable => {
                    "model-unavailable"
                }
                _ => "model-failed",
            },
            ApiError::Database(error) => match error.kind() {
                StoreErrorKind::Unavailable | StoreErrorKind::Timeout => "database-unavailable",
                StoreErrorKind::RetryableConflict => "conflict-retry",
                _ => "internal",
            },
            ApiError::UploadsUnavailable => "uploads-unavailable",
            ApiError::UploadMissing => "upload-missing",
            ApiError::Storage(_) => "storage-failed",
            ApiError::Internal(_) => "internal",
        }
    }

    fn title(&self) -> &'static str {
        if let ApiError::Storage(_) = self {
            return "Storage failed";
        }
        match self.status() {
            StatusCode::NOT_FOUND => "Not found",
            StatusCode::METHOD_NOT_ALLOWED => "Method not allowed",
            StatusCode::UNSUPPORTED_MEDIA_TYPE => "Unsupported media type",
            StatusCode::PAYLOAD_TOO_LARGE => "Request body too large",
            StatusCode::BAD_REQUEST => "Malformed request body",
            StatusCode::UNPROCESSABLE_ENTITY => "Invalid request",
            StatusCode::UNAUTHORIZED => "Authentication required",
            StatusCode::FORBIDDEN => "Forbidden",
            StatusCode::TOO_MANY_REQUESTS => "Too many requests",
            StatusCode::SERVICE_UNAVAILABLE => "Service unavailable",
            StatusCode::CONFLICT => "Conflict",
            StatusCode::PAYMENT_REQUIRED => "Not enough credits",
            StatusCode::BAD_GATEWAY => "The model failed",
            _ => "Internal error",
        }
    }

    /// What the client is told. Server-side causes stay in the log.
    fn detail(&self) -> String {
        match self {
            ApiError::NotFound => "There is nothing at this path.".into(),
            ApiError::MethodNotAllowed { allow } => format!("This path accepts: {allow}."),
            ApiError::UnsupportedMediaType => {
                "Send the body as JSON with `content-type: application/json`.".into()
            }
            ApiError::PayloadTooLarge { limit } => {
                format!("The body may be at most {limit} bytes on this route.")
            }
            ApiError::MalformedJson(reason) => format!("The body is not valid JSON: {reason}."),
            ApiError::Validation(errors) => format!(
                "{} field{} failed validation.",
                errors.len(),
                if errors.len() == 1 { "" } else { "s" }
            ),
            ApiError::Unauthenticated(error) => format!(
                "Send a valid bearer token in the `authorization` header ({}).",
                error.reason()
            ),
            ApiError::OriginNotAllowed => "This origin may not call the API.".into(),
            ApiError::RateLimited { retry_after_secs } => {
                format!("Slow down; try again in {retry_after_secs} seconds.")
            }
            ApiError::AuthUnavailable(_) => {
                "Tokens cannot be checked right now; try again shortly.".into()
            }
            ApiError::ClientMessageIdReused => {
                "This client_message_id was already used for a different message; give each new message its own id.".into()
            }
            ApiError::InsufficientCredits { balance, price } => format!(
                "This costs up to {price} credits and the balance is {balance}; top up to continue."
            ),
            ApiError::ModelRefused(LlmErrorKind::Denied) => {
                "The coach's model refused our credentials or access; this is on our side and has been logged.".into()
            }
            ApiError::ModelRefused(LlmErrorKind::NotFound) => {
                "The coach's model is not available in this deployment; this is on our side and has been logged.".into()
            }
            ApiError::ModelRefused(_) => {
                "The coach's model refused this request; the message is kept as failed.".into()
            }
            ApiError::MessageState { status, detail, .. } => {
                format!("{detail} This message is {status}.")
            }
            ApiError::AdminUnauthorized => {
                "Send the admin secret as a bearer token in the `authorization` header.".into()
            }
            ApiError::AccountNotFound => "There is no account with this subject or id.".into(),
            ApiError::ModelUnavailable => {
                "The coach's language model is not available on this deployment.".into()
            }
            ApiError::Model(_) if self.status() == StatusCode::SERVICE_UNAVAILABLE => {
                "The coach's language model is busy or unreachable; try again shortly.".into()
            }
            ApiError::Model(_) => {
                "The coach's language model gave no usable answer; it has been logged.".into()
            }
            ApiError::UploadsUnavailable => {
                "Uploads are not configured in this deployment.".into()
            }
            ApiError::UploadMissing => {
                "The upload's object is not in storage yet; PUT the bytes to the upload URL first.".into()
            }
            ApiError::Storage(_) => {
                "File storage failed; this is on our side and has been logged.".into()
            }
            ApiError::Database(error) if error.kind() == StoreErrorKind::RetryableConflict => {
                "The request collided with another one; retry it.".into()
            }
            ApiError::Database(_) | ApiError::Internal(_) => {
                if self.status() == StatusCode::SERVICE_UNAVAILABLE {
                    "A service the API depends on is unavailable; try again shortly.".into()
                } else {
                    "Something went wrong on our side; it has been logged.".into()
                }
            }
        }
    }

    /// Renders the problem document. `instance` is the request path.
    pub fn into_response(self, request_id: &str, instance: &str) -> Response<Vec<u8>> {
        let status = self.status();
        let (balance, price) = match &self {
            ApiError::InsufficientCredits { balance, price } => (Some(balance), Some(price)),
            _ => (None, None),
        };
        let problem = Problem {
            problem_type: format!("urn:tora:problem:{}", self.slug()),
            title: self.title(),
            status: status.as_u16(),
            detail: self.detail(),
            instance,
            request_id,
            errors: match &self {
                ApiError::Validation(errors) => Some(errors.as_slice()),
                _ => None,
            },
            reason: match &self {
                ApiError::Unauthenticated(error) => Some(error.reason()),
                _ => None,
            },
            balance,
            price,
        };
        // A struct of strings, numbers and JSON values always serializes.
        let body = serde_json::to_vec(&problem).unwrap_or_default();
        let mut response = Response::new(body);
        *response.status_mut() = status;
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        match &self {
            ApiError::MethodNotAllowed { allow } => {
                headers.insert(header::ALLOW, HeaderValue::from_static(allow));
            }
            ApiError::Unauthenticated(_) | ApiError::AdminUnauthorized => {
                headers.insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Bearer error=\"invalid_token\""),
                );
            }
            ApiError::RateLimited { retry_after_secs } => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from(*retry_after_secs));
            }
            ApiError::AuthUnavailable(_)
            | ApiError::Database(_)
            | ApiError::Model(_)
            | ApiError::ModelUnavailable
                if status == StatusCode::SERVICE_UNAVAILABLE =>
            {
                headers.insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
            }
            _ => {}
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn body(response: &Response<Vec<u8>>) -> Value {
        serde_json::from_slice(response.body()).unwrap()
    }

    #[test]
    fn chat_failures_are_clear_problems_and_never_500() {
        use crate::app::chat::ChatError;
        use crate::domain::chat::MessageStatus;
        let rate = TokensPerCredit::DEFAULT;
        let message_id = uuid::Uuid::nil();
        let cases = [
            (
                ChatError::ModelRefused {
                    message_id,
                    kind: LlmErrorKind::Rejected,
                },
                502,
                "model-rejected",
            ),
            (
                ChatError::ModelRefused {
                    message_id,
                    kind: LlmErrorKind::Denied,
                },
                502,
                "model-access-denied",
            ),
            (
                ChatError::ModelRefused {
                    message_id,
                    kind: LlmErrorKind::NotFound,
                },
                502,
                "model-not-found",
            ),
            (
                ChatError::NotProposed(MessageStatus::Answered),
                409,
                "not-proposed",
            ),
            (
                ChatError::NotRetryable(MessageStatus::Logged),
                409,
                "not-retryable",
            ),
            (ChatError::StaleProposal, 409, "stale-proposal"),
            (ChatError::NotFound, 404, "not-found"),
            (ChatError::ClientIdReused, 409, "client-message-id-reused"),
        ];
        for (error, status, slug) in cases {
            let response = ApiError::from((error, rate)).into_response("req-1", "/v1/chat");
            assert_eq!(response.status(), status, "{slug}");
            assert_eq!(body(&response)["type"], format!("urn:tora:problem:{slug}"));
        }
        let refused = ChatError::Insufficient {
            message_id,
            refused: crate::domain::credits::Insufficient {
                balance: crate::domain::credits::Credits::from_units(1_500),
                price: crate::domain::credits::Credits::from_units(6_000),
            },
        };
        let response = ApiError::from((refused, rate)).into_response("req-1", "/v1/chat");
        assert_eq!(response.status(), 402);
        let problem = body(&response);
        assert_eq!(
            (problem["balance"].clone(), problem["price"].clone()),
            (0.5.into(), 2.into())
        );
    }

    #[test]
    fn validation_errors_list_every_field() {
        let response = ApiError::Validation(vec![
            FieldError::new("units", "must be \"kg\" or \"lb\""),
            FieldError::new("timezone", "must be an IANA timezone name"),
        ])
        .into_response("req-1", "/v1/me");
        assert_eq!(response.status(), 422);
        assert_eq!(
            response.headers()["content-type"],
            "application/problem+json"
        );
        let body = body(&response);
        assert_eq!(body["type"], "urn:tora:problem:validation-failed");
        assert_eq!(body["status"], 422);
        assert_eq!(body["request_id"], "req-1");
        assert_eq!(body["instance"], "/v1/me");
        assert_eq!(body["errors"][0]["field"], "units");
        assert_eq!(body["errors"][1]["field"], "timezone");
    }

    #[test]
    fn internal_causes_are_not_sent() {
        let response =
            ApiError::Internal("pool exhausted at 10.0.0.3".into()).into_response("r", "/x");
        assert_eq!(response.status(), 500);
        assert!(!String::from_utf8_lossy(response.body()).contains("10.0.0.3"));
    }

    #[test]
    fn rate_limits_say_when_to_come_back() {
        let response = ApiError::RateLimited {
            retry_after_secs: 60,
        }
        .into_response("r", "/v1/me");
        assert_eq!(response.status(), 429);
        assert_eq!(response.headers()["retry-after"], "60");
    }

    #[test]
    fn insufficient_credits_is_a_402_with_the_balance_and_the_price() {
        let response = ApiError::InsufficientCredits {
            balance: json!(0.5),
            price: json!(1),
        }
        .into_response("r", "/v1/chat");
        assert_eq!(response.status(), 402);
        let body = body(&response);
        assert_eq!(body["type"], "urn:tora:problem:insufficient-credits");
        assert_eq!(body["balance"], 0.5);
        assert_eq!(body["price"], 1);
    }

    #[test]
    fn model_failures_are_503_when_worth_retrying_and_502_otherwise() {
        let busy = ApiError::Model(LlmError::new(
            LlmErrorKind::Throttled,
            "ThrottlingException",
        ))
        .into_response("r", "/v1/coach/ask");
        assert_eq!(busy.status(), 503);
        assert_eq!(busy.headers()["retry-after"], "5");
        assert_eq!(body(&busy)["type"], "urn:tora:problem:model-unavailable");
        let broken = ApiError::Model(LlmError::new(LlmErrorKind::Malformed, "no text"))
            .into_response("r", "/v1/coach/ask");
        assert_eq!(broken.status(), 502);
        assert_eq!(body(&broken)["type"], "urn:tora:problem:model-failed");
        assert!(!String::from_utf8_lossy(broken.body()).contains("no text"));
        let none = ApiError::ModelUnavailable.into_response("r", "/v1/coach/ask");
        assert_eq!(none.status(), 503);
        assert_eq!(body(&none)["type"], "urn:tora:problem:model-unavailable");
    }

    #[test]
    fn method_not_allowed_lists_the_allowed_methods() {
        let response = ApiError::MethodNotAllowed {
            allow: "GET, PATCH, DELETE",
        }
        .into_response("r", "/v1/me");
        assert_eq!(response.status(), 405);
        assert_eq!(response.headers()["allow"], "GET, PATCH, DELETE");
    }
}
