use http::{Response, StatusCode};
use serde_json::json;

use super::json;
use crate::http::{ApiError, Platform, RequestContext};

/// Liveness plus one database round trip, so "healthy" means the API can serve data.
pub(super) async fn get_health<P: Platform>(
    context: &RequestContext<'_, P>,
) -> Result<Response<Vec<u8>>, ApiError> {
    let database_ok = crate::app::accounts::database_healthy(&context.db).await;
    if database_ok {
        json(StatusCode::OK, &json!({"status": "ok", "database": "ok"}))
    } else {
        json(
            StatusCode::SERVICE_UNAVAILABLE,
            &json!({"status": "degraded", "database": "unavailable"}),
        )
    }
}
