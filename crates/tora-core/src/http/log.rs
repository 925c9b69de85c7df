//! The one structured log line each request produces. It holds no token, no message
//! text and no secret: only ids, the route pattern, timings and, for 5xx, the cause.

use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct RequestLog {
    pub request_id: String,
    pub method: String,
    /// The route pattern (`/v1/workouts/{id}`), never the raw path with its ids.
    pub route: &'static str,
    pub status: u16,
    pub duration_ms: i64,
    pub db_ms: i64,
    pub db_round_trips: u32,
    /// The problem type of a 4xx.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<&'static str>,
    /// The cause of a 5xx.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl RequestLog {
    pub fn new(request_id: &str, method: &str) -> Self {
        Self {
            request_id: request_id.to_owned(),
            method: method.to_owned(),
            route: "unmatched",
            status: 0,
            duration_ms: 0,
            db_ms: 0,
            db_round_trips: 0,
            problem: None,
            error: None,
        }
    }

    /// The JSON line to print.
    pub fn to_line(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| String::from("{\"log\":\"unserializable\"}"))
    }
}
