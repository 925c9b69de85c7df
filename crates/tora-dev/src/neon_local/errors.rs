//! Errors the endpoint answers with, and their one JSON shape (protocols §1.8).
//!
//! Neon always answers an error with the same 17 keys, whatever went wrong, so clients can
//! read `code` without checking for its presence. Only errors that Postgres itself raised
//! carry a SQLSTATE and a severity; every other error has `""` in both.

use fallible_iterator::FallibleIterator;
use http::StatusCode;
use postgres_protocol::message::backend::ErrorResponseBody;

use super::json::push_str;

/// The fields of a Postgres `ErrorResponse`, as Postgres sent them (all text).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PgError {
    pub severity: Option<String>,
    pub code: Option<String>,
    pub message: String,
    pub detail: Option<String>,
    pub hint: Option<String>,
    pub position: Option<String>,
    pub internal_position: Option<String>,
    pub internal_query: Option<String>,
    pub where_: Option<String>,
    pub schema: Option<String>,
    pub table: Option<String>,
    pub column: Option<String>,
    pub data_type: Option<String>,
    pub constraint: Option<String>,
    pub file: Option<String>,
    pub line: Option<String>,
    pub routine: Option<String>,
}

impl PgError {
    /// Collects every field of an `ErrorResponse`. The non-localized severity (`V`, Postgres
    /// 9.6+) wins over the localized one (`S`) so the value is always English.
    /// Boxed because it is large and travels inside `Result`s.
    pub fn from_body(body: &ErrorResponseBody) -> std::io::Result<Box<Self>> {
        let mut error = PgError::default();
        let mut localized_severity = None;
        let mut fields = body.fields();
        while let Some(field) = fields.next()? {
            let value = String::from_utf8_lossy(field.value_bytes()).into_owned();
            match field.type_() {
                b'S' => localized_severity = Some(value),
                b'V' => error.severity = Some(value),
                b'C' => error.code = Some(value),
                b'M' => error.message = value,
                b'D' => error.detail = Some(value),
                b'H' => error.hint = Some(value),
                b'P' => error.position = Some(value),
                b'p' => error.internal_position = Some(value),
                b'q' => error.internal_query = Some(value),
                b'W' => error.where_ = Some(value),
                b's' => error.schema = Some(value),
                b't' => error.table = Some(value),
                b'c' => error.column = Some(value),
                b'd' => error.data_type = Some(value),
                b'n' => error.constraint = Some(value),
                b'F' => error.file = Some(value),
                b'L' => error.line = Some(value),
                b'R' => error.routine = Some(value),
                // Unknown field types are allowed by the protocol and must be ignored.
                _ => {}
            }
        }
        if error.severity.is_none() {
            error.severity = localized_severity;
        }
        Ok(Box::new(error))
    }

    /// A short form for logs and for errors raised while connecting.
    pub fn summary(&self) -> String {
        match &self.code {
            Some(code) => format!("{} ({code})", self.message),
            None => self.message.clone(),
        }
    }
}

/// Everything a `/sql` request can fail with; each maps to one status (protocols §1.8).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NeonError {
    /// A malformed request: connection string, headers, body. 400.
    BadRequest(String),
    /// The request body is over the limit. 413.
    RequestTooLarge(usize),
    /// The buffered result is over the limit. 507.
    ResponseTooLarge(usize),
    /// Postgres rejected a statement (including the batch's BEGIN/COMMIT). 400.
    Postgres(Box<PgError>),
    /// The endpoint itself failed: the backing database is unreachable, the connection
    /// broke, or a value could not be converted. 500.
    Internal(String),
}

impl NeonError {
    pub fn status(&self) -> StatusCode {
        match self {
            NeonError::BadRequest(_) | NeonError::Postgres(_) => StatusCode::BAD_REQUEST,
            NeonError::RequestTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            NeonError::ResponseTooLarge(_) => StatusCode::INSUFFICIENT_STORAGE,
            NeonError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn message(&self) -> String {
        match self {
            NeonError::BadRequest(message) | NeonError::Internal(message) => message.clone(),
            NeonError::RequestTooLarge(limit) => {
                format!("request is too large (max is {limit} bytes)")
            }
            NeonError::ResponseTooLarge(limit) => {
                format!("response is too large (max is {limit} bytes)")
            }
            NeonError::Postgres(error) => error.message.clone(),
        }
    }

    /// The error body: all 17 keys, in the proxy's order, absent fields as `null`.
    pub fn to_json(&self) -> String {
        let none = PgError::default();
        let pg: &PgError = match self {
            NeonError::Postgres(error) => error,
            _ => &none,
        };
        let mut out = String::with_capacity(256);
        out.push_str("{\"message\":");
        push_str(&mut out, &self.message());
        // Non-Postgres errors have "" rather than null here, like the proxy.
        out.push_str(",\"code\":");
        push_str(&mut out, pg.code.as_deref().unwrap_or(""));
        push_key_opt(&mut out, "detail", &pg.detail);
        push_key_opt(&mut out, "hint", &pg.hint);
        push_key_opt(&mut out, "position", &pg.position);
        push_key_opt(&mut out, "internalPosition", &pg.internal_position);
        push_key_opt(&mut out, "internalQuery", &pg.internal_query);
        out.push_str(",\"severity\":");
        push_str(&mut out, pg.severity.as_deref().unwrap_or(""));
        push_key_opt(&mut out, "where", &pg.where_);
        push_key_opt(&mut out, "table", &pg.table);
        push_key_opt(&mut out, "column", &pg.column);
        push_key_opt(&mut out, "schema", &pg.schema);
        push_key_opt(&mut out, "dataType", &pg.data_type);
        push_key_opt(&mut out, "constraint", &pg.constraint);
        push_key_opt(&mut out, "file", &pg.file);
        push_key_opt(&mut out, "line", &pg.line);
        push_key_opt(&mut out, "routine", &pg.routine);
        out.push('}');
        out
    }
}

fn push_key_opt(out: &mut String, key: &str, value: &Option<String>) {
    out.push_str(",\"");
    out.push_str(key);
    out.push_str("\":");
    match value {
        Some(value) => push_str(out, value),
        None => out.push_str("null"),
    }
}

#[cfg(test)]
mod tests {
    use bytes::{BufMut, BytesMut};
    use postgres_protocol::message::backend::Message;
    use serde_json::{Value, json};

    use super::*;

    const KEYS: [&str; 17] = [
        "message",
        "code",
        "detail",
        "hint",
        "position",
        "internalPosition",
        "internalQuery",
        "severity",
        "where",
        "table",
        "column",
        "schema",
        "dataType",
        "constraint",
        "file",
        "line",
        "routine",
    ];

    /// Asserts that the body has exactly the 17 keys and writes them in the proxy's order.
    fn assert_keys_in_order(text: &str) {
        let map: serde_json::Map<String, Value> = serde_json::from_str(text).unwrap();
        assert_eq!(map.len(), KEYS.len());
        let positions: Vec<usize> = KEYS
            .iter()
            .map(|key| text.find(&format!("\"{key}\":")).unwrap())
            .collect();
        assert!(positions.is_sorted(), "key order in {text}");
    }

    /// An `ErrorResponse` the way Postgres 16 sends it for `select * from nope`.
    fn error_response(fields: &[(u8, &str)]) -> ErrorResponseBody {
        let mut body = BytesMut::new();
        for (kind, value) in fields {
            body.put_u8(*kind);
            body.put_slice(value.as_bytes());
            body.put_u8(0);
        }
        body.put_u8(0);
        let mut frame = BytesMut::new();
        frame.put_u8(b'E');
        frame.put_i32(i32::try_from(body.len()).unwrap() + 4);
        frame.put_slice(&body);
        match Message::parse(&mut frame).unwrap() {
            Some(Message::ErrorResponse(body)) => body,
            _ => panic!("not an error response"),
        }
    }

    #[test]
    fn postgres_error_has_all_seventeen_keys_in_proxy_order_with_fields_as_strings() {
        let body = error_response(&[
            (b'S', "FEHLER"),
            (b'V', "ERROR"),
            (b'C', "42P01"),
            (b'M', "relation \"nope\" does not exist"),
            (b'P', "15"),
            (b'F', "parse_relation.c"),
            (b'L', "1449"),
            (b'R', "parserOpenTable"),
        ]);
        let error = NeonError::Postgres(PgError::from_body(&body).unwrap());
        assert_eq!(error.status(), StatusCode::BAD_REQUEST);
        let text = error.to_json();
        assert_keys_in_order(&text);
        let value: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            value,
            json!({"message":"relation \"nope\" does not exist","code":"42P01","detail":null,
                "hint":null,"position":"15","internalPosition":null,"internalQuery":null,
                "severity":"ERROR","where":null,"table":null,"column":null,"schema":null,
                "dataType":null,"constraint":null,"file":"parse_relation.c","line":"1449",
                "routine":"parserOpenTable"})
        );
    }

    #[test]
    fn every_error_field_lands_under_its_key() {
        let body = error_response(&[
            (b'S', "ERROR"),
            (b'C', "23505"),
            (b'M', "duplicate key"),
            (b'D', "Key (id)=(1) already exists."),
            (b'H', "a hint"),
            (b'p', "3"),
            (b'q', "select 1"),
            (b'W', "PL/pgSQL function f()"),
            (b's', "public"),
            (b't', "users"),
            (b'c', "id"),
            (b'd', "int4"),
            (b'n', "users_pkey"),
            (b'F', "nbtinsert.c"),
            (b'L', "666"),
            (b'R', "_bt_check_unique"),
            (b'Z', "an unknown field type is ignored"),
        ]);
        let value: Value = serde_json::from_str(
            &NeonError::Postgres(PgError::from_body(&body).unwrap()).to_json(),
        )
        .unwrap();
        assert_eq!(
            value,
            json!({"message":"duplicate key","code":"23505","detail":"Key (id)=(1) already exists.",
                "hint":"a hint","position":null,"internalPosition":"3","internalQuery":"select 1",
                "severity":"ERROR","where":"PL/pgSQL function f()","table":"users","column":"id",
                "schema":"public","dataType":"int4","constraint":"users_pkey","file":"nbtinsert.c",
                "line":"666","routine":"_bt_check_unique"})
        );
    }

    #[test]
    fn non_postgres_errors_have_empty_code_and_severity_and_their_own_status() {
        let cases = [
            (
                NeonError::BadRequest("missing hostname".into()),
                400,
                "missing hostname",
            ),
            (
                NeonError::RequestTooLarge(10_485_760),
                413,
                "request is too large (max is 10485760 bytes)",
            ),
            (
                NeonError::ResponseTooLarge(10_485_760),
                507,
                "response is too large (max is 10485760 bytes)",
            ),
            (NeonError::Internal("boom".into()), 500, "boom"),
        ];
        for (error, status, message) in cases {
            assert_eq!(error.status().as_u16(), status);
            let text = error.to_json();
            assert_keys_in_order(&text);
            let value: Value = serde_json::from_str(&text).unwrap();
            assert_eq!(value["message"], message);
            assert_eq!(value["code"], "");
            assert_eq!(value["severity"], "");
            for key in &KEYS[2..] {
                if *key != "severity" {
                    assert_eq!(value[key], Value::Null, "{key}");
                }
            }
        }
    }
}
