use http::{Response, StatusCode};
use serde::Serialize;

use super::json;
use crate::http::{ApiError, Platform, RequestContext};

/// `ok`/`ok` when the database answers, `degraded`/`unavailable` (503) when it does not.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub(crate) struct HealthResponse {
    status: &'static str,
    database: &'static str,
}

/// Liveness plus one database round trip, so "healthy" means the API can serve data.
pub(super) async fn get_health<P: Platform>(
    context: &RequestContext<'_, P>,
) -> Result<Response<Vec<u8>>, ApiError> {
    let database_ok = crate::app::accounts::database_healthy(&context.db).await;
    if database_ok {
        json(
            StatusCode::OK,
            &HealthResponse {
                status: "ok",
                database: "ok",
            },
        )
    } else {
        json(
            StatusCode::SERVICE_UNAVAILABLE,
            &HealthResponse {
                status: "degraded",
                database: "unavailable",
            },
        )
    }
}
